/* cgroup.c: memory and pids limits for the build container through
 * libcgroup, on cgroup v1 (memory.limit_in_bytes) and v2 (memory.max).
 * A host without cgroup access still builds: the limits are then reported
 * as a warning instead of failing the build. */
#include "runtime-internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <libcgroup.h>
#include <signal.h>

struct vz_cgroup {
        struct cgroup *cg;
};

static bool cgroup_v2(void)
{
        return access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0;
}

static int set_limits(struct cgroup *cg, const struct vz_ct_plan *p)
{
        bool v2 = cgroup_v2();
        char buf[32];
        if (p->memory > 0) {
                struct cgroup_controller *m = cgroup_add_controller(cg, "memory");
                snprintf(buf, sizeof(buf), "%lld", p->memory);
                if (!m || cgroup_add_value_string(m, v2 ? "memory.max" : "memory.limit_in_bytes", buf) != 0)
                        return -1;
        }
        if (p->pids > 0) {
                struct cgroup_controller *c = cgroup_add_controller(cg, "pids");
                snprintf(buf, sizeof(buf), "%ld", p->pids);
                if (!c || cgroup_add_value_string(c, "pids.max", buf) != 0)
                        return -1;
        }
        return 0;
}

/* A vzpkg killed with SIGKILL leaves its vzpkg/ct-<pid> cgroups behind
 * (its container died with it: PDEATHSIG). Remove those of dead pids; a
 * cgroup still holding a process refuses rmdir, so a live run loses
 * nothing even if its pid was reused. */
static void sweep_dead(const char *controller)
{
        char *mnt = NULL;
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int dfd = -1;
        DIR *d;
        struct dirent *de;

        if (cgroup_get_subsys_mount_point(controller, &mnt) != 0 || !mnt)
                return;
        dir = vz_path_join(mnt, "vzpkg");
        free(mnt);
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0 || !(d = fdopendir(dup(dfd))))
                return;
        while ((de = readdir(d))) {
                char *end = NULL;
                long pid;
                if (strncmp(de->d_name, "ct-", 3) != 0)
                        continue;
                errno = 0;
                pid = strtol(de->d_name + 3, &end, 10);
                if (errno || !end || *end || pid <= 0 || pid == getpid())
                        continue;
                if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
                        unlinkat(dfd, de->d_name, AT_REMOVEDIR);
        }
        closedir(d);
}

void vz_cgroup_sweep(void)
{
        if (cgroup_init() != 0)
                return;
        sweep_dead("memory");
        sweep_dead("pids");
}

int vz_cgroup_create(const struct vz_ct_plan *p, const char *name, struct vz_cgroup **ret, char **ret_warning)
{
        struct cgroup *cg;
        int r;

        *ret = NULL;
        if (p->memory <= 0 && p->pids <= 0)
                return 0;
        r = cgroup_init();
        if (r != 0) {
                *ret_warning = vz_asprintf("limits not applied: cgroups unavailable (%s)", cgroup_strerror(r));
                return -ENODEV;
        }
        vz_cgroup_sweep();
        cg = cgroup_new_cgroup(name);
        if (!cg || set_limits(cg, p) < 0 || (r = cgroup_create_cgroup(cg, 0)) != 0) {
                *ret_warning = vz_asprintf("limits not applied: cannot create cgroup %s (%s)", name,
                                           cg ? cgroup_strerror(r) : "out of memory");
                if (cg)
                        cgroup_free(&cg);
                return -EPERM;
        }
        *ret = vz_xmalloc(sizeof(**ret));
        (*ret)->cg = cg;
        return 0;
}

int vz_cgroup_attach(struct vz_cgroup *cg, pid_t pid)
{
        return cgroup_attach_task_pid(cg->cg, pid) == 0 ? 0 : -EPERM;
}

/* The shared "vzpkg" parent goes too once no other run uses it; while one
 * does, the removal fails with EBUSY and that run removes it later. */
static void remove_parent(void)
{
        struct cgroup *parent = cgroup_new_cgroup("vzpkg");
        if (!parent)
                return;
        cgroup_add_controller(parent, "memory");
        cgroup_add_controller(parent, "pids");
        cgroup_delete_cgroup(parent, 0);
        cgroup_free(&parent);
}

void vz_cgroup_destroy(struct vz_cgroup *cg)
{
        if (!cg)
                return;
        /* Every process in it is dead by now (the PID namespace is gone). */
        cgroup_delete_cgroup(cg->cg, 1);
        cgroup_free(&cg->cg);
        free(cg);
        remove_parent();
}
