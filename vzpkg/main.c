/* main.c: global options and the command table. The only file that exits. */
#include "context.h"
#include "commands.h"

#include <getopt.h>

#define ANY VZ_ARGS_ANY
#define IN_CT "it works in a container"
#define IN_CTS "it works inside the containers"
#define TMPL_AREA "it writes the template area"

/* name, run, summary, positional arguments min..max, VZ_CMD_* flags, why
 * root, the line for a wrong argument count (default: the command's help) */
static const struct vz_command commands[] = {
        { "create cache", vz_cmd_create_cache, "build OS template caches", 0, ANY, VZ_CMD_ROOT,
          "it builds the template in a container", NULL },
        { "remove cache", vz_cmd_remove_cache, "remove OS template caches", 0, ANY, 0, NULL, NULL },
        { "update cache", vz_cmd_update_cache, "bring OS template caches up to date", 0, ANY, VZ_CMD_ROOT, IN_CT, NULL },
        { "update metadata", vz_cmd_update_metadata, "refresh repository metadata", 0, ANY, VZ_CMD_NETWORK, NULL, NULL },
        /* before "update" and "list": two-word names must match first */
        { "create appcache", vz_cmd_create_appcache, "build a cache of an OS template with application templates", 0,
          ANY, VZ_CMD_ROOT, IN_CT, NULL },
        { "update appcache", vz_cmd_update_appcache, "rebuild an appcache that is not up to date", 0, ANY,
          VZ_CMD_ROOT, IN_CT, NULL },
        { "remove appcache", vz_cmd_remove_appcache, "remove an appcache", 0, ANY, 0, NULL, NULL },
        { "list appcache", vz_cmd_list_appcache, "list the appcaches", 0, 0, 0, NULL,
          "list appcache takes no arguments" },
        { "status", vz_cmd_status, "tell whether caches or containers are up to date (exit 22 if not)", 0, ANY, 0,
          NULL, NULL },
        { "fetch", vz_cmd_fetch, "download a template's packages into the package cache", 1, ANY, 0, NULL,
          "name at least one OS template; 'vzpkg list' shows them" },
        { "clean", vz_cmd_clean, "remove unreferenced and least recently used package files", 0, 0, 0, NULL,
          "clean takes no template names: the package cache is shared by all" },
        { "create ct", vz_cmd_create_ct, "create a container from an OS template cache", 1, ANY, 0, NULL, NULL },
        { "destroy ct", vz_cmd_destroy_ct, "remove a container's private area and config", 1, ANY, 0, NULL, NULL },
        { "exec", vz_cmd_exec, "run a command inside a container", 2, ANY, 0, NULL, NULL },
        { "install template", vz_cmd_install_template, "install templates from vztt template packages (.rpm)", 1,
          ANY, VZ_CMD_ROOT, TMPL_AREA, NULL },
        { "remove template", vz_cmd_remove_template, "remove templates installed from template packages", 1, ANY,
          VZ_CMD_ROOT, TMPL_AREA, NULL },
        { "install", vz_cmd_install, "install application templates or packages into containers", 1, ANY,
          VZ_CMD_ROOT, IN_CTS, NULL },
        { "remove", vz_cmd_remove, "remove application templates or packages from containers", 1, ANY, VZ_CMD_ROOT,
          IN_CTS, NULL },
        { "update", vz_cmd_update_ct, "update the packages of containers in place", 0, ANY, VZ_CMD_ROOT, IN_CTS, NULL },
        { "localinstall", vz_cmd_localinstall, "install package files from the host into a container", 2, ANY,
          VZ_CMD_ROOT, "it works inside the container", NULL },
        { "localupdate", vz_cmd_localupdate, "update a container's packages from package files on the host", 2, ANY,
          VZ_CMD_ROOT, "it works inside the container", NULL },
        { "upgrade", vz_cmd_upgrade, "move containers to their OS template's next release", 1, ANY, VZ_CMD_ROOT,
          IN_CTS, "upgrade: name at least one container" },
        { "list", vz_cmd_list, "list templates and caches", 0, ANY, VZ_CMD_READ_ONLY, NULL, NULL },
        { "info", vz_cmd_info, "show a template's metadata", 1, ANY, VZ_CMD_READ_ONLY, NULL, NULL },
        { "resolve", vz_cmd_resolve, "print the package set a build would install", 1, ANY, 0, NULL, NULL },
};

static void usage(FILE *f)
{
        fprintf(f, "Usage: vzpkg [-q|-v|-d N] [-C|-r] [--json] [-c FILE] COMMAND [OPTIONS] [ARGS...]\n\n"
                   "Build and maintain OS container templates.\n\nCommands:\n");
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                fprintf(f, "  %-16s %s\n", commands[i].name, commands[i].summary);
        fprintf(f, "  %-16s %s\n", "help [COMMAND]", "this help, or a command's");
        fprintf(f, "\nOptions (before or after the command word, except -c and -V):\n"
                   "  -c, --config FILE  configuration file (default /etc/vzpkg/vzpkg.conf, or $VZPKG_CONFIG)\n"
                   "  -q, --quiet        only errors\n"
                   "  -v, --verbose      show each step and the package managers' output\n"
                   "  -d, --debug N      vztt's debug level: 0 normal, 1 or more as -v\n"
                   "  -C, --cache        never use the network: cached metadata and packages only\n"
                   "  -r, --remote       refresh repository metadata whatever METADATA_EXPIRE says\n"
                   "      --json         machine-readable output on stdout\n"
                   "      --skiplock     accepted for vztt's scripts and ignored: vzpkg always locks\n"
                   "  -h, --help         this help; 'vzpkg help COMMAND' for a command's\n"
                   "  -V, --version      print the version\n\n"
                   "Exit status (vztt's numbers where vztt has one): 0 ok, 1 system error,\n"
                   "8 template script, 10 not root, 16 no such container, 21 locked,\n"
                   "22 not up to date (status), 23 not cached, 24 template not found,\n"
                   "25 bad template, 28 no such app (appcache), 30 no sample config (appcache),\n"
                   "35 bad command line, 43 ploop private area, 52 download,\n"
                   "70 package not found, dependency problem or install failed; vzpkg's own:\n"
                   "80 configuration, 81 verification, 82 cache write, 83 runtime, 130 interrupted.\n"
                   "See vzpkg(8).\n");
}

