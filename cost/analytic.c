// The analytical cost model: a mapping -> throughput, latency, energy and
// traffic, from tables built once per (graph, chip).
//
// What the streams do (compiler/schedule*.c) and what each instruction
// costs (cost/opcost.c) is folded into per-window figures at pt_ana_new:
//  - per weight layer, unfolding format and AG of one replica: the time of
//    its mvm (compute, local read and write, one dispatch cycle), the
//    partial sums it delivers per window (count, elements), and the input
//    rows of its (matrix, row block) per window: HT loads from global
//    memory with the reuse of the previous window's overlap (counted by
//    running the scheduler's reuse rule over every window), LL copies of
//    held pixels;
//  - per layer and format: the owner's work per window (accumulator, bias,
//    activation, HT store), stores, energies of all mvm of a sample;
//  - HT vector layers: prefix sums of the work of their parts (pixels),
//    for the ones downstream of a weight layer (schedule_ht.c computes a
//    part on the home core of the replica that made the same fraction of
//    that layer's output, which depends on the mapping); the exact
//    per-core time of the others (dealt over all cores from a rotating
//    cursor, independent of the mapping); port accesses, bytes;
//  - LL: per node its providers, the fraction of a provider's output it
//    waits for (PIMCOMP's input-window rule), its tail, vector work.
// The AG tables are kept as prefix sums over the AGs of a replica (and a
// sparse table of their local memory), so that a run of consecutive AGs
// on one core costs O(1) however long it is. pt_ana_eval then walks the
// graph once in node order, each weight layer's AGs once or twice to find
// its runs and its runs once (HT: the cores off a replica's home twice)
// (O(AGs + replicas of the layers vector layers follow + nodes + edges)):
//  HT  core time = sum over the windows of the core's replicas of their
//      per-window time on that core, plus the vector parts it runs. A
//      timeline replays the streams' order: every core has a clock; a
//      replica starts when the providers of its layer in the same layer
//      group are done (earlier groups' outputs were stored periods ago)
//      and all of its cores have finished what precedes it in their
//      streams, and ends after its windows and after its cores' whole
//      share of the layer (a core interleaves the windows of all the
//      layer's replicas it holds); a vector layer's parts follow on their
//      cores. The makespan `chain` ignores waiting at the global memory
//      port, one FIFO for the whole chip; the period composes the two as
//      an M/M/1 queue (ht_period): the chain's own port accesses wait
//      behind the other cores' requests, which keep the port busy a
//      fraction (port - b) / period of the time. The period is max(chain,
//      port) when one dominates and above both when they are close;
//      first-sample latency = groups x period (schedule_ht.c's grouping,
//      replayed). Scatter formats (scatter, row-scatter) deliver partial
//      sums to outputs a later window completes, whose owner is the
//      replica of that last window: with contiguous ranges of L windows a
//      delivery at distance d (tabulated per layer and format) goes to the
//      next replica's home core with probability min(1, d / L), a
//      transfer on both sides. The replicas then start together, and in
//      each of the last min(L, dmax) rounds the round passes along the
//      chain of replicas: a core that is home to replicas i < j runs
//      round t + 1 of i after round t of j, so each such round costs the
//      window times of the widest span j - i + 1 over the cores (measured:
//      a search mapping whose conv1 replicas sat on cores in shuffled
//      order profiled at 106 ms, 36 ms with the same cores sorted). Their
//      open accumulators (the outputs of min(L, dmax) windows, twice with
//      a neighbour) count in local memory;
//  LL  schedule_ll.c's bulk-synchronous rounds (every replica issues at
//      most one window per round, every vector node up to one pixel per
//      core, then the round's transfers; a pixel is read from the next
//      round on):
//      - rounds: a node is active over rounds [S, F) (it starts a round
//        after its providers made the fraction of their output its first
//        window needs; it ends after ceil(steps / r) rounds, or a round
//        and its tail after its last provider); while active a weight
//        layer issues steps / (F - S) windows a round (one per replica at
//        most; fewer when its providers pace it), dealt to consecutive
//        replicas, so a core holding k of them runs min(k, that) of its
//        k windows a round; the owners of linked replicas receive their
//        partial sums in turn (ll_delivery_chain); a vector node spreads
//        its pixels over all cores; the sum over the rounds of the busiest
//        core's load;
//      - the busiest core's whole work: the cores meet only in their
//        transfers, so a round's busiest core need not hold back the
//        others.
//      The first is a barrier after every round, the second no wait at
//      all; over 200 random mappings each (docs/cost-model.md) their
//      geometric mean ranks the profiled latencies at 0.943 (ResNet-18)
//      / 0.937 (GoogLeNet): a measured blend, not a derived bound. The
//      latency is the larger of it, the busiest core and the port. The
//      serial chain of the layers (per weight layer ceil(steps / r) x its
//      slowest replica's window time, along the graph f_x = max_p f_p +
//      D_x) is reported beside it.
//  Energy = mvm energies (independent of the mapping) + memory, NoC and
//      vector energies from the counts + static power x time.
#include "analytic.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"

// One AG of one replica (index k within the replica) of a layer under one
// format. ld_* describe the AG's (matrix, row block) and are charged once
// per core holding it (AGs of a block are consecutive: col block fastest).
typedef struct {
  float mvm_ns, mvm_pj;
  float ld_ns, ld_full_ns;      // HT core side, mean window with reuse / without
  float ld_acc, ld_full_acc;    // global port accesses
  float ld_bytes, ld_full_bytes;
  float ld_runs, ld_full_runs;  // load instructions
  float ll_ns;                  // LL: gathering the rows from held pixels
  float dl_n, dl_elems;         // partial-sum deliveries per window
  float dl_add_ns;              // owner: adding them
  float dl_xfer_ns;             // one side of sending them (no hops)
  float dl_flits;               // their flits
  bool block_first;             // column block 0 of its block
  float mem_bytes;              // local buffers of one window
} ana_ag;

// Runs. pt_ana_eval walks a replica's AGs as runs of consecutive AGs on
// one core. Per mode, layer and format, over the AGs of one replica,
// prefix sums make a run's totals two lookups: a run [a, b) costs
// end[b] - start[a]. end[j] sums AGs 0 .. j-1: their mvm and partial
// sums, and the loads (HT, the graph's input in LL) or gathers (LL) of
// the AGs that start a row block (a core loads a block's inputs once per
// window, at the AG that starts the block and at the first AG of a run);
// start[a] is end[a] less AG a's load when it does not start a block.
// The partial sums sent to another core (xsum, the same in both modes and
// at both ends of a run) are kept apart, and a run entry fills one cache
// line.
typedef struct {
  double t;               // mvm + loads (HT: with reuse) or gathers, ns
  double runs;            // load instructions
  double first;           // HT: the first window's extra load time, ns
  double acc, xacc;       // port accesses per window, the first's extra
  double by, xby;         // bytes loaded per window, the first's extra
  double add;             // adding the partial sums received, ns
} ana_run;
_Static_assert(sizeof(ana_run) == 64, "ana_run is a cache line");

typedef struct {
  double xfer;            // one side of sending partial sums (no hops), ns
  double dn, elems, flits;  // their deliveries, elements, flits
} ana_xrun;

#define ANA_MAX_DIST 24

typedef struct {
  bool ok;
  int64_t steps, ags, xbars;
  int32_t ag0;                  // first entry in ctx->ag
  int32_t sum0;                 // first of its ags + 1 entries in run_*
  int32_t mb0, mblev;           // its sparse table in mb: levels of ags
  float mb_all;                 // the largest local buffers of a replica
  double out_per_win;           // outputs completed per window
  double fin_ht_ns, fin_ll_ns;  // owner's work per window (no hops)
  double st_acc, st_bytes;      // HT stores per window
  double mvm_pj;                // all mvm of one sample
  double hold_bytes;            // LL: input rows held for the windows
  bool reads_input;             // LL: loads its windows from global memory
  // Partial sums that complete an output of a later window (scatter and
  // row-scatter): the distance in steps from a delivery's window to the
  // last window delivering to the same output, as a table of distinct
  // distances and the fraction of deliveries at each.
  int nd;
  float dist[ANA_MAX_DIST], dfrac[ANA_MAX_DIST];
  double dmax;                  // the largest distance (0: none)
  double acc_bytes;             // one output's accumulator
} ana_lf;

// An LL provider edge: node -> provider node.
typedef struct {
  int32_t from;
} ana_edge;

#define ANA_MAX_CONS 8

// Prefix sums over the parts of an HT vector node: core-side time without
// the messages' hops, messages (loads and stores), bytes.
typedef struct {
  double ns, nmsg, bytes;
} ana_vpre;

struct pt_ana_ctx {
  const pt_map_ctx *c;
  const pt_arch *a;
  int ncores, nn, nl, eb;
  ana_ag *ag;                   // (pt_ana_new only)
  ana_lf *lf;                   // [nl * PT_UNF_COUNT]
  ana_run *run_end[2], *run_start[2];  // [mode] per format: [ags + 1]
  ana_xrun *xsum;               // per format: [ags + 1]
  // A run's local buffers: the largest of its first AG's (mb_first) and
  // its block-first AGs' (sparse table mb: level v holds the largest over
  // 2^v AGs from each, 0 for the others).
  float *mb_first, *mb;
  int *layer_of;                // [nn] weight layer or -1
  uint8_t *hops;                // [ncores * ncores]
  double *mem_msg_ns;           // [ncores] request + reply head latency
  double hop_ns;                // one hop, router + link
  int sync_legs;                // head traversals of a send (3 sync, 1 async)
  double send_base_ns;          // per message besides the hops (no payload)
  // HT vector layers.
  double *vec_core_ns;          // [ncores]
  double *vec_node_ns;          // [nn] HT: a vector node's busiest core
  double vec_port_ns, vec_bytes, vec_pj, vec_noc_bytes;
  int *vh_layer;                // [nn] HT: the weight layer whose replicas'
                                // home cores run the node's parts, or -1
  int64_t *vh_parts, *vh_off;   // [nn] its parts, and where in vh_pre
  ana_vpre *vh_pre;             // prefix sums over the parts (parts + 1)
  // LL.
  int32_t *edge0;               // [nn + 1] providers of node i: edge[edge0[i]..]
  ana_edge *edge;
  double *wfrac, *tailfrac;     // [nn]
  double *ll_vec_ns, *ll_vec_pj;  // [nn] vector work of a node per sample
  int *ncons;                   // [nn] LL: readers of each node's pixels
  int *cons;                    // [nl * ANA_MAX_CONS]
  double *cons_uses;            // [nn * ANA_MAX_CONS] windows (weight
                                // reader) or cores (vector) reading a pixel
  double *cons_pix;             // [nn * ANA_MAX_CONS] pixels sent that way
  double *send_ns;              // [nn] one side of sending one output pixel
  double *send_bytes, *send_flits;  // [nn] its payload
  double avg_hops;              // mean hops between two cores
  double *ll_npix;              // [nn] LL: pixels a vector node issues
  int nent;                     // LL: most (core, work) entries per mapping
  uint8_t *mem_hops;            // [ncores] to the chip's global memory
  double *mem_flits;            // [ncores] (mem_hops + 1) / link width
  // Static power.
  double core_static_mw, global_static_mw;
  int chips;
  int nwork;
};

