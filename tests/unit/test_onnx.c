// Unit tests of the ONNX frontend (compiler/onnx.c) and the graph clean-up
// (compiler/cleanup.c) on the small models made by
// tests/data/onnx/make_models.py. Expected shapes are computed by hand in
// the comments.
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compiler/graph.h"

#define MODELS PT_TEST_DATA "/onnx/"

static char tmpdir[256];

static int setup_tmp(void **state) {
  snprintf(tmpdir, sizeof tmpdir, "/tmp/pt_test_onnx_XXXXXX");
  return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_tmp(void **state) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  return system(cmd) == 0 ? 0 : -1;
}

static pt_graph *load_raw(const char *name) {
  char path[512], notice[256];
  pt_error err = {{0}};
  snprintf(path, sizeof path, MODELS "%s", name);
  pt_graph *g = pt_onnx_load_raw(path, notice, sizeof notice, &err);
  if (!g)
    fail_msg("%s", err.msg);
  return g;
}

static pt_graph *load(const char *name) {
  char path[512], notice[256];
  pt_error err = {{0}};
  snprintf(path, sizeof path, MODELS "%s", name);
  pt_graph *g = pt_onnx_load(path, notice, sizeof notice, &err);
  if (!g)
    fail_msg("%s", err.msg);
  return g;
}

// The load fails and the message contains every string in the list.
static void expect_error(const char *path, ...) {
  pt_error err = {{0}};
  char notice[256];
  pt_graph *g = pt_onnx_load(path, notice, sizeof notice, &err);
  if (g)
    fail_msg("%s: loaded, expected an error", path);
  assert_null(strchr(err.msg, '\n'));
  assert_int_equal(strncmp(err.msg, path, strlen(path)), 0);
  va_list ap;
  va_start(ap, path);
  for (const char *s; (s = va_arg(ap, const char *));)
    if (!strstr(err.msg, s))
      fail_msg("message '%s' lacks '%s'", err.msg, s);
  va_end(ap);
}

static void assert_dims(const pt_graph *g, const char *tensor, int nd, ...) {
  int ti = pt_graph_find_tensor(g, tensor);
  if (ti < 0)
    fail_msg("no tensor '%s'", tensor);
  const pt_tensor *t = &g->t[ti];
  assert_int_equal(t->ndim, nd);
  va_list ap;
  va_start(ap, nd);
  for (int i = 0; i < nd; i++) {
    int64_t d = va_arg(ap, int64_t);
    if (t->dims[i] != d)
      fail_msg("%s dim %d is %lld, expected %lld", tensor, i,
               (long long)t->dims[i], (long long)d);
  }
  va_end(ap);
}

static const pt_node *node_named(const pt_graph *g, const char *name) {
  for (int i = 0; i < g->nn; i++)
    if (strcmp(g->n[i].name, name) == 0)
      return &g->n[i];
  fail_msg("no node '%s'", name);
  return NULL;
}

#define D(x) ((int64_t)(x))

static void copy_file(const char *from, const char *to, long limit) {
  FILE *f = fopen(from, "rb"), *o = fopen(to, "wb");
  assert_non_null(f);
  assert_non_null(o);
  int c;
  for (long n = 0; (limit < 0 || n < limit) && (c = fgetc(f)) != EOF; n++)
    fputc(c, o);
  fclose(f);
  fclose(o);
}

