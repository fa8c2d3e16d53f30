// Unit tests of partitioning: matrix shapes, AGs, crossbars, steps and MACs
// of each unfolding format, group convs, wide fc layers and the fit check,
// all against hand-computed values.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "compiler/partition.h"

// An ISAAC-like core: 96 physical 128x128 arrays of 2-bit cells at 16-bit
// weights = 12 logical crossbars per core; 168 cores.
static pt_arch isaac_like(void) {
  pt_arch a;
  memset(&a, 0, sizeof a);
  a.chips_x = a.chips_y = 1;
  a.cores_x = 12, a.cores_y = 14, a.cores = 168;
  a.xbars_per_core = 96;
  a.xbar_rows = a.xbar_cols = 128;
  a.cell_bits = 2, a.weight_bits = 16, a.act_bits = 16;
  return a;
}

// A graph with one conv: x [1,c,h,w], weight [o, c/group, k, k].
static pt_graph *conv_graph(int64_t c, int64_t h, int64_t w, int64_t o,
                            int64_t k, int64_t stride, int64_t pad,
                            int64_t group) {
  pt_graph *g = pt_graph_new("test.onnx");
  int64_t xd[4] = {1, c, h, w}, wd[4] = {o, c / group, k, k};
  int64_t oh = (h + 2 * pad - k) / stride + 1, ow = (w + 2 * pad - k) / stride + 1;
  int64_t yd[4] = {1, o, oh, ow};
  int x = pt_graph_add_tensor(g, "x", PT_F32, 4, xd);
  int wt = pt_graph_add_tensor(g, "w", PT_F32, 4, wd);
  g->t[wt].is_const = true;
  int y = pt_graph_add_tensor(g, "y", PT_F32, 4, yd);
  int n = pt_graph_add_node(g, "conv", 0, PT_OP_CONV);
  pt_node *nd = &g->n[n];
  nd->nin = 2, nd->in[0] = x, nd->in[1] = wt;
  nd->nout = 1, nd->out[0] = y;
  nd->a.nspatial = 2;
  for (int i = 0; i < 2; i++) {
    nd->a.kernel[i] = k, nd->a.stride[i] = stride, nd->a.dilation[i] = 1;
    nd->a.pad_begin[i] = nd->a.pad_end[i] = pad;
  }
  nd->a.group = group;
  g->t[y].producer = n;
  g->inputs[g->ninputs++] = x;
  g->outputs[g->noutputs++] = y;
  return g;
}

static pt_graph *fc_graph(int64_t in, int64_t out) {
  pt_graph *g = pt_graph_new("fc.onnx");
  int64_t xd[2] = {1, in}, wd[2] = {out, in}, yd[2] = {1, out};
  int x = pt_graph_add_tensor(g, "x", PT_F32, 2, xd);
  int wt = pt_graph_add_tensor(g, "w", PT_F32, 2, wd);
  g->t[wt].is_const = true;
  int y = pt_graph_add_tensor(g, "y", PT_F32, 2, yd);
  int n = pt_graph_add_node(g, "fc", 0, PT_OP_FC);
  g->n[n].nin = 2, g->n[n].in[0] = x, g->n[n].in[1] = wt;
  g->n[n].nout = 1, g->n[n].out[0] = y;
  g->n[n].a.trans_b = true;
  g->t[y].producer = n;
  return g;
}

typedef struct {
  pt_unfold u;
  int64_t rows, cols, matrices, ags, crossbars, steps, col_blocks;
} expect;

