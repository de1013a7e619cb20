/* resolver.c: pool, repositories, job, problems and ordering with libsolv,
 * following the calling conventions of libsolv's examples/solv. */
#include "resolver-internal.h"

#include <solv/chksum.h>
#include <solv/evr.h>
#include <solv/pool.h>
#include <solv/poolarch.h>
#include <solv/repo.h>
#include <solv/repo_deb.h>
#include <solv/repo_rpmdb.h>
#include <solv/repo_solv.h>
#include <solv/repo_write.h>
#include <solv/selection.h>
#include <solv/solv_xfopen.h>
#include <solv/solver.h>
#include <solv/transaction.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>

struct vz_resolver {
        Pool *pool;
        char **essential, **required;   /* base-set names over all repositories */
        char **ranks;                   /* "name rank": Priority other than optional (Debian) */
        Queue mentions;                 /* name ids in the order apt's cache meets them (Debian) */
};

int vz_resolver_new_deb(const char *arch, struct vz_resolver **ret)
{
        struct vz_resolver *r = vz_xmalloc(sizeof(*r));
        r->pool = pool_create();
        pool_setdisttype(r->pool, DISTTYPE_DEB);
        pool_setarch(r->pool, arch);
        r->essential = vz_xmalloc(sizeof(char *));
        r->required = vz_xmalloc(sizeof(char *));
        r->ranks = vz_xmalloc(sizeof(char *));
        queue_init(&r->mentions);
        *ret = r;
        return 0;
}

int vz_resolver_new_rpm(const char *arch, struct vz_resolver **ret)
{
        struct vz_resolver *r = vz_xmalloc(sizeof(*r));
        r->pool = pool_create();
        pool_setdisttype(r->pool, DISTTYPE_RPM);
        pool_setarch(r->pool, arch);
        r->essential = vz_xmalloc(sizeof(char *));
        r->required = vz_xmalloc(sizeof(char *));
        r->ranks = vz_xmalloc(sizeof(char *));
        queue_init(&r->mentions);
        *ret = r;
        return 0;
}

Pool *vz_resolver_pool(struct vz_resolver *r)
{
        return r->pool;
}

void vz_resolver_free(struct vz_resolver *r)
{
        if (!r)
                return;
        pool_free(r->pool);
        vz_strv_free(r->essential);
        vz_strv_free(r->required);
        vz_strv_free(r->ranks);
        queue_free(&r->mentions);
        free(r);
}

/* ---- repositories and the .solv cache -------------------------------- */

static bool load_solv_cache(Repo *repo, const char *path)
{
        FILE *f = fopen(path, "re");
        bool ok;
        if (!f)
                return false;
        ok = repo_add_solv(repo, f, 0) == 0;
        fclose(f);
        return ok;
}

static bool write_solv_cache(Repo *repo, const char *path)
{
        _cleanup_free_ char *tmp = vz_asprintf("%s.tmp.%d", path, (int)getpid());
        FILE *f = fopen(tmp, "we");
        if (!f)
                return false;  /* a cache is an optimisation; failing to write one is not an error */
        if (repo_write(repo, f) != 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
                unlink(tmp);
                return false;
        }
        return true;
}

/* The .solv writer sorts each dependency array, yet apt's choices follow
 * the order written: a copy in that order is kept as an attribute. */
void vz_resolver_keep_dep_order(Repo *repo, int start)
{
        Pool *pool = repo->pool;
        Id key = pool_str2id(pool, VZ_DEPORDER_KEY, 1), p;
        Solvable *s;
        FOR_REPO_SOLVABLES(repo, p, s) {
                if (p < start || !s->requires)
                        continue;
                for (Id *d = repo->idarraydata + s->requires; *d; d++)
                        repo_add_idarray(repo, p, key, *d);
        }
}

/* ---- reading a Packages index on two CPUs ------------------------------------
 * A Packages.xz of Debian's main is 9 MB that decompress to 50: xz takes
 * about as long as libsolv's parser. A feeder thread decompresses into a
 * pipe while the parser reads the other end, and (when the base-set lists
 * are not cached) into a second pipe, read by a thread that scans the
 * fields apt's base set needs: the index is decompressed once for both.
 * Threads only touch their own FILE and memory, never the pool, and are
 * joined before anything else happens (no container is started meanwhile). */

struct feeder {
        const char *path;
        int fd[2];   /* the pipes' write ends, closed by the thread */
        int nfd;
        int result;  /* 0, or a negative errno */
};

static void *feed(void *arg)
{
        struct feeder *fd = arg;
        FILE *in = solv_xfopen(fd->path, "r");
        char buf[65536];
        size_t n;
        fd->result = in ? 0 : (errno ? -errno : -EIO);
        while (in && fd->result == 0 && (n = fread(buf, 1, sizeof(buf), in)) > 0)
                for (int k = 0; k < fd->nfd && fd->result == 0; k++)
                        fd->result = vz_write_all(fd->fd[k], buf, n);
        if (in && ferror(in) && fd->result == 0)
                fd->result = -EIO;
        if (in)
                fclose(in);
        for (int k = 0; k < fd->nfd; k++)
                close(fd->fd[k]);
        return NULL;
}

/* Everything a reader did not read, so that the feeder never blocks. */
static void drain(FILE *f)
{
        char buf[65536];
        while (fread(buf, 1, sizeof(buf), f) > 0)
                ;
}

static int parse_stream(Repo *repo, FILE *f)
{
        int start = repo->pool->nsolvables;
        int r = repo_add_debpackages(repo, f, REPO_NO_INTERNALIZE);
        if (r == 0)
                vz_resolver_keep_dep_order(repo, start);
        repo_internalize(repo);
        return r == 0 ? 0 : -EBADMSG;
}

/* The base-set lists of one index: from the cache, or scanned in a thread
 * of its own (scan_start, then scan_finish): from the parser's feeder
 * when the index is parsed too (parse_packages), else from the file. */
struct base_scan {
        const char *packages_path, *base_cache, *order_cache;
        char **lists[3];
        char *order;
        FILE *stream;  /* the feeder's second pipe, or NULL: the file */
        int result;    /* 0, or a negative errno */
        bool cached, threaded, torn;
        pthread_t thread;
};

static void *scan(void *arg)
{
        struct base_scan *b = arg;
        if (b->stream) {
                b->result = vz_deb_scan_fields_stream(b->stream, &b->lists[0], &b->lists[1], &b->lists[2], &b->order);
                drain(b->stream);
                fclose(b->stream);
                b->stream = NULL;
        } else {
                b->result = vz_deb_scan_fields(b->packages_path, &b->lists[0], &b->lists[1], &b->lists[2], &b->order);
        }
        return NULL;
}

/* A scan thread reading the read end rfd of a pipe the feeder will write. */
static bool scan_from_pipe(struct base_scan *b, int rfd)
{
        b->stream = fdopen(rfd, "r");
        if (!b->stream) {
                close(rfd);
                return false;
        }
        b->threaded = pthread_create(&b->thread, NULL, scan, b) == 0;
        if (!b->threaded) {
                fclose(b->stream);
                b->stream = NULL;
        }
        return b->threaded;
}

