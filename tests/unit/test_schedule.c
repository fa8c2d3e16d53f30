// Unit tests of the schedulers on hand-made graphs: the HT and LL streams
// pass the checker, the LL memory manager sends each pixel to a core once
// and holds only a few rows, LL rounds send their pixels at their end, LL
// replicas go oldest window first (no stall) and send their partial sums
// after all their mvm of the round, a too small local memory is
// reported (transfers to a full core wait), and HT grouping follows the
// period.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "compiler/program.h"

// n 3x3 convs (stride 1, pad 1) on [1, c, h, w], c channels each: a chain,
// or with fork every conv after the first reads the first one's output.
static pt_graph *convs(int n, int64_t c, int64_t h, int64_t w, bool fork) {
  pt_graph *g = pt_graph_new("chain.onnx");
  int64_t xd[4] = {1, c, h, w}, wd[4] = {c, c, 3, 3};
  int x = pt_graph_add_tensor(g, "x", PT_F32, 4, xd);
  g->inputs[g->ninputs++] = x;
  for (int i = 0; i < n; i++) {
    char name[32];
    snprintf(name, sizeof name, "w%d", i);
    int wt = pt_graph_add_tensor(g, name, PT_F32, 4, wd);
    g->t[wt].is_const = true;
    snprintf(name, sizeof name, "y%d", i);
    int y = pt_graph_add_tensor(g, name, PT_F32, 4, xd);
    snprintf(name, sizeof name, "conv%d", i);
    int k = pt_graph_add_node(g, name, i, PT_OP_CONV);
    pt_node *nd = &g->n[k];
    nd->nin = 2, nd->in[0] = x, nd->in[1] = wt;
    nd->nout = 1, nd->out[0] = y;
    nd->a.nspatial = 2, nd->a.group = 1;
    for (int a = 0; a < 2; a++) {
      nd->a.kernel[a] = 3, nd->a.stride[a] = 1, nd->a.dilation[a] = 1;
      nd->a.pad_begin[a] = nd->a.pad_end[a] = 1;
    }
    nd->act = PT_ACT_RELU;
    g->t[y].producer = k;
    if (!fork || i == 0)
      x = y;
    if (fork && i > 0)
      g->outputs[g->noutputs++] = y;
  }
  if (!fork)
    g->outputs[g->noutputs++] = x;
  return g;
}

static pt_graph *chain(int n, int64_t c, int64_t h, int64_t w) {
  return convs(n, c, h, w, false);
}

// ncores cores of one logical 128x128 crossbar each (8 arrays of 2-bit
// cells at 16-bit weights).
static pt_arch small_chip(int ncores) {
  pt_arch a;
  pt_arch_defaults(&a);
  a.cores_x = ncores, a.cores_y = 1, a.cores = ncores;
  a.xbars_per_core = 8;
  return a;
}

typedef struct {
  pt_graph *g;
  pt_arch a;
  pt_map_ctx c;
  pt_mapping *m;
  pt_program *p;
} fixture;

static int build(fixture *f, pt_mode mode, pt_repl repl, pt_error *err) {
  if (pt_map_ctx_init(&f->c, f->g, &f->a, err))
    return -1;
  f->m = pt_map_new(&f->c);
  if (pt_map_heuristic(f->m, &f->c, PT_UNF_IM2COL, repl, mode, err))
    return -1;
  return pt_schedule(&f->c, f->m, &f->p, err);
}

// LL, no replication but r0 copies of the first layer.
static int build_ll_r0(fixture *f, int r0, pt_error *err) {
  if (pt_map_ctx_init(&f->c, f->g, &f->a, err))
    return -1;
  f->m = pt_map_new(&f->c);
  if (pt_map_heuristic(f->m, &f->c, PT_UNF_IM2COL, PT_REPL_NONE, PT_MODE_LL,
                       err))
    return -1;
  f->m->repl[0] = (int16_t)r0;
  if (pt_map_index(f->m, &f->c, err) || pt_map_layout(f->m, &f->c, err))
    return -1;
  return pt_schedule(&f->c, f->m, &f->p, err);
}

static void done(fixture *f) {
  pt_prog_free(f->p);
  pt_map_free(f->m);
  pt_map_ctx_free(&f->c);
  pt_graph_free(f->g);
}

static int64_t count(const pt_program *p, int core, pt_iop op, int node) {
  int64_t n = 0;
  for (int64_t k = 0; k < p->core[core].n; k++)
    n += p->core[core].v[k].op == op &&
         (node < 0 || p->core[core].v[k].node == node);
  return n;
}

static void checked(fixture *f) {
  pt_error err;
  if (pt_prog_check(f->p, f->g, NULL, &err))
    fail_msg("check: %s", err.msg);
}