static void test_conv_pool_shapes(void **state) {
  pt_graph *g = load_raw("conv_pool.onnx");
  // Symbolic batch -> 1.
  assert_dims(g, "x", 4, D(1), D(4), D(10), D(12));
  // c1: group 2, stride (2,1), pads h 1+2, w 0+1, dilation (2,1), k 3:
  // H = (10+3-5)/2+1 = 5, W = (12+1-3)/1+1 = 11.
  assert_dims(g, "c1", 4, D(1), D(8), D(5), D(11));
  const pt_node *c1 = node_named(g, "c1");
  assert_int_equal(c1->op, PT_OP_CONV);
  assert_int_equal(c1->a.group, 2);
  assert_int_equal(c1->a.pad_begin[0], 1);
  assert_int_equal(c1->a.pad_end[0], 2);
  assert_int_equal(c1->a.dilation[0], 2);
  // c2: depthwise k2 s2 SAME_UPPER: out ceil(5/2)=3, ceil(11/2)=6; total
  // pad (3-1)*2+2-5 = 1 -> begin 0, end 1 (the extra at the end).
  assert_dims(g, "c2", 4, D(1), D(8), D(3), D(6));
  const pt_node *c2 = node_named(g, "c2");
  assert_int_equal(c2->a.pad_begin[0], 0);
  assert_int_equal(c2->a.pad_end[0], 1);
  assert_int_equal(c2->a.pad_begin[1], 0);
  assert_int_equal(c2->a.pad_end[1], 1);
  // mp: k3 s2 ceil: H ceil(0/2)+1 = 1, W ceil(3/2)+1 = 3 (floor gives 2).
  assert_dims(g, "mp", 4, D(1), D(8), D(1), D(3));
  // ap: k2 s2 pad 1 ceil on 5: ceil(5/2)+1 = 4, but the last window would
  // start at 6 >= 5+1 (in the end padding) -> 3.
  assert_dims(g, "ap", 4, D(1), D(1), D(3), D(3));
  assert_true(node_named(g, "ap")->a.count_include_pad);
  assert_int_equal(g->ninputs, 2);
  assert_int_equal(g->noutputs, 2);
  pt_graph_free(g);
}

static void test_reshape_broadcast_concat(void **state) {
  pt_graph *g = load_raw("reshapes.onnx");
  assert_dims(g, "fl", 2, D(6), D(20));      // Flatten axis 2 of [2,3,4,5]
  assert_dims(g, "rs", 3, D(2), D(12), D(5)); // [0,-1,5]
  assert_dims(g, "sum", 3, D(2), D(3), D(4)); // [2,1,4] + [3,1]
  assert_dims(g, "cat", 4, D(2), D(3), D(4), D(7));
  assert_int_equal(node_named(g, "cat")->a.axis, 3);
  assert_int_equal(node_named(g, "rs")->op, PT_OP_RESHAPE);
  assert_int_equal(node_named(g, "rs")->nin, 1);
  pt_graph_free(g);
}

static void test_fold_shape_chain(void **state) {
  pt_graph *g = load_raw("fold_chain.onnx");
  // Shape, Constant, Gather, Unsqueeze and Concat fold away; only the
  // reshape and the fc remain.
  assert_int_equal(g->nn, 2);
  assert_int_equal(g->n[0].op, PT_OP_RESHAPE);
  assert_int_equal(g->n[1].op, PT_OP_FC);
  assert_true(g->n[1].a.trans_b);
  int s = pt_graph_find_tensor(g, "shp");
  assert_true(g->t[s].is_const);
  assert_non_null(g->t[s].idata);
  assert_int_equal(g->t[s].idata[0], 1);
  assert_int_equal(g->t[s].idata[1], -1);
  assert_dims(g, "flat", 2, D(1), D(48));
  assert_dims(g, "y", 2, D(1), D(10));
  // Typed float_data initializer.
  int w = pt_graph_find_tensor(g, "w");
  assert_non_null(g->t[w].fdata);
  assert_true(fabsf(g->t[w].fdata[240] - 0.5f) < 1e-6f);
  pt_graph_free(g);
}

static void test_torch_cnn(void **state) {
  pt_graph *g = load("tiny_cnn.onnx");
  // conv(+relu fused), maxpool, reshape, fc.
  assert_int_equal(g->nn, 4);
  assert_int_equal(g->n[0].op, PT_OP_CONV);
  assert_int_equal(g->n[0].act, PT_ACT_RELU);
  assert_int_equal(g->n[1].op, PT_OP_MAXPOOL);
  assert_int_equal(g->n[2].op, PT_OP_RESHAPE);
  assert_int_equal(g->n[3].op, PT_OP_FC);
  assert_dims(g, "logits", 2, D(1), D(10));
  assert_true(g->has_weights);
  assert_int_equal(pt_graph_check(g, NULL), 0);
  pt_graph_free(g);
}