/* scan: the base-set scan to feed too (NULL: none, or it needs no data). */
static int parse_packages(Repo *repo, const char *path, struct base_scan *scan)
{
        struct feeder fd = { .path = path };
        pthread_t t;
        int p[2], q[2], r;
        FILE *f;

        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        fd.fd[fd.nfd++] = p[1];
        if (scan && !scan->cached && !scan->threaded && pipe2(q, O_CLOEXEC) == 0) {
                if (scan_from_pipe(scan, q[0]))
                        fd.fd[fd.nfd++] = q[1];
                else
                        close(q[1]);
        }
        if (pthread_create(&t, NULL, feed, &fd) != 0) {  /* one CPU, then */
                for (int k = 0; k < fd.nfd; k++)
                        close(fd.fd[k]);
                close(p[0]);
                if (fd.nfd > 1)
                        scan->torn = true;  /* it read nothing: scan_finish scans the file */
                f = solv_xfopen(path, "r");
                if (!f)
                        return -errno ? -errno : -EIO;
                r = parse_stream(repo, f);
                fclose(f);
                return r;
        }
        f = fdopen(p[0], "r");
        if (!f) {
                close(p[0]);
                r = -ENOMEM;
        } else {
                r = parse_stream(repo, f);
                drain(f);
                fclose(f);
        }
        pthread_join(t, NULL);
        if (fd.result < 0 && fd.nfd > 1)
                scan->torn = true;  /* what it read stopped short */
        return fd.result < 0 ? fd.result : r;
}

static void merge_names(char ***into, char **from)
{
        for (char **n = from; n && *n; n++)
                if (!vz_strv_contains(*into, *n))
                        vz_strv_push(into, *n);
}

/* The base-set lists are cached beside the .solv as "E name", "R name" and
 * "P name rank" lines (<key>.base2: the older .base had no ranks), the
 * names in the order apt first meets them as <key>.order, one a line. */
static int load_base_cache(const char *path, char ***lists)
{
        _cleanup_strv_ char **lines = NULL;
        int r = vz_read_lines(path, &lines);
        if (r < 0)
                return r;
        for (int k = 0; k < 3; k++)
                lists[k] = vz_xmalloc(sizeof(char *));
        for (char **l = lines; *l; l++) {
                const char *t = strchr("ERP", (*l)[0]);
                if (t && (*l)[0] && (*l)[1] == ' ')
                        vz_strv_push(&lists[t - "ERP"], *l + 2);
        }
        return 0;
}

static void write_base_cache(const char *path, char **const *lists)
{
        size_t len = 0, cap = 4096;
        _cleanup_free_ char *buf = vz_xmalloc(cap);
        for (int k = 0; k < 3; k++)
                for (char **n = lists[k]; *n; n++) {
                        size_t need = strlen(*n) + 3;
                        if (len + need + 1 > cap) {
                                cap = (len + need + 1) * 2;
                                buf = realloc(buf, cap);
                                if (!buf)
                                        abort();
                        }
                        buf[len++] = "ERP"[k];
                        buf[len++] = ' ';
                        memcpy(buf + len, *n, need - 3);
                        len += need - 3;
                        buf[len++] = '\n';
                }
        vz_write_file_atomic(path, buf, len, 0644);
}

static void add_mentions(struct vz_resolver *r, const char *text)
{
        for (const char *p = text, *nl; *p; p = nl + 1) {
                nl = strchr(p, '\n');
                if (!nl)
                        break;
                if (nl > p)
                        queue_push(&r->mentions, pool_strn2id(r->pool, p, (unsigned int)(nl - p), 1));
        }
}

static void scan_start(struct base_scan *b, const char *packages_path, const char *base_cache,
                       const char *order_cache)
{
        size_t olen = 0;
        *b = (struct base_scan){ .packages_path = packages_path, .base_cache = base_cache, .order_cache = order_cache };
        b->cached = base_cache && load_base_cache(base_cache, b->lists) >= 0;
        if (b->cached && (!order_cache || vz_read_file(order_cache, &b->order, &olen) < 0)) {
                for (int i = 0; i < 3; i++) {
                        vz_strv_free(b->lists[i]);
                        b->lists[i] = NULL;
                }
                b->cached = false;
        }
}

/* Not scanned from the parser's feeder: from the file, beside whatever comes next. */
static void scan_from_file(struct base_scan *b)
{
        if (!b->cached && !b->threaded)
                b->threaded = pthread_create(&b->thread, NULL, scan, b) == 0;
}

static int scan_finish(struct vz_resolver *r, struct base_scan *b)
{
        if (b->threaded)
                pthread_join(b->thread, NULL);
        if (b->torn) {  /* a stream cut short: scan the file again */
                for (int i = 0; i < 3; i++) {
                        vz_strv_free(b->lists[i]);
                        b->lists[i] = NULL;
                }
                free(b->order);
                b->order = NULL;
                b->torn = false;
                b->threaded = false;
        }
        if (!b->threaded && !b->cached)
                scan(b);
        if (!b->cached && b->result >= 0) {
                if (b->order_cache)
                        vz_write_file_atomic(b->order_cache, b->order, strlen(b->order), 0644);
                if (b->base_cache)
                        write_base_cache(b->base_cache, b->lists);  /* after .order: it stands for both */
        }
        if (b->result >= 0) {
                merge_names(&r->essential, b->lists[0]);
                merge_names(&r->required, b->lists[1]);
                merge_names(&r->ranks, b->lists[2]);
                add_mentions(r, b->order);
        }
        for (int i = 0; i < 3; i++)
                vz_strv_free(b->lists[i]);
        free(b->order);
        return b->result;
}

int vz_resolver_add_deb_repo(struct vz_resolver *r, int repo_index, const char *label,
                             const char *packages_path, const char *cache_dir, const char *key,
                             int priority, struct vz_error *err)
{
        Repo *repo = repo_create(r->pool, label);
        _cleanup_free_ char *solv = NULL, *base = NULL, *order = NULL;
        struct base_scan bs;
        int k;

        repo->appdata = (void *)(intptr_t)repo_index;
        repo->priority = priority;
        if (cache_dir && key && vz_mkdir_p(cache_dir, 0755) >= 0) {  /* else no cache: it only saves time */
                solv = vz_asprintf("%s/%s.2.solv", cache_dir, key);  /* .2: with VZ_DEPORDER_KEY */
                base = vz_asprintf("%s/%s.base2", cache_dir, key);
                order = vz_asprintf("%s/%s.order", cache_dir, key);
        }
        scan_start(&bs, packages_path, base, order);
        if (!solv || !load_solv_cache(repo, solv)) {
                repo_empty(repo, 1);
                k = parse_packages(repo, packages_path, &bs);
                if (k < 0) {
                        (void)scan_finish(r, &bs);
                        return vz_error_set(err, -VZ_E_METADATA, "%s: cannot parse %s", label, packages_path);
                }
                /* Read back what was written: the writer sorts dependency
                 * arrays and interns strings in its own order, and a pool
                 * that differs from the next run's (which loads the cache)
                 * gives other install batches for the same packages. */
                if (solv && write_solv_cache(repo, solv)) {
                        repo_empty(repo, 1);
                        if (!load_solv_cache(repo, solv) && (repo_empty(repo, 1), parse_packages(repo, packages_path, NULL) < 0)) {
                                (void)scan_finish(r, &bs);
                                return vz_error_set(err, -VZ_E_METADATA, "%s: cannot parse %s", label, packages_path);
                        }
                }
        } else {
                scan_from_file(&bs);
        }
        k = scan_finish(r, &bs);
        if (k < 0)
                return vz_error_set(err, -VZ_E_METADATA, "%s: cannot read %s: %s", label, packages_path,
                                    strerror(-k));
        return 0;
}

