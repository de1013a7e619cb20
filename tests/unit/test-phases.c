/* test-phases.c: the hook-phase table (vzpkg/pipeline/phases.c) driven
 * with a fake backend and a fake command edge (ws.exec): the order of the
 * phases of every operation, the template each hook belongs to, and, for a
 * failure injected at each phase, the error returned, that no later phase
 * ran, and whether the package manager is reported as having run (what
 * the callers' roll-back depends on). No root, no namespaces: the real
 * runtime is exercised by the integration tests. */
#include "unit.h"

#include "context.h"
#include "backend.h"
#include "pipeline.h"

#include <sys/stat.h>

#define MAXREC 64

static struct {
        char *rec[MAXREC];
        size_t n;
        const char *fail;        /* the record that fails */
        bool stuck_trace;        /* clean leaves a trace normalize cannot remove */
} fx;

static void rec_reset(const char *fail)
{
        for (size_t i = 0; i < fx.n; i++)
                free(fx.rec[i]);
        fx.n = 0;
        fx.fail = fail;
}

/* Record `what`; true when it is the phase to fail. */
static bool record(const char *what)
{
        assert_true(fx.n < MAXREC);
        fx.rec[fx.n++] = vz_xstrdup(what);
        return fx.fail && strcmp(fx.fail, what) == 0;
}

static int step(const char *name, struct vz_error *err)
{
        if (record(name))
                return vz_error_set(err, -VZ_E_INSTALL, "fake: %s failed", name);
        return 0;
}

/* ---- the fake command edge: hooks are recorded as "host:HOOK@TEMPLATE" --- */

static int fake_ct_run(void *userdata, const char *who, const char *what, char *const *argv, int *status,
                       struct vz_error *err)
{
        _cleanup_free_ char *r = vz_asprintf("ct:%s@%s", vz_startswith(what, "hook ") ? what + 5 : what, who);
        (void)userdata;
        (void)argv;
        (void)err;
        *status = record(r) ? 1 : 0;
        return 0;
}

static int fake_host_run(void *userdata, const char *who, const char *what, char *const *argv, int *status,
                         struct vz_error *err)
{
        _cleanup_free_ char *r = vz_asprintf("host:%s@%s", what + 5, who);
        (void)userdata;
        (void)err;
        assert_non_null(argv[1]);  /* $1: the root */
        *status = record(r) ? 2 : 0;
        return 0;
}

static const struct vz_exec fake_exec = { fake_ct_run, fake_host_run, NULL };

/* ---- the fake backend --------------------------------------------------- */

static int f_prepare(struct vz_build *b, const struct vz_pkglist *l, struct vz_error *err)
{
        (void)b;
        (void)l;
        return step("prepare", err);
}
static int f_base(struct vz_build *b, const struct vz_pkglist *l, struct vz_error *err)
{
        (void)b;
        (void)l;
        return step("base", err);
}
static int f_unpack(struct vz_build *b, const struct vz_pkglist *l, struct vz_error *err)
{
        (void)b;
        (void)l;
        return step("unpack-stages", err);
}
static int f_rest(struct vz_build *b, const struct vz_pkglist *l, struct vz_error *err)
{
        (void)l;
        /* progress: the backend reports each package it configured */
        vz_build_configured(b);
        vz_build_configured(b);
        return step("rest", err);
}
static int f_finish_install(struct vz_build *b, struct vz_error *err)
{
        (void)b;
        return step("finish-install", err);
}
/* a build trace for normalize to drop: its absence says normalize ran; a
 * non-empty directory in its place makes normalize fail */
