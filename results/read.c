// The results reader: a JSON description of a results file (for show and
// plot) and a point's program rebuilt from its tables (for export).
// Every malformed input ends in a one-line error naming the file and the
// object; nothing here trusts the file's contents.
#define _GNU_SOURCE
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <hdf5.h>

#include "h5util.h"

// Open read-only, with a message that says what is wrong.
static hid_t open_results(const char *path, pt_error *err) {
  h5u_quiet();
  if (access(path, R_OK)) {
    pt_errorf(err, "%s: cannot read: %s", path, strerror(errno));
    return -1;
  }
  if (H5Fis_hdf5(path) <= 0) {
    pt_errorf(err, "%s: not an HDF5 file (truncated or another format)",
              path);
    return -1;
  }
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) {
    pt_errorf(err, "%s: HDF5 cannot open it (damaged file)", path);
    return -1;
  }
  char *schema = h5u_read_attr_str(f, "schema");
  bool ok = schema && H5Lexists(f, "runs", H5P_DEFAULT) > 0;
  free(schema);
  if (!ok) {
    H5Fclose(f);
    pt_errorf(err, "%s: not a pimtune results file (no 'schema' attribute "
              "or /runs group)", path);
    return -1;
  }
  return f;
}

// Every attribute of loc as a member of o (numbers, strings, string lists).
static herr_t attr_cb(hid_t loc, const char *name, const H5A_info_t *info,
                      void *data) {
  (void)info;
  cJSON *o = data;
  hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
  if (a < 0)
    return 0;
  hid_t t = H5Aget_type(a);
  hid_t sp = H5Aget_space(a);
  hssize_t n = H5Sget_simple_extent_npoints(sp);
  bool scalar = H5Sget_simple_extent_type(sp) == H5S_SCALAR;
  H5T_class_t cl = H5Tget_class(t);
  H5Sclose(sp);
  H5Tclose(t);
  H5Aclose(a);
  if (cl == H5T_STRING && scalar) {
    char *s = h5u_read_attr_str(loc, name);
    if (s)
      cJSON_AddStringToObject(o, name, s);
    free(s);
  } else if (cl == H5T_STRING) {
    int k;
    char **s = h5u_read_attr_strings(loc, name, &k);
    cJSON *arr = cJSON_AddArrayToObject(o, name);
    for (int i = 0; i < k; i++)
      cJSON_AddItemToArray(arr, cJSON_CreateString(s[i]));
    h5u_free_strings(s, k);
  } else if ((cl == H5T_INTEGER || cl == H5T_FLOAT) && n == 1) {
    cJSON_AddNumberToObject(o, name, h5u_read_attr_num(loc, name, 0));
  }
  return 0;
}

static void attrs_json(hid_t loc, cJSON *o) {
  hsize_t idx = 0;
  H5Aiterate2(loc, H5_INDEX_NAME, H5_ITER_INC, &idx, attr_cb, o);
}

// A 2-D float64 dataset as an array of rows.
static cJSON *matrix_json(hid_t loc, const char *name) {
  hsize_t d[2];
  int rank = h5u_dims(loc, name, d);
  if (rank < 1)
    return cJSON_CreateArray();
  hsize_t cols = rank == 2 ? d[1] : 1;
  double *v = pt_calloc(d[0] * cols + 1, sizeof *v);
  cJSON *a = cJSON_CreateArray();
  if (!h5u_read(loc, name, H5T_NATIVE_DOUBLE, v))
    for (hsize_t i = 0; i < d[0]; i++) {
      cJSON *row = rank == 2 ? cJSON_CreateArray() : NULL;
      for (hsize_t j = 0; j < cols; j++) {
        cJSON *x = cJSON_CreateNumber(v[i * cols + j]);
        if (row)
          cJSON_AddItemToArray(row, x);
        else
          cJSON_AddItemToArray(a, x);
      }
      if (row)
        cJSON_AddItemToArray(a, row);
    }
  free(v);
  return a;
}

