// Unit tests of the functional executor and the verifier (cost/execute.c)
// and of the weight map they rest on (pt_part_weight_index): every
// unfolding format computes a direct convolution when its matrices are
// filled by the weight map and driven by the pieces and targets; compiled
// streams reproduce the CPU reference in HT and LL, over formats,
// replication heuristics and chips where partial sums travel; a corrupted
// stream fails.
//
// `test_execute long` (or PT_LONG=1) runs the long set instead: the
// bundled ImageNet workloads in HT and LL (about a minute).
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "compiler/partition.h"
#include "compiler/reference.h"
#include "cost/execute.h"

// A small deterministic generator for test data (values in [-1, 1)).
static uint64_t rng_state = 1;
static float frand(void) {
  rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
  return (float)((rng_state >> 40) / (double)(1 << 24)) * 2.0f - 1.0f;
}
static int irand(int n) { return (int)((frand() + 1.0f) * 0.5f * n) % n; }

static float *frand_array(int64_t n) {
  float *v = malloc((size_t)n * sizeof *v);
  for (int64_t i = 0; i < n; i++)
    v[i] = frand();
  return v;
}

// ---------------------------------------------------------------------------
// Hand-made graphs

typedef struct {
  int c, h, w, o, groups, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
} conv_shape;

static int64_t conv_out(int in, int k, int s, int d, int p0, int p1) {
  return (in + p0 + p1 - d * (k - 1) - 1) / s + 1;
}

// x [1, c, h, w] -> conv -> y, with random weights (and a bias when asked).
static pt_graph *conv_graph(const conv_shape *q, bool bias) {
  pt_graph *g = pt_graph_new("conv.onnx");
  int64_t xd[4] = {1, q->c, q->h, q->w};
  int64_t wd[4] = {q->o, q->c / q->groups, q->kh, q->kw};
  int64_t yd[4] = {1, q->o, conv_out(q->h, q->kh, q->sh, q->dh, q->pt, q->pb),
                   conv_out(q->w, q->kw, q->sw, q->dw, q->pl, q->pr)};
  int64_t bd[1] = {q->o};
  int x = pt_graph_add_tensor(g, "x", PT_F32, 4, xd);
  int wt = pt_graph_add_tensor(g, "w", PT_F32, 4, wd);
  g->t[wt].is_const = true;
  g->t[wt].fdata = frand_array(pt_tensor_numel(&g->t[wt]));
  int b = -1;
  if (bias) {
    b = pt_graph_add_tensor(g, "b", PT_F32, 1, bd);
    g->t[b].is_const = true;
    g->t[b].fdata = frand_array(q->o);
  }
  int y = pt_graph_add_tensor(g, "y", PT_F32, 4, yd);
  int n = pt_graph_add_node(g, "conv", 0, PT_OP_CONV);
  pt_node *nd = &g->n[n];
  nd->nin = bias ? 3 : 2, nd->in[0] = x, nd->in[1] = wt, nd->in[2] = b;
  nd->nout = 1, nd->out[0] = y;
  nd->a.nspatial = 2;
  nd->a.kernel[0] = q->kh, nd->a.kernel[1] = q->kw;
  nd->a.stride[0] = q->sh, nd->a.stride[1] = q->sw;
  nd->a.dilation[0] = q->dh, nd->a.dilation[1] = q->dw;
  nd->a.pad_begin[0] = q->pt, nd->a.pad_begin[1] = q->pl;
  nd->a.pad_end[0] = q->pb, nd->a.pad_end[1] = q->pr;
  nd->a.group = q->groups;
  g->t[y].producer = n;
  g->inputs[g->ninputs++] = x;
  g->outputs[g->noutputs++] = y;
  g->has_weights = true;
  return g;
}

