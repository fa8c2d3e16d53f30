// The mapping: one complete decision about how a network runs on a chip —
// per weight layer its replication factor and unfolding format, the core of
// every AG of every replica, the pipeline mode and the mode's knobs.
//
// A mapping holds only small flat arrays (no pointers into the graph), so
// the search can copy and mutate it cheaply. Everything that does not
// depend on the decision (the graph, the chip, the partition of every layer
// under every format) lives in a read-only pt_map_ctx shared by all
// mappings of one run.
//
// AG numbering. The AGs of layer l occupy ag_core[ag_start[l] ..
// ag_start[l+1]); within a layer they are ordered
//     replica, matrix, row block, column block
// (column block fastest), so replica k of layer l has AGs
// ag_start[l] + k * part.ags ... + part.ags - 1.
#ifndef PT_MAPPING_H
#define PT_MAPPING_H

#include "partition.h"

typedef enum { PT_MODE_HT, PT_MODE_LL } pt_mode;

// ORDER REPL: keep repl_names[] in mapping.c in the same order.
typedef enum {
  PT_REPL_BALANCE,    // even out steps / replication across layers
  PT_REPL_UNIFORM,    // one factor for all layers, the largest that fits
  PT_REPL_LAYER_SIZE, // PIMCOMP's W0H0 idea: more copies for small layers
  PT_REPL_NONE,       // one copy of each layer
  PT_REPL_COUNT
} pt_repl;

// Read-only context: the graph, the chip and every layer's partition under
// every unfolding format.
typedef struct {
  const pt_graph *g;
  const pt_arch *a;
  int nlayers;                  // weight layers
  int *node;                    // [nlayers] graph node of each
  pt_part *part;                // [nlayers * PT_UNF_COUNT]
  bool *unfold_ok;              // [nlayers * PT_UNF_COUNT] format applies
  int ncores;                   // cores on the chip(s)
  int xbars_per_core;           // logical crossbars per core
  int max_ags;                  // capacity of ag_core in every mapping
} pt_map_ctx;

typedef struct {
  pt_mode mode;
  bool ht_grouping;             // HT: group layers to cut first latency
  int nlayers;
  int16_t *repl;                // [nlayers] replication factor >= 1
  uint8_t *unfold;              // [nlayers] pt_unfold
  int32_t *ag_start;            // [nlayers + 1] derived from repl, unfold
  int16_t *ag_core;             // [max_ags] core of each AG
  int total_ags;
} pt_mapping;

int pt_map_ctx_init(pt_map_ctx *c, const pt_graph *g, const pt_arch *a,
                    pt_error *err);
void pt_map_ctx_free(pt_map_ctx *c);
static inline const pt_part *pt_map_part(const pt_map_ctx *c, int layer,
                                         int unfold) {
  return &c->part[layer * PT_UNF_COUNT + unfold];
}

pt_mapping *pt_map_new(const pt_map_ctx *c);
void pt_map_free(pt_mapping *m);
void pt_map_copy(pt_mapping *dst, const pt_mapping *src, const pt_map_ctx *c);

// Recompute ag_start from repl and unfold; returns -1 (with err) if the AGs
// exceed the chip's capacity.
int pt_map_index(pt_mapping *m, const pt_map_ctx *c, pt_error *err);

// Validity: every AG on an existing core, no core over its crossbars, every
// replication factor >= 1 and format applicable. On failure err says
// precisely why (layer, core, counts).
int pt_map_check(const pt_mapping *m, const pt_map_ctx *c, pt_error *err);

// Crossbars used on core `core` (logical).
int pt_map_core_xbars(const pt_mapping *m, const pt_map_ctx *c, int core);
// Crossbars of AG i (0-based within one copy) of partition p.
int pt_map_ag_xbars(const pt_map_ctx *c, const pt_part *p, int64_t i);

// Heuristics. Replication first, then the layout: AGs of one replica kept
// on one core where possible, cores filled in order. The mapping's mode,
// knobs and unfold[] are kept; unfold[] must be set before.
int pt_map_replicate(pt_mapping *m, const pt_map_ctx *c, pt_repl how,
                     pt_error *err);
int pt_map_layout(pt_mapping *m, const pt_map_ctx *c, pt_error *err);
// The whole default: formats = dflt, replication `how`, then layout.
int pt_map_heuristic(pt_mapping *m, const pt_map_ctx *c, pt_unfold dflt,
                     pt_repl how, pt_mode mode, pt_error *err);

const char *pt_repl_name(pt_repl r);
int pt_repl_parse(const char *s);   // -1 if unknown
const char *pt_mode_name(pt_mode m);

// Computation-storage mapping, HT: the steps of layer l that replica k
// computes are [first, first + count), contiguous ranges (adjacent windows
// to one replica, for input reuse) sized as evenly as possible. LL deals
// the windows out in raster order instead (window s to replica s mod r;
// compiler/schedule.c, sc_replica_of).
void pt_map_steps(const pt_mapping *m, const pt_map_ctx *c, int layer,
                  int replica, int64_t *first, int64_t *count);

#endif
