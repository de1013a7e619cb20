/* cmd-list.c: vzpkg list [OPTIONS] [OST...|CTID...], in vztt's layout:
 * one line per template, the OS template's name (with an app's OS template
 * first), then when (a cache's file time, or in a container
 * templates/<tmpl>/timestamp) as "YYYY-MM-DD HH:MM:SS"; --json for ours. */
#include "context.h"
#include "containers.h"
#include "commands.h"

#include <ctype.h>
#include <jansson.h>
#include <sys/stat.h>

static const char help[] =
        "Usage: vzpkg list [-c] [-S] [-O|-A] [-i] [-q] [--json] [OST...]\n"
        "       vzpkg list [-p] [-S] [-i] [-q] [--available] [--json] CTID...\n\n"
        "List the OS templates in $TEMPLATE (or those named) with their application\n"
        "templates, and when each OS template's cache was made; with container IDs,\n"
        "the templates installed in each and when (templates/<tmpl>/timestamp), as\n"
        "vztt lists them: an OS template's name, or an app's OS template and name,\n"
        "then the time.\n\n"
        "  -c, --cached      only OS templates that have a cache\n"
        "  -O, --os          OS templates only;  -A, --app  application templates only\n"
        "  -S, --with-summary the summary instead of the time\n"
        "  -i, --pkgid       names with vztt's leading '.'\n"
        "  -p, --packages    a container's packages (templates/vzpackages): name.arch version\n"
        "      --available   a container's application templates not installed yet\n"
        "  -q, --quiet       names only, no time\n"
        "      --json        JSON array on stdout (vzpkg's own fields; for a container\n"
        "                    also its kind, LXC or vzctl, and whether it runs)\n"
        "  -h, --help        this help\n";

#define VZPACKAGES_MAX (64 << 20)

/* 0 when missing or not a sane timestamp: shown as unknown */
static long long stamp_of(const struct vz_ct *ct, const char *tmpl)
{
        long long t = 0;
        return vz_ct_read_stamp(ct, tmpl, &t) == 0 ? t : 0;
}

/* vztt's record: NAME padded to column 34 (an app: its OS template padded
 * to 20, then the app), a space, then the time or ":summary". */
static void record(const struct vz_ctx *ctx, const struct vz_opts *o, const char *os, const char *app,
                   long long when, const char *summary)
{
        char name[512], stamp[32] = "";
        const char *dot = o->pkgid ? "." : "";
        if (app)
                snprintf(name, sizeof(name), "%s%-*s %s%s", dot, 20 - (int)strlen(dot), os, dot, app);
        else
                snprintf(name, sizeof(name), "%s%s", dot, os);
        if (o->summary) {
                printf("%-34s :%s\n", name, summary ? summary : "");
                return;
        }
        if (ctx->verbosity >= 0 && when > 0)
                vz_timestamp_format(when, stamp, sizeof(stamp));
        if (stamp[0])
                printf("%-34s %s\n", name, stamp);
        else
                printf("%s\n", name);
}

/* A tenant's word, fit for a terminal: printable ASCII only. */
static bool printable(const char *s)
{
        for (; *s; s++)
                if (!isgraph((unsigned char)*s))
                        return false;
        return true;
}

/* The lines of templates/vzpackages that name a package; with print,
 * each as vztt's "name.arch" padded to 40, then the version. */
static size_t packages(const struct vz_ct *ct, bool print)
{
        _cleanup_free_ char *text = NULL;
        size_t n = 0;
        int fd = vz_ct_meta_fd(ct);
        if (fd < 0 || vz_at_read(fd, "templates/vzpackages", VZPACKAGES_MAX, VZ_AT_NOLINKS, &text, NULL) < 0)
                return 0;
        for (char *line = text; line && *line;) {
                char *nl = strchr(line, '\n');
                if (nl)
                        *nl = '\0';
                line = vz_strip(line);
                if (*line && *line != '#') {
                        _cleanup_strv_ char **w = vz_strv_split(line, " \t");
                        n++;
                        if (print && w[0] && w[1] && w[2] && printable(w[0]) && printable(w[1]) && printable(w[2])) {
                                char na[300];
                                snprintf(na, sizeof(na), "%s.%s", w[0], w[1]);
                                printf("%-40s %s\n", na, w[2]);
                        }
                }
                line = nl ? nl + 1 : NULL;
        }
        return n;
}

/* The OS template's apps the container does not have (--available). */
static void available_apps(struct vz_ctx *ctx, const struct vz_opts *o, const struct vz_ct *ct)
{
        struct vz_vars vars = vz_config_vars(&ctx->cfg);
        _cleanup_template_ struct vz_template *os = NULL;
        _cleanup_strv_ char **apps = NULL;
        if (vz_template_load(ctx->cfg.template_area, ct->ostemplate, &vars, &os, NULL) < 0 ||
            vz_template_list_apps(ctx->cfg.template_area, os, &apps) < 0)
                return;
        for (char **a = apps; *a; a++)
                if (!vz_strv_contains(ct->apps, *a))
                        record(ctx, o, ct->ostemplate, *a, 0, NULL);
}

