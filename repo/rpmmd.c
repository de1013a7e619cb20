/* rpmmd.c: rpm-md repositories. repomd.xml verified (detached
 * repomd.xml.asc) against the template's keys and refused when older than
 * the one accepted before; primary, filelists and comps checked against
 * the signed checksums and kept in by-hash/; mirrorlists and metalinks
 * give a repository's alternatives. Loaded into an RPM resolver, with
 * filelists only when file dependencies need them. */
#include "repo-internal.h"

#include <time.h>

struct rpm_repo {
        char **urls;             /* base URLs, $releasever & co expanded */
        char *metadir, *repomd, *asc;
        char **repomd_urls, **asc_urls;
        char *primary_sha, *primary_loc, *primary_path;
        char *filelists_sha, *filelists_loc, *filelists_path;
        char *comps_sha, *comps_loc, *comps_path;
        int priority;
        long long primary_size, filelists_size, comps_size, timestamp;
        bool fetched;            /* asked the repository this time */
        bool accepted;           /* what it sent passed every check */
};

/* The files a server's answer may replace; kept until it is accepted. */
static const char *const repomd_names[] = { "repomd.xml", "repomd.xml.asc", NULL };

char *vz_rpm_expand_url(const struct vz_template *t, const char *url)
{
        const struct vz_kv kv[] = { { "$releasever", (char *)vz_template_version(t) },
                                    { "$basearch", (char *)vz_template_arch(t) },
                                    { "$arch", (char *)vz_template_arch(t) } };
        const struct vz_vars vars = { kv, ELEMENTSOF(kv) };
        char *out = NULL;
        if (vz_vars_expand(&vars, url, "repositories", &out, NULL) < 0)
                return vz_xstrdup(url);
        return out;
}

static char **urls_for(char **bases, const char *file)
{
        char **v = vz_xmalloc(sizeof(char *));
        for (char **u = bases; *u; u++)
                vz_strv_push_take(&v, vz_path_join(*u, file));
        return v;
}

static void repo_init(struct vz_session *sess, const struct vz_template *t, char **urls, int priority,
                      struct rpm_repo *r)
{
        memset(r, 0, sizeof(*r));
        r->priority = priority;
        r->urls = vz_xmalloc(sizeof(char *));
        for (char **u = urls; *u; u++)
                vz_strv_push_take(&r->urls, vz_rpm_expand_url(t, *u));
        r->metadir = vz_repo_metadir(sess->opts.metadata_cache, "rpm", r->urls[0], NULL);
        r->repomd = vz_path_join(r->metadir, "repomd.xml");
        r->asc = vz_path_join(r->metadir, "repomd.xml.asc");
        r->repomd_urls = urls_for(r->urls, "repodata/repomd.xml");
        r->asc_urls = urls_for(r->urls, "repodata/repomd.xml.asc");
}

static void repo_done(struct rpm_repo *r)
{
        /* Refused or never checked: the repository's files as they were. */
        if (r->fetched && !r->accepted)
                vz_repo_restore(r->metadir, repomd_names);
        vz_strv_free(r->urls);
        vz_strv_free(r->repomd_urls);
        vz_strv_free(r->asc_urls);
        free(r->metadir);
        free(r->repomd);
        free(r->asc);
        free(r->primary_sha);
        free(r->primary_loc);
        free(r->primary_path);
        free(r->filelists_sha);
        free(r->filelists_loc);
        free(r->filelists_path);
        free(r->comps_sha);
        free(r->comps_loc);
        free(r->comps_path);
}

/* The downloads of fetch_repomd come in pairs (repomd.xml, its signature):
 * the job failed on a signature alone, by the items' results, not by the
 * words of the message. */
static bool only_signature_failed(const struct vz_download *d, size_t k)
{
        bool sig = false;
        for (size_t i = 0; i + 1 < k; i += 2) {
                if (d[i].result < 0)
                        return false;
                sig |= d[i + 1].result == -VZ_E_DOWNLOAD;
        }
        return sig;
}

