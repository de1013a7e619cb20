/* appcache.c: caches of an OS template with application templates already
 * installed ("appcaches"), as vztt keeps them: the OS template's cache is
 * unpacked into a work root, the apps' packages are installed there in the
 * build container between the apps' install hooks, and the root is
 * normalised, packed and published like an OS cache, with a manifest. The
 * file is named as vztt names it, "<ost>_app_<md5 of the app list>", with
 * vztt's list file beside it, so that vzctl and vztt's scripts find it.
 * docs/internals/appcache.md. */
#include "context.h"
#include "backend.h"
#include "pipeline.h"
#include "containers.h"

#include <ctype.h>
#include <dirent.h>
#include <jansson.h>
#include <sys/stat.h>

#define APP_SEP "_app_"
#define LIST_SUFFIX ".list"
#define SAMPLE_DEFAULT "vps.vzpkgtools.conf-sample"  /* vztt's default sample config */
#define LIST_MAX (1 << 20)

/* ---- names ------------------------------------------------------------------ */

static const char *undot(const char *s) { return s[0] == '.' ? s + 1 : s; }

static char **sorted_unique(char *const *apps)
{
        char **v = vz_xmalloc(sizeof(char *));
        for (char *const *a = apps; a && *a; a++)
                if (*undot(*a) && !vz_strv_contains(v, undot(*a)))
                        vz_strv_push(&v, undot(*a));
        vz_strv_sort(v);  /* strcmp: the order vztt sorts the list in */
        return v;
}

/* vztt hashes the list file it writes: five blanks, the name, a newline,
 * per app, in strcmp order. Its text is the name's input, byte for byte. */
char *vz_appcache_list_text(char *const *apps)
{
        _cleanup_strv_ char **v = sorted_unique(apps);
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (!f)
                return vz_xstrdup("");
        for (char **a = v; *a; a++)
                fprintf(f, "     %s\n", *a);
        fclose(f);
        return buf;
}

char *vz_appcache_name(const char *os, char *const *apps)
{
        _cleanup_free_ char *text = vz_appcache_list_text(apps);
        char hex[33];
        vz_md5_hex(text, strlen(text), hex);
        return vz_asprintf("%s" APP_SEP "%s", undot(os), hex);
}

char *vz_appcache_list_os(const char *filename)
{
        const char *sep = strstr(filename, APP_SEP), *hex;
        size_t len = strlen(filename), sl = strlen(LIST_SUFFIX);
        if (!sep || sep == filename || len < sl || strcmp(filename + len - sl, LIST_SUFFIX) != 0)
                return NULL;
        hex = sep + strlen(APP_SEP);
        if ((size_t)(filename + len - sl - hex) != 32)
                return NULL;
        for (int i = 0; i < 32; i++)
                if (!isxdigit((unsigned char)hex[i]) || isupper((unsigned char)hex[i]))
                        return NULL;
        return strndup(filename, (size_t)(sep - filename));
}

/* A template name as it may appear in a list file or a config: printable,
 * no blank, no slash, not "." or "..". */
static bool app_name_ok(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n > 255 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
                return false;
        for (; *s; s++)
                if (!isgraph((unsigned char)*s) || *s == '/')
                        return false;
        return true;
}

char **vz_appcache_list_parse(const char *text)
{
        _cleanup_strv_ char **lines = vz_strv_split(text ? text : "", "\n");
        char **v = vz_xmalloc(sizeof(char *));
        for (char **l = lines; *l; l++) {
                const char *name = vz_strip(*l);
                if (*name && app_name_ok(name))
                        vz_strv_push(&v, undot(name));
        }
        return v;
}

/* ---- the sample config (vztt's --config) ---------------------------------------- */

/* vzctl's name for a sample: CONF_DIR/ve-NAME.conf-sample when that exists;
 * otherwise NAME is a path (vztt's default name is a file in CONF_DIR). */
