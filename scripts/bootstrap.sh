#!/usr/bin/env bash
# Installs every Debian 12 package that ds's build and tests need. Idempotent: when everything
# is installed already it touches nothing (and needs no network); otherwise it uses apt-get,
# which reaches Debian's own repositories only.
set -euo pipefail

packages=(
  # compiler toolchain
  build-essential cmake ninja-build ccache pkg-config git
  # MLIR / LLVM 19 (lit, FileCheck, not, count and split-file come with llvm-19-tools)
  libmlir-19-dev mlir-19-tools llvm-19-dev llvm-19-tools
  # ONNX import, the plan schema
  libonnx-dev libonnx-testdata libprotobuf-dev protobuf-compiler
  # runtime: MPI ranks, CPU math
  libopenmpi-dev openmpi-bin libdnnl-dev
  # Debian's dnnl-config.cmake find_package()s OpenCL (its GPU runtime is OCL); the package only
  # recommends it, and --no-install-recommends skips it
  ocl-icd-opencl-dev
  # only for bench/ (the GEMM comparison), not linked by ds
  libopenblas-dev
  # tests and reference scripts (Debian's own python3)
  libgtest-dev python3 python3-numpy python3-onnx
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "bootstrap: all ${#packages[@]} packages are installed"
  exit 0
fi

echo "bootstrap: installing ${missing[*]}"
sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
