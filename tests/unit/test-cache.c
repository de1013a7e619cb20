/* test-cache.c: packing a root (sorted, numeric owners, hard links, atomic
 * publish) and the secure extraction of .deb payloads built here with
 * libarchive, including hostile ones. */
#include "unit.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "cache.h"

/* ---- a tiny .deb writer: ar { debian-binary, data.tar } ------------------- */

struct member {
        const char *path;
        int type;          /* AE_IFREG, AE_IFDIR, AE_IFLNK */
        const char *data;  /* file content or link target */
};

static void *tar_of(const struct member *m, size_t n, size_t *ret_len)
{
        size_t cap = 1 << 20, used = 0;
        void *buf = vz_xmalloc(cap);
        struct archive *a = archive_write_new();
        archive_write_set_format_pax_restricted(a);
        assert_int_equal(archive_write_open_memory(a, buf, cap, &used), ARCHIVE_OK);
        for (size_t i = 0; i < n; i++) {
                struct archive_entry *e = archive_entry_new();
                archive_entry_set_pathname(e, m[i].path);
                archive_entry_set_filetype(e, (unsigned)m[i].type);
                archive_entry_set_perm(e, m[i].type == AE_IFDIR ? 0755 : 0644);
                if (m[i].type == AE_IFLNK)
                        archive_entry_set_symlink(e, m[i].data);
                if (m[i].type == AE_IFREG)
                        archive_entry_set_size(e, (la_int64_t)strlen(m[i].data));
                archive_write_header(a, e);
                if (m[i].type == AE_IFREG)
                        archive_write_data(a, m[i].data, strlen(m[i].data));
                archive_entry_free(e);
        }
        archive_write_close(a);
        archive_write_free(a);
        *ret_len = used;
        return buf;
}

static void ar_add(struct archive *a, const char *name, const void *data, size_t len)
{
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, name);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, (la_int64_t)len);
        archive_write_header(a, e);
        archive_write_data(a, data, len);
        archive_entry_free(e);
}

static char *make_deb(const char *dir, const char *name, const struct member *m, size_t n)
{
        char *path = vz_asprintf("%s/%s.deb", dir, name);
        size_t len;
        _cleanup_free_ void *tar = tar_of(m, n, &len);
        struct archive *a = archive_write_new();
        archive_write_set_format_ar_svr4(a);
        assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
        ar_add(a, "debian-binary", "2.0\n", 4);
        ar_add(a, "data.tar", tar, len);
        archive_write_close(a);
        archive_write_free(a);
        return path;
}

static void test_extract_merged_usr(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_free_ char *root = vz_path_join(d, "root");
        const struct member m[] = { { "./", AE_IFDIR, NULL },           { "./usr/", AE_IFDIR, NULL },
                                    { "./usr/bin/", AE_IFDIR, NULL },   { "./usr/bin/hello", AE_IFREG, "hi" },
                                    { "./bin/", AE_IFDIR, NULL },       { "./bin/sh", AE_IFREG, "shell" } };
        _cleanup_free_ char *deb = make_deb(d, "good", m, ELEMENTSOF(m));
        _cleanup_free_ char *sh = vz_path_join(root, "usr/bin/sh");
        _cleanup_free_ char *link = vz_path_join(root, "bin");
        struct vz_error err = { 0 };
        struct stat st;

        assert_int_equal(vz_mkdir_p(root, 0755), 0);
        _cleanup_free_ char *usrbin = vz_path_join(root, "usr/bin");
        assert_int_equal(vz_mkdir_p(usrbin, 0755), 0);
        assert_int_equal(symlink("usr/bin", link), 0);
        assert_int_equal(vz_deb_extract(deb, root, "good", &err), 0);
        assert_int_equal(lstat(sh, &st), 0);  /* ./bin/sh landed in usr/bin */
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(lstat(link, &st), 0);
        assert_true(S_ISLNK(st.st_mode));     /* and the symlink survived */
        vz_rm_rf(d);
}

static void test_extract_refuses_dotdot(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_free_ char *root = vz_path_join(d, "root");
        _cleanup_free_ char *evil = vz_path_join(d, "evil");
        const struct member m[] = { { "./../evil", AE_IFREG, "pwned" } };
        _cleanup_free_ char *deb = make_deb(d, "dotdot", m, ELEMENTSOF(m));
        struct vz_error err = { 0 };
        assert_int_equal(vz_mkdir_p(root, 0755), 0);
        assert_int_equal(vz_deb_extract(deb, root, "dotdot", &err), -VZ_E_UNSAFE);
        assert_non_null(strstr(err.msg, "dotdot"));
        assert_int_equal(access(evil, F_OK), -1);
        vz_rm_rf(d);
}

