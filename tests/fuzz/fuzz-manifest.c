/* fuzz-manifest: what vzpkg reads back from a cache's manifests: the JSON
 * manifest beside the cache ($TEMPLATE/cache/<name>.json, read by
 * vz_cache_diff for status and update cache) and templates/vzpackages
 * (read line by line by list CTID). The input is both files. */
#include "context.h"
#include "pipeline.h"

#include <stdint.h>

static char *area;
static struct vz_ctx ctx;
static struct vz_template *tmpl;
static struct vz_resolver *res;

static void cleanup(void)
{
        vz_template_free(tmpl);
        vz_resolver_free(res);
        free(ctx.cfg.cache_dir);
        vz_rm_rf(area);
        free(area);
}

/* No fsync (vz_write_file_atomic's): thousands of inputs a second. */
static void write_all(const char *path, const void *data, size_t len)
{
        FILE *f = fopen(path, "we");
        if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
                abort();
}

static void put(const char *rel, const void *data, size_t len)
{
        _cleanup_free_ char *p = vz_path_join(area, rel);
        _cleanup_free_ char *dir = vz_xstrdup(p);
        *strrchr(dir, '/') = '\0';
        if (vz_mkdir_p(dir, 0755) < 0)
                abort();
        write_all(p, data, len);
}

static void setup(void)
{
        char d[] = "/dev/shm/vzpkg-fuzz-manifest.XXXXXX", alt[] = "/tmp/vzpkg-fuzz-manifest.XXXXXX";
        struct vz_error err = { 0 };
        const struct vz_vars vars = { NULL, 0 };
        const char *made = mkdtemp(d) ? d : mkdtemp(alt);  /* tmpfs first: fast */
        if (!made)
                abort();
        area = vz_xstrdup(made);
        put("debian/12/x86_64/config/os/default/package_manager", "dpkg\n", 5);
        put("debian/12/x86_64/config/os/default/packages", "bash\n", 5);
        put("cache/debian-12-x86_64.tar.zst", "", 0);
        ctx.cfg.cache_dir = vz_path_join(area, "cache");
        ctx.verbosity = -1;
        if (vz_template_load(area, "debian-12-x86_64", &vars, &tmpl, &err) < 0 ||
            vz_resolver_new_deb("amd64", &res) < 0)
                abort();
        atexit(cleanup);
}

static void diff(void)
{
        static struct vz_pkg pkgs[] = {
                { .name = "bash", .arch = "amd64", .version = "5.2.15-2+b2" },
                { .name = "libc6", .arch = "amd64", .version = "2.36-9+deb12u4" },
                { .name = "zlib1g", .arch = "amd64", .version = "1:1.2.13.dfsg-1" },
        };
        const struct vz_pkglist fresh = { pkgs, ELEMENTSOF(pkgs) };
        struct vz_build b = { .ctx = &ctx, .tmpl = tmpl };
        struct vz_error err = { 0 };
        struct vz_diff d = { 0 };
        if (vz_cache_diff(&b, res, &fresh, &d, &err) < 0) {
                if (!err.msg[0])
                        abort();
                return;
        }
        if (d.n != d.updates + d.added + d.removed)
                abort();
        for (size_t i = 0; i < d.n; i++)
                if (!d.changes[i].name || !d.changes[i].arch || (!d.changes[i].from && !d.changes[i].to))
                        abort();
        vz_diff_done(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_strv_ char **lines = NULL;
        _cleanup_free_ char *vzp = NULL;

        if (size > 262144)
                return 0;
        if (!area)
                setup();
        put("cache/debian-12-x86_64.json", data, size);
        diff();
        put("ct/templates/vzpackages", data, size);
        vzp = vz_path_join(area, "ct/templates/vzpackages");
        if (vz_read_lines(vzp, &lines) == 0)
                for (char **l = lines; *l; l++)
                        if (!**l)
                                abort();  /* blank lines are skipped */
        return 0;
}
