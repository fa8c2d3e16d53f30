// Chip configs: read a JSON description into a pt_arch, check it, derive
// counts.
//
// Two formats are accepted and told apart by their content:
//
//  * pimtune's own: {"name", "description", "chip": {...}, "crossbar": {...},
//    "vector": {...}, "local_memory": {...}, "global_memory": {...},
//    "noc": {...}}. Every field is declared once, in fields[] below, with its
//    key, type, place in pt_arch, default and allowed range. Loading,
//    defaults, validation, overrides (pt_arch_set) and writing back
//    (pt_arch_to_json) all walk that one table. Unknown keys are errors, so
//    that a typo never silently falls back to a default.
//
//  * the seed's simulator-style config ({"chip_config": {...}, "sim_config":
//    ...}, read by PIMCOMP and pimsim-nn). seed_fields[] maps each of its
//    fields onto a key of the table above. Missing fields take the
//    simulator's default (so we model what the simulator would simulate);
//    fields the seed format has no notion of keep ours. Unknown fields are
//    ignored, as the simulator ignores them.
//
// docs/config.md documents every key; tests/unit/test_arch.c checks that it
// names them all.
#include "arch.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Enum fields are stored through an int pointer.
_Static_assert(sizeof(pt_exec) == sizeof(int), "pt_exec is not int-sized");
_Static_assert(sizeof(pt_comm) == sizeof(int), "pt_comm is not int-sized");
_Static_assert(sizeof(pt_noc) == sizeof(int), "pt_noc is not int-sized");

typedef enum { T_INT, T_I64, T_DBL, T_BOOL, T_ENUM } ftype;

typedef struct {
  const char *key;            // "group.member" in pimtune's format
  ftype type;
  size_t off;                 // offset in pt_arch
  double def;                 // default (an ISAAC-like core)
  double lo, hi;              // allowed range, inclusive ...
  bool lo_open;               // ... except lo itself when set (> lo)
  const char *const *names;   // T_ENUM: the accepted strings, in enum order
} field;

static const char *const exec_names[] = {"in-order", "out-of-order", NULL};
static const char *const comm_names[] = {"sync", "async", NULL};
static const char *const noc_names[] = {"mesh", "bus", NULL};

#define OFF(m) offsetof(pt_arch, m)
#define INT(k, m, d, lo, hi) {k, T_INT, OFF(m), d, lo, hi, false, NULL}
#define I64(k, m, d, lo, hi) {k, T_I64, OFF(m), d, lo, hi, false, NULL}
#define DBL(k, m, d, lo, hi) {k, T_DBL, OFF(m), d, lo, hi, false, NULL}
#define POS(k, m, d, hi) {k, T_DBL, OFF(m), d, 0, hi, true, NULL}
#define BOOL(k, m, d) {k, T_BOOL, OFF(m), d, 0, 1, false, NULL}
#define ENUM(k, m, d, n) {k, T_ENUM, OFF(m), d, 0, 0, false, n}

#define MAXPOW 1e9   // mW or pJ: a bound that only catches nonsense
#define MAXNS 1e9    // ns
#define MAXCYC 1e6   // cycles
// A memory: group, member, then defaults of size, latencies, energies and
// static power.
#define MEM(g, m, size, rd, wr, erd, ewr, st)                                 \
  I64(g ".size_bytes", m.size_bytes, size, 1, 1099511627776.0),               \
  INT(g ".data_width_bytes", m.data_width_bytes, 32, 1, 65536),               \
  POS(g ".period_ns", m.period_ns, 1.0, 1e6),                                 \
  INT(g ".read_latency_cycles", m.read_latency_cycles, rd, 1, MAXCYC),        \
  INT(g ".write_latency_cycles", m.write_latency_cycles, wr, 1, MAXCYC),      \
  DBL(g ".read_energy_pj", m.read_energy_pj, erd, 0, MAXPOW),                 \
  DBL(g ".write_energy_pj", m.write_energy_pj, ewr, 0, MAXPOW),               \
  DBL(g ".static_power_mw", m.static_power_mw, st, 0, MAXPOW)

