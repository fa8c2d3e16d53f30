// The mapping: validity rules, the replication heuristics (balance,
// uniform, layer-size, none), the layout heuristic and the split of a
// layer's steps among its replicas. See mapping.h for the AG numbering.
#include "mapping.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ORDER REPL
static const char *repl_names[PT_REPL_COUNT] = {"balance", "uniform",
                                                "layer-size", "none"};

const char *pt_repl_name(pt_repl r) { return repl_names[r]; }
const char *pt_mode_name(pt_mode m) { return m == PT_MODE_HT ? "ht" : "ll"; }

int pt_repl_parse(const char *s) {
  for (int r = 0; r < PT_REPL_COUNT; r++)
    if (!strcmp(s, repl_names[r]))
      return r;
  return -1;
}

// A format other than im2col only means something for a conv with a
// kernel larger than 1x1; for fc and 1x1 convs all five coincide.
static bool format_applies(const pt_graph *g, int node, pt_unfold u) {
  const pt_node *n = &g->n[node];
  if (u == PT_UNF_IM2COL)
    return true;
  if (n->op != PT_OP_CONV)
    return false;
  const pt_tensor *w = &g->t[n->in[1]];
  int64_t k = 1;
  for (int i = 2; i < w->ndim; i++)
    k *= w->dims[i];
  return k > 1;
}

int pt_map_ctx_init(pt_map_ctx *c, const pt_graph *g, const pt_arch *a,
                    pt_error *err) {
  memset(c, 0, sizeof *c);
  c->g = g, c->a = a;
  c->node = pt_malloc(g->nn * sizeof *c->node);
  c->nlayers = pt_graph_weight_layers(g, c->node);
  c->part = pt_calloc((size_t)c->nlayers * PT_UNF_COUNT, sizeof *c->part);
  c->unfold_ok = pt_calloc((size_t)c->nlayers * PT_UNF_COUNT, 1);
  c->ncores = pt_arch_total_cores(a);
  c->xbars_per_core = pt_arch_logical_per_core(a);
  int64_t cap = pt_arch_logical_total(a);
  c->max_ags = cap > INT32_MAX ? INT32_MAX : (int)cap;
  if (c->ncores > INT16_MAX) { // ag_core is int16_t
    pt_map_ctx_free(c);
    return pt_errorf(err, "%s: the chip has %d cores; mappings number cores "
                     "in 16 bits (at most %d)", g->path,
                     pt_arch_total_cores(a), INT16_MAX);
  }
  if (c->nlayers == 0) {
    pt_map_ctx_free(c);
    return pt_errorf(err, "%s: the network has no weight layers (conv, "
                     "Gemm/MatMul) to place on crossbars", g->path);
  }
  for (int l = 0; l < c->nlayers; l++)
    for (int u = 0; u < PT_UNF_COUNT; u++) {
      if (!format_applies(g, c->node[l], u))
        continue;
      if (pt_part_layer(g, c->node[l], u, a,
                        &c->part[l * PT_UNF_COUNT + u], err)) {
        pt_map_ctx_free(c);
        return -1;
      }
      c->unfold_ok[l * PT_UNF_COUNT + u] = true;
    }
  return 0;
}

void pt_map_ctx_free(pt_map_ctx *c) {
  free(c->node);
  free(c->part);
  free(c->unfold_ok);
  memset(c, 0, sizeof *c);
}

pt_mapping *pt_map_new(const pt_map_ctx *c) {
  pt_mapping *m = pt_calloc(1, sizeof *m);
  m->nlayers = c->nlayers;
  m->repl = pt_calloc(c->nlayers, sizeof *m->repl);
  m->unfold = pt_calloc(c->nlayers, sizeof *m->unfold);
  m->ag_start = pt_calloc(c->nlayers + 1, sizeof *m->ag_start);
  m->ag_core = pt_calloc(c->max_ags, sizeof *m->ag_core);
  m->ht_grouping = true;
  for (int l = 0; l < c->nlayers; l++)
    m->repl[l] = 1;
  return m;
}

void pt_map_free(pt_mapping *m) {
  if (!m)
    return;
  free(m->repl);
  free(m->unfold);
  free(m->ag_start);
  free(m->ag_core);
  free(m);
}

