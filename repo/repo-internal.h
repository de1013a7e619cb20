/* repo-internal.h: the repo module's parts, shared by its files and its
 * unit tests (tests/unit/test-repo.c) and fuzzers. Not for other modules. */
#pragma once

#include "repo.h"

/* ---- the metadata cache (metacache.c) ------------------------------------
 * METADATA_CACHE/
 *   .lock                       flock'ed by every sync
 *   apt/<url>_<suite>/          InRelease | Release + Release.gpg, Release.verified
 *   rpm/<url>/                  repomd.xml, repomd.xml.asc, repomd.verified
 *   rpm-mirrorlist/<url>/       mirrorlist
 *   <each of those>/.checked    mtime: the last time the repository was asked
 *   by-hash/<sha256><ext>       Packages, primary, filelists, comps (shared)
 *   solv/<key>.solv             the resolver's parsed form */

/* <metadata_cache>/<family>/<url[_suite] with every byte but [A-Za-z0-9.-] as '_'>, created. */
char *vz_repo_metadir(const char *metadata_cache, const char *family, const char *url, const char *suite);
/* <metadata_cache>/by-hash/<sha256><ext> */
char *vz_repo_byhash(const char *metadata_cache, const char *sha256, const char *ext);
/* Take the metadata cache's lock (waits); *ret_fd holds it. */
int vz_repo_lock(const struct vz_repo_opts *o, int *ret_fd, struct vz_error *err);
/* 1: use the cached files as they are (read once in this run, -C, or
 * checked less than METADATA_EXPIRE ago); 0: ask the repository; < 0: -C
 * and nothing cached. `what` names the template in the error. */
int vz_repo_use_cached(const struct vz_session *s, const char *metadir, bool have_files, const char *label,
                       const char *what, struct vz_error *err);
void vz_repo_mark_checked(const char *metadir);
/* Before asking a repository: keep its signed files (and their .etag) as
 * they are, so that what the server sends can be undone when it is refused
 * (bad signature, replay). `names` ends with NULL. */
void vz_repo_keep(const struct vz_session *s, const char *metadir, const char *const *names);
/* Put the kept files back (a file that did not exist is removed again). */
void vz_repo_restore(const char *metadir, const char *const *names);
/* The new files were accepted: forget the kept ones. */
void vz_repo_drop_kept(const char *metadir, const char *const *names);
/* Replay check: a signed file older than the one accepted before is refused
 * (-VZ_E_SIGNATURE) naming the repository and both dates (as the files
 * write them when given, else in UTC). Equal, or unknown on a side, is fine. */
int vz_repo_check_replay(const char *label, const char *what, long long old_stamp, const char *old_shown,
                         long long new_stamp, const char *new_shown, struct vz_error *err);
/* Valid-Until in the past (now: the time to compare with) is refused
 * unless check is off; until < 0 (absent) is fine. */
int vz_repo_check_valid_until(bool check, long long until, long long now, const char *until_shown,
                              const char *label, struct vz_error *err);
void vz_repo_note(const struct vz_session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Record repository i of this load (s->repos has room). */
void vz_repo_record(struct vz_session *s, size_t i, char *const *urls, const char *suite, const char *date,
                    long long date_epoch);

/* ---- the two families ----------------------------------------------------- */
/* Check a signed file against s->keyfiles with the session's keyring,
 * made (or made again, when the keys changed) at the first check. */
int vz_repo_verify_signed(struct vz_session *s, const char *signed_path, const char *sig_path, const char *out_path,
                          const char *label, struct vz_error *err);
int vz_repo_load_apt(struct vz_session *s, const struct vz_template *t, struct vz_resolver **ret,
                     struct vz_error *err);
int vz_repo_load_rpmmd(struct vz_session *s, const struct vz_template *t, struct vz_resolver **ret,
                       struct vz_error *err);
/* A mirrorlist's text (one base URL per line) or a metalink's (XML whose
 * <url>s end in repodata/repomd.xml): the base URLs it lists. */
char **vz_repo_parse_mirrors(const char *text);

/* ---- Debian Release files (release.c) ---------------------------------- */
struct vz_release;
int vz_release_parse(const char *text, struct vz_release **ret);
void vz_release_free(struct vz_release *r);
static inline void vz_release_freep(struct vz_release **r) { vz_release_free(*r); }
#define _cleanup_release_ _cleanup_(vz_release_freep)
const char *vz_release_field(const struct vz_release *r, const char *field);
/* SHA256 entry for a path relative to the dists/<suite>/ directory. */
int vz_release_lookup(const struct vz_release *r, const char *path, const char **ret_sha256,
                      long long *ret_size);
/* Date / Valid-Until as seconds since the epoch; -1 when absent or bad. */
long long vz_release_time(const struct vz_release *r, const char *field);

/* ---- rpm-md repomd.xml (repomd.c) ---------------------------------------- */
/* Location and SHA-256 of the file of `type` (primary, filelists,
 * group...). -ENOENT when the repository has none, -EPROTONOSUPPORT when
 * it gives no SHA-256, -EBADMSG when it does not parse. */
int vz_repomd_find(const char *repomd_path, const char *type, char **ret_location, char **ret_sha256,
                   long long *ret_size, long long *ret_timestamp);
/* Its <revision> when it is a plain number (else -1) and the newest
 * <timestamp> of its data entries (else -1), to tell an older repomd.xml
 * from a newer one. -EBADMSG when it does not parse. */
int vz_repomd_stamp(const char *repomd_path, long long *ret_revision, long long *ret_timestamp);
