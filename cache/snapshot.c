/* snapshot.c: cheap roll-back points for container roots. A full copy of
 * a container would cost its size in I/O for every update; hard links cost
 * one inode operation per file and stay valid because package managers
 * never write an installed file in place: they rename a new one over it.
 * Package databases are the exception and are copied. */
#include "cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

struct snap {
        const char *const *copy;
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

static int snap_entry(const struct snap *s, const char *src, const char *dst, const char *rel, const struct stat *st)
{
        if (S_ISDIR(st->st_mode)) {
                if (mkdir(dst, st->st_mode & 07777) < 0 && errno != EEXIST)
                        return -errno;
        } else if (S_ISREG(st->st_mode)) {
                if (must_copy(s, rel)) {
                        struct timespec ts[2] = { st->st_atim, st->st_mtim };
                        int r = vz_copy_file(src, dst, st->st_mode & 07777);
                        if (r < 0)
                                return r;
                        if (lchown(dst, st->st_uid, st->st_gid) < 0 || chmod(dst, st->st_mode & 07777) < 0)
                                return -errno;
                        utimensat(AT_FDCWD, dst, ts, 0);
                } else if (link(src, dst) < 0)
                        return -errno;
                return 0;  /* a link shares owner and mode already */
        } else if (S_ISLNK(st->st_mode)) {
                char target[4096];
                ssize_t n = readlink(src, target, sizeof(target) - 1);
                if (n < 0)
                        return -errno;
                target[n] = '\0';
                if (symlink(target, dst) < 0)
                        return -errno;
        } else if (mknod(dst, st->st_mode, st->st_rdev) < 0)
                return -errno;
        if (lchown(dst, st->st_uid, st->st_gid) < 0)
                return -errno;
        if (S_ISDIR(st->st_mode))
                chmod(dst, st->st_mode & 07777);  /* after chown, which may clear set-id bits */
        return 0;
}

static int snap_tree(const struct snap *s, const char *src, const char *dst, const char *rel)
{
        struct dirent **ents = NULL;
        int n = scandir(src, &ents, NULL, NULL), r = 0;
        if (n < 0)
                return vz_error_set(s->err, -errno, "snapshot: cannot read %s: %m", src);
        for (int i = 0; i < n; i++) {
                const char *e = ents[i]->d_name;
                struct stat st;
                if (r >= 0 && strcmp(e, ".") && strcmp(e, "..")) {
                        _cleanup_free_ char *from = vz_path_join(src, e);
                        _cleanup_free_ char *to = vz_path_join(dst, e);
                        _cleanup_free_ char *sub = *rel ? vz_asprintf("%s/%s", rel, e) : vz_xstrdup(e);
                        if (lstat(from, &st) < 0)
                                r = vz_error_set(s->err, -errno, "snapshot: %s: %m", from);
                        else if ((r = snap_entry(s, from, to, sub, &st)) < 0)
                                vz_error_set(s->err, r, "snapshot: %s: %s", from, strerror(-r));
                        else if (S_ISDIR(st.st_mode))
                                r = snap_tree(s, from, to, sub);
                        if (r >= 0 && !S_ISREG(st.st_mode)) {
                                /* after the directory is filled: times as they were */
                                struct timespec ts[2] = { st.st_atim, st.st_mtim };
                                utimensat(AT_FDCWD, to, ts, AT_SYMLINK_NOFOLLOW);
                        }
                }
                free(ents[i]);
        }
        free(ents);
        return r;
}

int vz_tree_snapshot(const char *src, const char *dst, const char *const *copy, struct vz_error *err)
{
        struct snap s = { .copy = copy, .err = err };
        struct stat st;
        int r;
        if (lstat(src, &st) < 0)
                return vz_error_set(err, -errno, "snapshot: %s: %m", src);
        vz_rm_rf(dst);
        r = snap_entry(&s, src, dst, "", &st);
        if (r < 0)
                return vz_error_set(err, r, "snapshot: cannot create %s: %s", dst, strerror(-r));
        r = snap_tree(&s, src, dst, "");
        if (r < 0)
                vz_rm_rf(dst);
        else {
                struct timespec ts[2] = { st.st_atim, st.st_mtim };
                utimensat(AT_FDCWD, dst, ts, 0);
        }
        return r;
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
        vz_rm_rf(failed);
        return 0;
}
