/* phases.c: the order of everything that runs in a root, in one table per
 * operation: the template hooks of the EZ format (docs/internals/build.md
 * lists them) and, between them, the backend's steps. Build, update cache,
 * appcaches, the container operations and upgrades all run here; no other
 * file knows which hook comes when. A failing phase stops the table: later
 * phases do not run and its error is returned; what to undo (a snapshot, a
 * roll-back, the work directory) is the caller's, which knows from
 * op->applied whether the package manager ran. */
#include "context.h"
#include "backend.h"
#include "pipeline.h"

enum step {
        S_HOOKS,          /* host hook, then container hook, of each template in scope */
        S_PREPARE,        /* backend: the empty root (create cache) */
        S_BASE,           /* backend: the essential set */
        S_SAVE_BASE,      /* stage cache: the base stage */
        S_UNPACK_STAGES,  /* backend: vztt's bootstrap stages, unpacked */
        S_REST,           /* backend: everything else installed */
        S_FINISH_INSTALL, /* backend: its state as a template ships it */
        S_CLEAN,          /* backend: build leftovers */
        S_NORMALIZE,      /* per-machine state and build traces dropped (build.c) */
        S_SAVE_FINAL,     /* stage cache: the finished root */
        S_CHECK,          /* the caller's last check before the package manager */
        S_APPLY,          /* backend: the transaction */
        S_SET_SOURCES,    /* backend: the new release's repositories (upgrade) */
        S_FINISH_CACHE,   /* backend: a refreshed cache's state */
};

enum scope {
        OS,       /* the OS template's hook */
        APPS,     /* each app template's, in order */
        APPS_OS,  /* each app template's, then the OS template's (upgrade) */
};

struct phase {
        enum step step;
        const char *host, *ct;  /* S_HOOKS: the hooks' names (NULL: none) */
        enum scope scope;
        bool mid;               /* only when the backend has bootstrap stages and mid-pre-install exists */
};

#define HOOKS(h, c, s) { S_HOOKS, h, c, s, false }
#define STEP(s) { s, NULL, NULL, OS, false }

/* vztt's create cache: pre-cache on the host before anything is unpacked;
 * mid-pre-install and mid-post-install between unpacking and configuring
 * the bootstrap stages (each in a container of its own: vztt's restart in
 * between is implied); post-cache on the host, then post-install in the
 * container, on the installed root; then the root is cleaned. */
static const struct phase build_phases[] = {
        STEP(S_PREPARE),
        HOOKS("pre-cache", NULL, OS),
        STEP(S_BASE),
        STEP(S_SAVE_BASE),
        STEP(S_UNPACK_STAGES),
        { S_HOOKS, NULL, "mid-pre-install", OS, true },
        { S_HOOKS, NULL, "mid-post-install", OS, true },
        STEP(S_REST),
        STEP(S_FINISH_INSTALL),
        HOOKS("post-cache", NULL, OS),
        HOOKS(NULL, "post-install", OS),
        STEP(S_CLEAN),
        STEP(S_NORMALIZE),
        STEP(S_SAVE_FINAL),
};

static const struct phase update_cache_phases[] = {
        HOOKS(NULL, "pre-update", OS), STEP(S_APPLY), HOOKS(NULL, "post-update", OS),
        STEP(S_FINISH_CACHE), STEP(S_NORMALIZE),
};

/* the apps' hooks in the order of `install`: per app its host hook, then its container hook */
static const struct phase appcache_phases[] = {
        HOOKS("pre-install-hn", "pre-install", APPS), STEP(S_APPLY), HOOKS("post-install-hn", "post-install", APPS),
        STEP(S_FINISH_CACHE), STEP(S_NORMALIZE),
};

static const struct phase ct_install_phases[] = {
        HOOKS("pre-install-hn", "pre-install", APPS), STEP(S_CHECK), STEP(S_APPLY),
        HOOKS("post-install-hn", "post-install", APPS),
};

static const struct phase ct_remove_phases[] = {  /* removal has no host-side hooks */
        HOOKS(NULL, "pre-remove", APPS), STEP(S_CHECK), STEP(S_APPLY), HOOKS(NULL, "post-remove", APPS),
};

static const struct phase ct_update_phases[] = {
        HOOKS(NULL, "pre-update", OS), STEP(S_CHECK), STEP(S_APPLY), HOOKS(NULL, "post-update", OS),
};

/* vztt's order: the apps' hooks, then the (new) OS template's */
static const struct phase upgrade_phases[] = {
        HOOKS("pre-upgrade-hn", "pre-upgrade", APPS_OS), STEP(S_CHECK), STEP(S_APPLY), STEP(S_SET_SOURCES),
        HOOKS("post-upgrade-hn", "post-upgrade", APPS_OS),
};

