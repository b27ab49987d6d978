#!/usr/bin/python3
"""PyTorch's own training step on the example GPT: the baseline for ds-run's step time.

One step is what ds-run's step does under examples/gpt/ds_config.json: forward and backward of
every micro-batch (loss / micro-batches), clip_grad_norm_(1.0), AdamW(foreach=False) step, zeroing.
Prints one JSON line: the median ms/step over --steps timed steps after --warmup untimed ones, and
tokens/s = batch * context / median.

    /usr/bin/python3 bench/torch_train_step.py [--batch 8] [--micro 8] [--context 32] [--steps 50]
        [--warmup 5] [--threads N] [--width 64 --heads 4 --layers 2 --vocab 256]
"""
import argparse
import json
import os
import pathlib
import statistics
import sys
import time

import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "examples" / "gpt"))
from model import GPT, GPTConfig  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=8, help="global batch (samples per step)")
    ap.add_argument("--micro", type=int, help="micro-batch size (default: the whole batch)")
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    cfg = GPTConfig()
    for name in ("context", "width", "heads", "layers", "vocab"):
        ap.add_argument(f"--{name}", type=int, default=getattr(cfg, name))
    args = ap.parse_args()
    micro = args.micro or args.batch
    if args.batch % micro:
        sys.exit(f"torch_train_step.py: --batch {args.batch} is not a multiple of --micro {micro}")

    torch.set_num_threads(args.threads)
    torch.manual_seed(1234)
    cfg = GPTConfig(vocab=args.vocab, context=args.context, width=args.width, heads=args.heads,
                    layers=args.layers)
    model = GPT(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.95), eps=1e-8,
                            weight_decay=0.1, foreach=False)
    # Random tokens: the step's time does not depend on their values.
    tokens = torch.randint(0, cfg.vocab, (args.steps + args.warmup, args.batch, cfg.context + 1))
    inputs, targets = tokens[..., :-1].contiguous(), tokens[..., 1:].contiguous()
    n_micro = args.batch // micro

    times = []
    for s in range(args.warmup + args.steps):
        t0 = time.perf_counter()
        for a in range(n_micro):
            part = slice(a * micro, (a + 1) * micro)
            loss = model(inputs[s, part], targets[s, part])
            (loss / n_micro).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        if s >= args.warmup:
            times.append(time.perf_counter() - t0)

    median = statistics.median(times)
    print(json.dumps({
        "bench": "torch_train_step", "torch": torch.__version__, "threads": torch.get_num_threads(),
        "batch": args.batch, "micro": micro, "context": cfg.context, "width": cfg.width,
        "heads": cfg.heads, "layers": cfg.layers, "vocab": cfg.vocab, "steps": args.steps,
        "warmup": args.warmup, "ms_per_step": median * 1e3, "ms_min": min(times) * 1e3,
        "tokens_per_s": args.batch * cfg.context / median}))


if __name__ == "__main__":
    main()
