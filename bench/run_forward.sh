#!/usr/bin/env bash
# Whole forward pass: a GPT from examples/gpt_block/make_block.py compiled by ds-opt and run by
# ds-run, against the same architecture in PyTorch eager (bench/forward/torch_forward.py), same
# batch, same tokens, same thread count.
#
#   bash bench/run_forward.sh     # needs build/bin/ds-opt and ds-run:
#                                 #   ninja -C build -j2 ds-opt ds-run
#
# Knobs (environment): VOCAB CONTEXT WIDTH HEADS LAYERS BATCH (model, default 512 128 256 4 4 8),
# STEPS (per run, default 20), ROUNDS (ds/PyTorch runs alternated per environment, default 5),
# THREADS (default nproc), ENVS (default "default tuned"), DS_BUILD (default build), OUT_DIR.
#
# Environments (ENVS):
#   default  threading settings as they are, OMP_NUM_THREADS=THREADS only (what a user gets)
#   tuned    adds OMP_WAIT_POLICY=passive and OPENBLAS_THREAD_TIMEOUT=4, so that OpenMP's workers
#            and OpenBLAS's pthread pool stop spinning on the cores the other one needs. ds-run and
#            Debian's PyTorch (OpenMP intra-op pool + OpenBLAS pthread) both have that problem;
#            the setting is applied to both.
#   onednn   ds-run with cblas_sgemm replaced by oneDNN's dnnl_sgemm (bench/forward/
#            cblas_dnnl_shim.c, LD_PRELOAD): one OpenMP pool for GEMMs and ds's own kernels.
#            PyTorch runs as in "default".
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are left as the caller has them. About 3.5 minutes on 2 cores.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DS_BUILD=${DS_BUILD:-$ROOT/build}
OUT=${OUT_DIR:-$ROOT/build-bench/forward}
PY=/usr/bin/python3 # Debian's interpreter: python3-torch is importable only from it
VOCAB=${VOCAB:-512} CONTEXT=${CONTEXT:-128} WIDTH=${WIDTH:-256} HEADS=${HEADS:-4}
LAYERS=${LAYERS:-4} BATCH=${BATCH:-8}
STEPS=${STEPS:-20} ROUNDS=${ROUNDS:-5} THREADS=${THREADS:-$(nproc)} TRACE_STEPS=11
ENVS=${ENVS:-default tuned onednn}

for tool in ds-opt ds-run; do
  if [[ ! -x "$DS_BUILD/bin/$tool" ]]; then
    echo "run_forward.sh: $DS_BUILD/bin/$tool is missing; build it: ninja -C $DS_BUILD -j2 ds-opt ds-run" >&2
    exit 1
  fi
done
mkdir -p "$OUT"
rm -f "$OUT"/ds_*.jsonl "$OUT"/torch_*.jsonl "$OUT"/*.trace.json "$OUT"/*.prof.json

MODEL_ARGS=(--vocab "$VOCAB" --context "$CONTEXT" --width "$WIDTH" --heads "$HEADS"
            --layers "$LAYERS" --batch "$BATCH")
"$PY" "$ROOT/examples/gpt_block/make_block.py" "${MODEL_ARGS[@]}" -o "$OUT/model.mlir"
"$DS_BUILD/bin/ds-opt" "$OUT/model.mlir" --ds-world-size=1 -o "$OUT/model.dsplan"
# Random token ids, enough for every step without wrapping.
"$PY" -c "import numpy as np, sys
n = int(sys.argv[2]) * int(sys.argv[3]) * int(sys.argv[4]) + 1
np.random.default_rng(0).integers(0, int(sys.argv[1]), size=n, dtype=np.uint16).tofile(sys.argv[5])" \
  "$VOCAB" "$BATCH" "$CONTEXT" "$STEPS" "$OUT/tokens.bin"

# ds-run with oneDNN as its GEMM: cblas_sgemm replaced through LD_PRELOAD (no runtime change).
cc -O2 -shared -fPIC "$ROOT/bench/forward/cblas_dnnl_shim.c" -o "$OUT/libcblas_dnnl_shim.so" -ldnnl

env_vars() { # env(1) arguments of environment $1 for $2 (ds or torch)
  case "$1" in
  default) echo "OMP_NUM_THREADS=$THREADS" ;;
  tuned) echo "OMP_NUM_THREADS=$THREADS OMP_WAIT_POLICY=passive OPENBLAS_THREAD_TIMEOUT=4" ;;
  onednn) # PyTorch stays as in "default": the shim is ds's candidate, not the baseline's
    if [[ $2 == ds ]]; then
      echo "OMP_NUM_THREADS=$THREADS LD_PRELOAD=$OUT/libcblas_dnnl_shim.so"
    else
      echo "OMP_NUM_THREADS=$THREADS"
    fi ;;
  *) echo "run_forward.sh: unknown environment '$1'" >&2; exit 1 ;;
  esac
}

echo "## machine and environment"
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores online, threads used: $THREADS"
for v in OPENBLAS_CORETYPE OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS OMP_WAIT_POLICY; do
  echo "$v=${!v-<unset>}"
done
for e in $ENVS; do
  echo "environment $e: ds: $(env_vars "$e" ds); PyTorch: $(env_vars "$e" torch)"
done

# Rounds outside, environments inside: a noisy minute on the machine hits every column alike.
# Other sessions share this machine: each round starts after a quiet 10 s and is redone (up to 4
# tries) when other processes took more than MAX_OTHERS% (default 10) of the CPU during it;
# WAIT_QUIET=0 turns that off.
# shellcheck source=machine_load.sh
source "$ROOT/bench/machine_load.sh"
forward_round() {
  local r=$1 e
  for e in $ENVS; do
    read -r -a ds_vars <<<"$(env_vars "$e" ds)"
    read -r -a torch_vars <<<"$(env_vars "$e" torch)"
    env "${ds_vars[@]}" "$DS_BUILD/bin/ds-run" "$OUT/model.dsplan" --data "$OUT/tokens.bin" \
      --steps "$STEPS" --log "$OUT/ds_${e}_r$r.jsonl" >/dev/null
    env "${torch_vars[@]}" "$PY" "$ROOT/bench/forward/torch_forward.py" "${MODEL_ARGS[@]}" \
      --data "$OUT/tokens.bin" --steps "$STEPS" --threads "$THREADS" --log "$OUT/torch_${e}_r$r.jsonl"
  done
}
# Where the time goes: separate, shorter runs with ds-run's --trace and torch's profiler on.
forward_profiles() {
  local e
  for e in $ENVS; do
    read -r -a ds_vars <<<"$(env_vars "$e" ds)"
    read -r -a torch_vars <<<"$(env_vars "$e" torch)"
    env "${ds_vars[@]}" "$DS_BUILD/bin/ds-run" "$OUT/model.dsplan" --data "$OUT/tokens.bin" \
      --steps "$TRACE_STEPS" --trace "$OUT/ds_$e.trace.json" >/dev/null
    env "${torch_vars[@]}" "$PY" "$ROOT/bench/forward/torch_forward.py" "${MODEL_ARGS[@]}" \
      --data "$OUT/tokens.bin" --steps "$TRACE_STEPS" --threads "$THREADS" --log /dev/null \
      --profile "$OUT/torch_$e.prof.json"
  done
}
for r in $(seq 1 "$ROUNDS"); do
  run_quiet forward_round "$r"
done
run_quiet forward_profiles

echo
"$PY" "$ROOT/bench/forward/report.py" "$OUT" "${MODEL_ARGS[@]}" --envs "${ENVS// /,}" \
  --trace-steps "$TRACE_STEPS"
echo "Files: $OUT"