// ---------------------------------------------------------------------------
// Small costs (opcost.c, plus the one dispatch cycle each instruction takes
// on a single-entry core).

static double lread(const pt_ana_ctx *x, double elems) {
  return pt_opcost_mem_ns(&x->a->local, (int64_t)(elems * x->eb), false);
}
static double lwrite(const pt_ana_ctx *x, double elems) {
  return pt_opcost_mem_ns(&x->a->local, (int64_t)(elems * x->eb), true);
}
static double flits_ns(const pt_ana_ctx *x, double bytes) {
  return (double)pt_opcost_flits(x->a, (int64_t)bytes) * x->a->link_latency_ns;
}
// vec op on len elements with nsrc operands read.
static double vec_ns(const pt_ana_ctx *x, pt_vop op, int len, int len2,
                     int nsrc) {
  return x->a->core_period_ns + nsrc * lread(x, len) +
         pt_opcost_vec_ns(x->a, op, len, len2) + lwrite(x, len);
}
static double gaccesses(const pt_ana_ctx *x, double bytes) {
  return bytes > 0 ? ceil(bytes / x->a->global.data_width_bytes) : 0;
}
static double gread_ns(const pt_ana_ctx *x) {
  return x->a->global.read_latency_cycles * x->a->global.period_ns;
}
static double gwrite_ns(const pt_ana_ctx *x) {
  return x->a->global.write_latency_cycles * x->a->global.period_ns;
}

// ---------------------------------------------------------------------------
// Weight layers

// Input rows of every (matrix, row block) over all windows, under the HT
// reuse rule of schedule_ht.c (load_rows / previous_row): a piece that the
// previous window held in the same row range is copied, padding is
// written, the rest is loaded; contiguous loads of whole pixels merge.
typedef struct {
  double ld_elems, ld_runs, ld_acc, cp_elems, cp_n, zr_elems, zr_n;
} rowstat;

static void close_run(const pt_ana_ctx *x, rowstat *s, double *run) {
  if (*run > 0) {
    s->ld_runs += 1;
    s->ld_acc += gaccesses(x, *run * x->eb);
  }
  *run = 0;
}

static void block_rows(const pt_ana_ctx *x, const pt_piece *pc, int np,
                       const pt_piece *pv, int npv, int64_t r0, int64_t rows,
                       int64_t cin, rowstat *re, rowstat *fu) {
  int64_t at = 0;
  double run_r = 0, run_f = 0;
  const pt_piece *last = NULL;
  for (int k = 0; k < np && at < r0 + rows; k++) {
    const pt_piece *p = &pc[k];
    int64_t lo = at > r0 ? at : r0;
    int64_t hi = at + p->n < r0 + rows ? at + p->n : r0 + rows;
    if (lo < hi) {
      double n = (double)(hi - lo);
      bool reuse = false;
      if (!p->zero) {
        int64_t pat = 0;
        for (int j = 0; j < npv; j++) {
          const pt_piece *q = &pv[j];
          if (!q->zero && q->y == p->y && q->x == p->x && q->c0 == p->c0 &&
              q->n == p->n) {
            reuse = pat >= r0 && pat + q->n <= r0 + rows;
            break;
          }
          pat += pv[j].n;
        }
      }
      bool contig = last && !last->zero && !p->zero && last->y == p->y &&
                    last->x + 1 == p->x && last->c0 + last->n == cin &&
                    p->c0 == 0;
      if (p->zero) {
        close_run(x, re, &run_r), close_run(x, fu, &run_f);
        re->zr_elems += n, re->zr_n += 1, fu->zr_elems += n, fu->zr_n += 1;
      } else {
        if (!contig)
          close_run(x, fu, &run_f);
        run_f += n, fu->ld_elems += n;
        if (reuse) {
          close_run(x, re, &run_r);
          re->cp_elems += n, re->cp_n += 1;
        } else {
          if (!contig)
            close_run(x, re, &run_r);
          run_r += n, re->ld_elems += n;
        }
      }
      last = p;
    }
    at += p->n;
  }
  close_run(x, re, &run_r), close_run(x, fu, &run_f);
}

// Core-side time of a window's row filling (no hops).
static double rows_ns(const pt_ana_ctx *x, const rowstat *s) {
  double per = x->a->core_period_ns;
  return s->ld_runs * per + s->ld_acc * gread_ns(x) +
         s->ld_elems * x->eb / x->a->link_width_bytes * x->a->link_latency_ns +
         lwrite(x, s->ld_elems) + s->ld_runs * x->a->link_latency_ns +
         s->cp_n * per + lread(x, s->cp_elems) + lwrite(x, s->cp_elems) +
         s->zr_n * per + lwrite(x, s->zr_elems);
}

// The partial sums of a window that complete an output of a later window:
// schedule.c gives an output to the replica of the last window delivering
// to it, so with contiguous ranges of L windows a delivery at distance d
// crosses to another replica's home core with probability min(1, d / L).
// Counted over every window of matrix 0 (the others' targets are the same
// pixels); distinct distances beyond ANA_MAX_DIST join the nearest below.
static void partial_distances(const pt_ana_ctx *x, const pt_part *p,
                              ana_lf *f, pt_target *tg) {
  const pt_graph *g = x->c->g;
  f->nd = 0, f->dmax = 0;
  if (g->n[p->node].op == PT_OP_FC || (p->unfold != PT_UNF_I_OK2 &&
                                       p->unfold != PT_UNF_IK_OK))
    return;
  int64_t wout = p->out_chw[2], keys = p->out_chw[1] * wout;
  int64_t *last = pt_malloc((keys > 0 ? keys : 1) * sizeof *last);
  for (int64_t k = 0; k < keys; k++)
    last[k] = -1;
  for (int64_t s = 0; s < p->steps; s++) {
    int nt = pt_part_targets(g, p, 0, s, tg);
    for (int t = 0; t < nt; t++)
      last[(int64_t)tg[t].y * wout + tg[t].x] = s;
  }
  double cnt[ANA_MAX_DIST] = {0}, total = 0;
  for (int64_t s = 0; s < p->steps; s++) {
    int nt = pt_part_targets(g, p, 0, s, tg);
    for (int t = 0; t < nt; t++) {
      double d = (double)(last[(int64_t)tg[t].y * wout + tg[t].x] - s);
      int j = 0;
      while (j < f->nd && f->dist[j] != (float)d)
        j++;
      if (j == f->nd && f->nd < ANA_MAX_DIST)
        f->dist[f->nd++] = (float)d;
      else if (j == f->nd) { // full: the nearest distance below
        int b = 0;
        for (int i = 1; i < f->nd; i++)
          if (f->dist[i] <= d && (f->dist[b] > d || f->dist[i] > f->dist[b]))
            b = i;
        j = b;
      }
      cnt[j] += 1, total += 1;
      if (d > f->dmax)
        f->dmax = d;
    }
  }
  for (int j = 0; j < f->nd; j++)
    f->dfrac[j] = (float)(total > 0 ? cnt[j] / total : 0);
  free(last);
}

static void layer_format(pt_ana_ctx *x, int l, int u, pt_piece *pc,
                         pt_piece *pv, pt_target *tg, rowstat *st) {
  const pt_map_ctx *c = x->c;
  const pt_arch *a = x->a;
  const pt_part *p = pt_map_part(c, l, u);
  ana_lf *f = &x->lf[l * PT_UNF_COUNT + u];
  f->ok = c->unfold_ok[l * PT_UNF_COUNT + u];
  if (!f->ok)
    return;
  const pt_node *n = &c->g->n[p->node];
  bool fc = n->op == PT_OP_FC;
  f->steps = p->steps > 0 ? p->steps : 1;
  f->ags = p->ags;
  int64_t nblk = p->matrices * p->row_blocks;
  rowstat *re = st, *fu = st + nblk;
  memset(st, 0, 2 * nblk * sizeof *st);
  int64_t cin = fc ? p->rows : p->in_chw[0];
  for (int64_t m = 0; m < p->matrices; m++)
    for (int64_t s = 0; s < p->steps; s++) {
      int np = pt_part_inputs(c->g, p, m, s, pc);
      int npv = s > 0 ? pt_part_inputs(c->g, p, m, s - 1, pv) : 0;
      for (int64_t rb = 0; rb < p->row_blocks; rb++) {
        int64_t r0 = rb * a->xbar_rows;
        int64_t rows = p->rows - r0 < a->xbar_rows ? p->rows - r0
                                                   : a->xbar_rows;
        block_rows(x, pc, np, pv, npv, r0, rows, cin,
                   &re[m * p->row_blocks + rb], &fu[m * p->row_blocks + rb]);
      }
    }
  double inv = 1.0 / (double)f->steps;
  int64_t block_cols = (int64_t)c->xbars_per_core * a->xbar_cols;
  int eb = x->eb;
  // Deliveries: the targets of a sample of windows.
  int64_t nsample = f->steps < 16 ? f->steps : 16;
  for (int64_t k = 0; k < p->ags; k++) {
    int64_t cb = k % p->col_blocks, rb = k / p->col_blocks % p->row_blocks;
    int64_t mat = k / p->ags_per_matrix % p->matrices;
    int64_t row0 = rb * a->xbar_rows, col0 = cb * block_cols;
    int rows = (int)(p->rows - row0 < a->xbar_rows ? p->rows - row0
                                                   : a->xbar_rows);
    int cols = (int)(p->cols - col0 < block_cols ? p->cols - col0
                                                 : block_cols);
    ana_ag *g = &x->ag[f->ag0 + k];
    double xp, cp;
    pt_opcost_mvm_pj(a, rows, cols, &xp, &cp);
    g->mvm_ns = (float)(a->core_period_ns + lread(x, rows) +
                        pt_opcost_mvm_ns(a, rows, cols) + lwrite(x, cols));
    g->mvm_pj = (float)(xp + cp +
                        pt_opcost_mem_pj(&a->local, (int64_t)rows * eb, false) +
                        pt_opcost_mem_pj(&a->local, (int64_t)cols * eb, true));
    const rowstat *r = &re[mat * p->row_blocks + rb];
    const rowstat *q = &fu[mat * p->row_blocks + rb];
    g->block_first = cb == 0;
    g->mem_bytes = (float)((2.0 * rows + cols) * eb);
    g->ld_ns = (float)(rows_ns(x, r) * inv);
    g->ld_full_ns = (float)(rows_ns(x, q) * inv);
    g->ld_acc = (float)(r->ld_acc * inv), g->ld_full_acc = (float)(q->ld_acc * inv);
    g->ld_bytes = (float)(r->ld_elems * eb * inv);
    g->ld_full_bytes = (float)(q->ld_elems * eb * inv);
    g->ld_runs = (float)(r->ld_runs * inv), g->ld_full_runs = (float)(q->ld_runs * inv);
    // LL gathers every row of the window from the pixels it holds.
    g->ll_ns = (float)((q->ld_runs + q->zr_n) * inv * a->core_period_ns +
                       lread(x, q->ld_elems * inv) + lwrite(x, rows));
    double dn = 0, de = 0, add = 0, xf = 0;
    for (int64_t j = 0; j < nsample; j++) {
      int64_t s = j * f->steps / nsample;
      int nt = pt_part_targets(c->g, p, mat, s, tg);
      for (int t = 0; t < nt; t++) {
        int64_t lo = tg[t].col0 > col0 ? tg[t].col0 : col0;
        int64_t hi = tg[t].col0 + tg[t].n < col0 + cols ? tg[t].col0 + tg[t].n
                                                        : col0 + cols;
        if (lo >= hi)
          continue;
        int len = (int)(hi - lo);
        dn += 1, de += len;
        add += vec_ns(x, PT_V_ADD, len, 0, 2);
        xf += a->core_period_ns + lread(x, len) + flits_ns(x, (double)len * eb) +
              lwrite(x, len);
      }
    }
    g->dl_n = (float)(dn / nsample), g->dl_elems = (float)(de / nsample);
    g->dl_add_ns = (float)(add / nsample), g->dl_xfer_ns = (float)(xf / nsample);
    g->dl_flits = dn > 0 ? (float)(g->dl_n * ceil(g->dl_elems * eb / g->dl_n /
                                                  a->link_width_bytes))
                         : 0;
  }
  // The owner's work per completed output: zero the accumulator, bias,
  // activation; HT stores it.
  int64_t keys = fc ? f->steps : p->out_chw[1] * p->out_chw[2];
  int ochan = (int)(fc ? p->cols : p->out_chw[0]);
  f->out_per_win = (double)keys * inv;
  double fin = a->core_period_ns + lwrite(x, ochan);
  if (n->nin > 2 && n->in[2] >= 0)
    fin += vec_ns(x, PT_V_ADD, ochan, 0, 2);
  if (n->act != PT_ACT_NONE)
    fin += vec_ns(x, PT_V_RELU, ochan, 0, 1);
  double ob = (double)ochan * eb;
  f->fin_ll_ns = fin * f->out_per_win;
  f->st_acc = gaccesses(x, ob) * f->out_per_win;
  f->st_bytes = ob * f->out_per_win;
  f->acc_bytes = ob;
  partial_distances(x, p, f, tg);
  f->fin_ht_ns = (fin + a->core_period_ns + lread(x, ochan) + flits_ns(x, ob) +
                  gaccesses(x, ob) * gwrite_ns(x)) * f->out_per_win;
  double pj = 0;
  for (int64_t k = 0; k < p->ags; k++)
    pj += x->ag[f->ag0 + k].mvm_pj;
  f->mvm_pj = pj * (double)f->steps;
  f->xbars = p->crossbars;
  int pr = n->in[0] >= 0 ? c->g->t[n->in[0]].producer : -1;
  f->reads_input = pr < 0;
  // LL holds the input rows a window reads: kh rows of the input map.
  int64_t kh = fc ? 1 : (n->a.nspatial == 2 ? n->a.kernel[0] : 1);
  f->hold_bytes = fc ? (double)p->rows * eb
                     : (double)(kh < p->in_chw[1] ? kh : p->in_chw[1]) *
                           p->in_chw[2] * p->in_chw[0] * eb;
}

