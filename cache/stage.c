/* stage.c: the stage cache. A build stage (a root filesystem as one step of
 * a build left it) is saved under a key that names everything that went
 * into it; a later build whose key matches starts from the saved root
 * instead of doing the step again (docs/internals/build.md).
 *
 * The saved root must come back exactly as it was, since the rest of the
 * build runs on it and the cache made from it must be byte-identical to a
 * build that never used the stage cache (docs/internals/reproducible.md):
 * full pax headers (modification times to the nanosecond, extended
 * attributes, ACLs, numeric owners, hard links), zstd level 1, restored by
 * libarchive with times, modes, owners and xattrs. The directory is
 * host-trusted (root's, like the package cache); each stage is still
 * checked against the SHA-256 written beside it, so a torn or damaged file
 * is a miss, removed, never a wrong root. */
#include "cache.h"
#include "sink.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#define STAGE_SUFFIX ".stage.tar.zst"
#define SUM_SUFFIX ".stage.sha256"

static char *stage_path(const char *dir, const char *key, const char *suffix)
{
        return vz_asprintf("%s/%s%s", dir, key, suffix);
}

static bool valid_key(const char *key)
{
        size_t n = strlen(key);
        if (n != 64)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((key[i] >= '0' && key[i] <= '9') || (key[i] >= 'a' && key[i] <= 'f')))
                        return false;
        return true;
}

/* ---- saving -------------------------------------------------------------- */

struct saver {
        struct archive *disk, *out;
        struct archive_entry_linkresolver *links;
        int (*cancelled)(void);
        struct vz_error *err;
};

static int save_data(struct saver *s, const char *path, const char *name)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        char buf[65536];
        ssize_t n;
        if (fd < 0)
                return vz_error_set(s->err, -errno, "stage cache: cannot read %s: %m", name);
        while ((n = read(fd, buf, sizeof(buf))) > 0)
                if (archive_write_data(s->out, buf, (size_t)n) < 0)
                        return vz_error_set(s->err, -VZ_E_ARCHIVE, "stage cache: writing %s: %s", name,
                                            archive_error_string(s->out));
        return n < 0 ? vz_error_set(s->err, -errno, "stage cache: reading %s: %m", name) : 0;
}

static int save_emit(struct saver *s, struct archive_entry *e, const char *src)
{
        if (archive_write_header(s->out, e) < ARCHIVE_WARN)
                return vz_error_set(s->err, -VZ_E_ARCHIVE, "stage cache: %s: %s", archive_entry_pathname(e),
                                    archive_error_string(s->out));
        if (src && archive_entry_size(e) > 0)
                return save_data(s, src, archive_entry_pathname(e));
        return 0;
}

static int save_entry(struct saver *s, const char *path, const char *name, const struct stat *st)
{
        struct archive_entry *e = archive_entry_new(), *spare = NULL;
        int r;

        archive_entry_copy_pathname(e, name);
        archive_entry_copy_sourcepath(e, path);
        if (archive_read_disk_entry_from_file(s->disk, e, -1, st) != ARCHIVE_OK) {
                r = vz_error_set(s->err, -VZ_E_ARCHIVE, "stage cache: %s: %s", path, archive_error_string(s->disk));
                archive_entry_free(e);
                return r;
        }
        archive_entry_set_uname(e, NULL);  /* restored by number, as the packer writes them */
        archive_entry_set_gname(e, NULL);
        archive_entry_unset_atime(e);
        archive_entry_unset_ctime(e);
        archive_entry_unset_birthtime(e);
        archive_entry_linkify(s->links, &e, &spare);
        r = e ? save_emit(s, e, archive_entry_hardlink(e) ? NULL : path) : 0;
        if (r >= 0 && spare)
                r = save_emit(s, spare, archive_entry_sourcepath(spare));
        archive_entry_free(e);
        archive_entry_free(spare);
        return r;
}

