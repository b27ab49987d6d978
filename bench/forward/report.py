#!/usr/bin/python3
"""Prints the bench/forward tables (markdown) from the files bench/run_forward.sh leaves in its
output directory:

  ds_<env>_r<k>.jsonl     ds-run --log, one line per step (step_time_s, loss)
  torch_<env>_r<k>.jsonl  torch_forward.py --log
  ds_<env>.trace.json     ds-run --trace (Chrome trace; one event per plan instruction)
  torch_<env>.prof.json   torch_forward.py --profile

  report.py OUT_DIR --vocab V --context T --width C --heads H --layers L --batch B
            [--envs a,b] [--trace-steps N]

Step time: the median of step_time_s over steps 2..S of every round (step 1 pays for first-touch
allocation and thread start-up). Ratio = PyTorch time / ds time: > 1 means ds is faster. The
per-round medians and the ratio of the best rounds show how much the machine's noise moved them.
"""
import argparse
import collections
import glob
import json
import math
import os
import statistics

GROUPS = ["matmul", "elementwise", "softmax", "layer_norm", "data movement", "loss", "other"]

DS_GROUP = {
    "matmul": "matmul",
    "softmax": "softmax", "log_softmax": "softmax",
    "layer_norm": "layer_norm", "rms_norm": "layer_norm",
    "transpose": "data movement", "reshape": "data movement", "split": "data movement",
    "concat": "data movement", "gather": "data movement", "slice": "data movement",
    "expand": "data movement", "cast": "data movement",
    "cross_entropy": "loss",
    "constant": "other",
}
ELEMENTWISE = {"add", "sub", "mul", "div", "pow", "max", "min", "compare", "select", "neg", "abs",
               "exp", "log", "tanh", "erf", "sqrt", "rsqrt", "reciprocal", "relu", "sigmoid",
               "silu", "gelu", "dropout", "causal_mask"}

TORCH_GROUP = {
    "aten::mm": "matmul", "aten::bmm": "matmul", "aten::addmm": "matmul", "aten::matmul": "matmul",
    "aten::_softmax": "softmax", "aten::softmax": "softmax",
    "aten::native_layer_norm": "layer_norm", "aten::layer_norm": "layer_norm",
    "aten::add": "elementwise", "aten::mul": "elementwise", "aten::gelu": "elementwise",
    "aten::masked_fill_": "elementwise", "aten::masked_fill": "elementwise",
    "aten::div": "elementwise",
    "aten::copy_": "data movement", "aten::index": "data movement", "aten::clone": "data movement",
    "aten::contiguous": "data movement",
    "aten::_log_softmax": "loss", "aten::log_softmax": "loss", "aten::nll_loss_forward": "loss",
    "aten::nll_loss": "loss", "aten::nll_loss_nd": "loss", "aten::cross_entropy_loss": "loss",
}


def ds_group(name):
    if name in ELEMENTWISE:
        return "elementwise"
    return DS_GROUP.get(name, "other")


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def step_times(paths):
    """Per-round medians and the pooled median over steps 2.. of every round, in seconds."""
    pooled, per_round, first_loss = [], [], None
    for p in sorted(paths):
        rows = read_jsonl(p)
        if first_loss is None:
            first_loss = rows[0]["loss"]
        t = [r["step_time_s"] for r in rows if r["step"] >= 2]
        per_round.append(statistics.median(t))
        pooled += t
    return statistics.median(pooled), per_round, first_loss


def model_flops(V, T, C, H, L, B):
    """Multiply-add FLOPs of one forward step: the GEMMs only."""
    rows = B * T
    per_layer = 2 * rows * C * (3 * C + C + 4 * C + 4 * C) + 2 * 2 * B * T * T * C
    return L * per_layer + 2 * rows * C * V