// ---------------------------------------------------------------------------
// Vector layers

// The work of one part (HT: an output pixel, or 16 channels of a global
// pooling) of a vector node.
typedef struct {
  double ns;             // core side, without the messages' hops
  double nmsg;           // loads and stores (each a round trip's hops)
  double ld_acc, st_acc, bytes, vpj;
  double ll_ns;          // LL: the same work on held pixels (copies, vec)
} vwork;

static void vw_load(const pt_ana_ctx *x, vwork *w, int len) {
  double b = (double)len * x->eb;
  w->ns += x->a->core_period_ns + gaccesses(x, b) * gread_ns(x) +
           flits_ns(x, b) + lwrite(x, len);
  w->nmsg += 1, w->ld_acc += gaccesses(x, b), w->bytes += b;
  w->ll_ns += x->a->core_period_ns + lread(x, len) + lwrite(x, len);
}
static void vw_store(const pt_ana_ctx *x, vwork *w, int len) {
  double b = (double)len * x->eb;
  w->ns += x->a->core_period_ns + lread(x, len) + flits_ns(x, b) +
           gaccesses(x, b) * gwrite_ns(x);
  w->nmsg += 1, w->st_acc += gaccesses(x, b), w->bytes += b;
}
static void vw_vec(const pt_ana_ctx *x, vwork *w, pt_vop op, int len,
                   int len2, int nsrc) {
  double t = vec_ns(x, op, len, len2, nsrc);
  w->ns += t, w->ll_ns += t;
  w->vpj += pt_opcost_vec_pj(x->a, op, len, len2);
}

static void chw_of(const pt_graph *g, int t, int64_t chw[3]) {
  if (pt_tensor_chw(&g->t[t], chw)) {
    const pt_tensor *x = &g->t[t];
    int64_t n = x->ndim && x->dims[0] > 0 && !x->is_const ? x->dims[0] : 1;
    chw[0] = pt_tensor_numel(x) / n, chw[1] = chw[2] = 1;
  }
}

// Parts of node i and the work of part j; 0 parts: no work (views,
// aliased concats), -1: rotation without work.
static int64_t vector_parts(const pt_ana_ctx *x, int i, int64_t j, vwork *w) {
  const pt_graph *g = x->c->g;
  const pt_node *n = &g->n[i];
  memset(w, 0, sizeof *w);
  int64_t in[3], out[3];
  chw_of(g, n->in[0], in);
  chw_of(g, n->out[0], out);
  int64_t npix = out[1] * out[2];
  switch (n->op) {
  case PT_OP_MAXPOOL:
  case PT_OP_AVGPOOL:
  case PT_OP_GLOBALAVG:
  case PT_OP_GLOBALMAX: {
    bool global = n->op == PT_OP_GLOBALAVG || n->op == PT_OP_GLOBALMAX;
    bool avg = n->op == PT_OP_AVGPOOL || n->op == PT_OP_GLOBALAVG;
    int64_t parts = global ? (in[0] + 15) / 16 : npix;
    int len = (int)(global ? (j * 16 + 16 < in[0] ? 16 : in[0] - j * 16) : in[0]);
    int64_t valid = 0;
    if (global) {
      valid = in[1] * in[2];
    } else {
      int sp = n->a.nspatial;
      int64_t kh = sp == 2 ? n->a.kernel[0] : 1, kw = n->a.kernel[sp - 1];
      int64_t sh = sp == 2 ? n->a.stride[0] : 1, sw = n->a.stride[sp - 1];
      int64_t ph = sp == 2 ? n->a.pad_begin[0] : 0, pw = n->a.pad_begin[sp - 1];
      int64_t oy = j / out[2], ox = j % out[2];
      for (int64_t ky = 0; ky < kh; ky++)
        for (int64_t kx = 0; kx < kw; kx++) {
          int64_t iy = oy * sh - ph + ky, ix = ox * sw - pw + kx;
          valid += iy >= 0 && iy < in[1] && ix >= 0 && ix < in[2];
        }
    }
    for (int64_t v = 0; v < valid; v++) {
      vw_load(x, w, len);
      if (v)
        vw_vec(x, w, avg ? PT_V_ADD : PT_V_MAX, len, 0, 2);
    }
    if (avg)
      vw_vec(x, w, PT_V_SCALE, len, 0, 1);
    if (n->act != PT_ACT_NONE)
      vw_vec(x, w, PT_V_RELU, len, 0, 1);
    vw_store(x, w, len);
    return parts;
  }
  case PT_OP_ACT:
  case PT_OP_ADD:
  case PT_OP_SUB:
  case PT_OP_MUL:
  case PT_OP_DIV: {
    int len = (int)out[0];
    vw_load(x, w, len);
    if (n->op != PT_OP_ACT) {
      int64_t b[3];
      chw_of(g, n->in[1], b);
      vw_load(x, w, b[0] * b[1] * b[2] == 1 ? 1 : len);
      vw_vec(x, w, PT_V_ADD, len, 0, 2);
    }
    if (n->act != PT_ACT_NONE)
      vw_vec(x, w, PT_V_RELU, len, 0, 1);
    vw_store(x, w, len);
    return npix;
  }
  case PT_OP_SOFTMAX:
    vw_load(x, w, (int)out[0]);
    vw_vec(x, w, PT_V_SOFTMAX, (int)out[0], 0, 1);
    vw_store(x, w, (int)out[0]);
    return npix;
  case PT_OP_PAD:
    vw_load(x, w, (int)in[0]);
    vw_store(x, w, (int)in[0]);
    return npix;
  case PT_OP_SHUFFLE:
  case PT_OP_LRN: {
    int len = (int)out[0];
    vw_load(x, w, len);
    if (n->op == PT_OP_SHUFFLE) {
      double t = len * (x->a->core_period_ns + lread(x, 1) + lwrite(x, 1));
      w->ns += t, w->ll_ns += t;
    } else {
      vw_vec(x, w, PT_V_MUL, len, 0, 2);
      vw_vec(x, w, PT_V_WINSUM, len, (int)n->a.lrn_size, 1);
      vw_vec(x, w, PT_V_SCALE, len, 0, 1);
      vw_vec(x, w, PT_V_ADDS, len, 0, 1);
      vw_vec(x, w, PT_V_POW, len, 0, 1);
      vw_vec(x, w, PT_V_MUL, len, 0, 2);
    }
    vw_store(x, w, len);
    return npix;
  }
  case PT_OP_CONCAT: // inputs are stored straight into the concat
    return npix ? -npix : 0;
  default:
    return 0;
  }
}

// The weight layer whose output tensor t is, through vector layers and
// views (their first input), or -1: schedule_ht.c's host_layer.
static int host_layer(const pt_ana_ctx *x, int t) {
  const pt_graph *g = x->c->g;
  for (int depth = 0; t >= 0 && depth < 64; depth++) {
    int pr = g->t[t].producer;
    if (pr < 0)
      return -1;
    if (x->layer_of[pr] >= 0)
      return x->layer_of[pr];
    t = g->n[pr].nin > 0 ? g->n[pr].in[0] : -1;
  }
  return -1;
}

