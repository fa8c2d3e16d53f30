// Per-core instruction streams: construction, statistics and the local
// memory allocator the schedulers share.
#include "program.h"

#include <stdlib.h>
#include <string.h>

// ORDER IOP
const char *pt_iop_names[PT_I_COUNT] = {"mvm",   "vec",   "copy", "write",
                                        "load",  "store", "send", "recv"};
// ORDER VOP
const char *pt_vop_names[PT_V_COUNT] = {
    "add",  "sub",  "mul",        "div",         "max",       "scale",
    "relu", "clip", "leakyrelu",  "sigmoid",     "tanh",      "hardsigmoid",
    "hardswish", "softmax"};

pt_program *pt_prog_new(const pt_map_ctx *c, const pt_mapping *m) {
  pt_program *p = pt_calloc(1, sizeof *p);
  p->mode = m->mode;
  p->ncores = c->ncores;
  p->core = pt_calloc(c->ncores, sizeof *p->core);
  p->elem_bytes = (int)pt_ceil_div(c->a->act_bits, 8);
  p->local_capacity = c->a->local.size_bytes;
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
  for (int i = 0; i < p->ncores; i++)
    free(p->core[i].v);
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
  int64_t capacity, used, peak, top;
};

pt_lalloc *pt_lalloc_new(int64_t capacity) {
  pt_lalloc *a = pt_calloc(1, sizeof *a);
  a->capacity = capacity;
  a->cap = 16;
  a->h = pt_malloc(a->cap * sizeof *a->h);
  a->h[0] = (hole){0, INT64_MAX / 4}; // unbounded: overflow is reported
  a->n = 1;                           // through the peak, not refused
  return a;
}

void pt_lalloc_free(pt_lalloc *a) {
  if (a) {
    free(a->h);
    free(a);
  }
}

// Addresses are aligned to 8 bytes so that buffers of different widths
// never share a word.
static int64_t align8(int64_t b) { return (b + 7) & ~(int64_t)7; }

int64_t pt_lalloc_get(pt_lalloc *a, int64_t bytes) {
  bytes = align8(bytes > 0 ? bytes : 1);
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

void pt_lalloc_put(pt_lalloc *a, int64_t addr, int64_t bytes) {
  bytes = align8(bytes > 0 ? bytes : 1);
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

int64_t pt_lalloc_peak(const pt_lalloc *a) { return a->peak; }
int64_t pt_lalloc_used(const pt_lalloc *a) { return a->used; }
