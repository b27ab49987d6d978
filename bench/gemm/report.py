#!/usr/bin/python3
"""Prints the bench/gemm table (markdown) from the CSV files of gemm_bench and torch_gemm.py.

  report.py [--shapes shapes.txt] torch.csv openblas.csv dnnl_sgemm.csv dnnl_matmul.csv ...

Files of the same library (one per pass) are merged: per entry, the best pass's median time.

Each library column is GFLOP/s and, in parentheses, the ratio library / PyTorch (> 1: the
library is faster than torch.matmul on that shape). The summary gives geometric means of those
ratios, and of oneDNN over OpenBLAS (the choice ds has to make). With --shapes, the GEMM time of
one bench/forward step per library, from the `use` column of shapes.txt.
"""
import collections
import csv
import math
import sys

LIB_ORDER = ["openblas", "openblas_ompbatch", "dnnl_sgemm", "dnnl_matmul", "dnnl_matmul_packed"]


def read(path):
    with open(path) as f:
        rows = [r for r in csv.DictReader(line for line in f if not line.startswith("#"))]
    return {(r["shape"], r["form"]): r for r in rows}


def noisy(row):
    p = row.get("passes", [])
    return "*" if len(p) > 1 and (max(p) - min(p)) > 0.15 * max(p) else ""


def geomean(xs):
    return f"{math.exp(sum(math.log(x) for x in xs) / len(xs)):.2f}" if xs else "—"


def read_uses(path):
    """{(shape, form): count} from the optional `use` column of shapes.txt."""
    uses = {}
    with open(path) as f:
        for line in f:
            fields = line.split()
            if len(fields) >= 6 and not line.startswith("#"):
                form, count = fields[5].split("*")
                uses[(fields[0], form)] = int(count)
    return uses


def print_workload(tables, libs, uses):
    """GEMM time of one bench/forward step per library: sum of count x median over its GEMMs."""
    if not uses:
        return

    def total(lib, fallback=None, batched_from=None):
        t = 0.0
        for key, count in uses.items():
            batched = int(tables["torch"][key]["batch"]) > 1
            src = batched_from if (batched and batched_from) else lib
            row = tables.get(src, {}).get(key) or tables.get(fallback, {}).get(key)
            if row is None:
                return None
            t += count * float(row["median_s"])
        return t

    combos = [("PyTorch (torch.matmul)", total("torch"))]
    names = {"openblas": "openblas (ds-run today: loop over the batch)",
             "openblas_ompbatch": "openblas, batch as OpenMP loop of 1-thread sgemm",
             "dnnl_sgemm": "dnnl_sgemm (loop over the batch)",
             "dnnl_matmul": "dnnl_matmul (plain layouts)",
             "dnnl_matmul_packed": "dnnl_matmul, weights pre-packed; batched as dnnl_matmul"}
    fallbacks = {"openblas_ompbatch": "openblas", "dnnl_matmul_packed": "dnnl_matmul"}
    for l in libs:
        combos.append((names.get(l, l), total(l, fallbacks.get(l))))
    if "dnnl_sgemm" in libs and "dnnl_matmul" in libs:
        combos.append(("dnnl_sgemm + dnnl_matmul for batched",
                       total("dnnl_sgemm", batched_from="dnnl_matmul")))
    torch_t = combos[0][1]
    openblas_t = total("openblas") if "openblas" in libs else None
    print()
    print(f"GEMMs of one bench/forward step ({sum(uses.values())} GEMMs; sum of count × median, "
          "no other work):")
    print()
    print("| GEMM library | ms/step | ×PyTorch (time ratio PyTorch/lib) | ×OpenBLAS |")
    print("|---|---:|---:|---:|")
    for name, t in combos:
        if t is None:
            continue
        vs_ob = f"{openblas_t / t:.2f}" if openblas_t else "—"
        print(f"| {name} | {t * 1e3:.1f} | {torch_t / t:.2f} | {vs_ob} |")


