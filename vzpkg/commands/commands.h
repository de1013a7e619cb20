/* commands.h: the command table's entries and their one option parser. */
#pragma once

#include "context.h"

#include <limits.h>

/* ---- commands ---------------------------------------------------------------- */
/* The command table (main.c) declares what a command needs before it runs;
 * vz_cmd_check enforces it in one place, right after the command's options
 * are parsed (so --help works for anyone, with any arguments). */
enum {
        VZ_CMD_ROOT = 1 << 0,      /* refused unless run as root (exit 10) */
        VZ_CMD_NETWORK = 1 << 1,   /* needs the network: refused under -C (exit 35) */
        VZ_CMD_READ_ONLY = 1 << 2, /* creates and checks no directories (any user may run it) */
};
#define VZ_ARGS_ANY INT_MAX
struct vz_command {
        const char *name;        /* "create cache" */
        int (*run)(struct vz_ctx *ctx, int argc, char **argv);
        const char *summary;
        int min_args, max_args;  /* positional arguments after the options */
        unsigned flags;          /* VZ_CMD_* */
        const char *root_why;    /* VZ_CMD_ROOT: why, for the refusal */
        const char *args_msg;    /* a wrong argument count: this line instead of the help */
};
/* dispatch.c: run cmd with its words as argv[0] (getopt style); the table's
 * preconditions are checked when it parses its options. */
int vz_cmd_dispatch(struct vz_ctx *ctx, const struct vz_command *cmd, int argc, char **argv);
/* -1: the preconditions of ctx->cmd hold for the positional arguments from
 * optind; else the exit status (reported, help on stderr). No command
 * (ctx->cmd NULL): -1. vz_cmd_options calls it; a command that parses its
 * own options calls it after them. */
int vz_cmd_check(struct vz_ctx *ctx, int argc, char **argv, const char *help);
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
 * (0 after --help, VZ_EXIT_USAGE after a message, or a precondition of the
 * command table refused: vz_cmd_check). */
int vz_cmd_options(struct vz_ctx *ctx, int argc, char **argv, unsigned accept, struct vz_opts *o, const char *help);
int vz_opt_global(struct vz_ctx *ctx, int c, const char *arg);  /* 1 handled, 0 not global, -1 bad */
int vz_opt_debug(const char *v, int *ret_verbosity);
int vz_opt_timeout(const char *v, double *ret);

int vz_cmd_create_cache(struct vz_ctx *ctx, int argc, char **argv);
int vz_cmd_list(struct vz_ctx *ctx, int argc, char **argv);
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

int vz_cmd_create_appcache(struct vz_ctx *ctx, int argc, char **argv);
int vz_cmd_update_appcache(struct vz_ctx *ctx, int argc, char **argv);
int vz_cmd_remove_appcache(struct vz_ctx *ctx, int argc, char **argv);
int vz_cmd_list_appcache(struct vz_ctx *ctx, int argc, char **argv);
