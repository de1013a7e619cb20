/* tmplpkg.c: vztt's template packages (`vzpkg install template FILE`):
 * RPMs whose payload is a piece of the template area as vztt lays it out,
 * /vz/template/<os>/<ver>/<arch>/config/os/<set>/... for an OS template and
 * .../config/app/<app>/<set>/... for an application template. The file is
 * copied to a private place, its signature checked by librpm against the
 * admin's keys (TEMPLATE_KEYS), its cpio payload read by libarchive into a
 * staging tree beside the template area with every path checked, and each
 * template directory renamed into place as a whole. A record of what was
 * written, $TEMPLATE/.vzpkg-template-packages/<name>, is what `remove
 * template` removes. docs/internals/tmplpkg.md. */
#include "context.h"
#include "backend.h"
#include "pipeline.h"
#include "imports.h"
#include "vzrpm.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#define PKG_MAX (256LL << 20)       /* a template package larger than this is refused unread */
#define ENTRY_MAX (64LL << 20)      /* one file of a template */
#define ENTRIES_MAX 20000
#define PREFIX "vz/template/"       /* vztt's TEMPLATE_DIR, where its packages put templates */
#define RECORDS ".vzpkg-template-packages"

/* ---- paths (exposed for the unit tests) ------------------------------------- */

