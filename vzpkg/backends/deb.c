/* backends/deb.c: the Debian family. (Its repositories, apt archives, are
 * read and verified by repo/apt.c.) Installation follows
 * debootstrap/mmdebstrap: unpack the essential set ourselves, then let the
 * real dpkg inside the build container install and configure everything,
 * batch by batch so pre-dependencies are configured first. */
#include "context.h"
#include "backend.h"
#include "pipeline.h"

#include <ctype.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#define CT_PACKAGES "/run/vzpkg/packages"

/* ---- the root before dpkg runs ----------------------------------------- */

/* Writes into a root go through its fd: in a container's private area a
 * planted link must not carry them out of it (rootfd.c). */
static int write_at(const char *root, const char *rel, const char *content, mode_t mode)
{
        _cleanup_close_ int rfd = -1;
        int r = vz_root_open(root, &rfd);
        return r < 0 ? r : vz_at_write_atomic(rfd, rel, content, strlen(content), mode, 0);
}

static int prepare_root(struct vz_build *b, struct vz_error *err)
{
        static const char *const dirs[] = {
                "etc/apt/apt.conf.d", "etc/apt/sources.list.d", "etc/apt/preferences.d", "etc/apt/keyrings",
                "etc/dpkg/dpkg.cfg.d", "var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers",
                "var/lib/apt/lists/partial", "var/cache/apt/archives/partial", "var/log", "usr/bin",
                "usr/sbin", "usr/lib", "usr/lib64", "usr/sbin", "proc", "sys", "dev", "run", "tmp", "root",
        };
        /* merged /usr, as Debian 12 installs it */
        static const char *const links[][2] = {
                { "usr/bin", "bin" }, { "usr/sbin", "sbin" }, { "usr/lib", "lib" }, { "usr/lib64", "lib64" },
        };
        _cleanup_close_ int rfd = -1;
        int r = vz_root_open(b->ws.root, &rfd);

        for (size_t i = 0; i < ELEMENTSOF(dirs) && r >= 0; i++)
                r = vz_at_mkdir_p(rfd, dirs[i], 0755, 0);
        for (size_t i = 0; i < ELEMENTSOF(links) && r >= 0; i++)
                r = symlinkat(links[i][0], rfd, links[i][1]) < 0 ? -errno : 0;
        if (r >= 0)
                r = write_at(b->ws.root, "var/lib/dpkg/status", "", 0644);
        if (r >= 0)
                r = write_at(b->ws.root, "var/lib/dpkg/available", "", 0644);
        if (r >= 0)
                r = write_at(b->ws.root, "etc/fstab", "# UNCONFIGURED FSTAB FOR BASE SYSTEM\n", 0644);
        if (r < 0)
                return vz_error_set(err, r, "%s: cannot prepare %s: %s", vz_template_name(b->tmpl), b->ws.root,
                                    strerror(-r));
        return 0;
}

/* Services must not start while we build: invoke-rc.d asks policy-rc.d.
 * In a container the tenant owns usr/sbin: every step goes through the
 * root's fd, and the file is replaced by rename, never written through. */
static int block_services(struct vz_build *b, bool block)
{
        static const char p[] = "usr/sbin/policy-rc.d", saved[] = "usr/sbin/policy-rc.d.vzpkg-saved";
        _cleanup_close_ int rfd = -1;
        int r = vz_root_open(b->ws.root, &rfd);
        if (r < 0)
                return r;
        if (!block) {
                if ((r = vz_at_unlink(rfd, p, 0)) < 0 && r != -ENOENT)
                        return r;
                r = vz_at_rename(rfd, saved, p, 0);  /* the root's own, back */
                return r == -ENOENT ? 0 : r;
        }
        if ((r = vz_at_rename(rfd, p, saved, 0)) < 0 && r != -ENOENT)
                return r;
        return vz_at_write_atomic(rfd, p, "#!/bin/sh\nexit 101\n", 19, 0755, 0);
}

