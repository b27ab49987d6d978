#!/usr/bin/env python3
"""PyTorch eager's training step of make_block.py's GPT on a GPU: the baseline for ds-run --backend cuda.

The model is examples/gpt_block/make_block.py's, written out as a small nn.Module with the same math:
token embedding + learned position embedding; L pre-norm blocks of causal self-attention (layer
norm eps 1e-5 -> x @ W_qkv + b_qkv split into q, k, v in that order -> heads [B, H, T, C/H] ->
q @ k^T * 1/sqrt(C/H) -> causal softmax -> @ v -> x @ W_o + b_o -> residual) and a GELU(tanh) MLP
(layer norm -> x @ W_fc + b_fc of width 4C -> gelu -> x @ W_proj + b_proj -> residual); a final
layer norm; logits = h @ wte^T (head tied to the token embedding); mean cross-entropy. Every linear
has a bias; weights are stored [in, out] as make_block's ds.param's are; init normal(0, 0.02),
layer-norm gains ones, biases zeros. `--attention math` (default) materializes the [B, H, T, T]
scores as ds does; `--attention sdpa` uses F.scaled_dot_product_attention (flash), torch's best.

Mixed precision (`bf16` in the config) is laid out as ds's ds-build-training and DeepSpeed's bf16
optimizer do it: the module's weights are bf16 and forward/backward run in bf16 (all of it, the
layer norms, softmax and cross-entropy included, as ds's compute-precision conversion does), a fp32
master copy of every weight holds the AdamW state; each step the bf16 gradients are copied into fp32
master gradients, clipped, the AdamW step updates the masters, and the masters are copied back into
the bf16 weights. Without bf16 everything is fp32. The optimizer is torch.optim.AdamW (fused where
this torch has it, else foreach) with the config's lr, betas, eps and weight_decay applied to every
parameter (one group, as ds does); gradient_clipping from the config; a step is
train_batch_size / train_micro_batch_size_per_gpu micro-batches (world size 1).

Measured: the median step time over --steps timed steps after --warmup (torch.cuda.synchronize
around each step), tokens/s, the bf16 GEMM peak (best of several torch.matmul of --peak-size^3
bf16 matrices), MFU = 6 * Psi * tokens_per_step / step_time / peak (Psi: parameters, the tied head
once; attention's own FLOPs are not counted, as is usual), peak memory
(torch.cuda.max_memory_allocated) and a kernel breakdown (torch.profiler over --profile-steps steps:
the top 15 CUDA kernels by total time and the same time grouped by kind). Prints one JSON line.

    python3 bench/torch_gpu_train_step.py --config CFG.json --layers 24 --width 2048 --heads 16 \\
        --vocab 50257 --context 1024 [--steps 5 --warmup 3 --attention math]
    /usr/bin/python3 bench/torch_gpu_train_step.py --device cpu --layers 2 --width 64 --heads 4 \\
        --vocab 256 --context 32 --batch 2 --steps 2 --warmup 1     # smoke test without a GPU
"""
import argparse
import json
import math
import re
import statistics
import sys
import time
from collections import defaultdict

import torch
import torch.nn as nn
import torch.nn.functional as F


class LayerNorm(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(c))
        self.bias = nn.Parameter(torch.zeros(c))

    def forward(self, x):
        return F.layer_norm(x, (x.shape[-1],), self.weight, self.bias, 1e-5)


class Linear(nn.Module):
    """out = x @ weight + bias with weight [in, out], as make_block's ds.matmul + ds.add."""

    def __init__(self, k, n):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(k, n).normal_(0.0, 0.02))
        self.bias = nn.Parameter(torch.zeros(n))

    def forward(self, x):
        return torch.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight).view(
            *x.shape[:-1], self.weight.shape[1])