static const struct {
        const struct phase *phases;
        size_t n;
} tables[] = {
        [VZ_OP_BUILD] = { build_phases, ELEMENTSOF(build_phases) },
        [VZ_OP_UPDATE_CACHE] = { update_cache_phases, ELEMENTSOF(update_cache_phases) },
        [VZ_OP_APPCACHE] = { appcache_phases, ELEMENTSOF(appcache_phases) },
        [VZ_OP_CT_INSTALL] = { ct_install_phases, ELEMENTSOF(ct_install_phases) },
        [VZ_OP_CT_REMOVE] = { ct_remove_phases, ELEMENTSOF(ct_remove_phases) },
        [VZ_OP_CT_UPDATE] = { ct_update_phases, ELEMENTSOF(ct_update_phases) },
        [VZ_OP_UPGRADE] = { upgrade_phases, ELEMENTSOF(upgrade_phases) },
};

static int run_hooks(struct vz_build *b, const struct vz_operation *op, const struct phase *ph, struct vz_error *err)
{
        size_t n = ph->scope == OS ? 0 : op->n_apps;
        int r = 0;
        if (ph->mid && (!b->be->unpack_stages || !vz_template_hook(op->os, "mid-pre-install")))
                return 0;
        for (size_t i = 0; i <= n && r >= 0; i++) {
                const struct vz_template *t = i < n ? op->apps[i] : op->os;
                if (i == n && ph->scope == APPS)
                        break;
                if (ph->host)
                        r = vz_hook_host(b, t, ph->host, err);
                if (r >= 0 && ph->ct)
                        r = vz_hook_ct(b, t, ph->ct, err);
        }
        return r;
}

/* The stage cache's points of a build (stages.c): keys, and the table's
 * index to go on from when a saved stage was restored. */
struct stages {
        bool keyed[2];
        char key[2][65];
};

static int restore_stage(struct vz_build *b, const struct vz_operation *op, struct stages *st, size_t *start,
                         struct vz_error *err)
{
        static const char *const what[2] = { "the essential set", "the finished root" };
        static const enum step point[2] = { S_SAVE_BASE, S_SAVE_FINAL };
        const struct phase *tbl = tables[op->kind].phases;
        if (op->kind != VZ_OP_BUILD || !b->be->stage_cache)
                return 0;
        st->keyed[0] = vz_build_stage_key(b, op->pkgs, VZ_STAGE_BASE, st->key[0]);
        st->keyed[1] = vz_build_stage_key(b, op->pkgs, VZ_STAGE_FINAL, st->key[1]);
        for (int s = 1; s >= 0; s--) {
                int r = st->keyed[s] ? vz_build_stage_restore(b, st->key[s], what[s], err) : 0;
                if (r < 0)
                        return r;
                for (size_t i = 0; r > 0 && i < tables[op->kind].n; i++)
                        if (tbl[i].step == point[s])
                                *start = i + 1;
                if (r > 0)
                        return 0;
        }
        return 0;
}

static int run_step(struct vz_build *b, struct vz_operation *op, const struct phase *ph, const struct stages *st,
                    struct vz_error *err)
{
        const struct vz_backend *be = b->be;
        switch (ph->step) {
        case S_HOOKS:
                return run_hooks(b, op, ph, err);
        case S_PREPARE:
                return be->prepare ? be->prepare(b, op->pkgs, err) : 0;
        case S_BASE:
                return be->install_base ? be->install_base(b, op->pkgs, err) : 0;
        case S_UNPACK_STAGES:
                return be->unpack_stages ? be->unpack_stages(b, op->pkgs, err) : 0;
        case S_REST:
                return be->install_rest ? be->install_rest(b, op->pkgs, err) : 0;
        case S_FINISH_INSTALL:
                return be->finish_install ? be->finish_install(b, err) : 0;
        case S_CLEAN:
                return be->clean ? be->clean(b, err) : 0;
        case S_NORMALIZE:
                return vz_build_normalize(b, err);
        case S_SAVE_BASE:
        case S_SAVE_FINAL:
                if (ph->step == S_SAVE_FINAL && st->keyed[1])
                        vz_build_stage_save_defer(b, st->key[1]);  /* beside packing, once the root is final */
                if (ph->step == S_SAVE_BASE && st->keyed[0])
                        vz_build_stage_save(b, st->key[0], "essential set");
                return 0;
        case S_CHECK:
                return op->check ? op->check(op->userdata, err) : 0;
        case S_APPLY:
                op->applied = true;  /* from here the package manager may have changed the database */
                return be->apply(b, op->list, op->select, op->remove, err);
        case S_SET_SOURCES:
                return be->set_sources ? be->set_sources(b, err) : 0;
        case S_FINISH_CACHE:
                return be->finish_cache ? be->finish_cache(b, err) : 0;
        }
        return -EINVAL;
}

int vz_operation_run(struct vz_build *b, struct vz_operation *op, struct vz_error *err)
{
        struct stages st = { { false, false }, { "", "" } };
        size_t start = 0;
        int r;
        if (!op->os)
                op->os = b->tmpl;
        op->applied = false;
        r = restore_stage(b, op, &st, &start, err);
        for (size_t i = start; r >= 0 && i < tables[op->kind].n; i++)
                r = run_step(b, op, &tables[op->kind].phases[i], &st, err);
        return r;
}