/* ---- each package decompressed once ------------------------------------------
 * With the root in memory, unpacking is mostly decompressing data.tar.xz,
 * and the essential set is unpacked twice (by us, then by dpkg). So every
 * package is decompressed once, by worker processes on every CPU, into a
 * tmpfs of ours (cache/expand.c): the essential set first, the rest while
 * dpkg installs the essential set. Extraction and dpkg then read the
 * expanded files; a package that was not expanded is read as it came. The
 * files installed are the same (integration.lc-reproducible). */

static char *expanded_path(struct vz_build *b, const struct vz_pkg *p)
{
        return vz_asprintf("%s/%s.deb", b->ws.expanded_dir, p->sha256);
}

static bool have_expanded(struct vz_build *b, const struct vz_pkg *p)
{
        _cleanup_free_ char *path = b->ws.expanded_dir ? expanded_path(b, p) : NULL;
        return path && access(path, F_OK) == 0;
}

enum expand_which { EXPAND_REST, EXPAND_BOOTSTRAP, EXPAND_ALL };

static int expand_start(struct vz_build *b, const struct vz_pkglist *l, enum expand_which which, int workers)
{
        _cleanup_strv_ char **debs = NULL, **dests = NULL;
        for (size_t i = 0; i < l->n; i++)
                if (which == EXPAND_ALL || l->pkgs[i].bootstrap == (which == EXPAND_BOOTSTRAP)) {
                        vz_strv_push_take(&debs, vz_pkgcache_path(b->session.pkgcache, l->pkgs[i].sha256, ".deb"));
                        vz_strv_push_take(&dests, expanded_path(b, &l->pkgs[i]));
                }
        return vz_deb_expand_start(debs, dests, vz_strv_len(debs), workers, vz_interrupted, &b->expanding);
}

/* workdir/debs as ws.expanded_dir, a tmpfs of its own when the root is in
 * memory; false (packages read as they came) when it cannot be made. */
static bool expanded_dir_make(struct vz_build *b, bool tmpfs)
{
        _cleanup_free_ char *dir = vz_path_join(b->workdir, "debs");
        int r = mkdir(dir, 0700) < 0 ? -errno : tmpfs ? vz_tmpfs_mount(dir, b->tmpfs_size) : 0;
        if (r < 0) {
                vz_verbose("%s: packages are decompressed by dpkg (%s: %s)", vz_template_name(b->tmpl), dir,
                           strerror(-r));
                return false;
        }
        b->ws.expanded_dir = TAKE_PTR(dir);
        return true;
}

/* Expand `which` of l on `workers` CPUs and wait: the line for -v. */
static void expand_and_wait(struct vz_build *b, const struct vz_pkglist *l, enum expand_which which, int workers,
                            const char *what)
{
        double t0 = vz_now();
        int r = expand_start(b, l, which, workers);
        int failed = vz_deb_expand_wait(&b->expanding, false);
        vz_verbose("%s: %s decompressed in %.1f s%s", vz_template_name(b->tmpl), what, vz_now() - t0,
                   r < 0 || failed ? " (not all: the others are read as they came)" : "");
}

static int online_cpus(void)
{
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        return n > 0 ? (int)n : 1;
}

static void expand_packages(struct vz_build *b, const struct vz_pkglist *l)
{
        int cpus = online_cpus();
        if (!b->root_in_memory || b->ws.expanded_dir || !expanded_dir_make(b, true))
                return;
        expand_and_wait(b, l, EXPAND_BOOTSTRAP, cpus, "essential set");
        if (b->ws.log)
                fprintf(b->ws.log, "### packages decompressed ahead, in %d worker processes\n", cpus),
                        fflush(b->ws.log);
        /* the rest beside dpkg's run, leaving it a CPU */
        (void)expand_start(b, l, EXPAND_REST, cpus > 1 ? cpus - 1 : 1);
}

/* Many containers' transactions (containers/operate.c) install the same
 * packages: each is decompressed once, for all of them, by workers on
 * every CPU (about 1 s of xz per container for a day's nine updates, out
 * of 4 of its dpkg run), waited for before the first transaction. The
 * files go to a directory of the work directory (no tmpfs: vzpkg has no
 * mount namespace of its own here), which each container's dpkg reads
 * through its read-only bind at VZ_EXPANDED_MOUNT; a package that could
 * not be decompressed is read as it came. */