class Block(nn.Module):
    def __init__(self, c, heads, attention):
        super().__init__()
        self.heads, self.attention = heads, attention
        self.ln1, self.qkv, self.o = LayerNorm(c), Linear(c, 3 * c), Linear(c, c)
        self.ln2, self.fc, self.proj = LayerNorm(c), Linear(c, 4 * c), Linear(4 * c, c)

    def forward(self, x, mask):
        b, t, c = x.shape
        hd = c // self.heads
        q, k, v = self.qkv(self.ln1(x)).split(c, dim=2)
        q, k, v = (z.view(b, t, self.heads, hd).transpose(1, 2) for z in (q, k, v))
        if self.attention == "sdpa":
            a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            s = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hd))
            a = s.masked_fill(mask, float("-inf")).softmax(dim=-1) @ v
        x = x + self.o(a.transpose(1, 2).reshape(b, t, c))
        return x + self.proj(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, vocab, context, width, heads, layers, attention="math"):
        super().__init__()
        if width % heads:
            raise ValueError(f"width {width} is not a multiple of heads {heads}")
        self.wte = nn.Parameter(torch.empty(vocab, width).normal_(0.0, 0.02))
        self.wpe = nn.Parameter(torch.empty(context, width).normal_(0.0, 0.02))
        self.blocks = nn.ModuleList(Block(width, heads, attention) for _ in range(layers))
        self.lnf = LayerNorm(width)
        self.register_buffer("mask", torch.ones(context, context, dtype=torch.bool).triu(1),
                             persistent=False)

    def forward(self, tokens, targets):
        t = tokens.shape[1]
        x = F.embedding(tokens, self.wte) + self.wpe[:t]
        mask = self.mask[:t, :t]
        for blk in self.blocks:
            x = blk(x, mask)
        logits = self.lnf(x) @ self.wte.t()
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                               ignore_index=-100)


def parameter_count(vocab, context, width, layers):
    """make_gpt.py's Psi: embeddings, L blocks of 12C^2 + 13C, the final layer norm."""
    return vocab * width + context * width + layers * (12 * width * width + 13 * width) + 2 * width


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def gemm_peak(device, n, reps=5, iters=10):
    """Best FLOP/s of torch.matmul on n x n matrices: bf16 on a GPU, fp32 on the CPU."""
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    c = torch.empty(n, n, device=device, dtype=dtype)
    for _ in range(3):
        torch.matmul(a, b, out=c)
    best = 0.0
    for _ in range(reps):
        sync(device)
        t0 = time.perf_counter()
        for _ in range(iters):
            torch.matmul(a, b, out=c)
        sync(device)
        best = max(best, 2.0 * n ** 3 * iters / (time.perf_counter() - t0))
    del a, b, c
    return best, str(dtype).replace("torch.", "")


# Kernel kinds, first match wins; names are CUDA kernel names (or aten op names on the CPU).
KINDS = [
    ("flash_attention", r"flash|fmha|attention|sdpa|efficient_attention"),
    ("gemm", r"gemm|cutlass|xmma|nvjet|cublas|matmul|\bmm\b|addmm|bmm|sm\d+_.*tensorop"),
    ("optimizer", r"multi_tensor|adam|fused_adam|foreach"),
    ("layer_norm", r"layer_norm|layernorm|LayerNorm"),
    ("cross_entropy", r"nll_loss|cross_entropy|log_softmax|LogSoftMax"),
    ("softmax", r"softmax|SoftMax|Softmax"),
    ("gelu", r"gelu|GeluCUDA|Gelu"),
    ("embedding", r"embedding|index_select|indexSelect|index_put|scatter|gather"),
    ("reduce", r"reduce_kernel|reduce|sum|norm"),
    ("copy/cast", r"copy|Copy|cast|convert|to_copy"),
    ("elementwise", r"elementwise|vectorized|unrolled|Elementwise|masked_fill|fill|add|mul|where|"
                    r"sqrt|div"),
]


def kind_of(name):
    for kind, pattern in KINDS:
        if re.search(pattern, name):
            return kind
    return "other"


