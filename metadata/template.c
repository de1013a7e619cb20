/* template.c: find and load EZ OS templates (docs/internals/metadata.md). */
#include "metadata.h"

#include <dirent.h>
#include <sys/stat.h>

struct vz_template {
        char *name, *os, *version, *arch, *set;
        char *dir, *base_dir;
        enum vz_family family;
        char *package_manager;
        char **packages, **packages_stage[2];
        char **all_packages;   /* packages_0, packages_1, packages: words, each once */
        struct vz_repo_spec *repos;
        size_t n_repos;
        char **mirrorlists, **environment, **gpgkeys;
        struct vz_kv *fields;  /* single-line text fields */
        size_t n_fields;
        char **hook_paths;     /* owned strings returned by vz_template_hook */
        bool app;
        size_t own_repos;
};

static const char *const text_fields[] = { "distribution", "osrelease", "description", "summary",
                                            "technologies", "upgradable_versions", "version",
                                            "release", "cache_type" };
static const char *const inherited_fields[] = { "distribution", "osrelease", "technologies",
                                                 "upgradable_versions" };

/* ---- discovery -------------------------------------------------------- */

static bool is_dir(const char *p)
{
        struct stat st;
        return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static char **subdirs(const char *path)
{
        DIR *d = opendir(path);
        char **v = vz_xmalloc(sizeof(char *));
        struct dirent *de;
        if (!d)
                return v;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *p = vz_path_join(path, de->d_name);
                if (is_dir(p))
                        vz_strv_push(&v, de->d_name);
        }
        closedir(d);
        vz_strv_sort(v);
        return v;
}

static char *canonical_name(const char *os, const char *ver, const char *arch, const char *set)
{
        if (strcmp(set, "default") == 0)
                return vz_asprintf("%s-%s-%s", os, ver, arch);
        return vz_asprintf("%s-%s-%s-%s", os, ver, arch, set);
}

/* Calls fn for each (os, ver, arch, set) whose set directory has `packages`
 * and whose os/default has `package_manager` (the mark of an OS template). */
typedef bool (*template_fn)(const char *area, const char *os, const char *ver, const char *arch,
                            const char *set, void *userdata);

static bool walk_sets(const char *area, const char *os, const char *ver, const char *arch,
                      template_fn fn, void *userdata)
{
        _cleanup_free_ char *osdir = vz_asprintf("%s/%s/%s/%s/config/os", area, os, ver, arch);
        _cleanup_free_ char *pm = vz_asprintf("%s/default/package_manager", osdir);
        _cleanup_strv_ char **sets = NULL;
        if (access(pm, F_OK) < 0)
                return false;
        sets = subdirs(osdir);
        for (char **s = sets; *s; s++) {
                _cleanup_free_ char *pk = vz_asprintf("%s/%s/packages", osdir, *s);
                if (access(pk, F_OK) == 0 && fn(area, os, ver, arch, *s, userdata))
                        return true;
        }
        return false;
}

static bool walk_templates(const char *area, template_fn fn, void *userdata)
{
        _cleanup_strv_ char **oses = subdirs(area);
        for (char **os = oses; *os; os++) {
                _cleanup_free_ char *osp = vz_path_join(area, *os);
                _cleanup_strv_ char **vers = subdirs(osp);
                for (char **ver = vers; *ver; ver++) {
                        _cleanup_free_ char *vp = vz_path_join(osp, *ver);
                        _cleanup_strv_ char **arches = subdirs(vp);
                        for (char **a = arches; *a; a++)
                                if (walk_sets(area, *os, *ver, *a, fn, userdata))
                                        return true;
                }
        }
        return false;
}

static bool collect_name(const char *area, const char *os, const char *ver, const char *arch,
                         const char *set, void *userdata)
{
        vz_strv_push_take(userdata, canonical_name(os, ver, arch, set));
        return false;
}