static void deb_prepare_packages(struct vz_build *b, const struct vz_pkglist *l)
{
        if (b->ws.expanded_dir || !b->workdir || l->n == 0 || !expanded_dir_make(b, false))
                return;
        expand_and_wait(b, l, EXPAND_ALL, online_cpus(), "the packages, once for every container,");
}

static void expand_wait(struct vz_build *b)
{
        if (b->expanding.n > 0 && vz_deb_expand_wait(&b->expanding, false) > 0)
                vz_verbose("%s: not every package was decompressed ahead: the others are read as they came",
                           vz_template_name(b->tmpl));
}

static char *ct_path(struct vz_build *b, const struct vz_pkg *p)
{
        _cleanup_free_ char *rel = NULL;
        if (have_expanded(b, p))
                return vz_asprintf(VZ_EXPANDED_MOUNT "/%s.deb", p->sha256);
        rel = vz_pkgcache_relpath(p->sha256, ".deb");
        return vz_asprintf(CT_PACKAGES "/%s", rel);
}

/* Unpacked here, not by dpkg: the build log says what failed, as it does for dpkg runs. */
static int extract_bootstrap(struct vz_build *b, const struct vz_pkglist *l, struct vz_error *err)
{
        if (b->ws.log)
                fputs("\n### unpacking the essential set\n", b->ws.log), fflush(b->ws.log);
        for (size_t i = 0; i < l->n; i++) {
                if (!l->pkgs[i].bootstrap)
                        continue;
                _cleanup_free_ char *deb = have_expanded(b, &l->pkgs[i])
                                                   ? expanded_path(b, &l->pkgs[i])
                                                   : vz_pkgcache_path(b->session.pkgcache, l->pkgs[i].sha256, ".deb");
                int r = vz_deb_extract(deb, b->ws.root, l->pkgs[i].name, err);
                if (r < 0) {
                        if (b->ws.log)
                                fprintf(b->ws.log, "%s (%s)\n", err->msg, deb), fflush(b->ws.log);
                        return r;
                }
                if (vz_interrupted())
                        return vz_error_set(err, -VZ_E_INTERRUPTED, "%s: interrupted", vz_template_name(b->tmpl));
        }
        return 0;
}

static int dpkg_batch(struct vz_build *b, const struct vz_pkglist *l, int batch, struct vz_error *err)
{
        _cleanup_strv_ char **argv = vz_strv_split("dpkg --install --force-unsafe-io", " ");
        size_t count = 0;
        if (batch == 0)
                vz_strv_push(&argv, "--force-depends");  /* the essential set has no order yet */
        for (size_t i = 0; i < l->n; i++)
                if (l->pkgs[i].batch == batch && l->pkgs[i].stage == 0) {  /* staged: see stage_unpack */
                        vz_strv_push_take(&argv, ct_path(b, &l->pkgs[i]));
                        count++;
                }
        if (count == 0)
                return 0;
        vz_verbose("%s: dpkg batch %d: %zu packages", vz_template_name(b->tmpl), batch, count);
        return vz_build_ct_run(b, argv, batch == 0 ? "dpkg (essential set)" : "dpkg", -VZ_E_INSTALL, NULL, err);
}

static int dpkg_all(struct vz_build *b, const struct vz_pkglist *l, struct vz_error *err)
{
        int last = 0, r = 0;
        for (size_t i = 0; i < l->n; i++)
                if (l->pkgs[i].batch > last)
                        last = l->pkgs[i].batch;
        for (int batch = 1; batch <= last && r >= 0; batch++)
                r = dpkg_batch(b, l, batch, err);
        return r;
}

/* vztt's bootstrap stages (packages_0 lines, then packages_1), as its
 * apt backend runs them: every stage is unpacked, in order, before the
 * mid-install hooks; after them each stage is configured, in order, and
 * only then the rest of the packages are installed. A stage holds the
 * closure of its names (resolver: vz_resolver_mark_stage), so configuring
 * it needs nothing later; unpacking may run before a pre-dependency of
 * the same stage is configured, which vztt forced too. */
