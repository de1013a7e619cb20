/* rpmmd.c: rpm-md repositories (repomd.xml -> primary.xml, filelists.xml)
 * into the libsolv pool, with the same .solv cache as Debian's. */
#include "resolver.h"

#include <solv/dataiterator.h>
#include <solv/pool.h>
#include <solv/repo.h>
#include <solv/repo_comps.h>
#include <solv/repo_rpmmd.h>
#include <solv/repo_solv.h>
#include <solv/repo_write.h>
#include <solv/solv_xfopen.h>

#include "resolver-internal.h"

static int add_xml(Repo *repo, const char *path, int flags)
{
        FILE *f = solv_xfopen(path, "r");
        int r;
        if (!f)
                return errno ? -errno : -EIO;
        r = repo_add_rpmmd(repo, f, NULL, flags);
        fclose(f);
        return r == 0 ? 0 : -EBADMSG;
}

static int add_comps(Repo *repo, const char *path)
{
        FILE *f = solv_xfopen(path, "r");
        int r;
        if (!f)
                return errno ? -errno : -EIO;
        r = repo_add_comps(repo, f, REPO_NO_INTERNALIZE | REPO_EXTEND_SOLVABLES);
        fclose(f);
        return r == 0 ? 0 : -EBADMSG;
}

int vz_resolver_add_rpmmd_repo(struct vz_resolver *r, int repo_index, const char *label, const char *primary,
                               const char *filelists, const char *comps, const char *cache_dir, const char *key,
                               int priority, struct vz_error *err)
{
        Pool *pool = vz_resolver_pool(r);
        Repo *repo = repo_create(pool, label);
        _cleanup_free_ char *solv = NULL;
        FILE *f;
        int k;

        repo->appdata = (void *)(intptr_t)repo_index;
        repo->priority = priority;
        if (cache_dir && key && vz_mkdir_p(cache_dir, 0755) >= 0) {  /* else no cache: it only saves time */
                solv = vz_asprintf("%s/%s%s.solv", cache_dir, key, filelists ? "-fl" : "");
                if ((f = fopen(solv, "re"))) {
                        k = repo_add_solv(repo, f, 0);
                        fclose(f);
                        if (k == 0)
                                return 0;
                        repo_empty(repo, 1);
                }
        }
        k = add_xml(repo, primary, REPO_NO_INTERNALIZE);
        if (k >= 0 && filelists)
                k = add_xml(repo, filelists, REPO_EXTEND_SOLVABLES | REPO_NO_INTERNALIZE);
        if (k >= 0 && comps)
                k = add_comps(repo, comps);
        repo_internalize(repo);
        if (k < 0)
                return vz_error_set(err, -VZ_E_METADATA, "repository %s: cannot parse %s", label,
                                    filelists ? filelists : primary);
        if (solv) {
                _cleanup_free_ char *tmp = vz_asprintf("%s.tmp.%d", solv, (int)getpid());
                if ((f = fopen(tmp, "we"))) {
                        if (repo_write(repo, f) != 0 || fclose(f) != 0 || rename(tmp, solv) != 0)
                                unlink(tmp);
                }
        }
        return 0;
}

bool vz_resolver_needs_filelists(struct vz_resolver *r)
{
        Pool *pool = vz_resolver_pool(r);
        Queue fileprovides;
        bool missing = false;
        queue_init(&fileprovides);
        pool_addfileprovides_queue(pool, &fileprovides, NULL);
        pool_createwhatprovides(pool);
        for (int i = 0; i < fileprovides.count && !missing; i++)
                missing = !*pool_whatprovides_ptr(pool, fileprovides.elements[i]);
        queue_free(&fileprovides);
        return missing;
}

int vz_rpmmd_scan_sha256(const char *primary_path, char ***ret)
{
        FILE *f = solv_xfopen(primary_path, "r");
        char **sums, *line = NULL;
        size_t cap = 0;
        if (!f)
                return errno ? -errno : -EIO;
        sums = vz_xmalloc(sizeof(char *));
        while (getline(&line, &cap, f) >= 0) {
                char *p = strstr(line, "<checksum type=\"sha256\"");
                char *gt = p ? strchr(p, '>') : NULL;
                if (gt && strlen(gt + 1) >= 64 && gt[65] == '<')
                        vz_strv_push_take(&sums, strndup(gt + 1, 64));
        }
        free(line);
        fclose(f);
        *ret = sums;
        return 0;
}