static void test_ht_chain(void **state) {
  (void)state;
  fixture f = {.g = chain(2, 8, 16, 16), .a = small_chip(2)};
  pt_error err;
  if (build(&f, PT_MODE_HT, PT_REPL_NONE, &err))
    fail_msg("%s", err.msg);
  checked(&f);
  // One AG (72 rows x 8 cols) per layer, one window per output pixel.
  int64_t mvm = 0, store = 0;
  for (int c = 0; c < 2; c++)
    mvm += count(f.p, c, PT_I_MVM, -1), store += count(f.p, c, PT_I_STORE, -1);
  assert_int_equal(mvm, 2 * 256);
  assert_int_equal(store, 2 * 256);
  done(&f);
}

// LL: conv0 on core 0, conv1 on core 1. Each of conv0's 256 pixels goes
// to core 1 exactly once; core 1 holds no more than the rows conv1's
// windows need.
static void test_ll_each_pixel_once(void **state) {
  (void)state;
  fixture f = {.g = chain(2, 8, 16, 16), .a = small_chip(2)};
  pt_error err;
  if (build(&f, PT_MODE_LL, PT_REPL_NONE, &err))
    fail_msg("%s", err.msg);
  checked(&f);
  assert_int_equal(f.m->ag_core[0], 0);
  assert_int_equal(f.m->ag_core[1], 1);
  assert_int_equal(count(f.p, 1, PT_I_RECV, 0), 256);
  assert_int_equal(count(f.p, 0, PT_I_SEND, 0), 256);
  assert_int_equal(count(f.p, 0, PT_I_STORE, -1), 0); // no layer goes out
  assert_int_equal(count(f.p, 1, PT_I_STORE, -1), 256); // but the last
  // Three rows of 16 pixels x 8 channels x 2 bytes for a window, a row
  // of slack, plus the window, accumulator and mvm buffers.
  int64_t rows = 4 * 16 * 8 * 2;
  assert_true(f.p->core[1].peak_local_bytes <= rows + 1024);
  done(&f);
}

// LL rounds are bulk-synchronous: the pixels a round makes are sent at its
// end, before their producer's next window. conv0, conv1, conv2 on cores
// 0, 1, 2, one window (one mvm, one pixel) per round at most: on the
// producers of y0 and y1 mvm and send alternate, each pixel sent once.
static void test_ll_round_sends(void **state) {
  (void)state;
  fixture f = {.g = chain(3, 8, 12, 12), .a = small_chip(3)};
  pt_error err;
  if (build(&f, PT_MODE_LL, PT_REPL_NONE, &err))
    fail_msg("%s", err.msg);
  checked(&f);
  for (int c = 0; c < 3; c++)
    assert_int_equal(f.m->ag_core[c], c);
  for (int c = 0; c < 2; c++) {
    const pt_stream *st = &f.p->core[c];
    int64_t mvm = 0, sends = 0; // sends since the last mvm
    for (int64_t k = 0; k < st->n; k++) {
      const pt_inst *i = &st->v[k];
      if (i->op == PT_I_MVM) {
        if (mvm)
          assert_int_equal(sends, 1);
        mvm++, sends = 0;
      } else if (i->op == PT_I_SEND) {
        assert_int_equal(i->arg, c + 1);
        assert_true(mvm > 0);
        sends++;
      }
    }
    assert_int_equal(mvm, 144);
    assert_int_equal(sends, 1);
    assert_int_equal(count(f.p, c, PT_I_SEND, -1), 144);
  }
  assert_int_equal(count(f.p, 2, PT_I_SEND, -1), 0);
  done(&f);
}

static void test_ll_replicated(void **state) {
  (void)state;
  fixture f = {.g = chain(3, 8, 12, 12), .a = small_chip(8)};
  pt_error err;
  if (build(&f, PT_MODE_LL, PT_REPL_BALANCE, &err))
    fail_msg("%s", err.msg);
  checked(&f);
  assert_true(f.m->repl[0] > 1);
  assert_int_equal(f.p->stalls, 0);
  done(&f);
}

// LL issues a layer's windows oldest first: when flow control holds back a
// replicated producer, its pixels are still completed in raster order, so
// its reader is not starved. conv0 with 4 replicas feeds conv1 with one (a
// window per round): no round stalls, and the schedule takes conv1's 256
// windows plus the few before its first. (Replicas tried in a fixed
// order let the first run ahead of the others: 36 stalls, 289 rounds.)
static void test_ll_oldest_first(void **state) {
  (void)state;
  fixture f = {.g = chain(2, 8, 16, 16), .a = small_chip(8)};
  pt_error err;
  if (build_ll_r0(&f, 4, &err))
    fail_msg("%s", err.msg);
  checked(&f);
  assert_int_equal(f.p->stalls, 0);
  assert_in_range(f.p->rounds, 256, 256 + 8);
  done(&f);
}

