// Export of a program in the pimsim-nn simulator's input format
// (pimsim.c; docs/export.md): DIR/instructions.json (the instruction
// file), DIR/arch.json (the chip config, simulator-style, which pimtune
// also reads back) and DIR/network.json (the NoC table arch.json names).
#ifndef PT_PIMSIM_H
#define PT_PIMSIM_H

#include "../compiler/program.h"
#include "../cost/profile.h"

// sim_time_ms: the simulated time written to arch.json (<= 0: 10 ms);
// a little above the expected latency (LL) or some periods (HT).
int pt_lower_pimsim(const pt_program *p, const pt_arch *a, const char *dir,
                    double sim_time_ms, pt_error *err);

#endif
