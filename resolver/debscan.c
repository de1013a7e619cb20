/* debscan.c: libsolv keeps neither Priority nor Essential from a Packages
 * file, yet a Debian base system is defined by them (the minbase set:
 * Essential: yes + Priority: required). This reads just those fields. */
#include "resolver.h"

#include <solv/solv_xfopen.h>

static void stanza_done(char ***ess, char ***req, char **pkg, bool essential, bool required)
{
        if (*pkg && essential && !vz_strv_contains(*ess, *pkg))
                vz_strv_push(ess, *pkg);
        if (*pkg && required && !vz_strv_contains(*req, *pkg))
                vz_strv_push(req, *pkg);
        free(*pkg);
        *pkg = NULL;
}

int vz_deb_scan_base(const char *packages_path, char ***ret_essential, char ***ret_required)
{
        FILE *f = solv_xfopen(packages_path, "r");
        char **ess, **req;
        char *line = NULL, *pkg = NULL;
        size_t cap = 0;
        bool essential = false, required = false;

        if (!f)
                return errno ? -errno : -EIO;
        ess = vz_xmalloc(sizeof(char *));
        req = vz_xmalloc(sizeof(char *));
        while (getline(&line, &cap, f) >= 0) {
                char *l = vz_strip(line);
                if (!*l) {
                        stanza_done(&ess, &req, &pkg, essential, required);
                        essential = required = false;
                } else if (vz_startswith(l, "Package:")) {
                        free(pkg);
                        pkg = vz_xstrdup(vz_strip(l + 8));
                } else if (vz_startswith(l, "Priority:")) {
                        required = strcmp(vz_strip(l + 9), "required") == 0;
                } else if (vz_startswith(l, "Essential:")) {
                        essential = strcmp(vz_strip(l + 10), "yes") == 0;
                }
        }
        stanza_done(&ess, &req, &pkg, essential, required);
        free(line);
        fclose(f);
        vz_strv_sort(ess);
        vz_strv_sort(req);
        *ret_essential = ess;
        *ret_required = req;
        return 0;
}

int vz_deb_scan_sha256(const char *packages_path, char ***ret)
{
        FILE *f = solv_xfopen(packages_path, "r");
        char **sums, *line = NULL;
        size_t cap = 0;

        if (!f)
                return errno ? -errno : -EIO;
        sums = vz_xmalloc(sizeof(char *));
        while (getline(&line, &cap, f) >= 0)
                if (vz_startswith(line, "SHA256:"))
                        vz_strv_push(&sums, vz_strip(line + 7));
        free(line);
        fclose(f);
        *ret = sums;
        return 0;
}
