// Golden inference: run a pt_graph node by node on the CPU.
//
// Every tensor value is a float buffer in the graph's layout (row-major,
// NCHW). A context keeps one pointer per tensor:
//
//   graph inputs  the caller's buffers (borrowed, never written)
//   constants     their fdata (borrowed), or idata converted to float
//                 (owned); a constant without values is an error that
//                 names it, unless pt_ref_random_weights filled it
//   node outputs  allocated when the node runs (owned) and freed right
//                 after the last node that reads them, so peak memory is
//                 the live set of a topological walk, not the whole net
//
// Each op follows its ONNX definition, as the frontend encodes it in
// pt_attrs (see graph.h and onnx.c). Sums (conv, matmul, pooling,
// softmax, batch-norm) are accumulated in double and rounded once, so
// the reference is at least as accurate as any float32 implementation
// it is compared with. A node's fused activation (n->act) is applied to
// its output after the op itself.
//
// Convolution is direct: for each output row, a double accumulator row
// gathers, per input channel and kernel tap, a weight times a contiguous
// (stride 1) or strided run of an input row. The inner loop is simple
// enough to vectorise and no im2col buffer is needed.
#include "reference.h"

#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pt_ref {
  const pt_graph *g;
  bool keep_all;
  pt_ref_hook hook;
  void *user;
  float **val;     // per tensor: its values, or NULL
  bool *owned;     // val[t] was allocated here
  int *last;       // index of the last node reading the tensor, -1 if none
  bool *is_out;    // a graph output (kept until the end)
};

