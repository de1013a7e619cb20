/* conf.c: vz.conf-style KEY=VALUE files and url.map "$TOKEN value" lines. */
#include "common.h"

#include <ctype.h>

static char *unquote(char *v)
{
        size_t n = strlen(v);
        if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
                v[n - 1] = '\0';
                return v + 1;
        }
        return v;
}

/* KEY of KEY=VALUE: a shell variable name. A "$TOKEN value" key is
 * url.map's: any printable text without blanks or quotes after the '$'
 * (vztt's shipped url.map has "$SUSE_SERVER/pub/opensuse"), replaced
 * literally wherever it occurs. */
static bool valid_key(const char *k)
{
        bool token = *k == '$';
        if (token)
                k++;
        if (!*k)
                return false;
        for (; *k; k++) {
                if (token ? !isgraph((unsigned char)*k) || *k == '"' || *k == '\'' || *k == '$'
                          : !isalnum((unsigned char)*k) && *k != '_')
                        return false;
        }
        return true;
}

static int parse_line(char *line, struct vz_kv *kv)
{
        char *sep;
        if (line[0] == '$') {
                sep = line + strcspn(line, " \t");
                if (!*sep)
                        return -EINVAL;
                *sep++ = '\0';
        } else {
                sep = strchr(line, '=');
                if (!sep)
                        return -EINVAL;
                *sep++ = '\0';
        }
        line = vz_strip(line);
        if (!valid_key(line))
                return -EINVAL;
        kv->key = vz_xstrdup(line);
        kv->value = vz_xstrdup(unquote(vz_strip(sep)));
        return 0;
}

/* The parser works on a copy of the text: callers may pass a buffer that
 * is not NUL-terminated (the fuzz targets do), and a NUL byte inside a
 * line ends that line's text, never the parse. */
int vz_kv_parse_buffer(const char *buf, size_t len, const char *name, struct vz_kv **ret, size_t *ret_n,
                       struct vz_error *err)
{
        _cleanup_free_ char *data = vz_xmalloc(len + 1);
        struct vz_kv *kv = NULL;
        size_t n = 0;
        unsigned lineno = 0;

        memcpy(data, buf, len);
        data[len] = '\0';
        for (char *p = data, *end = data + len; p < end;) {
                char *nl = memchr(p, '\n', (size_t)(end - p)), *line = p;
                if (nl)
                        *nl = '\0';
                p = nl ? nl + 1 : end;
                lineno++;
                line = vz_strip(line);
                if (!*line || *line == '#')
                        continue;
                kv = vz_xrealloc(kv, (n + 1) * sizeof(*kv));
                if (parse_line(line, &kv[n]) < 0) {
                        vz_kv_free(kv, n);
                        return vz_error_set(err, -VZ_E_CONFIG,
                                            "%s: line %u: expected KEY=VALUE or $TOKEN VALUE; fix or remove the line",
                                            name, lineno);
                }
                n++;
        }
        *ret = kv;
        *ret_n = n;
        return 0;
}

int vz_kv_parse_file(const char *path, struct vz_kv **ret, size_t *ret_n, struct vz_error *err)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r = vz_read_file(path, &data, &len);

        if (r < 0)
                return vz_error_set(err, r, "%s: cannot read: %s", path, strerror(-r));
        return vz_kv_parse_buffer(data, len, path, ret, ret_n, err);
}

void vz_kv_free(struct vz_kv *kv, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(kv[i].key);
                free(kv[i].value);
        }
        free(kv);
}

const char *vz_kv_get(const struct vz_kv *kv, size_t n, const char *key)
{
        const char *v = NULL;
        for (size_t i = 0; i < n; i++)   /* last one wins, as in shell */
                if (strcmp(kv[i].key, key) == 0)
                        v = kv[i].value;
        return v;
}

/* strtoll alone accepts " -5", "+5" and silently clamps on overflow; a
 * config value is digits, at most one unit, and must fit after scaling. */
