/* restart.c: which processes of a running container still run replaced
 * code, grouped by the service they belong to, and restarting those
 * services through the container's own init (update --restart).
 *
 * Everything is read from the host's /proc, never from the container's
 * files: a process's exe link and its maps name the files it maps, and a
 * file that was replaced by rename (dpkg, rpm) or removed is marked
 * " (deleted)" there. Every string read is the tenant's (file names,
 * comm, cgroup names): it is sanitised before it reaches a terminal or
 * the JSON, and a unit name must pass a strict check before it becomes an
 * argument of systemctl. See docs/internals/containers.md, "Processes
 * that run replaced files". */
#include "context.h"
#include "containers.h"

#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <sys/stat.h>

enum { MAX_FILES = 8, MAX_NAME = 256, MAX_PROC_FILE = 16 << 20 };

/* ---- pure parts (unit-tested) --------------------------------------------------- */

char *vz_restart_sanitize(const char *s)
{
        size_t n = strnlen(s, MAX_NAME * 4), o = 0;
        char *out = vz_xmalloc(n * 4 + 4);
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];
                if (c >= 0x20 && c < 0x7f)
                        out[o++] = (char)c;
                else
                        o += (size_t)snprintf(out + o, 5, "\\x%02x", c);
        }
        if (s[n])
                memcpy(out + o, "...", 3), o += 3;
        out[o] = '\0';
        return out;
}

/* Files whose removal says nothing about old code: shared memory, anonymous
 * shared mappings, memfds (runc's cloned binary, JIT code), and what lives
 * on the volatile file systems (a program's own temporary files). */
static const char *const ignored_prefixes[] = { "/memfd:", "/SYSV", "/dev/", "/tmp/", "/run/", "/var/tmp/",
                                                "/[", NULL };

int vz_restart_classify_path(const char *path, const char *root, char **ret)
{
        static const char suffix[] = " (deleted)";
        size_t len = strlen(path), rl = root ? strlen(root) : 0;
        if (path[0] != '/' || len <= sizeof(suffix) - 1 || !vz_endswith(path, suffix))
                return 0;
        len -= sizeof(suffix) - 1;
        /* A container whose root the host reaches shows host paths. */
        if (rl > 1 && strncmp(path, root, rl) == 0 && path[rl] == '/' && len > rl) {
                path += rl;
                len -= rl;
        }
        _cleanup_free_ char *p = strndup(path, len);
        if (!p)
                abort();
        for (const char *const *x = ignored_prefixes; *x; x++)
                if (vz_startswith(p, *x))
                        return 0;
        *ret = TAKE_PTR(p);
        return 1;
}

int vz_restart_maps_line(const char *line, const char *root, char **ret)
{
        const char *s = line, *start[5];
        size_t len = strcspn(line, "\n");
        /* address perms offset dev inode, then padding, then the path */
        for (int field = 0; field < 5; field++) {
                start[field] = s;
                s = memchr(s, ' ', len - (size_t)(s - line));
                if (!s || s == start[field])
                        return -EINVAL;
                s++;
        }
        const char *perms = start[1];
        if (start[2] - perms != 5)
                return -EINVAL;
        if (perms[2] != 'x')
                return 0;  /* data, not code: a deleted cache file needs no restart */
        while (*s == ' ')
                s++;
        _cleanup_free_ char *path = strndup(s, len - (size_t)(s - line));
        if (!path)
                abort();
        return vz_restart_classify_path(path, root, ret);
}

/* The path of one hierarchy in a /proc/PID/cgroup text: systemd's named
 * v1 hierarchy (legacy and hybrid set-ups track units there) or the
 * unified one ("0::"); NULL when absent. */
static char *hier_path(const char *text, bool unified)
{
        for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                const char *c = strchr(l, ':'), *p = NULL;
                if (unified && vz_startswith(l, "0::"))
                        p = l + 3;
                else if (!unified && c && vz_startswith(c + 1, "name=systemd:"))
                        p = c + 14;
                if (p)
                        return strndup(p, strcspn(p, "\n"));
        }
        return NULL;
}

/* The container's own cgroup in a hierarchy: its init's, without the
 * init.scope systemd moves itself into. */
static char *ct_cgroup(const char *init_text, bool unified)
{
        char *p = init_text ? hier_path(init_text, unified) : NULL;
        char *slash;
        if (p && vz_endswith(p, "/init.scope") && (slash = strrchr(p, '/')))
                *slash = '\0';
        return p;
}

