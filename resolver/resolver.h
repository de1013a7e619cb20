/* resolver: a libsolv pool with the semantics of the template's package
 * family. Repositories go in (with a .solv cache keyed by the metadata's
 * checksum), a job comes out as an ordered install list. Plain words for
 * problems. See docs/internals/resolver.md. */
#pragma once

#include "common.h"

struct vz_pkg {
        char *name, *arch, *version;
        char *filename;     /* location relative to the repository root */
        char *sha256;       /* from the signed metadata */
        long long size;
        int repo;           /* index given to vz_resolver_add_deb_repo */
        bool essential;     /* Essential: yes (Debian) */
        bool bootstrap;     /* in the closure of the essential set: unpacked first */
        int batch;          /* install batch: 0 = bootstrap; a package's pre-dependencies
                             * are in earlier batches, so each batch can be one dpkg run */
        char **prereqs;     /* names of packages of this list it pre-depends on */
        bool replaced;      /* erase list: goes because a new package obsoletes it */
        int stage;          /* 0, or the bootstrap stage (packages_0 line, packages_1)
                             * it is unpacked in: see vz_resolver_mark_stage */
};

struct vz_pkglist {
        struct vz_pkg *pkgs;    /* in installation order (dependencies first) */
        size_t n;
};

enum {
        VZ_RESOLVE_BASE = 1 << 0,  /* add every Essential: yes and Priority: required package */
};

struct vz_resolver;

/* arch: the distribution's name for it (amd64, arm64, x86_64...). */
int vz_resolver_new_deb(const char *arch, struct vz_resolver **ret);
int vz_resolver_new_rpm(const char *arch, struct vz_resolver **ret);
void vz_resolver_free(struct vz_resolver *r);
static inline void vz_resolver_freep(struct vz_resolver **r) { vz_resolver_free(*r); }
#define _cleanup_resolver_ _cleanup_(vz_resolver_freep)

/* Add a Debian Packages file (plain, .gz or .xz). When cache_dir is given the
 * parsed form is kept there as <key>.solv (key: the file's signed SHA-256) and
 * reused next time. label names the repository in errors. */
int vz_resolver_add_deb_repo(struct vz_resolver *r, int repo_index, const char *label,
                             const char *packages_path, const char *cache_dir, const char *key,
                             int priority, struct vz_error *err);

/* Add an rpm-md repository: primary.xml (.gz/.xz/.zst), and filelists.xml
 * when given (NULL: only the files primary lists). Cached as <key>.solv
 * (key: the signed checksums of the files loaded). */
int vz_resolver_add_rpmmd_repo(struct vz_resolver *r, int repo_index, const char *label, const char *primary,
                               const char *filelists, const char *comps, const char *cache_dir, const char *key,
                               int priority, struct vz_error *err);

/* True when some file dependency has no provider with the files loaded so
 * far: time to load filelists. */
bool vz_resolver_needs_filelists(struct vz_resolver *r);

/* Resolve `names` (plus the base set with VZ_RESOLVE_BASE) for a fresh
 * install. `what` names the template in messages. */
int vz_resolver_solve(struct vz_resolver *r, char *const *names, unsigned flags, const char *what,
                      struct vz_pkglist *ret, struct vz_error *err);

void vz_pkglist_done(struct vz_pkglist *l);

/* Mark with `stage` (> 0) the packages of l (solved by r) that `names`
 * need, over Depends and Pre-Depends, and that are neither in the
 * essential set nor in an earlier stage. Returns how many it marked. */
int vz_resolver_mark_stage(struct vz_resolver *r, struct vz_pkglist *l, char *const *names, int stage);

/* ---- existing systems (containers) ------------------------------------- */

/* Load what a root has installed (dpkg status / rpmdb) as the pool's
 * installed repository. Call once, before solving. */
int vz_resolver_load_installed(struct vz_resolver *r, const char *root, struct vz_error *err);
/* A root's var/lib/dpkg/status, read through the root's fd (no link leads
 * out of it) and checked: a regular file of sane size, no NUL byte, no
 * overlong line; -VZ_E_UNSAFE with a message naming `what` otherwise. */
int vz_dpkg_status_read(const char *root, const char *what, char **ret, size_t *ret_len, struct vz_error *err);
int vz_dpkg_status_check(const char *text, size_t len);  /* 0, -EINVAL (NUL) or -E2BIG (line) */
/* No symbolic link on the rpmdb's paths leads out of root (librpm opens it by path). */
int vz_rpmdb_check_links(const char *root, const char *what, struct vz_error *err);