/* ---- the job ---------------------------------------------------------- */

/* "@group" (comps): the group and its default packages, which libsolv
 * keeps as recommends of the group solvable, as dnf installs them. */
static int add_group_job(Pool *pool, Queue *job, const char *name, const char *what, struct vz_error *err)
{
        _cleanup_free_ char *gname = vz_asprintf("group:%s", name + 1);
        Id id = pool_str2id(pool, gname, 0), p, pp;
        bool found = false;
        if (id)
                FOR_PROVIDES(p, pp, id) {
                        Solvable *s = pool_id2solvable(pool, p);
                        Queue rec;
                        if (s->name != id)
                                continue;
                        found = true;
                        queue_init(&rec);
                        solvable_lookup_deparray(s, SOLVABLE_RECOMMENDS, &rec, -1);
                        for (int i = 0; i < rec.count; i++)
                                queue_push2(job, SOLVER_INSTALL | SOLVER_SOLVABLE_PROVIDES | SOLVER_WEAK, rec.elements[i]);
                        queue_free(&rec);
                }
        if (!found)
                return vz_error_set(err, -VZ_E_NOPKG,
                                    "group %s: not in the comps of any repository of %s; check the name", name, what);
        queue_push2(job, SOLVER_INSTALL | SOLVER_SOLVABLE_NAME, id);
        return 0;
}

static int add_name_job(Pool *pool, Queue *job, const char *name, const char *what, struct vz_error *err)
{
        Queue sel;
        int r = 0;
        if (name[0] == '@' && pool->disttype == DISTTYPE_RPM)
                return add_group_job(pool, job, name, what, err);
        queue_init(&sel);
        /* name, name.arch, and for RPM also name-version[-release][.arch] and epoch forms */
        int flags = SELECTION_NAME | SELECTION_PROVIDES | SELECTION_DOTARCH | SELECTION_REL;
        if (pool->disttype == DISTTYPE_RPM)
                flags |= SELECTION_CANON;
        selection_make(pool, &sel, name, flags);
        if (!sel.count)
                r = vz_error_set(err, -VZ_E_NOPKG,
                                 "package %s: not in any repository of %s; check the name in the template's packages file and its repositories",
                                 name, what);
        else {
                for (int i = 0; i < sel.count; i += 2)
                        queue_push2(job, SOLVER_INSTALL | sel.elements[i], sel.elements[i + 1]);
        }
        queue_free(&sel);
        return r;
}

/* When a dependency names a real package that others also provide (apt
 * needs libsystemd0; libelogind0 provides it too), apt installs the real
 * package. libsolv has no such rule and would pick by name order, so the
 * impostors are disfavoured: still used when nothing else will do. */
/* A package that provides and obsoletes a name replaces it (RPM renames):
 * no impostor. */
static bool obsoletes_name(Pool *pool, Solvable *s, Id name)
{
        if (!s->obsoletes)
                return false;
        for (Id *op = s->repo->idarraydata + s->obsoletes; *op; op++) {
                Id o = *op;
                while (ISRELDEP(o))
                        o = GETRELDEP(pool, o)->name;
                if (o == name)
                        return true;
        }
        return false;
}

static void disfavor_impostors(Pool *pool, Queue *job)
{
        Map real;
        Id p;
        Solvable *s;
        Map installed;
        map_init(&real, pool->ss.nstrings);
        map_init(&installed, pool->ss.nstrings);
        FOR_POOL_SOLVABLES(p) {
                MAPSET(&real, pool->solvables[p].name);
                if (pool->installed && pool->solvables[p].repo == pool->installed)
                        MAPSET(&installed, pool->solvables[p].name);
        }
        FOR_POOL_SOLVABLES(p) {
                Id *pp;
                s = pool_id2solvable(pool, p);
                /* an installed package's new version is no impostor: perl-base
                 * provides real names, and its security update must win */
                if (!s->provides || MAPTST(&installed, s->name))
                        continue;
                for (pp = s->repo->idarraydata + s->provides; *pp; pp++) {
                        Id name = *pp;
                        while (ISRELDEP(name))
                                name = GETRELDEP(pool, name)->name;
                        if (name != s->name && name < pool->ss.nstrings && MAPTST(&real, name) &&
                            !obsoletes_name(pool, s, name)) {
                                queue_push2(job, SOLVER_DISFAVOR | SOLVER_SOLVABLE, p);
                                break;
                        }
                }
        }
        map_free(&real);
        map_free(&installed);
}

/* Every name no repository has, in one error (a list is fixed in one
 * round, not one name per run); other errors as they come. */
static int missing_names_error(char **missing, const char *what, struct vz_error *err)
{
        _cleanup_free_ char *list = vz_xstrdup("");
        size_t n = vz_strv_len(missing);
        if (n == 1)
                return vz_error_set(err, -VZ_E_NOPKG,
                                    "package %s: not in any repository of %s; check the name in the template's packages file and its repositories",
                                    missing[0], what);
        for (char **m = missing; *m; m++) {
                char *x = vz_asprintf("%s%s%s", list, *list ? ", " : "", *m);
                free(list);
                list = x;
        }
        return vz_error_set(err, -VZ_E_NOPKG,
                            "%zu packages are not in any repository of %s: %s; check the names in the template's package lists and its repositories",
                            n, what, list);
}

/* The job in apt's command-line order: Essential, required, then the
 * template's names (aptchoice.c marks them in this order). */
static int build_job(struct vz_resolver *r, char *const *names, unsigned flags, const char *what,
                     Queue *job, struct vz_error *err)
{
        _cleanup_strv_ char **missing = vz_xmalloc(sizeof(char *));
        int k;
        for (int pass = 0; (flags & VZ_RESOLVE_BASE) && pass < 2; pass++)
                for (char **n = pass ? r->required : r->essential; *n; n++) {
                        Id id = pool_str2id(r->pool, *n, 0);
                        if (id)
                                queue_push2(job, SOLVER_INSTALL | SOLVER_SOLVABLE_NAME, id);
                }
        for (char *const *n = names; n && *n; n++) {
                struct vz_error one = { 0 };
                if ((k = add_name_job(r->pool, job, *n, what, &one)) == -VZ_E_NOPKG && (*n)[0] != '@')
                        vz_strv_push(&missing, *n);
                else if (k < 0)
                        return vz_error_set(err, k, "%s", one.msg);
        }
        if (missing[0])
                return missing_names_error(missing, what, err);
        if (r->pool->disttype != DISTTYPE_DEB)
                disfavor_impostors(r->pool, job);
        return 0;
}

/* ---- apt's choice (Debian) ------------------------------------------------ */