// Decision vectors under g (see write_mappings in store.c) as JSON rows.
static cJSON *mappings_json(hid_t g, int nlayers) {
  cJSON *a = cJSON_CreateArray();
  hsize_t d[2];
  if (h5u_dims(g, "mode", d) != 1)
    return a;
  int n = (int)d[0];
  int32_t *mode = pt_calloc(n + 1, sizeof *mode);
  int16_t *repl = pt_calloc((size_t)n * nlayers + 1, sizeof *repl);
  uint8_t *unf = pt_calloc((size_t)n * nlayers + 1, sizeof *unf);
  hid_t mt = h5u_mode_type(), ut = h5u_unfold_type();
  hsize_t dr[2];
  bool ok = h5u_dims(g, "replication", dr) == 2 && dr[0] == (hsize_t)n &&
            dr[1] == (hsize_t)nlayers && !h5u_read(g, "mode", mt, mode) &&
            !h5u_read(g, "replication", H5T_NATIVE_INT16, repl) &&
            !h5u_read(g, "unfold", ut, unf);
  for (int i = 0; ok && i < n; i++) {
    cJSON *x = cJSON_CreateObject();
    cJSON_AddStringToObject(x, "mode", pt_mode_name(mode[i]));
    cJSON *r = cJSON_AddArrayToObject(x, "replication");
    cJSON *u = cJSON_AddArrayToObject(x, "unfold");
    for (int l = 0; l < nlayers; l++) {
      cJSON_AddItemToArray(r, cJSON_CreateNumber(repl[(size_t)i * nlayers + l]));
      cJSON_AddItemToArray(
          u, cJSON_CreateString(pt_unfold_name(unf[(size_t)i * nlayers + l])));
    }
    cJSON_AddItemToArray(a, x);
  }
  H5Tclose(mt);
  H5Tclose(ut);
  free(mode), free(repl), free(unf);
  return a;
}

static cJSON *report_json(hid_t g) {
  cJSON *o = cJSON_CreateObject();
  attrs_json(g, o);
  hsize_t d[2];
  if (h5u_dims(g, "energy_breakdown_j", d) == 1 && d[0] == PT_E_COUNT) {
    double e[PT_E_COUNT];
    if (!h5u_read(g, "energy_breakdown_j", H5T_NATIVE_DOUBLE, e)) {
      cJSON *b = cJSON_AddObjectToObject(o, "energy_breakdown_j");
      for (int k = 0; k < PT_E_COUNT; k++)
        cJSON_AddNumberToObject(b, pt_energy_names[k], e[k]);
    }
  }
  if (h5u_dims(g, "per_core", d) == 1) {
    h5u_core_row *r = pt_calloc(d[0] + 1, sizeof *r);
    hid_t t = h5u_core_type();
    cJSON *pc = cJSON_AddArrayToObject(o, "per_core");
    if (!h5u_read(g, "per_core", t, r))
      for (hsize_t i = 0; i < d[0]; i++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddNumberToObject(x, "core", r[i].core);
        cJSON_AddNumberToObject(x, "instructions", (double)r[i].instructions);
        cJSON_AddNumberToObject(x, "busy_pim_ns", r[i].busy_pim_ns);
        cJSON_AddNumberToObject(x, "busy_vfu_ns", r[i].busy_vfu_ns);
        cJSON_AddNumberToObject(x, "busy_local_ns", r[i].busy_local_ns);
        cJSON_AddNumberToObject(x, "busy_xfer_ns", r[i].busy_xfer_ns);
        cJSON_AddNumberToObject(x, "finish_ns", r[i].finish_ns);
        cJSON_AddNumberToObject(x, "ags", r[i].nags);
        cJSON_AddNumberToObject(x, "crossbars", r[i].crossbars);
        cJSON_AddNumberToObject(x, "pim_util", r[i].pim_util);
        cJSON_AddNumberToObject(x, "vfu_util", r[i].vfu_util);
        cJSON_AddNumberToObject(x, "local_util", r[i].local_util);
        cJSON_AddNumberToObject(x, "xfer_util", r[i].xfer_util);
        cJSON_AddNumberToObject(x, "peak_local_bytes",
                                (double)r[i].peak_local_bytes);
        cJSON_AddItemToArray(pc, x);
      }
    H5Tclose(t);
    free(r);
  }
  return o;
}

