// High-throughput scheduling: the streams of one steady-state period of
// the layer pipeline, in which every layer advances by one sample
// (PIMCOMP, TCAD 2024, Algorithm 1).
//
// Weight layers issue at operator level: at step t every replica computes
// the t-th of its sliding windows. For one window, each core that holds
// AGs of the replica loads the input rows its AGs need from global memory
// (padding is written as zeros), then runs the mvm of each AG (in-order
// cores: all loads first, then all mvm; out-of-order cores interleave).
// Every column range an AG produces is a partial sum of some output pixel;
// it is added into that pixel's accumulator on the pixel's owner (the home
// core, i.e. the core of AG 0, of the replica that makes the pixel's last
// contribution), sent there first when the AG sits elsewhere. When the
// last contribution is in, the owner adds the bias, applies the fused
// activation and stores the pixel. Sends and recvs are emitted together in
// one global order, so synchronous rendezvous cannot deadlock.
//
// Other layers (pooling, element-wise, concat copies, softmax, pad) are
// split by output pixels over all cores, each pixel loaded, computed on
// the vector unit and stored.
//
// Layer grouping: layers are grouped in topological order; a layer joins
// the current group when it is independent of the group or its dependency
// chain within the group still fits in one period. First-sample latency is
// then groups x period instead of layers x period. The groups are recorded
// in the program for the cost models.
#include "program.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const pt_map_ctx *c;
  const pt_mapping *m;
  const pt_graph *g;
  pt_program *p;
  pt_error *err;
  int eb;               // bytes per element
  int next_core;        // where the next vector layer's work starts
  pt_piece *pieces;     // scratch
  pt_target *targets;
} ht;

// ---------------------------------------------------------------------------
// Emission helpers

static int64_t tensor_width(const pt_graph *g, int t) {
  int64_t chw[3];
  return pt_tensor_chw(&g->t[t], chw) ? 1 : chw[2];
}

// Global byte address of element `ch` of pixel (y, x) of tensor t.
static uint32_t gaddr(const ht *h, int t, int64_t y, int64_t x, int64_t ch) {
  const pt_gview *v = &h->p->gt[t];
  int64_t pix = y * tensor_width(h->g, t) + x;
  return (uint32_t)(v->base +
                    (pix * v->pixel_stride + v->channel_off + ch) * h->eb);
}

static pt_inst *emit(ht *h, int core, pt_iop op, int node) {
  pt_inst *i = pt_prog_emit(h->p, core, op);
  i->node = node;
  return i;
}

// load/write merge with the previous instruction when contiguous and no
// buffer was allocated since (a merged instruction must not reach into a
// buffer that did not exist when it started).
static bool can_merge(const pt_stream *s) {
  return s->n && s->n - 1 >= s->last_alloc;
}

static void emit_load(ht *h, int core, int node, uint32_t dst, uint32_t src,
                      int32_t len) {
  pt_stream *s = &h->p->core[core];
  if (can_merge(s)) {
    pt_inst *l = &s->v[s->n - 1];
    if (l->op == PT_I_LOAD && l->node == node &&
        l->dst + (uint32_t)(l->len * h->eb) == dst &&
        l->src1 + (uint32_t)(l->len * h->eb) == src) {
      l->len += len;
      return;
    }
  }
  pt_inst *i = emit(h, core, PT_I_LOAD, node);
  i->dst = dst, i->src1 = src, i->len = len;
}

static void emit_zero(ht *h, int core, int node, uint32_t dst, int32_t len,
                      float value) {
  pt_stream *s = &h->p->core[core];
  if (can_merge(s)) {
    pt_inst *l = &s->v[s->n - 1];
    if (l->op == PT_I_WRITE && l->node == node && l->imm == value &&
        l->dst + (uint32_t)(l->len * h->eb) == dst) {
      l->len += len;
      return;
    }
  }
  pt_inst *i = emit(h, core, PT_I_WRITE, node);
  i->dst = dst, i->len = len, i->imm = value;
}

static void emit_vec(ht *h, int core, int node, pt_vop op, uint32_t dst,
                     uint32_t a, uint32_t b, int32_t len) {
  pt_inst *i = emit(h, core, PT_I_VEC, node);
  i->vop = (uint8_t)op, i->dst = dst, i->src1 = a, i->src2 = b, i->len = len;
}

