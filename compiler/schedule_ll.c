// Low-latency scheduling: the streams of one inference as a pixel
// pipeline (PIMCOMP, TCAD 2024, Algorithm 2 and Fig. 9).
//
// A layer computes an output pixel as soon as the input pixels its window
// needs are on the cores that need them; the pixel is then sent on to the
// cores of its consumers. No activation goes through global memory except
// the network's inputs (read where needed) and outputs (stored at once).
//
// Runtime management, done at compile time:
//  - readiness: a window is ready when every input pixel it reads (the
//    input-window rule of the paper, here taken exactly from the unfolding's
//    pieces) has arrived on every core that holds AGs of the replica;
//  - dependency lists: for every pixel of every tensor and every core, how
//    many window computations on that core still read it (backward lists
//    turned into use counts); the forward list is the set of cores it must
//    reach;
//  - memory manager: a pixel is allocated on a core when it is produced or
//    received there and freed once no replica on that core needs it and all
//    its transfers are sent; every buffer has an address (program.c);
//  - transfers: each produced pixel is queued for every other core that
//    needs it (once per core: never sent twice to a core; only the channels
//    that core reads); the transfers queued during a round are emitted
//    together at its end, so a round is bulk-synchronous: each core runs
//    its windows and vector pixels, then its sends and receives, and the
//    pixels received are read from the next round on. Flushing mid-round
//    made a sender's next window wait behind the other senders of a shared
//    receiver (transfers are synchronous), which chained the replicas of a
//    layer. A transfer to a core whose memory is full but for a sixth (kept
//    for the working buffers) waits in the queue for a later round: a
//    reader that lags its producer holds only what it has room for, the
//    rest stays with the cores that made it;
//  - flow control: a producer waits while more of its pixels are alive
//    than its readers' windows need (a stall lets the producer furthest
//    behind go on).
// Windows of a layer are dealt in raster order over its replicas (window s
// on replica s mod r), one window per replica per round, so that all layers
// advance together; in a round the replicas are tried oldest window first
// (tried in a fixed order, the first ones took all the room flow control
// left and completed pixels far ahead of those the readers waited for: one
// GoogLeNet draw ran 4,304 rounds, 435 of them stalled), and the layer's
// partial sums go to their owners after all its replicas ran their mvm.
// Element-wise, pooling, shuffle, LRN and softmax pixels are dealt out
// over all cores; pooling whose one window is the whole map is reduced
// pixel by pixel as they arrive. Reshapes, channel concats and channel
// slices move no data: readers resolve them to the tensors they are made
// of.
#include "schedule.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Where a pixel is (or will be) held: one record per (tensor, pixel, core)
// that reads it or produces it.
typedef struct {
  int32_t core;
  int32_t uses;       // reads still to come, plus sends still to emit
  int64_t stamp;      // last counting pass that touched it (dedup)
  int64_t next;       // next holder of the same pixel, -1
  uint32_t addr;      // buffer holding channels [lo, hi) of the pixel
  int32_t lo, hi;     // the channels this core reads (all, on the producer)
  bool present;
} holder;

typedef struct {
  int64_t npix, chans;
  int64_t *head;      // [npix] first holder, -1
  int32_t *owner;     // [npix] producing core, -1 until known
  bool real;          // holds data (not a reshape/concat view, not input)
  bool store;         // stored to global memory when produced
  int64_t alive;      // produced pixels still held on some core
  int64_t made;       // pixels produced so far
  int64_t limit;      // flow control: most pixels alive before the
                      // producer waits (its readers' window rows)
} tensor_state;

typedef struct {
  int32_t t;
  int64_t pix;
  int32_t from, to;
} xfer;

// A segment of a real tensor: channels [c0, c0 + n) of pixel pix.
typedef struct {
  int32_t t;
  int64_t pix;
  int32_t c0, n;
} seg;

typedef struct {
  sched *h;
  tensor_state *ts;   // [tensors]
  holder *hd;
  int64_t nhd, caphd;
  xfer *q;
  int64_t nq, capq;
  int64_t stamp;
  int allow;          // flow control: the one tensor whose producer may
                      // run past its limit (-1: none), to break a stall
  seg *segs;          // scratch for resolve
  int64_t nsegs, capsegs;
  int *vcore;         // vector node pixel -> core (scratch per node)
  int64_t room;       // bytes a core may hold before transfers to it wait
} ll;

// ---------------------------------------------------------------------------
// Views: reshapes and channel concats resolve to the tensors they read.

static bool is_view(const pt_graph *g, int t) {
  int p = g->t[t].producer;
  if (p < 0)
    return false;
  pt_op op = g->n[p].op;
  return op == PT_OP_RESHAPE || op == PT_OP_IDENTITY ||
         (op == PT_OP_CONCAT && g->n[p].a.axis == 1) ||
         sc_channel_slice(g, &g->n[p]);
}

static void push_seg(ll *s, int t, int64_t pix, int64_t c0, int64_t n) {
  if (s->nsegs == s->capsegs) {
    s->capsegs = s->capsegs ? 2 * s->capsegs : 64;
    s->segs = pt_realloc(s->segs, s->capsegs * sizeof *s->segs);
  }
  s->segs[s->nsegs++] = (seg){t, pix, (int32_t)c0, (int32_t)n};
}

// Channels [c0, c0 + n) of pixel pix of tensor t, as segments of real
// tensors (or graph inputs), appended to s->segs.
static void resolve(ll *s, int t, int64_t pix, int64_t c0, int64_t n) {
  const pt_graph *g = s->h->g;
  if (!is_view(g, t)) {
    push_seg(s, t, pix, c0, n);
    return;
  }
  const pt_node *nd = &g->n[g->t[t].producer];
  if (nd->op == PT_OP_CONCAT) {
    int64_t at = 0;
    for (int j = 0; j < nd->nin && n > 0; j++) {
      int64_t chw[3];
      sc_dims(g, nd->in[j], chw);
      if (c0 < at + chw[0]) {
        int64_t take = at + chw[0] - c0 < n ? at + chw[0] - c0 : n;
        resolve(s, nd->in[j], pix, c0 - at, take);
        c0 += take, n -= take;
      }
      at += chw[0];
    }
    return;
  }
  if (nd->op == PT_OP_SLICE) { // channels start.. of the input
    resolve(s, nd->in[0], pix, c0 + nd->a.slice_start[1], n);
    return;
  }
  // Reshape: element f of the flat HWC order of this tensor is element f
  // of the input's (flatten-like reshapes only; checked by the layout).
  int64_t mine[3], src[3];
  sc_dims(g, t, mine);
  sc_dims(g, nd->in[0], src);
  int64_t f = pix * mine[0] + c0;
  while (n > 0) {
    int64_t p = f / src[0], ch = f % src[0];
    int64_t take = src[0] - ch < n ? src[0] - ch : n;
    resolve(s, nd->in[0], p, ch, take);
    f += take, n -= take;
  }
}

