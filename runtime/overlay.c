/* overlay.c: the merged view of a container made from a shared tree
 * (docs/internals/containers.md, "Shared trees"), mounted where only vzpkg
 * and its children see it, so that vzpkg's own work on a stopped container
 * (personalizing it, dpkg's transactions, status) goes to the container's
 * upper directory by overlayfs copy-up and never to the shared tree. */
#include "runtime-internal.h"

#include <sys/mount.h>

static bool option_safe(const char *path)
{
        return path && path[0] == '/' && !strpbrk(path, ",:\\=\n");
}

int vz_overlay_mount(const char *lower, const char *upper, const char *work, const char *target)
{
        _cleanup_free_ char *opts = NULL;
        int r;
        if (!option_safe(lower) || !option_safe(upper) || !option_safe(work) || !target)
                return -EINVAL;
        r = vz_private_mount_ns();
        if (r < 0)
                return r;
        /* redirect_dir=nofollow and metacopy=off: the upper's xattrs never
         * send a lookup elsewhere in the lower; index off: LXC's own mount
         * of the same upper uses the kernel's default */
        opts = vz_asprintf("lowerdir=%s,upperdir=%s,workdir=%s,redirect_dir=nofollow,metacopy=off", lower, upper, work);
        if (mount("vzpkg-overlay", target, "overlay", MS_NOSUID | MS_NODEV, opts) < 0)
                return -errno;
        return 0;
}
