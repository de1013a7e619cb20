/* aptsources.c: the host's Debian mirror, from its apt sources (deb822
 * *.sources and one-line *.list). vzpkg never writes a mirror into the
 * repository: by default the templates' $DEBIAN_MIRROR and
 * $DEBIAN_SECURITY_MIRROR come from here. */
#include "context.h"

#include <dirent.h>

struct found {
        char *mirror, *security;
};

static void consider(struct found *f, const char *uri, const char *suite)
{
        if (!uri || !suite || !vz_startswith(uri, "http"))
                return;
        bool security = vz_endswith(suite, "-security") || vz_endswith(suite, "/updates");
        char **slot = security ? &f->security : &f->mirror;
        if (!*slot)
                *slot = vz_xstrdup(uri);
}

static void parse_deb822(struct found *f, const char *path)
{
        _cleanup_free_ char *data = NULL;
        if (vz_read_file(path, &data, NULL) < 0)
                return;
        /* Stanzas are separated by blank lines; only Types: deb stanzas count. */
        char *stanza = data;
        while (stanza && *stanza) {
                char *end = strstr(stanza, "\n\n");
                if (end)
                        *end = '\0';
                _cleanup_free_ char *uris = NULL, *suites = NULL;
                bool deb = false, enabled = true;
                char *save = NULL;
                for (char *l = strtok_r(stanza, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                        if (l[0] == '#')
                                continue;
                        if (vz_startswith(l, "Types:"))
                                deb = strstr(l, "deb") && (strstr(l, "deb ") || vz_endswith(l, "deb"));
                        else if (vz_startswith(l, "URIs:"))
                                uris = vz_xstrdup(vz_strip(l + 5));
                        else if (vz_startswith(l, "Suites:"))
                                suites = vz_xstrdup(vz_strip(l + 7));
                        else if (vz_startswith(l, "Enabled:"))
                                enabled = !strstr(l, "no");
                }
                if (deb && enabled && uris && suites) {
                        _cleanup_strv_ char **u = vz_strv_split(uris, " \t");
                        _cleanup_strv_ char **s = vz_strv_split(suites, " \t");
                        for (char **x = s; *x; x++)
                                consider(f, u[0], *x);
                }
                stanza = end ? end + 2 : NULL;
        }
}

static void parse_list(struct found *f, const char *path)
{
        _cleanup_strv_ char **lines = NULL;
        if (vz_read_lines(path, &lines) < 0)
                return;
        for (char **l = lines; *l; l++) {
                _cleanup_strv_ char **w = vz_strv_split(*l, " \t");
                char **p = w;
                if (!p[0] || strcmp(p[0], "deb") != 0)
                        continue;
                p++;
                if (*p && (*p)[0] == '[')  /* options: [arch=amd64 signed-by=...] */
                        while (*p && !vz_endswith(*p, "]"))
                                p++;
                if (*p && (*p)[0] == '[' ? false : (*p && vz_endswith(*p, "]")))
                        p++;
                if (p[0] && p[1])
                        consider(f, p[0], p[1]);
        }
}

int vz_apt_host_mirrors(const char *etc_apt, char **ret_mirror, char **ret_security)
{
        struct found f = { 0 };
        _cleanup_free_ char *list = vz_path_join(etc_apt, "sources.list");
        _cleanup_free_ char *dir = vz_path_join(etc_apt, "sources.list.d");
        struct dirent **ents = NULL;
        int n;

        parse_list(&f, list);
        n = scandir(dir, &ents, NULL, alphasort);
        for (int i = 0; i < n; i++) {
                _cleanup_free_ char *p = vz_path_join(dir, ents[i]->d_name);
                if (vz_endswith(p, ".sources"))
                        parse_deb822(&f, p);
                else if (vz_endswith(p, ".list"))
                        parse_list(&f, p);
                free(ents[i]);
        }
        free(ents);
        if (!f.mirror) {
                free(f.security);
                return -ENOENT;
        }
        if (!f.security) {
                /* The archive's convention: .../debian -> .../debian-security */
                size_t l = strlen(f.mirror);
                while (l && f.mirror[l - 1] == '/')
                        l--;
                f.security = vz_asprintf("%.*s-security", (int)l, f.mirror);
        }
        *ret_mirror = f.mirror;
        *ret_security = f.security;
        return 0;
}
