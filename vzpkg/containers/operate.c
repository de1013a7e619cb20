/* containers/operate.c: install, remove, update and status on many containers at once.
 *
 * Containers are grouped by OS template. Per group the repositories are
 * read once; each container's own package database is the installed
 * repository of its solve, and containers with the same installed set
 * share one solve. Every package any container needs is downloaded once,
 * into the shared cache. Then the transactions run in parallel worker
 * processes (PARALLEL_CONTAINERS), each in the container through the
 * runtime, after a hard-link snapshot of its root; a failure restores the
 * snapshot and never touches the other containers. */
#include "context.h"
#include "backend.h"
#include "pipeline.h"
#include "containers.h"
#include "imports.h"

#include <jansson.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

struct solution {
        char *key;               /* the installed set it was made for */
        struct vz_pkglist install, erase;
        char **erase_names;
        struct vz_rollback_plan rb;  /* what a roll-back in a running container reinstalls */
        bool need_previous;          /* a running container uses it: download rb.previous */
};

struct target {
        struct vz_ct *ct;
        int lock;
        struct solution *sol;    /* shared, owned by the group */
        int result;              /* exit code of its transaction */
        char message[1024];
        bool rolled_back;
        pid_t init_pid;          /* running: its init (vz_ct_find_init); 0: stopped */
        bool scanned;            /* restart holds what runs replaced files */
        struct vz_restart restart;
        char **restarted;        /* --restart: what was restarted */
        char *restart_error;     /* --restart failed */
};

struct group {
        struct vz_template *os;
        struct vz_template **apps;
        size_t n_apps;
        struct target **targets;
        size_t n_targets;
        struct solution **sols;  /* each allocated once: targets point at them */
        size_t n_sols;
};

static const struct vz_template *repo_template(struct group *g);

/* ---- locking ---------------------------------------------------------------- */

int vz_ct_lock_wait(struct vz_ctx *ctx, const char *id, double timeout, int *fd, struct vz_error *err)
{
        double t0 = vz_now();
        bool said = false;
        for (;;) {
                struct vz_error e = { 0 };
                int r = vz_ct_lock(ctx, id, fd, &e);
                if (r != -VZ_E_LOCKED || vz_now() - t0 >= timeout) {
                        if (r < 0)
                                vz_error_set(err, r, "%s%s", e.msg, timeout > 0 ? " (gave up after --timeout)" : "");
                        return r;
                }
                if (!said)
                        vz_info("container %s: waiting for another vzpkg to finish with it", id);
                said = true;
                usleep(200000);
                if (vz_interrupted())
                        return vz_error_set(err, -VZ_E_INTERRUPTED, "container %s: interrupted while waiting", id);
        }
}

/* ---- planning ----------------------------------------------------------------- */

static char *installed_key(struct vz_build *b, const struct vz_workspace *ws, struct vz_pkglist *have,
                           struct vz_error *err)
{
        char *key = NULL;
        size_t len = 0;
        FILE *f;
        int r = b->be->installed(b, ws, have, err);
        if (r < 0)
                return NULL;
        f = open_memstream(&key, &len);
        for (size_t i = 0; i < have->n; i++)
                fprintf(f, "%s %s %s\n", have->pkgs[i].name, have->pkgs[i].arch, have->pkgs[i].version);
        fclose(f);
        return key;
}

/* What an app removal may take away: its packages, minus those the OS
 * template or the container's other apps list. */
static char **removable(struct group *g, struct vz_ct *ct, struct vz_ctx *ctx)
{
        char **keep = vz_xmalloc(sizeof(char *)), **out = vz_xmalloc(sizeof(char *));
        struct vz_vars vars = vz_config_vars(&ctx->cfg);
        for (char *const *p = vz_template_all_packages(g->os); *p; p++)
                vz_strv_push(&keep, *p);
        for (char **a = ct->apps; *a; a++) {
                bool removing = false;
                for (size_t i = 0; i < g->n_apps; i++)
                        removing |= strcmp(vz_template_name(g->apps[i]), *a) == 0;
                struct vz_template *other = NULL;
                if (!removing && vz_template_load_app(ctx->cfg.template_area, g->os, *a, &vars, &other, NULL) == 0) {
                        for (char *const *p = vz_template_packages(other); *p; p++)
                                vz_strv_push(&keep, *p);
                        vz_template_free(other);
                }
        }
        for (size_t i = 0; i < g->n_apps; i++)
                for (char *const *p = vz_template_packages(g->apps[i]); *p; p++)
                        if (!vz_strv_contains(keep, *p) && !vz_strv_contains(out, *p))
                                vz_strv_push(&out, *p);
        vz_strv_free(keep);
        return out;
}

