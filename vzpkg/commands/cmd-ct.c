/* cmd-ct.c: vzpkg create ct CTID --ostemplate OST; vzpkg destroy ct CTID;
 * vzpkg exec [--net] CTID -- CMD...
 * create ct also gives the new container what a cache never holds (see
 * vz_build_normalize): its name, a resolver configuration and its own
 * secrets (docs/internals/containers.md, "What create ct writes"). */
#include "context.h"
#include "pipeline.h"
#include "containers.h"
#include "commands.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <sys/stat.h>

static int fail(struct vz_error *err, int r)
{
        vz_fail(err, r);
        return vz_exit_code(r);
}

static const char create_help[] =
        "Usage: vzpkg create ct [--lxc [--layout copy|overlay]] CTID... --ostemplate OST [--apps APP,...]\n"
        "                       [--hostname NAME]\n\n"
        "Create containers: unpack the OS template's cache (built first when\n"
        "missing) into its private area (VE_PRIVATE, default /vz/private/$VEID),\n"
        "give it /etc/hostname, a 127.0.1.1 line in /etc/hosts, /etc/resolv.conf\n"
        "(the host's nameservers) and its own SSH host keys, and write\n"
        "$CONF_DIR/CTID.conf with OSTEMPLATE, TEMPLATES, VE_PRIVATE, HOSTNAME,\n"
        "DISTRIBUTION and OSRELEASE, as vzctl reads them.\n"
        "With --lxc: LXC containers NAME in LXC_PATH instead: the root in\n"
        "<lxcpath>/NAME/rootfs, LXC's config <lxcpath>/NAME/config (start it with\n"
        "lxc-start -n NAME) and vzpkg's record <lxcpath>/NAME/vzpkg.conf.\n"
        "With --layout overlay (or CT_LAYOUT=overlay), an LXC container's root is an\n"
        "overlay: the cache unpacked once into a shared read-only tree beside it,\n"
        "the container's own changes in <lxcpath>/NAME/delta0; a full copy where\n"
        "overlay cannot be mounted (-v says why).\n\n"
        "  -t, --ostemplate OST  the OS template\n"
        "      --apps APP,...    with these application templates: from the appcache of\n"
        "                        OST with exactly these apps when there is one (one\n"
        "                        unpack), else the OS cache and then 'vzpkg install'\n"
        "  -H, --hostname NAME   the host name (one CTID only; default: the CTID)\n"
        "      --lxc             make LXC containers (LXC_PATH, LXC_NETWORK,\n"
        "                        LXC_APPARMOR_PROFILE)\n"
        "      --layout L        copy (a full copy of the cache) or overlay (LXC only;\n"
        "                        default: CT_LAYOUT)\n"
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

/* ---- what a cache does not hold: the container's own ---------------------- */

/* RFC 1123 host name: dot-separated labels of letters, digits and inner
 * hyphens, each at most 63 bytes, 253 in all. */
static bool valid_hostname(const char *h)
{
        size_t label = 0, n = strlen(h);
        if (n == 0 || n > 253 || h[0] == '.' || h[n - 1] == '.')
                return false;
        for (const char *p = h; *p; p++) {
                if (*p == '.') {
                        if (label == 0 || p[-1] == '-')
                                return false;
                        label = 0;
                } else if (isalnum((unsigned char)*p) || (*p == '-' && label > 0)) {
                        if (++label > 63)
                                return false;
                } else
                        return false;
        }
        return h[n - 1] != '-';
}

/* The default name: the CTID, with '_' (valid in an ID, not in a host
 * name) as '-'; NULL when that is no host name either. */
static char *default_hostname(const char *id)
{
        char *h = vz_xstrdup(id);
        for (char *p = h; *p; p++)
                if (*p == '_')
                        *p = '-';
        if (valid_hostname(h))
                return h;
        free(h);
        return NULL;
}

static bool ct_exists(int root, const char *rel)
{
        int fd = vz_at_open(root, rel, O_PATH | O_NOFOLLOW, 0, 0);
        if (fd < 0)
                return false;
        close(fd);
        return true;
}

/* /etc/hosts gets "127.0.1.1 NAME" (as Debian's installer writes it) when
 * no line names the host yet, so that the name resolves without DNS. */
