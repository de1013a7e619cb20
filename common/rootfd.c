/* rootfd.c: file access below a root directory that belongs to someone
 * else (a container's private area: its tenant owns every name in it).
 *
 * Every path is resolved by the kernel relative to an fd of the root with
 * openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS): an absolute symlink or a
 * chain of ".." stays clamped inside the root, so a planted link can at
 * worst point at another file of the same tenant. VZ_AT_NOLINKS adds
 * RESOLVE_NO_SYMLINKS for paths where a link is never legitimate (vzpkg's
 * own bookkeeping). The last component of anything written is created
 * with O_EXCL | O_NOFOLLOW under a temporary name and renamed over the
 * target inside the same directory fd: rename replaces a link, it never
 * writes through it. Removal walks fds, never follows a link and never
 * crosses a mount point. */
#include "common.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#define RM_MAX_DEPTH 512  /* deeper trees are refused, not a stack overflow */

static int at2(int dfd, const char *path, int flags, mode_t mode, unsigned how)
{
        struct open_how h = {
                .flags = (unsigned long long)(flags | O_CLOEXEC),
                .mode = (flags & O_CREAT) ? mode : 0,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV * !!(how & VZ_AT_NOXDEV) |
                           RESOLVE_NO_SYMLINKS * !!(how & VZ_AT_NOLINKS),
        };
        for (int tries = 0;; tries++) {
                long fd = syscall(SYS_openat2, dfd, *path ? path : ".", &h, sizeof(h));
                if (fd >= 0)
                        return (int)fd;
                /* EAGAIN: a rename raced the lookup; the kernel asks to retry */
                if (errno != EAGAIN || tries >= 16)
                        return -errno;
        }
}

int vz_root_open(const char *path, int *ret_fd)
{
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        *ret_fd = fd;
        return 0;
}

int vz_at_open(int root, const char *rel, int flags, mode_t mode, unsigned how)
{
        return at2(root, rel, flags, mode, how);
}

/* The directory part of rel opened in root, and the last component. */
static int split_parent(int root, const char *rel, unsigned how, int *ret_dfd, char **ret_base)
{
        _cleanup_free_ char *p = vz_xstrdup(rel);
        size_t n = strlen(p);
        char *slash, *base;
        int fd;

        while (n > 1 && p[n - 1] == '/')
                p[--n] = '\0';
        slash = strrchr(p, '/');
        base = slash ? slash + 1 : p;
        if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
                return -EINVAL;
        if (slash)
                *slash = '\0';
        fd = at2(root, slash ? p : ".", O_RDONLY | O_DIRECTORY, 0, how);
        if (fd < 0)
                return fd;
        *ret_dfd = fd;
        *ret_base = vz_xstrdup(base);
        return 0;
}

int vz_at_mkdir_p(int root, const char *rel, mode_t mode, unsigned how)
{
        _cleanup_free_ char *p = vz_xstrdup(rel);
        char *s = p;

        for (;;) {
                char *slash;
                while (*s == '/')
                        s++;
                if (!*s)
                        return 0;
                slash = strchr(s, '/');
                if (slash)
                        *slash = '\0';
                _cleanup_free_ char *base = NULL;
                _cleanup_close_ int dfd = -1;
                int r = split_parent(root, p, how, &dfd, &base);
                if (r < 0 && r != -EINVAL)
                        return r;
                if (r >= 0 && mkdirat(dfd, base, mode) < 0 && errno != EEXIST)
                        return -errno;
                /* what is there now must be a directory inside the root */
                _cleanup_close_ int check = at2(root, p, O_RDONLY | O_DIRECTORY, 0, how);
                if (check < 0)
                        return check;
                if (!slash)
                        return 0;
                *slash = '/';
                s = slash + 1;
        }
}

int vz_at_write_atomic(int root, const char *rel, const void *data, size_t len, mode_t mode, unsigned how)
{
        _cleanup_free_ char *base = NULL, *tmp = NULL;
        _cleanup_close_ int dfd = -1, fd = -1;
        int r = split_parent(root, rel, how, &dfd, &base);

        if (r < 0)
                return r;
        tmp = vz_asprintf(".%s.vzpkg-tmp.%d", base, (int)getpid());
        unlinkat(dfd, tmp, 0);  /* a leftover of an earlier run of this pid */
        fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (fd < 0)
                return -errno;
        r = vz_write_all(fd, data, len);
        if (r >= 0 && fchmod(fd, mode) < 0)  /* not narrowed by the umask */
                r = -errno;
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        if (r >= 0 && renameat(dfd, tmp, dfd, base) < 0)
                r = -errno;
        if (r < 0)
                unlinkat(dfd, tmp, 0);
        return r;
}

