// Import of the PIMCOMP-NN model JSON format (compatibility with the seed).
//
// A file is one object whose "node_list" lists the network's operations.
// Each entry has an "index" (what other entries refer to), a "name", an
// "operation" (OP_CONV ...), its "output_dim" (batch first), the indices
// of the entries it reads ("provider_index") and, for most operations, a
// "param" object. Convs and fc layers may carry a fused batch norm
// ("with_bn") and activation ("with_act", "act_type": 0 relu, 1 tanh,
// 2 sigmoid, as the seed's frontend assigns them; "with_clip", "clip_min",
// "clip_max"). The format holds no weights, so the graph is structure-only.
//
// The importer builds the graph a cleaned-up ONNX load would give:
//
//   OP_INPUT                   a graph input tensor (no node)
//   OP_CONV                    conv; weight [O, I/group, kh, kw], bias [O];
//                              the group is kept (the seed ran them dense)
//   OP_FC                      fc; weight [O, I] with trans_b, bias [O]
//   OP_POOL                    maxpool / avgpool (pool_method 0 / 1), or
//                              globalmaxpool / globalavgpool when "global"
//   OP_ELTWISE                 add (eletype 2) or sub (eletype 4)
//   OP_CONCAT                  concat on axis 1
//   OP_FLATTEN, OP_RESHAPE,    reshape (dropped when the shape is unchanged)
//   OP_SQUEEZE, OP_UNSQUEEZE
//   OP_SOFTMAX                 softmax on axis 1
//   OP_RELU, OP_TANH,          fused into a conv/fc/add/sub producer that
//   OP_SIGMOID, OP_CLIP        has no other consumer and no activation yet;
//                              otherwise a stand-alone act node
//   OP_BN                      dropped when it follows a conv/fc with no
//                              other consumer (folded: no weights to change);
//                              otherwise a batchnorm node
//   OP_DROPOUT                 dropped (identity at inference)
//   OP_SHUFFLE                 shuffle with group = split_factor (what
//                              reshape [N, g, C/g, H, W], transpose
//                              (0 2 1 3 4), reshape [N, C, H, W] computes)
//   OP_PAD                     pad (constant)
//   OP_LRN                     lrn; the seed writes no parameters: optional
//                              param local_size/size, alpha, beta, k/bias,
//                              by default Caffe's 5, 1e-4, 0.75, 1
//
// Not supported: OP_TRANSPOSE (the format does not record the
// permutation), OP_MATMUL, OP_SHAPE, OP_GATHER.
//
// Entries are put in topological order first (the seed writes them so, but
// nothing requires it). Every output shape is then computed from the inputs
// and attributes and compared with the file's output_dim; a difference is an
// error. The one attribute the format lacks, pooling's ceil_mode, is taken
// to be on when only the ceiling rule gives the file's output_dim (Caffe
// models such as GoogLeNet need it).
#include "graph.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NUMEL 1099511627776.0 // 2^40 elements in one tensor

typedef struct {
  const char *path;
  pt_error *err;
  pt_graph *g;
  int n;                 // entries in node_list
  const cJSON **node;    // entry by position in node_list
  int *order;            // positions in topological order
  int (*prov)[PT_MAX_IN];// providers of each entry, as positions
  int *nprov;
  int *uses;             // how many times each entry is read
  int64_t (*odims)[PT_MAX_DIMS]; // the file's output_dim of each entry
  int *ondim;
  int *tensor;           // tensor holding each entry's output, once built
  int *tuse;             // per tensor: entries that read it
  int cap_tuse;
  int cur;               // position of the entry being read, -1 if none
} loader;

// ---- error reporting ----

// Fill the error with "<path>: node '<name>' (index <i>, <OP>): <message>",
// or "<path>: <message>" outside any entry. Returns -1.
__attribute__((format(printf, 2, 3)))
static int fail(loader *L, const char *fmt, ...) {
  if (!L->err)
    return -1;
  char *m = L->err->msg;
  int k;
  if (L->cur >= 0) {
    const cJSON *j = L->node[L->cur];
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(j, "name");
    const cJSON *op = cJSON_GetObjectItemCaseSensitive(j, "operation");
    const cJSON *idx = cJSON_GetObjectItemCaseSensitive(j, "index");
    k = snprintf(m, PT_ERRMSG, "%s: node '%s' (index %d, %s): ", L->path,
                 cJSON_IsString(name) ? name->valuestring : "?",
                 cJSON_IsNumber(idx) ? idx->valueint : L->cur,
                 cJSON_IsString(op) ? op->valuestring : "?");
  } else {
    k = snprintf(m, PT_ERRMSG, "%s: ", L->path);
  }
  if (k >= 0 && k < PT_ERRMSG) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m + k, PT_ERRMSG - k, fmt, ap);
    va_end(ap);
  }
  return -1;
}

static void fmt_dims(const int64_t *d, int n, char *buf, size_t len) {
  size_t k = 0;
  buf[0] = 0;
  for (int i = 0; i < n && k < len; i++) {
    int w = snprintf(buf + k, len - k, "%s%lld", i ? ", " : "[",
                     (long long)d[i]);
    if (w < 0)
      return;
    k += w;
  }
  if (k < len)
    snprintf(buf + k, len - k, n ? "]" : "[]");
}

// ---- field access ----

// An integer member `key` of obj (which is an entry or its "param"; `what`
// says which, for messages). Absent: *out = def when optional, else error.
static int get_int(loader *L, const cJSON *obj, const char *what,
                   const char *key, bool required, int64_t def, int64_t *out) {
  const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
  if (!v) {
    if (required)
      return fail(L, "missing %s field '%s'", what, key);
    *out = def;
    return 0;
  }
  double d = v->valuedouble;
  if (!cJSON_IsNumber(v) || d != floor(d) || fabs(d) > INT32_MAX)
    return fail(L, "%s field '%s' must be an integer of at most 32 bits",
                what, key);
  *out = (int64_t)d;
  return 0;
}

