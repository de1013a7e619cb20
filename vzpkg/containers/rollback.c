/* containers/rollback.c: roll-back of a transaction in a running container, without
 * swapping its root. Planning (parent): the installed version of every
 * package the plan replaces or removes is looked up in the repositories, so
 * that it is downloaded with the group's packages. In the worker, before
 * the transaction: the installed set and the configuration files of those
 * packages are saved (host-side, through the root's fd, no link followed).
 * On failure the reverse transaction reinstalls the previous versions,
 * purges what was new, puts the configuration files back and checks that
 * the database holds exactly the saved set. docs/internals/containers.md,
 * "Running containers". */
#include "context.h"
#include "backend.h"
#include "pipeline.h"
#include "containers.h"

#include <fcntl.h>
#include <sys/stat.h>

#define CONFFILE_MAX (8u << 20)      /* one configuration file */
#define CONFFILES_TOTAL (64ull << 20) /* all of them, held in the worker's memory */

/* dpkg's leftovers beside a conffile; made by the failed transaction, they go */
static const char *const sidecars[] = { ".dpkg-dist", ".dpkg-new", ".dpkg-old", ".dpkg-tmp", NULL };

struct saved_file {
        char *rel;               /* relative to the root */
        char *data;              /* NULL: it did not exist (or was not a regular file: left alone) */
        size_t len;
        struct stat st;
        bool regular;
        unsigned sidecars_present; /* bit i: rel + sidecars[i] existed */
};

struct vz_rollback {
        const struct vz_rollback_plan *plan;
        struct vz_pkglist before;  /* the whole installed set */
        struct saved_file *files;
        size_t n_files;
};

/* ---- planning ---------------------------------------------------------------- */

static const struct vz_pkg *installed_named(const struct vz_pkglist *have, const char *name)
{
        for (size_t i = 0; i < have->n; i++)
                if (strcmp(have->pkgs[i].name, name) == 0)
                        return &have->pkgs[i];
        return NULL;
}

static void add_previous(struct vz_resolver *res, const struct vz_pkg *old, struct vz_rollback_plan *p)
{
        struct vz_pkg found;
        for (size_t i = 0; i < p->previous.n; i++)
                if (strcmp(p->previous.pkgs[i].name, old->name) == 0)
                        return;  /* replaced and named again (an erase list entry) */
        if (vz_resolver_find(res, old->name, old->arch, old->version, &found) < 0) {
                vz_strv_push_take(&p->unpublished, vz_asprintf("%s %s", old->name, old->version));
                return;
        }
        p->previous.pkgs = vz_xrealloc(p->previous.pkgs, (p->previous.n + 1) * sizeof(found));
        p->previous.pkgs[p->previous.n++] = found;
}

void vz_rollback_plan_make(struct vz_resolver *res, const struct vz_pkglist *have, const struct vz_pkglist *install,
                           const struct vz_pkglist *erase, struct vz_rollback_plan *ret)
{
        memset(ret, 0, sizeof(*ret));
        ret->fresh = vz_xmalloc(sizeof(char *));
        ret->unpublished = vz_xmalloc(sizeof(char *));
        for (size_t i = 0; i < install->n; i++) {
                const struct vz_pkg *old = installed_named(have, install->pkgs[i].name);
                if (old)
                        add_previous(res, old, ret);
                else
                        vz_strv_push(&ret->fresh, install->pkgs[i].name);
        }
        for (size_t i = 0; i < erase->n; i++) {
                const struct vz_pkg *old = installed_named(have, erase->pkgs[i].name);
                add_previous(res, old ? old : &erase->pkgs[i], ret);
        }
}

void vz_rollback_plan_done(struct vz_rollback_plan *p)
{
        vz_pkglist_done(&p->previous);
        vz_strv_free(p->fresh);
        vz_strv_free(p->unpublished);
        memset(p, 0, sizeof(*p));
}

/* ---- saving --------------------------------------------------------------------- */

static bool exists_at(int rfd, const char *rel)
{
        _cleanup_close_ int fd = vz_at_open(rfd, rel, O_PATH, 0, VZ_AT_NOLINKS);
        return fd >= 0;
}

