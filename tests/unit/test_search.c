// Unit tests of the search (search/): every move and every strategy yields
// valid mappings; the same seed gives the same result on 1, 2 and 4
// threads; NSGA-II's front is non-dominated (checked here independently);
// the default strategy finds the optimum of a space small enough to
// enumerate; budgets and the stop flag are honoured; ga-paper's mutations
// do what the paper says.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <cmocka.h>

#include "search/search.h"
#include "search/strategy.h"

typedef struct {
  pt_graph *g;
  pt_arch a;
  pt_map_ctx c;
  pt_ana_ctx *x;
  pt_space s;
} fixture;

static void setup(fixture *f, const char *model, const char *const *sets,
                  unsigned modes, bool vary_unfold) {
  pt_error err = {{0}};
  memset(f, 0, sizeof *f);
  if (pt_arch_load(PT_SOURCE_DIR "/configs/arch/isaac.json", &f->a, &err))
    fail_msg("%s", err.msg);
  for (int i = 0; sets && sets[i]; i += 2)
    if (pt_arch_set(&f->a, sets[i], sets[i + 1], &err))
      fail_msg("%s", err.msg);
  if (pt_arch_validate(&f->a, &err))
    fail_msg("%s", err.msg);
  f->g = pt_graph_load(model, NULL, 0, &err);
  if (!f->g || pt_map_ctx_init(&f->c, f->g, &f->a, &err) ||
      !(f->x = pt_ana_new(&f->c, &err)))
    fail_msg("%s", err.msg);
  pt_space_init(&f->s, &f->c, f->x, modes, PT_UNF_IM2COL, vary_unfold,
                PT_FIT_ANALYTIC);
}

static void teardown(fixture *f) {
  pt_space_free(&f->s);
  pt_ana_free(f->x);
  pt_map_ctx_free(&f->c);
  pt_graph_free(f->g);
}

static void assert_valid(const fixture *f, const pt_mapping *m) {
  pt_error err = {{0}};
  if (pt_map_check(m, &f->c, &err))
    fail_msg("invalid mapping: %s", err.msg);
}

#define TINY PT_SOURCE_DIR "/configs/workloads/tiny.onnx"
#define RESNET18 PT_SOURCE_DIR "/configs/workloads/resnet18.onnx"

// Thousands of moves, crossovers and random draws on ResNet-18, both
// modes, formats varying: every result passes pt_map_check.
static void test_moves_valid(void **state) {
  (void)state;
  fixture f;
  setup(&f, RESNET18, NULL, PT_MODES_BOTH, true);
  pt_space_scratch w;
  pt_space_scratch_init(&f.s, &w);
  pt_rng *rng = pt_rng_new(7, 0);
  pt_mapping *a = pt_map_new(&f.c), *b = pt_map_new(&f.c),
             *k = pt_map_new(&f.c);
  assert_int_equal(pt_space_heuristic(&f.s, a, PT_REPL_BALANCE, PT_MODE_HT,
                                      NULL), 0);
  assert_int_equal(pt_space_random(&f.s, b, rng, &w), 0);
  assert_valid(&f, b);
  int changed = 0, differs = 0;
  for (int i = 0; i < 3000; i++) {
    pt_map_copy(k, a, &f.c);
    if (!pt_space_mutate(&f.s, a, rng, &w)) {
      changed++;
      differs += memcmp(a->repl, k->repl, f.c.nlayers * sizeof *a->repl) ||
                 a->total_ags != k->total_ags ||
                 memcmp(a->ag_core, k->ag_core,
                        a->total_ags * sizeof *a->ag_core) ||
                 a->mode != k->mode || a->ht_grouping != k->ht_grouping ||
                 memcmp(a->unfold, k->unfold, f.c.nlayers);
    }
    assert_valid(&f, a);
    if (i % 10 == 0) {
      pt_space_crossover(&f.s, a, b, k, rng, &w);
      assert_valid(&f, k);
      assert_int_equal(pt_space_random(&f.s, b, rng, &w), 0);
      assert_valid(&f, b);
    }
  }
  // Most moves find something to do, and a move that reports a change
  // changed something.
  assert_true(changed > 2500);
  assert_int_equal(differs, changed);
  pt_map_free(a);
  pt_map_free(b);
  pt_map_free(k);
  pt_rng_free(rng);
  pt_space_scratch_free(&w);
  teardown(&f);
}

