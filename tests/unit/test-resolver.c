/* test-resolver.c: the Debian pool on a small Packages file written here:
 * the base set, the bootstrap closure, pre-dependency batches, and problems
 * in plain words. */
#include "unit.h"

#include <fcntl.h>
#include <sys/stat.h>

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
        _cleanup_free_ char *solv = vz_path_join(fx->dir, "solv/k1.2.solv");
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

/* ---- a tenant's dpkg status --------------------------------------------- */

static const char status_ok[] = "Package: libc6\nStatus: install ok installed\nVersion: 2.35-1\nArchitecture: amd64\n";

static void test_installed_update(void **state)
{
        struct fixture *fx = *state;
        struct vz_error err = { 0 };
        struct vz_pkglist in = { 0 }, out = { 0 };
        struct vz_job job = { .update_all = true };
        _cleanup_free_ char *root = vz_path_join(fx->dir, "root");
        write_text(root, "var/lib/dpkg/status", status_ok);
        assert_int_equal(vz_resolver_load_installed(fx->r, root, &err), 0);
        assert_int_equal(vz_resolver_solve_job(fx->r, &job, "ct", &in, &out, &err), 0);
        /* libc6 2.35 read from the status: the job is its upgrade */
        assert_non_null(find(&in, "libc6", NULL));
        assert_string_equal(find(&in, "libc6", NULL)->version, "2.36-9");
        vz_pkglist_done(&in);
        vz_pkglist_done(&out);
}

/* Each bad status is refused with a message naming the root and the file,
 * before libsolv sees a byte of it. */
static void expect_refused(struct fixture *fx, const char *root, const char *why)
{
        struct vz_error err = { 0 };
        assert_int_equal(vz_resolver_load_installed(fx->r, root, &err), -VZ_E_UNSAFE);
        assert_non_null(strstr(err.msg, root));
        assert_non_null(strstr(err.msg, "var/lib/dpkg/status"));
        assert_non_null(strstr(err.msg, why));
}

static void test_installed_status_link(void **state)
{
        struct fixture *fx = *state;
        _cleanup_free_ char *root = vz_path_join(fx->dir, "root");
        _cleanup_free_ char *decoy = vz_path_join(fx->dir, "decoy");
        _cleanup_free_ char *st = vz_path_join(root, "var/lib/dpkg/status");
        write_text(fx->dir, "decoy", status_ok);
        write_text(root, "var/lib/dpkg/.keep", "");
        assert_int_equal(symlink(decoy, st), 0);
        expect_refused(fx, root, "symbolic link");
}

static void test_installed_status_long_line(void **state)
{
        struct fixture *fx = *state;
        _cleanup_free_ char *root = vz_path_join(fx->dir, "root");
        size_t n = 100 * 1024;
        char *text = vz_xmalloc(n + 64);
        int k = snprintf(text, 64, "Package: libc6\nDescription: ");
        memset(text + k, 'x', n);
        text[k + n] = '\n';
        write_text(root, "var/lib/dpkg/status", text);
        free(text);
        expect_refused(fx, root, "line longer");
}

static void test_installed_status_nul_and_fifo(void **state)
{
        struct fixture *fx = *state;
        _cleanup_free_ char *root = vz_path_join(fx->dir, "root");
        _cleanup_free_ char *st = vz_path_join(root, "var/lib/dpkg/status");
        _cleanup_close_ int fd = -1;
        write_text(root, "var/lib/dpkg/status", "");
        fd = open(st, O_WRONLY | O_TRUNC | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "Package: a\0b\n", 14), 14);
        expect_refused(fx, root, "NUL");
        assert_int_equal(unlink(st), 0);
        assert_int_equal(mkfifo(st, 0600), 0);
        expect_refused(fx, root, "not a regular file");
        assert_int_equal(vz_dpkg_status_check("a\nb\n", 4), 0);
}

/* The longest line still accepted goes through libsolv (and ASan) unharmed. */
static void test_installed_status_longest_line(void **state)
{
        struct fixture *fx = *state;
        struct vz_error err = { 0 };
        _cleanup_free_ char *root = vz_path_join(fx->dir, "root");
        size_t n = 32768 - strlen("Description: ");
        _cleanup_free_ char *text = vz_xmalloc(sizeof(status_ok) + n + 64);
        int k = snprintf(text, sizeof(status_ok) + 64, "%sDescription: ", status_ok);
        memset(text + k, 'y', n);
        memcpy(text + k + n, "\n", 2);
        write_text(root, "var/lib/dpkg/status", text);
        assert_int_equal(vz_resolver_load_installed(fx->r, root, &err), 0);
}

/* apt's choices: alternatives in the order written (zlast before aaa),
 * the real package before a provider that Conflicts+Replaces it, and the
 * highest version of a name from any repository even when it Provides real
 * names (perl-base). Each would go the other way by libsolv's name order. */
