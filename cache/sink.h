/* sink.h: internal to cache/ (pack.c, stage.c). An archive's output file,
 * hashed as it is written and pushed to the disk as it grows. */
#pragma once

#include "cache.h"

#include <archive.h>
#include <sys/types.h>

struct vz_sink {
        int fd;
        off_t written, synced;
        struct vz_sha256 *sha;  /* NULL: not hashed */
};

/* archive_write_open2() of a into s->fd; ARCHIVE_OK or libarchive's error. */
int vz_sink_open(struct archive *a, struct vz_sink *s);
/* The SHA-256 of everything written (ret_hex NULL: dropped); frees s->sha. */
void vz_sink_finish(struct vz_sink *s, char ret_hex[65]);
