/* repomd.c: the parts of an rpm-md repomd.xml vzpkg trusts after the
 * signature check: where primary, filelists and comps are and their
 * SHA-256, and the revision and timestamps that tell an older repomd.xml
 * from a newer one. libsolv's repomd reader does the XML. */
#include "repo-internal.h"

#include <solv/dataiterator.h>
#include <solv/pool.h>
#include <solv/repo.h>
#include <solv/repo_repomdxml.h>

int vz_repomd_find(const char *repomd_path, const char *type, char **ret_location, char **ret_sha256,
                   long long *ret_size, long long *ret_timestamp)
{
        Pool *pool = pool_create();
        Repo *repo = repo_create(pool, "repomd");
        FILE *f = fopen(repomd_path, "re");
        Dataiterator di;
        int r = -ENOENT;

        if (!f || repo_add_repomdxml(repo, f, 0) != 0) {
                if (f)
                        fclose(f);
                pool_free(pool);
                return -EBADMSG;
        }
        fclose(f);
        dataiterator_init(&di, pool, repo, SOLVID_META, REPOSITORY_REPOMD_TYPE, type, SEARCH_STRING);
        dataiterator_prepend_keyname(&di, REPOSITORY_REPOMD);
        if (dataiterator_step(&di)) {
                Id chktype = 0;
                dataiterator_setpos_parent(&di);
                const char *loc = pool_lookup_str(pool, SOLVID_POS, REPOSITORY_REPOMD_LOCATION);
                const char *sum = pool_lookup_checksum(pool, SOLVID_POS, REPOSITORY_REPOMD_CHECKSUM, &chktype);
                if (loc && sum && chktype == REPOKEY_TYPE_SHA256) {
                        *ret_location = vz_xstrdup(loc);
                        *ret_sha256 = vz_xstrdup(sum);
                        if (ret_size)
                                *ret_size = (long long)pool_lookup_num(pool, SOLVID_POS, REPOSITORY_REPOMD_SIZE, 0);
                        r = 0;
                } else
                        r = -EPROTONOSUPPORT;  /* no SHA-256: we do not trust weaker digests */
        }
        dataiterator_free(&di);
        if (ret_timestamp) {
                *ret_timestamp = (long long)repo_lookup_num(repo, SOLVID_META, REPOSITORY_TIMESTAMP, 0);
        }
        pool_free(pool);
        return r;
}

int vz_repomd_stamp(const char *repomd_path, long long *ret_revision, long long *ret_timestamp)
{
        Pool *pool = pool_create();
        Repo *repo = repo_create(pool, "repomd");
        FILE *f = fopen(repomd_path, "re");
        int k = f ? repo_add_repomdxml(repo, f, 0) : -1;
        if (f)
                fclose(f);
        if (k != 0) {
                pool_free(pool);
                return -EBADMSG;
        }
        /* libsolv keeps the newest <timestamp> of the <data> entries. */
        unsigned long long ts = repo_lookup_num(repo, SOLVID_META, REPOSITORY_TIMESTAMP, 0);
        const char *rev = repo_lookup_str(repo, SOLVID_META, REPOSITORY_REVISION);
        char *end = NULL;
        long long n = -1;
        if (rev && *rev >= '0' && *rev <= '9' && strlen(rev) <= 18) {
                n = strtoll(rev, &end, 10);
                if (*end)
                        n = -1;
        }
        *ret_revision = n;
        *ret_timestamp = ts > 0 && ts < (1ULL << 62) ? (long long)ts : -1;
        pool_free(pool);
        return 0;
}
