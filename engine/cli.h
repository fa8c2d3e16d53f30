// The command line's shared parts: options every command that reads a
// model and a chip takes, loading them, and reporting errors. Only engine/
// includes this.
#ifndef PT_CLI_H
#define PT_CLI_H

#include <getopt.h>
#include <stdbool.h>

#include "../compiler/graph.h"
#include "../compiler/mapping.h"
#include "../cost/arch.h"

enum { EXIT_OK = 0, EXIT_ERR = 2 };

// --set KEY=VALUE overrides of chip fields, in the order given.
enum { MAX_SETS = 64 };
typedef struct {
  const char *kv[MAX_SETS];
  int n;
} overrides;

// Options every command that reads a model and a chip shares.
typedef struct {
  const char *arch_path;
  overrides sets;
  int unfold;
  int json;
  pt_mode mode;     // commands that map (MAPPING_LONG_OPTIONS)
  int repl;
} common_opts;

#define COMMON_OPTS_INIT {.unfold = PT_UNF_IM2COL, .mode = PT_MODE_HT, \
                          .repl = PT_REPL_BALANCE}

#define COMMON_LONG_OPTIONS                                                  \
  {"arch", required_argument, 0, 'a'}, {"unfold", required_argument, 0, 'u'}, \
      {"set", required_argument, 0, 's'}, {"json", no_argument, 0, 'j'}
#define MAPPING_LONG_OPTIONS                                                 \
  {"mode", required_argument, 0, 'm'},                                       \
      {"replication", required_argument, 0, 'r'}

// "pimtune: MESSAGE" on stderr; returns EXIT_ERR.
int cli_fail(const pt_error *err);
// "pimtune CMD: (fmt with arg) (see 'pimtune CMD --help')"; EXIT_ERR.
int cli_usage(const char *cmd, const char *fmt, const char *arg);
int cli_add_override(overrides *o, const char *cmd, const char *kv);
// Handle getopt's c if it is a common option: 1 handled, 0 not common, -1
// a usage error (already printed).
int cli_common_option(int c, common_opts *o, const char *cmd);
// Load the chip (default configs/arch/isaac.json, from the working
// directory or the source tree), apply --set, then load the model.
int cli_load_inputs(const char *model, const char *arch_path,
                    const overrides *sets, pt_graph **g, pt_arch *arch,
                    pt_error *err);

#endif