static int *rank_array(struct vz_resolver *r, int *ret_n)
{
        Pool *pool = r->pool;
        int n = pool->ss.nstrings;
        int *rank = solv_calloc((size_t)n, sizeof(int));
        for (char **x = r->ranks; x && *x; x++) {
                const char *sp = strchr(*x, ' ');
                Id id = sp ? pool_strn2id(pool, *x, (unsigned int)(sp - *x), 0) : 0;
                int v = sp ? (int)strtol(sp + 1, NULL, 10) : 0;
                if (id > 0 && id < n && v > 0 && (!rank[id] || v < rank[id]))
                        rank[id] = v;
        }
        *ret_n = n;
        return rank;
}

/* The solvable apt installs for one job entry: the candidate of that very
 * name, else the only candidate that provides it (apt asks the user to pick
 * among several; libsolv decides those, see resolver.md). */
static Id job_root(Pool *pool, const Map *cand, Id how, Id what)
{
        Queue q;
        Id found = 0, name = what;
        int n = 0;
        bool exact = false;
        while (ISRELDEP(name))
                name = GETRELDEP(pool, name)->name;
        queue_init(&q);
        pool_job2solvables(pool, &q, how, what);
        for (int i = 0; i < q.count; i++) {
                Id p = q.elements[i];
                if (!MAPTST(cand, p))
                        continue;
                n++;
                if (!exact && (pool->solvables[p].name == name || !found)) {
                        exact = pool->solvables[p].name == name;
                        found = p;
                }
        }
        queue_free(&q);
        return exact || n == 1 ? found : 0;
}

/* name id -> 1 + the place where apt's cache first met the name, 0 never */
static int *mention_array(struct vz_resolver *r)
{
        int *order = solv_calloc((size_t)r->pool->ss.nstrings, sizeof(int));
        for (int i = 0; i < r->mentions.count; i++) {
                Id id = r->mentions.elements[i];
                if (id > 0 && id < r->pool->ss.nstrings && !order[id])
                        order[id] = i + 1;
        }
        return order;
}

static void apt_choice(struct vz_resolver *r, const Queue *job, const Queue *premarked, Queue *ret)
{
        Pool *pool = r->pool;
        Queue roots;
        Map cand;
        int nrank;
        int *rank = rank_array(r, &nrank);
        int *order = mention_array(r);
        vz_apt_candidates(pool, &cand);
        queue_init(&roots);
        for (int i = 0; i < job->count; i += 2) {
                Id p;
                if ((job->elements[i] & SOLVER_JOBMASK) != SOLVER_INSTALL)
                        continue;
                p = job_root(pool, &cand, job->elements[i], job->elements[i + 1]);
                if (p)
                        queue_push(&roots, p);
        }
        vz_apt_choose(pool, &cand, r->essential, rank, order, nrank, premarked, &roots, ret);
        queue_free(&roots);
        map_free(&cand);
        solv_free(rank);
        solv_free(order);
}

/* A fresh Debian install: apt's set, checked and completed by libsolv. When
 * apt's greedy set is not consistent (a conflict apt's problem resolver
 * would have to settle), libsolv solves the named job, preferring apt's
 * choices wherever it has one to make. */
static int solve_deb_fresh(struct vz_resolver *r, Solver *solv, Queue *job)
{
        Queue chosen, exact;
        int k;
        queue_init(&chosen);
        queue_init(&exact);
        apt_choice(r, job, NULL, &chosen);
        for (int i = 0; i < chosen.count; i++)
                queue_push2(&exact, SOLVER_INSTALL | SOLVER_SOLVABLE, chosen.elements[i]);
        k = solver_solve(solv, &exact);
        if (k != 0) {
                for (int i = 0; i < chosen.count; i++)
                        queue_push2(job, SOLVER_FAVOR | SOLVER_SOLVABLE, chosen.elements[i]);
                k = solver_solve(solv, job);
        }
        queue_free(&chosen);
        queue_free(&exact);
        return k;
}

static int explain_problems(Solver *solv, const char *what, struct vz_error *err)
{
        Pool *pool = solv->pool;
        int count = solver_problem_count(solv);
        _cleanup_free_ char *text = vz_xstrdup("");

        for (Id p = 1; p <= count; p++) {
                Id rid = solver_findproblemrule(solv, p), source, target, dep;
                SolverRuleinfo type = solver_ruleinfo(solv, rid, &source, &target, &dep);
                char *x = vz_asprintf("%s%s%s", text, p > 1 ? "; " : "",
                                      solver_problemruleinfo2str(solv, type, source, target, dep));
                free(text);
                text = x;
        }
        (void)pool;
        return vz_error_set(err, -VZ_E_PROBLEM, "%s: cannot resolve dependencies: %s", what, text);
}

/* ---- the answer ------------------------------------------------------- */

static void fill_pkg(Pool *pool, Id p, struct vz_pkg *out, char **essential)
{
        Solvable *s = pool_id2solvable(pool, p);
        Id type = 0;
        unsigned int medianr;
        const char *sum = solvable_lookup_checksum(s, SOLVABLE_CHECKSUM, &type);
        const char *loc = solvable_get_location(s, &medianr);

        out->name = vz_xstrdup(pool_id2str(pool, s->name));
        out->arch = vz_xstrdup(pool_id2str(pool, s->arch));
        out->version = vz_xstrdup(pool_id2str(pool, s->evr));
        out->filename = vz_xstrdup(loc);
        out->sha256 = type == REPOKEY_TYPE_SHA256 && sum ? vz_xstrdup(sum) : NULL;
        out->size = (long long)solvable_lookup_num(s, SOLVABLE_DOWNLOADSIZE, 0);
        out->repo = (int)(intptr_t)s->repo->appdata;
        out->essential = vz_strv_contains(essential, out->name);
}

/* The bootstrap set: Essential: yes packages and everything they need,
 * within the chosen set. It is unpacked by us before dpkg can run. */
static void mark_bootstrap(Pool *pool, Queue *order, struct vz_pkg *pkgs)
{
        Map chosen, seen;
        Queue todo;
        map_init(&chosen, pool->nsolvables);
        map_init(&seen, pool->nsolvables);
        queue_init(&todo);
        for (int i = 0; i < order->count; i++) {
                MAPSET(&chosen, order->elements[i]);
                if (pkgs[i].essential)
                        queue_push(&todo, order->elements[i]);
        }
        while (todo.count) {
                Id p = queue_pop(&todo), *pp, dep;
                Queue reqs;
                if (MAPTST(&seen, p))
                        continue;
                MAPSET(&seen, p);
                queue_init(&reqs);
                solvable_lookup_deparray(pool_id2solvable(pool, p), SOLVABLE_REQUIRES, &reqs, 0);
                for (int i = 0; i < reqs.count; i++) {
                        dep = reqs.elements[i];
                        if (dep == SOLVABLE_PREREQMARKER)
                                continue;
                        for (pp = pool_whatprovides_ptr(pool, dep); *pp; pp++)
                                if (MAPTST(&chosen, *pp) && !MAPTST(&seen, *pp))
                                        queue_push(&todo, *pp);
                }
                queue_free(&reqs);
        }
        for (int i = 0; i < order->count; i++)
                pkgs[i].bootstrap = MAPTST(&seen, order->elements[i]);
        map_free(&chosen);
        map_free(&seen);
        queue_free(&todo);
}

