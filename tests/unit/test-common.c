/* test-common.c: config parsing, string vectors, files, errors, locks. */
#include "unit.h"

#include <limits.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/stat.h>

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

/* url.map as vztt ships and splits it: first word, rest of the line;
 * "$SUSE_SERVER/pub/opensuse" is one key (replaced literally). */
static void test_urlmap_parse(void **state)
{
        static const char text[] = "# moved from vztt.conf\n"
                                   "$SW_SERVER\thttp://sw.example\n"
                                   "$SUSE_SERVER/pub/opensuse\thttp://suse.example \n"
                                   "#$RH_SERVER\thttp://\n"
                                   "  $DEB_SERVER   ftp://deb.example/debian\"  \n"
                                   "$LONELY\n"
                                   "http://old.example http://new.example\n"
                                   "$BAD\"KEY http://x\n"
                                   "\n";
        struct vz_kv *kv = NULL;
        size_t n = 0;
        assert_int_equal(vz_urlmap_parse_buffer(text, sizeof(text) - 1, &kv, &n), 0);
        assert_int_equal(n, 3);
        assert_string_equal(kv[0].key, "$SW_SERVER");
        assert_string_equal(kv[0].value, "http://sw.example");
        assert_string_equal(kv[1].key, "$SUSE_SERVER/pub/opensuse");
        assert_string_equal(kv[1].value, "http://suse.example");
        assert_string_equal(kv[2].key, "$DEB_SERVER");
        assert_string_equal(kv[2].value, "ftp://deb.example/debian");
        vz_kv_free(kv, n);
        /* the same line in vzpkg.conf (url.map style) is no longer refused */
        static const char conf[] = "$SUSE_SERVER/pub/opensuse http://suse.example\nTEMPLATE=/vz/template\n";
        struct vz_error err = { 0 };
        assert_int_equal(vz_kv_parse_buffer(conf, sizeof(conf) - 1, "c", &kv, &n, &err), 0);
        assert_int_equal(n, 2);
        assert_string_equal(kv[0].key, "$SUSE_SERVER/pub/opensuse");
        vz_kv_free(kv, n);
}