static int get_num(loader *L, const cJSON *obj, const char *what,
                   const char *key, bool required, double def, double *out) {
  const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
  if (!v) {
    if (required)
      return fail(L, "missing %s field '%s'", what, key);
    *out = def;
    return 0;
  }
  if (!cJSON_IsNumber(v))
    return fail(L, "%s field '%s' must be a number", what, key);
  *out = v->valuedouble;
  return 0;
}

// The entry's "param" object (an error if absent).
static const cJSON *get_param(loader *L, const cJSON *j) {
  const cJSON *p = cJSON_GetObjectItemCaseSensitive(j, "param");
  if (!cJSON_IsObject(p)) {
    fail(L, "missing field 'param'");
    return NULL;
  }
  return p;
}

static int get_dims(loader *L, const cJSON *j, const char *key, int64_t *dims,
                    int *ndim) {
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, key);
  if (!a)
    return fail(L, "missing field '%s'", key);
  int n = cJSON_GetArraySize(a);
  if (!cJSON_IsArray(a) || n < 1 || n > PT_MAX_DIMS)
    return fail(L, "field '%s' must be a list of 1 to %d sizes", key,
                PT_MAX_DIMS);
  int i = 0;
  const cJSON *v;
  double numel = 1;
  cJSON_ArrayForEach(v, a) {
    double d = v->valuedouble;
    if (!cJSON_IsNumber(v) || d != floor(d) || d < 1 || d > MAX_NUMEL)
      return fail(L, "field '%s': entry %d is not a positive integer", key, i);
    dims[i++] = (int64_t)d;
    numel *= d;
  }
  // Bounded so that no size computed from it can overflow.
  if (numel > MAX_NUMEL)
    return fail(L, "field '%s': more than 2^40 elements", key);
  *ndim = n;
  return 0;
}

// ---- graph building ----

static const pt_tensor *input(loader *L, int k) {
  return &L->g->t[L->tensor[L->prov[L->cur][k]]];
}

static const char *cur_name(loader *L) {
  return cJSON_GetObjectItemCaseSensitive(L->node[L->cur], "name")
      ->valuestring;
}

static int cur_index(loader *L) {
  return cJSON_GetObjectItemCaseSensitive(L->node[L->cur], "index")->valueint;
}

static void set_tuse(loader *L, int t, int v) {
  if (t >= L->cap_tuse) {
    int cap = L->cap_tuse ? 2 * L->cap_tuse : 64;
    while (cap <= t)
      cap *= 2;
    L->tuse = pt_realloc(L->tuse, cap * sizeof *L->tuse);
    memset(L->tuse + L->cap_tuse, 0, (cap - L->cap_tuse) * sizeof *L->tuse);
    L->cap_tuse = cap;
  }
  L->tuse[t] = v;
}

// Compare a computed output shape with the file's output_dim.
static int check_out(loader *L, const int64_t *dims, int ndim,
                     const char *how) {
  const int64_t *fd = L->odims[L->cur];
  int fn = L->ondim[L->cur];
  bool same = fn == ndim;
  for (int i = 0; same && i < ndim; i++)
    same = fd[i] == dims[i];
  if (same)
    return 0;
  char a[128], b[128], c[128];
  fmt_dims(fd, fn, a, sizeof a);
  fmt_dims(dims, ndim, b, sizeof b);
  if (L->nprov[L->cur] > 0) {
    const pt_tensor *x = input(L, 0);
    fmt_dims(x->dims, x->ndim, c, sizeof c);
  } else {
    snprintf(c, sizeof c, "none");
  }
  return fail(L, "output_dim %s in the file, but %s gives %s (input %s)", a,
              how, b, c);
}

// The entry's output is its (first) input tensor: nothing is added.
static int alias(loader *L) {
  int t = L->tensor[L->prov[L->cur][0]];
  L->tensor[L->cur] = t;
  // The entry consumed one use of t and hands its own readers to it.
  set_tuse(L, t, L->tuse[t] - 1 + L->uses[L->cur]);
  return 0;
}

// Add a constant tensor (no values: structure-only).
static int add_const(loader *L, const char *suffix, int ndim,
                     const int64_t *dims) {
  char name[512];
  snprintf(name, sizeof name, "%s.%s", cur_name(L), suffix);
  int t = pt_graph_add_tensor(L->g, name, PT_F32, ndim, dims);
  L->g->t[t].is_const = true;
  return t;
}

// Append a node of the current entry with inputs in[0..nin) and one output
// tensor of the given shape, both called `name` (NULL: the entry's name).
// Returns the node's index; *out receives the output tensor.
static int emit(loader *L, const char *name, pt_op op, const int *in, int nin,
                const int64_t *dims, int ndim, int *out) {
  if (!name)
    name = cur_name(L);
  int t = pt_graph_add_tensor(L->g, name, PT_F32, ndim, dims);
  int ni = pt_graph_add_node(L->g, name, cur_index(L), op);
  pt_node *nd = &L->g->n[ni];
  nd->nin = nin;
  memcpy(nd->in, in, nin * sizeof *in);
  nd->nout = 1;
  nd->out[0] = t;
  L->g->t[t].producer = ni;
  set_tuse(L, t, 0);
  *out = t;
  return ni;
}

// The entry's final output tensor is t.
static void produce(loader *L, int t) {
  L->tensor[L->cur] = t;
  set_tuse(L, t, L->uses[L->cur]);
}

// Inputs of the current entry as tensor indices.
static void inputs(loader *L, int *in) {
  for (int k = 0; k < L->nprov[L->cur]; k++)
    in[k] = L->tensor[L->prov[L->cur][k]];
}

