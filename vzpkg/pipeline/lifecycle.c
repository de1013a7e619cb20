/* lifecycle.c: a cache measured against the repositories of today, and
 * refreshed in place. The cache's JSON manifest says what it holds; a fresh
 * resolution says what a new build would hold; the difference is the
 * update. Neither the cache's age nor its file date plays a part. */
#include "context.h"
#include "backend.h"
#include "pipeline.h"

#include <jansson.h>
#include <getopt.h>
#include <sys/stat.h>

struct manifest_pkg {
        const char *name, *arch, *version;
};

static json_t *load_manifest(struct vz_ctx *ctx, const char *name, struct vz_error *err)
{
        _cleanup_free_ char *path = vz_manifest_json_path(ctx, name);
        _cleanup_free_ char *cache = NULL;
        json_error_t je;
        json_t *j;

        if (vz_cache_find(ctx->cfg.cache_dir, name, &cache) < 0) {
                vz_error_set(err, -VZ_E_NOCACHE, "template %s: no cache in %s; run 'vzpkg create cache %s'",
                             name, ctx->cfg.cache_dir, name);
                return NULL;
        }
        j = json_load_file(path, 0, &je);
        if (!j || !json_is_array(json_object_get(j, "packages"))) {
                vz_error_set(err, -VZ_E_METADATA, "cache manifest %s: %s; rebuild with 'vzpkg create cache -f %s'",
                             path, j ? "no package list" : je.text, name);
                json_decref(j);
                return NULL;
        }
        return j;
}

static void add_change(struct vz_diff *d, const char *name, const char *arch, const char *from, const char *to)
{
        d->changes = vz_xrealloc(d->changes, (d->n + 1) * sizeof(*d->changes));
        d->changes[d->n++] = (struct vz_change){ vz_xstrdup(name), vz_xstrdup(arch), from ? vz_xstrdup(from) : NULL,
                                                 to ? vz_xstrdup(to) : NULL };
        if (from && to)
                d->updates++;
        else if (to)
                d->added++;
        else
                d->removed++;
}

static json_t *find_in_manifest(json_t *pkgs, const char *name)
{
        size_t i;
        json_t *p;
        json_array_foreach(pkgs, i, p)
                if (strcmp(json_string_value(json_object_get(p, "name")) ?: "", name) == 0)
                        return p;
        return NULL;
}

static bool in_list(const struct vz_pkglist *l, const char *name)
{
        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->pkgs[i].name, name) == 0)
                        return true;
        return false;
}

int vz_cache_diff(struct vz_build *b, struct vz_resolver *res, const struct vz_pkglist *fresh, struct vz_diff *ret,
                  struct vz_error *err)
{
        return vz_cache_diff_name(b, vz_template_name(b->tmpl), res, fresh, ret, err);
}

/* name: the cache's, an OS template's or an appcache's (appcache.c). */
int vz_cache_diff_name(struct vz_build *b, const char *name, struct vz_resolver *res, const struct vz_pkglist *fresh,
                       struct vz_diff *ret, struct vz_error *err)
{
        json_t *j = load_manifest(b->ctx, name, err), *pkgs, *p;
        size_t i;

        if (!j)
                return err->code;
        memset(ret, 0, sizeof(*ret));
        pkgs = json_object_get(j, "packages");
        for (i = 0; i < fresh->n; i++) {
                const struct vz_pkg *f = &fresh->pkgs[i];
                json_t *m = find_in_manifest(pkgs, f->name);
                const char *had = m ? json_string_value(json_object_get(m, "version")) : NULL;
                if (!had)
                        add_change(ret, f->name, f->arch, NULL, f->version);
                else if (vz_resolver_evrcmp(res, had, f->version) != 0)
                        add_change(ret, f->name, f->arch, had, f->version);
        }
        json_array_foreach(pkgs, i, p) {
                const char *n = json_string_value(json_object_get(p, "name"));
                if (n && !in_list(fresh, n))
                        add_change(ret, n, json_string_value(json_object_get(p, "arch")) ?: "",
                                   json_string_value(json_object_get(p, "version")) ?: "", NULL);
        }
        json_decref(j);
        return 0;
}