static int list_container(struct vz_ctx *ctx, const struct vz_opts *o, const char *id, json_t *arr)
{
        struct vz_error err = { 0 };
        _cleanup_ct_ struct vz_ct *ct = NULL;
        pid_t init = 0;
        int r = vz_ct_load(ctx, id, &ct, &err);
        if (r >= 0)
                r = vz_ct_find_init(ct, &init, &err);
        if (r < 0) {
                vz_fail(&err, r);
                return vz_exit_code(r);
        }
        if (ctx->json) {  /* vzpkg's own: also its kind and whether it runs */
                json_t *apps = json_array();
                for (char **a = ct->apps; *a; a++)
                        json_array_append_new(apps, json_pack("{s:o, s:I}", "name", vz_json_string(*a), "installed",
                                                              (json_int_t)stamp_of(ct, *a)));
                json_array_append_new(arr, json_pack("{s:o, s:s, s:o, s:I, s:o, s:I, s:b, s:o, s:o}", "ct",
                                                     vz_json_string(ct->id), "kind",
                                                     ct->kind == VZ_CT_LXC ? "lxc" : "vzctl", "ostemplate",
                                                     vz_json_string(ct->ostemplate), "installed",
                                                     (json_int_t)stamp_of(ct, ct->ostemplate), "apps", apps,
                                                     "packages", (json_int_t)packages(ct, false), "running", init > 0,
                                                     "init_pid", init > 0 ? json_integer(init) : json_null(), "root",
                                                     vz_json_string(ct->private_dir)));
                return 0;
        }
        if (o->packages) {
                packages(ct, true);
                return 0;
        }
        if (o->available) {
                available_apps(ctx, o, ct);
                return 0;
        }
        record(ctx, o, ct->ostemplate, NULL, stamp_of(ct, ct->ostemplate), NULL);
        for (char **a = ct->apps; *a; a++)
                record(ctx, o, ct->ostemplate, *a, stamp_of(ct, *a), NULL);
        return 0;
}

/* One OS template and its apps, as vztt lists a template area. */
static int list_template(struct vz_ctx *ctx, const struct vz_opts *o, const char *name, bool named, json_t *arr)
{
        struct vz_vars vars = vz_config_vars(&ctx->cfg);
        struct vz_error err = { 0 };
        _cleanup_template_ struct vz_template *t = NULL;
        _cleanup_strv_ char **apps = NULL;
        _cleanup_free_ char *cache = NULL;
        struct stat st = { 0 };
        bool has = vz_cache_find(ctx->cfg.cache_dir, name, &cache) == 0 && stat(cache, &st) == 0;
        int r;
        if (o->packages) {
                fprintf(stderr, "vzpkg: list -p %s: a template's repository packages are not listed yet; "
                                "'vzpkg resolve %s' shows what a cache holds\n", name, name);
                return VZ_EXIT_USAGE;
        }
        if (o->cached && !has)
                return 0;
        r = vz_template_load(ctx->cfg.template_area, name, &vars, &t, &err);
        if (r < 0 && named) {
                vz_fail(&err, r);
                return vz_exit_code(r);
        }
        if (ctx->json) {
                char when[32] = "";
                if (has)
                        vz_timestamp_format((long long)st.st_mtime, when, sizeof(when));
                json_array_append_new(arr, json_pack("{s:o, s:o, s:I, s:s?}", "template", vz_json_string(name),
                                                     "cache", vz_json_string(has ? cache : NULL), "size",
                                                     (json_int_t)st.st_size, "mtime", has ? when : NULL));
                return 0;
        }
        if (!o->app_only)
                record(ctx, o, name, NULL, has ? (long long)st.st_mtime : 0, t ? vz_template_field(t, "summary") : NULL);
        if (o->os_only || !t || vz_template_list_apps(ctx->cfg.template_area, t, &apps) < 0)
                return 0;
        for (char **a = apps; *a; a++) {
                _cleanup_template_ struct vz_template *app = NULL;
                const char *summary = NULL;
                if (o->summary && vz_template_load_app(ctx->cfg.template_area, t, *a, &vars, &app, NULL) == 0)
                        summary = vz_template_field(app, "summary");
                record(ctx, o, name, *a, 0, summary);
        }
        return 0;
}

int vz_cmd_list(struct vz_ctx *ctx, int argc, char **argv)
{
        _cleanup_strv_ char **names = NULL;
        struct vz_opts o;
        json_t *arr;
        int rc = vz_cmd_options(ctx, argc, argv, VZ_OPT_CACHED | VZ_OPT_LIST | VZ_OPT_PACKAGES, &o, help);
        if (rc >= 0)
                return rc;
        if (o.custom) {
                fprintf(stderr, "vzpkg: list -u (packages not in the repositories) is not supported yet\n");
                return VZ_EXIT_USAGE;
        }
        rc = 0;
        arr = json_array();
        if (optind < argc) {
                for (int i = optind; i < argc; i++) {
                        /* as vztt: a container ID, else an OS template */
                        int r = vz_is_container(ctx, argv[i]) ? list_container(ctx, &o, argv[i], arr)
                                                              : list_template(ctx, &o, argv[i][0] == '.' ? argv[i] + 1 : argv[i], true, arr);
                        rc = rc ? rc : r;
                }
        } else {
                vz_template_list(ctx->cfg.template_area, &names, NULL);
                for (char **n = names; *n; n++)
                        list_template(ctx, &o, *n, false, arr);
        }
        if (ctx->json)
                vz_json_print(arr, JSON_INDENT(2));
        else
                json_decref(arr);
        return rc;
}
