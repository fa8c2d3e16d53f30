// Per-instruction costs from the chip config: the time and energy of one
// mvm, vec, memory access and network message. The crossbar, vector and
// memory formulas are pimsim-nn's (Wang et al., DATE 2024; as described in
// the project's notes on its formats), with the real operand sizes of each
// instruction instead of the config's array size; the network is our own
// (pimsim-nn takes a latency table). docs/cost-model.md states each one.
#include "profile.h"

#include <math.h>
#include <stdlib.h>

static int imin(int a, int b) { return a < b ? a : b; }

// ---- crossbar ----

// Front end of one pass (input buffer, DAC, analogue read, sample-and-hold)
// and back end (ADC rounds over the columns, shift-add, output buffer), in
// crossbar cycles; pimsim-nn's MatrixUnit.
static void mvm_stages(const pt_arch *a, int cols, double *front,
                       double *back) {
  double per = a->matrix_period_ns;
  *front = a->input_buffer_latency_cycles + a->dac_latency_cycles +
           ceil(a->xbar_latency_ns / per) + a->sample_hold_latency_cycles;
  double tail = a->shift_adder_latency_cycles + a->output_buffer_latency_cycles;
  double rounds = (double)pt_ceil_div(cols, a->adc_count);
  *back = a->adc_latency_cycles + tail +
          (rounds - 1) * fmax(a->adc_latency_cycles, tail);
}

// Bit-serial passes: activation bits over DAC bits, times row groups over
// the DACs.
static int64_t mvm_passes(const pt_arch *a, int rows) {
  return pt_ceil_div(a->act_bits, a->dac_bits) *
         pt_ceil_div(rows > 0 ? rows : 1, a->dac_count);
}

double pt_opcost_mvm_cycles(const pt_arch *a, int rows, int cols) {
  // All crossbars of the AG work in parallel; the fullest one sets the time.
  int c = imin(cols > 0 ? cols : 1, a->xbar_cols);
  double front, back;
  mvm_stages(a, c, &front, &back);
  double passes = (double)mvm_passes(a, rows);
  if (a->matrix_pipeline)
    return front + back + (passes - 1) * fmax(front, back);
  return passes * (front + back);
}

double pt_opcost_mvm_ns(const pt_arch *a, int rows, int cols) {
  return pt_opcost_mvm_cycles(a, rows, cols) * a->matrix_period_ns;
}

// One physical array with `cols` columns in use: energy of one mvm.
static void array_pj(const pt_arch *a, int rows, int cols, double *xbar,
                     double *conv) {
  double per = a->matrix_period_ns;
  double bit_passes = (double)pt_ceil_div(a->act_bits, a->dac_bits);
  double passes = (double)mvm_passes(a, rows);
  double rounds = (double)pt_ceil_div(cols, a->adc_count);
  // Each row's DAC fires once per bit pass; each column is sampled once a
  // pass; all ADCs of the array fire in each of the rounds.
  double dac = bit_passes * rows * a->dac_power_mw * a->dac_latency_cycles *
               per;
  double sh = passes * cols * a->sample_hold_power_mw *
              a->sample_hold_latency_cycles * per;
  double adc = passes * rounds * a->adc_count * a->adc_power_mw *
               a->adc_latency_cycles * per;
  double read = passes * a->xbar_read_power_mw * a->xbar_latency_ns;
  double ib = passes * a->input_buffer_power_mw *
              a->input_buffer_latency_cycles * per;
  double digital = passes * rounds *
                   (a->shift_adder_power_mw * a->shift_adder_latency_cycles +
                    a->output_buffer_power_mw *
                        a->output_buffer_latency_cycles) * per;
  *xbar = read + ib + digital;
  *conv = dac + sh + adc;
}

void pt_opcost_mvm_pj(const pt_arch *a, int rows, int cols, double *xbar_pj,
                      double *adc_dac_pj) {
  if (rows < 1)
    rows = 1;
  if (cols < 1)
    cols = 1;
  int full = cols / a->xbar_cols, rest = cols % a->xbar_cols;
  double x = 0, c = 0, xi, ci;
  if (full) {
    array_pj(a, rows, a->xbar_cols, &xi, &ci);
    x += full * xi, c += full * ci;
  }
  if (rest) {
    array_pj(a, rows, rest, &xi, &ci);
    x += xi, c += ci;
  }
  int slices = pt_arch_slices(a);
  *xbar_pj = x * slices;
  *adc_dac_pj = c * slices;
}