void vz_diff_done(struct vz_diff *d)
{
        for (size_t i = 0; i < d->n; i++) {
                free(d->changes[i].name);
                free(d->changes[i].arch);
                free(d->changes[i].from);
                free(d->changes[i].to);
        }
        free(d->changes);
        memset(d, 0, sizeof(*d));
}

/* ---- update cache ------------------------------------------------------------ */

static bool *changed_mask(const struct vz_pkglist *fresh, const struct vz_diff *d)
{
        bool *mask = vz_xmalloc((fresh->n + 1) * sizeof(bool));
        for (size_t i = 0; i < fresh->n; i++)
                for (size_t k = 0; k < d->n && !mask[i]; k++)
                        mask[i] = d->changes[k].to && strcmp(d->changes[k].name, fresh->pkgs[i].name) == 0;
        return mask;
}

static char **removed_names(const struct vz_diff *d)
{
        char **v = vz_xmalloc(sizeof(char *));
        for (size_t k = 0; k < d->n; k++)
                if (!d->changes[k].to)
                        vz_strv_push(&v, d->changes[k].name);
        return v;
}

static int refresh(struct vz_build *b, struct vz_pkglist *fresh, const struct vz_diff *d, const char *cache,
                   struct vz_unpack_job **job, struct vz_error *err)
{
        const char *name = vz_template_name(b->tmpl);
        _cleanup_free_ bool *mask = changed_mask(fresh, d);
        _cleanup_strv_ char **remove = removed_names(d);
        _cleanup_free_ char *path = NULL;
        double t0 = vz_now();
        int r;

        vz_info("%s: %zu updates, %zu new, %zu removed", name, d->updates, d->added, d->removed);
        /* only what changes is needed: a view of the changed packages */
        struct vz_pkglist changed = { .pkgs = vz_xmalloc((fresh->n + 1) * sizeof(struct vz_pkg)) };
        for (size_t i = 0; i < fresh->n; i++)
                if (mask[i])
                        changed.pkgs[changed.n++] = fresh->pkgs[i];
        r = vz_build_download(b, &changed, err);
        free(changed.pkgs);
        if (r >= 0 && *job) {
                r = vz_cache_unpack_wait(*job, false, err);
                *job = NULL;
                vz_verbose("%s: unpacked %s", name, cache);
        } else if (r >= 0) {
                vz_verbose("%s: unpacking %s", name, cache);
                r = vz_cache_unpack(cache, b->ws.root, vz_interrupted, err);
        }
        if (r >= 0) {
                struct vz_operation op = { .kind = VZ_OP_UPDATE_CACHE, .list = fresh, .select = mask, .remove = remove };
                vz_info("%s: updating", name);
                r = vz_operation_run(b, &op, err);
        }
        vz_progress_clear();
        if (r >= 0)
                r = vz_build_publish(b, fresh, true, &path, err);
        if (r >= 0)
                vz_build_report(b, path, fresh->n, vz_now() - t0);
        return r;
}

