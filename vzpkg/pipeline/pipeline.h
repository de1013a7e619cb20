/* pipeline.h: building, refreshing and publishing caches: the build
 * context, stages, hooks, manifests, the cache lifecycle and appcaches. */
#pragma once

#include "context.h"
#include "backend.h"
#include "repo.h"

/* ---- the build pipeline (build.c) ------------------------------------------- */

/* Where commands run: a root (a build's work directory or a container's
 * private area), its log, the container, and the edge that runs commands.
 * A build has one; a container worker sets it to its container
 * (vz_workspace_enter); reading another root's database takes one of its
 * own (containers/operate.c). */
struct vz_exec {
        /* a command in the root on behalf of template `who` (the plan is
         * ready: the real edge runs it) */
        int (*ct_run)(void *userdata, const char *who, const char *what, char *const *argv, int *status,
                      struct vz_error *err);
        /* a host hook of template `who`: argv[0] the script, argv[1] the root */
        int (*host_run)(void *userdata, const char *who, const char *what, char *const *argv, int *status,
                        struct vz_error *err);
        void *userdata;
};
struct vz_workspace {
        char *root;              /* workdir/root, or a container's private area (owned copy) */
        char *logpath;
        FILE *log;
        char tail[2048];         /* last output, for error messages */
        size_t tail_len;
        int configured;          /* packages the backend reported configured (vz_build_configured) */
        size_t n_pkgs;           /* ... of this many: the progress bar's total */
        const char *ctid;        /* the container worked on, $2 of host hooks */
        pid_t attach_pid;        /* > 0: every plan runs in this running container (vz_plan_attach) */
        bool nosync;             /* the plans' syncs answer 0: the caller syncs the root (vz_plan_nosync) */
        const struct vz_exec *exec;  /* NULL: the runtime; the unit tests fake it */
        char *expanded_dir;      /* packages decompressed ahead (backends/deb.c), bound at VZ_EXPANDED_MOUNT */
};
#define VZ_EXPANDED_MOUNT "/run/vzpkg/expanded"

/* A build in progress: everything a backend needs. */
struct vz_build {
        struct vz_session session;    /* repositories, downloads, package cache (repo/repo.h) */
        struct vz_ctx *ctx;
        const struct vz_template *tmpl;
        char *workdir;           /* $TMP_DIR/<ost>.<pid>.XXXXXX */
        struct vz_workspace ws;
        const struct vz_backend *be;  /* the template's family */
        bool root_in_memory;     /* workdir/root is a tmpfs of ours (vz_build_root_in_memory) */
        long long tmpfs_size;    /* ... of at most this many bytes */
        struct vz_expand_job expanding;  /* worker processes decompressing packages (backends/deb.c) */
        char final_stage[65];    /* the finished root's stage key, saved beside packing (stages.c) */
        double stage_saver_t0;
        int n_stages;            /* bootstrap stages (packages_0 lines, packages_1) marked in the list */
        char **unsigned_ok;      /* SHA-256s of package files admitted unsigned (localinstall --unsigned) */
        const char *cache_name;  /* appcache: published under this name (NULL: the template's) */
        char *const *apps;       /* appcache: its application templates, for the manifest */
        bool app_cache;          /* appcache: APP_CACHE=1 for hooks and commands, as vztt sets it */
        bool release_upgrade;    /* upgrade: dpkg unpacks then configures each batch, apply's removals
                                  * include what new packages replace (containers/upgrade.c) */
};

int vz_build_cache(struct vz_ctx *ctx, const struct vz_template *t, bool force, struct vz_error *err);

/* The steps the lifecycle commands share (build.c). */
int vz_build_lock(struct vz_ctx *ctx, const char *name, int *ret_fd, struct vz_error *err);
int vz_build_begin(struct vz_ctx *ctx, const struct vz_template *t, struct vz_build *b, struct vz_error *err);
/* Which template's repositories serve an OS template with these apps: the
 * first app that lists its own (they come with the OS base's appended),
 * else the OS template (for vz_repo_load). */
const struct vz_template *vz_repo_template(const struct vz_template *os, struct vz_template *const *apps, size_t n);
/* workspace.c: $TMP_DIR/<name>.<pid>.XXXXXX with root/ in it, and the
 * build log (vz_build_begin's first step). */
int vz_workspace_make(struct vz_build *b, struct vz_error *err);
/* Before a cache build fills workdir/root: put it on tmpfs when BUILD_TMPFS
 * says so and memory allows; on disk otherwise (never an error). */
void vz_build_root_in_memory(struct vz_build *b);
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
long long vz_source_date_epoch(struct vz_build *b);
/* Work directories left by a killed vzpkg; only under the template's lock. */
void vz_build_remove_stale(struct vz_ctx *ctx, const struct vz_template *t);
void vz_build_remove_stale_name(struct vz_ctx *ctx, const char *name);

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
/* The same on behalf of template t (its environment, its name in errors). */
struct vz_ct_plan *vz_build_plan_for(struct vz_build *b, const struct vz_template *t);
int vz_build_ct_run_as(struct vz_build *b, const struct vz_template *t, char *const *argv, const char *what,
                       int err_code, struct vz_ct_plan *extra, struct vz_error *err);