/* Names of the chosen packages that p pre-depends on. */
static char **prereq_names(Pool *pool, Id p, Map *chosen)
{
        Queue reqs;
        char **names = vz_xmalloc(sizeof(char *));
        queue_init(&reqs);
        solvable_lookup_deparray(pool_id2solvable(pool, p), SOLVABLE_REQUIRES, &reqs, 1);
        for (int i = 0; i < reqs.count; i++)
                for (Id *pp = pool_whatprovides_ptr(pool, reqs.elements[i]); *pp; pp++) {
                        const char *n = pool_id2str(pool, pool_id2solvable(pool, *pp)->name);
                        if (*pp != p && MAPTST(chosen, *pp) && !vz_strv_contains(names, n))
                                vz_strv_push(&names, n);
                }
        queue_free(&reqs);
        return names;
}

static void fill_prereqs(Pool *pool, Queue *order, struct vz_pkg *pkgs)
{
        Map chosen;
        map_init(&chosen, pool->nsolvables);
        for (int i = 0; i < order->count; i++)
                MAPSET(&chosen, order->elements[i]);
        for (int i = 0; i < order->count; i++)
                pkgs[i].prereqs = prereq_names(pool, order->elements[i], &chosen);
        map_free(&chosen);
}

/* dpkg needs a pre-dependency configured, not merely unpacked, before it
 * unpacks the dependant: a batch (one dpkg run) never holds both. */
int vz_pkglist_batches(struct vz_pkglist *l, const bool *select)
{
        char **current = vz_xmalloc(sizeof(char *));
        int batch = 0;
        for (size_t i = 0; i < l->n; i++) {
                if (!select[i])
                        continue;
                bool split = batch == 0;
                for (char **q = l->pkgs[i].prereqs; q && *q && !split; q++)
                        split = vz_strv_contains(current, *q);
                if (split) {
                        batch++;
                        vz_strv_free(current);
                        current = vz_xmalloc(sizeof(char *));
                }
                vz_strv_push(&current, l->pkgs[i].name);
                l->pkgs[i].batch = batch;
        }
        vz_strv_free(current);
        return batch;
}

static void assign_batches(struct vz_pkglist *l)
{
        bool *rest = vz_xmalloc((l->n + 1) * sizeof(bool));
        for (size_t i = 0; i < l->n; i++)
                rest[i] = !l->pkgs[i].bootstrap;
        for (size_t i = 0; i < l->n; i++)
                if (l->pkgs[i].bootstrap)
                        l->pkgs[i].batch = 0;
        vz_pkglist_batches(l, rest);
        free(rest);
}

int vz_resolver_find(struct vz_resolver *r, const char *name, const char *arch, const char *version,
                     struct vz_pkg *ret)
{
        Pool *pool = r->pool;
        Id n = pool_str2id(pool, name, 0), evr = pool_str2id(pool, version, 0);
        Id a = arch ? pool_str2id(pool, arch, 0) : 0;
        Id p;
        Solvable *s;

        if (!n || !evr || (arch && !a))
                return -ENOENT;  /* a string the pool never saw names no package */
        FOR_POOL_SOLVABLES(p) {
                s = pool_id2solvable(pool, p);
                if (s->repo == pool->installed || s->name != n || s->evr != evr || (a && s->arch != a))
                        continue;
                memset(ret, 0, sizeof(*ret));
                fill_pkg(pool, p, ret, r->essential);
                if (!ret->sha256 || !ret->filename) {
                        struct vz_pkglist one = { .pkgs = vz_xmalloc(sizeof(*ret)), .n = 1 };
                        one.pkgs[0] = *ret;
                        vz_pkglist_done(&one);
                        memset(ret, 0, sizeof(*ret));
                        return -VZ_E_CHECKSUM;
                }
                return 0;
        }
        return -ENOENT;
}

int vz_resolver_evrcmp(struct vz_resolver *r, const char *a, const char *b)
{
        return pool_evrcmp_str(r->pool, a, b, EVRCMP_COMPARE);
}

static int check_checksums(struct vz_pkglist *l, const char *what, struct vz_error *err)
{
        for (size_t i = 0; i < l->n; i++)
                if (!l->pkgs[i].sha256 || !l->pkgs[i].filename)
                        return vz_error_set(err, -VZ_E_CHECKSUM,
                                            "package %s: the repository of %s gives no SHA-256 for it; refusing to install unverifiable files",
                                            l->pkgs[i].name, what);
        return 0;
}

/* comps groups and categories are solvables, not packages */
static bool is_pseudo(Pool *pool, Id p)
{
        const char *n = pool_id2str(pool, pool_id2solvable(pool, p)->name);
        return vz_startswith(n, "group:") || vz_startswith(n, "category:") || vz_startswith(n, "pattern:");
}

static void collect(Pool *pool, Transaction *trans, struct vz_resolver *r, struct vz_pkglist *ret)
{
        Queue order;
        queue_init(&order);
        transaction_order(trans, 0);
        for (int i = 0; i < trans->steps.count; i++) {
                Id p = trans->steps.elements[i];
                if (transaction_type(trans, p, SOLVER_TRANSACTION_SHOW_ACTIVE) == SOLVER_TRANSACTION_INSTALL &&
                    !is_pseudo(pool, p))
                        queue_push(&order, p);
        }
        ret->n = (size_t)order.count;
        ret->pkgs = vz_xmalloc((ret->n + 1) * sizeof(*ret->pkgs));
        for (int i = 0; i < order.count; i++)
                fill_pkg(pool, order.elements[i], &ret->pkgs[i], r->essential);
        mark_bootstrap(pool, &order, ret->pkgs);
        fill_prereqs(pool, &order, ret->pkgs);
        assign_batches(ret);
        queue_free(&order);
}

int vz_resolver_solve(struct vz_resolver *r, char *const *names, unsigned flags, const char *what,
                      struct vz_pkglist *ret, struct vz_error *err)
{
        Pool *pool = r->pool;
        Solver *solv = NULL;
        Transaction *trans = NULL;
        Queue job;
        int k;

        if (!pool->installed)
                pool_set_installed(pool, repo_create(pool, "@System"));
        pool_addfileprovides(pool);
        pool_createwhatprovides(pool);
        queue_init(&job);
        k = build_job(r, names, flags, what, &job, err);
        if (k < 0)
                goto out;
        solv = solver_create(pool);
        solver_set_flag(solv, SOLVER_FLAG_IGNORE_RECOMMENDED, 1);
        if ((pool->disttype == DISTTYPE_DEB ? solve_deb_fresh(r, solv, &job) : solver_solve(solv, &job)) != 0) {
                k = explain_problems(solv, what, err);
                goto out;
        }
        trans = solver_create_transaction(solv);
        collect(pool, trans, r, ret);
        k = check_checksums(ret, what, err);
        if (k < 0)
                vz_pkglist_done(ret);
out:
        if (trans)
                transaction_free(trans);
        if (solv)
                solver_free(solv);
        queue_free(&job);
        return k;
}

void vz_pkglist_done(struct vz_pkglist *l)
{
        for (size_t i = 0; i < l->n; i++) {
                free(l->pkgs[i].name);
                free(l->pkgs[i].arch);
                free(l->pkgs[i].version);
                free(l->pkgs[i].filename);
                free(l->pkgs[i].sha256);
                vz_strv_free(l->pkgs[i].prereqs);
        }
        free(l->pkgs);
        l->pkgs = NULL;
        l->n = 0;
}