def ds_breakdown(trace_path):
    with open(trace_path) as f:
        events = [e for e in json.load(f)["traceEvents"] if e.get("ph") == "X"]
    events.sort(key=lambda e: e["ts"])
    return events


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    for name in ["vocab", "context", "width", "heads", "layers", "batch"]:
        ap.add_argument(f"--{name}", type=int, required=True)
    ap.add_argument("--envs", default="default")
    ap.add_argument("--trace-steps", type=int, default=11, help="steps of the traced ds-run")
    args = ap.parse_args()
    V, T, C, H, L, B = args.vocab, args.context, args.width, args.heads, args.layers, args.batch
    flops = model_flops(V, T, C, H, L, B)
    envs = args.envs.split(",")

    print(f"Model: vocab {V}, context {T}, width {C}, {H} heads, {L} layers, batch {B} "
          f"({B * T} tokens/step, {flops / 1e9:.2f} GFLOP of GEMMs per forward step).")
    print()
    print("| environment | ds step (ms) | PyTorch step (ms) | PyTorch / ds | ds per-round medians (ms) "
          "| PyTorch per-round medians (ms) | PyTorch / ds, best rounds | ds GEMM-equiv. GFLOP/s "
          "| PyTorch GEMM-equiv. GFLOP/s |")
    print("|---|---:|---:|---:|---|---|---:|---:|---:|")
    losses = {}
    for env in envs:
        ds_t, ds_rounds, ds_loss = step_times(glob.glob(os.path.join(args.out, f"ds_{env}_r*.jsonl")))
        th_t, th_rounds, th_loss = step_times(glob.glob(os.path.join(args.out, f"torch_{env}_r*.jsonl")))
        losses[env] = (ds_loss, th_loss)
        print(f"| {env} | {ds_t * 1e3:.1f} | {th_t * 1e3:.1f} | **{th_t / ds_t:.2f}** | "
              f"{', '.join(f'{x * 1e3:.0f}' for x in ds_rounds)} | "
              f"{', '.join(f'{x * 1e3:.0f}' for x in th_rounds)} | {min(th_rounds) / min(ds_rounds):.2f} | "
              f"{flops / ds_t / 1e9:.0f} | "
              f"{flops / th_t / 1e9:.0f} |")
    print()
    lnv = math.log(V)
    for env, (dl, tl) in losses.items():
        ok = abs(dl - lnv) < 0.05 * lnv
        print(f"Step-1 loss ({env}): ds {dl:.4f}, PyTorch {tl:.4f}, ln(vocab) = {lnv:.4f} "
              f"-> ds {'≈ ln(vocab): OK' if ok else 'FAR FROM ln(vocab): CHECK'}")
    print()

    # Where the time goes: ds from its trace, PyTorch from its profiler, grouped alike.
    for env in envs:
        trace = os.path.join(args.out, f"ds_{env}.trace.json")
        prof = os.path.join(args.out, f"torch_{env}.prof.json")
        if not (os.path.exists(trace) and os.path.exists(prof)):
            continue
        events = ds_breakdown(trace)
        # The plan is static: every step issues the same instructions, so split by count.
        steps = args.trace_steps
        per_step = len(events) // steps
        timed = events[per_step:]  # drop step 1
        ds_steps = steps - 1
        # Per step sums, then the median over steps: one step slowed by another process on the
        # machine does not move the breakdown.
        step_group = [collections.defaultdict(float) for _ in range(ds_steps)]
        step_op = [collections.defaultdict(float) for _ in range(ds_steps)]
        step_span = []
        ds_calls = collections.Counter()
        for i in range(ds_steps):
            chunk = timed[i * per_step:(i + 1) * per_step]
            for e in chunk:
                step_group[i][ds_group(e["name"])] += e["dur"] / 1e3
                step_op[i][e["name"]] += e["dur"] / 1e3
                ds_calls[ds_group(e["name"])] += 1
            step_span.append((chunk[-1]["ts"] + chunk[-1]["dur"] - chunk[0]["ts"]) / 1e3)
        ds_time = {g: statistics.median(sg.get(g, 0.0) for sg in step_group) for g in GROUPS}
        ds_ops = {op: statistics.median(so.get(op, 0.0) for so in step_op) for op in step_op[0]}
        span = statistics.median(step_span)
        with open(prof) as f:
            p = json.load(f)
        th_steps = p["steps"]
        th_time = collections.defaultdict(float)
        th_ops = collections.defaultdict(float)
        for op, v in p["ops"].items():
            g = TORCH_GROUP.get(op, "other")
            th_time[g] += v["self_us"] / 1e3 / th_steps
            th_ops[op] += v["self_us"] / 1e3 / th_steps
        ds_total, th_total = sum(ds_time.values()), sum(th_time.values())
        print(f"Per-step time by op kind, environment `{env}` (ds: `--trace`, median over steps "
              f"2..{steps} of each kind's sum; PyTorch: autograd profiler self CPU time, mean of "
              f"{th_steps} steps):")
        print()
        print("| op kind | ds ms/step | ds share | ds instr./step | PyTorch ms/step | PyTorch share | ds / PyTorch |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for g in GROUPS:
            d, t = ds_time.get(g, 0.0), th_time.get(g, 0.0)
            ratio = f"{d / t:.2f}" if t > 0.05 else "—"
            print(f"| {g} | {d:.1f} | {100 * d / ds_total:.0f}% | {ds_calls[g] // ds_steps} | "
                  f"{t:.1f} | {100 * t / th_total:.0f}% | {ratio} |")
        print(f"| **sum of ops** | **{ds_total:.1f}** | | {len(timed) // ds_steps} | **{th_total:.1f}** | | "
              f"{ds_total / th_total:.2f} |")
        print()
        print(f"ds trace span per step {span:.1f} ms (sum of instructions {ds_total:.1f} ms: the "
              f"executor's own time between instructions is {max(span - ds_total, 0):.1f} ms).")
        # Matmuls by role: the plan keeps make_block.py's order (6 per block, then the head).
        mms = [e for e in timed if e["name"] == "matmul"]
        roles = ["qkv", "scores", "values", "attn_out", "mlp_fc", "mlp_proj"]
        if len(mms) == (6 * L + 1) * ds_steps:
            per_role = collections.defaultdict(lambda: [0.0] * ds_steps)
            for i, e in enumerate(mms):
                j = i % (6 * L + 1)
                per_role[roles[j % 6] if j < 6 * L else "head"][i // (6 * L + 1)] += e["dur"] / 1e3
            by_role = {r: statistics.median(v) for r, v in per_role.items()}
            print("ds matmul by role (ms/step, all layers): " +
                  ", ".join(f"{r} {by_role[r]:.1f}" for r in roles + ["head"]))
        top_ds = sorted(ds_ops.items(), key=lambda kv: -kv[1])[:6]
        top_th = sorted(th_ops.items(), key=lambda kv: -kv[1])[:6]
        print("Top ds instructions (ms/step): " + ", ".join(f"{k} {v:.1f}" for k, v in top_ds))
        print("Top PyTorch ops (ms/step): " + ", ".join(f"{k} {v:.1f}" for k, v in top_th))
        print()


if __name__ == "__main__":
    main()
