#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine: install, build, compile the example GPT that
# PyTorch exported to ONNX with its DeepSpeed config (examples/gpt/ds_config.json) into a 4-rank
# data-parallel training plan, train it for 20 steps on 4 CPU ranks, and check the loss curve
# against PyTorch's (examples/gpt/expected/ds_config.json, within 1e-4 relative at every step).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/build.sh
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 # mpirun refuses root otherwise
out=build/example
rm -rf "$out/checkpoints" # a finished step is never overwritten: start from an empty DIR
mkdir -p "$out"
build/bin/ds-opt examples/gpt/gpt_opset17.onnx --ds-config=examples/gpt/ds_config.json \
  --ds-world-size=4 -o "$out/gpt.dsplan"
# --np 4 launches the ranks through mpirun (with --oversubscribe: more ranks than cores is fine).
build/bin/ds-run "$out/gpt.dsplan" --np 4 --data examples/gpt/tokens.bin --steps 20 \
  --log "$out/run.jsonl" --save "$out/checkpoints" --save-interval 10
/usr/bin/python3 test/Integration/compare_curves.py "$out/run.jsonl" \
  examples/gpt/expected/ds_config.json --rtol 1e-4
