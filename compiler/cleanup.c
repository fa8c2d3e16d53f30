// Graph clean-up after a frontend, in five passes over the node list:
//
//   1. make each channel shuffle written as Reshape [N, g, C/g, ...],
//      Transpose (0, 2, 1, ...), Reshape [N, C, ...] one SHUFFLE node
//      (first, so that pass 2 cannot merge its last reshape into a
//      following one);
//   2. drop Identity/Dropout nodes and reshapes that change nothing, and
//      let a reshape of a reshape read the first one's input;
//   3. fold BatchNormalization into the conv/fc that feeds it (scaling the
//      weights and bias when they are present);
//   4. fuse a stand-alone activation into its producer;
//   5. compact: drop dead nodes and unused tensors, renumber.
//
// Passes 1-4 only mark nodes dead and rewire tensor indices; pass 5 is the
// one place that renumbers, so indices stay valid until then.
#include "graph.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  pt_graph *g;
  bool *dead;   // per node
} cleaner;

static bool is_graph_output(const pt_graph *g, int t) {
  for (int i = 0; i < g->noutputs; i++)
    if (g->outputs[i] == t)
      return true;
  return false;
}

// How many live nodes read tensor t (each input slot counts).
static int uses(const cleaner *c, int t) {
  int n = 0;
  for (int i = 0; i < c->g->nn; i++) {
    if (c->dead[i])
      continue;
    for (int k = 0; k < c->g->n[i].nin; k++)
      n += c->g->n[i].in[k] == t;
  }
  return n;
}

// Only consumer of t is one node and t is not a graph output.
static bool single_use(const cleaner *c, int t) {
  return uses(c, t) == 1 && !is_graph_output(c->g, t);
}

static void replace_uses(cleaner *c, int from, int to) {
  pt_graph *g = c->g;
  for (int i = 0; i < g->nn; i++)
    for (int k = 0; k < g->n[i].nin; k++)
      if (g->n[i].in[k] == from)
        g->n[i].in[k] = to;
  for (int i = 0; i < g->noutputs; i++)
    if (g->outputs[i] == from)
      g->outputs[i] = to;
}

// Node p now writes tensor dst instead of its output src.
static void retarget(pt_graph *g, int p, int src, int dst) {
  pt_node *n = &g->n[p];
  for (int k = 0; k < n->nout; k++)
    if (n->out[k] == src)
      n->out[k] = dst;
  g->t[src].producer = -1;
  g->t[dst].producer = p;
}

// Remove node ni whose output equals its input 0 (same shape, same
// values). When the output is a graph output and the input has no other
// use, the input's producer writes the output directly so that the
// output keeps its name.
static void bypass(cleaner *c, int ni) {
  pt_graph *g = c->g;
  int src = g->n[ni].in[0], dst = g->n[ni].out[0];
  int p = g->t[src].producer;
  c->dead[ni] = true;
  if (is_graph_output(g, dst) && p >= 0 && !c->dead[p] &&
      uses(c, src) == 0 && !is_graph_output(g, src)) {
    retarget(g, p, src, dst);
    return;
  }
  replace_uses(c, dst, src);
}

static bool same_shape(const pt_tensor *a, const pt_tensor *b) {
  if (a->ndim != b->ndim)
    return false;
  for (int i = 0; i < a->ndim; i++)
    if (a->dims[i] != b->dims[i])
      return false;
  return true;
}

static void simplify(cleaner *c) {
  pt_graph *g = c->g;
  for (int i = 0; i < g->nn; i++) {
    pt_node *n = &g->n[i];
    if (n->op == PT_OP_IDENTITY) {
      bypass(c, i);
      continue;
    }
    if (n->op != PT_OP_RESHAPE)
      continue;
    int p = g->t[n->in[0]].producer;
    if (p >= 0 && !c->dead[p] && g->n[p].op == PT_OP_RESHAPE &&
        g->n[p].act == PT_ACT_NONE)
      n->in[0] = g->n[p].in[0]; // the first reshape may now be unused
    if (same_shape(&g->t[n->in[0]], &g->t[n->out[0]]) && n->act == PT_ACT_NONE)
      bypass(c, i);
  }
}

// A live reshape (no activation) producing tensor t, or -1.
static int reshape_producer(const cleaner *c, int t) {
  int p = c->g->t[t].producer;
  if (p < 0 || c->dead[p] || c->g->n[p].op != PT_OP_RESHAPE ||
      c->g->n[p].act != PT_ACT_NONE)
    return -1;
  return p;
}

// The single live node reading t, or -1 (also when t is a graph output).
static int only_reader(const cleaner *c, int t) {
  if (!single_use(c, t))
    return -1;
  for (int i = 0; i < c->g->nn; i++)
    for (int k = 0; !c->dead[i] && k < c->g->n[i].nin; k++)
      if (c->g->n[i].in[k] == t)
        return i;
  return -1;
}