// The activation fused into a conv or fc entry (with_act, act_type,
// with_clip, clip_min, clip_max).
static int fused_act(loader *L, const cJSON *j, pt_node *nd) {
  int64_t with_act = 0, act_type = -1, with_clip = 0;
  if (get_int(L, j, "node", "with_act", false, 0, &with_act) ||
      get_int(L, j, "node", "with_clip", false, 0, &with_clip))
    return -1;
  if (with_act) {
    if (get_int(L, j, "node", "act_type", true, 0, &act_type))
      return -1;
    switch (act_type) {
    case 0: nd->act = PT_ACT_RELU; break;
    case 1: nd->act = PT_ACT_TANH; break;
    case 2: nd->act = PT_ACT_SIGMOID; break;
    default:
      return fail(L, "act_type %lld is not one of 0 (relu), 1 (tanh), "
                  "2 (sigmoid)", (long long)act_type);
    }
  }
  if (with_clip) {
    double lo = 0, hi = 0;
    if (get_num(L, j, "node", "clip_min", true, 0, &lo) ||
        get_num(L, j, "node", "clip_max", true, 0, &hi))
      return -1;
    if (nd->act == PT_ACT_RELU)
      lo = lo > 0 ? lo : 0; // relu then clip is one clip
    else if (nd->act != PT_ACT_NONE)
      return fail(L, "with_clip cannot follow act_type %lld",
                  (long long)act_type);
    nd->act = PT_ACT_CLIP;
    nd->act_a = (float)lo;
    nd->act_b = (float)hi;
  }
  return 0;
}

static int need_rank(loader *L, int k, int rank, const char *layout) {
  const pt_tensor *x = input(L, k);
  if (x->ndim != rank)
    return fail(L, "input '%s' has rank %d, expected %d (%s)", x->name,
                x->ndim, rank, layout);
  return 0;
}

// ---- operations ----

static int op_input(loader *L, const cJSON *j) {
  int t = pt_graph_add_tensor(L->g, cur_name(L), PT_F32, L->ondim[L->cur],
                              L->odims[L->cur]);
  if (L->g->ninputs == PT_MAX_IN)
    return fail(L, "more than %d graph inputs", PT_MAX_IN);
  L->g->inputs[L->g->ninputs++] = t;
  produce(L, t);
  return 0;
}

static int64_t window_out(int64_t in, int64_t k, int64_t s, int64_t p0,
                          int64_t p1, int64_t d, bool ceil_mode) {
  int64_t span = in + p0 + p1 - d * (k - 1) - 1;
  if (span < 0)
    return 0;
  int64_t o = (ceil_mode ? pt_ceil_div(span, s) : span / s) + 1;
  // A ceil-mode window must start inside the input or its leading pad.
  if (ceil_mode && (o - 1) * s >= in + p0)
    o--;
  return o;
}

// kernel_h/w, stride_h/w, pad_h0/h1/w0/w1 (and dilation_h/w for convs)
// into the node's attributes.
static int window_attrs(loader *L, const cJSON *p, bool dilation,
                        pt_attrs *a) {
  static const char *keys[] = {"kernel_h", "kernel_w", "stride_h", "stride_w",
                               "pad_h0", "pad_w0", "pad_h1", "pad_w1",
                               "dilation_h", "dilation_w"};
  int64_t v[10];
  for (int i = 0; i < 10; i++) {
    bool req = i < 2;
    int64_t def = i < 4 || i >= 8 ? 1 : 0;
    if (i >= 8 && !dilation) {
      v[i] = 1;
      continue;
    }
    if (get_int(L, p, "param", keys[i], req, def, &v[i]))
      return -1;
    if (v[i] < (i >= 4 && i < 8 ? 0 : 1))
      return fail(L, "param %s = %lld is out of range", keys[i],
                  (long long)v[i]);
  }
  a->nspatial = 2;
  for (int s = 0; s < 2; s++) {
    a->kernel[s] = v[s];
    a->stride[s] = v[2 + s];
    a->pad_begin[s] = v[4 + s];
    a->pad_end[s] = v[6 + s];
    a->dilation[s] = v[8 + s];
  }
  return 0;
}

static void window_dims(const pt_tensor *x, int64_t c, const pt_attrs *a,
                        bool ceil_mode, int64_t *od) {
  od[0] = x->dims[0];
  od[1] = c;
  for (int s = 0; s < 2; s++)
    od[2 + s] = window_out(x->dims[2 + s], a->kernel[s], a->stride[s],
                           a->pad_begin[s], a->pad_end[s], a->dilation[s],
                           ceil_mode);
}

static int op_conv(loader *L, const cJSON *j) {
  const cJSON *p = get_param(L, j);
  if (!p || need_rank(L, 0, 4, "N, C, H, W"))
    return -1;
  const pt_tensor *x = input(L, 0);
  int64_t cin = 0, cout, group = 1, bias = 0;
  pt_attrs a;
  memset(&a, 0, sizeof a);
  if (get_int(L, p, "param", "input_channel", true, 0, &cin) ||
      get_int(L, p, "param", "output_channel", true, 0, &cout) ||
      get_int(L, p, "param", "group", false, 1, &group) ||
      get_int(L, p, "param", "with_bias", false, 0, &bias) ||
      window_attrs(L, p, true, &a))
    return -1;
  if (cin != x->dims[1])
    return fail(L, "param input_channel = %lld, but input '%s' has %lld "
                "channels", (long long)cin, x->name, (long long)x->dims[1]);
  if (group < 1 || cout < 1 || cin % group || cout % group)
    return fail(L, "param group = %lld does not divide input_channel %lld "
                "and output_channel %lld", (long long)group, (long long)cin,
                (long long)cout);
  int64_t od[4];
  window_dims(x, cout, &a, false, od);
  if (check_out(L, od, 4, "the convolution"))
    return -1;
  int in[3];
  inputs(L, in);
  int64_t wd[4] = {cout, cin / group, a.kernel[0], a.kernel[1]};
  in[1] = add_const(L, "weight", 4, wd);
  if (bias)
    in[2] = add_const(L, "bias", 1, &cout);
  int t;
  int ni = emit(L, NULL, PT_OP_CONV, in, bias ? 3 : 2, od, 4, &t);
  pt_node *nd = &L->g->n[ni];
  nd->a = a;
  nd->a.group = group;
  if (fused_act(L, j, nd))
    return -1;
  produce(L, t);
  return 0;
}

