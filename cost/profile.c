// The profiler: an event-driven simulation of the per-core streams.
//
// Every core runs its stream in program order through a reorder buffer of
// chip.rob_size entries. An instruction is dispatched one core cycle after
// the previous one and once the entry it reuses has retired (retirement is
// in order); it starts when it is dispatched, its unit is free (its AG for
// an mvm, the vector unit for a vec, the transfer unit for the rest, as in
// pimsim-nn) and no older instruction still in flight reads or writes the
// local bytes it writes, or writes the bytes it reads; an in-order core
// also never starts an instruction before the previous one started. With a
// ROB of one entry everything is serial. Within an instruction the phases
// take their resources in turn (local memory port, the AG or vector unit,
// the network links, the global memory port), each a FIFO: a phase starts
// when the previous phase is done and the resource is free.
//
// Cores are advanced one instruction at a time, the core whose next
// instruction can start earliest first (a heap keyed by that time), so the
// shared resources (global memory ports, network links) are granted in
// nearly the order of the requests. Dependencies between cores follow
// compiler/check.c: a load waits until the global bytes it reads were
// stored; a synchronous send and its recv meet (the k-th send from A to B
// with the k-th recv on B from A) with a request and an acknowledgement
// over the network before the data moves; an asynchronous send does not
// wait and its recv takes the data when it has arrived. A core that must
// wait leaves the heap until the event it waits for happens; when no core
// can move and some have not finished, the program deadlocks.
//
// HT: the streams are one period of the pipeline, every layer on its own
// sample. A load of a tensor stored by a layer of the same group waits for
// the store of the same period; a tensor of an earlier group was stored
// (groups apart) periods before, so in a single simulated period it is
// ready, and when several periods run back to back it waits for that older
// period's stores. The period is the time of one period in steady state
// (docs/cost-model.md): with several periods, the run's makespan over their
// number, as periods back to back need not end in order.
#include "profile.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

// ORDER ENERGY
const char *pt_energy_names[PT_E_COUNT] = {
    "crossbar", "adc_dac", "vfu", "local_memory", "global_memory", "noc",
    "leakage"};

static const char *unit_names[PT_U_COUNT] = {"pim", "vfu", "local_memory",
                                             "transfer"};

enum { S_READY, S_SEND, S_RECV, S_LOAD, S_DONE };  // what a core waits for

typedef struct {
  uint32_t a, n;  // local bytes [a, a + n)
} range;

typedef struct {
  double f, r;    // finish and retire times
  range rd[2], wr;
} robent;

// The busy intervals of a core's local memory port, sorted and disjoint.
// Unlike the other resources it is not a plain FIFO: one instruction
// reserves its read and, later, its write, and a younger instruction's
// access may fit in between (out-of-order cores).
typedef struct {
  double a, b;
} busy_span;

typedef struct {
  const pt_inst *v;
  int64_t n, pc;
  int it;                 // period (HT runs several back to back)
  int state;
  int64_t seq;            // instructions dispatched so far
  int64_t store_no;       // stores done in this period
  double d, s;            // dispatch and start of the current instruction
  double last_d, last_s, last_r;
  robent *rob;            // [rob_size]
  double vfu_free, xfer_free;
  busy_span *port;           // local memory port calendar
  int nport, capport;
  double busy[PT_U_COUNT];
  double finish;
  int heap_at;            // position in the heap, -1 when out
  int64_t wait_st;        // S_LOAD: the store waited for, or -1
  int wait_node;          // S_LOAD: the producer waited for, or -1
} core;

typedef struct {
  double *t;
  int n, cap, head;
} chan;

typedef struct {
  const pt_program *p;
  const pt_graph *g;
  const pt_arch *a;
  pt_error *err;
  int nc, nchips, rob;
  bool inorder, sync;
  core *cs;
  int *heap, nheap;
  // Per AG: cached mvm cost, free time, busy time.
  double *ag_ns, *ag_xbar_pj, *ag_conv_pj, *ag_free, *ag_busy;
  // Global memory: per element (elem_bytes) the store that writes it, per
  // store its node and the time and period it last happened; per node the
  // stores it makes in a period and a ring of its completed periods.
  int32_t *sidx;
  int32_t *st_node;
  int64_t *store_base;      // [nc] first store index of each core
  double *st_time;
  int32_t *st_iter;
  int16_t *ghome;           // chip whose global memory holds the element
  int32_t *node_stores;     // [nn]
  int W;                    // ring size
  int32_t *nd_iter, *nd_count;
  double *nd_time;
  bool all_deps;
  int iters;
  double *iter_end;         // [iters] last finish of each period
  // Waiting loads.
  int *waiting, nwaiting;
  // Network.
  double *inj, *ej, *link;
  int nlinks, chip_link_base;
  chan *ch;                 // async channels [nc * nc]
  double *gm_free;          // [nchips]
  double gm_busy;           // summed over chips
  // Statistics of the run.
  double pj[PT_E_COUNT];
  int64_t gload, gstore, noc_bytes, noc_byte_hops, noc_flits;
} sim;

static double dmax(double a, double b) { return a > b ? a : b; }

// ---------------------------------------------------------------------------
// The heap of ready cores, keyed by the start time of their next
// instruction (ties: lower core first, so runs are deterministic).

static bool before(const sim *s, int x, int y) {
  double a = s->cs[x].s, b = s->cs[y].s;
  return a < b || (a == b && x < y);
}

static void heap_set(sim *s, int i, int c) {
  s->heap[i] = c;
  s->cs[c].heap_at = i;
}

static void heap_push(sim *s, int c) {
  int i = s->nheap++;
  while (i > 0 && before(s, c, s->heap[(i - 1) / 2])) {
    heap_set(s, i, s->heap[(i - 1) / 2]);
    i = (i - 1) / 2;
  }
  heap_set(s, i, c);
}