int vz_template_list(const char *area, char ***ret_names, struct vz_error *err)
{
        char **names = vz_xmalloc(sizeof(char *));
        walk_templates(area, collect_name, &names);
        vz_strv_sort(names);
        *ret_names = names;
        return 0;
}

struct match {
        const char *want;
        char *os, *ver, *arch, *set;
};

static bool match_name(const char *area, const char *os, const char *ver, const char *arch,
                       const char *set, void *userdata)
{
        struct match *m = userdata;
        _cleanup_free_ char *full = canonical_name(os, ver, arch, set);
        _cleanup_free_ char *noarch = strcmp(set, "default") == 0 ? vz_asprintf("%s-%s", os, ver)
                                                                  : vz_asprintf("%s-%s-%s", os, ver, set);
        /* A name without the arch means the host's arch. */
        if (strcmp(m->want, full) != 0 &&
            !(strcmp(m->want, noarch) == 0 && strcmp(arch, vz_host_arch()) == 0))
                return false;
        m->os = vz_xstrdup(os);
        m->ver = vz_xstrdup(ver);
        m->arch = vz_xstrdup(arch);
        m->set = vz_xstrdup(set);
        return true;
}

/* ---- loading ----------------------------------------------------------- */

static int read_lines_opt(const char *dir, const char *file, char ***ret)
{
        _cleanup_free_ char *p = vz_path_join(dir, file);
        int r = vz_read_lines(p, ret);
        if (r == -ENOENT) {
                *ret = vz_xmalloc(sizeof(char *));
                return 0;
        }
        return r;
}

static char *read_text_opt(const char *dir, const char *file)
{
        _cleanup_free_ char *p = vz_path_join(dir, file);
        char *data = NULL;
        if (vz_read_file(p, &data, NULL) < 0)
                return NULL;
        char *s = vz_strip(data);
        if (!*s) {
                free(data);
                return NULL;
        }
        memmove(data, s, strlen(s) + 1);
        return data;
}

static void set_field(struct vz_template *t, const char *key, char *value)
{
        t->fields = vz_xrealloc(t->fields, (t->n_fields + 1) * sizeof(*t->fields));
        t->fields[t->n_fields].key = vz_xstrdup(key);
        t->fields[t->n_fields].value = value;
        t->n_fields++;
}

static int load_fields(struct vz_template *t)
{
        for (size_t i = 0; i < ELEMENTSOF(text_fields); i++) {
                char *v = read_text_opt(t->dir, text_fields[i]);
                for (size_t j = 0; !v && t->base_dir && j < ELEMENTSOF(inherited_fields); j++)
                        if (strcmp(text_fields[i], inherited_fields[j]) == 0)
                                v = read_text_opt(t->base_dir, text_fields[i]);
                if (v)
                        set_field(t, text_fields[i], v);
        }
        return 0;
}

static enum vz_family family_of(const char *pm)
{
        if (vz_startswith(pm, "dpkg"))
                return VZ_FAMILY_DEB;
        if (vz_startswith(pm, "rpm"))
                return VZ_FAMILY_RPM;
        return VZ_FAMILY_UNKNOWN;
}

static int parse_priority(char **line, int *ret, const char *where, struct vz_error *err)
{
        *ret = 0;
        if (**line != '[')
                return 0;
        char *end = strchr(*line, ']');
        char *ep = NULL;
        if (!end || !vz_startswith(*line, "[priority="))
                return vz_error_set(err, -VZ_E_METADATA, "%s: expected \"[priority=N]\" before the URL", where);
        long v = strtol(*line + strlen("[priority="), &ep, 10);
        if (ep != end)
                return vz_error_set(err, -VZ_E_METADATA, "%s: priority must be an integer", where);
        *ret = (int)v;
        *line = end + 1;
        return 0;
}

