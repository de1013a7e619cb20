/* test-commands.c: the command table's preconditions, enforced by the
 * dispatcher (commands/dispatch.c) for a fake command, and --json output
 * of hostile names (context/json.c, list appcache). */
#include "unit.h"

#include "context.h"
#include "pipeline.h"
#include "commands.h"

#include <fcntl.h>
#include <getopt.h>
#include <sys/wait.h>

static int ran;  /* how often the fake command's body ran */

static const char fake_help[] = "Usage: vzpkg fake ARG...\n";

static int fake_run(struct vz_ctx *ctx, int argc, char **argv)
{
        struct vz_opts o;
        int r = vz_cmd_options(ctx, argc, argv, VZ_OPT_FORCE, &o, fake_help);
        if (r >= 0)
                return r;
        ran++;
        return 0;
}

/* Run the fake command declared with min..max arguments and flags. */
static int dispatch(struct vz_ctx *ctx, int min, int max, unsigned flags, const char *const *args)
{
        const struct vz_command cmd = { "fake", fake_run, "a fake command", min, max, flags, "it is a test", NULL };
        char *argv[16];
        int argc = 0;
        for (; args[argc]; argc++)
                argv[argc] = (char *)args[argc];
        argv[argc] = NULL;
        return vz_cmd_dispatch(ctx, &cmd, argc, argv);
}

static void test_dispatch_args(void **state)
{
        struct vz_ctx ctx = { 0 };
        const char *const none[] = { "fake", "-f", NULL };
        const char *const two[] = { "fake", "a", "-q", "b", NULL };
        const char *const help[] = { "fake", "--help", NULL };
        (void)state;
        ran = 0;
        assert_int_equal(dispatch(&ctx, 1, VZ_ARGS_ANY, 0, none), VZ_EXIT_USAGE);
        assert_int_equal(dispatch(&ctx, 0, 1, 0, two), VZ_EXIT_USAGE);
        assert_int_equal(ran, 0);
        assert_int_equal(dispatch(&ctx, 2, 2, 0, two), 0);  /* options do not count */
        assert_int_equal(dispatch(&ctx, 0, 0, 0, none), 0);
        assert_int_equal(ran, 2);
        /* --help before any precondition: 0, the body not run */
        assert_int_equal(dispatch(&ctx, 3, 3, VZ_CMD_ROOT | VZ_CMD_NETWORK, help), 0);
        assert_int_equal(ran, 2);
        assert_null(ctx.cmd);  /* the dispatcher forgets the command afterwards */
        /* a bad option is a usage error before the argument count */
        const char *const bad[] = { "fake", "-w", NULL };
        assert_int_equal(dispatch(&ctx, 0, 0, 0, bad), VZ_EXIT_USAGE);
        assert_int_equal(ran, 2);
}

static void test_dispatch_network(void **state)
{
        struct vz_ctx ctx = { 0 };
        const char *const cached[] = { "fake", "-C", "x", NULL };
        const char *const plain[] = { "fake", "x", NULL };
        (void)state;
        ran = 0;
        assert_int_equal(dispatch(&ctx, 1, 1, VZ_CMD_NETWORK, cached), VZ_EXIT_USAGE);
        assert_int_equal(ran, 0);
        ctx.cache_only = false;
        assert_int_equal(dispatch(&ctx, 1, 1, VZ_CMD_NETWORK, plain), 0);
        ctx.cache_only = false;
        assert_int_equal(dispatch(&ctx, 1, 1, 0, cached), 0);  /* -C is fine for a command that can do without */
        assert_int_equal(ran, 2);
}

/* Root: as a user that is not (uid 65534 in a child when the test runs as
 * root), exit 10 and the body not run; --help still works. */
static void test_dispatch_root(void **state)
{
        const char *const args[] = { "fake", "x", NULL };
        const char *const help[] = { "fake", "-h", NULL };
        int status;
        (void)state;
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                struct vz_ctx ctx = { 0 };
                if (geteuid() == 0 && setresuid(65534, 65534, 65534) < 0)
                        _exit(99);
                ran = 0;
                int a = dispatch(&ctx, 1, 1, VZ_CMD_ROOT, args);
                int b = dispatch(&ctx, 1, 1, VZ_CMD_ROOT, help);
                int c = dispatch(&ctx, 1, 1, 0, args);
                _exit(a == VZ_EXIT_NOT_ROOT && b == 0 && c == 0 && ran == 1 ? 0 : 1);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        if (geteuid() == 0) {
                struct vz_ctx ctx = { 0 };
                ran = 0;
                assert_int_equal(dispatch(&ctx, 1, 1, VZ_CMD_ROOT, args), 0);
                assert_int_equal(ran, 1);
        }
}

