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

const struct vz_template *vz_repo_template(const struct vz_template *os, struct vz_template *const *apps, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (vz_template_own_repos(apps[i]) > 0)
                        return apps[i];
        return os;
}

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
        r = vz_workspace_make(b, err);
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
        char sha256[65];
        pid_t saver;
        int r;

        r = vz_manifest_write_vzpackages(b->ws.root, installed);
        if (r < 0)
                return vz_error_set(err, -VZ_E_ARCHIVE, "%s: cannot write templates/vzpackages: %s", name,
                                    strerror(-r));
        r = vz_mkdir_p(c->cache_dir, 0755);
        if (r < 0)
                return vz_error_set(err, -VZ_E_ARCHIVE, "cache directory %s: %s", c->cache_dir, strerror(-r));
        vz_info("%s: packing %s", name, dest);
        saver = vz_build_stage_save_start(b);
        r = vz_cache_pack(b->ws.root, dest, c->archive, sde, vz_interrupted, sha256, err);
        vz_build_stage_save_finish(b, saver, r < 0);
        if (r < 0)
                return r;
        vz_build_stage_save_packed(b, dest, sha256);
        /* A cache of another format would shadow or confuse: the new one replaces it. */
        if (vz_cache_find(c->cache_dir, name, &old) == 0 && strcmp(old, dest) != 0)
                unlink(old);
        r = vz_manifest_write_json(b, resolved, dest, sha256, json, err);
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
