// The pimtune command line: a table of subcommands, each parsing its own
// options and driving the stages top to bottom (load -> partition -> ...).
// The only place that parses argv and the only place that exits.
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <math.h>

#include <cjson/cJSON.h>

#include "compiler/graph.h"
#include "compiler/partition.h"
#include "compiler/program.h"
#include "cost/arch.h"
#include "cost/profile.h"
#include "cost/execute.h"
#include "compiler/reference.h"
#include "engine/cli.h"
#include "engine/commands.h"
#include "engine/record.h"
#include "engine/tune.h"

static void fmt_count(char *out, size_t len, double v) {
  const char *suffix[] = {"", "K", "M", "G", "T"};
  int k = 0;
  while (v >= 1000 && k < 4)
    v /= 1000, k++;
  if (k == 0)
    snprintf(out, len, "%.0f", v);
  else
    snprintf(out, len, "%.2f%s", v, suffix[k]);
}

// ---------------------------------------------------------------------------
// pimtune info

static const char info_help[] =
    "usage: pimtune info MODEL [--arch FILE] [--unfold FORMAT] [--json]\n"
    "\n"
    "Read a network (ONNX, or PIMCOMP-NN JSON) and a chip description and\n"
    "print, per weight layer, how it unfolds onto crossbars: the weight\n"
    "matrix (H rows x W columns), how many matrices, array groups (AGs) and\n"
    "logical crossbars one copy needs, and the multiply-accumulates per\n"
    "sample; then whether one copy of the whole network fits the chip.\n"
    "\n"
    "  --arch FILE      chip description (default configs/arch/isaac.json)\n"
    "  --unfold FORMAT  unfolding of every conv (default im2col); one of\n"
    "                   %s\n"
    "  --set KEY=VALUE  override a chip field (docs/config.md), e.g.\n"
    "                   --set crossbar.rows=256; repeatable\n"
    "  --json           print one JSON object instead of a table\n"
    "  -h, --help       this text\n";

static cJSON *chw_json(const int64_t chw[3]) {
  cJSON *a = cJSON_CreateArray();
  for (int i = 0; i < 3; i++)
    cJSON_AddItemToArray(a, cJSON_CreateNumber((double)chw[i]));
  return a;
}

static void info_json(const pt_graph *g, const pt_arch *a,
                      const pt_part_net *net) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "model", g->name);
  cJSON_AddStringToObject(o, "arch", a->name);
  cJSON_AddNumberToObject(o, "weight_layers", net->nlayers);
  cJSON_AddNumberToObject(o, "total_crossbars", (double)net->crossbars);
  cJSON_AddNumberToObject(o, "available_crossbars", (double)net->available);
  // Physical arrays: each logical crossbar is pt_arch_slices bit slices
  // (and +/- pairs) of the configured cell precision.
  cJSON_AddNumberToObject(o, "slices", pt_arch_slices(a));
  cJSON_AddNumberToObject(o, "physical_crossbars",
                          (double)net->crossbars * pt_arch_slices(a));
  cJSON_AddBoolToObject(o, "fits", net->fits);
  cJSON_AddBoolToObject(o, "has_weights", g->has_weights);
  cJSON_AddNumberToObject(o, "macs", (double)net->macs);
  cJSON *layers = cJSON_AddArrayToObject(o, "layers");
  for (int i = 0; i < net->nlayers; i++) {
    const pt_part *p = &net->l[i];
    const pt_node *n = &g->n[p->node];
    cJSON *l = cJSON_CreateObject();
    cJSON_AddStringToObject(l, "name", n->name);
    cJSON_AddStringToObject(l, "op", pt_op_names[n->op]);
    cJSON_AddItemToObject(l, "in", chw_json(p->in_chw));
    cJSON_AddItemToObject(l, "out", chw_json(p->out_chw));
    cJSON_AddNumberToObject(l, "weight_rows", (double)p->rows);
    cJSON_AddNumberToObject(l, "weight_cols", (double)p->cols);
    cJSON_AddNumberToObject(l, "matrices", (double)p->matrices);
    cJSON_AddNumberToObject(l, "ags", (double)p->ags);
    cJSON_AddNumberToObject(l, "crossbars", (double)p->crossbars);
    cJSON_AddNumberToObject(l, "macs", (double)p->macs);
    cJSON_AddNumberToObject(l, "groups", (double)p->groups);
    cJSON_AddStringToObject(l, "unfold", pt_unfold_name(p->unfold));
    cJSON_AddNumberToObject(l, "steps", (double)p->steps);
    cJSON_AddItemToArray(layers, l);
  }
  char *s = cJSON_PrintUnformatted(o);
  puts(s);
  free(s);
  cJSON_Delete(o);
}

