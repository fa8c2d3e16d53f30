// Unit tests of the stream checker (pt_prog_check): hand-made two-core
// programs, one correct and one per fault it must catch, then real HT
// streams of tiny.onnx that pass and, corrupted one instruction at a time,
// fail.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "compiler/program.h"

// ---------------------------------------------------------------------------
// Hand-made programs over a one-layer graph: x [1, 8] -> fc -> y [1, 8].
// Global memory: x at byte 0, y at byte 64 (2-byte elements).

enum { EB = 2, GX = 0, GY = 64 };

static pt_graph *fc_graph(void) {
  pt_graph *g = pt_graph_new("fc.onnx");
  int64_t xd[2] = {1, 8}, wd[2] = {8, 8};
  int x = pt_graph_add_tensor(g, "x", PT_F32, 2, xd);
  int w = pt_graph_add_tensor(g, "w", PT_F32, 2, wd);
  g->t[w].is_const = true;
  int y = pt_graph_add_tensor(g, "y", PT_F32, 2, xd);
  int n = pt_graph_add_node(g, "fc", 0, PT_OP_FC);
  g->n[n].nin = 2, g->n[n].in[0] = x, g->n[n].in[1] = w;
  g->n[n].nout = 1, g->n[n].out[0] = y;
  g->n[n].a.trans_b = true;
  g->t[y].producer = n;
  g->inputs[g->ninputs++] = x;
  g->outputs[g->noutputs++] = y;
  return g;
}

// A program with every field pt_prog_free releases, two cores, and one AG
// (the whole 8 x 8 matrix) on core 0.
static pt_program *hand_prog(const pt_graph *g) {
  pt_program *p = pt_calloc(1, sizeof *p);
  p->mode = PT_MODE_HT;
  p->ncores = 2;
  p->core = pt_calloc(2, sizeof *p->core);
  p->heap = pt_calloc(2, sizeof *p->heap);
  p->elem_bytes = EB;
  p->local_capacity = 4096;
  p->ntensors = g->nt;
  p->gt = pt_calloc(g->nt, sizeof *p->gt);
  for (int t = 0; t < g->nt; t++)
    p->gt[t] = (pt_gview){-1, 0, 0};
  p->gt[0] = (pt_gview){GX, 8, 0};
  p->gt[2] = (pt_gview){GY, 8, 0};
  p->global_bytes = 128;
  p->nags = 1;
  p->ag = pt_calloc(1, sizeof *p->ag);
  p->ag[0] = (pt_ag_info){.rows = 8, .cols = 8, .core = 0, .crossbars = 1};
  return p;
}

static pt_inst *op(pt_program *p, int core, pt_iop o, uint32_t dst,
                   uint32_t src, int32_t len) {
  pt_inst *i = pt_prog_emit(p, core, o);
  i->node = 0;
  i->dst = dst, i->src1 = src, i->len = len;
  return i;
}
static void load(pt_program *p, int c, uint32_t dst, uint32_t g, int32_t n) {
  op(p, c, PT_I_LOAD, dst, g, n);
}
static void store(pt_program *p, int c, uint32_t g, uint32_t src, int32_t n) {
  op(p, c, PT_I_STORE, g, src, n)->flags = PT_IF_FINAL;
}
static void mvm(pt_program *p, int c, int ag, uint32_t dst, uint32_t src) {
  pt_inst *i = op(p, c, PT_I_MVM, dst, src, 8);
  i->arg = ag, i->len2 = 8;
}
static void send(pt_program *p, int c, int peer, uint32_t src, int32_t n) {
  op(p, c, PT_I_SEND, 0, src, n)->arg = peer;
}
static void recv(pt_program *p, int c, int peer, uint32_t dst, int32_t n) {
  op(p, c, PT_I_RECV, dst, 0, n)->arg = peer;
}
static pt_inst *vec(pt_program *p, int c, pt_vop v, uint32_t dst,
                    uint32_t a, uint32_t b, int32_t n) {
  pt_inst *i = op(p, c, PT_I_VEC, dst, a, n);
  i->vop = (uint8_t)v, i->src2 = b;
  return i;
}

