// Benchmark of the profiler: compile a model for a chip with the default
// heuristics (im2col, a replication heuristic), then time pt_prof_run on
// the resulting streams and print the report. Built and run by
// bench/profile_bench.sh; results in bench/README.md.
//
//   profile_bench MODEL ARCH ht|ll [balance|uniform|layer-size|none]
//                 [periods] [repeats]
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "compiler/program.h"
#include "cost/profile.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s MODEL ARCH ht|ll [replication] [periods] "
            "[repeats]\n", argv[0]);
    return 2;
  }
  pt_mode mode = strcmp(argv[3], "ll") ? PT_MODE_HT : PT_MODE_LL;
  int repl = argc > 4 ? pt_repl_parse(argv[4]) : PT_REPL_BALANCE;
  int periods = argc > 5 ? atoi(argv[5]) : 1;
  int repeats = argc > 6 ? atoi(argv[6]) : 5;
  if (repl < 0 || periods < 1 || repeats < 1) {
    fprintf(stderr, "bad replication, periods or repeats\n");
    return 2;
  }
  pt_error err = {{0}};
  pt_arch a;
  char note[PT_ERRMSG];
  pt_graph *g = NULL;
  if (pt_arch_load(argv[2], &a, &err) ||
      !(g = pt_graph_load(argv[1], note, sizeof note, &err))) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  pt_map_ctx ctx;
  if (pt_map_ctx_init(&ctx, g, &a, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  pt_mapping *m = pt_map_new(&ctx);
  m->ht_grouping = true;
  pt_program *p = NULL;
  double t0 = now_s();
  if (pt_map_heuristic(m, &ctx, PT_UNF_IM2COL, repl, mode, &err) ||
      pt_schedule(&ctx, m, &p, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  double t_sched = now_s() - t0;
  pt_prof_opts o;
  pt_prof_opts_default(&o);
  o.ht_periods = periods;
  pt_prof_report r;
  double best = 1e30;
  for (int i = 0; i < repeats; i++) {
    t0 = now_s();
    if (pt_prof_run(p, g, &a, &o, &r, &err)) {
      fprintf(stderr, "profile: %s\n", err.msg);
      return 1;
    }
    double t = now_s() - t0;
    if (t < best)
      best = t;
    if (i + 1 < repeats)
      pt_prof_report_free(&r);
  }
  cJSON *j = pt_prof_report_json(&r, false);
  char *s = cJSON_PrintUnformatted(j);
  printf("{\"model\":\"%s\",\"arch\":\"%s\",\"mode\":\"%s\","
         "\"replication\":\"%s\",\"periods\":%d,\"instructions\":%lld,"
         "\"schedule_s\":%.3f,\"profile_s\":%.3f,\"profile\":%s}\n",
         g->name, a.name, pt_mode_name(mode), pt_repl_name(repl), periods,
         (long long)r.instructions, t_sched, best, s);
  free(s);
  cJSON_Delete(j);
  pt_prof_report_free(&r);
  pt_prog_free(p);
  pt_map_free(m);
  pt_map_ctx_free(&ctx);
  pt_graph_free(g);
  return 0;
}
