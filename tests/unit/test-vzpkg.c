/* test-vzpkg.c: the program's own logic: host apt sources, configuration
 * precedence, exit codes. */
#include "unit.h"

#include "vzpkg.h"

static void test_apt_sources_deb822(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_free_ char *m = NULL, *s = NULL;
        write_text(d, "sources.list.d/other.sources",
                   "Types: deb\nURIs: http://vendor.example/apt\nSuites: nodistro\nComponents: main\nEnabled: no\n");
        write_text(d, "sources.list.d/debian.sources",
                   "Types: deb\n# comment\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\n"
                   "Components: main\n\nTypes: deb\nURIs: http://mirror.example/debian-security\n"
                   "Suites: bookworm-security\nComponents: main\n");
        assert_int_equal(vz_apt_host_mirrors(d, &m, &s), 0);
        assert_string_equal(m, "http://mirror.example/debian");
        assert_string_equal(s, "http://mirror.example/debian-security");
        vz_rm_rf(d);
}

static void test_apt_sources_list(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_free_ char *m = NULL, *s = NULL;
        write_text(d, "sources.list", "# x\ndeb-src http://src.example/debian bookworm main\n"
                                      "deb [arch=amd64 signed-by=/k.gpg] http://m.example/debian/ bookworm main\n");
        assert_int_equal(vz_apt_host_mirrors(d, &m, &s), 0);
        assert_string_equal(m, "http://m.example/debian/");
        assert_string_equal(s, "http://m.example/debian-security");  /* derived */
        vz_rm_rf(d);
}

static void test_apt_sources_none(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        char *m = NULL, *s = NULL;
        assert_int_equal(vz_apt_host_mirrors(d, &m, &s), -ENOENT);
        vz_rm_rf(d);
}

static void test_config_precedence(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_free_ char *conf = vz_path_join(d, "vzpkg.conf");
        struct vz_config cfg;
        struct vz_error err = { 0 };
        write_text(d, "apt/sources.list", "deb http://host.example/debian bookworm main\n");
        write_text(d, "vzpkg.conf", "TEMPLATE=/srv/tmpl\nARCHIVE=xz\nPARALLEL_DOWNLOADS=3\nMEMORY_LIMIT=1G\n"
                                    "$DEBIAN_MIRROR http://conf.example/debian\n");
        _cleanup_free_ char *apt = vz_path_join(d, "apt");
        setenv("VZPKG_APT_ETC", apt, 1);
        setenv("VZPKG_DEBIAN_SECURITY_MIRROR", "http://env.example/sec", 1);
        assert_int_equal(vz_config_load(conf, &cfg, &err), 0);
        assert_string_equal(cfg.cache_dir, "/srv/tmpl/cache");
        assert_int_equal(cfg.archive, VZ_ARCHIVE_XZ);
        assert_int_equal(cfg.parallel, 3);
        assert_int_equal(cfg.memory_limit, 1LL << 30);
        struct vz_vars v = vz_config_vars(&cfg);
        _cleanup_free_ char *x = NULL, *y = NULL;
        assert_int_equal(vz_vars_expand(&v, "$DEBIAN_MIRROR", "t", &x, NULL), 0);
        assert_string_equal(x, "http://conf.example/debian");       /* config beats host */
        assert_int_equal(vz_vars_expand(&v, "$DEBIAN_SECURITY_MIRROR", "t", &y, NULL), 0);
        assert_string_equal(y, "http://env.example/sec");            /* environment beats all */
        vz_config_done(&cfg);
        unsetenv("VZPKG_APT_ETC");
        unsetenv("VZPKG_DEBIAN_SECURITY_MIRROR");
        vz_rm_rf(d);
}

static void test_config_errors(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_free_ char *conf = vz_path_join(d, "vzpkg.conf");
        struct vz_config cfg;
        struct vz_error err = { 0 };
        write_text(d, "vzpkg.conf", "ARCHIVE=rar\n");
        assert_int_equal(vz_config_load(conf, &cfg, &err), -VZ_E_CONFIG);
        assert_non_null(strstr(err.msg, "ARCHIVE=rar"));
        vz_config_done(&cfg);
        struct vz_error err2 = { 0 };
        _cleanup_free_ char *missing = vz_path_join(d, "nope.conf");
        assert_int_equal(vz_config_load(missing, &cfg, &err2), -VZ_E_CONFIG);
        assert_non_null(strstr(err2.msg, "nope.conf"));
        vz_config_done(&cfg);
        vz_rm_rf(d);
}

static void test_exit_codes(void **state)
{
        assert_int_equal(vz_exit_code(0), 0);
        assert_int_equal(vz_exit_code(-VZ_E_NOTEMPLATE), 3);
        assert_int_equal(vz_exit_code(-VZ_E_NOPKG), 4);
        assert_int_equal(vz_exit_code(-VZ_E_DOWNLOAD), 5);
        assert_int_equal(vz_exit_code(-VZ_E_SIGNATURE), 6);
        assert_int_equal(vz_exit_code(-VZ_E_CHECKSUM), 6);
        assert_int_equal(vz_exit_code(-VZ_E_HOOK), 7);
        assert_int_equal(vz_exit_code(-VZ_E_ARCHIVE), 8);
        assert_int_equal(vz_exit_code(-VZ_E_LOCKED), 9);
        assert_int_equal(vz_exit_code(-VZ_E_INTERRUPTED), 130);
        assert_int_equal(vz_exit_code(-EIO), 1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_apt_sources_deb822), cmocka_unit_test(test_apt_sources_list),
                cmocka_unit_test(test_apt_sources_none),   cmocka_unit_test(test_config_precedence),
                cmocka_unit_test(test_config_errors),      cmocka_unit_test(test_exit_codes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
