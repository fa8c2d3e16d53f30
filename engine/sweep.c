// pimtune sweep: tunes over the cartesian product of models x chips x
// chip-parameter overrides x modes x objectives, in parallel, into one
// results file that survives being killed.
//
// Each point is a child process `pimtune tune ... -o PARTS/<id>.h5` (the
// tune writes its file atomically). When a child exits, the parent adds
// its run and a record to the sweep file by copy-on-write
// (pt_h5_sweep_add) and only then deletes the part file. So at any moment
// the sweep file is complete and every point is in exactly one of three
// states: recorded in the sweep file, finished in PARTS/ (merged on
// --resume), or not finished (rerun on --resume). Children die with the
// parent (PR_SET_PDEATHSIG) and sit in their own process group, so a
// Ctrl-C reaches only the parent, which abandons the running points and
// leaves the file as it was after the last finished point.
#define _GNU_SOURCE
#include "commands.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "../results/store.h"
#include "cli.h"
#include "record.h"

static const char sweep_help[] =
    "usage: pimtune sweep SWEEP.json -o FILE.h5 [--resume] [--jobs N]\n"
    "\n"
    "Run one tune per point of the cartesian product models x archs x set\n"
    "(chip overrides, each key with a list of values) x modes x objectives\n"
    "described in SWEEP.json (configs/sweeps/, docs/sweeps.md), each with\n"
    "the sweep's budget and a seed derived from the sweep's seed, points\n"
    "in parallel. Every finished point is added to FILE.h5 at once; a point\n"
    "that fails (say, the model does not fit the chip) is recorded with its\n"
    "error and the sweep goes on.\n"
    "\n"
    "  -o FILE.h5   the sweep's results file (required)\n"
    "  --resume     continue FILE.h5 after a crash or kill: finished points\n"
    "               are kept, the others run (again)\n"
    "  --jobs N     points at once (default: cores / threads_per_point)\n"
    "  --quiet      no progress lines\n"
    "  -h, --help   this text\n"
    "\n"
    "Ctrl-C or SIGTERM abandons the running points and leaves FILE.h5 as\n"
    "it was after the last finished point; --resume continues from there.\n";

typedef struct {
  char id[16];
  const char *model, *arch, *mode, *objective;
  char sets[1024];    // "k=v k=v"
  char label[1280];
  uint64_t seed;
} point;

typedef struct {
  cJSON *def;
  char *def_text;     // canonical, stored in the file
  point *p;
  int n;
  int64_t evals;
  char budget[32];
  int keep, threads;
  bool heuristics;
  uint64_t seed;
} sweep;

static volatile sig_atomic_t stop_sig;
static void on_stop(int sig) { stop_sig = sig; }

// Point i's seed: splitmix64 of (sweep seed, i), kept below 2^31.
static uint64_t derive_seed(uint64_t s, int i) {
  uint64_t z = s + 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return (z ^ (z >> 31)) >> 33;
}

// A list of strings under key k (a string alone counts as a list of one).
static int string_list(const cJSON *def, const char *k, bool required,
                       const char *dflt, const char *path, cJSON **out,
                       pt_error *err) {
  const cJSON *x = cJSON_GetObjectItemCaseSensitive(def, k);
  *out = cJSON_CreateArray();
  if (!x) {
    if (required)
      return pt_errorf(err, "%s: \"%s\" is missing (a list of strings)", path,
                       k);
    cJSON_AddItemToArray(*out, cJSON_CreateString(dflt));
    return 0;
  }
  if (cJSON_IsString(x)) {
    cJSON_AddItemToArray(*out, cJSON_CreateString(x->valuestring));
    return 0;
  }
  const cJSON *e;
  if (!cJSON_IsArray(x) || !cJSON_GetArraySize(x))
    return pt_errorf(err, "%s: \"%s\": expected a non-empty list of strings",
                     path, k);
  cJSON_ArrayForEach(e, x) {
    if (!cJSON_IsString(e))
      return pt_errorf(err, "%s: \"%s\": expected strings only", path, k);
    cJSON_AddItemToArray(*out, cJSON_CreateString(e->valuestring));
  }
  return 0;
}

