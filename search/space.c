// The search space (space.h): objectives, random streams, and the moves
// that turn one valid mapping into another.
//
// Layout after a change. A move that changes a layer's factor or format
// re-indexes the AGs (mapping.h's numbering) and calls relayout with the
// old mapping as `keep`: every copy that still exists with the same format
// keeps its cores, so a move stays local; new copies go whole onto the
// first core with room from the layer's first copy on (wrapping around),
// or AG by AG when no core has room for a whole copy. When the chip is
// full, a move that adds a copy takes one from another layer first (a
// trade), which is what a search near the capacity limit needs.
#include "space.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "../compiler/program.h"
#include "../cost/profile.h"

// ---------------------------------------------------------------------------
// Objectives

static const struct {
  const char *name, *unit;
  bool max;
} obj_info[PT_OBJ_COUNT] = {
    {"throughput", "samples/s", true}, {"latency", "s", false},
    {"energy", "J", false},            {"edp", "J*s", false},
    {"area", "crossbars", false},
};

const char *pt_obj_name(pt_obj o) { return obj_info[o].name; }
const char *pt_obj_unit(pt_obj o) { return obj_info[o].unit; }
bool pt_obj_maximised(pt_obj o) { return obj_info[o].max; }

int pt_obj_parse(const char *s) {
  for (int i = 0; i < PT_OBJ_COUNT; i++)
    if (!strcmp(s, obj_info[i].name))
      return i;
  return -1;
}

double pt_space_cost(pt_obj o, const double v[PT_OBJ_COUNT]) {
  return obj_info[o].max ? -v[o] : v[o];
}

// ---------------------------------------------------------------------------
// Random streams

struct pt_rng {
  gsl_rng *g;
};

// splitmix64 (Steele, Lea, Flood, OOPSLA 2014): decorrelates the seeds of
// neighbouring stream ids before they seed mt19937.
static uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

pt_rng *pt_rng_new(uint64_t seed, uint64_t id) {
  pt_rng *r = pt_malloc(sizeof *r);
  r->g = gsl_rng_alloc(gsl_rng_mt19937);
  // mt19937 takes an unsigned long; 0 would mean its default seed.
  unsigned long s = (unsigned long)(mix64(seed ^ mix64(id)) & 0xffffffffu);
  gsl_rng_set(r->g, s ? s : 1);
  return r;
}

void pt_rng_free(pt_rng *r) {
  if (!r)
    return;
  gsl_rng_free(r->g);
  free(r);
}

double pt_rng_uniform(pt_rng *r) { return gsl_rng_uniform(r->g); }

// gsl_rng_uniform_int takes n up to the generator's range (2^32 here).
int64_t pt_rng_int(pt_rng *r, int64_t n) {
  return n <= 1 ? 0 : (int64_t)gsl_rng_uniform_int(r->g, (unsigned long)n);
}

// ---------------------------------------------------------------------------
// The space

static bool fmt_ok(const pt_map_ctx *c, int l, int u) {
  return c->unfold_ok[l * PT_UNF_COUNT + u];
}

void pt_space_init(pt_space *s, const pt_map_ctx *c, const pt_ana_ctx *ana,
                   unsigned modes, pt_unfold unfold, bool vary_unfold,
                   pt_fitness fitness) {
  memset(s, 0, sizeof *s);
  s->c = c;
  s->ana = ana;
  s->modes = modes ? modes : PT_MODES_HT;
  s->unfold = unfold;
  s->vary_unfold = vary_unfold;
  s->fitness = fitness;
  s->repl_max = pt_malloc(c->nlayers * sizeof *s->repl_max);
  int64_t chip = (int64_t)c->ncores * c->xbars_per_core;
  for (int l = 0; l < c->nlayers; l++) {
    // More copies than windows cannot help; more than fit alone cannot be.
    int64_t most = 1;
    for (int u = 0; u < PT_UNF_COUNT; u++) {
      if (!fmt_ok(c, l, u))
        continue;
      const pt_part *p = pt_map_part(c, l, u);
      int64_t r = p->steps < chip / p->crossbars ? p->steps
                                                 : chip / p->crossbars;
      if (r > most)
        most = r;
    }
    s->repl_max[l] = (int16_t)(most > INT16_MAX ? INT16_MAX : most);
  }
  s->agx_at = pt_malloc(c->nlayers * PT_UNF_COUNT * sizeof *s->agx_at);
  int64_t n = 0;
  for (int i = 0; i < c->nlayers * PT_UNF_COUNT; i++) {
    s->agx_at[i] = (int32_t)n;
    if (c->unfold_ok[i])
      n += c->part[i].ags;
  }
  s->agx = pt_malloc((n ? n : 1) * sizeof *s->agx);
  for (int i = 0; i < c->nlayers * PT_UNF_COUNT; i++)
    for (int64_t k = 0; c->unfold_ok[i] && k < c->part[i].ags; k++)
      s->agx[s->agx_at[i] + k] = (int16_t)pt_map_ag_xbars(c, &c->part[i], k);
}

