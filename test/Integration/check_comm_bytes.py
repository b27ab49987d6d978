"""Checks a ds-run training log's reduce_scatter and all_gather bytes per step and rank.

    check_comm_bytes.py RUN.jsonl --ranks N --elements P [--reduce-scatters R] [--all-gathers A]

Each reduce_scatter and all_gather of P f32 elements over N ranks counts (N-1)/N * 4 * P bus
bytes (nccl-tests' convention); every step of every rank must show exactly R and A of them.
"""
import argparse
import json
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("run")
    parser.add_argument("--ranks", type=int, required=True)
    parser.add_argument("--elements", type=int, required=True)
    parser.add_argument("--reduce-scatters", type=int, default=1)
    parser.add_argument("--all-gathers", type=int, default=1)
    args = parser.parse_args()
    unit = (args.ranks - 1) * 4 * args.elements // args.ranks
    want = (args.reduce_scatters * unit, args.all_gathers * unit)
    with open(args.run) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    got = {(row["comm_bytes"]["reduce_scatter"][rank], row["comm_bytes"]["all_gather"][rank])
           for row in rows for rank in range(args.ranks)}
    ok = got == {want}
    print(f"{'OK' if ok else 'FAIL'}: reduce_scatter, all_gather bytes per step and rank "
          f"{sorted(got)}, expected {want}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
