// Unit tests of the profiler (cost/opcost.c, cost/profile.c): the per-op
// formulas against pimsim-nn's figures, hand-made streams on two to four
// cores whose timings are worked out by hand in the comments (contention on
// the global memory port and on a NoC link, a rendezvous that waits,
// in-order against out-of-order issue, energy as the sum of its parts, HT
// periods back to back that overlap or cannot), then real ResNet-18 streams
// on the ISAAC-like chip.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "compiler/program.h"
#include "cost/profile.h"

// ---------------------------------------------------------------------------
// A chip with round numbers: 1 ns clocks, local memory 16 B per 1 ns access,
// global memory 16 B per 10 ns access, 16-byte flits, 1 ns router and link
// per hop, a vector unit of 16 lanes at 100 cycles a pass, and the crossbar
// of the seed's pimcomp-config.json (pimsim-nn's matrix model) at 8-bit
// inputs and whole 16-bit weights per cell (one array per crossbar).

static void round_arch(pt_arch *a, int cx, int cy) {
  pt_arch_defaults(a);
  a->cores_x = cx, a->cores_y = cy, a->cores = cx * cy;
  a->core_period_ns = 1;
  a->exec = PT_EXEC_INORDER, a->rob_size = 1, a->comm = PT_COMM_SYNC;
  a->core_static_power_mw = 0, a->vector_static_power_mw = 0;
  a->xbars_per_core = 64;
  a->xbar_rows = a->xbar_cols = 128;
  a->cell_bits = a->weight_bits = 16;
  a->act_bits = 8, a->dac_bits = 1, a->dac_count = 128;
  a->adc_count = 16;
  a->matrix_period_ns = 1, a->matrix_pipeline = true;
  a->xbar_latency_ns = 7;
  a->input_buffer_latency_cycles = 0, a->dac_latency_cycles = 1;
  a->sample_hold_latency_cycles = 1, a->adc_latency_cycles = 20;
  a->shift_adder_latency_cycles = 1, a->output_buffer_latency_cycles = 1;
  a->xbar_read_power_mw = 22.24, a->adc_power_mw = 1.135;
  a->dac_power_mw = a->sample_hold_power_mw = 0;
  a->shift_adder_power_mw = a->input_buffer_power_mw = 0;
  a->output_buffer_power_mw = 0, a->adc_static_power_mw = 0;
  a->vector_width = 16, a->vector_latency_cycles = 100;
  a->vector_energy_pj = 3;
  a->local = (pt_mem){65536, 16, 1.0, 1, 1, 1, 2, 0};
  a->global = (pt_mem){1 << 20, 16, 1.0, 10, 10, 5, 7, 0};
  a->topology = PT_NOC_MESH;
  a->link_width_bytes = 16;
  a->router_latency_ns = 1, a->link_latency_ns = 1;
  a->flit_energy_pj = 1;
}

// The seed's figures (pimsim-format.md): one mvm of a 128 x 128 crossbar
// computes for 1305 cycles and takes 24,490 pJ at 8-bit inputs.
static void test_mvm_formula(void **state) {
  (void)state;
  pt_arch a;
  round_arch(&a, 2, 1);
  // front = 0 + 1 + ceil(7 / 1) + 1 = 9; back = 20 + 1 + 1 + (128/16 - 1)
  // x max(20, 2) = 162; 8 passes: 9 + 162 + 7 x 162 = 1305.
  assert_true(pt_opcost_mvm_cycles(&a, 128, 128) == 1305);
  assert_true(pt_opcost_mvm_ns(&a, 128, 128) == 1305);
  // Wider AGs take no longer (their crossbars work in parallel).
  assert_true(pt_opcost_mvm_cycles(&a, 128, 1000) == 1305);
  // 16-bit inputs: 16 passes, 9 + 162 + 15 x 162 = 2601.
  a.act_bits = 16;
  assert_true(pt_opcost_mvm_cycles(&a, 128, 128) == 2601);
  a.act_bits = 8;
  // Not pipelined: 8 x (9 + 162).
  a.matrix_pipeline = false;
  assert_true(pt_opcost_mvm_cycles(&a, 128, 128) == 8 * 171);
  a.matrix_pipeline = true;
  // Energy: 8 passes x (22.24 mW x 7 ns + 8 rounds x 1 ns x 1.135 mW x 20
  // x 16 ADCs) = 1245.44 + 23244.8 = 24490.24 pJ per array.
  double x, c;
  pt_opcost_mvm_pj(&a, 128, 128, &x, &c);
  assert_float_equal(x, 1245.44, 1e-9);
  assert_float_equal(c, 23244.8, 1e-9);
  // Two crossbars, and 2-bit cells (8 arrays per crossbar): x 2 x 8.
  a.cell_bits = 2;
  pt_opcost_mvm_pj(&a, 128, 256, &x, &c);
  assert_float_equal(x + c, 24490.24 * 16, 1e-6);
}