static void info_table(const pt_graph *g, const pt_arch *a,
                       const pt_part_net *net, pt_unfold u) {
  printf("model   %s (%s%s)\n", g->name, g->path,
         g->has_weights ? "" : ", structure only");
  printf("arch    %s (%s): %d cores x %d logical crossbars of %dx%d = %lld\n",
         a->name, a->path, pt_arch_total_cores(a),
         pt_arch_logical_per_core(a), a->xbar_rows, a->xbar_cols,
         (long long)net->available);
  printf("unfold  %s %s\n\n", pt_unfold_name(u), pt_unfold_tuple(u));
  printf("%4s  %-32s %-4s %14s %14s %13s %5s %6s %6s %8s\n", "#", "layer",
         "op", "in (CxHxW)", "out (CxHxW)", "H x W", "mat", "AGs", "xbars",
         "MACs");
  for (int i = 0; i < net->nlayers; i++) {
    const pt_part *p = &net->l[i];
    char in[32], out[32], hw[32], macs[16];
    snprintf(in, sizeof in, "%lldx%lldx%lld", (long long)p->in_chw[0],
             (long long)p->in_chw[1], (long long)p->in_chw[2]);
    snprintf(out, sizeof out, "%lldx%lldx%lld", (long long)p->out_chw[0],
             (long long)p->out_chw[1], (long long)p->out_chw[2]);
    snprintf(hw, sizeof hw, "%lldx%lld", (long long)p->rows,
             (long long)p->cols);
    fmt_count(macs, sizeof macs, (double)p->macs);
    const char *name = g->n[p->node].name;
    size_t nl = strlen(name);
    printf("%4d  %-32s %-4s %14s %14s %13s %5lld %6lld %6lld %8s\n", i + 1,
           nl > 32 ? name + nl - 32 : name, pt_op_names[g->n[p->node].op],
           in, out, hw, (long long)p->matrices, (long long)p->ags,
           (long long)p->crossbars, macs);
  }
  char macs[16];
  fmt_count(macs, sizeof macs, (double)net->macs);
  printf("\n%d weight layers, %s MACs per sample; one copy needs %lld of "
         "%lld logical crossbars (%lld physical arrays; %.1f%%): %s\n",
         net->nlayers, macs, (long long)net->crossbars,
         (long long)net->available,
         (long long)net->crossbars * pt_arch_slices(a),
         net->available ? 100.0 * net->crossbars / net->available : 0.0,
         net->fits ? "fits" : "DOES NOT FIT");
}

static int cmd_info(int argc, char **argv) {
  static const struct option opts[] = {
      COMMON_LONG_OPTIONS, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
  common_opts co = COMMON_OPTS_INIT;
  int c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    int r = cli_common_option(c, &co, "info");
    if (r < 0)
      return EXIT_ERR;
    if (r > 0)
      continue;
    if (c == 'h') {
      printf(info_help, pt_unfold_list());
      return EXIT_OK;
    }
    return cli_usage("info", "unknown or incomplete option '%s'",
                       argv[optind - 1]);
  }
  if (optind != argc - 1)
    return cli_usage("info", "%s", optind >= argc
                                         ? "expected one MODEL file"
                                         : "expected exactly one MODEL file");
  const char *arch_path = co.arch_path;
  int unfold = co.unfold, json = co.json;
  overrides sets = co.sets;

  pt_error err = {{0}};
  pt_graph *g = NULL;
  pt_arch arch;
  if (cli_load_inputs(argv[optind], arch_path, &sets, &g, &arch, &err))
    return cli_fail(&err);
  pt_part_net net;
  if (pt_part_network(g, &arch, unfold, NULL, &net, &err)) {
    pt_error_prefix(&err, "%s: ", g->path);
    pt_graph_free(g);
    return cli_fail(&err);
  }
  if (json)
    info_json(g, &arch, &net);
  else
    info_table(g, &arch, &net, unfold);
  pt_part_net_free(&net);
  pt_graph_free(g);
  return EXIT_OK;
}

// ---------------------------------------------------------------------------
// pimtune compile