static int write_hosts(int root, const char *host)
{
        _cleanup_free_ char *text = NULL, *out = NULL;
        _cleanup_strv_ char **lines = NULL;
        size_t len = 0;
        int r = vz_at_read(root, "etc/hosts", 1 << 20, 0, &text, &len);
        if (r == -ENOENT)
                text = vz_xstrdup("127.0.0.1\tlocalhost\n");
        else if (r < 0)
                return r;
        lines = vz_strv_split(text, "\n");
        for (char **l = lines; *l; l++) {
                _cleanup_strv_ char **w = vz_strv_split(*l, " \t");
                if (w[0] && w[0][0] != '#')
                        for (char **x = w + 1; *x && (*x)[0] != '#'; x++)
                                if (strcmp(*x, host) == 0)
                                        return 0;
        }
        out = vz_asprintf("%s%s127.0.1.1\t%s\n", text, len && text[len - 1] != '\n' ? "\n" : "", host);
        return vz_at_write_atomic(root, "etc/hosts", out, strlen(out), 0644, 0);
}

static bool loopback_address(const char *a)
{
        return vz_startswith(a, "127.") || strcmp(a, "::1") == 0 || strcmp(a, "0.0.0.0") == 0;
}

/* The host's resolver configuration minus loopback nameservers (a stub
 * resolver on the host is not reachable from the container's network). */
static char *host_resolv_conf(void)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_strv_ char **lines = NULL;
        char *out = vz_xstrdup("# written by vzpkg create ct from the host's /etc/resolv.conf\n");
        size_t len = 0;
        bool any = false;
        if (vz_read_file("/etc/resolv.conf", &text, &len) < 0 || memchr(text, '\0', len))
                text = vz_xstrdup("");
        lines = vz_strv_split(text, "\n");
        for (char **l = lines; *l; l++) {
                _cleanup_strv_ char **w = vz_strv_split(*l, " \t");
                bool keep = w[0] && w[1] &&
                            (strcmp(w[0], "search") == 0 || strcmp(w[0], "domain") == 0 || strcmp(w[0], "options") == 0 ||
                             (strcmp(w[0], "nameserver") == 0 && !loopback_address(w[1])));
                if (keep) {
                        char *x = vz_asprintf("%s%s\n", out, vz_strip(*l));
                        free(out);
                        out = x;
                        any |= strcmp(w[0], "nameserver") == 0;
                }
        }
        if (!any) {
                char *x = vz_asprintf("%s# the host has no nameserver reachable from a container: add one\n", out);
                free(out);
                out = x;
        }
        return out;
}

/* A command of the new container's own, run confined (as `exec` runs one);
 * its output only goes into the error message. */
struct tool_out {
        char buf[512];
        size_t len;
};

static void keep_tail(void *userdata, const char *buf, size_t len)
{
        struct tool_out *o = userdata;
        for (size_t i = 0; i < len; i++) {
                if (o->len == sizeof(o->buf) - 1) {
                        memmove(o->buf, o->buf + 1, o->len - 1);
                        o->len--;
                }
                o->buf[o->len++] = buf[i] == '\n' ? ' ' : buf[i];
        }
        o->buf[o->len] = '\0';
}

static int run_tool(struct vz_ctx *ctx, struct vz_ct *ct, const char *host, char *const *argv, struct vz_error *err)
{
        _cleanup_plan_ struct vz_ct_plan *p = vz_plan_new(ct->private_dir);
        struct tool_out out = { .len = 0 };
        int status = 0, r;
        vz_plan_hostname(p, host);
        vz_plan_env(p, "HOME=/root");
        vz_plan_env(p, "LC_ALL=C");
        vz_plan_limits(p, ctx->cfg.memory_limit, ctx->cfg.pids_limit);
        vz_plan_timeout(p, ctx->cfg.run_timeout);
        vz_plan_output(p, keep_tail, &out);
        vz_plan_cancel(p, vz_interrupted);
        vz_plan_command(p, argv);
        r = vz_ct_run(p, &status, err);
        if (r < 0)
                return r;
        if (status != 0)
                return vz_error_set(err, -VZ_E_INSTALL, "container %s: %s exited with status %d: %s", ct->id, argv[0],
                                    status, out.len ? vz_strip(out.buf) : "no output");
        return 0;
}

/* Secrets a cache never holds, made for this container by the tools of
 * its own OS: SSH host keys when sshd is installed, ssl-cert's snake-oil
 * certificate when that package is. */
