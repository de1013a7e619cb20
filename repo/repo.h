/* repo: repository metadata, for both families. Syncing (download,
 * signature check against the template's keys, the replay and expiry
 * rules, -C and refresh), the on-disk metadata cache and its lock, loading
 * what was accepted into a resolver, and which package files the cached
 * metadata still references (vzpkg clean). Prints nothing: notes go to a
 * callback. See docs/internals/repo.md. */
#pragma once

#include "common.h"
#include "fetch.h"
#include "metadata.h"
#include "resolver.h"

/* One repository after its metadata was fetched and verified. */
struct vz_repo_state {
        char **urls;             /* base URL alternatives */
        char *suite;             /* "" for rpm-md */
        char *date;              /* Release Date: (rpm-md: repomd timestamp, in UTC) */
        long long date_epoch;    /* -1: unknown */
};

enum vz_meta_mode {
        VZ_META_NORMAL,          /* use cached metadata younger than METADATA_EXPIRE */
        VZ_META_REFRESH,         /* ask the repositories (conditional requests) */
};

/* How a run treats the metadata cache (from vzpkg.conf and the command line). */
struct vz_repo_opts {
        const char *metadata_cache;   /* METADATA_CACHE */
        long long expire;             /* METADATA_EXPIRE, seconds */
        bool check_valid_until;       /* CHECK_VALID_UNTIL: refuse an expired Release */
        bool cache_only;              /* -C: never ask a repository */
        const char *debian_keyring;   /* a Debian template that lists no keys: these */
        const char *tmpdir;           /* private scratch space (signature checks) */
        /* Things worth a line at -v (NULL: dropped). */
        void (*note)(void *userdata, const char *text);
        void *userdata;
};

struct vz_pkgcache;

/* A run's dealings with repositories and downloads: one per build,
 * refresh or container operation. The module fills repos, keyfiles and
 * metadata_loaded; the caller owns fetch and pkgcache (opened and freed by
 * it) and the rest. */
struct vz_session {
        struct vz_repo_opts opts;
        enum vz_meta_mode meta_mode;
        struct vz_fetch *fetch;
        struct vz_pkgcache *pkgcache;     /* where the packages go (not used here) */
        struct vz_repo_state *repos;      /* by the repository index of vz_pkg.repo */
        size_t n_repos;
        char **keyfiles;                  /* the keys the repositories were verified with */
        struct vz_keyring *keyring;       /* keyfiles imported, kept across loads while they stay the same */
        bool metadata_loaded;             /* read once in this run: reuse the cached files */
        long long bytes_downloaded;
        long long source_date_epoch;      /* SOURCE_DATE_EPOCH or the newest repository date */
};

/* Sync the repositories of template t (the template's own and, for an
 * appcache, its apps'; mirrorlists for rpm-md) under the metadata cache's
 * lock, then load them into a new resolver of t's family. Replaces what
 * s->repos and s->keyfiles held. */
int vz_repo_load(struct vz_session *s, const struct vz_template *t, struct vz_resolver **ret,
                 struct vz_error *err);
/* Forget the repositories and keys recorded by the last load, and the keyring. */
void vz_repo_reset(struct vz_session *s);

/* The SHA-256 of every package file that some verified metadata in the
 * cache lists (sorted, NULL-terminated; empty when there is none). */
int vz_repo_referenced(const char *metadata_cache, char ***ret);

/* $releasever (the template's version), $basearch and $arch in an rpm-md URL. */
char *vz_rpm_expand_url(const struct vz_template *t, const char *url);