// The fused activation of node n on buf.
static void emit_act(ht *h, int core, const pt_node *n, int node,
                     uint32_t buf, int32_t len) {
  static const pt_vop vop_of[PT_ACT_COUNT] = {
      [PT_ACT_RELU] = PT_V_RELU,           [PT_ACT_CLIP] = PT_V_CLIP,
      [PT_ACT_LEAKYRELU] = PT_V_LEAKYRELU, [PT_ACT_SIGMOID] = PT_V_SIGMOID,
      [PT_ACT_TANH] = PT_V_TANH,           [PT_ACT_HARDSIGMOID] = PT_V_HARDSIGMOID,
      [PT_ACT_HARDSWISH] = PT_V_HARDSWISH};
  if (n->act == PT_ACT_NONE)
    return;
  pt_inst *i = emit(h, core, PT_I_VEC, node);
  i->vop = (uint8_t)vop_of[n->act];
  i->dst = buf, i->src1 = buf, i->len = len;
  i->imm = n->act_a, i->imm2 = n->act_b;
}

static void emit_store(ht *h, int core, int node, uint32_t dst, uint32_t src,
                       int32_t len, int32_t pixel) {
  pt_inst *i = emit(h, core, PT_I_STORE, node);
  i->dst = dst, i->src1 = src, i->len = len;
  i->flags = PT_IF_FINAL, i->arg = pixel;
}

// A transfer: send on `from`, recv on `to` into a fresh buffer (returned).
static uint32_t transfer(ht *h, int node, int from, uint32_t src, int to,
                         int32_t len) {
  uint32_t dst = pt_prog_alloc(h->p, to, (int64_t)len * h->eb, node);
  pt_inst *s = emit(h, from, PT_I_SEND, node);
  s->arg = to, s->src1 = src, s->len = len;
  pt_inst *r = emit(h, to, PT_I_RECV, node);
  r->arg = from, r->dst = dst, r->len = len;
  return dst;
}

// ---------------------------------------------------------------------------
// Weight layers

typedef struct {
  int core;
  int32_t mtx, rb;     // the rows this buffer feeds
  uint32_t addr;
} inbuf;

typedef struct {
  ht *h;
  int layer, node, x, y;   // x, y: input and output tensors
  const pt_part *part;
  int64_t nkeys;           // accumulators: output pixels (fc: vectors)
  int32_t *expected;       // [nkeys] deliveries still to come
  int16_t *owner;          // [nkeys] owner replica
  int64_t *acc;            // [nkeys] accumulator address or -1
  int64_t *bias_at;        // [ncores] bias buffer or -1
  int32_t ochan;           // accumulator length (all output channels)
  uint32_t *outbuf;        // mvm results of the AGs of the current step,
  int32_t outbase;         // indexed by AG - outbase
} wl;

static int64_t key_of(const wl *w, const pt_target *t) {
  if (w->h->g->n[w->node].op == PT_OP_FC)
    return t->c0 / w->part->cols;
  return (int64_t)t->y * w->part->out_chw[2] + t->x;
}

static int32_t chan_of(const wl *w, const pt_target *t) {
  if (w->h->g->n[w->node].op == PT_OP_FC)
    return 0;
  return t->c0;
}

static int home_core(const wl *w, int replica) {
  return w->h->p->ag[w->h->m->ag_start[w->layer] +
                     replica * (int32_t)w->part->ags].core;
}

// Deliveries of one AG at step s: calls fn for each (target, overlap).
// Columns [a0, a0+an) of the AG's output land at channel `ch` of key.
typedef void (*deliver_fn)(wl *w, int agi, int64_t key, int32_t ch,
                           int32_t a0, int32_t an, int replica);

static void for_each_delivery(wl *w, int agi, int64_t s, int replica,
                              deliver_fn fn) {
  const pt_ag_info *a = &w->h->p->ag[agi];
  int nt = pt_part_targets(w->h->g, w->part, a->matrix, s, w->h->targets);
  for (int k = 0; k < nt; k++) {
    const pt_target *t = &w->h->targets[k];
    int32_t lo = t->col0 > a->col0 ? t->col0 : a->col0;
    int32_t hi = t->col0 + t->n < a->col0 + a->cols ? t->col0 + t->n
                                                    : a->col0 + a->cols;
    if (lo >= hi)
      continue;
    fn(w, agi, key_of(w, t), chan_of(w, t) + (lo - t->col0), lo - a->col0,
       hi - lo, replica);
  }
}

static void count_delivery(wl *w, int agi, int64_t key, int32_t ch,
                           int32_t a0, int32_t an, int replica) {
  w->expected[key]++;
  w->owner[key] = (int16_t)replica;
}

