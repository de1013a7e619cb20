/* cmd-create.c: vzpkg create cache [-f] [OST...] */
#include "context.h"
#include "pipeline.h"
#include "commands.h"


static const char help[] =
        "Usage: vzpkg create cache [-f] [-C|-r] [-q|-d N] [--timeout S] [--no-stage-cache] [OST...]\n\n"
        "Build the template cache of each OS template named (default: every OS\n"
        "template that has no cache yet) into $TEMPLATE/cache/OST.tar.zst, with a\n"
        "JSON manifest beside it. An existing cache is kept unless -f is given; it\n"
        "is replaced only once the new one is complete. With no OST, a template\n"
        "that is not configured (its $VARIABLE undefined) is skipped with a warning.\n\n"
        "  -f, --force      rebuild even when a cache exists\n"
        "      --timeout S  wait at most S seconds for the template's lock\n"
        "      --no-stage-cache  build every step, neither using nor filling the stage\n"
        "                   cache (STAGE_CACHE); the cache is the same file either way\n"
        "  -q, --quiet      only errors;  -d, --debug N  vztt's debug level\n"
        "  -C, --cache      cached metadata and packages only;  -r, --remote  refresh metadata\n"
        "  -h, --help       this help\n";

static char **templates_without_cache(struct vz_ctx *ctx)
{
        _cleanup_strv_ char **all = NULL;
        char **out = vz_xmalloc(sizeof(char *));
        vz_template_list(ctx->cfg.template_area, &all, NULL);
        for (char **n = all; *n; n++) {
                _cleanup_free_ char *p = NULL;
                if (vz_cache_find(ctx->cfg.cache_dir, *n, &p) < 0)
                        vz_strv_push(&out, *n);
        }
        return out;
}

static int create_one(struct vz_ctx *ctx, const char *name, bool named, bool force)
{
        struct vz_error err = { 0 };
        _cleanup_template_ struct vz_template *t = NULL;
        int r = vz_template_load_for(ctx, name, named, &t, &err);
        if (r > 0)
                return 0;  /* not configured, skipped with a warning */
        if (r >= 0)
                r = vz_build_cache(ctx, t, force, &err);
        if (r < 0) {
                vz_fail(&err, r);
                return vz_exit_code(r);
        }
        return 0;
}

int vz_cmd_create_cache(struct vz_ctx *ctx, int argc, char **argv)
{
        _cleanup_strv_ char **names = NULL;
        struct vz_opts o;
        int rc = vz_cmd_options(ctx, argc, argv, VZ_OPT_FORCE | VZ_OPT_TIMEOUT | VZ_OPT_STAGE, &o, help);
        if (rc >= 0)
                return rc;
        rc = 0;
        ctx->lock_timeout = o.timeout;
        ctx->no_stage_cache = o.no_stage_cache;
        if (optind < argc) {
                names = vz_xmalloc(sizeof(char *));
                for (int i = optind; i < argc; i++)
                        vz_strv_push(&names, argv[i]);
        } else
                names = templates_without_cache(ctx);
        for (char **n = names; *n && !vz_interrupted(); n++) {
                int r = create_one(ctx, *n, optind < argc, o.force);
                if (r && !rc)
                        rc = r;
        }
        return !rc && vz_interrupted() ? VZ_EXIT_INTERRUPTED : rc;
}
