// The seed's genetic algorithm as PIMCOMP (TCAD 2024, Sec. VI-A) publishes
// it: the baseline the other strategies are measured against.
//
// Chromosome: GA_SLOTS genes per core; a gene is layer x 10000 + the
// number of that layer's AGs on the core (0 = empty slot). A layer's
// replication is its AGs on the chip over the AGs of one copy (AGs beyond
// whole copies hold nothing); the k-th AG of a layer in gene order (cores,
// then slots) becomes AG k of mapping.h's numbering. A core's crossbars
// are counted as AGs x the layer's widest AG, so a chromosome that passes
// the capacity test always decodes to a valid mapping. Formats stay at the
// space's starting format; the mode is the space's single mode.
//
// Start: replication 1 everywhere, each layer's AGs on a random core with
// room (spilling over the following cores). Each generation, every member
// makes one child by mutation I (a random gene's count +-1; an empty gene
// gets a random layer with one AG) or mutation II (two genes on different
// cores move part of their AGs into empty slots of each other's core), and
// the best N of parents and children survive ((mu + lambda) selection on
// the single objective). Population 200 and 1000 generations by default.
#include "strategy.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { GA_SLOTS = PT_GA_SLOTS, GENE_BASE = PT_GA_BASE };

typedef struct {
  int n, ngenes, ncores, nlayers;
  int32_t *genes;        // [2n * ngenes]: parents, then children
  double *cost;          // [2n]
  int *ags;              // [nlayers] AGs of one copy
  int *agx;              // [nlayers] crossbars of the widest AG
  int *order;            // [2n]
  int32_t *child;        // [nslots * ngenes] the batch's chromosomes
  int *count;            // [nslots * nlayers] scratch per slot
  int *used;             // [nslots * ncores] scratch per slot
} ga;

static int gene_layer(int32_t g) { return g / GENE_BASE; }
static int gene_count(int32_t g) { return g % GENE_BASE; }

static void core_use(const ga *x, const int32_t *ch, int *used) {
  for (int k = 0; k < x->ncores; k++) {
    used[k] = 0;
    for (int j = 0; j < GA_SLOTS; j++) {
      int32_t g = ch[k * GA_SLOTS + j];
      if (g)
        used[k] += gene_count(g) * x->agx[gene_layer(g)];
    }
  }
}

// Decode chromosome ch into mapping m; -1 if a layer has no whole copy.
static int decode(const pt_run *r, const ga *x, const int32_t *ch,
                  pt_mapping *m, int *count) {
  const pt_map_ctx *c = r->s->c;
  for (int l = 0; l < x->nlayers; l++)
    count[l] = 0;
  for (int i = 0; i < x->ngenes; i++)
    if (ch[i])
      count[gene_layer(ch[i])] += gene_count(ch[i]);
  for (int l = 0; l < x->nlayers; l++) {
    int rep = count[l] / x->ags[l];
    if (rep < 1)
      return -1;
    m->repl[l] = (int16_t)(rep > INT16_MAX ? INT16_MAX : rep);
    m->unfold[l] = (uint8_t)(c->unfold_ok[l * PT_UNF_COUNT + r->s->unfold]
                                 ? r->s->unfold
                                 : PT_UNF_IM2COL);
  }
  m->mode = r->s->modes == PT_MODES_LL ? PT_MODE_LL : PT_MODE_HT;
  if (pt_map_index(m, c, NULL))
    return -1;
  for (int l = 0; l < x->nlayers; l++)
    count[l] = 0;  // now: AGs of the layer placed so far
  for (int i = 0; i < x->ngenes; i++) {
    if (!ch[i])
      continue;
    int l = gene_layer(ch[i]), core = i / GA_SLOTS;
    int total = m->repl[l] * x->ags[l];
    for (int k = 0; k < gene_count(ch[i]) && count[l] < total; k++)
      m->ag_core[m->ag_start[l] + count[l]++] = (int16_t)core;
  }
  return 0;
}

static int empty_slot(const int32_t *ch, int core, pt_rng *rng) {
  int start = (int)pt_rng_int(rng, GA_SLOTS);
  for (int j = 0; j < GA_SLOTS; j++) {
    int s = core * GA_SLOTS + (start + j) % GA_SLOTS;
    if (!ch[s])
      return s;
  }
  return -1;
}

