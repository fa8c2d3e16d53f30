// Tests of the PIMCOMP-NN model JSON import (compiler/pimcomp_json.c): small
// hand-written models in tests/data/pimcomp/, the error messages of broken
// ones, and, when the shared data folder is present, the seed's 12 models.
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "compiler/graph.h"

#define DATA PT_TEST_DATA "/pimcomp/"

static pt_graph *load_ok(const char *file) {
  pt_error err = {{0}};
  pt_graph *g = pt_pimcomp_load(file, &err);
  if (!g)
    fail_msg("%s: unexpected error: %s", file, err.msg);
  pt_error cerr = {{0}};
  if (pt_graph_check(g, &cerr))
    fail_msg("%s: graph check: %s", file, cerr.msg);
  assert_false(g->has_weights);
  return g;
}

static const pt_node *node(const pt_graph *g, const char *name) {
  for (int i = 0; i < g->nn; i++)
    if (strcmp(g->n[i].name, name) == 0)
      return &g->n[i];
  fail_msg("no node '%s'", name);
  return NULL;
}

static const pt_tensor *in_t(const pt_graph *g, const pt_node *n, int k) {
  assert_true(k < n->nin && n->in[k] >= 0);
  return &g->t[n->in[k]];
}

static const pt_tensor *out_t(const pt_graph *g, const pt_node *n) {
  assert_int_equal(n->nout, 1);
  return &g->t[n->out[0]];
}

static void assert_dims(const pt_tensor *t, int ndim, ...) {
  va_list ap;
  va_start(ap, ndim);
  assert_int_equal(t->ndim, ndim);
  for (int i = 0; i < ndim; i++)
    assert_int_equal(t->dims[i], va_arg(ap, int));
  va_end(ap);
}

// Multiply-accumulates of the conv and fc layers: per output element, a conv
// does (I/group) * kh * kw of them (the weight's dims 1..3), an fc I.
static int64_t graph_macs(const pt_graph *g) {
  int64_t macs = 0;
  for (int i = 0; i < g->nn; i++) {
    const pt_node *n = &g->n[i];
    if (n->op != PT_OP_CONV && n->op != PT_OP_FC)
      continue;
    const pt_tensor *w = &g->t[n->in[1]];
    int64_t per = 1;
    for (int d = 1; d < w->ndim; d++)
      per *= w->dims[d];
    macs += pt_tensor_numel(&g->t[n->out[0]]) * per;
  }
  return macs;
}

static void test_conv_relu_pool_fc(void **state) {
  pt_graph *g = load_ok(DATA "conv_relu_pool_fc.json");
  assert_string_equal(g->name, "conv_relu_pool_fc");
  assert_int_equal(g->nn, 5);
  static const pt_op want[] = {PT_OP_CONV, PT_OP_MAXPOOL, PT_OP_RESHAPE,
                               PT_OP_FC, PT_OP_SOFTMAX};
  for (int i = 0; i < 5; i++)
    assert_int_equal(g->n[i].op, want[i]);
  assert_int_equal(g->ninputs, 1);
  assert_string_equal(g->t[g->inputs[0]].name, "data");
  assert_dims(&g->t[g->inputs[0]], 4, 1, 3, 8, 8);
  assert_int_equal(g->noutputs, 1);
  assert_string_equal(g->t[g->outputs[0]].name, "prob");

  const pt_node *c = node(g, "conv1");
  assert_int_equal(c->nin, 3);
  assert_int_equal(c->act, PT_ACT_RELU);
  assert_int_equal(c->a.group, 1);
  assert_int_equal(c->a.nspatial, 2);
  assert_int_equal(c->a.kernel[0], 3);
  assert_int_equal(c->a.pad_end[1], 1);
  assert_int_equal(c->src_index, 1);
  assert_dims(in_t(g, c, 1), 4, 4, 3, 3, 3);
  assert_true(in_t(g, c, 1)->is_const);
  assert_null(in_t(g, c, 1)->fdata);
  assert_dims(in_t(g, c, 2), 1, 4);
  assert_dims(out_t(g, c), 4, 1, 4, 8, 8);

  const pt_node *p = node(g, "pool1");
  assert_false(p->a.ceil_mode);
  assert_int_equal(p->a.stride[0], 2);
  assert_dims(out_t(g, p), 4, 1, 4, 4, 4);
  assert_dims(out_t(g, node(g, "flat")), 2, 1, 64);

  const pt_node *f = node(g, "fc1");
  assert_true(f->a.trans_b);
  assert_int_equal(f->act, PT_ACT_NONE);
  assert_dims(in_t(g, f, 1), 2, 10, 64);
  assert_dims(out_t(g, f), 2, 1, 10);
  assert_int_equal(node(g, "prob")->a.axis, 1);
  // 4 * 8 * 8 outputs * 27 + 10 * 64
  assert_int_equal(graph_macs(g), 4 * 64 * 27 + 640);
  pt_graph_free(g);
}

