/* containers.h: containers of both kinds (vzctl's and LXC's), knowing
 * whether they run, operating on them (install, remove, update, roll-back,
 * upgrade) and the processes that run replaced files. */
#pragma once

#include "context.h"

struct vz_build;

/* ---- containers (containers/ct.c): vzctl's <CTID>.conf and private area, or an LXC
 * container (containers/lxc.c) with vzpkg's record <lxcpath>/<name>/vzpkg.conf ---------- */
enum vz_ct_kind { VZ_CT_VZCTL, VZ_CT_LXC };
struct vz_ct {
        char *id;
        char *conf_path;
        char *private_dir;       /* VE_PRIVATE, $VEID expanded */
        char *ostemplate;        /* OSTEMPLATE without the leading '.' */
        char **apps;             /* TEMPLATES, without the dots */
        char **lines;            /* the file as read, rewritten faithfully */
        int priv_fd;             /* the private area, opened after validation; -1: missing */
        enum vz_ct_kind kind;
        char *lxc_dir;           /* LXC: <lxcpath>/<name>: LXC's config, vzpkg.conf, templates/ */
        int lxc_fd;              /* LXC: lxc_dir opened after validation; -1 otherwise */
        char *ovl_lower;         /* LXC, overlay layout: the shared tree's rootfs; NULL: a directory root */
        char *ovl_upper;         /* LXC, overlay layout: <lxcpath>/<name>/delta0, the container's own layer */
};
/* Where templates/ (vzpackages, timestamps) is kept: the private area of a
 * vzctl container, LXC's directory of an LXC one (never its rootfs). */
static inline int vz_ct_meta_fd(const struct vz_ct *ct) { return ct->kind == VZ_CT_LXC ? ct->lxc_fd : ct->priv_fd; }
/* id: "lxc:NAME", "vzctl:ID", or a bare ID: vzctl's $CONF_DIR/ID.conf when
 * it exists, else the LXC container of that name (docs/internals/containers.md). */
int vz_ct_load(struct vz_ctx *ctx, const char *id, struct vz_ct **ret, struct vz_error *err);
int vz_ct_new(struct vz_ctx *ctx, const char *id, const char *ostemplate, struct vz_ct **ret, struct vz_error *err);
/* A new LXC container NAME in LXC_PATH, its rootfs <lxcpath>/<name>/rootfs. */
int vz_ct_new_lxc(struct vz_ctx *ctx, const char *name, const char *ostemplate, struct vz_ct **ret,
                  struct vz_error *err);
/* The kind a container argument names and its bare name (a pointer into id). */
enum vz_ct_kind vz_ct_resolve(struct vz_ctx *ctx, const char *id, const char **ret_name);
/* id names an existing container of either kind (LXC: defined, with or without vzpkg.conf). */
bool vz_ct_exists(struct vz_ctx *ctx, const char *id);
/* Write the config: OSTEMPLATE, TEMPLATES, VE_PRIVATE and the given
 * DISTRIBUTION/OSRELEASE (NULL: unchanged), other lines kept. */
int vz_ct_save(struct vz_ct *ct, const char *distribution, const char *osrelease, struct vz_error *err);
void vz_ct_free(struct vz_ct *ct);
static inline void vz_ct_freep(struct vz_ct **c) { vz_ct_free(*c); }
#define _cleanup_ct_ _cleanup_(vz_ct_freep)
/* vzctl IDs, then "lxc:NAME" for every LXC container with a vzpkg.conf. */
int vz_ct_list(struct vz_ctx *ctx, char ***ret_ids);
int vz_ct_lock(struct vz_ctx *ctx, const char *id, int *ret_fd, struct vz_error *err);
int vz_ct_stamp(struct vz_ct *ct, const char *tmpl);  /* templates/<tmpl>/timestamp */
/* Re-validate and open the private area (after create ct made it). */
int vz_ct_open_private(struct vz_ctx *ctx, struct vz_ct *ct, struct vz_error *err);
/* Why path may not be a container's private area (NULL: fine), given the
 * configured VE_PRIVATE pattern and VE_PRIVATE_PREFIXES; no file access. */