// ---------------------------------------------------------------------------
// Holders

static holder *find_holder(ll *s, int t, int64_t pix, int core) {
  for (int64_t i = s->ts[t].head[pix]; i >= 0; i = s->hd[i].next)
    if (s->hd[i].core == core)
      return &s->hd[i];
  return NULL;
}

static holder *get_holder(ll *s, int t, int64_t pix, int core) {
  holder *x = find_holder(s, t, pix, core);
  if (x)
    return x;
  if (s->nhd == s->caphd) {
    s->caphd = s->caphd ? 2 * s->caphd : 1024;
    s->hd = pt_realloc(s->hd, s->caphd * sizeof *s->hd);
  }
  s->hd[s->nhd] = (holder){core, 0, -1, s->ts[t].head[pix], 0,
                            INT32_MAX, 0, false};
  s->ts[t].head[pix] = s->nhd;
  return &s->hd[s->nhd++];
}

// One more reader of every real segment in s->segs on core (once per
// counting pass `stamp`).
static void count_uses(ll *s, int core) {
  for (int64_t i = 0; i < s->nsegs; i++) {
    const seg *x = &s->segs[i];
    if (!s->ts[x->t].real)
      continue;
    holder *h = get_holder(s, x->t, x->pix, core);
    if (x->c0 < h->lo)
      h->lo = x->c0;
    if (x->c0 + x->n > h->hi)
      h->hi = x->c0 + x->n;
    if (h->stamp != s->stamp) {
      h->stamp = s->stamp;
      h->uses++;
    }
  }
}

// Are all real segments in s->segs present on core?
static bool present(ll *s, int core) {
  for (int64_t i = 0; i < s->nsegs; i++) {
    const seg *x = &s->segs[i];
    if (!s->ts[x->t].real)
      continue;
    holder *h = find_holder(s, x->t, x->pix, core);
    if (!h || !h->present)
      return false;
  }
  return true;
}

// Release a holder's buffer; the pixel dies with its last copy.
static void release(ll *s, int t, int64_t pix, holder *h) {
  pt_prog_release(s->h->p, h->core, h->addr);
  h->present = false;
  for (int64_t i = s->ts[t].head[pix]; i >= 0; i = s->hd[i].next)
    if (s->hd[i].present)
      return;
  s->ts[t].alive--;
}

static void drop_use(ll *s, int t, int64_t pix, holder *h) {
  if (--h->uses == 0 && h->present)
    release(s, t, pix, h);
}

// The reads of s->segs on core are done (once per pass `stamp`).
static void consume(ll *s, int core) {
  for (int64_t i = 0; i < s->nsegs; i++) {
    const seg *x = &s->segs[i];
    if (!s->ts[x->t].real)
      continue;
    holder *h = find_holder(s, x->t, x->pix, core);
    if (h->stamp != s->stamp) {
      h->stamp = s->stamp;
      drop_use(s, x->t, x->pix, h);
    }
  }
}

// Copy (or, for graph inputs, load) the segments in s->segs to dst.
static void gather(ll *s, int core, int node, uint32_t dst) {
  sched *h = s->h;
  for (int64_t i = 0; i < s->nsegs; i++) {
    const seg *x = &s->segs[i];
    if (s->ts[x->t].real) {
      const holder *hd = find_holder(s, x->t, x->pix, core);
      sc_copy(h, core, node, dst,
              hd->addr + (uint32_t)((x->c0 - hd->lo) * h->eb), x->n);
    } else {
      int64_t chw[3];
      sc_dims(h->g, x->t, chw);
      sc_load(h, core, node, dst,
              sc_gaddr(h, x->t, x->pix / chw[2], x->pix % chw[2], x->c0),
              x->n);
    }
    dst += (uint32_t)(x->n * h->eb);
  }
}

// ---------------------------------------------------------------------------
// Production and transfers

// Emit the queued transfers, in the order queued, but for those to a core
// without room (unless `force`), which stay queued. Returns how many went.
static int64_t flush(ll *s, bool force) {
  sched *h = s->h;
  int64_t kept = 0, sent = 0;
  for (int64_t i = 0; i < s->nq; i++) {
    const xfer *x = &s->q[i];
    holder *src = find_holder(s, x->t, x->pix, x->from);
    holder *dst = find_holder(s, x->t, x->pix, x->to);
    if (!force && pt_prog_local_used(h->p, x->to) +
                          (dst->hi - dst->lo) * h->eb > s->room) {
      s->q[kept++] = *x;
      continue;
    }
    sent++;
    int node = h->g->t[x->t].producer;
    // Only the channels the receiver reads travel.
    dst->addr = sc_transfer(h, node, x->from,
                            src->addr + (uint32_t)((dst->lo - src->lo) * h->eb),
                            x->to, dst->hi - dst->lo);
    dst->present = true;
    drop_use(s, x->t, x->pix, src);
  }
  s->nq = kept;
  return sent;
}

static bool is_graph_output(const pt_graph *g, int t) {
  for (int i = 0; i < g->noutputs; i++)
    if (g->outputs[i] == t)
      return true;
  return false;
}

// Must tensor t be stored to global memory: a network output, or read by
// a reshape (a view over the same bytes) whose result must be stored.
static bool must_store(const pt_graph *g, int t) {
  if (is_graph_output(g, t))
    return true;
  for (int i = 0; i < g->nn; i++)
    if (g->n[i].op == PT_OP_RESHAPE && g->n[i].in[0] == t &&
        must_store(g, g->n[i].out[0]))
      return true;
  return false;
}

