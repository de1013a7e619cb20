/* attach.c: running a plan inside a running container (vz_plan_attach).
 * Placeholder of the interface; the implementation joins the container's
 * namespaces and cgroup through its init. */
#include "runtime-internal.h"

void vz_plan_attach(struct vz_ct_plan *p, pid_t init_pid)
{
        p->attach_pid = init_pid;
}

int vz_attach_run(struct vz_ct_plan *p, int *ret_status, struct vz_error *err)
{
        (void)ret_status;
        return vz_error_set(err, -ENOTSUP, "container %s is running: attaching is not implemented yet", p->root);
}