// A file named in the sweep: as given, else from the source tree.
static const char *find_file(const char *name, char *buf, size_t len) {
  if (name[0] == '/' || access(name, R_OK) == 0)
    return name;
  snprintf(buf, len, "%s/%s", PT_SOURCE_DIR, name);
  return access(buf, R_OK) == 0 ? buf : name;
}

static int load_sweep(const char *path, sweep *s, pt_error *err) {
  size_t len;
  unsigned char *txt = pt_read_file(path, &len, err);
  if (!txt)
    return -1;
  s->def = cJSON_ParseWithLength((const char *)txt, len);
  free(txt);
  if (!cJSON_IsObject(s->def))
    return pt_errorf(err, "%s: not a JSON object (malformed, or another "
                     "kind of value)", path);
  static const char *known[] = {"name", "description", "seed", "models",
                                "archs", "set", "modes", "objectives",
                                "evals", "budget", "keep", "heuristics",
                                "threads_per_point", "comment", NULL};
  const cJSON *x;
  cJSON_ArrayForEach(x, s->def) {
    bool ok = false;
    for (int i = 0; known[i] && !ok; i++)
      ok = !strcmp(known[i], x->string);
    if (!ok)
      return pt_errorf(err, "%s: unknown key \"%s\" (docs/sweeps.md)", path,
                       x->string);
  }
  s->def_text = cJSON_PrintUnformatted(s->def);
  const cJSON *v = cJSON_GetObjectItem(s->def, "seed");
  s->seed = cJSON_IsNumber(v) && v->valuedouble >= 0 ? (uint64_t)v->valuedouble
                                                      : 1;
  v = cJSON_GetObjectItem(s->def, "evals");
  s->evals = cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
  v = cJSON_GetObjectItem(s->def, "budget");
  snprintf(s->budget, sizeof s->budget, "%s",
           cJSON_IsString(v) ? v->valuestring : "");
  if (!s->evals && !s->budget[0])
    return pt_errorf(err, "%s: give each point a budget: \"evals\" (a count) "
                     "and/or \"budget\" (a time such as \"30s\")", path);
  v = cJSON_GetObjectItem(s->def, "keep");
  s->keep = cJSON_IsNumber(v) ? (int)v->valuedouble : 1;
  v = cJSON_GetObjectItem(s->def, "heuristics");
  s->heuristics = cJSON_IsBool(v) ? cJSON_IsTrue(v) : false;
  v = cJSON_GetObjectItem(s->def, "threads_per_point");
  s->threads = cJSON_IsNumber(v) && v->valuedouble >= 1 ? (int)v->valuedouble
                                                         : 1;
  cJSON *models, *archs, *modes, *objs;
  if (string_list(s->def, "models", true, NULL, path, &models, err) ||
      string_list(s->def, "archs", false, "configs/arch/isaac.json", path,
                  &archs, err) ||
      string_list(s->def, "modes", false, "ht", path, &modes, err) ||
      string_list(s->def, "objectives", false, "throughput", path, &objs,
                  err))
    return -1;  // the lists leak on this error path only; we exit
  // Overrides: {"key": [values]} -> every combination, in key order.
  const cJSON *set = cJSON_GetObjectItem(s->def, "set");
  int nset = 1, nkeys = 0;
  const cJSON *keys[16];
  if (set) {
    if (!cJSON_IsObject(set))
      return pt_errorf(err, "%s: \"set\": expected an object of chip keys "
                       "to lists of values", path);
    cJSON_ArrayForEach(x, set) {
      if (nkeys == 16)
        return pt_errorf(err, "%s: \"set\": at most 16 keys", path);
      if (!cJSON_IsArray(x) || !cJSON_GetArraySize(x))
        return pt_errorf(err, "%s: \"set\".\"%s\": expected a non-empty list "
                         "of values", path, x->string);
      keys[nkeys++] = x;
      nset *= cJSON_GetArraySize(x);
    }
  }
  int nm = cJSON_GetArraySize(models), na = cJSON_GetArraySize(archs),
      nmo = cJSON_GetArraySize(modes), no = cJSON_GetArraySize(objs);
  s->n = nm * na * nset * nmo * no;
  if (s->n > 100000)
    return pt_errorf(err, "%s: %d points; at most 100000", path, s->n);
  s->p = pt_calloc(s->n, sizeof *s->p);
  int i = 0;
  for (int a = 0; a < nm; a++)
    for (int b = 0; b < na; b++)
      for (int c = 0; c < nset; c++)
        for (int d = 0; d < nmo; d++)
          for (int e = 0; e < no; e++, i++) {
            point *p = &s->p[i];
            snprintf(p->id, sizeof p->id, "p%04d", i);
            p->model = cJSON_GetArrayItem(models, a)->valuestring;
            p->arch = cJSON_GetArrayItem(archs, b)->valuestring;
            p->mode = cJSON_GetArrayItem(modes, d)->valuestring;
            p->objective = cJSON_GetArrayItem(objs, e)->valuestring;
            p->seed = derive_seed(s->seed, i);
            int div = nset;
            for (int k = 0; k < nkeys; k++) {
              int nv = cJSON_GetArraySize(keys[k]);
              div /= nv;
              const cJSON *val = cJSON_GetArrayItem(keys[k], (c / div) % nv);
              size_t used = strlen(p->sets);
              char *dst = p->sets + used;
              size_t room = sizeof p->sets - used;
              if (cJSON_IsNumber(val))
                snprintf(dst, room, "%s%s=%.17g", used ? " " : "",
                         keys[k]->string, val->valuedouble);
              else if (cJSON_IsString(val))
                snprintf(dst, room, "%s%s=%s", used ? " " : "",
                         keys[k]->string, val->valuestring);
              else
                snprintf(dst, room, "%s%s=%s", used ? " " : "",
                         keys[k]->string, cJSON_IsTrue(val) ? "true" : "false");
            }
            const char *mb = strrchr(p->model, '/'), *ab = strrchr(p->arch, '/');
            snprintf(p->label, sizeof p->label, "%s %s%s%s %s %s",
                     mb ? mb + 1 : p->model, ab ? ab + 1 : p->arch,
                     p->sets[0] ? " " : "", p->sets, p->mode, p->objective);
          }
  // The lists own the strings the points use: keep them with the
  // definition.
  cJSON *own = cJSON_CreateArray();
  cJSON_AddItemToArray(own, models);
  cJSON_AddItemToArray(own, archs);
  cJSON_AddItemToArray(own, modes);
  cJSON_AddItemToArray(own, objs);
  cJSON_AddItemToObject(s->def, " lists", own);
  return 0;
}

