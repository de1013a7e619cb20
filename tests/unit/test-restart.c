/* test-restart.c: what counts as old code still running (restart.c):
 * maps lines, cgroup paths to units, sanitising of the tenant's strings,
 * and a scan of a made-up /proc tree. */
#include "unit.h"

#include "containers.h"

#include <fcntl.h>
#include <jansson.h>

static char *maps(const char *line, const char *root, int *ret)
{
        char *path = NULL;
        *ret = vz_restart_maps_line(line, root, &path);
        return path;
}

static void expect_path(const char *line, const char *root, const char *want)
{
        int r;
        _cleanup_free_ char *p = maps(line, root, &r);
        if (!want) {
                assert_int_equal(r, 0);
                assert_null(p);
                return;
        }
        assert_int_equal(r, 1);
        assert_string_equal(p, want);
}

static void test_maps_lines(void **state)
{
        int r;
        expect_path("7f1c2a000000-7f1c2a020000 r-xp 00002000 fe:00 1234                     "
                    "/usr/lib/x86_64-linux-gnu/libvzdemo.so.1 (deleted)\n",
                    NULL, "/usr/lib/x86_64-linux-gnu/libvzdemo.so.1");
        /* the same library, still the file on disk */
        expect_path("7f1c2a000000-7f1c2a020000 r-xp 00002000 fe:00 1234  /usr/lib/libvzdemo.so.1\n", NULL, NULL);
        /* a deleted data file (a cache, a locale archive) needs no restart */
        expect_path("7f1c2a000000-7f1c2a020000 r--p 00000000 fe:00 1234  /usr/lib/locale/locale-archive (deleted)",
                    NULL, NULL);
        expect_path("7f1c2a000000-7f1c2a020000 rw-s 00000000 00:01 7     /dev/zero (deleted)", NULL, NULL);
        expect_path("7f1c2a000000-7f1c2a020000 r-xs 00000000 00:01 7     /SYSV00000000 (deleted)", NULL, NULL);
        expect_path("7f1c2a000000-7f1c2a020000 r-xp 00000000 00:01 7     /memfd:runc_cloned:/proc/self/exe (deleted)",
                    NULL, NULL);
        expect_path("7f1c2a000000-7f1c2a020000 r-xp 00000000 fe:00 9     /tmp/jit-1.so (deleted)", NULL, NULL);
        expect_path("7f1c2a000000-7f1c2a020000 r-xp 00000000 fe:00 9     /run/x.so (deleted)", NULL, NULL);
        expect_path("7f1c2a000000-7f1c2a020000 r-xp 00000000 fe:00 9     /var/tmp/x.so (deleted)", NULL, NULL);
        expect_path("7f1c2a000000-7f1c2a020000 r-xp 00000000 fe:00 9     /dev/shm/x.so (deleted)", NULL, NULL);
        /* anonymous mappings and pseudo files */
        expect_path("556bbc71b000-556bbc72b000 rw-p 00000000 00:00 0 \n", NULL, NULL);
        expect_path("556bbc71b000-556bbc72b000 r-xp 00000000 00:00 0                  [vdso]\n", NULL, NULL);
        /* spaces in a path, and the suffix only at the end */
        expect_path("1000-2000 r-xp 00000000 fe:00 5      /opt/my app/lib (deleted) x.so (deleted)\n", NULL,
                    "/opt/my app/lib (deleted) x.so");
        /* a host path into the container's root loses the root */
        expect_path("1000-2000 r-xp 00000000 fe:00 5  /tmp/it/private/101/usr/lib/a.so (deleted)", "/tmp/it/private/101",
                    "/usr/lib/a.so");
        expect_path("1000-2000 r-xp 00000000 fe:00 5  /vz/private/1010/usr/lib/a.so (deleted)", "/vz/private/101",
                    "/vz/private/1010/usr/lib/a.so");
        /* malformed */
        assert_null(maps("garbage", NULL, &r));
        assert_int_equal(r, -EINVAL);
        assert_null(maps("1000-2000 r-xpp 0 fe:00 5 /a (deleted)", NULL, &r));
        assert_int_equal(r, -EINVAL);
        assert_null(maps("", NULL, &r));
        assert_int_equal(r, -EINVAL);
}

static void expect_unit(const char *cg, const char *init, enum vz_restart_kind kind, const char *unit)
{
        _cleanup_free_ char *u = NULL;
        assert_int_equal(vz_restart_unit(cg, init, &u), kind);
        if (unit)
                assert_string_equal(u, unit);
        else
                assert_null(u);
}

