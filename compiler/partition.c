// Partitioning: unfold each weight layer into weight matrices (the five
// formats of PIMCOMP, TCAD 2024, Table IV), cut every matrix into array
// groups (AGs) and count logical crossbars, compute cycles, input loads and
// extra local memory per format.
//
// An AG is one block of xbar_rows rows of a matrix with all its columns,
// i.e. ceil(W / xbar_cols) crossbars that share one input vector. An AG must
// sit in one core, so a matrix wider than one core's logical crossbars is
// also cut into column blocks; those need no partial-sum accumulation
// across them (they produce different outputs).
#include "partition.h"

#include <stdlib.h>
#include <string.h>

// ORDER UNFOLD
static const char *unfold_names[PT_UNF_COUNT] = {
    "im2col", "tap", "scatter", "row", "row-scatter"};
static const char *unfold_tuples[PT_UNF_COUNT] = {
    "(I*K^2, O, 1)", "(I, O, K^2)", "(I, O*K^2, 1)", "(I*K, O, K)",
    "(I*K, O*K, 1)"};

const char *pt_unfold_name(pt_unfold u) { return unfold_names[u]; }
const char *pt_unfold_tuple(pt_unfold u) { return unfold_tuples[u]; }

int pt_unfold_parse(const char *s) {
  for (int u = 0; u < PT_UNF_COUNT; u++)
    if (strcmp(s, unfold_names[u]) == 0)
      return u;
  return -1;
}

const char *pt_unfold_list(void) {
  return "im2col (I*K^2,O,1), tap (I,O,K^2), scatter (I,O*K^2,1), "
         "row (I*K,O,K), row-scatter (I*K,O*K,1)";
}

// Matrix shape, compute steps, loads and extra memory of a conv under u.
// Table IV with Fin -> the input map (hin x win), Fout -> the output map,
// K^2 -> kh*kw and K -> kw (a kernel row).
static void unfold_conv(pt_unfold u, int64_t I, int64_t O, int64_t kh,
                        int64_t kw, const int64_t in[3], const int64_t out[3],
                        pt_part *p) {
  int64_t k2 = kh * kw, hin = in[1], win = in[2], hout = out[1],
          wout = out[2];
  int64_t P = 1;
  switch (u) {
  case PT_UNF_IM2COL:
    p->rows = I * k2, p->cols = O, P = 1;
    p->steps = hout * wout;
    p->load_elems = hout * wout * k2 * I;
    p->extra_mem_elems = k2 * I + O;
    break;
  case PT_UNF_I_O_K2:
    p->rows = I, p->cols = O, P = k2;
    p->steps = hout * wout;
    p->load_elems = hin * wout * kw * I;
    p->extra_mem_elems = k2 * I + k2 * O;
    break;
  case PT_UNF_I_OK2:
    p->rows = I, p->cols = O * k2, P = 1;
    p->steps = hin * win;
    p->load_elems = hin * win * I;
    p->extra_mem_elems = I + k2 * O;
    break;
  case PT_UNF_IK_O_K:
    p->rows = I * kw, p->cols = O, P = kh;
    p->steps = hout * wout;
    p->load_elems = hin * wout * kw * I;
    p->extra_mem_elems = k2 * I + kh * O;
    break;
  case PT_UNF_IK_OK:
    p->rows = I * kw, p->cols = O * kh, P = 1;
    p->steps = hin * wout;
    p->load_elems = hin * wout * kw * I;
    p->extra_mem_elems = kw * I + kh * O;
    break;
  default:
    break;
  }
  p->matrices = P;
}

static void cut_into_ags(const pt_arch *a, pt_part *p) {
  int64_t cap = pt_arch_logical_per_core(a);
  int64_t row_xbars = pt_ceil_div(p->cols, a->xbar_cols);
  p->row_blocks = pt_ceil_div(p->rows, a->xbar_rows);
  p->col_blocks = pt_ceil_div(row_xbars, cap);
  p->max_ag_crossbars = row_xbars < cap ? row_xbars : cap;
  p->ags_per_matrix = p->row_blocks * p->col_blocks;
  p->ags = p->matrices * p->ags_per_matrix;
  p->crossbars = p->matrices * p->row_blocks * row_xbars;
}

