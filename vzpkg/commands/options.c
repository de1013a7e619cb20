/* options.c: the one option parser of the commands, in vztt's grammar:
 * options anywhere after the command word (GNU getopt permutes), the same
 * letter meaning the same thing in every command, and the options every
 * command takes (-q, -v, -d N, -C, -r, --json, --skiplock, -h) accepted
 * after the command word as well as before it. A command names the other
 * options it accepts (VZ_OPT_*); any other is a usage error (exit 35). */
#include "context.h"
#include "commands.h"

#include <ctype.h>
#include <getopt.h>

enum {
        LONG_JSON = 256,
        LONG_SKIPLOCK,
        LONG_TIMEOUT,
        LONG_CLEAN_DEPS,
        LONG_AVAILABLE,
        LONG_RESTART,
        LONG_ACCEPT_NO_ROLLBACK,
        LONG_UNSIGNED,
        LONG_SAMPLE = 300,       /* appcache: vztt's --config, --ostemplate, --apptemplate, --update-cache */
        LONG_APP_OS,
        LONG_APP_LIST,
        LONG_UPDATE_CACHE,
        LONG_NO_STAGE_CACHE = 320,
};

static const struct option longopts[] = {
        { "quiet", no_argument, NULL, 'q' },
        { "verbose", no_argument, NULL, 'v' },
        { "debug", required_argument, NULL, 'd' },
        { "cache", no_argument, NULL, 'C' },
        { "cache-only", no_argument, NULL, 'C' },
        { "remote", no_argument, NULL, 'r' },
        { "json", no_argument, NULL, LONG_JSON },
        { "skiplock", no_argument, NULL, LONG_SKIPLOCK },
        { "help", no_argument, NULL, 'h' },
        { "all", no_argument, NULL, 'a' },
        { "packages", no_argument, NULL, 'p' },
        { "force", no_argument, NULL, 'f' },
        { "check-only", no_argument, NULL, 'n' },
        { "dry-run", no_argument, NULL, 'n' },
        { "test", no_argument, NULL, 'n' },
        { "with-depends", no_argument, NULL, 'w' },
        { "clean-deps", no_argument, NULL, LONG_CLEAN_DEPS },
        { "timeout", required_argument, NULL, LONG_TIMEOUT },
        { "cached", no_argument, NULL, 'c' },
        { "with-summary", no_argument, NULL, 'S' },
        { "custom-pkg", no_argument, NULL, 'u' },
        { "available", no_argument, NULL, LONG_AVAILABLE },
        { "os", no_argument, NULL, 'O' },
        { "app", no_argument, NULL, 'A' },
        { "pkgid", no_argument, NULL, 'i' },
        { "for-os", required_argument, NULL, 'F' },
        { "restart", no_argument, NULL, LONG_RESTART },
        { "accept-no-rollback", no_argument, NULL, LONG_ACCEPT_NO_ROLLBACK },
        { "unsigned", no_argument, NULL, LONG_UNSIGNED },
        { "config", required_argument, NULL, LONG_SAMPLE },
        { "ostemplate", required_argument, NULL, LONG_APP_OS },
        { "apptemplate", required_argument, NULL, LONG_APP_LIST },
        { "update-cache", no_argument, NULL, LONG_UPDATE_CACHE },
        { "no-stage-cache", no_argument, NULL, LONG_NO_STAGE_CACHE },
        {},
};

/* Which VZ_OPT_* bit an option needs; 0: every command takes it. */
static unsigned needs(int c)
{
        switch (c) {
        case 'a': return VZ_OPT_ALL;
        case 'p': return VZ_OPT_PACKAGES;
        case 'f': return VZ_OPT_FORCE;
        case 'n': return VZ_OPT_DRY_RUN;
        case 'w':
        case LONG_CLEAN_DEPS: return VZ_OPT_DEPENDS;
        case LONG_TIMEOUT: return VZ_OPT_TIMEOUT;
        case 'c': return VZ_OPT_CACHED;
        case 'S':
        case 'u':
        case 'O':
        case 'A':
        case 'i':
        case LONG_AVAILABLE: return VZ_OPT_LIST;
        case 'F': return VZ_OPT_FOR;
        case LONG_RESTART:
        case LONG_ACCEPT_NO_ROLLBACK: return VZ_OPT_RESTART;
        case LONG_UNSIGNED: return VZ_OPT_UNSIGNED;
        case LONG_SAMPLE:
        case LONG_APP_OS:
        case LONG_APP_LIST:
        case LONG_UPDATE_CACHE: return VZ_OPT_APPCACHE;
        case LONG_NO_STAGE_CACHE: return VZ_OPT_STAGE;
        default: return 0;
        }
}

/* -d N: vztt's debug level, 0 to 5 in practice; 0 is our normal output,
 * anything above it our -v. Digits only, as vztt checks. */
