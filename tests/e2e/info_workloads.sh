# `pimtune info` on every bundled workload: valid JSON with the documented
# keys, and layer count, crossbar total and MACs equal to an independent
# count made with the onnx Python package (count_crossbars.py).
. "$(dirname "$0")/common.bash"
PY=/usr/bin/python3
if ! $PY -c 'import onnx' 2>/dev/null; then
  echo "skipped: /usr/bin/python3 has no onnx module (apt-get install python3-onnx)"
  exit 77
fi
arch=$PT_SRC/configs/arch/isaac.json
for m in "$PT_SRC"/configs/workloads/*.onnx; do
  name=$(basename "$m" .onnx)
  if ! "$PIMTUNE" info "$m" --arch "$arch" --json >"$TMP/j" 2>"$TMP/e"; then
    bad "$name: info failed: $(cat "$TMP/e")"; continue
  fi
  if ! jq -e 'has("model") and has("arch") and has("weight_layers") and
       has("total_crossbars") and has("available_crossbars") and has("fits")
       and (.layers | all(has("name") and has("op") and has("in") and
       has("out") and has("weight_rows") and has("weight_cols") and
       has("matrices") and has("ags") and has("crossbars") and has("macs")))' \
       "$TMP/j" >/dev/null; then
    bad "$name: JSON lacks documented keys"; continue
  fi
  $PY "$PT_SRC/tests/e2e/count_crossbars.py" "$m" 128 128 >"$TMP/ref" || {
    bad "$name: reference count failed"; continue; }
  for key in weight_layers:weight_layers total_crossbars:crossbars macs:macs; do
    ours=$(jq ".${key%%:*}" "$TMP/j"); ref=$(jq ".${key##*:}" "$TMP/ref")
    if [ "$ours" = "$ref" ]; then ok; else
      bad "$name: ${key%%:*} = $ours, independent count says $ref"; fi
  done
  # Per layer, in order.
  if [ "$(jq -c '[.layers[].crossbars]' "$TMP/j")" = \
       "$(jq -c '[.layers[][1]]' "$TMP/ref")" ]; then ok; else
    bad "$name: per-layer crossbars differ from the independent count"; fi
  echo "$name: $(jq -r '"\(.weight_layers) layers, \(.total_crossbars) crossbars, fits=\(.fits)"' "$TMP/j")"
done
finish