static int stage_run(struct vz_build *b, const struct vz_pkglist *l, int stage, bool configure, struct vz_error *err)
{
        _cleanup_strv_ char **argv = vz_strv_split(configure ? "dpkg --configure --force-unsafe-io"
                                                             : "dpkg --unpack --force-unsafe-io --force-depends",
                                                   " ");
        _cleanup_free_ char *what = vz_asprintf("dpkg (%s stage %d)", configure ? "configure" : "unpack", stage);
        for (size_t i = 0; i < l->n; i++)
                if (l->pkgs[i].stage == stage)
                        vz_strv_push_take(&argv, configure ? vz_xstrdup(l->pkgs[i].name) : ct_path(b, &l->pkgs[i]));
        vz_verbose("%s: %s", vz_template_name(b->tmpl), what);
        return vz_build_ct_run(b, argv, what, -VZ_E_INSTALL, NULL, err);
}

static int stages_run(struct vz_build *b, const struct vz_pkglist *l, bool configure, struct vz_error *err)
{
        int r = 0;
        for (int stage = 1; stage <= b->n_stages && r >= 0; stage++)
                r = stage_run(b, l, stage, configure, err);
        return r;
}

static int audit(struct vz_build *b, struct vz_error *err)
{
        char *argv[] = { "/bin/sh", "-c", "out=$(dpkg --audit) && [ -z \"$out\" ] || { echo \"$out\"; exit 1; }", NULL };
        return vz_build_ct_run(b, argv, "dpkg --audit", -VZ_E_INSTALL, NULL, err);
}

/* ---- apt inside the template --------------------------------------------- */

#define STOCK_KEYRING "/usr/share/keyrings/debian-archive-keyring.gpg"

/* One key file: a Signed-By path in the template. The stock Debian keyring
 * is installed there by debian-archive-keyring itself; any other file is
 * copied in. Returns 1 with *ret NULL when there are several key files. */
/* A key file of the host (the admin's, trusted) into the root, through
 * its fd: in a container a planted link must not carry the write out. */
static int copy_key_in(struct vz_build *b, const char *host, const char *rel)
{
        _cleanup_free_ char *data = NULL, *dir = vz_xstrdup(rel);
        _cleanup_close_ int rfd = -1;
        size_t len = 0;
        int r = vz_read_file(host, &data, &len);
        if (r >= 0)
                r = vz_root_open(b->ws.root, &rfd);
        *strrchr(dir, '/') = '\0';
        if (r >= 0)
                r = vz_at_mkdir_p(rfd, dir, 0755, 0);
        return r < 0 ? r : vz_at_write_atomic(rfd, rel, data, len, 0644, 0);
}

static bool root_has(struct vz_build *b, const char *rel)
{
        _cleanup_close_ int rfd = -1, fd = -1;
        if (vz_root_open(b->ws.root, &rfd) < 0)
                return false;
        fd = vz_at_open(rfd, rel, O_RDONLY | O_CLOEXEC, 0, 0);
        return fd >= 0;
}

/* One key file: a Signed-By path in the template. The stock Debian keyring
 * is installed there by debian-archive-keyring itself; any other file is
 * copied in. Returns 1 with *ret NULL when there are several key files. */
static int apt_signed_by(struct vz_build *b, char **ret)
{
        char *const *keys = b->session.keyfiles;
        *ret = NULL;
        if (vz_strv_len(keys) != 1)
                return 1;
        if (strcmp(keys[0], STOCK_KEYRING) == 0 && root_has(b, &STOCK_KEYRING[1])) {
                *ret = vz_xstrdup(STOCK_KEYRING);
                return 0;
        }
        const char *ext = vz_endswith(keys[0], ".asc") ? "asc" : "gpg";
        char *dst = vz_asprintf("/etc/apt/keyrings/%s.%s", vz_template_name(b->tmpl), ext);
        int r = copy_key_in(b, keys[0], dst + 1);
        if (r < 0) {
                free(dst);
                return r;
        }
        *ret = dst;
        return 0;
}

static int trust_all_keys(struct vz_build *b)
{
        char *const *keys = b->session.keyfiles;
        int r = 0;
        for (size_t i = 0; keys[i] && r >= 0; i++) {
                const char *ext = vz_endswith(keys[i], ".asc") ? "asc" : "gpg";
                _cleanup_free_ char *dst =
                        vz_asprintf("etc/apt/trusted.gpg.d/%s-%zu.%s", vz_template_name(b->tmpl), i, ext);
                r = copy_key_in(b, keys[i], dst);
        }
        return r;
}

