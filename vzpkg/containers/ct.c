/* containers/ct.c: containers as vzctl knows them: $CONF_DIR/<CTID>.conf (KEY="VALUE"
 * lines; OSTEMPLATE=".<ost>", TEMPLATES=" .app1 .app2", VE_PRIVATE=...)
 * and a private area holding the root, with templates/vzpackages and
 * templates/<tmpl>/timestamp. Existing configs are read as they are and
 * rewritten keeping every line vzpkg does not own. LXC containers (containers/lxc.c
 * asks liblxc) use the same record, <lxcpath>/<name>/vzpkg.conf, with
 * templates/ beside it and their rootfs as the private area. */
#include "context.h"
#include "containers.h"
#include "ct-internal.h"

#include <ctype.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

static bool valid_id(const char *id)
{
        if (!*id || strlen(id) > 64 || id[0] == '.')
                return false;
        for (const char *p = id; *p; p++)
                if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
                        return false;
        return true;
}

static char *unquote(const char *v)
{
        size_t n = strlen(v);
        if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0])
                return strndup(v + 1, n - 2);
        return vz_xstrdup(v);
}

/* The value of KEY in the config lines, or NULL. */
static char *get(char **lines, const char *key)
{
        size_t l = strlen(key);
        char *v = NULL;
        for (char **p = lines; *p; p++) {
                const char *s = *p;
                while (*s == ' ' || *s == '\t')
                        s++;
                if (strncmp(s, key, l) == 0 && s[l] == '=') {
                        _cleanup_free_ char *val = vz_xstrdup(s + l + 1);
                        char *hash = strstr(val, " #");  /* a trailing comment */
                        if (hash && val[0] != '"')
                                *hash = '\0';
                        free(v);
                        v = unquote(vz_strip(val));
                }
        }
        return v;
}

static char *expand_private(struct vz_ctx *ctx, const char *pattern, const char *id)
{
        const struct vz_kv kv[] = { { "$VEID", (char *)id }, { "${VEID}", (char *)id }, { "$CTID", (char *)id } };
        char *out = vz_xstrdup(pattern);
        (void)ctx;
        for (size_t i = 0; i < ELEMENTSOF(kv); i++) {
                char *p;
                while ((p = strstr(out, kv[i].key))) {
                        char *x = vz_asprintf("%.*s%s%s", (int)(p - out), out, kv[i].value, p + strlen(kv[i].key));
                        free(out);
                        out = x;
                }
        }
        return out;
}

static char **parse_templates(const char *v)
{
        char **words = vz_strv_split(v ? v : "", " \t");
        char **apps = vz_xmalloc(sizeof(char *));
        for (char **w = words; *w; w++)
                vz_strv_push(&apps, (*w)[0] == '.' ? *w + 1 : *w);
        vz_strv_free(words);
        return apps;
}

#define CONF_MAX (1 << 20)  /* a vzctl config is a few KB */

int vz_ct_conf_parse(const char *text, size_t len, char ***ret)
{
        char **v;
        if (len > CONF_MAX)
                return -EFBIG;
        if (memchr(text, '\0', len))
                return -EINVAL;  /* a line would be cut short where we cannot see it */
        v = vz_xmalloc(sizeof(char *));
        for (const char *p = text, *end = text + len; p < end;) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
                vz_strv_push_take(&v, strndup(p, n));
                p += n + 1;
        }
        *ret = v;
        return 0;
}

char *vz_ct_conf_get(char **lines, const char *key)
{
        return get(lines, key);
}

/* Every line, comments and blanks included: they are rewritten as read. */
static int read_raw_lines(const char *path, char ***ret)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r = vz_read_file(path, &data, &len);
        if (r < 0)
                return r;
        return vz_ct_conf_parse(data, len, ret);
}

/* ---- where a private area may be ---------------------------------------------- */

/* The path with "//", "/./" and trailing slashes folded; NULL when it is
 * not absolute or has a ".." component (never resolved by hand: refused). */
