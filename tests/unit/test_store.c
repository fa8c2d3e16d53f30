// Unit tests of the results store: a program written with pt_h5w comes
// back instruction for instruction, AG for AG; the front and the report
// read back through pt_h5_describe; an aborted file leaves nothing; bad
// files, runs and points are refused with messages naming them; a sweep
// file grows by one run per added point.
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "compiler/program.h"
#include "cost/profile.h"
#include "results/store.h"

typedef struct {
  pt_graph *g;
  pt_arch a;
  pt_map_ctx c;
  pt_mapping *m;
  pt_program *p;
  pt_prof_report r;
  char dir[64];
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  pt_error err = {{0}};
  char notice[256];
  f->g = pt_graph_load(PT_TEST_DATA "/onnx/tiny_cnn.onnx", notice,
                       sizeof notice, &err);
  assert_non_null(f->g);
  pt_arch_defaults(&f->a);
  // Small crossbars so that layers spread over cores (transfers).
  f->a.xbar_rows = f->a.xbar_cols = 16;
  f->a.dac_count = 16;
  f->a.xbars_per_core = 8;
  f->a.cores_x = 6, f->a.cores_y = 4, f->a.cores = 24;
  assert_int_equal(pt_map_ctx_init(&f->c, f->g, &f->a, &err), 0);
  f->m = pt_map_new(&f->c);
  f->m->ht_grouping = true;
  if (pt_map_heuristic(f->m, &f->c, PT_UNF_IM2COL, PT_REPL_BALANCE,
                       PT_MODE_HT, &err) ||
      pt_schedule(&f->c, f->m, &f->p, &err) ||
      pt_prof_run(f->p, f->g, &f->a, NULL, &f->r, &err))
    fail_msg("%s", err.msg);
  snprintf(f->dir, sizeof f->dir, "/tmp/test_store.XXXXXX");
  assert_non_null(mkdtemp(f->dir));
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  if (!f)
    return 0;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
  if (system(cmd)) {
  }
  pt_prof_report_free(&f->r);
  pt_prog_free(f->p);
  pt_map_free(f->m);
  pt_map_ctx_free(&f->c);
  pt_graph_free(f->g);
  free(f);
  return 0;
}

// One run "0": a front of the point itself, the point with streams.
static void write_file(fixture *f, const char *path) {
  pt_error err = {{0}};
  pt_h5w *w = pt_h5w_create(path, "compile", "test", 3, &err);
  assert_non_null(w);
  assert_int_equal(pt_h5w_run(w, "0", &f->c, &err), 0);
  pt_h5_objs o = {.k = 2, .name = {"throughput", "energy"},
                  .unit = {"samples/s", "J"}, .maximised = {true, false}};
  double v[2] = {f->r.throughput_sps, f->r.energy_j};
  const pt_mapping *m = f->m;
  assert_int_equal(pt_h5w_front(w, &o, 1, v, &m, &f->c, &err), 0);
  pt_h5_point d = {.label = "balance", .role = "compile", .same_as = -1,
                   .nfig = 1, .fig_name = {"throughput_sps"},
                   .fig = {f->r.throughput_sps}};
  assert_int_equal(pt_h5w_point(w, 0, &d, &f->c, f->m, f->p, &f->r, &err), 0);
  pt_h5_point dup = {.label = "again", .role = "compile", .same_as = 0};
  assert_int_equal(pt_h5w_point(w, 1, &dup, &f->c, f->m, NULL, NULL, &err),
                   0);
  assert_int_equal(pt_h5w_run_end(w, &err), 0);
  assert_int_equal(pt_h5w_commit(w, &err), 0);
}

