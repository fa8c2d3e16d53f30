#!/bin/sh
# Install the Debian 12 packages that pimtune builds and tests with.
# Run as root, or as a user with sudo.
set -eu
SUDO=
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends \
  build-essential cmake pkg-config \
  protobuf-c-compiler libprotobuf-c-dev libonnx-dev \
  libcjson-dev libgsl-dev libhdf5-dev libcmocka-dev \
  libonnx-testdata gnuplot-nox jq python3-onnx python3-h5py hdf5-tools file