static void test_small_formulas(void **state) {
  (void)state;
  pt_arch a;
  round_arch(&a, 4, 3);
  assert_true(pt_opcost_vec_ns(&a, PT_V_RELU, 33, 0) == 300);
  assert_true(pt_opcost_vec_pj(&a, PT_V_ADD, 16, 0) == 3);
  assert_true(pt_opcost_mem_ns(&a.local, 33, false) == 3);
  assert_true(pt_opcost_mem_ns(&a.global, 33, true) == 30);
  assert_true(pt_opcost_mem_pj(&a.global, 16, true) == 7);
  assert_int_equal(pt_opcost_flits(&a, 0), 1);
  assert_int_equal(pt_opcost_flits(&a, 17), 2);
  // Core 11 is (3, 2); the global memory sits at the centre, (1, 1).
  int ch;
  assert_int_equal(pt_opcost_hops(&a, 0, 11, &ch), 5);
  assert_int_equal(ch, 0);
  assert_int_equal(pt_opcost_hops(&a, 11, -1, &ch), 3);
  // 5 hops x (1 + 1) + 3 flits x 1.
  assert_true(pt_opcost_msg_ns(&a, 5, 0, 3) == 13);
  // Two chips side by side: core 12 is (0, 0) of chip 1.
  a.chips_x = 2;
  assert_int_equal(pt_opcost_hops(&a, 11, 12, &ch), 5 + 1);
  assert_int_equal(ch, 1);
}

// ---------------------------------------------------------------------------
// Hand-made programs: a one-node graph (the profiler needs one only for the
// node count) and programs of a few cores built instruction by instruction.

enum { EB = 2 };

static pt_graph *one_graph(void) {
  pt_graph *g = pt_graph_new("hand.onnx");
  int64_t d[2] = {1, 8};
  int x = pt_graph_add_tensor(g, "x", PT_F32, 2, d);
  int y = pt_graph_add_tensor(g, "y", PT_F32, 2, d);
  int n = pt_graph_add_node(g, "relu", 0, PT_OP_ACT);
  g->n[n].nin = 1, g->n[n].in[0] = x;
  g->n[n].nout = 1, g->n[n].out[0] = y;
  g->t[y].producer = n;
  g->inputs[g->ninputs++] = x;
  g->outputs[g->noutputs++] = y;
  return g;
}

// `ncores` cores, `nags` AGs of 128 x 128 (AG i on core ags_core[i]).
static pt_program *hand_prog(const pt_graph *g, int ncores, int nags,
                             const int *ag_core) {
  pt_program *p = pt_calloc(1, sizeof *p);
  p->mode = PT_MODE_LL;
  p->ncores = ncores;
  p->core = pt_calloc(ncores, sizeof *p->core);
  p->heap = pt_calloc(ncores, sizeof *p->heap);
  p->elem_bytes = EB;
  p->local_capacity = 65536;
  p->ntensors = g->nt;
  p->gt = pt_calloc(g->nt, sizeof *p->gt);
  p->global_bytes = 4096;
  p->nags = nags;
  p->ag = pt_calloc(nags + 1, sizeof *p->ag);
  for (int i = 0; i < nags; i++)
    p->ag[i] = (pt_ag_info){.rows = 128, .cols = 128, .core = ag_core[i],
                            .crossbars = 1};
  return p;
}

static pt_inst *op(pt_program *p, int core, pt_iop o, uint32_t dst,
                   uint32_t src, int32_t len) {
  pt_inst *i = pt_prog_emit(p, core, o);
  i->dst = dst, i->src1 = src, i->len = len;
  return i;
}
static void mvm(pt_program *p, int c, int ag, uint32_t dst, uint32_t src) {
  pt_inst *i = op(p, c, PT_I_MVM, dst, src, 128);
  i->arg = ag, i->len2 = 128;
}
static void vec(pt_program *p, int c, uint32_t dst, uint32_t src, int n) {
  op(p, c, PT_I_VEC, dst, src, n)->vop = PT_V_RELU;
}
static void xfer(pt_program *p, int c, pt_iop o, int peer, uint32_t a,
                 int n) {
  op(p, c, o, a, a, n)->arg = peer;
}

