/* hooks.c: one template hook script. Host hooks get $1 = the root
 * directory and $2 = the container id (empty while building a cache);
 * container hooks are bind-mounted read-only into the build container and
 * run there with bash. A non-zero exit aborts with the hook's name, its
 * status and the tail of its output. When each hook runs is the phase
 * table's business (phases.c). */
#include "context.h"
#include "pipeline.h"

extern char **environ;

static char **hook_env(struct vz_build *b, const struct vz_template *t)
{
        char **env = vz_xmalloc(sizeof(char *));
        for (char **e = environ; *e; e++)
                vz_strv_push(&env, *e);
        for (char *const *e = vz_template_environment(t); *e; e++)
                vz_strv_push(&env, *e);
        vz_strv_push_take(&env, vz_asprintf("VZPKG_TEMPLATE=%s", vz_template_name(t)));
        if (b->app_cache)
                vz_strv_push(&env, "APP_CACHE=1");
        return env;
}

int vz_hook_host(struct vz_build *b, const struct vz_template *t, const char *hook, struct vz_error *err)
{
        const char *path = vz_template_hook(t, hook);
        _cleanup_strv_ char **env = NULL;
        _cleanup_free_ char *what = NULL;
        char *argv[] = { (char *)path, b->ws.root, (char *)(b->ws.ctid ? b->ws.ctid : ""), NULL };
        char tail[400];
        int status = 0, r;

        if (!path)
                return 0;
        vz_verbose("%s: running hook %s on the host", vz_template_name(t), hook);
        if (b->ws.log)
                fprintf(b->ws.log, "\n### hook %s (host): %s\n", hook, path), fflush(b->ws.log);
        env = hook_env(b, t);
        what = vz_asprintf("hook %s", hook);
        b->ws.tail_len = 0;
        r = vz_build_exec_host(b, t, what, argv, env, &status, err);
        if (r < 0)
                return r;
        if (status != 0) {
                vz_build_tail(b, tail, sizeof(tail));
                return vz_error_set(err, -VZ_E_HOOK, "%s: hook %s exited with status %d: %s (log: %s)",
                                    vz_template_name(t), hook, status, tail[0] ? tail : "no output", b->ws.logpath);
        }
        return 0;
}

int vz_hook_ct(struct vz_build *b, const struct vz_template *t, const char *hook, struct vz_error *err)
{
        const char *path = vz_template_hook(t, hook);
        _cleanup_plan_ struct vz_ct_plan *p = NULL;
        _cleanup_free_ char *what = NULL;
        char *argv[] = { "/bin/bash", "/run/vzpkg/hook", NULL };

        if (!path)
                return 0;
        vz_verbose("%s: running hook %s in the container", vz_template_name(t), hook);
        p = vz_build_plan_for(b, t);
        vz_plan_bind(p, path, "/run/vzpkg/hook", VZ_BIND_RO | VZ_BIND_FILE);
        what = vz_asprintf("hook %s", hook);
        return vz_build_ct_run_as(b, t, argv, what, -VZ_E_HOOK, p, err);
}
