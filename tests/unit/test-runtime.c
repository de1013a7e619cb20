/* test-runtime.c: plan validation everywhere; real containers where root
 * and namespaces are available (otherwise those tests are skipped: the
 * binary exits 77 when none could run). The container's root reuses the
 * host's /usr read-only, so a shell is there without building anything. */
#include "unit.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <sys/wait.h>

#include "runtime.h"
#include "runtime-internal.h"

#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>

static bool can_run_containers(void)
{
        pid_t pid;
        int st;
        if (geteuid() != 0)
                return false;
        pid = fork();
        if (pid == 0)
                _exit(unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC) == 0 ? 0 : 1);
        return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

struct capture {
        char buf[8192];
        size_t len;
};

static void on_output(void *userdata, const char *buf, size_t len)
{
        struct capture *c = userdata;
        if (c->len + len >= sizeof(c->buf))
                len = sizeof(c->buf) - c->len - 1;
        memcpy(c->buf + c->len, buf, len);
        c->len += len;
        c->buf[c->len] = '\0';
}

static char *make_root(void)
{
        char *d = scratch_dir();
        static const char *const links[][2] = { { "usr/bin", "bin" }, { "usr/sbin", "sbin" },
                                                { "usr/lib", "lib" }, { "usr/lib64", "lib64" } };
        _cleanup_free_ char *usr = vz_path_join(d, "usr");
        assert_int_equal(vz_mkdir_p(usr, 0755), 0);
        for (size_t i = 0; i < ELEMENTSOF(links); i++) {
                _cleanup_free_ char *l = vz_path_join(d, links[i][1]);
                assert_int_equal(symlink(links[i][0], l), 0);
        }
        return d;
}

static struct vz_ct_plan *shell_plan(const char *root, const char *script, struct capture *c)
{
        struct vz_ct_plan *p = vz_plan_new(root);
        char *argv[] = { "/bin/sh", "-c", (char *)script, NULL };
        vz_plan_bind(p, "/usr", "/usr", VZ_BIND_RO);
        vz_plan_hostname(p, "unit-ct");
        vz_plan_env(p, "PATH=/usr/bin:/usr/sbin");
        vz_plan_env(p, "MARK=42");
        vz_plan_command(p, argv);
        vz_plan_output(p, on_output, c);
        vz_plan_limits(p, 256LL << 20, 512);
        return p;
}

static int mounts_under(const char *root)
{
        _cleanup_free_ char *data = NULL;
        int n = 0;
        assert_int_equal(vz_read_file("/proc/self/mountinfo", &data, NULL), 0);
        for (char *p = data; (p = strstr(p, root)); p++)
                n++;
        return n;
}

static void test_validate(void **state)
{
        struct vz_error err = { 0 };
        _cleanup_plan_ struct vz_ct_plan *p = vz_plan_new("relative/root");
        char *argv[] = { "/bin/true", NULL };
        assert_int_equal(vz_plan_validate(p, &err), -EINVAL);
        _cleanup_plan_ struct vz_ct_plan *q = vz_plan_new("/srv/root");
        assert_int_equal(vz_plan_validate(q, &err), -EINVAL);  /* no command */
        vz_plan_command(q, argv);
        assert_int_equal(vz_plan_validate(q, &err), 0);
        vz_plan_bind(q, "/srv/x", "/../escape", 0);
        assert_int_equal(vz_plan_validate(q, &err), -EINVAL);
        _cleanup_plan_ struct vz_ct_plan *r = vz_plan_new("/");
        vz_plan_command(r, argv);
        assert_int_equal(vz_plan_validate(r, &err), -EINVAL);
}

static int ran;