// ---------------------------------------------------------------------------
// Running points

typedef struct {
  pid_t pid;
  int point;
  double t0;
} child;

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static pid_t start_point(const sweep *s, const point *p, const char *parts,
                         const char *self) {
  char part[4400], errp[4400], evals[32], seed[32], threads[32], keep[32];
  char model[4096], arch[4096];
  snprintf(part, sizeof part, "%s/%s.h5", parts, p->id);
  snprintf(errp, sizeof errp, "%s/%s.err", parts, p->id);
  snprintf(evals, sizeof evals, "%lld", (long long)s->evals);
  snprintf(seed, sizeof seed, "%llu", (unsigned long long)p->seed);
  snprintf(threads, sizeof threads, "%d", s->threads);
  snprintf(keep, sizeof keep, "%d", s->keep);
  const char *args[64 + 40];
  int n = 0;
  args[n++] = "pimtune";
  args[n++] = "tune";
  args[n++] = find_file(p->model, model, sizeof model);
  args[n++] = "--arch";
  args[n++] = find_file(p->arch, arch, sizeof arch);
  char sets[1024];
  snprintf(sets, sizeof sets, "%s", p->sets);
  for (char *tok = strtok(sets, " "); tok && n < 80; tok = strtok(NULL, " ")) {
    args[n++] = "--set";
    args[n++] = tok;
  }
  args[n++] = "--mode";
  args[n++] = p->mode;
  args[n++] = "--objective";
  args[n++] = p->objective;
  if (s->evals) {
    args[n++] = "--evals";
    args[n++] = evals;
  }
  if (s->budget[0]) {
    args[n++] = "--budget";
    args[n++] = s->budget;
  }
  args[n++] = "--seed";
  args[n++] = seed;
  args[n++] = "--threads";
  args[n++] = threads;
  args[n++] = "--keep";
  args[n++] = keep;
  if (!s->heuristics)
    args[n++] = "--no-heuristics";
  args[n++] = "--quiet";
  args[n++] = "-o";
  args[n++] = part;
  args[n] = NULL;
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid)
    return pid;
  // The child: its own process group (a terminal's Ctrl-C is for the
  // parent), dies with the parent, output to the part's files.
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent)
    _exit(127);
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  int null = open("/dev/null", O_RDWR);
  int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (null >= 0) {
    dup2(null, STDIN_FILENO);
    dup2(null, STDOUT_FILENO);
  }
  if (e >= 0)
    dup2(e, STDERR_FILENO);
  execv(self, (char *const *)args);
  _exit(127);
}