static void test_round_trip(void **state) {
  fixture *f = *state;
  char path[128];
  snprintf(path, sizeof path, "%s/r.h5", f->dir);
  write_file(f, path);
  pt_error err = {{0}};
  for (int k = 0; k < 2; k++) {  // point 1 is the same mapping as point 0
    pt_program *q;
    pt_graph *names;
    char *arch, run[32];
    assert_int_equal(pt_h5_load_program(path, NULL, k, &q, &names, &arch,
                                        run, sizeof run, &err), 0);
    assert_string_equal(run, "0");
    assert_int_equal(q->ncores, f->p->ncores);
    assert_int_equal(q->mode, f->p->mode);
    assert_int_equal(q->elem_bytes, f->p->elem_bytes);
    assert_int_equal(q->global_bytes, f->p->global_bytes);
    assert_int_equal(q->nags, f->p->nags);
    assert_memory_equal(q->ag, f->p->ag, f->p->nags * sizeof *q->ag);
    int64_t sends = 0;
    for (int c = 0; c < q->ncores; c++) {
      assert_int_equal(q->core[c].n, f->p->core[c].n);
      assert_int_equal(q->core[c].peak_local_bytes,
                       f->p->core[c].peak_local_bytes);
      for (int64_t i = 0; i < q->core[c].n; i++) {
        const pt_inst *a = &q->core[c].v[i], *b = &f->p->core[c].v[i];
        assert_true(a->op == b->op && a->vop == b->vop &&
                    a->flags == b->flags && a->arg == b->arg &&
                    a->node == b->node && a->dst == b->dst &&
                    a->src1 == b->src1 && a->src2 == b->src2 &&
                    a->len == b->len && a->len2 == b->len2 &&
                    a->imm == b->imm && a->imm2 == b->imm2);
        sends += a->op == PT_I_SEND;
      }
    }
    assert_true(sends > 0);
    assert_int_equal(names->nn, f->g->nn);
    for (int i = 0; i < names->nn; i++)
      assert_string_equal(names->n[i].name, f->g->n[i].name);
    pt_arch back;
    assert_int_equal(pt_arch_parse(arch, "arch", &back, &err), 0);
    assert_int_equal(back.xbar_rows, 16);
    pt_prog_free(q);
    pt_graph_free(names);
    free(arch);
  }
  cJSON *d = pt_h5_describe(path, &err);
  assert_non_null(d);
  assert_string_equal(cJSON_GetObjectItem(d, "kind")->valuestring, "compile");
  cJSON *r = cJSON_GetArrayItem(cJSON_GetObjectItem(d, "runs"), 0);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(r, "complete")));
  cJSON *o = cJSON_GetObjectItem(r, "objectives");
  cJSON *row = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "values"), 0);
  assert_true(cJSON_GetArrayItem(row, 0)->valuedouble == f->r.throughput_sps);
  assert_string_equal(
      cJSON_GetArrayItem(cJSON_GetObjectItem(o, "directions"), 1)->valuestring,
      "min");
  cJSON *p0 = cJSON_GetArrayItem(cJSON_GetObjectItem(r, "points"), 0);
  cJSON *rep = cJSON_GetObjectItem(p0, "report");
  assert_true(cJSON_GetObjectItem(rep, "energy_j")->valuedouble ==
              f->r.energy_j);
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(rep, "per_core")),
                   f->r.ncores);
  cJSON *p1 = cJSON_GetArrayItem(cJSON_GetObjectItem(r, "points"), 1);
  assert_int_equal((int)cJSON_GetObjectItem(p1, "same_as")->valuedouble, 0);
  cJSON_Delete(d);
}

static void test_abort_leaves_nothing(void **state) {
  fixture *f = *state;
  char path[128];
  snprintf(path, sizeof path, "%s/aborted.h5", f->dir);
  pt_error err = {{0}};
  pt_h5w *w = pt_h5w_create(path, "tune", "test", 1, &err);
  assert_non_null(w);
  assert_int_equal(pt_h5w_run(w, "0", &f->c, &err), 0);
  pt_h5w_abort(w);
  assert_int_not_equal(access(path, F_OK), 0);
  char cmd[256];
  snprintf(cmd, sizeof cmd, "ls %s | grep -q tmp", f->dir);
  assert_int_not_equal(system(cmd), 0);
}

static void test_bad_input(void **state) {
  fixture *f = *state;
  char path[128], junk[128];
  snprintf(path, sizeof path, "%s/ok.h5", f->dir);
  write_file(f, path);
  pt_error err = {{0}};
  pt_program *q;
  pt_graph *names;
  char *arch, run[32];
  assert_int_not_equal(pt_h5_load_program(path, "9", 0, &q, &names, &arch,
                                          run, sizeof run, &err), 0);
  assert_non_null(strstr(err.msg, "no run '9' (runs: 0)"));
  err.msg[0] = 0;
  assert_int_not_equal(pt_h5_load_program(path, "0", 5, &q, &names, &arch,
                                          run, sizeof run, &err), 0);
  assert_non_null(strstr(err.msg, "has 2 points (0 to 1), no point 5"));
  snprintf(junk, sizeof junk, "%s/junk.h5", f->dir);
  FILE *j = fopen(junk, "w");
  fputs("not hdf5 at all", j);
  fclose(j);
  err.msg[0] = 0;
  assert_null(pt_h5_describe(junk, &err));
  assert_non_null(strstr(err.msg, "junk.h5: not an HDF5 file"));
  err.msg[0] = 0;
  assert_null(pt_h5_sweep_read(path, &err));
  assert_non_null(strstr(err.msg, "not a pimtune sweep file"));
}

static void test_sweep_add(void **state) {
  fixture *f = *state;
  char point[128], sweep[128];
  snprintf(point, sizeof point, "%s/p.h5", f->dir);
  snprintf(sweep, sizeof sweep, "%s/s.h5", f->dir);
  write_file(f, point);
  pt_error err = {{0}};
  for (int i = 0; i < 3; i++) {
    char id[16];
    snprintf(id, sizeof id, "p%04d", i);
    cJSON *rec = cJSON_CreateObject();
    cJSON_AddStringToObject(rec, "id", id);
    cJSON_AddStringToObject(rec, "status", i == 1 ? "failed" : "done");
    assert_int_equal(pt_h5_sweep_add(sweep, "{\"x\":1}", "test", 5, id,
                                     i == 1 ? NULL : point, rec, &err), 0);
    cJSON_Delete(rec);
  }
  cJSON *s = pt_h5_sweep_read(sweep, &err);
  assert_non_null(s);
  assert_string_equal(cJSON_GetObjectItem(s, "definition")->valuestring,
                      "{\"x\":1}");
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(s, "records")), 3);
  cJSON_Delete(s);
  cJSON *d = pt_h5_describe(sweep, &err);
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(d, "runs")), 2);
  cJSON_Delete(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_abort_leaves_nothing),
      cmocka_unit_test(test_bad_input),
      cmocka_unit_test(test_sweep_add),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
