// The results writer: tune and compile outcomes into one HDF5 file
// (layout in store.h and docs/hdf5-schema.md), written to a temporary
// file and renamed into place at the end.
#define _GNU_SOURCE
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hdf5.h>

#include "h5util.h"

struct pt_h5w {
  hid_t file;
  hid_t run;      // current run group, or -1
  hid_t points;   // its points group
  char path[4096];
  char tmp[4200];
};

pt_h5w *pt_h5w_create(const char *path, const char *kind,
                      const char *command_line, uint64_t seed,
                      pt_error *err) {
  h5u_quiet();
  pt_h5w *w = pt_calloc(1, sizeof *w);
  w->run = w->points = -1;
  snprintf(w->path, sizeof w->path, "%s", path);
  snprintf(w->tmp, sizeof w->tmp, "%s.tmp%ld", path, (long)getpid());
  w->file = H5Fcreate(w->tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (w->file < 0) {
    pt_errorf(err, "%s: cannot create the results file (%s)", path,
              access(w->tmp, F_OK) && errno ? strerror(errno)
                                            : "HDF5 refused it");
    free(w);
    return NULL;
  }
  char when[64];
  time_t now = time(NULL);
  struct tm tm;
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S%z", localtime_r(&now, &tm));
  if (h5u_attr_str(w->file, "pimtune_version", PT_VERSION) ||
      h5u_attr_str(w->file, "command_line", command_line) ||
      h5u_attr_int(w->file, "seed", (int64_t)seed) ||
      h5u_attr_str(w->file, "created", when) ||
      h5u_attr_str(w->file, "kind", kind) ||
      h5u_attr_str(w->file, "schema", PT_H5_SCHEMA)) {
    pt_errorf(err, "%s: cannot write the file attributes", w->tmp);
    pt_h5w_abort(w);
    return NULL;
  }
  return w;
}

static void close_run(pt_h5w *w) {
  if (w->points >= 0)
    H5Gclose(w->points);
  if (w->run >= 0)
    H5Gclose(w->run);
  w->run = w->points = -1;
}

void pt_h5w_abort(pt_h5w *w) {
  if (!w)
    return;
  close_run(w);
  H5Fclose(w->file);
  remove(w->tmp);
  free(w);
}

int pt_h5w_commit(pt_h5w *w, pt_error *err) {
  close_run(w);
  herr_t fl = H5Fflush(w->file, H5F_SCOPE_GLOBAL);
  herr_t cl = H5Fclose(w->file);
  int rc = 0;
  if (fl < 0 || cl < 0) {
    rc = pt_errorf(err, "%s: writing the results file failed", w->tmp);
    remove(w->tmp);
  } else if (h5u_sync_file(w->tmp) || rename(w->tmp, w->path)) {
    rc = pt_errorf(err, "%s: cannot put the results file in place: %s",
                   w->path, strerror(errno));
    remove(w->tmp);
  }
  free(w);
  return rc;
}

// ---------------------------------------------------------------------------
// Runs

// The layer table: one row per weight layer, partitioned im2col (or the
// first format that applies); each point's mapping says which it used.
typedef struct {
  int32_t index, node;
  const char *name, *op;
  int64_t in_c, in_h, in_w, out_c, out_h, out_w;
  const char *unfold;
  int64_t rows, cols, matrices, ags, crossbars, steps, macs;
} layer_row;

static hid_t layer_type(void) {
  hid_t s = h5u_vstr();
  hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(layer_row));
  H5Tinsert(t, "index", HOFFSET(layer_row, index), H5T_NATIVE_INT32);
  H5Tinsert(t, "node", HOFFSET(layer_row, node), H5T_NATIVE_INT32);
  H5Tinsert(t, "name", HOFFSET(layer_row, name), s);
  H5Tinsert(t, "op", HOFFSET(layer_row, op), s);
#define I64(f) H5Tinsert(t, #f, HOFFSET(layer_row, f), H5T_NATIVE_INT64)
  I64(in_c); I64(in_h); I64(in_w); I64(out_c); I64(out_h); I64(out_w);
  H5Tinsert(t, "unfold", HOFFSET(layer_row, unfold), s);
  I64(rows); I64(cols); I64(matrices); I64(ags); I64(crossbars); I64(steps);
  I64(macs);
#undef I64
  H5Tclose(s);
  return t;
}

