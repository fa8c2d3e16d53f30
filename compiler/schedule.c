// The schedulers' shared machinery: emission helpers and the weight-layer
// engine (see schedule.h for how one step of a replica is computed).
#include "schedule.h"

#include <stdlib.h>
#include <string.h>

void sc_init(sched *h, const pt_map_ctx *c, const pt_mapping *m,
             pt_error *err) {
  memset(h, 0, sizeof *h);
  h->c = c, h->m = m, h->g = c->g, h->err = err;
  h->p = pt_prog_new(c, m);
  h->eb = h->p->elem_bytes;
  int maxp = 1;
  for (int l = 0; l < c->nlayers; l++) {
    const pt_part *pp = pt_map_part(c, l, m->unfold[l]);
    if (pt_part_max_pieces(pp) > maxp)
      maxp = pt_part_max_pieces(pp);
    if (pp->cols > maxp)
      maxp = (int)pp->cols;
  }
  h->pieces = pt_malloc(maxp * sizeof *h->pieces);
  h->pieces2 = pt_malloc(maxp * sizeof *h->pieces2);
  h->targets = pt_malloc(maxp * sizeof *h->targets);
}

void sc_fini(sched *h) {
  free(h->pieces);
  free(h->pieces2);
  free(h->targets);
}

int sc_check_memory(const sched *h) {
  for (int c = 0; c < h->p->ncores; c++)
    if (h->p->core[c].peak_local_bytes > h->p->local_capacity) {
      // The layer of the first buffer reaching beyond the capacity.
      int node = -1;
      for (int64_t i = 0; i < h->p->nbuf && node < 0; i++)
        if (h->p->buf[i].core == c &&
            h->p->buf[i].addr + h->p->buf[i].bytes > h->p->local_capacity)
          node = h->p->buf[i].node;
      return pt_errorf(h->err, "local memory: core %d needs %lld bytes (at "
                       "layer '%s'), it has %lld", c,
                       (long long)h->p->core[c].peak_local_bytes,
                       node >= 0 ? h->g->n[node].name : "?",
                       (long long)h->p->local_capacity);
    }
  return 0;
}

// ---------------------------------------------------------------------------
// Emission helpers

void sc_dims(const pt_graph *g, int t, int64_t chw[3]) {
  if (pt_tensor_chw(&g->t[t], chw)) {
    const pt_tensor *x = &g->t[t];
    int64_t n = x->ndim && x->dims[0] > 0 && !x->is_const ? x->dims[0] : 1;
    chw[0] = pt_tensor_numel(x) / n, chw[1] = chw[2] = 1;
  }
}

uint32_t sc_gaddr(const sched *h, int t, int64_t y, int64_t x, int64_t ch) {
  const pt_gview *v = &h->p->gt[t];
  int64_t chw[3];
  sc_dims(h->g, t, chw);
  int64_t pix = y * chw[2] + x;
  return (uint32_t)(v->base +
                    (pix * v->pixel_stride + v->channel_off + ch) * h->eb);
}

pt_inst *sc_emit(sched *h, int core, pt_iop op, int node) {
  pt_inst *i = pt_prog_emit(h->p, core, op);
  i->node = node;
  return i;
}

// A merged instruction must not reach into a buffer allocated after it
// started: merge only when nothing was allocated since.
static pt_inst *mergeable(sched *h, int core, pt_iop op, int node) {
  pt_stream *s = &h->p->core[core];
  if (!s->n || s->n - 1 < s->last_alloc)
    return NULL;
  pt_inst *l = &s->v[s->n - 1];
  return l->op == op && l->node == node ? l : NULL;
}

// load or copy, extending the previous one when both sides continue it.
static void emit_move(sched *h, int core, int node, pt_iop op, uint32_t dst,
                      uint32_t src, int32_t len) {
  pt_inst *l = mergeable(h, core, op, node);
  uint32_t n = (uint32_t)(l ? l->len * h->eb : 0);
  if (l && l->dst + n == dst && l->src1 + n == src) {
    l->len += len;
    return;
  }
  pt_inst *i = sc_emit(h, core, op, node);
  i->dst = dst, i->src1 = src, i->len = len;
}

void sc_load(sched *h, int core, int node, uint32_t dst, uint32_t src,
             int32_t len) {
  emit_move(h, core, node, PT_I_LOAD, dst, src, len);
}

void sc_copy(sched *h, int core, int node, uint32_t dst, uint32_t src,
             int32_t len) {
  emit_move(h, core, node, PT_I_COPY, dst, src, len);
}

