/* containers/lxc.c: LXC containers, asked through liblxc. LXC's config is LXC's
 * own format (lxc.include, the system-wide lxc.conf, defaults, keys renamed
 * between versions) and its state lives in the monitor of a running
 * container, behind a command socket: liblxc is the one reader of both
 * that stays right, so vzpkg parses neither. What vzpkg keeps of its own
 * (OSTEMPLATE, TEMPLATES, what vzctl's CTID.conf holds for it) is the
 * admin's record <lxcpath>/<name>/vzpkg.conf, never the tenant's rootfs.
 * See docs/internals/containers.md, "LXC containers". */
#include "context.h"
#include "containers.h"
#include "ct-internal.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <lxc/lxccontainer.h>

#define LXC_SHARE "/usr/share/lxc/config"  /* where LXC ships its common configs */
#define RECORD "vzpkg.conf"

const char *vz_lxc_path(struct vz_ctx *ctx)
{
        if (!ctx->cfg.lxc_path) {
                /* liblxc caches the value: not ours to free */
                const char *p = lxc_get_global_config_item("lxc.lxcpath");
                ctx->cfg.lxc_path = vz_xstrdup(p ? p : "");
        }
        return *ctx->cfg.lxc_path ? ctx->cfg.lxc_path : NULL;
}

static void lxc_putp(struct lxc_container **c)
{
        if (*c)
                lxc_container_put(*c);
}
#define _cleanup_lxc_ _cleanup_(lxc_putp)

/* A config item as a string; NULL when unset or unknown. */
static char *config_item(struct lxc_container *c, const char *key)
{
        int n = c->get_config_item(c, key, NULL, 0);
        char *v;
        if (n <= 0)
                return NULL;
        v = vz_xmalloc((size_t)n + 1);
        if (c->get_config_item(c, key, v, n + 1) != n) {
                free(v);
                return NULL;
        }
        return v;
}

int vz_lxc_rootfs_parse(const char *value, char **ret_path)
{
        const char *path = value;
        if (!value || !*value)
                return -EINVAL;
        if (vz_startswith(value, "dir:"))
                path = value + 4;
        else if (value[0] != '/')  /* "overlay:", "btrfs:", "zfs:", "lvm:", "loop:", "rbd:", "nbd:" ... */
                return strchr(value, ':') ? -EOPNOTSUPP : -EINVAL;
        if (path[0] != '/')
                return -EINVAL;
        /* liblxc 5 hands out the path without the storage prefix: what is
         * left of overlay's "overlay:LOWER:UPPER" is "LOWER:UPPER" */
        if (strstr(path, ":/"))
                return -EOPNOTSUPP;
        *ret_path = vz_xstrdup(path);
        return 0;
}

bool vz_lxc_defined(struct vz_ctx *ctx, const char *name)
{
        const char *path = vz_lxc_path(ctx);
        _cleanup_lxc_ struct lxc_container *c = path ? lxc_container_new(name, path) : NULL;
        return c && c->is_defined(c);
}

/* The rootfs LXC's config names, as a directory path. */
static int lxc_rootfs(struct lxc_container *c, const char *name, char **ret, struct vz_error *err)
{
        _cleanup_free_ char *value = config_item(c, "lxc.rootfs.path");
        _cleanup_free_ char *idmap = config_item(c, "lxc.idmap");
        int r;
        if (idmap && *idmap)
                /* the runtime would write files owned by the host's root into it */
                return vz_error_set(err, -VZ_E_CONFIG,
                                    "container %s: an unprivileged LXC container (lxc.idmap) is not supported yet", name);
        struct stat st;
        r = vz_lxc_rootfs_parse(value, ret);
        if (r == -EOPNOTSUPP)
                return vz_error_set(err, -VZ_E_CONFIG,
                                    "container %s: lxc.rootfs.path = %s: that storage backend (overlay, btrfs, zfs, "
                                    "lvm, ...) is not supported; vzpkg works on a directory (dir:PATH)",
                                    name, value);
        if (r < 0)
                return vz_error_set(err, -VZ_E_CONFIG, "container %s: lxc.rootfs.path = \"%s\": not a directory path",
                                    name, value ? value : "");
        bool missing = stat(*ret, &st) < 0;
        if (missing || !S_ISDIR(st.st_mode))  /* lvm:, loop:, rbd:, nbd: leave a device or an image */
                return vz_error_set(err, -VZ_E_CONFIG,
                                    "container %s: lxc.rootfs.path = %s: %s; vzpkg works on a directory (dir:PATH)", name,
                                    value, missing ? strerror(errno) : "not a directory (a block device or image backend?)");
        return 0;
}