// Pixel pix of real tensor t is complete in buf on core: mark it, store it
// if it is a network output, queue it for every other core that reads it.
static void produced(ll *s, int t, int64_t pix, int core, uint32_t buf) {
  sched *h = s->h;
  int node = h->g->t[t].producer;
  pt_stream *st = &h->p->core[core];
  st->v[st->n - 1].flags |= PT_IF_FINAL;
  st->v[st->n - 1].arg = (int32_t)pix;
  if (s->ts[t].store) {
    int64_t chw[3];
    sc_dims(h->g, t, chw);
    pt_inst *i = sc_emit(h, core, PT_I_STORE, node);
    i->dst = sc_gaddr(h, t, pix / chw[2], pix % chw[2], 0);
    i->src1 = buf, i->len = (int32_t)s->ts[t].chans;
  }
  holder *own = get_holder(s, t, pix, core);
  own->addr = buf;
  own->lo = 0, own->hi = (int32_t)s->ts[t].chans;
  own->present = true;
  s->ts[t].alive++;
  s->ts[t].made++;
  s->ts[t].owner[pix] = core;
  int sends = 0;
  for (int64_t i = s->ts[t].head[pix]; i >= 0; i = s->hd[i].next)
    if (s->hd[i].core != core && s->hd[i].uses > 0) {
      if (s->nq == s->capq) {
        s->capq = s->capq ? 2 * s->capq : 256;
        s->q = pt_realloc(s->q, s->capq * sizeof *s->q);
      }
      s->q[s->nq++] = (xfer){t, pix, core, s->hd[i].core};
      sends++;
    }
  own = get_holder(s, t, pix, core); // the array may have moved
  own->uses += sends;
  if (own->uses == 0) // nobody reads it here or elsewhere
    release(s, t, pix, own);
}

// ---------------------------------------------------------------------------
// Weight layers

typedef struct {
  wl w;
  int64_t *next;      // [repl] index of the next window of each replica
  int *ord;           // [repl] the replicas, oldest next window first
  int *issued;        // [repl] the replicas that issued in this round
  int64_t left;       // windows still to issue
} wtask;

// Segments that core reads for replica rep at step s (rows of the AGs it
// holds) into s->segs.
static void step_segments(ll *s, wl *w, int rep, int64_t st, int core) {
  sched *h = s->h;
  int32_t base = h->m->ag_start[w->layer] + rep * (int32_t)w->part->ags;
  s->nsegs = 0;
  int32_t last_mtx = -1, last_row = -1;
  for (int i = 0; i < w->part->ags; i++) {
    const pt_ag_info *a = &h->p->ag[base + i];
    if (a->core != core || (a->matrix == last_mtx && a->row0 == last_row))
      continue;
    last_mtx = a->matrix, last_row = a->row0;
    int np = pt_part_inputs(h->g, w->part, a->matrix, st, h->pieces);
    int32_t at = 0;
    for (int k = 0; k < np && at < a->row0 + a->rows; k++) {
      const pt_piece *pc = &h->pieces[k];
      int32_t lo = at > a->row0 ? at : a->row0;
      int32_t hi = at + pc->n < a->row0 + a->rows ? at + pc->n
                                                  : a->row0 + a->rows;
      if (lo < hi && !pc->zero) {
        int64_t chw[3];
        sc_dims(h->g, w->x, chw);
        resolve(s, w->x, (int64_t)pc->y * chw[2] + pc->x, pc->c0 + lo - at,
                hi - lo);
      }
      at += pc->n;
    }
  }
}

// Cores holding AGs of a replica, in order of first appearance.
static int replica_cores(const sched *h, const wl *w, int rep, int *cores) {
  int32_t base = h->m->ag_start[w->layer] + rep * (int32_t)w->part->ags;
  int n = 0;
  for (int i = 0; i < w->part->ags; i++) {
    int c = h->p->ag[base + i].core, k = 0;
    while (k < n && cores[k] != c)
      k++;
    if (k == n)
      cores[n++] = c;
  }
  return n;
}

static void fill_from_pixels(sched *h, wl *w, int core, int32_t mtx,
                             int64_t st, int32_t r0, int32_t rows,
                             uint32_t buf, uint32_t prev, int64_t prev_s) {
  ll *s = h->user;
  int np = pt_part_inputs(h->g, w->part, mtx, st, h->pieces);
  int64_t chw[3];
  sc_dims(h->g, w->x, chw);
  int32_t at = 0;
  for (int k = 0; k < np && at < r0 + rows; k++) {
    const pt_piece pc = h->pieces[k];
    int32_t lo = at > r0 ? at : r0;
    int32_t hi = at + pc.n < r0 + rows ? at + pc.n : r0 + rows;
    uint32_t dst = buf + (uint32_t)((lo - r0) * h->eb);
    if (lo < hi && pc.zero) {
      sc_write(h, core, w->node, dst, hi - lo, 0);
    } else if (lo < hi) {
      s->nsegs = 0;
      resolve(s, w->x, (int64_t)pc.y * chw[2] + pc.x, pc.c0 + lo - at,
              hi - lo);
      gather(s, core, w->node, dst);
    }
    at += pc.n;
  }
}

static void weight_done(sched *h, wl *w, int64_t key, int core,
                        uint32_t acc) {
  produced(h->user, w->y, key, core, acc);
}

// Flow control: a producer waits while more of its output pixels are
// alive (produced, not yet read by everyone) than its readers' windows
// need, so that a fast layer does not fill the local memories with pixels
// that a slower one will read much later.
static bool backlogged(const ll *s, int t) {
  return t != s->allow && s->ts[t].alive > s->ts[t].limit;
}

// Issue the next window of replica rep if it is ready. True if issued.
static bool try_window(ll *s, wtask *t, int rep, int *cores) {
  sched *h = s->h;
  wl *w = &t->w;
  int R = h->m->repl[w->layer];
  int64_t st = rep + t->next[rep] * R;
  if (st >= w->part->steps)
    return false;
  int nc = replica_cores(h, w, rep, cores);
  for (int i = 0; i < nc; i++) {
    step_segments(s, w, rep, st, cores[i]);
    if (backlogged(s, w->y) || !present(s, cores[i]))
      return false;
  }
  sc_wl_step(h, w, rep, st); // its partial sums: see run_round
  for (int i = 0; i < nc; i++) {
    step_segments(s, w, rep, st, cores[i]);
    s->stamp++;
    consume(s, cores[i]);
  }
  t->next[rep]++;
  t->left--;
  return true;
}