static void fill_job(struct group *g, struct target *t, const struct vz_ct_request *req, struct vz_ctx *ctx,
                     struct vz_job *job)
{
        memset(job, 0, sizeof(*job));
        switch (req->action) {
        case VZ_CT_INSTALL:
                job->install = vz_xmalloc(sizeof(char *));
                for (size_t i = 0; i < g->n_apps; i++)
                        for (char *const *p = vz_template_packages(g->apps[i]); *p; p++)
                                vz_strv_push(&job->install, *p);
                for (char **p = req->pkgs; p && *p; p++)
                        vz_strv_push(&job->install, *p);
                break;
        case VZ_CT_REMOVE:
                job->erase = removable(g, t->ct, ctx);
                for (char **p = req->pkgs; p && *p; p++)
                        vz_strv_push(&job->erase, *p);
                job->cleandeps = req->cleandeps;
                job->with_depends = req->with_depends;
                break;
        case VZ_CT_UPDATE:
        case VZ_CT_STATUS:
                if (req->pkgs && req->pkgs[0])
                        job->update = req->pkgs;
                else
                        job->update_all = true;
                break;
        }
}

static struct solution *find_solution(struct group *g, const char *key)
{
        for (size_t i = 0; i < g->n_sols; i++)
                if (strcmp(g->sols[i]->key, key) == 0)
                        return g->sols[i];
        return NULL;
}

static int solve_for(struct vz_build *b, struct group *g, struct target *t, const struct vz_ct_request *req,
                     struct vz_error *err)
{
        _cleanup_resolver_ struct vz_resolver *res = NULL;
        _cleanup_free_ char *key = NULL;
        struct vz_pkglist have = { 0 };
        struct solution *s;
        struct vz_job job;
        int r;

        /* the container's database; errors about its files name the container */
        struct vz_workspace ct = { .root = t->ct->private_dir, .ctid = t->ct->id };
        key = installed_key(b, &ct, &have, err);
        if (!key)
                return err->code;
        fill_job(g, t, req, b->ctx, &job);
        for (char **e = job.erase; e && *e; e++) {
                /* a removal depends on the container's apps, not only its packages */
                char *k = vz_asprintf("%s-%s\n", key, *e);
                free(key);
                key = k;
        }
        if ((t->sol = find_solution(g, key))) {
                vz_strv_free(job.install);
                vz_strv_free(job.erase);
                vz_pkglist_done(&have);
                return 0;  /* the same installed set and job were solved already */
        }
        r = vz_repo_load(&b->session, repo_template(g), &res, err);
        if (r >= 0)
                b->session.metadata_loaded = true;
        if (r >= 0)
                r = vz_resolver_load_installed(res, t->ct->private_dir, err);
        if (r >= 0 && req->local)
                r = vz_local_job(b, res, req->local, t->ct->id, &job, err);
        s = vz_xmalloc(sizeof(*s));
        memset(s, 0, sizeof(*s));
        if (r >= 0)
                r = vz_resolver_solve_job(res, &job, t->ct->id, &s->install, &s->erase, err);
        if (job.update != req->pkgs)
                vz_strv_free(job.update);
        vz_strv_free(job.install);
        vz_strv_free(job.erase);
        free((int *)job.files);
        if (r >= 0)  /* cheap lookups: made for every solution, downloaded for running containers only */
                vz_rollback_plan_make(res, &have, &s->install, &s->erase, &s->rb);
        vz_pkglist_done(&have);
        if (r < 0) {
                free(s);
                return r;
        }
        s->key = TAKE_PTR(key);
        s->erase_names = vz_xmalloc(sizeof(char *));
        for (size_t i = 0; i < s->erase.n; i++)
                if (!s->erase.pkgs[i].replaced)  /* the package manager removes those itself */
                        vz_strv_push(&s->erase_names, s->erase.pkgs[i].name);
        g->sols = vz_xrealloc(g->sols, (g->n_sols + 1) * sizeof(*g->sols));
        g->sols[g->n_sols++] = s;
        t->sol = s;
        return 0;
}

/* ---- applying ------------------------------------------------------------------ */

/* The config's TEMPLATES, the timestamps and vzpackages after a transaction
 * that succeeded. A config that cannot be written is an error (its TEMPLATES
 * would not say what is installed); the others are warnings. */
