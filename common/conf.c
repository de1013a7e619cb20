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

int vz_kv_parse_file(const char *path, struct vz_kv **ret, size_t *ret_n, struct vz_error *err)
{
        _cleanup_free_ char *data = NULL;
        struct vz_kv *kv = NULL;
        size_t n = 0;
        unsigned lineno = 0;
        char *save = NULL;
        int r = vz_read_file(path, &data, NULL);

        if (r < 0)
                return vz_error_set(err, r, "%s: cannot read: %s", path, strerror(-r));
        for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                lineno++;
                line = vz_strip(line);
                if (!*line || *line == '#')
                        continue;
                kv = vz_xrealloc(kv, (n + 1) * sizeof(*kv));
                if (parse_line(line, &kv[n]) < 0) {
                        vz_kv_free(kv, n);
                        return vz_error_set(err, -VZ_E_CONFIG,
                                            "%s: line %u: expected KEY=VALUE or $TOKEN VALUE; fix or remove the line",
                                            path, lineno);
                }
                n++;
        }
        *ret = kv;
        *ret_n = n;
        return 0;
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
