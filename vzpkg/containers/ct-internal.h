/* containers/ct-internal.h: what containers/ct.c (containers of both kinds) and containers/lxc.c (LXC
 * containers through liblxc) share; not for the rest of the program. */
#pragma once

#include "context.h"
#include "containers.h"

/* NAME is a container LXC knows in LXC_PATH (liblxc's is_defined). */
bool vz_lxc_defined(struct vz_ctx *ctx, const char *name);
/* Fill an LXC container's lxc_dir, rootfs (private_dir), vzpkg.conf path
 * and lines from LXC's config and vzpkg's record; refuses a container
 * without the record, with an unsupported rootfs or an idmap. */
int vz_lxc_describe(struct vz_ctx *ctx, struct vz_ct *ct, struct vz_error *err);
/* Append "lxc:NAME" for each LXC container that has a vzpkg.conf. */
void vz_lxc_list(struct vz_ctx *ctx, char ***ids);
/* containers/ct.c: check and open ct->lxc_dir (no link below LXC_PATH, owned by root,
 * not writable by others) into ct->lxc_fd. */
int vz_lxc_open_dir(struct vz_ctx *ctx, struct vz_ct *ct, struct vz_error *err);
/* containers/ct.c: path (a shared tree) is strictly below trusted (the
 * admin's cache directory), not a system directory, no symlink below trusted. */
int vz_ct_check_trusted_dir(const char *id, const char *key, const char *path, const char *trusted,
                            struct vz_error *err);
