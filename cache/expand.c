/* expand.c: a .deb with its data.tar decompressed. The result has the same
 * members in the same order, the same bytes in each, except that
 * data.tar.xz (or .zst, .gz, .bz2) becomes the plain data.tar it holds. dpkg
 * installs it exactly as the original: the files, their metadata and the
 * control member are the same; it only skips the decompression, which is
 * most of an unpack when the root is on tmpfs. A build decompresses each
 * package once this way, on every CPU at once, instead of twice (when the
 * essential set is extracted, then by dpkg) on one CPU
 * (docs/internals/build.md, "Each package decompressed once").
 *
 * The input is a package whose SHA-256 the caller has checked against the
 * signed index; the output goes to a directory of vzpkg's own. */
#include "cache.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define MAX_MEMBERS 16  /* debian-binary, control, data and a few signatures */

static void read_freep(struct archive **a) { if (*a) archive_read_free(*a); }
static void write_freep(struct archive **a) { if (*a) archive_write_free(*a); }
static void entry_freep(struct archive_entry **e) { if (*e) archive_entry_free(*e); }

struct member_source {
        struct archive *outer;
        char block[65536];
};

/* The decompressor pulls its bytes from the outer archive's current member. */
static la_ssize_t member_read(struct archive *inner, void *userdata, const void **buf)
{
        struct member_source *src = userdata;
        (void)inner;
        *buf = src->block;
        return archive_read_data(src->outer, src->block, sizeof(src->block));
}

/* The current member's bytes as they are, into fd. */
static int copy_member(struct archive *ar, int fd)
{
        char buf[65536];
        la_ssize_t n;
        while ((n = archive_read_data(ar, buf, sizeof(buf))) > 0) {
                int r = vz_write_all(fd, buf, (size_t)n);
                if (r < 0)
                        return r;
        }
        return n < 0 ? -VZ_E_ARCHIVE : 0;
}

/* The current member decompressed (any filter libarchive knows), into fd. */
static int decompress_member(struct archive *ar, int fd)
{
        _cleanup_(read_freep) struct archive *in = archive_read_new();
        _cleanup_free_ struct member_source *src = vz_xmalloc(sizeof(*src));
        struct archive_entry *e;
        char buf[65536];
        la_ssize_t n;

        src->outer = ar;
        archive_read_support_filter_all(in);
        archive_read_support_format_raw(in);
        if (archive_read_open(in, src, NULL, member_read, NULL) != ARCHIVE_OK ||
            archive_read_next_header(in, &e) != ARCHIVE_OK)
                return -VZ_E_ARCHIVE;
        while ((n = archive_read_data(in, buf, sizeof(buf))) > 0) {
                int r = vz_write_all(fd, buf, (size_t)n);
                if (r < 0)
                        return r;
        }
        return n < 0 ? -VZ_E_ARCHIVE : 0;
}

/* A member of the new archive from a file holding its bytes. */
static int add_member(struct archive *out, const char *name, int fd)
{
        _cleanup_(entry_freep) struct archive_entry *e = archive_entry_new();
        char buf[65536];
        off_t size = lseek(fd, 0, SEEK_END);
        ssize_t n;

        if (size < 0 || lseek(fd, 0, SEEK_SET) < 0)
                return -errno;
        archive_entry_set_pathname(e, name);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, size);
        if (archive_write_header(out, e) != ARCHIVE_OK)
                return -VZ_E_ARCHIVE;
        while ((n = read(fd, buf, sizeof(buf))) > 0)
                if (archive_write_data(out, buf, (size_t)n) != n)
                        return -VZ_E_ARCHIVE;
        return n < 0 ? -errno : 0;
}

/* A compressed data.tar: data.tar.xz, data.tar.zst, ...; a plain one is copied. */
static bool compressed_data(const char *name)
{
        return vz_startswith(name, "data.tar.");
}