// x [1, c, h, w] -> flatten [1, c*h*w] -> fc (o outputs) -> y [1, o].
static pt_graph *fc_graph(int c, int h, int w, int o, bool trans_b) {
  pt_graph *g = pt_graph_new("fc.onnx");
  int64_t xd[4] = {1, c, h, w}, fd[2] = {1, (int64_t)c * h * w};
  int64_t wd[2] = {trans_b ? o : fd[1], trans_b ? fd[1] : o}, yd[2] = {1, o};
  int64_t bd[1] = {o};
  int x = pt_graph_add_tensor(g, "x", PT_F32, 4, xd);
  int f = pt_graph_add_tensor(g, "flat", PT_F32, 2, fd);
  int wt = pt_graph_add_tensor(g, "w", PT_F32, 2, wd);
  g->t[wt].is_const = true;
  g->t[wt].fdata = frand_array(pt_tensor_numel(&g->t[wt]));
  int b = pt_graph_add_tensor(g, "b", PT_F32, 1, bd);
  g->t[b].is_const = true;
  g->t[b].fdata = frand_array(o);
  int y = pt_graph_add_tensor(g, "y", PT_F32, 2, yd);
  int r = pt_graph_add_node(g, "flatten", 0, PT_OP_RESHAPE);
  g->n[r].nin = 1, g->n[r].in[0] = x, g->n[r].nout = 1, g->n[r].out[0] = f;
  g->t[f].producer = r;
  int n = pt_graph_add_node(g, "fc", 1, PT_OP_FC);
  g->n[n].nin = 3, g->n[n].in[0] = f, g->n[n].in[1] = wt, g->n[n].in[2] = b;
  g->n[n].nout = 1, g->n[n].out[0] = y;
  g->n[n].a.trans_b = trans_b;
  g->n[n].a.alpha = g->n[n].a.beta = 1;
  g->t[y].producer = n;
  g->inputs[g->ninputs++] = x;
  g->outputs[g->noutputs++] = y;
  g->has_weights = true;
  return g;
}

// A chip of small crossbars so that matrices have several row and column
// blocks and small groups are packed.
static void small_chip(pt_arch *a, int xbar, int xbars_per_core, int cores) {
  pt_arch_defaults(a);
  a->chips_x = a->chips_y = 1;
  a->cores_x = cores, a->cores_y = 1, a->cores = cores;
  a->xbars_per_core = xbars_per_core;
  a->xbar_rows = a->xbar_cols = xbar;
  a->cell_bits = a->weight_bits = 8;
  a->signed_pairs = false;
  a->act_bits = 16;
  a->dac_count = xbar;
  a->local.size_bytes = 1 << 20;
}

// ---------------------------------------------------------------------------
// The weight map against a direct convolution

// y[o][oy][ox] of a direct convolution (no bias).
static void direct_conv(const conv_shape *q, const float *x, const float *w,
                        float *y, int64_t ho, int64_t wo) {
  int ig = q->c / q->groups, og = q->o / q->groups;
  for (int o = 0; o < q->o; o++)
    for (int64_t oy = 0; oy < ho; oy++)
      for (int64_t ox = 0; ox < wo; ox++) {
        double s = 0;
        int grp = o / og;
        for (int i = 0; i < ig; i++)
          for (int ky = 0; ky < q->kh; ky++)
            for (int kx = 0; kx < q->kw; kx++) {
              int64_t iy = oy * q->sh - q->pt + ky * q->dh;
              int64_t ix = ox * q->sw - q->pl + kx * q->dw;
              if (iy < 0 || iy >= q->h || ix < 0 || ix >= q->w)
                continue;
              s += (double)w[((o * ig + i) * q->kh + ky) * q->kw + kx] *
                   x[((grp * ig + i) * q->h + iy) * q->w + ix];
            }
        y[(o * ho + oy) * wo + ox] = (float)s;
      }
}

