/* vzpkg.h: the program's internal interfaces: configuration, logging and
 * progress, the command table, and the package-format backends. */
#pragma once

#include "cache.h"
#include "common.h"
#include "fetch.h"
#include "metadata.h"
#include "resolver.h"
#include "runtime.h"

/* ---- exit codes (one table: vzpkg.8 EXIT STATUS, docs/internals/errors.md) --
 * vztt's numbers (include/vztt_error.h of OpenVZ's vztt) where vztt has one
 * for the condition; vzpkg's own conditions from 80 up, clear of vztt's. */
enum {
        VZ_EXIT_OK = 0,
        VZ_EXIT_ERROR = 1,         /* a system call failed (vztt: VZT_SYSTEM...) */
        VZ_EXIT_HOOK = 8,          /* a template script failed (VZT_CMD_FAILED) */
        VZ_EXIT_NOT_ROOT = 10,     /* VZT_USER_NOT_ROOT */
        VZ_EXIT_NO_CT = 16,        /* VZT_VE_NOT_EXIST */
        VZ_EXIT_LOCKED = 21,       /* VZT_CANT_LOCK */
        VZ_EXIT_STALE = 22,        /* status: not up to date (VZT_NOT_UP2DATE) */
        VZ_EXIT_NOT_CACHED = 23,   /* VZT_TMPL_NOT_CACHED */
        VZ_EXIT_TEMPLATE = 24,     /* template not found (VZT_TMPL_NOT_FOUND) */
        VZ_EXIT_BROKEN = 25,       /* bad template metadata (VZT_TMPL_BROKEN) */
        VZ_EXIT_NO_APP = 28,       /* appcache: no such application template (VZT_TMPL_NOT_EXIST) */
        VZ_EXIT_NO_SAMPLE = 30,    /* appcache: no sample config (VZT_TCACHE_CONF_NFOUND) */
        VZ_EXIT_USAGE = 35,        /* bad command line (VZT_BAD_PARAM) */
        VZ_EXIT_FORMAT = 43,       /* ploop private area (VZT_UNSUPPORTED_VEFORMAT) */
        VZ_EXIT_DOWNLOAD = 52,     /* VZT_CANT_FETCH */
        VZ_EXIT_INSTALL = 70,      /* package not found, dependency problem, install failed (VZT_PM_FAILED) */
        VZ_EXIT_CONFIG = 80,       /* vzpkg's own from here */
        VZ_EXIT_VERIFY = 81,       /* signature, checksum, unsafe path */
        VZ_EXIT_CACHE = 82,        /* writing a cache */
        VZ_EXIT_RUNTIME = 83,      /* the build or container runtime */
        VZ_EXIT_RESTART = 84,      /* status: up to date, but processes run replaced files */
        VZ_EXIT_INTERRUPTED = 130,
};
int vz_exit_code(int r);

