/* imports.h: files the admin brings from the host: package files
 * (localinstall, localupdate) and vztt's template packages. */
#pragma once

#include "context.h"

struct vz_build;

/* ---- package files from the host (local.c): localinstall, localupdate ---- */
#define VZ_LOCAL_MAX (1LL << 30)  /* bytes: a larger package file is refused unread */
struct vz_local_file {
        char *arg;               /* as named on the command line */
        char *sha256, *path;     /* after vz_local_import: in the package cache */
        bool unsigned_ok;        /* admitted by --unsigned */
};
struct vz_local {
        struct vz_local_file *files;
        size_t n;
        bool update;             /* localupdate: newer versions of installed packages only */
        bool allow_unsigned;     /* --unsigned */
};
/* Per OS template group: each file copied into the package cache and
 * verified there (structure; RPM: signature, see vz_backend.verify_file). */
int vz_local_import(struct vz_build *b, struct vz_local *l, struct vz_error *err);
/* Per solve, after the repositories and the installed set are loaded: the
 * files into res, the signature policy, and job->files (allocated) the
 * ones to install in container ctid. */
int vz_local_job(struct vz_build *b, struct vz_resolver *res, const struct vz_local *l, const char *ctid,
                 struct vz_job *job, struct vz_error *err);
void vz_local_done(struct vz_local *l);

/* ---- vztt's template packages (tmplpkg.c): install|remove template ---------- */
/* FILE: a .rpm whose payload is /vz/template/<os>/<ver>/<arch>/config/...,
 * signed by a key in TEMPLATE_KEYS (else refused, or with allow_unsigned
 * its digests alone); each template in it placed whole; -f replaces one
 * that is there. */
int vz_tmplpkg_install(struct vz_ctx *ctx, const char *file, bool force, bool allow_unsigned, struct vz_error *err);
/* What install template wrote for NAME (or for_os's application template
 * NAME), by its record; an OS template with app templates from packages
 * only with force. */
int vz_tmplpkg_remove(struct vz_ctx *ctx, const char *name, const char *for_os, bool force, struct vz_error *err);
/* Path checks, exposed for the unit tests. An entry of the payload: above
 * the template directories (VZ_TP_PARENT: *ret_rel NULL for /vz and
 * /vz/template, else the path below /vz/template/), a template's directory
 * (<os>/<ver>/<arch>/config/os/<set> or .../config/app/<app>/<set>), or a
 * path inside one; -EXDEV outside /vz/template/, -EINVAL for '..', '.',
 * empty or control-character components or another layout. */
enum { VZ_TP_PARENT, VZ_TP_UNIT, VZ_TP_INSIDE };
int vz_tmplpkg_classify(const char *entry, char **ret_rel);
size_t vz_tmplpkg_unit_len(const char *rel);  /* the template directory's part of rel; 0: none */
/* A symbolic link at rel (inside a template) to target stays inside that
 * template's directory: relative, and no '..' climbs above it. */
bool vz_tmplpkg_link_ok(const char *rel, const char *target);
