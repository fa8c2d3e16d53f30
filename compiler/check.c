// The streams' dataflow, checked by executing them on byte-validity
// bitmaps instead of values (see program.h). Used by the tests of the
// schedulers and by `pimtune compile --check`.
#define _GNU_SOURCE
#include "program.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
  const pt_program *p;
  const pt_graph *g;
  pt_error *err;
  uint8_t **local;        // [core][byte] B_UNWRITTEN, B_VALID, B_RELEASED
  int64_t *local_size;
  uint8_t *global;        // [byte] 1 = stored (or input/constant)
  uint8_t *stores;        // [byte] times stored, saturating at 2
  int64_t *pc;
  int64_t **ev;           // per core: buffer boundaries, sorted by index
  int64_t *nev, *evat;    // counts and cursors
  int64_t executed;
} checker;

// State of a local byte: garbage since its buffer was allocated (or since
// the start), written, or garbage since its buffer was released.
enum { B_UNWRITTEN, B_VALID, B_RELEASED };

// The first byte of [a, a + n) that is not valid, -1 if none.
static int64_t first_invalid(const uint8_t *m, int64_t a, int64_t n) {
  for (int64_t i = 0; i < n; i++)
    if (m[a + i] != B_VALID)
      return a + i;
  return -1;
}

static bool all_set(const uint8_t *m, int64_t a, int64_t n) {
  for (int64_t i = 0; i < n; i++)
    if (!m[a + i])
      return false;
  return true;
}

static int64_t bytes(const checker *k, int32_t len) {
  return (int64_t)len * k->p->elem_bytes;
}

static int local_read(checker *k, int core, uint32_t a, int32_t len,
                      const pt_inst *in) {
  int64_t n = bytes(k, len);
  if ((int64_t)a + n > k->local_size[core])
    return pt_errorf(k->err, "core %d, instruction %lld (%s): reads local "
                     "[%u, %lld) beyond the memory in use", core,
                     (long long)k->pc[core], pt_iop_names[in->op], a,
                     (long long)(a + n));
  int64_t bad = first_invalid(k->local[core], a, n);
  if (bad >= 0)
    return pt_errorf(k->err, "core %d, instruction %lld (%s%s%s): reads "
                     "local [%u, %lld) %s", core, (long long)k->pc[core],
                     pt_iop_names[in->op], in->op == PT_I_VEC ? " " : "",
                     in->op == PT_I_VEC ? pt_vop_names[in->vop] : "", a,
                     (long long)(a + n),
                     k->local[core][bad] == B_RELEASED
                         ? "after its buffer was released"
                         : "that was never written");
  return 0;
}

static int local_write(checker *k, int core, uint32_t a, int32_t len) {
  int64_t n = bytes(k, len);
  if ((int64_t)a + n > k->local_size[core])
    return pt_errorf(k->err, "core %d, instruction %lld: writes local [%u, "
                     "%lld) beyond the memory in use", core,
                     (long long)k->pc[core], a, (long long)(a + n));
  for (int64_t i = 0; i < n; i++)
    if (k->local[core][a + i] == B_RELEASED)
      return pt_errorf(k->err, "core %d, instruction %lld: writes local "
                       "[%u, %lld) after its buffer was released", core,
                       (long long)k->pc[core], a, (long long)(a + n));
  memset(k->local[core] + a, B_VALID, n);
  return 0;
}

// The end of a buffer's life: a buffer never released (to < 0) lives to
// the end of the stream.
static int64_t buf_end(const pt_buf *b) {
  return b->to < 0 ? INT64_MAX : b->to;
}

// Buffer boundaries reached by core's pc: the bytes become garbage.
static void apply_buffer_events(checker *k, int core) {
  const pt_program *p = k->p;
  while (k->evat[core] < k->nev[core]) {
    const pt_buf *b = &p->buf[k->ev[core][k->evat[core]] >> 1];
    bool end = k->ev[core][k->evat[core]] & 1;
    int64_t at = end ? buf_end(b) : b->from;
    if (at > k->pc[core])
      break;
    memset(k->local[core] + b->addr, end ? B_RELEASED : B_UNWRITTEN,
           b->bytes);
    k->evat[core]++;
  }
}