static int update_config(struct vz_build *b, struct group *g, struct target *t, const struct vz_ct_request *req,
                         char *msg, size_t size)
{
        struct vz_pkglist have = { 0 };
        struct vz_error e = { 0 };
        int r, saved;
        for (size_t i = 0; i < g->n_apps; i++) {
                const char *name = vz_template_name(g->apps[i]);
                if (req->action == VZ_CT_INSTALL && !vz_strv_contains(t->ct->apps, name)) {
                        vz_strv_push(&t->ct->apps, name);
                        r = vz_ct_stamp(t->ct, name);
                        if (r < 0)
                                vz_warn("container %s: cannot write templates/%s/timestamp: %s", t->ct->id, name,
                                        strerror(-r));
                } else if (req->action == VZ_CT_REMOVE) {
                        char **kept = vz_xmalloc(sizeof(char *));
                        for (char **a = t->ct->apps; *a; a++)
                                if (strcmp(*a, name) != 0)
                                        vz_strv_push(&kept, *a);
                        vz_strv_free(t->ct->apps);
                        t->ct->apps = kept;
                        _cleanup_free_ char *dir = vz_asprintf("templates/%s", name);
                        /* the tenant's tree: a link in it is removed, never followed */
                        r = vz_ct_meta_fd(t->ct) >= 0 ? vz_at_rm_rf(vz_ct_meta_fd(t->ct), dir, VZ_AT_NOLINKS) : 0;
                        if (r < 0)
                                vz_warn("container %s: cannot remove %s: %s", t->ct->id, dir, strerror(-r));
                }
        }
        saved = vz_ct_save(t->ct, NULL, NULL, &e);
        if (saved < 0)
                snprintf(msg, size, "%.900s (the transaction itself succeeded)", e.msg);
        memset(&e, 0, sizeof(e));
        if (b->be->installed(b, &b->ws, &have, &e) >= 0)
                if ((r = vz_manifest_write_vzpackages_at(vz_ct_meta_fd(t->ct), &have)) < 0)
                        vz_warn("container %s: cannot write templates/vzpackages: %s", t->ct->id, strerror(-r));
        vz_pkglist_done(&have);
        return saved < 0 ? vz_exit_code(saved) : 0;
}

/* Right before the package manager runs: the init the worker attached to is
 * still the container's (not stopped, not restarted meanwhile). */
static int still_running(struct target *t, pid_t pid, struct vz_error *err)
{
        pid_t now = 0;
        int r = vz_ct_find_init(t->ct, &now, err);
        if (r < 0)
                return r;
        if (now != pid)
                return vz_error_set(err, -VZ_E_RUNTIME, "container %s %s during the operation", t->ct->id,
                                    now ? "was restarted" : "stopped");
        return 0;
}

struct running_check {
        struct target *t;
        pid_t pid;
};

static int check_still_running(void *userdata, struct vz_error *err)
{
        struct running_check *c = userdata;
        return c->pid > 0 ? still_running(c->t, c->pid, err) : 0;
}

/* The hooks and the transaction, in the phase table's order (phases.c). */
static int transact(struct vz_build *b, struct group *g, struct target *t, const struct vz_ct_request *req,
                    bool *ret_applied, struct vz_error *err)
{
        struct running_check c = { t, b->ws.attach_pid };
        struct vz_operation op = {
                .kind = req->action == VZ_CT_REMOVE   ? VZ_OP_CT_REMOVE
                        : req->action == VZ_CT_UPDATE ? VZ_OP_CT_UPDATE
                                                      : VZ_OP_CT_INSTALL,
                .os = g->os, .apps = g->apps, .n_apps = g->n_apps, .list = &t->sol->install,
                .remove = t->sol->erase_names, .check = check_still_running, .userdata = &c,
        };
        int r = vz_operation_run(b, &op, err);
        *ret_applied = op.applied;
        return r;
}

static void success_message(struct target *t, bool running, char *msg, size_t size)
{
        snprintf(msg, size, "%zu installed or upgraded, %zu removed%s", t->sol->install.n, t->sol->erase.n,
                 running ? ", in the running container" : "");
}

/* A container that failed before anything was changed: its message and exit code. */
static int failed_unchanged(const struct vz_error *err, int r, char *msg, size_t size)
{
        snprintf(msg, size, "%.900s; nothing was changed", err->msg);
        return vz_exit_code(r);
}

/* A running container: no snapshot (its root stays where its processes
 * are), every command attached to its init; a failure runs the reverse
 * transaction (containers/rollback.c). */
static int work_running(struct vz_build *b, struct group *g, struct target *t, const struct vz_ct_request *req,
                        pid_t pid, char *msg, size_t size, bool *rolled_back)
{
        struct vz_rollback *rb = NULL;
        struct vz_error err = { 0 };
        int r;

        b->ws.attach_pid = pid;
        vz_verbose("container %s: running (init PID %d): working inside it", t->ct->id, (int)pid);
        r = vz_rollback_save(b, &t->sol->rb, &rb, &err);
        if (r < 0) {
                vz_rollback_free(rb);
                return failed_unchanged(&err, r, msg, size);
        }
        bool applied = false;
        r = transact(b, g, t, req, &applied, &err);
        if (r < 0) {
                struct vz_error e2 = { 0 };
                int k = vz_rollback_run(b, rb, applied, &e2);
                *rolled_back = k >= 0;
                snprintf(msg, size, "%.600s%s%.300s", err.msg[0] ? err.msg : vz_strerror(r),
                         k >= 0 ? "; rolled back to the previous versions" : "; ROLL-BACK FAILED: ",
                         k >= 0 ? "" : e2.msg);
                vz_rollback_free(rb);
                return vz_exit_code(r);
        }
        vz_rollback_free(rb);
        if ((r = update_config(b, g, t, req, msg, size)))
                return r;
        success_message(t, true, msg, size);
        return 0;
}

