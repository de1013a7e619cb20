/* snapshot.c: cheap roll-back points for container roots. A full copy of
 * a container would cost its size in I/O for every update; hard links cost
 * one inode operation per file and stay valid because package managers
 * never write an installed file in place: they rename a new one over it.
 * Package databases are the exception and are copied.
 *
 * The tree belongs to a tenant: the walk is fd based (fstatat with
 * AT_SYMLINK_NOFOLLOW, openat with O_NOFOLLOW), links are copied as links,
 * nothing mounted below the root is entered, copies keep their holes (a
 * 50G sparse log stays sparse) and errors carry the real errno. */
#include "cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

struct snap {
        const char *const *copy;
        dev_t dev;
        struct vz_error *err;
};

static bool must_copy(const struct snap *s, const char *rel)
{
        for (const char *const *c = s->copy; c && *c; c++) {
                size_t l = strlen(*c);
                if (strncmp(rel, *c, l) == 0 && (rel[l] == '/' || rel[l] == '\0'))
                        return true;
        }
        return false;
}

static int copy_range(int in, int out, off_t from, off_t to)
{
        while (from < to) {
                loff_t a = from, b = from;
                ssize_t n = copy_file_range(in, &a, out, &b, (size_t)(to - from), 0);
                if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) {
                        char buf[65536];
                        n = pread(in, buf, (size_t)(to - from) < sizeof(buf) ? (size_t)(to - from) : sizeof(buf), from);
                        if (n > 0 && pwrite(out, buf, (size_t)n, from) != n)
                                return errno ? -errno : -EIO;
                }
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return -EIO;  /* the file shrank under us */
                from += n;
        }
        return 0;
}

/* Data segments only (SEEK_DATA/SEEK_HOLE); holes stay holes. */
static int copy_sparse(int in, int out, off_t size)
{
        off_t pos = 0;
        while (pos < size) {
                off_t data = lseek(in, pos, SEEK_DATA), hole;
                if (data < 0 && errno == ENXIO)
                        break;  /* only a hole is left */
                if (data < 0)
                        return -errno;
                hole = lseek(in, data, SEEK_HOLE);
                if (hole < 0)
                        return -errno;
                if (hole > size)
                        hole = size;
                int r = copy_range(in, out, data, hole);
                if (r < 0)
                        return r;
                pos = hole;
        }
        return ftruncate(out, size) < 0 ? -errno : 0;
}

static int copy_at(int sfd, int dfd, const char *name, const struct stat *st)
{
        _cleanup_close_ int in = openat(sfd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
        _cleanup_close_ int out = -1;
        struct stat now;
        struct timespec ts[2] = { st->st_atim, st->st_mtim };
        int r;
        if (in < 0)
                return -errno;
        if (fstat(in, &now) < 0)
                return -errno;
        if (!S_ISREG(now.st_mode) || now.st_ino != st->st_ino || now.st_dev != st->st_dev)
                return -ESTALE;  /* swapped between fstatat and open */
        out = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (out < 0)
                return -errno;
        r = copy_sparse(in, out, now.st_size);
        if (r >= 0 && (fchown(out, st->st_uid, st->st_gid) < 0 || fchmod(out, st->st_mode & 07777) < 0))
                r = -errno;
        if (r >= 0)
                futimens(out, ts);
        return r;
}

/* Owner, then mode (chown may clear set-id bits), of a directory we made. */
static int own_dir(int dfd, const char *name, const struct stat *st)
{
        _cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fchown(fd, st->st_uid, st->st_gid) < 0 || fchmod(fd, st->st_mode & 07777) < 0)
                return -errno;
        return 0;
}

