/* workspace.c: where a build's commands run and what they leave: the
 * workspace (its work directory, its root -- on tmpfs when memory allows --,
 * its log), the one edge through which every command in the root and every
 * host hook runs (the unit tests replace it), and the package managers'
 * output. */
#include "context.h"
#include "backend.h"
#include "pipeline.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <jansson.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>


/* ---- output of the package managers ----------------------------------- */

void vz_build_output(void *userdata, const char *buf, size_t len)
{
        struct vz_build *b = userdata;
        if (b->ws.log)
                fwrite(buf, 1, len, b->ws.log);
        if (b->ctx->verbosity > 0) {
                vz_progress_clear();
                fwrite(buf, 1, len, stderr);
        }
        /* keep the tail for error messages */
        if (len >= sizeof(b->ws.tail)) {
                memcpy(b->ws.tail, buf + len - sizeof(b->ws.tail), sizeof(b->ws.tail));
                b->ws.tail_len = sizeof(b->ws.tail);
        } else {
                size_t keep = b->ws.tail_len + len > sizeof(b->ws.tail) ? sizeof(b->ws.tail) - len : b->ws.tail_len;
                memmove(b->ws.tail, b->ws.tail + b->ws.tail_len - keep, keep);
                memcpy(b->ws.tail + keep, buf, len);
                b->ws.tail_len = keep + len;
        }
        if (b->be && b->be->scan_output)
                b->be->scan_output(b, buf, len);
        if (b->ws.n_pkgs)
                vz_progress("installing", b->ws.configured, (long long)b->ws.n_pkgs, "packages");
}

/* The backend's progress callback: one more package configured. */
void vz_build_configured(struct vz_build *b)
{
        b->ws.configured++;
}

/* The last non-empty lines of output, joined into one line. */
void vz_build_tail(struct vz_build *b, char *out, size_t size)
{
        char buf[sizeof(b->ws.tail) + 1];
        size_t n = 0;
        int lines = 0;
        memcpy(buf, b->ws.tail, b->ws.tail_len);
        buf[b->ws.tail_len] = '\0';
        out[0] = '\0';
        for (char *p = buf + b->ws.tail_len; p > buf && lines < 3;) {
                char *end = p;
                while (p > buf && p[-1] != '\n')
                        p--;
                *end = '\0';
                char *l = vz_strip(p);
                if (*l) {
                        char tmp[512];
                        snprintf(tmp, sizeof(tmp), "%s%s%s", l, n ? " | " : "", out);
                        snprintf(out, size, "%s", tmp);
                        n = strlen(out);
                        lines++;
                }
                if (p > buf)
                        p--;
        }
}

/* ---- the build container ----------------------------------------------- */

/* A plan for a command in the root: the environment of the backend and
 * of template t (whose hook or transaction it is), the package cache. */
struct vz_ct_plan *vz_build_plan_for(struct vz_build *b, const struct vz_template *t)
{
        const struct vz_backend *be = b->be ? b->be : vz_backend_for(t);
        struct vz_ct_plan *p = vz_plan_new(b->ws.root);
        _cleanup_free_ char *pkgs = vz_xstrdup(b->ctx->cfg.pkg_cache);
        vz_plan_hostname(p, "vzpkg-build");
        vz_plan_env(p, "LC_ALL=C.UTF-8");
        vz_plan_env(p, "HOME=/root");
        for (const char *const *e = be ? be->env : NULL; e && *e; e++)
                vz_plan_env(p, *e);
        b->session.source_date_epoch = vz_source_date_epoch(b);
        if (b->session.source_date_epoch >= 0 && b->ws.attach_pid <= 0) {
                /* package scripts that stamp dates (shadow's last change, ...) use it */
                _cleanup_free_ char *sde = vz_asprintf("SOURCE_DATE_EPOCH=%lld", b->session.source_date_epoch);
                vz_plan_env(p, sde);
        }
        for (char *const *e = vz_template_environment(t); *e; e++)
                vz_plan_env(p, *e);
        if (b->app_cache)  /* vztt's mark: scripts may skip what only a real container needs */
                vz_plan_env(p, "APP_CACHE=1");
        if (be && be->pkg_mount)
                vz_plan_bind(p, pkgs, be->pkg_mount, VZ_BIND_RO);
        if (b->ws.expanded_dir)
                vz_plan_bind(p, b->ws.expanded_dir, VZ_EXPANDED_MOUNT, VZ_BIND_RO);
        vz_plan_limits(p, b->ctx->cfg.memory_limit, b->ctx->cfg.pids_limit);
        vz_plan_timeout(p, b->ctx->cfg.run_timeout);
        vz_plan_output(p, vz_build_output, b);
        vz_plan_cancel(p, vz_interrupted);
        vz_plan_nosync(p, b->ws.nosync && b->ws.attach_pid <= 0);
        if (b->ws.attach_pid > 0)  /* a running container: its namespaces, its cgroup, its init */
                vz_plan_attach(p, b->ws.attach_pid);
        return p;
}