/* The tenant's file: no link is followed on its path; what is not a
 * regular file is not saved and is left as the transaction leaves it. */
static int save_file(int rfd, const char *rel, struct saved_file *f, unsigned long long *total)
{
        _cleanup_close_ int fd = vz_at_open(rfd, rel, O_PATH, 0, VZ_AT_NOLINKS);
        int r;

        memset(f, 0, sizeof(*f));
        f->rel = vz_xstrdup(rel);
        for (size_t i = 0; sidecars[i]; i++) {
                _cleanup_free_ char *side = vz_asprintf("%s%s", rel, sidecars[i]);
                if (exists_at(rfd, side))
                        f->sidecars_present |= 1u << i;
        }
        if (fd < 0)
                return 0;  /* missing (the admin deleted it) or behind a link: left alone */
        if (fstat(fd, &f->st) < 0)
                return -errno;
        if (!S_ISREG(f->st.st_mode))
                return 0;
        r = vz_at_read(rfd, rel, CONFFILE_MAX, VZ_AT_NOLINKS, &f->data, &f->len);
        if (r < 0)
                return r;
        f->regular = true;
        *total += f->len;
        return *total > CONFFILES_TOTAL ? -EFBIG : 0;
}

static char **previous_names(const struct vz_rollback_plan *p)
{
        char **v = vz_xmalloc(sizeof(char *));
        for (size_t i = 0; i < p->previous.n; i++)
                vz_strv_push(&v, p->previous.pkgs[i].name);
        return v;
}

int vz_rollback_save(struct vz_build *b, const struct vz_rollback_plan *p, struct vz_rollback **ret,
                     struct vz_error *err)
{
        const struct vz_backend *be = b->be;
        _cleanup_strv_ char **names = previous_names(p), **paths = NULL;
        _cleanup_close_ int rfd = -1;
        unsigned long long total = 0;
        struct vz_rollback *rb = vz_xmalloc(sizeof(*rb));
        int r;

        memset(rb, 0, sizeof(*rb));
        rb->plan = p;
        *ret = rb;
        r = be->installed(b, &b->ws, &rb->before, err);
        if (r >= 0 && be->conffiles)
                r = be->conffiles(b, names, &paths, err);
        if (r < 0)
                return r;
        r = vz_root_open(b->ws.root, &rfd);
        if (r < 0)
                return vz_error_set(err, r, "container %s: %s: %s", b->ws.ctid, b->ws.root, strerror(-r));
        rb->files = vz_xmalloc((vz_strv_len(paths) + 1) * sizeof(*rb->files));
        for (char **q = paths; q && *q; q++) {
                r = save_file(rfd, *q, &rb->files[rb->n_files], &total);
                rb->n_files++;
                if (r < 0)
                        return vz_error_set(err, r, "container %s: cannot save the configuration file /%s: %s",
                                            b->ws.ctid, *q, r == -EFBIG ? "too large" : strerror(-r));
        }
        vz_verbose("container %s: %zu configuration files saved for a roll-back", b->ws.ctid, rb->n_files);
        return 0;
}

void vz_rollback_free(struct vz_rollback *rb)
{
        if (!rb)
                return;
        vz_pkglist_done(&rb->before);
        for (size_t i = 0; i < rb->n_files; i++) {
                free(rb->files[i].rel);
                free(rb->files[i].data);
        }
        free(rb->files);
        free(rb);
}

/* ---- the reverse transaction ------------------------------------------------------- */

static bool has_exactly(const struct vz_pkglist *l, const struct vz_pkg *p)
{
        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->pkgs[i].name, p->name) == 0 && strcmp(l->pkgs[i].arch, p->arch) == 0 &&
                    strcmp(l->pkgs[i].version, p->version) == 0)
                        return true;
        return false;
}

/* Written as the file was (content, owner, mode) by rename over whatever
 * the transaction left; the sidecars it made are removed. */
