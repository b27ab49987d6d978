#!/usr/bin/python3
"""PyTorch trains the example GPT as DeepSpeed would under a ds_config.json: the curve ds must match.

    /usr/bin/python3 examples/gpt/train_reference.py examples/gpt/ds_config.json [--steps 20]
        [--onnx examples/gpt/gpt_opset17.onnx] [--data examples/gpt/tokens.bin] [-o OUT.json]

Writes examples/gpt/expected/<config name>.json: {"config", "steps", "loss", "lr", "grad_norm", ...},
one entry per optimizer step. The weights start as the .onnx file's initializers (so ds and this
script can never start from different numbers) and the data follows DESIGN.md's convention: sample i
is tokens[i*T : i*T+T] with targets shifted by one, i modulo (len-1)//T; step s uses the global
samples [s*G, (s+1)*G), G = train_batch_size. `loss` is the global-batch mean cross-entropy of the
step's forward pass (before its update), `lr` the learning rate its update used, `grad_norm` the
total gradient norm before clipping (what clip_grad_norm_ returns, as DeepSpeed reports it).

Only the keys that change the numbers are read: the batch sizes, gradient_clipping, optimizer
(AdamW or SGD, torch's own implementations) and scheduler (WarmupLR or none); fp32 only.
"""
import argparse
import json
import math
import pathlib
import sys

import numpy as np
import onnx
import torch
from onnx import numpy_helper

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from model import GPT, GPTConfig  # noqa: E402


def fail(message):
    sys.exit(f"train_reference.py: {message}")


def load_onnx_weights(model, path):
    """Copies the export's initializers into the model by name."""
    try:
        graph = onnx.load(str(path)).graph
    except Exception as e:  # protobuf's DecodeError names no file
        fail(f"cannot read {path} as ONNX: {e}")
    weights = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in graph.initializer}
    result = model.load_state_dict(weights, strict=False)
    # The export stores the tied head once, as wte.weight; in torch it is the same Parameter.
    assert model.lm_head.weight is model.wte.weight
    if result.missing_keys != ["lm_head.weight"] or result.unexpected_keys:
        fail(f"{path} does not hold this model's weights: missing {result.missing_keys}, "
             f"unexpected {result.unexpected_keys}")


def warmup_lr(params, optimizer_lr):
    """The lr of each step (0-based) under DeepSpeed's WarmupLR as its engine drives it.

    The constructor sets the optimizer's lr to warmup_min_lr (last_batch_iteration = -1), and the
    engine calls scheduler.step() after every optimizer step, so step s uses the schedule at
    iteration s - 1: warmup_min_lr for step 0, and again for step 1 (iteration 0 has gamma 0).
    """
    lo = params.get("warmup_min_lr", 0.0)
    hi = params.get("warmup_max_lr", optimizer_lr)
    n = max(2, params.get("warmup_num_steps", 1000))
    linear = params.get("warmup_type", "log") == "linear"

    def lr(step):
        it = step - 1
        if it < 0:
            return lo
        gamma = 1.0 if it >= n else it / n if linear else math.log(it + 1) / math.log(n)
        return lo + (hi - lo) * gamma  # DeepSpeed's expression, for the same rounding
    return lr


def make_training(config, model):
    """The optimizer and the lr per step that the config asks for."""
    opt = config.get("optimizer") or fail("the config has no optimizer")
    params = dict(opt.get("params", {}))
    kind = opt.get("type", "").lower()
    if kind == "adamw":
        params.setdefault("weight_decay", 0.0)  # DeepSpeed's default, not torch's 0.01
        optimizer = torch.optim.AdamW(model.parameters(), **params, foreach=False)
    elif kind == "sgd":
        optimizer = torch.optim.SGD(model.parameters(), **params, foreach=False)
    else:
        fail(f"optimizer type '{opt.get('type')}' is not AdamW or SGD")
    sched = config.get("scheduler")
    if not sched:
        return optimizer, lambda step: params["lr"]
    if sched.get("type") != "WarmupLR":
        fail(f"scheduler type '{sched.get('type')}' is not WarmupLR")
    return optimizer, warmup_lr(sched.get("params", {}), params["lr"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("config", type=pathlib.Path, help="DeepSpeed config (ds_config.json)")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--onnx", type=pathlib.Path, default=HERE / "gpt_opset17.onnx",
                    help="initial weights: the initializers of this export")
    ap.add_argument("--data", type=pathlib.Path, default=HERE / "tokens.bin")
    ap.add_argument("-o", "--output", type=pathlib.Path,
                    help="default: examples/gpt/expected/<config name>.json")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    config = json.loads(args.config.read_text())
    if any(config.get(k, {}).get("enabled") for k in ("fp16", "bf16")):
        fail(f"{args.config} trains in fp16/bf16; this reference is fp32 (drop those keys)")
    G = config.get("train_batch_size") or fail(f"{args.config} has no train_batch_size")
    mb = config.get("train_micro_batch_size_per_gpu") or G // config.get(
        "gradient_accumulation_steps", 1)
    if G % mb:
        fail(f"train_batch_size {G} is not a multiple of the micro-batch size {mb}")
    micro_batches = G // mb  # across every rank and accumulation step
    clip = config.get("gradient_clipping", 0.0)

    model = GPT(GPTConfig())
    load_onnx_weights(model, args.onnx)
    optimizer, lr_of_step = make_training(config, model)

    tokens = np.fromfile(args.data, dtype="<u2").astype(np.int64)
    T = model.cfg.context
    samples = (len(tokens) - 1) // T

    def batch(first, count):
        idx = [(first + j) % samples for j in range(count)]
        x = np.stack([tokens[i * T:i * T + T] for i in idx])
        y = np.stack([tokens[i * T + 1:i * T + T + 1] for i in idx])
        return torch.from_numpy(x), torch.from_numpy(y)

    losses, lrs, norms = [], [], []
    for s in range(args.steps):
        lr = lr_of_step(s)
        for group in optimizer.param_groups:
            group["lr"] = lr
        optimizer.zero_grad(set_to_none=True)
        loss_sum = 0.0
        for a in range(micro_batches):
            loss = model(*batch(s * G + a * mb, mb))
            # DeepSpeed divides by the accumulation steps and averages over ranks: together the
            # gradient of the global-batch mean.
            (loss / micro_batches).backward()
            loss_sum += loss.item()
        # No clipping still reports the norm: max_norm inf scales by 1.
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), clip if clip > 0 else math.inf)
        optimizer.step()
        losses.append(loss_sum / micro_batches)
        lrs.append(lr)
        norms.append(norm.item())
        print(f"step {s + 1:3d}  loss {losses[-1]:.6f}  lr {lr:.3g}  grad_norm {norms[-1]:.6f}")

    out = args.output or HERE / "expected" / f"{args.config.stem}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    result = {"config": args.config.name, "model": args.onnx.name, "data": args.data.name,
              "steps": args.steps, "micro_batches": micro_batches, "torch": torch.__version__,
              "loss": losses, "lr": lrs, "grad_norm": norms}
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