/* ---- configuration ------------------------------------------------------ */
struct vz_config {
        char *file;              /* the file read, or NULL */
        char *template_area;     /* TEMPLATE */
        char *cache_dir;         /* $TEMPLATE/cache */
        char *pkg_cache;         /* PKG_CACHE */
        char *metadata_cache;    /* METADATA_CACHE */
        char *lock_dir;          /* LOCK_DIR */
        char *tmp_dir;           /* TMP_DIR */
        char *log_dir;           /* LOG_DIR */
        char *debian_keyring;    /* DEBIAN_KEYRING */
        enum vz_archive_format archive;
        int parallel;            /* PARALLEL_DOWNLOADS */
        char *proxy;             /* PROXY */
        long long memory_limit;  /* MEMORY_LIMIT (bytes) */
        long pids_limit;         /* PIDS_LIMIT */
        bool check_valid_until;  /* CHECK_VALID_UNTIL */
        long long metadata_expire; /* METADATA_EXPIRE, seconds */
        long long run_timeout;   /* RUN_TIMEOUT: seconds one command in a container may run; 0 = none */
        long long pkg_cache_max; /* PKG_CACHE_MAX, bytes; 0 = no cap */
        char *conf_dir;          /* CONF_DIR: container configs, vzctl's /etc/vz/conf */
        char *ve_private;        /* VE_PRIVATE: private areas, "$VEID" replaced */
        char *ve_private_prefixes; /* VE_PRIVATE_PREFIXES: more places private areas may be */
        int parallel_cts;        /* PARALLEL_CONTAINERS: mass operations */
        long long download_timeout;   /* DOWNLOAD_TIMEOUT, seconds per transfer */
        long long low_speed_limit;    /* DOWNLOAD_LOW_SPEED_LIMIT, bytes/s ... */
        long long low_speed_time;     /* ... DOWNLOAD_LOW_SPEED_TIME, seconds */
        struct vz_kv *vars;      /* "$TOKEN value" lines, with defaults */
        size_t n_vars;
        long long started;       /* time(): when this run began: older temp files of dead pids are stale */
        char *lxc_path;          /* LXC_PATH: LXC's lxcpath; NULL: liblxc's lxc.lxcpath; "": no LXC */
        char *lxc_network;       /* LXC_NETWORK: "empty" or a bridge, for create ct --lxc */
        char *lxc_apparmor;      /* LXC_APPARMOR_PROFILE: NULL/"": LXC's default */
        char *stage_cache;       /* STAGE_CACHE: saved build stages; NULL: off */
        long long stage_cache_max; /* STAGE_CACHE_MAX, bytes; 0 = no bound */
        char *template_keys;     /* TEMPLATE_KEYS: armored keys template packages must be signed with */
};

int vz_config_load(const char *path, struct vz_config *cfg, struct vz_error *err);
void vz_config_done(struct vz_config *cfg);
/* Make and check TMP_DIR, LOCK_DIR, LOG_DIR, PKG_CACHE, METADATA_CACHE and
 * the template cache directory: only root may control them (-VZ_E_CONFIG). */
int vz_config_secure_dirs(const struct vz_config *cfg, struct vz_error *err);
struct vz_vars vz_config_vars(const struct vz_config *cfg);

/* compat.c: vztt's files (vz.conf, vztt.conf, url.map) and habits. */
void vz_compat_read_host(struct vz_config *c);  /* $VZPKG_VZ_CONF, $VZPKG_VZTT_CONF relocate */
int vz_compat_read_urlmap(const char *template_area, struct vz_kv **ret, size_t *ret_n);
void vz_compat_env_vars(struct vz_kv **kv, size_t *n);  /* $YUM0..$YUM10 from the environment */
char *vz_compat_proxy_url(const char *proxy, const char *user, const char *password);
/* "YYYY-MM-DD HH:MM:SS", local time, as vztt writes templates/<tmpl>/timestamp */
int vz_timestamp_format(long long t, char *buf, size_t size);

/* Host apt sources: the first Debian mirror and security mirror URLs. */
int vz_apt_host_mirrors(const char *etc_apt, char **ret_mirror, char **ret_security);

/* ---- global state: options, logging, interruption ----------------------- */
struct vz_ctx {
        struct vz_config cfg;
        int verbosity;           /* -1 quiet, 0 normal, 1 verbose */
        bool json;
        bool cache_only;         /* -C: never touch the network */
        bool remote;             /* -r: ask the repositories whatever METADATA_EXPIRE says */
        double lock_timeout;     /* --timeout of the cache commands: seconds to wait for a template's lock */
        bool tty;                /* stderr is a terminal: progress bars */
        bool no_stage_cache;     /* create cache --no-stage-cache */
};

void vz_log_init(struct vz_ctx *ctx);
void vz_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));     /* -q hides */
void vz_verbose(const char *fmt, ...) __attribute__((format(printf, 1, 2)));  /* -v shows */
void vz_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vz_fail(const struct vz_error *err, int r);  /* the one error line */
/* Progress line on a terminal; silent elsewhere. NULL label clears it. */
void vz_progress(const char *label, long long done, long long total, const char *unit);
void vz_progress_clear(void);

int vz_interrupted(void);        /* SIGINT/SIGTERM seen */
void vz_signals_install(void);

/* ---- containers (ct.c): vzctl's <CTID>.conf and private area, or an LXC
 * container (ctlxc.c) with vzpkg's record <lxcpath>/<name>/vzpkg.conf ---------- */
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
/* ctrun.c: the host PID of the running container's init in *ret_pid, 0
 * when it is not running. */
