# The results store end to end: tune and compile write HDF5 files that
# stock tools read (h5dump, h5py), show and export reproduce the front and
# the streams, export --format pimsim follows the simulator's format, plot
# draws, and bad input gets one-line errors (exit 2) with nothing written.
. "$(dirname "$0")/common.bash"
PY=/usr/bin/python3
T="$PT_SRC/configs/workloads/tiny.onnx"
# A chip on which tiny's layers spread over cores (transfers, docs/isa.md).
SMALL=(--set crossbar.rows=16 --set crossbar.cols=16
       --set crossbar.arrays_per_core=8 --set crossbar.dac_count=16
       --set chip.cores_x=6 --set chip.cores_y=4 --set chip.cores=24)

# tune -> HDF5 -> show / export
"$PIMTUNE" tune "$T" "${SMALL[@]}" --objective pareto --evals 1500 --threads 1 \
  --keep 3 --quiet -o "$TMP/t.h5" --json >"$TMP/tune.json" 2>"$TMP/tune.err" \
  && ok || bad "tune -o: $(cat "$TMP/tune.err")"
ls "$TMP" | grep -q '\.tmp' && bad "tune left a temporary file" || ok
h5dump -H "$TMP/t.h5" >/dev/null 2>&1 && ok || bad "h5dump cannot read t.h5"
"$PIMTUNE" show "$TMP/t.h5" --json >"$TMP/show.json" && ok || bad "show --json"
"$PIMTUNE" show "$TMP/t.h5" >"$TMP/show.txt" && grep -q "Pareto front" "$TMP/show.txt" \
  && ok || bad "show: $(head -5 "$TMP/show.txt")"
# The profiled figures in the file are the ones tune reported (tune's best
# is the best profiled point, not necessarily the search's own best).
jq -e --slurpfile t "$TMP/tune.json" \
  '[.runs[0].points[].throughput_sps] | index($t[0].best.throughput_sps) != null' \
  "$TMP/show.json" >/dev/null && ok || bad "best point's figures differ from tune --json"
for k in 0 1 2; do
  "$PIMTUNE" export "$TMP/t.h5" --point $k --format json -o "$TMP/ej$k" 2>"$TMP/err" \
    && ok || bad "export json point $k: $(cat "$TMP/err")"
  if $PY -c 'import h5py' 2>/dev/null; then
    $PY "$PT_SRC/tests/e2e/check_h5.py" "$TMP/t.h5" "$TMP/show.json" \
      "$TMP/ej$k/program.json" 0 $k >"$TMP/chk" && ok || bad "h5py check point $k: $(cat "$TMP/chk")"
  else
    echo "note: /usr/bin/python3 has no h5py (apt-get install python3-h5py); h5py check skipped"
  fi
done

# compile -> HDF5 -> export gives the streams compile --emit writes.
for mode in ht ll; do
  "$PIMTUNE" compile "$T" "${SMALL[@]}" --mode $mode --emit asm "$TMP/casm$mode" \
    -o "$TMP/c$mode.h5" >/dev/null 2>&1 \
    && ok || bad "compile -o ($mode)"
  "$PIMTUNE" export "$TMP/c$mode.h5" --format asm -o "$TMP/easm$mode" \
    && diff -r "$TMP/casm$mode" "$TMP/easm$mode" >/dev/null \
    && ok || bad "export asm differs from compile --emit asm ($mode)"
  "$PIMTUNE" compile "$T" "${SMALL[@]}" --mode $mode --emit json "$TMP/cjson$mode" \
    --no-store >/dev/null 2>&1 &&
  "$PIMTUNE" export "$TMP/c$mode.h5" --format json -o "$TMP/ejson$mode" \
    && cmp -s "$TMP/cjson$mode/program.json" "$TMP/ejson$mode/program.json" \
    && ok || bad "export json differs from compile --emit json ($mode)"
  # pimsim-nn input: format, pairing, one stream per core; the chip config
  # reads back.
  "$PIMTUNE" export "$TMP/c$mode.h5" --format pimsim -o "$TMP/ps$mode" \
    && $PY "$PT_SRC/tests/e2e/check_pimsim.py" "$TMP/ps$mode" >"$TMP/chk" \
    && ok || bad "pimsim export ($mode): $(cat "$TMP/chk")"
  grep -q '"send"' "$TMP/ps$mode/instructions.json" && ok || bad "pimsim ($mode): no transfers to check"
  "$PIMTUNE" info "$T" --arch "$TMP/ps$mode/arch.json" >/dev/null 2>&1 \
    && ok || bad "pimsim arch.json does not read back"
