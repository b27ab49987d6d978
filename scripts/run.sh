#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine: install, build, then compile the example GPT that
# PyTorch exported to ONNX into a 2-rank plan, run its forward pass on 2 MPI ranks, and compare
# the logits with PyTorch's. (Training runs come with the training issue.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/build.sh
mkdir -p build/example
build/bin/ds-opt examples/gpt/gpt_opset17.onnx --input-shape=tokens:2x32 --ds-world-size=2 -o build/example/gpt.dsplan
build/bin/ds-run build/example/gpt.dsplan --np 2 --input tokens=examples/gpt/tokens.npy \
  --output-dir build/example/out --log build/example/run.jsonl
/usr/bin/python3 test/Integration/compare_npy.py --rtol 1e-4 --scale-atol 1e-4 \
  build/example/out/logits.rank0.npy=examples/gpt/logits.npy \
  build/example/out/logits.rank1.npy=examples/gpt/logits.npy
