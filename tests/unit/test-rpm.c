/* test-rpm.c: the librpm module on files made here: a package built with
 * rpmbuild, a key made with gpg, an rpmdb written by rpm --justdb. Cases
 * whose tool is missing are skipped, saying which. */
#include "unit.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "vzrpm.h"

static const char spec[] = "Name: vztest\nEpoch: 2\nVersion: 1.0\nRelease: 1\nSummary: t\nLicense: none\n"
                           "BuildArch: noarch\n%description\nt\n%install\nmkdir -p %{buildroot}/etc\n"
                           "echo hi > %{buildroot}/etc/vztest.conf\n%files\n/etc/vztest.conf\n";

struct fixture {
        char *dir;
        char *pkg;  /* NULL: no rpmbuild */
        char *key;  /* NULL: no gpg */
};

static bool have(const char *tool)
{
        _cleanup_free_ char *cmd = vz_asprintf("command -v %s", tool);
        return unit_sh(cmd) == 0;
}

static int setup(void **state)
{
        struct fixture *f = vz_xmalloc(sizeof(*f));
        *f = (struct fixture){ .dir = scratch_dir() };
        write_text(f->dir, "t.spec", spec);
        if (have("rpmbuild")) {
                _cleanup_free_ char *cmd = vz_asprintf(
                        "cd %s && rpmbuild -bb --nodeps --quiet --define \"_topdir $PWD/top\" t.spec", f->dir);
                if (unit_sh(cmd) == 0)
                        f->pkg = vz_path_join(f->dir, "top/RPMS/noarch/vztest-1.0-1.noarch.rpm");
        }
        if (have("gpg") && have("gpgconf")) {
                _cleanup_free_ char *cmd = vz_asprintf(
                        "cd %s && mkdir -m700 g && export GNUPGHOME=$PWD/g && "
                        "gpg --batch --passphrase '' --quick-gen-key 'vzpkg unit' ed25519 sign never && "
                        "gpg --batch --armor --export >key.asc; r=$?; gpgconf --kill gpg-agent; exit $r",
                        f->dir);
                if (unit_sh(cmd) == 0)
                        f->key = vz_path_join(f->dir, "key.asc");
        }
        vz_rpm_setup(NULL);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;
        vz_rm_rf(f->dir);
        free(f->dir);
        free(f->pkg);
        free(f->key);
        free(f);
        return 0;
}

#define NEED(what, why)                                        \
        do {                                                   \
                if (!(what)) {                                 \
                        print_message("skipped: %s\n", why);   \
                        skip();                                \
                }                                              \
        } while (0)

static void test_keys_refused(void **state)
{
        struct fixture *f = *state;
        struct vz_rpm_keys *k = NULL;
        struct vz_error err = { 0 };
        _cleanup_free_ char *bad = vz_path_join(f->dir, "t.spec");
        assert_int_equal(vz_rpm_keys_load(NULL, "template t", &k, &err), -VZ_E_SIGNATURE);
        assert_non_null(strstr(err.msg, "template t: lists no signing key"));
        memset(&err, 0, sizeof(err));
        assert_int_equal(vz_rpm_keys_load((char *[]){ bad, NULL }, "template t", &k, &err), -VZ_E_SIGNATURE);
        assert_non_null(strstr(err.msg, "not an armored OpenPGP public key"));
        assert_non_null(strstr(err.msg, bad));
        assert_null(k);
}

static void test_header(void **state)
{
        struct fixture *f = *state;
        struct vz_rpm_header h;
        struct vz_error err = { 0 };
        NEED(f->pkg, "rpmbuild missing or failed");
        assert_int_equal(vz_rpm_read_header(f->pkg, &h, &err), 0);
        assert_string_equal(h.name, "vztest");
        assert_string_equal(h.version, "1.0");
        assert_string_equal(h.release, "1");
        assert_string_equal(h.arch, "noarch");
        assert_int_equal(h.epoch, 2);
        assert_string_equal(h.nevra, "vztest-2:1.0-1.noarch");
        vz_rpm_header_done(&h);
}

