/* test-appcache.c: appcache names as vztt derives them, its list files,
 * the sample config, the options and exit codes of the appcache commands. */
#include "unit.h"

#include "context.h"
#include "pipeline.h"
#include "commands.h"

#include <getopt.h>

/* vztt: MD5 of "     APP\n" per app, strcmp-sorted (values from md5sum) */
static void test_name(void **state)
{
        (void)state;
        char *one[] = { "nginx", NULL }, *two[] = { "nginx", "mysql", NULL }, *dots[] = { ".mysql", "nginx", "mysql", NULL };
        char *mixed[] = { "a", "B", NULL };
        _cleanup_free_ char *n1 = vz_appcache_name("debian-12-x86_64", one);
        _cleanup_free_ char *n2 = vz_appcache_name(".debian-12-x86_64", two);
        _cleanup_free_ char *n3 = vz_appcache_name("debian-12-x86_64", dots);
        _cleanup_free_ char *n4 = vz_appcache_name("os", mixed);
        _cleanup_free_ char *text = vz_appcache_list_text(dots);
        assert_string_equal(n1, "debian-12-x86_64_app_5628a1017537a02d7f96fce152b47d66");
        assert_string_equal(n2, "debian-12-x86_64_app_ec32489f799822d7d377332ad063dcfa");
        assert_string_equal(n3, n2);  /* order, dots and repeats do not change it */
        assert_string_equal(n4, "os_app_4985ec45e17db0027b3b0da9759e6b59");  /* byte order: "B" < "a" */
        assert_string_equal(text, "     mysql\n     nginx\n");
}

static void test_list_os(void **state)
{
        (void)state;
        _cleanup_free_ char *os = vz_appcache_list_os("debian-12-x86_64_app_5628a1017537a02d7f96fce152b47d66.list");
        assert_non_null(os);
        assert_string_equal(os, "debian-12-x86_64");
        assert_null(vz_appcache_list_os("debian-12-x86_64_app_5628a1017537a02d7f96fce152b47d66.tar.zst"));
        assert_null(vz_appcache_list_os("debian-12-x86_64_app_5628a1017537a02d7f96fce152b47d6.list"));   /* 31 */
        assert_null(vz_appcache_list_os("debian-12-x86_64_app_5628A1017537A02D7F96FCE152B47D66.list"));  /* upper */
        assert_null(vz_appcache_list_os("debian-12-x86_64_app_5628a1017537a02d7f96fce152b47dzz.list"));
        assert_null(vz_appcache_list_os("_app_5628a1017537a02d7f96fce152b47d66.list"));
        assert_null(vz_appcache_list_os("debian-12-x86_64.json"));
}

static void test_list_parse(void **state)
{
        (void)state;
        _cleanup_strv_ char **a = vz_appcache_list_parse("     mysql\n\n     .nginx\r\n  bad/name\n  two words\n..\n");
        assert_int_equal(vz_strv_len(a), 2);
        assert_string_equal(a[0], "mysql");
        assert_string_equal(a[1], "nginx");
        _cleanup_strv_ char **e = vz_appcache_list_parse("");
        assert_null(e[0]);
}

static void test_sample(void **state)
{
        (void)state;
        _cleanup_free_ char *dir = scratch_dir();
        struct vz_ctx ctx = { 0 };
        struct vz_error err = { 0 };
        _cleanup_free_ char *os = NULL, *os2 = NULL, *path = vz_path_join(dir, "my.conf");
        _cleanup_strv_ char **apps = NULL, **apps2 = NULL;
        char *os3 = NULL, **apps3 = NULL;
        ctx.cfg.conf_dir = dir;
        write_text(dir, "ve-web.conf-sample", "# sample\nOSTEMPLATE=\".debian-12-x86_64\"\nTEMPLATES=\".nginx .mysql\"\n");
        write_text(dir, "my.conf", "OSTEMPLATE=centos-7\n");
        assert_int_equal(vz_appcache_sample(&ctx, "web", &os, &apps, &err), 0);
        assert_string_equal(os, "debian-12-x86_64");
        assert_int_equal(vz_strv_len(apps), 2);
        assert_string_equal(apps[0], "nginx");
        assert_string_equal(apps[1], "mysql");
        assert_int_equal(vz_appcache_sample(&ctx, path, &os2, &apps2, &err), 0);
        assert_string_equal(os2, "centos-7");
        assert_null(apps2[0]);
        /* vztt's default sample, absent here: exit 30 (VZT_TCACHE_CONF_NFOUND) */
        int r = vz_appcache_sample(&ctx, NULL, &os3, &apps3, &err);
        assert_int_equal(r, -VZ_E_NOSAMPLE);
        assert_int_equal(vz_exit_code(r), 30);
        assert_non_null(strstr(err.msg, "vps.vzpkgtools.conf-sample"));
        assert_null(os3);
        vz_rm_rf(dir);
}

static void test_exit_codes(void **state)
{
        (void)state;
        assert_int_equal(vz_exit_code(-VZ_E_NOAPP), 28);     /* VZT_TMPL_NOT_EXIST */
        assert_int_equal(vz_exit_code(-VZ_E_NOSAMPLE), 30);  /* VZT_TCACHE_CONF_NFOUND */
        assert_string_equal(vz_strerror(-VZ_E_NOAPP), "application template not found");
}

static int parse(struct vz_ctx *ctx, unsigned accept, struct vz_opts *o, const char *const *args, int *ret_optind)
{
        char *argv[16];
        int argc = 0, r;
        for (; args[argc]; argc++)
                argv[argc] = (char *)args[argc];
        argv[argc] = NULL;
        optind = 0;
        r = vz_cmd_options(ctx, argc, argv, accept, o, "usage\n");
        *ret_optind = optind;
        return r;
}

static void test_options(void **state)
{
        (void)state;
        struct vz_ctx ctx = { 0 };
        struct vz_opts o;
        int ind = 0;
        const char *const a[] = { "create appcache", "--config", "web",  "--ostemplate", ".debian-12-x86_64",
                                  "--apptemplate",   "nginx,mysql", "-f", "--update-cache", NULL };
        assert_int_equal(parse(&ctx, VZ_OPT_APPCACHE | VZ_OPT_FORCE, &o, a, &ind), -1);
        assert_string_equal(o.sample, "web");
        assert_string_equal(o.app_os, "debian-12-x86_64");
        assert_string_equal(o.app_list, "nginx,mysql");
        assert_true(o.force && o.update_cache);
        /* not an appcache command: refused by name, exit 35 */
        assert_int_equal(parse(&ctx, VZ_OPT_FORCE, &o, a, &ind), VZ_EXIT_USAGE);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_name),   cmocka_unit_test(test_list_os),    cmocka_unit_test(test_list_parse),
                cmocka_unit_test(test_sample), cmocka_unit_test(test_exit_codes), cmocka_unit_test(test_options),
        };
        setenv("VZPKG_VZ_CONF", "", 1);
        setenv("VZPKG_VZTT_CONF", "", 1);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
