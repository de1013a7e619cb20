/* cmd-appcache.c: vzpkg create|update|remove appcache, in vzpkg's form
 * (OST APP...) and in vztt's (--config SAMPLE, --ostemplate OST,
 * --apptemplate APP,APP; with none of them, vztt's default sample config);
 * vzpkg list appcache. */
#include "context.h"
#include "pipeline.h"
#include "commands.h"

#define COMMON_HELP                                                                                                   \
        "The OS template and the application templates are named on the command\n"                              \
        "line (an APP may also be APP,APP,...), or, as vztt takes them, from a vzctl\n"                       \
        "sample config (OSTEMPLATE and TEMPLATES; --config NAME reads\n"                                        \
        "CONF_DIR/ve-NAME.conf-sample, else the file NAME; default\n"                                          \
        "CONF_DIR/vps.vzpkgtools.conf-sample), --ostemplate and --apptemplate\n"                                \
        "replacing what the sample says. The cache is $TEMPLATE/cache/<OST>_app_<md5>\n"                       \
        "(vztt's name: the MD5 of the sorted app list), with <name>.list and a JSON\n"                          \
        "manifest beside it.\n\n"                                                                                \
        "      --config SAMPLE        vzctl sample config with OSTEMPLATE and TEMPLATES\n"                       \
        "      --ostemplate OST       the OS template\n"                                                         \
        "      --apptemplate A[,B..]  the application templates\n"                                               \
        "      --timeout S            wait at most S seconds for the appcache's lock\n"                           \
        "  -q, --quiet                only errors;  -d, --debug N  vztt's debug level\n"                         \
        "  -C, --cache                cached metadata and packages only;  -r, --remote  refresh metadata\n"    \
        "      --json                 one JSON object on stdout\n"                                               \
        "  -h, --help                 this help\n"

static const char create_help[] =
        "Usage: vzpkg create appcache [-f] [OPTIONS] [OST APP...]\n\n"
        "Build a cache of the OS template with the application templates installed:\n"
        "the OS template's cache (built first when missing) is unpacked, the apps'\n"
        "packages are installed in the build container between their pre-install and\n"
        "post-install hooks (APP_CACHE=1 in their environment), and the result is\n"
        "normalised and published like an OS cache. An existing appcache is kept\n"
        "unless -f is given. 'vzpkg create ct --ostemplate OST --apps APP,...' uses it.\n\n" COMMON_HELP
        "  -f, --force                rebuild even when the appcache exists\n";

static const char update_help[] =
        "Usage: vzpkg update appcache [-f] [OPTIONS] [OST APP...]\n\n"
        "Compare the appcache's manifest with what the repositories offer today; when\n"
        "it is not current, build it again from the OS template's cache (as create\n"
        "appcache -f); a current appcache is left untouched. vztt's --update-cache\n"
        "is accepted and means the same.\n\n" COMMON_HELP
        "  -f, --force                rebuild even when it is current\n"
        "      --update-cache         accepted for vztt's scripts\n";

static const char remove_help[] =
        "Usage: vzpkg remove appcache [OPTIONS] [OST APP...]\n\n"
        "Remove the appcache of the OS template with these application templates\n"
        "(its archive, list file and manifest); the OS template's own cache stays.\n\n" COMMON_HELP;

struct appcache_args {
        char *os;
        char **apps;
};

static void args_done(struct appcache_args *a)
{
        free(a->os);
        vz_strv_free(a->apps);
}

static void add_apps(char ***apps, const char *word)
{
        _cleanup_strv_ char **w = vz_strv_split(word, ",");
        for (char **x = w; *x; x++)
                vz_strv_push(apps, *x);
}

/* What the command line and the sample say: an exit code when it is not
 * enough (reported), -1 to go on. */
static int get_args(struct vz_ctx *ctx, int argc, char **argv, const struct vz_opts *o, struct appcache_args *a)
{
        bool named = optind < argc;
        struct vz_error err = { 0 };
        int r;
        memset(a, 0, sizeof(*a));
        if (o->sample || (!named && !o->app_os && !o->app_list)) {
                r = vz_appcache_sample(ctx, o->sample, &a->os, &a->apps, &err);
                if (r < 0) {
                        vz_fail(&err, r);
                        return vz_exit_code(r);
                }
        }
        if (named) {
                free(a->os);
                vz_strv_free(a->apps);
                a->os = vz_xstrdup(argv[optind][0] == '.' ? argv[optind] + 1 : argv[optind]);
                a->apps = vz_xmalloc(sizeof(char *));
                for (int i = optind + 1; i < argc; i++)
                        add_apps(&a->apps, argv[i]);
        }
        if (o->app_os) {
                free(a->os);
                a->os = vz_xstrdup(o->app_os);
        }
        if (o->app_list) {
                vz_strv_free(a->apps);
                a->apps = vz_xmalloc(sizeof(char *));
                add_apps(&a->apps, o->app_list);
        }
        if (!a->os || !*a->os) {
                fprintf(stderr, "vzpkg: appcache: no OS template: name it (OST APP...) or give --ostemplate\n");
                return VZ_EXIT_USAGE;
        }
        if (!a->apps || !a->apps[0]) {
                fprintf(stderr, "vzpkg: appcache: no application template for %s: name at least one "
                                "(OST APP...) or give --apptemplate\n", a->os);
                return VZ_EXIT_USAGE;
        }
        return -1;
}

