/* cmd-local.c: vzpkg localinstall | localupdate CTID FILE... (vztt's
 * commands): package files from the host into one container, through the
 * pipeline of install -p (containers/operate.c, local.c). */
#include "context.h"
#include "containers.h"
#include "imports.h"
#include "commands.h"

#include <getopt.h>

#define LOCAL_OPTS (VZ_OPT_DRY_RUN | VZ_OPT_TIMEOUT | VZ_OPT_RESTART | VZ_OPT_UNSIGNED)

#define LOCAL_HELP_TAIL                                                                                   \
        "Each file is copied into the package cache and checked there first: at most\n"                  \
        "1 GiB, a regular file (not a link). An .rpm must be signed by one of the OS\n"                     \
        "template's keys (gpgkeys/); a .deb, which carries no signature of its own, must\n"                 \
        "be published with that SHA-256 by a signed repository of the template. Any\n"                     \
        "other file only with --unsigned. Dependencies come from the template's\n"                          \
        "repositories; the transaction is rolled back if it fails.\n\n"                                     \
        "  -n, --check-only print the plan, change nothing (also --dry-run, --test)\n"                      \
        "      --unsigned   also install files without a trusted signature (see above)\n"                   \
        "      --timeout S  wait at most S seconds for the container's lock\n"                              \
        "      --restart    then restart the services of a running container that still\n"                 \
        "                   run replaced files\n"                                                          \
        "      --accept-no-rollback  go on with a running container whose installed\n"                      \
        "                   version of a package is no longer published\n"                                 \
        "      --json       JSON summary on stdout\n"                                                       \
        "  -q, --quiet      only errors;  -d, --debug N  vztt's debug level (above 0: -v)\n"               \
        "  -C, --cache      cached metadata and packages only;  -r, --remote  refresh metadata\n"           \
        "  -h, --help       this help\n"

static const char localinstall_help[] =
        "Usage: vzpkg localinstall [-n] [--unsigned] [-C|-r] [-q|-d N] [--timeout S] [--json] CTID FILE...\n\n"
        "Install package files from the host into the container (a file whose package\n"
        "is installed in the same or a newer version is skipped).\n" LOCAL_HELP_TAIL;

static const char localupdate_help[] =
        "Usage: vzpkg localupdate [-n] [--unsigned] [-C|-r] [-q|-d N] [--timeout S] [--json] CTID FILE...\n\n"
        "Update the container's packages from package files on the host: a file is\n"
        "used only when its package is installed in an older version; the others are\n"
        "skipped.\n" LOCAL_HELP_TAIL;

static int local_command(struct vz_ctx *ctx, int argc, char **argv, bool update, const char *help)
{
        struct vz_opts o;
        struct vz_local local = { .update = update };
        struct vz_error err = { 0 };
        _cleanup_ct_ struct vz_ct *ct = NULL;
        int r = vz_cmd_options(ctx, argc, argv, LOCAL_OPTS, &o, help);
        if (r >= 0)
                return r;
        r = vz_ct_load(ctx, argv[optind], &ct, &err);
        if (r >= 0)
                r = vz_ct_check_format(ct, &err);
        if (r < 0) {
                vz_fail(&err, r);
                return vz_exit_code(r);
        }
        local.allow_unsigned = o.allow_unsigned;
        local.n = (size_t)(argc - optind - 1);
        local.files = vz_xmalloc(local.n * sizeof(*local.files));
        for (size_t i = 0; i < local.n; i++)
                local.files[i] = (struct vz_local_file){ .arg = argv[optind + 1 + (int)i] };
        char *ids[] = { argv[optind], NULL };
        struct vz_ct_request req = { .action = VZ_CT_INSTALL, .dry_run = o.dry_run, .timeout = o.timeout,
                                     .restart = o.restart, .accept_no_rollback = o.accept_no_rollback,
                                     .local = &local };
        r = vz_ct_operate(ctx, ids, &req);
        vz_local_done(&local);
        return r;
}

int vz_cmd_localinstall(struct vz_ctx *ctx, int argc, char **argv)
{
        return local_command(ctx, argc, argv, false, localinstall_help);
}

int vz_cmd_localupdate(struct vz_ctx *ctx, int argc, char **argv)
{
        return local_command(ctx, argc, argv, true, localupdate_help);
}
