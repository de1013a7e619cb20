/* import.c: package files handed to vzpkg on the command line
 * (localinstall): copied into the package cache under their SHA-256 before
 * anything reads them, so that what is checked is what is installed (the
 * original may change meanwhile), and a .deb's structure checked whole
 * before libsolv or dpkg sees it. */
#include "cache.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>

#define DEB_MAX_ENTRIES 500000

static int copy_bounded(int in, int out, long long max, long long *ret_n)
{
        static char buf[1 << 16];
        long long n = 0;
        for (;;) {
                ssize_t k = read(in, buf, sizeof(buf));
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                n += k;
                if (n > max)
                        return -EFBIG;  /* grew after the size was checked */
                for (ssize_t off = 0; off < k;) {
                        ssize_t w = write(out, buf + off, (size_t)(k - off));
                        if (w < 0 && errno == EINTR)
                                continue;
                        if (w < 0)
                                return -errno;
                        off += w;
                }
        }
        *ret_n = n;
        return 0;
}

static int open_source(const char *src, long long max, int *ret_fd, struct vz_error *err)
{
        struct stat st;
        /* O_NONBLOCK: a FIFO named by mistake must not hang us */
        int fd = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
        if (fd < 0 && errno == ELOOP)
                return vz_error_set(err, -VZ_E_UNSAFE, "package file %s: is a symbolic link; name the file itself", src);
        if (fd < 0)
                return vz_error_set(err, -errno, "package file %s: %m", src);
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                return vz_error_set(err, -VZ_E_UNSAFE, "package file %s: not a regular file", src);
        }
        if (st.st_size > max) {
                close(fd);
                return vz_error_set(err, -VZ_E_UNSAFE, "package file %s: %lld bytes, more than the %lld a package may have",
                                    src, (long long)st.st_size, max);
        }
        *ret_fd = fd;
        return 0;
}

int vz_file_import(const char *src, const char *dir, long long max, char **ret_tmp, struct vz_error *err)
{
        _cleanup_close_ int in = -1, out = -1;
        _cleanup_free_ char *tmp = vz_asprintf("%s/import.XXXXXX", dir);
        long long n = 0;
        int r = open_source(src, max, &in, err);
        if (r < 0)
                return r;
        out = mkostemp(tmp, O_CLOEXEC);
        if (out < 0)
                return vz_error_set(err, -errno, "%s: %m", dir);
        r = copy_bounded(in, out, max, &n);
        if (r >= 0 && (fchmod(out, 0644) < 0 || fsync(out) < 0))
                r = -errno;
        if (r < 0) {
                unlink(tmp);
                return vz_error_set(err, r == -EFBIG ? -VZ_E_UNSAFE : r, "package file %s: %s", src,
                                    r == -EFBIG ? "grew beyond the size a package may have while it was read"
                                                : strerror(-r));
        }
        *ret_tmp = TAKE_PTR(tmp);
        return 0;
}

int vz_pkgcache_import(struct vz_pkgcache *pc, const char *src, const char *suffix, long long max,
                       char ret_sha256[65], char **ret_path, struct vz_error *err)
{
        _cleanup_free_ char *dir = vz_path_join(vz_pkgcache_dir(pc), ".import"), *tmp = NULL;
        int r;
        if ((r = vz_mkdir_p(dir, 0755)) < 0)
                return vz_error_set(err, r, "package cache: cannot create %s: %s", dir, strerror(-r));
        r = vz_file_import(src, dir, max, &tmp, err);
        if (r < 0)
                return r;
        r = vz_sha256_file(tmp, ret_sha256);
        if (r >= 0) {
                char *dest = vz_pkgcache_path(pc, ret_sha256, suffix);
                if (rename(tmp, dest) < 0)
                        r = -errno;
                if (r >= 0)
                        *ret_path = dest;
                else
                        free(dest);
        }
        if (r < 0) {
                unlink(tmp);
                return vz_error_set(err, r, "package file %s: %s", src, strerror(-r));
        }
        return 0;
}

/* ---- .deb structure ------------------------------------------------------- */

