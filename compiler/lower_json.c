// Backend: the instruction streams as one JSON document, DIR/program.json
// (documented in docs/isa.md). Written as a stream, not through a DOM, so
// that millions of instructions need no extra memory.
#include "program.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static void json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\')
      fprintf(f, "\\%c", ch);
    else if (ch < 0x20)
      fprintf(f, "\\u%04x", ch);
    else
      fputc(ch, f);
  }
  fputc('"', f);
}

// A float member; JSON has no NaN or infinity, so those are strings.
static void json_number(FILE *f, const char *key, float v) {
  if (isfinite(v))
    fprintf(f, ",\"%s\":%.9g", key, v);
  else
    fprintf(f, ",\"%s\":\"%s\"", key, isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
}

static void print_inst(FILE *f, const pt_program *p, const pt_graph *g,
                       const pt_inst *i) {
  int eb = p->elem_bytes;
  fprintf(f, "{\"op\":\"%s\"", pt_iop_names[i->op]);
  switch (i->op) {
  case PT_I_MVM:
    fprintf(f, ",\"ag\":%d,\"dst\":%u,\"src\":%u,\"len\":%d,\"bytes\":%d,"
            "\"out_len\":%d,\"out_bytes\":%d", i->arg, i->dst, i->src1,
            i->len, i->len * eb, i->len2, i->len2 * eb);
    break;
  case PT_I_VEC:
    fprintf(f, ",\"vop\":\"%s\",\"dst\":%u,\"src1\":%u", pt_vop_names[i->vop],
            i->dst, i->src1);
    if (pt_vop_binary(i->vop))
      fprintf(f, ",\"src2\":%u", i->src2);
    fprintf(f, ",\"len\":%d,\"bytes\":%d", i->len, i->len * eb);
    if (i->vop == PT_V_WINSUM)
      fprintf(f, ",\"window\":%d", i->len2);
    if (pt_vop_nimm(i->vop) >= 1)
      json_number(f, "imm", i->imm);
    if (pt_vop_nimm(i->vop) >= 2)
      json_number(f, "imm2", i->imm2);
    if (i->flags & PT_IF_BCAST)
      fprintf(f, ",\"broadcast\":true");
    break;
  case PT_I_WRITE:
    fprintf(f, ",\"dst\":%u,\"len\":%d,\"bytes\":%d", i->dst, i->len,
            i->len * eb);
    json_number(f, "imm", i->imm);
    break;
  case PT_I_SEND:
    fprintf(f, ",\"core\":%d,\"src\":%u,\"len\":%d,\"bytes\":%d", i->arg,
            i->src1, i->len, i->len * eb);
    break;
  case PT_I_RECV:
    fprintf(f, ",\"core\":%d,\"dst\":%u,\"len\":%d,\"bytes\":%d", i->arg,
            i->dst, i->len, i->len * eb);
    break;
  default: // copy, load, store
    fprintf(f, ",\"dst\":%u,\"src\":%u,\"len\":%d,\"bytes\":%d", i->dst,
            i->src1, i->len, i->len * eb);
    break;
  }
  if (i->flags & PT_IF_FINAL)
    fprintf(f, ",\"final\":%d", i->arg);
  if (i->node >= 0) {
    fprintf(f, ",\"node\":");
    json_string(f, g->n[i->node].name);
  }
  fputc('}', f);
}

int pt_lower_json(const pt_program *p, const pt_graph *g, const char *dir,
                  pt_error *err) {
  if (mkdir(dir, 0777) && errno != EEXIST)
    return pt_errorf(err, "%s: cannot create directory: %s", dir,
                     strerror(errno));
  char path[4096], tmp[4200];
  snprintf(path, sizeof path, "%s/program.json", dir);
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  if (!f)
    return pt_errorf(err, "%s: cannot write: %s", tmp, strerror(errno));
  fprintf(f, "{\"pimtune\":\"%s\",\"mode\":\"%s\",\"elem_bytes\":%d,"
          "\"global_bytes\":%lld,\"ags\":[", PT_VERSION, pt_mode_name(p->mode),
          p->elem_bytes, (long long)p->global_bytes);
  for (int a = 0; a < p->nags; a++) {
    const pt_ag_info *x = &p->ag[a];
    fprintf(f, "%s\n{\"id\":%d,\"layer\":", a ? "," : "", a);
    json_string(f, g->n[x->node].name);
    fprintf(f, ",\"replica\":%d,\"matrix\":%d,\"row0\":%d,\"rows\":%d,"
            "\"col0\":%d,\"cols\":%d,\"core\":%d,\"crossbars\":%d}",
            x->replica, x->matrix, x->row0, x->rows, x->col0, x->cols,
            x->core, x->crossbars);
  }
  fprintf(f, "],\n\"cores\":[");
  for (int c = 0; c < p->ncores; c++) {
    const pt_stream *s = &p->core[c];
    fprintf(f, "%s\n{\"core\":%d,\"peak_local_bytes\":%lld,"
            "\"instructions\":[", c ? "," : "", c,
            (long long)s->peak_local_bytes);
    for (int64_t k = 0; k < s->n; k++) {
      if (k)
        fputc(',', f);
      fputc('\n', f);
      print_inst(f, p, g, &s->v[k]);
    }
    fprintf(f, "]}");
  }
  fprintf(f, "]}\n");
  if (ferror(f) | fclose(f)) {
    remove(tmp);
    return pt_errorf(err, "%s: write failed", tmp);
  }
  if (rename(tmp, path)) {
    remove(tmp);
    return pt_errorf(err, "%s: cannot rename: %s", path, strerror(errno));
  }
  return 0;
}