static int restore_file(int rfd, const struct saved_file *f)
{
        int r = 0;
        for (size_t i = 0; sidecars[i]; i++) {
                _cleanup_free_ char *side = vz_asprintf("%s%s", f->rel, sidecars[i]);
                if (!(f->sidecars_present & (1u << i)) && (r = vz_at_unlink(rfd, side, VZ_AT_NOLINKS)) < 0 &&
                    r != -ENOENT)
                        return r;
        }
        if (!f->regular)
                return 0;
        r = vz_at_write_atomic(rfd, f->rel, f->data, f->len, f->st.st_mode & 07777, VZ_AT_NOLINKS);
        if (r < 0)
                return r;
        _cleanup_close_ int fd = vz_at_open(rfd, f->rel, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0, VZ_AT_NOLINKS);
        if (fd < 0)
                return fd;
        /* chown first: it may clear set-id bits that fchmod then sets again */
        if (fchown(fd, f->st.st_uid, f->st.st_gid) < 0 || fchmod(fd, f->st.st_mode & 07777) < 0)
                return -errno;
        return 0;
}

static int restore_files(struct vz_build *b, struct vz_rollback *rb, struct vz_error *err)
{
        _cleanup_close_ int rfd = -1;
        int r = vz_root_open(b->ws.root, &rfd);
        for (size_t i = 0; i < rb->n_files && r >= 0; i++)
                if ((r = restore_file(rfd, &rb->files[i])) < 0)
                        return vz_error_set(err, r, "cannot put back the configuration file /%s: %s", rb->files[i].rel,
                                            strerror(-r));
        return r < 0 ? vz_error_set(err, r, "%s: %s", b->ws.root, strerror(-r)) : 0;
}

/* "name version" of what differs from the saved set, for the message. */
static char *differences(const struct vz_pkglist *before, const struct vz_pkglist *now)
{
        char *text = NULL;
        size_t len = 0, n = 0;
        FILE *f = open_memstream(&text, &len);
        for (size_t i = 0; i < before->n; i++)
                if (!has_exactly(now, &before->pkgs[i]) && n++ < 8)
                        fprintf(f, "%s%s %s not installed", n > 1 ? ", " : "", before->pkgs[i].name,
                                before->pkgs[i].version);
        for (size_t i = 0; i < now->n; i++)
                if (!has_exactly(before, &now->pkgs[i]) && n++ < 8)
                        fprintf(f, "%s%s %s installed", n > 1 ? ", " : "", now->pkgs[i].name, now->pkgs[i].version);
        if (n > 8)
                fprintf(f, " and %zu more", n - 8);
        fclose(f);
        if (n == 0) {
                free(text);
                return NULL;
        }
        return text;
}

static int verify(struct vz_build *b, struct vz_rollback *rb, struct vz_error *err)
{
        struct vz_pkglist now = { 0 };
        _cleanup_free_ char *diff = NULL;
        int r = b->be->installed(b, &b->ws, &now, err);
        if (r < 0)
                return r;
        diff = differences(&rb->before, &now);
        vz_pkglist_done(&now);
        if (diff)
                return vz_error_set(err, -VZ_E_INSTALL, "the package database is not as before: %s", diff);
        return 0;
}

int vz_rollback_run(struct vz_build *b, struct vz_rollback *rb, bool applied, struct vz_error *err)
{
        const struct vz_backend *be = b->be;
        const struct vz_pkglist *prev = &rb->plan->previous;
        _cleanup_free_ bool *select = vz_xmalloc((prev->n + 1) * sizeof(bool));
        struct vz_pkglist now = { 0 };
        int r;

        if (!applied) {  /* failed before the package manager ran (a hook, the container stopped) */
                r = restore_files(b, rb, err);
                return r < 0 ? r : verify(b, rb, err);
        }
        if (b->ws.log)
                fputs("\n### roll-back: the previous versions\n", b->ws.log), fflush(b->ws.log);
        r = be->installed(b, &b->ws, &now, err);
        if (r < 0)
                return r;
        /* what the transaction did not get to stays as it is */
        for (size_t i = 0; i < prev->n; i++)
                select[i] = !has_exactly(&now, &prev->pkgs[i]);
        vz_pkglist_done(&now);
        r = be->apply(b, (struct vz_pkglist *)prev, select, rb->plan->fresh, err);
        if (r >= 0)
                r = restore_files(b, rb, err);
        if (r >= 0)
                r = verify(b, rb, err);
        return r;
}