void pt_map_copy(pt_mapping *d, const pt_mapping *s, const pt_map_ctx *c) {
  d->mode = s->mode;
  d->ht_grouping = s->ht_grouping;
  d->nlayers = s->nlayers;
  d->total_ags = s->total_ags;
  memcpy(d->repl, s->repl, c->nlayers * sizeof *d->repl);
  memcpy(d->unfold, s->unfold, c->nlayers * sizeof *d->unfold);
  memcpy(d->ag_start, s->ag_start, (c->nlayers + 1) * sizeof *d->ag_start);
  memcpy(d->ag_core, s->ag_core, s->total_ags * sizeof *d->ag_core);
}

static const char *layer_name(const pt_map_ctx *c, int l) {
  return c->g->n[c->node[l]].name;
}

int pt_map_index(pt_mapping *m, const pt_map_ctx *c, pt_error *err) {
  int64_t k = 0;
  for (int l = 0; l < c->nlayers; l++) {
    m->ag_start[l] = (int32_t)k;
    k += (int64_t)m->repl[l] * pt_map_part(c, l, m->unfold[l])->ags;
    if (k > c->max_ags)
      return pt_errorf(err, "layer '%s': %lld AGs with %d copies exceed "
                       "the %d logical crossbars of the chip",
                       layer_name(c, l), (long long)k, m->repl[l],
                       c->max_ags);
  }
  m->ag_start[c->nlayers] = (int32_t)k;
  m->total_ags = (int)k;
  return 0;
}

// Crossbars of AG `i` (0-based within one replica) of a partition.
static int ag_xbars(const pt_part *p, const pt_arch *a, int64_t i,
                    int cap) {
  int64_t cb = i % p->col_blocks;
  int64_t row_xbars = pt_ceil_div(p->cols, a->xbar_cols);
  int64_t w = row_xbars - cb * cap;
  return (int)(w < cap ? w : cap);
}

int pt_map_ag_xbars(const pt_map_ctx *c, const pt_part *p, int64_t i) {
  return ag_xbars(p, c->a, i, c->xbars_per_core);
}

int pt_map_core_xbars(const pt_mapping *m, const pt_map_ctx *c, int core) {
  int used = 0;
  for (int l = 0; l < c->nlayers; l++) {
    const pt_part *p = pt_map_part(c, l, m->unfold[l]);
    for (int32_t i = m->ag_start[l]; i < m->ag_start[l + 1]; i++)
      if (m->ag_core[i] == core)
        used += ag_xbars(p, c->a, (i - m->ag_start[l]) % p->ags,
                         c->xbars_per_core);
  }
  return used;
}

int pt_map_check(const pt_mapping *m, const pt_map_ctx *c, pt_error *err) {
  if (m->nlayers != c->nlayers)
    return pt_errorf(err, "mapping has %d layers, the network %d",
                     m->nlayers, c->nlayers);
  int64_t k = 0;
  for (int l = 0; l < c->nlayers; l++) {
    if (m->repl[l] < 1)
      return pt_errorf(err, "layer '%s': replication %d, expected >= 1",
                       layer_name(c, l), m->repl[l]);
    if (m->unfold[l] >= PT_UNF_COUNT ||
        !c->unfold_ok[l * PT_UNF_COUNT + m->unfold[l]])
      return pt_errorf(err, "layer '%s': unfolding format %d does not apply",
                       layer_name(c, l), m->unfold[l]);
    if (m->ag_start[l] != k)
      return pt_errorf(err, "layer '%s': AG index out of date",
                       layer_name(c, l));
    k += (int64_t)m->repl[l] * pt_map_part(c, l, m->unfold[l])->ags;
  }
  if (m->ag_start[c->nlayers] != k || k != m->total_ags || k > c->max_ags)
    return pt_errorf(err, "mapping: AG index out of date");
  int *used = pt_calloc(c->ncores, sizeof *used);
  int rc = 0;
  for (int l = 0; l < c->nlayers && !rc; l++) {
    const pt_part *p = pt_map_part(c, l, m->unfold[l]);
    for (int32_t i = m->ag_start[l]; i < m->ag_start[l + 1]; i++) {
      int core = m->ag_core[i];
      if (core < 0 || core >= c->ncores) {
        rc = pt_errorf(err, "layer '%s': AG %d on core %d, the chip has "
                       "cores 0..%d", layer_name(c, l), i - m->ag_start[l],
                       core, c->ncores - 1);
        break;
      }
      used[core] += ag_xbars(p, c->a, (i - m->ag_start[l]) % p->ags,
                             c->xbars_per_core);
      if (used[core] > c->xbars_per_core) {
        rc = pt_errorf(err, "core %d: %d crossbars needed (reached at layer "
                       "'%s'), it has %d", core, used[core], layer_name(c, l),
                       c->xbars_per_core);
        break;
      }
    }
  }
  free(used);
  return rc;
}