// HT vector layers, placed as schedule_ht.c's pixel_core does: the parts of
// a node downstream of a weight layer go to the home cores of that layer's
// replicas by fraction of its windows (mapping-dependent: prefix sums of
// the parts' work are kept for pt_ana_eval); the others are dealt over all
// cores from a rotating cursor (mapping-independent: added up here).
static void ht_vectors(pt_ana_ctx *x) {
  const pt_graph *g = x->c->g;
  int64_t nc = x->ncores;
  int next = 0;
  int64_t total = 0;
  for (int i = 0; i < g->nn; i++) {
    x->vh_layer[i] = -1;
    if (x->layer_of[i] >= 0)
      continue;
    vwork w;
    int64_t parts = vector_parts(x, i, 0, &w);
    if (parts > 0 && g->n[i].nin > 0 && host_layer(x, g->n[i].in[0]) >= 0)
      total += parts + 1;
  }
  x->vh_pre = pt_calloc(total > 0 ? total : 1, sizeof *x->vh_pre);
  int64_t at = 0;
  for (int i = 0; i < g->nn; i++) {
    if (x->layer_of[i] >= 0)
      continue;
    vwork w;
    int64_t parts = vector_parts(x, i, 0, &w);
    bool work = parts > 0;
    if (parts < 0)
      parts = -parts;
    if (!parts)
      continue;
    int host = work && g->n[i].nin > 0 ? host_layer(x, g->n[i].in[0]) : -1;
    int64_t users = (parts + 3) / 4 < nc ? (parts + 3) / 4 : nc;
    int64_t chunk = (parts + users - 1) / users;
    double cur = 0;
    if (host >= 0) {
      x->vh_layer[i] = host;
      x->vh_parts[i] = parts;
      x->vh_off[i] = at;
    }
    for (int64_t j = 0; work && j < parts; j++) {
      int core = (int)((next + j / chunk) % nc);
      if (j)
        vector_parts(x, i, j, &w);
      x->vec_port_ns += w.ld_acc * gread_ns(x) + w.st_acc * gwrite_ns(x);
      x->vec_bytes += w.bytes;
      x->vec_pj += w.vpj + (w.ld_acc + w.st_acc) * x->a->global.read_energy_pj;
      x->ll_vec_ns[i] += w.ll_ns;
      x->ll_vec_pj[i] += w.vpj;
      if (host >= 0) {
        ana_vpre *q = &x->vh_pre[at + j + 1];
        q->ns = q[-1].ns + w.ns;
        q->nmsg = q[-1].nmsg + w.nmsg;
        q->bytes = q[-1].bytes + w.bytes;
        continue;
      }
      if (j % chunk == 0)
        cur = 0;
      cur += w.ns + w.nmsg * x->mem_msg_ns[core];
      if (cur > x->vec_node_ns[i])
        x->vec_node_ns[i] = cur;
      x->vec_core_ns[core] += w.ns + w.nmsg * x->mem_msg_ns[core];
      x->vec_pj += w.bytes / x->a->link_width_bytes * (x->mem_hops[core] + 1) *
                   x->a->flit_energy_pj;
    }
    if (host >= 0)
      at += parts + 1;
    next = (int)((next + users) % nc);
  }
}

// ---------------------------------------------------------------------------
// LL structure

// Fraction of its input a node waits for before its first output, and the
// fraction of its work left after its input's last row (PIMCOMP's
// input-window rule: output row 1 needs input row min(H, K - p)).
static void ll_fracs(const pt_ana_ctx *x, int i, double *wf, double *tf) {
  const pt_graph *g = x->c->g;
  const pt_node *n = &g->n[i];
  int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1};
  if (n->nin > 0 && n->in[0] >= 0)
    chw_of(g, n->in[0], in);
  if (n->nout > 0 && n->out[0] >= 0)
    chw_of(g, n->out[0], out);
  double hin = (double)(in[1] > 0 ? in[1] : 1);
  double hout = (double)(out[1] > 0 ? out[1] : 1);
  switch (n->op) {
  case PT_OP_CONV:
  case PT_OP_MAXPOOL:
  case PT_OP_AVGPOOL: {
    int sp = n->a.nspatial;
    double kh = (double)(sp == 2 ? n->a.kernel[0] : 1);
    double ph = (double)(sp == 2 ? n->a.pad_begin[0] : 0);
    double need = kh - ph < hin ? kh - ph : hin;
    *wf = (need > 1 ? need : 1) / hin;
    *tf = 1.0 / hout;
    return;
  }
  case PT_OP_FC:
  case PT_OP_GLOBALAVG:
  case PT_OP_GLOBALMAX:
  case PT_OP_SOFTMAX:
    *wf = 1, *tf = 1;
    return;
  case PT_OP_RESHAPE:
  case PT_OP_IDENTITY:
  case PT_OP_SLICE:
  case PT_OP_CONCAT:
    *wf = 0, *tf = 0;
    return;
  default:
    *wf = 1.0 / hin, *tf = 1.0 / hout;
    return;
  }
}

// LL: the readers of tensor t's pixels (through views: reshapes, channel
// concats and slices move no data), produced by node `from`: weight layers
// with the windows of each that read one pixel (cons = the layer), and
// vector nodes, whose pixels schedule_ll.c deals over all cores, with the
// cores one input pixel goes to (cons = -1): the output pixels reading it
// (a pooling window's overlap; 1 for element-wise ops; 1 core for a global
// pooling).
static void find_consumers(pt_ana_ctx *x, int from, int t, int depth) {
  const pt_graph *g = x->c->g;
  int64_t chw[3];
  chw_of(g, t, chw);
  for (int i = 0; i < g->nn && depth < 16; i++) {
    const pt_node *n = &g->n[i];
    int j = 0;
    while (j < n->nin && n->in[j] != t)
      j++;
    if (j == n->nin)
      continue;
    int c = x->layer_of[i];
    if (n->op == PT_OP_RESHAPE || n->op == PT_OP_IDENTITY ||
        n->op == PT_OP_CONCAT || n->op == PT_OP_SLICE) {
      for (int o = 0; o < n->nout; o++)
        if (n->out[o] >= 0)
          find_consumers(x, from, n->out[o], depth + 1);
      continue;
    }
    if (x->ncons[from] == ANA_MAX_CONS)
      continue;
    int k = from * ANA_MAX_CONS + x->ncons[from]++;
    x->cons[k] = c;
    x->cons_pix[k] = (double)(chw[1] * chw[2]);
    int sp = n->a.nspatial > 0 ? n->a.nspatial : 1;
    double kh = (double)(sp == 2 ? n->a.kernel[0] : 1), kw = (double)n->a.kernel[sp - 1];
    double sh = (double)(sp == 2 ? n->a.stride[0] : 1), sw = (double)n->a.stride[sp - 1];
    double uses = 1;
    if (n->op == PT_OP_CONV || n->op == PT_OP_MAXPOOL || n->op == PT_OP_AVGPOOL) {
      uses = ceil(kh / (sh > 0 ? sh : 1)) * ceil(kw / (sw > 0 ? sw : 1));
      int64_t out[3];
      chw_of(g, n->out[0], out);
      if (c < 0 && out[1] * out[2] == 1)
        uses = 1; // a pooling over the whole map: one core
    } else if (c >= 0) {
      uses = 1e9; // fc: every core of the computing replica
    }
    x->cons_uses[k] = uses;
  }
}

// ---------------------------------------------------------------------------

// The largest v with 2^v <= n (n >= 1).
static int floor_log2(int n) {
#if defined(__GNUC__)
  return 31 - __builtin_clz((unsigned)n);
#else
  int v = 0;
  while (n >>= 1)
    v++;
  return v;
#endif
}

// The larger of a and b (branch-free on most targets).
static inline double dmax(double a, double b) {
  return a > b ? a : b;
}

// Whether the n AGs a[0 .. n) are all on one core (a word at a time).
static bool one_core(const int16_t *a, int n) {
  int j = 1;
  for (; j + 4 <= n; j += 4) {
    uint64_t u, v;
    memcpy(&u, a + j - 1, sizeof u);
    memcpy(&v, a + j, sizeof v);
    if (u != v)
      return false;
  }
  for (; j < n; j++)
    if (a[j] != a[j - 1])
      return false;
  return true;
}

// a + w v over the load fields (t: the load time), a's others.
static ana_run run_plus(ana_run a, ana_run v, double w) {
  a.t += w * v.t, a.runs += w * v.runs, a.first += w * v.first;
  a.acc += w * v.acc, a.xacc += w * v.xacc;
  a.by += w * v.by, a.xby += w * v.xby;
  return a;
}

// The run tables (ana_run, mb) of every layer and format, from the per-AG
// figures. Fails when they need more entries than 32-bit offsets reach.
static int run_tables(pt_ana_ctx *x, pt_error *err) {
  int64_t nsum = 0, nmb = 0;
  for (int i = 0; i < x->nl * PT_UNF_COUNT; i++) {
    ana_lf *f = &x->lf[i];
    if (!f->ok)
      continue;
    int lev = 1;
    while ((INT64_C(1) << lev) <= f->ags)
      lev++;
    f->sum0 = (int32_t)nsum, f->mb0 = (int32_t)nmb, f->mblev = lev;
    nsum += f->ags + 1, nmb += f->ags * lev;
    if (nsum > INT32_MAX || nmb > INT32_MAX)
      return pt_errorf(err, "%s: the analytical model's tables would need "
                       "over 2^31 entries (too many AGs over the layers "
                       "and formats)", x->c->g->path);
  }
  for (int m = 0; m < 2; m++) {
    x->run_end[m] = pt_calloc_aligned(nsum, sizeof(ana_run), 64);
    x->run_start[m] = pt_calloc_aligned(nsum, sizeof(ana_run), 64);
  }
  x->xsum = pt_calloc(nsum > 0 ? nsum : 1, sizeof *x->xsum);
  x->mb_first = pt_calloc(nsum > 0 ? nsum : 1, sizeof *x->mb_first);
  x->mb = pt_calloc(nmb > 0 ? nmb : 1, sizeof *x->mb);
  for (int i = 0; i < x->nl * PT_UNF_COUNT; i++) {
    ana_lf *f = &x->lf[i];
    if (!f->ok)
      continue;
    const int n = (int)f->ags;
    float *mb = &x->mb[f->mb0];
    f->mb_all = 0;
    for (int j = 0; j < n; j++) {
      const ana_ag *g = &x->ag[f->ag0 + j];
      x->mb_first[f->sum0 + j] = g->mem_bytes;
      const ana_xrun *xs = &x->xsum[f->sum0 + j];
      x->xsum[f->sum0 + j + 1] =
          (ana_xrun){xs->xfer + g->dl_xfer_ns, xs->dn + g->dl_n,
                     xs->elems + g->dl_elems, xs->flits + g->dl_flits};
      mb[j] = g->block_first ? g->mem_bytes : 0;
      if ((j == 0 || g->block_first) && g->mem_bytes > f->mb_all)
        f->mb_all = g->mem_bytes;
      const ana_run ht = {.t = g->ld_ns, .runs = g->ld_runs,
                          .first = (double)g->ld_full_ns - g->ld_ns,
                          .acc = g->ld_acc,
                          .xacc = (double)g->ld_full_acc - g->ld_acc,
                          .by = g->ld_bytes,
                          .xby = (double)g->ld_full_bytes - g->ld_bytes};
      const ana_run in = {.t = g->ld_full_ns, .runs = g->ld_full_runs,
                          .acc = g->ld_full_acc, .by = g->ld_full_bytes};
      const ana_run ll = {.t = g->ll_ns};
      for (int m = 0; m < 2; m++) {
        ana_run v = m == PT_MODE_HT ? ht : f->reads_input ? in : ll;
        ana_run *e = &x->run_end[m][f->sum0], a = e[j];
        a.t += g->mvm_ns, a.add += g->dl_add_ns;
        e[j + 1] = run_plus(a, v, g->block_first ? 1 : 0);
        x->run_start[m][f->sum0 + j] = run_plus(e[j], v, g->block_first ? 0 : -1);
      }
    }
    for (int v = 1; v < f->mblev; v++)
      for (int j = 0; j + (1 << v) <= n; j++) {
        float p = mb[(v - 1) * n + j], q = mb[(v - 1) * n + j + (1 << (v - 1))];
        mb[v * n + j] = p > q ? p : q;
      }
  }
  return 0;
}