static int f_clean(struct vz_build *b, struct vz_error *err)
{
        _cleanup_free_ char *p = vz_path_join(b->ws.root, "trace");
        _cleanup_free_ char *sub = vz_path_join(p, "sub");
        vz_rm_rf(p);
        if (fx.stuck_trace)
                assert_int_equal(vz_mkdir_p(sub, 0755), 0);
        else
                assert_int_equal(vz_write_file_atomic(p, "x", 1, 0644), 0);
        return step("clean", err);
}
static int f_apply(struct vz_build *b, struct vz_pkglist *l, const bool *select, char **remove,
                   struct vz_error *err)
{
        (void)b;
        (void)l;
        (void)select;
        (void)remove;
        return step("apply", err);
}
static int f_finish_cache(struct vz_build *b, struct vz_error *err)
{
        return f_clean(b, err) < 0 ? err->code : step("finish-cache", err);
}
static int f_set_sources(struct vz_build *b, struct vz_error *err)
{
        (void)b;
        return step("set-sources", err);
}

static const char *const fake_traces[] = { "trace", NULL };

static const struct vz_backend fake = {
        .name = "fake",
        .pkg_suffix = ".fake",
        .build_traces = fake_traces,
        .prepare = f_prepare,
        .install_base = f_base,
        .unpack_stages = f_unpack,
        .install_rest = f_rest,
        .finish_install = f_finish_install,
        .clean = f_clean,
        .apply = f_apply,
        .finish_cache = f_finish_cache,
        .set_sources = f_set_sources,
};

static int check_cb(void *userdata, struct vz_error *err)
{
        (void)userdata;
        return step("check", err);
}

/* ---- a template area with every hook ------------------------------------ */

#define OSDIR "myos/1/x86_64/config/os/default/"

static void hook(const char *area, const char *rel)
{
        _cleanup_free_ char *p = vz_path_join(area, rel);
        write_text(area, rel, "#!/bin/sh\nexit 0\n");
        assert_int_equal(chmod(p, 0755), 0);
}

struct world {
        char *area, *root;
        struct vz_template *os, *apps[2];
        struct vz_ctx ctx;
        struct vz_build b;
};

static void world_init(struct world *w, bool mid)
{
        static const char *const os_hooks[] = { "pre-cache", "mid-post-install", "post-cache", "post-install",
                                                "pre-update", "post-update", "pre-upgrade-hn", "pre-upgrade",
                                                "post-upgrade-hn", "post-upgrade" };
        static const char *const app_hooks[] = { "pre-install-hn", "pre-install", "post-install-hn", "post-install",
                                                 "pre-remove", "post-remove", "pre-upgrade-hn", "pre-upgrade",
                                                 "post-upgrade-hn", "post-upgrade" };
        struct vz_vars vars = { NULL, 0 };
        struct vz_error err = { 0 };
        memset(w, 0, sizeof(*w));
        w->area = scratch_dir();
        write_text(w->area, OSDIR "packages", "base\n");
        write_text(w->area, OSDIR "package_manager", "dpkgx64\n");
        write_text(w->area, OSDIR "distribution", "debian\n");
        for (size_t i = 0; i < ELEMENTSOF(os_hooks); i++) {
                _cleanup_free_ char *rel = vz_asprintf(OSDIR "%s", os_hooks[i]);
                hook(w->area, rel);
        }
        if (mid)
                hook(w->area, OSDIR "mid-pre-install");
        for (int a = 0; a < 2; a++) {
                _cleanup_free_ char *pk = vz_asprintf("myos/1/x86_64/config/app/app%d/default/packages", a);
                write_text(w->area, pk, "x\n");
                for (size_t i = 0; i < ELEMENTSOF(app_hooks); i++) {
                        _cleanup_free_ char *rel =
                                vz_asprintf("myos/1/x86_64/config/app/app%d/default/%s", a, app_hooks[i]);
                        hook(w->area, rel);
                }
        }
        assert_int_equal(vz_template_load(w->area, "myos-1-x86_64", &vars, &w->os, &err), 0);
        for (int a = 0; a < 2; a++) {
                _cleanup_free_ char *name = vz_asprintf("app%d", a);
                assert_int_equal(vz_template_load_app(w->area, w->os, name, &vars, &w->apps[a], &err), 0);
        }
        w->root = scratch_dir();
        w->ctx.cfg.pkg_cache = "/nonexistent/pkgcache";
        w->b.ctx = &w->ctx;
        w->b.tmpl = w->os;
        w->b.be = &fake;
        w->b.ws.root = vz_xstrdup(w->root);
        w->b.ws.exec = &fake_exec;
        w->b.ws.n_pkgs = 2;
        w->b.session.source_date_epoch = -1;
}