def profile_breakdown(step, device, steps, top=15):
    """Runs `steps` steps under torch.profiler; kernel totals (us) per kernel and per kind."""
    from torch.profiler import ProfilerActivity, profile
    activities = [ProfilerActivity.CPU]
    if device.type == "cuda":
        activities.append(ProfilerActivity.CUDA)
    with profile(activities=activities) as prof:
        for _ in range(steps):
            step()
        sync(device)
    totals, counts = defaultdict(float), defaultdict(int)
    if device.type == "cuda":
        for e in prof.events():
            if e.device_type == torch.autograd.DeviceType.CUDA:
                totals[e.name] += e.time_range.elapsed_us()
                counts[e.name] += 1
    else:  # no kernels: the aten ops' self time stands in
        for e in prof.key_averages():
            if e.key.startswith("aten::"):
                totals[e.key] += e.self_cpu_time_total
                counts[e.key] += e.count
    grand = sum(totals.values()) or 1.0
    kernels = [{"name": n[:120], "kind": kind_of(n), "us_per_step": totals[n] / steps,
                "calls_per_step": counts[n] / steps, "share": totals[n] / grand}
               for n in sorted(totals, key=totals.get, reverse=True)[:top]]
    by_kind = defaultdict(float)
    for n, us in totals.items():
        by_kind[kind_of(n)] += us
    kinds = [{"kind": k, "us_per_step": us / steps, "share": us / grand}
             for k, us in sorted(by_kind.items(), key=lambda kv: -kv[1])]
    return {"source": "cuda kernels" if device.type == "cuda" else "aten self cpu",
            "total_us_per_step": grand / steps, "top_kernels": kernels, "by_kind": kinds}