typedef struct {
  pt_graph *g;
  pt_program *p;
  pt_arch a;
  pt_prof_opts o;
  pt_prof_report r;
  pt_error err;
} hand;

static void hand_init(hand *h, int cx, int cy, int nags, const int *ag_core) {
  memset(h, 0, sizeof *h);
  h->g = one_graph();
  round_arch(&h->a, cx, cy);
  h->p = hand_prog(h->g, cx * cy, nags, ag_core);
  pt_prof_opts_default(&h->o);
}

static int hand_run(hand *h) {
  pt_prof_report_free(&h->r);
  int rc = pt_prof_run(h->p, h->g, &h->a, &h->o, &h->r, &h->err);
  if (rc)
    print_message("profile: %s\n", h->err.msg);
  return rc;
}

static double fin(const hand *h, int c) { return h->r.core[c].finish_ns; }

static void hand_free(hand *h) {
  pt_prof_report_free(&h->r);
  pt_prog_free(h->p);
  pt_graph_free(h->g);
}

// One mvm: local read of 256 B (16 accesses of 1 ns), 1305 ns of compute,
// local write of 256 B. pimsim-nn measures 1305 + 320 + 30 plus about 5 ns
// of pipeline: it reads rows x 8 bytes whatever the input and writes the
// config's column count; we move the instruction's own bytes.
static void test_single_mvm(void **state) {
  (void)state;
  hand h;
  int ag_core[1] = {0};
  hand_init(&h, 2, 1, 1, ag_core);
  mvm(h.p, 0, 0, 1024, 0);
  assert_int_equal(hand_run(&h), 0);
  assert_float_equal(h.r.latency_s * 1e9, 16 + 1305 + 16, 1e-6);
  assert_float_equal(h.r.core[0].busy_ns[PT_U_PIM], 1337, 1e-9);
  assert_float_equal(h.r.core[0].busy_ns[PT_U_LOCAL], 32, 1e-9);
  hand_free(&h);
}

// Two cores load 64 B each at time 0. The global memory sits at the router
// of core 0 (the centre of a 2 x 1 mesh).
// Core 0: request flit [0, 1], read 4 x 10 ns [1, 41], reply of 4 flits
// [41, 45], local write [45, 49].
// Core 1: request over one hop arrives at 3, but the port is busy until 41:
// read [41, 81], reply over one hop [81, 87], local write [87, 91].
static void test_global_port_contention(void **state) {
  (void)state;
  hand h;
  hand_init(&h, 2, 1, 0, NULL);
  op(h.p, 0, PT_I_LOAD, 0, 0, 32);
  op(h.p, 1, PT_I_LOAD, 0, 64, 32);
  assert_int_equal(hand_run(&h), 0);
  assert_float_equal(fin(&h, 0), 49, 1e-9);
  assert_float_equal(fin(&h, 1), 91, 1e-9);
  assert_int_equal(h.r.global_load_bytes, 128);
  assert_float_equal(h.r.global_port_utilisation, 80.0 / 91, 1e-12);
  hand_free(&h);
  // Alone, core 1 would be done at 3 + 40 + 6 + 4 = 53.
  hand_init(&h, 2, 1, 0, NULL);
  op(h.p, 1, PT_I_LOAD, 0, 64, 32);
  assert_int_equal(hand_run(&h), 0);
  assert_float_equal(fin(&h, 1), 53, 1e-9);
  hand_free(&h);
}

// A load waits for the store of the bytes it reads: core 0 stores at time
// T (its finish); core 1's read starts then: T + 10 (read) + 1 (reply flit
// leaves) + 2 (one hop) + 1 (local write) = T + 14.
static void test_load_waits_for_store(void **state) {
  (void)state;
  hand h;
  hand_init(&h, 2, 1, 0, NULL);
  vec(h.p, 0, 0, 0, 8);
  op(h.p, 0, PT_I_STORE, 256, 0, 8);
  op(h.p, 1, PT_I_LOAD, 0, 256, 8);
  assert_int_equal(hand_run(&h), 0);
  // vec [0, 102]; store: dispatch 103, local read [103, 104], one flit to
  // the memory [104, 105], write [105, 115].
  assert_float_equal(fin(&h, 0), 115, 1e-9);
  assert_float_equal(fin(&h, 1), 115 + 14, 1e-9);
  hand_free(&h);
}

