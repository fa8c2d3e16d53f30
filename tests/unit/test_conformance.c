// Conformance of the ONNX frontend against the ONNX project's test data
// (Debian libonnx-testdata): for every test whose model uses only op types
// the frontend supports, pt_onnx_load_raw must succeed and the shape it
// infers for the first graph output must equal the dims of
// test_data_set_0/output_0.pb.
//
// Single-operator tests feed everything through graph inputs (the shape of
// a Reshape, the bounds of a Clip, the indices of a Gather ...), where
// exported networks have constants. When the model as written is
// rejected, the test is retried with the test's input values baked in as
// initializers: first every input but the first, then all of them. Tests
// that pass that way are counted separately.
//
// Tests we knowingly reject are listed in allow[] with the reason; an
// allow-listed test that passes is an error too, so the list stays exact.
// Set PT_CONFORMANCE_VERBOSE=1 to see every test.
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compiler/graph.h"
#include "onnx.pb-c.h"

#define F64_RANGE "float64 activations; fed as constants, their values " \
                  "(~1e200) are beyond float32 range, an error"
// ReduceMean is supported over all spatial axes only (global average
// pooling), as networks end with it.
#define MEAN_ALL "ReduceMean over all axes (batch and channels too)"
#define MEAN_AXIS "ReduceMean over the channel axis"
#define MEAN_PART "ReduceMean over one of two spatial axes"
static const struct {
  const char *test, *reason;
} allow[] = {
    {"test_operator_pad", "Pad with mode 'reflect'"},
    {"test_ReflectionPad2d", "Pad with mode 'reflect'"},
    {"test_ReplicationPad2d", "Pad with mode 'edge'"},
    {"test_reflect_pad", "Pad with mode 'reflect'"},
    {"test_edge_pad", "Pad with mode 'edge'"},
    {"test_batchnorm_epsilon_training_mode", "BN training mode outputs"},
    {"test_batchnorm_example_training_mode", "BN training mode outputs"},
    {"test_training_dropout", "Dropout in training mode"},
    {"test_training_dropout_default", "Dropout in training mode"},
    {"test_training_dropout_default_mask", "Dropout in training mode"},
    {"test_training_dropout_mask", "Dropout in training mode"},
    {"test_training_dropout_zero_ratio", "Dropout in training mode"},
    {"test_training_dropout_zero_ratio_mask", "Dropout in training mode"},
    {"test_maxpool_with_argmax_2d_precomputed_pads", "MaxPool Indices output"},
    {"test_maxpool_with_argmax_2d_precomputed_strides",
     "MaxPool Indices output"},
    {"test_maxpool_2d_uint8", "integer (uint8) activations"},
    {"test_clip_default_int8_inbounds", "integer (int8) activations"},
    {"test_clip_default_int8_max", "integer (int8) activations"},
    {"test_clip_default_int8_min", "integer (int8) activations"},
    {"test_cast_FLOAT_to_STRING", "string tensors"},
    {"test_castlike_FLOAT_to_STRING_expanded", "string tensors"},
    {"test_cast_STRING_to_FLOAT", "Cast from a string tensor"},
    {"test_castlike_STRING_to_FLOAT_expanded", "Cast from a string tensor"},
    {"test_operator_add_broadcast", F64_RANGE},
    {"test_operator_add_size1_right_broadcast", F64_RANGE},
    {"test_operator_add_size1_singleton_broadcast", F64_RANGE},
    {"test_operator_addconstant", F64_RANGE},
    {"test_reduce_mean_default_axes_keepdims_example", MEAN_ALL},
    {"test_reduce_mean_default_axes_keepdims_random", MEAN_ALL},
    {"test_reduce_mean_do_not_keepdims_example", MEAN_AXIS},
    {"test_reduce_mean_do_not_keepdims_random", MEAN_AXIS},
    {"test_reduce_mean_keepdims_example", MEAN_AXIS},
    {"test_reduce_mean_keepdims_random", MEAN_AXIS},
    {"test_reduce_mean_negative_axes_keepdims_example", MEAN_AXIS},
    {"test_reduce_mean_negative_axes_keepdims_random", MEAN_AXIS},
    {"test_operator_reduced_mean", MEAN_PART},
    {"test_operator_reduced_mean_keepdim", MEAN_PART},
    {"test_identity_opt", "optional-typed graph input"},
    {"test_identity_sequence", "sequence-typed graph input"},
};

static const char *suites[] = {"node", "pytorch-converted", "pytorch-operator",
                               "simple", "real"};

typedef struct {
  int checked, passed, passed_fed, allowed, failed, unsupported, nodata;
} counts;

static char tmpdir[256];
static bool verbose;