def read_config(path):
    cfg = {}
    if path:
        with open(path) as f:
            cfg = json.load(f)
    opt = cfg.get("optimizer", {"type": "AdamW", "params": {}})
    if opt.get("type", "AdamW").lower() not in ("adamw", "adam"):
        sys.exit(f"torch_gpu_train_step.py: optimizer {opt.get('type')} is not supported (AdamW only)")
    p = opt.get("params", {})
    micro = cfg.get("train_micro_batch_size_per_gpu")
    batch = cfg.get("train_batch_size")
    if micro is None and batch is not None:
        micro = batch // cfg.get("gradient_accumulation_steps", 1)
    if batch is None and micro is not None:
        batch = micro * cfg.get("gradient_accumulation_steps", 1)
    return {
        "micro": micro, "batch": batch,
        "lr": p.get("lr", 1e-3), "betas": tuple(p.get("betas", (0.9, 0.999))),
        "eps": p.get("eps", 1e-8), "weight_decay": p.get("weight_decay", 0.01),
        "clip": cfg.get("gradient_clipping", 0.0),
        "bf16": bool(cfg.get("bf16", {}).get("enabled", False)),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", help="ds_config.json: batch, micro-batch, AdamW, clipping, bf16")
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--width", type=int, default=64)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--vocab", type=int, default=256)
    ap.add_argument("--context", type=int, default=32)
    ap.add_argument("--batch", type=int, help="micro-batch (default: the config's, else 8)")
    ap.add_argument("--accum", type=int, help="micro-batches per step (default: the config's, else 1)")
    ap.add_argument("--precision", choices=["bf16", "fp32"],
                    help="default: bf16 if the config enables it, else fp32")
    ap.add_argument("--attention", choices=["math", "sdpa"], default="math")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--steps", type=int, default=5, help="timed steps")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--profile-steps", type=int, default=2, help="0: no kernel breakdown")
    ap.add_argument("--peak-size", type=int, default=8192, help="0: no GEMM peak")
    ap.add_argument("--peak-tflops", type=float, help="use this peak instead of measuring one")
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()

    if args.attention == "sdpa" and not hasattr(F, "scaled_dot_product_attention"):
        sys.exit(f"torch_gpu_train_step.py: --attention sdpa needs torch >= 2.0 (this is "
                 f"{torch.__version__})")
    cfg = read_config(args.config)
    micro = args.batch or cfg["micro"] or 8
    accum = args.accum or ((cfg["batch"] // cfg["micro"]) if cfg["batch"] and cfg["micro"] else 1)
    bf16 = (args.precision or ("bf16" if cfg["bf16"] else "fp32")) == "bf16"
    device = torch.device(args.device)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False  # fp32 means fp32, as ds's cuBLASLt GEMM
        torch.backends.cudnn.allow_tf32 = False
    torch.manual_seed(args.seed)

    peak, peak_dtype = (args.peak_tflops * 1e12, "given") if args.peak_tflops else (0.0, None)
    if not peak and args.peak_size > 0:
        peak, peak_dtype = gemm_peak(device, args.peak_size if device.type == "cuda"
                                     else min(args.peak_size, 1024))

    model = GPT(args.vocab, args.context, args.width, args.heads, args.layers,
                args.attention).to(device)
    params = list(model.parameters())
    if bf16:
        masters = [p.detach().clone().float() for p in params]
        for m in masters:
            m.grad = torch.zeros_like(m)
        model.to(torch.bfloat16)
        params = list(model.parameters())
        opt_params = masters
    else:
        masters, opt_params = None, params
    kw = dict(lr=cfg["lr"], betas=cfg["betas"], eps=cfg["eps"], weight_decay=cfg["weight_decay"])
    opt_impl = "foreach"
    try:
        if device.type == "cuda":
            opt = torch.optim.AdamW(opt_params, fused=True, **kw)
            opt_impl = "fused"
        else:
            raise TypeError
    except (TypeError, RuntimeError):
        opt = torch.optim.AdamW(opt_params, foreach=True, **kw)

    gen = torch.Generator().manual_seed(args.seed)
    n_batches = 4  # random tokens: the step time does not depend on their values
    data = torch.randint(0, args.vocab, (n_batches, accum, micro, args.context + 1), generator=gen)
    inputs = data[..., :-1].contiguous().to(device)
    targets = data[..., 1:].contiguous().to(device)
    counter = [0]

    def step():
        s = counter[0] % n_batches
        counter[0] += 1
        total = 0.0
        for a in range(accum):
            loss = model(inputs[s, a], targets[s, a])
            (loss / accum).backward()
            total = total + loss.detach()
        if masters is not None:
            with torch.no_grad():
                for m, p in zip(masters, params):
                    m.grad.copy_(p.grad)  # bf16 -> fp32
        if cfg["clip"]:
            torch.nn.utils.clip_grad_norm_(opt_params, cfg["clip"])
        opt.step()
        if masters is not None:
            with torch.no_grad():
                for p, m in zip(params, masters):
                    p.copy_(m)
        for p in params:
            p.grad = None
        return total / accum

    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    times, losses = [], []
    for i in range(args.warmup + args.steps):
        sync(device)
        t0 = time.perf_counter()
        loss = step()
        sync(device)
        if i >= args.warmup:
            times.append(time.perf_counter() - t0)
        losses.append(float(loss))
    peak_bytes = torch.cuda.max_memory_allocated(device) if device.type == "cuda" else None

    breakdown = None
    if args.profile_steps > 0:
        try:
            breakdown = profile_breakdown(step, device, args.profile_steps)
        except Exception as e:  # the timing stands without the breakdown
            breakdown = {"error": f"{type(e).__name__}: {e}"}

    median = statistics.median(times)
    tokens = micro * accum * args.context
    psi = parameter_count(args.vocab, args.context, args.width, args.layers)
    attn_flops = 12 * args.layers * args.context * args.width * tokens  # QK^T and PV, fwd+bwd
    print(json.dumps({
        "bench": "torch_gpu_train_step", "torch": torch.__version__, "device": str(device),
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "precision": "bf16" if bf16 else "fp32", "attention": args.attention,
        "optimizer": f"AdamW({opt_impl})", "layers": args.layers, "width": args.width,
        "heads": args.heads, "vocab": args.vocab, "context": args.context, "micro_batch": micro,
        "accum": accum, "psi": psi, "tokens_per_step": tokens, "steps": args.steps,
        "warmup": args.warmup, "step_time_s": median, "step_time_min_s": min(times),
        "tokens_per_s": tokens / median, "peak_flops": peak, "peak_dtype": peak_dtype,
        "mfu": 6 * psi * tokens / median / peak if peak else None,
        "mfu_with_attention": (6 * psi * tokens + attn_flops) / median / peak if peak else None,
        "peak_memory_bytes": peak_bytes, "losses": losses, "breakdown": breakdown}))


if __name__ == "__main__":
    main()