// LL sends a layer's partial sums once all its replicas ran their mvm in
// the round. One conv of 3 AGs (288 rows) with 2 replicas, 2 AGs a core:
// core 1 holds replica 0's last AG and replica 1's first (its home). Each
// round it runs both mvm, then sends replica 0's partial sum; sending it
// between them made replica 1 wait for replica 0's home core.
static void test_ll_partial_sums_after_mvm(void **state) {
  (void)state;
  fixture f = {.g = chain(1, 32, 8, 8), .a = small_chip(3)};
  f.a.xbars_per_core = 16;
  pt_error err;
  if (build_ll_r0(&f, 2, &err))
    fail_msg("%s", err.msg);
  checked(&f);
  const int16_t want[6] = {0, 0, 1, 1, 2, 2};
  for (int i = 0; i < 6; i++)
    assert_int_equal(f.m->ag_core[i], want[i]);
  const pt_stream *st = &f.p->core[1];
  int64_t mvm = 0, sends = 0;
  for (int64_t k = 0; k < st->n; k++)
    if (st->v[k].op == PT_I_MVM) {
      mvm++;
    } else if (st->v[k].op == PT_I_SEND) {
      assert_int_equal(mvm, 2); // both of the round's mvm before it
      mvm = 0, sends++;
    }
  assert_int_equal(sends, 32); // replica 0's 32 of the 64 windows
  done(&f);
}

static void test_local_memory_too_small(void **state) {
  (void)state;
  fixture f = {.g = chain(2, 8, 16, 16), .a = small_chip(2)};
  f.a.local.size_bytes = 512;
  pt_error err;
  assert_int_not_equal(build(&f, PT_MODE_LL, PT_REPL_NONE, &err), 0);
  // conv1's core has no room for conv0's pixels: the transfers wait, so
  // core 0, which holds them, overflows first (sent at once, core 1 did).
  assert_non_null(strstr(err.msg, "local memory: core 0 needs"));
  assert_non_null(strstr(err.msg, "it has 512"));
  done(&f);
}

// conv0 feeds conv1 and conv2, each a whole period long. conv1 depends on
// conv0 (both would not fit one period: new group); conv2 is independent
// of conv1, so with grouping it shares conv1's group.
static void test_ht_grouping(void **state) {
  (void)state;
  for (int grouping = 0; grouping < 2; grouping++) {
    fixture f = {.g = convs(3, 8, 8, 8, true), .a = small_chip(3)};
    pt_error err;
    if (pt_map_ctx_init(&f.c, f.g, &f.a, &err))
      fail_msg("%s", err.msg);
    f.m = pt_map_new(&f.c);
    f.m->ht_grouping = grouping;
    if (pt_map_heuristic(f.m, &f.c, PT_UNF_IM2COL, PT_REPL_NONE, PT_MODE_HT,
                         &err) ||
        pt_schedule(&f.c, f.m, &f.p, &err))
      fail_msg("%s", err.msg);
    checked(&f);
    assert_int_equal(f.p->ngroups, grouping ? 2 : 3);
    assert_int_equal(f.p->group[0], 0);
    assert_int_equal(f.p->group[1], 1);
    assert_int_equal(f.p->group[2], grouping ? 1 : 2);
    done(&f);
  }
}

// An fc applied to several vectors per sample ([1, T, I]): HT reads the
// flat input and works; LL refuses it by name.
static void test_ll_refuses_fc_on_rank3(void **state) {
  (void)state;
  pt_graph *g = pt_graph_new("seq.onnx");
  int64_t xd[3] = {1, 4, 16}, wd[2] = {16, 8}, yd[3] = {1, 4, 8};
  int x = pt_graph_add_tensor(g, "x", PT_F32, 3, xd);
  int w = pt_graph_add_tensor(g, "w", PT_F32, 2, wd);
  g->t[w].is_const = true;
  int y = pt_graph_add_tensor(g, "y", PT_F32, 3, yd);
  int k = pt_graph_add_node(g, "proj", 0, PT_OP_FC);
  g->n[k].nin = 2, g->n[k].in[0] = x, g->n[k].in[1] = w;
  g->n[k].nout = 1, g->n[k].out[0] = y;
  g->t[y].producer = k;
  g->inputs[g->ninputs++] = x;
  g->outputs[g->noutputs++] = y;
  fixture f = {.g = g, .a = small_chip(2)};
  pt_error err;
  if (build(&f, PT_MODE_HT, PT_REPL_NONE, &err))
    fail_msg("%s", err.msg);
  checked(&f);
  assert_int_equal(count(f.p, 0, PT_I_MVM, -1), 4); // one per vector
  pt_prog_free(f.p);
  f.p = NULL;
  f.m->mode = PT_MODE_LL;
  assert_int_not_equal(pt_schedule(&f.c, f.m, &f.p, &err), 0);
  assert_non_null(strstr(err.msg, "node 'proj': fc on a rank-3 input"));
  done(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ht_chain),
      cmocka_unit_test(test_ll_each_pixel_once),
      cmocka_unit_test(test_ll_round_sends),
      cmocka_unit_test(test_ll_replicated),
      cmocka_unit_test(test_ll_oldest_first),
      cmocka_unit_test(test_ll_partial_sums_after_mvm),
      cmocka_unit_test(test_local_memory_too_small),
      cmocka_unit_test(test_ht_grouping),
      cmocka_unit_test(test_ll_refuses_fc_on_rank3),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
