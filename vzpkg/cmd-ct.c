/* cmd-ct.c: vzpkg create ct CTID --ostemplate OST; vzpkg destroy ct CTID;
 * vzpkg exec [--net] CTID -- CMD... */
#include "vzpkg.h"

#include <getopt.h>
#include <sys/stat.h>

static int fail(struct vz_error *err, int r)
{
        vz_fail(err, r);
        return vz_exit_code(r);
}

static const char create_help[] =
        "Usage: vzpkg create ct CTID... --ostemplate OST\n\n"
        "Create containers: unpack the OS template's cache (built first when\n"
        "missing) into its private area (VE_PRIVATE, default /vz/private/$VEID) and\n"
        "write $CONF_DIR/CTID.conf with OSTEMPLATE, TEMPLATES, VE_PRIVATE,\n"
        "DISTRIBUTION and OSRELEASE, as vzctl reads them.\n\n"
        "  -t, --ostemplate OST  the OS template\n"
        "  -h, --help            this help\n";

static int ensure_cache(struct vz_ctx *ctx, const struct vz_template *t, char **ret_path, struct vz_error *err)
{
        int r;
        if (vz_cache_find(ctx->cfg.cache_dir, vz_template_name(t), ret_path) == 0)
                return 0;
        vz_info("%s: no cache yet; building it", vz_template_name(t));
        r = vz_build_cache(ctx, t, false, err);
        if (r < 0)
                return r;
        return vz_cache_find(ctx->cfg.cache_dir, vz_template_name(t), ret_path) == 0
                       ? 0
                       : vz_error_set(err, -VZ_E_ARCHIVE, "template %s: no cache after building it", vz_template_name(t));
}

static int create_ct(struct vz_ctx *ctx, const char *id, const char *ost, struct vz_error *err)
{
        struct vz_vars vars = vz_config_vars(&ctx->cfg);
        _cleanup_template_ struct vz_template *t = NULL;
        _cleanup_ct_ struct vz_ct *ct = NULL;
        _cleanup_free_ char *cache = NULL;
        _cleanup_close_ int lock = -1;
        int r = vz_ct_lock(ctx, id, &lock, err);
        if (r >= 0)
                r = vz_template_load(ctx->cfg.template_area, ost, &vars, &t, err);
        if (r >= 0)
                r = vz_ct_new(ctx, id, vz_template_name(t), &ct, err);
        if (r < 0)
                return r;
        if (access(ct->conf_path, F_OK) == 0 || access(ct->private_dir, F_OK) == 0)
                return vz_error_set(err, -EEXIST, "container %s: exists already (%s); destroy it first", id,
                                    access(ct->conf_path, F_OK) == 0 ? ct->conf_path : ct->private_dir);
        r = ensure_cache(ctx, t, &cache, err);
        if (r >= 0 && (r = vz_mkdir_p(ct->private_dir, 0700)) < 0)
                vz_error_set(err, r, "container %s: cannot create %s: %s", id, ct->private_dir, strerror(-r));
        if (r >= 0)
                r = vz_ct_open_private(ctx, ct, err);  /* checked again now that it exists */
        if (r >= 0)
                r = vz_cache_unpack(cache, ct->private_dir, vz_interrupted, err);
        if (r >= 0 && (r = vz_ct_stamp(ct, vz_template_name(t))) < 0)
                vz_error_set(err, r, "container %s: cannot write its template timestamp: %s", id, strerror(-r));
        if (r >= 0)
                r = vz_ct_save(ct, vz_template_field(t, "distribution"), vz_template_field(t, "osrelease"), err);
        if (r < 0) {
                vz_rm_rf(ct->private_dir);  /* no half-made container */
                return r;
        }
        if (ctx->json)
                printf("{\"ct\":\"%s\",\"ostemplate\":\"%s\",\"private\":\"%s\",\"conf\":\"%s\"}\n", id,
                       ct->ostemplate, ct->private_dir, ct->conf_path);
        else if (ctx->verbosity >= 0)
                printf("container %s: created from %s in %s\n", id, ct->ostemplate, ct->private_dir);
        return 0;
}

int vz_cmd_create_ct(struct vz_ctx *ctx, int argc, char **argv)
{
        static const struct option opts[] = { { "ostemplate", required_argument, NULL, 't' },
                                               { "help", no_argument, NULL, 'h' }, {} };
        struct vz_error err = { 0 };
        const char *ost = NULL;
        int c, r;
        while ((c = getopt_long(argc, argv, "t:h", opts, NULL)) != -1) {
                if (c == 't')
                        ost = optarg;
                else {
                        fputs(create_help, c == 'h' ? stdout : stderr);
                        return c == 'h' ? 0 : VZ_EXIT_USAGE;
                }
        }
        if (optind >= argc || !ost) {
                fputs(create_help, stderr);
                return VZ_EXIT_USAGE;
        }
        int rc = 0;
        for (int i = optind; i < argc && !vz_interrupted(); i++) {
                memset(&err, 0, sizeof(err));
                r = create_ct(ctx, argv[i], ost, &err);
                if (r < 0 && !rc)
                        rc = fail(&err, r);
                else if (r < 0)
                        fail(&err, r);
        }
        return rc ? rc : vz_interrupted() ? VZ_EXIT_INTERRUPTED : 0;
}