typedef struct {
  pt_graph *g;
  pt_program *p;
  pt_error err;
  pt_check_report rep;
} hand;

static void hand_init(hand *h) {
  memset(h, 0, sizeof *h);
  h->g = fc_graph();
  h->p = hand_prog(h->g);
}

static int hand_check(hand *h) {
  h->err.msg[0] = 0;
  int rc = pt_prog_check(h->p, h->g, &h->rep, &h->err);
  if (rc)
    print_message("check: %s\n", h->err.msg);
  return rc;
}

static void hand_free(hand *h) {
  pt_prog_free(h->p);
  pt_graph_free(h->g);
}

// Core 0: load x, mvm, send the result to core 1. Core 1: receive, add a
// broadcast bias written in place, relu, copy, store y.
static void good_core0(pt_program *p) {
  uint32_t a = pt_prog_alloc(p, 0, 8 * EB, 0);
  uint32_t b = pt_prog_alloc(p, 0, 8 * EB, 0);
  load(p, 0, a, GX, 8);
  mvm(p, 0, 0, b, a);
  send(p, 0, 1, b, 8);
  pt_prog_release(p, 0, a);
  pt_prog_release(p, 0, b);
}

static void good_core1(pt_program *p) {
  uint32_t r = pt_prog_alloc(p, 1, 8 * EB, 0);
  uint32_t bias = pt_prog_alloc(p, 1, 1 * EB, 0);
  recv(p, 1, 0, r, 8);
  op(p, 1, PT_I_WRITE, bias, 0, 1)->imm = 0.5f;
  vec(p, 1, PT_V_ADD, r, r, bias, 8)->flags = PT_IF_BCAST;
  vec(p, 1, PT_V_RELU, r, r, 0, 8);
  uint32_t out = pt_prog_alloc(p, 1, 8 * EB, 0);
  op(p, 1, PT_I_COPY, out, r, 8);
  store(p, 1, GY, out, 8);
  pt_prog_release_all(p);
}

static void test_good_two_cores(void **state) {
  (void)state;
  hand h;
  hand_init(&h);
  good_core0(h.p);
  good_core1(h.p);
  assert_int_equal(hand_check(&h), 0);
  assert_int_equal(h.rep.executed, 3 + 6);
  assert_int_equal(h.rep.stored_bytes, 8 * EB);
  hand_free(&h);
}

// The same with the cores' roles swapped in order: core 0 waits for y,
// which core 1 stores; a load waits for the store instead of failing.
static void test_load_waits_for_store(void **state) {
  (void)state;
  hand h;
  hand_init(&h);
  uint32_t a = pt_prog_alloc(h.p, 0, 8 * EB, 0);
  load(h.p, 0, a, GY, 8); // y, stored by core 1 below
  uint32_t b = pt_prog_alloc(h.p, 1, 8 * EB, 0);
  load(h.p, 1, b, GX, 8);
  store(h.p, 1, GY, b, 8);
  pt_prog_release_all(h.p);
  assert_int_equal(hand_check(&h), 0);
  assert_int_equal(h.rep.executed, 3);
  hand_free(&h);
}

