/* runtime-internal.h: shared between the runtime's files only. */
#pragma once

#include "runtime.h"

#include <stdint.h>

struct vz_mount {
        char *source, *target;
        unsigned flags;
};

struct vz_ct_plan {
        char *root;
        struct vz_mount *binds;
        size_t n_binds;
        char *hostname;
        char **env, **argv;
        int (*fn)(void *userdata);
        void *fn_userdata;
        long long memory;
        long pids;
        bool host_network;
        bool nosync;             /* the sync family answers 0 (vz_plan_nosync) */
        long long timeout;       /* seconds, 0 = none */
        vz_output_fn output;
        void *userdata;
        int (*cancelled)(void);
        char *warning;
        pid_t attach_pid;        /* > 0: run inside this running container (attach.c) */
};

/* cgroup.c: a cgroup with the plan's limits, via libcgroup (v1 and v2). */
struct vz_cgroup;
int vz_cgroup_create(const struct vz_ct_plan *p, const char *name, struct vz_cgroup **ret, char **ret_warning);
int vz_cgroup_attach(struct vz_cgroup *cg, pid_t pid);
void vz_cgroup_destroy(struct vz_cgroup *cg);
void vz_cgroup_sweep(void);   /* cgroups of vzpkg runs that died */

/* confine.c: the layers between the container's code and the host. */
int vz_confine_caps(bool host_network);
int vz_confine_seccomp(bool nosync);
int vz_confine_fds(const int *keep, size_t n);
uint64_t vz_confine_caps_mask(bool host_network);
int vz_confine_seccomp_export(int fd);

/* attach.c: vz_ct_run() of a plan with attach_pid set. */
int vz_attach_run(struct vz_ct_plan *p, int *ret_status, struct vz_error *err);
/* Pure parts of attach.c, for the unit tests. */
int vz_attach_parse_capbnd(const char *status, uint64_t *ret_mask);
int vz_attach_parse_cgroup(const char *text, char **ret_path);
bool vz_attach_cgroup_path_ok(const char *path);

/* run.c: the child side, executed inside the new namespaces. */
void vz_child_main(const struct vz_ct_plan *p, int errfd, int outfd, int syncfd) __attribute__((noreturn));

/* tmpfs.c: enter vzpkg's own mount namespace (once; every mount private). */
int vz_private_mount_ns(void);