static void test_extract_refuses_symlink_escape(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_free_ char *root = vz_path_join(d, "root");
        _cleanup_free_ char *outside = vz_path_join(d, "outside");
        _cleanup_free_ char *victim = vz_path_join(d, "outside/victim");
        struct member m[] = { { "./etc", AE_IFLNK, outside }, { "./etc/victim", AE_IFREG, "pwned" } };
        _cleanup_free_ char *deb = make_deb(d, "escape", m, ELEMENTSOF(m));
        struct vz_error err = { 0 };
        assert_int_equal(vz_mkdir_p(root, 0755), 0);
        assert_int_equal(vz_mkdir_p(outside, 0755), 0);
        assert_true(vz_deb_extract(deb, root, "escape", &err) < 0);
        assert_int_equal(access(victim, F_OK), -1);
        vz_rm_rf(d);
}

/* A root as prepare_root makes it: usr/bin and bin -> usr/bin. */
static char *merged_root(const char *d)
{
        char *root = vz_path_join(d, "root");
        _cleanup_free_ char *usrbin = vz_path_join(root, "usr/bin");
        _cleanup_free_ char *link = vz_path_join(root, "bin");
        assert_int_equal(vz_mkdir_p(usrbin, 0755), 0);
        assert_int_equal(symlink("usr/bin", link), 0);
        return root;
}

static void assert_link(const char *root, const char *rel, const char *target)
{
        _cleanup_free_ char *p = vz_path_join(root, rel);
        char buf[256];
        ssize_t n = readlink(p, buf, sizeof(buf) - 1);
        assert_true(n > 0);
        buf[n] = '\0';
        assert_string_equal(buf, target);
}

static void assert_type(const char *root, const char *rel, mode_t type)
{
        _cleanup_free_ char *p = vz_path_join(root, rel);
        struct stat st;
        assert_int_equal(lstat(p, &st), 0);
        assert_int_equal(st.st_mode & S_IFMT, type);
}

/* trixie's base-files ships bin -> usr/bin, which the root already has. */
static void test_extract_same_symlink_accepted(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_free_ char *root = merged_root(d);
        const struct member m[] = { { "./", AE_IFDIR, NULL },
                                    { "./bin", AE_IFLNK, "usr/bin" },
                                    { "./usr/", AE_IFDIR, NULL },
                                    { "./usr/bin/", AE_IFDIR, NULL },
                                    { "./usr/bin/true", AE_IFREG, "t" },
                                    { "./etc/", AE_IFDIR, NULL },
                                    { "./etc/os-release", AE_IFLNK, "../usr/lib/os-release" } };
        _cleanup_free_ char *deb = make_deb(d, "base-files", m, ELEMENTSOF(m));
        struct vz_error err = { 0 };
        write_text(root, "usr/bin/sh", "unpacked before base-files");
        assert_int_equal(vz_deb_extract(deb, root, "base-files", &err), 0);
        assert_type(root, "usr/bin/sh", S_IFREG);
        assert_link(root, "bin", "usr/bin");
        assert_type(root, "usr/bin", S_IFDIR);
        assert_type(root, "usr/bin/true", S_IFREG);
        assert_link(root, "etc/os-release", "../usr/lib/os-release");
        vz_rm_rf(d);
}

/* A directory is never replaced by a symlink, and the error says why. */
static void test_extract_symlink_over_directory_refused(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_free_ char *root = vz_path_join(d, "root");
        _cleanup_free_ char *bin = vz_path_join(root, "bin");
        const struct member m[] = { { "./bin", AE_IFLNK, "usr/bin" } };
        _cleanup_free_ char *deb = make_deb(d, "base-files", m, ELEMENTSOF(m));
        struct vz_error err = { 0 };
        assert_int_equal(vz_mkdir_p(bin, 0755), 0);
        write_text(root, "bin/sh", "shell");
        assert_int_equal(vz_deb_extract(deb, root, "base-files", &err), -VZ_E_INSTALL);
        assert_non_null(strstr(err.msg, "base-files"));
        assert_non_null(strstr(err.msg, "refused to extract bin"));
        assert_non_null(strstr(err.msg, "where the root has a directory"));
        assert_type(root, "bin", S_IFDIR);
        assert_type(root, "bin/sh", S_IFREG);
        vz_rm_rf(d);
}

/* Directories under bin -> usr/bin land in usr/bin (dpkg follows the
 * symlink); a symlink the root had with an absolute target is followed
 * inside the root, as in a chroot. */
static void test_extract_dir_under_merged_symlink(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_free_ char *root = merged_root(d);
        _cleanup_free_ char *outside = vz_path_join(d, "outside");
        _cleanup_free_ char *varrun = vz_path_join(root, "var/run");
        _cleanup_free_ char *in_root = vz_path_join(root, outside);
        const struct member m[] = { { "./bin/", AE_IFDIR, NULL },          { "./bin/sub/", AE_IFDIR, NULL },
                                    { "./bin/sub/tool", AE_IFREG, "x" },   { "./var/", AE_IFDIR, NULL },
                                    { "./var/run/", AE_IFDIR, NULL },      { "./var/run/pid", AE_IFREG, "1" } };
        _cleanup_free_ char *deb = make_deb(d, "tools", m, ELEMENTSOF(m));
        _cleanup_free_ char *victim = vz_path_join(outside, "pid");
        struct vz_error err = { 0 };

        assert_int_equal(vz_mkdir_p(outside, 0755), 0);
        assert_int_equal(vz_mkdir_p(in_root, 0755), 0);
        _cleanup_free_ char *var = vz_path_join(root, "var");
        assert_int_equal(vz_mkdir_p(var, 0755), 0);
        assert_int_equal(symlink(outside, varrun), 0);  /* absolute: the root's own copy of that path */
        assert_int_equal(vz_deb_extract(deb, root, "tools", &err), 0);
        assert_link(root, "bin", "usr/bin");
        assert_type(root, "usr/bin/sub", S_IFDIR);
        assert_type(root, "usr/bin/sub/tool", S_IFREG);
        assert_link(root, "var/run", outside);
        _cleanup_free_ char *pid = vz_path_join(in_root, "pid");
        assert_int_equal(access(pid, F_OK), 0);
        assert_int_equal(access(victim, F_OK), -1);  /* nothing outside the root */
        vz_rm_rf(d);
}

