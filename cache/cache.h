/* cache: the content-addressed package cache shared by all templates, and
 * template caches (tar archives of a root filesystem) written with
 * libarchive and published atomically. Also the secure extraction of
 * package payloads. See docs/internals/cache.md. */
#pragma once

#include "common.h"

/* ---- package cache ------------------------------------------------------ */
struct vz_pkgcache;

/* Opens (creating) the cache directory and holds a shared lock on it for
 * the handle's lifetime, so a cleaner taking the lock exclusively never removes files in use. */
int vz_pkgcache_open(const char *dir, struct vz_pkgcache **ret, struct vz_error *err);
void vz_pkgcache_free(struct vz_pkgcache *pc);
static inline void vz_pkgcache_freep(struct vz_pkgcache **p) { vz_pkgcache_free(*p); }
#define _cleanup_pkgcache_ _cleanup_(vz_pkgcache_freep)
/* Where the file with this SHA-256 lives (whether present or not); creates
 * the fan-out directory. suffix: ".deb", ".rpm". */
char *vz_pkgcache_path(struct vz_pkgcache *pc, const char *sha256, const char *suffix);
/* The same location relative to the cache directory, with no side effect:
 * for use where the cache is mounted elsewhere (inside a container). */
char *vz_pkgcache_relpath(const char *sha256, const char *suffix);
const char *vz_pkgcache_dir(const struct vz_pkgcache *pc);
/* vz_file_import: src copied to a new file (0644) in dir, its name in
 * *ret_tmp, under the same rules as vz_pkgcache_import.
 * A package file named on the command line (localinstall), copied into the
 * cache as <sha256><suffix> (import.c): opened without following a link,
 * a regular file of at most max bytes (-VZ_E_UNSAFE naming src otherwise),
 * hashed as copied. *ret_path: its place in the cache. */
int vz_file_import(const char *src, const char *dir, long long max, char **ret_tmp, struct vz_error *err);
int vz_pkgcache_import(struct vz_pkgcache *pc, const char *src, const char *suffix, long long max,
                       char ret_sha256[65], char **ret_path, struct vz_error *err);
/* A .deb read whole before use: ar with debian-binary 2.x first, one
 * control.tar.* and one data.tar.* whose every entry decompresses (so the
 * compressors' checksums hold) and has no absolute or '..' path.
 * -VZ_E_CHECKSUM (corrupt) / -VZ_E_UNSAFE naming label. */
int vz_deb_check(const char *path, const char *label, struct vz_error *err);
/* True when the file is present and its content still matches its name. */
bool vz_pkgcache_valid(struct vz_pkgcache *pc, const char *path, const char *sha256);

/* ---- template caches ---------------------------------------------------- */
enum vz_archive_format {
        VZ_ARCHIVE_ZST = 0,
        VZ_ARCHIVE_GZ,
        VZ_ARCHIVE_XZ,
};
int vz_archive_format_parse(const char *s, enum vz_archive_format *ret);
const char *vz_archive_suffix(enum vz_archive_format f);  /* ".tar.zst" */

/* Pack root into dest (a temporary name beside it first, renamed only when
 * complete): entries sorted, owners numeric, hard links kept, access and
 * change times dropped, and modification times later than clamp_mtime
 * (when >= 0: SOURCE_DATE_EPOCH) set to it, so the same tree gives the same
 * bytes. `cancelled` is polled between entries. The previous dest stays
 * until the rename. ret_sha256 (may be NULL): the archive's SHA-256, hashed
 * as it was written (no second read of the file). */
int vz_cache_pack(const char *root, const char *dest, enum vz_archive_format f, long long clamp_mtime,
                  int (*cancelled)(void), char ret_sha256[65], struct vz_error *err);
/* Unpack a template cache into root (an empty directory) with the same
 * secure flags as package payloads. */
int vz_cache_unpack(const char *path, const char *root, int (*cancelled)(void), struct vz_error *err);
/* The same in a thread of its own, started now and waited for later (the
 * caller must have no thread that relies on the working directory being
 * root: the job's thread has a private one). vz_cache_unpack_wait() joins
 * and frees the job and returns what vz_cache_unpack() returned, with err
 * set; with `cancel`, the unpacking stops at the next entry, the partial
 * tree is the caller's to remove, and the result is 0. NULL-safe. */
struct vz_unpack_job;
int vz_cache_unpack_start(const char *path, const char *root, int (*cancelled)(void), struct vz_unpack_job **ret);
int vz_cache_unpack_wait(struct vz_unpack_job *job, bool cancel, struct vz_error *err);
/* The existing cache file for template `name` in dir (any format), or -ENOENT. */
int vz_cache_find(const char *dir, const char *name, char **ret_path);

