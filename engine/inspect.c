// Commands over results files: show (a summary, or the file described as
// JSON), export (a point's streams as asm, JSON or pimsim-nn input) and
// plot (gnuplot pictures, scripts in plots/). The file is read through
// results/store.h; nothing here knows HDF5.
#define _GNU_SOURCE
#include "commands.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "../results/pimsim.h"
#include "../results/store.h"
#include "cli.h"

extern char **environ;

static double num(const cJSON *o, const char *k, double dflt) {
  const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsNumber(x) ? x->valuedouble : dflt;
}

static const char *str(const cJSON *o, const char *k, const char *dflt) {
  const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(x) ? x->valuestring : dflt;
}

// ---------------------------------------------------------------------------
// pimtune show

static const char show_help[] =
    "usage: pimtune show FILE.h5 [--json]\n"
    "\n"
    "Summarise a results file written by tune, compile or sweep: its runs,\n"
    "their objectives and Pareto front, the profiled points (best of each\n"
    "objective, front, heuristics) and where each point's instruction\n"
    "streams are in the file (docs/hdf5-schema.md).\n"
    "\n"
    "  --json      the whole file but the streams as one JSON object\n"
    "  -h, --help  this text\n";

static void show_point(const cJSON *p) {
  int same = (int)num(p, "same_as", -1);
  printf("  %3d  %-18s %-3s ", (int)num(p, "index", 0), str(p, "label", ""),
         str(p, "mode", ""));
  if (!num(p, "ok", 0)) {
    printf("failed: %s\n", str(p, "error", ""));
    return;
  }
  printf("%12.4g %12.4g %12.4g %10.0f", num(p, "throughput_sps", NAN),
         num(p, "latency_s", NAN) * 1e3, num(p, "energy_j", NAN) * 1e3,
         num(p, "crossbars", NAN));
  if (same >= 0)
    printf("   same mapping as point %d\n", same);
  else if (cJSON_GetObjectItem(p, "streams"))
    printf("   %s (%d cores, %.0f instructions)\n", str(p, "streams", ""),
           (int)num(p, "cores", 0), num(p, "instructions", 0));
  else
    printf("\n");
}

static void show_run(const cJSON *r) {
  printf("\nrun %s: %s on %s", str(r, "id", "?"), str(r, "model", "?"),
         str(r, "arch_name", "?"));
  if (cJSON_GetObjectItem(r, "objective"))
    printf(", %s (%s), %s search, %.0f evaluations in %.2f s, seed %.0f, "
           "stopped by %s", str(r, "search_objectives", ""), str(r, "modes", ""),
           str(r, "strategy", ""), num(r, "evaluations", 0),
           num(r, "wall_s", 0), num(r, "seed", 0), str(r, "stopped_by", ""));
  else if (cJSON_GetObjectItem(r, "replication"))
    printf(", compiled with %s replication (%s)", str(r, "replication", ""),
           str(r, "mode", ""));
  printf("%s\n", cJSON_IsTrue(cJSON_GetObjectItem(r, "complete"))
                     ? ""
                     : "  [INCOMPLETE]");
  const cJSON *o = cJSON_GetObjectItem(r, "objectives");
  if (cJSON_IsObject(o)) {
    const cJSON *names = cJSON_GetObjectItem(o, "names");
    const cJSON *units = cJSON_GetObjectItem(o, "units");
    const cJSON *dirs = cJSON_GetObjectItem(o, "directions");
    const cJSON *vals = cJSON_GetObjectItem(o, "values");
    printf("  Pareto front: %d points over", cJSON_GetArraySize(vals));
    for (int j = 0; j < cJSON_GetArraySize(names); j++)
      printf("%s %s (%s, %s)", j ? "," : "",
             cJSON_GetArrayItem(names, j)->valuestring,
             cJSON_GetArrayItem(units, j)->valuestring,
             cJSON_GetArrayItem(dirs, j)->valuestring);
    printf("; /runs/%s/pareto/objectives\n", str(r, "id", "?"));
    int n = cJSON_GetArraySize(vals);
    for (int i = 0; i < n && i < 10; i++) {
      const cJSON *row = cJSON_GetArrayItem(vals, i);
      printf("    ");
      for (int j = 0; j < cJSON_GetArraySize(row); j++)
        printf(" %12.4g", cJSON_GetArrayItem(row, j)->valuedouble);
      printf("\n");
    }
    if (n > 10)
      printf("     ... %d more\n", n - 10);
  }
  const cJSON *pts = cJSON_GetObjectItem(r, "points");
  printf("  points (profiled):\n  %3s  %-18s %-4s%12s %12s %12s %10s   %s\n",
         "#", "label", "mode", "samples/s", "latency ms", "energy mJ",
         "crossbars", "streams");
  const cJSON *p;
  cJSON_ArrayForEach(p, pts) show_point(p);
}

