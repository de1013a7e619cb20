/* apt.c: Debian repositories (apt archives). InRelease (or Release +
 * Release.gpg) verified against the template's keys, refused when expired
 * (Valid-Until) or older than the one accepted before; each component's
 * Packages file checked against the SHA-256 the verified Release gives and
 * kept by it in by-hash/, then loaded into a Debian resolver. */
#include "repo-internal.h"

#include <time.h>

struct repo_fetch {
        char *metadir;
        char **inrelease_urls, **release_urls, **releasegpg_urls;
        char *inrelease, *release, *release_gpg, *plain, *plain_new;
        bool have_inrelease;
        bool fetched;            /* asked the repository this time */
        bool accepted;           /* what it sent passed every check */
};

/* The files a server's answer may replace; kept until it is accepted. */
static const char *const release_names[] = { "InRelease", "Release", "Release.gpg", NULL };

static char *metadir_for(struct vz_session *sess, const struct vz_repo_spec *s)
{
        return vz_repo_metadir(sess->opts.metadata_cache, "apt", s->urls[0], s->suite);
}

static char **urls_for(const struct vz_repo_spec *s, const char *file)
{
        char **v = vz_xmalloc(sizeof(char *));
        for (char **u = s->urls; *u; u++)
                vz_strv_push_take(&v, vz_asprintf("%s/dists/%s/%s", *u, s->suite, file));
        return v;
}

static void repo_fetch_init(struct vz_session *sess, const struct vz_repo_spec *s, struct repo_fetch *rf)
{
        rf->metadir = metadir_for(sess, s);  /* made there */
        rf->inrelease_urls = urls_for(s, "InRelease");
        rf->release_urls = urls_for(s, "Release");
        rf->releasegpg_urls = urls_for(s, "Release.gpg");
        rf->inrelease = vz_path_join(rf->metadir, "InRelease");
        rf->release = vz_path_join(rf->metadir, "Release");
        rf->release_gpg = vz_path_join(rf->metadir, "Release.gpg");
        rf->plain = vz_path_join(rf->metadir, "Release.verified");
        rf->plain_new = vz_path_join(rf->metadir, "Release.verified.new");
}

static void repo_fetch_done(struct repo_fetch *rf)
{
        /* Refused or never checked: the repository's files as they were. */
        if (rf->fetched && !rf->accepted)
                vz_repo_restore(rf->metadir, release_names);
        unlink(rf->plain_new);
        free(rf->plain_new);
        free(rf->metadir);
        vz_strv_free(rf->inrelease_urls);
        vz_strv_free(rf->release_urls);
        vz_strv_free(rf->releasegpg_urls);
        free(rf->inrelease);
        free(rf->release);
        free(rf->release_gpg);
        free(rf->plain);
}

static bool have_cached_release(struct repo_fetch *rf)
{
        rf->have_inrelease = access(rf->inrelease, R_OK) == 0;
        return rf->have_inrelease || (access(rf->release, R_OK) == 0 && access(rf->release_gpg, R_OK) == 0);
}

static int use_cached(struct vz_session *sess, const struct vz_template *t, struct repo_fetch *rf,
                      struct vz_error *err)
{
        return vz_repo_use_cached(sess, rf->metadir, have_cached_release(rf), rf->inrelease_urls[0],
                                  vz_template_name(t), err);
}

/* InRelease for every repository in one parallel run; Release + Release.gpg
 * for those that have none. Conditional requests keep unchanged files;
 * repositories checked less than METADATA_EXPIRE ago are not asked at all. */
static int fetch_release_files(struct vz_session *sess, const struct vz_template *t, struct repo_fetch *rf, size_t n,
                               struct vz_error *err)
{
        _cleanup_free_ struct vz_download *d = vz_xmalloc((3 * n + 1) * sizeof(*d));
        _cleanup_free_ size_t *idx = vz_xmalloc((n + 1) * sizeof(*idx));
        size_t k = 0, m = 0;
        int r;

