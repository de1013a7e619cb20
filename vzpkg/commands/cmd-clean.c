/* cmd-clean.c: vzpkg clean [-n] : package cache hygiene. A package file
 * stays while the repository metadata vzpkg holds references it; then the
 * least recently used go until the cache fits PKG_CACHE_MAX. The exclusive
 * lock on the cache waits for every running build (they hold it shared). */
#include "context.h"
#include "commands.h"
#include "repo.h"
#include "containers.h"

#include <dirent.h>
#include <sys/file.h>
#include <sys/stat.h>

static const char help[] =
        "Usage: vzpkg clean [-n] [-q|-d N]\n\n"
        "Remove package files that no cached repository metadata references, then\n"
        "the least recently used ones until the package cache is under PKG_CACHE_MAX,\n"
        "every saved build stage (STAGE_CACHE), and the shared trees of template\n"
        "caches that no LXC container uses. Waits while other vzpkg operations\n"
        "use the package cache. (vztt's -k, -t, -a and OST arguments do not apply:\n"
        "there is one package cache for all.)\n\n"
        "  -n, --dry-run  list what would be removed, remove nothing (also --check-only)\n"
        "  -f, --force    accepted for vztt's scripts and ignored\n"
        "  -h, --help     this help\n";

struct entry {
        char *path;
        long long size;
        time_t used;
};

struct clean {
        char **keep;             /* referenced SHA-256s, sorted */
        struct entry *files;
        size_t n;
        bool dry_run;
        size_t removed;
        long long freed;
};

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static bool kept(struct clean *c, const char *sha)
{
        return bsearch(&sha, c->keep, vz_strv_len(c->keep), sizeof(char *), cmp_str) != NULL;
}

static void collect_files(struct vz_ctx *ctx, struct clean *c)
{
        _cleanup_free_ char *top = vz_path_join(ctx->cfg.pkg_cache, "sha256");
        struct dirent **fans = NULL;
        int n = scandir(top, &fans, NULL, alphasort);
        for (int i = 0; i < n; i++) {
                _cleanup_free_ char *fan = vz_path_join(top, fans[i]->d_name);
                struct dirent **files = NULL;
                int m = fans[i]->d_name[0] == '.' ? 0 : scandir(fan, &files, NULL, alphasort);
                for (int k = 0; k < m; k++) {
                        struct stat st;
                        char *p = vz_path_join(fan, files[k]->d_name);
                        if (files[k]->d_name[0] != '.' && lstat(p, &st) == 0 && S_ISREG(st.st_mode)) {
                                c->files = vz_xrealloc(c->files, (c->n + 1) * sizeof(*c->files));
                                c->files[c->n++] = (struct entry){ p, (long long)st.st_size, st.st_mtime };
                        } else
                                free(p);
                        free(files[k]);
                }
                free(files);
                free(fans[i]);
        }
        free(fans);
}

static void drop(struct clean *c, struct entry *e, const char *why)
{
        if (!e->path)
                return;
        printf("%s %s (%s)\n", c->dry_run ? "would remove" : "removed", e->path, why);
        if (!c->dry_run)
                unlink(e->path);
        c->removed++;
        c->freed += e->size;
        free(e->path);
        e->path = NULL;
}

static int by_age(const void *a, const void *b)
{
        const struct entry *x = a, *y = b;
        return x->used < y->used ? -1 : x->used > y->used;
}

static void clean_cache(struct vz_ctx *ctx, struct clean *c)
{
        long long total = 0;
        for (size_t i = 0; i < c->n; i++) {
                const char *base = strrchr(c->files[i].path, '/') + 1;
                char sha[65];
                snprintf(sha, sizeof(sha), "%.64s", base);
                if (vz_endswith(base, ".part"))
                        drop(c, &c->files[i], "partial download");
                else if (!kept(c, sha))
                        drop(c, &c->files[i], "no repository references it");
                else
                        total += c->files[i].size;
        }
        if (ctx->cfg.pkg_cache_max <= 0)
                return;
        qsort(c->files, c->n, sizeof(*c->files), by_age);
        for (size_t i = 0; i < c->n && total > ctx->cfg.pkg_cache_max; i++)
                if (c->files[i].path) {
                        total -= c->files[i].size;
                        drop(c, &c->files[i], "least recently used, over PKG_CACHE_MAX");
                }
}

/* Saved build stages are only a speed-up: all of them go (a build that is
 * restoring one holds it open; one being saved fails with a warning). */
static void clean_stages(struct vz_ctx *ctx, struct clean *c)
{
        size_t n = 0;
        long long bytes = 0;
        if (!ctx->cfg.stage_cache || vz_stage_clean(ctx->cfg.stage_cache, c->dry_run, &n, &bytes) < 0 || !n)
                return;
        printf("%s %zu saved build stages in %s\n", c->dry_run ? "would remove" : "removed", n, ctx->cfg.stage_cache);
        c->removed += n;
        c->freed += bytes;
}

/* Shared trees of template caches (containers' overlay layout) that no
 * container uses any more. */
static void clean_trees(struct vz_ctx *ctx, struct clean *c)
{
        struct vz_error err = { 0 };
        size_t n = 0;
        if (vz_shared_tree_clean(ctx, c->dry_run, &n, &err) < 0)
                vz_warn("shared trees kept: %s", err.msg);
        c->removed += n;
}

static int lock_cache(struct vz_ctx *ctx, int *fd)
{
        _cleanup_free_ char *path = vz_path_join(ctx->cfg.pkg_cache, ".lock");
        int r;
        if ((r = vz_mkdir_p(ctx->cfg.pkg_cache, 0755)) < 0) {
                fprintf(stderr, "vzpkg: package cache %s: cannot create it: %s\n", ctx->cfg.pkg_cache, strerror(-r));
                return r;
        }
        r = vz_lock(path, LOCK_EX, false, fd);
        if (r == -VZ_E_LOCKED) {
                vz_info("vzpkg: waiting for other vzpkg operations to release the package cache %s", ctx->cfg.pkg_cache);
                r = vz_lock(path, LOCK_EX, true, fd);
        }
        if (r < 0)
                fprintf(stderr, "vzpkg: package cache %s: %s\n", ctx->cfg.pkg_cache, vz_strerror(r));
        return r;
}

int vz_cmd_clean(struct vz_ctx *ctx, int argc, char **argv)
{
        struct clean c = { 0 };
        struct vz_opts o;
        _cleanup_close_ int lock = -1;
        int r = vz_cmd_options(ctx, argc, argv, VZ_OPT_DRY_RUN | VZ_OPT_FORCE, &o, help);
        if (r >= 0)
                return r;
        c.dry_run = o.dry_run;
        if (lock_cache(ctx, &lock) < 0)
                return vz_exit_code(-VZ_E_LOCKED);
        /* what the metadata cache references stays (repo/repo.h); without
         * that answer everything would look unreferenced */
        r = vz_repo_referenced(ctx->cfg.metadata_cache, &c.keep);
        if (r < 0) {
                fprintf(stderr, "vzpkg: metadata cache %s: %s\n", ctx->cfg.metadata_cache, vz_strerror(r));
                return vz_exit_code(r);
        }
        collect_files(ctx, &c);
        clean_cache(ctx, &c);
        clean_stages(ctx, &c);
        clean_trees(ctx, &c);
        if (ctx->verbosity >= 0)
                printf("%s %zu files, %.1f MiB\n", c.dry_run ? "would free" : "freed", c.removed, c.freed / 1048576.0);
        for (size_t i = 0; i < c.n; i++)
                free(c.files[i].path);
        free(c.files);
        vz_strv_free(c.keep);
        return 0;
}