/* Run fn with stdout in a file; its text. */
static char *capture(void (*fn)(void *), void *arg)
{
        char path[] = "/tmp/vzpkg-unit-out.XXXXXX";
        int fd = mkstemp(path), saved = dup(STDOUT_FILENO);
        char *text = NULL;
        assert_true(fd >= 0 && saved >= 0);
        fflush(stdout);
        assert_true(dup2(fd, STDOUT_FILENO) >= 0);
        fn(arg);
        fflush(stdout);
        assert_true(dup2(saved, STDOUT_FILENO) >= 0);
        close(saved);
        close(fd);
        assert_int_equal(vz_read_file(path, &text, NULL), 0);
        unlink(path);
        return text;
}

#define HOSTILE "q\"uo\\te\x01\n\tx\xff\xc3(\xed\xa0\x80y\xe2\x82\xac"
/* valid parts kept, control characters escaped by jansson, each invalid byte U+FFFD */
#define CLEANED "q\"uo\\te\x01\n\tx\xef\xbf\xbd\xef\xbf\xbd(\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdy\xe2\x82\xac"

static void print_hostile(void *arg)
{
        (void)arg;
        assert_int_equal(vz_json_print(json_pack("{s:o, s:o, s:I}", "template", vz_json_string(HOSTILE), "cache",
                                                 vz_json_string(NULL), "size", (json_int_t)7),
                                       JSON_COMPACT),
                         0);
}

static void test_json_hostile_string(void **state)
{
        (void)state;
        _cleanup_free_ char *out = capture(print_hostile, NULL);
        json_error_t jerr;
        json_t *doc = json_loads(out, 0, &jerr);
        assert_non_null(doc);
        assert_non_null(strchr(out, '\n'));
        assert_null(strchr(out, '\x01'));  /* escaped, not raw */
        assert_string_equal(json_string_value(json_object_get(doc, "template")), CLEANED);
        assert_true(json_is_null(json_object_get(doc, "cache")));
        assert_int_equal(json_integer_value(json_object_get(doc, "size")), 7);
        json_decref(doc);
        json_t *ok = vz_json_string("caf\xc3\xa9");  /* valid UTF-8 is kept as is */
        assert_string_equal(json_string_value(ok), "caf\xc3\xa9");
        json_decref(ok);
}

struct list_run {
        struct vz_ctx *ctx;
        int rc;
};

static void list_appcache(void *arg)
{
        struct list_run *run = arg;
        char *argv[] = { (char *)"list appcache", NULL };
        const struct vz_command cmd = { "list appcache", vz_cmd_list_appcache, "", 0, 0, 0, NULL, NULL };
        run->rc = vz_cmd_dispatch(run->ctx, &cmd, 1, argv);
}

/* list appcache --json: an OS template name made of quotes, control
 * characters and bytes that are not UTF-8 (the cache directory's file
 * names are all it has) comes out as valid JSON. */
static void test_json_list_appcache(void **state)
{
        (void)state;
        _cleanup_free_ char *dir = scratch_dir();
        const char *name = "deb\"i\x02" "an\xff_app_0123456789abcdef0123456789abcdef";
        _cleanup_free_ char *list = vz_asprintf("%s.list", name), *tar = vz_asprintf("%s.tar.zst", name);
        struct vz_ctx ctx = { .json = true };
        struct list_run run = { &ctx, -1 };
        write_text(dir, list, "     tools\n");
        write_text(dir, tar, "x");
        ctx.cfg.cache_dir = dir;
        _cleanup_free_ char *out = capture(list_appcache, &run);
        assert_int_equal(run.rc, 0);
        json_error_t jerr;
        json_t *doc = json_loads(out, 0, &jerr);
        assert_non_null(doc);
        assert_int_equal(json_array_size(doc), 1);
        json_t *e = json_array_get(doc, 0);
        assert_string_equal(json_string_value(json_object_get(e, "template")), "deb\"i\x02" "an\xef\xbf\xbd");
        assert_string_equal(json_string_value(json_array_get(json_object_get(e, "apps"), 0)), "tools");
        assert_int_equal(json_integer_value(json_object_get(e, "size")), 1);
        json_decref(doc);
        vz_rm_rf(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_dispatch_args),       cmocka_unit_test(test_dispatch_network),
                cmocka_unit_test(test_dispatch_root),       cmocka_unit_test(test_json_hostile_string),
                cmocka_unit_test(test_json_list_appcache),
        };
        setenv("VZPKG_VZ_CONF", "", 1);
        setenv("VZPKG_VZTT_CONF", "", 1);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