static void test_container_isolation(void **state)
{
        if (!can_run_containers())
                skip();
        ran++;
        _cleanup_free_ char *root = make_root();
        struct capture c = { 0 };
        struct vz_error err = { 0 };
        int status = -1;
        _cleanup_plan_ struct vz_ct_plan *p = shell_plan(
                root,
                "echo pid=$$; echo host=$(hostname); echo mark=$MARK;"
                " echo ifs=$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | tr '\\n' ,);"
                " touch /sys/x 2>/dev/null || echo sys=ro; touch /usr/x 2>/dev/null || echo usr=ro;"
                " test -c /dev/null && test -c /dev/urandom && test -e /dev/ptmx && echo dev=ok;"
                " test -e /proc/self/root && echo proc=ok; echo cg=$(grep -vc ':/$' /proc/self/cgroup);"
                " chmod 600 /dev/null; echo x > /dev/null && echo null=ok; exit 7",
                &c);
        assert_int_equal(vz_ct_run(p, &status, &err), 0);
        assert_int_equal(status, 7);
        assert_non_null(strstr(c.buf, "pid=2\n"));   /* PID 1 is our reaper */
        assert_non_null(strstr(c.buf, "host=unit-ct\n"));
        assert_non_null(strstr(c.buf, "mark=42\n"));
        assert_non_null(strstr(c.buf, "ifs=lo,\n"));  /* loopback only */
        assert_non_null(strstr(c.buf, "sys=ro\n"));
        assert_non_null(strstr(c.buf, "usr=ro\n"));
        assert_non_null(strstr(c.buf, "dev=ok\n"));
        assert_non_null(strstr(c.buf, "proc=ok\n"));
        assert_non_null(strstr(c.buf, "null=ok\n"));
        struct stat null;
        assert_int_equal(stat("/dev/null", &null), 0);
        assert_int_equal(null.st_mode & 0777, 0666);  /* the container's chmod stayed inside */
        if (!strstr(c.buf, "cg=0\n"))
                fprintf(stderr, "container output:\n%s", c.buf);
        assert_non_null(strstr(c.buf, "cg=0\n"));  /* its own cgroup namespace */
        assert_int_equal(mounts_under(root), 0);      /* nothing left on the host */
        /* nor its cgroup (the shared parent may be in use by another vzpkg) */
        _cleanup_free_ char *v1 = vz_asprintf("/sys/fs/cgroup/memory/vzpkg/ct-%d", (int)getpid());
        _cleanup_free_ char *v2 = vz_asprintf("/sys/fs/cgroup/vzpkg/ct-%d", (int)getpid());
        assert_int_equal(access(v1, F_OK), -1);
        assert_int_equal(access(v2, F_OK), -1);
        vz_rm_rf(root);
}

static void test_exec_failure_reported(void **state)
{
        if (!can_run_containers())
                skip();
        ran++;
        _cleanup_free_ char *root = make_root();
        struct capture c = { 0 };
        struct vz_error err = { 0 };
        int status = -1;
        char *argv[] = { "/no/such/binary", NULL };
        _cleanup_plan_ struct vz_ct_plan *p = shell_plan(root, "", &c);
        vz_plan_command(p, argv);
        assert_int_equal(vz_ct_run(p, &status, &err), -VZ_E_RUNTIME);
        assert_non_null(strstr(err.msg, "/no/such/binary"));
        assert_non_null(strstr(err.msg, "No such file"));
        vz_rm_rf(root);
}

static void test_symlinked_mount_target_refused(void **state)
{
        if (!can_run_containers())
                skip();
        ran++;
        _cleanup_free_ char *root = make_root();
        _cleanup_free_ char *proc = vz_path_join(root, "proc");
        struct capture c = { 0 };
        struct vz_error err = { 0 };
        int status = -1;
        assert_int_equal(symlink("/etc", proc), 0);  /* a hostile root */
        _cleanup_plan_ struct vz_ct_plan *p = shell_plan(root, "true", &c);
        assert_int_equal(vz_ct_run(p, &status, &err), -VZ_E_RUNTIME);
        assert_non_null(strstr(err.msg, "proc"));
        assert_int_equal(mounts_under(root), 0);
        vz_rm_rf(root);
}

/* "sleep N" with an N of this test process's own: another program on the
 * machine (another run of this test, say) cannot be mistaken for ours. */
static char *sleeper_arg(void)
{
        return vz_asprintf("%d", 100000 + (int)getpid());
}

static char *sleepers_script(void)
{
        _cleanup_free_ char *n = sleeper_arg();
        return vz_asprintf("sleep %s & sleep %s", n, n);
}

