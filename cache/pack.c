/* pack.c: write a root filesystem into a template cache archive. Entries
 * are written in sorted order with numeric owners, so the archive depends on
 * the tree's content, not on readdir order or the host's user database. */
#include "cache.h"
#include "sink.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

struct packer {
        long long clamp;
        struct archive *disk, *out;
        struct archive_entry_linkresolver *links;
        int (*cancelled)(void);
        struct vz_error *err;
};

static const char *const suffixes[] = { ".tar.zst", ".tar.gz", ".tar.xz" };

int vz_archive_format_parse(const char *s, enum vz_archive_format *ret)
{
        static const char *const names[] = { "zst", "gz", "xz" };
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (strcmp(s, names[i]) == 0 || strcmp(s, suffixes[i]) == 0) {
                        *ret = (enum vz_archive_format)i;
                        return 0;
                }
        return -EINVAL;
}

const char *vz_archive_suffix(enum vz_archive_format f)
{
        return suffixes[f];
}

int vz_cache_find(const char *dir, const char *name, char **ret_path)
{
        const char *all[] = { ".tar.zst", ".tar.gz", ".tar.xz", ".tar.lz4" };
        for (size_t i = 0; i < ELEMENTSOF(all); i++) {
                char *p = vz_asprintf("%s/%s%s", dir, name, all[i]);
                if (access(p, F_OK) == 0) {
                        *ret_path = p;
                        return 0;
                }
                free(p);
        }
        return -ENOENT;
}

static int copy_data(struct packer *p, const char *path, const char *name)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        char buf[65536];
        ssize_t n;
        if (fd < 0)
                return vz_error_set(p->err, -errno, "cache: cannot read %s: %m", name);
        while ((n = read(fd, buf, sizeof(buf))) > 0)
                if (archive_write_data(p->out, buf, (size_t)n) < 0)
                        return vz_error_set(p->err, -VZ_E_ARCHIVE, "cache: writing %s: %s", name,
                                            archive_error_string(p->out));
        return n < 0 ? vz_error_set(p->err, -errno, "cache: reading %s: %m", name) : 0;
}

static int emit(struct packer *p, struct archive_entry *e, const char *src)
{
        int r = archive_write_header(p->out, e);
        if (r < ARCHIVE_WARN)
                return vz_error_set(p->err, -VZ_E_ARCHIVE, "cache: %s: %s", archive_entry_pathname(e),
                                    archive_error_string(p->out));
        if (src && archive_entry_size(e) > 0)
                return copy_data(p, src, archive_entry_pathname(e));
        return 0;
}

static int add_entry(struct packer *p, const char *path, const char *name, const struct stat *st)
{
        struct archive_entry *e = archive_entry_new(), *spare = NULL;
        int r;

        archive_entry_copy_pathname(e, name);
        archive_entry_copy_sourcepath(e, path);
        if (archive_read_disk_entry_from_file(p->disk, e, -1, st) != ARCHIVE_OK) {
                r = vz_error_set(p->err, -VZ_E_ARCHIVE, "cache: %s: %s", path, archive_error_string(p->disk));
                archive_entry_free(e);
                return r;
        }
        archive_entry_set_uname(e, NULL);  /* numeric owners only */
        archive_entry_set_gname(e, NULL);
        archive_entry_unset_atime(e);      /* times that say when, not what */
        archive_entry_unset_ctime(e);
        archive_entry_unset_birthtime(e);
        if (p->clamp >= 0 && archive_entry_mtime(e) > p->clamp)
                archive_entry_set_mtime(e, (time_t)p->clamp, 0);
        else
                archive_entry_set_mtime(e, archive_entry_mtime(e), 0);
        archive_entry_linkify(p->links, &e, &spare);
        r = e ? emit(p, e, archive_entry_hardlink(e) ? NULL : path) : 0;
        if (r >= 0 && spare)
                r = emit(p, spare, archive_entry_sourcepath(spare));
        archive_entry_free(e);
        archive_entry_free(spare);
        return r;
}

static int add_tree(struct packer *p, const char *path, const char *name)
{
        struct dirent **list = NULL;
        int n = scandir(path, &list, NULL, alphasort), r = 0;

        if (n < 0)
                return vz_error_set(p->err, -errno, "cache: cannot list %s: %m", path);
        for (int i = 0; i < n; i++) {
                const char *d = list[i]->d_name;
                struct stat st;
                if (r < 0 || strcmp(d, ".") == 0 || strcmp(d, "..") == 0)
                        continue;
                if (p->cancelled && p->cancelled()) {
                        r = vz_error_set(p->err, -VZ_E_INTERRUPTED, "interrupted while writing the cache");
                        continue;
                }
                _cleanup_free_ char *sub = vz_path_join(path, d);
                _cleanup_free_ char *subname = *name ? vz_asprintf("%s/%s", name, d) : vz_asprintf("./%s", d);
                if (lstat(sub, &st) < 0) {
                        r = vz_error_set(p->err, -errno, "cache: %s: %m", sub);
                        continue;
                }
                r = add_entry(p, sub, subname, &st);
                if (r >= 0 && S_ISDIR(st.st_mode))
                        r = add_tree(p, sub, subname);
        }
        for (int i = 0; i < n; i++)
                free(list[i]);
        free(list);
        return r;
}

