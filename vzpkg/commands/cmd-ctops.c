/* cmd-ctops.c: vzpkg install | remove | update | status on containers. */
#include "context.h"
#include "containers.h"
#include "commands.h"

#include <getopt.h>

/* what every container command takes besides the global options */
#define CT_OPTS (VZ_OPT_ALL | VZ_OPT_TIMEOUT | VZ_OPT_DRY_RUN | VZ_OPT_FORCE | VZ_OPT_RESTART)

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

/* vztt's grammar: the first argument is a container; when it names none,
 * that is vztt's "CT does not exist" (16), not a usage error. */
static int no_such_container(struct vz_ctx *ctx, char **rest)
{
        fprintf(stderr, "vzpkg: container %s: neither %s/%s.conf nor an LXC container of that name\n", rest[0],
                ctx->cfg.conf_dir, rest[0]);
        return VZ_EXIT_NO_CT;
}

static int run(struct vz_ctx *ctx, char **ids, struct vz_ct_request *req, const char *help)
{
        if (!ids[0]) {
                fputs(help, stderr);
                fprintf(stderr, "vzpkg: name at least one container (or --all)\n");
                return VZ_EXIT_USAGE;
        }
        for (char **id = ids; *id; id++) {
                struct vz_error err = { 0 };
                _cleanup_ct_ struct vz_ct *ct = NULL;
                int r = vz_ct_load(ctx, *id, &ct, &err);
                if (r >= 0 && (r = vz_ct_check_format(ct, &err)) < 0) {
                        vz_fail(&err, r);
                        return vz_exit_code(r);
                }
        }
        return vz_ct_operate(ctx, ids, req);
}

#define RESTART_HELP                                                                             \
        "      --restart    then restart the services of a running container that\n"                \
        "                   still run replaced files (through its systemd)\n"                        \
        "      --accept-no-rollback  go on with a running container whose installed\n"              \
        "                   version of a package is no longer published\n"

#define COMMON_HELP                                                                              \
        "  -q, --quiet      only errors;  -d, --debug N  vztt's debug level (above 0: -v)\n"          \
        "  -C, --cache      cached metadata and packages only;  -r, --remote  refresh metadata\n"      \
        "  -h, --help       this help\n"

static const char install_help[] =
        "Usage: vzpkg install [-p] [-n] [-f] [-C|-r] [-q|-d N] [--all] [--timeout S] [--restart]\n"
        "                     [--accept-no-rollback] [--json] CTID... APP...\n\n"
        "Install application templates (with -p: plain packages) into each container,\n"
        "in the EZ hook order: pre-install-hn (host), pre-install (container),\n"
        "transaction, post-install-hn, post-install. Containers share solves and\n"
        "downloads; each is rolled back if its transaction fails: a stopped one from\n"
        "a snapshot, a running one (worked on in place, services restarted by its own\n"
        "init) by reinstalling its previous versions.\n\n"
        "  -p, --packages   the names are packages, not application templates\n"
        "  -n, --check-only print the plan, change nothing (also --dry-run, --test)\n"
        "  -f, --force      accepted for vztt's scripts and ignored (vzpkg.8)\n"
        "  -a, --all        every container in CONF_DIR and LXC_PATH\n"
        "      --timeout S  wait at most S seconds for a container's lock (default 0)\n" RESTART_HELP
        "      --json       JSON summary on stdout\n" COMMON_HELP;

/* install and remove: CTID... then application templates, or packages with -p */
static int apps_or_packages(struct vz_ctx *ctx, int argc, char **argv, enum vz_ct_action action,
                            unsigned accept, const char *help)
{
        struct vz_opts o;
        _cleanup_strv_ char **ids = NULL, **rest = NULL;
        int r = vz_cmd_options(ctx, argc, argv, accept, &o, help);
        if (r >= 0)
                return r;
        split_args(ctx, argc, argv, o.all, &ids, &rest);
        if (!rest[0]) {
                fputs(help, stderr);
                return VZ_EXIT_USAGE;
        }
        if (!ids[0] && !o.all)
                return no_such_container(ctx, rest);
        struct vz_ct_request req = { .action = action, .cleandeps = o.clean_deps, .with_depends = o.with_depends,
                                     .dry_run = o.dry_run, .timeout = o.timeout, .restart = o.restart,
                                     .accept_no_rollback = o.accept_no_rollback };
        if (o.packages)
                req.pkgs = rest;
        else
                req.apps = rest;
        return run(ctx, ids, &req, help);
}

int vz_cmd_install(struct vz_ctx *ctx, int argc, char **argv)
{
        return apps_or_packages(ctx, argc, argv, VZ_CT_INSTALL, CT_OPTS | VZ_OPT_PACKAGES, install_help);
}