static int op_fc(loader *L, const cJSON *j) {
  const cJSON *p = get_param(L, j);
  if (!p)
    return -1;
  int64_t nin = 0, nout, bias = 0;
  if (get_int(L, p, "param", "num_input", true, 0, &nin) ||
      get_int(L, p, "param", "num_output", true, 0, &nout) ||
      get_int(L, p, "param", "with_bias", false, 0, &bias))
    return -1;
  const pt_tensor *x = input(L, 0);
  int64_t n = x->dims[0], feat = pt_tensor_numel(x) / n;
  if (x->ndim < 2 || feat != nin)
    return fail(L, "param num_input = %lld, but input '%s' has %lld features "
                "per sample", (long long)nin, x->name, (long long)feat);
  int64_t od[2] = {n, nout};
  if (check_out(L, od, 2, "the fc layer"))
    return -1;
  int in[3];
  inputs(L, in);
  if (x->ndim != 2) { // flatten first, as ONNX's Flatten would
    char name[512];
    snprintf(name, sizeof name, "%s/flatten", cur_name(L));
    int64_t fd[2] = {n, feat};
    emit(L, name, PT_OP_RESHAPE, in, 1, fd, 2, &in[0]);
  }
  int64_t wd[2] = {nout, nin};
  in[1] = add_const(L, "weight", 2, wd);
  if (bias)
    in[2] = add_const(L, "bias", 1, &nout);
  int t;
  int ni = emit(L, NULL, PT_OP_FC, in, bias ? 3 : 2, od, 2, &t);
  pt_node *nd = &L->g->n[ni];
  nd->a.trans_b = true;
  if (fused_act(L, j, nd))
    return -1;
  produce(L, t);
  return 0;
}

static int op_pool(loader *L, const cJSON *j) {
  const cJSON *p = get_param(L, j);
  if (!p || need_rank(L, 0, 4, "N, C, H, W"))
    return -1;
  const pt_tensor *x = input(L, 0);
  int64_t method = -1, global = 0;
  if (get_int(L, p, "param", "pool_method", true, 0, &method) ||
      get_int(L, p, "param", "global", false, 0, &global))
    return -1;
  if (method != 0 && method != 1)
    return fail(L, "param pool_method = %lld is not 0 (max) or 1 (average)",
                (long long)method);
  int in[1], t;
  inputs(L, in);
  if (global) {
    int64_t od[4] = {x->dims[0], x->dims[1], 1, 1};
    if (check_out(L, od, 4, "global pooling"))
      return -1;
    emit(L, NULL, method ? PT_OP_GLOBALAVG : PT_OP_GLOBALMAX, in, 1, od, 4,
         &t);
    produce(L, t);
    return 0;
  }
  pt_attrs a;
  memset(&a, 0, sizeof a);
  if (window_attrs(L, p, false, &a))
    return -1;
  int64_t od[4], oc[4];
  window_dims(x, x->dims[1], &a, false, od);
  window_dims(x, x->dims[1], &a, true, oc);
  const int64_t *fd = L->odims[L->cur];
  bool ceil_mode = L->ondim[L->cur] == 4 && memcmp(fd, od, sizeof od) != 0 &&
                   memcmp(fd, oc, sizeof oc) == 0;
  if (check_out(L, ceil_mode ? oc : od, 4,
                "pooling (floor or ceil rounding)"))
    return -1;
  int ni = emit(L, NULL, method ? PT_OP_AVGPOOL : PT_OP_MAXPOOL, in, 1,
                ceil_mode ? oc : od, 4, &t);
  L->g->n[ni].a = a;
  L->g->n[ni].a.ceil_mode = ceil_mode;
  produce(L, t);
  return 0;
}

static int op_eltwise(loader *L, const cJSON *j) {
  const cJSON *p = get_param(L, j);
  int64_t type = -1;
  if (!p || get_int(L, p, "param", "eletype", true, 0, &type))
    return -1;
  pt_op op;
  if (type == 2)
    op = PT_OP_ADD; // the seed's frontend writes 2 for Add and Sum
  else if (type == 4)
    op = PT_OP_SUB;
  else
    return fail(L, "param eletype = %lld is not supported (2: sum, 4: sub)",
                (long long)type);
  // Multidirectional broadcasting, aligned on the last dimension.
  const pt_tensor *x = input(L, 0), *y = input(L, 1);
  int nd = x->ndim > y->ndim ? x->ndim : y->ndim;
  int64_t od[PT_MAX_DIMS];
  for (int i = 0; i < nd; i++) {
    int ix = i - (nd - x->ndim), iy = i - (nd - y->ndim);
    int64_t a = ix >= 0 ? x->dims[ix] : 1, b = iy >= 0 ? y->dims[iy] : 1;
    if (a != b && a != 1 && b != 1) {
      char s1[128], s2[128];
      fmt_dims(x->dims, x->ndim, s1, sizeof s1);
      fmt_dims(y->dims, y->ndim, s2, sizeof s2);
      return fail(L, "inputs %s and %s do not broadcast", s1, s2);
    }
    od[i] = a > b ? a : b;
  }
  if (check_out(L, od, nd, "the element-wise operation"))
    return -1;
  int in[2], t;
  inputs(L, in);
  emit(L, NULL, op, in, 2, od, nd, &t);
  produce(L, t);
  return 0;
}