static bool same_result(const fixture *f, const pt_search_result *a,
                        const pt_search_result *b) {
  if (a->evaluations != b->evaluations || a->nfront != b->nfront)
    return false;
  for (int k = 0; k < a->nobj; k++)
    if (memcmp(a->best[k].v, b->best[k].v, sizeof a->best[k].v) ||
        memcmp(a->best[k].m->repl, b->best[k].m->repl,
               f->c.nlayers * sizeof *a->best[k].m->repl) ||
        memcmp(a->best[k].m->ag_core, b->best[k].m->ag_core,
               a->best[k].m->total_ags * sizeof *a->best[k].m->ag_core))
      return false;
  for (int i = 0; i < a->nfront; i++)
    if (memcmp(a->front[i].v, b->front[i].v, sizeof a->front[i].v))
      return false;
  return true;
}

static void run_objs(const fixture *f, pt_strategy st, int nobj,
                     const pt_obj *objs, int threads, int64_t evals,
                     pt_search_result *r) {
  pt_search_opts o;
  pt_search_opts_default(&o);
  o.strategy = st;
  o.threads = threads;
  o.max_evals = evals;
  o.seed = 42;
  o.nobj = nobj;
  for (int k = 0; k < nobj; k++)
    o.obj[k] = objs[k];
  o.pop = st == PT_STRAT_GA_PAPER ? 40 : 0;
  pt_error err = {{0}};
  if (pt_search_run(&f->s, &o, r, &err))
    fail_msg("%s: %s", pt_strategy_name(st), err.msg);
}

static void run(const fixture *f, pt_strategy st, int nobj, int threads,
                int64_t evals, pt_search_result *r) {
  static const pt_obj objs[] = {PT_OBJ_THROUGHPUT, PT_OBJ_LATENCY,
                                PT_OBJ_ENERGY};
  run_objs(f, st, nobj, objs, threads, evals, r);
}

// Every strategy: valid points only, and the same result for 1, 2 and 4
// threads with the same seed.
static void test_strategies_deterministic(void **state) {
  (void)state;
  fixture f;
  setup(&f, RESNET18, NULL, PT_MODES_HT, true);
  for (int st = PT_STRAT_GA_PAPER; st < PT_STRAT_COUNT; st++) {
    pt_search_result r1, r2, r4;
    run(&f, st, 1, 1, 4000, &r1);
    run(&f, st, 1, 2, 4000, &r2);
    run(&f, st, 1, 4, 4000, &r4);
    assert_int_equal(r1.evaluations, 4000);
    assert_string_equal(r1.stopped_by, "evaluations");
    assert_true(same_result(&f, &r1, &r2));
    assert_true(same_result(&f, &r1, &r4));
    assert_valid(&f, r1.best[0].m);
    for (int i = 0; i < r1.nfront; i++)
      assert_valid(&f, r1.front[i].m);
    // The best is at least as good as every front point's throughput.
    for (int i = 0; i < r1.nfront; i++)
      assert_true(r1.best[0].v[PT_OBJ_THROUGHPUT] >=
                  r1.front[i].v[PT_OBJ_THROUGHPUT]);
    // History: best values never get worse, evaluations grow.
    for (int i = 1; i < r1.nhist; i++) {
      assert_true(r1.hist[i].evaluations >= r1.hist[i - 1].evaluations);
      assert_true(r1.hist[i].best[0] >= r1.hist[i - 1].best[0]);
    }
    pt_search_result_free(&r1);
    pt_search_result_free(&r2);
    pt_search_result_free(&r4);
  }
  teardown(&f);
}