static const char compile_help[] =
    "usage: pimtune compile MODEL [--arch FILE] [--mode ht|ll]\n"
    "                       [--replication balance|uniform|layer-size|none]\n"
    "                       [--unfold FORMAT] [--emit asm|json DIR] [--json]\n"
    "\n"
    "Map the network with the heuristics (replication, then layout: AGs of a\n"
    "copy kept on one core, cores filled in order), schedule it into one\n"
    "instruction stream per core: one steady-state period of the layer\n"
    "pipeline (--mode ht, every layer advances by one sample) or one\n"
    "inference of the pixel pipeline (--mode ll), and profile the streams:\n"
    "throughput, latency and energy per sample (docs/cost-model.md).\n"
    "\n"
    "  --arch FILE         chip description (default configs/arch/isaac.json)\n"
    "  --mode ht|ll        high throughput (default) or low latency\n"
    "  --replication H     balance (default): even out windows per copy\n"
    "                      across layers; uniform: one factor everywhere;\n"
    "                      layer-size: copies in proportion to a layer's\n"
    "                      windows; none: one copy each\n"
    "  --unfold FORMAT     unfolding of every conv (default im2col); one of\n"
    "                      %s\n"
    "  --no-grouping       HT: one layer per pipeline group\n"
    "  --no-profile        skip profiling the streams\n"
    "  --check             execute the streams on validity bitmaps: every\n"
    "                      read written before, transfers paired, no\n"
    "                      deadlock, every output stored once (exit 1 if not)\n"
    "  --set KEY=VALUE     override a chip field (docs/config.md); repeatable\n"
    "  --emit KIND DIR     write the streams: asm (DIR/core<N>.asm) or json\n"
    "                      (DIR/program.json); see docs/isa.md\n"
    "  -o, --output FILE   results file with the mapping, streams and report\n"
    "                      (default results/MODEL-ARCH-compile-MODE.h5;\n"
    "                      docs/hdf5-schema.md)\n"
    "  --no-store          do not write a results file\n"
    "  --json              print one JSON object instead of a summary\n"
    "  -h, --help          this text\n";

static void compile_json(const pt_map_ctx *c, const pt_mapping *m,
                         const pt_program *p, const pt_prof_report *prof) {
  pt_prog_stats st;
  pt_prog_stats_of(p, &st);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "mode", pt_mode_name(m->mode));
  cJSON_AddNumberToObject(o, "cores_used", st.cores_used);
  cJSON *r = cJSON_AddArrayToObject(o, "replication");
  for (int l = 0; l < c->nlayers; l++) {
    cJSON *x = cJSON_CreateObject();
    cJSON_AddStringToObject(x, "layer", c->g->n[c->node[l]].name);
    cJSON_AddNumberToObject(x, "factor", m->repl[l]);
    cJSON_AddStringToObject(x, "unfold", pt_unfold_name(m->unfold[l]));
    const pt_part *pp = pt_map_part(c, l, m->unfold[l]);
    cJSON_AddNumberToObject(x, "windows", (double)pp->steps);
    cJSON_AddNumberToObject(x, "ags", (double)pp->ags);
    // Rounds: the windows of the busiest copy, the layer's time in a
    // period in units of one mvm round.
    cJSON_AddNumberToObject(x, "rounds",
                            (double)pt_ceil_div(pp->steps, m->repl[l]));
    if (m->mode == PT_MODE_HT)
      cJSON_AddNumberToObject(x, "group", p->group[c->node[l]]);
    cJSON_AddItemToArray(r, x);
  }
  cJSON *ins = cJSON_AddObjectToObject(o, "instructions");
  for (int k = 0; k < PT_I_COUNT; k++)
    cJSON_AddNumberToObject(ins, pt_iop_names[k], (double)st.n[k]);
  cJSON *b = cJSON_AddObjectToObject(o, "bytes");
  cJSON_AddNumberToObject(b, "load", (double)st.load_bytes);
  cJSON_AddNumberToObject(b, "store", (double)st.store_bytes);
  cJSON_AddNumberToObject(b, "send", (double)st.send_bytes);
  if (m->mode == PT_MODE_HT) {
    cJSON_AddNumberToObject(o, "groups", p->ngroups);
  } else {
    cJSON_AddNumberToObject(o, "rounds", (double)p->rounds);
    cJSON_AddNumberToObject(o, "stalls", (double)p->stalls);
  }
  cJSON *pc = cJSON_AddArrayToObject(o, "per_core");
  for (int i = 0; i < p->ncores; i++) {
    const pt_stream *s = &p->core[i];
    if (!s->n)
      continue;
    int64_t mvm = 0;
    for (int64_t k = 0; k < s->n; k++)
      mvm += s->v[k].op == PT_I_MVM;
    cJSON *x = cJSON_CreateObject();
    cJSON_AddNumberToObject(x, "core", i);
    cJSON_AddNumberToObject(x, "instructions", (double)s->n);
    cJSON_AddNumberToObject(x, "mvm", (double)mvm);
    cJSON_AddNumberToObject(x, "peak_local_bytes", (double)s->peak_local_bytes);
    cJSON_AddItemToArray(pc, x);
  }
  if (prof)
    cJSON_AddItemToObject(o, "profile", pt_prof_report_json(prof, false));
  char *txt = cJSON_PrintUnformatted(o);
  puts(txt);
  free(txt);
  cJSON_Delete(o);
}

