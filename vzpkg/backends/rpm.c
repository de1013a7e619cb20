/* backends/rpm.c: the RPM family. (Its rpm-md repositories are read and
 * verified by repo/rpmmd.c; librpm is called by rpm/.) Every package's own
 * signature and digests checked against a keyring made of the template's
 * keys only, before anything is installed. The install is one librpm
 * transaction run inside the build container (a forked vzpkg, after
 * pivot_root), so scriptlets and triggers run isolated and without
 * network. See docs/internals/build.md and rpm.md. */
#include "context.h"
#include "backend.h"
#include "pipeline.h"
#include "vzrpm.h"

#define CT_PACKAGES "/run/vzpkg/packages"

/* ---- librpm setup -------------------------------------------------------- */

static void rpm_setup(const struct vz_template *t)
{
        const char *langs = NULL;
        for (char *const *e = vz_template_environment(t); *e; e++)
                if (vz_startswith(*e, "RPM_INSTALL_LANGS="))
                        langs = *e + strlen("RPM_INSTALL_LANGS=");
        vz_rpm_setup(langs);
}

static bool nodocs(const struct vz_template *t)
{
        for (char *const *e = vz_template_environment(t); *e; e++)
                if (strcmp(*e, "RPM_NODOCS=1") == 0 || strcmp(*e, "RPM_NODOCS=yes") == 0)
                        return true;
        return false;
}

static int load_keys(struct vz_build *b, struct vz_rpm_keys **k, struct vz_error *err)
{
        _cleanup_free_ char *owner = vz_asprintf("template %s", vz_template_name(b->tmpl));
        return vz_rpm_keys_load(vz_template_gpgkeys(b->tmpl), owner, k, err);
}

/* ---- package signatures ----------------------------------------------------------- */

static int rpm_verify_file(struct vz_build *b, const char *path, const char *label, bool digests_only,
                           struct vz_error *err)
{
        _cleanup_free_ char *owner = vz_asprintf("template %s", vz_template_name(b->tmpl));
        rpm_setup(b->tmpl);
        return vz_rpm_verify_file(vz_template_gpgkeys(b->tmpl), owner, path, label, digests_only, err);
}

static int verify_packages(struct vz_build *b, const struct vz_pkglist *l, struct vz_rpm_keys *k,
                           struct vz_error *err)
{
        int r = 0;
        for (size_t i = 0; i < l->n && r >= 0; i++) {
                _cleanup_free_ char *path = vz_pkgcache_path(b->session.pkgcache, l->pkgs[i].sha256, ".rpm");
                /* a host file admitted by localinstall --unsigned: its digests */
                bool digests_only = vz_strv_contains(b->unsigned_ok, l->pkgs[i].sha256);
                r = vz_rpm_verify(k, path, l->pkgs[i].name, l->pkgs[i].version, digests_only, err);
        }
        return r;
}

/* ---- the transaction, inside the container -------------------------------------- */

/* The job vz_rpm_transaction runs in the container's child: the packages as
 * that child sees them, in the package cache mounted at CT_PACKAGES. */
struct rpm_job {
        struct vz_rpm_job job;
        struct vz_rpm_item *items;
        char **paths;  /* owned: items[i].path */
};

static void rpm_job_done(struct rpm_job *j)
{
        free(j->items);
        vz_strv_free(j->paths);
}

/* In the container's process: the build log, and rpm_scan_output counts
 * the "installing" lines in ours for the progress bar. */
static void print_line(void *data, const char *text)
{
        (void)data;
        printf("%s\n", text);
        fflush(stdout);
}

static void rpm_job_init(struct rpm_job *j, struct vz_build *b, const struct vz_pkglist *l, const bool *select,
                         char **remove, const struct vz_rpm_keys *k)
{
        memset(j, 0, sizeof(*j));
        j->items = vz_xmalloc((l->n + 1) * sizeof(*j->items));
        j->paths = vz_xmalloc((l->n + 1) * sizeof(*j->paths));
        for (size_t i = 0; i < l->n; i++) {
                if (select && !select[i])
                        continue;
                _cleanup_free_ char *rel = vz_pkgcache_relpath(l->pkgs[i].sha256, ".rpm");
                j->paths[j->job.n_install] = vz_asprintf(CT_PACKAGES "/%s", rel);
                j->items[j->job.n_install] = (struct vz_rpm_item){ j->paths[j->job.n_install], l->pkgs[i].name };
                j->job.n_install++;
                j->job.digests_only |= vz_strv_contains(b->unsigned_ok, l->pkgs[i].sha256);
        }
        j->paths[j->job.n_install] = NULL;
        j->job.install = j->items;
        j->job.erase = remove;
        j->job.keys = k;
        j->job.nodocs = nodocs(b->tmpl);
        j->job.line = print_line;
}

