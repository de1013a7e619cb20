/* util.c: memory, string, string-vector and file helpers. */
#include "common.h"

#include <dirent.h>
#include <fcntl.h>
#include <solv/chksum.h>
#include <solv/knownid.h>
#include <sys/file.h>
#include <sys/stat.h>

void *vz_xmalloc(size_t n)
{
        void *p = calloc(1, n ? n : 1);
        if (!p)
                abort();
        return p;
}

void *vz_xrealloc(void *p, size_t n)
{
        p = realloc(p, n ? n : 1);
        if (!p)
                abort();
        return p;
}

char *vz_xstrdup(const char *s)
{
        char *r = strdup(s ? s : "");
        if (!r)
                abort();
        return r;
}

char *vz_asprintf(const char *fmt, ...)
{
        va_list ap;
        char *r = NULL;
        va_start(ap, fmt);
        if (vasprintf(&r, fmt, ap) < 0)
                abort();
        va_end(ap);
        return r;
}

char *vz_strip(char *s)
{
        size_t n;
        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
                s++;
        n = strlen(s);
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
                s[--n] = '\0';
        return s;
}

bool vz_startswith(const char *s, const char *prefix)
{
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool vz_endswith(const char *s, const char *suffix)
{
        size_t a = strlen(s), b = strlen(suffix);
        return a >= b && strcmp(s + a - b, suffix) == 0;
}

void vz_strv_free(char **v)
{
        if (!v)
                return;
        for (char **p = v; *p; p++)
                free(*p);
        free(v);
}

size_t vz_strv_len(char *const *v)
{
        size_t n = 0;
        while (v && v[n])
                n++;
        return n;
}

int vz_strv_push_take(char ***v, char *s)
{
        size_t n = vz_strv_len(*v);
        *v = vz_xrealloc(*v, (n + 2) * sizeof(char *));
        (*v)[n] = s;
        (*v)[n + 1] = NULL;
        return 0;
}

int vz_strv_push(char ***v, const char *s)
{
        return vz_strv_push_take(v, vz_xstrdup(s));
}

bool vz_strv_contains(char *const *v, const char *s)
{
        for (; v && *v; v++)
                if (strcmp(*v, s) == 0)
                        return true;
        return false;
}

char **vz_strv_split(const char *s, const char *seps)
{
        char **v = vz_xmalloc(sizeof(char *));
        const char *p = s;
        while (*p) {
                size_t n;
                p += strspn(p, seps);
                n = strcspn(p, seps);
                if (n)
                        vz_strv_push_take(&v, strndup(p, n));
                p += n;
        }
        return v;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

void vz_strv_sort(char **v)
{
        qsort(v, vz_strv_len(v), sizeof(char *), cmp_str);
}

char *vz_path_join(const char *a, const char *b)
{
        size_t n = strlen(a);
        while (*b == '/')
                b++;
        if (n && a[n - 1] == '/')
                return vz_asprintf("%s%s", a, b);
        return vz_asprintf("%s/%s", a, b);
}

int vz_read_file(const char *path, char **ret, size_t *ret_len)
{
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        char *buf = NULL;
        size_t len = 0, cap = 0, n;

        if (!f)
                return -errno;
        do {
                if (len + 4096 + 1 > cap) {
                        cap = (cap + 4096) * 2;
                        buf = vz_xrealloc(buf, cap);
                }
                n = fread(buf + len, 1, cap - len - 1, f);
                len += n;
        } while (n > 0);
        if (ferror(f)) {
                free(buf);
                return -EIO;
        }
        if (!buf)
                buf = vz_xmalloc(1);
        buf[len] = '\0';
        *ret = buf;
        if (ret_len)
                *ret_len = len;
        return 0;
}

int vz_read_lines(const char *path, char ***ret)
{
        _cleanup_free_ char *data = NULL;
        char **v = vz_xmalloc(sizeof(char *));
        char *save = NULL, *line;
        int r = vz_read_file(path, &data, NULL);

        if (r < 0) {
                free(v);
                return r;
        }
        for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                /* "#" starts a comment at the line's start or after a blank,
                 * so URLs with a fragment or an encoded "#" survive. */
                for (char *h = strchr(line, '#'); h; h = strchr(h + 1, '#'))
                        if (h == line || h[-1] == ' ' || h[-1] == '\t') {
                                *h = '\0';
                                break;
                        }
                line = vz_strip(line);
                if (*line)
                        vz_strv_push(&v, line);
        }
        *ret = v;
        return 0;
}

int vz_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
        _cleanup_free_ char *tmp = vz_asprintf("%s.tmp.%d", path, (int)getpid());
        _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        const char *p = data;

        if (fd < 0)
                return -errno;
        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0) {
                        int r = -errno;
                        unlink(tmp);
                        return r;
                }
                p += n;
                len -= (size_t)n;
        }
        if (fsync(fd) < 0 || rename(tmp, path) < 0) {
                int r = -errno;
                unlink(tmp);
                return r;
        }
        return 0;
}