// Runs every matrix of p at every step through pieces and targets with
// the matrix the weight map fills; returns the output (NCHW) and checks
// that every weight is placed exactly once.
static float *conv_by_matrices(const pt_graph *g, const pt_part *p,
                               const float *x) {
  const pt_node *n = &g->n[p->node];
  const pt_tensor *wt = &g->t[n->in[1]];
  int64_t C = p->in_chw[0], H = p->in_chw[1], W = p->in_chw[2];
  int64_t O = p->out_chw[0], HO = p->out_chw[1], WO = p->out_chw[2];
  float *y = calloc((size_t)(O * HO * WO), sizeof *y);
  int *seen = calloc((size_t)pt_tensor_numel(wt), sizeof *seen);
  float *mat = malloc((size_t)(p->rows * p->cols) * sizeof *mat);
  float *v = malloc((size_t)p->rows * sizeof *v);
  double *out = malloc((size_t)p->cols * sizeof *out);
  pt_piece *pc = malloc((size_t)pt_part_max_pieces(p) * sizeof *pc);
  pt_target *tg = malloc((size_t)(pt_part_max_pieces(p) + p->cols) *
                         sizeof *tg);
  for (int64_t m = 0; m < p->matrices; m++) {
    for (int64_t r = 0; r < p->rows; r++)
      for (int64_t c = 0; c < p->cols; c++) {
        int64_t o, i, ky, kx;
        int64_t k = pt_part_weight_index(g, p, m, r, c, &o, &i, &ky, &kx);
        mat[r * p->cols + c] = k < 0 ? 0 : wt->fdata[k];
        if (k >= 0)
          seen[k]++;
      }
    for (int64_t s = 0; s < p->steps; s++) {
      int np = pt_part_inputs(g, p, m, s, pc), at = 0;
      for (int k = 0; k < np; k++)
        for (int j = 0; j < pc[k].n; j++)
          v[at++] = pc[k].zero ? 0
                               : x[((pc[k].c0 + j) * H + pc[k].y) * W +
                                   pc[k].x];
      assert_int_equal(at, p->rows);
      for (int64_t c = 0; c < p->cols; c++) {
        out[c] = 0;
        for (int64_t r = 0; r < p->rows; r++)
          out[c] += (double)v[r] * mat[r * p->cols + c];
      }
      int nt = pt_part_targets(g, p, m, s, tg);
      for (int k = 0; k < nt; k++)
        for (int j = 0; j < tg[k].n; j++)
          y[((tg[k].c0 + j) * HO + tg[k].y) * WO + tg[k].x] +=
              (float)out[tg[k].col0 + j];
    }
  }
  for (int64_t k = 0; k < pt_tensor_numel(wt); k++)
    assert_int_equal(seen[k], 1);
  (void)C;
  free(seen);
  free(mat);
  free(v);
  free(out);
  free(pc);
  free(tg);
  return y;
}

static void check_conv_formats(const conv_shape *q, int xbar) {
  pt_graph *g = conv_graph(q, false);
  pt_arch a;
  small_chip(&a, xbar, 64, 4);
  const pt_tensor *yt = &g->t[g->outputs[0]];
  int64_t ho = yt->dims[2], wo = yt->dims[3];
  float *x = frand_array((int64_t)q->c * q->h * q->w);
  float *want = malloc((size_t)pt_tensor_numel(yt) * sizeof *want);
  direct_conv(q, x, g->t[g->n[0].in[1]].fdata, want, ho, wo);
  for (int u = 0; u < PT_UNF_COUNT; u++) {
    pt_part p;
    pt_error err;
    assert_int_equal(pt_part_layer(g, 0, u, &a, &p, &err), 0);
    float *got = conv_by_matrices(g, &p, x);
    for (int64_t i = 0; i < pt_tensor_numel(yt); i++)
      if (fabsf(got[i] - want[i]) > 1e-4f) {
        print_message("format %s, conv c%d o%d g%d k%dx%d s%dx%d d%dx%d "
                      "pads %d %d %d %d, gpack %lld: output %lld is %g, "
                      "expected %g\n", pt_unfold_name(u), q->c, q->o,
                      q->groups, q->kh, q->kw, q->sh, q->sw, q->dh, q->dw,
                      q->pt, q->pl, q->pb, q->pr, (long long)p.gpack,
                      (long long)i, got[i], want[i]);
        fail();
      }
    free(got);
  }
  free(x);
  free(want);
  pt_graph_free(g);
}

static void test_weight_index_conv(void **state) {
  (void)state;
  static const conv_shape fixed[] = {
      {3, 6, 6, 4, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},  // plain 3x3 pad 1
      {4, 7, 5, 6, 2, 3, 2, 2, 1, 1, 2, 0, 1, 2, 0},  // groups, stride, dil.
      {8, 5, 5, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},  // depthwise (packed)
      {6, 9, 9, 6, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2},  // strided, dilated
      {4, 4, 4, 8, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0},  // 1x1
      {2, 3, 8, 4, 2, 1, 3, 1, 3, 1, 1, 0, 1, 0, 1},  // 1x3, stride 3
  };
  for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) {
    check_conv_formats(&fixed[i], 16);
    check_conv_formats(&fixed[i], 4);
  }
  // Random small convs: groups, strides, dilations and padding.
  rng_state = 7;
  for (int t = 0; t < 60; t++) {
    conv_shape q;
    q.groups = 1 + irand(3);
    q.c = q.groups * (1 + irand(3));
    q.o = q.groups * (1 + irand(3));
    q.kh = 1 + irand(3), q.kw = 1 + irand(3);
    q.sh = 1 + irand(2), q.sw = 1 + irand(3);
    q.dh = 1 + irand(2), q.dw = 1 + irand(2);
    q.pt = irand(q.kh), q.pb = irand(q.kh);
    q.pl = irand(q.kw), q.pr = irand(q.kw);
    q.h = (q.kh - 1) * q.dh + 1 + irand(5);
    q.w = (q.kw - 1) * q.dw + 1 + irand(5);
    check_conv_formats(&q, 4 + 4 * irand(4));
  }
}