static int save_tree(struct saver *s, const char *path, const char *name)
{
        struct dirent **list = NULL;
        int n = scandir(path, &list, NULL, alphasort), r = 0;

        if (n < 0)
                return vz_error_set(s->err, -errno, "stage cache: cannot list %s: %m", path);
        for (int i = 0; i < n; i++) {
                const char *d = list[i]->d_name;
                struct stat st;
                if (r < 0 || strcmp(d, ".") == 0 || strcmp(d, "..") == 0)
                        continue;
                if (s->cancelled && s->cancelled()) {
                        r = vz_error_set(s->err, -VZ_E_INTERRUPTED, "interrupted while saving a build stage");
                        continue;
                }
                _cleanup_free_ char *sub = vz_path_join(path, d);
                _cleanup_free_ char *subname = *name ? vz_asprintf("%s/%s", name, d) : vz_asprintf("./%s", d);
                if (lstat(sub, &st) < 0) {
                        r = vz_error_set(s->err, -errno, "stage cache: %s: %m", sub);
                        continue;
                }
                r = save_entry(s, sub, subname, &st);
                if (r >= 0 && S_ISDIR(st.st_mode))
                        r = save_tree(s, sub, subname);
        }
        for (int i = 0; i < n; i++)
                free(list[i]);
        free(list);
        return r;
}

/* ret_hex: the archive's SHA-256, taken as it is written */
static int save_into(const char *root, int fd, int (*cancelled)(void), char ret_hex[65], struct vz_error *err)
{
        struct saver s = { .cancelled = cancelled, .err = err };
        struct vz_sink sink = { .fd = fd, .sha = vz_sha256_begin() };
        struct stat st;
        char cpus[24];
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        int r = 0;

        snprintf(cpus, sizeof(cpus), "%ld", n > 0 ? n : 1);
        s.disk = archive_read_disk_new();
        s.out = archive_write_new();
        s.links = archive_entry_linkresolver_new();
        archive_entry_linkresolver_set_strategy(s.links, ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE);
        /* full pax: every time with its nanoseconds, every xattr */
        archive_write_set_format_pax(s.out);
        archive_write_add_filter_zstd(s.out);
        archive_write_set_filter_option(s.out, "zstd", "compression-level", "1");
        archive_write_set_filter_option(s.out, "zstd", "threads", cpus);
        if (vz_sink_open(s.out, &sink) != ARCHIVE_OK)
                r = vz_error_set(err, -VZ_E_ARCHIVE, "stage cache: %s", archive_error_string(s.out));
        if (r >= 0 && lstat(root, &st) == 0)
                r = save_entry(&s, root, ".", &st);
        if (r >= 0)
                r = save_tree(&s, root, "");
        if (r >= 0) {
                struct archive_entry *e = NULL, *spare = NULL;
                archive_entry_linkify(s.links, &e, &spare);
                for (; e; archive_entry_linkify(s.links, &e, &spare))
                        if (r >= 0)
                                r = save_emit(&s, e, archive_entry_sourcepath(e));
        }
        if (r >= 0 && archive_write_close(s.out) != ARCHIVE_OK)
                r = vz_error_set(err, -VZ_E_ARCHIVE, "stage cache: %s", archive_error_string(s.out));
        archive_entry_linkresolver_free(s.links);
        archive_write_free(s.out);
        archive_read_free(s.disk);
        vz_sink_finish(&sink, r >= 0 ? ret_hex : NULL);
        return r;
}

/* Where stage `key` goes: its archive, its sum, and the archive's temporary name. */
struct stage_files {
        char *dest, *sum, *tmp;
};

static void stage_files_done(struct stage_files *f)
{
        free(f->dest);
        free(f->sum);
        free(f->tmp);
}

static int stage_begin(const char *dir, const char *key, struct stage_files *f, struct vz_error *err)
{
        int r;
        if (!valid_key(key))
                return vz_error_set(err, -EINVAL, "stage cache: bad key %s", key);
        r = vz_mkdir_p(dir, 0700);
        if (r < 0)
                return vz_error_set(err, r, "stage cache %s: %s", dir, strerror(-r));
        f->dest = stage_path(dir, key, STAGE_SUFFIX);
        f->sum = stage_path(dir, key, SUM_SUFFIX);
        f->tmp = vz_asprintf("%s.tmp.%d", f->dest, (int)getpid());
        return 0;
}

/* The archive (written to f->tmp; r: how that went) first, its SHA-256
 * next to it, each by tmp + rename; the archive is renamed last, so a
 * reader that finds it finds its sum too. Then the trim. */
static int stage_publish(const char *dir, const struct stage_files *f, const char *hex, long long max_bytes, int r,
                         struct vz_error *err)
{
        if (r >= 0 && (r = vz_write_file_atomic(f->sum, hex, 64, 0600)) < 0)
                vz_error_set(err, r, "stage cache: cannot write %s: %s", f->sum, strerror(-r));
        if (r >= 0 && rename(f->tmp, f->dest) < 0)
                r = vz_error_set(err, -errno, "stage cache: cannot publish %s: %m", f->dest);
        if (r < 0)
                unlink(f->tmp);
        if (r >= 0 && max_bytes > 0)
                vz_stage_trim(dir, max_bytes, f->dest);
        return r;
}

