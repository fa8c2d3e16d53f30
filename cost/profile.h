// The profiler: per-instruction costs (opcost.c) and an event-driven
// simulation of the per-core streams (profile.c) that gives a program's
// timing (HT period and throughput, LL latency), energy per sample with a
// breakdown, unit utilisation and traffic. docs/cost-model.md gives every
// formula with its units and source (pimsim-nn's models where it has one).
#ifndef PT_PROFILE_H
#define PT_PROFILE_H

#include "../compiler/program.h"
#include "arch.h"

struct cJSON;

// ---- per-instruction costs (opcost.c) ----
// Times in ns, energies in pJ, all derived from the chip config alone.

// One mvm on an AG of `rows` inputs and `cols` outputs (the outputs may span
// several logical crossbars; they work in parallel). Compute only, in cycles
// of crossbar.period_ns (pimsim-nn's pipelined front/back-end model), and
// in ns.
double pt_opcost_mvm_cycles(const pt_arch *a, int rows, int cols);
double pt_opcost_mvm_ns(const pt_arch *a, int rows, int cols);
// Its dynamic energy over all physical arrays of the AG (ceil(cols /
// crossbar.cols) logical crossbars x pt_arch_slices arrays), split into
// the arrays and their digital periphery (read, input/output buffers,
// shift-add) and the converters (DAC, sample-and-hold, ADC).
void pt_opcost_mvm_pj(const pt_arch *a, int rows, int cols, double *xbar_pj,
                      double *adc_dac_pj);
// Passes of the vector unit for one vec instruction, and their time and
// energy.
int64_t pt_opcost_vec_passes(const pt_arch *a, pt_vop op, int len, int len2);
double pt_opcost_vec_ns(const pt_arch *a, pt_vop op, int len, int len2);
double pt_opcost_vec_pj(const pt_arch *a, pt_vop op, int len, int len2);
// A memory access of `bytes` (read or write): ceil(bytes / data_width)
// accesses of the latency (ns) and energy (pJ) of one.
double pt_opcost_mem_ns(const pt_mem *m, int64_t bytes, bool write);
double pt_opcost_mem_pj(const pt_mem *m, int64_t bytes, bool write);

// Network nodes: cores 0 .. total cores - 1; the global memory of chip k
// is node -1 - k. Where a node sits: chip, and router (x, y) on that
// chip's mesh. Global memories sit at the centre router of their chip.
typedef struct {
  int chip, x, y;
} pt_noc_pos;
pt_noc_pos pt_opcost_pos(const pt_arch *a, int node);
// Router-to-router hops of the XY route between two nodes, and how many of
// them cross from chip to chip (chips are joined through router (0, 0)).
int pt_opcost_hops(const pt_arch *a, int from, int to, int *chip_hops);
// Flits of a message of `bytes` (at least one).
int64_t pt_opcost_flits(const pt_arch *a, int64_t bytes);
// Zero-load latency (ns) and energy (pJ) of a message of `flits` over
// `hops` router hops, `chip_hops` of them between chips.
double pt_opcost_msg_ns(const pt_arch *a, int hops, int chip_hops,
                        int64_t flits);
double pt_opcost_msg_pj(const pt_arch *a, int hops, int64_t flits);
// Static power of one core (mW): control, vector unit, local memory and the
// ADCs' static power of all its arrays.
double pt_opcost_core_static_mw(const pt_arch *a);

// ---- the profiler (profile.c) ----

typedef struct {
  bool ht_pass;           // HT: also run the period once with every load
                          // waiting for its producer (one sample alone)
  bool leak_idle_cores;   // charge static power of cores without work too
  int ht_periods;         // HT: periods simulated back to back (>= 1); the
                          // period is their makespan over their number
} pt_prof_opts;

void pt_prof_opts_default(pt_prof_opts *o);

// ORDER ENERGY: keep energy_names[] in profile.c in the same order.
typedef enum {
  PT_E_CROSSBAR,     // array reads, input/output buffers, shift-add
  PT_E_ADC_DAC,      // DACs, sample-and-hold, ADCs
  PT_E_VFU,
  PT_E_LOCAL,        // local memory accesses
  PT_E_GLOBAL,       // global memory accesses
  PT_E_NOC,          // flits x routers traversed
  PT_E_LEAKAGE,      // static power x time
  PT_E_COUNT
} pt_energy_kind;
extern const char *pt_energy_names[PT_E_COUNT];

// ORDER UNIT: busy time per unit of a core.
typedef enum {
  PT_U_PIM,          // sum over the core's AGs of their mvm time
  PT_U_VFU,
  PT_U_LOCAL,        // the local memory port
  PT_U_XFER,         // the transfer unit (load, store, send, recv, copy, write)
  PT_U_COUNT
} pt_unit;

typedef struct {
  int64_t instructions;
  double busy_ns[PT_U_COUNT];
  double finish_ns;       // last instruction's end in the reported run
  int nags, crossbars;    // AGs and logical crossbars mapped on the core
  double pim_util;        // busy_ns[PIM] / (nags x time)
  double vfu_util, local_util, xfer_util;  // busy / time
  int64_t peak_local_bytes;
} pt_prof_core;

typedef struct pt_prof_report {
  pt_mode mode;
  double period_s;        // HT: steady-state time of one period
  double throughput_sps;  // HT: 1 / period; LL: 1 / latency
  double latency_s;       // LL: one inference; HT: = first_latency_s
  double first_latency_s; // HT: groups x period
  double pass_s;          // HT: one sample alone through the period's
                          // streams (every load waits for its producer)
  int ngroups;
  double energy_j;        // per sample
  double energy_breakdown_j[PT_E_COUNT];
  double dynamic_pj;      // of the reported run (one sample's work)
  double static_mw;       // powered units
  int powered_cores;
  // Crossbars: AG-time busy over mapped AG-time, weighted by crossbars,
  // and the fraction of the chip's logical crossbars mapped.
  double crossbar_utilisation;
  double crossbars_used_fraction;
  // Busy time of the global memory ports over the run's time (all chips).
  double global_port_utilisation;
  int64_t global_bytes, global_load_bytes, global_store_bytes;
  int64_t noc_bytes, noc_byte_hops, noc_flits;
  int64_t instructions;
  int ncores;
  pt_prof_core *core;     // [ncores]
  int64_t peak_local_bytes;  // the largest over cores
} pt_prof_report;

// Simulate program p (compiled from graph g for chip a). Fails, naming the
// core and instruction, on a deadlock or a malformed instruction.
int pt_prof_run(const pt_program *p, const pt_graph *g, const pt_arch *a,
                const pt_prof_opts *o, pt_prof_report *r, pt_error *err);
void pt_prof_report_free(pt_prof_report *r);
// The report as a JSON object: throughput_sps, period_s, latency_s,
// first_latency_s, energy_j, energy_breakdown_j {...},
// crossbar_utilisation, global_bytes, noc_bytes and more; with per_core,
// a "per_core" array. The caller owns the result (cJSON_Delete).
struct cJSON *pt_prof_report_json(const pt_prof_report *r, bool per_core);

#endif
