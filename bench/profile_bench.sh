#!/bin/sh
# Build bench/profile_bench.c against build/libpimtune.a and time the
# profiler on ResNet-18 (isaac.json) in both modes. Usage, from the source
# tree after building into build/:  sh bench/profile_bench.sh [BUILD_DIR]
set -e
B=${1:-build}
cc -O2 -std=c11 -I. -I"$B/gen/onnx" -o "$B/profile_bench" bench/profile_bench.c \
  "$B/libpimtune.a" $(pkg-config --cflags --libs gsl libcjson libprotobuf-c) \
  -lhdf5 -fopenmp -lm 2>/dev/null || \
cc -O2 -std=c11 -I. -I"$B/gen/onnx" -I/usr/include/hdf5/serial \
  -o "$B/profile_bench" bench/profile_bench.c "$B/libpimtune.a" \
  $(pkg-config --cflags --libs gsl libcjson libprotobuf-c) \
  -L/usr/lib/x86_64-linux-gnu/hdf5/serial -lhdf5 -fopenmp -lm
M=configs/workloads/resnet18.onnx
A=configs/arch/isaac.json
for args in "ht balance 1" "ht balance 4" "ht none 1" "ll balance 1"; do
  "$B/profile_bench" $M $A $args 5
done