void sc_write(sched *h, int core, int node, uint32_t dst, int32_t len,
              float value) {
  pt_inst *l = mergeable(h, core, PT_I_WRITE, node);
  if (l && l->imm == value && l->dst + (uint32_t)(l->len * h->eb) == dst) {
    l->len += len;
    return;
  }
  pt_inst *i = sc_emit(h, core, PT_I_WRITE, node);
  i->dst = dst, i->len = len, i->imm = value;
}

void sc_vec(sched *h, int core, int node, pt_vop op, uint32_t dst,
            uint32_t a, uint32_t b, int32_t len) {
  pt_inst *i = sc_emit(h, core, PT_I_VEC, node);
  i->vop = (uint8_t)op, i->dst = dst, i->src1 = a, i->src2 = b, i->len = len;
}

void sc_act(sched *h, int core, const pt_node *n, int node, uint32_t buf,
            int32_t len) {
  static const pt_vop vop_of[PT_ACT_COUNT] = {
      [PT_ACT_RELU] = PT_V_RELU,           [PT_ACT_CLIP] = PT_V_CLIP,
      [PT_ACT_LEAKYRELU] = PT_V_LEAKYRELU, [PT_ACT_SIGMOID] = PT_V_SIGMOID,
      [PT_ACT_TANH] = PT_V_TANH,
      [PT_ACT_HARDSIGMOID] = PT_V_HARDSIGMOID,
      [PT_ACT_HARDSWISH] = PT_V_HARDSWISH};
  if (n->act == PT_ACT_NONE)
    return;
  pt_inst *i = sc_emit(h, core, PT_I_VEC, node);
  i->vop = (uint8_t)vop_of[n->act];
  i->dst = buf, i->src1 = buf, i->len = len;
  i->imm = n->act_a, i->imm2 = n->act_b;
}

void sc_lrn(sched *h, int core, int node, uint32_t dst, uint32_t src,
            int32_t len) {
  const pt_node *n = &h->g->n[node];
  uint32_t sq = pt_prog_alloc(h->p, core, (int64_t)len * h->eb, node);
  sc_vec(h, core, node, PT_V_MUL, sq, src, src, len);
  pt_inst *w = sc_emit(h, core, PT_I_VEC, node);
  w->vop = PT_V_WINSUM, w->dst = dst, w->src1 = sq, w->len = len;
  w->len2 = (int32_t)n->a.lrn_size;
  pt_prog_release(h->p, core, sq);
  pt_inst *a = sc_emit(h, core, PT_I_VEC, node);
  a->vop = PT_V_SCALE, a->dst = dst, a->src1 = dst, a->len = len;
  a->imm = n->a.alpha / (float)n->a.lrn_size;
  pt_inst *b = sc_emit(h, core, PT_I_VEC, node);
  b->vop = PT_V_ADDS, b->dst = dst, b->src1 = dst, b->len = len;
  b->imm = n->a.lrn_bias;
  pt_inst *c = sc_emit(h, core, PT_I_VEC, node);
  c->vop = PT_V_POW, c->dst = dst, c->src1 = dst, c->len = len;
  c->imm = -n->a.beta;
  sc_vec(h, core, node, PT_V_MUL, dst, dst, src, len);
}

void sc_shuffle(sched *h, int core, int node, uint32_t dst, uint32_t src,
                int32_t len) {
  // Output channel j*g + i is input channel i*m + j (m = len / g).
  int32_t g = (int32_t)h->g->n[node].a.group, m = len / g;
  for (int32_t o = 0; o < len; o++)
    sc_copy(h, core, node, dst + (uint32_t)(o * h->eb),
            src + (uint32_t)(((o % g) * m + o / g) * h->eb), 1);
}

bool sc_channel_slice(const pt_graph *g, const pt_node *n) {
  const pt_tensor *x = &g->t[n->in[0]];
  if (n->op != PT_OP_SLICE || x->ndim < 2)
    return false;
  for (int a = 0; a < x->ndim; a++) {
    bool whole = n->a.slice_start[a] == 0 && n->a.slice_end[a] == x->dims[a];
    if (n->a.slice_step[a] != 1 || (a != 1 && !whole))
      return false;
  }
  return true;
}

uint32_t sc_transfer(sched *h, int node, int from, uint32_t src, int to,
                     int32_t len) {
  uint32_t dst = pt_prog_alloc(h->p, to, (int64_t)len * h->eb, node);
  pt_inst *s = sc_emit(h, from, PT_I_SEND, node);
  s->arg = to, s->src1 = src, s->len = len;
  pt_inst *r = sc_emit(h, to, PT_I_RECV, node);
  r->arg = from, r->dst = dst, r->len = len;
  return dst;
}

