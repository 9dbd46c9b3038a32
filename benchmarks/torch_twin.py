#!/usr/bin/env python3
"""PyTorch twin of benchmarks/MicrogradPlus.Benchmarks: the same workloads, sizes and timing discipline.

Each timed call ends with a device synchronize (torch.cuda.synchronize on CUDA), as every MicrogradPlus benchmark
call ends with Device.Synchronize(); calls are repeated until one iteration lasts --min-time seconds, and the mean
per call over --iterations iterations is reported (BenchmarkDotNet's short job does the same). Inputs and outputs
are allocated before timing (out= where PyTorch has it). Prints one JSON object per line:

    {"name": "add", "device": "cuda", "size": 1048576, "mean_us": 5.1, "stddev_us": 0.1, ...}

Names and sizes match the "name"/"size" of the MicrogradPlus results (benchmarks/side_by_side.py joins them).
Works with torch 1.13 (Debian's python3-torch) and 2.x.

    python3 benchmarks/torch_twin.py [--device auto|cpu|cuda] [--quick] [--filter REGEX] [--out FILE.jsonl]
"""
import argparse
import json
import math
import re
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

CLASSES = 1000          # softmax / cross-entropy logits are [rows, 1000]
TINY = 16               # dispatch-overhead tensors
DISPATCH_OPS = 100      # adds per dispatch call
CPU_MAX_ELEMENTS = 1 << 22
MODELS = {"2-16-16-1": ([2, 16, 16, 1], 100), "784-256-256-10": ([784, 256, 256, 10], 256)}


def sizes(quick, on_cpu):
    """The parameter lists of the C# benchmarks (BenchSettings), with their CPU caps."""
    elementwise = [1 << 16] if quick else [1 << (2 * k) for k in range(5, 14)]
    matmul = [64] if quick else [1 << k for k in range(6, 13)]
    rows = [64] if quick else [64, 1024, 8192]
    models = ["2-16-16-1"] if quick else list(MODELS)
    if on_cpu:
        elementwise = [s for s in elementwise if s <= CPU_MAX_ELEMENTS]
        matmul = [n for n in matmul if n <= 1024]
    return elementwise, matmul, rows, models


def measure(fn, sync, min_time, iterations, warmup, ops=1):
    """Mean and standard deviation of one call (per op) in microseconds; fn's calls each end with sync()."""
    def run(n):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        return time.perf_counter() - start

    for _ in range(max(1, warmup)):
        fn()
    sync()
    calls = 1
    while True:  # pilot: enough calls per iteration to last min_time
        elapsed = run(calls)
        if elapsed >= min_time or calls >= 1 << 20:
            break
        calls = min(1 << 20, max(calls * 2, int(math.ceil(calls * min_time * 1.1 / max(elapsed, 1e-9)))))
    samples = [run(calls) / calls / ops * 1e6 for _ in range(iterations)]
    std = statistics.stdev(samples) if len(samples) > 1 else 0.0
    return statistics.fmean(samples), std, min(samples)


def build_mlp(widths, opt_name, device, capturable=False):
    """The MLP with ReLU between layers (seeded) and its optimizer: SGD (lr 0.01, momentum 0.9) or Adam (lr 1e-3)."""
    torch.manual_seed(1)
    layers = []
    for i in range(len(widths) - 1):
        layers.append(nn.Linear(widths[i], widths[i + 1]))
        if i + 2 < len(widths):
            layers.append(nn.ReLU())
    model = nn.Sequential(*layers).to(device)
    if opt_name == "sgd":
        return model, torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    extra = {"capturable": True} if capturable else {}
    return model, torch.optim.Adam(model.parameters(), lr=1e-3, **extra)


