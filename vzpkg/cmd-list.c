/* cmd-list.c: vzpkg list [--cached] [--json] */
#include "vzpkg.h"

#include <getopt.h>
#include <jansson.h>
#include <sys/stat.h>
#include <time.h>

static void help(FILE *f)
{
        fprintf(f, "Usage: vzpkg list [--cached] [--json]\n"
                   "       vzpkg list [--json] CTID...\n\n"
                   "List the OS templates in $TEMPLATE, with their cache file when one exists;\n"
                   "with container IDs, the OS and application templates installed in each\n"
                   "and when (templates/<tmpl>/timestamp), its package count, its kind (LXC\n"
                   "or vzctl) and whether it runs (its init's host PID).\n\n"
                   "  -c, --cached  only templates that have a cache\n"
                   "      --json    JSON array on stdout\n"
                   "  -h, --help    this help\n");
}

#define VZPACKAGES_MAX (64 << 20)

/* 0 when missing or not a sane timestamp: shown as unknown */
static long long stamp_of(const struct vz_ct *ct, const char *tmpl)
{
        long long t = 0;
        return vz_ct_read_stamp(ct, tmpl, &t) == 0 ? t : 0;
}

static void when(long long t, char *buf, size_t size)
{
        time_t tt = (time_t)t;
        struct tm tm;
        if (t <= 0 || !localtime_r(&tt, &tm) || !strftime(buf, size, "%Y-%m-%d %H:%M", &tm))
                snprintf(buf, size, "-");
}

/* The lines of templates/vzpackages that name a package. */
static size_t package_count(const struct vz_ct *ct)
{
        _cleanup_free_ char *text = NULL;
        size_t n = 0;
        if (vz_ct_meta_fd(ct) < 0 || vz_at_read(vz_ct_meta_fd(ct), "templates/vzpackages", VZPACKAGES_MAX, VZ_AT_NOLINKS, &text, NULL) < 0)
                return 0;
        for (char *line = text; line && *line;) {
                char *nl = strchr(line, '\n');
                if (nl)
                        *nl = '\0';
                line = vz_strip(line);
                n += *line && *line != '#';
                line = nl ? nl + 1 : NULL;
        }
        return n;
}

static int list_container(struct vz_ctx *ctx, const char *id, json_t *arr)
{
        struct vz_error err = { 0 };
        _cleanup_ct_ struct vz_ct *ct = NULL;
        size_t npkgs;
        char buf[32];
        pid_t init = 0;
        int r = vz_ct_load(ctx, id, &ct, &err);
        if (r >= 0)
                r = vz_ct_find_init(ct, &init, &err);
        if (r < 0) {
                vz_fail(&err, r);
                return vz_exit_code(r);
        }
        npkgs = package_count(ct);
        const char *kind = ct->kind == VZ_CT_LXC ? "lxc" : "vzctl";
        if (ctx->json) {
                json_t *apps = json_array();
                for (char **a = ct->apps; *a; a++)
                        json_array_append_new(apps, json_pack("{s:s, s:I}", "name", *a, "installed",
                                                              (json_int_t)stamp_of(ct, *a)));
                json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:I, s:o, s:I, s:b, s:o, s:s}", "ct", ct->id,
                                                     "kind", kind, "ostemplate", ct->ostemplate, "installed",
                                                     (json_int_t)stamp_of(ct, ct->ostemplate), "apps", apps,
                                                     "packages", (json_int_t)npkgs, "running", init > 0, "init_pid",
                                                     init > 0 ? json_integer(init) : json_null(), "root",
                                                     ct->private_dir));
                return 0;
        }
        when(stamp_of(ct, ct->ostemplate), buf, sizeof(buf));
        printf("%s: %zu packages%s", ct->id, npkgs, ct->kind == VZ_CT_LXC ? ", LXC" : "");
        if (init > 0)
                printf(", running (init %d)", (int)init);
        printf("\n  %-38s %s (OS template)\n", ct->ostemplate, buf);
        for (char **a = ct->apps; *a; a++) {
                when(stamp_of(ct, *a), buf, sizeof(buf));
                printf("  %-38s %s\n", *a, buf);
        }
        return 0;
}

int vz_cmd_list(struct vz_ctx *ctx, int argc, char **argv)
{
        static const struct option opts[] = { { "cached", no_argument, NULL, 'c' }, { "json", no_argument, NULL, 'J' },
                                               { "help", no_argument, NULL, 'h' }, {} };
        _cleanup_strv_ char **names = NULL;
        bool cached_only = false;
        json_t *arr = json_array();
        int c;

        while ((c = getopt_long(argc, argv, "ch", opts, NULL)) != -1) {
                if (c == 'c')
                        cached_only = true;
                else if (c == 'J')
                        ctx->json = true;
                else {
                        json_decref(arr);
                        help(c == 'h' ? stdout : stderr);
                        return c == 'h' ? 0 : VZ_EXIT_USAGE;
                }
        }
        if (optind < argc) {
                int rc = 0;
                for (int i = optind; i < argc; i++) {
                        int r = list_container(ctx, argv[i], arr);
                        rc = rc ? rc : r;
                }
                if (ctx->json) {
                        char *s = json_dumps(arr, JSON_INDENT(2));
                        puts(s);
                        free(s);
                }
                json_decref(arr);
                return rc;
        }
        vz_template_list(ctx->cfg.template_area, &names, NULL);
        for (char **n = names; *n; n++) {
                _cleanup_free_ char *cache = NULL;
                struct stat st = { 0 };
                bool has = vz_cache_find(ctx->cfg.cache_dir, *n, &cache) == 0 && stat(cache, &st) == 0;
                char when[32] = "-";
                if (cached_only && !has)
                        continue;
                if (has)
                        strftime(when, sizeof(when), "%Y-%m-%d %H:%M", localtime(&st.st_mtime));
                if (ctx->json)
                        json_array_append_new(arr, json_pack("{s:s, s:s?, s:I, s:s?}", "template", *n, "cache",
                                                             has ? cache : NULL, "size", (json_int_t)st.st_size,
                                                             "mtime", has ? when : NULL));
                else
                        printf("%-40s %s\n", *n, has ? when : "(no cache)");
        }
        if (ctx->json) {
                char *s = json_dumps(arr, JSON_INDENT(2));
                puts(s);
                free(s);
        }
        json_decref(arr);
        return 0;
}
