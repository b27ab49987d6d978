#!/usr/bin/env python3
"""Checks that torch_gpu_train_step.py's GPT is make_block.py's model: one training step from a ds checkpoint.

    verify_torch_gpt.py CKPT_DIR/step_K RUN.jsonl TOKENS.bin CONFIG.json --vocab V --context T \\
        --width C --heads H --layers L --batch B

Loads ds-run's checkpoint after optimizer step K (model.safetensors: the weights;
optimizer.safetensors: AdamW's exp_avg / exp_avg_sq) into the nn.Module and torch.optim.AdamW, runs
step K+1 on the samples ds-run fed it (DESIGN.md's data convention, world size 1, one micro-batch
per step) in fp32, and compares with ds-run's log (loss and pre-clip grad_norm of step K+1) and, if
ds-run saved step K+1 beside it, its weights after the update (max |torch - ds| / max |ds| per
tensor; the key bias left out, see below). Prints the relative errors; exits 1
when one is over --rtol (1e-4). Runs on Debian's /usr/bin/python3 (python3-torch) on the CPU:

    python3 examples/gpt_block/make_block.py --layers 2 --vocab 64 --context 16 --width 32 \\
        --heads 4 --batch 2 -o m.mlir
    ds-opt m.mlir --ds-config=c.json -o m.dsplan     # c.json: fp32, batch = micro-batch = 2, AdamW
    ds-run m.dsplan --data tok.bin --steps 2 --save ck --save-interval 1 --log r.jsonl
    /usr/bin/python3 bench/verify_torch_gpt.py ck/step_00000001 r.jsonl tok.bin c.json \\
        --vocab 64 --context 16 --width 32 --heads 4 --layers 2 --batch 2
"""
import argparse
import json
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_gpu_train_step import GPT, read_config  # noqa: E402


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        if meta["dtype"] != "F32":
            raise ValueError(f"{path}: {name} is {meta['dtype']}, expected F32 (an fp32 run)")
        a, b = meta["data_offsets"]
        out[name] = torch.from_numpy(
            np.frombuffer(data[8 + n + a:8 + n + b], dtype="<f4").reshape(meta["shape"]).copy())
    return out


def ds_name(torch_name):
    """nn.Module parameter name -> make_block's ds.param name."""
    parts = torch_name.split(".")
    if parts[0] in ("wte", "wpe"):
        return parts[0]
    if parts[0] == "lnf":
        return "lnf_" + {"weight": "g", "bias": "b"}[parts[1]]
    i, layer, kind = parts[1], parts[2], parts[3]
    if layer in ("ln1", "ln2"):
        return f"h{i}_{layer}_" + {"weight": "g", "bias": "b"}[kind]
    return f"h{i}_" + {"weight": "w_", "bias": "b_"}[kind] + {"qkv": "qkv", "o": "o", "fc": "fc",
                                                                "proj": "proj"}[layer]


def rel(a, b):
    return float((a - b).abs().max() / b.abs().max().clamp_min(1e-30))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("checkpoint")
    ap.add_argument("log")
    ap.add_argument("tokens")
    ap.add_argument("config")
    for name in ("vocab", "context", "width", "heads", "layers", "batch"):
        ap.add_argument(f"--{name}", type=int, required=True)
    ap.add_argument("--rtol", type=float, default=1e-4)
    args = ap.parse_args()
    torch.set_default_dtype(torch.float32)

    state = json.load(open(os.path.join(args.checkpoint, "trainer_state.json")))
    k = int(state["step"])
    weights = read_safetensors(os.path.join(args.checkpoint, "model.safetensors"))
    moments = read_safetensors(os.path.join(args.checkpoint, "optimizer.safetensors"))
    model = GPT(args.vocab, args.context, args.width, args.heads, args.layers)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(weights[ds_name(name)])
    cfg = read_config(args.config)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], betas=cfg["betas"], eps=cfg["eps"],
                            weight_decay=cfg["weight_decay"], foreach=False)
    for name, p in model.named_parameters():
        opt.state[p] = {"step": torch.tensor(float(k)),
                        "exp_avg": moments[ds_name(name) + ".exp_avg"].clone(),
                        "exp_avg_sq": moments[ds_name(name) + ".exp_avg_sq"].clone()}

    # Step K+1 (0-based s = K) takes samples s*G + [0, G), sample i = tokens[i*T : i*T + T].
    tokens = np.fromfile(args.tokens, dtype="<u2").astype(np.int64)
    t, g = args.context, args.batch
    wrap = (len(tokens) - 1) // t
    idx = [(k * g + j) % wrap for j in range(g)]
    x = torch.tensor(np.stack([tokens[i * t:i * t + t] for i in idx]))
    y = torch.tensor(np.stack([tokens[i * t + 1:i * t + t + 1] for i in idx]))
    loss = model(x, y)
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), cfg["clip"] or float("inf"))
    opt.step()

    logged = {r["step"]: r for r in (json.loads(l) for l in open(args.log) if l.strip())}
    if k + 1 not in logged:
        sys.exit(f"verify_torch_gpt.py: {args.log} has no step {k + 1}")
    ref = logged[k + 1]
    errors = {"loss": abs(float(loss) - ref["loss"]) / abs(ref["loss"]),
              "grad_norm": abs(float(norm) - ref["grad_norm"]) / abs(ref["grad_norm"])}
    after = os.path.join(os.path.dirname(os.path.abspath(args.checkpoint)), f"step_{k + 1:08d}",
                         "model.safetensors")
    if os.path.exists(after):
        updated = read_safetensors(after)
        worst = 0.0
        for n, p in model.named_parameters():
            mine, theirs = p.detach().clone(), updated[ds_name(n)].clone()
            if n.endswith("qkv.bias"):
                # The key bias's gradient is zero in exact arithmetic (it adds q.b_k to every score
                # of a row, which softmax ignores), so both sides step on rounding noise that Adam
                # scales up to +-lr: not comparable.
                mine[args.width:2 * args.width] = 0
                theirs[args.width:2 * args.width] = 0
            worst = max(worst, rel(mine, theirs))
        errors["weights_after_step"] = worst
    print(json.dumps({"step": k + 1, "torch_loss": float(loss), "ds_loss": ref["loss"],
                      "torch_grad_norm": float(norm), "ds_grad_norm": ref["grad_norm"],
                      "relative_errors": errors, "rtol": args.rtol}))
    sys.exit(0 if all(e <= args.rtol for e in errors.values()) else 1)


if __name__ == "__main__":
    main()
