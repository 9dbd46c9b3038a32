#!/usr/bin/env python3
"""Generates tests/goldens/ops_b_goldens.json: PyTorch references for the index, shape, scan/sort ops, the
cross-entropy options, nll_loss and embedding (tests/MicrogradPlus.Tests/Tensor/OpsBGoldenTests.cs).

Run with Debian's PyTorch (python3-torch, torch 1.13):  /usr/bin/python3 tests/goldens/generate_ops_b_goldens.py

The case format is generate_goldens.py's (name, op, args, inputs, w, output, grads; every input requires grad), with
Int32 operands (indices, targets) in args as {shape, data}. Cases whose output is not differentiable (indices,
one-hot, eye, linspace) have no w and no grads.
"""
import json
import os

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
GEN = torch.Generator().manual_seed(20261203)
CASES = []


def f32(t):
    return t.to(torch.float32).to(torch.float64)


def randn(*shape):
    return f32(torch.randn(tuple(shape), generator=GEN))


def ints(low, high, *shape):
    return torch.randint(low, high, tuple(shape), generator=GEN)


def tj(t, digits=10):
    return {"shape": list(t.shape), "data": [float(f"{float(v):.{digits}g}") for v in t.reshape(-1).tolist()]}


def ij(t):
    t = torch.as_tensor(t)
    return {"shape": list(t.shape), "data": [int(v) for v in t.reshape(-1).tolist()]}


def add(name, op, fn, inputs, args=None):
    assert all(c["name"] != name for c in CASES), name
    xs = [x.detach().clone().requires_grad_(True) for x in inputs]
    out = fn(*xs)
    case = {"name": name, "op": op, "args": args or {}, "inputs": [tj(x.detach(), 9) for x in xs]}
    if out.dtype.is_floating_point and xs:
        w = randn(*out.shape)
        grads = torch.autograd.grad((out * w).sum(), xs, allow_unused=True)
        grads = [torch.zeros_like(x) if g is None else g for x, g in zip(xs, grads)]
        case["w"] = tj(w, 9)
        case["grads"] = [tj(g.detach()) for g in grads]
    case["output"] = tj(out.detach().to(torch.float64))
    CASES.append(case)


def index_cases():
    x = randn(3, 4)
    idx = torch.tensor([[0, 3], [2, 2], [1, 0]])
    add("gather (3,4) axis 1 repeats", "gather", lambda a: a.gather(1, idx), [x], {"axis": 1, "index": ij(idx)})
    idx = ints(0, 3, 2, 4)
    add("gather (3,4) axis 0", "gather", lambda a: a.gather(0, idx), [x], {"axis": 0, "index": ij(idx)})
    x3 = randn(2, 3, 4)
    idx = ints(0, 4, 2, 2, 6)
    add("gather (2,3,4) axis -1 longer index", "gather", lambda a: a.gather(-1, idx), [x3],
        {"axis": -1, "index": ij(idx)})
    idx = ints(0, 3, 1, 4, 2)
    add("gather (2,3,4) axis 1 smaller off-axis", "gather", lambda a: a.gather(1, idx), [x3],
        {"axis": 1, "index": ij(idx)})

    idx = torch.tensor([[0, 4], [2, 2], [1, 1]])
    add("scatter_add (3,5) axis 1 repeats", "scatter_add", lambda s, src: s.scatter_add(1, idx, src),
        [randn(3, 5), randn(3, 2)], {"axis": 1, "index": ij(idx)})
    idx = ints(0, 2, 4, 3)
    add("scatter_add (2,3) axis 0 many to few", "scatter_add", lambda s, src: s.scatter_add(0, idx, src),
        [randn(2, 3), randn(4, 3)], {"axis": 0, "index": ij(idx)})
    idx = ints(0, 4, 2, 2, 3)
    add("scatter_add (2,3,4) axis -1", "scatter_add", lambda s, src: s.scatter_add(-1, idx, src),
        [randn(2, 3, 4), randn(2, 2, 3)], {"axis": -1, "index": ij(idx)})

    idx = torch.tensor([2, 0, 2, 3])
    add("index_select (4,3) axis 0", "index_select", lambda a: a.index_select(0, idx), [randn(4, 3)],
        {"axis": 0, "index": ij(idx)})
    idx = torch.tensor([4, 4, 0])
    add("index_select (2,5,3) axis 1", "index_select", lambda a: a.index_select(1, idx), [randn(2, 5, 3)],
        {"axis": 1, "index": ij(idx)})
    idx = torch.tensor([1])
    add("index_select (3,2) axis -1", "index_select", lambda a: a.index_select(-1, idx), [randn(3, 2)],
        {"axis": -1, "index": ij(idx)})

    idx = torch.tensor([[0, 3], [2, 1]])
    add("one_hot (2,2) classes 5", "one_hot", lambda: F.one_hot(idx, 5), [], {"classes": 5, "index": ij(idx)})
    add("one_hot inferred", "one_hot", lambda: F.one_hot(idx), [], {"classes": -1, "index": ij(idx)})


