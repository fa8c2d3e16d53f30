// Recording tunes and compiles in the results store (record.c): where the
// file goes, and the translation of the engine's outcomes (search result,
// profiled points) into the store's descriptors (results/store.h).
#ifndef PT_RECORD_H
#define PT_RECORD_H

#include "../results/store.h"
#include "../search/search.h"
#include "cli.h"

// The command line as typed, for the file's attributes (set by main()).
void rec_set_command_line(int argc, char **argv);
const char *rec_command_line(void);

// The file to write: `out` when given, else
// results/<model>-<arch>-<what>.h5 (results/ created when missing).
// Fails with a one-line message when the directory cannot be made or
// written.
int rec_path(const char *out, const pt_graph *g, const pt_arch *a,
             const char *what, char *path, size_t len, pt_error *err);

// A results file with run "0" of c started.
pt_h5w *rec_open(const char *path, const char *kind, uint64_t seed,
                 const pt_map_ctx *c, pt_error *err);

// Point k: its label and role, the mapping, and (when it compiled) its
// streams and report; estimate (analytic) and profiled figures indexed by
// pt_obj, either may be NULL. error != NULL for a failed point; same_as >=
// 0 for a mapping equal to an earlier point. Not thread-safe: callers
// serialise.
int rec_point(pt_h5w *w, int k, const char *label, const char *role,
              const pt_map_ctx *c, const pt_mapping *m, const pt_program *p,
              const pt_prof_report *r, const double *estimate,
              const double *profiled, const char *error, int same_as,
              pt_error *err);

// The search's part of a tune run: attributes, front and history.
int rec_search(pt_h5w *w, const pt_search_result *res, const pt_map_ctx *c,
               const char *modes, int fitness, const pt_search_opts *so,
               pt_error *err);

// Mark the run complete, close and rename into place; prints nothing.
int rec_commit(pt_h5w *w, pt_error *err);

#endif
