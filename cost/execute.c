// The functional executor: runs compiled instruction streams on float32
// values (see execute.h), and the verifier that compares the result with
// the CPU reference.
//
// Memories hold one float per element. Every core runs as far as it can,
// in turn, until all streams end or none can move (a deadlock, reported
// with the instruction each blocked core waits at). Weights are built once
// per layer as its full unfolded matrices (pt_part_weight_index); an AG
// is a window into its matrix, shared by all replicas.
#include "execute.h"

#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../compiler/reference.h"

// Poison of local memory: a quiet NaN whose payload arithmetic does not
// make. Reads are checked for it before any arithmetic.
#define POISON_BITS 0x7fc0deadu

static float poison_value(void) {
  uint32_t u = POISON_BITS;
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

static bool is_poison(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u == POISON_BITS;
}

// A buffer's allocation or release: at instruction `at` of its core, its
// bytes become garbage (poisoned).
typedef struct {
  int64_t at, buf;
} buf_event;

typedef struct {
  const float *w;     // row 0, column 0 of the AG's block
  int64_t stride;     // floats between rows
} ag_block;

typedef struct {
  const pt_program *p;
  const pt_graph *g;
  const pt_exec_opts *o;
  pt_error *err;
  int eb;
  float **local;      // [core][element]
  int64_t *nlocal;
  float *G;           // global memory, one sample
  uint8_t *stored;
  int64_t nglobal;
  int64_t *pc;
  buf_event **ev;     // per core, sorted by instruction
  int64_t *nev, *evat;
  float **mats;       // [layer] matrices x rows x cols
  ag_block *ag;       // [nags]
  double *ascale;     // [tensor] activation step (fixed point), 0: none
  double aqmax;       // 2^(act_bits-1) - 1
  float *tmp;         // scratch of the vector unit and mvm
  int64_t ntmp;
  int64_t executed;
  float **final;      // LL: completed pixels per tensor (NCHW), or NULL
  uint8_t **final_seen;
} exec;

// ---------------------------------------------------------------------------
// Shapes and views

// Per-sample C, H, W of a tensor as the schedulers see it (rank 2: F, 1, 1;
// ranks they cannot view: flattened).
static void dims_of(const pt_graph *g, int t, int64_t chw[3]) {
  if (pt_tensor_chw(&g->t[t], chw)) {
    const pt_tensor *x = &g->t[t];
    int64_t n = x->ndim && x->dims[0] > 0 && !x->is_const ? x->dims[0] : 1;
    chw[0] = pt_tensor_numel(x) / n, chw[1] = chw[2] = 1;
  }
}

// Element index in global memory of element (c, y, x) of tensor t.
static int64_t gindex(const pt_program *p, const pt_graph *g, int t,
                      int64_t c, int64_t y, int64_t x) {
  const pt_gview *v = &p->gt[t];
  int64_t chw[3];
  dims_of(g, t, chw);
  return v->base / p->elem_bytes +
         (y * chw[2] + x) * v->pixel_stride + v->channel_off + c;
}

static int64_t batch_of(const pt_graph *g) {
  if (g->ninputs < 1)
    return 1;
  const pt_tensor *x = &g->t[g->inputs[0]];
  return x->ndim >= 1 && x->dims[0] > 0 ? x->dims[0] : 1;
}

// Elements of one sample of tensor t in a batch of n.
static int64_t per_sample(const pt_graph *g, int t, int64_t n) {
  const pt_tensor *x = &g->t[t];
  int64_t numel = pt_tensor_numel(x);
  return x->ndim >= 1 && x->dims[0] == n && n > 0 ? numel / n : numel;
}

// The tensor whose memory t is: reshapes alias their input.
static int root_of(const pt_graph *g, int t) {
  for (int pr = g->t[t].producer; pr >= 0 &&
       (g->n[pr].op == PT_OP_RESHAPE || g->n[pr].op == PT_OP_IDENTITY);
       pr = g->t[t].producer)
    t = g->n[pr].in[0];
  return t;
}

int64_t pt_exec_read_tensor(const pt_program *p, const pt_graph *g,
                            const float *global, const uint8_t *stored,
                            int t, float *out) {
  // A flatten-like reshape keeps the NCHW order of its input's elements,
  // so reading the input in NCHW order gives the reshape's values.
  int r = root_of(g, t);
  if (p->gt[r].base < 0 || p->gt[r].base % p->elem_bytes)
    return -1;
  int64_t chw[3], missing = 0;
  dims_of(g, r, chw);
  for (int64_t c = 0; c < chw[0]; c++)
    for (int64_t y = 0; y < chw[1]; y++)
      for (int64_t x = 0; x < chw[2]; x++) {
        int64_t k = gindex(p, g, r, c, y, x);
        int64_t at = (c * chw[1] + y) * chw[2] + x;
        out[at] = global[k];
        missing += !stored[k];
      }
  return missing;
}

// ---------------------------------------------------------------------------
// Fixed point

static float quantize(float v, double step, double qmax) {
  if (step <= 0 || isnan(v))
    return v;
  double q = nearbyint((double)v / step);
  q = q > qmax ? qmax : q < -qmax ? -qmax : q;
  return (float)(q * step);
}

static void quantize_range(exec *e, float *v, int64_t n, int node) {
  if (!e->ascale || node < 0)
    return;
  double step = e->ascale[e->g->n[node].out[0]];
  for (int64_t i = 0; i < n; i++)
    v[i] = quantize(v[i], step, e->aqmax);
}

// ---------------------------------------------------------------------------
// Weights

static int build_weights(exec *e, const pt_map_ctx *c, const pt_mapping *m) {
  const pt_graph *g = e->g;
  const pt_program *p = e->p;
  e->mats = pt_calloc(c->nlayers > 0 ? c->nlayers : 1, sizeof *e->mats);
  e->ag = pt_calloc(p->nags > 0 ? p->nags : 1, sizeof *e->ag);
  double wqmax = ldexp(1, c->a->weight_bits - 1) - 1;
  for (int l = 0; l < c->nlayers; l++) {
    const pt_part *pp = pt_map_part(c, l, m->unfold[l]);
    const pt_node *n = &g->n[pp->node];
    const pt_tensor *w = &g->t[n->in[1]];
    if (!w->fdata)
      return pt_errorf(e->err, "node '%s': weight '%s' has no values (a "
                       "structure-only model: fill it with "
                       "pt_ref_random_weights)", n->name, w->name);
    double step = 0;
    if (e->o->fixed_point) {
      double mx = 0;
      for (int64_t i = 0; i < pt_tensor_numel(w); i++)
        mx = fabs(w->fdata[i]) > mx ? fabs(w->fdata[i]) : mx;
      step = mx / wqmax;
    }
    float *mat = pt_malloc((size_t)(pp->matrices * pp->rows * pp->cols) *
                           sizeof *mat);
    for (int64_t k = 0; k < pp->matrices; k++)
      for (int64_t r = 0; r < pp->rows; r++)
        for (int64_t q = 0; q < pp->cols; q++) {
          int64_t o, i, ky, kx;
          int64_t at = pt_part_weight_index(g, pp, k, r, q, &o, &i, &ky, &kx);
          mat[(k * pp->rows + r) * pp->cols + q] =
              at < 0 ? 0 : quantize(w->fdata[at], step, wqmax);
        }
    e->mats[l] = mat;
  }
  for (int a = 0; a < p->nags; a++) {
    const pt_ag_info *ai = &p->ag[a];
    if (ai->layer < 0 || ai->layer >= c->nlayers)
      return pt_errorf(e->err, "AG %d names weight layer %d, the graph has "
                       "%d", a, ai->layer, c->nlayers);
    const pt_part *pp = pt_map_part(c, ai->layer, m->unfold[ai->layer]);
    if (ai->matrix < 0 || ai->matrix >= pp->matrices || ai->row0 < 0 ||
        ai->col0 < 0 || ai->row0 + ai->rows > pp->rows ||
        ai->col0 + ai->cols > pp->cols)
      return pt_errorf(e->err, "AG %d: matrix %d rows %d+%d cols %d+%d is "
                       "outside layer '%s' (%lld matrices of %lld x %lld)",
                       a, ai->matrix, ai->row0, ai->rows, ai->col0, ai->cols,
                       g->n[pp->node].name, (long long)pp->matrices,
                       (long long)pp->rows, (long long)pp->cols);
    e->ag[a].w = e->mats[ai->layer] +
                 (ai->matrix * pp->rows + ai->row0) * pp->cols + ai->col0;
    e->ag[a].stride = pp->cols;
  }
  return 0;
}

int pt_exec_ag_weights(const pt_program *p, const pt_graph *g,
                       const pt_map_ctx *c, const pt_mapping *m, int a,
                       float *out, pt_error *err) {
  if (a < 0 || a >= p->nags)
    return pt_errorf(err, "AG %d: the program has AGs 0..%d", a, p->nags - 1);
  pt_exec_opts o = {0};
  exec e = {.p = p, .g = g, .o = &o, .err = err};
  int rc = build_weights(&e, c, m);
  if (!rc)
    for (int r = 0; r < p->ag[a].rows; r++)
      memcpy(out + (int64_t)r * p->ag[a].cols, e.ag[a].w + r * e.ag[a].stride,
             (size_t)p->ag[a].cols * sizeof *out);
  for (int l = 0; l < c->nlayers; l++)
    free(e.mats[l]);
  free(e.mats);
  free(e.ag);
  return rc;
}

// ---------------------------------------------------------------------------
// Memories

static const char *op_name(const pt_inst *in) {
  return in->op < PT_I_COUNT ? pt_iop_names[in->op] : "?";
}

static int fail_at(exec *e, int core, const pt_inst *in, const char *what,
                   uint32_t addr, int32_t len) {
  return pt_errorf(e->err, "core %d, instruction %lld (%s%s%s): %s [%u, "
                   "%lld) bytes", core, (long long)e->pc[core], op_name(in),
                   in->op == PT_I_VEC ? " " : "",
                   in->op == PT_I_VEC && in->vop < PT_V_COUNT
                       ? pt_vop_names[in->vop] : "",
                   what, addr, (long long)addr + (long long)len * e->eb);
}

// Element range of local operand (addr, len) on core, or NULL (error set).
static float *local_at(exec *e, int core, const pt_inst *in, uint32_t addr,
                       int32_t len, bool read) {
  if (addr % (uint32_t)e->eb)
    return fail_at(e, core, in, "local address not a multiple of the "
                   "element size at", addr, len), NULL;
  int64_t k = addr / (uint32_t)e->eb;
  if (len < 0 || k + len > e->nlocal[core])
    return fail_at(e, core, in, "reaches beyond the local memory in use:",
                   addr, len), NULL;
  float *v = e->local[core] + k;
  if (read)
    for (int32_t i = 0; i < len; i++)
      if (is_poison(v[i]))
        return fail_at(e, core, in, "reads an element never written (or "
                       "of a released buffer) in", addr, len), NULL;
  return v;
}

static int64_t global_at(exec *e, int core, const pt_inst *in, uint32_t addr,
                         int32_t len) {
  if (addr % (uint32_t)e->eb)
    return fail_at(e, core, in, "global address not a multiple of the "
                   "element size at", addr, len);
  int64_t k = addr / (uint32_t)e->eb;
  if (len < 0 || k + len > e->nglobal)
    return fail_at(e, core, in, "reaches outside the global memory:", addr,
                   len);
  return k;
}

static void poison(float *v, int64_t n) {
  float x = poison_value();
  for (int64_t i = 0; i < n; i++)
    v[i] = x;
}

// Buffer allocations and releases reached by core's pc poison their bytes.
static void apply_buffer_events(exec *e, int core) {
  while (e->evat[core] < e->nev[core]) {
    const buf_event *ev = &e->ev[core][e->evat[core]];
    if (ev->at > e->pc[core])
      break;
    const pt_buf *b = &e->p->buf[ev->buf];
    int64_t lo = b->addr / e->eb, hi = pt_ceil_div(b->addr + b->bytes, e->eb);
    if (hi > e->nlocal[core])
      hi = e->nlocal[core];
    if (lo < hi)
      poison(e->local[core] + lo, hi - lo);
    e->evat[core]++;
  }
}

static int cmp_ev(const void *x, const void *y) {
  const buf_event *a = x, *b = y;
  return (a->at > b->at) - (a->at < b->at);
}

static void build_events(exec *e) {
  const pt_program *p = e->p;
  int nc = p->ncores;
  e->ev = pt_calloc(nc, sizeof *e->ev);
  e->nev = pt_calloc(nc, sizeof *e->nev);
  e->evat = pt_calloc(nc, sizeof *e->evat);
  for (int64_t i = 0; i < p->nbuf; i++)
    if (p->buf[i].core >= 0 && p->buf[i].core < nc)
      e->nev[p->buf[i].core] += 2;
  for (int c = 0; c < nc; c++) {
    e->ev[c] = pt_malloc((e->nev[c] + 1) * sizeof *e->ev[c]);
    e->nev[c] = 0;
  }
  for (int64_t i = 0; i < p->nbuf; i++) {
    const pt_buf *b = &p->buf[i];
    if (b->core < 0 || b->core >= nc)
      continue;
    e->ev[b->core][e->nev[b->core]++] = (buf_event){b->from, i};
    if (b->to >= 0) // never released: lives to the end
      e->ev[b->core][e->nev[b->core]++] = (buf_event){b->to, i};
  }
  for (int c = 0; c < nc; c++)
    qsort(e->ev[c], e->nev[c], sizeof *e->ev[c], cmp_ev);
}

static float *scratch(exec *e, int64_t n) {
  if (n > e->ntmp) {
    e->ntmp = n > 2 * e->ntmp ? n : 2 * e->ntmp;
    e->tmp = pt_realloc(e->tmp, e->ntmp * sizeof *e->tmp);
  }
  return e->tmp;
}

// ---------------------------------------------------------------------------
// The instructions

// LL: a vec/copy flagged FINAL completes pixel `arg` of its node in y.
// Round it (fixed point) and, when it holds the whole pixel, keep a copy
// for the per-layer comparison.
static void complete_pixel(exec *e, const pt_inst *in, float *y) {
  quantize_range(e, y, in->len, in->node);
  if (!e->final || in->node < 0 || in->node >= e->g->nn)
    return;
  int t = e->g->n[in->node].out[0];
  int64_t chw[3];
  dims_of(e->g, t, chw);
  int64_t npix = chw[1] * chw[2];
  if (in->len != chw[0] || in->arg < 0 || in->arg >= npix)
    return;
  if (!e->final[t]) {
    e->final[t] = pt_calloc(chw[0] * npix, sizeof *e->final[t]);
    e->final_seen[t] = pt_calloc(npix, 1);
  }
  for (int64_t c = 0; c < chw[0]; c++)
    e->final[t][c * npix + in->arg] = y[c];
  e->final_seen[t][in->arg] = 1;
}

static float sigmoid(float x) {
  if (x >= 0)
    return (float)(1.0 / (1.0 + exp(-(double)x)));
  double e = exp((double)x);
  return (float)(e / (1.0 + e));
}

static float clip01(float y) { return y < 0 ? 0 : y > 1 ? 1 : y; }

static void vector_op(const pt_inst *in, const float *a, const float *b,
                      float *y) {
  int32_t n = in->len;
  bool bc = in->flags & PT_IF_BCAST;
  float s = in->imm, s2 = in->imm2;
  switch ((pt_vop)in->vop) {
  case PT_V_ADD:
    for (int32_t i = 0; i < n; i++)
      y[i] = a[i] + b[bc ? 0 : i];
    break;
  case PT_V_SUB:
    for (int32_t i = 0; i < n; i++)
      y[i] = a[i] - b[bc ? 0 : i];
    break;
  case PT_V_MUL:
    for (int32_t i = 0; i < n; i++)
      y[i] = a[i] * b[bc ? 0 : i];
    break;
  case PT_V_DIV:
    for (int32_t i = 0; i < n; i++)
      y[i] = a[i] / b[bc ? 0 : i];
    break;
  case PT_V_MAX:
    for (int32_t i = 0; i < n; i++) {
      float v = b[bc ? 0 : i];
      y[i] = isnan(a[i]) || isnan(v) ? NAN : a[i] > v ? a[i] : v;
    }
    break;
  case PT_V_SCALE:
    for (int32_t i = 0; i < n; i++)
      y[i] = a[i] * s;
    break;
  case PT_V_RELU:
    for (int32_t i = 0; i < n; i++)
      y[i] = a[i] < 0 ? 0 : a[i];
    break;
  case PT_V_CLIP:
    for (int32_t i = 0; i < n; i++)
      y[i] = a[i] < s ? s : a[i] > s2 ? s2 : a[i];
    break;
  case PT_V_LEAKYRELU:
    for (int32_t i = 0; i < n; i++)
      y[i] = a[i] < 0 ? s * a[i] : a[i];
    break;
  case PT_V_SIGMOID:
    for (int32_t i = 0; i < n; i++)
      y[i] = sigmoid(a[i]);
    break;
  case PT_V_TANH:
    for (int32_t i = 0; i < n; i++)
      y[i] = tanhf(a[i]);
    break;
  case PT_V_HARDSIGMOID:
    for (int32_t i = 0; i < n; i++)
      y[i] = clip01(s * a[i] + s2);
    break;
  case PT_V_HARDSWISH: // ONNX: x * max(0, min(1, x / 6 + 1 / 2))
    for (int32_t i = 0; i < n; i++)
      y[i] = a[i] * clip01(a[i] / 6.0f + 0.5f);
    break;
  case PT_V_SOFTMAX: {
    float mx = -INFINITY;
    for (int32_t i = 0; i < n; i++)
      mx = a[i] > mx ? a[i] : mx;
    double sum = 0;
    for (int32_t i = 0; i < n; i++)
      sum += exp((double)a[i] - mx);
    for (int32_t i = 0; i < n; i++)
      y[i] = (float)(exp((double)a[i] - mx) / sum);
    break;
  }
  case PT_V_ADDS:
    for (int32_t i = 0; i < n; i++)
      y[i] = a[i] + s;
    break;
  case PT_V_POW:
    for (int32_t i = 0; i < n; i++)
      y[i] = (float)pow((double)a[i], (double)s);
    break;
  case PT_V_WINSUM: {
    int32_t before = (in->len2 - 1) / 2, after = in->len2 / 2;
    for (int32_t i = 0; i < n; i++) {
      double sum = 0;
      for (int32_t k = i - before; k <= i + after; k++)
        if (k >= 0 && k < n)
          sum += a[k];
      y[i] = (float)sum;
    }
    break;
  }
  default:
    break;
  }
}

static int run_mvm(exec *e, int c, const pt_inst *in) {
  const pt_program *p = e->p;
  if (in->arg < 0 || in->arg >= p->nags)
    return pt_errorf(e->err, "core %d, instruction %lld: mvm on AG %d, the "
                     "program has AGs 0..%d", c, (long long)e->pc[c], in->arg,
                     p->nags - 1);
  const pt_ag_info *ag = &p->ag[in->arg];
  if (ag->core != c || in->len != ag->rows || in->len2 != ag->cols)
    return pt_errorf(e->err, "core %d, instruction %lld: mvm on AG %d (core "
                     "%d, %d x %d) with lengths %d and %d", c,
                     (long long)e->pc[c], in->arg, ag->core, ag->rows,
                     ag->cols, in->len, in->len2);
  const float *x = local_at(e, c, in, in->src1, in->len, true);
  float *y = local_at(e, c, in, in->dst, in->len2, false);
  if (!x || !y)
    return -1;
  float *acc = scratch(e, ag->cols);
  memset(acc, 0, (size_t)ag->cols * sizeof *acc);
  const ag_block *b = &e->ag[in->arg];
  for (int32_t r = 0; r < ag->rows; r++) {
    float v = x[r];
    if (v == 0)
      continue;
    const float *w = b->w + r * b->stride;
    for (int32_t q = 0; q < ag->cols; q++)
      acc[q] += v * w[q];
  }
  memcpy(y, acc, (size_t)ag->cols * sizeof *y);
  return 0;
}

static int run_vec(exec *e, int c, const pt_inst *in) {
  if (in->vop >= PT_V_COUNT)
    return pt_errorf(e->err, "core %d, instruction %lld: unknown vector op "
                     "%d", c, (long long)e->pc[c], in->vop);
  bool binary = pt_vop_binary((pt_vop)in->vop);
  const float *a = local_at(e, c, in, in->src1, in->len, true);
  const float *b = binary ? local_at(e, c, in, in->src2,
                                     in->flags & PT_IF_BCAST ? 1 : in->len,
                                     true)
                          : a;
  float *y = local_at(e, c, in, in->dst, in->len, false);
  if (!a || !b || !y)
    return -1;
  float *t = scratch(e, in->len > 0 ? in->len : 1);
  vector_op(in, a, b, t);
  memcpy(y, t, (size_t)in->len * sizeof *y);
  if (in->flags & PT_IF_FINAL)
    complete_pixel(e, in, y);
  return 0;
}

// 1 = ran, 0 = blocked, -1 = error.
static int step(exec *e, int c) {
  const pt_program *p = e->p;
  const pt_stream *s = &p->core[c];
  if (e->pc[c] >= s->n)
    return 0;
  apply_buffer_events(e, c);
  const pt_inst *in = &s->v[e->pc[c]];
  switch (in->op) {
  case PT_I_MVM:
    if (run_mvm(e, c, in))
      return -1;
    break;
  case PT_I_VEC:
    if (run_vec(e, c, in))
      return -1;
    break;
  case PT_I_COPY: {
    const float *a = local_at(e, c, in, in->src1, in->len, true);
    float *y = local_at(e, c, in, in->dst, in->len, false);
    if (!a || !y)
      return -1;
    memmove(y, a, (size_t)in->len * sizeof *y);
    if (in->flags & PT_IF_FINAL)
      complete_pixel(e, in, y);
    break;
  }
  case PT_I_WRITE: {
    float *y = local_at(e, c, in, in->dst, in->len, false);
    if (!y)
      return -1;
    for (int32_t i = 0; i < in->len; i++)
      y[i] = in->imm;
    break;
  }
  case PT_I_LOAD: {
    int64_t k = global_at(e, c, in, in->src1, in->len);
    if (k < 0)
      return -1;
    for (int32_t i = 0; i < in->len; i++)
      if (!e->stored[k + i])
        return 0; // not stored yet: wait
    float *y = local_at(e, c, in, in->dst, in->len, false);
    if (!y)
      return -1;
    memcpy(y, e->G + k, (size_t)in->len * sizeof *y);
    break;
  }
  case PT_I_STORE: {
    int64_t k = global_at(e, c, in, in->dst, in->len);
    const float *a = local_at(e, c, in, in->src1, in->len, true);
    if (k < 0 || !a)
      return -1;
    memcpy(e->G + k, a, (size_t)in->len * sizeof *a);
    memset(e->stored + k, 1, (size_t)in->len);
    quantize_range(e, e->G + k, in->len, in->node);
    break;
  }
  case PT_I_SEND: {
    int peer = in->arg;
    if (peer < 0 || peer >= p->ncores || peer == c)
      return pt_errorf(e->err, "core %d, instruction %lld: send to core %d",
                       c, (long long)e->pc[c], peer);
    const pt_stream *ps = &p->core[peer];
    if (e->pc[peer] >= ps->n)
      return 0;
    apply_buffer_events(e, peer);
    const pt_inst *r = &ps->v[e->pc[peer]];
    if (r->op != PT_I_RECV || r->arg != c)
      return 0; // the receiver is not there yet
    if (r->len != in->len)
      return pt_errorf(e->err, "core %d, instruction %lld sends %d elements; "
                       "core %d, instruction %lld receives %d", c,
                       (long long)e->pc[c], in->len, peer,
                       (long long)e->pc[peer], r->len);
    const float *a = local_at(e, c, in, in->src1, in->len, true);
    if (!a)
      return -1;
    float *y = local_at(e, peer, r, r->dst, r->len, false);
    if (!y)
      return -1;
    memcpy(y, a, (size_t)in->len * sizeof *y);
    e->pc[peer]++;
    e->executed++;
    break;
  }
  case PT_I_RECV:
    return 0; // completed by the matching send
  default:
    return pt_errorf(e->err, "core %d, instruction %lld: unknown op %d", c,
                     (long long)e->pc[c], in->op);
  }
  e->pc[c]++;
  e->executed++;
  return 1;
}

// ---------------------------------------------------------------------------
// One sample

static int write_tensor(exec *e, int t, const float *v) {
  const pt_program *p = e->p;
  if (p->gt[t].base < 0)
    return 0; // not read by the streams
  if (p->gt[t].base % e->eb)
    return pt_errorf(e->err, "tensor '%s': global base %lld is not a "
                     "multiple of the element size %d", e->g->t[t].name,
                     (long long)p->gt[t].base, e->eb);
  int64_t chw[3];
  dims_of(e->g, t, chw);
  double step = e->ascale ? e->ascale[t] : 0;
  for (int64_t c = 0; c < chw[0]; c++)
    for (int64_t y = 0; y < chw[1]; y++)
      for (int64_t x = 0; x < chw[2]; x++) {
        int64_t k = gindex(p, e->g, t, c, y, x);
        if (k < 0 || k >= e->nglobal)
          return pt_errorf(e->err, "tensor '%s': element (%lld, %lld, %lld) "
                           "lies outside the %lld bytes of global memory",
                           e->g->t[t].name, (long long)c, (long long)y,
                           (long long)x, (long long)p->global_bytes);
        e->G[k] = quantize(v[(c * chw[1] + y) * chw[2] + x], step, e->aqmax);
        e->stored[k] = 1;
      }
  return 0;
}

// Constants the streams read, in their own flat order from their base.
static int write_constants(exec *e) {
  const pt_graph *g = e->g;
  for (int t = 0; t < g->nt; t++) {
    const pt_tensor *x = &g->t[t];
    int64_t base = e->p->gt[t].base;
    if (!x->is_const || base < 0)
      continue;
    int64_t n = pt_tensor_numel(x), k = base / e->eb;
    if (base % e->eb)
      return pt_errorf(e->err, "constant '%s': global base %lld is not a "
                       "multiple of the element size %d", x->name,
                       (long long)base, e->eb);
    if (k + n > e->nglobal)
      return pt_errorf(e->err, "constant '%s': global region at %lld of %lld "
                       "elements does not fit the global memory", x->name,
                       (long long)base, (long long)n);
    if (x->fdata)
      memcpy(e->G + k, x->fdata, (size_t)n * sizeof *e->G);
    else if (x->idata)
      for (int64_t i = 0; i < n; i++)
        e->G[k + i] = (float)x->idata[i];
    else
      return pt_errorf(e->err, "constant '%s' has no values (a "
                       "structure-only model: fill it with "
                       "pt_ref_random_weights)", x->name);
    memset(e->stored + k, 1, (size_t)n);
  }
  return 0;
}

static int run_sample(exec *e) {
  const pt_program *p = e->p;
  int nc = p->ncores;
  for (int c = 0; c < nc; c++) {
    poison(e->local[c], e->nlocal[c]);
    e->pc[c] = 0;
    e->evat[c] = 0;
  }
  int64_t limit = e->o->max_instructions;
  for (bool moved = true; moved;) {
    moved = false;
    for (int c = 0; c < nc; c++) {
      int r;
      while ((r = step(e, c)) == 1) {
        moved = true;
        if (limit > 0 && e->executed > limit)
          return pt_errorf(e->err, "stopped after %lld instructions (the "
                           "limit)", (long long)limit);
      }
      if (r < 0)
        return -1;
    }
  }
  for (int c = 0; c < nc; c++)
    if (e->pc[c] < p->core[c].n) {
      const pt_inst *in = &p->core[c].v[e->pc[c]];
      return pt_errorf(e->err, "deadlock: core %d waits at instruction %lld "
                       "(%s %s %d) and no core can move", c,
                       (long long)e->pc[c], op_name(in),
                       in->op == PT_I_SEND || in->op == PT_I_RECV ? "core"
                                                                  : "len",
                       in->op == PT_I_SEND || in->op == PT_I_RECV ? in->arg
                                                                  : in->len);
    }
  return 0;
}

static void exec_free(exec *e, const pt_map_ctx *c) {
  for (int i = 0; e->local && i < e->p->ncores; i++)
    free(e->local[i]);
  for (int i = 0; e->ev && i < e->p->ncores; i++)
    free(e->ev[i]);
  for (int l = 0; e->mats && l < c->nlayers; l++)
    free(e->mats[l]);
  free(e->local);
  free(e->nlocal);
  free(e->pc);
  free(e->ev);
  free(e->nev);
  free(e->evat);
  free(e->mats);
  free(e->ag);
  free(e->ascale);
  free(e->tmp);
}

int pt_exec_run(const pt_program *p, const pt_graph *g, const pt_map_ctx *c,
                const pt_mapping *m, const float *const *inputs,
                float **outputs, const pt_exec_opts *o, pt_exec_report *r,
                pt_error *err) {
  static const pt_exec_opts none = {0};
  pt_exec_report dummy;
  if (!r)
    r = &dummy;
  memset(r, 0, sizeof *r);
  if (!o)
    o = &none;
  if (p->elem_bytes < 1 || p->ntensors != g->nt)
    return pt_errorf(err, "program: %d-byte elements and %d tensors, graph "
                     "'%s' has %d tensors", p->elem_bytes, p->ntensors,
                     g->name, g->nt);
  exec e = {.p = p, .g = g, .o = o, .err = err, .eb = p->elem_bytes};
  int nc = p->ncores, rc = 0;
  e.local = pt_calloc(nc, sizeof *e.local);
  e.nlocal = pt_calloc(nc, sizeof *e.nlocal);
  e.pc = pt_calloc(nc, sizeof *e.pc);
  for (int k = 0; k < nc; k++) {
    e.nlocal[k] = pt_ceil_div(p->core[k].peak_local_bytes, e.eb);
    e.local[k] = pt_malloc((e.nlocal[k] + 1) * sizeof *e.local[k]);
  }
  e.nglobal = pt_ceil_div(p->global_bytes, e.eb);
  e.G = pt_malloc((e.nglobal + 1) * sizeof *e.G);
  e.stored = pt_malloc(e.nglobal + 1);
  if (o->fixed_point && o->absmax) {
    e.aqmax = ldexp(1, c->a->act_bits - 1) - 1;
    e.ascale = pt_calloc(g->nt, sizeof *e.ascale);
    for (int t = 0; t < g->nt; t++)
      e.ascale[t] = o->absmax[t] / e.aqmax;
  }
  if (o->keep_global && p->mode == PT_MODE_LL) {
    e.final = pt_calloc(g->nt, sizeof *e.final);
    e.final_seen = pt_calloc(g->nt, sizeof *e.final_seen);
  }
  build_events(&e);
  rc = build_weights(&e, c, m);
  int64_t N = batch_of(g);
  for (int64_t b = 0; b < N && !rc; b++) {
    poison(e.G, e.nglobal);
    memset(e.stored, 0, e.nglobal);
    rc = write_constants(&e);
    for (int i = 0; i < g->ninputs && !rc; i++) {
      int t = g->inputs[i];
      rc = write_tensor(&e, t, inputs[i] + b * per_sample(g, t, N));
    }
    if (!rc)
      rc = run_sample(&e);
    for (int i = 0; i < g->noutputs && !rc; i++) {
      int t = g->outputs[i];
      int64_t miss = pt_exec_read_tensor(p, g, e.G, e.stored, t,
                                         outputs[i] + b * per_sample(g, t, N));
      if (miss)
        rc = pt_errorf(err, "graph output '%s': %s", g->t[t].name,
                       miss < 0 ? "not in global memory"
                                : "some elements were never stored");
    }
    r->samples = b + 1;
  }
  r->executed = e.executed;
  if (e.final) { // the last sample's completed pixels
    r->final = e.final, r->ntensors = g->nt;
    r->final_missing = pt_calloc(g->nt, sizeof *r->final_missing);
    for (int t = 0; t < g->nt; t++) {
      int64_t chw[3];
      dims_of(g, t, chw);
      for (int64_t k = 0; e.final[t] && k < chw[1] * chw[2]; k++)
        r->final_missing[t] += !e.final_seen[t][k];
      free(e.final_seen[t]);
    }
    free(e.final_seen);
  }
  if (o->keep_global) {
    r->global = e.G, r->stored = e.stored, r->global_elems = e.nglobal;
  } else {
    free(e.G);
    free(e.stored);
  }
  exec_free(&e, c);
  if (r == &dummy)
    pt_exec_report_free(r);
  return rc;
}

void pt_exec_report_free(pt_exec_report *r) {
  if (!r)
    return;
  free(r->global);
  free(r->stored);
  for (int t = 0; r->final && t < r->ntensors; t++)
    free(r->final[t]);
  free(r->final);
  free(r->final_missing);
  r->global = NULL, r->stored = NULL, r->final = NULL;
  r->final_missing = NULL;
}

// ---------------------------------------------------------------------------
// Verification

pt_verify_opts pt_verify_defaults(void) {
  return (pt_verify_opts){.tol = PT_VERIFY_TOL, .seed = 1};
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// Largest |got - want| over n elements; a NaN or infinity counts as an
// infinite error.
static double max_err(const float *got, const float *want, int64_t n) {
  double mx = 0;
  for (int64_t i = 0; i < n; i++) {
    double d = fabs((double)got[i] - want[i]);
    if (!isfinite(d))
      return INFINITY;
    mx = d > mx ? d : mx;
  }
  return mx;
}

static double max_abs(const float *v, int64_t n) {
  double mx = 0;
  for (int64_t i = 0; i < n; i++)
    mx = fabs(v[i]) > mx ? fabs(v[i]) : mx;
  return mx;
}

// Outputs of program p against the golden ones: the worst error and the
// outputs' scale.
static void compare_outputs(const pt_graph *g, float *const *got,
                            const pt_ref *ref, double *err, double *scale,
                            int64_t *count) {
  *err = 0, *scale = 0, *count = 0;
  for (int i = 0; i < g->noutputs; i++) {
    int64_t n = pt_tensor_numel(&g->t[g->outputs[i]]);
    const float *want = pt_ref_value(ref, g->outputs[i]);
    double e = max_err(got[i], want, n), s = max_abs(want, n);
    *err = e > *err ? e : *err;
    *scale = s > *scale ? s : *scale;
    *count += n;
  }
}

// The first layer whose output in the global memory image (or, LL, as its
// pixels were completed on the cores) differs from the reference (last
// sample of the batch). Views and layers not completely seen are skipped.
static void compare_layers(const pt_program *p, const pt_graph *g,
                           const pt_ref *ref, const pt_exec_report *x,
                           double tol, pt_verify_report *r) {
  int64_t N = batch_of(g);
  for (int i = 0; i < g->nn && r->bad_node < 0; i++) {
    const pt_node *n = &g->n[i];
    int t = n->out[0];
    const float *want = pt_ref_value(ref, t);
    if (n->op == PT_OP_RESHAPE || n->op == PT_OP_IDENTITY || !want)
      continue;
    int64_t per = per_sample(g, t, N);
    want += (N - 1) * per;
    float *got = pt_malloc((per > 0 ? per : 1) * sizeof *got);
    int64_t miss = pt_exec_read_tensor(p, g, x->global, x->stored, t, got);
    const float *have = miss == 0 ? got : NULL;
    if (!have && x->final && x->final[t] && x->final_missing[t] == 0)
      have = x->final[t]; // LL: the pixels as completed on the cores
    if (have) {
      double e = max_err(have, want, per), s = max_abs(want, per);
      r->layers_compared++;
      if (!(e <= tol * (s > 1 ? s : 1))) {
        r->bad_node = i;
        r->bad_node_err = e;
      }
    }
    free(got);
  }
}

static void random_inputs(const pt_graph *g, unsigned long seed,
                          float **in) {
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(rng, seed);
  for (int i = 0; i < g->ninputs; i++) {
    int64_t n = pt_tensor_numel(&g->t[g->inputs[i]]);
    in[i] = pt_malloc((n > 0 ? n : 1) * sizeof *in[i]);
    for (int64_t k = 0; k < n; k++)
      in[i][k] = (float)(2 * gsl_rng_uniform(rng) - 1);
  }
  gsl_rng_free(rng);
}

int pt_verify_program(const pt_program *p, const pt_graph *g,
                      const pt_map_ctx *c, const pt_mapping *m,
                      const pt_verify_opts *o, pt_verify_report *r,
                      pt_error *err) {
  pt_verify_opts dflt = pt_verify_defaults();
  if (!o)
    o = &dflt;
  memset(r, 0, sizeof *r);
  r->bad_node = -1;
  r->random_weights = !g->has_weights;
  double tol = o->tol > 0 ? o->tol : PT_VERIFY_TOL;
  float *own[PT_MAX_IN] = {NULL};
  const float *in[PT_MAX_IN] = {NULL};
  if (!o->inputs)
    random_inputs(g, o->seed, own);
  for (int i = 0; i < g->ninputs; i++)
    in[i] = o->inputs ? o->inputs[i] : own[i];
  float *out[PT_MAX_OUT] = {NULL};
  for (int i = 0; i < g->noutputs; i++) {
    int64_t n = pt_tensor_numel(&g->t[g->outputs[i]]);
    out[i] = pt_calloc(n > 0 ? n : 1, sizeof *out[i]);
  }
  double t0 = now_ms();
  pt_ref *ref = pt_ref_new(g, true);
  int rc = pt_ref_exec(ref, in, err);
  r->ref_ms = now_ms() - t0;
  double *absmax = NULL;
  if (rc) {
    pt_error_prefix(err, "verify: the reference failed: ");
    goto out;
  }
  // Run, compare the outputs, then (on a fail) find the first layer that
  // differs.
  pt_exec_opts xo = {.keep_global = true};
  pt_exec_report xr;
  pt_error xerr = {{0}};
  t0 = now_ms();
  int xrc = pt_exec_run(p, g, c, m, in, out, &xo, &xr, &xerr);
  r->exec_ms = now_ms() - t0;
  r->instructions_executed = xr.executed;
  double e, s;
  compare_outputs(g, out, ref, &e, &s, &r->outputs);
  r->max_golden = s;
  r->max_abs_err = xrc ? INFINITY : e;
  r->max_rel_err = r->max_abs_err / (s > 0 ? s : 1);
  bool outputs_ok = !xrc && e <= tol * (s > 1 ? s : 1);
  compare_layers(p, g, ref, &xr, tol, r);
  r->pass = outputs_ok && r->bad_node < 0;
  if (!r->pass) {
    char layer[PT_ERRMSG / 2] = "";
    if (r->bad_node >= 0)
      snprintf(layer, sizeof layer, "first differing layer '%s' (%s), "
               "error %g", g->n[r->bad_node].name,
               pt_op_names[g->n[r->bad_node].op], r->bad_node_err);
    else if (r->layers_compared)
      snprintf(layer, sizeof layer, "none of the %d layers seen whole "
               "differs", r->layers_compared);
    else
      snprintf(layer, sizeof layer, "no layer was seen whole");
    if (xrc)
      snprintf(r->reason, sizeof r->reason, "execution failed: %.250s; %.200s",
               xerr.msg, layer);
    else if (!outputs_ok)
      snprintf(r->reason, sizeof r->reason, "output error %g exceeds %g "
               "(tol %g x max(1, max |golden| = %g)); %s", e,
               tol * (s > 1 ? s : 1), tol, s, layer);
    else
      snprintf(r->reason, sizeof r->reason, "outputs within %g, but %s",
               tol * (s > 1 ? s : 1), layer);
  }
  pt_exec_report_free(&xr);
  if (o->fixed_point) {
    absmax = pt_calloc(g->nt, sizeof *absmax);
    int64_t N = batch_of(g);
    for (int t = 0; t < g->nt; t++) {
      const float *v = pt_ref_value(ref, t);
      if (v && !g->t[t].is_const)
        absmax[t] = max_abs(v, per_sample(g, t, N) * N);
    }
    pt_exec_opts fo = {.fixed_point = true, .absmax = absmax};
    xrc = pt_exec_run(p, g, c, m, in, out, &fo, NULL, &xerr);
    compare_outputs(g, out, ref, &e, &s, &r->outputs);
    r->fixed_max_abs_err = xrc ? INFINITY : e;
    r->fixed_max_rel_err = r->fixed_max_abs_err / (s > 0 ? s : 1);
  }
out:
  pt_ref_free(ref);
  free(absmax);
  for (int i = 0; i < g->ninputs; i++)
    free(own[i]);
  for (int i = 0; i < g->noutputs; i++)
    free(out[i]);
  return rc;
}

int pt_verify(pt_graph *g, const pt_arch *a, pt_unfold u, pt_repl how,
              pt_mode mode, const pt_verify_opts *o, pt_verify_report *r,
              pt_error *err) {
  pt_verify_opts dflt = pt_verify_defaults();
  if (!o)
    o = &dflt;
  bool random = !g->has_weights;
  if (random)
    pt_ref_random_weights(g, o->seed);
  pt_map_ctx ctx;
  if (pt_map_ctx_init(&ctx, g, a, err))
    return -1;
  pt_mapping *m = pt_map_new(&ctx);
  pt_program *p = NULL;
  int rc = pt_map_heuristic(m, &ctx, u, how, mode, err);
  if (!rc)
    rc = pt_schedule(&ctx, m, &p, err);
  if (!rc)
    rc = pt_verify_program(p, g, &ctx, m, o, r, err);
  else
    memset(r, 0, sizeof *r);
  r->random_weights = random;
  pt_prog_free(p);
  pt_map_free(m);
  pt_map_ctx_free(&ctx);
  return rc;
}
