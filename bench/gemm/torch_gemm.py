#!/usr/bin/python3
"""The PyTorch baseline of bench/gemm: torch.matmul (fp32, CPU) on the shapes of shapes.txt.

Same forms, timing policy and CSV columns as gemm_bench (two warm-up calls, then the median of at
least 5 calls and --min-time seconds). Run with Debian's /usr/bin/python3 (python3-torch).

  /usr/bin/python3 torch_gemm.py [--shapes shapes.txt] [--threads N] [--min-time S]
"""
import argparse
import os
import statistics
import time

import torch


def read_shapes(path):
    shapes = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, batch, m, n, k = line.split()[:5]
            shapes.append((name, int(batch), int(m), int(n), int(k)))
    return shapes


def time_median(call, min_time, max_reps):
    # Warm-up: at least 2 calls and 0.1 s, as gemm_bench does.
    w0, i = time.perf_counter(), 0
    while i < 2 or (time.perf_counter() - w0 < 0.1 and i < max_reps):
        call()
        i += 1
    times = []
    while (len(times) < 5 or sum(times) < min_time) and len(times) < max_reps:
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), len(times)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shapes", default=os.path.join(here, "shapes.txt"))
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--min-time", type=float, default=0.3)
    ap.add_argument("--max-reps", type=int, default=200)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(1234)
    print(f"# torch {torch.__version__} threads={torch.get_num_threads()}")
    print("lib,shape,form,batch,m,n,k,reps,median_s,gflops,max_rel_err,impl")
    with torch.no_grad():
        for name, batch, m, n, k in read_shapes(args.shapes):
            lead = (batch,) if batch > 1 else ()
            a = torch.rand(*lead, m, k) * 2 - 1
            for form in ("NN", "NT"):
                if form == "NN":
                    b = torch.rand(*lead, k, n) * 2 - 1
                    bop = b
                else:
                    b = torch.rand(*lead, n, k) * 2 - 1
                    bop = b.transpose(-1, -2)
                c = torch.empty(*lead, m, n)
                t, reps = time_median(lambda: torch.matmul(a, bop, out=c), args.min_time,
                                      args.max_reps)
                ref = torch.matmul(a.double(), bop.double())
                err = ((c.double() - ref).abs() / torch.matmul(a.double().abs(), bop.double().abs())
                       .clamp_min(1e-30)).max().item()
                gflops = 2.0 * batch * m * n * k / t * 1e-9
                print(f"torch,{name},{form},{batch},{m},{n},{k},{reps},{t:.6e},{gflops:.2f},"
                      f"{err:.2e},torch.matmul", flush=True)


if __name__ == "__main__":
    main()