def main(paths, shapes_path=None):
    # Several files of one library (passes of run_gemm.sh): per entry, the best pass's median time.
    # Other sessions on the machine only ever slow a pass down, so the best pass is the estimate
    # of what the library does; entries whose passes differ by more than 15% are marked.
    passes = collections.defaultdict(list)
    for p in paths:
        t = read(p)
        passes[next(iter(t.values()))["lib"]].append(t)
    tables = {}
    for lib, runs in passes.items():
        merged = {}
        for key in runs[0]:
            rows = [r[key] for r in runs if key in r]
            row = dict(rows[0])
            t = min(float(r["median_s"]) for r in rows)
            flops = 2.0 * int(row["batch"]) * int(row["m"]) * int(row["n"]) * int(row["k"])
            row["median_s"], row["gflops"] = str(t), str(flops / t * 1e-9)
            row["passes"] = [float(r["gflops"]) for r in rows]
            merged[key] = row
        tables[lib] = merged
    npasses = max(len(r) for r in passes.values())
    if npasses > 1:
        print(f"(each entry: the best of {npasses} passes' medians; * = the passes differ by "
              "more than 15%, i.e. another process got in the way of one of them)")
        print()
    if "torch" not in tables:
        sys.exit("report.py: no torch results among the inputs")
    libs = [l for l in LIB_ORDER if l in tables]
    torch = tables["torch"]

    print("| shape | form | batch×M×N×K | PyTorch GFLOP/s | "
          + " | ".join(f"{l} GFLOP/s (×PyTorch)" for l in libs) + " |")
    print("|---|---|---|---:|" + "---:|" * len(libs))
    ratios = {l: {"all": [], "single": [], "batched": []} for l in libs}
    vs_openblas = {l: {"all": [], "single": [], "batched": []} for l in libs if l != "openblas"}
    for key, tr in torch.items():
        shape, form = key
        dims = f"{tr['batch']}×{tr['m']}×{tr['n']}×{tr['k']}"
        cells = []
        kind = "batched" if int(tr["batch"]) > 1 else "single"
        for l in libs:
            r = tables[l].get(key)
            if r is None:
                cells.append("—")
                continue
            g, gt = float(r["gflops"]), float(tr["gflops"])
            ratio = g / gt
            ratios[l]["all"].append(ratio)
            ratios[l][kind].append(ratio)
            if l in vs_openblas and key in tables.get("openblas", {}):
                rel = g / float(tables["openblas"][key]["gflops"])
                vs_openblas[l]["all"].append(rel)
                vs_openblas[l][kind].append(rel)
            cells.append(f"{g:.0f}{noisy(r)} ({ratio:.2f})")
        print(f"| {shape} | {form} | {dims} | {float(tr['gflops']):.0f}{noisy(tr)} | "
              + " | ".join(cells) + " |")

    print()
    print("| geometric mean | " + " | ".join(libs) + " |")
    print("|---|" + "---:|" * len(libs))
    def complete(table, l, kind):  # "all shapes" only for a library that ran every kind
        return kind != "all" or (table[l]["single"] and table[l]["batched"])

    for kind, label in (("single", "×PyTorch, single GEMMs"), ("batched", "×PyTorch, batched attention"),
                        ("all", "×PyTorch, all shapes")):
        print(f"| {label} | " + " | ".join(
            geomean(ratios[l][kind]) if complete(ratios, l, kind) else "—" for l in libs) + " |")
    if vs_openblas:
        for kind, label in (("single", "×OpenBLAS, single GEMMs"),
                            ("batched", "×OpenBLAS, batched attention"), ("all", "×OpenBLAS, all shapes")):
            print(f"| {label} | " + " | ".join(
                "1.00" if l == "openblas" else
                geomean(vs_openblas[l][kind]) if complete(vs_openblas, l, kind) else "—"
                for l in libs) + " |")
    if shapes_path:
        print_workload(tables, libs, read_uses(shapes_path))


if __name__ == "__main__":
    args = sys.argv[1:]
    shapes = None
    if len(args) >= 2 and args[0] == "--shapes":
        shapes, args = args[1], args[2:]
    if len(args) < 2:
        sys.exit(__doc__)
    main(args, shapes)