static void test_cgroup_units(void **state)
{
        const char *init = "0::/lxc.payload.c1/init.scope\n";
        expect_unit("0::/lxc.payload.c1/system.slice/vzdemo.service\n", init, VZ_RESTART_SERVICE, "vzdemo.service");
        expect_unit("0::/lxc.payload.c1/system.slice/getty@tty1.service\n", init, VZ_RESTART_SERVICE,
                    "getty@tty1.service");
        expect_unit("0::/lxc.payload.c1/user.slice/user-0.slice/session-3.scope\n", init, VZ_RESTART_SESSION, NULL);
        expect_unit("0::/lxc.payload.c1/user.slice/user-1000.slice/user@1000.service/app.slice/foo.service\n", init,
                    VZ_RESTART_SESSION, NULL);
        expect_unit("0::/lxc.payload.c1/init.scope\n", init, VZ_RESTART_INIT, NULL);
        expect_unit("0::/lxc.payload.c1\n", init, VZ_RESTART_OTHER, NULL);
        /* a container run by a service of the host: its unit is not the container's */
        expect_unit("0::/machine.slice/nspawn@x.service/payload\n",
                    "0::/machine.slice/nspawn@x.service/payload/init.scope\n", VZ_RESTART_OTHER, NULL);
        expect_unit("0::/machine.slice/nspawn@x.service/payload/system.slice/cron.service\n",
                    "0::/machine.slice/nspawn@x.service/payload/init.scope\n", VZ_RESTART_SERVICE, "cron.service");
        /* hybrid and legacy hierarchies: systemd's named one */
        expect_unit("9:name=systemd:/lxc/c1/system.slice/cron.service\n4:memory:/lxc/c1\n0::/\n",
                    "9:name=systemd:/lxc/c1/init.scope\n0::/\n", VZ_RESTART_SERVICE, "cron.service");
        /* the deepest service wins; systemd's '_' escape is undone */
        expect_unit("0::/a.service/system.slice/_cgroup.service\n", NULL, VZ_RESTART_SERVICE, "cgroup.service");
        /* names the tenant made up never become arguments */
        expect_unit("0::/c/system.slice/--help.service\n", NULL, VZ_RESTART_OTHER, NULL);
        expect_unit("0::/c/system.slice/a b.service\n", NULL, VZ_RESTART_OTHER, NULL);
        expect_unit("0::/c/system.slice/$(reboot).service\n", NULL, VZ_RESTART_OTHER, NULL);
        expect_unit("0::/c/system.slice/.service\n", NULL, VZ_RESTART_OTHER, NULL);
        expect_unit("", NULL, VZ_RESTART_OTHER, NULL);
        assert_true(vz_restart_unit_valid("foo@bar\\x2dbaz.service"));
        assert_false(vz_restart_unit_valid("foo.socket"));
        assert_false(vz_restart_unit_automatic("dbus.service"));
        assert_false(vz_restart_unit_automatic("serial-getty@ttyS0.service"));
        assert_true(vz_restart_unit_automatic("vzdemo.service"));
}

static void test_sanitize(void **state)
{
        char longname[2000];
        _cleanup_free_ char *a = vz_restart_sanitize("ok\x1b[2J\n\x7f\xc3\xa9");
        assert_string_equal(a, "ok\\x1b[2J\\x0a\\x7f\\xc3\\xa9");
        memset(longname, 'x', sizeof(longname) - 1);
        longname[sizeof(longname) - 1] = '\0';
        _cleanup_free_ char *b = vz_restart_sanitize(longname);
        assert_true(vz_endswith(b, "..."));
        assert_true(strlen(b) < 1100);
        assert_int_equal(vz_restart_nspid("Name:\tx\nPid:\t4567\nNSpid:\t4567\t12\nNSsid:\t1\n"), 12);
        assert_int_equal(vz_restart_nspid("Name:\tx\nPid:\t4567\n"), 0);
}

/* ---- a made-up /proc ------------------------------------------------------------- */

static void fake_proc(const char *dir, int pid, long ctpid, const char *ns, const char *comm, const char *exe,
                      const char *cgroup, const char *mapslines)
{
        _cleanup_free_ char *d = vz_asprintf("%s/%d", dir, pid), *nsd = vz_asprintf("%s/ns", d);
        _cleanup_free_ char *nsl = vz_asprintf("%s/pid", nsd), *exel = vz_asprintf("%s/exe", d);
        _cleanup_free_ char *status = vz_asprintf("Name:\t%s\nNSpid:\t%d\t%ld\n", comm, pid, ctpid);
        _cleanup_free_ char *c = vz_asprintf("%s\n", comm);
        assert_int_equal(vz_mkdir_p(nsd, 0755), 0);
        assert_int_equal(symlink(ns, nsl), 0);
        assert_int_equal(symlink(exe, exel), 0);
        write_text(d, "comm", c);
        write_text(d, "status", status);
        write_text(d, "cgroup", cgroup);
        write_text(d, "maps", mapslines);
}

static const char libc[] = "7f00-7f10 r-xp 00000000 fe:00 11 /usr/lib/x86_64-linux-gnu/libc.so.6\n";
static const char demo_old[] = "7f20-7f30 r--p 00000000 fe:00 12 /usr/lib/libvzdemo.so.1 (deleted)\n"
                               "7f30-7f40 r-xp 00001000 fe:00 12 /usr/lib/libvzdemo.so.1 (deleted)\n";

