// Backend: the input of the pimsim-nn simulator (an instruction file, the
// chip config in its simulator-style JSON and the NoC table it names), so
// that a hardware team can run a schedule in their simulator. The format
// is the one the simulator implements (../shared/pimsim-format.md, its
// exporter checklist); docs/export.md gives the translation of every
// pseudo-instruction.
//
// Registers. pimsim addresses memory through registers only, so every
// operand is put in a register with `sldi` first: r0 the destination, r1
// and r2 the sources (local addresses), the pair r4:r5 (high, low 32 bits)
// a global address. A register already holding the value is not loaded
// again.
#define _GNU_SOURCE
#include "pimsim.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { R_DST = 0, R_SRC1 = 1, R_SRC2 = 2, R_GHI = 4, R_GLO = 5, NREGS = 32 };

typedef struct {
  FILE *f;
  int64_t reg[NREGS];
  bool known[NREGS];
  bool first;
} core_out;

static void emit(core_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void emit(core_out *o, const char *fmt, ...) {
  fprintf(o->f, "%s\n  {", o->first ? "" : ",");
  o->first = false;
  va_list ap;
  va_start(ap, fmt);
  vfprintf(o->f, fmt, ap);
  va_end(ap);
  fputc('}', o->f);
}

static void set_reg(core_out *o, int r, int64_t v) {
  if (o->known[r] && o->reg[r] == v)
    return;
  emit(o, "\"op\":\"sldi\",\"rd\":%d,\"imm\":%lld", r, (long long)v);
  o->known[r] = true;
  o->reg[r] = v;
}

static void set_global(core_out *o, uint32_t addr) {
  set_reg(o, R_GHI, 0);  // global images are below 4 GB (uint32 addresses)
  set_reg(o, R_GLO, addr);
}

// pimsim's vector ops. Ours without a counterpart are sent to the op with
// the same operands and cost (one pass per vector_width elements); the
// simulator models time and energy, not values, and "pimtune_op" (ignored
// by the simulator) keeps the original.
static const char *vector_op(pt_vop v, bool *substituted) {
  *substituted = false;
  switch (v) {
  case PT_V_ADD:
    return "vvadd";
  case PT_V_SUB:
    return "vvsub";
  case PT_V_MUL:
    return "vvmul";
  case PT_V_MAX:
    return "vvmax";
  case PT_V_RELU:
    return "vrelu";
  case PT_V_SIGMOID:
    return "vsigm";
  case PT_V_TANH:
    return "vtanh";
  default:
    break;
  }
  *substituted = true;
  return pt_vop_binary(v) ? "vvmul" : "vrelu";
}

static void emit_inst(core_out *o, const pt_program *p, const pt_arch *a,
                      const int *local_ag, const pt_inst *i) {
  int eb = p->elem_bytes;
  int64_t bytes = (int64_t)i->len * eb;
  switch (i->op) {
  case PT_I_MVM:
    set_reg(o, R_DST, i->dst);
    set_reg(o, R_SRC1, i->src1);
    emit(o, "\"op\":\"mvmul\",\"rd\":%d,\"rs1\":%d,\"group\":%d,\"mbiw\":%d,"
         "\"relu\":0", R_DST, R_SRC1, local_ag[i->arg], a->weight_bits);
    break;
  case PT_I_VEC: {
    bool sub;
    const char *op = vector_op(i->vop, &sub);
    set_reg(o, R_DST, i->dst);
    set_reg(o, R_SRC1, i->src1);
    if (pt_vop_binary(i->vop))
      set_reg(o, R_SRC2, i->src2);
    emit(o, "\"op\":\"%s\",\"rd\":%d,\"rs1\":%d,\"rs2\":%d,\"len\":%d%s%s%s",
         op, R_DST, R_SRC1, R_SRC2, i->len, sub ? ",\"pimtune_op\":\"" : "",
         sub ? pt_vop_names[i->vop] : "", sub ? "\"" : "");
    break;
  }
  case PT_I_COPY:
    set_reg(o, R_DST, i->dst);
    set_reg(o, R_SRC1, i->src1);
    emit(o, "\"op\":\"lmv\",\"rd\":%d,\"rs1\":%d,\"len\":%lld,\"size\":%lld",
         R_DST, R_SRC1, (long long)bytes, (long long)bytes);
    break;
  case PT_I_WRITE:
    // lldi fills bytes; our fill value is a float (0 nearly always).
    set_reg(o, R_DST, i->dst);
    emit(o, "\"op\":\"lldi\",\"rd\":%d,\"imm\":0,\"len\":%lld%s", R_DST,
         (long long)bytes, i->imm != 0 ? ",\"pimtune_op\":\"write\"" : "");
    break;
  case PT_I_LOAD:
    set_reg(o, R_DST, i->dst);
    set_global(o, i->src1);
    emit(o, "\"op\":\"ld\",\"rd\":%d,\"rs1\":%d,\"size\":%lld", R_DST, R_GHI,
         (long long)bytes);
    break;
  case PT_I_STORE:
    set_reg(o, R_SRC1, i->src1);
    set_global(o, i->dst);
    emit(o, "\"op\":\"st\",\"rd\":%d,\"rs1\":%d,\"size\":%lld", R_GHI,
         R_SRC1, (long long)bytes);
    break;
  case PT_I_SEND:
    set_reg(o, R_SRC1, i->src1);
    emit(o, "\"op\":\"send\",\"rd\":%d,\"rs1\":%d,\"core\":%d,\"size\":%lld",
         R_SRC1, R_SRC1, i->arg, (long long)bytes);
    break;
  case PT_I_RECV:
    set_reg(o, R_DST, i->dst);
    emit(o, "\"op\":\"recv\",\"rd\":%d,\"core\":%d,\"size\":%lld", R_DST,
         i->arg, (long long)bytes);
    break;
  default:
    break;
  }
}

static int write_program(const pt_program *p, const pt_arch *a,
                         const char *path, int ncores, pt_error *err) {
  FILE *f = fopen(path, "w");
  if (!f)
    return pt_errorf(err, "%s: cannot write: %s", path, strerror(errno));
  // AG ids are global in our streams, per core in pimsim's: local index =
  // rank among the AGs of its core.
  int *local = pt_calloc(p->nags + 1, sizeof *local);
  int *count = pt_calloc(ncores + 1, sizeof *count);
  for (int g = 0; g < p->nags; g++)
    if (p->ag[g].core < ncores)
      local[g] = count[p->ag[g].core]++;
  fprintf(f, "{\"config\":{\"core_cnt\":%d,\"array_group_map\":{", ncores);
  bool first = true;
  for (int c = 0; c < ncores; c++) {
    if (!count[c])
      continue;
    fprintf(f, "%s\n \"core%d\":[", first ? "" : ",", c);
    first = false;
    int k = 0;
    for (int g = 0; g < p->nags; g++)
      if (p->ag[g].core == c)
        fprintf(f, "%s%d", k++ ? "," : "", p->ag[g].crossbars);
    fputc(']', f);
  }
  fprintf(f, "},\n \"pimtune\":\"%s\",\"mode\":\"%s\"}", PT_VERSION,
          pt_mode_name(p->mode));
  int bits = p->elem_bytes * 8;
  for (int c = 0; c < ncores; c++) {
    const pt_stream *s = &p->core[c];
    core_out o = {.f = f, .first = true};
    fprintf(f, ",\n\"core%d\":[", c);
    emit(&o, "\"op\":\"setbw\",\"ibiw\":%d,\"obiw\":%d", bits, bits);
    for (int64_t k = 0; k < s->n; k++)
      emit_inst(&o, p, a, local, &s->v[k]);
    // A core without work still needs a non-scalar last instruction
    // (the simulator counts a core finished when its last one retires).
    if (!s->n) {
      set_reg(&o, R_DST, 0);
      emit(&o, "\"op\":\"lldi\",\"rd\":%d,\"imm\":0,\"len\":%d", R_DST,
           p->elem_bytes);
    }
    fputs("]", f);
  }
  fputs("}\n", f);
  free(local);
  free(count);
  if (ferror(f) | fclose(f))
    return pt_errorf(err, "%s: write failed", path);
  return 0;
}

static void mem_json(FILE *f, const char *name, const pt_mem *m) {
  fprintf(f, "\"%s\":{\"data_width\":%d,\"period\":%.9g,"
          "\"read_latency_cycle\":%d,\"write_latency_cycle\":%d,"
          "\"read_dynamic_energy\":%.9g,\"write_dynamic_energy\":%.9g,"
          "\"static_power\":%.9g,\"memory_size\":%lld}",
          name, m->data_width_bytes, m->period_ns, m->read_latency_cycles,
          m->write_latency_cycles, m->read_energy_pj, m->write_energy_pj,
          m->static_power_mw, (long long)m->size_bytes);
}

static int write_arch(const pt_program *p, const pt_arch *a, const char *path,
                      int ncores, double sim_time_ms, pt_error *err) {
  FILE *f = fopen(path, "w");
  if (!f)
    return pt_errorf(err, "%s: cannot write: %s", path, strerror(errno));
  // One simulated chip: a board of several chips becomes one mesh.
  int ly = a->cores_y * a->chips_y, lx = a->cores_x * a->chips_x;
  fprintf(f, "{\"comment\":\"pimtune %s export of chip '%s' (%s mode)\",\n",
          PT_VERSION, a->name, pt_mode_name(p->mode));
  fprintf(f, "\"chip_config\":{\"core_cnt\":%d,\"global_memory_switch_id\":%d,"
          "\n ", ncores, a->global_memory_node_id);
  mem_json(f, "global_memory_config", &a->global);
  fprintf(f, ",\n \"network_config\":{\"bus_width\":%d,\"bus_topology\":\"%s\","
          "\"layout\":[%d,%d],\"net_config_file_path\":\"network.json\"},\n",
          a->link_width_bytes, a->topology == PT_NOC_BUS ? "bus" : "mesh", ly,
          lx);
  fprintf(f, " \"core_config\":{\"period\":%.9g,\"rob_size\":%d,"
          "\"vector_width\":%d,\"vector_latency_cycle\":%d,"
          "\"global_memory_switch_id\":%d,\"inst_fetch_static_power\":%.9g,"
          "\"vector_alu_static_power\":%.9g,\"vector_alu_dynamic_energy\":%.9g,"
          "\n  ", a->core_period_ns, a->exec == PT_EXEC_OOO ? a->rob_size : 1,
          a->vector_width, a->vector_latency_cycles, a->global_memory_node_id,
          a->core_static_power_mw, a->vector_static_power_mw,
          a->vector_energy_pj);
  mem_json(f, "local_memory_config", &a->local);
  fprintf(f, ",\n  \"matrix_config\":{\"period\":%.9g,\"pipeline_mode\":%s,"
          "\"xbar_size\":[%d,%d],\"xbar_array_count\":%d,"
          "\"cell_precision\":%d,\"xbar_latency\":%.9g,"
          "\"xbar_read_power\":%.9g,\"dac_resolution\":%d,\"dac_count\":%d,"
          "\"dac_latency_cycle\":%d,\"dac_dynamic_power\":%.9g,"
          "\"sample_hold_latency_cycle\":%d,"
          "\"sample_hold_dynamic_power\":%.9g,\"adc_resolution\":%d,"
          "\"adc_count\":%d,\"adc_latency_cycle\":%d,"
          "\"adc_dynamic_power\":%.9g,\"adc_static_power\":%.9g,"
          "\"shift_adder_latency_cycle\":%d,"
          "\"shift_adder_dynamic_power\":%.9g,"
          "\"input_buffer_latency_cycle\":%d,"
          "\"input_buffer_dynamic_power\":%.9g,"
          "\"output_buffer_latency_cycle\":%d,"
          "\"output_buffer_dynamic_power\":%.9g}}},\n",
          a->matrix_period_ns, a->matrix_pipeline ? "true" : "false",
          a->xbar_rows, a->xbar_cols, a->xbars_per_core, a->cell_bits,
          a->xbar_latency_ns, a->xbar_read_power_mw, a->dac_bits,
          a->dac_count, a->dac_latency_cycles, a->dac_power_mw,
          a->sample_hold_latency_cycles, a->sample_hold_power_mw, a->adc_bits,
          a->adc_count, a->adc_latency_cycles, a->adc_power_mw,
          a->adc_static_power_mw, a->shift_adder_latency_cycles,
          a->shift_adder_power_mw, a->input_buffer_latency_cycles,
          a->input_buffer_power_mw, a->output_buffer_latency_cycles,
          a->output_buffer_power_mw);
  fprintf(f, "\"sim_config\":{\"sim_mode\":%d,\"sim_time\":%.6g,"
          "\"report_verbose_level\":1}}\n",
          p->mode == PT_MODE_LL ? 1 : 0, sim_time_ms);
  if (ferror(f) | fclose(f))
    return pt_errorf(err, "%s: write failed", path);
  return 0;
}

// The NoC table: ns and pJ per flit between every pair of nodes (cores
// 0 .. n-1 and the global memory), from our XY-routed model: a one-flit
// message over the route (missing pairs would be free in the simulator).
static int write_noc(const pt_arch *a, const char *path, int ncores,
                     pt_error *err) {
  FILE *f = fopen(path, "w");
  if (!f)
    return pt_errorf(err, "%s: cannot write: %s", path, strerror(errno));
  int gm = a->global_memory_node_id;
  for (int pass = 0; pass < 2; pass++) {
    fprintf(f, "%s\"%s\":{", pass ? ",\n" : "{", pass ? "energy" : "latency");
    for (int s = -1; s < ncores; s++) {
      fprintf(f, "%s\n \"%d\":{", s > -1 ? "," : "", s < 0 ? gm : s);
      for (int d = -1; d < ncores; d++) {
        // Our global memory of chip 0 is node -1.
        int hops_chip;
        int hops = pt_opcost_hops(a, s, d, &hops_chip);
        double v = s == d ? 0
                   : pass ? pt_opcost_msg_pj(a, hops, 1)
                          : pt_opcost_msg_ns(a, hops, hops_chip, 1);
        fprintf(f, "%s\"%d\":%.6g", d > -1 ? "," : "", d < 0 ? gm : d, v);
      }
      fputc('}', f);
    }
    fputc('}', f);
  }
  fputs("}\n", f);
  if (ferror(f) | fclose(f))
    return pt_errorf(err, "%s: write failed", path);
  return 0;
}

int pt_lower_pimsim(const pt_program *p, const pt_arch *a, const char *dir,
                    double sim_time_ms, pt_error *err) {
  if (mkdir(dir, 0777) && errno != EEXIST)
    return pt_errorf(err, "%s: cannot create directory: %s", dir,
                     strerror(errno));
  // Cores up to the last one with work (the simulator numbers cores
  // 0 .. core_cnt - 1; idle ones in between get a placeholder).
  int ncores = 1;
  for (int c = 0; c < p->ncores; c++)
    if (p->core[c].n)
      ncores = c + 1;
  for (int g = 0; g < p->nags; g++)
    if (p->ag[g].core >= ncores)
      ncores = p->ag[g].core + 1;
  if (sim_time_ms <= 0)
    sim_time_ms = 10;
  const char *names[3] = {"instructions.json", "arch.json", "network.json"};
  char path[3][4200], tmp[3][4300];
  for (int i = 0; i < 3; i++) {
    snprintf(path[i], sizeof path[i], "%s/%s", dir, names[i]);
    snprintf(tmp[i], sizeof tmp[i], "%s/%s.tmp", dir, names[i]);
  }
  int rc = write_program(p, a, tmp[0], ncores, err) ||
           write_arch(p, a, tmp[1], ncores, sim_time_ms, err) ||
           write_noc(a, tmp[2], ncores, err);
  for (int i = 0; i < 3 && !rc; i++)
    if (rename(tmp[i], path[i]))
      rc = pt_errorf(err, "%s: cannot rename: %s", path[i], strerror(errno));
  for (int i = 0; i < 3; i++)
    remove(tmp[i]);
  return rc ? -1 : 0;
}
