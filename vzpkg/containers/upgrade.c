/* containers/upgrade.c: vzpkg upgrade: a stopped container moved in place to its OS
 * template's next release (debian-12 to debian-13).
 *
 * The target is the OS template whose upgradable_versions names the
 * container's version, or the version after it (vztt's rule). Its
 * repositories are read, the container's database is the installed
 * repository, and libsolv solves a distribution upgrade over the whole
 * installed set plus the new template's packages and the new release's
 * Essential/required set (apt full-upgrade). Then, after a hard-link
 * snapshot of the private area: hooks pre-upgrade-hn (host) and
 * pre-upgrade (container), the transaction (dpkg, a changed conffile
 * kept), the new apt sources, post-upgrade-hn and post-upgrade, and
 * last the container's config (OSTEMPLATE, DISTRIBUTION, OSRELEASE). Any
 * failure up to and including the config puts the snapshot back; a
 * snapshot an earlier run left (it never ended) stops the upgrade. A
 * running container is refused: its root cannot be swapped under its
 * processes, and a release cannot be rolled back by reinstalling
 * (docs/internals/upgrade.md). */
#include "context.h"
#include "backend.h"
#include "pipeline.h"
#include "containers.h"

#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <sys/stat.h>


struct upgrade {
        struct vz_ctx *ctx;
        const struct vz_upgrade_request *req;
        struct vz_ct *ct;
        int lock;
        struct vz_template *from, *to;
        struct vz_template **apps;   /* the container's apps, loaded for the new release */
        size_t n_apps;
        char **dropped;              /* -f: apps the new release lacks */
        struct vz_build b;
        bool begun;
        struct vz_pkglist have, install, erase;
        char **erase_names;
        size_t n_upgraded, n_new;
        char **kept_conffiles;       /* sanitised paths */
        bool rolled_back;
        double secs;
        char message[1024];
        int result;
};

/* ---- which template ------------------------------------------------------------- */

static bool names_version(const struct vz_template *t, const char *version)
{
        const char *v = vz_template_field(t, "upgradable_versions");
        _cleanup_strv_ char **words = v ? vz_strv_split(v, " \t\n") : NULL;
        return words && vz_strv_contains(words, version);
}

static bool next_number(const char *from, const char *to)
{
        char *end;
        long a, b;
        if (!*from || !*to || strspn(from, "0123456789") != strlen(from) || strspn(to, "0123456789") != strlen(to))
                return false;
        a = strtol(from, &end, 10);
        b = strtol(to, &end, 10);
        return b == a + 1;
}

/* The candidate of version `ver`: its default set must upgrade `from`. */
static int candidate(struct vz_ctx *ctx, const struct vz_template *from, const char *ver, struct vz_template **ret)
{
        struct vz_vars vars = vz_config_vars(&ctx->cfg);
        _cleanup_free_ char *name = vz_asprintf("%s-%s-%s", vz_template_os(from), ver, vz_template_arch(from));
        struct vz_template *t = NULL;
        if (vz_template_load(ctx->cfg.template_area, name, &vars, &t, NULL) < 0)
                return 0;  /* not an OS template of this arch, or not configured */
        if (!names_version(t, vz_template_version(from)) && !next_number(vz_template_version(from), ver)) {
                vz_template_free(t);
                return 0;
        }
        *ret = t;
        return 1;
}

