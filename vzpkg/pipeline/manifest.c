/* manifest.c: the package manifest inside the cache (templates/vzpackages,
 * " name arch version" lines, as vzctl tools read it) and the JSON manifest
 * beside it (packages with their SHA-256, repositories with their Release
 * dates). */
#include "context.h"
#include "pipeline.h"

#include <jansson.h>
#include <sys/stat.h>

int vz_manifest_write_vzpackages_at(int rootfd, const struct vz_pkglist *installed)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        int r;

        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < installed->n; i++)
                fprintf(f, " %s %s %s\n", installed->pkgs[i].name, installed->pkgs[i].arch,
                        installed->pkgs[i].version);
        fclose(f);
        /* in a container's root: no link on the way is followed (rootfd.c) */
        r = vz_at_mkdir_p(rootfd, "templates", 0755, VZ_AT_NOLINKS);
        if (r >= 0)
                r = vz_at_write_atomic(rootfd, "templates/vzpackages", buf, len, 0644, VZ_AT_NOLINKS);
        free(buf);
        return r;
}

int vz_manifest_write_vzpackages(const char *root, const struct vz_pkglist *installed)
{
        _cleanup_close_ int rfd = -1;
        int r = vz_root_open(root, &rfd);
        return r < 0 ? r : vz_manifest_write_vzpackages_at(rfd, installed);
}

char *vz_manifest_json_path(const struct vz_ctx *ctx, const char *name)
{
        return vz_asprintf("%s/%s.json", ctx->cfg.cache_dir, name);
}

static json_t *packages_json(struct vz_build *b, const struct vz_pkglist *l)
{
        json_t *arr = json_array();
        for (size_t i = 0; i < l->n; i++) {
                const struct vz_pkg *p = &l->pkgs[i];
                json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s}", "name", p->name, "arch",
                                                     p->arch, "version", p->version, "sha256", p->sha256,
                                                     "filename", p->filename, "size", (json_int_t)p->size,
                                                     "repository", b->session.repos[p->repo].urls[0]));
        }
        return arr;
}

static json_t *repos_json(struct vz_build *b)
{
        json_t *arr = json_array();
        for (size_t i = 0; i < b->session.n_repos; i++)
                json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "url", b->session.repos[i].urls[0], "suite",
                                                     b->session.repos[i].suite, "date", b->session.repos[i].date));
        return arr;
}

int vz_manifest_write_json(struct vz_build *b, const struct vz_pkglist *resolved, const char *cache_path,
                           const char *cache_sha256, const char *json_path, struct vz_error *err)
{
        char hex[65];
        json_t *root;
        char *text;
        int r = 0;

        if (cache_sha256)
                snprintf(hex, sizeof(hex), "%s", cache_sha256);
        else
                r = vz_sha256_file(cache_path, hex);

        if (r < 0)
                return vz_error_set(err, r, "cache %s: %s", cache_path, strerror(-r));
        root = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}", "template", vz_template_name(b->tmpl), "cache",
                         cache_path, "cache_sha256", hex, "package_manager", vz_template_package_manager(b->tmpl),
                         "packages", packages_json(b, resolved), "repositories", repos_json(b));
        if (b->cache_name && b->apps) {  /* an appcache: its name and apps too */
                json_t *apps = json_array();
                for (char *const *a = b->apps; *a; a++)
                        json_array_append_new(apps, json_string(*a));
                json_object_set_new(root, "appcache", json_string(b->cache_name));
                json_object_set_new(root, "apps", apps);
        }
        text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
        json_decref(root);
        if (!text)
                return vz_error_set(err, -ENOMEM, "cache %s: cannot render the JSON manifest", cache_path);
        r = vz_write_file_atomic(json_path, text, strlen(text), 0644);
        free(text);
        if (r < 0)
                return vz_error_set(err, r, "cache manifest %s: %s", json_path, strerror(-r));
        return 0;
}
