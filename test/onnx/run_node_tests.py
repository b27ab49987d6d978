#!/usr/bin/python3
"""Runs ONNX's own backend node tests (Debian's libonnx-testdata) through ds-run --onnx-test.

Every test directory under DATA_DIR is run; the ones that pass are compared with the committed
baseline (node-tests-passing.txt): a test that passed before and fails now is a regression and
fails this run. Newly passing tests are listed so the baseline can be raised:

    test/onnx/run_node_tests.py --ds-run build/bin/ds-run --update-baseline
"""
import argparse
import concurrent.futures
import os
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent


def run_one(ds_run, test_dir):
    try:
        proc = subprocess.run([ds_run, "--onnx-test", str(test_dir)], capture_output=True,
                              text=True, timeout=120)
        line = (proc.stdout.strip().splitlines() or [proc.stderr.strip()[:300]])[-1]
        return test_dir.name, proc.returncode == 0, line
    except subprocess.TimeoutExpired:
        return test_dir.name, False, f"FAIL {test_dir}: timed out"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ds-run", required=True)
    parser.add_argument("--data-dir", default="/usr/share/libonnx-testdata/data/node")
    parser.add_argument("--baseline", default=str(HERE / "node-tests-passing.txt"))
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--update-baseline", action="store_true")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()

    data = pathlib.Path(args.data_dir)
    tests = sorted(p for p in data.iterdir() if (p / "model.onnx").exists())
    if not tests:
        print(f"no ONNX node tests under {data} (install libonnx-testdata)")
        return 1
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(lambda t: run_one(args.ds_run, t), tests))
    passing = {name for name, ok, _ in results if ok}
    if args.verbose:
        for _, _, line in results:
            print(line)

    baseline_path = pathlib.Path(args.baseline)
    baseline = set()
    if baseline_path.exists():
        baseline = {l.strip() for l in baseline_path.read_text().splitlines()
                    if l.strip() and not l.startswith("#")}
    regressions = sorted(baseline - passing)
    new = sorted(passing - baseline)
    for name, ok, line in results:
        if name in regressions:
            print(f"REGRESSION {line}")
    if new:
        print(f"{len(new)} test(s) pass that the baseline does not list: {' '.join(new[:20])}"
              + (" ..." if len(new) > 20 else ""))
    if args.update_baseline:
        baseline_path.write_text(
            "# ONNX backend node tests (libonnx-testdata) that ds passes; made by\n"
            "# test/onnx/run_node_tests.py --update-baseline. A test listed here that fails is a\n"
            "# regression.\n" + "".join(f"{n}\n" for n in sorted(passing)))
        print(f"baseline updated: {baseline_path}")
    print(f"ONNX node tests: {len(passing)} of {len(tests)} pass; "
          f"{len(regressions)} regression(s) against the baseline of {len(baseline)}")
    print(f"{len(passing)} passed, {len(tests) - len(passing)} failed")
    return 1 if regressions and not args.update_baseline else 0


if __name__ == "__main__":
    sys.exit(main())