/* Processes whose command line is exactly "sleep N" (sleeper_arg). */
static int count_sleepers(void)
{
        _cleanup_free_ char *n = sleeper_arg();
        _cleanup_free_ char *want = vz_asprintf("sleep%c%s", '\0', n);
        size_t wlen = strlen("sleep") + 1 + strlen(n) + 1;
        DIR *d = opendir("/proc");
        struct dirent *de;
        int count = 0;
        while (d && (de = readdir(d))) {
                _cleanup_free_ char *p = vz_asprintf("/proc/%s/cmdline", de->d_name);
                _cleanup_free_ char *cmd = NULL;
                size_t len = 0;
                if (vz_read_file(p, &cmd, &len) == 0 && len == wlen && memcmp(cmd, want, wlen) == 0)
                        count++;
        }
        if (d)
                closedir(d);
        return count;
}

/* A second of grace, as the integration tests give: the kernel may still
 * be tearing the dead namespace down when the call returns. */
static int sleepers_after_grace(void)
{
        int n = count_sleepers();
        for (int i = 0; i < 20 && n > 0; i++) {
                usleep(50 * 1000);
                n = count_sleepers();
        }
        return n;
}

static int cancel_now;
static int cancelled(void) { return cancel_now++ > 3; }

static void test_cancel_kills_everything(void **state)
{
        if (!can_run_containers())
                skip();
        ran++;
        _cleanup_free_ char *root = make_root();
        struct capture c = { 0 };
        struct vz_error err = { 0 };
        int status = -1;
        /* a background child that would outlive a naive kill */
        _cleanup_free_ char *script = sleepers_script();
        _cleanup_plan_ struct vz_ct_plan *p = shell_plan(root, script, &c);
        vz_plan_cancel(p, cancelled);
        assert_int_equal(vz_ct_run(p, &status, &err), -VZ_E_INTERRUPTED);
        assert_int_equal(sleepers_after_grace(), 0);  /* nothing of the container survived */
        assert_int_equal(mounts_under(root), 0);
        vz_rm_rf(root);
}

/* What a tenant's root would try from a maintainer script or exec: each
 * line prints "NAME=open" only when the escape route is open. */
static const char escapes[] =
        "grep -q '^NoNewPrivs:.*1' /proc/self/status || echo nnp=open;"
        " grep -q '^Seccomp:.*2' /proc/self/status || echo seccomp=open;"
        " caps=$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status);"
        " [ $(( 0x$caps & (1 << 21) )) = 0 ] || echo cap_sys_admin=open;"
        " [ $(( 0x$caps & (1 << 27) )) = 0 ] || echo cap_mknod=open;"
        " [ $(( 0x$caps & (1 << 16) )) = 0 ] || echo cap_sys_module=open;"
        " [ $(( 0x$caps & (1 << 17) )) = 0 ] || echo cap_sys_rawio=open;"
        " [ $(( 0x$caps & (1 << 2) )) = 0 ] || echo cap_dac_read_search=open;"
        " grep -q '^CapBnd:[[:space:]]*0000000000000000' /proc/self/status && echo bounding=empty;"
        " mknod /tmp/hd b 8 0 2>/dev/null && echo mknod_block=open;"
        " mknod /tmp/mem c 1 1 2>/dev/null && echo mknod_char=open;"
        " mkfifo /tmp/fifo && echo fifo=ok;"
        " mount -t tmpfs none /mnt 2>/dev/null && echo mount=open;"
        " mount --bind / /mnt 2>/dev/null && echo bind=open;"
        " (echo evil >/proc/sys/kernel/hostname) 2>/dev/null && echo proc_sys=open;"
        " (echo h >/proc/sysrq-trigger) 2>/dev/null && echo sysrq=open;"
        " touch /sys/kernel/x 2>/dev/null && echo sys=open;"
        " cat /proc/1/exe >/dev/null 2>&1 && echo proc1_exe=open;"
        " readlink /proc/1/fd/0 >/dev/null 2>&1 && echo proc1_fd=open;"
        " cat /proc/1/environ >/dev/null 2>&1 && echo proc1_environ=open;"
        " unshare -U true 2>/dev/null && echo unshare_user=open;"
        " unshare -m true 2>/dev/null && echo unshare_mount=open;"
        " test -e /proc/self/fd/$LEAK && echo fd_leak=open;"
        " ls /dev | tr '\\n' ' ' | sed 's/^/dev=/'; echo;"
        " echo done";

