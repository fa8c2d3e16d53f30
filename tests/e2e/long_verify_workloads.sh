# Long (ctest -L long): `pimtune verify` on every bundled workload in both
# modes (structure-only models get seeded random weights). alexnet and
# vgg16 do not fit ISAAC's 63 MiB: they run on pimcomp-default.json, in LL
# with 256 KiB of local memory (three rows of 224 x 64 pixels per core).
. "$(dirname "$0")/common.bash"
for m in "$PT_SRC"/configs/workloads/*.onnx; do
  name=$(basename "$m" .onnx)
  arch=$PT_SRC/configs/arch/isaac.json
  case $name in
    alexnet|vgg16) arch=$PT_SRC/configs/arch/pimcomp-default.json ;;
  esac
  for mode in ht ll; do
    extra=
    [ $name-$mode = vgg16-ll ] && extra="--set local_memory.size_bytes=262144"
    if "$PIMTUNE" verify "$m" --arch "$arch" --mode $mode $extra --json \
         >"$TMP/j" 2>"$TMP/e"; then
      ok
      echo "$name $mode: $(jq -c '{max_rel_err, instructions_executed}' "$TMP/j")"
    else
      bad "$name $mode: $(grep -v note "$TMP/e") $(cat "$TMP/j")"
    fi
  done
done
finish