// ---------------------------------------------------------------------------
// Vector layers: one output pixel at a time, each on its core (see
// vector_core).

typedef struct {
  int node;
  int64_t npix, next;
  int64_t gp_in;      // global pooling: input pixels accumulated so far
  bool *gp_done;      // [input pixels] accumulated already
  int gp_core;
  uint32_t gp_acc;
} vtask;

// Segments of input operand j of node n for output pixel p.
static void operand_segments(ll *s, const pt_node *n, int j, int64_t p) {
  const pt_graph *g = s->h->g;
  int64_t in[3], out[3];
  sc_dims(g, n->in[j], in);
  sc_dims(g, n->out[0], out);
  int64_t pix = in[1] * in[2] == out[1] * out[2] ? p : 0; // broadcast
  resolve(s, n->in[j], pix, 0, in[0]);
}

static bool is_pool(pt_op op) {
  return op == PT_OP_MAXPOOL || op == PT_OP_AVGPOOL;
}

// Global pooling, or a pooling whose one window is the whole unpadded map
// (a 7x7 average over a 7x7 map): reduced pixel by pixel as they arrive
// instead of waiting for the whole map on one core.
static bool is_global_node(const pt_graph *g, const pt_node *n) {
  if (n->op == PT_OP_GLOBALAVG || n->op == PT_OP_GLOBALMAX)
    return true;
  if (!is_pool(n->op) || n->a.nspatial != 2)
    return false;
  int64_t in[3], out[3];
  sc_dims(g, n->in[0], in);
  sc_dims(g, n->out[0], out);
  return out[1] == 1 && out[2] == 1 && n->a.kernel[0] == in[1] &&
         n->a.kernel[1] == in[2] && !n->a.pad_begin[0] && !n->a.pad_begin[1] &&
         n->a.dilation[0] <= 1 && n->a.dilation[1] <= 1;
}

// The window of pooling output pixel p: calls back with each input pixel
// inside the map; returns the count of positions (for averages).
typedef struct {
  int64_t kh, kw, sh, sw, ph, pw, dh, dw, eh, ew;
} pwin;

static pwin pool_window(const pt_node *n) {
  int k = n->a.nspatial - 1;
  bool two = n->a.nspatial == 2;
  pwin q = {two ? n->a.kernel[0] : 1, n->a.kernel[k],
            two ? n->a.stride[0] : 1, n->a.stride[k],
            two ? n->a.pad_begin[0] : 0, n->a.pad_begin[k],
            two && n->a.dilation[0] ? n->a.dilation[0] : 1,
            n->a.dilation[k] ? n->a.dilation[k] : 1,
            two ? n->a.pad_end[0] : 0, n->a.pad_end[k]};
  return q;
}

static void pool_segments(ll *s, const pt_node *n, int64_t p) {
  const pt_graph *g = s->h->g;
  int64_t in[3], out[3];
  sc_dims(g, n->in[0], in);
  sc_dims(g, n->out[0], out);
  pwin q = pool_window(n);
  int64_t oy = p / out[2], ox = p % out[2];
  for (int64_t ky = 0; ky < q.kh; ky++)
    for (int64_t kx = 0; kx < q.kw; kx++) {
      int64_t iy = oy * q.sh - q.ph + ky * q.dh, ix = ox * q.sw - q.pw + kx * q.dw;
      if (iy >= 0 && iy < in[1] && ix >= 0 && ix < in[2])
        resolve(s, n->in[0], iy * in[2] + ix, 0, in[0]);
    }
}

// The input pixel that output pixel p of a Pad copies, or -1 for padding.
static int64_t pad_source(const pt_graph *g, const pt_node *n, int64_t p) {
  int64_t in[3], out[3];
  sc_dims(g, n->in[0], in);
  sc_dims(g, n->out[0], out);
  int nd = g->t[n->in[0]].ndim;
  int64_t top = nd == 4 ? n->a.pads[2] : 0, left = nd == 4 ? n->a.pads[3] : 0;
  int64_t iy = p / out[2] - top, ix = p % out[2] - left;
  if (iy < 0 || iy >= in[1] || ix < 0 || ix >= in[2])
    return -1;
  return iy * in[2] + ix;
}

// All segments output pixel p of vector node n reads, into s->segs.
static void vector_segments(ll *s, const pt_node *n, int64_t p) {
  s->nsegs = 0;
  if (is_pool(n->op)) {
    pool_segments(s, n, p);
    return;
  }
  if (n->op == PT_OP_PAD) {
    int64_t in[3], src = pad_source(s->h->g, n, p);
    sc_dims(s->h->g, n->in[0], in);
    if (src >= 0)
      resolve(s, n->in[0], src, 0, in[0]);
    return;
  }
  for (int j = 0; j < n->nin; j++)
    if (n->in[j] >= 0 && !s->h->g->t[n->in[j]].is_const)
      operand_segments(s, n, j, p);
}

// Where output pixel p of vector node n is computed: dealt out over all
// cores in raster order from a per-node offset, so that the pixels
// waiting for a slower input (a residual's skip branch, the branches of an
// inception block before its pooling) spread over the chip instead of
// piling up on the few cores of one layer. The price is traffic: a pixel
// read by several windows is sent to each of their cores (once per core).
static int vector_core(const ll *s, const pt_node *n, int64_t p) {
  int64_t node = n - s->h->g->n;
  return (int)((node * 37 + p) % s->h->c->ncores);
}

// A contiguous copy of segments [from, to) of s->segs on core: the pixel
// buffer itself when it is one whole pixel, else a gathered temporary
// (*tmp set; the caller releases it).
static uint32_t operand_buffer(ll *s, int core, int node, int64_t from,
                               int64_t to, int64_t len, bool *tmp) {
  sched *h = s->h;
  const seg *x = &s->segs[from];
  if (to - from == 1 && s->ts[x->t].real && x->n == len) {
    const holder *hd = find_holder(s, x->t, x->pix, core);
    *tmp = false;
    return hd->addr + (uint32_t)((x->c0 - hd->lo) * h->eb);
  }
  uint32_t buf = pt_prog_alloc(h->p, core, len * h->eb, node);
  seg *all = s->segs;
  int64_t n = s->nsegs;
  s->segs = all + from, s->nsegs = to - from;
  gather(s, core, node, buf);
  s->segs = all, s->nsegs = n;
  *tmp = true;
  return buf;
}

