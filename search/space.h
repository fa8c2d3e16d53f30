// The search space: what a mapping can become, and what it is worth.
//
// A point of the space is a pt_mapping (compiler/mapping.h): per weight
// layer a replication factor and an unfolding format, the core of every
// AG, the pipeline mode and HT grouping. Every move here keeps the mapping
// valid (pt_map_check passes) or reports that it could not, so no
// evaluation is spent on an impossible chip.
//
// Objectives are measured in natural units (samples/s, s, J, J*s,
// crossbars); pt_space_cost turns them into one "smaller is better" number
// per objective for the strategies.
#ifndef PT_SPACE_H
#define PT_SPACE_H

#include <stdbool.h>
#include <stdint.h>

#include "../compiler/mapping.h"
#include "../cost/analytic.h"

// ORDER OBJ: keep obj_info[] in space.c in the same order.
typedef enum {
  PT_OBJ_THROUGHPUT,  // samples/s, maximised
  PT_OBJ_LATENCY,     // s per sample (HT: first-sample latency)
  PT_OBJ_ENERGY,      // J per sample
  PT_OBJ_EDP,         // energy x latency, J*s
  PT_OBJ_AREA,        // logical crossbars mapped
  PT_OBJ_COUNT
} pt_obj;

const char *pt_obj_name(pt_obj o);
const char *pt_obj_unit(pt_obj o);
bool pt_obj_maximised(pt_obj o);
int pt_obj_parse(const char *s);  // -1 if unknown

// How a point is scored: the analytical model (fast) or scheduling and
// profiling its streams (the ground truth, ~0.1 - 1 s per point).
typedef enum { PT_FIT_ANALYTIC, PT_FIT_PROFILE } pt_fitness;

// Modes a search may use (bit set).
enum { PT_MODES_HT = 1, PT_MODES_LL = 2, PT_MODES_BOTH = 3 };

// A random stream (GSL's mt19937 underneath): stream `id` of `seed`, so
// that work unit id draws the same numbers whichever thread runs it.
typedef struct pt_rng pt_rng;
pt_rng *pt_rng_new(uint64_t seed, uint64_t id);
void pt_rng_free(pt_rng *r);
double pt_rng_uniform(pt_rng *r);            // [0, 1)
int64_t pt_rng_int(pt_rng *r, int64_t n);    // [0, n), n >= 1

typedef struct {
  const pt_map_ctx *c;
  const pt_ana_ctx *ana;
  pt_fitness fitness;
  unsigned modes;
  bool vary_unfold;        // moves may change unfolding formats
  pt_unfold unfold;        // the starting format of every layer
  int16_t *repl_max;       // [nlayers] the most copies worth having
  // Crossbars of AG i of one copy of layer l under format u:
  // agx[agx_at[l * PT_UNF_COUNT + u] + i] (pt_map_ag_xbars, tabulated:
  // the moves ask for it for every AG they touch).
  int16_t *agx;
  int32_t *agx_at;
} pt_space;

// Scratch of one evaluating worker (the analytic model's per-core arrays).
// Scratch of one worker: the analytic model's per-core arrays, a spare
// mapping and per-core room for the moves.
typedef struct {
  pt_ana_result ana;
  pt_mapping *tmp;
  int *room;               // [ncores] free crossbars
} pt_space_scratch;

void pt_space_init(pt_space *s, const pt_map_ctx *c, const pt_ana_ctx *ana,
                   unsigned modes, pt_unfold unfold, bool vary_unfold,
                   pt_fitness fitness);
void pt_space_free(pt_space *s);
void pt_space_scratch_init(const pt_space *s, pt_space_scratch *w);
void pt_space_scratch_free(pt_space_scratch *w);

// The heuristics of compiler/mapping.c as starting points: replication
// heuristic `how` in `mode`, formats from the space. -1 (err) if the
// network does not fit.
int pt_space_heuristic(const pt_space *s, pt_mapping *m, pt_repl how,
                       pt_mode mode, pt_error *err);

// Score m: v[PT_OBJ_COUNT] in natural units. -1 (with err) when the
// profiler fitness cannot schedule it.
int pt_space_eval(const pt_space *s, const pt_mapping *m, pt_space_scratch *w,
                  double v[PT_OBJ_COUNT], pt_error *err);
// The objectives of m from a profile of its streams (latency: HT first
// sample, LL one inference; area from the mapping).
struct pt_prof_report;
void pt_space_profiled(const pt_map_ctx *c, const pt_mapping *m,
                       const struct pt_prof_report *r,
                       double v[PT_OBJ_COUNT]);
// Smaller is better: -v for maximised objectives.
double pt_space_cost(pt_obj o, const double v[PT_OBJ_COUNT]);

// One random move applied to m (in place): replication of a layer up or
// down (more often the layer that limits the period), its unfolding
// format, one AG or one copy moved to another core, two AGs swapped, the
// mode or HT grouping. Returns 0 when m changed and is valid; -1 when no
// valid move was found in a few tries (m is unchanged).
int pt_space_mutate(const pt_space *s, pt_mapping *m, pt_rng *rng,
                    pt_space_scratch *w);
// A child of a and b: per layer factor and format from either parent,
// mode and knobs from either, AGs of layers taken from a where they lay
// out. 0 on success (child valid); -1 (child = copy of a) otherwise.
int pt_space_crossover(const pt_space *s, const pt_mapping *a,
                       const pt_mapping *b, pt_mapping *child,
                       pt_rng *rng, pt_space_scratch *w);
// A random valid mapping (replication random between 1 and repl_max,
// random formats if they vary, a random mode of the space).
int pt_space_random(const pt_space *s, pt_mapping *m, pt_rng *rng,
                    pt_space_scratch *w);

// Lay m out again after its factors or formats changed: AGs that `keep`
// holds for the same layer, format and copy stay on their cores, the rest
// go to the first cores with room (a copy on one core when it fits). keep
// may be NULL. 0 if everything found room; -1 otherwise (m's AG table is
// then meaningless).
int pt_space_relayout(const pt_space *s, pt_mapping *m, const pt_mapping *keep,
                      pt_space_scratch *w);

#endif
