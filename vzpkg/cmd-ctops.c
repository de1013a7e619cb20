/* cmd-ctops.c: vzpkg install | remove | update | status on containers. */
#include "vzpkg.h"

#include <getopt.h>

/* vzctl's CTID.conf, an LXC container of that name, or lxc:NAME / vzctl:ID */
static bool is_container(struct vz_ctx *ctx, const char *id)
{
        return vz_ct_exists(ctx, id);
}

/* The container as locked and loaded later: a bare name LXC has (and
 * vzctl not) becomes lxc:NAME, so both steps mean the same container. */
static char *canonical(struct vz_ctx *ctx, const char *id)
{
        const char *name;
        return vz_ct_resolve(ctx, id, &name) == VZ_CT_LXC && name == id ? vz_asprintf("lxc:%s", id) : vz_xstrdup(id);
}

/* Leading arguments naming containers are containers; the rest are what
 * to act on. With --all every container is meant and all are the rest. */
static void split_args(struct vz_ctx *ctx, int argc, char **argv, bool all, char ***ids, char ***rest)
{
        int i = optind;
        *rest = vz_xmalloc(sizeof(char *));
        if (all)
                vz_ct_list(ctx, ids);
        else {
                *ids = vz_xmalloc(sizeof(char *));
                for (; i < argc && is_container(ctx, argv[i]); i++)
                        vz_strv_push_take(ids, canonical(ctx, argv[i]));
        }
        for (; i < argc; i++)
                vz_strv_push(rest, argv[i]);
}

struct opts {
        bool all, pkgs, cleandeps, dry_run, restart, accept_no_rollback;
        double timeout;
};

enum { OPT_ACCEPT = 256 };  /* long only */

static int parse(struct vz_ctx *ctx, int argc, char **argv, const char *shortopts, struct opts *o, const char *help)
{
        static const struct option longopts[] = {
                { "all", no_argument, NULL, 'a' },      { "packages", no_argument, NULL, 'p' },
                { "whatneeds", no_argument, NULL, 'w' }, { "dry-run", no_argument, NULL, 'n' },
                { "timeout", required_argument, NULL, 'T' }, { "json", no_argument, NULL, 'J' },
                { "restart", no_argument, NULL, 'R' },  { "help", no_argument, NULL, 'h' },
                { "accept-no-rollback", no_argument, NULL, OPT_ACCEPT }, {},
        };
        int c;
        memset(o, 0, sizeof(*o));
        while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
                /* the long options are shared: refuse those this command lacks */
                if (c != 'J' && c != 'h' && c != '?' && c != 'T' && c != 'R' && c != OPT_ACCEPT && !strchr(shortopts, c)) {
                        fputs(help, stderr);
                        return VZ_EXIT_USAGE;
                }
                switch (c) {
                case 'a': o->all = true; break;
                case 'p': o->pkgs = true; break;
                case 'w': o->cleandeps = true; break;
                case 'n': o->dry_run = true; break;
                case 'T': o->timeout = strtod(optarg, NULL); break;
                case 'J': ctx->json = true; break;
                case 'R': o->restart = true; break;
                case OPT_ACCEPT: o->accept_no_rollback = true; break;
                default:
                        fputs(help, c == 'h' ? stdout : stderr);
                        return c == 'h' ? 0 : VZ_EXIT_USAGE;
                }
        }
        return -1;
}

static int run(struct vz_ctx *ctx, char **ids, struct vz_ct_request *req, const char *help)
{
        if (!ids[0]) {
                fputs(help, stderr);
                fprintf(stderr, "vzpkg: name at least one container (or --all)\n");
                return VZ_EXIT_USAGE;
        }
        if (geteuid() != 0 && req->action != VZ_CT_STATUS) {
                fprintf(stderr, "vzpkg: must be run as root (it works inside the containers)\n");
                return VZ_EXIT_ERROR;
        }
        return vz_ct_operate(ctx, ids, req);
}

static const char install_help[] =
        "Usage: vzpkg install [-p] [--all] [--timeout S] [--restart] [--accept-no-rollback] [--json] CTID... APP...\n\n"
        "Install application templates (with -p: plain packages) into each container,\n"
        "in the EZ hook order: pre-install-hn (host), pre-install (container),\n"
        "transaction, post-install-hn, post-install. Containers share solves and\n"
        "downloads; each is rolled back if its transaction fails: a stopped one from\n"
        "a snapshot, a running one (worked on in place, services restarted by its own\n"
        "init) by reinstalling its previous versions.\n\n"
        "  -p, --packages   the names are packages, not application templates\n"
        "  -a, --all        every container in CONF_DIR and LXC_PATH\n"
        "      --timeout S  wait at most S seconds for a container's lock (default 0)\n"
        "      --restart    then restart the services of a running container that\n"
        "                   still run replaced files (through its systemd)\n"
        "      --accept-no-rollback  go on with a running container whose installed\n"
        "                   version of a package is no longer published\n"
        "      --json       JSON summary on stdout\n"
        "  -h, --help       this help\n";

/* install and remove: CTID... then application templates, or packages with -p */
static int apps_or_packages(struct vz_ctx *ctx, int argc, char **argv, enum vz_ct_action action,
                            const char *shortopts, const char *help)
{
        struct opts o;
        _cleanup_strv_ char **ids = NULL, **rest = NULL;
        int r = parse(ctx, argc, argv, shortopts, &o, help);
        if (r >= 0)
                return r;
        split_args(ctx, argc, argv, o.all, &ids, &rest);
        if (!rest[0]) {
                fputs(help, stderr);
                return VZ_EXIT_USAGE;
        }
        struct vz_ct_request req = { .action = action, .cleandeps = o.cleandeps, .timeout = o.timeout,
                                     .restart = o.restart, .accept_no_rollback = o.accept_no_rollback };
        if (o.pkgs)
                req.pkgs = rest;
        else
                req.apps = rest;
        return run(ctx, ids, &req, help);
}

