// The command line's shared parts (cli.h).
#define _GNU_SOURCE
#include "cli.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../compiler/partition.h"

static const char *default_arch = "configs/arch/isaac.json";

// ---------------------------------------------------------------------------
// Shared helpers

int cli_fail(const pt_error *err) {
  fprintf(stderr, "pimtune: %s\n", err->msg);
  return EXIT_ERR;
}

int cli_usage(const char *cmd, const char *fmt, const char *arg) {
  fprintf(stderr, "pimtune %s: ", cmd);
  fprintf(stderr, fmt, arg);
  fprintf(stderr, " (see 'pimtune %s --help')\n", cmd);
  return EXIT_ERR;
}

// The bundled configs are found from the working directory or, failing
// that, from the source tree pimtune was built from.
static const char *resolve_default_arch(char *buf, size_t len) {
  if (access(default_arch, R_OK) == 0)
    return default_arch;
  snprintf(buf, len, "%s/%s", PT_SOURCE_DIR, default_arch);
  return buf;
}

int cli_add_override(overrides *o, const char *cmd, const char *kv) {
  if (!strchr(kv, '='))
    return cli_usage(cmd, "--set expects KEY=VALUE, got '%s'", kv);
  if (o->n == MAX_SETS)
    return cli_usage(cmd, "%s", "too many --set options");
  o->kv[o->n++] = kv;
  return EXIT_OK;
}

// Handle option c if it is a common one: 1 handled, 0 not common, -1 a
// usage error (already printed).
int cli_common_option(int c, common_opts *o, const char *cmd) {
  switch (c) {
  case 'a':
    o->arch_path = optarg;
    return 1;
  case 'u':
    o->unfold = pt_unfold_parse(optarg);
    if (o->unfold < 0) {
      cli_usage(cmd, "unknown unfolding format '%s'", optarg);
      return -1;
    }
    return 1;
  case 's':
    return cli_add_override(&o->sets, cmd, optarg) ? -1 : 1;
  case 'j':
    o->json = 1;
    return 1;
  case 'm':
    if (strcmp(optarg, "ht") && strcmp(optarg, "ll")) {
      cli_usage(cmd, "unknown mode '%s' (ht or ll)", optarg);
      return -1;
    }
    o->mode = !strcmp(optarg, "ht") ? PT_MODE_HT : PT_MODE_LL;
    return 1;
  case 'r':
    o->repl = pt_repl_parse(optarg);
    if (o->repl < 0) {
      cli_usage(cmd, "unknown replication heuristic '%s'", optarg);
      return -1;
    }
    return 1;
  default:
    return 0;
  }
}

int cli_load_inputs(const char *model, const char *arch_path,
                       const overrides *sets, pt_graph **g, pt_arch *arch,
                       pt_error *err) {
  char buf[1024];
  if (!arch_path)
    arch_path = resolve_default_arch(buf, sizeof buf);
  if (pt_arch_load(arch_path, arch, err))
    return -1;
  for (int i = 0; sets && i < sets->n; i++) {
    char key[128];
    const char *eq = strchr(sets->kv[i], '=');
    snprintf(key, sizeof key, "%.*s", (int)(eq - sets->kv[i]), sets->kv[i]);
    if (pt_arch_set(arch, key, eq + 1, err)) {
      pt_error_prefix(err, "--set %s: ", sets->kv[i]);
      return -1;
    }
  }
  if (sets && sets->n && pt_arch_validate(arch, err)) {
    pt_error_prefix(err, "%s with --set: ", arch_path);
    return -1;
  }
  char notice[PT_ERRMSG];
  *g = pt_graph_load(model, notice, sizeof notice, err);
  if (!*g)
    return -1;
  if (notice[0])
    fprintf(stderr, "pimtune: note: %s\n", notice);
  return 0;
}

