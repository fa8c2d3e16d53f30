// Backend: readable assembly text, one file per core (DIR/core<N>.asm),
// one instruction per line. The format is documented in docs/isa.md.
#include "program.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

// Print one instruction (no newline).
static void print_inst(FILE *f, const pt_program *p, const pt_graph *g,
                       const pt_inst *i) {
  int eb = p->elem_bytes;
  switch (i->op) {
  case PT_I_MVM:
    fprintf(f, "mvm   ag=%d dst=%u src=%u len=%d/%dB out=%d/%dB", i->arg,
            i->dst, i->src1, i->len, i->len * eb, i->len2, i->len2 * eb);
    break;
  case PT_I_VEC:
    fprintf(f, "vec   %s dst=%u src1=%u", pt_vop_names[i->vop], i->dst,
            i->src1);
    if (pt_vop_binary(i->vop))
      fprintf(f, " src2=%u%s", i->src2, i->flags & PT_IF_BCAST ? "(bcast)" : "");
    fprintf(f, " len=%d/%dB", i->len, i->len * eb);
    if (i->vop == PT_V_WINSUM)
      fprintf(f, " window=%d", i->len2);
    if (pt_vop_nimm(i->vop) >= 1)
      fprintf(f, " imm=%.9g", i->imm);
    if (pt_vop_nimm(i->vop) >= 2)
      fprintf(f, " imm2=%.9g", i->imm2);
    break;
  case PT_I_COPY:
    fprintf(f, "copy  dst=%u src=%u len=%d/%dB", i->dst, i->src1, i->len,
            i->len * eb);
    break;
  case PT_I_WRITE:
    fprintf(f, "write dst=%u len=%d/%dB imm=%.9g", i->dst, i->len,
            i->len * eb, i->imm);
    break;
  case PT_I_LOAD:
    fprintf(f, "load  dst=%u src=g%u len=%d/%dB", i->dst, i->src1, i->len,
            i->len * eb);
    break;
  case PT_I_STORE:
    fprintf(f, "store dst=g%u src=%u len=%d/%dB", i->dst, i->src1, i->len,
            i->len * eb);
    break;
  case PT_I_SEND:
    fprintf(f, "send  core=%d src=%u len=%d/%dB", i->arg, i->src1, i->len,
            i->len * eb);
    break;
  case PT_I_RECV:
    fprintf(f, "recv  core=%d dst=%u len=%d/%dB", i->arg, i->dst, i->len,
            i->len * eb);
    break;
  default:
    break;
  }
  if (i->flags & PT_IF_FINAL)
    fprintf(f, " final=%d", i->arg);
  if (i->node >= 0)
    fprintf(f, "  ; %s", g->n[i->node].name);
}

int pt_lower_asm(const pt_program *p, const pt_graph *g, const char *dir,
                 pt_error *err) {
  if (mkdir(dir, 0777) && errno != EEXIST)
    return pt_errorf(err, "%s: cannot create directory: %s", dir,
                     strerror(errno));
  char path[4096], tmp[4200];
  int rc = 0;
  for (int c = 0; c < p->ncores && !rc; c++) {
    const pt_stream *s = &p->core[c];
    snprintf(path, sizeof path, "%s/core%d.asm", dir, c);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
      return pt_errorf(err, "%s: cannot write: %s", tmp, strerror(errno));
    fprintf(f, "; pimtune %s, core %d: %lld instructions, %s mode, peak "
            "local memory %lld bytes\n", PT_VERSION, c, (long long)s->n,
            pt_mode_name(p->mode), (long long)s->peak_local_bytes);
    for (int a = 0; a < p->nags; a++)
      if (p->ag[a].core == c)
        fprintf(f, "; ag %d: %s copy %d matrix %d rows %d+%d cols %d+%d, "
                "%d crossbars\n", a, g->n[p->ag[a].node].name,
                p->ag[a].replica, p->ag[a].matrix, p->ag[a].row0,
                p->ag[a].rows, p->ag[a].col0, p->ag[a].cols,
                p->ag[a].crossbars);
    for (int64_t k = 0; k < s->n; k++) {
      print_inst(f, p, g, &s->v[k]);
      fputc('\n', f);
    }
    if (ferror(f) | fclose(f)) {
      remove(tmp);
      return pt_errorf(err, "%s: write failed", tmp);
    }
    if (rename(tmp, path)) {
      rc = pt_errorf(err, "%s: cannot rename: %s", path, strerror(errno));
      remove(tmp);
    }
  }
  return rc;
}
