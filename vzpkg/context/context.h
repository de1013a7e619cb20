/* context.h: what every part of the program shares: exit codes, the
 * configuration (config.c, vztt's files in compat.c, the host's apt sources
 * in aptsources.c), and the run's state with logging, progress and
 * interruption (log.c). */
#pragma once

#include "cache.h"
#include "common.h"
#include "fetch.h"
#include "metadata.h"
#include "resolver.h"
#include "runtime.h"

#include <jansson.h>

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
        bool sync_containers;    /* SYNC_CONTAINERS: a stopped container's package manager syncs itself */
        long long download_timeout;   /* DOWNLOAD_TIMEOUT, seconds per transfer */
        long long low_speed_limit;    /* DOWNLOAD_LOW_SPEED_LIMIT, bytes/s ... */
        long long low_speed_time;     /* ... DOWNLOAD_LOW_SPEED_TIME, seconds */
        struct vz_kv *vars;      /* "$TOKEN value" lines, with defaults */
        size_t n_vars;
        long long started;       /* time(): when this run began: older temp files of dead pids are stale */
        char *lxc_path;          /* LXC_PATH: LXC's lxcpath; NULL: liblxc's lxc.lxcpath; "": no LXC */
        char *lxc_network;       /* LXC_NETWORK: "empty" or a bridge, for create ct --lxc */
        char *lxc_apparmor;      /* LXC_APPARMOR_PROFILE: NULL/"": LXC's default */
        bool ct_overlay;         /* CT_LAYOUT=overlay: LXC containers share the cache's tree */
        char *stage_cache;       /* STAGE_CACHE: saved build stages; NULL: off */
        long long stage_cache_max; /* STAGE_CACHE_MAX, bytes; 0 = no bound */
        long long build_tmpfs;   /* BUILD_TMPFS: -1 auto, 0 no, else the build root's tmpfs size in bytes */
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
struct vz_command;
struct vz_ctx {
        struct vz_config cfg;
        int verbosity;           /* -1 quiet, 0 normal, 1 verbose */
        bool json;
        bool cache_only;         /* -C: never touch the network */
        bool remote;             /* -r: ask the repositories whatever METADATA_EXPIRE says */
        double lock_timeout;     /* --timeout of the cache commands: seconds to wait for a template's lock */
        bool tty;                /* stderr is a terminal: progress bars */
        bool no_stage_cache;     /* create cache --no-stage-cache */
        const struct vz_command *cmd;  /* the command running (commands.h), its preconditions */
};

/* json.c: --json output. A string of any bytes (invalid UTF-8 replaced by
 * U+FFFD; NULL: null); print doc on stdout with a newline and free it
 * (flags: JSON_COMPACT, JSON_INDENT(n)). */
json_t *vz_json_string(const char *s);
int vz_json_print(json_t *doc, size_t flags);

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
