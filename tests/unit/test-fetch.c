/* test-fetch.c: the downloader (file:// URLs: the
 * loop, failover, verification and publishing are the same as for HTTP). */
#include "unit.h"

#include "fetch.h"

#include <dirent.h>
#include <sys/wait.h>

static void closedirp(DIR **d) { if (*d) closedir(*d); }

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

/* ---- signatures -------------------------------------------------------
 * tests/unit/data/gpg: public keys and signatures made once with gpg
 * (ed25519): good.asc signs Release (Release.good.asc, InRelease);
 * Release.other.asc is by a key no test lists; expired.asc expired in 2020
 * and made Release.expired.asc in 2019; revoked.asc carries its revocation
 * and made Release.revoked.asc before it. */

static char *gpg_data(const char *name)
{
        const char *src = getenv("VZPKG_SRC");
        return vz_asprintf("%s/tests/unit/data/gpg/%s", src ? src : ".", name);
}

/* Whether some process runs gpg-agent (or dirmngr) for a home under dir. */
static bool helper_running_under(const char *dir)
{
        _cleanup_(closedirp) DIR *proc = opendir("/proc");
        struct dirent *e;
        bool found = false;

        assert_non_null(proc);
        while (!found && (e = readdir(proc))) {
                _cleanup_free_ char *path = vz_asprintf("/proc/%s/cmdline", e->d_name);
                _cleanup_free_ char *cmd = NULL;
                size_t len = 0;
                if (e->d_name[0] < '1' || e->d_name[0] > '9' || vz_read_file(path, &cmd, &len) < 0)
                        continue;
                for (size_t i = 0; i + 1 < len; i++)
                        if (cmd[i] == '\0')
                                cmd[i] = ' ';
                found = (strstr(cmd, "gpg-agent") || strstr(cmd, "dirmngr")) && strstr(cmd, dir);
        }
        return found;
}

static size_t entries(const char *dir)
{
        _cleanup_(closedirp) DIR *d = opendir(dir);
        struct dirent *e;
        size_t n = 0;
        assert_non_null(d);
        while ((e = readdir(d)))
                n += e->d_name[0] != '.';
        return n;
}

/* One keyring checks several files (detached and clearsigned); the key is
 * imported once; no agent or dirmngr is started; freeing removes the home. */
static void test_keyring_reused(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_free_ char *key = gpg_data("good.asc"), *rel = gpg_data("Release");
        _cleanup_free_ char *sig = gpg_data("Release.good.asc"), *inrel = gpg_data("InRelease");
        _cleanup_free_ char *out = vz_path_join(d, "plain"), *text = NULL, *want = NULL;
        char *keys[] = { key, NULL };
        char *other[] = { key, rel, NULL };
        struct vz_keyring *k = NULL;
        struct vz_error err = { 0 };

        assert_int_equal(vz_keyring_open(keys, d, "unit", &k, &err), 0);
        assert_true(vz_keyring_matches(k, keys));
        assert_false(vz_keyring_matches(k, other));
        assert_int_equal(vz_keyring_verify(k, rel, sig, NULL, "Release", &err), 0);
        assert_int_equal(vz_keyring_verify(k, inrel, NULL, out, "InRelease", &err), 0);
        assert_int_equal(vz_keyring_verify(k, rel, sig, NULL, "Release", &err), 0);
        assert_int_equal(vz_read_file(out, &text, NULL), 0);
        assert_int_equal(vz_read_file(rel, &want, NULL), 0);
        assert_string_equal(text, want);
        assert_int_equal(entries(d), 2);  /* one GnuPG home and the plain text */
        assert_false(helper_running_under(d));
        vz_keyring_free(k);
        assert_int_equal(entries(d), 1);
        vz_rm_rf(d);
}

/* A forked worker that drops the inherited keyring (its keys differ) must
 * not delete the home its parent and siblings still use. */
static void test_keyring_fork(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_free_ char *key = gpg_data("good.asc"), *rel = gpg_data("Release");
        _cleanup_free_ char *sig = gpg_data("Release.good.asc");
        char *keys[] = { key, NULL };
        struct vz_keyring *k = NULL;
        struct vz_error err = { 0 };
        int status = 0;

        assert_int_equal(vz_keyring_open(keys, d, "unit", &k, &err), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                vz_keyring_free(k);
                _exit(0);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_int_equal(entries(d), 1);
        assert_int_equal(vz_keyring_verify(k, rel, sig, NULL, "Release", &err), 0);
        vz_keyring_free(k);
        assert_int_equal(entries(d), 0);
        vz_rm_rf(d);
}

/* vz_gpg_verify (a keyring for one check) leaves no agent behind either. */
static void test_gpg_verify_no_agent(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_free_ char *key = gpg_data("good.asc"), *rel = gpg_data("Release");
        _cleanup_free_ char *sig = gpg_data("Release.good.asc");
        char *keys[] = { key, NULL };
        struct vz_error err = { 0 };

        assert_int_equal(vz_gpg_verify(keys, d, rel, sig, NULL, "Release", &err), 0);
        assert_false(helper_running_under(d));
        assert_int_equal(entries(d), 0);
        vz_rm_rf(d);
}

static void expect_refused(const char *keyname, const char *signed_name, const char *sig_name,
                           const char *text)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_free_ char *key = gpg_data(keyname), *rel = gpg_data(signed_name);
        _cleanup_free_ char *sig = sig_name ? gpg_data(sig_name) : NULL;
        char *keys[] = { key, NULL };
        struct vz_error err = { 0 };

        assert_int_equal(vz_gpg_verify(keys, d, rel, sig, NULL, "LABEL", &err), -VZ_E_SIGNATURE);
        if (!strstr(err.msg, text) || !strstr(err.msg, "LABEL"))
                fail_msg("message \"%s\" lacks \"%s\"", err.msg, text);
        vz_rm_rf(d);
}

/* Refusals, with the texts the integration tests and users see. */
static void test_gpg_refusals(void **state)
{
        expect_refused("good.asc", "Release", "Release.other.asc", "which the template does not list");
        expect_refused("expired.asc", "Release", "Release.expired.asc", "signature check failed");
        expect_refused("revoked.asc", "Release", "Release.revoked.asc", "signature check failed");
        expect_refused("good.asc", "InRelease", "Release.good.asc", "signature check failed");  /* other text */
        expect_refused("good.asc", "Release", NULL, "not signed");      /* no signature at all */
        expect_refused("Release", "InRelease", NULL, "no usable signing key");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_download_failover_and_verify),
                cmocka_unit_test(test_download_checksum_mismatch),
                cmocka_unit_test(test_download_over_signed_size),
                cmocka_unit_test(test_download_unsized_cap),
                cmocka_unit_test(test_download_unreachable),
                cmocka_unit_test(test_keyring_reused),
                cmocka_unit_test(test_keyring_fork),
                cmocka_unit_test(test_gpg_verify_no_agent),
                cmocka_unit_test(test_gpg_refusals),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