/* The sync family in the container: 0 from the filter under
 * vz_plan_nosync (even for a descriptor that does not exist, so the
 * kernel never saw the call), the kernel's own answer (EBADF) otherwise. */
static int sync_calls(void *userdata)
{
        (void)userdata;
        int n = 0;
        n += fsync(-1) == 0;
        n += fdatasync(-1) == 0;
        n += syncfs(-1) == 0;
        n += sync_file_range(-1, 0, 0, SYNC_FILE_RANGE_WRITE) == 0;
        return n;  /* how many answered 0 */
}

static void test_nosync(void **state)
{
        if (!can_run_containers())
                skip();
        ran++;
        _cleanup_free_ char *root = make_root();
        struct vz_error err = { 0 };
        for (int nosync = 0; nosync <= 1; nosync++) {
                int status = -1;
                _cleanup_plan_ struct vz_ct_plan *p = vz_plan_new(root);
                vz_plan_function(p, sync_calls, NULL);
                vz_plan_nosync(p, nosync);
                assert_int_equal(vz_ct_run(p, &status, &err), 0);
                assert_int_equal(status, nosync ? 4 : 0);
        }
        vz_rm_rf(root);
}

static void test_escapes_refused(void **state)
{
        if (!can_run_containers())
                skip();
        ran++;
        _cleanup_free_ char *root = make_root();
        struct capture c = { 0 };
        struct vz_error err = { 0 };
        int status = -1;
        /* a descriptor of vzpkg's without O_CLOEXEC: a directory of the host */
        _cleanup_close_ int leak = open("/", O_RDONLY | O_DIRECTORY);
        _cleanup_free_ char *leakenv = vz_asprintf("LEAK=%d", leak);
        _cleanup_free_ char *mnt = vz_path_join(root, "mnt");
        _cleanup_free_ char *tmp = vz_path_join(root, "tmp");
        assert_true(leak >= 3);
        assert_int_equal(vz_mkdir_p(mnt, 0755), 0);
        assert_int_equal(vz_mkdir_p(tmp, 01777), 0);
        _cleanup_plan_ struct vz_ct_plan *p = shell_plan(root, escapes, &c);
        vz_plan_env(p, leakenv);
        assert_int_equal(vz_ct_run(p, &status, &err), 0);
        if (!strstr(c.buf, "done\n") || strstr(c.buf, "=open"))
                fprintf(stderr, "container output:\n%s", c.buf);
        assert_non_null(strstr(c.buf, "done\n"));
        assert_non_null(strstr(c.buf, "fifo=ok\n"));        /* what packages do still works */
        assert_null(strstr(c.buf, "=open"));
        assert_null(strstr(c.buf, "bounding=empty"));       /* chown, setuid, ... are kept */
        assert_non_null(strstr(c.buf, "dev=fd full null ptmx pts random shm stderr stdin stdout tty urandom zero"));
        assert_int_equal(mounts_under(root), 0);
        vz_rm_rf(root);
}

/* What the package managers need still works under the confinement:
 * owners and modes as given, and file capabilities written as the host's
 * own (v2) attribute, the bytes a cache must carry. */
static void test_ownership_and_file_caps(void **state)
{
        if (!can_run_containers())
                skip();
        ran++;
        _cleanup_free_ char *root = make_root();
        _cleanup_free_ char *owned = vz_path_join(root, "owned");
        _cleanup_free_ char *capped = vz_path_join(root, "capped");
        struct capture c = { 0 };
        struct vz_error err = { 0 };
        struct stat st;
        char xattr[64];
        int status = -1;
        assert_int_equal(access("/usr/sbin/setcap", X_OK), 0);  /* libcap2-bin, tests/integration/DEPENDS */
        _cleanup_plan_ struct vz_ct_plan *p = shell_plan(
                root,
                "touch /owned /capped && chown 1234:5678 /owned && chmod 4750 /owned &&"
                " /usr/sbin/setcap cap_net_raw+ep /capped && echo ok",
                &c);
        assert_int_equal(vz_ct_run(p, &status, &err), 0);
        if (status != 0)
                fprintf(stderr, "container output:\n%s", c.buf);
        assert_int_equal(status, 0);
        assert_int_equal(stat(owned, &st), 0);
        assert_int_equal(st.st_uid, 1234);
        assert_int_equal(st.st_gid, 5678);
        assert_int_equal(st.st_mode & 07777, 04750);
        /* VFS_CAP_REVISION_2: 20 bytes, no namespace root id */
        ssize_t n = getxattr(capped, "security.capability", xattr, sizeof(xattr));
        assert_int_equal(n, 20);
        assert_int_equal(xattr[3], 0x02);
        vz_rm_rf(root);
}