// The last line of the point's stderr, without the "pimtune: " prefix.
static void point_error(const char *parts, const point *p, char *out,
                        size_t len) {
  char path[4400];
  snprintf(path, sizeof path, "%s/%s.err", parts, p->id);
  FILE *f = fopen(path, "r");
  snprintf(out, len, "failed without a message");
  if (!f)
    return;
  // The last "pimtune: " line (other output, say a sanitizer's report,
  // only when there is none).
  char line[1024];
  bool ours = false;
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = 0;
    if (!*line || !strncmp(line, "pimtune: note:", 14))
      continue;
    bool mine = !strncmp(line, "pimtune: ", 9);
    if (ours && !mine)
      continue;
    ours = ours || mine;
    const char *m = !strncmp(line, "pimtune: ", 9) ? line + 9 : line;
    size_t n = strlen(m) < len - 1 ? strlen(m) : len - 1;
    memcpy(out, m, n);
    out[n] = 0;
  }
  fclose(f);
}

static cJSON *record(const point *p, const char *status, const char *error,
                     double wall_s) {
  cJSON *r = cJSON_CreateObject();
  cJSON_AddStringToObject(r, "id", p->id);
  cJSON_AddStringToObject(r, "status", status);
  cJSON_AddStringToObject(r, "label", p->label);
  cJSON_AddStringToObject(r, "model", p->model);
  cJSON_AddStringToObject(r, "arch", p->arch);
  cJSON_AddStringToObject(r, "set", p->sets);
  cJSON_AddStringToObject(r, "mode", p->mode);
  cJSON_AddStringToObject(r, "objective", p->objective);
  cJSON_AddNumberToObject(r, "seed", (double)p->seed);
  cJSON_AddNumberToObject(r, "wall_s", wall_s);
  if (error)
    cJSON_AddStringToObject(r, "error", error);
  else {
    char run[64];
    snprintf(run, sizeof run, "/runs/%s", p->id);
    cJSON_AddStringToObject(r, "run", run);
  }
  return r;
}

// Add point i (its part file when it finished) to the sweep file, then
// drop its part files.
static int commit_point(const char *out, const sweep *s, const point *p,
                        const char *parts, bool ok, const char *error,
                        double wall_s, pt_error *err) {
  char part[4400], errp[4400];
  snprintf(part, sizeof part, "%s/%s.h5", parts, p->id);
  snprintf(errp, sizeof errp, "%s/%s.err", parts, p->id);
  cJSON *r = record(p, ok ? "done" : "failed", ok ? NULL : error, wall_s);
  int rc = pt_h5_sweep_add(out, s->def_text, rec_command_line(), s->seed,
                           p->id, ok ? part : NULL, r, err);
  cJSON_Delete(r);
  if (!rc) {
    remove(part);
    remove(errp);
  }
  return rc;
}

// Leftovers of killed writers: "*.tmp<pid>" in the parts directory.
static void clean_parts(const char *parts) {
  DIR *d = opendir(parts);
  if (!d)
    return;
  struct dirent *e;
  char path[4200 + 256]; // parts (< 4200, see pt_cmd_sweep) + '/' + d_name
  while ((e = readdir(d)))
    if (strstr(e->d_name, ".tmp")) {
      snprintf(path, sizeof path, "%s/%s", parts, e->d_name);
      remove(path);
    }
  closedir(d);
}