static void test_bn_fold(void **state) {
  pt_graph *g = load("bn_fold.onnx");
  assert_int_equal(g->nn, 1);
  const pt_node *n = &g->n[0];
  assert_int_equal(n->op, PT_OP_CONV);
  assert_int_equal(n->act, PT_ACT_RELU);
  assert_int_equal(g->t[n->out[0]].producer, 0);
  assert_string_equal(g->t[g->outputs[0]].name, "y");
  // s = scale / sqrt(var + 1): 2/2 = 1, 1/1 = 1, 0.5/4 = 0.125.
  // W' = W * s; b' = (b - mean) * s + beta.
  const float *w = g->t[n->in[1]].fdata, *b = g->t[n->in[2]].fdata;
  const float we[6] = {1, 2, -1, 0.5f, 0, 0.375f};
  const float be[3] = {-0.5f, 0.0f, -1.0f};
  for (int i = 0; i < 6; i++)
    assert_true(fabsf(w[i] - we[i]) < 1e-6f);
  for (int i = 0; i < 3; i++)
    assert_true(fabsf(b[i] - be[i]) < 1e-6f);
  pt_graph_free(g);
}

static void test_bn_structure_only(void **state) {
  char path[512], notice[256];
  pt_error err = {{0}};
  snprintf(path, sizeof path, "%s/bn_fold_ext.onnx", tmpdir);
  copy_file(MODELS "bn_fold_ext.onnx", path, -1);
  pt_graph *g = pt_onnx_load(path, notice, sizeof notice, &err);
  if (!g)
    fail_msg("%s", err.msg);
  assert_false(g->has_weights);
  assert_non_null(strstr(notice, "bn_fold_ext.onnx.data"));
  // The BN is removed all the same; the conv keeps a bias without values.
  assert_int_equal(g->nn, 1);
  assert_int_equal(g->n[0].op, PT_OP_CONV);
  assert_int_equal(g->n[0].act, PT_ACT_RELU);
  assert_int_equal(g->n[0].nin, 3);
  assert_null(g->t[g->n[0].in[1]].fdata);
  assert_dims(g, "y", 4, D(1), D(3), D(4), D(4));
  pt_graph_free(g);
}

static void test_reshape_chain(void **state) {
  pt_graph *g = load("reshape_chain.onnx");
  // r0 changes nothing, r1 feeds only r2: one reshape x -> [1,6,4] is left,
  // and the Relu stays a node (activations are not fused into reshapes).
  assert_int_equal(g->nn, 2);
  assert_int_equal(g->n[0].op, PT_OP_RESHAPE);
  assert_int_equal(g->n[0].in[0], g->inputs[0]);
  assert_dims(g, g->t[g->n[0].out[0]].name, 3, D(1), D(6), D(4));
  assert_int_equal(g->n[1].op, PT_OP_ACT);
  assert_int_equal(g->n[1].act, PT_ACT_RELU);
  assert_int_equal(pt_graph_check(g, NULL), 0);
  pt_graph_free(g);
}

static void test_identity_and_fusion(void **state) {
  pt_graph *raw = load_raw("identity_fuse.onnx");
  // The Identity of an initializer is the same constant, not a node.
  int w = pt_graph_find_tensor(raw, "w");
  assert_true(raw->t[w].is_const);
  assert_non_null(raw->t[w].fdata);
  assert_int_equal(raw->nn, 5); // id0, conv, drop, relu6, id1
  pt_graph_free(raw);

  pt_graph *g = load("identity_fuse.onnx");
  assert_int_equal(g->nn, 1);
  assert_int_equal(g->n[0].op, PT_OP_CONV);
  assert_int_equal(g->n[0].act, PT_ACT_CLIP);
  assert_true(g->n[0].act_a == 0.0f && g->n[0].act_b == 6.0f);
  assert_int_equal(g->n[0].in[0], g->inputs[0]);
  assert_string_equal(g->t[g->outputs[0]].name, "y");
  assert_dims(g, "y", 4, D(1), D(4), D(8), D(8));
  assert_int_equal(pt_graph_check(g, NULL), 0);
  pt_graph_free(g);
}