static int make_secrets(struct vz_ctx *ctx, struct vz_ct *ct, const char *host, struct vz_error *err)
{
        static char *const keygen[] = { "/usr/bin/ssh-keygen", "-A", NULL };
        static char *const snakeoil[] = { "/usr/sbin/make-ssl-cert", "generate-default-snakeoil", "--force-overwrite",
                                          NULL };
        int r = 0;
        if (ct_exists(ct->priv_fd, "usr/sbin/sshd") && ct_exists(ct->priv_fd, "usr/bin/ssh-keygen"))
                r = run_tool(ctx, ct, host, keygen, err);
        if (r >= 0 && ct_exists(ct->priv_fd, "usr/sbin/make-ssl-cert"))
                r = run_tool(ctx, ct, host, snakeoil, err);
        return r;
}

/* What `create ct` writes into the new root: its name, /etc/hosts,
 * /etc/resolv.conf (unless the template has one, a link included), its
 * secrets. Through the private area's fd, never by path. */
static int personalize(struct vz_ctx *ctx, struct vz_ct *ct, const char *host, struct vz_error *err)
{
        _cleanup_free_ char *name = vz_asprintf("%s\n", host);
        const char *what = "/etc/hostname";
        int r = vz_at_write_atomic(ct->priv_fd, "etc/hostname", name, strlen(name), 0644, 0);
        if (r >= 0) {
                what = "/etc/hosts";
                r = write_hosts(ct->priv_fd, host);
        }
        if (r >= 0 && !ct_exists(ct->priv_fd, "etc/resolv.conf")) {
                _cleanup_free_ char *resolv = host_resolv_conf();
                what = "/etc/resolv.conf";
                r = vz_at_write_atomic(ct->priv_fd, "etc/resolv.conf", resolv, strlen(resolv), 0644, 0);
        }
        if (r < 0)
                return vz_error_set(err, r, "container %s: cannot write %s: %s", ct->id, what, strerror(-r));
        return make_secrets(ctx, ct, host, err);
}

/* An LXC container's directory is made here: it must not exist yet. */
static int make_root(struct vz_ctx *ctx, struct vz_ct *ct, struct vz_error *err)
{
        int r;
        if (ct->kind == VZ_CT_LXC && (r = vz_mkdir_p(ct->lxc_dir, 0755)) < 0)
                return vz_error_set(err, r, "container %s: cannot create %s: %s", ct->id, ct->lxc_dir, strerror(-r));
        if ((r = vz_mkdir_p(ct->private_dir, 0700)) < 0)
                return vz_error_set(err, r, "container %s: cannot create %s: %s", ct->id, ct->private_dir, strerror(-r));
        return vz_ct_open_private(ctx, ct, err);  /* checked again now that it exists */
}

static void closedirp(DIR **d)
{
        if (*d)
                closedir(*d);
}
#define _cleanup_closedir_ _cleanup_(closedirp)

/* The shared tree's templates/ (vzpackages, stamps: two levels, the
 * admin's files) copied beside vzpkg.conf. */
static int copy_bookkeeping(const char *tree, struct vz_ct *ct, struct vz_error *err)
{
        _cleanup_free_ char *from = vz_path_join(tree, "templates"), *to = vz_path_join(ct->lxc_dir, "templates");
        _cleanup_closedir_ DIR *d = opendir(from);
        struct dirent *e;
        int r = d ? vz_mkdir_p(to, 0755) : 0;
        while (r >= 0 && d && (e = readdir(d))) {
                _cleanup_free_ char *src = vz_path_join(from, e->d_name), *dst = vz_path_join(to, e->d_name);
                _cleanup_closedir_ DIR *sub = NULL;
                struct stat st;
                if (e->d_name[0] == '.' || lstat(src, &st) < 0)
                        continue;
                if (S_ISREG(st.st_mode))
                        r = vz_copy_file(src, dst, 0644);
                else if (S_ISDIR(st.st_mode) && (sub = opendir(src)) && (r = vz_mkdir_p(dst, 0755)) >= 0)
                        for (struct dirent *f; r >= 0 && (f = readdir(sub));) {
                                _cleanup_free_ char *s2 = vz_path_join(src, f->d_name), *d2 = vz_path_join(dst, f->d_name);
                                if (f->d_type == DT_REG)
                                        r = vz_copy_file(s2, d2, 0644);
                        }
        }
        return r < 0 ? vz_error_set(err, r, "container %s: cannot copy %s: %s", ct->id, from, strerror(-r)) : 0;
}

