/* confine.c: what keeps a container's code from the host. Everything run in
 * a vzpkg container (dpkg, maintainer scripts, hooks, the tenant's own
 * binaries) is the tenant's code, and it runs as root. The layers, applied
 * by PID 1 after the mounts are set up and before the command starts:
 *
 *  - capabilities: the bounding set is cut to what a package manager needs
 *    (file ownership and modes, set-id, file capabilities, chroot for
 *    scriptlets); no CAP_SYS_ADMIN, CAP_MKNOD, CAP_SYS_MODULE, CAP_SYS_RAWIO,
 *    CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH, CAP_NET_ADMIN, ... so root in the
 *    container cannot mount, make device nodes, load modules or open files
 *    by handle. We keep host uids (no user namespace): file ownership and
 *    file capabilities land in the result exactly as the packages say.
 *  - a seccomp filter (libseccomp) refusing the syscalls of the known
 *    escapes even to a process that somehow regained a capability;
 *  - no_new_privs: set-id binaries and file capabilities grant nothing;
 *  - non-dumpable vzpkg processes: a tenant process cannot open
 *    /proc/1/exe (our binary on the host), /proc/1/mem or /proc/1/fd;
 *  - every inherited descriptor but the three channels closed.
 * docs/internals/security.md has the threat model. */
#include "runtime-internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

/* What stays in the bounding set: Docker's default minus CAP_MKNOD. Raw
 * sockets and low ports only in the container's own network namespace. */
static const cap_value_t kept_caps[] = {
        CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID, CAP_KILL, CAP_SETGID,
        CAP_SETUID, CAP_SETPCAP, CAP_SETFCAP, CAP_SYS_CHROOT, CAP_AUDIT_WRITE,
};
static const cap_value_t own_net_caps[] = { CAP_NET_BIND_SERVICE, CAP_NET_RAW };

static bool cap_kept(cap_value_t c, bool host_network)
{
        for (size_t i = 0; i < ELEMENTSOF(kept_caps); i++)
                if (kept_caps[i] == c)
                        return true;
        for (size_t i = 0; i < ELEMENTSOF(own_net_caps) && !host_network; i++)
                if (own_net_caps[i] == c)
                        return true;
        return false;
}

/* The kept set as a bit mask (bit n = capability n), for attach.c, which
 * cuts it further to what the container's init may have. */
uint64_t vz_confine_caps_mask(bool host_network)
{
        uint64_t mask = 0;
        for (cap_value_t c = 0; c < 64; c++)
                if (cap_kept(c, host_network))
                        mask |= 1ULL << c;
        return mask;
}

int vz_confine_caps(bool host_network)
{
        cap_t caps = cap_init();
        cap_value_t max = (cap_value_t)cap_max_bits();
        int r = 0;

        if (!caps)
                return -errno;
        for (cap_value_t c = 0; c < max && r == 0; c++) {
                if (cap_kept(c, host_network)) {
                        cap_flag_t sets[] = { CAP_EFFECTIVE, CAP_PERMITTED };
                        for (size_t i = 0; i < ELEMENTSOF(sets) && r == 0; i++)
                                r = cap_set_flag(caps, sets[i], 1, &c, CAP_SET);
                } else if (CAP_IS_SUPPORTED(c))
                        r = cap_drop_bound(c);
        }
        if (r == 0)
                r = cap_reset_ambient();
        if (r == 0)
                r = cap_set_proc(caps);
        r = r == 0 ? 0 : -errno;
        cap_free(caps);
        return r;
}

/* ---- seccomp ---------------------------------------------------------------- */

/* Refused outright (EPERM): mounts and namespaces, kernel modules and
 * kexec, bpf, the keyring, tracing, file handles, swap, reboot, io_uring,
 * and the clock (CAP_SYS_TIME is gone too; this keeps it so). */
static const char *const denied_syscalls[] = {
        "mount", "umount", "umount2", "pivot_root", "fsopen", "fsconfig", "fsmount", "fspick",
        "move_mount", "open_tree", "mount_setattr", "unshare", "setns",
        "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
        "bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key",
        "ptrace", "process_vm_readv", "process_vm_writev", "open_by_handle_at", "name_to_handle_at",
        "swapon", "swapoff", "reboot", "acct", "quotactl", "quotactl_fd", "syslog", "iopl", "ioperm",
        "lookup_dcookie", "uselib", "nfsservctl", "vhangup",
        "io_uring_setup", "io_uring_enter", "io_uring_register",
        "settimeofday", "clock_settime", "clock_adjtime", "stime",
        "fanotify_init", "lsm_set_self_attr",
};