/* ---- existing systems ---------------------------------------------------- */

/* A tenant's dpkg status is checked before libsolv parses it: a line
 * longer than this, a NUL byte or a huge file is refused (libsolvext's
 * control-file reader has read past its buffer on very long lines). The
 * longest line of a real status (a Description or Conffiles entry) is a
 * few KiB. */
#define STATUS_MAX (256LL << 20)
#define STATUS_LINE_MAX 32768

int vz_dpkg_status_check(const char *text, size_t len)
{
        const char *p = text, *end = text + len;
        if (memchr(text, '\0', len))
                return -EINVAL;
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
                if (n > STATUS_LINE_MAX)
                        return -E2BIG;
                p += n + 1;
        }
        return 0;
}

int vz_dpkg_status_read(const char *root, const char *what, char **ret, size_t *ret_len, struct vz_error *err)
{
        static const char rel[] = "var/lib/dpkg/status";
        _cleanup_close_ int rfd = -1;
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r = vz_root_open(root, &rfd);
        if (r >= 0)
                r = vz_at_read(rfd, rel, STATUS_MAX, VZ_AT_NOLINKS, &text, &len);  /* dpkg makes no links there */
        if (r >= 0)
                r = vz_dpkg_status_check(text, len);
        switch (r) {
        case 0:
                break;
        case -ENOENT:
                return vz_error_set(err, -VZ_E_METADATA, "%s: no dpkg database (%s/%s)", what, root, rel);
        case -EINVAL:
                return vz_error_set(err, -VZ_E_UNSAFE, "%s: %s/%s is not a dpkg status file (not a regular file, or NUL bytes); refused",
                                    what, root, rel);
        case -ELOOP:
                return vz_error_set(err, -VZ_E_UNSAFE, "%s: %s/%s: a symbolic link on the way; refused", what, root,
                                    rel);
        case -EFBIG:
                return vz_error_set(err, -VZ_E_UNSAFE, "%s: %s/%s is larger than %lld MiB; refused", what, root, rel,
                                    STATUS_MAX >> 20);
        case -E2BIG:
                return vz_error_set(err, -VZ_E_UNSAFE, "%s: %s/%s has a line longer than %d bytes; refused", what,
                                    root, rel, STATUS_LINE_MAX);
        default:
                return vz_error_set(err, -VZ_E_METADATA, "%s: cannot read %s/%s: %s", what, root, rel, strerror(-r));
        }
        *ret = TAKE_PTR(text);
        if (ret_len)
                *ret_len = len;
        return 0;
}

/* libsolv gets a checked copy in memory, never a path into the root. */
static int load_debdb(Repo *repo, const char *root, const char *what, struct vz_error *err)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r = vz_dpkg_status_read(root, what, &text, &len, err);
        FILE *f;
        if (r < 0)
                return r;
        f = fmemopen(text, len ? len : 1, "r");
        if (!f)
                return vz_error_set(err, -errno, "%s: %m", what);
        r = repo_add_debpackages(repo, f, 0);
        fclose(f);
        if (r != 0)
                return vz_error_set(err, -VZ_E_METADATA, "%s: cannot read its dpkg database: %s", what,
                                    pool_errstr(repo->pool));
        return 0;
}

/* librpm and libsolv open the rpmdb by path: at least no link may lead
 * them out of the root (Fedora's var/lib/rpm -> ../../usr/lib/sysimage/rpm
 * stays inside and is fine) (a race with the tenant remains; see security.md). */
int vz_rpmdb_check_links(const char *root, const char *what, struct vz_error *err)
{
        static const char *const paths[] = { "var", "var/lib", "var/lib/rpm", "var/lib/rpm/rpmdb.sqlite",
                                             "var/lib/rpm/Packages", "usr/lib/sysimage/rpm",
                                             "usr/lib/sysimage/rpm/rpmdb.sqlite" };
        _cleanup_close_ int rfd = -1;
        int r = vz_root_open(root, &rfd);
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(paths); i++)
                if ((r = vz_at_check_beneath(rfd, paths[i])) < 0)
                        return vz_error_set(err, -VZ_E_UNSAFE, "%s: %s/%s: %s; the rpmdb is not read there",
                                            what, root, paths[i],
                                            r == -EXDEV ? "a symbolic link leads out of the root" : strerror(-r));
        if (r < 0)
                return vz_error_set(err, -VZ_E_METADATA, "%s: %s: %s", what, root, strerror(-r));
        return 0;
}

int vz_resolver_load_installed(struct vz_resolver *r, const char *root, struct vz_error *err)
{
        Pool *pool = r->pool;
        Repo *repo = repo_create(pool, "@System");
        int k;
        if (pool->disttype == DISTTYPE_DEB) {
                k = load_debdb(repo, root, root, err);
                if (k < 0)
                        return k;
        } else {
                k = vz_rpmdb_check_links(root, root, err);
                if (k < 0)
                        return k;
                pool_set_rootdir(pool, root);
                k = repo_add_rpmdb(repo, NULL, REPO_USE_ROOTDIR);
                pool_set_rootdir(pool, NULL);
                if (k != 0)
                        return vz_error_set(err, -VZ_E_METADATA, "%s: cannot read its package database: %s", root,
                                            pool_errstr(pool));
        }
        pool_set_installed(pool, repo);
        return 0;
}

static void push_names(Pool *pool, Queue *q, char **names, Id how)
{
        for (char **n = names; n && *n; n++) {
                Id id = pool_str2id(pool, *n, 0);
                if (id)
                        queue_push2(q, how | SOLVER_SOLVABLE_NAME, id);
        }
}

static int check_installed_names(Pool *pool, char **names, const char *what, struct vz_error *err)
{
        for (char **n = names; n && *n; n++) {
                Id id = pool_str2id(pool, *n, 0), p;
                Solvable *s;
                bool found = false;
                if (id && pool->installed) {
                        FOR_REPO_SOLVABLES(pool->installed, p, s)
                                found |= s->name == id;
                }
                if (!found)
                        return vz_error_set(err, -VZ_E_NOPKG, "package %s: not installed in %s", *n, what);
        }
        return 0;
}

/* Debian: libsolv reads Conflicts + Replaces as obsoletes, so an update
 * of libsystemd0 could "update" to libelogind0. apt upgrade only ever takes
 * a newer version of the same package: ask for the best version of each
 * installed name that the repositories have. */
static void deb_update_names(Pool *pool, Queue *q, char **only)
{
        Map asked;
        Id p;
        Solvable *s;
        map_init(&asked, pool->ss.nstrings);
        FOR_REPO_SOLVABLES(pool->installed, p, s) {
                Id q2, pp;
                bool available = false;
                if (MAPTST(&asked, s->name) || (only && !vz_strv_contains(only, pool_id2str(pool, s->name))))
                        continue;
                MAPSET(&asked, s->name);
                FOR_PROVIDES(q2, pp, s->name)
                        available |= pool->solvables[q2].name == s->name && pool->solvables[q2].repo != pool->installed;
                if (available)
                        queue_push2(q, SOLVER_INSTALL | SOLVER_SOLVABLE_NAME | SOLVER_FORCEBEST, s->name);
        }
        map_free(&asked);
}

