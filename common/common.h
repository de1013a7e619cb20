/* common: the shared vocabulary of every vzpkg module.
 *
 * Error model (see docs/internals/errors.md): fallible functions return int,
 * >= 0 on success, -errno or a negative VZ_E_* code on failure. A struct
 * vz_error out-parameter carries a one-line, user-facing message that names
 * the object at fault; libraries fill it, only the program prints it. */
#pragma once

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- error codes ------------------------------------------------------ */
enum {
        VZ_E_BASE = 1024,
        VZ_E_CONFIG,       /* bad configuration file or option */
        VZ_E_NOTEMPLATE,   /* template not found */
        VZ_E_METADATA,     /* malformed template metadata */
        VZ_E_NOPKG,        /* package in no repository */
        VZ_E_PROBLEM,      /* dependency problem (conflict, unresolvable) */
        VZ_E_DOWNLOAD,     /* network / HTTP failure */
        VZ_E_SIGNATURE,    /* missing or untrusted signature */
        VZ_E_CHECKSUM,     /* size or digest mismatch */
        VZ_E_INSTALL,      /* package installation failed */
        VZ_E_HOOK,         /* template hook failed */
        VZ_E_ARCHIVE,      /* archive read/write failure */
        VZ_E_UNSAFE,       /* untrusted input tried to leave its root */
        VZ_E_LOCKED,       /* lock held by another process */
        VZ_E_INTERRUPTED,  /* SIGINT/SIGTERM */
        VZ_E_RUNTIME,      /* container setup failure */
        VZ_E_UNCONFIGURED, /* template uses a $VARIABLE the configuration does not define */
        VZ_E_NOCT,         /* no such container (no CTID.conf) */
        VZ_E_FORMAT,       /* a private area vzpkg cannot work on (ploop) */
        VZ_E_NOCACHE,      /* the template has no cache */
        VZ_E_NOAPP,        /* appcache: no such application template */
        VZ_E_NOSAMPLE,     /* appcache: no sample container config */
        VZ_E_MAX
};

struct vz_error {
        int code;          /* negative code, 0 when unset */
        char msg[1024];
};

/* Record an error and return its (negative) code, so callers can write
 * `return vz_error_set(err, -VZ_E_NOPKG, "package %s: ...", name);`.
 * The first error wins: a cleanup path does not overwrite the cause. */
