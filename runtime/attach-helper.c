/* attach-helper.c: the program that enters a running container for
 * vz_attach_run() (attach.c). Linked statically against the C library
 * only, embedded into vzpkg and executed from a sealed memfd, so that no
 * process of ours that a container can see has a host file as its
 * executable, nor maps one: the /proc/self/exe overwrite (runc's
 * CVE-2019-5736) finds a memfd that cannot be written, and nothing is
 * loaded from the container's root (a dynamic program would load the
 * container's ld.so after joining its mount namespace).
 *
 * Two processes:
 *  - the joiner (this program as exec'd, a host PID): moves itself into
 *    our cgroup below the init's (and the init's v1 cgroups), joins the
 *    init's mount, UTS, IPC, network, PID and cgroup namespaces, enters its
 *    root, makes a private (slave) copy of the mount namespace and moves
 *    the plan's binds (detached mounts made on the host) into it, cuts its
 *    own capabilities to the init's bounding set plus what its teardown
 *    needs, then clone3()s the command straight into the command's cgroup
 *    and waits for it. It is never visible in the container's PID
 *    namespace.
 *  - the command (a PID of the container, born in every namespace and
 *    cgroup): cuts its capabilities first thing, then no_new_privs and
 *    seccomp (the filter is built by vzpkg with libseccomp and passed as
 *    BPF), and execs.
 * attach-helper.h has the interface; docs/internals/runtime.md, "Attaching
 * to a running container", the reasons. */
#include "attach-helper.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define JOIN_FLAGS (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWCGROUP)

struct bind {
        const char *target;
        bool file;
        int created_from;      /* first component we created, -1: none */
        dev_t dev;             /* of the last component we created */
        ino_t ino;
};

static struct bind binds[ATTACH_MAX_BINDS];
static int n_binds, n_v1;

static void __attribute__((noreturn, format(printf, 2, 3))) fail(int e, const char *fmt, ...)
{
        struct attach_error rec = { .err = e };
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(rec.msg, sizeof(rec.msg), fmt, ap);
        va_end(ap);
        if (write(ATTACH_FD_ERR, &rec, sizeof(rec)) < 0) {
                /* vzpkg is gone; nobody to tell */
        }
        _exit(ATTACH_SETUP_FAILED);
}

/* ---- mount points in the tenant's tree ------------------------------------ */

/* Number of components of an absolute path; copies them into comp[]. */
static int split(const char *path, char comp[][NAME_MAX + 1], int max)
{
        int n = 0;
        for (const char *s = path; *s;) {
                while (*s == '/')
                        s++;
                size_t l = strcspn(s, "/");
                if (!l)
                        break;
                if (n == max || l > NAME_MAX)
                        return -1;
                memcpy(comp[n], s, l);
                comp[n++][l] = '\0';
                s += l;
        }
        return n;
}

/* Walk path from our root, never following a link. With create, missing
 * components are made (0700 directories, a 0600 empty file for a file
 * target) and the first of them is remembered for removal. Returns an
 * O_PATH fd of the last component, or of its parent with parent set. */
static int walk(struct bind *b, bool create, bool parent, char *ret_last)
{
        char comp[64][NAME_MAX + 1];
        int n = split(b->target, comp, 64), fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (n <= 0 || fd < 0)
                return -EINVAL;
        for (int i = 0; i < n - (parent ? 1 : 0); i++) {
                bool last = i == n - 1, f = last && b->file;
                int flags = O_PATH | O_NOFOLLOW | O_CLOEXEC | (f ? 0 : O_DIRECTORY);
                int next = openat(fd, comp[i], flags);
                if (next < 0 && errno == ENOENT && create) {
                        int c = f ? openat(fd, comp[i], O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600)
                                  : mkdirat(fd, comp[i], 0700);
                        if (c < 0 && errno != EEXIST) {
                                close(fd);
                                return -errno;
                        }
                        if (f && c >= 0)
                                close(c);
                        if (c >= 0 && b->created_from < 0)
                                b->created_from = i;
                        next = openat(fd, comp[i], flags);
                        struct stat st;
                        if (next >= 0 && last && fstat(next, &st) == 0) {
                                b->dev = st.st_dev;
                                b->ino = st.st_ino;
                        }
                }
                close(fd);
                if (next < 0)
                        return -errno;
                fd = next;
        }
        if (ret_last)
                memcpy(ret_last, comp[n - 1], NAME_MAX + 1);
        return fd;
}

/* A detached mount made on the host (read-only, nosuid, nodev already) is
 * moved onto the target in our private copy of the container's mounts. */
