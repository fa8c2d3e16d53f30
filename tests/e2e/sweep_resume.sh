# Sweeps survive being killed: the quick sweep is SIGKILLed at several
# moments (once while a finished point is being added to the file), and
# interrupted with SIGINT; after each kill the file opens, and --resume
# finishes it with the same set of points, each once, with the same
# results as an uninterrupted run (same seeds). A failing point is
# recorded with its error.
. "$(dirname "$0")/common.bash"
S="$PT_SRC/configs/sweeps/quick.json"

# The points' results without what depends on time: the front and the
# profiled figures of every point, by point id.
digest() {
  local q='{records: ([.sweep.points[] | {id: .id, status: .status, error: .error, seed: .seed}] | sort_by(.id)),'
  q+=' runs: [.runs[] | {id: .id, complete: .complete, evaluations: .evaluations,'
  q+=' front: .objectives.values, points: [.points[] | {label: .label,'
  q+=' throughput_sps: .throughput_sps, energy_j: .energy_j, latency_s: .latency_s,'
  q+=' instructions: .instructions}]}]}'
  "$PIMTUNE" show "$1" --json | jq -S "$q"
}

"$PIMTUNE" sweep "$S" -o "$TMP/ref.h5" --quiet 2>"$TMP/err" && ok || bad "sweep: $(cat "$TMP/err")"
[ ! -e "$TMP/ref.h5.parts" ] && ok || bad "parts directory left after a complete sweep"
digest "$TMP/ref.h5" >"$TMP/ref.json"
jq -e '.records | length == 8 and ([.[] | select(.status == "failed")] | length == 2)' \
  "$TMP/ref.json" >/dev/null && ok || bad "quick sweep: 8 points, 2 failing expected"
jq -e '[.records[] | select(.status == "failed") | .error | test("exceed")] | all' \
  "$TMP/ref.json" >/dev/null && ok || bad "failing points recorded without their error"
expect_error "existing file without --resume" "ref.h5: exists; pass --resume" \
  "$PIMTUNE" sweep "$S" -o "$TMP/ref.h5"

K="$TMP/k.h5"
# SIGKILL while a finished point is being added (the writer lingers
# inside the copy-on-write when PT_TEST_SWEEP_WRITE_MS is set).
# Twice: while the file is created, then while it is copied and renamed.
for n in 1 2; do
  PT_TEST_SWEEP_WRITE_MS=3000 "$PIMTUNE" sweep "$S" -o "$K" --resume --quiet 2>/dev/null &
  pid=$!
  # The writer's temporary file is k.h5.tmp<its pid>.
  # The second time, wait for a write that replaces an existing file.
  for i in $(seq 300); do
    [ -e "$K.tmp$pid" ] && { [ $n = 1 ] || [ -e "$K" ]; } && break
    sleep 0.1
  done
  [ -e "$K.tmp$pid" ] && ok || bad "never saw the sweep file being written ($n)"
  kill -KILL $pid 2>/dev/null
  wait $pid 2>/dev/null
  sleep 0.2
  [ $n = 1 ] || [ -e "$K" ] && ok || bad "no sweep file after the second kill"
  [ -e "$K" ] && { h5dump -H "$K" >/dev/null 2>&1 && ok || bad "killed while writing: the file does not open"; }
done
# SIGINT: the running points are abandoned, the file stays consistent.
"$PIMTUNE" sweep "$S" -o "$K" --resume --quiet 2>"$TMP/int.err" &
pid=$!
sleep 0.5
kill -INT $pid 2>/dev/null
wait $pid
rc=$?
if [ "$rc" -eq 130 ]; then
  grep -q "continue with --resume" "$TMP/int.err" && ok || bad "SIGINT: no resume hint"
elif [ "$rc" -ne 0 ]; then
  bad "SIGINT: exit status $rc"
fi
[ -e "$K" ] && { h5dump -H "$K" >/dev/null 2>&1 && ok || bad "after SIGINT: the file does not open"; }
# SIGKILL at several moments, resuming each time.
for delay in 0.3 0.8 1.5 2.5; do
  "$PIMTUNE" sweep "$S" -o "$K" --resume --quiet 2>/dev/null &
  pid=$!
  sleep $delay
  kill -KILL $pid 2>/dev/null
  wait $pid 2>/dev/null
  sleep 0.2  # the children die with the parent
  if [ -e "$K" ]; then
    h5dump -H "$K" >/dev/null 2>&1 && "$PIMTUNE" show "$K" >/dev/null \
      && ok || bad "killed after ${delay}s: the file does not open"
  fi
done
# Finish.
"$PIMTUNE" sweep "$S" -o "$K" --resume --quiet 2>"$TMP/err" && ok || bad "resume: $(cat "$TMP/err")"
[ ! -e "$K.parts" ] && ok || bad "parts directory left after the resumed sweep"
ls "$TMP" | grep -q '\.tmp' && bad "temporary files left: $(ls "$TMP")" || ok
digest "$K" >"$TMP/k.json"
jq -e '[.records[].id] | (length == 8) and (unique | length == 8)' "$TMP/k.json" \
  >/dev/null && ok || bad "resumed sweep: points lost or duplicated: $(jq -c '[.records[].id]' "$TMP/k.json")"
diff "$TMP/ref.json" "$TMP/k.json" >"$TMP/diff" && ok || bad "resumed sweep differs: $(head -20 "$TMP/diff")"
# Resuming a finished sweep does nothing; another definition is refused.
"$PIMTUNE" sweep "$S" -o "$K" --resume --quiet && ok || bad "resume of a finished sweep"
digest "$K" | diff -q - "$TMP/k.json" >/dev/null && ok || bad "resume of a finished sweep changed it"
sed 's/"seed": 7/"seed": 8/' "$S" >"$TMP/other.json"
expect_error "another definition" "k.h5: was made by a different sweep definition" \
  "$PIMTUNE" sweep "$TMP/other.json" -o "$K" --resume
finish