static void compile_summary(const pt_map_ctx *c, const pt_mapping *m,
                            const pt_program *p, const pt_prof_report *r) {
  pt_prog_stats st;
  pt_prog_stats_of(p, &st);
  int64_t total = 0, peak = 0;
  for (int k = 0; k < PT_I_COUNT; k++)
    total += st.n[k];
  for (int i = 0; i < p->ncores; i++)
    if (p->core[i].peak_local_bytes > peak)
      peak = p->core[i].peak_local_bytes;
  printf("%s on %s, %s mode: %d of %d cores, %lld instructions%s\n",
         c->g->name, c->a->name, pt_mode_name(m->mode), st.cores_used,
         p->ncores, (long long)total,
         m->mode == PT_MODE_HT ? " per period" : " per inference");
  printf("  ");
  for (int k = 0; k < PT_I_COUNT; k++)
    printf("%s %lld%s", pt_iop_names[k], (long long)st.n[k],
           k + 1 < PT_I_COUNT ? ", " : "\n");
  printf("  bytes: load %lld, store %lld, send %lld; peak local memory %lld "
         "of %lld bytes\n", (long long)st.load_bytes,
         (long long)st.store_bytes, (long long)st.send_bytes, (long long)peak,
         (long long)p->local_capacity);
  if (m->mode == PT_MODE_HT)
    printf("  %d pipeline groups\n", p->ngroups);
  else
    printf("  %lld rounds, %lld stalled by flow control\n",
           (long long)p->rounds, (long long)p->stalls);
  printf("  replication:");
  for (int l = 0; l < c->nlayers; l++)
    printf(" %d", m->repl[l]);
  printf("\n");
  if (!r)
    return;
  if (m->mode == PT_MODE_HT)
    printf("  profiled: %.4g samples/s (period %.4g ms), first sample after "
           "%.4g ms, %.4g mJ per sample\n", r->throughput_sps,
           r->period_s * 1e3, r->first_latency_s * 1e3, r->energy_j * 1e3);
  else
    printf("  profiled: latency %.4g ms (%.4g samples/s), %.4g mJ per "
           "sample\n", r->latency_s * 1e3, r->throughput_sps,
           r->energy_j * 1e3);
  printf("  crossbar utilisation %.1f%%, global memory %lld bytes, NoC %lld "
         "bytes\n", 100 * r->crossbar_utilisation,
         (long long)r->global_bytes, (long long)r->noc_bytes);
}