// ---------------------------------------------------------------------------
// Layout: replicas in layer order; a replica goes whole onto the first core
// (from a cursor that only moves forward) with room for all of it; a
// replica larger than a core is spread over consecutive cores.

int pt_map_layout(pt_mapping *m, const pt_map_ctx *c, pt_error *err) {
  if (pt_map_index(m, c, err))
    return -1;
  int cap = c->xbars_per_core;
  int *freec = pt_malloc(c->ncores * sizeof *freec);
  for (int i = 0; i < c->ncores; i++)
    freec[i] = cap;
  int cursor = 0, rc = 0;
  for (int l = 0; l < c->nlayers && !rc; l++) {
    const pt_part *p = pt_map_part(c, l, m->unfold[l]);
    int per_replica = (int)p->crossbars;
    for (int k = 0; k < m->repl[l] && !rc; k++) {
      int32_t base = m->ag_start[l] + k * (int32_t)p->ags;
      int core = -1;
      if (per_replica <= cap)
        for (int i = cursor; i < c->ncores && core < 0; i++)
          if (freec[i] >= per_replica)
            core = i;
      if (core >= 0) {
        for (int64_t i = 0; i < p->ags; i++)
          m->ag_core[base + i] = (int16_t)core;
        freec[core] -= per_replica;
        cursor = core;
        continue;
      }
      // Spread: each AG on the first core from the cursor with room.
      for (int64_t i = 0; i < p->ags; i++) {
        int w = ag_xbars(p, c->a, i, cap), at = cursor;
        while (at < c->ncores && freec[at] < w)
          at++;
        if (at == c->ncores) {
          rc = pt_errorf(err, "layout: layer '%s' copy %d of %d does not "
                         "fit: %lld logical crossbars needed, the chip has "
                         "%d x %d", layer_name(c, l), k + 1, m->repl[l],
                         (long long)p->crossbars, c->ncores, cap);
          break;
        }
        m->ag_core[base + i] = (int16_t)at;
        freec[at] -= w;
        cursor = at;
      }
    }
  }
  free(freec);
  return rc;
}

// ---------------------------------------------------------------------------
// Replication

static int64_t total_xbars(const pt_mapping *m, const pt_map_ctx *c) {
  int64_t t = 0;
  for (int l = 0; l < c->nlayers; l++)
    t += m->repl[l] * pt_map_part(c, l, m->unfold[l])->crossbars;
  return t;
}

// Steps of the slowest replica of layer l: the layer's time in a period.
static int64_t layer_steps(const pt_mapping *m, const pt_map_ctx *c, int l) {
  return pt_ceil_div(pt_map_part(c, l, m->unfold[l])->steps, m->repl[l]);
}

// Would this replication lay out? (A trial copy; the layout is redone.)
static bool lays_out(const pt_mapping *m, const pt_map_ctx *c) {
  pt_mapping *t = pt_map_new(c);
  memcpy(t->repl, m->repl, c->nlayers * sizeof *t->repl);
  memcpy(t->unfold, m->unfold, c->nlayers * sizeof *t->unfold);
  bool ok = pt_map_layout(t, c, NULL) == 0;
  pt_map_free(t);
  return ok;
}

// balance: give one more copy to the layer that limits the period, as long
// as it fits; the next copy that actually lowers a layer's steps is taken
// (ceil(steps / r) only drops at some r).
static void replicate_balance(pt_mapping *m, const pt_map_ctx *c) {
  int64_t budget = (int64_t)c->ncores * c->xbars_per_core;
  int64_t used = total_xbars(m, c);
  for (;;) {
    int worst = 0;
    for (int l = 1; l < c->nlayers; l++)
      if (layer_steps(m, c, l) > layer_steps(m, c, worst))
        worst = l;
    const pt_part *p = pt_map_part(c, worst, m->unfold[worst]);
    int64_t now = layer_steps(m, c, worst);
    int64_t r = m->repl[worst];
    while (r < p->steps && pt_ceil_div(p->steps, r) >= now)
      r++;
    int64_t extra = (r - m->repl[worst]) * p->crossbars;
    if (now <= 1 || r > INT16_MAX || used + extra > budget) {
      // The bottleneck cannot improve: every other layer is at least as
      // fast, so stop here (more copies elsewhere would not help).
      break;
    }
    int16_t old = m->repl[worst];
    m->repl[worst] = (int16_t)r;
    if (!lays_out(m, c)) { // the bottleneck's copy does not lay out
      m->repl[worst] = old;
      break;
    }
    used += extra;
  }
}

