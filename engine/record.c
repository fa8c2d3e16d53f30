// Recording tunes and compiles in the results store (record.h).
#define _GNU_SOURCE
#include "record.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *command_line;  // set once by main()

void rec_set_command_line(int argc, char **argv) {
  size_t n = 1;
  for (int i = 0; i < argc; i++)
    n += strlen(argv[i]) + 3;
  free(command_line);
  command_line = pt_calloc(n, 1);
  for (int i = 0; i < argc; i++) {
    bool quote = strpbrk(argv[i], " \t'\"") != NULL;
    snprintf(command_line + strlen(command_line), n - strlen(command_line),
             "%s%s%s%s", i ? " " : "", quote ? "'" : "", argv[i],
             quote ? "'" : "");
  }
}

const char *rec_command_line(void) {
  return command_line ? command_line : "pimtune";
}

// File-name safe: letters, digits, '.', '_', '-'; the rest becomes '_'.
static void clean_name(char *s) {
  for (; *s; s++)
    if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
        !(*s >= '0' && *s <= '9') && *s != '.' && *s != '_' && *s != '-')
      *s = '_';
}

int rec_path(const char *out, const pt_graph *g, const pt_arch *a,
             const char *what, char *path, size_t len, pt_error *err) {
  char dir[4096];
  if (out) {
    snprintf(path, len, "%s", out);
    snprintf(dir, sizeof dir, "%s", out);
    char *slash = strrchr(dir, '/');
    if (slash)
      *slash = 0;
    else
      snprintf(dir, sizeof dir, ".");
  } else {
    char name[512];
    snprintf(name, sizeof name, "%s-%s-%s", g->name, a->name, what);
    clean_name(name);
    snprintf(dir, sizeof dir, "results");
    snprintf(path, len, "results/%s.h5", name);
    struct stat st;
    if (mkdir(dir, 0777) && errno != EEXIST)
      return pt_errorf(err, "results/: cannot create the results directory "
                       "(%s); choose a file with -o FILE or pass --no-store",
                       strerror(errno));
    if (stat(dir, &st) || !S_ISDIR(st.st_mode))
      return pt_errorf(err, "results/: cannot create the results directory "
                       "(a file of that name is in the way); choose a file "
                       "with -o FILE or pass --no-store");
  }
  struct stat st;
  if (stat(dir, &st) || !S_ISDIR(st.st_mode))
    return pt_errorf(err, "%s: the directory of the results file does not "
                     "exist", path);
  if (access(dir, W_OK | X_OK))
    return pt_errorf(err, "%s: cannot write in %s: %s", path, dir,
                     strerror(errno));
  if (!stat(path, &st) && S_ISDIR(st.st_mode))
    return pt_errorf(err, "%s: is a directory; -o names a file", path);
  return 0;
}

pt_h5w *rec_open(const char *path, const char *kind, uint64_t seed,
                 const pt_map_ctx *c, pt_error *err) {
  pt_h5w *w = pt_h5w_create(path, kind, rec_command_line(), seed, err);
  if (w && pt_h5w_run(w, "0", c, err)) {
    pt_h5w_abort(w);
    return NULL;
  }
  return w;
}

// Figure names of the objectives, with units: "throughput_sps" ...
static const char *fig_name[PT_OBJ_COUNT] = {
    "throughput_sps", "latency_s", "energy_j", "edp_js", "crossbars"};
static const char *est_name[PT_OBJ_COUNT] = {
    "estimate_throughput_sps", "estimate_latency_s", "estimate_energy_j",
    "estimate_edp_js", "estimate_crossbars"};

int rec_point(pt_h5w *w, int k, const char *label, const char *role,
              const pt_map_ctx *c, const pt_mapping *m, const pt_program *p,
              const pt_prof_report *r, const double *estimate,
              const double *profiled, const char *error, int same_as,
              pt_error *err) {
  pt_h5_point d = {.label = label, .role = role, .error = error,
                   .same_as = same_as};
  for (int o = 0; o < PT_OBJ_COUNT && profiled; o++) {
    d.fig_name[d.nfig] = fig_name[o];
    d.fig[d.nfig++] = profiled[o];
  }
  for (int o = 0; o < PT_OBJ_COUNT && estimate; o++) {
    d.fig_name[d.nfig] = est_name[o];
    d.fig[d.nfig++] = estimate[o];
  }
  return pt_h5w_point(w, k, &d, c, m, p, r, err);
}

