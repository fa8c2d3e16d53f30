// pimtune tune (the default command): search mappings for an objective,
// then compile and profile what the search found next to the heuristics.
//
// The pipeline: load -> map context -> analytic tables -> search (OpenMP,
// search/) -> schedule and profile the best point of each objective, the
// front (up to --keep points) and the heuristics -> report (text or JSON).
// What is reported is the profiled figure; the analytic estimate the
// search saw stands beside it.
#define _GNU_SOURCE
#include "tune.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "../compiler/program.h"
#include "../cost/profile.h"
#include "../search/search.h"
#include "cli.h"
#include "record.h"

static const char tune_help[] =
    "usage: pimtune tune MODEL [--arch FILE] [--objective OBJ] [options]\n"
    "       pimtune MODEL ...   (tune is the default command)\n"
    "\n"
    "Search how to map the network onto the chip: replication of every\n"
    "weight layer, unfolding formats, the core of every array group, the\n"
    "pipeline mode and its knobs. Candidates are scored by the analytical\n"
    "model (docs/cost-model.md); at the end the best point of each objective\n"
    "and the Pareto front are scheduled and profiled, and shown next to the\n"
    "replication heuristics (compile --replication ...).\n"
    "\n"
    "  --arch FILE         chip description (default configs/arch/isaac.json)\n"
    "  --objective OBJ     throughput (default), latency, energy, edp (energy\n"
    "                      x latency), area (crossbars), or pareto\n"
    "  --objectives A,B,.. the objectives of a pareto search (default\n"
    "                      throughput,latency,energy)\n"
    "  --mode ht|ll|both   pipeline mode(s) to search; default ht for\n"
    "                      throughput, ll for latency, both otherwise\n"
    "  --strategy S        auto (default: anneal for one objective, nsga2\n"
    "                      for pareto), ga-paper, nsga2, anneal\n"
    "  --fitness F         analytic (default) or profile (schedule and\n"
    "                      profile every candidate: exact, ~10^4 x slower)\n"
    "  --budget TIME       stop after TIME (e.g. 30s, 2m, 1h; default 10s)\n"
    "  --evals N           stop after N evaluations\n"
    "  --patience N        stop after N evaluations without improvement\n"
    "                      (default 200000; 0: never)\n"
    "  --seed N            random seed (default 1); the same seed gives the\n"
    "                      same result for any --threads\n"
    "  --threads N         evaluation threads (default: all cores)\n"
    "  --pop N             population / annealing chains (default 64;\n"
    "                      ga-paper 200)\n"
    "  --iters N           generations of ga-paper (default 1000) and nsga2\n"
    "  --unfold FORMAT     starting unfolding format (default im2col): %s\n"
    "  --fixed-unfold      keep every layer at --unfold\n"
    "  --keep K            front points to compile and profile (default 5)\n"
    "  --no-heuristics     do not profile the heuristics for comparison\n"
    "  --set KEY=VALUE     override a chip field (docs/config.md)\n"
    "  -o, --output FILE   results file (default results/MODEL-ARCH-\n"
    "                      OBJECTIVE.h5; docs/hdf5-schema.md)\n"
    "  --no-store          do not write a results file\n"
    "  --quiet             no progress lines\n"
    "  --json              print one JSON object\n"
    "  -h, --help          this text\n"
    "\n"
    "Ctrl-C stops the search early and reports what it found.\n";

static volatile sig_atomic_t interrupted;
static void on_sigint(int sig) {
  (void)sig;
  interrupted = 1;
}

// "30", "30s", "2m", "1.5h" -> seconds; -1 if malformed.
static double parse_duration(const char *s) {
  char *end;
  double v = strtod(s, &end);
  if (end == s || !(v > 0) || !isfinite(v))
    return -1;
  if (!*end || !strcmp(end, "s"))
    return v;
  if (!strcmp(end, "m"))
    return v * 60;
  if (!strcmp(end, "h"))
    return v * 3600;
  return -1;
}

static int parse_count(const char *s, int64_t lo, int64_t *out) {
  char *end;
  long long v = strtoll(s, &end, 10);
  if (end == s || *end || v < lo)
    return -1;
  *out = v;
  return 0;
}

