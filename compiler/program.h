// Per-core instruction streams: the eight pseudo-instructions of PIMCOMP
// (TCAD 2024, Table III), local-memory allocation, and the tables a
// backend or the functional simulator needs to interpret them (which
// weights each AG holds, where each tensor lives in global memory).
// docs/isa.md documents the instructions and both text formats.
#ifndef PT_PROGRAM_H
#define PT_PROGRAM_H

#include "mapping.h"

// ORDER IOP: keep iop_names[] in program.c in the same order.
typedef enum {
  PT_I_MVM,    // mvm   ag dst src len len2: dst[0..len2) = W_ag^T src[0..len)
  PT_I_VEC,    // vec   op dst src1 src2 len (imm, imm2 per op)
  PT_I_COPY,   // copy  dst src len            (local -> local)
  PT_I_WRITE,  // write dst len imm            (local, fill with imm)
  PT_I_LOAD,   // load  dst src len            (global src -> local dst)
  PT_I_STORE,  // store dst src len            (local src -> global dst)
  PT_I_SEND,   // send  core src len           (local src -> core)
  PT_I_RECV,   // recv  core dst len           (core -> local dst)
  PT_I_COUNT
} pt_iop;

// Vector unit operations. Binary ones read src1 and src2, unary ones
// src1 only. ORDER VOP: keep vop_names[] in program.c in the same order.
typedef enum {
  PT_V_ADD, PT_V_SUB, PT_V_MUL, PT_V_DIV, PT_V_MAX,   // dst = src1 op src2
  PT_V_SCALE,      // dst = src1 * imm
  PT_V_RELU,       // dst = max(src1, 0)
  PT_V_CLIP,       // dst = min(max(src1, imm), imm2)
  PT_V_LEAKYRELU,  // dst = src1 < 0 ? imm * src1 : src1
  PT_V_SIGMOID,
  PT_V_TANH,
  PT_V_HARDSIGMOID, // dst = clip(imm * src1 + imm2, 0, 1)
  PT_V_HARDSWISH,
  PT_V_SOFTMAX,    // dst = softmax(src1[0..len))
  PT_V_ADDS,       // dst = src1 + imm
  PT_V_POW,        // dst = src1 ^ imm
  PT_V_WINSUM,     // dst[c] = sum of src1[c - (len2-1)/2 .. c + len2/2]
                   // (clipped to [0, len)): a sliding window of len2
  PT_V_COUNT
} pt_vop;

// One instruction: 44 bytes. Addresses are bytes; lengths are elements
// (bytes = elements * pt_program.elem_bytes).
typedef struct {
  uint8_t op;       // pt_iop
  uint8_t vop;      // pt_vop, for vec
  uint16_t flags;   // PT_IF_*
  int32_t arg;      // mvm: AG (index into pt_program.ag); send/recv: peer
  int32_t node;     // graph node the work belongs to, -1 for none
  uint32_t dst;     // local address; store: global address
  uint32_t src1;    // local address; load: global address
  uint32_t src2;    // vec (binary ops): second local operand
  int32_t len;      // elements read (mvm: input vector length)
  int32_t len2;     // mvm: output elements
  float imm, imm2;  // vec and write operands
} pt_inst;

enum {
  PT_IF_FINAL = 1,  // this store (HT) or vec/copy (LL) completes output
                    // pixel `arg` of node `node`
  PT_IF_BCAST = 2,  // vec: src2 is one element, broadcast over len
};

typedef struct {
  pt_inst *v;
  int64_t n, cap;
  int64_t peak_local_bytes;   // high-water mark of the local allocator
  int64_t last_alloc;         // stream length at the latest allocation
} pt_stream;

// What AG `i` holds: rows [row0, row0+rows) and columns [col0, col0+cols)
// of matrix `matrix` of weight layer `layer` (copy `replica`).
typedef struct {
  int32_t layer, node, replica, matrix;   // weight layer and its graph node
  int32_t row0, rows, col0, cols;
  int32_t core, crossbars;
} pt_ag_info;

// Where a tensor lives in global memory (per sample, NHWC): element
// (y, x, c) is at base + ((y * w + x) * pixel_stride + channel_off + c) *
// elem_bytes. Tensors feeding a channel concat are stored straight into
// the concat's buffer (its base, its pixel stride, their channel offset).
typedef struct {
  int64_t base;          // bytes; -1 when the tensor never is in memory
  int32_t pixel_stride;  // elements between consecutive pixels
  int32_t channel_off;
} pt_gview;

typedef struct {
  int32_t core;
  int32_t node;           // graph node it served
  int64_t addr, bytes;
  int64_t from, to;       // live over instructions [from, to) of the core
} pt_buf;