int vz_stage_save(const char *dir, const char *key, const char *root, long long max_bytes, int (*cancelled)(void),
                  struct vz_error *err)
{
        struct stage_files f = { NULL, NULL, NULL };
        _cleanup_close_ int fd = -1;
        char hex[65];
        int r = stage_begin(dir, key, &f, err);

        if (r >= 0) {
                fd = open(f.tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
                if (fd < 0)
                        r = vz_error_set(err, -errno, "stage cache: cannot create %s: %m", f.tmp);
                else {
                        r = save_into(root, fd, cancelled, hex, err);
                        r = stage_publish(dir, &f, hex, max_bytes, r, err);
                }
        }
        stage_files_done(&f);
        return r;
}

/* A finished root that was just packed as a zstd tar by vz_cache_pack()
 * needs no second archive: restoring the cache itself gives a root that
 * packs to the same bytes again (the packer's output is its own fixed
 * point: whole-second times already clamped, numeric owners, sorted
 * entries, xattrs and ACLs kept), which is all a build does with its
 * finished root. So the cache file is copied in as the stage, with the
 * SHA-256 the packer computed while writing it. */
int vz_stage_save_file(const char *dir, const char *key, const char *archive, const char *sha256, long long max_bytes,
                       struct vz_error *err)
{
        struct stage_files f = { NULL, NULL, NULL };
        int r = strlen(sha256) == 64 ? stage_begin(dir, key, &f, err)
                                     : vz_error_set(err, -EINVAL, "stage cache: bad SHA-256 for %s", archive);