// ORDER FIELDS: docs/config.md lists these keys in this order. The defaults
// describe one ISAAC tile as a core (Shafiee et al., ISCA 2016, Table I);
// docs/config.md gives the sources and says which are estimates.
static const field fields[] = {
  INT("chip.chips_x", chips_x, 1, 1, 64),
  INT("chip.chips_y", chips_y, 1, 1, 64),
  INT("chip.cores_x", cores_x, 12, 1, 256),
  INT("chip.cores_y", cores_y, 14, 1, 256),
  INT("chip.cores", cores, 168, 1, 65536),
  POS("chip.core_period_ns", core_period_ns, 1.0, 1e6),
  ENUM("chip.execution", exec, PT_EXEC_INORDER, exec_names),
  INT("chip.rob_size", rob_size, 1, 1, 65536),
  ENUM("chip.communication", comm, PT_COMM_SYNC, comm_names),
  DBL("chip.core_static_power_mw", core_static_power_mw, 9.65, 0, MAXPOW),

  INT("crossbar.arrays_per_core", xbars_per_core, 96, 1, 65536),
  INT("crossbar.rows", xbar_rows, 128, 1, 65536),
  INT("crossbar.cols", xbar_cols, 128, 1, 65536),
  INT("crossbar.cell_bits", cell_bits, 2, 1, 16),
  INT("crossbar.weight_bits", weight_bits, 16, 1, 32),
  INT("crossbar.activation_bits", act_bits, 16, 1, 32),
  BOOL("crossbar.signed_pairs", signed_pairs, false),
  INT("crossbar.dac_bits", dac_bits, 1, 1, 16),
  INT("crossbar.dac_count", dac_count, 128, 1, 65536),
  INT("crossbar.adc_bits", adc_bits, 8, 1, 16),
  INT("crossbar.adc_count", adc_count, 1, 1, 65536),
  POS("crossbar.period_ns", matrix_period_ns, 0.78125, 1e6),
  BOOL("crossbar.pipeline", matrix_pipeline, true),
  POS("crossbar.read_latency_ns", xbar_latency_ns, 100, MAXNS),
  INT("crossbar.dac_latency_cycles", dac_latency_cycles, 1, 0, MAXCYC),
  INT("crossbar.sample_hold_latency_cycles", sample_hold_latency_cycles, 1, 0,
      MAXCYC),
  INT("crossbar.adc_latency_cycles", adc_latency_cycles, 1, 1, MAXCYC),
  INT("crossbar.shift_adder_latency_cycles", shift_adder_latency_cycles, 1, 0,
      MAXCYC),
  INT("crossbar.input_buffer_latency_cycles", input_buffer_latency_cycles, 1,
      0, MAXCYC),
  INT("crossbar.output_buffer_latency_cycles", output_buffer_latency_cycles,
      1, 0, MAXCYC),
  DBL("crossbar.read_power_mw", xbar_read_power_mw, 0.3, 0, MAXPOW),
  DBL("crossbar.dac_power_mw", dac_power_mw, 0.0039, 0, MAXPOW),
  DBL("crossbar.sample_hold_power_mw", sample_hold_power_mw, 0.00001, 0,
      MAXPOW),
  DBL("crossbar.adc_power_mw", adc_power_mw, 2.0, 0, MAXPOW),
  DBL("crossbar.adc_static_power_mw", adc_static_power_mw, 0, 0, MAXPOW),
  DBL("crossbar.shift_adder_power_mw", shift_adder_power_mw, 0.025, 0, MAXPOW),
  DBL("crossbar.input_buffer_power_mw", input_buffer_power_mw, 0.155, 0,
      MAXPOW),
  DBL("crossbar.output_buffer_power_mw", output_buffer_power_mw, 0.029, 0,
      MAXPOW),

  INT("vector.width", vector_width, 32, 1, 65536),
  INT("vector.latency_cycles", vector_latency_cycles, 4, 1, MAXCYC),
  DBL("vector.energy_pj", vector_energy_pj, 3.2, 0, MAXPOW),
  DBL("vector.static_power_mw", vector_static_power_mw, 0.5, 0, MAXPOW),

  MEM("local_memory", local, 65536, 2, 2, 20, 20, 20.7),
  MEM("global_memory", global, 16777216, 40, 50, 200, 200, 50),

  ENUM("noc.topology", topology, PT_NOC_MESH, noc_names),
  INT("noc.link_width_bytes", link_width_bytes, 32, 1, 65536),
  DBL("noc.router_latency_ns", router_latency_ns, 1.0, 0, MAXNS),
  POS("noc.link_latency_ns", link_latency_ns, 1.0, MAXNS),
  DBL("noc.flit_energy_pj", flit_energy_pj, 5.0, 0, MAXPOW),
  DBL("noc.offchip_latency_ns", offchip_latency_ns, 50.0, 0, MAXNS),
  INT("noc.global_memory_node_id", global_memory_node_id, -10, -1000000, -1),
};
enum { NFIELDS = sizeof fields / sizeof fields[0] };

static const field *find_field(const char *key) {
  for (int i = 0; i < NFIELDS; i++)
    if (!strcmp(fields[i].key, key))
      return &fields[i];
  return NULL;
}

const char *pt_arch_key(int i) {
  return i >= 0 && i < NFIELDS ? fields[i].key : NULL;
}

// ---- reading and writing one field ----

static double get(const pt_arch *a, const field *f) {
  const char *p = (const char *)a + f->off;
  switch (f->type) {
  case T_INT:
  case T_ENUM:
    return *(const int *)p;
  case T_I64:
    return (double)*(const int64_t *)p;
  case T_DBL:
    return *(const double *)p;
  case T_BOOL:
    return *(const bool *)p;
  }
  return 0;
}

static void put(pt_arch *a, const field *f, double v) {
  char *p = (char *)a + f->off;
  switch (f->type) {
  case T_INT:
  case T_ENUM:
    *(int *)p = (int)v;
    break;
  case T_I64:
    *(int64_t *)p = (int64_t)v;
    break;
  case T_DBL:
    *(double *)p = v;
    break;
  case T_BOOL:
    *(bool *)p = v != 0;
    break;
  }
}