/* A Debian release upgrade, as apt full-upgrade: each installed name the
 * new release has goes to its best version (never to another package that
 * merely obsoletes it: Conflicts + Replaces would otherwise let libelogind0
 * stand in for libsystemd0); a name it no longer has (an orphan: libssl3,
 * renamed libssl3t64) is distribution-upgraded alone, so libsolv may let
 * the package that replaces it take its place, or remove it when it is in
 * the way, and otherwise keeps it (apt keeps obsolete packages too). */
static void deb_dist_upgrade(Pool *pool, Queue *q)
{
        Id p;
        Solvable *s;
        deb_update_names(pool, q, NULL);
        FOR_REPO_SOLVABLES(pool->installed, p, s) {
                Id q2, pp;
                bool available = false;
                FOR_PROVIDES(q2, pp, s->name)
                        available |= pool->solvables[q2].name == s->name && pool->solvables[q2].repo != pool->installed;
                if (!available)
                        queue_push2(q, SOLVER_DISTUPGRADE | SOLVER_SOLVABLE, p);
        }
}

/* apt install on an existing system: what is installed counts as marked;
 * apt's choices for the new names are preferred by libsolv. */
static void favor_apt_choice(struct vz_resolver *r, Queue *q)
{
        Pool *pool = r->pool;
        Queue installed, chosen;
        Id p;
        Solvable *s;
        queue_init(&installed);
        queue_init(&chosen);
        FOR_REPO_SOLVABLES(pool->installed, p, s)
                queue_push(&installed, p);
        apt_choice(r, q, &installed, &chosen);
        for (int i = 0; i < chosen.count; i++)
                if (pool->solvables[chosen.elements[i]].repo != pool->installed)
                        queue_push2(q, SOLVER_FAVOR | SOLVER_SOLVABLE, chosen.elements[i]);
        queue_free(&installed);
        queue_free(&chosen);
}

static int job_queue(struct vz_resolver *r, const struct vz_job *job, const char *what, Queue *q, struct vz_error *err)
{
        int k;
        if ((k = check_installed_names(r->pool, job->update, what, err)) < 0)
                return k;
        for (char **n = job->install; n && *n; n++)
                if ((k = add_name_job(r->pool, q, *n, what, err)) < 0)
                        return k;
        for (size_t i = 0; i < job->n_files; i++)  /* package files: that very solvable */
                queue_push2(q, SOLVER_INSTALL | SOLVER_SOLVABLE, job->files[i]);
        push_names(r->pool, q, job->erase, SOLVER_ERASE | (job->cleandeps ? SOLVER_CLEANDEPS : 0));
        for (int pass = 0; job->base && pass < 2; pass++)
                push_names(r->pool, q, pass ? r->required : r->essential, SOLVER_INSTALL);
        if (job->dist_upgrade && r->pool->disttype == DISTTYPE_DEB)
                deb_dist_upgrade(r->pool, q);
        else if (job->dist_upgrade)
                queue_push2(q, SOLVER_DISTUPGRADE | SOLVER_SOLVABLE_ALL, 0);
        else if (r->pool->disttype == DISTTYPE_DEB && (job->update_all || job->update))
                deb_update_names(r->pool, q, job->update_all ? NULL : job->update);
        else {
                push_names(r->pool, q, job->update, SOLVER_UPDATE);
                if (job->update_all)
                        queue_push2(q, SOLVER_UPDATE | SOLVER_SOLVABLE_ALL, 0);
        }
        /* choosing among providers is an install's question; an update keeps
         * to the installed names (SOLVER_FLAG_NO_UPDATEPROVIDE) */
        bool installing = (job->install && job->install[0]) || job->n_files;
        if (installing && r->pool->disttype != DISTTYPE_DEB)
                disfavor_impostors(r->pool, q);
        else if (installing)
                favor_apt_choice(r, q);
        return 0;
}

/* A repository package with the very name, arch and version of an
 * installed one is a no-op: dpkg's status carries no checksum for libsolv
 * to call them identical, and a version published in two suites would
 * otherwise be "updated" to itself. */
static bool same_as_installed(Pool *pool, Id p)
{
        Solvable *s = pool_id2solvable(pool, p), *i;
        Id q;
        FOR_REPO_SOLVABLES(pool->installed, q, i)
                if (i->name == s->name && i->arch == s->arch && i->evr == s->evr)
                        return true;
        return false;
}

static bool renewed(Pool *pool, Transaction *trans, Id p)
{
        Id name = pool->solvables[p].name;
        for (int i = 0; i < trans->steps.count; i++) {
                Solvable *s = pool_id2solvable(pool, trans->steps.elements[i]);
                if (s->repo != pool->installed && s->name == name)
                        return true;
        }
        return false;
}

static Id installed_named(Pool *pool, Id name)
{
        Id p;
        Solvable *s;
        FOR_REPO_SOLVABLES(pool->installed, p, s)
                if (s->name == name)
                        return p;
        return 0;
}

static bool conflicts_with(Pool *pool, Solvable *s, Id p)
{
        for (Id *cp = s->repo->idarraydata + s->conflicts; *cp; cp++)
                if (pool_match_nevr(pool, pool->solvables + p, *cp))
                        return true;
        return false;
}

/* dpkg --auto-deconfigure deconfigures an installed package that a new
 * one Breaks, and configures it again at the end of the same run, which
 * works only when its new version is unpacked in that run: it follows
 * the package that breaks it (libc6 2.41 breaks the old base-files and
 * locales in a release upgrade). Bounded: a cycle stops moving. */
static void follow_breakers(Pool *pool, Queue *in)
{
        int moves = 0;
        for (int i = 0; i < in->count && moves < 4 * in->count; i++) {
                Solvable *s = pool_id2solvable(pool, in->elements[i]);
                if (!s->conflicts)
                        continue;
                for (int j = i + 2; j < in->count; j++) {
                        Id p = in->elements[j], old = installed_named(pool, pool->solvables[p].name);
                        if (!old || !conflicts_with(pool, s, old))
                                continue;
                        memmove(&in->elements[i + 2], &in->elements[i + 1], (size_t)(j - i - 1) * sizeof(Id));
                        in->elements[i + 1] = p;
                        moves++;
                }
        }
}

