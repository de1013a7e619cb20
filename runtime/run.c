/* run.c: executing a plan.
 *
 * Parent                                  Child (PID 1 of the new namespaces)
 * cgroup created                          clone(NEWNS|NEWPID|NEWUTS|NEWIPC|NEWNET)
 *                                         closes every fd but its channels
 * attach child to cgroup, send "go" --->  waits for "go", new cgroup namespace
 *                                         mounts (root nodev, /proc/sys and
 *                                         /sys read-only), pivot_root,
 *                                         hostname, lo up, then confines
 *                                         itself (confine.c: capabilities,
 *                                         no_new_privs, seccomp, non-dumpable),
 *                                         fork+exec the command,
 *                                         reaps everything until it exits
 * relays output, polls cancel  <-------   errors as {errno, message} on errfd
 * and the deadline; kills PID 1 on either
 * waitpid, cgroup removed
 *
 * The child's mount namespace is private, so its mounts vanish with it; its
 * PID namespace dies with it, so nothing it started survives; and it has
 * PDEATHSIG=SIGKILL, so killing vzpkg kills the container. */
#include "runtime-internal.h"

#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>

struct child_error {
        int err;
        char msg[512];
};

/* ---- child: report and die ---------------------------------------------- */

static int child_errfd = -1;

static void __attribute__((noreturn, format(printf, 2, 3))) die(int e, const char *fmt, ...)
{
        struct child_error ce = { .err = e };
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ce.msg, sizeof(ce.msg), fmt, ap);
        va_end(ap);
        if (child_errfd >= 0 && write(child_errfd, &ce, sizeof(ce)) < 0) {
                /* nothing more we can do */
        }
        _exit(127);
}

/* ---- child: mount targets inside an untrusted root ------------------------ */

/* Open (creating as needed) path below rootfd without following any
 * symlink: a package cannot redirect one of our mounts to the host by
 * making /proc or /run a symlink. Returns an O_PATH fd. */