int vz_upgrade_target(struct vz_ctx *ctx, const struct vz_template *from, struct vz_template **ret,
                      struct vz_error *err)
{
        _cleanup_free_ char *dir = vz_path_join(ctx->cfg.template_area, vz_template_os(from));
        _cleanup_free_ char *best = NULL;
        struct vz_vars vars = vz_config_vars(&ctx->cfg);
        DIR *d = opendir(dir);
        struct dirent *de;
        while (d && (de = readdir(d))) {
                struct vz_template *t = NULL;
                if (de->d_name[0] == '.' || strcmp(de->d_name, vz_template_version(from)) == 0)
                        continue;
                if (candidate(ctx, from, de->d_name, &t) > 0) {
                        /* vztt takes the first it meets; the newest is what "next" means when several qualify */
                        if (!best || strverscmp(de->d_name, best) > 0) {
                                free(best);
                                best = vz_xstrdup(de->d_name);
                        }
                        vz_template_free(t);
                }
        }
        if (d)
                closedir(d);
        if (!best)
                return vz_error_set(err, -VZ_E_NOTEMPLATE,
                                    "no OS template in %s upgrades %s: none lists %s in its upgradable_versions "
                                    "and there is no %s version after it",
                                    ctx->cfg.template_area, vz_template_name(from), vz_template_version(from),
                                    vz_template_os(from));
        /* the container's set when the new release has it, else the default set (vztt) */
        _cleanup_free_ char *name = vz_asprintf("%s-%s-%s", vz_template_os(from), best, vz_template_arch(from));
        if (strcmp(vz_template_set(from), "default") != 0) {
                _cleanup_free_ char *same = vz_asprintf("%s-%s", name, vz_template_set(from));
                if (vz_template_load(ctx->cfg.template_area, same, &vars, ret, NULL) >= 0)
                        return 0;
        }
        return vz_template_load(ctx->cfg.template_area, name, &vars, ret, err);
}

/* ---- loading ------------------------------------------------------------------------ */

static int load_apps(struct upgrade *u, struct vz_error *err)
{
        struct vz_vars vars = vz_config_vars(&u->ctx->cfg);
        u->dropped = vz_xmalloc(sizeof(char *));
        u->apps = vz_xmalloc((vz_strv_len(u->ct->apps) + 1) * sizeof(*u->apps));
        for (char **a = u->ct->apps; *a; a++) {
                struct vz_error e = { 0 };
                int r = vz_template_load_app(u->ctx->cfg.template_area, u->to, *a, &vars, &u->apps[u->n_apps], &e);
                if (r >= 0) {
                        u->n_apps++;
                        continue;
                }
                if (!u->req->force)
                        return vz_error_set(err, r, "container %s: application template %s: %s; -f upgrades without it",
                                            u->ct->id, *a, e.msg);
                vz_strv_push(&u->dropped, *a);
        }
        return 0;
}

/* The roll-back point, beside the private area (the name operate.c uses). */
static char *snapshot_path(const struct upgrade *u)
{
        return vz_asprintf("%s.vzpkg-snapshot", u->ct->private_dir);
}

static int load(struct upgrade *u, const char *id, struct vz_error *err)
{
        struct vz_vars vars = vz_config_vars(&u->ctx->cfg);
        pid_t init = 0;
        int r = vz_ct_lock_wait(u->ctx, id, u->req->timeout, &u->lock, err);
        if (r >= 0)
                r = vz_ct_load(u->ctx, id, &u->ct, err);
        if (r >= 0)
                r = vz_ct_check_format(u->ct, err);
        if (r >= 0 && u->ct->ovl_upper)
                r = vz_ct_overlay_refuse(u->ct, "upgrade", err);
        if (r >= 0)
                r = vz_ct_find_init(u->ct, &init, err);
        if (r >= 0 && init > 0 && !u->req->dry_run)
                return vz_error_set(err, -ENOTSUP,
                                    "container %s is running (init %d); stop it first: a release upgrade is rolled "
                                    "back from a snapshot of the stopped container",
                                    u->ct->id, (int)init);
        if (r >= 0 && !u->req->dry_run) {  /* before anything reads a root that may be half-changed */
                _cleanup_free_ char *snap = snapshot_path(u);
                r = vz_ct_snapshot_leftover(u->ct->id, u->ct->private_dir, snap, err);
        }
        if (r >= 0)
                r = vz_template_load(u->ctx->cfg.template_area, u->ct->ostemplate, &vars, &u->from, err);
        if (r >= 0)
                r = vz_upgrade_target(u->ctx, u->from, &u->to, err);
        if (r >= 0)
                r = vz_backend_get(u->to, NULL, err);
        if (r >= 0 && !vz_backend_for(u->to)->set_sources)  /* a release upgrade needs the new repositories in the root */
                return vz_error_set(err, -ENOTSUP, "container %s: upgrade of %s: only the Debian family is supported yet",
                                    u->ct->id, vz_template_name(u->from));
        if (r >= 0)
                r = load_apps(u, err);
        return r;
}