static void test_cast_rounding(void **state) {
  pt_graph *g = load_raw("cast_round.onnx");
  assert_int_equal(g->nn, 0); // both casts fold
  const float *h = g->t[pt_graph_find_tensor(g, "h")].fdata;
  const float *b = g->t[pt_graph_find_tensor(g, "b")].fdata;
  assert_non_null(h);
  assert_non_null(b);
  // float16 near 0.48 has a spacing of 2^-12: 0.48033667 * 4096 =
  // 1967.46 -> 1967 / 4096. 65519 rounds down to the largest, 65504;
  // 65520, halfway to 2^16, rounds to even: infinity. 1e-8 is below half
  // the smallest subnormal (2^-24 = 5.96e-8): 0; 3e-8 just above: 2^-24.
  assert_true(h[0] == 1967.0f / 4096);
  assert_true(h[1] == 65504.0f);
  assert_true(isinf(h[2]) && h[2] > 0);
  assert_true(h[3] == 0.0f);
  assert_true(h[4] == ldexpf(1, -24));
  assert_true(h[5] == -2.5f);
  // bfloat16 keeps 8 significant bits: 0.48033667 * 512 = 245.93 -> 246
  // / 512; 65519 and 65520 (spacing 256 above 2^15) round up to 2^16.
  assert_true(b[0] == 246.0f / 512);
  assert_true(b[1] == 65536.0f);
  assert_true(b[2] == 65536.0f);
  assert_true(b[5] == -2.5f);
  pt_graph_free(g);
}

static void test_slice_split(void **state) {
  pt_graph *g = load_raw("slice_split.onnx");
  // sl: axis 1 from 5 down to -100 + 6 -> clamped to -1 (before index 0),
  // step -2: indices 5, 3, 1; axis 3 from 1 to 4 step 2: 1, 3.
  assert_dims(g, "sl", 4, D(1), D(3), D(4), D(2));
  const pt_node *sl = node_named(g, "sl");
  assert_int_equal(sl->op, PT_OP_SLICE);
  assert_int_equal(sl->nin, 1);
  static const int64_t st[4] = {0, 5, 0, 1}, en[4] = {1, -1, 4, 4},
                       sp[4] = {1, -2, 1, 2};
  for (int a = 0; a < 4; a++) {
    assert_int_equal(sl->a.slice_start[a], st[a]);
    assert_int_equal(sl->a.slice_end[a], en[a]);
    assert_int_equal(sl->a.slice_step[a], sp[a]);
  }
  // six: one SLICE per output, channel k of x.
  for (int k = 0; k < 6; k++) {
    char name[32];
    snprintf(name, sizeof name, "six/out%d", k);
    const pt_node *p = node_named(g, name);
    assert_int_equal(p->op, PT_OP_SLICE);
    assert_int_equal(p->a.slice_start[1], k);
    assert_int_equal(p->a.slice_end[1], k + 1);
    snprintf(name, sizeof name, "s%d", k);
    assert_dims(g, name, 4, D(1), D(1), D(4), D(5));
  }
  assert_dims(g, "rev", 4, D(1), D(6), D(4), D(5));
  // two: sizes 1 and 3 along axis 2.
  assert_dims(g, "a", 4, D(1), D(6), D(1), D(5));
  assert_dims(g, "b", 4, D(1), D(6), D(3), D(5));
  assert_int_equal(node_named(g, "two/out1")->a.slice_start[2], 1);
  pt_graph_free(g);
}

static void test_reduce_mean(void **state) {
  pt_graph *g = load("reduce_mean.onnx");
  // Both are global average pooling; keepdims 0 gives [N, C].
  assert_int_equal(g->nn, 2);
  assert_int_equal(node_named(g, "mean")->op, PT_OP_GLOBALAVG);
  assert_int_equal(node_named(g, "mean_keep")->op, PT_OP_GLOBALAVG);
  assert_dims(g, "m", 2, D(1), D(3));
  assert_dims(g, "k", 4, D(1), D(3), D(1), D(1));
  int64_t chw[3];
  assert_int_equal(pt_tensor_chw(&g->t[pt_graph_find_tensor(g, "m")], chw), 0);
  assert_int_equal(chw[0], 3);
  pt_graph_free(g);
  expect_error(MODELS "reduce_mean_channels.onnx", "node 'chmean' (ReduceMean)",
               "axes [1]", "not supported", NULL);
}

static void test_shuffle(void **state) {
  pt_graph *g = load("shuffle.onnx");
  // conv, the first shuffle as one node; the second stays three nodes,
  // as its transposed tensor is also a graph output.
  assert_int_equal(g->nn, 5);
  const pt_node *s = node_named(g, "shuffle_a");
  assert_int_equal(s->op, PT_OP_SHUFFLE);
  assert_int_equal(s->a.group, 3);
  assert_int_equal(s->in[0], node_named(g, "conv")->out[0]);
  assert_dims(g, "y", 4, D(1), D(6), D(3), D(4));
  assert_int_equal(node_named(g, "swap_b")->op, PT_OP_TRANSPOSE);
  assert_int_equal(node_named(g, "shuffle_b")->op, PT_OP_RESHAPE);
  assert_int_equal(pt_graph_check(g, NULL), 0);
  pt_graph_free(g);
}

