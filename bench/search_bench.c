// Benchmark of the search (search/): the paper's GA as published against
// the default strategy, on one model, chip and mode. Results in
// bench/README.md.
//
//   search_bench MODEL ARCH ht|ll [profile_evals] [KEY=VALUE ...]
//
// KEY=VALUE pairs override chip fields as `--set` does.
//
// 1. ga-paper with its published settings (population 200, 1000
//    generations) and the analytical fitness, on 2 threads: wall time,
//    evaluations, its best (estimate and profiled).
// 2. The same GA with the profiler as fitness, as the paper ran it: too
//    slow to finish here (~0.5 s per evaluation on ResNet-18), so it runs
//    `profile_evals` evaluations (default 40) and its time for the full
//    200 x 1001 evaluations is extrapolated (and says so).
// 3. The default strategy (auto), and nsga2 on the same single objective,
//    each with a budget of the GA's wall time: when its best first reached
//    the GA's final best (from its history), and its own final best
//    (estimate and profiled).
// 4. Evaluations per second of the default strategy on 1 and 2 threads.
// One JSON object per line; the objective is throughput (HT) or latency
// (LL).
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/program.h"
#include "cost/profile.h"
#include "search/search.h"

static double profiled(const pt_map_ctx *c, const pt_mapping *m, pt_obj o) {
  pt_error err = {{0}};
  pt_program *p = NULL;
  pt_prof_report r;
  if (pt_schedule(c, m, &p, &err) ||
      pt_prof_run(p, c->g, c->a, NULL, &r, &err)) {
    fprintf(stderr, "search_bench: profiling: %s\n", err.msg);
    pt_prog_free(p);
    return NAN;
  }
  double v = o == PT_OBJ_THROUGHPUT ? r.throughput_sps : r.latency_s;
  pt_prof_report_free(&r);
  pt_prog_free(p);
  return v;
}