static void test_timeout_kills_everything(void **state)
{
        if (!can_run_containers())
                skip();
        ran++;
        _cleanup_free_ char *root = make_root();
        struct capture c = { 0 };
        struct vz_error err = { 0 };
        int status = -1;
        _cleanup_free_ char *script = sleepers_script();
        _cleanup_plan_ struct vz_ct_plan *p = shell_plan(root, script, &c);
        vz_plan_timeout(p, 1);
        assert_int_equal(vz_ct_run(p, &status, &err), -VZ_E_RUNTIME);
        assert_non_null(strstr(err.msg, "did not finish within 1 s"));
        assert_int_equal(sleepers_after_grace(), 0);
        assert_int_equal(mounts_under(root), 0);
        vz_rm_rf(root);
}

/* ---- attaching to a running container (attach.c) ----------------------------- */

static void test_attach_parsers(void **state)
{
        uint64_t m = 0;
        _cleanup_free_ char *cg = NULL;
        assert_int_equal(vz_attach_parse_capbnd("Name:\tx\nCapEff:\t0000000000000000\nCapBnd:\t000001ffffffffff\n", &m), 0);
        assert_true(m == 0x1ffffffffffULL);
        assert_int_equal(vz_attach_parse_capbnd("CapBnd:\t00000000a80425fb\nSeccomp:\t0\n", &m), 0);
        assert_true(m == 0xa80425fbULL);
        assert_int_equal(vz_attach_parse_capbnd("CapEff:\t0\n", &m), -ENOENT);
        assert_int_equal(vz_attach_parse_capbnd("CapBnd:\t1ffffffffffffffffff\n", &m), -EINVAL);  /* > 64 bits */
        assert_int_equal(vz_attach_parse_capbnd("CapBnd:\tzz\n", &m), -EINVAL);
        assert_int_equal(vz_attach_parse_capbnd("CapBnd:\t1f x\n", &m), -EINVAL);

        assert_true(vz_attach_cgroup_path_ok("/"));
        assert_true(vz_attach_cgroup_path_ok("/lxc.payload.ct101"));
        assert_true(vz_attach_cgroup_path_ok("/lxc.payload.ct101/init.scope"));
        assert_false(vz_attach_cgroup_path_ok(""));
        assert_false(vz_attach_cgroup_path_ok("lxc.payload"));
        assert_false(vz_attach_cgroup_path_ok("/a/../../etc"));
        assert_false(vz_attach_cgroup_path_ok("/a/./b"));
        assert_false(vz_attach_cgroup_path_ok("/a//b"));
        assert_false(vz_attach_cgroup_path_ok("/a/"));
        assert_false(vz_attach_cgroup_path_ok("/a\nb"));
        assert_false(vz_attach_cgroup_path_ok("/.."));

        assert_int_equal(vz_attach_parse_cgroup("4:memory:/x\n0::/lxc.payload.a/init.scope\n", &cg), 0);
        assert_string_equal(cg, "/lxc.payload.a/init.scope");
        assert_int_equal(vz_attach_parse_cgroup("1:cpu:/\n", &cg), -ENOENT);
        assert_int_equal(vz_attach_parse_cgroup("0::/a/../b\n", &cg), -EINVAL);
}

/* A running container of our own: PID 1 of new namespaces, chrooted into
 * root with the host's /usr bound read-only and a /proc, pausing. Returns
 * its host pid; *ret_parent is the process to reap. */
