/* test-resolver.c: the Debian pool on a small Packages file written here:
 * the base set, the bootstrap closure, pre-dependency batches, and problems
 * in plain words. */
#include "unit.h"

#include "resolver.h"

#define SUM "SHA256: 1111111111111111111111111111111111111111111111111111111111111111\n"
static const char packages[] =
        "Package: libc6\nVersion: 2.36-9\nArchitecture: amd64\nPriority: required\nFilename: pool/libc6.deb\nSize: 10\n" SUM "\n"
        "Package: base-files\nVersion: 12.4\nArchitecture: amd64\nEssential: yes\nPriority: required\nFilename: pool/base-files.deb\nSize: 10\n" SUM "\n"
        "Package: dpkg\nVersion: 1.21\nArchitecture: amd64\nEssential: yes\nPriority: required\nPre-Depends: libc6\nFilename: pool/dpkg.deb\nSize: 10\n" SUM "\n"
        "Package: libapt\nVersion: 2.6\nArchitecture: amd64\nPriority: important\nDepends: libc6\nFilename: pool/libapt.deb\nSize: 10\n" SUM "\n"
        "Package: apt\nVersion: 2.6\nArchitecture: amd64\nPriority: important\nDepends: libapt\nFilename: pool/apt.deb\nSize: 10\n" SUM "\n"
        "Package: tool\nVersion: 1\nArchitecture: all\nPre-Depends: libapt\nFilename: pool/tool.deb\nSize: 10\n" SUM "\n"
        "Package: foo\nVersion: 1\nArchitecture: amd64\nConflicts: bar\nFilename: pool/foo.deb\nSize: 10\n" SUM "\n"
        "Package: bar\nVersion: 1\nArchitecture: amd64\nFilename: pool/bar.deb\nSize: 10\n" SUM "\n"
        "Package: broken\nVersion: 1\nArchitecture: amd64\nDepends: libmissing\nFilename: pool/broken.deb\nSize: 10\n" SUM;

struct fixture {
        char *dir;
        struct vz_resolver *r;
};

static int setup(void **state)
{
        struct fixture *fx = vz_xmalloc(sizeof(*fx));
        struct vz_error err = { 0 };
        fx->dir = scratch_dir();
        write_text(fx->dir, "Packages", packages);
        _cleanup_free_ char *p = vz_path_join(fx->dir, "Packages");
        _cleanup_free_ char *cache = vz_path_join(fx->dir, "solv");
        assert_int_equal(vz_resolver_new_deb("amd64", &fx->r), 0);
        assert_int_equal(vz_resolver_add_deb_repo(fx->r, 0, "test", p, cache, "k1", 0, &err), 0);
        *state = fx;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *fx = *state;
        vz_resolver_free(fx->r);
        vz_rm_rf(fx->dir);
        free(fx->dir);
        free(fx);
        return 0;
}

static const struct vz_pkg *find(const struct vz_pkglist *l, const char *name, size_t *ret_index)
{
        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->pkgs[i].name, name) == 0) {
                        if (ret_index)
                                *ret_index = i;
                        return &l->pkgs[i];
                }
        return NULL;
}

static void test_scan_base(void **state)
{
        struct fixture *fx = *state;
        _cleanup_free_ char *p = vz_path_join(fx->dir, "Packages");
        _cleanup_strv_ char **ess = NULL, **req = NULL;
        assert_int_equal(vz_deb_scan_base(p, &ess, &req), 0);
        assert_int_equal(vz_strv_len(ess), 2);
        assert_string_equal(ess[0], "base-files");
        assert_int_equal(vz_strv_len(req), 3);
        assert_true(vz_strv_contains(req, "libc6"));
}

