/* fuzz-template: the EZ template metadata parser (metadata/template.c) on
 * files made from the input: package_manager, packages, repositories
 * (with [priority=N] and $VARS), mirrorlist, environment and a text field
 * of an OS template, then the packages and repositories of a set that
 * inherits from it. The input's parts are separated by lines "----". */
#include "metadata.h"

#include <stdint.h>
#include <sys/stat.h>

static const char *const files[] = {
        "default/package_manager", "default/packages", "default/repositories", "default/mirrorlist",
        "default/environment",     "default/distribution", "minimal/packages", "minimal/repositories",
};

static char *area, *osdir;

static void cleanup(void)
{
        vz_rm_rf(area);
}

static void setup(void)
{
        char tmpl[] = "/dev/shm/vzpkg-fuzz-template.XXXXXX", alt[] = "/tmp/vzpkg-fuzz-template.XXXXXX";
        const char *made = mkdtemp(tmpl) ? tmpl : mkdtemp(alt);  /* tmpfs first: fast */
        if (!made)
                abort();
        area = vz_xstrdup(made);
        osdir = vz_path_join(area, "debian/12/x86_64/config/os");
        atexit(cleanup);
}

/* No fsync (vz_write_file_atomic's): thousands of inputs a second. */
static void write_all(const char *path, const void *data, size_t len)
{
        FILE *f = fopen(path, "we");
        if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
                abort();
}

static void write_part(const char *rel, const char *data, size_t len)
{
        _cleanup_free_ char *p = vz_path_join(osdir, rel);
        _cleanup_free_ char *dir = vz_xstrdup(p);
        *strrchr(dir, '/') = '\0';
        if (vz_mkdir_p(dir, 0755) < 0)
                abort();
        write_all(p, data, len);
}

static void check(const struct vz_template *t)
{
        size_t n = 0;
        const struct vz_repo_spec *r = vz_template_repos(t, &n);
        for (size_t i = 0; i < n; i++) {
                if (!r[i].urls || !r[i].urls[0] || !r[i].components)
                        abort();  /* a repository without a URL must not load */
                if (vz_template_family(t) == VZ_FAMILY_DEB && !r[i].suite)
                        abort();
        }
        if (vz_template_own_repos(t) > n || !vz_template_packages(t) || !vz_template_environment(t))
                abort();
        for (char *const *p = vz_template_packages(t); *p; p++)
                if (!**p || strchr(*p, '\n'))
                        abort();
        (void)vz_template_field(t, "distribution");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const struct vz_kv kv[] = { { "$DEBIAN_MIRROR", "http://mirror.example/debian" },
                                           { "$X", "$X$X" } };
        const struct vz_vars vars = { kv, ELEMENTSOF(kv) };
        const char *p = (const char *)data, *end = p + size;

        if (size > 65536)
                return 0;
        if (!area)
                setup();
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                const char *sep = p < end ? memmem(p, (size_t)(end - p), "\n----\n", 6) : NULL;
                const char *stop = sep ? sep + 1 : end;
                write_part(files[i], p, (size_t)(stop - p));
                p = sep ? sep + 6 : end;
        }
        for (int set = 0; set < 2; set++) {
                struct vz_template *t = NULL;
                struct vz_error err = { 0 };
                if (vz_template_load(area, set ? "debian-12-x86_64-minimal" : "debian-12-x86_64", &vars, &t, &err) == 0) {
                        check(t);
                        vz_template_free(t);
                } else if (!err.msg[0]) {
                        abort();  /* a failure always says why */
                }
        }
        return 0;
}
