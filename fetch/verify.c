/* verify.c: OpenPGP signature checks with gpgme against the template's keys
 * only. A keyring is a private GnuPG home holding nothing but those keys, so
 * the user's keyring and trust settings never take part. It is made once per
 * session and reused for every check (Debian checks one InRelease per
 * repository); its gpg.conf keeps gpg from starting gpg-agent or dirmngr. */
#include "fetch.h"

#include <fcntl.h>
#include <gpgme.h>
#include <pthread.h>
#include <sys/stat.h>

struct vz_keyring {
        char *home;
        char **keyfiles;          /* what was imported, for vz_keyring_matches */
        gpgme_ctx_t ctx;
        pid_t owner;              /* the process that made the home, the one to remove it */
};

static void data_release(gpgme_data_t *d) { if (*d) gpgme_data_release(*d); }
#define _cleanup_data_ _cleanup_(data_release)

/* Public keys only: no agent (import and verify need none, and one started
 * here would outlive the home), no dirmngr or key fetching, no trust
 * database (being in this keyring is the trust decision), no random seed
 * file. Locking stays: the workers of a mass operation inherit the keyring
 * and may read it at the same time. */
static const char gpg_conf[] =
        "no-autostart\n"
        "disable-dirmngr\n"
        "no-auto-key-retrieve\n"
        "trust-model always\n"
        "no-random-seed-file\n";

static pthread_once_t gpgme_once = PTHREAD_ONCE_INIT;

/* gpgme's first context asks gpgconf three times (directories, components,
 * version) and every engine for its version (gpg, gpgsm) before it runs gpg.
 * Only OpenPGP is used here: without gpgconf gpgme finds gpg on PATH and
 * probes nothing else. */
static void gpgme_init(void)
{
        gpgme_set_global_flag("disable-gpgconf", "1");
        gpgme_check_version(NULL);
}

static int write_conf(const char *home)
{
        _cleanup_free_ char *path = vz_path_join(home, "gpg.conf");
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        ssize_t n = write(fd, gpg_conf, sizeof(gpg_conf) - 1);
        if (n < 0)
                return -errno;
        return (size_t)n == sizeof(gpg_conf) - 1 ? 0 : -EIO;
}

static int make_home(const char *tmpdir, char **ret)
{
        char *home = vz_asprintf("%s/gpg.XXXXXX", tmpdir);
        int r = vz_mkdir_p(tmpdir, 0700);
        if (r < 0 || !mkdtemp(home)) {
                r = r < 0 ? r : -errno;
                free(home);
                return r;
        }
        r = write_conf(home);
        if (r < 0) {
                vz_rm_rf(home);
                free(home);
                return r;
        }
        *ret = home;
        return 0;
}

static int import_keys(gpgme_ctx_t ctx, char *const *keyfiles, const char *label, struct vz_error *err)
{
        int imported = 0;
        for (char *const *k = keyfiles; k && *k; k++) {
                _cleanup_data_ gpgme_data_t d = NULL;
                if (gpgme_data_new_from_file(&d, *k, 1) != 0)
                        return vz_error_set(err, -VZ_E_SIGNATURE, "key file %s: cannot read", *k);
                if (gpgme_op_import(ctx, d) != 0)
                        return vz_error_set(err, -VZ_E_SIGNATURE, "key file %s: not an OpenPGP key", *k);
                imported += gpgme_op_import_result(ctx)->considered;
        }
        if (imported == 0)
                return vz_error_set(err, -VZ_E_SIGNATURE,
                                    "%s: the template lists no usable signing key; add one to its gpgkeys/ directory",
                                    label);
        return 0;
}

void vz_keyring_free(struct vz_keyring *k)
{
        if (!k)
                return;
        if (k->ctx)
                gpgme_release(k->ctx);
        if (k->home && k->owner == getpid())  /* a forked worker leaves it to its parent */
                vz_rm_rf(k->home);
        free(k->home);
        vz_strv_free(k->keyfiles);
        free(k);
}

int vz_keyring_open(char *const *keyfiles, const char *tmpdir, const char *label, struct vz_keyring **ret,
                    struct vz_error *err)
{
        _cleanup_(vz_keyring_freep) struct vz_keyring *k = vz_xmalloc(sizeof(*k));
        int r;