// Asynchronous sends 0 -> 2 and 1 -> 3 on a 4 x 1 mesh share the link from
// router 1 to router 2. Core 0: local read [0, 4], link 0->1 at 4, link
// 1->2 at 6 (busy until 10), tail at 12, write [12, 16]. Core 1: local read
// [0, 4], link 1->2 free only at 10, link 2->3 at 12, tail at 18, write
// [18, 22]; without the other message it would end at 16.
static void test_link_contention(void **state) {
  (void)state;
  hand h;
  hand_init(&h, 4, 1, 0, NULL);
  h.a.comm = PT_COMM_ASYNC;
  xfer(h.p, 0, PT_I_SEND, 2, 0, 32);
  xfer(h.p, 1, PT_I_SEND, 3, 0, 32);
  xfer(h.p, 2, PT_I_RECV, 0, 0, 32);
  xfer(h.p, 3, PT_I_RECV, 1, 0, 32);
  assert_int_equal(hand_run(&h), 0);
  assert_float_equal(fin(&h, 2), 16, 1e-9);
  assert_float_equal(fin(&h, 3), 22, 1e-9);
  assert_int_equal(h.r.noc_bytes, 128);
  assert_int_equal(h.r.noc_flits, 8);
  assert_int_equal(h.r.noc_byte_hops, 64 * 2 + 64 * 2);
  hand_free(&h);
  hand_init(&h, 4, 1, 0, NULL);
  h.a.comm = PT_COMM_ASYNC;
  xfer(h.p, 1, PT_I_SEND, 3, 0, 32);
  xfer(h.p, 3, PT_I_RECV, 1, 0, 32);
  assert_int_equal(hand_run(&h), 0);
  assert_float_equal(fin(&h, 3), 16, 1e-9);
  hand_free(&h);
}

// Core 0 sends 32 B to core 1 at once; core 1 first runs a vec (read
// [0, 1], 100 ns, write [101, 102]) and reaches its recv at 103.
// Synchronous: the request (3 ns) waits for the recv, the acknowledgement
// takes 3 ns: data at 106, local read [106, 108], 2 flits leave by 110
// (the send is done) and arrive at 112, local write [112, 114].
// Asynchronous: the data leaves at once and waits in the receiver's
// network interface: send done at 4, recv writes [103, 105].
static void test_rendezvous(void **state) {
  (void)state;
  for (int async = 0; async < 2; async++) {
    hand h;
    hand_init(&h, 2, 1, 0, NULL);
    h.a.comm = async ? PT_COMM_ASYNC : PT_COMM_SYNC;
    xfer(h.p, 0, PT_I_SEND, 1, 0, 16);
    vec(h.p, 1, 512, 512, 8);
    xfer(h.p, 1, PT_I_RECV, 0, 0, 16);
    assert_int_equal(hand_run(&h), 0);
    assert_float_equal(fin(&h, 0), async ? 4 : 110, 1e-9);
    assert_float_equal(fin(&h, 1), async ? 105 : 114, 1e-9);
    hand_free(&h);
  }
}

// Two sends that each wait for the other's recv: a deadlock, reported.
static void test_deadlock(void **state) {
  (void)state;
  hand h;
  hand_init(&h, 2, 1, 0, NULL);
  xfer(h.p, 0, PT_I_SEND, 1, 0, 8);
  xfer(h.p, 0, PT_I_RECV, 1, 64, 8);
  xfer(h.p, 1, PT_I_SEND, 0, 0, 8);
  xfer(h.p, 1, PT_I_RECV, 0, 64, 8);
  assert_int_not_equal(hand_run(&h), 0);
  assert_non_null(strstr(h.err.msg, "deadlock: core 0 waits at instruction 0"));
  hand_free(&h);
}

