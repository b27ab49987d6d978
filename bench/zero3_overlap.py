#!/usr/bin/env python3
"""How much of ZeRO-3's gather time a ds-run trace shows hidden behind compute.

    zero3_overlap.py TRACE.json [--skip-steps K]

ds-run --trace writes one Chrome-trace process per rank with a `compute` and a `comm` thread.
For every all_gather on the comm thread this sums the part of its interval during which the
compute thread of the same rank was running an instruction, and prints per rank: gathers, their
total time, the time overlapped by compute, and the ratio. Open the trace in chrome://tracing or
Perfetto to see it.
"""
import argparse
import json
from collections import defaultdict


def merged(intervals):
    out = []
    for start, end in sorted(intervals):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return out


def covered(start, end, spans):
    """Length of [start, end) covered by the sorted, disjoint `spans`."""
    total = 0.0
    for s, e in spans:
        if e <= start:
            continue
        if s >= end:
            break
        total += min(e, end) - max(s, start)
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("trace")
    args = ap.parse_args()
    with open(args.trace) as f:
        trace = json.load(f)
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    threads = {}
    for e in events:
        if e.get("ph") == "M" and e.get("name") == "thread_name":
            threads[(e["pid"], e["tid"])] = e["args"]["name"]
    compute, gathers = defaultdict(list), defaultdict(list)
    for e in events:
        if e.get("ph") != "X":
            continue
        thread = threads.get((e["pid"], e["tid"]))
        span = (e["ts"], e["ts"] + e["dur"])
        if thread == "compute":
            compute[e["pid"]].append(span)
        elif thread == "comm" and e["name"] == "all_gather":
            gathers[e["pid"]].append(span)
    print(f"{'rank':>4} {'gathers':>8} {'gather ms':>10} {'overlapped ms':>14} {'overlap':>8}")
    for rank in sorted(gathers):
        spans = merged(compute[rank])
        total = sum(e - s for s, e in gathers[rank])
        hidden = sum(covered(s, e, spans) for s, e in gathers[rank])
        print(f"{rank:>4} {len(gathers[rank]):>8} {total / 1e3:>10.2f} {hidden / 1e3:>14.2f} "
              f"{hidden / total if total else 0:>8.1%}")


if __name__ == "__main__":
    main()