int pt_part_layer(const pt_graph *g, int node, pt_unfold u,
                  const pt_arch *a, pt_part *p, pt_error *err) {
  const pt_node *n = &g->n[node];
  memset(p, 0, sizeof *p);
  p->node = node;
  p->unfold = u;
  p->groups = 1;
  p->gpack = 1;
  if (n->op != PT_OP_CONV && n->op != PT_OP_FC)
    return pt_errorf(err, "node '%s': %s has no weights to partition",
                     n->name, pt_op_names[n->op]);
  const pt_tensor *x = &g->t[n->in[0]], *w = &g->t[n->in[1]],
                  *y = &g->t[n->out[0]];
  for (int k = 0; k < w->ndim; k++)
    if (w->dims[k] <= 0)
      return pt_errorf(err, "node '%s': weight %s has %lld in dimension %d; "
                       "a weight layer needs a non-empty weight tensor",
                       n->name, w->name, (long long)w->dims[k], k);
  if (pt_tensor_chw(x, p->in_chw) || pt_tensor_chw(y, p->out_chw))
    return pt_errorf(err, "node '%s': %s on a rank-%d tensor is not "
                     "supported by the partitioner (ranks 2-4 are)",
                     n->name, pt_op_names[n->op], x->ndim);
  if (n->op == PT_OP_FC) {
    if (n->a.trans_a)
      return pt_errorf(err, "node '%s': Gemm with transA=1 is not "
                       "supported", n->name);
    int64_t I = n->a.trans_b ? w->dims[1] : w->dims[0];
    int64_t O = n->a.trans_b ? w->dims[0] : w->dims[1];
    int64_t vectors = x->dims[0] > 0 ? pt_tensor_numel(x) / x->dims[0] / I
                                     : 0;
    p->rows = I, p->cols = O, p->matrices = 1;
    p->steps = vectors;
    p->load_elems = vectors * I;
    p->extra_mem_elems = I + O;
    p->macs = vectors * I * O;
  } else {
    if (n->a.nspatial > 2)
      return pt_errorf(err, "node '%s': %d-D convolution is not supported "
                       "by the partitioner (1-D and 2-D are)", n->name,
                       n->a.nspatial);
    int64_t gr = n->a.group > 0 ? n->a.group : 1;
    int64_t O = w->dims[0], Ig = w->dims[1];
    int64_t kh = n->a.nspatial == 2 ? w->dims[2] : 1;
    int64_t kw = w->dims[w->ndim - 1];
    if (Ig * gr != p->in_chw[0] || O % gr)
      return pt_errorf(err, "node '%s': weight %s [%lld, %lld, ...] does "
                       "not match %lld input channels in %lld groups",
                       n->name, w->name, (long long)O, (long long)Ig,
                       (long long)p->in_chw[0], (long long)gr);
    p->groups = gr;
    unfold_conv(u, Ig, O / gr, kh, kw, p->in_chw, p->out_chw, p);
    // Small group matrices (depthwise convs) are packed block-diagonally,
    // gpack groups to a matrix, as many as fit one array, gpack dividing
    // the groups.
    int64_t fit = p->rows < a->xbar_rows && p->cols < a->xbar_cols
                      ? (a->xbar_rows / p->rows < a->xbar_cols / p->cols
                             ? a->xbar_rows / p->rows
                             : a->xbar_cols / p->cols)
                      : 1;
    p->gpack = 1;
    for (int64_t d = fit < gr ? fit : gr; d > 1; d--)
      if (gr % d == 0) {
        p->gpack = d;
        break;
      }
    p->rows *= p->gpack;
    p->cols *= p->gpack;
    p->matrices *= gr / p->gpack;
    p->load_elems *= gr;
    p->extra_mem_elems *= gr;
    p->macs = p->out_chw[1] * p->out_chw[2] * O * Ig * kh * kw;
  }
  cut_into_ags(a, p);
  return 0;
}

int pt_part_network(const pt_graph *g, const pt_arch *a, pt_unfold dflt,
                    const pt_unfold *unfold, pt_part_net *net,
                    pt_error *err) {
  memset(net, 0, sizeof *net);
  int *idx = pt_malloc(g->nn * sizeof *idx);
  net->nlayers = pt_graph_weight_layers(g, idx);
  net->l = pt_calloc(net->nlayers, sizeof *net->l);
  for (int i = 0; i < net->nlayers; i++) {
    pt_unfold u = unfold ? unfold[i] : dflt;
    if (pt_part_layer(g, idx[i], u, a, &net->l[i], err)) {
      free(idx);
      pt_part_net_free(net);
      return -1;
    }
    net->crossbars += net->l[i].crossbars;
    net->macs += net->l[i].macs;
  }
  free(idx);
  net->available = pt_arch_logical_total(a);
  net->fits = pt_part_fits(net, a);
  return 0;
}