static void make_tree(const char *d)
{
        const char *ns = "pid:[4026532400]";
        _cleanup_free_ char *m1 = vz_asprintf("%s%s", libc, demo_old);
        fake_proc(d, 100, 1, ns, "systemd", "/usr/lib/systemd/systemd (deleted)", "0::/lxc.payload.c/init.scope\n", libc);
        fake_proc(d, 200, 51, ns, "vzdemod", "/usr/sbin/vzdemod", "0::/lxc.payload.c/system.slice/vzdemo.service\n", m1);
        fake_proc(d, 201, 52, ns, "vzdemod", "/usr/sbin/vzdemod", "0::/lxc.payload.c/system.slice/vzdemo.service\n", m1);
        fake_proc(d, 202, 53, ns, "dbus-daemon", "/usr/bin/dbus-daemon", "0::/lxc.payload.c/system.slice/dbus.service\n",
                  m1);
        fake_proc(d, 300, 60, ns, "bash\x1b]0;pwned\x07", "/usr/bin/bash (deleted)",
                  "0::/lxc.payload.c/user.slice/user-0.slice/session-1.scope\n", libc);
        fake_proc(d, 301, 61, ns, "cron", "/usr/sbin/cron", "0::/lxc.payload.c/system.slice/cron.service\n", libc);
        /* another PID namespace (the host, another container): never ours */
        fake_proc(d, 400, 400, "pid:[4026531836]", "other", "/usr/sbin/other (deleted)",
                  "0::/system.slice/other.service\n", demo_old);
        write_text(d, "self", "not a process\n");
}

static void test_scan_tree(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_close_ int fd = -1;
        struct vz_restart r;
        struct vz_error err = { 0 };
        make_tree(d);
        fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(vz_restart_scan_at(fd, 100, "/srv/ct", &r, &err), 0);
        assert_int_equal(r.n, 5);  /* 100, 200, 201, 202, 300 */
        assert_int_equal(vz_strv_len(r.services), 1);
        assert_string_equal(r.services[0], "vzdemo.service");
        assert_int_equal(vz_strv_len(r.manual), 1);
        assert_string_equal(r.manual[0], "dbus.service");
        assert_true(r.sessions);
        assert_false(r.others);
        assert_true(r.init_affected);
        assert_true(r.init_systemd);
        assert_string_equal(vz_restart_init_action(&r), "daemon-reexec");
        _cleanup_free_ char *line = vz_restart_line(&r);
        assert_string_equal(line, "restart needed: vzdemo.service; by hand: dbus.service; user sessions; "
                                  "init (systemctl daemon-reexec)");
        for (size_t i = 0; i < r.n; i++) {
                if (r.procs[i].pid == 200) {
                        assert_int_equal(r.procs[i].ct_pid, 51);
                        assert_int_equal(r.procs[i].n_files, 1);
                        assert_string_equal(r.procs[i].files[0], "/usr/lib/libvzdemo.so.1");
                        assert_int_equal(r.procs[i].kind, VZ_RESTART_SERVICE);
                }
                if (r.procs[i].pid == 300) {
                        assert_string_equal(r.procs[i].comm, "bash\\x1b]0;pwned\\x07");
                        assert_string_equal(r.procs[i].files[0], "/usr/bin/bash");
                        assert_int_equal(r.procs[i].kind, VZ_RESTART_SESSION);
                }
                assert_true(r.procs[i].pid != 301 && r.procs[i].pid != 400);
        }
        json_t *j = vz_restart_json(&r, NULL);
        assert_true(json_is_true(json_object_get(j, "needed")));
        assert_string_equal(json_string_value(json_object_get(j, "init")), "daemon-reexec");
        assert_null(json_object_get(j, "restarted"));
        assert_int_equal(json_array_size(json_object_get(j, "processes")), 5);
        json_decref(j);
        vz_restart_done(&r);
        /* the init gone: an error, not an empty report */
        assert_true(vz_restart_scan_at(fd, 999, NULL, &r, &err) < 0);
        vz_restart_done(&r);
        vz_rm_rf(d);
}

static void test_scan_clean(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_close_ int fd = -1;
        struct vz_restart r;
        struct vz_error err = { 0 };
        fake_proc(d, 100, 1, "pid:[7]", "init", "/sbin/init", "0::/\n", libc);
        fake_proc(d, 101, 2, "pid:[7]", "sshd", "/usr/sbin/sshd (deleted)", "0::/\n", libc);
        fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_int_equal(vz_restart_scan_at(fd, 100, NULL, &r, &err), 0);
        /* a non-systemd init: the process is reported, outside any service */
        assert_int_equal(r.n, 1);
        assert_true(r.others);
        assert_false(r.init_systemd);
        assert_int_equal(vz_strv_len(r.services), 0);
        _cleanup_free_ char *line = vz_restart_line(&r);
        assert_string_equal(line, "restart needed: processes outside any service");
        vz_restart_done(&r);
        vz_rm_rf(d);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_maps_lines), cmocka_unit_test(test_cgroup_units), cmocka_unit_test(test_sanitize),
                cmocka_unit_test(test_scan_tree),  cmocka_unit_test(test_scan_clean),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
