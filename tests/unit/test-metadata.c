/* test-metadata.c: template discovery, inheritance, $TOKEN expansion, and
 * the shipped Debian templates. */
#include "unit.h"

#include "metadata.h"

#include <sys/stat.h>

static const struct vz_kv vars_kv[] = { { "$MIRROR", "http://m.example/debian" },
                                        { "$MIRROR_SEC", "http://s.example/sec" } };
static const struct vz_vars vars = { vars_kv, 2 };

static char *make_area(void)
{
        char *d = scratch_dir();
        write_text(d, "myos/1/x86_64/config/os/default/packages", "base\n");
        write_text(d, "myos/1/x86_64/config/os/default/package_manager", "dpkgx64\n");
        write_text(d, "myos/1/x86_64/config/os/default/distribution", "debian\n");
        write_text(d, "myos/1/x86_64/config/os/default/environment", "A=1\n");
        write_text(d, "myos/1/x86_64/config/os/default/repositories",
                   "$MIRROR stable main contrib\n[priority=5] $MIRROR_SEC stable-security main\n");
        write_text(d, "myos/1/x86_64/config/os/default/gpgkeys/k.asc", "key\n");
        write_text(d, "myos/1/x86_64/config/os/slim/packages", "tiny\n");
        write_text(d, "myos/1/x86_64/config/os/slim/repositories", "http://extra/ x main\n");
        write_text(d, "myos/1/x86_64/config/os/slim/environment", "");
        write_text(d, "my-os/2/aarch64/config/os/default/packages", "p\n");
        write_text(d, "my-os/2/aarch64/config/os/default/package_manager", "rpm49x64\n");
        write_text(d, "notanos/1/x86_64/config/os/default/packages", "p\n");  /* no package_manager */
        return d;
}

static void test_list(void **state)
{
        _cleanup_free_ char *d = make_area();
        _cleanup_strv_ char **names = NULL;
        assert_int_equal(vz_template_list(d, &names, NULL), 0);
        assert_int_equal(vz_strv_len(names), 3);
        assert_string_equal(names[0], "my-os-2-aarch64");
        assert_string_equal(names[1], "myos-1-x86_64");
        assert_string_equal(names[2], "myos-1-x86_64-slim");
        vz_rm_rf(d);
}

static void test_load_default(void **state)
{
        _cleanup_free_ char *d = make_area();
        _cleanup_template_ struct vz_template *t = NULL;
        struct vz_error err = { 0 };
        size_t n;
        assert_int_equal(vz_template_load(d, ".myos-1-x86_64", &vars, &t, &err), 0);
        assert_int_equal(vz_template_family(t), VZ_FAMILY_DEB);
        assert_string_equal(vz_template_field(t, "distribution"), "debian");
        const struct vz_repo_spec *r = vz_template_repos(t, &n);
        assert_int_equal(n, 2);
        assert_string_equal(r[0].urls[0], "http://m.example/debian");
        assert_string_equal(r[0].suite, "stable");
        assert_int_equal(vz_strv_len(r[0].components), 2);
        /* the longer token is not eaten by the shorter one */
        assert_string_equal(r[1].urls[0], "http://s.example/sec");
        assert_int_equal(r[1].priority, 5);
        assert_int_equal(vz_strv_len(vz_template_gpgkeys(t)), 1);
        vz_rm_rf(d);
}

static void test_set_inherits(void **state)
{
        _cleanup_free_ char *d = make_area();
        _cleanup_template_ struct vz_template *t = NULL;
        struct vz_error err = { 0 };
        size_t n;
        assert_int_equal(vz_template_load(d, "myos-1-x86_64-slim", &vars, &t, &err), 0);
        assert_string_equal(vz_template_package_manager(t), "dpkgx64");
        assert_string_equal(vz_template_field(t, "distribution"), "debian");
        assert_string_equal(vz_template_packages(t)[0], "tiny");
        /* the set's repositories first, the base's appended */
        const struct vz_repo_spec *r = vz_template_repos(t, &n);
        assert_int_equal(n, 3);
        assert_string_equal(r[0].urls[0], "http://extra/");
        /* empty environment: the base's applies */
        assert_string_equal(vz_template_environment(t)[0], "A=1");
        assert_int_equal(vz_strv_len(vz_template_gpgkeys(t)), 1);
        vz_rm_rf(d);
}