static char *normalize(const char *path)
{
        _cleanup_strv_ char **parts = NULL;
        char *out;
        if (!path || path[0] != '/')
                return NULL;
        parts = vz_strv_split(path, "/");
        out = vz_xstrdup("");
        for (char **p = parts; *p; p++) {
                if (strcmp(*p, "..") == 0) {
                        free(out);
                        return NULL;
                }
                if (strcmp(*p, ".") == 0)
                        continue;
                char *x = vz_asprintf("%s/%s", out, *p);
                free(out);
                out = x;
        }
        if (!*out) {
                free(out);
                out = vz_xstrdup("/");
        }
        return out;
}

/* Directories whose removal or rewrite would break the host: never a
 * private area or CONF_DIR themselves (things below them may be). */
static bool system_dir(const char *norm)
{
        static const char *const dirs[] = {
                "/",        "/bin",     "/boot",     "/dev",       "/etc",     "/home",     "/opt",
                "/proc",    "/root",    "/run",      "/sbin",      "/srv",     "/sys",      "/tmp",
                "/usr",     "/var",     "/mnt",      "/media",     "/snap",    "/lost+found", "/usr/local",
                "/usr/bin", "/usr/sbin", "/usr/lib", "/usr/share", "/var/lib", "/var/log",  "/var/tmp",
                "/var/cache", "/var/spool", "/var/run", "/var/lock", "/run/lock", "/etc/vz", "/vz",
        };
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                if (strcmp(norm, dirs[i]) == 0)
                        return true;
        /* /lib, /lib32, /lib64, /libx32 and the like */
        return vz_startswith(norm, "/lib") && !strchr(norm + 1, '/');
}

/* Why path may not be used as a directory vzpkg manages, or NULL. */
static const char *path_problem(const char *path)
{
        _cleanup_free_ char *norm = normalize(path);
        if (!path || path[0] != '/')
                return "not an absolute path";
        if (!norm)
                return "it has a \"..\" component";
        if (system_dir(norm))
                return "it is / or a system directory";
        return NULL;
}

/* The directory the configured pattern puts private areas in: the part
 * before $VEID (or the pattern's parent when it names none), with a slash. */
static char *pattern_prefix(const char *pattern)
{
        _cleanup_free_ char *p = vz_xstrdup(pattern ? pattern : "");
        char *dollar = strchr(p, '$'), *slash;
        if (dollar)
                *dollar = '\0';
        slash = strrchr(p, '/');
        if (!slash)
                return NULL;
        slash[1] = '\0';
        _cleanup_free_ char *norm = normalize(p);
        if (!norm)
                return NULL;
        return strcmp(norm, "/") == 0 ? vz_xstrdup("/") : vz_asprintf("%s/", norm);
}

static bool strictly_under(const char *norm, const char *prefix)
{
        return prefix && vz_startswith(norm, prefix) && norm[strlen(prefix)] != '\0';
}

/* The admin's prefix (with its slash) that the normalized path lies
 * strictly under: the configured pattern's, or one of VE_PRIVATE_PREFIXES. */
static char *trusted_prefix(const char *pattern, const char *prefixes, const char *norm)
{
        char *own = pattern_prefix(pattern);
        _cleanup_strv_ char **extra = NULL;
        if (strictly_under(norm, own))
                return own;
        free(own);
        extra = vz_strv_split(prefixes ? prefixes : "", " \t");
        for (char **e = extra; *e; e++) {
                _cleanup_free_ char *n = normalize(*e);
                char *pre = n ? vz_asprintf("%s/", strcmp(n, "/") ? n : "") : NULL;
                if (n && !system_dir(n) && strictly_under(norm, pre))
                        return pre;
                free(pre);
        }
        return NULL;
}

