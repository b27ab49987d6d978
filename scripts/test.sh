#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the lit suite and the GoogleTest suites
# (the multi-rank ones under mpirun), all through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
bash scripts/bootstrap.sh
bash scripts/build.sh
# OpenMPI refuses to run as root unless told; tests launch more ranks than there are cores.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
ctest --test-dir build --output-on-failure -j "${DS_TEST_JOBS:-2}"
# Where the main build has the CUDA backend, the configuration without it (DESIGN.md: everything
# works without the toolkit) must still build and run too: ds-run and the executor's tests, in
# build-nocuda/ (mostly ccache hits).
if [[ -x build/bin/DSCudaKernelTests ]]; then
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
  if [[ ! -f build-nocuda/build.ninja ]]; then
    cmake -G Ninja -S . -B build-nocuda -DCMAKE_BUILD_TYPE=Release -DDS_ENABLE_CUDA=OFF \
      ${DS_CMAKE_ARGS:-} >/dev/null
  fi
  cmake --build build-nocuda -j "${DS_BUILD_JOBS:-$(nproc)}" --target ds-run DSExecutorTests
  build-nocuda/bin/DSExecutorTests --gtest_brief=1
  build-nocuda/bin/ds-run --help >/dev/null
fi
echo "test.sh: install + build + test took $(( $(date +%s) - start )) s"
