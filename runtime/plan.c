/* plan.c: building and checking a container plan. Nothing here needs
 * privileges; vz_ct_run() executes a validated plan. */
#include "runtime-internal.h"

struct vz_ct_plan *vz_plan_new(const char *root)
{
        struct vz_ct_plan *p = vz_xmalloc(sizeof(*p));
        p->root = vz_xstrdup(root);
        p->hostname = vz_xstrdup("vzpkg");
        p->env = vz_xmalloc(sizeof(char *));
        /* No /usr/local: it is the tenant's as much as the rest. */
        vz_strv_push(&p->env, "PATH=/usr/sbin:/usr/bin:/sbin:/bin");
        p->argv = vz_xmalloc(sizeof(char *));
        return p;
}

void vz_plan_free(struct vz_ct_plan *p)
{
        if (!p)
                return;
        for (size_t i = 0; i < p->n_binds; i++) {
                free(p->binds[i].source);
                free(p->binds[i].target);
        }
        free(p->binds);
        free(p->root);
        free(p->hostname);
        free(p->warning);
        vz_strv_free(p->env);
        vz_strv_free(p->argv);
        free(p);
}

void vz_plan_bind(struct vz_ct_plan *p, const char *host_path, const char *ct_path, unsigned flags)
{
        p->binds = vz_xrealloc(p->binds, (p->n_binds + 1) * sizeof(*p->binds));
        p->binds[p->n_binds++] = (struct vz_mount){ vz_xstrdup(host_path), vz_xstrdup(ct_path), flags };
}

void vz_plan_hostname(struct vz_ct_plan *p, const char *hostname)
{
        free(p->hostname);
        p->hostname = vz_xstrdup(hostname);
}

void vz_plan_env(struct vz_ct_plan *p, const char *key_value)
{
        const char *eq = strchr(key_value, '=');
        size_t l = eq ? (size_t)(eq - key_value) + 1 : strlen(key_value);
        for (char **e = p->env; *e; e++)
                if (strncmp(*e, key_value, l) == 0) {  /* a later value replaces */
                        free(*e);
                        *e = vz_xstrdup(key_value);
                        return;
                }
        vz_strv_push(&p->env, key_value);
}

void vz_plan_command(struct vz_ct_plan *p, char *const *argv)
{
        vz_strv_free(p->argv);
        p->argv = vz_xmalloc(sizeof(char *));
        for (; argv && *argv; argv++)
                vz_strv_push(&p->argv, *argv);
}

void vz_plan_function(struct vz_ct_plan *p, int (*fn)(void *userdata), void *userdata)
{
        p->fn = fn;
        p->fn_userdata = userdata;
}

void vz_plan_limits(struct vz_ct_plan *p, long long memory_bytes, long pids_max)
{
        p->memory = memory_bytes;
        p->pids = pids_max;
}

void vz_plan_nosync(struct vz_ct_plan *p, bool nosync)
{
        p->nosync = nosync;
}

void vz_plan_network(struct vz_ct_plan *p, bool host)
{
        p->host_network = host;
}

void vz_plan_timeout(struct vz_ct_plan *p, long long seconds)
{
        p->timeout = seconds > 0 ? seconds : 0;
}

void vz_plan_output(struct vz_ct_plan *p, vz_output_fn fn, void *userdata)
{
        p->output = fn;
        p->userdata = userdata;
}

void vz_plan_cancel(struct vz_ct_plan *p, int (*cancelled)(void))
{
        p->cancelled = cancelled;
}

const char *vz_plan_warning(const struct vz_ct_plan *p)
{
        return p->warning;
}

static bool path_ok(const char *path)
{
        if (!path || path[0] != '/')
                return false;
        for (const char *s = path; (s = strstr(s, "..")); s += 2)
                if ((s == path || s[-1] == '/') && (s[2] == '/' || s[2] == '\0'))
                        return false;
        return true;
}

int vz_plan_validate(const struct vz_ct_plan *p, struct vz_error *err)
{
        if (!path_ok(p->root) || strcmp(p->root, "/") == 0)
                return vz_error_set(err, -EINVAL, "container root %s: must be an absolute path other than /", p->root);
        if (!p->argv[0] && !p->fn)
                return vz_error_set(err, -EINVAL, "container %s: no command to run", p->root);
        for (size_t i = 0; i < p->n_binds; i++)
                if (!path_ok(p->binds[i].source) || !path_ok(p->binds[i].target) ||
                    strcmp(p->binds[i].target, "/") == 0)
                        return vz_error_set(err, -EINVAL, "container %s: bad bind mount %s -> %s", p->root,
                                            p->binds[i].source, p->binds[i].target);
        return 0;
}
