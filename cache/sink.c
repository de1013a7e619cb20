/* sink.c: the output of the packer and of the stage saver. The bytes are
 * those archive_write_open_fd() writes into a regular file (blocks as they
 * come, the last one unpadded), and on the way:
 * - their SHA-256, so the manifest's cache_sha256 and a stage's sum need
 *   no second read of the file;
 * - the file's writeback, started every WRITEBACK_CHUNK bytes
 *   (sync_file_range, which does not wait): the disk writes while zstd
 *   compresses, and the fsync before a rename finds little left to do. */
#include "sink.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define WRITEBACK_CHUNK (8 << 20)

static la_ssize_t sink_write(struct archive *a, void *userdata, const void *buf, size_t len)
{
        struct vz_sink *s = userdata;
        ssize_t n = write(s->fd, buf, len);
        if (n < 0) {
                archive_set_error(a, errno, "write: %s", strerror(errno));
                return -1;
        }
        s->written += n;
        if (s->sha)
                vz_sha256_add(s->sha, buf, (size_t)n);
        if (s->written - s->synced >= WRITEBACK_CHUNK) {
                /* a hint: a failure shows in the fsync at the end */
                (void)sync_file_range(s->fd, s->synced, s->written - s->synced, SYNC_FILE_RANGE_WRITE);
                s->synced = s->written;
        }
        return n;
}

int vz_sink_open(struct archive *a, struct vz_sink *s)
{
        archive_write_set_bytes_in_last_block(a, 1);  /* a regular file: no padding after the last byte */
        return archive_write_open2(a, s, NULL, sink_write, NULL, NULL);
}

void vz_sink_finish(struct vz_sink *s, char ret_hex[65])
{
        char hex[65];
        if (!s->sha)
                return;
        vz_sha256_end(s->sha, hex);
        s->sha = NULL;
        if (ret_hex)
                memcpy(ret_hex, hex, sizeof(hex));
}