int pt_cmd_show(int argc, char **argv) {
  static const struct option opts[] = {{"json", no_argument, 0, 'j'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  int json = 0, c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    if (c == 'j')
      json = 1;
    else if (c == 'h') {
      printf(show_help);
      return EXIT_OK;
    } else
      return cli_usage("show", "unknown or incomplete option '%s'",
                       argv[optind - 1]);
  }
  if (optind != argc - 1)
    return cli_usage("show", "%s", "expected exactly one FILE.h5");
  pt_error err = {{0}};
  cJSON *d = pt_h5_describe(argv[optind], &err);
  if (!d)
    return cli_fail(&err);
  if (json) {
    char *txt = cJSON_PrintUnformatted(d);
    puts(txt);
    free(txt);
  } else {
    printf("%s: pimtune %s %s, created %s, seed %.0f\n  %s\n",
           argv[optind], str(d, "pimtune_version", "?"), str(d, "kind", "?"),
           str(d, "created", "?"), num(d, "seed", 0),
           str(d, "command_line", ""));
    const cJSON *sw = cJSON_GetObjectItem(d, "sweep");
    if (sw) {
      const cJSON *pts = cJSON_GetObjectItem(sw, "points"), *p;
      int done = 0, failed = 0;
      cJSON_ArrayForEach(p, pts) {
        bool ok = !strcmp(str(p, "status", ""), "done");
        done += ok;
        failed += !ok;
      }
      printf("sweep: %d points recorded (%d done, %d failed) of %.0f\n",
             done + failed, done, failed,
             num(sw, "total", num(cJSON_GetObjectItem(sw, "definition"),
                                  "points", done + failed)));
      cJSON_ArrayForEach(p, pts) {
        printf("  %-6s %-7s %s", str(p, "id", ""), str(p, "status", ""),
               str(p, "label", ""));
        if (strcmp(str(p, "status", ""), "done"))
          printf(": %s", str(p, "error", ""));
        printf("\n");
      }
    }
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItem(d, "runs")) show_run(r);
  }
  cJSON_Delete(d);
  return EXIT_OK;
}

// ---------------------------------------------------------------------------
// pimtune export

static const char export_help[] =
    "usage: pimtune export FILE.h5 [--run ID] [--point K]\n"
    "                      --format asm|json|pimsim -o DIR\n"
    "\n"
    "Write the instruction streams of one stored point: asm (DIR/core<N>.asm)\n"
    "and json (DIR/program.json) as `compile --emit` writes them (docs/isa.md),\n"
    "or pimsim: the input of the pimsim-nn simulator, DIR/instructions.json\n"
    "with the chip config DIR/arch.json and its NoC table DIR/network.json\n"
    "(docs/export.md).\n"
    "\n"
    "  --run ID     the run (default: the first; `pimtune show` lists them)\n"
    "  --point K    the point (default: the run's best, point 0)\n"
    "  --format F   asm, json or pimsim\n"
    "  -o DIR       output directory (created if missing)\n"
    "  -h, --help   this text\n";

