// The results store: one HDF5 file per tune, compile or sweep. This
// header hides HDF5 (only results/*.c include hdf5.h); docs/hdf5-schema.md
// gives the layout, and the diagram below is its summary.
//
//   /                          attrs pimtune_version, command_line, seed,
//                              created, kind ("tune" | "compile" | "sweep")
//   /runs/<id>/                attrs model, arch, mode, objectives, ...,
//                              complete (written last: 1)
//     arch                     the resolved chip config (JSON text)
//     layers                   table: one row per weight layer
//     nodes                    the graph's node names (streams name them)
//     pareto/objectives        N x K float64; attrs names, units, directions
//     pareto/mode, replication, unfold, ag_start, ag_core
//                              the decision vector of each front point
//     history/evaluations, seconds, best (M x K), attr names
//     points/<k>/              a kept point: attrs label, ok, error, mode,
//                              figures; mapping/, program/, report/
//       program/core<N>        the instruction table of core N
//       program/ags            the AG table
//       report/                profiler figures, energy breakdown, per core
//   /sweep/                    attrs definition (JSON); points table
//
// Writing is atomic: everything goes to "<path>.tmp<pid>" in the same
// directory and pt_h5w_commit renames it over <path>; a killed writer
// leaves at worst a stray temporary file.
#ifndef PT_STORE_H
#define PT_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "../compiler/program.h"
#include "../cost/profile.h"

struct cJSON;

// ---- writer (store.c) ----

typedef struct pt_h5w pt_h5w;

// Create the temporary file of `path` and write the file attributes.
// kind: "tune", "compile" or "sweep".
pt_h5w *pt_h5w_create(const char *path, const char *kind,
                      const char *command_line, uint64_t seed, pt_error *err);
// Close and rename the temporary file over its final path (the only step
// that makes the file visible).
int pt_h5w_commit(pt_h5w *w, pt_error *err);
// Close and remove the temporary file.
void pt_h5w_abort(pt_h5w *w);

// Start run `id` (becomes the current run): the chip (JSON), the layer
// table and the node names of c.
int pt_h5w_run(pt_h5w *w, const char *id, const pt_map_ctx *c,
               pt_error *err);
int pt_h5w_run_str(pt_h5w *w, const char *key, const char *value);
int pt_h5w_run_num(pt_h5w *w, const char *key, double value);
// Mark the current run complete (its last write).
int pt_h5w_run_end(pt_h5w *w, pt_error *err);

// The objectives of a front or a history: K columns.
typedef struct {
  int k;
  const char *name[8];
  const char *unit[8];
  bool maximised[8];
} pt_h5_objs;

// The front: n points, values v[i * o->k + j], decision vectors m[i].
int pt_h5w_front(pt_h5w *w, const pt_h5_objs *o, int n, const double *v,
                 const pt_mapping *const *m, const pt_map_ctx *c,
                 pt_error *err);
// Convergence: n entries, best[i * o->k + j].
int pt_h5w_history(pt_h5w *w, const pt_h5_objs *o, int n,
                   const int64_t *evals, const double *seconds,
                   const double *best, pt_error *err);

// Kept point k of the current run: its mapping, and when p is given its
// streams and r's report. A failed point has p == NULL and an error.
// Points may be written in any order, but not concurrently (HDF5 is not
// thread-safe).
typedef struct {
  const char *label;    // "best throughput", "front 2", "balance" ...
  const char *role;     // "best", "front", "heuristic", "compile"
  const char *error;    // NULL when it compiled
  int same_as;          // >= 0: the same mapping as that point (nothing
                        // else is written)
  int nfig;             // named figures (attrs), e.g. "throughput_sps"
  const char *fig_name[16];
  double fig[16];
} pt_h5_point;
int pt_h5w_point(pt_h5w *w, int k, const pt_h5_point *d, const pt_map_ctx *c,
                 const pt_mapping *m, const pt_program *p,
                 const pt_prof_report *r, pt_error *err);

// ---- reader (read.c) ----

// Everything but the streams, as JSON (docs/hdf5-schema.md, `show --json`):
// {"file", "pimtune_version", "command_line", "seed", "created", "kind",
//  "runs": [{"id", "complete", attrs..., "objectives": {"names", "units",
//  "directions", "values"}, "front": [{"mode", "replication"}],
//  "history": {...}, "layers": [...], "points": [{"index", "label", ...,
//  "streams": "/runs/<id>/points/<k>/program", "report": {...}}]}],
//  "sweep": {...}}. NULL with err when the file is not a results file.
struct cJSON *pt_h5_describe(const char *path, pt_error *err);

// The program of point k of run `run` (NULL: the only run or the first),
// rebuilt from its tables, with a graph that holds only the node names
// (enough for pt_lower_asm/pt_lower_json) and the chip JSON.
int pt_h5_load_program(const char *path, const char *run, int point,
                       pt_program **p, pt_graph **names, char **arch_json,
                       char *run_id, size_t run_id_len, pt_error *err);

// ---- sweeps (sweep_store.c) ----

// Add the complete run "0" of the tune file `point_file` as run `id` of
// the sweep file `path` (created with `definition` when missing), with
// its record (a JSON object: parameters, status, error) in /sweep/points:
// copy the file, add, rename. A kill at any moment leaves either the old
// or the new file. point_file may be NULL (a failed point).
int pt_h5_sweep_add(const char *path, const char *definition,
                    const char *command_line, uint64_t seed, const char *id,
                    const char *point_file, const struct cJSON *record,
                    pt_error *err);
// The sweep's definition and records (id -> record) from `path`; NULL
// with err when the file is not a sweep file.
struct cJSON *pt_h5_sweep_read(const char *path, pt_error *err);

#endif