static void test_grouped_conv(void **state) {
  pt_graph *g = load_ok(DATA "grouped_conv.json");
  assert_int_equal(g->nn, 3); // the clip is fused into dw
  const pt_node *g2 = node(g, "g2");
  assert_int_equal(g2->a.group, 2);
  assert_int_equal(g2->nin, 2);
  assert_dims(in_t(g, g2, 1), 4, 16, 4, 3, 3);
  const pt_node *dw = node(g, "dw");
  assert_int_equal(dw->a.group, 16);
  assert_dims(in_t(g, dw, 1), 4, 16, 1, 3, 3);
  assert_dims(out_t(g, dw), 4, 1, 16, 3, 3);
  assert_int_equal(dw->act, PT_ACT_CLIP);
  assert_true(dw->act_a == 0.0f && dw->act_b == 6.0f);
  const pt_node *gap = node(g, "gap");
  assert_int_equal(gap->op, PT_OP_GLOBALAVG);
  assert_int_equal(gap->in[0], dw->out[0]);
  assert_dims(out_t(g, gap), 4, 1, 16, 1, 1);
  // Grouped, not dense: 16 * 36 * (4 * 9) + 16 * 9 * 9.
  assert_int_equal(graph_macs(g), 16 * 36 * 36 + 16 * 9 * 9);
  pt_graph_free(g);
}

static void test_eltwise_add(void **state) {
  pt_graph *g = load_ok(DATA "eltwise_add.json");
  assert_int_equal(g->nn, 3); // relu fused into the add, dropout removed
  const pt_node *s = node(g, "sum");
  assert_int_equal(s->op, PT_OP_ADD);
  assert_int_equal(s->nin, 2);
  assert_int_equal(s->in[0], node(g, "a")->out[0]);
  assert_int_equal(s->in[1], node(g, "b")->out[0]);
  assert_int_equal(s->act, PT_ACT_RELU);
  assert_int_equal(node(g, "a")->act, PT_ACT_RELU);
  assert_int_equal(node(g, "b")->act, PT_ACT_NONE);
  assert_int_equal(g->noutputs, 1);
  assert_int_equal(g->outputs[0], s->out[0]);
  assert_dims(out_t(g, s), 4, 1, 4, 5, 5);
  pt_graph_free(g);
}

static void test_concat_unsorted(void **state) {
  pt_graph *g = load_ok(DATA "concat_unsorted.json");
  // c1, c2, cat, then the shuffle.
  assert_int_equal(g->nn, 4);
  assert_string_equal(g->n[0].name, "c1");
  assert_string_equal(g->n[1].name, "c2");
  const pt_node *cat = &g->n[2];
  assert_string_equal(cat->name, "cat");
  assert_int_equal(cat->op, PT_OP_CONCAT);
  assert_int_equal(cat->a.axis, 1);
  assert_int_equal(cat->nin, 2);
  assert_string_equal(in_t(g, cat, 0)->name, "c1");
  assert_string_equal(in_t(g, cat, 1)->name, "c2");
  assert_dims(out_t(g, cat), 4, 1, 6, 4, 4);
  const pt_node *sh = &g->n[3];
  assert_int_equal(sh->op, PT_OP_SHUFFLE);
  assert_string_equal(sh->name, "shuf");
  assert_int_equal(sh->a.group, 2); // split_factor
  assert_int_equal(sh->in[0], cat->out[0]);
  assert_dims(out_t(g, sh), 4, 1, 6, 4, 4);
  assert_int_equal(sh->src_index, 4);
  pt_graph_free(g);
}

static void test_lrn(void **state) {
  pt_graph *g = load_ok(DATA "lrn.json");
  assert_int_equal(g->nn, 2);
  // Without a param: Caffe's defaults.
  const pt_node *a = node(g, "norm1");
  assert_int_equal(a->op, PT_OP_LRN);
  assert_int_equal(a->a.lrn_size, 5);
  assert_true(a->a.alpha == 1e-4f && a->a.beta == 0.75f);
  assert_true(a->a.lrn_bias == 1.0f);
  assert_dims(out_t(g, a), 4, 1, 8, 6, 6);
  const pt_node *b = node(g, "norm2");
  assert_int_equal(b->a.lrn_size, 3);
  assert_true(b->a.alpha == 2e-4f && b->a.beta == 0.5f);
  assert_true(b->a.lrn_bias == 2.0f);
  assert_int_equal(b->in[0], a->out[0]);
  pt_graph_free(g);
}

static void test_pool_ceil(void **state) {
  pt_graph *g = load_ok(DATA "pool_ceil.json");
  assert_int_equal(g->nn, 2);
  // 6x6, 3x3 window, stride 2: floor gives 2, only ceil gives the file's 3.
  const pt_node *m = node(g, "ceilpool");
  assert_int_equal(m->op, PT_OP_MAXPOOL);
  assert_true(m->a.ceil_mode);
  assert_dims(out_t(g, m), 4, 1, 2, 3, 3);
  // 3x3 padded before by one, 2x2 stride 2: 2 either way, so floor.
  const pt_node *a = node(g, "avg");
  assert_int_equal(a->op, PT_OP_AVGPOOL);
  assert_false(a->a.ceil_mode);
  assert_false(a->a.count_include_pad);
  assert_int_equal(a->a.pad_begin[0], 1);
  assert_int_equal(a->a.pad_end[0], 0);
  assert_dims(out_t(g, a), 4, 1, 2, 2, 2);
  pt_graph_free(g);
}