// Transpose node ti as the middle of a channel shuffle: x [N, C, S...]
// -> reshape r1 -> [N, g, C/g, S...] -> transpose (0, 2, 1, 3 ...) ->
// [N, C/g, g, S...] -> reshape r2 -> [N, C, S...]. The two intermediate
// tensors may have no other reader. r2 becomes the SHUFFLE (keeping its
// name, output and any activation); r1 and the transpose die.
static void fuse_shuffle(cleaner *c, int ti) {
  pt_graph *g = c->g;
  const pt_node *t = &g->n[ti];
  if (t->act != PT_ACT_NONE)
    return;
  int r1 = reshape_producer(c, t->in[0]);
  int r2 = only_reader(c, t->out[0]);
  if (r1 < 0 || r2 < 0 || g->n[r2].op != PT_OP_RESHAPE ||
      only_reader(c, t->in[0]) != ti)
    return;
  const pt_tensor *x = &g->t[g->n[r1].in[0]], *y = &g->t[t->in[0]];
  int nd = x->ndim;
  if (nd < 2 || y->ndim != nd + 1 || !same_shape(x, &g->t[g->n[r2].out[0]]))
    return;
  for (int a = 0; a <= nd; a++)
    if (t->a.perm[a] != (a == 1 ? 2 : a == 2 ? 1 : a))
      return;
  int64_t grp = y->dims[1];
  if (y->dims[0] != x->dims[0] || grp < 1 || y->dims[1] * y->dims[2] !=
      x->dims[1])
    return;
  for (int a = 2; a < nd; a++)
    if (y->dims[a + 1] != x->dims[a])
      return;
  pt_node *s = &g->n[r2];
  s->op = PT_OP_SHUFFLE;
  s->in[0] = g->n[r1].in[0];
  s->a.group = grp;
  c->dead[r1] = c->dead[ti] = true;
}

// Output channels of a conv/fc and the layout of its weight: element e of
// W belongs to output channel (e / inner) % nout.
static void weight_layout(const pt_graph *g, const pt_node *p, int64_t *nout,
                          int64_t *inner) {
  const pt_tensor *w = &g->t[p->in[1]];
  if (p->op == PT_OP_CONV || p->a.trans_b) { // [O, ...]
    *nout = w->dims[0];
    *inner = pt_tensor_numel(w) / (w->dims[0] ? w->dims[0] : 1);
  } else { // fc W [I, O]
    *nout = w->dims[1];
    *inner = 1;
  }
}

// Fold BN node bi into its producer when possible.
static void fold_bn(cleaner *c, int bi) {
  pt_graph *g = c->g;
  pt_node *bn = &g->n[bi];
  int x = bn->in[0], p = g->t[x].producer;
  if (p < 0 || c->dead[p] || !single_use(c, x))
    return;
  pt_node *n = &g->n[p];
  if ((n->op != PT_OP_CONV && n->op != PT_OP_FC) || n->act != PT_ACT_NONE ||
      n->nout != 1)
    return;
  int64_t nout, inner;
  weight_layout(g, n, &nout, &inner);
  const pt_tensor *xt = &g->t[x];
  if (xt->ndim < 2 || xt->dims[1] != nout ||
      (n->op == PT_OP_FC && xt->ndim != 2))
    return;
  int w = n->in[1], b = n->nin > 2 ? n->in[2] : -1;
  if (b >= 0 && (pt_tensor_numel(&g->t[b]) != nout ||
                 (n->op == PT_OP_FC && n->a.beta != 1.0f)))
    return;
  bool numeric = g->t[w].is_const && g->t[w].fdata &&
                 (b < 0 || g->t[b].fdata);
  for (int k = 1; k < 5; k++)
    numeric = numeric && g->t[bn->in[k]].fdata;
  if (!numeric && g->has_weights)
    return; // e.g. a weight fed by a graph input: keep the BN
  if (numeric && (uses(c, w) != 1 || (b >= 0 && uses(c, b) != 1)))
    return; // shared weights: scaling them would change other nodes
  if (b < 0) {
    char name[512];
    snprintf(name, sizeof name, "%s.bias_bn", n->name);
    int64_t d = nout;
    b = pt_graph_add_tensor(g, name, PT_F32, 1, &d);
    g->t[b].is_const = true;
    if (numeric)
      g->t[b].fdata = pt_calloc(nout, sizeof(float));
    n = &g->n[p];
    bn = &g->n[bi];
    n->in[2] = b;
    n->nin = 3;
    n->a.beta = 1.0f;
  }
  if (numeric) {
    const float *scale = g->t[bn->in[1]].fdata, *beta = g->t[bn->in[2]].fdata;
    const float *mean = g->t[bn->in[3]].fdata, *var = g->t[bn->in[4]].fdata;
    float *wd = g->t[w].fdata, *bd = g->t[b].fdata;
    int64_t nw = pt_tensor_numel(&g->t[w]);
    for (int64_t e = 0; e < nw; e++) {
      int64_t o = (e / inner) % nout;
      wd[e] *= scale[o] / sqrtf(var[o] + bn->a.epsilon);
    }
    for (int64_t o = 0; o < nout; o++) {
      float s = scale[o] / sqrtf(var[o] + bn->a.epsilon);
      bd[o] = (bd[o] - mean[o]) * s + beta[o];
    }
  }
  retarget(g, p, x, bn->out[0]);
  c->dead[bi] = true;
}

