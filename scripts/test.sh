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
echo "test.sh: install + build + test took $(( $(date +%s) - start )) s"