// Crossbars of AG i (within one copy) of layer l in m's format.
static inline int agx(const pt_space *s, const pt_mapping *m, int l,
                      int64_t i) {
  return s->agx[s->agx_at[l * PT_UNF_COUNT + m->unfold[l]] + i];
}

void pt_space_free(pt_space *s) {
  free(s->repl_max);
  free(s->agx);
  free(s->agx_at);
  memset(s, 0, sizeof *s);
}

void pt_space_scratch_init(const pt_space *s, pt_space_scratch *w) {
  memset(w, 0, sizeof *w);
  if (s->ana)
    pt_ana_result_init(s->ana, &w->ana);
  w->tmp = pt_map_new(s->c);
  w->room = pt_malloc(s->c->ncores * sizeof *w->room);
}

void pt_space_scratch_free(pt_space_scratch *w) {
  if (w->ana.work || w->ana.core_ns)
    pt_ana_result_free(&w->ana);
  pt_map_free(w->tmp);
  free(w->room);
  memset(w, 0, sizeof *w);
}

int pt_space_heuristic(const pt_space *s, pt_mapping *m, pt_repl how,
                       pt_mode mode, pt_error *err) {
  return pt_map_heuristic(m, s->c, s->unfold, how, mode, err);
}

// ---------------------------------------------------------------------------
// Evaluation

static int64_t mapped_xbars(const pt_map_ctx *c, const pt_mapping *m) {
  int64_t t = 0;
  for (int l = 0; l < c->nlayers; l++)
    t += m->repl[l] * pt_map_part(c, l, m->unfold[l])->crossbars;
  return t;
}

void pt_space_profiled(const pt_map_ctx *c, const pt_mapping *m,
                       const pt_prof_report *r, double v[PT_OBJ_COUNT]) {
  v[PT_OBJ_THROUGHPUT] = r->throughput_sps;
  v[PT_OBJ_LATENCY] = m->mode == PT_MODE_HT ? r->first_latency_s
                                            : r->latency_s;
  v[PT_OBJ_ENERGY] = r->energy_j;
  v[PT_OBJ_EDP] = v[PT_OBJ_ENERGY] * v[PT_OBJ_LATENCY];
  v[PT_OBJ_AREA] = (double)mapped_xbars(c, m);
}

