/* local.c: package files from the host in a container transaction
 * (localinstall, localupdate). Per OS template group, containers/operate.c calls
 * vz_local_import (each file copied into the package cache and verified
 * there: the .deb's structure, the .rpm's signature) and, per solve,
 * vz_local_job (the files as a command-line repository of the resolver,
 * the signature policy applied, what is already installed left out). The
 * rest is install -p's pipeline. docs/internals/local.md. */
#include "context.h"
#include "backend.h"
#include "pipeline.h"
#include "imports.h"

static void files_reset(struct vz_local *l)
{
        for (size_t i = 0; i < l->n; i++) {
                free(l->files[i].sha256);
                free(l->files[i].path);
                l->files[i].sha256 = l->files[i].path = NULL;
                l->files[i].unsigned_ok = false;
        }
}

void vz_local_done(struct vz_local *l)
{
        if (!l)
                return;
        files_reset(l);
        free(l->files);
        l->files = NULL;
        l->n = 0;
}

/* A file librpm finds unsigned or signed by another key: with --unsigned,
 * its digests must still hold, and apply() must not check it again. */
static int verify_rpm(struct vz_build *b, const struct vz_backend *be, struct vz_local_file *f, bool allow,
                      struct vz_error *err)
{
        int r = be->verify_file(b, f->path, f->arg, false, err);
        if (r == -VZ_E_SIGNATURE && !allow) {
                char msg[sizeof(err->msg)];
                snprintf(msg, sizeof(msg), "%s", err->msg);
                return vz_error_reset(err, r, "%.900s (--unsigned to install it anyway)", msg);
        }
        if (r != -VZ_E_SIGNATURE)
                return r;
        memset(err, 0, sizeof(*err));
        r = be->verify_file(b, f->path, f->arg, true, err);
        if (r >= 0) {
                f->unsigned_ok = true;
                vz_strv_push(&b->unsigned_ok, f->sha256);
                vz_warn("package file %s: not signed by a key of template %s; installing it because of --unsigned",
                        f->arg, vz_template_name(b->tmpl));
        }
        return r;
}

int vz_local_import(struct vz_build *b, struct vz_local *l, struct vz_error *err)
{
        const struct vz_backend *be = b->be;
        files_reset(l);
        if (!b->unsigned_ok)
                b->unsigned_ok = vz_xmalloc(sizeof(char *));
        for (size_t i = 0; i < l->n; i++) {
                struct vz_local_file *f = &l->files[i];
                char hex[65];
                int r = vz_pkgcache_import(b->session.pkgcache, f->arg, be->pkg_suffix, VZ_LOCAL_MAX, hex, &f->path, err);
                if (r < 0)
                        return r;
                f->sha256 = vz_xstrdup(hex);
                if (be->verify_file)
                        r = verify_rpm(b, be, f, l->allow_unsigned, err);
                else
                        r = vz_deb_check(f->path, f->arg, err);
                if (r < 0)
                        return r;
                vz_verbose("package file %s: SHA-256 %s", f->arg, f->sha256);
        }
        return 0;
}

/* Debian packages carry no signature of their own: a file is trusted when
 * a signed repository of the template publishes that very file (its
 * SHA-256 in a signed index), else only with --unsigned. */
static int deb_policy(struct vz_build *b, struct vz_resolver *res, const struct vz_local *l,
                      const struct vz_local_file *f, struct vz_error *err)
{
        if (vz_resolver_published(res, f->sha256))
                return 0;
        if (!l->allow_unsigned)
                return vz_error_set(err, -VZ_E_SIGNATURE,
                                    "package file %s: no signed repository of template %s publishes it (SHA-256 %.16s...) "
                                    "and a .deb carries no signature of its own; --unsigned to install it anyway",
                                    f->arg, vz_template_name(b->tmpl), f->sha256);
        return 0;
}

/* localinstall: what is not installed in that version; localupdate: newer
 * versions of installed packages only (as yum localupdate). */
static bool wanted(const struct vz_local *l, const struct vz_local_file *f, const struct vz_file_info *fi,
                   const char *ctid)
{
        if (l->update && !fi->installed) {
                vz_info("container %s: %s: %s is not installed; skipped (localinstall installs it)", ctid, f->arg,
                        fi->name);
                return false;
        }
        if (fi->installed && fi->cmp <= 0) {
                vz_info("container %s: %s: %s %s is %s the installed %s; skipped", ctid, f->arg, fi->name, fi->version,
                        fi->cmp == 0 ? "already" : "older than", fi->installed);
                return false;
        }
        return true;
}

int vz_local_job(struct vz_build *b, struct vz_resolver *res, const struct vz_local *l, const char *ctid,
                 struct vz_job *job, struct vz_error *err)
{
        int *ids = vz_xmalloc((l->n + 1) * sizeof(int));
        size_t n = 0;
        for (size_t i = 0; i < l->n; i++) {
                const struct vz_local_file *f = &l->files[i];
                const char *base = strrchr(f->arg, '/') ? strrchr(f->arg, '/') + 1 : f->arg;
                struct vz_file_info fi;
                int id = 0;
                int r = vz_resolver_add_file(res, f->path, f->sha256, base, f->arg, &id, err);
                if (r >= 0 && !b->be->verify_file)
                        r = deb_policy(b, res, l, f, err);
                if (r < 0) {
                        free(ids);
                        return r;
                }
                vz_resolver_file_info(res, id, &fi);
                if (wanted(l, f, &fi, ctid))
                        ids[n++] = id;
        }
        job->files = ids;
        job->n_files = n;
        return 0;
}
