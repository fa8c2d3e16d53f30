// Unit tests of chip configs: the shipped configs load and give the
// hand-computed crossbar counts, the seed's simulator-style config maps onto
// the expected fields, and every kind of bad input (missing, empty, binary,
// truncated, unknown key, wrong type, each field out of range, each
// cross-field rule) fails with a one-line message naming the field.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cost/arch.h"

#define DATA PT_TEST_DATA "/arch/"
#define CONFIGS PT_SOURCE_DIR "/configs/arch/"
#define MiB (1024 * 1024)

// The message is one line and contains want.
static void assert_msg(const pt_error *err, const char *want) {
  if (!strstr(err->msg, want))
    fail_msg("message \"%s\"\n  lacks \"%s\"", err->msg, want);
  assert_null(strchr(err->msg, '\n'));
}

static void load_ok(const char *path, pt_arch *a) {
  pt_error err = {{0}};
  if (pt_arch_load(path, a, &err))
    fail_msg("%s", err.msg);
  if (pt_arch_validate(a, &err))
    fail_msg("%s", err.msg);
}

// ---- shipped configs ----

static void test_isaac(void **state) {
  (void)state;
  pt_arch a;
  load_ok(CONFIGS "isaac.json", &a);
  assert_string_equal(a.name, "isaac");
  assert_int_equal(a.cores_x, 12);
  assert_int_equal(a.cores_y, 14);
  assert_int_equal(pt_arch_total_cores(&a), 168);
  assert_int_equal(a.xbars_per_core, 96);
  assert_int_equal(pt_arch_slices(&a), 8);              // 16 / 2
  assert_int_equal(pt_arch_logical_per_core(&a), 12);   // 96 / 8
  assert_int_equal(pt_arch_logical_total(&a), 2016);    // 168 * 12
  // 168 * 96 * 128 * 128 cells * 2 bits = 63 MiB
  assert_int_equal(pt_arch_capacity_bytes(&a), 63 * MiB);
  assert_int_equal(a.exec, PT_EXEC_INORDER);
  assert_int_equal(a.comm, PT_COMM_SYNC);
  assert_int_equal(a.topology, PT_NOC_MESH);
  assert_int_equal(a.local.size_bytes, 65536);
  assert_true(a.xbar_latency_ns == 100.0);
}

static void test_puma(void **state) {
  (void)state;
  pt_arch a;
  load_ok(CONFIGS "puma.json", &a);
  assert_int_equal(a.cores, 138);
  assert_int_equal(a.cores_x * a.cores_y, 144);
  assert_int_equal(pt_arch_total_cores(&a), 138);
  assert_int_equal(pt_arch_logical_per_core(&a), 16);   // 128 / 8
  assert_int_equal(pt_arch_logical_total(&a), 2208);    // 138 * 128 / 8
  assert_int_equal(pt_arch_capacity_bytes(&a), 69 * MiB);
}

static void test_isscc23(void **state) {
  (void)state;
  pt_arch a;
  load_ok(CONFIGS "isscc23.json", &a);
  assert_int_equal(a.chips_x * a.chips_y, 16);
  assert_int_equal(pt_arch_total_cores(&a), 64);        // 16 chips * 4
  assert_int_equal(a.xbar_rows, 512);
  assert_int_equal(a.xbar_cols, 1024);
  assert_int_equal((int64_t)pt_arch_total_cores(&a) * a.xbars_per_core, 512);
  assert_int_equal(pt_arch_logical_per_core(&a), 1);    // 8 / 8
  assert_int_equal(pt_arch_logical_total(&a), 64);
  assert_int_equal(pt_arch_capacity_bytes(&a), 64 * MiB);
}

static void test_pimcomp_default(void **state) {
  (void)state;
  pt_arch a;
  load_ok(CONFIGS "pimcomp-default.json", &a);
  assert_int_equal(pt_arch_total_cores(&a), 144);
  assert_int_equal(pt_arch_slices(&a), 1);              // 16 / 16
  assert_int_equal(pt_arch_logical_per_core(&a), 64);
  assert_int_equal(pt_arch_logical_total(&a), 9216);    // 144 * 64
  assert_int_equal(a.adc_count, 16);
  assert_int_equal(a.adc_latency_cycles, 20);
  assert_true(a.xbar_read_power_mw == 22.24);
}

