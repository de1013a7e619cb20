/* config.c: /etc/vzpkg/vzpkg.conf (or -c FILE / $VZPKG_CONFIG), vz.conf
 * style. Every path is relocatable so tests never touch /vz. */
#include "context.h"

#include <ctype.h>
#include <limits.h>
#include <time.h>

#define DEFAULT_CONFIG "/etc/vzpkg/vzpkg.conf"

static void set_str(char **slot, const char *v)
{
        if (!v)
                return;
        free(*slot);
        *slot = vz_xstrdup(v);
}

static void defaults(struct vz_config *c)
{
        c->template_area = vz_xstrdup("/vz/template");
        c->pkg_cache = vz_xstrdup("/var/cache/vzpkg/packages");
        c->metadata_cache = vz_xstrdup("/var/cache/vzpkg/metadata");
        /* /run and /var/lib are root's alone; /run/lock and /var/tmp are
         * world-writable, where any user could create our directories first. */
        c->lock_dir = vz_xstrdup("/run/vzpkg");
        c->tmp_dir = vz_xstrdup("/var/lib/vzpkg/tmp");
        c->log_dir = vz_xstrdup("/var/log/vzpkg");
        c->debian_keyring = vz_xstrdup("/usr/share/keyrings/debian-archive-keyring.gpg");
        c->archive = VZ_ARCHIVE_ZST;
        c->parallel = 8;
        c->memory_limit = 4LL << 30;
        c->pids_limit = 4096;
        c->check_valid_until = true;
        c->metadata_expire = 6 * 3600;
        c->run_timeout = 3600;
        c->conf_dir = vz_xstrdup("/etc/vz/conf");
        c->ve_private = vz_xstrdup("/vz/private/$VEID");
        c->parallel_cts = 2;
        c->download_timeout = 1800;
        c->low_speed_limit = 1024;
        c->low_speed_time = 60;
        c->lxc_network = vz_xstrdup("empty");
        c->stage_cache = vz_xstrdup("/var/cache/vzpkg/stages");
        c->stage_cache_max = 4LL << 30;
        c->build_tmpfs = -1;
        c->template_keys = vz_xstrdup("/etc/vzpkg/template-keys");
}

/* Every number of the configuration goes through here: digits, one unit
 * at most, overflow-checked scaling and a range (common/conf.c). The file
 * name is added by vz_config_load. */
static int parse_range(const char *key, const char *v, const struct vz_unit *units, size_t n_units, long long min,
                       long long max, long long *ret, struct vz_error *err)
{
        int r = vz_parse_ll(v, units, n_units, min, max, ret);
        if (r == -ERANGE)
                return vz_error_set(err, -VZ_E_CONFIG, "%s=%s: out of range (%lld to %lld%s)", key, v, min, max,
                                    units == vz_duration_units ? " seconds" : units ? " bytes" : "");
        if (r < 0)
                return vz_error_set(err, -VZ_E_CONFIG, "%s=%s: expected %s", key, v,
                                    units == vz_duration_units ? "a duration (e.g. 90, 30m, 6h, 2d)"
                                    : units                    ? "a size (e.g. 512M, 4G, 1T)"
                                                               : "a number");
        return 0;
}

#define MAX_DURATION (3650LL * 86400)  /* ten years: anything longer is a typo */

static int parse_duration(const char *key, const char *v, long long *ret, struct vz_error *err)
{
        return parse_range(key, v, vz_duration_units, vz_n_duration_units, 0, MAX_DURATION, ret, err);
}

/* [[maybe_unused]]: kept for keys that want a plain byte size. */
static __attribute__((unused)) int parse_number(const char *key, const char *v, long long *ret,
                                                struct vz_error *err)
{
        return parse_range(key, v, vz_size_units, vz_n_size_units, 0, LLONG_MAX, ret, err);
}

static int parse_count(const char *key, const char *v, long long min, long long max, int *ret, struct vz_error *err)
{
        long long n;
        int r = parse_range(key, v, NULL, 0, min, max, &n, err);
        if (r >= 0)
                *ret = (int)n;
        return r;
}

/* A memory limit below this kills dpkg before it starts: a typo (4K for
 * 4G), not a choice. 0 means no limit. */
#define MIN_MEMORY_LIMIT (16LL << 20)