const char *vz_ct_private_problem(const char *pattern, const char *prefixes, const char *path);
/* Parse a CTID.conf held in memory (no NUL bytes, at most 1 MiB) into lines. */
int vz_ct_conf_parse(const char *text, size_t len, char ***ret_lines);
char *vz_ct_conf_get(char **lines, const char *key);  /* unquoted, or NULL */
/* A templates/<tmpl>/timestamp: seconds since 1970 or vztt's "YYYY-MM-DD
 * HH:MM:SS", range-checked (1970..9999); -EINVAL/-ERANGE otherwise. */
int vz_timestamp_parse(const char *text, size_t len, long long *ret);
int vz_ct_read_stamp(const struct vz_ct *ct, const char *tmpl, long long *ret);
/* compat.c: a private area vzpkg cannot work on (ploop: root.hdd or
 * DiskDescriptor.xml in it, VZ7's default): -VZ_E_FORMAT naming it. */
int vz_ct_check_format(const struct vz_ct *ct, struct vz_error *err);
/* containers/ct.c: before a stopped container's snapshot SNAP of OWN (its
 * private area, or its own overlay layer) is made: the unfinished or
 * retired snapshots SNAP.new and SNAP.done of an earlier operation are
 * removed; a SNAP itself, left by an operation that never ended (host
 * crash, killed worker), is the only copy of the state before it and is
 * the admin's to decide: -EEXIST (exit 1) with one message that names it
 * and says how to go back (mv) or keep the current state (rm -rf).
 * docs/internals/containers.md, "Syncs". */
int vz_ct_snapshot_leftover(const char *id, const char *own, const char *snap, struct vz_error *err);
/* containers/running.c: the host PID of the running container's init in *ret_pid, 0
 * when it is not running. */
int vz_ct_find_init(const struct vz_ct *ct, pid_t *ret_pid, struct vz_error *err);

/* containers/lxc.c: LXC containers through liblxc. */
const char *vz_lxc_path(struct vz_ctx *ctx);  /* LXC_PATH or liblxc's lxcpath; NULL: LXC off */
/* lxc.rootfs.path's value as a directory: "dir:/p" or "/p" -> "/p";
 * -EOPNOTSUPP for other storage backends (overlay:, btrfs:, zfs:, lvm:,
 * loop:, ...), -EINVAL when empty or relative. */
int vz_lxc_rootfs_parse(const char *value, char **ret_path);
/* LXC's init of a running container (liblxc), 0 when LXC says it is not running. */
int vz_lxc_init_pid(const struct vz_ct *ct, pid_t *ret_pid, struct vz_error *err);
/* create ct --lxc: LXC's config for a new container (written atomically). */
int vz_lxc_write_config(struct vz_ctx *ctx, struct vz_ct *ct, const char *hostname, const char *distribution,
                        struct vz_error *err);
/* The text of that config; NULL include: explicit keys instead. */
struct vz_lxc_settings {
        const char *uts_name, *rootfs, *include, *network, *apparmor, *hwaddr;
        const char *lower;       /* non-NULL: overlay:LOWER:ROOTFS (rootfs the upper directory) */
        bool systemd;            /* the root's init is systemd: halt with SIGRTMIN+3 */
};
int vz_lxc_config_text(const struct vz_lxc_settings *s, char **ret_text);

/* containers/lxc.c, the overlay layout: "LOWER:UPPER" (what liblxc leaves
 * of overlay:LOWER:UPPER) into its two absolute paths; -EINVAL otherwise. */
int vz_lxc_overlay_parse(const char *value, char **ret_lower, char **ret_upper);
/* Mount the merged view of an overlay container at its private_dir, in
 * vzpkg's own mount namespace (runtime/overlay.c). */