static void test_read_unwritten(void **state) {
  (void)state;
  hand h;
  hand_init(&h);
  uint32_t a = pt_prog_alloc(h.p, 0, 8 * EB, 0);
  uint32_t b = pt_prog_alloc(h.p, 0, 8 * EB, 0);
  load(h.p, 0, a, GX, 4); // only half of the input
  mvm(h.p, 0, 0, b, a);
  pt_prog_release_all(h.p);
  assert_int_not_equal(hand_check(&h), 0);
  assert_string_equal(h.err.msg, "core 0, instruction 1 (mvm): reads local "
                                 "[0, 16) that was never written");
  hand_free(&h);
  // A vec's second operand, too.
  hand_init(&h);
  a = pt_prog_alloc(h.p, 1, 8 * EB, 0);
  b = pt_prog_alloc(h.p, 1, 8 * EB, 0);
  load(h.p, 1, a, GX, 8);
  vec(h.p, 1, PT_V_MAX, a, a, b, 8);
  pt_prog_release_all(h.p);
  assert_int_not_equal(hand_check(&h), 0);
  assert_string_equal(h.err.msg, "core 1, instruction 1 (vec max): reads "
                                 "local [16, 32) that was never written");
  hand_free(&h);
}

static void test_use_after_release(void **state) {
  (void)state;
  hand h;
  hand_init(&h);
  uint32_t a = pt_prog_alloc(h.p, 0, 8 * EB, 0);
  uint32_t b = pt_prog_alloc(h.p, 0, 8 * EB, 0);
  load(h.p, 0, a, GX, 8);
  pt_prog_release(h.p, 0, a);
  mvm(h.p, 0, 0, b, a);
  pt_prog_release_all(h.p);
  assert_int_not_equal(hand_check(&h), 0);
  assert_string_equal(h.err.msg, "core 0, instruction 1 (mvm): reads local "
                                 "[0, 16) after its buffer was released");
  hand_free(&h);
  // Writing into a released buffer (here: a recv) is a fault too.
  hand_init(&h);
  good_core0(h.p);
  uint32_t r = pt_prog_alloc(h.p, 1, 8 * EB, 0);
  op(h.p, 1, PT_I_WRITE, r, 0, 8);
  pt_prog_release(h.p, 1, r);
  recv(h.p, 1, 0, r, 8);
  pt_prog_release_all(h.p);
  assert_int_not_equal(hand_check(&h), 0);
  assert_string_equal(h.err.msg, "core 1, instruction 1: writes local [0, "
                                 "16) after its buffer was released");
  hand_free(&h);
  // Also when the buffer was released before any instruction used it.
  hand_init(&h);
  good_core0(h.p);
  r = pt_prog_alloc(h.p, 1, 8 * EB, 0);
  pt_prog_release(h.p, 1, r);
  recv(h.p, 1, 0, r, 8);
  pt_prog_release_all(h.p);
  assert_int_not_equal(hand_check(&h), 0);
  assert_string_equal(h.err.msg, "core 1, instruction 0: writes local [0, "
                                 "16) after its buffer was released");
  hand_free(&h);
  // Reallocated, the bytes are garbage again until written.
  hand_init(&h);
  a = pt_prog_alloc(h.p, 0, 8 * EB, 0);
  load(h.p, 0, a, GX, 8);
  pt_prog_release(h.p, 0, a);
  b = pt_prog_alloc(h.p, 0, 8 * EB, 0);
  assert_int_equal(b, a);
  store(h.p, 0, GY, b, 8);
  pt_prog_release_all(h.p);
  assert_int_not_equal(hand_check(&h), 0);
  assert_string_equal(h.err.msg, "core 0, instruction 1 (store): reads local "
                                 "[0, 16) that was never written");
  hand_free(&h);
}

