// HDF5 helpers of the results store (h5util.h).
#define _GNU_SOURCE
#include "h5util.h"

#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void h5u_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

hid_t h5u_vstr(void) {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  return t;
}

hid_t h5u_unfold_type(void) {
  hid_t t = H5Tenum_create(H5T_NATIVE_UINT8);
  for (int u = 0; u < PT_UNF_COUNT; u++) {
    uint8_t v = (uint8_t)u;
    H5Tenum_insert(t, pt_unfold_name(u), &v);
  }
  return t;
}

hid_t h5u_mode_type(void) {
  hid_t t = H5Tenum_create(H5T_NATIVE_INT32);
  int32_t v = PT_MODE_HT;
  H5Tenum_insert(t, "ht", &v);
  v = PT_MODE_LL;
  H5Tenum_insert(t, "ll", &v);
  return t;
}

// The instruction record in memory is pt_inst itself, so streams are
// written and read without conversion loops; op and vop are enums so that
// h5dump prints their names.
hid_t h5u_inst_type(void) {
  hid_t op = H5Tenum_create(H5T_NATIVE_UINT8);
  for (int i = 0; i < PT_I_COUNT; i++) {
    uint8_t v = (uint8_t)i;
    H5Tenum_insert(op, pt_iop_names[i], &v);
  }
  hid_t vop = H5Tenum_create(H5T_NATIVE_UINT8);
  for (int i = 0; i < PT_V_COUNT; i++) {
    uint8_t v = (uint8_t)i;
    H5Tenum_insert(vop, pt_vop_names[i], &v);
  }
  hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(pt_inst));
  H5Tinsert(t, "op", HOFFSET(pt_inst, op), op);
  H5Tinsert(t, "vop", HOFFSET(pt_inst, vop), vop);
  H5Tinsert(t, "flags", HOFFSET(pt_inst, flags), H5T_NATIVE_UINT16);
  H5Tinsert(t, "arg", HOFFSET(pt_inst, arg), H5T_NATIVE_INT32);
  H5Tinsert(t, "node", HOFFSET(pt_inst, node), H5T_NATIVE_INT32);
  H5Tinsert(t, "dst", HOFFSET(pt_inst, dst), H5T_NATIVE_UINT32);
  H5Tinsert(t, "src1", HOFFSET(pt_inst, src1), H5T_NATIVE_UINT32);
  H5Tinsert(t, "src2", HOFFSET(pt_inst, src2), H5T_NATIVE_UINT32);
  H5Tinsert(t, "len", HOFFSET(pt_inst, len), H5T_NATIVE_INT32);
  H5Tinsert(t, "len2", HOFFSET(pt_inst, len2), H5T_NATIVE_INT32);
  H5Tinsert(t, "imm", HOFFSET(pt_inst, imm), H5T_NATIVE_FLOAT);
  H5Tinsert(t, "imm2", HOFFSET(pt_inst, imm2), H5T_NATIVE_FLOAT);
  H5Tclose(op);
  H5Tclose(vop);
  return t;
}

hid_t h5u_ag_type(void) {
  static const char *f[] = {"id",   "layer", "node", "replica",
                            "matrix", "row0", "rows", "col0",
                            "cols", "core",  "crossbars"};
  hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(h5u_ag_row));
  for (int i = 0; i < 11; i++)
    H5Tinsert(t, f[i], i * sizeof(int32_t), H5T_NATIVE_INT32);
  return t;
}

hid_t h5u_core_type(void) {
  hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(h5u_core_row));
#define F(f, ty) H5Tinsert(t, #f, HOFFSET(h5u_core_row, f), ty)
  F(core, H5T_NATIVE_INT32);
  F(instructions, H5T_NATIVE_INT64);
  F(busy_pim_ns, H5T_NATIVE_DOUBLE);
  F(busy_vfu_ns, H5T_NATIVE_DOUBLE);
  F(busy_local_ns, H5T_NATIVE_DOUBLE);
  F(busy_xfer_ns, H5T_NATIVE_DOUBLE);
  F(finish_ns, H5T_NATIVE_DOUBLE);
  F(nags, H5T_NATIVE_INT32);
  F(crossbars, H5T_NATIVE_INT32);
  F(pim_util, H5T_NATIVE_DOUBLE);
  F(vfu_util, H5T_NATIVE_DOUBLE);
  F(local_util, H5T_NATIVE_DOUBLE);
  F(xfer_util, H5T_NATIVE_DOUBLE);
  F(peak_local_bytes, H5T_NATIVE_INT64);
#undef F
  return t;
}

static int write_attr(hid_t loc, const char *name, hid_t type, hid_t space,
                      const void *data) {
  if (H5Aexists(loc, name) > 0)
    H5Adelete(loc, name);
  hid_t a = H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  int rc = a < 0 || H5Awrite(a, type, data) < 0;
  if (a >= 0)
    H5Aclose(a);
  return rc ? -1 : 0;
}