// NSGA-II over throughput, latency and area (crossbars: more copies buy
// throughput, so the front has many points) in both modes: no front point
// dominates another (a check written here from the definition), and a
// different thread count gives the same front.
static void test_nsga2_front(void **state) {
  (void)state;
  fixture f;
  setup(&f, RESNET18, NULL, PT_MODES_BOTH, true);
  pt_search_result r, r2;
  static const pt_obj objs[] = {PT_OBJ_THROUGHPUT, PT_OBJ_LATENCY,
                                PT_OBJ_AREA};
  run_objs(&f, PT_STRAT_NSGA2, 3, objs, 2, 6000, &r);
  run_objs(&f, PT_STRAT_NSGA2, 3, objs, 1, 6000, &r2);
  assert_true(same_result(&f, &r, &r2));
  assert_true(r.nfront >= 10);
  for (int i = 0; i < r.nfront; i++) {
    assert_valid(&f, r.front[i].m);
    for (int j = 0; j < r.nfront; j++) {
      if (i == j)
        continue;
      const double *a = r.front[i].v, *b = r.front[j].v;
      bool no_worse = a[PT_OBJ_THROUGHPUT] >= b[PT_OBJ_THROUGHPUT] &&
                      a[PT_OBJ_LATENCY] <= b[PT_OBJ_LATENCY] &&
                      a[PT_OBJ_AREA] <= b[PT_OBJ_AREA];
      bool better = a[PT_OBJ_THROUGHPUT] > b[PT_OBJ_THROUGHPUT] ||
                    a[PT_OBJ_LATENCY] < b[PT_OBJ_LATENCY] ||
                    a[PT_OBJ_AREA] < b[PT_OBJ_AREA];
      if (no_worse && better)
        fail_msg("front point %d dominates point %d", i, j);
    }
  }
  pt_search_result_free(&r);
  pt_search_result_free(&r2);
  teardown(&f);
}

// Enumerate every replication vector of the tiny network on a two-core
// chip (formats fixed, the layout of space.c), then check the default
// strategy reaches the best throughput found (it may beat it: it also
// moves AGs between cores).
static void test_exhaustive(void **state) {
  (void)state;
  static const char *const sets[] = {"chip.cores_x", "2", "chip.cores_y", "1",
                                     "chip.cores", "2", NULL};
  fixture f;
  setup(&f, TINY, sets, PT_MODES_HT, false);
  int n = f.c.nlayers;
  assert_true(n <= 8);
  pt_space_scratch w;
  pt_space_scratch_init(&f.s, &w);
  pt_mapping *m = pt_map_new(&f.c);
  assert_int_equal(pt_space_heuristic(&f.s, m, PT_REPL_NONE, PT_MODE_HT,
                                      NULL), 0);
  int r[8];
  for (int l = 0; l < n; l++)
    r[l] = 1;
  double best = 0;
  int64_t points = 0;
  for (;;) {
    for (int l = 0; l < n; l++)
      m->repl[l] = (int16_t)r[l];
    double v[PT_OBJ_COUNT];
    if (!pt_space_relayout(&f.s, m, NULL, &w) &&
        !pt_space_eval(&f.s, m, &w, v, NULL)) {
      points++;
      if (v[PT_OBJ_THROUGHPUT] > best)
        best = v[PT_OBJ_THROUGHPUT];
    }
    // Next vector (odometer) within each layer's useful range.
    int l = 0;
    while (l < n && ++r[l] > f.s.repl_max[l])
      r[l++] = 1;
    if (l == n)
      break;
  }
  assert_true(points > 1000);
  pt_search_opts o;
  pt_search_opts_default(&o);
  o.max_evals = 30000;
  o.seed = 3;
  pt_search_result res;
  pt_error err = {{0}};
  assert_int_equal(pt_search_run(&f.s, &o, &res, &err), 0);
  print_message("exhaustive: %lld points, best %.6g samples/s; search %.6g "
                "after %lld evaluations\n", (long long)points, best,
                res.best[0].v[PT_OBJ_THROUGHPUT], (long long)res.evaluations);
  assert_true(res.best[0].v[PT_OBJ_THROUGHPUT] >= best * (1 - 1e-12));
  pt_search_result_free(&res);
  pt_map_free(m);
  pt_space_scratch_free(&w);
  teardown(&f);
}

