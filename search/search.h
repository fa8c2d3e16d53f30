// The search over mappings: one driver, several strategies (ga-paper,
// nsga2, anneal; auto picks), all seeded and bounded.
//
// pt_search_run evaluates in parallel (OpenMP) and keeps, over everything
// it evaluated: the best point of each searched objective, the Pareto
// front (of the searched objectives when there are several, else of
// throughput, latency and energy) and the convergence history. The result
// depends only on the options and the seed, not on the thread count: every
// random draw comes from a stream tied to a work unit (a population slot,
// an annealing chain), and results are merged in slot order.
#ifndef PT_SEARCH_H
#define PT_SEARCH_H

#include <signal.h>

#include "space.h"

// ORDER STRAT: keep strat_names[] in search.c in the same order.
typedef enum {
  PT_STRAT_AUTO,
  PT_STRAT_GA_PAPER,
  PT_STRAT_NSGA2,
  PT_STRAT_ANNEAL,
  PT_STRAT_COUNT
} pt_strategy;
const char *pt_strategy_name(pt_strategy s);
int pt_strategy_parse(const char *s);  // -1 if unknown

typedef struct pt_search_progress {
  int64_t evaluations;
  double elapsed_s, evals_per_s;
  double left_s;             // < 0: unknown
  int front_size;
  int nobj;
  const pt_obj *obj;
  const double *best;        // [nobj] natural units
} pt_search_progress;

typedef struct {
  pt_strategy strategy;
  int nobj;
  pt_obj obj[PT_OBJ_COUNT];  // searched objectives (>= 2: Pareto search)
  uint64_t seed;
  int threads;               // <= 0: OpenMP's default (all cores)
  double budget_s;           // wall-clock limit, <= 0: none
  int64_t max_evals;         // <= 0: none
  int64_t patience;          // stop after this many evaluations without
                             // an improvement of the front; <= 0: never
  int pop;                   // population (ga-paper, nsga2); 0: default
  int64_t iters;             // generations (ga-paper, nsga2); 0: default
  int front_cap;             // most points kept on the front (default 64)
  volatile sig_atomic_t *stop;  // set (by a signal handler) to stop early
  void (*progress)(const pt_search_progress *p, void *user);
  void *progress_user;
  double progress_every_s;   // default 1
} pt_search_opts;

void pt_search_opts_default(pt_search_opts *o);

typedef struct {
  pt_mapping *m;
  double v[PT_OBJ_COUNT];    // natural units, from the space's fitness
} pt_search_point;

typedef struct {
  int64_t evaluations;
  double elapsed_s;
  double best[PT_OBJ_COUNT]; // best so far of each searched objective
} pt_search_hist;

typedef struct {
  pt_strategy strategy;      // the one that ran (auto resolved)
  int nobj;
  pt_obj obj[PT_OBJ_COUNT];
  int front_nobj;            // objectives the front is over
  pt_obj front_obj[PT_OBJ_COUNT];
  pt_search_point best[PT_OBJ_COUNT];  // [nobj], best of each searched one
  int nfront;
  pt_search_point *front;    // sorted by the first front objective
  int nhist;
  pt_search_hist *hist;      // one entry per improvement (and the end)
  int64_t evaluations, failed;
  double wall_s;
  int threads;
  uint64_t seed;
  const char *stopped_by;    // "evaluations", "budget", "convergence",
                             // "interrupt", "iterations"
} pt_search_result;

// Run the search over space s. anneal and nsga2 start from the heuristics
// (mapping.c) of every mode of the space; ga-paper starts as published
// (one copy of every layer, random places). Fails (-1, err) when nothing
// lays out or the options contradict the strategy.
int pt_search_run(const pt_space *s, const pt_search_opts *o,
                  pt_search_result *r, pt_error *err);
void pt_search_result_free(pt_search_result *r);

#endif
