/* build.c: `create cache`, step by step:
 *   lock the template -> work directory -> repositories (verified) ->
 *   resolve -> download (verified) -> install with hooks (backend) ->
 *   check what got installed -> manifest -> pack -> publish.
 * The work directory is removed on every exit path; the old cache stays in
 * place until the new one is renamed over it. */
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
        vz_plan_limits(p, b->ctx->cfg.memory_limit, b->ctx->cfg.pids_limit);
        vz_plan_timeout(p, b->ctx->cfg.run_timeout);
        vz_plan_output(p, vz_build_output, b);
        vz_plan_cancel(p, vz_interrupted);
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

/* ---- normalising a root ------------------------------------------------ */

/* What a cache must not carry, in one table (documented in
 * docs/internals/reproducible.md and docs/internals/containers.md):
 * build-host traces that would make two builds differ, and per-machine
 * state -- host keys, machine IDs, random seeds, secrets -- that every
 * container made from the cache would otherwise share. It is applied after
 * the last hook of every build and update, so whatever a hook leaves is
 * dropped too. Each container gets its own at `create ct` (cmd-ct.c) or
 * at its first boot. The root is walked through an fd with the confined
 * helpers of rootfd.c: a package may have planted a link anywhere. */
enum norm_action {
        NORM_REMOVE,     /* unlink the file (a link: the link itself) */
        NORM_EMPTY,      /* keep the name as an empty regular file, mode 0444 */
        NORM_PREFIX,     /* unlink every non-directory in dir whose name starts with prefix */
        NORM_LOGS,       /* empty every regular file below the directory, recursively */
};

static const struct norm_entry {
        const char *path;
        const char *prefix;  /* NORM_PREFIX only */
        enum norm_action action;
} norm_table[] = {
        /* per-machine identity and secrets: never shared by containers */
        { "etc/ssh", "ssh_host_", NORM_PREFIX },                  /* sshd host keys */
        { "etc/machine-id", NULL, NORM_EMPTY },                   /* systemd makes one at first boot */
        { "var/lib/dbus/machine-id", NULL, NORM_REMOVE },         /* a link to /etc/machine-id at boot */
        { "var/lib/systemd/random-seed", NULL, NORM_REMOVE },
        { "var/lib/urandom/random-seed", NULL, NORM_REMOVE },
        { "var/lib/systemd/credential.secret", NULL, NORM_REMOVE },
        { "etc/ssl/private/ssl-cert-snakeoil.key", NULL, NORM_REMOVE },  /* ssl-cert; create ct */
        { "etc/ssl/certs/ssl-cert-snakeoil.pem", NULL, NORM_REMOVE },
        { "etc/pki/tls/private/localhost.key", NULL, NORM_REMOVE },      /* RPM: made at boot */
        { "etc/pki/tls/certs/localhost.crt", NULL, NORM_REMOVE },
        { "etc/hostname", NULL, NORM_REMOVE },                    /* create ct names the container */
        /* build traces: different on every build */
        { "var/cache/ldconfig/aux-cache", NULL, NORM_REMOVE },
        { "etc/passwd-", NULL, NORM_REMOVE },
        { "etc/group-", NULL, NORM_REMOVE },
        { "etc/shadow-", NULL, NORM_REMOVE },
        { "etc/gshadow-", NULL, NORM_REMOVE },
        { "etc/subuid-", NULL, NORM_REMOVE },
        { "etc/subgid-", NULL, NORM_REMOVE },
        { "var/lib/systemd/catalog/database", NULL, NORM_REMOVE },
        { "var/log", NULL, NORM_LOGS },  /* emptied, not removed: packages expect the files */
        /* and the package manager's own (struct vz_backend's build_traces) */
};

#define NORM_MAX_DEPTH 64

/* Empty every regular file below the directory fd (consumed). Nothing runs
 * in the root now, so what fstatat saw is what openat opens; O_NOFOLLOW and
 * the fstat check make a swapped link harmless all the same. */