/* ---- the plan ------------------------------------------------------------------------- */

static const struct vz_template *repo_template(struct upgrade *u)
{
        return vz_repo_template(u->to, u->apps, u->n_apps);
}

static bool installed_name(const struct vz_pkglist *have, const char *name)
{
        for (size_t i = 0; i < have->n; i++)
                if (strcmp(have->pkgs[i].name, name) == 0)
                        return true;
        return false;
}

static const char *installed_version(const struct vz_pkglist *have, const char *name)
{
        for (size_t i = 0; i < have->n; i++)
                if (strcmp(have->pkgs[i].name, name) == 0)
                        return have->pkgs[i].version;
        return NULL;
}

static int plan(struct upgrade *u, struct vz_error *err)
{
        _cleanup_resolver_ struct vz_resolver *res = NULL;
        const struct vz_backend *be = vz_backend_for(u->to);
        struct vz_job job = { .dist_upgrade = true, .base = true };
        /* the new OS template's hooks, backend and environment; the repositories of repo_template(u) */
        int r = vz_build_begin(u->ctx, u->to, &u->b, err);
        if (r < 0)
                return r;
        u->begun = true;
        vz_workspace_enter(&u->b.ws, u->ct->private_dir, u->ct->id);
        if ((r = be->installed(&u->b, &u->b.ws, &u->have, err)) < 0 ||
            (r = vz_repo_load(&u->b.session, repo_template(u), &res, err)) < 0 ||
            (r = vz_resolver_load_installed(res, u->ct->private_dir, err)) < 0)
                return r;
        job.install = vz_xmalloc(sizeof(char *));
        for (char *const *p = vz_template_all_packages(u->to); *p; p++)
                vz_strv_push(&job.install, *p);
        for (size_t i = 0; i < u->n_apps; i++)
                for (char *const *p = vz_template_packages(u->apps[i]); *p; p++)
                        vz_strv_push(&job.install, *p);
        r = vz_resolver_solve_job(res, &job, u->ct->id, &u->install, &u->erase, err);
        vz_strv_free(job.install);
        if (r < 0)
                return r;
        u->erase_names = vz_xmalloc(sizeof(char *));
        /* also those a new package replaces: dpkg removes one itself only when
         * the new one Conflicts with it, not when it Breaks it (t64 libraries) */
        for (size_t i = 0; i < u->erase.n; i++)
                vz_strv_push(&u->erase_names, u->erase.pkgs[i].name);
        u->b.release_upgrade = true;
        for (size_t i = 0; i < u->install.n; i++) {
                if (installed_name(&u->have, u->install.pkgs[i].name))
                        u->n_upgraded++;
                else
                        u->n_new++;
        }
        return 0;
}

/* ---- applying --------------------------------------------------------------------------- */

/* dpkg logs each conffile decision ("conffile /etc/x keep"): the ones kept
 * this run are after the log's old size. The log is the tenant's: read
 * through the root's fd, capped, and sanitised. */
static off_t dpkg_log_size(struct upgrade *u)
{
        struct stat st;
        _cleanup_close_ int fd = vz_at_open(u->ct->priv_fd, "var/log/dpkg.log", O_RDONLY | O_CLOEXEC, 0, VZ_AT_NOLINKS);
        return fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? st.st_size : 0;
}

static void collect_kept(struct upgrade *u, off_t from)
{
        enum { MAX = 4 << 20 };
        _cleanup_close_ int fd = vz_at_open(u->ct->priv_fd, "var/log/dpkg.log", O_RDONLY | O_CLOEXEC, 0, VZ_AT_NOLINKS);
        _cleanup_free_ char *buf = vz_xmalloc(MAX + 1);
        struct stat st;
        ssize_t n;
        u->kept_conffiles = vz_xmalloc(sizeof(char *));
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < from)
                return;
        n = pread(fd, buf, MAX, from);
        if (n <= 0)
                return;
        buf[n] = '\0';
        for (char *line = buf, *next; line && *line; line = next) {
                char date[16], tm[16], path[4096], what[16];
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                if (sscanf(line, "%15s %15s conffile %4095s %15s", date, tm, path, what) == 4 &&
                    strcmp(what, "keep") == 0 && vz_strv_len(u->kept_conffiles) < 256)
                        vz_strv_push_take(&u->kept_conffiles, vz_restart_sanitize(path));
        }
}