static void world_done(struct world *w)
{
        vz_rm_rf(w->area);
        vz_rm_rf(w->root);
        free(w->area);
        free(w->root);
        free(w->b.ws.root);
        vz_template_free(w->apps[0]);
        vz_template_free(w->apps[1]);
        vz_template_free(w->os);
        rec_reset(NULL);
}

static bool trace_left(struct world *w)
{
        _cleanup_free_ char *p = vz_path_join(w->root, "trace");
        return access(p, F_OK) == 0;
}

static void assert_records(const char *const *want, size_t n)
{
        for (size_t i = 0; i < n && i < fx.n; i++)
                assert_string_equal(fx.rec[i], want[i]);
        assert_int_equal(fx.n, n);
}

/* Run op once without failure (order, normalize), then once failing at
 * each phase: that phase's error, nothing after it, applied only when the
 * package manager was reached. */
static void drive(struct world *w, struct vz_operation proto, const char *const *want, size_t n, bool normalizes)
{
        struct vz_error err = { 0 };
        struct vz_operation op = proto;
        rec_reset(NULL);
        assert_int_equal(vz_operation_run(&w->b, &op, &err), 0);
        assert_records(want, n);
        assert_false(trace_left(w) && normalizes);  /* normalize ran last and dropped the trace */
        size_t apply_at = n;
        for (size_t i = 0; i < n; i++)
                if (strcmp(want[i], "apply") == 0)
                        apply_at = i;
        assert_int_equal(op.applied, apply_at < n);
        for (size_t k = 0; k < n; k++) {
                op = proto;
                memset(&err, 0, sizeof(err));
                rec_reset(want[k]);
                int r = vz_operation_run(&w->b, &op, &err);
                bool is_hook = vz_startswith(want[k], "host:") || vz_startswith(want[k], "ct:");
                assert_int_equal(r, is_hook ? -VZ_E_HOOK : -VZ_E_INSTALL);
                assert_int_equal(err.code, r);
                if (is_hook)  /* the hook's name and status in the message */
                        assert_non_null(strstr(err.msg, "exited with status"));
                assert_records(want, k + 1);  /* nothing after the failed phase */
                assert_int_equal(op.applied, k >= apply_at);
        }
        /* normalize fails (a trace it cannot remove): its error, after every other phase */
        if (normalizes) {
                op = proto;
                memset(&err, 0, sizeof(err));
                rec_reset(NULL);
                fx.stuck_trace = true;
                assert_int_equal(vz_operation_run(&w->b, &op, &err), -VZ_E_ARCHIVE);
                assert_non_null(strstr(err.msg, "cannot clean /trace"));
                assert_records(want, n);
                fx.stuck_trace = false;
        }
}

static void test_build(void **state)
{
        static const char *const want[] = {
                "prepare",
                "host:pre-cache@myos-1-x86_64",
                "base",
                "unpack-stages",
                "ct:mid-pre-install@myos-1-x86_64",
                "ct:mid-post-install@myos-1-x86_64",
                "rest",
                "finish-install",
                "host:post-cache@myos-1-x86_64",
                "ct:post-install@myos-1-x86_64",
                "clean",
        };
        struct world w;
        struct vz_pkglist pkgs = { 0 };
        (void)state;
        world_init(&w, true);
        drive(&w, (struct vz_operation){ .kind = VZ_OP_BUILD, .pkgs = &pkgs }, want, ELEMENTSOF(want), true);
        assert_true(w.b.ws.configured > 0);  /* the backend's progress callback counted */
        world_done(&w);
}