struct vz_ct_plan *vz_build_plan(struct vz_build *b)
{
        return vz_build_plan_for(b, b->tmpl);
}

/* The one edge where commands run: the runtime, or what the unit tests put
 * in its place (ws.exec). */
static int exec_ct(struct vz_build *b, const struct vz_template *t, struct vz_ct_plan *p, const char *what,
                   char *const *argv, int *status, struct vz_error *err)
{
        if (b->ws.exec)
                return b->ws.exec->ct_run(b->ws.exec->userdata, vz_template_name(t), what, argv, status, err);
        return vz_ct_run(p, status, err);
}

int vz_build_exec_host(struct vz_build *b, const struct vz_template *t, const char *what, char *const *argv,
                       char *const *env, int *status, struct vz_error *err)
{
        if (b->ws.exec)
                return b->ws.exec->host_run(b->ws.exec->userdata, vz_template_name(t), what, argv, status, err);
        return vz_host_run(argv, env, vz_build_output, b, vz_interrupted, status, err);
}

/* A command in the root on behalf of template t: logged, its status an
 * error (err_code) naming t and `what` with the tail of its output. */
int vz_build_ct_run_as(struct vz_build *b, const struct vz_template *t, char *const *argv, const char *what,
                       int err_code, struct vz_ct_plan *extra, struct vz_error *err)
{
        _cleanup_plan_ struct vz_ct_plan *own = extra ? NULL : vz_build_plan_for(b, t);
        struct vz_ct_plan *p = extra ? extra : own;
        int status = 0, r;
        char tail[400];

        if (b->ws.log) {
                fprintf(b->ws.log, "\n### %s:", what);
                for (char *const *a = argv; *a; a++)
                        fprintf(b->ws.log, " %s", *a);
                fputc('\n', b->ws.log);
                fflush(b->ws.log);
        }
        b->ws.tail_len = 0;
        vz_plan_command(p, argv);
        r = exec_ct(b, t, p, what, argv, &status, err);
        if (vz_plan_warning(p))
                vz_verbose("%s: %s", vz_template_name(t), vz_plan_warning(p));
        if (r < 0)
                return r;
        if (status != 0) {
                vz_build_tail(b, tail, sizeof(tail));
                return vz_error_set(err, err_code, "%s: %s exited with status %d: %s (log: %s)", vz_template_name(t),
                                    what, status, tail[0] ? tail : "no output", b->ws.logpath);
        }
        return 0;
}

int vz_build_ct_run(struct vz_build *b, char *const *argv, const char *what, int err_code,
                    struct vz_ct_plan *extra, struct vz_error *err)
{
        return vz_build_ct_run_as(b, b->tmpl, argv, what, err_code, extra, err);
}

/* SOURCE_DATE_EPOCH from the environment when it is a number (as the
 * reproducible-builds convention defines it), else the newest Release
 * Date / repomd timestamp of the template's repositories. */
long long vz_source_date_epoch(struct vz_build *b)
{
        const char *v = getenv("SOURCE_DATE_EPOCH");
        char *end = NULL;
        long long n;
        if (v && *v) {
                n = strtoll(v, &end, 10);
                if (end && !*end && n >= 0)
                        return n;
                vz_warn("SOURCE_DATE_EPOCH=%s is not a number of seconds; ignored", v);
        }
        return b->session.source_date_epoch;
}


/* ---- work directory ------------------------------------------------------- */

