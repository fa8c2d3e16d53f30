// ONNX frontend: ModelProto (protobuf-c over the system onnx.proto) -> pt_graph.
//
// The reader walks the graph once, in file order (ONNX requires nodes to be
// topologically sorted):
//
//   1. initializers become constant tensors; their values come from
//      raw_data, the typed fields, or an external data file beside the
//      model. A missing data file makes the model structure-only;
//   2. graph inputs that are not initializers become g->inputs; symbolic
//      dims (dim_param, "batch_size") are read as 1;
//   3. every node is handled by the function named after its op type in
//      ops[]. A node whose inputs are all constant and whose op is a shape
//      computation (Shape, Gather, Unsqueeze, Concat, Reshape, Cast,
//      integer arithmetic ...) is folded: it yields constant tensors
//      (values when its inputs have values) and no pt_node. Every other
//      node becomes a pt_node whose output shape is inferred here.
//
// Every error is one line: "<path>: node '<name>' (<op>): <what>".
#include "graph.h"
#include "onnx.pb-c.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Shapes beyond this many elements are "absurd" and rejected.
#define MAX_NUMEL ((int64_t)1 << 40)
// Constant folding materialises values only up to this many elements.
#define MAX_FOLD ((int64_t)1 << 24)

typedef struct {
  const char *path;
  char dir[4096];             // directory of the model, for external data
  pt_graph *g;
  pt_error *err;
  int64_t opset;              // of the default ("ai.onnx") domain
  char *notice;
  size_t noticelen;
  // The node being read (NULL while reading initializers and inputs).
  const Onnx__NodeProto *np;
  int nidx;
  char nname[160];
  int *in;                    // its inputs as tensor indices, -1 if omitted
  int nin;
} loader;

typedef int (*op_fn)(loader *L);

// ---- errors ----

static void append(char *buf, size_t cap, const char *fmt, va_list ap) {
  size_t k = strlen(buf);
  if (k + 1 < cap)
    vsnprintf(buf + k, cap - k, fmt, ap);
}

