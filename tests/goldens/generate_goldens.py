#!/usr/bin/env python3
"""Generates tests/goldens/torch_goldens.json: PyTorch reference values for every public Tensor op.

Run with Debian's PyTorch (python3-torch, torch 1.13):  /usr/bin/python3 tests/goldens/generate_goldens.py

Deterministic: one seeded generator, inputs and weights rounded to float32 (so the C# side can hold them exactly),
all math in float64. Each case holds
  name    unique label
  op      the key tests/MicrogradPlus.Tests/Tensor/GoldenTests.cs dispatches on
  args    the op's scalars / axes / shapes
  inputs  [{shape, data}] row-major; every input requires grad
  w       weights of the output's shape; grads are d/d(inputs) of sum(output * w)
  output  {shape, data}
  grads   [{shape, data}], one per input
  w2, grad2 (second-order cases): grad2 = d/d(inputs) of sum(grads[0] * w2), computed through the first backward
            (create_graph); an input the first gradient does not depend on gets zeros.
"""
import json
import math
import os

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
GEN = torch.Generator().manual_seed(20261101)
CASES = []
NAMES = set()


def f32(t):
    """Rounds to float32-representable float64 values."""
    return t.to(torch.float32).to(torch.float64)


def randn(*shape, scale=1.0):
    return f32(torch.randn(tuple(shape), generator=GEN) * scale)


def uniform(lo, hi, *shape):
    return f32(lo + (hi - lo) * torch.rand(tuple(shape), generator=GEN))


def away_from_zero(*shape, lo=0.5, hi=2.0):
    """Random sign, magnitude in [lo, hi] (safe denominators)."""
    mag = uniform(lo, hi, *shape)
    sign = torch.where(torch.rand(tuple(shape), generator=GEN) < 0.5, -1.0, 1.0)
    return mag * sign


def ties(*shape, levels=3):
    """Small integers (as floats) so max/min see ties."""
    return torch.randint(0, levels, shape, generator=GEN).to(torch.float64) - 1.0


def fmt(values, digits):
    out = []
    for v in values:
        v = float(v)
        if v == 0.0:
            out.append(0.0)
        elif math.isfinite(v):
            out.append(float(f"{v:.{digits}g}"))
        else:
            raise ValueError("non-finite golden value")
    return out


def tensor_json(t, digits):
    return {"shape": list(t.shape), "data": fmt(t.reshape(-1).tolist(), digits)}


def add(name, op, fn, inputs, args=None, second_order=False):
    """Runs fn(*inputs) in float64 and records output, first-order grads and optionally grad2."""
    assert name not in NAMES, name
    NAMES.add(name)
    xs = [x.detach().clone().requires_grad_(True) for x in inputs]
    out = fn(*xs)
    w = randn(*out.shape)
    grads = torch.autograd.grad((out * w).sum(), xs, create_graph=second_order, allow_unused=True)
    grads = [torch.zeros_like(x) if g is None else g for x, g in zip(xs, grads)]
    case = {
        "name": name,
        "op": op,
        "args": args or {},
        # float32 values round-trip with 9 significant digits
        "inputs": [tensor_json(x.detach(), 9) for x in xs],
        "w": tensor_json(w, 9),
        "output": tensor_json(out.detach(), 10),
        "grads": [tensor_json(g.detach(), 10) for g in grads],
    }
    if second_order:
        w2 = randn(*grads[0].shape)
        if grads[0].requires_grad:
            g2 = torch.autograd.grad((grads[0] * w2).sum(), xs, allow_unused=True)
        else:
            g2 = [None] * len(xs)
        g2 = [torch.zeros_like(x) if g is None else g for x, g in zip(xs, g2)]
        case["w2"] = tensor_json(w2, 9)
        case["grad2"] = [tensor_json(g.detach(), 10) for g in g2]
    CASES.append(case)


def shape_name(*shapes):
    return "·".join("(" + ",".join(map(str, s)) + ")" for s in shapes)


