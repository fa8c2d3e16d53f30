#!/bin/sh
# The search benchmark of bench/README.md: the paper's GA (published
# settings) against the default strategy on ResNet-18, VGG-16 and GoogLeNet,
# HT and LL. VGG-16 does not fit isaac.json at 16-bit weights, so it runs on
# pimcomp-default.json (the seed's chip; its LL needs 256 KiB of local
# memory). One JSON line per measurement; about 10 minutes on 2 cores.
#   sh bench/search_bench.sh [BUILD_DIR] [PROFILE_EVALS]
set -e
B=${1:-build}
P=${2:-20}
cmake --build "$B" --target search_bench >/dev/null
W=configs/workloads
for mode in ht ll; do
  "$B/search_bench" $W/resnet18.onnx configs/arch/isaac.json $mode "$P"
  "$B/search_bench" $W/googlenet.onnx configs/arch/isaac.json $mode "$P"
  "$B/search_bench" $W/vgg16.onnx configs/arch/pimcomp-default.json $mode "$P" \
    local_memory.size_bytes=262144
done