/* evil -> /etc, then evil/<name>: refused, nothing written in the host's
 * /etc nor in the root's. The same through a relative ../.. link. */
static void test_extract_escape_through_own_symlink(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_free_ char *root = vz_path_join(d, "root");
        _cleanup_free_ char *name = vz_asprintf("vzpkg-unit-canary-%d", (int)getpid());
        _cleanup_free_ char *via_abs = vz_asprintf("./evil/%s", name);
        _cleanup_free_ char *via_rel = vz_asprintf("./up/%s", name);
        _cleanup_free_ char *host_etc = vz_asprintf("/etc/%s", name);
        _cleanup_free_ char *root_etc = vz_asprintf("%s/etc/%s", root, name);
        _cleanup_free_ char *above = vz_asprintf("%s/%s", d, name);
        const struct member abs[] = { { "./evil", AE_IFLNK, "/etc" }, { via_abs, AE_IFREG, "root::0:0::/:/bin/sh" } };
        const struct member rel[] = { { "./up", AE_IFLNK, "../.." }, { via_rel, AE_IFREG, "pwned" } };
        _cleanup_free_ char *deb_abs = make_deb(d, "evil", abs, ELEMENTSOF(abs));
        _cleanup_free_ char *deb_rel = make_deb(d, "up", rel, ELEMENTSOF(rel));
        struct vz_error err = { 0 }, err2 = { 0 };

        _cleanup_free_ char *etc = vz_path_join(root, "etc");
        assert_int_equal(vz_mkdir_p(etc, 0755), 0);
        int r = vz_deb_extract(deb_abs, root, "evil", &err);
        bool leaked = access(host_etc, F_OK) == 0;
        if (leaked)
                unlink(host_etc);
        assert_false(leaked);
        assert_int_equal(r, -VZ_E_UNSAFE);
        assert_non_null(strstr(err.msg, "evil"));
        assert_non_null(strstr(err.msg, "symlink"));
        assert_int_equal(access(root_etc, F_OK), -1);
        assert_int_equal(vz_deb_extract(deb_rel, root, "up", &err2), -VZ_E_UNSAFE);
        assert_int_equal(access(above, F_OK), -1);
        vz_rm_rf(d);
}

static void test_extract_not_a_deb(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        struct vz_error err = { 0 };
        write_text(d, "junk.deb", "this is not an ar archive");
        _cleanup_free_ char *p = vz_path_join(d, "junk.deb");
        assert_int_equal(vz_deb_extract(p, d, "junk", &err), -VZ_E_INSTALL);
        assert_non_null(strstr(err.msg, "junk"));
        vz_rm_rf(d);
}

/* ---- expanded packages ------------------------------------------------------ */

/* A real package, by dpkg-deb, with an xz-compressed data.tar. */
static char *real_deb(const char *d, const char *name)
{
        _cleanup_free_ char *cmd = vz_asprintf(
                "set -e; cd '%s'; mkdir -p %s/DEBIAN %s/usr/share/%s; "
                "printf 'Package: %s\\nVersion: 1.0\\nArchitecture: all\\nMaintainer: t <t@t>\\nDescription: t\\n' "
                ">%s/DEBIAN/control; seq 1 20000 >%s/usr/share/%s/numbers; ln -s numbers %s/usr/share/%s/link; "
                "dpkg-deb -Zxz --root-owner-group -b %s %s.deb >/dev/null",
                d, name, name, name, name, name, name, name, name, name, name, name);
        if (unit_sh("command -v dpkg-deb") != 0)
                return NULL;
        assert_int_equal(unit_sh(cmd), 0);
        return vz_asprintf("%s/%s.deb", d, name);
}

static char **ar_members(const char *path)
{
        struct archive *a = archive_read_new();
        struct archive_entry *e;
        char **names = vz_xmalloc(sizeof(char *));
        names[0] = NULL;
        archive_read_support_format_ar(a);
        assert_int_equal(archive_read_open_filename(a, path, 65536), ARCHIVE_OK);
        while (archive_read_next_header(a, &e) == ARCHIVE_OK)
                vz_strv_push(&names, archive_entry_pathname(e));
        archive_read_free(a);
        return names;
}