/* A vzpkg killed with SIGKILL cannot clean up after itself: its work
 * directories ($TMP_DIR/<name>.<pid>.XXXXXX) and the temp files of its
 * cache publishing (<cache>.tmp.<pid>, <name>.json.tmp.<pid>) stay. They
 * carry the pid that made them; one whose process is gone and that is
 * older than this run is stale. The pid test keeps the work of a live
 * vzpkg (fetch, status and the container commands do not take the
 * template lock); the age test keeps what a process in another pid
 * namespace wrote while we run. */
static bool pid_dead(const char *digits, size_t len)
{
        long long pid;
        char buf[16];
        if (len == 0 || len >= sizeof(buf))
                return false;
        memcpy(buf, digits, len);
        buf[len] = '\0';
        if (vz_parse_ll(buf, NULL, 0, 1, INT_MAX, &pid) < 0)
                return false;
        return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

static bool older_than_run(struct vz_ctx *ctx, int dirfd, const char *e)
{
        struct stat st;
        return fstatat(dirfd, e, &st, AT_SYMLINK_NOFOLLOW) == 0 && (long long)st.st_mtime < ctx->cfg.started;
}

/* "<name>.<pid>.XXXXXX" of a dead pid; "<name>.XXXXXX" is the name before
 * the pid was part of it, and stale whenever we hold the template lock. */
static bool stale_workdir(const char *e, const char *name)
{
        size_t l = strlen(name), digits;
        if (strncmp(e, name, l) != 0 || e[l] != '.')
                return false;
        e += l + 1;
        if (strlen(e) == 6)
                return true;
        digits = strspn(e, "0123456789");
        return e[digits] == '.' && strlen(e + digits + 1) == 6 && pid_dead(e, digits);
}

/* "<name><suffix>.tmp.<pid>" of a dead pid, suffix a cache or manifest's. */
static bool stale_tmpfile(const char *e, const char *name)
{
        static const char *const suffixes[] = { ".tar.zst", ".tar.gz", ".tar.xz", ".json" };
        size_t l = strlen(name);
        if (strncmp(e, name, l) != 0)
                return false;
        e += l;
        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
                size_t s = strlen(suffixes[i]);
                if (strncmp(e, suffixes[i], s) == 0 && vz_startswith(e + s, ".tmp.")) {
                        const char *pid = e + s + 5;
                        size_t digits = strspn(pid, "0123456789");
                        return !pid[digits] && pid_dead(pid, digits);
                }
        }
        return false;
}

static void sweep(struct vz_ctx *ctx, const char *dir, const char *name, bool (*stale)(const char *, const char *))
{
        struct dirent **ents = NULL;
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int n = dfd < 0 ? -1 : scandir(dir, &ents, NULL, alphasort);
        for (int i = 0; i < n; i++) {
                const char *e = ents[i]->d_name;
                if (stale(e, name) && older_than_run(ctx, dfd, e)) {
                        _cleanup_free_ char *p = vz_path_join(dir, e);
                        vz_verbose("%s: removing stale %s", name, p);
                        vz_rm_rf(p);
                }
                free(ents[i]);
        }
        free(ents);
}

/* Called with the template's lock held. */
void vz_build_remove_stale(struct vz_ctx *ctx, const struct vz_template *t)
{
        vz_build_remove_stale_name(ctx, vz_template_name(t));
}

/* name: a template's or an appcache's, with its lock held. */
void vz_build_remove_stale_name(struct vz_ctx *ctx, const char *name)
{
        sweep(ctx, ctx->cfg.tmp_dir, name, stale_workdir);
        sweep(ctx, ctx->cfg.cache_dir, name, stale_tmpfile);
}

int vz_workspace_make(struct vz_build *b, struct vz_error *err)
{
        const struct vz_config *c = &b->ctx->cfg;
        int r = vz_mkdir_p(c->tmp_dir, 0700);
        if (r < 0)
                return vz_error_set(err, r, "TMP_DIR %s: %s", c->tmp_dir, strerror(-r));
        /* TMP_DIR was checked (main: vz_config_secure_dirs): only root can
         * rename in it. mkdtemp creates exclusively with mode 0700; the pid
         * in the name tells a later run whether the maker is still alive. */
        b->workdir = vz_asprintf("%s/%s.%d.XXXXXX", c->tmp_dir, vz_template_name(b->tmpl), (int)getpid());
        if (!mkdtemp(b->workdir))
                return vz_error_set(err, -errno, "TMP_DIR %s: cannot create a work directory: %m", c->tmp_dir);
        b->ws.root = vz_path_join(b->workdir, "root");
        if (mkdir(b->ws.root, 0755) < 0)
                return vz_error_set(err, -errno, "%s: %m", b->ws.root);
        r = vz_mkdir_p(c->log_dir, 0755);
        b->ws.logpath = vz_asprintf("%s/%s.log", c->log_dir, vz_template_name(b->tmpl));
        b->ws.log = r < 0 ? NULL : fopen(b->ws.logpath, "ae");  /* appended: a container run must not wipe a build's log */
        if (b->ws.log) {
                time_t now = time(NULL);
                fprintf(b->ws.log, "\n=== vzpkg %s, %s", VZPKG_VERSION, ctime(&now));
        }
        if (!b->ws.log)
                vz_warn("cannot write the build log %s: %m", b->ws.logpath);
        return 0;
}