int vz_at_read(int root, const char *rel, size_t max, unsigned how, char **ret, size_t *ret_len)
{
        _cleanup_close_ int fd = at2(root, rel, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0, how);
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        struct stat st;

        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;  /* a fifo would block, a device would be read */
        if ((unsigned long long)st.st_size > max)
                return -EFBIG;
        buf = vz_xmalloc(max + 1);
        for (;;) {
                ssize_t n = read(fd, buf + len, max + 1 - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                len += (size_t)n;
                if (len > max)
                        return -EFBIG;  /* it grew while we read */
        }
        buf[len] = '\0';
        *ret = TAKE_PTR(buf);
        if (ret_len)
                *ret_len = len;
        return 0;
}

int vz_at_unlink(int root, const char *rel, unsigned how)
{
        _cleanup_free_ char *base = NULL;
        _cleanup_close_ int dfd = -1;
        int r = split_parent(root, rel, how, &dfd, &base);
        if (r < 0)
                return r;
        return unlinkat(dfd, base, 0) < 0 ? -errno : 0;
}

int vz_at_rename(int root, const char *from, const char *to, unsigned how)
{
        _cleanup_free_ char *b1 = NULL, *b2 = NULL;
        _cleanup_close_ int d1 = -1, d2 = -1;
        int r = split_parent(root, from, how, &d1, &b1);
        if (r >= 0)
                r = split_parent(root, to, how, &d2, &b2);
        if (r < 0)
                return r;
        return renameat(d1, b1, d2, b2) < 0 ? -errno : 0;
}

/* A directory that is the root of a mount: another st_dev, or (for a bind
 * mount of the same file system) the kernel's mount-root attribute. */
static bool is_mount_root(int dfd, const char *name, const struct stat *st, dev_t dev)
{
        struct statx stx;
        if (st->st_dev != dev)
                return true;
        if (statx(dfd, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, 0, &stx) < 0)
                return false;
        return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

static int rm_at(int dfd, const char *name, dev_t dev, int depth);

static int rm_children(int fd, dev_t dev, int depth)
{
        DIR *d = fdopendir(fd);
        struct dirent *e;
        int r = 0;
        if (!d) {
                r = -errno;
                close(fd);
                return r;
        }
        while (r >= 0 && (errno = 0, e = readdir(d))) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                        continue;
                r = rm_at(dirfd(d), e->d_name, dev, depth + 1);
        }
        if (r >= 0 && errno)
                r = -errno;
        closedir(d);
        return r;
}

static int rm_at(int dfd, const char *name, dev_t dev, int depth)
{
        struct stat st;
        int fd;
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISDIR(st.st_mode))
                return unlinkat(dfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
        if (is_mount_root(dfd, name, &st, dev))
                return -EBUSY;  /* something is mounted there: not ours to empty */
        if (depth > RM_MAX_DEPTH)
                return -ELOOP;
        fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        int r = rm_children(fd, dev, depth);
        if (r < 0)
                return r;
        return unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT ? -errno : 0;
}

int vz_at_rm_rf(int root, const char *rel, unsigned how)
{
        _cleanup_free_ char *base = NULL;
        _cleanup_close_ int dfd = -1;
        struct stat st;
        int r = split_parent(root, rel, how, &dfd, &base);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (fstat(dfd, &st) < 0)
                return -errno;
        return rm_at(dfd, base, st.st_dev, 0);
}

int vz_rm_rf(const char *path)
{
        _cleanup_free_ char *p = vz_xstrdup(path), *parent = NULL;
        _cleanup_close_ int dfd = -1;
        struct stat st;
        size_t n = strlen(p);
        char *slash;

        while (n > 1 && p[n - 1] == '/')
                p[--n] = '\0';
        slash = strrchr(p, '/');
        if (!slash)
                parent = vz_xstrdup(".");
        else
                parent = slash == p ? vz_xstrdup("/") : strndup(p, (size_t)(slash - p));
        const char *base = slash ? slash + 1 : p;
        if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
                return -EINVAL;
        dfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return errno == ENOENT ? 0 : -errno;
        if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno;
        /* the tree's own device: nothing mounted below it is touched */
        return rm_at(dfd, base, st.st_dev, 0);
}

int vz_at_check_beneath(int root, const char *rel)
{
        struct open_how h = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS };
        long fd = syscall(SYS_openat2, root, rel, &h, sizeof(h));
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        close((int)fd);
        return 0;
}

int vz_at_check_nolinks(int root, const char *rel)
{
        int fd = at2(root, rel, O_PATH, 0, VZ_AT_NOLINKS);
        if (fd < 0)
                return fd == -ENOENT ? 0 : fd;
        close(fd);
        return 0;
}