// Simulated time for pimsim: ten HT periods, or twice the LL latency.
static double sim_time_ms(const char *path, const char *run, int point) {
  pt_error err = {{0}};
  cJSON *d = pt_h5_describe(path, &err);
  double t = -1;
  const cJSON *r;
  cJSON_ArrayForEach(r, cJSON_GetObjectItem(d, "runs")) {
    if (strcmp(str(r, "id", ""), run))
      continue;
    const cJSON *p = cJSON_GetArrayItem(cJSON_GetObjectItem(r, "points"),
                                        point);
    int same = (int)num(p, "same_as", -1);
    if (same >= 0)
      p = cJSON_GetArrayItem(cJSON_GetObjectItem(r, "points"), same);
    const cJSON *rep = cJSON_GetObjectItem(p, "report");
    if (!rep)
      break;
    t = !strcmp(str(rep, "mode", "ht"), "ll")
            ? 2e3 * num(rep, "latency_s", 0)
            : 10e3 * num(rep, "period_s", 0);
  }
  cJSON_Delete(d);
  return t > 0 ? t : -1;
}

int pt_cmd_export(int argc, char **argv) {
  static const struct option opts[] = {{"run", required_argument, 0, 'r'},
                                       {"point", required_argument, 0, 'k'},
                                       {"format", required_argument, 0, 'f'},
                                       {"output", required_argument, 0, 'o'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  const char *run = NULL, *format = NULL, *dir = NULL;
  int point = 0, c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
    char *end;
    switch (c) {
    case 'r':
      run = optarg;
      break;
    case 'k':
      point = (int)strtol(optarg, &end, 10);
      if (end == optarg || *end || point < 0)
        return cli_usage("export", "--point expects a point number >= 0, "
                         "got '%s'", optarg);
      break;
    case 'f':
      if (strcmp(optarg, "asm") && strcmp(optarg, "json") &&
          strcmp(optarg, "pimsim"))
        return cli_usage("export", "unknown --format '%s' (asm, json or "
                         "pimsim)", optarg);
      format = optarg;
      break;
    case 'o':
      dir = optarg;
      break;
    case 'h':
      printf(export_help);
      return EXIT_OK;
    default:
      return cli_usage("export", "unknown or incomplete option '%s'",
                       argv[optind - 1]);
    }
  }
  if (optind != argc - 1)
    return cli_usage("export", "%s", "expected exactly one FILE.h5");
  if (!format)
    return cli_usage("export", "%s", "--format asm|json|pimsim is required");
  if (!dir)
    return cli_usage("export", "%s", "-o DIR is required");
  const char *path = argv[optind];
  pt_error err = {{0}};
  pt_program *p;
  pt_graph *names;
  char *arch_json, run_id[256];
  if (pt_h5_load_program(path, run, point, &p, &names, &arch_json, run_id,
                         sizeof run_id, &err))
    return cli_fail(&err);
  int rc = EXIT_ERR;
  pt_arch arch;
  if (mkdir(dir, 0777) && errno != EEXIST) {
    pt_errorf(&err, "%s: cannot create the output directory: %s", dir,
              strerror(errno));
  } else if (access(dir, W_OK | X_OK)) {
    pt_errorf(&err, "%s: cannot write in the output directory: %s", dir,
              strerror(errno));
  } else if (!strcmp(format, "asm")) {
    rc = pt_lower_asm(p, names, dir, &err) ? EXIT_ERR : EXIT_OK;
  } else if (!strcmp(format, "json")) {
    rc = pt_lower_json(p, names, dir, &err) ? EXIT_ERR : EXIT_OK;
  } else if (pt_arch_parse(arch_json, path, &arch, &err)) {
    pt_error_prefix(&err, "/runs/%s/arch: ", run_id);
  } else {
    rc = pt_lower_pimsim(p, &arch, dir, sim_time_ms(path, run_id, point),
                         &err)
             ? EXIT_ERR
             : EXIT_OK;
  }
  if (rc != EXIT_OK)
    cli_fail(&err);
  pt_prog_free(p);
  pt_graph_free(names);
  free(arch_json);
  return rc;
}

// ---------------------------------------------------------------------------
// pimtune plot

static const char plot_help[] =
    "usage: pimtune plot FILE.h5 -o DIR\n"
    "\n"
    "Draw a results file with gnuplot (scripts in plots/), as PNG and SVG:\n"
    "  front        the Pareto front: throughput against energy, latency as\n"
    "               colour, the profiled points labelled\n"
    "  convergence  best of each searched objective against evaluations\n"
    "  replication  copies of each weight layer in the best point (and the\n"
    "               balance heuristic)\n"
    "  utilisation  crossbar utilisation of each core of the best point, on\n"
    "               the chip's mesh\n"
    "  sweep        (sweep files) the best of each point's objective across\n"
    "               the swept parameters\n"
    "Runs of a sweep get their id as a prefix (DIR/<id>-front.png ...).\n"
    "\n"
    "  -o DIR      output directory (created if missing)\n"
    "  -h, --help  this text\n";

static const char *plots_dir(char *buf, size_t len) {
  if (access("plots/front.gp", R_OK) == 0)
    return "plots";
  snprintf(buf, len, "%s/plots", PT_SOURCE_DIR);
  return buf;
}

// gnuplot -e "data='...';out='...';fmt='png';..." SCRIPT, no shell.
static int gnuplot(const char *script, const char *vars, pt_error *err) {
  char *args[] = {"gnuplot", "-e", (char *)vars, (char *)script, NULL};
  pid_t pid;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY,
                                   0);
  int e = posix_spawnp(&pid, "gnuplot", &fa, NULL, args, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (e)
    return pt_errorf(err, "cannot run gnuplot: %s (apt-get install "
                     "gnuplot-nox)", strerror(e));
  int st;
  if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
    return pt_errorf(err, "gnuplot failed on %s", script);
  return 0;
}

static int draw(const char *pdir, const char *name, const char *data,
                const char *out, const char *extra, pt_error *err) {
  char script[4200], vars[8192];
  snprintf(script, sizeof script, "%s/%s.gp", pdir, name);
  for (int f = 0; f < 2; f++) {
    snprintf(vars, sizeof vars, "plotdir='%s'; data='%s'; out='%s.%s'; "
             "fmt='%s'; %s", pdir, data, out, f ? "svg" : "png",
             f ? "svg" : "png", extra);
    if (gnuplot(script, vars, err))
      return -1;
  }
  return 0;
}

static int column_of(const cJSON *names, const char *name) {
  for (int j = 0; j < cJSON_GetArraySize(names); j++)
    if (!strcmp(cJSON_GetArrayItem(names, j)->valuestring, name))
      return j;
  return -1;
}

// The best point of a run: its "best_point" (0 by default), following
// same_as.
static const cJSON *best_point(const cJSON *r) {
  const cJSON *pts = cJSON_GetObjectItem(r, "points");
  const cJSON *p = cJSON_GetArrayItem(pts, (int)num(r, "best_point", 0));
  int same = (int)num(p, "same_as", -1);
  return same >= 0 ? cJSON_GetArrayItem(pts, same) : p;
}

static FILE *open_data(const char *path, pt_error *err) {
  FILE *f = fopen(path, "w");
  if (!f)
    pt_errorf(err, "%s: cannot write: %s", path, strerror(errno));
  return f;
}

static int plot_run(const cJSON *r, const char *dir, const char *prefix,
                    const char *pdir, int *drawn, pt_error *err) {
  char data[4200], out[4200], extra[512];
  // Front: throughput, energy, latency (analytic), then profiled points.
  const cJSON *o = cJSON_GetObjectItem(r, "objectives");
  const cJSON *names = cJSON_GetObjectItem(o, "names");
  int ct = column_of(names, "throughput"), ce = column_of(names, "energy"),
      cl = column_of(names, "latency");
  const cJSON *vals = cJSON_GetObjectItem(o, "values");
  if (cJSON_GetArraySize(vals) > 0 && ct >= 0 && ce >= 0) {
    snprintf(data, sizeof data, "%s/%sfront.dat", dir, prefix);
    FILE *f = open_data(data, err);
    if (!f)
      return -1;
    fprintf(f, "# throughput_sps energy_mJ latency_ms (analytic front)\n");
    const cJSON *row;
    cJSON_ArrayForEach(row, vals) fprintf(
        f, "%g %g %g\n", cJSON_GetArrayItem(row, ct)->valuedouble,
        cJSON_GetArrayItem(row, ce)->valuedouble * 1e3,
        cl >= 0 ? cJSON_GetArrayItem(row, cl)->valuedouble * 1e3 : 0.0);
    fprintf(f, "\n\n# profiled points: throughput_sps energy_mJ latency_ms "
            "label\n");
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(r, "points")) {
      if (!num(p, "ok", 0) || num(p, "same_as", -1) >= 0)
        continue;
      fprintf(f, "%g %g %g \"%s (%s)\"\n", num(p, "throughput_sps", 0),
              num(p, "energy_j", 0) * 1e3, num(p, "latency_s", 0) * 1e3,
              str(p, "label", ""), str(p, "mode", ""));
    }
    fclose(f);
    snprintf(out, sizeof out, "%s/%sfront", dir, prefix);
    snprintf(extra, sizeof extra, "title='%s on %s'", str(r, "model", ""),
             str(r, "arch_name", ""));
    if (draw(pdir, "front", data, out, extra, err))
      return -1;
    (*drawn)++;
  }
  // Convergence.
  const cJSON *h = cJSON_GetObjectItem(r, "history");
  const cJSON *hb = cJSON_GetObjectItem(h, "best");
  if (cJSON_GetArraySize(hb) > 0) {
    snprintf(data, sizeof data, "%s/%sconvergence.dat", dir, prefix);
    FILE *f = open_data(data, err);
    if (!f)
      return -1;
    const cJSON *hn = cJSON_GetObjectItem(h, "names");
    const cJSON *hu = cJSON_GetObjectItem(h, "units");
    int k = cJSON_GetArraySize(hn);
    fprintf(f, "# evaluations seconds");
    for (int j = 0; j < k; j++)
      fprintf(f, " %s_%s", cJSON_GetArrayItem(hn, j)->valuestring,
              cJSON_GetArrayItem(hu, j)->valuestring);
    fprintf(f, "\n");
    const cJSON *ev = cJSON_GetObjectItem(h, "evaluations");
    const cJSON *sec = cJSON_GetObjectItem(h, "seconds");
    for (int i = 0; i < cJSON_GetArraySize(hb); i++) {
      fprintf(f, "%g %g", cJSON_GetArrayItem(ev, i)->valuedouble,
              cJSON_GetArrayItem(sec, i)->valuedouble);
      const cJSON *row = cJSON_GetArrayItem(hb, i);
      for (int j = 0; j < k; j++)
        fprintf(f, " %g", cJSON_GetArrayItem(row, j)->valuedouble);
      fprintf(f, "\n");
    }
    fclose(f);
    snprintf(out, sizeof out, "%s/%sconvergence", dir, prefix);
    char titles[256] = "";
    for (int j = 0; j < k; j++)
      snprintf(titles + strlen(titles), sizeof titles - strlen(titles),
               "%s%s[%s]", j ? " " : "",
               cJSON_GetArrayItem(hn, j)->valuestring,
               cJSON_GetArrayItem(hu, j)->valuestring);
    snprintf(extra, sizeof extra, "nobj=%d; names='%s'; title='%s on %s'", k,
             titles, str(r, "model", ""), str(r, "arch_name", ""));
    if (draw(pdir, "convergence", data, out, extra, err))
      return -1;
    (*drawn)++;
  }
  // Replication per layer: the best point against balance.
  const cJSON *best = best_point(r);
  const cJSON *bal = NULL, *p;
  cJSON_ArrayForEach(p, cJSON_GetObjectItem(r, "points")) if (
      !strcmp(str(p, "label", ""), "balance")) bal = p;
  const cJSON *br = cJSON_GetObjectItem(best, "replication");
  if (cJSON_GetArraySize(br) > 0) {
    snprintf(data, sizeof data, "%s/%sreplication.dat", dir, prefix);
    FILE *f = open_data(data, err);
    if (!f)
      return -1;
    const cJSON *layers = cJSON_GetObjectItem(r, "layers");
    const cJSON *balr = cJSON_GetObjectItem(bal, "replication");
    fprintf(f, "# layer best balance name\n");
    for (int l = 0; l < cJSON_GetArraySize(br); l++)
      fprintf(f, "%d %g %g \"%s\"\n", l + 1,
              cJSON_GetArrayItem(br, l)->valuedouble,
              balr ? cJSON_GetArrayItem(balr, l)->valuedouble : NAN,
              str(cJSON_GetArrayItem(layers, l), "name", ""));
    fclose(f);
    snprintf(out, sizeof out, "%s/%sreplication", dir, prefix);
    snprintf(extra, sizeof extra, "title='%s on %s: %s'; has_balance=%d",
             str(r, "model", ""), str(r, "arch_name", ""),
             str(best, "label", ""), balr != NULL);
    if (draw(pdir, "replication", data, out, extra, err))
      return -1;
    (*drawn)++;
  }
  // Utilisation on the mesh.
  const cJSON *pc = cJSON_GetObjectItem(cJSON_GetObjectItem(best, "report"),
                                        "per_core");
  const cJSON *chip = cJSON_GetObjectItem(cJSON_GetObjectItem(r, "chip"),
                                          "chip");
  int cx = (int)num(chip, "cores_x", 0), cy = (int)num(chip, "cores_y", 0);
  if (cJSON_GetArraySize(pc) > 0 && cx > 0 && cy > 0) {
    snprintf(data, sizeof data, "%s/%sutilisation.dat", dir, prefix);
    FILE *f = open_data(data, err);
    if (!f)
      return -1;
    int per_chip = cx * cy, n = cJSON_GetArraySize(pc);
    double *u = pt_calloc(per_chip, sizeof *u);
    for (int i = 0; i < per_chip; i++)
      u[i] = -1;  // no core there
    const cJSON *x;
    cJSON_ArrayForEach(x, pc) {
      int core = (int)num(x, "core", -1);
      if (core >= 0 && core < per_chip && core < n)
        u[core] = num(x, "pim_util", 0) * 100;
    }
    fprintf(f, "# x y crossbar_utilisation_percent (-1: no core), chip 0\n");
    for (int y = 0; y < cy; y++) {
      for (int xx = 0; xx < cx; xx++)
        fprintf(f, "%d %d %g\n", xx, y, u[y * cx + xx]);
      fprintf(f, "\n");
    }
    free(u);
    fclose(f);
    snprintf(out, sizeof out, "%s/%sutilisation", dir, prefix);
    snprintf(extra, sizeof extra, "title='%s on %s: %s'; nx=%d; ny=%d",
             str(r, "model", ""), str(r, "arch_name", ""),
             str(best, "label", ""), cx, cy);
    if (draw(pdir, "utilisation", data, out, extra, err))
      return -1;
    (*drawn)++;
  }
  return 0;
}