static int cmp_ev(const void *x, const void *y, void *ctx) {
  const pt_program *p = ctx;
  int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
  const pt_buf *ba = &p->buf[a >> 1], *bb = &p->buf[b >> 1];
  int64_t ta = (a & 1) ? buf_end(ba) : ba->from;
  int64_t tb = (b & 1) ? buf_end(bb) : bb->from;
  if (ta != tb)
    return ta < tb ? -1 : 1;
  if (a >> 1 == b >> 1) // a buffer released where it was allocated
    return (int)(a & 1) - (int)(b & 1);
  return (int)(a & 1) - (int)(b & 1) ? ((a & 1) ? -1 : 1) : 0; // ends first
}


// Step one instruction of core c if it can run. 1 = ran, 0 = blocked,
// -1 = error.
static int step(checker *k, int c) {
  const pt_program *p = k->p;
  const pt_stream *s = &p->core[c];
  if (k->pc[c] >= s->n)
    return 0;
  apply_buffer_events(k, c);
  const pt_inst *in = &s->v[k->pc[c]];
  switch (in->op) {
  case PT_I_MVM: {
    // The AG must exist, sit on this core and match the lengths.
    if (in->arg < 0 || in->arg >= p->nags)
      return pt_errorf(k->err, "core %d, instruction %lld: mvm on AG %d, the "
                       "program has AGs 0..%d", c, (long long)k->pc[c],
                       in->arg, p->nags - 1);
    const pt_ag_info *ag = &p->ag[in->arg];
    if (ag->core != c)
      return pt_errorf(k->err, "core %d, instruction %lld: mvm on AG %d, "
                       "which sits on core %d", c, (long long)k->pc[c],
                       in->arg, ag->core);
    if (in->len != ag->rows || in->len2 != ag->cols)
      return pt_errorf(k->err, "core %d, instruction %lld: mvm on AG %d "
                       "reads %d and writes %d elements, the AG has %d rows "
                       "and %d columns", c, (long long)k->pc[c], in->arg,
                       in->len, in->len2, ag->rows, ag->cols);
    if (local_read(k, c, in->src1, in->len, in) ||
        local_write(k, c, in->dst, in->len2))
      return -1;
    break;
  }
  case PT_I_VEC: {
    bool binary = in->vop <= PT_V_MAX;
    int32_t len2 = in->flags & PT_IF_BCAST ? 1 : in->len;
    if (local_read(k, c, in->src1, in->len, in) ||
        (binary && local_read(k, c, in->src2, len2, in)) ||
        local_write(k, c, in->dst, in->len))
      return -1;
    break;
  }
  case PT_I_COPY:
    if (local_read(k, c, in->src1, in->len, in) ||
        local_write(k, c, in->dst, in->len))
      return -1;
    break;
  case PT_I_WRITE:
    if (local_write(k, c, in->dst, in->len))
      return -1;
    break;
  case PT_I_LOAD: {
    int64_t n = bytes(k, in->len);
    if ((int64_t)in->src1 + n > p->global_bytes)
      return pt_errorf(k->err, "core %d, instruction %lld (load): global "
                       "[%u, %lld) is outside the %lld bytes laid out", c,
                       (long long)k->pc[c], in->src1,
                       (long long)(in->src1 + n), (long long)p->global_bytes);
    if (!all_set(k->global, in->src1, n))
      return 0; // not stored yet: wait
    if (local_write(k, c, in->dst, in->len))
      return -1;
    break;
  }
  case PT_I_STORE: {
    int64_t n = bytes(k, in->len);
    if ((int64_t)in->dst + n > p->global_bytes)
      return pt_errorf(k->err, "core %d, instruction %lld (store): global "
                       "[%u, %lld) is outside the %lld bytes laid out", c,
                       (long long)k->pc[c], in->dst, (long long)(in->dst + n),
                       (long long)p->global_bytes);
    if (local_read(k, c, in->src1, in->len, in))
      return -1;
    memset(k->global + in->dst, 1, n);
    for (int64_t i = 0; i < n; i++)
      if (k->stores[in->dst + i] < 2)
        k->stores[in->dst + i]++;
    break;
  }
  case PT_I_SEND: {
    int peer = in->arg;
    if (peer < 0 || peer >= p->ncores || peer == c)
      return pt_errorf(k->err, "core %d, instruction %lld: send to core %d",
                       c, (long long)k->pc[c], peer);
    const pt_stream *ps = &p->core[peer];
    if (k->pc[peer] >= ps->n)
      return 0;
    apply_buffer_events(k, peer);
    const pt_inst *r = &ps->v[k->pc[peer]];
    if (r->op != PT_I_RECV || r->arg != c)
      return 0; // the receiver is not there yet
    if (r->len != in->len)
      return pt_errorf(k->err, "core %d, instruction %lld sends %d elements; "
                       "core %d, instruction %lld receives %d", c,
                       (long long)k->pc[c], in->len, peer,
                       (long long)k->pc[peer], r->len);
    if (local_read(k, c, in->src1, in->len, in) ||
        local_write(k, peer, r->dst, r->len))
      return -1;
    k->pc[peer]++;
    k->executed++;
    break;
  }
  case PT_I_RECV:
    return 0; // completed by the matching send
  default:
    return pt_errorf(k->err, "core %d, instruction %lld: unknown op %d", c,
                     (long long)k->pc[c], in->op);
  }
  k->pc[c]++;
  k->executed++;
  return 1;
}