static void hook(const char *d, const char *rel)
{
        _cleanup_free_ char *p = vz_path_join(d, rel);
        write_text(d, rel, "#!/bin/bash\n");
        assert_int_equal(chmod(p, 0755), 0);
}

/* vztt's rules for a set (config/os/<set>) against os/default: packages is
 * the set's own; packages_0/packages_1 the set's when it lists any, else
 * the base's, whole; a hook the set's when executable there, else the
 * base's; stage names are installed too, each once, stage 0 first. */
static void test_set_file_rules(void **state)
{
        _cleanup_free_ char *d = make_area();
        _cleanup_template_ struct vz_template *slim = NULL, *init = NULL, *base = NULL;
        struct vz_error err = { 0 };
        write_text(d, "myos/1/x86_64/config/os/default/packages_0", "systemd systemd-sysv\nudev\n");
        write_text(d, "myos/1/x86_64/config/os/default/packages_1", "ifupdown\n");
        write_text(d, "myos/1/x86_64/config/os/init/packages", "tiny\nudev\n");
        write_text(d, "myos/1/x86_64/config/os/init/packages_0", "# own stage\nsysvinit-core\n");
        write_text(d, "myos/1/x86_64/config/os/init/packages_1", "");
        hook(d, "myos/1/x86_64/config/os/default/mid-pre-install");
        hook(d, "myos/1/x86_64/config/os/default/post-install");
        hook(d, "myos/1/x86_64/config/os/init/post-install");
        write_text(d, "myos/1/x86_64/config/os/init/mid-post-install", "#!/bin/bash\n");  /* not executable */

        assert_int_equal(vz_template_load(d, "myos-1-x86_64-slim", &vars, &slim, &err), 0);
        char *const *s0 = vz_template_packages_stage(slim, 0);
        assert_int_equal(vz_strv_len((char **)s0), 2);
        assert_string_equal(s0[0], "systemd systemd-sysv");  /* a line is a group */
        assert_string_equal(vz_template_packages_stage(slim, 1)[0], "ifupdown");
        char *const *all = vz_template_all_packages(slim);
        assert_int_equal(vz_strv_len((char **)all), 5);
        assert_string_equal(all[0], "systemd");
        assert_string_equal(all[1], "systemd-sysv");
        assert_string_equal(all[2], "udev");
        assert_string_equal(all[3], "ifupdown");
        assert_string_equal(all[4], "tiny");
        assert_int_equal(vz_strv_len((char **)vz_template_packages(slim)), 1);  /* not the base's "base" */

        assert_int_equal(vz_template_load(d, "myos-1-x86_64-init", &vars, &init, &err), 0);
        assert_int_equal(vz_strv_len((char **)vz_template_packages_stage(init, 0)), 1);
        assert_string_equal(vz_template_packages_stage(init, 0)[0], "sysvinit-core");
        assert_string_equal(vz_template_packages_stage(init, 1)[0], "ifupdown");  /* empty: the base's */
        all = vz_template_all_packages(init);
        assert_int_equal(vz_strv_len((char **)all), 4);  /* udev once */
        assert_string_equal(all[3], "udev");
        assert_non_null(strstr(vz_template_hook(init, "post-install"), "/os/init/"));
        assert_non_null(strstr(vz_template_hook(init, "mid-pre-install"), "/os/default/"));
        assert_null(vz_template_hook(init, "mid-post-install"));  /* neither executable nor in the base */

        assert_int_equal(vz_template_load(d, "myos-1-x86_64", &vars, &base, &err), 0);
        assert_string_equal(vz_template_all_packages(base)[4], "base");
        vz_rm_rf(d);
}