/* The overlay layout: the cache's shared tree as the lower layer, an empty
 * delta0 as the upper, the merged view mounted at rootfs (for vzpkg
 * alone) for what create ct writes. 1: made; 0: overlay cannot be mounted
 * here (-v says why), the caller copies the cache instead. */
static int make_overlay_root(struct vz_ctx *ctx, struct vz_ct *ct, const char *cache, int *tree_lock,
                             struct vz_error *err)
{
        _cleanup_free_ char *tree = NULL, *work = NULL;
        struct stat st;
        int r = vz_shared_tree(ctx, cache, &tree, tree_lock, err);
        if (r < 0)
                return r;
        ct->ovl_lower = vz_path_join(tree, "rootfs");
        ct->ovl_upper = vz_path_join(ct->lxc_dir, "delta0");
        work = vz_path_join(ct->lxc_dir, "olwork");
        if ((r = vz_mkdir_p(ct->ovl_upper, 0755)) < 0)
                return vz_error_set(err, r, "container %s: cannot create %s: %s", ct->id, ct->ovl_upper, strerror(-r));
        if (stat(ct->ovl_lower, &st) == 0 && chmod(ct->ovl_upper, st.st_mode & 07777) < 0)  /* the root's own mode */
                return vz_error_set(err, -errno, "container %s: %s: %m", ct->id, ct->ovl_upper);
        r = vz_lxc_mount_overlay(ct, err);
        if (r < 0) {
                vz_verbose("%s; a full copy instead", err->msg);
                memset(err, 0, sizeof(*err));
                vz_rm_rf(ct->ovl_upper);
                vz_rm_rf(work);
                free(ct->ovl_lower);
                free(ct->ovl_upper);
                ct->ovl_lower = ct->ovl_upper = NULL;
                return 0;
        }
        r = vz_ct_open_private(ctx, ct, err);
        if (r >= 0)
                r = copy_bookkeeping(tree, ct, err);
        return r < 0 ? r : 1;
}

/* The cache's templates/ (vzpackages) goes beside vzpkg.conf for an LXC
 * container: its rootfs stays the distribution's own tree. */
static int move_bookkeeping(struct vz_ct *ct, struct vz_error *err)
{
        if (ct->kind != VZ_CT_LXC || !ct_exists(ct->priv_fd, "templates"))
                return 0;
        if (renameat(ct->priv_fd, "templates", ct->lxc_fd, "templates") < 0)
                return vz_error_set(err, -errno, "container %s: cannot move templates/ out of the rootfs: %m", ct->id);
        return 0;
}

/* The last step: the records that make the container exist. */
static int write_records(struct vz_ctx *ctx, struct vz_ct *ct, const struct vz_template *t, const char *host,
                         struct vz_error *err)
{
        int r = 0;
        vz_strv_push_take(&ct->lines, vz_asprintf("HOSTNAME=\"%s\"", host));
        if (ct->kind == VZ_CT_LXC)
                r = vz_lxc_write_config(ctx, ct, host, vz_template_field(t, "distribution"), err);
        return r < 0 ? r : vz_ct_save(ct, vz_template_field(t, "distribution"), vz_template_field(t, "osrelease"), err);
}

static void report_created(struct vz_ctx *ctx, const struct vz_ct *ct, const char *host)
{
        bool lxc = ct->kind == VZ_CT_LXC;
        if (ctx->json)
                vz_json_print(json_pack("{s:o, s:s, s:o, s:o, s:o, s:o}", "ct", vz_json_string(ct->id), "kind",
                                        lxc ? "lxc" : "vzctl", "ostemplate", vz_json_string(ct->ostemplate), "hostname",
                                        vz_json_string(host), "private", vz_json_string(ct->private_dir), "conf",
                                        vz_json_string(ct->conf_path)),
                              JSON_COMPACT);
        else if (ctx->verbosity >= 0)
                printf("container %s: created from %s in %s%s\n", ct->id, ct->ostemplate, ct->private_dir,
                       lxc ? " (LXC)" : "");
}

/* --apps: each app loaded (so a typo fails before anything is made, exit
 * 28 as vztt's) and its canonical name kept; the appcache of exactly these,
 * when it is there. */