static char *sample_path(struct vz_ctx *ctx, const char *sample)
{
        const char *dir = ctx->cfg.conf_dir ? ctx->cfg.conf_dir : "/etc/vz/conf";
        char *p;
        if (!sample)
                return vz_asprintf("%s/%s", dir, SAMPLE_DEFAULT);
        if (strchr(sample, '/'))
                return vz_xstrdup(sample);
        p = vz_asprintf("%s/ve-%s.conf-sample", dir, sample);
        if (access(p, F_OK) == 0)
                return p;
        free(p);
        return vz_asprintf("%s/%s", dir, sample);
}

int vz_appcache_sample(struct vz_ctx *ctx, const char *sample, char **ret_os, char ***ret_apps, struct vz_error *err)
{
        _cleanup_free_ char *path = sample_path(ctx, sample), *text = NULL, *os = NULL, *tmpl = NULL;
        _cleanup_strv_ char **lines = NULL, **words = NULL;
        char **apps;
        size_t len = 0;
        int r = vz_read_file(path, &text, &len);
        if (r == -ENOENT)
                return vz_error_set(err, -VZ_E_NOSAMPLE, "sample config %s not found; name one with --config or "
                                    "give OST APP...", path);
        if (r >= 0 && (len > LIST_MAX || memchr(text, '\0', len)))
                r = -EINVAL;
        if (r >= 0)
                r = vz_ct_conf_parse(text, len, &lines);
        if (r < 0)
                return vz_error_set(err, -VZ_E_CONFIG, "sample config %s: %s", path, strerror(-r));
        os = vz_ct_conf_get(lines, "OSTEMPLATE");
        tmpl = vz_ct_conf_get(lines, "TEMPLATES");
        words = vz_strv_split(tmpl ? tmpl : "", " \t,");
        apps = vz_xmalloc(sizeof(char *));
        for (char **w = words; *w; w++)
                if (app_name_ok(*w))
                        vz_strv_push(&apps, undot(*w));
        *ret_os = os && *os ? vz_xstrdup(undot(os)) : NULL;
        *ret_apps = apps;
        return 0;
}

/* ---- one appcache: the OS template, its apps, its name ---------------------------- */

struct appset {
        struct vz_template *os;
        struct vz_template **apps;   /* in the order of names */
        size_t n;
        char **names;                /* canonical app names, sorted */
        char *name;                  /* vztt's cache name */
};

static void appset_done(struct appset *s)
{
        for (size_t i = 0; i < s->n; i++)
                vz_template_free(s->apps[i]);
        free(s->apps);
        vz_template_free(s->os);
        vz_strv_free(s->names);
        free(s->name);
        memset(s, 0, sizeof(*s));
}

static int appset_load(struct vz_ctx *ctx, const char *os, char *const *apps, struct appset *s, struct vz_error *err)
{
        struct vz_vars vars = vz_config_vars(&ctx->cfg);
        _cleanup_strv_ char **given = sorted_unique(apps);
        int r;

        memset(s, 0, sizeof(*s));
        r = vz_template_load(ctx->cfg.template_area, os, &vars, &s->os, err);
        if (r < 0)
                return r;
        s->names = vz_xmalloc(sizeof(char *));
        s->apps = vz_xmalloc((vz_strv_len(given) + 1) * sizeof(*s->apps));
        for (char **g = given; *g; g++) {
                struct vz_template *a = NULL;
                r = vz_template_load_app(ctx->cfg.template_area, s->os, *g, &vars, &a, err);
                if (r == -VZ_E_NOTEMPLATE)
                        return vz_error_reset(err, -VZ_E_NOAPP,
                                              "%s: no application template %s ('vzpkg list %s' lists them)",
                                              vz_template_name(s->os), *g, vz_template_name(s->os));
                if (r < 0)
                        return r;
                s->apps[s->n++] = a;
                vz_strv_push(&s->names, vz_template_name(a));
        }
        s->name = vz_appcache_name(vz_template_name(s->os), s->names);
        return 0;
}

/* The repositories: an app's own (the OS base's come with them), else the
 * OS template's -- as install into a container chooses. */
static const struct vz_template *repo_template(const struct appset *s)
{
        return vz_repo_template(s->os, s->apps, s->n);
}

/* What the appcache holds, solved afresh: the OS template's packages and
 * the apps', with the base set. The build installs it on top of the OS
 * cache; status compares it with the manifest. */