static int op_concat(loader *L, const cJSON *j) {
  const pt_tensor *x = input(L, 0);
  int64_t od[PT_MAX_DIMS];
  int nd = x->ndim;
  if (nd < 2)
    return fail(L, "input '%s' has rank %d: no channel axis", x->name, nd);
  memcpy(od, x->dims, nd * sizeof *od);
  for (int k = 1; k < L->nprov[L->cur]; k++) {
    const pt_tensor *y = input(L, k);
    bool ok = y->ndim == nd;
    for (int i = 0; ok && i < nd; i++)
      ok = i == 1 || y->dims[i] == od[i];
    if (!ok) {
      char s1[128], s2[128];
      fmt_dims(x->dims, x->ndim, s1, sizeof s1);
      fmt_dims(y->dims, y->ndim, s2, sizeof s2);
      return fail(L, "input %d '%s' %s does not match input 0 %s outside "
                  "axis 1", k, y->name, s2, s1);
    }
    od[1] += y->dims[1];
  }
  if (check_out(L, od, nd, "concatenation on axis 1"))
    return -1;
  int in[PT_MAX_IN], t;
  inputs(L, in);
  int ni = emit(L, NULL, PT_OP_CONCAT, in, L->nprov[L->cur], od, nd, &t);
  L->g->n[ni].a.axis = 1;
  produce(L, t);
  return 0;
}

// OP_FLATTEN: [N, ...] -> [N, rest]. OP_RESHAPE, OP_SQUEEZE, OP_UNSQUEEZE:
// the file records no target shape but the output_dim, which must keep the
// element count and the batch.
static int op_reshape(loader *L, const cJSON *j) {
  const pt_tensor *x = input(L, 0);
  const char *op = cJSON_GetObjectItemCaseSensitive(j, "operation")
      ->valuestring;
  int64_t od[PT_MAX_DIMS];
  int nd;
  if (strcmp(op, "OP_FLATTEN") == 0) {
    nd = 2;
    od[0] = x->dims[0];
    od[1] = pt_tensor_numel(x) / x->dims[0];
    if (check_out(L, od, nd, "flattening"))
      return -1;
  } else {
    nd = L->ondim[L->cur];
    memcpy(od, L->odims[L->cur], nd * sizeof *od);
    int64_t numel = 1;
    for (int i = 0; i < nd; i++)
      numel *= od[i];
    if (numel != pt_tensor_numel(x) || od[0] != x->dims[0]) {
      char s1[128], s2[128];
      fmt_dims(x->dims, x->ndim, s1, sizeof s1);
      fmt_dims(od, nd, s2, sizeof s2);
      return fail(L, "output_dim %s does not keep the batch and the element "
                  "count of input %s", s2, s1);
    }
  }
  bool same = nd == x->ndim && memcmp(od, x->dims, nd * sizeof *od) == 0;
  if (same)
    return alias(L);
  int in[1], t;
  inputs(L, in);
  emit(L, NULL, PT_OP_RESHAPE, in, 1, od, nd, &t);
  produce(L, t);
  return 0;
}

static int op_softmax(loader *L, const cJSON *j) {
  const pt_tensor *x = input(L, 0);
  if (x->ndim < 2)
    return fail(L, "input '%s' has rank %d: no axis 1", x->name, x->ndim);
  int64_t od[PT_MAX_DIMS];
  int nd = x->ndim;
  memcpy(od, x->dims, nd * sizeof *od);
  if (check_out(L, od, nd, "softmax"))
    return -1;
  int in[1], t;
  inputs(L, in);
  int ni = emit(L, NULL, PT_OP_SOFTMAX, in, 1, od, nd, &t);
  L->g->n[ni].a.axis = 1;
  produce(L, t);
  return 0;
}

static int op_dropout(loader *L, const cJSON *j) {
  const pt_tensor *x = input(L, 0);
  if (check_out(L, x->dims, x->ndim, "dropout (identity)"))
    return -1;
  return alias(L);
}

// Stand-alone activations: fused into their producer when clean-up would.
static int op_act(loader *L, const cJSON *j) {
  const char *op = cJSON_GetObjectItemCaseSensitive(j, "operation")
      ->valuestring;
  pt_act act = PT_ACT_RELU;
  float lo = 0, hi = 0;
  if (strcmp(op, "OP_TANH") == 0)
    act = PT_ACT_TANH;
  else if (strcmp(op, "OP_SIGMOID") == 0)
    act = PT_ACT_SIGMOID;
  else if (strcmp(op, "OP_CLIP") == 0) {
    const cJSON *p = get_param(L, j);
    double a = 0, b = 0;
    if (!p || get_num(L, p, "param", "min", true, 0, &a) ||
        get_num(L, p, "param", "max", true, 0, &b))
      return -1;
    act = PT_ACT_CLIP;
    lo = (float)a, hi = (float)b;
  }
  const pt_tensor *x = input(L, 0);
  int64_t dims[PT_MAX_DIMS];
  int nd = x->ndim;
  memcpy(dims, x->dims, nd * sizeof *dims);
  if (check_out(L, dims, nd, "an activation (same shape)"))
    return -1;
  int src = L->tensor[L->prov[L->cur][0]];
  int p = L->g->t[src].producer;
  if (p >= 0 && L->tuse[src] == 1 && L->g->n[p].act == PT_ACT_NONE &&
      (L->g->n[p].op == PT_OP_CONV || L->g->n[p].op == PT_OP_FC ||
       L->g->n[p].op == PT_OP_ADD || L->g->n[p].op == PT_OP_SUB)) {
    L->g->n[p].act = act;
    L->g->n[p].act_a = lo;
    L->g->n[p].act_b = hi;
    return alias(L);
  }
  int in[1], t;
  inputs(L, in);
  int ni = emit(L, NULL, PT_OP_ACT, in, 1, dims, nd, &t);
  L->g->n[ni].act = act;
  L->g->n[ni].act_a = lo;
  L->g->n[ni].act_b = hi;
  produce(L, t);
  return 0;
}

