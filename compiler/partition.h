// Partitioning: how each weight layer unfolds into weight matrices, and how
// the matrices are cut into array groups (AGs) of logical crossbars.
#ifndef PT_PARTITION_H
#define PT_PARTITION_H

#include "graph.h"
#include "../cost/arch.h"

// The five unfolding formats of a conv with I input channels, O output
// channels and a kh x kw kernel into P matrices of H rows x W columns
// (H*W*P = I*O*kh*kw; H is the summed direction). PIMCOMP (TCAD 2024),
// Table IV. K^2 stands for kh*kw, K for kw.
// ORDER UNFOLD: keep unfold_names[] in partition.c in the same order.
typedef enum {
  PT_UNF_IM2COL,     // (I*K^2, O,     1)   classic im2col (default)
  PT_UNF_I_O_K2,     // (I,     O,     K^2) one matrix per kernel tap
  PT_UNF_I_OK2,      // (I,     O*K^2, 1)   each input pixel multiplied once
  PT_UNF_IK_O_K,     // (I*K,   O,     K)   one matrix per kernel row
  PT_UNF_IK_OK,      // (I*K,   O*K,   1)   kernel rows side by side
  PT_UNF_COUNT
} pt_unfold;

// One weight layer, partitioned for one copy (replica).
typedef struct {
  int node;                 // graph node index
  pt_unfold unfold;
  int64_t groups;           // conv groups (1 for fc)
  int64_t gpack;            // groups packed block-diagonally into one
                            // matrix (small group matrices share arrays)
  int64_t in_chw[3], out_chw[3];
  int64_t rows, cols;       // H x W of one weight matrix
  int64_t matrices;         // P * groups
  int64_t row_blocks;       // ceil(rows / xbar_rows): AGs whose partial
                            // sums add up to one output
  int64_t col_blocks;       // column blocks of one matrix (an AG is at most
                            // one core's logical crossbars wide)
  int64_t ags_per_matrix;   // row_blocks * col_blocks
  int64_t ags;              // matrices * ags_per_matrix
  int64_t crossbars;        // logical crossbars of one copy
  int64_t max_ag_crossbars; // the widest AG
  int64_t steps;            // mvm issues per AG per sample (Table IV cycles)
  int64_t load_elems;       // input elements loaded per sample (Table IV)
  int64_t extra_mem_elems;  // extra local memory in elements (Table IV)
  int64_t macs;             // multiply-accumulates per sample
} pt_part;

typedef struct {
  int nlayers;
  pt_part *l;               // weight layers in topological order
  int64_t crossbars;        // sum over layers, one copy each
  int64_t available;        // logical crossbars on the whole chip
  int64_t macs;
  bool fits;                // one copy of everything can be placed
} pt_part_net;

const char *pt_unfold_name(pt_unfold u);
const char *pt_unfold_tuple(pt_unfold u);     // "(I*K^2, O, 1)"
// Parse a format name (or "im2col"); returns -1 if unknown.
int pt_unfold_parse(const char *s);
const char *pt_unfold_list(void);             // names, comma separated

// Partition one weight layer (conv or fc node) with format u.
int pt_part_layer(const pt_graph *g, int node, pt_unfold u,
                  const pt_arch *a, pt_part *out, pt_error *err);

// Partition every weight layer; unfold[i] gives the format of the i-th
// weight layer, or NULL for `dflt` everywhere.
int pt_part_network(const pt_graph *g, const pt_arch *a, pt_unfold dflt,
                    const pt_unfold *unfold, pt_part_net *net, pt_error *err);
void pt_part_net_free(pt_part_net *net);

// First-fit-decreasing placement of one copy of every AG onto the cores:
// true when all fit. Each AG must sit in one core.
bool pt_part_fits(const pt_part_net *net, const pt_arch *a);

// ---- the data of one step ----
// Step s of matrix m reads the pieces of the gpack groups packed into it
// (groups (m / P) * gpack ..., P matrices per group), one after the
// other, and writes their column ranges side by side. Each group's part is
// a vector made of pieces, each n consecutive channels c0.. of one
// input pixel (y, x) in NHWC order, and adds column ranges of its result
// into output pixels. A piece outside the input map reads zeros. For fc
// layers the input is one flat vector: pixel (0, 0), channels c0.. of the
// flattened input (HWC order).
typedef struct {
  int32_t y, x, c0, n;
  bool zero;              // padding: n zeros
} pt_piece;

typedef struct {
  int32_t col0, n;        // columns of the matrix
  int32_t y, x, c0;       // output pixel and first channel they add into
} pt_target;

// Upper bound of pieces / targets of one step (kh * kw).
int pt_part_max_pieces(const pt_part *p);
int pt_part_inputs(const pt_graph *g, const pt_part *p, int64_t m,
                   int64_t s, pt_piece *out);
int pt_part_targets(const pt_graph *g, const pt_part *p, int64_t m,
                    int64_t s, pt_target *out);

// ---- the weights of a matrix ----
// Which weight cell (row, col) of matrix m holds, in the order the pieces
// and targets above define: returns the flat index of the weight in the
// node's weight tensor (in[1]), or -1 for a structural zero (a packed
// matrix is block-diagonal: zero where the row's group is not the
// column's). Conv: *o is the output channel, *i the input channel within
// its group, (*ky, *kx) the kernel tap. Fc: *o the output feature, *i the
// input feature in the graph's own order, ky = kx = 0; the rows follow the
// flat HWC input, so after a flatten of an [N, C, H, W] map (H*W > 1) row
// (y*W + x)*C + c holds the weights of feature (c*H + y)*W + x.
int64_t pt_part_weight_index(const pt_graph *g, const pt_part *p, int64_t m,
                             int64_t row, int64_t col, int64_t *o,
                             int64_t *i, int64_t *ky, int64_t *kx);
#endif