static int appset_resolve(struct vz_build *b, const struct appset *s, struct vz_resolver **ret_res,
                          struct vz_pkglist *ret, struct vz_error *err)
{
        _cleanup_strv_ char **names = vz_xmalloc(sizeof(char *));
        struct vz_resolver *res = NULL;
        int r;

        for (char *const *p = vz_template_all_packages(s->os); *p; p++)
                if (!vz_strv_contains(names, *p))
                        vz_strv_push(&names, *p);
        for (size_t i = 0; i < s->n; i++)
                for (char *const *p = vz_template_packages(s->apps[i]); *p; p++)
                        if (!vz_strv_contains(names, *p))
                                vz_strv_push(&names, *p);
        r = vz_repo_load(&b->session, repo_template(s), &res, err);
        for (size_t i = 0; r >= 0 && i < b->session.n_repos; i++)
                if (b->session.repos[i].date_epoch > b->session.source_date_epoch)
                        b->session.source_date_epoch = b->session.repos[i].date_epoch;
        if (r >= 0)
                r = vz_resolver_solve(res, names, VZ_RESOLVE_BASE, s->name, ret, err);
        if (r < 0) {
                vz_resolver_free(res);
                return r;
        }
        *ret_res = res;
        return 0;
}

/* ---- building ------------------------------------------------------------------- */

static bool *install_mask(const struct vz_pkglist *want, const struct vz_pkglist *have, size_t *ret_n)
{
        bool *mask = vz_xmalloc((want->n + 1) * sizeof(bool));
        *ret_n = 0;
        for (size_t i = 0; i < want->n; i++) {
                bool same = false;
                for (size_t j = 0; j < have->n && !same; j++)
                        same = strcmp(have->pkgs[j].name, want->pkgs[i].name) == 0 &&
                               strcmp(have->pkgs[j].version, want->pkgs[i].version) == 0;
                mask[i] = !same;
                *ret_n += !same;
        }
        return mask;
}

static char **removals(const struct vz_pkglist *want, const struct vz_pkglist *have)
{
        char **v = vz_xmalloc(sizeof(char *));
        for (size_t j = 0; j < have->n; j++) {
                bool kept = false;
                for (size_t i = 0; i < want->n && !kept; i++)
                        kept = strcmp(have->pkgs[j].name, want->pkgs[i].name) == 0;
                if (!kept)
                        vz_strv_push(&v, have->pkgs[j].name);
        }
        return v;
}

/* In the unpacked OS cache: what `want` adds or changes, between the apps'
 * install hooks; then the root as a cache must be. */
static int install_apps(struct vz_build *b, const struct appset *s, struct vz_pkglist *want, struct vz_error *err)
{
        const struct vz_backend *be = vz_backend_for(s->os);
        struct vz_pkglist have = { 0 }, sel = { 0 };
        _cleanup_free_ bool *mask = NULL;
        _cleanup_strv_ char **remove = NULL;
        size_t n = 0;
        int r = be->installed(b, &b->ws, &have, err);
        if (r < 0)
                return r;
        mask = install_mask(want, &have, &n);
        remove = removals(want, &have);
        vz_pkglist_done(&have);
        vz_info("%s: %zu packages to install or upgrade, %zu to remove", s->name, n, vz_strv_len(remove));
        sel.pkgs = vz_xmalloc((want->n + 1) * sizeof(struct vz_pkg));
        for (size_t i = 0; i < want->n; i++)
                if (mask[i])
                        sel.pkgs[sel.n++] = want->pkgs[i];
        b->ws.n_pkgs = sel.n;
        r = vz_build_download(b, &sel, err);
        free(sel.pkgs);
        if (r >= 0) {
                struct vz_operation op = { .kind = VZ_OP_APPCACHE, .apps = s->apps, .n_apps = s->n, .list = want,
                                           .select = mask, .remove = remove };
                r = vz_operation_run(b, &op, err);
        }
        vz_progress_clear();
        return r;
}

/* vztt's list file beside the cache: what `list appcache` shows. Written
 * before the archive: its text follows from the name, so it can never
 * disagree with an archive of that name. */