// uniform: the largest r, the same for every layer (capped by each
// layer's steps), that lays out.
static void replicate_uniform(pt_mapping *m, const pt_map_ctx *c) {
  int lo = 1, hi = INT16_MAX;
  while (lo < hi) {
    int mid = lo + (hi - lo + 1) / 2;
    for (int l = 0; l < c->nlayers; l++) {
      int64_t s = pt_map_part(c, l, m->unfold[l])->steps;
      m->repl[l] = (int16_t)(mid < s ? mid : (s > 0 ? s : 1));
    }
    if (total_xbars(m, c) <= (int64_t)c->ncores * c->xbars_per_core &&
        lays_out(m, c))
      lo = mid;
    else
      hi = mid - 1;
  }
  for (int l = 0; l < c->nlayers; l++) {
    int64_t s = pt_map_part(c, l, m->unfold[l])->steps;
    m->repl[l] = (int16_t)(lo < s ? lo : (s > 0 ? s : 1));
  }
}

// layer-size: every layer gets a share of the crossbars proportional to
// its work (steps x crossbars of one copy, i.e. its MVM load), so r_l =
// alpha * steps_l, with the largest alpha that lays out (bisection).
static void replicate_layer_size(pt_mapping *m, const pt_map_ctx *c) {
  double lo = 0, hi = 1;
  for (int it = 0; it < 60; it++) {
    double alpha = (lo + hi) / 2;
    for (int l = 0; l < c->nlayers; l++) {
      int64_t s = pt_map_part(c, l, m->unfold[l])->steps;
      double r = alpha * (double)s;
      m->repl[l] = (int16_t)(r < 1 ? 1 : r > s ? s : r > INT16_MAX ? INT16_MAX : r);
    }
    if (total_xbars(m, c) <= (int64_t)c->ncores * c->xbars_per_core &&
        lays_out(m, c))
      lo = alpha;
    else
      hi = alpha;
  }
  for (int l = 0; l < c->nlayers; l++) {
    int64_t s = pt_map_part(c, l, m->unfold[l])->steps;
    double r = lo * (double)s;
    m->repl[l] = (int16_t)(r < 1 ? 1 : r > s ? s : r > INT16_MAX ? INT16_MAX : r);
  }
}

int pt_map_replicate(pt_mapping *m, const pt_map_ctx *c, pt_repl how,
                     pt_error *err) {
  for (int l = 0; l < c->nlayers; l++)
    m->repl[l] = 1;
  if (pt_map_index(m, c, err))
    return -1;
  if (!lays_out(m, c))
    return pt_map_layout(m, c, err); // for its message
  switch (how) {
  case PT_REPL_BALANCE:
    replicate_balance(m, c);
    break;
  case PT_REPL_UNIFORM:
    replicate_uniform(m, c);
    break;
  case PT_REPL_LAYER_SIZE:
    replicate_layer_size(m, c);
    break;
  default:
    break;
  }
  return pt_map_index(m, c, err);
}

int pt_map_heuristic(pt_mapping *m, const pt_map_ctx *c, pt_unfold dflt,
                     pt_repl how, pt_mode mode, pt_error *err) {
  m->mode = mode;
  for (int l = 0; l < c->nlayers; l++)
    m->unfold[l] = c->unfold_ok[l * PT_UNF_COUNT + dflt] ? dflt
                                                         : PT_UNF_IM2COL;
  if (pt_map_replicate(m, c, how, err) || pt_map_layout(m, c, err))
    return -1;
  return pt_map_check(m, c, err);
}

void pt_map_steps(const pt_mapping *m, const pt_map_ctx *c, int layer,
                  int replica, int64_t *first, int64_t *count) {
  int64_t steps = pt_map_part(c, layer, m->unfold[layer])->steps;
  int64_t r = m->repl[layer], q = steps / r, rem = steps % r;
  *first = replica * q + (replica < rem ? replica : rem);
  *count = q + (replica < rem);
}