static bool in_range(const field *f, double v) {
  if (f->type == T_BOOL)
    return v == 0 || v == 1;
  if (f->type == T_ENUM) {
    int n = 0;
    while (f->names[n])
      n++;
    return v >= 0 && v < n;
  }
  if (isnan(v))
    return false;
  return (f->lo_open ? v > f->lo : v >= f->lo) && v <= f->hi;
}

// "crossbar.rows = 0: must be between 1 and 65536".
static int range_error(pt_error *err, const char *where, const field *f,
                       double v) {
  bool integral = f->type == T_INT || f->type == T_I64;
  char val[40], lo[40], hi[40];
  snprintf(val, sizeof val, integral ? "%.0f" : "%g", v);
  snprintf(lo, sizeof lo, integral ? "%.0f" : "%g", f->lo);
  snprintf(hi, sizeof hi, integral ? "%.0f" : "%g", f->hi);
  if (f->type == T_ENUM || f->type == T_BOOL)
    return pt_errorf(err, "%s = %s: not a valid choice", where, val);
  if (f->lo_open)
    return pt_errorf(err, "%s = %s: must be greater than %s and at most %s",
                     where, val, lo, hi);
  return pt_errorf(err, "%s = %s: must be between %s and %s", where, val, lo,
                   hi);
}

// What an int field accepts, for type errors.
static const char *int_kind(const field *f) {
  return f->lo >= 1 ? "a positive integer"
         : f->lo >= 0 ? "a non-negative integer"
                      : "an integer";
}

// The JSON text of v, cut short for messages.
static void json_text(const cJSON *v, char *out, size_t n) {
  char *s = cJSON_PrintUnformatted(v);
  snprintf(out, n, "%s", s ? s : "?");
  if (s && strlen(s) >= n && n > 4)
    memcpy(out + n - 4, "...", 4);
  cJSON_free(s);
}

// Store JSON value v into field f, checking its type and range. `where`
// names the field in messages (our key, or the seed format's path).
static int take(pt_arch *a, const field *f, const cJSON *v, const char *where,
                pt_error *err) {
  char got[48];
  json_text(v, got, sizeof got);
  switch (f->type) {
  case T_INT:
  case T_I64:
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble))
      return pt_errorf(err, "%s: expected %s, got %s", where, int_kind(f), got);
    if (!in_range(f, v->valuedouble))
      return range_error(err, where, f, v->valuedouble);
    put(a, f, v->valuedouble);
    return 0;
  case T_DBL:
    if (!cJSON_IsNumber(v))
      return pt_errorf(err, "%s: expected a number, got %s", where, got);
    if (!in_range(f, v->valuedouble))
      return range_error(err, where, f, v->valuedouble);
    put(a, f, v->valuedouble);
    return 0;
  case T_BOOL:
    if (!cJSON_IsBool(v))
      return pt_errorf(err, "%s: expected true or false, got %s", where, got);
    put(a, f, cJSON_IsTrue(v));
    return 0;
  case T_ENUM:
    if (cJSON_IsString(v))
      for (int i = 0; f->names[i]; i++)
        if (!strcmp(v->valuestring, f->names[i])) {
          put(a, f, i);
          return 0;
        }
    char choices[128] = "";
    for (int i = 0; f->names[i]; i++) {
      size_t n = strlen(choices);
      snprintf(choices + n, sizeof choices - n, "%s\"%s\"", i ? " or " : "",
               f->names[i]);
    }
    return pt_errorf(err, "%s: expected %s, got %s", where, choices, got);
  }
  return 0;
}

// ---- defaults ----

void pt_arch_defaults(pt_arch *a) {
  memset(a, 0, sizeof *a);
  for (int i = 0; i < NFIELDS; i++)
    put(a, &fields[i], fields[i].def);
  snprintf(a->name, sizeof a->name, "default");
}

// ---- pimtune's format ----

static bool is_group(const char *k) {
  size_t n = strlen(k);
  for (int i = 0; i < NFIELDS; i++)
    if (!strncmp(fields[i].key, k, n) && fields[i].key[n] == '.')
      return true;
  return false;
}

// Edit distance of two short strings (for "did you mean").
static int edit_distance(const char *s, const char *t) {
  size_t m = strlen(s), n = strlen(t);
  if (m > 63 || n > 63)
    return 99;
  int d[64][64];
  for (size_t i = 0; i <= m; i++)
    d[i][0] = (int)i;
  for (size_t j = 0; j <= n; j++)
    d[0][j] = (int)j;
  for (size_t i = 1; i <= m; i++)
    for (size_t j = 1; j <= n; j++) {
      int best = d[i - 1][j - 1] + (s[i - 1] != t[j - 1]);
      if (d[i - 1][j] + 1 < best)
        best = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < best)
        best = d[i][j - 1] + 1;
      d[i][j] = best;
    }
  return d[m][n];
}