static int write_apt_sources(struct vz_build *b, struct vz_error *err)
{
        size_t n = 0;
        const struct vz_repo_spec *specs = vz_template_repos(b->tmpl, &n);
        _cleanup_free_ char *signed_by = NULL;
        _cleanup_free_ char *text = vz_xstrdup("");
        _cleanup_close_ int rfd = -1;
        int r = apt_signed_by(b, &signed_by);

        if (r > 0)
                r = trust_all_keys(b);
        if (r < 0)
                return vz_error_set(err, -VZ_E_INSTALL, "%s: cannot install the repository keys for apt: %s",
                                    vz_template_name(b->tmpl), strerror(-r));
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *comps = vz_xstrdup("");
                for (char **c = specs[i].components; *c; c++) {
                        char *x = vz_asprintf("%s%s%s", comps, *comps ? " " : "", *c);
                        free(comps);
                        comps = x;
                }
                char *x = vz_asprintf("%s%sTypes: deb\nURIs: %s\nSuites: %s\nComponents: %s\n%s%s%s", text,
                                      i ? "\n" : "", specs[i].urls[0], specs[i].suite, comps,
                                      signed_by ? "Signed-By: " : "", signed_by ? signed_by : "",
                                      signed_by ? "\n" : "");
                free(text);
                text = x;
        }
        if ((r = vz_root_open(b->ws.root, &rfd)) >= 0 && (r = vz_at_unlink(rfd, "etc/apt/sources.list", 0)) == -ENOENT)
                r = 0;
        if (r >= 0)
                r = write_at(b->ws.root, "etc/apt/sources.list.d/vzpkg.sources", text, 0644);
        if (r < 0)
                return vz_error_set(err, r, "%s: cannot write apt sources: %s", vz_template_name(b->tmpl), strerror(-r));
        return 0;
}

/* Downloaded lists and caches are build leftovers, not template content. */
static void clean_apt_state(struct vz_build *b)
{
        static const char *const dirs[] = { "var/lib/apt/lists", "var/cache/apt" };
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                _cleanup_free_ char *p = vz_path_join(b->ws.root, dirs[i]);
                vz_rm_rf(p);
                vz_mkdir_p(p, 0755);
        }
        _cleanup_free_ char *partial = vz_path_join(b->ws.root, "var/lib/apt/lists/partial");
        _cleanup_free_ char *archives = vz_path_join(b->ws.root, "var/cache/apt/archives/partial");
        vz_mkdir_p(partial, 0700);
        vz_mkdir_p(archives, 0700);
}

/* upgrade: the new release's repositories for apt in the container (a
 * tenant's tree: every write through its fd), and apt's lists of the old
 * release dropped (apt-get update fetches the new ones). */
static int deb_set_sources(struct vz_build *b, struct vz_error *err)
{
        _cleanup_close_ int rfd = -1;
        int r = write_apt_sources(b, err);
        if (r < 0)
                return r;
        if ((r = vz_root_open(b->ws.root, &rfd)) >= 0 && (r = vz_at_rm_rf(rfd, "var/lib/apt/lists", VZ_AT_NOLINKS)) >= 0)
                r = vz_at_mkdir_p(rfd, "var/lib/apt/lists/partial", 0700, VZ_AT_NOLINKS);
        if (r < 0)
                return vz_error_set(err, r, "container %s: cannot reset apt's lists: %s", b->ws.ctid, strerror(-r));
        return 0;
}

/* ---- create cache: the steps between the hooks (pipeline/phases.c) -------- */

/* The root up to the essential set configured: the base stage (after pre-cache). */
static int deb_base(struct vz_build *b, const struct vz_pkglist *l, struct vz_error *err)
{
        expand_packages(b, l);
        vz_verbose("%s: unpacking the essential set", vz_template_name(b->tmpl));
        int r = extract_bootstrap(b, l, err);
        if (r >= 0 && (r = block_services(b, true)) < 0)
                vz_error_set(err, r, "%s: cannot write policy-rc.d", vz_template_name(b->tmpl));
        if (r >= 0)
                r = dpkg_batch(b, l, 0, err);
        return r;
}