const char *vz_ct_private_problem(const char *pattern, const char *prefixes, const char *path)
{
        const char *why = path_problem(path);
        _cleanup_free_ char *norm = NULL, *pre = NULL;
        if (why)
                return why;
        norm = normalize(path);
        pre = trusted_prefix(pattern, prefixes, norm);
        return pre ? NULL : "it is not under the configured VE_PRIVATE prefix nor VE_PRIVATE_PREFIXES";
}

/* The first existing component of path after its first skip bytes that
 * is a symlink, or NULL: a link there would send the whole directory
 * elsewhere. The admin's own prefix (skip) may hold links (/vz ->
 * /data/vz is a common layout). */
static char *first_symlink(const char *path, size_t skip)
{
        _cleanup_free_ char *p = vz_xstrdup(path);
        if (skip >= strlen(p))
                return NULL;
        for (char *s = p + (skip ? skip : 1);; s++) {
                if (*s != '/' && *s != '\0')
                        continue;
                char c = *s;
                struct stat st;
                *s = '\0';
                if (lstat(p, &st) < 0)
                        return NULL;  /* the rest does not exist yet */
                if (S_ISLNK(st.st_mode))
                        return TAKE_PTR(p);
                if (!c)
                        return NULL;
                *s = '/';
        }
}

static int refuse_dir(const char *id, const char *key, const char *value, const char *why, struct vz_error *err)
{
        return vz_error_set(err, -VZ_E_CONFIG, "container %s: %s=\"%s\" refused: %s; fix it in the configuration",
                            id, key, value, why);
}

static int check_dir(const char *id, const char *key, const char *value, const char *why, const char *trusted,
                     struct vz_error *err)
{
        _cleanup_free_ char *link = NULL, *norm = NULL;
        if (why)
                return refuse_dir(id, key, value, why, err);
        norm = normalize(value);
        if (!norm)
                return refuse_dir(id, key, value, "it has a \"..\" component", err);
        link = first_symlink(norm, trusted ? strlen(trusted) : 0);
        if (link) {
                _cleanup_free_ char *msg = vz_asprintf("%s is a symbolic link", link);
                return refuse_dir(id, key, value, msg, err);
        }
        return 0;
}

static int check_conf_dir(struct vz_ctx *ctx, const char *id, struct vz_error *err)
{
        return check_dir(id, "CONF_DIR", ctx->cfg.conf_dir, path_problem(ctx->cfg.conf_dir), NULL, err);
}

/* LXC's directory of the container, <lxcpath>/<name>: not / or a system
 * directory, no link below the admin's lxcpath (which may be one). */
static int check_lxc_dir(struct vz_ctx *ctx, struct vz_ct *ct, struct vz_error *err)
{
        _cleanup_free_ char *norm = normalize(vz_lxc_path(ctx));
        _cleanup_free_ char *trusted = norm ? vz_asprintf("%s/", strcmp(norm, "/") ? norm : "") : NULL;
        return check_dir(ct->id, "LXC_PATH", ct->lxc_dir, path_problem(ct->lxc_dir), trusted, err);
}

int vz_ct_check_trusted_dir(const char *id, const char *key, const char *path, const char *trusted,
                            struct vz_error *err)
{
        _cleanup_free_ char *norm = normalize(trusted);
        _cleanup_free_ char *pre = norm ? vz_asprintf("%s/", strcmp(norm, "/") ? norm : "") : NULL;
        _cleanup_free_ char *np = normalize(path);
        const char *why = path_problem(path);
        if (!why && (!pre || !np || !strictly_under(np, pre)))
                why = "it is not below the template cache directory";
        return check_dir(id, key, path, why, pre, err);
}

int vz_ct_overlay_refuse(const struct vz_ct *ct, const char *what, struct vz_error *err)
{
        return vz_error_set(err, -VZ_E_CONFIG, "container %s uses the overlay layout: %s is not supported yet", ct->id,
                            what);
}