static cJSON *point_json(hid_t points, int k, const char *run_path,
                         int nlayers) {
  char name[32];
  snprintf(name, sizeof name, "%d", k);
  hid_t g = H5Gopen2(points, name, H5P_DEFAULT);
  if (g < 0)
    return NULL;
  cJSON *x = cJSON_CreateObject();
  cJSON_AddNumberToObject(x, "index", k);
  attrs_json(g, x);
  if (H5Lexists(g, "mapping", H5P_DEFAULT) > 0) {
    hid_t mg = H5Gopen2(g, "mapping", H5P_DEFAULT);
    cJSON *m = mappings_json(mg, nlayers);
    cJSON *m0 = cJSON_DetachItemFromArray(m, 0);
    cJSON_Delete(m);
    if (m0) {
      cJSON_AddItemToObject(x, "replication",
                            cJSON_DetachItemFromObject(m0, "replication"));
      cJSON_AddItemToObject(x, "unfold",
                            cJSON_DetachItemFromObject(m0, "unfold"));
      cJSON_Delete(m0);
    }
    H5Gclose(mg);
  }
  if (H5Lexists(g, "program", H5P_DEFAULT) > 0) {
    hid_t pg = H5Gopen2(g, "program", H5P_DEFAULT);
    char where[512];
    snprintf(where, sizeof where, "%s/points/%d/program", run_path, k);
    cJSON_AddStringToObject(x, "streams", where);
    int ncores = (int)h5u_read_attr_num(pg, "ncores", 0);
    cJSON_AddNumberToObject(x, "cores", ncores);
    double total = 0;
    for (int c = 0; c < ncores; c++) {
      char cn[32];
      hsize_t d[2];
      snprintf(cn, sizeof cn, "core%d", c);
      if (h5u_dims(pg, cn, d) == 1)
        total += (double)d[0];
    }
    cJSON_AddNumberToObject(x, "instructions", total);
    H5Gclose(pg);
  }
  if (H5Lexists(g, "report", H5P_DEFAULT) > 0) {
    hid_t rg = H5Gopen2(g, "report", H5P_DEFAULT);
    cJSON_AddItemToObject(x, "report", report_json(rg));
    H5Gclose(rg);
  }
  H5Gclose(g);
  return x;
}

static cJSON *objectives_json(hid_t g, const char *name) {
  cJSON *o = cJSON_CreateObject();
  hid_t ds = H5Dopen2(g, name, H5P_DEFAULT);
  if (ds >= 0) {
    attrs_json(ds, o);
    H5Dclose(ds);
  }
  cJSON_AddItemToObject(o, "values", matrix_json(g, name));
  return o;
}