static int parse_repo_line(struct vz_template *t, const char *raw, const char *where,
                           const struct vz_vars *vars, struct vz_repo_spec *spec, struct vz_error *err)
{
        _cleanup_free_ char *expanded = NULL;
        _cleanup_strv_ char **words = NULL;
        char *line;
        int r = vz_vars_expand(vars, raw, where, &expanded, err);
        if (r < 0)
                return r;
        line = expanded;
        r = parse_priority(&line, &spec->priority, where, err);
        if (r < 0)
                return r;
        words = vz_strv_split(line, " \t");
        if (!words[0])
                return vz_error_set(err, -VZ_E_METADATA, "%s: empty repository line", where);
        if (t->family == VZ_FAMILY_DEB) {
                if (vz_strv_len(words) < 3)
                        return vz_error_set(err, -VZ_E_METADATA,
                                            "%s: \"%s\": a Debian repository line is \"URL suite component...\"",
                                            where, raw);
                spec->urls = vz_strv_split(words[0], "|");
                spec->suite = vz_xstrdup(words[1]);
                spec->components = vz_xmalloc(sizeof(char *));
                for (char **w = words + 2; *w; w++)
                        vz_strv_push(&spec->components, *w);
        } else {
                spec->urls = TAKE_PTR(words);
                spec->components = vz_xmalloc(sizeof(char *));
        }
        return 0;
}

static int load_repos_from(struct vz_template *t, const char *dir, const struct vz_vars *vars,
                           struct vz_error *err)
{
        _cleanup_strv_ char **lines = NULL;
        _cleanup_free_ char *where = vz_path_join(dir, "repositories");
        int r = read_lines_opt(dir, "repositories", &lines);
        if (r < 0)
                return vz_error_set(err, -VZ_E_METADATA, "%s: cannot read: %s", where, strerror(-r));
        for (char **l = lines; *l; l++) {
                struct vz_repo_spec spec = { 0 };
                r = parse_repo_line(t, *l, where, vars, &spec, err);
                if (r < 0) {
                        vz_strv_free(spec.urls);
                        return r;
                }
                t->repos = vz_xrealloc(t->repos, (t->n_repos + 1) * sizeof(*t->repos));
                t->repos[t->n_repos++] = spec;
        }
        return 0;
}

static int load_mirrorlists_from(struct vz_template *t, const char *dir, const struct vz_vars *vars,
                                 struct vz_error *err)
{
        _cleanup_strv_ char **lines = NULL;
        _cleanup_free_ char *where = vz_path_join(dir, "mirrorlist");
        int r = read_lines_opt(dir, "mirrorlist", &lines);
        if (r < 0)
                return vz_error_set(err, -VZ_E_METADATA, "%s: cannot read: %s", where, strerror(-r));
        for (char **l = lines; *l; l++) {
                char *x = NULL;
                r = vz_vars_expand(vars, *l, where, &x, err);
                if (r < 0)
                        return r;
                vz_strv_push_take(&t->mirrorlists, x);
        }
        return 0;
}

static void load_gpgkeys_from(struct vz_template *t, const char *dir)
{
        _cleanup_free_ char *kd = vz_path_join(dir, "gpgkeys");
        _cleanup_free_ char *kf = vz_path_join(dir, "gpgkey");
        DIR *d = opendir(kd);
        struct dirent *de;
        char **found = vz_xmalloc(sizeof(char *));

        if (access(kf, R_OK) == 0)
                vz_strv_push(&found, kf);
        while (d && (de = readdir(d)))
                if (de->d_name[0] != '.')
                        vz_strv_push_take(&found, vz_path_join(kd, de->d_name));
        if (d)
                closedir(d);
        vz_strv_sort(found);
        for (char **f = found; *f; f++)
                if (!vz_strv_contains(t->gpgkeys, *f))
                        vz_strv_push(&t->gpgkeys, *f);
        vz_strv_free(found);
}

/* packages_0/packages_1: the set's own file when it lists something,
 * else os/default's (vztt's create cache takes either, never both). An
 * app template has none: they are the OS bootstrap. */
static int read_stage(struct vz_template *t, const char *file, char ***ret)
{
        int r = read_lines_opt(t->dir, file, ret);
        if (r < 0 || (*ret)[0] || !t->base_dir || t->app)
                return r;
        vz_strv_free(*ret);
        return read_lines_opt(t->base_dir, file, ret);
}