def binary_cases():
    ops = {
        "add": lambda a, b: a + b,
        "sub": lambda a, b: a - b,
        "mul": lambda a, b: a * b,
        "div": lambda a, b: a / b,
    }
    shapes = [
        ((3, 4), (3, 4)),
        ((3, 4), (3, 1)),   # broadcast corners
        ((4,), (3, 4)),
        ((3, 4), (4,)),
        ((2, 1, 3), (4, 1)),
        ((), (2, 3)),       # zero-dimensional on either side
        ((2, 3), ()),
        ((1,), (2, 1, 3)),
        ((2, 1, 1, 3), (1, 4, 2, 1)),
    ]
    for op, fn in ops.items():
        for sa, sb in shapes:
            a = randn(*sa)
            b = away_from_zero(*sb) if op == "div" else randn(*sb)
            add(f"{op} {shape_name(sa, sb)}", op, fn, [a, b], second_order=(op in ("mul", "div") and sa == sb))
    # the same tensor on both sides: gradients accumulate
    x = randn(2, 3)
    add("mul self (2,3)", "mul_self", lambda a: a * a, [x], second_order=True)


def scalar_cases():
    s_values = {"add": 1.5, "sub": -0.75, "mul": 2.5, "div": -1.25}
    for op, s in s_values.items():
        for left in (False, True):
            a = away_from_zero(2, 3) if (op == "div" and left) else randn(2, 3)
            side = "s op x" if left else "x op s"
            fns = {
                ("add", False): lambda x: x + s, ("add", True): lambda x: s + x,
                ("sub", False): lambda x: x - s, ("sub", True): lambda x: s - x,
                ("mul", False): lambda x: x * s, ("mul", True): lambda x: s * x,
                ("div", False): lambda x: x / s, ("div", True): lambda x: s / x,
            }
            add(f"{op}_scalar {side} (2,3)", op + "_scalar", fns[(op, left)], [a], {"scalar": s, "left": left},
                second_order=(op == "div" and left))
    add("add_scalar x op s ()", "add_scalar", lambda x: x + 1.5, [randn()], {"scalar": 1.5, "left": False})


def unary_cases():
    add("neg (2,3)", "neg", lambda x: -x, [randn(2, 3)])
    add("neg ()", "neg", lambda x: -x, [randn()])
    add("exp (2,3)", "exp", torch.exp, [randn(2, 3)], second_order=True)
    add("log (2,3)", "log", torch.log, [uniform(0.2, 3.0, 2, 3)], second_order=True)
    add("sqrt (2,3)", "sqrt", torch.sqrt, [uniform(0.2, 3.0, 2, 3)], second_order=True)
    add("abs (2,3)", "abs", torch.abs, [away_from_zero(2, 3, lo=0.1, hi=2.0)])
    add("abs (5,)", "abs", torch.abs, [randn(5)])
    add("sigmoid (2,3)", "sigmoid", torch.sigmoid, [randn(2, 3, scale=2.0)], second_order=True)
    add("sigmoid large (4,)", "sigmoid", torch.sigmoid, [f32(torch.tensor([-30.0, -8.0, 8.0, 30.0]))])
    add("tanh (2,3)", "tanh", torch.tanh, [randn(2, 3, scale=1.5)], second_order=True)
    add("tanh large (4,)", "tanh", torch.tanh, [f32(torch.tensor([-20.0, -5.0, 5.0, 20.0]))])
    add("relu (2,3)", "relu", torch.relu, [away_from_zero(2, 3, lo=0.1, hi=2.0)])
    for slope in (0.01, 0.2):
        add(f"leaky_relu {slope} (2,3)", "leaky_relu", lambda x, s=slope: F.leaky_relu(x, s),
            [away_from_zero(2, 3, lo=0.1, hi=2.0)], {"slope": slope})
    add("gelu (2,4)", "gelu", F.gelu, [randn(2, 4, scale=2.0)], second_order=True)
    add("gelu ()", "gelu", F.gelu, [randn()])
    # non-contiguous input: a transposed view fed to a unary op
    add("transpose_exp (3,2)", "transpose_exp", lambda x: torch.exp(x.t()), [randn(3, 2)])
    add("cube (4,)", "cube", lambda x: x * x * x, [randn(4)], second_order=True)