static cJSON *layers_json(hid_t run) {
  cJSON *a = cJSON_CreateArray();
  hsize_t d[2];
  if (h5u_dims(run, "layers", d) != 1)
    return a;
  // Only the columns show and plot use.
  typedef struct {
    char *name;
    int64_t crossbars, ags, steps;
  } row;
  hid_t s = h5u_vstr();
  hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(row));
  H5Tinsert(t, "name", HOFFSET(row, name), s);
  H5Tinsert(t, "crossbars", HOFFSET(row, crossbars), H5T_NATIVE_INT64);
  H5Tinsert(t, "ags", HOFFSET(row, ags), H5T_NATIVE_INT64);
  H5Tinsert(t, "steps", HOFFSET(row, steps), H5T_NATIVE_INT64);
  row *r = pt_calloc(d[0] + 1, sizeof *r);
  hid_t ds = H5Dopen2(run, "layers", H5P_DEFAULT);
  if (ds >= 0 && H5Dread(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, r) >= 0) {
    for (hsize_t i = 0; i < d[0]; i++) {
      cJSON *x = cJSON_CreateObject();
      cJSON_AddStringToObject(x, "name", r[i].name ? r[i].name : "");
      cJSON_AddNumberToObject(x, "crossbars", (double)r[i].crossbars);
      cJSON_AddNumberToObject(x, "ags", (double)r[i].ags);
      cJSON_AddNumberToObject(x, "windows", (double)r[i].steps);
      cJSON_AddItemToArray(a, x);
    }
    hid_t sp = H5Dget_space(ds);
    H5Dvlen_reclaim(t, sp, H5P_DEFAULT, r);
    H5Sclose(sp);
  }
  if (ds >= 0)
    H5Dclose(ds);
  free(r);
  H5Tclose(t);
  H5Tclose(s);
  return a;
}

static cJSON *run_json(hid_t runs, const char *id) {
  hid_t run = H5Gopen2(runs, id, H5P_DEFAULT);
  if (run < 0)
    return NULL;
  char path[300];
  snprintf(path, sizeof path, "/runs/%s", id);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "id", id);
  attrs_json(run, o);
  cJSON *c = cJSON_GetObjectItem(o, "complete");
  cJSON_ReplaceItemInObject(o, "complete",
                            cJSON_CreateBool(c && c->valuedouble == 1));
  int nlayers = (int)h5u_read_attr_num(run, "weight_layers", 0);
  char *arch = h5u_read_text(run, "arch");
  cJSON *chip = arch ? cJSON_Parse(arch) : NULL;
  cJSON_AddItemToObject(o, "chip", chip ? chip : cJSON_CreateNull());
  free(arch);
  cJSON_AddItemToObject(o, "layers", layers_json(run));
  if (H5Lexists(run, "pareto", H5P_DEFAULT) > 0) {
    hid_t g = H5Gopen2(run, "pareto", H5P_DEFAULT);
    cJSON_AddItemToObject(o, "objectives", objectives_json(g, "objectives"));
    cJSON_AddItemToObject(o, "front", mappings_json(g, nlayers));
    H5Gclose(g);
  }
  if (H5Lexists(run, "history", H5P_DEFAULT) > 0) {
    hid_t g = H5Gopen2(run, "history", H5P_DEFAULT);
    cJSON *h = objectives_json(g, "best");
    cJSON_AddItemToObject(h, "best", cJSON_DetachItemFromObject(h, "values"));
    cJSON_AddItemToObject(h, "evaluations", matrix_json(g, "evaluations"));
    cJSON_AddItemToObject(h, "seconds", matrix_json(g, "seconds"));
    cJSON_AddItemToObject(o, "history", h);
    H5Gclose(g);
  }
  cJSON *pts = cJSON_AddArrayToObject(o, "points");
  if (H5Lexists(run, "points", H5P_DEFAULT) > 0) {
    hid_t g = H5Gopen2(run, "points", H5P_DEFAULT);
    for (int k = 0;; k++) {
      cJSON *x = point_json(g, k, path, nlayers);
      if (!x)
        break;
      cJSON_AddItemToArray(pts, x);
    }
    H5Gclose(g);
  }
  H5Gclose(run);
  return o;
}

typedef struct {
  char **id;
  int n, cap;
} name_list;

static herr_t link_cb(hid_t g, const char *name, const H5L_info_t *info,
                      void *data) {
  (void)g, (void)info;
  name_list *l = data;
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 16;
    l->id = pt_realloc(l->id, l->cap * sizeof *l->id);
  }
  l->id[l->n++] = pt_strdup(name);
  return 0;
}