static void finalize(wl *w, int64_t key) {
  ht *h = w->h;
  const pt_node *n = &h->g->n[w->node];
  int core = home_core(w, w->owner[key]);
  uint32_t acc = (uint32_t)w->acc[key];
  if (n->nin > 2 && n->in[2] >= 0) {
    if (w->bias_at[core] < 0) {
      w->bias_at[core] = pt_prog_alloc(h->p, core,
                                       (int64_t)w->ochan * h->eb, w->node);
      emit_load(h, core, w->node, (uint32_t)w->bias_at[core],
                gaddr(h, n->in[2], 0, 0, 0), w->ochan);
    }
    emit_vec(h, core, w->node, PT_V_ADD, acc, acc,
             (uint32_t)w->bias_at[core], w->ochan);
  }
  emit_act(h, core, n, w->node, acc, w->ochan);
  uint32_t dst;
  if (n->op == PT_OP_FC)
    dst = (uint32_t)(h->p->gt[w->y].base +
                     (h->p->gt[w->y].channel_off + key * w->ochan) * h->eb);
  else
    dst = gaddr(h, w->y, key / w->part->out_chw[2], key % w->part->out_chw[2],
                0);
  emit_store(h, core, w->node, dst, acc, w->ochan, (int32_t)key);
  pt_prog_release(h->p, core, acc);
  w->acc[key] = -1;
}


static void add_delivery(wl *w, int agi, int64_t key, int32_t ch, int32_t a0,
                         int32_t an, int replica) {
  ht *h = w->h;
  int owner = home_core(w, w->owner[key]);
  int from = h->p->ag[agi].core;
  if (w->acc[key] < 0) {
    w->acc[key] = pt_prog_alloc(h->p, owner, (int64_t)w->ochan * h->eb,
                                w->node);
    emit_zero(h, owner, w->node, (uint32_t)w->acc[key], w->ochan, 0);
  }
  uint32_t src = w->outbuf[agi - w->outbase] + (uint32_t)(a0 * h->eb);
  uint32_t dst = (uint32_t)w->acc[key] + (uint32_t)(ch * h->eb);
  if (from == owner) {
    emit_vec(h, owner, w->node, PT_V_ADD, dst, dst, src, an);
  } else {
    uint32_t tmp = transfer(h, w->node, from, src, owner, an);
    emit_vec(h, owner, w->node, PT_V_ADD, dst, dst, tmp, an);
    pt_prog_release(h->p, owner, tmp);
  }
  if (--w->expected[key] == 0)
    finalize(w, key);
}


// Load the rows [r0, r0 + rows) of matrix mtx's input at step s into buf.
static void load_rows(ht *h, wl *w, int core, int32_t mtx, int64_t s,
                      int32_t r0, int32_t rows, uint32_t buf) {
  int np = pt_part_inputs(h->g, w->part, mtx, s, h->pieces);
  int32_t at = 0;
  for (int k = 0; k < np && at < r0 + rows; k++) {
    const pt_piece *pc = &h->pieces[k];
    int32_t lo = at > r0 ? at : r0;
    int32_t hi = at + pc->n < r0 + rows ? at + pc->n : r0 + rows;
    if (lo < hi) {
      uint32_t dst = buf + (uint32_t)((lo - r0) * h->eb);
      if (pc->zero)
        emit_zero(h, core, w->node, dst, hi - lo, 0);
      else if (h->g->n[w->node].op == PT_OP_FC)
        emit_load(h, core, w->node, dst,
                  (uint32_t)(h->p->gt[w->x].base +
                             (h->p->gt[w->x].channel_off + pc->c0 + lo - at) *
                                 h->eb),
                  hi - lo);
      else
        emit_load(h, core, w->node, dst,
                  gaddr(h, w->x, pc->y, pc->x, pc->c0 + (lo - at)), hi - lo);
    }
    at += pc->n;
  }
}