static int run(const pt_space *s, pt_strategy st, pt_obj obj, int threads,
               double budget, int64_t evals, int pop, int64_t iters,
               pt_search_result *r) {
  pt_search_opts o;
  pt_search_opts_default(&o);
  o.strategy = st;
  o.obj[0] = obj;
  o.threads = threads;
  o.budget_s = budget;
  o.max_evals = evals;
  o.pop = pop;
  o.iters = iters;
  o.patience = 0;
  pt_error err = {{0}};
  if (pt_search_run(s, &o, r, &err)) {
    fprintf(stderr, "search_bench: %s\n", err.msg);
    return -1;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: search_bench MODEL ARCH ht|ll [profile_evals] "
            "[KEY=VALUE ...]\n");
    return 2;
  }
  pt_mode mode = !strcmp(argv[3], "ll") ? PT_MODE_LL : PT_MODE_HT;
  int64_t prof_evals = argc > 4 ? atoll(argv[4]) : 40;
  pt_obj obj = mode == PT_MODE_HT ? PT_OBJ_THROUGHPUT : PT_OBJ_LATENCY;
  pt_error err = {{0}};
  pt_arch a;
  pt_graph *g = NULL;
  pt_map_ctx c;
  if (pt_arch_load(argv[2], &a, &err)) {
    fprintf(stderr, "search_bench: %s\n", err.msg);
    return 2;
  }
  for (int i = 5; i < argc; i++) {
    char key[128];
    const char *eq = strchr(argv[i], '=');
    if (!eq) {
      fprintf(stderr, "search_bench: expected KEY=VALUE, got %s\n", argv[i]);
      return 2;
    }
    snprintf(key, sizeof key, "%.*s", (int)(eq - argv[i]), argv[i]);
    if (pt_arch_set(&a, key, eq + 1, &err) || pt_arch_validate(&a, &err)) {
      fprintf(stderr, "search_bench: %s\n", err.msg);
      return 2;
    }
  }
  if (!(g = pt_graph_load(argv[1], NULL, 0, &err)) ||
      pt_map_ctx_init(&c, g, &a, &err)) {
    fprintf(stderr, "search_bench: %s\n", err.msg);
    return 2;
  }
  pt_ana_ctx *x = pt_ana_new(&c, &err);
  if (!x) {
    fprintf(stderr, "search_bench: %s\n", err.msg);
    return 2;
  }
  unsigned modes = mode == PT_MODE_HT ? PT_MODES_HT : PT_MODES_LL;
  pt_space s;
  pt_space_init(&s, &c, x, modes, PT_UNF_IM2COL, true, PT_FIT_ANALYTIC);

  // 1. The GA as published, analytical fitness.
  pt_search_result ga;
  if (run(&s, PT_STRAT_GA_PAPER, obj, 2, 0, 0, 200, 1000, &ga))
    return 1;
  double ga_best = ga.best[0].v[obj];
  double ga_prof = profiled(&c, ga.best[0].m, obj);
  printf("{\"case\":\"ga-paper analytic\",\"model\":\"%s\",\"arch\":\"%s\","
         "\"mode\":\"%s\",\"wall_s\":%.3f,\"evaluations\":%lld,"
         "\"best_estimate\":%.6g,\"best_profiled\":%.6g}\n",
         g->name, a.name, pt_mode_name(mode), ga.wall_s,
         (long long)ga.evaluations, ga_best, ga_prof);
  fflush(stdout);

  // 2. The GA with the profiler as fitness: a sample, extrapolated.
  if (prof_evals > 0) {
    pt_space sp;
    pt_space_init(&sp, &c, x, modes, PT_UNF_IM2COL, true, PT_FIT_PROFILE);
    pt_search_result gp;
    if (!run(&sp, PT_STRAT_GA_PAPER, obj, 2, 0, prof_evals, 200, 1000, &gp)) {
      double per = gp.wall_s / (double)gp.evaluations;
      printf("{\"case\":\"ga-paper profile\",\"evaluations\":%lld,\"wall_s\":"
             "%.3f,\"s_per_evaluation\":%.4f,\"extrapolated_full_run_s\":%.0f,"
             "\"note\":\"%lld of 200x1001 evaluations run, time "
             "extrapolated\"}\n",
             (long long)gp.evaluations, gp.wall_s, per, per * 200 * 1001,
             (long long)gp.evaluations);
      pt_search_result_free(&gp);
    }
    pt_space_free(&sp);
    fflush(stdout);
  }

  // 3. The default strategy (and the other one that could be), budget =
  //    the GA's wall time.
  pt_search_result d;
  double budget = ga.wall_s > 1 ? ga.wall_s : 1;
  for (int st = PT_STRAT_AUTO; st <= PT_STRAT_NSGA2; st += PT_STRAT_NSGA2) {
    pt_search_result e;
    if (run(&s, st, obj, 2, budget, 0, 0, 0, &e))
      return 1;
    double reach_s = -1;
    int64_t reach_evals = -1;
    for (int i = 0; i < e.nhist; i++) {
      double v = e.hist[i].best[0];
      if (obj == PT_OBJ_THROUGHPUT ? v >= ga_best : v <= ga_best) {
        reach_s = e.hist[i].elapsed_s;
        reach_evals = e.hist[i].evaluations;
        break;
      }
    }
    double e_prof = profiled(&c, e.best[0].m, obj);
    printf("{\"case\":\"%s\",\"strategy\":\"%s\",\"wall_s\":%.3f,"
           "\"evaluations\":%lld,\"best_estimate\":%.6g,\"best_profiled\":%.6g,"
           "\"reached_ga_final_s\":%.4f,\"reached_ga_final_evals\":%lld,"
           "\"speedup_vs_ga_analytic\":%.1f}\n",
           st == PT_STRAT_AUTO ? "default" : "nsga2", pt_strategy_name(e.strategy),
           e.wall_s, (long long)e.evaluations, e.best[0].v[obj], e_prof, reach_s,
           (long long)reach_evals, reach_s > 0 ? ga.wall_s / reach_s : 0);
    fflush(stdout);
    if (st == PT_STRAT_AUTO)
      d = e;
    else
      pt_search_result_free(&e);
  }

  // 4. Evaluations per second of the default, 1 and 2 threads.
  for (int t = 1; t <= 2; t++) {
    pt_search_result e;
    if (run(&s, PT_STRAT_AUTO, obj, t, 3, 0, 0, 0, &e))
      return 1;
    printf("{\"case\":\"speed\",\"threads\":%d,\"evals_per_s\":%.0f}\n", t,
           e.evaluations / e.wall_s);
    pt_search_result_free(&e);
  }
  pt_search_result_free(&ga);
  pt_search_result_free(&d);
  pt_space_free(&s);
  pt_ana_free(x);
  pt_map_ctx_free(&c);
  pt_graph_free(g);
  return 0;
}
