/* containers/tree.c: shared trees (docs/internals/containers.md, "Shared
 * trees"). A template cache unpacked once, read-only, next to the cache in
 * the admin's template area: <cache_dir>/<name>.tree.<first 16 hex digits of
 * the archive's SHA-256>/ with rootfs/ (the lower layer of every overlay
 * container made from that archive) and templates/ (the cache's
 * bookkeeping, copied beside each container's record). Named by content:
 * an updated cache gets a new tree, containers keep theirs. Made under a
 * lock, unpacked into a temporary name and renamed, so a reader sees a
 * complete tree or none. */
#include "context.h"
#include "containers.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#define TREE_TAG ".tree."

/* The archive's name without its directory and ".tar[.zst|.gz|.xz]". */
static char *cache_stem(const char *cache)
{
        const char *base = strrchr(cache, '/');
        char *stem = vz_xstrdup(base ? base + 1 : cache);
        char *tar = strstr(stem, ".tar");
        if (tar)
                *tar = '\0';
        return stem;
}

/* The archive's SHA-256, remembered in <cache>.sha256 with the file's
 * identity (device, inode, size, mtime): hashing 50 MB costs more than the
 * rest of create ct. The template area is the admin's: the memo is trusted
 * as the cache is. */
static int cache_digest(const char *cache, char ret_hex[65])
{
        _cleanup_free_ char *memo = vz_asprintf("%s.sha256", cache), *text = NULL, *want = NULL;
        struct stat st;
        size_t len = 0;
        int r;
        if (stat(cache, &st) < 0)
                return -errno;
        want = vz_asprintf("%llu %llu %lld %lld.%09ld ", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
                           (long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
        if (vz_read_file(memo, &text, &len) >= 0 && vz_startswith(text, want) && len >= strlen(want) + 64) {
                memcpy(ret_hex, text + strlen(want), 64);
                ret_hex[64] = '\0';
                return 0;
        }
        if ((r = vz_sha256_file(cache, ret_hex)) < 0)
                return r;
        _cleanup_free_ char *line = vz_asprintf("%s%s\n", want, ret_hex);
        (void)vz_write_file_atomic(memo, line, strlen(line), 0644);  /* only a memo */
        return 0;
}

/* templates/ of the unpacked cache goes beside rootfs/: a container's
 * rootfs is the distribution's tree alone (as for a copied LXC root). */
static int split_tree(const char *tmp, struct vz_error *err)
{
        _cleanup_free_ char *from = vz_asprintf("%s/rootfs/templates", tmp), *to = vz_asprintf("%s/templates", tmp);
        if (rename(from, to) < 0 && errno != ENOENT)
                return vz_error_set(err, -errno, "%s: cannot move templates/ out of the tree: %m", tmp);
        return 0;
}

static int make_tree(const char *cache, const char *tree, struct vz_error *err)
{
        _cleanup_free_ char *tmp = vz_asprintf("%s.tmp.%d", tree, (int)getpid());
        _cleanup_free_ char *root = vz_path_join(tmp, "rootfs");
        int r = vz_mkdir_p(root, 0755);
        if (r < 0)
                return vz_error_set(err, r, "cannot create %s: %s", root, strerror(-r));
        r = vz_cache_unpack(cache, root, vz_interrupted, err);
        if (r >= 0)
                r = split_tree(tmp, err);
        if (r >= 0 && rename(tmp, tree) < 0)
                r = vz_error_set(err, -errno, "cannot publish the shared tree %s: %m", tree);
        if (r < 0)
                vz_rm_rf(tmp);
        return r;
}

/* <stem>.tree.<hex>.tmp.<pid> of a maker that was killed: no maker runs
 * while the caller holds the exclusive lock, so every one is stale. */
static void sweep_partial(const char *dir, const char *stem)
{
        _cleanup_free_ char *prefix = vz_asprintf("%s" TREE_TAG, stem);
        struct dirent **ents = NULL;
        int n = scandir(dir, &ents, NULL, alphasort);
        for (int i = 0; i < n; i++) {
                const char *e = ents[i]->d_name;
                if (vz_startswith(e, prefix) && strstr(e + strlen(prefix), ".tmp.")) {
                        _cleanup_free_ char *p = vz_path_join(dir, e);
                        vz_verbose("removing %s, left by a killed create ct", p);
                        vz_rm_rf(p);
                }
                free(ents[i]);
        }
        free(ents);
}

static char *tree_lock_path(struct vz_ctx *ctx, const char *stem)
{
        return vz_asprintf("%s/tree-%s.lock", ctx->cfg.lock_dir, stem);
}

int vz_shared_tree(struct vz_ctx *ctx, const char *cache, char **ret_tree, int *ret_lock, struct vz_error *err)
{
        _cleanup_free_ char *stem = cache_stem(cache), *dir = vz_xstrdup(cache), *lock_path = NULL, *tree = NULL;
        _cleanup_close_ int lock = -1;
        char hex[65];
        struct stat st;
        char *slash = strrchr(dir, '/');
        int r = cache_digest(cache, hex);
        if (r < 0)
                return vz_error_set(err, r, "%s: %s", cache, strerror(-r));
        if (slash)
                *slash = '\0';
        hex[16] = '\0';
        tree = vz_asprintf("%s/%s" TREE_TAG "%s", slash ? dir : ".", stem, hex);
        lock_path = tree_lock_path(ctx, stem);
        if ((r = vz_mkdir_p(ctx->cfg.lock_dir, 0755)) >= 0)
                r = vz_lock(lock_path, LOCK_EX, true, &lock);  /* one maker; the others wait and reuse */
        if (r < 0)
                return vz_error_set(err, r, "cannot lock %s: %s", lock_path, vz_strerror(r));
        if (lstat(tree, &st) == 0 && !S_ISDIR(st.st_mode))
                return vz_error_set(err, -VZ_E_CONFIG, "%s is not a directory: remove it", tree);
        if (lstat(tree, &st) < 0) {
                sweep_partial(slash ? dir : ".", stem);
                vz_verbose("%s: unpacking the shared tree %s", cache, tree);
                if ((r = make_tree(cache, tree, err)) < 0)
                        return r;
        }
        /* held (shared) until the container's config names the tree: clean
         * waits for nobody and skips a tree whose lock is taken */
        if (flock(lock, LOCK_SH) < 0)
                return vz_error_set(err, -errno, "cannot lock %s: %m", lock_path);
        *ret_tree = TAKE_PTR(tree);
        *ret_lock = TAKE_FD(lock);
        return 0;
}

bool vz_shared_tree_name(const char *cache_dir, const char *path)
{
        size_t n = strlen(cache_dir);
        const char *base = path + n + 1, *tag;
        if (strncmp(path, cache_dir, n) != 0 || path[n] != '/' || strchr(base, '/'))
                return false;
        tag = strstr(base, TREE_TAG);
        if (!tag || tag == base || strlen(tag + strlen(TREE_TAG)) != 16)
                return false;
        for (const char *h = tag + strlen(TREE_TAG); *h; h++)
                if (!strchr("0123456789abcdef", *h))
                        return false;
        return true;
}

/* The tree's stem: <name> of <name>.tree.<hex>. */
static char *tree_stem(const char *base)
{
        return strndup(base, (size_t)(strstr(base, TREE_TAG) - base));
}

int vz_shared_tree_clean(struct vz_ctx *ctx, bool dry_run, size_t *ret_n, struct vz_error *err)
{
        _cleanup_strv_ char **used = NULL;
        struct dirent **ents = NULL;
        int r = vz_lxc_overlay_lowers(ctx, &used, err), n;
        *ret_n = 0;
        if (r < 0)
                return r;  /* who uses which tree is unknown: nothing goes */
        n = scandir(ctx->cfg.cache_dir, &ents, NULL, alphasort);
        for (int i = 0; i < n; i++) {
                _cleanup_free_ char *path = vz_path_join(ctx->cfg.cache_dir, ents[i]->d_name);
                _cleanup_free_ char *lower = vz_path_join(path, "rootfs"), *stem = NULL, *lock_path = NULL;
                _cleanup_close_ int lock = -1;
                bool tree = vz_shared_tree_name(ctx->cfg.cache_dir, path);
                free(ents[i]);
                if (!tree || vz_strv_contains(used, lower))
                        continue;
                stem = tree_stem(strrchr(path, '/') + 1);
                lock_path = tree_lock_path(ctx, stem);
                if (vz_lock(lock_path, LOCK_EX, false, &lock) < 0)
                        continue;  /* being made, or a create ct is about to name it */
                printf("%s %s (no container uses it)\n", dry_run ? "would remove" : "removed", path);
                if (!dry_run && (r = vz_rm_rf(path)) < 0)
                        vz_warn("cannot remove %s: %s", path, strerror(-r));
                (*ret_n)++;
        }
        free(ents);
        return 0;
}