static int open_output(struct archive *out, enum vz_archive_format f, struct vz_sink *sink)
{
        char cpus[24];
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        snprintf(cpus, sizeof(cpus), "%ld", n > 0 ? n : 1);
        archive_write_set_format_pax_restricted(out);
        /* extended attributes (file capabilities: ping's cap_net_raw) in the
         * SCHILY form GNU tar restores, as well as libarchive's own */
        archive_write_set_format_option(out, "pax", "xattrheader", "ALL");
        switch (f) {
        case VZ_ARCHIVE_ZST:
                /* zstd's default level; one worker per CPU. The frame layout
                 * depends only on the level and the data, so the output stays
                 * reproducible whatever the thread count. */
                archive_write_add_filter_zstd(out);
                archive_write_set_filter_option(out, "zstd", "compression-level", "3");
                archive_write_set_filter_option(out, "zstd", "threads", cpus);
                break;
        case VZ_ARCHIVE_GZ:
                archive_write_add_filter_gzip(out);
                archive_write_set_filter_option(out, "gzip", "timestamp", NULL);
                break;
        case VZ_ARCHIVE_XZ:
                archive_write_add_filter_xz(out);
                break;
        }
        return vz_sink_open(out, sink) == ARCHIVE_OK ? 0 : -VZ_E_ARCHIVE;
}

static int pack_into(const char *root, int fd, enum vz_archive_format f, long long clamp,
                     int (*cancelled)(void), char ret_sha256[65], struct vz_error *err)
{
        struct packer p = { .clamp = clamp, .cancelled = cancelled, .err = err };
        struct vz_sink sink = { .fd = fd, .sha = ret_sha256 ? vz_sha256_begin() : NULL };
        struct stat st;
        int r;

        p.disk = archive_read_disk_new();
        p.out = archive_write_new();
        p.links = archive_entry_linkresolver_new();
        archive_read_disk_set_standard_lookup(p.disk);
        archive_entry_linkresolver_set_strategy(p.links, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
        r = open_output(p.out, f, &sink);
        if (r < 0)
                r = vz_error_set(err, r, "cache: %s", archive_error_string(p.out));
        if (r >= 0 && lstat(root, &st) == 0)
                r = add_entry(&p, root, ".", &st);
        if (r >= 0)
                r = add_tree(&p, root, "");
        if (r >= 0) {
                struct archive_entry *e = NULL, *spare = NULL;
                archive_entry_linkify(p.links, &e, &spare);  /* flush pending hard links */
                for (; e; archive_entry_linkify(p.links, &e, &spare))
                        if (r >= 0)
                                r = emit(&p, e, archive_entry_sourcepath(e));
        }
        if (r >= 0 && archive_write_close(p.out) != ARCHIVE_OK)
                r = vz_error_set(err, -VZ_E_ARCHIVE, "cache: %s", archive_error_string(p.out));
        archive_entry_linkresolver_free(p.links);
        archive_write_free(p.out);
        vz_sink_finish(&sink, r >= 0 ? ret_sha256 : NULL);
        archive_read_free(p.disk);
        return r;
}

int vz_cache_pack(const char *root, const char *dest, enum vz_archive_format f, long long clamp_mtime,
                  int (*cancelled)(void), char ret_sha256[65], struct vz_error *err)
{
        _cleanup_free_ char *tmp = vz_asprintf("%s.tmp.%d", dest, (int)getpid());
        _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        int r;

        if (fd < 0)
                return vz_error_set(err, -VZ_E_ARCHIVE, "cache %s: cannot create %s: %m", dest, tmp);
        r = pack_into(root, fd, f, clamp_mtime, cancelled, ret_sha256, err);
        if (r >= 0 && fsync(fd) < 0)
                r = vz_error_set(err, -VZ_E_ARCHIVE, "cache %s: %m", tmp);
        if (r >= 0 && rename(tmp, dest) < 0)
                r = vz_error_set(err, -VZ_E_ARCHIVE, "cache %s: cannot publish: %m", dest);
        if (r < 0 && r != -VZ_E_INTERRUPTED && r != -VZ_E_ARCHIVE)
                r = vz_error_reset(err, -VZ_E_ARCHIVE, "%s", err->msg);  /* any failure here: exit 8 */
        if (r < 0)
                unlink(tmp);
        return r;
}