// torchvision's ShuffleNetV2 x1.0: channel split (Slice), shuffle
// (Reshape/Transpose/Reshape) and x.mean([2, 3]) at the end.
static void test_shufflenet_v2(void **state) {
  pt_graph *g = load("../../../configs/workloads/shufflenet_v2_x1_0.onnx");
  int cnt[PT_OP_COUNT] = {0};
  for (int i = 0; i < g->nn; i++)
    cnt[g->n[i].op]++;
  // 16 blocks, each ending in a shuffle with 2 groups; the 13 blocks of
  // stride 1 split their input in two halves (2 slices each).
  assert_int_equal(cnt[PT_OP_TRANSPOSE], 0);
  assert_int_equal(cnt[PT_OP_RESHAPE], 0);
  assert_int_equal(cnt[PT_OP_SHUFFLE], 16);
  assert_int_equal(cnt[PT_OP_SLICE], 26);
  assert_int_equal(cnt[PT_OP_CONV], 56);
  assert_int_equal(cnt[PT_OP_CONCAT], 16);
  assert_int_equal(cnt[PT_OP_GLOBALAVG], 1);
  assert_int_equal(cnt[PT_OP_FC], 1);
  assert_int_equal(g->nn, 117);
  for (int i = 0; i < g->nn; i++)
    if (g->n[i].op == PT_OP_SHUFFLE)
      assert_int_equal(g->n[i].a.group, 2);
  assert_dims(g, "output", 2, D(1), D(1000));
  pt_graph_free(g);
}

static void test_external_data(void **state) {
  char notice[256] = "x";
  pt_error err = {{0}};
  pt_graph *g = pt_onnx_load(MODELS "tiny_cnn_ext.onnx", notice, sizeof notice,
                             &err);
  if (!g)
    fail_msg("%s", err.msg);
  assert_string_equal(notice, "");
  assert_true(g->has_weights);
  assert_non_null(g->t[g->n[0].in[1]].fdata);
  // The same weights as the embedded model.
  pt_graph *e = load("tiny_cnn.onnx");
  const pt_tensor *a = &g->t[g->n[3].in[1]], *b = &e->t[e->n[3].in[1]];
  assert_int_equal(pt_tensor_numel(a), pt_tensor_numel(b));
  assert_memory_equal(a->fdata, b->fdata, pt_tensor_numel(a) * sizeof(float));
  pt_graph_free(e);
  pt_graph_free(g);

  // Without the data file: structure only, with a notice.
  char path[512];
  snprintf(path, sizeof path, "%s/tiny_cnn_ext.onnx", tmpdir);
  copy_file(MODELS "tiny_cnn_ext.onnx", path, -1);
  g = pt_onnx_load(path, notice, sizeof notice, &err);
  if (!g)
    fail_msg("%s", err.msg);
  assert_false(g->has_weights);
  assert_non_null(strstr(notice, "tiny_cnn_ext.onnx.data"));
  assert_non_null(strstr(notice, "not found; read structure only"));
  assert_null(g->t[g->n[0].in[1]].fdata);
  assert_int_equal(g->nn, 4);
  assert_dims(g, "logits", 2, D(1), D(10));
  pt_graph_free(g);

  // A data file that is too short: also structure only.
  char data[512];
  snprintf(data, sizeof data, "%s/tiny_cnn_ext.onnx.data", tmpdir);
  copy_file(MODELS "tiny_cnn_ext.onnx.data", data, 100);
  g = pt_onnx_load(path, notice, sizeof notice, &err);
  if (!g)
    fail_msg("%s", err.msg);
  assert_false(g->has_weights);
  assert_non_null(strstr(notice, "too short"));
  pt_graph_free(g);
}