pt_ana_ctx *pt_ana_new(const pt_map_ctx *c, pt_error *err) {
  pt_ana_ctx *x = pt_calloc(1, sizeof *x);
  const pt_arch *a = c->a;
  const pt_graph *g = c->g;
  x->c = c, x->a = a;
  x->ncores = c->ncores, x->nn = g->nn, x->nl = c->nlayers;
  x->eb = (int)pt_ceil_div(a->act_bits, 8);
  x->chips = a->chips_x * a->chips_y;
  x->layer_of = pt_malloc((g->nn > 0 ? g->nn : 1) * sizeof *x->layer_of);
  for (int i = 0; i < g->nn; i++)
    x->layer_of[i] = -1;
  for (int l = 0; l < c->nlayers; l++)
    x->layer_of[c->node[l]] = l;
  // NoC.
  int nc = c->ncores;
  x->hop_ns = a->router_latency_ns + a->link_latency_ns;
  x->sync_legs = a->comm == PT_COMM_SYNC ? 3 : 1;
  x->hops = pt_malloc((size_t)nc * nc);
  x->mem_hops = pt_malloc(nc);
  x->mem_flits = pt_malloc(nc * sizeof *x->mem_flits);
  x->mem_msg_ns = pt_malloc(nc * sizeof *x->mem_msg_ns);
  double hsum = 0;
  for (int i = 0; i < nc; i++) {
    for (int j = 0; j < nc; j++) {
      int h = pt_opcost_hops(a, i, j, NULL);
      x->hops[i * nc + j] = (uint8_t)(h < 255 ? h : 255);
      hsum += h;
    }
    int ch;
    int h = pt_opcost_hops(a, i, -1 - i / a->cores, &ch);
    x->mem_hops[i] = (uint8_t)(h < 255 ? h : 255);
    x->mem_msg_ns[i] = 2 * (h * x->hop_ns + ch * a->offchip_latency_ns);
    x->mem_flits[i] = (x->mem_hops[i] + 1) / (double)a->link_width_bytes;
  }
  x->avg_hops = nc > 1 ? hsum / ((double)nc * (nc - 1)) : 0;
  // Weight layers under every format.
  int nl = c->nlayers;
  x->lf = pt_calloc((size_t)(nl > 0 ? nl : 1) * PT_UNF_COUNT, sizeof *x->lf);
  int64_t nag = 0, maxp = 1, maxblk = 1;
  for (int l = 0; l < nl; l++)
    for (int u = 0; u < PT_UNF_COUNT; u++) {
      const pt_part *p = pt_map_part(c, l, u);
      if (!c->unfold_ok[l * PT_UNF_COUNT + u])
        continue;
      x->lf[l * PT_UNF_COUNT + u].ag0 = (int32_t)nag;
      nag += p->ags;
      if (pt_part_max_pieces(p) > maxp)
        maxp = pt_part_max_pieces(p);
      if (p->cols > maxp)
        maxp = p->cols;
      if (p->matrices * p->row_blocks > maxblk)
        maxblk = p->matrices * p->row_blocks;
    }
  x->ag = pt_calloc(nag > 0 ? nag : 1, sizeof *x->ag);
  pt_piece *pc = pt_malloc(maxp * sizeof *pc), *pv = pt_malloc(maxp * sizeof *pv);
  pt_target *tg = pt_malloc(maxp * sizeof *tg);
  rowstat *st = pt_malloc(2 * maxblk * sizeof *st);
  for (int l = 0; l < nl; l++)
    for (int u = 0; u < PT_UNF_COUNT; u++) {
      int32_t ag0 = x->lf[l * PT_UNF_COUNT + u].ag0;
      if (!c->unfold_ok[l * PT_UNF_COUNT + u])
        continue;
      layer_format(x, l, u, pc, pv, tg, st);
      x->lf[l * PT_UNF_COUNT + u].ag0 = ag0;
    }
  free(pc), free(pv), free(tg), free(st);
  if (run_tables(x, err)) {
    pt_ana_free(x);
    return NULL;
  }
  free(x->ag);
  x->ag = NULL;
  // Vector layers and the LL structure.
  int nn = g->nn > 0 ? g->nn : 1;
  x->vec_core_ns = pt_calloc(nc, sizeof *x->vec_core_ns);
  x->ll_vec_ns = pt_calloc(nn, sizeof *x->ll_vec_ns);
  x->ll_vec_pj = pt_calloc(nn, sizeof *x->ll_vec_pj);
  x->vec_node_ns = pt_calloc(nn, sizeof *x->vec_node_ns);
  x->vh_layer = pt_malloc(nn * sizeof *x->vh_layer);
  x->vh_parts = pt_calloc(nn, sizeof *x->vh_parts);
  x->vh_off = pt_calloc(nn, sizeof *x->vh_off);
  ht_vectors(x);
  x->edge0 = pt_calloc(nn + 1, sizeof *x->edge0);
  x->edge = pt_malloc((size_t)nn * PT_MAX_IN * sizeof *x->edge);
  x->wfrac = pt_malloc(nn * sizeof *x->wfrac);
  x->tailfrac = pt_malloc(nn * sizeof *x->tailfrac);
  int ne = 0;
  for (int i = 0; i < g->nn; i++) {
    const pt_node *n = &g->n[i];
    x->edge0[i] = ne;
    for (int j = 0; j < n->nin; j++) {
      int t = n->in[j];
      int pr = t >= 0 ? g->t[t].producer : -1;
      if (pr >= 0)
        x->edge[ne++].from = pr;
    }
    ll_fracs(x, i, &x->wfrac[i], &x->tailfrac[i]);
  }
  x->edge0[g->nn] = ne;
  x->ncons = pt_calloc(nn, sizeof *x->ncons);
  x->cons = pt_malloc((size_t)nn * ANA_MAX_CONS * sizeof *x->cons);
  x->cons_uses = pt_malloc((size_t)nn * ANA_MAX_CONS * sizeof *x->cons_uses);
  x->cons_pix = pt_malloc((size_t)nn * ANA_MAX_CONS * sizeof *x->cons_pix);
  x->send_ns = pt_calloc(nn, sizeof *x->send_ns);
  x->send_bytes = pt_calloc(nn, sizeof *x->send_bytes);
  x->send_flits = pt_calloc(nn, sizeof *x->send_flits);
  for (int i = 0; i < g->nn; i++) {
    const pt_node *n = &g->n[i];
    if (n->nout < 1 || n->out[0] < 0 || n->op == PT_OP_RESHAPE ||
        n->op == PT_OP_IDENTITY || n->op == PT_OP_CONCAT ||
        n->op == PT_OP_SLICE)
      continue;
    find_consumers(x, i, n->out[0], 0);
    int64_t chw[3];
    chw_of(g, n->out[0], chw);
    x->send_ns[i] = a->core_period_ns + lread(x, (double)chw[0]) +
                    flits_ns(x, (double)(chw[0] * x->eb)) +
                    lwrite(x, (double)chw[0]);
    x->send_bytes[i] = (double)(chw[0] * x->eb);
    x->send_flits[i] = (double)pt_opcost_flits(a, chw[0] * x->eb);
  }
  x->ll_npix = pt_calloc(nn, sizeof *x->ll_npix);
  for (int i = 0; i < g->nn; i++) {
    const pt_node *n = &g->n[i];
    if (x->layer_of[i] >= 0 || n->nout < 1 || n->out[0] < 0 ||
        n->op == PT_OP_RESHAPE || n->op == PT_OP_IDENTITY ||
        n->op == PT_OP_CONCAT || n->op == PT_OP_SLICE)
      continue;
    int64_t out[3], in[3] = {1, 1, 1};
    chw_of(g, n->out[0], out);
    if (n->nin > 0 && n->in[0] >= 0)
      chw_of(g, n->in[0], in);
    x->ll_npix[i] = (double)(out[1] * out[2] == 1 ? in[1] * in[2]
                                                   : out[1] * out[2]);
  }
  // An entry per (layer, core holding its AGs): at most one per AG, and an
  // AG holds at least one crossbar.
  x->nent = nc * (c->xbars_per_core > 0 ? c->xbars_per_core : 1) + 1;
  x->core_static_mw = pt_opcost_core_static_mw(a);
  x->global_static_mw = a->global.static_power_mw;
  // pt_ana_eval's scratch, in the order it carves it (doubles): D, runs0,
  // ea1; S, F, G; tl, lw, lm, kmn and kmx (int32), rs; ea0; ent; the
  // events; load; run and rk (int32); nrep and nhome (int32). Some terms
  // are generous (kmn and kmx need nc, load nc).
  x->nwork = 3 * nl + 3 * g->nn + 5 * nc + 2 * c->max_ags + 1 +
             (nl + 1) + 4 * x->nent + 6 * g->nn + 2 * nc +
             (c->max_ags + 1) + nc;
  (void)err;
  return x;
}

void pt_ana_free(pt_ana_ctx *x) {
  if (!x)
    return;
  free(x->ag), free(x->lf), free(x->layer_of), free(x->hops);
  free(x->mb_first), free(x->mb), free(x->xsum);
  for (int m = 0; m < 2; m++)
    free(x->run_end[m]), free(x->run_start[m]);
  free(x->mem_hops), free(x->mem_flits), free(x->mem_msg_ns), free(x->send_ns);
  free(x->send_bytes), free(x->send_flits);
  free(x->vec_core_ns), free(x->ll_vec_ns), free(x->ll_vec_pj);
  free(x->vec_node_ns), free(x->vh_layer), free(x->vh_parts);
  free(x->vh_off), free(x->vh_pre);
  free(x->edge0), free(x->edge), free(x->wfrac), free(x->tailfrac);
  free(x->ncons), free(x->cons), free(x->cons_uses);
  free(x->cons_pix), free(x->ll_npix);
  free(x);
}

void pt_ana_result_init(const pt_ana_ctx *x, pt_ana_result *r) {
  memset(r, 0, sizeof *r);
  r->ncores = x->ncores;
  r->core_ns = pt_calloc(x->ncores, sizeof *r->core_ns);
  r->core_mem = pt_calloc(x->ncores, sizeof *r->core_mem);
  r->work = pt_calloc(x->nwork, sizeof *r->work);
}

