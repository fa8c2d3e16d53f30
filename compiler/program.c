// Per-core instruction streams: construction, statistics and the local
// memory allocator the schedulers share.
#include "program.h"

#include <stdlib.h>
#include <string.h>

typedef struct pt_lalloc pt_lalloc;
static void pt_lalloc_free(pt_lalloc *a);

// ORDER IOP
const char *pt_iop_names[PT_I_COUNT] = {"mvm",   "vec",   "copy", "write",
                                        "load",  "store", "send", "recv"};
// ORDER VOP
const char *pt_vop_names[PT_V_COUNT] = {
    "add",  "sub",  "mul",        "div",         "max",       "scale",
    "relu", "clip", "leakyrelu",  "sigmoid",     "tanh",      "hardsigmoid",
    "hardswish", "softmax", "adds", "pow", "winsum"};

bool pt_vop_binary(pt_vop op) { return op <= PT_V_MAX; }

int pt_vop_nimm(pt_vop op) {
  switch (op) {
  case PT_V_SCALE: case PT_V_LEAKYRELU: case PT_V_ADDS: case PT_V_POW:
    return 1;
  case PT_V_CLIP: case PT_V_HARDSIGMOID:
    return 2;
  default:
    return 0;
  }
}

pt_program *pt_prog_new(const pt_map_ctx *c, const pt_mapping *m) {
  pt_program *p = pt_calloc(1, sizeof *p);
  p->mode = m->mode;
  p->ncores = c->ncores;
  p->core = pt_calloc(c->ncores, sizeof *p->core);
  p->elem_bytes = (int)pt_ceil_div(c->a->act_bits, 8);
  p->local_capacity = c->a->local.size_bytes;
  p->heap = pt_calloc(c->ncores, sizeof *p->heap);
  p->group = pt_malloc(c->g->nn * sizeof *p->group);
  for (int i = 0; i < c->g->nn; i++)
    p->group[i] = -1;
  p->ntensors = c->g->nt;
  p->gt = pt_calloc(c->g->nt, sizeof *p->gt);
  for (int i = 0; i < c->g->nt; i++)
    p->gt[i].base = -1;
  // The AG table, in the mapping's numbering.
  p->nags = m->total_ags;
  p->ag = pt_calloc(m->total_ags, sizeof *p->ag);
  for (int l = 0; l < c->nlayers; l++) {
    const pt_part *pp = pt_map_part(c, l, m->unfold[l]);
    int64_t row_xbars = pt_ceil_div(pp->cols, c->a->xbar_cols);
    int64_t block_cols = (int64_t)c->xbars_per_core * c->a->xbar_cols;
    for (int32_t i = m->ag_start[l]; i < m->ag_start[l + 1]; i++) {
      int64_t k = i - m->ag_start[l];
      pt_ag_info *a = &p->ag[i];
      int64_t cb = k % pp->col_blocks, rb = k / pp->col_blocks % pp->row_blocks;
      int64_t mat = k / pp->ags_per_matrix % pp->matrices;
      a->layer = l;
      a->node = c->node[l];
      a->replica = (int32_t)(k / pp->ags);
      a->matrix = (int32_t)mat;
      a->row0 = (int32_t)(rb * c->a->xbar_rows);
      a->rows = (int32_t)(pp->rows - a->row0 < c->a->xbar_rows
                              ? pp->rows - a->row0 : c->a->xbar_rows);
      a->col0 = (int32_t)(cb * block_cols);
      a->cols = (int32_t)(pp->cols - a->col0 < block_cols ? pp->cols - a->col0
                                                          : block_cols);
      a->crossbars = (int32_t)pt_ceil_div(a->cols, c->a->xbar_cols);
      (void)row_xbars;
      a->core = m->ag_core[i];
    }
  }
  return p;
}

void pt_prog_free(pt_program *p) {
  if (!p)
    return;
  for (int i = 0; i < p->ncores; i++) {
    free(p->core[i].v);
    pt_lalloc_free(p->heap[i]);
  }
  free(p->heap);
  free(p->buf);
  free(p->group);
  free(p->core);
  free(p->ag);
  free(p->gt);
  free(p);
}

