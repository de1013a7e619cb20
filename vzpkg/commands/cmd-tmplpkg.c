/* cmd-tmplpkg.c: vzpkg install template FILE... and remove template
 * NAME... (vztt's commands for its template packages; tmplpkg.c). */
#include "context.h"
#include "imports.h"
#include "commands.h"

#include <getopt.h>
#include <sys/stat.h>

static const char install_help[] =
        "Usage: vzpkg install template [-f] [--unsigned] [-q|-d N] FILE...\n\n"
        "Install OS and application templates from vztt's template packages (.rpm\n"
        "files whose payload is /vz/template/<os>/<ver>/<arch>/config/...) into the\n"
        "template area (TEMPLATE). A package must be signed by one of the keys in\n"
        "TEMPLATE_KEYS (default /etc/vzpkg/template-keys); every path is checked (no\n"
        "file outside its template, no link out of it) before anything is written,\n"
        "and each template is put in place whole. vzpkg reads files only: vztt's\n"
        "download from Virtuozzo's repository is not supported.\n\n"
        "  -f, --force      replace a template that is already there\n"
        "      --unsigned   also install a package without a trusted signature\n"
        "  -q, --quiet      only errors;  -h, --help  this help\n";

static const char remove_help[] =
        "Usage: vzpkg remove template [-f] [-q|-d N] OST...\n"
        "       vzpkg remove template [-f] -F OST APP...\n\n"
        "Remove templates installed by 'vzpkg install template': exactly the files\n"
        "and directories the package put there (files added since are kept, with\n"
        "their directories). An OS template with application templates installed\n"
        "from packages is kept unless -f.\n\n"
        "  -F, --for-os OST the names are OST's application templates\n"
        "  -f, --force      remove an OS template although apps from packages remain\n"
        "  -q, --quiet      only errors;  -h, --help  this help\n";

int vz_cmd_install_template(struct vz_ctx *ctx, int argc, char **argv)
{
        struct vz_opts o;
        int r = vz_cmd_options(ctx, argc, argv, VZ_OPT_FORCE | VZ_OPT_UNSIGNED, &o, install_help), rc = 0;
        if (r >= 0)
                return r;
        for (int i = optind; i < argc && !vz_interrupted(); i++) {
                struct vz_error err = { 0 };
                struct stat st;
                if (lstat(argv[i], &st) < 0)
                        r = vz_error_set(&err, -VZ_E_NOTEMPLATE, "%s: no such file (vzpkg installs template packages "
                                         "from files; vztt's download by name is not supported)", argv[i]);
                else
                        r = vz_tmplpkg_install(ctx, argv[i], o.force, o.allow_unsigned, &err);
                if (r < 0) {
                        vz_fail(&err, r);
                        rc = rc ? rc : vz_exit_code(r);
                }
        }
        return rc;
}

int vz_cmd_remove_template(struct vz_ctx *ctx, int argc, char **argv)
{
        struct vz_opts o;
        int r = vz_cmd_options(ctx, argc, argv, VZ_OPT_FORCE | VZ_OPT_FOR, &o, remove_help), rc = 0;
        if (r >= 0)
                return r;
        for (int i = optind; i < argc; i++) {
                struct vz_error err = { 0 };
                const char *name = argv[i][0] == '.' ? argv[i] + 1 : argv[i];
                r = vz_tmplpkg_remove(ctx, name, o.for_obj, o.force, &err);
                if (r < 0) {
                        vz_fail(&err, r);
                        rc = rc ? rc : vz_exit_code(r);
                }
        }
        return rc;
}