static int truncate_logs(int dfd, int depth)
{
        DIR *d = depth > NORM_MAX_DEPTH ? NULL : fdopendir(dfd);
        struct dirent *e;
        int r = 0;

        if (!d) {
                r = depth > NORM_MAX_DEPTH ? -ELOOP : -errno;
                close(dfd);
                return r;
        }
        while (r >= 0 && (errno = 0, e = readdir(d))) {
                struct stat st, now;
                int fd, flags;
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
                    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                    !(S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)))
                        continue;
                flags = S_ISDIR(st.st_mode) ? O_RDONLY | O_DIRECTORY : O_WRONLY | O_NONBLOCK | O_NOCTTY;
                fd = openat(dirfd(d), e->d_name, flags | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0 || fstat(fd, &now) < 0 || (now.st_mode & S_IFMT) != (st.st_mode & S_IFMT))
                        r = fd < 0 ? -errno : -EIO;
                else if (S_ISDIR(st.st_mode))
                        r = truncate_logs(TAKE_FD(fd), depth + 1);
                else if (ftruncate(fd, 0) < 0)
                        r = -errno;
                if (fd >= 0)
                        close(fd);
        }
        if (r >= 0 && errno)
                r = -errno;
        closedir(d);
        return r;
}

static int norm_prefix(int root, const char *dir, const char *prefix)
{
        int dfd = vz_at_open(root, dir, O_RDONLY | O_DIRECTORY, 0, 0), r = 0;
        DIR *d;
        struct dirent *e;
        if (dfd < 0)
                return dfd == -ENOENT ? 0 : dfd;
        d = fdopendir(dfd);
        if (!d) {
                r = -errno;
                close(dfd);
                return r;
        }
        while (r >= 0 && (errno = 0, e = readdir(d)))
                if (vz_startswith(e->d_name, prefix) && e->d_type != DT_DIR &&
                    unlinkat(dirfd(d), e->d_name, 0) < 0 && errno != ENOENT)
                        r = -errno;
        if (r >= 0 && errno)
                r = -errno;
        closedir(d);
        return r;
}

static int norm_one(int root, const struct norm_entry *n)
{
        int fd, r;
        switch (n->action) {
        case NORM_REMOVE:
                r = vz_at_unlink(root, n->path, 0);
                return r == -ENOENT ? 0 : r;
        case NORM_EMPTY:
                fd = vz_at_open(root, n->path, O_PATH | O_NOFOLLOW, 0, 0);
                if (fd < 0)
                        return fd == -ENOENT ? 0 : fd;
                close(fd);
                /* replaces a link or a full file alike, never writes through a link */
                return vz_at_write_atomic(root, n->path, "", 0, 0444, 0);
        case NORM_PREFIX:
                return norm_prefix(root, n->path, n->prefix);
        case NORM_LOGS:
                fd = vz_at_open(root, n->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, 0);
                if (fd < 0)
                        return fd == -ENOENT || fd == -ELOOP || fd == -ENOTDIR ? 0 : fd;
                return truncate_logs(fd, 0);
        }
        return -EINVAL;
}

int vz_build_normalize(struct vz_build *b, struct vz_error *err)
{
        _cleanup_close_ int root = -1;
        int r = vz_root_open(b->ws.root, &root);
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(norm_table); i++)
                if ((r = norm_one(root, &norm_table[i])) < 0)
                        return vz_error_set(err, -VZ_E_ARCHIVE, "%s: cannot clean /%s from the new cache: %s",
                                            vz_template_name(b->tmpl), norm_table[i].path, strerror(-r));
        for (const char *const *t = r >= 0 && b->be ? b->be->build_traces : NULL; t && *t; t++) {
                struct norm_entry e = { *t, NULL, NORM_REMOVE };
                if ((r = norm_one(root, &e)) < 0)
                        return vz_error_set(err, -VZ_E_ARCHIVE, "%s: cannot clean /%s from the new cache: %s",
                                            vz_template_name(b->tmpl), *t, strerror(-r));
        }
        if (r < 0)
                return vz_error_set(err, -VZ_E_ARCHIVE, "%s: cannot open the build root %s: %s",
                                    vz_template_name(b->tmpl), b->ws.root, strerror(-r));
        return 0;
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

static int make_workdir(struct vz_build *b, struct vz_error *err)
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
        vz_verbose("%s: the build root is in memory (tmpfs of at most %lld MiB)", name, size >> 20);
        if (b->ws.log)
                fprintf(b->ws.log, "### the build root is in memory (tmpfs of at most %lld MiB)\n", size >> 20),
                        fflush(b->ws.log);
}