// Report an error about node n: "node '<name>' (<op>): <what>".
static int node_fail(pt_error *err, const pt_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int node_fail(pt_error *err, const pt_node *n, const char *fmt, ...) {
  if (!err)
    return -1;
  char what[PT_ERRMSG];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  bool known = n->op >= 0 && n->op < PT_OP_COUNT;
  return pt_errorf(err, "node '%s' (%s): %s", n->name,
                   known ? pt_op_names[n->op] : "unknown op", what);
}

static float *alloc_f(int64_t n) {
  return pt_malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
}

// Row-major strides of a shape.
static void strides(int nd, const int64_t *dims, int64_t *st) {
  int64_t s = 1;
  for (int a = nd - 1; a >= 0; a--) {
    st[a] = s;
    s *= dims[a];
  }
}

static int64_t prod(const int64_t *dims, int from, int to) {
  int64_t p = 1;
  for (int a = from; a < to; a++)
    p *= dims[a];
  return p;
}

// Advance a row-major multi-index over dims[0..nd); false after the last.
static bool next_index(int64_t *idx, const int64_t *dims, int nd) {
  for (int a = nd - 1; a >= 0; a--) {
    if (++idx[a] < dims[a])
      return true;
    idx[a] = 0;
  }
  return false;
}

// ---- activations ----

static float act1(float x, pt_act act, float a, float b) {
  switch (act) {
  case PT_ACT_NONE:
    return x;
  case PT_ACT_RELU:
    return x < 0 ? 0 : x;
  case PT_ACT_CLIP:
    return x < a ? a : x > b ? b : x;
  case PT_ACT_LEAKYRELU:
    return x < 0 ? a * x : x;
  case PT_ACT_SIGMOID:
    // Either branch keeps exp() from overflowing.
    if (x >= 0)
      return (float)(1.0 / (1.0 + exp(-(double)x)));
    else {
      double e = exp((double)x);
      return (float)(e / (1.0 + e));
    }
  case PT_ACT_TANH:
    return tanhf(x);
  case PT_ACT_HARDSIGMOID: {
    float y = a * x + b;
    return y < 0 ? 0 : y > 1 ? 1 : y;
  }
  case PT_ACT_HARDSWISH: {
    // ONNX: x * max(0, min(1, x / 6 + 1 / 2)).
    float y = x / 6.0f + 0.5f;
    return x * (y < 0 ? 0 : y > 1 ? 1 : y);
  }
  default:
    return x;
  }
}

static void apply_act(float *y, int64_t n, pt_act act, float a, float b) {
  if (act == PT_ACT_NONE)
    return;
  for (int64_t i = 0; i < n; i++)
    y[i] = act1(y[i], act, a, b);
}

// ---- convolution and pooling geometry ----

// Spatial geometry aligned to three axes, the innermost last: a 1-D op
// uses only axis 2, a 2-D op axes 1 and 2; unused axes have size 1.
typedef struct {
  int64_t in[3], out[3], k[3], s[3], d[3], p[3], pe[3];
} geom;

static int get_geom(const pt_node *n, const pt_tensor *x, const pt_tensor *y,
                    geom *q, pt_error *err) {
  int ns = n->a.nspatial;
  if (ns < 1 || ns > 3 || x->ndim != ns + 2 || y->ndim != ns + 2)
    return node_fail(err, n, "expected %d spatial dims on input '%s' (rank "
                     "%d) and output '%s' (rank %d)", ns, x->name, x->ndim,
                     y->name, y->ndim);
  for (int i = 0; i < 3; i++) {
    int j = i - (3 - ns);
    if (j < 0) {
      q->in[i] = q->out[i] = q->k[i] = q->s[i] = q->d[i] = 1;
      q->p[i] = q->pe[i] = 0;
      continue;
    }
    q->in[i] = x->dims[2 + j];
    q->out[i] = y->dims[2 + j];
    q->k[i] = n->a.kernel[j];
    q->s[i] = n->a.stride[j];
    q->d[i] = n->a.dilation[j];
    q->p[i] = n->a.pad_begin[j];
    q->pe[i] = n->a.pad_end[j];
    if (q->k[i] < 1 || q->s[i] < 1 || q->d[i] < 1)
      return node_fail(err, n, "kernel, stride and dilation of spatial axis "
                       "%d must be positive", j);
  }
  return 0;
}

// The output positions o in [*lo, *hi) whose input position o * s + off
// lies in [0, len).
static void valid_range(int64_t off, int64_t s, int64_t len, int64_t nout,
                        int64_t *lo, int64_t *hi) {
  *lo = off >= 0 ? 0 : (-off + s - 1) / s;
  *hi = len - 1 - off < 0 ? 0 : (len - 1 - off) / s + 1;
  if (*hi > nout)
    *hi = nout;
  if (*lo > *hi)
    *lo = *hi;
}

static int run_conv(const pt_graph *g, const pt_node *n,
                    const float *const *in, float *out, pt_error *err) {
  const pt_tensor *xt = &g->t[n->in[0]], *wt = &g->t[n->in[1]];
  const pt_tensor *yt = &g->t[n->out[0]];
  geom q;
  if (get_geom(n, xt, yt, &q, err))
    return -1;
  int64_t N = xt->dims[0], C = xt->dims[1], O = yt->dims[1], G = n->a.group;
  if (G < 1 || C % G || O % G || wt->ndim != xt->ndim ||
      wt->dims[0] != O || wt->dims[1] * G != C)
    return node_fail(err, n, "weight '%s' does not fit %lld input and %lld "
                     "output channels in %lld groups", wt->name, (long long)C,
                     (long long)O, (long long)G);
  for (int i = 0; i < 3; i++)
    if (i >= 3 - n->a.nspatial &&
        wt->dims[2 + i - (3 - n->a.nspatial)] != q.k[i])
      return node_fail(err, n, "weight '%s' does not match the kernel shape",
                       wt->name);
  const float *x = in[0], *w = in[1], *bias = n->nin > 2 ? in[2] : NULL;
  int64_t Cg = C / G, Og = O / G;
  int64_t isz = q.in[0] * q.in[1] * q.in[2], ksz = q.k[0] * q.k[1] * q.k[2];
  int64_t OW = q.out[2];
  double *acc = pt_malloc((size_t)(OW > 0 ? OW : 1) * sizeof *acc);
  // Per kernel column kx: the input offset and the valid output range.
  int64_t *off = pt_malloc((size_t)q.k[2] * 3 * sizeof *off);
  for (int64_t kx = 0; kx < q.k[2]; kx++) {
    off[3 * kx] = kx * q.d[2] - q.p[2];
    valid_range(off[3 * kx], q.s[2], q.in[2], OW, &off[3 * kx + 1],
                &off[3 * kx + 2]);
  }
  float *y = out;
  for (int64_t b = 0; b < N; b++)
    for (int64_t o = 0; o < O; o++) {
      int64_t grp = o / Og;
      const float *wo = w + o * Cg * ksz;
      for (int64_t oz = 0; oz < q.out[0]; oz++)
        for (int64_t oy = 0; oy < q.out[1]; oy++, y += OW) {
          double b0 = bias ? bias[o] : 0.0;
          for (int64_t ox = 0; ox < OW; ox++)
            acc[ox] = b0;
          for (int64_t c = 0; c < Cg; c++) {
            const float *xc = x + (b * C + grp * Cg + c) * isz;
            for (int64_t kz = 0; kz < q.k[0]; kz++) {
              int64_t iz = oz * q.s[0] - q.p[0] + kz * q.d[0];
              if (iz < 0 || iz >= q.in[0])
                continue;
              for (int64_t ky = 0; ky < q.k[1]; ky++) {
                int64_t iy = oy * q.s[1] - q.p[1] + ky * q.d[1];
                if (iy < 0 || iy >= q.in[1])
                  continue;
                const float *row = xc + (iz * q.in[1] + iy) * q.in[2];
                const float *wk = wo + ((c * q.k[0] + kz) * q.k[1] + ky) *
                                           q.k[2];
                for (int64_t kx = 0; kx < q.k[2]; kx++) {
                  double wv = wk[kx];
                  int64_t lo = off[3 * kx + 1], hi = off[3 * kx + 2];
                  if (q.s[2] == 1) {
                    const float *src = row + off[3 * kx];
                    for (int64_t ox = lo; ox < hi; ox++)
                      acc[ox] += wv * src[ox];
                  } else {
                    const float *src = row + off[3 * kx];
                    int64_t s = q.s[2];
                    for (int64_t ox = lo; ox < hi; ox++)
                      acc[ox] += wv * src[ox * s];
                  }
                }
              }
            }
          }
          for (int64_t ox = 0; ox < OW; ox++)
            y[ox] = (float)acc[ox];
        }
    }
  free(off);
  free(acc);
  return 0;
}

// MaxPool and AveragePool. Padding never wins a max; an average divides
// by the positions inside the input, or, with count_include_pad, inside
// the padded input (a ceil_mode window may reach beyond even that).
static int run_pool(const pt_graph *g, const pt_node *n,
                    const float *const *in, float *out, pt_error *err) {
  const pt_tensor *xt = &g->t[n->in[0]], *yt = &g->t[n->out[0]];
  geom q;
  if (get_geom(n, xt, yt, &q, err))
    return -1;
  if (yt->dims[0] != xt->dims[0] || yt->dims[1] != xt->dims[1])
    return node_fail(err, n, "output '%s' must keep the batch and channels "
                     "of '%s'", yt->name, xt->name);
  bool is_max = n->op == PT_OP_MAXPOOL;
  int64_t planes = xt->dims[0] * xt->dims[1];
  int64_t isz = q.in[0] * q.in[1] * q.in[2];
  float *y = out;
  for (int64_t pl = 0; pl < planes; pl++) {
    const float *xp = in[0] + pl * isz;
    for (int64_t oz = 0; oz < q.out[0]; oz++)
      for (int64_t oy = 0; oy < q.out[1]; oy++)
        for (int64_t ox = 0; ox < q.out[2]; ox++) {
          double m = -INFINITY, sum = 0;
          int64_t valid = 0, padded = 0;
          for (int64_t kz = 0; kz < q.k[0]; kz++) {
            int64_t iz = oz * q.s[0] - q.p[0] + kz * q.d[0];
            bool pz = iz >= -q.p[0] && iz < q.in[0] + q.pe[0];
            bool vz = iz >= 0 && iz < q.in[0];
            for (int64_t ky = 0; ky < q.k[1]; ky++) {
              int64_t iy = oy * q.s[1] - q.p[1] + ky * q.d[1];
              bool py = iy >= -q.p[1] && iy < q.in[1] + q.pe[1];
              bool vy = iy >= 0 && iy < q.in[1];
              for (int64_t kx = 0; kx < q.k[2]; kx++) {
                int64_t ix = ox * q.s[2] - q.p[2] + kx * q.d[2];
                bool px = ix >= -q.p[2] && ix < q.in[2] + q.pe[2];
                bool vx = ix >= 0 && ix < q.in[2];
                padded += pz && py && px;
                if (!(vz && vy && vx))
                  continue;
                double v = xp[(iz * q.in[1] + iy) * q.in[2] + ix];
                valid++;
                sum += v;
                if (v > m || isnan(v))
                  m = v;
              }
            }
          }
          if (is_max)
            *y++ = (float)m;
          else {
            int64_t cnt = n->a.count_include_pad ? padded : valid;
            *y++ = cnt ? (float)(sum / (double)cnt) : 0.0f;
          }
        }
  }
  return 0;
}

static int run_global_pool(const pt_graph *g, const pt_node *n,
                           const float *const *in, float *out,
                           pt_error *err) {
  const pt_tensor *xt = &g->t[n->in[0]];
  if (xt->ndim < 2)
    return node_fail(err, n, "input '%s' has rank %d, expected >= 2",
                     xt->name, xt->ndim);
  int64_t planes = xt->dims[0] * xt->dims[1];
  int64_t sz = prod(xt->dims, 2, xt->ndim);
  // The output is [N, C, 1 ...] or [N, C] (ReduceMean, keepdims = 0).
  if (pt_tensor_numel(&g->t[n->out[0]]) != planes)
    return node_fail(err, n, "output '%s' does not hold one value per "
                     "channel of '%s'", g->t[n->out[0]].name, xt->name);
  for (int64_t pl = 0; pl < planes; pl++) {
    const float *xp = in[0] + pl * sz;
    double m = -INFINITY, sum = 0;
    for (int64_t i = 0; i < sz; i++) {
      sum += xp[i];
      if (xp[i] > m || isnan(xp[i]))
        m = xp[i];
    }
    out[pl] = n->op == PT_OP_GLOBALMAX ? (float)m
                                       : (float)(sz ? sum / (double)sz : 0);
  }
  return 0;
}

// ---- matrix products ----

// FC (Gemm, or MatMul with a constant right operand) and MATMUL (two
// activations): Y = alpha * op(A) op(B) + beta * C over numpy-broadcast
// leading (batch) dims. A 1-D A is a row [1, K], a 1-D B a column [K, 1]
// (the added dim is absent from Y). trans_a/trans_b and C come from Gemm
// only, which is 2-D; C broadcasts to [M, N].
static int run_matmul(const pt_graph *g, const pt_node *n,
                      const float *const *in, float *out, pt_error *err) {
  const pt_tensor *A = &g->t[n->in[0]], *B = &g->t[n->in[1]];
  const pt_tensor *Y = &g->t[n->out[0]];
  const pt_tensor *Ct = n->nin > 2 && n->in[2] >= 0 ? &g->t[n->in[2]] : NULL;
  if (A->ndim < 1 || B->ndim < 1)
    return node_fail(err, n, "operands must have rank >= 1");
  bool ta = n->a.trans_a, tb = n->a.trans_b;
  int64_t ar = A->ndim >= 2 ? A->dims[A->ndim - 2] : 1;
  int64_t ac = A->dims[A->ndim - 1];
  int64_t br = B->ndim >= 2 ? B->dims[B->ndim - 2] : B->dims[0];
  int64_t bc = B->ndim >= 2 ? B->dims[B->ndim - 1] : 1;
  int64_t M = ta ? ac : ar, K = ta ? ar : ac;
  int64_t Kb = tb ? bc : br, N = tb ? br : bc;
  if (K != Kb)
    return node_fail(err, n, "inner dims differ: '%s' gives %lld, '%s' "
                     "gives %lld", A->name, (long long)K, B->name,
                     (long long)Kb);
  // Element strides of A(m, k) and B(k, n) within one matrix.
  int64_t sam = ta ? 1 : ac, sak = ta ? ac : 1;
  int64_t sbk = tb ? 1 : bc, sbn = tb ? bc : 1;
  // Broadcast batch dims and the per-batch-dim strides of A and B.
  int abat = A->ndim >= 2 ? A->ndim - 2 : 0, bbat = B->ndim >= 2 ? B->ndim - 2 : 0;
  int nb = abat > bbat ? abat : bbat;
  int64_t bd[PT_MAX_DIMS], sa[PT_MAX_DIMS], sb[PT_MAX_DIMS];
  int64_t ast[PT_MAX_DIMS], bst[PT_MAX_DIMS];
  strides(A->ndim, A->dims, ast);
  strides(B->ndim, B->dims, bst);
  for (int i = 0; i < nb; i++) {
    int ia = abat - nb + i, ib = bbat - nb + i;
    int64_t da = ia >= 0 ? A->dims[ia] : 1, db = ib >= 0 ? B->dims[ib] : 1;
    if (da != db && da != 1 && db != 1)
      return node_fail(err, n, "batch dims of '%s' and '%s' do not "
                       "broadcast", A->name, B->name);
    bd[i] = da == 1 ? db : da;
    sa[i] = ia >= 0 && da != 1 ? ast[ia] : 0;
    sb[i] = ib >= 0 && db != 1 ? bst[ib] : 0;
  }
  int64_t nbatch = prod(bd, 0, nb);
  if (pt_tensor_numel(Y) != nbatch * M * N)
    return node_fail(err, n, "output '%s' has %lld elements, the product "
                     "has %lld", Y->name, (long long)pt_tensor_numel(Y),
                     (long long)(nbatch * M * N));
  // Strides of C(m, n): 0 along broadcast axes.
  int64_t scm = 0, scn = 0;
  if (Ct) {
    if (Ct->ndim > 2 ||
        (Ct->ndim >= 1 && Ct->dims[Ct->ndim - 1] != 1 &&
         Ct->dims[Ct->ndim - 1] != N) ||
        (Ct->ndim == 2 && Ct->dims[0] != 1 && Ct->dims[0] != M))
      return node_fail(err, n, "bias '%s' does not broadcast to [%lld,%lld]",
                       Ct->name, (long long)M, (long long)N);
    scn = Ct->ndim >= 1 && Ct->dims[Ct->ndim - 1] != 1 ? 1 : 0;
    scm = Ct->ndim == 2 && Ct->dims[0] != 1 ? Ct->dims[1] : 0;
  }
  double alpha = n->a.alpha, beta = n->a.beta;
  double *acc = pt_malloc((size_t)(N > 0 ? N : 1) * sizeof *acc);
  int64_t idx[PT_MAX_DIMS] = {0};
  float *y = out;
  for (int64_t bi = 0; bi < nbatch; bi++) {
    const float *a = in[0], *bm = in[1];
    for (int i = 0; i < nb; i++)
      a += idx[i] * sa[i], bm += idx[i] * sb[i];
    for (int64_t m = 0; m < M; m++, y += N) {
      for (int64_t j = 0; j < N; j++)
        acc[j] = 0;
      if (sbn == 1) { // rows of B are contiguous: axpy per k
        for (int64_t k = 0; k < K; k++) {
          double av = a[m * sam + k * sak];
          const float *brow = bm + k * sbk;
          for (int64_t j = 0; j < N; j++)
            acc[j] += av * brow[j];
        }
      } else { // B transposed: a dot product per output
        for (int64_t j = 0; j < N; j++) {
          double s = 0;
          const float *bcol = bm + j * sbn;
          for (int64_t k = 0; k < K; k++)
            s += (double)a[m * sam + k * sak] * bcol[k * sbk];
          acc[j] = s;
        }
      }
      for (int64_t j = 0; j < N; j++) {
        double v = alpha * acc[j];
        if (Ct)
          v += beta * in[2][m * scm + j * scn];
        y[j] = (float)v;
      }
    }
    next_index(idx, bd, nb);
  }
  free(acc);
  return 0;
}

// ---- element-wise and data movement ----

// Strides of t seen from an output of rank nd under numpy broadcasting:
// 0 along axes t lacks or has size 1.
static void bcast_strides(const pt_tensor *t, int nd, int64_t *st) {
  int64_t ts[PT_MAX_DIMS];
  strides(t->ndim, t->dims, ts);
  for (int a = 0; a < nd; a++) {
    int at = t->ndim - nd + a;
    st[a] = at >= 0 && t->dims[at] != 1 ? ts[at] : 0;
  }
}

static int run_binary(const pt_graph *g, const pt_node *n,
                      const float *const *in, float *out, pt_error *err) {
  const pt_tensor *X = &g->t[n->in[0]], *Yi = &g->t[n->in[1]];
  const pt_tensor *O = &g->t[n->out[0]];
  int nd = O->ndim;
  for (int a = 0; a < nd; a++) {
    int ax = X->ndim - nd + a, ay = Yi->ndim - nd + a;
    int64_t dx = ax >= 0 ? X->dims[ax] : 1, dy = ay >= 0 ? Yi->dims[ay] : 1;
    if ((dx != 1 && dx != O->dims[a]) || (dy != 1 && dy != O->dims[a]))
      return node_fail(err, n, "inputs '%s' and '%s' do not broadcast to "
                       "output '%s'", X->name, Yi->name, O->name);
  }
  if (X->ndim > nd || Yi->ndim > nd)
    return node_fail(err, n, "an input has a higher rank than output '%s'",
                     O->name);
  int64_t total = pt_tensor_numel(O);
  if (total == 0)
    return 0;
  int64_t sx[PT_MAX_DIMS], sy[PT_MAX_DIMS], idx[PT_MAX_DIMS] = {0};
  bcast_strides(X, nd, sx);
  bcast_strides(Yi, nd, sy);
  int64_t inner = nd ? O->dims[nd - 1] : 1;
  int64_t ix = nd ? sx[nd - 1] : 0, iy = nd ? sy[nd - 1] : 0;
  float *o = out;
  do {
    const float *xp = in[0], *yp = in[1];
    for (int a = 0; a + 1 < nd; a++)
      xp += idx[a] * sx[a], yp += idx[a] * sy[a];
    switch (n->op) {
    case PT_OP_ADD:
      for (int64_t i = 0; i < inner; i++)
        o[i] = xp[i * ix] + yp[i * iy];
      break;
    case PT_OP_SUB:
      for (int64_t i = 0; i < inner; i++)
        o[i] = xp[i * ix] - yp[i * iy];
      break;
    case PT_OP_MUL:
      for (int64_t i = 0; i < inner; i++)
        o[i] = xp[i * ix] * yp[i * iy];
      break;
    default:
      for (int64_t i = 0; i < inner; i++)
        o[i] = xp[i * ix] / yp[i * iy];
      break;
    }
    o += inner;
  } while (nd > 1 && next_index(idx, O->dims, nd - 1));
  return 0;
}

static int run_concat(const pt_graph *g, const pt_node *n,
                      const float *const *in, float *out, pt_error *err) {
  const pt_tensor *O = &g->t[n->out[0]];
  int ax = n->a.axis;
  if (ax < 0 || ax >= O->ndim)
    return node_fail(err, n, "axis %d is out of range for rank %d", ax,
                     O->ndim);
  int64_t outer = prod(O->dims, 0, ax), inner = prod(O->dims, ax + 1, O->ndim);
  int64_t sum = 0;
  for (int k = 0; k < n->nin; k++) {
    const pt_tensor *x = &g->t[n->in[k]];
    if (x->ndim != O->ndim)
      return node_fail(err, n, "input '%s' has rank %d, output %d", x->name,
                       x->ndim, O->ndim);
    sum += x->dims[ax];
  }
  if (sum != O->dims[ax])
    return node_fail(err, n, "inputs add up to %lld along axis %d, output "
                     "'%s' has %lld", (long long)sum, ax, O->name,
                     (long long)O->dims[ax]);
  float *o = out;
  for (int64_t i = 0; i < outer; i++)
    for (int k = 0; k < n->nin; k++) {
      int64_t chunk = g->t[n->in[k]].dims[ax] * inner;
      memcpy(o, in[k] + i * chunk, (size_t)chunk * sizeof *o);
      o += chunk;
    }
  return 0;
}

// Softmax over one axis (opset >= 13), or, legacy (opset < 13), over the
// input coerced to 2-D [prod(dims[<axis]), prod(dims[>=axis])].
static int run_softmax(const pt_graph *g, const pt_node *n,
                       const float *const *in, float *out, pt_error *err) {
  const pt_tensor *X = &g->t[n->in[0]];
  int ax = n->a.axis;
  if (ax < 0 || ax >= X->ndim)
    return node_fail(err, n, "axis %d is out of range for rank %d", ax,
                     X->ndim);
  int64_t outer = prod(X->dims, 0, ax), len, inner;
  if (n->a.softmax_legacy)
    len = prod(X->dims, ax, X->ndim), inner = 1;
  else
    len = X->dims[ax], inner = prod(X->dims, ax + 1, X->ndim);
  for (int64_t o = 0; o < outer; o++)
    for (int64_t i = 0; i < inner; i++) {
      const float *x = in[0] + o * len * inner + i;
      float *y = out + o * len * inner + i;
      double m = -INFINITY, s = 0;
      for (int64_t j = 0; j < len; j++)
        if (x[j * inner] > m)
          m = x[j * inner];
      for (int64_t j = 0; j < len; j++)
        s += exp(x[j * inner] - m);
      for (int64_t j = 0; j < len; j++)
        y[j * inner] = (float)(exp(x[j * inner] - m) / s);
    }
  return 0;
}

static int run_transpose(const pt_graph *g, const pt_node *n,
                         const float *const *in, float *out, pt_error *err) {
  const pt_tensor *X = &g->t[n->in[0]], *O = &g->t[n->out[0]];
  int nd = O->ndim;
  if (X->ndim != nd)
    return node_fail(err, n, "input and output ranks differ");
  int64_t xs[PT_MAX_DIMS], st[PT_MAX_DIMS], idx[PT_MAX_DIMS] = {0};
  strides(nd, X->dims, xs);
  for (int a = 0; a < nd; a++) {
    int p = n->a.perm[a];
    if (p < 0 || p >= nd || X->dims[p] != O->dims[a])
      return node_fail(err, n, "perm does not map '%s' onto '%s'", X->name,
                       O->name);
    st[a] = xs[p];
  }
  int64_t total = pt_tensor_numel(O);
  if (total == 0)
    return 0;
  if (nd == 0) {
    out[0] = in[0][0];
    return 0;
  }
  int64_t inner = O->dims[nd - 1], is = st[nd - 1];
  float *o = out;
  do {
    const float *x = in[0];
    for (int a = 0; a + 1 < nd; a++)
      x += idx[a] * st[a];
    for (int64_t i = 0; i < inner; i++)
      o[i] = x[i * is];
    o += inner;
  } while (nd > 1 && next_index(idx, O->dims, nd - 1));
  return 0;
}

// Constant padding over every axis: pads[a] before and pads[nd + a] after
// axis a; negative pads crop.
static int run_pad(const pt_graph *g, const pt_node *n,
                   const float *const *in, float *out, pt_error *err) {
  const pt_tensor *X = &g->t[n->in[0]], *O = &g->t[n->out[0]];
  int nd = O->ndim;
  if (X->ndim != nd)
    return node_fail(err, n, "input and output ranks differ");
  for (int a = 0; a < nd; a++)
    if (X->dims[a] + n->a.pads[a] + n->a.pads[nd + a] != O->dims[a])
      return node_fail(err, n, "pads of axis %d do not give output '%s'", a,
                       O->name);
  int64_t total = pt_tensor_numel(O);
  if (total == 0)
    return 0;
  if (nd == 0) {
    out[0] = in[0][0];
    return 0;
  }
  int64_t xs[PT_MAX_DIMS], idx[PT_MAX_DIMS] = {0};
  strides(nd, X->dims, xs);
  int64_t inner = O->dims[nd - 1], pb = n->a.pads[nd - 1];
  int64_t xw = X->dims[nd - 1];
  float v = n->a.pad_value;
  float *o = out;
  do {
    const float *x = in[0];
    bool inside = true;
    for (int a = 0; a + 1 < nd; a++) {
      int64_t i = idx[a] - n->a.pads[a];
      inside = inside && i >= 0 && i < X->dims[a];
      x += i * xs[a];
    }
    for (int64_t i = 0; i < inner; i++) {
      int64_t xi = i - pb;
      o[i] = inside && xi >= 0 && xi < xw ? x[xi] : v;
    }
    o += inner;
  } while (nd > 1 && next_index(idx, O->dims, nd - 1));
  return 0;
}

static int run_batchnorm(const pt_graph *g, const pt_node *n,
                         const float *const *in, float *out, pt_error *err) {
  const pt_tensor *X = &g->t[n->in[0]];
  if (X->ndim < 2 || n->nin < 5)
    return node_fail(err, n, "needs an input of rank >= 2 and 4 parameters");
  int64_t C = X->dims[1];
  for (int k = 1; k < 5; k++)
    if (pt_tensor_numel(&g->t[n->in[k]]) != C)
      return node_fail(err, n, "parameter '%s' must have %lld values",
                       g->t[n->in[k]].name, (long long)C);
  int64_t N = X->dims[0], sz = prod(X->dims, 2, X->ndim);
  const float *sc = in[1], *bi = in[2], *mean = in[3], *var = in[4];
  for (int64_t b = 0; b < N; b++)
    for (int64_t c = 0; c < C; c++) {
      double s = sc[c] / sqrt((double)var[c] + n->a.epsilon);
      double t = bi[c] - mean[c] * s;
      const float *x = in[0] + (b * C + c) * sz;
      float *y = out + (b * C + c) * sz;
      for (int64_t i = 0; i < sz; i++)
        y[i] = (float)(x[i] * s + t);
    }
  return 0;
}

// Local response normalisation across channels: per sample and pixel,
// x[c] / (bias + alpha / size * sum of x[c']^2 over the window around
// c)^beta, the window c - floor((size-1)/2) .. c + ceil((size-1)/2)
// clipped to the channels there are.
static int run_lrn(const pt_graph *g, const pt_node *n,
                   const float *const *in, float *out, pt_error *err) {
  const pt_tensor *X = &g->t[n->in[0]];
  int64_t size = n->a.lrn_size;
  if (X->ndim < 2 || size < 1)
    return node_fail(err, n, "needs an input of rank >= 2 and a positive "
                     "size (has rank %d, size %lld)", X->ndim,
                     (long long)size);
  int64_t N = X->dims[0], C = X->dims[1], sz = prod(X->dims, 2, X->ndim);
  int64_t before = (size - 1) / 2, after = size - 1 - before;
  double *sq = pt_malloc((size_t)(sz > 0 ? sz : 1) * sizeof *sq);
  for (int64_t b = 0; b < N; b++)
    for (int64_t c = 0; c < C; c++) {
      int64_t lo = c - before < 0 ? 0 : c - before;
      int64_t hi = c + after > C - 1 ? C - 1 : c + after;
      for (int64_t i = 0; i < sz; i++)
        sq[i] = 0;
      for (int64_t k = lo; k <= hi; k++) {
        const float *xk = in[0] + (b * C + k) * sz;
        for (int64_t i = 0; i < sz; i++)
          sq[i] += (double)xk[i] * xk[i];
      }
      const float *x = in[0] + (b * C + c) * sz;
      float *y = out + (b * C + c) * sz;
      for (int64_t i = 0; i < sz; i++)
        y[i] = (float)(x[i] / pow(n->a.lrn_bias + n->a.alpha / (double)size *
                                                      sq[i], n->a.beta));
    }
  free(sq);
  return 0;
}

// Strided part of the input: output index i of axis a reads input index
// slice_start[a] + i * slice_step[a].
static int run_slice(const pt_graph *g, const pt_node *n,
                     const float *const *in, float *out, pt_error *err) {
  const pt_tensor *X = &g->t[n->in[0]], *O = &g->t[n->out[0]];
  int nd = O->ndim;
  if (X->ndim != nd)
    return node_fail(err, n, "input and output ranks differ");
  const int64_t *st = n->a.slice_start, *sp = n->a.slice_step;
  for (int a = 0; a < nd; a++) {
    int64_t last = st[a] + (O->dims[a] - 1) * sp[a];
    if (O->dims[a] > 0 && (sp[a] == 0 || st[a] < 0 || st[a] >= X->dims[a] ||
                           last < 0 || last >= X->dims[a]))
      return node_fail(err, n, "axis %d: start %lld, step %lld and %lld "
                       "elements leave input '%s' (%lld)", a,
                       (long long)st[a], (long long)sp[a],
                       (long long)O->dims[a], X->name, (long long)X->dims[a]);
  }
  int64_t total = pt_tensor_numel(O);
  if (total == 0)
    return 0;
  if (nd == 0) {
    out[0] = in[0][0];
    return 0;
  }
  int64_t xs[PT_MAX_DIMS], idx[PT_MAX_DIMS] = {0};
  strides(nd, X->dims, xs);
  int64_t inner = O->dims[nd - 1], is = sp[nd - 1] * xs[nd - 1];
  float *o = out;
  do {
    const float *x = in[0] + st[nd - 1] * xs[nd - 1];
    for (int a = 0; a + 1 < nd; a++)
      x += (st[a] + idx[a] * sp[a]) * xs[a];
    for (int64_t i = 0; i < inner; i++)
      o[i] = x[i * is];
    o += inner;
  } while (nd > 1 && next_index(idx, O->dims, nd - 1));
  return 0;
}

// Channel shuffle with g groups of m channels: out[o] = in[(o % g) * m
// + o / g], whole planes at a time.
static int run_shuffle(const pt_graph *g, const pt_node *n,
                       const float *const *in, float *out, pt_error *err) {
  const pt_tensor *X = &g->t[n->in[0]], *O = &g->t[n->out[0]];
  int64_t grp = n->a.group;
  if (X->ndim < 2 || grp < 1 || X->dims[1] % grp ||
      pt_tensor_numel(X) != pt_tensor_numel(O))
    return node_fail(err, n, "group %lld does not divide the channels of "
                     "'%s' (rank %d)", (long long)grp, X->name, X->ndim);
  int64_t N = X->dims[0], C = X->dims[1], m = C / grp;
  int64_t sz = prod(X->dims, 2, X->ndim);
  for (int64_t b = 0; b < N; b++)
    for (int64_t o = 0; o < C; o++)
      memcpy(out + (b * C + o) * sz, in[0] + (b * C + (o % grp) * m + o / grp)
             * sz, (size_t)sz * sizeof *out);
  return 0;
}

static int run_copy(const pt_graph *g, const pt_node *n,
                    const float *const *in, float *out, pt_error *err) {
  const pt_tensor *X = &g->t[n->in[0]], *O = &g->t[n->out[0]];
  if (pt_tensor_numel(X) != pt_tensor_numel(O))
    return node_fail(err, n, "input '%s' and output '%s' differ in size",
                     X->name, O->name);
  memcpy(out, in[0], (size_t)pt_tensor_numel(O) * sizeof *out);
  return 0;
}

// ---- the interpreter ----

typedef int (*run_fn)(const pt_graph *g, const pt_node *n,
                      const float *const *in, float *out, pt_error *err);

// ORDER OP: one entry per pt_op; the minimum number of inputs each needs.
static const struct {
  run_fn fn;
  int min_in;
} runners[PT_OP_COUNT] = {
    [PT_OP_CONV] = {run_conv, 2},
    [PT_OP_FC] = {run_matmul, 2},
    [PT_OP_MATMUL] = {run_matmul, 2},
    [PT_OP_MAXPOOL] = {run_pool, 1},
    [PT_OP_AVGPOOL] = {run_pool, 1},
    [PT_OP_GLOBALAVG] = {run_global_pool, 1},
    [PT_OP_GLOBALMAX] = {run_global_pool, 1},
    [PT_OP_ACT] = {run_copy, 1},
    [PT_OP_ADD] = {run_binary, 2},
    [PT_OP_SUB] = {run_binary, 2},
    [PT_OP_MUL] = {run_binary, 2},
    [PT_OP_DIV] = {run_binary, 2},
    [PT_OP_CONCAT] = {run_concat, 1},
    [PT_OP_SOFTMAX] = {run_softmax, 1},
    [PT_OP_RESHAPE] = {run_copy, 1},
    [PT_OP_TRANSPOSE] = {run_transpose, 1},
    [PT_OP_PAD] = {run_pad, 1},
    [PT_OP_BATCHNORM] = {run_batchnorm, 5},
    [PT_OP_IDENTITY] = {run_copy, 1},
    [PT_OP_LRN] = {run_lrn, 1},
    [PT_OP_SLICE] = {run_slice, 1},
    [PT_OP_SHUFFLE] = {run_shuffle, 1},
};

pt_ref *pt_ref_new(const pt_graph *g, bool keep_all) {
  pt_ref *r = pt_calloc(1, sizeof *r);
  int nt = g->nt > 0 ? g->nt : 1;
  r->g = g;
  r->keep_all = keep_all;
  r->val = pt_calloc(nt, sizeof *r->val);
  r->owned = pt_calloc(nt, sizeof *r->owned);
  r->is_out = pt_calloc(nt, sizeof *r->is_out);
  r->last = pt_malloc(nt * sizeof *r->last);
  for (int t = 0; t < g->nt; t++)
    r->last[t] = -1;
  for (int i = 0; i < g->nn; i++)
    for (int k = 0; k < g->n[i].nin; k++)
      if (g->n[i].in[k] >= 0 && g->n[i].in[k] < g->nt)
        r->last[g->n[i].in[k]] = i;
  for (int i = 0; i < g->noutputs; i++)
    r->is_out[g->outputs[i]] = true;
  return r;
}

void pt_ref_set_hook(pt_ref *r, pt_ref_hook fn, void *user) {
  r->hook = fn;
  r->user = user;
}

static void drop(pt_ref *r, int t) {
  if (r->owned[t])
    free(r->val[t]);
  r->val[t] = NULL;
  r->owned[t] = false;
}

static void reset(pt_ref *r) {
  for (int t = 0; t < r->g->nt; t++)
    drop(r, t);
}

void pt_ref_free(pt_ref *r) {
  if (!r)
    return;
  reset(r);
  free(r->val);
  free(r->owned);
  free(r->is_out);
  free(r->last);
  free(r);
}

// The values of constant t, converting integers; NULL with err set when
// it has none (a structure-only model).
static const float *const_values(pt_ref *r, int t, const pt_node *n,
                                 pt_error *err) {
  const pt_tensor *tt = &r->g->t[t];
  if (tt->dtype == PT_F32 && tt->fdata)
    return r->val[t] = tt->fdata;
  if (tt->dtype == PT_I64 && tt->idata) {
    int64_t cnt = pt_tensor_numel(tt);
    float *v = alloc_f(cnt);
    for (int64_t i = 0; i < cnt; i++)
      v[i] = (float)tt->idata[i];
    r->owned[t] = true;
    return r->val[t] = v;
  }
  const char *why = tt->dtype == PT_OTHER
                        ? "has an element type without numeric values here"
                        : "has no values (a structure-only model: load its "
                          "weights, or fill them with pt_ref_random_weights)";
  if (n)
    node_fail(err, n, "constant '%s' %s", tt->name, why);
  else
    pt_errorf(err, "graph output '%s' (a constant) %s", tt->name, why);
  return NULL;
}

// Run node i: gather its inputs, compute, activate, report, release.
static int run_node(pt_ref *r, int i, pt_error *err) {
  const pt_graph *g = r->g;
  const pt_node *n = &g->n[i];
  if (n->op < 0 || n->op >= PT_OP_COUNT || !runners[n->op].fn)
    return node_fail(err, n, "op %d cannot be run by the reference",
                     (int)n->op);
  if (n->nin < runners[n->op].min_in || n->nin > PT_MAX_IN || n->nout < 1 ||
      n->out[0] < 0 || n->out[0] >= g->nt)
    return node_fail(err, n, "has %d inputs and %d outputs; expected at "
                     "least %d inputs and an output", n->nin, n->nout,
                     runners[n->op].min_in);
  const float *in[PT_MAX_IN] = {NULL};
  for (int k = 0; k < n->nin; k++) {
    int t = n->in[k];
    if (t < 0) {
      if (k < runners[n->op].min_in || n->op == PT_OP_CONCAT)
        return node_fail(err, n, "required input %d is missing", k);
      continue;
    }
    if (t >= g->nt)
      return node_fail(err, n, "input %d refers to no tensor", k);
    if (r->val[t])
      in[k] = r->val[t];
    else if (g->t[t].is_const)
      in[k] = const_values(r, t, n, err);
    else
      return node_fail(err, n, "input '%s' has no value: it is neither a "
                       "graph input, a constant nor computed earlier",
                       g->t[t].name);
    if (!in[k])
      return -1;
  }
  int to = n->out[0];
  drop(r, to);
  float *out = alloc_f(pt_tensor_numel(&g->t[to]));
  if (runners[n->op].fn(g, n, in, out, err)) {
    free(out);
    return -1;
  }
  apply_act(out, pt_tensor_numel(&g->t[to]), n->act, n->act_a, n->act_b);
  r->val[to] = out;
  r->owned[to] = true;
  if (r->hook)
    r->hook(r->user, g, i, out);
  if (r->keep_all)
    return 0;
  for (int k = 0; k < n->nin; k++) {
    int t = n->in[k];
    if (t >= 0 && r->last[t] == i && g->t[t].producer >= 0 && !r->is_out[t])
      drop(r, t);
  }
  if (r->last[to] <= i && !r->is_out[to])
    drop(r, to);
  return 0;
}

int pt_ref_exec(pt_ref *r, const float *const *inputs, pt_error *err) {
  const pt_graph *g = r->g;
  reset(r);
  for (int i = 0; i < g->ninputs; i++) {
    if (!inputs || !inputs[i])
      return pt_errorf(err, "graph input '%s' has no buffer",
                       g->t[g->inputs[i]].name);
    r->val[g->inputs[i]] = (float *)inputs[i]; // borrowed, only read
  }
  for (int i = 0; i < g->nn; i++)
    if (run_node(r, i, err))
      return -1;
  for (int i = 0; i < g->noutputs; i++) {
    int t = g->outputs[i];
    if (r->val[t])
      continue;
    if (!g->t[t].is_const)
      return pt_errorf(err, "graph output '%s' is not computed by any node",
                       g->t[t].name);
    if (!const_values(r, t, NULL, err))
      return -1;
  }
  return 0;
}

const float *pt_ref_value(const pt_ref *r, int t) {
  if (t < 0 || t >= r->g->nt)
    return NULL;
  if (r->val[t])
    return r->val[t];
  const pt_tensor *tt = &r->g->t[t];
  return tt->is_const && tt->dtype == PT_F32 ? tt->fdata : NULL;
}

int pt_ref_run(const pt_graph *g, const float *const *inputs, float **outputs,
               pt_error *err) {
  pt_ref *r = pt_ref_new(g, false);
  int rc = pt_ref_exec(r, inputs, err);
  for (int i = 0; rc == 0 && i < g->noutputs; i++) {
    const pt_tensor *t = &g->t[g->outputs[i]];
    memcpy(outputs[i], pt_ref_value(r, g->outputs[i]),
           (size_t)pt_tensor_numel(t) * sizeof(float));
  }
  pt_ref_free(r);
  return rc;
}

// ---- random weights ----

// Fan-in of the conv/fc weight of node n (the inputs summed into one
// output value); 1 when n has no weight.
static double fan_in(const pt_graph *g, const pt_node *n) {
  if (n->nin < 2 || n->in[1] < 0)
    return 1;
  const pt_tensor *w = &g->t[n->in[1]];
  double f = 1;
  if (n->op == PT_OP_CONV && w->ndim >= 1 && w->dims[0] > 0)
    f = (double)pt_tensor_numel(w) / (double)w->dims[0];
  else if (w->ndim == 2)
    f = (double)w->dims[n->a.trans_b ? 1 : 0];
  else if (w->ndim >= 1)
    f = (double)w->dims[w->ndim - 1];
  return f > 1 ? f : 1;
}

int pt_ref_random_weights(pt_graph *g, unsigned long seed) {
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(rng, seed);
  int filled = 0;
  for (int t = 0; t < g->nt; t++) {
    pt_tensor *tt = &g->t[t];
    if (!tt->is_const || tt->dtype != PT_F32 || tt->fdata)
      continue;
    // The role of the tensor in its first consumer decides the range:
    // values uniform in [lo, hi).
    double lo = -1, hi = 1;
    bool found = false;
    for (int i = 0; i < g->nn && !found; i++) {
      const pt_node *n = &g->n[i];
      for (int k = 0; k < n->nin && !found; k++) {
        if (n->in[k] != t)
          continue;
        found = true;
        bool weighted = n->op == PT_OP_CONV || n->op == PT_OP_FC ||
                        n->op == PT_OP_MATMUL;
        if (weighted && k == 1) { // Kaiming-uniform for ReLU: var 2/fan_in
          hi = sqrt(6.0 / fan_in(g, n));
          lo = -hi;
        } else if (weighted && k == 2) { // bias, as PyTorch initialises it
          hi = 1.0 / sqrt(fan_in(g, n));
          lo = -hi;
        } else if (n->op == PT_OP_BATCHNORM) {
          bool positive = k == 1 || k == 4; // scale and variance
          lo = positive ? 0.8 : -0.1;
          hi = positive ? 1.2 : 0.1;
        }
      }
    }
    int64_t cnt = pt_tensor_numel(tt);
    tt->fdata = alloc_f(cnt);
    for (int64_t i = 0; i < cnt; i++)
      tt->fdata[i] = (float)(lo + (hi - lo) * gsl_rng_uniform(rng));
    filled++;
  }
  gsl_rng_free(rng);
  g->has_weights = true;
  return filled;
}