static int heap_pop(sim *s) {
  int top = s->heap[0], last = s->heap[--s->nheap];
  int i = 0;
  for (;;) {
    int l = 2 * i + 1, m = i;
    int best = last;
    if (l < s->nheap && before(s, s->heap[l], best))
      m = l, best = s->heap[l];
    if (l + 1 < s->nheap && before(s, s->heap[l + 1], best))
      m = l + 1, best = s->heap[l + 1];
    if (m == i)
      break;
    heap_set(s, i, s->heap[m]);
    i = m;
  }
  if (s->nheap)
    heap_set(s, i, last);
  s->cs[top].heap_at = -1;
  return top;
}

// ---------------------------------------------------------------------------
// Network: XY routes over directed links, each a FIFO that carries one
// message at a time. A message of F flits holds each link (and its source's
// injection and destination's ejection port) for F x link latency; its head
// moves on after router + link latency per hop (+ the off-chip latency
// between chips). Network ids: cores 0 .. nc-1, global memories nc + chip.

enum { E, W, N, S };

static int node_of(const sim *s, int id) {
  return id < s->nc ? id : -1 - (id - s->nc);
}

typedef struct {
  sim *s;
  double head, flit_ns;
  int64_t flits;
} walk;

static void take_link(walk *w, int l, double lat) {
  double st = dmax(w->head, w->s->link[l]);
  w->s->link[l] = st + (double)w->flits * w->flit_ns;
  w->head = st + lat;
}

// XY on one chip from (x, y) to (tx, ty).
static void mesh_route(walk *w, int chip, int x, int y, int tx, int ty) {
  const pt_arch *a = w->s->a;
  double lat = a->router_latency_ns + a->link_latency_ns;
  if (a->topology == PT_NOC_BUS) {
    if (x != tx || y != ty)
      take_link(w, chip, lat);
    return;
  }
  while (x != tx) {
    int d = tx > x ? E : W;
    take_link(w, ((chip * a->cores_y + y) * a->cores_x + x) * 4 + d, lat);
    x += d == E ? 1 : -1;
  }
  while (y != ty) {
    int d = ty > y ? S : N;
    take_link(w, ((chip * a->cores_y + y) * a->cores_x + x) * 4 + d, lat);
    y += d == S ? 1 : -1;
  }
}

// Send `bytes` (0: a one-flit control message) from network id `from` to
// `to`, ready at time t. Returns the arrival of the tail; *inj_end is when
// the tail left the source.
static double noc_send(sim *s, int from, int to, int64_t bytes, double t,
                       double *inj_end) {
  const pt_arch *a = s->a;
  walk w = {s, t, a->link_latency_ns, pt_opcost_flits(a, bytes)};
  double hold = (double)w.flits * w.flit_ns;
  double st = dmax(t, s->inj[from]);
  s->inj[from] = st + hold;
  if (inj_end)
    *inj_end = st + hold;
  w.head = st;
  pt_noc_pos p = pt_opcost_pos(a, node_of(s, from));
  pt_noc_pos q = pt_opcost_pos(a, node_of(s, to));
  int chip_hops;
  int hops = pt_opcost_hops(a, node_of(s, from), node_of(s, to), &chip_hops);
  if (p.chip == q.chip) {
    mesh_route(&w, p.chip, p.x, p.y, q.x, q.y);
  } else {
    mesh_route(&w, p.chip, p.x, p.y, 0, 0);
    int cx = p.chip % a->chips_x, cy = p.chip / a->chips_x;
    int tx = q.chip % a->chips_x, ty = q.chip / a->chips_x;
    double lat = a->router_latency_ns + a->link_latency_ns +
                 a->offchip_latency_ns;
    while (cx != tx || cy != ty) {
      int d = cx != tx ? (tx > cx ? E : W) : (ty > cy ? S : N);
      take_link(&w, s->chip_link_base + (cy * a->chips_x + cx) * 4 + d, lat);
      cx += d == E ? 1 : d == W ? -1 : 0;
      cy += d == S ? 1 : d == N ? -1 : 0;
    }
    mesh_route(&w, q.chip, 0, 0, q.x, q.y);
  }
  // The tail arrives F flits after the head; the ejection port is a FIFO.
  double arr = dmax(w.head, s->ej[to]);
  s->ej[to] = arr + hold;
  s->pj[PT_E_NOC] += pt_opcost_msg_pj(a, hops, w.flits);
  s->noc_flits += w.flits;
  if (bytes > 0) {
    s->noc_bytes += bytes;
    s->noc_byte_hops += bytes * hops;
  }
  return arr + hold;
}

// Zero-load latency of one flit between two network ids (handshakes).
static double ctl_ns(const sim *s, int from, int to) {
  int ch, h = pt_opcost_hops(s->a, node_of(s, from), node_of(s, to), &ch);
  return pt_opcost_msg_ns(s->a, h, ch, 1);
}

// ---------------------------------------------------------------------------
// One instruction's timing

static int64_t nbytes(const sim *s, int32_t len) {
  return (int64_t)len * s->p->elem_bytes;
}

static range rg(const sim *s, uint32_t a, int32_t len) {
  return (range){a, (uint32_t)nbytes(s, len)};
}

static void ranges(const sim *s, const pt_inst *in, range rd[2], range *wr) {
  rd[0] = rd[1] = *wr = (range){0, 0};
  switch (in->op) {
  case PT_I_MVM:
    rd[0] = rg(s, in->src1, in->len), *wr = rg(s, in->dst, in->len2);
    break;
  case PT_I_VEC:
    rd[0] = rg(s, in->src1, in->len);
    if (pt_vop_binary(in->vop))
      rd[1] = rg(s, in->src2, in->flags & PT_IF_BCAST ? 1 : in->len);
    *wr = rg(s, in->dst, in->len);
    break;
  case PT_I_COPY:
    rd[0] = rg(s, in->src1, in->len), *wr = rg(s, in->dst, in->len);
    break;
  case PT_I_WRITE:
  case PT_I_LOAD:
  case PT_I_RECV:
    *wr = rg(s, in->dst, in->len);
    break;
  case PT_I_STORE:
  case PT_I_SEND:
    rd[0] = rg(s, in->src1, in->len);
    break;
  }
}

