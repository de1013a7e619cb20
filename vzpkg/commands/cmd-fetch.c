/* cmd-fetch.c: vzpkg fetch OST... : fill the package cache ahead of time. */
#include "context.h"
#include "pipeline.h"
#include "commands.h"


static const char help[] =
        "Usage: vzpkg fetch [-C|-r] [-q|-d N] [--json] OST...\n\n"
        "Resolve each OS template and download its packages into the shared package\n"
        "cache (verified against the signed metadata), without building anything;\n"
        "a later 'vzpkg create cache -C' then needs no network.\n\n"
        "  -q, --quiet   only errors;  -d, --debug N  vztt's debug level\n"
        "  -h, --help    this help\n";

static int fetch_one(struct vz_ctx *ctx, const struct vz_template *t, void *userdata, struct vz_error *err)
{
        _cleanup_resolver_ struct vz_resolver *res = NULL;
        struct vz_pkglist pkgs = { 0 };
        struct vz_build b;
        int r;

        r = vz_build_begin(ctx, t, &b, err);
        if (r < 0)
                return r;
        r = vz_build_resolve(&b, &res, &pkgs, err);
        if (r >= 0)
                r = vz_build_download(&b, &pkgs, err);
        if (r >= 0 && ctx->json)
                vz_json_print(json_pack("{s:o, s:I, s:I}", "template", vz_json_string(vz_template_name(t)), "packages",
                                        (json_int_t)pkgs.n, "downloaded", (json_int_t)b.session.bytes_downloaded),
                              JSON_COMPACT);
        else if (r >= 0 && ctx->verbosity >= 0)
                printf("%s: %zu packages in the cache (%.1f MiB downloaded)\n", vz_template_name(t), pkgs.n,
                       b.session.bytes_downloaded / 1048576.0);
        vz_pkglist_done(&pkgs);
        vz_build_end(&b);
        return r;
}

int vz_cmd_fetch(struct vz_ctx *ctx, int argc, char **argv)
{
        struct vz_opts o;
        int rc = vz_cmd_options(ctx, argc, argv, VZ_OPT_FORCE, &o, help);
        if (rc >= 0)
                return rc;
        return vz_each_template(ctx, argc, argv, false, fetch_one, NULL);
}
