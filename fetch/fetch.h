/* fetch: downloads (libcurl multi: bounded parallelism, retries with backoff,
 * failover across alternatives, resume, SHA-256 verification, conditional
 * requests) and signature checks (gpgme, isolated keyring). Prints nothing:
 * progress goes to a callback. See docs/internals/fetch.md. */
#pragma once

#include "common.h"

struct vz_fetch_opts {
        int parallel;           /* concurrent transfers, default 8 */
        int retries;            /* per URL, default 3 */
        const char *proxy;      /* NULL: libcurl's own env handling */
        long connect_timeout;   /* seconds, default 15 */
        /* Bounds of one attempt, so a server that trickles or never ends
         * cannot hold the caller (and its locks) for ever: */
        long timeout;           /* whole transfer, seconds, default 1800 */
        long low_speed_limit;   /* abort when below this many bytes/s ... */
        long low_speed_time;    /* ... for this many seconds (defaults 1024, 60) */
        /* progress: bytes done / expected over the whole run */
        void (*progress)(void *userdata, size_t items_done, size_t items_total,
                         long long bytes_done, long long bytes_total);
        void *userdata;
        /* polled between transfers; non-zero aborts the run with -VZ_E_INTERRUPTED */
        int (*cancelled)(void);
};

struct vz_download {
        char *const *urls;      /* alternatives, tried in order */
        const char *dest;       /* final path; data lands in dest.part first */
        const char *sha256;     /* expected digest (hex) or NULL */
        long long size;         /* expected size or -1; also the byte cap */
        long long max_size;     /* cap when size is -1; 0: VZ_FETCH_MAX_UNSIZED */
        const char *label;      /* object named in errors (package, file) */
        bool conditional;       /* If-None-Match / If-Modified-Since from dest */
        bool optional;          /* 404 on every URL is not an error */
        /* results */
        int result;             /* 0 ok, -ENOENT (optional, absent), < 0 error */
        bool not_modified;      /* conditional and the server said 304 */
        char *used_url;         /* the URL that delivered it (owned) */
};

/* Byte caps for files whose size no signed metadata gives yet. A server
 * that sends more is cut off at once (-VZ_E_CHECKSUM). Real files are far
 * smaller: a Debian InRelease is a few hundred KiB, a repomd.xml or a
 * signature a few KiB. */
#define VZ_FETCH_MAX_RELEASE (16LL << 20)   /* InRelease, Release */
#define VZ_FETCH_MAX_SMALL (4LL << 20)      /* repomd.xml, signatures, mirrorlists */
#define VZ_FETCH_MAX_UNSIZED VZ_FETCH_MAX_RELEASE
#define VZ_FETCH_MAX_INDEX (1LL << 30)      /* a signed index whose size is not given */

struct vz_fetch;

int vz_fetch_new(const struct vz_fetch_opts *opts, struct vz_fetch **ret);
void vz_fetch_free(struct vz_fetch *f);
static inline void vz_fetch_freep(struct vz_fetch **f) { vz_fetch_free(*f); }
#define _cleanup_fetch_ _cleanup_(vz_fetch_freep)

/* Runs every download. Returns 0 when all succeeded (or were optional and
 * absent); otherwise the first failure, described in err. Each item's result
 * is set either way. Bytes fetched over the network are added to stats.
 * No item that did not succeed leaves its dest.part behind, whatever ended
 * the run (failure, cut-off, timeout, interruption). */
int vz_fetch_run(struct vz_fetch *f, struct vz_download *items, size_t n, struct vz_error *err);
long long vz_fetch_bytes_downloaded(const struct vz_fetch *f);
void vz_download_done(struct vz_download *d);  /* frees results */

/* ---- signatures --------------------------------------------------------- */
/* A keyring: a private GnuPG home in a fresh directory under tmpdir holding
 * the keys in keyfiles only, imported once and used for every check of a
 * session. gpg runs without agent, dirmngr or trust database. `label` names
 * the object in the error when no key file holds a usable key. */
struct vz_keyring;
int vz_keyring_open(char *const *keyfiles, const char *tmpdir, const char *label, struct vz_keyring **ret,
                    struct vz_error *err);
/* Whether k holds exactly keyfiles (the same paths, in order). */
bool vz_keyring_matches(const struct vz_keyring *k, char *const *keyfiles);
void vz_keyring_free(struct vz_keyring *k);  /* removes the home (in the process that made it) */
static inline void vz_keyring_freep(struct vz_keyring **k) { vz_keyring_free(*k); }
/* Verify `signed_path` against the keyring's keys only. Clearsigned when
 * sig_path is NULL (InRelease), otherwise a detached signature (Release.gpg,
 * repomd.xml.asc). A signature counts when it is good and its key neither
 * revoked nor expired. The verified plain text is written to out_path when
 * not NULL. `label` names the object in errors (the InRelease URL). */
int vz_keyring_verify(struct vz_keyring *k, const char *signed_path, const char *sig_path, const char *out_path,
                      const char *label, struct vz_error *err);
/* The same with a keyring made for this one check. */
int vz_gpg_verify(char *const *keyfiles, const char *tmpdir, const char *signed_path,
                  const char *sig_path, const char *out_path, const char *label,
                  struct vz_error *err);