enum action { CREATE, UPDATE, REMOVE };

static int run(struct vz_ctx *ctx, int argc, char **argv, enum action act, const char *help)
{
        unsigned accept = VZ_OPT_APPCACHE | VZ_OPT_TIMEOUT | (act == REMOVE ? 0 : VZ_OPT_FORCE);
        struct appcache_args a;
        struct vz_error err = { 0 };
        struct vz_opts o;
        int rc = vz_cmd_options(ctx, argc, argv, accept, &o, help), r;
        if (rc >= 0)
                return rc;
        ctx->lock_timeout = o.timeout;
        rc = get_args(ctx, argc, argv, &o, &a);
        if (rc >= 0) {
                args_done(&a);
                return rc;
        }
        if (act == CREATE)
                r = vz_appcache_create(ctx, a.os, a.apps, o.force, &err);
        else if (act == UPDATE)
                r = vz_appcache_update(ctx, a.os, a.apps, o.force, &err);
        else
                r = vz_appcache_remove(ctx, a.os, a.apps, &err);
        args_done(&a);
        if (r < 0) {
                vz_fail(&err, r);
                return vz_exit_code(r);
        }
        return vz_interrupted() ? VZ_EXIT_INTERRUPTED : 0;
}

int vz_cmd_create_appcache(struct vz_ctx *ctx, int argc, char **argv)
{
        return run(ctx, argc, argv, CREATE, create_help);
}

int vz_cmd_update_appcache(struct vz_ctx *ctx, int argc, char **argv)
{
        return run(ctx, argc, argv, UPDATE, update_help);
}

int vz_cmd_remove_appcache(struct vz_ctx *ctx, int argc, char **argv)
{
        return run(ctx, argc, argv, REMOVE, remove_help);
}

static const char list_help[] =
        "Usage: vzpkg list appcache [-q] [--json]\n\n"
        "List the caches of OS templates with application templates pre-installed\n"
        "(appcaches), as vztt does: the OS template and when the cache was made,\n"
        "then its application templates, one a line, then an empty line.\n\n"
        "  -q, --quiet   the OS template without the time\n"
        "      --json    JSON array on stdout: appcache, template, apps, cache, size, mtime\n"
        "  -h, --help    this help\n";

static json_t *entry_json(const struct vz_appcache_entry *e, const char *when)
{
        json_t *apps = json_array();
        for (char **a = e->apps; *a; a++)
                json_array_append_new(apps, vz_json_string(*a));
        return json_pack("{s:o, s:o, s:o, s:o, s:I, s:s}", "appcache", vz_json_string(e->name), "template",
                         vz_json_string(e->os), "apps", apps, "cache", vz_json_string(e->cache), "size",
                         (json_int_t)e->size, "mtime", when);
}

/* `list appcache`: vztt's layout -- the OS template padded to 34 columns
 * and the archive's time, then the list file's lines, then an empty line
 * (-q: the name alone); --json for ours. */
int vz_cmd_list_appcache(struct vz_ctx *ctx, int argc, char **argv)
{
        struct vz_opts o;
        struct vz_appcache_entry *e = NULL;
        json_t *arr;
        size_t n;
        int rc = vz_cmd_options(ctx, argc, argv, 0, &o, list_help);
        if (rc >= 0)
                return rc;
        n = vz_appcache_scan(ctx, &e);
        arr = json_array();
        for (size_t i = 0; i < n; i++) {
                char when[32] = "";
                vz_timestamp_format(e[i].mtime, when, sizeof(when));
                if (ctx->json) {
                        json_array_append_new(arr, entry_json(&e[i], when));
                        continue;
                }
                if (ctx->verbosity < 0)
                        printf("%s\n", e[i].os);
                else
                        printf("%-34s %s\n", e[i].os, when);
                for (char **a = e[i].apps; *a; a++)
                        printf("     %s\n", *a);
                printf("\n");
        }
        if (ctx->json)
                vz_json_print(arr, JSON_INDENT(2));
        else
                json_decref(arr);
        vz_appcache_entries_free(e, n);
        return 0;
}