static int parse_limits(struct vz_config *c, const struct vz_kv *kv, size_t n, struct vz_error *err)
{
        const char *v;
        long long num;
        int r;

        if ((v = vz_kv_get(kv, n, "MEMORY_LIMIT"))) {
                if ((r = parse_range("MEMORY_LIMIT", v, vz_size_units, vz_n_size_units, 0, 1LL << 50, &num, err)) < 0)
                        return r;
                if (num > 0 && num < MIN_MEMORY_LIMIT)
                        return vz_error_set(err, -VZ_E_CONFIG, "MEMORY_LIMIT=%s: below 16M; use 0 for no limit", v);
                c->memory_limit = num;
        }
        if ((v = vz_kv_get(kv, n, "PIDS_LIMIT"))) {
                if ((r = parse_range("PIDS_LIMIT", v, NULL, 0, 0, 4194304, &num, err)) < 0)  /* the kernel's PID_MAX_LIMIT */
                        return r;
                c->pids_limit = (long)num;
        }
        if ((v = vz_kv_get(kv, n, "PKG_CACHE_MAX")) &&
            (r = parse_range("PKG_CACHE_MAX", v, vz_size_units, vz_n_size_units, 0, 1LL << 60, &c->pkg_cache_max,
                             err)) < 0)
                return r;
        if ((v = vz_kv_get(kv, n, "BUILD_TMPFS")) && strcmp(v, "auto") != 0) {
                if (strcmp(v, "no") == 0)
                        c->build_tmpfs = 0;
                else if (parse_range("BUILD_TMPFS", v, vz_size_units, vz_n_size_units, 64LL << 20, 1LL << 50,
                                     &c->build_tmpfs, &(struct vz_error){ 0 }) < 0)
                        return vz_error_set(err, -VZ_E_CONFIG, "BUILD_TMPFS=%s: expected auto, no, or a size from 64M", v);
        }
        if ((v = vz_kv_get(kv, n, "STAGE_CACHE_MAX")) &&
            (r = parse_range("STAGE_CACHE_MAX", v, vz_size_units, vz_n_size_units, 0, 1LL << 60, &c->stage_cache_max,
                             err)) < 0)
                return r;
        return 0;
}

static void add_var(struct vz_config *c, const char *key, const char *value)
{
        c->vars = vz_xrealloc(c->vars, (c->n_vars + 1) * sizeof(*c->vars));
        c->vars[c->n_vars].key = vz_xstrdup(key);
        c->vars[c->n_vars].value = vz_xstrdup(value);
        c->n_vars++;
}

/* Later entries win (vz_kv_get and expansion take the last): host apt
 * sources first, then the config file, then the environment. */
static void default_vars(struct vz_config *c)
{
        _cleanup_free_ char *m = NULL, *s = NULL;
        const char *etc_apt = getenv("VZPKG_APT_ETC");
        if (vz_apt_host_mirrors(etc_apt ? etc_apt : "/etc/apt", &m, &s) == 0) {
                add_var(c, "$DEBIAN_MIRROR", m);
                add_var(c, "$DEBIAN_SECURITY_MIRROR", s);
        }
}

static void env_vars(struct vz_config *c)
{
        const char *m = getenv("VZPKG_DEBIAN_MIRROR"), *s = getenv("VZPKG_DEBIAN_SECURITY_MIRROR");
        struct vz_kv *yum = NULL;
        size_t n = 0;
        if (m)
                add_var(c, "$DEBIAN_MIRROR", m);
        if (s)
                add_var(c, "$DEBIAN_SECURITY_MIRROR", s);
        vz_compat_env_vars(&yum, &n);  /* $YUM0..$YUM10 */
        for (size_t i = 0; i < n; i++)
                add_var(c, yum[i].key, yum[i].value);
        vz_kv_free(yum, n);
}

/* url.map of the template area vzpkg.conf names (or vz.conf, or the
 * default): its tokens go below vzpkg.conf's own "$TOKEN" lines. */
static void urlmap_vars(struct vz_config *c, const struct vz_kv *kv, size_t n)
{
        const char *area = vz_kv_get(kv, n, "TEMPLATE");
        struct vz_kv *map = NULL;
        size_t m = 0;
        vz_compat_read_urlmap(area ? area : c->template_area, &map, &m);
        for (size_t i = 0; i < m; i++)
                add_var(c, map[i].key, map[i].value);
        vz_kv_free(map, m);
}

/* Bounds of one download; 0 or absurd values would disable them, so they
 * must be positive and at most a day (or 1 GiB/s). */
static int apply_download_limits(struct vz_config *c, const struct vz_kv *kv, size_t n, struct vz_error *err)
{
        static const struct {
                const char *key;
                bool duration;
        } keys[] = { { "DOWNLOAD_TIMEOUT", true }, { "DOWNLOAD_LOW_SPEED_LIMIT", false }, { "DOWNLOAD_LOW_SPEED_TIME", true } };
        long long *slots[] = { &c->download_timeout, &c->low_speed_limit, &c->low_speed_time };
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                const char *v = vz_kv_get(kv, n, keys[i].key);
                long long num = 0;
                int r;
                if (!v)
                        continue;
                r = keys[i].duration ? parse_duration(keys[i].key, v, &num, err) : parse_number(keys[i].key, v, &num, err);
                if (r < 0)
                        return r;
                if (num < 1 || num > (keys[i].duration ? 86400LL : 1LL << 30))
                        return vz_error_set(err, -VZ_E_CONFIG, "configuration %s=%s: out of range (1 to %s)", keys[i].key,
                                            v, keys[i].duration ? "1d" : "1G");
                *slots[i] = num;
        }
        return 0;
}