static void read_freep(struct archive **a)
{
        if (*a)
                archive_read_free(*a);
}

static la_ssize_t member_read(struct archive *inner, void *userdata, const void **buf)
{
        static char block[65536];
        (void)inner;
        *buf = block;
        return archive_read_data(userdata, block, sizeof(block));
}

static bool bad_member_path(const char *p)
{
        if (!p || p[0] == '/')
                return true;
        for (const char *c = p; c; c = strchr(c, '/') ? strchr(c, '/') + 1 : NULL)
                if (c[0] == '.' && c[1] == '.' && (c[2] == '/' || c[2] == '\0'))
                        return true;
        return false;
}

/* Every entry of a control.tar or data.tar read to its end: the
 * compression's own checks (xz, zstd, gzip CRCs) see every byte. */
static int check_tar(struct archive *outer, const char *member, const char *label, struct vz_error *err)
{
        _cleanup_(read_freep) struct archive *in = archive_read_new();
        struct archive_entry *e;
        static char sink[65536];
        int r, n = 0;
        archive_read_support_filter_all(in);
        archive_read_support_format_tar(in);
        if (archive_read_open(in, outer, NULL, member_read, NULL) != ARCHIVE_OK)
                return vz_error_set(err, -VZ_E_CHECKSUM, "package file %s: unreadable %s: %s", label, member,
                                    archive_error_string(in));
        while ((r = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
                la_ssize_t k;
                if (++n > DEB_MAX_ENTRIES || bad_member_path(archive_entry_pathname(e)))
                        return vz_error_set(err, -VZ_E_UNSAFE, "package file %s: %s: %s", label, member,
                                            n > DEB_MAX_ENTRIES ? "too many entries" : "an entry path leaves the root");
                while ((k = archive_read_data(in, sink, sizeof(sink))) > 0)
                        ;
                if (k < 0)
                        break;
        }
        if (r != ARCHIVE_EOF)
                return vz_error_set(err, -VZ_E_CHECKSUM, "package file %s: corrupt %s: %s", label, member,
                                    archive_error_string(in));
        return 0;
}

int vz_deb_check(const char *path, const char *label, struct vz_error *err)
{
        _cleanup_(read_freep) struct archive *ar = archive_read_new();
        struct archive_entry *e;
        bool control = false, data = false;
        int r, i = 0;

        archive_read_support_format_ar(ar);
        if (archive_read_open_filename(ar, path, 65536) != ARCHIVE_OK)
                return vz_error_set(err, -VZ_E_CHECKSUM, "package file %s: %s", label, archive_error_string(ar));
        while ((r = archive_read_next_header(ar, &e)) == ARCHIVE_OK) {
                const char *name = archive_entry_pathname(e);
                char magic[8] = { 0 };
                if (i++ == 0) {  /* dpkg's format: "debian-binary" first, "2.x" */
                        if (!name || strcmp(name, "debian-binary") != 0 || archive_read_data(ar, magic, 4) < 2 ||
                            magic[0] != '2' || magic[1] != '.')
                                return vz_error_set(err, -VZ_E_CHECKSUM, "package file %s: not a Debian binary package",
                                                    label);
                        continue;
                }
                if (vz_startswith(name, "control.tar") || vz_startswith(name, "data.tar")) {
                        bool is_control = vz_startswith(name, "control.tar");
                        if ((is_control ? control : data))
                                return vz_error_set(err, -VZ_E_CHECKSUM, "package file %s: two %s members", label, name);
                        if ((r = check_tar(ar, name, label, err)) < 0)
                                return r;
                        *(is_control ? &control : &data) = true;
                }
        }
        if (r != ARCHIVE_EOF)
                return vz_error_set(err, -VZ_E_CHECKSUM, "package file %s: corrupt ar archive: %s", label,
                                    archive_error_string(ar));
        if (!control || !data)
                return vz_error_set(err, -VZ_E_CHECKSUM, "package file %s: no %s member", label,
                                    control ? "data.tar" : "control.tar");
        return 0;
}
