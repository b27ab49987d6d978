#!/usr/bin/env bash
# Configures and builds ds into build/ (Ninja, Release, ccache when present).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${DS_BUILD_JOBS:-$(nproc)}
# Paths under the checkout are rewritten relative, so every clone of the repository shares
# ccache's hits (a fresh CI clone then rebuilds in a fraction of a cold build's time).
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
if [[ ! -f build/build.ninja ]]; then
  cmake -G Ninja -S . -B build -DCMAKE_BUILD_TYPE=Release ${DS_CMAKE_ARGS:-}
fi
cmake --build build -j "$jobs"