// The defaults are an ISAAC-like core: exactly what isaac.json spells out.
static void test_defaults_are_isaac(void **state) {
  (void)state;
  pt_arch d, a;
  pt_error err = {{0}};
  pt_arch_defaults(&d);
  if (pt_arch_validate(&d, &err))
    fail_msg("%s", err.msg);
  load_ok(CONFIGS "isaac.json", &a);
  memcpy(d.name, a.name, sizeof d.name);
  memcpy(d.description, a.description, sizeof d.description);
  char *js = pt_arch_to_json(&d), *ja = pt_arch_to_json(&a);
  assert_string_equal(js, ja);
  free(js);
  free(ja);
}

// Writing a config out and reading it back gives the same config.
static void test_round_trip(void **state) {
  (void)state;
  const char *names[] = {"isaac", "puma", "isscc23", "pimcomp-default"};
  for (int i = 0; i < 4; i++) {
    char path[512];
    snprintf(path, sizeof path, CONFIGS "%s.json", names[i]);
    pt_arch a, b;
    pt_error err = {{0}};
    load_ok(path, &a);
    char *j1 = pt_arch_to_json(&a);
    if (pt_arch_parse(j1, path, &b, &err))
      fail_msg("%s", err.msg);
    char *j2 = pt_arch_to_json(&b);
    assert_string_equal(j1, j2);
    assert_int_equal(pt_arch_logical_total(&a), pt_arch_logical_total(&b));
    free(j1);
    free(j2);
  }
}

// Only the given fields change; cores follows the mesh unless given.
static void test_partial_config(void **state) {
  (void)state;
  pt_arch a;
  pt_error err = {{0}};
  const char *js = "{\"comment\": \"x\", \"chip\": {\"cores_x\": 4, "
                   "\"cores_y\": 2, \"execution\": \"out-of-order\", "
                   "\"rob_size\": 8}, \"crossbar\": {\"comment\": \"y\", "
                   "\"signed_pairs\": true}}";
  if (pt_arch_parse(js, "mem/x.json", &a, &err))
    fail_msg("%s", err.msg);
  assert_string_equal(a.name, "x");
  assert_string_equal(a.path, "mem/x.json");
  assert_int_equal(a.cores, 8);
  assert_int_equal(a.exec, PT_EXEC_OOO);
  assert_int_equal(pt_arch_slices(&a), 16);             // 8 x 2 for +/-
  assert_int_equal(pt_arch_logical_per_core(&a), 6);    // 96 / 16
  assert_int_equal(a.xbar_rows, 128);
}

// The unusable remainder: 100 arrays at 8 per logical crossbar give 12.
static void test_remainder(void **state) {
  (void)state;
  pt_arch a;
  pt_arch_defaults(&a);
  a.xbars_per_core = 100;
  assert_int_equal(pt_arch_logical_per_core(&a), 12);
  a.cell_bits = 3;                                      // ceil(16/3) = 6
  assert_int_equal(pt_arch_slices(&a), 6);
  assert_int_equal(pt_arch_logical_per_core(&a), 16);
}

// ---- the seed's simulator-style config ----

static void check_seed_values(const pt_arch *a) {
  assert_int_equal(a->cores, 136);
  assert_int_equal(a->cores_y, 12);
  assert_int_equal(a->cores_x, 12);
  assert_int_equal(pt_arch_total_cores(a), 136);
  assert_true(a->core_period_ns == 1.0);
  assert_int_equal(a->exec, PT_EXEC_INORDER);
  assert_int_equal(a->rob_size, 1);
  assert_int_equal(a->xbars_per_core, 64);
  assert_int_equal(a->xbar_rows, 128);
  assert_int_equal(a->xbar_cols, 128);
  assert_int_equal(a->cell_bits, 2);
  assert_int_equal(a->weight_bits, 16);                 // ours: not in the format
  assert_int_equal(pt_arch_slices(a), 8);
  assert_int_equal(pt_arch_logical_per_core(a), 8);
  assert_int_equal(pt_arch_logical_total(a), 1088);     // 136 * 64 / 8
  assert_int_equal(a->dac_bits, 1);
  assert_int_equal(a->dac_count, 128);
  assert_int_equal(a->adc_bits, 8);
  assert_int_equal(a->adc_count, 16);                   // ADCs per array
  assert_true(a->matrix_period_ns == 1.0);
  assert_true(a->matrix_pipeline);
  assert_true(a->xbar_latency_ns == 7.0);
  assert_true(a->xbar_read_power_mw == 22.24);
  assert_int_equal(a->adc_latency_cycles, 20);
  assert_true(a->adc_power_mw == 1.135);
  assert_true(a->adc_static_power_mw == 0.322);
  assert_int_equal(a->dac_latency_cycles, 1);           // simulator default
  assert_int_equal(a->input_buffer_latency_cycles, 0);  // simulator default
  assert_int_equal(a->sample_hold_latency_cycles, 1);
  assert_int_equal(a->shift_adder_latency_cycles, 1);
  assert_int_equal(a->output_buffer_latency_cycles, 1);
  assert_true(a->dac_power_mw == 0.0);                  // simulator default
  assert_int_equal(a->vector_width, 32);
  assert_int_equal(a->vector_latency_cycles, 4);
  assert_true(a->vector_energy_pj == 0.0);
  assert_true(a->core_static_power_mw == 0.0);
  assert_int_equal(a->local.data_width_bytes, 64);
  assert_int_equal(a->local.read_latency_cycles, 20);
  assert_int_equal(a->local.write_latency_cycles, 30);
  assert_true(a->local.static_power_mw == 1.0);         // simulator default
  assert_int_equal(a->local.size_bytes, 65536);         // ours
  assert_int_equal(a->global.data_width_bytes, 32);
  assert_int_equal(a->global.read_latency_cycles, 40);
  assert_int_equal(a->global.write_latency_cycles, 50);
  assert_int_equal(a->topology, PT_NOC_MESH);
  assert_int_equal(a->link_width_bytes, 32);
  assert_int_equal(a->global_memory_node_id, -10);
}