pt_inst *pt_prog_emit(pt_program *p, int core, pt_iop op) {
  pt_stream *s = &p->core[core];
  if (s->n == s->cap) {
    s->cap = s->cap ? 2 * s->cap : 256;
    s->v = pt_realloc(s->v, s->cap * sizeof *s->v);
  }
  pt_inst *i = &s->v[s->n++];
  memset(i, 0, sizeof *i);
  i->op = (uint8_t)op;
  i->node = -1;
  return i;
}

void pt_prog_stats_of(const pt_program *p, pt_prog_stats *s) {
  memset(s, 0, sizeof *s);
  for (int c = 0; c < p->ncores; c++) {
    const pt_stream *st = &p->core[c];
    if (st->n)
      s->cores_used++;
    for (int64_t k = 0; k < st->n; k++) {
      const pt_inst *i = &st->v[k];
      s->n[i->op]++;
      int64_t bytes = (int64_t)i->len * p->elem_bytes;
      if (i->op == PT_I_LOAD)
        s->load_bytes += bytes;
      else if (i->op == PT_I_STORE)
        s->store_bytes += bytes;
      else if (i->op == PT_I_SEND)
        s->send_bytes += bytes;
    }
  }
}

// ---------------------------------------------------------------------------
// Local memory: a first-fit allocator over a free list of [addr, addr+len)
// holes kept sorted by address and merged on release.

typedef struct {
  int64_t addr, len;
} hole;

struct pt_lalloc {
  hole *h;
  int n, cap;
  int64_t align;          // every address a multiple of this
  int64_t capacity, used, peak, top;
  int64_t *live;          // indices into pt_program.buf of live buffers
  int nlive, caplive;
};

static pt_lalloc *pt_lalloc_new(int64_t capacity, int64_t align) {
  pt_lalloc *a = pt_calloc(1, sizeof *a);
  a->align = align;
  a->capacity = capacity;
  a->cap = 16;
  a->h = pt_malloc(a->cap * sizeof *a->h);
  a->h[0] = (hole){0, INT64_MAX / 4}; // unbounded: overflow is reported
  a->n = 1;                           // through the peak, not refused
  return a;
}

static void pt_lalloc_free(pt_lalloc *a) {
  if (a) {
    free(a->live);
    free(a->h);
    free(a);
  }
}

// Addresses are multiples of 8 bytes (buffers never share a word) and of
// the element size (3-byte elements at 24-bit activations): of their lcm.
static int64_t lcm8(int64_t eb) {
  int64_t a = 8, b = eb;
  while (b) {
    int64_t t = a % b;
    a = b, b = t;
  }
  return 8 * eb / a;
}

static int64_t round_up(int64_t b, int64_t align) {
  return (b + align - 1) / align * align;
}

static int64_t pt_lalloc_get(pt_lalloc *a, int64_t bytes) {
  bytes = round_up(bytes > 0 ? bytes : 1, a->align);
  for (int i = 0; i < a->n; i++) {
    if (a->h[i].len < bytes)
      continue;
    int64_t at = a->h[i].addr;
    a->h[i].addr += bytes;
    a->h[i].len -= bytes;
    if (a->h[i].len == 0) {
      memmove(&a->h[i], &a->h[i + 1], (a->n - i - 1) * sizeof *a->h);
      a->n--;
    }
    a->used += bytes;
    if (at + bytes > a->top)
      a->top = at + bytes;
    if (a->top > a->peak)
      a->peak = a->top;
    return at;
  }
  return -1;
}

static void pt_lalloc_put(pt_lalloc *a, int64_t addr, int64_t bytes) {
  bytes = round_up(bytes > 0 ? bytes : 1, a->align);
  a->used -= bytes;
  int i = 0;
  while (i < a->n && a->h[i].addr < addr)
    i++;
  bool join_prev = i > 0 && a->h[i - 1].addr + a->h[i - 1].len == addr;
  bool join_next = i < a->n && addr + bytes == a->h[i].addr;
  if (join_prev && join_next) {
    a->h[i - 1].len += bytes + a->h[i].len;
    memmove(&a->h[i], &a->h[i + 1], (a->n - i - 1) * sizeof *a->h);
    a->n--;
  } else if (join_prev) {
    a->h[i - 1].len += bytes;
  } else if (join_next) {
    a->h[i].addr = addr;
    a->h[i].len += bytes;
  } else {
    if (a->n == a->cap) {
      a->cap *= 2;
      a->h = pt_realloc(a->h, a->cap * sizeof *a->h);
    }
    memmove(&a->h[i + 1], &a->h[i], (a->n - i) * sizeof *a->h);
    a->h[i] = (hole){addr, bytes};
    a->n++;
  }
  // The top of the used region, for the peak: the start of the last hole
  // when that hole runs to the (unbounded) end.
  a->top = a->h[a->n - 1].addr;
}