// An mvm names an AG of its own core and its exact shape.
static void test_mvm_ag(void **state) {
  (void)state;
  static const struct {
    int core, ag, len, len2;
    const char *msg;
  } bad[] = {
      {0, 1, 8, 8, "core 0, instruction 1: mvm on AG 1, the program has AGs "
                   "0..0"},
      {0, -1, 8, 8, "core 0, instruction 1: mvm on AG -1, the program has "
                    "AGs 0..0"},
      {1, 0, 8, 8, "core 1, instruction 1: mvm on AG 0, which sits on core "
                   "0"},
      {0, 0, 7, 8, "core 0, instruction 1: mvm on AG 0 reads 7 and writes 8 "
                   "elements, the AG has 8 rows and 8 columns"},
      {0, 0, 8, 4, "core 0, instruction 1: mvm on AG 0 reads 8 and writes 4 "
                   "elements, the AG has 8 rows and 8 columns"},
  };
  for (size_t t = 0; t < sizeof bad / sizeof bad[0]; t++) {
    hand h;
    hand_init(&h);
    int c = bad[t].core;
    uint32_t a = pt_prog_alloc(h.p, c, 8 * EB, 0);
    uint32_t b = pt_prog_alloc(h.p, c, 8 * EB, 0);
    load(h.p, c, a, GX, 8);
    mvm(h.p, c, bad[t].ag, b, a);
    pt_inst *i = &h.p->core[c].v[1];
    i->len = bad[t].len, i->len2 = bad[t].len2;
    store(h.p, c, GY, b, 8);
    pt_prog_release_all(h.p);
    assert_int_not_equal(hand_check(&h), 0);
    assert_string_equal(h.err.msg, bad[t].msg);
    hand_free(&h);
  }
}

static void test_length_mismatch(void **state) {
  (void)state;
  hand h;
  hand_init(&h);
  good_core0(h.p);
  uint32_t r = pt_prog_alloc(h.p, 1, 8 * EB, 0);
  recv(h.p, 1, 0, r, 4);
  store(h.p, 1, GY, r, 8);
  pt_prog_release_all(h.p);
  assert_int_not_equal(hand_check(&h), 0);
  assert_string_equal(h.err.msg, "core 0, instruction 2 sends 8 elements; "
                                 "core 1, instruction 0 receives 4");
  hand_free(&h);
}

static void test_deadlock(void **state) {
  (void)state;
  hand h;
  hand_init(&h);
  for (int c = 0; c < 2; c++) {
    uint32_t a = pt_prog_alloc(h.p, c, 8 * EB, 0);
    uint32_t b = pt_prog_alloc(h.p, c, 8 * EB, 0);
    load(h.p, c, a, GX, 8);
    send(h.p, c, 1 - c, a, 8); // both send first
    recv(h.p, c, 1 - c, b, 8);
  }
  pt_prog_release_all(h.p);
  assert_int_not_equal(hand_check(&h), 0);
  assert_string_equal(h.err.msg, "deadlock: core 0 waits at instruction 1 "
                                 "(send core 1) and no core can move");
  hand_free(&h);
  // A recv from a core that never sends.
  hand_init(&h);
  uint32_t a = pt_prog_alloc(h.p, 1, 8 * EB, 0);
  recv(h.p, 1, 0, a, 8);
  pt_prog_release_all(h.p);
  assert_int_not_equal(hand_check(&h), 0);
  assert_string_equal(h.err.msg, "deadlock: core 1 waits at instruction 0 "
                                 "(recv core 0) and no core can move");
  hand_free(&h);
}

// y is never stored: the load can never run.
static void test_load_never_stored(void **state) {
  (void)state;
  hand h;
  hand_init(&h);
  uint32_t a = pt_prog_alloc(h.p, 0, 8 * EB, 0);
  load(h.p, 0, a, GY, 8);
  store(h.p, 0, GY, a, 8);
  pt_prog_release_all(h.p);
  assert_int_not_equal(hand_check(&h), 0);
  assert_string_equal(h.err.msg, "deadlock: core 0 waits at instruction 0 "
                                 "(load len 8) and no core can move");
  hand_free(&h);
  // Partly stored is not stored.
  hand_init(&h);
  a = pt_prog_alloc(h.p, 0, 8 * EB, 0);
  uint32_t b = pt_prog_alloc(h.p, 0, 8 * EB, 0);
  load(h.p, 0, a, GX, 8);
  store(h.p, 0, GY, a, 7);
  load(h.p, 0, b, GY, 8);
  pt_prog_release_all(h.p);
  assert_int_not_equal(hand_check(&h), 0);
  assert_non_null(strstr(h.err.msg, "deadlock: core 0 waits at instruction "
                                    "2 (load"));
  hand_free(&h);
}

