/* extract.c: unpack a .deb's data.tar into a root directory with
 * libarchive's secure extraction flags. A .deb is an ar archive; its
 * data.tar.* member is read as a second archive streamed from the first.
 * Entry paths are resolved here first, as dpkg sees them in a chroot: a
 * symlink the root already has to a directory is followed (./bin/sh lands in
 * usr/bin when bin -> usr/bin), never out of the root, and never through a
 * symlink the same package ships; libarchive then writes a path with no
 * symlink left in it. */
#include "cache.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

#define MAX_ENTRIES 500000  /* a package with more files than this is not a package */

static void read_freep(struct archive **a) { if (*a) archive_read_free(*a); }
static void write_freep(struct archive **a) { if (*a) archive_write_free(*a); }

/* The inner archive pulls its bytes from the outer archive's current member. */
static la_ssize_t inner_read(struct archive *inner, void *userdata, const void **buf)
{
        static char block[65536];
        struct archive *outer = userdata;
        (void)inner;
        *buf = block;
        return archive_read_data(outer, block, sizeof(block));
}

/* ---- paths inside the root ------------------------------------------------ */

#define MAX_LINKS 40  /* as the kernel's limit on symlinks in one lookup */

/* The symlinks this archive has written so far (paths relative to the root):
 * a package's own symlink must never redirect its later entries, which is
 * libarchive's ARCHIVE_EXTRACT_SECURE_SYMLINKS rule for one archive. */
struct linkset {
        char **slot;
        size_t cap, n;
};

static void linkset_done(struct linkset *s)
{
        if (!s->slot)
                return;
        for (size_t i = 0; i < s->cap; i++)
                free(s->slot[i]);
        free(s->slot);
}

static size_t str_hash(const char *p)
{
        size_t h = 14695981039346656037ULL;  /* FNV-1a */
        for (; *p; p++)
                h = (h ^ (unsigned char)*p) * 1099511628211ULL;
        return h;
}

static bool linkset_has(const struct linkset *s, const char *path)
{
        if (!s->cap)
                return false;
        for (size_t i = str_hash(path) & (s->cap - 1); s->slot[i]; i = (i + 1) & (s->cap - 1))
                if (strcmp(s->slot[i], path) == 0)
                        return true;
        return false;
}

static void linkset_add(struct linkset *s, const char *path)
{
        if (linkset_has(s, path))
                return;
        if (2 * (s->n + 1) > s->cap) {  /* at most half full: probes stay short */
                struct linkset bigger = { .cap = s->cap ? 2 * s->cap : 64 };
                bigger.slot = vz_xmalloc(bigger.cap * sizeof(char *));
                memset(bigger.slot, 0, bigger.cap * sizeof(char *));
                for (size_t i = 0; i < s->cap; i++)
                        if (s->slot[i]) {
                                size_t j = str_hash(s->slot[i]) & (bigger.cap - 1);
                                while (bigger.slot[j])
                                        j = (j + 1) & (bigger.cap - 1);
                                bigger.slot[j] = s->slot[i];
                        }
                free(s->slot);
                bigger.n = s->n;
                *s = bigger;
        }
        size_t i = str_hash(path) & (s->cap - 1);
        while (s->slot[i])
                i = (i + 1) & (s->cap - 1);
        s->slot[i] = vz_xstrdup(path);
        s->n++;
}

/* An entry's path relative to the root: "./usr/bin/x" -> "usr/bin/x". NULL
 * with *ret_bad false for the root itself; NULL with *ret_bad true for a
 * path with a ".." component. */
static char *entry_path(const char *p, bool *ret_bad)
{
        *ret_bad = false;
        while (p[0] == '.' && p[1] == '/')
                p += 2;
        while (*p == '/')
                p++;
        if (!*p || strcmp(p, ".") == 0)
                return NULL;
        for (const char *c = p; c; c = strchr(c, '/') ? strchr(c, '/') + 1 : NULL)
                if (c[0] == '.' && c[1] == '.' && (c[2] == '/' || c[2] == '\0')) {
                        *ret_bad = true;
                        return NULL;
                }
        return vz_xstrdup(p);
}

struct walk {
        int rootfd;
        const struct linkset *created;  /* never followed */
        const char *label, *entry;      /* for errors */
        int links;                      /* symlinks followed in this lookup */
        struct vz_error *err;
};

static char *join_rel(const char *dir, const char *name, size_t len)
{
        return *dir ? vz_asprintf("%s/%.*s", dir, (int)len, name) : vz_asprintf("%.*s", (int)len, name);
}