/* A stopped container's roll-back point. A snapshot left by an operation
 * that never ended (host crash, killed worker) is the only copy of the
 * state before it, and the root may be half-changed: the admin decides.
 * With SYNC_CONTAINERS=0 (the default) the transaction's own syncs answer
 * 0 and the snapshot is made durable first, so after a crash it is the
 * complete state before the transaction; the root is synced once at the
 * end, before the snapshot goes (docs/internals/containers.md, "Syncs"). */
static int snapshot_stopped(struct vz_build *b, struct target *t, const char *own, const char *snap,
                            struct vz_error *err)
{
        int r = vz_ct_snapshot_leftover(t->ct->id, own, snap, err);
        if (r < 0)
                return r;
        _cleanup_strv_ char **copies = vz_build_snapshot_copies(b);
        b->ws.nosync = !b->ctx->cfg.sync_containers;
        if (b->ws.nosync)
                return vz_tree_snapshot_durable(own, snap, (const char *const *)copies, err);
        return vz_tree_snapshot(own, snap, (const char *const *)copies, err);
}

/* One container, in a worker process: snapshot, transaction, roll back on
 * failure; a running one is worked on in place. Returns the exit code; the
 * message goes to msg. */
static int work_on(struct vz_build *b, struct group *g, struct target *t, const struct vz_ct_request *req,
                   char *msg, size_t size, bool *rolled_back, char **ret_trash)
{
        /* overlay layout: the container's own layer is all there is to save
         * (the shared tree under it never changes) */
        const char *own = t->ct->ovl_upper ? t->ct->ovl_upper : t->ct->private_dir;
        _cleanup_free_ char *snap = vz_asprintf("%s.vzpkg-snapshot", own);
        struct vz_error err = { 0 };
        pid_t pid = 0;
        int r;

        vz_workspace_enter(&b->ws, t->ct->private_dir, t->ct->id);
        r = vz_ct_find_init(t->ct, &pid, &err);
        if (r >= 0 && pid > 0 && t->init_pid <= 0)
                r = vz_error_set(&err, -VZ_E_RUNTIME,
                                 "container %s was started after it was planned for; run the command again", t->ct->id);
        if (r < 0)
                return failed_unchanged(&err, r, msg, size);
        if (pid > 0)
                return work_running(b, g, t, req, pid, msg, size, rolled_back);
        r = snapshot_stopped(b, t, own, snap, &err);
        if (r < 0)
                return failed_unchanged(&err, r, msg, size);
        vz_verbose("container %s: snapshot made%s", t->ct->id, b->ws.nosync ? " and on disk" : "");
        bool applied = false;
        r = transact(b, g, t, req, &applied, &err);
        if (r >= 0 && b->ws.nosync)
                vz_verbose("container %s: transaction done, syncing its file system", t->ct->id);
        if (r >= 0 && b->ws.nosync && (r = vz_tree_sync(own)) < 0)
                vz_error_set(&err, r, "container %s: cannot sync its files to disk: %s", t->ct->id, strerror(-r));
        if (r < 0) {
                struct vz_error e2 = { 0 };
                /* an upper layer is not changed under a mounted overlay */
                *rolled_back = (!t->ct->ovl_upper || vz_lxc_umount_overlay(t->ct) >= 0) &&
                               vz_tree_restore(own, snap, &e2) >= 0;
                snprintf(msg, size, "%.900s%s", err.msg[0] ? err.msg : vz_strerror(r),
                         *rolled_back ? "; rolled back" : "; ROLL-BACK FAILED");
                return vz_exit_code(r);
        }
        vz_verbose("container %s: transaction done%s", t->ct->id, b->ws.nosync ? " and on disk" : "");
        /* removed after the report (start_worker): freeing the old files' blocks takes seconds */
        if (vz_tree_retire(snap, ret_trash) < 0)
                vz_rm_rf(snap);
        if ((r = update_config(b, g, t, req, msg, size)))
                return r;
        success_message(t, false, msg, size);
        return 0;
}

struct report {
        int code;
        bool rolled_back;
        char msg[1024];
};

static pid_t start_worker(struct vz_build *b, struct group *g, struct target *t, const struct vz_ct_request *req,
                          int *ret_fd)
{
        int fds[2];
        pid_t pid;
        if (pipe2(fds, O_CLOEXEC) < 0)
                return -1;
        fflush(NULL);
        pid = fork();
        if (pid == 0) {
                struct report rep = { 0 };
                _cleanup_free_ char *logpath = vz_asprintf("%s/ct-%s.log", b->ctx->cfg.log_dir, t->ct->id);
                close(fds[0]);
                if (b->ws.log)
                        fclose(b->ws.log);
                b->ws.log = fopen(logpath, "we");
                free(b->ws.logpath);
                b->ws.logpath = vz_xstrdup(logpath);
                b->workdir = NULL;  /* the parent owns and removes it */
                _cleanup_free_ char *trash = NULL;
                rep.code = work_on(b, g, t, req, rep.msg, sizeof(rep.msg), &rep.rolled_back, &trash);
                if (write(fds[1], &rep, sizeof(rep)) < 0)
                        rep.code = 1;
                close(fds[1]);  /* the parent goes on; it reaps this process at the end (apply_all) */
                if (trash)
                        vz_rm_rf(trash);
                if (b->ws.log)
                        fclose(b->ws.log);
                _exit(rep.code ? 1 : 0);
        }
        close(fds[1]);
        *ret_fd = fds[0];
        return pid;
}