def pow_cases():
    for p, pos in ((2.0, False), (3.0, False), (0.5, True), (-1.5, True), (1.0, False), (0.0, False), (-2.0, False)):
        x = uniform(0.3, 2.5, 2, 3) if pos else away_from_zero(2, 3, lo=0.3, hi=2.0)
        add(f"pow_scalar {p} (2,3)", "pow_scalar", lambda t, p=p: t ** p, [x], {"exponent": p},
            second_order=(p in (3.0, 0.5)))
    for sa, sb in (((2, 3), (2, 3)), ((2, 3), (3,)), ((3, 1), (1, 2))):
        a = uniform(0.3, 2.5, *sa)
        b = randn(*sb)
        add(f"pow {shape_name(sa, sb)}", "pow", lambda x, y: x ** y, [a, b], second_order=(sa == sb))
    for base in (2.0, 0.5):
        add(f"pow_base {base} (2,3)", "pow_base", lambda x, s=base: torch.pow(s, x), [randn(2, 3)], {"base": base},
            second_order=(base == 2.0))


REDUCERS = {
    "sum": (lambda x, d, k: x.sum() if d is None else x.sum(dim=d, keepdim=k)),
    "mean": (lambda x, d, k: x.mean() if d is None else x.mean(dim=d, keepdim=k)),
    # PyTorch's amax/amin split the gradient evenly among ties; the goldens follow them.
    "max": (lambda x, d, k: x.amax() if d is None else x.amax(dim=d, keepdim=k)),
    "min": (lambda x, d, k: x.amin() if d is None else x.amin(dim=d, keepdim=k)),
    "logsumexp": (lambda x, d, k: torch.logsumexp(x, dim=tuple(range(x.dim())))
                  if d is None else torch.logsumexp(x, dim=d, keepdim=k)),
}


def reduction_cases():
    for op, fn in REDUCERS.items():
        tie = op in ("max", "min")
        shape = (2, 3, 4)

        def data(*s):
            return ties(*s) if tie else randn(*s)
        add(f"{op} all (2,3,4)", op, lambda x: fn(x, None, False), [data(*shape)], {"form": "all"},
            second_order=(op == "logsumexp"))
        add(f"{op} all (3,)", op, lambda x: fn(x, None, False), [data(3)], {"form": "all"})
        for axis in (0, 1, 2, -1, -3):
            for keep in (False, True):
                add(f"{op} axis {axis} keep={keep} (2,3,4)", op, lambda x, a=axis, k=keep: fn(x, a, k),
                    [data(*shape)], {"form": "axis", "axis": axis, "keepDim": keep})
        for axes in ((0, 2), (1, -1), (-3, -2), (0, 1, 2), (2,)):
            for keep in (False, True):
                add(f"{op} axes {list(axes)} keep={keep} (2,3,4)", op,
                    lambda x, a=axes, k=keep: fn(x, list(a), k), [data(*shape)],
                    {"form": "axes", "axes": list(axes), "keepDim": keep},
                    second_order=(op in ("logsumexp", "mean") and keep and axes == (0, 2)))
        add(f"{op} axis 0 keep=False (5,)", op, lambda x: fn(x, 0, False), [data(5)],
            {"form": "axis", "axis": 0, "keepDim": False})
        add(f"{op} axis 1 keep=True (1,4)", op, lambda x: fn(x, 1, True), [data(1, 4)],
            {"form": "axis", "axis": 1, "keepDim": True})
    # every element equal: the gradient is shared by all of them
    for op in ("max", "min"):
        add(f"{op} all-equal all (2,3)", op, lambda x, o=op: REDUCERS[o](x, None, False),
            [torch.full((2, 3), 0.5)], {"form": "all"})
        add(f"{op} all-equal axis 1 (2,3)", op, lambda x, o=op: REDUCERS[o](x, 1, False),
            [torch.full((2, 3), -1.25)], {"form": "axis", "axis": 1, "keepDim": False})
    # large values: logsumexp must not overflow
    add("logsumexp large axis 1 (2,3)", "logsumexp", lambda x: torch.logsumexp(x, dim=1),
        [f32(torch.tensor([[80.0, 81.0, 79.5], [-90.0, -91.0, -88.0]]))],
        {"form": "axis", "axis": 1, "keepDim": False})


