/* cmd-info.c: vzpkg info OST [FIELD...] */
#include "context.h"
#include "containers.h"
#include "commands.h"

#include <getopt.h>
#include <jansson.h>

static const char help[] =
        "Usage: vzpkg info [-F OST|CTID] [-q|-d N] [--json] TEMPLATE [FIELD...|all]\n\n"
        "Show a template's metadata: an OS template's, or with -F an application\n"
        "template's of that OS template (or of that container's). Fields as vztt\n"
        "names them: name, osname, version, release, arch, config_path, summary,\n"
        "description, packages_0, packages_1, packages, repositories, mirrorlist,\n"
        "package_manager, package_manager_type, distribution, osrelease,\n"
        "technologies, environment, upgradable_versions, cached; and vzpkg's own:\n"
        "os, set, gpgkeys, cache. Printed as vztt prints them (\"field:\" then each\n"
        "value on a tab-indented line); with -q and one FIELD, the value alone.\n\n"
        "  -F, --for-os X  TEMPLATE is an application template of OS template X (or\n"
        "                  of container X's)\n"
        "      --json      JSON object on stdout\n"
        "  -h, --help      this help\n";

/* vztt's fields in vztt's order (its info output), then vzpkg's own. */
static const char *const fields[] = {
        "name", "osname", "version", "arch", "config_path", "summary", "description", "packages_0", "packages_1",
        "packages", "repositories", "mirrorlist", "package_manager", "package_manager_type", "distribution",
        "technologies", "environment", "upgradable_versions", "cached", "osrelease", "release", "os", "set",
        "gpgkeys", "cache",
};

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

/* a template field holding a list, one item per word */
static json_t *words_json(const char *v)
{
        _cleanup_strv_ char **w = vz_strv_split(v ? v : "", " \t\n");
        return strv_json(w);
}

/* vztt's names for the same facts: osname, config_path, packages_0 and
 * packages_1, package_manager_type, technologies, upgradable_versions,
 * cached, release (vztt keeps it for old scripts: the version). */
static void vztt_fields(json_t *o, const struct vz_template *t, bool cached)
{
        json_t *p0 = strv_json(vz_template_packages_stage(t, 0)), *p1 = strv_json(vz_template_packages_stage(t, 1));
        json_object_set_new(o, "osname", json_string(vz_template_os(t)));
        json_object_set_new(o, "release", json_string(vz_template_version(t)));
        json_object_set_new(o, "config_path", json_string(vz_template_dir(t)));
        json_object_set_new(o, "packages_0", p0);
        json_object_set_new(o, "packages_1", p1);
        json_object_set_new(o, "package_manager_type",
                            json_string(vz_template_family(t) == VZ_FAMILY_RPM ? "rpm" : "dpkg"));
        json_object_set_new(o, "technologies", words_json(vz_template_field(t, "technologies")));
        json_object_set_new(o, "upgradable_versions", words_json(vz_template_field(t, "upgradable_versions")));
        json_object_set_new(o, "cached", json_string(cached ? "yes" : "no"));
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
        vztt_fields(o, t, cache != NULL);
        return o;
}

/* vztt's layout: "field:" then each value on a tab-indented line
 * (technologies on one line); quiet: the values alone. */
static void print_field(const char *key, json_t *v, bool quiet)
{
        size_t i;
        json_t *x;
        if (json_is_null(v) || (json_is_array(v) && json_array_size(v) == 0))
                return;  /* vztt prints nothing for an empty field */
        if (!quiet)
                printf("%s:\n", key);
        if (!json_is_array(v)) {
                printf("%s%s\n", quiet ? "" : "\t", json_string_value(v));
                return;
        }
        if (strcmp(key, "technologies") == 0)
                fputs(quiet ? "" : "\t", stdout);
        json_array_foreach(v, i, x) {
                char *s = json_is_string(x) ? NULL : json_dumps(x, JSON_COMPACT);
                if (strcmp(key, "technologies") == 0)
                        printf("%s ", json_string_value(x));
                else
                        printf("%s%s\n", quiet ? "" : "\t", s ? s : json_string_value(x));
                free(s);
        }
        if (strcmp(key, "technologies") == 0)
                putchar('\n');
}

/* -F OST|CTID: the OS template itself, or the container's */
static int load_for(struct vz_ctx *ctx, const char *for_obj, const char *name, struct vz_template **ret,
                    struct vz_error *err)
{
        struct vz_vars vars = vz_config_vars(&ctx->cfg);
        _cleanup_template_ struct vz_template *os = NULL;
        _cleanup_ct_ struct vz_ct *ct = NULL;
        int r;
        if (!for_obj)
                return vz_template_load(ctx->cfg.template_area, name, &vars, ret, err);
        if (vz_is_container(ctx, for_obj)) {
                if ((r = vz_ct_load(ctx, for_obj, &ct, err)) < 0)
                        return r;
                for_obj = ct->ostemplate;
        }
        r = vz_template_load(ctx->cfg.template_area, for_obj, &vars, &os, err);
        return r < 0 ? r : vz_template_load_app(ctx->cfg.template_area, os, name, &vars, ret, err);
}

static const char *field_name(const char *f)
{
        return strcmp(f, "designation") == 0 ? "name" : f;  /* vztt's old name */
}

int vz_cmd_info(struct vz_ctx *ctx, int argc, char **argv)
{
        struct vz_error err = { 0 };
        _cleanup_template_ struct vz_template *t = NULL;
        struct vz_opts opts;
        bool all;
        json_t *o;
        int c, r;

        if ((c = vz_cmd_options(ctx, argc, argv, VZ_OPT_FOR, &opts, help)) >= 0)
                return c;
        r = load_for(ctx, opts.for_obj, argv[optind], &t, &err);
        if (r < 0) {
                vz_fail(&err, r);
                return vz_exit_code(r);
        }
        o = info_json(ctx, t);
        all = optind + 1 >= argc || (argc - optind == 2 && strcmp(argv[optind + 1], "all") == 0);
        for (int i = optind + 1; !all && i < argc; i++)
                if (!json_object_get(o, field_name(argv[i]))) {
                        fprintf(stderr, "vzpkg: info: unknown field '%s'; see 'vzpkg info --help'\n", argv[i]);
                        json_decref(o);
                        return VZ_EXIT_USAGE;
                }
        if (ctx->json && !all) {  /* only the fields asked for */
                json_t *sel = json_object();
                for (int i = optind + 1; i < argc; i++)
                        json_object_set(sel, field_name(argv[i]), json_object_get(o, field_name(argv[i])));
                json_decref(o);
                o = sel;
        }
        if (ctx->json) {
                vz_json_print(o, JSON_INDENT(2));
                return 0;
        } else if (!all) {
                /* as vztt: quiet only when one field is asked for */
                for (int i = optind + 1; i < argc; i++)
                        print_field(field_name(argv[i]), json_object_get(o, field_name(argv[i])),
                                    ctx->verbosity < 0 && argc - optind == 2);
        } else {
                for (size_t i = 0; i < ELEMENTSOF(fields); i++)
                        print_field(fields[i], json_object_get(o, fields[i]), false);
        }
        json_decref(o);
        return 0;
}
