/* config.c: /etc/vzpkg/vzpkg.conf (or -c FILE / $VZPKG_CONFIG), vz.conf
 * style. Every path is relocatable so tests never touch /vz. */
#include "vzpkg.h"

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
        c->lock_dir = vz_xstrdup("/run/lock/vzpkg");
        c->tmp_dir = vz_xstrdup("/var/tmp/vzpkg");
        c->log_dir = vz_xstrdup("/var/log/vzpkg");
        c->debian_keyring = vz_xstrdup("/usr/share/keyrings/debian-archive-keyring.gpg");
        c->archive = VZ_ARCHIVE_ZST;
        c->parallel = 8;
        c->memory_limit = 4LL << 30;
        c->pids_limit = 4096;
        c->check_valid_until = true;
        c->metadata_expire = 6 * 3600;
        c->conf_dir = vz_xstrdup("/etc/vz/conf");
        c->ve_private = vz_xstrdup("/vz/private/$VEID");
        c->parallel_cts = 2;
}

static int parse_duration(const char *key, const char *v, long long *ret, struct vz_error *err)
{
        char *end = NULL;
        long long n = strtoll(v, &end, 10);
        static const struct { char c; long long mul; } units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 } };
        for (size_t i = 0; end && *end && i < ELEMENTSOF(units); i++)
                if (*end == units[i].c) {
                        n *= units[i].mul;
                        end++;
                }
        if (!end || *end || n < 0)
                return vz_error_set(err, -VZ_E_CONFIG, "configuration %s=%s: expected a duration (e.g. 90, 30m, 6h, 2d)", key, v);
        *ret = n;
        return 0;
}

static int parse_number(const char *key, const char *v, long long *ret, struct vz_error *err)
{
        char *end = NULL;
        long long n = strtoll(v, &end, 10);
        if (end && (*end == 'K' || *end == 'k'))
                n <<= 10, end++;
        else if (end && (*end == 'M' || *end == 'm'))
                n <<= 20, end++;
        else if (end && (*end == 'G' || *end == 'g'))
                n <<= 30, end++;
        if (!end || *end || n < 0)
                return vz_error_set(err, -VZ_E_CONFIG, "configuration %s=%s: expected a number", key, v);
        *ret = n;
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
        if (m)
                add_var(c, "$DEBIAN_MIRROR", m);
        if (s)
                add_var(c, "$DEBIAN_SECURITY_MIRROR", s);
}

static int apply(struct vz_config *c, const struct vz_kv *kv, size_t n, struct vz_error *err)
{
        long long num;
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
        if ((v = vz_kv_get(kv, n, "PARALLEL_CONTAINERS"))) {
                if ((r = parse_number("PARALLEL_CONTAINERS", v, &num, err)) < 0)
                        return r;
                c->parallel_cts = num > 0 && num < 256 ? (int)num : 2;
        }
        if ((v = vz_kv_get(kv, n, "ARCHIVE")) && vz_archive_format_parse(v, &c->archive) < 0)
                return vz_error_set(err, -VZ_E_CONFIG, "configuration ARCHIVE=%s: use zst, gz or xz", v);
        if ((v = vz_kv_get(kv, n, "PARALLEL_DOWNLOADS"))) {
                if ((r = parse_number("PARALLEL_DOWNLOADS", v, &num, err)) < 0)
                        return r;
                c->parallel = num > 0 && num < 256 ? (int)num : 8;
        }
        if ((v = vz_kv_get(kv, n, "MEMORY_LIMIT"))) {
                if ((r = parse_number("MEMORY_LIMIT", v, &num, err)) < 0)
                        return r;
                c->memory_limit = num;
        }
        if ((v = vz_kv_get(kv, n, "PIDS_LIMIT"))) {
                if ((r = parse_number("PIDS_LIMIT", v, &num, err)) < 0)
                        return r;
                c->pids_limit = (long)num;
        }
        if ((v = vz_kv_get(kv, n, "METADATA_EXPIRE")) && (r = parse_duration("METADATA_EXPIRE", v, &c->metadata_expire, err)) < 0)
                return r;
        if ((v = vz_kv_get(kv, n, "PKG_CACHE_MAX")) && (r = parse_number("PKG_CACHE_MAX", v, &c->pkg_cache_max, err)) < 0)
                return r;
        if ((v = vz_kv_get(kv, n, "CHECK_VALID_UNTIL")))
                c->check_valid_until = strcmp(v, "no") != 0;
        return 0;
}

int vz_config_load(const char *path, struct vz_config *cfg, struct vz_error *err)
{
        struct vz_kv *kv = NULL;
        size_t n = 0;
        bool explicit = path != NULL;
        int r = 0;

        memset(cfg, 0, sizeof(*cfg));
        defaults(cfg);
        default_vars(cfg);
        if (!path)
                path = getenv("VZPKG_CONFIG");
        explicit |= path != NULL;
        if (!path)
                path = DEFAULT_CONFIG;
        if (access(path, F_OK) == 0 || explicit) {
                r = vz_kv_parse_file(path, &kv, &n, err);
                if (r < 0)
                        return r == -ENOENT ? vz_error_reset(err, -VZ_E_CONFIG,
                                                             "configuration file %s: does not exist", path)
                                            : r;
                cfg->file = vz_xstrdup(path);
                r = apply(cfg, kv, n, err);
                vz_kv_free(kv, n);
        }
        env_vars(cfg);
        free(cfg->cache_dir);
        cfg->cache_dir = vz_path_join(cfg->template_area, "cache");
        return r;
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
        free(c->proxy);
        free(c->conf_dir);
        free(c->ve_private);
        free(c->ve_private_prefixes);
        vz_kv_free(c->vars, c->n_vars);
        memset(c, 0, sizeof(*c));
}

struct vz_vars vz_config_vars(const struct vz_config *cfg)
{
        return (struct vz_vars){ cfg->vars, cfg->n_vars };
}
