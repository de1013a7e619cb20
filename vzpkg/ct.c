/* ct.c: containers as vzctl knows them: $CONF_DIR/<CTID>.conf (KEY="VALUE"
 * lines; OSTEMPLATE=".<ost>", TEMPLATES=" .app1 .app2", VE_PRIVATE=...)
 * and a private area holding the root, with templates/vzpackages and
 * templates/<tmpl>/timestamp. Existing configs are read as they are and
 * rewritten keeping every line vzpkg does not own. */
#include "vzpkg.h"

#include <ctype.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

static bool valid_id(const char *id)
{
        if (!*id || strlen(id) > 64 || id[0] == '.')
                return false;
        for (const char *p = id; *p; p++)
                if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
                        return false;
        return true;
}

static char *unquote(const char *v)
{
        size_t n = strlen(v);
        if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0])
                return strndup(v + 1, n - 2);
        return vz_xstrdup(v);
}

/* The value of KEY in the config lines, or NULL. */
static char *get(char **lines, const char *key)
{
        size_t l = strlen(key);
        char *v = NULL;
        for (char **p = lines; *p; p++) {
                const char *s = *p;
                while (*s == ' ' || *s == '\t')
                        s++;
                if (strncmp(s, key, l) == 0 && s[l] == '=') {
                        _cleanup_free_ char *val = vz_xstrdup(s + l + 1);
                        char *hash = strstr(val, " #");  /* a trailing comment */
                        if (hash && val[0] != '"')
                                *hash = '\0';
                        free(v);
                        v = unquote(vz_strip(val));
                }
        }
        return v;
}

static char *expand_private(struct vz_ctx *ctx, const char *pattern, const char *id)
{
        const struct vz_kv kv[] = { { "$VEID", (char *)id }, { "${VEID}", (char *)id }, { "$CTID", (char *)id } };
        char *out = vz_xstrdup(pattern);
        (void)ctx;
        for (size_t i = 0; i < ELEMENTSOF(kv); i++) {
                char *p;
                while ((p = strstr(out, kv[i].key))) {
                        char *x = vz_asprintf("%.*s%s%s", (int)(p - out), out, kv[i].value, p + strlen(kv[i].key));
                        free(out);
                        out = x;
                }
        }
        return out;
}

static char **parse_templates(const char *v)
{
        char **words = vz_strv_split(v ? v : "", " \t");
        char **apps = vz_xmalloc(sizeof(char *));
        for (char **w = words; *w; w++)
                vz_strv_push(&apps, (*w)[0] == '.' ? *w + 1 : *w);
        vz_strv_free(words);
        return apps;
}

/* Every line, comments and blanks included: they are rewritten as read. */
static int read_raw_lines(const char *path, char ***ret)
{
        _cleanup_free_ char *data = NULL;
        char **v, *p, *nl;
        int r = vz_read_file(path, &data, NULL);
        if (r < 0)
                return r;
        v = vz_xmalloc(sizeof(char *));
        for (p = data; *p; p = nl + 1) {
                nl = strchr(p, '\n');
                if (!nl) {
                        vz_strv_push(&v, p);
                        break;
                }
                *nl = '\0';
                vz_strv_push(&v, p);
        }
        *ret = v;
        return 0;
}

int vz_ct_load(struct vz_ctx *ctx, const char *id, struct vz_ct **ret, struct vz_error *err)
{
        struct vz_ct *ct;
        _cleanup_free_ char *priv = NULL, *ost = NULL, *tmpls = NULL;
        if (!valid_id(id))
                return vz_error_set(err, -EINVAL, "container %s: not a valid container ID", id);
        ct = vz_xmalloc(sizeof(*ct));
        ct->id = vz_xstrdup(id);
        ct->conf_path = vz_asprintf("%s/%s.conf", ctx->cfg.conf_dir, id);
        if (read_raw_lines(ct->conf_path, &ct->lines) < 0) {
                int r = vz_error_set(err, -VZ_E_NOTEMPLATE, "container %s: no config %s; create it with 'vzpkg create ct %s --ostemplate OST'",
                                     id, ct->conf_path, id);
                vz_ct_free(ct);
                return r;
        }
        priv = get(ct->lines, "VE_PRIVATE");
        ost = get(ct->lines, "OSTEMPLATE");
        tmpls = get(ct->lines, "TEMPLATES");
        ct->private_dir = expand_private(ctx, priv ? priv : ctx->cfg.ve_private, id);
        ct->ostemplate = ost ? vz_xstrdup(ost[0] == '.' ? ost + 1 : ost) : NULL;
        ct->apps = parse_templates(tmpls);
        if (!ct->ostemplate) {
                int r = vz_error_set(err, -VZ_E_METADATA, "container %s: %s has no OSTEMPLATE", id, ct->conf_path);
                vz_ct_free(ct);
                return r;
        }
        *ret = ct;
        return 0;
}