int vz_ct_find_init(const struct vz_ct *ct, pid_t *ret_pid, struct vz_error *err);

/* ctlxc.c: LXC containers through liblxc. */
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
        bool systemd;            /* the root's init is systemd: halt with SIGRTMIN+3 */
};
int vz_lxc_config_text(const struct vz_lxc_settings *s, char **ret_text);

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

/* ---- operations on containers (ctops.c) --------------------------------------- */
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

/* ---- upgrade to the OS template's next release (ctupgrade.c) ----------------- */
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

/* ---- package files from the host (local.c): localinstall, localupdate ---- */
#define VZ_LOCAL_MAX (1LL << 30)  /* bytes: a larger package file is refused unread */
struct vz_build;
struct vz_local_file {
        char *arg;               /* as named on the command line */
        char *sha256, *path;     /* after vz_local_import: in the package cache */
        bool unsigned_ok;        /* admitted by --unsigned */
};
struct vz_local {
        struct vz_local_file *files;
        size_t n;
        bool update;             /* localupdate: newer versions of installed packages only */
        bool allow_unsigned;     /* --unsigned */
};
/* Per OS template group: each file copied into the package cache and
 * verified there (structure; RPM: signature, see vz_backend.verify_file). */
int vz_local_import(struct vz_build *b, struct vz_local *l, struct vz_error *err);
/* Per solve, after the repositories and the installed set are loaded: the
 * files into res, the signature policy, and job->files (allocated) the
 * ones to install in container ctid. */
int vz_local_job(struct vz_build *b, struct vz_resolver *res, const struct vz_local *l, const char *ctid,
                 struct vz_job *job, struct vz_error *err);
void vz_local_done(struct vz_local *l);

/* ---- vztt's template packages (tmplpkg.c): install|remove template ---------- */
/* FILE: a .rpm whose payload is /vz/template/<os>/<ver>/<arch>/config/...,
 * signed by a key in TEMPLATE_KEYS (else refused, or with allow_unsigned
 * its digests alone); each template in it placed whole; -f replaces one
 * that is there. */
int vz_tmplpkg_install(struct vz_ctx *ctx, const char *file, bool force, bool allow_unsigned, struct vz_error *err);
/* What install template wrote for NAME (or for_os's application template
 * NAME), by its record; an OS template with app templates from packages
 * only with force. */
int vz_tmplpkg_remove(struct vz_ctx *ctx, const char *name, const char *for_os, bool force, struct vz_error *err);
/* Path checks, exposed for the unit tests. An entry of the payload: above
 * the template directories (VZ_TP_PARENT: *ret_rel NULL for /vz and
 * /vz/template, else the path below /vz/template/), a template's directory
 * (<os>/<ver>/<arch>/config/os/<set> or .../config/app/<app>/<set>), or a
 * path inside one; -EXDEV outside /vz/template/, -EINVAL for '..', '.',
 * empty or control-character components or another layout. */
enum { VZ_TP_PARENT, VZ_TP_UNIT, VZ_TP_INSIDE };
int vz_tmplpkg_classify(const char *entry, char **ret_rel);
size_t vz_tmplpkg_unit_len(const char *rel);  /* the template directory's part of rel; 0: none */
/* A symbolic link at rel (inside a template) to target stays inside that
 * template's directory: relative, and no '..' climbs above it. */
bool vz_tmplpkg_link_ok(const char *rel, const char *target);

/* ---- roll-back of a running container (ctrollback.c) ------------------------
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
struct vz_build;
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

/* ---- commands ---------------------------------------------------------------- */
struct vz_command {
        const char *name;        /* "create cache" */
        int (*run)(struct vz_ctx *ctx, int argc, char **argv);
        const char *summary;
};
/* options.c: the commands' one option parser (vztt's grammar). The options
 * every command takes are always accepted; these only where named. */