static int save_config(struct upgrade *u, struct vz_error *err)
{
        char **apps = vz_xmalloc(sizeof(char *));
        for (char **a = u->ct->apps; *a; a++)
                if (!vz_strv_contains(u->dropped, *a))
                        vz_strv_push(&apps, *a);
        vz_strv_free(u->ct->apps);
        u->ct->apps = apps;
        free(u->ct->ostemplate);
        u->ct->ostemplate = vz_xstrdup(vz_template_name(u->to));
        return vz_ct_save(u->ct, vz_template_field(u->to, "distribution"), vz_template_field(u->to, "osrelease"), err);
}

/* Bookkeeping after success: stamps of the new templates, the old OS
 * template's and dropped apps' removed, vzpackages. Warnings only. */
static void bookkeeping(struct upgrade *u)
{
        struct vz_pkglist now = { 0 };
        struct vz_error e = { 0 };
        int fd = vz_ct_meta_fd(u->ct), r;
        _cleanup_free_ char *old = vz_asprintf("templates/%s", vz_template_name(u->from));
        if ((r = vz_ct_stamp(u->ct, vz_template_name(u->to))) < 0)
                vz_warn("container %s: cannot write its template stamp: %s", u->ct->id, strerror(-r));
        for (char **a = u->ct->apps; *a; a++)
                if ((r = vz_ct_stamp(u->ct, *a)) < 0)
                        vz_warn("container %s: cannot write templates/%s/timestamp: %s", u->ct->id, *a, strerror(-r));
        if (fd >= 0 && strcmp(vz_template_name(u->from), vz_template_name(u->to)) != 0)
                vz_at_rm_rf(fd, old, VZ_AT_NOLINKS);
        for (char **a = u->dropped; fd >= 0 && *a; a++) {
                _cleanup_free_ char *dir = vz_asprintf("templates/%s", *a);
                vz_at_rm_rf(fd, dir, VZ_AT_NOLINKS);
        }
        if (u->b.be->installed(&u->b, &u->b.ws, &now, &e) >= 0 &&
            (r = vz_manifest_write_vzpackages_at(fd, &now)) < 0)
                vz_warn("container %s: cannot write templates/vzpackages: %s", u->ct->id, strerror(-r));
        vz_pkglist_done(&now);
}

static int announce(void *userdata, struct vz_error *err)
{
        struct upgrade *u = userdata;
        (void)err;
        vz_info("container %s: upgrading %zu packages, installing %zu, removing %zu", u->ct->id, u->n_upgraded,
                u->n_new, u->erase.n);
        return 0;
}

static int transact(struct upgrade *u, struct vz_error *err)
{
        pid_t init = 0;
        int r = vz_ct_find_init(u->ct, &init, err);
        if (r >= 0 && init > 0)
                return vz_error_set(err, -ENOTSUP, "container %s was started meanwhile; stop it and run the command again",
                                    u->ct->id);
        off_t log_size = r >= 0 ? dpkg_log_size(u) : 0;
        /* the hooks of the new release, the transaction, the new sources (phases.c) */
        struct vz_operation op = { .kind = VZ_OP_UPGRADE, .os = u->to, .apps = u->apps, .n_apps = u->n_apps,
                                   .list = &u->install, .remove = u->erase_names, .check = announce, .userdata = u };
        if (r >= 0)
                r = vz_operation_run(&u->b, &op, err);
        if (r >= 0 && vz_interrupted())
                r = vz_error_set(err, -VZ_E_INTERRUPTED, "container %s: interrupted", u->ct->id);
        if (r >= 0)
                collect_kept(u, log_size);
        /* dpkg's --force-unsafe-io leaves the unpacked files unsynced: the new
         * release on disk before the config names it and the snapshot goes */
        if (r >= 0 && (r = vz_tree_sync(u->ct->private_dir)) < 0)
                vz_error_set(err, r, "container %s: cannot sync its files to disk: %s", u->ct->id, strerror(-r));
        if (r >= 0)  /* last: the config names the new release only when everything else worked */
                r = save_config(u, err);
        return r;
}

