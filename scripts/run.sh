#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine: install, build, then compile the example
# transformer block (verify, canonicalize, CSE) and print the resulting ds IR.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/build.sh
build/bin/ds-opt examples/gpt_block/block.mlir --canonicalize --cse