// One window (step s) of replica `rep`.
static void step(ht *h, wl *w, int rep, int64_t s) {
  const pt_part *pp = w->part;
  int32_t base = h->m->ag_start[w->layer] + rep * (int32_t)pp->ags;
  int nag = (int)pp->ags;
  inbuf *ins = pt_malloc(nag * sizeof *ins);
  int nins = 0;
  uint32_t *outs = pt_malloc(nag * sizeof *outs);
  bool inorder = h->c->a->exec == PT_EXEC_INORDER;
  // Cores in order of first appearance among the replica's AGs.
  int *cores = pt_malloc(nag * sizeof *cores), ncores = 0;
  for (int i = 0; i < nag; i++) {
    int core = h->p->ag[base + i].core, k = 0;
    while (k < ncores && cores[k] != core)
      k++;
    if (k == ncores)
      cores[ncores++] = core;
  }
  for (int ci = 0; ci < ncores; ci++) {
    int core = cores[ci];
    int first_in = nins;
    // Inputs: one buffer per (matrix, row block) used on this core.
    for (int i = 0; i < nag; i++) {
      const pt_ag_info *a = &h->p->ag[base + i];
      if (a->core != core)
        continue;
      int k = first_in;
      while (k < nins && !(ins[k].mtx == a->matrix && ins[k].rb == a->row0))
        k++;
      if (k < nins)
        continue;
      ins[nins] = (inbuf){core, a->matrix, a->row0,
                          pt_prog_alloc(h->p, core, (int64_t)a->rows * h->eb,
                                        w->node)};
      load_rows(h, w, core, a->matrix, s, a->row0, a->rows, ins[nins].addr);
      nins++;
      if (!inorder) { // out of order: this buffer's mvm follow at once
        for (int j = 0; j < nag; j++) {
          const pt_ag_info *b = &h->p->ag[base + j];
          if (b->core == core && b->matrix == a->matrix && b->row0 == a->row0) {
            outs[j] = pt_prog_alloc(h->p, core, (int64_t)b->cols * h->eb,
                                    w->node);
            pt_inst *mv = emit(h, core, PT_I_MVM, w->node);
            mv->arg = base + j, mv->dst = outs[j], mv->src1 = ins[nins - 1].addr;
            mv->len = b->rows, mv->len2 = b->cols;
          }
        }
      }
    }
    if (inorder)
      for (int j = 0; j < nag; j++) {
        const pt_ag_info *b = &h->p->ag[base + j];
        if (b->core != core)
          continue;
        int k = first_in;
        while (!(ins[k].mtx == b->matrix && ins[k].rb == b->row0))
          k++;
        outs[j] = pt_prog_alloc(h->p, core, (int64_t)b->cols * h->eb, w->node);
        pt_inst *mv = emit(h, core, PT_I_MVM, w->node);
        mv->arg = base + j, mv->dst = outs[j], mv->src1 = ins[k].addr;
        mv->len = b->rows, mv->len2 = b->cols;
      }
    for (int k = first_in; k < nins; k++)
      pt_prog_release(h->p, core, ins[k].addr);
  }
  // Partial sums to their owners.
  w->outbuf = outs, w->outbase = base;
  for (int i = 0; i < nag; i++)
    for_each_delivery(w, base + i, s, rep, add_delivery);
  for (int i = 0; i < nag; i++)
    pt_prog_release(h->p, h->p->ag[base + i].core, outs[i]);
  free(cores);
  free(outs);
  free(ins);
}

static int weight_layer(ht *h, int layer) {
  wl w = {.h = h, .layer = layer};
  w.node = h->c->node[layer];
  const pt_node *n = &h->g->n[w.node];
  w.x = n->in[0], w.y = n->out[0];
  w.part = pt_map_part(h->c, layer, h->m->unfold[layer]);
  w.ochan = n->op == PT_OP_FC ? (int32_t)w.part->cols
                              : (int32_t)w.part->out_chw[0];
  w.nkeys = n->op == PT_OP_FC ? (w.part->steps > 0 ? w.part->steps : 1)
                              : w.part->out_chw[1] * w.part->out_chw[2];
  w.expected = pt_calloc(w.nkeys, sizeof *w.expected);
  w.owner = pt_calloc(w.nkeys, sizeof *w.owner);
  w.acc = pt_malloc(w.nkeys * sizeof *w.acc);
  for (int64_t k = 0; k < w.nkeys; k++)
    w.acc[k] = -1;
  w.bias_at = pt_malloc(h->c->ncores * sizeof *w.bias_at);
  for (int i = 0; i < h->c->ncores; i++)
    w.bias_at[i] = -1;
  int R = h->m->repl[layer];
  int64_t *first = pt_malloc(R * sizeof *first), *count = pt_malloc(R * sizeof *count);
  int64_t tmax = 0;
  for (int k = 0; k < R; k++) {
    pt_map_steps(h->m, h->c, layer, k, &first[k], &count[k]);
    if (count[k] > tmax)
      tmax = count[k];
  }
  // Who owns which output and how many partial sums it waits for.
  for (int k = 0; k < R; k++) {
    int32_t base = h->m->ag_start[layer] + k * (int32_t)w.part->ags;
    for (int64_t s = first[k]; s < first[k] + count[k]; s++)
      for (int i = 0; i < w.part->ags; i++)
        for_each_delivery(&w, base + i, s, k, count_delivery);
  }
  for (int64_t t = 0; t < tmax; t++)
    for (int k = 0; k < R; k++)
      if (t < count[k])
        step(h, &w, k, first[k] + t);
  int rc = 0;
  for (int64_t k = 0; k < w.nkeys && !rc; k++)
    if (w.acc[k] >= 0 || w.expected[k] != 0)
      rc = pt_errorf(h->err, "node '%s': output %lld left incomplete "
                     "(internal error)", n->name, (long long)k);
  for (int i = 0; i < h->c->ncores; i++)
    if (w.bias_at[i] >= 0)
      pt_prog_release(h->p, i, (uint32_t)w.bias_at[i]);
  free(first);
  free(count);
  free(w.expected);
  free(w.owner);
  free(w.acc);
  free(w.bias_at);
  return rc;
}

// ---------------------------------------------------------------------------
// Vector layers: output pixels split over cores

typedef struct {
  int64_t c, h, w;
} dims3;