static void reap(pid_t pid)
{
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
}

/* The worker's report; the worker itself may still be removing the
 * retired snapshot, and is reaped later. */
static void collect(struct target *t, int fd)
{
        struct report rep = { .code = VZ_EXIT_ERROR };
        if (read(fd, &rep, sizeof(rep)) != (ssize_t)sizeof(rep))
                snprintf(rep.msg, sizeof(rep.msg), "the worker died (see the container's log)");
        close(fd);
        t->result = rep.code;
        t->rolled_back = rep.rolled_back;
        snprintf(t->message, sizeof(t->message), "%s", rep.msg);
}

static bool nothing_to_do(const struct target *t)
{
        return t->sol->install.n == 0 && t->sol->erase.n == 0;
}

/* Bounded parallelism: at most PARALLEL_CONTAINERS workers at a time. */
static void apply_all(struct vz_build *b, struct group *g, const struct vz_ct_request *req)
{
        size_t n = g->n_targets, next = 0, active = 0;
        int limit = b->ctx->cfg.parallel_cts;
        struct pollfd *pfd = vz_xmalloc((size_t)(limit + 1) * sizeof(*pfd));
        pid_t *pids = vz_xmalloc((size_t)(limit + 1) * sizeof(pid_t));
        struct target **who = vz_xmalloc((size_t)(limit + 1) * sizeof(*who));
        pid_t *reported = vz_xmalloc((n + 1) * sizeof(pid_t));  /* reported, maybe still removing a snapshot */
        size_t n_reported = 0;

        while ((next < n && !vz_interrupted()) || active > 0) {
                while (active < (size_t)limit && next < n && !vz_interrupted()) {
                        struct target *t = g->targets[next++];
                        int fd;
                        if (t->result || !t->sol)
                                continue;  /* failed earlier: lock, solve */
                        if (nothing_to_do(t) && (req->action == VZ_CT_UPDATE || req->local)) {
                                snprintf(t->message, sizeof(t->message), "nothing to do");
                                continue;
                        }
                        vz_info("container %s: working (log %s/ct-%s.log)", t->ct->id, b->ctx->cfg.log_dir, t->ct->id);
                        pid_t pid = start_worker(b, g, t, req, &fd);
                        if (pid < 0) {
                                t->result = VZ_EXIT_ERROR;
                                snprintf(t->message, sizeof(t->message), "cannot start a worker: %m");
                                continue;
                        }
                        pfd[active] = (struct pollfd){ .fd = fd, .events = POLLIN };
                        pids[active] = pid;
                        who[active++] = t;
                }
                if (active == 0 || poll(pfd, active, -1) <= 0)
                        continue;
                for (size_t k = 0; k < active;) {
                        if (!pfd[k].revents) {
                                k++;
                                continue;
                        }
                        collect(who[k], pfd[k].fd);
                        reported[n_reported++] = pids[k];
                        active--;
                        pfd[k] = pfd[active];
                        pids[k] = pids[active];
                        who[k] = who[active];
                }
        }
        for (size_t k = 0; k < n_reported; k++)
                reap(reported[k]);
        free(reported);
        free(pfd);
        free(pids);
        free(who);
}

/* ---- what still runs old code ------------------------------------------------------ */

static int restart_services(struct vz_ctx *ctx, struct target *t, struct vz_error *err)
{
        _cleanup_free_ char *logpath = vz_asprintf("%s/ct-%s.log", ctx->cfg.log_dir, t->ct->id);
        _cleanup_fclose_ FILE *log = fopen(logpath, "ae");
        int r = vz_restart_apply(t->ct, t->init_pid, &t->restart, ctx->cfg.run_timeout, log, &t->restarted, err);
        vz_restart_done(&t->restart);
        t->scanned = false;
        /* what is left after the restarts (what --restart does not touch) */
        struct vz_error e2 = { 0 };
        if (vz_restart_scan(t->ct, t->init_pid, &t->restart, &e2) >= 0)
                t->scanned = true;
        return r;
}

/* A running container: which processes map replaced code; with
 * --restart, after a successful transaction, restart their services. */
