/* cmd-upgrade.c: vzpkg upgrade [-n] [-f] CTID... (containers/upgrade.c does the work). */
#include "context.h"
#include "containers.h"
#include "commands.h"

#include <getopt.h>

static const char help[] =
        "Usage: vzpkg upgrade [-n] [-f] [--timeout S] [--json] [-C|-r] [-q|-d N] CTID...\n\n"
        "Move each stopped container in place to its OS template's next release: the\n"
        "OS template whose upgradable_versions names the container's version (or the\n"
        "version after it). Every installed package is brought to the new release's\n"
        "version (apt full-upgrade), the new template's packages are installed, hooks\n"
        "pre-upgrade-hn, pre-upgrade, post-upgrade-hn, post-upgrade run, a changed\n"
        "configuration file is kept (the new one beside it as .dpkg-dist), and the\n"
        "config's OSTEMPLATE names the new template. A failure restores the container\n"
        "from a snapshot. A running container is refused (stop it first).\n\n"
        "  -n, --check-only print the plan, change nothing (running containers too)\n"
        "  -f, --force      upgrade without the application templates the new\n"
        "                   release lacks (they are dropped from TEMPLATES)\n"
        "      --timeout S  wait at most S seconds for a container another vzpkg holds\n"
        "      --json       the plan and result as JSON\n"
        "  -q, --quiet      only errors;  -d, --debug N  vztt's debug level (above 0: -v)\n"
        "  -C, --cache      cached metadata and packages only;  -r, --remote  refresh metadata\n"
        "  -h, --help       this help\n";

int vz_cmd_upgrade(struct vz_ctx *ctx, int argc, char **argv)
{
        struct vz_opts o;
        int rc = vz_cmd_options(ctx, argc, argv, VZ_OPT_DRY_RUN | VZ_OPT_FORCE | VZ_OPT_TIMEOUT, &o, help);
        if (rc >= 0)
                return rc;
        _cleanup_strv_ char **ids = vz_xmalloc(sizeof(char *));
        for (int i = optind; i < argc; i++) {
                const char *name;
                if (!vz_ct_exists(ctx, argv[i])) {
                        fprintf(stderr, "vzpkg: container %s: neither %s/%s.conf nor an LXC container of that name\n",
                                argv[i], ctx->cfg.conf_dir, argv[i]);
                        return VZ_EXIT_NO_CT;
                }
                /* the container as locked and loaded: a bare name only LXC has is lxc:NAME */
                if (vz_ct_resolve(ctx, argv[i], &name) == VZ_CT_LXC && name == argv[i])
                        vz_strv_push_take(&ids, vz_asprintf("lxc:%s", argv[i]));
                else
                        vz_strv_push(&ids, argv[i]);
        }
        struct vz_upgrade_request req = { .dry_run = o.dry_run, .force = o.force, .timeout = o.timeout };
        return vz_ct_upgrade(ctx, ids, &req);
}