static void run_ids(hid_t f, name_list *l) {
  hid_t runs = H5Gopen2(f, "runs", H5P_DEFAULT);
  if (runs < 0)
    return;
  hsize_t idx = 0;
  H5Literate(runs, H5_INDEX_NAME, H5_ITER_INC, &idx, link_cb, l);
  H5Gclose(runs);
}

static void free_ids(name_list *l) {
  for (int i = 0; i < l->n; i++)
    free(l->id[i]);
  free(l->id);
}

cJSON *pt_h5_describe(const char *path, pt_error *err) {
  hid_t f = open_results(path, err);
  if (f < 0)
    return NULL;
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "file", path);
  attrs_json(f, o);
  name_list ids = {0};
  run_ids(f, &ids);
  hid_t runs = H5Gopen2(f, "runs", H5P_DEFAULT);
  cJSON *ra = cJSON_AddArrayToObject(o, "runs");
  for (int i = 0; i < ids.n; i++) {
    cJSON *r = run_json(runs, ids.id[i]);
    if (r)
      cJSON_AddItemToArray(ra, r);
  }
  H5Gclose(runs);
  free_ids(&ids);
  if (H5Lexists(f, "sweep", H5P_DEFAULT) > 0) {
    hid_t g = H5Gopen2(f, "sweep", H5P_DEFAULT);
    cJSON *s = cJSON_AddObjectToObject(o, "sweep");
    char *def = h5u_read_attr_str(g, "definition");
    cJSON *d = def ? cJSON_Parse(def) : NULL;
    cJSON_AddItemToObject(s, "definition", d ? d : cJSON_CreateNull());
    free(def);
    cJSON *pts = cJSON_AddArrayToObject(s, "points");
    hsize_t dims[2];
    if (h5u_dims(g, "records", dims) == 1) {
      char **rec = pt_calloc(dims[0] + 1, sizeof *rec);
      hid_t t = h5u_vstr();
      if (!h5u_read(g, "records", t, rec))
        for (hsize_t i = 0; i < dims[0]; i++) {
          cJSON *x = rec[i] ? cJSON_Parse(rec[i]) : NULL;
          if (x)
            cJSON_AddItemToArray(pts, x);
          H5free_memory(rec[i]);
        }
      H5Tclose(t);
      free(rec);
    }
    H5Gclose(g);
  }
  H5Fclose(f);
  return o;
}

// ---------------------------------------------------------------------------
// A point's program