static int pick_appcache(struct vz_ctx *ctx, const struct vz_template *t, char *const *apps, char ***ret_names,
                         char **ret_cache, struct vz_error *err)
{
        struct vz_vars vars = vz_config_vars(&ctx->cfg);
        char **names = vz_xmalloc(sizeof(char *));
        for (char *const *a = apps; *a; a++) {
                _cleanup_template_ struct vz_template *app = NULL;
                int r = vz_template_load_app(ctx->cfg.template_area, t, *a, &vars, &app, err);
                if (r < 0) {
                        vz_strv_free(names);
                        if (r == -VZ_E_NOTEMPLATE)
                                vz_error_reset(err, -VZ_E_NOAPP, "%s: no application template %s ('vzpkg list %s' "
                                               "lists them)", vz_template_name(t), *a, vz_template_name(t));
                        return r == -VZ_E_NOTEMPLATE ? -VZ_E_NOAPP : r;
                }
                if (!vz_strv_contains(names, vz_template_name(app)))
                        vz_strv_push(&names, vz_template_name(app));
        }
        *ret_names = names;
        if (names[0] && vz_appcache_find(ctx, vz_template_name(t), names, ret_cache) < 0)
                *ret_cache = NULL;
        return 0;
}

/* From an appcache the container has the apps already: TEMPLATES and their
 * stamps, as install writes them. */
static int take_apps(struct vz_ct *ct, char *const *names, struct vz_error *err)
{
        for (char *const *a = names; *a; a++) {
                int r = vz_ct_stamp(ct, *a);
                if (r < 0)
                        return vz_error_set(err, r, "container %s: cannot write templates/%s/timestamp: %s", ct->id, *a,
                                            strerror(-r));
                if (!vz_strv_contains(ct->apps, *a))
                        vz_strv_push(&ct->apps, *a);
        }
        return 0;
}

static int create_ct(struct vz_ctx *ctx, const char *id, const char *ost, char *const *want_apps,
                     const char *hostname, bool lxc, bool *ret_install, struct vz_error *err)
{
        _cleanup_strv_ char **apps = NULL;
        _cleanup_free_ char *appcache = NULL;
        _cleanup_free_ char *host = hostname ? vz_xstrdup(hostname) : default_hostname(id);
        _cleanup_free_ char *lock_name = vz_asprintf("%s%s", lxc ? "lxc:" : "vzctl:", id);
        struct vz_vars vars = vz_config_vars(&ctx->cfg);
        _cleanup_template_ struct vz_template *t = NULL;
        _cleanup_ct_ struct vz_ct *ct = NULL;
        _cleanup_free_ char *cache = NULL;
        _cleanup_close_ int lock = -1, tree_lock = -1;
        int r = vz_ct_lock(ctx, lock_name, &lock, err);
        if (r >= 0)
                r = vz_template_load(ctx->cfg.template_area, ost, &vars, &t, err);
        if (r >= 0)
                r = lxc ? vz_ct_new_lxc(ctx, id, vz_template_name(t), &ct, err)
                        : vz_ct_new(ctx, id, vz_template_name(t), &ct, err);
        if (r < 0)
                return r;
        if (!host)
                return vz_error_set(err, -VZ_E_CONFIG, "container %s: the ID is no valid host name; give one with --hostname",
                                    id);
        const char *there = lxc ? ct->lxc_dir : access(ct->conf_path, F_OK) == 0 ? ct->conf_path : ct->private_dir;
        if (access(there, F_OK) == 0 || (!lxc && access(ct->private_dir, F_OK) == 0))
                return vz_error_set(err, -EEXIST, "container %s: exists already (%s); destroy it first", id, there);
        r = want_apps && want_apps[0] ? pick_appcache(ctx, t, want_apps, &apps, &appcache, err) : 0;
        if (r >= 0 && appcache) {
                vz_info("container %s: from the appcache %s (%s with its apps)", id, appcache, vz_template_name(t));
                cache = TAKE_PTR(appcache);
        } else if (r >= 0) {
                if (apps && apps[0])
                        vz_info("container %s: no appcache of %s with these apps: the OS cache, then an install", id,
                                vz_template_name(t));
                *ret_install = apps && apps[0];
                r = ensure_cache(ctx, t, &cache, err);
        }
        if (r >= 0 && ctx->cfg.ct_overlay && !lxc)
                vz_verbose("container %s: the overlay layout is for LXC containers (vzctl does not understand it): "
                           "a full copy", id);
        int overlaid = 0;  /* 1: over the shared tree; 0: a full copy */
        if (r >= 0 && ctx->cfg.ct_overlay && lxc && (r = vz_mkdir_p(ct->lxc_dir, 0755)) < 0)
                vz_error_set(err, r, "container %s: cannot create %s: %s", id, ct->lxc_dir, strerror(-r));
        if (r >= 0 && ctx->cfg.ct_overlay && lxc)
                r = overlaid = make_overlay_root(ctx, ct, cache, &tree_lock, err);
        if (r >= 0 && !overlaid) {
                r = make_root(ctx, ct, err);
                if (r >= 0)
                        r = vz_cache_unpack(cache, ct->private_dir, vz_interrupted, err);
                if (r >= 0)
                        r = move_bookkeeping(ct, err);
        }
        if (r >= 0 && (r = vz_ct_stamp(ct, vz_template_name(t))) < 0)
                vz_error_set(err, r, "container %s: cannot write its template timestamp: %s", id, strerror(-r));
        if (r >= 0 && !*ret_install && apps)
                r = take_apps(ct, apps, err);
        if (r >= 0)
                r = personalize(ctx, ct, host, err);
        if (r >= 0)
                r = write_records(ctx, ct, t, host, err);
        if (r < 0) {
                if (ct->ovl_lower)
                        vz_lxc_umount_overlay(ct);
                vz_rm_rf(lxc ? ct->lxc_dir : ct->private_dir);  /* no half-made container */
                return r;
        }
        report_created(ctx, ct, host);
        return 0;
}