// A writer of the sweep file killed in the middle leaves "<out>.tmp<pid>";
// remove those whose process is gone.
static void clean_out_tmp(const char *out) {
  char dir[4096], base[1024];
  const char *slash = strrchr(out, '/');
  snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - out) : 1,
           slash ? out : ".");
  snprintf(base, sizeof base, "%s.tmp", slash ? slash + 1 : out);
  DIR *d = opendir(dir);
  if (!d)
    return;
  struct dirent *e;
  size_t bl = strlen(base);
  while ((e = readdir(d))) {
    if (strncmp(e->d_name, base, bl))
      continue;
    char *end;
    long pid = strtol(e->d_name + bl, &end, 10);
    if (*end || pid <= 0 || (kill((pid_t)pid, 0) && errno == ESRCH)) {
      char path[5200];
      snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
      remove(path);
    }
  }
  closedir(d);
}

int pt_cmd_sweep(int argc, char **argv) {
  static const struct option opts[] = {{"output", required_argument, 0, 'o'},
                                       {"resume", no_argument, 0, 'R'},
                                       {"jobs", required_argument, 0, 'J'},
                                       {"quiet", no_argument, 0, 'q'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  const char *out = NULL;
  bool resume = false, quiet = false;
  int jobs = 0, c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
    char *end;
    switch (c) {
    case 'o':
      out = optarg;
      break;
    case 'R':
      resume = true;
      break;
    case 'J':
      jobs = (int)strtol(optarg, &end, 10);
      if (*end || jobs < 1 || jobs > 1024)
        return cli_usage("sweep", "--jobs expects 1 to 1024, got '%s'",
                         optarg);
      break;
    case 'q':
      quiet = true;
      break;
    case 'h':
      printf(sweep_help);
      return EXIT_OK;
    default:
      return cli_usage("sweep", "unknown or incomplete option '%s'",
                       argv[optind - 1]);
    }
  }
  if (optind != argc - 1)
    return cli_usage("sweep", "%s", "expected exactly one SWEEP.json");
  if (!out)
    return cli_usage("sweep", "%s", "-o FILE.h5 is required");
  pt_error err = {{0}};
  sweep s = {0};
  int rc = EXIT_ERR;
  if (load_sweep(argv[optind], &s, &err))
    goto fail;
  // What is done already.
  bool *done = pt_calloc(s.n, sizeof *done);
  int ndone = 0;
  if (!access(out, F_OK)) {
    if (!resume) {
      pt_errorf(&err, "%s: exists; pass --resume to continue that sweep, "
                "or remove the file", out);
      free(done);
      goto fail;
    }
    cJSON *st = pt_h5_sweep_read(out, &err);
    if (!st) {
      free(done);
      goto fail;
    }
    if (strcmp(cJSON_GetObjectItem(st, "definition")->valuestring,
               s.def_text)) {
      pt_errorf(&err, "%s: was made by a different sweep definition than "
                "%s; use another -o", out, argv[optind]);
      cJSON_Delete(st);
      free(done);
      goto fail;
    }
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItem(st, "records")) {
      const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(r, "id"));
      for (int i = 0; id && i < s.n; i++)
        if (!strcmp(s.p[i].id, id) && !done[i])
          done[i] = true, ndone++;
    }
    cJSON_Delete(st);
  }
  char parts[4200];
  snprintf(parts, sizeof parts, "%s.parts", out);
  if (mkdir(parts, 0777) && errno != EEXIST) {
    pt_errorf(&err, "%s: cannot create the directory of running points: %s",
              parts, strerror(errno));
    free(done);
    goto fail;
  }
  clean_parts(parts);
  clean_out_tmp(out);
  // Points that finished but were not added yet (the parent died between
  // the two): add them now.
  for (int i = 0; i < s.n; i++) {
    char part[4400];
    snprintf(part, sizeof part, "%s/%s.h5", parts, s.p[i].id);
    if (access(part, F_OK))
      continue;
    if (done[i]) {
      remove(part);
      continue;
    }
    if (!commit_point(out, &s, &s.p[i], parts, true, NULL, 0, &err)) {
      done[i] = true, ndone++;
    } else {
      remove(part);  // not a complete run: run the point again
      err.msg[0] = 0;
    }
  }
  char self[4096];
  ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
  if (sl <= 0) {
    pt_errorf(&err, "cannot find the pimtune executable (/proc/self/exe)");
    free(done);
    goto fail;
  }
  self[sl] = 0;
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  if (!jobs)
    jobs = ncpu / s.threads > 0 ? (int)(ncpu / s.threads) : 1;
  int left = s.n - ndone;
  if (jobs > left)
    jobs = left > 0 ? left : 1;
  if (!quiet)
    fprintf(stderr, "pimtune: sweep %s: %d points, %d done already, %d to run "
            "(%d at a time, %d thread%s each)\n", argv[optind], s.n, ndone,
            left, jobs, s.threads, s.threads > 1 ? "s" : "");

  struct sigaction sa = {.sa_handler = on_stop}, old_int, old_term;
  sigemptyset(&sa.sa_mask);
  stop_sig = 0;
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  child *run = pt_calloc(jobs, sizeof *run);
  int nrun = 0, next = 0, failed = 0, finished = 0;
  double t_sweep = now_s(), spent = 0;
  rc = EXIT_OK;
  for (;;) {
    while (!stop_sig && nrun < jobs) {
      while (next < s.n && done[next])
        next++;
      if (next >= s.n)
        break;
      pid_t pid = start_point(&s, &s.p[next], parts, self);
      if (pid < 0) {
        pt_errorf(&err, "cannot start a point: %s", strerror(errno));
        stop_sig = SIGTERM;
        rc = EXIT_ERR;
        break;
      }
      run[nrun++] = (child){pid, next, now_s()};
      next++;
    }
    if (!nrun)
      break;
    if (stop_sig) {
      // Abandon: the running points are not recorded; --resume reruns them.
      for (int k = 0; k < nrun; k++)
        kill(run[k].pid, SIGKILL);
      for (int k = 0; k < nrun; k++)
        waitpid(run[k].pid, NULL, 0);
      nrun = 0;
      clean_parts(parts);
      break;
    }
    int st;
    pid_t pid = waitpid(-1, &st, 0);
    if (pid < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    int k = 0;
    while (k < nrun && run[k].pid != pid)
      k++;
    if (k == nrun)
      continue;
    child ch = run[k];
    run[k] = run[--nrun];
    if (stop_sig && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
      continue;  // killed by our own stop, or by the user's signal
    const point *p = &s.p[ch.point];
    double wall = now_s() - ch.t0;
    bool ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
    char msg[PT_ERRMSG];
    if (!ok && WIFSIGNALED(st))
      snprintf(msg, sizeof msg, "killed by signal %d", WTERMSIG(st));
    else if (!ok)
      point_error(parts, p, msg, sizeof msg);
    if (commit_point(out, &s, p, parts, ok, ok ? NULL : msg, wall, &err)) {
      stop_sig = SIGTERM;
      rc = EXIT_ERR;
      continue;
    }
    done[ch.point] = true;
    ndone++, finished++;
    failed += !ok;
    spent += wall;
    if (!quiet) {
      int todo = s.n - ndone - nrun;
      double eta = finished ? spent / finished * (todo + nrun) / jobs : 0;
      fprintf(stderr, "pimtune: sweep: %d done, %d running, %d left, ~%.0f s "
              "to go; %s %s%s%s\n", ndone, nrun, todo, eta, p->id,
              ok ? "done: " : "failed: ", p->label, ok ? "" : "");
      if (!ok)
        fprintf(stderr, "pimtune: sweep: %s: %s\n", p->id, msg);
    }
  }
  sigaction(SIGINT, &old_int, NULL);
  sigaction(SIGTERM, &old_term, NULL);
  free(run);
  free(done);
  if (rc == EXIT_OK && stop_sig) {
    fprintf(stderr, "pimtune: sweep interrupted: %d of %d points in %s; "
            "continue with --resume\n", ndone, s.n, out);
    rc = 130;
  } else if (rc == EXIT_OK) {
    rmdir(parts);
    if (!quiet)
      fprintf(stderr, "pimtune: sweep done: %d points (%d failed) in %s, "
              "%.1f s\n", s.n, failed, out, now_s() - t_sweep);
  }
  if (rc == EXIT_ERR)
    cli_fail(&err);
  free(s.p);
  free(s.def_text);
  cJSON_Delete(s.def);
  return rc;
fail:
  cli_fail(&err);
  free(s.p);
  free(s.def_text);
  cJSON_Delete(s.def);
  return EXIT_ERR;
}