// Loading `file` fails with a message that starts with the path and holds
// every one of the given fragments.
static void expect_error(const char *file, ...) {
  pt_error err = {{0}};
  pt_graph *g = pt_pimcomp_load(file, &err);
  if (g) {
    pt_graph_free(g);
    fail_msg("%s: loaded, expected an error", file);
  }
  if (strncmp(err.msg, file, strlen(file)) != 0)
    fail_msg("message does not start with the path: %s", err.msg);
  assert_null(strchr(err.msg, '\n'));
  va_list ap;
  va_start(ap, file);
  for (const char *s; (s = va_arg(ap, const char *));)
    if (!strstr(err.msg, s))
      fail_msg("message lacks \"%s\": %s", s, err.msg);
  va_end(ap);
}

static void test_errors(void **state) {
  expect_error(DATA "bad_unknown_op.json", "node 'mm1'",
               "unsupported operation 'OP_MATMUL'",
               "supported: OP_INPUT, OP_CONV, OP_FC", NULL);
  expect_error(DATA "bad_provider.json", "node 'conv1'",
               "provider_index[0] names no node", NULL);
  expect_error(DATA "bad_missing_param.json", "node 'conv1'",
               "missing param field 'kernel_h'", NULL);
  expect_error(DATA "bad_output_dim.json", "node 'conv1'",
               "output_dim [1, 4, 8, 8] in the file",
               "gives [1, 4, 4, 4]", NULL);
  expect_error(DATA "bad_cycle.json", "cycle", NULL);
  expect_error(DATA "garbage.json", "not valid JSON", NULL);
  expect_error(DATA "empty.json", "empty file", NULL);
  expect_error(DATA "no_node_list.json", "missing field 'node_list'", NULL);
  expect_error(DATA "does_not_exist.json", "cannot open", NULL);
}

// ---- the seed's models (shared data folder) ----

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

// ResNet-18 at 224x224, multiply-accumulates of its conv and fc layers:
//   conv1    7x7, 3->64, 112x112:   64*12544*147              =   118013952
//   layer1   4 x 3x3, 64->64, 56x56: 4 * 64*3136*576           =   462422016
//   layer2   3x3 64->128 s2, 28x28:  128*784*576   =  57802752
//            3 x 3x3 128->128:        3*128*784*1152 = 346816512
//            1x1 64->128 shortcut:    128*784*64     =   6422528
//                                                    sum         =   411041792
//   layer3, layer4: the same count (channels x2, pixels /4)     = 2*411041792
//   fc       512->1000                                           =      512000
//   total                                                        =  1814073344
#define RESNET18_MACS INT64_C(1814073344)

static void test_shared_models(void **state) {
  const char *shared = getenv("PT_SHARED");
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/pimcomp-models",
           shared && *shared ? shared : PT_SOURCE_DIR "/../shared");
  DIR *d = opendir(dir);
  if (!d) {
    print_message("skipped: shared data absent (%s)\n", dir);
    skip();
  }
  char *names[64];
  int n = 0;
  for (struct dirent *e; (e = readdir(d)) && n < 64;) {
    size_t len = strlen(e->d_name);
    if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0 &&
        strcmp(e->d_name, "pimcomp-config.json") != 0)
      names[n++] = strdup(e->d_name);
  }
  closedir(d);
  qsort(names, n, sizeof *names, cmp_str);
  assert_true(n > 0);
  int loaded = 0;
  bool saw_resnet18 = false;
  for (int i = 0; i < n; i++) {
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    pt_error err = {{0}};
    pt_graph *g = pt_pimcomp_load(path, &err);
    if (!g)
      fail_msg("%s", err.msg);
    int widx[1024];
    int nw = g->nn <= 1024 ? pt_graph_weight_layers(g, widx) : -1;
    int64_t macs = graph_macs(g);
    print_message("%-20s %4d nodes %4d weight layers %12lld MACs\n",
                  names[i], g->nn, nw, (long long)macs);
    assert_true(macs > 0);
    if (strcmp(names[i], "resnet18.json") == 0) {
      assert_int_equal(macs, RESNET18_MACS);
      assert_int_equal(nw, 21); // 20 convs + fc
      saw_resnet18 = true;
    }
    loaded++;
    pt_graph_free(g);
    free(names[i]);
  }
  assert_true(saw_resnet18);
  assert_int_equal(loaded, n); // every model, the LRN ones too
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_conv_relu_pool_fc),
      cmocka_unit_test(test_grouped_conv),
      cmocka_unit_test(test_eltwise_add),
      cmocka_unit_test(test_concat_unsorted),
      cmocka_unit_test(test_lrn),
      cmocka_unit_test(test_pool_ceil),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_shared_models),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