/* A word that goes into LXC's config as it is: a network interface name
 * (at most 15 bytes, IFNAMSIZ) or an AppArmor profile name; no blanks,
 * newlines or '#', which would change what LXC reads. */
static bool lxc_word(const char *v, size_t max)
{
        size_t n = strlen(v);
        if (n == 0 || n > max || strcmp(v, ".") == 0 || strcmp(v, "..") == 0)
                return false;
        for (const char *p = v; *p; p++)
                if (!isalnum((unsigned char)*p) && !strchr(max == 15 ? "-_." : "-_.:/", *p))
                        return false;
        return true;
}

static int check_lxc_keys(const struct vz_config *c, struct vz_error *err)
{
        if (!lxc_word(c->lxc_network, 15))
                return vz_error_set(err, -VZ_E_CONFIG, "LXC_NETWORK=%s: use \"empty\" or a bridge's name", c->lxc_network);
        if (c->lxc_apparmor && *c->lxc_apparmor && !lxc_word(c->lxc_apparmor, 255))
                return vz_error_set(err, -VZ_E_CONFIG, "LXC_APPARMOR_PROFILE=%s: not a profile name", c->lxc_apparmor);
        return 0;
}

static int apply(struct vz_config *c, const struct vz_kv *kv, size_t n, struct vz_error *err)
{
        const char *v;
        int r;

        for (size_t i = 0; i < n; i++)
                if (kv[i].key[0] == '$')
                        add_var(c, kv[i].key, kv[i].value);
        set_str(&c->template_area, vz_kv_get(kv, n, "TEMPLATE"));
        set_str(&c->pkg_cache, vz_kv_get(kv, n, "PKG_CACHE"));
        set_str(&c->metadata_cache, vz_kv_get(kv, n, "METADATA_CACHE"));
        set_str(&c->lock_dir, vz_kv_get(kv, n, "LOCK_DIR"));
        set_str(&c->tmp_dir, vz_kv_get(kv, n, "TMP_DIR"));
        set_str(&c->log_dir, vz_kv_get(kv, n, "LOG_DIR"));
        set_str(&c->debian_keyring, vz_kv_get(kv, n, "DEBIAN_KEYRING"));
        set_str(&c->proxy, vz_kv_get(kv, n, "PROXY"));
        set_str(&c->conf_dir, vz_kv_get(kv, n, "CONF_DIR"));
        set_str(&c->ve_private, vz_kv_get(kv, n, "VE_PRIVATE"));
        set_str(&c->ve_private_prefixes, vz_kv_get(kv, n, "VE_PRIVATE_PREFIXES"));
        set_str(&c->lxc_path, vz_kv_get(kv, n, "LXC_PATH"));
        set_str(&c->lxc_network, vz_kv_get(kv, n, "LXC_NETWORK"));
        set_str(&c->lxc_apparmor, vz_kv_get(kv, n, "LXC_APPARMOR_PROFILE"));
        set_str(&c->stage_cache, vz_kv_get(kv, n, "STAGE_CACHE"));
        if (c->stage_cache && (!*c->stage_cache || strcmp(c->stage_cache, "no") == 0)) {
                free(c->stage_cache);  /* STAGE_CACHE= or STAGE_CACHE=no: off */
                c->stage_cache = NULL;
        }
        set_str(&c->template_keys, vz_kv_get(kv, n, "TEMPLATE_KEYS"));
        if ((v = vz_kv_get(kv, n, "PARALLEL_CONTAINERS")) &&
            (r = parse_count("PARALLEL_CONTAINERS", v, 1, 255, &c->parallel_cts, err)) < 0)
                return r;
        if ((v = vz_kv_get(kv, n, "CT_LAYOUT"))) {
                if (strcmp(v, "overlay") != 0 && strcmp(v, "copy") != 0)
                        return vz_error_set(err, -VZ_E_CONFIG, "CT_LAYOUT=%s: use copy or overlay", v);
                c->ct_overlay = strcmp(v, "overlay") == 0;
        }
        if ((v = vz_kv_get(kv, n, "SYNC_CONTAINERS"))) {
                if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0)
                        return vz_error_set(err, -VZ_E_CONFIG, "SYNC_CONTAINERS=%s: use yes or no", v);
                c->sync_containers = strcmp(v, "yes") == 0;
        }
        if ((v = vz_kv_get(kv, n, "ARCHIVE")) && vz_archive_format_parse(v, &c->archive) < 0)
                return vz_error_set(err, -VZ_E_CONFIG, "ARCHIVE=%s: use zst, gz or xz", v);
        if ((v = vz_kv_get(kv, n, "PARALLEL_DOWNLOADS")) &&
            (r = parse_count("PARALLEL_DOWNLOADS", v, 1, 255, &c->parallel, err)) < 0)
                return r;
        if ((r = parse_limits(c, kv, n, err)) < 0)
                return r;
        if ((v = vz_kv_get(kv, n, "METADATA_EXPIRE")) && (r = parse_duration("METADATA_EXPIRE", v, &c->metadata_expire, err)) < 0)
                return r;
        if ((v = vz_kv_get(kv, n, "RUN_TIMEOUT")) && (r = parse_duration("RUN_TIMEOUT", v, &c->run_timeout, err)) < 0)
                return r;
        if ((r = apply_download_limits(c, kv, n, err)) < 0)
                return r;
        if ((v = vz_kv_get(kv, n, "CHECK_VALID_UNTIL")))
                c->check_valid_until = strcmp(v, "no") != 0;
        return check_lxc_keys(c, err);
}

