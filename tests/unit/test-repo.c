/* test-repo.c: the repository-metadata module without a network: the
 * Release and repomd.xml parsers, the metadata cache's paths, when a
 * repository is asked again (expiry, -C, refresh), the replay and
 * Valid-Until rules, keeping and restoring signed files, mirrorlists, and
 * which package files a made-up cache references (vzpkg clean). */
#include "unit.h"

#include <sys/stat.h>
#include <time.h>
#include <utime.h>

#include "repo-internal.h"

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define SHA_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define SHA_D "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
#define SHA_P "1111111111111111111111111111111111111111111111111111111111111111"
#define SHA_Q "2222222222222222222222222222222222222222222222222222222222222222"
#define SHA_R "3333333333333333333333333333333333333333333333333333333333333333"

static const char release_text[] =
        "Origin: Debian\nSuite: stable\nDate: Sat, 11 Jul 2026 10:16:37 UTC\n"
        "Valid-Until: Sat, 18 Jul 2026 10:16:37 UTC\nSHA256:\n"
        " ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad 3 main/binary-amd64/Packages.xz\n"
        " 0000000000000000000000000000000000000000000000000000000000000000 10 main/binary-amd64/Packages\n";

static void test_release_parse(void **state)
{
        _cleanup_release_ struct vz_release *r = NULL;
        const char *sha;
        long long size;
        assert_int_equal(vz_release_parse(release_text, &r), 0);
        assert_string_equal(vz_release_field(r, "Suite"), "stable");
        assert_int_equal(vz_release_lookup(r, "main/binary-amd64/Packages.xz", &sha, &size), 0);
        assert_int_equal(size, 3);
        assert_string_equal(sha, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_int_equal(vz_release_lookup(r, "contrib/binary-amd64/Packages", &sha, &size), -ENOENT);
        assert_int_equal(vz_release_time(r, "Date"), 1783764997LL);
        assert_int_equal(vz_release_time(r, "Valid-Until"), 1783764997LL + 7 * 86400);
}

static void test_release_without_index(void **state)
{
        struct vz_release *r = NULL;
        assert_int_equal(vz_release_parse("Origin: x\nSuite: y\n", &r), -EBADMSG);
}

static const char repomd_text[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<repomd xmlns=\"http://linux.duke.edu/metadata/repo\">\n"
        "  <revision>1700000100</revision>\n"
        "  <data type=\"primary\">\n"
        "    <checksum type=\"sha256\">" SHA_C "</checksum>\n"
        "    <location href=\"repodata/" SHA_C "-primary.xml\"/>\n"
        "    <timestamp>1700000000</timestamp>\n    <size>42</size>\n"
        "  </data>\n"
        "  <data type=\"filelists\">\n"
        "    <checksum type=\"sha1\">0123456789012345678901234567890123456789</checksum>\n"
        "    <location href=\"repodata/f-filelists.xml.gz\"/>\n"
        "    <timestamp>1700000050</timestamp>\n"
        "  </data>\n"
        "</repomd>\n";

static void test_repomd(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_free_ char *p = vz_path_join(d, "repomd.xml");
        _cleanup_free_ char *loc = NULL, *sha = NULL;
        char *loc2 = NULL, *sha2 = NULL;
        long long size = 0, ts = 0, rev = 0;
        write_text(d, "repomd.xml", repomd_text);
        assert_int_equal(vz_repomd_find(p, "primary", &loc, &sha, &size, &ts), 0);
        assert_string_equal(loc, "repodata/" SHA_C "-primary.xml");
        assert_string_equal(sha, SHA_C);
        assert_int_equal(size, 42);
        /* a weaker digest is not trusted, an absent type is told apart */
        assert_int_equal(vz_repomd_find(p, "filelists", &loc2, &sha2, NULL, NULL), -EPROTONOSUPPORT);
        assert_int_equal(vz_repomd_find(p, "group", &loc2, &sha2, NULL, NULL), -ENOENT);
        assert_null(loc2);
        assert_int_equal(vz_repomd_stamp(p, &rev, &ts), 0);
        assert_int_equal(rev, 1700000100LL);
        assert_int_equal(ts, 1700000050LL);  /* the newest data timestamp */
        write_text(d, "bad.xml", "<repomd><data");
        _cleanup_free_ char *bad = vz_path_join(d, "bad.xml");
        assert_int_equal(vz_repomd_stamp(bad, &rev, &ts), -EBADMSG);
        vz_rm_rf(d);
}

static void test_paths(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_free_ char *m = vz_repo_metadir(d, "apt", "http://h.example:8080/debian/", "bookworm");
        _cleanup_free_ char *want = vz_asprintf("%s/apt/http___h.example_8080_debian__bookworm", d);
        struct stat st;
        assert_string_equal(m, want);
        assert_int_equal(stat(m, &st), 0);  /* created */
        assert_true(S_ISDIR(st.st_mode));
        /* no URL can climb out of the cache */
        _cleanup_free_ char *up = vz_repo_metadir(d, "rpm", "../../etc", NULL);
        _cleanup_free_ char *want_up = vz_asprintf("%s/rpm/.._.._etc", d);
        assert_string_equal(up, want_up);
        _cleanup_free_ char *h = vz_repo_byhash(d, SHA_A, ".xz");
        _cleanup_free_ char *want_h = vz_asprintf("%s/by-hash/" SHA_A ".xz", d);
        assert_string_equal(h, want_h);
        _cleanup_free_ char *h0 = vz_repo_byhash(d, SHA_A, NULL);
        assert_true(vz_endswith(h0, "/by-hash/" SHA_A));
        vz_rm_rf(d);
}

static void set_age(const char *metadir, long long seconds)
{
        _cleanup_free_ char *stamp = vz_path_join(metadir, ".checked");
        struct utimbuf t = { .actime = time(NULL) - seconds, .modtime = time(NULL) - seconds };
        assert_int_equal(utime(stamp, &t), 0);
}

static void test_use_cached(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        struct vz_session s = { .opts = { .metadata_cache = d, .expire = 3600 } };
        struct vz_error err = { 0 };
        _cleanup_free_ char *m = vz_repo_metadir(d, "apt", "http://h/", "s");

        assert_int_equal(vz_repo_use_cached(&s, m, true, "L", "T", &err), 0);   /* never checked */
        vz_repo_mark_checked(m);
        assert_int_equal(vz_repo_use_cached(&s, m, true, "L", "T", &err), 1);   /* fresh */
        assert_int_equal(vz_repo_use_cached(&s, m, false, "L", "T", &err), 0);  /* files gone */
        set_age(m, 7200);
        assert_int_equal(vz_repo_use_cached(&s, m, true, "L", "T", &err), 0);   /* expired */
        s.metadata_loaded = true;
        assert_int_equal(vz_repo_use_cached(&s, m, true, "L", "T", &err), 1);   /* read once this run */
        s.metadata_loaded = false;
        vz_repo_mark_checked(m);  /* an old stamp is touched again (in place, no rename) */
        assert_int_equal(vz_repo_use_cached(&s, m, true, "L", "T", &err), 1);
        s.meta_mode = VZ_META_REFRESH;
        assert_int_equal(vz_repo_use_cached(&s, m, true, "L", "T", &err), 0);   /* -r / update metadata */
        s.opts.cache_only = true;  /* -C wins over everything */
        assert_int_equal(vz_repo_use_cached(&s, m, true, "L", "T", &err), 1);
        assert_int_equal(vz_repo_use_cached(&s, m, false, "L", "T", &err), -VZ_E_DOWNLOAD);
        assert_non_null(strstr(err.msg, "repository L"));
        assert_non_null(strstr(err.msg, "vzpkg update metadata T"));
        vz_rm_rf(d);
}

static void test_replay_and_expiry(void **state)
{
        struct vz_error err = { 0 };
        assert_int_equal(vz_repo_check_replay("R", "InRelease", 200, "old", 200, "new", &err), 0);
        assert_int_equal(vz_repo_check_replay("R", "InRelease", 200, "old", 300, "new", &err), 0);
        assert_int_equal(vz_repo_check_replay("R", "InRelease", -1, NULL, 100, NULL, &err), 0);   /* first fetch */
        assert_int_equal(vz_repo_check_replay("R", "InRelease", 200, NULL, -1, NULL, &err), 0);   /* no Date */
        assert_int_equal(vz_repo_check_replay("R", "InRelease", 200, "D-old", 100, "D-new", &err), -VZ_E_SIGNATURE);
        assert_non_null(strstr(err.msg, "repository R: refused as a replay"));
        assert_non_null(strstr(err.msg, "dated D-new, older than the one accepted before (D-old)"));
        memset(&err, 0, sizeof(err));  /* the first error set is kept */
        assert_int_equal(vz_repo_check_replay("R", "repomd.xml", 86400, NULL, 0, NULL, &err), -VZ_E_SIGNATURE);
        assert_non_null(strstr(err.msg, "Thu, 01 Jan 1970 00:00:00 UTC"));  /* shown in UTC when not given */

        assert_int_equal(vz_repo_check_valid_until(true, 100, 50, "V", "L", &err), 0);
        assert_int_equal(vz_repo_check_valid_until(true, -1, 50, NULL, "L", &err), 0);
        assert_int_equal(vz_repo_check_valid_until(false, 10, 50, "V", "L", &err), 0);
        memset(&err, 0, sizeof(err));
        assert_int_equal(vz_repo_check_valid_until(true, 10, 50, "V", "L", &err), -VZ_E_SIGNATURE);
        assert_non_null(strstr(err.msg, "L: expired (Valid-Until V)"));
}

static char *slurp(const char *dir, const char *name)
{
        _cleanup_free_ char *p = vz_path_join(dir, name);
        char *text = NULL;
        return vz_read_file(p, &text, NULL) < 0 ? NULL : text;
}

static void test_keep_restore(void **state)
{
        static const char *const names[] = { "InRelease", "Release", NULL };
        _cleanup_free_ char *d = scratch_dir();
        struct vz_session s = { .opts = { .metadata_cache = d } };
        _cleanup_free_ char *a = NULL, *b = NULL;
        write_text(d, "InRelease", "old");
        write_text(d, "InRelease.etag", "\"e1\"");

        /* refused: the old file and its validator come back; a new file goes */
        vz_repo_keep(&s, d, names);
        write_text(d, "InRelease", "new");
        write_text(d, "InRelease.etag", "\"e2\"");
        write_text(d, "Release", "appeared");
        vz_repo_restore(d, names);
        assert_string_equal(a = slurp(d, "InRelease"), "old");
        assert_string_equal(b = slurp(d, "InRelease.etag"), "\"e1\"");
        assert_null(slurp(d, "Release"));
        assert_null(slurp(d, "InRelease.prev"));

        /* accepted: the new file stays, the kept copy goes */
        vz_repo_keep(&s, d, names);
        write_text(d, "InRelease", "newer");
        vz_repo_drop_kept(d, names);
        free(a);
        assert_string_equal(a = slurp(d, "InRelease"), "newer");
        assert_null(slurp(d, "InRelease.prev"));
        assert_null(slurp(d, "InRelease.etag.prev"));
        vz_rm_rf(d);
}

static void test_mirrors(void **state)
{
        _cleanup_strv_ char **l = vz_repo_parse_mirrors("# comment http://no/\nhttp://a.example/os/\n\n"
                                                        "https://b.example/os/\n");
        assert_int_equal(vz_strv_len(l), 2);
        assert_string_equal(l[0], "http://a.example/os/");
        assert_string_equal(l[1], "https://b.example/os/");
        _cleanup_strv_ char **m = vz_repo_parse_mirrors(
                "<metalink><files><file name=\"repomd.xml\"><resources>\n"
                "<url>https://c.example/9/os/repodata/repomd.xml</url>\n"
                "<url>http://d.example/other</url>\n"
                "</resources></file></files></metalink>\n");
        assert_int_equal(vz_strv_len(m), 1);  /* a <url> not ending in repodata/repomd.xml is no mirror */
        assert_string_equal(m[0], "https://c.example/9/os/");
}

/* A made-up cache: one verified Release naming one of two Packages files,
 * one repomd.xml naming a primary; only what they name is referenced. */
static void test_referenced(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_strv_ char **keep = NULL;
        write_text(d, "apt/h_s/Release.verified",
                   "Suite: s\nSHA256:\n " SHA_A " 40 main/binary-amd64/Packages\n");
        write_text(d, "by-hash/" SHA_A, "Package: a\nSHA256: " SHA_P "\n\nPackage: b\nSHA256: " SHA_Q "\n");
        write_text(d, "by-hash/" SHA_B ".xz", "not named by any Release\n");
        write_text(d, "apt/junk/Release.verified", "no index here\n");
        write_text(d, "rpm/h_rpm/repomd.xml", repomd_text);
        write_text(d, "by-hash/" SHA_C ".xml",
                   "<package><checksum type=\"sha256\" pkgid=\"YES\">" SHA_R "</checksum></package>\n");
        write_text(d, "by-hash/" SHA_D ".xml",
                   "<package><checksum type=\"sha256\" pkgid=\"YES\">" SHA_A "</checksum></package>\n");
        assert_int_equal(vz_repo_referenced(d, &keep), 0);
        assert_int_equal(vz_strv_len(keep), 3);
        assert_string_equal(keep[0], SHA_P);  /* sorted */
        assert_string_equal(keep[1], SHA_Q);
        assert_string_equal(keep[2], SHA_R);
        vz_rm_rf(d);
}

static void test_referenced_empty(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_free_ char *none = vz_path_join(d, "absent");
        _cleanup_strv_ char **keep = NULL;
        assert_int_equal(vz_repo_referenced(none, &keep), 0);
        assert_non_null(keep);
        assert_null(keep[0]);
        vz_rm_rf(d);
}

static void test_record_and_reset(void **state)
{
        struct vz_session s = { 0 };
        char *urls[] = { "http://a/", "http://b/", NULL };
        s.repos = vz_xmalloc(sizeof(*s.repos));
        s.n_repos = 1;
        vz_repo_record(&s, 0, urls, "bookworm", NULL, -1);
        assert_int_equal(vz_strv_len(s.repos[0].urls), 2);
        assert_string_equal(s.repos[0].suite, "bookworm");
        assert_string_equal(s.repos[0].date, "");
        s.keyfiles = vz_xmalloc(sizeof(char *));
        vz_strv_push(&s.keyfiles, "/k.asc");
        vz_repo_reset(&s);
        assert_null(s.repos);
        assert_int_equal(s.n_repos, 0);
        assert_null(s.keyfiles);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_release_parse),    cmocka_unit_test(test_release_without_index),
                cmocka_unit_test(test_repomd),           cmocka_unit_test(test_paths),
                cmocka_unit_test(test_use_cached),       cmocka_unit_test(test_replay_and_expiry),
                cmocka_unit_test(test_keep_restore),     cmocka_unit_test(test_mirrors),
                cmocka_unit_test(test_referenced),       cmocka_unit_test(test_referenced_empty),
                cmocka_unit_test(test_record_and_reset),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
