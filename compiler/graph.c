// The network IR: construction, lookup, per-sample views and the invariant
// check shared by every frontend.
#include "graph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ORDER OP
const char *pt_op_names[PT_OP_COUNT] = {
    "conv",    "fc",   "matmul", "maxpool", "avgpool", "globalavgpool",
    "globalmaxpool", "act", "add", "sub", "mul", "div", "concat", "softmax",
    "reshape", "transpose", "pad", "batchnorm", "identity", "lrn",
    "slice", "shuffle",
};

// ORDER ACT
const char *pt_act_names[PT_ACT_COUNT] = {
    "none", "relu", "clip", "leakyrelu", "sigmoid", "tanh", "hardsigmoid",
    "hardswish",
};

pt_graph *pt_graph_new(const char *path) {
  pt_graph *g = pt_calloc(1, sizeof *g);
  char name[256];
  pt_basename_noext(path, name, sizeof name);
  g->name = pt_strdup(name);
  g->path = pt_strdup(path);
  return g;
}

void pt_graph_free(pt_graph *g) {
  if (!g)
    return;
  for (int i = 0; i < g->nt; i++) {
    free(g->t[i].name);
    free(g->t[i].fdata);
    free(g->t[i].idata);
  }
  for (int i = 0; i < g->nn; i++)
    free(g->n[i].name);
  free(g->t);
  free(g->n);
  free(g->name);
  free(g->path);
  free(g);
}

int pt_graph_add_tensor(pt_graph *g, const char *name, pt_dtype dt, int ndim,
                        const int64_t *dims) {
  if (g->nt == g->cap_t) {
    g->cap_t = g->cap_t ? 2 * g->cap_t : 64;
    g->t = pt_realloc(g->t, g->cap_t * sizeof *g->t);
  }
  pt_tensor *t = &g->t[g->nt];
  memset(t, 0, sizeof *t);
  t->name = pt_strdup(name ? name : "");
  t->dtype = dt;
  t->ndim = ndim;
  if (ndim > 0 && dims)
    memcpy(t->dims, dims, ndim * sizeof *dims);
  t->producer = -1;
  return g->nt++;
}

int pt_graph_add_node(pt_graph *g, const char *name, int src_index, pt_op op) {
  if (g->nn == g->cap_n) {
    g->cap_n = g->cap_n ? 2 * g->cap_n : 64;
    g->n = pt_realloc(g->n, g->cap_n * sizeof *g->n);
  }
  pt_node *n = &g->n[g->nn];
  memset(n, 0, sizeof *n);
  char buf[64];
  if (!name || !*name) {
    snprintf(buf, sizeof buf, "%s_%d", pt_op_names[op], src_index);
    name = buf;
  }
  n->name = pt_strdup(name);
  n->src_index = src_index;
  n->op = op;
  n->a.alpha = n->a.beta = 1.0f;
  for (int i = 0; i < PT_MAX_IN; i++)
    n->in[i] = -1;
  for (int i = 0; i < PT_MAX_OUT; i++)
    n->out[i] = -1;
  return g->nn++;
}

int pt_graph_find_tensor(const pt_graph *g, const char *name) {
  for (int i = 0; i < g->nt; i++)
    if (strcmp(g->t[i].name, name) == 0)
      return i;
  return -1;
}

int64_t pt_tensor_numel(const pt_tensor *t) {
  int64_t n = 1;
  for (int i = 0; i < t->ndim; i++)
    n *= t->dims[i];
  return n;
}

int pt_tensor_chw(const pt_tensor *t, int64_t chw[3]) {
  switch (t->ndim) {
  case 4:
    chw[0] = t->dims[1], chw[1] = t->dims[2], chw[2] = t->dims[3];
    return 0;
  case 3:
    chw[0] = t->dims[1], chw[1] = 1, chw[2] = t->dims[2];
    return 0;
  case 2:
    chw[0] = t->dims[1], chw[1] = 1, chw[2] = 1;
    return 0;
  default:
    return -1;
  }
}

int pt_graph_weight_layers(const pt_graph *g, int *idx) {
  int k = 0;
  for (int i = 0; i < g->nn; i++)
    if (g->n[i].op == PT_OP_CONV || g->n[i].op == PT_OP_FC)
      idx[k++] = i;
  return k;
}

int pt_graph_check(const pt_graph *g, pt_error *err) {
  for (int i = 0; i < g->nn; i++) {
    const pt_node *n = &g->n[i];
    for (int k = 0; k < n->nin; k++) {
      int ti = n->in[k];
      if (ti < 0)
        continue;
      if (ti >= g->nt)
        return pt_errorf(err, "node '%s': input %d refers to no tensor",
                         n->name, k);
      int p = g->t[ti].producer;
      if (p >= i)
        return pt_errorf(err, "node '%s': input '%s' is produced later "
                         "(by node %d): not in topological order",
                         n->name, g->t[ti].name, p);
      // Rank 0 is a scalar (a constant or a graph input such as Gemm's C).
      if (g->t[ti].ndim < 0 || g->t[ti].ndim > PT_MAX_DIMS)
        return pt_errorf(err, "node '%s': input '%s' has no known shape",
                         n->name, g->t[ti].name);
    }
    for (int k = 0; k < n->nout; k++)
      if (n->out[k] < 0 || n->out[k] >= g->nt ||
          g->t[n->out[k]].producer != i)
        return pt_errorf(err, "node '%s': output %d is not linked back to it",
                         n->name, k);
    if (n->op == PT_OP_CONV || n->op == PT_OP_FC) {
      const pt_tensor *w = &g->t[n->in[1]];
      if (n->op == PT_OP_CONV && w->ndim != 2 + n->a.nspatial)
        return pt_errorf(err, "node '%s': conv weight '%s' has rank %d, "
                         "expected %d", n->name, w->name, w->ndim,
                         2 + n->a.nspatial);
      if (n->op == PT_OP_FC && w->ndim != 2)
        return pt_errorf(err, "node '%s': fc weight '%s' has rank %d, "
                         "expected 2", n->name, w->name, w->ndim);
    }
  }
  return 0;
}