enum {
        VZ_OPT_ALL = 1 << 0,       /* -a, --all */
        VZ_OPT_PACKAGES = 1 << 1,  /* -p, --packages */
        VZ_OPT_FORCE = 1 << 2,     /* -f, --force */
        VZ_OPT_DRY_RUN = 1 << 3,   /* -n, --check-only, --dry-run, --test */
        VZ_OPT_DEPENDS = 1 << 4,   /* -w, --with-depends; --clean-deps */
        VZ_OPT_TIMEOUT = 1 << 5,   /* --timeout S */
        VZ_OPT_CACHED = 1 << 6,    /* -c, --cached */
        VZ_OPT_LIST = 1 << 7,      /* -S, -u, -O, -A, -i, --available */
        VZ_OPT_FOR = 1 << 8,       /* -F, --for-os OST|CTID */
        VZ_OPT_RESTART = 1 << 9,   /* --restart, --accept-no-rollback (running containers) */
        VZ_OPT_UNSIGNED = 1 << 12, /* --unsigned: package files without a trusted signature */
        VZ_OPT_APPCACHE = 1 << 16, /* --config SAMPLE, --ostemplate, --apptemplate, --update-cache */
        VZ_OPT_STAGE = 1 << 17,    /* --no-stage-cache */
};
struct vz_opts {
        bool all, packages, force, dry_run, with_depends, clean_deps, cached;
        bool summary, custom, available, os_only, app_only, pkgid;
        bool restart, accept_no_rollback;
        bool allow_unsigned;     /* --unsigned */
        double timeout;
        const char *for_obj;     /* -F, a leading '.' dropped */
        const char *sample, *app_os, *app_list;  /* appcache: --config, --ostemplate, --apptemplate */
        bool update_cache;       /* appcache: --update-cache (vztt's; vzpkg always refreshes so) */
        bool no_stage_cache;     /* create cache --no-stage-cache */
};
/* -1: go on, the positional arguments from optind; else the exit status
 * (0 after --help, VZ_EXIT_USAGE after a message). */
int vz_cmd_options(struct vz_ctx *ctx, int argc, char **argv, unsigned accept, struct vz_opts *o, const char *help);
int vz_opt_global(struct vz_ctx *ctx, int c, const char *arg);  /* 1 handled, 0 not global, -1 bad */
int vz_opt_debug(const char *v, int *ret_verbosity);
int vz_opt_timeout(const char *v, double *ret);

int vz_cmd_create_cache(struct vz_ctx *ctx, int argc, char **argv);
int vz_cmd_list(struct vz_ctx *ctx, int argc, char **argv);
/* info, resolve: the options (vz_cmd_options) and the template name (log.c) */
int vz_cmd_template_options(struct vz_ctx *ctx, int argc, char **argv, unsigned accept, struct vz_opts *o,
                            const char *help);
int vz_cmd_info(struct vz_ctx *ctx, int argc, char **argv);
int vz_cmd_resolve(struct vz_ctx *ctx, int argc, char **argv);
int vz_cmd_remove_cache(struct vz_ctx *ctx, int argc, char **argv);
int vz_cmd_update_cache(struct vz_ctx *ctx, int argc, char **argv);
int vz_cmd_update_metadata(struct vz_ctx *ctx, int argc, char **argv);
int vz_cmd_status(struct vz_ctx *ctx, int argc, char **argv);
int vz_cmd_fetch(struct vz_ctx *ctx, int argc, char **argv);
int vz_cmd_clean(struct vz_ctx *ctx, int argc, char **argv);
int vz_cmd_create_ct(struct vz_ctx *ctx, int argc, char **argv);
int vz_cmd_destroy_ct(struct vz_ctx *ctx, int argc, char **argv);
int vz_cmd_exec(struct vz_ctx *ctx, int argc, char **argv);
int vz_cmd_install(struct vz_ctx *ctx, int argc, char **argv);
int vz_cmd_remove(struct vz_ctx *ctx, int argc, char **argv);
int vz_cmd_update_ct(struct vz_ctx *ctx, int argc, char **argv);
int vz_cmd_localinstall(struct vz_ctx *ctx, int argc, char **argv);  /* cmd-local.c */
int vz_cmd_localupdate(struct vz_ctx *ctx, int argc, char **argv);
int vz_cmd_install_template(struct vz_ctx *ctx, int argc, char **argv);  /* cmd-tmplpkg.c */
int vz_cmd_remove_template(struct vz_ctx *ctx, int argc, char **argv);
int vz_cmd_upgrade(struct vz_ctx *ctx, int argc, char **argv);
int vz_status_cts(struct vz_ctx *ctx, int argc, char **argv, const struct vz_opts *o);
bool vz_is_container(struct vz_ctx *ctx, const char *id);  /* vz_ct_exists: vzctl's or LXC's */