static int op_bn(loader *L, const cJSON *j) {
  const pt_tensor *x = input(L, 0);
  if (x->ndim < 2)
    return fail(L, "input '%s' has rank %d: no channel axis", x->name,
                x->ndim);
  if (check_out(L, x->dims, x->ndim, "batch norm (same shape)"))
    return -1;
  int src = L->tensor[L->prov[L->cur][0]];
  int p = L->g->t[src].producer;
  if (p >= 0 && L->tuse[src] == 1 && L->g->n[p].act == PT_ACT_NONE &&
      (L->g->n[p].op == PT_OP_CONV || L->g->n[p].op == PT_OP_FC))
    return alias(L);
  int64_t c = x->dims[1], dims[PT_MAX_DIMS];
  int nd = x->ndim;
  memcpy(dims, x->dims, nd * sizeof *dims);
  int in[5];
  inputs(L, in);
  static const char *parts[] = {"scale", "bias", "mean", "var"};
  for (int k = 0; k < 4; k++)
    in[1 + k] = add_const(L, parts[k], 1, &c);
  int t;
  int ni = emit(L, NULL, PT_OP_BATCHNORM, in, 5, dims, nd, &t);
  L->g->n[ni].a.epsilon = 1e-5f;
  produce(L, t);
  return 0;
}

// Local response normalisation across channels. The seed's files carry
// no parameters for it; an optional "param" may give local_size (or
// size), alpha, beta and k (or bias). The defaults are those of every
// Caffe model the seed's LRN entries come from (AlexNet, CaffeNet,
// GoogLeNet, R-CNN): local_size 5, alpha 1e-4, beta 0.75, k 1.
static int op_lrn(loader *L, const cJSON *j) {
  const pt_tensor *x = input(L, 0);
  if (x->ndim < 2)
    return fail(L, "input '%s' has rank %d: no channel axis", x->name,
                x->ndim);
  if (check_out(L, x->dims, x->ndim, "local response norm (same shape)"))
    return -1;
  const cJSON *p = cJSON_GetObjectItemCaseSensitive(j, "param");
  if (p && !cJSON_IsObject(p))
    return fail(L, "field 'param' must be an object");
  int64_t size = 0;
  double alpha = 0, beta = 0, k = 0;
  const char *size_key =
      p && cJSON_GetObjectItemCaseSensitive(p, "size") ? "size" : "local_size";
  const char *k_key =
      p && cJSON_GetObjectItemCaseSensitive(p, "bias") ? "bias" : "k";
  if (get_int(L, p, "param", size_key, false, 5, &size) ||
      get_num(L, p, "param", "alpha", false, 1e-4, &alpha) ||
      get_num(L, p, "param", "beta", false, 0.75, &beta) ||
      get_num(L, p, "param", k_key, false, 1.0, &k))
    return -1;
  if (size < 1)
    return fail(L, "param %s = %lld must be positive", size_key,
                (long long)size);
  int64_t dims[PT_MAX_DIMS];
  int nd = x->ndim;
  memcpy(dims, x->dims, nd * sizeof *dims);
  int in[1], t;
  inputs(L, in);
  int ni = emit(L, NULL, PT_OP_LRN, in, 1, dims, nd, &t);
  pt_attrs *a = &L->g->n[ni].a;
  a->lrn_size = size;
  a->alpha = (float)alpha;
  a->beta = (float)beta;
  a->lrn_bias = (float)k;
  produce(L, t);
  return 0;
}

static int op_shuffle(loader *L, const cJSON *j) {
  const cJSON *p = get_param(L, j);
  if (!p || need_rank(L, 0, 4, "N, C, H, W"))
    return -1;
  const pt_tensor *x = input(L, 0);
  int64_t g = 0, cin = 0;
  if (get_int(L, p, "param", "split_factor", true, 0, &g) ||
      get_int(L, p, "param", "input_channel", false, x->dims[1], &cin))
    return -1;
  int64_t n = x->dims[0], c = x->dims[1], h = x->dims[2], w = x->dims[3];
  if (cin != c)
    return fail(L, "param input_channel = %lld, but input '%s' has %lld "
                "channels", (long long)cin, x->name, (long long)c);
  if (g < 1 || c % g)
    return fail(L, "param split_factor = %lld does not divide the %lld "
                "channels", (long long)g, (long long)c);
  int64_t od[4] = {n, c, h, w};
  if (check_out(L, od, 4, "channel shuffle (same shape)"))
    return -1;
  int in[1], t;
  inputs(L, in);
  int ni = emit(L, NULL, PT_OP_SHUFFLE, in, 1, od, 4, &t);
  L->g->n[ni].a.group = g;
  produce(L, t);
  return 0;
}

