// Small HDF5 helpers shared by the writer and the reader (results/ only:
// this header includes hdf5.h). Every writer returns 0 or -1; the callers
// turn -1 into a message naming the file and the object.
#ifndef PT_H5UTIL_H
#define PT_H5UTIL_H

#include <hdf5.h>

#include "../compiler/program.h"

// Schema version written to "/" (docs/hdf5-schema.md).
#define PT_H5_SCHEMA "1"

void h5u_quiet(void);            // no HDF5 error stacks on stderr
hid_t h5u_vstr(void);            // variable-length UTF-8 string type
hid_t h5u_inst_type(void);       // pt_inst in memory, op and vop as enums
hid_t h5u_unfold_type(void);     // enum over pt_unfold, uint8
hid_t h5u_mode_type(void);       // enum ht/ll over int32

// The AG table and the profiler's per-core table, one row each.
typedef struct {
  int32_t id, layer, node, replica, matrix, row0, rows, col0, cols, core,
      crossbars;
} h5u_ag_row;
hid_t h5u_ag_type(void);

typedef struct {
  int32_t core;
  int64_t instructions;
  double busy_pim_ns, busy_vfu_ns, busy_local_ns, busy_xfer_ns, finish_ns;
  int32_t nags, crossbars;
  double pim_util, vfu_util, local_util, xfer_util;
  int64_t peak_local_bytes;
} h5u_core_row;
hid_t h5u_core_type(void);

int h5u_attr_str(hid_t loc, const char *name, const char *value);
int h5u_attr_int(hid_t loc, const char *name, int64_t value);
int h5u_attr_double(hid_t loc, const char *name, double value);
int h5u_attr_strings(hid_t loc, const char *name, int n,
                     const char *const *values);

// Group at an absolute path, parents created as needed.
hid_t h5u_group(hid_t file, const char *path);
hid_t h5u_create(hid_t loc, const char *name, hid_t type, int rank,
                 const hsize_t *dims);
// A 1-D dataset of n records of compound `type`, packed on disk, chunked
// and compressed when large.
hid_t h5u_create_packed(hid_t loc, const char *name, hid_t type, int64_t n);
int h5u_write(hid_t loc, const char *name, hid_t type, int rank,
              const hsize_t *dims, const void *data);
int h5u_write_table(hid_t loc, const char *name, hid_t type, int64_t n,
                    const void *rows);
int h5u_write_text(hid_t loc, const char *name, const char *text);
int h5u_write_strings(hid_t loc, const char *name, int n,
                      const char *const *s);
int h5u_sync_file(const char *path);

// ---- reading ----
bool h5u_has_attr(hid_t loc, const char *name);
// A string attribute (fixed or variable length), malloc'd; NULL if absent.
char *h5u_read_attr_str(hid_t loc, const char *name);
// A numeric attribute; `dflt` if absent.
double h5u_read_attr_num(hid_t loc, const char *name, double dflt);
// A string-array attribute: n strings, malloc'd array of malloc'd strings.
char **h5u_read_attr_strings(hid_t loc, const char *name, int *n);
void h5u_free_strings(char **s, int n);
// A text dataset (scalar string), malloc'd; NULL if absent.
char *h5u_read_text(hid_t loc, const char *name);
// Dims of a dataset (rank <= 2); -1 if absent.
int h5u_dims(hid_t loc, const char *name, hsize_t dims[2]);
// Read a whole dataset converted to `type` into buf (caller sized).
int h5u_read(hid_t loc, const char *name, hid_t type, void *buf);

#endif
