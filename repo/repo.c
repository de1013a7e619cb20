/* repo.c: the module's entry points: a load under the metadata cache's
 * lock for either family, and the package files the cached metadata
 * references (what vzpkg clean keeps). */
#include "repo-internal.h"

#include <dirent.h>

static void forget_repos(struct vz_session *s)
{
        for (size_t i = 0; i < s->n_repos; i++) {
                vz_strv_free(s->repos[i].urls);
                free(s->repos[i].suite);
                free(s->repos[i].date);
        }
        free(s->repos);
        s->repos = NULL;
        s->n_repos = 0;
        vz_strv_free(s->keyfiles);
        s->keyfiles = NULL;
}

void vz_repo_reset(struct vz_session *s)
{
        forget_repos(s);
        vz_keyring_free(s->keyring);
        s->keyring = NULL;
}

int vz_repo_verify_signed(struct vz_session *s, const char *signed_path, const char *sig_path, const char *out_path,
                          const char *label, struct vz_error *err)
{
        if (s->keyring && !vz_keyring_matches(s->keyring, s->keyfiles)) {
                vz_keyring_free(s->keyring);
                s->keyring = NULL;
        }
        if (!s->keyring) {
                int r = vz_keyring_open(s->keyfiles, s->opts.tmpdir, label, &s->keyring, err);
                if (r < 0)
                        return r;
        }
        return vz_keyring_verify(s->keyring, signed_path, sig_path, out_path, label, err);
}

int vz_repo_load(struct vz_session *s, const struct vz_template *t, struct vz_resolver **ret,
                 struct vz_error *err)
{
        _cleanup_close_ int lock = -1;
        int r;

        /* Repositories are read again for every container of a mass
         * operation (from the cache): drop what the previous read recorded
         * (the keyring stays while the keys do). */
        forget_repos(s);
        r = vz_repo_lock(&s->opts, &lock, err);
        if (r < 0)
                return r;
        switch (vz_template_family(t)) {
        case VZ_FAMILY_DEB:
                return vz_repo_load_apt(s, t, ret, err);
        case VZ_FAMILY_RPM:
                return vz_repo_load_rpmmd(s, t, ret, err);
        default:
                return vz_error_set(err, -VZ_E_METADATA, "template %s: package manager %s is not supported yet",
                                    vz_template_name(t), vz_template_package_manager(t));
        }
}

/* ---- what the cached metadata references (vzpkg clean) -------------------- */

/* RPM repositories: the primary.xml each cached repomd.xml names. */
static void referenced_rpm(const char *cache, char ***keep)
{
        _cleanup_free_ char *top = vz_path_join(cache, "rpm");
        struct dirent **repos = NULL;
        int n = scandir(top, &repos, NULL, alphasort);
        for (int i = 0; i < n; i++) {
                _cleanup_free_ char *repomd = vz_asprintf("%s/%s/repomd.xml", top, repos[i]->d_name);
                _cleanup_free_ char *loc = NULL, *sha = NULL, *path = NULL;
                _cleanup_strv_ char **sums = NULL;
                free(repos[i]);
                if (vz_repomd_find(repomd, "primary", &loc, &sha, NULL, NULL) < 0)
                        continue;
                path = vz_repo_byhash(cache, sha, strrchr(loc, '.'));
                if (vz_rpmmd_scan_sha256(path, &sums) == 0)
                        for (char **s = sums; *s; s++)
                                vz_strv_push(keep, *s);
        }
        free(repos);
}

/* The package SHA-256s of the by-hash files a Release names. */
static void referenced_by_release(const char *cache, const char *text, char ***keep)
{
        _cleanup_free_ char *byhash = vz_path_join(cache, "by-hash");
        DIR *d = opendir(byhash);
        struct dirent *de;
        while (d && (de = readdir(d))) {
                /* a by-hash file is current when this Release names its digest */
                char sha[65];
                snprintf(sha, sizeof(sha), "%.64s", de->d_name);
                if (strlen(sha) != 64 || !strstr(text, sha))
                        continue;
                _cleanup_free_ char *p = vz_path_join(byhash, de->d_name);
                _cleanup_strv_ char **sums = NULL;
                if (vz_deb_scan_sha256(p, &sums) == 0)
                        for (char **s = sums; *s; s++)
                                vz_strv_push(keep, *s);
        }
        if (d)
                closedir(d);
}

/* Every package SHA-256 named by the Packages files that the verified
 * Release files in the metadata cache list, and by the primary files of
 * the cached repomd.xml files. */
int vz_repo_referenced(const char *metadata_cache, char ***ret)
{
        _cleanup_free_ char *apt = vz_path_join(metadata_cache, "apt");
        char **keep = vz_xmalloc(sizeof(char *));
        struct dirent **repos = NULL;
        int n = scandir(apt, &repos, NULL, alphasort);
        for (int i = 0; i < n; i++) {
                _cleanup_free_ char *rel = vz_asprintf("%s/%s/Release.verified", apt, repos[i]->d_name);
                _cleanup_free_ char *text = NULL;
                _cleanup_release_ struct vz_release *r = NULL;
                free(repos[i]);
                if (vz_read_file(rel, &text, NULL) >= 0 && vz_release_parse(text, &r) >= 0)
                        referenced_by_release(metadata_cache, text, &keep);
        }
        free(repos);
        referenced_rpm(metadata_cache, &keep);
        vz_strv_sort(keep);
        *ret = keep;
        return 0;
}
