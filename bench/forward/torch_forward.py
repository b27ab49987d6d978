#!/usr/bin/python3
"""The PyTorch baseline of bench/forward: the GPT of examples/gpt_block/make_block.py in eager mode.

Same shapes and the same math as the ds model: token + position embeddings, pre-norm blocks with
F.layer_norm (eps 1e-5), causal softmax attention (masked_fill(-inf) then softmax), GELU (tanh) MLP
of width 4C, final layer norm, output head tied to the token embedding, mean F.cross_entropy. Run
under torch.no_grad() on the batches ds-run takes from the same token file (DESIGN.md data
convention: step s uses samples [s*B, (s+1)*B), sample i = tokens[i*T : i*T+T], targets shifted by
one). Initial weights are drawn the same way (normal std 0.02, ones, zeros) but not the same values,
so losses agree only to about ln(vocab).

Writes one JSON line per step (step, loss, step_time_s) and, with --profile, the per-op self CPU
time of torch's profiler (JSON: op -> self_us, calls) over a second pass of the same steps.

  /usr/bin/python3 torch_forward.py --vocab 512 --context 128 --width 256 --heads 4 --layers 4 \
      --batch 8 --data tokens.bin --steps 20 [--threads N] [--log torch.jsonl] [--profile prof.json]
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F


class Block(torch.nn.Module):
    def __init__(self, C, H, T):
        super().__init__()
        self.H = H
        self.ln1_g, self.ln1_b = torch.nn.Parameter(torch.ones(C)), torch.nn.Parameter(torch.zeros(C))
        self.w_qkv, self.b_qkv = torch.nn.Parameter(torch.empty(C, 3 * C)), torch.nn.Parameter(torch.zeros(3 * C))
        self.w_o, self.b_o = torch.nn.Parameter(torch.empty(C, C)), torch.nn.Parameter(torch.zeros(C))
        self.ln2_g, self.ln2_b = torch.nn.Parameter(torch.ones(C)), torch.nn.Parameter(torch.zeros(C))
        self.w_fc, self.b_fc = torch.nn.Parameter(torch.empty(C, 4 * C)), torch.nn.Parameter(torch.zeros(4 * C))
        self.w_proj, self.b_proj = torch.nn.Parameter(torch.empty(4 * C, C)), torch.nn.Parameter(torch.zeros(C))
        for w in (self.w_qkv, self.w_o, self.w_fc, self.w_proj):
            torch.nn.init.normal_(w, mean=0.0, std=0.02)
        self.register_buffer("mask", torch.ones(T, T, dtype=torch.bool).triu(1))

    def forward(self, x):
        B, T, C = x.shape
        H, hd = self.H, C // self.H
        h = F.layer_norm(x, (C,), self.ln1_g, self.ln1_b, 1e-5)
        qkv = torch.matmul(h, self.w_qkv) + self.b_qkv
        q, k, v = qkv.split(C, dim=2)
        q = q.reshape(B, T, H, hd).transpose(1, 2)
        k = k.reshape(B, T, H, hd).transpose(1, 2)
        v = v.reshape(B, T, H, hd).transpose(1, 2)
        s = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(hd))
        p = torch.softmax(s.masked_fill(self.mask, float("-inf")), dim=-1)
        a = torch.matmul(p, v).transpose(1, 2).reshape(B, T, C)
        x = x + (torch.matmul(a, self.w_o) + self.b_o)
        h = F.layer_norm(x, (C,), self.ln2_g, self.ln2_b, 1e-5)
        f = F.gelu(torch.matmul(h, self.w_fc) + self.b_fc, approximate="tanh")
        return x + (torch.matmul(f, self.w_proj) + self.b_proj)


class GPT(torch.nn.Module):
    def __init__(self, vocab, T, C, H, L):
        super().__init__()
        self.wte = torch.nn.Parameter(torch.empty(vocab, C).normal_(0.0, 0.02))
        self.wpe = torch.nn.Parameter(torch.empty(T, C).normal_(0.0, 0.02))
        self.blocks = torch.nn.ModuleList(Block(C, H, T) for _ in range(L))
        self.lnf_g, self.lnf_b = torch.nn.Parameter(torch.ones(C)), torch.nn.Parameter(torch.zeros(C))

    def forward(self, tokens, targets):
        x = self.wte[tokens] + self.wpe
        for blk in self.blocks:
            x = blk(x)
        x = F.layer_norm(x, (x.shape[-1],), self.lnf_g, self.lnf_b, 1e-5)
        logits = torch.matmul(x, self.wte.t())
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def batches(tokens, B, T, steps):
    samples = (len(tokens) - 1) // T
    for s in range(steps):
        idx = [(s * B + i) % samples for i in range(B)]
        x = np.stack([tokens[i * T:i * T + T] for i in idx]).astype(np.int64)
        y = np.stack([tokens[i * T + 1:i * T + T + 1] for i in idx]).astype(np.int64)
        yield torch.from_numpy(x), torch.from_numpy(y)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name, default in [("vocab", 512), ("context", 128), ("width", 256), ("heads", 4),
                          ("layers", 4), ("batch", 8), ("steps", 20)]:
        ap.add_argument(f"--{name}", type=int, default=default)
    ap.add_argument("--data", required=True, help="uint16 token file (as ds-run --data)")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--log", default="-", help="JSON lines, one per step (default: stdout)")
    ap.add_argument("--profile", help="write torch profiler's per-op self CPU times (JSON) here")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    tokens = np.fromfile(args.data, dtype="<u2")
    model = GPT(args.vocab, args.context, args.width, args.heads, args.layers).eval()
    out = open(args.log, "w") if args.log != "-" else None
    with torch.no_grad():
        for step, (x, y) in enumerate(batches(tokens, args.batch, args.context, args.steps), 1):
            t0 = time.perf_counter()
            loss = model(x, y)
            dt = time.perf_counter() - t0
            line = json.dumps({"step": step, "loss": loss.item(), "step_time_s": dt})
            print(line, file=out, flush=True)
        if args.profile:
            with torch.autograd.profiler.profile() as prof:
                for x, y in batches(tokens, args.batch, args.context, args.steps):
                    model(x, y)
            ops = {e.key: {"self_us": e.self_cpu_time_total, "calls": e.count}
                   for e in prof.key_averages()}
            with open(args.profile, "w") as f:
                json.dump({"steps": args.steps, "threads": torch.get_num_threads(), "ops": ops}, f,
                          indent=1)


if __name__ == "__main__":
    main()
