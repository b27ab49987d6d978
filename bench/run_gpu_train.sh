#!/usr/bin/env bash
# Usage: bench/run_gpu_train.sh BUNDLE RESULTS_DIR      (on the GPU machine; scripts/gpu-check.sh calls it)
#
# ds-run --backend cuda on the plans scripts/gpu-bundle.sh packed in BUNDLE (run that on the
# development machine first), in three parts, each bounded by `timeout` within one time budget:
#   1. the example GPT (fp32), 20 steps: every step's loss against the CPU backend's curve in the
#      bundle, max relative error <= 1e-4;
#   2. the same model with ZeRO stage 3 at world size 1, 5 steps: exit 0 and finite losses, and its
#      relative error against the stage-0 CPU curve (reported; the pass is exit 0 + finite);
#   3. the bench: the 1.3B GPT bf16 plan for WARMUP + STEPS steps (median step time of the timed
#      ones, tokens/s, MFU against the bf16 GEMM peak torch measures in this run, peak memory),
#      one more run of 2 steps with --trace for the per-op breakdown (bench/ds_trace_breakdown.py,
#      the first step skipped), then PyTorch eager on the same model, batch, context and optimizer
#      (bench/torch_gpu_train_step.py, math attention as ds computes it; then sdpa if time is left).
# Writes RESULTS_DIR/gpu-train.md (the tables gpu-check.sh appends to results.md) and the raw logs,
# JSON and traces next to it. A part that fails is recorded as FAIL with its reason; the rest runs.
# Exit status: 0 when parts 1 and 2 passed, 1 otherwise (the bench's numbers never fail it).
# Environment: DS_GPU_TRAIN_BUDGET_S (total seconds, default 330), DS_GPU_BACKEND (cuda; cpu to
# dry-run the script without a GPU), TORCH_DEVICE (cuda), PYTHON (python3: the one with PyTorch),
# STEPS (5), WARMUP (3).
set -uo pipefail
if [[ $# -ne 2 ]]; then
  echo "usage: $0 BUNDLE RESULTS_DIR" >&2
  exit 1
fi
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUNDLE=$(cd "$1" && pwd) || exit 1
mkdir -p "$2" && OUT=$(cd "$2" && pwd) || exit 1
BACKEND=${DS_GPU_BACKEND:-cuda}
TORCH_DEVICE=${TORCH_DEVICE:-cuda}
PY=${PYTHON:-python3}
STEPS=${STEPS:-5} WARMUP=${WARMUP:-3}
deadline=$((SECONDS + ${DS_GPU_TRAIN_BUDGET_S:-330}))
md=$OUT/gpu-train.md
checks=$OUT/.train-checks
: >"$checks"
failed=0

# Seconds a part may take: its own cap, or what is left of the budget.
limit() {
  local left=$((deadline - SECONDS))
  ((left < $1)) && echo $((left > 0 ? left : 1)) || echo "$1"
}
check_row() { echo "| $1 | $2 | $3 |" >>"$checks"; echo "== $1: $2 ($3)"; }
why() { # the last meaningful line of a log, for a FAIL row
  local reason
  reason=$(grep -v '^\s*$' "$1" 2>/dev/null | tail -1 | tr '|' '/' | cut -c1-200)
  [[ $2 -eq 124 || $2 -eq 137 ]] && reason="timed out after ${3}s; $reason"
  echo "exit $2: ${reason:-no output}"
}

# Libraries: the bundle's (packed by gpu-bundle.sh; gpu-check.sh may have unpacked them), NCCL
# from PyTorch's nvidia-nccl pip package, the CUDA toolkit's.
if [[ -f $BUNDLE/lib.tar.gz && ! -d $BUNDLE/lib ]]; then
  tar -xzf "$BUNDLE/lib.tar.gz" -C "$BUNDLE" || { echo "cannot unpack $BUNDLE/lib.tar.gz" >&2; exit 1; }
fi
nccl_dir=$($PY -c "import nvidia.nccl, os; print(os.path.join(list(nvidia.nccl.__path__)[0], 'lib'))" \
  2>/dev/null || true)
ld=$BUNDLE/lib
[[ -n $nccl_dir && -d $nccl_dir ]] && ld=$ld:$nccl_dir
[[ -d /usr/local/cuda/lib64 ]] && ld=$ld:/usr/local/cuda/lib64
export LD_LIBRARY_PATH=$ld${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
echo "== LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
DSRUN=$BUNDLE/bin/ds-run
if ! "$DSRUN" --help >"$OUT/ds-run-probe.log" 2>&1; then
  # Older libstdc++ than the development machine's: use the one the bundle carries for this.
  export LD_LIBRARY_PATH=$LD_LIBRARY_PATH:$BUNDLE/lib-compat
  grep -q GLIBCXX "$OUT/ds-run-probe.log" && export LD_LIBRARY_PATH=$BUNDLE/lib-compat:$LD_LIBRARY_PATH
fi
dsrun_ok=1
if ! "$DSRUN" --help >"$OUT/ds-run-probe.log" 2>&1; then
  dsrun_ok=0
  echo "== ds-run does not start: $(head -3 "$OUT/ds-run-probe.log")"
fi
manifest() { python3 -c "import json,sys; d=json.load(open('$BUNDLE/bundle.json')); print(eval(sys.argv[1]))" "$1"; }

# Max relative error of a run's losses against a reference curve: "N_steps max_rel finite".
compare() {
  python3 - "$1" "$2" <<'PY'
import json, math, sys
run = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ref = {r["step"]: r["loss"] for r in (json.loads(l) for l in open(sys.argv[2]) if l.strip())}
finite = all(r.get("loss") is not None and math.isfinite(r["loss"]) for r in run)
errs = [abs(r["loss"] - ref[r["step"]]) / abs(ref[r["step"]]) for r in run
        if r.get("loss") is not None and r["step"] in ref and math.isfinite(r["loss"])]
print(len(run), f"{max(errs):.3g}" if errs else "nan", "finite" if finite else "nonfinite")
PY
}

# --- 1. the example GPT, 20 steps, against the CPU curve -------------------------------------
name="example GPT fp32, 20 steps, $BACKEND vs CPU curve"
if ((dsrun_ok)); then
  t=$(limit 60)
  (cd "$BUNDLE" && timeout "$t" "$DSRUN" plans/gpt.dsplan --backend "$BACKEND" --data data/gpt_tokens.bin \
    --steps 20 --log "$OUT/gpt_$BACKEND.jsonl") >"$OUT/gpt_$BACKEND.log" 2>&1
  rc=$?
  if ((rc != 0)); then
    check_row "$name" FAIL "$(why "$OUT/gpt_$BACKEND.log" $rc "$t")"; failed=1
  else
    read -r n err fin < <(compare "$OUT/gpt_$BACKEND.jsonl" "$BUNDLE/expected/gpt_cpu.jsonl")
    if [[ $n -eq 20 && $fin == finite ]] && python3 -c "import sys; sys.exit(not float('$err') <= 1e-4)"; then
      check_row "$name" PASS "max relative loss error $err over $n steps (tolerance 1e-4)"
    else
      check_row "$name" FAIL "max relative loss error $err over $n steps, losses $fin (tolerance 1e-4)"
      failed=1
    fi
  fi
else
  check_row "$name" FAIL "ds-run does not start: $(head -1 "$OUT/ds-run-probe.log" | tr '|' '/')"; failed=1
fi

# --- 1b. every kernel of one step against the CPU's (ds-run --check-kernels) --------------------
# Informative (it does not fail the script): where step 1's losses disagree, this names the first
# instruction whose kernel does.
name="example GPT fp32, 1 step, every kernel vs its CPU twin (--check-kernels)"
if ((dsrun_ok)); then
  t=$(limit 60)
  (cd "$BUNDLE" && timeout "$t" "$DSRUN" plans/gpt.dsplan --backend "$BACKEND" --data data/gpt_tokens.bin \
    --steps 1 --check-kernels) >"$OUT/gpt_check_kernels.log" 2>&1
  rc=$?
  summary=$(grep -m1 'kernel check: [0-9]* instructions' "$OUT/gpt_check_kernels.log" | sed 's/^ds-run: rank 0: //' | tr '|' '/')
  first=$(grep -m1 'over tolerance [0-9]' "$OUT/gpt_check_kernels.log" | sed 's/^ds-run: rank 0: kernel check: //' | tr '|' '/')
  if ((rc != 0)); then
    check_row "$name" FAIL "$(why "$OUT/gpt_check_kernels.log" $rc "$t")"
  elif [[ $summary == *" 0 over tolerance"* ]]; then
    check_row "$name" PASS "$summary"
  else
    check_row "$name" "DIFFERS" "$summary; first: ${first:-?} (all in gpt_check_kernels.log)"
  fi
fi

# --- 2. ZeRO-3 at world size 1 -----------------------------------------------------------------
name="example GPT ZeRO-3, world size 1, 5 steps, $BACKEND"
if ((dsrun_ok)); then
  t=$(limit 60)
  (cd "$BUNDLE" && timeout "$t" "$DSRUN" plans/gpt_zero3.dsplan --backend "$BACKEND" \
    --data data/gpt_tokens.bin --steps 5 --log "$OUT/gpt_zero3_$BACKEND.jsonl") \
    >"$OUT/gpt_zero3_$BACKEND.log" 2>&1
  rc=$?
  if ((rc != 0)); then
    check_row "$name" FAIL "$(why "$OUT/gpt_zero3_$BACKEND.log" $rc "$t")"; failed=1
  else
    read -r n err fin < <(compare "$OUT/gpt_zero3_$BACKEND.jsonl" "$BUNDLE/expected/gpt_cpu.jsonl")
    if [[ $n -eq 5 && $fin == finite ]]; then
      check_row "$name" PASS "exit 0, $n finite losses; max relative error vs the stage-0 CPU curve $err"
    else
      check_row "$name" FAIL "$n steps logged, losses $fin; max relative error vs stage-0 CPU $err"
      failed=1
    fi
  fi
else
  check_row "$name" FAIL "ds-run does not start"; failed=1
fi

# --- 3. the bench: GPT 1.3B bf16 -----------------------------------------------------------------
read -r layers width heads vocab context batch psi tokens predicted < <(manifest \
  "' '.join(str(d['gpt1.3b'][k]) for k in ('layers','width','heads','vocab','context','micro_batch','psi','tokens_per_step','predicted_peak_bytes'))")
echo "== bench: GPT $layers layers x $width, $heads heads, vocab $vocab, micro-batch $batch x context $context"

# Highest GPU memory in use while a command runs (nvidia-smi, CUDA context included), in MiB.
smi_pid=
smi_start() {
  : >"$OUT/$1.smi"
  command -v nvidia-smi >/dev/null || return 0
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 250 >"$OUT/$1.smi" 2>/dev/null &
  smi_pid=$!
}
smi_stop() {
  [[ -n $smi_pid ]] && kill "$smi_pid" 2>/dev/null && wait "$smi_pid" 2>/dev/null
  smi_pid=
  sort -n "$OUT/$1.smi" 2>/dev/null | tail -1
}

ds_status="not run" ds_smi=
if ((dsrun_ok)); then
  t=$(limit 150)
  smi_start ds13b
  (cd "$BUNDLE" && timeout "$t" "$DSRUN" plans/gpt1.3b.dsplan --backend "$BACKEND" \
    --data "$(manifest "d['gpt1.3b']['data']")" --steps $((WARMUP + STEPS)) --log "$OUT/ds13b.jsonl") \
    >"$OUT/ds13b.log" 2>&1
  rc=$?
  ds_smi=$(smi_stop ds13b)
  if ((rc == 0)); then ds_status=ok; else ds_status="FAIL ($(why "$OUT/ds13b.log" $rc "$t"))"; fi
  echo "== ds-run 1.3B: $ds_status"
  t=$(limit 90)
  if ((t >= 20)) && [[ $ds_status == ok ]]; then
    (cd "$BUNDLE" && timeout "$t" "$DSRUN" plans/gpt1.3b.dsplan --backend "$BACKEND" \
      --data "$(manifest "d['gpt1.3b']['data']")" --steps 2 --trace "$OUT/ds13b_trace.json") \
      >"$OUT/ds13b_trace.log" 2>&1
    rc=$?
    if ((rc == 0)); then
      python3 "$ROOT/bench/ds_trace_breakdown.py" "$OUT/ds13b_trace.json" --steps 2 --skip 1 \
        >"$OUT/ds13b_breakdown.txt" 2>&1
    else
      echo "FAIL: traced run $(why "$OUT/ds13b_trace.log" $rc "$t")" >"$OUT/ds13b_breakdown.txt"
    fi
  else
    echo "not run (${t}s left of the budget, or the timed run failed)" >"$OUT/ds13b_breakdown.txt"
  fi
else
  ds_status="FAIL (ds-run does not start)"
fi

torch_common=(--config "$BUNDLE/plans/gpt1.3b.json" --device "$TORCH_DEVICE" --layers "$layers"
  --width "$width" --heads "$heads" --vocab "$vocab" --context "$context" --batch "$batch"
  --steps "$STEPS" --warmup "$WARMUP")
t=$(limit 150)
smi_start torch13b
timeout "$t" $PY "$ROOT/bench/torch_gpu_train_step.py" "${torch_common[@]}" ${TORCH_ARGS:-} \
  >"$OUT/torch13b.json" 2>"$OUT/torch13b.log"
rc=$?
torch_smi=$(smi_stop torch13b)
if ((rc == 0)); then torch_status=ok; else torch_status="FAIL ($(why "$OUT/torch13b.log" $rc "$t"))"; fi
echo "== PyTorch 1.3B (math attention): $torch_status"
t=$(limit 120)
sdpa_status="not run (${t}s left of the budget)"
if [[ $torch_status == ok ]] && ((t >= 60)); then
  peak=$(python3 -c "import json; print(json.load(open('$OUT/torch13b.json'))['peak_flops'] / 1e12)")
  timeout "$t" $PY "$ROOT/bench/torch_gpu_train_step.py" "${torch_common[@]}" --attention sdpa \
    --peak-tflops "$peak" --profile-steps 0 >"$OUT/torch13b_sdpa.json" 2>"$OUT/torch13b_sdpa.log"
  rc=$?
  if ((rc == 0)); then sdpa_status=ok; else sdpa_status="FAIL ($(why "$OUT/torch13b_sdpa.log" $rc "$t"))"; fi
fi
echo "== PyTorch 1.3B (sdpa): $sdpa_status"

python3 - "$OUT" "$BUNDLE" "$WARMUP" "$ds_status" "$torch_status" "$sdpa_status" "${ds_smi:-}" \
  "${torch_smi:-}" "$BACKEND" >"$OUT/.bench.md" <<'PY'
import json, os, statistics, sys
out, bundle, warmup, ds_status, torch_status, sdpa_status, ds_smi, torch_smi, backend = sys.argv[1:]
warmup = int(warmup)
m = json.load(open(os.path.join(bundle, "bundle.json")))["gpt1.3b"]
tokens, psi = m["tokens_per_step"], m["psi"]

def load(path):
    try:
        with open(path) as f:
            return json.loads(f.read().strip().splitlines()[-1])
    except (OSError, ValueError, IndexError):
        return None

torch_r = load(os.path.join(out, "torch13b.json")) if torch_status == "ok" else None
sdpa_r = load(os.path.join(out, "torch13b_sdpa.json")) if sdpa_status == "ok" else None
peak = (torch_r or {}).get("peak_flops")
ds = None
if ds_status == "ok":
    rows = [json.loads(l) for l in open(os.path.join(out, "ds13b.jsonl")) if l.strip()]
    timed = rows[warmup:] or rows
    t = statistics.median(r["step_time_s"] for r in timed)
    ds = {"step_time_s": t, "tokens_per_s": tokens / t, "n": len(timed),
          "peak_memory_bytes": max(max(r.get("peak_bytes") or [0]) for r in rows),
          "losses": [r["loss"] for r in rows]}
    ds["mfu"] = 6 * psi * tokens / t / peak if peak else None

def cell(v, fmt):
    return "n/a" if v is None else fmt.format(v)

def gib(b):
    return cell(None if b is None else b / 2**30, "{:.2f} GiB")

def smi(v):
    return cell(float(v) / 1024 if v else None, "{:.2f} GiB")

cols = [("ds-run --backend " + backend, ds, ds_status, ds_smi),
        ("PyTorch eager (math attention)", torch_r, torch_status, torch_smi),
        ("PyTorch eager (sdpa)", sdpa_r, sdpa_status, "")]
print(f"## Training bench: GPT 1.3B (Psi = {psi:,}), bf16 + fp32 AdamW masters, micro-batch "
      f"{m['micro_batch']} x context {m['context']} = {tokens} tokens/step, world size 1")
print()
dev = (torch_r or {}).get("device_name", "?")
print(f"GPU {dev}; bf16 GEMM peak measured by torch.matmul "
      f"{cell(peak and peak / 1e12, '{:.1f}')} TFLOP/s (MFU = 6 Psi tokens / step time / that "
      f"peak; attention FLOPs not counted). Step time: median of the steps after {warmup} warm-up "
      f"steps. ds's predicted peak (ds-opt --ds-memory-report): {m['predicted_peak_bytes'] / 2**30:.2f} GiB.")
print()
print("| | " + " | ".join(c[0] for c in cols) + " |")
print("|---|" + "---|" * len(cols))
print("| status | " + " | ".join(c[2] for c in cols) + " |")
print("| step time (ms) | " + " | ".join(cell(c[1] and c[1]["step_time_s"] * 1e3, "{:.1f}") for c in cols) + " |")
print("| tokens/s | " + " | ".join(cell(c[1] and c[1]["tokens_per_s"], "{:,.0f}") for c in cols) + " |")
ratio = lambda r: ds["tokens_per_s"] / r["tokens_per_s"] if ds and r else None
print("| ds tokens/s / this | " + " | ".join(cell(ratio(c[1]) if i else (1.0 if ds else None), "{:.3f}")
                                          for i, c in enumerate(cols)) + " |")
print("| MFU | " + " | ".join(cell(c[1] and c[1].get("mfu"), "{:.1%}") for c in cols) + " |")
print("| peak memory (allocator) | " + " | ".join(gib(c[1] and c[1].get("peak_memory_bytes")) for c in cols) + " |")
print("| peak GPU memory in use (nvidia-smi) | " + " | ".join(smi(c[3]) for c in cols) + " |")
print()
print("ds-run: run.jsonl's peak_bytes; PyTorch: torch.cuda.max_memory_allocated. First losses: "
      f"ds {cell(ds and [round(x, 4) for x in ds['losses'][:3]], '{}')}, "
      f"PyTorch {cell(torch_r and [round(x, 4) for x in torch_r['losses'][:3]], '{}')} "
      f"(both ≈ ln {m['vocab']} = 10.82 at init; the weights differ).")
print()
print("### ds-run per-op breakdown (traced step, device synchronized per instruction)")
print()
try:
    text = open(os.path.join(out, "ds13b_breakdown.txt")).read()
    lines = text.splitlines()
    print("\n".join(lines[2:]) if lines and lines[0].startswith("{") else text)
except OSError:
    print("not run")
print()
print("### PyTorch kernel breakdown (torch.profiler, 2 steps, math attention)")
print()
b = (torch_r or {}).get("breakdown")
if not b or "error" in b:
    print((b or {}).get("error", "not run"))
else:
    print(f"Kernel time {b['total_us_per_step'] / 1e3:.1f} ms/step ({b['source']}).")
    print()
    print("| kind | ms/step | share |")
    print("|---|---:|---:|")
    for k in b["by_kind"]:
        print(f"| {k['kind']} | {k['us_per_step'] / 1e3:.3f} | {k['share']:.1%} |")
    print()
    print("| kernel | kind | ms/step | calls/step | share |")
    print("|---|---|---:|---:|---:|")
    for k in b["top_kernels"]:
        name = k["name"].replace("|", "/")
        print(f"| `{name[:90]}` | {k['kind']} | {k['us_per_step'] / 1e3:.3f} | "
              f"{k['calls_per_step']:g} | {k['share']:.1%} |")
PY
{
  echo "## Training on the GPU (bench/run_gpu_train.sh, bundle commit $(manifest "d['commit']"))"
  echo
  echo "| check | result | detail |"
  echo "|---|---|---|"
  cat "$checks"
  echo
  cat "$OUT/.bench.md"
} >"$md"
rm -f "$checks" "$OUT/.bench.md"
echo "== results in $md"
exit $failed
