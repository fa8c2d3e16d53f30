// The sweep file: every finished point is added by copy-on-write. The
// current file is copied to a temporary one beside it, the point's run and
// its record are added to the copy, and the copy is renamed over the
// original. A kill at any moment leaves the previous file or the new one,
// both complete; a stray temporary file is all that can be left over.
// The cost is one copy of the file per point, which is small because the
// streams are compressed (docs/hdf5-schema.md has sizes).
#define _GNU_SOURCE
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <hdf5.h>

#include "h5util.h"

static int copy_file(const char *from, const char *to) {
  int in = open(from, O_RDONLY);
  if (in < 0)
    return -1;
  int out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (out < 0) {
    close(in);
    return -1;
  }
  static char buf[1 << 20];
  ssize_t n;
  int rc = 0;
  while ((n = read(in, buf, sizeof buf)) > 0)
    for (ssize_t done = 0; done < n;) {
      ssize_t w = write(out, buf + done, n - done);
      if (w <= 0) {
        rc = -1;
        break;
      }
      done += w;
    }
  if (n < 0)
    rc = -1;
  close(in);
  if (close(out))
    rc = -1;
  return rc;
}

// A new sweep file: the file attributes, /runs and /sweep with the
// definition and an empty, growable table of records (JSON text).
static hid_t create_sweep(const char *tmp, const char *definition,
                          const char *command_line, uint64_t seed) {
  hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (f < 0)
    return -1;
  char when[64];
  time_t now = time(NULL);
  struct tm tm;
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S%z", localtime_r(&now, &tm));
  hid_t runs = H5Gcreate2(f, "runs", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  hid_t sw = H5Gcreate2(f, "sweep", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  hsize_t zero = 0, unlim = H5S_UNLIMITED, chunk = 64;
  hid_t sp = H5Screate_simple(1, &zero, &unlim);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(dcpl, 1, &chunk);
  hid_t t = h5u_vstr();
  hid_t ds = sw < 0 ? -1
                    : H5Dcreate2(sw, "records", t, sp, H5P_DEFAULT, dcpl,
                                 H5P_DEFAULT);
  int bad = runs < 0 || ds < 0 ||
            h5u_attr_str(f, "pimtune_version", PT_VERSION) ||
            h5u_attr_str(f, "command_line", command_line) ||
            h5u_attr_int(f, "seed", (int64_t)seed) ||
            h5u_attr_str(f, "created", when) ||
            h5u_attr_str(f, "kind", "sweep") ||
            h5u_attr_str(f, "schema", PT_H5_SCHEMA) ||
            h5u_attr_str(sw, "definition", definition);
  if (ds >= 0)
    H5Dclose(ds);
  H5Tclose(t);
  H5Pclose(dcpl);
  H5Sclose(sp);
  if (sw >= 0)
    H5Gclose(sw);
  if (runs >= 0)
    H5Gclose(runs);
  if (bad) {
    H5Fclose(f);
    return -1;
  }
  return f;
}

static int append_record(hid_t f, const char *text) {
  hid_t ds = H5Dopen2(f, "/sweep/records", H5P_DEFAULT);
  if (ds < 0)
    return -1;
  hid_t sp = H5Dget_space(ds);
  hsize_t n;
  H5Sget_simple_extent_dims(sp, &n, NULL);
  H5Sclose(sp);
  hsize_t size = n + 1, one = 1;
  int rc = -1;
  if (H5Dset_extent(ds, &size) >= 0) {
    sp = H5Dget_space(ds);
    hid_t mem = H5Screate_simple(1, &one, NULL);
    hid_t t = h5u_vstr();
    if (H5Sselect_hyperslab(sp, H5S_SELECT_SET, &n, NULL, &one, NULL) >= 0 &&
        H5Dwrite(ds, t, mem, sp, H5P_DEFAULT, &text) >= 0)
      rc = 0;
    H5Tclose(t);
    H5Sclose(mem);
    H5Sclose(sp);
  }
  H5Dclose(ds);
  return rc;
}

int pt_h5_sweep_add(const char *path, const char *definition,
                    const char *command_line, uint64_t seed, const char *id,
                    const char *point_file, const cJSON *record,
                    pt_error *err) {
  h5u_quiet();
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
  hid_t f;
  if (access(path, F_OK) == 0) {
    if (copy_file(path, tmp))
      return pt_errorf(err, "%s: cannot copy to %s: %s", path, tmp,
                       strerror(errno));
    f = H5Fopen(tmp, H5F_ACC_RDWR, H5P_DEFAULT);
  } else {
    f = create_sweep(tmp, definition, command_line, seed);
  }
  if (f < 0) {
    remove(tmp);
    return pt_errorf(err, "%s: cannot open or create the sweep file", tmp);
  }
  char dst[300];
  snprintf(dst, sizeof dst, "/runs/%s", id);
  int rc = 0;
  if (H5Lexists(f, dst, H5P_DEFAULT) > 0)
    H5Ldelete(f, dst, H5P_DEFAULT);
  if (point_file) {
    hid_t pf = H5Fopen(point_file, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t run = pf < 0 ? -1 : H5Gopen2(pf, "/runs/0", H5P_DEFAULT);
    if (run < 0 || h5u_read_attr_num(run, "complete", 0) != 1)
      rc = pt_errorf(err, "%s: no complete run 0", point_file);
    else if (H5Ocopy(pf, "/runs/0", f, dst, H5P_DEFAULT, H5P_DEFAULT) < 0)
      rc = pt_errorf(err, "%s: cannot copy run 0 into %s", point_file, tmp);
    if (run >= 0)
      H5Gclose(run);
    if (pf >= 0)
      H5Fclose(pf);
  }
  char *text = cJSON_PrintUnformatted(record);
  if (!rc && append_record(f, text))
    rc = pt_errorf(err, "%s: cannot add the record of point %s", tmp, id);
  free(text);
  // For the kill test (tests/e2e/sweep_resume.sh): stay inside the write
  // for a while, so that a kill lands there.
  const char *slow = getenv("PT_TEST_SWEEP_WRITE_MS");
  if (slow && atoi(slow) > 0)
    usleep(1000 * atoi(slow));
  if (H5Fclose(f) < 0 && !rc)
    rc = pt_errorf(err, "%s: writing failed", tmp);
  if (!rc && (h5u_sync_file(tmp) || rename(tmp, path)))
    rc = pt_errorf(err, "%s: cannot put the sweep file in place: %s", path,
                   strerror(errno));
  if (rc)
    remove(tmp);
  return rc;
}

cJSON *pt_h5_sweep_read(const char *path, pt_error *err) {
  h5u_quiet();
  if (H5Fis_hdf5(path) <= 0) {
    pt_errorf(err, "%s: not an HDF5 file", path);
    return NULL;
  }
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t sw = f < 0 || H5Lexists(f, "sweep", H5P_DEFAULT) <= 0
                 ? -1
                 : H5Gopen2(f, "sweep", H5P_DEFAULT);
  if (sw < 0) {
    if (f >= 0)
      H5Fclose(f);
    pt_errorf(err, "%s: not a pimtune sweep file (no /sweep group)", path);
    return NULL;
  }
  cJSON *o = cJSON_CreateObject();
  char *def = h5u_read_attr_str(sw, "definition");
  cJSON_AddStringToObject(o, "definition", def ? def : "");
  free(def);
  cJSON *recs = cJSON_AddArrayToObject(o, "records");
  hsize_t d[2];
  if (h5u_dims(sw, "records", d) == 1 && d[0]) {
    char **rec = pt_calloc(d[0], sizeof *rec);
    hid_t t = h5u_vstr();
    if (!h5u_read(sw, "records", t, rec))
      for (hsize_t i = 0; i < d[0]; i++) {
        cJSON *x = rec[i] ? cJSON_Parse(rec[i]) : NULL;
        if (x)
          cJSON_AddItemToArray(recs, x);
        H5free_memory(rec[i]);
      }
    H5Tclose(t);
    free(rec);
  }
  H5Gclose(sw);
  H5Fclose(f);
  return o;
}
