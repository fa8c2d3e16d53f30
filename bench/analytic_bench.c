// Benchmark of the analytical model (cost/analytic.c): its speed, and its
// fidelity against the instruction-level profiler on random valid
// mappings. Results in bench/README.md.
//
//   analytic_bench speed MODEL ARCH [seconds]
//   analytic_bench fidelity MODEL ARCH ht|ll N [seed]
//   analytic_bench searched MODEL ARCH ht|ll N [seed [evals]]
//
// fidelity draws N mappings: per weight layer a replication factor
// uniform in [1, 2 x the balance heuristic's], with probability 1/3 a
// random applicable unfolding format, halving factors until the mapping
// lays out; it prints one line per mapping (analytic and profiled figure)
// and then the Spearman rank correlation (GSL) and the median relative
// error of throughput (HT) or latency (LL), and how many draws failed to
// schedule, of them how many the model's local memory estimate exceeds the
// chip's (the search rejects those), and how many scheduled draws it
// exceeds too. With PT_FID_CACHE=FILE the
// profiled figures are read from FILE when it has them (one "draw value"
// line per random draw, value -1 for a mapping that failed to schedule, as
// a previous run with the same model, mode and seed wrote them) and
// appended to it otherwise: the profile is deterministic, so this only
// saves its time while the model is tuned.
//
// searched measures the model where a tuner looks: N runs of the default
// search (anneal over replication, formats and AG placement, throughput in
// HT or latency in LL, analytic fitness, `evals` evaluations, default
// 20000, seeds seed .. seed + N - 1, one thread); of each run the best
// point and up to 4 more front points, each profiled. It prints one line
// per point, then the Spearman and median relative error over all points
// and the median relative error of the runs' best points alone.
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "compiler/program.h"
#include "cost/analytic.h"
#include "cost/profile.h"
#include "search/search.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// A random valid mapping derived from the balance heuristic's factors.
static int random_mapping(pt_mapping *m, const pt_map_ctx *c,
                          const int16_t *base, gsl_rng *rng, bool formats) {
  pt_error err = {{0}};
  for (int l = 0; l < c->nlayers; l++) {
    m->unfold[l] = PT_UNF_IM2COL;
    if (formats && gsl_rng_uniform(rng) < 1.0 / 3) {
      int u = (int)gsl_rng_uniform_int(rng, PT_UNF_COUNT);
      if (c->unfold_ok[l * PT_UNF_COUNT + u])
        m->unfold[l] = (uint8_t)u;
    }
    m->repl[l] = (int16_t)(1 + gsl_rng_uniform_int(rng, 2 * base[l]));
  }
  for (int tries = 0; tries < 40; tries++) {
    if (!pt_map_index(m, c, &err) && !pt_map_layout(m, c, &err) &&
        !pt_map_check(m, c, &err))
      return 0;
    for (int l = 0; l < c->nlayers; l++)
      if (m->repl[l] > 1 && gsl_rng_uniform(rng) < 0.5)
        m->repl[l] = (int16_t)(m->repl[l] / 2);
  }
  return -1;
}

