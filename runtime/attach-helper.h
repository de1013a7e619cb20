/* attach-helper.h: what attach.c (in vzpkg) and attach-helper.c (the
 * small static program it executes from a sealed memfd) agree on. Plain C,
 * no vzpkg headers: the helper is linked alone, statically.
 *
 * The helper is started with these descriptors and nothing else:
 *   0  stdin for the command (an empty pipe: EOF at once)
 *   3  error channel (struct attach_error records)
 *   4  output (stdout and stderr of the command)
 *   5  pidfd of the container's init
 *   6  the init's root directory (O_PATH, opened through /proc/PID/root)
 *   7  the command's cgroup, vzpkg-attach.<pid>/cmd below the init's
 *      cgroup (O_DIRECTORY; clone3 target, cgroup.kill)
 *   8  the seccomp filter, a BPF program (memfd, struct sock_filter[])
 *   9  pidfd of vzpkg itself (the helper tears down if vzpkg dies)
 *  10  cgroup.procs of vzpkg-attach.<pid> (the helper's own cgroup)
 *  11+ one detached mount (open_tree) per bind, in argv order; after them
 *      cgroup.procs (O_WRONLY) of each v1 hierarchy's cgroup of the init
 *      (hybrid hosts)
 * argv: ATTACH_MAGIC, the command's capability mask (hex), the helper's
 * own mask once set up (hex), number of binds, number of v1 cgroups, then
 * per bind its target and "d" or "f" (directory or file), then "--" and
 * the command. envp is the plan's environment, exactly. */
#pragma once

#define ATTACH_MAGIC "vzpkg-attach-1"

enum {
        ATTACH_FD_ERR = 3,
        ATTACH_FD_OUT = 4,
        ATTACH_FD_PIDFD = 5,
        ATTACH_FD_ROOT = 6,
        ATTACH_FD_CGROUP = 7,
        ATTACH_FD_SECCOMP = 8,
        ATTACH_FD_PARENT = 9,
        ATTACH_FD_CGPROCS = 10,
        ATTACH_FD_BINDS = 11,
        ATTACH_MAX_BINDS = 16,
        ATTACH_MAX_V1 = 16,
};

/* Exit status of the helper when it could not run the command at all (the
 * reason is on the error channel). */
#define ATTACH_SETUP_FAILED 127

struct attach_error {
        int err;
        char msg[512];
};