static void push_words(char ***v, const char *line)
{
        _cleanup_strv_ char **words = vz_strv_split(line, " \t");
        for (char **w = words; *w; w++)
                if (!vz_strv_contains(*v, *w))
                        vz_strv_push(v, *w);
}

/* Every name to install: packages_0's words, packages_1's, then packages. */
static char **all_names(const struct vz_template *t)
{
        char **v = vz_xmalloc(sizeof(char *));
        for (int s = 0; s < 2; s++)
                for (char **l = t->packages_stage[s]; *l; l++)
                        push_words(&v, *l);
        for (char **l = t->packages; *l; l++)
                push_words(&v, *l);
        return v;
}

static int load_lists(struct vz_template *t, struct vz_error *err)
{
        _cleanup_free_ char *pk = vz_path_join(t->dir, "packages");
        int r = vz_read_lines(pk, &t->packages);
        if (r < 0)
                return vz_error_set(err, -VZ_E_METADATA, "%s: cannot read: %s", pk, strerror(-r));
        for (int s = 0; s < 2; s++) {
                _cleanup_free_ char *f = vz_asprintf("packages_%d", s);
                r = read_stage(t, f, &t->packages_stage[s]);
                if (r < 0)
                        return vz_error_set(err, -VZ_E_METADATA, "%s/%s: cannot read: %s", t->dir, f, strerror(-r));
        }
        t->all_packages = all_names(t);
        r = read_lines_opt(t->dir, "environment", &t->environment);
        if (r == 0 && !t->environment[0] && t->base_dir) {
                vz_strv_free(t->environment);
                r = read_lines_opt(t->base_dir, "environment", &t->environment);
        }
        if (r < 0)
                return vz_error_set(err, -VZ_E_METADATA, "%s/environment: cannot read", t->dir);
        return 0;
}

static int load_repos(struct vz_template *t, const struct vz_vars *vars, struct vz_error *err)
{
        int r;
        t->mirrorlists = vz_xmalloc(sizeof(char *));
        t->gpgkeys = vz_xmalloc(sizeof(char *));
        /* The set's own repositories come first; the base's are appended. */
        r = load_repos_from(t, t->dir, vars, err);
        t->own_repos = t->n_repos;
        if (r >= 0 && t->base_dir)
                r = load_repos_from(t, t->base_dir, vars, err);
        if (r >= 0)
                r = load_mirrorlists_from(t, t->dir, vars, err);
        if (r >= 0 && t->base_dir)
                r = load_mirrorlists_from(t, t->base_dir, vars, err);
        if (r < 0)
                return r;
        load_gpgkeys_from(t, t->dir);
        if (t->base_dir)
                load_gpgkeys_from(t, t->base_dir);
        return 0;
}

static int load_package_manager(struct vz_template *t, struct vz_error *err)
{
        t->package_manager = read_text_opt(t->dir, "package_manager");
        if (!t->package_manager && t->base_dir)
                t->package_manager = read_text_opt(t->base_dir, "package_manager");
        if (!t->package_manager)
                return vz_error_set(err, -VZ_E_METADATA, "template %s: no package_manager file in %s",
                                    t->name, t->base_dir ? t->base_dir : t->dir);
        t->family = family_of(t->package_manager);
        if (t->family == VZ_FAMILY_UNKNOWN)
                return vz_error_set(err, -VZ_E_METADATA,
                                    "template %s: package_manager \"%s\" is neither rpm* nor dpkg*",
                                    t->name, t->package_manager);
        return 0;
}

int vz_template_load(const char *area, const char *name, const struct vz_vars *vars,
                     struct vz_template **ret, struct vz_error *err)
{
        struct match m = { .want = name[0] == '.' ? name + 1 : name };
        struct vz_template *t;
        int r;