struct vz_job {
        char **install;          /* names to install */
        char **erase;            /* names to remove */
        char **update;           /* names to update; NULL with update_all */
        bool update_all;
        bool cleandeps;          /* also remove what only the erased needed */
        bool with_depends;       /* also remove what needs the erased (else refused) */
        const int *files;        /* package files to install: vz_resolver_add_file's ids */
        size_t n_files;
        bool dist_upgrade;       /* every installed package to the repositories' best version,
                                  * whatever its version now (a release upgrade: apt full-upgrade) */
        bool base;               /* also install every Essential: yes and Priority: required package */
};

/* Solve a job against the installed repository: *ret_install the packages
 * to install or upgrade to (ordered), *ret_erase the installed packages
 * that go without a replacement. */
int vz_resolver_solve_job(struct vz_resolver *r, const struct vz_job *job, const char *what,
                          struct vz_pkglist *ret_install, struct vz_pkglist *ret_erase, struct vz_error *err);

/* The repository package (not an installed one) with exactly this name,
 * arch and version, as a solve would give it (location, SHA-256, size):
 * where an installed version can be fetched again for a roll-back. arch
 * NULL: any. -ENOENT when no repository publishes it any more, -VZ_E_CHECKSUM
 * when its repository gives no SHA-256. */
int vz_resolver_find(struct vz_resolver *r, const char *name, const char *arch, const char *version,
                     struct vz_pkg *ret);

/* ---- package files from the host (localinstall; local.c) ------------------
 * A .deb (Debian pool) or .rpm (RPM pool), already verified and in the
 * package cache, as a solvable of the "@commandline" repository: resolved
 * with the repositories (its dependencies come from them), with `sha256`
 * as its checksum and `location` as its file name. *ret_id goes into
 * vz_job.files. -VZ_E_CHECKSUM, naming `label`, when libsolv cannot read it. */
int vz_resolver_add_file(struct vz_resolver *r, const char *path, const char *sha256, const char *location,
                         const char *label, int *ret_id, struct vz_error *err);
struct vz_file_info {
        const char *name, *arch, *version;  /* owned by the resolver */
        const char *installed;              /* the installed version of that name and arch, or NULL */
        int cmp;                            /* version against installed: < 0 older, 0 same, > 0 newer */
};
void vz_resolver_file_info(struct vz_resolver *r, int id, struct vz_file_info *ret);
/* A repository (not the installed set, not a file) publishes a package
 * with this SHA-256 in its signed index. */
bool vz_resolver_published(struct vz_resolver *r, const char *sha256);

/* Compare two versions with the pool's semantics (Debian: dpkg's rules). */
int vz_resolver_evrcmp(struct vz_resolver *r, const char *a, const char *b);

/* Give the packages of `l` for which select[i] is true batch numbers from
 * 1 in list order, starting a new batch whenever a package pre-depends on
 * one already in the current batch. Returns the number of batches. */
int vz_pkglist_batches(struct vz_pkglist *l, const bool *select);

/* Every package SHA-256 of an rpm-md primary.xml (any compression). */
int vz_rpmmd_scan_sha256(const char *primary_path, char ***ret);

/* Every SHA256 of a Packages file (plain, .gz or .xz), unsorted. */
int vz_deb_scan_sha256(const char *packages_path, char ***ret);

/* Internal, exposed for the unit tests: the Essential: yes and the
 * Priority: required package names of one Packages file, sorted. */
int vz_deb_scan_base(const char *packages_path, char ***ret_essential, char ***ret_required);
/* The same, and "name rank" for every Priority other than optional (apt's
 * ranks: required 1, important 2, standard 3, extra 5), unsorted, and every
 * package name in the order apt's cache first meets it (its last
 * tie-break), one a line. ret_ranks and ret_mentions may be NULL. */
int vz_deb_scan_fields(const char *packages_path, char ***ret_essential, char ***ret_required, char ***ret_ranks,
                       char **ret_mentions);
/* The same from an uncompressed stream, read to its end. */
int vz_deb_scan_fields_stream(FILE *f, char ***ret_essential, char ***ret_required, char ***ret_ranks,
                              char **ret_mentions);