/* vzpkg.conf: the admin's, like vzctl's CTID.conf; missing: refused with
 * what to write. */
static int read_record(struct vz_ct *ct, struct vz_error *err)
{
        _cleanup_free_ char *text = NULL;
        struct stat st;
        size_t len = 0;
        int r = vz_at_read(ct->lxc_fd, RECORD, 1 << 20, VZ_AT_NOLINKS, &text, &len);
        if (r == -ENOENT)
                return vz_error_set(err, -VZ_E_CONFIG,
                                    "container %s: an LXC container vzpkg does not manage: write %s with "
                                    "OSTEMPLATE=\"<the OS template it was made from>\" (vzpkg(8), LXC containers)",
                                    ct->id, ct->conf_path);
        if (r < 0)
                return vz_error_set(err, -VZ_E_CONFIG, "container %s: %s: %s", ct->id, ct->conf_path, strerror(-r));
        if (fstatat(ct->lxc_fd, RECORD, &st, AT_SYMLINK_NOFOLLOW) < 0 || (st.st_uid != 0 && st.st_uid != geteuid()) ||
            (st.st_mode & (S_IWGRP | S_IWOTH)))
                return vz_error_set(err, -VZ_E_CONFIG, "container %s: %s is not root's alone (owner, mode): refused",
                                    ct->id, ct->conf_path);
        r = vz_ct_conf_parse(text, len, &ct->lines);
        if (r < 0)
                return vz_error_set(err, -VZ_E_CONFIG, "container %s: %s is not a container config (%s)", ct->id,
                                    ct->conf_path, r == -EFBIG ? "too large" : "NUL bytes");
        return 0;
}

int vz_lxc_overlay_parse(const char *value, char **ret_lower, char **ret_upper)
{
        const char *v = value && vz_startswith(value, "overlay:") ? value + 8 : value;
        const char *sep = v ? strstr(v, ":/") : NULL;
        if (!v || v[0] != '/' || !sep || strstr(sep + 1, ":/") || sep[2] == '\0')
                return -EINVAL;
        *ret_lower = strndup(v, (size_t)(sep - v));
        *ret_upper = vz_xstrdup(sep + 1);
        return 0;
}

/* The overlay layout as create ct writes it, and nothing else: the lower
 * a shared tree's rootfs in the admin's cache directory, the upper the
 * container's own <lxcpath>/<name>/delta0; the merged view is mounted at
 * <lxcpath>/<name>/rootfs for vzpkg alone. */