static void test_store_twice_or_never(void **state) {
  (void)state;
  hand h;
  hand_init(&h);
  uint32_t a = pt_prog_alloc(h.p, 0, 8 * EB, 0);
  load(h.p, 0, a, GX, 8);
  store(h.p, 0, GY, a, 8);
  store(h.p, 0, GY + 3 * EB, a, 1); // element 3 again
  pt_prog_release_all(h.p);
  assert_int_not_equal(hand_check(&h), 0);
  assert_string_equal(h.err.msg, "node 'fc': output element 3 of pixel 0 "
                                 "stored more than once");
  hand_free(&h);

  hand_init(&h);
  a = pt_prog_alloc(h.p, 0, 8 * EB, 0);
  load(h.p, 0, a, GX, 8);
  store(h.p, 0, GY, a, 5); // elements 5..7 missing
  pt_prog_release_all(h.p);
  assert_int_not_equal(hand_check(&h), 0);
  assert_string_equal(h.err.msg, "node 'fc': output element 5 of pixel 0 "
                                 "stored never");
  hand_free(&h);

  hand_init(&h); // nothing at all
  assert_int_not_equal(hand_check(&h), 0);
  assert_string_equal(h.err.msg, "node 'fc': output element 0 of pixel 0 "
                                 "stored never");
  hand_free(&h);
}

// Buffer records made by hand (the allocator never overlaps them).
static void add_buf(pt_program *p, int core, int64_t addr, int64_t bytes,
                    int64_t from, int64_t to) {
  if (p->nbuf == p->capbuf) {
    p->capbuf = p->capbuf ? 2 * p->capbuf : 8;
    p->buf = pt_realloc(p->buf, p->capbuf * sizeof *p->buf);
  }
  p->buf[p->nbuf++] = (pt_buf){core, 0, addr, bytes, from, to};
  if (addr + bytes > p->core[core].peak_local_bytes)
    p->core[core].peak_local_bytes = addr + bytes;
}

// Core 0: load x into [0, 16), store it as y.
static void copy_x_to_y(pt_program *p) {
  load(p, 0, 0, GX, 8);
  store(p, 0, GY, 0, 8);
}

static void test_overlapping_buffers(void **state) {
  (void)state;
  hand h;
  hand_init(&h);
  copy_x_to_y(h.p);
  add_buf(h.p, 0, 0, 16, 0, 2);
  add_buf(h.p, 0, 8, 16, 1, 2); // shares [8, 16) while the first lives
  assert_int_not_equal(hand_check(&h), 0);
  assert_string_equal(h.err.msg, "core 0: buffers [0, 16) and [8, 24) "
                                 "overlap while both live (instructions 0 "
                                 "and 1)");
  hand_free(&h);
  // A buffer never released (to = -1) lives to the end of the stream.
  hand_init(&h);
  copy_x_to_y(h.p);
  add_buf(h.p, 0, 0, 16, 0, -1);
  add_buf(h.p, 0, 8, 16, 1, 2);
  assert_int_not_equal(hand_check(&h), 0);
  assert_string_equal(h.err.msg, "core 0: buffers [0, 16) and [8, 24) "
                                 "overlap while both live (instructions 0 "
                                 "and 1)");
  hand_free(&h);
  // Same bytes one after the other, or side by side: fine.
  hand_init(&h);
  copy_x_to_y(h.p);
  add_buf(h.p, 0, 0, 16, 0, 2);
  add_buf(h.p, 0, 16, 16, 0, 2);
  add_buf(h.p, 0, 8, 16, 2, 2);
  add_buf(h.p, 1, 0, 16, 0, 0); // another core
  assert_int_equal(hand_check(&h), 0);
  hand_free(&h);
}