// The known key closest to `key` (a full "group.member" key, or a
// top-level one when top is set), or NULL if none is close.
static const char *suggest(const char *key, bool top) {
  static const char *const tops[] = {"name",  "description", "comment",
                                     "chip",  "crossbar",    "vector",
                                     "local_memory", "global_memory", "noc"};
  const char *best = NULL;
  int bestd = 3;
  int n = top ? (int)(sizeof tops / sizeof tops[0]) : NFIELDS;
  for (int i = 0; i < n; i++) {
    const char *cand = top ? tops[i] : fields[i].key;
    int dist = edit_distance(key, cand);
    if (dist < bestd)
      bestd = dist, best = cand;
  }
  return best;
}

static int unknown_key(pt_error *err, const char *key, bool top) {
  const char *s = suggest(key, top);
  if (s)
    return pt_errorf(err, "unknown key \"%s\" (did you mean \"%s\"?)", key, s);
  return pt_errorf(err, "unknown key \"%s\"", key);
}

// Line of the first `"key":` in text (after `"group":` when group is set),
// or 0. cJSON keeps no positions, so this is a textual search: it can be
// fooled by the same text inside a string, which is why the result is only
// used to point the reader at a likely place.
static int line_of(const char *text, const char *group, const char *key) {
  const char *from = text;
  const char *want[2] = {group, key};
  for (int w = 0; w < 2; w++) {
    if (!want[w])
      continue;
    char pat[80];
    snprintf(pat, sizeof pat, "\"%s\"", want[w]);
    const char *p = from;
    for (;;) {
      p = strstr(p, pat);
      if (!p)
        return 0;
      const char *q = p + strlen(pat);
      while (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n')
        q++;
      if (*q == ':')
        break;
      p = q;
    }
    from = p;
  }
  int line = 1;
  for (const char *c = text; c < from; c++)
    line += *c == '\n';
  return line;
}

static int take_string(char *dst, size_t cap, const cJSON *v, const char *key,
                       pt_error *err) {
  char got[48];
  if (!cJSON_IsString(v)) {
    json_text(v, got, sizeof got);
    return pt_errorf(err, "%s: expected a string, got %s", key, got);
  }
  if (strlen(v->valuestring) >= cap)
    return pt_errorf(err, "%s: longer than %zu characters", key, cap - 1);
  snprintf(dst, cap, "%s", v->valuestring);
  return 0;
}

// On error, *line is where the offending key likely is (0: unknown).
static int parse_own(const cJSON *root, const char *text, pt_arch *a,
                     int *line, pt_error *err) {
  bool seen[NFIELDS] = {false};
  const cJSON *m;
  cJSON_ArrayForEach(m, root) {
    const char *k = m->string;
    int rc = 0;
    if (!strcmp(k, "comment"))
      continue;
    if (!strcmp(k, "name"))
      rc = take_string(a->name, sizeof a->name, m, k, err);
    else if (!strcmp(k, "description"))
      rc = take_string(a->description, sizeof a->description, m, k, err);
    else if (!is_group(k))
      rc = unknown_key(err, k, true);
    else if (!cJSON_IsObject(m)) {
      char got[48];
      json_text(m, got, sizeof got);
      rc = pt_errorf(err, "%s: expected an object, got %s", k, got);
    }
    if (rc) {
      *line = line_of(text, NULL, k);
      return rc;
    }
    if (!cJSON_IsObject(m))
      continue;
    const cJSON *g;
    cJSON_ArrayForEach(g, m) {
      if (!strcmp(g->string, "comment"))
        continue;
      char key[160];
      snprintf(key, sizeof key, "%s.%s", k, g->string);
      const field *f = find_field(key);
      if (!f) {
        rc = unknown_key(err, key, false);
      } else if (seen[f - fields]) {
        rc = pt_errorf(err, "%s: given twice", key);
      } else {
        seen[f - fields] = true;
        rc = take(a, f, g, key, err);
      }
      if (rc) {
        *line = line_of(text, k, g->string);
        return rc;
      }
    }
  }
  // Unless given, every core of the mesh is in use.
  if (!seen[find_field("chip.cores") - fields])
    a->cores = a->cores_x * a->cores_y;
  return 0;
}

// ---- the seed's simulator-style format ----

// One field of the seed format: its path under the root, the key it maps
// onto, and the simulator's default (NAN: the simulator has none or does not
// use the field, so ours stays). SUM fields add up into one of ours.
enum { SEED_SUM = 1, SEED_SPECIAL = 2 };
typedef struct {
  const char *path;
  const char *key;
  double sim_default;
  int flags;
} seed_field;

#define CC "chip_config."
#define CORE CC "core_config."
#define MAT CORE "matrix_config."
#define LMEM CORE "local_memory_config."
#define GMEM CC "global_memory_config."
#define SEED_MEM(p, g)                                                        \
  {p "data_width", g ".data_width_bytes", 16, 0},                             \
  {p "period", g ".period_ns", 1, 0},                                         \
  {p "read_latency_cycle", g ".read_latency_cycles", 8, 0},                   \
  {p "write_latency_cycle", g ".write_latency_cycles", 10, 0},                \
  {p "read_dynamic_energy", g ".read_energy_pj", 0, 0},                       \
  {p "write_dynamic_energy", g ".write_energy_pj", 0, 0},                     \
  {p "static_power", g ".static_power_mw", 1, 0},                             \
  {p "memory_size", g ".size_bytes", NAN, 0}

// Defaults as pimsim-nn sets them (see /work/shared/pimsim-format.md (b)).
static const seed_field seed_fields[] = {
  {CC "core_cnt", "chip.cores", 1, 0},
  {CC "network_config.layout", "chip.cores_y", NAN, SEED_SPECIAL},
  {CC "network_config.layout", "chip.cores_x", NAN, SEED_SPECIAL},
  {CORE "period", "chip.core_period_ns", 1, 0},
  {CORE "rob_size", "chip.rob_size", 1, 0},
  {CORE "rob_size", "chip.execution", NAN, SEED_SPECIAL},
  {CORE "inst_fetch_static_power", "chip.core_static_power_mw", 0, SEED_SUM},
  {CORE "inst_decode_static_power", "chip.core_static_power_mw", 0, SEED_SUM},
  {CORE "inst_decode_offset_static_power", "chip.core_static_power_mw", 0,
   SEED_SUM},
  {CORE "reg_file_static_power", "chip.core_static_power_mw", 0, SEED_SUM},
  {CORE "scalar_static_power", "chip.core_static_power_mw", 0, SEED_SUM},
  {CORE "transfer_static_power", "chip.core_static_power_mw", 0, SEED_SUM},

  {MAT "xbar_array_count", "crossbar.arrays_per_core", NAN, 0},
  {MAT "xbar_size", "crossbar.rows", 128, SEED_SPECIAL},
  {MAT "xbar_size", "crossbar.cols", 128, SEED_SPECIAL},
  {MAT "cell_precision", "crossbar.cell_bits", 2, 0},
  {MAT "dac_resolution", "crossbar.dac_bits", 1, 0},
  {MAT "dac_count", "crossbar.dac_count", 128, 0},
  {MAT "adc_resolution", "crossbar.adc_bits", NAN, 0},
  {MAT "adc_count", "crossbar.adc_count", 1, 0},
  {MAT "period", "crossbar.period_ns", 0.78125, 0},
  {MAT "pipeline_mode", "crossbar.pipeline", 1, 0},
  {MAT "xbar_latency", "crossbar.read_latency_ns", 30, 0},
  {MAT "dac_latency_cycle", "crossbar.dac_latency_cycles", 1, 0},
  {MAT "sample_hold_latency_cycle", "crossbar.sample_hold_latency_cycles", 1,
   0},
  {MAT "adc_latency_cycle", "crossbar.adc_latency_cycles", 1, 0},
  {MAT "shift_adder_latency_cycle", "crossbar.shift_adder_latency_cycles", 1,
   0},
  {MAT "input_buffer_latency_cycle", "crossbar.input_buffer_latency_cycles",
   0, 0},
  {MAT "output_buffer_latency_cycle", "crossbar.output_buffer_latency_cycles",
   1, 0},
  {MAT "xbar_read_power", "crossbar.read_power_mw", 0, 0},
  {MAT "dac_dynamic_power", "crossbar.dac_power_mw", 0, 0},
  {MAT "sample_hold_dynamic_power", "crossbar.sample_hold_power_mw", 0, 0},
  {MAT "adc_dynamic_power", "crossbar.adc_power_mw", 0, 0},
  {MAT "adc_static_power", "crossbar.adc_static_power_mw", 0, 0},
  {MAT "shift_adder_dynamic_power", "crossbar.shift_adder_power_mw", 0, 0},
  {MAT "input_buffer_dynamic_power", "crossbar.input_buffer_power_mw", 0, 0},
  {MAT "output_buffer_dynamic_power", "crossbar.output_buffer_power_mw", 0,
   0},

  {CORE "vector_width", "vector.width", 16, 0},
  {CORE "vector_latency_cycle", "vector.latency_cycles", 8, 0},
  {CORE "vector_alu_dynamic_energy", "vector.energy_pj", 0, SEED_SUM},
  {CORE "vector_reg_read_dynamic_energy", "vector.energy_pj", 0, SEED_SUM},
  {CORE "vector_reg_write_dynamic_energy", "vector.energy_pj", 0, SEED_SUM},
  {CORE "vector_alu_static_power", "vector.static_power_mw", 0, SEED_SUM},
  {CORE "vector_reg_static_power", "vector.static_power_mw", 0, SEED_SUM},

  SEED_MEM(LMEM, "local_memory"),
  SEED_MEM(GMEM, "global_memory"),

  {CC "network_config.bus_topology", "noc.topology", NAN, SEED_SPECIAL},
  {CC "network_config.bus_width", "noc.link_width_bytes", 16, 0},
  {CC "global_memory_switch_id", "noc.global_memory_node_id", -10, 0},
};
enum { NSEED = sizeof seed_fields / sizeof seed_fields[0] };

// The member at a dotted path, NULL if any part is missing. A part that
// exists but is not an object is an error: the simulator would stop there.
static int walk(const cJSON *root, const char *path, const cJSON **out,
                pt_error *err) {
  char part[64];
  const cJSON *cur = root;
  const char *p = path;
  *out = NULL;
  for (;;) {
    const char *dot = strchr(p, '.');
    size_t n = dot ? (size_t)(dot - p) : strlen(p);
    snprintf(part, sizeof part, "%.*s", (int)n, p);
    cur = cJSON_GetObjectItemCaseSensitive(cur, part);
    if (!cur)
      return 0;
    if (!dot)
      break;
    if (!cJSON_IsObject(cur)) {
      char got[48];
      json_text(cur, got, sizeof got);
      return pt_errorf(err, "%.*s: expected an object, got %s",
                       (int)(dot - path), path, got);
    }
    p = dot + 1;
  }
  *out = cur;
  return 0;
}

// A two-element array of non-negative integers ([rows, cols], [H, W]).
static int take_pair(const cJSON *v, const char *where, int out[2],
                     pt_error *err) {
  char got[48];
  json_text(v, got, sizeof got);
  if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) != 2)
    return pt_errorf(err, "%s: expected [a, b] of two integers, got %s", where,
                     got);
  for (int i = 0; i < 2; i++) {
    const cJSON *e = cJSON_GetArrayItem(v, i);
    if (!cJSON_IsNumber(e) || e->valuedouble != floor(e->valuedouble) ||
        e->valuedouble < 0 || e->valuedouble > 65536)
      return pt_errorf(err,
                       "%s: expected [a, b] of two integers between 0 and "
                       "65536, got %s",
                       where, got);
    out[i] = (int)e->valuedouble;
  }
  return 0;
}