static dims3 dims_of(const pt_graph *g, int t) {
  int64_t chw[3];
  if (pt_tensor_chw(&g->t[t], chw)) {
    int64_t n = g->t[t].ndim ? g->t[t].dims[0] : 1;
    chw[0] = pt_tensor_numel(&g->t[t]) / (n > 0 ? n : 1), chw[1] = chw[2] = 1;
  }
  return (dims3){chw[0], chw[1], chw[2]};
}

// The core that computes output pixel i of a layer with npix pixels.
static int pixel_core(ht *h, int64_t i, int64_t npix) {
  int64_t ncores = h->c->ncores;
  int64_t users = (npix + 3) / 4 < ncores ? (npix + 3) / 4 : ncores;
  int64_t chunk = (npix + users - 1) / users;
  return (int)((h->next_core + i / chunk) % ncores);
}

static void next_layer_cores(ht *h, int64_t npix) {
  int64_t users = (npix + 3) / 4 < h->c->ncores ? (npix + 3) / 4 : h->c->ncores;
  h->next_core = (int)((h->next_core + users) % h->c->ncores);
}

static void pool(ht *h, int node) {
  const pt_node *n = &h->g->n[node];
  dims3 in = dims_of(h->g, n->in[0]), out = dims_of(h->g, n->out[0]);
  bool global = n->op == PT_OP_GLOBALAVG || n->op == PT_OP_GLOBALMAX;
  bool isavg = n->op == PT_OP_AVGPOOL || n->op == PT_OP_GLOBALAVG;
  int64_t kh = global ? in.h : n->a.nspatial == 2 ? n->a.kernel[0] : 1;
  int64_t kw = global ? in.w : n->a.kernel[n->a.nspatial - 1];
  int64_t sh = global ? 1 : n->a.nspatial == 2 ? n->a.stride[0] : 1;
  int64_t sw = global ? 1 : n->a.stride[n->a.nspatial - 1];
  int64_t ph = global ? 0 : n->a.nspatial == 2 ? n->a.pad_begin[0] : 0;
  int64_t pw = global ? 0 : n->a.pad_begin[n->a.nspatial - 1];
  int64_t dh = global ? 1 : n->a.nspatial == 2 ? n->a.dilation[0] : 1;
  int64_t dw = global ? 1 : n->a.dilation[n->a.nspatial - 1];
  if (dh < 1)
    dh = 1;
  if (dw < 1)
    dw = 1;
  int64_t npix = out.h * out.w;
  // Global pooling has one pixel: split its channels over cores instead.
  int64_t parts = global ? (in.c + 15) / 16 : npix;
  int64_t cpart = global ? 16 : in.c;
  for (int64_t i = 0; i < parts; i++) {
    int core = pixel_core(h, i, parts);
    int64_t oy = global ? 0 : i / out.w, ox = global ? 0 : i % out.w;
    int64_t c0 = global ? i * cpart : 0;
    int32_t len = (int32_t)(c0 + cpart < in.c ? cpart : in.c - c0);
    uint32_t acc = pt_prog_alloc(h->p, core, (int64_t)len * h->eb, node);
    uint32_t tmp = pt_prog_alloc(h->p, core, (int64_t)len * h->eb, node);
    int valid = 0, window = 0;
    for (int64_t ky = 0; ky < kh; ky++)
      for (int64_t kx = 0; kx < kw; kx++) {
        int64_t iy = oy * sh - ph + ky * dh, ix = ox * sw - pw + kx * dw;
        bool inside_pads = iy < in.h + n->a.pad_end[0] &&
                           ix < in.w + n->a.pad_end[n->a.nspatial - 1];
        window += global || inside_pads;
        if (iy < 0 || iy >= in.h || ix < 0 || ix >= in.w)
          continue;
        emit_load(h, core, node, valid ? tmp : acc,
                  gaddr(h, n->in[0], iy, ix, c0), len);
        if (valid)
          emit_vec(h, core, node, isavg ? PT_V_ADD : PT_V_MAX, acc, acc, tmp,
                   len);
        valid++;
      }
    if (!valid)
      emit_zero(h, core, node, acc, len, 0);
    if (isavg) {
      pt_inst *sc = emit(h, core, PT_I_VEC, node);
      sc->vop = PT_V_SCALE, sc->dst = acc, sc->src1 = acc, sc->len = len;
      int div = n->a.count_include_pad || global ? window : valid;
      sc->imm = 1.0f / (float)(div > 0 ? div : 1);
    }
    emit_act(h, core, n, node, acc, len);
    emit_store(h, core, node, gaddr(h, n->out[0], oy, ox, c0), acc, len,
               (int32_t)(oy * out.w + ox));
    pt_prog_release(h->p, core, tmp);
    pt_prog_release(h->p, core, acc);
  }
  next_layer_cores(h, parts);
}

