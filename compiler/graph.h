// The network IR: tensors, nodes and their attributes, as produced by the
// frontends (onnx.c, pimcomp_json.c) and consumed by partitioning, the
// schedulers and the reference interpreter.
//
// A graph is a list of nodes in topological order and a table of tensors.
// Every tensor has a full shape *including* the batch dimension as ONNX
// gives it (e.g. [1, 64, 56, 56]); per-sample views (C, H, W) are derived
// with pt_tensor_chw(). Constant tensors (initializers, folded shape
// sub-graphs) carry their values when they are known.
#ifndef PT_GRAPH_H
#define PT_GRAPH_H

#include "util.h"

#define PT_MAX_DIMS 8
#define PT_MAX_IN 8
#define PT_MAX_OUT 4

// ORDER OP: keep pt_op_names[] in graph.c in the same order.
typedef enum {
  PT_OP_CONV,        // Conv: in X, W, [B]; attrs conv
  PT_OP_FC,          // Gemm / MatMul with a constant operand: in X, W, [B]
  PT_OP_MATMUL,      // MatMul of two activations, or Gemm whose B is not
                     // constant (then with trans_a/trans_b, alpha, beta
                     // and an optional bias C): in A, B, [C]; no weights,
                     // runs on the vector unit
  PT_OP_MAXPOOL,     // MaxPool: attrs conv (kernel, stride, pads, dilation)
  PT_OP_AVGPOOL,     // AveragePool: attrs conv + count_include_pad
  PT_OP_GLOBALAVG,   // GlobalAveragePool, or ReduceMean over all spatial
                     // axes: output [N, C, 1 ...] or, from ReduceMean
                     // with keepdims = 0, [N, C] (rank 2)
  PT_OP_GLOBALMAX,   // GlobalMaxPool
  PT_OP_ACT,         // a stand-alone activation (act, act_a, act_b)
  PT_OP_ADD,         // element-wise with broadcasting
  PT_OP_SUB,
  PT_OP_MUL,
  PT_OP_DIV,
  PT_OP_CONCAT,      // attrs axis
  PT_OP_SOFTMAX,     // attrs axis (normalised to >= 0); legacy: coerce 2D
  PT_OP_RESHAPE,     // Reshape / Flatten / Squeeze / Unsqueeze: shape only
  PT_OP_TRANSPOSE,   // attrs perm
  PT_OP_PAD,         // attrs pads, pad_value (constant mode only)
  PT_OP_BATCHNORM,   // only until folded: in X, scale, B, mean, var; eps
  PT_OP_IDENTITY,    // Identity / Dropout (inference); removed by clean-up
  PT_OP_LRN,         // LocalResponseNormalization across channels (axis 1):
                     // attrs lrn_size, alpha, beta, lrn_bias. With the
                     // window c - floor((size-1)/2) .. c + ceil((size-1)/2)
                     // clipped to [0, C):
                     //   y[c] = x[c] / (lrn_bias + alpha / size *
                     //                  sum over the window of x^2)^beta
                     // per (sample, pixel): a vector op on one pixel's
                     // channel vector
  PT_OP_SLICE,       // Slice of an activation, or one output of Split:
                     // attrs slice_start/end/step for every axis, so that
                     // output index i of axis a reads input index
                     // slice_start[a] + i * slice_step[a]
  PT_OP_SHUFFLE,     // channel shuffle of [N, C, spatial ...]: attrs group
                     // g, C = g * m. It is Reshape [N, g, m, ...],
                     // Transpose (0, 2, 1, 3 ...), Reshape [N, C, ...]:
                     // input channel i * m + j (i < g, j < m) becomes
                     // output channel j * g + i, i.e.
                     //   out[o] = in[(o % g) * m + o / g]
                     // per (sample, pixel): a permutation of the channels
  PT_OP_COUNT
} pt_op;

// ORDER ACT: keep pt_act_names[] in graph.c in the same order.
typedef enum {
  PT_ACT_NONE,
  PT_ACT_RELU,
  PT_ACT_CLIP,        // min = act_a, max = act_b (Relu6: 0, 6)
  PT_ACT_LEAKYRELU,   // alpha = act_a
  PT_ACT_SIGMOID,
  PT_ACT_TANH,
  PT_ACT_HARDSIGMOID, // alpha = act_a, beta = act_b
  PT_ACT_HARDSWISH,
  PT_ACT_COUNT
} pt_act;

typedef enum { PT_F32, PT_I64, PT_OTHER } pt_dtype;

typedef struct {
  char *name;
  pt_dtype dtype;
  int ndim;
  int64_t dims[PT_MAX_DIMS];
  bool is_const;      // an initializer or the result of constant folding
  float *fdata;       // values of a constant float tensor, or NULL when the
                      // model is structure-only (external data absent)
  int64_t *idata;     // values of a constant integer tensor (shape folding)
  int producer;       // index of the producing node, -1 if none
} pt_tensor;

