/* attach.c: running a plan inside a running container (vz_plan_attach).
 *
 * vzpkg (this file)                        helper (attach-helper.c, from a
 *                                          sealed memfd; a host PID)
 * pidfd of the init; its root must be
 * the plan's root; its CapBnd, cgroup
 * (validated), network namespace
 * leaf cgroup vzpkg-attach.<pid> below
 * the init's cgroup
 * binds as detached mounts (open_tree,
 * mount_setattr ro,nosuid,nodev)
 * seccomp filter exported as BPF
 * fork, fixed descriptors, execveat ---->  joins mnt, uts, ipc, net, pid;
 *                                          chroot to the init's root; private
 *                                          (slave) mount namespace; binds
 *                                          clone3 into our cgroup ------> command:
 *                                                         cgroup namespace, caps
 *                                                         cut, no_new_privs,
 *                                                         seccomp, exec
 * relays output until the helper exits;    waits for the command; kills the
 * on cancel/timeout writes cgroup.kill     cgroup if vzpkg dies; removes its
 * of our cgroup                            mounts and mount points
 * reaps it; hands what the command left
 * running to the init's cgroup (or waits
 * for the killed ones), removes our cgroup
 *
 * docs/internals/runtime.md, "Attaching to a running container", has the
 * reasons; security.md the threat model. */
#include "attach-helper.h"
#include "runtime-internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

/* The helper program, linked in by attach-blob.c. */
extern const char vz_attach_helper_start[], vz_attach_helper_end[];

void vz_plan_attach(struct vz_ct_plan *p, pid_t init_pid)
{
        p->attach_pid = init_pid;
}

/* ---- pure parts ------------------------------------------------------------ */

/* CapBnd of /proc/PID/status text. */
int vz_attach_parse_capbnd(const char *status, uint64_t *ret_mask)
{
        for (const char *line = status; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
                if (strncmp(line, "CapBnd:", 7) != 0)
                        continue;
                const char *s = line + 7;
                while (*s == ' ' || *s == '\t')
                        s++;
                size_t n = strspn(s, "0123456789abcdefABCDEF");
                if (n == 0 || n > 16 || (s[n] != '\n' && s[n] != '\0'))
                        return -EINVAL;
                char hex[17];
                memcpy(hex, s, n);
                hex[n] = '\0';
                *ret_mask = strtoull(hex, NULL, 16);
                return 0;
        }
        return -ENOENT;
}

/* A cgroup of the unified hierarchy as /proc/PID/cgroup names it: absolute,
 * no empty, "." or ".." component, printable, bounded. A container can
 * move its init to a cgroup of any name below its own. */
bool vz_attach_cgroup_path_ok(const char *path)
{
        size_t len = strlen(path);
        if (path[0] != '/' || len >= 4096)
                return false;
        if (len == 1)
                return true;
        for (const char *s = path + 1;; s++) {
                size_t l = strcspn(s, "/");
                if (l == 0 || l > 255 || (l == 1 && s[0] == '.') || (l == 2 && s[0] == '.' && s[1] == '.'))
                        return false;
                for (size_t i = 0; i < l; i++)
                        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
                                return false;
                s += l;
                if (!*s)
                        return true;
        }
}

/* The "0::PATH" line of /proc/PID/cgroup (cgroup v2). */
int vz_attach_parse_cgroup(const char *text, char **ret_path)
{
        for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
                if (strncmp(line, "0::", 3) != 0)
                        continue;
                size_t l = strcspn(line + 3, "\n");
                _cleanup_free_ char *path = strndup(line + 3, l);
                if (!path)
                        return -ENOMEM;
                if (!vz_attach_cgroup_path_ok(path))
                        return -EINVAL;
                *ret_path = TAKE_PTR(path);
                return 0;
        }
        return -ENOENT;
}

/* ---- the container's init ------------------------------------------------------ */

struct attach {
        pid_t init;
        int pidfd, rootfd, cgfd, initcgfd, leaffd, procsfd, bpffd, helperfd, selffd;
        int binds[ATTACH_MAX_BINDS];
        int v1[ATTACH_MAX_V1];   /* cgroup.procs of the init's v1 cgroups */
        size_t n_v1;
        uint64_t caps, own_caps;
        char *cgname, *cgtext;
};