static pid_t start_running_ct(const char *root, pid_t *ret_parent)
{
        int fds[2], rdy[2];
        pid_t init = 0;
        char ready;
        assert_int_equal(pipe(fds), 0);
        assert_int_equal(pipe(rdy), 0);
        pid_t parent = fork();
        assert_true(parent >= 0);
        if (parent == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET) < 0)
                        _exit(1);
                pid_t i = fork();
                if (i == 0) {
                        prctl(PR_SET_PDEATHSIG, SIGKILL);
                        _cleanup_free_ char *usr = vz_path_join(root, "usr");
                        _cleanup_free_ char *proc = vz_path_join(root, "proc");
                        mkdir(proc, 0555);
                        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
                            mount("/usr", usr, NULL, MS_BIND | MS_REC, NULL) < 0 ||
                            mount(NULL, usr, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0 ||
                            mount("proc", proc, "proc", 0, NULL) < 0 || chroot(root) < 0 || chdir("/") < 0)
                                _exit(1);
                        if (write(rdy[1], "r", 1) != 1)
                                _exit(1);
                        for (;;)
                                pause();
                }
                if (write(fds[1], &i, sizeof(i)) != sizeof(i))
                        _exit(1);
                waitpid(i, NULL, 0);
                _exit(0);
        }
        close(fds[1]);
        close(rdy[1]);
        assert_int_equal(read(fds[0], &init, sizeof(init)), sizeof(init));
        assert_int_equal(read(rdy[0], &ready, 1), 1);
        close(fds[0]);
        close(rdy[0]);
        *ret_parent = parent;
        return init;
}

static void stop_running_ct(pid_t init, pid_t parent)
{
        kill(init, SIGKILL);
        waitpid(parent, NULL, 0);
}

struct attach_watch {
        struct capture c;
        pid_t init;
        int seen_by_init;   /* the bind, looked up in the init's mounts */
};

static void on_attach_output(void *userdata, const char *buf, size_t len)
{
        struct attach_watch *w = userdata;
        on_output(&w->c, buf, len);
        if (strstr(w->c.buf, "ready\n") && w->seen_by_init < 0) {
                _cleanup_free_ char *p = vz_asprintf("/proc/%d/root/run/vzpkg/packages/marker", (int)w->init);
                w->seen_by_init = access(p, F_OK) == 0;
        }
}

static bool alive(pid_t pid)
{
        return kill(pid, 0) == 0;
}

static int dummy_fn(void *userdata) { return 0; }

/* Our attach cgroup (vzpkg-attach.<our pid>) below the init's, which is
 * ours too here: gone after every run. */