static int speed(const pt_map_ctx *c, double seconds) {
  pt_error err = {{0}};
  double t0 = now_s();
  pt_ana_ctx *x = pt_ana_new(c, &err);
  double t_new = now_s() - t0;
  if (!x) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  enum { NM = 16 };
  pt_mapping *ms[NM];
  pt_mapping *h = pt_map_new(c);
  if (pt_map_heuristic(h, c, PT_UNF_IM2COL, PT_REPL_BALANCE, PT_MODE_HT, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(rng, 1);
  int nm = 0, total_ags = 0;
  for (int i = 0; i < NM; i++) {
    ms[nm] = pt_map_new(c);
    pt_map_copy(ms[nm], h, c);
    ms[nm]->mode = i % 2 ? PT_MODE_LL : PT_MODE_HT;
    if (i == 0 || !random_mapping(ms[nm], c, h->repl, rng, true)) {
      total_ags += ms[nm]->total_ags;
      nm++;
    } else {
      pt_map_free(ms[nm]);
    }
  }
  pt_ana_result r;
  pt_ana_result_init(x, &r);
  int64_t n = 0;
  double sink = 0;
  t0 = now_s();
  double t;
  do {
    for (int i = 0; i < 1000; i++, n++) {
      pt_ana_eval(x, ms[n % nm], &r);
      sink += r.throughput_sps;
    }
    t = now_s() - t0;
  } while (t < seconds);
  printf("{\"model\":\"%s\",\"arch\":\"%s\",\"mappings\":%d,\"mean_ags\":%d,"
         "\"new_s\":%.3f,\"evals\":%lld,\"seconds\":%.2f,\"evals_per_s\":%.0f,"
         "\"check\":%g}\n",
         c->g->name, c->a->name, nm, total_ags / nm, t_new, (long long)n, t,
         n / t, sink > 0 ? 1.0 : 0.0);
  for (int i = 0; i < nm; i++)
    pt_map_free(ms[i]);
  pt_map_free(h);
  pt_ana_result_free(&r);
  pt_ana_free(x);
  gsl_rng_free(rng);
  return 0;
}

static int fidelity(const pt_map_ctx *c, pt_mode mode, int n,
                    unsigned long seed) {
  pt_error err = {{0}};
  pt_ana_ctx *x = pt_ana_new(c, &err);
  pt_mapping *h = pt_map_new(c), *m = pt_map_new(c);
  h->ht_grouping = true;
  if (!x || pt_map_heuristic(h, c, PT_UNF_IM2COL, PT_REPL_BALANCE, mode, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(rng, seed);
  double *ana = malloc(n * sizeof *ana), *prof = malloc(n * sizeof *prof);
  double *rel = malloc(n * sizeof *rel), *work = malloc(2 * n * sizeof *work);
  pt_ana_result r;
  pt_ana_result_init(x, &r);
  pt_prof_opts o;
  pt_prof_opts_default(&o);
  o.ht_pass = false;
  int k = 0, nfail = 0, fail_over = 0, ok_over = 0;
  double t_prof = 0;
  const char *cpath = getenv("PT_FID_CACHE");
  double *cached = calloc(4 * (size_t)n + 1, sizeof *cached);
  FILE *cf = cpath ? fopen(cpath, "r") : NULL;
  int ncached = 0;
  if (cf) {
    int idx;
    double v;
    while (ncached < 4 * n && fscanf(cf, "%d %lf", &idx, &v) == 2 &&
           idx == ncached)
      cached[ncached++] = v;
    fclose(cf);
  }
  cf = cpath ? fopen(cpath, "a") : NULL;
  for (int i = 0; k < n && i < 4 * n; i++) {
    pt_map_copy(m, h, c);
    if (i > 0 && random_mapping(m, c, h->repl, rng, true))
      continue;
    pt_program *p = NULL;
    pt_prof_report pr;
    memset(&pr, 0, sizeof pr);
    double t0 = now_s();
    bool over = false;
    if (mode == PT_MODE_HT || i >= ncached || cached[i] < 0) {
      pt_ana_eval(x, m, &r);
      over = r.peak_local_bytes > c->a->local.size_bytes;
    }
    if (i < ncached && cached[i] < 0) {
      nfail++, fail_over += over;
      continue;
    } else if (i < ncached) {
      pr.throughput_sps = mode == PT_MODE_HT ? cached[i] : 0;
      pr.latency_s = mode == PT_MODE_HT ? 0 : cached[i];
    } else if (pt_schedule(c, m, &p, &err) || pt_prof_run(p, c->g, c->a, &o, &pr, &err)) {
      fprintf(stderr, "mapping %d skipped: %s\n", i, err.msg);
      nfail++, fail_over += over;
      if (cf) {
        fprintf(cf, "%d -1\n", i);
        fflush(cf);
      }
      pt_prog_free(p);
      continue;
    }
    t_prof += now_s() - t0;
    if (cf && i >= ncached) {
      fprintf(cf, "%d %.9g\n", i,
              mode == PT_MODE_HT ? pr.throughput_sps : pr.latency_s);
      fflush(cf);
    }
    pt_ana_eval(x, m, &r);
    ok_over += r.peak_local_bytes > c->a->local.size_bytes;
    double va = mode == PT_MODE_HT ? r.throughput_sps : r.latency_s;
    double vp = mode == PT_MODE_HT ? pr.throughput_sps : pr.latency_s;
    ana[k] = va, prof[k] = vp, rel[k] = fabs(va - vp) / vp;
    printf("%d %s analytic %.6g profiled %.6g rel %.3f | ana core %.4g port "
           "%.4g chain %.4g energy %.4g/%.4g groups %d/%d gbytes %.4g/%lld portbusy %.4g\n",
           k, pt_mode_name(mode), va, vp, rel[k], r.core_bound_s,
           r.port_bound_s, r.chain_s, r.energy_j, pr.energy_j, r.ngroups,
           pr.ngroups, r.global_bytes, (long long)pr.global_bytes, pr.global_port_utilisation * (mode == PT_MODE_HT ? pr.period_s : pr.latency_s));
    fflush(stdout);
    k++;
    pt_prog_free(p);
    pt_prof_report_free(&pr);
  }
  double rho = k > 1 ? gsl_stats_spearman(ana, 1, prof, 1, k, work) : 0;
  gsl_sort(rel, 1, k);
  double med = k ? gsl_stats_median_from_sorted_data(rel, 1, k) : 0;
  printf("{\"model\":\"%s\",\"arch\":\"%s\",\"mode\":\"%s\",\"mappings\":%d,"
         "\"seed\":%lu,\"spearman\":%.4f,\"median_rel_error\":%.4f,"
         "\"profile_s\":%.1f,\"failed\":%d,\"failed_over_local\":%d,"
         "\"ok_over_local\":%d}\n",
         c->g->name, c->a->name, pt_mode_name(mode), k, seed, rho, med, t_prof,
         nfail, fail_over, ok_over);
  free(ana), free(prof), free(rel), free(work), free(cached);
  if (cf)
    fclose(cf);
  pt_ana_result_free(&r);
  pt_ana_free(x);
  pt_map_free(h), pt_map_free(m);
  gsl_rng_free(rng);
  return 0;
}

static bool same_mapping(const pt_map_ctx *c, const pt_mapping *a,
                         const pt_mapping *b) {
  return a->total_ags == b->total_ags && a->mode == b->mode &&
         !memcmp(a->repl, b->repl, c->nlayers * sizeof *a->repl) &&
         !memcmp(a->unfold, b->unfold, c->nlayers * sizeof *a->unfold) &&
         !memcmp(a->ag_core, b->ag_core, a->total_ags * sizeof *a->ag_core);
}

static int searched(const pt_map_ctx *c, pt_mode mode, int n,
                    unsigned long seed, int64_t evals) {
  pt_error err = {{0}};
  pt_ana_ctx *x = pt_ana_new(c, &err);
  if (!x) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  pt_space sp;
  pt_space_init(&sp, c, x, mode == PT_MODE_HT ? PT_MODES_HT : PT_MODES_LL,
                PT_UNF_IM2COL, true, PT_FIT_ANALYTIC);
  enum { PER_RUN = 5 };
  int cap = n * PER_RUN;
  double *ana = malloc(cap * sizeof *ana), *prof = malloc(cap * sizeof *prof);
  double *rel = malloc(cap * sizeof *rel), *work = malloc(2 * cap * sizeof *work);
  double *brel = malloc((n + 1) * sizeof *brel);
  pt_ana_result r;
  pt_ana_result_init(x, &r);
  pt_prof_opts o;
  pt_prof_opts_default(&o);
  o.ht_pass = false;
  int k = 0, nb = 0, failed = 0;
  for (int run = 0; run < n; run++) {
    pt_search_opts so;
    pt_search_opts_default(&so);
    so.strategy = PT_STRAT_ANNEAL;
    so.obj[0] = mode == PT_MODE_HT ? PT_OBJ_THROUGHPUT : PT_OBJ_LATENCY;
    so.seed = seed + (uint64_t)run;
    so.threads = 1;
    so.max_evals = evals;
    pt_search_result res;
    if (pt_search_run(&sp, &so, &res, &err)) {
      fprintf(stderr, "run %d: %s\n", run, err.msg);
      continue;
    }
    // The best point, then front points other than it.
    const pt_mapping *pts[PER_RUN];
    int np = 0;
    pts[np++] = res.best[0].m;
    for (int i = 0; i < res.nfront && np < PER_RUN; i++) {
      bool dup = false;
      for (int j = 0; j < np && !dup; j++)
        dup = same_mapping(c, pts[j], res.front[i].m);
      if (!dup)
        pts[np++] = res.front[i].m;
    }
    for (int i = 0; i < np; i++) {
      pt_program *p = NULL;
      pt_prof_report pr;
      memset(&pr, 0, sizeof pr);
      if (pt_schedule(c, pts[i], &p, &err) ||
          pt_prof_run(p, c->g, c->a, &o, &pr, &err)) {
        printf("run %d point %d: %s\n", run, i, err.msg);
        failed++;
        pt_prog_free(p);
        continue;
      }
      pt_ana_eval(x, pts[i], &r);
      double va = mode == PT_MODE_HT ? r.throughput_sps : r.latency_s;
      double vp = mode == PT_MODE_HT ? pr.throughput_sps : pr.latency_s;
      ana[k] = va, prof[k] = vp, rel[k] = fabs(va - vp) / vp;
      if (i == 0)
        brel[nb++] = rel[k];
      printf("run %d point %d %s analytic %.6g profiled %.6g rel %.3f | "
             "peak local %lld/%lld\n", run, i, pt_mode_name(mode), va, vp,
             rel[k], (long long)r.peak_local_bytes,
             (long long)pr.peak_local_bytes);
      fflush(stdout);
      k++;
      pt_prog_free(p);
      pt_prof_report_free(&pr);
    }
    pt_search_result_free(&res);
  }
  double rho = k > 1 ? gsl_stats_spearman(ana, 1, prof, 1, k, work) : 0;
  gsl_sort(rel, 1, k);
  gsl_sort(brel, 1, nb);
  double med = k ? gsl_stats_median_from_sorted_data(rel, 1, k) : 0;
  double bmed = nb ? gsl_stats_median_from_sorted_data(brel, 1, nb) : 0;
  double bmax = nb ? brel[nb - 1] : 0;
  printf("{\"model\":\"%s\",\"arch\":\"%s\",\"mode\":\"%s\",\"runs\":%d,"
         "\"evals\":%lld,\"seed\":%lu,\"points\":%d,\"failed\":%d,"
         "\"spearman\":%.4f,\"median_rel_error\":%.4f,"
         "\"best_median_rel_error\":%.4f,\"best_max_rel_error\":%.4f}\n",
         c->g->name, c->a->name, pt_mode_name(mode), n, (long long)evals, seed,
         k, failed, rho, med, bmed, bmax);
  free(ana), free(prof), free(rel), free(work), free(brel);
  pt_ana_result_free(&r);
  pt_space_free(&sp);
  pt_ana_free(x);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 4 || (strcmp(argv[1], "speed") && argc < 6)) {
    fprintf(stderr, "usage: %s speed MODEL ARCH [seconds]\n"
            "       %s fidelity MODEL ARCH ht|ll N [seed]\n"
            "       %s searched MODEL ARCH ht|ll N [seed [evals]]\n",
            argv[0], argv[0], argv[0]);
    return 2;
  }
  pt_error err = {{0}};
  pt_arch a;
  char note[PT_ERRMSG];
  pt_graph *g = NULL;
  if (pt_arch_load(argv[3], &a, &err) ||
      !(g = pt_graph_load(argv[2], note, sizeof note, &err))) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  pt_map_ctx c;
  if (pt_map_ctx_init(&c, g, &a, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  int rc;
  if (!strcmp(argv[1], "speed"))
    rc = speed(&c, argc > 4 ? atof(argv[4]) : 2.0);
  else if (!strcmp(argv[1], "searched"))
    rc = searched(&c, strcmp(argv[4], "ll") ? PT_MODE_HT : PT_MODE_LL,
                  atoi(argv[5]), argc > 6 ? strtoul(argv[6], NULL, 10) : 1,
                  argc > 7 ? atoll(argv[7]) : 20000);
  else
    rc = fidelity(&c, strcmp(argv[4], "ll") ? PT_MODE_HT : PT_MODE_LL,
                  atoi(argv[5]), argc > 6 ? strtoul(argv[6], NULL, 10) : 1);
  pt_map_ctx_free(&c);
  pt_graph_free(g);
  return rc;
}