// The results file of a compile: one run, one point (record.c).
static int compile_store(const char *path, const pt_map_ctx *c,
                         const pt_mapping *m, const pt_program *p,
                         const pt_prof_report *r, int repl, pt_error *err) {
  pt_h5w *w = rec_open(path, "compile", 0, c, err);
  if (!w)
    return -1;
  double v[PT_OBJ_COUNT] = {0};
  if (r) {
    v[PT_OBJ_THROUGHPUT] = r->throughput_sps;
    v[PT_OBJ_LATENCY] = m->mode == PT_MODE_HT ? r->first_latency_s
                                              : r->latency_s;
    v[PT_OBJ_ENERGY] = r->energy_j;
    v[PT_OBJ_EDP] = r->energy_j * v[PT_OBJ_LATENCY];
    int64_t xb = 0;
    for (int l = 0; l < c->nlayers; l++)
      xb += m->repl[l] * pt_map_part(c, l, m->unfold[l])->crossbars;
    v[PT_OBJ_AREA] = (double)xb;
  }
  int bad = pt_h5w_run_str(w, "replication", pt_repl_name(repl)) ||
            pt_h5w_run_str(w, "mode", pt_mode_name(m->mode)) ||
            pt_h5w_run_num(w, "best_point", 0) ||
            rec_point(w, 0, pt_repl_name(repl), "compile", c, m, p, r, NULL,
                      r ? v : NULL, NULL, -1, err);
  if (!bad && r) {
    // The front of one point, over throughput, latency and energy.
    static const pt_obj fo[3] = {PT_OBJ_THROUGHPUT, PT_OBJ_LATENCY,
                                 PT_OBJ_ENERGY};
    pt_h5_objs o = {.k = 3};
    double fv[3];
    for (int j = 0; j < 3; j++) {
      o.name[j] = pt_obj_name(fo[j]);
      o.unit[j] = pt_obj_unit(fo[j]);
      o.maximised[j] = pt_obj_maximised(fo[j]);
      fv[j] = v[fo[j]];
    }
    bad = pt_h5w_front(w, &o, 1, fv, &m, c, err);
  }
  if (bad) {
    if (!err->msg[0])
      pt_errorf(err, "%s: cannot write the results file", path);
    pt_h5w_abort(w);
    return -1;
  }
  return rec_commit(w, err);
}

