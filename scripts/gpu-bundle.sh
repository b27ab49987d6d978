#!/usr/bin/env bash
# Usage: scripts/gpu-bundle.sh OUT_DIR      (runs on the development machine, not the GPU one)
#
# Packs what scripts/gpu-check.sh needs on a GPU machine that has CUDA, cmake and PyTorch but none
# of our Debian packages and cannot install any: ds-run with the shared libraries it links, and
# plans compiled here by ds-opt (the GPU machine has no MLIR). OUT_DIR (default for gpu-check:
# gpu-bundle/, git-ignored) then holds
#   bin/ds-run                  from $DS_BUILD/bin (default build/)
#   bin/DSCudaKernelTests, bin/DSNcclTests   the GPU tests of the full build, stripped, when built:
#                               gpu-check.sh runs them instead of building the kernels-only tree
#   lib.tar.gz                  lib/, packed (gzip: 46 MiB of libraries travel as about 14)
#   lib/                        every library `ldd ds-run` lists except the C/C++ runtime every
#                               Linux has (libc, libm, libstdc++, libgcc_s, ld-linux, libpthread,
#                               libdl, librt) and CUDA's own (libcuda, libcudart, libcublas*,
#                               libnccl*: the GPU machine has them, NCCL from PyTorch's pip package)
#   lib-compat/                 libstdc++ and libgcc_s, used only where the GPU machine's are older
#   plans/gpt.dsplan            the example GPT (examples/gpt), fp32, examples/gpt/ds_config.json
#   plans/gpt_zero3.dsplan      the same with ZeRO stage 3 at world size 1 (gpt_zero3.json)
#   plans/gpt1.3b.dsplan        make_gpt.py --preset 1.3b --init, context $GPT13B_CONTEXT (1024),
#                               micro-batch $GPT13B_BATCH (8), bf16, AdamW (gpt1.3b.json), with
#                               its --ds-memory-report (gpt1.3b.memory.txt / .json)
#   data/gpt_tokens.bin         examples/gpt/tokens.bin
#   data/random_50257.bin       random uint16 tokens below 50257 (ds-run --data's format)
#   expected/gpt_cpu.jsonl      ds-run's 20-step run of plans/gpt.dsplan on the CPU backend here
#   bundle.json                 what the bench needs to know (model sizes, Psi, batch, files)
# The CPU run doubles as the check that the carried libraries suffice: it runs the copied ds-run
# under `env -i` with only LD_LIBRARY_PATH=OUT_DIR/lib (one rank: no mpirun, no MPI plugins), and
# `ldd` must resolve every non-basic library inside OUT_DIR/lib. Fails if the bundle exceeds 60 MiB
# (the GPU machine takes 64 MiB with the working tree) or the 1.3B plan's predicted peak exceeds
# $GPT13B_MAX_PEAK_GB (60) GB.
set -euo pipefail
if [[ $# -ne 1 ]]; then
  echo "usage: $0 OUT_DIR" >&2
  exit 1
fi
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${DS_BUILD:-$ROOT/build}
mkdir -p "$1"
OUT=$(cd "$1" && pwd)
CONTEXT=${GPT13B_CONTEXT:-1024}
BATCH=${GPT13B_BATCH:-8}
MAX_PEAK_GB=${GPT13B_MAX_PEAK_GB:-60}
CPU_STEPS=20
PY=python3 # the generators and the JSON edits need only the standard library
for tool in ds-run ds-opt; do
  [[ -x $BUILD/bin/$tool ]] || { echo "gpu-bundle: $BUILD/bin/$tool missing (ninja -C build $tool)" >&2; exit 1; }
done
DSOPT=$BUILD/bin/ds-opt

rm -rf "${OUT:?}"/{bin,lib,lib-compat,plans,data,expected,bundle.json}
mkdir -p "$OUT"/{bin,lib,lib-compat,plans,data,expected}
rm -f "$OUT/lib.tar.gz"
cp "$BUILD/bin/ds-run" "$OUT/bin/"
for test in DSCudaKernelTests DSNcclTests; do
  if [[ -x $BUILD/bin/$test ]]; then
    cp "$BUILD/bin/$test" "$OUT/bin/" && strip "$OUT/bin/$test"
  fi
done

# The basics every Linux has, and CUDA's libraries the GPU machine brings itself.
skip='^(linux-vdso|ld-linux|libc|libm|libstdc\+\+|libgcc_s|libpthread|libdl|librt|libcuda|libcudart|libcublas[A-Za-z]*|libnccl)\.so'
echo "== libraries (ldd $BUILD/bin/ds-run)"
while read -r name path; do
  if [[ $name =~ $skip ]]; then
    echo "   skip  $name"
  elif [[ $path == "not" || ! -e $path ]]; then
    echo "gpu-bundle: ldd cannot resolve $name" >&2
    exit 1
  else
    cp -L "$path" "$OUT/lib/$name"
    echo "   carry $name ($(du -h "$OUT/lib/$name" | cut -f1))"
  fi
done < <(ldd "$BUILD/bin/ds-run" | awk '/=>/ {print $1, $3}')
for name in libstdc++.so.6 libgcc_s.so.1; do
  path=$(ldd "$BUILD/bin/ds-run" | awk -v n="$name" '$1 == n {print $3}')
  [[ -n $path ]] && cp -L "$path" "$OUT/lib-compat/$name"
done

# Every library the carried ds-run loads must come from OUT/lib or be a basic one.
echo "== ldd audit with LD_LIBRARY_PATH=$OUT/lib"
audit=$(env -i LD_LIBRARY_PATH="$OUT/lib" ldd "$OUT/bin/ds-run")
bad=$(echo "$audit" | awk '/=>/ {print $1, $3}' | while read -r name path; do
  [[ $name =~ $skip || $path == "$OUT/lib/"* ]] || echo "$name => $path"
done)
if [[ -n $bad ]] || grep -q "not found" <<<"$audit"; then
  echo "gpu-bundle: libraries resolved outside the bundle:" >&2
  echo "$bad" >&2
  grep "not found" <<<"$audit" >&2 || true
  exit 1
fi
echo "   every non-basic library resolves inside $OUT/lib"

echo "== plans"
cp "$ROOT/examples/gpt/tokens.bin" "$OUT/data/gpt_tokens.bin"
cp "$ROOT/examples/gpt/ds_config.json" "$OUT/plans/gpt.json"
"$DSOPT" "$ROOT/examples/gpt/gpt_opset17.onnx" --ds-config="$OUT/plans/gpt.json" --ds-world-size=1 \
  -o "$OUT/plans/gpt.dsplan"
$PY - "$OUT/plans/gpt.json" "$OUT/plans/gpt_zero3.json" <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1]))
cfg.setdefault("zero_optimization", {})["stage"] = 3
json.dump(cfg, open(sys.argv[2], "w"), indent=2)
PY
"$DSOPT" "$ROOT/examples/gpt/gpt_opset17.onnx" --ds-config="$OUT/plans/gpt_zero3.json" \
  --ds-world-size=1 -o "$OUT/plans/gpt_zero3.dsplan"