static void progress_line(const pt_search_progress *p, void *user) {
  (void)user;
  char line[512];
  int n = snprintf(line, sizeof line, "  %lld evals (%.0f/s)",
                   (long long)p->evaluations, p->evals_per_s);
  for (int k = 0; k < p->nobj && n < (int)sizeof line; k++) {
    double v = p->best[k];
    const char *unit = pt_obj_unit(p->obj[k]);
    if (p->obj[k] == PT_OBJ_LATENCY || p->obj[k] == PT_OBJ_EDP)
      v *= 1e3, unit = p->obj[k] == PT_OBJ_LATENCY ? "ms" : "mJ*s";
    else if (p->obj[k] == PT_OBJ_ENERGY)
      v *= 1e3, unit = "mJ";
    n += snprintf(line + n, sizeof line - n, "  best %s %.4g %s",
                  pt_obj_name(p->obj[k]), v, unit);
  }
  if (n < (int)sizeof line)
    n += snprintf(line + n, sizeof line - n, "  front %d", p->front_size);
  if (p->left_s >= 0 && n < (int)sizeof line)
    snprintf(line + n, sizeof line - n, "  %.0f s left", p->left_s);
  fprintf(stderr, "%s\n", line);
}

// ---------------------------------------------------------------------------
// Profiling the outcome

typedef struct {
  const char *label;         // "best throughput", "front 3", "balance" ...
  const pt_mapping *m;
  bool has_estimate;
  double est[PT_OBJ_COUNT];  // analytic
  bool ok;
  double prof[PT_OBJ_COUNT]; // profiled
  char error[PT_ERRMSG];
} outcome;

// Schedule and profile o->m. The programs are large (resnet50: ~100 MB),
// so at most two are alive at once (pt_tune_run's parallel loop); each is
// written to the results file (as point k, when store is set) before it
// is freed.
static void profile_point(const pt_map_ctx *c, outcome *o, pt_h5w *store,
                          int k, const char *role, pt_error *store_err) {
  pt_error err = {{0}};
  pt_program *p = NULL;
  pt_prof_report r;
  if (pt_schedule(c, o->m, &p, &err) ||
      pt_prof_run(p, c->g, c->a, NULL, &r, &err)) {
    snprintf(o->error, sizeof o->error, "%s", err.msg);
    pt_prog_free(p);
    return;
  }
  o->ok = true;
  pt_space_profiled(c, o->m, &r, o->prof);
  if (store) {
#pragma omp critical(pt_store)
    if (!store_err->msg[0])
      rec_point(store, k, o->label, role, c, o->m, p, &r,
                o->has_estimate ? o->est : NULL, o->prof, NULL, -1,
                store_err);
  }
  pt_prof_report_free(&r);
  pt_prog_free(p);
}

static bool same_mapping(const pt_map_ctx *c, const pt_mapping *a,
                         const pt_mapping *b);

// The rest of the results file once every point is profiled (record.c):
// the points that failed or repeat an earlier one, the search's front and
// history; then the file is committed. True on failure (err set).
static bool store_finish(pt_h5w *w, const pt_map_ctx *c, const outcome *o,
                         int n, int nbest, int nfront, const pt_search_result *res,
                         const char *modes, int fitness,
                         const pt_search_opts *so, pt_error *err) {
  for (int i = 0; i < n && !err->msg[0]; i++) {
    const char *role = i < nbest ? "best" : i < nbest + nfront ? "front"
                                                                : "heuristic";
    int same = -1;
    for (int j = 0; j < i && same < 0; j++)
      if (same_mapping(c, o[i].m, o[j].m))
        same = j;
    if (same >= 0 || !o[i].ok)
      rec_point(w, i, o[i].label, role, c, o[i].m, NULL, NULL,
                o[i].has_estimate ? o[i].est : NULL,
                o[i].ok ? o[i].prof : NULL, o[i].ok ? NULL : o[i].error, same,
                err);
  }
  if (err->msg[0] || rec_search(w, res, c, modes, fitness, so, err)) {
    pt_h5w_abort(w);
    return true;
  }
  return rec_commit(w, err) != 0;
}

static cJSON *figures_json(const double *v, pt_mode mode) {
  cJSON *x = cJSON_CreateObject();
  cJSON_AddStringToObject(x, "mode", pt_mode_name(mode));
  cJSON_AddNumberToObject(x, "throughput_sps", v[PT_OBJ_THROUGHPUT]);
  cJSON_AddNumberToObject(x, "latency_s", v[PT_OBJ_LATENCY]);
  cJSON_AddNumberToObject(x, "energy_j", v[PT_OBJ_ENERGY]);
  cJSON_AddNumberToObject(x, "edp_js", v[PT_OBJ_EDP]);
  cJSON_AddNumberToObject(x, "crossbars", v[PT_OBJ_AREA]);
  return x;
}