static int transaction_in_ct(void *userdata)
{
        return vz_rpm_transaction(userdata) < 0 ? 1 : 0;
}

/* /proc, /sys, /tmp, /dev and /run were mount points while the transaction
 * ran: the directories underneath get what the owning package says. */
static const char *const mountpoints[] = { "/proc", "/sys", "/tmp", "/dev", "/run", NULL };

static int run_transaction(struct vz_build *b, struct rpm_job *j, const char *what, struct vz_error *err)
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
        vz_plan_function(p, transaction_in_ct, &j->job);
        r = vz_build_ct_run(b, (char *[]){ (char *)what, NULL }, what, -VZ_E_INSTALL, p, err);
        if (r >= 0)
                vz_rpm_fix_modes(b->ws.root, mountpoints);
        return r;
}

/* ---- create cache: the steps between the hooks (pipeline/phases.c) -------- */

/* Before pre-cache: every package checked against the template's keys. */
static int rpm_prepare(struct vz_build *b, const struct vz_pkglist *l, struct vz_error *err)
{
        _cleanup_rpm_keys_ struct vz_rpm_keys *k = NULL;
        int r = load_keys(b, &k, err);
        rpm_setup(b->tmpl);
        if (r >= 0)
                r = verify_packages(b, l, k, err);
        return r;
}

/* One transaction installs everything (no bootstrap stages). */
static int rpm_install(struct vz_build *b, const struct vz_pkglist *l, struct vz_error *err)
{
        _cleanup_rpm_keys_ struct vz_rpm_keys *k = NULL;
        struct rpm_job j;
        int r = load_keys(b, &k, err);
        if (r < 0)
                return r;
        rpm_job_init(&j, b, l, NULL, NULL, k);
        j.job.digests_only = false;  /* every package was checked by rpm_prepare, signature included */
        r = run_transaction(b, &j, "rpm transaction", err);
        rpm_job_done(&j);
        return r;
}

static void rpm_scan_output(struct vz_build *b, const char *buf, size_t len)
{
        size_t n = strlen(VZ_RPM_INSTALLING);
        for (const char *p = buf; (p = memmem(p, len - (size_t)(p - buf), VZ_RPM_INSTALLING, n)); p += n)
                vz_build_configured(b);
}

static int rpm_apply(struct vz_build *b, struct vz_pkglist *l, const bool *select, char **remove,
                     struct vz_error *err)
{
        _cleanup_rpm_keys_ struct vz_rpm_keys *k = NULL;
        struct vz_pkglist chosen = { .pkgs = vz_xmalloc((l->n + 1) * sizeof(struct vz_pkg)) };
        struct rpm_job j;
        int r;
        for (size_t i = 0; i < l->n; i++)
                if (!select || select[i])
                        chosen.pkgs[chosen.n++] = l->pkgs[i];
        r = load_keys(b, &k, err);
        rpm_setup(b->tmpl);
        if (r >= 0)
                r = verify_packages(b, &chosen, k, err);
        free(chosen.pkgs);
        if (r < 0)
                return r;
        rpm_job_init(&j, b, l, select, remove, k);
        j.job.upgrade = true;
        r = run_transaction(b, &j, "rpm transaction", err);
        rpm_job_done(&j);
        return r;
}

/* ---- what the package database says is installed --------------------------- */

static int rpm_installed(struct vz_build *b, const struct vz_workspace *ws, struct vz_pkglist *ret,
                         struct vz_error *err)
{
        const char *name = vz_template_name(b->tmpl);
        char msg[sizeof(err->msg)];
        int r;
        rpm_setup(b->tmpl);
        r = vz_rpm_installed(ws->root, ws->ctid ? ws->ctid : name, ret, err);
        if (r != -VZ_E_INSTALL)
                return r;
        snprintf(msg, sizeof(msg), "%s", err->msg);
        return vz_error_reset(err, r, "%s: %.900s after install", name, msg);
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