static void test_bad_files(void **state) {
  char path[512];
  expect_error(MODELS "no_such_model.onnx", "cannot open", NULL);

  snprintf(path, sizeof path, "%s/empty.onnx", tmpdir);
  fclose(fopen(path, "wb"));
  expect_error(path, "empty", NULL);

  snprintf(path, sizeof path, "%s/random.onnx", tmpdir);
  FILE *f = fopen(path, "wb");
  srand(7);
  for (int i = 0; i < 4096; i++)
    fputc(rand() & 255, f);
  fclose(f);
  expect_error(path, "not an ONNX model", NULL);

  // Truncations of a real model at many lengths: an error or (rarely,
  // when the cut falls on a field boundary) a model; never a crash.
  snprintf(path, sizeof path, "%s/trunc.onnx", tmpdir);
  for (long n = 1; n < 7297; n += 97) {
    copy_file(MODELS "tiny_cnn.onnx", path, n);
    pt_error err = {{0}};
    pt_graph *g = pt_onnx_load(path, NULL, 0, &err);
    if (g)
      pt_graph_free(g);
    else
      assert_int_equal(strncmp(err.msg, path, strlen(path)), 0);
  }
  copy_file(MODELS "tiny_cnn.onnx", path, 3000);
  expect_error(path, "not an ONNX model", NULL);
}

// Random byte changes in a real model: errors or models, never a crash
// (run under ASan/UBSan with -DPT_SANITIZE=ON).
static void test_mutations(void **state) {
  size_t len;
  pt_error err;
  unsigned char *orig = pt_read_file(MODELS "tiny_cnn.onnx", &len, &err);
  assert_non_null(orig);
  unsigned char *buf = malloc(len);
  char path[512];
  snprintf(path, sizeof path, "%s/mutant.onnx", tmpdir);
  srand(11);
  for (int round = 0; round < 400; round++) {
    memcpy(buf, orig, len);
    for (int k = 0; k < 1 + round % 4; k++)
      buf[rand() % len] = (unsigned char)rand();
    FILE *f = fopen(path, "wb");
    fwrite(buf, 1, len, f);
    fclose(f);
    pt_graph *g = pt_onnx_load(path, NULL, 0, &err);
    pt_graph_free(g);
  }
  free(buf);
  free(orig);
}

static void test_bad_models(void **state) {
  expect_error(MODELS "unsupported_op.onnx", "node 'my_erf' (Erf)",
               "unsupported op type 'Erf'", "Conv, Div", NULL);
  expect_error(MODELS "channel_mismatch.onnx", "node 'bad_conv' (Conv)",
               "channel mismatch", NULL);
  expect_error(MODELS "pad_reflect.onnx", "node 'refl' (Pad)", "'mode'",
               "reflect", "constant", NULL);
  expect_error(MODELS "unknown_tensor.onnx", "node 'lost'", "'nope'", NULL);
  expect_error(MODELS "bad_broadcast.onnx", "node 'badd'", "do not broadcast",
               NULL);
  expect_error(MODELS "negative_dim.onnx", "graph input 'x'", "absurd", NULL);
  expect_error(MODELS "huge_dims.onnx", "graph input 'x'", "absurd", NULL);
  expect_error(MODELS "int8_input.onnx", "node 'r8'", "not float32", NULL);
  expect_error(MODELS "cast_string.onnx", "node 'parse' (Cast)", "'s'",
               "not numeric", NULL);
  expect_error(MODELS "double_range.onnx", "tensor 'big'", "1e+200",
               "float32 range", NULL);
  expect_error(MODELS "ext_escape.onnx", "initializer 'w'",
               "inside the model's directory", NULL);
  expect_error(MODELS "ext_negative.onnx", "initializer 'w'", "offset '-8'",
               NULL);
  assert_non_null(strstr(pt_onnx_supported_ops(), "BatchNormalization"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_conv_pool_shapes),
      cmocka_unit_test(test_reshape_broadcast_concat),
      cmocka_unit_test(test_fold_shape_chain),
      cmocka_unit_test(test_torch_cnn),
      cmocka_unit_test(test_bn_fold),
      cmocka_unit_test(test_bn_structure_only),
      cmocka_unit_test(test_reshape_chain),
      cmocka_unit_test(test_identity_and_fusion),
      cmocka_unit_test(test_cast_rounding),
      cmocka_unit_test(test_slice_split),
      cmocka_unit_test(test_reduce_mean),
      cmocka_unit_test(test_shuffle),
      cmocka_unit_test(test_shufflenet_v2),
      cmocka_unit_test(test_external_data),
      cmocka_unit_test(test_bad_files),
      cmocka_unit_test(test_mutations),
      cmocka_unit_test(test_bad_models),
  };
  return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