int vz_lxc_mount_overlay(struct vz_ct *ct, struct vz_error *err);
/* Close priv_fd and unmount that view (0 when this process did not mount it). */
int vz_lxc_umount_overlay(struct vz_ct *ct);
/* "container X uses the overlay layout: WHAT is not supported yet" */
int vz_ct_overlay_refuse(const struct vz_ct *ct, const char *what, struct vz_error *err);

/* ---- shared trees (containers/tree.c): a cache unpacked once, read-only ---------- */
/* <cache_dir>/<name>.tree.<sha256 prefix>/ of the cache file (made when
 * missing, under a lock, atomically); rootfs/ and templates/ in it. */
int vz_shared_tree(struct vz_ctx *ctx, const char *cache, char **ret_tree, int *ret_lock, struct vz_error *err);
/* clean: remove every shared tree of CACHE_DIR that no LXC container of
 * LXC_PATH names as its lower layer (none when that cannot be read), and
 * none whose lock a create ct holds; ret_n: how many. */
int vz_shared_tree_clean(struct vz_ctx *ctx, bool dry_run, size_t *ret_n, struct vz_error *err);
/* containers/lxc.c: the lower layer of every LXC container in LXC_PATH on overlay. */
int vz_lxc_overlay_lowers(struct vz_ctx *ctx, char ***ret, struct vz_error *err);
/* path is <cache_dir>/<name>.tree.<16 hex digits> (no further slash). */
bool vz_shared_tree_name(const char *cache_dir, const char *path);

/* ---- processes running replaced files (restart.c) -------------------------------- */
enum vz_restart_kind {
        VZ_RESTART_SERVICE,      /* in a system service: restart it */
        VZ_RESTART_SESSION,      /* a login session or a user's manager */
        VZ_RESTART_INIT,         /* the container's PID 1 (or its init.scope) */
        VZ_RESTART_OTHER,        /* no unit: a non-systemd init's processes, ... */
};
struct vz_restart_proc {
        pid_t pid;               /* host PID */
        long ct_pid;             /* PID in the container (0: unknown) */
        char *comm;              /* sanitised */
        enum vz_restart_kind kind;
        char *unit;              /* VZ_RESTART_SERVICE: a checked unit name */
        char **files;            /* sanitised paths (the first few) of deleted code it maps */
        size_t n_files;          /* how many in all */
};
struct vz_restart {
        struct vz_restart_proc *procs;
        size_t n;                /* 0: nothing runs replaced code */
        char **services;         /* sorted, unique: what --restart restarts */
        char **manual;           /* services --restart leaves to the admin (dbus, gettys) */
        bool sessions, others;
        bool init_affected, init_systemd;
};
/* Scan the processes of the running container whose init is `init` (host
 * PID) in the host's /proc. */
int vz_restart_scan(const struct vz_ct *ct, pid_t init, struct vz_restart *ret, struct vz_error *err);
int vz_restart_scan_at(int procfd, pid_t init, const char *root, struct vz_restart *ret, struct vz_error *err);
void vz_restart_done(struct vz_restart *r);
/* Restart r's services (and re-execute a systemd init that maps replaced
 * files) with systemctl inside the container; ret_done: what was done. */
int vz_restart_apply(const struct vz_ct *ct, pid_t init, const struct vz_restart *r, long long timeout, FILE *log,
                     char ***ret_done, struct vz_error *err);
struct json_t *vz_restart_json(const struct vz_restart *r, char *const *restarted);
char *vz_restart_line(const struct vz_restart *r);   /* "restart needed: ..." */
void vz_restart_print(FILE *out, const char *id, const struct vz_restart *r);
const char *vz_restart_init_action(const struct vz_restart *r);  /* NULL, "daemon-reexec", "reboot" */
/* Pure parts: printable ASCII, other bytes as \xNN, long strings cut; a
 * path of a deleted file (" (deleted)") that counts, in *ret without the
 * suffix and the root (1), or 0; a maps line likewise (executable
 * mappings only; -EINVAL when malformed); the unit of a /proc/PID/cgroup
 * text, relative to the container's (its init's) cgroup; NSpid's last
 * value in a /proc/PID/status text. */