int vz_mkdir_p(const char *path, mode_t mode)
{
        _cleanup_free_ char *p = vz_xstrdup(path);
        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = '\0';
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

int vz_copy_file(const char *src, const char *dst, mode_t mode)
{
        _cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC);
        _cleanup_close_ int out = -1;
        char buf[65536];
        ssize_t n;

        if (in < 0)
                return -errno;
        out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        if (out < 0)
                return -errno;
        while ((n = read(in, buf, sizeof(buf))) > 0)
                if (write(out, buf, (size_t)n) != n)
                        return -EIO;
        return n < 0 ? -errno : 0;
}

/* Not for integrity: vztt names an appcache by the MD5 of its app list,
 * and we must find the same file. */
static void digest_hex(Id type, const void *data, size_t len, char *ret_hex, int bytes)
{
        Chksum *c = solv_chksum_create(type);
        const unsigned char *digest;
        int n = 0;
        solv_chksum_add(c, data, (int)len);
        digest = solv_chksum_get(c, &n);
        for (int i = 0; i < n && i < bytes; i++)
                snprintf(ret_hex + 2 * i, 3, "%02x", digest[i]);
        ret_hex[2 * bytes] = '\0';
        solv_chksum_free(c, NULL);
}

void vz_md5_hex(const void *data, size_t len, char ret_hex[33])
{
        digest_hex(REPOKEY_TYPE_MD5, data, len, ret_hex, 16);
}

void vz_sha256_hex(const void *data, size_t len, char ret_hex[65])
{
        digest_hex(REPOKEY_TYPE_SHA256, data, len, ret_hex, 32);
}

struct vz_sha256 *vz_sha256_begin(void)
{
        return (struct vz_sha256 *)solv_chksum_create(REPOKEY_TYPE_SHA256);
}

void vz_sha256_add(struct vz_sha256 *s, const void *data, size_t len)
{
        solv_chksum_add((Chksum *)s, data, (int)len);
}

void vz_sha256_end(struct vz_sha256 *s, char ret_hex[65])
{
        int len;
        const unsigned char *digest = solv_chksum_get((Chksum *)s, &len);
        for (int i = 0; i < len && i < 32; i++)
                snprintf(ret_hex + 2 * i, 3, "%02x", digest[i]);
        ret_hex[64] = '\0';
        solv_chksum_free((Chksum *)s, NULL);
}

/* SHA-256 comes from libsolv's checksum code, which we link anyway: no
 * second crypto library just for hashing files. */
int vz_sha256_file(const char *path, char ret_hex[65])
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        unsigned char buf[65536];
        const unsigned char *digest;
        Chksum *c;
        ssize_t n;
        int len;

        if (fd < 0)
                return -errno;
        c = solv_chksum_create(REPOKEY_TYPE_SHA256);
        while ((n = read(fd, buf, sizeof(buf))) > 0)
                solv_chksum_add(c, buf, (int)n);
        if (n < 0) {
                solv_chksum_free(c, NULL);
                return -errno;
        }
        digest = solv_chksum_get(c, &len);
        for (int i = 0; i < len && i < 32; i++)
                snprintf(ret_hex + 2 * i, 3, "%02x", digest[i]);
        ret_hex[64] = '\0';
        solv_chksum_free(c, NULL);
        return 0;
}