void pt_part_net_free(pt_part_net *net) {
  free(net->l);
  memset(net, 0, sizeof *net);
}

static int cmp_desc(const void *x, const void *y) {
  int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
  return (a < b) - (a > b);
}

bool pt_part_fits(const pt_part_net *net, const pt_arch *a) {
  if (net->crossbars > pt_arch_logical_total(a))
    return false;
  int64_t nags = 0;
  for (int i = 0; i < net->nlayers; i++)
    nags += net->l[i].ags;
  int64_t *w = pt_malloc(nags * sizeof *w);
  int64_t k = 0, cap = pt_arch_logical_per_core(a);
  for (int i = 0; i < net->nlayers; i++) {
    const pt_part *p = &net->l[i];
    // crossbars of one full row block, cut into AGs of at most cap
    int64_t xr = p->crossbars / (p->matrices * p->row_blocks);
    for (int64_t m = 0; m < p->matrices * p->row_blocks; m++)
      for (int64_t c = 0; c < p->col_blocks; c++)
        w[k++] = (c + 1) * cap <= xr ? cap : xr - c * cap;
  }
  qsort(w, nags, sizeof *w, cmp_desc);
  int ncores = pt_arch_total_cores(a);
  int64_t *freec = pt_malloc(ncores * sizeof *freec);
  for (int c = 0; c < ncores; c++)
    freec[c] = cap;
  bool ok = true;
  for (int64_t i = 0; i < nags && ok; i++) {
    int c = 0;
    while (c < ncores && freec[c] < w[i])
      c++;
    if (c == ncores)
      ok = false;
    else
      freec[c] -= w[i];
  }
  free(w);
  free(freec);
  return ok;
}

// ---------------------------------------------------------------------------
// The data of one step, per format. Matrix m belongs to group m / P and is
// tap/row p = m % P of it; its rows are ordered (ky, kx, c) for im2col,
// (kx, c) for row and row-scatter, c for tap and scatter; its columns
// (ky, kx, o) for scatter, (ky, o) for row-scatter, o otherwise.

typedef struct {
  int64_t kh, kw, sh, sw, ph, pw, dh, dw;
  int64_t hin, win, hout, wout, ig, og, P;
} geom;

static geom geometry(const pt_graph *g, const pt_part *p) {
  const pt_node *n = &g->n[p->node];
  const pt_tensor *w = &g->t[n->in[1]];
  geom q;
  bool two = n->a.nspatial == 2;
  q.kh = two ? w->dims[2] : 1;
  q.kw = w->dims[w->ndim - 1];
  q.sh = two ? n->a.stride[0] : 1;
  q.sw = n->a.stride[two ? 1 : 0];
  q.ph = two ? n->a.pad_begin[0] : 0;
  q.pw = n->a.pad_begin[two ? 1 : 0];
  q.dh = two ? n->a.dilation[0] : 1;
  q.dw = n->a.dilation[two ? 1 : 0];
  q.hin = p->in_chw[1], q.win = p->in_chw[2];
  q.hout = p->out_chw[1], q.wout = p->out_chw[2];
  q.ig = p->in_chw[0] / p->groups;
  q.og = p->out_chw[0] / p->groups;
  q.P = p->matrices * p->gpack / p->groups;
  return q;
}

int pt_part_max_pieces(const pt_part *p) {
  return (int)(p->rows > 0 ? p->rows : 1); // a piece holds >= 1 row
}

static int piece(pt_piece *out, int k, const geom *q, int64_t y, int64_t x,
                 int64_t c0) {
  out[k].y = (int32_t)y, out[k].x = (int32_t)x;
  out[k].c0 = (int32_t)c0, out[k].n = (int32_t)q->ig;
  out[k].zero = y < 0 || y >= q->hin || x < 0 || x >= q->win;
  return k + 1;
}

