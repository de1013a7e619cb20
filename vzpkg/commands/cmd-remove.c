/* cmd-remove.c: vzpkg remove cache OST... */
#include "context.h"
#include "pipeline.h"
#include "commands.h"

#include <sys/file.h>

static const char help[] =
        "Usage: vzpkg remove cache [-q|-d N] [OST...]\n\n"
        "Remove the template cache (and its JSON manifest) of each OS template;\n"
        "with no OST, every template cache (as vztt).\n\n"
        "  -q, --quiet   only errors;  -d, --debug N  vztt's debug level\n"
        "  -h, --help    this help\n";

/* The canonical name, as create cache uses it (a leading '.' dropped, the
 * host arch filled in), while the template still exists; else as given. */
static char *canonical(struct vz_ctx *ctx, const char *name)
{
        struct vz_vars vars = vz_config_vars(&ctx->cfg);
        _cleanup_template_ struct vz_template *t = NULL;
        if (vz_template_load(ctx->cfg.template_area, name, &vars, &t, NULL) == 0)
                return vz_xstrdup(vz_template_name(t));
        return vz_xstrdup(name[0] == '.' ? name + 1 : name);
}

static int remove_one(struct vz_ctx *ctx, const char *name)
{
        _cleanup_free_ char *n = canonical(ctx, name);
        _cleanup_free_ char *lockpath = vz_asprintf("%s/%s.lock", ctx->cfg.lock_dir, n);
        _cleanup_free_ char *path = NULL, *json = NULL;
        _cleanup_close_ int lock = -1;
        int r;

        r = vz_mkdir_p(ctx->cfg.lock_dir, 0755);
        if (r >= 0)
                r = vz_lock(lockpath, LOCK_EX, false, &lock);
        if (r == -VZ_E_LOCKED) {
                fprintf(stderr, "vzpkg: template %s: another vzpkg is working on it (lock %s); try again later\n", n, lockpath);
                return VZ_EXIT_LOCKED;
        }
        if (r < 0) {  /* not removed without the lock: a build may be publishing it */
                fprintf(stderr, "vzpkg: template %s: cannot take the lock %s: %s\n", n, lockpath, vz_strerror(r));
                return vz_exit_code(r);
        }
        if (vz_cache_find(ctx->cfg.cache_dir, n, &path) < 0) {
                fprintf(stderr, "vzpkg: template %s: no cache in %s; 'vzpkg list --cached' shows the caches\n", n,
                        ctx->cfg.cache_dir);
                return VZ_EXIT_NOT_CACHED;
        }
        json = vz_manifest_json_path(ctx, n);
        if (unlink(path) < 0) {
                fprintf(stderr, "vzpkg: cache %s: cannot remove: %m\n", path);
                return VZ_EXIT_CACHE;
        }
        unlink(json);
        vz_info("%s: removed %s", n, path);
        return 0;
}

/* Every template that has a cache, for remove cache without names. */
static char **cached_templates(struct vz_ctx *ctx)
{
        _cleanup_strv_ char **all = NULL;
        char **out = vz_xmalloc(sizeof(char *));
        vz_template_list(ctx->cfg.template_area, &all, NULL);
        for (char **n = all; *n; n++) {
                _cleanup_free_ char *p = NULL;
                if (vz_cache_find(ctx->cfg.cache_dir, *n, &p) == 0)
                        vz_strv_push(&out, *n);
        }
        return out;
}

int vz_cmd_remove_cache(struct vz_ctx *ctx, int argc, char **argv)
{
        _cleanup_strv_ char **names = NULL;
        struct vz_opts o;
        int rc = vz_cmd_options(ctx, argc, argv, VZ_OPT_FORCE, &o, help);
        if (rc >= 0)
                return rc;
        if (optind < argc) {
                names = vz_xmalloc(sizeof(char *));
                for (int i = optind; i < argc; i++)
                        vz_strv_push(&names, argv[i]);
        } else
                names = cached_templates(ctx);
        rc = 0;
        for (char **n = names; *n; n++) {
                int r = remove_one(ctx, *n);
                if (r && !rc)
                        rc = r;
        }
        return rc;
}
