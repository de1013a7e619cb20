/* metadata: EZ template metadata, read unchanged from the vztt layout
 * ($TEMPLATE/<os>/<ver>/<arch>/config/os/<set>/), with set inheritance from
 * os/default and url.map "$TOKEN" expansion. See
 * docs/internals/metadata.md. Pure parsing: no network, no privileges. */
#pragma once

#include "common.h"

enum vz_family {
        VZ_FAMILY_UNKNOWN = 0,
        VZ_FAMILY_DEB,
        VZ_FAMILY_RPM,
};

/* One line of `repositories`. Debian: "URL suite component...", RPM: base
 * URLs that are failover alternatives. An optional leading "[priority=N]"
 * sets the repository priority (higher wins, default 0). */
struct vz_repo_spec {
        char **urls;        /* alternatives, already expanded */
        char *suite;        /* Debian only */
        char **components;  /* Debian only */
        int priority;
};

/* Variables for "$TOKEN" expansion: keys include the '$'. */
struct vz_vars {
        const struct vz_kv *kv;
        size_t n;
};

struct vz_template;

/* Load the OS template `name` (os-ver[-arch][-set], a leading '.' ignored)
 * from the template area. */
int vz_template_load(const char *area, const char *name, const struct vz_vars *vars,
                     struct vz_template **ret, struct vz_error *err);
void vz_template_free(struct vz_template *t);
static inline void vz_template_freep(struct vz_template **t) { vz_template_free(*t); }
#define _cleanup_template_ _cleanup_(vz_template_freep)

/* Load application template `app` (<app> or <app>-<set>) of an OS template:
 * config/app/<app>/<set>/ beside the OS template's config/os/. It takes
 * the OS template's package manager; the OS base's repositories and
 * mirrorlists are appended to its own; its hooks are its own only. */
int vz_template_load_app(const char *area, const struct vz_template *os, const char *app,
                         const struct vz_vars *vars, struct vz_template **ret, struct vz_error *err);
/* App templates available for an OS template, sorted. */
int vz_template_list_apps(const char *area, const struct vz_template *os, char ***ret_names);
bool vz_template_is_app(const struct vz_template *t);
/* Number of repositories the template lists itself (not inherited). */
size_t vz_template_own_repos(const struct vz_template *t);

/* Names of every OS template in the area, sorted. */
int vz_template_list(const char *area, char ***ret_names, struct vz_error *err);

const char *vz_template_name(const struct vz_template *t);  /* canonical os-ver-arch[-set] */
const char *vz_template_dir(const struct vz_template *t);
const char *vz_template_os(const struct vz_template *t);
const char *vz_template_version(const struct vz_template *t);
const char *vz_template_arch(const struct vz_template *t);   /* x86_64, aarch64, ... */
const char *vz_template_set(const struct vz_template *t);    /* "default", "minimal", ... */
enum vz_family vz_template_family(const struct vz_template *t);
const char *vz_template_package_manager(const struct vz_template *t);
char *const *vz_template_packages(const struct vz_template *t);
/* packages_0 (stage 0) and packages_1 (stage 1) as lines: the set's own
 * file when it lists anything, else os/default's. Each line of packages_0
 * is a group of whitespace-separated names unpacked together; packages_1
 * is one group. Names of these stages are installed too. */
char *const *vz_template_packages_stage(const struct vz_template *t, int stage);
/* Every name the template installs: packages_0's, packages_1's, then
 * packages' words, each once, in that order. */
char *const *vz_template_all_packages(const struct vz_template *t);
const struct vz_repo_spec *vz_template_repos(const struct vz_template *t, size_t *ret_n);
char *const *vz_template_mirrorlists(const struct vz_template *t);
char *const *vz_template_environment(const struct vz_template *t);  /* KEY=VAL */
char *const *vz_template_gpgkeys(const struct vz_template *t);      /* key file paths */
/* distribution, osrelease, description, summary, ...: NULL when absent */
const char *vz_template_field(const struct vz_template *t, const char *field);
/* Path of an executable hook script, falling back to os/default; NULL if none. */
const char *vz_template_hook(const struct vz_template *t, const char *hook);

/* Expand "$TOKEN" occurrences in s. Unknown tokens, other than the ones the
 * package managers know ($releasever, $basearch, $arch), are an error naming
 * the token and `where` (the file). */
int vz_vars_expand(const struct vz_vars *vars, const char *s, const char *where, char **ret,
                   struct vz_error *err);

/* Debian architecture name for a template arch (x86_64 -> amd64). */
const char *vz_arch_to_debian(const char *arch);
const char *vz_host_arch(void);