static const char destroy_help[] =
        "Usage: vzpkg destroy ct CTID...\n\n"
        "Remove each container's private area and its config file.\n\n"
        "  -h, --help    this help\n";

static int destroy_ct(struct vz_ctx *ctx, const char *id, struct vz_error *err)
{
        _cleanup_ct_ struct vz_ct *ct = NULL;
        _cleanup_close_ int lock = -1;
        int r = vz_ct_lock(ctx, id, &lock, err);
        if (r >= 0)
                r = vz_ct_load(ctx, id, &ct, err);
        if (r < 0)
                return r;  /* vz_ct_load refused a private area that is not one */
        r = vz_rm_rf(ct->private_dir);  /* an fd walk: no link followed, no mount crossed */
        if (r < 0)
                return vz_error_set(err, r, "container %s: cannot remove %s: %s (something mounted there?)", id,
                                    ct->private_dir, strerror(-r));
        if (unlink(ct->conf_path) < 0)
                return vz_error_set(err, -errno, "container %s: cannot remove %s: %m", id, ct->conf_path);
        if (ctx->verbosity >= 0 && !ctx->json)
                printf("container %s: destroyed\n", id);
        return 0;
}

int vz_cmd_destroy_ct(struct vz_ctx *ctx, int argc, char **argv)
{
        static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, {} };
        int c, rc = 0;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                fputs(destroy_help, c == 'h' ? stdout : stderr);
                return c == 'h' ? 0 : VZ_EXIT_USAGE;
        }
        if (optind >= argc) {
                fputs(destroy_help, stderr);
                return VZ_EXIT_USAGE;
        }
        for (int i = optind; i < argc; i++) {
                struct vz_error err = { 0 };
                int r = destroy_ct(ctx, argv[i], &err);
                if (r < 0 && !rc)
                        rc = fail(&err, r);
        }
        return rc;
}

static const char exec_help[] =
        "Usage: vzpkg exec [--net] CTID -- CMD [ARG...]\n\n"
        "Run a command inside the container with vzpkg's own runtime (new mount,\n"
        "PID, UTS, IPC and network namespaces; loopback only unless --net) and\n"
        "exit with its status. Output goes to this terminal.\n\n"
        "      --net     share the host's network\n"
        "  -h, --help    this help\n";

static void to_stdout(void *userdata, const char *buf, size_t len)
{
        (void)userdata;
        fwrite(buf, 1, len, stdout);
        fflush(stdout);
}

int vz_cmd_exec(struct vz_ctx *ctx, int argc, char **argv)
{
        static const struct option opts[] = { { "net", no_argument, NULL, 'N' }, { "help", no_argument, NULL, 'h' }, {} };
        struct vz_error err = { 0 };
        _cleanup_ct_ struct vz_ct *ct = NULL;
        _cleanup_plan_ struct vz_ct_plan *p = NULL;
        bool net = false;
        int c, r, status = 0;

        while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
                if (c == 'N')
                        net = true;
                else {
                        fputs(exec_help, c == 'h' ? stdout : stderr);
                        return c == 'h' ? 0 : VZ_EXIT_USAGE;
                }
        }
        int cmd = optind + 1;
        if (cmd < argc && strcmp(argv[cmd], "--") == 0)
                cmd++;
        if (cmd >= argc) {
                fputs(exec_help, stderr);
                return VZ_EXIT_USAGE;
        }
        r = vz_ct_load(ctx, argv[optind], &ct, &err);
        if (r < 0)
                return fail(&err, r);
        p = vz_plan_new(ct->private_dir);
        vz_plan_hostname(p, ct->id);
        vz_plan_env(p, "HOME=/root");
        vz_plan_env(p, "TERM=dumb");
        vz_plan_network(p, net);
        if (net && access("/etc/resolv.conf", R_OK) == 0)  /* names resolve as on the host */
                vz_plan_bind(p, "/etc/resolv.conf", "/etc/resolv.conf", VZ_BIND_RO | VZ_BIND_FILE);
        vz_plan_command(p, argv + cmd);
        vz_plan_output(p, to_stdout, NULL);
        vz_plan_cancel(p, vz_interrupted);
        r = vz_ct_run(p, &status, &err);
        if (r < 0)
                return fail(&err, r);
        return status;
}
