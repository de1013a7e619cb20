/* backend.h: the package-format backends (Debian: deb.c, RPM: rpm.c). */
#pragma once

#include "context.h"

struct vz_build;

/* Package-format backends: the pipeline calls these, never branches on the
 * family itself. */
struct vz_backend {
        const char *name;
        const char *pkg_suffix;
        int (*install)(struct vz_build *b, const struct vz_pkglist *pkgs, struct vz_error *err);
        int (*installed)(struct vz_build *b, struct vz_pkglist *ret, struct vz_error *err);
        /* In the root (an unpacked cache or a container): install or upgrade
         * the packages of `l` selected by `select` (NULL: all), then remove
         * the packages named in `remove`; no hooks. */
        int (*apply)(struct vz_build *b, struct vz_pkglist *l, const bool *select, char **remove,
                     struct vz_error *err);
        /* A refreshed cache's package manager state, as install leaves it. */
        int (*finish_cache)(struct vz_build *b, struct vz_error *err);
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
/* backends/rpm.c: a .rpm file's digests and its signature by one of the
 * armored keys in keyfiles (digests_only: the digests alone); owner names
 * the keys' owner when there are none. -VZ_E_SIGNATURE naming label. */
int vz_rpm_verify_file(char *const *keyfiles, const char *owner, const char *path, const char *label,
                       bool digests_only, struct vz_error *err);
/* upgrade: the template's repositories for apt in the root, old lists dropped. */
int vz_deb_set_sources(struct vz_build *b, struct vz_error *err);
const struct vz_backend *vz_backend_for(const struct vz_template *t);