/* ---- the build pipeline (build.c) ------------------------------------------- */

/* One repository after its metadata was fetched and verified. */
struct vz_repo_state {
        char **urls;             /* base URL alternatives */
        char *suite;
        char *date;              /* Release Date: */
        long long date_epoch;
};

enum vz_meta_mode {
        VZ_META_NORMAL,          /* use cached metadata younger than METADATA_EXPIRE */
        VZ_META_REFRESH,         /* ask the repositories (conditional requests) */
};

/* A build in progress: everything a backend needs. */
struct vz_build {
        enum vz_meta_mode meta_mode;
        long long source_date_epoch;  /* SOURCE_DATE_EPOCH or the newest Release Date */
        struct vz_ctx *ctx;
        const struct vz_template *tmpl;
        char *workdir;           /* $TMP_DIR/<ost>.<pid>.XXXXXX */
        char *root;              /* workdir/root */
        char *logpath;
        FILE *log;
        char tail[2048];         /* last output, for error messages */
        size_t tail_len;
        struct vz_repo_state *repos;
        size_t n_repos;
        struct vz_pkgcache *pkgcache;
        struct vz_fetch *fetch;
        char **keyfiles;
        long long bytes_downloaded;
        int configured;          /* dpkg "Setting up" lines seen, for progress */
        bool metadata_loaded;    /* repositories read once in this run: reuse */
        const char *ctid;        /* the container worked on, $2 of host hooks */
        size_t n_pkgs;
        int n_stages;            /* bootstrap stages (packages_0 lines, packages_1) marked in the list */
        pid_t attach_pid;        /* > 0: every plan runs in this running container (vz_plan_attach) */
        char **unsigned_ok;      /* SHA-256s of package files admitted unsigned (localinstall --unsigned) */
        const char *cache_name;  /* appcache: published under this name (NULL: the template's) */
        char *const *apps;       /* appcache: its application templates, for the manifest */
        bool app_cache;          /* appcache: APP_CACHE=1 for hooks and commands, as vztt sets it */
        bool release_upgrade;    /* upgrade: dpkg unpacks then configures each batch, apply's removals
                                  * include what new packages replace (ctupgrade.c) */
};

/* Package-format backends: the pipeline calls these, never branches on the
 * family itself. */