static void test_base_set_and_order(void **state)
{
        struct fixture *fx = *state;
        struct vz_pkglist l = { 0 };
        struct vz_error err = { 0 };
        char *names[] = { "tool", NULL };
        size_t ilibc = 0, idpkg = 0, iapt = 0, itool = 0;
        assert_int_equal(vz_resolver_solve(fx->r, names, VZ_RESOLVE_BASE, "t", &l, &err), 0);
        assert_int_equal(l.n, 5);   /* tool, libapt, libc6, dpkg, base-files; apt is not needed */
        assert_non_null(find(&l, "base-files", NULL));
        assert_null(find(&l, "apt", NULL));
        assert_non_null(find(&l, "libc6", &ilibc));
        assert_non_null(find(&l, "dpkg", &idpkg));
        assert_true(ilibc < idpkg);            /* pre-dependency first */
        assert_true(find(&l, "dpkg", NULL)->bootstrap);
        assert_true(find(&l, "libc6", NULL)->bootstrap);  /* needed by an essential package */
        assert_false(find(&l, "libapt", &iapt)->bootstrap);
        assert_non_null(find(&l, "tool", &itool));
        /* tool pre-depends on libapt: a later batch than libapt */
        assert_true(l.pkgs[itool].batch > l.pkgs[iapt].batch);
        assert_int_equal(find(&l, "dpkg", NULL)->batch, 0);
        assert_string_equal(find(&l, "tool", NULL)->filename, "pool/tool.deb");
        assert_string_equal(find(&l, "tool", NULL)->sha256,
                            "1111111111111111111111111111111111111111111111111111111111111111");
        vz_pkglist_done(&l);
}

static void test_missing_package(void **state)
{
        struct fixture *fx = *state;
        struct vz_pkglist l = { 0 };
        struct vz_error err = { 0 };
        char *names[] = { "apt", "no-such-pkg", NULL };
        assert_int_equal(vz_resolver_solve(fx->r, names, 0, "debian-12-x86_64", &l, &err), -VZ_E_NOPKG);
        assert_non_null(strstr(err.msg, "package no-such-pkg: not in any repository of debian-12-x86_64"));
}

static void test_conflict_names_both(void **state)
{
        struct fixture *fx = *state;
        struct vz_pkglist l = { 0 };
        struct vz_error err = { 0 };
        char *names[] = { "foo", "bar", NULL };
        assert_int_equal(vz_resolver_solve(fx->r, names, 0, "t", &l, &err), -VZ_E_PROBLEM);
        assert_non_null(strstr(err.msg, "foo"));
        assert_non_null(strstr(err.msg, "bar"));
}

static void test_unresolvable_dependency(void **state)
{
        struct fixture *fx = *state;
        struct vz_pkglist l = { 0 };
        struct vz_error err = { 0 };
        char *names[] = { "broken", NULL };
        assert_int_equal(vz_resolver_solve(fx->r, names, 0, "t", &l, &err), -VZ_E_PROBLEM);
        assert_non_null(strstr(err.msg, "libmissing"));
        assert_non_null(strstr(err.msg, "broken"));
}

static void test_solv_cache_reused(void **state)
{
        struct fixture *fx = *state;
        _cleanup_free_ char *solv = vz_path_join(fx->dir, "solv/k1.solv");
        _cleanup_free_ char *p = vz_path_join(fx->dir, "Packages");
        struct vz_resolver *r2 = NULL;
        struct vz_pkglist l = { 0 };
        struct vz_error err = { 0 };
        char *names[] = { "apt", NULL };
        assert_int_equal(access(solv, F_OK), 0);
        /* The Packages file is gone: the second pool must come from the cache. */
        assert_int_equal(unlink(p), 0);
        write_text(fx->dir, "Packages", "");
        assert_int_equal(vz_resolver_new_deb("amd64", &r2), 0);
        _cleanup_free_ char *cache = vz_path_join(fx->dir, "solv");
        assert_int_equal(vz_resolver_add_deb_repo(r2, 0, "test", p, cache, "k1", 0, &err), 0);
        assert_int_equal(vz_resolver_solve(r2, names, VZ_RESOLVE_BASE, "t", &l, &err), 0);
        assert_non_null(find(&l, "base-files", NULL));  /* base set cached too */
        vz_pkglist_done(&l);
        vz_resolver_free(r2);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_scan_base, setup, teardown),
                cmocka_unit_test_setup_teardown(test_base_set_and_order, setup, teardown),
                cmocka_unit_test_setup_teardown(test_missing_package, setup, teardown),
                cmocka_unit_test_setup_teardown(test_conflict_names_both, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unresolvable_dependency, setup, teardown),
                cmocka_unit_test_setup_teardown(test_solv_cache_reused, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