static bool overlap(range x, range y) {
  return x.n && y.n && x.a < y.a + y.n && y.a < x.a + x.n;
}

static double *unit_free(sim *s, core *k, const pt_inst *in) {
  if (in->op == PT_I_MVM)
    return &s->ag_free[in->arg];
  if (in->op == PT_I_VEC)
    return &k->vfu_free;
  return &k->xfer_free;
}

// The earliest start of core c's current instruction from the core's own
// state: dispatch, ROB, in-order start, hazards, its unit.
static void prepare(sim *s, int c) {
  core *k = &s->cs[c];
  const pt_inst *in = &k->v[k->pc];
  double per = s->a->core_period_ns;
  double d = k->last_d + per;
  if (k->seq >= s->rob)
    d = dmax(d, k->rob[k->seq % s->rob].r + per);
  double st = d;
  if (s->inorder)
    st = dmax(st, k->last_s);
  if (s->rob > 1) {
    range rd[2], wr;
    ranges(s, in, rd, &wr);
    int64_t back = k->seq < s->rob - 1 ? k->seq : s->rob - 1;
    for (int64_t j = 1; j <= back; j++) {
      const robent *e = &k->rob[(k->seq - j) % s->rob];
      if (e->f <= st)
        continue;
      if (overlap(rd[0], e->wr) || overlap(rd[1], e->wr) ||
          overlap(wr, e->rd[0]) || overlap(wr, e->rd[1]) ||
          overlap(wr, e->wr))
        st = e->f;
    }
  }
  k->d = d;
  k->s = dmax(st, *unit_free(s, k, in));
}

// A phase on a FIFO resource: starts at t or when the resource is free.
static double phase(double t, double *free, double dur, double *busy) {
  double st = dmax(t, *free);
  *free = st + dur;
  if (busy)
    *busy += dur;
  return st + dur;
}

// Reserve the first gap of `dur` at or after t in core k's local memory
// port. Intervals that end before the current dispatch time are dropped:
// no later access of this core can start before it.
static double port_reserve(core *k, double t, double dur) {
  int drop = 0;
  while (drop < k->nport && k->port[drop].b <= k->d)
    drop++;
  if (drop) {
    memmove(k->port, k->port + drop, (k->nport - drop) * sizeof *k->port);
    k->nport -= drop;
  }
  int i = 0;
  for (; i < k->nport; i++) {
    if (k->port[i].b <= t)
      continue;
    if (k->port[i].a >= t + dur)
      break;
    t = k->port[i].b;
  }
  if (k->nport == k->capport) {
    k->capport = k->capport ? 2 * k->capport : 8;
    k->port = pt_realloc(k->port, k->capport * sizeof *k->port);
  }
  memmove(k->port + i + 1, k->port + i, (k->nport - i) * sizeof *k->port);
  k->port[i] = (busy_span){t, t + dur};
  k->nport++;
  return t + dur;
}

static double lmem(sim *s, core *k, double t, int64_t bytes, bool write) {
  if (bytes <= 0)
    return t;
  double ns = pt_opcost_mem_ns(&s->a->local, bytes, write);
  s->pj[PT_E_LOCAL] += pt_opcost_mem_pj(&s->a->local, bytes, write);
  k->busy[PT_U_LOCAL] += ns;
  return port_reserve(k, t, ns);
}

// Core c's current instruction ran from k->s to f: record it and move on.
static void commit(sim *s, int c, double f) {
  core *k = &s->cs[c];
  const pt_inst *in = &k->v[k->pc];
  robent *e = &k->rob[k->seq % s->rob];
  e->f = f;
  e->r = dmax(f, k->last_r);
  ranges(s, in, e->rd, &e->wr);
  k->last_r = e->r, k->last_d = k->d, k->last_s = k->s;
  k->seq++;
  *unit_free(s, k, in) = f;
  if (in->op == PT_I_MVM) {
    k->busy[PT_U_PIM] += f - k->s;
    s->ag_busy[in->arg] += f - k->s;
  } else if (in->op != PT_I_VEC) {
    k->busy[PT_U_XFER] += f - k->s;
  }
  if (f > k->finish)
    k->finish = f;
  if (f > s->iter_end[k->it])
    s->iter_end[k->it] = f;
  k->state = S_READY;
  if (++k->pc == k->n) {
    k->pc = 0;
    k->store_no = 0;
    if (++k->it == s->iters) {
      k->state = S_DONE;
      return;
    }
  }
  prepare(s, c);
  heap_push(s, c);
}

static void exec_mvm(sim *s, int c, const pt_inst *in) {
  core *k = &s->cs[c];
  double t = lmem(s, k, k->s, nbytes(s, in->len), false);
  t += s->ag_ns[in->arg];
  s->pj[PT_E_CROSSBAR] += s->ag_xbar_pj[in->arg];
  s->pj[PT_E_ADC_DAC] += s->ag_conv_pj[in->arg];
  commit(s, c, lmem(s, k, t, nbytes(s, in->len2), true));
}

static void exec_vec(sim *s, int c, const pt_inst *in) {
  core *k = &s->cs[c];
  double t = lmem(s, k, k->s, nbytes(s, in->len), false);
  if (pt_vop_binary(in->vop))
    t = lmem(s, k, t, nbytes(s, in->flags & PT_IF_BCAST ? 1 : in->len), false);
  double ns = pt_opcost_vec_ns(s->a, in->vop, in->len, in->len2);
  k->busy[PT_U_VFU] += ns;
  s->pj[PT_E_VFU] += pt_opcost_vec_pj(s->a, in->vop, in->len, in->len2);
  commit(s, c, lmem(s, k, t + ns, nbytes(s, in->len), true));
}

static void exec_copy(sim *s, int c, const pt_inst *in) {
  core *k = &s->cs[c];
  double t = k->s;
  if (in->op == PT_I_COPY)
    t = lmem(s, k, t, nbytes(s, in->len), false);
  commit(s, c, lmem(s, k, t, nbytes(s, in->len), true));
}

// ---------------------------------------------------------------------------
// Global memory