/* clone flags that would make new namespaces */
#define NS_FLAGS \
        (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP)

static int deny_device_nodes(scmp_filter_ctx ctx)
{
        /* mknod(path, mode, dev) and mknodat(dirfd, path, mode, dev): FIFOs
         * and sockets stay possible, character and block devices do not. */
        static const mode_t types[] = { S_IFCHR, S_IFBLK };
        int r = 0;
        for (size_t i = 0; i < ELEMENTSOF(types) && r == 0; i++) {
                r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(mknod), 1,
                                     SCMP_A1(SCMP_CMP_MASKED_EQ, S_IFMT, types[i]));
                if (r == 0)
                        r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(mknodat), 1,
                                             SCMP_A2(SCMP_CMP_MASKED_EQ, S_IFMT, types[i]));
        }
        return r;
}

/* Answered with 0 and no effect under vz_plan_nosync: whoever runs the
 * plan makes the root durable afterwards. Nothing of the host depends on
 * a container's syncs; only the container's own files lose durability,
 * which the caller restores. */
static const char *const sync_syscalls[] = {
        "fsync", "fdatasync", "sync_file_range", "sync_file_range2", "sync", "syncfs",
};

static int add_rules(scmp_filter_ctx ctx, const char *const *names, size_t n, uint32_t action)
{
        int r = 0;
        for (size_t i = 0; i < n && r == 0; i++) {
                int nr = seccomp_syscall_resolve_name(names[i]);
                if (nr == __NR_SCMP_ERROR)
                        continue;  /* not known on this architecture or libseccomp */
                r = seccomp_rule_add(ctx, action, nr, 0);
        }
        return r;
}

static int build_filter(scmp_filter_ctx ctx, bool nosync)
{
        int r = add_rules(ctx, denied_syscalls, ELEMENTSOF(denied_syscalls), SCMP_ACT_ERRNO(EPERM));
        if (r == 0 && nosync)
                r = add_rules(ctx, sync_syscalls, ELEMENTSOF(sync_syscalls), SCMP_ACT_ERRNO(0));
        if (r == 0)
                r = deny_device_nodes(ctx);
        /* clone's flags are its first argument on x86_64 (and most
         * architectures), one rule per namespace flag; clone3 passes them in
         * memory seccomp cannot read, so it answers ENOSYS and the C library
         * falls back to clone. */
        for (unsigned bit = 0; bit < 32 && r == 0; bit++)
                if ((NS_FLAGS >> bit) & 1)
                        r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                                             SCMP_A0(SCMP_CMP_MASKED_EQ, 1UL << bit, 1UL << bit));
        if (r == 0)
                r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
        return r;
}

int vz_confine_seccomp(bool nosync)
{
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        int r;

        if (!ctx)
                return -ENOMEM;
        r = build_filter(ctx, nosync);
        if (r == 0)
                r = seccomp_load(ctx);
        seccomp_release(ctx);
        return r;
}

/* The same filter as a BPF program written to fd, for a process that
 * loads it without libseccomp (the attach helper). */
int vz_confine_seccomp_export(int fd)
{
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        int r;

        if (!ctx)
                return -ENOMEM;
        r = build_filter(ctx, false);  /* a running container keeps its syncs */
        if (r == 0)
                r = seccomp_export_bpf(ctx, fd);
        seccomp_release(ctx);
        return r;
}

/* ---- descriptors --------------------------------------------------------------- */

static int cmp_int(const void *a, const void *b)
{
        return *(const int *)a - *(const int *)b;
}

/* Close every descriptor from 3 up but the ones in keep: an fd of vzpkg's
 * (a lock file, a directory of the host) reaching the container would be a
 * way out of it. */
int vz_confine_fds(const int *keep, size_t n)
{
        int sorted[8], lo = 3;
        if (n > ELEMENTSOF(sorted))
                return -EINVAL;
        memcpy(sorted, keep, n * sizeof(int));
        qsort(sorted, n, sizeof(int), cmp_int);
        for (size_t i = 0; i < n; i++) {
                if (sorted[i] < lo)
                        continue;
                if (sorted[i] > lo && syscall(SYS_close_range, lo, sorted[i] - 1, 0) < 0)
                        return -errno;
                lo = sorted[i] + 1;
        }
        return syscall(SYS_close_range, lo, ~0U, 0) < 0 ? -errno : 0;
}