static int write_list(struct vz_ctx *ctx, const struct appset *s, struct vz_error *err)
{
        _cleanup_free_ char *path = vz_asprintf("%s/%s" LIST_SUFFIX, ctx->cfg.cache_dir, s->name);
        _cleanup_free_ char *text = vz_appcache_list_text(s->names);
        int r = vz_mkdir_p(ctx->cfg.cache_dir, 0755);
        if (r >= 0)
                r = vz_write_file_atomic(path, text, strlen(text), 0644);
        if (r < 0)
                return vz_error_set(err, -VZ_E_ARCHIVE, "appcache list %s: %s", path, strerror(-r));
        return 0;
}

static int build_locked(struct vz_ctx *ctx, const struct appset *s, const char *oscache, struct vz_error *err)
{
        _cleanup_resolver_ struct vz_resolver *res = NULL;
        _cleanup_free_ char *path = NULL;
        struct vz_pkglist want = { 0 };
        struct vz_build b;
        double t0 = vz_now();
        int r = vz_build_begin(ctx, s->os, &b, err);
        if (r < 0)
                return r;
        b.cache_name = s->name;
        b.apps = s->names;
        b.app_cache = true;
        vz_info("%s: reading repositories", s->name);
        r = appset_resolve(&b, s, &res, &want, err);
        if (r >= 0) {
                vz_info("%s: unpacking %s", s->name, oscache);
                vz_build_root_in_memory(&b);
                r = vz_cache_unpack(oscache, b.ws.root, vz_interrupted, err);
        }
        if (r >= 0)
                r = install_apps(&b, s, &want, err);
        if (r >= 0)
                r = write_list(ctx, s, err);
        if (r >= 0)
                r = vz_build_publish(&b, &want, true, &path, err);
        if (r >= 0)
                vz_build_report(&b, path, want.n, vz_now() - t0);
        vz_pkglist_done(&want);
        vz_build_end(&b);
        return r;
}

/* vztt builds the OS cache first when it is missing; so do we. */
static int ensure_os_cache(struct vz_ctx *ctx, const struct appset *s, char **ret, struct vz_error *err)
{
        const char *os = vz_template_name(s->os);
        int r;
        if (vz_cache_find(ctx->cfg.cache_dir, os, ret) == 0)
                return 0;
        vz_info("%s: no OS cache yet; building it first", os);
        r = vz_build_cache(ctx, s->os, false, err);
        if (r < 0)
                return r;
        if (vz_cache_find(ctx->cfg.cache_dir, os, ret) == 0)
                return 0;
        return vz_error_set(err, -VZ_E_ARCHIVE, "template %s: no cache after building it", os);
}

static void say_apps(char *const *names, char *buf, size_t size)
{
        size_t n = 0;
        buf[0] = '\0';
        for (char *const *a = names; *a && n < size; a++)
                n += (size_t)snprintf(buf + n, size - n, "%s%s", a == names ? "" : " ", *a);
}

static int build(struct vz_ctx *ctx, const struct appset *s, struct vz_error *err)
{
        _cleanup_free_ char *oscache = NULL;
        char apps[512];
        int r = ensure_os_cache(ctx, s, &oscache, err);
        if (r < 0)
                return r;
        say_apps(s->names, apps, sizeof(apps));
        vz_info("%s: %s with %s", s->name, vz_template_name(s->os), apps);
        return build_locked(ctx, s, oscache, err);
}

static int interrupted(const struct appset *s, int r, struct vz_error *err)
{
        if (r == -VZ_E_INTERRUPTED)
                vz_error_reset(err, r, "%s: interrupted; stopped and cleaned up, the old appcache is unchanged",
                               s->name ? s->name : "appcache");
        return r;
}

static void report_existing(struct vz_ctx *ctx, const struct appset *s, const char *path, const char *what)
{
        if (ctx->json)
                vz_json_print(json_pack("{s:o, s:o, s:o, s:b}", "appcache", vz_json_string(s->name), "template",
                                        vz_json_string(vz_template_name(s->os)), "cache", vz_json_string(path), what, 1),
                              JSON_COMPACT);
        else if (ctx->verbosity >= 0)
                printf("%s: %s (%s)\n", s->name, what, path);
}

