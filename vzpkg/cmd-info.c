/* cmd-info.c: vzpkg info OST [FIELD...] */
#include "vzpkg.h"

#include <getopt.h>
#include <jansson.h>

static const char help[] =
        "Usage: vzpkg info OST [FIELD...]\n\n"
        "Show an OS template's metadata. FIELD is one of: name, os, version, arch,\n"
        "set, package_manager, distribution, osrelease, summary, description,\n"
        "packages, repositories, mirrorlist, gpgkeys, environment, cache.\n\n"
        "      --json    JSON object on stdout\n"
        "  -h, --help    this help\n";

static json_t *strv_json(char *const *v)
{
        json_t *a = json_array();
        for (; v && *v; v++)
                json_array_append_new(a, json_string(*v));
        return a;
}

static json_t *repos_json(const struct vz_template *t)
{
        size_t n = 0;
        const struct vz_repo_spec *r = vz_template_repos(t, &n);
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++) {
                json_t *o = json_pack("{s:o, s:i}", "urls", strv_json(r[i].urls), "priority", r[i].priority);
                if (r[i].suite) {
                        json_object_set_new(o, "suite", json_string(r[i].suite));
                        json_object_set_new(o, "components", strv_json(r[i].components));
                }
                json_array_append_new(a, o);
        }
        return a;
}

static json_t *info_json(struct vz_ctx *ctx, const struct vz_template *t)
{
        static const char *const text[] = { "distribution", "osrelease", "summary", "description" };
        _cleanup_free_ char *cache = NULL;
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "name", vz_template_name(t), "os", vz_template_os(t),
                              "version", vz_template_version(t), "arch", vz_template_arch(t), "set",
                              vz_template_set(t), "package_manager", vz_template_package_manager(t));
        for (size_t i = 0; i < ELEMENTSOF(text); i++) {
                const char *v = vz_template_field(t, text[i]);
                json_object_set_new(o, text[i], v ? json_string(v) : json_null());
        }
        json_object_set_new(o, "packages", strv_json(vz_template_packages(t)));
        json_object_set_new(o, "repositories", repos_json(t));
        json_object_set_new(o, "mirrorlist", strv_json(vz_template_mirrorlists(t)));
        json_object_set_new(o, "gpgkeys", strv_json(vz_template_gpgkeys(t)));
        json_object_set_new(o, "environment", strv_json(vz_template_environment(t)));
        json_object_set_new(o, "cache", vz_cache_find(ctx->cfg.cache_dir, vz_template_name(t), &cache) == 0
                                                ? json_string(cache)
                                                : json_null());
        return o;
}

static void print_value(const char *key, json_t *v, bool with_key)
{
        if (json_is_array(v)) {
                size_t i;
                json_t *x;
                if (with_key)
                        printf("%s:\n", key);
                json_array_foreach(v, i, x) {
                        if (json_is_string(x))
                                printf("%s%s\n", with_key ? "  " : "", json_string_value(x));
                        else {
                                char *s = json_dumps(x, JSON_COMPACT);
                                printf("%s%s\n", with_key ? "  " : "", s);
                                free(s);
                        }
                }
                return;
        }
        const char *s = json_is_string(v) ? json_string_value(v) : "";
        if (with_key)
                printf("%s: %s\n", key, s);
        else
                printf("%s\n", s);
}

int vz_cmd_info(struct vz_ctx *ctx, int argc, char **argv)
{
        struct vz_error err = { 0 };
        struct vz_vars vars = vz_config_vars(&ctx->cfg);
        _cleanup_template_ struct vz_template *t = NULL;
        struct vz_opts opts;
        json_t *o;
        int c, r;

        if ((c = vz_cmd_template_options(ctx, argc, argv, 0, &opts, help)) >= 0)
                return c;
        r = vz_template_load(ctx->cfg.template_area, argv[optind], &vars, &t, &err);
        if (r < 0) {
                vz_fail(&err, r);
                return vz_exit_code(r);
        }
        o = info_json(ctx, t);
        for (int i = optind + 1; i < argc; i++)
                if (!json_object_get(o, argv[i])) {
                        fprintf(stderr, "vzpkg: info: unknown field '%s'; see 'vzpkg info --help'\n", argv[i]);
                        json_decref(o);
                        return VZ_EXIT_USAGE;
                }
        if (ctx->json && optind + 1 < argc) {  /* only the fields asked for */
                json_t *sel = json_object();
                for (int i = optind + 1; i < argc; i++)
                        json_object_set(sel, argv[i], json_object_get(o, argv[i]));
                json_decref(o);
                o = sel;
        }
        if (ctx->json) {
                char *s = json_dumps(o, JSON_INDENT(2));
                puts(s);
                free(s);
        } else if (optind + 1 < argc) {
                for (int i = optind + 1; i < argc; i++)
                        print_value(argv[i], json_object_get(o, argv[i]), argc - optind > 2);
        } else {
                const char *k;
                json_t *v;
                json_object_foreach(o, k, v)
                        print_value(k, v, true);
        }
        json_decref(o);
        return 0;
}