static int chip_of(const sim *s, int c) { return c / s->a->cores; }

static int group_of(const sim *s, int node) {
  return s->p->group && node >= 0 && node < s->g->nn ? s->p->group[node] : -1;
}

// Can core c's load start? On success *ready is when its bytes were all
// stored (0 if they always were). On failure the core waits.
static bool load_ready(sim *s, int c, const pt_inst *in, double *ready) {
  core *k = &s->cs[c];
  int eb = s->p->elem_bytes;
  int64_t e0 = in->src1 / eb, e1 = (in->src1 + nbytes(s, in->len) + eb - 1) / eb;
  int gc = group_of(s, in->node);
  int32_t last = -1;
  *ready = 0;
  for (int64_t e = e0; e < e1; e++) {
    int32_t st = s->sidx[e];
    if (st < 0 || st == last)
      continue;
    last = st;
    int pn = s->st_node[st];
    int gp = group_of(s, pn);
    int lag = s->all_deps || gc < 0 || gp < 0 || gp > gc ? 0 : gc - gp;
    int need = k->it - lag;
    if (need < 0)
      continue; // stored before the simulated periods
    if (lag == 0) {
      if (s->st_iter[st] < need) {
        k->wait_st = st, k->wait_node = -1;
        return false;
      }
      if (s->st_iter[st] == need)
        *ready = dmax(*ready, s->st_time[st]);
    } else { // the whole producer, `lag` periods ago
      int slot = pn * s->W + need % s->W;
      if (s->nd_iter[slot] < need ||
          (s->nd_iter[slot] == need &&
           s->nd_count[slot] < s->node_stores[pn])) {
        k->wait_st = -1, k->wait_node = pn;
        return false;
      }
      if (s->nd_iter[slot] == need)
        *ready = dmax(*ready, s->nd_time[slot]);
    }
  }
  return true;
}

static void exec_load(sim *s, int c, const pt_inst *in, double ready) {
  core *k = &s->cs[c];
  int64_t b = nbytes(s, in->len);
  int chip = s->ghome ? s->ghome[in->src1 / s->p->elem_bytes] : 0;
  int gm = s->nc + chip;
  double t = noc_send(s, c, gm, 0, k->s, NULL);
  t = phase(dmax(t, ready), &s->gm_free[chip],
            pt_opcost_mem_ns(&s->a->global, b, false), &s->gm_busy);
  s->pj[PT_E_GLOBAL] += pt_opcost_mem_pj(&s->a->global, b, false);
  s->gload += b;
  t = noc_send(s, gm, c, b, t, NULL);
  commit(s, c, lmem(s, k, t, b, true));
}

static void exec_store(sim *s, int c, const pt_inst *in) {
  core *k = &s->cs[c];
  int64_t b = nbytes(s, in->len);
  int chip = chip_of(s, c);
  double t = lmem(s, k, k->s, b, false);
  t = noc_send(s, c, s->nc + chip, b, t, NULL);
  t = phase(t, &s->gm_free[chip], pt_opcost_mem_ns(&s->a->global, b, true),
            &s->gm_busy);
  s->pj[PT_E_GLOBAL] += pt_opcost_mem_pj(&s->a->global, b, true);
  s->gstore += b;
  int64_t st = s->store_base[c] + k->store_no++;
  s->st_time[st] = t;
  s->st_iter[st] = k->it;
  int eb = s->p->elem_bytes;
  int64_t e0 = in->dst / eb, e1 = (in->dst + b + eb - 1) / eb;
  if (s->ghome)
    for (int64_t e = e0; e < e1; e++)
      s->ghome[e] = (int16_t)chip;
  int pn = s->st_node[st];
  if (pn >= 0) {
    int slot = pn * s->W + k->it % s->W;
    if (s->nd_iter[slot] != k->it)
      s->nd_iter[slot] = k->it, s->nd_count[slot] = 0, s->nd_time[slot] = 0;
    s->nd_count[slot]++;
    s->nd_time[slot] = dmax(s->nd_time[slot], t);
  }
  commit(s, c, t);
  // Wake the loads that may now go: they check again when popped.
  for (int i = 0; i < s->nwaiting;) {
    int w = s->waiting[i];
    if (s->cs[w].wait_st != st && (pn < 0 || s->cs[w].wait_node != pn)) {
      i++;
      continue;
    }
    const pt_inst *l = &s->cs[w].v[s->cs[w].pc];
    double ready;
    if (load_ready(s, w, l, &ready)) {
      s->waiting[i] = s->waiting[--s->nwaiting];
      s->cs[w].state = S_READY;
      heap_push(s, w);
    } else {
      i++;
    }
  }
}

// ---------------------------------------------------------------------------
// Transfers

// A synchronous send on core a meets its recv on core b.
static void rendezvous(sim *s, int a, int b) {
  core *ka = &s->cs[a], *kb = &s->cs[b];
  const pt_inst *in = &ka->v[ka->pc], *out = &kb->v[kb->pc];
  // Request from a to b, acknowledgement back, then the data.
  double l1 = ctl_ns(s, a, b), l2 = ctl_ns(s, b, a);
  double t = dmax(ka->s + l1, kb->s) + l2;
  int ch;
  int h = pt_opcost_hops(s->a, a, b, &ch);
  s->pj[PT_E_NOC] += 2 * pt_opcost_msg_pj(s->a, h, 1);
  s->noc_flits += 2;
  int64_t bsend = nbytes(s, in->len), brecv = nbytes(s, out->len);
  t = lmem(s, ka, t, bsend, false);
  double inj_end, arr = noc_send(s, a, b, bsend, t, &inj_end);
  double fb = lmem(s, kb, arr, brecv, true);
  commit(s, a, inj_end);
  commit(s, b, fb);
}

static chan *channel(sim *s, int from, int to) {
  return &s->ch[(int64_t)from * s->nc + to];
}

