/* repometa.c: where a repository's signed index files are kept, and
 * whether to ask the repository again (METADATA_EXPIRE, -C). The time of
 * the last successful check is the mtime of a stamp file beside them. */
#include "vzpkg.h"

#include <ctype.h>
#include <sys/stat.h>
#include <time.h>

char *vz_repo_metadir(struct vz_build *b, const char *family, const char *url, const char *suite)
{
        _cleanup_free_ char *id = suite ? vz_asprintf("%s_%s", url, suite) : vz_xstrdup(url);
        char *dir;
        for (char *p = id; *p; p++)
                if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
                        *p = '_';
        dir = vz_asprintf("%s/%s/%s", b->ctx->cfg.metadata_cache, family, id);
        vz_mkdir_p(dir, 0755);
        return dir;
}

int vz_repo_use_cached(struct vz_build *b, const char *metadir, bool have_files, const char *label,
                       struct vz_error *err)
{
        _cleanup_free_ char *stamp = vz_path_join(metadir, ".checked");
        struct stat st;
        if (b->metadata_loaded && have_files)
                return 1;  /* read once in this run already */
        if (b->ctx->cache_only) {
                if (have_files)
                        return 1;
                return vz_error_set(err, -VZ_E_DOWNLOAD,
                                    "repository %s: no cached metadata and -C forbids the network; run 'vzpkg update metadata %s' first",
                                    label, vz_template_name(b->tmpl));
        }
        if (b->meta_mode == VZ_META_REFRESH || !have_files || stat(stamp, &st) < 0)
                return 0;
        return (long long)time(NULL) - (long long)st.st_mtime < b->ctx->cfg.metadata_expire;
}

void vz_repo_mark_checked(const char *metadir)
{
        _cleanup_free_ char *stamp = vz_path_join(metadir, ".checked");
        vz_write_file_atomic(stamp, "", 0, 0644);
}