// Addresses and peers outside what exists.
static void test_out_of_range(void **state) {
  (void)state;
  hand h;
  hand_init(&h);
  uint32_t a = pt_prog_alloc(h.p, 0, 8 * EB, 0);
  load(h.p, 0, a, 120, 8);
  pt_prog_release_all(h.p);
  assert_int_not_equal(hand_check(&h), 0);
  assert_string_equal(h.err.msg, "core 0, instruction 0 (load): global "
                                 "[120, 136) is outside the 128 bytes laid "
                                 "out");
  hand_free(&h);

  hand_init(&h);
  a = pt_prog_alloc(h.p, 0, 8 * EB, 0);
  load(h.p, 0, a + 8, GX, 8); // 8 bytes past the buffer
  pt_prog_release_all(h.p);
  assert_int_not_equal(hand_check(&h), 0);
  assert_string_equal(h.err.msg, "core 0, instruction 0: writes local [8, "
                                 "24) beyond the memory in use");
  hand_free(&h);

  hand_init(&h);
  a = pt_prog_alloc(h.p, 0, 8 * EB, 0);
  load(h.p, 0, a, GX, 8);
  send(h.p, 0, 0, a, 8);
  pt_prog_release_all(h.p);
  assert_int_not_equal(hand_check(&h), 0);
  assert_string_equal(h.err.msg, "core 0, instruction 1: send to core 0");
  hand_free(&h);
}


// ---------------------------------------------------------------------------
// Real streams: tiny.onnx on a chip of one 16x16 crossbar per core, so that
// the AGs of a copy sit on different cores and partial sums travel.

typedef struct {
  pt_graph *g;
  pt_arch a;
  pt_map_ctx c;
  pt_mapping *m;
  pt_program *p;
  pt_error err;
} real;

static void real_init(real *r, int cores, pt_repl how) {
  memset(r, 0, sizeof *r);
  char notice[256];
  r->g = pt_graph_load(PT_SOURCE_DIR "/configs/workloads/tiny.onnx", notice,
                       sizeof notice, &r->err);
  assert_non_null(r->g);
  pt_arch_defaults(&r->a);
  r->a.chips_x = r->a.chips_y = 1;
  r->a.cores_x = cores, r->a.cores_y = 1, r->a.cores = cores;
  r->a.xbars_per_core = 1;
  r->a.xbar_rows = r->a.xbar_cols = 16;
  r->a.cell_bits = r->a.weight_bits = 8;
  r->a.signed_pairs = false;
  r->a.act_bits = 16;
  r->a.local.size_bytes = 65536;
  assert_int_equal(pt_map_ctx_init(&r->c, r->g, &r->a, &r->err), 0);
  r->m = pt_map_new(&r->c);
  assert_int_equal(pt_map_heuristic(r->m, &r->c, PT_UNF_IM2COL, how,
                                    PT_MODE_HT, &r->err), 0);
  assert_int_equal(pt_sched_ht(&r->c, r->m, &r->p, &r->err), 0);
}

static void real_free(real *r) {
  pt_prog_free(r->p);
  pt_map_free(r->m);
  pt_map_ctx_free(&r->c);
  pt_graph_free(r->g);
}

static int real_check(real *r) {
  pt_check_report rep;
  r->err.msg[0] = 0;
  int rc = pt_prog_check(r->p, r->g, &rep, &r->err);
  if (rc)
    print_message("check: %s\n", r->err.msg);
  return rc;
}

// The first instruction with op `o` (and, for o = PT_I_COUNT, any op) on
// any core at or after core c0; returns the core, -1 if none.
static int find_op(const pt_program *p, int c0, pt_iop o, int64_t *at) {
  for (int c = c0; c < p->ncores; c++)
    for (int64_t k = 0; k < p->core[c].n; k++)
      if (p->core[c].v[k].op == o) {
        *at = k;
        return c;
      }
  return -1;
}

