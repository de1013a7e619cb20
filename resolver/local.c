/* local.c: package files from the host (vzpkg localinstall) as solvables
 * of one "@commandline" repository, as libsolv's examples/solv adds the
 * files named on its command line, so their dependencies are resolved from
 * the repositories like any other package's. */
#include "resolver-internal.h"

#include <solv/evr.h>
#include <solv/knownid.h>
#include <solv/repo_deb.h>
#include <solv/repo_rpmdb.h>
#include <solv/repodata.h>

#define CMDLINE "@commandline"

static Repo *cmdline_repo(Pool *pool)
{
        Repo *repo;
        int i;
        FOR_REPOS(i, repo)
                if (strcmp(repo->name, CMDLINE) == 0)
                        return repo;
        repo = repo_create(pool, CMDLINE);
        repo->appdata = (void *)(intptr_t)-1;  /* no repository index: never downloaded */
        return repo;
}

int vz_resolver_add_file(struct vz_resolver *r, const char *path, const char *sha256, const char *location,
                         const char *label, int *ret_id, struct vz_error *err)
{
        Pool *pool = vz_resolver_pool(r);
        Repo *repo = cmdline_repo(pool);
        int start = pool->nsolvables;
        int flags = REPO_REUSE_REPODATA | REPO_NO_INTERNALIZE | REPO_NO_LOCATION;
        Id p = pool->disttype == DISTTYPE_DEB ? repo_add_deb(repo, path, flags) : repo_add_rpm(repo, path, flags);
        Repodata *data;

        if (!p) {
                repo_internalize(repo);
                return vz_error_set(err, -VZ_E_CHECKSUM, "package file %s: cannot be read as a %s package (%s)", label,
                                    pool->disttype == DISTTYPE_DEB ? ".deb" : ".rpm", pool_errstr(pool));
        }
        data = repo_last_repodata(repo);
        repodata_set_checksum(data, p, SOLVABLE_CHECKSUM, REPOKEY_TYPE_SHA256, sha256);
        repodata_set_location(data, p, 0, NULL, location);
        if (pool->disttype == DISTTYPE_DEB)
                vz_resolver_keep_dep_order(repo, start);
        repo_internalize(repo);
        *ret_id = (int)p;
        return 0;
}

void vz_resolver_file_info(struct vz_resolver *r, int id, struct vz_file_info *ret)
{
        Pool *pool = vz_resolver_pool(r);
        Solvable *s = pool_id2solvable(pool, id), *i;
        Id q;
        memset(ret, 0, sizeof(*ret));
        ret->name = pool_id2str(pool, s->name);
        ret->arch = pool_id2str(pool, s->arch);
        ret->version = pool_id2str(pool, s->evr);
        if (!pool->installed)
                return;
        FOR_REPO_SOLVABLES(pool->installed, q, i) {
                /* Debian's arch all replaces any arch of the same name */
                bool same_arch = i->arch == s->arch || pool->disttype == DISTTYPE_DEB;
                if (i->name != s->name || !same_arch)
                        continue;
                int c = pool_evrcmp(pool, s->evr, i->evr, EVRCMP_COMPARE);
                if (!ret->installed || c < ret->cmp) {  /* the newest installed one counts */
                        ret->installed = pool_id2str(pool, i->evr);
                        ret->cmp = c;
                }
        }
}

bool vz_resolver_published(struct vz_resolver *r, const char *sha256)
{
        Pool *pool = vz_resolver_pool(r);
        Id p;
        Solvable *s;
        FOR_POOL_SOLVABLES(p) {
                s = pool_id2solvable(pool, p);
                if (s->repo == pool->installed || strcmp(s->repo->name, CMDLINE) == 0)
                        continue;
                Id type = 0;
                const char *sum = solvable_lookup_checksum(s, SOLVABLE_CHECKSUM, &type);
                if (type == REPOKEY_TYPE_SHA256 && sum && strcmp(sum, sha256) == 0)
                        return true;
        }
        return false;
}