static void objs_of(pt_h5_objs *o, int n, const pt_obj *obj) {
  o->k = n;
  for (int j = 0; j < n; j++) {
    o->name[j] = pt_obj_name(obj[j]);
    o->unit[j] = pt_obj_unit(obj[j]);
    o->maximised[j] = pt_obj_maximised(obj[j]);
  }
}

int rec_search(pt_h5w *w, const pt_search_result *res, const pt_map_ctx *c,
               const char *modes, int fitness, const pt_search_opts *so,
               pt_error *err) {
  char objtxt[128] = "";
  for (int k = 0; k < res->nobj; k++)
    snprintf(objtxt + strlen(objtxt), sizeof objtxt - strlen(objtxt), "%s%s",
             k ? "," : "", pt_obj_name(res->obj[k]));
  int bad = pt_h5w_run_str(w, "objective",
                           res->nobj > 1 ? "pareto"
                                         : pt_obj_name(res->obj[0])) ||
            pt_h5w_run_str(w, "search_objectives", objtxt) ||
            pt_h5w_run_str(w, "modes", modes) ||
            pt_h5w_run_str(w, "strategy", pt_strategy_name(res->strategy)) ||
            pt_h5w_run_str(w, "fitness", fitness == PT_FIT_PROFILE
                                             ? "profile"
                                             : "analytic") ||
            pt_h5w_run_str(w, "stopped_by", res->stopped_by) ||
            pt_h5w_run_num(w, "seed", (double)res->seed) ||
            pt_h5w_run_num(w, "threads", res->threads) ||
            pt_h5w_run_num(w, "evaluations", (double)res->evaluations) ||
            pt_h5w_run_num(w, "failed_evaluations", (double)res->failed) ||
            pt_h5w_run_num(w, "wall_s", res->wall_s) ||
            pt_h5w_run_num(w, "budget_s", so->budget_s) ||
            pt_h5w_run_num(w, "max_evals", (double)so->max_evals) ||
            pt_h5w_run_num(w, "patience", (double)so->patience);
  if (bad)
    return pt_errorf(err, "cannot write the run's attributes");
  // The front, over its own objectives.
  pt_h5_objs fo;
  objs_of(&fo, res->front_nobj, res->front_obj);
  double *v = pt_calloc((size_t)res->nfront * fo.k + 1, sizeof *v);
  const pt_mapping **m = pt_calloc(res->nfront + 1, sizeof *m);
  for (int i = 0; i < res->nfront; i++) {
    for (int j = 0; j < fo.k; j++)
      v[(size_t)i * fo.k + j] = res->front[i].v[res->front_obj[j]];
    m[i] = res->front[i].m;
  }
  int rc = pt_h5w_front(w, &fo, res->nfront, v, m, c, err);
  free(v);
  free(m);
  if (rc)
    return rc;
  // The history, over the searched objectives.
  pt_h5_objs ho;
  objs_of(&ho, res->nobj, res->obj);
  int64_t *ev = pt_calloc(res->nhist + 1, sizeof *ev);
  double *sec = pt_calloc(res->nhist + 1, sizeof *sec);
  double *best = pt_calloc((size_t)res->nhist * ho.k + 1, sizeof *best);
  for (int i = 0; i < res->nhist; i++) {
    ev[i] = res->hist[i].evaluations;
    sec[i] = res->hist[i].elapsed_s;
    for (int j = 0; j < ho.k; j++)
      best[(size_t)i * ho.k + j] = res->hist[i].best[j];
  }
  rc = pt_h5w_history(w, &ho, res->nhist, ev, sec, best, err);
  free(ev), free(sec), free(best);
  return rc;
}

int rec_commit(pt_h5w *w, pt_error *err) {
  if (pt_h5w_run_end(w, err)) {
    pt_h5w_abort(w);
    return -1;
  }
  return pt_h5w_commit(w, err);
}