static cJSON *outcome_json(const pt_map_ctx *c, const outcome *o) {
  cJSON *x;
  if (o->ok) {
    x = figures_json(o->prof, o->m->mode);
  } else {
    x = cJSON_CreateObject();
    cJSON_AddStringToObject(x, "mode", pt_mode_name(o->m->mode));
    cJSON_AddStringToObject(x, "error", o->error);
  }
  cJSON_AddStringToObject(x, "label", o->label);
  if (o->has_estimate)
    cJSON_AddItemToObject(x, "estimate", figures_json(o->est, o->m->mode));
  cJSON *r = cJSON_AddArrayToObject(x, "replication");
  cJSON *u = cJSON_AddArrayToObject(x, "unfold");
  for (int l = 0; l < c->nlayers; l++) {
    cJSON_AddItemToArray(r, cJSON_CreateNumber(o->m->repl[l]));
    cJSON_AddItemToArray(u, cJSON_CreateString(pt_unfold_name(o->m->unfold[l])));
  }
  if (o->m->mode == PT_MODE_HT)
    cJSON_AddBoolToObject(x, "grouping", o->m->ht_grouping);
  return x;
}

static void print_row(const outcome *o, const char *label) {
  if (!label)
    label = o->label;
  if (!o->ok) {
    printf("  %-18s %-3s  failed: %s\n", label, pt_mode_name(o->m->mode),
           o->error);
    return;
  }
  const double *v = o->prof;
  printf("  %-18s %-3s %12.4g %12.4g %12.4g %10.0f", label,
         pt_mode_name(o->m->mode), v[PT_OBJ_THROUGHPUT],
         v[PT_OBJ_LATENCY] * 1e3, v[PT_OBJ_ENERGY] * 1e3, v[PT_OBJ_AREA]);
  if (o->has_estimate)
    printf("   (%.4g sps, %.4g ms, %.4g mJ)", o->est[PT_OBJ_THROUGHPUT],
           o->est[PT_OBJ_LATENCY] * 1e3, o->est[PT_OBJ_ENERGY] * 1e3);
  printf("\n");
}

static void print_header(const char *title) {
  printf("\n%s\n  %-18s %-3s %12s %12s %12s %10s   %s\n", title, "", "mode",
         "samples/s", "latency ms", "energy mJ", "crossbars",
         "(analytic estimate)");
}

// ---------------------------------------------------------------------------
// The command

typedef struct {
  pt_search_opts so;
  unsigned modes;
  int fitness;
  bool vary_unfold, heuristics, quiet;
  int keep;
  bool pareto;
  const char *out;  // -o; "" with --no-store
} tune_opts;

static int parse_objectives(const char *s, tune_opts *t) {
  char buf[256];
  snprintf(buf, sizeof buf, "%s", s);
  t->so.nobj = 0;
  for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
    int o = pt_obj_parse(tok);
    if (o < 0)
      return cli_usage("tune", "unknown objective '%s' in --objectives "
                       "(throughput, latency, energy, edp, area)", tok);
    for (int k = 0; k < t->so.nobj; k++)
      if (t->so.obj[k] == (pt_obj)o)
        return cli_usage("tune", "objective '%s' given twice", tok);
    t->so.obj[t->so.nobj++] = o;
  }
  if (t->so.nobj < 2)
    return cli_usage("tune", "--objectives needs at least two, got '%s'", s);
  return EXIT_OK;
}