/* ---- the build root in memory ------------------------------------------------
 * A build writes some 150 MB of small files, and dpkg syncs its database
 * after every package: on tmpfs nothing waits for the disk, and a crash
 * loses only the build, which is redone anyway. BUILD_TMPFS=auto uses it
 * when at least TMPFS_AUTO_MIN of memory is available, bounded by half of
 * it; a size uses it always, bounded by that size; no never. The mount is
 * vzpkg's alone and cannot outlive it (runtime/tmpfs.c). The files, and so
 * the cache, are the same either way (integration.lc-reproducible). */
#define TMPFS_AUTO_MIN (4LL << 30)

static long long mem_available(void)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/meminfo", "re");
        char line[256];
        long long kib;
        while (f && fgets(line, sizeof(line), f))
                if (sscanf(line, "MemAvailable: %lld kB", &kib) == 1)
                        return kib * 1024;
        return 0;
}

void vz_build_root_in_memory(struct vz_build *b)
{
        const char *name = vz_template_name(b->tmpl);
        long long size = b->ctx->cfg.build_tmpfs;
        int r;
        if (size < 0) {
                long long avail = mem_available();
                size = avail >= TMPFS_AUTO_MIN ? avail / 2 : 0;
        }
        if (size == 0 || b->root_in_memory || !b->workdir)
                return;
        r = vz_tmpfs_mount(b->ws.root, size);
        if (r < 0) {
                vz_verbose("%s: the build root stays on disk (tmpfs: %s)", name, strerror(-r));
                return;
        }
        b->root_in_memory = true;
        b->tmpfs_size = size;
        vz_verbose("%s: the build root is in memory (tmpfs of at most %lld MiB)", name, size >> 20);
        if (b->ws.log)
                fprintf(b->ws.log, "### the build root is in memory (tmpfs of at most %lld MiB)\n", size >> 20),
                        fflush(b->ws.log);
}

void vz_build_end(struct vz_build *b)
{
        (void)vz_deb_expand_wait(&b->expanding, true);
        if (b->ws.expanded_dir && b->root_in_memory)  /* a tmpfs beside the root; else a plain directory */
                (void)vz_tmpfs_umount(b->ws.expanded_dir);
        free(b->ws.expanded_dir);
        if (b->root_in_memory) {
                _cleanup_free_ char *root = vz_path_join(b->workdir, "root");
                (void)vz_tmpfs_umount(root);  /* else it goes with vzpkg's mount namespace */
        }
        vz_repo_reset(&b->session);  /* its keyring lives in the workdir */
        if (b->workdir)
                vz_rm_rf(b->workdir);
        if (b->ws.log)
                fclose(b->ws.log);
        free(b->workdir);
        free(b->ws.root);
        free(b->ws.logpath);
        vz_fetch_free(b->session.fetch);
        vz_pkgcache_free(b->session.pkgcache);
        vz_strv_free(b->unsigned_ok);
        memset(b, 0, sizeof(*b));
}


char **vz_build_snapshot_copies(const struct vz_build *b)
{
        char **v = vz_xmalloc(sizeof(char *));
        for (const char *const *d = b->be->state_dirs; d && *d; d++)
                vz_strv_push(&v, *d);
        vz_strv_push(&v, "var/log");
        vz_strv_push(&v, "etc");
        return v;
}

void vz_workspace_enter(struct vz_workspace *ws, const char *root, const char *ctid)
{
        free(ws->root);
        ws->root = vz_xstrdup(root);
        ws->ctid = ctid;
}

/* Repositories in, resolved package list out. */