// Mutation I: one gene's AG count +-1 (an empty gene: a random layer, 1).
int pt_ga_mutation1(int32_t *ch, int ngenes, int nlayers, const int *ags,
                    int *count, pt_rng *rng) {
  int i = (int)pt_rng_int(rng, ngenes);
  if (!ch[i]) {  // capacity is checked on the whole chromosome after
    ch[i] = (int32_t)pt_rng_int(rng, nlayers) * GENE_BASE + 1;
    return 0;
  }
  int l = gene_layer(ch[i]), n = gene_count(ch[i]);
  if (pt_rng_uniform(rng) < 0.5) {
    if (n + 1 >= GENE_BASE)
      return -1;
    ch[i] = l * GENE_BASE + n + 1;
    return 0;
  }
  for (int k = 0; k < nlayers; k++)
    count[k] = 0;
  for (int j = 0; j < ngenes; j++)
    if (ch[j])
      count[gene_layer(ch[j])] += gene_count(ch[j]);
  if (count[l] - 1 < ags[l])
    return -1;  // the layer would lose its only copy
  ch[i] = n > 1 ? l * GENE_BASE + n - 1 : 0;
  return 0;
}

// Mutation II: genes a (core A) and b (core B != A) each move a random
// part of their AGs into an empty slot of the other's core.
int pt_ga_mutation2(int32_t *ch, int ngenes, pt_rng *rng) {
  int a = (int)pt_rng_int(rng, ngenes), b = (int)pt_rng_int(rng, ngenes);
  int ca = a / GA_SLOTS, cb = b / GA_SLOTS;
  if (!ch[a] || !ch[b] || ca == cb)
    return -1;
  int sa = empty_slot(ch, cb, rng), sb = empty_slot(ch, ca, rng);
  if (sa < 0 || sb < 0)
    return -1;
  int la = gene_layer(ch[a]), na = gene_count(ch[a]);
  int lb = gene_layer(ch[b]), nb = gene_count(ch[b]);
  int ma = 1 + (int)pt_rng_int(rng, na), mb = 1 + (int)pt_rng_int(rng, nb);
  ch[a] = na - ma ? la * GENE_BASE + na - ma : 0;
  ch[b] = nb - mb ? lb * GENE_BASE + nb - mb : 0;
  ch[sa] = la * GENE_BASE + ma;
  ch[sb] = lb * GENE_BASE + mb;
  return 0;
}

static bool fits(const ga *x, const pt_run *r, const int32_t *ch, int *used) {
  core_use(x, ch, used);
  for (int k = 0; k < x->ncores; k++)
    if (used[k] > r->s->c->xbars_per_core)
      return false;
  return true;
}

static int make_child(pt_run *r, int slot, pt_rng *rng, pt_mapping *m,
                      pt_space_scratch *w, void *user) {
  (void)w;
  ga *x = user;
  int32_t *ch = &x->child[(size_t)slot * x->ngenes];
  int *used = &x->used[slot * x->ncores], *count = &x->count[slot * x->nlayers];
  const int32_t *parent = &x->genes[(size_t)slot * x->ngenes];
  for (int tries = 0; tries < 16; tries++) {
    memcpy(ch, parent, x->ngenes * sizeof *ch);
    int rc = pt_rng_uniform(rng) < 0.5
                 ? pt_ga_mutation1(ch, x->ngenes, x->nlayers, x->ags, count, rng)
                 : pt_ga_mutation2(ch, x->ngenes, rng);
    if (!rc && fits(x, r, ch, used) && !decode(r, x, ch, m, count))
      return 0;
  }
  return -1;
}

// A random chromosome with one copy of every layer.
static int make_initial(pt_run *r, int slot, pt_rng *rng, pt_mapping *m,
                        pt_space_scratch *w, void *user) {
  (void)w;
  ga *x = user;
  int32_t *ch = &x->child[(size_t)slot * x->ngenes];
  int *used = &x->used[slot * x->ncores], *count = &x->count[slot * x->nlayers];
  int cap = r->s->c->xbars_per_core;
  memset(ch, 0, x->ngenes * sizeof *ch);
  for (int k = 0; k < x->ncores; k++)
    used[k] = 0;
  for (int l = 0; l < x->nlayers; l++) {
    int left = x->ags[l], core = (int)pt_rng_int(rng, x->ncores);
    for (int j = 0; j < x->ncores && left > 0; j++, core = (core + 1) % x->ncores) {
      int room = (cap - used[core]) / x->agx[l];
      int s = room > 0 ? empty_slot(ch, core, rng) : -1;
      if (s < 0)
        continue;
      int k = room < left ? room : left;
      ch[s] = l * GENE_BASE + k;
      used[core] += k * x->agx[l];
      left -= k;
    }
    if (left > 0)
      return -1;
  }
  return decode(r, x, ch, m, count);
}