struct vz_backend {
        const char *name;
        const char *pkg_suffix;
        int (*load_repos)(struct vz_build *b, struct vz_resolver **ret, struct vz_error *err);
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
/* backend-rpm.c: a .rpm file's digests and its signature by one of the
 * armored keys in keyfiles (digests_only: the digests alone); owner names
 * the keys' owner when there are none. -VZ_E_SIGNATURE naming label. */
int vz_rpm_verify_file(char *const *keyfiles, const char *owner, const char *path, const char *label,
                       bool digests_only, struct vz_error *err);
/* upgrade: the template's repositories for apt in the root, old lists dropped. */
int vz_deb_set_sources(struct vz_build *b, struct vz_error *err);
/* $releasever (the template's version), $basearch and $arch in a URL. */
char *vz_rpm_expand_url(const struct vz_template *t, const char *url);
const struct vz_backend *vz_backend_for(const struct vz_template *t);

int vz_build_cache(struct vz_ctx *ctx, const struct vz_template *t, bool force, struct vz_error *err);

/* The steps the lifecycle commands share (build.c). */
int vz_build_lock(struct vz_ctx *ctx, const char *name, int *ret_fd, struct vz_error *err);
int vz_build_begin(struct vz_ctx *ctx, const struct vz_template *t, struct vz_build *b, struct vz_error *err);
void vz_build_end(struct vz_build *b);
int vz_build_resolve(struct vz_build *b, struct vz_resolver **ret_res, struct vz_pkglist *ret,
                     struct vz_error *err);
int vz_build_download(struct vz_build *b, const struct vz_pkglist *l, struct vz_error *err);
int vz_build_publish(struct vz_build *b, const struct vz_pkglist *resolved, bool exact,
                     char **ret_path, struct vz_error *err);
void vz_build_report(struct vz_build *b, const char *path, size_t npkgs, double secs);
double vz_now(void);
/* Drop build-host traces and per-machine state (host keys, machine IDs,
 * seeds) from the root, after the last hook (docs/internals/reproducible.md). */
int vz_build_normalize(struct vz_build *b, struct vz_error *err);
void vz_build_reset_repos(struct vz_build *b);
long long vz_source_date_epoch(struct vz_build *b);
/* Work directories left by a killed vzpkg; only under the template's lock. */
void vz_build_remove_stale(struct vz_ctx *ctx, const struct vz_template *t);
void vz_build_remove_stale_name(struct vz_ctx *ctx, const char *name);

/* repometa.c: the per-repository metadata cache, shared by the backends. */
char *vz_repo_metadir(struct vz_build *b, const char *family, const char *url, const char *suite);
/* 1: use the cached files as they are (fresh, or -C); 0: ask the
 * repository; < 0: -C and nothing cached. */
int vz_repo_use_cached(struct vz_build *b, const char *metadir, bool have_files, const char *label,
                       struct vz_error *err);
void vz_repo_mark_checked(const char *metadir);
/* Before asking a repository: keep its signed files (and their .etag) as
 * they are, so that what the server sends can be undone when it is refused
 * (bad signature, replay). `names` ends with NULL. */
void vz_repo_keep(const char *metadir, const char *const *names);
/* Put the kept files back (a file that did not exist is removed again). */
void vz_repo_restore(const char *metadir, const char *const *names);
/* The new files were accepted: forget the kept ones. */
void vz_repo_drop_kept(const char *metadir, const char *const *names);
/* Replay check: a signed file older than the one accepted before is refused
 * (-VZ_E_SIGNATURE) naming the repository and both dates (as the files
 * write them when given, else in UTC). Equal is fine. */
int vz_repo_check_replay(const char *label, const char *what, long long old_stamp, const char *old_shown,
                         long long new_stamp, const char *new_shown, struct vz_error *err);

/* lifecycle.c: a cache against the repositories of today. */
struct vz_change {
        char *name, *arch, *from, *to;  /* from NULL: new; to NULL: removed */
};
struct vz_diff {
        struct vz_change *changes;
        size_t n;
        size_t updates, added, removed;
};
int vz_cache_diff(struct vz_build *b, struct vz_resolver *res, const struct vz_pkglist *fresh,
                  struct vz_diff *ret, struct vz_error *err);
void vz_diff_done(struct vz_diff *d);
int vz_update_cache(struct vz_ctx *ctx, const struct vz_template *t, struct vz_error *err);

/* Commands taking OST... : run fn on each (all OS templates when none is
 * named and all_by_default), report each failure, return the first exit
 * code, or the highest of fn's non-negative results. */
/* Load OS template `name`. When it was not `named` on the command line (a
 * command over all templates) and is not configured (a $VARIABLE the
 * configuration lacks), warn in one line and return 1 without it. */
int vz_template_load_for(struct vz_ctx *ctx, const char *name, bool named, struct vz_template **ret,
                         struct vz_error *err);
typedef int (*vz_template_fn)(struct vz_ctx *ctx, const struct vz_template *t, void *userdata,
                              struct vz_error *err);
int vz_each_template(struct vz_ctx *ctx, int argc, char **argv, bool all_by_default, vz_template_fn fn,
                     void *userdata);

/* Container runs during a build: output to the build log; status != 0 is
 * an error naming `what`. */
int vz_build_ct_run(struct vz_build *b, char *const *argv, const char *what, int err_code,
                    struct vz_ct_plan *extra, struct vz_error *err);
struct vz_ct_plan *vz_build_plan(struct vz_build *b);
void vz_build_output(void *userdata, const char *buf, size_t len);
void vz_build_tail(struct vz_build *b, char *out, size_t size);

/* stages.c: the stage cache's keys; saving and restoring a build root
 * (docs/internals/build.md). */
enum vz_build_stage { VZ_STAGE_BASE, VZ_STAGE_FINAL };
struct vz_stagekey {
        char *text;
        size_t len;
};
void vz_stagekey_init(struct vz_stagekey *k, const char *stage);
void vz_stagekey_done(struct vz_stagekey *k);
void vz_stagekey_add(struct vz_stagekey *k, const char *field, const char *value);  /* NULL: absent */
void vz_stagekey_add_file(struct vz_stagekey *k, const char *field, const char *path);
void vz_stagekey_add_packages(struct vz_stagekey *k, const struct vz_pkglist *l, bool base);
void vz_stagekey_finish(const struct vz_stagekey *k, char ret_hex[65]);
bool vz_build_stages_on(struct vz_build *b);
bool vz_build_stage_key(struct vz_build *b, const struct vz_pkglist *l, enum vz_build_stage stage,
                        char ret_hex[65]);
int vz_build_stage_restore(struct vz_build *b, const char *key, const char *what, struct vz_error *err);
void vz_build_stage_save(struct vz_build *b, const char *key, const char *what);

/* hooks.c */
int vz_hook_host(struct vz_build *b, const char *hook, struct vz_error *err);
int vz_hook_ct(struct vz_build *b, const char *hook, struct vz_error *err);

/* manifest.c */
int vz_manifest_write_vzpackages(const char *root, const struct vz_pkglist *installed);
int vz_manifest_write_vzpackages_at(int rootfd, const struct vz_pkglist *installed);
int vz_manifest_write_json(struct vz_build *b, const struct vz_pkglist *resolved,
                           const char *cache_path, const char *json_path, struct vz_error *err);
char *vz_manifest_json_path(const struct vz_ctx *ctx, const char *name);

/* ---- appcaches (appcache.c): an OS template cache with application
 * templates pre-installed, named and listed as vztt does
 * (docs/internals/appcache.md). ------------------------------------------- */
/* vztt's list file text: "     APP\n" per app, sorted by strcmp, each once */
char *vz_appcache_list_text(char *const *apps);
/* "<os>_app_<md5 of the list text>", vztt's name (no suffix) */
char *vz_appcache_name(const char *os, char *const *apps);
/* A "<os>_app_<32 hex>.list" file name: the OS template's name, else NULL */
char *vz_appcache_list_os(const char *filename);
/* The app names of a list file's text (NULL-terminated; empty on junk) */
char **vz_appcache_list_parse(const char *text);
/* OSTEMPLATE and TEMPLATES of a vzctl sample config (--config NAME: a
 * CONF_DIR/ve-NAME.conf-sample, else a path); leading dots dropped. */
int vz_appcache_sample(struct vz_ctx *ctx, const char *sample, char **ret_os, char ***ret_apps, struct vz_error *err);
/* The appcache of os with apps, when it is there. */
int vz_appcache_find(struct vz_ctx *ctx, const char *os, char *const *apps, char **ret_path);
int vz_appcache_create(struct vz_ctx *ctx, const char *os, char *const *apps, bool force, struct vz_error *err);
/* Stale: rebuilt from the OS cache; current: left alone. */
int vz_appcache_update(struct vz_ctx *ctx, const char *os, char *const *apps, bool force, struct vz_error *err);
int vz_appcache_remove(struct vz_ctx *ctx, const char *os, char *const *apps, struct vz_error *err);
/* status: every appcache of template t against today's repositories;
 * report(name, apps, diff) for each; 1 when one is stale. */
typedef void (*vz_appcache_report_fn)(void *userdata, const char *name, char *const *apps, const struct vz_diff *d);
int vz_appcache_status(struct vz_ctx *ctx, const struct vz_template *t, vz_appcache_report_fn report, void *userdata,
                       struct vz_error *err);
int vz_cache_diff_name(struct vz_build *b, const char *name, struct vz_resolver *res, const struct vz_pkglist *fresh,
                       struct vz_diff *ret, struct vz_error *err);
int vz_cmd_create_appcache(struct vz_ctx *ctx, int argc, char **argv);
int vz_cmd_update_appcache(struct vz_ctx *ctx, int argc, char **argv);
int vz_cmd_remove_appcache(struct vz_ctx *ctx, int argc, char **argv);
int vz_cmd_list_appcache(struct vz_ctx *ctx, int argc, char **argv);