static void test_not_found(void **state)
{
        _cleanup_free_ char *d = make_area();
        struct vz_template *t = NULL;
        struct vz_error err = { 0 };
        assert_int_equal(vz_template_load(d, "nosuch-9-x86_64", &vars, &t, &err), -VZ_E_NOTEMPLATE);
        assert_non_null(strstr(err.msg, "nosuch-9-x86_64"));
        assert_int_equal(vz_template_load(d, "notanos-1-x86_64", &vars, &t, &err), -VZ_E_NOTEMPLATE);
        vz_rm_rf(d);
}

static void test_unknown_variable(void **state)
{
        _cleanup_free_ char *d = make_area();
        struct vz_template *t = NULL;
        struct vz_error err = { 0 };
        write_text(d, "myos/1/x86_64/config/os/default/repositories", "$NOWHERE stable main\n");
        assert_int_equal(vz_template_load(d, "myos-1-x86_64", &vars, &t, &err), -VZ_E_UNCONFIGURED);
        assert_non_null(strstr(err.msg, "$NOWHERE"));
        assert_non_null(strstr(err.msg, "repositories"));
        vz_rm_rf(d);
}

static void test_package_manager_vars_pass(void **state)
{
        struct vz_error err = { 0 };
        _cleanup_free_ char *out = NULL;
        assert_int_equal(vz_vars_expand(&vars, "$MIRROR/$releasever/$basearch/", "f", &out, &err), 0);
        assert_string_equal(out, "http://m.example/debian/$releasever/$basearch/");
}

static void test_later_definition_wins(void **state)
{
        const struct vz_kv kv[] = { { "$M", "old" }, { "$M", "new" } };
        const struct vz_vars v = { kv, 2 };
        _cleanup_free_ char *out = NULL;
        assert_int_equal(vz_vars_expand(&v, "$M/x", "f", &out, NULL), 0);
        assert_string_equal(out, "new/x");
}

static void test_shipped_debian(void **state)
{
        const char *src = getenv("VZPKG_SRC");
        _cleanup_free_ char *area = NULL;
        _cleanup_template_ struct vz_template *t = NULL, *m = NULL;
        const struct vz_kv kv[] = { { "$DEBIAN_MIRROR", "http://mirror/debian" },
                                    { "$DEBIAN_SECURITY_MIRROR", "http://mirror/debian-security" } };
        const struct vz_vars v = { kv, 2 };
        struct vz_error err = { 0 };
        size_t n;
        if (!src)
                skip();
        area = vz_path_join(src, "templates");
        assert_int_equal(vz_template_load(area, "debian-12-x86_64", &v, &t, &err), 0);
        assert_true(vz_strv_contains(vz_template_packages(t), "openssh-server"));
        assert_non_null(vz_template_hook(t, "post-install"));
        assert_int_equal(vz_template_load(area, "debian-12-x86_64-minimal", &v, &m, &err), 0);
        assert_string_equal(vz_template_packages(m)[0], "apt");
        const struct vz_repo_spec *r = vz_template_repos(m, &n);
        assert_int_equal(n, 3);
        assert_string_equal(r[2].urls[0], "http://mirror/debian-security");
        assert_string_equal(r[2].suite, "bookworm-security");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_list),           cmocka_unit_test(test_load_default),
                cmocka_unit_test(test_set_inherits),   cmocka_unit_test(test_not_found),
                cmocka_unit_test(test_unknown_variable), cmocka_unit_test(test_package_manager_vars_pass),
                cmocka_unit_test(test_later_definition_wins), cmocka_unit_test(test_shipped_debian),
                cmocka_unit_test(test_set_file_rules),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