static int fetch_repomd(struct vz_session *sess, const struct vz_template *t, struct rpm_repo *rr, size_t n,
                        struct vz_error *err)
{
        _cleanup_free_ struct vz_download *d = vz_xmalloc((2 * n + 1) * sizeof(*d));
        size_t k = 0;
        int r;
        for (size_t i = 0; i < n; i++) {
                bool have = access(rr[i].repomd, R_OK) == 0 && access(rr[i].asc, R_OK) == 0;
                r = vz_repo_use_cached(sess, rr[i].metadir, have, rr[i].repomd_urls[0], vz_template_name(t), err);
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                vz_repo_keep(sess, rr[i].metadir, repomd_names);
                rr[i].fetched = true;
                d[k++] = (struct vz_download){ .urls = rr[i].repomd_urls, .dest = rr[i].repomd, .size = -1,
                                               .max_size = VZ_FETCH_MAX_SMALL, .label = rr[i].repomd_urls[0],
                                               .conditional = true };
                /* The signature is fetched whole every time (a few hundred
                 * bytes): a validator of its own could pair a new repomd.xml
                 * with the cached signature of an old one. */
                d[k++] = (struct vz_download){ .urls = rr[i].asc_urls, .dest = rr[i].asc, .size = -1,
                                               .max_size = VZ_FETCH_MAX_SMALL, .label = rr[i].asc_urls[0] };
        }
        r = k ? vz_fetch_run(sess->fetch, d, k, err) : 0;
        if (r == -VZ_E_DOWNLOAD && only_signature_failed(d, k))
                vz_error_reset(err, -VZ_E_SIGNATURE, "%s; the repository is not signed, refusing it", err->msg);
        for (size_t i = 0; i < k; i++)
                vz_download_done(&d[i]);
        return r;
}

static int locate_index(struct vz_session *sess, struct rpm_repo *rr, const char *type, char **loc, char **sha,
                        long long *size, char **path, struct vz_error *err)
{
        _cleanup_free_ char *l = NULL;
        int r = vz_repomd_find(rr->repomd, type, &l, sha, size, &rr->timestamp);
        if (r == -ENOENT && strcmp(type, "primary") != 0)
                return 0;  /* filelists and comps are optional */
        if (r < 0)
                return vz_error_set(err, -VZ_E_METADATA, "repository %s: repomd.xml has no usable %s (%s)",
                                    rr->urls[0], type, r == -EPROTONOSUPPORT ? "no SHA-256" : "missing");
        const char *ext = strrchr(l, '.');
        *path = vz_repo_byhash(sess->opts.metadata_cache, *sha, ext);
        *loc = TAKE_PTR(l);
        return 0;
}

/* One index file of a repository: primary (0), filelists (1), comps (2). */
static void index_of(struct rpm_repo *x, int kind, const char **path, const char **sha, const char **loc,
                     long long *size)
{
        *path = kind == 0 ? x->primary_path : kind == 1 ? x->filelists_path : x->comps_path;
        *sha = kind == 0 ? x->primary_sha : kind == 1 ? x->filelists_sha : x->comps_sha;
        *loc = kind == 0 ? x->primary_loc : kind == 1 ? x->filelists_loc : x->comps_loc;
        *size = kind == 0 ? x->primary_size : kind == 1 ? x->filelists_size : x->comps_size;
}

static int fetch_indexes(struct vz_session *sess, struct rpm_repo *rr, size_t n, bool filelists, struct vz_error *err)
{
        static const char *const kinds[] = { "primary", "filelists", "comps" };
        _cleanup_free_ struct vz_download *d = vz_xmalloc((3 * n + 1) * sizeof(*d));
        char ***urls = vz_xmalloc((3 * n + 1) * sizeof(*urls));
        size_t k = 0;
        _cleanup_free_ char *dir = vz_path_join(sess->opts.metadata_cache, "by-hash");
        int r = vz_mkdir_p(dir, 0755);
        if (r < 0)
                r = vz_error_set(err, r, "metadata cache %s: cannot make it: %s", dir, vz_strerror(r));
        for (size_t i = 0; i < 3 * n && r >= 0; i++) {
                struct rpm_repo *x = &rr[i / 3];
                int kind = (int)(i % 3);
                const char *path, *sha, *loc;
                long long size;
                char hex[65];
                index_of(x, kind, &path, &sha, &loc, &size);
                if ((kind == 1 && !filelists) || !path || (vz_sha256_file(path, hex) == 0 && strcmp(hex, sha) == 0))
                        continue;
                if (sess->opts.cache_only) {
                        r = vz_error_set(err, -VZ_E_DOWNLOAD, "repository %s: %s not cached and -C forbids the network",
                                         x->urls[0], kinds[kind]);
                        break;
                }
                urls[k] = urls_for(x->urls, loc);
                d[k] = (struct vz_download){ .urls = urls[k], .dest = path, .sha256 = sha,
                                             .size = size > 0 ? size : -1, .max_size = VZ_FETCH_MAX_INDEX,
                                             .label = urls[k][0] };
                k++;
        }
        if (r >= 0 && k)
                r = vz_fetch_run(sess->fetch, d, k, err);
        for (size_t i = 0; i < k; i++) {
                vz_download_done(&d[i]);
                vz_strv_free(urls[i]);
        }
        free(urls);
        return r;
}

static void record_repo(struct vz_session *sess, size_t i, struct rpm_repo *rr)
{
        char date[64] = "";
        time_t ts = (time_t)rr->timestamp;
        struct tm tm;
        if (ts > 0 && gmtime_r(&ts, &tm))
                strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S UTC", &tm);
        vz_repo_record(sess, i, rr->urls, "", date, rr->timestamp > 0 ? rr->timestamp : -1);
}