int vz_opt_debug(const char *v, int *ret_verbosity)
{
        size_t n = v ? strlen(v) : 0;
        if (n == 0 || n > 3)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (!isdigit((unsigned char)v[i]))
                        return -EINVAL;
        *ret_verbosity = strcmp(v, "0") == 0 || strspn(v, "0") == n ? 0 : 1;
        return 0;
}

/* --timeout S: seconds, a fraction allowed, at most a day. */
int vz_opt_timeout(const char *v, double *ret)
{
        char *end = NULL;
        double t;
        if (!v || !*v || !(isdigit((unsigned char)v[0]) || v[0] == '.'))
                return -EINVAL;
        errno = 0;
        t = strtod(v, &end);
        if (errno || *end || t < 0 || t > 86400)
                return -EINVAL;
        *ret = t;
        return 0;
}

/* The options every command takes: 1 when c was one, 0 when it was not,
 * -1 on a bad value (reported). */
int vz_opt_global(struct vz_ctx *ctx, int c, const char *arg)
{
        switch (c) {
        case 'q':
                ctx->verbosity = -1;
                return 1;
        case 'v':
                ctx->verbosity = 1;
                return 1;
        case 'd':
                if (vz_opt_debug(arg, &ctx->verbosity) < 0) {
                        fprintf(stderr, "vzpkg: -d/--debug %s: expected a debug level (a number, 0 to 5)\n", arg);
                        return -1;
                }
                return 1;
        case 'C':
                ctx->cache_only = true;
                ctx->remote = false;
                return 1;
        case 'r':
                ctx->remote = true;
                ctx->cache_only = false;
                return 1;
        case LONG_JSON:
                ctx->json = true;
                return 1;
        case LONG_SKIPLOCK:
                /* accepted for vztt's scripts and ignored: vzpkg always
                 * takes its locks (vzpkg.8, "vztt compatibility") */
                return 1;
        default:
                return 0;
        }
}

static int set_option(struct vz_ctx *ctx, int c, struct vz_opts *o)
{
        switch (c) {
        case 'a': o->all = true; break;
        case 'p': o->packages = true; break;
        case 'f': o->force = true; break;
        case 'n': o->dry_run = true; break;
        case 'w': o->with_depends = true; break;
        case LONG_CLEAN_DEPS: o->clean_deps = true; break;
        case 'c': o->cached = true; break;
        case 'S': o->summary = true; break;
        case 'u': o->custom = true; break;
        case 'O': o->os_only = true; break;
        case 'A': o->app_only = true; break;
        case 'i': o->pkgid = true; break;
        case LONG_AVAILABLE: o->available = true; break;
        case LONG_RESTART: o->restart = true; break;
        case LONG_ACCEPT_NO_ROLLBACK: o->accept_no_rollback = true; break;
        case LONG_UNSIGNED: o->allow_unsigned = true; break;
        case 'F': o->for_obj = optarg[0] == '.' ? optarg + 1 : optarg; break;
        case LONG_SAMPLE: o->sample = optarg; break;
        case LONG_APP_OS: o->app_os = optarg[0] == '.' ? optarg + 1 : optarg; break;
        case LONG_APP_LIST: o->app_list = optarg; break;
        case LONG_UPDATE_CACHE: o->update_cache = true; break;
        case LONG_NO_STAGE_CACHE: o->no_stage_cache = true; break;
        case LONG_TIMEOUT:
                if (vz_opt_timeout(optarg, &o->timeout) < 0) {
                        fprintf(stderr, "vzpkg: --timeout %s: expected seconds (0 to 86400)\n", optarg);
                        return -1;
                }
                break;
        default:
                return vz_opt_global(ctx, c, optarg) > 0 ? 0 : -1;
        }
        return 0;
}

static const char *option_name(int c, char *buf, size_t size)
{
        for (const struct option *l = longopts; l->name; l++)
                if (l->val == c && c >= 256) {
                        snprintf(buf, size, "--%s", l->name);
                        return buf;
                }
        snprintf(buf, size, "-%c", c);
        return buf;
}

int vz_cmd_options(struct vz_ctx *ctx, int argc, char **argv, unsigned accept, struct vz_opts *o, const char *help)
{
        /* every short letter the table knows; the command's set is checked below */
        static const char shortopts[] = "qvd:CrhapfnwcSuOAiF:";
        char name[40];
        int c;

        memset(o, 0, sizeof(*o));
        while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
                if (c == 'h') {
                        fputs(help, stdout);
                        return VZ_EXIT_OK;
                }
                if (c == '?' || c == ':') {
                        fputs(help, stderr);
                        return VZ_EXIT_USAGE;
                }
                if (needs(c) && !(needs(c) & accept)) {
                        fprintf(stderr, "vzpkg: option %s does not apply to this command; see its --help\n",
                                option_name(c, name, sizeof(name)));
                        return VZ_EXIT_USAGE;
                }
                if (set_option(ctx, c, o) < 0)
                        return VZ_EXIT_USAGE;
        }
        if (ctx->remote)
                ctx->cfg.metadata_expire = 0;  /* -r: ask the repositories whatever the age */
        return vz_cmd_check(ctx, argc, argv, help);
}
