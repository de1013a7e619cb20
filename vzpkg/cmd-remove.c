/* cmd-remove.c: vzpkg remove cache OST... */
#include "vzpkg.h"

#include <getopt.h>
#include <sys/file.h>

static void help(FILE *f)
{
        fprintf(f, "Usage: vzpkg remove cache OST...\n\n"
                   "Remove the template cache (and its JSON manifest) of each OS template.\n\n"
                   "  -h, --help    this help\n");
}

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

        vz_mkdir_p(ctx->cfg.lock_dir, 0755);
        r = vz_lock(lockpath, LOCK_EX, false, &lock);
        if (r == -VZ_E_LOCKED) {
                fprintf(stderr, "vzpkg: template %s: another vzpkg is working on it (lock %s); try again later\n", n, lockpath);
                return VZ_EXIT_LOCKED;
        }
        if (vz_cache_find(ctx->cfg.cache_dir, n, &path) < 0) {
                fprintf(stderr, "vzpkg: template %s: no cache in %s; 'vzpkg list --cached' shows the caches\n", n,
                        ctx->cfg.cache_dir);
                return VZ_EXIT_TEMPLATE;
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

int vz_cmd_remove_cache(struct vz_ctx *ctx, int argc, char **argv)
{
        static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, {} };
        int c, rc = 0;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                help(c == 'h' ? stdout : stderr);
                return c == 'h' ? 0 : VZ_EXIT_USAGE;
        }
        if (optind >= argc) {
                help(stderr);
                return VZ_EXIT_USAGE;
        }
        for (int i = optind; i < argc; i++) {
                int r = remove_one(ctx, argv[i]);
                if (r && !rc)
                        rc = r;
        }
        return rc;
}
