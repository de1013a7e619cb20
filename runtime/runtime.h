/* runtime: the bundled container runtime. The caller builds a plan (a plain
 * description of the container: root, mounts, hostname, environment,
 * command, limits); vz_ct_run() validates and executes it. All privileged
 * code of vzpkg lives in this module. It knows nothing about packages.
 * See docs/internals/runtime.md. */
#pragma once

#include "common.h"

enum {
        VZ_BIND_RO = 1 << 0,    /* read-only bind mount */
        VZ_BIND_FILE = 1 << 1,  /* source is a file, not a directory */
};

typedef void (*vz_output_fn)(void *userdata, const char *buf, size_t len);

struct vz_ct_plan;

struct vz_ct_plan *vz_plan_new(const char *root);
void vz_plan_free(struct vz_ct_plan *p);
static inline void vz_plan_freep(struct vz_ct_plan **p) { vz_plan_free(*p); }
#define _cleanup_plan_ _cleanup_(vz_plan_freep)

/* Bind host_path at ct_path (absolute, inside the container). */
void vz_plan_bind(struct vz_ct_plan *p, const char *host_path, const char *ct_path, unsigned flags);
void vz_plan_hostname(struct vz_ct_plan *p, const char *hostname);
void vz_plan_env(struct vz_ct_plan *p, const char *key_value);        /* "KEY=VALUE", repeatable */
void vz_plan_command(struct vz_ct_plan *p, char *const *argv);
/* Instead of executing a command, call fn(userdata) in the container (a
 * forked copy of this process, after pivot_root); its return value is the
 * exit status. For work done with a library already loaded here (librpm),
 * which cannot be loaded from the container's root. */
void vz_plan_function(struct vz_ct_plan *p, int (*fn)(void *userdata), void *userdata);
void vz_plan_limits(struct vz_ct_plan *p, long long memory_bytes, long pids_max);
/* Share the host's network instead of a new namespace with loopback only. */
void vz_plan_network(struct vz_ct_plan *p, bool host);
/* fsync(2), fdatasync(2), sync_file_range(2), sync(2) and syncfs(2) in the
 * container return 0 without writing anything back (a rule of the seccomp
 * filter). For a stopped container whose caller makes the root durable
 * itself, once, afterwards (syncfs on the root's file system): dpkg syncs
 * its database after every package even with --force-unsafe-io. Ignored by
 * attached plans. See docs/internals/security.md, "Syncs". */
void vz_plan_nosync(struct vz_ct_plan *p, bool nosync);
/* Kill everything in the container when the command has run this many
 * seconds (0: no limit); vz_ct_run() then fails with -VZ_E_RUNTIME. */
void vz_plan_timeout(struct vz_ct_plan *p, long long seconds);
void vz_plan_output(struct vz_ct_plan *p, vz_output_fn fn, void *userdata);
/* Run the plan inside a running container instead of a new one: join the
 * namespaces and the cgroup of init_pid (a process of that container, its
 * init; host PID), with the same confinement, the plan's binds mounted in a
 * private copy of the container's mount namespace only. The plan's root is
 * the container's root as the host sees it (checked against init_pid's
 * root). Hostname, limits and network settings of the plan are ignored:
 * the container's own apply. Command plans only. vz_ct_run() then fails
 * with -ESRCH when init_pid is gone or does not run from the plan's root,
 * -ENOTSUP when the container cannot be attached to (a function plan, an
 * init in a user namespace, no cgroup v2), -VZ_E_RUNTIME for the rest. See
 * docs/internals/runtime.md, "Attaching to a running container". */
void vz_plan_attach(struct vz_ct_plan *p, pid_t init_pid);
void vz_plan_cancel(struct vz_ct_plan *p, int (*cancelled)(void));
/* Check the plan without running it: absolute paths, no "..", a command. */
int vz_plan_validate(const struct vz_ct_plan *p, struct vz_error *err);
/* A note for the log when limits could not be applied (no cgroup access). */
const char *vz_plan_warning(const struct vz_ct_plan *p);

/* Run the plan: new mount, PID, UTS, IPC, cgroup and network namespaces,
 * pivot_root into the root, confined (no capability over the host, a
 * seccomp filter, no_new_privs; docs/internals/security.md). Returns 0 and the command's exit status (128+signal when
 * killed) in *ret_status; < 0 when the container could not be set up (err
 * has the child's errno and message) or was cancelled (-VZ_E_INTERRUPTED,
 * after killing everything in it). Nothing outlives the call: not a mount,
 * not a process, not a cgroup. */
int vz_ct_run(struct vz_ct_plan *p, int *ret_status, struct vz_error *err);

/* Run a command on the host (hooks), output to fn, same cancel rules. */
int vz_host_run(char *const *argv, char *const *envp, vz_output_fn fn, void *userdata,
                int (*cancelled)(void), int *ret_status, struct vz_error *err);

/* tmpfs.c: path (an empty directory) becomes a tmpfs of at most size bytes,
 * mounted in a mount namespace of this process's own (made on first use):
 * only this process and its children see it, and it cannot outlive them.
 * -errno when the namespace or the mount cannot be made (the caller stays
 * on disk). */
int vz_tmpfs_mount(const char *path, long long size);
int vz_tmpfs_umount(const char *path);
/* overlay.c: target (an empty directory) becomes the overlay of the
 * read-only lower directory and the container's upper and work directories,
 * in the same private mount namespace as vz_tmpfs_mount: never visible to
 * the host nor left behind. Redirects and metacopy are off, so nothing in
 * the upper (the tenant's) can point into another directory of the lower.
 * -EINVAL for a path that mount options cannot carry (',', ':', '\\',
 * '='), -errno when the kernel refuses (no overlayfs, a file system that
 * cannot be an upper layer). */
int vz_overlay_mount(const char *lower, const char *upper, const char *work, const char *target);
