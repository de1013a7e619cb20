/* vars.c: url.map-style "$TOKEN" expansion by plain substring replacement,
 * longest token first so $MIRROR never eats the prefix of $MIRROR_SEC. */
#include "metadata.h"

#include <ctype.h>
#include <sys/utsname.h>

static const char *const package_manager_vars[] = { "$releasever", "$basearch", "$arch" };

static int cmp_len_desc(const void *a, const void *b)
{
        const struct vz_kv *x = *(const struct vz_kv *const *)a, *y = *(const struct vz_kv *const *)b;
        size_t lx = strlen(x->key), ly = strlen(y->key);
        return lx < ly ? 1 : lx > ly ? -1 : 0;
}

static char *replace_all(const char *s, const char *token, const char *value)
{
        size_t tl = strlen(token);
        char *out = vz_xstrdup("");
        const char *p;
        while ((p = strstr(s, token))) {
                char *n = vz_asprintf("%s%.*s%s", out, (int)(p - s), s, value);
                free(out);
                out = n;
                s = p + tl;
        }
        char *n = vz_asprintf("%s%s", out, s);
        free(out);
        return n;
}

static bool is_package_manager_var(const char *p)
{
        for (size_t i = 0; i < ELEMENTSOF(package_manager_vars); i++) {
                size_t l = strlen(package_manager_vars[i]);
                if (strncmp(p, package_manager_vars[i], l) == 0 && !isalnum((unsigned char)p[l]) && p[l] != '_')
                        return true;
        }
        return false;
}

int vz_vars_expand(const struct vz_vars *vars, const char *s, const char *where, char **ret,
                   struct vz_error *err)
{
        size_t n = vars ? vars->n : 0;
        _cleanup_free_ const struct vz_kv **sorted = vz_xmalloc((n + 1) * sizeof(*sorted));
        char *out = vz_xstrdup(s);

        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
                bool overridden = false;  /* a later definition wins */
                for (size_t j = i + 1; j < n && !overridden; j++)
                        overridden = strcmp(vars->kv[i].key, vars->kv[j].key) == 0;
                if (!overridden)
                        sorted[m++] = &vars->kv[i];
        }
        n = m;
        qsort(sorted, n, sizeof(*sorted), cmp_len_desc);
        for (size_t i = 0; i < n; i++) {
                if (sorted[i]->key[0] != '$')
                        continue;
                char *x = replace_all(out, sorted[i]->key, sorted[i]->value);
                free(out);
                out = x;
        }
        for (const char *p = strchr(out, '$'); p; p = strchr(p + 1, '$')) {
                if (is_package_manager_var(p))
                        continue;
                int len = 1;
                while (isalnum((unsigned char)p[len]) || p[len] == '_')
                        len++;
                int r = vz_error_set(err, -VZ_E_UNCONFIGURED,
                                     "%s: unknown variable %.*s; define it in vzpkg.conf as \"%.*s URL\"",
                                     where, len, p, len, p);
                free(out);
                return r;
        }
        *ret = out;
        return 0;
}

const char *vz_arch_to_debian(const char *arch)
{
        static const char *const map[][2] = {
                { "x86_64", "amd64" }, { "aarch64", "arm64" }, { "i386", "i386" },
                { "i686", "i386" },    { "ppc64le", "ppc64el" }, { "s390x", "s390x" },
        };
        for (size_t i = 0; i < ELEMENTSOF(map); i++)
                if (strcmp(arch, map[i][0]) == 0)
                        return map[i][1];
        return arch;
}

const char *vz_host_arch(void)
{
        static struct utsname u;
        if (!u.machine[0] && uname(&u) < 0)
                return "x86_64";
        return u.machine;
}
