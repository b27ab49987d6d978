#!/usr/bin/python3
"""Compares .npy outputs of ds-run against committed expected values.

    compare_npy.py [--rtol R] [--atol A] ACTUAL.npy=EXPECTED.npy ...
    compare_npy.py [--rtol R] [--atol A] --dir OUT_DIR EXPECTED_DIR

--scale-atol S sets the absolute tolerance of each pair to S * max|expected|: relative to the
tensor's scale, for values (logits) whose elements cross zero, where a pure relative bound is
meaningless.

With --dir, every EXPECTED_DIR/expected_NAME.rankR.npy is compared with OUT_DIR/NAME.rankR.npy.
Prints one line per pair with the worst error; exits 1 if any pair differs, a file is missing or
a shape differs.
"""
import argparse
import pathlib
import re
import sys

import numpy as np


def compare(actual_path, expected_path, rtol, atol, scale_atol=None):
    try:
        actual = np.load(actual_path)
    except (OSError, ValueError) as e:
        print(f"FAIL {actual_path}: cannot read ({e})")
        return False
    expected = np.load(expected_path)
    if actual.shape != expected.shape:
        print(f"FAIL {actual_path}: shape {actual.shape}, expected {expected.shape}")
        return False
    a = actual.astype(np.float64)
    e = expected.astype(np.float64)
    err = np.abs(a - e)
    if scale_atol is not None:
        atol = scale_atol * float(np.abs(e).max()) if e.size else 0.0
    bound = atol + rtol * np.abs(e)
    worst = int(np.argmax(err - bound)) if err.size else 0
    ok = bool(np.all(err <= bound))
    status = "PASS" if ok else "FAIL"
    max_err = float(err.max()) if err.size else 0.0
    print(f"{status} {actual_path}: max abs error {max_err:.3e}"
          + ("" if ok else f" at flat index {worst}: {a.flat[worst]!r} vs {e.flat[worst]!r}"))
    return ok


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rtol", type=float, default=1e-4)
    parser.add_argument("--atol", type=float, default=1e-5)
    parser.add_argument("--scale-atol", type=float, default=None)
    parser.add_argument("--dir", nargs=2, metavar=("OUT_DIR", "EXPECTED_DIR"))
    parser.add_argument("pairs", nargs="*")
    args = parser.parse_args()
    pairs = [p.split("=", 1) for p in args.pairs]
    if args.dir:
        out, expected_dir = map(pathlib.Path, args.dir)
        for e in sorted(expected_dir.glob("expected_*.npy")):
            m = re.fullmatch(r"expected_(.+)\.npy", e.name)
            pairs.append((str(out / m.group(1)) + ".npy", str(e)))
    if not pairs:
        print("FAIL: nothing to compare")
        return 1
    results = [compare(a, e, args.rtol, args.atol, args.scale_atol) for a, e in pairs]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