static int overlay_root(struct vz_ctx *ctx, struct lxc_container *c, struct vz_ct *ct, const char *value,
                        struct vz_error *err)
{
        _cleanup_free_ char *want_upper = vz_path_join(ct->lxc_dir, "delta0"), *tree = NULL;
        if (vz_lxc_overlay_parse(value, &ct->ovl_lower, &ct->ovl_upper) < 0 ||
            strcmp(ct->ovl_upper, want_upper) != 0)
                return vz_error_set(err, -VZ_E_CONFIG,
                                    "container %s: lxc.rootfs.path = overlay:%s: that storage backend is not supported "
                                    "except as create ct --layout overlay writes it (a shared tree of the template "
                                    "cache under %s)",
                                    ct->id, value, want_upper);
        tree = vz_xstrdup(ct->ovl_lower);
        char *slash = strrchr(tree, '/');
        if (!slash || strcmp(slash, "/rootfs") != 0 || (*slash = '\0', !vz_shared_tree_name(ctx->cfg.cache_dir, tree)))
                return vz_error_set(err, -VZ_E_CONFIG,
                                    "container %s: lxc.rootfs.path: the lower layer %s is not a shared tree of %s",
                                    ct->id, ct->ovl_lower, ctx->cfg.cache_dir);
        int r = vz_ct_check_trusted_dir(ct->id, "lxc.rootfs.path", ct->ovl_lower, ctx->cfg.cache_dir, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *idmap = config_item(c, "lxc.idmap");
        if (idmap && *idmap)
                return vz_error_set(err, -VZ_E_CONFIG,
                                    "container %s: an unprivileged LXC container (lxc.idmap) is not supported yet", ct->id);
        if (c->is_running(c))  /* LXC has the upper mounted: a second mount of it is undefined */
                return vz_ct_overlay_refuse(ct, "working on a running container", err);
        ct->private_dir = vz_path_join(ct->lxc_dir, "rootfs");
        return 0;
}

/* The merged views this process mounted (its own namespace, shared with
 * its forked workers): a container loaded twice is mounted once, since
 * two overlays over one upper directory are undefined. */
static char **mounted;

int vz_lxc_mount_overlay(struct vz_ct *ct, struct vz_error *err)
{
        _cleanup_free_ char *work = vz_path_join(ct->lxc_dir, "olwork");
        if (mounted && vz_strv_contains(mounted, ct->private_dir))
                return 0;
        int r = vz_mkdir_p(ct->private_dir, 0755);
        if (r >= 0)
                r = vz_mkdir_p(work, 0700);
        if (r >= 0)
                r = vz_overlay_mount(ct->ovl_lower, ct->ovl_upper, work, ct->private_dir);
        if (r < 0)
                return vz_error_set(err, r, "container %s: cannot mount its overlay (%s over %s) at %s: %s", ct->id,
                                    ct->ovl_upper, ct->ovl_lower, ct->private_dir, strerror(-r));
        if (!mounted)
                mounted = vz_xmalloc(sizeof(char *));
        vz_strv_push(&mounted, ct->private_dir);
        return 0;
}

int vz_lxc_umount_overlay(struct vz_ct *ct)
{
        if (ct->priv_fd >= 0) {  /* the view is gone: nothing may go on through it */
                close(ct->priv_fd);
                ct->priv_fd = -1;
        }
        if (!mounted || !vz_strv_contains(mounted, ct->private_dir))
                return 0;
        for (char **m = mounted; *m; m++)
                if (strcmp(*m, ct->private_dir) == 0) {
                        free(*m);
                        do
                                m[0] = m[1];
                        while (*++m);
                        break;
                }
        return vz_tmpfs_umount(ct->private_dir);
}

int vz_lxc_describe(struct vz_ctx *ctx, struct vz_ct *ct, struct vz_error *err)
{
        const char *path = vz_lxc_path(ctx);
        _cleanup_lxc_ struct lxc_container *c = NULL;
        int r;
        if (!path)
                return vz_error_set(err, -VZ_E_NOTEMPLATE, "container %s: LXC_PATH is empty: LXC containers are off",
                                    ct->id);
        c = lxc_container_new(ct->id, path);
        if (!c || !c->is_defined(c))
                return vz_error_set(err, -VZ_E_NOTEMPLATE, "container %s: LXC knows no container %s in %s", ct->id,
                                    ct->id, path);
        ct->lxc_dir = vz_path_join(path, ct->id);
        ct->conf_path = vz_path_join(ct->lxc_dir, RECORD);
        _cleanup_free_ char *value = config_item(c, "lxc.rootfs.path");
        bool overlay = value && strstr(value, ":/") && !vz_startswith(value, "dir:");
        r = overlay ? vz_lxc_open_dir(ctx, ct, err) : lxc_rootfs(c, ct->id, &ct->private_dir, err);
        if (r >= 0)
                r = overlay ? overlay_root(ctx, c, ct, value, err) : vz_lxc_open_dir(ctx, ct, err);
        if (r >= 0)
                r = read_record(ct, err);
        return r < 0 || !overlay ? r : vz_lxc_mount_overlay(ct, err);
}

void vz_lxc_list(struct vz_ctx *ctx, char ***ids)
{
        const char *path = vz_lxc_path(ctx);
        char **names = NULL;
        int n = path ? list_defined_containers(path, &names, NULL) : 0;
        for (int i = 0; i < n; i++) {
                _cleanup_free_ char *rec = vz_asprintf("%s/%s/%s", path, names[i], RECORD);
                _cleanup_free_ char *id = vz_asprintf("lxc:%s", names[i]);
                if (access(rec, F_OK) == 0)
                        vz_strv_push(ids, id);
                free(names[i]);
        }
        free(names);
}

int vz_lxc_overlay_lowers(struct vz_ctx *ctx, char ***ret, struct vz_error *err)
{
        const char *path = vz_lxc_path(ctx);
        char **names = NULL;
        int n = path ? list_defined_containers(path, &names, NULL) : 0;
        *ret = vz_xmalloc(sizeof(char *));
        if (n < 0)
                return vz_error_set(err, -EIO, "LXC_PATH %s: liblxc cannot list its containers", path);
        for (int i = 0; i < n; i++) {
                _cleanup_lxc_ struct lxc_container *c = lxc_container_new(names[i], path);
                _cleanup_free_ char *value = c ? config_item(c, "lxc.rootfs.path") : NULL, *lower = NULL, *upper = NULL;
                if (value && !vz_startswith(value, "dir:") && vz_lxc_overlay_parse(value, &lower, &upper) >= 0)
                        vz_strv_push(ret, lower);
                free(names[i]);
        }
        free(names);
        return 0;
}

int vz_lxc_init_pid(const struct vz_ct *ct, pid_t *ret_pid, struct vz_error *err)
{
        _cleanup_free_ char *path = vz_xstrdup(ct->lxc_dir);
        _cleanup_lxc_ struct lxc_container *c = NULL;
        char *slash = strrchr(path, '/');
        pid_t pid;
        *ret_pid = 0;
        if (!slash)
                return 0;
        *slash = '\0';
        c = lxc_container_new(ct->id, *path ? path : "/");
        if (!c)
                return vz_error_set(err, -ENOMEM, "container %s: liblxc could not open it", ct->id);
        if (!c->is_running(c))
                return 0;
        pid = c->init_pid(c);  /* stopped since: -1 */
        *ret_pid = pid > 0 ? pid : 0;
        return 0;
}

/* ---- create ct --lxc ------------------------------------------------------------- */

static bool one_line(const char *v)
{
        return !v || !strpbrk(v, "\n\r");
}

static char *append(char *text, const char *line)
{
        char *x = vz_asprintf("%s%s\n", text, line);
        free(text);
        return x;
}

int vz_lxc_config_text(const struct vz_lxc_settings *s, char **ret_text)
{
        char *t;
        _cleanup_free_ char *l = NULL;
        if (!s->uts_name || !s->rootfs || !s->network || !one_line(s->uts_name) || !one_line(s->rootfs) || !one_line(s->lower) ||
            !one_line(s->include) || !one_line(s->network) || !one_line(s->apparmor) || !*s->network)
                return -EINVAL;
        t = vz_xstrdup("# LXC's config of this container, written by vzpkg create ct --lxc (vzpkg(8)).\n"
                       "# vzpkg reads lxc.rootfs.path only; everything here is LXC's and yours to change.\n");
#define LINE(...) (free(l), l = vz_asprintf(__VA_ARGS__), t = append(t, l))
        LINE("lxc.uts.name = %s", s->uts_name);
        if (s->lower)  /* LXC mounts it at start, its work directory <dirname(upper)>/olwork */
                LINE("lxc.rootfs.path = overlay:%s:%s", s->lower, s->rootfs);
        else
                LINE("lxc.rootfs.path = dir:%s", s->rootfs);
        if (s->include)
                LINE("lxc.include = %s", s->include);
        else {  /* what LXC's own common.conf sets for every container */
                t = append(t, "lxc.mount.auto = cgroup:mixed proc:mixed sys:mixed");
                t = append(t, "lxc.cap.drop = mac_admin mac_override sys_time sys_module sys_rawio");
                t = append(t, "lxc.tty.max = 4");
                t = append(t, "lxc.pty.max = 1024");
        }
        if (s->systemd)  /* systemd halts on SIGRTMIN+3; LXC's default, SIGPWR, suits sysvinit */
                t = append(t, "lxc.signal.halt = SIGRTMIN+3");
        if (strcmp(s->network, "empty") == 0)
                t = append(t, "lxc.net.0.type = empty");
        else {
                t = append(t, "lxc.net.0.type = veth");
                LINE("lxc.net.0.link = %s", s->network);
                t = append(t, "lxc.net.0.flags = up");
                if (s->hwaddr)
                        LINE("lxc.net.0.hwaddr = %s", s->hwaddr);
        }
        if (s->apparmor && *s->apparmor)
                LINE("lxc.apparmor.profile = %s", s->apparmor);
#undef LINE
        *ret_text = t;
        return 0;
}

/* The root's /sbin/init is systemd (a link to it, as systemd-sysv makes). */
static bool init_is_systemd(int root)
{
        _cleanup_close_ int fd = vz_at_open(root, "sbin/init", O_PATH | O_NOFOLLOW, 0, 0);
        char target[256];
        ssize_t n = fd >= 0 ? readlinkat(fd, "", target, sizeof(target) - 1) : -1;
        if (n <= 0)
                return false;
        target[n] = '\0';
        return strstr(target, "systemd") != NULL;
}

/* LXC's shipped config for the distribution (debian.common.conf, with
 * LXC's templates), else its common.conf, else none: explicit keys. */
static char *shipped_include(const char *distribution)
{
        char *p = distribution && *distribution && !strchr(distribution, '/')
                          ? vz_asprintf(LXC_SHARE "/%s.common.conf", distribution)
                          : NULL;
        if (p && access(p, R_OK) == 0)
                return p;
        free(p);
        return access(LXC_SHARE "/common.conf", R_OK) == 0 ? vz_xstrdup(LXC_SHARE "/common.conf") : NULL;
}

int vz_lxc_write_config(struct vz_ctx *ctx, struct vz_ct *ct, const char *hostname, const char *distribution,
                        struct vz_error *err)
{
        _cleanup_free_ char *include = shipped_include(distribution), *text = NULL, *mac = NULL;
        unsigned char rnd[3] = { 0 };
        struct vz_lxc_settings s = {
                .uts_name = hostname, .rootfs = ct->ovl_lower ? ct->ovl_upper : ct->private_dir,
                .lower = ct->ovl_lower, .include = include,
                .network = ctx->cfg.lxc_network, .apparmor = ctx->cfg.lxc_apparmor,
                .systemd = init_is_systemd(ct->priv_fd),
        };
        int r;
        if (getrandom(rnd, sizeof(rnd), 0) == (ssize_t)sizeof(rnd))  /* LXC's own 00:16:3e prefix */
                s.hwaddr = mac = vz_asprintf("00:16:3e:%02x:%02x:%02x", rnd[0] & 0x7f, rnd[1], rnd[2]);
        r = vz_lxc_config_text(&s, &text);
        if (r < 0)
                return vz_error_set(err, -VZ_E_CONFIG, "container %s: cannot write an LXC config from these values",
                                    ct->id);
        r = vz_at_write_atomic(ct->lxc_fd, "config", text, strlen(text), 0640, VZ_AT_NOLINKS);
        if (r < 0)
                return vz_error_set(err, r, "container %s: cannot write %s/config: %s", ct->id, ct->lxc_dir,
                                    strerror(-r));
        return 0;
}
