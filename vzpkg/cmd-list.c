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
                   "and when (templates/<tmpl>/timestamp), and its package count.\n\n"
                   "  -c, --cached  only templates that have a cache\n"
                   "      --json    JSON array on stdout\n"
                   "  -h, --help    this help\n");
}

static long long stamp_of(const struct vz_ct *ct, const char *tmpl)
{
        _cleanup_free_ char *p = vz_asprintf("%s/templates/%s/timestamp", ct->private_dir, tmpl);
        _cleanup_free_ char *text = NULL;
        return vz_read_file(p, &text, NULL) == 0 ? strtoll(text, NULL, 10) : 0;
}

static void when(long long t, char *buf, size_t size)
{
        time_t tt = (time_t)t;
        if (t <= 0 || !strftime(buf, size, "%Y-%m-%d %H:%M", localtime(&tt)))
                snprintf(buf, size, "-");
}

static int list_container(struct vz_ctx *ctx, const char *id, json_t *arr)
{
        struct vz_error err = { 0 };
        _cleanup_ct_ struct vz_ct *ct = NULL;
        _cleanup_strv_ char **pkgs = NULL;
        _cleanup_free_ char *vzp = NULL;
        char buf[32];
        int r = vz_ct_load(ctx, id, &ct, &err);
        if (r < 0) {
                vz_fail(&err, r);
                return vz_exit_code(r);
        }
        vzp = vz_asprintf("%s/templates/vzpackages", ct->private_dir);
        if (vz_read_lines(vzp, &pkgs) < 0)
                pkgs = vz_xmalloc(sizeof(char *));
        if (ctx->json) {
                json_t *apps = json_array();
                for (char **a = ct->apps; *a; a++)
                        json_array_append_new(apps, json_pack("{s:s, s:I}", "name", *a, "installed",
                                                              (json_int_t)stamp_of(ct, *a)));
                json_array_append_new(arr, json_pack("{s:s, s:s, s:I, s:o, s:I}", "ct", ct->id, "ostemplate",
                                                     ct->ostemplate, "installed",
                                                     (json_int_t)stamp_of(ct, ct->ostemplate), "apps", apps,
                                                     "packages", (json_int_t)vz_strv_len(pkgs)));
                return 0;
        }
        when(stamp_of(ct, ct->ostemplate), buf, sizeof(buf));
        printf("%s: %zu packages\n  %-38s %s (OS template)\n", ct->id, vz_strv_len(pkgs), ct->ostemplate, buf);
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
