/* compat.c: the files an OpenVZ/Virtuozzo host already has, read as vztt
 * reads them: /etc/vz/vz.conf (vzctl's: TEMPLATE, LOCKDIR, VE_PRIVATE,
 * HTTP_PROXY...), /etc/vztt/vztt.conf (HTTP_PROXY, METADATA_EXPIRE...) and
 * $TEMPLATE/conf/vztt/url.map ("$TOKEN URL" lines). Precedence, lowest
 * first: built-in defaults, vz.conf, vztt.conf, url.map, vzpkg.conf, the
 * environment (vzpkg.8, FILES). Unknown keys are ignored, as vztt ignores
 * them; a value vzpkg cannot use is skipped with a warning. */
#include "context.h"
#include "containers.h"

#include <ctype.h>
#include <fcntl.h>
#include <time.h>

#define VZ_CONF "/etc/vz/vz.conf"
#define VZTT_CONF "/etc/vztt/vztt.conf"
#define HOST_FILE_MAX (1 << 20)

/* $VZPKG_VZ_CONF / $VZPKG_VZTT_CONF relocate the files (the tests' own
 * /etc); set to "" they are not read at all. */
static const char *host_path(const char *env, const char *dflt)
{
        const char *p = getenv(env);
        return p ? (*p ? p : NULL) : dflt;
}

static int read_host_file(const char *path, struct vz_kv **kv, size_t *n)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0, bad = 0;
        int r;
        *kv = NULL;
        *n = 0;
        if (!path || access(path, F_OK) < 0)
                return 0;
        r = vz_read_file(path, &text, &len);
        if (r < 0 || len > HOST_FILE_MAX) {
                vz_warn("%s: cannot read (%s); ignored", path, r < 0 ? strerror(-r) : "too large");
                return 0;
        }
        vz_kv_parse_lenient(text, len, kv, n, &bad);
        if (bad)
                vz_verbose("%s: %zu lines that are not KEY=VALUE ignored", path, bad);
        return 1;
}

static void take(char **slot, const struct vz_kv *kv, size_t n, const char *key)
{
        const char *v = vz_kv_get(kv, n, key);
        if (v && *v) {
                free(*slot);
                *slot = vz_xstrdup(v);
        }
}

/* user:password for a proxy URL: RFC 3986 userinfo, everything but the
 * unreserved characters percent-encoded (':' and '@' must not end it). */
static char *userinfo_escape(const char *s)
{
        static const char hex[] = "0123456789ABCDEF";
        char *out = vz_xmalloc(strlen(s) * 3 + 1), *o = out;
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                if (isalnum(*p) || strchr("-._~", *p))
                        *o++ = (char)*p;
                else {
                        *o++ = '%';
                        *o++ = hex[*p >> 4];
                        *o++ = hex[*p & 15];
                }
        }
        *o = '\0';
        return out;
}

/* HTTP_PROXY with HTTP_PROXY_USER/_PASSWORD as vztt takes them: the
 * credentials go into the proxy URL, the form libcurl reads. */
char *vz_compat_proxy_url(const char *proxy, const char *user, const char *password)
{
        const char *sep = proxy ? strstr(proxy, "://") : NULL;
        _cleanup_free_ char *u = NULL, *pw = NULL;
        if (!proxy || !*proxy)
                return NULL;
        if (!user || !*user || strchr(proxy, '@'))
                return vz_xstrdup(proxy);
        u = userinfo_escape(user);
        pw = password && *password ? userinfo_escape(password) : NULL;
        if (!sep)
                return vz_asprintf("%s%s%s@%s", u, pw ? ":" : "", pw ? pw : "", proxy);
        return vz_asprintf("%.*s%s%s%s@%s", (int)(sep + 3 - proxy), proxy, u, pw ? ":" : "", pw ? pw : "", sep + 3);
}

static void apply_proxy(struct vz_config *c, const struct vz_kv *kv, size_t n)
{
        const char *p = vz_kv_get(kv, n, "HTTP_PROXY");
        if (!p || !*p)
                return;
        free(c->proxy);
        c->proxy = vz_compat_proxy_url(p, vz_kv_get(kv, n, "HTTP_PROXY_USER"), vz_kv_get(kv, n, "HTTP_PROXY_PASSWORD"));
}

/* vz.conf: where vzctl keeps templates, locks and private areas. */
static void apply_vz_conf(struct vz_config *c, const struct vz_kv *kv, size_t n)
{
        take(&c->template_area, kv, n, "TEMPLATE");
        take(&c->lock_dir, kv, n, "LOCKDIR");
        take(&c->ve_private, kv, n, "VE_PRIVATE");
        apply_proxy(c, kv, n);
}

