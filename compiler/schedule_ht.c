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
// split by output pixels, each pixel loaded, computed on the vector unit
// and stored. A pixel is computed on the home core of the replica of the
// weight layer upstream that made the same fraction of that layer's
// output, so that the vector work follows what it reads in the same
// core's stream (layers without a weight layer upstream are dealt over
// all cores).
//
// Layer grouping: layers are grouped in topological order; a layer joins
// the current group when it is independent of the group or its dependency
// chain within the group still fits in one period. First-sample latency is
// then groups x period instead of layers x period. The groups are recorded
// in the program for the cost models.
#include "schedule.h"

#include <stdlib.h>
#include <string.h>

typedef sched ht;

static void emit_store(ht *h, int core, int node, uint32_t dst, uint32_t src,
                       int32_t len, int32_t pixel) {
  pt_inst *i = sc_emit(h, core, PT_I_STORE, node);
  i->dst = dst, i->src1 = src, i->len = len;
  i->flags = PT_IF_FINAL, i->arg = pixel;
}

// ---------------------------------------------------------------------------
// Weight layers: inputs come from global memory, outputs go back there.

// Where piece pc (rows [at, at + n) of this step's input) sat in the
// previous window's buffer of the same rows: its row there, or -1.
static int32_t previous_row(const ht *h, int np, const pt_piece *pc,
                            int32_t r0, int32_t rows) {
  int32_t at = 0;
  for (int k = 0; k < np; k++) {
    const pt_piece *q = &h->pieces2[k];
    if (!q->zero && q->y == pc->y && q->x == pc->x && q->c0 == pc->c0 &&
        q->n == pc->n)
      return at >= r0 && at + q->n <= r0 + rows ? at : -1;
    at += q->n;
  }
  return -1;
}

// HT inputs come from global memory; what the copy's previous window on
// this core already loaded (the overlap of sliding windows) is copied
// locally instead of loaded again.
static void load_rows(ht *h, wl *w, int core, int32_t mtx, int64_t s,
                      int32_t r0, int32_t rows, uint32_t buf, uint32_t prev,
                      int64_t prev_s) {
  int np = pt_part_inputs(h->g, w->part, mtx, s, h->pieces);
  int npp = prev_s >= 0 ? pt_part_inputs(h->g, w->part, mtx, prev_s,
                                         h->pieces2) : 0;
  bool fc = h->g->n[w->node].op == PT_OP_FC;
  const pt_gview *v = &h->p->gt[w->x];
  int32_t at = 0;
  for (int k = 0; k < np && at < r0 + rows; k++) {
    const pt_piece *pc = &h->pieces[k];
    int32_t lo = at > r0 ? at : r0;
    int32_t hi = at + pc->n < r0 + rows ? at + pc->n : r0 + rows;
    int32_t was = lo < hi && !pc->zero && npp
                      ? previous_row(h, npp, pc, r0, rows) : -1;
    if (lo < hi) {
      uint32_t dst = buf + (uint32_t)((lo - r0) * h->eb);
      if (pc->zero)
        sc_write(h, core, w->node, dst, hi - lo, 0);
      else if (was >= 0)
        sc_copy(h, core, w->node, dst,
                prev + (uint32_t)((was + lo - at - r0) * h->eb), hi - lo);
      else if (fc) // the flat input, HWC order
        sc_load(h, core, w->node, dst,
                (uint32_t)(v->base + (v->channel_off + pc->c0 + lo - at) *
                                         h->eb), hi - lo);
      else
        sc_load(h, core, w->node, dst,
                sc_gaddr(h, w->x, pc->y, pc->x, pc->c0 + (lo - at)), hi - lo);
    }
    at += pc->n;
  }
}

static void store_output(ht *h, wl *w, int64_t key, int core, uint32_t acc) {
  uint32_t dst;
  if (h->g->n[w->node].op == PT_OP_FC)
    dst = (uint32_t)(h->p->gt[w->y].base +
                     (h->p->gt[w->y].channel_off + key * w->ochan) * h->eb);
  else
    dst = sc_gaddr(h, w->y, key / w->part->out_chw[2],
                   key % w->part->out_chw[2], 0);
  emit_store(h, core, w->node, dst, acc, w->ochan, (int32_t)key);
  pt_prog_release(h->p, core, acc);
}

// Operator-level issue: at step t every replica computes its t-th window.
static int weight_layer(ht *h, int layer) {
  wl w;
  sc_wl_begin(h, &w, layer, load_rows, store_output, true);
  int64_t tmax = 0;
  for (int k = 0; k < h->m->repl[layer]; k++)
    if (w.count[k] > tmax)
      tmax = w.count[k];
  for (int64_t t = 0; t < tmax; t++)
    for (int k = 0; k < h->m->repl[layer]; k++)
      if (t < w.count[k]) {
        sc_wl_step(h, &w, k, w.first[k] + t);
        sc_wl_deliver(h, &w, k, w.first[k] + t);
      }
  return sc_wl_end(h, &w);
}