static void attach_done(struct attach *a)
{
        int *fds[] = { &a->pidfd,  &a->rootfd, &a->cgfd,     &a->initcgfd, &a->leaffd,
                       &a->procsfd, &a->bpffd, &a->helperfd, &a->selffd };
        for (size_t i = 0; i < ELEMENTSOF(fds); i++)
                if (*fds[i] >= 0)
                        close(*fds[i]);
        for (size_t i = 0; i < ATTACH_MAX_BINDS; i++)
                if (a->binds[i] >= 0)
                        close(a->binds[i]);
        for (size_t i = 0; i < a->n_v1; i++)
                close(a->v1[i]);
        free(a->cgname);
        free(a->cgtext);
}

static int read_proc(pid_t pid, const char *name, char *buf, size_t size)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        size_t len = 0;
        ssize_t n;
        if (fd < 0)
                return -errno;
        while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
                len += (size_t)n;
        buf[len] = '\0';
        return len == size - 1 ? -EFBIG : 0;
}

static bool same_ns(pid_t pid, const char *ns)
{
        char path[64], self[64];
        struct stat a, b;
        snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ns);
        snprintf(self, sizeof(self), "/proc/self/ns/%s", ns);
        return stat(path, &a) == 0 && stat(self, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* The process is the init we were told about, runs from the plan's root,
 * and is still the same process once everything is read (a pid reused in
 * between would have given us another's files). */
static int inspect_init(const struct vz_ct_plan *p, struct attach *a, struct vz_error *err)
{
        char path[64], text[8192];
        struct stat want, got;
        uint64_t bnd;
        int r;

        a->pidfd = (int)syscall(SYS_pidfd_open, a->init, 0);
        if (a->pidfd < 0)
                return vz_error_set(err, errno == ESRCH ? -ESRCH : -errno, "container %s: init process %d: %m",
                                    p->root, (int)a->init);
        if (stat(p->root, &want) < 0)
                return vz_error_set(err, -errno, "container %s: %m", p->root);
        snprintf(path, sizeof(path), "/proc/%d/root", (int)a->init);
        a->rootfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (a->rootfd < 0 || fstat(a->rootfd, &got) < 0)
                return vz_error_set(err, -ESRCH, "container %s: root of process %d: %m (has it stopped?)", p->root,
                                    (int)a->init);
        if (got.st_dev != want.st_dev || got.st_ino != want.st_ino)
                return vz_error_set(err, -ESRCH, "container %s: process %d does not run from it", p->root,
                                    (int)a->init);
        if (!same_ns(a->init, "user"))
                return vz_error_set(err, -ENOTSUP,
                                    "container %s: its init runs in a user namespace; attaching to such a "
                                    "container is not supported (stop it to update it)", p->root);
        r = read_proc(a->init, "status", text, sizeof(text));
        if (r == 0)
                r = vz_attach_parse_capbnd(text, &bnd);
        if (r < 0)
                return vz_error_set(err, r, "container %s: CapBnd of process %d: %s", p->root, (int)a->init,
                                    strerror(-r));
        /* Raw sockets and low ports only where the container has its own
         * network, as for vz_ct_run(). */
        a->caps = vz_confine_caps_mask(same_ns(a->init, "net")) & bnd;
        /* The helper's own, once in: the init's set, plus dropping
         * capabilities for the command and its teardown (unmounting our
         * binds, removing the mount points it made). */
        a->own_caps = bnd | 1ULL << CAP_SETPCAP | 1ULL << CAP_SYS_ADMIN | 1ULL << CAP_DAC_OVERRIDE | 1ULL << CAP_FOWNER;
        r = read_proc(a->init, "cgroup", text, sizeof(text));
        if (r == 0)
                r = vz_attach_parse_cgroup(text, &a->cgname);
        if (r == 0)
                a->cgtext = vz_xstrdup(text);
        if (r < 0)
                return vz_error_set(err, r == -ENOENT ? -ENOTSUP : r,
                                    "container %s: cgroup of process %d: %s (cgroup v2 needed)", p->root,
                                    (int)a->init, r == -ENOENT ? "not in the unified hierarchy" : strerror(-r));
        if (syscall(SYS_pidfd_send_signal, a->pidfd, 0, NULL, 0) < 0)
                return vz_error_set(err, -ESRCH, "container %s: process %d is gone", p->root, (int)a->init);
        return 0;
}

/* ---- our leaf cgroup ------------------------------------------------------------- */

static int open_beneath(int dirfd, const char *path, int flags)
{
        struct open_how how = {
                .flags = (uint64_t)(flags | O_CLOEXEC),
                .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
        };
        int fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
        return fd < 0 ? -errno : fd;
}

/* The unified hierarchy: /sys/fs/cgroup, or /sys/fs/cgroup/unified on a
 * hybrid host. */
static int open_unified(void)
{
        static const char *const where[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
        for (size_t i = 0; i < ELEMENTSOF(where); i++) {
                struct statfs sf;
                int fd = open(where[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (fd >= 0 && fstatfs(fd, &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)
                        return fd;
                if (fd >= 0)
                        close(fd);
        }
        return -ENOTSUP;
}

/* On a hybrid host the init is also in one cgroup per v1 hierarchy
 * ("N:controllers:path" lines); the command joins those as they are, at
 * /sys/fs/cgroup/<controllers> (name=X at /sys/fs/cgroup/X). A hierarchy
 * mounted elsewhere is skipped. */
static int open_v1(const struct vz_ct_plan *p, struct attach *a, struct vz_error *err)
{
        for (const char *line = a->cgtext; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
                char ctrl[128], path[4096], dir[160];
                struct statfs sf;
                if (sscanf(line, "%*u:%127[a-z0-9_,=]:%4095[^\n]", ctrl, path) != 2 || strncmp(line, "0::", 3) == 0)
                        continue;
                if (!vz_attach_cgroup_path_ok(path))
                        return vz_error_set(err, -EINVAL, "container %s: bad cgroup path in /proc/%d/cgroup",
                                            p->root, (int)a->init);
                snprintf(dir, sizeof(dir), "/sys/fs/cgroup/%s", strncmp(ctrl, "name=", 5) == 0 ? ctrl + 5 : ctrl);
                _cleanup_close_ int top = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (top < 0 || fstatfs(top, &sf) < 0 || sf.f_type != CGROUP_SUPER_MAGIC)
                        continue;
                _cleanup_free_ char *procs = vz_asprintf("%s/cgroup.procs", strcmp(path, "/") ? path + 1 : ".");
                int fd = open_beneath(top, procs, O_WRONLY);
                if (fd < 0)
                        return vz_error_set(err, fd, "container %s: cgroup %s:%s: %s", p->root, ctrl, path,
                                            strerror(-fd));
                if (a->n_v1 == ATTACH_MAX_V1) {
                        close(fd);
                        return vz_error_set(err, -E2BIG, "container %s: too many cgroup hierarchies", p->root);
                }
                a->v1[a->n_v1++] = fd;
        }
        return 0;
}

/* Cgroups of attaches whose vzpkg was killed (its helper killed the
 * command and exited, but could not remove them): removed when their pid is
 * gone; rmdir refuses a cgroup that still holds a process. */
static void sweep_cgroups(int initcgfd)
{
        DIR *d = fdopendir(openat(initcgfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        struct dirent *e;
        while (d && (e = readdir(d))) {
                char *end;
                long pid;
                if (strncmp(e->d_name, "vzpkg-attach.", 13) != 0)
                        continue;
                pid = strtol(e->d_name + 13, &end, 10);
                if (*end || pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
                        continue;
                _cleanup_close_ int fd = open_beneath(initcgfd, e->d_name, O_DIRECTORY | O_RDONLY);
                if (fd >= 0)
                        unlinkat(fd, "cmd", AT_REMOVEDIR);
                unlinkat(initcgfd, e->d_name, AT_REMOVEDIR);
        }
        if (d)
                closedir(d);
}

/* vzpkg-attach.<pid> below the init's cgroup, for the helper, and cmd
 * below that for the command: the container's limits apply to both
 * (hierarchically), and cgroup.kill on cmd kills the command's whole tree
 * and nothing of the container's own. No controller is enabled in them, so
 * the helper's cgroup may hold a process and a child. */
static int make_cgroup(const struct vz_ct_plan *p, struct attach *a, struct vz_error *err)
{
        _cleanup_close_ int top = open_unified();
        char name[64];

        if (top < 0)
                return vz_error_set(err, -ENOTSUP, "container %s: attaching needs the cgroup v2 hierarchy", p->root);
        a->initcgfd = open_beneath(top, strcmp(a->cgname, "/") == 0 ? "." : a->cgname + 1, O_DIRECTORY | O_RDONLY);
        if (a->initcgfd < 0)
                return vz_error_set(err, a->initcgfd, "container %s: cgroup %s: %s", p->root, a->cgname,
                                    strerror(-a->initcgfd));
        sweep_cgroups(a->initcgfd);
        snprintf(name, sizeof(name), "vzpkg-attach.%d", (int)getpid());
        if (mkdirat(a->initcgfd, name, 0700) < 0 && errno != EEXIST)
                return vz_error_set(err, -errno, "container %s: cgroup %s/%s: %m", p->root, a->cgname, name);
        a->leaffd = open_beneath(a->initcgfd, name, O_DIRECTORY | O_RDONLY);
        if (a->leaffd >= 0 && mkdirat(a->leaffd, "cmd", 0700) < 0 && errno != EEXIST)
                return vz_error_set(err, -errno, "container %s: cgroup %s/%s/cmd: %m", p->root, a->cgname, name);
        if (a->leaffd >= 0)
                a->cgfd = open_beneath(a->leaffd, "cmd", O_DIRECTORY | O_RDONLY);
        if (a->cgfd >= 0)
                a->procsfd = open_beneath(a->leaffd, "cgroup.procs", O_WRONLY);
        if (a->leaffd < 0 || a->cgfd < 0 || a->procsfd < 0)
                return vz_error_set(err, -EIO, "container %s: cgroup %s/%s: cannot open it", p->root, a->cgname, name);
        return open_v1(p, a, err);
}

static int cg_write(int dirfd, const char *file, const char *text)
{
        _cleanup_close_ int fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, text, strlen(text)) < 0)
                return -errno;
        return 0;
}

static bool cg_populated(int dirfd)
{
        char buf[256];
        _cleanup_close_ int fd = openat(dirfd, "cgroup.events", O_RDONLY | O_CLOEXEC);
        ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return false;
        buf[n] = '\0';
        return strstr(buf, "populated 1") != NULL;
}

/* After a normal end, what the command left running (a daemon a
 * maintainer script started without the init's help) is the container's,
 * as after `apt-get upgrade` inside: it moves to the init's cgroup. After a
 * kill, we wait for the dead. Then our cgroup goes. */
static void remove_cgroup(struct attach *a, bool killed)
{
        char name[64];
        for (int round = 0; round < 100 && a->cgfd >= 0 && cg_populated(a->cgfd); round++) {
                if (killed)
                        cg_write(a->cgfd, "cgroup.kill", "1");
                else {
                        char buf[4096];
                        _cleanup_close_ int fd = openat(a->cgfd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
                        ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
                        buf[n > 0 ? n : 0] = '\0';
                        for (char *s = buf, *e; *s; s = *e ? e + 1 : e) {
                                e = s + strcspn(s, "\n");
                                char pid[16];
                                snprintf(pid, sizeof(pid), "%.*s", (int)(e - s), s);
                                cg_write(a->initcgfd, "cgroup.procs", pid);
                        }
                }
                nanosleep(&(struct timespec){ 0, 20 * 1000 * 1000 }, NULL);
        }
        if (a->leaffd >= 0)
                unlinkat(a->leaffd, "cmd", AT_REMOVEDIR);
        if (a->initcgfd >= 0) {
                snprintf(name, sizeof(name), "vzpkg-attach.%d", (int)getpid());
                unlinkat(a->initcgfd, name, AT_REMOVEDIR);
        }
}

/* ---- what the helper receives ----------------------------------------------------- */

/* Each bind as a detached copy of the host path, made before anything of
 * the container is joined: the helper only moves it into place. */
static int make_binds(const struct vz_ct_plan *p, struct attach *a, struct vz_error *err)
{
        if (p->n_binds > ATTACH_MAX_BINDS)
                return vz_error_set(err, -E2BIG, "container %s: too many bind mounts", p->root);
        for (size_t i = 0; i < p->n_binds; i++) {
                const struct vz_mount *m = &p->binds[i];
                struct mount_attr attr = { .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                                                       ((m->flags & VZ_BIND_RO) ? MOUNT_ATTR_RDONLY : 0) };
                a->binds[i] = open_tree(AT_FDCWD, m->source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
                if (a->binds[i] < 0)
                        return vz_error_set(err, -errno, "container %s: bind %s: %m", p->root, m->source);
                if (mount_setattr(a->binds[i], "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
                        return vz_error_set(err, -errno, "container %s: bind %s read-only: %m", p->root, m->source);
        }
        return 0;
}

/* The helper, copied into a memfd sealed against every change: what a
 * container process reaches through /proc/PID/exe cannot be written. */
static int make_helper(void)
{
        size_t len = (size_t)(vz_attach_helper_end - vz_attach_helper_start);
        int fd = memfd_create("vzpkg-attach", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0)
                return -errno;
        for (size_t off = 0; off < len;) {
                ssize_t n = write(fd, vz_attach_helper_start + off, len - off);
                if (n < 0) {
                        close(fd);
                        return -errno;
                }
                off += (size_t)n;
        }
        if (fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
                close(fd);
                return -errno;
        }
        return fd;
}

static int make_filter(void)
{
        int fd = memfd_create("vzpkg-seccomp", MFD_CLOEXEC), r;
        if (fd < 0)
                return -errno;
        r = vz_confine_seccomp_export(fd);
        if (r < 0) {
                close(fd);
                return r;
        }
        return fd;
}

static int prepare(const struct vz_ct_plan *p, struct attach *a, struct vz_error *err)
{
        int r = inspect_init(p, a, err);
        if (r == 0)
                r = make_cgroup(p, a, err);
        if (r == 0)
                r = make_binds(p, a, err);
        if (r < 0)
                return r;
        a->bpffd = make_filter();
        if (a->bpffd < 0)
                return vz_error_set(err, a->bpffd, "seccomp filter: %s", strerror(-a->bpffd));
        a->helperfd = make_helper();
        if (a->helperfd < 0)
                return vz_error_set(err, a->helperfd, "attach helper: %s", strerror(-a->helperfd));
        a->selffd = (int)syscall(SYS_pidfd_open, getpid(), 0);
        if (a->selffd < 0)
                return vz_error_set(err, -errno, "pidfd_open: %m");
        return 0;
}

/* ---- the helper's process ----------------------------------------------------------- */

static char **helper_argv(const struct vz_ct_plan *p, const struct attach *a)
{
        char **argv = vz_xmalloc(sizeof(char *));
        _cleanup_free_ char *mask = vz_asprintf("%llx", (unsigned long long)a->caps);
        _cleanup_free_ char *own = vz_asprintf("%llx", (unsigned long long)a->own_caps);
        _cleanup_free_ char *n = vz_asprintf("%zu", p->n_binds);
        _cleanup_free_ char *nv1 = vz_asprintf("%zu", a->n_v1);
        vz_strv_push(&argv, "vzpkg-attach");
        vz_strv_push(&argv, ATTACH_MAGIC);
        vz_strv_push(&argv, mask);
        vz_strv_push(&argv, own);
        vz_strv_push(&argv, n);
        vz_strv_push(&argv, nv1);
        for (size_t i = 0; i < p->n_binds; i++) {
                vz_strv_push(&argv, p->binds[i].target);
                vz_strv_push(&argv, (p->binds[i].flags & VZ_BIND_FILE) ? "f" : "d");
        }
        vz_strv_push(&argv, "--");
        for (char **c = p->argv; *c; c++)
                vz_strv_push(&argv, *c);
        return argv;
}

/* In the forked child: every descriptor to its fixed number, the rest
 * close-on-exec, then the helper. Runs between fork and exec: only
 * async-signal-safe calls. */
static void __attribute__((noreturn)) exec_helper(const struct attach *a, size_t n_binds, int in, int errw, int outw,
                                                  char **argv, char **envp)
{
        enum { MAX = ATTACH_FD_BINDS + ATTACH_MAX_BINDS + ATTACH_MAX_V1 };
        int src[MAX], high[MAX], n = ATTACH_FD_BINDS + (int)n_binds + (int)a->n_v1;
        for (int i = 0; i < n; i++)
                src[i] = -1;
        src[0] = in;
        src[1] = src[2] = src[ATTACH_FD_OUT] = outw;
        src[ATTACH_FD_ERR] = errw;
        src[ATTACH_FD_PIDFD] = a->pidfd;
        src[ATTACH_FD_ROOT] = a->rootfd;
        src[ATTACH_FD_CGROUP] = a->cgfd;
        src[ATTACH_FD_SECCOMP] = a->bpffd;
        src[ATTACH_FD_PARENT] = a->selffd;
        src[ATTACH_FD_CGPROCS] = a->procsfd;
        for (size_t i = 0; i < n_binds; i++)
                src[ATTACH_FD_BINDS + i] = a->binds[i];
        for (size_t i = 0; i < a->n_v1; i++)
                src[ATTACH_FD_BINDS + n_binds + i] = a->v1[i];
        /* Out of the way first, so no dup2 overwrites a source. */
        int helper = fcntl(a->helperfd, F_DUPFD_CLOEXEC, 100);
        if (helper < 0)
                _exit(ATTACH_SETUP_FAILED);
        for (int i = 0; i < n; i++)
                if ((high[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 100)) < 0)
                        _exit(ATTACH_SETUP_FAILED);
        for (int i = 0; i < n; i++)
                if (dup2(high[i], i) < 0)
                        _exit(ATTACH_SETUP_FAILED);
        if (syscall(SYS_close_range, n, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
                _exit(ATTACH_SETUP_FAILED);
        syscall(SYS_execveat, helper, "", argv, envp, AT_EMPTY_PATH);
        _exit(ATTACH_SETUP_FAILED);
}

struct pipes {
        int in[2], err[2], out[2];
};

static void close_fd(int *fd)
{
        if (*fd >= 0)
                close(*fd);
        *fd = -1;
}

static void close_pipes(struct pipes *pp)
{
        int *all[] = { &pp->in[0], &pp->in[1], &pp->err[0], &pp->err[1], &pp->out[0], &pp->out[1] };
        for (size_t i = 0; i < ELEMENTSOF(all); i++)
                close_fd(all[i]);
}

static long long now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Relay output until the helper exits (not until the pipe's end: a daemon
 * the command started may hold it open for ever); kill our cgroup when
 * cancelled or past the deadline. */
static int pump(const struct vz_ct_plan *p, struct attach *a, int helper, int outfd)
{
        long long deadline = p->timeout > 0 ? now_ms() + p->timeout * 1000 : 0;
        char buf[8192];
        int killed = 0;
        bool done = false;
        fcntl(outfd, F_SETFL, O_NONBLOCK);
        while (!done) {
                struct pollfd pfd[2] = { { .fd = outfd, .events = POLLIN }, { .fd = helper, .events = POLLIN } };
                if (poll(pfd, 2, 200) < 0 && errno != EINTR)
                        break;
                if (!killed && p->cancelled && p->cancelled())
                        killed = -VZ_E_INTERRUPTED;
                else if (!killed && deadline > 0 && now_ms() >= deadline)
                        killed = -ETIMEDOUT;
                if (killed)
                        cg_write(a->cgfd, "cgroup.kill", "1");
                done = pfd[1].revents != 0;
                for (;;) {  /* everything there is now; all of it at the end */
                        ssize_t got = read(outfd, buf, sizeof(buf));
                        if (got <= 0)
                                break;
                        if (p->output)
                                p->output(p->userdata, buf, (size_t)got);
                }
        }
        return killed;
}

static int read_error(int fd, struct vz_error *err)
{
        struct attach_error rec;
        fcntl(fd, F_SETFL, O_NONBLOCK);
        if (read(fd, &rec, sizeof(rec)) != (ssize_t)sizeof(rec))
                return 0;
        rec.msg[sizeof(rec.msg) - 1] = '\0';
        return vz_error_set(err, -VZ_E_RUNTIME, "container: %s", rec.msg);
}

static int run_helper(struct vz_ct_plan *p, struct attach *a, int *ret_status, struct vz_error *err)
{
        struct pipes pp = { { -1, -1 }, { -1, -1 }, { -1, -1 } };
        _cleanup_strv_ char **argv = helper_argv(p, a);
        _cleanup_close_ int helper = -1;
        int r, st, status;
        pid_t pid;

        if (pipe2(pp.in, O_CLOEXEC) < 0 || pipe2(pp.err, O_CLOEXEC) < 0 || pipe2(pp.out, O_CLOEXEC) < 0) {
                r = vz_error_set(err, -errno, "container: pipes: %m");
                goto out;
        }
        close_fd(&pp.in[1]);  /* stdin: at its end already */
        fflush(NULL);
        pid = fork();
        if (pid < 0) {
                r = vz_error_set(err, -errno, "container: fork: %m");
                goto out;
        }
        if (pid == 0)
                exec_helper(a, p->n_binds, pp.in[0], pp.err[1], pp.out[1], argv, p->env);
        close_fd(&pp.err[1]);
        close_fd(&pp.out[1]);
        helper = (int)syscall(SYS_pidfd_open, pid, 0);
        if (helper < 0) {  /* without it we could not tell when it ends */
                r = vz_error_set(err, -errno, "container: pidfd_open: %m");
                kill(pid, SIGKILL);
                cg_write(a->cgfd, "cgroup.kill", "1");
                while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                        ;
                remove_cgroup(a, true);
                goto out;
        }
        r = pump(p, a, helper, pp.out[0]);
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        remove_cgroup(a, r < 0);
        if (r >= 0)
                r = read_error(pp.err[0], err);
        if (r == -VZ_E_INTERRUPTED)
                vz_error_set(err, r, "interrupted; the command was killed in the container");
        if (r == -ETIMEDOUT)
                r = vz_error_set(err, -VZ_E_RUNTIME,
                                 "container: %s did not finish within %lld s (RUN_TIMEOUT); its processes were killed",
                                 p->argv[0], p->timeout);
        if (r >= 0 && ret_status)
                *ret_status = status;
out:
        close_pipes(&pp);
        return r;
}

int vz_attach_run(struct vz_ct_plan *p, int *ret_status, struct vz_error *err)
{
        struct attach a = { .init = p->attach_pid, .pidfd = -1, .rootfd = -1, .cgfd = -1, .initcgfd = -1,
                            .leaffd = -1, .procsfd = -1, .bpffd = -1, .helperfd = -1, .selffd = -1 };
        int r;

        for (size_t i = 0; i < ATTACH_MAX_BINDS; i++)
                a.binds[i] = -1;
        if (p->fn) {
                r = vz_error_set(err, -ENOTSUP,
                                 "container %s is running: a transaction run by vzpkg's own library (RPM) "
                                 "cannot be attached to it; stop the container first", p->root);
                goto out;
        }
        r = prepare(p, &a, err);
        if (r == 0)
                r = run_helper(p, &a, ret_status, err);
        else {
                if (a.initcgfd >= 0)
                        remove_cgroup(&a, true);
                /* Not the container's init (gone, or another root) and not
                 * attachable stay distinct for the caller; the rest is a
                 * container that could not be set up, as for vz_ct_run(). */
                if (r != -ESRCH && r != -ENOTSUP) {
                        r = -VZ_E_RUNTIME;
                        if (err)
                                err->code = r;
                }
        }
out:
        attach_done(&a);
        return r;
}
