"""Compares a ds-run training log (--log run.jsonl) with an expected curve.

    compare_curves.py RUN.jsonl EXPECTED.json [--key loss] [--rtol 1e-4] [--steps N]
    compare_curves.py RUN.jsonl OTHER.jsonl ...   (a second run's log as the reference)

EXPECTED.json holds lists per key ({"loss": [...], "lr": [...], "grad_norm": [...]}), as
examples/gpt/train_reference.py writes them. Every step of the log must be within rtol of the
reference, relative to the reference's magnitude; prints the worst step and exits 1 on failure.
"""
import argparse
import json
import sys


def load(path, key):
    if path.endswith(".jsonl"):
        with open(path) as f:
            rows = [json.loads(line) for line in f if line.strip()]
        return {row["step"]: row[key] for row in rows}
    with open(path) as f:
        values = json.load(f)[key]
    return {i + 1: v for i, v in enumerate(values)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("run")
    parser.add_argument("expected")
    parser.add_argument("--key", default="loss")
    parser.add_argument("--rtol", type=float, default=1e-4)
    parser.add_argument("--steps", type=int, default=0, help="compare only the first N steps")
    parser.add_argument("--first-step", type=int, default=1)
    args = parser.parse_args()
    run = load(args.run, args.key)
    expected = load(args.expected, args.key)
    steps = sorted(s for s in run if s >= args.first_step)
    if args.steps:
        steps = steps[: args.steps]
    if not steps:
        sys.exit(f"{args.run}: no steps to compare")
    worst, worst_step = 0.0, steps[0]
    for step in steps:
        if step not in expected:
            sys.exit(f"{args.expected}: no {args.key} for step {step}")
        got, want = run[step], expected[step]
        if got is None or want is None:
            sys.exit(f"step {step}: {args.key} is {got} (expected {want})")
        err = abs(got - want) / max(abs(want), 1e-12)
        if err > worst:
            worst, worst_step = err, step
    ok = worst <= args.rtol
    print(f"{'OK' if ok else 'FAIL'}: {len(steps)} steps of {args.key}, worst relative error "
          f"{worst:.3g} at step {worst_step} (rtol {args.rtol})")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