void vz_build_end(struct vz_build *b)
{
        if (b->root_in_memory) {
                _cleanup_free_ char *root = vz_path_join(b->workdir, "root");
                (void)vz_tmpfs_umount(root);  /* else it goes with vzpkg's mount namespace */
        }
        if (b->workdir)
                vz_rm_rf(b->workdir);
        if (b->ws.log)
                fclose(b->ws.log);
        free(b->workdir);
        free(b->ws.root);
        free(b->ws.logpath);
        vz_repo_reset(&b->session);
        vz_fetch_free(b->session.fetch);
        vz_pkgcache_free(b->session.pkgcache);
        vz_strv_free(b->unsigned_ok);
        memset(b, 0, sizeof(*b));
}

/* ---- downloads ------------------------------------------------------------ */

static void on_fetch_progress(void *userdata, size_t items_done, size_t items_total, long long bytes_done,
                              long long bytes_total)
{
        (void)userdata;
        (void)items_done;
        (void)items_total;
        vz_progress("downloading", bytes_done, bytes_total, "MiB");
}

static int open_session(struct vz_build *b, struct vz_error *err);

int vz_build_begin(struct vz_ctx *ctx, const struct vz_template *t, struct vz_build *b, struct vz_error *err)
{
        int r;
        memset(b, 0, sizeof(*b));
        r = vz_backend_get(t, &b->be, err);  /* every command that works on a template starts here */
        if (r < 0)
                return r;
        b->ctx = ctx;
        b->tmpl = t;
        b->session.source_date_epoch = -1;
        r = make_workdir(b, err);
        if (r >= 0)
                r = open_session(b, err);
        if (r < 0)
                vz_build_end(b);
        return r;
}

static void on_repo_note(void *userdata, const char *text)
{
        (void)userdata;
        vz_verbose("%s", text);
}

static int open_session(struct vz_build *b, struct vz_error *err)
{
        const struct vz_config *c = &b->ctx->cfg;
        struct vz_fetch_opts o = {
                .parallel = c->parallel, .proxy = c->proxy, .progress = on_fetch_progress,
                .cancelled = vz_interrupted, .timeout = (long)c->download_timeout,
                .low_speed_limit = (long)c->low_speed_limit, .low_speed_time = (long)c->low_speed_time,
        };
        int r = vz_fetch_new(&o, &b->session.fetch);
        if (r < 0)
                return vz_error_set(err, r, "cannot start the downloader");
        b->session.opts = (struct vz_repo_opts){
                .metadata_cache = c->metadata_cache, .expire = c->metadata_expire,
                .check_valid_until = c->check_valid_until, .cache_only = b->ctx->cache_only,
                .debian_keyring = c->debian_keyring, .tmpdir = b->workdir, .note = on_repo_note,
        };
        return vz_pkgcache_open(c->pkg_cache, &b->session.pkgcache, err);
}

static char **package_urls(struct vz_build *b, const struct vz_pkg *p)
{
        char **urls = vz_xmalloc(sizeof(char *));
        if (p->repo < 0 || (size_t)p->repo >= b->session.n_repos)
                return urls;  /* a package file from the host (localinstall): no repository has it */
        for (char **u = b->session.repos[p->repo].urls; *u; u++)
                vz_strv_push_take(&urls, vz_path_join(*u, p->filename));
        return urls;
}

/* Every package into the shared cache, by SHA-256; cached files are
 * re-hashed before use, so a tampered cache is caught too. */