static int write_layers(hid_t run, const pt_map_ctx *c) {
  layer_row *rows = pt_calloc(c->nlayers ? c->nlayers : 1, sizeof *rows);
  for (int l = 0; l < c->nlayers; l++) {
    int u = PT_UNF_IM2COL;
    for (int k = 0; k < PT_UNF_COUNT && !c->unfold_ok[l * PT_UNF_COUNT + u];
         k++)
      u = k;
    const pt_part *p = pt_map_part(c, l, u);
    const pt_node *n = &c->g->n[c->node[l]];
    rows[l] = (layer_row){
        .index = l, .node = c->node[l], .name = n->name,
        .op = pt_op_names[n->op],
        .in_c = p->in_chw[0], .in_h = p->in_chw[1], .in_w = p->in_chw[2],
        .out_c = p->out_chw[0], .out_h = p->out_chw[1],
        .out_w = p->out_chw[2], .unfold = pt_unfold_name(u),
        .rows = p->rows, .cols = p->cols, .matrices = p->matrices,
        .ags = p->ags, .crossbars = p->crossbars, .steps = p->steps,
        .macs = p->macs};
  }
  hid_t t = layer_type();
  int rc = h5u_write_table(run, "layers", t, c->nlayers, rows);
  H5Tclose(t);
  free(rows);
  return rc;
}

int pt_h5w_run(pt_h5w *w, const char *id, const pt_map_ctx *c,
               pt_error *err) {
  close_run(w);
  char name[256];
  snprintf(name, sizeof name, "/runs/%s", id);
  w->run = h5u_group(w->file, name);
  if (w->run < 0)
    return pt_errorf(err, "%s: cannot create run '%s'", w->tmp, id);
  w->points = H5Gcreate2(w->run, "points", H5P_DEFAULT, H5P_DEFAULT,
                         H5P_DEFAULT);
  char *arch = pt_arch_to_json(c->a);
  const char **names = pt_calloc(c->g->nn ? c->g->nn : 1, sizeof *names);
  for (int i = 0; i < c->g->nn; i++)
    names[i] = c->g->n[i].name;
  int rc = w->points < 0 || h5u_write_text(w->run, "arch", arch) ||
           write_layers(w->run, c) ||
           h5u_write_strings(w->run, "nodes", c->g->nn, names) ||
           h5u_attr_str(w->run, "model", c->g->name) ||
           h5u_attr_str(w->run, "model_path", c->g->path) ||
           h5u_attr_str(w->run, "arch_name", c->a->name) ||
           h5u_attr_str(w->run, "arch_path", c->a->path) ||
           h5u_attr_int(w->run, "weight_layers", c->nlayers) ||
           h5u_attr_int(w->run, "complete", 0);
  free(names);
  free(arch);
  if (rc)
    return pt_errorf(err, "%s: cannot write run '%s'", w->tmp, id);
  return 0;
}

int pt_h5w_run_str(pt_h5w *w, const char *key, const char *value) {
  return h5u_attr_str(w->run, key, value);
}

int pt_h5w_run_num(pt_h5w *w, const char *key, double value) {
  return h5u_attr_double(w->run, key, value);
}

int pt_h5w_run_end(pt_h5w *w, pt_error *err) {
  // Flushed first, so that "complete" never precedes what it vouches for.
  if (H5Fflush(w->file, H5F_SCOPE_GLOBAL) < 0 ||
      h5u_attr_int(w->run, "complete", 1))
    return pt_errorf(err, "%s: cannot finish the run", w->tmp);
  return 0;
}

// ---------------------------------------------------------------------------
// Front and history