// fc after a flatten of a 4-D map: rows follow the flat HWC input.
static void test_weight_index_fc(void **state) {
  (void)state;
  for (int tb = 0; tb < 2; tb++) {
    pt_graph *g = fc_graph(3, 2, 4, 5, tb);
    pt_arch a;
    small_chip(&a, 16, 64, 4);
    pt_part p;
    pt_error err;
    assert_int_equal(pt_part_layer(g, 1, PT_UNF_IM2COL, &a, &p, &err), 0);
    const float *w = g->t[g->n[1].in[1]].fdata;
    float *x = frand_array(24);
    float hwc[24];
    for (int c = 0; c < 3; c++)
      for (int px = 0; px < 8; px++)
        hwc[px * 3 + c] = x[c * 8 + px];
    for (int o = 0; o < 5; o++) {
      double want = 0, got = 0;
      for (int f = 0; f < 24; f++)
        want += (double)x[f] * w[tb ? o * 24 + f : f * 5 + o];
      for (int r = 0; r < 24; r++) {
        int64_t oo, i, ky, kx;
        int64_t k = pt_part_weight_index(g, &p, 0, r, o, &oo, &i, &ky, &kx);
        assert_true(k >= 0);
        assert_int_equal(oo, o);
        got += (double)hwc[r] * w[k];
      }
      assert_true(fabs(got - want) < 1e-5);
    }
    free(x);
    pt_graph_free(g);
  }
}

// ---------------------------------------------------------------------------
// Verification of compiled programs

static pt_graph *load_model(const char *name) {
  char path[512], notice[256];
  pt_error err;
  snprintf(path, sizeof path, "%s/configs/workloads/%s", PT_SOURCE_DIR, name);
  pt_graph *g = pt_graph_load(path, notice, sizeof notice, &err);
  if (!g)
    print_message("%s\n", err.msg);
  assert_non_null(g);
  return g;
}

static void report(const char *what, const pt_verify_report *r) {
  print_message("%-40s %s  err %.3g (rel %.3g, max|golden| %.3g), %lld "
                "outputs, %lld instructions, ref %.0f ms, exec %.0f ms%s%s\n",
                what, r->pass ? "pass" : "FAIL", r->max_abs_err,
                r->max_rel_err, r->max_golden, (long long)r->outputs,
                (long long)r->instructions_executed, r->ref_ms, r->exec_ms,
                r->random_weights ? ", random weights" : "",
                r->pass ? "" : "");
  if (!r->pass)
    print_message("  %s\n", r->reason);
}

// Compile g for a and verify: 1 = pass, 0 = fail, -1 = could not compile.
static int try_verify(pt_graph *g, const pt_arch *a, pt_unfold u,
                      pt_repl how, pt_mode mode, const char *what) {
  pt_verify_opts o = pt_verify_defaults();
  pt_verify_report r;
  pt_error err = {{0}};
  int rc = pt_verify(g, a, u, how, mode, &o, &r, &err);
  if (rc) {
    print_message("%-40s ERROR %s\n", what, err.msg);
    return -1;
  }
  report(what, &r);
  return r.pass && r.instructions_executed > 0 && r.outputs > 0;
}

static void expect_pass(pt_graph *g, const pt_arch *a, pt_unfold u,
                        pt_repl how, pt_mode mode, const char *what) {
  assert_int_equal(try_verify(g, a, u, how, mode, what), 1);
}

static void test_tiny(void **state) {
  (void)state;
  pt_graph *g = load_model("tiny.onnx");
  assert_true(g->has_weights);
  pt_arch a;
  small_chip(&a, 16, 1, 24);
  expect_pass(g, &a, PT_UNF_IM2COL, PT_REPL_BALANCE, PT_MODE_HT,
              "tiny ht im2col balance");
  expect_pass(g, &a, PT_UNF_IM2COL, PT_REPL_BALANCE, PT_MODE_LL,
              "tiny ll im2col balance");
  pt_graph_free(g);
}