def matmul_cases():
    shapes = [
        ((4,), (4,)),
        ((3, 4), (4, 2)),
        ((4,), (4, 3)),
        ((3, 4), (4,)),
        ((2, 1, 3, 4), (5, 4, 2)),
        ((2, 3, 4), (4,)),
        ((4,), (2, 4, 3)),
        ((2, 3, 4), (2, 4, 5)),
        ((3, 4), (2, 4, 5)),
        ((2, 3, 4), (4, 5)),
        ((1, 1), (1, 1)),
    ]
    for sa, sb in shapes:
        add(f"matmul {shape_name(sa, sb)}", "matmul", torch.matmul, [randn(*sa), randn(*sb)],
            second_order=(sa, sb) == ((3, 4), (4, 2)))
    a, b = randn(3, 4), randn(4, 2)
    add("matmul_tanh (3,4)·(4,2)", "matmul_tanh", lambda x, y: torch.tanh(x @ y), [a, b], second_order=True)
    add("transpose_matmul (4,3)ᵀ·(4,2)", "transpose_matmul", lambda x, y: x.t() @ y, [randn(4, 3), randn(4, 2)])


def softmax_cases():
    for op, fn in (("softmax", torch.softmax), ("log_softmax", torch.log_softmax)):
        for axis in (0, 1, 2, -1, -2):
            add(f"{op} axis {axis} (2,3,4)", op, lambda x, a=axis, f=fn: f(x, a), [randn(2, 3, 4, scale=2.0)],
                {"axis": axis}, second_order=(axis == -1))
        add(f"{op} large axis 0 (3,)", op, lambda x, f=fn: f(x, 0),
            [f32(torch.tensor([100.0, 101.0, 99.0]))], {"axis": 0})