static const char remove_help[] =
        "Usage: vzpkg remove [-p] [-w] [--clean-deps] [-n] [-f] [-C|-r] [-q|-d N] [--all] [--timeout S]\n"
        "                    [--restart] [--accept-no-rollback] [--json] CTID... APP...\n\n"
        "Remove application templates (with -p: packages) from each container: the\n"
        "app's packages that neither the OS template nor another installed app lists,\n"
        "with the pre-remove and post-remove hooks. A package that another installed\n"
        "package needs is refused unless -w is given. (vzpkg remove cache OST removes\n"
        "template caches.)\n\n"
        "  -p, --packages     the names are packages, not application templates\n"
        "  -w, --with-depends also remove the packages that depend on them (vztt's -w)\n"
        "      --clean-deps   also remove packages nothing else needs any more\n"
        "  -n, --check-only   print the plan, change nothing (also --dry-run, --test)\n"
        "  -f, --force        accepted for vztt's scripts and ignored (vzpkg.8)\n"
        "  -a, --all          every container in CONF_DIR and LXC_PATH\n"
        "      --timeout S    wait at most S seconds for a container's lock\n" RESTART_HELP
        "      --json         JSON summary on stdout\n" COMMON_HELP;

int vz_cmd_remove(struct vz_ctx *ctx, int argc, char **argv)
{
        return apps_or_packages(ctx, argc, argv, VZ_CT_REMOVE, CT_OPTS | VZ_OPT_PACKAGES | VZ_OPT_DEPENDS, remove_help);
}

static const char update_help[] =
        "Usage: vzpkg update [-n] [-f] [-C|-r] [-q|-d N] [--all] [--timeout S] [--restart]\n"
        "                    [--accept-no-rollback] [--json] CTID... [PKG...]\n\n"
        "Update the packages of each container (all, or the PKGs named) from the\n"
        "repositories of its OS template: its own package database is what is\n"
        "installed; the transaction runs inside it with the pre-update and\n"
        "post-update hooks and is rolled back if it fails: a stopped container from a\n"
        "snapshot, a running one (worked on in place, its services restarted by its\n"
        "own init) by reinstalling its previous versions. In a running container, the\n"
        "processes that still map replaced files are reported by service; with\n"
        "--restart those services are restarted (also when nothing is to update).\n\n"
        "  -n, --check-only print the plan, change nothing (also --dry-run, --test)\n"
        "  -f, --force      accepted for vztt's scripts and ignored (vzpkg.8)\n"
        "  -p, --packages   the names are packages (the default here: accepted for vztt)\n"
        "  -a, --all        every container in CONF_DIR and LXC_PATH\n"
        "      --timeout S  wait at most S seconds for a container's lock\n" RESTART_HELP
        "      --json       JSON summary on stdout\n" COMMON_HELP;

int vz_cmd_update_ct(struct vz_ctx *ctx, int argc, char **argv)
{
        struct vz_opts o;
        _cleanup_strv_ char **ids = NULL, **rest = NULL;
        int r = vz_cmd_options(ctx, argc, argv, CT_OPTS | VZ_OPT_PACKAGES, &o, update_help);
        if (r >= 0)
                return r;
        split_args(ctx, argc, argv, o.all, &ids, &rest);
        if (!ids[0] && !o.all && rest[0])
                return no_such_container(ctx, rest);
        struct vz_ct_request req = { .action = VZ_CT_UPDATE, .pkgs = rest, .dry_run = o.dry_run, .timeout = o.timeout,
                                     .restart = o.restart, .accept_no_rollback = o.accept_no_rollback };
        return run(ctx, ids, &req, update_help);
}

/* status CTID...|--all, after cmd-status.c parsed the options: the
 * containers' pending updates; exit 22 when any has some, else 84 when a
 * running one still runs replaced files ("restart needed"). */
int vz_status_cts(struct vz_ctx *ctx, int argc, char **argv, const struct vz_opts *o)
{
        _cleanup_strv_ char **ids = NULL, **rest = NULL;
        split_args(ctx, argc, argv, o->all, &ids, &rest);
        if (rest[0]) {
                fprintf(stderr, "vzpkg: status: %s is not a container (name containers, or OS templates, not both)\n",
                        rest[0]);
                return VZ_EXIT_USAGE;
        }
        struct vz_ct_request req = { .action = VZ_CT_STATUS, .dry_run = true, .timeout = o->timeout };
        return run(ctx, ids, &req, "Usage: vzpkg status [OPTIONS] CTID...|--all\n");
}

bool vz_is_container(struct vz_ctx *ctx, const char *id)
{
        return is_container(ctx, id);
}