static int open_target(int rootfd, const char *path, bool file)
{
        _cleanup_free_ char *copy = vz_xstrdup(path);
        char *save = NULL, *next, *comp = strtok_r(copy, "/", &save);
        int dirfd = dup(rootfd);

        for (; comp; comp = next) {
                next = strtok_r(NULL, "/", &save);
                bool last = !next;
                int fd = openat(dirfd, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC | ((last && file) ? 0 : O_DIRECTORY));
                if (fd < 0 && errno == ENOENT) {
                        if (last && file) {
                                int c = openat(dirfd, comp, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
                                if (c >= 0)
                                        close(c);
                        } else
                                mkdirat(dirfd, comp, 0755);
                        fd = openat(dirfd, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC | ((last && file) ? 0 : O_DIRECTORY));
                }
                close(dirfd);
                if (fd < 0)
                        return -errno;
                dirfd = fd;
        }
        return dirfd;
}

static void mount_at(int rootfd, const char *target, bool file, const char *src, const char *fstype,
                     unsigned long flags, const char *data)
{
        int fd = open_target(rootfd, target, file);
        char proc[64];
        if (fd < 0)
                die(-fd, "mount target %s in the container: %s (a symlink or not a %s?)", target,
                    strerror(-fd), file ? "file" : "directory");
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        if (mount(src, proc, fstype, flags, data) < 0)
                die(errno, "mount %s on %s: %m", src ? src : fstype, target);
        close(fd);
        if (!(flags & MS_BIND))
                return;
        /* A bind ignores the other flags; remount the new mount, which a
         * fresh lookup of the target now reaches. Nothing bound in (the
         * package cache, a hook) may carry device nodes or set-id bits. */
        fd = open_target(rootfd, target, file);
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        if (fd < 0 || mount(NULL, proc, NULL, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV | (flags & MS_RDONLY), NULL) < 0)
                die(errno, "remount %s%s: %m", target, (flags & MS_RDONLY) ? " read-only" : " nodev");
        close(fd);
}

/* Bind a path of the container's fresh /proc read-only onto itself, or
 * hide it under /dev/null: procfs files a root without capabilities could
 * still use against the host (/proc/sys/kernel/core_pattern runs a program
 * on the host; /proc/sysrq-trigger reboots it). Paths the kernel does not
 * have are skipped. */
static void proc_readonly(int rootfd, const char *rel, bool file)
{
        char proc[64];
        int fd = openat(rootfd, rel, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT)
                return;
        if (fd < 0)
                die(errno, "open %s in the container: %m", rel);
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        if (mount(proc, proc, NULL, MS_BIND | MS_REC, NULL) < 0)
                die(errno, "bind %s: %m", rel);
        close(fd);
        /* the bind is on top now: a fresh lookup reaches it */
        fd = openat(rootfd, rel, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        if (fd < 0 || mount(NULL, proc, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                            NULL) < 0)
                die(errno, "remount %s read-only: %m", rel);
        close(fd);
        (void)file;
}

static void proc_mask(int rootfd, const char *rel)
{
        if (faccessat(rootfd, rel, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
                mount_at(rootfd, rel, true, "/dev/null", NULL, MS_BIND | MS_RDONLY, NULL);
}

static void setup_proc(int rootfd)
{
        static const char *const ro_dirs[] = { "proc/sys", "proc/irq", "proc/bus", "proc/fs" };
        static const char *const ro_files[] = { "proc/sysrq-trigger" };
        static const char *const masked[] = { "proc/kcore", "proc/keys", "proc/timer_list", "proc/sched_debug" };

        mount_at(rootfd, "proc", false, "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
        for (size_t i = 0; i < ELEMENTSOF(ro_dirs); i++)
                proc_readonly(rootfd, ro_dirs[i], false);
        for (size_t i = 0; i < ELEMENTSOF(ro_files); i++)
                proc_readonly(rootfd, ro_files[i], true);
        for (size_t i = 0; i < ELEMENTSOF(masked); i++)
                proc_mask(rootfd, masked[i]);
}

/* The container's own device nodes on its /dev tmpfs: a chmod in there
 * (package scripts do that) must not reach the host's nodes, which a bind
 * mount would share. Bound read-only only where mknod is refused. */
static void make_node(int rootfd, const char *name, unsigned major, unsigned minor)
{
        _cleanup_free_ char *rel = vz_asprintf("dev/%s", name);
        _cleanup_free_ char *src = vz_asprintf("/dev/%s", name);
        if (mknodat(rootfd, rel, S_IFCHR | 0666, makedev(major, minor)) == 0) {
                fchmodat(rootfd, rel, 0666, 0);  /* past the umask */
                return;
        }
        mount_at(rootfd, rel, true, src, NULL, MS_BIND | MS_RDONLY, NULL);
}

static void setup_dev(int rootfd)
{
        static const struct { const char *name; unsigned major, minor; } nodes[] = {
                { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
                { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
        };
        int devfd;

        mount_at(rootfd, "dev", false, "tmpfs", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k");
        for (size_t i = 0; i < ELEMENTSOF(nodes); i++)
                make_node(rootfd, nodes[i].name, nodes[i].major, nodes[i].minor);
        mount_at(rootfd, "dev/pts", false, "devpts", "devpts", MS_NOSUID | MS_NOEXEC,
                 "newinstance,ptmxmode=0666,mode=0620");
        mount_at(rootfd, "dev/shm", false, "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
        devfd = openat(rootfd, "dev", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (devfd < 0)
                die(errno, "open /dev in the container: %m");
        if (symlinkat("pts/ptmx", devfd, "ptmx") < 0 || symlinkat("/proc/self/fd", devfd, "fd") < 0 ||
            symlinkat("/proc/self/fd/0", devfd, "stdin") < 0 || symlinkat("/proc/self/fd/1", devfd, "stdout") < 0 ||
            symlinkat("/proc/self/fd/2", devfd, "stderr") < 0)
                die(errno, "populate /dev in the container: %m");
        close(devfd);
}

static void setup_mounts(const struct vz_ct_plan *p)
{
        _cleanup_close_ int rootfd = -1;
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                die(errno, "make mounts private: %m");
        /* pivot_root needs the new root to be a mount point. Open it only
         * afterwards: an fd taken before would point below the bind. */
        if (mount(p->root, p->root, NULL, MS_BIND | MS_REC, NULL) < 0)
                die(errno, "bind %s: %m", p->root);
        /* Device nodes in the tenant's files (a copy of the host's disk
         * node, say) open nothing: only our own /dev has working nodes. */
        if (mount(NULL, p->root, NULL, MS_REMOUNT | MS_BIND | MS_NODEV, NULL) < 0)
                die(errno, "remount %s nodev: %m", p->root);
        rootfd = open(p->root, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (rootfd < 0)
                die(errno, "container root %s: %m", p->root);
        setup_proc(rootfd);
        mount_at(rootfd, "sys", false, "sysfs", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
        setup_dev(rootfd);
        mount_at(rootfd, "run", false, "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
        mount_at(rootfd, "tmp", false, "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
        for (size_t i = 0; i < p->n_binds; i++) {
                const struct vz_mount *m = &p->binds[i];
                unsigned long fl = MS_BIND | MS_REC | ((m->flags & VZ_BIND_RO) ? MS_RDONLY : 0);
                /* the source is the admin's (a hook, the package cache), but
                 * it is opened by the path the plan gives, on the host */
                mount_at(rootfd, m->target + 1, m->flags & VZ_BIND_FILE, m->source, NULL, fl, NULL);
        }
}

static void enter_root(const struct vz_ct_plan *p)
{
        /* pivot_root(".", ".") stacks the old root on top of the new one;
         * detaching it leaves only the container's tree. */
        if (chdir(p->root) < 0 || syscall(SYS_pivot_root, ".", ".") < 0)
                die(errno, "pivot_root into %s: %m", p->root);
        if (umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
                die(errno, "detach the host's root: %m");
}

static void loopback_up(void)
{
        struct ifreq ifr = { 0 };
        _cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
        if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
                die(errno, "loopback: %m");
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
                die(errno, "loopback up: %m");
}

/* ---- child: PID 1 ---------------------------------------------------------- */

static int run_command(const struct vz_ct_plan *p, int outfd)
{
        pid_t cmd = fork();
        int status = 0;
        if (cmd < 0)
                die(errno, "fork: %m");
        if (cmd == 0) {
                int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
                setsid();
                if (null < 0 || dup2(null, 0) < 0 || dup2(outfd, 1) < 0 || dup2(outfd, 2) < 0)
                        die(errno, "redirect output: %m");
                /* The plan's environment only; its PATH is what execvp
                 * searches (execvpe would search vzpkg's own). */
                clearenv();
                for (char **e = p->env; *e; e++)
                        putenv(*e);
                if (p->fn) {
                        fflush(NULL);
                        int status = p->fn(p->fn_userdata);
                        fflush(NULL);
                        _exit(status);
                }
                execvp(p->argv[0], p->argv);
                die(errno, "execute %s in the container: %m", p->argv[0]);
        }
        close(outfd);
        /* As PID 1 we reap every orphan until the command itself is done. */
        for (;;) {
                int st;
                pid_t w = waitpid(-1, &st, 0);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0)
                        break;
                if (w == cmd) {
                        status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                        break;
                }
        }
        return status;
}

/* PID 1's own standard descriptors are vzpkg's (a terminal, maybe): the
 * container must not reach them (TIOCSTI on the admin's terminal). */
static void detach_stdio(void)
{
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        for (int fd = 0; fd < 3; fd++)
                if (null < 0 || dup2(null, fd) < 0)
                        die(errno, "detach from vzpkg's terminal: %m");
        close(null);
}

/* From here on nothing this process or its children do may reach beyond
 * the container (confine.c). Non-dumpable first: a tenant process could
 * otherwise open /proc/1/exe, which is vzpkg's binary on the host. */
static void confine(const struct vz_ct_plan *p)
{
        int r;
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                die(errno, "PR_SET_DUMPABLE: %m");
        r = vz_confine_caps(p->host_network);
        if (r < 0)
                die(-r, "drop capabilities: %s", strerror(-r));
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                die(errno, "no_new_privs: %m");
        r = vz_confine_seccomp(p->nosync);
        if (r < 0)
                die(-r, "seccomp filter: %s", strerror(-r));
}

void vz_child_main(const struct vz_ct_plan *p, int errfd, int outfd, int syncfd)
{
        char go;
        int r;

        child_errfd = errfd;
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
                die(errno, "PR_SET_PDEATHSIG: %m");
        r = vz_confine_fds((int[]){ errfd, outfd, syncfd }, 3);
        if (r < 0)
                die(-r, "close inherited descriptors: %s", strerror(-r));
        if (read(syncfd, &go, 1) != 1)
                _exit(127);  /* the parent is gone */
        close(syncfd);
        /* Now in the container's cgroup: make it the cgroup root it sees. */
        if (unshare(CLONE_NEWCGROUP) < 0)
                die(errno, "cgroup namespace: %m");
        setup_mounts(p);
        enter_root(p);
        if (sethostname(p->hostname, strlen(p->hostname)) < 0)
                die(errno, "sethostname: %m");
        if (!p->host_network)
                loopback_up();
        detach_stdio();
        confine(p);
        _exit(run_command(p, outfd));
}

/* ---- parent ----------------------------------------------------------------- */

struct channels {
        int err[2], out[2], sync[2];
};

static void close_pair(int fds[2])
{
        for (int i = 0; i < 2; i++)
                if (fds[i] >= 0) {
                        close(fds[i]);
                        fds[i] = -1;
                }
}

static int open_channels(struct channels *c)
{
        *c = (struct channels){ { -1, -1 }, { -1, -1 }, { -1, -1 } };
        if (pipe2(c->err, O_CLOEXEC) < 0 || pipe2(c->out, O_CLOEXEC) < 0 ||
            socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, c->sync) < 0)
                return -errno;
        return 0;
}

static void close_channels(struct channels *c)
{
        close_pair(c->err);
        close_pair(c->out);
        close_pair(c->sync);
}

static long long now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Relay output until the child closes it; kill it when cancelled or when
 * the deadline (ms on the monotonic clock, 0 = none) has passed. Killing
 * PID 1 of the container kills everything in its PID namespace. */
static int pump(pid_t pid, int outfd, vz_output_fn fn, void *ud, int (*cancelled)(void), long long deadline)
{
        char buf[8192];
        int killed = 0;
        for (;;) {
                struct pollfd pfd = { .fd = outfd, .events = POLLIN };
                int n = poll(&pfd, 1, 200);
                if (!killed && cancelled && cancelled())
                        killed = -VZ_E_INTERRUPTED;
                else if (!killed && deadline > 0 && now_ms() >= deadline)
                        killed = -ETIMEDOUT;
                if (killed && pid > 0) {
                        kill(pid, SIGKILL);
                        pid = 0;
                }
                if (n <= 0)
                        continue;
                ssize_t got = read(outfd, buf, sizeof(buf));
                if (got < 0 && errno == EINTR)
                        continue;
                if (got <= 0)
                        break;
                if (fn)
                        fn(ud, buf, (size_t)got);
        }
        return killed;
}

static int reap(pid_t pid, int *ret_status)
{
        int st;
        while (waitpid(pid, &st, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        *ret_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        return 0;
}

static int read_child_error(int fd, struct vz_error *err)
{
        struct child_error ce;
        ssize_t n = read(fd, &ce, sizeof(ce));
        if (n != (ssize_t)sizeof(ce))
                return 0;
        ce.msg[sizeof(ce.msg) - 1] = '\0';
        return vz_error_set(err, -VZ_E_RUNTIME, "container: %s", ce.msg);
}

static pid_t spawn_child(const struct vz_ct_plan *p, struct channels *c)
{
        pid_t pid;
        fflush(NULL);
        pid = (pid_t)syscall(SYS_clone, CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC |
                                                (p->host_network ? 0 : CLONE_NEWNET) | SIGCHLD,
                             NULL, NULL, NULL, NULL);
        if (pid == 0) {
                close(c->err[0]);
                close(c->out[0]);
                close(c->sync[0]);
                /* The write ends must survive exec (output) but not leak. */
                vz_child_main(p, c->err[1], c->out[1], c->sync[1]);
        }
        return pid;
}

int vz_ct_run(struct vz_ct_plan *p, int *ret_status, struct vz_error *err)
{
        struct channels c;
        struct vz_cgroup *cg = NULL;
        _cleanup_free_ char *cgname = NULL;
        int r, status = 0, rc;
        pid_t pid;

        r = vz_plan_validate(p, err);
        if (r < 0)
                return r;
        if (p->attach_pid > 0)
                return vz_attach_run(p, ret_status, err);
        if (open_channels(&c) < 0)
                return vz_error_set(err, -errno, "container: pipes: %m");
        cgname = vz_asprintf("vzpkg/ct-%d", (int)getpid());
        free(p->warning);
        p->warning = NULL;
        vz_cgroup_create(p, cgname, &cg, &p->warning);
        pid = spawn_child(p, &c);
        if (pid < 0) {
                r = vz_error_set(err, -errno, "container: clone: %m (are namespaces available to root here?)");
                goto out;
        }
        close(c.err[1]);
        close(c.out[1]);
        close(c.sync[1]);
        c.err[1] = c.out[1] = c.sync[1] = -1;
        if (cg && vz_cgroup_attach(cg, pid) < 0 && !p->warning)
                p->warning = vz_asprintf("limits not applied: cannot attach to cgroup %s", cgname);
        if (write(c.sync[0], "g", 1) != 1) {
                kill(pid, SIGKILL);
        }
        r = pump(pid, c.out[0], p->output, p->userdata, p->cancelled,
                 p->timeout > 0 ? now_ms() + p->timeout * 1000 : 0);
        rc = reap(pid, &status);
        if (r >= 0 && rc < 0)
                r = vz_error_set(err, rc, "container: waitpid: %s", strerror(-rc));
        if (r >= 0)
                r = read_child_error(c.err[0], err);
        if (r == -VZ_E_INTERRUPTED)
                vz_error_set(err, r, "interrupted; the container was killed");
        if (r == -ETIMEDOUT)
                r = vz_error_set(err, -VZ_E_RUNTIME,
                                 "container: %s did not finish within %lld s (RUN_TIMEOUT); everything in it was killed",
                                 p->fn ? "the transaction" : p->argv[0], p->timeout);
        if (r >= 0 && ret_status)
                *ret_status = status;
out:
        close_channels(&c);
        vz_cgroup_destroy(cg);
        return r;
}

int vz_host_run(char *const *argv, char *const *envp, vz_output_fn fn, void *userdata,
                int (*cancelled)(void), int *ret_status, struct vz_error *err)
{
        int out[2], r, rc, status = 0;
        pid_t pid;

        if (pipe2(out, O_CLOEXEC) < 0)
                return vz_error_set(err, -errno, "pipe: %m");
        fflush(NULL);
        pid = fork();
        if (pid == 0) {
                int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (null >= 0)
                        dup2(null, 0);
                dup2(out[1], 1);
                dup2(out[1], 2);
                execve(argv[0], argv, envp);
                dprintf(2, "cannot execute %s: %s\n", argv[0], strerror(errno));
                _exit(127);
        }
        close(out[1]);
        if (pid < 0) {
                close(out[0]);
                return vz_error_set(err, -errno, "fork: %m");
        }
        r = pump(pid, out[0], fn, userdata, cancelled, 0);
        close(out[0]);
        rc = reap(pid, &status);
        if (r < 0)
                return vz_error_set(err, r, "interrupted; %s was killed", argv[0]);
        if (rc < 0)
                return vz_error_set(err, rc, "waitpid: %s", strerror(-rc));
        *ret_status = status;
        return 0;
}