static void test_expand_same_package(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_free_ char *deb = real_deb(d, "hello");
        _cleanup_free_ char *out = vz_path_join(d, "hello.expanded.deb");
        struct vz_error err = { 0 };
        if (!deb) {
                vz_rm_rf(d);
                skip();
        }
        assert_int_equal(vz_deb_expand(deb, out, &err), 0);
        _cleanup_strv_ char **m = ar_members(out);
        assert_int_equal(vz_strv_len(m), 3);
        assert_string_equal(m[0], "debian-binary");
        assert_string_equal(m[1], "control.tar.xz");
        assert_string_equal(m[2], "data.tar");
        /* dpkg reads the same files and the same control data from it */
        _cleanup_free_ char *cmp = vz_asprintf(
                "cd '%s' && for f in hello hello.expanded; do dpkg-deb --fsys-tarfile $f.deb >$f.data && "
                "dpkg-deb --ctrl-tarfile $f.deb >$f.ctrl || exit 1; done && cmp -s hello.data hello.expanded.data && "
                "cmp -s hello.ctrl hello.expanded.ctrl && test \"$(dpkg-deb -f hello.expanded.deb Package)\" = hello",
                d);
        assert_int_equal(unit_sh(cmp), 0);
        vz_rm_rf(d);
}

static void test_expand_refuses_junk(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_free_ char *p = vz_path_join(d, "junk.deb"), *out = vz_path_join(d, "out.deb");
        _cleanup_free_ char *tmp = vz_path_join(d, "out.deb.tmp");
        struct vz_error err = { 0 };
        write_text(d, "junk.deb", "this is not an ar archive");
        assert_int_equal(vz_deb_expand(p, out, &err), -VZ_E_ARCHIVE);
        assert_non_null(strstr(err.msg, "junk.deb"));
        assert_int_equal(access(out, F_OK), -1);  /* nothing published, nothing left */
        assert_int_equal(access(tmp, F_OK), -1);
        vz_rm_rf(d);
}

static void test_expand_workers(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_free_ char *a = real_deb(d, "pkga");
        _cleanup_free_ char *b = real_deb(d, "pkgb");
        _cleanup_free_ char *c = real_deb(d, "pkgc");
        _cleanup_free_ char *missing = vz_path_join(d, "missing.deb");
        char *debs[] = { a, b, missing, c, NULL };
        char *dests[] = { vz_path_join(d, "a.x"), vz_path_join(d, "b.x"), vz_path_join(d, "m.x"), vz_path_join(d, "c.x"),
                          NULL };
        struct vz_expand_job job;
        if (!a) {
                vz_rm_rf(d);
                skip();
        }
        assert_int_equal(vz_deb_expand_start(debs, dests, 4, 2, NULL, &job), 0);
        assert_int_equal(job.n, 2);
        assert_true(vz_deb_expand_wait(&job, false) >= 1);  /* the worker that met the missing one says so */
        assert_int_equal(job.n, 0);
        assert_int_equal(access(dests[0], F_OK), 0);
        assert_int_equal(access(dests[1], F_OK), 0);
        assert_int_equal(access(dests[3], F_OK), 0);
        assert_int_equal(access(dests[2], F_OK), -1);  /* left out: the caller reads the original */
        for (int i = 0; i < 4; i++)
                free(dests[i]);
        vz_rm_rf(d);
}

/* ---- packing ---------------------------------------------------------------- */

static char **list_archive(const char *path)
{
        struct archive *a = archive_read_new();
        struct archive_entry *e;
        char **names = vz_xmalloc(sizeof(char *));
        archive_read_support_filter_all(a);
        archive_read_support_format_all(a);
        assert_int_equal(archive_read_open_filename(a, path, 65536), ARCHIVE_OK);
        while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
                const char *u = archive_entry_uname(e);
                assert_true(u == NULL || *u == '\0');  /* numeric owners only */
                vz_strv_push(&names, archive_entry_pathname(e));
        }
        archive_read_free(a);
        return names;
}

static int never(void) { return 0; }
static int always(void) { return 1; }

static void test_pack_sorted_and_atomic(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_free_ char *root = vz_path_join(d, "root");
        _cleanup_free_ char *dest = vz_path_join(d, "t.tar.zst");
        _cleanup_free_ char *a = vz_path_join(root, "b/a"), *hl = vz_path_join(root, "b/hard");
        _cleanup_strv_ char **names = NULL;
        _cleanup_free_ char *before = NULL, *after = NULL;
        struct vz_error err = { 0 };

        write_text(root, "z", "1");
        write_text(root, "b/a", "2");
        write_text(root, "b/c", "3");
        assert_int_equal(link(a, hl), 0);
        char sha[65], file_sha[65];
        assert_int_equal(vz_cache_pack(root, dest, VZ_ARCHIVE_ZST, -1, never, sha, &err), 0);
        /* the SHA-256 hashed as the archive was written is the file's */
        assert_int_equal(vz_sha256_file(dest, file_sha), 0);
        assert_string_equal(sha, file_sha);
        names = list_archive(dest);
        assert_int_equal(vz_strv_len(names), 6);
        assert_string_equal(names[0], "./");
        assert_string_equal(names[1], "./b/");
        assert_string_equal(names[2], "./b/a");
        assert_string_equal(names[3], "./b/c");
        assert_string_equal(names[4], "./b/hard");
        assert_string_equal(names[5], "./z");
        /* An interrupted pack leaves the published cache alone and no temp file. */
        assert_int_equal(vz_read_file(dest, &before, NULL), 0);
        assert_int_equal(vz_cache_pack(root, dest, VZ_ARCHIVE_GZ, -1, always, NULL, &err), -VZ_E_INTERRUPTED);
        assert_int_equal(vz_read_file(dest, &after, NULL), 0);
        assert_memory_equal(before, after, 16);
        _cleanup_free_ char *tmp = vz_asprintf("%s.tmp.%d", dest, (int)getpid());
        assert_int_equal(access(tmp, F_OK), -1);
        vz_rm_rf(d);
}

