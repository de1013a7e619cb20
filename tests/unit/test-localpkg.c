/* test-localpkg.c: the checks on files from the host: template package
 * paths and links (tmplpkg.c), package files copied into the package
 * cache (cache/import.c). */
#include "unit.h"

#include "imports.h"

#include <sys/stat.h>

#define T "./vz/template/debian/12/x86_64/config/"

static int classify(const char *entry, char **rel)
{
        free(*rel);
        *rel = NULL;
        return vz_tmplpkg_classify(entry, rel);
}

static void test_classify(void **state)
{
        char *rel = NULL;
        assert_int_equal(classify(T "os/default/packages", &rel), VZ_TP_INSIDE);
        assert_string_equal(rel, "debian/12/x86_64/config/os/default/packages");
        assert_int_equal(classify("/vz/template/debian/12/x86_64/config/os/minimal/", &rel), VZ_TP_UNIT);
        assert_string_equal(rel, "debian/12/x86_64/config/os/minimal");
        assert_int_equal(classify(T "app/nginx/default", &rel), VZ_TP_UNIT);
        assert_int_equal(classify(T "app/nginx/default/hooks/x", &rel), VZ_TP_INSIDE);
        assert_int_equal(classify(T "app/nginx", &rel), VZ_TP_PARENT);
        assert_int_equal(classify(T "os", &rel), VZ_TP_PARENT);
        assert_int_equal(classify("./vz/template/debian", &rel), VZ_TP_PARENT);
        assert_int_equal(classify("./vz/template", &rel), VZ_TP_PARENT);
        assert_null(rel);
        assert_int_equal(classify("./vz", &rel), VZ_TP_PARENT);
        /* out of the template area, or not vztt's layout */
        assert_int_equal(classify("./etc/passwd", &rel), -EXDEV);
        assert_int_equal(classify("./vz/templates/x", &rel), -EXDEV);
        assert_int_equal(classify("./vz/template/../../etc/passwd", &rel), -EINVAL);
        assert_int_equal(classify(T "os/default/../../../../../../../etc/x", &rel), -EINVAL);
        assert_int_equal(classify(T "os/./default/packages", &rel), -EINVAL);
        assert_int_equal(classify(T "os//default/packages", &rel), -EINVAL);
        assert_int_equal(classify(T "os/default/pack\nages", &rel), -EINVAL);
        assert_int_equal(classify("./vz/template/debian/12/x86_64/etc/os/default/packages", &rel), -EINVAL);
        assert_int_equal(classify(T "osx/default/packages", &rel), -EINVAL);
        assert_int_equal(classify(T "bin/default/packages", &rel), -EINVAL);
        free(rel);
}

static void test_unit_len(void **state)
{
        const char *os = "debian/12/x86_64/config/os/default/hooks/x";
        const char *app = "debian/12/x86_64/config/app/nginx/default/packages";
        assert_int_equal(vz_tmplpkg_unit_len(os), strlen("debian/12/x86_64/config/os/default"));
        assert_int_equal(vz_tmplpkg_unit_len(app), strlen("debian/12/x86_64/config/app/nginx/default"));
        assert_int_equal(vz_tmplpkg_unit_len("debian/12/x86_64/config/os/default"),
                         strlen("debian/12/x86_64/config/os/default"));
}

static void test_link_ok(void **state)
{
        const char *top = "debian/12/x86_64/config/os/default/summary";
        const char *sub = "debian/12/x86_64/config/os/default/hooks/pre-install";
        assert_true(vz_tmplpkg_link_ok(top, "description"));
        assert_true(vz_tmplpkg_link_ok(top, "./hooks/x"));
        assert_true(vz_tmplpkg_link_ok(sub, "../post-install"));
        assert_true(vz_tmplpkg_link_ok(sub, "a/../../description"));
        assert_false(vz_tmplpkg_link_ok(top, "../minimal/packages"));  /* another template */
        assert_false(vz_tmplpkg_link_ok(sub, "../../minimal/packages"));
        assert_false(vz_tmplpkg_link_ok(top, "/etc/shadow"));
        assert_false(vz_tmplpkg_link_ok(top, "x/../../y"));
        assert_false(vz_tmplpkg_link_ok(top, ""));
        assert_false(vz_tmplpkg_link_ok(top, "../../../../../../../../etc/shadow"));
}

static void test_import(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_free_ char *cache = vz_path_join(d, "cache"), *src = vz_path_join(d, "a.deb");
        _cleanup_free_ char *link = vz_path_join(d, "link.deb"), *fifo = vz_path_join(d, "fifo.deb");
        _cleanup_free_ char *path = NULL, *dir = NULL;
        struct vz_pkgcache *pc = NULL;
        struct vz_error err = { 0 };
        char hex[65];
        write_text(d, "a.deb", "abc");
        assert_int_equal(vz_pkgcache_open(cache, &pc, &err), 0);
        assert_int_equal(vz_pkgcache_import(pc, src, ".deb", 3, hex, &path, &err), 0);
        assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_true(vz_pkgcache_valid(pc, path, hex));
        /* one byte over the limit: refused unread, naming the file */
        assert_int_equal(vz_pkgcache_import(pc, src, ".deb", 2, hex, &dir, &err), -VZ_E_UNSAFE);
        assert_non_null(strstr(err.msg, src));
        assert_int_equal(symlink(src, link), 0);
        assert_int_equal(vz_pkgcache_import(pc, link, ".deb", 100, hex, &dir, &err), -VZ_E_UNSAFE);
        assert_int_equal(mkfifo(fifo, 0600), 0);
        assert_int_equal(vz_pkgcache_import(pc, fifo, ".deb", 100, hex, &dir, &err), -VZ_E_UNSAFE);
        assert_null(dir);
        /* not a Debian package */
        assert_int_equal(vz_deb_check(path, "a.deb", &err), -VZ_E_CHECKSUM);
        assert_non_null(strstr(err.msg, "a.deb"));
        vz_pkgcache_free(pc);
        vz_rm_rf(d);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_classify),
                cmocka_unit_test(test_unit_len),
                cmocka_unit_test(test_link_ok),
                cmocka_unit_test(test_import),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