// Remove instruction k of core c, keeping the buffer records in step.
static void drop(pt_program *p, int c, int64_t k) {
  pt_stream *s = &p->core[c];
  memmove(&s->v[k], &s->v[k + 1], (s->n - k - 1) * sizeof *s->v);
  s->n--;
  for (int64_t i = 0; i < p->nbuf; i++)
    if (p->buf[i].core == c) {
      if (p->buf[i].from > k)
        p->buf[i].from--;
      if (p->buf[i].to > k)
        p->buf[i].to--;
    }
}

static void test_real_streams_pass(void **state) {
  (void)state;
  for (int how = 0; how < PT_REPL_COUNT; how++) {
    real r;
    real_init(&r, 24, how);
    pt_prog_stats st;
    pt_prog_stats_of(r.p, &st);
    assert_true(st.n[PT_I_SEND] > 0);
    assert_int_equal(st.n[PT_I_SEND], st.n[PT_I_RECV]);
    pt_check_report rep;
    assert_int_equal(pt_prog_check(r.p, r.g, &rep, &r.err), 0);
    int64_t total = 0;
    for (int i = 0; i < PT_I_COUNT; i++)
      total += st.n[i];
    assert_int_equal(rep.executed, total);
    assert_int_equal(rep.stored_bytes, st.store_bytes);
    real_free(&r);
  }
}

// An mvm reads its own (fresh) output buffer instead of its input.
static void test_real_mvm_src(void **state) {
  (void)state;
  real r;
  real_init(&r, 24, PT_REPL_BALANCE);
  int64_t k = 0;
  int c = find_op(r.p, 0, PT_I_MVM, &k);
  assert_true(c >= 0);
  pt_inst *i = &r.p->core[c].v[k];
  i->src1 = i->dst;
  assert_int_not_equal(real_check(&r), 0);
  assert_non_null(strstr(r.err.msg, "(mvm): reads local"));
  assert_non_null(strstr(r.err.msg, "never written"));
  real_free(&r);
}

// A store removed: that pixel of the layer is never stored (or, when a
// later layer reads it, the reader waits forever).
static void test_real_drop_store(void **state) {
  (void)state;
  real r;
  real_init(&r, 24, PT_REPL_BALANCE);
  int64_t k = 0;
  int c = find_op(r.p, 0, PT_I_STORE, &k);
  assert_true(c >= 0);
  drop(r.p, c, k);
  assert_int_not_equal(real_check(&r), 0);
  assert_true(strstr(r.err.msg, "stored never") ||
              strstr(r.err.msg, "deadlock"));
  real_free(&r);
  // The last store of the program (the fc's output): never stored.
  real_init(&r, 24, PT_REPL_BALANCE);
  int last = -1;
  int64_t lk = -1;
  for (c = 0; c < r.p->ncores; c++)
    for (k = 0; k < r.p->core[c].n; k++)
      if (r.p->core[c].v[k].op == PT_I_STORE &&
          r.g->n[r.p->core[c].v[k].node].op == PT_OP_FC)
        last = c, lk = k;
  assert_true(last >= 0);
  drop(r.p, last, lk);
  assert_int_not_equal(real_check(&r), 0);
  assert_non_null(strstr(r.err.msg, "stored never"));
  real_free(&r);
}

// A store that lands one pixel further: that pixel twice (or the next
// layer reads a pixel too early... it cannot: it waits, so twice/never).
static void test_real_store_shifted(void **state) {
  (void)state;
  real r;
  real_init(&r, 24, PT_REPL_BALANCE);
  int64_t k = 0;
  int c = find_op(r.p, 0, PT_I_STORE, &k);
  pt_inst *i = &r.p->core[c].v[k];
  i->dst += (uint32_t)(i->len * r.p->elem_bytes);
  assert_int_not_equal(real_check(&r), 0);
  assert_true(strstr(r.err.msg, "stored more than once") ||
              strstr(r.err.msg, "stored never") ||
              strstr(r.err.msg, "deadlock"));
  real_free(&r);
}