// Where operand t of an element-wise op is read for output pixel (y, x):
// a tensor of the output's shape per pixel, a per-channel vector, or one
// element broadcast. Returns 0 ok, else -1 (unsupported broadcast).
typedef enum { OPER_PIXEL, OPER_CHANNEL, OPER_SCALAR } oper;

static int operand_kind(const pt_graph *g, int t, dims3 out, oper *k) {
  const pt_tensor *x = &g->t[t];
  int64_t numel = pt_tensor_numel(x);
  int64_t per = x->ndim && !x->is_const ? numel / (x->dims[0] > 0 ? x->dims[0] : 1)
                                        : numel;
  if (numel == 1)
    *k = OPER_SCALAR;
  else if (per == out.c * out.h * out.w)
    *k = OPER_PIXEL;
  else if (per == out.c)
    *k = OPER_CHANNEL;
  else
    return -1;
  return 0;
}

static uint32_t operand_addr(ht *h, int t, oper k, int64_t y, int64_t x) {
  if (k == OPER_PIXEL)
    return gaddr(h, t, y, x, 0);
  return (uint32_t)h->p->gt[t].base;
}

static int eltwise(ht *h, int node) {
  const pt_node *n = &h->g->n[node];
  dims3 out = dims_of(h->g, n->out[0]);
  static const pt_vop vop_of[] = {[PT_OP_ADD] = PT_V_ADD,
                                  [PT_OP_SUB] = PT_V_SUB,
                                  [PT_OP_MUL] = PT_V_MUL,
                                  [PT_OP_DIV] = PT_V_DIV};
  bool unary = n->op == PT_OP_ACT;
  oper ka = OPER_PIXEL, kb = OPER_PIXEL;
  if (operand_kind(h->g, n->in[0], out, &ka) ||
      (!unary && operand_kind(h->g, n->in[1], out, &kb)))
    return pt_errorf(h->err, "node '%s': %s with this broadcast is not "
                     "supported by the scheduler (operands must match the "
                     "output, be per-channel, or be one element)", n->name,
                     pt_op_names[n->op]);
  if (ka != OPER_PIXEL && !unary) { // keep the full operand first
    oper t = ka;
    ka = kb, kb = t;
    if (n->op == PT_OP_SUB || n->op == PT_OP_DIV || ka != OPER_PIXEL)
      return pt_errorf(h->err, "node '%s': %s whose first operand is "
                       "broadcast is not supported by the scheduler",
                       n->name, pt_op_names[n->op]);
  }
  int ia = n->in[0], ib = unary ? -1 : n->in[1];
  if (!unary && pt_tensor_numel(&h->g->t[ia]) < pt_tensor_numel(&h->g->t[ib])) {
    int t = ia;
    ia = ib, ib = t;
  }
  int64_t npix = out.h * out.w;
  int32_t len = (int32_t)out.c;
  for (int64_t i = 0; i < npix; i++) {
    int core = pixel_core(h, i, npix);
    int64_t y = i / out.w, x = i % out.w;
    uint32_t a = pt_prog_alloc(h->p, core, (int64_t)len * h->eb, node);
    emit_load(h, core, node, a, operand_addr(h, ia, ka, y, x), len);
    if (!unary) {
      int32_t blen = kb == OPER_SCALAR ? 1 : len;
      uint32_t b = pt_prog_alloc(h->p, core, (int64_t)blen * h->eb, node);
      emit_load(h, core, node, b, operand_addr(h, ib, kb, y, x), blen);
      emit_vec(h, core, node, vop_of[n->op], a, a, b, len);
      if (kb == OPER_SCALAR)
        h->p->core[core].v[h->p->core[core].n - 1].flags |= PT_IF_BCAST;
      pt_prog_release(h->p, core, b);
    }
    emit_act(h, core, n, node, a, len);
    emit_store(h, core, node, gaddr(h, n->out[0], y, x, 0), a, len, (int32_t)i);
    pt_prog_release(h->p, core, a);
  }
  next_layer_cores(h, npix);
  return 0;
}

static int concat(ht *h, int node) {
  const pt_node *n = &h->g->n[node];
  dims3 out = dims_of(h->g, n->out[0]);
  if (n->a.axis != 1)
    return pt_errorf(h->err, "node '%s': concat on axis %d is not supported "
                     "by the scheduler (channels, axis 1, is)", n->name,
                     n->a.axis);
  int64_t npix = out.h * out.w;
  int32_t c0 = 0;
  for (int j = 0; j < n->nin; j++) {
    int t = n->in[j];
    dims3 in = dims_of(h->g, t);
    const pt_gview *vi = &h->p->gt[t], *vo = &h->p->gt[n->out[0]];
    bool aliased = vi->base == vo->base && vi->pixel_stride == vo->pixel_stride
                   && vi->channel_off == vo->channel_off + c0;
    if (!aliased)
      for (int64_t i = 0; i < npix; i++) {
        int core = pixel_core(h, i, npix);
        int64_t y = i / out.w, x = i % out.w;
        uint32_t b = pt_prog_alloc(h->p, core, in.c * h->eb, node);
        emit_load(h, core, node, b, gaddr(h, t, y, x, 0), (int32_t)in.c);
        emit_store(h, core, node, gaddr(h, n->out[0], y, x, c0), b,
                   (int32_t)in.c, (int32_t)i);
        pt_prog_release(h->p, core, b);
      }
    c0 += (int32_t)in.c;
  }
  if (npix)
    next_layer_cores(h, npix);
  return 0;
}