# 1.3B: the step is one micro-batch (no accumulation), so a step's tokens are BATCH x CONTEXT.
$PY "$ROOT/examples/gpt_sizes/make_gpt.py" --preset 1.3b --init --context "$CONTEXT" --batch "$BATCH" \
  -o "$OUT/plans/gpt1.3b.mlir"
cat >"$OUT/plans/gpt1.3b.json" <<EOF
{
  "train_batch_size": $BATCH,
  "train_micro_batch_size_per_gpu": $BATCH,
  "gradient_clipping": 1.0,
  "optimizer": {"type": "AdamW", "params": {"lr": 0.0002, "betas": [0.9, 0.95], "eps": 1e-08, "weight_decay": 0.1}},
  "bf16": {"enabled": true}
}
EOF
"$DSOPT" "$OUT/plans/gpt1.3b.mlir" --ds-config="$OUT/plans/gpt1.3b.json" --ds-world-size=1 \
  --ds-memory-report >"$OUT/plans/gpt1.3b.memory.txt"
"$DSOPT" "$OUT/plans/gpt1.3b.mlir" --ds-config="$OUT/plans/gpt1.3b.json" --ds-world-size=1 \
  --ds-memory-report=json >"$OUT/plans/gpt1.3b.memory.json"
t0=$(date +%s.%N)
"$DSOPT" "$OUT/plans/gpt1.3b.mlir" --ds-config="$OUT/plans/gpt1.3b.json" --ds-world-size=1 \
  -o "$OUT/plans/gpt1.3b.dsplan"
compile_s=$(echo "$(date +%s.%N) - $t0" | bc)
rm "$OUT/plans/gpt1.3b.mlir" # make_gpt.py regenerates it; the plan is what runs

$PY - "$OUT" "$CONTEXT" "$BATCH" "$MAX_PEAK_GB" "$compile_s" "$CPU_STEPS" \
    "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')" <<'PY'