// Fuse activation node ai into its producer.
static void fuse_act(cleaner *c, int ai) {
  pt_graph *g = c->g;
  pt_node *a = &g->n[ai];
  int x = a->in[0], p = g->t[x].producer;
  if (p < 0 || c->dead[p] || !single_use(c, x))
    return;
  pt_node *n = &g->n[p];
  // Reshapes, slices and shuffles stay pure data movement that later
  // stages may turn into views.
  if (n->act != PT_ACT_NONE || n->nout != 1 || n->op == PT_OP_RESHAPE ||
      n->op == PT_OP_SLICE || n->op == PT_OP_SHUFFLE)
    return;
  n->act = a->act;
  n->act_a = a->act_a;
  n->act_b = a->act_b;
  retarget(g, p, x, a->out[0]);
  c->dead[ai] = true;
}

// Drop dead nodes and tensors nothing needs; renumber everything.
static void compact(cleaner *c) {
  pt_graph *g = c->g;
  bool *need = pt_calloc(g->nt, sizeof *need);
  bool *keep = pt_calloc(g->nn, sizeof *keep);
  for (int i = 0; i < g->noutputs; i++)
    need[g->outputs[i]] = true;
  for (int i = 0; i < g->ninputs; i++)
    need[g->inputs[i]] = true;
  for (int i = g->nn - 1; i >= 0; i--) {
    pt_node *n = &g->n[i];
    for (int k = 0; k < n->nout && !c->dead[i]; k++)
      keep[i] = keep[i] || need[n->out[k]];
    for (int k = 0; keep[i] && k < n->nin; k++)
      if (n->in[k] >= 0)
        need[n->in[k]] = true;
  }
  for (int i = 0; i < g->nn; i++)
    for (int k = 0; keep[i] && k < g->n[i].nout; k++)
      need[g->n[i].out[k]] = true;
  int *tmap = pt_malloc(g->nt * sizeof *tmap);
  int nt = 0;
  for (int i = 0; i < g->nt; i++) {
    if (!need[i]) {
      free(g->t[i].name);
      free(g->t[i].fdata);
      free(g->t[i].idata);
      tmap[i] = -1;
      continue;
    }
    tmap[i] = nt;
    g->t[nt] = g->t[i];
    g->t[nt++].producer = -1;
  }
  g->nt = nt;
  int nn = 0;
  for (int i = 0; i < g->nn; i++) {
    if (!keep[i]) {
      free(g->n[i].name);
      continue;
    }
    pt_node *n = &g->n[nn];
    *n = g->n[i];
    for (int k = 0; k < n->nin; k++)
      if (n->in[k] >= 0)
        n->in[k] = tmap[n->in[k]];
    for (int k = 0; k < n->nout; k++) {
      n->out[k] = tmap[n->out[k]];
      g->t[n->out[k]].producer = nn;
    }
    nn++;
  }
  g->nn = nn;
  for (int i = 0; i < g->ninputs; i++)
    g->inputs[i] = tmap[g->inputs[i]];
  for (int i = 0; i < g->noutputs; i++)
    g->outputs[i] = tmap[g->outputs[i]];
  free(tmap);
  free(need);
  free(keep);
}

int pt_graph_cleanup(pt_graph *g, pt_error *err) {
  cleaner c = {g, pt_calloc(g->nn ? g->nn : 1, sizeof(bool))};
  for (int i = 0; i < g->nn; i++)
    if (!c.dead[i] && g->n[i].op == PT_OP_TRANSPOSE)
      fuse_shuffle(&c, i);
  simplify(&c);
  for (int i = 0; i < g->nn; i++)
    if (!c.dead[i] && g->n[i].op == PT_OP_BATCHNORM)
      fold_bn(&c, i);
  for (int i = 0; i < g->nn; i++)
    if (!c.dead[i] && g->n[i].op == PT_OP_ACT)
      fuse_act(&c, i);
  compact(&c);
  free(c.dead);
  return 0;
}