bool vz_restart_unit_valid(const char *u)
{
        static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:_.@\\-";
        size_t n = strlen(u);
        return n > 8 && n <= 255 && u[0] != '-' && u[0] != '.' && strspn(u, ok) == n && vz_endswith(u, ".service");
}

static bool is_session(const char *comp)
{
        return (vz_startswith(comp, "session-") && vz_endswith(comp, ".scope")) ||
               (vz_startswith(comp, "user@") && vz_endswith(comp, ".service"));
}

static enum vz_restart_kind classify_cgroup(const char *path, const char *root, char **ret_unit)
{
        _cleanup_strv_ char **comps = NULL;
        const char *rel = path, *unit = NULL;
        size_t rl = root ? strlen(root) : 0;
        /* the container's view: the part below its own cgroup */
        if (rl > 1 && strncmp(path, root, rl) == 0 && (path[rl] == '/' || !path[rl]))
                rel = path + rl;
        comps = vz_strv_split(rel, "/");
        for (char **c = comps; *c; c++) {
                if (is_session(*c))
                        return VZ_RESTART_SESSION;
                if (strcmp(*c, "init.scope") == 0)
                        return VZ_RESTART_INIT;
                if (vz_endswith(*c, ".service"))
                        unit = *c;
        }
        if (unit && unit[0] == '_')
                unit++;  /* systemd escapes names that clash with cgroupfs' own with a '_' */
        if (!unit || !vz_restart_unit_valid(unit))
                return VZ_RESTART_OTHER;
        *ret_unit = vz_xstrdup(unit);
        return VZ_RESTART_SERVICE;
}

enum vz_restart_kind vz_restart_unit(const char *cgroup_text, const char *init_cgroup_text, char **ret_unit)
{
        *ret_unit = NULL;
        for (int unified = 0; unified < 2; unified++) {
                _cleanup_free_ char *path = hier_path(cgroup_text, unified);
                _cleanup_free_ char *root = ct_cgroup(init_cgroup_text, unified);
                enum vz_restart_kind k = path ? classify_cgroup(path, root, ret_unit) : VZ_RESTART_OTHER;
                if (k != VZ_RESTART_OTHER)
                        return k;
        }
        return VZ_RESTART_OTHER;
}

/* Services --restart leaves alone: restarting the system bus breaks every
 * client of it (systemd's advice is a reboot), and a getty's restart ends
 * the session on it, which is the admin's call as for user sessions. */
bool vz_restart_unit_automatic(const char *unit)
{
        static const char *const manual[] = { "dbus.service", "dbus-broker.service", "console-getty.service", NULL };
        for (const char *const *m = manual; *m; m++)
                if (strcmp(unit, *m) == 0)
                        return false;
        return !strstr(unit, "getty@");
}

long vz_restart_nspid(const char *status_text)
{
        const char *l = strstr(status_text, "\nNSpid:");
        long last = 0;
        if (!l)
                return 0;
        for (const char *t = l + 7; *t && *t != '\n';) {
                char *end;
                long v = strtol(t, &end, 10);
                if (end == t)
                        break;
                last = v;
                t = end;
        }
        return last;
}

/* ---- the scan ---------------------------------------------------------------------- */

/* A /proc file in full (they report no size), at most max bytes. */
static char *read_at(int dfd, const char *name, size_t max)
{
        _cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
        size_t len = 0, cap = 4096;
        char *buf;
        if (fd < 0)
                return NULL;
        buf = vz_xmalloc(cap + 1);
        for (;;) {
                ssize_t k = read(fd, buf + len, cap - len);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        free(buf);
                        return NULL;  /* the process went away */
                }
                if (k == 0)
                        break;
                len += (size_t)k;
                if (len == cap) {
                        if (cap >= max)
                                break;
                        cap *= 2;
                        buf = vz_xrealloc(buf, cap + 1);
                }
        }
        buf[len] = '\0';
        return buf;
}

static char *link_at(int dfd, const char *name)
{
        char buf[8192];
        ssize_t n = readlinkat(dfd, name, buf, sizeof(buf) - 1);
        if (n < 0)
                return NULL;
        buf[n] = '\0';
        return vz_xstrdup(buf);
}

static void add_file(char ***files, size_t *n, char *path)
{
        if (vz_strv_contains(*files, path)) {
                free(path);
                return;
        }
        vz_strv_push_take(files, path);
        (*n)++;
}

