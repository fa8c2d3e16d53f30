// Private to search/: the driver's interface to the strategies.
//
// A strategy owns its population and asks the driver to evaluate batches:
// pt_run_batch calls `make` for slots 0 .. n-1 in parallel (each slot with
// its own random stream, its own candidate mapping and a worker's scratch),
// scores the candidates, offers them to the front and the bests in slot
// order, and says whether the search must stop. Everything the strategy
// does between batches is serial.
#ifndef PT_STRATEGY_H
#define PT_STRATEGY_H

#include "search.h"

typedef struct pt_run pt_run;

// Build the candidate of `slot` into m; 0 if it is valid, -1 to skip it.
typedef int (*pt_make_fn)(pt_run *r, int slot, pt_rng *rng, pt_mapping *m,
                          pt_space_scratch *w, void *user);
// After candidate `m` of chain `chain` was scored (ok, values v): the
// chain's own bookkeeping (accept or not). Runs on the chain's thread.
typedef void (*pt_take_fn)(pt_run *r, int chain, bool ok, const double *v,
                           const pt_mapping *m, void *user);

// Chains run this many steps per batch (pt_run_chains): one barrier per
// 16 x chains evaluations, so that a loaded machine does not stall every
// thread at every step.
enum { PT_CHAIN_STEPS = 16 };

struct pt_run {
  const pt_space *s;
  const pt_search_opts *o;
  int nslots;
  pt_rng **rng;              // [nslots] stream of each slot
  int ncand;                 // nslots x PT_CHAIN_STEPS
  pt_mapping **cand;         // [ncand] the batch's candidates
  double *val;               // [ncand * PT_OBJ_COUNT] natural units
  bool *ok;                  // [ncand] evaluated
  pt_space_scratch *scratch; // [nthreads]
  int nthreads;
  pt_mapping **seeds;        // the heuristics, valid, [nseeds]
  int nseeds;
  double t0;
  int64_t evals, failed, last_improvement;
  bool stop;
  const char *stopped_by;
  // Results (the driver's archive).
  pt_search_result *res;
  double last_progress;
};

// Evaluate slots 0 .. n-1 (n <= nslots; fewer when the evaluation budget
// ends); true when the search must stop.
bool pt_run_batch(pt_run *r, int n, pt_make_fn make, void *user);
// Chains 0 .. n-1 each run `steps` steps in one parallel region: step k of
// chain i builds candidate i x steps + k with make (slot = i), scores it
// and calls take; then every candidate is offered in (chain, step) order.
// Fewer steps when the evaluation budget ends. True when the search must
// stop.
bool pt_run_chains(pt_run *r, int n, int steps, pt_make_fn make,
                   pt_take_fn take, void *user);
// Cost (smaller is better) of objective k of the search for slot values v.
double pt_run_cost(const pt_run *r, int k, const double *v);
// Fraction of the budget used, in [0, 1] (evaluations or time), or -1
// when the search has neither limit.
double pt_run_progress(const pt_run *r);

void pt_strategy_ga_paper(pt_run *r);
// ga_paper.c's mutations on a chromosome of ngenes genes (PT_GA_SLOTS per
// core, gene = layer x PT_GA_BASE + AGs), exposed for its unit tests. ags:
// AGs of one copy per layer; count: scratch [nlayers]. 0 if ch changed.
enum { PT_GA_SLOTS = 8, PT_GA_BASE = 10000 };
int pt_ga_mutation1(int32_t *ch, int ngenes, int nlayers, const int *ags,
                    int *count, pt_rng *rng);
int pt_ga_mutation2(int32_t *ch, int ngenes, pt_rng *rng);
void pt_strategy_nsga2(pt_run *r);
void pt_strategy_anneal(pt_run *r);

#endif