int vz_cmd_create_ct(struct vz_ctx *ctx, int argc, char **argv)
{
        static const struct option opts[] = { { "ostemplate", required_argument, NULL, 't' },
                                               { "hostname", required_argument, NULL, 'H' },
                                               { "lxc", no_argument, NULL, 'L' },
                                               { "apps", required_argument, NULL, 'A' },
                                               { "layout", required_argument, NULL, 'Y' },
                                               { "help", no_argument, NULL, 'h' }, {} };
        struct vz_error err = { 0 };
        _cleanup_strv_ char **apps = NULL;
        const char *ost = NULL, *hostname = NULL;
        bool lxc = false;
        int c, r;
        while ((c = getopt_long(argc, argv, "t:H:h", opts, NULL)) != -1) {
                if (c == 't')
                        ost = optarg;
                else if (c == 'H')
                        hostname = optarg;
                else if (c == 'L')
                        lxc = true;
                else if (c == 'Y' && (strcmp(optarg, "copy") == 0 || strcmp(optarg, "overlay") == 0))
                        ctx->cfg.ct_overlay = strcmp(optarg, "overlay") == 0;
                else if (c == 'Y') {
                        vz_error_set(&err, -EINVAL, "--layout %s: use copy or overlay", optarg);
                        vz_fail(&err, -EINVAL);
                        return VZ_EXIT_USAGE;
                }
                else if (c == 'A') {
                        vz_strv_free(apps);
                        apps = vz_strv_split(optarg, ", ");
                } else {
                        fputs(create_help, c == 'h' ? stdout : stderr);
                        return c == 'h' ? 0 : VZ_EXIT_USAGE;
                }
        }
        if ((r = vz_cmd_check(ctx, argc, argv, create_help)) >= 0)
                return r;
        if (!ost) {
                fputs(create_help, stderr);
                return VZ_EXIT_USAGE;
        }
        if (hostname && (!valid_hostname(hostname) || argc - optind > 1)) {
                vz_error_set(&err, -VZ_E_CONFIG, "--hostname %s: %s", hostname,
                             argc - optind > 1 ? "names one container, give one CTID"
                                               : "not a host name (letters, digits, inner '-', dot-separated)");
                return fail(&err, -VZ_E_CONFIG);
        }
        int rc = 0;
        for (int i = optind; i < argc && !vz_interrupted(); i++) {
                bool install = false;
                memset(&err, 0, sizeof(err));
                r = create_ct(ctx, argv[i], ost, apps, hostname, lxc, &install, &err);
                if (r < 0 && !rc)
                        rc = fail(&err, r);
                else if (r < 0)
                        fail(&err, r);
                if (r >= 0 && install) {  /* no appcache: the apps as 'vzpkg install' puts them in */
                        _cleanup_free_ char *kind_id = vz_asprintf("%s%s", lxc ? "lxc:" : "vzctl:", argv[i]);
                        char *ids[] = { kind_id, NULL };
                        struct vz_ct_request req = { .action = VZ_CT_INSTALL, .apps = apps };
                        int k = vz_ct_operate(ctx, ids, &req);
                        if (k && !rc)
                                rc = k;
                }
        }
        return rc ? rc : vz_interrupted() ? VZ_EXIT_INTERRUPTED : 0;
}

