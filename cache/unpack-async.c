/* unpack-async.c: unpacking a template cache in a thread of its own, so
 * that `update cache` can unpack the old cache while it still waits for the
 * repositories (conditional requests for each InRelease, about a second,
 * mostly spent waiting on the network). The result is the same tree a
 * plain vz_cache_unpack() gives: the same function does the work. */
#include "cache.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

struct vz_unpack_job {
        pthread_t thread;
        char *path, *root;
        int (*cancelled)(void);
        atomic_bool stop;
        int result;
        struct vz_error err;
};

/* vz_cache_unpack() polls a function without arguments: the job it is
 * polled for is the thread's. */
static _Thread_local struct vz_unpack_job *current;

static int job_cancelled(void)
{
        return atomic_load(&current->stop) || (current->cancelled && current->cancelled());
}

static void *job_main(void *arg)
{
        struct vz_unpack_job *j = arg;
        current = j;
        /* vz_cache_unpack() works relative to the working directory, which
         * threads share: this thread gets a private one first. */
        if (unshare(CLONE_FS) < 0)
                j->result = vz_error_set(&j->err, -errno, "cache %s: unshare(CLONE_FS): %m", j->path);
        else
                j->result = vz_cache_unpack(j->path, j->root, job_cancelled, &j->err);
        return NULL;
}

int vz_cache_unpack_start(const char *path, const char *root, int (*cancelled)(void), struct vz_unpack_job **ret)
{
        struct vz_unpack_job *j = vz_xmalloc(sizeof(*j));
        int r;

        *j = (struct vz_unpack_job){ .path = vz_xstrdup(path), .root = vz_xstrdup(root), .cancelled = cancelled };
        atomic_init(&j->stop, false);
        r = pthread_create(&j->thread, NULL, job_main, j);
        if (r != 0) {
                free(j->path);
                free(j->root);
                free(j);
                return -r;
        }
        *ret = j;
        return 0;
}

int vz_cache_unpack_wait(struct vz_unpack_job *j, bool cancel, struct vz_error *err)
{
        int r;
        if (!j)
                return 0;
        if (cancel)
                atomic_store(&j->stop, true);
        pthread_join(j->thread, NULL);
        r = j->result;
        if (r < 0 && !cancel && err)
                *err = j->err;
        free(j->path);
        free(j->root);
        free(j);
        return cancel ? 0 : r;
}