static void mount_bind(int i)
{
        struct bind *b = &binds[i];
        b->created_from = -1;
        int fd = walk(b, true, false, NULL);
        if (fd < 0)
                fail(-fd, "mount point %s in the container: %s (a symbolic link?)", b->target, strerror(-fd));
        if (move_mount(ATTACH_FD_BINDS + i, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                fail(errno, "bind %s in the container: %m", b->target);
        close(fd);
}

/* Take our mounts away and remove what we created for them: the tenant's
 * tree is left as it was (a directory the tenant filled meanwhile stays). */
static void unbind_all(void)
{
        for (int i = n_binds - 1; i >= 0; i--) {
                struct bind *b = &binds[i];
                char comp[64][NAME_MAX + 1], last[NAME_MAX + 1];
                int n = split(b->target, comp, 64);
                umount2(b->target, MNT_DETACH | UMOUNT_NOFOLLOW);
                if (b->created_from < 0)
                        continue;
                struct bind sub = *b;
                char path[PATH_MAX];
                for (int k = n; k > b->created_from; k--) {
                        size_t len = 0;
                        for (int j = 0; j < k && len < sizeof(path) - NAME_MAX - 2; j++)
                                len += (size_t)snprintf(path + len, sizeof(path) - len, "/%s", comp[j]);
                        sub.target = path;
                        sub.file = b->file && k == n;
                        int dir = walk(&sub, false, true, last);
                        if (dir < 0)
                                break;
                        struct stat st;
                        bool ours = k < n || (fstatat(dir, last, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                                              st.st_dev == b->dev && st.st_ino == b->ino);
                        if (ours)
                                unlinkat(dir, last, sub.file ? 0 : AT_REMOVEDIR);
                        close(dir);
                }
        }
}

/* ---- the command: confinement ------------------------------------------- */

static void drop_caps(uint64_t mask)
{
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[2] = { { 0 } };

        for (int c = 0; c < 64; c++) {
                if (mask & (1ULL << c))
                        continue;
                if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
                        if (errno == EINVAL)
                                break;  /* past the kernel's last capability */
                        fail(errno, "drop capability %d: %m", c);
                }
        }
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                fail(errno, "clear ambient capabilities: %m");
        d[0].effective = d[0].permitted = (uint32_t)mask;
        d[1].effective = d[1].permitted = (uint32_t)(mask >> 32);
        if (syscall(SYS_capset, &h, d) < 0)
                fail(errno, "capset: %m");
}

static void load_seccomp(void)
{
        struct stat st;
        struct sock_filter *insns;
        if (fstat(ATTACH_FD_SECCOMP, &st) < 0 || st.st_size <= 0 || st.st_size % sizeof(*insns) ||
            st.st_size > 65536 * (off_t)sizeof(*insns))
                fail(EINVAL, "seccomp filter: bad size");
        insns = malloc((size_t)st.st_size);
        if (!insns || pread(ATTACH_FD_SECCOMP, insns, (size_t)st.st_size, 0) != st.st_size)
                fail(errno, "seccomp filter: read: %m");
        struct sock_fprog prog = { .len = (unsigned short)(st.st_size / sizeof(*insns)), .filter = insns };
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                fail(errno, "no_new_privs: %m");
        if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
                fail(errno, "seccomp filter: %m");
        free(insns);
}

static void __attribute__((noreturn)) run_command(uint64_t mask, char **cmd)
{
        /* Visible in the container from here on: confined before anything
         * else (a container root that may ptrace finds no more than its own
         * capabilities plus the joiner's few, for a few system calls). */
        drop_caps(mask);
        load_seccomp();
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
                fail(errno, "PR_SET_PDEATHSIG: %m");
        if (dup2(ATTACH_FD_OUT, 1) < 0 || dup2(ATTACH_FD_OUT, 2) < 0)
                fail(errno, "redirect output: %m");
        if (fcntl(ATTACH_FD_ERR, F_SETFD, FD_CLOEXEC) < 0)
                fail(errno, "error channel: %m");
        /* Nothing of the host's but stdin (an empty pipe), the output and
         * the close-on-exec error channel reaches the command. */
        close(ATTACH_FD_OUT);
        if (syscall(SYS_close_range, ATTACH_FD_PIDFD, ~0U, 0) < 0)
                fail(errno, "close descriptors: %m");
        if (setsid() < 0 || chdir("/") < 0)
                fail(errno, "setsid: %m");
        execvp(cmd[0], cmd);
        fail(errno, "execute %s in the container: %m", cmd[0]);
}

/* ---- the joiner ---------------------------------------------------------- */

static void enter(void)
{
        /* Into the container's cgroups while our cgroup namespace is still
         * the host's (where these paths are in sight); the command is then
         * born in the cgroup below ours, inside the container's namespace. */
        if (write(ATTACH_FD_CGPROCS, "0", 1) != 1)
                fail(errno, "join the container's cgroup: %m");
        for (int i = 0; i < n_v1; i++)
                if (write(ATTACH_FD_BINDS + n_binds + i, "0", 1) != 1)
                        fail(errno, "join the container's v1 cgroups: %m");
        if (setns(ATTACH_FD_PIDFD, JOIN_FLAGS) < 0)
                fail(errno, "join the container's namespaces: %m");
        /* setns put us at the namespace's root; the init's root may be below
         * it (a chroot). Our binds go to a copy of the mounts, which
         * receives the container's later mounts but sends nothing back.
         * unshare() carries our root and working directory over into the
         * copy (an fd taken before would still name the original's mounts),
         * so: the init's root as working directory, unshare, then chroot. */
        if (fchdir(ATTACH_FD_ROOT) < 0)
                fail(errno, "enter the container's root: %m");
        close(ATTACH_FD_ROOT);
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
                fail(errno, "private copy of the container's mounts: %m");
        if (chroot(".") < 0 || chdir("/") < 0)
                fail(errno, "enter the container's root: %m");
        for (int i = 0; i < n_binds; i++)
                mount_bind(i);
}

static int kill_cgroup(void)
{
        int fd = openat(ATTACH_FD_CGROUP, "cgroup.kill", O_WRONLY | O_CLOEXEC);
        int r = fd >= 0 && write(fd, "1", 1) == 1 ? 0 : -errno;
        if (fd >= 0)
                close(fd);
        return r;
}

/* Wait for the command; should vzpkg die first, kill what it started. */
static int supervise(int pidfd, pid_t pid)
{
        int st;
        for (;;) {
                struct pollfd p[2] = { { .fd = pidfd, .events = POLLIN }, { .fd = ATTACH_FD_PARENT, .events = POLLIN } };
                if (poll(p, 2, -1) < 0 && errno != EINTR)
                        break;
                if (p[0].revents)
                        break;
                if (p[1].revents) {
                        kill_cgroup();
                        break;
                }
        }
        while (waitpid(pid, &st, 0) < 0)
                if (errno != EINTR)
                        return ATTACH_SETUP_FAILED;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int parse_args(int argc, char **argv, uint64_t *mask, uint64_t *own)
{
        char *end;
        int i = 6;
        if (argc < 7 || strcmp(argv[1], ATTACH_MAGIC) != 0)
                return -1;
        *mask = strtoull(argv[2], &end, 16);
        if (*end)
                return -1;
        *own = strtoull(argv[3], &end, 16);
        if (*end)
                return -1;
        n_binds = (int)strtol(argv[4], &end, 10);
        if (*end || n_binds < 0 || n_binds > ATTACH_MAX_BINDS)
                return -1;
        n_v1 = (int)strtol(argv[5], &end, 10);
        if (*end || n_v1 < 0 || n_v1 > ATTACH_MAX_V1)
                return -1;
        for (int b = 0; b < n_binds; b++, i += 2) {
                if (i + 1 >= argc || argv[i][0] != '/')
                        return -1;
                binds[b] = (struct bind){ argv[i], argv[i + 1][0] == 'f', -1, 0, 0 };
        }
        if (i + 1 >= argc || strcmp(argv[i], "--") != 0)
                return -1;
        return i + 1;
}

int main(int argc, char **argv)
{
        uint64_t mask, own;
        int pidfd = -1, cmd;

        /* First of all: no process of the container may open our memory,
         * descriptors or executable, nor trace us. */
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        cmd = parse_args(argc, argv, &mask, &own);
        if (cmd < 0 || fcntl(ATTACH_FD_ERR, F_GETFD) < 0) {
                /* run by hand, or by a tenant's "#!/proc/self/exe" script */
                static const char msg[] = "vzpkg-attach: internal helper of vzpkg, not to be run\n";
                if (write(2, msg, sizeof(msg) - 1) < 0) {
                        /* nothing to do */
                }
                _exit(ATTACH_SETUP_FAILED);
        }
        enter();
        drop_caps(own);
        struct clone_args ca = {
                .flags = CLONE_INTO_CGROUP | CLONE_PIDFD,
                .pidfd = (uint64_t)(uintptr_t)&pidfd,
                .exit_signal = SIGCHLD,
                .cgroup = ATTACH_FD_CGROUP,
        };
        pid_t pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
        if (pid < 0)
                fail(errno, "start the command in the container's cgroup: %m");
        if (pid == 0)
                run_command(mask, argv + cmd);
        /* The command's copies are its own; ours would keep the output
         * open after it exits. */
        close(0);
        close(ATTACH_FD_OUT);
        close(1);
        close(2);
        int status = supervise(pidfd, pid);
        unbind_all();
        _exit(status);
}
