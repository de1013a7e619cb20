/* tmpfs.c: a directory of the host turned into a tmpfs that only vzpkg and
 * its children see. The mount lives in a mount namespace of vzpkg's own
 * (unshared once, every mount private so that nothing propagates to the
 * host): it is invisible outside, and it goes away with the process however
 * the process ends (Ctrl-C, SIGKILL, a crash) -- no mount is ever left
 * behind. Containers the runtime starts afterwards are children and see it;
 * that is the point (docs/internals/build.md, "The build root in memory"). */
#include "runtime-internal.h"

#include <sched.h>
#include <sys/mount.h>

static bool own_mount_ns;

int vz_private_mount_ns(void)
{
        if (own_mount_ns)
                return 0;
        /* EINVAL while another thread shares our fs_struct: the caller stays on disk */
        if (unshare(CLONE_NEWNS) < 0)
                return -errno;
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return -errno;
        own_mount_ns = true;
        return 0;
}

int vz_tmpfs_mount(const char *path, long long size)
{
        char opts[64];
        int r = vz_private_mount_ns();
        if (r < 0)
                return r;
        snprintf(opts, sizeof(opts), "mode=0755,size=%lld", size);
        /* the empty directory the caller made: mounted over, as it is (root, 0755) */
        if (mount("vzpkg-build", path, "tmpfs", 0, opts) < 0)
                return -errno;
        return 0;
}

int vz_tmpfs_umount(const char *path)
{
        return umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 ? -errno : 0;
}