        if (!walk_templates(area, match_name, &m))
                return vz_error_set(err, -VZ_E_NOTEMPLATE,
                                    "template %s: not found in %s; run 'vzpkg list' to see the templates there",
                                    m.want, area);
        t = vz_xmalloc(sizeof(*t));
        t->os = m.os;
        t->version = m.ver;
        t->arch = m.arch;
        t->set = m.set;
        t->name = canonical_name(m.os, m.ver, m.arch, m.set);
        t->dir = vz_asprintf("%s/%s/%s/%s/config/os/%s", area, m.os, m.ver, m.arch, m.set);
        if (strcmp(m.set, "default") != 0)
                t->base_dir = vz_asprintf("%s/%s/%s/%s/config/os/default", area, m.os, m.ver, m.arch);
        t->hook_paths = vz_xmalloc(sizeof(char *));
        r = load_package_manager(t, err);
        if (r >= 0)
                r = load_fields(t);
        if (r >= 0)
                r = load_lists(t, err);
        if (r >= 0)
                r = load_repos(t, vars, err);
        if (r < 0) {
                vz_template_free(t);
                return r;
        }
        *ret = t;
        return 0;
}

void vz_template_free(struct vz_template *t)
{
        if (!t)
                return;
        free(t->name);
        free(t->os);
        free(t->version);
        free(t->arch);
        free(t->set);
        free(t->dir);
        free(t->base_dir);
        free(t->package_manager);
        vz_strv_free(t->packages);
        vz_strv_free(t->packages_stage[0]);
        vz_strv_free(t->packages_stage[1]);
        vz_strv_free(t->all_packages);
        for (size_t i = 0; i < t->n_repos; i++) {
                vz_strv_free(t->repos[i].urls);
                free(t->repos[i].suite);
                vz_strv_free(t->repos[i].components);
        }
        free(t->repos);
        vz_strv_free(t->mirrorlists);
        vz_strv_free(t->environment);
        vz_strv_free(t->gpgkeys);
        vz_kv_free(t->fields, t->n_fields);
        vz_strv_free(t->hook_paths);
        free(t);
}

/* ---- accessors ---------------------------------------------------------- */

const char *vz_template_name(const struct vz_template *t) { return t->name; }
const char *vz_template_dir(const struct vz_template *t) { return t->dir; }
const char *vz_template_os(const struct vz_template *t) { return t->os; }
const char *vz_template_version(const struct vz_template *t) { return t->version; }
const char *vz_template_arch(const struct vz_template *t) { return t->arch; }
const char *vz_template_set(const struct vz_template *t) { return t->set; }
enum vz_family vz_template_family(const struct vz_template *t) { return t->family; }
const char *vz_template_package_manager(const struct vz_template *t) { return t->package_manager; }
char *const *vz_template_packages(const struct vz_template *t) { return t->packages; }
char *const *vz_template_all_packages(const struct vz_template *t) { return t->all_packages; }
char *const *vz_template_mirrorlists(const struct vz_template *t) { return t->mirrorlists; }
char *const *vz_template_environment(const struct vz_template *t) { return t->environment; }
char *const *vz_template_gpgkeys(const struct vz_template *t) { return t->gpgkeys; }

char *const *vz_template_packages_stage(const struct vz_template *t, int stage)
{
        return t->packages_stage[stage ? 1 : 0];
}

const struct vz_repo_spec *vz_template_repos(const struct vz_template *t, size_t *ret_n)
{
        *ret_n = t->n_repos;
        return t->repos;
}

const char *vz_template_field(const struct vz_template *t, const char *field)
{
        return vz_kv_get(t->fields, t->n_fields, field);
}

bool vz_template_is_app(const struct vz_template *t) { return t->app; }
size_t vz_template_own_repos(const struct vz_template *t) { return t->own_repos; }

const char *vz_template_hook(const struct vz_template *t, const char *hook)
{
        /* an app's hooks are its own: the OS template's are for the OS */
        const char *dirs[] = { t->dir, t->app ? NULL : t->base_dir };
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                if (!dirs[i])
                        continue;
                char *p = vz_path_join(dirs[i], hook);
                if (vz_is_executable(p)) {
                        vz_strv_push_take((char ***)&t->hook_paths, p);
                        return p;
                }
                free(p);
        }
        return NULL;
}