static const pt_vop binop[PT_OP_COUNT] = {
    [PT_OP_ADD] = PT_V_ADD, [PT_OP_SUB] = PT_V_SUB, [PT_OP_MUL] = PT_V_MUL,
    [PT_OP_DIV] = PT_V_DIV};

// Compute output pixel p of node n on core into a new buffer.
static int vector_pixel(ll *s, vtask *v, int64_t p, int core) {
  sched *h = s->h;
  const pt_node *n = &h->g->n[v->node];
  int64_t out[3];
  sc_dims(h->g, n->out[0], out);
  int32_t len = (int32_t)out[0];
  uint32_t buf = pt_prog_alloc(h->p, core, (int64_t)len * h->eb, v->node);
  bool tmp;
  if (is_pool(n->op)) {
    s->nsegs = 0;
    pool_segments(s, n, p);
    // Whole input pixels, one after the other: a pixel is the run of
    // segments covering len channels.
    int64_t i = 0, cnt = 0;
    while (i < s->nsegs) {
      int64_t j = i, got = 0;
      while (got < len)
        got += s->segs[j++].n;
      uint32_t src = operand_buffer(s, core, v->node, i, j, len, &tmp);
      if (cnt == 0) {
        pt_inst *c = sc_emit(h, core, PT_I_COPY, v->node);
        c->dst = buf, c->src1 = src, c->len = len;
      } else {
        sc_vec(h, core, v->node, n->op == PT_OP_MAXPOOL ? PT_V_MAX : PT_V_ADD,
               buf, buf, src, len);
      }
      if (tmp)
        pt_prog_release(h->p, core, src);
      cnt++;
      i = j;
    }
    if (cnt == 0)
      sc_write(h, core, v->node, buf, len, 0);
    if (n->op == PT_OP_AVGPOOL) {
      pwin q = pool_window(n);
      int64_t div = cnt;
      if (n->a.count_include_pad) { // positions inside the padded map
        int64_t in[3], oy = p / out[2], ox = p % out[2];
        sc_dims(h->g, n->in[0], in);
        div = 0;
        for (int64_t ky = 0; ky < q.kh; ky++)
          for (int64_t kx = 0; kx < q.kw; kx++) {
            int64_t iy = oy * q.sh - q.ph + ky * q.dh;
            int64_t ix = ox * q.sw - q.pw + kx * q.dw;
            div += iy < in[1] + q.eh && ix < in[2] + q.ew;
          }
      }
      pt_inst *sc = sc_emit(h, core, PT_I_VEC, v->node);
      sc->vop = PT_V_SCALE, sc->dst = buf, sc->src1 = buf, sc->len = len;
      sc->imm = 1.0f / (float)(div > 0 ? div : 1);
    }
  } else if (n->op == PT_OP_ACT || n->op == PT_OP_SOFTMAX ||
             n->op == PT_OP_PAD || n->op == PT_OP_SHUFFLE ||
             n->op == PT_OP_LRN) {
    s->nsegs = 0;
    int64_t in[3];
    sc_dims(h->g, n->in[0], in);
    if (n->op == PT_OP_PAD) {
      int64_t src = pad_source(h->g, n, p);
      if (src < 0) {
        sc_write(h, core, v->node, buf, len, n->a.pad_value);
        produced(s, n->out[0], p, core, buf);
        return 0;
      }
      resolve(s, n->in[0], src, 0, in[0]);
    } else {
      resolve(s, n->in[0], p, 0, in[0]);
    }
    uint32_t src = operand_buffer(s, core, v->node, 0, s->nsegs, len, &tmp);
    if (n->op == PT_OP_SOFTMAX)
      sc_vec(h, core, v->node, PT_V_SOFTMAX, buf, src, 0, len);
    else if (n->op == PT_OP_SHUFFLE)
      sc_shuffle(h, core, v->node, buf, src, len);
    else if (n->op == PT_OP_LRN)
      sc_lrn(h, core, v->node, buf, src, len);
    else {
      pt_inst *c = sc_emit(h, core, PT_I_COPY, v->node);
      c->dst = buf, c->src1 = src, c->len = len;
    }
    if (tmp)
      pt_prog_release(h->p, core, src);
  } else if (binop[n->op] || n->op == PT_OP_ADD) {
    uint32_t src[2];
    bool t2[2] = {false, false}, bc = false;
    for (int j = 0; j < 2; j++) {
      const pt_tensor *x = &h->g->t[n->in[j]];
      int64_t in[3];
      sc_dims(h->g, n->in[j], in);
      if (x->is_const) { // constants: from global memory, per pixel
        int32_t clen = pt_tensor_numel(x) == 1 ? 1 : len;
        bc |= clen == 1 && j == 1;
        src[j] = pt_prog_alloc(h->p, core, (int64_t)clen * h->eb, v->node);
        sc_load(h, core, v->node, src[j], (uint32_t)h->p->gt[n->in[j]].base,
                clen);
        t2[j] = true;
        continue;
      }
      s->nsegs = 0;
      operand_segments(s, n, j, p);
      src[j] = operand_buffer(s, core, v->node, 0, s->nsegs, in[0], &t2[j]);
    }
    sc_vec(h, core, v->node, binop[n->op], buf, src[0], src[1], len);
    if (bc)
      h->p->core[core].v[h->p->core[core].n - 1].flags |= PT_IF_BCAST;
    for (int j = 0; j < 2; j++)
      if (t2[j])
        pt_prog_release(h->p, core, src[j]);
  } else {
    return pt_errorf(h->err, "node '%s': %s is not supported by the "
                     "low-latency scheduler yet", n->name, pt_op_names[n->op]);
  }
  sc_act(h, core, n, v->node, buf, len);
  produced(s, n->out[0], p, core, buf);
  return 0;
}