// ---------------------------------------------------------------------------
// The weight-layer engine


static bool is_fc(const wl *w) { return w->h->g->n[w->node].op == PT_OP_FC; }

static int64_t key_of(const wl *w, const pt_target *t) {
  if (is_fc(w))
    return t->c0 / w->part->cols;
  return (int64_t)t->y * w->part->out_chw[2] + t->x;
}

int sc_replica_of(const wl *w, int64_t step) {
  int R = w->h->m->repl[w->layer];
  if (w->h->m->mode == PT_MODE_LL)
    return (int)(step % R);
  for (int k = R - 1; k > 0; k--) // contiguous ranges, in replica order
    if (step >= w->first[k])
      return k;
  return 0;
}

int sc_home_core(const wl *w, int replica) {
  return w->h->p->ag[w->h->m->ag_start[w->layer] +
                     replica * (int32_t)w->part->ags].core;
}

// Calls fn for each column range of AG agi's output at step s: columns
// [a0, a0 + an) of the AG land at channel ch of output key.
typedef void (*deliver_fn)(wl *w, int agi, int64_t key, int32_t ch,
                           int32_t a0, int32_t an, int replica);

static void for_each_delivery(wl *w, int agi, int64_t s, int replica,
                              deliver_fn fn) {
  const pt_ag_info *a = &w->h->p->ag[agi];
  pt_target *tg = w->h->targets;
  int nt = pt_part_targets(w->h->g, w->part, a->matrix, s, tg);
  for (int k = 0; k < nt; k++) {
    int32_t lo = tg[k].col0 > a->col0 ? tg[k].col0 : a->col0;
    int32_t hi = tg[k].col0 + tg[k].n < a->col0 + a->cols
                     ? tg[k].col0 + tg[k].n
                     : a->col0 + a->cols;
    if (lo >= hi)
      continue;
    int32_t ch = (is_fc(w) ? 0 : tg[k].c0) + (lo - tg[k].col0);
    fn(w, agi, key_of(w, &tg[k]), ch, lo - a->col0, hi - lo, replica);
  }
}

static void count_delivery(wl *w, int agi, int64_t key, int32_t ch,
                           int32_t a0, int32_t an, int replica) {
  w->expected[key]++;
  w->owner[key] = (int16_t)replica;
}

static void finish(wl *w, int64_t key) {
  sched *h = w->h;
  const pt_node *n = &h->g->n[w->node];
  int core = sc_home_core(w, w->owner[key]);
  uint32_t acc = (uint32_t)w->acc[key];
  bool fc = n->op == PT_OP_FC;
  if (fc && n->a.alpha != 1.0f) { // Gemm: alpha * A B + beta * C
    pt_inst *sc = sc_emit(h, core, PT_I_VEC, w->node);
    sc->vop = PT_V_SCALE, sc->dst = acc, sc->src1 = acc, sc->len = w->ochan;
    sc->imm = n->a.alpha;
  }
  if (n->nin > 2 && n->in[2] >= 0) {
    // A bias of one element (Gemm's C may be a scalar) is broadcast.
    int32_t blen = pt_tensor_numel(&h->g->t[n->in[2]]) == 1 ? 1 : w->ochan;
    if (w->bias_at[core] < 0) {
      w->bias_at[core] = pt_prog_alloc(h->p, core, (int64_t)blen * h->eb,
                                       w->node);
      sc_load(h, core, w->node, (uint32_t)w->bias_at[core],
              (uint32_t)h->p->gt[n->in[2]].base, blen);
      if (fc && n->a.beta != 1.0f) {
        pt_inst *sc = sc_emit(h, core, PT_I_VEC, w->node);
        sc->vop = PT_V_SCALE, sc->dst = sc->src1 = (uint32_t)w->bias_at[core];
        sc->len = blen, sc->imm = n->a.beta;
      }
    }
    sc_vec(h, core, w->node, PT_V_ADD, acc, acc, (uint32_t)w->bias_at[core],
           w->ochan);
    if (blen == 1)
      h->p->core[core].v[h->p->core[core].n - 1].flags |= PT_IF_BCAST;
  }
  sc_act(h, core, n, w->node, acc, w->ochan);
  w->acc[key] = -1;
  w->done(h, w, key, core, acc);
}

