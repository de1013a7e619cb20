/* rpmdb-read.c: reading with librpm from the host: a root's rpmdb and a
 * package file's header (rpm/). */
#include "rpm-internal.h"

#include <rpm/rpmdb.h>
#include <rpm/rpmfiles.h>
#include <rpm/rpmlib.h>
#include <sys/stat.h>

/* Reading the rpmdb from the host leaves sqlite's WAL files; empty, they
 * hold nothing and are not the root's content. */
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

static void push_pkg(struct vz_pkglist *l, Header h, const char *name)
{
        uint32_t epoch = headerGetNumber(h, RPMTAG_EPOCH);
        const char *arch = headerGetString(h, RPMTAG_ARCH);
        const char *version = headerGetString(h, RPMTAG_VERSION), *release = headerGetString(h, RPMTAG_RELEASE);
        l->pkgs = vz_xrealloc(l->pkgs, (l->n + 1) * sizeof(*l->pkgs));
        l->pkgs[l->n++] = (struct vz_pkg){
                .name = vz_xstrdup(name),
                .arch = vz_xstrdup(arch ? arch : "noarch"),
                .version = epoch ? vz_asprintf("%u:%s-%s", epoch, version, release)
                                 : vz_asprintf("%s-%s", version, release),
        };
}

int vz_rpm_installed(const char *root, const char *what, struct vz_pkglist *ret, struct vz_error *err)
{
        rpmts ts;
        rpmdbMatchIterator mi;
        Header h;
        /* a tenant's race against this check stays open, see
         * docs/internals/security.md */
        int r = vz_rpmdb_check_links(root, what, err);
        if (r < 0)
                return r;
        ts = rpmtsCreate();
        rpmtsSetRootDir(ts, root);
        memset(ret, 0, sizeof(*ret));
        mi = rpmtsInitIterator(ts, RPMDBI_PACKAGES, NULL, 0);
        if (!mi) {
                rpmtsFree(ts);
                return vz_error_set(err, -VZ_E_INSTALL, "no rpmdb in %s/var/lib/rpm", root);
        }
        while ((h = rpmdbNextIterator(mi))) {
                const char *name = headerGetString(h, RPMTAG_NAME);
                if (name && strcmp(name, "gpg-pubkey") != 0)
                        push_pkg(ret, h, name);
        }
        rpmdbFreeIterator(mi);
        rpmtsFree(ts);
        drop_empty_wal(root);  /* only what this read left behind */
        return 0;
}

static void fix_mode(rpmts ts, const char *root, const char *dir)
{
        rpmdbMatchIterator mi = rpmtsInitIterator(ts, RPMDBI_INSTFILENAMES, dir, 0);
        Header h = mi ? rpmdbNextIterator(mi) : NULL;
        if (h) {
                rpmfiles files = rpmfilesNew(NULL, h, RPMTAG_BASENAMES, RPMFI_KEEPHEADER);
                int ix = rpmfilesFindFN(files, dir);
                _cleanup_free_ char *path = vz_path_join(root, dir);
                if (ix >= 0)
                        chmod(path, rpmfilesFMode(files, ix) & 07777);
                rpmfilesFree(files);
        }
        rpmdbFreeIterator(mi);
}

void vz_rpm_fix_modes(const char *root, const char *const *dirs)
{
        rpmts ts = rpmtsCreate();
        rpmtsSetRootDir(ts, root);
        for (const char *const *d = dirs; *d; d++)
                fix_mode(ts, root, *d);
        rpmtsFree(ts);
}

static char *tag_string(Header h, rpmTagVal tag)
{
        const char *s = headerGetString(h, tag);
        return s ? vz_xstrdup(s) : NULL;
}

int vz_rpm_read_header(const char *path, struct vz_rpm_header *ret, struct vz_error *err)
{
        rpmts ts;
        FD_t fd;
        Header h = NULL;
        rpmRC rc;

        rpm_init();
        ts = rpmtsCreate();
        fd = Fopen(path, "r.ufdio");
        rpmtsSetVSFlags(ts, RPMVSF_MASK_NODIGESTS | RPMVSF_MASK_NOSIGNATURES);  /* the caller verified it */
        rc = fd ? rpmReadPackageFile(ts, fd, path, &h) : RPMRC_FAIL;
        if (fd)
                Fclose(fd);
        rpmtsFree(ts);
        if (rc != RPMRC_OK) {
                headerFree(h);
                return vz_error_set(err, -VZ_E_CHECKSUM, "%s: not a package librpm can read", path);
        }
        *ret = (struct vz_rpm_header){
                .name = tag_string(h, RPMTAG_NAME),
                .version = tag_string(h, RPMTAG_VERSION),
                .release = tag_string(h, RPMTAG_RELEASE),
                .arch = tag_string(h, RPMTAG_ARCH),
                .nevra = headerGetAsString(h, RPMTAG_NEVRA),
                .epoch = headerGetNumber(h, RPMTAG_EPOCH),
        };
        headerFree(h);
        return 0;
}

void vz_rpm_header_done(struct vz_rpm_header *h)
{
        free(h->name);
        free(h->version);
        free(h->release);
        free(h->arch);
        free(h->nevra);
        memset(h, 0, sizeof(*h));
}