char *vz_restart_sanitize(const char *s);
int vz_restart_classify_path(const char *path, const char *root, char **ret);
int vz_restart_maps_line(const char *line, const char *root, char **ret);
enum vz_restart_kind vz_restart_unit(const char *cgroup_text, const char *init_cgroup_text, char **ret_unit);
bool vz_restart_unit_valid(const char *unit);
bool vz_restart_unit_automatic(const char *unit);
long vz_restart_nspid(const char *status_text);

/* ---- operations on containers (containers/operate.c) --------------------------------------- */
enum vz_ct_action { VZ_CT_INSTALL, VZ_CT_REMOVE, VZ_CT_UPDATE, VZ_CT_STATUS };
struct vz_ct_request {
        enum vz_ct_action action;
        char **apps;             /* application templates (install, remove) */
        char **pkgs;             /* plain packages (install -p, remove -p, update PKG...) */
        bool cleandeps;          /* remove --clean-deps: also what nothing needs any more */
        bool with_depends;       /* remove -w (vztt): also what depends on the named */
        bool dry_run;            /* -n: print the plan only */
        double timeout;          /* --timeout: seconds to wait for a container's lock */
        bool restart;            /* --restart: restart what runs replaced files */
        bool accept_no_rollback; /* --accept-no-rollback: a running container's previous versions may be unpublished */
        struct vz_local *local;  /* localinstall, localupdate: package files from the host (local.c) */
};
int vz_ct_operate(struct vz_ctx *ctx, char **ids, const struct vz_ct_request *req);
/* The container's lock, retried every 0.2 s for up to timeout seconds. */
int vz_ct_lock_wait(struct vz_ctx *ctx, const char *id, double timeout, int *ret_fd, struct vz_error *err);

/* ---- upgrade to the OS template's next release (containers/upgrade.c) ----------------- */
struct vz_upgrade_request {
        bool dry_run;            /* -n: print the plan only */
        bool force;              /* -f: drop application templates the new release lacks */
        double timeout;          /* --timeout: seconds to wait for a container's lock */
};
int vz_ct_upgrade(struct vz_ctx *ctx, char **ids, const struct vz_upgrade_request *req);
/* The OS template that upgrades `from`: same OS, arch and set (else the
 * default set), whose upgradable_versions names from's version, or whose
 * version is from's plus one; the newest of them. -VZ_E_NOTEMPLATE if none. */
int vz_upgrade_target(struct vz_ctx *ctx, const struct vz_template *from, struct vz_template **ret,
                      struct vz_error *err);

/* ---- roll-back of a running container (containers/rollback.c) ------------------------
 * Without swapping the root: the previous versions of every package a plan
 * touches are fetched into the package cache beforehand and reinstalled by
 * the package manager in the container. docs/internals/containers.md. */
struct vz_rollback_plan {
        struct vz_pkglist previous;  /* installed versions the plan replaces or removes, as published */
        char **fresh;                /* names the plan installs that were not installed */
        char **unpublished;          /* "name version": installed versions no repository publishes */
};
/* From the solve: res (repositories and installed set loaded), the
 * installed list and the plan. */
void vz_rollback_plan_make(struct vz_resolver *res, const struct vz_pkglist *have, const struct vz_pkglist *install,
                           const struct vz_pkglist *erase, struct vz_rollback_plan *ret);
void vz_rollback_plan_done(struct vz_rollback_plan *p);
struct vz_rollback;
/* In the worker, right before the transaction: the installed set and the
 * configuration files of the previous packages (b->root, through its fd). */
int vz_rollback_save(struct vz_build *b, const struct vz_rollback_plan *p, struct vz_rollback **ret,
                     struct vz_error *err);
/* The reverse transaction: previous versions reinstalled, fresh packages
 * purged (only when `applied`: the package manager ran), configuration
 * files put back, the database checked against the saved set. err says
 * what is left when it fails. */
int vz_rollback_run(struct vz_build *b, struct vz_rollback *rb, bool applied, struct vz_error *err);
void vz_rollback_free(struct vz_rollback *rb);