static void test_seed_style(void **state) {
  (void)state;
  pt_arch a;
  load_ok(DATA "seed-style.json", &a);
  assert_string_equal(a.name, "seed-style");
  check_seed_values(&a);
}

// The real file from ../shared, when it is there.
static void test_seed_shared(void **state) {
  (void)state;
  char path[1024];
  const char *env = getenv("PT_SHARED");
  if (env && *env)
    snprintf(path, sizeof path, "%s/pimcomp-models/pimcomp-config.json", env);
  else
    snprintf(path, sizeof path,
             PT_SOURCE_DIR "/../shared/pimcomp-models/pimcomp-config.json");
  FILE *f = fopen(path, "rb");
  if (!f) {
    printf("skipped: %s is not there\n", path);
    skip();
  }
  fclose(f);
  pt_arch a;
  load_ok(path, &a);
  check_seed_values(&a);
}

static void test_seed_defaults(void **state) {
  (void)state;
  pt_arch a;
  pt_error err = {{0}};
  // Nothing given: the simulator's defaults (one core, 30 ns read, ...).
  if (pt_arch_parse("{\"chip_config\": {}, \"sim_config\": {}}", "s.json",
                    &a, &err))
    fail_msg("%s", err.msg);
  assert_int_equal(pt_arch_total_cores(&a), 1);
  assert_int_equal(a.cores_x * a.cores_y, 1);
  assert_true(a.xbar_latency_ns == 30.0);
  assert_true(a.matrix_period_ns == 0.78125);
  assert_int_equal(a.vector_width, 16);
  assert_int_equal(a.local.data_width_bytes, 16);
  assert_int_equal(a.link_width_bytes, 16);
  assert_int_equal(a.xbars_per_core, 96);               // ours
  // No layout: a near-square mesh; rob_size > 1 is out of order; static
  // powers add up; unknown fields are ignored.
  const char *js =
      "{\"chip_config\": {\"core_cnt\": 10, \"unknown\": [1], "
      "\"core_config\": {\"rob_size\": 4, \"inst_fetch_static_power\": 1.5, "
      "\"reg_file_static_power\": 2, \"matrix_config\": {\"pipeline_mode\": 0,"
      " \"xbar_size\": [256, 64], \"adc_count\": 8}}, "
      "\"network_config\": {\"bus_topology\": \"bus\"}}}";
  if (pt_arch_parse(js, "s.json", &a, &err))
    fail_msg("%s", err.msg);
  assert_int_equal(a.cores, 10);
  assert_int_equal(a.cores_x, 4);
  assert_int_equal(a.cores_y, 3);
  assert_int_equal(a.exec, PT_EXEC_OOO);
  assert_int_equal(a.rob_size, 4);
  assert_true(a.core_static_power_mw == 3.5);
  assert_false(a.matrix_pipeline);
  assert_int_equal(a.xbar_rows, 256);
  assert_int_equal(a.xbar_cols, 64);
  assert_int_equal(a.topology, PT_NOC_BUS);
}

