// NSGA-II (Deb, Pratap, Agarwal, Meyarivan, IEEE TEC 2002) over mappings.
//
// Population N (the slots). The first population is the heuristic seeds
// and random valid mappings; every generation makes N children (binary
// tournament on rank then crowding distance, space.c's crossover with
// probability 0.9, then one or two moves), scores them, and keeps the best
// N of parents and children by non-dominated rank and crowding distance.
// Children that could not be built or scored rank last.
#include "strategy.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  int n;                 // population size
  pt_mapping **pop;      // [2n]: parents, then children
  double *cost;          // [2n * nobj] smaller is better
  int *rank;             // [2n]
  double *crowd;         // [2n]
  int *order;            // [2n] scratch
  int nobj;
} nsga;

static bool dominates(const nsga *g, int a, int b) {
  bool better = false;
  for (int k = 0; k < g->nobj; k++) {
    double x = g->cost[a * g->nobj + k], y = g->cost[b * g->nobj + k];
    if (x > y)
      return false;
    if (x < y)
      better = true;
  }
  return better;
}

// Ranks (0 = non-dominated) and crowding distances of members 0 .. m-1.
// O(m^2 x nobj) per front: m = 2N = 128 by default, a few ms at most.
static void rank_and_crowd(nsga *g, int m) {
  for (int i = 0; i < m; i++)
    g->rank[i] = -1;
  int done = 0;
  for (int level = 0; done < m; level++) {
    int nf = 0;
    for (int i = 0; i < m; i++) {
      if (g->rank[i] >= 0)
        continue;
      bool dom = false;
      for (int j = 0; j < m && !dom; j++)
        dom = (g->rank[j] < 0 || g->rank[j] == level) && j != i &&
              dominates(g, j, i);
      if (!dom)
        g->order[nf++] = i;
    }
    for (int i = 0; i < nf; i++)
      g->rank[g->order[i]] = level;
    done += nf;
    // Crowding within this front.
    for (int i = 0; i < nf; i++)
      g->crowd[g->order[i]] = 0;
    for (int k = 0; k < g->nobj; k++) {
      // Insertion sort of the front by objective k (fronts are small).
      for (int i = 1; i < nf; i++)
        for (int j = i; j > 0 && g->cost[g->order[j] * g->nobj + k] <
                                     g->cost[g->order[j - 1] * g->nobj + k];
             j--) {
          int t = g->order[j];
          g->order[j] = g->order[j - 1];
          g->order[j - 1] = t;
        }
      double lo = g->cost[g->order[0] * g->nobj + k];
      double hi = g->cost[g->order[nf - 1] * g->nobj + k];
      g->crowd[g->order[0]] = g->crowd[g->order[nf - 1]] = INFINITY;
      if (!(hi > lo) || !isfinite(hi - lo))
        continue;
      for (int i = 1; i + 1 < nf; i++)
        g->crowd[g->order[i]] += (g->cost[g->order[i + 1] * g->nobj + k] -
                                  g->cost[g->order[i - 1] * g->nobj + k]) /
                                 (hi - lo);
    }
  }
}

static bool better(const nsga *g, int a, int b) {
  if (g->rank[a] != g->rank[b])
    return g->rank[a] < g->rank[b];
  return g->crowd[a] > g->crowd[b];
}

static int tournament(const nsga *g, pt_rng *rng) {
  int a = (int)pt_rng_int(rng, g->n), b = (int)pt_rng_int(rng, g->n);
  return better(g, b, a) ? b : a;
}

static int make_child(pt_run *r, int slot, pt_rng *rng, pt_mapping *m,
                      pt_space_scratch *w, void *user) {
  (void)slot;
  nsga *g = user;
  int a = tournament(g, rng), b = tournament(g, rng);
  if (pt_rng_uniform(rng) < 0.9 && a != b)
    pt_space_crossover(r->s, g->pop[a], g->pop[b], m, rng, w);
  else
    pt_map_copy(m, g->pop[a], r->s->c);
  int moves = 1 + (pt_rng_uniform(rng) < 0.3);
  for (int i = 0; i < moves; i++)
    pt_space_mutate(r->s, m, rng, w);
  return 0;
}

static int make_random(pt_run *r, int slot, pt_rng *rng, pt_mapping *m,
                       pt_space_scratch *w, void *user) {
  (void)user;
  if (slot < r->nseeds) {
    pt_map_copy(m, r->seeds[slot], r->s->c);
    return 0;
  }
  return pt_space_random(r->s, m, rng, w);
}

// Children's costs from the batch (slots) into members n .. 2n-1.
static void take_batch(pt_run *r, nsga *g, int first) {
  for (int i = 0; i < g->n; i++) {
    int x = first + i;
    pt_map_copy(g->pop[x], r->cand[i], r->s->c);
    for (int k = 0; k < g->nobj; k++)
      g->cost[x * g->nobj + k] =
          r->ok[i] ? pt_run_cost(r, k, &r->val[i * PT_OBJ_COUNT]) : INFINITY;
  }
}

void pt_strategy_nsga2(pt_run *r) {
  const pt_map_ctx *c = r->s->c;
  nsga g = {.n = r->nslots, .nobj = r->o->nobj};
  int n2 = 2 * g.n;
  g.pop = pt_malloc(n2 * sizeof *g.pop);
  for (int i = 0; i < n2; i++)
    g.pop[i] = pt_map_new(c);
  g.cost = pt_malloc((size_t)n2 * g.nobj * sizeof *g.cost);
  g.rank = pt_malloc(n2 * sizeof *g.rank);
  g.crowd = pt_malloc(n2 * sizeof *g.crowd);
  g.order = pt_malloc(n2 * sizeof *g.order);

  pt_run_batch(r, g.n, make_random, NULL);
  take_batch(r, &g, 0);
  rank_and_crowd(&g, g.n);
  int64_t gens = r->o->iters > 0 ? r->o->iters : INT64_MAX;
  for (int64_t gen = 0; gen < gens && !r->stop; gen++) {
    pt_run_batch(r, g.n, make_child, &g);
    take_batch(r, &g, g.n);
    rank_and_crowd(&g, n2);
    // The best n of the 2n, stable by index among equals.
    for (int i = 0; i < n2; i++)
      g.order[i] = i;
    for (int i = 1; i < n2; i++)
      for (int j = i; j > 0 && better(&g, g.order[j], g.order[j - 1]); j--) {
        int t = g.order[j];
        g.order[j] = g.order[j - 1];
        g.order[j - 1] = t;
      }
    // Permute members: the chosen n to the front (swap mapping pointers).
    pt_mapping **tmp = pt_malloc(n2 * sizeof *tmp);
    double *tc = pt_malloc((size_t)n2 * g.nobj * sizeof *tc);
    for (int i = 0; i < n2; i++) {
      tmp[i] = g.pop[g.order[i]];
      memcpy(&tc[i * g.nobj], &g.cost[g.order[i] * g.nobj],
             g.nobj * sizeof *tc);
    }
    memcpy(g.pop, tmp, n2 * sizeof *tmp);
    memcpy(g.cost, tc, (size_t)n2 * g.nobj * sizeof *tc);
    free(tmp);
    free(tc);
    rank_and_crowd(&g, g.n);
  }
  for (int i = 0; i < n2; i++)
    pt_map_free(g.pop[i]);
  free(g.pop);
  free(g.cost);
  free(g.rank);
  free(g.crowd);
  free(g.order);
}
