/* cmd-list.c: vzpkg list [--cached] [--json] */
#include "vzpkg.h"

#include <getopt.h>
#include <jansson.h>
#include <sys/stat.h>
#include <time.h>

static void help(FILE *f)
{
        fprintf(f, "Usage: vzpkg list [--cached] [--json]\n\n"
                   "List the OS templates in $TEMPLATE, with their cache file when one exists.\n\n"
                   "  -c, --cached  only templates that have a cache\n"
                   "      --json    JSON array on stdout\n"
                   "  -h, --help    this help\n");
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