static int64_t pt_lalloc_peak(const pt_lalloc *a) { return a->peak; }

// ---------------------------------------------------------------------------
// Buffers of the program

uint32_t pt_prog_alloc(pt_program *p, int core, int64_t bytes, int node) {
  if (!p->heap[core])
    p->heap[core] = pt_lalloc_new(p->local_capacity, lcm8(p->elem_bytes));
  int64_t addr = pt_lalloc_get(p->heap[core], bytes);
  if (p->nbuf == p->capbuf) {
    p->capbuf = p->capbuf ? 2 * p->capbuf : 1024;
    p->buf = pt_realloc(p->buf, p->capbuf * sizeof *p->buf);
  }
  pt_lalloc *h = p->heap[core];
  if (h->nlive == h->caplive) {
    h->caplive = h->caplive ? 2 * h->caplive : 64;
    h->live = pt_realloc(h->live, h->caplive * sizeof *h->live);
  }
  h->live[h->nlive++] = p->nbuf;
  p->buf[p->nbuf++] = (pt_buf){core, node, addr, bytes, p->core[core].n, -1};
  p->core[core].last_alloc = p->core[core].n;
  int64_t peak = pt_lalloc_peak(p->heap[core]);
  if (peak > p->core[core].peak_local_bytes)
    p->core[core].peak_local_bytes = peak;
  return (uint32_t)addr;
}

void pt_prog_release(pt_program *p, int core, uint32_t addr) {
  pt_lalloc *h = p->heap[core];
  for (int i = 0; h && i < h->nlive; i++) {
    pt_buf *b = &p->buf[h->live[i]];
    if (b->addr == addr) {
      b->to = p->core[core].n;
      pt_lalloc_put(h, b->addr, b->bytes);
      h->live[i] = h->live[--h->nlive];
      return;
    }
  }
}

int64_t pt_prog_local_used(const pt_program *p, int core) {
  return p->heap[core] ? p->heap[core]->used : 0;
}

void pt_prog_release_all(pt_program *p) {
  for (int c = 0; c < p->ncores; c++)
    while (p->heap[c] && p->heap[c]->nlive)
      pt_prog_release(p, c, (uint32_t)p->buf[p->heap[c]->live[0]].addr);
}

// ---------------------------------------------------------------------------
// Global memory layout

static int consumers(const pt_graph *g, int t, int *only) {
  int k = 0;
  for (int i = 0; i < g->nn; i++)
    for (int j = 0; j < g->n[i].nin; j++)
      if (g->n[i].in[j] == t) {
        k++;
        *only = i;
      }
  return k;
}

static bool is_graph_output(const pt_graph *g, int t) {
  for (int i = 0; i < g->noutputs; i++)
    if (g->outputs[i] == t)
      return true;
  return false;
}

// Elements of one sample of an activation; all of a constant (a bias of
// shape [O] has no batch dimension).
static int64_t per_sample(const pt_tensor *t) {
  if (t->is_const || t->ndim == 0 || t->dims[0] <= 0)
    return pt_tensor_numel(t);
  return pt_tensor_numel(t) / t->dims[0];
}

// A reshape is free when it only flattens (to [N, F]) or keeps C, H, W:
// NHWC data then reads the same in the new shape (fc weights are taken in
// HWC order to match).
static bool flatten_like(const pt_graph *g, const pt_node *n) {
  const pt_tensor *x = &g->t[n->in[0]], *y = &g->t[n->out[0]];
  int64_t a[3], b[3];
  if (y->ndim == 2)
    return true;
  if (pt_tensor_chw(x, a) || pt_tensor_chw(y, b))
    return false;
  return a[0] == b[0] && a[1] == b[1] && a[2] == b[2];
}