static bool good_component(const char *c, size_t len)
{
        if (len == 0 || len > 255 || (len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
                return false;
        for (size_t i = 0; i < len; i++)
                if ((unsigned char)c[i] < 0x20 || c[i] == 0x7f)
                        return false;
        return true;
}

int vz_tmplpkg_classify(const char *entry, char **ret_rel)
{
        char *parts[40];
        size_t n = 0;
        int kind;
        while (entry[0] == '.' && entry[1] == '/')
                entry += 2;
        while (*entry == '/')
                entry++;
        if (strcmp(entry, "vz") == 0 || strcmp(entry, "vz/") == 0 || strcmp(entry, "vz/template") == 0 ||
            strcmp(entry, PREFIX) == 0) {
                *ret_rel = NULL;
                return VZ_TP_PARENT;
        }
        if (!vz_startswith(entry, PREFIX))
                return -EXDEV;
        _cleanup_free_ char *rel = vz_xstrdup(entry + strlen(PREFIX));
        size_t len = strlen(rel);
        while (len && rel[len - 1] == '/')
                rel[--len] = '\0';
        if (len == 0 || len > 1024)
                return -EINVAL;
        for (char *c = rel; c && n < ELEMENTSOF(parts); n++) {
                char *sl = strchr(c, '/');
                if (!good_component(c, sl ? (size_t)(sl - c) : strlen(c)))
                        return -EINVAL;
                parts[n] = c;
                c = sl ? sl + 1 : NULL;
                if (sl && n + 1 == ELEMENTSOF(parts))
                        return -EINVAL;
        }
        /* <os>/<ver>/<arch>/config/{os/<set>|app/<app>/<set>} */
        bool app = n >= 5 && strncmp(parts[4], "app/", 4) == 0 && strlen(parts[4]) > 3;
        bool os = n >= 5 && !app && (strncmp(parts[4], "os/", 3) == 0 || strcmp(parts[4], "os") == 0);
        if (n >= 4 && strncmp(parts[3], "config/", 7) != 0 && strcmp(parts[3], "config") != 0)
                return -EINVAL;
        if (n >= 5 && !app && !os && strcmp(parts[4], "app") != 0)
                return -EINVAL;
        size_t unit = app ? 7 : 6;
        kind = n < unit ? VZ_TP_PARENT : n == unit ? VZ_TP_UNIT : VZ_TP_INSIDE;
        *ret_rel = TAKE_PTR(rel);
        return kind;
}

size_t vz_tmplpkg_unit_len(const char *rel)
{
        size_t want = strstr(rel, "/config/app/") ? 7 : 6, n = 0, i = 0;
        for (; rel[i]; i++)
                if (rel[i] == '/' && ++n == want)
                        return i;
        return n + 1 >= want ? i : 0;
}

bool vz_tmplpkg_link_ok(const char *rel, const char *target)
{
        size_t unit = vz_tmplpkg_unit_len(rel);
        int depth = 0;
        if (!unit || !target[0] || target[0] == '/' || strlen(target) > 1024)
                return false;
        /* the link's directory, counted in components below the unit */
        for (const char *c = rel + unit; *c; c++)
                depth += *c == '/';
        depth--;
        for (const char *c = target; c && *c;) {
                const char *sl = strchr(c, '/');
                size_t len = sl ? (size_t)(sl - c) : strlen(c);
                if (len == 2 && c[0] == '.' && c[1] == '.')
                        depth--;
                else if (len && !(len == 1 && c[0] == '.'))
                        depth++;
                if (depth < 0)
                        return false;  /* above the template's own directory */
                c = sl ? sl + 1 : NULL;
        }
        return true;
}

/* "debian-12-x86_64[-set]" or "debian-12-x86_64 app[-set]" (vztt's form),
 * and the record's file name (the space a '+'). */
static char *unit_name(const char *unit, bool for_record)
{
        _cleanup_strv_ char **p = vz_strv_split(unit, "/");
        bool app = strcmp(p[4], "app") == 0;
        const char *set = app ? p[6] : p[5];
        _cleanup_free_ char *ost = vz_asprintf("%s-%s-%s", p[0], p[1], p[2]);
        _cleanup_free_ char *leaf = app ? vz_asprintf("%s", p[5]) : vz_asprintf("%s", ost);
        _cleanup_free_ char *full = strcmp(set, "default") == 0 ? vz_xstrdup(leaf) : vz_asprintf("%s-%s", leaf, set);
        if (!app)
                return TAKE_PTR(full);
        return vz_asprintf("%s%c%s", ost, for_record ? '+' : ' ', full);
}

/* ---- reading the package ----------------------------------------------------- */

struct unit {
        char *rel;               /* <os>/<ver>/<arch>/config/os/<set> */
        char *list;              /* record lines: file|dir|link REL */
        size_t list_len;
        FILE *f;
        bool has_packages;
};

struct stage {
        int fd;                  /* the staging tree */
        char *path;
        struct unit **units;     /* each allocated once: open_memstream keeps &list */
        size_t n;
        long long bytes;
        int entries;
        const char *label;
};

static struct unit *unit_for(struct stage *s, const char *rel)
{
        size_t len = vz_tmplpkg_unit_len(rel);
        for (size_t i = 0; i < s->n; i++)
                if (strlen(s->units[i]->rel) == len && strncmp(s->units[i]->rel, rel, len) == 0)
                        return s->units[i];
        s->units = vz_xrealloc(s->units, (s->n + 1) * sizeof(*s->units));
        struct unit *u = s->units[s->n++] = vz_xmalloc(sizeof(*u));
        memset(u, 0, sizeof(*u));
        u->rel = vz_asprintf("%.*s", (int)len, rel);
        u->f = open_memstream(&u->list, &u->list_len);
        return u;
}

static int parent_fd(int root, const char *rel, const char **ret_base)
{
        _cleanup_free_ char *dir = vz_xstrdup(rel);
        char *sl = strrchr(dir, '/');
        *ret_base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
        if (!sl) {
                int fd = fcntl(root, F_DUPFD_CLOEXEC, 3);
                return fd < 0 ? -errno : fd;
        }
        *sl = '\0';
        int r = vz_at_mkdir_p(root, dir, 0755, VZ_AT_NOLINKS);
        return r < 0 ? r : vz_at_open(root, dir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, VZ_AT_NOLINKS);
}

static int write_file(struct stage *s, struct archive *a, struct archive_entry *e, const char *rel,
                      struct vz_error *err)
{
        static char buf[65536];
        mode_t mode = (archive_entry_perm(e) & 0755) | 0600;  /* no set-id bits, nothing writable by others */
        const char *base;
        _cleanup_close_ int dfd = parent_fd(s->fd, rel, &base), fd = -1;
        long long n = 0;
        la_ssize_t k;
        if (dfd < 0)
                return vz_error_set(err, dfd, "template package %s: %s: %s", s->label, rel, strerror(-dfd));
        fd = openat(dfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (fd < 0)
                return vz_error_set(err, errno == EEXIST ? -VZ_E_UNSAFE : -errno, "template package %s: %s: %s",
                                    s->label, rel, errno == EEXIST ? "twice in the package" : strerror(errno));
        while ((k = archive_read_data(a, buf, sizeof(buf))) > 0) {
                n += k;
                s->bytes += k;
                if (n > ENTRY_MAX || s->bytes > PKG_MAX)
                        return vz_error_set(err, -VZ_E_UNSAFE, "template package %s: %s: too large", s->label, rel);
                if (write(fd, buf, (size_t)k) != k)
                        return vz_error_set(err, -errno, "template package %s: %s: %m", s->label, rel);
        }
        if (k < 0)
                return vz_error_set(err, -VZ_E_CHECKSUM, "template package %s: %s: %s", s->label, rel,
                                    archive_error_string(a));
        return 0;
}

static int write_entry(struct stage *s, struct archive *a, struct archive_entry *e, struct vz_error *err)
{
        _cleanup_free_ char *rel = NULL;
        const char *path = archive_entry_pathname(e);
        mode_t type = archive_entry_filetype(e);
        int kind = path ? vz_tmplpkg_classify(path, &rel) : -EINVAL;
        const char *base;

        if (kind < 0)
                return vz_error_set(err, -VZ_E_UNSAFE, "template package %s: entry %s: %s", s->label, path ? path : "?",
                                    kind == -EXDEV ? "outside " "/" PREFIX : "not a path of vztt's template layout");
        if (archive_entry_hardlink(e) || (type != AE_IFDIR && type != AE_IFREG && type != AE_IFLNK))
                return vz_error_set(err, -VZ_E_UNSAFE, "template package %s: entry %s: only files, directories and "
                                    "symbolic links may be in a template", s->label, path);
        if (kind == VZ_TP_PARENT) {
                if (type != AE_IFDIR)
                        return vz_error_set(err, -VZ_E_UNSAFE, "template package %s: entry %s: not inside a template's "
                                            "directory", s->label, path);
                return 0;  /* created when needed */
        }
        struct unit *u = unit_for(s, rel);
        if (type == AE_IFDIR) {
                int r = vz_at_mkdir_p(s->fd, rel, 0755, VZ_AT_NOLINKS);
                if (r < 0)
                        return vz_error_set(err, r == -ELOOP ? -VZ_E_UNSAFE : r, "template package %s: %s: %s", s->label,
                                            rel, strerror(-r));
                fprintf(u->f, "dir %s\n", rel);
                return 0;
        }
        if (kind == VZ_TP_UNIT)
                return vz_error_set(err, -VZ_E_UNSAFE, "template package %s: entry %s: a template's directory is not a "
                                    "directory", s->label, path);
        if (type == AE_IFLNK) {
                const char *target = archive_entry_symlink(e);
                if (!target || !vz_tmplpkg_link_ok(rel, target))
                        return vz_error_set(err, -VZ_E_UNSAFE, "template package %s: symbolic link %s -> %s leads out of "
                                            "its template", s->label, rel, target ? target : "?");
                _cleanup_close_ int dfd = parent_fd(s->fd, rel, &base);
                if (dfd < 0 || symlinkat(target, dfd, base) < 0)
                        return vz_error_set(err, -VZ_E_UNSAFE, "template package %s: %s: cannot be created", s->label,
                                            rel);
                fprintf(u->f, "link %s\n", rel);
                return 0;
        }
        int r = write_file(s, a, e, rel, err);
        if (r >= 0) {
                fprintf(u->f, "file %s\n", rel);
                u->has_packages |= strcmp(rel + strlen(u->rel), "/packages") == 0;
        }
        return r;
}

static void read_freep(struct archive **a)
{
        if (*a)
                archive_read_free(*a);
}

static int read_payload(struct stage *s, const char *path, struct vz_error *err)
{
        _cleanup_(read_freep) struct archive *a = archive_read_new();
        struct archive_entry *e;
        int r;
        archive_read_support_filter_all(a);  /* includes rpm: the lead and headers skipped */
        archive_read_support_format_cpio(a);
        if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK)
                return vz_error_set(err, -VZ_E_CHECKSUM, "template package %s: %s", s->label, archive_error_string(a));
        while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
                if (++s->entries > ENTRIES_MAX)
                        return vz_error_set(err, -VZ_E_UNSAFE, "template package %s: more than %d entries", s->label,
                                            ENTRIES_MAX);
                if ((r = write_entry(s, a, e, err)) < 0)
                        return r;
        }
        if (r != ARCHIVE_EOF)
                return vz_error_set(err, -VZ_E_CHECKSUM, "template package %s: corrupt payload: %s", s->label,
                                    archive_error_string(a));
        for (size_t i = 0; i < s->n; i++)
                fflush(s->units[i]->f);
        for (size_t i = 0; i < s->n; i++)
                if (!s->units[i]->has_packages)  /* vztt's test for an EZ template package */
                        return vz_error_set(err, -VZ_E_METADATA, "template package %s: %s has no packages file; not an "
                                            "EZ template package", s->label, s->units[i]->rel);
        if (s->n == 0)
                return vz_error_set(err, -VZ_E_METADATA, "template package %s: no template in it (nothing below "
                                    "/" PREFIX "<os>/<ver>/<arch>/config/)", s->label);
        return 0;
}

static void stage_done(struct stage *s)
{
        for (size_t i = 0; i < s->n; i++) {
                if (s->units[i]->f)
                        fclose(s->units[i]->f);
                free(s->units[i]->list);
                free(s->units[i]->rel);
                free(s->units[i]);
        }
        free(s->units);
        if (s->fd >= 0)
                close(s->fd);
        if (s->path)
                vz_rm_rf(s->path);
        free(s->path);
}

/* ---- signature ------------------------------------------------------------------ */

static char **admin_keys(const char *dir)
{
        char **keys = vz_xmalloc(sizeof(char *));
        struct dirent **d = NULL;
        int n = scandir(dir, &d, NULL, alphasort);
        for (int i = 0; i < n; i++) {
                if (d[i]->d_name[0] != '.' && (vz_endswith(d[i]->d_name, ".asc") || vz_endswith(d[i]->d_name, ".gpg") ||
                                               vz_startswith(d[i]->d_name, "RPM-GPG-KEY")))
                        vz_strv_push_take(&keys, vz_path_join(dir, d[i]->d_name));
                free(d[i]);
        }
        free(d);
        return keys;
}

static int verify(struct vz_ctx *ctx, const char *copy, const char *label, bool allow_unsigned, struct vz_error *err)
{
        _cleanup_strv_ char **keys = admin_keys(ctx->cfg.template_keys);
        _cleanup_free_ char *owner = vz_asprintf("TEMPLATE_KEYS %s", ctx->cfg.template_keys);
        int r = vz_rpm_verify_file(keys, owner, copy, label, false, err);
        if (r == -VZ_E_SIGNATURE && !allow_unsigned) {
                char msg[sizeof(err->msg)];
                snprintf(msg, sizeof(msg), "%s", err->msg);
                return vz_error_reset(err, r, "%.900s (keys: %s; --unsigned to install it anyway)", msg,
                                      ctx->cfg.template_keys);
        }
        if (r != -VZ_E_SIGNATURE)
                return r;
        memset(err, 0, sizeof(*err));
        r = vz_rpm_verify_file(keys, owner, copy, label, true, err);
        if (r >= 0)
                vz_warn("template package %s: not signed by a key in %s; installing it because of --unsigned", label,
                        ctx->cfg.template_keys);
        return r;
}

static char *package_nevra(const char *path)
{
        struct vz_rpm_header h;
        struct vz_error ignored = { 0 };
        char *nevra;
        if (vz_rpm_read_header(path, &h, &ignored) < 0)
                return vz_xstrdup("?");
        nevra = vz_xstrdup(h.nevra ? h.nevra : "?");
        vz_rpm_header_done(&h);
        return nevra;
}

/* ---- into the template area --------------------------------------------------- */

static int place_unit(struct vz_ctx *ctx, int area, struct stage *s, struct unit *u, const char *nevra, bool force,
                      struct vz_error *err)
{
        _cleanup_free_ char *name = unit_name(u->rel, false), *rec = unit_name(u->rel, true);
        _cleanup_free_ char *recpath = vz_asprintf(RECORDS "/%s", rec);
        _cleanup_free_ char *text = NULL;
        const char *base, *sbase;
        struct stat st;
        _cleanup_close_ int dst = parent_fd(area, u->rel, &base), src = parent_fd(s->fd, u->rel, &sbase);
        if (dst < 0 || src < 0)
                return vz_error_set(err, dst < 0 ? dst : src, "template %s: %s/%s: %s", name, ctx->cfg.template_area,
                                    u->rel, strerror(-(dst < 0 ? dst : src)));
        bool exists = fstatat(dst, base, &st, AT_SYMLINK_NOFOLLOW) == 0;
        if (exists && !force)
                return vz_error_set(err, -EEXIST, "template %s is already installed (%s/%s); -f to replace it", name,
                                    ctx->cfg.template_area, u->rel);
        if (exists && !S_ISDIR(st.st_mode))
                return vz_error_set(err, -VZ_E_UNSAFE, "template %s: %s/%s is not a directory", name,
                                    ctx->cfg.template_area, u->rel);
        /* one rename: the template is there whole or not at all; -f swaps the
         * old tree into the staging area, removed with it */
        if (renameat2(src, sbase, dst, base, exists ? RENAME_EXCHANGE : RENAME_NOREPLACE) < 0)
                return vz_error_set(err, -errno, "template %s: cannot move it into %s: %m", name, ctx->cfg.template_area);
        fclose(u->f);
        u->f = NULL;
        text = vz_asprintf("package %s\nunit %s\n%s", nevra, u->rel, u->list ? u->list : "");
        int r = vz_at_mkdir_p(area, RECORDS, 0755, VZ_AT_NOLINKS);
        if (r >= 0)
                r = vz_at_write_atomic(area, recpath, text, strlen(text), 0644, VZ_AT_NOLINKS);
        if (r < 0)
                return vz_error_set(err, r, "template %s: installed, but its record %s/%s cannot be written: %s", name,
                                    ctx->cfg.template_area, recpath, strerror(-r));
        vz_info("%s template was installed", name);
        return 0;
}

static int lock_for(struct vz_ctx *ctx, const char *unit, int *fd, struct vz_error *err)
{
        _cleanup_free_ char *name = unit_name(unit, false);
        char *sp = strchr(name, ' ');
        if (sp)
                *sp = '\0';  /* an app: its OS template's lock */
        return vz_build_lock(ctx, name, fd, err);
}

int vz_tmplpkg_install(struct vz_ctx *ctx, const char *file, bool force, bool allow_unsigned, struct vz_error *err)
{
        struct stage s = { .fd = -1, .label = file };
        _cleanup_free_ char *copy = NULL, *nevra = NULL;
        _cleanup_close_ int area = -1;
        int r = vz_mkdir_p(ctx->cfg.tmp_dir, 0700);
        if (r >= 0)
                r = vz_file_import(file, ctx->cfg.tmp_dir, PKG_MAX, &copy, err);
        if (r < 0)
                return r;
        r = verify(ctx, copy, file, allow_unsigned, err);
        if (r >= 0) {
                nevra = package_nevra(copy);
                r = vz_root_open(ctx->cfg.template_area, &area);
                if (r < 0)
                        vz_error_set(err, r, "template area %s: %s", ctx->cfg.template_area, strerror(-r));
        }
        if (r >= 0) {
                /* beside the template area's trees, on its file system, for the renames */
                s.path = vz_asprintf("%s/.vzpkg-stage.XXXXXX", ctx->cfg.template_area);
                if (!mkdtemp(s.path) || vz_root_open(s.path, &s.fd) < 0)
                        r = vz_error_set(err, -errno, "template area %s: %m", ctx->cfg.template_area);
        }
        if (r >= 0)
                r = read_payload(&s, copy, err);
        for (size_t i = 0; r >= 0 && i < s.n; i++) {
                int lock = -1;
                r = lock_for(ctx, s.units[i]->rel, &lock, err);
                if (r >= 0)
                        r = place_unit(ctx, area, &s, s.units[i], nevra, force, err);
                if (lock >= 0)
                        close(lock);
        }
        unlink(copy);
        stage_done(&s);
        return r;
}

/* ---- remove template ------------------------------------------------------------ */

/* The record's entries, deepest first, removed from the unit moved aside;
 * what the admin added since stays (and with it its directories). */
static size_t remove_listed(int area, char **lines, const char *unit, const char *aside)
{
        size_t left = 0;
        size_t n = 0;
        while (lines[n])
                n++;
        for (size_t i = n; i-- > 0;) {
                const char *sp = strchr(lines[i], ' ');
                if (!sp || !vz_startswith(sp + 1, unit) || (sp[1 + strlen(unit)] != '/'))
                        continue;
                _cleanup_free_ char *rel = vz_asprintf("%s%s", aside, sp + 1 + strlen(unit));
                bool dir = vz_startswith(lines[i], "dir ");
                const char *base;
                _cleanup_close_ int dfd = parent_fd(area, rel, &base);
                if (dfd < 0 || (unlinkat(dfd, base, dir ? AT_REMOVEDIR : 0) < 0 && errno != ENOENT))
                        left++;
        }
        return left;
}

static void remove_empty_parents(int area, const char *unit)
{
        _cleanup_free_ char *p = vz_xstrdup(unit);
        for (char *sl = strrchr(p, '/'); sl; sl = strrchr(p, '/')) {
                *sl = '\0';
                if (unlinkat(area, p, AT_REMOVEDIR) < 0)
                        break;
        }
}

static int has_apps(int area, const char *rec, char **ret_first)
{
        _cleanup_free_ char *prefix = vz_asprintf("%s+", rec);
        _cleanup_close_ int dfd = vz_at_open(area, RECORDS, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, VZ_AT_NOLINKS);
        DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
        struct dirent *de;
        int n = 0;
        if (d)
                dfd = -1;
        while (d && (de = readdir(d)))
                if (vz_startswith(de->d_name, prefix) && n++ == 0)
                        *ret_first = vz_xstrdup(de->d_name + strlen(prefix));
        if (d)
                closedir(d);
        return n;
}

int vz_tmplpkg_remove(struct vz_ctx *ctx, const char *name, const char *for_os, bool force, struct vz_error *err)
{
        _cleanup_free_ char *rec = for_os ? vz_asprintf("%s+%s", for_os, name) : vz_xstrdup(name);
        _cleanup_free_ char *recpath = vz_asprintf(RECORDS "/%s", rec), *text = NULL, *first = NULL;
        _cleanup_free_ char *shown = for_os ? vz_asprintf("%s %s", for_os, name) : vz_xstrdup(name);
        _cleanup_strv_ char **lines = NULL;
        _cleanup_close_ int area = -1, lock = -1;
        const char *unit = NULL;
        size_t len = 0;
        int r = vz_root_open(ctx->cfg.template_area, &area);
        if (r < 0)
                return vz_error_set(err, r, "template area %s: %s", ctx->cfg.template_area, strerror(-r));
        if (strchr(rec, '/') || rec[0] == '.')
                return vz_error_set(err, -VZ_E_NOTEMPLATE, "template %s: not a template name", shown);
        r = vz_at_read(area, recpath, 16 << 20, VZ_AT_NOLINKS, &text, &len);
        if (r < 0)
                return vz_error_set(err, -VZ_E_NOTEMPLATE, "template %s was not installed from a template package "
                                    "(no %s/%s); vzpkg removes only what 'install template' wrote", shown,
                                    ctx->cfg.template_area, recpath);
        lines = vz_strv_split(text, "\n");
        for (char **l = lines; *l; l++)
                if (vz_startswith(*l, "unit "))
                        unit = *l + 5;
        _cleanup_free_ char *check = NULL, *entry = unit ? vz_asprintf(PREFIX "%s", unit) : NULL;
        if (!unit || vz_tmplpkg_classify(entry, &check) != VZ_TP_UNIT)
                return vz_error_set(err, -VZ_E_METADATA, "template %s: record %s/%s is damaged", shown,
                                    ctx->cfg.template_area, recpath);
        if (!for_os && !force && has_apps(area, rec, &first) > 0)
                return vz_error_set(err, -VZ_E_METADATA, "template %s has application template %s installed from a "
                                    "package; remove it first (-F %s %s), or -f", shown, first, rec, first);
        r = lock_for(ctx, unit, &lock, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *aside = vz_asprintf("%s.vzpkg-remove.%d", unit, (int)getpid());
        r = vz_at_rename(area, unit, aside, VZ_AT_NOLINKS);
        if (r < 0 && r != -ENOENT)
                return vz_error_set(err, r, "template %s: %s/%s: %s", shown, ctx->cfg.template_area, unit, strerror(-r));
        if (r >= 0) {
                size_t left = remove_listed(area, lines, unit, aside);
                if (left == 0 && unlinkat(area, aside, AT_REMOVEDIR) == 0)
                        remove_empty_parents(area, unit);
                else if ((r = vz_at_rename(area, aside, unit, VZ_AT_NOLINKS)) < 0)  /* the admin's own files */
                        vz_warn("template %s: files that were not in the package are left in %s/%s: cannot move them "
                                "back to %s: %s", shown, ctx->cfg.template_area, aside, unit, strerror(-r));
                else
                        vz_warn("template %s: kept %s/%s: it holds files that were not in the package", shown,
                                ctx->cfg.template_area, unit);
        }
        r = vz_at_unlink(area, recpath, VZ_AT_NOLINKS);
        unlinkat(area, RECORDS, AT_REMOVEDIR);  /* when it was the last one */
        if (r < 0)
                return vz_error_set(err, r, "template %s: %s/%s: %s", shown, ctx->cfg.template_area, recpath,
                                    strerror(-r));
        vz_info("%s template was removed", shown);
        return 0;
}