int pt_space_eval(const pt_space *s, const pt_mapping *m, pt_space_scratch *w,
                  double v[PT_OBJ_COUNT], pt_error *err) {
  if (s->fitness == PT_FIT_ANALYTIC) {
    pt_ana_eval(s->ana, m, &w->ana);
    // The schedulers refuse what overflows a core's local memory; so does
    // the search (on the model's estimate of the peak).
    if (w->ana.peak_local_bytes > s->c->a->local.size_bytes) {
      if (err)
        pt_errorf(err, "local memory: about %lld bytes on a core, it has "
                  "%lld", (long long)w->ana.peak_local_bytes,
                  (long long)s->c->a->local.size_bytes);
      return -1;
    }
    v[PT_OBJ_THROUGHPUT] = w->ana.throughput_sps;
    v[PT_OBJ_LATENCY] = w->ana.latency_s;
    v[PT_OBJ_ENERGY] = w->ana.energy_j;
    v[PT_OBJ_AREA] = (double)w->ana.crossbars;
  } else {
    pt_error local = {{0}};
    if (!err)
      err = &local;  // the stages below may write a message
    pt_program *p = NULL;
    if (pt_schedule(s->c, m, &p, err))
      return -1;
    pt_prof_opts o;
    pt_prof_opts_default(&o);
    pt_prof_report r;
    int rc = pt_prof_run(p, s->c->g, s->c->a, &o, &r, err);
    pt_prog_free(p);
    if (rc)
      return -1;
    pt_space_profiled(s->c, m, &r, v);
    pt_prof_report_free(&r);
  }
  v[PT_OBJ_EDP] = v[PT_OBJ_ENERGY] * v[PT_OBJ_LATENCY];
  for (int k = 0; k < PT_OBJ_COUNT; k++)
    if (!isfinite(v[k]) || v[k] < 0)
      return err ? pt_errorf(err, "%s is %g", pt_obj_name(k), v[k]) : -1;
  return 0;
}

// ---------------------------------------------------------------------------
// Layout

// Place copy k of layer l (AGs base ..) starting the search at core `from`.
static int place_copy(const pt_space *s, pt_mapping *m, int l, int k,
                      int from, int *room) {
  const pt_map_ctx *c = s->c;
  const pt_part *p = pt_map_part(c, l, m->unfold[l]);
  int32_t base = m->ag_start[l] + k * (int32_t)p->ags;
  int n = c->ncores, need = (int)p->crossbars;
  for (int j = 0; j < n && need <= c->xbars_per_core; j++) {
    int core = (from + j) % n;
    if (room[core] >= need) {
      for (int64_t i = 0; i < p->ags; i++)
        m->ag_core[base + i] = (int16_t)core;
      room[core] -= need;
      return 0;
    }
  }
  int at = from;
  for (int64_t i = 0; i < p->ags; i++) {
    int x = agx(s, m, l, i), j = 0;
    while (j < n && room[(at + j) % n] < x)
      j++;
    if (j == n)
      return -1;
    at = (at + j) % n;
    m->ag_core[base + i] = (int16_t)at;
    room[at] -= x;
  }
  return 0;
}

int pt_space_relayout(const pt_space *s, pt_mapping *m, const pt_mapping *keep,
                      pt_space_scratch *w) {
  const pt_map_ctx *c = s->c;
  if (pt_map_index(m, c, NULL))
    return -1;
  int *room = w->room;
  for (int i = 0; i < c->ncores; i++)
    room[i] = c->xbars_per_core;
  // Copies that stay.
  for (int l = 0; keep && l < c->nlayers; l++) {
    if (keep->unfold[l] != m->unfold[l])
      continue;
    const pt_part *p = pt_map_part(c, l, m->unfold[l]);
    int copies = keep->repl[l] < m->repl[l] ? keep->repl[l] : m->repl[l];
    const int16_t *x = &s->agx[s->agx_at[l * PT_UNF_COUNT + m->unfold[l]]];
    const int16_t *from = &keep->ag_core[keep->ag_start[l]];
    int16_t *to = &m->ag_core[m->ag_start[l]];
    for (int k = 0; k < copies; k++, from += p->ags, to += p->ags)
      for (int64_t i = 0; i < p->ags; i++) {
        to[i] = from[i];
        room[from[i]] -= x[i];
      }
  }
  // The rest, near the layer's first copy (or where the previous layer
  // ended, as the heuristic layout does).
  int cursor = 0;
  for (int l = 0; l < c->nlayers; l++) {
    bool kept = keep && keep->unfold[l] == m->unfold[l];
    int first = kept ? (keep->repl[l] < m->repl[l] ? keep->repl[l]
                                                   : m->repl[l])
                     : 0;
    const pt_part *p = pt_map_part(c, l, m->unfold[l]);
    int from = first > 0 ? m->ag_core[m->ag_start[l]] : cursor;
    for (int k = first; k < m->repl[l]; k++)
      if (place_copy(s, m, l, k, from, room))
        return -1;
    if (m->repl[l] > 0)
      cursor = m->ag_core[m->ag_start[l] + m->repl[l] * p->ags - 1];
  }
  return 0;
}