int vz_build_download(struct vz_build *b, const struct vz_pkglist *l, struct vz_error *err)
{
        const char *suffix = b->be->pkg_suffix;
        struct vz_download *items = vz_xmalloc((l->n + 1) * sizeof(*items));
        char ***urls = vz_xmalloc((l->n + 1) * sizeof(*urls));
        char **dests = vz_xmalloc((l->n + 1) * sizeof(*dests));
        size_t n = 0;
        int r;

        for (size_t i = 0; i < l->n; i++) {
                const struct vz_pkg *p = &l->pkgs[i];
                char *dest = vz_pkgcache_path(b->session.pkgcache, p->sha256, suffix);
                if (vz_pkgcache_valid(b->session.pkgcache, dest, p->sha256)) {
                        free(dest);
                        continue;
                }
                if (b->ctx->cache_only) {
                        int r = vz_error_set(err, -VZ_E_DOWNLOAD,
                                             "package %s %s: not in the package cache and -C forbids the network; run 'vzpkg fetch %s' first",
                                             p->name, p->version, vz_template_name(b->tmpl));
                        free(dest);
                        for (size_t k = 0; k < n; k++) {
                                vz_strv_free(urls[k]);
                                free(dests[k]);
                        }
                        free(items);
                        free(urls);
                        free(dests);
                        return r;
                }
                urls[n] = package_urls(b, p);
                dests[n] = dest;
                items[n] = (struct vz_download){ .urls = urls[n], .dest = dest, .sha256 = p->sha256,
                                                 .size = p->size > 0 ? p->size : -1, .label = p->name };
                n++;
        }
        vz_verbose("%s: %zu of %zu packages to download", vz_template_name(b->tmpl), n, l->n);
        r = n ? vz_fetch_run(b->session.fetch, items, n, err) : 0;
        /* the fetch layer names the item by its label, here a package name */
        if (r < 0 && r != -VZ_E_INTERRUPTED && r != -VZ_E_CHECKSUM) {
                char msg[sizeof(err->msg)];
                snprintf(msg, sizeof(msg), "%s", err->msg);
                vz_error_reset(err, r, "package %.1000s", msg);
        }
        vz_progress_clear();
        for (size_t i = 0; i < n; i++) {
                vz_download_done(&items[i]);
                vz_strv_free(urls[i]);
                free(dests[i]);
        }
        free(items);
        free(urls);
        free(dests);
        b->session.bytes_downloaded = vz_fetch_bytes_downloaded(b->session.fetch);
        return r;
}

/* ---- after the install --------------------------------------------------- */

static int cmp_pkg(const void *a, const void *b)
{
        const struct vz_pkg *x = a, *y = b;
        int c = strcmp(x->name, y->name);
        return c ? c : strcmp(x->arch, y->arch);
}

/* dpkg's database must hold exactly what was resolved: a package that
 * silently failed to install is a broken template. */
static int check_installed(struct vz_build *b, const struct vz_pkglist *want, struct vz_pkglist *have,
                           bool exact, struct vz_error *err)
{
        for (size_t j = 0; exact && j < have->n; j++) {
                bool wanted = false;
                for (size_t i = 0; i < want->n && !wanted; i++)
                        wanted = strcmp(have->pkgs[j].name, want->pkgs[i].name) == 0;
                if (!wanted)
                        return vz_error_set(err, -VZ_E_INSTALL,
                                            "%s: package %s is installed but no longer part of the template (log: %s)",
                                            vz_template_name(b->tmpl), have->pkgs[j].name, b->ws.logpath);
        }
        for (size_t i = 0; i < want->n; i++) {
                const struct vz_pkg *w = &want->pkgs[i];
                bool found = false;
                for (size_t j = 0; j < have->n && !found; j++)
                        found = strcmp(have->pkgs[j].name, w->name) == 0 &&
                                strcmp(have->pkgs[j].version, w->version) == 0;
                if (!found)
                        return vz_error_set(err, -VZ_E_INSTALL,
                                            "%s: package %s %s is not installed after the transaction (log: %s)",
                                            vz_template_name(b->tmpl), w->name, w->version, b->ws.logpath);
        }
        qsort(have->pkgs, have->n, sizeof(*have->pkgs), cmp_pkg);
        return 0;
}

static int publish(struct vz_build *b, const struct vz_pkglist *resolved, const struct vz_pkglist *installed,
                   char **ret_path, struct vz_error *err)
{
        long long sde = vz_source_date_epoch(b);
        const struct vz_config *c = &b->ctx->cfg;
        const char *name = b->cache_name ? b->cache_name : vz_template_name(b->tmpl);
        _cleanup_free_ char *dest = vz_asprintf("%s/%s%s", c->cache_dir, name, vz_archive_suffix(c->archive));
        _cleanup_free_ char *json = vz_manifest_json_path(b->ctx, name);
        _cleanup_free_ char *old = NULL;
        int r;

        r = vz_manifest_write_vzpackages(b->ws.root, installed);
        if (r < 0)
                return vz_error_set(err, -VZ_E_ARCHIVE, "%s: cannot write templates/vzpackages: %s", name,
                                    strerror(-r));
        r = vz_mkdir_p(c->cache_dir, 0755);
        if (r < 0)
                return vz_error_set(err, -VZ_E_ARCHIVE, "cache directory %s: %s", c->cache_dir, strerror(-r));
        vz_info("%s: packing %s", name, dest);
        r = vz_cache_pack(b->ws.root, dest, c->archive, sde, vz_interrupted, err);
        if (r < 0)
                return r;
        /* A cache of another format would shadow or confuse: the new one replaces it. */
        if (vz_cache_find(c->cache_dir, name, &old) == 0 && strcmp(old, dest) != 0)
                unlink(old);
        r = vz_manifest_write_json(b, resolved, dest, json, err);
        if (r < 0)
                return r;
        *ret_path = TAKE_PTR(dest);
        return 0;
}