        for (size_t i = 0; i < n; i++) {
                r = use_cached(sess, t, &rf[i], err);
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                idx[k] = i;
                vz_repo_keep(sess, rf[i].metadir, release_names);
                rf[i].fetched = true;
                d[k++] = (struct vz_download){ .urls = rf[i].inrelease_urls, .dest = rf[i].inrelease, .size = -1,
                                               .max_size = VZ_FETCH_MAX_RELEASE, .label = rf[i].inrelease_urls[0],
                                               .conditional = true, .optional = true };
        }
        r = k ? vz_fetch_run(sess->fetch, d, k, err) : 0;
        for (size_t j = 0; j < k; j++) {
                size_t i = idx[j];
                rf[i].have_inrelease = d[j].result == 0;
                vz_download_done(&d[j]);
                if (d[j].result == -ENOENT) {
                        unlink(rf[i].inrelease);
                        d[k + m++] = (struct vz_download){ .urls = rf[i].release_urls, .dest = rf[i].release,
                                                           .size = -1, .max_size = VZ_FETCH_MAX_RELEASE,
                                                           .label = rf[i].release_urls[0], .conditional = true };
                        d[k + m++] = (struct vz_download){ .urls = rf[i].releasegpg_urls, .dest = rf[i].release_gpg,
                                                           .size = -1, .max_size = VZ_FETCH_MAX_SMALL,
                                                           .label = rf[i].releasegpg_urls[0], .conditional = true };
                }
        }
        if (r < 0 || m == 0)
                return r;
        r = vz_fetch_run(sess->fetch, d + k, m, err);
        for (size_t i = 0; i < m; i++)
                vz_download_done(&d[k + i]);
        return r;
}

static int check_fresh(struct vz_session *sess, const struct vz_release *rel, const char *label, struct vz_error *err)
{
        return vz_repo_check_valid_until(sess->opts.check_valid_until, vz_release_time(rel, "Valid-Until"),
                                         (long long)time(NULL), vz_release_field(rel, "Valid-Until"), label, err);
}

/* Not older than the Release accepted last time (Release.verified is
 * written only after every check passed). */
static int check_replay(const struct repo_fetch *rf, const struct vz_release *rel, const char *label,
                        struct vz_error *err)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_release_ struct vz_release *old = NULL;
        if (vz_read_file(rf->plain, &text, NULL) < 0 || vz_release_parse(text, &old) < 0)
                return 0;  /* nothing accepted before */
        return vz_repo_check_replay(label, rf->have_inrelease ? "InRelease" : "Release", vz_release_time(old, "Date"),
                                    vz_release_field(old, "Date"), vz_release_time(rel, "Date"),
                                    vz_release_field(rel, "Date"), err);
}

/* Signature, Valid-Until, and no older than what was accepted before: a
 * validly signed but older Release would hide the updates published since. */
static int check_release(struct vz_session *sess, struct repo_fetch *rf, struct vz_release **ret, struct vz_error *err)
{
        const char *label = rf->have_inrelease ? rf->inrelease_urls[0] : rf->release_urls[0];
        _cleanup_free_ char *text = NULL;
        int r;

        r = rf->have_inrelease
                    ? vz_repo_verify_signed(sess, rf->inrelease, NULL, rf->plain_new, label, err)
                    : vz_repo_verify_signed(sess, rf->release, rf->release_gpg, rf->plain_new, label, err);
        if (r < 0)
                return r;
        r = vz_read_file(rf->plain_new, &text, NULL);
        if (r < 0 || vz_release_parse(text, ret) < 0)
                return vz_error_set(err, -VZ_E_METADATA, "%s: not a Release file (no SHA256 index)", label);
        r = check_fresh(sess, *ret, label, err);
        if (r >= 0)
                r = check_replay(rf, *ret, label, err);
        if (r >= 0 && rename(rf->plain_new, rf->plain) < 0)
                r = vz_error_set(err, -errno, "%s: cannot write %s: %m", label, rf->plain);
        return r;
}