int vz_appcache_create(struct vz_ctx *ctx, const char *os, char *const *apps, bool force, struct vz_error *err)
{
        struct appset s;
        _cleanup_free_ char *existing = NULL;
        _cleanup_close_ int lock = -1;
        int r = appset_load(ctx, os, apps, &s, err);
        if (r >= 0)
                r = vz_build_lock(ctx, s.name, &lock, err);
        if (r >= 0) {
                vz_build_remove_stale_name(ctx, s.name);
                if (!force && vz_cache_find(ctx->cfg.cache_dir, s.name, &existing) == 0) {
                        vz_info("%s: appcache exists; use -f to rebuild it", s.name);
                        report_existing(ctx, &s, existing, "exists");
                } else
                        r = build(ctx, &s, err);
        }
        r = interrupted(&s, r, err);
        appset_done(&s);
        return r;
}

static int appset_diff(struct vz_ctx *ctx, const struct appset *s, struct vz_diff *ret, struct vz_error *err)
{
        _cleanup_resolver_ struct vz_resolver *res = NULL;
        struct vz_pkglist fresh = { 0 };
        struct vz_build b;
        int r = vz_build_begin(ctx, s->os, &b, err);
        if (r < 0)
                return r;
        r = appset_resolve(&b, s, &res, &fresh, err);
        if (r >= 0)
                r = vz_cache_diff_name(&b, s->name, res, &fresh, ret, err);
        vz_pkglist_done(&fresh);
        vz_build_end(&b);
        return r;
}

int vz_appcache_update(struct vz_ctx *ctx, const char *os, char *const *apps, bool force, struct vz_error *err)
{
        struct appset s;
        struct vz_diff d = { 0 };
        _cleanup_free_ char *existing = NULL;
        _cleanup_close_ int lock = -1;
        int r = appset_load(ctx, os, apps, &s, err);
        if (r >= 0)
                r = vz_build_lock(ctx, s.name, &lock, err);
        if (r >= 0 && vz_cache_find(ctx->cfg.cache_dir, s.name, &existing) < 0)
                r = vz_error_set(err, -VZ_E_NOCACHE, "%s: no appcache of %s with these apps; 'vzpkg create appcache' "
                                 "makes it", s.name, vz_template_name(s.os));
        if (r >= 0) {
                vz_build_remove_stale_name(ctx, s.name);
                if (!force)
                        r = appset_diff(ctx, &s, &d, err);
                if (r >= 0 && !force && d.n == 0)
                        report_existing(ctx, &s, existing, "current");
                else if (r >= 0) {
                        if (!force)
                                vz_info("%s: %zu updates, %zu new, %zu removed: rebuilding from the OS cache", s.name,
                                        d.updates, d.added, d.removed);
                        r = build(ctx, &s, err);
                }
        }
        vz_diff_done(&d);
        r = interrupted(&s, r, err);
        appset_done(&s);
        return r;
}

/* ---- finding, removing, listing ------------------------------------------------------ */

/* The OS template's canonical name while it exists (as create used it),
 * else the name as given: a cache outlives its template. */
static char *canonical_os(struct vz_ctx *ctx, const char *os)
{
        struct vz_vars vars = vz_config_vars(&ctx->cfg);
        _cleanup_template_ struct vz_template *t = NULL;
        if (vz_template_load(ctx->cfg.template_area, os, &vars, &t, NULL) == 0)
                return vz_xstrdup(vz_template_name(t));
        return vz_xstrdup(undot(os));
}

int vz_appcache_find(struct vz_ctx *ctx, const char *os, char *const *apps, char **ret_path)
{
        _cleanup_free_ char *name = vz_appcache_name(os, apps);
        return vz_cache_find(ctx->cfg.cache_dir, name, ret_path);
}

