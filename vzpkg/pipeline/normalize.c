/* normalize.c: dropping build-host traces and per-machine state from a
 * finished root, after the last hook (docs/internals/reproducible.md). */
#include "context.h"
#include "backend.h"
#include "pipeline.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <jansson.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>


/* ---- normalising a root ------------------------------------------------ */

/* What a cache must not carry, in one table (documented in
 * docs/internals/reproducible.md and docs/internals/containers.md):
 * build-host traces that would make two builds differ, and per-machine
 * state -- host keys, machine IDs, random seeds, secrets -- that every
 * container made from the cache would otherwise share. It is applied after
 * the last hook of every build and update, so whatever a hook leaves is
 * dropped too. Each container gets its own at `create ct` (cmd-ct.c) or
 * at its first boot. The root is walked through an fd with the confined
 * helpers of rootfd.c: a package may have planted a link anywhere. */
enum norm_action {
        NORM_REMOVE,     /* unlink the file (a link: the link itself) */
        NORM_EMPTY,      /* keep the name as an empty regular file, mode 0444 */
        NORM_PREFIX,     /* unlink every non-directory in dir whose name starts with prefix */
        NORM_LOGS,       /* empty every regular file below the directory, recursively */
};

static const struct norm_entry {
        const char *path;
        const char *prefix;  /* NORM_PREFIX only */
        enum norm_action action;
} norm_table[] = {
        /* per-machine identity and secrets: never shared by containers */
        { "etc/ssh", "ssh_host_", NORM_PREFIX },                  /* sshd host keys */
        { "etc/machine-id", NULL, NORM_EMPTY },                   /* systemd makes one at first boot */
        { "var/lib/dbus/machine-id", NULL, NORM_REMOVE },         /* a link to /etc/machine-id at boot */
        { "var/lib/systemd/random-seed", NULL, NORM_REMOVE },
        { "var/lib/urandom/random-seed", NULL, NORM_REMOVE },
        { "var/lib/systemd/credential.secret", NULL, NORM_REMOVE },
        { "etc/ssl/private/ssl-cert-snakeoil.key", NULL, NORM_REMOVE },  /* ssl-cert; create ct */
        { "etc/ssl/certs/ssl-cert-snakeoil.pem", NULL, NORM_REMOVE },
        { "etc/pki/tls/private/localhost.key", NULL, NORM_REMOVE },      /* RPM: made at boot */
        { "etc/pki/tls/certs/localhost.crt", NULL, NORM_REMOVE },
        { "etc/hostname", NULL, NORM_REMOVE },                    /* create ct names the container */
        /* build traces: different on every build */
        { "var/cache/ldconfig/aux-cache", NULL, NORM_REMOVE },
        { "etc/passwd-", NULL, NORM_REMOVE },
        { "etc/group-", NULL, NORM_REMOVE },
        { "etc/shadow-", NULL, NORM_REMOVE },
        { "etc/gshadow-", NULL, NORM_REMOVE },
        { "etc/subuid-", NULL, NORM_REMOVE },
        { "etc/subgid-", NULL, NORM_REMOVE },
        { "var/lib/systemd/catalog/database", NULL, NORM_REMOVE },
        { "var/log", NULL, NORM_LOGS },  /* emptied, not removed: packages expect the files */
        /* and the package manager's own (struct vz_backend's build_traces) */
};

#define NORM_MAX_DEPTH 64

/* Empty every regular file below the directory fd (consumed). Nothing runs
 * in the root now, so what fstatat saw is what openat opens; O_NOFOLLOW and
 * the fstat check make a swapped link harmless all the same. */