// The wall-clock budget and the stop flag end the search, and say so.
static void test_budget_and_stop(void **state) {
  (void)state;
  fixture f;
  setup(&f, RESNET18, NULL, PT_MODES_HT, true);
  pt_search_opts o;
  pt_search_opts_default(&o);
  o.budget_s = 0.3;
  pt_search_result r;
  pt_error err = {{0}};
  assert_int_equal(pt_search_run(&f.s, &o, &r, &err), 0);
  assert_string_equal(r.stopped_by, "budget");
  assert_true(r.wall_s >= 0.3 && r.wall_s < 1.5);
  pt_search_result_free(&r);
  volatile sig_atomic_t stop = 1;
  o.budget_s = 0;
  o.stop = &stop;
  assert_int_equal(pt_search_run(&f.s, &o, &r, &err), 0);
  assert_string_equal(r.stopped_by, "interrupt");
  assert_true(r.evaluations <= 64);  // one batch
  assert_non_null(r.best[0].m);      // and what it found is kept
  pt_search_result_free(&r);
  // Patience: stops when nothing improves for that many evaluations.
  o.stop = NULL;
  o.patience = 500;
  o.max_evals = 1000000;
  assert_int_equal(pt_search_run(&f.s, &o, &r, &err), 0);
  assert_string_equal(r.stopped_by, "convergence");
  assert_true(r.evaluations < 1000000);
  pt_search_result_free(&r);
  // ga-paper refuses several objectives.
  o.strategy = PT_STRAT_GA_PAPER;
  o.nobj = 2;
  o.obj[1] = PT_OBJ_ENERGY;
  assert_int_equal(pt_search_run(&f.s, &o, &r, &err), -1);
  assert_non_null(strstr(err.msg, "one objective"));
  teardown(&f);
}

static int layer_total(const int32_t *ch, int ngenes, int l) {
  int t = 0;
  for (int i = 0; i < ngenes; i++)
    if (ch[i] && ch[i] / PT_GA_BASE == l)
      t += ch[i] % PT_GA_BASE;
  return t;
}

// Mutation I changes one gene by one AG (or fills an empty gene with one
// AG of a layer) and never leaves a layer without a whole copy; mutation
// II keeps every layer's AGs and moves them between two cores.
static void test_ga_mutations(void **state) {
  (void)state;
  enum { CORES = 4, NG = CORES * PT_GA_SLOTS, NL = 3 };
  const int ags[NL] = {2, 1, 3};
  int count[NL];
  pt_rng *rng = pt_rng_new(5, 0);
  int32_t ch[NG], before[NG];
  for (int trial = 0; trial < 2000; trial++) {
    memset(ch, 0, sizeof ch);
    ch[0] = 0 * PT_GA_BASE + 2;
    ch[PT_GA_SLOTS] = 1 * PT_GA_BASE + 3;
    ch[2 * PT_GA_SLOTS + 1] = 2 * PT_GA_BASE + 3;
    ch[3 * PT_GA_SLOTS + 2] = 2 * PT_GA_BASE + 1;
    memcpy(before, ch, sizeof ch);
    if (!pt_ga_mutation1(ch, NG, NL, ags, count, rng)) {
      int diff = 0, delta = 0;
      for (int i = 0; i < NG; i++)
        if (ch[i] != before[i]) {
          diff++;
          int lb = before[i] ? before[i] / PT_GA_BASE : ch[i] / PT_GA_BASE;
          int la = ch[i] ? ch[i] / PT_GA_BASE : lb;
          assert_int_equal(la, lb);
          delta = (ch[i] % PT_GA_BASE) - (before[i] % PT_GA_BASE);
        }
      assert_int_equal(diff, 1);
      assert_true(delta == 1 || delta == -1);
      for (int l = 0; l < NL; l++)
        assert_true(layer_total(ch, NG, l) >= ags[l]);
    }
    memcpy(ch, before, sizeof ch);
    if (!pt_ga_mutation2(ch, NG, rng)) {
      for (int l = 0; l < NL; l++)
        assert_int_equal(layer_total(ch, NG, l), layer_total(before, NG, l));
      int cores_changed = 0;
      for (int k = 0; k < CORES; k++)
        cores_changed += memcmp(&ch[k * PT_GA_SLOTS], &before[k * PT_GA_SLOTS],
                                PT_GA_SLOTS * sizeof *ch) != 0;
      assert_int_equal(cores_changed, 2);
    }
  }
  pt_rng_free(rng);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_moves_valid),
      cmocka_unit_test(test_strategies_deterministic),
      cmocka_unit_test(test_nsga2_front),
      cmocka_unit_test(test_exhaustive),
      cmocka_unit_test(test_budget_and_stop),
      cmocka_unit_test(test_ga_mutations),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