int vz_config_load(const char *path, struct vz_config *cfg, struct vz_error *err)
{
        struct vz_kv *kv = NULL;
        size_t n = 0;
        bool explicit = path != NULL;
        int r = 0;

        memset(cfg, 0, sizeof(*cfg));
        cfg->started = (long long)time(NULL);
        defaults(cfg);
        default_vars(cfg);
        vz_compat_read_host(cfg);  /* vz.conf, vztt.conf: below vzpkg.conf */
        if (!path)
                path = getenv("VZPKG_CONFIG");
        explicit |= path != NULL;
        if (!path)
                path = DEFAULT_CONFIG;
        if (access(path, F_OK) < 0 && !explicit)
                urlmap_vars(cfg, NULL, 0);
        else {
                r = vz_kv_parse_file(path, &kv, &n, err);
                if (r < 0)
                        return r == -ENOENT ? vz_error_reset(err, -VZ_E_CONFIG,
                                                             "configuration file %s: does not exist", path)
                                            : r;
                cfg->file = vz_xstrdup(path);
                urlmap_vars(cfg, kv, n);
                r = apply(cfg, kv, n, err);
                vz_kv_free(kv, n);
                if (r == -VZ_E_CONFIG) {  /* name the file: "KEY=VALUE: ..." alone does not say where */
                        char msg[sizeof(err->msg)];
                        snprintf(msg, sizeof(msg), "%s", err->msg);
                        vz_error_reset(err, r, "configuration %s: %.900s", path, msg);
                }
        }
        env_vars(cfg);
        set_str(&cfg->lxc_path, getenv("VZPKG_LXC_PATH"));
        free(cfg->cache_dir);
        cfg->cache_dir = vz_path_join(cfg->template_area, "cache");
        return r;
}

/* The places vzpkg writes, each made (if missing) and checked from "/"
 * down before a command uses it: no symlink, no directory another user
 * owns or may rename entries in (common/util.c: vz_dir_secure). Once per
 * command, from main. */
int vz_config_secure_dirs(const struct vz_config *c, struct vz_error *err)
{
        const struct {
                const char *what;
                const char *path;
                mode_t mode;
        } dirs[] = {
                { "TMP_DIR", c->tmp_dir, 0700 },      { "LOCK_DIR", c->lock_dir, 0755 },
                { "LOG_DIR", c->log_dir, 0755 },      { "PKG_CACHE", c->pkg_cache, 0755 },
                { "METADATA_CACHE", c->metadata_cache, 0755 }, { "template cache directory", c->cache_dir, 0755 },
        };
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                int r = vz_dir_secure(dirs[i].what, dirs[i].path, dirs[i].mode, NULL, err);
                if (r < 0)
                        return r;
        }
        return c->stage_cache ? vz_dir_secure("STAGE_CACHE", c->stage_cache, 0700, NULL, err) : 0;
}

void vz_config_done(struct vz_config *c)
{
        free(c->file);
        free(c->template_area);
        free(c->cache_dir);
        free(c->pkg_cache);
        free(c->metadata_cache);
        free(c->lock_dir);
        free(c->tmp_dir);
        free(c->log_dir);
        free(c->debian_keyring);
        free(c->stage_cache);
        free(c->proxy);
        free(c->conf_dir);
        free(c->ve_private);
        free(c->ve_private_prefixes);
        free(c->lxc_path);
        free(c->lxc_network);
        free(c->lxc_apparmor);
        free(c->template_keys);
        vz_kv_free(c->vars, c->n_vars);
        memset(c, 0, sizeof(*c));
}

struct vz_vars vz_config_vars(const struct vz_config *cfg)
{
        return (struct vz_vars){ cfg->vars, cfg->n_vars };
}