static void exec_send_async(sim *s, int c, const pt_inst *in) {
  core *k = &s->cs[c];
  int64_t b = nbytes(s, in->len);
  double t = lmem(s, k, k->s, b, false);
  double inj_end, arr = noc_send(s, c, in->arg, b, t, &inj_end);
  chan *q = channel(s, c, in->arg);
  if (q->n == q->cap) {
    if (q->head > 0) {
      memmove(q->t, q->t + q->head, (q->n - q->head) * sizeof *q->t);
      q->n -= q->head, q->head = 0;
    }
    if (q->n == q->cap) {
      q->cap = q->cap ? 2 * q->cap : 8;
      q->t = pt_realloc(q->t, q->cap * sizeof *q->t);
    }
  }
  q->t[q->n++] = arr;
  commit(s, c, inj_end);
  core *r = &s->cs[in->arg];
  if (r->state == S_RECV && r->v[r->pc].arg == c) {
    r->state = S_READY;
    heap_push(s, in->arg);
  }
}

static bool exec_recv_async(sim *s, int c, const pt_inst *in) {
  chan *q = channel(s, in->arg, c);
  if (q->head == q->n)
    return false;
  double arr = q->t[q->head++];
  core *k = &s->cs[c];
  commit(s, c, lmem(s, k, dmax(arr, k->s), nbytes(s, in->len), true));
  return true;
}

// ---------------------------------------------------------------------------
// The run

static int bad(sim *s, int c, const char *what, int v) {
  return pt_errorf(s->err, "core %d, instruction %lld: %s %d", c,
                   (long long)s->cs[c].pc, what, v);
}

static int step(sim *s, int c) {
  core *k = &s->cs[c];
  const pt_inst *in = &k->v[k->pc];
  switch (in->op) {
  case PT_I_MVM:
    exec_mvm(s, c, in);
    return 0;
  case PT_I_VEC:
    exec_vec(s, c, in);
    return 0;
  case PT_I_COPY:
  case PT_I_WRITE:
    exec_copy(s, c, in);
    return 0;
  case PT_I_LOAD: {
    double ready;
    if (!load_ready(s, c, in, &ready)) {
      k->state = S_LOAD;
      s->waiting[s->nwaiting++] = c;
      return 0;
    }
    exec_load(s, c, in, ready);
    return 0;
  }
  case PT_I_STORE:
    exec_store(s, c, in);
    return 0;
  case PT_I_SEND: {
    if (s->cs[in->arg].state == S_DONE)
      return pt_errorf(s->err, "core %d, instruction %lld: sends to core %d, "
                       "which has finished", c, (long long)k->pc, in->arg);
    if (!s->sync) {
      exec_send_async(s, c, in);
      return 0;
    }
    core *r = &s->cs[in->arg];
    if (r->state == S_RECV && r->v[r->pc].arg == c)
      rendezvous(s, c, in->arg);
    else
      k->state = S_SEND;
    return 0;
  }
  case PT_I_RECV: {
    if (!s->sync) {
      if (!exec_recv_async(s, c, in))
        k->state = S_RECV;
      return 0;
    }
    core *r = &s->cs[in->arg];
    if (r->state == S_SEND && r->v[r->pc].arg == c)
      rendezvous(s, in->arg, c);
    else
      k->state = S_RECV;
    return 0;
  }
  }
  return bad(s, c, "unknown op", in->op);
}

// Check what the simulation trusts: AGs on their core, peers in range,
// addresses inside the global image.
static int validate(sim *s) {
  const pt_program *p = s->p;
  for (int c = 0; c < p->ncores; c++)
    for (int64_t i = 0; i < p->core[c].n; i++) {
      const pt_inst *in = &p->core[c].v[i];
      s->cs[c].pc = i;
      if (in->op >= PT_I_COUNT)
        return bad(s, c, "unknown op", in->op);
      if (in->op == PT_I_MVM &&
          (in->arg < 0 || in->arg >= p->nags || p->ag[in->arg].core != c))
        return bad(s, c, "mvm on an AG that is not on this core:", in->arg);
      if ((in->op == PT_I_SEND || in->op == PT_I_RECV) &&
          (in->arg < 0 || in->arg >= p->ncores || in->arg == c))
        return bad(s, c, "transfer with core", in->arg);
      if (in->op == PT_I_VEC && in->vop >= PT_V_COUNT)
        return bad(s, c, "unknown vector op", in->vop);
      if (in->len < 0 || in->len2 < 0)
        return bad(s, c, "negative length", in->len < 0 ? in->len : in->len2);
      int64_t ga = in->op == PT_I_LOAD    ? (int64_t)in->src1
                   : in->op == PT_I_STORE ? (int64_t)in->dst
                                          : -1;
      if (ga >= 0 && ga + nbytes(s, in->len) > p->global_bytes)
        return bad(s, c, "global access beyond the image at",
                   (int)(ga + nbytes(s, in->len)));
    }
  return 0;
}

static void reset(sim *s, int iters, bool all_deps) {
  s->iters = iters;
  s->all_deps = all_deps;
  for (int c = 0; c < s->nc; c++) {
    core *k = &s->cs[c];
    robent *rob = k->rob;
    busy_span *port = k->port;
    int capport = k->capport;
    memset(k, 0, sizeof *k);
    k->rob = rob, k->port = port, k->capport = capport;
    k->v = s->p->core[c].v;
    k->n = s->p->core[c].n;
    k->last_d = -s->a->core_period_ns;
    k->heap_at = -1;
    k->state = k->n ? S_READY : S_DONE;
  }
  for (int i = 0; i < s->p->nags; i++)
    s->ag_free[i] = s->ag_busy[i] = 0;
  int64_t nst = s->store_base[s->nc];
  for (int64_t i = 0; i < nst; i++)
    s->st_iter[i] = -1, s->st_time[i] = 0;
  for (int64_t i = 0; i < (int64_t)s->g->nn * s->W; i++)
    s->nd_iter[i] = -1, s->nd_count[i] = 0, s->nd_time[i] = 0;
  int64_t nodes = s->nc + s->nchips;
  memset(s->inj, 0, nodes * sizeof *s->inj);
  memset(s->ej, 0, nodes * sizeof *s->ej);
  memset(s->link, 0, s->nlinks * sizeof *s->link);
  memset(s->gm_free, 0, s->nchips * sizeof *s->gm_free);
  if (s->ch)
    for (int64_t i = 0; i < (int64_t)s->nc * s->nc; i++)
      s->ch[i].n = s->ch[i].head = 0;
  if (s->ghome)
    memset(s->ghome, 0,
           (s->p->global_bytes / s->p->elem_bytes + 1) * sizeof *s->ghome);
  free(s->iter_end);
  s->iter_end = pt_calloc(iters, sizeof *s->iter_end);
  s->nwaiting = 0;
  s->nheap = 0;
  memset(s->pj, 0, sizeof s->pj);
  s->gm_busy = 0;
  s->gload = s->gstore = s->noc_bytes = s->noc_byte_hops = s->noc_flits = 0;
}