static bool attach_cgroup_left(pid_t init)
{
        _cleanup_free_ char *path = vz_asprintf("/proc/%d/cgroup", (int)init), *text = NULL, *cg = NULL;
        static const char *const tops[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
        assert_int_equal(vz_read_file(path, &text, NULL), 0);
        assert_int_equal(vz_attach_parse_cgroup(text, &cg), 0);
        for (size_t i = 0; i < ELEMENTSOF(tops); i++) {
                _cleanup_free_ char *d = vz_asprintf("%s%s/vzpkg-attach.%d", tops[i], strcmp(cg, "/") ? cg : "",
                                                     (int)getpid());
                if (access(d, F_OK) == 0)
                        return true;
        }
        return false;
}

static void test_attach_running(void **state)
{
        if (!can_run_containers())
                skip();
        ran++;
        _cleanup_free_ char *root = make_root();
        _cleanup_free_ char *pkgs = scratch_dir();
        _cleanup_free_ char *runpath = vz_path_join(root, "run");
        struct attach_watch w = { .seen_by_init = -1 };
        struct vz_error err = { 0 };
        int status = -1;
        pid_t parent, init = start_running_ct(root, &parent);
        w.init = init;
        write_text(pkgs, "marker", "cache\n");

        /* the bind reaches the command, read-only, and nobody else */
        _cleanup_plan_ struct vz_ct_plan *p = vz_plan_new(root);
        char *argv[] = { "/bin/sh", "-c",
                         "cat /run/vzpkg/packages/marker; touch /run/vzpkg/packages/x 2>&1 | grep -q Read-only && echo ro=yes;"
                         " echo pidns=$(readlink /proc/self/ns/pid);"
                         " grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status | tr -d '\\t\\n'; echo;"
                         " echo ready; sleep 1; exit 5",
                         NULL };
        vz_plan_command(p, argv);
        vz_plan_bind(p, pkgs, "/run/vzpkg/packages", VZ_BIND_RO);
        vz_plan_output(p, on_attach_output, &w);
        vz_plan_attach(p, init);
        int rr = vz_ct_run(p, &status, &err);
        if (rr < 0)
                fprintf(stderr, "attach: %s\n", err.msg);
        assert_int_equal(rr, 0);
        char ns[64] = "";
        _cleanup_free_ char *nspath = vz_asprintf("/proc/%d/ns/pid", (int)init);
        assert_true(readlink(nspath, ns, sizeof(ns) - 1) > 0);
        _cleanup_free_ char *want = vz_asprintf("cache\nro=yes\npidns=%s\nNoNewPrivs:1Seccomp:2\nready\n", ns);
        if (!strstr(w.c.buf, want))
                fprintf(stderr, "attach output: %s\n", w.c.buf);
        assert_int_equal(status, 5);
        assert_non_null(strstr(w.c.buf, want));
        assert_int_equal(w.seen_by_init, 0);
        assert_int_equal(access(runpath, F_OK), -1);  /* the mount point we made is gone */
        assert_int_equal(mounts_under(root), 0);     /* no mount on the host */
        _cleanup_free_ char *mi = vz_asprintf("/proc/%d/mountinfo", (int)init), *mdata = NULL;
        assert_int_equal(vz_read_file(mi, &mdata, NULL), 0);
        assert_null(strstr(mdata, "/run/vzpkg"));     /* nor in the container */
        assert_true(alive(init));
        assert_false(attach_cgroup_left(init));

        /* a timeout kills the command's processes, not the container */
        _cleanup_free_ char *script = sleepers_script();
        char *argv2[] = { "/bin/sh", "-c", script, NULL };
        _cleanup_plan_ struct vz_ct_plan *q = vz_plan_new(root);
        vz_plan_command(q, argv2);
        vz_plan_timeout(q, 1);
        vz_plan_attach(q, init);
        assert_int_equal(vz_ct_run(q, &status, &err), -VZ_E_RUNTIME);
        assert_non_null(strstr(err.msg, "did not finish within 1 s"));
        assert_int_equal(sleepers_after_grace(), 0);
        assert_true(alive(init));
        assert_false(attach_cgroup_left(init));

        /* function plans are refused, a wrong root too */
        _cleanup_plan_ struct vz_ct_plan *f = vz_plan_new(root);
        vz_plan_function(f, dummy_fn, NULL);
        vz_plan_attach(f, init);
        assert_int_equal(vz_ct_run(f, &status, &err), -ENOTSUP);
        _cleanup_plan_ struct vz_ct_plan *o = vz_plan_new("/usr");
        vz_plan_command(o, argv);
        vz_plan_attach(o, init);
        assert_int_equal(vz_ct_run(o, &status, &err), -ESRCH);

        stop_running_ct(init, parent);
        vz_rm_rf(root);
        vz_rm_rf(pkgs);
}

static void test_host_run(void **state)
{
        struct capture c = { 0 };
        struct vz_error err = { 0 };
        char *argv[] = { "/bin/sh", "-c", "echo out; echo err >&2; exit 3", NULL };
        char *envp[] = { "PATH=/usr/bin:/bin", NULL };
        int status = -1;
        assert_int_equal(vz_host_run(argv, envp, on_output, &c, NULL, &status, &err), 0);
        assert_int_equal(status, 3);
        assert_non_null(strstr(c.buf, "out\n"));
        assert_non_null(strstr(c.buf, "err\n"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_validate),
                cmocka_unit_test(test_host_run),
                cmocka_unit_test(test_container_isolation),
                cmocka_unit_test(test_exec_failure_reported),
                cmocka_unit_test(test_symlinked_mount_target_refused),
                cmocka_unit_test(test_cancel_kills_everything),
                cmocka_unit_test(test_escapes_refused),
                cmocka_unit_test(test_nosync),
                cmocka_unit_test(test_timeout_kills_everything),
                cmocka_unit_test(test_ownership_and_file_caps),
                cmocka_unit_test(test_attach_parsers),
                cmocka_unit_test(test_attach_running),
        };
        int r = cmocka_run_group_tests(tests, NULL, NULL);
        if (r == 0 && ran == 0) {
                fprintf(stderr, "SKIP: container tests need root and namespaces\n");
                return 77;
        }
        return r;
}