/* The deleted code files process pfd maps: its exe, then its maps. */
static char **stale_files(int pfd, const char *root, size_t *ret_n)
{
        char **files = vz_xmalloc(sizeof(char *));
        _cleanup_free_ char *exe = link_at(pfd, "exe");
        _cleanup_free_ char *maps = read_at(pfd, "maps", MAX_PROC_FILE);
        char *path;
        *ret_n = 0;
        if (exe && vz_restart_classify_path(exe, root, &path) == 1)
                add_file(&files, ret_n, path);
        for (char *l = maps; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
                if (vz_restart_maps_line(l, root, &path) == 1)
                        add_file(&files, ret_n, path);
        return files;
}

static bool scan_proc(int pfd, pid_t pid, const char *root, const char *init_cg, struct vz_restart_proc *ret)
{
        size_t n;
        _cleanup_strv_ char **files = stale_files(pfd, root, &n);
        if (n == 0)
                return false;
        _cleanup_free_ char *comm = read_at(pfd, "comm", 4096);
        _cleanup_free_ char *status = read_at(pfd, "status", 1 << 16);
        _cleanup_free_ char *cg = read_at(pfd, "cgroup", 1 << 16);
        memset(ret, 0, sizeof(*ret));
        ret->pid = pid;
        ret->ct_pid = status ? vz_restart_nspid(status) : 0;
        if (comm)
                comm[strcspn(comm, "\n")] = '\0';
        ret->comm = vz_restart_sanitize(comm ? comm : "?");
        ret->kind = cg ? vz_restart_unit(cg, init_cg, &ret->unit) : VZ_RESTART_OTHER;
        if (ret->ct_pid == 1)
                ret->kind = VZ_RESTART_INIT;
        ret->n_files = n;
        ret->files = vz_xmalloc(sizeof(char *));
        for (size_t i = 0; i < n && i < MAX_FILES; i++)
                vz_strv_push_take(&ret->files, vz_restart_sanitize(files[i]));
        return true;
}

static void add_unique(char ***v, const char *s)
{
        if (!vz_strv_contains(*v, s))
                vz_strv_push(v, s);
}

static void summarise_procs(struct vz_restart *r)
{
        for (size_t i = 0; i < r->n; i++) {
                const struct vz_restart_proc *p = &r->procs[i];
                switch (p->kind) {
                case VZ_RESTART_SERVICE:
                        add_unique(vz_restart_unit_automatic(p->unit) ? &r->services : &r->manual, p->unit);
                        break;
                case VZ_RESTART_SESSION: r->sessions = true; break;
                case VZ_RESTART_INIT:
                        if (p->ct_pid == 1)
                                r->init_affected = true;
                        else
                                r->others = true;
                        break;
                case VZ_RESTART_OTHER: r->others = true; break;
                }
        }
        vz_strv_sort(r->services);
        vz_strv_sort(r->manual);
}

/* Is init (its exe link, maybe " (deleted)") systemd? Only chooses which
 * command runs inside the container, so the tenant's say is harmless. */
static bool is_systemd(const char *exe)
{
        const char *base = exe ? strrchr(exe, '/') : NULL;
        return base && (strcmp(base, "/systemd") == 0 || strcmp(base, "/systemd (deleted)") == 0);
}

int vz_restart_scan_at(int procfd, pid_t init, const char *root, struct vz_restart *ret, struct vz_error *err)
{
        _cleanup_free_ char *name = vz_asprintf("%d", (int)init);
        _cleanup_close_ int ifd = openat(procfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_free_ char *ns = ifd >= 0 ? link_at(ifd, "ns/pid") : NULL;
        _cleanup_free_ char *init_cg = ifd >= 0 ? read_at(ifd, "cgroup", 1 << 16) : NULL;
        _cleanup_free_ char *init_exe = ifd >= 0 ? link_at(ifd, "exe") : NULL;
        struct dirent *e;
        DIR *d;

        memset(ret, 0, sizeof(*ret));
        ret->services = vz_xmalloc(sizeof(char *));
        ret->manual = vz_xmalloc(sizeof(char *));
        if (!ns)
                return vz_error_set(err, -errno, "the container's init (pid %d): %m", (int)init);
        ret->init_systemd = is_systemd(init_exe);
        d = fdopendir(fcntl(procfd, F_DUPFD_CLOEXEC, 3));
        if (!d)
                return vz_error_set(err, -errno, "/proc: %m");
        while ((e = readdir(d))) {
                char *end;
                long pid = strtol(e->d_name, &end, 10);
                if (*end || pid <= 0)
                        continue;
                /* a directory fd pins the process: a pid reused meanwhile reads as gone */
                _cleanup_close_ int pfd = openat(procfd, e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                _cleanup_free_ char *pns = pfd >= 0 ? link_at(pfd, "ns/pid") : NULL;
                if (!pns || strcmp(pns, ns) != 0)
                        continue;
                ret->procs = vz_xrealloc(ret->procs, (ret->n + 1) * sizeof(*ret->procs));
                if (scan_proc(pfd, (pid_t)pid, root, init_cg, &ret->procs[ret->n]))
                        ret->n++;
        }
        closedir(d);
        summarise_procs(ret);
        return 0;
}

/* Prefix the message with the container's name. */
static int name_ct(struct vz_error *err, int r, const struct vz_ct *ct)
{
        char msg[sizeof(err->msg)];
        memcpy(msg, err->msg, sizeof(msg));
        return vz_error_reset(err, r, "container %s: %s", ct->id, msg);
}

int vz_restart_scan(const struct vz_ct *ct, pid_t init, struct vz_restart *ret, struct vz_error *err)
{
        _cleanup_close_ int procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (procfd < 0)
                return vz_error_set(err, -errno, "/proc: %m");
        int r = vz_restart_scan_at(procfd, init, ct->private_dir, ret, err);
        return r < 0 ? name_ct(err, r, ct) : r;
}

void vz_restart_done(struct vz_restart *r)
{
        for (size_t i = 0; i < r->n; i++) {
                free(r->procs[i].comm);
                free(r->procs[i].unit);
                vz_strv_free(r->procs[i].files);
        }
        free(r->procs);
        vz_strv_free(r->services);
        vz_strv_free(r->manual);
        memset(r, 0, sizeof(*r));
}

/* ---- output ------------------------------------------------------------------------ */

static const char *const kind_names[] = { "service", "session", "init", "other" };

const char *vz_restart_init_action(const struct vz_restart *r)
{
        if (!r->init_affected)
                return NULL;
        return r->init_systemd ? "daemon-reexec" : "reboot";
}

/* names and paths from the container: any bytes (vz_json_string) */
static json_t *strv_json(char *const *v)
{
        json_t *a = json_array();
        for (; v && *v; v++)
                json_array_append_new(a, vz_json_string(*v));
        return a;
}

json_t *vz_restart_json(const struct vz_restart *r, char *const *restarted)
{
        const char *init = vz_restart_init_action(r);
        json_t *procs = json_array();
        for (size_t i = 0; i < r->n; i++) {
                const struct vz_restart_proc *p = &r->procs[i];
                json_array_append_new(procs,
                                      json_pack("{s:I, s:I, s:o, s:s, s:o, s:o, s:I}", "pid", (json_int_t)p->ct_pid,
                                                "host_pid", (json_int_t)p->pid, "comm", vz_json_string(p->comm),
                                                "kind", kind_names[p->kind], "unit", vz_json_string(p->unit),
                                                "files", strv_json(p->files), "n_files", (json_int_t)p->n_files));
        }
        json_t *o = json_pack("{s:b, s:o, s:o, s:b, s:b, s:o, s:o}", "needed", r->n > 0, "services",
                              strv_json(r->services), "manual", strv_json(r->manual), "user_sessions", r->sessions,
                              "other_processes", r->others, "init", init ? json_string(init) : json_null(),
                              "processes", procs);
        if (restarted)
                json_object_set_new(o, "restarted", strv_json(restarted));
        return o;
}

static void part(FILE *f, bool *first, const char *text)
{
        fputs(*first ? " " : "; ", f);
        fputs(text, f);
        *first = false;
}

/* "restart needed: a.service b.service; by hand: dbus.service; ..." */
char *vz_restart_line(const struct vz_restart *r)
{
        char *s = NULL;
        size_t len = 0;
        bool first = true;
        FILE *f = open_memstream(&s, &len);
        const char *init = vz_restart_init_action(r);
        fputs("restart needed:", f);
        for (char **u = r->services; *u; u++) {
                fprintf(f, " %s", *u);
                first = false;
        }
        if (r->manual[0]) {
                part(f, &first, "by hand:");
                for (char **u = r->manual; *u; u++)
                        fprintf(f, " %s", *u);
        }
        if (r->sessions)
                part(f, &first, "user sessions");
        if (init)
                part(f, &first, strcmp(init, "reboot") ? "init (systemctl daemon-reexec)" : "init (reboot the container)");
        if (r->others)
                part(f, &first, "processes outside any service");
        fclose(f);
        return s;
}

void vz_restart_print(FILE *out, const char *id, const struct vz_restart *r)
{
        _cleanup_free_ char *line = vz_restart_line(r);
        fprintf(out, "container %s: %s\n", id, line);
        for (size_t i = 0; i < r->n; i++) {
                const struct vz_restart_proc *p = &r->procs[i];
                fprintf(out, "  pid %ld (%s) %s: %s", p->ct_pid, p->comm, p->unit ? p->unit : kind_names[p->kind],
                        p->files[0] ? p->files[0] : "?");
                if (p->n_files > 1)
                        fprintf(out, " and %zu more", p->n_files - 1);
                fputc('\n', out);
        }
}

/* ---- restarting ------------------------------------------------------------------ */

struct run_out {
        FILE *log;
        char tail[512];
        size_t len;
};

static void on_output(void *userdata, const char *buf, size_t len)
{
        struct run_out *o = userdata;
        if (o->log)
                fwrite(buf, 1, len, o->log);
        for (size_t i = 0; i < len; i++) {
                if (o->len == sizeof(o->tail) - 1) {
                        memmove(o->tail, o->tail + 1, o->len - 1);
                        o->len--;
                }
                o->tail[o->len++] = buf[i];
        }
        o->tail[o->len] = '\0';
}

/* argv inside the running container, through its init's namespaces. */
static int run_in(const struct vz_ct *ct, pid_t init, char *const *argv, long long timeout, FILE *log,
                  struct vz_error *err)
{
        _cleanup_plan_ struct vz_ct_plan *p = vz_plan_new(ct->private_dir);
        struct run_out o = { .log = log };
        int status = 0, r;
        if (log) {
                fputs("\n### restart:", log);
                for (char *const *a = argv; *a; a++)
                        fprintf(log, " %s", *a);
                fputc('\n', log);
                fflush(log);
        }
        vz_plan_env(p, "LC_ALL=C");
        vz_plan_attach(p, init);
        vz_plan_command(p, argv);
        vz_plan_output(p, on_output, &o);
        vz_plan_cancel(p, vz_interrupted);
        vz_plan_timeout(p, timeout);
        r = vz_ct_run(p, &status, err);
        if (log)
                fflush(log);
        if (r < 0)
                return r;
        if (status != 0) {
                _cleanup_free_ char *tail = vz_restart_sanitize(vz_strip(o.tail));
                return vz_error_set(err, -VZ_E_RUNTIME, "%s %s exited with status %d: %s", argv[0], argv[1], status,
                                    tail[0] ? tail : "no output");
        }
        return 0;
}

int vz_restart_apply(const struct vz_ct *ct, pid_t init, const struct vz_restart *r, long long timeout, FILE *log,
                     char ***ret_done, struct vz_error *err)
{
        char **done = vz_xmalloc(sizeof(char *));
        int rc = 0;
        if (!r->init_systemd) {
                /* sysvinit, runit, ...: no unit to tell which script runs a process */
                *ret_done = done;
                return 0;
        }
        if (r->init_affected) {
                char *const reexec[] = { "systemctl", "daemon-reexec", NULL };
                rc = run_in(ct, init, reexec, timeout, log, err);
                if (rc >= 0)
                        vz_strv_push(&done, "daemon-reexec");
        }
        if (rc >= 0 && r->services[0]) {
                char **argv = vz_xmalloc(sizeof(char *));
                vz_strv_push(&argv, "systemctl");
                vz_strv_push(&argv, "restart");
                vz_strv_push(&argv, "--");  /* a unit name is the tenant's: never an option */
                for (char **u = r->services; *u; u++)
                        vz_strv_push(&argv, *u);
                rc = run_in(ct, init, argv, timeout, log, err);
                vz_strv_free(argv);
                for (char **u = r->services; rc >= 0 && *u; u++)
                        vz_strv_push(&done, *u);
        }
        if (rc < 0)
                name_ct(err, rc, ct);
        *ret_done = done;
        return rc;
}