static int check_overlaps(const pt_program *p, pt_error *err) {
  // Per core, sort buffers by address and check that any two that share
  // bytes have disjoint lives.
  for (int c = 0; c < p->ncores; c++) {
    int64_t n = 0;
    for (int64_t i = 0; i < p->nbuf; i++)
      n += p->buf[i].core == c;
    if (n < 2)
      continue;
    int64_t *idx = pt_malloc(n * sizeof *idx), k = 0;
    for (int64_t i = 0; i < p->nbuf; i++)
      if (p->buf[i].core == c)
        idx[k++] = i;
    // Buffers are recorded in allocation order, so a sweep over lives
    // with an address-interval check against the live set works; live
    // sets are small.
    int64_t *live = pt_malloc(n * sizeof *live), nlive = 0;
    for (k = 0; k < n; k++) {
      const pt_buf *b = &p->buf[idx[k]];
      int64_t j = 0;
      while (j < nlive) { // drop lives that ended before b starts
        if (buf_end(&p->buf[live[j]]) <= b->from)
          live[j] = live[--nlive];
        else
          j++;
      }
      for (j = 0; j < nlive; j++) {
        const pt_buf *o = &p->buf[live[j]];
        if (o->addr < b->addr + b->bytes && b->addr < o->addr + o->bytes) {
          int rc = pt_errorf(err, "core %d: buffers [%lld, %lld) and [%lld, "
                             "%lld) overlap while both live (instructions "
                             "%lld and %lld)", c, (long long)o->addr,
                             (long long)(o->addr + o->bytes),
                             (long long)b->addr, (long long)(b->addr + b->bytes),
                             (long long)o->from, (long long)b->from);
          free(idx);
          free(live);
          return rc;
        }
      }
      live[nlive++] = idx[k];
    }
    free(idx);
    free(live);
  }
  return 0;
}

// LL: each pixel of every computed tensor is completed (PT_IF_FINAL, with
// the pixel in arg) exactly once. Views (reshape, concat) compute nothing.
static int check_finals(const pt_program *p, const pt_graph *g,
                        pt_error *err) {
  int64_t **seen = pt_calloc(g->nn, sizeof *seen);
  int64_t *npix = pt_calloc(g->nn, sizeof *npix);
  int rc = 0;
  for (int i = 0; i < g->nn; i++) {
    pt_op op = g->n[i].op;
    if (op == PT_OP_RESHAPE || op == PT_OP_CONCAT || op == PT_OP_IDENTITY ||
        op == PT_OP_SLICE)
      continue;
    int64_t chw[3];
    const pt_tensor *x = &g->t[g->n[i].out[0]];
    npix[i] = pt_tensor_chw(x, chw) ? 1 : chw[1] * chw[2];
    seen[i] = pt_calloc(npix[i], sizeof *seen[i]);
  }
  for (int c = 0; c < p->ncores && !rc; c++)
    for (int64_t k = 0; k < p->core[c].n && !rc; k++) {
      const pt_inst *in = &p->core[c].v[k];
      if (!(in->flags & PT_IF_FINAL) || in->op == PT_I_STORE)
        continue;
      if (in->node < 0 || !seen[in->node] || in->arg < 0 ||
          in->arg >= npix[in->node])
        rc = pt_errorf(err, "core %d, instruction %lld: completes pixel %d "
                       "of no computed layer", c, (long long)k, in->arg);
      else
        seen[in->node][in->arg]++;
    }
  for (int i = 0; i < g->nn && !rc; i++)
    for (int64_t q = 0; seen[i] && q < npix[i] && !rc; q++)
      if (seen[i][q] != 1)
        rc = pt_errorf(err, "node '%s': pixel %lld completed %lld times, "
                       "expected once", g->n[i].name, (long long)q,
                       (long long)seen[i][q]);
  for (int i = 0; i < g->nn; i++)
    free(seen[i]);
  free(seen);
  free(npix);
  return rc;
}

