// Functional execution of compiled programs on real values, and their
// verification against the CPU reference (compiler/reference.h).
//
// The executor runs every core's stream as docs/isa.md defines the eight
// instructions, on float32 memories: one local memory per core and one
// global memory, addressed in elements (byte address / elem_bytes; an
// address that is not a multiple of elem_bytes is an error). Each AG
// holds its block of the layer's weights (pt_part_weight_index). Cores
// run in turn, each as far as it can, as in the checker (program.h): a
// load waits until the global elements it reads were stored (or are a
// graph input or a constant), send and recv meet as a rendezvous in
// program order per pair of cores. So an HT program is one period
// followed by one sample (every layer reads what its producer stored in
// the same run) and an LL program is one inference.
//
// Local memory is poisoned when a buffer is allocated or released (the
// program's pt_buf records): reading a poisoned element is an error that
// names the core and the instruction, as is a deadlock or an access
// outside a memory.
//
//   pt_verify_opts vo = pt_verify_defaults();
//   pt_verify_report vr;
//   if (pt_verify(g, &arch, PT_UNF_IM2COL, PT_REPL_BALANCE, PT_MODE_HT,
//                 &vo, &vr, &err)) ...          // could not compile or run
//   if (!vr.pass) puts(vr.reason);             // the streams are wrong
#ifndef PT_EXECUTE_H
#define PT_EXECUTE_H

#include "../compiler/program.h"

// Fixed-point mode (pt_exec_opts.fixed_point) rounds, with symmetric
// per-tensor scales (scale = max |value| / (2^(bits-1) - 1), values
// saturate at +-(2^(bits-1) - 1) steps):
//  - every weight, to the chip's weight_bits, by the max |weight| of its
//    layer;
//  - every activation where it becomes a layer's value, to act_bits, by
//    the max |value| of that tensor in a reference run (absmax[]): the
//    graph inputs, every store (HT: every layer output; LL: the network's
//    outputs) and every vec/copy flagged FINAL (LL: a completed pixel),
//    with the scale of the output of the instruction's node.
// Partial sums, biases and the vector unit's intermediates stay float.
typedef struct {
  bool fixed_point;
  const double *absmax;     // [g->nt] max |value| of each tensor (NULL:
                            // activations are not rounded)
  int64_t max_instructions; // stop with an error beyond this; 0: no limit
  bool keep_global;         // hand back the global memory of the last
                            // sample (per-layer comparisons)
} pt_exec_opts;

typedef struct {
  int64_t executed;         // instructions run, over all samples
  int64_t samples;          // the batch, one run of the streams each
  float *global;            // keep_global: the last sample's global memory
  int64_t global_elems;     // (elements), free()d by pt_exec_report_free
  uint8_t *stored;          // [global_elems] 1 = written by a store, input
                            // or constant
  // keep_global, LL: the pixels completed in local memory, caught at the
  // vec/copy flagged FINAL when it covers the whole pixel (all channels):
  // final[t] (NCHW, last sample) for each layer output t, NULL for those
  // never seen; final_missing[t] pixels of t not caught.
  float **final;            // [g->nt]
  int64_t *final_missing;   // [g->nt]
  int ntensors;
} pt_exec_report;

// Run program p (compiled for mapping m of context c) on the graph's
// inputs: inputs[i] feeds g->inputs[i] (NCHW, batch included, as for
// pt_ref_exec); outputs[i] receives g->outputs[i] (NCHW). Constants the
// streams read (biases, element-wise operands) are written to their
// global region in their own flat order. o may be NULL (float, no limit).
int pt_exec_run(const pt_program *p, const pt_graph *g, const pt_map_ctx *c,
                const pt_mapping *m, const float *const *inputs,
                float **outputs, const pt_exec_opts *o, pt_exec_report *r,
                pt_error *err);
void pt_exec_report_free(pt_exec_report *r);

// The weights of AG a of p: rows x cols floats, row-major (row = the AG's
// input element, column = its output element), structural zeros included.
int pt_exec_ag_weights(const pt_program *p, const pt_graph *g,
                       const pt_map_ctx *c, const pt_mapping *m, int a,
                       float *out, pt_error *err);

// Values of tensor t (NCHW, one sample) read from a global memory image
// (pt_exec_report.global) through the program's views; a flatten-like
// reshape is read through the map it aliases. Returns how many of its
// elements were never stored, or -1 when t is not in global memory.
int64_t pt_exec_read_tensor(const pt_program *p, const pt_graph *g,
                            const float *global, const uint8_t *stored,
                            int t, float *out);

// ---- verification ----
// The program passes when it runs to its end and, for every element of
// every graph output,
//     |executed - golden| <= tol * max(1, max |golden|)
// with max |golden| taken over all outputs (a tolerance relative to the
// outputs' scale, absolute for outputs below 1), and when every layer
// whose output was seen whole is within the same bound with its own
// max |golden|: an error that washes out before the outputs (a wrong
// pixel under a global pooling) still fails. HT programs store every
// layer in global memory; LL programs keep layers in local memory, where
// the executor catches each pixel at the vec/copy flagged FINAL that
// completes it (layers whose pixels are completed piecewise, e.g. a
// channel shuffle, are not compared). The default tol, 1e-4, is
// about 1000 float32 roundings: the executor adds partial sums in another
// order than the reference (float per AG, double per output).
#define PT_VERIFY_TOL 1e-4

typedef struct {
  double tol;                 // see above
  unsigned long seed;         // random inputs (and weights, when missing)
  const float *const *inputs; // NULL: uniform random in [-1, 1), seeded
  bool fixed_point;           // also run in fixed point, report its error
} pt_verify_opts;

typedef struct {
  bool pass;
  char reason[PT_ERRMSG];     // why it failed (first differing layer, an
                              // execution error), "" on a pass
  double max_abs_err, max_rel_err;   // rel: max_abs_err / max |golden|
  double max_golden;          // max |golden| over the outputs
  int64_t outputs;            // elements compared
  int64_t instructions_executed;
  bool random_weights;        // the model was structure-only: weights were
                              // drawn by pt_ref_random_weights(g, seed)
  // First layer (topological order) whose output in global memory differs
  // from the reference beyond the tolerance, -1 when none does; how many
  // layers were complete in global memory and compared (the last sample
  // of a batch).
  int bad_node;
  double bad_node_err;
  int layers_compared;
  // Fixed point (opts.fixed_point), against the reference.
  double fixed_max_abs_err, fixed_max_rel_err;
  double ref_ms, exec_ms;     // wall time of the reference and executor
} pt_verify_report;

pt_verify_opts pt_verify_defaults(void);
// Verify a compiled program. Returns 0 when the comparison was made (pass
// or not, see r->pass; an execution error is a fail with its reason),
// -1 when it could not be (the reference failed, no values for a
// constant).
int pt_verify_program(const pt_program *p, const pt_graph *g,
                      const pt_map_ctx *c, const pt_mapping *m,
                      const pt_verify_opts *o, pt_verify_report *r,
                      pt_error *err);
// Compile g for chip a (every layer in format u, replication `how`, the
// default layout, mode) and verify the program. A structure-only g first
// gets seeded random weights (g is changed; r->random_weights says so).
int pt_verify(pt_graph *g, const pt_arch *a, pt_unfold u, pt_repl how,
              pt_mode mode, const pt_verify_opts *o, pt_verify_report *r,
              pt_error *err);

#endif
