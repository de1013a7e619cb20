/* cmd-status.c: vzpkg status OST... : is the cache what a build would make
 * today? Exit 22 when any is not (the vzpkg tradition). */
#include "context.h"
#include "pipeline.h"
#include "commands.h"

#include <jansson.h>

static const char help[] =
        "Usage: vzpkg status [-C|-r] [-q|-d N] [--json] [OST...]\n"
        "       vzpkg status [-C|-r] [-q|-d N] [--json] [--timeout S] CTID...|--all\n\n"
        "Compare each OS template cache's manifest with the current repository\n"
        "metadata (not with the file's age); with no OST, every OS template's.\n"
        "Lists every package with a newer version, packages newly needed by the\n"
        "template and packages it no longer needs, then the same for each appcache of\n"
        "the template ('vzpkg list appcache'). With container IDs (or --all),\n"
        "the updates each container's repositories offer, and for a running one the\n"
        "processes that still run replaced files (\"restart needed\"). Exit 0 when\n"
        "everything is current, 22 when something is not, else 84 when a restart\n"
        "is needed.\n\n"
        "  -a, --all        every container in CONF_DIR\n"
        "      --timeout S  wait at most S seconds for a container's lock\n"
        "      --json       JSON array on stdout\n"
        "  -q, --quiet      only errors;  -d, --debug N  vztt's debug level\n"
        "  -C, --cache      cached metadata only;  -r, --remote  refresh metadata\n"
        "  -h, --help       this help\n";

static json_t *change_json(const struct vz_change *c)
{
        if (c->from && c->to)
                return json_pack("{s:s, s:s, s:s, s:s}", "name", c->name, "arch", c->arch, "from", c->from, "to", c->to);
        return json_pack("{s:s, s:s, s:s}", "name", c->name, "arch", c->arch, "version", c->to ? c->to : c->from);
}

static void print_human(const char *name, const struct vz_diff *d)
{
        printf("%s: %s\n", name, d->n ? "stale" : "current");
        for (size_t i = 0; i < d->n; i++) {
                const struct vz_change *c = &d->changes[i];
                if (c->from && c->to)
                        printf("  %s %s -> %s\n", c->name, c->from, c->to);
                else if (c->to)
                        printf("  %s (new) %s\n", c->name, c->to);
                else
                        printf("  %s (removed) %s\n", c->name, c->from);
        }
}

static json_t *diff_json(const char *name, const struct vz_diff *d)
{
        json_t *o = json_pack("{s:s, s:b, s:[], s:[], s:[]}", "template", name, "current", d->n == 0, "updates",
                              "new", "removed");
        for (size_t i = 0; i < d->n; i++) {
                const struct vz_change *c = &d->changes[i];
                const char *key = c->from && c->to ? "updates" : c->to ? "new" : "removed";
                json_array_append_new(json_object_get(o, key), change_json(c));
        }
        return o;
}

struct status_run {
        json_t *all;
        bool every;              /* no OST named: templates without a cache are skipped */
        bool json;
};

/* An appcache of the template (appcache.c), reported as its OS cache is. */
static void appcache_report(void *userdata, const char *name, char *const *apps, const struct vz_diff *d)
{
        struct status_run *run = userdata;
        if (run->json) {
                json_t *o = diff_json(name, d), *a = json_array();
                for (char *const *x = apps; *x; x++)
                        json_array_append_new(a, json_string(*x));
                json_object_set_new(o, "apps", a);
                json_array_append_new(run->all, o);
        } else
                print_human(name, d);
}

static int status_os(struct vz_ctx *ctx, const struct vz_template *t, struct status_run *run, struct vz_error *err)
{
        _cleanup_resolver_ struct vz_resolver *res = NULL;
        struct vz_pkglist fresh = { 0 };
        struct vz_diff d = { 0 };
        struct vz_build b;
        int r;

        r = vz_build_begin(ctx, t, &b, err);
        if (r < 0)
                return r;
        r = vz_build_resolve(&b, &res, &fresh, err);
        if (r >= 0)
                r = vz_cache_diff(&b, res, &fresh, &d, err);
        if (r >= 0 && ctx->json)
                json_array_append_new(run->all, diff_json(vz_template_name(t), &d));
        else if (r >= 0)
                print_human(vz_template_name(t), &d);
        if (r >= 0)
                r = d.n ? VZ_EXIT_STALE : 0;
        vz_diff_done(&d);
        vz_pkglist_done(&fresh);
        vz_build_end(&b);
        return r;
}

/* The OS template's cache (when it has one or was named), then each of its
 * appcaches. */
static int status_one(struct vz_ctx *ctx, const struct vz_template *t, void *userdata, struct vz_error *err)
{
        struct status_run *run = userdata;
        _cleanup_free_ char *cache = NULL;
        int r = 0, k;
        if (!run->every || vz_cache_find(ctx->cfg.cache_dir, vz_template_name(t), &cache) == 0)
                r = status_os(ctx, t, run, err);
        if (r < 0)
                return r;
        k = vz_appcache_status(ctx, t, appcache_report, run, err);
        if (k < 0)
                return k;
        return k > 0 ? VZ_EXIT_STALE : r;
}

int vz_cmd_status(struct vz_ctx *ctx, int argc, char **argv)
{
        struct vz_opts o;
        json_t *all;
        int rc = vz_cmd_options(ctx, argc, argv, VZ_OPT_ALL | VZ_OPT_TIMEOUT, &o, help);
        if (rc >= 0)
                return rc;
        /* containers when the first name is one or with --all (as vztt
         * tells a CTID from a template), otherwise OS template caches */
        if (o.all || (optind < argc && vz_is_container(ctx, argv[optind])))
                return vz_status_cts(ctx, argc, argv, &o);
        all = json_array();
        struct status_run run = { all, optind >= argc, ctx->json };
        rc = vz_each_template(ctx, argc, argv, true, status_one, &run);
        if (ctx->json)
                vz_json_print(all, JSON_INDENT(2));
        else
                json_decref(all);
        return rc;
}