void pt_ana_result_free(pt_ana_result *r) {
  free(r->core_ns), free(r->core_mem), free(r->work);
  r->core_ns = r->core_mem = r->work = NULL;
}

// ---------------------------------------------------------------------------
// Evaluation

// schedule_ht.c's layer grouping (group_layers), replayed: the number of
// groups.
static int ht_groups(const pt_ana_ctx *x, const pt_mapping *m, double *fin,
                     double *grp) {
  const pt_graph *g = x->c->g;
  int64_t period = 0;
  for (int l = 0; l < x->nl; l++) {
    int64_t r = pt_ceil_div(x->lf[l * PT_UNF_COUNT + m->unfold[l]].steps, m->repl[l]);
    if (r > period)
      period = r;
  }
  int group = 0;
  bool any = false;
  for (int i = 0; i < g->nn; i++) {
    double ready = 0;
    for (int e = x->edge0[i]; e < x->edge0[i + 1]; e++) {
      int pr = x->edge[e].from;
      if (grp[pr] == group && fin[pr] > ready)
        ready = fin[pr];
    }
    int l = x->layer_of[i];
    double t = l >= 0 ? (double)pt_ceil_div(
                            x->lf[l * PT_UNF_COUNT + m->unfold[l]].steps, m->repl[l])
                      : 0;
    if (l >= 0 && any && (!m->ht_grouping || ready + t > (double)period)) {
      group++;
      ready = 0;
    }
    grp[i] = group;
    fin[i] = ready + t;
    any |= l >= 0;
  }
  return group + 1;
}

double pt_ana_ll_finish(double start, double fmax, double d, double tail) {
  double f = start + d;
  if (fmax + d * tail > f)
    f = fmax + d * tail;
  return f > fmax ? f : fmax;
}

// HT: the latest finish of node i's providers in its own layer group (the
// ones of earlier groups were stored periods ago), leaving out `skip`.
static double group_ready(const pt_ana_ctx *x, int i, int skip,
                          const double *F, const double *G) {
  double ready = 0;
  for (int e = x->edge0[i]; e < x->edge0[i + 1]; e++) {
    int p = x->edge[e].from;
    if (p != skip && G[p] == G[i] && F[p] > ready)
      ready = F[p];
  }
  return ready;
}

// HT vector node i. Downstream of a weight layer, each replica's home core
// runs the parts matching its range of windows (schedule_ht.c,
// pixel_core), after what precedes them in its stream and after the
// node's providers in the same group; otherwise the node's busiest core's
// share of the rotation (mapping-independent, in vec_core_ns) follows its
// providers.
static void ht_vector_node(const pt_ana_ctx *x, const pt_mapping *m, int i,
                           double *core, double *tl, double *F,
                           const double *G, double *flit_hops) {
  int l = x->vh_layer[i];
  if (l < 0) {
    F[i] = group_ready(x, i, -1, F, G) + x->vec_node_ns[i];
    return;
  }
  // The first input's producer need not be waited for when it is the
  // host or one of its vector layers: its work precedes on the same cores.
  const pt_node *n = &x->c->g->n[i];
  int p0 = x->c->g->t[n->in[0]].producer;
  if (p0 >= 0 && x->layer_of[p0] != l && x->vh_layer[p0] != l)
    p0 = -1;
  double ready = group_ready(x, i, p0, F, G);
  const ana_lf *f = &x->lf[l * PT_UNF_COUNT + m->unfold[l]];
  const ana_vpre *pre = &x->vh_pre[x->vh_off[i]];
  const int64_t parts = x->vh_parts[i], steps = f->steps, R = m->repl[l];
  const int64_t q = steps / R, rem = steps % R;
  const double ratio = (double)parts / (double)steps;
  int64_t lo = 0;
  for (int64_t k = 0; k < R; k++) {
    // The first part past replica k's windows: ceil(end parts / steps),
    // from a floating-point guess corrected exactly (no division).
    int64_t end = (k + 1) * q + (k + 1 < rem ? k + 1 : rem);
    int64_t hi = (int64_t)((double)end * ratio);
    while (hi * steps < end * parts)
      hi++;
    while (hi > 0 && (hi - 1) * steps >= end * parts)
      hi--;
    if (hi > lo) {
      int home = m->ag_core[m->ag_start[l] + k * f->ags];
      double t = pre[hi].ns - pre[lo].ns +
                 (pre[hi].nmsg - pre[lo].nmsg) * x->mem_msg_ns[home];
      core[home] += t;
      tl[home] = dmax(tl[home], ready) + t;
      F[i] = dmax(F[i], tl[home]);
      *flit_hops += (pre[hi].bytes - pre[lo].bytes) * x->mem_flits[home];
    }
    lo = hi;
  }
  if (ready > F[i])
    F[i] = ready;
}

// HT: the period from the timeline's makespan `chain` (no waiting at the
// global memory port) and the port's busy time `port`. The port is one
// FIFO shared by all cores: the chain's own port accesses (a share b of
// it, the port's share of all core work) wait behind the other cores'
// requests. With the others keeping the port busy a fraction
// rho = (port - b) / T of the period T, an access spends 1 / (1 - rho)
// times its service there (M/M/1 residence), so
//     T = a + b / (1 - (port - b) / T),   a = chain - b,
// the larger root of T^2 - (a + port) T + a (port - b) = 0. It is
// max(chain, port) when either is alone and rises above both when they
// are close.
static double ht_period(double chain, double port, double csum) {
  double b = csum > 0 ? chain * port / csum : 0;
  if (b > port)
    b = port;
  if (b > chain)
    b = chain;
  double a = chain - b, s = a + port, d = s * s - 4 * a * (port - b);
  return (s + sqrt(d > 0 ? d : 0)) / 2;
}

// LL, the rounds estimate (header): events at each node's first and last
// round, swept in order with the per-core load of the active nodes; a round
// costs its busiest core's load. A weight layer's entries (ent, 4 doubles
// each: core, the layer's work there, its replicas with AGs there, its
// replicas homed there) load their core at the rate the layer issues.
typedef struct {
  double t;
  double per;   // share of the node's work in each of its active rounds
  int node, on;
} ll_event;
// pt_ana_eval keeps two events per node in 6 doubles of its scratch.
_Static_assert(sizeof(ll_event) <= 3 * sizeof(double), "ll_event size");

// Insertion sort by round, then node: the events come nearly in order.
static void sort_events(ll_event *ev, int n) {
  for (int k = 1; k < n; k++) {
    ll_event e = ev[k];
    int j = k;
    for (; j > 0 && (e.t < ev[j - 1].t ||
                     (e.t == ev[j - 1].t && e.node < ev[j - 1].node));
         j--)
      ev[j] = ev[j - 1];
    ev[j] = e;
  }
}

// The largest of v[0 .. n) and 0.
static double max_load(const double *v, int n) {
  double a[4] = {0, 0, 0, 0};
  int c = 0;
  for (; c + 4 <= n; c += 4) // four chains of maxima, not one
    for (int k = 0; k < 4; k++)
      a[k] = dmax(a[k], v[c + k]);
  for (; c < n; c++)
    a[0] = dmax(a[0], v[c]);
  return dmax(dmax(a[0], a[1]), dmax(a[2], a[3]));
}

static double ll_rounds(const pt_ana_ctx *x, const pt_mapping *m, double *S,
                        double *F, const double *send, const double *e0,
                        const double *e1, double *ent, double *evw,
                        double *load) {
  const pt_graph *g = x->c->g;
  const int nc = x->ncores;
  // The events at the first rounds, and those after the last rounds, in
  // two lists: each comes nearly in order (graph order).
  ll_event *on = (ll_event *)evw, *off = on + g->nn;
  int non = 0, noff = 0;
  for (int i = 0; i < g->nn; i++) {
    const int l = x->layer_of[i];
    double n = 0;
    if (l >= 0) {
      const ana_lf *f = &x->lf[l * PT_UNF_COUNT + m->unfold[l]];
      n = (double)pt_ceil_div(f->steps, m->repl[l]);
    } else {
      n = ceil(x->ll_npix[i] / nc);
    }
    double s = 0, fmax = 0;
    bool any = false;
    for (int e = x->edge0[i]; e < x->edge0[i + 1]; e++) {
      int p = x->edge[e].from;
      double st = S[p] + x->wfrac[i] * (F[p] - S[p]);
      if (!any || st > s)
        s = st;
      if (!any || F[p] > fmax)
        fmax = F[p];
      any = true;
    }
    if (n <= 0) { // a view: no work, no round of its own
      S[i] = s, F[i] = fmax;
      continue;
    }
    if (any) // the providers' pixels are read a round after they are made
      s += 1, fmax += 1;
    S[i] = s;
    F[i] = pt_ana_ll_finish(s, fmax, n, x->tailfrac[i]);
    // A weight layer runs at one window per replica per round while
    // active; a vector node spreads its pixels over its rounds.
    double per = 1 / (l >= 0 ? n : F[i] - S[i]);
    on[non++] = (ll_event){S[i], per, i, 1};
    off[noff++] = (ll_event){F[i], per, i, 0};
  }
  sort_events(on, non);
  sort_events(off, noff);

  for (int c = 0; c < nc; c++)
    load[c] = 0;
  double uni = 0, top = 0, total = 0, at = non ? on[0].t : 0;
  bool stale = false; // a busiest core's load went down: look again
  for (int a = 0, b = 0; a < non || b < noff;) { // merged, ends first
    const ll_event *e =
        b == noff || (a < non && on[a].t < off[b].t) ? &on[a++] : &off[b++];
    if (e->t > at) {
      if (stale)
        top = max_load(load, nc), stale = false;
      total += (e->t - at) * (top + uni);
      at = e->t;
    }
    const int i = e->node, l = x->layer_of[i];
    const double inv = e->on ? e->per : -e->per;
    if (l < 0) {
      uni += inv * (x->ll_vec_ns[i] + send[i]) / nc;
      continue;
    }
    const ana_lf *f = &x->lf[l * PT_UNF_COUNT + m->unfold[l]];
    const int R = m->repl[l];
    // The layer issues `rate` windows a round over its active rounds (fewer
    // than one per replica when its providers are slower), dealt to
    // consecutive replicas: a core holding k of them runs min(k, rate) of
    // them in a round in which it issues.
    // The load an entry adds while the layer is active replaces its work
    // in ent[] at the first event and is taken off at the second.
    if (e->on) {
      const double rate = (double)f->steps / (F[i] - S[i]);
      for (int j = (int)e0[l]; j < (int)e1[l]; j++) {
        double *en = &ent[4 * j];
        const int c = (int)en[0];
        const double share = rate < en[2] ? rate / en[2] : 1;
        en[1] = e->per * share * (en[1] + en[3] * send[i] / R);
        load[c] += en[1];
        top = dmax(top, load[c]);
      }
    } else {
      for (int j = (int)e0[l]; j < (int)e1[l]; j++) {
        const int c = (int)ent[4 * j];
        stale |= load[c] >= top;
        load[c] -= ent[4 * j + 1];
      }
    }
  }
  return total;
}