/* mid-post-install alone does not run: vztt runs the pair when mid-pre-install exists */
static void test_build_no_mid(void **state)
{
        static const char *const want[] = {
                "prepare", "host:pre-cache@myos-1-x86_64", "base", "unpack-stages", "rest", "finish-install",
                "host:post-cache@myos-1-x86_64", "ct:post-install@myos-1-x86_64", "clean",
        };
        struct world w;
        struct vz_pkglist pkgs = { 0 };
        (void)state;
        world_init(&w, false);
        drive(&w, (struct vz_operation){ .kind = VZ_OP_BUILD, .pkgs = &pkgs }, want, ELEMENTSOF(want), true);
        world_done(&w);
}

/* a backend without bootstrap stages (RPM) has no mid-install hooks at all */
static void test_build_unstaged(void **state)
{
        static const char *const want[] = {
                "prepare", "host:pre-cache@myos-1-x86_64", "base", "rest", "finish-install",
                "host:post-cache@myos-1-x86_64", "ct:post-install@myos-1-x86_64", "clean",
        };
        struct vz_backend unstaged = fake;
        struct world w;
        struct vz_pkglist pkgs = { 0 };
        (void)state;
        unstaged.unpack_stages = NULL;
        world_init(&w, true);
        w.b.be = &unstaged;
        drive(&w, (struct vz_operation){ .kind = VZ_OP_BUILD, .pkgs = &pkgs }, want, ELEMENTSOF(want), true);
        world_done(&w);
}

static void test_update_cache(void **state)
{
        static const char *const want[] = { "ct:pre-update@myos-1-x86_64", "apply", "ct:post-update@myos-1-x86_64",
                                            "clean", "finish-cache" };
        struct world w;
        struct vz_pkglist l = { 0 };
        (void)state;
        world_init(&w, false);
        drive(&w, (struct vz_operation){ .kind = VZ_OP_UPDATE_CACHE, .list = &l }, want, ELEMENTSOF(want), true);
        world_done(&w);
}

static void test_appcache(void **state)
{
        static const char *const want[] = { "host:pre-install-hn@app0",  "ct:pre-install@app0",
                                            "host:pre-install-hn@app1",  "ct:pre-install@app1",
                                            "apply",                     "host:post-install-hn@app0",
                                            "ct:post-install@app0",      "host:post-install-hn@app1",
                                            "ct:post-install@app1",      "clean",
                                            "finish-cache" };
        struct world w;
        struct vz_pkglist l = { 0 };
        (void)state;
        world_init(&w, false);
        drive(&w, (struct vz_operation){ .kind = VZ_OP_APPCACHE, .apps = w.apps, .n_apps = 2, .list = &l }, want,
              ELEMENTSOF(want), true);
        world_done(&w);
}

static void test_ct_install(void **state)
{
        static const char *const want[] = { "host:pre-install-hn@app0",  "ct:pre-install@app0",
                                            "host:pre-install-hn@app1",  "ct:pre-install@app1",
                                            "check",                     "apply",
                                            "host:post-install-hn@app0", "ct:post-install@app0",
                                            "host:post-install-hn@app1", "ct:post-install@app1" };
        struct world w;
        struct vz_pkglist l = { 0 };
        (void)state;
        world_init(&w, false);
        w.b.ws.ctid = "101";
        drive(&w,
              (struct vz_operation){ .kind = VZ_OP_CT_INSTALL, .os = w.os, .apps = w.apps, .n_apps = 2, .list = &l,
                                     .check = check_cb },
              want, ELEMENTSOF(want), false);
        world_done(&w);
}

/* no apps: a plain package install runs no hooks */
static void test_ct_install_no_apps(void **state)
{
        static const char *const want[] = { "check", "apply" };
        struct world w;
        struct vz_pkglist l = { 0 };
        (void)state;
        world_init(&w, false);
        drive(&w, (struct vz_operation){ .kind = VZ_OP_CT_INSTALL, .list = &l, .check = check_cb }, want,
              ELEMENTSOF(want), false);
        world_done(&w);
}

