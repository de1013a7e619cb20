/* backend.h: the package-format backends (Debian: deb.c, RPM: rpm.c). */
#pragma once

#include "context.h"

struct vz_build;

struct vz_workspace;

/* Package-format backends: everything particular to a family (Debian:
 * dpkg in the root; RPM: librpm). The pipeline calls these in the order of
 * its phase table (pipeline/phases.c) and never branches on the family. */
struct vz_backend {
        const char *name;
        const char *pkg_suffix;
        /* ---- family facts ---- */
        const char *const *env;         /* "KEY=VALUE" for every command run in the root */
        const char *const *state_dirs;  /* the package database, relative to the root */
        const char *pkg_mount;          /* where commands in the root find the package cache */
        const char *const *build_traces;  /* the package manager's files that differ per build: dropped */
        bool stage_cache;               /* a build saves and reuses its stages (pipeline/stages.c) */
        /* The package manager's output as it arrives: the backend calls
         * vz_build_configured() for each package it configured (progress). */
        void (*scan_output)(struct vz_build *b, const char *buf, size_t len);
        /* ---- create cache: the steps between the hooks (phases.c). NULL: nothing to do.
         * unpack_stages NULL: the family has no bootstrap stages, and no mid-install hooks. */
        int (*prepare)(struct vz_build *b, const struct vz_pkglist *pkgs, struct vz_error *err);
        int (*install_base)(struct vz_build *b, const struct vz_pkglist *pkgs, struct vz_error *err);
        int (*unpack_stages)(struct vz_build *b, const struct vz_pkglist *pkgs, struct vz_error *err);
        int (*install_rest)(struct vz_build *b, const struct vz_pkglist *pkgs, struct vz_error *err);
        int (*finish_install)(struct vz_build *b, struct vz_error *err);  /* before post-cache */
        int (*clean)(struct vz_build *b, struct vz_error *err);           /* after the last hook */
        /* ---- operations ---- */
        /* What the database in ws's root says is installed. */
        int (*installed)(struct vz_build *b, const struct vz_workspace *ws, struct vz_pkglist *ret,
                         struct vz_error *err);
        /* In the root (an unpacked cache or a container): install or upgrade
         * the packages of `l` selected by `select` (NULL: all), then remove
         * the packages named in `remove`; no hooks. */
        int (*apply)(struct vz_build *b, struct vz_pkglist *l, const bool *select, char **remove,
                     struct vz_error *err);
        /* Before the transactions of many roots (containers/operate.c):
         * make the downloaded packages `l` cheaper for each root's package
         * manager to read. NULL: nothing to do. */
        void (*prepare_packages)(struct vz_build *b, const struct vz_pkglist *l);
        /* A refreshed cache's package manager state, as install leaves it. */
        int (*finish_cache)(struct vz_build *b, struct vz_error *err);
        /* upgrade: the new release's repositories for the package manager in
         * the root. NULL: the family cannot be upgraded yet. */
        int (*set_sources)(struct vz_build *b, struct vz_error *err);
        /* The configuration files the named installed packages own, as
         * paths relative to the root (read host-side from the database). */
        int (*conffiles)(struct vz_build *b, char **names, char ***ret, struct vz_error *err);
        /* Transactions run in this process (librpm), which cannot enter a
         * running container: such containers are refused. */
        bool in_process;
        /* A package file from the host (localinstall), in the package cache:
         * its signature by a key of the template (-VZ_E_SIGNATURE when
         * unsigned or signed by another key), or with digests_only its
         * digests alone. NULL: the family's packages carry no signature of
         * their own (Debian: local.c's policy instead). */
        int (*verify_file)(struct vz_build *b, const char *path, const char *label, bool digests_only,
                           struct vz_error *err);
};
extern const struct vz_backend vz_backend_deb;
extern const struct vz_backend vz_backend_rpm;
/* The template's backend; NULL when its package manager has none. */
const struct vz_backend *vz_backend_for(const struct vz_template *t);
/* The same, or -VZ_E_METADATA "package manager X is not supported": the
 * one place that says so (every command on a template comes here). */
int vz_backend_get(const struct vz_template *t, const struct vz_backend **ret, struct vz_error *err);