static const char choices_main[] =
        "Package: app\nVersion: 1\nArchitecture: amd64\nDepends: zlast | aaa, libsd, perlb\nFilename: pool/app.deb\nSize: 1\n" SUM "\n"
        "Package: zlast\nVersion: 1\nArchitecture: all\nFilename: pool/z.deb\nSize: 1\n" SUM "\n"
        "Package: aaa\nVersion: 1\nArchitecture: all\nFilename: pool/a.deb\nSize: 1\n" SUM "\n"
        "Package: libsd\nVersion: 1\nArchitecture: amd64\nFilename: pool/sd.deb\nSize: 1\n" SUM "\n"
        "Package: libalt\nVersion: 1\nArchitecture: amd64\nProvides: libsd (= 1)\nConflicts: libsd\nReplaces: libsd\nFilename: pool/alt.deb\nSize: 1\n" SUM "\n"
        "Package: perlb\nVersion: 5-1\nArchitecture: amd64\nProvides: aaa (= 1)\nFilename: pool/p1.deb\nSize: 1\n" SUM;
static const char choices_security[] =
        "Package: perlb\nVersion: 5-2\nArchitecture: amd64\nProvides: aaa (= 1), libsd\nFilename: pool/p2.deb\nSize: 1\n" SUM;

static void test_apt_choices(void **state)
{
        struct fixture *fx = *state;
        struct vz_resolver *r = NULL;
        struct vz_pkglist l = { 0 };
        struct vz_error err = { 0 };
        char *names[] = { "app", NULL };
        write_text(fx->dir, "Main", choices_main);
        write_text(fx->dir, "Security", choices_security);
        _cleanup_free_ char *m = vz_path_join(fx->dir, "Main");
        _cleanup_free_ char *sec = vz_path_join(fx->dir, "Security");
        assert_int_equal(vz_resolver_new_deb("amd64", &r), 0);
        assert_int_equal(vz_resolver_add_deb_repo(r, 0, "main", m, NULL, NULL, 0, &err), 0);
        assert_int_equal(vz_resolver_add_deb_repo(r, 1, "security", sec, NULL, NULL, 0, &err), 0);
        assert_int_equal(vz_resolver_solve(r, names, 0, "t", &l, &err), 0);
        assert_non_null(find(&l, "zlast", NULL));
        assert_null(find(&l, "aaa", NULL));
        assert_non_null(find(&l, "libsd", NULL));
        assert_null(find(&l, "libalt", NULL));
        assert_non_null(find(&l, "perlb", NULL));
        assert_string_equal(find(&l, "perlb", NULL)->version, "5-2");
        vz_pkglist_done(&l);
        vz_resolver_free(r);
}

/* remove, vztt's way: what depends on the named packages is removed only
 * with -w (with_depends); without, the refusal names a dependent. What
 * only the named needed (cleandeps) is not a dependent. */
static const char status_chain[] =
        "Package: libc6\nStatus: install ok installed\nVersion: 2.36-9\nArchitecture: amd64\n\n"
        "Package: libapt\nStatus: install ok installed\nVersion: 2.6\nArchitecture: amd64\nDepends: libc6\n\n"
        "Package: apt\nStatus: install ok installed\nVersion: 2.6\nArchitecture: amd64\nDepends: libapt\n\n"
        "Package: tool\nStatus: install ok installed\nVersion: 1\nArchitecture: all\nPre-Depends: libapt\n";

static void test_remove_with_depends(void **state)
{
        struct fixture *fx = *state;
        struct vz_error err = { 0 };
        struct vz_pkglist in = { 0 }, out = { 0 };
        char *lib[] = { "libapt", NULL }, *app[] = { "apt", NULL };
        _cleanup_free_ char *root = vz_path_join(fx->dir, "root");
        write_text(root, "var/lib/dpkg/status", status_chain);
        assert_int_equal(vz_resolver_load_installed(fx->r, root, &err), 0);

        struct vz_job plain = { .erase = lib };
        assert_int_equal(vz_resolver_solve_job(fx->r, &plain, "ct", &in, &out, &err), -VZ_E_PROBLEM);
        assert_non_null(strstr(err.msg, "libapt"));
        assert_true(strstr(err.msg, "apt and 1 more") || strstr(err.msg, "tool and 1 more"));
        assert_non_null(strstr(err.msg, "-w"));

        struct vz_job with = { .erase = lib, .with_depends = true };
        memset(&err, 0, sizeof(err));
        assert_int_equal(vz_resolver_solve_job(fx->r, &with, "ct", &in, &out, &err), 0);
        assert_int_equal(out.n, 3);
        assert_non_null(find(&out, "apt", NULL));
        assert_non_null(find(&out, "tool", NULL));
        assert_null(find(&out, "libc6", NULL));
        vz_pkglist_done(&in);
        vz_pkglist_done(&out);

        struct vz_job clean = { .erase = app, .cleandeps = true };
        assert_int_equal(vz_resolver_solve_job(fx->r, &clean, "ct", &in, &out, &err), 0);
        assert_non_null(find(&out, "apt", NULL));
        assert_null(find(&out, "tool", NULL));
        vz_pkglist_done(&in);
        vz_pkglist_done(&out);
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
                cmocka_unit_test_setup_teardown(test_apt_choices, setup, teardown),
                cmocka_unit_test_setup_teardown(test_installed_update, setup, teardown),
                cmocka_unit_test_setup_teardown(test_remove_with_depends, setup, teardown),
                cmocka_unit_test_setup_teardown(test_installed_status_link, setup, teardown),
                cmocka_unit_test_setup_teardown(test_installed_status_long_line, setup, teardown),
                cmocka_unit_test_setup_teardown(test_installed_status_nul_and_fifo, setup, teardown),
                cmocka_unit_test_setup_teardown(test_installed_status_longest_line, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