int h5u_attr_str(hid_t loc, const char *name, const char *value) {
  hid_t t = h5u_vstr(), s = H5Screate(H5S_SCALAR);
  const char *v = value ? value : "";
  int rc = write_attr(loc, name, t, s, &v);
  H5Sclose(s);
  H5Tclose(t);
  return rc;
}

int h5u_attr_int(hid_t loc, const char *name, int64_t value) {
  hid_t s = H5Screate(H5S_SCALAR);
  int rc = write_attr(loc, name, H5T_NATIVE_INT64, s, &value);
  H5Sclose(s);
  return rc;
}

int h5u_attr_double(hid_t loc, const char *name, double value) {
  hid_t s = H5Screate(H5S_SCALAR);
  int rc = write_attr(loc, name, H5T_NATIVE_DOUBLE, s, &value);
  H5Sclose(s);
  return rc;
}

int h5u_attr_strings(hid_t loc, const char *name, int n,
                     const char *const *values) {
  hsize_t d = n;
  hid_t t = h5u_vstr(), s = H5Screate_simple(1, &d, NULL);
  int rc = write_attr(loc, name, t, s, values);
  H5Sclose(s);
  H5Tclose(t);
  return rc;
}

hid_t h5u_group(hid_t file, const char *path) {
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  hid_t g = H5Gcreate2(file, path, lcpl, H5P_DEFAULT, H5P_DEFAULT);
  H5Pclose(lcpl);
  return g;
}

hid_t h5u_create(hid_t loc, const char *name, hid_t type, int rank,
                 const hsize_t *dims) {
  hid_t s = H5Screate_simple(rank, dims, NULL);
  hid_t d = H5Dcreate2(loc, name, type, s, H5P_DEFAULT, H5P_DEFAULT,
                       H5P_DEFAULT);
  H5Sclose(s);
  return d;
}

// Streams run to millions of instructions; chunks of 64 K records (~2.7
// MB) with shuffle and deflate level 1 shrink them about 5x at little
// cost (resnet18: see docs/hdf5-schema.md).
hid_t h5u_create_packed(hid_t loc, const char *name, hid_t type, int64_t n) {
  hid_t ft = H5Tcopy(type);
  H5Tpack(ft);
  hsize_t d = (hsize_t)n;
  hid_t s = H5Screate_simple(1, &d, NULL);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  if (n >= 1024) {
    hsize_t chunk = n < 65536 ? (hsize_t)n : 65536;
    H5Pset_chunk(dcpl, 1, &chunk);
    if (H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0) {
      H5Pset_shuffle(dcpl);
      H5Pset_deflate(dcpl, 1);
    }
  }
  hid_t ds = H5Dcreate2(loc, name, ft, s, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  H5Pclose(dcpl);
  H5Sclose(s);
  H5Tclose(ft);
  return ds;
}

int h5u_write(hid_t loc, const char *name, hid_t type, int rank,
              const hsize_t *dims, const void *data) {
  hid_t ds = h5u_create(loc, name, type, rank, dims);
  if (ds < 0)
    return -1;
  hsize_t n = 1;
  for (int i = 0; i < rank; i++)
    n *= dims[i];
  int rc = n && H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0;
  H5Dclose(ds);
  return rc ? -1 : 0;
}

int h5u_write_table(hid_t loc, const char *name, hid_t type, int64_t n,
                    const void *rows) {
  hid_t ds = h5u_create_packed(loc, name, type, n);
  if (ds < 0)
    return -1;
  int rc = n && H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows) < 0;
  H5Dclose(ds);
  return rc ? -1 : 0;
}

int h5u_write_text(hid_t loc, const char *name, const char *text) {
  hid_t t = h5u_vstr(), s = H5Screate(H5S_SCALAR);
  hid_t ds = H5Dcreate2(loc, name, t, s, H5P_DEFAULT, H5P_DEFAULT,
                        H5P_DEFAULT);
  int rc = ds < 0 || H5Dwrite(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &text) < 0;
  if (ds >= 0)
    H5Dclose(ds);
  H5Sclose(s);
  H5Tclose(t);
  return rc ? -1 : 0;
}

int h5u_write_strings(hid_t loc, const char *name, int n,
                      const char *const *s) {
  hid_t t = h5u_vstr();
  hsize_t d = n;
  int rc = h5u_write(loc, name, t, 1, &d, s);
  H5Tclose(t);
  return rc;
}

int h5u_sync_file(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0)
    return -1;
  int rc = fsync(fd);
  close(fd);
  return rc ? -1 : 0;
}

// ---------------------------------------------------------------------------
// Reading

bool h5u_has_attr(hid_t loc, const char *name) {
  return H5Aexists(loc, name) > 0;
}