        if (r >= 0) {
                r = vz_copy_file(archive, f.tmp, 0600);
                if (r < 0)
                        vz_error_set(err, r, "stage cache: cannot copy %s: %s", archive, strerror(-r));
                r = stage_publish(dir, &f, sha256, max_bytes, r, err);
        }
        stage_files_done(&f);
        return r;
}

/* ---- loading ------------------------------------------------------------- */

static int restore(int fd, int (*cancelled)(void), struct vz_error *err)
{
        struct archive *in = archive_read_new(), *out = archive_write_disk_new();
        struct archive_entry *e;
        int r = 0, a;

        archive_read_support_format_tar(in);
        archive_read_support_filter_zstd(in);
        /* No ARCHIVE_EXTRACT_SECURE_SYMLINKS: its walk of every path
         * component costs more than the rest of the restore together, and
         * the stage is ours: written from a tree the saver never followed a
         * link in (no entry lies below a symlink entry), in a root-only
         * directory, checked against its SHA-256 before this runs. */
        archive_write_disk_set_options(out, ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_OWNER |
                                                    ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_ACL |
                                                    ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                                    ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
        if (archive_read_open_fd(in, fd, 1 << 16) != ARCHIVE_OK)
                r = vz_error_set(err, -VZ_E_ARCHIVE, "stage cache: %s", archive_error_string(in));
        while (r >= 0 && (a = archive_read_next_header(in, &e)) != ARCHIVE_EOF) {
                if (a < ARCHIVE_WARN || (cancelled && cancelled())) {
                        r = a < ARCHIVE_WARN ? vz_error_set(err, -VZ_E_ARCHIVE, "stage cache: %s", archive_error_string(in))
                                             : vz_error_set(err, -VZ_E_INTERRUPTED, "interrupted while restoring a build stage");
                        break;
                }
                if (archive_write_header(out, e) < ARCHIVE_WARN) {
                        r = vz_error_set(err, -VZ_E_ARCHIVE, "stage cache: %s: %s", archive_entry_pathname(e),
                                         archive_error_string(out));
                        break;
                }
                const void *buf;
                size_t len;
                la_int64_t off;
                while ((a = archive_read_data_block(in, &buf, &len, &off)) == ARCHIVE_OK)
                        if (archive_write_data_block(out, buf, len, off) < ARCHIVE_WARN) {
                                a = ARCHIVE_FATAL;
                                break;
                        }
                if (a != ARCHIVE_EOF)
                        r = vz_error_set(err, -VZ_E_ARCHIVE, "stage cache: %s: %s", archive_entry_pathname(e),
                                         archive_error_string(in));
        }
        /* directory times are set here, after their last entry was written */
        if (archive_write_close(out) != ARCHIVE_OK && r >= 0)
                r = vz_error_set(err, -VZ_E_ARCHIVE, "stage cache: %s", archive_error_string(out));
        archive_write_free(out);
        archive_read_free(in);
        return r;
}

static void drop_stage(const char *dir, const char *key)
{
        _cleanup_free_ char *a = stage_path(dir, key, STAGE_SUFFIX);
        _cleanup_free_ char *s = stage_path(dir, key, SUM_SUFFIX);
        unlink(a);
        unlink(s);
}

/* 1: the stage was restored into root (an empty directory); 0: no such
 * stage, or one that failed its check (removed). */
int vz_stage_load(const char *dir, const char *key, const char *root, int (*cancelled)(void), struct vz_error *err)
{
        _cleanup_free_ char *path = stage_path(dir, key, STAGE_SUFFIX);
        _cleanup_free_ char *sum = stage_path(dir, key, SUM_SUFFIX);
        _cleanup_free_ char *want = NULL;
        _cleanup_close_ int fd = -1, cwd = -1;
        char hex[65];
        int r;

        if (!valid_key(key))
                return 0;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return 0;
        if (vz_read_file(sum, &want, NULL) < 0 || vz_sha256_file(path, hex) < 0 || strncmp(want, hex, 64) != 0) {
                drop_stage(dir, key);
                return 0;
        }
        futimens(fd, NULL);  /* used now: the trimmer removes the least recently used first */
        cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (cwd < 0 || chdir(root) < 0)
                return vz_error_set(err, -errno, "%s: %m", root);
        r = restore(fd, cancelled, err);
        if (fchdir(cwd) < 0 && r >= 0)
                r = vz_error_set(err, -errno, "cannot return to the working directory: %m");
        return r < 0 ? r : 1;
}

/* ---- size bound and cleaning ---------------------------------------------- */

struct stage_file {
        char *key;
        long long size;
        struct timespec used;
};

static int by_use(const void *a, const void *b)
{
        const struct stage_file *x = a, *y = b;
        if (x->used.tv_sec != y->used.tv_sec)
                return x->used.tv_sec < y->used.tv_sec ? -1 : 1;
        return x->used.tv_nsec < y->used.tv_nsec ? -1 : x->used.tv_nsec > y->used.tv_nsec;
}

/* Stages of this directory, least recently used first; leftover temp files
 * of dead writers are not listed (vz_stage_clean removes them). */
static size_t list_stages(const char *dir, struct stage_file **ret)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        struct stage_file *v = NULL;
        size_t n = 0;
        while (d && (e = readdir(d))) {
                struct stat st;
                size_t l = strlen(e->d_name);
                if (l != 64 + strlen(STAGE_SUFFIX) || !vz_endswith(e->d_name, STAGE_SUFFIX) ||
                    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
                        continue;
                v = vz_xrealloc(v, (n + 1) * sizeof(*v));
                v[n++] = (struct stage_file){ vz_asprintf("%.64s", e->d_name), (long long)st.st_size, st.st_mtim };
        }
        if (d)
                closedir(d);
        if (n)
                qsort(v, n, sizeof(*v), by_use);
        *ret = v;
        return n;
}

void vz_stage_trim(const char *dir, long long max_bytes, const char *keep)
{
        struct stage_file *v = NULL;
        size_t n = list_stages(dir, &v);
        long long total = 0;
        for (size_t i = 0; i < n; i++)
                total += v[i].size;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *p = stage_path(dir, v[i].key, STAGE_SUFFIX);
                if (total > max_bytes && !(keep && strcmp(p, keep) == 0)) {
                        drop_stage(dir, v[i].key);
                        total -= v[i].size;
                }
                free(v[i].key);
        }
        free(v);
}

/* Everything in the directory that is ours: stages, sums, temp files. */
int vz_stage_clean(const char *dir, bool dry_run, size_t *ret_n, long long *ret_bytes)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        *ret_n = 0;
        *ret_bytes = 0;
        if (!d)
                return errno == ENOENT ? 0 : -errno;
        while ((e = readdir(d))) {
                struct stat st;
                if (!strstr(e->d_name, ".stage.") || fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                    !S_ISREG(st.st_mode))
                        continue;
                if (!dry_run && unlinkat(dirfd(d), e->d_name, 0) < 0)
                        continue;
                if (vz_endswith(e->d_name, STAGE_SUFFIX))
                        (*ret_n)++;
                *ret_bytes += (long long)st.st_size;
        }
        closedir(d);
        return 0;
}