def graphed_step(widths, opt_name, x, loss_fn, sync):
    """The whole training step captured in one CUDA graph, as PyTorch documents for whole-network capture: static
    inputs, Adam with capturable=True, three warm-up steps on a side stream, grads set to None before the capture so
    backward allocates them from the graph's private pool; each call replays the graph once."""
    model, opt = build_mlp(widths, opt_name, x.device, capturable=True)
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):
            opt.zero_grad(set_to_none=True)
            loss_fn(model(x)).backward()
            opt.step()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    opt.zero_grad(set_to_none=True)
    with torch.cuda.graph(graph):
        static_loss = loss_fn(model(x))
        static_loss.backward()
        opt.step()

    def replay(graph=graph, keep=(model, opt, static_loss)):
        graph.replay()
        sync()

    return replay


def workloads(device, quick):
    """Yields (name, size, fn, ops) with inputs allocated up front; fn ends with a synchronize."""
    cuda = device.type == "cuda"
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    gen = torch.Generator(device="cpu").manual_seed(1)

    def rand(*shape):
        return (torch.rand(*shape, generator=gen) * 2 - 1).to(device)

    elementwise, matmul, rows_list, models = sizes(quick, not cuda)

    # The workloads with targets first (MLP steps, per-op overhead, matmul, sums, element-wise), so a run cut short
    # by its time limit still has them.
    for model_name in models:
        widths, batch = MODELS[model_name]
        for opt_name in ("sgd", "adam"):
            model, opt = build_mlp(widths, opt_name, device)
            x = rand(batch, widths[0])
            if widths[-1] == 1:
                y = rand(batch, 1)
                loss_fn = (lambda out, y=y: F.mse_loss(out, y))
            else:
                t = torch.randint(0, widths[-1], (batch,), generator=gen).to(device)
                loss_fn = (lambda out, t=t: F.cross_entropy(out, t))

            def step(model=model, opt=opt, x=x, loss_fn=loss_fn):
                loss = loss_fn(model(x))
                loss.backward()
                opt.step()
                opt.zero_grad(set_to_none=True)
                sync()

            yield f"mlp_{model_name}_{opt_name}", batch, step, 1
            if cuda:
                yield (f"mlp_{model_name}_{opt_name}_cudagraph", batch,
                       graphed_step(widths, opt_name, x, loss_fn, sync), 1)
    a, b = rand(TINY), rand(TINY)

    def dispatch(a=a, b=b):
        with torch.no_grad():
            for _ in range(DISPATCH_OPS):
                a + b
        sync()

    yield "dispatch_tensor_add", TINY, dispatch, DISPATCH_OPS
    ga, gb = rand(TINY).requires_grad_(True), rand(TINY).requires_grad_(True)

    def dispatch_recorded(a=ga, b=gb):
        results = [a + b for _ in range(DISPATCH_OPS)]  # each add records its autograd node
        sync()
        return results

    yield "dispatch_tensor_add_recorded", TINY, dispatch_recorded, DISPATCH_OPS
    for n in matmul:
        a, b, c = rand(n, n), rand(n, n), torch.empty(n, n, device=device)
        yield "matmul", n, (lambda a=a, b=b, c=c: (torch.matmul(a, b, out=c), sync())), 1
        del a, b, c
    for size in elementwise:
        n = int(round(math.sqrt(size)))
        x, total, per_line = rand(n, n), torch.empty((), device=device), torch.empty(n, device=device)
        yield "sum_all", size, (lambda x=x, t=total: (torch.sum(x, dim=(0, 1), out=t), sync())), 1
        yield "sum_rows", size, (lambda x=x, y=per_line: (torch.sum(x, dim=1, out=y), sync())), 1
        yield "sum_cols", size, (lambda x=x, y=per_line: (torch.sum(x, dim=0, out=y), sync())), 1
        del x, total, per_line
    for size in elementwise:
        a, b, c = rand(size), rand(size), torch.empty(size, device=device)
        yield "add", size, (lambda a=a, b=b, c=c: (torch.add(a, b, out=c), sync())), 1
        yield "mul", size, (lambda a=a, b=b, c=c: (torch.mul(a, b, out=c), sync())), 1
        yield "exp", size, (lambda a=a, c=c: (torch.exp(a, out=c), sync())), 1
        del a, b, c
    for size in elementwise:
        n = int(round(math.sqrt(size)))
        m, row, col, c = rand(n, n), rand(1, n), rand(n, 1), torch.empty(n, n, device=device)
        yield "add_row", size, (lambda m=m, row=row, c=c: (torch.add(m, row, out=c), sync())), 1
        yield "add_col", size, (lambda m=m, col=col, c=c: (torch.add(m, col, out=c), sync())), 1
        del m, row, col, c
    for rows in rows_list:
        logits = rand(rows, CLASSES).requires_grad_(True)
        targets = torch.randint(0, CLASSES, (rows,), generator=gen).to(device)

        def softmax(x=logits):
            with torch.no_grad():
                torch.softmax(x, 1)
            sync()

        def cross_entropy(x=logits, t=targets):
            loss = F.cross_entropy(x, t)
            torch.autograd.grad(loss, [x])
            sync()

        yield "softmax", rows, softmax, 1
        yield "cross_entropy", rows, cross_entropy, 1
        del logits, targets

