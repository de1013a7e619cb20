/* ctrun.c: is a container running, and which process is its init.
 * Generic method: a process whose root directory is the container's root
 * (same device and inode as the opened private area) and which is PID 1 of
 * a PID namespace other than ours. See docs/internals/containers.md,
 * "Running containers". */
#include "vzpkg.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>

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

int vz_ct_find_init(const struct vz_ct *ct, pid_t *ret_pid, struct vz_error *err)
{
        _cleanup_close_ int procfd = -1;
        struct stat root;
        DIR *d;
        struct dirent *e;
        pid_t self = getpid();

        *ret_pid = 0;
        if (ct->priv_fd < 0)
                return 0;
        if (fstat(ct->priv_fd, &root) < 0)
                return vz_error_set(err, -errno, "container %s: private area: %m", ct->id);
        procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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
                if (same_root(procfd, e->d_name, &root) && ns_pid(procfd, e->d_name) == 1) {
                        *ret_pid = (pid_t)pid;
                        break;
                }
        }
        closedir(d);
        return 0;
}
