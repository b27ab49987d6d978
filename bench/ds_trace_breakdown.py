#!/usr/bin/env python3
"""Where a ds-run step's time goes: a ds-run --trace file summed per op, per stream.

    ds_trace_breakdown.py TRACE.json [--steps N] [--skip K] [--rank R] [--top 15] [--json-only]

ds-run --trace (lib/Runtime/run/StepReport.cpp) writes a Chrome trace: one process per rank (pid =
rank), threads named by stream (`compute`, `comm`), and one complete event ("ph": "X", ts and dur
in microseconds) per executed instruction, named by its op (`matmul`, `layer_norm`, `all_gather`,
...), for every step of the run. With --backend cuda each instruction is timed with the device
synchronized, so the compute stream's events are a per-op kernel breakdown.

--steps N says how many steps the trace holds (ds-run's --steps); every step runs the same
instruction list, so the compute events split into N equal runs and --skip K drops the first K of
them (warm-up: allocation, cuBLAS heuristics) together with the comm events that start before the
first kept compute event. Times are per kept step. Prints one JSON line, then a markdown table
per stream (top N ops by time: total ms per step, calls per step, share of that stream's time).
Standard library only.
"""
import argparse
import json
import sys
from collections import defaultdict


def load_events(path, rank):
    with open(path) as f:
        trace = json.load(f)
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    threads = {}
    for e in events:
        if e.get("ph") == "M" and e.get("name") == "thread_name":
            threads[(e["pid"], e["tid"])] = e["args"]["name"]
    by_stream = defaultdict(list)
    for e in events:
        if e.get("ph") != "X" or e.get("pid") != rank:
            continue
        stream = threads.get((e["pid"], e["tid"]), e.get("cat", str(e.get("tid"))))
        by_stream[stream].append((float(e["ts"]), float(e.get("dur") or 0.0), e["name"]))
    for spans in by_stream.values():
        spans.sort()
    return by_stream


def breakdown(path, steps=1, skip=0, rank=0, top=15):
    by_stream = load_events(path, rank)
    if not by_stream:
        raise ValueError(f"{path}: no instruction events for rank {rank}")
    compute = by_stream.get("compute", [])
    note = None
    kept_steps = steps
    start = None
    if skip and compute:
        if steps > skip and len(compute) % steps == 0:
            per = len(compute) // steps
            start = compute[skip * per][0]
            kept_steps = steps - skip
        else:
            note = (f"{len(compute)} compute events do not split into {steps} equal steps "
                    f"(or --skip {skip} >= --steps): nothing skipped")
    result = {"trace": path, "rank": rank, "steps": kept_steps, "skipped_steps": steps - kept_steps,
              "streams": {}}
    if note:
        result["note"] = note
    for stream in sorted(by_stream, key=lambda s: (s != "compute", s)):
        spans = [s for s in by_stream[stream] if start is None or s[0] >= start]
        if not spans:
            continue
        total, count = defaultdict(float), defaultdict(int)
        for _, dur, name in spans:
            total[name] += dur
            count[name] += 1
        grand = sum(total.values())
        ops = [{"op": n, "ms_per_step": total[n] / 1e3 / kept_steps,
                "calls_per_step": count[n] / kept_steps,
                "share": total[n] / grand if grand else 0.0}
               for n in sorted(total, key=lambda n: -total[n])]
        wall = (spans[-1][0] + spans[-1][1] - spans[0][0]) / 1e3 / kept_steps
        result["streams"][stream] = {"busy_ms_per_step": grand / 1e3 / kept_steps,
                                     "span_ms_per_step": wall, "ops": len(ops),
                                     "top": ops[:top]}
    return result


def markdown(result):
    lines = []
    for stream, s in result["streams"].items():
        lines.append(f"**{stream} stream** (rank {result['rank']}, {result['steps']} step(s) after "
                     f"{result['skipped_steps']} skipped): busy {s['busy_ms_per_step']:.3f} ms/step "
                     f"over a span of {s['span_ms_per_step']:.3f} ms/step, {s['ops']} op kinds")
        lines.append("")
        lines.append("| op | ms/step | calls/step | share |")
        lines.append("|---|---:|---:|---:|")
        for o in s["top"]:
            lines.append(f"| {o['op']} | {o['ms_per_step']:.3f} | {o['calls_per_step']:g} | "
                         f"{o['share']:.1%} |")
        lines.append("")
    if "note" in result:
        lines.append(f"Note: {result['note']}")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("trace")
    ap.add_argument("--steps", type=int, default=1, help="steps in the trace (ds-run --steps)")
    ap.add_argument("--skip", type=int, default=0, help="leading steps to leave out (warm-up)")
    ap.add_argument("--rank", type=int, default=0)
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--json-only", action="store_true")
    args = ap.parse_args()
    if args.steps < 1 or args.skip < 0:
        ap.error("--steps must be >= 1 and --skip >= 0")
    try:
        result = breakdown(args.trace, args.steps, args.skip, args.rank, args.top)
    except (OSError, ValueError, KeyError) as e:
        sys.exit(f"ds_trace_breakdown.py: {e}")
    print(json.dumps(result))
    if not args.json_only:
        print()
        print(markdown(result))


if __name__ == "__main__":
    main()