static void check_restart(struct vz_ctx *ctx, struct target *t, const struct vz_ct_request *req)
{
        struct vz_error err = { 0 };
        if (!t->ct || vz_ct_find_init(t->ct, &t->init_pid, &err) < 0 || t->init_pid <= 0)
                return;
        if (vz_restart_scan(t->ct, t->init_pid, &t->restart, &err) < 0) {
                vz_verbose("%s", err.msg);  /* it stopped meanwhile, or /proc is not ours to read */
                return;
        }
        t->scanned = true;
        if (!req->restart || t->result || req->dry_run || t->restart.n == 0)
                return;
        vz_info("container %s: restarting what runs replaced files", t->ct->id);
        if (restart_services(ctx, t, &err) < 0)
                t->restart_error = vz_restart_sanitize(err.msg);  /* may quote the container's output */
}

/* ---- groups ---------------------------------------------------------------------- */

static void group_free(struct group *g)
{
        for (size_t i = 0; i < g->n_targets; i++) {
                if (g->targets[i]->lock >= 0)
                        close(g->targets[i]->lock);
                vz_ct_free(g->targets[i]->ct);
                vz_restart_done(&g->targets[i]->restart);
                vz_strv_free(g->targets[i]->restarted);
                free(g->targets[i]->restart_error);
                free(g->targets[i]);
        }
        free(g->targets);
        for (size_t i = 0; i < g->n_sols; i++) {
                vz_pkglist_done(&g->sols[i]->install);
                vz_pkglist_done(&g->sols[i]->erase);
                vz_strv_free(g->sols[i]->erase_names);
                vz_rollback_plan_done(&g->sols[i]->rb);
                free(g->sols[i]->key);
                free(g->sols[i]);
        }
        free(g->sols);
        for (size_t i = 0; i < g->n_apps; i++)
                vz_template_free(g->apps[i]);
        free(g->apps);
        vz_template_free(g->os);
}

static struct group *group_for(struct group **groups, size_t *n, const char *ost)
{
        for (size_t i = 0; i < *n; i++)
                if ((*groups)[i].os && strcmp(vz_template_name((*groups)[i].os), ost) == 0)
                        return &(*groups)[i];
        return NULL;
}

static const struct vz_template *repo_template(struct group *g)
{
        return vz_repo_template(g->os, g->apps, g->n_apps);
}

static int load_group(struct vz_ctx *ctx, struct group *g, const char *ost, const struct vz_ct_request *req,
                      struct vz_error *err)
{
        struct vz_vars vars = vz_config_vars(&ctx->cfg);
        int r = vz_template_load(ctx->cfg.template_area, ost, &vars, &g->os, err);
        for (char **a = req->apps; r >= 0 && a && *a; a++) {
                g->apps = vz_xrealloc(g->apps, (g->n_apps + 1) * sizeof(*g->apps));
                r = vz_template_load_app(ctx->cfg.template_area, g->os, *a, &vars, &g->apps[g->n_apps], err);
                if (r >= 0)
                        g->n_apps++;
        }
        if (r >= 0)
                r = vz_backend_get(g->os, NULL, err);
        return r;
}

/* ---- output ---------------------------------------------------------------------- */

static void plan_json(json_t *arr, struct target *t)
{
        json_t *o = json_pack("{s:o, s:o, s:[], s:[]}", "ct", vz_json_string(t->ct->id), "ostemplate",
                              vz_json_string(t->ct->ostemplate), "install", "remove");
        if (t->sol) {
                for (size_t i = 0; i < t->sol->install.n; i++)
                        json_array_append_new(json_object_get(o, "install"),
                                              json_pack("{s:s, s:s, s:s}", "name", t->sol->install.pkgs[i].name, "arch",
                                                        t->sol->install.pkgs[i].arch, "version",
                                                        t->sol->install.pkgs[i].version));
                for (size_t i = 0; i < t->sol->erase.n; i++)
                        json_array_append_new(json_object_get(o, "remove"),
                                              json_pack("{s:o, s:o}", "name", vz_json_string(t->sol->erase.pkgs[i].name),
                                                        "version", vz_json_string(t->sol->erase.pkgs[i].version)));
        }
        json_object_set_new(o, "current", json_boolean(t->sol && nothing_to_do(t)));
        json_object_set_new(o, "result", json_integer(t->result));
        json_object_set_new(o, "message", vz_json_string(t->message));  /* may quote the container's output */
        json_object_set_new(o, "rolled_back", json_boolean(t->rolled_back));
        json_object_set_new(o, "kind", json_string(t->ct->kind == VZ_CT_LXC ? "lxc" : "vzctl"));
        json_object_set_new(o, "running", json_boolean(t->init_pid > 0));
        json_object_set_new(o, "init_pid", t->init_pid > 0 ? json_integer(t->init_pid) : json_null());
        json_t *rs = t->scanned ? vz_restart_json(&t->restart, t->restarted) : json_null();
        if (t->restart_error)
                json_object_set_new(rs, "error", vz_json_string(t->restart_error));
        json_object_set_new(o, "restart", rs);
        json_array_append_new(arr, o);
}

