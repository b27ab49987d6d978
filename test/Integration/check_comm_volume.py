#!/usr/bin/env python3
"""Checks a ds-run training log's communication volume per step and rank in units of the model.

    check_comm_volume.py RUN.jsonl --ranks N --psi P --expect X [--rtol 0.01] [--bytes 4]

The bus bytes of every collective kind (nccl-tests' convention, as ds-run counts them:
(N-1)/N of the message for all_gather and reduce_scatter, 2(N-1)/N for all_reduce) are summed
per step and rank and divided by (N-1)/N * P * bytes, the traffic of one all_gather of the whole
model: the ZeRO paper's unit, in which data parallelism and ZeRO stages 1 and 2 move 2 and
stage 3 moves 3. Every step of every rank must be within --rtol of X.
"""
import argparse
import json
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run")
    parser.add_argument("--ranks", type=int, required=True)
    parser.add_argument("--psi", type=int, required=True)
    parser.add_argument("--expect", type=float, required=True)
    parser.add_argument("--rtol", type=float, default=0.01)
    parser.add_argument("--bytes", type=int, default=4, help="bytes per element (4: fp32)")
    args = parser.parse_args()
    unit = (args.ranks - 1) / args.ranks * args.psi * args.bytes
    with open(args.run) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    if not rows:
        sys.exit(f"{args.run}: no steps")
    volumes = sorted({sum(kind[rank] for kind in row["comm_bytes"].values()) / unit
                      for row in rows for rank in range(args.ranks)})
    ok = all(abs(v - args.expect) <= args.rtol * args.expect for v in volumes)
    print(f"{'OK' if ok else 'FAIL'}: communication per step and rank "
          f"{', '.join(f'{v:.6f}' for v in volumes)} x Psi, expected {args.expect} "
          f"within rtol {args.rtol:g}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