// Pieces of group grp, tap/row t, at step s.
static int group_inputs(const geom q, int64_t grp, int64_t t, int64_t s,
                        pt_unfold unfold, pt_piece *out) {
  int64_t c0 = grp * q.ig, k = 0;
  int64_t oy = s / q.wout, ox = s % q.wout;
  switch (unfold) {
  case PT_UNF_IM2COL:
    for (int64_t ky = 0; ky < q.kh; ky++)
      for (int64_t kx = 0; kx < q.kw; kx++)
        k = piece(out, k, &q, oy * q.sh - q.ph + ky * q.dh,
                  ox * q.sw - q.pw + kx * q.dw, c0);
    break;
  case PT_UNF_I_O_K2:
    k = piece(out, k, &q, oy * q.sh - q.ph + t / q.kw * q.dh,
              ox * q.sw - q.pw + t % q.kw * q.dw, c0);
    break;
  case PT_UNF_I_OK2:
    k = piece(out, k, &q, s / q.win, s % q.win, c0);
    break;
  case PT_UNF_IK_O_K:
    for (int64_t kx = 0; kx < q.kw; kx++)
      k = piece(out, k, &q, oy * q.sh - q.ph + t * q.dh,
                ox * q.sw - q.pw + kx * q.dw, c0);
    break;
  case PT_UNF_IK_OK: // step = (input row, output column)
    for (int64_t kx = 0; kx < q.kw; kx++)
      k = piece(out, k, &q, s / q.wout, (s % q.wout) * q.sw - q.pw + kx * q.dw,
                c0);
    break;
  default:
    break;
  }
  return (int)k;
}

int pt_part_inputs(const pt_graph *g, const pt_part *p, int64_t m,
                   int64_t s, pt_piece *out) {
  if (g->n[p->node].op == PT_OP_FC) {
    out[0] = (pt_piece){0, 0, (int32_t)(s * p->rows), (int32_t)p->rows,
                        false};
    return 1;
  }
  geom q = geometry(g, p);
  int64_t g0 = m / q.P * p->gpack;
  int np = group_inputs(q, g0, m % q.P, s, p->unfold, out);
  // Packed groups differ only in their channels: piece t of group j goes
  // to t * gpack + j, so that one pixel's channels of all packed groups
  // sit side by side (rows are ordered tap, group, channel).
  for (int t = np - 1; t >= 0; t--)
    for (int64_t j = p->gpack - 1; j >= 0; j--) {
      out[t * p->gpack + j] = out[t];
      out[t * p->gpack + j].c0 += (int32_t)(j * q.ig);
    }
  // Adjacent channels of one pixel make one piece.
  int k = 0;
  for (int i = 0; i < np * p->gpack; i++) {
    pt_piece *l = k ? &out[k - 1] : NULL;
    if (l && l->y == out[i].y && l->x == out[i].x && l->zero == out[i].zero &&
        l->c0 + l->n == out[i].c0)
      l->n += out[i].n;
    else
      out[k++] = out[i];
  }
  return k;
}

// Output row (or column) that input coordinate i reaches through kernel
// tap k, or -1: o * stride - pad + k * dil = i.
static int64_t reach(int64_t i, int64_t k, int64_t stride, int64_t pad,
                     int64_t dil, int64_t nout) {
  int64_t v = i + pad - k * dil;
  if (v < 0 || v % stride)
    return -1;
  return v / stride < nout ? v / stride : -1;
}

// Targets of group grp at step s; columns counted within the group.
static int group_targets(const geom q, int64_t grp, int64_t s,
                         pt_unfold unfold, pt_target *out) {
  int32_t co = (int32_t)(grp * q.og), og = (int32_t)q.og;
  int k = 0;
  switch (unfold) {
  case PT_UNF_I_OK2: {
    int64_t iy = s / q.win, ix = s % q.win;
    for (int64_t ky = 0; ky < q.kh; ky++)
      for (int64_t kx = 0; kx < q.kw; kx++) {
        int64_t oy = reach(iy, ky, q.sh, q.ph, q.dh, q.hout);
        int64_t ox = reach(ix, kx, q.sw, q.pw, q.dw, q.wout);
        if (oy >= 0 && ox >= 0)
          out[k++] = (pt_target){(int32_t)((ky * q.kw + kx) * og), og,
                                 (int32_t)oy, (int32_t)ox, co};
      }
    break;
  }
  case PT_UNF_IK_OK: {
    int64_t iy = s / q.wout, ox = s % q.wout;
    for (int64_t ky = 0; ky < q.kh; ky++) {
      int64_t oy = reach(iy, ky, q.sh, q.ph, q.dh, q.hout);
      if (oy >= 0)
        out[k++] = (pt_target){(int32_t)(ky * og), og, (int32_t)oy,
                               (int32_t)ox, co};
    }
    break;
  }
  default: // one output pixel per step
    out[k++] = (pt_target){0, og, (int32_t)(s / q.wout),
                           (int32_t)(s % q.wout), co};
    break;
  }
  return k;
}