static int load_streams(hid_t pg, const char *path, const char *where,
                        int nnodes, pt_program *p, pt_error *err) {
  int ncores = (int)h5u_read_attr_num(pg, "ncores", -1);
  p->elem_bytes = (int)h5u_read_attr_num(pg, "elem_bytes", -1);
  p->global_bytes = (int64_t)h5u_read_attr_num(pg, "global_bytes", -1);
  p->local_capacity = (int64_t)h5u_read_attr_num(pg, "local_capacity", 0);
  p->ngroups = (int)h5u_read_attr_num(pg, "ngroups", 0);
  char *mode = h5u_read_attr_str(pg, "mode");
  bool ok_mode = mode && (!strcmp(mode, "ht") || !strcmp(mode, "ll"));
  p->mode = ok_mode && !strcmp(mode, "ll") ? PT_MODE_LL : PT_MODE_HT;
  free(mode);
  if (!ok_mode || ncores < 1 || ncores > 1 << 20 || p->elem_bytes < 1 ||
      p->elem_bytes > 8 || p->global_bytes < 0)
    return pt_errorf(err, "%s: %s: missing or invalid attributes (mode, "
                     "ncores, elem_bytes, global_bytes)", path, where);
  hsize_t d[2];
  if (h5u_dims(pg, "ags", d) != 1)
    return pt_errorf(err, "%s: %s/ags: missing", path, where);
  p->nags = (int)d[0];
  h5u_ag_row *ag = pt_calloc(d[0] + 1, sizeof *ag);
  hid_t at = h5u_ag_type();
  int rc = h5u_read(pg, "ags", at, ag);
  H5Tclose(at);
  p->ag = pt_calloc(p->nags + 1, sizeof *p->ag);
  for (int a = 0; !rc && a < p->nags; a++) {
    if (ag[a].node < 0 || ag[a].node >= nnodes || ag[a].core < 0 ||
        ag[a].core >= ncores)
      rc = pt_errorf(err, "%s: %s/ags: row %d names node %d or core %d "
                     "out of range", path, where, a, ag[a].node, ag[a].core);
    p->ag[a] = (pt_ag_info){ag[a].layer, ag[a].node, ag[a].replica,
                            ag[a].matrix, ag[a].row0, ag[a].rows, ag[a].col0,
                            ag[a].cols, ag[a].core, ag[a].crossbars};
  }
  free(ag);
  if (rc)
    return rc < 0 && !err->msg[0]
               ? pt_errorf(err, "%s: %s/ags: cannot read", path, where)
               : -1;
  p->core = pt_calloc(ncores, sizeof *p->core);
  p->heap = pt_calloc(ncores, sizeof *p->heap);
  p->ncores = ncores;
  hid_t it = h5u_inst_type();
  for (int c = 0; c < p->ncores && !rc; c++) {
    char name[32];
    snprintf(name, sizeof name, "core%d", c);
    if (h5u_dims(pg, name, d) != 1) {
      rc = pt_errorf(err, "%s: %s/%s: missing", path, where, name);
      break;
    }
    pt_stream *s = &p->core[c];
    s->n = s->cap = (int64_t)d[0];
    s->v = pt_calloc(s->n + 1, sizeof *s->v);
    if (h5u_read(pg, name, it, s->v)) {
      rc = pt_errorf(err, "%s: %s/%s: cannot read the instruction table",
                     path, where, name);
      break;
    }
    hid_t ds = H5Dopen2(pg, name, H5P_DEFAULT);
    s->peak_local_bytes = (int64_t)h5u_read_attr_num(ds, "peak_local_bytes", 0);
    H5Dclose(ds);
    for (int64_t k = 0; k < s->n; k++) {
      const pt_inst *i = &s->v[k];
      if (i->op >= PT_I_COUNT || i->vop >= PT_V_COUNT || i->node < -1 ||
          i->node >= nnodes ||
          (i->op == PT_I_MVM && (i->arg < 0 || i->arg >= p->nags)) ||
          ((i->op == PT_I_SEND || i->op == PT_I_RECV) &&
           (i->arg < 0 || i->arg >= p->ncores))) {
        rc = pt_errorf(err, "%s: %s/%s: instruction %lld has an operand out "
                       "of range", path, where, name, (long long)k);
        break;
      }
    }
  }
  H5Tclose(it);
  return rc;
}