int vz_lxc_open_dir(struct vz_ctx *ctx, struct vz_ct *ct, struct vz_error *err)
{
        struct stat st;
        int r = check_lxc_dir(ctx, ct, err);
        if (r < 0)
                return r;
        r = vz_root_open(ct->lxc_dir, &ct->lxc_fd);
        if (r < 0)
                return vz_error_set(err, r == -ENOENT ? -VZ_E_NOTEMPLATE : -VZ_E_CONFIG, "container %s: %s: %s", ct->id,
                                    ct->lxc_dir, strerror(-r));
        if (fstat(ct->lxc_fd, &st) < 0)
                return vz_error_set(err, -errno, "container %s: %s: %m", ct->id, ct->lxc_dir);
        /* vzpkg's record and bookkeeping live there: only root may change them */
        if ((st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & S_IWOTH) ||
            ((st.st_mode & S_IWGRP) && st.st_gid != 0))
                return refuse_dir(ct->id, "LXC directory", ct->lxc_dir,
                                  "it is owned by another user than root or writable by others", err);
        return 0;
}

/* The pattern a container's root is checked against: VE_PRIVATE, or for
 * an LXC container its own directory <lxcpath>/<name>/ (plus, for both,
 * VE_PRIVATE_PREFIXES). */
static char *root_pattern(struct vz_ctx *ctx, const struct vz_ct *ct)
{
        return ct->kind == VZ_CT_LXC ? vz_path_join(ct->lxc_dir, "rootfs") : vz_xstrdup(ctx->cfg.ve_private);
}

/* Validate the private area and open it: from here on every access to it
 * goes through this fd (rootfd.c), never through its path again. */
static int open_private(struct vz_ctx *ctx, struct vz_ct *ct, struct vz_error *err)
{
        _cleanup_free_ char *pattern = root_pattern(ctx, ct);
        const char *key = ct->kind == VZ_CT_LXC ? "lxc.rootfs.path" : "VE_PRIVATE";
        const char *why = vz_ct_private_problem(pattern, ctx->cfg.ve_private_prefixes, ct->private_dir);
        _cleanup_free_ char *norm = normalize(ct->private_dir);
        _cleanup_free_ char *trusted = why || !norm ? NULL
                : trusted_prefix(pattern, ctx->cfg.ve_private_prefixes, norm);
        if (why && ct->kind == VZ_CT_LXC && !path_problem(ct->private_dir))
                why = "it is not under the container's LXC directory nor VE_PRIVATE_PREFIXES";
        int r = check_dir(ct->id, key, ct->private_dir, why, trusted, err);
        if (r < 0)
                return r;
        r = vz_root_open(ct->private_dir, &ct->priv_fd);
        if (r < 0 && r != -ENOENT)
                return vz_error_set(err, -VZ_E_CONFIG, "container %s: private area %s: %s", ct->id, ct->private_dir,
                                    strerror(-r));
        return 0;
}

int vz_ct_open_private(struct vz_ctx *ctx, struct vz_ct *ct, struct vz_error *err)
{
        if (ct->priv_fd >= 0) {
                close(ct->priv_fd);
                ct->priv_fd = -1;
        }
        int r = ct->kind == VZ_CT_LXC && ct->lxc_fd < 0 ? vz_lxc_open_dir(ctx, ct, err) : 0;
        if (r >= 0)
                r = open_private(ctx, ct, err);
        if (r >= 0 && ct->priv_fd < 0)
                r = vz_error_set(err, -ENOENT, "container %s: private area %s is missing", ct->id, ct->private_dir);
        return r;
}

/* ---- timestamps ----------------------------------------------------------------- */

#define STAMP_MAX 253402300799LL  /* 9999-12-31 23:59:59 UTC */

static bool digits(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (!isdigit((unsigned char)s[i]))
                        return false;
        return true;
}

static int num(const char *s, size_t n)
{
        int v = 0;
        for (size_t i = 0; i < n; i++)
                v = v * 10 + (s[i] - '0');
        return v;
}

