/* backends/rpm.c: the RPM family. rpm-md repositories whose repomd.xml is
 * verified (detached repomd.xml.asc) against the template's keys; primary
 * and filelists checked against the signed checksums; every package's own
 * signature and digests checked with librpm against a keyring made of the
 * template's keys only, before anything is installed. The install is one
 * librpm transaction run inside the build container (a forked vzpkg, after
 * pivot_root), so scriptlets and triggers run isolated and without
 * network. See docs/internals/build.md. */
#include "context.h"
#include "backend.h"
#include "pipeline.h"

#include <rpm/rpmcli.h>
#include <rpm/rpmdb.h>
#include <rpm/rpmfiles.h>
#include <rpm/rpmkeyring.h>
#include <rpm/rpmlib.h>
#include <rpm/rpmlog.h>
#include <rpm/rpmmacro.h>
#include <rpm/rpmpgp.h>
#include <rpm/rpmps.h>
#include <rpm/rpmts.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#define CT_PACKAGES "/run/vzpkg/packages"
#define INSTALLING "rpm: installing "

/* ---- librpm setup -------------------------------------------------------- */

/* librpm's configuration is read here, on the host, once: after pivot_root
 * the container has no /usr/lib/rpm. The database is the one RPM
 * distributions use (sqlite in /var/lib/rpm), whatever this host's rpm
 * defaults to. */
static void rpm_init(void)
{
        static bool ready;
        if (!ready) {
                rpmReadConfigFiles(NULL, NULL);
                ready = true;
        }
}

static void rpm_setup(const struct vz_template *t)
{
        rpm_init();
        rpmPushMacro(NULL, "_dbpath", NULL, "/var/lib/rpm", RMIL_CMDLINE);
        rpmPushMacro(NULL, "_db_backend", NULL, "sqlite", RMIL_CMDLINE);
        for (char *const *e = vz_template_environment(t); *e; e++)
                if (vz_startswith(*e, "RPM_INSTALL_LANGS="))
                        rpmPushMacro(NULL, "_install_langs", NULL, *e + strlen("RPM_INSTALL_LANGS="), RMIL_CMDLINE);
}

static bool nodocs(const struct vz_template *t)
{
        for (char *const *e = vz_template_environment(t); *e; e++)
                if (strcmp(*e, "RPM_NODOCS=1") == 0 || strcmp(*e, "RPM_NODOCS=yes") == 0)
                        return true;
        return false;
}

/* librpm reports through rpmlog; a library must not print, so messages are
 * kept for the error line instead. */
static char rpm_last_message[512];

/* The verdict lines name what failed ("Payload SHA256 digest: BAD",
 * "SIGNATURES NOT OK"); prefer them over anything else librpm says. */
static int capture_log(rpmlogRec rec, rpmlogCallbackData data)
{
        const char *m = rpmlogRecMessage(rec);
        bool verdict = strstr(m, "BAD") || strstr(m, "NOT OK") || strstr(m, "NOKEY") || strstr(m, "not signed");
        (void)data;
        if (verdict || !strstr(rpm_last_message, "BAD"))
                if (verdict || !rpm_last_message[0])
                        snprintf(rpm_last_message, sizeof(rpm_last_message), "%s", m);
        return 0;
}

/* Armored public keys of the template, as OpenPGP packets. */
struct keys {
        uint8_t **pkts;
        size_t *lens;
        size_t n;
};

static void keys_done(struct keys *k)
{
        for (size_t i = 0; i < k->n; i++)
                free(k->pkts[i]);
        free(k->pkts);
        free(k->lens);
}

static int load_key_files(char *const *files, const char *owner, struct keys *k, struct vz_error *err)
{
        memset(k, 0, sizeof(*k));
        for (char *const *f = files; f && *f; f++) {
                _cleanup_free_ char *text = NULL;
                uint8_t *pkt = NULL;
                size_t len = 0;
                if (vz_read_file(*f, &text, NULL) < 0 || pgpParsePkts(text, &pkt, &len) != PGPARMOR_PUBKEY)
                        return vz_error_set(err, -VZ_E_SIGNATURE,
                                            "key file %s: not an armored OpenPGP public key (RPM templates need ASCII-armored keys)",
                                            *f);
                k->pkts = vz_xrealloc(k->pkts, (k->n + 1) * sizeof(*k->pkts));
                k->lens = vz_xrealloc(k->lens, (k->n + 1) * sizeof(*k->lens));
                k->pkts[k->n] = pkt;
                k->lens[k->n++] = len;
        }
        if (k->n == 0)
                return vz_error_set(err, -VZ_E_SIGNATURE, "%s: lists no signing key; add the repository key to its gpgkeys/",
                                    owner);
        return 0;
}

