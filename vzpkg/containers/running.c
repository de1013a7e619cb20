/* containers/running.c: is a container running, and which process is its init.
 * The manager's own answer first: liblxc for an LXC container (its init,
 * accepted when that process's root is the container's), `vzctl status`
 * for a vzctl one where vzctl is installed. Then, for any container the
 * manager did not name an init of, the generic method: a process whose
 * root directory is the container's root (same device and inode as the
 * opened private area) and which is PID 1 of a PID namespace other than
 * ours: it finds containers started by any manager from that root. See
 * docs/internals/containers.md, "Running containers". */
#include "context.h"
#include "pipeline.h"
#include "containers.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <time.h>

/* Last value of the NSpid line of /proc/PID/status: the pid in its own
 * namespace (1 for an init); 0 when unreadable. */
static long ns_pid(int procfd, const char *pid)
{
        _cleanup_free_ char *path = vz_asprintf("%s/status", pid);
        _cleanup_close_ int fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
        char text[8192];
        ssize_t n;
        long last = 0;

        if (fd < 0 || (n = read(fd, text, sizeof text - 1)) <= 0)
                return 0;
        text[n] = 0;
        for (char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
                if (strncmp(line, "NSpid:", 6))
                        continue;
                for (char *tok = line + 6; *tok && *tok != '\n';) {
                        char *end;
                        long v = strtol(tok, &end, 10);
                        if (end == tok)
                                break;
                        last = v;
                        tok = end;
                }
                break;
        }
        return last;
}

static bool same_root(int procfd, const char *pid, const struct stat *root)
{
        _cleanup_free_ char *path = vz_asprintf("%s/root/", pid);
        struct stat st;

        return fstatat(procfd, path, &st, 0) == 0 && st.st_dev == root->st_dev && st.st_ino == root->st_ino;
}

/* The generic scan: the init of a PID namespace whose root is root. */
static int scan_proc(const struct stat *root, pid_t *ret_pid, struct vz_error *err)
{
        _cleanup_close_ int procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d;
        struct dirent *e;
        pid_t self = getpid();

        if (procfd < 0)
                return vz_error_set(err, -errno, "/proc: %m");
        d = fdopendir(dup(procfd));
        if (!d)
                return vz_error_set(err, -errno, "/proc: %m");
        while ((e = readdir(d))) {
                char *end;
                long pid = strtol(e->d_name, &end, 10);
                if (*end || pid <= 0 || pid == self)
                        continue;
                if (same_root(procfd, e->d_name, root) && ns_pid(procfd, e->d_name) == 1) {
                        *ret_pid = (pid_t)pid;
                        break;
                }
        }
        closedir(d);
        return 0;
}

/* ---- vzctl status ---------------------------------------------------------------- */

struct vzctl_out {
        char buf[512];
        size_t len;
};

static void keep_out(void *userdata, const char *buf, size_t len)
{
        struct vzctl_out *o = userdata;
        size_t n = len < sizeof(o->buf) - 1 - o->len ? len : sizeof(o->buf) - 1 - o->len;
        memcpy(o->buf + o->len, buf, n);
        o->len += n;
        o->buf[o->len] = '\0';
}

static double vzctl_deadline;

static int vzctl_too_slow(void)
{
        return vz_now() > vzctl_deadline || vz_interrupted();
}

/* $VZPKG_VZCTL ("" never asks), else vzctl where its package puts it. */
static const char *vzctl_binary(void)
{
        const char *env = getenv("VZPKG_VZCTL");
        if (env)
                return *env ? env : NULL;
        return vz_is_executable("/usr/sbin/vzctl") ? "/usr/sbin/vzctl"
               : vz_is_executable("/sbin/vzctl")   ? "/sbin/vzctl"
                                                   : NULL;
}

/* 1 when vzctl says the container runs ("CTID 101 exist mounted running"),
 * 0 when it says otherwise or there is no vzctl. */
static int vzctl_running(const struct vz_ct *ct, struct vz_error *err)
{
        const char *bin = vzctl_binary();
        char *const argv[] = { (char *)bin, "status", ct->id, NULL };
        char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL };
        struct vzctl_out out = { .len = 0 };
        int status = 0, r;
        if (!bin)
                return 0;
        vzctl_deadline = vz_now() + 10;
        r = vz_host_run(argv, envp, keep_out, &out, vzctl_too_slow, &status, err);
        if (r < 0)
                return vz_error_reset(err, r, "container %s: %s status did not answer: %s", ct->id, bin,
                                      vz_strerror(r));
        _cleanup_strv_ char **words = vz_strv_split(out.buf, " \t\n");
        return status == 0 && vz_strv_contains(words, "running");
}

int vz_ct_find_init(const struct vz_ct *ct, pid_t *ret_pid, struct vz_error *err)
{
        struct stat root;
        pid_t pid = 0;
        int says = 0, r;

        *ret_pid = 0;
        if (ct->priv_fd < 0)
                return 0;
        if (fstat(ct->priv_fd, &root) < 0)
                return vz_error_set(err, -errno, "container %s: private area: %m", ct->id);
        if (ct->kind == VZ_CT_LXC) {
                r = vz_lxc_init_pid(ct, &pid, err);
                if (r < 0)
                        return r;
                if (pid > 0 && ct->ovl_upper)  /* LXC's own overlay, not the view vzpkg opened */
                        return vz_ct_overlay_refuse(ct, "working on a running container", err);
                _cleanup_free_ char *name = vz_asprintf("%d", (int)pid);
                _cleanup_close_ int procfd = pid > 0 ? open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
                /* LXC's init runs from this rootfs, not from one the config named before */
                if (procfd >= 0 && same_root(procfd, name, &root)) {
                        *ret_pid = pid;
                        return 0;
                }
        } else if ((says = vzctl_running(ct, err)) < 0)
                return says;
        pid = 0;
        r = scan_proc(&root, &pid, err);
        if (r < 0)
                return r;
        if (!pid && says)
                return vz_error_set(err, -VZ_E_CONFIG,
                                    "container %s: vzctl says it runs, but no process has %s as its root "
                                    "(another layout than simfs?); stop it for vzpkg",
                                    ct->id, ct->private_dir);
        *ret_pid = pid;
        return 0;
}
