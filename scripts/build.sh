#!/usr/bin/env bash
# Configures and builds ds into build/ (Ninja, Release, ccache when present).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${DS_BUILD_JOBS:-$(nproc)}
if [[ ! -f build/build.ninja ]]; then
  cmake -G Ninja -S . -B build -DCMAKE_BUILD_TYPE=Release ${DS_CMAKE_ARGS:-}
fi
cmake --build build -j "$jobs"