// Global pooling accumulates input pixels as they arrive, on one core.
static bool try_global(ll *s, vtask *v) {
  sched *h = s->h;
  const pt_node *n = &h->g->n[v->node];
  int64_t in[3];
  sc_dims(h->g, n->in[0], in);
  if (v->gp_in == in[1] * in[2])
    return false;
  if (!v->gp_done)
    v->gp_done = pt_calloc(in[1] * in[2], 1);
  // Sums and maxima do not care about order: take any pixel that is there.
  int64_t p = 0;
  for (; p < in[1] * in[2]; p++) {
    if (v->gp_done[p])
      continue;
    s->nsegs = 0;
    resolve(s, n->in[0], p, 0, in[0]);
    if (present(s, v->gp_core))
      break;
  }
  if (p == in[1] * in[2])
    return false;
  v->gp_done[p] = true;
  bool tmp;
  uint32_t src = operand_buffer(s, v->gp_core, v->node, 0, s->nsegs, in[0],
                                &tmp);
  bool avg = n->op == PT_OP_GLOBALAVG || n->op == PT_OP_AVGPOOL;
  if (v->gp_in == 0) {
    v->gp_acc = pt_prog_alloc(h->p, v->gp_core, in[0] * h->eb, v->node);
    pt_inst *c = sc_emit(h, v->gp_core, PT_I_COPY, v->node);
    c->dst = v->gp_acc, c->src1 = src, c->len = (int32_t)in[0];
  } else {
    sc_vec(h, v->gp_core, v->node, avg ? PT_V_ADD : PT_V_MAX, v->gp_acc,
           v->gp_acc, src, (int32_t)in[0]);
  }
  if (tmp)
    pt_prog_release(h->p, v->gp_core, src);
  s->stamp++;
  consume(s, v->gp_core);
  if (++v->gp_in == in[1] * in[2]) {
    if (avg) {
      pt_inst *sc = sc_emit(h, v->gp_core, PT_I_VEC, v->node);
      sc->vop = PT_V_SCALE, sc->dst = v->gp_acc, sc->src1 = v->gp_acc;
      sc->len = (int32_t)in[0], sc->imm = 1.0f / (float)(in[1] * in[2]);
    }
    sc_act(h, v->gp_core, n, v->node, v->gp_acc, (int32_t)in[0]);
    produced(s, n->out[0], 0, v->gp_core, v->gp_acc);
    v->next = v->npix;
  }
  return true;
}


// Issue the next pixel of a vector node if ready. 1 issued, 0 not, -1 err.
static int try_vector(ll *s, vtask *v) {
  const pt_node *n = &s->h->g->n[v->node];
  if (is_global_node(s->h->g, n))
    return try_global(s, v);
  if (v->next >= v->npix)
    return 0;
  int core = s->ts[n->out[0]].owner[v->next];
  vector_segments(s, n, v->next);
  if (backlogged(s, n->out[0]) || !present(s, core))
    return 0;
  if (vector_pixel(s, v, v->next, core))
    return -1;
  vector_segments(s, n, v->next);
  s->stamp++;
  consume(s, core);
  v->next++;
  return 1;
}

// ---------------------------------------------------------------------------
// Counting uses ahead of time (the backward dependency lists)

static void count_all(ll *s, wtask *wt, int *layer_of, vtask *vt,
                      int *cores) {
  sched *h = s->h;
  const pt_graph *g = h->g;
  for (int i = 0; i < g->nn; i++) {
    const pt_node *n = &g->n[i];
    if (layer_of[i] >= 0) {
      wl *w = &wt[layer_of[i]].w;
      for (int64_t st = 0; st < w->part->steps; st++) {
        int rep = (int)(st % h->m->repl[w->layer]);
        int nc = replica_cores(h, w, rep, cores);
        for (int c = 0; c < nc; c++) {
          step_segments(s, w, rep, st, cores[c]);
          s->stamp++;
          count_uses(s, cores[c]);
        }
      }
    } else if (vt[i].npix && !is_global_node(g, n)) {
      for (int64_t p = 0; p < vt[i].npix; p++) {
        vector_segments(s, n, p);
        s->stamp++;
        count_uses(s, s->ts[n->out[0]].owner[p]);
      }
    } else if (vt[i].npix && is_global_node(g, n)) {
      int64_t in[3];
      sc_dims(g, n->in[0], in);
      for (int64_t p = 0; p < in[1] * in[2]; p++) {
        s->nsegs = 0;
        resolve(s, n->in[0], p, 0, in[0]);
        s->stamp++;
        count_uses(s, vt[i].gp_core);
      }
    }
  }
}

// ---------------------------------------------------------------------------

// Rows of tensor t that a reader of node n needs at once: its window
// height plus a stride of slack; everything for readers that need the
// whole map (fc through a flatten).
static int64_t reader_rows(const pt_graph *g, const pt_node *n, int t) {
  int64_t chw[3];
  sc_dims(g, t, chw);
  if (n->op == PT_OP_CONV || is_pool(n->op)) {
    int k = n->a.nspatial == 2 ? 0 : -1;
    if (k < 0)
      return 2;
    const pt_tensor *w = n->op == PT_OP_CONV ? &g->t[n->in[1]] : NULL;
    int64_t kh = w ? w->dims[2] : n->a.kernel[0];
    int64_t dil = n->a.dilation[0] > 0 ? n->a.dilation[0] : 1;
    return (kh - 1) * dil + 1 + n->a.stride[0];
  }
  if (n->op == PT_OP_FC || n->op == PT_OP_MATMUL)
    return chw[1];
  return 2;
}

// The most rows of t any reader (through views) needs at once.
static int64_t rows_needed(const pt_graph *g, int t) {
  int64_t most = 1;
  for (int i = 0; i < g->nn; i++)
    for (int j = 0; j < g->n[i].nin; j++) {
      if (g->n[i].in[j] != t)
        continue;
      int64_t r = is_view(g, g->n[i].out[0])
                      ? rows_needed(g, g->n[i].out[0])
                      : reader_rows(g, &g->n[i], t);
      if (g->n[i].op == PT_OP_RESHAPE && g->t[g->n[i].out[0]].ndim == 2) {
        int64_t chw[3];
        sc_dims(g, t, chw);
        r = chw[1]; // flattened: the whole map
      }
      if (r > most)
        most = r;
    }
  return most;
}