// ---------------------------------------------------------------------------
// Moves

// Windows of the slowest copy of layer l: its share of an HT period.
static int64_t layer_rounds(const pt_space *s, const pt_mapping *m, int l) {
  return pt_ceil_div(pt_map_part(s->c, l, m->unfold[l])->steps, m->repl[l]);
}

// The smallest factor above r that cuts ceil(steps / r) (capped).
static int next_factor(const pt_space *s, const pt_mapping *m, int l) {
  int64_t steps = pt_map_part(s->c, l, m->unfold[l])->steps;
  int64_t now = pt_ceil_div(steps, m->repl[l]);
  if (now <= 1)
    return m->repl[l];
  int64_t r = pt_ceil_div(steps, now - 1);
  if (r > s->repl_max[l])
    r = s->repl_max[l];
  return (int)(r > m->repl[l] ? r : m->repl[l]);
}

static int clamp_repl(const pt_space *s, const pt_mapping *m, int l, int r) {
  int64_t steps = pt_map_part(s->c, l, m->unfold[l])->steps;
  int64_t hi = steps < s->repl_max[l] ? steps : s->repl_max[l];
  if (r > hi)
    r = (int)hi;
  return r < 1 ? 1 : r;
}

// Lay out m (changed from w->tmp, which holds the mapping before the
// move); when it does not fit, give up copies of other layers, the most
// replicated relative to their windows first, up to `trades` times.
static int settle(const pt_space *s, pt_mapping *m, int changed, int trades,
                  pt_rng *rng, pt_space_scratch *w) {
  for (int t = 0;; t++) {
    if (!pt_space_relayout(s, m, w->tmp, w))
      return 0;
    if (t == trades)
      return -1;
    // A random layer other than `changed` with a copy to spare.
    int n = s->c->nlayers, start = (int)pt_rng_int(rng, n), l = -1;
    for (int j = 0; j < n && l < 0; j++) {
      int x = (start + j) % n;
      if (x != changed && m->repl[x] > 1)
        l = x;
    }
    if (l < 0)
      return -1;
    m->repl[l] = (int16_t)(m->repl[l] - 1 - pt_rng_int(rng, m->repl[l] / 4 + 1));
  }
}

enum {
  MV_BOTTLENECK, MV_REPL, MV_UNFOLD, MV_COPY, MV_AG, MV_SWAP, MV_MODE,
  MV_GROUPING, MV_COUNT
};

static int pick_move(const pt_space *s, const pt_mapping *m, pt_rng *rng) {
  double wt[MV_COUNT] = {
      [MV_BOTTLENECK] = 3, [MV_REPL] = 3, [MV_UNFOLD] = s->vary_unfold ? 1 : 0,
      [MV_COPY] = 1.5, [MV_AG] = 1, [MV_SWAP] = 1,
      [MV_MODE] = s->modes == PT_MODES_BOTH ? 0.5 : 0,
      [MV_GROUPING] = m->mode == PT_MODE_HT ? 0.3 : 0,
  };
  double tot = 0;
  for (int i = 0; i < MV_COUNT; i++)
    tot += wt[i];
  double x = pt_rng_uniform(rng) * tot;
  for (int i = 0; i < MV_COUNT; i++) {
    if (x < wt[i])
      return i;
    x -= wt[i];
  }
  return MV_REPL;
}

// Core usage of m into w->room (free crossbars per core).
static void fill_room(const pt_space *s, const pt_mapping *m,
                      pt_space_scratch *w) {
  const pt_map_ctx *c = s->c;
  for (int i = 0; i < c->ncores; i++)
    w->room[i] = c->xbars_per_core;
  for (int l = 0; l < c->nlayers; l++) {
    const pt_part *p = pt_map_part(c, l, m->unfold[l]);
    const int16_t *x = &s->agx[s->agx_at[l * PT_UNF_COUNT + m->unfold[l]]];
    for (int32_t i = m->ag_start[l]; i < m->ag_start[l + 1];)
      for (int64_t k = 0; k < p->ags; k++, i++)
        w->room[m->ag_core[i]] -= x[k];
  }
}