static int apply(struct upgrade *u, struct vz_error *err)
{
        _cleanup_free_ char *snap = snapshot_path(u), *trash = NULL;
        _cleanup_free_ char *logpath = vz_asprintf("%s/ct-%s.log", u->ctx->cfg.log_dir, u->ct->id);
        double t0 = vz_now();
        int r = vz_build_download(&u->b, &u->install, err);
        if (r < 0)
                return r;
        if (u->b.ws.log)
                fclose(u->b.ws.log);
        u->b.ws.log = fopen(logpath, "we");
        free(u->b.ws.logpath);
        u->b.ws.logpath = vz_xstrdup(logpath);
        /* load() found no leftover snapshot under the container's lock. The
         * snapshot is on disk before it is called one; the package manager's
         * syncs stay (ws.nosync is false: a release change is rare). */
        _cleanup_strv_ char **copies = vz_build_snapshot_copies(&u->b);
        r = vz_tree_snapshot_durable(u->ct->private_dir, snap, (const char *const *)copies, err);
        if (r < 0)
                return r;
        r = transact(u, err);
        if (r < 0) {
                struct vz_error e2 = { 0 };
                u->rolled_back = vz_tree_restore(u->ct->private_dir, snap, &e2) >= 0;
                if (!u->rolled_back)
                        vz_warn("container %s: %s", u->ct->id, e2.msg);
                return r;
        }
        if (vz_tree_retire(snap, &trash) >= 0)
                vz_rm_rf(trash);
        else
                vz_rm_rf(snap);
        bookkeeping(u);
        u->secs = vz_now() - t0;
        return 0;
}

/* ---- output ------------------------------------------------------------------------------ */

static json_t *plan_json(struct upgrade *u)
{
        json_t *o = json_pack("{s:o, s:s?, s:s?, s:[], s:[], s:[], s:[], s:[]}", "ct",
                              vz_json_string(u->ct ? u->ct->id : ""), "from",
                              u->from ? vz_template_name(u->from) : NULL, "to", u->to ? vz_template_name(u->to) : NULL,
                              "upgrade", "install", "remove", "conffiles_kept", "dropped_apps");
        for (size_t i = 0; i < u->install.n; i++) {
                struct vz_pkg *p = &u->install.pkgs[i];
                const char *old = installed_version(&u->have, p->name);
                json_t *e = json_pack("{s:s, s:s, s:s}", "name", p->name, "arch", p->arch, "version", p->version);
                if (old)  /* the container's own version: any bytes */
                        json_object_set_new(e, "from", vz_json_string(old));
                json_array_append_new(json_object_get(o, old ? "upgrade" : "install"), e);
        }
        for (size_t i = 0; i < u->erase.n; i++)
                json_array_append_new(json_object_get(o, "remove"),
                                      json_pack("{s:o, s:o}", "name", vz_json_string(u->erase.pkgs[i].name),
                                                "version", vz_json_string(u->erase.pkgs[i].version)));
        for (char **k = u->kept_conffiles; k && *k; k++)
                json_array_append_new(json_object_get(o, "conffiles_kept"), vz_json_string(*k));
        for (char **a = u->dropped; a && *a; a++)
                json_array_append_new(json_object_get(o, "dropped_apps"), vz_json_string(*a));
        json_object_set_new(o, "dry_run", json_boolean(u->req->dry_run));
        json_object_set_new(o, "result", json_integer(u->result));
        json_object_set_new(o, "message", vz_json_string(u->message));  /* may quote the container's output */
        json_object_set_new(o, "rolled_back", json_boolean(u->rolled_back));
        json_object_set_new(o, "seconds", json_real(u->secs));
        return o;
}