static const char *state_name(int st) {
  return st == S_SEND ? "a send" : st == S_RECV ? "a recv"
         : st == S_LOAD ? "a load of bytes never stored" : "?";
}

// Run `iters` periods; the makespan is the largest iter_end[] (periods
// need not end in order).
static int run(sim *s, int iters, bool all_deps) {
  reset(s, iters, all_deps);
  for (int c = 0; c < s->nc; c++)
    if (s->cs[c].n) {
      prepare(s, c);
      heap_push(s, c);
    }
  while (s->nheap)
    if (step(s, heap_pop(s)))
      return -1;
  for (int c = 0; c < s->nc; c++)
    if (s->cs[c].state != S_DONE) {
      const pt_inst *in = &s->cs[c].v[s->cs[c].pc];
      return pt_errorf(s->err, "deadlock: core %d waits at instruction %lld "
                       "(%s %d, %s) in period %d and no core can move", c,
                       (long long)s->cs[c].pc, pt_iop_names[in->op],
                       in->op == PT_I_SEND || in->op == PT_I_RECV ? in->arg
                                                                  : in->len,
                       state_name(s->cs[c].state), s->cs[c].it);
    }
  return 0;
}

// ---------------------------------------------------------------------------
// Set-up and the report

static void sim_free(sim *s) {
  for (int c = 0; c < s->nc; c++) {
    free(s->cs[c].rob);
    free(s->cs[c].port);
  }
  if (s->ch)
    for (int64_t i = 0; i < (int64_t)s->nc * s->nc; i++)
      free(s->ch[i].t);
  free(s->ch);
  free(s->cs);
  free(s->heap);
  free(s->ag_ns);
  free(s->ag_xbar_pj);
  free(s->ag_conv_pj);
  free(s->ag_free);
  free(s->ag_busy);
  free(s->sidx);
  free(s->st_node);
  free(s->store_base);
  free(s->st_time);
  free(s->st_iter);
  free(s->ghome);
  free(s->node_stores);
  free(s->nd_iter);
  free(s->nd_count);
  free(s->nd_time);
  free(s->iter_end);
  free(s->waiting);
  free(s->inj);
  free(s->ej);
  free(s->link);
  free(s->gm_free);
}

static int sim_init(sim *s, const pt_program *p, const pt_graph *g,
                    const pt_arch *a, pt_error *err) {
  memset(s, 0, sizeof *s);
  s->p = p, s->g = g, s->a = a, s->err = err;
  s->nc = p->ncores;
  s->nchips = a->chips_x * a->chips_y;
  if (p->ncores > pt_arch_total_cores(a))
    return pt_errorf(err, "the program has %d cores, the chip %d",
                     p->ncores, pt_arch_total_cores(a));
  if (p->elem_bytes < 1)
    return pt_errorf(err, "the program's element size is %d bytes",
                     p->elem_bytes);
  s->rob = a->rob_size > 1 ? a->rob_size : 1;
  s->inorder = a->exec == PT_EXEC_INORDER;
  s->sync = a->comm == PT_COMM_SYNC;
  s->cs = pt_calloc(s->nc, sizeof *s->cs);
  for (int c = 0; c < s->nc; c++)
    s->cs[c].rob = pt_calloc(s->rob, sizeof *s->cs[c].rob);
  s->heap = pt_malloc((s->nc + 1) * sizeof *s->heap);
  s->waiting = pt_malloc((s->nc + 1) * sizeof *s->waiting);
  if (validate(s))
    return -1;
  int na = p->nags;
  s->ag_ns = pt_calloc(na + 1, sizeof *s->ag_ns);
  s->ag_xbar_pj = pt_calloc(na + 1, sizeof *s->ag_xbar_pj);
  s->ag_conv_pj = pt_calloc(na + 1, sizeof *s->ag_conv_pj);
  s->ag_free = pt_calloc(na + 1, sizeof *s->ag_free);
  s->ag_busy = pt_calloc(na + 1, sizeof *s->ag_busy);
  for (int i = 0; i < na; i++) {
    s->ag_ns[i] = pt_opcost_mvm_ns(a, p->ag[i].rows, p->ag[i].cols);
    pt_opcost_mvm_pj(a, p->ag[i].rows, p->ag[i].cols, &s->ag_xbar_pj[i],
                     &s->ag_conv_pj[i]);
  }
  // Stores: numbered core by core in program order; each global element
  // knows the store that writes it (the checker makes it unique).
  s->store_base = pt_calloc(s->nc + 1, sizeof *s->store_base);
  for (int c = 0; c < s->nc; c++) {
    int64_t n = 0;
    for (int64_t i = 0; i < p->core[c].n; i++)
      n += p->core[c].v[i].op == PT_I_STORE;
    s->store_base[c + 1] = s->store_base[c] + n;
  }
  int64_t nst = s->store_base[s->nc];
  int64_t nel = p->global_bytes / p->elem_bytes + 1;
  s->sidx = pt_malloc(nel * sizeof *s->sidx);
  for (int64_t e = 0; e < nel; e++)
    s->sidx[e] = -1;
  s->st_node = pt_malloc((nst + 1) * sizeof *s->st_node);
  s->st_time = pt_calloc(nst + 1, sizeof *s->st_time);
  s->st_iter = pt_calloc(nst + 1, sizeof *s->st_iter);
  s->node_stores = pt_calloc(g->nn + 1, sizeof *s->node_stores);
  for (int c = 0; c < s->nc; c++) {
    int64_t k = s->store_base[c];
    for (int64_t i = 0; i < p->core[c].n; i++) {
      const pt_inst *in = &p->core[c].v[i];
      if (in->op != PT_I_STORE)
        continue;
      int node = in->node >= 0 && in->node < g->nn ? in->node : -1;
      s->st_node[k] = node;
      if (node >= 0)
        s->node_stores[node]++;
      int64_t e0 = in->dst / p->elem_bytes;
      int64_t e1 = (in->dst + nbytes(s, in->len) + p->elem_bytes - 1) /
                   p->elem_bytes;
      for (int64_t e = e0; e < e1; e++)
        s->sidx[e] = (int32_t)k;
      k++;
    }
  }
  s->W = (p->ngroups > 0 ? p->ngroups : 1) + 2;
  int64_t nslots = (int64_t)g->nn * s->W + 1;
  s->nd_iter = pt_malloc(nslots * sizeof *s->nd_iter);
  s->nd_count = pt_malloc(nslots * sizeof *s->nd_count);
  s->nd_time = pt_malloc(nslots * sizeof *s->nd_time);
  if (s->nchips > 1)
    s->ghome = pt_calloc(nel, sizeof *s->ghome);
  // Network: four links out of every router, four out of every chip.
  int64_t routers = (int64_t)s->nchips * a->cores_x * a->cores_y;
  s->chip_link_base = (int)(a->topology == PT_NOC_BUS ? s->nchips
                                                      : routers * 4);
  s->nlinks = s->chip_link_base + s->nchips * 4;
  s->link = pt_calloc(s->nlinks, sizeof *s->link);
  s->inj = pt_calloc(s->nc + s->nchips, sizeof *s->inj);
  s->ej = pt_calloc(s->nc + s->nchips, sizeof *s->ej);
  s->gm_free = pt_calloc(s->nchips, sizeof *s->gm_free);
  if (!s->sync)
    s->ch = pt_calloc((int64_t)s->nc * s->nc, sizeof *s->ch);
  return 0;
}

