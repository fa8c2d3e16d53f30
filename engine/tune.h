// The tune command (tune.c): parse its options, search, profile, report.
#ifndef PT_TUNE_H
#define PT_TUNE_H

#include "../search/search.h"
#include "cli.h"

// `pimtune tune ...` (argv[0] is the command or the model's position).
int pt_cmd_tune(int argc, char **argv);

// One tune of `model` with the options parsed; prints the report, writes
// the results file (results_path; NULL: results/MODEL-ARCH-OBJECTIVE.h5,
// "": none) and returns the exit status.
int pt_tune_run(const char *model, const common_opts *co,
                const pt_search_opts *so, unsigned modes, int fitness,
                bool vary_unfold, bool heuristics, int keep, bool quiet,
                bool json, const char *results_path);

#endif