static void split_transaction(Pool *pool, Transaction *trans, struct vz_resolver *r, struct vz_pkglist *inst,
                              struct vz_pkglist *erase)
{
        Queue in, out;
        queue_init(&in);
        queue_init(&out);
        /* What goes: an installed package in the transaction that no new
         * package of the same name replaces (erased, or obsoleted by
         * another name). Collected before ordering, which drops the latter. */
        for (int i = 0; i < trans->steps.count; i++) {
                Id p = trans->steps.elements[i];
                if (pool->solvables[p].repo == pool->installed && !renewed(pool, trans, p))
                        queue_push(&out, p);
        }
        transaction_order(trans, 0);
        for (int i = 0; i < trans->steps.count; i++) {
                Id p = trans->steps.elements[i];
                if (pool->solvables[p].repo != pool->installed && !same_as_installed(pool, p) && !is_pseudo(pool, p))
                        queue_push(&in, p);
        }
        if (pool->disttype == DISTTYPE_DEB)
                follow_breakers(pool, &in);
        inst->n = (size_t)in.count;
        inst->pkgs = vz_xmalloc((inst->n + 1) * sizeof(*inst->pkgs));
        for (int i = 0; i < in.count; i++)
                fill_pkg(pool, in.elements[i], &inst->pkgs[i], r->essential);
        fill_prereqs(pool, &in, inst->pkgs);
        erase->n = (size_t)out.count;
        erase->pkgs = vz_xmalloc((erase->n + 1) * sizeof(*erase->pkgs));
        for (int i = 0; i < out.count; i++) {
                Solvable *s = pool_id2solvable(pool, out.elements[i]);
                Id type = transaction_type(trans, out.elements[i],
                                           SOLVER_TRANSACTION_SHOW_ACTIVE | SOLVER_TRANSACTION_SHOW_OBSOLETES);
                erase->pkgs[i] = (struct vz_pkg){ .name = vz_xstrdup(pool_id2str(pool, s->name)),
                                                  .arch = vz_xstrdup(pool_id2str(pool, s->arch)),
                                                  .version = vz_xstrdup(pool_id2str(pool, s->evr)),
                                                  .replaced = type == SOLVER_TRANSACTION_OBSOLETED };
        }
        queue_free(&in);
        queue_free(&out);
}

/* An installed package that requires one of the packages going, with no
 * provider left: it goes too (libsolv erases what depends on an erased
 * package). Packages a named one needed (--clean-deps) do not count. */
static bool needs_gone(Pool *pool, Solvable *s, const Map *gone, const Map *bad, const Map *coming)
{
        if (!s->requires)
                return false;
        for (Id *rp = s->repo->idarraydata + s->requires; *rp; rp++) {
                bool kept = false, lost = false;
                Id pp, ppp;
                if (*rp == SOLVABLE_PREREQMARKER)
                        continue;
                FOR_PROVIDES(pp, ppp, *rp) {
                        bool inst = pool->solvables[pp].repo == pool->installed;
                        if ((inst && !MAPTST(gone, pp)) || (!inst && MAPTST(coming, pp)))
                                kept = true;
                        else if (inst && MAPTST(bad, pp))
                                lost = true;
                }
                if (lost && !kept)
                        return true;
        }
        return false;
}

/* remove, as vztt: the named packages go, what depends on them only with
 * -w (with_depends), what only they needed only with --clean-deps; any
 * other package going is refused, named. */
static int check_dependents(Pool *pool, Transaction *trans, char **names, bool with_depends, bool cleandeps,
                            const char *what, struct vz_error *err)
{
        Map gone, bad, coming;
        Id first = 0;
        int n = 0, k = 0;
        bool changed = true;
        map_init(&gone, pool->nsolvables);
        map_init(&bad, pool->nsolvables);
        map_init(&coming, pool->nsolvables);
        for (int i = 0; i < trans->steps.count; i++) {
                Id p = trans->steps.elements[i];
                Solvable *s = pool->solvables + p;
                if (s->repo != pool->installed)
                        MAPSET(&coming, p);
                else if (!renewed(pool, trans, p)) {
                        MAPSET(&gone, p);
                        for (char **nm = names; nm && *nm; nm++)
                                if (strcmp(pool_id2str(pool, s->name), *nm) == 0)
                                        MAPSET(&bad, p);
                }
        }
        while (changed) {
                changed = false;
                for (int i = 0; i < trans->steps.count; i++) {
                        Id p = trans->steps.elements[i];
                        if (!MAPTST(&gone, p) || MAPTST(&bad, p) || !needs_gone(pool, pool->solvables + p, &gone, &bad, &coming))
                                continue;
                        MAPSET(&bad, p);
                        changed = true;
                        first = first ? first : p;
                        n++;
                }
        }
        /* anything else going (ALLOW_UNINSTALL "fixing" a package already
         * broken) was not asked for, unless --clean-deps asked */
        for (int i = 0; !cleandeps && !k && i < trans->steps.count; i++) {
                Id p = trans->steps.elements[i];
                if (MAPTST(&gone, p) && !MAPTST(&bad, p))
                        k = vz_error_set(err, -VZ_E_PROBLEM, "%s: removing %s would also remove %s, which was not asked for",
                                         what, names[0], pool_id2str(pool, pool->solvables[p].name));
        }
        if (first && with_depends)
                first = 0;
        if (first) {
                char more[32] = "";
                if (n > 1)
                        snprintf(more, sizeof(more), " and %d more", n - 1);
                k = vz_error_set(err, -VZ_E_PROBLEM,
                                 "%s: removing %s would also remove %s%s, which depend%s on it; add -w "
                                 "(--with-depends) to remove %s too",
                                 what, names[0], pool_id2str(pool, pool->solvables[first].name), more,
                                 n > 1 ? "" : "s", n > 1 ? "them" : "it");
        }
        map_free(&gone);
        map_free(&bad);
        map_free(&coming);
        return k;
}

int vz_resolver_solve_job(struct vz_resolver *r, const struct vz_job *job, const char *what,
                          struct vz_pkglist *ret_install, struct vz_pkglist *ret_erase, struct vz_error *err)
{
        Pool *pool = r->pool;
        Solver *solv = NULL;
        Transaction *trans = NULL;
        Queue q;
        int k;

        memset(ret_install, 0, sizeof(*ret_install));
        memset(ret_erase, 0, sizeof(*ret_erase));
        if (!pool->installed)
                pool_set_installed(pool, repo_create(pool, "@System"));
        pool_addfileprovides(pool);
        pool_createwhatprovides(pool);
        queue_init(&q);
        k = job_queue(r, job, what, &q, err);
        if (k < 0)
                goto out;
        solv = solver_create(pool);
        solver_set_flag(solv, SOLVER_FLAG_IGNORE_RECOMMENDED, 1);
        /* an update is a newer version of the same package (or one that
         * obsoletes it), never another package providing its name, as apt
         * and dnf upgrade */
        solver_set_flag(solv, SOLVER_FLAG_NO_UPDATEPROVIDE, 1);
        /* a removal may take what depends on the removed along (libsolv
         * otherwise calls it a problem); check_dependents refuses that
         * without with_depends, naming one of them */
        if (job->erase && job->erase[0] && !(job->install && job->install[0]) && !job->n_files && !job->update &&
            !job->update_all)
                solver_set_flag(solv, SOLVER_FLAG_ALLOW_UNINSTALL, 1);
        if (solver_solve(solv, &q) != 0) {
                k = explain_problems(solv, what, err);
                goto out;
        }
        trans = solver_create_transaction(solv);
        if (job->erase && job->erase[0] &&
            (k = check_dependents(pool, trans, job->erase, job->with_depends, job->cleandeps, what, err)) < 0)
                goto out;
        split_transaction(pool, trans, r, ret_install, ret_erase);
        k = check_checksums(ret_install, what, err);
        if (k < 0) {
                vz_pkglist_done(ret_install);
                vz_pkglist_done(ret_erase);
        }
out:
        if (trans)
                transaction_free(trans);
        if (solv)
                solver_free(solv);
        queue_free(&q);
        return k;
}