void pt_prof_opts_default(pt_prof_opts *o) {
  memset(o, 0, sizeof *o);
  o->ht_pass = true;
  o->leak_idle_cores = false;
  o->ht_periods = 1;
}

// Fill the report from the last run, which covered `samples` samples'
// work in `span` ns (one sample per `per_sample` ns for the energy).
static void fill_report(sim *s, pt_prof_report *r, const pt_prof_opts *o,
                        double span, double per_sample, int samples) {
  const pt_program *p = s->p;
  const pt_arch *a = s->a;
  r->ncores = s->nc;
  r->core = pt_calloc(s->nc, sizeof *r->core);
  int powered = 0;
  for (int c = 0; c < s->nc; c++) {
    pt_prof_core *pc = &r->core[c];
    const core *k = &s->cs[c];
    pc->instructions = p->core[c].n;
    pc->finish_ns = k->finish;
    pc->peak_local_bytes = p->core[c].peak_local_bytes;
    for (int u = 0; u < PT_U_COUNT; u++)
      pc->busy_ns[u] = k->busy[u] / samples;
    if (pc->peak_local_bytes > r->peak_local_bytes)
      r->peak_local_bytes = pc->peak_local_bytes;
    r->instructions += p->core[c].n;
  }
  double xb = 0, xb_busy = 0;
  for (int i = 0; i < p->nags; i++) {
    pt_prof_core *pc = &r->core[p->ag[i].core];
    pc->nags++;
    pc->crossbars += p->ag[i].crossbars;
    xb += p->ag[i].crossbars;
    xb_busy += p->ag[i].crossbars * s->ag_busy[i];
  }
  for (int c = 0; c < s->nc; c++) {
    pt_prof_core *pc = &r->core[c];
    double t = span / samples;
    if (t > 0) {
      pc->pim_util = pc->nags ? pc->busy_ns[PT_U_PIM] / (pc->nags * t) : 0;
      pc->vfu_util = pc->busy_ns[PT_U_VFU] / t;
      pc->local_util = pc->busy_ns[PT_U_LOCAL] / t;
      pc->xfer_util = pc->busy_ns[PT_U_XFER] / t;
    }
    if (o->leak_idle_cores || pc->instructions || pc->nags)
      powered++;
  }
  r->powered_cores = powered;
  r->crossbar_utilisation = xb > 0 && span > 0 ? xb_busy / (xb * span) : 0;
  r->crossbars_used_fraction = xb / (double)pt_arch_logical_total(a);
  r->global_port_utilisation = span > 0 ? s->gm_busy / (s->nchips * span) : 0;
  // Static power: the powered cores, and the global memory of every chip
  // that has one of them.
  bool *chip_on = pt_calloc(s->nchips, 1);
  for (int c = 0; c < s->nc; c++)
    if (o->leak_idle_cores || r->core[c].instructions || r->core[c].nags)
      chip_on[chip_of(s, c)] = true;
  int chips = 0;
  for (int k = 0; k < s->nchips; k++)
    chips += chip_on[k];
  free(chip_on);
  r->static_mw = powered * pt_opcost_core_static_mw(a) +
                 chips * a->global.static_power_mw;
  r->dynamic_pj = 0;
  for (int e = 0; e < PT_E_COUNT; e++) {
    double pj = e == PT_E_LEAKAGE ? r->static_mw * per_sample // mW x ns = pJ
                                  : s->pj[e] / samples;
    r->energy_breakdown_j[e] = pj * 1e-12;
    r->energy_j += pj * 1e-12;
    if (e != PT_E_LEAKAGE)
      r->dynamic_pj += pj;
  }
  r->global_load_bytes = s->gload / samples;
  r->global_store_bytes = s->gstore / samples;
  r->global_bytes = r->global_load_bytes + r->global_store_bytes;
  r->noc_bytes = s->noc_bytes / samples;
  r->noc_byte_hops = s->noc_byte_hops / samples;
  r->noc_flits = s->noc_flits / samples;
}