typedef struct {
  pt_mode mode;
  int ncores;
  pt_stream *core;        // [ncores]
  int elem_bytes;         // activation bytes
  int nags;
  pt_ag_info *ag;         // [nags]
  int ntensors;
  pt_gview *gt;           // [ntensors], per graph tensor
  int64_t global_bytes;   // global memory used by one sample's tensors
  int64_t local_capacity; // bytes of each core's local memory
  int32_t *group;         // [graph nodes] HT layer group (-1 for LL)
  int ngroups;
  int64_t rounds;         // LL: bulk-synchronous rounds of the schedule
  int64_t stalls;         // LL: rounds in which flow control held every
                          // producer and one was let past its limit
  // Local buffers (see pt_prog_alloc).
  pt_buf *buf;
  int64_t nbuf, capbuf;
  struct pt_lalloc **heap;  // [ncores]
} pt_program;

extern const char *pt_iop_names[PT_I_COUNT];
extern const char *pt_vop_names[PT_V_COUNT];
// Operands of a vector op: reads src2 too; how many of imm, imm2 it uses;
// whether len2 is its window.
bool pt_vop_binary(pt_vop op);
int pt_vop_nimm(pt_vop op);

pt_program *pt_prog_new(const pt_map_ctx *c, const pt_mapping *m);
void pt_prog_free(pt_program *p);
pt_inst *pt_prog_emit(pt_program *p, int core, pt_iop op);

// Counts over all cores: instructions per op and bytes moved by load,
// store and send.
typedef struct {
  int64_t n[PT_I_COUNT];
  int64_t load_bytes, store_bytes, send_bytes;
  int cores_used;
} pt_prog_stats;
void pt_prog_stats_of(const pt_program *p, pt_prog_stats *s);

// ---- local memory (used by the schedulers) ----
// Each core's local memory is handed out first-fit; every buffer's life
// (from the instruction index at which it was allocated to the one at
// which it was released, on its core) is recorded so that tests can check
// that no two live buffers overlap. Allocation never fails: the peak is
// compared with the capacity by the scheduler, which reports the layer,
// core and bytes when it does not fit.

uint32_t pt_prog_alloc(pt_program *p, int core, int64_t bytes, int node);
void pt_prog_release(pt_program *p, int core, uint32_t addr);
// Bytes allocated on a core right now.
int64_t pt_prog_local_used(const pt_program *p, int core);
// Release everything still allocated (end of program).
void pt_prog_release_all(pt_program *p);

// ---- schedulers (schedule_ht.c, schedule_ll.c) ----
// Lay out every activation tensor (and every constant a vector op reads)
// in global memory; tensors that only feed a channel concat are stored
// straight into it, flatten-like reshapes alias their input.
int pt_prog_layout_global(pt_program *p, const pt_graph *g, pt_error *err);
// Build the streams of one HT period (every layer advances one sample) or
// of one LL inference.
int pt_sched_ht(const pt_map_ctx *c, const pt_mapping *m, pt_program **out,
                pt_error *err);
int pt_sched_ll(const pt_map_ctx *c, const pt_mapping *m, pt_program **out,
                pt_error *err);
int pt_schedule(const pt_map_ctx *c, const pt_mapping *m, pt_program **out,
                pt_error *err);

// ---- check.c: the streams' dataflow, checked by executing them ----
// Runs every core's stream with byte-level validity (no values): a load
// waits until its global bytes were stored (or are a graph input or a
// constant), send and recv meet as a rendezvous in program order per pair
// of cores, and buffers hold garbage from allocation to first write and
// after release. Fails, naming core, instruction and bytes, when a core
// reads local bytes that were never written, a transfer's lengths differ,
// the cores deadlock, an output byte of a layer is stored twice or never,
// or two live buffers overlap.
typedef struct {
  int64_t executed;       // instructions run
  int64_t stored_bytes;   // distinct output bytes stored
} pt_check_report;
int pt_prog_check(const pt_program *p, const pt_graph *g,
                  pt_check_report *rep, pt_error *err);

// ---- emitters (lower_asm.c, lower_json.c) ----
// Write one file per core, DIR/core<N>.asm, one instruction per line.
int pt_lower_asm(const pt_program *p, const pt_graph *g, const char *dir,
                 pt_error *err);
// Write DIR/program.json: {"pimtune", "mode", "elem_bytes", "global_bytes",
// "ags": [...], "cores": [{"core", "peak_local_bytes", "instructions":
// [...]}]} (docs/isa.md).
int pt_lower_json(const pt_program *p, const pt_graph *g, const char *dir,
                  pt_error *err);

#endif