static void add_delivery(wl *w, int agi, int64_t key, int32_t ch, int32_t a0,
                         int32_t an, int replica) {
  sched *h = w->h;
  int owner = sc_home_core(w, w->owner[key]);
  int from = h->p->ag[agi].core;
  if (w->acc[key] < 0) {
    w->acc[key] = pt_prog_alloc(h->p, owner, (int64_t)w->ochan * h->eb,
                                w->node);
    sc_write(h, owner, w->node, (uint32_t)w->acc[key], w->ochan, 0);
  }
  uint32_t src = w->outbuf[agi - w->outbase] + (uint32_t)(a0 * h->eb);
  uint32_t dst = (uint32_t)w->acc[key] + (uint32_t)(ch * h->eb);
  if (from == owner) {
    sc_vec(h, owner, w->node, PT_V_ADD, dst, dst, src, an);
  } else {
    uint32_t tmp = sc_transfer(h, w->node, from, src, owner, an);
    sc_vec(h, owner, w->node, PT_V_ADD, dst, dst, tmp, an);
    pt_prog_release(h->p, owner, tmp);
  }
  if (--w->expected[key] == 0)
    finish(w, key);
}

static void emit_mvm(sched *h, wl *w, int agi, uint32_t in) {
  const pt_ag_info *b = &h->p->ag[agi];
  uint32_t out = pt_prog_alloc(h->p, b->core, (int64_t)b->cols * h->eb,
                               w->node);
  w->outbuf[agi - w->outbase] = out;
  pt_inst *mv = sc_emit(h, b->core, PT_I_MVM, w->node);
  mv->arg = agi, mv->dst = out, mv->src1 = in;
  mv->len = b->rows, mv->len2 = b->cols;
}

// The kept input buffer of (copy rep, core, mtx, row0), or NULL.
static sc_inbuf *kept_of(wl *w, int rep, int core, int32_t mtx, int32_t row0) {
  for (int i = 0; w->keep_inputs && i < w->nkept[rep]; i++) {
    sc_inbuf *b = &w->kept[rep][i];
    if (b->core == core && b->mtx == mtx && b->row0 == row0)
      return b;
  }
  return NULL;
}

void sc_wl_step(sched *h, wl *w, int rep, int64_t s) {
  const pt_part *pp = w->part;
  int32_t base = h->m->ag_start[w->layer] + rep * (int32_t)pp->ags;
  int nag = (int)pp->ags;
  sc_inbuf *ins = pt_malloc(nag * sizeof *ins);
  int *cores = pt_malloc(nag * sizeof *cores), ncores = 0;
  bool inorder = h->c->a->exec == PT_EXEC_INORDER;
  // Cores in order of first appearance among the replica's AGs.
  for (int i = 0; i < nag; i++) {
    int core = h->p->ag[base + i].core, k = 0;
    while (k < ncores && cores[k] != core)
      k++;
    if (k == ncores)
      cores[ncores++] = core;
  }
  int nins = 0;
  for (int ci = 0; ci < ncores; ci++) {
    int core = cores[ci], first = nins;
    // One input buffer per (matrix, row block) used on this core; an
    // in-order core loads them all before its mvm, an out-of-order one
    // runs each buffer's mvm as soon as it is filled.
    for (int i = 0; i < nag; i++) {
      const pt_ag_info *a = &h->p->ag[base + i];
      int k = first;
      while (k < nins && !(ins[k].mtx == a->matrix && ins[k].row0 == a->row0))
        k++;
      if (a->core != core || k < nins)
        continue;
      sc_inbuf *b = &ins[nins++];
      *b = (sc_inbuf){core, a->matrix, a->row0,
                      pt_prog_alloc(h->p, core, (int64_t)a->rows * h->eb,
                                    w->node), s};
      const sc_inbuf *old = kept_of(w, rep, core, a->matrix, a->row0);
      w->fill(h, w, core, a->matrix, s, a->row0, a->rows, b->addr,
              old ? old->addr : 0, old ? old->step : -1);
      if (!inorder)
        for (int j = i; j < nag; j++) {
          const pt_ag_info *c = &h->p->ag[base + j];
          if (c->core == core && c->matrix == a->matrix && c->row0 == a->row0)
            emit_mvm(h, w, base + j, b->addr);
        }
    }
    if (inorder)
      for (int j = 0; j < nag; j++) {
        const pt_ag_info *c = &h->p->ag[base + j];
        if (c->core != core)
          continue;
        int k = first;
        while (!(ins[k].mtx == c->matrix && ins[k].row0 == c->row0))
          k++;
        emit_mvm(h, w, base + j, ins[k].addr);
      }
    // The previous window's buffers are done with; this window's are kept
    // for the next one (or released at once).
    for (int k = first; k < nins; k++) {
      sc_inbuf *old = kept_of(w, rep, core, ins[k].mtx, ins[k].row0);
      if (old) {
        pt_prog_release(h->p, core, old->addr);
        *old = ins[k];
      } else if (w->keep_inputs) {
        w->kept[rep][w->nkept[rep]++] = ins[k];
      } else {
        pt_prog_release(h->p, core, ins[k].addr);
      }
    }
  }
  free(cores);
  free(ins);
}

