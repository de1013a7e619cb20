/* stages.c: the keys of the stage cache, and saving and restoring a build
 * root at a stage (docs/internals/build.md, "The stage cache").
 *
 * A key is the SHA-256 of a text naming, one field per line, everything
 * that went into the stage: the vzpkg binary itself (its SHA-256: a new
 * build of vzpkg, whatever its version string, starts afresh), the
 * template's name, architecture and environment, SOURCE_DATE_EPOCH, the
 * packages of the stage with their SHA-256 and their place in the order,
 * and the content of every hook that ran. A host hook (pre-cache,
 * post-cache) runs with the whole host in reach, so its output cannot be
 * keyed: a stage after one is never saved nor restored. */
#include "context.h"
#include "pipeline.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>


/* ---- key text ------------------------------------------------------------ */

void vz_stagekey_init(struct vz_stagekey *k, const char *stage)
{
        k->text = vz_xstrdup("");
        k->len = 0;
        vz_stagekey_add(k, "format", "vzpkg-stage 1");
        vz_stagekey_add(k, "stage", stage);
}

void vz_stagekey_done(struct vz_stagekey *k)
{
        free(k->text);
        k->text = NULL;
}

/* "field=value\n", with '\\' and '\n' in the value escaped: no two lists
 * of fields give the same text. */
void vz_stagekey_add(struct vz_stagekey *k, const char *field, const char *value)
{
        size_t need = strlen(field) + 2 * strlen(value ? value : "") + 4;
        char *p;
        k->text = vz_xrealloc(k->text, k->len + need);
        p = k->text + k->len;
        p += snprintf(p, need, "%s%s", field, value ? "=" : "!");
        for (const char *v = value ? value : ""; *v; v++) {
                if (*v == '\\' || *v == '\n')
                        *p++ = '\\';
                *p++ = *v == '\n' ? 'n' : *v;
        }
        *p++ = '\n';
        *p = '\0';
        k->len = (size_t)(p - k->text);
}

/* A file by its content; a missing one is a value of its own. */
void vz_stagekey_add_file(struct vz_stagekey *k, const char *field, const char *path)
{
        char hex[65];
        if (!path) {
                vz_stagekey_add(k, field, NULL);
                return;
        }
        if (vz_sha256_file(path, hex) < 0)
                snprintf(hex, sizeof(hex), "unreadable");
        vz_stagekey_add(k, field, hex);
}

void vz_stagekey_finish(const struct vz_stagekey *k, char ret_hex[65])
{
        vz_sha256_hex(k->text, k->len, ret_hex);
}

/* The packages the stage installs, with what decides how they are
 * installed (essential set, batch, bootstrap stage), sorted: the list's
 * order within a batch follows libsolv's pool, which differs between a pool
 * read from the Packages files and one read from libsolv's cache, and does
 * not change the result (reproducible.md). base: only the essential set and
 * batch 0. */
void vz_stagekey_add_packages(struct vz_stagekey *k, const struct vz_pkglist *l, bool base)
{
        _cleanup_strv_ char **lines = vz_xmalloc(sizeof(char *));
        for (size_t i = 0; i < l->n; i++) {
                const struct vz_pkg *p = &l->pkgs[i];
                if (base && !p->bootstrap && p->batch != 0)
                        continue;
                vz_strv_push_take(&lines, vz_asprintf("%s %s %s %s %d %d %d", p->name, p->arch, p->version,
                                                      p->sha256 ? p->sha256 : "-", p->bootstrap, p->batch,
                                                      p->stage));
        }
        vz_strv_sort(lines);
        for (char **v = lines; *v; v++)
                vz_stagekey_add(k, "package", *v);
}

/* ---- the build's keys --------------------------------------------------------- */

static const char *self_sha256(void)
{
        static char hex[65];
        if (!hex[0] && vz_sha256_file("/proc/self/exe", hex) < 0)
                return NULL;
        return hex;
}

