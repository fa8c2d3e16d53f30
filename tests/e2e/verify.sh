# `pimtune verify`: the streams of tiny.onnx (exported from PyTorch with its
# weights) reproduce PyTorch's own output for a fixed input (computed by
# tests/data/reference/make_tiny_expect.py) in both modes; vgg8 and
# resnet18 at full size (structure only: seeded random weights) verify in
# both modes; bad arguments are one-line errors.
. "$(dirname "$0")/common.bash"
W=$PT_SRC/configs/workloads
R=$PT_SRC/tests/data/reference
for mode in ht ll; do
  if "$PIMTUNE" verify "$W/tiny.onnx" --mode $mode --input "$R/tiny_input.pb" \
       --expect "$R/tiny_output.pb" --json >"$TMP/j" 2>"$TMP/e"; then
    jq -e '.pass and .max_rel_err <= 1e-4 and .expect_max_abs_err <= 1e-4 and
           (.random_weights | not)' "$TMP/j" >/dev/null && ok ||
      bad "tiny $mode: $(cat "$TMP/j")"
  else
    bad "tiny $mode: $(cat "$TMP/e" "$TMP/j")"
  fi
  for m in vgg8 resnet18; do
    if "$PIMTUNE" verify "$W/$m.onnx" --mode $mode --json >"$TMP/j" 2>"$TMP/e"; then
      jq -e '.pass and .random_weights and .instructions_executed > 0' \
        "$TMP/j" >/dev/null && ok || bad "$m $mode: $(cat "$TMP/j")"
      echo "$m $mode: $(jq -c '{max_rel_err, instructions_executed}' "$TMP/j")"
    else
      bad "$m $mode: $(cat "$TMP/e")"
    fi
  done
done
# A wrong expectation is a mismatch (exit 1), not an error.
"$PIMTUNE" verify "$W/tiny.onnx" --input "$R/tiny_input.pb" \
  --expect "$R/tiny_input.pb" >/dev/null 2>&1
[ $? -eq 2 ] && ok || bad "expect of the wrong size must be an error (2)"
expect_error "missing input file" "nope.pb: cannot open" \
  "$PIMTUNE" verify "$W/tiny.onnx" --input "$TMP/nope.pb"
head -c 50 /dev/urandom >"$TMP/junk.pb"
expect_error "garbage input file" "junk.pb" \
  "$PIMTUNE" verify "$W/tiny.onnx" --input "$TMP/junk.pb"
expect_error "expect without input" "--expect needs --input" \
  "$PIMTUNE" verify "$W/tiny.onnx" --expect "$R/tiny_output.pb"
# (a structure-only model also prints its note on stderr)
"$PIMTUNE" verify "$W/resnet18.onnx" --input "$R/tiny_input.pb" \
  --expect "$R/tiny_output.pb" >/dev/null 2>"$TMP/e"
[ $? -eq 2 ] && [ "$(grep -vc 'note:' "$TMP/e")" = 1 ] &&
  grep -q "no weights" "$TMP/e" && ok || bad "expect on a structure-only model: $(cat "$TMP/e")"
finish