/* "create cache" takes two words; match the longest command name. */
static const struct vz_command *find_command(int argc, char **argv, int *ret_words)
{
        for (size_t i = 0; i < ELEMENTSOF(commands); i++) {
                const char *name = commands[i].name, *sp = strchr(name, ' ');
                if (sp) {
                        if (argc >= 2 && strncmp(argv[0], name, (size_t)(sp - name)) == 0 &&
                            strlen(argv[0]) == (size_t)(sp - name) && strcmp(argv[1], sp + 1) == 0) {
                                *ret_words = 2;
                                return &commands[i];
                        }
                } else if (argc >= 1 && strcmp(argv[0], name) == 0) {
                        *ret_words = 1;
                        return &commands[i];
                }
        }
        return NULL;
}

/* list and info only read (VZ_CMD_READ_ONLY), and --help nothing: they
 * create and check no directories (so they also work for a user who is
 * not root). */
static bool writes_dirs(const struct vz_command *cmd, int argc, char **argv)
{
        if (cmd->flags & VZ_CMD_READ_ONLY)
                return false;
        for (int i = 0; i < argc; i++)
                if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
                        return false;
        return true;
}

static int parse_global(struct vz_ctx *ctx, int argc, char **argv, const char **ret_config)
{
        static const struct option opts[] = {
                { "config", required_argument, NULL, 'c' }, { "quiet", no_argument, NULL, 'q' },
                { "verbose", no_argument, NULL, 'v' },      { "json", no_argument, NULL, 'J' },
                { "help", no_argument, NULL, 'h' },         { "version", no_argument, NULL, 'V' },
                { "cache-only", no_argument, NULL, 'C' },   { "cache", no_argument, NULL, 'C' },
                { "remote", no_argument, NULL, 'r' },       { "debug", required_argument, NULL, 'd' },
                { "skiplock", no_argument, NULL, 'S' },     {},
        };
        int c, r;
        /* '+': stop at the command word; what follows it is the command's
         * (options.c accepts these same options there too). */
        while ((c = getopt_long(argc, argv, "+c:qvhVCrd:", opts, NULL)) != -1) {
                switch (c) {
                case 'c':
                        *ret_config = optarg;
                        break;
                case 'J':
                        ctx->json = true;
                        break;
                case 'S':  /* --skiplock: ignored, vzpkg always locks (vzpkg.8) */
                        break;
                case 'h':
                        usage(stdout);
                        exit(0);
                case 'V':
                        printf("vzpkg %s\n", VZPKG_VERSION);
                        exit(0);
                default:
                        r = c == '?' ? 0 : vz_opt_global(ctx, c, optarg);
                        if (r <= 0) {
                                if (r == 0)
                                        usage(stderr);
                                exit(VZ_EXIT_USAGE);
                        }
                }
        }
        return optind;
}

/* vzpkg help [COMMAND]: vztt's help command; a command's own --help. */
static int help_command(struct vz_ctx *ctx, int argc, char **argv)
{
        const struct vz_command *cmd;
        int words = 0;
        char *hargv[] = { NULL, (char *)"--help", NULL };
        if (argc <= 1) {
                usage(stdout);
                return 0;
        }
        cmd = find_command(argc - 1, argv + 1, &words);
        if (!cmd) {
                fprintf(stderr, "vzpkg: help: unknown command '%s'; see 'vzpkg help'\n", argv[1]);
                return VZ_EXIT_USAGE;
        }
        hargv[0] = argv[words];
        return vz_cmd_dispatch(ctx, cmd, 2, hargv);
}

int main(int argc, char **argv)
{
        struct vz_ctx ctx = { .tty = isatty(STDERR_FILENO) };
        struct vz_error err = { 0 };
        const char *config = NULL;
        const struct vz_command *cmd;
        int words = 0, first, r;

        first = parse_global(&ctx, argc, argv, &config);
        if (first < argc && strcmp(argv[first], "help") == 0)
                return help_command(&ctx, argc - first, argv + first);
        cmd = find_command(argc - first, argv + first, &words);
        if (!cmd) {
                if (first < argc)
                        fprintf(stderr, "vzpkg: unknown command '%s'; see 'vzpkg --help'\n", argv[first]);
                else
                        usage(stderr);
                return VZ_EXIT_USAGE;
        }
        vz_log_init(&ctx);
        r = vz_config_load(config, &ctx.cfg, &err);
        if (r >= 0 && writes_dirs(cmd, argc - first, argv + first))
                r = vz_config_secure_dirs(&ctx.cfg, &err);
        if (r < 0) {
                vz_fail(&err, r);
                vz_config_done(&ctx.cfg);
                return vz_exit_code(r);
        }
        if (ctx.remote)
                ctx.cfg.metadata_expire = 0;
        vz_signals_install();
        /* The command sees its own words as argv[0], getopt style. */
        first += words - 1;
        r = vz_cmd_dispatch(&ctx, cmd, argc - first, argv + first);
        vz_config_done(&ctx.cfg);
        return r;
}