static void take(pt_run *r, ga *x, int first) {
  for (int i = 0; i < x->n; i++) {
    memcpy(&x->genes[(size_t)(first + i) * x->ngenes],
           &x->child[(size_t)i * x->ngenes], x->ngenes * sizeof *x->genes);
    x->cost[first + i] =
        r->ok[i] ? pt_run_cost(r, 0, &r->val[i * PT_OBJ_COUNT]) : INFINITY;
  }
}

void pt_strategy_ga_paper(pt_run *r) {
  const pt_map_ctx *c = r->s->c;
  ga x = {.n = r->nslots, .ncores = c->ncores, .nlayers = c->nlayers};
  x.ngenes = x.ncores * GA_SLOTS;
  x.ags = pt_malloc(x.nlayers * sizeof *x.ags);
  x.agx = pt_malloc(x.nlayers * sizeof *x.agx);
  for (int l = 0; l < x.nlayers; l++) {
    int u = c->unfold_ok[l * PT_UNF_COUNT + r->s->unfold] ? r->s->unfold
                                                          : PT_UNF_IM2COL;
    const pt_part *p = pt_map_part(c, l, u);
    x.ags[l] = (int)p->ags;
    x.agx[l] = 0;
    for (int64_t i = 0; i < p->ags; i++) {
      int w = pt_map_ag_xbars(c, p, i);
      x.agx[l] = w > x.agx[l] ? w : x.agx[l];
    }
  }
  size_t g2 = (size_t)2 * x.n * x.ngenes;
  x.genes = pt_calloc(g2, sizeof *x.genes);
  x.cost = pt_malloc(2 * x.n * sizeof *x.cost);
  x.order = pt_malloc(2 * x.n * sizeof *x.order);
  x.child = pt_calloc((size_t)x.n * x.ngenes, sizeof *x.child);
  x.count = pt_malloc((size_t)x.n * x.nlayers * sizeof *x.count);
  x.used = pt_malloc((size_t)x.n * x.ncores * sizeof *x.used);

  pt_run_batch(r, x.n, make_initial, &x);
  take(r, &x, 0);
  int64_t gens = r->o->iters > 0 ? r->o->iters : 1000;
  int64_t gen = 0;
  for (; gen < gens && !r->stop; gen++) {
    pt_run_batch(r, x.n, make_child, &x);
    take(r, &x, x.n);
    // (mu + lambda): the best n of 2n, stable by index.
    for (int i = 0; i < 2 * x.n; i++)
      x.order[i] = i;
    for (int i = 1; i < 2 * x.n; i++)
      for (int j = i; j > 0 && x.cost[x.order[j]] < x.cost[x.order[j - 1]]; j--) {
        int t = x.order[j];
        x.order[j] = x.order[j - 1];
        x.order[j - 1] = t;
      }
    int32_t *ng = pt_malloc((size_t)x.n * x.ngenes * sizeof *ng);
    double *nc = pt_malloc(x.n * sizeof *nc);
    for (int i = 0; i < x.n; i++) {
      memcpy(&ng[(size_t)i * x.ngenes], &x.genes[(size_t)x.order[i] * x.ngenes],
             x.ngenes * sizeof *ng);
      nc[i] = x.cost[x.order[i]];
    }
    memcpy(x.genes, ng, (size_t)x.n * x.ngenes * sizeof *ng);
    memcpy(x.cost, nc, x.n * sizeof *nc);
    free(ng);
    free(nc);
  }
  if (gen == gens && !r->stopped_by)
    r->stopped_by = "iterations";
  free(x.ags);
  free(x.agx);
  free(x.genes);
  free(x.cost);
  free(x.order);
  free(x.child);
  free(x.count);
  free(x.used);
}
