/* cgroup.c: memory and pids limits for the build container through
 * libcgroup, on cgroup v1 (memory.limit_in_bytes) and v2 (memory.max).
 * A host without cgroup access still builds: the limits are then reported
 * as a warning instead of failing the build. */
#include "runtime-internal.h"

#include <libcgroup.h>

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
