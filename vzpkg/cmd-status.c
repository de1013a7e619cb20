/* cmd-status.c: vzpkg status OST... : is the cache what a build would make
 * today? Exit 22 when any is not (the vzpkg tradition). */
#include "vzpkg.h"

#include <getopt.h>
#include <jansson.h>

static void help(FILE *f)
{
        fprintf(f, "Usage: vzpkg status [--json] OST...\n\n"
                   "Compare each OS template cache's manifest with the current repository\n"
                   "metadata (not with the file's age). Lists every package with a newer\n"
                   "version, packages newly needed by the template and packages it no longer\n"
                   "needs. Exit 0 when every cache is current, 22 when one is not.\n\n"
                   "      --json    JSON array on stdout\n"
                   "  -h, --help    this help\n");
}

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

static int status_one(struct vz_ctx *ctx, const struct vz_template *t, void *userdata, struct vz_error *err)
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
                json_array_append_new(userdata, diff_json(vz_template_name(t), &d));
        else if (r >= 0)
                print_human(vz_template_name(t), &d);
        if (r >= 0)
                r = d.n ? VZ_EXIT_STALE : 0;
        vz_diff_done(&d);
        vz_pkglist_done(&fresh);
        vz_build_end(&b);
        return r;
}

int vz_cmd_status(struct vz_ctx *ctx, int argc, char **argv)
{
        static const struct option opts[] = { { "json", no_argument, NULL, 'J' }, { "help", no_argument, NULL, 'h' }, {} };
        json_t *all;
        int c, rc;
        if (vz_status_means_containers(ctx, argc, argv))
                return vz_cmd_status_ct(ctx, argc, argv);
        all = json_array();
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                if (c == 'J') {
                        ctx->json = true;
                        continue;
                }
                json_decref(all);
                help(c == 'h' ? stdout : stderr);
                return c == 'h' ? 0 : VZ_EXIT_USAGE;
        }
        rc = vz_each_template(ctx, argc, argv, false, status_one, all);
        if (ctx->json) {
                char *s = json_dumps(all, JSON_INDENT(2));
                puts(s);
                free(s);
        }
        json_decref(all);
        return rc;
}
