# `pimtune info` over every model of the seed compiler's model set in
# ../shared/pimcomp-models (skipped when that folder is absent), on the seed
# config and on ours: each loads, or fails with a one-line message that
# names an unsupported operation.
. "$(dirname "$0")/lib.sh"
dir=${PT_SHARED:-$PT_SRC/../shared}/pimcomp-models
if [ ! -d "$dir" ]; then
  echo "skipped: $dir is absent"
  exit 77
fi
for arch in "$dir/pimcomp-config.json" "$PT_SRC/configs/arch/pimcomp-default.json"; do
  for m in "$dir"/*.json; do
    name=$(basename "$m" .json)
    [ "$name" = pimcomp-config ] && continue
    if "$PIMTUNE" info "$m" --arch "$arch" --json >"$TMP/j" 2>"$TMP/e"; then
      n=$(jq .weight_layers "$TMP/j")
      if [ "$n" -gt 0 ]; then ok; else bad "$name: no weight layers"; fi
      echo "$name on $(basename "$arch"): $(jq -r '"\(.weight_layers) layers, \(.total_crossbars) of \(.available_crossbars) crossbars, fits=\(.fits)"' "$TMP/j")"
    else
      bad "$name on $(basename "$arch"): $(cat "$TMP/e")"
    fi
  done
done
finish
