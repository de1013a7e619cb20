/* test-fetch.c: the downloader (file:// URLs: the
 * loop, failover, verification and publishing are the same as for HTTP). */
#include "unit.h"

#include "fetch.h"

static struct vz_fetch *session(void)
{
        struct vz_fetch_opts o = { .parallel = 2, .retries = 1 };
        struct vz_fetch *f = NULL;
        assert_int_equal(vz_fetch_new(&o, &f), 0);
        return f;
}

static void test_download_failover_and_verify(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_fetch_ struct vz_fetch *f = session();
        _cleanup_free_ char *missing = vz_asprintf("file://%s/nope/abc", d);
        _cleanup_free_ char *good = vz_asprintf("file://%s/src/abc", d);
        _cleanup_free_ char *dest = vz_path_join(d, "out");
        char *urls[] = { missing, good, NULL };
        struct vz_download dl = { .urls = urls, .dest = dest, .label = "abc", .size = 3,
                                  .sha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" };
        struct vz_error err = { 0 };
        _cleanup_free_ char *data = NULL;

        write_text(d, "src/abc", "abc");
        assert_int_equal(vz_fetch_run(f, &dl, 1, &err), 0);
        assert_int_equal(dl.result, 0);
        assert_string_equal(dl.used_url, good);  /* the second alternative delivered */
        assert_int_equal(vz_read_file(dest, &data, NULL), 0);
        assert_string_equal(data, "abc");
        vz_download_done(&dl);
        vz_rm_rf(d);
}

static void test_download_checksum_mismatch(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_fetch_ struct vz_fetch *f = session();
        _cleanup_free_ char *url = vz_asprintf("file://%s/src/abc", d);
        _cleanup_free_ char *dest = vz_path_join(d, "out");
        _cleanup_free_ char *part = vz_path_join(d, "out.part");
        char *urls[] = { url, NULL };
        struct vz_download dl = { .urls = urls, .dest = dest, .label = "pkg-x", .size = -1,
                                  .sha256 = "0000000000000000000000000000000000000000000000000000000000000000" };
        struct vz_error err = { 0 };

        write_text(d, "src/abc", "abc");
        assert_int_equal(vz_fetch_run(f, &dl, 1, &err), -VZ_E_CHECKSUM);
        assert_non_null(strstr(err.msg, "pkg-x"));
        assert_non_null(strstr(err.msg, "SHA-256"));
        assert_int_equal(access(dest, F_OK), -1);  /* nothing published */
        assert_int_equal(access(part, F_OK), -1);  /* nor left behind */
        vz_download_done(&dl);
        vz_rm_rf(d);
}

/* More bytes than the signed size: cut off, named by URL, no .part left. */
static void test_download_over_signed_size(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_fetch_ struct vz_fetch *f = session();
        _cleanup_free_ char *url = vz_asprintf("file://%s/src/big", d);
        _cleanup_free_ char *dest = vz_path_join(d, "out");
        _cleanup_free_ char *part = vz_path_join(d, "out.part");
        char *urls[] = { url, NULL };
        struct vz_download dl = { .urls = urls, .dest = dest, .label = "pkg-big", .size = 3,
                                  .sha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" };
        struct vz_error err = { 0 };

        write_text(d, "src/big", "abcdefghijklmnopqrstuvwxyz");
        assert_int_equal(vz_fetch_run(f, &dl, 1, &err), -VZ_E_CHECKSUM);
        assert_non_null(strstr(err.msg, url));
        assert_non_null(strstr(err.msg, "cut off"));
        assert_int_equal(access(dest, F_OK), -1);
        assert_int_equal(access(part, F_OK), -1);
        vz_download_done(&dl);
        vz_rm_rf(d);
}

/* Size unknown: the caller's cap (max_size) holds; below it all is well. */
static void test_download_unsized_cap(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_fetch_ struct vz_fetch *f = session();
        _cleanup_free_ char *url = vz_asprintf("file://%s/src/InRelease", d);
        _cleanup_free_ char *dest = vz_path_join(d, "InRelease");
        _cleanup_free_ char *part = vz_path_join(d, "InRelease.part");
        char *urls[] = { url, NULL };
        struct vz_download dl = { .urls = urls, .dest = dest, .label = "InRelease", .size = -1, .max_size = 10 };
        struct vz_error err = { 0 };

        write_text(d, "src/InRelease", "0123456789A");
        assert_int_equal(vz_fetch_run(f, &dl, 1, &err), -VZ_E_CHECKSUM);
        assert_non_null(strstr(err.msg, "limit of 10 bytes"));
        assert_int_equal(access(part, F_OK), -1);
        vz_download_done(&dl);
        write_text(d, "src/InRelease", "0123456789");
        assert_int_equal(vz_fetch_run(f, &dl, 1, &err), 0);  /* exactly the cap is fine */
        assert_int_equal(access(dest, F_OK), 0);
        vz_download_done(&dl);
        vz_rm_rf(d);
}

static void test_download_unreachable(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_fetch_ struct vz_fetch *f = session();
        _cleanup_free_ char *dest = vz_path_join(d, "out");
        char *urls[] = { "http://127.0.0.1:9/none", NULL };  /* discard port: nothing listens */
        struct vz_download dl = { .urls = urls, .dest = dest, .label = "x", .size = -1 };
        struct vz_error err = { 0 };
        assert_int_equal(vz_fetch_run(f, &dl, 1, &err), -VZ_E_DOWNLOAD);
        assert_non_null(strstr(err.msg, "127.0.0.1:9"));
        vz_download_done(&dl);
        vz_rm_rf(d);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_download_failover_and_verify),
                cmocka_unit_test(test_download_checksum_mismatch),
                cmocka_unit_test(test_download_over_signed_size),
                cmocka_unit_test(test_download_unsized_cap),
                cmocka_unit_test(test_download_unreachable),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