// Attributes; which members a node uses depends on its op (see pt_op).
typedef struct {
  // Conv and pooling, per spatial axis (nspatial of them).
  int nspatial;
  int64_t kernel[3], stride[3], dilation[3];
  int64_t pad_begin[3], pad_end[3];
  int64_t group;            // also the groups of a channel shuffle
  bool count_include_pad;   // AveragePool
  bool ceil_mode;           // pooling output rounding
  // Gemm (and LRN: alpha, beta).
  bool trans_a, trans_b;
  float alpha, beta;
  // LRN: the window of channels and the added constant.
  int64_t lrn_size;
  float lrn_bias;
  // Slice, for every axis of the input (untouched axes: 0, dim, 1), as
  // ONNX's rules resolve them: negative indices counted from the end and
  // clamped to the axis; step != 0 (a step beyond the axis is stored as
  // the axis length). step > 0: 0 <= start <= end <= dim; step < 0:
  // -1 <= end <= start <= dim - 1. The output has, on axis a,
  // max(0, ceil((end - start) / step)) elements.
  int64_t slice_start[PT_MAX_DIMS], slice_end[PT_MAX_DIMS];
  int64_t slice_step[PT_MAX_DIMS];
  // Concat, Softmax.
  int axis;
  bool softmax_legacy;      // opset < 13: coerce to 2D at axis
  // Transpose.
  int perm[PT_MAX_DIMS];
  // Pad (constant mode), over all ndim dims: begin[0..ndim), end[..].
  int64_t pads[2 * PT_MAX_DIMS];
  float pad_value;
  // BatchNormalization.
  float epsilon;
} pt_attrs;

typedef struct {
  char *name;         // the ONNX node name (or "<op>_<index>" when empty)
  int src_index;      // index of the node in the source file (for errors)
  pt_op op;
  int nin, nout;
  int in[PT_MAX_IN];  // tensor indices; -1 for an omitted optional input
  int out[PT_MAX_OUT];
  pt_attrs a;
  pt_act act;         // activation applied to the output (fused or PT_OP_ACT)
  float act_a, act_b;
} pt_node;

typedef struct {
  char *name;         // model name (file base name)
  char *path;         // file it was read from
  pt_tensor *t;
  int nt, cap_t;
  pt_node *n;
  int nn, cap_n;
  int inputs[PT_MAX_IN];   // graph inputs that are not initializers
  int ninputs;
  int outputs[PT_MAX_OUT];
  int noutputs;
  bool has_weights;   // false for structure-only models
} pt_graph;

extern const char *pt_op_names[PT_OP_COUNT];
extern const char *pt_act_names[PT_ACT_COUNT];

pt_graph *pt_graph_new(const char *path);
void pt_graph_free(pt_graph *g);

// Append a tensor / node; returns its index. Strings are copied.
int pt_graph_add_tensor(pt_graph *g, const char *name, pt_dtype dt, int ndim,
                        const int64_t *dims);
int pt_graph_add_node(pt_graph *g, const char *name, int src_index, pt_op op);
int pt_graph_find_tensor(const pt_graph *g, const char *name);

int64_t pt_tensor_numel(const pt_tensor *t);

// Per-sample view of an activation: [N,C,H,W] -> C,H,W; [N,F] -> F,1,1;
// [N,C,L] -> C,1,L. Returns -1 for other ranks.
int pt_tensor_chw(const pt_tensor *t, int64_t chw[3]);

// Weight layers (conv and fc) in topological order; returns how many were
// written to idx (which needs room for g->nn entries).
int pt_graph_weight_layers(const pt_graph *g, int *idx);

// Check the invariants every frontend must establish: node order is
// topological, every input tensor exists and has a known shape, weights of
// conv/fc are constant 2D/4D tensors. Used by tests and after clean-up.
int pt_graph_check(const pt_graph *g, pt_error *err);

// ---- onnx.c ----
// Read an ONNX model. External weight data is loaded from beside the file
// when present; when it is absent the model is read structure-only and
// *notice (if non-NULL) receives a one-line explanation (else "").
// Runs shape inference, constant folding and pt_graph_cleanup.
pt_graph *pt_onnx_load(const char *path, char *notice, size_t noticelen,
                       pt_error *err);
// Same as pt_onnx_load but without clean-up: nodes as in the file (minus
// constant sub-graphs). For conformance tests of single operators.
pt_graph *pt_onnx_load_raw(const char *path, char *notice, size_t noticelen,
                           pt_error *err);
// The op types the frontend accepts, comma separated (for messages, --help).
const char *pt_onnx_supported_ops(void);
// Read a serialized TensorProto file (as in ONNX's test data: input_0.pb)
// of float or double values. Returns the values (malloc'd, row-major) and
// the shape in dims/ndim, or NULL with err set.
float *pt_onnx_read_tensor(const char *path, int64_t dims[PT_MAX_DIMS],
                           int *ndim, pt_error *err);

// ---- cleanup.c ----
// Fold BatchNormalization into the preceding conv/fc, fuse activations into
// their producer, drop Identity/Dropout and redundant reshapes, make
// reshape-transpose-reshape channel shuffles one SHUFFLE node.
int pt_graph_cleanup(pt_graph *g, pt_error *err);

// ---- pimcomp_json.c ----
// Import the PIMCOMP-NN model JSON format (node_list ...). Structure only.
pt_graph *pt_pimcomp_load(const char *path, pt_error *err);

// Load by file content: ONNX or PIMCOMP JSON.
pt_graph *pt_graph_load(const char *path, char *notice, size_t noticelen,
                        pt_error *err);

#endif