static int build_pool(struct vz_session *sess, const struct vz_template *t, struct rpm_repo *rr, size_t n,
                      bool filelists, struct vz_resolver **ret, struct vz_error *err)
{
        _cleanup_free_ char *solvdir = vz_path_join(sess->opts.metadata_cache, "solv");
        struct vz_resolver *res = NULL;
        int r = vz_resolver_new_rpm(vz_template_arch(t), &res);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                bool fl = filelists && rr[i].filelists_path;
                _cleanup_free_ char *key = vz_asprintf("%s%s%s%s%s", rr[i].primary_sha, fl ? "-" : "",
                                                       fl ? rr[i].filelists_sha : "", rr[i].comps_sha ? "-" : "",
                                                       rr[i].comps_sha ? rr[i].comps_sha : "");
                r = vz_resolver_add_rpmmd_repo(res, (int)i, rr[i].urls[0], rr[i].primary_path,
                                               fl ? rr[i].filelists_path : NULL, rr[i].comps_path, solvdir, key,
                                               rr[i].priority, err);
        }
        if (r < 0) {
                vz_resolver_free(res);
                return r;
        }
        *ret = res;
        return 0;
}

/* A mirrorlist (one base URL per line) or a metalink (XML whose <url>s
 * end in repodata/repomd.xml) gives a repository's alternatives. The list
 * itself is not signed and need not be: repomd.xml is verified whichever
 * mirror serves it. */
char **vz_repo_parse_mirrors(const char *text)
{
        char **urls = vz_xmalloc(sizeof(char *));
        _cleanup_free_ char *copy = vz_xstrdup(text);
        char *save = NULL;
        for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                char *u = strstr(l, "http");
                if (!u || (l[0] == '#'))
                        continue;
                char *end = u + strcspn(u, "<\" \t\r");
                *end = '\0';
                char *md = strstr(u, "repodata/repomd.xml");
                if (md)
                        *md = '\0';
                else if (strstr(l, "<url"))
                        continue;
                vz_strv_push(&urls, u);
        }
        return urls;
}

static int mirrorlist_repos(struct vz_session *sess, const struct vz_template *t, struct rpm_repo **rr, size_t *n,
                            struct vz_error *err)
{
        for (char *const *m = vz_template_mirrorlists(t); *m; m++) {
                _cleanup_free_ char *url = vz_rpm_expand_url(t, *m);
                _cleanup_free_ char *dir = vz_repo_metadir(sess->opts.metadata_cache, "rpm-mirrorlist", url, NULL);
                _cleanup_free_ char *dest = vz_path_join(dir, "mirrorlist");
                _cleanup_free_ char *text = NULL;
                _cleanup_strv_ char **mirrors = NULL;
                char *urls[] = { url, NULL };
                struct vz_download d = { .urls = urls, .dest = dest, .size = -1, .max_size = VZ_FETCH_MAX_SMALL,
                                         .label = url, .conditional = true };
                int r = vz_repo_use_cached(sess, dir, access(dest, R_OK) == 0, url, vz_template_name(t), err);
                if (r == 0 && (r = vz_fetch_run(sess->fetch, &d, 1, err)) >= 0)
                        vz_repo_mark_checked(dir);
                vz_download_done(&d);
                if (r < 0)
                        return r;
                if (vz_read_file(dest, &text, NULL) < 0 || !(mirrors = vz_repo_parse_mirrors(text))[0])
                        return vz_error_set(err, -VZ_E_METADATA, "mirrorlist %s: lists no mirror", url);
                *rr = vz_xrealloc(*rr, (*n + 1) * sizeof(**rr));
                repo_init(sess, t, mirrors, 0, &(*rr)[(*n)++]);
        }
        return 0;
}

/* A validly signed repomd.xml older than the one accepted before (its
 * copy repomd.verified, written only after every check) would hide the
 * updates published since: refused, by revision and by data timestamp. */
static int check_repomd_replay(struct rpm_repo *rr, struct vz_error *err)
{
        _cleanup_free_ char *verified = vz_path_join(rr->metadir, "repomd.verified");
        long long old_rev = -1, old_ts = -1, new_rev = -1, new_ts = -1;
        const char *label = rr->repomd_urls[0];

        if (vz_repomd_stamp(rr->repomd, &new_rev, &new_ts) < 0)
                return vz_error_set(err, -VZ_E_METADATA, "%s: not a repomd.xml", label);
        if (vz_repomd_stamp(verified, &old_rev, &old_ts) < 0)
                return 0;  /* nothing accepted before */
        if (old_rev >= 0 && new_rev >= 0 && new_rev < old_rev)
                return vz_error_set(err, -VZ_E_SIGNATURE,
                                    "repository %s: refused as a replay: the repomd.xml served has revision %lld, older than the one accepted before (%lld); "
                                    "a stale mirror or an attacker serves old metadata, the cached one is kept",
                                    label, new_rev, old_rev);
        return vz_repo_check_replay(label, "repomd.xml", old_ts, NULL, new_ts, NULL, err);
}

