// The hardware template: a chip description read from JSON (pimtune's own
// format or the seed's simulator-style config), validated, with derived
// quantities. Every field is documented, with units and default, in
// docs/config.md. Units are in the names: _ns, _mw, _pj, _bytes.
#ifndef PT_ARCH_H
#define PT_ARCH_H

#include "../compiler/util.h"

typedef enum { PT_EXEC_INORDER, PT_EXEC_OOO } pt_exec;
typedef enum { PT_COMM_SYNC, PT_COMM_ASYNC } pt_comm;
typedef enum { PT_NOC_MESH, PT_NOC_BUS } pt_noc;

// One memory (a core's local scratchpad or the chip's global memory).
typedef struct {
  int64_t size_bytes;
  int data_width_bytes;       // bytes per access
  double period_ns;           // clock of the memory
  int read_latency_cycles;    // per access
  int write_latency_cycles;
  double read_energy_pj;      // per access
  double write_energy_pj;
  double static_power_mw;
} pt_mem;

typedef struct {
  char name[64];              // "name" field, else the file's base name
  char path[512];             // file it was read from
  char description[512];

  // Chip and cores.
  int chips_x, chips_y;       // chips joined on a board (1 x 1 usually)
  int cores_x, cores_y;       // cores per chip, as a mesh
  int cores;                  // cores per chip in use (<= cores_x*cores_y)
  double core_period_ns;      // core clock period
  pt_exec exec;               // instruction execution model
  int rob_size;               // in-flight instructions (out-of-order only)

  // PIM function unit.
  int xbars_per_core;         // physical crossbar arrays per core
  int xbar_rows, xbar_cols;   // cells per array
  int cell_bits;              // bits stored per cell
  int weight_bits;            // fixed-point weight precision
  int act_bits;               // fixed-point activation precision
  bool signed_pairs;          // weights stored as +/- array pairs
  int dac_bits, dac_count;    // per array
  int adc_bits, adc_count;    // per array
  double matrix_period_ns;    // clock of the PIMFU
  bool matrix_pipeline;       // front/back end of an mvm pipelined
  double xbar_latency_ns;     // one analogue read of an array
  int dac_latency_cycles, sample_hold_latency_cycles, adc_latency_cycles;
  int shift_adder_latency_cycles, input_buffer_latency_cycles;
  int output_buffer_latency_cycles;
  double xbar_read_power_mw, dac_power_mw, sample_hold_power_mw;
  double adc_power_mw, adc_static_power_mw, shift_adder_power_mw;
  double input_buffer_power_mw, output_buffer_power_mw;

  // Vector function unit.
  int vector_width;           // elements per pass
  int vector_latency_cycles;  // core cycles per pass
  double vector_energy_pj;    // per pass
  double vector_static_power_mw;
  double core_static_power_mw;  // fetch/decode/registers/control

  pt_mem local;
  pt_mem global;

  // Network on chip.
  pt_noc topology;
  int link_width_bytes;       // bytes per flit
  double router_latency_ns;   // per hop
  double link_latency_ns;     // per hop
  double flit_energy_pj;      // per flit per hop
  double offchip_latency_ns;  // extra per chip-to-chip hop
  int global_memory_node_id;  // NoC id of the global memory (< 0; pimsim: -10)
  pt_comm comm;
} pt_arch;

// Load and validate. Accepts pimtune's format and the seed's
// {"chip_config": ...} format; the kind is detected from the content.
int pt_arch_load(const char *path, pt_arch *a, pt_error *err);
// Parse from a string (path is used in messages only).
int pt_arch_parse(const char *json, const char *path, pt_arch *a,
                  pt_error *err);
// Fill with the documented defaults (an ISAAC-like core).
void pt_arch_defaults(pt_arch *a);
// Check every field against its allowed range; the message names the field,
// the value and the range.
int pt_arch_validate(const pt_arch *a, pt_error *err);

// Derived quantities.
int pt_arch_total_cores(const pt_arch *a);       // chips * cores
int pt_arch_slices(const pt_arch *a);            // physical arrays per logical crossbar
int pt_arch_logical_per_core(const pt_arch *a);  // logical crossbars per core
int64_t pt_arch_logical_total(const pt_arch *a);
// Bytes of weights the physical arrays of all chips hold (cells x cell_bits / 8).
int64_t pt_arch_capacity_bytes(const pt_arch *a);

// Set one field by its key in pimtune's format ("crossbar.rows") from text
// ("256", "out-of-order", "true"); for overrides and sweeps. Checks the
// type and range of that field only: call pt_arch_validate afterwards.
int pt_arch_set(pt_arch *a, const char *key, const char *value,
                pt_error *err);
// The resolved config in pimtune's format with every field written out
// (for the results file). The caller free()s it.
char *pt_arch_to_json(const pt_arch *a);
// The i-th key of pimtune's format ("chip.chips_x", ...), NULL past the end.
const char *pt_arch_key(int i);

#endif
