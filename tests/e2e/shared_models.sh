# Every model of the seed compiler's model set in ../shared/pimcomp-models
# (skipped when that folder is absent): `pimtune info` on the seed's config
# and on ours, and `pimtune compile --check` in both modes on
# pimcomp-default.json (LL with 256 KiB of local memory: vgg16's first
# layers need three rows of 224 x 64 pixels on a core).
. "$(dirname "$0")/common.bash"
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
arch=$PT_SRC/configs/arch/pimcomp-default.json
for m in "$dir"/*.json; do
  name=$(basename "$m" .json)
  [ "$name" = pimcomp-config ] && continue
  for mode in ht ll; do
    set_mem=
    [ $mode = ll ] && set_mem="--set local_memory.size_bytes=262144"
    if "$PIMTUNE" compile "$m" --arch "$arch" --mode $mode $set_mem --check \
         >"$TMP/o" 2>"$TMP/e"; then
      ok
      echo "$name $mode: $(grep -o 'check passed.*' "$TMP/e")"
    else
      bad "$name $mode: $(cat "$TMP/e")"
    fi
  done
done
finish
