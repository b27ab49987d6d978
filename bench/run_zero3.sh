#!/usr/bin/env bash
# ZeRO stage 3 against stage 0 on the same ranks: a 3.2M-parameter GPT (examples/gpt_sizes/
# make_gpt.py: 4 layers, width 256, context 64, byte vocabulary) trained on NP ranks with the same
# global batch, AdamW, fp32. Both plans run ROUNDS times, alternated; prints the median step times,
# their ratio (stage 3 ms / stage 0 ms: the price of partitioning the weights), each plan's
# predicted per-rank peak, and, from a trace of the stage-3 run, how much of the all_gather time
# compute hid (bench/zero3_overlap.py). The trace is left in OUT_DIR for chrome://tracing.
#
#   bash bench/run_zero3.sh      # needs build/bin/ds-opt and ds-run: ninja -C build ds-opt ds-run
#
# Knobs (environment): NP (ranks, default 2), STEPS (timed steps, default 20), WARMUP (default 3),
# ROUNDS (default 3), PREFETCH (stage3_prefetch_bucket_size, default 1000000), OUT_DIR.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${DS_BUILD:-$ROOT/build}
OUT=${OUT_DIR:-$ROOT/build-bench/zero3}
NP=${NP:-2} STEPS=${STEPS:-20} WARMUP=${WARMUP:-3} ROUNDS=${ROUNDS:-3} PREFETCH=${PREFETCH:-1000000}
PY=/usr/bin/python3
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mkdir -p "$OUT"

MICRO=2
$PY "$ROOT/examples/gpt_sizes/make_gpt.py" --layers 4 --width 256 --heads 4 --vocab 256 \
  --context 64 --batch $MICRO --init -o "$OUT/gpt.mlir"
for stage in 0 3; do
  $PY - "$OUT/stage$stage.json" "$stage" "$NP" "$MICRO" "$PREFETCH" <<'PY'
import json, sys
path, stage, ranks, micro, prefetch = sys.argv[1], *map(int, sys.argv[2:])
config = {
    "train_batch_size": ranks * micro,
    "train_micro_batch_size_per_gpu": micro,
    "gradient_clipping": 1.0,
    "optimizer": {"type": "AdamW", "params": {"lr": 3e-4, "weight_decay": 0.1}},
    "zero_optimization": {"stage": stage},
}
if stage == 3:
    config["zero_optimization"].update(stage3_param_persistence_threshold=0,
                                       stage3_prefetch_bucket_size=prefetch)
json.dump(config, open(path, "w"), indent=1)
PY
  "$BUILD/bin/ds-opt" "$OUT/gpt.mlir" --ds-config="$OUT/stage$stage.json" --ds-world-size="$NP" \
    --ds-memory-report=json -o "$OUT/stage$stage.dsplan" > "$OUT/stage$stage.memory.json"
done

median_ms() { # median step time after the warm-up, in ms
  $PY - "$1" "$WARMUP" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])][int(sys.argv[2]):]
print(f"{statistics.median(r['step_time_s'] for r in rows) * 1e3:.2f}")
PY
}
run() { # stage, extra ds-run flags
  local stage=$1; shift
  "$BUILD/bin/ds-run" "$OUT/stage$stage.dsplan" --np "$NP" --data "$ROOT/examples/gpt/tokens.bin" \
    --steps $((STEPS + WARMUP)) --log "$OUT/stage$stage.jsonl" "$@" > /dev/null
  median_ms "$OUT/stage$stage.jsonl"
}

echo "GPT 3.2M parameters (4 layers, width 256, context 64), $NP ranks, micro-batch $MICRO, fp32 AdamW"
s0=() s3=()
for round in $(seq "$ROUNDS"); do
  a=$(run 0) b=$(run 3)
  s0+=("$a") s3+=("$b")
  echo "round $round: stage 0 $a ms, stage 3 $b ms"
done
$PY - "${s0[*]}" "${s3[*]}" "$OUT" <<'PY'
import json, statistics, sys
s0 = statistics.median(map(float, sys.argv[1].split()))
s3 = statistics.median(map(float, sys.argv[2].split()))
peak = {s: json.load(open(f"{sys.argv[3]}/stage{s}.memory.json"))["per_rank"]["predicted_peak"]
        for s in (0, 3)}
print(f"median step: stage 0 {s0:.2f} ms, stage 3 {s3:.2f} ms, stage 3 / stage 0 = {s3 / s0:.2f}")
print(f"predicted peak per rank: stage 0 {peak[0] / 2**20:.1f} MiB, stage 3 {peak[3] / 2**20:.1f} MiB "
      f"({peak[3] / peak[0]:.2f}x)")
PY
echo "trace of the stage-3 run ($OUT/stage3.trace.json): all_gather time hidden behind compute"
"$BUILD/bin/ds-run" "$OUT/stage3.dsplan" --np "$NP" --data "$ROOT/examples/gpt/tokens.bin" \
  --steps 3 --trace "$OUT/stage3.trace.json" > /dev/null
$PY "$ROOT/bench/zero3_overlap.py" "$OUT/stage3.trace.json"
