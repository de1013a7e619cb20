/* cmd-update.c: vzpkg update cache [-f] OST...; vzpkg update metadata [OST...] */
#include "context.h"
#include "backend.h"
#include "pipeline.h"
#include "commands.h"


static const char cache_help[] =
        "Usage: vzpkg update cache [-f] [-C|-r] [-q|-d N] [--timeout S] [OST...]\n\n"
        "Bring each OS template cache up to date with its repositories: unpack it,\n"
        "install newer versions and newly listed packages and remove packages the\n"
        "template no longer needs, inside the build container (hooks pre-update and\n"
        "post-update run there), then repack. A current cache is left untouched.\n"
        "The old cache stays in use until the new one is complete. With no OST,\n"
        "every OS template that has a cache (as vztt).\n\n"
        "  -f, --force      rebuild from scratch instead (as create cache -f)\n"
        "      --timeout S  wait at most S seconds for the template's lock\n"
        "  -q, --quiet      only errors;  -d, --debug N  vztt's debug level\n"
        "  -C, --cache      cached metadata and packages only;  -r, --remote  refresh metadata\n"
        "  -h, --help       this help\n";

struct update_run {
        bool force;
        bool every;              /* no OST named: only the templates that have a cache */
};

static int update_one(struct vz_ctx *ctx, const struct vz_template *t, void *userdata, struct vz_error *err)
{
        const struct update_run *run = userdata;
        _cleanup_free_ char *cache = NULL;
        if (run->every && vz_cache_find(ctx->cfg.cache_dir, vz_template_name(t), &cache) < 0)
                return 0;
        if (run->force)
                return vz_build_cache(ctx, t, true, err);
        return vz_update_cache(ctx, t, err);
}

int vz_cmd_update_cache(struct vz_ctx *ctx, int argc, char **argv)
{
        struct vz_opts o;
        int rc = vz_cmd_options(ctx, argc, argv, VZ_OPT_FORCE | VZ_OPT_TIMEOUT, &o, cache_help);
        if (rc >= 0)
                return rc;
        ctx->lock_timeout = o.timeout;
        struct update_run run = { o.force, optind >= argc };
        return vz_each_template(ctx, argc, argv, true, update_one, &run);
}

static const char metadata_help[] =
        "Usage: vzpkg update metadata [-q|-d N] [OST...]\n\n"
        "Refresh the repository metadata of each OS template (default: all), whatever\n"
        "METADATA_EXPIRE says: InRelease with conditional requests, verified with the\n"
        "template's keys, and the Packages files it lists. With no OST, a template\n"
        "that is not configured (its $VARIABLE undefined) is skipped with a warning.\n\n"
        "  -q, --quiet      only errors;  -d, --debug N  vztt's debug level\n"
        "  -h, --help       this help\n";

static int refresh_one(struct vz_ctx *ctx, const struct vz_template *t, void *userdata, struct vz_error *err)
{
        _cleanup_resolver_ struct vz_resolver *res = NULL;
        struct vz_build b;
        int r;
        r = vz_build_begin(ctx, t, &b, err);
        if (r < 0)
                return r;
        b.session.meta_mode = VZ_META_REFRESH;
        r = vz_repo_load(&b.session, t, &res, err);
        for (size_t i = 0; r >= 0 && i < b.session.n_repos; i++)
                if (ctx->verbosity >= 0 && !ctx->json)
                        printf("%s: %s %s: %s\n", vz_template_name(t), b.session.repos[i].urls[0], b.session.repos[i].suite,
                               b.session.repos[i].date);
        vz_build_end(&b);
        return r;
}

int vz_cmd_update_metadata(struct vz_ctx *ctx, int argc, char **argv)
{
        struct vz_opts o;
        int rc = vz_cmd_options(ctx, argc, argv, 0, &o, metadata_help);
        if (rc >= 0)
                return rc;
        return vz_each_template(ctx, argc, argv, true, refresh_one, NULL);
}
