#!/usr/bin/env bash
# CPU GEMM: OpenBLAS (cblas_sgemm) and oneDNN (dnnl_sgemm, matmul primitive) against PyTorch's
# torch.matmul on the shapes of bench/gemm/shapes.txt, all with the same thread count.
#
#   bash bench/run_gemm.sh            # THREADS=N to override nproc; OUT_DIR=... for the CSVs
#
# Builds bench/gemm standalone into build-bench/gemm (not part of the ds build), runs each library
# in its own process, PASSES times (default 3), then prints the markdown table of bench/RESULTS.md.
# About 3.5 minutes on 2 cores.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build-bench/gemm}
OUT=${OUT_DIR:-$BUILD/results}
THREADS=${THREADS:-$(nproc)}
PY=/usr/bin/python3 # Debian's interpreter: python3-torch is importable only from it
MIN_TIME=${MIN_TIME:-0.3}

cmake -S "$ROOT/bench/gemm" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C "$BUILD" >/dev/null
mkdir -p "$OUT"

# One thread count for everyone: oneDNN and PyTorch's intra-op pool follow OpenMP, gemm_bench sets
# OpenBLAS's pool explicitly, and PyTorch's OpenBLAS reads OMP_NUM_THREADS when it loads.
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are left exactly as the caller has them (ds's tests run that
# way); they are recorded below.
export OMP_NUM_THREADS=$THREADS

echo "## machine and environment"
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores online, threads used: $THREADS"
for v in OPENBLAS_CORETYPE OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS OMP_NUM_THREADS OMP_PROC_BIND \
         OMP_WAIT_POLICY DNNL_MAX_CPU_ISA; do
  echo "$v=${!v-<unset>}"
done
echo "packages: $(dpkg-query -W -f='${Package} ${Version}; ' libopenblas0-pthread libdnnl2 python3-torch 2>/dev/null)"
echo "torch build: $($PY -c 'import torch, re; c = torch.__config__.show(); print(", ".join(re.findall(r"(BLAS_INFO=\w+|LAPACK_INFO=\w+|USE_MKLDNN=\w+|USE_OPENMP=\w+)", c)))')"
echo "torch's libblas.so.3 -> $(readlink -f /lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || echo '?')"
# Which library torch.matmul (fp32) really calls: OpenBLAS announces its core with
# OPENBLAS_VERBOSE=2, oneDNN logs every primitive it runs with DNNL_VERBOSE=1.
probe=$(OPENBLAS_VERBOSE=2 DNNL_VERBOSE=1 "$PY" -c '
import torch
a = torch.rand(256, 256); b = torch.rand(8, 64, 64)
torch.matmul(a, a); torch.matmul(b, b)' 2>&1)
echo "torch fp32 matmul probe: OpenBLAS says '$(grep -m1 '^Core' <<<"$probe" || echo 'nothing')'," \
  "oneDNN primitives executed: $(grep -c 'verbose,exec' <<<"$probe" || true)"

# PASSES passes over every library and PyTorch, the order reversed on every other pass, so that a
# library's position in the sequence does not decide a column. Other sessions share this machine:
# each pass starts after a quiet 10 s and is redone (up to 4 tries) when other processes took more
# than MAX_OTHERS% (default 10) of the CPU during it; WAIT_QUIET=0 turns that off.
# shellcheck source=machine_load.sh
source "$ROOT/bench/machine_load.sh"
LIBS="openblas openblas_ompbatch dnnl_sgemm dnnl_matmul dnnl_matmul_packed"
PASSES=${PASSES:-3}
rm -f "$OUT"/*.csv
gemm_pass() {
  local pass=$1 order="$LIBS torch"
  if ((pass % 2 == 0)); then order=$(tr ' ' '\n' <<<"$order" | tac | tr '\n' ' '); fi
  for lib in $order; do
    if [[ $lib == torch ]]; then
      "$PY" "$ROOT/bench/gemm/torch_gemm.py" --shapes "$ROOT/bench/gemm/shapes.txt" \
        --threads "$THREADS" --min-time "$MIN_TIME" >"$OUT/torch.pass$pass.csv"
    else
      "$BUILD/gemm_bench" --lib "$lib" --shapes "$ROOT/bench/gemm/shapes.txt" --threads "$THREADS" \
        --min-time "$MIN_TIME" >"$OUT/$lib.pass$pass.csv"
    fi
  done
}
for pass in $(seq 1 "$PASSES"); do
  run_quiet gemm_pass "$pass"
done
head -qn1 "$OUT"/*.pass1.csv | sort -u

echo
echo "## GFLOP/s (median), ratio library/PyTorch in parentheses"
csvs=("$OUT"/torch.pass*.csv)
for lib in $LIBS; do csvs+=("$OUT/$lib".pass*.csv); done
"$PY" "$ROOT/bench/gemm/report.py" --shapes "$ROOT/bench/gemm/shapes.txt" "${csvs[@]}"
echo
echo "CSV files: $OUT"
