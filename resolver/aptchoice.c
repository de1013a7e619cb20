/* aptchoice.c: the packages apt would choose for a fresh Debian install.
 *
 * libsolv answers "is there a solution", apt answers "which one": for a
 * dependency with alternatives or several providers it takes a greedy,
 * ordered decision (pkgDepCache::MarkInstall). A container template must
 * hold what apt itself would install, so the choice is made here the way
 * apt makes it, and libsolv then checks the set and orders it (resolver.c).
 * The rules, as apt 2.6 applies them (see docs/internals/resolver.md):
 *   - one version per name, the candidate: the highest version among the
 *     repositories of the highest priority;
 *   - the requested names are marked first, in order; then each one whose
 *     dependencies are not yet met has them installed, depth first;
 *   - a package's Pre-Depends, then its Depends, in the order written; a
 *     dependency already met by a marked package is skipped;
 *   - otherwise the alternatives in the order written; within one, the
 *     candidates that satisfy it: the package of that very name first, then
 *     Essential ones, then the higher Priority; the first that can be
 *     installed (each of its own dependencies has some candidate) wins. */
#include "resolver-internal.h"

#include <solv/bitmap.h>
#include <solv/evr.h>
#include <solv/pool.h>
#include <solv/poolarch.h>
#include <solv/repo.h>

struct aptsim {
        Pool *pool;
        Map cand;         /* solvables that are their name's candidate */
        Map marked;       /* solvables chosen so far */
        Map essential;    /* name ids */
        const int *rank;  /* name id -> Priority rank (1 required .. 5 extra), 0 unknown */
        const int *order; /* name id -> first mention in apt's cache order, 0 never */
        int nrank;
};

static bool better_candidate(Pool *pool, Solvable *a, Solvable *b)
{
        if (a->repo->priority != b->repo->priority)
                return a->repo->priority > b->repo->priority;
        return pool_evrcmp(pool, a->evr, b->evr, EVRCMP_COMPARE) > 0;
}

void vz_apt_candidates(Pool *pool, Map *ret)
{
        Id *best = solv_calloc(pool->ss.nstrings, sizeof(Id)), p;
        map_init(ret, pool->nsolvables);
        FOR_POOL_SOLVABLES(p) {
                Solvable *s = pool->solvables + p;
                if (pool->installed && s->repo == pool->installed)
                        continue;
                if (!pool_installable(pool, s) || s->name >= pool->ss.nstrings)
                        continue;
                if (!best[s->name] || better_candidate(pool, s, pool->solvables + best[s->name]))
                        best[s->name] = p;
        }
        for (Id n = 1; n < pool->ss.nstrings; n++)
                if (best[n])
                        MAPSET(ret, best[n]);
        solv_free(best);
}

static bool dep_met(struct aptsim *a, Id dep)
{
        for (Id *pp = pool_whatprovides_ptr(a->pool, dep); *pp; pp++)
                if (MAPTST(&a->marked, *pp))
                        return true;
        return false;
}

static bool dep_has_candidate(struct aptsim *a, Id dep)
{
        for (Id *pp = pool_whatprovides_ptr(a->pool, dep); *pp; pp++)
                if (MAPTST(&a->cand, *pp))
                        return true;
        return false;
}

/* Pre-Depends (after libsolv's marker) first, then Depends, as apt lists them. */
static void apt_deps(Pool *pool, Id p, Queue *ret)
{
        Queue all;
        int marker = -1;
        Id key = pool_str2id(pool, VZ_DEPORDER_KEY, 0);
        queue_init(&all);
        if (!key || !solvable_lookup_idarray(pool->solvables + p, key, &all) || !all.count)
                solvable_lookup_deparray(pool->solvables + p, SOLVABLE_REQUIRES, &all, 0);
        queue_empty(ret);
        for (int i = 0; i < all.count; i++)
                if (all.elements[i] == SOLVABLE_PREREQMARKER)
                        marker = i;
        for (int i = marker + 1; marker >= 0 && i < all.count; i++)
                queue_push(ret, all.elements[i]);
        for (int i = 0; i < (marker >= 0 ? marker : all.count); i++)
                queue_push(ret, all.elements[i]);
        queue_free(&all);
}

/* apt's IsInstallOk: every dependency has some candidate. */
static bool installable(struct aptsim *a, Id p)
{
        Queue deps;
        bool ok = true;
        queue_init(&deps);
        apt_deps(a->pool, p, &deps);
        for (int i = 0; ok && i < deps.count; i++)
                ok = dep_has_candidate(a, deps.elements[i]);
        queue_free(&deps);
        return ok;
}

static Id dep_name(Pool *pool, Id dep)
{
        while (ISRELDEP(dep))
                dep = GETRELDEP(pool, dep)->name;
        return dep;
}

static int rank_of(struct aptsim *a, Id name)
{
        int r = name < a->nrank ? a->rank[name] : 0;
        return r ? r : 4;  /* no Priority: apt's default, optional */
}