static void add_common(struct vz_build *b, struct vz_stagekey *k)
{
        _cleanup_free_ char *sde = vz_asprintf("%lld", vz_source_date_epoch(b));
        vz_stagekey_add(k, "vzpkg", self_sha256());
        vz_stagekey_add(k, "template", vz_template_name(b->tmpl));
        vz_stagekey_add(k, "arch", vz_template_arch(b->tmpl));
        vz_stagekey_add(k, "package-manager", vz_template_package_manager(b->tmpl));
        vz_stagekey_add(k, "source-date-epoch", sde);
        for (char *const *e = vz_template_environment(b->tmpl); *e; e++)
                vz_stagekey_add(k, "environment", *e);
}

/* What the end of a Debian install reads besides the packages: the apt
 * sources it writes and the keys it copies. */
static void add_sources(struct vz_build *b, struct vz_stagekey *k)
{
        size_t n = 0;
        const struct vz_repo_spec *specs = vz_template_repos(b->tmpl, &n);
        for (size_t i = 0; i < n; i++) {
                vz_stagekey_add(k, "repository", specs[i].urls[0]);
                vz_stagekey_add(k, "suite", specs[i].suite);
                for (char **c = specs[i].components; c && *c; c++)
                        vz_stagekey_add(k, "component", *c);
        }
        for (char **f = b->session.keyfiles; f && *f; f++) {
                vz_stagekey_add(k, "keyfile", *f);
                vz_stagekey_add_file(k, "keyfile-content", *f);
        }
}

bool vz_build_stages_on(struct vz_build *b)
{
        return b->ctx->cfg.stage_cache && !b->ctx->no_stage_cache && b->ws.attach_pid <= 0 && !b->ws.ctid &&
               self_sha256();
}

/* false: the stage cannot be keyed (off, or a host hook contributes). */
bool vz_build_stage_key(struct vz_build *b, const struct vz_pkglist *l, enum vz_build_stage stage,
                        char ret_hex[65])
{
        static const char *const ct_hooks[] = { "mid-pre-install", "mid-post-install", "post-install" };
        struct vz_stagekey k;

        if (!vz_build_stages_on(b) || vz_template_hook(b->tmpl, "pre-cache") ||
            (stage == VZ_STAGE_FINAL && vz_template_hook(b->tmpl, "post-cache")))
                return false;
        vz_stagekey_init(&k, stage == VZ_STAGE_BASE ? "base" : "final");
        add_common(b, &k);
        vz_stagekey_add_packages(&k, l, stage == VZ_STAGE_BASE);
        if (stage == VZ_STAGE_FINAL) {
                _cleanup_free_ char *ns = vz_asprintf("%d", b->n_stages);
                vz_stagekey_add(&k, "bootstrap-stages", ns);
                add_sources(b, &k);
                for (size_t i = 0; i < ELEMENTSOF(ct_hooks); i++)
                        vz_stagekey_add_file(&k, ct_hooks[i], vz_template_hook(b->tmpl, ct_hooks[i]));
        }
        vz_stagekey_finish(&k, ret_hex);
        if (b->ws.log)
                fprintf(b->ws.log, "\n### stage %s: key %s\n%s", stage == VZ_STAGE_BASE ? "base" : "final", ret_hex,
                        k.text), fflush(b->ws.log);
        vz_stagekey_done(&k);
        return true;
}

/* 1: the root now holds the stage; 0: not saved (the root is untouched). A
 * restore that fails half-way leaves a root nobody can trust: an error. */
int vz_build_stage_restore(struct vz_build *b, const char *key, const char *what, struct vz_error *err)
{
        double t0 = vz_now();
        int r = vz_stage_load(b->ctx->cfg.stage_cache, key, b->ws.root, vz_interrupted, err);
        if (r > 0)
                vz_verbose("%s: %s restored from the stage cache in %.1f s", vz_template_name(b->tmpl), what,
                           vz_now() - t0);
        if (r > 0 && b->ws.log)
                fprintf(b->ws.log, "\n### %s restored from the stage cache (%s)\n", what, key), fflush(b->ws.log);
        return r;
}