static void restart_human(struct target *t)
{
        if (t->restarted && t->restarted[0]) {
                printf("container %s: restarted:", t->ct->id);
                for (char **u = t->restarted; *u; u++)
                        printf(" %s", *u);
                putchar('\n');
        }
        if (t->restart_error)
                printf("container %s: restart FAILED: %s\n", t->ct->id, t->restart_error);
        if (t->scanned && t->restart.n)
                vz_restart_print(stdout, t->ct->id, &t->restart);
}

static void plan_human(struct target *t, bool dry)
{
        if (t->result) {
                printf("container %s: FAILED: %s\n", t->ct->id, t->message);
                restart_human(t);
                return;
        }
        if (!dry) {
                printf("container %s: %s\n", t->ct->id, t->message);
                restart_human(t);
                return;
        }
        printf("container %s: %s", t->ct->id, nothing_to_do(t) ? "up to date" : "pending");
        if (t->init_pid > 0)
                printf(" (running, init %d)", (int)t->init_pid);
        putchar('\n');
        for (size_t i = 0; i < t->sol->install.n; i++)
                printf("  install %s %s\n", t->sol->install.pkgs[i].name, t->sol->install.pkgs[i].version);
        for (size_t i = 0; i < t->sol->erase.n; i++)
                printf("  remove %s %s\n", t->sol->erase.pkgs[i].name, t->sol->erase.pkgs[i].version);
        restart_human(t);
}

/* ---- the operation ----------------------------------------------------------------- */

static int union_download(struct vz_build *b, struct group *g, struct vz_error *err)
{
        struct vz_pkglist all = { .pkgs = NULL };
        char **seen = vz_xmalloc(sizeof(char *));
        int r;
        for (size_t i = 0; i < g->n_sols; i++)
                for (int pass = 0; pass < 2; pass++) {
                        /* the new packages, and what a roll-back in a running container reinstalls */
                        const struct vz_pkglist *l = pass ? &g->sols[i]->rb.previous : &g->sols[i]->install;
                        if (pass && !g->sols[i]->need_previous)
                                continue;
                        for (size_t k = 0; k < l->n; k++) {
                                struct vz_pkg *p = &l->pkgs[k];
                                if (vz_strv_contains(seen, p->sha256))
                                        continue;  /* each package once, however many containers need it */
                                vz_strv_push(&seen, p->sha256);
                                all.pkgs = vz_xrealloc(all.pkgs, (all.n + 1) * sizeof(*all.pkgs));
                                all.pkgs[all.n++] = *p;
                        }
                }
        vz_verbose("%zu distinct packages for %zu containers", all.n, g->n_targets);
        r = all.n ? vz_build_download(b, &all, err) : 0;
        if (r >= 0 && all.n && b->be->prepare_packages)
                b->be->prepare_packages(b, &all);
        free(all.pkgs);
        vz_strv_free(seen);
        return r;
}

/* A running container is changed in place, so a failure must be undone
 * by reinstalling its previous versions: they must still be published
 * (or the admin accepts an update without a roll-back), and the package
 * manager must be able to run inside it. */
static int check_running(struct vz_build *b, struct target *t, const struct vz_ct_request *req, struct vz_error *err)
{
        pid_t pid = 0;
        int r = vz_ct_find_init(t->ct, &pid, err);
        if (r < 0 || pid <= 0)
                return r;
        t->init_pid = pid;
        if (req->dry_run || req->action == VZ_CT_STATUS)
                return 0;
        if (b->be->in_process)
                return vz_error_set(err, -ENOTSUP,
                                    "container %s is running; stop it first (%s packages are installed by librpm "
                                    "in vzpkg's own process, which cannot enter a running container)",
                                    t->ct->id, b->be->name);
        if (t->sol->rb.unpublished[0] && !req->accept_no_rollback)
                return vz_error_set(err, -VZ_E_NOPKG,
                                    "container %s is running and its installed %s is no longer published, so a "
                                    "failed transaction could not be rolled back (--accept-no-rollback to go on anyway)",
                                    t->ct->id, t->sol->rb.unpublished[0]);
        t->sol->need_previous = true;
        return 0;
}

static int plan_group(struct vz_build *b, struct group *g, const struct vz_ct_request *req)
{
        for (size_t i = 0; i < g->n_targets; i++) {
                struct target *t = g->targets[i];
                struct vz_error err = { 0 };
                int r;
                if (t->result)
                        continue;
                r = solve_for(b, g, t, req, &err);
                if (r >= 0)
                        r = check_running(b, t, req, &err);
                if (r < 0) {
                        t->result = vz_exit_code(r);
                        snprintf(t->message, sizeof(t->message), "%s", err.msg);
                }
        }
        return 0;
}

