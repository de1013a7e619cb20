/* debscan.c: libsolv keeps neither Priority nor Essential from a Packages
 * file, yet a Debian base system is defined by them (the minbase set:
 * Essential: yes + Priority: required). This reads just those fields. */
#include "resolver.h"

#include <solv/solv_xfopen.h>
#include <solv/strpool.h>

/* apt's ranks: required 1, important 2, standard 3, optional 4, extra 5 */
static int priority_rank(const char *v)
{
        static const char *const names[] = { "required", "important", "standard", "optional", "extra" };
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (strcmp(v, names[i]) == 0)
                        return (int)i + 1;
        return 0;
}

/* The fields whose names apt's cache creates packages for, in the order it
 * parses them after the stanza's own name (debListParser::NewVersion). */
static const char *const dep_fields[] = { "Pre-Depends:", "Depends:", "Conflicts:", "Breaks:", "Recommends:",
                                          "Suggests:", "Replaces:", "Enhances:", "Provides:" };
#define N_DEP_FIELDS ELEMENTSOF(dep_fields)

struct stanza {
        char *pkg;
        bool essential;
        int rank;
        char *deps[N_DEP_FIELDS];
};

/* The names met, once each, as one "name\n..." text (tens of thousands:
 * no string vector). */
struct mentions {
        Stringpool seen;
        char *text;
        size_t len, cap;
};

static void mention(struct mentions *m, const char *name, size_t len)
{
        int before = m->seen.nstrings;
        if (!len)
                return;
        stringpool_strn2id(&m->seen, name, (unsigned int)len, 1);
        if (m->seen.nstrings == before)
                return;
        if (m->len + len + 2 > m->cap) {
                m->cap = (m->len + len + 2) * 2;
                m->text = realloc(m->text, m->cap);
                if (!m->text)
                        abort();
        }
        memcpy(m->text + m->len, name, len);
        m->len += len;
        m->text[m->len++] = '\n';
        m->text[m->len] = 0;
}

/* "a (>= 1) | b:any, c" -> a, b, c */
static void mention_deps(struct mentions *m, const char *v)
{
        while (*v) {
                size_t skip = strspn(v, " \t,|"), len;
                v += skip;
                len = strcspn(v, " \t,|(:[<");
                mention(m, v, len);
                v += len;
                v += strcspn(v, ",|");
        }
}

static void stanza_mentions(struct mentions *m, struct stanza *st)
{
        if (!m || !st->pkg)
                return;
        mention(m, st->pkg, strlen(st->pkg));
        for (size_t i = 0; i < N_DEP_FIELDS; i++)
                if (st->deps[i])
                        mention_deps(m, st->deps[i]);
}

static void stanza_done(char ***ess, char ***req, char ***ranks, struct mentions *m, struct stanza *st)
{
        stanza_mentions(m, st);
        for (size_t i = 0; i < N_DEP_FIELDS; i++)
                free(st->deps[i]);
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

static void field(struct stanza *st, const char *l)
{
        for (size_t i = 0; i < N_DEP_FIELDS; i++)
                if (vz_startswith(l, dep_fields[i])) {
                        free(st->deps[i]);
                        st->deps[i] = vz_xstrdup(vz_strip((char *)l + strlen(dep_fields[i])));
                }
}

int vz_deb_scan_fields(const char *packages_path, char ***ret_essential, char ***ret_required, char ***ret_ranks,
                       char **ret_mentions)
{
        FILE *f = solv_xfopen(packages_path, "r");
        int r;
        if (!f)
                return errno ? -errno : -EIO;
        r = vz_deb_scan_fields_stream(f, ret_essential, ret_required, ret_ranks, ret_mentions);
        fclose(f);
        return r;
}

int vz_deb_scan_fields_stream(FILE *f, char ***ret_essential, char ***ret_required, char ***ret_ranks,
                              char **ret_mentions)
{
        struct mentions m = { .text = NULL };
        char **ess, **req, **ranks = NULL;
        char *line = NULL;
        size_t cap = 0;
        struct stanza st = { 0 };

        if (ret_mentions) {
                stringpool_init_empty(&m.seen);
                m.text = vz_xstrdup("");
                m.cap = 1;
        }
        ess = vz_xmalloc(sizeof(char *));
        req = vz_xmalloc(sizeof(char *));
        if (ret_ranks)
                ranks = vz_xmalloc(sizeof(char *));
        while (getline(&line, &cap, f) >= 0) {
                char *l = vz_strip(line);
                if (!*l) {
                        stanza_done(&ess, &req, ret_ranks ? &ranks : NULL, ret_mentions ? &m : NULL, &st);
                } else if (vz_startswith(l, "Package:")) {
                        free(st.pkg);
                        st.pkg = vz_xstrdup(vz_strip(l + 8));
                } else if (vz_startswith(l, "Priority:")) {
                        st.rank = priority_rank(vz_strip(l + 9));
                } else if (vz_startswith(l, "Essential:")) {
                        st.essential = strcmp(vz_strip(l + 10), "yes") == 0;
                } else if (ret_mentions) {
                        field(&st, l);
                }
        }
        stanza_done(&ess, &req, ret_ranks ? &ranks : NULL, ret_mentions ? &m : NULL, &st);
        free(line);
        vz_strv_sort(ess);
        vz_strv_sort(req);
        *ret_essential = ess;
        *ret_required = req;
        if (ret_ranks)
                *ret_ranks = ranks;
        if (ret_mentions) {
                stringpool_free(&m.seen);
                *ret_mentions = m.text;
        }
        return 0;
}

int vz_deb_scan_base(const char *packages_path, char ***ret_essential, char ***ret_required)
{
        return vz_deb_scan_fields(packages_path, ret_essential, ret_required, NULL, NULL);
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
