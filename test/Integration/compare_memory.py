#!/usr/bin/env python3
"""Checks ds-opt --ds-memory-report=json against what ds-run measured (run.jsonl).

Every rank's peak_bytes after the last step (the allocator's peak is never reset, so it is the
run's) must be within --rtol of the predicted per-rank peak, and every step's comm_bytes per
collective kind and rank must equal the predicted bus bytes per step exactly.

  compare_memory.py report.json run.jsonl [--rtol 0.05]
"""
import argparse
import json
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("report")
    ap.add_argument("log")
    ap.add_argument("--rtol", type=float, default=0.05)
    args = ap.parse_args()
    with open(args.report) as f:
        report = json.load(f)
    with open(args.log) as f:
        steps = [json.loads(line) for line in f if line.strip()]
    if not steps:
        sys.exit(f"{args.log}: no steps")
    predicted = report["per_rank"]["predicted_peak"]
    failed = False
    for rank, measured in enumerate(steps[-1]["peak_bytes"]):
        rel = abs(measured - predicted) / measured
        print(f"rank {rank}: predicted peak {predicted} bytes, measured {measured} "
              f"({100 * rel:.2f}% apart)")
        failed |= rel > args.rtol
    comm = report["comm_bytes_per_step"]
    for step in steps:
        for kind, per_rank in step["comm_bytes"].items():
            want = comm.get(kind, {}).get("bus_bytes", 0)
            for rank, got in enumerate(per_rank):
                if got != want:
                    print(f"step {step['step']} rank {rank}: {kind} moved {got} bus bytes, "
                          f"predicted {want}")
                    failed = True
    print("FAILED" if failed else "OK")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