        memset(k, 0, sizeof(*k));
        k->owner = getpid();
        pthread_once(&gpgme_once, gpgme_init);
        r = make_home(tmpdir, &k->home);
        if (r < 0)
                return vz_error_set(err, r, "%s: cannot create a GnuPG home: %s", tmpdir, strerror(-r));
        k->keyfiles = vz_xmalloc(sizeof(char *));
        for (char *const *f = keyfiles; f && *f; f++)
                vz_strv_push(&k->keyfiles, *f);
        if (gpgme_new(&k->ctx) != 0 ||
            gpgme_ctx_set_engine_info(k->ctx, GPGME_PROTOCOL_OpenPGP, NULL, k->home) != 0)
                return vz_error_set(err, -VZ_E_SIGNATURE, "%s: cannot start GnuPG (is gnupg installed?)", label);
        r = import_keys(k->ctx, keyfiles, label, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(k);
        return 0;
}

bool vz_keyring_matches(const struct vz_keyring *k, char *const *keyfiles)
{
        size_t n = vz_strv_len(keyfiles);
        if (!k || n != vz_strv_len(k->keyfiles))
                return false;
        for (size_t i = 0; i < n; i++)
                if (strcmp(keyfiles[i], k->keyfiles[i]) != 0)
                        return false;
        return true;
}

static int check_signatures(gpgme_ctx_t ctx, const char *label, struct vz_error *err)
{
        gpgme_verify_result_t res = gpgme_op_verify_result(ctx);
        gpgme_signature_t s;
        const char *why = "it carries no signature";

        for (s = res ? res->signatures : NULL; s; s = s->next) {
                /* Good signature by a key in our private keyring. Trust is not
                 * consulted: the keyring holds only the template's keys. */
                if (gpg_err_code(s->status) == GPG_ERR_NO_ERROR && !(s->summary & GPGME_SIGSUM_KEY_REVOKED))
                        return 0;
                if (gpg_err_code(s->status) == GPG_ERR_NO_PUBKEY)
                        return vz_error_set(err, -VZ_E_SIGNATURE,
                                            "%s: signed by key %s, which the template does not list; add the key to the template's gpgkeys/ if you trust it",
                                            label, s->fpr ? s->fpr : "?");
                why = gpgme_strerror(s->status);
        }
        return vz_error_set(err, -VZ_E_SIGNATURE, "%s: signature check failed (%s); refusing the repository",
                            label, why);
}

int vz_keyring_verify(struct vz_keyring *k, const char *signed_path, const char *sig_path, const char *out_path,
                      const char *label, struct vz_error *err)
{
        _cleanup_data_ gpgme_data_t text = NULL, sig = NULL, plain = NULL;
        gpgme_error_t e;
        int r;

        if (gpgme_data_new_from_file(&text, signed_path, 1) != 0 ||
            (sig_path && gpgme_data_new_from_file(&sig, sig_path, 1) != 0) ||
            gpgme_data_new(&plain) != 0)
                return vz_error_set(err, -VZ_E_SIGNATURE, "%s: cannot read the signed file", label);
        e = sig_path ? gpgme_op_verify(k->ctx, sig, text, NULL) : gpgme_op_verify(k->ctx, text, NULL, plain);
        if (e != 0)
                return vz_error_set(err, -VZ_E_SIGNATURE, "%s: not signed (%s); refusing the repository",
                                    label, gpgme_strerror(e));
        r = check_signatures(k->ctx, label, err);
        if (r < 0 || !out_path)
                return r;
        if (sig_path)
                return vz_copy_file(signed_path, out_path, 0644);
        size_t len = 0;
        char *buf = gpgme_data_release_and_get_mem(TAKE_PTR(plain), &len);
        if (!buf)
                return vz_error_set(err, -VZ_E_SIGNATURE, "%s: clearsigned file has no text", label);
        r = vz_write_file_atomic(out_path, buf, len, 0644);
        gpgme_free(buf);
        return r;
}

int vz_gpg_verify(char *const *keyfiles, const char *tmpdir, const char *signed_path,
                  const char *sig_path, const char *out_path, const char *label,
                  struct vz_error *err)
{
        _cleanup_(vz_keyring_freep) struct vz_keyring *k = NULL;
        int r = vz_keyring_open(keyfiles, tmpdir, label, &k, err);
        return r < 0 ? r : vz_keyring_verify(k, signed_path, sig_path, out_path, label, err);
}
