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

static bool valid_key(const char *k)
{
        if (*k == '$')
                k++;
        if (!*k)
                return false;
        for (; *k; k++)
                if (!isalnum((unsigned char)*k) && *k != '_')
                        return false;
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