static int expand_into(const char *deb, const char *dir, int out_fd, struct vz_error *err)
{
        _cleanup_(read_freep) struct archive *ar = archive_read_new();
        _cleanup_(write_freep) struct archive *out = archive_write_new();
        struct archive_entry *e;
        int members = 0, r = 0;

        archive_read_support_format_ar(ar);
        archive_write_set_format_ar_svr4(out);
        if (archive_read_open_filename(ar, deb, 65536) != ARCHIVE_OK)
                return vz_error_set(err, -VZ_E_ARCHIVE, "package %s: %s", deb, archive_error_string(ar));
        if (archive_write_open_fd(out, out_fd) != ARCHIVE_OK)
                return vz_error_set(err, -VZ_E_ARCHIVE, "%s: %s", dir, archive_error_string(out));
        while (r >= 0 && (r = archive_read_next_header(ar, &e)) == ARCHIVE_OK) {
                const char *name = archive_entry_pathname(e);
                bool data = compressed_data(name);
                _cleanup_close_ int tmp = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
                if (++members > MAX_MEMBERS)
                        return vz_error_set(err, -VZ_E_ARCHIVE, "package %s: more than %d members", deb, MAX_MEMBERS);
                if (tmp < 0)
                        return vz_error_set(err, -errno, "%s: %m", dir);
                r = data ? decompress_member(ar, tmp) : copy_member(ar, tmp);
                if (r >= 0)
                        r = add_member(out, data ? "data.tar" : name, tmp);
                if (r < 0)
                        return vz_error_set(err, r == -VZ_E_ARCHIVE ? r : -VZ_E_ARCHIVE, "package %s: member %s: %s",
                                            deb, name,
                                            r == -VZ_E_ARCHIVE ? archive_error_string(data ? ar : out) : strerror(-r));
        }
        if (r != ARCHIVE_EOF)
                return vz_error_set(err, -VZ_E_ARCHIVE, "package %s: %s", deb, archive_error_string(ar));
        if (archive_write_close(out) != ARCHIVE_OK)
                return vz_error_set(err, -VZ_E_ARCHIVE, "%s: %s", dir, archive_error_string(out));
        return 0;
}

int vz_deb_expand(const char *deb, const char *dest, struct vz_error *err)
{
        _cleanup_free_ char *dir = vz_xstrdup(dest), *tmp = vz_asprintf("%s.tmp", dest);
        _cleanup_close_ int fd = -1;
        char *slash = strrchr(dir, '/');
        int r;

        if (slash)
                *slash = '\0';
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return vz_error_set(err, -errno, "%s: %m", tmp);
        r = expand_into(deb, slash ? dir : ".", fd, err);
        if (r >= 0 && rename(tmp, dest) < 0)
                r = vz_error_set(err, -errno, "%s: %m", dest);
        if (r < 0)
                unlink(tmp);
        return r;
}

/* ---- many packages, in worker processes -------------------------------------
 * Processes, not threads: vzpkg starts build containers with clone() while
 * the workers run, and a child of clone() must not find a lock held by
 * another thread. Each worker takes every w-th package of the list sorted
 * by size, largest first, so the workers finish together. A package that
 * cannot be expanded is skipped: the caller uses the original instead. */

struct sized {
        size_t i;
        off_t size;
};

static int by_size_desc(const void *a, const void *b)
{
        const struct sized *x = a, *y = b;
        return x->size < y->size ? 1 : x->size > y->size ? -1 : (x->i > y->i) - (x->i < y->i);
}

static void worker(char *const *debs, char *const *dests, const struct sized *order, size_t n, int k, int w,
                   int (*cancelled)(void))
{
        int failed = 0;
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() == 1)
                _exit(1);
        for (size_t j = (size_t)k; j < n; j += (size_t)w) {
                struct vz_error e = { 0 };
                if (cancelled && cancelled())
                        _exit(1);
                if (vz_deb_expand(debs[order[j].i], dests[order[j].i], &e) < 0)
                        failed = 1;
        }
        _exit(failed);
}

int vz_deb_expand_start(char *const *debs, char *const *dests, size_t n, int workers, int (*cancelled)(void),
                        struct vz_expand_job *job)
{
        _cleanup_free_ struct sized *order = vz_xmalloc((n + 1) * sizeof(*order));
        *job = (struct vz_expand_job){ 0 };
        if (workers > VZ_EXPAND_MAX_WORKERS)
                workers = VZ_EXPAND_MAX_WORKERS;
        if (workers < 1 || n == 0)
                return 0;
        for (size_t i = 0; i < n; i++) {
                struct stat st;
                order[i] = (struct sized){ .i = i, .size = stat(debs[i], &st) == 0 ? st.st_size : 0 };
        }
        qsort(order, n, sizeof(*order), by_size_desc);
        fflush(NULL);
        for (int k = 0; k < workers && (size_t)k < n; k++) {
                pid_t pid = fork();
                if (pid < 0)
                        return -errno;  /* the ones started go on; vz_deb_expand_wait reaps them */
                if (pid == 0)
                        worker(debs, dests, order, n, k, workers, cancelled);
                job->pids[job->n++] = pid;
        }
        return 0;
}

int vz_deb_expand_wait(struct vz_expand_job *job, bool stop)
{
        int failed = 0;
        for (int k = 0; k < job->n; k++) {
                int st;
                if (stop)
                        kill(job->pids[k], SIGKILL);
                while (waitpid(job->pids[k], &st, 0) < 0 && errno == EINTR)
                        ;
                if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
                        failed++;
        }
        job->n = 0;
        return failed;
}