static int parse_seed(const cJSON *root, pt_arch *a, pt_error *err) {
  const cJSON *v;
  if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(root, "chip_config")))
    return pt_errorf(err, "chip_config: expected an object");
  // The simulator's defaults first, then what the file says.
  for (int i = 0; i < NSEED; i++)
    if (!isnan(seed_fields[i].sim_default))
      put(a, find_field(seed_fields[i].key), seed_fields[i].sim_default);
  for (int i = 0; i < NSEED; i++) {
    const seed_field *s = &seed_fields[i];
    if (s->flags & SEED_SPECIAL)
      continue;
    if (walk(root, s->path, &v, err))
      return -1;
    if (!v)
      continue;
    const field *f = find_field(s->key);
    if (s->flags & SEED_SUM) {
      if (!cJSON_IsNumber(v)) {
        char got[48];
        json_text(v, got, sizeof got);
        return pt_errorf(err, "%s: expected a number, got %s", s->path, got);
      }
      put(a, f, get(a, f) + v->valuedouble);
    } else if (f->type == T_BOOL && cJSON_IsNumber(v)) {
      put(a, f, v->valuedouble != 0); // pipeline_mode: 0/1 as well
    } else if (take(a, f, v, s->path, err)) {
      return -1;
    }
  }

  // Crossbar size [rows, cols].
  int pair[2];
  if (walk(root, MAT "xbar_size", &v, err))
    return -1;
  if (v) {
    if (take_pair(v, MAT "xbar_size", pair, err))
      return -1;
    a->xbar_rows = pair[0], a->xbar_cols = pair[1];
  }
  // Mesh: the seed compiler reads layout as [ChipH, ChipW]. Absent or
  // [0, 0] (the simulator's default, which it never uses): a near-square
  // mesh that holds core_cnt cores.
  if (walk(root, CC "network_config.layout", &v, err))
    return -1;
  if (v && take_pair(v, CC "network_config.layout", pair, err))
    return -1;
  if (v && pair[0] > 0 && pair[1] > 0) {
    a->cores_y = pair[0], a->cores_x = pair[1];
  } else {
    int x = 1;
    while (x * x < a->cores)
      x++;
    a->cores_x = x, a->cores_y = (a->cores + x - 1) / x;
  }
  // The simulator's cores run out of order when more than one instruction
  // may be in flight.
  a->exec = a->rob_size > 1 ? PT_EXEC_OOO : PT_EXEC_INORDER;
  if (walk(root, CC "network_config.bus_topology", &v, err))
    return -1;
  if (cJSON_IsString(v) && !strcmp(v->valuestring, "bus"))
    a->topology = PT_NOC_BUS;
  else if (cJSON_IsString(v) && !strcmp(v->valuestring, "mesh"))
    a->topology = PT_NOC_MESH;
  // The simulator needs the two switch ids to agree.
  if (walk(root, CORE "global_memory_switch_id", &v, err))
    return -1;
  if (v && (!cJSON_IsNumber(v) ||
            v->valuedouble != (double)a->global_memory_node_id))
    return pt_errorf(err,
                     "%sglobal_memory_switch_id must equal "
                     "%sglobal_memory_switch_id (%d)",
                     CORE, CC, a->global_memory_node_id);
  snprintf(a->description, sizeof a->description,
           "simulator-style config (PIMCOMP / pimsim-nn chip_config)");
  return 0;
}