static const char destroy_help[] =
        "Usage: vzpkg destroy ct CTID...\n\n"
        "Remove each container's private area and its config file; of an LXC\n"
        "container (lxc:NAME, or a NAME vzctl does not have) its rootfs and\n"
        "LXC's directory <lxcpath>/NAME with LXC's config and vzpkg.conf.\n"
        "A running container is refused.\n\n"
        "  -h, --help    this help\n";

static int destroy_ct(struct vz_ctx *ctx, const char *id, struct vz_error *err)
{
        _cleanup_ct_ struct vz_ct *ct = NULL;
        _cleanup_close_ int lock = -1;
        pid_t init = 0;
        int r = vz_ct_lock(ctx, id, &lock, err);
        if (r >= 0)
                r = vz_ct_load(ctx, id, &ct, err);
        if (r >= 0)
                r = vz_ct_find_init(ct, &init, err);
        if (r < 0)
                return r;  /* vz_ct_load refused a private area that is not one */
        if (init > 0)
                return vz_error_set(err, -EBUSY, "container %s: it is running (init %d); stop it first", ct->id,
                                    (int)init);
        if (ct->ovl_lower && (r = vz_lxc_umount_overlay(ct)) < 0)  /* the tree is never touched */
                return vz_error_set(err, r, "container %s: cannot unmount its overlay view %s: %s", id,
                                    ct->private_dir, strerror(-r));
        r = vz_rm_rf(ct->private_dir);  /* an fd walk: no link followed, no mount crossed */
        if (r < 0)
                return vz_error_set(err, r, "container %s: cannot remove %s: %s (something mounted there?)", id,
                                    ct->private_dir, strerror(-r));
        if (ct->kind == VZ_CT_LXC && (r = vz_rm_rf(ct->lxc_dir)) < 0)  /* config, vzpkg.conf, templates/ */
                return vz_error_set(err, r, "container %s: cannot remove %s: %s", id, ct->lxc_dir, strerror(-r));
        if (ct->kind == VZ_CT_VZCTL && unlink(ct->conf_path) < 0)
                return vz_error_set(err, -errno, "container %s: cannot remove %s: %m", id, ct->conf_path);
        if (ctx->verbosity >= 0 && !ctx->json)
                printf("container %s: destroyed\n", ct->id);
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
        if ((c = vz_cmd_check(ctx, argc, argv, destroy_help)) >= 0)
                return c;
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
        "exit with its status. Output goes to this terminal. When the container is\n"
        "running, the command runs inside it instead: in its namespaces and cgroup,\n"
        "with the same confinement.\n\n"
        "      --net     share the host's network (stopped containers only)\n"
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
        pid_t init = 0;

        while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
                if (c == 'N')
                        net = true;
                else {
                        fputs(exec_help, c == 'h' ? stdout : stderr);
                        return c == 'h' ? 0 : VZ_EXIT_USAGE;
                }
        }
        if ((r = vz_cmd_check(ctx, argc, argv, exec_help)) >= 0)
                return r;
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
        r = vz_ct_find_init(ct, &init, &err);
        if (r < 0)
                return fail(&err, r);
        p = vz_plan_new(ct->private_dir);
        vz_plan_hostname(p, ct->id);
        vz_plan_env(p, "HOME=/root");
        vz_plan_env(p, "TERM=dumb");
        if (init > 0)  /* running: in its own namespaces, network and all */
                vz_plan_attach(p, init);
        vz_plan_network(p, net);
        if (net && !init && access("/etc/resolv.conf", R_OK) == 0)  /* names resolve as on the host */
                vz_plan_bind(p, "/etc/resolv.conf", "/etc/resolv.conf", VZ_BIND_RO | VZ_BIND_FILE);
        vz_plan_command(p, argv + cmd);
        vz_plan_output(p, to_stdout, NULL);
        vz_plan_cancel(p, vz_interrupted);
        r = vz_ct_run(p, &status, &err);
        if (r < 0)
                return fail(&err, r);
        return status;
}