static void set_limits(ll *s) {
  const pt_graph *g = s->h->g;
  for (int t = 0; t < g->nt; t++) {
    if (!s->ts[t].real)
      continue;
    int64_t chw[3];
    sc_dims(g, t, chw);
    s->ts[t].limit = rows_needed(g, t) * chw[2];
  }
}

static int check_supported(const pt_graph *g, pt_error *err) {
  for (int i = 0; i < g->nn; i++) {
    const pt_node *n = &g->n[i];
    if (n->op == PT_OP_FC && g->t[n->in[0]].ndim > 2)
      return pt_errorf(err, "node '%s': fc on a rank-%d input (several "
                       "vectors per sample) is not supported by the "
                       "low-latency scheduler", n->name,
                       g->t[n->in[0]].ndim);
    switch (n->op) {
    case PT_OP_CONV: case PT_OP_FC: case PT_OP_MAXPOOL: case PT_OP_AVGPOOL:
    case PT_OP_GLOBALAVG: case PT_OP_GLOBALMAX: case PT_OP_ACT:
    case PT_OP_ADD: case PT_OP_SUB: case PT_OP_MUL: case PT_OP_DIV:
    case PT_OP_SOFTMAX: case PT_OP_PAD: case PT_OP_RESHAPE:
    case PT_OP_IDENTITY: case PT_OP_SHUFFLE: case PT_OP_LRN:
      break;
    case PT_OP_SLICE:
      if (sc_channel_slice(g, n))
        break;
      return pt_errorf(err, "node '%s': slicing other than a range of "
                       "channels is not supported by the low-latency "
                       "scheduler", n->name);
    case PT_OP_CONCAT:
      if (n->a.axis == 1)
        break;
      return pt_errorf(err, "node '%s': concat on axis %d is not supported "
                       "by the low-latency scheduler", n->name, n->a.axis);
    default:
      return pt_errorf(err, "node '%s': %s is not supported by the "
                       "low-latency scheduler yet", n->name,
                       pt_op_names[n->op]);
    }
    if (n->op == PT_OP_CONCAT && is_graph_output(g, n->out[0]))
      return pt_errorf(err, "node '%s': a network output made by %s is not "
                       "supported by the low-latency scheduler", n->name,
                       pt_op_names[n->op]);
  }
  return 0;
}

// One round: every replica issues its next window if ready, every vector
// layer up to one pixel per core. Windows and pixels finished are taken off
// *left; everything issued (global pooling accumulates a pixel at a time
// without finishing one) is counted in *moved.
static int run_round(ll *s, wtask *wt, vtask *vt, const int *layer_of,
                     int *cores, int64_t *left, int64_t *moved) {
  const pt_graph *g = s->h->g;
  for (int i = 0; i < g->nn; i++) {
    if (layer_of[i] >= 0) {
      wtask *t = &wt[layer_of[i]];
      const int R = s->h->m->repl[layer_of[i]];
      for (int k = 1; k < R; k++) { // insertion sort: nearly in order
        const int r = t->ord[k];
        const int64_t key = r + t->next[r] * R;
        int j = k;
        for (; j > 0 && t->ord[j - 1] + t->next[t->ord[j - 1]] * R > key; j--)
          t->ord[j] = t->ord[j - 1];
        t->ord[j] = r;
      }
      int n = 0;
      for (int k = 0; k < R; k++)
        if (try_window(s, t, t->ord[k], cores))
          (*left)--, (*moved)++, t->issued[n++] = t->ord[k];
      // The partial sums of the round's windows once all replicas ran
      // their mvm: a core holding AGs of several replicas sends after all
      // of its mvm, not between them, where a synchronous send made its
      // next replica wait for the receiver (balance: GoogLeNet 17.73 ->
      // 14.76 ms, random mappings up to 4x faster). The windows they
      // complete count for flow control from then on: a layer may pass
      // its limit by up to r pixels in a round.
      for (int k = 0; k < n; k++) {
        const int r = t->issued[k];
        sc_wl_deliver(s->h, &t->w, r, r + (t->next[r] - 1) * R);
      }
    } else if (vt[i].npix) {
      for (int k = 0; k < s->h->c->ncores; k++) {
        bool was_done = vt[i].next == vt[i].npix;
        int r = try_vector(s, &vt[i]);
        if (r < 0)
          return -1;
        if (r == 0)
          break;
        (*moved)++;
        if (!is_global_node(g, &g->n[i]))
          (*left)--;
        else if (!was_done && vt[i].next == vt[i].npix)
          *left -= vt[i].npix;
      }
    }
  }
  return 0;
}

// A round issued nothing: let the producer furthest behind exceed its
// limit, one tensor at a time, until something moves. With transfers just
// sent (`sent`) nothing to let through is no error: what arrived may be
// enough for the next round.
static int break_stall(ll *s, wtask *wt, vtask *vt, const int *layer_of,
                       int *cores, int64_t *left, bool sent) {
  const pt_graph *g = s->h->g;
  bool *tried = pt_calloc(g->nt, 1);
  int64_t moved = 0;
  int rc = 0;
  while (!moved && !rc) {
    int best = -1;
    for (int t = 0; t < g->nt; t++) {
      const tensor_state *x = &s->ts[t];
      if (!x->real || tried[t] || x->made == x->npix || x->alive <= x->limit)
        continue;
      if (best < 0 || x->made * s->ts[best].npix < s->ts[best].made * x->npix)
        best = t;
    }
    if (best < 0) {
      if (!sent)
        rc = pt_errorf(s->h->err, "low-latency scheduling stalled with %lld "
                       "windows left (internal error)", (long long)*left);
      break;
    }
    tried[best] = true;
    s->allow = best;
    rc = run_round(s, wt, vt, layer_of, cores, left, &moved);
    s->allow = -1;
  }
  free(tried);
  return rc;
}