// ---- validation ----

// Check every field, then the relations between fields. On failure, *bad is
// the key the message is about (so a seed-format load can name its own
// field too).
static int check(const pt_arch *a, pt_error *err, const char **bad) {
  for (int i = 0; i < NFIELDS; i++) {
    double v = get(a, &fields[i]);
    if (!in_range(&fields[i], v)) {
      *bad = fields[i].key;
      return range_error(err, fields[i].key, &fields[i], v);
    }
  }
  if ((int64_t)a->cores > (int64_t)a->cores_x * a->cores_y) {
    *bad = "chip.cores";
    return pt_errorf(err,
                     "chip.cores = %d: must be at most chip.cores_x x "
                     "chip.cores_y = %d x %d = %d",
                     a->cores, a->cores_x, a->cores_y,
                     a->cores_x * a->cores_y);
  }
  if (a->exec == PT_EXEC_OOO && a->rob_size < 2) {
    *bad = "chip.rob_size";
    return pt_errorf(err,
                     "chip.rob_size = %d: an out-of-order core needs at "
                     "least 2 (between 2 and 65536)",
                     a->rob_size);
  }
  if (a->cell_bits > a->weight_bits) {
    *bad = "crossbar.cell_bits";
    return pt_errorf(err,
                     "crossbar.cell_bits = %d: must be between 1 and "
                     "crossbar.weight_bits = %d",
                     a->cell_bits, a->weight_bits);
  }
  if (a->dac_bits > a->act_bits) {
    *bad = "crossbar.dac_bits";
    return pt_errorf(err,
                     "crossbar.dac_bits = %d: must be between 1 and "
                     "crossbar.activation_bits = %d",
                     a->dac_bits, a->act_bits);
  }
  if (a->dac_count > a->xbar_rows) {
    *bad = "crossbar.dac_count";
    return pt_errorf(err,
                     "crossbar.dac_count = %d: must be between 1 and "
                     "crossbar.rows = %d (DACs per array, at most one a row)",
                     a->dac_count, a->xbar_rows);
  }
  if (a->adc_count > a->xbar_cols) {
    *bad = "crossbar.adc_count";
    return pt_errorf(err,
                     "crossbar.adc_count = %d: must be between 1 and "
                     "crossbar.cols = %d (ADCs per array, at most one a column)",
                     a->adc_count, a->xbar_cols);
  }
  int slices = pt_arch_slices(a);
  if (a->xbars_per_core < slices) {
    *bad = "crossbar.arrays_per_core";
    return pt_errorf(err,
                     "crossbar.arrays_per_core = %d: must be at least %d, the "
                     "physical arrays of one logical crossbar (ceil(weight_bits "
                     "%d / cell_bits %d)%s)",
                     a->xbars_per_core, slices, a->weight_bits, a->cell_bits,
                     a->signed_pairs ? " x 2 for signed_pairs" : "");
  }
  // Keep every derived count well inside int64_t.
  double bits = (double)pt_arch_total_cores(a) * a->xbars_per_core *
                a->xbar_rows * (double)a->xbar_cols * a->cell_bits;
  if (bits > 0x1p62) {
    *bad = "crossbar.arrays_per_core";
    return pt_errorf(err,
                     "total crossbar capacity = %g bits: must be at most 2^62 "
                     "(chips x cores x arrays_per_core x rows x cols x "
                     "cell_bits)",
                     bits);
  }
  return 0;
}