int vz_appcache_remove(struct vz_ctx *ctx, const char *os, char *const *apps, struct vz_error *err)
{
        _cleanup_free_ char *osname = canonical_os(ctx, os);
        _cleanup_free_ char *name = vz_appcache_name(osname, apps);
        _cleanup_free_ char *json = vz_manifest_json_path(ctx, name);
        _cleanup_free_ char *list = vz_asprintf("%s/%s" LIST_SUFFIX, ctx->cfg.cache_dir, name);
        _cleanup_close_ int lock = -1;
        char *path = NULL;
        int r = vz_build_lock(ctx, name, &lock, err), n = 0;
        if (r < 0)
                return r;
        while (vz_cache_find(ctx->cfg.cache_dir, name, &path) == 0) {  /* every format of it */
                if (unlink(path) < 0) {
                        r = vz_error_set(err, -VZ_E_ARCHIVE, "appcache %s: cannot remove: %m", path);
                        free(path);
                        return r;
                }
                vz_info("%s: removed %s", name, path);
                free(path);
                n++;
        }
        if (n == 0)
                return vz_error_set(err, -VZ_E_NOCACHE, "%s: no appcache of %s with these apps in %s; 'vzpkg list "
                                    "appcache' shows them", name, osname, ctx->cfg.cache_dir);
        unlink(json);
        unlink(list);
        return 0;
}

void vz_appcache_entries_free(struct vz_appcache_entry *e, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(e[i].name);
                free(e[i].os);
                free(e[i].cache);
                vz_strv_free(e[i].apps);
        }
        free(e);
}

/* Every appcache in the cache directory: a list file with an archive of
 * its name (vztt lists those only), in name order. */
size_t vz_appcache_scan(struct vz_ctx *ctx, struct vz_appcache_entry **ret)
{
        struct dirent **ents = NULL;
        struct vz_appcache_entry *v = NULL;
        size_t n = 0;
        int m = scandir(ctx->cfg.cache_dir, &ents, NULL, alphasort);
        for (int i = 0; i < m; i++) {
                const char *fn = ents[i]->d_name;
                _cleanup_free_ char *os = vz_appcache_list_os(fn), *cache = NULL, *text = NULL, *lp = NULL;
                struct stat lst, st;
                size_t len = 0;
                if (os) {
                        lp = vz_path_join(ctx->cfg.cache_dir, fn);
                        _cleanup_free_ char *name = strndup(fn, strlen(fn) - strlen(LIST_SUFFIX));
                        if (lstat(lp, &lst) == 0 && S_ISREG(lst.st_mode) && lst.st_size <= LIST_MAX &&
                            vz_cache_find(ctx->cfg.cache_dir, name, &cache) == 0 && stat(cache, &st) == 0 &&
                            vz_read_file(lp, &text, &len) == 0 && !memchr(text, '\0', len)) {
                                v = vz_xrealloc(v, (n + 1) * sizeof(*v));
                                v[n++] = (struct vz_appcache_entry){ .name = TAKE_PTR(name), .os = TAKE_PTR(os),
                                                                     .cache = TAKE_PTR(cache),
                                                                     .apps = vz_appcache_list_parse(text),
                                                                     .size = (long long)st.st_size,
                                                                     .mtime = (long long)st.st_mtime };
                        }
                }
                free(ents[i]);
        }
        free(ents);
        *ret = v;
        return n;
}

int vz_appcache_status(struct vz_ctx *ctx, const struct vz_template *t, vz_appcache_report_fn report, void *userdata,
                       struct vz_error *err)
{
        struct vz_appcache_entry *e = NULL;
        size_t n = vz_appcache_scan(ctx, &e);
        int r = 0, stale = 0;
        for (size_t i = 0; i < n && r >= 0; i++) {
                struct appset s;
                struct vz_diff d = { 0 };
                if (strcmp(e[i].os, vz_template_name(t)) != 0)
                        continue;
                r = appset_load(ctx, e[i].os, e[i].apps, &s, err);
                if (r >= 0)
                        r = appset_diff(ctx, &s, &d, err);
                if (r >= 0) {
                        report(userdata, e[i].name, s.names, &d);
                        stale |= d.n > 0;
                }
                vz_diff_done(&d);
                appset_done(&s);
        }
        vz_appcache_entries_free(e, n);
        return r < 0 ? r : stale;
}
