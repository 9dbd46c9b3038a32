#!/usr/bin/env python3
"""Merges MicrogradPlus results (JSON lines from MicrogradPlus.Benchmarks) with torch_twin.py's into one table.

    python3 benchmarks/side_by_side.py OURS.jsonl TORCH.jsonl [--out TABLE.md]

One row per MicrogradPlus measurement: workload, size, our device, our mean (us), PyTorch's mean (us) for the same
workload and size, the ratio ours / PyTorch (below 1: we are faster), and the rate of both — GB/s for bandwidth-bound
workloads, GFLOP/s for matmul and MLP steps — computed from the work our benchmark recorded (bytes, flops), so both
columns count the same bytes. Every matmul kernel of ours (naive, tiled, blocked, auto, cuBLAS) is compared with torch.matmul,
the primitive-level dispatch with PyTorch's tensor add, and add_baseline (the CPU TensorPrimitives comparison) with
PyTorch's add.
"""
import argparse
import json
import sys

ORDER = ["add", "mul", "exp", "add_baseline", "add_row", "add_col", "sum_all", "sum_rows", "sum_cols",
         "matmul_naive", "matmul_tiled", "matmul_blocked", "matmul_auto", "matmul_cublas", "softmax", "cross_entropy"]


def torch_names(name):
    """The PyTorch workloads a row of ours is compared with: a captured MLP step with PyTorch's CUDA-graph step (its
    strongest peer) and with its eager step, each on a row of its own."""
    if name.startswith("matmul_"):
        return ["matmul"]
    if name == "dispatch_primitive_add":
        return ["dispatch_tensor_add"]
    if name == "add_baseline":
        return ["add"]
    if name.endswith("_captured"):
        step = name[: -len("_captured")]
        return [step + "_cudagraph", step]
    return [name]


def read(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                rows.append(json.loads(line))
    return rows


def size_label(size):
    for shift, unit in ((20, "M"), (10, "K")):
        if size >= 1 << shift and size % (1 << shift) == 0:
            return f"{size >> shift}{unit}"
    return str(size)


def rate(row, mean_us):
    """(value, unit) from the work recorded by our benchmark."""
    if not mean_us:
        return None, ""
    if row.get("flops"):
        return row["flops"] / (mean_us * 1e3), "GFLOP/s"
    if row.get("bytes"):
        return row["bytes"] / (mean_us * 1e3), "GB/s"
    return None, ""


def fmt(value, digits=1):
    if value is None:
        return "—"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:.{digits}f}"
    return f"{value:.3g}"


def twins(row, torch_by_key):
    """(torch row or None, label) for each PyTorch workload this row is compared with; at least one."""
    found = []
    for name in torch_names(row["name"]):
        twin = torch_by_key.get((name, int(row["size"])))
        if twin:
            found.append((twin, row["name"] if name == row["name"] else f"{row['name']} vs {name}"))
    return found or [(None, row["name"])]


def table(ours, torch_rows):
    torch_by_key = {(r["name"], int(r["size"])): r for r in torch_rows}
    torch_device = torch_rows[0]["device"] if torch_rows else "?"

    def order(row):
        name = row["name"]
        return (ORDER.index(name) if name in ORDER else len(ORDER), name, int(row["size"]), row["device"])

    lines = [f"| workload | size | ours on | ours µs | torch ({torch_device}) µs | ours/torch | ours rate "
             "| torch rate |",
             "|---|---:|---|---:|---:|---:|---:|---:|"]
    ratios = []
    for row, twin, label in ((row, twin, label) for row in sorted(ours, key=order)
                             for twin, label in twins(row, torch_by_key)):
        ours_us = row["mean_us"]
        torch_us = twin["mean_us"] if twin else None
        ratio = ours_us / torch_us if torch_us else None
        if ratio:
            ratios.append(ratio)
        ours_rate, unit = rate(row, ours_us)
        torch_rate, _ = rate(row, torch_us)
        unit = f" {unit}" if unit else ""
        lines.append(f"| {label} | {size_label(int(row['size']))} | {row['device']} | {fmt(ours_us)} | "
                     f"{fmt(torch_us)} | {fmt(ratio, 2)} | {fmt(ours_rate)}{unit if ours_rate else ''} | "
                     f"{fmt(torch_rate)}{unit if torch_rate else ''} |")
    return lines, ratios


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("ours", help="MicrogradPlus JSON lines (microgradplus-results.jsonl)")
    parser.add_argument("torch", help="torch_twin.py JSON lines")
    parser.add_argument("--out", default=None, help="also write the markdown table here")
    args = parser.parse_args()
    ours, torch_rows = read(args.ours), read(args.torch)
    if not ours:
        sys.exit(f"side_by_side: no results in {args.ours}")
    lines, ratios = table(ours, torch_rows)
    if ratios:
        product = 1.0
        for r in ratios:
            product *= r
        geo = product ** (1.0 / len(ratios))
        lines.append("")
        lines.append(f"{len(ratios)} matched rows; geometric mean of ours/torch: {geo:.2f} "
                     f"(below 1: MicrogradPlus faster)")
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