// LL: schedule_ll.c delivers a layer's partial sums of a round once all
// its replicas ran their mvm, replica after replica, and transfers are
// synchronous: the owner of replica k receives its partial sums one after
// the other, and a core holding AGs of replica k and home to replica k + 1
// (the replicas' AGs laid out in a row over shared cores) sends k's before
// it receives k + 1's. Replicas linked that way, or all of them in the
// scatter formats (their partial sums go to other replicas' owners),
// receive in turn. Returns, per round, what the longest such run of
// replicas a..b adds to b's own receiving (own[a] + ... + own[b - 1]), and
// b in *at.
static double ll_delivery_chain(const int16_t *lcr, int R, int nag,
                                bool scatter, const double *own, int *at) {
  double run = 0, best = 0;
  for (int k = 0; k + 1 < R; k++) {
    const int last = lcr[k * nag + nag - 1];
    if (scatter || (last != lcr[k * nag] && last == lcr[(k + 1) * nag])) {
      run += own[k];
      if (run > best)
        best = run, *at = k + 1;
    } else {
      run = 0;
    }
  }
  return best;
}

// pt_ana_eval's state while it walks the graph: per-core figures, scratch
// and running totals, shared with its weight layer stage.
typedef struct {
  const pt_mapping *m;
  bool ht;
  double *core, *mem, *F, *G, *D, *tl, *lw, *lm, *rs;
  double *runs0, *ea0, *ea1, *ent;
  int32_t *kmn, *kmx, *run, *rk, *nrep, *nhome;
  int ne;
  // port busy time and accesses, global memory and NoC bytes, flits x
  // hops, dynamic energy, the weight layers' loads (accesses, bytes)
  double port, gacc, gbytes, noc, flit_hops, dyn, racc, rby;
  int64_t xbars;
} ana_walk;

// Weight layer l (node i) of the mapping: its work and local memory on
// its cores, its traffic, HT its replicas on the timeline, LL its entries
// for the rounds.
static void weight_layer(const pt_ana_ctx *x, ana_walk *w, int i, int l) {
  const pt_mapping *m = w->m;
  const bool ht = w->ht;
  const int nc = x->ncores, eb = x->eb;
  double *core = w->core, *mem = w->mem, *F = w->F, *D = w->D, *tl = w->tl;
  double *lw = w->lw, *lm = w->lm, *rs = w->rs, *ent = w->ent;
  int32_t *kmn = w->kmn, *kmx = w->kmx, *run = w->run, *rk = w->rk;
  int32_t *nrep = w->nrep, *nhome = w->nhome;
  int ne = w->ne;
  double port = w->port, gacc = w->gacc, gbytes = w->gbytes, noc = w->noc;
  double flit_hops = w->flit_hops, dyn = w->dyn, racc = w->racc;
  double rby = w->rby;
  int64_t xbars = w->xbars;
  const double legs = x->sync_legs * x->hop_ns;
  const ana_lf *f = &x->lf[l * PT_UNF_COUNT + m->unfold[l]];
  // from global memory: HT, and LL's layers that read the graph's input
  const bool loads = ht || f->reads_input;
  const ana_run *rst = &x->run_start[m->mode][f->sum0];
  const ana_run *ren = &x->run_end[m->mode][f->sum0];
  const ana_xrun *xs = &x->xsum[f->sum0];
  const float *mbf = &x->mb_first[f->sum0], *mb = &x->mb[f->mb0];
  const int R = m->repl[l], nag = (int)f->ags;
  const int64_t q = f->steps / R, rem = f->steps % R;
  dyn += f->mvm_pj;
  xbars += f->xbars * R;
  double tw = 0;
  const double ready = ht ? group_ready(x, i, -1, F, w->G) : 0;
  const int16_t *lcr = &m->ag_core[m->ag_start[l]];
  w->ea0[l] = ne;
  // The layer's runs of AGs on one core: run r is the layer's AGs
  // run[r] .. run[r + 1] - 1, replica k's runs are rk[k] .. rk[k + 1] - 1.
  int nr = 0;
  for (int k = 0, j0 = 0; k < R; k++, j0 += nag) {
    int prev = lcr[j0];
    rk[k] = nr;
    run[nr++] = j0;
    if (one_core(&lcr[j0], nag))
      continue;
    for (int j = j0 + 1; j < j0 + nag; j++) {
      const int c = lcr[j];
      run[nr] = j;
      nr += c != prev;
      prev = c;
    }
  }
  rk[R] = nr, run[nr] = R * nag;
  for (int u = 0; u < nr; u++)
    lw[lcr[run[u]]] = 0, lm[lcr[run[u]]] = 0, kmn[lcr[run[u]]] = -1;
  // Scatter formats: partial sums for outputs a later window completes.
  // HT: the fraction xf that goes to the next replica's home core, and
  // the rounds `crounds` of a replica that send there (the last dmax of its
  // L); in those rounds the replicas wait for each other along the
  // chain of ranges. Open accumulators on the home core: the outputs
  // of dmax windows, twice when a neighbour completes some of them.
  const double L = q > 0 ? (double)q : 1;
  double xf = 0, crounds = 0, chain_w = 0;
  if (ht && R > 1 && f->dmax > 0) {
    for (int j = 0; j < f->nd; j++)
      xf += f->dfrac[j] * (f->dist[j] < L ? f->dist[j] / L : 1);
    crounds = f->dmax < L ? f->dmax : L;
  } else if (R > 1 && f->dmax > 0) {
    // LL deals window s to replica s mod R: a delivery at distance d
    // stays on its replica only when R divides d.
    for (int j = 0; j < f->nd; j++)
      xf += f->dfrac[j] * (fmod(f->dist[j], R) != 0);
  }
  const bool scatter = xf > 0;
  // LL issues the windows in raster order over all replicas, so the
  // open outputs are those of the last dmax windows of the layer, owned
  // by all replicas in turn.
  const double open = f->dmax <= 0 ? 0
      : ht ? (f->dmax < L ? f->dmax : L) * f->out_per_win * f->acc_bytes *
                 (R > 1 ? 2 : 1)
           : (f->dmax / R + 1) * f->out_per_win * f->acc_bytes;
  for (int k = 0; k < R; k++) {
    const double W = (double)(q + (k < rem));
    const int16_t *cr = &lcr[k * nag];
    const int home = cr[0];
    const int next = scatter ? lcr[(k + 1 < R ? k + 1 : k) * nag] : home;
    if (open > 0) {
      lm[home] += open;
      mem[home] = dmax(mem[home], lm[home]);
    }
    double repmax = 0, own = 0, first = 0;
    // HT timeline: the replica starts when its input is ready and all
    // of its cores are done with what comes before it in their streams.
    double start = ready;
    for (int u = rk[k]; u < rk[k + 1]; u++) {
      const int j0 = run[u] - k * nag, j1 = run[u + 1] - k * nag;
      const int c = cr[j0];
      const ana_run *s0 = &rst[j0], *s1 = &ren[j1];
      // The mvm, and the row blocks loaded (HT, LL's first layer) or
      // gathered (LL): the run's first AG's and the blocks starting in
      // it.
      double t = s1->t - s0->t;
      if (loads) {
        t += (s1->runs - s0->runs) * x->mem_msg_ns[c];
        first += s1->first - s0->first;
        racc += W * (s1->acc - s0->acc) + (s1->xacc - s0->xacc);
        double by = W * (s1->by - s0->by) + (s1->xby - s0->xby);
        rby += by;
        flit_hops += by * x->mem_flits[c];
      }
      double mx = f->mb_all;
      if (j1 - j0 < nag) {
        mx = mbf[j0];
        if (j1 - j0 > 1) {
          const int v = floor_log2(j1 - j0 - 1);
          const float *t0 = &mb[v * nag];
          if (t0[j0 + 1] > mx)
            mx = t0[j0 + 1];
          if (t0[j1 - (1 << v)] > mx)
            mx = t0[j1 - (1 << v)];
        }
      }
      mem[c] = dmax(mem[c], mx);
      own += s1->add - s0->add;
      const ana_xrun *x0 = &xs[j0], *x1 = &xs[j1];
      if (scatter && c != next) {
        // the share of its partial sums owned by the next replica
        const double xfer = x1->xfer - x0->xfer;
        double h = x->hops[c * nc + next];
        t += xf * (xfer + (x1->dn - x0->dn) * legs * h);
        core[next] += W * xf * xfer;
        noc += W * xf * (x1->elems - x0->elems) * eb;
        flit_hops += W * xf * (x1->flits - x0->flits) * (h + 1);
      }
      if (c != home) {
        double h = x->hops[c * nc + home];
        double xt = x1->xfer - x0->xfer + (x1->dn - x0->dn) * legs * h;
        t += xt;
        own += xt;
        noc += W * (x1->elems - x0->elems) * eb;
        flit_hops += W * (x1->flits - x0->flits) * (h + 1);
      }
      core[c] += W * t;
      lw[c] += W * t;
      repmax = dmax(repmax, t);
      if (ht)
        start = dmax(start, tl[c]);
      if (!ht) {
        // LL: the layer's entry on core c (its work there is lw[c] once
        // all replicas are counted), with how many of its replicas have
        // AGs there and how many are homed there.
        if (kmn[c] < 0) {
          kmn[c] = ne, kmx[c] = -1, nrep[c] = nhome[c] = 0;
          ent[4 * ne] = c;
          ne++;
        }
        const int fresh = kmx[c] != k; // replica k's first run there
        kmx[c] = k, nrep[c] += fresh, nhome[c] += fresh & (u == rk[k]);
      }
    }
    double fin = ht ? f->fin_ht_ns + f->out_per_win * x->mem_msg_ns[home]
                    : f->fin_ll_ns;
    core[home] += W * (own + fin) + first;
    tw = dmax(tw, repmax + own + fin);
    lw[home] += W * (own + fin) + first;
    chain_w += repmax + own + fin;
    if (!ht) // LL: the owner's receiving work (ll_delivery_chain)
      rs[k] = own;
    if (ht) {
      rs[2 * k] = start;
      rs[2 * k + 1] = W * (repmax + own + fin) + first;
    }
    if (ht && crounds > 0) {
      if (kmn[home] < 0)
        kmn[home] = k;
      kmx[home] = k;
    }
    if (!ht)
      mem[home] = dmax(mem[home], f->hold_bytes);
  }
  // The replica's cores advance in lock-step (synchronous partial sums)
  // and a core interleaves the windows of all the layer's replicas it
  // holds: a replica ends after its own windows and after its cores'
  // whole share of the layer.
  // Replicas exchanging partial sums start together and, in their
  // crossing rounds, pass each round along the whole chain of replicas.
  // A core that is home to replicas i < j of the layer runs round t + 1
  // of i after round t of j: with the partial sums handed along the
  // chain of replicas i..j in between, each crossing round passes
  // through all of them (the widest such span over the cores).
  double span_w = 0;
  for (int k = 0; crounds > 0 && k < R; k++) {
    const int hc = lcr[k * nag];
    if (kmx[hc] - kmn[hc] + 1 > span_w)
      span_w = kmx[hc] - kmn[hc] + 1;
  }
  span_w *= chain_w / R;
  double cstart = 0;
  for (int k = 0; crounds > 0 && k < R; k++)
    cstart = dmax(cstart, rs[2 * k]);
  for (int k = 0; ht && k < R; k++) {
    double dur = rs[2 * k + 1];
    if (crounds > 0) {
      rs[2 * k] = cstart;
      const double W = (double)(q + (k < rem));
      dur = dmax(dur, (W - crounds) * rs[2 * k + 1] / W + crounds * span_w);
    }
    // over the replica's cores: its home (its first run's), the others
    const int home = lcr[k * nag], u0 = rk[k] + 1, u1 = rk[k + 1];
    dur = dmax(dur, lw[home]);
    for (int u = u0; u < u1; u++)
      dur = dmax(dur, lw[lcr[run[u]]]);
    double end = rs[2 * k] + dur;
    tl[home] = dmax(tl[home], end);
    for (int u = u0; u < u1; u++)
      tl[lcr[run[u]]] = dmax(tl[lcr[run[u]]], end);
    F[i] = dmax(F[i], end);
  }
  if (ht) {
    double st = (double)f->steps * f->st_acc;
    port += st * gwrite_ns(x), gacc += st;
    gbytes += (double)f->steps * f->st_bytes;
    noc += (double)f->steps * f->st_bytes;
    flit_hops += (double)f->steps * f->st_bytes * x->mem_flits[lcr[0]];
  }
  // LL: a round's partial sums for other replicas go once all of the
  // layer's replicas ran their mvm (schedule_ll.c, since 954cb16), so
  // the mvm no longer pass the round from replica to replica: in the
  // serial chain only their transfer costs count (above), in the rounds
  // the owners' receiving in turn (ll_delivery_chain).
  D[l] = (double)pt_ceil_div(f->steps, R) * tw;
  // LL: the entries made in the run loop get their core's whole work and
  // replica counts.
  for (int j = (int)w->ea0[l]; j < ne; j++) {
    const int c = (int)ent[4 * j];
    ent[4 * j + 1] = lw[c], ent[4 * j + 2] = nrep[c];
    ent[4 * j + 3] = nhome[c];
  }
  if (!ht) {
    int at = 0;
    double wait = ll_delivery_chain(lcr, R, nag, scatter, rs, &at);
    if (wait > 0)
      ent[4 * kmn[lcr[at * nag]] + 1] += (double)q * wait;
  }
  w->ea1[l] = ne;
  w->runs0[l] = rk[1] - rk[0];
  w->ne = ne, w->xbars = xbars;
  w->port = port, w->gacc = gacc, w->gbytes = gbytes, w->noc = noc;
  w->flit_hops = flit_hops, w->dyn = dyn, w->racc = racc, w->rby = rby;
}