char *h5u_read_attr_str(hid_t loc, const char *name) {
  if (!h5u_has_attr(loc, name))
    return NULL;
  hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
  if (a < 0)
    return NULL;
  hid_t ft = H5Aget_type(a);
  char *out = NULL;
  if (H5Tget_class(ft) == H5T_STRING) {
    if (H5Tis_variable_str(ft) > 0) {
      hid_t t = h5u_vstr();
      char *v = NULL;
      if (H5Aread(a, t, &v) >= 0 && v) {
        out = pt_strdup(v);
        H5free_memory(v);
      }
      H5Tclose(t);
    } else {
      size_t n = H5Tget_size(ft);
      hid_t t = H5Tcopy(H5T_C_S1);
      H5Tset_size(t, n + 1);
      out = pt_calloc(n + 2, 1);
      if (H5Aread(a, t, out) < 0) {
        free(out);
        out = NULL;
      }
      H5Tclose(t);
    }
  }
  H5Tclose(ft);
  H5Aclose(a);
  return out;
}

double h5u_read_attr_num(hid_t loc, const char *name, double dflt) {
  if (!h5u_has_attr(loc, name))
    return dflt;
  hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
  double v = dflt;
  hid_t ft = H5Aget_type(a);
  H5T_class_t cl = H5Tget_class(ft);
  hid_t sp = H5Aget_space(a);
  if ((cl == H5T_INTEGER || cl == H5T_FLOAT) &&
      H5Sget_simple_extent_npoints(sp) == 1 &&
      H5Aread(a, H5T_NATIVE_DOUBLE, &v) < 0)
    v = dflt;
  H5Sclose(sp);
  H5Tclose(ft);
  H5Aclose(a);
  return v;
}

char **h5u_read_attr_strings(hid_t loc, const char *name, int *n) {
  *n = 0;
  if (!h5u_has_attr(loc, name))
    return NULL;
  hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
  hid_t sp = H5Aget_space(a);
  hid_t ft = H5Aget_type(a);
  hssize_t k = H5Sget_simple_extent_npoints(sp);
  char **out = NULL;
  if (k > 0 && k < 1000 && H5Tget_class(ft) == H5T_STRING &&
      H5Tis_variable_str(ft) > 0) {
    char **v = pt_calloc(k, sizeof *v);
    hid_t t = h5u_vstr();
    if (H5Aread(a, t, v) >= 0) {
      out = pt_calloc(k, sizeof *out);
      for (hssize_t i = 0; i < k; i++)
        out[i] = pt_strdup(v[i] ? v[i] : "");
      *n = (int)k;
      H5Dvlen_reclaim(t, sp, H5P_DEFAULT, v);
    }
    H5Tclose(t);
    free(v);
  }
  H5Tclose(ft);
  H5Sclose(sp);
  H5Aclose(a);
  return out;
}

void h5u_free_strings(char **s, int n) {
  for (int i = 0; s && i < n; i++)
    free(s[i]);
  free(s);
}

char *h5u_read_text(hid_t loc, const char *name) {
  if (H5Lexists(loc, name, H5P_DEFAULT) <= 0)
    return NULL;
  hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
  if (ds < 0)
    return NULL;
  hid_t ft = H5Dget_type(ds);
  hid_t sp = H5Dget_space(ds);
  char *out = NULL;
  if (H5Tget_class(ft) == H5T_STRING && H5Tis_variable_str(ft) > 0 &&
      H5Sget_simple_extent_npoints(sp) == 1) {
    hid_t t = h5u_vstr();
    char *v = NULL;
    if (H5Dread(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v) >= 0 && v) {
      out = pt_strdup(v);
      H5Dvlen_reclaim(t, sp, H5P_DEFAULT, &v);
    }
    H5Tclose(t);
  }
  H5Sclose(sp);
  H5Tclose(ft);
  H5Dclose(ds);
  return out;
}

int h5u_dims(hid_t loc, const char *name, hsize_t dims[2]) {
  dims[0] = dims[1] = 0;
  if (H5Lexists(loc, name, H5P_DEFAULT) <= 0)
    return -1;
  hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
  if (ds < 0)
    return -1;
  hid_t sp = H5Dget_space(ds);
  int rank = H5Sget_simple_extent_ndims(sp);
  if (rank >= 0 && rank <= 2)
    H5Sget_simple_extent_dims(sp, dims, NULL);
  if (rank == 0)
    dims[0] = 1;
  H5Sclose(sp);
  H5Dclose(ds);
  return rank >= 0 && rank <= 2 ? rank : -1;
}

int h5u_read(hid_t loc, const char *name, hid_t type, void *buf) {
  hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
  if (ds < 0)
    return -1;
  hid_t sp = H5Dget_space(ds);
  hssize_t n = H5Sget_simple_extent_npoints(sp);
  H5Sclose(sp);
  int rc = n > 0 && H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0;
  H5Dclose(ds);
  return rc ? -1 : 0;
}
