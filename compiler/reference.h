// Golden inference of a pt_graph on the CPU, in float32 (sums in double).
// It is the yardstick the instruction streams are verified against: run a
// graph once here, once through the compiled program, compare per layer.
//
// Buffers are in the graph's own layout (NCHW as in ONNX, batch included):
// one float buffer per graph input (g->inputs order) and per graph output
// (g->outputs order), each pt_tensor_numel() of its tensor. Integer graph
// inputs are passed as floats too.
//
//   pt_ref *r = pt_ref_new(g, false);
//   pt_ref_set_hook(r, compare_layer, &state);   // optional
//   if (pt_ref_exec(r, inputs, &err)) ...
//   const float *y = pt_ref_value(r, g->outputs[0]);
//   pt_ref_free(r);
//
// Intermediate tensors are freed once their last consumer has run, unless
// the context was made with keep_all; the hook sees every node's output
// as it is produced either way.
#ifndef PT_REFERENCE_H
#define PT_REFERENCE_H

#include "graph.h"

typedef struct pt_ref pt_ref;

// Called after node `node` of g has run (its fused activation applied),
// with the values of its output tensor g->n[node].out[0].
typedef void (*pt_ref_hook)(void *user, const pt_graph *g, int node,
                            const float *out);

// A context for g, which must outlive it and not change while it lives.
pt_ref *pt_ref_new(const pt_graph *g, bool keep_all);
void pt_ref_set_hook(pt_ref *r, pt_ref_hook fn, void *user);
// Run every node in order. inputs[i] feeds g->inputs[i] and is only read
// (it must stay valid while values are looked up). Fails, naming the
// node, on an op it cannot run or a weight without values.
int pt_ref_exec(pt_ref *r, const float *const *inputs, pt_error *err);
// Values of tensor t after pt_ref_exec: graph inputs and outputs and
// constants always, intermediates only with keep_all; NULL otherwise.
const float *pt_ref_value(const pt_ref *r, int t);
void pt_ref_free(pt_ref *r);

// One-shot: run g and copy each graph output into outputs[i].
int pt_ref_run(const pt_graph *g, const float *const *inputs, float **outputs,
               pt_error *err);

// Give every constant float tensor without values (a structure-only
// model) seeded random values: conv/fc weights Kaiming-uniform by fan-in,
// biases uniform within 1/sqrt(fan-in), batch-norm statistics near the
// identity. Sets g->has_weights. Returns how many tensors were filled.
int pt_ref_random_weights(pt_graph *g, unsigned long seed);

#endif
