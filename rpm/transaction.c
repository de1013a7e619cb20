/* transaction.c: one librpm transaction in the current root (rpm/). Run by
 * the build container's child after pivot_root, so scriptlets and triggers
 * run isolated and without network; librpm was configured on the host
 * before the fork. Every line goes to the job's callback. */
#include "rpm-internal.h"

#include <rpm/rpmlib.h>
#include <rpm/rpmdb.h>
#include <rpm/rpmps.h>

struct run {
        const struct vz_rpm_job *job;
        FD_t fd;  /* the package librpm is reading */
};

static void say(const struct vz_rpm_job *job, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const struct vz_rpm_job *job, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *s = NULL;
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        if (s && job->line)
                job->line(job->data, s);
}

static void *on_progress(const void *h, const rpmCallbackType what, const rpm_loff_t amount,
                         const rpm_loff_t total, fnpyKey key, rpmCallbackData data)
{
        struct run *run = data;
        (void)amount;
        (void)total;
        switch (what) {
        case RPMCALLBACK_INST_OPEN_FILE:
                run->fd = Fopen(key, "r.ufdio");
                return run->fd;
        case RPMCALLBACK_INST_CLOSE_FILE:
                Fclose(run->fd);
                run->fd = NULL;
                break;
        case RPMCALLBACK_INST_START:
                /* for the log, and counted for the progress bar by the
                 * process that reads this one's output */
                if (h) {
                        _cleanup_free_ char *nevra = headerGetAsString((Header)h, RPMTAG_NEVRA);
                        say(run->job, VZ_RPM_INSTALLING "%s", nevra ? nevra : "?");
                }
                break;
        default:
                break;
        }
        return NULL;
}

static int print_problems(const struct vz_rpm_job *job, rpmts ts)
{
        rpmps ps = rpmtsProblems(ts);
        rpmpsi psi = rpmpsInitIterator(ps);
        rpmProblem p;
        int n = 0;
        while ((p = rpmpsiNext(psi))) {
                _cleanup_free_ char *s = rpmProblemString(p);
                say(job, "rpm: %s", s);
                n++;
        }
        rpmpsFreeIterator(psi);
        rpmpsFree(ps);
        return n;
}

static int add_install(const struct vz_rpm_job *job, rpmts ts, const struct vz_rpm_item *it)
{
        FD_t fd = Fopen(it->path, "r.ufdio");
        Header h = NULL;
        rpmRC rc = fd ? rpmReadPackageFile(ts, fd, it->path, &h) : RPMRC_FAIL;
        if (fd)
                Fclose(fd);
        /* the path is the transaction's key for the file: on_progress opens it */
        if (rc != RPMRC_OK || rpmtsAddInstallElement(ts, h, (fnpyKey)it->path, job->upgrade, NULL) != 0) {
                say(job, "rpm: cannot add %s to the transaction", it->name);
                headerFree(h);
                return -VZ_E_INSTALL;
        }
        headerFree(h);
        return 0;
}

static int add_elements(const struct vz_rpm_job *job, rpmts ts)
{
        for (size_t i = 0; i < job->n_install; i++)
                if (add_install(job, ts, &job->install[i]) < 0)
                        return -VZ_E_INSTALL;
        for (char *const *n = job->erase; n && *n; n++) {
                rpmdbMatchIterator mi = rpmtsInitIterator(ts, RPMDBI_NAME, *n, 0);
                Header h;
                while ((h = rpmdbNextIterator(mi)))
                        rpmtsAddEraseElement(ts, h, -1);
                rpmdbFreeIterator(mi);
        }
        return 0;
}

/* The keys go into the root's own rpmdb: librpm checks every package
 * against them again, and the root's own tools trust them. */
static int import_keys(const struct vz_rpm_job *job, rpmts ts)
{
        for (size_t i = 0; job->keys && i < keys_count(job->keys); i++)
                if (keys_import(job->keys, i, ts) < 0) {
                        say(job, "rpm: cannot import the template's key %zu into the rpmdb", i);
                        return -VZ_E_INSTALL;
                }
        return 0;
}

int vz_rpm_transaction(const struct vz_rpm_job *job)
{
        struct run run = { .job = job };
        rpmts ts = rpmtsCreate();
        int r = -VZ_E_INSTALL;

        rpmtsSetRootDir(ts, "/");
        if (import_keys(job, ts) < 0)
                goto out;
        /* verified by the caller already; a file admitted unsigned has its
         * digests checked here, not a signature */
        rpmtsSetVfyLevel(ts, job->digests_only ? RPMSIG_DIGEST_TYPE : RPMSIG_DIGEST_TYPE | RPMSIG_SIGNATURE_TYPE);
        if (add_elements(job, ts) < 0)
                goto out;
        if (rpmtsCheck(ts) != 0 || print_problems(job, ts) > 0)
                goto out;
        rpmtsOrder(ts);
        rpmtsSetNotifyCallback(ts, on_progress, &run);
        rpmtsSetFlags(ts, RPMTRANS_FLAG_NOPLUGINS | (job->nodocs ? RPMTRANS_FLAG_NODOCS : 0));
        if (rpmtsRun(ts, NULL, RPMPROB_FILTER_NONE) != 0) {
                if (print_problems(job, ts) == 0)
                        say(job, "rpm: the transaction failed (a scriptlet or file operation; see above)");
                goto out;
        }
        r = 0;
out:
        rpmtsFree(ts);
        return r;
}
