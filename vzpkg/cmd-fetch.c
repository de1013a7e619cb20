/* cmd-fetch.c: vzpkg fetch OST... : fill the package cache ahead of time. */
#include "vzpkg.h"

#include <getopt.h>

static void help(FILE *f)
{
        fprintf(f, "Usage: vzpkg fetch OST...\n\n"
                   "Resolve each OS template and download its packages into the shared package\n"
                   "cache (verified against the signed metadata), without building anything;\n"
                   "a later 'vzpkg -C create cache' then needs no network.\n\n"
                   "  -h, --help    this help\n");
}

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
                printf("{\"template\":\"%s\",\"packages\":%zu,\"downloaded\":%lld}\n", vz_template_name(t), pkgs.n,
                       b.bytes_downloaded);
        else if (r >= 0 && ctx->verbosity >= 0)
                printf("%s: %zu packages in the cache (%.1f MiB downloaded)\n", vz_template_name(t), pkgs.n,
                       b.bytes_downloaded / 1048576.0);
        vz_pkglist_done(&pkgs);
        vz_build_end(&b);
        return r;
}

int vz_cmd_fetch(struct vz_ctx *ctx, int argc, char **argv)
{
        static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, {} };
        int c;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                help(c == 'h' ? stdout : stderr);
                return c == 'h' ? 0 : VZ_EXIT_USAGE;
        }
        return vz_each_template(ctx, argc, argv, false, fetch_one, NULL);
}