static int deb_prepare(struct vz_build *b, const struct vz_pkglist *l, struct vz_error *err)
{
        (void)l;
        return prepare_root(b, err);
}

static int deb_unpack_stages(struct vz_build *b, const struct vz_pkglist *l, struct vz_error *err)
{
        return stages_run(b, l, false, err);
}

/* After the mid-install hooks: the stages configured, then the rest. */
static int deb_rest(struct vz_build *b, const struct vz_pkglist *l, struct vz_error *err)
{
        expand_wait(b);
        int r = stages_run(b, l, true, err);
        if (r >= 0)
                r = dpkg_all(b, l, err);
        if (r >= 0) {
                vz_verbose("%s: checking the dpkg database", vz_template_name(b->tmpl));
                r = audit(b, err);
        }
        return r;
}

/* Before post-cache: services may start again, apt knows the repositories. */
static int deb_finish_install(struct vz_build *b, struct vz_error *err)
{
        int r = block_services(b, false);
        if (r < 0)
                return vz_error_set(err, r, "%s: cannot remove policy-rc.d", vz_template_name(b->tmpl));
        return write_apt_sources(b, err);
}

static int deb_clean(struct vz_build *b, struct vz_error *err)
{
        (void)err;
        clean_apt_state(b);
        return 0;
}

/* dpkg says "Setting up <package>" when it configured one. */
static void deb_scan_output(struct vz_build *b, const char *buf, size_t len)
{
        for (const char *p = buf; (p = memmem(p, len - (size_t)(p - buf), "Setting up ", 11)); p += 11)
                vz_build_configured(b);
}

/* ---- update an unpacked cache ---------------------------------------------- */

/* A release upgrade, closer to how apt runs dpkg: unpack the batch, then
 * configure whatever can be configured so far. dpkg --install would insist
 * on configuring every package of the batch, and in a release upgrade a
 * package may depend on a newer version of one that comes in a later batch
 * (openssh-client on init-system-helpers), or have been deconfigured for a
 * package that Breaks its old version (base-files for libc6). What cannot
 * be configured yet is left unpacked; a pre-dependency of a later batch
 * that is still not configured fails that batch's unpack, and after the
 * last batch dpkg --configure --pending and the audit must succeed. */
static int unpack_configure(struct vz_build *b, char **argv, struct vz_error *err)
{
        char *pending[] = { "dpkg", "--configure", "--pending", "--force-confdef", "--force-confold", NULL };
        struct vz_error later = { 0 };
        free(argv[1]);
        argv[1] = vz_xstrdup("--unpack");
        int r = vz_build_ct_run(b, argv, "dpkg --unpack", -VZ_E_INSTALL, NULL, err);
        if (r >= 0 && vz_build_ct_run(b, pending, "dpkg --configure --pending", -VZ_E_INSTALL, NULL, &later) < 0 &&
            b->ws.log)
                fprintf(b->ws.log, "(not everything can be configured yet: %s)\n", later.msg), fflush(b->ws.log);
        if (r >= 0 && vz_interrupted())
                r = vz_error_set(err, -VZ_E_INTERRUPTED, "%s: interrupted", vz_template_name(b->tmpl));
        return r;
}

static int dpkg_selected(struct vz_build *b, struct vz_pkglist *l, const bool *install, struct vz_error *err)
{
        int batches = vz_pkglist_batches(l, install), r = 0;
        b->ws.n_pkgs = 0;
        b->ws.configured = 0;
        for (size_t i = 0; i < l->n; i++)
                b->ws.n_pkgs += install[i];
        for (int batch = 1; batch <= batches && r >= 0; batch++) {
                /* a locally changed conffile is kept, as apt-get upgrade does non-interactively;
                 * a package the new one Breaks is deconfigured until its own new version is
                 * configured, as apt lets dpkg do (a release upgrade: libc6 breaks the old base-files) */
                _cleanup_strv_ char **argv = vz_strv_split(
                        "dpkg --install --force-unsafe-io --force-confdef --force-confold --auto-deconfigure", " ");
                for (size_t i = 0; i < l->n; i++)
                        if (install[i] && l->pkgs[i].batch == batch)
                                vz_strv_push_take(&argv, ct_path(b, &l->pkgs[i]));
                if (b->release_upgrade)
                        r = unpack_configure(b, argv, err);
                else
                        r = vz_build_ct_run(b, argv, "dpkg", -VZ_E_INSTALL, NULL, err);
        }
        return r;
}