int pt_ana_eval(const pt_ana_ctx *x, const pt_mapping *m, pt_ana_result *r) {
  const pt_arch *a = x->a;
  const int nc = x->ncores, nl = x->nl;
  const bool ht = m->mode == PT_MODE_HT;
  double *core = r->core_ns, *mem = r->core_mem;
  double *D = r->work, *runs0 = D + nl, *ea1 = runs0 + nl;
  double *S = ea1 + nl, *F = S + x->nn, *G = F + x->nn, *tl = G + x->nn;
  double *lw = tl + nc, *lm = lw + nc, *rs = lm + 2 * nc;
  int32_t *kmn = (int32_t *)(lm + nc), *kmx = kmn + nc;
  // LL rounds: layer l's (core, work, replicas with AGs there, replicas
  // homed there) entries are ent[4 ea0[l] .. 4 ea1[l]) (indices kept as
  // doubles in the scratch); per node its events.
  double *ea0 = rs + 2 * x->c->max_ags + 1, *ent = ea0 + x->nl + 1;
  double *ev = ent + 4 * x->nent, *load = ev + 6 * x->nn;
  int32_t *run = (int32_t *)(load + 2 * nc), *rk = run + x->c->max_ags + 1;
  int32_t *nrep = rk + x->c->max_ags + 1, *nhome = nrep + nc;
  if (ht)
    memcpy(core, x->vec_core_ns, nc * sizeof *core);
  else
    memset(core, 0, nc * sizeof *core);
  memset(mem, 0, nc * sizeof *mem);
  const double legs = x->sync_legs * x->hop_ns;
  if (ht) {
    r->ngroups = ht_groups(x, m, F, G);
    memset(F, 0, x->nn * sizeof *F);
    memset(tl, 0, nc * sizeof *tl);
  }
  ana_walk w = {.m = m, .ht = ht, .core = core, .mem = mem, .F = F, .G = G,
                .D = D, .tl = tl, .lw = lw, .lm = lm, .rs = rs,
                .runs0 = runs0, .ea0 = ea0, .ea1 = ea1, .ent = ent,
                .kmn = kmn, .kmx = kmx, .run = run, .rk = rk, .nrep = nrep,
                .nhome = nhome, .port = ht ? x->vec_port_ns : 0,
                .gbytes = ht ? x->vec_bytes : 0, .dyn = ht ? x->vec_pj : 0};
  for (int i = 0; i < x->nn; i++) {
    const int l = x->layer_of[i];
    if (l >= 0)
      weight_layer(x, &w, i, l);
    else if (ht)
      ht_vector_node(x, m, i, core, tl, F, G, &w.flit_hops);
  }
  double gacc = w.gacc + w.racc;
  double port = w.port + w.racc * gread_ns(x), gbytes = w.gbytes + w.rby;
  double noc = w.noc + w.rby, flit_hops = w.flit_hops, dyn = w.dyn;
  const int64_t xbars = w.xbars;
  dyn += gacc * a->global.read_energy_pj;
  double static_mw;
  if (ht) {
    double cmax = 0, csum = 0;
    int powered = 0;
    for (int c = 0; c < nc; c++) {
      powered += core[c] > 0;
      csum += core[c];
      if (core[c] > cmax)
        cmax = core[c];
    }
    double chain = 0;
    for (int c = 0; c < nc; c++)
      if (tl[c] > chain)
        chain = tl[c];
    for (int i = 0; i < x->nn; i++)
      if (F[i] > chain)
        chain = F[i];
    double period = ht_period(chain, port, csum);
    if (cmax > period)
      period = cmax;
    r->chain_s = chain * 1e-9;
    r->core_bound_s = cmax * 1e-9, r->port_bound_s = port * 1e-9;
    r->period_s = period * 1e-9;
    r->throughput_sps = period > 0 ? 1 / r->period_s : 0;
    r->latency_s = r->ngroups * r->period_s;
    r->powered_cores = powered;
    static_mw = powered * x->core_static_mw + x->chips * x->global_static_mw;
    r->static_j = static_mw * period * 1e-12;
  } else {
    // Transfers of every produced pixel to the cores that read it, and
    // the vector work, which schedule_ll.c deals over all cores (spread).
    double spread = 0;
    for (int i = 0; i < x->nn; i++) {
      double dests = 0;
      for (int k = 0; k < x->ncons[i]; k++) {
        int cl = x->cons[i * ANA_MAX_CONS + k];
        double cores = 1;
        if (cl >= 0) {
          const ana_lf *fc = &x->lf[cl * PT_UNF_COUNT + m->unfold[cl]];
          double reps = m->repl[cl] < fc->steps ? m->repl[cl] : (double)fc->steps;
          cores = runs0[cl] * reps;
        } else {
          cores = nc;
        }
        double u = x->cons_uses[i * ANA_MAX_CONS + k];
        dests += (cores < u ? cores : u) * x->cons_pix[i * ANA_MAX_CONS + k];
      }
      double total = dests * (x->send_ns[i] + legs * x->avg_hops);
      noc += dests * x->send_bytes[i];
      flit_hops += dests * x->send_flits[i] * (x->avg_hops + 1);
      int l = x->layer_of[i];
      G[i] = total;
      if (l >= 0) {
        const ana_lf *f = &x->lf[l * PT_UNF_COUNT + m->unfold[l]];
        int R = m->repl[l], nag = (int)f->ags;
        for (int k = 0; k < R; k++)
          core[m->ag_core[m->ag_start[l] + k * nag]] += total / R;
      } else {
        spread += (x->ll_vec_ns[i] + total) / nc;
        dyn += x->ll_vec_pj[i];
      }
    }
    for (int c = 0; c < nc; c++)
      core[c] += spread;
    // The layer chain (reported, not in the latency): every node after its
    // latest provider, no overlap.
    double serial = 0;
    for (int i = 0; i < x->nn; i++) {
      const int l = x->layer_of[i];
      double d = l >= 0 ? D[l] + G[i] / m->repl[l]
                        : (x->ll_vec_ns[i] + G[i]) / nc;
      double fmax = 0;
      for (int e = x->edge0[i]; e < x->edge0[i + 1]; e++)
        if (F[x->edge[e].from] > fmax)
          fmax = F[x->edge[e].from];
      F[i] = fmax + d;
      if (F[i] > serial)
        serial = F[i];
    }
    double rounds = ll_rounds(x, m, S, F, G, ea0, ea1, ent, ev, load);
    r->ll_rounds_s = rounds * 1e-9, r->ll_serial_s = serial * 1e-9;
    double cmax = 0;
    int powered = 0;
    for (int c = 0; c < nc; c++) {
      powered += core[c] > 0;
      if (core[c] > cmax)
        cmax = core[c];
    }
    // The rounds as if every round waited for its busiest core, and the
    // busiest core alone as if the cores never waited for each other: the
    // cores meet only in their transfers, so a round's busiest core need
    // not hold back the others (the profiled time is always above the
    // busiest core, above or below the rounds). Their geometric mean, a
    // measured blend (docs/cost-model.md). The serial chain is reported.
    double chain = sqrt(rounds * cmax);
    double lat = chain > cmax ? chain : cmax;
    if (port > lat)
      lat = port;
    r->chain_s = chain * 1e-9, r->core_bound_s = cmax * 1e-9;
    r->port_bound_s = port * 1e-9;
    r->latency_s = lat * 1e-9;
    r->period_s = 0, r->ngroups = 0;
    r->throughput_sps = lat > 0 ? 1 / r->latency_s : 0;
    r->powered_cores = powered;
    static_mw = powered * x->core_static_mw + x->chips * x->global_static_mw;
    r->static_j = static_mw * lat * 1e-12;
  }
  dyn += flit_hops * a->flit_energy_pj;
  r->mode = m->mode;
  r->dynamic_j = dyn * 1e-12;
  r->energy_j = r->dynamic_j + r->static_j;
  r->crossbars = xbars;
  r->global_bytes = gbytes;
  r->noc_bytes = noc;
  double pk = 0;
  for (int c = 0; c < nc; c++)
    if (mem[c] > pk)
      pk = mem[c];
  r->peak_local_bytes = (int64_t)pk;
  return 0;
}