static int update_locked(struct vz_ctx *ctx, const struct vz_template *t, struct vz_error *err)
{
        const char *name = vz_template_name(t);
        _cleanup_resolver_ struct vz_resolver *res = NULL;
        _cleanup_free_ char *cache = NULL;
        struct vz_pkglist fresh = { 0 };
        struct vz_diff d = { 0 };
        struct vz_unpack_job *job = NULL;
        struct vz_build b;
        int r;

        if (vz_cache_find(ctx->cfg.cache_dir, name, &cache) < 0)
                return vz_error_set(err, -VZ_E_NOCACHE, "template %s: no cache to update; run 'vzpkg create cache %s'",
                                    name, name);
        r = vz_build_begin(ctx, t, &b, err);
        if (r < 0)
                return r;
        /* The old cache is unpacked while the repositories are read and the
         * difference computed (mostly waiting on the network): an update
         * needs it, a cache found current throws the partial tree away. */
        vz_build_root_in_memory(&b);
        if (vz_cache_unpack_start(cache, b.ws.root, vz_interrupted, &job) >= 0)
                vz_verbose("%s: unpacking %s in the background", name, cache);
        r = vz_build_resolve(&b, &res, &fresh, err);
        if (r >= 0)
                r = vz_cache_diff(&b, res, &fresh, &d, err);
        if (r >= 0 && d.n == 0) {
                if (ctx->json)
                        vz_json_print(json_pack("{s:o, s:b}", "template", vz_json_string(name), "current", 1),
                                      JSON_COMPACT);
                else if (ctx->verbosity >= 0)
                        printf("%s: current\n", name);
        } else if (r >= 0) {
                b.ws.n_pkgs = d.updates + d.added;
                r = refresh(&b, &fresh, &d, cache, &job, err);
        }
        vz_cache_unpack_wait(job, true, NULL);  /* not needed after all, or a failure before the wait */
        vz_diff_done(&d);
        vz_pkglist_done(&fresh);
        vz_build_end(&b);
        return r;
}

int vz_update_cache(struct vz_ctx *ctx, const struct vz_template *t, struct vz_error *err)
{
        _cleanup_close_ int lock = -1;
        int r;
        r = vz_build_lock(ctx, vz_template_name(t), &lock, err);
        if (r >= 0) {
                vz_build_remove_stale(ctx, t);
                r = update_locked(ctx, t, err);
        }
        if (r == -VZ_E_INTERRUPTED)
                vz_error_reset(err, r, "%s: interrupted; the update was stopped, the old cache is unchanged",
                               vz_template_name(t));
        return r;
}

/* ---- OST... ------------------------------------------------------------------ */

int vz_template_load_for(struct vz_ctx *ctx, const char *name, bool named, struct vz_template **ret,
                         struct vz_error *err)
{
        struct vz_vars vars = vz_config_vars(&ctx->cfg);
        int r = vz_template_load(ctx->cfg.template_area, name, &vars, ret, err);
        if (r != -VZ_E_UNCONFIGURED || named)
                return r;
        /* A template the admin never configured (the shipped almalinux-9
         * without $ALMALINUX_MIRROR) must not fail a command over all of them. */
        vz_warn("%s: skipped: %s", name, err->msg);
        memset(err, 0, sizeof(*err));
        return 1;
}

static int one_template(struct vz_ctx *ctx, const char *name, bool named, vz_template_fn fn, void *userdata)
{
        struct vz_error err = { 0 };
        _cleanup_template_ struct vz_template *t = NULL;
        int r = vz_template_load_for(ctx, name, named, &t, &err);
        if (r > 0)
                return 0;
        if (r >= 0)
                r = fn(ctx, t, userdata, &err);
        if (r < 0) {
                vz_fail(&err, r);
                return vz_exit_code(r);
        }
        return r;
}

int vz_each_template(struct vz_ctx *ctx, int argc, char **argv, bool all_by_default, vz_template_fn fn,
                     void *userdata)
{
        _cleanup_strv_ char **names = NULL;
        int rc = 0, worst = 0;
        if (optind < argc) {
                names = vz_xmalloc(sizeof(char *));
                for (int i = optind; i < argc; i++)
                        vz_strv_push(&names, argv[i]);
        } else if (all_by_default)
                vz_template_list(ctx->cfg.template_area, &names, NULL);
        else {
                fprintf(stderr, "vzpkg: name at least one OS template; 'vzpkg list' shows them\n");
                return VZ_EXIT_USAGE;
        }
        for (char **n = names; *n && !vz_interrupted(); n++) {
                int r = one_template(ctx, *n, optind < argc, fn, userdata);
                if (r > worst)
                        worst = r;
                if (r && r != VZ_EXIT_STALE && !rc)
                        rc = r;
        }
        if (vz_interrupted() && !rc)
                return VZ_EXIT_INTERRUPTED;
        return rc ? rc : worst;
}
