// The search driver (search.h): options, the parallel batch evaluator, the
// archive of best points and Pareto front, budgets and history. The
// strategies (ga_paper.c, nsga2.c, anneal.c) sit behind strategy.h.
//
// Parallelism. One `omp parallel for` per batch over the slots; a slot's
// candidate depends only on its random stream and on the strategy's state
// before the batch, and the merge that follows runs in slot order, so the
// result is the same for any thread count. schedule(dynamic, 1): one
// evaluation takes ~5 us with the analytic model and 0.1 - 1 s with the
// profiler, and moves differ in cost, so slots are handed out one by one.
#include "strategy.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <omp.h>

static const char *strat_names[PT_STRAT_COUNT] = {"auto", "ga-paper", "nsga2",
                                                  "anneal"};

const char *pt_strategy_name(pt_strategy s) { return strat_names[s]; }

int pt_strategy_parse(const char *s) {
  for (int i = 0; i < PT_STRAT_COUNT; i++)
    if (!strcmp(s, strat_names[i]))
      return i;
  return -1;
}

void pt_search_opts_default(pt_search_opts *o) {
  memset(o, 0, sizeof *o);
  o->strategy = PT_STRAT_AUTO;
  o->nobj = 1;
  o->obj[0] = PT_OBJ_THROUGHPUT;
  o->seed = 1;
  o->front_cap = 64;
  o->progress_every_s = 1;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

double pt_run_cost(const pt_run *r, int k, const double *v) {
  return pt_space_cost(r->o->obj[k], v);
}

// Does a dominate b over objectives obj (costs: smaller is better)?
static bool dominates(const double *va, const double *vb, int nobj,
                      const pt_obj *obj) {
  bool better = false;
  for (int k = 0; k < nobj; k++) {
    double a = pt_space_cost(obj[k], va), b = pt_space_cost(obj[k], vb);
    if (a > b)
      return false;
    if (a < b)
      better = true;
  }
  return better;
}

double pt_run_progress(const pt_run *r) {
  double p = -1;
  if (r->o->max_evals > 0)
    p = (double)r->evals / (double)r->o->max_evals;
  if (r->o->budget_s > 0) {
    double t = (now_s() - r->t0) / r->o->budget_s;
    p = t > p ? t : p;
  }
  return p > 1 ? 1 : p;
}

// ---------------------------------------------------------------------------
// The archive

static bool same_point(const double *a, const double *b, int nobj,
                       const pt_obj *obj) {
  for (int k = 0; k < nobj; k++)
    if (a[obj[k]] != b[obj[k]])
      return false;
  return true;
}

// Crowding distance of front point i (NSGA-II's, over the front's
// objectives); extremes are infinite.
static double crowding(const pt_search_result *res, int i) {
  double d = 0;
  for (int k = 0; k < res->front_nobj; k++) {
    pt_obj o = res->front_obj[k];
    double x = res->front[i].v[o], lo = INFINITY, hi = -INFINITY;
    double below = -INFINITY, above = INFINITY;
    for (int j = 0; j < res->nfront; j++) {
      double y = res->front[j].v[o];
      lo = y < lo ? y : lo;
      hi = y > hi ? y : hi;
      if (j == i)
        continue;
      if (y <= x && y > below)
        below = y;
      if (y >= x && y < above)
        above = y;
    }
    if (x == lo || x == hi)
      return INFINITY;
    if (hi > lo)
      d += (above - below) / (hi - lo);
  }
  return d;
}

// Offer a point to the front; true if it entered.
static bool front_offer(pt_run *r, const pt_mapping *m, const double *v) {
  pt_search_result *res = r->res;
  int nk = res->front_nobj;
  const pt_obj *ok = res->front_obj;
  for (int i = 0; i < res->nfront; i++)
    if (dominates(res->front[i].v, v, nk, ok) ||
        same_point(res->front[i].v, v, nk, ok))
      return false;
  int n = 0;
  for (int i = 0; i < res->nfront; i++) {
    if (dominates(v, res->front[i].v, nk, ok)) {
      pt_map_free(res->front[i].m);
      continue;
    }
    res->front[n++] = res->front[i];
  }
  res->nfront = n;
  pt_search_point *p = &res->front[res->nfront++];
  p->m = pt_map_new(r->s->c);
  pt_map_copy(p->m, m, r->s->c);
  memcpy(p->v, v, sizeof p->v);
  if (res->nfront > r->o->front_cap) {
    // Drop the most crowded point (the first of equals, deterministic).
    int worst = 0;
    double wd = INFINITY;
    for (int i = 0; i < res->nfront; i++) {
      double d = crowding(res, i);
      if (d < wd) {
        wd = d;
        worst = i;
      }
    }
    pt_map_free(res->front[worst].m);
    res->front[worst] = res->front[--res->nfront];
    return worst != res->nfront;
  }
  return true;
}

static void history_add(pt_run *r) {
  pt_search_result *res = r->res;
  enum { HIST_MAX = 100000 };
  if (res->nhist == HIST_MAX)
    res->nhist--;  // keep the newest at the end
  if (res->nhist % 1024 == 0)
    res->hist = pt_realloc(res->hist, (res->nhist + 1024) * sizeof *res->hist);
  pt_search_hist *h = &res->hist[res->nhist++];
  memset(h, 0, sizeof *h);
  h->evaluations = r->evals;
  h->elapsed_s = now_s() - r->t0;
  for (int k = 0; k < res->nobj; k++)
    h->best[k] = res->best[k].v[res->obj[k]];
}

// Offer slot i's point: bests and front. True if anything improved.
static bool offer(pt_run *r, int i) {
  pt_search_result *res = r->res;
  const double *v = &r->val[i * PT_OBJ_COUNT];
  bool improved = false;
  for (int k = 0; k < res->nobj; k++) {
    pt_search_point *b = &res->best[k];
    if (!b->m) {
      b->m = pt_map_new(r->s->c);
    } else if (!(pt_run_cost(r, k, v) < pt_run_cost(r, k, b->v))) {
      continue;
    }
    pt_map_copy(b->m, r->cand[i], r->s->c);
    memcpy(b->v, v, sizeof b->v);
    improved = true;
  }
  if (front_offer(r, r->cand[i], v))
    improved = true;
  return improved;
}

static void report_progress(pt_run *r, bool force) {
  if (!r->o->progress)
    return;
  double t = now_s(), every = r->o->progress_every_s;
  if (!force && t - r->last_progress < (every > 0 ? every : 1))
    return;
  r->last_progress = t;
  double best[PT_OBJ_COUNT];
  for (int k = 0; k < r->res->nobj; k++)
    best[k] = r->res->best[k].v[r->res->obj[k]];
  pt_search_progress p = {
      .evaluations = r->evals,
      .elapsed_s = t - r->t0,
      .evals_per_s = t > r->t0 ? r->evals / (t - r->t0) : 0,
      .left_s = -1,
      .front_size = r->res->nfront,
      .nobj = r->res->nobj,
      .obj = r->res->obj,
      .best = best,
  };
  double f = pt_run_progress(r);
  if (f > 0)
    p.left_s = p.elapsed_s * (1 - f) / f;
  r->o->progress(&p, r->o->progress_user);
}

// Offer candidates 0 .. n-1 in order, report progress, decide whether to
// stop.
static bool after_batch(pt_run *r, int n, bool nothing_to_make) {
  for (int i = 0; i < n; i++) {
    if (!r->ok[i])
      continue;
    r->evals++;
    if (offer(r, i)) {
      r->last_improvement = r->evals;
      history_add(r);
    }
  }
  report_progress(r, false);
  const pt_search_opts *o = r->o;
  if (o->stop && *o->stop)
    r->stopped_by = "interrupt";
  else if (o->max_evals > 0 && r->evals >= o->max_evals)
    r->stopped_by = "evaluations";
  else if (o->budget_s > 0 && now_s() - r->t0 >= o->budget_s)
    r->stopped_by = "budget";
  else if (o->patience > 0 && r->evals - r->last_improvement >= o->patience)
    r->stopped_by = "convergence";
  else if (nothing_to_make)
    r->stopped_by = "evaluations";
  r->stop = r->stopped_by != NULL;
  return r->stop;
}

// Slots 0 .. n-1, each `steps` sequential steps (candidate i x steps + k),
// in one parallel region; then the merge in order.
static bool run_slots(pt_run *r, int n, int steps, pt_make_fn make,
                      pt_take_fn take, void *user) {
  const pt_space *s = r->s;
  int64_t failed = 0;
#pragma omp parallel for num_threads(r->nthreads) schedule(dynamic, 1) \
    reduction(+ : failed)
  for (int i = 0; i < n; i++) {
    pt_space_scratch *w = &r->scratch[omp_get_thread_num()];
    for (int k = 0; k < steps; k++) {
      int j = i * steps + k;
      double *v = &r->val[j * PT_OBJ_COUNT];
      r->ok[j] = false;
      if (!make || !make(r, i, r->rng[i], r->cand[j], w, user)) {
        if (pt_space_eval(s, r->cand[j], w, v, NULL))
          failed++;
        else
          r->ok[j] = true;
      }
      if (take)
        take(r, i, r->ok[j], v, r->cand[j], user);
    }
  }
  // Strategies read ok[] of the whole batch: a slot the budget cut off
  // was not evaluated.
  for (int j = n * steps; j < r->ncand; j++)
    r->ok[j] = false;
  r->failed += failed;
  return after_batch(r, n * steps, n == 0 && make);
}

bool pt_run_batch(pt_run *r, int n, pt_make_fn make, void *user) {
  if (r->stop)
    return true;
  if (r->o->max_evals > 0 && r->evals + n > r->o->max_evals)
    n = (int)(r->o->max_evals - r->evals);
  if (n > r->nslots)
    n = r->nslots;
  return run_slots(r, n, 1, make, NULL, user);
}

bool pt_run_chains(pt_run *r, int n, int steps, pt_make_fn make,
                   pt_take_fn take, void *user) {
  if (r->stop)
    return true;
  if (n > r->nslots)
    n = r->nslots;
  if (steps > PT_CHAIN_STEPS)
    steps = PT_CHAIN_STEPS;
  if (r->o->max_evals > 0) {
    int64_t left = r->o->max_evals - r->evals;
    if (left < (int64_t)n * steps)
      steps = (int)(left / n);
    if (steps == 0)  // fewer evaluations left than chains
      return pt_run_batch(r, (int)left, make, user);
  }
  return run_slots(r, n, steps, make, take, user);
}

// ---------------------------------------------------------------------------
// Running a search

static int seed_heuristics(pt_run *r, pt_error *err) {
  const pt_space *s = r->s;
  r->seeds = pt_calloc(2 * PT_REPL_COUNT, sizeof *r->seeds);
  pt_error first = {{0}};
  for (int mode = 0; mode < 2; mode++) {
    if (!(s->modes & (mode == PT_MODE_HT ? PT_MODES_HT : PT_MODES_LL)))
      continue;
    for (int h = 0; h < PT_REPL_COUNT; h++) {
      pt_mapping *m = pt_map_new(s->c);
      pt_error e = {{0}};
      if (pt_space_heuristic(s, m, h, mode, &e)) {
        if (!first.msg[0])
          first = e;
        pt_map_free(m);
        continue;
      }
      r->seeds[r->nseeds++] = m;
    }
  }
  if (!r->nseeds) {
    *err = first;
    free(r->seeds);
    r->seeds = NULL;
    return -1;
  }
  return 0;
}

int pt_search_run(const pt_space *s, const pt_search_opts *o,
                  pt_search_result *res, pt_error *err) {
  memset(res, 0, sizeof *res);
  if (o->nobj < 1 || o->nobj > PT_OBJ_COUNT)
    return pt_errorf(err, "search: %d objectives, expected 1 to %d", o->nobj,
                     PT_OBJ_COUNT);
  pt_strategy st = o->strategy;
  if (st == PT_STRAT_AUTO)
    st = o->nobj > 1 ? PT_STRAT_NSGA2 : PT_STRAT_ANNEAL;
  if (st == PT_STRAT_GA_PAPER && o->nobj > 1)
    return pt_errorf(err, "ga-paper optimises one objective, %d given (use "
                     "nsga2 for a Pareto search)", o->nobj);
  if (st == PT_STRAT_GA_PAPER && s->modes == PT_MODES_BOTH)
    return pt_errorf(err, "ga-paper searches one mode (--mode ht or ll)");
  res->strategy = st;
  res->nobj = o->nobj;
  memcpy(res->obj, o->obj, sizeof res->obj);
  if (o->nobj > 1) {
    res->front_nobj = o->nobj;
    memcpy(res->front_obj, o->obj, sizeof res->front_obj);
  } else {
    res->front_nobj = 3;
    res->front_obj[0] = PT_OBJ_THROUGHPUT;
    res->front_obj[1] = PT_OBJ_LATENCY;
    res->front_obj[2] = PT_OBJ_ENERGY;
  }
  int cap = o->front_cap > 0 ? o->front_cap : 64;
  res->front = pt_calloc(cap + 1, sizeof *res->front);
  res->seed = o->seed;

  pt_search_opts oo = *o;
  oo.front_cap = cap;
  pt_run r = {.s = s, .o = &oo, .res = res};
  if (seed_heuristics(&r, err)) {
    pt_search_result_free(res);
    return -1;
  }
  r.nthreads = o->threads > 0 ? o->threads : omp_get_max_threads();
  res->threads = r.nthreads;
  // Slots: the strategies' batch (the larger of the population and the
  // annealing chains); the count never depends on the threads.
  int pop = o->pop > 0 ? o->pop : (st == PT_STRAT_GA_PAPER ? 200 : 64);
  r.nslots = pop > r.nseeds ? pop : r.nseeds;
  r.ncand = r.nslots * (st == PT_STRAT_ANNEAL ? PT_CHAIN_STEPS : 1);
  r.rng = pt_malloc(r.nslots * sizeof *r.rng);
  r.cand = pt_malloc(r.ncand * sizeof *r.cand);
  r.val = pt_calloc((size_t)r.ncand * PT_OBJ_COUNT, sizeof *r.val);
  r.ok = pt_calloc(r.ncand, sizeof *r.ok);
  for (int i = 0; i < r.nslots; i++)
    r.rng[i] = pt_rng_new(o->seed, (uint64_t)i);
  for (int i = 0; i < r.ncand; i++)
    r.cand[i] = pt_map_new(s->c);
  r.scratch = pt_malloc(r.nthreads * sizeof *r.scratch);
  for (int t = 0; t < r.nthreads; t++)
    pt_space_scratch_init(s, &r.scratch[t]);
  r.t0 = now_s();
  r.last_progress = r.t0;

  switch (st) {
  case PT_STRAT_GA_PAPER:
    pt_strategy_ga_paper(&r);
    break;
  case PT_STRAT_NSGA2:
    pt_strategy_nsga2(&r);
    break;
  default:
    pt_strategy_anneal(&r);
    break;
  }
  if (!r.stopped_by)
    r.stopped_by = "iterations";
  report_progress(&r, true);
  res->evaluations = r.evals;
  res->failed = r.failed;
  res->wall_s = now_s() - r.t0;
  res->stopped_by = r.stopped_by;
  history_add(&r);

  // Sort the front by its first objective, best first.
  pt_obj f0 = res->front_obj[0];
  for (int i = 1; i < res->nfront; i++)
    for (int j = i; j > 0 && pt_space_cost(f0, res->front[j].v) <
                                 pt_space_cost(f0, res->front[j - 1].v);
         j--) {
      pt_search_point t = res->front[j];
      res->front[j] = res->front[j - 1];
      res->front[j - 1] = t;
    }

  for (int i = 0; i < r.nslots; i++)
    pt_rng_free(r.rng[i]);
  for (int i = 0; i < r.ncand; i++)
    pt_map_free(r.cand[i]);
  for (int t = 0; t < r.nthreads; t++)
    pt_space_scratch_free(&r.scratch[t]);
  for (int i = 0; i < r.nseeds; i++)
    pt_map_free(r.seeds[i]);
  free(r.seeds);
  free(r.scratch);
  free(r.rng);
  free(r.cand);
  free(r.val);
  free(r.ok);
  if (!res->best[0].m) {
    pt_search_result_free(res);
    return pt_errorf(err, "search: no mapping could be evaluated");
  }
  return 0;
}

void pt_search_result_free(pt_search_result *r) {
  for (int k = 0; k < PT_OBJ_COUNT; k++)
    pt_map_free(r->best[k].m);
  for (int i = 0; i < r->nfront; i++)
    pt_map_free(r->front[i].m);
  free(r->front);
  free(r->hist);
  memset(r, 0, sizeof *r);
}