// Sweep: one bar per point, the profiled best throughput and energy of
// each point's tune.
static int plot_sweep(const cJSON *d, const char *dir, const char *pdir,
                      int *drawn, pt_error *err) {
  char data[4200], out[4200];
  snprintf(data, sizeof data, "%s/sweep.dat", dir);
  FILE *f = open_data(data, err);
  if (!f)
    return -1;
  fprintf(f, "# point throughput_sps energy_mJ label\n");
  const cJSON *recs = cJSON_GetObjectItem(cJSON_GetObjectItem(d, "sweep"),
                                          "points");
  const cJSON *runs = cJSON_GetObjectItem(d, "runs");
  const cJSON *rec;
  int n = 0;
  cJSON_ArrayForEach(rec, recs) {
    const cJSON *r, *run = NULL;
    cJSON_ArrayForEach(r, runs) if (!strcmp(str(r, "id", ""),
                                            str(rec, "id", "-"))) run = r;
    const cJSON *b = run ? best_point(run) : NULL;
    // Short labels: "tiny isaac chip.cores=8 ht throughput".
    char label[512], *x;
    snprintf(label, sizeof label, "%s", str(rec, "label", ""));
    while ((x = strstr(label, ".onnx")) || (x = strstr(label, ".json")))
      memmove(x, x + 5, strlen(x + 5) + 1);
    fprintf(f, "%d %g %g \"%s\"\n", n++,
            b && num(b, "ok", 0) ? num(b, "throughput_sps", 0) : NAN,
            b && num(b, "ok", 0) ? num(b, "energy_j", 0) * 1e3 : NAN, label);
  }
  fclose(f);
  if (!n)
    return 0;
  snprintf(out, sizeof out, "%s/sweep", dir);
  if (draw(pdir, "sweep", data, out, "title='sweep'", err))
    return -1;
  (*drawn)++;
  return 0;
}

