/* backends/rpm.c: the RPM family. (Its rpm-md repositories are read and
 * verified by repo/rpmmd.c.) Every package's own
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
                _cleanup_free_ char *path = vz_pkgcache_path(b->session.pkgcache, l->pkgs[i].sha256, ".rpm");
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
        _cleanup_close_ int rfd = -1;
        int r = vz_root_open(b->ws.root, &rfd);  /* a container's private area: no link followed */
        if (r >= 0)
                r = vz_at_mkdir_p(rfd, "var/lib/rpm", 0755, 0);  /* links stay inside the root */
        if (r < 0)
                return vz_error_set(err, r, "template %s: cannot create var/lib/rpm in %s: %s", vz_template_name(b->tmpl),
                                    b->ws.root, strerror(-r));
        rpm_setup(b->tmpl);
        vz_plan_function(p, transaction_in_ct, job);
        r = vz_build_ct_run(b, (char *[]){ (char *)what, NULL }, what, -VZ_E_INSTALL, p, err);
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
        .installed = rpm_installed,
        .apply = rpm_apply,
        .in_process = true,
        .verify_file = rpm_verify_file,
};
