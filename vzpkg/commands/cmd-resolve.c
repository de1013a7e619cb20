/* cmd-resolve.c: vzpkg resolve OST [PKG...]: the package set a build would
 * install, without downloading or building anything (for comparing with
 * apt: tests/differential). */
#include "context.h"
#include "backend.h"
#include "pipeline.h"
#include "commands.h"

#include <jansson.h>

static const char help[] =
        "Usage: vzpkg resolve [-C|-r] [-q|-d N] [--json] OST [PKG...]\n\n"
        "Print the packages 'create cache OST' would install (name, version, arch; sorted\n"
        "by name), from the template's repositories, without downloading packages or\n"
        "building anything. With PKG arguments they replace the template's package list\n"
        "(every Essential: yes and Priority: required package is added as for a build).\n\n"
        "      --json    {\"template\": ..., \"packages\": [{name, version, arch}...]}\n"
        "  -h, --help    this help\n";

static int by_name(const void *a, const void *b)
{
        const struct vz_pkg *x = a, *y = b;
        return strcmp(x->name, y->name);
}

static void print_set(struct vz_ctx *ctx, const char *name, struct vz_pkglist *l)
{
        qsort(l->pkgs, l->n, sizeof(*l->pkgs), by_name);
        if (!ctx->json) {
                for (size_t i = 0; i < l->n; i++)
                        printf("%s %s %s\n", l->pkgs[i].name, l->pkgs[i].version, l->pkgs[i].arch);
                return;
        }
        json_t *a = json_array();
        for (size_t i = 0; i < l->n; i++)
                json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "name", l->pkgs[i].name, "version",
                                                   l->pkgs[i].version, "arch", l->pkgs[i].arch));
        vz_json_print(json_pack("{s:o, s:o}", "template", vz_json_string(name), "packages", a), JSON_COMPACT);
}

static int resolve(struct vz_ctx *ctx, const struct vz_template *t, char **names, struct vz_error *err)
{
        _cleanup_resolver_ struct vz_resolver *res = NULL;
        struct vz_pkglist pkgs = { 0 };
        struct vz_build b;
        const char *name = vz_template_name(t);
        int r = vz_build_begin(ctx, t, &b, err);
        if (r < 0)
                return r;
        r = vz_repo_load(&b.session, t, &res, err);
        if (r >= 0)
                r = vz_resolver_solve(res, names ? names : vz_template_packages(t), VZ_RESOLVE_BASE, name, &pkgs, err);
        if (r >= 0)
                print_set(ctx, name, &pkgs);
        vz_pkglist_done(&pkgs);
        vz_build_end(&b);
        return r;
}

int vz_cmd_resolve(struct vz_ctx *ctx, int argc, char **argv)
{
        struct vz_error err = { 0 };
        struct vz_vars vars = vz_config_vars(&ctx->cfg);
        _cleanup_template_ struct vz_template *t = NULL;
        struct vz_opts o;
        int c, r;

        if ((c = vz_cmd_options(ctx, argc, argv, 0, &o, help)) >= 0)
                return c;
        r = vz_template_load(ctx->cfg.template_area, argv[optind], &vars, &t, &err);
        if (r >= 0)
                r = resolve(ctx, t, optind + 1 < argc ? argv + optind + 1 : NULL, &err);
        if (r < 0) {
                vz_fail(&err, r);
                return vz_exit_code(r);
        }
        return 0;
}
