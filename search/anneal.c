// Simulated annealing over mappings, as parallel chains (one per slot).
//
// Every chain starts from a heuristic (chain i from seed i mod seeds) and,
// per batch, proposes one neighbour (one to three moves of space.c). The
// energy of a point is the sum over the searched objectives of w_k x
// log(cost_k) (with log(1/v) for maximised ones), so a step's change is a
// relative change, the same for every model and unit; with one objective
// w = 1, with several each chain draws its own weights once, so the chains
// spread along the front. A worse neighbour is taken with probability
// exp(-delta / T); T falls geometrically from T0 = 0.03 (a 3 % worse
// point taken with probability 1/e) to T1 = 1e-4 over the budget (the
// evaluation limit or the wall-clock limit; without either, over every
// 2^16 steps, which then restart hot). Chains run PT_CHAIN_STEPS steps
// between synchronisations; every 256 steps the worse half of the chains
// jump to the best chain's point (an island model's migration), which
// keeps the chains' effort on what works.
#include "strategy.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  pt_mapping **cur;    // [nslots] each chain's point
  double *energy;      // [nslots]
  double *w;           // [nslots * nobj] objective weights
  int nobj;
  double temp;         // this batch's temperature
} anneal;

static double energy_of(const pt_run *r, const anneal *a, int chain,
                        const double *v) {
  double e = 0;
  for (int k = 0; k < a->nobj; k++) {
    pt_obj o = r->o->obj[k];
    double x = v[o] > 1e-300 ? v[o] : 1e-300;
    e += a->w[chain * a->nobj + k] * (pt_obj_maximised(o) ? -log(x) : log(x));
  }
  return e;
}

static int make_neighbour(pt_run *r, int slot, pt_rng *rng, pt_mapping *m,
                          pt_space_scratch *w, void *user) {
  anneal *a = user;
  pt_map_copy(m, a->cur[slot], r->s->c);
  int moves = 1 + (pt_rng_uniform(rng) < 0.3) + (pt_rng_uniform(rng) < 0.1);
  int changed = 0;
  for (int i = 0; i < moves; i++)
    changed += pt_space_mutate(r->s, m, rng, w) == 0;
  return changed ? 0 : -1;
}

// The heuristics, scored first: chain i starts from seed i mod seeds.
static int make_seed(pt_run *r, int slot, pt_rng *rng, pt_mapping *m,
                     pt_space_scratch *w, void *user) {
  (void)rng, (void)w, (void)user;
  pt_map_copy(m, r->seeds[slot], r->s->c);
  return 0;
}

// Metropolis on the chain's own stream: runs on the chain's thread.
static void take(pt_run *r, int chain, bool ok, const double *v,
                 const pt_mapping *m, void *user) {
  anneal *a = user;
  if (!ok)
    return;
  double e = energy_of(r, a, chain, v);
  double d = e - a->energy[chain];
  if (d <= 0 || pt_rng_uniform(r->rng[chain]) < exp(-d / a->temp)) {
    pt_map_copy(a->cur[chain], m, r->s->c);
    a->energy[chain] = e;
  }
}

void pt_strategy_anneal(pt_run *r) {
  const pt_map_ctx *c = r->s->c;
  int n = r->nslots;
  anneal a = {.nobj = r->o->nobj};
  a.cur = pt_malloc(n * sizeof *a.cur);
  a.energy = pt_malloc(n * sizeof *a.energy);
  a.w = pt_malloc((size_t)n * a.nobj * sizeof *a.w);
  pt_run_batch(r, r->nseeds, make_seed, NULL);
  for (int i = 0; i < n; i++) {
    double sum = 0;
    for (int k = 0; k < a.nobj; k++) {
      a.w[i * a.nobj + k] = a.nobj == 1 ? 1 : 0.05 + pt_rng_uniform(r->rng[i]);
      sum += a.w[i * a.nobj + k];
    }
    for (int k = 0; k < a.nobj; k++)
      a.w[i * a.nobj + k] /= sum;
    a.cur[i] = pt_map_new(c);
    int s = i % r->nseeds;
    pt_map_copy(a.cur[i], r->seeds[s], c);
    a.energy[i] = r->ok[s] ? energy_of(r, &a, i, &r->val[s * PT_OBJ_COUNT])
                           : INFINITY;
  }
  const double t0 = 0.03, t1 = 1e-4;
  for (int64_t round = 0; !r->stop; round++) {
    double f = pt_run_progress(r);
    if (f < 0)
      f = (double)(round % 4096) / 4096;
    a.temp = t0 * pow(t1 / t0, f);
    pt_run_chains(r, n, PT_CHAIN_STEPS, make_neighbour, take, &a);
    if (round % 16 == 15 && a.nobj == 1) {
      int best = 0;
      for (int i = 1; i < n; i++)
        if (a.energy[i] < a.energy[best])
          best = i;
      // The worse half (by energy; ties by index) restarts from the best.
      for (int i = 0; i < n; i++) {
        int better = 0;
        for (int j = 0; j < n; j++)
          better += a.energy[j] < a.energy[i] ||
                    (a.energy[j] == a.energy[i] && j < i);
        if (better >= n / 2 && i != best) {
          pt_map_copy(a.cur[i], a.cur[best], c);
          a.energy[i] = a.energy[best];
        }
      }
    }
  }
  for (int i = 0; i < n; i++)
    pt_map_free(a.cur[i]);
  free(a.cur);
  free(a.energy);
  free(a.w);
}