// Layer of AG a.
static int layer_of(const pt_mapping *m, int32_t a) {
  int lo = 0, hi = m->nlayers - 1;
  while (lo < hi) {
    int mid = (lo + hi + 1) / 2;
    if (m->ag_start[mid] <= a)
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}

static int ag_x(const pt_space *s, const pt_mapping *m, int32_t a) {
  int l = layer_of(m, a);
  const pt_part *p = pt_map_part(s->c, l, m->unfold[l]);
  return agx(s, m, l, (a - m->ag_start[l]) % p->ags);
}

// A random core with at least `need` free crossbars other than `not`.
static int core_with_room(const pt_space *s, pt_space_scratch *w, int need,
                          int not, pt_rng *rng) {
  int n = s->c->ncores, start = (int)pt_rng_int(rng, n);
  for (int j = 0; j < n; j++) {
    int core = (start + j) % n;
    if (core != not && w->room[core] >= need)
      return core;
  }
  return -1;
}

// One attempt at move `mv`; 0 if m changed validly.
static int try_move(const pt_space *s, pt_mapping *m, int mv, pt_rng *rng,
                    pt_space_scratch *w) {
  const pt_map_ctx *c = s->c;
  int n = c->nlayers;
  switch (mv) {
  case MV_BOTTLENECK: {
    // The layer with the most windows per copy gets the next useful factor.
    int worst = 0;
    for (int l = 1; l < n; l++)
      if (layer_rounds(s, m, l) > layer_rounds(s, m, worst))
        worst = l;
    int r = next_factor(s, m, worst);
    if (r == m->repl[worst])
      return -1;
    m->repl[worst] = (int16_t)r;
    return settle(s, m, worst, 3, rng, w);
  }
  case MV_REPL: {
    int l = (int)pt_rng_int(rng, n), r = m->repl[l];
    double x = pt_rng_uniform(rng);
    r = x < 0.35 ? r + 1 : x < 0.7 ? r - 1 : x < 0.85 ? r * 2 : r / 2;
    r = clamp_repl(s, m, l, r);
    if (r == m->repl[l])
      return -1;
    m->repl[l] = (int16_t)r;
    return settle(s, m, l, r > w->tmp->repl[l] ? 2 : 0, rng, w);
  }
  case MV_UNFOLD: {
    int l = (int)pt_rng_int(rng, n), u = (int)pt_rng_int(rng, PT_UNF_COUNT);
    if (u == m->unfold[l] || !fmt_ok(c, l, u))
      return -1;
    // Keep the layer's rounds about the same under the new windows.
    int64_t rounds = layer_rounds(s, m, l);
    m->unfold[l] = (uint8_t)u;
    int64_t steps = pt_map_part(c, l, u)->steps;
    m->repl[l] = (int16_t)clamp_repl(s, m, l, (int)pt_ceil_div(steps, rounds));
    return settle(s, m, l, 2, rng, w);
  }
  case MV_COPY: {
    int l = (int)pt_rng_int(rng, n);
    const pt_part *p = pt_map_part(c, l, m->unfold[l]);
    if (p->crossbars > c->xbars_per_core)
      return -1;
    int k = (int)pt_rng_int(rng, m->repl[l]);
    int32_t base = m->ag_start[l] + k * (int32_t)p->ags;
    fill_room(s, m, w);
    for (int64_t i = 0; i < p->ags; i++)
      w->room[m->ag_core[base + i]] += agx(s, m, l, i);
    int was = m->ag_core[base];
    int core = core_with_room(s, w, (int)p->crossbars, was, rng);
    if (core < 0)
      return -1;
    for (int64_t i = 0; i < p->ags; i++)
      m->ag_core[base + i] = (int16_t)core;
    return 0;
  }
  case MV_AG: {
    int32_t a = (int32_t)pt_rng_int(rng, m->total_ags);
    fill_room(s, m, w);
    int x = ag_x(s, m, a);
    int core = core_with_room(s, w, x, m->ag_core[a], rng);
    if (core < 0)
      return -1;
    m->ag_core[a] = (int16_t)core;
    return 0;
  }
  case MV_SWAP: {
    int32_t a = (int32_t)pt_rng_int(rng, m->total_ags);
    int32_t b = (int32_t)pt_rng_int(rng, m->total_ags);
    int ca = m->ag_core[a], cb = m->ag_core[b];
    if (ca == cb)
      return -1;
    int xa = ag_x(s, m, a), xb = ag_x(s, m, b);
    if (xa != xb) {
      fill_room(s, m, w);
      if (w->room[ca] + xa < xb || w->room[cb] + xb < xa)
        return -1;
    }
    m->ag_core[a] = (int16_t)cb;
    m->ag_core[b] = (int16_t)ca;
    return 0;
  }
  case MV_MODE:
    m->mode = m->mode == PT_MODE_HT ? PT_MODE_LL : PT_MODE_HT;
    return 0;
  case MV_GROUPING:
    m->ht_grouping = !m->ht_grouping;
    return 0;
  }
  return -1;
}

int pt_space_mutate(const pt_space *s, pt_mapping *m, pt_rng *rng,
                    pt_space_scratch *w) {
  for (int tries = 0; tries < 8; tries++) {
    pt_map_copy(w->tmp, m, s->c);
    int mv = pick_move(s, m, rng);
    if (!try_move(s, m, mv, rng, w))
      return 0;
    pt_map_copy(m, w->tmp, s->c);
  }
  return -1;
}

int pt_space_crossover(const pt_space *s, const pt_mapping *a,
                       const pt_mapping *b, pt_mapping *child, pt_rng *rng,
                       pt_space_scratch *w) {
  const pt_map_ctx *c = s->c;
  pt_map_copy(child, a, c);
  for (int l = 0; l < c->nlayers; l++)
    if (pt_rng_uniform(rng) < 0.5) {
      child->repl[l] = b->repl[l];
      child->unfold[l] = b->unfold[l];
    }
  if (pt_rng_uniform(rng) < 0.5) {
    child->mode = b->mode;
    child->ht_grouping = b->ht_grouping;
  }
  pt_map_copy(w->tmp, a, c);
  if (!pt_space_relayout(s, child, a, w) ||
      !pt_space_relayout(s, child, b, w) ||
      !settle(s, child, -1, 4, rng, w))
    return 0;
  pt_map_copy(child, a, c);
  return -1;
}

int pt_space_random(const pt_space *s, pt_mapping *m, pt_rng *rng,
                    pt_space_scratch *w) {
  const pt_map_ctx *c = s->c;
  int nm = 0;
  pt_mode modes[2] = {PT_MODE_HT, PT_MODE_HT};
  if (s->modes & PT_MODES_HT)
    modes[nm++] = PT_MODE_HT;
  if (s->modes & PT_MODES_LL)
    modes[nm++] = PT_MODE_LL;
  m->mode = modes[pt_rng_int(rng, nm)];
  m->ht_grouping = true;
  for (int l = 0; l < c->nlayers; l++) {
    m->unfold[l] = fmt_ok(c, l, s->unfold) ? (uint8_t)s->unfold : PT_UNF_IM2COL;
    if (s->vary_unfold && pt_rng_uniform(rng) < 0.3) {
      int u = (int)pt_rng_int(rng, PT_UNF_COUNT);
      if (fmt_ok(c, l, u))
        m->unfold[l] = (uint8_t)u;
    }
    // Log-uniform: small factors as likely as large ones per octave.
    double hi = log((double)clamp_repl(s, m, l, s->repl_max[l]) + 1);
    m->repl[l] = (int16_t)clamp_repl(s, m, l,
                                     (int)exp(pt_rng_uniform(rng) * hi));
  }
  for (int tries = 0; tries < 64; tries++) {
    if (!pt_space_relayout(s, m, NULL, w))
      return 0;
    for (int l = 0; l < c->nlayers; l++)
      if (m->repl[l] > 1 && pt_rng_uniform(rng) < 0.3)
        m->repl[l] = (int16_t)(m->repl[l] / 2);
    if (tries > 32)
      for (int l = 0; l < c->nlayers; l++)
        m->repl[l] = 1;
  }
  return -1;
}
