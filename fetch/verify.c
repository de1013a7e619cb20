/* verify.c: OpenPGP signature checks with gpgme against the template's keys
 * only. Each check uses a fresh, private GnuPG home holding nothing but those
 * keys, so the user's keyring and trust settings never take part. */
#include "fetch.h"

#include <gpgme.h>
#include <sys/stat.h>

static void ctx_release(gpgme_ctx_t *c) { if (*c) gpgme_release(*c); }
static void data_release(gpgme_data_t *d) { if (*d) gpgme_data_release(*d); }
#define _cleanup_ctx_ _cleanup_(ctx_release)
#define _cleanup_data_ _cleanup_(data_release)

static int make_home(const char *tmpdir, char **ret)
{
        char *home = vz_asprintf("%s/gpg.XXXXXX", tmpdir);
        int r = vz_mkdir_p(tmpdir, 0700);
        if (r < 0 || !mkdtemp(home)) {
                r = r < 0 ? r : -errno;
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

static int verify_in_home(const char *home, char *const *keyfiles, const char *signed_path,
                          const char *sig_path, const char *out_path, const char *label,
                          struct vz_error *err)
{
        _cleanup_ctx_ gpgme_ctx_t ctx = NULL;
        _cleanup_data_ gpgme_data_t text = NULL, sig = NULL, plain = NULL;
        gpgme_error_t e;
        int r;

        if (gpgme_new(&ctx) != 0 ||
            gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, NULL, home) != 0)
                return vz_error_set(err, -VZ_E_SIGNATURE, "%s: cannot start GnuPG (is gnupg installed?)", label);
        r = import_keys(ctx, keyfiles, label, err);
        if (r < 0)
                return r;
        if (gpgme_data_new_from_file(&text, signed_path, 1) != 0 ||
            (sig_path && gpgme_data_new_from_file(&sig, sig_path, 1) != 0) ||
            gpgme_data_new(&plain) != 0)
                return vz_error_set(err, -VZ_E_SIGNATURE, "%s: cannot read the signed file", label);
        e = sig_path ? gpgme_op_verify(ctx, sig, text, NULL) : gpgme_op_verify(ctx, text, NULL, plain);
        if (e != 0)
                return vz_error_set(err, -VZ_E_SIGNATURE, "%s: not signed (%s); refusing the repository",
                                    label, gpgme_strerror(e));
        r = check_signatures(ctx, label, err);
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
        _cleanup_free_ char *home = NULL;
        int r;

        gpgme_check_version(NULL);
        r = make_home(tmpdir, &home);
        if (r < 0)
                return vz_error_set(err, r, "%s: cannot create a GnuPG home: %s", tmpdir, strerror(-r));
        r = verify_in_home(home, keyfiles, signed_path, sig_path, out_path, label, err);
        vz_rm_rf(home);
        return r;
}