def shape_cases():
    for shape, axis, s in [((7, 3), 0, (1, 7, 2)), ((2, 9), -1, (0, 9, 3)), ((2, 9), 1, (-5, 100, 2)),
                           ((5,), 0, (1, 3, 4))]:
        x = randn(*shape)
        sl = [slice(None)] * len(shape)
        sl[axis] = slice(*s)
        add(f"slice step {shape} axis {axis} {s}", "slice_step", lambda a, sl=tuple(sl): a[sl], [x],
            {"axis": axis, "start": s[0], "end": s[1], "step": s[2]})
    for shape, axes in [((2, 3, 4), [0, 2]), ((2, 3), [-1]), ((4,), [0]), ((2, 3), [])]:
        add(f"flip {shape} {axes}", "flip", lambda a, axes=axes: a.flip(axes), [randn(*shape)], {"axes": axes})
    for shape, times in [((2, 3), [2, 1]), ((2, 3), [1, 2, 3]), ((3,), [2, 2]), ((2, 1), [1, 3])]:
        add(f"repeat {shape} {times}", "repeat", lambda a, t=times: a.repeat(*t), [randn(*shape)], {"times": times})
    for shape, shift, axis in [((5,), 2, 0), ((2, 3), -1, 1), ((3, 2), 7, 0), ((3, 2), 3, 0)]:
        add(f"roll {shape} {shift} axis {axis}", "roll", lambda a, s=shift, d=axis: a.roll(s, d), [randn(*shape)],
            {"shift": shift, "axis": axis})
    for shape, pads, value in [((2, 3), [1, 2], 0.0), ((2, 3), [1, 0, 2, 1], 0.5), ((2, 4), [-1, 1], 0.0),
                               ((2, 3, 2), [0, 0, 1, 1, 1, 0], -2.0)]:
        add(f"pad {shape} {pads} {value}", "pad", lambda a, p=pads, v=value: F.pad(a, p, value=v), [randn(*shape)],
            {"pads": pads, "value": value})
    x = randn(7, 2)
    for piece in range(3):
        add(f"split (7,2) 3 piece {piece}", "split", lambda a, i=piece: a.split(3, 0)[i], [x],
            {"size": 3, "axis": 0, "piece": piece})
    x = randn(2, 5)
    for piece in range(3):
        add(f"chunk (2,5) 3 piece {piece}", "chunk", lambda a, i=piece: a.chunk(3, -1)[i], [x],
            {"chunks": 3, "axis": -1, "piece": piece})
    for shape, d in [((3, 4), 0), ((3, 4), 1), ((4, 3), -1), ((2, 3, 3), 0)]:
        x = randn(*shape)
        add(f"tril {shape} {d}", "tril", lambda a, d=d: a.tril(d), [x], {"diagonal": d})
        add(f"triu {shape} {d}", "triu", lambda a, d=d: a.triu(d), [x], {"diagonal": d})
    for n in (0, 1, 4):
        add(f"eye {n}", "eye", lambda n=n: torch.eye(n), [], {"n": n})
    for start, end, steps in [(0.0, 1.0, 5), (-3.0, 7.5, 11), (2.0, -2.0, 4), (1.0, 1.0, 1), (0.1, 0.7, 13)]:
        add(f"linspace {start} {end} {steps}", "linspace",
            lambda s=start, e=end, n=steps: torch.linspace(s, e, n, dtype=torch.float32), [],
            {"start": start, "end": end, "steps": steps})


def scan_cases():
    for shape, axis in [((3, 4), 1), ((3, 4), 0), ((2, 3, 4), -1), ((5,), 0), ((2, 3, 2), 1)]:
        add(f"cumsum {shape} axis {axis}", "cumsum", lambda a, d=axis: a.cumsum(d), [randn(*shape)], {"axis": axis})
    ties = torch.tensor([[1.0, 3.0, 3.0, 2.0], [2.0, 2.0, 0.0, 2.0], [5.0, -1.0, 5.0, 5.0]])
    for axis, keep in [(1, False), (0, True), (-1, True)]:
        add(f"argmax ties axis {axis} keep {keep}", "argmax", lambda a, d=axis, k=keep: a.argmax(d, keepdim=k),
            [ties], {"axis": axis, "keepDim": keep})
        add(f"argmin ties axis {axis} keep {keep}", "argmin", lambda a, d=axis, k=keep: a.argmin(d, keepdim=k),
            [ties], {"axis": axis, "keepDim": keep})
    for shape, axis, desc in [((3, 5), -1, False), ((3, 5), 1, True), ((4, 2), 0, False), ((2, 3, 4), 1, True)]:
        x = randn(*shape)
        add(f"sort values {shape} axis {axis} desc {desc}", "sort_values",
            lambda a, d=axis, s=desc: a.sort(dim=d, descending=s, stable=True)[0], [x], {"axis": axis, "descending": desc})
        add(f"sort indices {shape} axis {axis} desc {desc}", "sort_indices",
            lambda a, d=axis, s=desc: a.sort(dim=d, descending=s, stable=True)[1], [x], {"axis": axis, "descending": desc})
    for axis, desc in [(1, False), (1, True), (0, False)]:
        add(f"sort indices ties axis {axis} desc {desc}", "sort_indices",
            lambda a, d=axis, s=desc: a.sort(dim=d, descending=s, stable=True)[1], [ties],
            {"axis": axis, "descending": desc})
    for shape, k, axis in [((3, 6), 3, -1), ((5, 2), 2, 0), ((2, 3, 4), 4, 2), ((3, 4), 0, 1)]:
        x = randn(*shape)
        add(f"topk values {shape} k {k} axis {axis}", "topk_values", lambda a, k=k, d=axis: a.topk(k, d)[0], [x],
            {"k": k, "axis": axis})
        add(f"topk indices {shape} k {k} axis {axis}", "topk_indices", lambda a, k=k, d=axis: a.topk(k, d)[1], [x],
            {"k": k, "axis": axis})