static int cmd_compile(int argc, char **argv) {
  static const struct option opts[] = {
      COMMON_LONG_OPTIONS,
      MAPPING_LONG_OPTIONS,
      {"emit", required_argument, 0, 'e'},
      {"no-grouping", no_argument, 0, 'G'},
      {"check", no_argument, 0, 'c'},
      {"no-profile", no_argument, 0, 'P'},
      {"output", required_argument, 0, 'o'},
      {"no-store", no_argument, 0, 'N'},
      {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  common_opts co = COMMON_OPTS_INIT;
  const char *emit_kind = NULL, *emit_dir = NULL, *out = NULL;
  int grouping = 1, check = 0, profile = 1, store = 1, c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
    int r = cli_common_option(c, &co, "compile");
    if (r < 0)
      return EXIT_ERR;
    if (r > 0)
      continue;
    switch (c) {
    case 'e':
      emit_kind = optarg;
      if (strcmp(optarg, "asm") && strcmp(optarg, "json"))
        return cli_usage("compile", "unknown --emit kind '%s' (asm or json)",
                           optarg);
      if (optind >= argc)
        return cli_usage("compile", "%s", "--emit needs a directory");
      emit_dir = argv[optind++];
      break;
    case 'G':
      grouping = 0;
      break;
    case 'c':
      check = 1;
      break;
    case 'P':
      profile = 0;
      break;
    case 'o':
      out = optarg;
      break;
    case 'N':
      store = 0;
      break;
    case 'h':
      printf(compile_help, pt_unfold_list());
      return EXIT_OK;
    default:
      return cli_usage("compile", "unknown or incomplete option '%s'",
                         argv[optind - 1]);
    }
  }
  if (optind != argc - 1)
    return cli_usage("compile", "%s", "expected exactly one MODEL file");
  if (out && !store)
    return cli_usage("compile", "%s", "-o and --no-store contradict");
  const char *arch_path = co.arch_path;
  int unfold = co.unfold, json = co.json, repl = co.repl;
  pt_mode mode = co.mode;
  overrides sets = co.sets;

  pt_error err = {{0}};
  pt_graph *g = NULL;
  pt_arch arch;
  if (cli_load_inputs(argv[optind], arch_path, &sets, &g, &arch, &err))
    return cli_fail(&err);
  pt_map_ctx ctx;
  pt_mapping *m = NULL;
  pt_program *p = NULL;
  int rc = EXIT_ERR;
  char store_path[4096];
  if (store && rec_path(out, g, &arch,
                        mode == PT_MODE_HT ? "compile-ht" : "compile-ll",
                        store_path, sizeof store_path, &err)) {
    pt_graph_free(g);
    return cli_fail(&err);
  }
  if (pt_map_ctx_init(&ctx, g, &arch, &err)) {
    pt_graph_free(g);
    return cli_fail(&err);
  }
  m = pt_map_new(&ctx);
  m->ht_grouping = grouping;
  if (pt_map_heuristic(m, &ctx, unfold, repl, mode, &err) ||
      pt_schedule(&ctx, m, &p, &err)) {
    pt_error_prefix(&err, "%s on %s: ", g->name, arch.name);
    cli_fail(&err);
    goto out;
  }
  if (check) {
    pt_check_report rep;
    if (pt_prog_check(p, g, &rep, &err)) {
      fprintf(stderr, "pimtune: check failed: %s\n", err.msg);
      rc = 1;
      goto out;
    }
    fprintf(stderr, "pimtune: check passed: %lld instructions executed, "
            "%lld output bytes each stored once\n", (long long)rep.executed,
            (long long)rep.stored_bytes);
  }
  if (emit_kind && (!strcmp(emit_kind, "asm")
                        ? pt_lower_asm(p, g, emit_dir, &err)
                        : pt_lower_json(p, g, emit_dir, &err))) {
    cli_fail(&err);
    goto out;
  }
  pt_prof_report prof = {0};
  if (profile && pt_prof_run(p, g, &arch, NULL, &prof, &err)) {
    pt_error_prefix(&err, "profiling %s on %s: ", g->name, arch.name);
    cli_fail(&err);
    goto out;
  }
  if (store && compile_store(store_path, &ctx, m, p, profile ? &prof : NULL,
                            repl, &err)) {
    cli_fail(&err);
    pt_prof_report_free(&prof);
    goto out;
  }
  if (json)
    compile_json(&ctx, m, p, profile ? &prof : NULL);
  else
    compile_summary(&ctx, m, p, profile ? &prof : NULL);
  pt_prof_report_free(&prof);
  rc = EXIT_OK;
out:
  pt_prog_free(p);
  pt_map_free(m);
  pt_map_ctx_free(&ctx);
  pt_graph_free(g);
  return rc;
}

// ---------------------------------------------------------------------------
// pimtune verify

static const char verify_help[] =
    "usage: pimtune verify MODEL [--arch FILE] [--mode ht|ll]\n"
    "                      [--replication H] [--unfold FORMAT] [--set K=V]\n"
    "                      [--input X.pb ... [--expect Y.pb]] [--tolerance T]\n"
    "                      [--seed N] [--fixed-point] [--json]\n"
    "\n"
    "Compile the model as `pimtune compile` does, execute the instruction\n"
    "streams on real data (every mvm multiplies by the weights its array\n"
    "group holds, every transfer moves real values) and compare the result\n"
    "with a golden inference on the CPU. A structure-only model gets seeded\n"
    "random weights (said so). Exit status: 0 pass, 1 mismatch, 2 error.\n"
    "\n"
    "  --input X.pb      a graph input as a serialized ONNX TensorProto, one\n"
    "                    per graph input in order (default: seeded uniform\n"
    "                    random values in [-1, 1))\n"
    "  --expect Y.pb     the expected first output (e.g. from PyTorch); the\n"
    "                    golden inference must match it too (needs --input\n"
    "                    and the model's weights)\n"
    "  --tolerance T     pass when |streams - golden| <= T x max(1, max\n"
    "                    |golden|) for the outputs and every layer seen whole\n"
    "                    (default 1e-4)\n"
    "  --seed N          seed of random inputs and weights (default 1)\n"
    "  --fixed-point     also run with weights and activations rounded to the\n"
    "                    chip's precision and report the error against float\n"
    "  (--arch, --mode, --replication, --unfold, --set: as for compile)\n"
    "  --json            print one JSON object\n";

static int cmd_verify(int argc, char **argv) {
  static const struct option opts[] = {
      COMMON_LONG_OPTIONS,
      MAPPING_LONG_OPTIONS,
      {"input", required_argument, 0, 'i'},
      {"expect", required_argument, 0, 'e'},
      {"tolerance", required_argument, 0, 't'},
      {"seed", required_argument, 0, 'S'},
      {"fixed-point", no_argument, 0, 'F'},
      {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  common_opts co = COMMON_OPTS_INIT;
  const char *inputs[PT_MAX_IN], *expect = NULL;
  int ninputs = 0, c;
  pt_verify_opts vo = pt_verify_defaults();
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    int r = cli_common_option(c, &co, "verify");
    if (r < 0)
      return EXIT_ERR;
    if (r > 0)
      continue;
    char *end;
    switch (c) {
    case 'i':
      if (ninputs == PT_MAX_IN)
        return cli_usage("verify", "%s", "too many --input files");
      inputs[ninputs++] = optarg;
      break;
    case 'e':
      expect = optarg;
      break;
    case 't':
      vo.tol = strtod(optarg, &end);
      if (*end || !(vo.tol > 0))
        return cli_usage("verify", "--tolerance expects a positive number, "
                           "got '%s'", optarg);
      break;
    case 'S':
      vo.seed = strtoul(optarg, &end, 10);
      if (*end || !*optarg)
        return cli_usage("verify", "--seed expects a whole number, got "
                           "'%s'", optarg);
      break;
    case 'F':
      vo.fixed_point = true;
      break;
    case 'h':
      printf(verify_help);
      return EXIT_OK;
    default:
      return cli_usage("verify", "unknown or incomplete option '%s'",
                         argv[optind - 1]);
    }
  }
  if (optind != argc - 1)
    return cli_usage("verify", "%s", "expected exactly one MODEL file");
  if (expect && !ninputs)
    return cli_usage("verify", "%s", "--expect needs --input");
  pt_mode mode = co.mode;

  pt_error err = {{0}};
  pt_graph *g = NULL;
  pt_arch arch;
  if (cli_load_inputs(argv[optind], co.arch_path, &co.sets, &g, &arch, &err))
    return cli_fail(&err);
  int rc = EXIT_ERR;
  float *in[PT_MAX_IN] = {0}, *want = NULL, *golden[PT_MAX_OUT] = {0};
  if (expect && !g->has_weights) {
    pt_errorf(&err, "%s: the model has no weights (structure only), so "
              "--expect cannot match; put its weights file beside it",
              g->path);
    goto out;
  }
  if (ninputs && ninputs != g->ninputs) {
    pt_errorf(&err, "%s: the model has %d inputs, %d --input given", g->path,
              g->ninputs, ninputs);
    goto out;
  }
  for (int i = 0; i < ninputs; i++) {
    int64_t dims[PT_MAX_DIMS];
    int nd;
    in[i] = pt_onnx_read_tensor(inputs[i], dims, &nd, &err);
    if (!in[i])
      goto out;
    int64_t n = 1;
    for (int k = 0; k < nd; k++)
      n *= dims[k];
    if (n != pt_tensor_numel(&g->t[g->inputs[i]])) {
      pt_errorf(&err, "%s: %lld values, input '%s' has %lld", inputs[i],
                (long long)n, g->t[g->inputs[i]].name,
                (long long)pt_tensor_numel(&g->t[g->inputs[i]]));
      goto out;
    }
  }
  if (ninputs)
    vo.inputs = (const float *const *)in;
  pt_verify_report vr;
  if (pt_verify(g, &arch, co.unfold, co.repl, mode, &vo, &vr, &err)) {
    pt_error_prefix(&err, "%s on %s: ", g->name, arch.name);
    goto out;
  }
  // Against the expected tensor: the golden inference on the same input.
  double expect_err = -1;
  bool pass = vr.pass;
  if (expect) {
    int64_t dims[PT_MAX_DIMS];
    int nd;
    want = pt_onnx_read_tensor(expect, dims, &nd, &err);
    if (!want)
      goto out;
    const pt_tensor *o = &g->t[g->outputs[0]];
    int64_t n = 1;
    for (int k = 0; k < nd; k++)
      n *= dims[k];
    if (n != pt_tensor_numel(o)) {
      pt_errorf(&err, "%s: %lld values, output '%s' has %lld", expect,
                (long long)n, o->name, (long long)pt_tensor_numel(o));
      goto out;
    }
    for (int i = 0; i < g->noutputs; i++)
      golden[i] = pt_malloc(pt_tensor_numel(&g->t[g->outputs[i]]) *
                            sizeof *golden[i]);
    if (pt_ref_run(g, (const float *const *)in, golden, &err))
      goto out;
    double big = 1;
    expect_err = 0;
    for (int64_t k = 0; k < n; k++) {
      double d = fabs((double)golden[0][k] - want[k]);
      if (d > expect_err)
        expect_err = d;
      if (fabs(want[k]) > big)
        big = fabs(want[k]);
    }
    pass = pass && expect_err <= vo.tol * big;
  }
  if (co.json) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "pass", pass);
    cJSON_AddNumberToObject(o, "max_abs_err", vr.max_abs_err);
    cJSON_AddNumberToObject(o, "max_rel_err", vr.max_rel_err);
    cJSON_AddNumberToObject(o, "outputs", (double)vr.outputs);
    cJSON_AddNumberToObject(o, "instructions_executed",
                            (double)vr.instructions_executed);
    cJSON_AddStringToObject(o, "mode", pt_mode_name(mode));
    cJSON_AddBoolToObject(o, "random_weights", vr.random_weights);
    cJSON_AddNumberToObject(o, "layers_compared", vr.layers_compared);
    if (expect)
      cJSON_AddNumberToObject(o, "expect_max_abs_err", expect_err);
    if (vo.fixed_point)
      cJSON_AddNumberToObject(o, "fixed_point_max_rel_err",
                              vr.fixed_max_rel_err);
    if (!vr.pass)
      cJSON_AddStringToObject(o, "reason", vr.reason);
    char *txt = cJSON_PrintUnformatted(o);
    puts(txt);
    free(txt);
    cJSON_Delete(o);
  } else {
    printf("%s on %s, %s mode: %s\n", g->name, arch.name,
           pt_mode_name(mode), pass ? "PASS" : "FAIL");
    if (vr.random_weights)
      printf("  (structure-only model: seeded random weights, seed %lu)\n",
             vo.seed);
    printf("  %lld outputs, max abs error %.3g, max rel error %.3g "
           "(tolerance %g); %lld instructions executed, %d layers compared\n",
           (long long)vr.outputs, vr.max_abs_err, vr.max_rel_err, vo.tol,
           (long long)vr.instructions_executed, vr.layers_compared);
    if (expect)
      printf("  golden vs %s: max abs error %.3g\n", expect, expect_err);
    if (vo.fixed_point)
      printf("  fixed point (%d-bit weights, %d-bit activations): max rel "
             "error %.3g\n", arch.weight_bits, arch.act_bits,
             vr.fixed_max_rel_err);
    if (!vr.pass)
      printf("  %s\n", vr.reason);
  }
  rc = pass ? EXIT_OK : 1;
out:
  if (rc == EXIT_ERR)
    cli_fail(&err);
  for (int i = 0; i < PT_MAX_IN; i++)
    free(in[i]);
  for (int i = 0; i < PT_MAX_OUT; i++)
    free(golden[i]);
  free(want);
  pt_graph_free(g);
  return rc;
}