static int truncate_logs(int dfd, int depth)
{
        DIR *d = depth > NORM_MAX_DEPTH ? NULL : fdopendir(dfd);
        struct dirent *e;
        int r = 0;

        if (!d) {
                r = depth > NORM_MAX_DEPTH ? -ELOOP : -errno;
                close(dfd);
                return r;
        }
        while (r >= 0 && (errno = 0, e = readdir(d))) {
                struct stat st, now;
                int fd, flags;
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
                    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                    !(S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)))
                        continue;
                flags = S_ISDIR(st.st_mode) ? O_RDONLY | O_DIRECTORY : O_WRONLY | O_NONBLOCK | O_NOCTTY;
                fd = openat(dirfd(d), e->d_name, flags | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0 || fstat(fd, &now) < 0 || (now.st_mode & S_IFMT) != (st.st_mode & S_IFMT))
                        r = fd < 0 ? -errno : -EIO;
                else if (S_ISDIR(st.st_mode))
                        r = truncate_logs(TAKE_FD(fd), depth + 1);
                else if (ftruncate(fd, 0) < 0)
                        r = -errno;
                if (fd >= 0)
                        close(fd);
        }
        if (r >= 0 && errno)
                r = -errno;
        closedir(d);
        return r;
}

static int norm_prefix(int root, const char *dir, const char *prefix)
{
        int dfd = vz_at_open(root, dir, O_RDONLY | O_DIRECTORY, 0, 0), r = 0;
        DIR *d;
        struct dirent *e;
        if (dfd < 0)
                return dfd == -ENOENT ? 0 : dfd;
        d = fdopendir(dfd);
        if (!d) {
                r = -errno;
                close(dfd);
                return r;
        }
        while (r >= 0 && (errno = 0, e = readdir(d)))
                if (vz_startswith(e->d_name, prefix) && e->d_type != DT_DIR &&
                    unlinkat(dirfd(d), e->d_name, 0) < 0 && errno != ENOENT)
                        r = -errno;
        if (r >= 0 && errno)
                r = -errno;
        closedir(d);
        return r;
}

static int norm_one(int root, const struct norm_entry *n)
{
        int fd, r;
        switch (n->action) {
        case NORM_REMOVE:
                r = vz_at_unlink(root, n->path, 0);
                return r == -ENOENT ? 0 : r;
        case NORM_EMPTY:
                fd = vz_at_open(root, n->path, O_PATH | O_NOFOLLOW, 0, 0);
                if (fd < 0)
                        return fd == -ENOENT ? 0 : fd;
                close(fd);
                /* replaces a link or a full file alike, never writes through a link */
                return vz_at_write_atomic(root, n->path, "", 0, 0444, 0);
        case NORM_PREFIX:
                return norm_prefix(root, n->path, n->prefix);
        case NORM_LOGS:
                fd = vz_at_open(root, n->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, 0);
                if (fd < 0)
                        return fd == -ENOENT || fd == -ELOOP || fd == -ENOTDIR ? 0 : fd;
                return truncate_logs(fd, 0);
        }
        return -EINVAL;
}

int vz_build_normalize(struct vz_build *b, struct vz_error *err)
{
        _cleanup_close_ int root = -1;
        int r = vz_root_open(b->ws.root, &root);
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(norm_table); i++)
                if ((r = norm_one(root, &norm_table[i])) < 0)
                        return vz_error_set(err, -VZ_E_ARCHIVE, "%s: cannot clean /%s from the new cache: %s",
                                            vz_template_name(b->tmpl), norm_table[i].path, strerror(-r));
        for (const char *const *t = r >= 0 && b->be ? b->be->build_traces : NULL; t && *t; t++) {
                struct norm_entry e = { *t, NULL, NORM_REMOVE };
                if ((r = norm_one(root, &e)) < 0)
                        return vz_error_set(err, -VZ_E_ARCHIVE, "%s: cannot clean /%s from the new cache: %s",
                                            vz_template_name(b->tmpl), *t, strerror(-r));
        }
        if (r < 0)
                return vz_error_set(err, -VZ_E_ARCHIVE, "%s: cannot open the build root %s: %s",
                                    vz_template_name(b->tmpl), b->ws.root, strerror(-r));
        return 0;
}