// A send to the wrong core: the receiver waits for ever, or the wrong core
// takes data of another length.
static void test_real_send_peer(void **state) {
  (void)state;
  real r;
  real_init(&r, 24, PT_REPL_BALANCE);
  int64_t k = 0;
  int c = find_op(r.p, 0, PT_I_SEND, &k);
  assert_true(c >= 0);
  pt_inst *i = &r.p->core[c].v[k];
  int other = (i->arg + 1) % r.p->ncores;
  if (other == c)
    other = (other + 1) % r.p->ncores;
  i->arg = other;
  assert_int_not_equal(real_check(&r), 0);
  assert_true(strstr(r.err.msg, "deadlock") ||
              strstr(r.err.msg, "receives"));
  real_free(&r);
}

// An mvm on an AG of another core.
static void test_real_mvm_ag(void **state) {
  (void)state;
  real r;
  real_init(&r, 24, PT_REPL_BALANCE);
  int64_t k = 0;
  int c = find_op(r.p, 0, PT_I_MVM, &k);
  pt_inst *i = &r.p->core[c].v[k];
  int other = -1;
  for (int a = 0; a < r.p->nags && other < 0; a++)
    if (r.p->ag[a].core != c && r.p->ag[a].rows == i->len &&
        r.p->ag[a].cols == i->len2)
      other = a;
  assert_true(other >= 0);
  i->arg = other;
  assert_int_not_equal(real_check(&r), 0);
  char want[128];
  snprintf(want, sizeof want, "mvm on AG %d, which sits on core %d", other,
           r.p->ag[other].core);
  assert_non_null(strstr(r.err.msg, want));
  real_free(&r);
}

// A recv of a different length.
static void test_real_recv_len(void **state) {
  (void)state;
  real r;
  real_init(&r, 24, PT_REPL_BALANCE);
  int64_t k = 0;
  int c = find_op(r.p, 0, PT_I_RECV, &k);
  assert_true(c >= 0);
  r.p->core[c].v[k].len--;
  assert_int_not_equal(real_check(&r), 0);
  assert_non_null(strstr(r.err.msg, "elements; core"));
  real_free(&r);
}

// A buffer released right after it was allocated: its next read fails.
static void test_real_early_release(void **state) {
  (void)state;
  real r;
  real_init(&r, 24, PT_REPL_BALANCE);
  int64_t b = -1;
  for (int64_t i = 0; i < r.p->nbuf && b < 0; i++)
    if (r.p->buf[i].to > r.p->buf[i].from + 2)
      b = i;
  assert_true(b >= 0);
  r.p->buf[b].to = r.p->buf[b].from + 1;
  assert_int_not_equal(real_check(&r), 0);
  assert_non_null(strstr(r.err.msg, "after its buffer was released"));
  real_free(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_good_two_cores),
      cmocka_unit_test(test_load_waits_for_store),
      cmocka_unit_test(test_read_unwritten),
      cmocka_unit_test(test_use_after_release),
      cmocka_unit_test(test_mvm_ag),
      cmocka_unit_test(test_length_mismatch),
      cmocka_unit_test(test_deadlock),
      cmocka_unit_test(test_load_never_stored),
      cmocka_unit_test(test_store_twice_or_never),
      cmocka_unit_test(test_overlapping_buffers),
      cmocka_unit_test(test_out_of_range),
      cmocka_unit_test(test_real_streams_pass),
      cmocka_unit_test(test_real_mvm_src),
      cmocka_unit_test(test_real_drop_store),
      cmocka_unit_test(test_real_store_shifted),
      cmocka_unit_test(test_real_send_peer),
      cmocka_unit_test(test_real_mvm_ag),
      cmocka_unit_test(test_real_recv_len),
      cmocka_unit_test(test_real_early_release),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