static int objs_attrs(hid_t d, const pt_h5_objs *o) {
  const char *dir[8];
  for (int j = 0; j < o->k; j++)
    dir[j] = o->maximised[j] ? "max" : "min";
  return h5u_attr_strings(d, "names", o->k, o->name) ||
         h5u_attr_strings(d, "units", o->k, o->unit) ||
         h5u_attr_strings(d, "directions", o->k, dir);
}

// Decision vectors of n mappings under group g: mode, ht_grouping [n];
// replication, unfold [n x layers]; ag_start [n + 1] into ag_core (all
// points' AG cores one after the other).
static int write_mappings(hid_t g, int n, const pt_mapping *const *m,
                          const pt_map_ctx *c) {
  int L = c->nlayers;
  int32_t *mode = pt_calloc(n + 1, sizeof *mode);
  int32_t *grouping = pt_calloc(n + 1, sizeof *grouping);
  int16_t *repl = pt_calloc((size_t)n * L + 1, sizeof *repl);
  uint8_t *unf = pt_calloc((size_t)n * L + 1, sizeof *unf);
  int64_t *start = pt_calloc(n + 1, sizeof *start);
  for (int i = 0; i < n; i++)
    start[i + 1] = start[i] + m[i]->total_ags;
  int16_t *core = pt_calloc(start[n] + 1, sizeof *core);
  for (int i = 0; i < n; i++) {
    mode[i] = m[i]->mode;
    grouping[i] = m[i]->ht_grouping;
    memcpy(repl + (size_t)i * L, m[i]->repl, L * sizeof *repl);
    memcpy(unf + (size_t)i * L, m[i]->unfold, L * sizeof *unf);
    memcpy(core + start[i], m[i]->ag_core, m[i]->total_ags * sizeof *core);
  }
  hid_t ut = h5u_unfold_type();
  hid_t mt = h5u_mode_type();
  hsize_t d2[2] = {n, L};
  int rc = h5u_write(g, "mode", mt, 1, d2, mode) ||
           h5u_write(g, "ht_grouping", H5T_NATIVE_INT32, 1, d2, grouping) ||
           h5u_write(g, "replication", H5T_NATIVE_INT16, 2, d2, repl) ||
           h5u_write(g, "unfold", ut, 2, d2, unf) ||
           h5u_write(g, "ag_start", H5T_NATIVE_INT64, 1,
                     (hsize_t[]){n + 1}, start) ||
           h5u_write(g, "ag_core", H5T_NATIVE_INT16, 1,
                     (hsize_t[]){start[n]}, core);
  H5Tclose(ut);
  H5Tclose(mt);
  free(mode), free(grouping), free(repl), free(unf);
  free(start), free(core);
  return rc;
}

int pt_h5w_front(pt_h5w *w, const pt_h5_objs *o, int n, const double *v,
                 const pt_mapping *const *m, const pt_map_ctx *c,
                 pt_error *err) {
  hid_t g = H5Gcreate2(w->run, "pareto", H5P_DEFAULT, H5P_DEFAULT,
                       H5P_DEFAULT);
  int rc = g < 0;
  if (!rc) {
    hsize_t d[2] = {n, o->k};
    hid_t ds = h5u_create(g, "objectives", H5T_IEEE_F64LE, 2, d);
    rc = ds < 0 ||
         (n && H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                        v) < 0) ||
         objs_attrs(ds, o);
    if (ds >= 0)
      H5Dclose(ds);
    rc = rc || write_mappings(g, n, m, c);
    H5Gclose(g);
  }
  return rc ? pt_errorf(err, "%s: cannot write the Pareto front", w->tmp)
            : 0;
}