// Two independent mvm on AGs 0 and 1 of one core (C = 1305 ns compute,
// 16 ns to read or write 256 B).
// In order with one ROB entry: [0, 1337], then dispatch at 1338: 2675.
// Out of order: the second is dispatched at 1, reads in the port's gap
// [16, 32], computes [32, 1337] and writes [1337, 1353].
static void test_inorder_vs_ooo(void **state) {
  (void)state;
  int ag_core[2] = {0, 0};
  double end[2];
  for (int ooo = 0; ooo < 2; ooo++) {
    hand h;
    hand_init(&h, 2, 1, 2, ag_core);
    if (ooo)
      h.a.exec = PT_EXEC_OOO, h.a.rob_size = 4;
    mvm(h.p, 0, 0, 1000, 0);
    mvm(h.p, 0, 1, 2000, 500);
    assert_int_equal(hand_run(&h), 0);
    end[ooo] = fin(&h, 0);
    hand_free(&h);
  }
  assert_float_equal(end[0], 2675, 1e-9);
  assert_float_equal(end[1], 1353, 1e-9);
  // A vec that reads the first mvm's result (RAW) sits between them: it
  // starts at 1337 and writes at [2153, 2169]. An in-order core with four
  // ROB entries cannot start the second mvm before it (at 1337: read
  // [1353, 1369], done 2690); an out-of-order one runs it from 2 as above
  // (its write waits for the vec's read: [1353, 1369]), so the vec ends
  // last, at 2169.
  for (int ooo = 0; ooo < 2; ooo++) {
    hand h;
    hand_init(&h, 2, 1, 2, ag_core);
    h.a.exec = ooo ? PT_EXEC_OOO : PT_EXEC_INORDER, h.a.rob_size = 4;
    mvm(h.p, 0, 0, 1000, 0);
    vec(h.p, 0, 3000, 1000, 128);
    mvm(h.p, 0, 1, 2000, 500);
    assert_int_equal(hand_run(&h), 0);
    end[ooo] = fin(&h, 0);
    hand_free(&h);
  }
  assert_float_equal(end[0], 2690, 1e-9);
  assert_float_equal(end[1], 2169, 1e-9);
}

// Energy per sample = the sum of every instruction's dynamic energy +
// static power x latency.
static void test_energy_sum(void **state) {
  (void)state;
  int ag_core[1] = {0};
  hand h;
  hand_init(&h, 2, 1, 1, ag_core);
  pt_arch *a = &h.a;
  a->core_static_power_mw = 1, a->vector_static_power_mw = 0.5;
  a->local.static_power_mw = 2, a->global.static_power_mw = 3;
  a->adc_static_power_mw = 0.01;
  a->dac_power_mw = 0.002, a->shift_adder_power_mw = 0.05;
  op(h.p, 0, PT_I_LOAD, 0, 0, 32);        // 64 B
  mvm(h.p, 0, 0, 1024, 0);                // 256 B in, 256 B out
  vec(h.p, 0, 1024, 1024, 128);
  xfer(h.p, 0, PT_I_SEND, 1, 1024, 128);
  xfer(h.p, 1, PT_I_RECV, 0, 0, 128);
  op(h.p, 1, PT_I_STORE, 512, 0, 128);
  assert_int_equal(hand_run(&h), 0);
  const pt_mem *L = &a->local, *G = &a->global;
  double x, c;
  pt_opcost_mvm_pj(a, 128, 128, &x, &c);
  int h0 = pt_opcost_hops(a, 0, -1, NULL), h1 = pt_opcost_hops(a, 1, -1, NULL);
  int h01 = pt_opcost_hops(a, 0, 1, NULL);
  double pj[PT_E_COUNT] = {0};
  pj[PT_E_CROSSBAR] = x;
  pj[PT_E_ADC_DAC] = c;
  pj[PT_E_VFU] = pt_opcost_vec_pj(a, PT_V_RELU, 128, 0);
  pj[PT_E_LOCAL] = pt_opcost_mem_pj(L, 64, true) +               // load
                   pt_opcost_mem_pj(L, 256, false) +             // mvm
                   pt_opcost_mem_pj(L, 256, true) +
                   2 * pt_opcost_mem_pj(L, 256, false) +         // vec,
                   pt_opcost_mem_pj(L, 256, true) +              // send
                   pt_opcost_mem_pj(L, 256, true) +              // recv
                   pt_opcost_mem_pj(L, 256, false);              // store
  pj[PT_E_GLOBAL] = pt_opcost_mem_pj(G, 64, false) +
                    pt_opcost_mem_pj(G, 256, true);
  pj[PT_E_NOC] = pt_opcost_msg_pj(a, h0, 1) +                    // request
                 pt_opcost_msg_pj(a, h0, pt_opcost_flits(a, 64)) + // reply
                 2 * pt_opcost_msg_pj(a, h01, 1) +               // handshake
                 pt_opcost_msg_pj(a, h01, pt_opcost_flits(a, 256)) +
                 pt_opcost_msg_pj(a, h1, pt_opcost_flits(a, 256)); // store
  double lat_ns = h.r.latency_s * 1e9;
  double static_mw = 2 * (1 + 0.5 + 2 + 64 * 16 * 0.01) + 3;
  assert_float_equal(h.r.static_mw, static_mw, 1e-9);
  pj[PT_E_LEAKAGE] = static_mw * lat_ns;
  double total = 0;
  for (int e = 0; e < PT_E_COUNT; e++) {
    assert_float_equal(h.r.energy_breakdown_j[e], pj[e] * 1e-12, 1e-18);
    total += pj[e];
  }
  assert_float_equal(h.r.energy_j, total * 1e-12, 1e-18);
  // The JSON carries the same figures.
  cJSON *j = pt_prof_report_json(&h.r, true);
  assert_float_equal(cJSON_GetObjectItem(j, "energy_j")->valuedouble,
                     h.r.energy_j, 0);
  assert_float_equal(cJSON_GetObjectItem(j, "latency_s")->valuedouble,
                     h.r.latency_s, 0);
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "per_core")), 2);
  cJSON_Delete(j);
  hand_free(&h);
}