static pt_graph *load_verify_model(const char *name) {
  char path[512], notice[256];
  pt_error err;
  snprintf(path, sizeof path, "%s/verify/%s", PT_TEST_DATA, name);
  pt_graph *g = pt_graph_load(path, notice, sizeof notice, &err);
  if (!g)
    print_message("%s\n", err.msg);
  assert_non_null(g);
  return g;
}

// Every format in both modes, on a chip of 16x16 crossbars, 2 per core
// (matrices of several row blocks whose AGs sit on different cores:
// partial sums travel), and on one of 32x32 crossbars, 4 per core.
static void all_formats(pt_graph *g, const char *model) {
  pt_arch chips[2];
  small_chip(&chips[0], 16, 2, 32);
  small_chip(&chips[1], 32, 4, 16);
  for (int k = 0; k < 2; k++)
    for (int u = 0; u < PT_UNF_COUNT; u++)
      for (int mode = 0; mode < 2; mode++) {
        char what[128];
        snprintf(what, sizeof what, "%s %s %s xbar %d", model,
                 mode ? "ll" : "ht", pt_unfold_name(u), chips[k].xbar_rows);
        expect_pass(g, &chips[k], u, PT_REPL_BALANCE, mode, what);
      }
  pt_graph_free(g);
}

static void test_formats_convnet(void **state) {
  (void)state;
  all_formats(load_verify_model("convnet.onnx"), "convnet");
}

static void test_formats_tiny(void **state) {
  (void)state;
  all_formats(load_model("tiny.onnx"), "tiny");
}

static void test_vecops(void **state) {
  (void)state;
  all_formats(load_verify_model("vecops.onnx"), "vecops");
}

// A chip with out-of-order cores: loads and mvm interleave.
static void test_replication(void **state) {
  (void)state;
  pt_graph *g[2] = {load_model("tiny.onnx"), load_verify_model("convnet.onnx")};
  const char *name[2] = {"tiny", "convnet"};
  pt_arch a;
  for (int k = 0; k < 2; k++)
    for (int ooo = 0; ooo < 2; ooo++)
      for (int how = 0; how < PT_REPL_COUNT; how++)
        for (int mode = 0; mode < 2; mode++) {
          small_chip(&a, 16, k ? 2 : 1, k ? 32 : 24);
          a.exec = ooo ? PT_EXEC_OOO : PT_EXEC_INORDER;
          char what[128];
          snprintf(what, sizeof what, "%s %s %s%s", name[k],
                   mode ? "ll" : "ht", pt_repl_name(how),
                   ooo ? " out-of-order" : "");
          expect_pass(g[k], &a, PT_UNF_IM2COL, how, mode, what);
        }
  pt_graph_free(g[0]);
  pt_graph_free(g[1]);
}

// Pad (HT only: the LL scheduler crashes on Pad, see the report).
static void test_pad(void **state) {
  (void)state;
  pt_graph *g = load_verify_model("pad.onnx");
  pt_arch a;
  small_chip(&a, 16, 2, 32);
  for (int u = 0; u < PT_UNF_COUNT; u++)
    expect_pass(g, &a, u, PT_REPL_BALANCE, PT_MODE_HT, "pad ht");
  pt_graph_free(g);
}

// A batch of two samples: the streams run once per sample.
static void test_batch(void **state) {
  (void)state;
  conv_shape q = {4, 6, 5, 6, 2, 3, 3, 1, 2, 1, 1, 1, 1, 1, 1};
  pt_graph *g = conv_graph(&q, true);
  for (int t = 0; t < g->nt; t++)
    if (!g->t[t].is_const)
      g->t[t].dims[0] = 2;
  pt_arch a;
  small_chip(&a, 16, 2, 8);
  expect_pass(g, &a, PT_UNF_IM2COL, PT_REPL_BALANCE, PT_MODE_HT, "batch ht");
  expect_pass(g, &a, PT_UNF_I_OK2, PT_REPL_BALANCE, PT_MODE_LL, "batch ll");
  pt_graph_free(g);
}

// ---------------------------------------------------------------------------
// The executor's pieces