/* apt's CompareProviders for one alternative: true when x goes before y. */
static bool provider_before(struct aptsim *a, Id target, Id x, Id y)
{
        Solvable *sx = a->pool->solvables + x, *sy = a->pool->solvables + y;
        bool ex, ey;
        if ((sx->name == target) != (sy->name == target))
                return sx->name == target;
        ex = MAPTST(&a->essential, sx->name);
        ey = MAPTST(&a->essential, sy->name);
        if (ex != ey)
                return ex;
        if (rank_of(a, sx->name) != rank_of(a, sy->name))
                return rank_of(a, sx->name) < rank_of(a, sy->name);
        /* apt falls back to its cache's package order (the order it first
         * met the names while parsing the indexes): the later one first */
        if (sx->name < a->nrank && sy->name < a->nrank && a->order[sx->name] != a->order[sy->name])
                return a->order[sx->name] > a->order[sy->name];
        return sx->name > sy->name;
}

/* The candidates that satisfy one alternative, in apt's order (insertion sort: short lists). */
static void alternative_solutions(struct aptsim *a, Id alt, Queue *out)
{
        Id target = dep_name(a->pool, alt);
        int start = out->count;
        for (Id *pp = pool_whatprovides_ptr(a->pool, alt); *pp; pp++) {
                bool dup = false;
                if (!MAPTST(&a->cand, *pp))
                        continue;
                for (int i = 0; i < out->count && !dup; i++)
                        dup = out->elements[i] == *pp;
                if (dup)
                        continue;
                queue_push(out, *pp);
                for (int i = out->count - 1; i > start && provider_before(a, target, out->elements[i], out->elements[i - 1]); i--) {
                        Id t = out->elements[i];
                        out->elements[i] = out->elements[i - 1];
                        out->elements[i - 1] = t;
                }
        }
}

static void dep_solutions(struct aptsim *a, Id dep, Queue *out)
{
        queue_empty(out);
        while (ISRELDEP(dep) && GETRELDEP(a->pool, dep)->flags == REL_OR) {
                alternative_solutions(a, GETRELDEP(a->pool, dep)->name, out);
                dep = GETRELDEP(a->pool, dep)->evr;
        }
        alternative_solutions(a, dep, out);
}

static bool broken(struct aptsim *a, const Queue *deps)
{
        for (int i = 0; i < deps->count; i++)
                if (!dep_met(a, deps->elements[i]))
                        return true;
        return false;
}

static bool mark_install(struct aptsim *a, Id p, int depth)
{
        Queue deps, sols;
        bool ok = true;
        if (depth > 3000)
                return false;
        queue_init(&deps);
        apt_deps(a->pool, p, &deps);
        if (MAPTST(&a->marked, p) && !broken(a, &deps)) {
                queue_free(&deps);
                return true;
        }
        if (!installable(a, p)) {
                queue_free(&deps);
                return false;
        }
        MAPSET(&a->marked, p);
        queue_init(&sols);
        for (int i = 0; (ok || depth == 0) && i < deps.count; i++) {
                bool found = false;
                if (dep_met(a, deps.elements[i]))
                        continue;
                dep_solutions(a, deps.elements[i], &sols);
                for (int k = 0; k < sols.count && !found; k++)
                        found = mark_install(a, sols.elements[k], depth + 1);
                ok = ok && found;  /* a requested package goes on with its other dependencies */
        }
        if (!ok && depth > 0)
                MAPCLR(&a->marked, p);  /* apt discards an automatic install that fails */
        queue_free(&sols);
        queue_free(&deps);
        return ok;
}

void vz_apt_choose(Pool *pool, const Map *cand, char **essential, const int *rank, const int *order, int nrank,
                   const Queue *premarked, const Queue *roots, Queue *ret)
{
        struct aptsim a = { .pool = pool, .rank = rank, .order = order, .nrank = nrank };
        Id p;
        map_init_clone(&a.cand, cand);
        map_init(&a.marked, pool->nsolvables);
        map_init(&a.essential, pool->ss.nstrings);
        for (char **n = essential; n && *n; n++) {
                Id id = pool_str2id(pool, *n, 0);
                if (id)
                        MAPSET(&a.essential, id);
        }
        for (int i = 0; premarked && i < premarked->count; i++)
                MAPSET(&a.marked, premarked->elements[i]);
        for (int i = 0; i < roots->count; i++)
                MAPSET(&a.marked, roots->elements[i]);
        for (int i = 0; i < roots->count; i++)
                mark_install(&a, roots->elements[i], 0);
        queue_empty(ret);
        FOR_POOL_SOLVABLES(p)
                if (MAPTST(&a.marked, p))
                        queue_push(ret, p);
        map_free(&a.cand);
        map_free(&a.marked);
        map_free(&a.essential);
}