static const char *allowed_reason(const char *test) {
  for (size_t i = 0; i < sizeof allow / sizeof allow[0]; i++)
    if (strcmp(allow[i].test, test) == 0)
      return allow[i].reason;
  return NULL;
}

static bool op_supported(const char *op) {
  const char *list = pt_onnx_supported_ops();
  size_t n = strlen(op);
  for (const char *p = list; (p = strstr(p, op)); p += n)
    if ((p == list || p[-1] == ' ') && (p[n] == ',' || p[n] == 0))
      return true;
  return false;
}

static void *read_all(const char *path, size_t *len) {
  pt_error err;
  return pt_read_file(path, len, &err);
}

static Onnx__TensorProto *read_tensor(const char *path) {
  size_t len;
  unsigned char *buf = read_all(path, &len);
  if (!buf)
    return NULL;
  Onnx__TensorProto *t = onnx__tensor_proto__unpack(NULL, len, buf);
  free(buf);
  return t;
}

// Write the model with the test's input values from index `first` on
// baked in as initializers. Returns 0 when something was frozen.
static int write_fed(Onnx__ModelProto *m, const char *dir, int first,
                     const char *out) {
  Onnx__GraphProto *g = m->graph;
  size_t nold = g->n_initializer;
  Onnx__TensorProto **old = g->initializer;
  Onnx__TensorProto **arr = calloc(nold + g->n_input + 1, sizeof *arr);
  char **names = calloc(g->n_input + 1, sizeof *names);
  if (nold)
    memcpy(arr, old, nold * sizeof *arr);
  size_t n = nold;
  int k = 0, fed = 0;
  for (size_t i = 0; i < g->n_input; i++) {
    bool is_init = false;
    for (size_t j = 0; j < nold; j++)
      is_init = is_init || strcmp(old[j]->name, g->input[i]->name) == 0;
    if (is_init)
      continue;
    if (k++ < first)
      continue;
    char path[2600];
    snprintf(path, sizeof path, "%s/test_data_set_0/input_%d.pb", dir, k - 1);
    Onnx__TensorProto *t = read_tensor(path);
    if (!t)
      continue;
    names[n - nold] = t->name;
    t->name = g->input[i]->name;
    arr[n++] = t;
    fed++;
  }
  g->initializer = arr;
  g->n_initializer = n;
  size_t len = onnx__model_proto__get_packed_size(m);
  uint8_t *buf = malloc(len ? len : 1);
  onnx__model_proto__pack(m, buf);
  g->initializer = old;
  g->n_initializer = nold;
  for (size_t i = nold; i < n; i++) {
    arr[i]->name = names[i - nold];
    onnx__tensor_proto__free_unpacked(arr[i], NULL);
  }
  free(arr);
  free(names);
  FILE *f = fopen(out, "wb");
  bool ok = f && fwrite(buf, 1, len, f) == len;
  if (f)
    fclose(f);
  free(buf);
  return ok && fed ? 0 : -1;
}

// Load and compare the first output's shape; 0 on success, else err.
static int check_shape(const char *model, const Onnx__TensorProto *want,
                       pt_error *err) {
  pt_graph *g = pt_onnx_load_raw(model, NULL, 0, err);
  if (!g)
    return -1;
  const pt_tensor *t = &g->t[g->outputs[0]];
  bool same = (size_t)t->ndim == want->n_dims;
  for (int i = 0; same && i < t->ndim; i++)
    same = t->dims[i] == want->dims[i];
  if (!same) {
    char got[96] = "", exp[96] = ""; // 8 dims of <= 11 characters
    for (int i = 0; i < t->ndim; i++)
      snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld",
               i ? "," : "", (long long)t->dims[i]);
    for (size_t i = 0; i < want->n_dims; i++)
      snprintf(exp + strlen(exp), sizeof exp - strlen(exp), "%s%lld",
               i ? "," : "", (long long)want->dims[i]);
    snprintf(err->msg, sizeof err->msg, "output '%.200s' has shape [%s], "
             "expected [%s]", t->name, got, exp);
  }
  pt_graph_free(g);
  if (same) { // the clean-up and the invariant check must accept it too
    g = pt_onnx_load(model, NULL, 0, err);
    if (!g)
      return -1;
    pt_graph_free(g);
  }
  return same ? 0 : -1;
}