int pt_h5w_history(pt_h5w *w, const pt_h5_objs *o, int n,
                   const int64_t *evals, const double *seconds,
                   const double *best, pt_error *err) {
  hid_t g = H5Gcreate2(w->run, "history", H5P_DEFAULT, H5P_DEFAULT,
                       H5P_DEFAULT);
  int rc = g < 0;
  if (!rc) {
    hsize_t d[2] = {n, o->k};
    rc = h5u_write(g, "evaluations", H5T_NATIVE_INT64, 1, d, evals) ||
         h5u_write(g, "seconds", H5T_NATIVE_DOUBLE, 1, d, seconds) ||
         h5u_write(g, "best", H5T_NATIVE_DOUBLE, 2, d, best);
    hid_t ds = rc ? -1 : H5Dopen2(g, "best", H5P_DEFAULT);
    rc = rc || ds < 0 || objs_attrs(ds, o);
    if (ds >= 0)
      H5Dclose(ds);
    H5Gclose(g);
  }
  return rc ? pt_errorf(err, "%s: cannot write the history", w->tmp) : 0;
}

// ---------------------------------------------------------------------------
// Points: mapping, streams, report

static int write_program(hid_t g, const pt_program *p) {
  int rc = h5u_attr_str(g, "mode", pt_mode_name(p->mode)) ||
           h5u_attr_int(g, "ncores", p->ncores) ||
           h5u_attr_int(g, "elem_bytes", p->elem_bytes) ||
           h5u_attr_int(g, "global_bytes", p->global_bytes) ||
           h5u_attr_int(g, "local_capacity", p->local_capacity) ||
           h5u_attr_int(g, "ngroups", p->ngroups);
  if (rc)
    return -1;
  h5u_ag_row *ags = pt_calloc(p->nags + 1, sizeof *ags);
  for (int a = 0; a < p->nags; a++) {
    const pt_ag_info *x = &p->ag[a];
    ags[a] = (h5u_ag_row){a, x->layer, x->node, x->replica, x->matrix, x->row0,
                      x->rows, x->col0, x->cols, x->core, x->crossbars};
  }
  hid_t at = h5u_ag_type();
  rc = h5u_write_table(g, "ags", at, p->nags, ags);
  H5Tclose(at);
  free(ags);
  if (rc)
    return -1;
  hid_t it = h5u_inst_type();
  for (int c = 0; c < p->ncores && !rc; c++) {
    const pt_stream *s = &p->core[c];
    char name[32];
    snprintf(name, sizeof name, "core%d", c);
    hid_t ds = h5u_create_packed(g, name, it, s->n);
    rc = ds < 0 ||
         (s->n && H5Dwrite(ds, it, H5S_ALL, H5S_ALL, H5P_DEFAULT, s->v) < 0) ||
         h5u_attr_int(ds, "peak_local_bytes", s->peak_local_bytes);
    if (ds >= 0)
      H5Dclose(ds);
  }
  H5Tclose(it);
  return rc;
}