// pad_<d>_h / pad_<d>_w: padding before / after dimension d (the seed's
// frontend names them after Tengine's layout).
static int op_pad(loader *L, const cJSON *j) {
  const cJSON *p = get_param(L, j);
  if (!p || need_rank(L, 0, 4, "N, C, H, W"))
    return -1;
  const pt_tensor *x = input(L, 0);
  int64_t od[4], pads[8];
  for (int d = 0; d < 4; d++) {
    for (int e = 0; e < 2; e++) {
      char key[16];
      snprintf(key, sizeof key, "pad_%d_%c", d, e ? 'w' : 'h');
      int64_t v = 0;
      if (get_int(L, p, "param", key, true, 0, &v))
        return -1;
      if (v < 0)
        return fail(L, "param %s = %lld is negative", key, (long long)v);
      pads[e * 4 + d] = v;
    }
    od[d] = x->dims[d] + pads[d] + pads[4 + d];
  }
  double value = 0;
  if (get_num(L, p, "param", "value", false, 0, &value) ||
      check_out(L, od, 4, "padding"))
    return -1;
  int in[1], t;
  inputs(L, in);
  int ni = emit(L, NULL, PT_OP_PAD, in, 1, od, 4, &t);
  memcpy(L->g->n[ni].a.pads, pads, sizeof pads);
  L->g->n[ni].a.pad_value = (float)value;
  produce(L, t);
  return 0;
}

// ORDER: the order of this table is the order of the supported list in
// messages.
static const struct {
  const char *name;
  int min_in, max_in;   // providers
  int (*fn)(loader *L, const cJSON *j);
} ops[] = {
    {"OP_INPUT", 0, 0, op_input},
    {"OP_CONV", 1, 1, op_conv},
    {"OP_FC", 1, 1, op_fc},
    {"OP_POOL", 1, 1, op_pool},
    {"OP_ELTWISE", 2, 2, op_eltwise},
    {"OP_CONCAT", 1, PT_MAX_IN, op_concat},
    {"OP_FLATTEN", 1, 1, op_reshape},
    {"OP_RESHAPE", 1, 1, op_reshape},
    {"OP_SQUEEZE", 1, 1, op_reshape},
    {"OP_UNSQUEEZE", 1, 1, op_reshape},
    {"OP_SOFTMAX", 1, 1, op_softmax},
    {"OP_RELU", 1, 1, op_act},
    {"OP_TANH", 1, 1, op_act},
    {"OP_SIGMOID", 1, 1, op_act},
    {"OP_CLIP", 1, 1, op_act},
    {"OP_BN", 1, 1, op_bn},
    {"OP_DROPOUT", 1, 1, op_dropout},
    {"OP_SHUFFLE", 1, 1, op_shuffle},
    {"OP_LRN", 1, 1, op_lrn},
    {"OP_PAD", 1, 1, op_pad},
};
#define NOPS ((int)(sizeof ops / sizeof ops[0]))

static int find_op(const char *name) {
  for (int i = 0; i < NOPS; i++)
    if (strcmp(ops[i].name, name) == 0)
      return i;
  return -1;
}

static int unsupported(loader *L, const char *op) {
  char list[512];
  size_t k = 0;
  list[0] = 0;
  for (int i = 0; i < NOPS && k < sizeof list; i++) {
    int w = snprintf(list + k, sizeof list - k, "%s%s", i ? ", " : "",
                     ops[i].name);
    if (w < 0)
      break;
    k += w;
  }
  return fail(L, "unsupported operation '%s' (supported: %s)", op, list);
}

// ---- reading the node list ----

// First pass: every entry is an object with an integer index (unique, in
// [0, n)), a unique name, an operation and an output_dim.
static int read_entries(loader *L, const cJSON *list, int *pos_of) {
  int i = 0;
  const cJSON *j;
  for (int k = 0; k < L->n; k++)
    pos_of[k] = -1;
  cJSON_ArrayForEach(j, list) {
    L->node[i] = j;
    L->cur = -1;
    if (!cJSON_IsObject(j))
      return fail(L, "node_list entry %d is not an object", i);
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(j, "name");
    const cJSON *op = cJSON_GetObjectItemCaseSensitive(j, "operation");
    const cJSON *idx = cJSON_GetObjectItemCaseSensitive(j, "index");
    if (!cJSON_IsString(name) || !*name->valuestring)
      return fail(L, "node_list entry %d: missing field 'name'", i);
    if (!cJSON_IsString(op))
      return fail(L, "node '%s' (node_list entry %d): missing field "
                  "'operation'", name->valuestring, i);
    if (!cJSON_IsNumber(idx) || idx->valuedouble != floor(idx->valuedouble) ||
        idx->valuedouble < 0 || idx->valuedouble >= L->n)
      return fail(L, "node '%s' (node_list entry %d): field 'index' must be "
                  "an integer in [0, %d)", name->valuestring, i, L->n);
    L->cur = i;
    if (pos_of[idx->valueint] >= 0)
      return fail(L, "index also used by node '%s'",
                  cJSON_GetObjectItemCaseSensitive(L->node[pos_of[idx->valueint]],
                                                   "name")->valuestring);
    pos_of[idx->valueint] = i;
    for (int k = 0; k < i; k++)
      if (strcmp(cJSON_GetObjectItemCaseSensitive(L->node[k], "name")
                     ->valuestring, name->valuestring) == 0)
        return fail(L, "name also used by node_list entry %d", k);
    if (get_dims(L, j, "output_dim", L->odims[i], &L->ondim[i]))
      return -1;
    i++;
  }
  return 0;
}

