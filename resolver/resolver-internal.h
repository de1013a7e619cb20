/* resolver-internal.h: what resolver.c, rpmmd.c and aptchoice.c share. */
#pragma once

#include "resolver.h"

#include <solv/bitmap.h>
#include <solv/pool.h>
#include <solv/queue.h>
#include <solv/repo.h>

/* Debian: a solvable's Pre-Depends and Depends in the order written (an
 * idarray attribute; libsolv's own array is sorted when cached). */
#define VZ_DEPORDER_KEY "vzpkg:deporder"

/* The pool of a resolver (rpmmd.c). */
Pool *vz_resolver_pool(struct vz_resolver *r);

/* aptchoice.c: each name's candidate as apt sees it (highest repository
 * priority, then highest version); *ret is a map over solvables. */
void vz_apt_candidates(Pool *pool, Map *ret);

/* aptchoice.c: the packages apt would mark for installing `roots` (in that
 * order) on a system that already has `premarked` (may be NULL): the roots,
 * the premarked and everything chosen for them, as solvable ids.
 * essential: Essential: yes names; rank[name id]: Priority rank (0 unknown);
 * order[name id]: where apt's cache first met the name (1..; 0 never). */
void vz_apt_choose(Pool *pool, const Map *cand, char **essential, const int *rank, const int *order, int nrank,
                   const Queue *premarked, const Queue *roots, Queue *ret);

/* resolver.c: keep the order of the Depends of the solvables from start on
 * (VZ_DEPORDER_KEY), before the repository is internalized. */
void vz_resolver_keep_dep_order(Repo *repo, int start);