// ---------------------------------------------------------------------------
// HT: periods back to back. Two layers, node 0 in group 0 and node 1 in
// group 1, one on each core of a 2 x 1 mesh (the global memory at core 0's
// router, as above).

static void ht_hand(hand *h, int periods) {
  hand_init(h, 2, 1, 0, NULL);
  int64_t d[2] = {1, 8};
  int y = h->g->n[0].out[0];
  int z = pt_graph_add_tensor(h->g, "z", PT_F32, 2, d);
  int n = pt_graph_add_node(h->g, "relu2", 0, PT_OP_ACT);
  h->g->n[n].nin = 1, h->g->n[n].in[0] = y;
  h->g->n[n].nout = 1, h->g->n[n].out[0] = z;
  h->g->t[z].producer = n;
  h->p->mode = PT_MODE_HT;
  h->p->group = pt_calloc(h->g->nn, sizeof *h->p->group);
  h->p->group[0] = 0, h->p->group[n] = 1;
  h->p->ngroups = 2;
  h->o.ht_pass = false;
  h->o.ht_periods = periods;
}

static void gop(pt_program *p, int core, pt_iop o, uint32_t dst,
                uint32_t src, int32_t len, int node) {
  op(p, core, o, dst, src, len)->node = node;
}

// Core 0 (group 0) stores 64 B at 256; core 1 (group 1) stores 32 B at 512
// and loads 48 B from 256, what core 0 stored the period before (in the
// first period: before the run, ready). The port works 40 + 20 + 30 = 90 ns
// a period.
// One period: core 0's store: local read [0, 4], 4 flits [4, 8], write
// [8, 48]. Core 1's store: local read [0, 2], 2 flits over a hop arrive at
// 10 (the memory's ejection port is busy until 8), write [48, 68]. Its
// load: dispatch 69, request at 72, read [72, 102], 3 flits back by 107,
// local write [107, 110]. Period 110.
// Two periods: core 0's second store starts at 49 and queues behind core
// 1's first store: write [68, 108], done. Core 1's first load then reads
// [108, 138] and is done at 146, after core 0's second period. Its second
// store: [147, 149], flits arrive at 153, write [153, 173]; its second
// load (core 0's first-period bytes, stored at 48): request at 174 arrives
// at 177, read [177, 207], done 215. The periods end at 146 and 215 but
// overlap: the work of the second is not all in [146, 215] (69 ns, below
// the port's 90 ns a period). The whole run is two periods' work in 215
// ns: a period of 107.5 ns.
static void test_ht_periods_overlap(void **state) {
  (void)state;
  double period[4];
  for (int i = 0; i < 4; i++) {
    int k = 1 << i;
    hand h;
    ht_hand(&h, k);
    gop(h.p, 0, PT_I_STORE, 256, 0, 32, 0);
    gop(h.p, 1, PT_I_STORE, 512, 0, 16, 1);
    gop(h.p, 1, PT_I_LOAD, 0, 256, 24, 1);
    assert_int_equal(hand_run(&h), 0);
    period[i] = h.r.period_s * 1e9;
    if (k == 1) {
      assert_float_equal(fin(&h, 0), 48, 1e-9);
      assert_float_equal(fin(&h, 1), 110, 1e-9);
      assert_float_equal(period[i], 110, 1e-9);
    } else if (k == 2) {
      assert_float_equal(fin(&h, 0), 108, 1e-9);
      assert_float_equal(fin(&h, 1), 215, 1e-9);
      assert_float_equal(period[i], 107.5, 1e-9);
      assert_float_equal(h.r.global_port_utilisation, 180.0 / 215, 1e-12);
      // Transfer units, per sample: core 0 (48 + 59) / 2, core 1 (68 + 77
      // + 26 + 41) / 2.
      assert_float_equal(h.r.core[0].busy_ns[PT_U_XFER], 53.5, 1e-9);
      assert_float_equal(h.r.core[1].busy_ns[PT_U_XFER], 106, 1e-9);
    }
    for (int c = 0; c < 2; c++)
      assert_true(h.r.core[c].busy_ns[PT_U_XFER] <= period[i]);
    // Per sample: the same bytes whatever K.
    assert_int_equal(h.r.global_load_bytes, 48);
    assert_int_equal(h.r.global_store_bytes, 96);
    assert_float_equal(h.r.first_latency_s, 2 * h.r.period_s, 1e-18);
    // Never below the port's work, the port never over-booked.
    assert_true(period[i] >= 90);
    assert_true(h.r.global_port_utilisation <= 1);
    print_message("overlapping periods, K = %d: period %.3f ns\n", k,
                  period[i]);
    hand_free(&h);
  }
  // More periods: the estimate settles, never rising.
  for (int i = 1; i < 4; i++)
    assert_true(period[i] <= period[i - 1] + 1e-9);
}