// Second pass: providers, as positions, and how often each entry is read.
static int read_providers(loader *L, const int *pos_of) {
  for (int i = 0; i < L->n; i++) {
    L->cur = i;
    const cJSON *j = L->node[i];
    const cJSON *pl = cJSON_GetObjectItemCaseSensitive(j, "provider_index");
    const char *op = cJSON_GetObjectItemCaseSensitive(j, "operation")
        ->valuestring;
    if (!pl) {
      if (strcmp(op, "OP_INPUT") == 0)
        continue;
      return fail(L, "missing field 'provider_index'");
    }
    if (!cJSON_IsArray(pl))
      return fail(L, "field 'provider_index' must be a list");
    if (cJSON_GetArraySize(pl) > PT_MAX_IN)
      return fail(L, "%d providers; at most %d are supported",
                  cJSON_GetArraySize(pl), PT_MAX_IN);
    const cJSON *v;
    int k = 0;
    cJSON_ArrayForEach(v, pl) {
      double d = v->valuedouble;
      if (!cJSON_IsNumber(v) || d != floor(d) || d < 0 || d >= L->n ||
          pos_of[(int)d] < 0)
        return fail(L, "provider_index[%d] names no node (the file has %d "
                    "nodes)", k, L->n);
      int p = pos_of[(int)d];
      if (p == i)
        return fail(L, "provider_index[%d] names the node itself", k);
      L->prov[i][k++] = p;
      L->uses[p]++;
    }
    L->nprov[i] = k;
  }
  return 0;
}

// Topological order, keeping the file's order among independent entries.
static int sort_entries(loader *L) {
  bool *done = pt_calloc(L->n, sizeof *done);
  int k = 0;
  bool progress = true;
  while (k < L->n && progress) {
    progress = false;
    for (int i = 0; i < L->n; i++) {
      if (done[i])
        continue;
      bool ready = true;
      for (int q = 0; ready && q < L->nprov[i]; q++)
        ready = done[L->prov[i][q]];
      if (ready) {
        done[i] = true;
        L->order[k++] = i;
        progress = true;
      }
    }
  }
  int stuck = -1;
  for (int i = 0; stuck < 0 && i < L->n; i++)
    if (!done[i])
      stuck = i;
  free(done);
  if (stuck >= 0) {
    L->cur = stuck;
    return fail(L, "its providers form a cycle");
  }
  return 0;
}

static int build(loader *L) {
  for (int k = 0; k < L->n; k++) {
    int i = L->order[k];
    L->cur = i;
    const cJSON *j = L->node[i];
    const char *opname = cJSON_GetObjectItemCaseSensitive(j, "operation")
        ->valuestring;
    int o = find_op(opname);
    if (o < 0)
      return unsupported(L, opname);
    if (L->nprov[i] < ops[o].min_in || L->nprov[i] > ops[o].max_in) {
      if (ops[o].min_in == ops[o].max_in)
        return fail(L, "has %d providers, expected %d", L->nprov[i],
                    ops[o].min_in);
      return fail(L, "has %d providers, expected %d to %d", L->nprov[i],
                  ops[o].min_in, ops[o].max_in);
    }
    if (ops[o].fn(L, j))
      return -1;
  }
  // Graph outputs: what nobody reads.
  L->cur = -1;
  for (int i = 0; i < L->n; i++) {
    if (L->uses[i] || L->nprov[i] == 0)
      continue;
    int t = L->tensor[i], dup = 0;
    for (int k = 0; k < L->g->noutputs; k++)
      dup |= L->g->outputs[k] == t;
    if (dup)
      continue;
    if (L->g->noutputs == PT_MAX_OUT)
      return fail(L, "more than %d graph outputs (nodes that nothing reads)",
                  PT_MAX_OUT);
    L->g->outputs[L->g->noutputs++] = t;
  }
  return 0;
}

static int load(loader *L, const cJSON *root) {
  L->cur = -1;
  if (!cJSON_IsObject(root))
    return fail(L, "not a PIMCOMP model: the top level is not an object");
  const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "node_list");
  if (!list)
    return fail(L, "not a PIMCOMP model: missing field 'node_list'");
  if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) == 0)
    return fail(L, "field 'node_list' must be a non-empty list");
  int n = L->n = cJSON_GetArraySize(list);
  L->node = pt_calloc(n, sizeof *L->node);
  L->order = pt_calloc(n, sizeof *L->order);
  L->prov = pt_calloc(n, sizeof *L->prov);
  L->nprov = pt_calloc(n, sizeof *L->nprov);
  L->uses = pt_calloc(n, sizeof *L->uses);
  L->odims = pt_calloc(n, sizeof *L->odims);
  L->ondim = pt_calloc(n, sizeof *L->ondim);
  L->tensor = pt_calloc(n, sizeof *L->tensor);
  int *pos_of = pt_calloc(n, sizeof *pos_of);
  int rc = read_entries(L, list, pos_of);
  if (!rc)
    rc = read_providers(L, pos_of);
  free(pos_of);
  if (!rc)
    rc = sort_entries(L);
  if (!rc)
    rc = build(L);
  return rc;
}

pt_graph *pt_pimcomp_load(const char *path, pt_error *err) {
  size_t len;
  unsigned char *buf = pt_read_file(path, &len, err);
  if (!buf)
    return NULL;
  loader L = {.path = path, .err = err, .cur = -1};
  if (len == 0) {
    free(buf);
    fail(&L, "empty file");
    return NULL;
  }
  const char *end = NULL;
  cJSON *root = cJSON_ParseWithLengthOpts((const char *)buf, len, &end, 0);
  if (!root) {
    size_t at = end ? (size_t)(end - (const char *)buf) : 0;
    free(buf);
    fail(&L, "not valid JSON (error near byte %zu)", at);
    return NULL;
  }
  L.g = pt_graph_new(path);
  L.g->has_weights = false;
  int rc = load(&L, root);
  if (!rc && pt_graph_check(L.g, err)) {
    pt_error_prefix(err, "%s: ", path);
    rc = -1;
  }
  cJSON_Delete(root);
  free(buf);
  free(L.node);
  free(L.order);
  free(L.prov);
  free(L.nprov);
  free(L.uses);
  free(L.odims);
  free(L.ondim);
  free(L.tensor);
  free(L.tuse);
  if (rc) {
    pt_graph_free(L.g);
    return NULL;
  }
  return L.g;
}
