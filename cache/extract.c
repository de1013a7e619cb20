/* extract.c: unpack a .deb's data.tar into a root directory with
 * libarchive's secure extraction flags. A .deb is an ar archive; its
 * data.tar.* member is read as a second archive streamed from the first. */
#include "cache.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>

#define MAX_ENTRIES 500000  /* a package with more files than this is not a package */

static const char *const merged_dirs[] = { "bin", "sbin", "lib", "lib32", "lib64", "libx32" };

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

/* Return the path to write for an entry path, or NULL when it is not
 * acceptable. "./usr/bin/x" -> "usr/bin/x"; "./bin/x" -> "usr/bin/x" when the
 * root has the merged-/usr symlink bin -> usr/bin. */
static char *canonical_path(const char *p, int rootfd)
{
        while (p[0] == '.' && p[1] == '/')
                p += 2;
        while (*p == '/')
                p++;
        if (!*p || strcmp(p, ".") == 0)
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(merged_dirs); i++) {
                size_t l = strlen(merged_dirs[i]);
                struct stat st;
                if (strncmp(p, merged_dirs[i], l) != 0 || (p[l] != '/' && p[l] != '\0'))
                        continue;
                if (fstatat(rootfd, merged_dirs[i], &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
                        return vz_asprintf("usr/%s", p);
        }
        return vz_xstrdup(p);
}

static int write_entry(struct archive *in, struct archive *out, struct archive_entry *e, int rootfd,
                       const char *label, struct vz_error *err)
{
        _cleanup_free_ char *path = canonical_path(archive_entry_pathname(e), rootfd);
        const char *hl = archive_entry_hardlink(e);
        const void *buf;
        size_t len;
        la_int64_t off;
        int r;

        if (!path)
                return 0;  /* the "./" entry itself */
        archive_entry_set_pathname(e, path);
        if (hl) {
                _cleanup_free_ char *target = canonical_path(hl, rootfd);
                if (!target)
                        return vz_error_set(err, -VZ_E_UNSAFE, "package %s: bad hard link in payload", label);
                archive_entry_set_hardlink(e, target);
        }
        r = archive_write_header(out, e);
        if (r < ARCHIVE_WARN)
                return vz_error_set(err, -VZ_E_UNSAFE, "package %s: refused to extract %s: %s", label, path,
                                    archive_error_string(out));
        while ((r = archive_read_data_block(in, &buf, &len, &off)) == ARCHIVE_OK)
                if (archive_write_data_block(out, buf, len, off) < ARCHIVE_WARN)
                        return vz_error_set(err, -VZ_E_INSTALL, "package %s: writing %s: %s", label, path,
                                            archive_error_string(out));
        if (r != ARCHIVE_EOF)
                return vz_error_set(err, -VZ_E_INSTALL, "package %s: corrupt payload at %s: %s", label,
                                    path, archive_error_string(in));
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
                if ((r = write_entry(in, out, e, rootfd, label, err)) < 0)
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