// Partial sums to their owners, then the AG outputs are free.
void sc_wl_deliver(sched *h, wl *w, int rep, int64_t s) {
  int32_t base = h->m->ag_start[w->layer] + rep * (int32_t)w->part->ags;
  for (int i = 0; i < (int)w->part->ags; i++)
    for_each_delivery(w, base + i, s, rep, add_delivery);
  for (int i = 0; i < (int)w->part->ags; i++)
    pt_prog_release(h->p, h->p->ag[base + i].core,
                    w->outbuf[base + i - w->outbase]);
}

void sc_wl_begin(sched *h, wl *w, int layer, sc_fill_fn fill,
                 sc_done_fn done, bool keep_inputs) {
  memset(w, 0, sizeof *w);
  w->h = h, w->layer = layer, w->fill = fill, w->done = done;
  w->keep_inputs = keep_inputs;
  w->node = h->c->node[layer];
  const pt_node *n = &h->g->n[w->node];
  w->x = n->in[0], w->y = n->out[0];
  w->part = pt_map_part(h->c, layer, h->m->unfold[layer]);
  w->ochan = n->op == PT_OP_FC ? (int32_t)w->part->cols
                               : (int32_t)w->part->out_chw[0];
  w->nkeys = n->op == PT_OP_FC ? (w->part->steps > 0 ? w->part->steps : 1)
                               : w->part->out_chw[1] * w->part->out_chw[2];
  w->expected = pt_calloc(w->nkeys, sizeof *w->expected);
  w->owner = pt_calloc(w->nkeys, sizeof *w->owner);
  w->acc = pt_malloc(w->nkeys * sizeof *w->acc);
  for (int64_t k = 0; k < w->nkeys; k++)
    w->acc[k] = -1;
  w->bias_at = pt_malloc(h->c->ncores * sizeof *w->bias_at);
  for (int i = 0; i < h->c->ncores; i++)
    w->bias_at[i] = -1;
  int R = h->m->repl[layer];
  w->outbuf = pt_malloc(R * w->part->ags * sizeof *w->outbuf);
  w->outbase = h->m->ag_start[layer];
  w->kept = pt_malloc(R * sizeof *w->kept);
  w->nkept = pt_calloc(R, sizeof *w->nkept);
  for (int k = 0; k < R; k++)
    w->kept[k] = keep_inputs ? pt_malloc(w->part->ags * sizeof **w->kept)
                             : NULL;
  w->first = pt_malloc(R * sizeof *w->first);
  w->count = pt_malloc(R * sizeof *w->count);
  // Who owns which output, and how many partial sums it waits for. HT
  // gives each replica a contiguous range of windows (input reuse), LL
  // deals them out in raster order (window s to replica s mod r).
  for (int k = 0; k < R; k++)
    pt_map_steps(h->m, h->c, layer, k, &w->first[k], &w->count[k]);
  for (int64_t s = 0; s < w->part->steps; s++) {
    int k = sc_replica_of(w, s);
    int32_t base = h->m->ag_start[layer] + k * (int32_t)w->part->ags;
    for (int i = 0; i < w->part->ags; i++)
      for_each_delivery(w, base + i, s, k, count_delivery);
  }
}

int sc_wl_end(sched *h, wl *w) {
  int rc = 0;
  for (int64_t k = 0; k < w->nkeys && !rc; k++)
    if (w->acc[k] >= 0 || w->expected[k] != 0)
      rc = pt_errorf(h->err, "node '%s': output %lld left incomplete "
                     "(internal error)", h->g->n[w->node].name, (long long)k);
  for (int i = 0; i < h->c->ncores; i++)
    if (w->bias_at[i] >= 0)
      pt_prog_release(h->p, i, (uint32_t)w->bias_at[i]);
  for (int k = 0; k < h->m->repl[w->layer]; k++) {
    for (int i = 0; i < w->nkept[k]; i++)
      pt_prog_release(h->p, w->kept[k][i].core, w->kept[k][i].addr);
    free(w->kept[k]);
  }
  free(w->kept);
  free(w->nkept);
  free(w->first);
  free(w->count);
  free(w->expected);
  free(w->owner);
  free(w->acc);
  free(w->bias_at);
  free(w->outbuf);
  return rc;
}