/* Unpacking in a thread gives the tree a plain unpack gives (packed again,
 * the same bytes), leaves the caller's working directory alone, reports a
 * damaged archive, and can be stopped. */
static void test_unpack_in_background(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_free_ char *root = vz_path_join(d, "root"), *cache = vz_path_join(d, "c.tar.zst");
        _cleanup_free_ char *plain = vz_path_join(d, "plain"), *bg = vz_path_join(d, "bg");
        _cleanup_free_ char *stopped = vz_path_join(d, "stopped"), *bad = vz_path_join(d, "bad.tar.zst");
        _cleanup_free_ char *pa = vz_path_join(d, "plain.tar.zst"), *pb = vz_path_join(d, "bg.tar.zst");
        _cleanup_free_ char *a = NULL, *b = NULL, *cwd_before = get_current_dir_name(), *cwd_after = NULL;
        _cleanup_free_ char *hl = vz_path_join(root, "etc/hard"), *src = vz_path_join(root, "etc/passwd");
        struct vz_unpack_job *job = NULL;
        struct vz_error err = { 0 };
        size_t la, lb;

        write_text(root, "etc/passwd", "root:x:0:0::/root:/bin/sh\n");
        write_text(root, "usr/bin/tool", "#!/bin/sh\n");
        _cleanup_free_ char *lnk = vz_path_join(root, "bin");
        assert_int_equal(symlink("usr/bin", lnk), 0);
        assert_int_equal(link(src, hl), 0);
        assert_int_equal(vz_cache_pack(root, cache, VZ_ARCHIVE_ZST, 1000000, never, NULL, &err), 0);
        assert_int_equal(mkdir(plain, 0755), 0);
        assert_int_equal(mkdir(bg, 0755), 0);
        assert_int_equal(mkdir(stopped, 0755), 0);

        assert_int_equal(vz_cache_unpack(cache, plain, never, &err), 0);
        assert_int_equal(vz_cache_unpack_start(cache, bg, never, &job), 0);
        assert_int_equal(vz_cache_unpack_wait(job, false, &err), 0);
        cwd_after = get_current_dir_name();
        assert_string_equal(cwd_before, cwd_after);
        assert_int_equal(vz_cache_pack(plain, pa, VZ_ARCHIVE_ZST, 1000000, never, NULL, &err), 0);
        assert_int_equal(vz_cache_pack(bg, pb, VZ_ARCHIVE_ZST, 1000000, never, NULL, &err), 0);
        assert_int_equal(vz_read_file(pa, &a, &la), 0);
        assert_int_equal(vz_read_file(pb, &b, &lb), 0);
        assert_int_equal(la, lb);
        assert_memory_equal(a, b, la);

        assert_int_equal(vz_cache_unpack_start(cache, stopped, always, &job), 0);
        assert_int_equal(vz_cache_unpack_wait(job, true, &err), 0);
        assert_int_equal(vz_cache_unpack_wait(NULL, true, NULL), 0);

        write_text(d, "bad.tar.zst", "not an archive");
        memset(&err, 0, sizeof(err));
        assert_int_equal(vz_cache_unpack_start(bad, stopped, never, &job), 0);
        assert_int_equal(vz_cache_unpack_wait(job, false, &err), -VZ_E_ARCHIVE);
        assert_int_equal(err.code, -VZ_E_ARCHIVE);
        vz_rm_rf(d);
}

static void test_format_names(void **state)
{
        enum vz_archive_format f;
        assert_int_equal(vz_archive_format_parse("gz", &f), 0);
        assert_string_equal(vz_archive_suffix(f), ".tar.gz");
        assert_int_equal(vz_archive_format_parse("rar", &f), -EINVAL);
}

static void test_pkgcache_drops_corrupt(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        struct vz_pkgcache *pc = NULL;
        struct vz_error err = { 0 };
        const char *sha = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_int_equal(vz_pkgcache_open(d, &pc, &err), 0);
        _cleanup_free_ char *p = vz_pkgcache_path(pc, sha, ".deb");
        assert_non_null(strstr(p, "/sha256/ba/"));
        assert_int_equal(vz_write_file_atomic(p, "abc", 3, 0644), 0);
        assert_true(vz_pkgcache_valid(pc, p, sha));
        assert_int_equal(vz_write_file_atomic(p, "abd", 3, 0644), 0);
        assert_false(vz_pkgcache_valid(pc, p, sha));
        assert_int_equal(access(p, F_OK), -1);
        vz_pkgcache_free(pc);
        vz_rm_rf(d);
}

