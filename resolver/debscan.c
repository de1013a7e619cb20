/* debscan.c: libsolv keeps neither Priority nor Essential from a Packages
 * file, yet a Debian base system is defined by them (the minbase set:
 * Essential: yes + Priority: required). This reads just those fields. */
#include "resolver.h"

#include <solv/solv_xfopen.h>

/* apt's ranks: required 1, important 2, standard 3, optional 4, extra 5 */
static int priority_rank(const char *v)
{
        static const char *const names[] = { "required", "important", "standard", "optional", "extra" };
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (strcmp(v, names[i]) == 0)
                        return (int)i + 1;
        return 0;
}

struct stanza {
        char *pkg;
        bool essential;
        int rank;
};

static void stanza_done(char ***ess, char ***req, char ***ranks, struct stanza *st)
{
        if (st->pkg && st->essential && !vz_strv_contains(*ess, st->pkg))
                vz_strv_push(ess, st->pkg);
        if (st->pkg && st->rank == 1 && !vz_strv_contains(*req, st->pkg))
                vz_strv_push(req, st->pkg);
        /* optional is apt's default: only the others are kept */
        if (st->pkg && ranks && st->rank && st->rank != 4) {
                _cleanup_free_ char *x = vz_asprintf("%s %d", st->pkg, st->rank);
                if (!vz_strv_contains(*ranks, x))
                        vz_strv_push(ranks, x);
        }
        free(st->pkg);
        *st = (struct stanza){ 0 };
}

int vz_deb_scan_fields(const char *packages_path, char ***ret_essential, char ***ret_required, char ***ret_ranks)
{
        FILE *f = solv_xfopen(packages_path, "r");
        char **ess, **req, **ranks = NULL;
        char *line = NULL;
        size_t cap = 0;
        struct stanza st = { 0 };

        if (!f)
                return errno ? -errno : -EIO;
        ess = vz_xmalloc(sizeof(char *));
        req = vz_xmalloc(sizeof(char *));
        if (ret_ranks)
                ranks = vz_xmalloc(sizeof(char *));
        while (getline(&line, &cap, f) >= 0) {
                char *l = vz_strip(line);
                if (!*l) {
                        stanza_done(&ess, &req, ret_ranks ? &ranks : NULL, &st);
                } else if (vz_startswith(l, "Package:")) {
                        free(st.pkg);
                        st.pkg = vz_xstrdup(vz_strip(l + 8));
                } else if (vz_startswith(l, "Priority:")) {
                        st.rank = priority_rank(vz_strip(l + 9));
                } else if (vz_startswith(l, "Essential:")) {
                        st.essential = strcmp(vz_strip(l + 10), "yes") == 0;
                }
        }
        stanza_done(&ess, &req, ret_ranks ? &ranks : NULL, &st);
        free(line);
        fclose(f);
        vz_strv_sort(ess);
        vz_strv_sort(req);
        *ret_essential = ess;
        *ret_required = req;
        if (ret_ranks)
                *ret_ranks = ranks;
        return 0;
}

int vz_deb_scan_base(const char *packages_path, char ***ret_essential, char ***ret_required)
{
        return vz_deb_scan_fields(packages_path, ret_essential, ret_required, NULL);
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