def loss_cases():
    n, c = 5, 4
    logits = randn(n, c)
    target = torch.tensor([0, 3, 1, 3, 2])
    ignored = torch.tensor([0, 3, -100, 3, 2])
    weight = f32(torch.rand(c, generator=GEN) + 0.5)
    for reduction in ("mean", "sum", "none"):
        for smoothing in (0.0, 0.2):
            for w in (None, weight):
                for t, tname in ((target, "plain"), (ignored, "ignored")):
                    name = f"cross_entropy {reduction} smoothing {smoothing} weight {w is not None} {tname}"
                    args = {"target": ij(t), "reduction": reduction, "labelSmoothing": smoothing}
                    if w is not None:
                        args["weight"] = tj(w, 9)
                    add(name, "cross_entropy",
                        lambda a, t=t, w=w, r=reduction, s=smoothing: F.cross_entropy(
                            a, t, weight=w, reduction=r, label_smoothing=s), [logits], args)
    custom = torch.tensor([1, 2, 2, 0, 1])
    add("cross_entropy ignoreIndex 2 weight mean", "cross_entropy",
        lambda a: F.cross_entropy(a, custom, weight=weight, ignore_index=2), [logits],
        {"target": ij(custom), "weight": tj(weight, 9), "ignoreIndex": 2, "reduction": "mean"})
    logits3 = randn(2, 3, 4)
    t3 = ints(0, 3, 2, 4)
    add("cross_entropy (2,3,4) spatial mean", "cross_entropy", lambda a: F.cross_entropy(a, t3), [logits3],
        {"target": ij(t3), "reduction": "mean"})
    probs = f32(torch.softmax(torch.randn(n, c, generator=GEN), 1))
    for reduction in ("mean", "sum", "none"):
        for smoothing in (0.0, 0.1):
            for w in (None, weight):
                args = {"reduction": reduction, "labelSmoothing": smoothing}
                if w is not None:
                    args["weight"] = tj(w, 9)
                add(f"cross_entropy soft {reduction} smoothing {smoothing} weight {w is not None}", "cross_entropy_soft",
                    lambda a, q, w=w, r=reduction, s=smoothing: F.cross_entropy(a, q, weight=w, reduction=r,
                                                                                label_smoothing=s),
                    [logits, probs], args)
    logp = f32(torch.log_softmax(randn(n, c), 1))
    for reduction in ("mean", "sum", "none"):
        for w in (None, weight):
            args = {"target": ij(ignored), "reduction": reduction}
            if w is not None:
                args["weight"] = tj(w, 9)
            add(f"nll_loss {reduction} weight {w is not None} ignored", "nll_loss",
                lambda a, w=w, r=reduction: F.nll_loss(a, ignored, weight=w, reduction=r), [logp], args)
    idx = torch.tensor([[1, 0, 3], [3, 3, 2]])
    table = randn(5, 3)
    add("embedding (2,3) of (5,3)", "embedding", lambda w: F.embedding(idx, w), [table], {"index": ij(idx)})
    add("embedding padding 3", "embedding", lambda w: F.embedding(idx, w, padding_idx=3), [table],
        {"index": ij(idx), "paddingIdx": 3})


def main():
    index_cases()
    shape_cases()
    scan_cases()
    loss_cases()
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ops_b_goldens.json")
    with open(path, "w", encoding="utf-8") as f:
        f.write("{\n")
        f.write(f'  "generator": "tests/goldens/generate_ops_b_goldens.py",\n  "torch": "{torch.__version__}",\n')
        f.write(f'  "count": {len(CASES)},\n  "cases": [\n')
        for i, case in enumerate(CASES):
            sep = "," if i + 1 < len(CASES) else ""
            f.write("    " + json.dumps(case, ensure_ascii=False, separators=(",", ":")) + sep + "\n")
        f.write("  ]\n}\n")
    print(f"{len(CASES)} cases, {os.path.getsize(path)} bytes -> {path}")


if __name__ == "__main__":
    main()