// Periods that cannot overlap: core 0 sends 32 B to core 1, which sends
// them back (synchronous). First period: request and acknowledgement 6 ns,
// local read [6, 8], 2 flits [8, 10] arrive at 12, write [12, 14]; core 0's
// recv is dispatched at 11, core 1's send at 15: data at 15 + 3 + 3 = 21,
// read [21, 23], flits arrive at 27, write [27, 29]. Core 0 sends again
// one cycle after that, at 30: each period is the first shifted by 30 ns,
// so K periods take 29 + 30 (K - 1) ns (30 ns a period in steady state;
// one period alone is 29).
static void test_ht_periods_serial(void **state) {
  (void)state;
  for (int k = 1; k <= 8; k *= 2) {
    hand h;
    ht_hand(&h, k);
    xfer(h.p, 0, PT_I_SEND, 1, 0, 16);
    xfer(h.p, 0, PT_I_RECV, 1, 0, 16);
    xfer(h.p, 1, PT_I_RECV, 0, 0, 16);
    xfer(h.p, 1, PT_I_SEND, 0, 0, 16);
    assert_int_equal(hand_run(&h), 0);
    assert_float_equal(fin(&h, 0), 29 + 30 * (k - 1), 1e-9);
    assert_float_equal(h.r.period_s * 1e9, (29 + 30.0 * (k - 1)) / k, 1e-9);
    hand_free(&h);
  }
}

// ---------------------------------------------------------------------------
// Real streams: ResNet-18 on the ISAAC-like chip.

typedef struct {
  pt_graph *g;
  pt_arch a;
  pt_map_ctx ctx;
} net;

static int net_load(net *n, const char *model, const char *arch) {
  pt_error err;
  char note[PT_ERRMSG];
  if (pt_arch_load(arch, &n->a, &err))
    return -1;
  n->g = pt_graph_load(model, note, sizeof note, &err);
  if (!n->g || pt_map_ctx_init(&n->ctx, n->g, &n->a, &err)) {
    print_message("%s\n", err.msg);
    return -1;
  }
  return 0;
}

static void net_free(net *n) {
  pt_map_ctx_free(&n->ctx);
  pt_graph_free(n->g);
}