// Global memory: tensors laid out at different bases must not overlap
// (views share their root's base).
typedef struct {
  int64_t base, end;
  int t;
} region;

static int cmp_region(const void *x, const void *y) {
  const region *a = x, *b = y;
  return (a->base > b->base) - (a->base < b->base);
}

static int check_global_layout(const pt_program *p, const pt_graph *g,
                               pt_error *err) {
  region *r = pt_malloc((g->nt + 1) * sizeof *r);
  int n = 0, rc = 0;
  for (int t = 0; t < g->nt; t++) {
    const pt_gview *v = &p->gt[t];
    if (v->base < 0)
      continue;
    const pt_tensor *x = &g->t[t];
    int64_t chw[3];
    if (x->is_const || pt_tensor_chw(x, chw)) {
      int64_t numel = pt_tensor_numel(x);
      if (!x->is_const && x->ndim && x->dims[0] > 0)
        numel /= x->dims[0];
      chw[0] = numel, chw[1] = chw[2] = 1;
    }
    int64_t npix = chw[1] * chw[2];
    int64_t end = v->base + ((npix - 1) * v->pixel_stride + v->channel_off +
                             chw[0]) * p->elem_bytes;
    if (end > p->global_bytes) {
      rc = pt_errorf(err, "global memory: tensor '%s' ends at %lld, beyond "
                     "the %lld bytes laid out", x->name, (long long)end,
                     (long long)p->global_bytes);
      break;
    }
    r[n++] = (region){v->base, end, t};
  }
  qsort(r, n, sizeof *r, cmp_region);
  // Merge equal bases (views), then neighbours must not overlap.
  for (int i = 0, j; i < n && !rc; i = j) {
    int64_t end = r[i].end;
    int who = r[i].t;
    for (j = i + 1; j < n && r[j].base == r[i].base; j++)
      if (r[j].end > end)
        end = r[j].end, who = r[j].t;
    if (j < n && end > r[j].base)
      rc = pt_errorf(err, "global memory: tensor '%s' [%lld, %lld) overlaps "
                     "tensor '%s' at %lld", g->t[who].name,
                     (long long)r[i].base, (long long)end,
                     g->t[r[j].t].name, (long long)r[j].base);
  }
  free(r);
  return rc;
}