done

# Default location: results/ under the working directory.
mkdir "$TMP/wd" && (cd "$TMP/wd" && "$PIMTUNE" compile "$T" >/dev/null 2>&1) \
  && [ -s "$TMP/wd/results/tiny-isaac-compile-ht.h5" ] && ok || bad "compile default results/ file"
mkdir "$TMP/wd2" && touch "$TMP/wd2/results"
(cd "$TMP/wd2" && expect_error "results/ cannot be made" \
  "^pimtune: results/: cannot create the results directory" "$PIMTUNE" compile "$T")
(cd "$TMP/wd2" && "$PIMTUNE" compile "$T" --no-store >/dev/null 2>&1) && ok || bad "compile --no-store"

# plot: non-empty PNG and SVG.
"$PIMTUNE" plot "$TMP/t.h5" -o "$TMP/plots" 2>/dev/null && ok || bad "plot"
for p in front convergence replication utilisation; do
  for x in png svg; do
    [ -s "$TMP/plots/$p.$x" ] && ok || bad "plot: $p.$x missing or empty"
  done
done
file "$TMP/plots/front.png" 2>/dev/null | grep -q PNG && ok || bad "front.png is not a PNG"
grep -q '<svg' "$TMP/plots/front.svg" && ok || bad "front.svg is not an SVG"

# Bad input: one line, exit 2, nothing written.
head -c 4000 "$TMP/t.h5" >"$TMP/trunc.h5"
head -c 3000 /dev/urandom >"$TMP/garbage.h5"
expect_error "truncated file" "trunc.h5: (not an HDF5 file|HDF5 cannot open)" \
  "$PIMTUNE" show "$TMP/trunc.h5"
expect_error "garbage file" "garbage.h5: not an HDF5 file" "$PIMTUNE" show "$TMP/garbage.h5"
expect_error "export garbage" "garbage.h5: not an HDF5 file" \
  "$PIMTUNE" export "$TMP/garbage.h5" --format asm -o "$TMP/never1"
h5dump -H "$TMP/t.h5" >/dev/null
expect_error "missing run" "t.h5: no run '7' \(runs: 0\)" \
  "$PIMTUNE" export "$TMP/t.h5" --run 7 --format asm -o "$TMP/never2"
expect_error "point out of range" "t.h5: run '0' has [0-9]+ points \(0 to [0-9]+\), no point 99" \
  "$PIMTUNE" export "$TMP/t.h5" --point 99 --format asm -o "$TMP/never3"
touch "$TMP/afile"
expect_error "unwritable export dir" "afile/out: cannot create the output directory" \
  "$PIMTUNE" export "$TMP/t.h5" --format asm -o "$TMP/afile/out"
expect_error "tune -o in a missing dir" "nodir/x.h5: the directory of the results file does not exist" \
  "$PIMTUNE" tune "$T" --evals 10 -o "$TMP/nodir/x.h5"
expect_error "export without format" "--format asm\|json\|pimsim is required" \
  "$PIMTUNE" export "$TMP/t.h5" -o "$TMP/never4"
for d in never1 never2 never3 never4 nodir; do
  [ -e "$TMP/$d" ] && bad "$d was created" || ok
done
finish