int pt_prog_layout_global(pt_program *p, const pt_graph *g, pt_error *err) {
  int eb = p->elem_bytes;
  int *parent = pt_malloc(g->nt * sizeof *parent);
  int *off = pt_calloc(g->nt, sizeof *off);
  bool *used = pt_calloc(g->nt, 1), *in_concat = pt_calloc(g->nt, 1);
  for (int i = 0; i < g->nt; i++)
    parent[i] = -1;
  int rc = 0;
  for (int i = 0; i < g->nn && !rc; i++) {
    const pt_node *n = &g->n[i];
    for (int j = 0; j < n->nin; j++)
      if (n->in[j] >= 0 &&
          !((n->op == PT_OP_CONV || n->op == PT_OP_FC) && j == 1))
        used[n->in[j]] = true;
    used[n->out[0]] = true;
    if (n->op == PT_OP_RESHAPE) {
      if (!flatten_like(g, n))
        rc = pt_errorf(err, "node '%s': this reshape reorders data in "
                       "memory; only flatten-like reshapes are supported by "
                       "the scheduler", n->name);
      parent[n->out[0]] = n->in[0];
    } else if (n->op == PT_OP_SLICE && n->a.slice_step[1] == 1 &&
               n->a.slice_start[1] >= 0) {
      // A channel slice (other slices are refused by the schedulers):
      // its input's pixels, from channel start on.
      parent[n->out[0]] = n->in[0];
      off[n->out[0]] = (int)n->a.slice_start[1];
      in_concat[n->out[0]] = true;
    } else if (n->op == PT_OP_CONCAT && n->a.axis == 1) {
      int c0 = 0;
      for (int j = 0; j < n->nin; j++) {
        int t = n->in[j], only = -1;
        int64_t chw[3];
        pt_tensor_chw(&g->t[t], chw);
        if (g->t[t].producer >= 0 && !g->t[t].is_const &&
            consumers(g, t, &only) == 1 && !is_graph_output(g, t) &&
            parent[t] < 0 && g->n[g->t[t].producer].op != PT_OP_RESHAPE &&
            g->n[g->t[t].producer].op != PT_OP_SLICE) {
          parent[t] = n->out[0];
          off[t] = c0;
          in_concat[t] = true;
        }
        c0 += (int)chw[0];
      }
    }
  }
  // Roots get their own region, in tensor order; aliases resolve to them.
  int64_t top = 0;
  for (int t = 0; t < g->nt && !rc; t++) {
    if (!used[t] || parent[t] >= 0)
      continue;
    const pt_tensor *x = &g->t[t];
    int64_t chw[3];
    if (pt_tensor_chw(x, chw))
      chw[0] = per_sample(x), chw[1] = chw[2] = 1;
    p->gt[t].base = top;
    p->gt[t].pixel_stride = (int32_t)(x->is_const ? per_sample(x) : chw[0]);
    p->gt[t].channel_off = 0;
    top += round_up(per_sample(x) * eb, 8 * lcm8(eb)); // 64-byte lines
  }
  // Aliases: follow the chain to a root (a reshape's parent comes earlier,
  // a concat's later; chains are short).
  for (int t = 0; t < g->nt && !rc; t++) {
    if (!used[t] || parent[t] < 0)
      continue;
    int r = t, choff = 0, hops = 0;
    while (parent[r] >= 0 && hops++ < g->nt) {
      choff += off[r];
      r = parent[r];
    }
    const pt_tensor *x = &g->t[t];
    int64_t chw[3];
    if (pt_tensor_chw(x, chw))
      chw[0] = per_sample(x);
    p->gt[t].base = p->gt[r].base;
    // A concat input takes the concat's pixel stride; a reshape output its
    // own channel count (its root is contiguous).
    p->gt[t].pixel_stride = in_concat[t] ? p->gt[r].pixel_stride
                                         : (int32_t)chw[0];
    p->gt[t].channel_off = choff;
  }
  p->global_bytes = top;
  free(parent);
  free(off);
  free(used);
  free(in_concat);
  return rc;
}

int pt_schedule(const pt_map_ctx *c, const pt_mapping *m, pt_program **out,
                pt_error *err) {
  return m->mode == PT_MODE_HT ? pt_sched_ht(c, m, out, err)
                               : pt_sched_ll(c, m, out, err);
}