int pt_part_targets(const pt_graph *g, const pt_part *p, int64_t m,
                    int64_t s, pt_target *out) {
  if (g->n[p->node].op == PT_OP_FC) {
    out[0] = (pt_target){0, (int32_t)p->cols, 0, 0, (int32_t)(s * p->cols)};
    return 1;
  }
  geom q = geometry(g, p);
  int n = group_targets(q, m / q.P * p->gpack, s, p->unfold, out);
  // Columns are ordered tap, group, output channel: the packed groups'
  // columns of one tap are adjacent and so are their channels, so one
  // target per tap covers them all.
  for (int i = 0; i < n; i++) {
    out[i].col0 = (int32_t)(out[i].col0 / q.og * p->gpack * q.og);
    out[i].n = (int32_t)(q.og * p->gpack);
  }
  return n;
}

// ---------------------------------------------------------------------------
// The weights of a matrix: the inverse of the orders above. Rows are
// (tap, packed group, channel) and columns (tap, packed group, output
// channel), where a row tap is (ky, kx) for im2col, kx for row and
// row-scatter, none for tap and scatter (the matrix is tap/row p), and a
// column tap (ky, kx) for scatter, ky for row-scatter, none otherwise.

// The fc's flat input in HWC order comes from a map of hw > 1 pixels of c
// channels when it is a flatten (a chain of reshapes) of such a map.
static bool fc_flattened(const pt_graph *g, const pt_part *p, int64_t *c,
                         int64_t *hw) {
  int t = g->n[p->node].in[0];
  int pr = g->t[t].producer;
  while (pr >= 0 && (g->n[pr].op == PT_OP_RESHAPE ||
                     g->n[pr].op == PT_OP_IDENTITY)) {
    t = g->n[pr].in[0];
    pr = g->t[t].producer;
  }
  int64_t chw[3];
  if (g->t[t].ndim < 3 || pt_tensor_chw(&g->t[t], chw))
    return false;
  *c = chw[0], *hw = chw[1] * chw[2];
  return *hw > 1 && chw[0] * *hw == p->rows;
}

int64_t pt_part_weight_index(const pt_graph *g, const pt_part *p, int64_t m,
                             int64_t row, int64_t col, int64_t *o,
                             int64_t *i, int64_t *ky, int64_t *kx) {
  const pt_node *n = &g->n[p->node];
  *ky = *kx = 0;
  if (n->op == PT_OP_FC) {
    int64_t c, hw, f = row;
    if (fc_flattened(g, p, &c, &hw))
      f = row % c * hw + row / c;
    *o = col, *i = f;
    return n->a.trans_b ? col * p->rows + f : f * p->cols + col;
  }
  geom q = geometry(g, p);
  int64_t t = m % q.P, grp = m / q.P * p->gpack;
  int64_t gr = row / q.ig % p->gpack, rt = row / (q.ig * p->gpack);
  int64_t gc = col / q.og % p->gpack, ct = col / (q.og * p->gpack);
  if (gr != gc)
    return -1;
  switch (p->unfold) {
  case PT_UNF_IM2COL:
    *ky = rt / q.kw, *kx = rt % q.kw;
    break;
  case PT_UNF_I_O_K2:
    *ky = t / q.kw, *kx = t % q.kw;
    break;
  case PT_UNF_I_OK2:
    *ky = ct / q.kw, *kx = ct % q.kw;
    break;
  case PT_UNF_IK_O_K:
    *ky = t, *kx = rt;
    break;
  case PT_UNF_IK_OK:
    *ky = ct, *kx = rt;
    break;
  default:
    return -1;
  }
  *o = (grp + gc) * q.og + col % q.og;
  *i = row % q.ig;
  return ((*o * q.ig + *i) * q.kh + *ky) * q.kw + *kx;
}