int vz_ct_new(struct vz_ctx *ctx, const char *id, const char *ostemplate, struct vz_ct **ret, struct vz_error *err)
{
        struct vz_ct *ct;
        if (!valid_id(id))
                return vz_error_set(err, -EINVAL, "container %s: not a valid container ID (letters, digits, - _ .)", id);
        ct = vz_xmalloc(sizeof(*ct));
        ct->id = vz_xstrdup(id);
        ct->conf_path = vz_asprintf("%s/%s.conf", ctx->cfg.conf_dir, id);
        ct->private_dir = expand_private(ctx, ctx->cfg.ve_private, id);
        ct->ostemplate = vz_xstrdup(ostemplate);
        ct->apps = vz_xmalloc(sizeof(char *));
        ct->lines = vz_xmalloc(sizeof(char *));
        *ret = ct;
        return 0;
}

void vz_ct_free(struct vz_ct *ct)
{
        if (!ct)
                return;
        free(ct->id);
        free(ct->conf_path);
        free(ct->private_dir);
        free(ct->ostemplate);
        vz_strv_free(ct->apps);
        vz_strv_free(ct->lines);
        free(ct);
}

static void set_line(char ***lines, const char *key, const char *value)
{
        size_t l = strlen(key);
        char *line = vz_asprintf("%s=\"%s\"", key, value);
        for (char **p = *lines; *p; p++)
                if (strncmp(*p, key, l) == 0 && (*p)[l] == '=') {
                        free(*p);
                        *p = line;
                        return;
                }
        vz_strv_push_take(lines, line);
}

int vz_ct_save(struct vz_ct *ct, const char *distribution, const char *osrelease, struct vz_error *err)
{
        _cleanup_free_ char *ost = vz_asprintf(".%s", ct->ostemplate);
        _cleanup_free_ char *tmpls = vz_xstrdup("");
        _cleanup_free_ char *text = vz_xstrdup("");
        _cleanup_free_ char *dir = vz_xstrdup(ct->conf_path);
        int r;

        for (char **a = ct->apps; *a; a++) {
                char *x = vz_asprintf("%s .%s", tmpls, *a);
                free(tmpls);
                tmpls = x;
        }
        set_line(&ct->lines, "OSTEMPLATE", ost);
        set_line(&ct->lines, "TEMPLATES", tmpls);
        _cleanup_free_ char *have = get(ct->lines, "VE_PRIVATE");
        if (!have)  /* as written by the admin ($VEID and all) when present */
                set_line(&ct->lines, "VE_PRIVATE", ct->private_dir);
        if (distribution)
                set_line(&ct->lines, "DISTRIBUTION", distribution);
        if (osrelease)
                set_line(&ct->lines, "OSRELEASE", osrelease);
        for (char **p = ct->lines; *p; p++) {
                char *x = vz_asprintf("%s%s\n", text, *p);
                free(text);
                text = x;
        }
        *strrchr(dir, '/') = '\0';
        vz_mkdir_p(dir, 0755);
        r = vz_write_file_atomic(ct->conf_path, text, strlen(text), 0644);
        if (r < 0)
                return vz_error_set(err, r, "container %s: cannot write %s: %s", ct->id, ct->conf_path, strerror(-r));
        return 0;
}

int vz_ct_list(struct vz_ctx *ctx, char ***ret_ids)
{
        struct dirent **ents = NULL;
        int n = scandir(ctx->cfg.conf_dir, &ents, NULL, alphasort);
        char **ids = vz_xmalloc(sizeof(char *));
        for (int i = 0; i < n; i++) {
                const char *e = ents[i]->d_name;
                size_t l = strlen(e);
                if (l > 5 && strcmp(e + l - 5, ".conf") == 0 && strncmp(e, "ve-", 3) != 0 && strcmp(e, "0.conf") != 0) {
                        _cleanup_free_ char *id = strndup(e, l - 5);
                        if (valid_id(id))
                                vz_strv_push(&ids, id);
                }
                free(ents[i]);
        }
        free(ents);
        *ret_ids = ids;
        return 0;
}

int vz_ct_lock(struct vz_ctx *ctx, const char *id, int *ret_fd, struct vz_error *err)
{
        _cleanup_free_ char *path = vz_asprintf("%s/ct-%s.lock", ctx->cfg.lock_dir, id);
        int r = vz_mkdir_p(ctx->cfg.lock_dir, 0755);
        if (r >= 0)
                r = vz_lock(path, LOCK_EX, false, ret_fd);
        if (r == -VZ_E_LOCKED)
                return vz_error_set(err, r, "container %s: another vzpkg is working on it (lock %s); try again later",
                                    id, path);
        if (r < 0)
                return vz_error_set(err, r, "lock %s: %s", path, vz_strerror(r));
        return 0;
}

int vz_ct_stamp(struct vz_ct *ct, const char *tmpl)
{
        _cleanup_free_ char *dir = vz_asprintf("%s/templates/%s", ct->private_dir, tmpl);
        _cleanup_free_ char *path = vz_path_join(dir, "timestamp");
        _cleanup_free_ char *now = vz_asprintf("%lld\n", (long long)time(NULL));
        int r = vz_mkdir_p(dir, 0755);
        return r < 0 ? r : vz_write_file_atomic(path, now, strlen(now), 0644);
}