static int softmax(ht *h, int node) {
  const pt_node *n = &h->g->n[node];
  const pt_tensor *x = &h->g->t[n->in[0]];
  dims3 out = dims_of(h->g, n->out[0]);
  bool channels = n->a.axis == 1 && (x->ndim == 2 || x->ndim == 4 ||
                                     n->a.softmax_legacy);
  if (!channels && !(n->a.axis == x->ndim - 1 && x->ndim == 2))
    return pt_errorf(h->err, "node '%s': softmax over axis %d of a rank-%d "
                     "tensor is not supported by the scheduler (over "
                     "channels is)", n->name, n->a.axis, x->ndim);
  int64_t npix = out.h * out.w;
  int32_t len = (int32_t)out.c;
  if (n->a.softmax_legacy && x->ndim == 4) { // coerced to [N, C*H*W]
    npix = 1;
    len = (int32_t)(out.c * out.h * out.w);
  }
  for (int64_t i = 0; i < npix; i++) {
    int core = pixel_core(h, i, npix);
    int64_t y = i / out.w, xx = i % out.w;
    uint32_t b = pt_prog_alloc(h->p, core, (int64_t)len * h->eb, node);
    emit_load(h, core, node, b, gaddr(h, n->in[0], y, xx, 0), len);
    emit_vec(h, core, node, PT_V_SOFTMAX, b, b, 0, len);
    emit_store(h, core, node, gaddr(h, n->out[0], y, xx, 0), b, len,
               (int32_t)i);
    pt_prog_release(h->p, core, b);
  }
  next_layer_cores(h, npix);
  return 0;
}

static int pad(ht *h, int node) {
  const pt_node *n = &h->g->n[node];
  const pt_tensor *x = &h->g->t[n->in[0]];
  int nd = x->ndim;
  for (int i = 0; i < nd; i++)
    if ((nd != 4 || i < 2) && (n->a.pads[i] || n->a.pads[nd + i]))
      return pt_errorf(h->err, "node '%s': padding of dimension %d is not "
                       "supported by the scheduler (only height and width "
                       "of NCHW tensors)", n->name, i);
  dims3 in = dims_of(h->g, n->in[0]), out = dims_of(h->g, n->out[0]);
  int64_t top = nd == 4 ? n->a.pads[2] : 0, left = nd == 4 ? n->a.pads[3] : 0;
  int64_t npix = out.h * out.w;
  for (int64_t i = 0; i < npix; i++) {
    int core = pixel_core(h, i, npix);
    int64_t y = i / out.w, xx = i % out.w, iy = y - top, ix = xx - left;
    uint32_t b = pt_prog_alloc(h->p, core, in.c * h->eb, node);
    if (iy >= 0 && iy < in.h && ix >= 0 && ix < in.w)
      emit_load(h, core, node, b, gaddr(h, n->in[0], iy, ix, 0), (int32_t)in.c);
    else
      emit_zero(h, core, node, b, (int32_t)in.c, n->a.pad_value);
    emit_store(h, core, node, gaddr(h, n->out[0], y, xx, 0), b, (int32_t)in.c,
               (int32_t)i);
    pt_prog_release(h->p, core, b);
  }
  next_layer_cores(h, npix);
  return 0;
}

static int vector_layer(ht *h, int node) {
  const pt_node *n = &h->g->n[node];
  switch (n->op) {
  case PT_OP_MAXPOOL:
  case PT_OP_AVGPOOL:
  case PT_OP_GLOBALAVG:
  case PT_OP_GLOBALMAX:
    if (n->a.nspatial > 2)
      return pt_errorf(h->err, "node '%s': %d-D pooling is not supported by "
                       "the scheduler", n->name, n->a.nspatial);
    pool(h, node);
    return 0;
  case PT_OP_ACT:
  case PT_OP_ADD:
  case PT_OP_SUB:
  case PT_OP_MUL:
  case PT_OP_DIV:
    return eltwise(h, node);
  case PT_OP_CONCAT:
    return concat(h, node);
  case PT_OP_SOFTMAX:
    return softmax(h, node);
  case PT_OP_PAD:
    return pad(h, node);
  case PT_OP_RESHAPE:
  case PT_OP_IDENTITY:
    return 0; // aliases: no data moves
  default:
    return pt_errorf(h->err, "node '%s': %s is not supported by the "
                     "scheduler yet", n->name, pt_op_names[n->op]);
  }
}