static int walk(struct walk *w, const char *start, const char *path, bool follow_last, char **ret);

/* The last component of a directory entry is a symlink: follow it only
 * when it leads to a directory, as dpkg keeps /bin -> usr/bin for ./bin/. */
static int follow_last_link(struct walk *w, const char *dir, const char *cand, const char *target, char **ret)
{
        _cleanup_free_ char *res = NULL;
        struct stat st;
        int r = walk(w, target[0] == '/' ? "" : dir, target, true, &res);
        if (r < 0)
                return r;
        if (fstatat(w->rootfd, res, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
                *ret = TAKE_PTR(res);
        else
                *ret = vz_xstrdup(cand);
        return 0;
}

/* Resolve path below start as the kernel would with the root as "/": a
 * symlink's absolute target starts again at the root and ".." stops there,
 * so nothing resolves outside it. Every component of the result but the
 * last is a real directory (or does not exist yet), which is what the
 * secure libarchive writer then requires. Symlinks this archive wrote are
 * refused; the last component is followed only when follow_last. */
static int walk(struct walk *w, const char *start, const char *path, bool follow_last, char **ret)
{
        _cleanup_free_ char *out = vz_xstrdup(start), *rest = vz_xstrdup(path);
        bool missing = false;
        const char *p = rest;

        for (;;) {
                while (*p == '/')
                        p++;
                if (!*p)
                        break;
                size_t len = strcspn(p, "/");
                const char *next = p + len;
                while (*next == '/')
                        next++;
                bool last = !*next;
                if (len == 1 && p[0] == '.') {
                        p = next;
                        continue;
                }
                if (len == 2 && p[0] == '.' && p[1] == '.') {
                        char *slash = strrchr(out, '/');
                        *(slash ? slash : out) = '\0';
                        p = next;
                        continue;
                }
                _cleanup_free_ char *cand = join_rel(out, p, len);
                struct stat st;
                bool lookup = !missing && !(last && !follow_last);
                if (strlen(cand) >= PATH_MAX)
                        return vz_error_set(w->err, -VZ_E_UNSAFE, "package %s: path of %s too long", w->label, w->entry);
                if (lookup && fstatat(w->rootfd, cand, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        if (errno != ENOENT)
                                return vz_error_set(w->err, -VZ_E_INSTALL, "package %s: cannot extract %s: %s: %m",
                                                    w->label, w->entry, cand);
                        missing = true;  /* nothing below exists yet: no symlink to follow */
                        lookup = false;
                }
                if (!lookup || !S_ISLNK(st.st_mode)) {
                        free(out);
                        out = TAKE_PTR(cand);
                        p = next;
                        continue;
                }
                if (linkset_has(w->created, cand))
                        return vz_error_set(w->err, -VZ_E_UNSAFE,
                                            "package %s: refused to extract %s: it goes through the symlink %s that the package itself ships",
                                            w->label, w->entry, cand);
                if (++w->links > MAX_LINKS)
                        return vz_error_set(w->err, -VZ_E_UNSAFE, "package %s: refused to extract %s: too many levels of symlinks",
                                            w->label, w->entry);
                char target[PATH_MAX];
                ssize_t n = readlinkat(w->rootfd, cand, target, sizeof(target) - 1);
                if (n < 0)
                        return vz_error_set(w->err, -errno, "package %s: %s: %m", w->label, cand);
                target[n] = '\0';
                if (last)
                        return follow_last_link(w, out, cand, target, ret);
                /* continue with the link's target, then what followed it */
                char *again = vz_asprintf("%s/%s", target, next);
                if (target[0] == '/')
                        out[0] = '\0';
                free(rest);
                rest = again;
                p = rest;
        }
        *ret = TAKE_PTR(out);
        return 0;
}

/* A symlink entry where the root already has something: the same symlink
 * is nothing to do (trixie's base-files ships bin -> usr/bin, which the
 * root already has); a directory is never replaced by a symlink, as dpkg
 * does not either. Returns 1 when the entry is to be skipped. */
static int check_symlink_entry(int rootfd, const char *path, const char *target, const char *label,
                               struct vz_error *err)
{
        char have[PATH_MAX];
        struct stat st;
        ssize_t n;

        if (fstatat(rootfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return 0;
        if (S_ISDIR(st.st_mode))
                return vz_error_set(err, -VZ_E_INSTALL,
                                    "package %s: refused to extract %s: the package ships a symlink to %s where the root has a directory",
                                    label, path, target);
        if (!S_ISLNK(st.st_mode) || (n = readlinkat(rootfd, path, have, sizeof(have) - 1)) < 0)
                return 0;
        have[n] = '\0';
        return strcmp(have, target) == 0;
}

static int copy_data(struct archive *in, struct archive *out, const char *path, const char *label,
                     struct vz_error *err)
{
        const void *buf;
        size_t len;
        la_int64_t off;
        int r;

        while ((r = archive_read_data_block(in, &buf, &len, &off)) == ARCHIVE_OK)
                if (archive_write_data_block(out, buf, len, off) < ARCHIVE_WARN)
                        return vz_error_set(err, -VZ_E_INSTALL, "package %s: writing %s: %s", label, path,
                                            archive_error_string(out));
        if (r != ARCHIVE_EOF)
                return vz_error_set(err, -VZ_E_INSTALL, "package %s: corrupt payload at %s: %s", label, path,
                                    archive_error_string(in));
        return 0;
}

static int write_entry(struct archive *in, struct archive *out, struct archive_entry *e, int rootfd,
                       struct linkset *created, const char *label, struct vz_error *err)
{
        const char *name = archive_entry_pathname(e), *hl = archive_entry_hardlink(e);
        bool is_dir = archive_entry_filetype(e) == AE_IFDIR, is_link = archive_entry_filetype(e) == AE_IFLNK;
        struct walk w = { .rootfd = rootfd, .created = created, .label = label, .entry = name, .err = err };
        _cleanup_free_ char *rel = NULL, *path = NULL, *target = NULL;
        bool bad;
        int r;

        rel = entry_path(name ? name : "", &bad);
        if (!rel)
                return bad ? vz_error_set(err, -VZ_E_UNSAFE, "package %s: refused to extract %s: '..' in the path",
                                          label, name)
                           : 0;  /* the "./" entry itself */
        r = walk(&w, "", rel, is_dir, &path);
        if (r < 0)
                return r;
        if (hl) {
                _cleanup_free_ char *hrel = entry_path(hl, &bad);
                if (!hrel)
                        return vz_error_set(err, -VZ_E_UNSAFE, "package %s: bad hard link %s in payload", label, hl);
                w.entry = hl;
                w.links = 0;
                if ((r = walk(&w, "", hrel, false, &target)) < 0)
                        return r;
                archive_entry_set_hardlink(e, target);
        }
        if (is_link && (r = check_symlink_entry(rootfd, path, archive_entry_symlink(e), label, err)) != 0)
                return r < 0 ? r : 0;
        archive_entry_set_pathname(e, path);
        if (archive_write_header(out, e) < ARCHIVE_WARN)
                return vz_error_set(err, -VZ_E_UNSAFE, "package %s: refused to extract %s: %s", label, path,
                                    archive_error_string(out));
        if (is_link)
                linkset_add(created, path);
        if ((r = copy_data(in, out, path, label, err)) < 0)
                return r;
        return archive_write_finish_entry(out) < ARCHIVE_WARN
                       ? vz_error_set(err, -VZ_E_INSTALL, "package %s: %s", label, archive_error_string(out))
                       : 0;
}

static struct archive *disk_writer(void)
{
        struct archive *w = archive_write_disk_new();
        archive_write_disk_set_options(w, ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM |
                                                  ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_XATTR |
                                                  ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                                  ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                                  ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
        archive_write_disk_set_standard_lookup(w);
        return w;
}

static int extract_data_tar(struct archive *outer, int rootfd, const char *label, struct vz_error *err)
{
        _cleanup_(read_freep) struct archive *in = archive_read_new();
        _cleanup_(write_freep) struct archive *out = disk_writer();
        struct linkset created __attribute__((cleanup(linkset_done))) = { 0 };
        struct archive_entry *e;
        int r = 0, n = 0;

        archive_read_support_filter_all(in);
        archive_read_support_format_tar(in);
        if (archive_read_open(in, outer, NULL, inner_read, NULL) != ARCHIVE_OK)
                return vz_error_set(err, -VZ_E_INSTALL, "package %s: unreadable data.tar: %s", label,
                                    archive_error_string(in));
        while ((r = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
                if (++n > MAX_ENTRIES)
                        return vz_error_set(err, -VZ_E_UNSAFE, "package %s: more than %d files", label, MAX_ENTRIES);
                if ((r = write_entry(in, out, e, rootfd, &created, label, err)) < 0)
                        return r;
        }
        if (r != ARCHIVE_EOF)
                return vz_error_set(err, -VZ_E_INSTALL, "package %s: corrupt data.tar: %s", label,
                                    archive_error_string(in));
        return archive_write_close(out) < ARCHIVE_WARN
                       ? vz_error_set(err, -VZ_E_INSTALL, "package %s: %s", label, archive_error_string(out))
                       : 0;
}

static int extract_in_cwd(const char *deb, int rootfd, const char *label, struct vz_error *err)
{
        _cleanup_(read_freep) struct archive *ar = archive_read_new();
        struct archive_entry *e;
        int r;

        archive_read_support_format_ar(ar);
        if (archive_read_open_filename(ar, deb, 65536) != ARCHIVE_OK)
                return vz_error_set(err, -VZ_E_INSTALL, "package %s: %s: %s", label, deb, archive_error_string(ar));
        while ((r = archive_read_next_header(ar, &e)) == ARCHIVE_OK)
                if (vz_startswith(archive_entry_pathname(e), "data.tar"))
                        return extract_data_tar(ar, rootfd, label, err);
        return vz_error_set(err, -VZ_E_INSTALL, "package %s: %s has no data.tar member", label, deb);
}

int vz_deb_extract(const char *deb, const char *root, const char *label, struct vz_error *err)
{
        _cleanup_close_ int cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int r;

        if (cwd < 0 || rootfd < 0)
                return vz_error_set(err, -errno, "%s: %m", rootfd < 0 ? root : ".");
        /* The secure flags forbid absolute paths, so extraction is relative
         * to the working directory: the root, for the duration of the call. */
        if (fchdir(rootfd) < 0)
                return vz_error_set(err, -errno, "%s: %m", root);
        r = extract_in_cwd(deb, rootfd, label, err);
        if (fchdir(cwd) < 0 && r >= 0)
                r = vz_error_set(err, -errno, "cannot return to the working directory: %m");
        return r;
}

/* ---- template caches ------------------------------------------------------- */

static int unpack_in_cwd(const char *path, int (*cancelled)(void), struct vz_error *err)
{
        _cleanup_(read_freep) struct archive *in = archive_read_new();
        _cleanup_(write_freep) struct archive *out = disk_writer();
        struct archive_entry *e;
        int r;

        archive_read_support_filter_all(in);
        archive_read_support_format_tar(in);
        if (archive_read_open_filename(in, path, 1 << 16) != ARCHIVE_OK)
                return vz_error_set(err, -VZ_E_ARCHIVE, "cache %s: %s", path, archive_error_string(in));
        while ((r = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
                const void *buf;
                size_t len;
                la_int64_t off;
                if (cancelled && cancelled())
                        return vz_error_set(err, -VZ_E_INTERRUPTED, "interrupted while unpacking %s", path);
                if (archive_write_header(out, e) < ARCHIVE_WARN)
                        return vz_error_set(err, -VZ_E_UNSAFE, "cache %s: refused %s: %s", path,
                                            archive_entry_pathname(e), archive_error_string(out));
                while ((r = archive_read_data_block(in, &buf, &len, &off)) == ARCHIVE_OK)
                        if (archive_write_data_block(out, buf, len, off) < ARCHIVE_WARN)
                                return vz_error_set(err, -VZ_E_ARCHIVE, "cache %s: %s", path, archive_error_string(out));
                if (r != ARCHIVE_EOF || archive_write_finish_entry(out) < ARCHIVE_WARN)
                        return vz_error_set(err, -VZ_E_ARCHIVE, "cache %s: corrupt at %s", path, archive_entry_pathname(e));
        }
        if (r != ARCHIVE_EOF)
                return vz_error_set(err, -VZ_E_ARCHIVE, "cache %s: %s; rebuild it with create cache -f", path,
                                    archive_error_string(in));
        return archive_write_close(out) < ARCHIVE_WARN ? vz_error_set(err, -VZ_E_ARCHIVE, "cache %s: %s", path,
                                                                       archive_error_string(out))
                                                       : 0;
}

int vz_cache_unpack(const char *path, const char *root, int (*cancelled)(void), struct vz_error *err)
{
        _cleanup_close_ int cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int r;
        if (cwd < 0 || chdir(root) < 0)
                return vz_error_set(err, -errno, "%s: %m", root);
        r = unpack_in_cwd(path, cancelled, err);
        if (fchdir(cwd) < 0 && r >= 0)
                r = vz_error_set(err, -errno, "cannot return to the working directory: %m");
        return r;
}
