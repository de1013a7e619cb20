/* pkgcache.c: files named by their SHA-256 under <dir>/sha256/<ab>/. Content
 * addressing makes sharing between templates and repositories free and
 * makes a cached file self-verifying. */
#include "cache.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <fcntl.h>

struct vz_pkgcache {
        char *dir;
        int lock_fd;
};

int vz_pkgcache_open(const char *dir, struct vz_pkgcache **ret, struct vz_error *err)
{
        _cleanup_free_ char *lock = vz_path_join(dir, ".lock");
        struct vz_pkgcache *pc;
        int fd = -1, r = vz_mkdir_p(dir, 0755);

        if (r >= 0)
                r = vz_lock(lock, LOCK_SH, true, &fd);
        if (r < 0)
                return vz_error_set(err, r, "package cache %s: %s", dir, vz_strerror(r));
        pc = vz_xmalloc(sizeof(*pc));
        pc->dir = vz_xstrdup(dir);
        pc->lock_fd = fd;
        *ret = pc;
        return 0;
}

void vz_pkgcache_free(struct vz_pkgcache *pc)
{
        if (!pc)
                return;
        if (pc->lock_fd >= 0)
                close(pc->lock_fd);
        free(pc->dir);
        free(pc);
}

char *vz_pkgcache_path(struct vz_pkgcache *pc, const char *sha256, const char *suffix)
{
        _cleanup_free_ char *fan = vz_asprintf("%s/sha256/%.2s", pc->dir, sha256);
        /* a failure shows when the file is written there, with its path */
        (void)vz_mkdir_p(fan, 0755);
        return vz_asprintf("%s/%s%s", fan, sha256, suffix);
}

const char *vz_pkgcache_dir(const struct vz_pkgcache *pc)
{
        return pc->dir;
}

char *vz_pkgcache_relpath(const char *sha256, const char *suffix)
{
        return vz_asprintf("sha256/%.2s/%s%s", sha256, sha256, suffix);
}

bool vz_pkgcache_valid(struct vz_pkgcache *pc, const char *path, const char *sha256)
{
        char hex[65];
        (void)pc;
        if (vz_sha256_file(path, hex) < 0)
                return false;
        if (strcmp(hex, sha256) != 0) {
                unlink(path);  /* corrupt entry: drop it so it is fetched again */
                return false;
        }
        utimensat(AT_FDCWD, path, NULL, 0);  /* atime/mtime: least recently used order for cleaning */
        return true;
}
