#!/usr/bin/env bash
# Training step time: ds-run on the example GPT (examples/gpt, compiled with its ds_config.json:
# global batch 8, micro-batch 2, AdamW, clipping) against PyTorch's own training step on the same
# model, batch, micro-batching and thread count (bench/torch_train_step.py), alternated ROUNDS
# times in one run. Prints each round and the ratio of medians (PyTorch ms / ds ms: above 1 means
# ds is faster).
#
#   bash bench/run_train_step.sh      # needs build/bin/ds-opt and ds-run: ninja -C build ds-opt ds-run
#
# Knobs (environment): STEPS (timed steps per run, default 40), WARMUP (default 5), ROUNDS
# (default 3), THREADS (default nproc), CONFIG (default examples/gpt/ds_config.json), OUT_DIR.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${DS_BUILD:-$ROOT/build}
OUT=${OUT_DIR:-$ROOT/build-bench/train_step}
CONFIG=${CONFIG:-$ROOT/examples/gpt/ds_config.json}
STEPS=${STEPS:-40} WARMUP=${WARMUP:-5} ROUNDS=${ROUNDS:-3} THREADS=${THREADS:-$(nproc)}
PY=/usr/bin/python3 # Debian's interpreter: python3-torch is importable only from it
mkdir -p "$OUT"

"$BUILD/bin/ds-opt" "$ROOT/examples/gpt/gpt_opset17.onnx" --ds-config="$CONFIG" -o "$OUT/step.dsplan"
read -r BATCH MICRO < <($PY -c "import json,sys; c=json.load(open(sys.argv[1])); \
print(c['train_batch_size'], c['train_micro_batch_size_per_gpu'])" "$CONFIG")

ds_ms() { # median step time of steps after the warm-up, in ms
  OMP_NUM_THREADS=$THREADS "$BUILD/bin/ds-run" "$OUT/step.dsplan" --data "$ROOT/examples/gpt/tokens.bin" \
    --steps $((STEPS + WARMUP)) --log "$OUT/ds.jsonl" > /dev/null
  $PY - "$OUT/ds.jsonl" "$WARMUP" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])][int(sys.argv[2]):]
print(f"{statistics.median(r['step_time_s'] for r in rows) * 1e3:.3f}")
PY
}
torch_ms() {
  OMP_NUM_THREADS=$THREADS $PY "$ROOT/bench/torch_train_step.py" --batch "$BATCH" --micro "$MICRO" \
    --steps "$STEPS" --warmup "$WARMUP" --threads "$THREADS" |
    $PY -c "import json,sys; print(f\"{json.loads(sys.stdin.read())['ms_per_step']:.3f}\")"
}

echo "example GPT (examples/gpt), batch $BATCH in micro-batches of $MICRO, $THREADS threads, $STEPS timed steps"
ds_all=() torch_all=()
for r in $(seq "$ROUNDS"); do
  d=$(ds_ms); t=$(torch_ms)
  ds_all+=("$d"); torch_all+=("$t")
  echo "round $r: ds-run $d ms/step, PyTorch $t ms/step"
done
$PY - "${ds_all[*]}" "${torch_all[*]}" <<'PY'
import statistics, sys
ds = statistics.median(map(float, sys.argv[1].split()))
torch = statistics.median(map(float, sys.argv[2].split()))
print(f"median: ds-run {ds:.2f} ms/step, PyTorch {torch:.2f} ms/step, "
      f"ratio PyTorch/ds = {torch / ds:.2f}x")
PY