static int run_group(struct vz_ctx *ctx, struct group *g, const struct vz_ct_request *req)
{
        struct vz_build b;
        struct vz_error err = { 0 };
        /* the OS template's hooks, backend and keys; the repositories of
         * repo_template(g) (solve_for) */
        int r = vz_build_begin(ctx, g->os, &b, &err);
        if (r >= 0 && req->local)
                r = vz_local_import(&b, req->local, &err);
        if (r >= 0) {
                vz_info("%s: planning %zu containers", vz_template_name(g->os), g->n_targets);
                plan_group(&b, g, req);
        }
        if (r >= 0 && !req->dry_run && req->action != VZ_CT_STATUS) {
                r = union_download(&b, g, &err);
                if (r >= 0)
                        apply_all(&b, g, req);
        }
        if (r < 0)
                for (size_t i = 0; i < g->n_targets; i++)
                        if (!g->targets[i]->result) {
                                g->targets[i]->result = vz_exit_code(r);
                                snprintf(g->targets[i]->message, sizeof(g->targets[i]->message), "%s", err.msg);
                        }
        for (size_t i = 0; i < g->n_targets && !vz_interrupted(); i++)
                check_restart(ctx, g->targets[i], req);
        if (b.ctx)
                vz_build_end(&b);
        return 0;
}

static int add_target(struct vz_ctx *ctx, struct group **groups, size_t *n, const char *id,
                      const struct vz_ct_request *req, struct vz_error *err)
{
        struct target *t = vz_xmalloc(sizeof(*t));
        struct group *g;
        int r;
        t->lock = -1;
        r = vz_ct_lock_wait(ctx, id, req->timeout, &t->lock, err);
        if (r >= 0)
                r = vz_ct_load(ctx, id, &t->ct, err);
        if (r >= 0)
                r = vz_ct_find_init(t->ct, &t->init_pid, err);
        if (r < 0) {
                if (t->lock >= 0)
                        close(t->lock);
                vz_ct_free(t->ct);
                free(t);
                return r;
        }
        g = group_for(groups, n, t->ct->ostemplate);
        if (!g) {
                *groups = vz_xrealloc(*groups, (*n + 1) * sizeof(**groups));
                g = &(*groups)[(*n)++];
                memset(g, 0, sizeof(*g));
                r = load_group(ctx, g, t->ct->ostemplate, req, err);
                if (r < 0) {
                        t->result = vz_exit_code(r);
                        snprintf(t->message, sizeof(t->message), "%s", err->msg);
                        memset(err, 0, sizeof(*err));
                }
        }
        g->targets = vz_xrealloc(g->targets, (g->n_targets + 1) * sizeof(*g->targets));
        g->targets[g->n_targets++] = t;
        return 0;
}

/* The exit status so far and one more container: a failure outranks "not
 * up to date" (22), which outranks "old code still runs" (23, status only);
 * a failed --restart is an error (1). */
static int merge_rc(int rc, const struct target *t, const struct vz_ct_request *req)
{
        bool status = req->action == VZ_CT_STATUS;
        if (t->result)
                return !rc || rc == VZ_EXIT_STALE || rc == VZ_EXIT_RESTART ? t->result : rc;
        if (status && !nothing_to_do(t) && (!rc || rc == VZ_EXIT_RESTART))
                return VZ_EXIT_STALE;
        if (status && t->scanned && t->restart.n && !rc)
                return VZ_EXIT_RESTART;
        if (t->restart_error && !rc)
                return VZ_EXIT_ERROR;
        return rc;
}

static int summarise(struct vz_ctx *ctx, struct group *groups, size_t n, const struct vz_ct_request *req)
{
        json_t *arr = json_array();
        int rc = 0;
        bool dry = req->dry_run || req->action == VZ_CT_STATUS;
        for (size_t i = 0; i < n; i++)
                for (size_t k = 0; k < groups[i].n_targets; k++) {
                        struct target *t = groups[i].targets[k];
                        if (ctx->json)
                                plan_json(arr, t);
                        else
                                plan_human(t, dry && !t->result);
                        rc = merge_rc(rc, t, req);
                }
        if (ctx->json) {
                char *s = json_dumps(arr, JSON_INDENT(2));
                puts(s);
                free(s);
        }
        json_decref(arr);
        return rc;
}

int vz_ct_operate(struct vz_ctx *ctx, char **ids, const struct vz_ct_request *req)
{
        struct group *groups = NULL;
        size_t n = 0;
        int rc = 0;
        for (char **id = ids; *id; id++) {
                struct vz_error err = { 0 };
                int r = add_target(ctx, &groups, &n, *id, req, &err);
                if (r < 0) {
                        vz_fail(&err, r);
                        rc = rc ? rc : vz_exit_code(r);
                }
        }
        for (size_t i = 0; i < n && !vz_interrupted(); i++)
                if (groups[i].os)
                        run_group(ctx, &groups[i], req);
        int s = summarise(ctx, groups, n, req);
        for (size_t i = 0; i < n; i++)
                group_free(&groups[i]);
        free(groups);
        return rc ? rc : s;
}