static void test_ct_remove(void **state)
{
        static const char *const want[] = { "ct:pre-remove@app0",  "ct:pre-remove@app1",  "check", "apply",
                                            "ct:post-remove@app0", "ct:post-remove@app1" };
        struct world w;
        struct vz_pkglist l = { 0 };
        (void)state;
        world_init(&w, false);
        drive(&w,
              (struct vz_operation){ .kind = VZ_OP_CT_REMOVE, .apps = w.apps, .n_apps = 2, .list = &l,
                                     .check = check_cb },
              want, ELEMENTSOF(want), false);
        world_done(&w);
}

static void test_ct_update(void **state)
{
        static const char *const want[] = { "ct:pre-update@myos-1-x86_64", "check", "apply",
                                            "ct:post-update@myos-1-x86_64" };
        struct world w;
        struct vz_pkglist l = { 0 };
        (void)state;
        world_init(&w, false);
        /* apps do not matter to an update: the OS template's hooks */
        drive(&w,
              (struct vz_operation){ .kind = VZ_OP_CT_UPDATE, .apps = w.apps, .n_apps = 2, .list = &l,
                                     .check = check_cb },
              want, ELEMENTSOF(want), false);
        world_done(&w);
}

static void test_upgrade(void **state)
{
        static const char *const want[] = {
                "host:pre-upgrade-hn@app0",          "ct:pre-upgrade@app0",
                "host:pre-upgrade-hn@app1",          "ct:pre-upgrade@app1",
                "host:pre-upgrade-hn@myos-1-x86_64", "ct:pre-upgrade@myos-1-x86_64",
                "check",                             "apply",
                "set-sources",                       "host:post-upgrade-hn@app0",
                "ct:post-upgrade@app0",              "host:post-upgrade-hn@app1",
                "ct:post-upgrade@app1",              "host:post-upgrade-hn@myos-1-x86_64",
                "ct:post-upgrade@myos-1-x86_64",
        };
        struct world w;
        struct vz_pkglist l = { 0 };
        (void)state;
        world_init(&w, false);
        drive(&w,
              (struct vz_operation){ .kind = VZ_OP_UPGRADE, .os = w.os, .apps = w.apps, .n_apps = 2, .list = &l,
                                     .check = check_cb },
              want, ELEMENTSOF(want), false);
        world_done(&w);
}

/* the family check, in one place */
static void test_backend_get(void **state)
{
        struct world w;
        struct vz_error err = { 0 };
        const struct vz_backend *be = NULL;
        (void)state;
        world_init(&w, false);
        assert_int_equal(vz_backend_get(w.os, &be, &err), 0);
        assert_ptr_equal(be, &vz_backend_deb);
        assert_non_null(vz_backend_deb.scan_output);
        assert_null(vz_backend_rpm.unpack_stages);  /* no bootstrap stages, no mid-install hooks */
        world_done(&w);
        _cleanup_free_ char *area = scratch_dir();
        struct vz_template *t = NULL;
        struct vz_vars vars = { NULL, 0 };
        write_text(area, "odd/1/x86_64/config/os/default/packages", "p\n");
        write_text(area, "odd/1/x86_64/config/os/default/package_manager", "pacman\n");
        /* an unknown family is refused when the template is read, before any backend is asked */
        assert_int_equal(vz_template_load(area, "odd-1-x86_64", &vars, &t, &err), -VZ_E_METADATA);
        assert_null(t);
        vz_rm_rf(area);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_build),          cmocka_unit_test(test_build_no_mid),
                cmocka_unit_test(test_build_unstaged), cmocka_unit_test(test_update_cache),
                cmocka_unit_test(test_appcache),       cmocka_unit_test(test_ct_install),
                cmocka_unit_test(test_ct_install_no_apps), cmocka_unit_test(test_ct_remove),
                cmocka_unit_test(test_ct_update),      cmocka_unit_test(test_upgrade),
                cmocka_unit_test(test_backend_get),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
