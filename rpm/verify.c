/* verify.c: a package's signature and digests checked with librpm against a
 * keyring made of the given keys only, never the host's (rpm/). */
#include "rpm-internal.h"

#include <rpm/rpmcli.h>
#include <rpm/rpmkeyring.h>
#include <rpm/rpmpgp.h>

struct vz_rpm_keys {
        uint8_t **pkts;  /* OpenPGP packets */
        size_t *lens;
        size_t n;
        rpmts ts;        /* with the keyring of these keys, made on first use */
};

void vz_rpm_keys_free(struct vz_rpm_keys *k)
{
        if (!k)
                return;
        for (size_t i = 0; i < k->n; i++)
                free(k->pkts[i]);
        free(k->pkts);
        free(k->lens);
        if (k->ts)
                rpmtsFree(k->ts);
        free(k);
}

static void keys_add(struct vz_rpm_keys *k, uint8_t *pkt, size_t len)
{
        k->pkts = vz_xrealloc(k->pkts, (k->n + 1) * sizeof(*k->pkts));
        k->lens = vz_xrealloc(k->lens, (k->n + 1) * sizeof(*k->lens));
        k->pkts[k->n] = pkt;
        k->lens[k->n++] = len;
}

int vz_rpm_keys_load(char *const *files, const char *owner, struct vz_rpm_keys **ret, struct vz_error *err)
{
        _cleanup_rpm_keys_ struct vz_rpm_keys *k = vz_xmalloc(sizeof(*k));
        memset(k, 0, sizeof(*k));
        for (char *const *f = files; f && *f; f++) {
                _cleanup_free_ char *text = NULL;
                uint8_t *pkt = NULL;
                size_t len = 0;
                if (vz_read_file(*f, &text, NULL) < 0 || pgpParsePkts(text, &pkt, &len) != PGPARMOR_PUBKEY) {
                        free(pkt);
                        return vz_error_set(err, -VZ_E_SIGNATURE,
                                            "key file %s: not an armored OpenPGP public key (RPM templates need ASCII-armored keys)",
                                            *f);
                }
                keys_add(k, pkt, len);
        }
        if (k->n == 0)
                return vz_error_set(err, -VZ_E_SIGNATURE, "%s: lists no signing key; add the repository key to its gpgkeys/",
                                    owner);
        *ret = TAKE_PTR(k);
        return 0;
}

rpmts keys_ts(const struct vz_rpm_keys *k)
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
        rpmKeyringFree(kr);  /* the transaction set holds its own reference */
        return ts;
}

size_t keys_count(const struct vz_rpm_keys *k)
{
        return k->n;
}

int keys_import(const struct vz_rpm_keys *k, size_t i, rpmts ts)
{
        return rpmtsImportPubkey(ts, k->pkts[i], k->lens[i]) == RPMRC_OK ? 0 : -VZ_E_SIGNATURE;
}

int vz_rpm_verify(struct vz_rpm_keys *k, const char *path, const char *name, const char *version, bool digests_only,
                  struct vz_error *err)
{
        const char *argv[] = { path, NULL };
        int rc;
        rpm_init();
        if (!k->ts)
                k->ts = keys_ts(k);
        rpmtsSetVfyLevel(k->ts, digests_only ? RPMSIG_DIGEST_TYPE : RPMSIG_DIGEST_TYPE | RPMSIG_SIGNATURE_TYPE);
        capture_start();
        rc = rpmcliVerifySignatures(k->ts, (ARGV_const_t)argv);
        capture_stop();
        if (rc == 0)
                return 0;
        char msg[512];
        snprintf(msg, sizeof(msg), "%s", captured());
        return vz_error_set(err, -VZ_E_SIGNATURE, "package %s%s%s: %s check failed (%s); refusing to install it", name,
                            version ? " " : "", version ? version : "", digests_only ? "digest" : "signature",
                            msg[0] ? vz_strip(msg) : "unsigned or unknown key");
}

int vz_rpm_verify_file(char *const *keyfiles, const char *owner, const char *path, const char *label,
                       bool digests_only, struct vz_error *err)
{
        _cleanup_rpm_keys_ struct vz_rpm_keys *k = NULL;
        int r = vz_rpm_keys_load(keyfiles, owner, &k, err);
        rpm_init();
        if (r < 0)
                return r;
        return vz_rpm_verify(k, path, label, NULL, digests_only, err);
}
