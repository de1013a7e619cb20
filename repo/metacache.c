/* metacache.c: the metadata cache: where a repository's signed index
 * files are kept, its lock, and whether to ask the repository again
 * (METADATA_EXPIRE, -C); the replay and Valid-Until rules. The time of
 * the last successful check is the mtime of a stamp file beside them.
 * What a server sends replaces the cached files only once it is accepted:
 * the previous ones are kept as hard links until then (vz_repo_keep). */
#include "repo-internal.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

char *vz_repo_metadir(const char *metadata_cache, const char *family, const char *url, const char *suite)
{
        _cleanup_free_ char *id = suite ? vz_asprintf("%s_%s", url, suite) : vz_xstrdup(url);
        char *dir;
        for (char *p = id; *p; p++)
                if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
                        *p = '_';
        dir = vz_asprintf("%s/%s/%s", metadata_cache, family, id);
        (void)vz_mkdir_p(dir, 0755);  /* a failure shows when files are written there, naming them */
        return dir;
}

char *vz_repo_byhash(const char *metadata_cache, const char *sha256, const char *ext)
{
        return vz_asprintf("%s/by-hash/%s%s", metadata_cache, sha256, ext ? ext : "");
}

/* Two runs must not write the same signed files at once. */
int vz_repo_lock(const struct vz_repo_opts *o, int *ret_fd, struct vz_error *err)
{
        _cleanup_free_ char *lockpath = vz_path_join(o->metadata_cache, ".lock");
        int r = vz_mkdir_p(o->metadata_cache, 0755);
        if (r < 0)
                return vz_error_set(err, r, "metadata cache %s: cannot make it: %s", o->metadata_cache, vz_strerror(r));
        r = vz_lock(lockpath, LOCK_EX, true, ret_fd);
        if (r < 0)
                return vz_error_set(err, r, "metadata cache %s: %s", lockpath, vz_strerror(r));
        return 0;
}

void vz_repo_note(const struct vz_session *s, const char *fmt, ...)
{
        _cleanup_free_ char *text = NULL;
        va_list ap;
        if (!s->opts.note)
                return;
        va_start(ap, fmt);
        if (vasprintf(&text, fmt, ap) < 0)
                text = NULL;
        va_end(ap);
        if (text)
                s->opts.note(s->opts.userdata, text);
}

int vz_repo_use_cached(const struct vz_session *s, const char *metadir, bool have_files, const char *label,
                       const char *what, struct vz_error *err)
{
        _cleanup_free_ char *stamp = vz_path_join(metadir, ".checked");
        struct stat st;
        if (s->metadata_loaded && have_files)
                return 1;  /* read once in this run already */
        if (s->opts.cache_only) {
                if (have_files)
                        return 1;
                return vz_error_set(err, -VZ_E_DOWNLOAD,
                                    "repository %s: no cached metadata and -C forbids the network; run 'vzpkg update metadata %s' first",
                                    label, what);
        }
        if (s->meta_mode == VZ_META_REFRESH || !have_files || stat(stamp, &st) < 0)
                return 0;
        return (long long)time(NULL) - (long long)st.st_mtime < s->opts.expire;
}

/* Only the stamp's mtime counts, and losing it in a crash only has the
 * repository asked again: touched in place, without the fsync and rename of
 * a published file (10 to 40 ms on a busy disk, per build). */
void vz_repo_mark_checked(const char *metadir)
{
        _cleanup_free_ char *stamp = vz_path_join(metadir, ".checked");
        _cleanup_close_ int fd = open(stamp, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644);
        if (fd >= 0)
                (void)futimens(fd, NULL);
}

/* <name>.prev beside <name>, and the same for <name>.etag. */
static void for_kept(const struct vz_session *s, const char *metadir, const char *const *names,
                     void (*fn)(const struct vz_session *, const char *, const char *))
{
        for (const char *const *n = names; *n; n++) {
                static const char *const suffixes[] = { "", ".etag" };
                for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
                        _cleanup_free_ char *p = vz_asprintf("%s/%s%s", metadir, *n, suffixes[i]);
                        _cleanup_free_ char *prev = vz_asprintf("%s.prev", p);
                        fn(s, p, prev);
                }
        }
}

static void keep_one(const struct vz_session *s, const char *path, const char *prev)
{
        unlink(prev);
        if (link(path, prev) < 0 && errno != ENOENT && vz_copy_file(path, prev, 0644) < 0)
                vz_repo_note(s, "%s: cannot keep a copy: %s", path, strerror(errno));
}

static void restore_one(const struct vz_session *s, const char *path, const char *prev)
{
        /* rename() of two links to one inode does nothing: unlink after. */
        if (rename(prev, path) < 0 && errno == ENOENT)
                unlink(path);  /* there was none before */
        unlink(prev);
}

static void drop_one(const struct vz_session *s, const char *path, const char *prev)
{
        (void)s;
        (void)path;
        unlink(prev);
}

void vz_repo_keep(const struct vz_session *s, const char *metadir, const char *const *names)
{
        for_kept(s, metadir, names, keep_one);
}

void vz_repo_restore(const char *metadir, const char *const *names)
{
        for_kept(NULL, metadir, names, restore_one);
}

void vz_repo_drop_kept(const char *metadir, const char *const *names)
{
        for_kept(NULL, metadir, names, drop_one);
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

int vz_repo_check_valid_until(bool check, long long until, long long now, const char *until_shown,
                              const char *label, struct vz_error *err)
{
        if (!check || until < 0 || until >= now)
                return 0;
        return vz_error_set(err, -VZ_E_SIGNATURE,
                            "%s: expired (Valid-Until %s); the mirror is stale or replaying old metadata "
                            "(CHECK_VALID_UNTIL=no in vzpkg.conf to accept it)",
                            label, until_shown);
}

void vz_repo_record(struct vz_session *s, size_t i, char *const *urls, const char *suite, const char *date,
                    long long date_epoch)
{
        s->repos[i].urls = vz_xmalloc(sizeof(char *));
        for (char *const *u = urls; *u; u++)
                vz_strv_push(&s->repos[i].urls, *u);
        s->repos[i].suite = vz_xstrdup(suite);
        s->repos[i].date = vz_xstrdup(date ? date : "");
        s->repos[i].date_epoch = date_epoch;
}
