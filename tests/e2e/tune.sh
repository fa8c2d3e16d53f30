# pimtune tune (the default command) on the bundled ResNet-18: the JSON
# report, determinism across thread counts, every strategy, the Pareto
# front (checked independently), budgets, Ctrl-C, progress lines, errors.
. "$(dirname "$0")/common.bash"
M="$PT_SRC/configs/workloads/resnet18.onnx"
A="$PT_SRC/configs/arch/isaac.json"
tune() { "$PIMTUNE" tune "$M" --arch "$A" --no-store "$@"; }

# The report's shape, and what it says about the run.
tune --evals 3000 --keep 2 --json >"$TMP/j" 2>"$TMP/e" || bad "tune --json: $(cat "$TMP/e")"
jq -e '.objective == "throughput" and .evaluations == 3000 and .seed == 1
       and .stopped_by == "evaluations" and (.threads >= 1) and (.wall_s > 0)
       and (.best | .mode == "ht" and .throughput_sps > 0 and .latency_s > 0
            and .energy_j > 0 and .crossbars > 0 and .estimate.throughput_sps > 0)
       and (.front | length) == 2 and (.heuristics | length) == 4
       and (.replication // .best.replication | length) == 21' "$TMP/j" >/dev/null &&
  ok || bad "tune --json shape: $(head -c 400 "$TMP/j")"
# The reported best is the best profiled of everything profiled, so it is
# at least as good as every heuristic.
jq -e '[.heuristics[].throughput_sps] | max as $h | $h <= input.best.throughput_sps' \
  "$TMP/j" "$TMP/j" >/dev/null && ok || bad "best below a heuristic"
grep -q "seed 1" "$TMP/e" && ok || bad "the seed is printed"

# Same seed, same result on 1, 2 and 4 threads (everything but the clock).
for t in 1 2 4; do
  tune --evals 3000 --keep 2 --no-heuristics --threads $t --seed 9 --json \
    2>/dev/null | jq -c 'del(.wall_s, .threads)' >"$TMP/t$t"
done
[ -s "$TMP/t1" ] && cmp -s "$TMP/t1" "$TMP/t2" && cmp -s "$TMP/t1" "$TMP/t4" && ok ||
  bad "results differ across thread counts"
tune --evals 3000 --keep 2 --no-heuristics --seed 10 --json 2>/dev/null |
  jq -c 'del(.wall_s, .threads)' >"$TMP/s10"
cmp -s "$TMP/t1" "$TMP/s10" && bad "another seed gives the same result" || ok

# Every strategy runs and reports a profiled best.
for s in ga-paper nsga2 anneal; do
  tune --strategy $s --evals 2000 --pop 40 --keep 1 --no-heuristics --json \
    >"$TMP/s" 2>"$TMP/e" && jq -e --arg s $s '.strategy == $s and .best.throughput_sps > 0' \
    "$TMP/s" >/dev/null && ok || bad "strategy $s: $(tail -1 "$TMP/e")"
done
tune --evals 100 --json --keep 0 --no-heuristics 2>/dev/null | jq -e '.strategy == "anneal"' >/dev/null &&
  ok || bad "auto is anneal for one objective"

# With the profiler as fitness the search's figure is the profiled one.
"$PIMTUNE" tune "$PT_SRC/configs/workloads/tiny.onnx" --arch "$A" --fitness profile \
  --evals 100 --keep 1 --no-heuristics --no-store --json 2>/dev/null >"$TMP/f"
jq -e '.fitness == "profile" and .evaluations == 100 and
       .search_best.throughput.throughput_sps == .search_best.throughput.estimate.throughput_sps' \
  "$TMP/f" >/dev/null && ok || bad "--fitness profile: $(head -c 300 "$TMP/f")"

# Pareto: nsga2 by default, both modes, a non-dominated front (checked
# here from the estimates the search kept).
tune --objective pareto --objectives throughput,latency,area --evals 4000 \
  --keep 3 --no-heuristics --json >"$TMP/p" 2>/dev/null || bad "pareto run"
jq -e '.strategy == "nsga2" and .modes == "ht+ll" and (.front | length) == 3
       and (.front_estimates | length) >= 3' "$TMP/p" >/dev/null && ok ||
  bad "pareto report: $(head -c 300 "$TMP/p")"
jq -r '.front_estimates[] | "\(.throughput_sps) \(.latency_s) \(.crossbars)"' "$TMP/p" |
  awk '{t[NR]=$1; l[NR]=$2; a[NR]=$3}
       END {for (i = 1; i <= NR; i++) for (j = 1; j <= NR; j++) if (i != j &&
              t[i] >= t[j] && l[i] <= l[j] && a[i] <= a[j] &&
              (t[i] > t[j] || l[i] < l[j] || a[i] < a[j])) bad++
            exit bad > 0}' && ok || bad "a front point dominates another"

# Budgets: wall clock, and convergence.
tune --budget 1s --keep 0 --no-heuristics --json >"$TMP/b" 2>/dev/null
jq -e '.stopped_by == "budget" and .wall_s >= 1 and .wall_s < 3' "$TMP/b" >/dev/null &&
  ok || bad "--budget 1s: $(jq -c '{stopped_by, wall_s}' "$TMP/b")"
tune --patience 300 --budget 60s --keep 0 --no-heuristics --json 2>/dev/null |
  jq -e '.stopped_by == "convergence"' >/dev/null && ok || bad "--patience"

# Ctrl-C: the search stops, the best so far is profiled and reported, exit 0.
"$PIMTUNE" tune "$M" --arch "$A" --no-store --budget 120s --keep 1 --no-heuristics --json \
  >"$TMP/i" 2>"$TMP/ie" &
pid=$!
for i in $(seq 100); do grep -q "tuning" "$TMP/ie" && break; sleep 0.1; done
sleep 1.5
kill -INT $pid
wait $pid
rc=$?
[ $rc -eq 0 ] && jq -e '.stopped_by == "interrupt" and .wall_s < 30
                        and .best.throughput_sps > 0' "$TMP/i" >/dev/null && ok ||
  bad "SIGINT: exit $rc, $(head -c 300 "$TMP/i") $(tail -1 "$TMP/ie")"

# Progress lines on a terminal only, and not with --quiet.
tune --budget 2s --keep 0 --no-heuristics 2>"$TMP/np" >/dev/null
grep -q "evals (" "$TMP/np" && bad "progress printed to a file" || ok
script -qec "$PIMTUNE tune $M --arch $A --no-store --budget 3s --keep 0 --no-heuristics" \
  /dev/null >"$TMP/tty" 2>&1 || true
grep -q "evals (" "$TMP/tty" && grep -q "best throughput" "$TMP/tty" && ok ||
  bad "no progress on a terminal: $(head -c 300 "$TMP/tty")"
script -qec "$PIMTUNE tune $M --arch $A --no-store --budget 2s --keep 0 --no-heuristics --quiet" \
  /dev/null >"$TMP/tq" 2>&1 || true
grep -q "evals (" "$TMP/tq" && bad "progress with --quiet" || ok

# Errors: one line, exit 2.
expect_error "bad objective" "unknown objective 'fast'" tune --objective fast
expect_error "bad budget" "--budget expects a time" tune --budget 5x
expect_error "bad strategy" "unknown strategy 'greedy'" tune --strategy greedy
expect_error "ga-paper pareto" "ga-paper optimises one objective" \
  tune --strategy ga-paper --objective pareto
expect_error "objectives without pareto" "--objectives goes with" \
  tune --objectives throughput,energy
expect_error "one pareto objective" "at least two" \
  tune --objective pareto --objectives energy
expect_error "bad threads" "--threads expects" tune --threads 0
"$PIMTUNE" tune "$PT_SRC/configs/workloads/alexnet.onnx" --arch "$A" --evals 10 \
  >"$TMP/o" 2>"$TMP/e"
rc=$?
[ $rc -eq 2 ] && [ ! -s "$TMP/o" ] && tail -1 "$TMP/e" | grep -q "does not fit" &&
  ! grep -q "tuning" "$TMP/e" && ok || bad "model too big: exit $rc, $(cat "$TMP/e")"
finish
