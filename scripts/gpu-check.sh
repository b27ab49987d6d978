#!/usr/bin/env bash
# Usage: scripts/gpu-check.sh RESULTS_DIR
#
# The GPU check of the CUDA kernels, for a machine with a GPU, CUDA, CMake and a C++ compiler but
# none of the Debian packages the full build needs (no MLIR, ONNX, protobuf, MPI or oneDNN): it
# configures the kernels-only build (-DDS_KERNELS_ONLY=ON: the CUDA kernel library with the
# cuBLASLt GEMM and the device arena, the CPU kernels without oneDNN's matmul, and
# DSCudaKernelTests; GoogleTest if installed, else the test's stand-in harness), builds it, runs
# every kernel test against the CPU kernels (the GEMM against a float64 reference GEMM), then the
# NCCL communicator's one-rank tests when NCCL is found ($NCCL_HOME, the CUDA toolkit, or PyTorch's
# nvidia-nccl pip package, which is then put on LD_LIBRARY_PATH), and writes
#   RESULTS_DIR/gpu-check.log   everything this script printed
#   RESULTS_DIR/results.md      one row per comparison: kernel, shape, dtype, max error, pass
# Then, where a bundle made by scripts/gpu-bundle.sh exists (DS_GPU_BUNDLE, default gpu-bundle/)
# and a device was found, bench/run_gpu_train.sh runs ds-run --backend cuda on its precompiled
# plans: the example GPT's losses against the CPU curve, ZeRO-3 at world size 1, and the 1.3B
# bf16 training bench against PyTorch eager (RESULTS_DIR/gpu-train.md, appended to results.md,
# raw logs and traces beside it), within what is left of the 8 minutes.
# Exit status: 0 all passed, 1 a build step or a test failed (the training check's loss
# comparisons included; the bench's numbers never fail it), 2 no usable CUDA device.
# With a bundle that carries prebuilt DSCudaKernelTests and DSNcclTests (gpu-bundle.sh copies them
# from the full build), those run and nothing is built here.
# Environment: DS_GPU_BUNDLE (default gpu-bundle), DS_GPU_BUILD_TESTS=1 (build the kernels-only
# tree even when the bundle has the tests), DS_GPU_BUILD_DIR (default build-gpu), DS_CMAKE_ARGS
# (extra configure flags, e.g. -DCMAKE_CUDA_ARCHITECTURES=100 for another GPU), DS_BUILD_JOBS
# (default: all cores). The build takes about two minutes on 16 cores, the tests seconds; the
# whole is bounded by timeouts well under 8 minutes.
set -uo pipefail
if [[ $# -ne 1 ]]; then
  echo "usage: $0 RESULTS_DIR" >&2
  exit 1
fi
mkdir -p "$1" || exit 1
results=$(cd "$1" && pwd)
cd "$(dirname "$0")/.."
log=$results/gpu-check.log
table=$results/results.md
rows=$results/.rows
: >"$rows"
exec > >(tee "$log") 2>&1

start=$SECONDS
build=${DS_GPU_BUILD_DIR:-build-gpu}
jobs=${DS_BUILD_JOBS:-$(nproc)}
echo "== ds gpu-check: $(date -u +%FT%TZ) at $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>/dev/null ||
  echo "(nvidia-smi not available)"
nvcc_bin=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
"$nvcc_bin" --version 2>/dev/null | tail -2

# NCCL for DSNcclTests: PyTorch's nvidia-nccl pip package when nothing else points at one.
if [[ -z ${NCCL_HOME:-} ]]; then
  pip_nccl=$(python3 -c 'import nvidia.nccl as m; print(list(m.__path__)[0])' 2>/dev/null || true)
  if [[ -n $pip_nccl && -f $pip_nccl/include/nccl.h ]]; then
    export NCCL_HOME=$pip_nccl
    export LD_LIBRARY_PATH=$pip_nccl/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  fi
fi

[[ -n ${NCCL_HOME:-} && -d $NCCL_HOME/lib ]] &&
  export LD_LIBRARY_PATH=$NCCL_HOME/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

# A bundle from scripts/gpu-bundle.sh carries its libraries packed, and the test binaries built
# with the full build there: using those saves the build here (minutes of GPU time), unless
# DS_GPU_BUILD_TESTS=1 asks for the kernels-only build anyway.
bundle=${DS_GPU_BUNDLE:-gpu-bundle}
if [[ -f $bundle/lib.tar.gz && ! -d $bundle/lib ]]; then
  tar -xzf "$bundle/lib.tar.gz" -C "$bundle" || { echo "gpu-check: cannot unpack $bundle/lib.tar.gz"; exit 1; }
fi
if [[ -x $bundle/bin/DSCudaKernelTests && ${DS_GPU_BUILD_TESTS:-0} != 1 ]]; then
  echo "== using the bundle's prebuilt tests ($bundle/bin)"
  kernel_tests=$bundle/bin/DSCudaKernelTests
  nccl_tests=$bundle/bin/DSNcclTests
  export LD_LIBRARY_PATH=${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$(cd "$bundle/lib" && pwd)
else
  kernel_tests=$build/bin/DSCudaKernelTests
  nccl_tests=$build/bin/DSNcclTests
  generator=()
  command -v ninja >/dev/null && generator=(-G Ninja)
  echo "== configure ($build)"
  if ! timeout 120 cmake "${generator[@]}" -S . -B "$build" -DDS_KERNELS_ONLY=ON \
      -DCMAKE_BUILD_TYPE=Release ${DS_CMAKE_ARGS:-}; then
    echo "gpu-check: configure failed"
    exit 1
  fi
  echo "== build (-j $jobs)"
  if ! timeout 360 cmake --build "$build" -j "$jobs" --target DSCudaKernelTests; then
    echo "gpu-check: build failed"
    exit 1
  fi
  echo "== build took $((SECONDS - start)) s"
  # The NCCL tests are built when configure found NCCL (cmake/DSNccl.cmake).
  if grep -q '^DS_NCCL_LIBRARY:FILEPATH=/' "$build/CMakeCache.txt" 2>/dev/null &&
     grep -q '^DS_NCCL_INCLUDE_DIR:PATH=/' "$build/CMakeCache.txt" 2>/dev/null; then
    echo "== build DSNcclTests"
    timeout 180 cmake --build "$build" -j "$jobs" --target DSNcclTests ||
      echo "gpu-check: DSNcclTests build FAILED"
  fi
fi

echo "== DSCudaKernelTests"
test_start=$SECONDS
DS_CUDA_RESULTS=$rows timeout 240 "$kernel_tests" | tee "$results/.test-output"
rc=${PIPESTATUS[0]}
echo "== tests took $((SECONDS - test_start)) s, exit status $rc"

# The NCCL communicator on one rank, where its tests were built (NCCL found at configure).
nccl_status="not built (NCCL not found at configure)"
nccl_rc=0
if [[ -x $nccl_tests ]]; then
  echo "== DSNcclTests"
  timeout 120 "$nccl_tests" | tee "$results/.nccl-output"
  nccl_rc=${PIPESTATUS[0]}
  # GoogleTest exits 0 when tests skip, the stand-in harness 77; the skip message tells.
  if [[ $nccl_rc -ne 0 && $nccl_rc -ne 77 ]]; then
    nccl_status="FAILED (exit status $nccl_rc)"
  elif grep -q "no CUDA device:" "$results/.nccl-output"; then
    nccl_status="skipped (no CUDA device)"
    nccl_rc=0
  else
    nccl_status=passed
    nccl_rc=0
  fi
  rm -f "$results/.nccl-output"
  echo "== DSNcclTests: $nccl_status"
fi

status=passed
if grep -q "no CUDA device:" "$results/.test-output"; then
  status="skipped: $(grep -m1 -o 'no CUDA device:.*' "$results/.test-output")"
  code=2
elif [[ $rc -ne 0 ]]; then
  status="FAILED (exit status $rc)"
  code=1
elif [[ $nccl_rc -ne 0 ]]; then
  status="kernels passed, NCCL communicator $nccl_status"
  code=1
else
  code=0
fi
failed_rows=$(grep -c '| FAIL |' "$rows" || true)

# ds-run --backend cuda on the bundle's precompiled plans, and the training bench.
train_md=$results/gpu-train.md
rm -f "$train_md"
if [[ ! -f $bundle/bundle.json ]]; then
  train="skipped: no bundle at $bundle (scripts/gpu-bundle.sh $bundle on the development machine)"
elif [[ $code -eq 2 ]]; then
  train="skipped: no device"
elif (( (budget = 465 - (SECONDS - start)) < 60 )); then
  train="skipped: only ${budget} s left of the 8 minutes"
else
  echo "== training check and bench (bench/run_gpu_train.sh $bundle, ${budget} s budget)"
  DS_GPU_TRAIN_BUDGET_S=$budget bash bench/run_gpu_train.sh "$bundle" "$results"
  train_rc=$?
  if [[ $train_rc -eq 0 ]]; then
    train=passed
  else
    train="FAILED (exit status $train_rc)"
    [[ $code -eq 0 ]] && code=1
  fi
fi
echo "== training check: $train"
{
  echo "# CUDA kernel check"
  echo
  echo "$(date -u +%FT%TZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), GPU:" \
       "$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1 || echo '?')"
  echo
  echo "Result: $status; $(wc -l <"$rows") comparisons, $failed_rows over tolerance;" \
       "total $((SECONDS - start)) s."
  echo
  echo "NCCL communicator (DSNcclTests, one rank): $nccl_status."
  echo
  echo "Max error is max |gpu - cpu| / max |cpu| over the tensor (casts and quantization codes:"
  echo "the number of mismatching elements; quantization round trip: the worst |x - x'| as a"
  echo "fraction of its bound scale/2). Matmul rows compare cuBLASLt with a float64 reference GEMM;"
  echo "their shape is batch x m x k x n, tl/tr marking transpose_lhs/transpose_rhs."
  echo
  echo "| kernel | shape | dtype | max error | tolerance | pass |"
  echo "|---|---|---|---|---|---|"
  cat "$rows"
  echo
  echo "Training check (ds-run --backend cuda on the bundle's plans): $train."
  if [[ -f $train_md ]]; then
    echo
    cat "$train_md"
  fi
} >"$table"
rm -f "$rows" "$results/.test-output"
echo "== $status; results in $table"
exit $code