// resnet18's first conv: 3x224x224 -> 64x112x112, 7x7, stride 2, pad 3.
static void test_resnet_conv1_all_formats(void **state) {
  (void)state;
  pt_arch a = isaac_like();
  pt_graph *g = conv_graph(3, 224, 224, 64, 7, 2, 3, 1);
  const expect ex[] = {
      // 147 rows -> 2 row blocks of 128; 64 cols -> 1 crossbar.
      {PT_UNF_IM2COL, 147, 64, 1, 2, 2, 112 * 112, 1},
      // 49 matrices of 3 x 64, one crossbar each.
      {PT_UNF_I_O_K2, 3, 64, 49, 49, 49, 112 * 112, 1},
      // 3 x 3136: 25 crossbars in a row, cut into AGs of <= 12: 3 AGs.
      {PT_UNF_I_OK2, 3, 64 * 49, 1, 3, 25, 224 * 224, 3},
      // 7 matrices of 21 x 64.
      {PT_UNF_IK_O_K, 21, 64, 7, 7, 7, 112 * 112, 1},
      // 21 x 448: 4 crossbars in one AG; steps = input rows x output cols.
      {PT_UNF_IK_OK, 21, 448, 1, 1, 4, 224 * 112, 1},
  };
  for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++) {
    pt_part p;
    pt_error err;
    assert_int_equal(pt_part_layer(g, 0, ex[i].u, &a, &p, &err), 0);
    assert_int_equal(p.rows, ex[i].rows);
    assert_int_equal(p.cols, ex[i].cols);
    assert_int_equal(p.matrices, ex[i].matrices);
    assert_int_equal(p.ags, ex[i].ags);
    assert_int_equal(p.crossbars, ex[i].crossbars);
    assert_int_equal(p.steps, ex[i].steps);
    assert_int_equal(p.col_blocks, ex[i].col_blocks);
    // H * W * P = I * O * K^2 in every format.
    assert_int_equal(p.rows * p.cols * p.matrices, 3 * 64 * 49);
    assert_int_equal(p.macs, 112LL * 112 * 64 * 3 * 49);
  }
  pt_graph_free(g);
}

// Depthwise: each group is a 9 x 1 matrix; 14 of them would fit one array
// block-diagonally (128 / 9), and 8 is the largest divisor of 32 below
// that: 4 matrices of 72 x 8.
static void test_depthwise_packs_groups(void **state) {
  (void)state;
  pt_arch a = isaac_like();
  pt_graph *g = conv_graph(32, 56, 56, 32, 3, 1, 1, 32);
  pt_part p;
  assert_int_equal(pt_part_layer(g, 0, PT_UNF_IM2COL, &a, &p, NULL), 0);
  assert_int_equal(p.groups, 32);
  assert_int_equal(p.gpack, 8);
  assert_int_equal(p.rows, 72);
  assert_int_equal(p.cols, 8);
  assert_int_equal(p.matrices, 4);
  assert_int_equal(p.ags, 4);
  assert_int_equal(p.crossbars, 4);
  assert_int_equal(p.macs, 56LL * 56 * 32 * 9);
  // Matrix 1 holds groups 8..15. Rows are ordered tap, group, channel:
  // the first 8 rows are tap (0, 0) of groups 8..15, i.e. channels 8..15
  // of input pixel (0, 0) (one piece), the next 8 tap (0, 1). Its 8
  // columns are the 8 groups' outputs, channels 8..15 of output pixel
  // (1, 1): one target.
  pt_piece pc[128];
  pt_target tg[128];
  int np = pt_part_inputs(g, &p, 1, 57, pc); // output pixel (1, 1)
  assert_int_equal(np, 9);
  assert_int_equal(pc[0].c0, 8);
  assert_int_equal(pc[0].n, 8);
  assert_int_equal(pc[0].y, 0);
  assert_int_equal(pc[0].x, 0);
  assert_int_equal(pc[1].c0, 8);
  assert_int_equal(pc[1].x, 1);
  int nt = pt_part_targets(g, &p, 1, 57, tg);
  assert_int_equal(nt, 1);
  assert_int_equal(tg[0].col0, 0);
  assert_int_equal(tg[0].n, 8);
  assert_int_equal(tg[0].c0, 8);
  assert_int_equal(tg[0].y, 1);
  assert_int_equal(tg[0].x, 1);
  pt_graph_free(g);
}

static void test_grouped_conv(void **state) {
  (void)state;
  pt_arch a = isaac_like();
  // 64 -> 128 channels in 4 groups: each group 16*9 = 144 rows x 32 cols.
  pt_graph *g = conv_graph(64, 28, 28, 128, 3, 1, 1, 4);
  pt_part p;
  assert_int_equal(pt_part_layer(g, 0, PT_UNF_IM2COL, &a, &p, NULL), 0);
  assert_int_equal(p.rows, 144);
  assert_int_equal(p.cols, 32);
  assert_int_equal(p.matrices, 4);
  assert_int_equal(p.row_blocks, 2);
  assert_int_equal(p.ags, 8);
  assert_int_equal(p.crossbars, 8);
  assert_int_equal(p.macs, 28LL * 28 * 128 * 16 * 9);
  pt_graph_free(g);
}

