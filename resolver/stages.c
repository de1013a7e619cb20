/* stages.c: the bootstrap stages of an EZ template (packages_0 lines,
 * packages_1) within a solved package list: each stage is the closure of
 * its names over Depends and Pre-Depends among the chosen packages, minus
 * the essential set and the earlier stages (docs/internals/resolver.md). */
#include "resolver.h"

#include <solv/pool.h>
#include <solv/repo.h>

Pool *vz_resolver_pool(struct vz_resolver *r);

/* The solvable of each list entry (by name, version and arch); 0 when the
 * pool has none, which a list from this pool never gives. */
static Id *list_solvables(Pool *pool, const struct vz_pkglist *l)
{
        Id *ids = vz_xmalloc((l->n + 1) * sizeof(Id));
        memset(ids, 0, (l->n + 1) * sizeof(Id));
        for (size_t i = 0; i < l->n; i++) {
                Id name = pool_str2id(pool, l->pkgs[i].name, 0), p, pp;
                if (!name)
                        continue;
                FOR_PROVIDES(p, pp, name) {
                        Solvable *s = pool_id2solvable(pool, p);
                        if (s->name == name && strcmp(pool_id2str(pool, s->evr), l->pkgs[i].version) == 0 &&
                            strcmp(pool_id2str(pool, s->arch), l->pkgs[i].arch) == 0 &&
                            (!pool->installed || s->repo != pool->installed)) {
                                ids[i] = p;
                                break;
                        }
                }
        }
        return ids;
}

static ssize_t index_of(const Id *ids, size_t n, Id p)
{
        for (size_t i = 0; i < n; i++)
                if (ids[i] == p)
                        return (ssize_t)i;
        return -1;
}

/* Queue the chosen providers of dep that belong to no stage yet. */
static void push_providers(Pool *pool, const Id *ids, struct vz_pkglist *l, Id dep, Queue *todo)
{
        for (Id *pp = pool_whatprovides_ptr(pool, dep); *pp; pp++) {
                ssize_t i = index_of(ids, l->n, *pp);
                if (i >= 0 && !l->pkgs[i].bootstrap && l->pkgs[i].stage == 0)
                        queue_push(todo, (Id)i);
        }
}

int vz_resolver_mark_stage(struct vz_resolver *r, struct vz_pkglist *l, char *const *names, int stage)
{
        Pool *pool = vz_resolver_pool(r);
        _cleanup_free_ Id *ids = NULL;
        Queue todo;
        int marked = 0;

        if (!pool->whatprovides)
                pool_createwhatprovides(pool);
        ids = list_solvables(pool, l);
        queue_init(&todo);
        for (char *const *n = names; n && *n; n++) {
                Id id = pool_str2id(pool, *n, 0);
                if (id)
                        push_providers(pool, ids, l, id, &todo);
        }
        while (todo.count) {
                Id i = queue_shift(&todo);
                Queue reqs;
                if (l->pkgs[i].stage != 0)
                        continue;
                l->pkgs[i].stage = stage;
                marked++;
                queue_init(&reqs);
                solvable_lookup_deparray(pool_id2solvable(pool, ids[i]), SOLVABLE_REQUIRES, &reqs, 0);
                for (int k = 0; k < reqs.count; k++)
                        if (reqs.elements[k] != SOLVABLE_PREREQMARKER)
                                push_providers(pool, ids, l, reqs.elements[k], &todo);
                queue_free(&reqs);
        }
        queue_free(&todo);
        return marked;
}