bool vz_is_executable(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

int vz_lock(const char *path, int op, bool wait, int *ret_fd)
{
        /* O_NOFOLLOW: a lock file is never a way to create or open a file
         * elsewhere; O_NONBLOCK: a planted FIFO or device does not hang us. */
        _cleanup_close_ int fd =
                open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK, 0644);
        struct stat st;
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        while (flock(fd, op | (wait ? 0 : LOCK_NB)) < 0) {
                if (errno == EINTR && wait)
                        return -VZ_E_INTERRUPTED;
                if (errno == EWOULDBLOCK)
                        return -VZ_E_LOCKED;
                if (errno != EINTR)
                        return -errno;
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* ---- directories only root controls ------------------------------------- */

/* One component of a trusted path, already open. Anyone who can rename
 * entries in a directory on the path (its owner, or everyone if it is
 * writable without the sticky bit) could swap what lies below for a link
 * between our check and our use, so such a directory is refused. */
static int check_component(const char *what, const char *shown, int fd, bool last, struct vz_error *err)
{
        struct stat st;
        if (fstat(fd, &st) < 0)
                return vz_error_set(err, -VZ_E_CONFIG, "%s: %s: %m", what, shown);
        if (st.st_uid != 0 && st.st_uid != geteuid())
                return vz_error_set(err, -VZ_E_CONFIG,
                                    "%s: directory %s is owned by uid %u, not root; its owner could redirect vzpkg's "
                                    "writes: chown root it or choose a directory only root controls",
                                    what, shown, (unsigned)st.st_uid);
        if ((st.st_mode & (S_IWGRP | S_IWOTH)) && (last || !(st.st_mode & S_ISVTX)))
                return vz_error_set(err, -VZ_E_CONFIG,
                                    "%s: directory %s is writable by group or others (mode %04o); other users could "
                                    "replace what vzpkg writes there: chmod go-w it or choose another directory",
                                    what, shown, (unsigned)(st.st_mode & 07777));
        return 0;
}

/* Open (creating if missing) the directory name below dirfd, never
 * following a symlink. */
static int open_component(const char *what, const char *shown, int dirfd, const char *name, mode_t mode,
                          struct vz_error *err)
{
        const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
        struct stat st;
        int fd = openat(dirfd, name, flags);
        if (fd < 0 && errno == ENOENT) {
                bool made = mkdirat(dirfd, name, mode) == 0;
                if (!made && errno != EEXIST)
                        return vz_error_set(err, -VZ_E_CONFIG, "%s: cannot create directory %s: %m", what, shown);
                fd = openat(dirfd, name, flags);
                if (fd >= 0 && made && fchmod(fd, mode) < 0) {  /* the umask is not ours to honour here */
                        close(fd);
                        return vz_error_set(err, -VZ_E_CONFIG, "%s: %s: %m", what, shown);
                }
        }
        if (fd >= 0)
                return fd;
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
                return vz_error_set(err, -VZ_E_CONFIG,
                                    "%s: %s is a symbolic link; vzpkg follows no links to its work places: "
                                    "name the real directory (one only root controls) in the configuration",
                                    what, shown);
        return vz_error_set(err, -VZ_E_CONFIG, "%s: %s: %m", what, shown);
}

int vz_dir_secure(const char *what, const char *path, mode_t mode, int *ret_fd, struct vz_error *err)
{
        _cleanup_free_ char *copy = vz_xstrdup(path);
        _cleanup_free_ char *shown = vz_xmalloc(strlen(path) + 2);
        _cleanup_close_ int fd = -1;
        char *save = NULL, *next;
        size_t len = 0;
        int r;

        if (path[0] != '/')
                return vz_error_set(err, -VZ_E_CONFIG, "%s=%s: must be an absolute path", what, path);
        fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return vz_error_set(err, -VZ_E_CONFIG, "%s: /: %m", what);
        shown[0] = '/';
        shown[1] = '\0';
        next = strtok_r(copy, "/", &save);
        r = check_component(what, shown, fd, next == NULL, err);
        while (r >= 0 && next) {
                char *name = next;
                int sub;
                next = strtok_r(NULL, "/", &save);
                if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                        return vz_error_set(err, -VZ_E_CONFIG, "%s=%s: use a path without . or .. components",
                                            what, path);
                len += (size_t)snprintf(shown + len, strlen(path) + 2 - len, "/%s", name);
                sub = open_component(what, shown, fd, name, next ? 0755 : mode, err);
                if (sub < 0)
                        return sub;
                close(fd);
                fd = sub;
                r = check_component(what, shown, fd, next == NULL, err);
        }
        if (r >= 0 && ret_fd)
                *ret_fd = TAKE_FD(fd);
        return r;
}

int vz_write_all(int fd, const void *data, size_t len)
{
        const char *p = data;
        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                p += n;
                len -= (size_t)n;
        }
        return 0;
}