typedef struct {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
} command;

static const command commands[] = {
    {"tune", pt_cmd_tune, "search mappings for an objective (the default)"},
    {"info", cmd_info, "per-layer crossbar needs and whether the model fits"},
    {"compile", cmd_compile, "build per-core instruction streams"},
    {"verify", cmd_verify, "execute the streams and compare with the CPU"},
    {"show", pt_cmd_show, "summarise a results file"},
    {"export", pt_cmd_export, "write schedules as asm, JSON or pimsim-nn input"},
    {"plot", pt_cmd_plot, "draw a results file with gnuplot"},
    {"sweep", pt_cmd_sweep, "run tunes over models x chips x parameters"},
};
enum { NCOMMANDS = sizeof commands / sizeof commands[0] };

static void main_help(void) {
  FILE *f = stdout;
  fprintf(f,
          "pimtune %s: compile and autotune DNNs for crossbar PIM chips\n"
          "\n"
          "usage: pimtune [tune] MODEL [options]\n"
          "       pimtune COMMAND [options]   ('pimtune COMMAND --help')\n"
          "\n"
          "commands:\n",
          PT_VERSION);
  for (int i = 0; i < NCOMMANDS; i++)
    fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
  fprintf(f, "\nMODEL is an ONNX file (as exported by PyTorch) or a "
             "PIMCOMP-NN JSON model.\n"
             "Chip descriptions: configs/arch/*.json (docs/config.md).\n");
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: pimtune [tune] MODEL [options] | pimtune COMMAND "
            "[options] (see 'pimtune --help')\n");
    return EXIT_ERR;
  }
  rec_set_command_line(argc, argv);
  const char *first = argv[1];
  if (!strcmp(first, "-h") || !strcmp(first, "--help")) {
    main_help();
    return EXIT_OK;
  }
  if (!strcmp(first, "--version")) {
    printf("pimtune %s\n", PT_VERSION);
    return EXIT_OK;
  }
  for (int i = 0; i < NCOMMANDS; i++)
    if (!strcmp(first, commands[i].name))
      return commands[i].run(argc - 1, argv + 1);
  if (first[0] == '-') {
    fprintf(stderr, "pimtune: unknown option '%s' (see 'pimtune --help')\n",
            first);
    return EXIT_ERR;
  }
  // `pimtune MODEL ...` is `pimtune tune MODEL ...`.
  return pt_cmd_tune(argc, argv);
}