// AG blocks are the weight map's cells, and the executor matches a
// hand-computed mvm.
static void test_ag_weights(void **state) {
  (void)state;
  conv_shape q = {8, 5, 5, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1};
  pt_graph *g = conv_graph(&q, false);
  pt_arch a;
  small_chip(&a, 32, 2, 8); // 9 x 1 group matrices, packed by 2
  pt_error err;
  pt_map_ctx c;
  assert_int_equal(pt_map_ctx_init(&c, g, &a, &err), 0);
  pt_mapping *m = pt_map_new(&c);
  pt_program *p = NULL;
  assert_int_equal(pt_map_heuristic(m, &c, PT_UNF_IM2COL, PT_REPL_NONE,
                                    PT_MODE_HT, &err), 0);
  assert_int_equal(pt_schedule(&c, m, &p, &err), 0);
  const pt_part *pp = pt_map_part(&c, 0, PT_UNF_IM2COL);
  assert_true(pp->gpack > 1);
  const float *w = g->t[g->n[0].in[1]].fdata;
  for (int ag = 0; ag < p->nags; ag++) {
    const pt_ag_info *ai = &p->ag[ag];
    float *blk = malloc((size_t)ai->rows * ai->cols * sizeof *blk);
    assert_int_equal(pt_exec_ag_weights(p, g, &c, m, ag, blk, &err), 0);
    for (int r = 0; r < ai->rows; r++)
      for (int k = 0; k < ai->cols; k++) {
        int64_t o, i, ky, kx;
        int64_t at = pt_part_weight_index(g, pp, ai->matrix, ai->row0 + r,
                                          ai->col0 + k, &o, &i, &ky, &kx);
        assert_true(blk[r * ai->cols + k] == (at < 0 ? 0.0f : w[at]));
      }
    free(blk);
  }
  assert_int_not_equal(pt_exec_ag_weights(p, g, &c, m, p->nags, NULL, &err),
                       0);
  pt_prog_free(p);
  pt_map_free(m);
  pt_map_ctx_free(&c);
  pt_graph_free(g);
}

// ---------------------------------------------------------------------------
// Corrupted streams fail

typedef struct {
  pt_graph *g;
  pt_arch a;
  pt_map_ctx c;
  pt_mapping *m;
  pt_program *p;
  pt_error err;
} compiled;

static void compile_tiny_on(compiled *k, pt_mode mode, int per_core,
                            int cores) {
  memset(k, 0, sizeof *k);
  k->g = load_model("tiny.onnx");
  small_chip(&k->a, 16, per_core, cores);
  assert_int_equal(pt_map_ctx_init(&k->c, k->g, &k->a, &k->err), 0);
  k->m = pt_map_new(&k->c);
  assert_int_equal(pt_map_heuristic(k->m, &k->c, PT_UNF_IM2COL,
                                    PT_REPL_BALANCE, mode, &k->err), 0);
  assert_int_equal(pt_schedule(&k->c, k->m, &k->p, &k->err), 0);
}

// One 16x16 crossbar per core: every layer spreads over cores.
static void compile_tiny(compiled *k, pt_mode mode) {
  compile_tiny_on(k, mode, 1, 24);
}

static void compiled_free(compiled *k) {
  pt_prog_free(k->p);
  pt_map_free(k->m);
  pt_map_ctx_free(&k->c);
  pt_graph_free(k->g);
}

static pt_verify_report verify_compiled(compiled *k) {
  pt_verify_opts o = pt_verify_defaults();
  pt_verify_report r;
  assert_int_equal(pt_verify_program(k->p, k->g, &k->c, k->m, &o, &r,
                                     &k->err), 0);
  if (!r.pass)
    print_message("  fails as expected: %s\n", r.reason);
  return r;
}

// The n-th instruction (over all cores, in core order) with op o for which
// want() holds; NULL if none.
static pt_inst *nth_inst(pt_program *p, pt_iop o, int n,
                         bool (*want)(const pt_inst *)) {
  for (int c = 0; c < p->ncores; c++)
    for (int64_t k = 0; k < p->core[c].n; k++) {
      pt_inst *in = &p->core[c].v[k];
      if (in->op == o && (!want || want(in)) && n-- == 0)
        return in;
    }
  return NULL;
}

static bool long_load(const pt_inst *in) { return in->len >= 8; }