static void profile_net(net *n, pt_mode mode, pt_repl repl, int periods,
                        pt_prof_report *r) {
  pt_error err = {{0}};
  pt_mapping *m = pt_map_new(&n->ctx);
  m->ht_grouping = true;
  pt_program *p = NULL;
  if (pt_map_heuristic(m, &n->ctx, PT_UNF_IM2COL, repl, mode, &err) ||
      pt_schedule(&n->ctx, m, &p, &err))
    print_message("%s\n", err.msg);
  assert_non_null(p);
  pt_prof_opts o;
  pt_prof_opts_default(&o);
  o.ht_periods = periods;
  int rc = pt_prof_run(p, n->g, &n->a, &o, r, &err);
  if (rc)
    print_message("%s\n", err.msg);
  assert_int_equal(rc, 0);
  assert_true(r->energy_j > 0);
  assert_true(r->throughput_sps > 0);
  assert_true(r->crossbar_utilisation > 0 && r->crossbar_utilisation <= 1);
  assert_true(r->global_bytes > 0 && r->noc_bytes > 0);
  if (mode == PT_MODE_HT) {
    assert_int_equal(r->ngroups, p->ngroups);
    assert_float_equal(r->first_latency_s, r->period_s * p->ngroups, 1e-12);
  }
  pt_prog_free(p);
  pt_map_free(m);
}

static void test_resnet18(void **state) {
  (void)state;
  net n;
  if (net_load(&n, PT_SOURCE_DIR "/configs/workloads/resnet18.onnx",
               PT_SOURCE_DIR "/configs/arch/isaac.json"))
    fail_msg("cannot load resnet18 / isaac");
  pt_prof_report ht, ll, none, ht3;
  profile_net(&n, PT_MODE_HT, PT_REPL_BALANCE, 1, &ht);
  profile_net(&n, PT_MODE_LL, PT_REPL_BALANCE, 1, &ll);
  profile_net(&n, PT_MODE_HT, PT_REPL_NONE, 1, &none);
  profile_net(&n, PT_MODE_HT, PT_REPL_BALANCE, 3, &ht3);
  print_message("resnet18/isaac: HT period %.3f ms (%.1f samples/s), first "
                "sample %.1f ms, one pass %.1f ms, %.3f J; LL %.2f ms, %.3f "
                "J; HT none %.1f samples/s; HT 3 periods %.3f ms\n",
                ht.period_s * 1e3, ht.throughput_sps,
                ht.first_latency_s * 1e3, ht.pass_s * 1e3, ht.energy_j,
                ll.latency_s * 1e3, ll.energy_j, none.throughput_sps,
                ht3.period_s * 1e3);
  // A sample alone through the pipeline is faster than groups x period,
  // the pixel pipeline faster still than the layer pipeline's first sample.
  assert_true(ll.latency_s < ht.first_latency_s);
  assert_true(ht.pass_s < ht.first_latency_s);
  // Replication pays.
  assert_true(ht.throughput_sps > none.throughput_sps);
  // Back-to-back periods overlap a little, never by much, and a period is
  // never shorter than the global memory port's work in it (at least the
  // bytes of a sample in whole accesses).
  assert_true(ht3.period_s <= ht.period_s * 1.0001);
  assert_true(ht3.period_s > ht.period_s * 0.5);
  for (int i = 0; i < 2; i++) {
    const pt_prof_report *r = i ? &ht3 : &ht;
    double port = pt_opcost_mem_ns(&n.a.global, r->global_load_bytes, false) +
                  pt_opcost_mem_ns(&n.a.global, r->global_store_bytes, true);
    assert_true(r->period_s * 1e9 >= port);
    // Nor shorter than any unit's work (each runs one thing at a time).
    for (int c = 0; c < r->ncores; c++)
      for (int u = PT_U_VFU; u < PT_U_COUNT; u++)
        assert_true(r->core[c].busy_ns[u] <= r->period_s * 1e9 * (1 + 1e-12));
  }
  pt_prof_report_free(&ht);
  pt_prof_report_free(&ll);
  pt_prof_report_free(&none);
  pt_prof_report_free(&ht3);
  net_free(&n);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_mvm_formula),
      cmocka_unit_test(test_small_formulas),
      cmocka_unit_test(test_single_mvm),
      cmocka_unit_test(test_global_port_contention),
      cmocka_unit_test(test_load_waits_for_store),
      cmocka_unit_test(test_link_contention),
      cmocka_unit_test(test_rendezvous),
      cmocka_unit_test(test_deadlock),
      cmocka_unit_test(test_inorder_vs_ooo),
      cmocka_unit_test(test_energy_sum),
      cmocka_unit_test(test_ht_periods_overlap),
      cmocka_unit_test(test_ht_periods_serial),
      cmocka_unit_test(test_resnet18),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