static int load_keys(struct vz_build *b, struct keys *k, struct vz_error *err)
{
        _cleanup_free_ char *owner = vz_asprintf("template %s", vz_template_name(b->tmpl));
        return load_key_files(vz_template_gpgkeys(b->tmpl), owner, k, err);
}

/* ---- repositories -------------------------------------------------------------- */

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

static void repo_init(struct vz_build *b, char **urls, int priority, struct rpm_repo *r)
{
        memset(r, 0, sizeof(*r));
        r->priority = priority;
        r->urls = vz_xmalloc(sizeof(char *));
        for (char **u = urls; *u; u++)
                vz_strv_push_take(&r->urls, vz_rpm_expand_url(b->tmpl, *u));
        r->metadir = vz_repo_metadir(b, "rpm", r->urls[0], NULL);
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

static int fetch_repomd(struct vz_build *b, struct rpm_repo *rr, size_t n, struct vz_error *err)
{
        _cleanup_free_ struct vz_download *d = vz_xmalloc((2 * n + 1) * sizeof(*d));
        size_t k = 0;
        int r;
        for (size_t i = 0; i < n; i++) {
                bool have = access(rr[i].repomd, R_OK) == 0 && access(rr[i].asc, R_OK) == 0;
                r = vz_repo_use_cached(b, rr[i].metadir, have, rr[i].repomd_urls[0], err);
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                vz_repo_keep(rr[i].metadir, repomd_names);
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
        r = k ? vz_fetch_run(b->fetch, d, k, err) : 0;
        for (size_t i = 0; i < k; i++)
                vz_download_done(&d[i]);
        if (r == -VZ_E_DOWNLOAD && strstr(err->msg, "repomd.xml.asc"))
                vz_error_reset(err, -VZ_E_SIGNATURE, "%s; the repository is not signed, refusing it", err->msg);
        return r;
}

static int locate_index(struct vz_build *b, struct rpm_repo *rr, const char *type, char **loc, char **sha,
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
        *path = vz_asprintf("%s/by-hash/%s%s", b->ctx->cfg.metadata_cache, *sha, ext ? ext : "");
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

static int fetch_indexes(struct vz_build *b, struct rpm_repo *rr, size_t n, bool filelists, struct vz_error *err)
{
        static const char *const kinds[] = { "primary", "filelists", "comps" };
        _cleanup_free_ struct vz_download *d = vz_xmalloc((3 * n + 1) * sizeof(*d));
        char ***urls = vz_xmalloc((3 * n + 1) * sizeof(*urls));
        size_t k = 0;
        int r = 0;
        _cleanup_free_ char *dir = vz_path_join(b->ctx->cfg.metadata_cache, "by-hash");
        vz_mkdir_p(dir, 0755);
        for (size_t i = 0; i < 3 * n; i++) {
                struct rpm_repo *x = &rr[i / 3];
                int kind = (int)(i % 3);
                const char *path, *sha, *loc;
                long long size;
                char hex[65];
                index_of(x, kind, &path, &sha, &loc, &size);
                if ((kind == 1 && !filelists) || !path || (vz_sha256_file(path, hex) == 0 && strcmp(hex, sha) == 0))
                        continue;
                if (b->ctx->cache_only) {
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
                r = vz_fetch_run(b->fetch, d, k, err);
        for (size_t i = 0; i < k; i++) {
                vz_download_done(&d[i]);
                vz_strv_free(urls[i]);
        }
        free(urls);
        return r;
}

static void record_repo(struct vz_build *b, size_t i, struct rpm_repo *rr)
{
        char date[64] = "";
        time_t ts = (time_t)rr->timestamp;
        struct tm tm;
        if (ts > 0 && gmtime_r(&ts, &tm))
                strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S UTC", &tm);
        b->repos[i].urls = vz_xmalloc(sizeof(char *));
        for (char **u = rr->urls; *u; u++)
                vz_strv_push(&b->repos[i].urls, *u);
        b->repos[i].suite = vz_xstrdup("");
        b->repos[i].date = vz_xstrdup(date);
        b->repos[i].date_epoch = rr->timestamp > 0 ? rr->timestamp : -1;
}

static int build_pool(struct vz_build *b, struct rpm_repo *rr, size_t n, bool filelists, struct vz_resolver **ret,
                      struct vz_error *err)
{
        _cleanup_free_ char *solvdir = vz_path_join(b->ctx->cfg.metadata_cache, "solv");
        struct vz_resolver *res = NULL;
        int r = vz_resolver_new_rpm(vz_template_arch(b->tmpl), &res);
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
static char **parse_mirrors(const char *text)
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

static int mirrorlist_repos(struct vz_build *b, struct rpm_repo **rr, size_t *n, struct vz_error *err)
{
        for (char *const *m = vz_template_mirrorlists(b->tmpl); *m; m++) {
                _cleanup_free_ char *url = vz_rpm_expand_url(b->tmpl, *m);
                _cleanup_free_ char *dir = vz_repo_metadir(b, "rpm-mirrorlist", url, NULL);
                _cleanup_free_ char *dest = vz_path_join(dir, "mirrorlist");
                _cleanup_free_ char *text = NULL;
                _cleanup_strv_ char **mirrors = NULL;
                char *urls[] = { url, NULL };
                struct vz_download d = { .urls = urls, .dest = dest, .size = -1, .max_size = VZ_FETCH_MAX_SMALL,
                                         .label = url, .conditional = true };
                int r = vz_repo_use_cached(b, dir, access(dest, R_OK) == 0, url, err);
                if (r == 0 && (r = vz_fetch_run(b->fetch, &d, 1, err)) >= 0)
                        vz_repo_mark_checked(dir);
                vz_download_done(&d);
                if (r < 0)
                        return r;
                if (vz_read_file(dest, &text, NULL) < 0 || !(mirrors = parse_mirrors(text))[0])
                        return vz_error_set(err, -VZ_E_METADATA, "mirrorlist %s: lists no mirror", url);
                *rr = vz_xrealloc(*rr, (*n + 1) * sizeof(**rr));
                repo_init(b, mirrors, 0, &(*rr)[(*n)++]);
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

static int rpm_load_repos(struct vz_build *b, struct vz_resolver **ret, struct vz_error *err)
{
        size_t n = 0;
        const struct vz_repo_spec *specs = vz_template_repos(b->tmpl, &n);
        struct rpm_repo *rr = vz_xmalloc((n + 1) * sizeof(*rr));
        _cleanup_free_ char *lockpath = vz_path_join(b->ctx->cfg.metadata_cache, ".lock");
        _cleanup_close_ int lock = -1;
        int r;

        vz_build_reset_repos(b);
        vz_mkdir_p(b->ctx->cfg.metadata_cache, 0755);
        r = vz_lock(lockpath, LOCK_EX, true, &lock);
        if (r < 0)
                return vz_error_set(err, r, "metadata cache %s: %s", lockpath, vz_strerror(r));
        b->keyfiles = vz_xmalloc(sizeof(char *));
        for (char *const *k = vz_template_gpgkeys(b->tmpl); *k; k++)
                vz_strv_push(&b->keyfiles, *k);
        for (size_t i = 0; i < n; i++)
                repo_init(b, specs[i].urls, specs[i].priority, &rr[i]);
        r = mirrorlist_repos(b, &rr, &n, err);
        if (r >= 0 && n == 0)
                r = vz_error_set(err, -VZ_E_METADATA, "template %s: no repositories or mirrorlists listed",
                                 vz_template_name(b->tmpl));
        b->repos = vz_xmalloc((n + 1) * sizeof(*b->repos));
        b->n_repos = n;
        if (r >= 0)
                r = fetch_repomd(b, rr, n, err);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                r = vz_gpg_verify(b->keyfiles, b->workdir, rr[i].repomd, rr[i].asc, NULL, rr[i].repomd_urls[0], err);
                if (r >= 0)
                        r = accept_repomd(&rr[i], err);
                if (r >= 0)
                        r = locate_index(b, &rr[i], "primary", &rr[i].primary_loc, &rr[i].primary_sha,
                                         &rr[i].primary_size, &rr[i].primary_path, err);
                if (r >= 0)
                        r = locate_index(b, &rr[i], "filelists", &rr[i].filelists_loc, &rr[i].filelists_sha,
                                         &rr[i].filelists_size, &rr[i].filelists_path, err);
                if (r >= 0)
                        r = locate_index(b, &rr[i], "group", &rr[i].comps_loc, &rr[i].comps_sha, &rr[i].comps_size,
                                         &rr[i].comps_path, err);
                if (r >= 0)
                        record_repo(b, i, &rr[i]);
        }
        /* filelists are fetched only when primary's file list is not enough */
        if (r >= 0)
                r = fetch_indexes(b, rr, n, false, err);
        if (r >= 0)
                r = build_pool(b, rr, n, false, ret, err);
        if (r >= 0 && vz_resolver_needs_filelists(*ret)) {
                vz_resolver_free(*ret);
                *ret = NULL;
                vz_verbose("%s: file dependencies need filelists", vz_template_name(b->tmpl));
                r = fetch_indexes(b, rr, n, true, err);
                if (r >= 0)
                        r = build_pool(b, rr, n, true, ret, err);
        }
        for (size_t i = 0; i < n; i++)
                repo_done(&rr[i]);
        free(rr);
        return r;
}

/* ---- package signatures ----------------------------------------------------------- */

/* One file: its signature by one of the keys and its digests, or (with
 * digests_only: localinstall --unsigned) its digests alone. */
static int verify_one(rpmts ts, const char *path, const char *name, const char *version, bool digests_only,
                      struct vz_error *err)
{
        const char *argv[] = { path, NULL };
        rpmtsSetVfyLevel(ts, digests_only ? RPMSIG_DIGEST_TYPE : RPMSIG_DIGEST_TYPE | RPMSIG_SIGNATURE_TYPE);
        rpm_last_message[0] = '\0';
        if (rpmcliVerifySignatures(ts, (ARGV_const_t)argv) == 0)
                return 0;
        return vz_error_set(err, -VZ_E_SIGNATURE, "package %s%s%s: %s check failed (%s); refusing to install it", name,
                            version ? " " : "", version ? version : "", digests_only ? "digest" : "signature",
                            rpm_last_message[0] ? vz_strip(rpm_last_message) : "unsigned or unknown key");
}

static rpmts keyring_ts(const struct keys *k)
{
        rpmts ts = rpmtsCreate();
        rpmKeyring kr = rpmKeyringNew();
        for (size_t i = 0; i < k->n; i++) {
                rpmPubkey key = rpmPubkeyNew(k->pkts[i], k->lens[i]);
                if (key) {
                        rpmKeyringAddKey(kr, key);
                        rpmPubkeyFree(key);
                }
        }
        rpmtsSetKeyring(ts, kr);
        rpmKeyringFree(kr);  /* the transaction holds its own reference */
        return ts;
}

int vz_rpm_verify_file(char *const *keyfiles, const char *owner, const char *path, const char *label,
                       bool digests_only, struct vz_error *err)
{
        struct keys k;
        int r = load_key_files(keyfiles, owner, &k, err);
        rpm_init();
        if (r >= 0) {
                rpmts ts = keyring_ts(&k);
                rpmlogSetCallback(capture_log, NULL);
                r = verify_one(ts, path, label, NULL, digests_only, err);
                rpmlogSetCallback(NULL, NULL);
                rpmtsFree(ts);
        }
        keys_done(&k);
        return r;
}

static int rpm_verify_file(struct vz_build *b, const char *path, const char *label, bool digests_only,
                           struct vz_error *err)
{
        _cleanup_free_ char *owner = vz_asprintf("template %s", vz_template_name(b->tmpl));
        rpm_setup(b->tmpl);
        return vz_rpm_verify_file(vz_template_gpgkeys(b->tmpl), owner, path, label, digests_only, err);
}

static int verify_packages(struct vz_build *b, const struct vz_pkglist *l, const struct keys *k,
                           struct vz_error *err)
{
        rpmts ts = keyring_ts(k);
        int r = 0;
        rpmlogSetCallback(capture_log, NULL);
        for (size_t i = 0; i < l->n && r >= 0; i++) {
                _cleanup_free_ char *path = vz_pkgcache_path(b->pkgcache, l->pkgs[i].sha256, ".rpm");
                /* a host file admitted by localinstall --unsigned: its digests */
                bool digests_only = vz_strv_contains(b->unsigned_ok, l->pkgs[i].sha256);
                r = verify_one(ts, path, l->pkgs[i].name, l->pkgs[i].version, digests_only, err);
        }
        rpmlogSetCallback(NULL, NULL);
        rpmtsFree(ts);
        return r;
}

/* ---- the transaction, inside the container -------------------------------------- */

struct rpm_job {
        struct vz_build *b;
        struct vz_pkglist *l;
        const bool *select;      /* NULL: all */
        char **remove;           /* names to erase */
        const struct keys *keys;
        bool upgrade;
        bool digests_only;       /* a package is a host file admitted unsigned */
};

static void *on_progress(const void *h, const rpmCallbackType what, const rpm_loff_t amount,
                         const rpm_loff_t total, fnpyKey key, rpmCallbackData data)
{
        static FD_t fd;
        (void)amount;
        (void)total;
        (void)data;
        switch (what) {
        case RPMCALLBACK_INST_OPEN_FILE:
                fd = Fopen(key, "r.ufdio");
                return fd;
        case RPMCALLBACK_INST_CLOSE_FILE:
                Fclose(fd);
                fd = NULL;
                break;
        case RPMCALLBACK_INST_START:
                /* for the log, and counted by rpm_scan_output: this runs in
                 * the container's process, the progress bar in ours */
                if (h) {
                        char *nevra = headerGetAsString((Header)h, RPMTAG_NEVRA);
                        printf(INSTALLING "%s\n", nevra ? nevra : "?");
                        free(nevra);
                        fflush(stdout);
                }
                break;
        default:
                break;
        }
        return NULL;
}

static int print_problems(rpmts ts)
{
        rpmps ps = rpmtsProblems(ts);
        rpmpsi psi = rpmpsInitIterator(ps);
        rpmProblem p;
        int n = 0;
        while ((p = rpmpsiNext(psi))) {
                char *s = rpmProblemString(p);
                printf("rpm: %s\n", s);
                free(s);
                n++;
        }
        rpmpsFreeIterator(psi);
        rpmpsFree(ps);
        return n;
}

static int add_elements(struct rpm_job *job, rpmts ts)
{
        for (size_t i = 0; i < job->l->n; i++) {
                if (job->select && !job->select[i])
                        continue;
                /* we are inside the container: the cache is mounted at CT_PACKAGES */
                _cleanup_free_ char *rel = vz_pkgcache_relpath(job->l->pkgs[i].sha256, ".rpm");
                char *path = vz_asprintf(CT_PACKAGES "/%s", rel);
                FD_t fd = Fopen(path, "r.ufdio");
                Header h = NULL;
                rpmRC rc = fd ? rpmReadPackageFile(ts, fd, path, &h) : RPMRC_FAIL;
                if (fd)
                        Fclose(fd);
                if (rc != RPMRC_OK || rpmtsAddInstallElement(ts, h, path, job->upgrade, NULL) != 0) {
                        printf("rpm: cannot add %s to the transaction\n", job->l->pkgs[i].name);
                        headerFree(h);
                        return -1;
                }
                headerFree(h);  /* path is kept by the transaction as its key */
        }
        for (char **n = job->remove; n && *n; n++) {
                rpmdbMatchIterator mi = rpmtsInitIterator(ts, RPMDBI_NAME, *n, 0);
                Header h;
                while ((h = rpmdbNextIterator(mi)))
                        rpmtsAddEraseElement(ts, h, -1);
                rpmdbFreeIterator(mi);
        }
        return 0;
}

static int transaction_in_ct(void *userdata)
{
        struct rpm_job *job = userdata;
        rpmts ts = rpmtsCreate();
        int rc = 1;

        rpmtsSetRootDir(ts, "/");
        /* The template's keys go into its own rpmdb: librpm checks every
         * package against them again, and the container's dnf trusts them. */
        for (size_t i = 0; i < job->keys->n; i++)
                if (rpmtsImportPubkey(ts, job->keys->pkts[i], job->keys->lens[i]) != RPMRC_OK) {
                        printf("rpm: cannot import the template's key %zu into the rpmdb\n", i);
                        goto out;
                }
        /* verified host-side already (verify_packages); a file admitted by
         * localinstall --unsigned has its digests checked here, not a signature */
        rpmtsSetVfyLevel(ts, job->digests_only ? RPMSIG_DIGEST_TYPE : RPMSIG_DIGEST_TYPE | RPMSIG_SIGNATURE_TYPE);
        if (add_elements(job, ts) < 0)
                goto out;
        if (rpmtsCheck(ts) != 0 || print_problems(ts) > 0)
                goto out;
        rpmtsOrder(ts);
        rpmtsSetNotifyCallback(ts, on_progress, NULL);
        rpmtsSetFlags(ts, RPMTRANS_FLAG_NOPLUGINS | (nodocs(job->b->tmpl) ? RPMTRANS_FLAG_NODOCS : 0));
        if (rpmtsRun(ts, NULL, RPMPROB_FILTER_NONE) != 0) {
                if (print_problems(ts) == 0)
                        printf("rpm: the transaction failed (a scriptlet or file operation; see above)\n");
                goto out;
        }
        rc = 0;
out:
        fflush(stdout);
        rpmtsFree(ts);
        return rc;
}

static void fix_mountpoints(struct vz_build *b);

static int run_transaction(struct vz_build *b, struct rpm_job *job, const char *what, struct vz_error *err)
{
        _cleanup_plan_ struct vz_ct_plan *p = vz_build_plan(b);
        _cleanup_free_ char *dbdir = vz_path_join(b->ws.root, "var/lib/rpm");
        vz_mkdir_p(dbdir, 0755);
        rpm_setup(b->tmpl);
        vz_plan_function(p, transaction_in_ct, job);
        int r = vz_build_ct_run(b, (char *[]){ (char *)what, NULL }, what, -VZ_E_INSTALL, p, err);
        if (r >= 0)
                fix_mountpoints(b);
        return r;
}

/* ---- create cache: the steps between the hooks (pipeline/phases.c) -------- */

/* Before pre-cache: every package checked against the template's keys. */
static int rpm_prepare(struct vz_build *b, const struct vz_pkglist *l, struct vz_error *err)
{
        struct keys k;
        int r = load_keys(b, &k, err);
        rpm_setup(b->tmpl);
        if (r >= 0)
                r = verify_packages(b, l, &k, err);
        keys_done(&k);
        return r;
}

/* One transaction installs everything (no bootstrap stages). */
static int rpm_install(struct vz_build *b, const struct vz_pkglist *l, struct vz_error *err)
{
        struct keys k;
        struct rpm_job job = { .b = b, .l = (struct vz_pkglist *)l, .keys = &k };
        int r = load_keys(b, &k, err);
        if (r >= 0)
                r = run_transaction(b, &job, "rpm transaction", err);
        keys_done(&k);
        return r;
}

static void rpm_scan_output(struct vz_build *b, const char *buf, size_t len)
{
        size_t n = strlen(INSTALLING);
        for (const char *p = buf; (p = memmem(p, len - (size_t)(p - buf), INSTALLING, n)); p += n)
                vz_build_configured(b);
}

static int rpm_apply(struct vz_build *b, struct vz_pkglist *l, const bool *select, char **remove,
                     struct vz_error *err)
{
        struct keys k;
        struct vz_pkglist chosen = { .pkgs = vz_xmalloc((l->n + 1) * sizeof(struct vz_pkg)) };
        struct rpm_job job = { .b = b, .l = l, .select = select, .remove = remove, .keys = &k, .upgrade = true };
        int r;
        for (size_t i = 0; i < l->n; i++)
                if (!select || select[i]) {
                        chosen.pkgs[chosen.n++] = l->pkgs[i];
                        job.digests_only |= vz_strv_contains(b->unsigned_ok, l->pkgs[i].sha256);
                }
        r = load_keys(b, &k, err);
        rpm_setup(b->tmpl);
        if (r >= 0)
                r = verify_packages(b, &chosen, &k, err);
        free(chosen.pkgs);
        if (r >= 0)
                r = run_transaction(b, &job, "rpm transaction", err);
        keys_done(&k);
        return r;
}

/* /proc, /sys, /tmp, /dev and /run were mount points while the transaction
 * ran, so the modes rpm gave them landed on the mounted file systems. Give
 * the directories underneath what the owning package says. */
static void fix_mountpoints(struct vz_build *b)
{
        static const char *const dirs[] = { "/proc", "/sys", "/tmp", "/dev", "/run" };
        rpmts ts = rpmtsCreate();
        rpmtsSetRootDir(ts, b->ws.root);
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                rpmdbMatchIterator mi = rpmtsInitIterator(ts, RPMDBI_INSTFILENAMES, dirs[i], 0);
                Header h = mi ? rpmdbNextIterator(mi) : NULL;
                if (h) {
                        rpmfiles files = rpmfilesNew(NULL, h, RPMTAG_BASENAMES, RPMFI_KEEPHEADER);
                        int ix = rpmfilesFindFN(files, dirs[i]);
                        _cleanup_free_ char *path = vz_path_join(b->ws.root, dirs[i]);
                        if (ix >= 0)
                                chmod(path, rpmfilesFMode(files, ix) & 07777);
                        rpmfilesFree(files);
                }
                rpmdbFreeIterator(mi);
        }
        rpmtsFree(ts);
}

/* Reading the rpmdb from here leaves sqlite's WAL files; empty, they hold
 * nothing and are not template content. */
static void drop_empty_wal(const char *root)
{
        _cleanup_free_ char *wal = vz_path_join(root, "var/lib/rpm/rpmdb.sqlite-wal");
        _cleanup_free_ char *shm = vz_path_join(root, "var/lib/rpm/rpmdb.sqlite-shm");
        struct stat st;
        if (stat(wal, &st) == 0 && st.st_size == 0) {
                unlink(wal);
                unlink(shm);
        }
}

/* ---- what the rpmdb says is installed ------------------------------------------- */

static int rpm_installed(struct vz_build *b, const struct vz_workspace *ws, struct vz_pkglist *ret,
                         struct vz_error *err)
{
        rpmts ts;
        rpmdbMatchIterator mi;
        Header h;

        /* librpm opens the rpmdb by path: refuse links on the way (a tenant's
         * race against this check stays open, see docs/internals/security.md) */
        int r = vz_rpmdb_check_links(ws->root, ws->ctid ? ws->ctid : vz_template_name(b->tmpl), err);
        if (r < 0)
                return r;
        rpm_setup(b->tmpl);
        ts = rpmtsCreate();
        rpmtsSetRootDir(ts, ws->root);
        memset(ret, 0, sizeof(*ret));
        mi = rpmtsInitIterator(ts, RPMDBI_PACKAGES, NULL, 0);
        if (!mi) {
                rpmtsFree(ts);
                return vz_error_set(err, -VZ_E_INSTALL, "%s: no rpmdb in %s/var/lib/rpm after install",
                                    vz_template_name(b->tmpl), ws->root);
        }
        while ((h = rpmdbNextIterator(mi))) {
                const char *name = headerGetString(h, RPMTAG_NAME);
                if (!name || strcmp(name, "gpg-pubkey") == 0)
                        continue;
                uint32_t epoch = headerGetNumber(h, RPMTAG_EPOCH);
                const char *arch = headerGetString(h, RPMTAG_ARCH);
                ret->pkgs = vz_xrealloc(ret->pkgs, (ret->n + 1) * sizeof(*ret->pkgs));
                ret->pkgs[ret->n++] = (struct vz_pkg){
                        .name = vz_xstrdup(name),
                        .arch = vz_xstrdup(arch ? arch : "noarch"),
                        .version = epoch ? vz_asprintf("%u:%s-%s", epoch, headerGetString(h, RPMTAG_VERSION),
                                                       headerGetString(h, RPMTAG_RELEASE))
                                         : vz_asprintf("%s-%s", headerGetString(h, RPMTAG_VERSION),
                                                       headerGetString(h, RPMTAG_RELEASE)),
                };
        }
        rpmdbFreeIterator(mi);
        rpmtsFree(ts);
        drop_empty_wal(ws->root);  /* only what this read left behind */
        return 0;
}

static const char *const rpm_state[] = { "var/lib/rpm", NULL };
static const char *const rpm_traces[] = { "var/lib/rpm/.rpm.lock", NULL };

const struct vz_backend vz_backend_rpm = {
        .name = "rpm",
        .pkg_suffix = ".rpm",
        .state_dirs = rpm_state,
        .pkg_mount = CT_PACKAGES,
        .build_traces = rpm_traces,
        .scan_output = rpm_scan_output,
        .prepare = rpm_prepare,
        .install_rest = rpm_install,
        .load_repos = rpm_load_repos,
        .installed = rpm_installed,
        .apply = rpm_apply,
        .in_process = true,
        .verify_file = rpm_verify_file,
};
