#!/bin/sh
# Time the profiler on ResNet-18 (isaac.json) in both modes with
# bench/profile_bench.c (a CMake target). Usage, from the source tree after
# configuring build/:  sh bench/profile_bench.sh [BUILD_DIR]
set -e
B=${1:-build}
cmake --build "$B" --target profile_bench >/dev/null
M=configs/workloads/resnet18.onnx
A=configs/arch/isaac.json
for args in "ht balance 1" "ht balance 4" "ht none 1" "ll balance 1"; do
  "$B/profile_bench" $M $A $args 5
done