/* ---- snapshots of a tenant's tree ---------------------------------------- */

static void test_snapshot_links_and_sparse(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_free_ char *root = vz_path_join(d, "root"), *snap = vz_path_join(d, "root.snap");
        _cleanup_free_ char *decoy = vz_path_join(d, "decoy");
        static const char *const copy[] = { "var/log", NULL };
        struct vz_error err = { 0 };
        struct stat st, st2;
        write_text(decoy, "marker", "DECOY\n");
        write_text(root, "var/log/.keep", "");
        write_text(root, "usr/bin/tool", "#!/bin/sh\n");
        /* a 1 GiB sparse log with 5 bytes of data */
        _cleanup_free_ char *log = vz_path_join(root, "var/log/big.log");
        _cleanup_close_ int fd = open(log, O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
        assert_true(fd >= 0);
        assert_int_equal(pwrite(fd, "hello", 5, 1LL << 29), 5);
        assert_int_equal(ftruncate(fd, 1LL << 30), 0);
        /* links planted by the tenant, into the decoy */
        _cleanup_free_ char *l1 = vz_path_join(root, "var/log/evil"), *l2 = vz_path_join(root, "out");
        _cleanup_free_ char *target = vz_path_join(decoy, "marker");
        assert_int_equal(symlink(target, l1), 0);
        assert_int_equal(symlink(decoy, l2), 0);

        assert_int_equal(vz_tree_snapshot(root, snap, copy, &err), 0);
        _cleanup_free_ char *slog = vz_path_join(snap, "var/log/big.log");
        assert_int_equal(stat(slog, &st), 0);
        assert_int_equal(st.st_size, 1LL << 30);
        assert_true(st.st_blocks * 512 < (1LL << 20));  /* still sparse */
        assert_int_equal(st.st_mode & 07777, 0640);
        assert_int_equal(stat(log, &st2), 0);
        assert_int_not_equal(st.st_ino, st2.st_ino);     /* copied, not linked */
        _cleanup_free_ char *stool = vz_path_join(snap, "usr/bin/tool"), *tool = vz_path_join(root, "usr/bin/tool");
        assert_int_equal(stat(stool, &st), 0);
        assert_int_equal(stat(tool, &st2), 0);
        assert_int_equal(st.st_ino, st2.st_ino);         /* linked */
        _cleanup_free_ char *sl1 = vz_path_join(snap, "var/log/evil"), *sl2 = vz_path_join(snap, "out");
        assert_int_equal(lstat(sl1, &st), 0);
        assert_true(S_ISLNK(st.st_mode));                 /* a link stays a link */
        assert_int_equal(lstat(sl2, &st), 0);
        assert_true(S_ISLNK(st.st_mode));
        _cleanup_free_ char *text = NULL;
        assert_int_equal(vz_read_file(target, &text, NULL), 0);
        assert_string_equal(text, "DECOY\n");

        assert_int_equal(vz_tree_restore(root, snap, &err), 0);
        assert_int_equal(vz_rm_rf(root), 0);
        assert_int_equal(access(target, F_OK), 0);        /* rm -rf did not follow */
        vz_rm_rf(d);
}

/* The durable snapshot is named only when complete; what an interrupted
 * operation leaves is sorted out: ".new" and ".done" go, the snapshot
 * itself is reported. */
static void test_snapshot_durable_and_leftovers(void **state)
{
        (void)state;
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_free_ char *root = vz_path_join(d, "root"), *snap = vz_path_join(d, "root.snap");
        _cleanup_free_ char *tmp = vz_asprintf("%s.new", snap), *done = vz_asprintf("%s.done", snap);
        static const char *const copy[] = { "var/lib/dpkg", NULL };
        struct vz_error err = { 0 };
        struct stat st, st2;
        write_text(root, "var/lib/dpkg/status", "Package: a\n");
        write_text(root, "usr/bin/tool", "#!/bin/sh\n");

        assert_int_equal(vz_tree_leftover(snap), 0);
        assert_int_equal(vz_tree_snapshot_durable(root, snap, copy, &err), 0);
        assert_int_equal(lstat(tmp, &st), -1);
        _cleanup_free_ char *stool = vz_path_join(snap, "usr/bin/tool"), *tool = vz_path_join(root, "usr/bin/tool");
        assert_int_equal(stat(stool, &st), 0);
        assert_int_equal(stat(tool, &st2), 0);
        assert_int_equal(st.st_ino, st2.st_ino);
        assert_int_equal(vz_tree_leftover(snap), 1);   /* a complete snapshot: the admin's */
        assert_int_equal(access(snap, F_OK), 0);       /* ... and left where it is */

        _cleanup_free_ char *trash = NULL;
        assert_int_equal(vz_tree_retire(snap, &trash), 0);
        assert_string_equal(trash, done);
        assert_int_equal(access(snap, F_OK), -1);
        assert_int_equal(access(done, F_OK), 0);
        assert_int_equal(mkdir(tmp, 0700), 0);          /* an unfinished one too */
        write_text(tmp, "x", "y");
        assert_int_equal(vz_tree_leftover(snap), 0);    /* both removed, nothing to report */
        assert_int_equal(access(done, F_OK), -1);
        assert_int_equal(access(tmp, F_OK), -1);
        assert_int_equal(stat(tool, &st), 0);           /* the root is untouched */
        vz_rm_rf(d);
}

/* ---- stage cache ----------------------------------------------------------- */

static void test_stage_roundtrip_and_corrupt(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_free_ char *root = vz_path_join(d, "root"), *back = vz_path_join(d, "back");
        _cleanup_free_ char *dir = vz_path_join(d, "stages");
        _cleanup_free_ char *f = vz_path_join(root, "usr/bin/tool"), *g = vz_path_join(back, "usr/bin/tool");
        _cleanup_free_ char *l = vz_path_join(root, "usr/bin/alias"), *lb = vz_path_join(back, "usr/bin/alias");
        _cleanup_free_ char *arch = NULL;
        const char *key = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        struct timespec ts[2] = { { 0, UTIME_OMIT }, { 1234567890, 123456789 } };
        struct vz_error err = { 0 };
        struct stat st, sb;

        write_text(root, "usr/bin/tool", "#!/bin/sh\n");
        assert_int_equal(chmod(f, 04751), 0);
        assert_int_equal(chown(f, 123, 456), 0);
        assert_int_equal(utimensat(AT_FDCWD, f, ts, 0), 0);
        assert_int_equal(link(f, l), 0);
        _cleanup_free_ char *bin = vz_path_join(root, "bin"), *binb = vz_path_join(back, "bin");
        assert_int_equal(symlink("usr/bin", bin), 0);
        assert_int_equal(vz_mkdir_p(back, 0700), 0);
        assert_int_equal(vz_stage_load(dir, key, back, NULL, &err), 0);  /* nothing saved yet */
        assert_int_equal(vz_stage_save(dir, key, root, 0, NULL, &err), 0);
        assert_int_equal(vz_stage_load(dir, key, back, NULL, &err), 1);
        assert_int_equal(stat(g, &sb), 0);
        assert_int_equal(stat(f, &st), 0);
        assert_int_equal(sb.st_mode, st.st_mode);
        assert_int_equal(sb.st_uid, 123);
        assert_int_equal(sb.st_gid, 456);
        assert_int_equal(sb.st_mtim.tv_sec, 1234567890);
        assert_int_equal(sb.st_mtim.tv_nsec, 123456789);  /* to the nanosecond */
        assert_int_equal(sb.st_nlink, 2);                  /* hard link kept */
        assert_int_equal(lstat(lb, &sb), 0);
        assert_int_equal(lstat(binb, &sb), 0);
        assert_true(S_ISLNK(sb.st_mode));
        /* a damaged stage is a miss, and is removed */
        arch = vz_asprintf("%s/%s.stage.tar.zst", dir, key);
        int fd = open(arch, O_RDWR | O_CLOEXEC);
        unsigned char byte;
        assert_true(fd >= 0);
        assert_int_equal(pread(fd, &byte, 1, 100), 1);
        byte ^= 0xff;  /* a byte that differs (writing a constant left the file as it was 1 time in 256) */
        assert_int_equal(pwrite(fd, &byte, 1, 100), 1);
        close(fd);
        _cleanup_free_ char *back2 = vz_path_join(d, "back2");
        assert_int_equal(vz_mkdir_p(back2, 0700), 0);
        assert_int_equal(vz_stage_load(dir, key, back2, NULL, &err), 0);
        assert_int_equal(access(arch, F_OK), -1);
        /* the bound keeps the newest; clean removes everything */
        assert_int_equal(vz_stage_save(dir, key, root, 1, NULL, &err), 0);
        assert_int_equal(access(arch, F_OK), 0);
        size_t n = 0;
        long long bytes = 0;
        assert_int_equal(vz_stage_clean(dir, false, &n, &bytes), 0);
        assert_int_equal(n, 1);
        assert_true(bytes > 0);
        assert_int_equal(access(arch, F_OK), -1);
        vz_rm_rf(d);
}

/* A zstd cache is saved as the finished-root stage: restored, it packs to
 * the same bytes (the packer's output is its own fixed point: owners,
 * modes, set-id bits, a file capability, hard links, symlinks, times
 * clamped to the epoch and whole seconds), its sum is the packer's, and
 * bad input saves nothing. */
static void test_stage_from_packed_cache(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_free_ char *root = vz_path_join(d, "root"), *back = vz_path_join(d, "back");
        _cleanup_free_ char *dir = vz_path_join(d, "stages"), *cache = vz_path_join(d, "c.tar.zst");
        _cleanup_free_ char *again = vz_path_join(d, "again.tar.zst");
        _cleanup_free_ char *f = vz_path_join(root, "usr/bin/ping"), *l = vz_path_join(root, "usr/bin/ping2");
        _cleanup_free_ char *bin = vz_path_join(root, "bin");
        _cleanup_free_ char *a = NULL, *b = NULL, *sumfile = NULL, *sum = NULL;
        const char *key = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
        struct timespec old[2] = { { 0, UTIME_OMIT }, { 1000000, 987654321 } };  /* before the epoch: kept, seconds */
        /* security.capability v2 of cap_net_raw (bit 13), as ping ships it */
        const unsigned char cap[20] = { 0x00, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00 };
        struct vz_error err = { 0 };
        char sha[65], hex[65];
        size_t la, lb;

        write_text(root, "usr/bin/ping", "\177ELF");
        write_text(root, "etc/new", "written now, after the epoch\n");
        assert_int_equal(chown(f, 0, 7), 0);  /* first: chown clears the set-id bits */
        assert_int_equal(chmod(f, 04755), 0);
        assert_int_equal(utimensat(AT_FDCWD, f, old, 0), 0);
        bool xattrs = lsetxattr(f, "security.capability", cap, sizeof(cap), 0) == 0;  /* not on every scratch fs */
        assert_int_equal(link(f, l), 0);
        assert_int_equal(symlink("usr/bin", bin), 0);
        assert_int_equal(vz_cache_pack(root, cache, VZ_ARCHIVE_ZST, 2000000, never, sha, &err), 0);
        assert_int_equal(vz_stage_save_file(dir, key, cache, sha, 0, &err), 0);
        sumfile = vz_asprintf("%s/%s.stage.sha256", dir, key);
        assert_int_equal(vz_read_file(sumfile, &sum, NULL), 0);
        assert_memory_equal(sum, sha, 64);
        assert_int_equal(vz_mkdir_p(back, 0700), 0);
        assert_int_equal(vz_stage_load(dir, key, back, NULL, &err), 1);
        assert_int_equal(vz_cache_pack(back, again, VZ_ARCHIVE_ZST, 2000000, never, hex, &err), 0);
        assert_string_equal(sha, hex);
        assert_int_equal(vz_read_file(cache, &a, &la), 0);
        assert_int_equal(vz_read_file(again, &b, &lb), 0);
        assert_int_equal(la, lb);
        assert_memory_equal(a, b, la);
        _cleanup_free_ char *g = vz_path_join(back, "usr/bin/ping"), *gn = vz_path_join(back, "etc/new");
        struct stat st;
        assert_int_equal(stat(g, &st), 0);
        assert_int_equal(st.st_mode & 07777, 04755);
        assert_int_equal(st.st_nlink, 2);
        assert_int_equal(st.st_mtim.tv_sec, 1000000);
        assert_int_equal(st.st_mtim.tv_nsec, 0);
        assert_int_equal(stat(gn, &st), 0);
        assert_int_equal(st.st_mtim.tv_sec, 2000000);  /* clamped when packed */
        if (xattrs) {
                unsigned char got[32];
                assert_int_equal(lgetxattr(g, "security.capability", got, sizeof(got)), (ssize_t)sizeof(cap));
                assert_memory_equal(got, cap, sizeof(cap));
        }
        /* bad key, bad sum, missing archive: nothing saved */
        const char *key2 = "00000000000000000000000000000000000000000000000000000000000000aa";
        _cleanup_free_ char *missing = vz_path_join(d, "missing.tar.zst");
        _cleanup_free_ char *arch2 = vz_asprintf("%s/%s.stage.tar.zst", dir, key2);
        assert_int_equal(vz_stage_save_file(dir, "nothex", cache, sha, 0, &err), -EINVAL);
        assert_int_equal(vz_stage_save_file(dir, key2, cache, "abc", 0, &err), -EINVAL);
        assert_true(vz_stage_save_file(dir, key2, missing, sha, 0, &err) < 0);
        assert_int_equal(access(arch2, F_OK), -1);
        _cleanup_free_ char *tmp2 = vz_asprintf("%s.tmp.%d", arch2, (int)getpid());
        assert_int_equal(access(tmp2, F_OK), -1);
        vz_rm_rf(d);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_extract_merged_usr),     cmocka_unit_test(test_extract_refuses_dotdot),
                cmocka_unit_test(test_extract_refuses_symlink_escape), cmocka_unit_test(test_extract_not_a_deb),
                cmocka_unit_test(test_extract_same_symlink_accepted),
                cmocka_unit_test(test_extract_symlink_over_directory_refused),
                cmocka_unit_test(test_extract_dir_under_merged_symlink),
                cmocka_unit_test(test_extract_escape_through_own_symlink),
                cmocka_unit_test(test_pack_sorted_and_atomic), cmocka_unit_test(test_format_names),
                cmocka_unit_test(test_unpack_in_background),
                cmocka_unit_test(test_pkgcache_drops_corrupt), cmocka_unit_test(test_snapshot_links_and_sparse),
                cmocka_unit_test(test_snapshot_durable_and_leftovers),
                cmocka_unit_test(test_stage_roundtrip_and_corrupt), cmocka_unit_test(test_stage_from_packed_cache),
                cmocka_unit_test(test_expand_same_package), cmocka_unit_test(test_expand_refuses_junk),
                cmocka_unit_test(test_expand_workers),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