void vz_build_report(struct vz_build *b, const char *path, size_t npkgs, double secs)
{
        struct stat st = { 0 };
        stat(path, &st);
        if (b->ctx->json) {
                vz_json_print(json_pack("{s:o, s:o, s:I, s:I, s:I, s:f}", "template", vz_json_string(vz_template_name(b->tmpl)),
                                        "cache", vz_json_string(path), "size", (json_int_t)st.st_size, "packages",
                                        (json_int_t)npkgs, "downloaded", (json_int_t)b->session.bytes_downloaded, "seconds",
                                        (double)(long long)(secs * 10 + 0.5) / 10),
                              JSON_COMPACT);
                return;
        }
        if (b->ctx->verbosity < 0)
                return;
        printf("%s: %s (%.1f MiB, %zu packages", vz_template_name(b->tmpl), path, st.st_size / 1048576.0, npkgs);
        if (secs > 0)
                printf(", built in %.0f s, %.1f MiB downloaded", secs, b->session.bytes_downloaded / 1048576.0);
        printf(")\n");
        fflush(stdout);
}

static size_t manifest_package_count(struct vz_ctx *ctx, const char *name)
{
        _cleanup_free_ char *path = vz_manifest_json_path(ctx, name);
        json_t *j = json_load_file(path, 0, NULL);
        size_t n = json_array_size(json_object_get(j, "packages"));
        json_decref(j);
        return n;
}

double vz_now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* vztt's bootstrap stages: each line of packages_0 is a group, then
 * packages_1 as one; a package belongs to the first stage that needs it.
 * The backend unpacks them in this order before the mid-install hooks. */
static void mark_stages(struct vz_build *b, struct vz_resolver *res, struct vz_pkglist *l)
{
        int stage = 0;
        for (int s = 0; s < 2; s++) {
                char *const *lines = vz_template_packages_stage(b->tmpl, s);
                _cleanup_strv_ char **group = vz_xmalloc(sizeof(char *));
                for (char *const *line = lines; *line; line++) {
                        _cleanup_strv_ char **words = vz_strv_split(*line, " \t");
                        if (s == 1) {
                                for (char **w = words; *w; w++)
                                        vz_strv_push(&group, *w);
                                continue;
                        }
                        if (vz_resolver_mark_stage(res, l, words, stage + 1) > 0)
                                stage++;
                }
                if (group[0] && vz_resolver_mark_stage(res, l, group, stage + 1) > 0)
                        stage++;
        }
        b->n_stages = stage;
}

/* Copied, not linked, in a snapshot of a root: the package database
 * (the backend's state), logs and /etc are written in place (appends,
 * sqlite pages, hooks' echo >>). */
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
int vz_build_resolve(struct vz_build *b, struct vz_resolver **ret_res, struct vz_pkglist *ret, struct vz_error *err)
{
        const char *name = vz_template_name(b->tmpl);
        struct vz_resolver *res = NULL;
        int r;

        vz_verbose("%s: reading repositories", name);
        r = vz_repo_load(&b->session, b->tmpl, &res, err);
        for (size_t i = 0; r >= 0 && i < b->session.n_repos; i++)
                if (b->session.repos[i].date_epoch > b->session.source_date_epoch)
                        b->session.source_date_epoch = b->session.repos[i].date_epoch;
        vz_verbose("%s: resolving", name);
        if (r >= 0)
                r = vz_resolver_solve(res, vz_template_all_packages(b->tmpl), VZ_RESOLVE_BASE, name, ret, err);
        if (r < 0) {
                vz_resolver_free(res);
                return r;
        }
        mark_stages(b, res, ret);
        *ret_res = res;
        return 0;
}