int pt_arch_validate(const pt_arch *a, pt_error *err) {
  const char *bad = NULL;
  return check(a, err, &bad);
}

// ---- loading ----

static bool blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Line and column (1-based) of position pos in text.
static void locate(const char *text, const char *pos, int *line, int *col) {
  *line = 1, *col = 1;
  for (const char *c = text; c < pos && *c; c++) {
    if (*c == '\n')
      (*line)++, *col = 1;
    else
      (*col)++;
  }
}

// Keys and values from the file are echoed in messages; keep the message
// one printable line whatever they hold.
static int one_line(pt_error *err) {
  if (err)
    for (char *c = err->msg; *c; c++)
      if ((unsigned char)*c < 32 || *c == 127)
        *c = '?';
  return -1;
}

static int parse(const char *json, const char *path, pt_arch *a,
                 pt_error *err) {
  pt_arch_defaults(a);
  snprintf(a->path, sizeof a->path, "%s", path);
  pt_basename_noext(path, a->name, sizeof a->name);
  a->description[0] = 0;

  const char *p = json;
  while (blank(*p))
    p++;
  if (!*p)
    return pt_errorf(err, "%s: empty file (expected a JSON object)", path);
  const char *end = NULL;
  // The length counts the NUL: cJSON wants to see it to accept the end.
  cJSON *root = cJSON_ParseWithLengthOpts(json, strlen(json) + 1, &end, true);
  if (!root) {
    int line, col;
    const char *at = end ? end : json, *rest = at;
    while (blank(*rest))
      rest++;
    if (!*rest) {
      // Cut short: point just past the last thing written.
      while (at > json && blank(at[-1]))
        at--;
      locate(json, at, &line, &col);
      return pt_errorf(err, "%s:%d:%d: malformed JSON: unexpected end of file",
                       path, line, col);
    }
    locate(json, at, &line, &col);
    char near[24];
    size_t n = 0;
    for (const char *c = at; *c && *c != '\n' && n < sizeof near - 1; c++)
      near[n++] = (*c >= 32 && *c < 127) ? *c : '?';
    near[n] = 0;
    return pt_errorf(err, "%s:%d:%d: malformed JSON near '%s'", path, line,
                     col, near);
  }
  if (!cJSON_IsObject(root)) {
    cJSON_Delete(root);
    return pt_errorf(err, "%s: expected a JSON object at the top level", path);
  }

  bool seed = cJSON_GetObjectItemCaseSensitive(root, "chip_config") != NULL;
  int line = 0;
  int rc = seed ? parse_seed(root, a, err) : parse_own(root, json, a, &line, err);
  const char *bad = NULL;
  if (!rc && check(a, err, &bad)) {
    rc = -1;
    // In the seed format, name the seed field the value came from.
    for (int i = 0; seed && err && i < NSEED; i++) {
      const cJSON *v = NULL;
      if (strcmp(seed_fields[i].key, bad) ||
          walk(root, seed_fields[i].path, &v, NULL) || !v)
        continue;
      size_t n = strlen(err->msg);
      snprintf(err->msg + n, sizeof err->msg - n, " (from %s)",
               seed_fields[i].path);
      break;
    }
  }
  cJSON_Delete(root);
  if (rc && line > 0)
    pt_error_prefix(err, "%s:%d: ", path, line);
  else if (rc)
    pt_error_prefix(err, "%s: ", path);
  return rc;
}