// ---------------------------------------------------------------------------
// Layer grouping

// A layer's time in a period, in mvm rounds: its slowest replica's steps.
static int64_t layer_rounds(const pt_map_ctx *c, const pt_mapping *m, int l) {
  return pt_ceil_div(pt_map_part(c, l, m->unfold[l])->steps, m->repl[l]);
}

static void group_layers(const pt_map_ctx *c, const pt_mapping *m,
                         pt_program *p) {
  const pt_graph *g = c->g;
  int64_t period = 0;
  for (int l = 0; l < c->nlayers; l++)
    if (layer_rounds(c, m, l) > period)
      period = layer_rounds(c, m, l);
  int *layer_of = pt_malloc(g->nn * sizeof *layer_of);
  for (int i = 0; i < g->nn; i++)
    layer_of[i] = -1;
  for (int l = 0; l < c->nlayers; l++)
    layer_of[c->node[l]] = l;
  // finish[i]: time at which node i's result is ready within its group,
  // counted from the group's start; -1 when it belongs to an older group.
  int64_t *finish = pt_malloc(g->nn * sizeof *finish);
  int group = 0;
  bool any = false;
  for (int i = 0; i < g->nn; i++) {
    const pt_node *n = &g->n[i];
    int64_t ready = 0; // latest input produced in the current group
    for (int j = 0; j < n->nin; j++) {
      int t = n->in[j];
      int pr = t >= 0 ? g->t[t].producer : -1;
      if (pr >= 0 && p->group[pr] == group && finish[pr] > ready)
        ready = finish[pr];
    }
    int64_t t = layer_of[i] >= 0 ? layer_rounds(c, m, layer_of[i]) : 0;
    if (layer_of[i] >= 0 && any &&
        (!m->ht_grouping || ready + t > period)) {
      group++;
      ready = 0;
    }
    p->group[i] = group;
    finish[i] = ready + t;
    any |= layer_of[i] >= 0;
  }
  p->ngroups = group + 1;
  free(finish);
  free(layer_of);
}

// ---------------------------------------------------------------------------

static int check_memory(const ht *h) {
  for (int c = 0; c < h->p->ncores; c++)
    if (h->p->core[c].peak_local_bytes > h->p->local_capacity) {
      // Name the layer of the largest buffer live at the peak: the node of
      // the last buffer reaching beyond the capacity.
      int node = -1;
      for (int64_t i = 0; i < h->p->nbuf; i++)
        if (h->p->buf[i].core == c &&
            h->p->buf[i].addr + h->p->buf[i].bytes > h->p->local_capacity) {
          node = h->p->buf[i].node;
          break;
        }
      return pt_errorf(h->err, "local memory: core %d needs %lld bytes (at "
                       "layer '%s'), it has %lld", c,
                       (long long)h->p->core[c].peak_local_bytes,
                       node >= 0 ? h->g->n[node].name : "?",
                       (long long)h->p->local_capacity);
    }
  return 0;
}

int pt_sched_ht(const pt_map_ctx *c, const pt_mapping *m, pt_program **out,
                pt_error *err) {
  *out = NULL;
  if (pt_map_check(m, c, err))
    return -1;
  ht h = {.c = c, .m = m, .g = c->g, .err = err};
  h.p = pt_prog_new(c, m);
  h.p->mode = PT_MODE_HT;
  h.eb = h.p->elem_bytes;
  int maxp = 1;
  for (int l = 0; l < c->nlayers; l++) {
    const pt_part *pp = pt_map_part(c, l, m->unfold[l]);
    int k = pt_part_max_pieces(pp);
    if (k > maxp)
      maxp = k;
    if (pp->cols > maxp)
      maxp = (int)pp->cols;
  }
  h.pieces = pt_malloc(maxp * sizeof *h.pieces);
  h.targets = pt_malloc(maxp * sizeof *h.targets);
  int rc = pt_prog_layout_global(h.p, c->g, err);
  if (!rc)
    group_layers(c, m, h.p);
  int *layer_of = pt_malloc(c->g->nn * sizeof *layer_of);
  for (int i = 0; i < c->g->nn; i++)
    layer_of[i] = -1;
  for (int l = 0; l < c->nlayers; l++)
    layer_of[c->node[l]] = l;
  for (int i = 0; i < c->g->nn && !rc; i++)
    rc = layer_of[i] >= 0 ? weight_layer(&h, layer_of[i])
                          : vector_layer(&h, i);
  pt_prog_release_all(h.p);
  if (!rc)
    rc = check_memory(&h);
  free(layer_of);
  free(h.pieces);
  free(h.targets);
  if (rc) {
    pt_prog_free(h.p);
    return -1;
  }
  *out = h.p;
  return 0;
}