int pt_cmd_plot(int argc, char **argv) {
  static const struct option opts[] = {{"output", required_argument, 0, 'o'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  const char *dir = NULL;
  int c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
    if (c == 'o')
      dir = optarg;
    else if (c == 'h') {
      printf(plot_help);
      return EXIT_OK;
    } else
      return cli_usage("plot", "unknown or incomplete option '%s'",
                       argv[optind - 1]);
  }
  if (optind != argc - 1)
    return cli_usage("plot", "%s", "expected exactly one FILE.h5");
  if (!dir)
    return cli_usage("plot", "%s", "-o DIR is required");
  if (strchr(dir, '\''))
    return cli_usage("plot", "-o DIR must not contain a quote: '%s'", dir);
  pt_error err = {{0}};
  cJSON *d = pt_h5_describe(argv[optind], &err);
  if (!d)
    return cli_fail(&err);
  int rc = EXIT_ERR, drawn = 0;
  char pbuf[4096];
  const char *pdir = plots_dir(pbuf, sizeof pbuf);
  if (mkdir(dir, 0777) && errno != EEXIST) {
    pt_errorf(&err, "%s: cannot create the output directory: %s", dir,
              strerror(errno));
    goto out;
  }
  const cJSON *runs = cJSON_GetObjectItem(d, "runs"), *r;
  bool many = cJSON_GetArraySize(runs) > 1;
  cJSON_ArrayForEach(r, runs) {
    char prefix[300] = "";
    if (many)
      snprintf(prefix, sizeof prefix, "%s-", str(r, "id", "run"));
    if (plot_run(r, dir, prefix, pdir, &drawn, &err))
      goto out;
  }
  if (cJSON_GetObjectItem(d, "sweep") && plot_sweep(d, dir, pdir, &drawn, &err))
    goto out;
  fprintf(stderr, "pimtune: %d plots (PNG and SVG) in %s\n", drawn, dir);
  rc = EXIT_OK;
out:
  if (rc)
    cli_fail(&err);
  cJSON_Delete(d);
  return rc;
}
