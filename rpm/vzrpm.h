/* vzrpm.h: librpm for vzpkg (rpm/). Knows packages, keys and roots, not
 * templates or builds; never prints: errors through struct vz_error, the
 * transaction's lines through a callback. Named so that it cannot be taken
 * for one of librpm's own headers (<rpm/...>). docs/internals/rpm.md. */
#pragma once

#include "common.h"
#include "resolver.h"

#include <stdint.h>

/* The line the transaction prints as each package starts installing, then
 * its NEVRA: the build log shows it and the backend counts it for progress. */
#define VZ_RPM_INSTALLING "rpm: installing "

/* librpm's configuration read (once, on the host: a root after pivot_root
 * has no /usr/lib/rpm), then the macros every root of ours uses: the rpmdb
 * in /var/lib/rpm as sqlite; install_langs (NULL: librpm's default) as
 * %_install_langs. */
void vz_rpm_setup(const char *install_langs);

/* ---- keys and package signatures (verify.c) ------------------------------- */

/* Armored OpenPGP public keys, and the keyring made of them alone. */
struct vz_rpm_keys;

/* Every file of the NULL-terminated list (NULL: none): -VZ_E_SIGNATURE
 * naming a file that is no armored public key, or naming owner when there
 * is no key at all. */
int vz_rpm_keys_load(char *const *files, const char *owner, struct vz_rpm_keys **ret, struct vz_error *err);
void vz_rpm_keys_free(struct vz_rpm_keys *k);
static inline void vz_rpm_keys_freep(struct vz_rpm_keys **k)
{
        vz_rpm_keys_free(*k);
}
#define _cleanup_rpm_keys_ __attribute__((cleanup(vz_rpm_keys_freep)))

/* A .rpm file's digests and its signature by one of the keys (digests_only:
 * the digests alone). -VZ_E_SIGNATURE "package NAME[ VERSION]: ... check
 * failed (librpm's verdict); refusing to install it". */
int vz_rpm_verify(struct vz_rpm_keys *k, const char *path, const char *name, const char *version, bool digests_only,
                  struct vz_error *err);
/* The same with keys loaded from keyfiles for this one file. */
int vz_rpm_verify_file(char *const *keyfiles, const char *owner, const char *path, const char *label,
                       bool digests_only, struct vz_error *err);

/* ---- the transaction, in the current root (transaction.c) ----------------- */

struct vz_rpm_item {
        const char *path;   /* the package file as seen in the root */
        const char *name;   /* for the messages */
};

struct vz_rpm_job {
        const struct vz_rpm_item *install;
        size_t n_install;
        char *const *erase;              /* names to erase; NULL: none */
        const struct vz_rpm_keys *keys;  /* imported into the rpmdb, checked again by librpm */
        bool upgrade;                    /* install as upgrades of what is there */
        bool digests_only;               /* a package is a file admitted unsigned */
        bool nodocs;                     /* %doc files left out */
        /* each line (progress, problems, failures) as the log shows it */
        void (*line)(void *data, const char *text);
        void *data;
};

/* One transaction in "/" (the function run in the build container's child,
 * after pivot_root; vz_rpm_setup() called before the fork). 0, or
 * -VZ_E_INSTALL with the reason already given to job->line. */
int vz_rpm_transaction(const struct vz_rpm_job *job);

/* ---- a root's rpmdb, read from the host (rpmdb-read.c) -------------------- */

/* What root's rpmdb says is installed (gpg-pubkey entries left out),
 * version as [epoch:]version-release; empty sqlite WAL files this read left
 * are removed. librpm opens the rpmdb by path: a link on the way out of
 * root is refused first (-VZ_E_UNSAFE naming what; resolver's
 * vz_rpmdb_check_links). -VZ_E_INSTALL "no rpmdb in ROOT/var/lib/rpm" when
 * there is none. */
int vz_rpm_installed(const char *root, const char *what, struct vz_pkglist *ret, struct vz_error *err);

/* Give each directory of dirs (absolute, NULL-terminated) inside root the
 * mode its owning package records: they were mount points while the
 * transaction ran, so the modes rpm set landed on the mounted file systems. */
void vz_rpm_fix_modes(const char *root, const char *const *dirs);

/* ---- a package file's header ---------------------------------------------- */

struct vz_rpm_header {
        char *name, *version, *release, *arch, *nevra;
        uint32_t epoch;
};

/* The header of the .rpm at path, its signature not checked (the caller
 * verified the file). -VZ_E_CHECKSUM when librpm cannot read it. */
int vz_rpm_read_header(const char *path, struct vz_rpm_header *ret, struct vz_error *err);
void vz_rpm_header_done(struct vz_rpm_header *h);
