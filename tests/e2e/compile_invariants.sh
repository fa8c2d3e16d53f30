# `pimtune compile` on every bundled workload, both modes, several
# replication heuristics: the streams pass --check (every read written or
# received before, transfers paired without deadlock, every output
# completed once, no overlapping live buffers, local memory within the
# chip), the mvm count equals windows x AGs summed over the weight layers
# (one copy's AGs: replication splits windows, it does not add work), LL
# takes at least as many rounds as its busiest replica has windows, and
# HT layer grouping keeps every dependent chain within one period
# (independent check with the onnx package).
. "$(dirname "$0")/common.bash"
PY=/usr/bin/python3
have_onnx=0
$PY -c 'import onnx' 2>/dev/null && have_onnx=1
for m in "$PT_SRC"/configs/workloads/*.onnx; do
  name=$(basename "$m" .onnx)
  arch=$PT_SRC/configs/arch/isaac.json
  case $name in # too large for ISAAC's 63 MiB at 16-bit weights
    alexnet|vgg16) arch=$PT_SRC/configs/arch/pimcomp-default.json ;;
  esac
  for mode in ht ll; do
    # vgg16's first layers need three rows of 224 x 64 pixels on a core in
    # LL: more than the default 64 KiB of local memory.
    set_mem=
    [ $name-$mode = vgg16-ll ] && set_mem="--set local_memory.size_bytes=262144"
    # All four heuristics on the small models, two on the large ones (the
    # suite must stay within minutes).
    repls="balance none"
    case $name in tiny|vgg8|resnet18|squeezenet1_0|mobilenet_v2)
      repls="balance none uniform layer-size" ;;
    esac
    for repl in $repls; do
      if ! "$PIMTUNE" compile "$m" --arch "$arch" --mode $mode $set_mem \
           --replication $repl --unfold im2col --check --no-profile --json \
           >"$TMP/j" 2>"$TMP/e"; then
        # Copies in proportion to windows put a depthwise or shuffle
        # block's producer and reader on one core, whose input rows then
        # exceed 64 KiB in LL: a property of that mapping, reported as such.
        case $name-$mode-$repl in
          mobilenet_v2-ll-layer-size|shufflenet_v2_x1_0-ll-layer-size)
            grep -Eq "local memory: core [0-9]+ needs [0-9]+ bytes \(at layer" "$TMP/e" &&
              ok || bad "$name $mode $repl: $(grep -v note "$TMP/e")"
            continue ;;
        esac
        bad "$name $mode $repl: $(grep -v note "$TMP/e")"; continue
      fi
      ok
      want=$(jq '[.replication[] | .windows * .ags] | add' "$TMP/j")
      got=$(jq '.instructions.mvm' "$TMP/j")
      [ "$want" = "$got" ] && ok || bad "$name $mode $repl: $got mvm, expected $want"
      # LL: a layer issues at most one window per replica per round, so the
      # schedule takes at least its busiest replica's windows in rounds.
      if [ $mode = ll ]; then
        need=$(jq '[.replication[].rounds] | max' "$TMP/j")
        got=$(jq '.rounds' "$TMP/j")
        [ "$got" -ge "$need" ] && ok || bad "$name $repl: $got rounds, fewer than $need"
      fi
      if [ $mode = ht ] && [ $have_onnx = 1 ]; then
        $PY "$PT_SRC/tests/e2e/check_groups.py" "$m" "$TMP/j" >"$TMP/g" &&
          ok || bad "$name $repl grouping: $(cat "$TMP/g")"
      fi
    done
  done
  echo "$name: $(grep -o 'check passed.*' "$TMP/e")"
done
finish