static int accept_repomd(struct rpm_repo *rr, struct vz_error *err)
{
        _cleanup_free_ char *verified = vz_path_join(rr->metadir, "repomd.verified");
        _cleanup_free_ char *tmp = vz_path_join(rr->metadir, "repomd.verified.new");
        int r = check_repomd_replay(rr, err);
        if (r < 0 || (!rr->fetched && access(verified, F_OK) == 0))
                return r;  /* -C or fresh cache: nothing changes */
        r = vz_copy_file(rr->repomd, tmp, 0644);
        if (r >= 0 && rename(tmp, verified) < 0)
                r = -errno;
        if (r < 0) {
                unlink(tmp);
                return vz_error_set(err, r, "%s: cannot write %s: %s", rr->repomd_urls[0], verified, strerror(-r));
        }
        if (rr->fetched) {
                vz_repo_drop_kept(rr->metadir, repomd_names);
                vz_repo_mark_checked(rr->metadir);
                rr->accepted = true;
        }
        return 0;
}

/* repomd.xml of every repository, verified and accepted; the indexes it names located. */
static int verify_repos(struct vz_session *sess, struct rpm_repo *rr, size_t n, struct vz_error *err)
{
        int r = 0;
        for (size_t i = 0; r >= 0 && i < n; i++) {
                r = vz_repo_verify_signed(sess, rr[i].repomd, rr[i].asc, NULL, rr[i].repomd_urls[0], err);
                if (r >= 0)
                        r = accept_repomd(&rr[i], err);
                if (r >= 0)
                        r = locate_index(sess, &rr[i], "primary", &rr[i].primary_loc, &rr[i].primary_sha,
                                         &rr[i].primary_size, &rr[i].primary_path, err);
                if (r >= 0)
                        r = locate_index(sess, &rr[i], "filelists", &rr[i].filelists_loc, &rr[i].filelists_sha,
                                         &rr[i].filelists_size, &rr[i].filelists_path, err);
                if (r >= 0)
                        r = locate_index(sess, &rr[i], "group", &rr[i].comps_loc, &rr[i].comps_sha,
                                         &rr[i].comps_size, &rr[i].comps_path, err);
                if (r >= 0)
                        record_repo(sess, i, &rr[i]);
        }
        return r;
}

int vz_repo_load_rpmmd(struct vz_session *sess, const struct vz_template *t, struct vz_resolver **ret,
                       struct vz_error *err)
{
        size_t n = 0;
        const struct vz_repo_spec *specs = vz_template_repos(t, &n);
        struct rpm_repo *rr = vz_xmalloc((n + 1) * sizeof(*rr));
        int r;

        sess->keyfiles = vz_xmalloc(sizeof(char *));
        for (char *const *k = vz_template_gpgkeys(t); *k; k++)
                vz_strv_push(&sess->keyfiles, *k);
        for (size_t i = 0; i < n; i++)
                repo_init(sess, t, specs[i].urls, specs[i].priority, &rr[i]);
        r = mirrorlist_repos(sess, t, &rr, &n, err);
        if (r >= 0 && n == 0)
                r = vz_error_set(err, -VZ_E_METADATA, "template %s: no repositories or mirrorlists listed",
                                 vz_template_name(t));
        sess->repos = vz_xmalloc((n + 1) * sizeof(*sess->repos));
        memset(sess->repos, 0, (n + 1) * sizeof(*sess->repos));
        sess->n_repos = n;
        if (r >= 0)
                r = fetch_repomd(sess, t, rr, n, err);
        if (r >= 0)
                r = verify_repos(sess, rr, n, err);
        /* filelists are fetched only when primary's file list is not enough */
        if (r >= 0)
                r = fetch_indexes(sess, rr, n, false, err);
        if (r >= 0)
                r = build_pool(sess, t, rr, n, false, ret, err);
        if (r >= 0 && vz_resolver_needs_filelists(*ret)) {
                vz_resolver_free(*ret);
                *ret = NULL;
                vz_repo_note(sess, "%s: file dependencies need filelists", vz_template_name(t));
                r = fetch_indexes(sess, rr, n, true, err);
                if (r >= 0)
                        r = build_pool(sess, t, rr, n, true, ret, err);
        }
        for (size_t i = 0; i < n; i++)
                repo_done(&rr[i]);
        free(rr);
        return r;
}