static void test_header_not_a_package(void **state)
{
        struct fixture *f = *state;
        struct vz_rpm_header h;
        struct vz_error err = { 0 };
        _cleanup_free_ char *bad = vz_path_join(f->dir, "t.spec");
        assert_int_equal(vz_rpm_read_header(bad, &h, &err), -VZ_E_CHECKSUM);
        assert_non_null(strstr(err.msg, bad));
}

/* The package is unsigned: the signature check fails naming it, its
 * digests pass, and a byte changed in its payload fails them. */
static void test_verify(void **state)
{
        struct fixture *f = *state;
        struct vz_error err = { 0 };
        _cleanup_free_ char *bad = vz_path_join(f->dir, "tampered.rpm");
        _cleanup_free_ char *cmd = NULL;
        NEED(f->pkg && f->key, "rpmbuild or gpg missing or failed");
        char *keys[] = { f->key, NULL };
        assert_int_equal(vz_rpm_verify_file(keys, "unit", f->pkg, "vztest", false, &err), -VZ_E_SIGNATURE);
        assert_non_null(strstr(err.msg, "package vztest: signature check failed"));
        memset(&err, 0, sizeof(err));
        assert_int_equal(vz_rpm_verify_file(keys, "unit", f->pkg, "vztest", true, &err), 0);
        cmd = vz_asprintf("cp %s %s && size=$(stat -c %%s %s) && "
                          "printf '\\377' | dd of=%s bs=1 seek=$((size - 8)) conv=notrunc",
                          f->pkg, bad, bad, bad);
        assert_int_equal(unit_sh(cmd), 0);
        assert_int_equal(vz_rpm_verify_file(keys, "unit", bad, "vztest", true, &err), -VZ_E_SIGNATURE);
        assert_non_null(strstr(err.msg, "package vztest: digest check failed"));
}

static void test_installed(void **state)
{
        struct fixture *f = *state;
        struct vz_pkglist l;
        struct vz_error err = { 0 };
        _cleanup_free_ char *root = vz_path_join(f->dir, "root");
        _cleanup_free_ char *cmd = NULL;
        _cleanup_free_ char *wal = vz_path_join(root, "var/lib/rpm/rpmdb.sqlite-wal");
        NEED(f->pkg && have("rpm"), "rpmbuild or rpm missing or failed");
        assert_int_equal(vz_mkdir_p(root, 0755), 0);
        cmd = vz_asprintf("rpm --root %s --dbpath /var/lib/rpm --define '_db_backend sqlite' --nodeps --justdb "
                          "--nosignature --nodigest -i %s", root, f->pkg);
        assert_int_equal(unit_sh(cmd), 0);
        assert_int_equal(access(wal, F_OK), 0);  /* rpm left an empty one */
        assert_int_equal(vz_rpm_installed(root, "unit", &l, &err), 0);
        assert_int_equal(l.n, 1);
        assert_string_equal(l.pkgs[0].name, "vztest");
        assert_string_equal(l.pkgs[0].arch, "noarch");
        assert_string_equal(l.pkgs[0].version, "2:1.0-1");
        assert_int_not_equal(access(wal, F_OK), 0);  /* the empty WAL this read left is gone */
        vz_pkglist_done(&l);
}

/* A link out of the root on the way to the rpmdb: refused before librpm
 * opens anything. */
static void test_installed_link(void **state)
{
        struct fixture *f = *state;
        struct vz_pkglist l;
        struct vz_error err = { 0 };
        _cleanup_free_ char *root = vz_path_join(f->dir, "evil");
        _cleanup_free_ char *lib = vz_path_join(root, "var/lib");
        assert_int_equal(vz_mkdir_p(lib, 0755), 0);
        _cleanup_free_ char *link = vz_path_join(lib, "rpm");
        assert_int_equal(symlink("/var/lib/dpkg", link), 0);
        assert_int_equal(vz_rpm_installed(root, "ct 101", &l, &err), -VZ_E_UNSAFE);
        assert_non_null(strstr(err.msg, "ct 101"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_keys_refused), cmocka_unit_test(test_header),
                cmocka_unit_test(test_header_not_a_package), cmocka_unit_test(test_verify),
                cmocka_unit_test(test_installed), cmocka_unit_test(test_installed_link),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