static int verify_release(struct vz_session *sess, struct repo_fetch *rf, struct vz_release **ret, struct vz_error *err)
{
        int r = check_release(sess, rf, ret, err);
        if (r < 0) {
                vz_release_free(*ret);
                *ret = NULL;
                return r;
        }
        if (rf->fetched) {
                vz_repo_drop_kept(rf->metadir, release_names);
                vz_repo_mark_checked(rf->metadir);
                rf->accepted = true;
        }
        return 0;
}

/* The Packages file of one component: the best compression the Release
 * lists, stored by its SHA-256 so identical content is shared. */
struct index_file {
        char *rel_path, *dest, **urls, *sha256, *label;
        long long size;
};

static int find_index(struct vz_session *sess, const struct vz_template *t, const struct vz_repo_spec *s,
                      const struct vz_release *rel, const char *comp, struct index_file *ix, struct vz_error *err)
{
        static const char *const exts[] = { ".xz", ".gz", "" };
        const char *arch = vz_arch_to_debian(vz_template_arch(t));
        for (size_t i = 0; i < ELEMENTSOF(exts); i++) {
                _cleanup_free_ char *p = vz_asprintf("%s/binary-%s/Packages%s", comp, arch, exts[i]);
                const char *sha;
                long long size;
                if (vz_release_lookup(rel, p, &sha, &size) < 0)
                        continue;
                ix->rel_path = TAKE_PTR(p);
                ix->sha256 = vz_xstrdup(sha);
                ix->size = size;
                ix->dest = vz_repo_byhash(sess->opts.metadata_cache, sha, exts[i]);
                ix->urls = urls_for(s, ix->rel_path);
                ix->label = vz_xstrdup(ix->urls[0]);
                return 0;
        }
        return vz_error_set(err, -VZ_E_METADATA,
                            "repository %s %s: its Release lists no %s/binary-%s/Packages; check the component name in the template's repositories",
                            s->urls[0], s->suite, comp, arch);
}

static void index_done(struct index_file *ix)
{
        free(ix->rel_path);
        free(ix->dest);
        vz_strv_free(ix->urls);
        free(ix->sha256);
        free(ix->label);
}

static void pick_keys(struct vz_session *sess, const struct vz_template *t)
{
        char *const *keys = vz_template_gpgkeys(t);
        sess->keyfiles = vz_xmalloc(sizeof(char *));
        for (; *keys; keys++)
                vz_strv_push(&sess->keyfiles, *keys);
        if (!sess->keyfiles[0] && sess->opts.debian_keyring)  /* no keys listed: the Debian archive's own keyring */
                vz_strv_push(&sess->keyfiles, sess->opts.debian_keyring);
}

static int collect_indexes(struct vz_session *sess, const struct vz_template *t, struct repo_fetch *rf,
                           const struct vz_repo_spec *specs, size_t n, struct index_file **ret, size_t *ret_n,
                           int **ret_owner, struct vz_error *err)
{
        struct index_file *ix = NULL;
        int *owner = NULL;
        size_t m = 0;
        int r = 0;

        for (size_t i = 0; i < n && r >= 0; i++) {
                _cleanup_release_ struct vz_release *rel = NULL;
                r = verify_release(sess, &rf[i], &rel, err);
                if (r < 0)
                        break;
                vz_repo_record(sess, i, specs[i].urls, specs[i].suite, vz_release_field(rel, "Date"),
                               vz_release_time(rel, "Date"));
                for (char **c = specs[i].components; *c && r >= 0; c++) {
                        ix = vz_xrealloc(ix, (m + 1) * sizeof(*ix));
                        owner = vz_xrealloc(owner, (m + 1) * sizeof(*owner));
                        memset(&ix[m], 0, sizeof(*ix));
                        owner[m] = (int)i;
                        r = find_index(sess, t, &specs[i], rel, *c, &ix[m], err);
                        m++;
                }
        }
        *ret = ix;
        *ret_n = m;
        *ret_owner = owner;
        return r;
}

