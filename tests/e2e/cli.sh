# The command line itself: help texts, version, unknown commands and
# options, commands of later milestones that must say they are missing.
. "$(dirname "$0")/common.bash"

"$PIMTUNE" --help >"$TMP/h" && grep -q "usage: pimtune" "$TMP/h" && ok || bad "--help"
for c in tune info compile verify; do
  "$PIMTUNE" $c --help >"$TMP/h" && grep -q "usage: pimtune $c" "$TMP/h" && ok ||
    bad "$c --help"
done
"$PIMTUNE" info --help >"$TMP/h"
grep -q -- "--unfold" "$TMP/h" && grep -q "row-scatter" "$TMP/h" && ok ||
  bad "info --help lists the unfolding formats"
"$PIMTUNE" --version | grep -Eq '^pimtune [0-9]+\.[0-9]+' && ok || bad "--version"

expect_error "no arguments" "usage" "$PIMTUNE"
expect_error "unknown option" "unknown option '--frobnicate'" "$PIMTUNE" --frobnicate
expect_error "info unknown option" "unknown or incomplete option '--bogus'" \
  "$PIMTUNE" info --bogus x.onnx
expect_error "info without model" "expected one MODEL" "$PIMTUNE" info
expect_error "compile bad mode" "unknown mode 'xx'" \
  "$PIMTUNE" compile "$PT_SRC/configs/workloads/tiny.onnx" --mode xx
expect_error "compile bad replication" "unknown replication heuristic 'most'" \
  "$PIMTUNE" compile "$PT_SRC/configs/workloads/tiny.onnx" --replication most
expect_error "compile --emit without dir" "--emit needs a directory" \
  "$PIMTUNE" compile "$PT_SRC/configs/workloads/tiny.onnx" --emit asm
expect_error "info bad unfold" "unknown unfolding format 'diagonal'" \
  "$PIMTUNE" info "$PT_SRC/configs/workloads/resnet18.onnx" --unfold diagonal
expect_error "show missing file" "^pimtune: x: cannot read" "$PIMTUNE" show x
expect_error "export missing file" "^pimtune: x: cannot read" \
  "$PIMTUNE" export x --format asm -o "$TMP/x"
expect_error "plot missing file" "^pimtune: x: cannot read" \
  "$PIMTUNE" plot x -o "$TMP/x"
expect_error "sweep missing file" "^pimtune: x: cannot open" \
  "$PIMTUNE" sweep x -o "$TMP/x.h5"
# `pimtune MODEL` is `pimtune tune MODEL`: the same options, the same output.
T="$PT_SRC/configs/workloads/tiny.onnx"
"$PIMTUNE" "$T" --no-store --evals 200 --keep 0 --no-heuristics --json >"$TMP/d1" 2>/dev/null &&
  "$PIMTUNE" tune "$T" --no-store --evals 200 --keep 0 --no-heuristics --json >"$TMP/d2" \
    2>/dev/null && jq -e '.evaluations == 200' "$TMP/d1" >/dev/null &&
  cmp -s <(jq -c 'del(.wall_s)' "$TMP/d1") <(jq -c 'del(.wall_s)' "$TMP/d2") && ok ||
  bad "default command is tune"

# The table form names every weight layer and ends with the verdict.
"$PIMTUNE" info "$PT_SRC/configs/workloads/resnet18.onnx" \
  --arch "$PT_SRC/configs/arch/isaac.json" >"$TMP/t" 2>"$TMP/e" || bad "info table"
grep -q "21 weight layers" "$TMP/t" && grep -q "fits" "$TMP/t" && ok ||
  bad "info table summary: $(tail -1 "$TMP/t")"
grep -q "structure only" "$TMP/e" && ok || bad "structure-only notice on stderr"
finish