static void test_seed_errors(void **state) {
  (void)state;
  static const struct {
    const char *json, *want;
  } cases[] = {
      {"{\"chip_config\": 3}", "s.json: chip_config: expected an object"},
      {"{\"chip_config\": {\"core_config\": {\"matrix_config\": "
       "{\"xbar_size\": \"big\"}}}}",
       "s.json: chip_config.core_config.matrix_config.xbar_size: expected "
       "[a, b]"},
      {"{\"chip_config\": {\"core_config\": {\"matrix_config\": "
       "{\"xbar_size\": [0, 128]}}}}",
       "crossbar.rows = 0: must be between 1 and 65536 (from "
       "chip_config.core_config.matrix_config.xbar_size)"},
      {"{\"chip_config\": {\"core_cnt\": 200, \"network_config\": "
       "{\"layout\": [12, 12]}}}",
       "chip.cores = 200: must be at most chip.cores_x x chip.cores_y = 12 x "
       "12 = 144 (from chip_config.core_cnt)"},
      {"{\"chip_config\": {\"core_cnt\": 0}}",
       "s.json: chip_config.core_cnt = 0: must be between 1 and 65536"},
      {"{\"chip_config\": {\"core_config\": {\"period\": \"fast\"}}}",
       "chip_config.core_config.period: expected a number, got \"fast\""},
      {"{\"chip_config\": {\"core_config\": {\"matrix_config\": "
       "{\"xbar_array_count\": 4}}}}",
       "crossbar.arrays_per_core = 4: must be at least 8"},
      {"{\"chip_config\": {\"core_config\": \"x\"}}",
       "chip_config.core_config: expected an object"},
      {"{\"chip_config\": {\"core_config\": {\"global_memory_switch_id\": -3}}}",
       "must equal chip_config.global_memory_switch_id (-10)"},
      {"{\"chip_config\": {\"core_config\": {\"scalar_static_power\": true}}}",
       "chip_config.core_config.scalar_static_power: expected a number"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    pt_arch a;
    pt_error err = {{0}};
    if (!pt_arch_parse(cases[i].json, "s.json", &a, &err))
      fail_msg("accepted %s", cases[i].json);
    assert_msg(&err, cases[i].want);
  }
}

// ---- bad files ----

static void load_fails(const char *path, const char *want) {
  pt_arch a;
  pt_error err = {{0}};
  assert_int_not_equal(pt_arch_load(path, &a, &err), 0);
  assert_msg(&err, want);
  assert_msg(&err, path);
}

static void test_bad_files(void **state) {
  (void)state;
  load_fails(DATA "no-such-file.json", "cannot open");
  load_fails(DATA "empty.json", "empty file");
  load_fails(DATA "random.bin", "not a text file");
  // Ends after line 20, inside "crossbar": the error names the last line.
  load_fails(DATA "truncated.json",
             "truncated.json:20:");
  load_fails(DATA "truncated.json", "malformed JSON");
  load_fails(DATA "unknown-key.json",
             "unknown-key.json:5: unknown key \"crossbar.colls\" (did you "
             "mean \"crossbar.cols\"?)");
  load_fails(DATA "wrong-type.json",
             "wrong-type.json:5: crossbar.rows: expected a positive integer, "
             "got \"abc\"");
}

static void parse_fails(const char *json, const char *want) {
  pt_arch a;
  pt_error err = {{0}};
  if (!pt_arch_parse(json, "t.json", &a, &err))
    fail_msg("accepted %s", json);
  assert_msg(&err, want);
  assert_msg(&err, "t.json");
}

static void test_bad_text(void **state) {
  (void)state;
  parse_fails("  \n\t ", "t.json: empty file");
  parse_fails("\x81\xfe\x12{", "t.json:1:1: malformed JSON near '???{'");
  parse_fails("{\n\"chip\": {\"cores\": 1,,}}", "t.json:2:");
  parse_fails("{\"chip\": {}} trailing", "t.json:1:14: malformed JSON");
  parse_fails("[1, 2]", "expected a JSON object at the top level");
  parse_fails("{\"chp\": {}}", "unknown key \"chp\" (did you mean \"chip\"?)");
  parse_fails("{\"zzzzzz\": 1}", "t.json:1: unknown key \"zzzzzz\"");
  parse_fails("{\"chip\": 5}", "chip: expected an object, got 5");
  parse_fails("{\"name\": 5}", "name: expected a string, got 5");
  parse_fails("{\"chip\": {\"cores\": 4, \"cores\": 4}}",
              "chip.cores: given twice");
  parse_fails("{\"crossbar\": {\"rows\": 1.5}}",
              "crossbar.rows: expected a positive integer, got 1.5");
  parse_fails("{\"crossbar\": {\"rows\": 1e30}}",
              "crossbar.rows = 1000000000000000019884624838656: must be "
              "between 1 and 65536");
  parse_fails("{\"crossbar\": {\"read_power_mw\": null}}",
              "crossbar.read_power_mw: expected a number, got null");
  char name[200] = "{\"name\": \"";
  memset(name + 10, 'n', 100);
  strcpy(name + 110, "\"}");
  parse_fails(name, "name: longer than 63 characters");

  // A NULL error record is allowed.
  pt_arch a;
  assert_int_not_equal(pt_arch_parse("{\"x\": 1}", "t.json", &a, NULL), 0);
  assert_int_not_equal(pt_arch_load(DATA "random.bin", &a, NULL), 0);
}

// Every prefix of a real config, and single-byte changes of it, either load
// or fail with a one-line message; nothing crashes (run under ASan too).
static void test_mutations(void **state) {
  (void)state;
  size_t len;
  pt_error err = {{0}};
  unsigned char *text = pt_read_file(CONFIGS "isaac.json", &len, &err);
  if (!text)
    fail_msg("%s", err.msg);
  char *buf = malloc(len + 1);
  pt_arch a;
  for (size_t n = 0; n < len; n++) {
    memcpy(buf, text, n);
    buf[n] = 0;
    err.msg[0] = 0;
    bool whole = strspn((const char *)text + n, " \t\r\n") == len - n;
    if (whole)
      continue; // only trailing white space was cut
    if (!pt_arch_parse(buf, "cut.json", &a, &err)) {
      free(buf);
      fail_msg("a prefix of %zu bytes loads", n);
    }
    assert_msg(&err, "cut.json");
  }
  uint32_t x = 12345; // a fixed xorshift stream: the same cases every run
  for (int i = 0; i < 5000; i++) {
    memcpy(buf, text, len + 1);
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    size_t at = x % len;
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    buf[at] = (char)(1 + x % 255);
    err.msg[0] = 0;
    if (pt_arch_parse(buf, "mut.json", &a, &err))
      assert_msg(&err, "mut.json");
    else
      assert_int_equal(pt_arch_validate(&a, &err), 0);
  }
  free(buf);
  free(text);
}

// Every range-checked field, one value out of range each.
static const struct {
  const char *key, *value, *want;
} ranges[] = {
    {"chip.chips_x", "0", "chip.chips_x = 0: must be between 1 and 64"},
    {"chip.chips_y", "65", "chip.chips_y = 65: must be between 1 and 64"},
    {"chip.cores_x", "0", "chip.cores_x = 0: must be between 1 and 256"},
    {"chip.cores_y", "257", "chip.cores_y = 257: must be between 1 and 256"},
    {"chip.cores", "0", "chip.cores = 0: must be between 1 and 65536"},
    {"chip.core_period_ns", "0",
     "chip.core_period_ns = 0: must be greater than 0 and at most 1e+06"},
    {"chip.execution", "\"sideways\"",
     "chip.execution: expected \"in-order\" or \"out-of-order\", got "
     "\"sideways\""},
    {"chip.rob_size", "0", "chip.rob_size = 0: must be between 1 and 65536"},
    {"chip.communication", "\"maybe\"",
     "chip.communication: expected \"sync\" or \"async\", got \"maybe\""},
    {"chip.core_static_power_mw", "-1",
     "chip.core_static_power_mw = -1: must be between 0 and 1e+09"},
    {"crossbar.arrays_per_core", "0",
     "crossbar.arrays_per_core = 0: must be between 1 and 65536"},
    {"crossbar.rows", "0", "crossbar.rows = 0: must be between 1 and 65536"},
    {"crossbar.cols", "70000",
     "crossbar.cols = 70000: must be between 1 and 65536"},
    {"crossbar.cell_bits", "17",
     "crossbar.cell_bits = 17: must be between 1 and 16"},
    {"crossbar.weight_bits", "33",
     "crossbar.weight_bits = 33: must be between 1 and 32"},
    {"crossbar.activation_bits", "0",
     "crossbar.activation_bits = 0: must be between 1 and 32"},
    {"crossbar.signed_pairs", "1",
     "crossbar.signed_pairs: expected true or false, got 1"},
    {"crossbar.dac_bits", "0", "crossbar.dac_bits = 0: must be between 1 and 16"},
    {"crossbar.dac_count", "0",
     "crossbar.dac_count = 0: must be between 1 and 65536"},
    {"crossbar.adc_bits", "17",
     "crossbar.adc_bits = 17: must be between 1 and 16"},
    {"crossbar.adc_count", "0",
     "crossbar.adc_count = 0: must be between 1 and 65536"},
    {"crossbar.period_ns", "-0.5",
     "crossbar.period_ns = -0.5: must be greater than 0 and at most 1e+06"},
    {"crossbar.pipeline", "\"yes\"",
     "crossbar.pipeline: expected true or false, got \"yes\""},
    {"crossbar.read_latency_ns", "0",
     "crossbar.read_latency_ns = 0: must be greater than 0 and at most 1e+09"},
    {"crossbar.dac_latency_cycles", "-1",
     "crossbar.dac_latency_cycles = -1: must be between 0 and 1000000"},
    {"crossbar.sample_hold_latency_cycles", "-1",
     "crossbar.sample_hold_latency_cycles = -1: must be between 0 and "
     "1000000"},
    {"crossbar.adc_latency_cycles", "0",
     "crossbar.adc_latency_cycles = 0: must be between 1 and 1000000"},
    {"crossbar.shift_adder_latency_cycles", "-1",
     "crossbar.shift_adder_latency_cycles = -1: must be between 0 and "
     "1000000"},
    {"crossbar.input_buffer_latency_cycles", "-1",
     "crossbar.input_buffer_latency_cycles = -1: must be between 0 and "
     "1000000"},
    {"crossbar.output_buffer_latency_cycles", "2000000",
     "crossbar.output_buffer_latency_cycles = 2000000: must be between 0 and "
     "1000000"},
    {"crossbar.read_power_mw", "-1",
     "crossbar.read_power_mw = -1: must be between 0 and 1e+09"},
    {"crossbar.dac_power_mw", "-1",
     "crossbar.dac_power_mw = -1: must be between 0 and 1e+09"},
    {"crossbar.sample_hold_power_mw", "-1",
     "crossbar.sample_hold_power_mw = -1: must be between 0 and 1e+09"},
    {"crossbar.adc_power_mw", "-1",
     "crossbar.adc_power_mw = -1: must be between 0 and 1e+09"},
    {"crossbar.adc_static_power_mw", "-1",
     "crossbar.adc_static_power_mw = -1: must be between 0 and 1e+09"},
    {"crossbar.shift_adder_power_mw", "-1",
     "crossbar.shift_adder_power_mw = -1: must be between 0 and 1e+09"},
    {"crossbar.input_buffer_power_mw", "-1",
     "crossbar.input_buffer_power_mw = -1: must be between 0 and 1e+09"},
    {"crossbar.output_buffer_power_mw", "2e9",
     "crossbar.output_buffer_power_mw = 2e+09: must be between 0 and 1e+09"},
    {"vector.width", "0", "vector.width = 0: must be between 1 and 65536"},
    {"vector.latency_cycles", "0",
     "vector.latency_cycles = 0: must be between 1 and 1000000"},
    {"vector.energy_pj", "-1", "vector.energy_pj = -1: must be between 0 and 1e+09"},
    {"vector.static_power_mw", "-1",
     "vector.static_power_mw = -1: must be between 0 and 1e+09"},
    {"local_memory.size_bytes", "0",
     "local_memory.size_bytes = 0: must be between 1 and 1099511627776"},
    {"local_memory.data_width_bytes", "0",
     "local_memory.data_width_bytes = 0: must be between 1 and 65536"},
    {"local_memory.period_ns", "0",
     "local_memory.period_ns = 0: must be greater than 0 and at most 1e+06"},
    {"local_memory.read_latency_cycles", "0",
     "local_memory.read_latency_cycles = 0: must be between 1 and 1000000"},
    {"local_memory.write_latency_cycles", "0",
     "local_memory.write_latency_cycles = 0: must be between 1 and 1000000"},
    {"local_memory.read_energy_pj", "-1",
     "local_memory.read_energy_pj = -1: must be between 0 and 1e+09"},
    {"local_memory.write_energy_pj", "-1",
     "local_memory.write_energy_pj = -1: must be between 0 and 1e+09"},
    {"local_memory.static_power_mw", "-1",
     "local_memory.static_power_mw = -1: must be between 0 and 1e+09"},
    {"global_memory.size_bytes", "2e12",
     "global_memory.size_bytes = 2000000000000: must be between 1 and "
     "1099511627776"},
    {"global_memory.data_width_bytes", "65537",
     "global_memory.data_width_bytes = 65537: must be between 1 and 65536"},
    {"global_memory.period_ns", "-1",
     "global_memory.period_ns = -1: must be greater than 0 and at most 1e+06"},
    {"global_memory.read_latency_cycles", "0",
     "global_memory.read_latency_cycles = 0: must be between 1 and 1000000"},
    {"global_memory.write_latency_cycles", "0",
     "global_memory.write_latency_cycles = 0: must be between 1 and 1000000"},
    {"global_memory.read_energy_pj", "-1",
     "global_memory.read_energy_pj = -1: must be between 0 and 1e+09"},
    {"global_memory.write_energy_pj", "-1",
     "global_memory.write_energy_pj = -1: must be between 0 and 1e+09"},
    {"global_memory.static_power_mw", "-1",
     "global_memory.static_power_mw = -1: must be between 0 and 1e+09"},
    {"noc.topology", "\"torus\"",
     "noc.topology: expected \"mesh\" or \"bus\", got \"torus\""},
    {"noc.link_width_bytes", "0",
     "noc.link_width_bytes = 0: must be between 1 and 65536"},
    {"noc.router_latency_ns", "-1",
     "noc.router_latency_ns = -1: must be between 0 and 1e+09"},
    {"noc.link_latency_ns", "0",
     "noc.link_latency_ns = 0: must be greater than 0 and at most 1e+09"},
    {"noc.flit_energy_pj", "-1",
     "noc.flit_energy_pj = -1: must be between 0 and 1e+09"},
    {"noc.offchip_latency_ns", "-1",
     "noc.offchip_latency_ns = -1: must be between 0 and 1e+09"},
    {"noc.global_memory_node_id", "0",
     "noc.global_memory_node_id = 0: must be between -1000000 and -1"},
};
enum { NRANGES = sizeof ranges / sizeof ranges[0] };

static void test_ranges(void **state) {
  (void)state;
  for (int i = 0; i < NRANGES; i++) {
    char group[32], json[256];
    const char *dot = strchr(ranges[i].key, '.');
    snprintf(group, sizeof group, "%.*s", (int)(dot - ranges[i].key),
             ranges[i].key);
    snprintf(json, sizeof json, "{\"%s\": {\"%s\": %s}}", group, dot + 1,
             ranges[i].value);
    parse_fails(json, ranges[i].want);
  }
  // The table covers every key of the format.
  for (int k = 0; pt_arch_key(k); k++) {
    int found = 0;
    for (int i = 0; i < NRANGES; i++)
      found += !strcmp(ranges[i].key, pt_arch_key(k));
    if (found != 1)
      fail_msg("%s: %d range cases", pt_arch_key(k), found);
  }
}

// pt_arch_validate on a config built in code: the same ranges.
static void test_validate_struct(void **state) {
  (void)state;
  pt_arch a;
  pt_error err = {{0}};
  pt_arch_defaults(&a);
  a.xbar_rows = 0;
  assert_int_not_equal(pt_arch_validate(&a, &err), 0);
  assert_string_equal(err.msg, "crossbar.rows = 0: must be between 1 and 65536");
  pt_arch_defaults(&a);
  a.local.size_bytes = -5;
  assert_int_not_equal(pt_arch_validate(&a, &err), 0);
  assert_msg(&err, "local_memory.size_bytes = -5: must be between 1 and");
  pt_arch_defaults(&a);
  a.exec = (pt_exec)7;
  assert_int_not_equal(pt_arch_validate(&a, &err), 0);
  assert_msg(&err, "chip.execution = 7: not a valid choice");
}

// Relations between fields.
static void test_cross_checks(void **state) {
  (void)state;
  static const struct {
    const char *json, *want;
  } cases[] = {
      {"{\"chip\": {\"cores_x\": 2, \"cores_y\": 2, \"cores\": 5}}",
       "chip.cores = 5: must be at most chip.cores_x x chip.cores_y = 2 x 2 "
       "= 4"},
      {"{\"chip\": {\"execution\": \"out-of-order\"}}",
       "chip.rob_size = 1: an out-of-order core needs at least 2"},
      {"{\"crossbar\": {\"cell_bits\": 4, \"weight_bits\": 2}}",
       "crossbar.cell_bits = 4: must be between 1 and crossbar.weight_bits "
       "= 2"},
      {"{\"crossbar\": {\"dac_bits\": 8, \"activation_bits\": 4}}",
       "crossbar.dac_bits = 8: must be between 1 and "
       "crossbar.activation_bits = 4"},
      {"{\"crossbar\": {\"rows\": 64, \"dac_count\": 128}}",
       "crossbar.dac_count = 128: must be between 1 and crossbar.rows = 64"},
      {"{\"crossbar\": {\"cols\": 8, \"adc_count\": 16}}",
       "crossbar.adc_count = 16: must be between 1 and crossbar.cols = 8"},
      {"{\"crossbar\": {\"arrays_per_core\": 7}}",
       "crossbar.arrays_per_core = 7: must be at least 8, the physical arrays "
       "of one logical crossbar (ceil(weight_bits 16 / cell_bits 2))"},
      {"{\"crossbar\": {\"arrays_per_core\": 12, \"signed_pairs\": true}}",
       "crossbar.arrays_per_core = 12: must be at least 16"},
      {"{\"chip\": {\"chips_x\": 64, \"chips_y\": 64, \"cores_x\": 256, "
       "\"cores_y\": 256}, \"crossbar\": {\"arrays_per_core\": 65536, "
       "\"rows\": 65536, \"cols\": 65536, \"dac_count\": 1}}",
       "total crossbar capacity"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    parse_fails(cases[i].json, cases[i].want);
}

static void test_set(void **state) {
  (void)state;
  pt_arch a;
  pt_error err = {{0}};
  pt_arch_defaults(&a);
  assert_int_equal(pt_arch_set(&a, "crossbar.rows", "256", &err), 0);
  assert_int_equal(a.xbar_rows, 256);
  assert_int_equal(pt_arch_set(&a, "chip.execution", "out-of-order", &err), 0);
  assert_int_equal(pt_arch_set(&a, "chip.rob_size", "8", &err), 0);
  assert_int_equal(a.exec, PT_EXEC_OOO);
  assert_int_equal(pt_arch_set(&a, "noc.topology", "\"bus\"", &err), 0);
  assert_int_equal(a.topology, PT_NOC_BUS);
  assert_int_equal(pt_arch_set(&a, "crossbar.signed_pairs", "true", &err), 0);
  assert_true(a.signed_pairs);
  assert_int_equal(pt_arch_set(&a, "local_memory.size_bytes", "1048576", &err),
                   0);
  assert_int_equal(a.local.size_bytes, 1048576);
  assert_int_equal(pt_arch_validate(&a, &err), 0);

  assert_int_not_equal(pt_arch_set(&a, "crossbar.row", "256", &err), 0);
  assert_msg(&err, "unknown key \"crossbar.row\" (did you mean \"crossbar.rows\"?)");
  assert_int_not_equal(pt_arch_set(&a, "crossbar.rows", "abc", &err), 0);
  assert_msg(&err, "crossbar.rows: expected a positive integer, got \"abc\"");
  assert_int_not_equal(pt_arch_set(&a, "crossbar.rows", "0", &err), 0);
  assert_msg(&err, "crossbar.rows = 0: must be between 1 and 65536");
  assert_int_equal(a.xbar_rows, 256);                   // unchanged
}

// docs/config.md documents every key.
static void test_docs_cover_keys(void **state) {
  (void)state;
  size_t len;
  pt_error err = {{0}};
  unsigned char *doc =
      pt_read_file(PT_SOURCE_DIR "/docs/config.md", &len, &err);
  if (!doc)
    fail_msg("%s", err.msg);
  for (int k = 0; pt_arch_key(k); k++) {
    char want[96];
    snprintf(want, sizeof want, "`%s`", pt_arch_key(k));
    if (!strstr((const char *)doc, want))
      fail_msg("docs/config.md does not document %s", want);
  }
  free(doc);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_isaac),
      cmocka_unit_test(test_puma),
      cmocka_unit_test(test_isscc23),
      cmocka_unit_test(test_pimcomp_default),
      cmocka_unit_test(test_defaults_are_isaac),
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_partial_config),
      cmocka_unit_test(test_remainder),
      cmocka_unit_test(test_seed_style),
      cmocka_unit_test(test_seed_shared),
      cmocka_unit_test(test_seed_defaults),
      cmocka_unit_test(test_seed_errors),
      cmocka_unit_test(test_bad_files),
      cmocka_unit_test(test_bad_text),
      cmocka_unit_test(test_mutations),
      cmocka_unit_test(test_ranges),
      cmocka_unit_test(test_validate_struct),
      cmocka_unit_test(test_cross_checks),
      cmocka_unit_test(test_set),
      cmocka_unit_test(test_docs_cover_keys),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