/* vztt.conf: proxy and metadata age; vztt's cache ARCHIVE (lz4, lzrw) is
 * about vztt's own caches and does not apply. */
static void apply_vztt_conf(struct vz_config *c, const char *path, const struct vz_kv *kv, size_t n)
{
        const char *v;
        long long secs;
        apply_proxy(c, kv, n);
        if ((v = vz_kv_get(kv, n, "METADATA_EXPIRE"))) {
                /* vztt: a number of seconds; anything else, a warning and the default */
                if (vz_parse_ll(v, vz_duration_units, vz_n_duration_units, 0, 3650LL * 86400, &secs) == 0)
                        c->metadata_expire = secs;
                else
                        vz_warn("%s: METADATA_EXPIRE=%s is not a number of seconds; ignored", path, v);
        }
        if ((v = vz_kv_get(kv, n, "VZTT_PROXY")) && *v)
                vz_warn("%s: VZTT_PROXY is not supported by vzpkg; set PROXY in vzpkg.conf (vzpkg.8)", path);
        if ((v = vz_kv_get(kv, n, "EXCLUDE")) && *v)
                vz_verbose("%s: EXCLUDE is not supported by vzpkg; ignored (vzpkg.8)", path);
}

void vz_compat_read_host(struct vz_config *c)
{
        const char *path = host_path("VZPKG_VZ_CONF", VZ_CONF);
        struct vz_kv *kv;
        size_t n;
        if (read_host_file(path, &kv, &n) > 0) {
                apply_vz_conf(c, kv, n);
                vz_kv_free(kv, n);
        }
        path = host_path("VZPKG_VZTT_CONF", VZTT_CONF);
        if (read_host_file(path, &kv, &n) > 0) {
                apply_vztt_conf(c, path, kv, n);
                vz_kv_free(kv, n);
        }
}

/* url.map's "$TOKEN URL" pairs, as variables below vzpkg.conf's own. */
int vz_compat_read_urlmap(const char *template_area, struct vz_kv **ret, size_t *ret_n)
{
        _cleanup_free_ char *path = vz_path_join(template_area, "conf/vztt/url.map");
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r;
        *ret = NULL;
        *ret_n = 0;
        if (access(path, F_OK) < 0)
                return 0;
        r = vz_read_file(path, &text, &len);
        if (r < 0 || len > HOST_FILE_MAX) {
                vz_warn("%s: cannot read (%s); ignored", path, r < 0 ? strerror(-r) : "too large");
                return 0;
        }
        return vz_urlmap_parse_buffer(text, len, ret, ret_n);
}

/* $YUM0 ... $YUM10 in repository URLs, from the environment as yum and dnf
 * take them (vztt leaves them to yum). */
void vz_compat_env_vars(struct vz_kv **kv, size_t *n)
{
        for (int i = 0; i <= 10; i++) {
                char name[16];
                const char *v;
                snprintf(name, sizeof(name), "YUM%d", i);
                if (!(v = getenv(name)))
                        continue;
                *kv = vz_xrealloc(*kv, (*n + 1) * sizeof(**kv));
                (*kv)[*n].key = vz_asprintf("$%s", name);
                (*kv)[*n].value = vz_xstrdup(v);
                (*n)++;
        }
}

/* templates/<tmpl>/timestamp as vztt writes it: local time, seconds. */
int vz_timestamp_format(long long t, char *buf, size_t size)
{
        time_t tt = (time_t)t;
        struct tm tm;
        if (t <= 0 || !localtime_r(&tt, &tm) || !strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm))
                return -EINVAL;
        return 0;
}

/* ploop keeps the container's files in an image (root.hdd/root.hds, with
 * DiskDescriptor.xml) that only a ploop-capable kernel can mount; vzpkg
 * works on directory private areas (simfs) only (vzpkg.8, BUGS). */
int vz_ct_check_format(const struct vz_ct *ct, struct vz_error *err)
{
        static const char *const marks[] = { "root.hdd", "DiskDescriptor.xml" };
        if (ct->priv_fd < 0)
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(marks); i++) {
                int fd = vz_at_open(ct->priv_fd, marks[i], O_PATH | O_NOFOLLOW | O_CLOEXEC, 0, VZ_AT_NOLINKS);
                if (fd >= 0) {
                        close(fd);
                        return vz_error_set(err, -VZ_E_FORMAT,
                                            "container %s: %s/%s: a ploop private area; vzpkg works on directory "
                                            "(simfs) private areas only",
                                            ct->id, ct->private_dir, marks[i]);
                }
        }
        return 0;
}