static void plan_human(struct upgrade *u, const char *id)
{
        if (u->result) {
                printf("container %s: FAILED: %s\n", id, u->message);
                return;
        }
        printf("container %s: %s\n", id, u->message);
        if (!u->req->dry_run) {
                for (char **k = u->kept_conffiles; k && *k; k++)
                        printf("  kept the changed %s; the new release's is %s.dpkg-dist\n", *k, *k);
                return;
        }
        for (size_t i = 0; i < u->install.n; i++) {
                struct vz_pkg *p = &u->install.pkgs[i];
                const char *old = installed_version(&u->have, p->name);
                if (old)
                        printf("  upgrade %s %s -> %s\n", p->name, old, p->version);
                else
                        printf("  install %s %s\n", p->name, p->version);
        }
        for (size_t i = 0; i < u->erase.n; i++)
                printf("  remove %s %s\n", u->erase.pkgs[i].name, u->erase.pkgs[i].version);
        for (char **a = u->dropped; a && *a; a++)
                printf("  drop application template %s\n", *a);
}

static void counts(struct upgrade *u, const char *what)
{
        snprintf(u->message, sizeof(u->message), "%s %s to %s: %zu upgraded, %zu new, %zu removed", what,
                 vz_template_name(u->from), vz_template_name(u->to), u->n_upgraded, u->n_new, u->erase.n);
}

static void upgrade_done(struct upgrade *u)
{
        if (u->begun)
                vz_build_end(&u->b);  /* removes the work directory; b.ws.root is our copy of the private area's path */
        vz_pkglist_done(&u->have);
        vz_pkglist_done(&u->install);
        vz_pkglist_done(&u->erase);
        vz_strv_free(u->erase_names);
        vz_strv_free(u->kept_conffiles);
        vz_strv_free(u->dropped);
        for (size_t i = 0; i < u->n_apps; i++)
                vz_template_free(u->apps[i]);
        free(u->apps);
        vz_template_free(u->from);
        vz_template_free(u->to);
        vz_ct_free(u->ct);
        if (u->lock >= 0)
                close(u->lock);
}

static int upgrade_one(struct vz_ctx *ctx, const char *id, const struct vz_upgrade_request *req, json_t *arr)
{
        struct upgrade u = { .ctx = ctx, .req = req, .lock = -1 };
        struct vz_error err = { 0 };
        int r = load(&u, id, &err);
        if (r < 0) {  /* nothing was looked at: one error line, as for a lock or config failure of the other commands */
                vz_fail(&err, r);
                upgrade_done(&u);
                return vz_exit_code(r);
        }
        r = plan(&u, &err);
        if (r >= 0 && req->dry_run)
                counts(&u, "upgrade pending from");
        else if (r >= 0 && (r = apply(&u, &err)) >= 0) {
                counts(&u, "upgraded from");
                size_t len = strlen(u.message);
                snprintf(u.message + len, sizeof(u.message) - len, " in %.0f s", u.secs);
        }
        if (r < 0) {
                u.result = vz_exit_code(r);
                snprintf(u.message, sizeof(u.message), "%.900s%s", err.msg[0] ? err.msg : vz_strerror(r),
                         u.rolled_back ? "; rolled back" : "");
        }
        if (ctx->json)
                json_array_append_new(arr, plan_json(&u));
        else
                plan_human(&u, u.ct ? u.ct->id : id);
        fflush(stdout);
        upgrade_done(&u);
        return u.result;
}

int vz_ct_upgrade(struct vz_ctx *ctx, char **ids, const struct vz_upgrade_request *req)
{
        json_t *arr = json_array();
        int rc = 0;
        for (char **id = ids; *id && !vz_interrupted(); id++) {
                int r = upgrade_one(ctx, *id, req, arr);
                rc = rc ? rc : r;
        }
        if (ctx->json)
                vz_json_print(arr, JSON_INDENT(2));
        else
                json_decref(arr);
        return rc ? rc : vz_interrupted() ? VZ_EXIT_INTERRUPTED : 0;
}
