/* release.c: the parts of a Debian Release file vzpkg trusts after the
 * signature check: Date, Valid-Until and the SHA256 index of its files. */
#include "repo-internal.h"

#include <time.h>

struct entry {
        char *path, *sha256;
        long long size;
};

struct vz_release {
        struct vz_kv *fields;
        size_t n_fields;
        struct entry *entries;
        size_t n_entries;
};

static void add_field(struct vz_release *r, const char *key, size_t klen, const char *value)
{
        r->fields = vz_xrealloc(r->fields, (r->n_fields + 1) * sizeof(*r->fields));
        r->fields[r->n_fields].key = strndup(key, klen);
        r->fields[r->n_fields].value = vz_xstrdup(value);
        r->n_fields++;
}

static void add_entry(struct vz_release *r, const char *line)
{
        char sha[65], path[1024];
        long long size;
        if (sscanf(line, " %64s %lld %1023s", sha, &size, path) != 3 || strlen(sha) != 64)
                return;
        r->entries = vz_xrealloc(r->entries, (r->n_entries + 1) * sizeof(*r->entries));
        r->entries[r->n_entries++] = (struct entry){ vz_xstrdup(path), vz_xstrdup(sha), size };
}

int vz_release_parse(const char *text, struct vz_release **ret)
{
        struct vz_release *r = vz_xmalloc(sizeof(*r));
        _cleanup_free_ char *copy = vz_xstrdup(text);
        bool in_sha256 = false;
        char *save = NULL;

        for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                if (l[0] == ' ') {
                        if (in_sha256)
                                add_entry(r, l);
                        continue;
                }
                char *colon = strchr(l, ':');
                if (!colon)
                        continue;
                in_sha256 = strncmp(l, "SHA256:", 7) == 0;
                add_field(r, l, (size_t)(colon - l), vz_strip(colon + 1));
        }
        if (r->n_entries == 0) {
                vz_release_free(r);
                return -EBADMSG;
        }
        *ret = r;
        return 0;
}

void vz_release_free(struct vz_release *r)
{
        if (!r)
                return;
        vz_kv_free(r->fields, r->n_fields);
        for (size_t i = 0; i < r->n_entries; i++) {
                free(r->entries[i].path);
                free(r->entries[i].sha256);
        }
        free(r->entries);
        free(r);
}

const char *vz_release_field(const struct vz_release *r, const char *field)
{
        return vz_kv_get(r->fields, r->n_fields, field);
}

int vz_release_lookup(const struct vz_release *r, const char *path, const char **ret_sha256,
                      long long *ret_size)
{
        for (size_t i = 0; i < r->n_entries; i++)
                if (strcmp(r->entries[i].path, path) == 0) {
                        *ret_sha256 = r->entries[i].sha256;
                        *ret_size = r->entries[i].size;
                        return 0;
                }
        return -ENOENT;
}

long long vz_release_time(const struct vz_release *r, const char *field)
{
        const char *v = vz_release_field(r, field);
        struct tm tm = { 0 };
        char *end;
        if (!v)
                return -1;
        /* RFC 2822 in UTC, as the archive writes it: "Sat, 11 Jul 2026 10:16:37 UTC" */
        end = strptime(v, "%a, %d %b %Y %H:%M:%S", &tm);
        if (!end)
                return -1;
        return (long long)timegm(&tm);
}
