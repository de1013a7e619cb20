/* cmd-update.c: vzpkg update cache [-f] OST...; vzpkg update metadata [OST...] */
#include "vzpkg.h"

#include <getopt.h>

static int usage_or_help(int c, const char *text)
{
        fputs(text, c == 'h' ? stdout : stderr);
        return c == 'h' ? 0 : VZ_EXIT_USAGE;
}

static const char cache_help[] =
        "Usage: vzpkg update cache [-f] OST...\n\n"
        "Bring each OS template cache up to date with its repositories: unpack it,\n"
        "install newer versions and newly listed packages and remove packages the\n"
        "template no longer needs, inside the build container (hooks pre-update and\n"
        "post-update run there), then repack. A current cache is left untouched.\n"
        "The old cache stays in use until the new one is complete.\n\n"
        "  -f, --force   rebuild from scratch instead (as create cache -f)\n"
        "  -h, --help    this help\n";

static int update_one(struct vz_ctx *ctx, const struct vz_template *t, void *force, struct vz_error *err)
{
        if (*(bool *)force)
                return vz_build_cache(ctx, t, true, err);
        return vz_update_cache(ctx, t, err);
}

int vz_cmd_update_cache(struct vz_ctx *ctx, int argc, char **argv)
{
        static const struct option opts[] = { { "force", no_argument, NULL, 'f' }, { "help", no_argument, NULL, 'h' }, {} };
        bool force = false;
        int c;
        while ((c = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
                if (c != 'f')
                        return usage_or_help(c, cache_help);
                force = true;
        }
        if (geteuid() != 0) {
                fprintf(stderr, "vzpkg: update cache: must be run as root (it works in a container)\n");
                return VZ_EXIT_ERROR;
        }
        return vz_each_template(ctx, argc, argv, false, update_one, &force);
}

static const char metadata_help[] =
        "Usage: vzpkg update metadata [OST...]\n\n"
        "Refresh the repository metadata of each OS template (default: all), whatever\n"
        "METADATA_EXPIRE says: InRelease with conditional requests, verified with the\n"
        "template's keys, and the Packages files it lists. With no OST, a template\n"
        "that is not configured (its $VARIABLE undefined) is skipped with a warning.\n\n"
        "  -h, --help    this help\n";

static int refresh_one(struct vz_ctx *ctx, const struct vz_template *t, void *userdata, struct vz_error *err)
{
        _cleanup_resolver_ struct vz_resolver *res = NULL;
        struct vz_build b;
        int r;
        r = vz_build_begin(ctx, t, &b, err);
        if (r < 0)
                return r;
        b.meta_mode = VZ_META_REFRESH;
        r = vz_backend_for(t)->load_repos(&b, &res, err);
        for (size_t i = 0; r >= 0 && i < b.n_repos; i++)
                if (ctx->verbosity >= 0 && !ctx->json)
                        printf("%s: %s %s: %s\n", vz_template_name(t), b.repos[i].urls[0], b.repos[i].suite,
                               b.repos[i].date);
        vz_build_end(&b);
        return r;
}

int vz_cmd_update_metadata(struct vz_ctx *ctx, int argc, char **argv)
{
        static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, {} };
        int c;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1)
                return usage_or_help(c, metadata_help);
        if (ctx->cache_only) {
                fprintf(stderr, "vzpkg: update metadata: -C forbids the network this command needs\n");
                return VZ_EXIT_USAGE;
        }
        return vz_each_template(ctx, argc, argv, true, refresh_one, NULL);
}