def blas_in_use():
    """Which BLAS library this process has loaded (torch's CPU matmuls run on it): the resolved path of every mapped
    library whose name has "blas", "blis" or "mkl" in it, as /proc/self/maps lists them (Linux); else torch's config."""
    libs = []
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                if re.search(r"(blas|blis|mkl)[^/]*\.so", path) and path not in libs:
                    libs.append(path)
    except OSError:
        pass
    if libs:
        return ", ".join(libs)
    found = re.search(r"BLAS_INFO=([^,]+)", torch.__config__.show())
    return f"BLAS_INFO={found.group(1)}" if found else "unknown"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="auto", help="auto (cuda if available), cpu or cuda")
    parser.add_argument("--quick", action="store_true", help="the sizes of the C# --quick mode")
    parser.add_argument("--filter", default=None, help="regular expression on workload names")
    parser.add_argument("--out", default=None, help="also write the JSON lines to this file")
    parser.add_argument("--min-time", type=float, default=0.05, help="seconds per timed iteration (default 0.05)")
    parser.add_argument("--iterations", type=int, default=6, help="timed iterations (default 6)")
    parser.add_argument("--warmup", type=int, default=3, help="warm-up calls (default 3)")
    args = parser.parse_args()

    name = args.device
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        sys.exit("torch_twin: --device cuda, but torch.cuda.is_available() is False")
    device = torch.device(name)
    if device.type == "cuda":
        # Full float32 matmuls, as the C# kernels and cuBLAS SGEMM compute them (no TF32).
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        label = torch.cuda.get_device_name(device)
    else:
        torch.ones(8, 8) @ torch.ones(8, 8)  # loads the BLAS, so blas_in_use() sees it
        label = f"{torch.get_num_threads()} threads, BLAS: {blas_in_use()}"
    print(f"# torch {torch.__version__} on {name} ({label})", file=sys.stderr)
    pattern = re.compile(args.filter) if args.filter else None
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    out = open(args.out, "w") if args.out else None
    count = 0
    started = time.perf_counter()
    try:
        for workload, size, fn, ops in workloads(device, args.quick):
            if pattern and not pattern.search(workload):
                continue
            mean, std, low = measure(fn, sync, args.min_time, args.iterations, args.warmup, ops)
            line = json.dumps({"name": workload, "device": name, "size": size, "mean_us": round(mean, 4),
                               "stddev_us": round(std, 4), "min_us": round(low, 4), "source": "torch",
                               "torch": torch.__version__, "threads": torch.get_num_threads()})
            print(line, flush=True)
            if out:
                out.write(line + "\n")
                out.flush()
            count += 1
    finally:
        if out:
            out.close()
    print(f"# {count} workloads in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0 if count > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