int vz_parse_ll(const char *s, const struct vz_unit *units, size_t n_units, long long min, long long max,
                long long *ret)
{
        long long n, mul = 1;
        char *end = NULL;

        if (!s || !isdigit((unsigned char)*s))
                return -EINVAL;
        errno = 0;
        n = strtoll(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        if (errno || end == s)
                return -EINVAL;
        if (*end) {
                size_t i;
                for (i = 0; i < n_units && units[i].suffix != *end; i++)
                        ;
                if (i == n_units || end[1])
                        return -EINVAL;
                mul = units[i].mul;
        }
        if (__builtin_mul_overflow(n, mul, &n))
                return -ERANGE;
        if (n < min || n > max)
                return -ERANGE;
        *ret = n;
        return 0;
}

const struct vz_unit vz_size_units[] = {
        { 'K', 1LL << 10 }, { 'k', 1LL << 10 }, { 'M', 1LL << 20 }, { 'm', 1LL << 20 },
        { 'G', 1LL << 30 }, { 'g', 1LL << 30 }, { 'T', 1LL << 40 }, { 't', 1LL << 40 },
};
const size_t vz_n_size_units = ELEMENTSOF(vz_size_units);
const struct vz_unit vz_duration_units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 } };
const size_t vz_n_duration_units = ELEMENTSOF(vz_duration_units);

/* ---- vztt's files: read as vztt reads them ------------------------------- */

static void kv_push(struct vz_kv **kv, size_t *n, const char *key, const char *value)
{
        *kv = vz_xrealloc(*kv, (*n + 1) * sizeof(**kv));
        (*kv)[*n].key = vz_xstrdup(key);
        (*kv)[*n].value = vz_xstrdup(value);
        (*n)++;
}

/* One line of url.map: the first word, then the rest of the line (blanks
 * around it and one trailing '"' dropped), as vztt splits it. */
static bool urlmap_line(char *line, char **ret_key, char **ret_value)
{
        char *key = vz_strip(line), *v;
        size_t n;
        if (!*key || *key == '#')
                return false;
        v = key + strcspn(key, " \t");
        if (!*v)
                return false;
        *v++ = '\0';
        v = vz_strip(v);
        n = strlen(v);
        if (n && v[n - 1] == '"')
                v[--n] = '\0';
        v = vz_strip(v);
        if (!*v || !valid_key(key) || *key != '$')
                return false;  /* vzpkg expands "$TOKEN"s only (vzpkg.8) */
        *ret_key = key;
        *ret_value = v;
        return true;
}

int vz_urlmap_parse_buffer(const char *buf, size_t len, struct vz_kv **ret, size_t *ret_n)
{
        _cleanup_free_ char *data = vz_xmalloc(len + 1);
        struct vz_kv *kv = NULL;
        size_t n = 0;

        memcpy(data, buf, len);
        data[len] = '\0';
        for (char *p = data, *end = data + len; p < end;) {
                char *nl = memchr(p, '\n', (size_t)(end - p)), *line = p, *k, *v;
                if (nl)
                        *nl = '\0';
                p = nl ? nl + 1 : end;
                if (urlmap_line(line, &k, &v))
                        kv_push(&kv, &n, k, v);
        }
        *ret = kv;
        *ret_n = n;
        return 0;
}

/* vz.conf and vztt.conf belong to vzctl and vztt: a line vzpkg cannot read
 * is skipped, as their own readers skip it, instead of failing every
 * command. Each line is parsed alone; *ret_bad counts the skipped. */
int vz_kv_parse_lenient(const char *buf, size_t len, struct vz_kv **ret, size_t *ret_n, size_t *ret_bad)
{
        struct vz_kv *kv = NULL;
        size_t n = 0, bad = 0;

        for (const char *p = buf, *end = buf + len; p < end;) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
                struct vz_kv *one = NULL;
                size_t m = 0;
                if (vz_kv_parse_buffer(p, l, "", &one, &m, NULL) < 0 || (m == 1 && one[0].key[0] == '$'))
                        bad += l > 0;
                else if (m == 1)
                        kv_push(&kv, &n, one[0].key, one[0].value);
                vz_kv_free(one, m);
                p = nl ? nl + 1 : end;
        }
        *ret = kv;
        *ret_n = n;
        if (ret_bad)
                *ret_bad = bad;
        return 0;
}