int pt_arch_parse(const char *json, const char *path, pt_arch *a,
                  pt_error *err) {
  return parse(json, path, a, err) ? one_line(err) : 0;
}

int pt_arch_load(const char *path, pt_arch *a, pt_error *err) {
  size_t len;
  unsigned char *buf = pt_read_file(path, &len, err);
  if (!buf) {
    pt_arch_defaults(a);
    return one_line(err);
  }
  int rc;
  if (strlen((const char *)buf) != len) {
    pt_arch_defaults(a);
    rc = pt_errorf(err, "%s: not a text file (it holds a NUL byte)", path);
  } else {
    rc = pt_arch_parse((const char *)buf, path, a, err);
  }
  free(buf);
  return rc ? one_line(err) : 0;
}

// ---- overrides and writing back ----

int pt_arch_set(pt_arch *a, const char *key, const char *value,
                pt_error *err) {
  const field *f = find_field(key);
  if (!f)
    return unknown_key(err, key, false);
  // Enums may be given bare (out-of-order) or quoted ("out-of-order").
  cJSON *v = f->type == T_ENUM && value[0] != '"' ? cJSON_CreateString(value)
                                                  : cJSON_Parse(value);
  if (!v)
    v = cJSON_CreateString(value); // so that the type error shows the text
  int rc = take(a, f, v, key, err);
  cJSON_Delete(v);
  return rc ? one_line(err) : 0;
}

char *pt_arch_to_json(const pt_arch *a) {
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "name", a->name);
  cJSON_AddStringToObject(root, "description", a->description);
  for (int i = 0; i < NFIELDS; i++) {
    const field *f = &fields[i];
    const char *dot = strchr(f->key, '.');
    char group[32];
    snprintf(group, sizeof group, "%.*s", (int)(dot - f->key), f->key);
    cJSON *g = cJSON_GetObjectItemCaseSensitive(root, group);
    if (!g)
      g = cJSON_AddObjectToObject(root, group);
    double v = get(a, f);
    if (f->type == T_BOOL)
      cJSON_AddBoolToObject(g, dot + 1, v != 0);
    else if (f->type == T_ENUM)
      cJSON_AddStringToObject(g, dot + 1, in_range(f, v) ? f->names[(int)v] : "?");
    else
      cJSON_AddNumberToObject(g, dot + 1, v);
  }
  char *s = cJSON_Print(root);
  cJSON_Delete(root);
  char *out = pt_strdup(s);
  cJSON_free(s);
  return out;
}

// ---- derived quantities ----

int pt_arch_total_cores(const pt_arch *a) {
  return a->chips_x * a->chips_y * a->cores;
}

int pt_arch_slices(const pt_arch *a) {
  if (a->cell_bits < 1 || a->weight_bits < 1)
    return 1; // not valid; keep callers away from a division by zero
  int s = (a->weight_bits + a->cell_bits - 1) / a->cell_bits;
  return a->signed_pairs ? 2 * s : s;
}

int pt_arch_logical_per_core(const pt_arch *a) {
  return a->xbars_per_core / pt_arch_slices(a);
}

int64_t pt_arch_logical_total(const pt_arch *a) {
  return (int64_t)pt_arch_total_cores(a) * pt_arch_logical_per_core(a);
}

int64_t pt_arch_capacity_bytes(const pt_arch *a) {
  return (int64_t)pt_arch_total_cores(a) * a->xbars_per_core * a->xbar_rows *
         a->xbar_cols * a->cell_bits / 8;
}