int pt_h5_load_program(const char *path, const char *run, int point,
                       pt_program **out, pt_graph **names, char **arch_json,
                       char *run_id, size_t run_id_len, pt_error *err) {
  *out = NULL;
  *names = NULL;
  *arch_json = NULL;
  hid_t f = open_results(path, err);
  if (f < 0)
    return -1;
  name_list ids = {0};
  run_ids(f, &ids);
  int rc = -1;
  hid_t r = -1, g = -1, pg = -1;
  const char *id = run;
  if (!id) {
    if (!ids.n) {
      pt_errorf(err, "%s: the file holds no runs", path);
      goto out;
    }
    id = ids.id[0];
  }
  bool found = false;
  for (int i = 0; i < ids.n && !found; i++)
    found = !strcmp(ids.id[i], id);
  if (!found) {
    char list[256] = "";
    for (int i = 0; i < ids.n && strlen(list) < 200; i++)
      snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
               i ? ", " : "", ids.id[i]);
    pt_errorf(err, "%s: no run '%s' (runs: %s)", path, id,
              ids.n ? list : "none");
    goto out;
  }
  snprintf(run_id, run_id_len, "%s", id);
  char rpath[300];
  snprintf(rpath, sizeof rpath, "/runs/%s", id);
  r = H5Gopen2(f, rpath, H5P_DEFAULT);
  if (h5u_read_attr_num(r, "complete", 0) != 1) {
    pt_errorf(err, "%s: run '%s' is not complete", path, id);
    goto out;
  }
  int npoints = 0;
  char name[64];
  hid_t pts = H5Gopen2(r, "points", H5P_DEFAULT);
  for (;; npoints++) {
    snprintf(name, sizeof name, "%d", npoints);
    if (pts < 0 || H5Lexists(pts, name, H5P_DEFAULT) <= 0)
      break;
  }
  if (point < 0 || point >= npoints) {
    pt_errorf(err, "%s: run '%s' has %d points (0 to %d), no point %d", path,
              id, npoints, npoints - 1, point);
    if (pts >= 0)
      H5Gclose(pts);
    goto out;
  }
  snprintf(name, sizeof name, "%d", point);
  g = H5Gopen2(pts, name, H5P_DEFAULT);
  int same = (int)h5u_read_attr_num(g, "same_as", -1);
  if (same >= 0 && same < npoints && same != point) {
    H5Gclose(g);
    snprintf(name, sizeof name, "%d", same);
    g = H5Gopen2(pts, name, H5P_DEFAULT);
  }
  H5Gclose(pts);
  if (g < 0 || H5Lexists(g, "program", H5P_DEFAULT) <= 0) {
    char *e = g >= 0 ? h5u_read_attr_str(g, "error") : NULL;
    pt_errorf(err, "%s: point %d of run '%s' has no streams%s%s", path,
              point, id, e && *e ? " (it failed: " : "",
              e && *e ? e : "");
    if (e && *e)
      snprintf(err->msg + strlen(err->msg),
               sizeof err->msg - strlen(err->msg), ")");
    free(e);
    goto out;
  }
  pg = H5Gopen2(g, "program", H5P_DEFAULT);
  // The node names: the streams name the nodes by index.
  hsize_t d[2];
  if (h5u_dims(r, "nodes", d) != 1) {
    pt_errorf(err, "%s: %s/nodes: missing", path, rpath);
    goto out;
  }
  char **nn = pt_calloc(d[0] + 1, sizeof *nn);
  hid_t st = h5u_vstr();
  int nrc = h5u_read(r, "nodes", st, nn);
  H5Tclose(st);
  pt_graph *gr = pt_graph_new(path);
  for (hsize_t i = 0; i < d[0]; i++) {
    pt_graph_add_node(gr, !nrc && nn[i] ? nn[i] : "?", (int)i, PT_OP_CONV);
    if (!nrc)
      H5free_memory(nn[i]);
  }
  free(nn);
  *names = gr;
  *arch_json = h5u_read_text(r, "arch");
  if (!*arch_json) {
    pt_errorf(err, "%s: %s/arch: missing", path, rpath);
    goto out;
  }
  char where[400];
  snprintf(where, sizeof where, "%s/points/%s/program", rpath, name);
  pt_program *p = pt_calloc(1, sizeof *p);
  if (load_streams(pg, path, where, (int)d[0], p, err)) {
    pt_prog_free(p);
    goto out;
  }
  *out = p;
  rc = 0;
out:
  if (rc) {
    pt_graph_free(*names);
    free(*arch_json);
    *names = NULL;
    *arch_json = NULL;
  }
  if (pg >= 0)
    H5Gclose(pg);
  if (g >= 0)
    H5Gclose(g);
  if (r >= 0)
    H5Gclose(r);
  free_ids(&ids);
  H5Fclose(f);
  return rc;
}