/* ---- snapshots for roll-back --------------------------------------------- */
/* A copy of the tree src at dst (same file system) that survives a package
 * transaction in src: regular files are hard links (dpkg and rpm replace
 * files by renaming new ones over them, leaving the linked inode intact),
 * except below the directories in `copy` (package databases written in
 * place), which are copied. */
int vz_tree_snapshot(const char *src, const char *dst, const char *const *copy, struct vz_error *err);
/* Put the snapshot back: root is replaced by snap, atomically per rename. */
int vz_tree_restore(const char *root, const char *snap, struct vz_error *err);
/* vz_tree_snapshot made durable before it is named dst: built at
 * "<dst>.new", syncfs(2) of the file system, renamed to dst, the parent
 * directory synced. So after a host crash a dst that exists is complete
 * and on disk; a "<dst>.new" never is. For transactions that do not sync
 * their own writes (docs/internals/containers.md, "Syncs"). */
int vz_tree_snapshot_durable(const char *src, const char *dst, const char *const *copy, struct vz_error *err);
/* The transaction succeeded and is on disk: dst is renamed to
 * "<dst>.done" (the parent directory synced), whose removal (*ret_path,
 * freed by the caller) may come later: the old files' blocks are freed
 * then, which takes seconds. */
int vz_tree_retire(const char *dst, char **ret_path);
/* What an operation that did not end (host crash, SIGKILL) left beside a
 * root: "<dst>.new" (its transaction had not begun) and "<dst>.done" (it
 * had succeeded) are removed; returns 1 when dst itself is there (a
 * complete snapshot: the root may be half-changed since), 0 when nothing
 * is left, < 0 on errors. */
int vz_tree_leftover(const char *dst);
/* syncfs(2) of the file system that holds path: everything written there
 * (by anyone) is on disk when it returns 0. */
int vz_tree_sync(const char *path);

/* ---- package payloads --------------------------------------------------- */
/* Extract the data.tar of a .deb into root, refusing '..' in entry paths
 * and any entry that would pass through a symlink the package itself ships.
 * Symlinks root already has are followed as dpkg follows them in a chroot
 * (absolute targets start at root, '..' stops there), so with bin -> usr/bin
 * ./bin/sh lands in usr/bin; a symlink entry equal to the root's symlink is
 * nothing to do, one over a directory is refused. label names the package
 * in errors. */
int vz_deb_extract(const char *deb, const char *root, const char *label, struct vz_error *err);
/* Write to dest (tmp + rename) the .deb with its data.tar member
 * decompressed: the same members, same order, same bytes otherwise, so dpkg
 * installs the same files from it without decompressing again. */
int vz_deb_expand(const char *deb, const char *dest, struct vz_error *err);
/* vz_deb_expand(debs[i], dests[i]) for every i, in up to `workers` worker
 * processes running beside the caller. A package that fails is left out
 * (its dest does not exist): use the original. */
#define VZ_EXPAND_MAX_WORKERS 16
struct vz_expand_job {
        pid_t pids[VZ_EXPAND_MAX_WORKERS];
        int n;
};
int vz_deb_expand_start(char *const *debs, char *const *dests, size_t n, int workers, int (*cancelled)(void),
                        struct vz_expand_job *job);
/* Wait for the workers (stop: kill them first); how many failed. */
int vz_deb_expand_wait(struct vz_expand_job *job, bool stop);

/* ---- stage cache ---------------------------------------------------------- */
/* Saved build stages in dir, by key (64 hex digits naming everything that
 * went into the stage): the root restored exactly (nanosecond mtimes, modes,
 * numeric owners, xattrs, ACLs, hard links), each file checked against the
 * SHA-256 stored beside it. See docs/internals/build.md. */
/* Save root as stage `key` (tmp + rename); then the least recently used
 * stages go until the directory holds at most max_bytes (0: no bound). */
int vz_stage_save(const char *dir, const char *key, const char *root, long long max_bytes, int (*cancelled)(void),
                  struct vz_error *err);
/* Save a zstd cache archive packed from the finished root (vz_cache_pack,
 * sha256 its SHA-256) as stage `key`: restoring it packs to the same bytes. */
int vz_stage_save_file(const char *dir, const char *key, const char *archive, const char *sha256, long long max_bytes,
                       struct vz_error *err);
/* 1: restored into root (an empty directory); 0: no such stage, or one that
 * failed its check (then removed); < 0: restoring failed half-way. */
int vz_stage_load(const char *dir, const char *key, const char *root, int (*cancelled)(void), struct vz_error *err);
void vz_stage_trim(const char *dir, long long max_bytes, const char *keep);
/* Remove every stage and temp file of dir: their number and bytes. */
int vz_stage_clean(const char *dir, bool dry_run, size_t *ret_n, long long *ret_bytes);