static int write_report(hid_t g, const pt_prof_report *r) {
  struct {
    const char *k;
    double v;
  } nums[] = {
      {"period_s", r->period_s},
      {"throughput_sps", r->throughput_sps},
      {"latency_s", r->latency_s},
      {"first_latency_s", r->first_latency_s},
      {"pass_s", r->pass_s},
      {"energy_j", r->energy_j},
      {"dynamic_pj", r->dynamic_pj},
      {"static_mw", r->static_mw},
      {"crossbar_utilisation", r->crossbar_utilisation},
      {"crossbars_used_fraction", r->crossbars_used_fraction},
      {"global_port_utilisation", r->global_port_utilisation},
  };
  int rc = h5u_attr_str(g, "mode", pt_mode_name(r->mode));
  for (size_t i = 0; i < sizeof nums / sizeof nums[0] && !rc; i++)
    rc = h5u_attr_double(g, nums[i].k, nums[i].v);
  struct {
    const char *k;
    int64_t v;
  } ints[] = {
      {"ngroups", r->ngroups},           {"powered_cores", r->powered_cores},
      {"global_bytes", r->global_bytes}, {"global_load_bytes", r->global_load_bytes},
      {"global_store_bytes", r->global_store_bytes},
      {"noc_bytes", r->noc_bytes},       {"noc_byte_hops", r->noc_byte_hops},
      {"noc_flits", r->noc_flits},       {"instructions", r->instructions},
      {"ncores", r->ncores},             {"peak_local_bytes", r->peak_local_bytes},
  };
  for (size_t i = 0; i < sizeof ints / sizeof ints[0] && !rc; i++)
    rc = h5u_attr_int(g, ints[i].k, ints[i].v);
  if (rc)
    return -1;
  hsize_t ne = PT_E_COUNT;
  hid_t ds = h5u_create(g, "energy_breakdown_j", H5T_IEEE_F64LE, 1, &ne);
  rc = ds < 0 ||
       H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                r->energy_breakdown_j) < 0 ||
       h5u_attr_strings(ds, "names", PT_E_COUNT, pt_energy_names);
  if (ds >= 0)
    H5Dclose(ds);
  if (rc)
    return -1;
  h5u_core_row *rows = pt_calloc(r->ncores + 1, sizeof *rows);
  for (int c = 0; c < r->ncores; c++) {
    const pt_prof_core *x = &r->core[c];
    rows[c] = (h5u_core_row){c, x->instructions, x->busy_ns[PT_U_PIM],
                         x->busy_ns[PT_U_VFU], x->busy_ns[PT_U_LOCAL],
                         x->busy_ns[PT_U_XFER], x->finish_ns, x->nags,
                         x->crossbars, x->pim_util, x->vfu_util,
                         x->local_util, x->xfer_util, x->peak_local_bytes};
  }
  hid_t t = h5u_core_type();
  rc = h5u_write_table(g, "per_core", t, r->ncores, rows);
  H5Tclose(t);
  free(rows);
  return rc;
}

int pt_h5w_point(pt_h5w *w, int k, const pt_h5_point *d, const pt_map_ctx *c,
                 const pt_mapping *m, const pt_program *p,
                 const pt_prof_report *r, pt_error *err) {
  char name[32];
  snprintf(name, sizeof name, "%d", k);
  hid_t g = H5Gcreate2(w->points, name, H5P_DEFAULT, H5P_DEFAULT,
                       H5P_DEFAULT);
  if (g < 0)
    return pt_errorf(err, "%s: cannot create point %d", w->tmp, k);
  int rc = h5u_attr_str(g, "label", d->label) ||
           h5u_attr_str(g, "role", d->role ? d->role : "") ||
           h5u_attr_str(g, "mode", pt_mode_name(m->mode)) ||
           h5u_attr_int(g, "same_as", d->same_as) ||
           h5u_attr_int(g, "ok", !d->error && (p || d->same_as >= 0)) ||
           h5u_attr_str(g, "error", d->error ? d->error : "");
  for (int i = 0; i < d->nfig && !rc; i++)
    rc = h5u_attr_double(g, d->fig_name[i], d->fig[i]);
  if (!rc && d->same_as < 0) {
    hid_t mg = H5Gcreate2(g, "mapping", H5P_DEFAULT, H5P_DEFAULT,
                          H5P_DEFAULT);
    rc = mg < 0 || write_mappings(mg, 1, &m, c);
    if (mg >= 0)
      H5Gclose(mg);
  }
  if (!rc && p && d->same_as < 0) {
    hid_t pg = H5Gcreate2(g, "program", H5P_DEFAULT, H5P_DEFAULT,
                          H5P_DEFAULT);
    rc = pg < 0 || write_program(pg, p);
    if (pg >= 0)
      H5Gclose(pg);
  }
  if (!rc && r && d->same_as < 0) {
    hid_t rg = H5Gcreate2(g, "report", H5P_DEFAULT, H5P_DEFAULT,
                          H5P_DEFAULT);
    rc = rg < 0 || write_report(rg, r);
    if (rg >= 0)
      H5Gclose(rg);
  }
  H5Gclose(g);
  return rc ? pt_errorf(err, "%s: cannot write point %d", w->tmp, k) : 0;
}