int pt_prog_check(const pt_program *p, const pt_graph *g,
                  pt_check_report *rep, pt_error *err) {
  checker k = {.p = p, .g = g, .err = err};
  int nc = p->ncores;
  k.local = pt_calloc(nc, sizeof *k.local);
  k.local_size = pt_calloc(nc, sizeof *k.local_size);
  k.pc = pt_calloc(nc, sizeof *k.pc);
  k.ev = pt_calloc(nc, sizeof *k.ev);
  k.nev = pt_calloc(nc, sizeof *k.nev);
  k.evat = pt_calloc(nc, sizeof *k.evat);
  for (int c = 0; c < nc; c++) {
    k.local_size[c] = p->core[c].peak_local_bytes;
    k.local[c] = pt_calloc(k.local_size[c] + 1, 1);
  }
  for (int64_t i = 0; i < p->nbuf; i++)
    k.nev[p->buf[i].core] += 2;
  for (int c = 0; c < nc; c++) {
    k.ev[c] = pt_malloc((k.nev[c] + 1) * sizeof *k.ev[c]);
    k.nev[c] = 0;
  }
  for (int64_t i = 0; i < p->nbuf; i++) {
    int c = p->buf[i].core;
    k.ev[c][k.nev[c]++] = 2 * i;
    k.ev[c][k.nev[c]++] = 2 * i + 1;
  }
  for (int c = 0; c < nc; c++)
    qsort_r(k.ev[c], k.nev[c], sizeof *k.ev[c], cmp_ev, (void *)p);
  k.global = pt_calloc(p->global_bytes + 1, 1);
  k.stores = pt_calloc(p->global_bytes + 1, 1);
  // Graph inputs and constants are in memory from the start.
  bool *produced = pt_calloc(g->nt, 1);
  for (int i = 0; i < g->nn; i++)
    produced[g->n[i].out[0]] = true;
  for (int t = 0; t < g->nt; t++)
    if (!produced[t] && p->gt[t].base >= 0) {
      const pt_tensor *x = &g->t[t];
      int64_t n = pt_tensor_numel(x);
      if (!x->is_const && x->ndim && x->dims[0] > 0)
        n /= x->dims[0];
      memset(k.global + p->gt[t].base, 1, n * p->elem_bytes);
    }
  int rc = check_overlaps(p, err);
  if (!rc)
    rc = check_global_layout(p, g, err);
  // Run: each core as far as it goes, round robin, until all are done or
  // none can move.
  for (bool moved = true; !rc && moved;) {
    moved = false;
    for (int c = 0; c < nc && !rc; c++) {
      int r;
      while ((r = step(&k, c)) == 1)
        moved = true;
      if (r < 0)
        rc = -1;
    }
  }
  for (int c = 0; c < nc && !rc; c++)
    if (k.pc[c] < p->core[c].n) {
      const pt_inst *in = &p->core[c].v[k.pc[c]];
      rc = pt_errorf(err, "deadlock: core %d waits at instruction %lld (%s "
                     "%s %d) and no core can move", c, (long long)k.pc[c],
                     pt_iop_names[in->op],
                     in->op == PT_I_SEND || in->op == PT_I_RECV ? "core"
                                                                : "len",
                     in->op == PT_I_SEND || in->op == PT_I_RECV ? in->arg
                                                                : in->len);
    }
  // HT: every byte of every layer's output stored exactly once. LL: the
  // network's outputs (and what they are reshapes of) stored exactly once,
  // and every other pixel completed exactly once on some core.
  bool *stored_t = pt_calloc(g->nt, 1);
  for (int i = 0; i < g->noutputs; i++)
    for (int t = g->outputs[i]; t >= 0;) {
      stored_t[t] = true;
      int pr = g->t[t].producer;
      t = pr >= 0 && g->n[pr].op == PT_OP_RESHAPE ? g->n[pr].in[0] : -1;
    }
  if (!rc && p->mode == PT_MODE_LL)
    rc = check_finals(p, g, err);
  int64_t stored = 0;
  for (int t = 0; t < g->nt && !rc; t++) {
    const pt_tensor *x = &g->t[t];
    const pt_gview *v = &p->gt[t];
    if (!produced[t] || v->base < 0 || g->n[x->producer].op == PT_OP_RESHAPE ||
        g->n[x->producer].op == PT_OP_SLICE)
      continue;
    if (p->mode == PT_MODE_LL && !stored_t[t])
      continue;
    int64_t chw[3];
    if (pt_tensor_chw(x, chw)) {
      chw[0] = pt_tensor_numel(x) / (x->dims[0] > 0 ? x->dims[0] : 1);
      chw[1] = chw[2] = 1;
    }
    bool concat_out = g->n[x->producer].op == PT_OP_CONCAT;
    for (int64_t px = 0; px < chw[1] * chw[2] && !rc; px++)
      for (int64_t ch = 0; ch < chw[0] && !rc; ch++) {
        int64_t a = v->base + (px * v->pixel_stride + v->channel_off + ch) *
                                  p->elem_bytes;
        // A concat's bytes are stored by its inputs (or its copies), once.
        int times = k.stores[a];
        if (times != 1) {
          rc = pt_errorf(err, "node '%s': output element %lld of pixel %lld "
                         "stored %s", g->n[x->producer].name, (long long)ch,
                         (long long)px, times ? "more than once" : "never");
        }
      }
    if (!rc && !concat_out)
      stored += chw[0] * chw[1] * chw[2] * p->elem_bytes;
  }
  if (rep) {
    rep->executed = k.executed;
    rep->stored_bytes = stored;
  }
  for (int c = 0; c < nc; c++) {
    free(k.local[c]);
    free(k.ev[c]);
  }
  free(k.local);
  free(k.local_size);
  free(k.pc);
  free(k.ev);
  free(k.nev);
  free(k.evat);
  free(k.global);
  free(k.stores);
  free(produced);
  free(stored_t);
  return rc;
}
