# Bad input through the command line: every case exits 2 with one line on
# stderr naming the culprit, never a crash. Models: missing, empty, random
# bytes, truncated real model, unsupported op, seed JSON with an unknown
# operation. Chip configs: missing, malformed, unknown key, and every field
# of isaac.json set out of range or to the wrong type.
. "$(dirname "$0")/common.bash"
W=$PT_SRC/configs/workloads
A=$PT_SRC/configs/arch/isaac.json
D=$PT_SRC/tests/data

expect_error "missing model" "nope.onnx: cannot open" \
  "$PIMTUNE" info "$TMP/nope.onnx" --arch "$A"
: >"$TMP/empty.onnx"
expect_error "empty model" "empty.onnx" "$PIMTUNE" info "$TMP/empty.onnx" --arch "$A"
head -c 4096 /dev/urandom >"$TMP/random.onnx"
expect_error "random bytes" "random.onnx" "$PIMTUNE" info "$TMP/random.onnx" --arch "$A"
size=$(stat -c %s "$W/resnet18.onnx")
for cut in 7 100 $((size / 2)) $((size - 9)); do
  head -c "$cut" "$W/resnet18.onnx" >"$TMP/trunc.onnx"
  expect_error "resnet18 truncated at $cut bytes" "trunc.onnx" \
    "$PIMTUNE" info "$TMP/trunc.onnx" --arch "$A"
done
expect_error "unsupported op" "unsupported_op.onnx.*not supported|unsupported_op.onnx.*unsupported" \
  "$PIMTUNE" info "$D/onnx/unsupported_op.onnx" --arch "$A"
expect_error "seed JSON, unknown operation" "bad_unknown_op.json.*unsupported operation" \
  "$PIMTUNE" info "$D/pimcomp/bad_unknown_op.json" --arch "$A"
echo '{"node_list": [' >"$TMP/cut.json"
expect_error "seed JSON, truncated" "cut.json" "$PIMTUNE" info "$TMP/cut.json" --arch "$A"

expect_error "missing config" "nope.json: cannot open" \
  "$PIMTUNE" info "$W/tiny.onnx" --arch "$TMP/nope.json"
expect_error "truncated config" "truncated.json:[0-9]+" \
  "$PIMTUNE" info "$W/tiny.onnx" --arch "$D/arch/truncated.json"
expect_error "unknown config key" "unknown-key.json.*unknown key" \
  "$PIMTUNE" info "$W/tiny.onnx" --arch "$D/arch/unknown-key.json"

# A model that does not fit the chip: one error line (after the
# structure-only note) naming the layer; nothing written.
"$PIMTUNE" compile "$W/vgg16.onnx" --arch "$A" --emit asm "$TMP/streams" \
  >"$TMP/o" 2>"$TMP/e"
rc=$?
if [ $rc -eq 2 ] && [ "$(grep -vc 'note:' "$TMP/e")" = 1 ] &&
   grep -q "layer '/classifier/classifier.0/Gemm'.*does not fit" "$TMP/e" &&
   [ ! -e "$TMP/streams" ]; then ok; else
  bad "vgg16 on isaac: exit $rc, $(cat "$TMP/e")"; fi
expect_error "emit into a file" "cannot create directory" \
  "$PIMTUNE" compile "$W/tiny.onnx" --arch "$A" --emit asm /dev/null/streams

# Every field of isaac.json: numbers to -1e12, strings to "bogus",
# booleans to 7. The message must name the field.
n=0
for p in $(jq -r 'paths(scalars) | map(tostring) | join(".")' "$A" |
           grep -vE '^(name|description)$|comment'); do
  jq --arg p "$p" '($p | split(".")) as $k | setpath($k;
      (getpath($k) | type) as $t |
      if $t == "number" then -1e12 elif $t == "string" then "bogus" else 7 end)' \
    "$A" >"$TMP/bad.json"
  expect_error "config field $p" "bad.json.*$p" \
    "$PIMTUNE" info "$W/tiny.onnx" --arch "$TMP/bad.json"
  n=$((n + 1))
done
[ "$n" -gt 50 ] && ok || bad "only $n config fields were tried"
finish