// A load reads the next pixel: the values are valid but wrong, so only
// the values can tell; the first differing layer is the load's.
static void test_corrupt_load(void **state) {
  (void)state;
  compiled k;
  compile_tiny(&k, PT_MODE_HT);
  pt_verify_report r = verify_compiled(&k);
  assert_true(r.pass);
  // A load of the residual Add (its operands are whole pixels).
  pt_inst *in = NULL;
  for (int n = 0; (in = nth_inst(k.p, PT_I_LOAD, n, long_load)); n++)
    if (k.g->n[in->node].op == PT_OP_ADD)
      break;
  assert_non_null(in);
  int node = in->node;
  in->src1 += (uint32_t)(in->len * k.p->elem_bytes);
  r = verify_compiled(&k);
  assert_false(r.pass);
  assert_int_equal(r.bad_node, node);
  assert_non_null(strstr(r.reason, k.g->n[node].name));
  compiled_free(&k);
}

// An mvm reads its input one element further: a poisoned element or a
// shifted vector.
static void test_corrupt_mvm_src(void **state) {
  (void)state;
  for (int mode = 0; mode < 2; mode++) {
    compiled k;
    compile_tiny(&k, mode);
    pt_inst *in = nth_inst(k.p, PT_I_MVM, 5, NULL);
    assert_non_null(in);
    in->src1 += (uint32_t)k.p->elem_bytes;
    pt_verify_report r = verify_compiled(&k);
    assert_false(r.pass);
    compiled_free(&k);
  }
}

static bool has_twin(const pt_inst *in) { return in->len2 > 0; }

// An mvm on another AG of the same core and shape (wrong weights), a
// vector op changed, a send from the wrong buffer, a store one pixel off.
// One wrong window can wash out below the tolerance by the outputs (one
// pixel of a depthwise conv under a global pooling does): the per-layer
// comparison catches it, from global memory (HT) or from the pixels as
// they are completed (LL).
static void test_corrupt_other(void **state) {
  (void)state;
  for (int mode = 0; mode < 2; mode++) {
    compiled k;
    compile_tiny_on(&k, mode, 4, 16);
    // mvm on a twin AG
    bool done = false;
    for (int n = 0; !done; n++) {
      pt_inst *in = nth_inst(k.p, PT_I_MVM, n, has_twin);
      assert_non_null(in);
      const pt_ag_info *ai = &k.p->ag[in->arg];
      for (int b = 0; b < k.p->nags && !done; b++) {
        const pt_ag_info *bi = &k.p->ag[b];
        if (b != in->arg && bi->core == ai->core && bi->rows == ai->rows &&
            bi->cols == ai->cols &&
            (bi->layer != ai->layer || bi->matrix != ai->matrix ||
             bi->row0 != ai->row0)) {
          in->arg = b;
          done = true;
        }
      }
    }
    assert_false(verify_compiled(&k).pass);
    compiled_free(&k);
    // vec add -> sub
    compile_tiny(&k, mode);
    pt_inst *in = nth_inst(k.p, PT_I_VEC, 3, NULL);
    for (int n = 3; in && in->vop != PT_V_ADD; n++)
      in = nth_inst(k.p, PT_I_VEC, n, NULL);
    assert_non_null(in);
    in->vop = PT_V_SUB;
    assert_false(verify_compiled(&k).pass);
    compiled_free(&k);
    // send from the wrong place
    compile_tiny(&k, mode);
    in = nth_inst(k.p, PT_I_SEND, 2, NULL);
    assert_non_null(in);
    in->src1 += (uint32_t)k.p->elem_bytes;
    assert_false(verify_compiled(&k).pass);
    compiled_free(&k);
  }
  // HT: a store one pixel further (the pixel it should fill is never
  // stored: readers wait for ever, or the output misses it).
  compiled k;
  compile_tiny(&k, PT_MODE_HT);
  pt_inst *in = nth_inst(k.p, PT_I_STORE, 10, NULL);
  in->dst += (uint32_t)(in->len * k.p->elem_bytes);
  pt_verify_report r = verify_compiled(&k);
  assert_false(r.pass);
  compiled_free(&k);
}

// An error of execution is reported with the core and instruction.
static void test_exec_errors(void **state) {
  (void)state;
  compiled k;
  compile_tiny(&k, PT_MODE_HT);
  pt_inst *in = nth_inst(k.p, PT_I_LOAD, 0, NULL);
  in->src1 += 1; // not a multiple of the element size
  pt_verify_report r = verify_compiled(&k);
  assert_false(r.pass);
  assert_non_null(strstr(r.reason, "execution failed"));
  assert_non_null(strstr(r.reason, "not a multiple of the element size"));
  in->src1 = (uint32_t)k.p->global_bytes; // outside
  r = verify_compiled(&k);
  assert_non_null(strstr(r.reason, "outside the global memory"));
  compiled_free(&k);
  // A load of a region no one stores: deadlock.
  compile_tiny(&k, PT_MODE_HT);
  in = nth_inst(k.p, PT_I_STORE, 0, NULL);
  in->len = 0; // the store's pixel never reaches memory
  r = verify_compiled(&k);
  assert_false(r.pass);
  assert_true(strstr(r.reason, "deadlock") ||
              strstr(r.reason, "never stored"));
  compiled_free(&k);
}