static int snap_entry(const struct snap *s, int sfd, int dfd, const char *name, const char *rel, const struct stat *st)
{
        if (S_ISDIR(st->st_mode)) {
                if (mkdirat(dfd, name, 0700) < 0 && errno != EEXIST)
                        return -errno;
                return own_dir(dfd, name, st);
        }
        if (S_ISREG(st->st_mode)) {
                if (must_copy(s, rel))
                        return copy_at(sfd, dfd, name, st);
                /* flags 0: linkat never follows a symlink; a link shares owner and mode */
                return linkat(sfd, name, dfd, name, 0) < 0 ? -errno : 0;
        }
        if (S_ISLNK(st->st_mode)) {
                char target[4096];
                ssize_t n = readlinkat(sfd, name, target, sizeof(target) - 1);
                if (n < 0)
                        return -errno;
                target[n] = '\0';
                if (symlinkat(target, dfd, name) < 0)
                        return -errno;
        } else if (mknodat(dfd, name, st->st_mode, st->st_rdev) < 0)
                return -errno;
        return fchownat(dfd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

static int snap_tree(const struct snap *s, int sfd, int dfd, const char *rel);

static int snap_one(const struct snap *s, int sfd, int dfd, const char *name, const char *rel)
{
        _cleanup_free_ char *sub = *rel ? vz_asprintf("%s/%s", rel, name) : vz_xstrdup(name);
        struct stat st;
        int r;
        if (fstatat(sfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return vz_error_set(s->err, -errno, "snapshot: %s: %m", sub);
        r = snap_entry(s, sfd, dfd, name, sub, &st);
        if (r < 0)
                return vz_error_set(s->err, r, "snapshot: %s: %s", sub, strerror(-r));
        if (S_ISDIR(st.st_mode) && st.st_dev == s->dev) {  /* a mount point stays an empty dir */
                _cleanup_close_ int sub_s = openat(sfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                _cleanup_close_ int sub_d = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub_s < 0 || sub_d < 0)
                        return vz_error_set(s->err, -errno, "snapshot: %s: %m", sub);
                r = snap_tree(s, sub_s, sub_d, sub);
                if (r < 0)
                        return r;
        }
        if (!S_ISREG(st.st_mode)) {
                /* after the directory is filled: times as they were */
                struct timespec ts[2] = { st.st_atim, st.st_mtim };
                utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW);
        }
        return 0;
}

static int snap_tree(const struct snap *s, int sfd, int dfd, const char *rel)
{
        int fd = dup(sfd);
        DIR *d = fd < 0 ? NULL : fdopendir(fd);
        struct dirent *e;
        int r = 0;
        if (!d) {
                r = -errno;
                if (fd >= 0)
                        close(fd);
                return vz_error_set(s->err, r, "snapshot: cannot read %s: %s", *rel ? rel : ".", strerror(-r));
        }
        while (r >= 0 && (errno = 0, e = readdir(d)))
                if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                        r = snap_one(s, sfd, dfd, e->d_name, rel);
        if (r >= 0 && errno)
                r = vz_error_set(s->err, -errno, "snapshot: cannot read %s: %m", *rel ? rel : ".");
        closedir(d);
        return r;
}

int vz_tree_snapshot(const char *src, const char *dst, const char *const *copy, struct vz_error *err)
{
        struct snap s = { .copy = copy, .err = err };
        _cleanup_close_ int sfd = open(src, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_close_ int dfd = -1;
        struct stat st;
        int r;
        if (sfd < 0 || fstat(sfd, &st) < 0)
                return vz_error_set(err, -errno, "snapshot: %s: %m", src);
        s.dev = st.st_dev;
        vz_rm_rf(dst);
        if (mkdir(dst, 0700) < 0 || (dfd = open(dst, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
                return vz_error_set(err, -errno, "snapshot: cannot create %s: %m", dst);
        r = snap_tree(&s, sfd, dfd, "");
        if (r >= 0 && (fchown(dfd, st.st_uid, st.st_gid) < 0 || fchmod(dfd, st.st_mode & 07777) < 0))
                r = vz_error_set(err, -errno, "snapshot: %s: %m", dst);
        if (r < 0) {
                vz_rm_rf(dst);
                return r;
        }
        struct timespec ts[2] = { st.st_atim, st.st_mtim };
        futimens(dfd, ts);
        return 0;
}

int vz_tree_restore(const char *root, const char *snap, struct vz_error *err)
{
        _cleanup_free_ char *failed = vz_asprintf("%s.vzpkg-failed", root);
        vz_rm_rf(failed);
        if (rename(root, failed) < 0)
                return vz_error_set(err, -errno, "roll-back: cannot move %s aside: %m", root);
        if (rename(snap, root) < 0) {
                int r = -errno;
                rename(failed, root);
                return vz_error_set(err, r, "roll-back: cannot restore %s: %s", root, strerror(-r));
        }
        vz_rm_rf(failed);  /* an fd walk: the failed tree's links are not followed */
        return 0;
}

int vz_tree_sync(const char *path)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || syncfs(fd) < 0)
                return -errno;
        return 0;
}

/* fsync of dst's parent directory: the rename that named dst */
static int sync_parent(const char *dst)
{
        _cleanup_free_ char *dir = vz_xstrdup(dst);
        char *slash = strrchr(dir, '/');
        if (slash == dir)
                slash[1] = '\0';
        else if (slash)
                *slash = '\0';
        _cleanup_close_ int fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || fsync(fd) < 0)
                return -errno;
        return 0;
}

int vz_tree_snapshot_durable(const char *src, const char *dst, const char *const *copy, struct vz_error *err)
{
        _cleanup_free_ char *tmp = vz_asprintf("%s.new", dst);
        int r = vz_tree_snapshot(src, tmp, copy, err);
        if (r < 0)
                return r;
        /* The links and copies on disk before they are called a snapshot:
         * one syncfs costs less than an fsync per copied file. */
        if ((r = vz_tree_sync(tmp)) < 0) {
                vz_rm_rf(tmp);
                return vz_error_set(err, r, "snapshot: cannot sync %s: %s", tmp, strerror(-r));
        }
        vz_rm_rf(dst);
        if (rename(tmp, dst) < 0 || (r = sync_parent(dst)) < 0) {
                r = r < 0 ? r : -errno;
                vz_rm_rf(tmp);
                vz_rm_rf(dst);
                return vz_error_set(err, r, "snapshot: cannot publish %s: %s", dst, strerror(-r));
        }
        return 0;
}

int vz_tree_retire(const char *dst, char **ret_path)
{
        _cleanup_free_ char *done = vz_asprintf("%s.done", dst);
        int r;
        vz_rm_rf(done);
        if (rename(dst, done) < 0)
                return -errno;
        if ((r = sync_parent(dst)) < 0) {
                vz_rm_rf(done);  /* the transaction is on disk: the snapshot is not needed */
                return r;
        }
        *ret_path = TAKE_PTR(done);
        return 0;
}

/* remove path if it is there */
static int rm_if_there(const char *path)
{
        struct stat st;
        if (lstat(path, &st) == 0)
                return vz_rm_rf(path);
        return errno == ENOENT ? 0 : -errno;
}

int vz_tree_leftover(const char *dst)
{
        static const char *const suffixes[] = { ".new", ".done" };
        struct stat st;
        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
                _cleanup_free_ char *p = vz_asprintf("%s%s", dst, suffixes[i]);
                int r = rm_if_there(p);
                if (r < 0)
                        return r;
        }
        if (lstat(dst, &st) == 0)
                return 1;
        return errno == ENOENT ? 0 : -errno;
}