int pt_prof_run(const pt_program *p, const pt_graph *g, const pt_arch *a,
                const pt_prof_opts *o, pt_prof_report *r, pt_error *err) {
  pt_prof_opts dflt;
  if (!o) {
    pt_prof_opts_default(&dflt);
    o = &dflt;
  }
  memset(r, 0, sizeof *r);
  r->mode = p->mode;
  sim s;
  int rc = sim_init(&s, p, g, a, err);
  if (!rc && p->mode == PT_MODE_HT) {
    if (o->ht_pass && !(rc = run(&s, 1, true)))
      r->pass_s = s.iter_end[0] * 1e-9;
    int k = o->ht_periods > 1 ? o->ht_periods : 1;
    if (!rc && !(rc = run(&s, k, false))) {
      // The mean period over the whole run: the makespan of K periods over
      // K. Periods need not end in order (a core may finish period k + 1
      // before another finishes period k), so no window between the ends
      // of two periods holds exactly their work; the whole run does, and
      // every shared resource's busy time fits in it.
      double span = 0;
      for (int i = 0; i < k; i++)
        span = dmax(span, s.iter_end[i]);
      double period = span / k;
      r->ngroups = p->ngroups > 0 ? p->ngroups : 1;
      r->period_s = period * 1e-9;
      r->throughput_sps = period > 0 ? 1e9 / period : 0;
      r->first_latency_s = r->period_s * r->ngroups;
      r->latency_s = r->first_latency_s;
      fill_report(&s, r, o, span, period, k);
    }
  } else if (!rc) {
    if (!(rc = run(&s, 1, true))) {
      double lat = s.iter_end[0];
      r->latency_s = lat * 1e-9;
      r->throughput_sps = lat > 0 ? 1e9 / lat : 0;
      r->period_s = r->latency_s;
      r->first_latency_s = r->latency_s;
      r->ngroups = 1;
      fill_report(&s, r, o, lat, lat, 1);
    }
  }
  sim_free(&s);
  if (rc)
    pt_prof_report_free(r);
  return rc;
}

void pt_prof_report_free(pt_prof_report *r) {
  if (!r)
    return;
  free(r->core);
  r->core = NULL;
  r->ncores = 0;
}

struct cJSON *pt_prof_report_json(const pt_prof_report *r, bool per_core) {
  cJSON *o = cJSON_CreateObject();
  bool ht = r->mode == PT_MODE_HT;
  cJSON_AddNumberToObject(o, "throughput_sps", r->throughput_sps);
  if (ht) {
    cJSON_AddNumberToObject(o, "period_s", r->period_s);
    cJSON_AddNumberToObject(o, "first_latency_s", r->first_latency_s);
    cJSON_AddNumberToObject(o, "groups", r->ngroups);
    cJSON_AddNumberToObject(o, "pass_s", r->pass_s);
  }
  cJSON_AddNumberToObject(o, "latency_s", r->latency_s);
  cJSON_AddNumberToObject(o, "energy_j", r->energy_j);
  cJSON *e = cJSON_AddObjectToObject(o, "energy_breakdown_j");
  for (int k = 0; k < PT_E_COUNT; k++)
    cJSON_AddNumberToObject(e, pt_energy_names[k], r->energy_breakdown_j[k]);
  cJSON_AddNumberToObject(o, "static_power_mw", r->static_mw);
  cJSON_AddNumberToObject(o, "powered_cores", r->powered_cores);
  cJSON_AddNumberToObject(o, "crossbar_utilisation", r->crossbar_utilisation);
  cJSON_AddNumberToObject(o, "crossbars_used_fraction",
                          r->crossbars_used_fraction);
  cJSON_AddNumberToObject(o, "global_port_utilisation",
                          r->global_port_utilisation);
  cJSON_AddNumberToObject(o, "global_bytes", (double)r->global_bytes);
  cJSON_AddNumberToObject(o, "global_load_bytes", (double)r->global_load_bytes);
  cJSON_AddNumberToObject(o, "global_store_bytes",
                          (double)r->global_store_bytes);
  cJSON_AddNumberToObject(o, "noc_bytes", (double)r->noc_bytes);
  cJSON_AddNumberToObject(o, "noc_byte_hops", (double)r->noc_byte_hops);
  cJSON_AddNumberToObject(o, "noc_flits", (double)r->noc_flits);
  cJSON_AddNumberToObject(o, "peak_local_bytes", (double)r->peak_local_bytes);
  if (per_core) {
    cJSON *pc = cJSON_AddArrayToObject(o, "per_core");
    for (int c = 0; c < r->ncores; c++) {
      const pt_prof_core *k = &r->core[c];
      if (!k->instructions && !k->nags)
        continue;
      cJSON *x = cJSON_CreateObject();
      cJSON_AddNumberToObject(x, "core", c);
      cJSON_AddNumberToObject(x, "instructions", (double)k->instructions);
      cJSON_AddNumberToObject(x, "ags", k->nags);
      cJSON_AddNumberToObject(x, "crossbars", k->crossbars);
      cJSON *b = cJSON_AddObjectToObject(x, "busy_s");
      for (int u = 0; u < PT_U_COUNT; u++)
        cJSON_AddNumberToObject(b, unit_names[u], k->busy_ns[u] * 1e-9);
      cJSON_AddNumberToObject(x, "pim_utilisation", k->pim_util);
      cJSON_AddNumberToObject(x, "vfu_utilisation", k->vfu_util);
      cJSON_AddNumberToObject(x, "local_memory_utilisation", k->local_util);
      cJSON_AddNumberToObject(x, "transfer_utilisation", k->xfer_util);
      cJSON_AddNumberToObject(x, "finish_s", k->finish_ns * 1e-9);
      cJSON_AddNumberToObject(x, "peak_local_bytes",
                              (double)k->peak_local_bytes);
      cJSON_AddItemToArray(pc, x);
    }
  }
  return o;
}