int pt_cmd_tune(int argc, char **argv) {
  static const struct option opts[] = {
      COMMON_LONG_OPTIONS,
      {"mode", required_argument, 0, 'm'},
      {"objective", required_argument, 0, 'O'},
      {"objectives", required_argument, 0, 'K'},
      {"strategy", required_argument, 0, 'S'},
      {"fitness", required_argument, 0, 'F'},
      {"budget", required_argument, 0, 'B'},
      {"evals", required_argument, 0, 'E'},
      {"patience", required_argument, 0, 'p'},
      {"seed", required_argument, 0, 'x'},
      {"threads", required_argument, 0, 't'},
      {"pop", required_argument, 0, 'P'},
      {"iters", required_argument, 0, 'I'},
      {"fixed-unfold", no_argument, 0, 'U'},
      {"keep", required_argument, 0, 'k'},
      {"no-heuristics", no_argument, 0, 'H'},
      {"quiet", no_argument, 0, 'q'},
      {"output", required_argument, 0, 'o'},
      {"no-store", no_argument, 0, 'N'},
      {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  common_opts co = COMMON_OPTS_INIT;
  tune_opts t = {.vary_unfold = true, .heuristics = true, .keep = 5};
  pt_search_opts_default(&t.so);
  t.so.budget_s = 10;
  t.so.patience = 200000;
  const char *mode_arg = NULL, *objectives = NULL;
  int64_t v;
  int c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
    if (c != 'm') {
      int r = cli_common_option(c, &co, "tune");
      if (r < 0)
        return EXIT_ERR;
      if (r > 0)
        continue;
    }
    switch (c) {
    case 'm':
      if (strcmp(optarg, "ht") && strcmp(optarg, "ll") &&
          strcmp(optarg, "both"))
        return cli_usage("tune", "unknown mode '%s' (ht, ll or both)", optarg);
      mode_arg = optarg;
      break;
    case 'O':
      if (!strcmp(optarg, "pareto")) {
        t.pareto = true;
      } else {
        int o = pt_obj_parse(optarg);
        if (o < 0)
          return cli_usage("tune", "unknown objective '%s' (throughput, "
                           "latency, energy, edp, area or pareto)", optarg);
        t.pareto = false;
        t.so.nobj = 1;
        t.so.obj[0] = o;
      }
      break;
    case 'K':
      objectives = optarg;
      break;
    case 'S': {
      int s = pt_strategy_parse(optarg);
      if (s < 0)
        return cli_usage("tune", "unknown strategy '%s' (auto, ga-paper, "
                         "nsga2, anneal)", optarg);
      t.so.strategy = s;
      break;
    }
    case 'F':
      if (strcmp(optarg, "analytic") && strcmp(optarg, "profile"))
        return cli_usage("tune", "unknown fitness '%s' (analytic or profile)",
                         optarg);
      t.fitness = !strcmp(optarg, "profile") ? PT_FIT_PROFILE : PT_FIT_ANALYTIC;
      break;
    case 'B':
      t.so.budget_s = parse_duration(optarg);
      if (t.so.budget_s < 0)
        return cli_usage("tune", "--budget expects a time such as 30s, 2m or "
                         "1h, got '%s'", optarg);
      break;
    case 'E':
      if (parse_count(optarg, 1, &t.so.max_evals))
        return cli_usage("tune", "--evals expects a count >= 1, got '%s'",
                         optarg);
      break;
    case 'p':
      if (parse_count(optarg, 0, &t.so.patience))
        return cli_usage("tune", "--patience expects a count >= 0, got '%s'",
                         optarg);
      break;
    case 'x':
      if (parse_count(optarg, 0, &v))
        return cli_usage("tune", "--seed expects an integer >= 0, got '%s'",
                         optarg);
      t.so.seed = (uint64_t)v;
      break;
    case 't':
      if (parse_count(optarg, 1, &v) || v > 4096)
        return cli_usage("tune", "--threads expects 1 to 4096, got '%s'",
                         optarg);
      t.so.threads = (int)v;
      break;
    case 'P':
      if (parse_count(optarg, 2, &v) || v > 100000)
        return cli_usage("tune", "--pop expects 2 to 100000, got '%s'", optarg);
      t.so.pop = (int)v;
      break;
    case 'I':
      if (parse_count(optarg, 1, &t.so.iters))
        return cli_usage("tune", "--iters expects a count >= 1, got '%s'",
                         optarg);
      break;
    case 'U':
      t.vary_unfold = false;
      break;
    case 'k':
      if (parse_count(optarg, 0, &v) || v > 1000)
        return cli_usage("tune", "--keep expects 0 to 1000, got '%s'", optarg);
      t.keep = (int)v;
      break;
    case 'H':
      t.heuristics = false;
      break;
    case 'q':
      t.quiet = true;
      break;
    case 'o':
      if (t.out && !*t.out)
        return cli_usage("tune", "%s", "-o and --no-store contradict");
      t.out = optarg;
      break;
    case 'N':
      if (t.out && *t.out)
        return cli_usage("tune", "%s", "-o and --no-store contradict");
      t.out = "";
      break;
    case 'h':
      printf(tune_help, pt_unfold_list());
      return EXIT_OK;
    default:
      return cli_usage("tune", "unknown or incomplete option '%s'",
                       argv[optind - 1]);
    }
  }
  if (optind != argc - 1)
    return cli_usage("tune", "%s", optind >= argc
                                       ? "expected one MODEL file"
                                       : "expected exactly one MODEL file");
  if (objectives && !t.pareto)
    return cli_usage("tune", "%s", "--objectives goes with --objective=pareto");
  if (t.pareto) {
    if (objectives) {
      if (parse_objectives(objectives, &t))
        return EXIT_ERR;
    } else {
      t.so.nobj = 3;
      t.so.obj[0] = PT_OBJ_THROUGHPUT;
      t.so.obj[1] = PT_OBJ_LATENCY;
      t.so.obj[2] = PT_OBJ_ENERGY;
    }
  }
  if (t.so.strategy == PT_STRAT_GA_PAPER && t.pareto)
    return cli_usage("tune", "%s", "ga-paper optimises one objective; use "
                     "--strategy nsga2 (or auto) for --objective=pareto");
  if (t.so.strategy == PT_STRAT_GA_PAPER && mode_arg &&
      !strcmp(mode_arg, "both"))
    return cli_usage("tune", "%s", "ga-paper searches one mode: --mode ht or "
                     "--mode ll");
  if (mode_arg)
    t.modes = !strcmp(mode_arg, "ht")   ? PT_MODES_HT
              : !strcmp(mode_arg, "ll") ? PT_MODES_LL
                                        : PT_MODES_BOTH;
  else if (!t.pareto && t.so.obj[0] == PT_OBJ_THROUGHPUT)
    t.modes = PT_MODES_HT;
  else if (!t.pareto && t.so.obj[0] == PT_OBJ_LATENCY)
    t.modes = PT_MODES_LL;
  else
    t.modes = PT_MODES_BOTH;
  if (t.so.strategy == PT_STRAT_GA_PAPER && t.modes == PT_MODES_BOTH)
    t.modes = PT_MODES_HT;  // the paper's GA tunes one mode
  return pt_tune_run(argv[optind], &co, &t.so, t.modes, t.fitness,
                     t.vary_unfold, t.heuristics, t.keep, t.quiet, co.json,
                     t.out);
}

// Add o to the list unless an equal mapping is there already.
static bool same_mapping(const pt_map_ctx *c, const pt_mapping *a,
                         const pt_mapping *b) {
  if (a->mode != b->mode || a->ht_grouping != b->ht_grouping ||
      a->total_ags != b->total_ags)
    return false;
  return !memcmp(a->repl, b->repl, c->nlayers * sizeof *a->repl) &&
         !memcmp(a->unfold, b->unfold, c->nlayers * sizeof *a->unfold) &&
         !memcmp(a->ag_core, b->ag_core, a->total_ags * sizeof *a->ag_core);
}

int pt_tune_run(const char *model, const common_opts *co,
                const pt_search_opts *so_in, unsigned modes, int fitness,
                bool vary_unfold, bool heuristics, int keep, bool quiet,
                bool json, const char *results_path) {
  pt_error err = {{0}};
  pt_graph *g = NULL;
  pt_arch arch;
  if (cli_load_inputs(model, co->arch_path, &co->sets, &g, &arch, &err))
    return cli_fail(&err);
  pt_map_ctx ctx;
  if (pt_map_ctx_init(&ctx, g, &arch, &err)) {
    pt_graph_free(g);
    return cli_fail(&err);
  }
  int rc = EXIT_ERR;
  pt_ana_ctx *ana = pt_ana_new(&ctx, &err);
  pt_space space;
  pt_search_result res = {0};
  outcome *out = NULL;
  pt_mapping **heur = NULL;
  int nout = 0, nheur = 0;
  // The results file (record.c) is opened before the search, so that a
  // bad -o fails before the budget is spent.
  pt_h5w *store = NULL;
  pt_error store_err = {{0}};
  char store_path[4096];
  if (!ana)
    goto fail;
  if (!results_path || *results_path) {
    char what[64];
    snprintf(what, sizeof what, "%s", so_in->nobj > 1 ? "pareto"
                                      : pt_obj_name(so_in->obj[0]));
    if (rec_path(results_path, g, &arch, what, store_path, sizeof store_path, &err) ||
        !(store = rec_open(store_path, "tune", so_in->seed, &ctx, &err)))
      goto fail;
  }
  pt_space_init(&space, &ctx, ana, modes, co->unfold, vary_unfold, fitness);
  {
    // Does one copy of everything fit? (Say so before anything else.)
    pt_mapping *m = pt_map_new(&ctx);
    int bad = pt_space_heuristic(&space, m, PT_REPL_NONE,
                                 modes & PT_MODES_HT ? PT_MODE_HT : PT_MODE_LL,
                                 &err);
    pt_map_free(m);
    if (bad) {
      pt_error_prefix(&err, "%s on %s: ", g->name, arch.name);
      goto fail_space;
    }
  }
  pt_search_opts so = *so_in;
  so.stop = &interrupted;
  if (!quiet && isatty(STDERR_FILENO))
    so.progress = progress_line;
  const char *mode_txt = modes == PT_MODES_BOTH ? "ht+ll"
                         : modes == PT_MODES_HT ? "ht"
                                                : "ll";
  char objtxt[128] = "";
  for (int k = 0; k < so.nobj; k++)
    snprintf(objtxt + strlen(objtxt), sizeof objtxt - strlen(objtxt), "%s%s",
             k ? "," : "", pt_obj_name(so.obj[k]));
  // Ctrl-C (and SIGTERM) end the search; what it found is still reported.
  struct sigaction sa = {.sa_handler = on_sigint}, old_int, old_term;
  sigemptyset(&sa.sa_mask);
  interrupted = 0;
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  if (!quiet)
    fprintf(stderr, "pimtune: tuning %s on %s for %s (%s), strategy %s, "
            "seed %llu\n", g->name, arch.name, objtxt, mode_txt,
            pt_strategy_name(so.strategy), (unsigned long long)so.seed);

  int src = pt_search_run(&space, &so, &res, &err);
  sigaction(SIGINT, &old_int, NULL);
  sigaction(SIGTERM, &old_term, NULL);
  if (src) {
    pt_error_prefix(&err, "%s on %s: ", g->name, arch.name);
    goto fail_space;
  }
  if (!quiet)
    fprintf(stderr, "pimtune: %lld evaluations in %.2f s (%.0f/s, %d "
            "threads), stopped by %s; front of %d points\n",
            (long long)res.evaluations, res.wall_s,
            res.wall_s > 0 ? res.evaluations / res.wall_s : 0.0, res.threads,
            res.stopped_by, res.nfront);

  // What to profile: the best of each objective, front points, heuristics.
  int cap = res.nobj + res.nfront + 2 * PT_REPL_COUNT;
  out = pt_calloc(cap, sizeof *out);
  static const char *best_label[PT_OBJ_COUNT] = {
      "search throughput", "search latency", "search energy", "search edp",
      "search area"};
  for (int k = 0; k < res.nobj; k++) {
    outcome *o = &out[nout++];
    o->label = best_label[res.obj[k]];
    o->m = res.best[k].m;
    o->has_estimate = true;
    memcpy(o->est, res.best[k].v, sizeof o->est);
  }
  int nbest = nout;
  static const char *front_label[] = {"front 1", "front 2", "front 3",
                                      "front 4", "front 5"};
  char (*labels)[24] = pt_calloc(cap, sizeof *labels);
  for (int i = 0; i < res.nfront && nout - nbest < keep; i++) {
    outcome *o = &out[nout++];
    if (i < 5) {
      o->label = front_label[i];
    } else {
      snprintf(labels[i], sizeof labels[i], "front %d", i + 1);
      o->label = labels[i];
    }
    o->m = res.front[i].m;
    o->has_estimate = true;
    memcpy(o->est, res.front[i].v, sizeof o->est);
  }
  int nfront_out = nout - nbest;
  if (heuristics) {
    pt_space_scratch w;
    pt_space_scratch_init(&space, &w);
    heur = pt_calloc(2 * PT_REPL_COUNT, sizeof *heur);
    for (int mode = 0; mode < 2; mode++) {
      if (!(modes & (mode == PT_MODE_HT ? PT_MODES_HT : PT_MODES_LL)))
        continue;
      for (int h = 0; h < PT_REPL_COUNT; h++) {
        pt_mapping *m = pt_map_new(&ctx);
        if (pt_space_heuristic(&space, m, h, mode, NULL)) {
          pt_map_free(m);
          continue;
        }
        heur[nheur++] = m;
        outcome *o = &out[nout++];
        o->label = pt_repl_name(h);
        o->m = m;
        o->has_estimate = !pt_space_eval(&space, m, &w, o->est, NULL);
      }
    }
    pt_space_scratch_free(&w);
  }
  // Profile, two at a time (memory); points equal to an earlier one reuse
  // its figures.
#pragma omp parallel for num_threads(2) schedule(dynamic, 1)
  for (int i = 0; i < nout; i++) {
    bool dup = false;
    for (int j = 0; j < i && !dup; j++)
      dup = same_mapping(&ctx, out[i].m, out[j].m);
    if (!dup)
      profile_point(&ctx, &out[i], store, i,
                    i < nbest ? "best" : i < nbest + nfront_out ? "front"
                                                                : "heuristic",
                    &store_err);
  }
  for (int i = 0; i < nout; i++)
    for (int j = 0; j < i && !out[i].ok && !out[i].error[0]; j++)
      if (same_mapping(&ctx, out[i].m, out[j].m)) {
        out[i].ok = out[j].ok;
        memcpy(out[i].prof, out[j].prof, sizeof out[i].prof);
        memcpy(out[i].error, out[j].error, sizeof out[i].error);
      }
  // When none of them schedules (the model's local memory estimate is
  // approximate), go down the rest of the front, then to the balance
  // heuristic, until one does.
  bool any = false;
  for (int i = 0; i < nout; i++)
    any |= out[i].ok;
  for (int i = nfront_out; !any && i < res.nfront + 2; i++) {
    outcome *o = &out[nout];
    if (i < res.nfront) {
      snprintf(labels[nout], sizeof labels[nout], "front %d", i + 1);
      o->label = labels[nout];
      o->m = res.front[i].m;
      o->has_estimate = true;
      memcpy(o->est, res.front[i].v, sizeof o->est);
    } else {
      pt_mode mode = i == res.nfront ? PT_MODE_HT : PT_MODE_LL;
      if (heuristics ||
          !(modes & (mode == PT_MODE_HT ? PT_MODES_HT : PT_MODES_LL)))
        continue;
      if (!heur)
        heur = pt_calloc(2 * PT_REPL_COUNT, sizeof *heur);
      pt_mapping *m = pt_map_new(&ctx);
      if (pt_space_heuristic(&space, m, PT_REPL_BALANCE, mode, NULL)) {
        pt_map_free(m);
        continue;
      }
      heur[nheur++] = m;
      o->label = pt_repl_name(PT_REPL_BALANCE);
      o->m = m;
    }
    profile_point(&ctx, o, store, nout, "fallback", &store_err);
    any = o->ok;
    if (any)
      nout++;
  }

  bool store_failed = false;
  if (store) {
    store_failed = store_finish(store, &ctx, out, nout, nbest, nfront_out,
                                &res, mode_txt, fitness, &so, &store_err);
    store = NULL;
    if (store_failed)
      fprintf(stderr, "pimtune: %s\n", store_err.msg);
    else if (!quiet)
      fprintf(stderr, "pimtune: results in %s\n", store_path);
  }

  // The reported best of each objective: the best profiled of everything
  // profiled (the search's candidates first, so they win ties). The
  // analytic model ranks well but not perfectly; the profile decides.
  int chosen[PT_OBJ_COUNT];
  for (int k = 0; k < res.nobj; k++) {
    chosen[k] = -1;
    for (int i = 0; i < nout; i++)
      if (out[i].ok && (chosen[k] < 0 ||
                        pt_space_cost(res.obj[k], out[i].prof) <
                            pt_space_cost(res.obj[k], out[chosen[k]].prof)))
        chosen[k] = i;
  }
  if (chosen[0] < 0) {
    pt_errorf(&err, "%s on %s: no mapping found could be scheduled (%s)",
              g->name, arch.name, out[0].error);
    free(labels);
    goto fail_space;
  }
  if (json) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "objective",
                            res.nobj > 1 ? "pareto" : pt_obj_name(res.obj[0]));
    cJSON *objs = cJSON_AddArrayToObject(o, "objectives");
    for (int k = 0; k < res.nobj; k++)
      cJSON_AddItemToArray(objs, cJSON_CreateString(pt_obj_name(res.obj[k])));
    cJSON_AddStringToObject(o, "model", g->name);
    cJSON_AddStringToObject(o, "arch", arch.name);
    cJSON_AddStringToObject(o, "modes", mode_txt);
    cJSON_AddStringToObject(o, "strategy", pt_strategy_name(res.strategy));
    cJSON_AddStringToObject(o, "fitness",
                            fitness == PT_FIT_PROFILE ? "profile" : "analytic");
    cJSON_AddItemToObject(o, "best", outcome_json(&ctx, &out[chosen[0]]));
    cJSON *bests = cJSON_AddObjectToObject(o, "best_per_objective");
    cJSON *sbest = cJSON_AddObjectToObject(o, "search_best");
    for (int k = 0; k < nbest; k++) {
      cJSON_AddItemToObject(bests, pt_obj_name(res.obj[k]),
                            outcome_json(&ctx, &out[chosen[k] < 0 ? k
                                                                  : chosen[k]]));
      cJSON_AddItemToObject(sbest, pt_obj_name(res.obj[k]),
                            outcome_json(&ctx, &out[k]));
    }
    cJSON *f = cJSON_AddArrayToObject(o, "front");
    for (int i = 0; i < nfront_out; i++)
      cJSON_AddItemToArray(f, outcome_json(&ctx, &out[nbest + i]));
    cJSON *fe = cJSON_AddArrayToObject(o, "front_estimates");
    for (int i = 0; i < res.nfront; i++)
      cJSON_AddItemToArray(fe, figures_json(res.front[i].v,
                                            res.front[i].m->mode));
    cJSON *h = cJSON_AddArrayToObject(o, "heuristics");
    for (int i = nbest + nfront_out; i < nout; i++)
      cJSON_AddItemToArray(h, outcome_json(&ctx, &out[i]));
    cJSON_AddNumberToObject(o, "evaluations", (double)res.evaluations);
    cJSON_AddNumberToObject(o, "failed_evaluations", (double)res.failed);
    cJSON_AddNumberToObject(o, "wall_s", res.wall_s);
    cJSON_AddNumberToObject(o, "seed", (double)res.seed);
    cJSON_AddNumberToObject(o, "threads", res.threads);
    cJSON_AddStringToObject(o, "stopped_by", res.stopped_by);
    char *txt = cJSON_PrintUnformatted(o);
    puts(txt);
    free(txt);
    cJSON_Delete(o);
  } else {
    printf("%s on %s: %s search (%s, %s), %lld evaluations in %.2f s, "
           "seed %llu\n", g->name, arch.name, pt_strategy_name(res.strategy),
           objtxt, mode_txt, (long long)res.evaluations, res.wall_s,
           (unsigned long long)res.seed);
    print_header("best (profiled; the search's points and the heuristics):");
    for (int k = 0; k < nbest; k++) {
      char l[64];
      int i = chosen[k] < 0 ? k : chosen[k];
      snprintf(l, sizeof l, "%s: %s", pt_obj_name(res.obj[k]), out[i].label);
      print_row(&out[i], l);
    }
    print_header("the search's best (profiled):");
    for (int i = 0; i < nbest; i++)
      print_row(&out[i], NULL);
    if (nfront_out) {
      char title[256];
      snprintf(title, sizeof title, "Pareto front over %s (%d points, "
               "best %d profiled):", res.front_nobj == 3 && res.nobj == 1
                                         ? "throughput, latency, energy"
                                         : objtxt,
               res.nfront, nfront_out);
      print_header(title);
      for (int i = nbest; i < nbest + nfront_out; i++)
        print_row(&out[i], NULL);
    }
    if (nout > nbest + nfront_out) {
      print_header(heuristics ? "heuristics (profiled):"
                              : "fallbacks (profiled):");
      for (int i = nbest + nfront_out; i < nout; i++)
        print_row(&out[i], NULL);
    }
    const outcome *b = &out[chosen[0]];
    printf("\nbest replication:");
    for (int l = 0; l < ctx.nlayers; l++)
      printf(" %d", b->m->repl[l]);
    printf("\n");
  }
  free(labels);
  rc = store_failed ? EXIT_ERR : EXIT_OK;
  goto done;
fail_space:
  cli_fail(&err);
done:
  pt_h5w_abort(store);
  for (int i = 0; i < nheur; i++)
    pt_map_free(heur[i]);
  free(heur);
  free(out);
  pt_search_result_free(&res);
  pt_space_free(&space);
  pt_ana_free(ana);
  pt_map_ctx_free(&ctx);
  pt_graph_free(g);
  return rc;
fail:
  cli_fail(&err);
  pt_h5w_abort(store);
  pt_ana_free(ana);
  pt_map_ctx_free(&ctx);
  pt_graph_free(g);
  return rc;
}