// ---------------------------------------------------------------------------
// Fixed point

static void test_fixed_point(void **state) {
  (void)state;
  pt_graph *g = load_model("tiny.onnx");
  double err16 = 0;
  for (int bits = 16; bits >= 8; bits -= 8) {
    pt_arch a;
    small_chip(&a, 16, 2, 32);
    a.act_bits = bits, a.weight_bits = a.cell_bits = 8;
    pt_verify_opts o = pt_verify_defaults();
    o.fixed_point = true;
    pt_verify_report r;
    pt_error err;
    for (int mode = 0; mode < 2; mode++) {
      assert_int_equal(pt_verify(g, &a, PT_UNF_IM2COL, PT_REPL_BALANCE, mode,
                                 &o, &r, &err), 0);
      print_message("tiny %s fixed point, %d-bit activations, 8-bit weights: "
                    "error %.3g (rel %.3g)\n", mode ? "ll" : "ht", bits,
                    r.fixed_max_abs_err, r.fixed_max_rel_err);
      assert_true(r.pass); // the float run
      assert_true(r.fixed_max_rel_err > 0);
      assert_true(r.fixed_max_rel_err < 0.1);
      if (bits == 16 && mode == 0)
        err16 = r.fixed_max_rel_err;
    }
  }
  assert_true(err16 > 0);
  pt_graph_free(g);
}

// ---------------------------------------------------------------------------
// Bundled workloads (structure-only: seeded random weights) on the default
// chip. vgg8's fc reads a flattened 4x4 map (rows permuted to HWC).

static void workload(const char *name, bool both_modes) {
  char file[128], arch[512];
  snprintf(file, sizeof file, "%s.onnx", name);
  snprintf(arch, sizeof arch, "%s/configs/arch/isaac.json", PT_SOURCE_DIR);
  pt_graph *g = load_model(file);
  pt_arch a;
  pt_error err;
  assert_int_equal(pt_arch_load(arch, &a, &err), 0);
  for (int mode = 0; mode < (both_modes ? 2 : 1); mode++) {
    char what[128];
    snprintf(what, sizeof what, "%s %s im2col balance", name,
             mode ? "ll" : "ht");
    expect_pass(g, &a, PT_UNF_IM2COL, PT_REPL_BALANCE, mode, what);
  }
  pt_graph_free(g);
}

static void test_vgg8(void **state) {
  (void)state;
  workload("vgg8", true);
}

// The long set (`test_execute long`, or PT_LONG=1): a few seconds each.
static void test_long_workloads(void **state) {
  (void)state;
  static const char *models[] = {"resnet18", "squeezenet1_0", "mobilenet_v2",
                                 "googlenet", "shufflenet_v2_x1_0"};
  for (size_t i = 0; i < sizeof models / sizeof *models; i++)
    workload(models[i], true);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_weight_index_conv),
      cmocka_unit_test(test_weight_index_fc),
      cmocka_unit_test(test_tiny),
      cmocka_unit_test(test_formats_convnet),
      cmocka_unit_test(test_formats_tiny),
      cmocka_unit_test(test_vecops),
      cmocka_unit_test(test_replication),
      cmocka_unit_test(test_pad),
      cmocka_unit_test(test_batch),
      cmocka_unit_test(test_ag_weights),
      cmocka_unit_test(test_corrupt_load),
      cmocka_unit_test(test_corrupt_mvm_src),
      cmocka_unit_test(test_corrupt_other),
      cmocka_unit_test(test_exec_errors),
      cmocka_unit_test(test_fixed_point),
      cmocka_unit_test(test_vgg8),
  };
  const struct CMUnitTest long_tests[] = {
      cmocka_unit_test(test_long_workloads),
  };
  const char *env = getenv("PT_LONG");
  if ((argc > 1 && !strcmp(argv[1], "long")) || (env && *env && *env != '0'))
    return cmocka_run_group_tests(long_tests, NULL, NULL);
  return cmocka_run_group_tests(tests, NULL, NULL);
}