import array, json, os, random, sys
out, context, batch, max_gb, compile_s, cpu_steps, commit = sys.argv[1:]
context, batch, max_gb, cpu_steps = int(context), int(batch), float(max_gb), int(cpu_steps)
layers, width, heads, vocab = 24, 2048, 16, 50257  # make_gpt.py's preset 1.3b
rng = random.Random(1234)
# 32 steps' worth before ds-run wraps around; the step time does not depend on the values.
tokens = array.array("H", (rng.randrange(vocab) for _ in range(32 * batch * context + 1)))
assert tokens.itemsize == 2
with open(os.path.join(out, "data", f"random_{vocab}.bin"), "wb") as f:
    tokens.tofile(f)  # little-endian on x86, as ds-run reads it
report = json.load(open(os.path.join(out, "plans", "gpt1.3b.memory.json")))
peak = report["per_rank"]["predicted_peak"]
psi = vocab * width + context * width + layers * (12 * width * width + 13 * width) + 2 * width
assert psi == report["trainable_parameters"], (psi, report["trainable_parameters"])
manifest = {
    "commit": commit,
    "gpt": {"plan": "plans/gpt.dsplan", "config": "plans/gpt.json", "data": "data/gpt_tokens.bin",
            "cpu_curve": "expected/gpt_cpu.jsonl", "steps": cpu_steps},
    "gpt_zero3": {"plan": "plans/gpt_zero3.dsplan", "config": "plans/gpt_zero3.json",
                  "data": "data/gpt_tokens.bin"},
    "gpt1.3b": {"plan": "plans/gpt1.3b.dsplan", "config": "plans/gpt1.3b.json",
                "data": f"data/random_{vocab}.bin", "layers": layers, "width": width,
                "heads": heads, "vocab": vocab, "context": context, "micro_batch": batch,
                "psi": psi, "tokens_per_step": batch * context,
                "predicted_peak_bytes": peak, "compile_s": float(compile_s),
                "plan_bytes": os.path.getsize(os.path.join(out, "plans", "gpt1.3b.dsplan"))},
}
json.dump(manifest, open(os.path.join(out, "bundle.json"), "w"), indent=2)
print(f"   1.3B: Psi {psi}, micro-batch {batch} x context {context}, plan "
      f"{manifest['gpt1.3b']['plan_bytes'] / 2**20:.2f} MiB compiled in {float(compile_s):.2f} s, "
      f"predicted peak {peak / 1e9:.2f} GB ({peak / 2**30:.2f} GiB)")
if peak > max_gb * 1e9:
    sys.exit(f"gpu-bundle: the 1.3B plan's predicted peak {peak / 1e9:.1f} GB exceeds {max_gb} GB: "
             f"lower GPT13B_BATCH")
PY

echo "== CPU curve: the carried ds-run under env -i, $CPU_STEPS steps of plans/gpt.dsplan"
(cd "$OUT" && env -i LD_LIBRARY_PATH="$OUT/lib" OMP_NUM_THREADS="$(nproc)" bin/ds-run \
  plans/gpt.dsplan --backend cpu --data data/gpt_tokens.bin --steps "$CPU_STEPS" \
  --log expected/gpt_cpu.jsonl | tail -2)
[[ $(wc -l <"$OUT/expected/gpt_cpu.jsonl") -eq $CPU_STEPS ]] ||
  { echo "gpu-bundle: the CPU run did not log $CPU_STEPS steps" >&2; exit 1; }

# The test binaries need nothing the bundle lacks either (cuBLASLt and NCCL come from the GPU
# machine).
for test in DSCudaKernelTests DSNcclTests; do
  [[ -x $OUT/bin/$test ]] || continue
  missing=$(env -i LD_LIBRARY_PATH="$OUT/lib" ldd "$OUT/bin/$test" | awk '/not found/ {print $1}' |
            grep -Ev "$skip" || true)
  [[ -z $missing ]] || { echo "gpu-bundle: $test needs $missing, not in the bundle" >&2; exit 1; }
done
tar -czf "$OUT/lib.tar.gz" -C "$OUT" lib && rm -rf "$OUT/lib"
bytes=$(du -sb "$OUT" | cut -f1)
echo "== bundle $OUT: $(echo "scale=1; $bytes / 1048576" | bc) MiB"
if ((bytes > 60 * 1048576)); then
  echo "gpu-bundle: $OUT is over 60 MiB" >&2
  exit 1
fi