/* force_depends: a release upgrade removes the packages that go (libraries
 * renamed, their replacements Conflict with them) before the first batch,
 * while the old versions of their users are still installed; every one of
 * those users is upgraded in the batches that follow, and --configure
 * --pending and the audit check that nothing is left broken. */
static int dpkg_purge(struct vz_build *b, char **remove, bool force_depends, struct vz_error *err)
{
        _cleanup_strv_ char **argv = vz_strv_split("dpkg --purge --force-unsafe-io", " ");
        if (!remove || !remove[0])
                return 0;
        if (force_depends)
                vz_strv_push(&argv, "--force-depends");
        for (char **n = remove; *n; n++)
                vz_strv_push(&argv, *n);
        return vz_build_ct_run(b, argv, "dpkg --purge", -VZ_E_INSTALL, NULL, err);
}

/* In a running container services restart through its own init, as a
 * plain apt-get upgrade inside it would: no policy-rc.d there. */
static int deb_apply(struct vz_build *b, struct vz_pkglist *l, const bool *select, char **remove,
                     struct vz_error *err)
{
        _cleanup_free_ bool *all = NULL;
        bool block = b->ws.attach_pid <= 0;
        int r = block ? block_services(b, true) : 0;
        if (r < 0)
                return vz_error_set(err, r, "%s: cannot write policy-rc.d", vz_template_name(b->tmpl));
        if (!select) {
                all = vz_xmalloc((l->n + 1) * sizeof(bool));
                for (size_t i = 0; i < l->n; i++)
                        all[i] = true;
                select = all;
        }
        if (b->release_upgrade)  /* the old libraries first: new ones Conflict with them */
                r = dpkg_purge(b, remove, true, err);
        if (r >= 0)
                r = dpkg_selected(b, l, select, err);
        if (r >= 0 && !b->release_upgrade)
                r = dpkg_purge(b, remove, false, err);
        if (r >= 0 && b->release_upgrade) {
                char *pending[] = { "dpkg", "--configure", "--pending", "--force-confdef", "--force-confold", NULL };
                r = vz_build_ct_run(b, pending, "dpkg --configure --pending", -VZ_E_INSTALL, NULL, err);
        }
        if (r >= 0)
                r = audit(b, err);
        int k = block ? block_services(b, false) : 0;
        if (r >= 0 && k < 0)
                r = vz_error_set(err, k, "%s: cannot remove policy-rc.d", vz_template_name(b->tmpl));
        return r;
}

static int deb_finish_cache(struct vz_build *b, struct vz_error *err)
{
        int r = write_apt_sources(b, err);
        if (r >= 0)
                clean_apt_state(b);
        return r;
}

/* ---- what dpkg says is installed ----------------------------------------- */

static void add_installed(struct vz_pkglist *l, char **pkg, char **arch, char **ver, bool ok)
{
        if (*pkg && *ver && ok) {
                l->pkgs = vz_xrealloc(l->pkgs, (l->n + 1) * sizeof(*l->pkgs));
                l->pkgs[l->n++] = (struct vz_pkg){ .name = TAKE_PTR(*pkg), .arch = *arch ? TAKE_PTR(*arch) : vz_xstrdup("all"),
                                                   .version = TAKE_PTR(*ver) };
        }
        free(*pkg);
        free(*arch);
        free(*ver);
        *pkg = *arch = *ver = NULL;
}

