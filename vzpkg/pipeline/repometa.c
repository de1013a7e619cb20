/* repometa.c: where a repository's signed index files are kept, and
 * whether to ask the repository again (METADATA_EXPIRE, -C). The time of
 * the last successful check is the mtime of a stamp file beside them.
 * What a server sends replaces the cached files only once it is accepted:
 * the previous ones are kept as hard links until then (vz_repo_keep). */
#include "context.h"
#include "pipeline.h"

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

/* <name>.prev beside <name>, and the same for <name>.etag. */
static void for_kept(const char *metadir, const char *const *names, void (*fn)(const char *, const char *))
{
        for (const char *const *n = names; *n; n++) {
                static const char *const suffixes[] = { "", ".etag" };
                for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
                        _cleanup_free_ char *p = vz_asprintf("%s/%s%s", metadir, *n, suffixes[i]);
                        _cleanup_free_ char *prev = vz_asprintf("%s.prev", p);
                        fn(p, prev);
                }
        }
}

static void keep_one(const char *path, const char *prev)
{
        unlink(prev);
        if (link(path, prev) < 0 && errno != ENOENT && vz_copy_file(path, prev, 0644) < 0)
                vz_verbose("%s: cannot keep a copy: %m", path);
}

static void restore_one(const char *path, const char *prev)
{
        /* rename() of two links to one inode does nothing: unlink after. */
        if (rename(prev, path) < 0 && errno == ENOENT)
                unlink(path);  /* there was none before */
        unlink(prev);
}

static void drop_one(const char *path, const char *prev)
{
        (void)path;
        unlink(prev);
}

void vz_repo_keep(const char *metadir, const char *const *names)
{
        for_kept(metadir, names, keep_one);
}

void vz_repo_restore(const char *metadir, const char *const *names)
{
        for_kept(metadir, names, restore_one);
}

void vz_repo_drop_kept(const char *metadir, const char *const *names)
{
        for_kept(metadir, names, drop_one);
}

static void show_time(long long t, char *buf, size_t len)
{
        time_t tt = (time_t)t;
        struct tm tm;
        if (t < 0 || !gmtime_r(&tt, &tm) || strftime(buf, len, "%a, %d %b %Y %H:%M:%S UTC", &tm) == 0)
                snprintf(buf, len, "(none)");
}

int vz_repo_check_replay(const char *label, const char *what, long long old_stamp, const char *old_shown,
                         long long new_stamp, const char *new_shown, struct vz_error *err)
{
        char o[64], n[64];
        /* Unknown on either side: nothing to compare (first fetch, no Date). */
        if (old_stamp < 0 || new_stamp < 0 || new_stamp >= old_stamp)
                return 0;
        show_time(old_stamp, o, sizeof(o));
        show_time(new_stamp, n, sizeof(n));
        return vz_error_set(err, -VZ_E_SIGNATURE,
                            "repository %s: refused as a replay: the %s served is dated %s, older than the one accepted before (%s); "
                            "a stale mirror or an attacker serves old metadata, the cached one is kept",
                            label, what, new_shown ? new_shown : n, old_shown ? old_shown : o);
}
