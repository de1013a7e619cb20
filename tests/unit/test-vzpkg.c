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

/* Numbers of the configuration: overflow and range are errors naming the
 * file, the key and the value. */
static void test_config_ranges(void **state)
{
        static const char *const bad[] = {
                "MEMORY_LIMIT=99999999999G", "MEMORY_LIMIT=4K",         "PIDS_LIMIT=99999999999999999999",
                "PIDS_LIMIT=-1",             "PARALLEL_DOWNLOADS=0",    "PARALLEL_DOWNLOADS=256",
                "PARALLEL_CONTAINERS=1000",  "METADATA_EXPIRE=9999999999999999d", "METADATA_EXPIRE=6x",
                "PKG_CACHE_MAX=9999999T",
        };
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_free_ char *conf = vz_path_join(d, "vzpkg.conf");
        struct vz_config cfg;
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                struct vz_error err = { 0 };
                _cleanup_free_ char *text = vz_asprintf("%s\n", bad[i]);
                write_text(d, "vzpkg.conf", text);
                assert_int_equal(vz_config_load(conf, &cfg, &err), -VZ_E_CONFIG);
                assert_non_null(strstr(err.msg, bad[i]));
                assert_non_null(strstr(err.msg, conf));
                vz_config_done(&cfg);
        }
        struct vz_error err = { 0 };
        write_text(d, "vzpkg.conf", "MEMORY_LIMIT=0\nPIDS_LIMIT=4194304\nPARALLEL_CONTAINERS=255\n"
                                    "METADATA_EXPIRE=2d\nPKG_CACHE_MAX=3T\n");
        assert_int_equal(vz_config_load(conf, &cfg, &err), 0);
        assert_true(cfg.memory_limit == 0);
        assert_int_equal(cfg.pids_limit, 4194304);
        assert_int_equal(cfg.parallel_cts, 255);
        assert_true(cfg.metadata_expire == 2 * 86400);
        assert_true(cfg.pkg_cache_max == 3LL << 40);
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

static void test_shipped_almalinux(void **state)
{
        const char *src = getenv("VZPKG_SRC");
        _cleanup_free_ char *area = NULL;
        _cleanup_template_ struct vz_template *t = NULL;
        const struct vz_kv kv[] = { { "$ALMALINUX_MIRROR", "http://mirror.example/almalinux" } };
        const struct vz_vars v = { kv, 1 };
        struct vz_error err = { 0 };
        size_t n;
        if (!src)
                skip();
        area = vz_path_join(src, "templates");
        assert_int_equal(vz_template_load(area, "almalinux-9-x86_64", &v, &t, &err), 0);
        assert_int_equal(vz_template_family(t), VZ_FAMILY_RPM);
        assert_non_null(vz_backend_for(t));
        const struct vz_repo_spec *r = vz_template_repos(t, &n);
        assert_int_equal(n, 2);
        _cleanup_free_ char *base = vz_rpm_expand_url(t, r[0].urls[0]);
        _cleanup_free_ char *app = vz_rpm_expand_url(t, r[1].urls[0]);
        assert_string_equal(base, "http://mirror.example/almalinux/9/BaseOS/x86_64/os/");
        assert_string_equal(app, "http://mirror.example/almalinux/9/AppStream/x86_64/os/");
        assert_true(vz_strv_contains(vz_template_packages(t), "dnf"));
        /* without the mirror variable: a clear error naming it */
        struct vz_template *none = NULL;
        struct vz_error err2 = { 0 };
        assert_int_equal(vz_template_load(area, "almalinux-9-x86_64", NULL, &none, &err2), -VZ_E_METADATA);
        assert_non_null(strstr(err2.msg, "$ALMALINUX_MIRROR"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_apt_sources_deb822), cmocka_unit_test(test_apt_sources_list),
                cmocka_unit_test(test_apt_sources_none),   cmocka_unit_test(test_config_precedence),
                cmocka_unit_test(test_config_errors), cmocka_unit_test(test_config_ranges),      cmocka_unit_test(test_exit_codes),
                cmocka_unit_test(test_shipped_almalinux),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