int vz_error_set(struct vz_error *err, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Like vz_error_set, but replaces any message already recorded. */
int vz_error_reset(struct vz_error *err, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
const char *vz_strerror(int code);

/* ---- cleanup helpers (systemd style) ---------------------------------- */
static inline void vz_freep(void *p) { free(*(void **)p); }
static inline void vz_closep(int *fd) { if (*fd >= 0) close(*fd); }
static inline void vz_fclosep(FILE **f) { if (*f) fclose(*f); }
void vz_strv_free(char **v);
static inline void vz_strv_freep(char ***v) { vz_strv_free(*v); }

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(vz_freep)
#define _cleanup_close_ _cleanup_(vz_closep)
#define _cleanup_fclose_ _cleanup_(vz_fclosep)
#define _cleanup_strv_ _cleanup_(vz_strv_freep)

#define TAKE_PTR(p) ({ __typeof__(p) _p = (p); (p) = NULL; _p; })
#define TAKE_FD(fd) ({ int _fd = (fd); (fd) = -1; _fd; })
#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- memory and strings ------------------------------------------------ */
void *vz_xmalloc(size_t n);           /* abort on OOM: no caller can do better */
void *vz_xrealloc(void *p, size_t n);
char *vz_xstrdup(const char *s);
char *vz_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *vz_strip(char *s);              /* trims in place, returns s */
bool vz_startswith(const char *s, const char *prefix);
bool vz_endswith(const char *s, const char *suffix);

/* NULL-terminated string vectors */
size_t vz_strv_len(char *const *v);
int vz_strv_push(char ***v, const char *s);        /* copies s */
int vz_strv_push_take(char ***v, char *s);         /* takes s */
bool vz_strv_contains(char *const *v, const char *s);
char **vz_strv_split(const char *s, const char *seps);
void vz_strv_sort(char **v);

/* ---- files and paths --------------------------------------------------- */
char *vz_path_join(const char *a, const char *b);
int vz_read_file(const char *path, char **ret, size_t *ret_len);
int vz_read_lines(const char *path, char ***ret);  /* skips blanks and # comments */
/* All of data to fd, across short writes and EINTR: 0 or a negative errno. */
int vz_write_all(int fd, const void *data, size_t len);
/* Atomically publish data at path: tmp in the same directory, fsync, rename. */
int vz_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);
int vz_mkdir_p(const char *path, mode_t mode);
/* Remove a tree without crossing mount points or following symlinks (an
 * fd walk, rootfd.c); a symlink at path itself is removed, not followed. */
int vz_rm_rf(const char *path);
int vz_copy_file(const char *src, const char *dst, mode_t mode);
int vz_sha256_file(const char *path, char ret_hex[65]);
/* SHA-256 of data fed in pieces (a file as it is written): begin, add,
 * end (which frees it and writes the hex digest). */
struct vz_sha256;
struct vz_sha256 *vz_sha256_begin(void);
void vz_sha256_add(struct vz_sha256 *s, const void *data, size_t len);
void vz_sha256_end(struct vz_sha256 *s, char ret_hex[65]);
/* MD5 of a buffer in hex: only for names other tools derive with it (vztt's appcaches) */
void vz_md5_hex(const void *data, size_t len, char ret_hex[33]);
void vz_sha256_hex(const void *data, size_t len, char ret_hex[65]);  /* SHA-256 of a buffer in hex */
bool vz_is_executable(const char *path);

/* ---- confined access below a root owned by someone else (rootfd.c) ----
 * rel is resolved in root with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS):
 * symlinks (absolute, relative, ".." chains) never lead out of root. */
enum {
        VZ_AT_NOLINKS = 1 << 0,  /* RESOLVE_NO_SYMLINKS: no link anywhere in rel */
        VZ_AT_NOXDEV = 1 << 1,   /* RESOLVE_NO_XDEV: never cross a mount point */
};
int vz_root_open(const char *path, int *ret_fd);  /* O_DIRECTORY | O_NOFOLLOW */
int vz_at_open(int root, const char *rel, int flags, mode_t mode, unsigned how);  /* fd or -errno */
int vz_at_mkdir_p(int root, const char *rel, mode_t mode, unsigned how);
/* tmp (O_EXCL | O_NOFOLLOW) + fsync + renameat in the same directory fd */
int vz_at_write_atomic(int root, const char *rel, const void *data, size_t len, mode_t mode, unsigned how);
/* A regular file of at most max bytes, NUL-terminated (-EINVAL: not a
 * regular file, -EFBIG: larger than max). */
int vz_at_read(int root, const char *rel, size_t max, unsigned how, char **ret, size_t *ret_len);
int vz_at_unlink(int root, const char *rel, unsigned how);
int vz_at_rename(int root, const char *from, const char *to, unsigned how);
int vz_at_rm_rf(int root, const char *rel, unsigned how);  /* missing: 0 */
/* 0 when rel is missing or has no symlink in any component; -ELOOP if it has. */
int vz_at_check_nolinks(int root, const char *rel);
/* 0 when rel is missing or resolves, as a path-based opener on the host
 * would resolve it, without leaving root (RESOLVE_BENEATH: links inside
 * the root are fine); -EXDEV when it would leave it. */
int vz_at_check_beneath(int root, const char *rel);

/* ---- KEY=VALUE files (vz.conf style) ------------------------------------ */
struct vz_kv {
        char *key;
        char *value;
};
/* Parses KEY=VALUE lines ("" and '' quotes stripped, # comments) and
 * url.map-style "$TOKEN value" lines (key keeps its leading '$'). */
int vz_kv_parse_file(const char *path, struct vz_kv **ret, size_t *ret_n, struct vz_error *err);
/* The same on text in memory (len bytes, need not end in NUL); name is
 * what error messages call it. */
int vz_kv_parse_buffer(const char *buf, size_t len, const char *name, struct vz_kv **ret, size_t *ret_n,
                       struct vz_error *err);
void vz_kv_free(struct vz_kv *kv, size_t n);
/* vztt's url.map: "FROM TO" lines as vztt splits them (first word, rest of
 * the line); only "$TOKEN" keys are kept; never fails on content. */
int vz_urlmap_parse_buffer(const char *buf, size_t len, struct vz_kv **ret, size_t *ret_n);
/* KEY=VALUE lines of another tool's file (vz.conf, vztt.conf): lines that
 * do not parse are skipped and counted in *ret_bad (may be NULL). */
int vz_kv_parse_lenient(const char *buf, size_t len, struct vz_kv **ret, size_t *ret_n, size_t *ret_bad);
const char *vz_kv_get(const struct vz_kv *kv, size_t n, const char *key);

/* ---- numbers in config values ------------------------------------------- */
struct vz_unit {
        char suffix;
        long long mul;
};
/* Digits and at most one unit suffix, scaled with overflow checks and kept
 * within [min, max]: -EINVAL on syntax, -ERANGE on overflow or range. */
int vz_parse_ll(const char *s, const struct vz_unit *units, size_t n_units, long long min, long long max,
                long long *ret);
extern const struct vz_unit vz_size_units[];      /* K M G T (powers of 1024) */
extern const size_t vz_n_size_units;
extern const struct vz_unit vz_duration_units[];  /* s m h d */
extern const size_t vz_n_duration_units;

/* ---- directories only root controls -------------------------------------- */
/* Create path if missing (each missing component made by us, mode), then
 * walk it from "/" with O_NOFOLLOW|O_DIRECTORY opens: a symlink, a
 * directory owned by another user than root (or the caller), or one that
 * is group/world-writable without the sticky bit is refused, and the
 * directory itself must not be group/world-writable at all. `what` names
 * the setting in the one-line error (-VZ_E_CONFIG). With ret_fd, the
 * checked directory stays open for the caller. */
int vz_dir_secure(const char *what, const char *path, mode_t mode, int *ret_fd, struct vz_error *err);

/* ---- locks -------------------------------------------------------------- */
/* flock(2) on path (created if missing, never through a symlink, and it
 * must be a regular file: -ELOOP / -EINVAL otherwise). LOCK_SH or LOCK_EX; with wait false
 * a held lock gives -VZ_E_LOCKED at once. The lock lives as long as *ret_fd. */
int vz_lock(const char *path, int op, bool wait, int *ret_fd);