// ---- vector unit ----

int64_t pt_opcost_vec_passes(const pt_arch *a, pt_vop op, int len, int len2) {
  int64_t p = pt_ceil_div(len > 0 ? len : 1, a->vector_width);
  if (op == PT_V_WINSUM) // one add per element of the window
    p *= len2 > 1 ? len2 : 1;
  else if (op == PT_V_SOFTMAX) // max, exp and sum, divide
    p *= 3;
  return p;
}

double pt_opcost_vec_ns(const pt_arch *a, pt_vop op, int len, int len2) {
  return (double)pt_opcost_vec_passes(a, op, len, len2) *
         a->vector_latency_cycles * a->core_period_ns;
}

double pt_opcost_vec_pj(const pt_arch *a, pt_vop op, int len, int len2) {
  return (double)pt_opcost_vec_passes(a, op, len, len2) * a->vector_energy_pj;
}

// ---- memories ----

double pt_opcost_mem_ns(const pt_mem *m, int64_t bytes, bool write) {
  if (bytes <= 0)
    return 0;
  return (double)pt_ceil_div(bytes, m->data_width_bytes) *
         (write ? m->write_latency_cycles : m->read_latency_cycles) *
         m->period_ns;
}

double pt_opcost_mem_pj(const pt_mem *m, int64_t bytes, bool write) {
  if (bytes <= 0)
    return 0;
  return (double)pt_ceil_div(bytes, m->data_width_bytes) *
         (write ? m->write_energy_pj : m->read_energy_pj);
}

// ---- network ----

pt_noc_pos pt_opcost_pos(const pt_arch *a, int node) {
  pt_noc_pos p;
  if (node < 0) {
    p.chip = -1 - node;
    p.x = (a->cores_x - 1) / 2;
    p.y = (a->cores_y - 1) / 2;
  } else {
    p.chip = node / a->cores;
    int local = node % a->cores;
    p.x = local % a->cores_x;
    p.y = local / a->cores_x;
  }
  return p;
}

int pt_opcost_hops(const pt_arch *a, int from, int to, int *chip_hops) {
  pt_noc_pos s = pt_opcost_pos(a, from), d = pt_opcost_pos(a, to);
  int ch = 0, h;
  if (s.chip != d.chip) {
    int sx = s.chip % a->chips_x, sy = s.chip / a->chips_x;
    int dx = d.chip % a->chips_x, dy = d.chip / a->chips_x;
    ch = abs(sx - dx) + abs(sy - dy);
  }
  if (a->topology == PT_NOC_BUS)
    h = (s.chip != d.chip ? 2 : 1) + ch;   // onto the bus (and off it)
  else if (s.chip == d.chip)
    h = abs(s.x - d.x) + abs(s.y - d.y);
  else // to the gateway router (0, 0), across the chips, then in
    h = s.x + s.y + ch + d.x + d.y;
  if (chip_hops)
    *chip_hops = ch;
  return h;
}

int64_t pt_opcost_flits(const pt_arch *a, int64_t bytes) {
  return bytes > 0 ? pt_ceil_div(bytes, a->link_width_bytes) : 1;
}

double pt_opcost_msg_ns(const pt_arch *a, int hops, int chip_hops,
                        int64_t flits) {
  return hops * (a->router_latency_ns + a->link_latency_ns) +
         chip_hops * a->offchip_latency_ns +
         (double)flits * a->link_latency_ns;
}

double pt_opcost_msg_pj(const pt_arch *a, int hops, int64_t flits) {
  return (double)flits * (hops + 1) * a->flit_energy_pj;
}

double pt_opcost_core_static_mw(const pt_arch *a) {
  return a->core_static_power_mw + a->vector_static_power_mw +
         a->local.static_power_mw +
         (double)a->xbars_per_core * a->adc_count * a->adc_static_power_mw;
}