/* ---- application templates --------------------------------------------- */

static char *app_root(const char *area, const struct vz_template *os)
{
        return vz_asprintf("%s/%s/%s/%s/config/app", area, os->os, os->version, os->arch);
}

static bool app_dir_exists(const char *root, const char *app, const char *set)
{
        _cleanup_free_ char *p = vz_asprintf("%s/%s/%s/packages", root, app, set);
        return access(p, F_OK) == 0;
}

/* "<app>" is config/app/<app>/default; "<app>-<set>" is config/app/<app>/<set>,
 * split at the last '-' that names an existing directory. */
static bool split_app_name(const char *root, const char *name, char **ret_app, char **ret_set)
{
        if (app_dir_exists(root, name, "default")) {
                *ret_app = vz_xstrdup(name);
                *ret_set = vz_xstrdup("default");
                return true;
        }
        for (const char *dash = strrchr(name, '-'); dash; ) {
                _cleanup_free_ char *app = strndup(name, (size_t)(dash - name));
                if (app_dir_exists(root, app, dash + 1)) {
                        *ret_app = TAKE_PTR(app);
                        *ret_set = vz_xstrdup(dash + 1);
                        return true;
                }
                const char *prev = dash;
                dash = NULL;
                for (const char *p = name; p < prev; p++)
                        if (*p == '-')
                                dash = p;
        }
        return false;
}

int vz_template_load_app(const char *area, const struct vz_template *os, const char *app,
                         const struct vz_vars *vars, struct vz_template **ret, struct vz_error *err)
{
        _cleanup_free_ char *root = app_root(area, os);
        const char *name = app[0] == '.' ? app + 1 : app;
        char *a = NULL, *set = NULL;
        struct vz_template *t;
        int r;

        if (!split_app_name(root, name, &a, &set))
                return vz_error_set(err, -VZ_E_NOTEMPLATE,
                                    "application template %s: not found for %s in %s; each app is a directory there with a packages file",
                                    name, os->name, root);
        t = vz_xmalloc(sizeof(*t));
        t->app = true;
        t->os = vz_xstrdup(os->os);
        t->version = vz_xstrdup(os->version);
        t->arch = vz_xstrdup(os->arch);
        t->set = set;
        t->name = strcmp(set, "default") == 0 ? vz_xstrdup(a) : vz_asprintf("%s-%s", a, set);
        t->dir = vz_asprintf("%s/%s/%s", root, a, set);
        t->base_dir = vz_asprintf("%s/%s/%s/%s/config/os/default", area, os->os, os->version, os->arch);
        t->hook_paths = vz_xmalloc(sizeof(char *));
        t->package_manager = vz_xstrdup(os->package_manager);
        t->family = os->family;
        free(a);
        r = load_fields(t);
        if (r >= 0)
                r = load_lists(t, err);
        if (r >= 0)
                r = load_repos(t, vars, err);
        if (r < 0) {
                vz_template_free(t);
                return r;
        }
        *ret = t;
        return 0;
}

int vz_template_list_apps(const char *area, const struct vz_template *os, char ***ret_names)
{
        _cleanup_free_ char *root = app_root(area, os);
        _cleanup_strv_ char **apps = subdirs(root);
        char **names = vz_xmalloc(sizeof(char *));
        for (char **a = apps; *a; a++) {
                _cleanup_free_ char *ad = vz_path_join(root, *a);
                _cleanup_strv_ char **sets = subdirs(ad);
                for (char **s = sets; *s; s++)
                        if (app_dir_exists(root, *a, *s))
                                vz_strv_push_take(&names, strcmp(*s, "default") == 0 ? vz_xstrdup(*a)
                                                                                    : vz_asprintf("%s-%s", *a, *s));
        }
        *ret_names = names;
        return 0;
}