int vz_build_exec_host(struct vz_build *b, const struct vz_template *t, const char *what, char *const *argv,
                       char *const *env, int *status, struct vz_error *err);
/* Progress: backends call it for each package configured. */
void vz_build_configured(struct vz_build *b);
/* What a snapshot of a root copies rather than hard-links (vz_tree_snapshot). */
char **vz_build_snapshot_copies(const struct vz_build *b);
/* A worker's workspace moves to a container: its private area and id. */
void vz_workspace_enter(struct vz_workspace *ws, const char *root, const char *ctid);
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
/* The finished root (stages.c): the phase table defers its save. A zstd
 * cache is saved as the stage once packed (save_packed); other formats are
 * saved beside packing: publish starts a child once the root is final and
 * waits for it after packing (stop: kill it, when packing failed). */
void vz_build_stage_save_defer(struct vz_build *b, const char *key);
pid_t vz_build_stage_save_start(struct vz_build *b);
void vz_build_stage_save_finish(struct vz_build *b, pid_t pid, bool stop);
void vz_build_stage_save_packed(struct vz_build *b, const char *path, const char sha256[65]);

/* phases.c: what runs in a root, in the EZ hook order, for each operation. */
enum vz_operation_kind {
        VZ_OP_BUILD,         /* create cache: the backend's install steps between pre-cache ... post-install */
        VZ_OP_UPDATE_CACHE,  /* update cache: pre-update, apply, post-update */
        VZ_OP_APPCACHE,      /* an appcache on its OS cache: the apps' install hooks around apply */
        VZ_OP_CT_INSTALL,    /* install in a container: the apps' pre-install-hn/pre-install ... */
        VZ_OP_CT_REMOVE,     /* remove from a container: the apps' pre-remove ... post-remove */
        VZ_OP_CT_UPDATE,     /* update a container: the OS template's pre-update ... post-update */
        VZ_OP_UPGRADE,       /* a container to the next release: pre-upgrade-hn ... post-upgrade */
};
struct vz_operation {
        enum vz_operation_kind kind;
        const struct vz_template *os;           /* its hooks (NULL: the build's template) */
        struct vz_template *const *apps;        /* app templates: their hooks, in this order */
        size_t n_apps;
        const struct vz_pkglist *pkgs;          /* build: the resolved packages */
        struct vz_pkglist *list;                /* apply: these packages, */
        const bool *select;                     /* ... those selected (NULL: all), */
        char **remove;                          /* ... then these names removed */
        int (*check)(void *userdata, struct vz_error *err);  /* right before apply (NULL: none) */
        void *userdata;
        bool applied;                           /* out: the package manager ran */
};
/* The operation's phases in order; the first failure stops them and is
 * returned. Undoing is the caller's (op->applied says whether to). */
int vz_operation_run(struct vz_build *b, struct vz_operation *op, struct vz_error *err);

/* hooks.c: template t's hook (t: the OS template or an app template). */
int vz_hook_host(struct vz_build *b, const struct vz_template *t, const char *hook, struct vz_error *err);
int vz_hook_ct(struct vz_build *b, const struct vz_template *t, const char *hook, struct vz_error *err);

/* manifest.c */
int vz_manifest_write_vzpackages(const char *root, const struct vz_pkglist *installed);
int vz_manifest_write_vzpackages_at(int rootfd, const struct vz_pkglist *installed);
/* cache_sha256: the archive's SHA-256 as the packer computed it, or NULL to read the file */
int vz_manifest_write_json(struct vz_build *b, const struct vz_pkglist *resolved, const char *cache_path,
                           const char *cache_sha256, const char *json_path, struct vz_error *err);
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
/* Every appcache in the cache directory (a list file with an archive of its
 * name, as vztt lists them), in name order: list appcache, status. */
struct vz_appcache_entry {
        char *name, *os, *cache;  /* "<os>_app_<md5>", its OS template, the archive */
        char **apps;              /* the list file's application templates */
        long long size, mtime;    /* the archive's */
};
size_t vz_appcache_scan(struct vz_ctx *ctx, struct vz_appcache_entry **ret);
void vz_appcache_entries_free(struct vz_appcache_entry *e, size_t n);
/* status: every appcache of template t against today's repositories;
 * report(name, apps, diff) for each; 1 when one is stale. */
typedef void (*vz_appcache_report_fn)(void *userdata, const char *name, char *const *apps, const struct vz_diff *d);
int vz_appcache_status(struct vz_ctx *ctx, const struct vz_template *t, vz_appcache_report_fn report, void *userdata,
                       struct vz_error *err);
int vz_cache_diff_name(struct vz_build *b, const char *name, struct vz_resolver *res, const struct vz_pkglist *fresh,
                       struct vz_diff *ret, struct vz_error *err);