int vz_cmd_install(struct vz_ctx *ctx, int argc, char **argv)
{
        return apps_or_packages(ctx, argc, argv, VZ_CT_INSTALL, "apTh", install_help);
}

static const char remove_help[] =
        "Usage: vzpkg remove [-p] [-w] [--all] [--timeout S] [--restart] [--accept-no-rollback] [--json] CTID... APP...\n\n"
        "Remove application templates (with -p: packages) from each container: the\n"
        "app's packages that neither the OS template nor another installed app lists,\n"
        "with the pre-remove and post-remove hooks. (vzpkg remove cache OST removes\n"
        "template caches.)\n\n"
        "  -p, --packages   the names are packages, not application templates\n"
        "  -w, --whatneeds  also remove packages nothing else needs any more\n"
        "  -a, --all        every container in CONF_DIR and LXC_PATH\n"
        "      --timeout S  wait at most S seconds for a container's lock\n"
        "      --restart    then restart the services of a running container that\n"
        "                   still run replaced files (through its systemd)\n"
        "      --accept-no-rollback  see install --help\n"
        "      --json       JSON summary on stdout\n"
        "  -h, --help       this help\n";

int vz_cmd_remove(struct vz_ctx *ctx, int argc, char **argv)
{
        return apps_or_packages(ctx, argc, argv, VZ_CT_REMOVE, "apwTh", remove_help);
}

static const char update_help[] =
        "Usage: vzpkg update [-n] [--all] [--timeout S] [--restart] [--accept-no-rollback] [--json] CTID... [PKG...]\n\n"
        "Update the packages of each container (all, or the PKGs named) from the\n"
        "repositories of its OS template: its own package database is what is\n"
        "installed; the transaction runs inside it with the pre-update and\n"
        "post-update hooks and is rolled back if it fails: a stopped container from a\n"
        "snapshot, a running one (worked on in place, its services restarted by its\n"
        "own init) by reinstalling its previous versions. In a running container, the\n"
        "processes that still map replaced files are reported by service; with\n"
        "--restart those services are restarted (also when nothing is to update).\n\n"
        "  -n, --dry-run    print the plan, change nothing\n"
        "  -a, --all        every container in CONF_DIR and LXC_PATH\n"
        "      --timeout S  wait at most S seconds for a container's lock\n"
        "      --restart    then restart the services of a running container that\n"
        "                   still run replaced files (through its systemd)\n"
        "      --accept-no-rollback  go on with a running container whose installed\n"
        "                   version of a package is no longer published\n"
        "      --json       JSON summary on stdout\n"
        "  -h, --help       this help\n";

int vz_cmd_update_ct(struct vz_ctx *ctx, int argc, char **argv)
{
        struct opts o;
        _cleanup_strv_ char **ids = NULL, **rest = NULL;
        int r = parse(ctx, argc, argv, "anTh", &o, update_help);
        if (r >= 0)
                return r;
        split_args(ctx, argc, argv, o.all, &ids, &rest);
        struct vz_ct_request req = { .action = VZ_CT_UPDATE, .pkgs = rest, .dry_run = o.dry_run, .timeout = o.timeout,
                                     .restart = o.restart, .accept_no_rollback = o.accept_no_rollback };
        return run(ctx, ids, &req, update_help);
}

static const char status_help[] =
        "Usage: vzpkg status [--json] [--timeout S] CTID...|--all\n\n"
        "For each container, the updates its repositories offer, and for a running\n"
        "one the processes that still run replaced files (\"restart needed\"). Exit\n"
        "0 when every container is up to date, 22 when one is not, else 23 when a\n"
        "restart is needed. (vzpkg status OST... tells the same of template caches.)\n";

int vz_cmd_status_ct(struct vz_ctx *ctx, int argc, char **argv)
{
        struct opts o;
        _cleanup_strv_ char **ids = NULL, **rest = NULL;
        int r = parse(ctx, argc, argv, "aTh", &o, status_help);
        if (r >= 0)
                return r;
        if (o.restart) {
                /* status changes nothing (and runs without root): update --restart does it */
                fprintf(stderr, "vzpkg: status: --restart belongs to install, remove and update (update --restart CTID)\n");
                return VZ_EXIT_USAGE;
        }
        if (o.accept_no_rollback) {  /* status changes nothing */
                fputs(status_help, stderr);
                return VZ_EXIT_USAGE;
        }
        split_args(ctx, argc, argv, o.all, &ids, &rest);
        if (rest[0]) {
                fprintf(stderr, "vzpkg: status: %s is neither a container nor was --all given\n", rest[0]);
                return VZ_EXIT_USAGE;
        }
        struct vz_ct_request req = { .action = VZ_CT_STATUS, .dry_run = true, .timeout = o.timeout };
        return run(ctx, ids, &req, status_help);
}

/* status: containers when the first argument is one or with --all,
 * otherwise OS template caches. */
bool vz_status_means_containers(struct vz_ctx *ctx, int argc, char **argv)
{
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--all") == 0 || strcmp(argv[i], "-a") == 0)
                        return true;
                if (argv[i][0] != '-')
                        return is_container(ctx, argv[i]);
        }
        return false;
}