static int deb_installed(struct vz_build *b, const struct vz_workspace *ws, struct vz_pkglist *ret,
                         struct vz_error *err)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_free_ char *what = ws->ctid ? vz_asprintf("container %s", ws->ctid) : vz_xstrdup(vz_template_name(b->tmpl));
        char *line, *next, *pkg = NULL, *arch = NULL, *ver = NULL;
        bool ok = false;
        /* the tenant's file, checked (regular, size, NUL, line length) first */
        int r = vz_dpkg_status_read(ws->root, what, &text, NULL, err);

        if (r < 0)
                return r;
        memset(ret, 0, sizeof(*ret));
        for (line = text; line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                if (*line == ' ' || *line == '\t')
                        continue;  /* a continuation line: never a field of its own */
                char *l = vz_strip(line);
                if (!*l)
                        add_installed(ret, &pkg, &arch, &ver, ok), ok = false;
                else if (vz_startswith(l, "Package:"))
                        free(pkg), pkg = vz_xstrdup(vz_strip(l + 8));
                else if (vz_startswith(l, "Architecture:"))
                        free(arch), arch = vz_xstrdup(vz_strip(l + 13));
                else if (vz_startswith(l, "Version:"))
                        free(ver), ver = vz_xstrdup(vz_strip(l + 8));
                else if (vz_startswith(l, "Status:"))
                        ok = strcmp(vz_strip(l + 7), "install ok installed") == 0;
        }
        add_installed(ret, &pkg, &arch, &ver, ok);
        return 0;
}

/* One " /path hash [obsolete|remove-on-upgrade]" line of a Conffiles field:
 * the path without its leading slash, or NULL. The path may hold blanks. */
static char *conffile_path(char *line)
{
        char *l = vz_strip(line), *sp;
        if (*l != '/')
                return NULL;
        for (int i = 0; i < 2 && (sp = strrchr(l, ' ')); i++) {
                bool flag = strcmp(sp + 1, "obsolete") == 0 || strcmp(sp + 1, "remove-on-upgrade") == 0;
                *sp = '\0';  /* the hash, or a flag and then the hash */
                if (!flag)
                        break;
        }
        while (*l == '/')
                l++;
        return *l ? vz_xstrdup(l) : NULL;
}

static int deb_conffiles(struct vz_build *b, char **names, char ***ret, struct vz_error *err)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_free_ char *what = vz_asprintf("container %s", b->ws.ctid ? b->ws.ctid : "?");
        char *line, *next;
        bool wanted = false, in_field = false;
        int r = vz_dpkg_status_read(b->ws.root, what, &text, NULL, err);

        if (r < 0)
                return r;
        *ret = vz_xmalloc(sizeof(char *));
        for (line = text; line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                if (*line == ' ' || *line == '\t') {
                        char *path = in_field && wanted ? conffile_path(line) : NULL;
                        if (path && !vz_strv_contains(*ret, path))
                                vz_strv_push(ret, path);
                        free(path);
                        continue;
                }
                in_field = vz_startswith(line, "Conffiles:");
                if (vz_startswith(line, "Package:"))
                        wanted = vz_strv_contains(names, vz_strip(line + 8));
        }
        return 0;
}

static const char *const deb_env[] = { "DEBIAN_FRONTEND=noninteractive", "DEBCONF_NONINTERACTIVE_SEEN=true", NULL };
static const char *const deb_state[] = { "var/lib/dpkg", NULL };
static const char *const deb_traces[] = {
        "var/cache/debconf/config.dat-old", "var/cache/debconf/templates.dat-old",
        "var/cache/debconf/passwords.dat-old", "var/lib/dpkg/status-old", "var/lib/dpkg/diversions-old",
        "var/lib/dpkg/statoverride-old", NULL,
};

const struct vz_backend vz_backend_deb = {
        .name = "deb",
        .pkg_suffix = ".deb",
        .env = deb_env,
        .state_dirs = deb_state,
        .pkg_mount = CT_PACKAGES,
        .build_traces = deb_traces,
        .stage_cache = true,
        .scan_output = deb_scan_output,
        .prepare = deb_prepare,
        .install_base = deb_base,
        .unpack_stages = deb_unpack_stages,
        .install_rest = deb_rest,
        .finish_install = deb_finish_install,
        .clean = deb_clean,
        .installed = deb_installed,
        .apply = deb_apply,
        .prepare_packages = deb_prepare_packages,
        .finish_cache = deb_finish_cache,
        .set_sources = deb_set_sources,
        .conffiles = deb_conffiles,
};
