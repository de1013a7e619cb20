/* test-common.c: config parsing, string vectors, files, errors, locks. */
#include "unit.h"

#include <sys/file.h>

static void test_kv_parse(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        struct vz_kv *kv = NULL;
        size_t n = 0;
        struct vz_error err = { 0 };
        write_text(d, "c.conf", "# comment\nTEMPLATE=/srv/t\nARCHIVE=\"gz\"\n$MIRROR http://h/x\n\nTEMPLATE=/srv/u\n");
        _cleanup_free_ char *p = vz_path_join(d, "c.conf");
        assert_int_equal(vz_kv_parse_file(p, &kv, &n, &err), 0);
        assert_int_equal(n, 4);
        assert_string_equal(vz_kv_get(kv, n, "TEMPLATE"), "/srv/u");  /* last wins */
        assert_string_equal(vz_kv_get(kv, n, "ARCHIVE"), "gz");       /* quotes stripped */
        assert_string_equal(vz_kv_get(kv, n, "$MIRROR"), "http://h/x");
        assert_null(vz_kv_get(kv, n, "NOPE"));
        vz_kv_free(kv, n);
        vz_rm_rf(d);
}

static void test_kv_bad_line(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        struct vz_kv *kv = NULL;
        size_t n = 0;
        struct vz_error err = { 0 };
        write_text(d, "c.conf", "GOOD=1\nthis is not valid\n");
        _cleanup_free_ char *p = vz_path_join(d, "c.conf");
        assert_int_equal(vz_kv_parse_file(p, &kv, &n, &err), -VZ_E_CONFIG);
        assert_non_null(strstr(err.msg, "line 2"));
        assert_non_null(strstr(err.msg, p));
        vz_rm_rf(d);
}

static void test_strv(void **state)
{
        _cleanup_strv_ char **v = vz_strv_split("  b a\tc  ", " \t");
        assert_int_equal(vz_strv_len(v), 3);
        vz_strv_sort(v);
        assert_string_equal(v[0], "a");
        assert_string_equal(v[2], "c");
        assert_true(vz_strv_contains(v, "b"));
        assert_false(vz_strv_contains(v, "d"));
}

static void test_read_lines_skips_comments(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_strv_ char **lines = NULL;
        write_text(d, "packages", "# header\napt\n\n  less  # pager\n");
        _cleanup_free_ char *p = vz_path_join(d, "packages");
        assert_int_equal(vz_read_lines(p, &lines), 0);
        assert_int_equal(vz_strv_len(lines), 2);
        assert_string_equal(lines[1], "less");
        vz_rm_rf(d);
}

static void test_error_first_wins(void **state)
{
        struct vz_error err = { 0 };
        assert_int_equal(vz_error_set(&err, -VZ_E_NOPKG, "first %d", 1), -VZ_E_NOPKG);
        vz_error_set(&err, -EIO, "second");
        assert_string_equal(err.msg, "first 1");
        vz_error_reset(&err, -EIO, "third");
        assert_string_equal(err.msg, "third");
        assert_string_equal(vz_strerror(-VZ_E_CHECKSUM), "checksum mismatch");
        assert_string_equal(vz_strerror(-ENOENT), strerror(ENOENT));
}

static void test_sha256(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        char hex[65];
        write_text(d, "f", "abc");
        _cleanup_free_ char *p = vz_path_join(d, "f");
        assert_int_equal(vz_sha256_file(p, hex), 0);
        assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        vz_rm_rf(d);
}

static void test_lock_busy(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_free_ char *p = vz_path_join(d, "x.lock");
        int a = -1, b = -1;
        assert_int_equal(vz_lock(p, LOCK_EX, false, &a), 0);
        /* a second open file description conflicts even in one process */
        assert_int_equal(vz_lock(p, LOCK_EX, false, &b), -VZ_E_LOCKED);
        close(a);
        assert_int_equal(vz_lock(p, LOCK_EX, false, &b), 0);
        close(b);
        vz_rm_rf(d);
}

static void test_rm_rf(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        write_text(d, "a/b/c", "x");
        _cleanup_free_ char *link = vz_path_join(d, "a/escape");
        assert_int_equal(symlink("/etc", link), 0);  /* must not be followed */
        assert_int_equal(vz_rm_rf(d), 0);
        assert_int_equal(access(d, F_OK), -1);
        assert_int_equal(access("/etc/passwd", F_OK), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_kv_parse),      cmocka_unit_test(test_kv_bad_line),
                cmocka_unit_test(test_strv),          cmocka_unit_test(test_read_lines_skips_comments),
                cmocka_unit_test(test_error_first_wins), cmocka_unit_test(test_sha256),
                cmocka_unit_test(test_lock_busy),     cmocka_unit_test(test_rm_rf),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