/* What dpkg installed, checked against what was resolved, then packed and
 * published. `exact`: nothing else may be installed (updates). */
int vz_build_publish(struct vz_build *b, const struct vz_pkglist *resolved, bool exact, char **ret_path,
                     struct vz_error *err)
{
        struct vz_pkglist installed = { 0 };
        int r = b->be->installed(b, &b->ws, &installed, err);
        if (r >= 0)
                r = check_installed(b, resolved, &installed, exact, err);
        if (r >= 0) {
                vz_verbose("%s: packing", vz_template_name(b->tmpl));
                r = publish(b, resolved, &installed, ret_path, err);
        }
        vz_pkglist_done(&installed);
        return r;
}

static int run_pipeline(struct vz_build *b, struct vz_error *err)
{
        _cleanup_resolver_ struct vz_resolver *res = NULL;
        struct vz_pkglist pkgs = { 0 };
        _cleanup_free_ char *path = NULL;
        const char *name = vz_template_name(b->tmpl);
        double t0 = vz_now();
        int r;

        vz_info("%s: reading repositories", name);
        r = vz_build_resolve(b, &res, &pkgs, err);
        if (r >= 0) {
                vz_info("%s: %zu packages", name, pkgs.n);
                b->ws.n_pkgs = pkgs.n;
                r = vz_build_download(b, &pkgs, err);
        }
        if (r >= 0) {
                struct vz_operation op = { .kind = VZ_OP_BUILD, .pkgs = &pkgs };
                vz_info("%s: installing", name);
                vz_build_root_in_memory(b);
                r = vz_operation_run(b, &op, err);
        }
        vz_progress_clear();
        if (r >= 0)
                r = vz_build_publish(b, &pkgs, false, &path, err);
        if (r >= 0) {
                vz_verbose("%s: done", name);
                vz_build_report(b, path, pkgs.n, vz_now() - t0);
        }
        vz_pkglist_done(&pkgs);
        return r;
}

int vz_build_lock(struct vz_ctx *ctx, const char *name, int *ret_fd, struct vz_error *err)
{
        _cleanup_free_ char *path = vz_asprintf("%s/%s.lock", ctx->cfg.lock_dir, name);
        double until = vz_now() + ctx->lock_timeout;
        int r = vz_mkdir_p(ctx->cfg.lock_dir, 0755);
        if (r >= 0)
                r = vz_lock(path, LOCK_EX, false, ret_fd);
        /* --timeout S: poll the lock (a blocking flock could not be interrupted) */
        while (r == -VZ_E_LOCKED && vz_now() < until && !vz_interrupted()) {
                usleep(200000);
                r = vz_lock(path, LOCK_EX, false, ret_fd);
        }
        if (r == -VZ_E_LOCKED)
                return vz_error_set(err, r, "template %s: another vzpkg is working on it (lock %s); try again later",
                                    name, path);
        if (r < 0)
                return vz_error_set(err, r, "lock %s: %s", path, vz_strerror(r));
        return 0;
}

int vz_build_cache(struct vz_ctx *ctx, const struct vz_template *t, bool force, struct vz_error *err)
{
        struct vz_build b;
        _cleanup_free_ char *existing = NULL;
        _cleanup_close_ int lock = -1;
        int r = vz_backend_get(t, NULL, err);

        if (r < 0)
                return r;
        r = vz_build_lock(ctx, vz_template_name(t), &lock, err);
        if (r < 0)
                return r;
        vz_build_remove_stale(ctx, t);
        if (!force && vz_cache_find(ctx->cfg.cache_dir, vz_template_name(t), &existing) == 0) {
                struct vz_build tmp = { .ctx = ctx, .tmpl = t };
                vz_info("%s: cache exists; use -f to rebuild it", vz_template_name(t));
                vz_build_report(&tmp, existing, manifest_package_count(ctx, vz_template_name(t)), 0);
                return 0;
        }
        r = vz_build_begin(ctx, t, &b, err);
        if (r < 0)
                return r;
        r = run_pipeline(&b, err);
        vz_build_end(&b);
        if (r == -VZ_E_INTERRUPTED)
                vz_error_reset(err, r, "%s: interrupted; the build was stopped and cleaned up, no cache written",
                               vz_template_name(t));
        return r;
}