/* another tool's KEY=VALUE file: lines vzpkg cannot read are skipped */
static void test_kv_lenient(void **state)
{
        static const char text[] = "TEMPLATE=/vz/template\nnot a line\nexport X\nLOCKDIR=\"/vz/lock\"\n"
                                   "$TOKEN http://x\n# c\nVE_ROOT=/vz/root/$VEID\n";
        struct vz_kv *kv = NULL;
        size_t n = 0, bad = 0;
        assert_int_equal(vz_kv_parse_lenient(text, sizeof(text) - 1, &kv, &n, &bad), 0);
        assert_int_equal(n, 3);
        assert_int_equal(bad, 3);
        assert_string_equal(vz_kv_get(kv, n, "LOCKDIR"), "/vz/lock");
        assert_string_equal(vz_kv_get(kv, n, "VE_ROOT"), "/vz/root/$VEID");
        vz_kv_free(kv, n);
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

/* ---- numbers with units, trusted directories, locks through links ------- */

static void test_parse_ll(void **state)
{
        long long v = -1;
        assert_int_equal(vz_parse_ll("4G", vz_size_units, vz_n_size_units, 0, LLONG_MAX, &v), 0);
        assert_true(v == 4LL << 30);
        assert_int_equal(vz_parse_ll("2T", vz_size_units, vz_n_size_units, 0, LLONG_MAX, &v), 0);
        assert_true(v == 2LL << 40);
        assert_int_equal(vz_parse_ll("6h", vz_duration_units, vz_n_duration_units, 0, LLONG_MAX, &v), 0);
        assert_true(v == 6 * 3600);
        assert_int_equal(vz_parse_ll("90", vz_duration_units, vz_n_duration_units, 0, LLONG_MAX, &v), 0);
        assert_true(v == 90);
        /* overflow of strtoll itself, and of the unit's multiplication */
        assert_int_equal(vz_parse_ll("99999999999999999999", NULL, 0, 0, LLONG_MAX, &v), -ERANGE);
        assert_int_equal(vz_parse_ll("99999999999G", vz_size_units, vz_n_size_units, 0, LLONG_MAX, &v), -ERANGE);
        assert_int_equal(vz_parse_ll("9223372036854775807d", vz_duration_units, vz_n_duration_units, 0, LLONG_MAX, &v),
                         -ERANGE);
        assert_int_equal(vz_parse_ll("256", NULL, 0, 1, 255, &v), -ERANGE);
        assert_int_equal(vz_parse_ll("0", NULL, 0, 1, 255, &v), -ERANGE);
        /* syntax: signs, blanks, two units, unknown units, nothing */
        assert_int_equal(vz_parse_ll("-5", NULL, 0, LLONG_MIN, LLONG_MAX, &v), -EINVAL);
        assert_int_equal(vz_parse_ll(" 5", NULL, 0, 0, LLONG_MAX, &v), -EINVAL);
        assert_int_equal(vz_parse_ll("+5", NULL, 0, 0, LLONG_MAX, &v), -EINVAL);
        assert_int_equal(vz_parse_ll("1hm", vz_duration_units, vz_n_duration_units, 0, LLONG_MAX, &v), -EINVAL);
        assert_int_equal(vz_parse_ll("4X", vz_size_units, vz_n_size_units, 0, LLONG_MAX, &v), -EINVAL);
        assert_int_equal(vz_parse_ll("4G", NULL, 0, 0, LLONG_MAX, &v), -EINVAL);
        assert_int_equal(vz_parse_ll("", NULL, 0, 0, LLONG_MAX, &v), -EINVAL);
        assert_true(v == 90);  /* untouched on failure */
}

static void test_kv_parse_buffer(void **state)
{
        static const char text[] = "A=1\nB=\"two\"\0C=3\n$T x";
        struct vz_kv *kv = NULL;
        size_t n = 0;
        struct vz_error err = { 0 };
        /* not NUL-terminated at len, and a NUL inside */
        assert_int_equal(vz_kv_parse_buffer(text, sizeof(text) - 1, "buf", &kv, &n, &err), 0);
        assert_string_equal(vz_kv_get(kv, n, "A"), "1");
        assert_string_equal(vz_kv_get(kv, n, "B"), "two");
        assert_string_equal(vz_kv_get(kv, n, "$T"), "x");
        vz_kv_free(kv, n);
        assert_int_equal(vz_kv_parse_buffer("junk\n", 5, "buf", &kv, &n, &err), -VZ_E_CONFIG);
        assert_non_null(strstr(err.msg, "buf: line 1"));
}

static void test_dir_secure(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_free_ char *deep = vz_path_join(d, "a/b/c");
        _cleanup_free_ char *a = vz_path_join(d, "a");
        _cleanup_free_ char *link = vz_path_join(d, "link");
        _cleanup_free_ char *via = vz_path_join(d, "link/x");
        _cleanup_free_ char *sticky = vz_path_join(d, "sticky");
        _cleanup_free_ char *under = vz_path_join(d, "sticky/w");
        struct vz_error err = { 0 };
        struct stat st;
        int fd = -1;

        /* missing components are created; the last with the mode asked */
        assert_int_equal(vz_dir_secure("TMP_DIR", deep, 0700, &fd, &err), 0);
        assert_true(fd >= 0);
        assert_int_equal(fstat(fd, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0700);
        close(fd);
        /* a symlink anywhere on the path: refused, named, nothing made through it */
        assert_int_equal(symlink(a, link), 0);
        assert_int_equal(vz_dir_secure("LOCK_DIR", via, 0755, NULL, &err), -VZ_E_CONFIG);
        assert_non_null(strstr(err.msg, "LOCK_DIR"));
        assert_non_null(strstr(err.msg, "symbolic link"));
        assert_non_null(strstr(err.msg, link));
        _cleanup_free_ char *x = vz_path_join(a, "x");
        assert_int_equal(access(x, F_OK), -1);
        /* group-writable on the way, without the sticky bit */
        assert_int_equal(chmod(a, 0775), 0);
        struct vz_error e2 = { 0 };
        assert_int_equal(vz_dir_secure("LOG_DIR", deep, 0755, NULL, &e2), -VZ_E_CONFIG);
        assert_non_null(strstr(e2.msg, "writable by group or others"));
        /* sticky and world-writable on the way: fine; as the last: not */
        assert_int_equal(mkdir(sticky, 0755), 0);
        assert_int_equal(chmod(sticky, 01777), 0);
        struct vz_error e3 = { 0 }, e4 = { 0 };
        assert_int_equal(vz_dir_secure("TMP_DIR", under, 0700, NULL, &e3), 0);
        assert_int_equal(vz_dir_secure("TMP_DIR", sticky, 0700, NULL, &e4), -VZ_E_CONFIG);
        /* another owner */
        if (geteuid() == 0) {
                struct vz_error e5 = { 0 };
                assert_int_equal(chown(under, 65534, 65534), 0);
                assert_int_equal(vz_dir_secure("TMP_DIR", under, 0700, NULL, &e5), -VZ_E_CONFIG);
                assert_non_null(strstr(e5.msg, "owned by uid 65534"));
        }
        struct vz_error e6 = { 0 };
        assert_int_equal(vz_dir_secure("TMP_DIR", "relative/dir", 0700, NULL, &e6), -VZ_E_CONFIG);
        vz_rm_rf(d);
}

static void test_lock_refuses_links(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_free_ char *target = vz_path_join(d, "decoy");
        _cleanup_free_ char *p = vz_path_join(d, "x.lock");
        _cleanup_free_ char *fifo = vz_path_join(d, "f.lock");
        int fd = -1;
        assert_int_equal(symlink(target, p), 0);
        assert_int_equal(vz_lock(p, LOCK_EX, false, &fd), -ELOOP);
        assert_int_equal(access(target, F_OK), -1);  /* not created through the link */
        assert_int_equal(mkfifo(fifo, 0600), 0);
        assert_int_equal(vz_lock(fifo, LOCK_EX, false, &fd), -EINVAL);
        assert_int_equal(fd, -1);
        vz_rm_rf(d);
}

/* ---- rootfd: a tenant's links never lead out of the root ---------------- */

struct jail {
        char *dir, *root, *decoy;
        int rfd;
};

/* root/ with links planted as a tenant would, decoy/ beside it. */
static void jail_init(struct jail *j)
{
        j->dir = scratch_dir();
        j->root = vz_path_join(j->dir, "root");
        j->decoy = vz_path_join(j->dir, "decoy");
        write_text(j->decoy, "marker", "DECOY\n");
        write_text(j->decoy, "vzpackages", " host-pkg all 1\n");
        write_text(j->decoy, "app/timestamp", "1\n");
        write_text(j->root, "usr/bin/.keep", "");
        _cleanup_free_ char *dots = vz_asprintf("../../../../../../../../..%s", j->decoy);
        const char *const links[][2] = {
                { j->decoy, "abs" }, { "../decoy", "rel" }, { dots, "dots" }, { "usr/bin", "bin" },
        };
        for (size_t i = 0; i < ELEMENTSOF(links); i++) {
                _cleanup_free_ char *l = vz_path_join(j->root, links[i][1]);
                assert_int_equal(symlink(links[i][0], l), 0);
        }
        _cleanup_free_ char *fl = vz_path_join(j->root, "file");
        _cleanup_free_ char *target = vz_path_join(j->decoy, "marker");
        assert_int_equal(symlink(target, fl), 0);
        assert_int_equal(vz_root_open(j->root, &j->rfd), 0);
}

/* The decoy exactly as jail_init made it: the same names and contents. */
static void assert_decoy_intact(const struct jail *j)
{
        static const char *const files[][2] = {
                { "marker", "DECOY\n" }, { "vzpackages", " host-pkg all 1\n" }, { "app/timestamp", "1\n" } };
        struct dirent **ents = NULL;
        int n = scandir(j->decoy, &ents, NULL, NULL);
        assert_int_equal(n, 5);  /* . .. marker vzpackages app */
        for (int i = 0; i < n; i++)
                free(ents[i]);
        free(ents);
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                _cleanup_free_ char *p = vz_path_join(j->decoy, files[i][0]);
                _cleanup_free_ char *text = NULL;
                struct stat st;
                assert_int_equal(lstat(p, &st), 0);
                assert_true(S_ISREG(st.st_mode));
                assert_int_equal(vz_read_file(p, &text, NULL), 0);
                assert_string_equal(text, files[i][1]);
        }
}

static void jail_done(struct jail *j)
{
        assert_decoy_intact(j);
        close(j->rfd);
        vz_rm_rf(j->dir);
        free(j->dir);
        free(j->root);
        free(j->decoy);
}

static const char *const escapes[] = { "abs", "rel", "dots" };

static void test_at_read_confined(void **state)
{
        struct jail j;
        jail_init(&j);
        for (size_t i = 0; i < ELEMENTSOF(escapes); i++) {
                _cleanup_free_ char *rel = vz_asprintf("%s/marker", escapes[i]);
                char *text = NULL;
                assert_true(vz_at_read(j.rfd, rel, 4096, 0, &text, NULL) < 0);
                assert_int_equal(vz_at_read(j.rfd, rel, 4096, VZ_AT_NOLINKS, &text, NULL), -ELOOP);
                assert_null(text);
        }
        char *text = NULL;
        assert_int_equal(vz_at_read(j.rfd, "file", 4096, 0, &text, NULL), -ENOENT);  /* inside: no such file */
        assert_int_equal(vz_at_read(j.rfd, "file", 4096, VZ_AT_NOLINKS, &text, NULL), -ELOOP);
        jail_done(&j);
}

static void test_at_write_confined(void **state)
{
        struct jail j;
        jail_init(&j);
        for (size_t i = 0; i < ELEMENTSOF(escapes); i++) {
                _cleanup_free_ char *rel = vz_asprintf("%s/vzpackages", escapes[i]);
                _cleanup_free_ char *stamp = vz_asprintf("%s/app/timestamp", escapes[i]);
                assert_true(vz_at_write_atomic(j.rfd, rel, "evil\n", 5, 0644, 0) < 0);
                assert_true(vz_at_write_atomic(j.rfd, stamp, "evil\n", 5, 0644, 0) < 0);
                assert_int_equal(vz_at_write_atomic(j.rfd, rel, "evil\n", 5, 0644, VZ_AT_NOLINKS), -ELOOP);
        }
        /* a link as the last component is replaced, never written through */
        assert_int_equal(vz_at_write_atomic(j.rfd, "file", "mine\n", 5, 0600, 0), 0);
        _cleanup_free_ char *fl = vz_path_join(j.root, "file");
        struct stat st;
        assert_int_equal(lstat(fl, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0600);
        jail_done(&j);
}

static void test_at_mkdir_unlink_confined(void **state)
{
        struct jail j;
        jail_init(&j);
        for (size_t i = 0; i < ELEMENTSOF(escapes); i++) {
                _cleanup_free_ char *dir = vz_asprintf("%s/new/sub", escapes[i]);
                _cleanup_free_ char *file = vz_asprintf("%s/marker", escapes[i]);
                _cleanup_free_ char *from = vz_asprintf("%s/vzpackages", escapes[i]);
                assert_true(vz_at_mkdir_p(j.rfd, dir, 0755, 0) < 0);
                assert_int_equal(vz_at_mkdir_p(j.rfd, dir, 0755, VZ_AT_NOLINKS), -ELOOP);
                assert_true(vz_at_unlink(j.rfd, file, 0) < 0);
                assert_true(vz_at_rename(j.rfd, from, "stolen", 0) < 0);
        }
        assert_int_equal(vz_at_check_beneath(j.rfd, "abs/marker"), -EXDEV);
        assert_int_equal(vz_at_check_beneath(j.rfd, "dots/marker"), -EXDEV);
        assert_int_equal(vz_at_check_beneath(j.rfd, "bin/.keep"), 0);  /* inside: fine */
        assert_int_equal(vz_at_check_nolinks(j.rfd, "bin/.keep"), -ELOOP);
        /* the link itself is the tenant's to lose */
        assert_int_equal(vz_at_unlink(j.rfd, "abs", VZ_AT_NOLINKS), 0);
        jail_done(&j);
}

static void test_at_rm_rf_confined(void **state)
{
        struct jail j;
        jail_init(&j);
        _cleanup_free_ char *tree = vz_path_join(j.root, "templates/app");
        write_text(tree, "timestamp", "1\n");
        write_text(tree, "deep/a/b/c", "x");
        for (size_t i = 0; i < ELEMENTSOF(escapes); i++) {
                _cleanup_free_ char *l = vz_asprintf("%s/deep/%s", tree, escapes[i]);
                _cleanup_free_ char *target = vz_asprintf("../../../%s", escapes[i]);
                assert_int_equal(symlink(i == 0 ? j.decoy : target, l), 0);
        }
        /* through a link: refused or confined, the decoy keeps its app/ */
        for (size_t i = 0; i < ELEMENTSOF(escapes); i++) {
                _cleanup_free_ char *rel = vz_asprintf("%s/app", escapes[i]);
                assert_int_equal(vz_at_rm_rf(j.rfd, rel, VZ_AT_NOLINKS), -ELOOP);
                assert_int_equal(vz_at_rm_rf(j.rfd, rel, 0), 0);  /* nothing there inside the root */
        }
        assert_int_equal(vz_at_rm_rf(j.rfd, "templates/app", VZ_AT_NOLINKS), 0);
        assert_int_equal(access(tree, F_OK), -1);
        /* the link at the top is removed itself */
        assert_int_equal(vz_at_rm_rf(j.rfd, "abs", 0), 0);
        assert_int_equal(vz_rm_rf(j.root), 0);
        assert_int_equal(access(j.root, F_OK), -1);
        jail_done(&j);
}

static void test_at_merged_usr(void **state)
{
        struct jail j;
        jail_init(&j);
        _cleanup_free_ char *text = NULL;
        /* Debian 12: /bin -> usr/bin is legitimate and followed inside the root */
        assert_int_equal(vz_at_write_atomic(j.rfd, "bin/tool", "#!/bin/sh\n", 10, 0755, 0), 0);
        assert_int_equal(vz_at_read(j.rfd, "/usr/bin/tool", 64, VZ_AT_NOLINKS, &text, NULL), 0);
        assert_string_equal(text, "#!/bin/sh\n");
        assert_int_equal(vz_at_mkdir_p(j.rfd, "bin/sub/dir", 0755, 0), 0);
        _cleanup_free_ char *p = vz_path_join(j.root, "usr/bin/sub/dir");
        assert_int_equal(access(p, F_OK), 0);
        assert_int_equal(vz_at_write_atomic(j.rfd, "bin/other", "x", 1, 0644, VZ_AT_NOLINKS), -ELOOP);
        jail_done(&j);
}

static void test_at_read_caps(void **state)
{
        struct jail j;
        jail_init(&j);
        char *text = NULL;
        write_text(j.root, "big", "0123456789");
        assert_int_equal(vz_at_read(j.rfd, "big", 9, 0, &text, NULL), -EFBIG);
        _cleanup_free_ char *fifo = vz_path_join(j.root, "fifo");
        assert_int_equal(mkfifo(fifo, 0600), 0);
        assert_int_equal(vz_at_read(j.rfd, "fifo", 64, 0, &text, NULL), -EINVAL);
        assert_int_equal(vz_at_read(j.rfd, "usr", 64, 0, &text, NULL), -EINVAL);
        assert_null(text);
        jail_done(&j);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_kv_parse),      cmocka_unit_test(test_kv_bad_line),
                cmocka_unit_test(test_strv),          cmocka_unit_test(test_read_lines_skips_comments),
                cmocka_unit_test(test_error_first_wins), cmocka_unit_test(test_sha256),
                cmocka_unit_test(test_lock_busy),     cmocka_unit_test(test_rm_rf),
                cmocka_unit_test(test_parse_ll),      cmocka_unit_test(test_kv_parse_buffer),
                cmocka_unit_test(test_dir_secure),    cmocka_unit_test(test_lock_refuses_links),
                cmocka_unit_test(test_at_read_confined), cmocka_unit_test(test_at_write_confined),
                cmocka_unit_test(test_at_mkdir_unlink_confined), cmocka_unit_test(test_at_rm_rf_confined),
                cmocka_unit_test(test_at_merged_usr), cmocka_unit_test(test_at_read_caps),
                cmocka_unit_test(test_urlmap_parse),  cmocka_unit_test(test_kv_lenient),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