static void test_fc(void **state) {
  (void)state;
  pt_arch a = isaac_like();
  pt_graph *g = fc_graph(512, 1000);
  pt_part p;
  assert_int_equal(pt_part_layer(g, 0, PT_UNF_IM2COL, &a, &p, NULL), 0);
  assert_int_equal(p.rows, 512);
  assert_int_equal(p.cols, 1000);
  assert_int_equal(p.row_blocks, 4);
  assert_int_equal(p.ags, 4);
  assert_int_equal(p.crossbars, 4 * 8); // 1000 cols -> 8 crossbars
  assert_int_equal(p.steps, 1);
  assert_int_equal(p.macs, 512000);
  pt_graph_free(g);
}

// An fc with no outputs (weight [0, 512]) has nothing to map: an error
// naming the node and the weight, not a layer of zero AGs.
static void test_empty_weight(void **state) {
  (void)state;
  pt_arch a = isaac_like();
  pt_graph *g = fc_graph(512, 0);
  pt_part p;
  pt_error err = {{0}};
  assert_int_equal(pt_part_layer(g, 0, PT_UNF_IM2COL, &a, &p, &err), -1);
  assert_non_null(strstr(err.msg, "node 'fc': weight w has 0 in dimension 0"));
  pt_graph_free(g);
  g = conv_graph(3, 8, 8, 0, 3, 1, 1, 1);
  assert_int_equal(pt_part_layer(g, 0, PT_UNF_IM2COL, &a, &p, &err), -1);
  assert_non_null(strstr(err.msg, "non-empty weight tensor"));
  pt_graph_free(g);
}

// vgg16's first fc: 25088 x 4096 is 196 row blocks of 32 crossbars; an AG
// holds at most 12 (one core), so each row block is 3 AGs (12, 12, 8).
static void test_wide_fc_column_blocks(void **state) {
  (void)state;
  pt_arch a = isaac_like();
  pt_graph *g = fc_graph(25088, 4096);
  pt_part p;
  assert_int_equal(pt_part_layer(g, 0, PT_UNF_IM2COL, &a, &p, NULL), 0);
  assert_int_equal(p.row_blocks, 196);
  assert_int_equal(p.col_blocks, 3);
  assert_int_equal(p.ags, 588);
  assert_int_equal(p.crossbars, 196 * 32);
  assert_int_equal(p.max_ag_crossbars, 12);
  pt_graph_free(g);
}

// First-fit decreasing: the total alone is not enough when AGs cannot be
// split across cores.
static void test_fits_is_a_packing(void **state) {
  (void)state;
  pt_arch a = isaac_like();
  a.cores_x = 2, a.cores_y = 1, a.cores = 2;
  a.xbars_per_core = 32; // 4 logical per core, 8 on the chip
  pt_part l[2];
  memset(l, 0, sizeof l);
  pt_part_net net = {.nlayers = 2, .l = l};
  // Two AGs of 3 crossbars and one of 2: 8 in total, but 3+3 leave 1 + 1.
  l[0].matrices = 2, l[0].row_blocks = 1, l[0].col_blocks = 1;
  l[0].ags = 2, l[0].crossbars = 6;
  l[1].matrices = 1, l[1].row_blocks = 1, l[1].col_blocks = 1;
  l[1].ags = 1, l[1].crossbars = 2;
  net.crossbars = 8;
  assert_false(pt_part_fits(&net, &a));
  // Four AGs of 2 crossbars (three in layer 0, one in layer 1) fit exactly.
  l[0].matrices = 3, l[0].ags = 3, l[0].crossbars = 6;
  assert_true(pt_part_fits(&net, &a));
  // Nine crossbars never fit in eight.
  l[1].crossbars = 3, net.crossbars = 9;
  assert_false(pt_part_fits(&net, &a));
}

static void test_unfold_names(void **state) {
  (void)state;
  for (int u = 0; u < PT_UNF_COUNT; u++)
    assert_int_equal(pt_unfold_parse(pt_unfold_name(u)), u);
  assert_int_equal(pt_unfold_parse("nonsense"), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_resnet_conv1_all_formats),
      cmocka_unit_test(test_depthwise_packs_groups),
      cmocka_unit_test(test_grouped_conv),
      cmocka_unit_test(test_fc),
      cmocka_unit_test(test_empty_weight),
      cmocka_unit_test(test_wide_fc_column_blocks),
      cmocka_unit_test(test_fits_is_a_packing),
      cmocka_unit_test(test_unfold_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
