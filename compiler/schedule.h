// Private to the schedulers (schedule.c, schedule_ht.c, schedule_ll.c):
// the emission helpers and the weight-layer engine that both the
// high-throughput and the low-latency scheduler drive.
//
// The engine computes one sliding window (step) of one replica at a time:
// every core holding AGs of the replica fills one input buffer per (matrix,
// row block) it uses — how is the caller's `fill` (HT loads from global
// memory, LL copies pixels it holds) — then runs the mvm of each AG. Each
// column range an AG produces is a partial sum of an output pixel (an fc
// vector); it is added into that output's accumulator on its owner core
// (the home core, i.e. the core of AG 0, of the replica that makes the
// output's last contribution), sent there first when the AG sits
// elsewhere. When the last contribution is in, the engine adds the bias,
// applies the fused activation and hands the accumulator to the caller's
// `done`.
#ifndef PT_SCHEDULE_H
#define PT_SCHEDULE_H

#include "program.h"

typedef struct {
  const pt_map_ctx *c;
  const pt_mapping *m;
  const pt_graph *g;
  pt_program *p;
  pt_error *err;
  int eb;               // bytes per element
  int next_core;        // HT: where the next vector layer's work starts
  pt_piece *pieces;     // scratch for pt_part_inputs / targets
  pt_piece *pieces2;
  pt_target *targets;
  void *user;           // the scheduler's own state
} sched;

typedef struct wl wl;
// Fill buf with rows [r0, r0 + rows) of matrix mtx's input at step s.
// prev holds the same rows at step prev_s, the same copy's previous
// window on this core (prev_s < 0: none), for reusing what overlaps.
typedef void (*sc_fill_fn)(sched *h, wl *w, int core, int32_t mtx, int64_t s,
                           int32_t r0, int32_t rows, uint32_t buf,
                           uint32_t prev, int64_t prev_s);

// An input buffer of one step: rows row0.. of matrix mtx on core.
typedef struct {
  int32_t core, mtx, row0;
  uint32_t addr;
  int64_t step;
} sc_inbuf;
// Output `key` is complete in acc on core (bias and activation applied).
// The callee owns acc from here on.
typedef void (*sc_done_fn)(sched *h, wl *w, int64_t key, int core,
                           uint32_t acc);

struct wl {
  sched *h;
  int layer, node, x, y;   // weight layer, graph node, input/output tensor
  const pt_part *part;
  int64_t nkeys;           // outputs: pixels (fc: vectors)
  int32_t *expected;       // [nkeys] partial sums still to come
  int16_t *owner;          // [nkeys] owner replica
  int64_t *acc;            // [nkeys] accumulator address or -1
  int64_t *bias_at;        // [ncores] bias buffer or -1
  int32_t ochan;           // accumulator length (all output channels)
  uint32_t *outbuf;        // mvm results of the AGs of the steps not yet
  int32_t outbase;         // delivered, indexed by AG - outbase (the
                           // layer's first AG: all its replicas)
  int64_t *first, *count;  // [repl] steps of each replica
  bool keep_inputs;        // keep each copy's input buffers for the next
  sc_inbuf **kept;         // window ([repl] arrays of part->ags entries)
  int *nkept;
  sc_fill_fn fill;
  sc_done_fn done;
};

void sc_init(sched *h, const pt_map_ctx *c, const pt_mapping *m,
             pt_error *err);
void sc_fini(sched *h);
// Check every core's peak local memory against the capacity.
int sc_check_memory(const sched *h);

// Emission helpers. Loads and zero-writes merge with the previous
// instruction when contiguous.
pt_inst *sc_emit(sched *h, int core, pt_iop op, int node);
void sc_load(sched *h, int core, int node, uint32_t dst, uint32_t src,
             int32_t len);
void sc_write(sched *h, int core, int node, uint32_t dst, int32_t len,
              float value);
void sc_copy(sched *h, int core, int node, uint32_t dst, uint32_t src,
             int32_t len);
void sc_vec(sched *h, int core, int node, pt_vop op, uint32_t dst,
            uint32_t a, uint32_t b, int32_t len);
void sc_act(sched *h, int core, const pt_node *n, int node, uint32_t buf,
            int32_t len);
// dst = LRN(src) over len channels (node's attributes), through vector
// primitives: x*x, a sliding window sum, * alpha/size, + bias, ^ -beta,
// * x. dst must not overlap src.
void sc_lrn(sched *h, int core, int node, uint32_t dst, uint32_t src,
            int32_t len);
// dst = the channel shuffle of src (node's groups): len one-element copies.
void sc_shuffle(sched *h, int core, int node, uint32_t dst, uint32_t src,
                int32_t len);
// Is node a slice of channels only (axis 1, step 1)?
bool sc_channel_slice(const pt_graph *g, const pt_node *n);
// A transfer: send on `from`, recv on `to` into a fresh buffer (returned).
uint32_t sc_transfer(sched *h, int node, int from, uint32_t src, int to,
                     int32_t len);
// Global address of element ch of pixel (y, x) of tensor t (NHWC view).
uint32_t sc_gaddr(const sched *h, int t, int64_t y, int64_t x, int64_t ch);
// Per-sample C, H, W of a tensor (rank 2: F, 1, 1; others flattened).
void sc_dims(const pt_graph *g, int t, int64_t chw[3]);

// The weight-layer engine.
// keep_inputs: keep each copy's input buffers from one window to the next
// so that fill can reuse what overlaps (HT: fewer global loads).
void sc_wl_begin(sched *h, wl *w, int layer, sc_fill_fn fill,
                 sc_done_fn done, bool keep_inputs);
// A step in two parts: the replica's inputs and mvm, then its partial sums
// to their owners (which completes windows: `done`). Between the two a
// scheduler may issue other steps (LL: the layer's other replicas first).
void sc_wl_step(sched *h, wl *w, int replica, int64_t s);
void sc_wl_deliver(sched *h, wl *w, int replica, int64_t s);
int sc_wl_end(sched *h, wl *w);
// The replica that computes window `step`: HT gives each replica a
// contiguous range (first/count), LL deals windows out round robin.
int sc_replica_of(const wl *w, int64_t step);
// The home core of a replica (the core of its AG 0).
int sc_home_core(const wl *w, int replica);

#endif