def shape_cases():
    x = randn(2, 3, 4)
    add("reshape -1 (2,3,4)", "reshape", lambda t: t.reshape(-1), [x], {"shape": [-1]})
    add("reshape (4,-1) (2,3,4)", "reshape", lambda t: t.reshape(4, -1), [randn(2, 3, 4)], {"shape": [4, -1]})
    add("reshape (3,1,2) (6,)", "reshape", lambda t: t.reshape(3, 1, 2), [randn(6)], {"shape": [3, 1, 2]})
    add("reshape () (1,)", "reshape", lambda t: t.reshape(()), [randn(1)], {"shape": []})
    for a0, a1 in ((0, 1), (0, 2), (-1, -2), (1, 1)):
        add(f"transpose {a0},{a1} (2,3,4)", "transpose", lambda t, a=a0, b=a1: t.transpose(a, b),
            [randn(2, 3, 4)], {"axis0": a0, "axis1": a1})
    for dims in ((2, 0, 1), (1, 0, 2), (0, 1, 2), (-1, 0, 1)):
        add(f"permute {list(dims)} (2,3,4)", "permute", lambda t, d=dims: t.permute(*d), [randn(2, 3, 4)],
            {"dims": list(dims)})
    add("squeeze all (1,3,1,2)", "squeeze", lambda t: t.squeeze(), [randn(1, 3, 1, 2)], {})
    add("squeeze all (1,1)", "squeeze", lambda t: t.squeeze(), [randn(1, 1)], {})
    for axis in (0, 2, -2, 1):  # axis 1 has size 3: PyTorch leaves the shape unchanged
        add(f"squeeze {axis} (1,3,1,2)", "squeeze", lambda t, a=axis: t.squeeze(a), [randn(1, 3, 1, 2)],
            {"axis": axis})
    for axis in (0, 1, 2, -1, -3):
        add(f"unsqueeze {axis} (2,3)", "unsqueeze", lambda t, a=axis: t.unsqueeze(a), [randn(2, 3)], {"axis": axis})
    add("unsqueeze 0 ()", "unsqueeze", lambda t: t.unsqueeze(0), [randn()], {"axis": 0})
    for src, dst in (((3, 1), (2, 3, 4)), ((3, 1), (3, 5)), ((1, 4), (-1, 4)), ((), (2, 3)), ((2, 1, 3), (4, 2, 2, 3)),
                     ((1, 3), (2, -1, -1))):
        add(f"expand {shape_name(src, dst)}", "expand", lambda t, d=dst: t.expand(*d), [randn(*src)],
            {"shape": list(dst)})
    for axis, start, end in ((0, 0, 1), (1, 1, 3), (2, 0, 4), (-1, 2, 3), (1, 0, 0)):
        add(f"slice {axis} {start}:{end} (2,3,4)", "slice",
            lambda t, a=axis, s=start, e=end: t.narrow(a, s, e - s), [randn(2, 3, 4)],
            {"axis": axis, "start": start, "end": end})
    for axis, shapes in ((0, [(1, 3), (2, 3), (3, 3)]), (1, [(2, 1), (2, 4)]), (-1, [(2, 2, 1), (2, 2, 3)]),
                         (1, [(2, 3, 2), (2, 1, 2)])):
        args = [randn(*s) for s in shapes]
        add(f"cat {axis} {shape_name(*shapes)}", "cat", lambda *ts, a=axis: torch.cat(ts, a), args, {"axis": axis})
    for axis in (0, 1, 2, -1):
        args = [randn(2, 3) for _ in range(3)]
        add(f"stack {axis} 3×(2,3)", "stack", lambda *ts, a=axis: torch.stack(ts, a), args, {"axis": axis})
    add("stack 0 2×()", "stack", lambda *ts: torch.stack(ts, 0), [randn(), randn()], {"axis": 0})



def later_unary_cases():
    """Element-wise ops added after the file was first generated: drawn last, so earlier cases keep their inputs."""
    add("silu (2,4)", "silu", F.silu, [randn(2, 4, scale=2.0)], second_order=True)
    add("silu large (4,)", "silu", F.silu, [f32(torch.tensor([-30.0, -8.0, 8.0, 30.0]))])
    add("silu ()", "silu", F.silu, [randn()])


def main():
    binary_cases()
    scalar_cases()
    unary_cases()
    pow_cases()
    reduction_cases()
    matmul_cases()
    softmax_cases()
    shape_cases()
    later_unary_cases()
    doc = {
        "generator": "tests/goldens/generate_goldens.py",
        "torch": torch.__version__,
        "count": len(CASES),
        "cases": CASES,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch_goldens.json")
    with open(path, "w", encoding="utf-8") as f:
        # one case per line: compact, yet diffs stay readable
        f.write("{\n")
        for key in ("generator", "torch", "count"):
            f.write(f"  {json.dumps(key)}: {json.dumps(doc[key])},\n")
        f.write('  "cases": [\n')
        for i, case in enumerate(CASES):
            sep = "," if i + 1 < len(CASES) else ""
            f.write("    " + json.dumps(case, ensure_ascii=False, separators=(",", ":")) + sep + "\n")
        f.write("  ]\n}\n")
    print(f"{len(CASES)} cases, {os.path.getsize(path)} bytes -> {path}")


if __name__ == "__main__":
    main()