// 0 pass as is, 1 pass with fed inputs, -1 fail (err filled), -2 skipped
// for an unsupported op, -3 no usable test data.
static int run_one(const char *dir, pt_error *err) {
  char path[2600];
  snprintf(path, sizeof path, "%s/model.onnx", dir);
  size_t len;
  unsigned char *buf = read_all(path, &len);
  if (!buf)
    return -3;
  Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, len, buf);
  free(buf);
  if (!m || !m->graph) {
    if (m)
      onnx__model_proto__free_unpacked(m, NULL);
    return -3;
  }
  for (size_t i = 0; i < m->graph->n_node; i++) {
    const Onnx__NodeProto *n = m->graph->node[i];
    if ((n->domain && *n->domain && strcmp(n->domain, "ai.onnx")) ||
        !op_supported(n->op_type)) {
      onnx__model_proto__free_unpacked(m, NULL);
      return -2;
    }
  }
  snprintf(path, sizeof path, "%s/test_data_set_0/output_0.pb", dir);
  Onnx__TensorProto *want = read_tensor(path);
  int r = -3;
  if (want) {
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    r = check_shape(path, want, err);
    for (int first = 1; r && first >= 0; first--) {
      pt_error e2;
      snprintf(path, sizeof path, "%s/fed.onnx", tmpdir);
      if (write_fed(m, dir, first, path) == 0 &&
          check_shape(path, want, &e2) == 0)
        r = 1;
    }
    onnx__tensor_proto__free_unpacked(want, NULL);
  }
  onnx__model_proto__free_unpacked(m, NULL);
  return r;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_suite(const char *suite, counts *c, int *unexpected) {
  char root[1024];
  snprintf(root, sizeof root, "%s/%s", PT_ONNX_TESTDATA, suite);
  DIR *d = opendir(root);
  if (!d)
    return;
  char **names = NULL;
  int n = 0;
  for (struct dirent *e; (e = readdir(d));) {
    if (e->d_name[0] == '.')
      continue;
    names = realloc(names, (n + 1) * sizeof *names);
    names[n++] = strdup(e->d_name);
  }
  closedir(d);
  qsort(names, n, sizeof *names, cmp_str);
  for (int i = 0; i < n; i++) {
    char dir[2048];
    snprintf(dir, sizeof dir, "%s/%s", root, names[i]);
    pt_error err = {{0}};
    int r = run_one(dir, &err);
    const char *why = allowed_reason(names[i]);
    if (r == -2)
      c->unsupported++;
    else if (r == -3)
      c->nodata++;
    else
      c->checked++;
    if (r == 0 || r == 1) {
      r == 0 ? c->passed++ : c->passed_fed++;
      if (why) {
        printf("UNEXPECTED PASS %s/%s: allow-listed (%s); remove it\n", suite,
               names[i], why);
        ++*unexpected;
      } else if (verbose) {
        printf("ok   %s/%s%s%s\n", suite, names[i],
               r ? " (constant-fed inputs; as written: " : "",
               r ? err.msg : "");
      }
    } else if (r == -1 && why) {
      c->allowed++;
      printf("allowed %s/%s: %s\n   %s\n", suite, names[i], why, err.msg);
    } else if (r == -1) {
      c->failed++;
      printf("FAIL %s/%s: %s\n", suite, names[i], err.msg);
      ++*unexpected;
    }
    free(names[i]);
  }
  free(names);
  printf("%-18s checked %4d  passed %4d (+%d with constant-fed inputs)  "
         "allow-listed %2d  failed %2d  skipped: unsupported op %4d, "
         "no model/data %d\n", suite, c->checked, c->passed, c->passed_fed,
         c->allowed, c->failed, c->unsupported, c->nodata);
}

static void test_conformance(void **state) {
  int unexpected = 0;
  counts total = {0};
  for (size_t s = 0; s < sizeof suites / sizeof suites[0]; s++) {
    counts c = {0};
    run_suite(suites[s], &c, &unexpected);
    total.checked += c.checked;
    total.passed += c.passed;
    total.passed_fed += c.passed_fed;
    total.allowed += c.allowed;
    total.failed += c.failed;
    total.unsupported += c.unsupported;
  }
  printf("TOTAL: checked %d, passed %d as written + %d with constant-fed "
         "inputs, allow-listed %d, failed %d, skipped (unsupported op) %d\n",
         total.checked, total.passed, total.passed_fed, total.allowed,
         total.failed, total.unsupported);
  assert_true(total.checked > 0);
  assert_int_equal(unexpected, 0);
}

int main(void) {
  struct stat st;
  if (stat(PT_ONNX_TESTDATA "/node", &st) != 0) {
    printf("skipped: ONNX test data not found at %s (Debian package "
           "libonnx-testdata)\n", PT_ONNX_TESTDATA);
    return 77;
  }
  verbose = getenv("PT_CONFORMANCE_VERBOSE") != NULL;
  snprintf(tmpdir, sizeof tmpdir, "/tmp/pt_conformance_XXXXXX");
  if (!mkdtemp(tmpdir))
    return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_conformance),
  };
  int r = cmocka_run_group_tests(tests, NULL, NULL);
  char path[512];
  snprintf(path, sizeof path, "%s/fed.onnx", tmpdir);
  unlink(path);
  rmdir(tmpdir);
  return r;
}