/* Saving is an optimisation: a failure is a warning, never a failed build. */
void vz_build_stage_save(struct vz_build *b, const char *key, const char *what)
{
        struct vz_error e = { 0 };
        double t0 = vz_now();
        int r = vz_stage_save(b->ctx->cfg.stage_cache, key, b->ws.root, b->ctx->cfg.stage_cache_max, vz_interrupted,
                              &e);
        if (r < 0 && r != -VZ_E_INTERRUPTED)
                vz_warn("%s: cannot save the %s in the stage cache: %s", vz_template_name(b->tmpl), what, e.msg);
        else if (r >= 0)
                vz_verbose("%s: %s saved in the stage cache in %.1f s", vz_template_name(b->tmpl), what,
                           vz_now() - t0);
}

/* ---- the finished root ----------------------------------------------------
 * A zstd cache (the default) is saved as the stage once it is packed: the
 * packer's output restores to a root that packs to the same bytes
 * (vz_stage_save_file), and a build that restores the finished root does
 * nothing with it but check and pack it. Other formats are saved as a
 * stage archive of their own by a child process while vzpkg packs: both
 * only read the root. Either way the stage holds templates/vzpackages,
 * which a build restoring it writes again with the same content. */

void vz_build_stage_save_defer(struct vz_build *b, const char *key)
{
        snprintf(b->final_stage, sizeof(b->final_stage), "%s", key);
}

pid_t vz_build_stage_save_start(struct vz_build *b)
{
        pid_t pid;
        if (!b->final_stage[0] || b->ctx->cfg.archive == VZ_ARCHIVE_ZST)
                return -1;  /* a zstd cache is the stage itself: vz_build_stage_save_packed() */
        fflush(NULL);
        pid = fork();
        if (pid == 0) {
                struct vz_error e = { 0 };
                (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
                int r = vz_stage_save(b->ctx->cfg.stage_cache, b->final_stage, b->ws.root, b->ctx->cfg.stage_cache_max,
                                      vz_interrupted, &e);
                if (r < 0 && r != -VZ_E_INTERRUPTED)
                        vz_warn("%s: cannot save the finished root in the stage cache: %s", vz_template_name(b->tmpl),
                                e.msg);
                fflush(NULL);
                _exit(r < 0 ? 1 : 0);
        }
        if (pid < 0)  /* then here, before packing */
                vz_build_stage_save(b, b->final_stage, "finished root");
        b->final_stage[0] = '\0';
        b->stage_saver_t0 = vz_now();
        return pid;
}

void vz_build_stage_save_finish(struct vz_build *b, pid_t pid, bool stop)
{
        int st = 0;
        if (pid <= 0)
                return;
        if (stop)
                kill(pid, SIGKILL);
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        if (!stop && WIFEXITED(st) && WEXITSTATUS(st) == 0)
                vz_verbose("%s: finished root saved in the stage cache in %.1f s, beside packing",
                           vz_template_name(b->tmpl), vz_now() - b->stage_saver_t0);
}

/* After a zstd cache was packed (sha256: its SHA-256) and published at path. */
void vz_build_stage_save_packed(struct vz_build *b, const char *path, const char sha256[65])
{
        struct vz_error e = { 0 };
        double t0 = vz_now();
        int r;
        if (!b->final_stage[0])
                return;
        r = vz_stage_save_file(b->ctx->cfg.stage_cache, b->final_stage, path, sha256, b->ctx->cfg.stage_cache_max, &e);
        b->final_stage[0] = '\0';
        if (r < 0)
                vz_warn("%s: cannot save the finished root in the stage cache: %s", vz_template_name(b->tmpl), e.msg);
        else
                vz_verbose("%s: finished root saved in the stage cache in %.1f s, as the packed cache",
                           vz_template_name(b->tmpl), vz_now() - t0);
}