static int fetch_indexes(struct vz_session *sess, const struct vz_template *t, struct index_file *ix, size_t m,
                         struct vz_error *err)
{
        _cleanup_free_ struct vz_download *d = vz_xmalloc((m + 1) * sizeof(*d));
        _cleanup_free_ char *dir = vz_path_join(sess->opts.metadata_cache, "by-hash");
        size_t k = 0;
        int r = vz_mkdir_p(dir, 0755);

        if (r < 0)
                return vz_error_set(err, r, "metadata cache %s: cannot make it: %s", dir, vz_strerror(r));
        for (size_t i = 0; i < m; i++) {
                char hex[65];
                if (vz_sha256_file(ix[i].dest, hex) == 0 && strcmp(hex, ix[i].sha256) == 0)
                        continue;  /* unchanged since last time: nothing to fetch */
                if (sess->opts.cache_only)
                        return vz_error_set(err, -VZ_E_DOWNLOAD,
                                            "%s: not in the metadata cache and -C forbids the network; run 'vzpkg update metadata %s' first",
                                            ix[i].label, vz_template_name(t));
                d[k++] = (struct vz_download){ .urls = ix[i].urls, .dest = ix[i].dest, .sha256 = ix[i].sha256,
                                               .size = ix[i].size, .label = ix[i].label };
        }
        r = k ? vz_fetch_run(sess->fetch, d, k, err) : 0;
        for (size_t i = 0; i < k; i++)
                vz_download_done(&d[i]);
        return r;
}

int vz_repo_load_apt(struct vz_session *sess, const struct vz_template *t, struct vz_resolver **ret,
                     struct vz_error *err)
{
        size_t n = 0, m = 0;
        const struct vz_repo_spec *specs = vz_template_repos(t, &n);
        _cleanup_free_ struct repo_fetch *rf = vz_xmalloc((n + 1) * sizeof(*rf));
        _cleanup_free_ struct index_file *ix = NULL;
        _cleanup_free_ int *owner = NULL;
        _cleanup_free_ char *solvdir = vz_path_join(sess->opts.metadata_cache, "solv");
        struct vz_resolver *res = NULL;
        int r;

        if (n == 0)
                return vz_error_set(err, -VZ_E_METADATA, "template %s: no repositories listed", vz_template_name(t));
        pick_keys(sess, t);
        sess->repos = vz_xmalloc(n * sizeof(*sess->repos));
        memset(sess->repos, 0, n * sizeof(*sess->repos));
        sess->n_repos = n;
        for (size_t i = 0; i < n; i++)
                repo_fetch_init(sess, &specs[i], &rf[i]);
        r = fetch_release_files(sess, t, rf, n, err);
        if (r >= 0)
                r = collect_indexes(sess, t, rf, specs, n, &ix, &m, &owner, err);
        if (r >= 0)
                r = fetch_indexes(sess, t, ix, m, err);
        if (r >= 0)
                r = vz_resolver_new_deb(vz_arch_to_debian(vz_template_arch(t)), &res);
        for (size_t i = 0; r >= 0 && i < m; i++)
                r = vz_resolver_add_deb_repo(res, owner[i], ix[i].label, ix[i].dest, solvdir, ix[i].sha256,
                                             specs[owner[i]].priority, err);
        for (size_t i = 0; i < m; i++)
                index_done(&ix[i]);
        for (size_t i = 0; i < n; i++)
                repo_fetch_done(&rf[i]);
        if (r < 0) {
                vz_resolver_free(res);
                return r;
        }
        *ret = res;
        return 0;
}