int pt_sched_ll(const pt_map_ctx *c, const pt_mapping *m, pt_program **out,
                pt_error *err) {
  *out = NULL;
  if (pt_map_check(m, c, err) || check_supported(c->g, err))
    return -1;
  const pt_graph *g = c->g;
  sched h;
  sc_init(&h, c, m, err);
  h.p->mode = PT_MODE_LL;
  ll s = {.h = &h, .allow = -1};
  // A sixth kept for working buffers: of 1/2 to 1/8, the fewest random
  // GoogLeNet mappings out of local memory (6 of 200, fdf64b4; 1/4: 11,
  // 1/8: 33, 1/2: 137).
  s.room = h.p->local_capacity - h.p->local_capacity / 6;
  h.user = &s;
  int rc = pt_prog_layout_global(h.p, g, err);
  s.ts = pt_calloc(g->nt, sizeof *s.ts);
  for (int t = 0; t < g->nt; t++) {
    int64_t chw[3];
    sc_dims(g, t, chw);
    s.ts[t].npix = chw[1] * chw[2];
    s.ts[t].chans = chw[0];
    s.ts[t].real = g->t[t].producer >= 0 && !is_view(g, t);
    s.ts[t].store = s.ts[t].real && must_store(g, t);
    s.ts[t].head = pt_malloc(s.ts[t].npix * sizeof *s.ts[t].head);
    s.ts[t].owner = pt_malloc(s.ts[t].npix * sizeof *s.ts[t].owner);
    for (int64_t p = 0; p < s.ts[t].npix; p++)
      s.ts[t].head[p] = -1, s.ts[t].owner[p] = -1;
  }
  set_limits(&s);
  int *layer_of = pt_malloc(g->nn * sizeof *layer_of);
  for (int i = 0; i < g->nn; i++)
    layer_of[i] = -1;
  for (int l = 0; l < c->nlayers; l++)
    layer_of[c->node[l]] = l;
  wtask *wt = pt_calloc(c->nlayers, sizeof *wt);
  vtask *vt = pt_calloc(g->nn, sizeof *vt);
  int *cores = pt_malloc((c->max_ags + 1) * sizeof *cores);
  int64_t left = 0;
  for (int l = 0; l < c->nlayers && !rc; l++) {
    sc_wl_begin(&h, &wt[l].w, l, fill_from_pixels, weight_done, false);
    wt[l].next = pt_calloc(m->repl[l], sizeof *wt[l].next);
    wt[l].ord = pt_malloc(m->repl[l] * sizeof *wt[l].ord);
    wt[l].issued = pt_malloc(m->repl[l] * sizeof *wt[l].issued);
    for (int k = 0; k < m->repl[l]; k++)
      wt[l].ord[k] = k;
    wt[l].left = wt[l].w.part->steps;
    left += wt[l].left;
  }
  for (int i = 0; i < g->nn && !rc; i++) {
    const pt_node *n = &g->n[i];
    if (layer_of[i] >= 0 || is_view(g, n->out[0]))
      continue;
    vt[i].node = i;
    vt[i].npix = s.ts[n->out[0]].npix;
    if (is_global_node(g, n)) {
      // Near the layer that feeds it: the home core of its producer's
      // first replica, or core 0.
      int pr = g->t[n->in[0]].producer;
      vt[i].gp_core = pr >= 0 && layer_of[pr] >= 0
                          ? sc_home_core(&wt[layer_of[pr]].w, 0) : 0;
    }
    left += vt[i].npix;
  }
  // Owners of every output pixel, fixed before anything is issued: weight
  // layers' from the engine, vector layers' in topological order.
  for (int l = 0; l < c->nlayers && !rc; l++) {
    wl *w = &wt[l].w;
    for (int64_t k = 0; k < w->nkeys && k < s.ts[w->y].npix; k++)
      s.ts[w->y].owner[k] = sc_home_core(w, w->owner[k]);
  }
  for (int i = 0; i < g->nn && !rc; i++) {
    if (!vt[i].npix)
      continue;
    const pt_node *n = &g->n[i];
    for (int64_t p = 0; p < vt[i].npix; p++)
      s.ts[n->out[0]].owner[p] =
          is_global_node(g, n) ? vt[i].gp_core : vector_core(&s, n, p);
  }
  if (!rc)
    count_all(&s, wt, layer_of, vt, cores);
  while (left > 0 && !rc) {
    int64_t moved = 0;
    h.p->rounds++;
    rc = run_round(&s, wt, vt, layer_of, cores, &left, &moved);
    // The round's transfers: read from the next round on. When nothing
    // moves and no core has room for what waits, send it anyway (the
    // memory check after scheduling reports a core that overflows).
    bool sent = flush(&s, false) > 0;
    if (!moved && !sent && s.nq)
      sent = flush(&s, true) > 0;
    // A round that issued nothing is a stall: every ready producer is over
    // its limit (readers wait for a slower branch). Break it at once, even
    // when transfers were just sent (waiting a round for them first was
    // slower); what it lets through goes with the next round's transfers.
    if (!rc && !moved) {
      h.p->stalls++;
      rc = break_stall(&s, wt, vt, layer_of, cores, &left, sent);
    }
  }
  flush(&s, true);
  // The memory manager's books must balance: every pixel read by all its
  // readers and released everywhere.
  for (int64_t i = 0; i < s.nhd && !rc; i++)
    if (s.hd[i].present || s.hd[i].uses)
      rc = pt_errorf(err, "low-latency scheduling left a pixel on core %d "
                     "with %d reads to come (internal error)", s.hd[i].core,
                     s.hd[i].uses);
  for (int l = 0; l < c->nlayers; l++) {
    pt_error later; // after a failure, only clean up: keep its message
    h.err = rc ? &later : err;
    rc |= sc_wl_end(&h, &wt[l].w);
    free(wt[l].next);
    free(wt[l].ord);
    free(wt[l].issued);
  }
  h.err = err;
  pt_prog_release_all(h.p);
  if (!rc)
    rc = sc_check_memory(&h);
  for (int t = 0; t < g->nt; t++) {
    free(s.ts[t].head);
    free(s.ts[t].owner);
  }
  free(s.ts);
  free(s.hd);
  free(s.q);
  free(s.segs);
  free(layer_of);
  free(wt);
  for (int i = 0; i < g->nn; i++)
    free(vt[i].gp_done);
  free(vt);
  free(cores);
  sc_fini(&h);
  if (rc) {
    pt_prog_free(h.p);
    return -1;
  }
  *out = h.p;
  return 0;
}
