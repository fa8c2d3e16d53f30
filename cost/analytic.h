// The analytical cost model: a mapping's throughput, latency, energy and
// traffic in microseconds, without generating instructions. It mirrors the
// cost structure of the streams schedule_ht.c / schedule_ll.c emit and the
// per-instruction costs of opcost.c; cost/profile.c is the ground truth it
// approximates (docs/cost-model.md, "The analytical model", gives every
// formula and its measured fidelity).
//
// Use: one pt_ana_ctx per (graph, chip), built once from the mapping
// context (everything that does not depend on the decision is precomputed
// there); one pt_ana_result per thread (it holds the per-core scratch);
// then pt_ana_eval as often as wanted. pt_ana_eval allocates nothing and
// only reads the context: it may run on many threads at once.
#ifndef PT_ANALYTIC_H
#define PT_ANALYTIC_H

#include "../compiler/mapping.h"

typedef struct pt_ana_ctx pt_ana_ctx;

typedef struct {
  pt_mode mode;
  double throughput_sps;  // HT: 1 / period; LL: 1 / latency
  double period_s;        // HT: one period of the layer pipeline
  double latency_s;       // LL: one inference; HT: groups x period
  int ngroups;            // HT: layer groups (as schedule_ht.c forms them)
  double energy_j;        // per sample: dynamic + static
  double dynamic_j, static_j;
  // The busiest core's work, and the global memory ports' busy time (all
  // chips' ports together), s.
  double core_bound_s, port_bound_s;
  // HT: the makespan of the per-core timeline without waiting at the port
  // (the period composes it with port_bound_s); LL: the geometric mean of
  // ll_rounds_s and core_bound_s, s.
  double chain_s;
  // LL: the sum over schedule_ll.c's rounds of the busiest core's load,
  // and the layers in series along the graph's longest path (reported
  // only), s.
  double ll_rounds_s, ll_serial_s;
  int64_t crossbars;      // logical crossbars mapped
  int powered_cores;
  int64_t peak_local_bytes;  // estimate, the largest over cores
  double global_bytes;    // loaded + stored per sample
  double noc_bytes;       // payload of data messages per sample
  // Scratch and per-core output, owned by the result (pt_ana_result_init):
  int ncores;
  double *core_ns;        // [ncores] busy time per sample (HT: per period)
  double *core_mem;       // [ncores] local memory estimate (bytes)
  double *work;           // private scratch of pt_ana_eval
} pt_ana_result;

// Precompute the model's tables for the context's graph and chip. Fails
// (NULL, with err) only on graphs the schedulers do not support either.
pt_ana_ctx *pt_ana_new(const pt_map_ctx *c, pt_error *err);
void pt_ana_free(pt_ana_ctx *a);

void pt_ana_result_init(const pt_ana_ctx *a, pt_ana_result *r);
void pt_ana_result_free(pt_ana_result *r);

// Score mapping m (which must pass pt_map_check; it is not checked here).
// O(weight layers + AGs + graph nodes); reentrant. Returns 0.
int pt_ana_eval(const pt_ana_ctx *a, const pt_mapping *m, pt_ana_result *r);

// One step of PIMCOMP's LL recursion (DAC 2023 / TCAD 2024); pt_ana_eval
// applies it to schedule_ll.c's rounds (analytic.c's header). A node that
// starts at `start` (its providers' start plus the fraction of their
// output it waits for) and needs time d finishes at
//     max(start + d, fmax + tail x d, fmax)
// where fmax is its providers' latest finish and tail the fraction of its
// work that depends on their last output (1 / output rows for a conv).
double pt_ana_ll_finish(double start, double fmax, double d, double tail);

#endif