// ---------------------------------------------------------------------------
// Vector layers: output pixels split over cores

typedef struct {
  int64_t c, h, w;
} dims3;

static dims3 dims_of(const pt_graph *g, int t) {
  int64_t chw[3];
  sc_dims(g, t, chw);
  return (dims3){chw[0], chw[1], chw[2]};
}

// The weight layer whose output tensor t is, through vector layers and
// views (their first input), or -1 (a graph input or constant).
static int host_layer(const ht *h, int t) {
  for (int depth = 0; t >= 0 && depth < 64; depth++) {
    int pr = h->g->t[t].producer;
    if (pr < 0)
      return -1;
    for (int l = 0; l < h->c->nlayers; l++)
      if (h->c->node[l] == pr)
        return l;
    t = h->g->n[pr].nin > 0 ? h->g->n[pr].in[0] : -1;
  }
  return -1;
}

// The core that computes part i of the nparts parts (output pixels, or
// channel groups of a global pooling) of a vector layer downstream of
// weight layer `host` (host_layer): the home core of the host's replica
// that made the same fraction of its output. Replicas own contiguous
// ranges of windows in raster order (pt_map_steps), so the vector work
// lands on the core that produced what it reads, after that work in the
// core's stream, and holds up no core of another layer; dealing it over
// all cores instead made every core wait, at each vector layer, for the
// layer before it. Without a weight layer upstream (host -1), the parts
// are dealt over the cores from a rotating cursor.
static int pixel_core(ht *h, int host, int64_t i, int64_t nparts) {
  if (host >= 0) {
    const pt_part *pp = pt_map_part(h->c, host, h->m->unfold[host]);
    int64_t steps = pp->steps > 0 ? pp->steps : 1;
    int64_t s = i * steps / nparts, R = h->m->repl[host];
    int64_t q = steps / R, rem = steps % R;
    // The first rem replicas own q + 1 windows each, the others q.
    int64_t k = s < rem * (q + 1) ? s / (q + 1)
                                  : rem + (s - rem * (q + 1)) / q;
    return h->m->ag_core[h->m->ag_start[host] + k * pp->ags];
  }
  int64_t ncores = h->c->ncores;
  int64_t users = (nparts + 3) / 4 < ncores ? (nparts + 3) / 4 : ncores;
  int64_t chunk = (nparts + users - 1) / users;
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
  int host = host_layer(h, n->in[0]);
  for (int64_t i = 0; i < parts; i++) {
    int core = pixel_core(h, host, i, parts);
    int64_t oy = global ? 0 : i / out.w, ox = global ? 0 : i % out.w;
    int64_t c0 = global ? i * cpart : 0;
    int32_t len = (int32_t)(c0 + cpart < in.c ? cpart : in.c - c0);
    uint32_t acc = pt_prog_alloc(h->p, core, (int64_t)len * h->eb, node);
    uint32_t tmp = pt_prog_alloc(h->p, core, (int64_t)len * h->eb, node);
    int valid = 0, window = 0;
    for (int64_t ky = 0; ky < kh; ky++)
      for (int64_t kx = 0; kx < kw; kx++) {
        int64_t iy = oy * sh - ph + ky * dh, ix = ox * sw - pw + kx * dw;
        bool inside_pads = global || (iy < in.h + n->a.pad_end[0] &&
                                      ix < in.w + n->a.pad_end[n->a.nspatial - 1]);
        window += inside_pads;
        if (iy < 0 || iy >= in.h || ix < 0 || ix >= in.w)
          continue;
        sc_load(h, core, node, valid ? tmp : acc,
                  sc_gaddr(h, n->in[0], iy, ix, c0), len);
        if (valid)
          sc_vec(h, core, node, isavg ? PT_V_ADD : PT_V_MAX, acc, acc, tmp,
                   len);
        valid++;
      }
    if (!valid)
      sc_write(h, core, node, acc, len, 0);
    if (isavg) {
      pt_inst *sc = sc_emit(h, core, PT_I_VEC, node);
      sc->vop = PT_V_SCALE, sc->dst = acc, sc->src1 = acc, sc->len = len;
      int div = n->a.count_include_pad || global ? window : valid;
      sc->imm = 1.0f / (float)(div > 0 ? div : 1);
    }
    sc_act(h, core, n, node, acc, len);
    emit_store(h, core, node, sc_gaddr(h, n->out[0], oy, ox, c0), acc, len,
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
    return sc_gaddr(h, t, y, x, 0);
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
  int host = host_layer(h, n->in[0]);
  for (int64_t i = 0; i < npix; i++) {
    int core = pixel_core(h, host, i, npix);
    int64_t y = i / out.w, x = i % out.w;
    uint32_t a = pt_prog_alloc(h->p, core, (int64_t)len * h->eb, node);
    sc_load(h, core, node, a, operand_addr(h, ia, ka, y, x), len);
    if (!unary) {
      int32_t blen = kb == OPER_SCALAR ? 1 : len;
      uint32_t b = pt_prog_alloc(h->p, core, (int64_t)blen * h->eb, node);
      sc_load(h, core, node, b, operand_addr(h, ib, kb, y, x), blen);
      sc_vec(h, core, node, vop_of[n->op], a, a, b, len);
      if (kb == OPER_SCALAR)
        h->p->core[core].v[h->p->core[core].n - 1].flags |= PT_IF_BCAST;
      pt_prog_release(h->p, core, b);
    }
    sc_act(h, core, n, node, a, len);
    emit_store(h, core, node, sc_gaddr(h, n->out[0], y, x, 0), a, len, (int32_t)i);
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
    int host = host_layer(h, t);
    if (!aliased)
      for (int64_t i = 0; i < npix; i++) {
        int core = pixel_core(h, host, i, npix);
        int64_t y = i / out.w, x = i % out.w;
        uint32_t b = pt_prog_alloc(h->p, core, in.c * h->eb, node);
        sc_load(h, core, node, b, sc_gaddr(h, t, y, x, 0), (int32_t)in.c);
        emit_store(h, core, node, sc_gaddr(h, n->out[0], y, x, c0), b,
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
  int host = host_layer(h, n->in[0]);
  for (int64_t i = 0; i < npix; i++) {
    int core = pixel_core(h, host, i, npix);
    int64_t y = i / out.w, xx = i % out.w;
    uint32_t b = pt_prog_alloc(h->p, core, (int64_t)len * h->eb, node);
    sc_load(h, core, node, b, sc_gaddr(h, n->in[0], y, xx, 0), len);
    sc_vec(h, core, node, PT_V_SOFTMAX, b, b, 0, len);
    emit_store(h, core, node, sc_gaddr(h, n->out[0], y, xx, 0), b, len,
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
  int host = host_layer(h, n->in[0]);
  for (int64_t i = 0; i < npix; i++) {
    int core = pixel_core(h, host, i, npix);
    int64_t y = i / out.w, xx = i % out.w, iy = y - top, ix = xx - left;
    uint32_t b = pt_prog_alloc(h->p, core, in.c * h->eb, node);
    if (iy >= 0 && iy < in.h && ix >= 0 && ix < in.w)
      sc_load(h, core, node, b, sc_gaddr(h, n->in[0], iy, ix, 0), (int32_t)in.c);
    else
      sc_write(h, core, node, b, (int32_t)in.c, n->a.pad_value);
    emit_store(h, core, node, sc_gaddr(h, n->out[0], y, xx, 0), b, (int32_t)in.c,
               (int32_t)i);
    pt_prog_release(h->p, core, b);
  }
  next_layer_cores(h, npix);
  return 0;
}

// Per-pixel vector work that reads one input pixel: shuffle, LRN.
static void per_pixel(ht *h, int node) {
  const pt_node *n = &h->g->n[node];
  dims3 out = dims_of(h->g, n->out[0]);
  int64_t npix = out.h * out.w;
  int32_t len = (int32_t)out.c;
  int host = host_layer(h, n->in[0]);
  for (int64_t i = 0; i < npix; i++) {
    int core = pixel_core(h, host, i, npix);
    int64_t y = i / out.w, x = i % out.w;
    uint32_t a = pt_prog_alloc(h->p, core, (int64_t)len * h->eb, node);
    uint32_t b = pt_prog_alloc(h->p, core, (int64_t)len * h->eb, node);
    sc_load(h, core, node, a, sc_gaddr(h, n->in[0], y, x, 0), len);
    if (n->op == PT_OP_SHUFFLE)
      sc_shuffle(h, core, node, b, a, len);
    else
      sc_lrn(h, core, node, b, a, len);
    sc_act(h, core, n, node, b, len);
    emit_store(h, core, node, sc_gaddr(h, n->out[0], y, x, 0), b, len,
               (int32_t)i);
    pt_prog_release(h->p, core, b);
    pt_prog_release(h->p, core, a);
  }
  next_layer_cores(h, npix);
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
  case PT_OP_SHUFFLE:
  case PT_OP_LRN:
    per_pixel(h, node);
    return 0;
  case PT_OP_RESHAPE:
  case PT_OP_IDENTITY:
    return 0; // aliases: no data moves
  case PT_OP_SLICE:
    if (sc_channel_slice(h->g, n))
      return 0; // a view of its input's channels
    return pt_errorf(h->err, "node '%s': slicing other than a range of "
                     "channels is not supported by the scheduler", n->name);
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

int pt_sched_ht(const pt_map_ctx *c, const pt_mapping *m, pt_program **out,
                pt_error *err) {
  *out = NULL;
  if (pt_map_check(m, c, err))
    return -1;
  ht h;
  sc_init(&h, c, m, err);
  h.p->mode = PT_MODE_HT;
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
    rc = sc_check_memory(&h);
  free(layer_of);
  sc_fini(&h);
  if (rc) {
    pt_prog_free(h.p);
    return -1;
  }
  *out = h.p;
  return 0;
}