static void appendf(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void appendf(char *buf, size_t cap, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  append(buf, cap, fmt, ap);
  va_end(ap);
}

// Report an error about the file, or about the current node when there is
// one. Always returns -1.
static int fail(loader *L, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int fail(loader *L, const char *fmt, ...) {
  if (!L->err)
    return -1;
  char *m = L->err->msg;
  size_t cap = sizeof L->err->msg;
  m[0] = 0;
  appendf(m, cap, "%s: ", L->path);
  if (L->np)
    appendf(m, cap, "node '%s' (%s): ", L->nname, L->np->op_type);
  va_list ap;
  va_start(ap, fmt);
  append(m, cap, fmt, ap);
  va_end(ap);
  return -1;
}

// ---- small helpers ----

static bool numel_ok(const int64_t *dims, int nd, int64_t *numel) {
  int64_t n = 1;
  for (int i = 0; i < nd; i++) {
    if (dims[i] < 0)
      return false;
    if (dims[i] > 0 && n > MAX_NUMEL / dims[i])
      return false;
    n *= dims[i];
  }
  if (numel)
    *numel = n;
  return true;
}

static bool has_vals(const pt_tensor *t) {
  if (!t->is_const)
    return false;
  return t->dtype == PT_I64 ? t->idata != NULL
         : t->dtype == PT_F32 ? t->fdata != NULL : false;
}

static pt_tensor *T(loader *L, int k) { return &L->g->t[L->in[k]]; }

static bool present(loader *L, int k) { return k < L->nin && L->in[k] >= 0; }

static void dims_str(const pt_tensor *t, char *buf, size_t cap) {
  buf[0] = 0;
  appendf(buf, cap, "[");
  for (int i = 0; i < t->ndim; i++)
    appendf(buf, cap, "%s%lld", i ? "," : "", (long long)t->dims[i]);
  appendf(buf, cap, "]");
}

// Check the node has between min and max inputs and that the first min
// are present.
static int need(loader *L, int min, int max) {
  if (L->nin < min || L->nin > max)
    return fail(L, "has %d inputs, expected %d to %d", L->nin, min, max);
  for (int k = 0; k < min; k++)
    if (L->in[k] < 0)
      return fail(L, "required input %d is empty", k);
  return 0;
}

static bool all_const(loader *L) {
  for (int k = 0; k < L->nin; k++)
    if (L->in[k] >= 0 && !L->g->t[L->in[k]].is_const)
      return false;
  return true;
}

static int norm_axis(loader *L, int64_t axis, int rank, const char *what,
                     int *out) {
  *out = 0;
  if (axis < -rank || axis >= rank)
    return fail(L, "%s %lld is out of range for rank %d", what,
                (long long)axis, rank);
  *out = (int)(axis < 0 ? axis + rank : axis);
  return 0;
}

// ---- attributes ----

static const Onnx__AttributeProto *attr(loader *L, const char *name) {
  for (size_t i = 0; i < L->np->n_attribute; i++)
    if (L->np->attribute[i]->name &&
        strcmp(L->np->attribute[i]->name, name) == 0)
      return L->np->attribute[i];
  return NULL;
}

static bool attr_is(const Onnx__AttributeProto *a,
                    Onnx__AttributeProto__AttributeType ty, bool set) {
  return a->has_type ? a->type == ty : set;
}

static int attr_i(loader *L, const char *name, int64_t def, int64_t *v) {
  const Onnx__AttributeProto *a = attr(L, name);
  *v = def;
  if (!a)
    return 0;
  if (!attr_is(a, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT, a->has_i))
    return fail(L, "attribute '%s' must be an integer", name);
  *v = a->i;
  return 0;
}

static int attr_f(loader *L, const char *name, float def, float *v) {
  const Onnx__AttributeProto *a = attr(L, name);
  *v = def;
  if (!a)
    return 0;
  if (!attr_is(a, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT, a->has_f))
    return fail(L, "attribute '%s' must be a float", name);
  *v = a->f;
  return 0;
}

// Read an INTS attribute into v (at most max values); *n = -1 if absent.
static int attr_ints(loader *L, const char *name, int64_t *v, int max,
                     int *n) {
  const Onnx__AttributeProto *a = attr(L, name);
  *n = -1;
  if (!a)
    return 0;
  if (!attr_is(a, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS, true))
    return fail(L, "attribute '%s' must be a list of integers", name);
  if (a->n_ints > (size_t)max)
    return fail(L, "attribute '%s' has %zu values, at most %d supported",
                name, a->n_ints, max);
  for (size_t i = 0; i < a->n_ints; i++)
    v[i] = a->ints[i];
  *n = (int)a->n_ints;
  return 0;
}

static int attr_s(loader *L, const char *name, const char *def, char *buf,
                  size_t cap) {
  const Onnx__AttributeProto *a = attr(L, name);
  snprintf(buf, cap, "%s", def);
  if (!a)
    return 0;
  if (!attr_is(a, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING, a->has_s))
    return fail(L, "attribute '%s' must be a string", name);
  size_t n = a->s.len < cap - 1 ? a->s.len : cap - 1;
  if (n)
    memcpy(buf, a->s.data, n);
  buf[n] = 0;
  return 0;
}

// ---- tensors ----

// Create the tensor for output k of the current node.
static int add_out(loader *L, int k, pt_dtype dt, int nd, const int64_t *dims,
                   bool is_const) {
  if (k >= (int)L->np->n_output || !L->np->output[k][0])
    return fail(L, "output %d has no name", k);
  const char *name = L->np->output[k];
  if (nd > PT_MAX_DIMS)
    return fail(L, "output '%s' would have rank %d, at most %d supported",
                name, nd, PT_MAX_DIMS);
  if (!numel_ok(dims, nd, NULL))
    return fail(L, "output '%s' would have an absurd shape (negative or "
                "more than 2^40 elements)", name);
  if (pt_graph_find_tensor(L->g, name) >= 0)
    return fail(L, "tensor '%s' is defined twice", name);
  int ti = pt_graph_add_tensor(L->g, name, dt, nd, dims);
  L->g->t[ti].is_const = is_const;
  return ti;
}

static void init_attrs(pt_attrs *a) {
  memset(a, 0, sizeof *a);
  a->alpha = a->beta = 1.0f;
  a->group = 1;
  for (int i = 0; i < PT_MAX_DIMS; i++)
    a->perm[i] = i;
}

// Append a pt_node with the given inputs and one float32 output of shape
// dims. Every input must be float32. Returns the node index or -1.
static int emit_out(loader *L, int k_out, const char *name, pt_op op,
                    const int *ins, int nin, int nd, const int64_t *dims,
                    const pt_attrs *a);

static int emit(loader *L, pt_op op, const int *ins, int nin, int nd,
                const int64_t *dims, const pt_attrs *a) {
  return emit_out(L, 0, L->np->name, op, ins, nin, nd, dims, a);
}

// emit() for output k_out of the current node, as a node called name
// (NULL or empty: "<op>_<index>").
static int emit_out(loader *L, int k_out, const char *name, pt_op op,
                    const int *ins, int nin, int nd, const int64_t *dims,
                    const pt_attrs *a) {
  for (int k = 0; k < nin; k++) {
    if (ins[k] < 0)
      continue;
    const pt_tensor *t = &L->g->t[ins[k]];
    if (t->dtype != PT_F32)
      return fail(L, "input '%s' is not float32 (%s); only float "
                  "activations and weights are supported", t->name,
                  t->dtype == PT_I64 ? "an integer type" : "another type");
  }
  if (nin > PT_MAX_IN)
    return fail(L, "has %d inputs, at most %d supported", nin, PT_MAX_IN);
  int ni = pt_graph_add_node(L->g, name, L->nidx, op);
  pt_node *n = &L->g->n[ni];
  if (a)
    n->a = *a;
  n->nin = nin;
  for (int k = 0; k < nin; k++)
    n->in[k] = ins[k];
  int to = add_out(L, k_out, PT_F32, nd, dims, false);
  if (to < 0)
    return -1;
  n = &L->g->n[ni];
  n->nout = 1;
  n->out[0] = to;
  L->g->t[to].producer = ni;
  return ni;
}

// A constant output whose element i is element map[i] of tensor src (map
// NULL: the same index). Values are copied when src has them.
static int const_map(loader *L, int k, int src, int nd, const int64_t *dims,
                     const int64_t *map) {
  pt_dtype dt = L->g->t[src].dtype;
  int to = add_out(L, k, dt, nd, dims, true);
  if (to < 0)
    return -1;
  pt_tensor *s = &L->g->t[src], *d = &L->g->t[to];
  int64_t n = pt_tensor_numel(d);
  if (!has_vals(s) || n > MAX_FOLD)
    return to;
  if (dt == PT_F32) {
    d->fdata = pt_malloc(n * sizeof *d->fdata);
    for (int64_t i = 0; i < n; i++)
      d->fdata[i] = s->fdata[map ? map[i] : i];
  } else {
    d->idata = pt_malloc(n * sizeof *d->idata);
    for (int64_t i = 0; i < n; i++)
      d->idata[i] = s->idata[map ? map[i] : i];
  }
  return to;
}

// Source index of each element of an output of shape odims, where the
// source element is base + sum(i[a] * coef[a]). Used by Slice and
// Transpose folding. The caller frees the map.
static int64_t *affine_map(int nd, const int64_t *odims, int64_t base,
                           const int64_t *coef) {
  int64_t n = 1;
  for (int a = 0; a < nd; a++)
    n *= odims[a];
  int64_t *map = pt_malloc((n ? n : 1) * sizeof *map);
  int64_t idx[PT_MAX_DIMS] = {0};
  for (int64_t i = 0; i < n; i++) {
    int64_t s = base;
    for (int a = 0; a < nd; a++)
      s += idx[a] * coef[a];
    map[i] = s;
    for (int a = nd - 1; a >= 0; a--) {
      if (++idx[a] < odims[a])
        break;
      idx[a] = 0;
    }
  }
  return map;
}

static void strides_of(const pt_tensor *t, int64_t *st) {
  int64_t s = 1;
  for (int a = t->ndim - 1; a >= 0; a--) {
    st[a] = s;
    s *= t->dims[a];
  }
}

// Integer values of a constant input (e.g. a shape or axes); *n receives
// their count. Fails when the input is not a constant with known values.
static int int_input(loader *L, int k, const char *what, const int64_t **v,
                     int64_t *n) {
  const pt_tensor *t = T(L, k);
  if (!t->is_const)
    return fail(L, "input '%s' (%s) must be a constant; a computed %s is "
                "not supported", t->name, what, what);
  if (t->dtype != PT_I64 || !t->idata)
    return fail(L, "input '%s' (%s) must be a constant integer tensor with "
                "known values", t->name, what);
  *v = t->idata;
  *n = pt_tensor_numel(t);
  return 0;
}

static int float_scalar_input(loader *L, int k, const char *what, float *v) {
  const pt_tensor *t = T(L, k);
  if (!t->is_const || !has_vals(t) || pt_tensor_numel(t) != 1)
    return fail(L, "input '%s' (%s) must be a constant scalar; a computed "
                "%s is not supported", t->name, what, what);
  *v = t->dtype == PT_F32 ? t->fdata[0] : (float)t->idata[0];
  return 0;
}

// ---- reading TensorProto data ----

static uint64_t rd_le(const uint8_t *p, int size) {
  uint64_t v = 0;
  for (int i = size - 1; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

static float half_to_float(uint16_t h) {
  int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
  float v;
  if (e == 0)
    v = ldexpf((float)m, -24);
  else if (e == 31)
    v = m ? NAN : INFINITY;
  else
    v = ldexpf((float)(m | 1024), e - 25);
  return s ? -v : v;
}

// The float nearest to x among the float16 values (ties to even, with
// subnormals; beyond the largest, 65504, infinity), held as a float.
static float round_half(float x) {
  if (isnan(x) || isinf(x))
    return x;
  double a = fabs((double)x);
  if (a >= 65520.0) // halfway between 65504 and 2^16 rounds to infinity
    return x < 0 ? -INFINITY : INFINITY;
  int ex;
  frexp(a, &ex); // a = m * 2^ex, m in [0.5, 1)
  // The spacing of float16 values near a: 10 fraction bits, and no
  // finer than 2^-24 (the subnormals).
  int q = ex - 11 < -24 ? -24 : ex - 11;
  double r = ldexp(rint(ldexp(a, -q)), q); // rint: ties to even
  return (float)(x < 0 ? -r : r);
}

// The float nearest to x among the bfloat16 values (ties to even).
static float round_bf16(float x) {
  if (isnan(x))
    return x;
  uint32_t u;
  memcpy(&u, &x, sizeof u);
  u += 0x7fff + ((u >> 16) & 1);
  u &= 0xffff0000u;
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

static float bf16_to_float(uint16_t h) {
  uint32_t u = (uint32_t)h << 16;
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

// Element size in bytes and IR dtype of an ONNX data type; 0 when the
// type cannot be held (strings, complex).
static int elem_info(int32_t ty, pt_dtype *dt) {
  switch (ty) {
  case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: *dt = PT_F32; return 4;
  case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: *dt = PT_F32; return 8;
  case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16: *dt = PT_F32; return 2;
  case ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16: *dt = PT_F32; return 2;
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: *dt = PT_I64; return 8;
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64: *dt = PT_I64; return 8;
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: *dt = PT_I64; return 4;
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32: *dt = PT_I64; return 4;
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT16: *dt = PT_I64; return 2;
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16: *dt = PT_I64; return 2;
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT8: *dt = PT_I64; return 1;
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8: *dt = PT_I64; return 1;
  case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL: *dt = PT_I64; return 1;
  default: *dt = PT_OTHER; return 0;
  }
}

// A float64 value as the IR's float32; a finite value beyond float32's
// range is an error naming the tensor (it would silently become inf).
static int from_double(loader *L, const pt_tensor *t, double d, float *f) {
  if (isfinite(d) && fabs(d) > FLT_MAX)
    return fail(L, "tensor '%s': float64 value %g is beyond the float32 "
                "range (values are held as float32)", t->name, d);
  *f = (float)d;
  return 0;
}

// Decode n little-endian elements of ONNX type ty from raw bytes.
static int decode_raw(loader *L, int32_t ty, const uint8_t *p, int64_t n,
                      pt_tensor *t) {
  pt_dtype dt;
  int sz = elem_info(ty, &dt);
  if (dt == PT_F32)
    t->fdata = pt_malloc((n ? n : 1) * sizeof *t->fdata);
  else
    t->idata = pt_malloc((n ? n : 1) * sizeof *t->idata);
  for (int64_t i = 0; i < n; i++) {
    uint64_t u = rd_le(p + i * sz, sz);
    switch (ty) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: {
      uint32_t w = (uint32_t)u;
      memcpy(&t->fdata[i], &w, 4);
      break;
    }
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: {
      double d;
      memcpy(&d, &u, 8);
      if (from_double(L, t, d, &t->fdata[i]))
        return -1;
      break;
    }
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16:
      t->fdata[i] = half_to_float((uint16_t)u);
      break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16:
      t->fdata[i] = bf16_to_float((uint16_t)u);
      break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
      t->idata[i] = (int32_t)(uint32_t)u;
      break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT16:
      t->idata[i] = (int16_t)(uint16_t)u;
      break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT8:
      t->idata[i] = (int8_t)(uint8_t)u;
      break;
    default: // int64 and the unsigned types
      t->idata[i] = (int64_t)u;
      break;
    }
  }
  return 0;
}

static int parse_i64(const char *s, int64_t *v) {
  char *end;
  errno = 0;
  long long x = strtoll(s, &end, 10);
  if (errno || end == s || *end || x < 0)
    return -1;
  *v = x;
  return 0;
}

static void set_notice(loader *L, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_notice(loader *L, const char *fmt, ...) {
  L->g->has_weights = false;
  if (!L->notice || !L->noticelen || L->notice[0])
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(L->notice, L->noticelen, fmt, ap);
  va_end(ap);
}

// Values of an external tensor: read from the file named by its
// "location" relative to the model's directory. A missing or short file
// leaves the tensor without values (structure-only) and sets the notice.
static int read_external(loader *L, const Onnx__TensorProto *tp, pt_tensor *t,
                         int esize, int64_t n) {
  const char *loc = NULL;
  int64_t off = 0, len = -1;
  for (size_t i = 0; i < tp->n_external_data; i++) {
    const char *k = tp->external_data[i]->key, *v = tp->external_data[i]->value;
    if (!k || !v)
      continue;
    if (strcmp(k, "location") == 0)
      loc = v;
    else if (strcmp(k, "offset") == 0 && parse_i64(v, &off))
      return fail(L, "initializer '%s': external data offset '%s' is not a "
                  "non-negative integer", t->name, v);
    else if (strcmp(k, "length") == 0 && parse_i64(v, &len))
      return fail(L, "initializer '%s': external data length '%s' is not a "
                  "non-negative integer", t->name, v);
  }
  if (!loc || !*loc)
    return fail(L, "initializer '%s': external data has no location",
                t->name);
  if (loc[0] == '/' || strstr(loc, ".."))
    return fail(L, "initializer '%s': external data location '%s' must be a "
                "path inside the model's directory", t->name, loc);
  int64_t want = n * esize;
  if (len < 0)
    len = want;
  if (len != want)
    return fail(L, "initializer '%s': external data length %lld does not "
                "match its shape (%lld bytes)", t->name, (long long)len,
                (long long)want);
  char file[8192];
  snprintf(file, sizeof file, "%s%s", L->dir, loc);
  FILE *f = fopen(file, "rb");
  if (!f) {
    set_notice(L, "%s: weights file '%s' not found; read structure only",
               L->path, loc);
    return 0;
  }
  int64_t size = -1;
  if (fseek(f, 0, SEEK_END) == 0)
    size = ftell(f);
  if (size < 0 || off > size || len > size - off) {
    fclose(f);
    set_notice(L, "%s: weights file '%s' is too short for initializer '%s'; "
               "read structure only", L->path, loc, t->name);
    return 0;
  }
  uint8_t *buf = pt_malloc(len ? len : 1);
  bool ok = fseek(f, (long)off, SEEK_SET) == 0 &&
            fread(buf, 1, len, f) == (size_t)len;
  fclose(f);
  if (!ok) {
    free(buf);
    return fail(L, "initializer '%s': cannot read %lld bytes at offset %lld "
                "of '%s'", t->name, (long long)len, (long long)off, file);
  }
  int rc = decode_raw(L, tp->data_type, buf, n, t);
  free(buf);
  return rc;
}

// Fill the values of constant tensor t from tp.
static int tensor_values(loader *L, const Onnx__TensorProto *tp, pt_tensor *t,
                         int esize) {
  int64_t n = pt_tensor_numel(t);
  int32_t ty = tp->data_type;
  if (tp->has_data_location &&
      tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
    return read_external(L, tp, t, esize, n);
  if (tp->has_raw_data) {
    if ((int64_t)tp->raw_data.len != n * esize)
      return fail(L, "tensor '%s': raw_data has %zu bytes, its shape needs "
                  "%lld", t->name, tp->raw_data.len, (long long)(n * esize));
    return decode_raw(L, ty, tp->raw_data.data, n, t);
  }
  size_t have;
  switch (ty) {
  case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: have = tp->n_float_data; break;
  case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: have = tp->n_double_data; break;
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: have = tp->n_int64_data; break;
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64:
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32: have = tp->n_uint64_data; break;
  default: have = tp->n_int32_data; break;
  }
  if ((int64_t)have != n)
    return fail(L, "tensor '%s': has %zu values, its shape needs %lld",
                t->name, have, (long long)n);
  if (t->dtype == PT_F32)
    t->fdata = pt_malloc((n ? n : 1) * sizeof *t->fdata);
  else
    t->idata = pt_malloc((n ? n : 1) * sizeof *t->idata);
  for (int64_t i = 0; i < n; i++) {
    switch (ty) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
      t->fdata[i] = tp->float_data[i];
      break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
      if (from_double(L, t, tp->double_data[i], &t->fdata[i]))
        return -1;
      break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16:
      t->fdata[i] = half_to_float((uint16_t)tp->int32_data[i]);
      break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16:
      t->fdata[i] = bf16_to_float((uint16_t)tp->int32_data[i]);
      break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
      t->idata[i] = tp->int64_data[i];
      break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64:
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32:
      t->idata[i] = (int64_t)tp->uint64_data[i];
      break;
    default:
      t->idata[i] = tp->int32_data[i];
      break;
    }
  }
  return 0;
}

// A constant tensor from a TensorProto (initializer or Constant value).
// out_k >= 0: it is output out_k of the current node; else it is named
// by tp->name. Returns the tensor index or -1.
static int make_const(loader *L, const Onnx__TensorProto *tp, int out_k) {
  const char *name = out_k >= 0 ? L->np->output[out_k] : tp->name;
  if (!name || !*name)
    return fail(L, "an initializer has no name");
  if (tp->n_dims > PT_MAX_DIMS)
    return fail(L, "tensor '%s' has rank %zu, at most %d supported", name,
                tp->n_dims, PT_MAX_DIMS);
  int64_t dims[PT_MAX_DIMS];
  for (size_t i = 0; i < tp->n_dims; i++)
    dims[i] = tp->dims[i];
  int nd = (int)tp->n_dims;
  if (!numel_ok(dims, nd, NULL))
    return fail(L, "tensor '%s' has an absurd shape (negative dims or more "
                "than 2^40 elements)", name);
  pt_dtype dt;
  int esize = elem_info(tp->data_type, &dt);
  int ti;
  if (out_k >= 0) {
    ti = add_out(L, out_k, dt, nd, dims, true);
    if (ti < 0)
      return -1;
  } else {
    if (pt_graph_find_tensor(L->g, name) >= 0)
      return fail(L, "initializer '%s' is defined twice", name);
    ti = pt_graph_add_tensor(L->g, name, dt, nd, dims);
    L->g->t[ti].is_const = true;
  }
  if (esize == 0)
    return ti; // strings and the like: a constant without values
  return tensor_values(L, tp, &L->g->t[ti], esize) ? -1 : ti;
}

// ---- spatial shape inference (Conv and pooling) ----

// Fill strides, dilations and pads of a (kernel already set) and compute
// the spatial output dims from in[]. ceil_mode only for pooling.
static int spatial_out(loader *L, pt_attrs *a, const int64_t *in,
                       int64_t *out) {
  int ns = a->nspatial, n;
  int64_t v[6];
  for (int i = 0; i < ns; i++) {
    a->stride[i] = a->dilation[i] = 1;
    a->pad_begin[i] = a->pad_end[i] = 0;
  }
  if (attr_ints(L, "strides", v, 3, &n))
    return -1;
  if (n >= 0 && n != ns)
    return fail(L, "attribute 'strides' has %d values, expected %d", n, ns);
  for (int i = 0; i < n; i++)
    a->stride[i] = v[i];
  if (attr_ints(L, "dilations", v, 3, &n))
    return -1;
  if (n >= 0 && n != ns)
    return fail(L, "attribute 'dilations' has %d values, expected %d", n, ns);
  for (int i = 0; i < n; i++)
    a->dilation[i] = v[i];
  if (attr_ints(L, "pads", v, 6, &n))
    return -1;
  if (n >= 0 && n != 2 * ns)
    return fail(L, "attribute 'pads' has %d values, expected %d", n, 2 * ns);
  for (int i = 0; i < n; i++)
    (i < ns ? a->pad_begin : a->pad_end)[i % ns] = v[i];
  char ap[32];
  if (attr_s(L, "auto_pad", "NOTSET", ap, sizeof ap))
    return -1;
  bool same_up = !strcmp(ap, "SAME_UPPER"), same_lo = !strcmp(ap, "SAME_LOWER");
  bool valid = !strcmp(ap, "VALID");
  if (!same_up && !same_lo && !valid && strcmp(ap, "NOTSET") && *ap)
    return fail(L, "attribute 'auto_pad' is '%s'; supported: NOTSET, "
                "SAME_UPPER, SAME_LOWER, VALID", ap);
  for (int i = 0; i < ns; i++) {
    int64_t k = a->kernel[i], s = a->stride[i], d = a->dilation[i];
    if (k < 1 || s < 1 || d < 1 || s > MAX_NUMEL || k > MAX_NUMEL ||
        (k - 1) > MAX_NUMEL / d)
      return fail(L, "kernel %lld, stride %lld and dilation %lld of spatial "
                  "axis %d must be positive", (long long)k, (long long)s,
                  (long long)d, i);
    int64_t ek = (k - 1) * d + 1;
    if (same_up || same_lo) {
      out[i] = pt_ceil_div(in[i], s);
      int64_t total = (out[i] - 1) * s + ek - in[i];
      if (total < 0)
        total = 0;
      a->pad_begin[i] = same_up ? total / 2 : total - total / 2;
      a->pad_end[i] = total - a->pad_begin[i];
      continue;
    }
    if (valid)
      a->pad_begin[i] = a->pad_end[i] = 0;
    int64_t pb = a->pad_begin[i], pe = a->pad_end[i];
    if (pb < 0 || pe < 0 || pb > MAX_NUMEL || pe > MAX_NUMEL)
      return fail(L, "pads of spatial axis %d must be non-negative", i);
    int64_t span = in[i] + pb + pe - ek;
    if (span < 0)
      return fail(L, "kernel extent %lld exceeds the padded input (%lld) on "
                  "spatial axis %d", (long long)ek, (long long)(in[i] + pb + pe),
                  i);
    if (a->ceil_mode) {
      out[i] = pt_ceil_div(span, s) + 1;
      // The last window must start inside the input or the begin padding.
      if ((out[i] - 1) * s >= in[i] + pb)
        out[i]--;
    } else {
      out[i] = span / s + 1;
    }
  }
  return 0;
}

// ---- operators ----

static int op_conv(loader *L) {
  if (need(L, 2, 3))
    return -1;
  pt_tensor *x = T(L, 0), *w = T(L, 1);
  int nd = x->ndim;
  if (nd < 3 || nd > 5)
    return fail(L, "input '%s' has rank %d; Conv supports 1 to 3 spatial "
                "dims (rank 3 to 5)", x->name, nd);
  if (w->ndim != nd)
    return fail(L, "weight '%s' has rank %d, input '%s' has rank %d",
                w->name, w->ndim, x->name, nd);
  pt_attrs a;
  init_attrs(&a);
  a.nspatial = nd - 2;
  if (attr_i(L, "group", 1, &a.group))
    return -1;
  if (a.group < 1 || w->dims[0] < 1 || w->dims[0] % a.group)
    return fail(L, "attribute 'group' is %lld; it must be positive and "
                "divide the %lld output channels", (long long)a.group,
                (long long)w->dims[0]);
  if (x->dims[1] != w->dims[1] * a.group)
    return fail(L, "channel mismatch: input '%s' has %lld channels, weight "
                "'%s' expects %lld x group %lld", x->name,
                (long long)x->dims[1], w->name, (long long)w->dims[1],
                (long long)a.group);
  int64_t ks[3];
  int n;
  if (attr_ints(L, "kernel_shape", ks, 3, &n))
    return -1;
  for (int i = 0; i < a.nspatial; i++) {
    a.kernel[i] = w->dims[2 + i];
    if (n >= 0 && (n != a.nspatial || ks[i] != a.kernel[i]))
      return fail(L, "attribute 'kernel_shape' does not match weight '%s'",
                  w->name);
  }
  if (present(L, 2)) {
    pt_tensor *b = T(L, 2);
    if (b->ndim != 1 || b->dims[0] != w->dims[0])
      return fail(L, "bias '%s' must have shape [%lld]", b->name,
                  (long long)w->dims[0]);
  }
  int64_t out[PT_MAX_DIMS];
  out[0] = x->dims[0];
  out[1] = w->dims[0];
  if (spatial_out(L, &a, x->dims + 2, out + 2))
    return -1;
  for (int i = 0; i < a.nspatial; i++)
    if (out[2 + i] < 1)
      return fail(L, "output spatial dim %d would be %lld", i,
                  (long long)out[2 + i]);
  return emit(L, PT_OP_CONV, L->in, L->nin, nd, out, &a) < 0 ? -1 : 0;
}

static int pool(loader *L, pt_op op) {
  if (need(L, 1, 1))
    return -1;
  if (L->np->n_output > 1 && L->np->output[1][0])
    return fail(L, "the optional Indices output is not supported");
  pt_tensor *x = T(L, 0);
  int nd = x->ndim;
  if (nd < 3 || nd > 5)
    return fail(L, "input '%s' has rank %d; pooling supports 1 to 3 spatial "
                "dims (rank 3 to 5)", x->name, nd);
  pt_attrs a;
  init_attrs(&a);
  a.nspatial = nd - 2;
  int64_t ks[3], v;
  int n;
  if (attr_ints(L, "kernel_shape", ks, 3, &n))
    return -1;
  if (n != a.nspatial)
    return fail(L, "attribute 'kernel_shape' must have %d values", a.nspatial);
  memcpy(a.kernel, ks, sizeof ks);
  if (attr_i(L, "ceil_mode", 0, &v))
    return -1;
  a.ceil_mode = v != 0;
  if (attr_i(L, "count_include_pad", 0, &v))
    return -1;
  a.count_include_pad = v != 0;
  if (op == PT_OP_MAXPOOL) {
    if (attr_i(L, "storage_order", 0, &v))
      return -1;
  }
  int64_t out[PT_MAX_DIMS];
  out[0] = x->dims[0];
  out[1] = x->dims[1];
  if (spatial_out(L, &a, x->dims + 2, out + 2))
    return -1;
  for (int i = 0; i < a.nspatial; i++)
    if (out[2 + i] < 1)
      return fail(L, "output spatial dim %d would be %lld", i,
                  (long long)out[2 + i]);
  return emit(L, op, L->in, 1, nd, out, &a) < 0 ? -1 : 0;
}

static int op_maxpool(loader *L) { return pool(L, PT_OP_MAXPOOL); }
static int op_avgpool(loader *L) { return pool(L, PT_OP_AVGPOOL); }

static int global_pool(loader *L, pt_op op) {
  if (need(L, 1, 1))
    return -1;
  pt_tensor *x = T(L, 0);
  if (x->ndim < 3)
    return fail(L, "input '%s' has rank %d, expected at least 3", x->name,
                x->ndim);
  int64_t out[PT_MAX_DIMS];
  int nd = x->ndim;
  for (int i = 0; i < nd; i++)
    out[i] = i < 2 ? x->dims[i] : 1;
  pt_attrs a;
  init_attrs(&a);
  a.nspatial = nd - 2 <= 3 ? nd - 2 : 3;
  return emit(L, op, L->in, 1, nd, out, &a) < 0 ? -1 : 0;
}

static int op_gap(loader *L) { return global_pool(L, PT_OP_GLOBALAVG); }

static int identity(loader *L);

// ReduceMean over all spatial axes (2 ..) of an [N, C, ...] input is
// global average pooling: a GLOBALAVG node whose output keeps the
// ReduceMean's shape ([N, C] with keepdims = 0). Other axes are not
// supported.
static int op_reducemean(loader *L) {
  if (need(L, 1, L->opset < 18 ? 1 : 2))
    return -1;
  pt_tensor *x = T(L, 0);
  int64_t axes[PT_MAX_DIMS], keep, noop = 0;
  int n = -1;
  if (attr_i(L, "keepdims", 1, &keep))
    return -1;
  if (L->opset < 18) {
    if (attr_ints(L, "axes", axes, PT_MAX_DIMS, &n))
      return -1;
  } else {
    if (attr_i(L, "noop_with_empty_axes", 0, &noop))
      return -1;
    if (present(L, 1)) {
      const int64_t *v = NULL;
      int64_t cnt = 0;
      if (int_input(L, 1, "axes", &v, &cnt))
        return -1;
      if (cnt > PT_MAX_DIMS)
        return fail(L, "too many axes (%lld)", (long long)cnt);
      memcpy(axes, v, cnt * sizeof *v);
      n = (int)cnt;
    }
  }
  if (n <= 0 && noop)
    return identity(L);
  int nd = x->ndim;
  bool red[PT_MAX_DIMS] = {false};
  char list[128] = "all axes";
  if (n > 0)
    snprintf(list, sizeof list, "axes [");
  for (int i = 0; i < n; i++) {
    int a;
    if (norm_axis(L, axes[i], nd, "axis", &a))
      return -1;
    red[a] = true;
    appendf(list, sizeof list, "%s%d%s", i ? "," : "", a,
            i == n - 1 ? "]" : "");
  }
  bool spatial = nd >= 3 && n > 0;
  for (int a = 0; a < nd; a++)
    spatial = spatial && red[a] == (a >= 2);
  if (!spatial)
    return fail(L, "ReduceMean over %s of '%s' (rank %d) is not "
                "supported; only over all spatial axes (2 to the last, as "
                "global average pooling)", list, x->name, nd);
  int64_t dims[PT_MAX_DIMS];
  int od = keep ? nd : 2;
  for (int a = 0; a < od; a++)
    dims[a] = a < 2 ? x->dims[a] : 1;
  pt_attrs a;
  init_attrs(&a);
  a.nspatial = nd - 2 <= 3 ? nd - 2 : 3;
  return emit(L, PT_OP_GLOBALAVG, L->in, 1, od, dims, &a) < 0 ? -1 : 0;
}
static int op_gmp(loader *L) { return global_pool(L, PT_OP_GLOBALMAX); }

// Numpy broadcasting of two shapes.
static int bcast(loader *L, const pt_tensor *x, const pt_tensor *y, int *nd,
                 int64_t *out) {
  int n = x->ndim > y->ndim ? x->ndim : y->ndim;
  for (int i = 0; i < n; i++) {
    int ix = x->ndim - n + i, iy = y->ndim - n + i;
    int64_t dx = ix >= 0 ? x->dims[ix] : 1, dy = iy >= 0 ? y->dims[iy] : 1;
    if (dx != dy && dx != 1 && dy != 1) {
      char sx[128], sy[128];
      dims_str(x, sx, sizeof sx);
      dims_str(y, sy, sizeof sy);
      return fail(L, "shapes of '%s' %s and '%s' %s do not broadcast",
                  x->name, sx, y->name, sy);
    }
    out[i] = dx == 1 ? dy : dx;
  }
  *nd = n;
  return 0;
}

static int op_gemm(loader *L) {
  if (need(L, 2, 3))
    return -1;
  pt_tensor *A = T(L, 0), *B = T(L, 1);
  pt_attrs a;
  init_attrs(&a);
  int64_t ta, tb;
  if (attr_i(L, "transA", 0, &ta) || attr_i(L, "transB", 0, &tb) ||
      attr_f(L, "alpha", 1.0f, &a.alpha) || attr_f(L, "beta", 1.0f, &a.beta))
    return -1;
  a.trans_a = ta != 0;
  a.trans_b = tb != 0;
  if (A->ndim != 2 || B->ndim != 2)
    return fail(L, "inputs '%s' (rank %d) and '%s' (rank %d) must be 2D",
                A->name, A->ndim, B->name, B->ndim);
  int64_t M = A->dims[a.trans_a ? 1 : 0], K = A->dims[a.trans_a ? 0 : 1];
  int64_t K2 = B->dims[a.trans_b ? 1 : 0], N = B->dims[a.trans_b ? 0 : 1];
  if (K != K2)
    return fail(L, "inner dims differ: '%s' gives %lld, '%s' gives %lld",
                A->name, (long long)K, B->name, (long long)K2);
  int64_t out[2] = {M, N};
  if (present(L, 2)) {
    pt_tensor *C = T(L, 2);
    pt_tensor y = {.ndim = 2, .dims = {M, N}, .name = "Y"};
    int bnd;
    int64_t bd[PT_MAX_DIMS];
    if (C->ndim > 2 || bcast(L, C, &y, &bnd, bd) || bd[0] != M || bd[1] != N)
      return fail(L, "bias '%s' does not broadcast to [%lld,%lld]", C->name,
                  (long long)M, (long long)N);
  }
  pt_op op = B->is_const ? PT_OP_FC : PT_OP_MATMUL;
  return emit(L, op, L->in, L->nin, 2, out, &a) < 0 ? -1 : 0;
}

static int op_matmul(loader *L) {
  if (need(L, 2, 2))
    return -1;
  pt_tensor *A = T(L, 0), *B = T(L, 1);
  if (A->ndim < 1 || B->ndim < 1)
    return fail(L, "inputs must have rank >= 1");
  // 1-D operands are promoted to matrices and the added dim removed.
  pt_tensor a = *A, b = *B;
  if (a.ndim == 1) {
    a.ndim = 2, a.dims[1] = a.dims[0], a.dims[0] = 1;
  }
  if (b.ndim == 1)
    b.ndim = 2, b.dims[1] = 1;
  int64_t M = a.dims[a.ndim - 2], K = a.dims[a.ndim - 1];
  int64_t K2 = b.dims[b.ndim - 2], N = b.dims[b.ndim - 1];
  if (K != K2)
    return fail(L, "inner dims differ: '%s' has %lld, '%s' has %lld",
                A->name, (long long)K, B->name, (long long)K2);
  pt_tensor ba = a, bb = b; // batch dims only
  ba.ndim -= 2, bb.ndim -= 2;
  int nd;
  int64_t out[PT_MAX_DIMS + 2];
  if (bcast(L, &ba, &bb, &nd, out))
    return -1;
  if (A->ndim > 1)
    out[nd++] = M;
  if (B->ndim > 1)
    out[nd++] = N;
  pt_attrs at;
  init_attrs(&at);
  pt_op op = B->is_const && B->ndim == 2 ? PT_OP_FC : PT_OP_MATMUL;
  return emit(L, op, L->in, 2, nd, out, &at) < 0 ? -1 : 0;
}

static int op_batchnorm(loader *L) {
  if (need(L, 5, 5))
    return -1;
  for (size_t k = 1; k < L->np->n_output; k++)
    if (L->np->output[k][0])
      return fail(L, "training-mode outputs (running mean/var) are not "
                  "supported");
  int64_t tm;
  if (attr_i(L, "training_mode", 0, &tm))
    return -1;
  if (tm)
    return fail(L, "attribute 'training_mode' = 1 is not supported "
                "(inference only)");
  pt_tensor *x = T(L, 0);
  if (x->ndim < 2)
    return fail(L, "input '%s' has rank %d, expected >= 2", x->name, x->ndim);
  for (int k = 1; k < 5; k++) {
    pt_tensor *p = T(L, k);
    if (pt_tensor_numel(p) != x->dims[1] || p->ndim != 1)
      return fail(L, "parameter '%s' must have shape [%lld] (the channels "
                  "of '%s')", p->name, (long long)x->dims[1], x->name);
  }
  pt_attrs a;
  init_attrs(&a);
  if (attr_f(L, "epsilon", 1e-5f, &a.epsilon))
    return -1;
  int64_t dims[PT_MAX_DIMS];
  memcpy(dims, x->dims, sizeof dims);
  return emit(L, PT_OP_BATCHNORM, L->in, 5, x->ndim, dims, &a) < 0 ? -1 : 0;
}

// A stand-alone activation.
static int act(loader *L, pt_act kind, float pa, float pb) {
  pt_tensor *x = T(L, 0);
  int64_t dims[PT_MAX_DIMS];
  memcpy(dims, x->dims, sizeof dims);
  int ni = emit(L, PT_OP_ACT, L->in, 1, x->ndim, dims, NULL);
  if (ni < 0)
    return -1;
  L->g->n[ni].act = kind;
  L->g->n[ni].act_a = pa;
  L->g->n[ni].act_b = pb;
  return 0;
}

static int op_relu(loader *L) {
  return need(L, 1, 1) ? -1 : act(L, PT_ACT_RELU, 0, 0);
}
static int op_sigmoid(loader *L) {
  return need(L, 1, 1) ? -1 : act(L, PT_ACT_SIGMOID, 0, 0);
}
static int op_tanh(loader *L) {
  return need(L, 1, 1) ? -1 : act(L, PT_ACT_TANH, 0, 0);
}
static int op_hardswish(loader *L) {
  return need(L, 1, 1) ? -1 : act(L, PT_ACT_HARDSWISH, 0, 0);
}

static int op_leakyrelu(loader *L) {
  float al;
  if (need(L, 1, 1) || attr_f(L, "alpha", 0.01f, &al))
    return -1;
  return act(L, PT_ACT_LEAKYRELU, al, 0);
}

static int op_hardsigmoid(loader *L) {
  float al, be;
  if (need(L, 1, 1) || attr_f(L, "alpha", 0.2f, &al) ||
      attr_f(L, "beta", 0.5f, &be))
    return -1;
  return act(L, PT_ACT_HARDSIGMOID, al, be);
}

static int op_clip(loader *L) {
  float lo = -FLT_MAX, hi = FLT_MAX;
  if (L->opset < 11) {
    if (need(L, 1, 1) || attr_f(L, "min", -FLT_MAX, &lo) ||
        attr_f(L, "max", FLT_MAX, &hi))
      return -1;
  } else {
    if (need(L, 1, 3))
      return -1;
    if (present(L, 1) && float_scalar_input(L, 1, "min", &lo))
      return -1;
    if (present(L, 2) && float_scalar_input(L, 2, "max", &hi))
      return -1;
  }
  if (lo == 0 && hi == FLT_MAX)
    return act(L, PT_ACT_RELU, 0, 0);
  return act(L, PT_ACT_CLIP, lo, hi);
}

// Fold element-wise arithmetic over constants.
static int fold_arith(loader *L, char opc, int nd, const int64_t *dims) {
  pt_tensor *x = T(L, 0), *y = T(L, 1);
  if (x->dtype != y->dtype)
    return fail(L, "inputs '%s' and '%s' have different element types",
                x->name, y->name);
  int ix = L->in[0], iy = L->in[1];
  int to = add_out(L, 0, x->dtype, nd, dims, true);
  if (to < 0)
    return -1;
  pt_tensor *X = &L->g->t[ix], *Y = &L->g->t[iy], *O = &L->g->t[to];
  int64_t n = pt_tensor_numel(O);
  if (!has_vals(X) || !has_vals(Y) || n > MAX_FOLD || O->dtype == PT_OTHER)
    return 0;
  int64_t sx[PT_MAX_DIMS], sy[PT_MAX_DIMS];
  strides_of(X, sx);
  strides_of(Y, sy);
  if (O->dtype == PT_F32)
    O->fdata = pt_malloc((n ? n : 1) * sizeof *O->fdata);
  else
    O->idata = pt_malloc((n ? n : 1) * sizeof *O->idata);
  for (int64_t i = 0; i < n; i++) {
    int64_t r = i, px = 0, py = 0;
    for (int a = nd - 1; a >= 0; a--) {
      int64_t c = r % dims[a];
      r /= dims[a];
      int ax = X->ndim - nd + a, ay = Y->ndim - nd + a;
      if (ax >= 0 && X->dims[ax] != 1)
        px += c * sx[ax];
      if (ay >= 0 && Y->dims[ay] != 1)
        py += c * sy[ay];
    }
    if (O->dtype == PT_F32) {
      float u = X->fdata[px], v = Y->fdata[py];
      O->fdata[i] = opc == '+' ? u + v : opc == '-' ? u - v
                  : opc == '*' ? u * v : u / v;
      continue;
    }
    int64_t u = X->idata[px], v = Y->idata[py], w = 0;
    bool ovf = false;
    if (opc == '+')
      ovf = __builtin_add_overflow(u, v, &w);
    else if (opc == '-')
      ovf = __builtin_sub_overflow(u, v, &w);
    else if (opc == '*')
      ovf = __builtin_mul_overflow(u, v, &w);
    else if (v == 0 || (u == INT64_MIN && v == -1))
      return fail(L, "integer division by zero or overflow in constant "
                  "folding");
    else
      w = u / v;
    if (ovf)
      return fail(L, "integer overflow in constant folding");
    O->idata[i] = w;
  }
  return 0;
}

static int binary(loader *L, pt_op op, char opc) {
  if (need(L, 2, 2))
    return -1;
  int nd;
  int64_t dims[PT_MAX_DIMS];
  if (T(L, 0)->ndim > PT_MAX_DIMS || bcast(L, T(L, 0), T(L, 1), &nd, dims))
    return -1;
  if (all_const(L))
    return fold_arith(L, opc, nd, dims);
  return emit(L, op, L->in, 2, nd, dims, NULL) < 0 ? -1 : 0;
}

static int op_add(loader *L) { return binary(L, PT_OP_ADD, '+'); }
static int op_sub(loader *L) { return binary(L, PT_OP_SUB, '-'); }
static int op_mul(loader *L) { return binary(L, PT_OP_MUL, '*'); }
static int op_div(loader *L) { return binary(L, PT_OP_DIV, '/'); }

static int op_concat(loader *L) {
  if (need(L, 1, 1 << 20))
    return -1;
  int64_t ax64;
  if (!attr(L, "axis"))
    return fail(L, "attribute 'axis' is required");
  if (attr_i(L, "axis", 0, &ax64))
    return -1;
  pt_tensor *x0 = T(L, 0);
  int nd = x0->ndim, axis;
  if (norm_axis(L, ax64, nd, "axis", &axis))
    return -1;
  int64_t dims[PT_MAX_DIMS];
  memcpy(dims, x0->dims, sizeof dims);
  dims[axis] = 0;
  for (int k = 0; k < L->nin; k++) {
    if (L->in[k] < 0)
      return fail(L, "input %d is empty", k);
    pt_tensor *x = T(L, k);
    bool ok = x->ndim == nd;
    for (int i = 0; ok && i < nd; i++)
      ok = i == axis || x->dims[i] == x0->dims[i];
    if (!ok) {
      char s0[128], s1[128];
      dims_str(x0, s0, sizeof s0);
      dims_str(x, s1, sizeof s1);
      return fail(L, "input '%s' %s does not match '%s' %s outside axis %d",
                  x->name, s1, x0->name, s0, axis);
    }
    if (x->dtype != x0->dtype)
      return fail(L, "inputs '%s' and '%s' have different element types",
                  x->name, x0->name);
    dims[axis] += x->dims[axis];
  }
  if (all_const(L)) {
    pt_dtype dt = x0->dtype;
    int to = add_out(L, 0, dt, nd, dims, true);
    if (to < 0)
      return -1;
    bool vals = dt != PT_OTHER && pt_tensor_numel(&L->g->t[to]) <= MAX_FOLD;
    for (int k = 0; k < L->nin; k++)
      vals = vals && has_vals(T(L, k));
    if (!vals)
      return 0;
    pt_tensor *O = &L->g->t[to];
    int64_t outer = 1, n = pt_tensor_numel(O), pos = 0;
    for (int i = 0; i < axis; i++)
      outer *= dims[i];
    if (dt == PT_F32)
      O->fdata = pt_malloc((n ? n : 1) * sizeof *O->fdata);
    else
      O->idata = pt_malloc((n ? n : 1) * sizeof *O->idata);
    for (int64_t o = 0; o < outer; o++)
      for (int k = 0; k < L->nin; k++) {
        pt_tensor *x = T(L, k);
        int64_t chunk = outer ? pt_tensor_numel(x) / outer : 0;
        for (int64_t j = 0; j < chunk; j++, pos++)
          if (dt == PT_F32)
            O->fdata[pos] = x->fdata[o * chunk + j];
          else
            O->idata[pos] = x->idata[o * chunk + j];
      }
    return 0;
  }
  pt_attrs a;
  init_attrs(&a);
  a.axis = axis;
  if (L->nin <= PT_MAX_IN)
    return emit(L, PT_OP_CONCAT, L->in, L->nin, nd, dims, &a) < 0 ? -1 : 0;
  // More inputs than a node holds: a chain of concats, each taking the
  // previous partial result and up to PT_MAX_IN - 1 more inputs.
  int prev = -1, k = 0;
  for (int part = 0; k < L->nin; part++) {
    int ins[PT_MAX_IN], n = 0;
    if (prev >= 0)
      ins[n++] = prev;
    int64_t pd[PT_MAX_DIMS];
    memcpy(pd, dims, sizeof pd);
    pd[axis] = prev >= 0 ? L->g->t[prev].dims[axis] : 0;
    while (n < PT_MAX_IN && k < L->nin) {
      pd[axis] += T(L, k)->dims[axis];
      ins[n++] = L->in[k++];
    }
    if (k == L->nin)
      return emit(L, PT_OP_CONCAT, ins, n, nd, pd, &a) < 0 ? -1 : 0;
    char nm[512];
    snprintf(nm, sizeof nm, "%s/part%d", L->np->output[0], part);
    if (pt_graph_find_tensor(L->g, nm) >= 0)
      return fail(L, "tensor '%s' is defined twice", nm);
    int ni = pt_graph_add_node(L->g, NULL, L->nidx, PT_OP_CONCAT);
    char nn[300];
    snprintf(nn, sizeof nn, "%s/part%d", L->nname, part);
    free(L->g->n[ni].name);
    L->g->n[ni].name = pt_strdup(nn);
    L->g->n[ni].a = a;
    L->g->n[ni].nin = n;
    memcpy(L->g->n[ni].in, ins, n * sizeof *ins);
    int to = pt_graph_add_tensor(L->g, nm, PT_F32, nd, pd);
    L->g->t[to].producer = ni;
    L->g->n[ni].nout = 1;
    L->g->n[ni].out[0] = to;
    prev = to;
  }
  return 0;
}

static int op_lrn(loader *L) {
  if (need(L, 1, 1))
    return -1;
  pt_tensor *x = T(L, 0);
  if (x->ndim < 2)
    return fail(L, "input '%s' has rank %d: no channel axis", x->name,
                x->ndim);
  pt_attrs a;
  init_attrs(&a);
  if (!attr(L, "size"))
    return fail(L, "attribute 'size' is required");
  if (attr_i(L, "size", 1, &a.lrn_size) ||
      attr_f(L, "alpha", 1e-4f, &a.alpha) ||
      attr_f(L, "beta", 0.75f, &a.beta) || attr_f(L, "bias", 1.0f, &a.lrn_bias))
    return -1;
  if (a.lrn_size < 1 || a.lrn_size > MAX_NUMEL)
    return fail(L, "attribute 'size' = %lld must be positive",
                (long long)a.lrn_size);
  int64_t dims[PT_MAX_DIMS];
  memcpy(dims, x->dims, sizeof dims);
  return emit(L, PT_OP_LRN, L->in, 1, x->ndim, dims, &a) < 0 ? -1 : 0;
}

static int op_softmax(loader *L) {
  if (need(L, 1, 1))
    return -1;
  pt_tensor *x = T(L, 0);
  pt_attrs a;
  init_attrs(&a);
  a.softmax_legacy = L->opset < 13;
  int64_t ax;
  if (attr_i(L, "axis", a.softmax_legacy ? 1 : -1, &ax) ||
      norm_axis(L, ax, x->ndim, "axis", &a.axis))
    return -1;
  int64_t dims[PT_MAX_DIMS];
  memcpy(dims, x->dims, sizeof dims);
  return emit(L, PT_OP_SOFTMAX, L->in, 1, x->ndim, dims, &a) < 0 ? -1 : 0;
}

// Reshape-like ops: fold when the data is constant, else a RESHAPE node
// reading only the data input.
static int reshape_to(loader *L, int nd, const int64_t *dims) {
  pt_tensor *x = T(L, 0);
  int64_t n;
  if (!numel_ok(dims, nd, &n) || n != pt_tensor_numel(x)) {
    char s[128];
    dims_str(x, s, sizeof s);
    return fail(L, "cannot reshape '%s' %s (%lld elements) to the requested "
                "shape", x->name, s, (long long)pt_tensor_numel(x));
  }
  if (x->is_const)
    return const_map(L, 0, L->in[0], nd, dims, NULL) < 0 ? -1 : 0;
  return emit(L, PT_OP_RESHAPE, L->in, 1, nd, dims, NULL) < 0 ? -1 : 0;
}

static int op_reshape(loader *L) {
  const int64_t *shape = NULL;
  int64_t ns = 0, attr_shape[PT_MAX_DIMS];
  if (L->opset < 5) {
    int n;
    if (need(L, 1, 1) || attr_ints(L, "shape", attr_shape, PT_MAX_DIMS, &n))
      return -1;
    if (n < 0)
      return fail(L, "attribute 'shape' is required");
    shape = attr_shape, ns = n;
  } else if (need(L, 2, 2) || int_input(L, 1, "shape", &shape, &ns)) {
    return -1;
  }
  if (ns > PT_MAX_DIMS)
    return fail(L, "shape has %lld dims, at most %d supported", (long long)ns,
                PT_MAX_DIMS);
  int64_t allowzero;
  if (attr_i(L, "allowzero", 0, &allowzero))
    return -1;
  pt_tensor *x = T(L, 0);
  int64_t dims[PT_MAX_DIMS], known = 1;
  int infer = -1;
  for (int i = 0; i < ns; i++) {
    dims[i] = shape[i];
    if (shape[i] == 0 && !allowzero) {
      if (i >= x->ndim)
        return fail(L, "shape[%d] = 0 copies a dim that '%s' does not have",
                    i, x->name);
      dims[i] = x->dims[i];
    }
    if (dims[i] == -1) {
      if (infer >= 0)
        return fail(L, "shape has more than one -1");
      infer = i;
      continue;
    }
    if (dims[i] < 0 || !numel_ok(&dims[i], 1, NULL))
      return fail(L, "shape[%d] = %lld is invalid", i, (long long)dims[i]);
    if (dims[i] && known > MAX_NUMEL / dims[i])
      return fail(L, "shape is absurdly large");
    known *= dims[i];
  }
  if (infer >= 0) {
    int64_t n = pt_tensor_numel(x);
    if (known == 0 || n % known)
      return fail(L, "cannot infer the -1 dim: %lld elements are not a "
                  "multiple of %lld", (long long)n, (long long)known);
    dims[infer] = n / known;
  }
  return reshape_to(L, (int)ns, dims);
}

static int op_flatten(loader *L) {
  if (need(L, 1, 1))
    return -1;
  pt_tensor *x = T(L, 0);
  int64_t ax;
  if (attr_i(L, "axis", 1, &ax))
    return -1;
  if (ax < -x->ndim || ax > x->ndim)
    return fail(L, "attribute 'axis' = %lld is out of range for rank %d",
                (long long)ax, x->ndim);
  if (ax < 0)
    ax += x->ndim;
  int64_t dims[2] = {1, 1};
  for (int i = 0; i < x->ndim; i++)
    dims[i < ax ? 0 : 1] *= x->dims[i];
  return reshape_to(L, 2, dims);
}

// Axes of Squeeze/Unsqueeze: attribute before opset 13, input after.
// *n = -1 when absent.
static int axes_of(loader *L, int64_t *axes, int *n) {
  *n = -1;
  if (L->opset < 13)
    return attr_ints(L, "axes", axes, PT_MAX_DIMS, n);
  if (!present(L, 1))
    return 0;
  const int64_t *v = NULL;
  int64_t cnt = 0;
  if (int_input(L, 1, "axes", &v, &cnt))
    return -1;
  if (cnt > PT_MAX_DIMS)
    return fail(L, "too many axes (%lld)", (long long)cnt);
  memcpy(axes, v, cnt * sizeof *v);
  *n = (int)cnt;
  return 0;
}

static int op_squeeze(loader *L) {
  int64_t axes[PT_MAX_DIMS];
  int n;
  if (need(L, 1, 2) || axes_of(L, axes, &n))
    return -1;
  pt_tensor *x = T(L, 0);
  bool drop[PT_MAX_DIMS] = {false};
  for (int i = 0; i < n; i++) {
    int a;
    if (norm_axis(L, axes[i], x->ndim, "axis", &a))
      return -1;
    if (x->dims[a] != 1)
      return fail(L, "cannot squeeze axis %d of '%s': its size is %lld", a,
                  x->name, (long long)x->dims[a]);
    drop[a] = true;
  }
  int64_t dims[PT_MAX_DIMS];
  int nd = 0;
  for (int i = 0; i < x->ndim; i++)
    if (!(n < 0 ? x->dims[i] == 1 : drop[i]))
      dims[nd++] = x->dims[i];
  return reshape_to(L, nd, dims);
}

static int op_unsqueeze(loader *L) {
  int64_t axes[PT_MAX_DIMS];
  int n;
  if (need(L, 1, 2) || axes_of(L, axes, &n))
    return -1;
  if (n < 0)
    return fail(L, "axes are required");
  pt_tensor *x = T(L, 0);
  int nd = x->ndim + n;
  if (nd > PT_MAX_DIMS)
    return fail(L, "output rank %d exceeds %d", nd, PT_MAX_DIMS);
  bool ins[PT_MAX_DIMS] = {false};
  for (int i = 0; i < n; i++) {
    int a;
    if (norm_axis(L, axes[i], nd, "axis", &a))
      return -1;
    if (ins[a])
      return fail(L, "axis %d is repeated", a);
    ins[a] = true;
  }
  int64_t dims[PT_MAX_DIMS];
  for (int i = 0, k = 0; i < nd; i++)
    dims[i] = ins[i] ? 1 : x->dims[k++];
  return reshape_to(L, nd, dims);
}

static int op_transpose(loader *L) {
  if (need(L, 1, 1))
    return -1;
  pt_tensor *x = T(L, 0);
  int nd = x->ndim, n;
  int64_t p[PT_MAX_DIMS];
  if (attr_ints(L, "perm", p, PT_MAX_DIMS, &n))
    return -1;
  if (n < 0)
    for (int i = 0; i < nd; i++)
      p[i] = nd - 1 - i;
  else if (n != nd)
    return fail(L, "attribute 'perm' has %d values, input '%s' has rank %d",
                n, x->name, nd);
  pt_attrs a;
  init_attrs(&a);
  bool seen[PT_MAX_DIMS] = {false};
  int64_t dims[PT_MAX_DIMS], st[PT_MAX_DIMS], coef[PT_MAX_DIMS];
  strides_of(x, st);
  for (int i = 0; i < nd; i++) {
    if (p[i] < 0 || p[i] >= nd || seen[p[i]])
      return fail(L, "attribute 'perm' is not a permutation of 0..%d", nd - 1);
    seen[p[i]] = true;
    a.perm[i] = (int)p[i];
    dims[i] = x->dims[p[i]];
    coef[i] = st[p[i]];
  }
  if (x->is_const) {
    int src = L->in[0];
    int64_t *map = has_vals(x) && pt_tensor_numel(x) <= MAX_FOLD
                       ? affine_map(nd, dims, 0, coef) : NULL;
    int r = const_map(L, 0, src, nd, dims, map);
    free(map);
    return r < 0 ? -1 : 0;
  }
  return emit(L, PT_OP_TRANSPOSE, L->in, 1, nd, dims, &a) < 0 ? -1 : 0;
}

// Identity and Dropout: an alias of a constant, else an IDENTITY node.
static int identity(loader *L) {
  pt_tensor *x = T(L, 0);
  int64_t dims[PT_MAX_DIMS];
  memcpy(dims, x->dims, sizeof dims);
  if (x->is_const)
    return const_map(L, 0, L->in[0], x->ndim, dims, NULL) < 0 ? -1 : 0;
  return emit(L, PT_OP_IDENTITY, L->in, 1, x->ndim, dims, NULL) < 0 ? -1 : 0;
}

static int op_identity(loader *L) {
  return need(L, 1, 1) ? -1 : identity(L);
}

static int op_dropout(loader *L) {
  if (need(L, 1, 3))
    return -1;
  if (present(L, 2)) {
    const pt_tensor *tm = T(L, 2);
    if (!has_vals(tm) || tm->dtype != PT_I64 || tm->idata[0])
      return fail(L, "input 'training_mode' must be a constant false "
                  "(inference only)");
  }
  int64_t dims[PT_MAX_DIMS];
  int nd = T(L, 0)->ndim;
  memcpy(dims, T(L, 0)->dims, sizeof dims);
  if (identity(L))
    return -1;
  if (L->np->n_output < 2 || !L->np->output[1][0])
    return 0;
  // The mask (bool, held as integers): all true at inference.
  int to = add_out(L, 1, PT_I64, nd, dims, true);
  if (to < 0)
    return -1;
  pt_tensor *m = &L->g->t[to];
  int64_t n = pt_tensor_numel(m);
  if (n <= MAX_FOLD) {
    m->idata = pt_malloc((n ? n : 1) * sizeof *m->idata);
    for (int64_t i = 0; i < n; i++)
      m->idata[i] = 1;
  }
  return 0;
}

static int op_pad(loader *L) {
  char mode[32];
  if (attr_s(L, "mode", "constant", mode, sizeof mode))
    return -1;
  if (strcmp(mode, "constant"))
    return fail(L, "attribute 'mode' is '%s'; only 'constant' padding is "
                "supported", mode);
  pt_attrs a;
  init_attrs(&a);
  int64_t pads[2 * PT_MAX_DIMS];
  int64_t np = 0;
  if (L->opset < 11) {
    int n;
    if (need(L, 1, 1) || attr_ints(L, "pads", pads, 2 * PT_MAX_DIMS, &n) ||
        attr_f(L, "value", 0.0f, &a.pad_value))
      return -1;
    if (n < 0)
      return fail(L, "attribute 'pads' is required");
    np = n;
  } else {
    const int64_t *v = NULL;
    if (need(L, 2, 4) || int_input(L, 1, "pads", &v, &np))
      return -1;
    if (np > 2 * PT_MAX_DIMS)
      return fail(L, "too many pads (%lld)", (long long)np);
    memcpy(pads, v, np * sizeof *v);
    if (present(L, 2) && pt_tensor_numel(T(L, 2)) > 0 &&
        float_scalar_input(L, 2, "constant_value", &a.pad_value))
      return -1;
  }
  pt_tensor *x = T(L, 0);
  int nd = x->ndim;
  int64_t axes[PT_MAX_DIMS];
  int nax = nd;
  for (int i = 0; i < nd; i++)
    axes[i] = i;
  if (present(L, 3)) {
    const int64_t *v = NULL;
    int64_t cnt = 0;
    if (int_input(L, 3, "axes", &v, &cnt))
      return -1;
    if (cnt > nd)
      return fail(L, "too many axes (%lld)", (long long)cnt);
    nax = (int)cnt;
    for (int i = 0; i < nax; i++) {
      int ax;
      if (norm_axis(L, v[i], nd, "axis", &ax))
        return -1;
      axes[i] = ax;
    }
  }
  if (np != 2 * nax)
    return fail(L, "has %lld pads, expected %d for %d axes", (long long)np,
                2 * nax, nax);
  int64_t dims[PT_MAX_DIMS];
  memcpy(dims, x->dims, sizeof dims);
  for (int i = 0; i < nax; i++) {
    int ax = (int)axes[i];
    int64_t b = pads[i], e = pads[nax + i];
    if (b < -MAX_NUMEL || b > MAX_NUMEL || e < -MAX_NUMEL || e > MAX_NUMEL)
      return fail(L, "pads of axis %d are absurd", ax);
    a.pads[ax] = b;
    a.pads[nd + ax] = e;
    dims[ax] += b + e;
    if (dims[ax] < 0)
      return fail(L, "pads would make axis %d negative", ax);
  }
  return emit(L, PT_OP_PAD, L->in, 1, nd, dims, &a) < 0 ? -1 : 0;
}

static int op_constant(loader *L) {
  if (need(L, 0, 0))
    return -1;
  const Onnx__AttributeProto *a;
  if ((a = attr(L, "value"))) {
    if (!a->t)
      return fail(L, "attribute 'value' holds no tensor");
    return make_const(L, a->t, 0) < 0 ? -1 : 0;
  }
  int64_t dims[1];
  int to;
  if ((a = attr(L, "value_float")) || (a = attr(L, "value_floats"))) {
    bool one = !strcmp(a->name, "value_float");
    dims[0] = one ? 1 : (int64_t)a->n_floats;
    if ((to = add_out(L, 0, PT_F32, one ? 0 : 1, dims, true)) < 0)
      return -1;
    float *v = pt_malloc((dims[0] ? dims[0] : 1) * sizeof *v);
    for (int64_t i = 0; i < dims[0]; i++)
      v[i] = one ? a->f : a->floats[i];
    L->g->t[to].fdata = v;
    return 0;
  }
  if ((a = attr(L, "value_int")) || (a = attr(L, "value_ints"))) {
    bool one = !strcmp(a->name, "value_int");
    dims[0] = one ? 1 : (int64_t)a->n_ints;
    if ((to = add_out(L, 0, PT_I64, one ? 0 : 1, dims, true)) < 0)
      return -1;
    int64_t *v = pt_malloc((dims[0] ? dims[0] : 1) * sizeof *v);
    for (int64_t i = 0; i < dims[0]; i++)
      v[i] = one ? a->i : a->ints[i];
    L->g->t[to].idata = v;
    return 0;
  }
  return fail(L, "needs attribute 'value', 'value_float(s)' or "
              "'value_int(s)' (sparse and string values are not supported)");
}

// ---- shape computations (constant folding only) ----

static int fold_only(loader *L) {
  for (int k = 0; k < L->nin; k++)
    if (L->in[k] >= 0 && !T(L, k)->is_const)
      return fail(L, "input '%s' is not a constant; %s is supported only in "
                  "shape computations over constants", T(L, k)->name,
                  L->np->op_type);
  return 0;
}

static int op_shape(loader *L) {
  if (need(L, 1, 1))
    return -1;
  pt_tensor *x = T(L, 0);
  int r = x->ndim;
  int64_t start, end;
  if (attr_i(L, "start", 0, &start) || attr_i(L, "end", r, &end))
    return -1;
  if (start < 0)
    start += r;
  if (end < 0)
    end += r;
  start = start < 0 ? 0 : start > r ? r : start;
  end = end < 0 ? 0 : end > r ? r : end;
  int64_t n = end > start ? end - start : 0;
  int64_t vals[PT_MAX_DIMS];
  memcpy(vals, x->dims + start, n * sizeof *vals);
  int to = add_out(L, 0, PT_I64, 1, &n, true);
  if (to < 0)
    return -1;
  L->g->t[to].idata = pt_malloc((n ? n : 1) * sizeof(int64_t));
  memcpy(L->g->t[to].idata, vals, n * sizeof *vals);
  return 0;
}

static int op_gather(loader *L) {
  if (need(L, 2, 2) || fold_only(L))
    return -1;
  pt_tensor *x = T(L, 0), *ix = T(L, 1);
  int64_t ax64;
  int axis;
  if (attr_i(L, "axis", 0, &ax64) || norm_axis(L, ax64, x->ndim, "axis", &axis))
    return -1;
  if (ix->dtype != PT_I64)
    return fail(L, "indices '%s' must be integers", ix->name);
  int nd = x->ndim - 1 + ix->ndim;
  if (nd > PT_MAX_DIMS)
    return fail(L, "output rank %d exceeds %d", nd, PT_MAX_DIMS);
  int64_t dims[PT_MAX_DIMS];
  int k = 0;
  for (int i = 0; i < axis; i++)
    dims[k++] = x->dims[i];
  for (int i = 0; i < ix->ndim; i++)
    dims[k++] = ix->dims[i];
  for (int i = axis + 1; i < x->ndim; i++)
    dims[k++] = x->dims[i];
  int64_t n, outer = 1, inner = 1, ni = pt_tensor_numel(ix);
  if (!numel_ok(dims, nd, &n))
    return fail(L, "output shape is absurd");
  for (int i = 0; i < axis; i++)
    outer *= x->dims[i];
  for (int i = axis + 1; i < x->ndim; i++)
    inner *= x->dims[i];
  int64_t *map = NULL;
  if (has_vals(x) && has_vals(ix) && n <= MAX_FOLD) {
    map = pt_malloc((n ? n : 1) * sizeof *map);
    int64_t d = x->dims[axis], pos = 0;
    for (int64_t o = 0; o < outer; o++)
      for (int64_t j = 0; j < ni; j++) {
        int64_t id = ix->idata[j];
        if (id < -d || id >= d) {
          free(map);
          return fail(L, "index %lld is out of range for axis %d of size "
                      "%lld", (long long)id, axis, (long long)d);
        }
        if (id < 0)
          id += d;
        for (int64_t q = 0; q < inner; q++)
          map[pos++] = (o * d + id) * inner + q;
      }
  }
  int src = L->in[0];
  int r = const_map(L, 0, src, nd, dims, map);
  free(map);
  return r < 0 ? -1 : 0;
}

static int op_cast(loader *L) {
  if (need(L, 1, 1))
    return -1;
  int64_t to_ty;
  if (attr_i(L, "to", 0, &to_ty))
    return -1;
  pt_dtype dt;
  if (!elem_info((int32_t)to_ty, &dt))
    return fail(L, "attribute 'to' = %lld: unsupported target type",
                (long long)to_ty);
  pt_tensor *x = T(L, 0);
  if (x->dtype == PT_OTHER)
    return fail(L, "input '%s' is not numeric (a string or complex tensor); "
                "Cast from it is not supported", x->name);
  if (!x->is_const) {
    if (dt == PT_F32 && x->dtype == PT_F32 &&
        to_ty == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
      return identity(L); // float -> float: nothing to do
    return fail(L, "input '%s' is not a constant; Cast is supported only on "
                "constants or float to float", x->name);
  }
  int64_t dims[PT_MAX_DIMS];
  memcpy(dims, x->dims, sizeof dims);
  int src = L->in[0];
  int to = add_out(L, 0, dt, x->ndim, dims, true);
  if (to < 0)
    return -1;
  pt_tensor *s = &L->g->t[src], *d = &L->g->t[to];
  int64_t n = pt_tensor_numel(d);
  if (!has_vals(s) || n > MAX_FOLD)
    return 0;
  bool to_bool = to_ty == ONNX__TENSOR_PROTO__DATA_TYPE__BOOL;
  if (dt == PT_F32) {
    // Values are held as float32; narrower targets round to their grid.
    bool half = to_ty == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16;
    bool bf16 = to_ty == ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16;
    d->fdata = pt_malloc((n ? n : 1) * sizeof *d->fdata);
    for (int64_t i = 0; i < n; i++) {
      float f = s->dtype == PT_F32 ? s->fdata[i] : (float)s->idata[i];
      d->fdata[i] = half ? round_half(f) : bf16 ? round_bf16(f) : f;
    }
  } else {
    d->idata = pt_malloc((n ? n : 1) * sizeof *d->idata);
    for (int64_t i = 0; i < n; i++) {
      if (s->dtype == PT_I64) {
        d->idata[i] = to_bool ? s->idata[i] != 0 : s->idata[i];
        continue;
      }
      float f = s->fdata[i];
      if (to_bool)
        d->idata[i] = f != 0;
      else if (!(f > -9.2e18f && f < 9.2e18f))
        return fail(L, "value %g of '%s' does not fit an integer", f,
                    s->name);
      else
        d->idata[i] = (int64_t)f;
    }
  }
  return 0;
}

static int op_constantofshape(loader *L) {
  const int64_t *shape = NULL;
  int64_t ns = 0;
  if (need(L, 1, 1) || int_input(L, 0, "shape", &shape, &ns))
    return -1;
  if (ns > PT_MAX_DIMS)
    return fail(L, "shape has %lld dims, at most %d supported", (long long)ns,
                PT_MAX_DIMS);
  int64_t dims[PT_MAX_DIMS];
  memcpy(dims, shape, ns * sizeof *dims);
  pt_dtype dt = PT_F32;
  float fv = 0;
  int64_t iv = 0;
  const Onnx__AttributeProto *a = attr(L, "value");
  if (a && a->t) {
    // A one-element tensor: read it through a temporary constant.
    pt_tensor tmp = {.name = "value"};
    int esize = elem_info(a->t->data_type, &dt);
    tmp.dtype = dt;
    tmp.ndim = 1;
    tmp.dims[0] = 1;
    if (!esize || a->t->n_dims > 1 || (a->t->n_dims == 1 && a->t->dims[0] != 1))
      return fail(L, "attribute 'value' must be a one-element numeric tensor");
    if (tensor_values(L, a->t, &tmp, esize))
      return -1;
    if (tmp.fdata)
      fv = tmp.fdata[0];
    if (tmp.idata)
      iv = tmp.idata[0];
    free(tmp.fdata);
    free(tmp.idata);
  }
  int to = add_out(L, 0, dt, (int)ns, dims, true);
  if (to < 0)
    return -1;
  pt_tensor *d = &L->g->t[to];
  int64_t n = pt_tensor_numel(d);
  if (n > MAX_FOLD)
    return 0;
  if (dt == PT_F32) {
    d->fdata = pt_malloc((n ? n : 1) * sizeof *d->fdata);
    for (int64_t i = 0; i < n; i++)
      d->fdata[i] = fv;
  } else {
    d->idata = pt_malloc((n ? n : 1) * sizeof *d->idata);
    for (int64_t i = 0; i < n; i++)
      d->idata[i] = iv;
  }
  return 0;
}

// Output k of the current node is the part of input 0 that starts at
// start[a] and steps by step[a] along every axis a, dims[a] elements:
// folded when the input is a constant, else a SLICE node called name.
static int slice_out(loader *L, int k, const char *name, const int64_t *start,
                     const int64_t *end, const int64_t *step,
                     const int64_t *dims) {
  pt_tensor *x = T(L, 0);
  int nd = x->ndim;
  int64_t n_out;
  if (!numel_ok(dims, nd, &n_out))
    return fail(L, "output shape is absurd");
  if (!x->is_const) {
    pt_attrs a;
    init_attrs(&a);
    for (int i = 0; i < nd; i++) {
      a.slice_start[i] = start[i];
      a.slice_end[i] = end[i];
      a.slice_step[i] = step[i];
    }
    return emit_out(L, k, name, PT_OP_SLICE, L->in, 1, nd, dims, &a) < 0
               ? -1 : 0;
  }
  int64_t *map = NULL;
  if (has_vals(x) && n_out <= MAX_FOLD) {
    int64_t strd[PT_MAX_DIMS], coef[PT_MAX_DIMS], base = 0;
    strides_of(x, strd);
    for (int i = 0; i < nd; i++) {
      base += start[i] * strd[i];
      coef[i] = step[i] * strd[i];
    }
    map = affine_map(nd, dims, base, coef);
  }
  int r = const_map(L, k, L->in[0], nd, dims, map);
  free(map);
  return r < 0 ? -1 : 0;
}

static int op_slice(loader *L) {
  int64_t st[PT_MAX_DIMS], en[PT_MAX_DIMS], ax[PT_MAX_DIMS], sp[PT_MAX_DIMS];
  int n;
  if (L->opset < 10) {
    int ne, na;
    if (need(L, 1, 1) || attr_ints(L, "starts", st, PT_MAX_DIMS, &n) ||
        attr_ints(L, "ends", en, PT_MAX_DIMS, &ne) ||
        attr_ints(L, "axes", ax, PT_MAX_DIMS, &na))
      return -1;
    if (n < 0 || ne != n || (na >= 0 && na != n))
      return fail(L, "attributes 'starts', 'ends' (and 'axes') must have the "
                  "same length");
    if (na < 0)
      for (int i = 0; i < n; i++)
        ax[i] = i;
    for (int i = 0; i < n; i++)
      sp[i] = 1;
  } else {
    if (need(L, 3, 5))
      return -1;
    const int64_t *v[4] = {NULL, NULL, NULL, NULL};
    int64_t cnt[4] = {0, 0, 0, 0};
    const char *what[4] = {"starts", "ends", "axes", "steps"};
    for (int k = 0; k < 4; k++)
      if (present(L, k + 1)) {
        if (int_input(L, k + 1, what[k], &v[k], &cnt[k]))
          return -1;
        if (cnt[k] != cnt[0] || cnt[k] > PT_MAX_DIMS)
          return fail(L, "inputs 'starts', 'ends', 'axes', 'steps' must "
                      "have the same length (at most %d)", PT_MAX_DIMS);
      }
    n = (int)cnt[0];
    for (int i = 0; i < n; i++) {
      st[i] = v[0][i];
      en[i] = v[1][i];
      ax[i] = present(L, 3) ? v[2][i] : i;
      sp[i] = present(L, 4) ? v[3][i] : 1;
    }
  }
  pt_tensor *x = T(L, 0);
  int nd = x->ndim;
  int64_t dims[PT_MAX_DIMS], start[PT_MAX_DIMS], end[PT_MAX_DIMS];
  int64_t step[PT_MAX_DIMS];
  bool seen[PT_MAX_DIMS] = {false};
  for (int i = 0; i < nd; i++)
    dims[i] = end[i] = x->dims[i], start[i] = 0, step[i] = 1;
  for (int i = 0; i < n; i++) {
    int a;
    if (norm_axis(L, ax[i], nd, "axis", &a))
      return -1;
    if (seen[a])
      return fail(L, "axis %d is repeated", a);
    seen[a] = true;
    int64_t d = x->dims[a], s = st[i], e = en[i], k = sp[i];
    if (k == 0)
      return fail(L, "step of axis %d is 0", a);
    // Large magnitudes (INT64_MAX for "to the end") are clamped first so
    // that adding d cannot overflow.
    s = s < -MAX_NUMEL ? -MAX_NUMEL : s > MAX_NUMEL ? MAX_NUMEL : s;
    e = e < -MAX_NUMEL ? -MAX_NUMEL : e > MAX_NUMEL ? MAX_NUMEL : e;
    if (s < 0)
      s += d;
    if (e < 0)
      e += d;
    // A step longer than the axis takes one element, as does the axis
    // length itself: clamping keeps the arithmetic below in range.
    int64_t dmax = d > 1 ? d : 1;
    k = k > dmax ? dmax : k < -dmax ? -dmax : k;
    if (k > 0) {
      s = s < 0 ? 0 : s > d ? d : s;
      e = e < 0 ? 0 : e > d ? d : e;
      dims[a] = e > s ? (e - s - 1) / k + 1 : 0;
    } else {
      s = s < 0 ? 0 : s > d - 1 ? d - 1 : s;
      e = e < -1 ? -1 : e > d - 1 ? d - 1 : e;
      dims[a] = s > e ? (s - e - 1) / -k + 1 : 0;
    }
    start[a] = s;
    end[a] = e;
    step[a] = k;
  }
  return slice_out(L, 0, L->np->name, start, end, step, dims);
}

// Split along one axis, into the node's outputs: sizes from the 'split'
// attribute (opset < 13) or input (13 on), else equal parts (opset 18:
// 'num_outputs' parts of ceil(d / n), the last one smaller). Each output is
// a SLICE node of its own, or a constant when the input is one.
static int op_split(loader *L) {
  if (need(L, 1, L->opset < 13 ? 1 : 2))
    return -1;
  pt_tensor *x = T(L, 0);
  int64_t ax64;
  int axis;
  if (attr_i(L, "axis", 0, &ax64) || norm_axis(L, ax64, x->ndim, "axis", &axis))
    return -1;
  int nout = (int)L->np->n_output;
  int64_t d = x->dims[axis];
  int64_t *size = pt_calloc(nout, sizeof *size);
  int64_t sum = 0;
  int rc = 0;
  if (L->opset < 13 ? attr(L, "split") != NULL : present(L, 1)) {
    const int64_t *v = NULL;
    int64_t cnt = 0;
    int64_t *av = pt_calloc(nout + 1, sizeof *av);
    int na;
    if (L->opset < 13) {
      rc = attr_ints(L, "split", av, nout + 1, &na);
      v = av, cnt = na;
    } else {
      rc = int_input(L, 1, "split", &v, &cnt);
    }
    if (!rc && cnt != nout)
      rc = fail(L, "'split' has %lld sizes for %d outputs", (long long)cnt,
                nout);
    for (int k = 0; !rc && k < nout; k++) {
      if (v[k] < 0 || v[k] > MAX_NUMEL)
        rc = fail(L, "split size %lld of output %d is invalid",
                  (long long)v[k], k);
      size[k] = v[k];
      sum += v[k];
    }
    free(av);
    if (!rc && sum != d)
      rc = fail(L, "split sizes add up to %lld, axis %d has %lld",
                (long long)sum, axis, (long long)d);
  } else {
    int64_t parts = nout;
    if (L->opset >= 18 && !rc)
      rc = attr_i(L, "num_outputs", nout, &parts);
    if (!rc && parts != nout)
      rc = fail(L, "attribute 'num_outputs' = %lld, but the node has %d "
                "outputs", (long long)parts, nout);
    int64_t each = L->opset >= 18 ? pt_ceil_div(d, nout) : d / nout;
    if (!rc && L->opset < 18 && d % nout)
      rc = fail(L, "axis %d of '%s' (%lld) does not split into %d equal "
                "parts", axis, x->name, (long long)d, nout);
    for (int k = 0; !rc && k < nout; k++) {
      size[k] = d - sum < each ? d - sum : each;
      sum += size[k];
    }
  }
  int64_t start[PT_MAX_DIMS], end[PT_MAX_DIMS], step[PT_MAX_DIMS];
  int64_t dims[PT_MAX_DIMS];
  for (int i = 0; i < x->ndim; i++)
    start[i] = 0, end[i] = dims[i] = x->dims[i], step[i] = 1;
  int64_t off = 0;
  for (int k = 0; !rc && k < nout; k++) {
    start[axis] = off;
    end[axis] = off + size[k];
    dims[axis] = size[k];
    off += size[k];
    char name[300];
    snprintf(name, sizeof name, "%s/out%d", L->nname, k);
    rc = slice_out(L, k, nout > 1 ? name : L->np->name, start, end, step,
                   dims);
  }
  free(size);
  return rc;
}

// The dispatch table. The list in pt_onnx_supported_ops() names the same
// op types.
static const struct {
  const char *name;
  op_fn fn;
} ops[] = {
    {"Add", op_add},
    {"AveragePool", op_avgpool},
    {"BatchNormalization", op_batchnorm},
    {"Cast", op_cast},
    {"Clip", op_clip},
    {"Concat", op_concat},
    {"Constant", op_constant},
    {"ConstantOfShape", op_constantofshape},
    {"Conv", op_conv},
    {"Div", op_div},
    {"Dropout", op_dropout},
    {"Flatten", op_flatten},
    {"Gather", op_gather},
    {"Gemm", op_gemm},
    {"GlobalAveragePool", op_gap},
    {"GlobalMaxPool", op_gmp},
    {"HardSigmoid", op_hardsigmoid},
    {"HardSwish", op_hardswish},
    {"Identity", op_identity},
    {"LRN", op_lrn},
    {"LeakyRelu", op_leakyrelu},
    {"MatMul", op_matmul},
    {"MaxPool", op_maxpool},
    {"Mul", op_mul},
    {"Pad", op_pad},
    {"ReduceMean", op_reducemean},
    {"Relu", op_relu},
    {"Reshape", op_reshape},
    {"Shape", op_shape},
    {"Sigmoid", op_sigmoid},
    {"Slice", op_slice},
    {"Softmax", op_softmax},
    {"Split", op_split},
    {"Squeeze", op_squeeze},
    {"Sub", op_sub},
    {"Tanh", op_tanh},
    {"Transpose", op_transpose},
    {"Unsqueeze", op_unsqueeze},
};

const char *pt_onnx_supported_ops(void) {
  return "Add, AveragePool, BatchNormalization, Cast, Clip, Concat, Constant, "
         "ConstantOfShape, Conv, Div, Dropout, Flatten, Gather, Gemm, "
         "GlobalAveragePool, GlobalMaxPool, HardSigmoid, HardSwish, Identity, "
         "LRN, LeakyRelu, MatMul, MaxPool, Mul, Pad, ReduceMean, Relu, "
         "Reshape, Shape, Sigmoid, Slice, Softmax, Split, Squeeze, Sub, Tanh, "
         "Transpose, Unsqueeze";
}

// ---- the graph ----

static int read_node(loader *L, const Onnx__NodeProto *np, int idx) {
  L->np = np;
  L->nidx = idx;
  const char *op = np->op_type ? np->op_type : "";
  if (np->name && *np->name)
    snprintf(L->nname, sizeof L->nname, "%s", np->name);
  else
    snprintf(L->nname, sizeof L->nname, "%s_%d", op, idx);
  if (!np->op_type)
    return fail(L, "has no op type");
  if (np->domain && *np->domain && strcmp(np->domain, "ai.onnx"))
    return fail(L, "op domain '%s' is not supported (only the default ONNX "
                "domain); supported ops: %s", np->domain,
                pt_onnx_supported_ops());
  op_fn fn = NULL;
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
    if (strcmp(ops[i].name, op) == 0)
      fn = ops[i].fn;
  if (!fn)
    return fail(L, "unsupported op type '%s'; supported ops: %s", op,
                pt_onnx_supported_ops());
  if (np->n_output < 1 || !np->output[0][0])
    return fail(L, "has no output");
  // Split makes a node per output; every other op makes one node.
  if (np->n_output > PT_MAX_OUT && strcmp(op, "Split"))
    return fail(L, "has %zu outputs, at most %d supported", np->n_output,
                PT_MAX_OUT);
  L->nin = (int)np->n_input;
  L->in = pt_malloc((np->n_input ? np->n_input : 1) * sizeof *L->in);
  for (size_t k = 0; k < np->n_input; k++) {
    L->in[k] = -1;
    if (!np->input[k][0])
      continue;
    L->in[k] = pt_graph_find_tensor(L->g, np->input[k]);
    if (L->in[k] < 0)
      return fail(L, "input '%s' is not an initializer, a graph input or the "
                  "output of an earlier node", np->input[k]);
  }
  // Trailing omitted inputs do not count.
  while (L->nin > 0 && L->in[L->nin - 1] < 0)
    L->nin--;
  return fn(L);
}

static int read_value_info(loader *L, const Onnx__ValueInfoProto *vi) {
  const char *name = vi->name ? vi->name : "";
  if (!*name)
    return fail(L, "a graph input has no name");
  if (!vi->type || vi->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE)
    return fail(L, "graph input '%s' is not a tensor", name);
  const Onnx__TypeProto__Tensor *tt = vi->type->tensor_type;
  pt_dtype dt;
  if (!tt->has_elem_type)
    return fail(L, "graph input '%s' has no element type", name);
  elem_info(tt->elem_type, &dt);
  if (tt->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT && dt == PT_F32)
    dt = PT_OTHER; // double/half activations are not float32
  if (!tt->shape)
    return fail(L, "graph input '%s' has no shape", name);
  if (tt->shape->n_dim > PT_MAX_DIMS)
    return fail(L, "graph input '%s' has rank %zu, at most %d supported",
                name, tt->shape->n_dim, PT_MAX_DIMS);
  int64_t dims[PT_MAX_DIMS];
  int nd = (int)tt->shape->n_dim;
  for (int i = 0; i < nd; i++) {
    const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
    dims[i] = d->value_case ==
                      ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE
                  ? d->dim_value : 1; // symbolic (batch) or unknown
  }
  if (!numel_ok(dims, nd, NULL))
    return fail(L, "graph input '%s' has an absurd shape (negative dims or "
                "more than 2^40 elements)", name);
  if (pt_graph_find_tensor(L->g, name) >= 0)
    return fail(L, "graph input '%s' is defined twice", name);
  if (L->g->ninputs == PT_MAX_IN)
    return fail(L, "more than %d graph inputs", PT_MAX_IN);
  int ti = pt_graph_add_tensor(L->g, name, dt, nd, dims);
  L->g->inputs[L->g->ninputs++] = ti;
  return 0;
}

static int read_graph(loader *L, const Onnx__ModelProto *m) {
  const Onnx__GraphProto *gp = m->graph;
  if (!gp)
    return fail(L, "not an ONNX model (no graph)");
  L->opset = 1;
  bool have_opset = false;
  for (size_t i = 0; i < m->n_opset_import; i++) {
    const Onnx__OperatorSetIdProto *os = m->opset_import[i];
    if (!os->domain || !*os->domain || !strcmp(os->domain, "ai.onnx"))
      L->opset = os->version, have_opset = true;
  }
  if (!have_opset)
    return fail(L, "not an ONNX model (no opset for the default domain)");
  L->g->has_weights = true;
  for (size_t i = 0; i < gp->n_initializer; i++)
    if (make_const(L, gp->initializer[i], -1) < 0)
      return -1;
  for (size_t i = 0; i < gp->n_input; i++) {
    const char *name = gp->input[i]->name;
    int ti = name ? pt_graph_find_tensor(L->g, name) : -1;
    if (ti >= 0 && L->g->t[ti].is_const)
      continue; // an initializer also listed as input: a constant
    if (read_value_info(L, gp->input[i]))
      return -1;
  }
  for (size_t i = 0; i < gp->n_node; i++) {
    int r = read_node(L, gp->node[i], (int)i);
    free(L->in);
    L->in = NULL;
    if (r)
      return -1;
  }
  L->np = NULL;
  if (gp->n_output == 0)
    return fail(L, "the graph has no outputs");
  if (gp->n_output > PT_MAX_OUT)
    return fail(L, "the graph has %zu outputs, at most %d supported",
                gp->n_output, PT_MAX_OUT);
  for (size_t i = 0; i < gp->n_output; i++) {
    const char *name = gp->output[i]->name ? gp->output[i]->name : "";
    int ti = pt_graph_find_tensor(L->g, name);
    if (ti < 0)
      return fail(L, "graph output '%s' is not produced by any node", name);
    L->g->outputs[L->g->noutputs++] = ti;
  }
  return 0;
}

pt_graph *pt_onnx_load_raw(const char *path, char *notice, size_t noticelen,
                           pt_error *err) {
  if (notice && noticelen)
    notice[0] = 0;
  size_t len;
  unsigned char *buf = pt_read_file(path, &len, err);
  if (!buf)
    return NULL;
  loader L = {.path = path, .err = err, .notice = notice,
              .noticelen = noticelen};
  if (len == 0) {
    free(buf);
    fail(&L, "empty file, not an ONNX model");
    return NULL;
  }
  Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, len, buf);
  free(buf);
  if (!m) {
    fail(&L, "not an ONNX model (protobuf parse failed: truncated or "
         "corrupt file?)");
    return NULL;
  }
  const char *slash = strrchr(path, '/');
  if (slash)
    snprintf(L.dir, sizeof L.dir, "%.*s/", (int)(slash - path), path);
  L.g = pt_graph_new(path);
  int r = read_graph(&L, m);
  free(L.in);
  onnx__model_proto__free_unpacked(m, NULL);
  if (r) {
    pt_graph_free(L.g);
    if (notice && noticelen)
      notice[0] = 0;
    return NULL;
  }
  return L.g;
}

pt_graph *pt_onnx_load(const char *path, char *notice, size_t noticelen,
                       pt_error *err) {
  pt_graph *g = pt_onnx_load_raw(path, notice, noticelen, err);
  if (!g)
    return NULL;
  if (pt_graph_cleanup(g, err) || pt_graph_check(g, err)) {
    pt_error_prefix(err, "%s: ", path);
    pt_graph_free(g);
    return NULL;
  }
  return g;
}

// ---------------------------------------------------------------------------
// A lone TensorProto file (test data, --input / --expect)

float *pt_onnx_read_tensor(const char *path, int64_t dims[PT_MAX_DIMS],
                           int *ndim, pt_error *err) {
  size_t len;
  unsigned char *buf = pt_read_file(path, &len, err);
  if (!buf)
    return NULL;
  Onnx__TensorProto *tp = onnx__tensor_proto__unpack(NULL, len, buf);
  free(buf);
  if (!tp) {
    pt_errorf(err, "%s: not a serialized ONNX TensorProto", path);
    return NULL;
  }
  float *out = NULL;
  int64_t n = 1;
  bool ok = tp->n_dims <= PT_MAX_DIMS;
  for (size_t i = 0; ok && i < tp->n_dims; i++) {
    ok = tp->dims[i] >= 0 && tp->dims[i] <= ((int64_t)1 << 31);
    n *= ok ? tp->dims[i] : 1;
    ok = ok && n <= ((int64_t)1 << 31);
  }
  if (!ok) {
    pt_errorf(err, "%s: tensor shape has %zu dimensions or is too large "
              "(at most %d dimensions, 2^31 elements)", path, tp->n_dims,
              PT_MAX_DIMS);
    goto done;
  }
  *ndim = (int)tp->n_dims;
  for (size_t i = 0; i < tp->n_dims; i++)
    dims[i] = tp->dims[i];
  out = pt_malloc((size_t)n * sizeof *out);
  if (tp->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) {
    if (tp->has_raw_data && tp->raw_data.len == (size_t)n * 4)
      memcpy(out, tp->raw_data.data, (size_t)n * 4); // little-endian host
    else if (tp->n_float_data == (size_t)n)
      memcpy(out, tp->float_data, (size_t)n * 4);
    else
      goto short_data;
  } else if (tp->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE) {
    if (tp->has_raw_data && tp->raw_data.len == (size_t)n * 8) {
      for (int64_t i = 0; i < n; i++) {
        double d;
        memcpy(&d, tp->raw_data.data + 8 * i, 8);
        out[i] = (float)d;
      }
    } else if (tp->n_double_data == (size_t)n) {
      for (int64_t i = 0; i < n; i++)
        out[i] = (float)tp->double_data[i];
    } else {
      goto short_data;
    }
  } else {
    pt_errorf(err, "%s: tensor of data type %d; float or double expected",
              path, tp->data_type);
    free(out);
    out = NULL;
  }
  goto done;
short_data:
  pt_errorf(err, "%s: tensor data does not hold the %lld elements of its "
            "shape", path, (long long)n);
  free(out);
  out = NULL;
done:
  onnx__tensor_proto__free_unpacked(tp, NULL);
  return out;
}