/* vztt's "YYYY-MM-DD HH:MM:SS", local time */
static int parse_datetime(const char *s, size_t n, long long *ret)
{
        struct tm tm = { .tm_isdst = -1 };
        static const int days[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        time_t t;
        if (n != 19 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':' ||
            !digits(s, 4) || !digits(s + 5, 2) || !digits(s + 8, 2) || !digits(s + 11, 2) || !digits(s + 14, 2) ||
            !digits(s + 17, 2))
                return -EINVAL;
        tm.tm_year = num(s, 4) - 1900;
        tm.tm_mon = num(s + 5, 2) - 1;
        tm.tm_mday = num(s + 8, 2);
        tm.tm_hour = num(s + 11, 2);
        tm.tm_min = num(s + 14, 2);
        tm.tm_sec = num(s + 17, 2);
        if (tm.tm_year < 70 || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > days[tm.tm_mon] ||
            tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
                return -ERANGE;
        t = mktime(&tm);
        if (t == (time_t)-1 || t <= 0 || (long long)t > STAMP_MAX)
                return -ERANGE;
        *ret = (long long)t;
        return 0;
}

int vz_timestamp_parse(const char *text, size_t len, long long *ret)
{
        long long v = 0;
        while (len && isspace((unsigned char)*text))
                text++, len--;
        while (len && isspace((unsigned char)text[len - 1]))
                len--;
        if (!len)
                return -EINVAL;
        if (!digits(text, len))
                return parse_datetime(text, len, ret);
        for (size_t i = 0; i < len; i++) {
                v = v * 10 + (text[i] - '0');
                if (v > STAMP_MAX)
                        return -ERANGE;  /* before it can overflow */
        }
        if (v <= 0)
                return -ERANGE;
        *ret = v;
        return 0;
}

int vz_ct_read_stamp(const struct vz_ct *ct, const char *tmpl, long long *ret)
{
        _cleanup_free_ char *rel = vz_asprintf("templates/%s/timestamp", tmpl);
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r;
        if (vz_ct_meta_fd(ct) < 0)
                return -ENOENT;
        r = vz_at_read(vz_ct_meta_fd(ct), rel, 64, VZ_AT_NOLINKS, &text, &len);
        return r < 0 ? r : vz_timestamp_parse(text, len, ret);
}

/* ---- which container an argument names ------------------------------------- */

static bool vzctl_conf_exists(struct vz_ctx *ctx, const char *id)
{
        _cleanup_free_ char *p = ctx->cfg.conf_dir ? vz_asprintf("%s/%s.conf", ctx->cfg.conf_dir, id) : NULL;
        return p && access(p, F_OK) == 0;
}

enum vz_ct_kind vz_ct_resolve(struct vz_ctx *ctx, const char *id, const char **ret_name)
{
        if (vz_startswith(id, "lxc:")) {
                *ret_name = id + 4;
                return VZ_CT_LXC;
        }
        if (vz_startswith(id, "vzctl:")) {
                *ret_name = id + 6;
                return VZ_CT_VZCTL;
        }
        *ret_name = id;
        /* vzctl's layout first: the default, and what vzpkg always read */
        if (valid_id(id) && !vzctl_conf_exists(ctx, id) && vz_lxc_defined(ctx, id))
                return VZ_CT_LXC;
        return VZ_CT_VZCTL;
}

bool vz_ct_exists(struct vz_ctx *ctx, const char *id)
{
        const char *name;
        enum vz_ct_kind kind = vz_ct_resolve(ctx, id, &name);
        if (!valid_id(name))
                return false;
        return kind == VZ_CT_LXC ? vz_lxc_defined(ctx, name) : vzctl_conf_exists(ctx, name);
}

static struct vz_ct *ct_alloc(const char *id, enum vz_ct_kind kind)
{
        struct vz_ct *ct = vz_xmalloc(sizeof(*ct));
        ct->priv_fd = -1;
        ct->lxc_fd = -1;
        ct->kind = kind;
        ct->id = vz_xstrdup(id);
        return ct;
}

/* vzctl's CTID.conf, or the LXC container's vzpkg.conf, as lines */
static int read_record(struct vz_ctx *ctx, struct vz_ct *ct, struct vz_error *err)
{
        int r;
        if (ct->kind == VZ_CT_LXC)
                return vz_lxc_describe(ctx, ct, err);
        r = check_conf_dir(ctx, ct->id, err);
        if (r < 0)
                return r;
        ct->conf_path = vz_asprintf("%s/%s.conf", ctx->cfg.conf_dir, ct->id);
        if ((r = read_raw_lines(ct->conf_path, &ct->lines)) >= 0)
                return 0;
        if (r == -EFBIG || r == -EINVAL)
                return vz_error_set(err, -VZ_E_CONFIG, "container %s: %s is not a container config (%s)", ct->id,
                                    ct->conf_path, r == -EFBIG ? "too large" : "NUL bytes");
        return vz_error_set(err, -VZ_E_NOCT,
                            "container %s: no config %s%s; create it with 'vzpkg create ct %s --ostemplate OST'", ct->id,
                            ct->conf_path, vz_lxc_path(ctx) ? " nor an LXC container of that name" : "", ct->id);
}

int vz_ct_load(struct vz_ctx *ctx, const char *id, struct vz_ct **ret, struct vz_error *err)
{
        _cleanup_ct_ struct vz_ct *ct = NULL;
        _cleanup_free_ char *priv = NULL, *ost = NULL, *tmpls = NULL;
        const char *name;
        enum vz_ct_kind kind = vz_ct_resolve(ctx, id, &name);
        int r;
        if (!valid_id(name))
                return vz_error_set(err, -EINVAL, "container %s: not a valid container ID", id);
        ct = ct_alloc(name, kind);
        r = read_record(ctx, ct, err);
        if (r < 0)
                return r;
        ost = get(ct->lines, "OSTEMPLATE");
        tmpls = get(ct->lines, "TEMPLATES");
        if (kind == VZ_CT_VZCTL) {
                priv = get(ct->lines, "VE_PRIVATE");
                ct->private_dir = expand_private(ctx, priv ? priv : ctx->cfg.ve_private, name);
        }
        ct->ostemplate = ost ? vz_xstrdup(ost[0] == '.' ? ost + 1 : ost) : NULL;
        ct->apps = parse_templates(tmpls);
        if (!ct->ostemplate)
                r = vz_error_set(err, -VZ_E_METADATA, "container %s: %s has no OSTEMPLATE", name, ct->conf_path);
        else
                r = open_private(ctx, ct, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(ct);
        return 0;
}

int vz_ct_new(struct vz_ctx *ctx, const char *id, const char *ostemplate, struct vz_ct **ret, struct vz_error *err)
{
        _cleanup_ct_ struct vz_ct *ct = NULL;
        int r;
        if (!valid_id(id))
                return vz_error_set(err, -EINVAL, "container %s: not a valid container ID (letters, digits, - _ .)", id);
        r = check_conf_dir(ctx, id, err);
        if (r < 0)
                return r;
        ct = ct_alloc(id, VZ_CT_VZCTL);
        ct->conf_path = vz_asprintf("%s/%s.conf", ctx->cfg.conf_dir, id);
        ct->private_dir = expand_private(ctx, ctx->cfg.ve_private, id);
        ct->ostemplate = vz_xstrdup(ostemplate);
        ct->apps = vz_xmalloc(sizeof(char *));
        ct->lines = vz_xmalloc(sizeof(char *));
        r = open_private(ctx, ct, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(ct);
        return 0;
}

int vz_ct_new_lxc(struct vz_ctx *ctx, const char *name, const char *ostemplate, struct vz_ct **ret,
                  struct vz_error *err)
{
        _cleanup_ct_ struct vz_ct *ct = NULL;
        const char *lxcpath = vz_lxc_path(ctx);
        int r;
        if (!valid_id(name))
                return vz_error_set(err, -EINVAL, "container %s: not a valid container name (letters, digits, - _ .)",
                                    name);
        if (!lxcpath)
                return vz_error_set(err, -VZ_E_CONFIG, "container %s: LXC_PATH is empty: LXC containers are off", name);
        ct = ct_alloc(name, VZ_CT_LXC);
        ct->lxc_dir = vz_path_join(lxcpath, name);
        ct->conf_path = vz_path_join(ct->lxc_dir, "vzpkg.conf");
        ct->private_dir = vz_path_join(ct->lxc_dir, "rootfs");
        ct->ostemplate = vz_xstrdup(ostemplate);
        ct->apps = vz_xmalloc(sizeof(char *));
        ct->lines = vz_xmalloc(sizeof(char *));
        r = check_lxc_dir(ctx, ct, err);
        if (r >= 0)
                r = open_private(ctx, ct, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(ct);
        return 0;
}

void vz_ct_free(struct vz_ct *ct)
{
        if (!ct)
                return;
        if (ct->priv_fd >= 0)
                close(ct->priv_fd);
        if (ct->lxc_fd >= 0)
                close(ct->lxc_fd);
        free(ct->id);
        free(ct->conf_path);
        free(ct->private_dir);
        free(ct->lxc_dir);
        free(ct->ovl_lower);
        free(ct->ovl_upper);
        free(ct->ostemplate);
        vz_strv_free(ct->apps);
        vz_strv_free(ct->lines);
        free(ct);
}

static void set_line(char ***lines, const char *key, const char *value)
{
        size_t l = strlen(key);
        char *line = vz_asprintf("%s=\"%s\"", key, value);
        for (char **p = *lines; *p; p++)
                if (strncmp(*p, key, l) == 0 && (*p)[l] == '=') {
                        free(*p);
                        *p = line;
                        return;
                }
        vz_strv_push_take(lines, line);
}

int vz_ct_save(struct vz_ct *ct, const char *distribution, const char *osrelease, struct vz_error *err)
{
        _cleanup_free_ char *ost = vz_asprintf(".%s", ct->ostemplate);
        _cleanup_free_ char *tmpls = vz_xstrdup("");
        _cleanup_free_ char *text = vz_xstrdup("");
        _cleanup_free_ char *dir = vz_xstrdup(ct->conf_path);
        int r;

        for (char **a = ct->apps; *a; a++) {
                char *x = vz_asprintf("%s .%s", tmpls, *a);
                free(tmpls);
                tmpls = x;
        }
        set_line(&ct->lines, "OSTEMPLATE", ost);
        set_line(&ct->lines, "TEMPLATES", tmpls);
        _cleanup_free_ char *have = get(ct->lines, "VE_PRIVATE");
        if (!have && ct->kind == VZ_CT_VZCTL)  /* as written by the admin ($VEID and all) when present */
                set_line(&ct->lines, "VE_PRIVATE", ct->private_dir);
        if (distribution)
                set_line(&ct->lines, "DISTRIBUTION", distribution);
        if (osrelease)
                set_line(&ct->lines, "OSRELEASE", osrelease);
        for (char **p = ct->lines; *p; p++) {
                char *x = vz_asprintf("%s%s\n", text, *p);
                free(text);
                text = x;
        }
        *strrchr(dir, '/') = '\0';
        if (ct->kind == VZ_CT_LXC)  /* through the checked directory fd */
                r = ct->lxc_fd < 0 ? -ENOENT
                                   : vz_at_write_atomic(ct->lxc_fd, "vzpkg.conf", text, strlen(text), 0644, VZ_AT_NOLINKS);
        else if ((r = vz_mkdir_p(dir, 0755)) < 0)
                return vz_error_set(err, r, "container %s: cannot create %s: %s", ct->id, dir, strerror(-r));
        else
                r = vz_write_file_atomic(ct->conf_path, text, strlen(text), 0644);
        if (r < 0)
                return vz_error_set(err, r, "container %s: cannot write %s: %s", ct->id, ct->conf_path, strerror(-r));
        return 0;
}

int vz_ct_list(struct vz_ctx *ctx, char ***ret_ids)
{
        struct dirent **ents = NULL;
        int n = scandir(ctx->cfg.conf_dir, &ents, NULL, alphasort);
        char **ids = vz_xmalloc(sizeof(char *));
        for (int i = 0; i < n; i++) {
                const char *e = ents[i]->d_name;
                size_t l = strlen(e);
                if (l > 5 && strcmp(e + l - 5, ".conf") == 0 && strncmp(e, "ve-", 3) != 0 && strcmp(e, "0.conf") != 0) {
                        _cleanup_free_ char *id = strndup(e, l - 5);
                        if (valid_id(id))
                                vz_strv_push(&ids, id);
                }
                free(ents[i]);
        }
        free(ents);
        vz_lxc_list(ctx, &ids);
        *ret_ids = ids;
        return 0;
}

int vz_ct_lock(struct vz_ctx *ctx, const char *arg, int *ret_fd, struct vz_error *err)
{
        const char *id;
        /* one lock per kind: vzctl's 101 and LXC's 101 are two containers */
        enum vz_ct_kind kind = vz_ct_resolve(ctx, arg, &id);
        if (!valid_id(id))
                return vz_error_set(err, -EINVAL, "container %s: not a valid container ID", arg);
        _cleanup_free_ char *path = vz_asprintf("%s/%s-%s.lock", ctx->cfg.lock_dir, kind == VZ_CT_LXC ? "lxc" : "ct", id);
        int r = vz_mkdir_p(ctx->cfg.lock_dir, 0755);
        if (r >= 0)
                r = vz_lock(path, LOCK_EX, false, ret_fd);
        if (r == -VZ_E_LOCKED)
                return vz_error_set(err, r, "container %s: another vzpkg is working on it (lock %s); try again later",
                                    id, path);
        if (r < 0)
                return vz_error_set(err, r, "lock %s: %s", path, vz_strerror(r));
        return 0;
}

int vz_ct_stamp(struct vz_ct *ct, const char *tmpl)
{
        _cleanup_free_ char *dir = vz_asprintf("templates/%s", tmpl);
        _cleanup_free_ char *path = vz_path_join(dir, "timestamp");
        char stamp[32], now[40];
        int r;
        int fd = vz_ct_meta_fd(ct);
        if (fd < 0)
                return -ENOENT;
        /* vztt's format: vztt reads no other (vz_timestamp_parse reads both) */
        if (vz_timestamp_format((long long)time(NULL), stamp, sizeof(stamp)) < 0)
                return -EINVAL;
        snprintf(now, sizeof(now), "%s\n", stamp);
        /* vzpkg's own bookkeeping: a link anywhere on the way is the tenant's doing */
        r = vz_at_mkdir_p(fd, dir, 0755, VZ_AT_NOLINKS);
        return r < 0 ? r : vz_at_write_atomic(fd, path, now, strlen(now), 0644, VZ_AT_NOLINKS);
}

int vz_ct_snapshot_leftover(const char *id, const char *own, const char *snap, struct vz_error *err)
{
        int r = vz_tree_leftover(snap);
        if (r < 0)
                return vz_error_set(err, r, "container %s: cannot look for %s: %s", id, snap, strerror(-r));
        if (r > 0)
                return vz_error_set(err, -EEXIST,
                                    "container %s: an earlier operation on it did not end (host crash or killed "
                                    "worker) and left %s, the container as it was before; its files may be "
                                    "half-changed. Stopped, go back with: mv %s %s.broken && mv %s %s; or keep "
                                    "them: rm -rf %s; then run the command again",
                                    id, snap, own, own, snap, own, snap);
        return 0;
}
