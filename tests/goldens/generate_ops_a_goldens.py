#!/usr/bin/env python3
"""Generates tests/goldens/ops_a_goldens.json: PyTorch reference values for the element-wise math, activations,
selection ops, reductions (var/std/prod/any/all) and float-target losses, and for the fixed defects (pow's special
values, x / tiny s, maximum/minimum gradients at NaN).

Run with Debian's PyTorch (python3-torch, torch 1.13):  /usr/bin/python3 tests/goldens/generate_ops_a_goldens.py

Same conventions as generate_goldens.py (seeded inputs rounded to float32, float64 math), with three additions:
  consts  tensors passed to the op that do not require grad (conditions, masks, class weights, BCE targets)
  grads   null for ops that are not differentiable (isnan, any, ...): only the output is compared
  values  may be non-finite: NaN, +inf and -inf are written as the strings "nan", "inf", "-inf"
"""
import json
import math
import os

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
GEN = torch.Generator().manual_seed(20261203)
CASES = []
NAMES = set()
NAN, INF = float("nan"), float("inf")


def f32(t):
    return t.to(torch.float32).to(torch.float64)


def T(values):
    return f32(torch.tensor(values, dtype=torch.float64))


def randn(*shape, scale=1.0):
    return f32(torch.randn(tuple(shape), generator=GEN) * scale)


def uniform(lo, hi, *shape):
    return f32(lo + (hi - lo) * torch.rand(tuple(shape), generator=GEN))


def ties(*shape, levels=3):
    return torch.randint(0, levels, shape, generator=GEN).to(torch.float64) - 1.0


def mask(*shape):
    return (torch.rand(tuple(shape), generator=GEN) < 0.5).to(torch.float64)


def fmt(values, digits):
    out = []
    for v in values:
        v = float(v)
        if math.isnan(v):
            out.append("nan")
        elif math.isinf(v):
            out.append("inf" if v > 0 else "-inf")
        elif v == 0.0:
            out.append(0.0)
        else:
            out.append(float(f"{v:.{digits}g}"))
    return out


def tensor_json(t, digits):
    return {"shape": list(t.shape), "data": fmt(t.reshape(-1).tolist(), digits)}


def add(name, op, fn, inputs, args=None, consts=(), grad=True, second_order=False, w_scale=1.0, rtol64=None):
    """fn(*inputs, *consts); grads of sum(out * w) with respect to the inputs (consts get none). rtol64 loosens the
    float64 comparison for a case where PyTorch itself rounds a constant to float32."""
    assert name not in NAMES, name
    NAMES.add(name)
    xs = [x.detach().clone().requires_grad_(grad) for x in inputs]
    cs = [c.detach().clone() for c in consts]
    out = fn(*xs, *cs)
    case = {
        "name": name,
        "op": op,
        "args": args or {},
        "inputs": [tensor_json(x.detach(), 9) for x in xs],
        "consts": [tensor_json(c, 9) for c in cs],
        "output": tensor_json(out.detach(), 10),
    }
    if rtol64 is not None:
        case["rtol64"] = rtol64
    if grad:
        w = f32(randn(*out.shape) * w_scale)
        gs = torch.autograd.grad((out * w).sum(), xs, create_graph=second_order, allow_unused=True)
        gs = [torch.zeros_like(x) if g is None else g for x, g in zip(xs, gs)]
        case["w"] = tensor_json(w, 9)
        case["grads"] = [tensor_json(g.detach(), 10) for g in gs]
        if second_order:
            w2 = randn(*gs[0].shape)
            if gs[0].requires_grad:
                g2 = torch.autograd.grad((gs[0] * w2).sum(), xs, allow_unused=True)
            else:
                g2 = [None] * len(xs)
            g2 = [torch.zeros_like(x) if g is None else g for x, g in zip(xs, g2)]
            case["w2"] = tensor_json(w2, 9)
            case["grad2"] = [tensor_json(g.detach(), 10) for g in g2]
    else:
        case["grads"] = None
    CASES.append(case)


def defect_cases():
    # pow's special values (C99 / PyTorch): pow(1, y) = 1, pow(±1, ±inf) = 1, pow(-inf, 0.3) = +inf
    a = T([1, 1, -1, -1, 1, 0.5, 2, 0.5, 2, 1, 3])
    b = T([INF, -INF, INF, -INF, NAN, INF, INF, -INF, -INF, 2.5, 0.5])
    add("pow special (11,)", "pow", lambda x, y: x ** y, [a, b])
    add("pow -inf (4,)", "pow", lambda x, y: x ** y, [T([-INF, -INF, -INF, -INF]), T([0.3, -0.3, 3, 2])])
    for p in (0.375, -0.375, 0.5, -0.5, 2.5):
        add(f"pow_scalar {p} at -inf (3,)", "pow_scalar", lambda x, p=p: x ** p, [T([-INF, 2, 0.5])],
            {"exponent": p})
    for p in (INF, -INF):
        add(f"pow_scalar {p} (5,)", "pow_scalar", lambda x, p=p: x ** p, [T([1, -1, 0.5, 2, -0.5])],
            {"exponent": "inf" if p > 0 else "-inf"})
    add("pow_scalar nan at 1 (1,)", "pow_scalar", lambda x: x ** NAN, [T([1])], {"exponent": "nan"})
    for base in (1.0, -1.0):
        add(f"pow_base {base} (4,)", "pow_base", lambda x, s=base: torch.pow(s, x), [T([INF, -INF, 2, 3])],
            {"base": base})
    add("pow_base 1 nan (2,)", "pow_base", lambda x: torch.pow(1.0, x), [T([NAN, 0.5])], {"base": 1.0})
    # x / s for tiny s: a true division (1/s overflows float32)
    for s in (1e-39, -3e-39, 2.5e-42):
        s32 = float(f32(torch.tensor(s)))
        add(f"div_scalar tiny {s} (4,)", "div_scalar", lambda x, s=s32: x / s,
            [f32(T([1.0, -2.0, 0.3, 0.0]) * abs(s32))], {"scalar": s32}, w_scale=1e-3)
    # maximum / minimum gradients where an input is NaN (and ties)
    a = T([NAN, 1, 2, NAN, 3, -1])
    b = T([1, NAN, 2, NAN, 1, 5])
    add("maximum nan (6,)", "maximum", torch.maximum, [a, b])
    add("minimum nan (6,)", "minimum", torch.minimum, [a, b])


def elementwise_cases():
    x = uniform(-2.5, 2.5, 2, 4)
    pos = uniform(0.2, 3.0, 2, 4)
    unary = {
        "rsqrt": (torch.rsqrt, pos), "sin": (torch.sin, x), "cos": (torch.cos, x), "log2": (torch.log2, pos),
        "exp2": (torch.exp2, x), "log1p": (torch.log1p, uniform(-0.8, 3, 2, 4)), "expm1": (torch.expm1, x),
        "reciprocal": (torch.reciprocal, uniform(0.3, 2, 2, 4) * torch.sign(randn(2, 4))),
        "square": (torch.square, x), "erf": (torch.erf, x),
        "sign": (torch.sign, x), "floor": (torch.floor, x), "ceil": (torch.ceil, x), "round": (torch.round, x),
        "trunc": (torch.trunc, x),
    }
    for op, (fn, data) in unary.items():
        add(f"{op} (2,4)", op, fn, [data], second_order=op in ("rsqrt", "sin", "cos", "log2", "log1p", "expm1", "erf",
                                                                 "reciprocal", "square", "exp2"))
    # edges: empty, zero-dimensional, non-finite inputs, halves for round
    add("sin (0,3)", "sin", torch.sin, [torch.zeros(0, 3)])
    add("erf ()", "erf", torch.erf, [randn()])
    add("erf wide (8,)", "erf", torch.erf, [T([-6, -3, -2.4, -0.2, 1e-6, 0.3, 2.6, 5])])
    rounding = T([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999997, 2.6, -2.6, NAN, INF, -INF, 1e30, 8388609, 0, -3])
    for op, fn in (("round", torch.round), ("floor", torch.floor), ("ceil", torch.ceil), ("trunc", torch.trunc),
                   ("sign", torch.sign)):
        add(f"{op} edges (16,)", op, fn, [rounding])
    add("log1p edges (8,)", "log1p", torch.log1p, [T([1e-10, -1e-10, 1e-5, -0.5, 3, -1, INF, NAN])])
    add("expm1 edges (7,)", "expm1", torch.expm1, [T([1e-10, -1e-10, 1e-5, -3, 3, -INF, NAN])])
    add("log2 edges (6,)", "log2", torch.log2, [T([8, 0.125, 1, 0, INF, NAN])])
    add("exp2 edges (6,)", "exp2", torch.exp2, [T([3, -3, 0, -INF, 10.5, NAN])])
    add("rsqrt edges (4,)", "rsqrt", torch.rsqrt, [T([4, 0.25, INF, 1e-30])])
    specials = T([NAN, INF, -INF, 0, 1.5, -2])
    for op, fn in (("isnan", torch.isnan), ("isinf", torch.isinf), ("isfinite", torch.isfinite)):
        add(f"{op} (6,)", op, lambda t, fn=fn: fn(t).to(torch.float64), [specials], grad=False)
    # binary
    for sa, sb in (((2, 3), (2, 3)), ((3, 1), (1, 4)), ((2, 3), ())):
        add(f"logaddexp {sa}·{sb}", "logaddexp", torch.logaddexp, [randn(*sa, scale=2), randn(*sb, scale=2)],
            second_order=(sa == sb))
    add("logaddexp inf (4,)", "logaddexp", torch.logaddexp, [T([-INF, INF, INF, 30]), T([-INF, 1, -INF, -30])])
    for w in (0.375, 0.75, 0.0, 1.0, -0.5):
        add(f"lerp {w} (2,3)·(3,)", "lerp", lambda a, b, w=w: torch.lerp(a, b, w), [randn(2, 3), randn(3)],
            {"weight": w})


def activation_cases():
    x = randn(3, 4, scale=2.5)
    acts = {
        "softplus": (lambda t: F.softplus(t), {}),
        "softplus_b2_t5": (lambda t: F.softplus(t, beta=2, threshold=5), {"beta": 2.0, "threshold": 5.0}),
        "softplus_b05": (lambda t: F.softplus(t, beta=0.5), {"beta": 0.5, "threshold": 20.0}),
        "elu": (lambda t: F.elu(t), {"alpha": 1.0}),
        "elu_a05": (lambda t: F.elu(t, alpha=0.5), {"alpha": 0.5}),
        "selu": (F.selu, {}),
        "gelu_tanh": (lambda t: F.gelu(t, approximate="tanh"), {}),
        "hardswish": (F.hardswish, {}),
        "hardsigmoid": (F.hardsigmoid, {}),
        "hardtanh": (lambda t: F.hardtanh(t), {"min": -1.0, "max": 1.0}),
        "hardtanh_m2_3": (lambda t: F.hardtanh(t, -2.0, 3.0), {"min": -2.0, "max": 3.0}),
        "relu6": (F.relu6, {}),
        "mish": (F.mish, {}),
        "logsigmoid": (F.logsigmoid, {}),
        "softsign": (F.softsign, {}),
    }
    smooth = ("softplus", "softplus_b2_t5", "elu", "selu", "gelu_tanh", "mish", "logsigmoid", "softsign", "hardswish")
    # PyTorch's float64 hardsigmoid backward multiplies by the float32 constant 1.0f / 6.0f (3e-8 off)
    for name, (fn, args) in acts.items():
        add(f"{name} (3,4)", name, fn, [x], args, second_order=name in smooth,
            rtol64=1e-7 if name == "hardsigmoid" else None)
    # the kinks, thresholds and far tails
    edges = T([-30, -6, -3, -2, -1, 0, 1, 2, 3, 6, 10.5, 25, NAN])
    for name, (fn, args) in acts.items():
        add(f"{name} edges (13,)", name, fn, [edges], args, rtol64=1e-7 if name == "hardsigmoid" else None)


def selection_cases():
    c = mask(3, 4)
    add("where (3,4)", "where", lambda a, b, c: torch.where(c != 0, a, b), [randn(3, 4), randn(3, 4)], consts=[c],
        second_order=True)
    add("where broadcast (3,1)·(1,4)·()", "where", lambda a, b, c: torch.where(c != 0, a, b),
        [randn(1, 4), randn()], consts=[mask(3, 1)])
    # an infinite value in the branch not taken does not leak; NaN in the condition counts as true
    add("where inf (4,)", "where", lambda a, b, c: torch.where(c != 0, a, b),
        [T([INF, 1, 2, -INF]), T([3, NAN, INF, 4])], consts=[T([0, 1, NAN, 0])])
    add("where empty (0,2)", "where", lambda a, b, c: torch.where(c != 0, a, b), [torch.zeros(0, 2), randn(2)],
        consts=[torch.zeros(0, 2)])
    add("where_scalar_b (3,4)", "where_scalar_b", lambda a, c: torch.where(c != 0, a, torch.tensor(-1.5)),
        [randn(3, 4)], {"value": -1.5}, consts=[c])
    add("where_scalar_a (3,4)", "where_scalar_a", lambda b, c: torch.where(c != 0, torch.tensor(2.0), b),
        [randn(3, 4)], {"value": 2.0}, consts=[c])
    add("masked_fill (3,4)·(4,)", "masked_fill", lambda x, m: x.masked_fill(m != 0, -7.0), [randn(3, 4)],
        {"value": -7.0}, consts=[mask(4)])
    ties_x = T([-1, 0, 0.5, 1, 2, NAN, -INF, INF])
    for lo, hi in ((0.0, 1.0), (None, 1.0), (0.0, None), (1.0, 0.0)):
        add(f"clamp {lo},{hi} (8,)", "clamp", lambda t, lo=lo, hi=hi: torch.clamp(t, lo, hi), [ties_x],
            {"min": lo, "max": hi})
    add("clamp -0.5,0.5 (3,4)", "clamp", lambda t: torch.clamp(t, -0.5, 0.5), [randn(3, 4)],
        {"min": -0.5, "max": 0.5})
    add("clamp_min (8,)", "clamp_min", lambda t: torch.clamp_min(t, 0.5), [ties_x], {"min": 0.5})
    add("clamp_max (8,)", "clamp_max", lambda t: torch.clamp_max(t, 0.5), [ties_x], {"max": 0.5})
    # tensor bounds with ties, broadcasting, a crossed pair (min > max) and NaN
    x = ties(3, 4)
    add("clamp_tensor (3,4)·(4,)·(3,1)", "clamp_tensor", lambda t, lo, hi: torch.clamp(t, lo, hi),
        [x, ties(4), ties(3, 1) + 0.5])
    add("clamp_tensor crossed (5,)", "clamp_tensor", lambda t, lo, hi: torch.clamp(t, lo, hi),
        [T([0, 2, -2, NAN, 0.5]), T([1, 1, 1, 0, NAN]), T([0, 0, 0, 1, 1])])
    add("clamp_tensor min only (3,4)", "clamp_tensor_min", lambda t, lo: torch.clamp(t, min=lo), [x, ties(4)])
    add("clamp_tensor max only (3,4)", "clamp_tensor_max", lambda t, hi: torch.clamp(t, max=hi), [x, ties(3, 1)])


def reduction_cases():
    x = randn(2, 3, 4)
    for axes, keep, corr in (((-1,), False, 1), ((0, 2), True, 1), ((1,), False, 0), ((), False, 1),
                             ((2,), True, 2)):
        args = {"axes": list(axes), "keepDim": keep, "correction": corr}
        dims = axes if axes else tuple(range(x.dim()))
        add(f"var {axes} keep={keep} c={corr}", "var",
            lambda t, d=dims, k=keep, c=corr: torch.var(t, dim=d, correction=c, keepdim=k), [x], args,
            second_order=(axes == (-1,)))
        add(f"std {axes} keep={keep} c={corr}", "std",
            lambda t, d=dims, k=keep, c=corr: torch.std(t, dim=d, correction=c, keepdim=k), [x], args)
    # a size-1 axis with correction 1 divides by zero: NaN, as in PyTorch
    add("var size-1 axis (3,1)", "var", lambda t: torch.var(t, dim=1), [randn(3, 1)],
        {"axes": [1], "keepDim": False, "correction": 1})
    # products with no zero, one zero and two zeros in a group
    p = T([[1.5, -2, 0.5, 3], [0, 2, -1, 0.5], [0, 1, 0, 2]])
    for axes, keep in (((-1,), False), ((0,), True), ((), False)):
        args = {"axes": list(axes), "keepDim": keep}
        add(f"prod {axes} keep={keep}", "prod",
            lambda t, a=axes, k=keep: t.prod(dim=a[0], keepdim=k) if a else t.prod(), [p], args,
            second_order=True)
    add("prod random (2,3,4) axis 1", "prod", lambda t: t.prod(dim=1), [uniform(0.5, 1.5, 2, 3, 4)],
        {"axes": [1], "keepDim": False})
    add("prod empty (0,)", "prod", lambda t: t.prod(), [torch.zeros(0)], {"axes": [], "keepDim": False})
    b = T([[0, 1, NAN], [0, 0, 0], [2, -1, 3]])
    for op, fn in (("any", torch.any), ("all", torch.all)):
        add(f"{op} all (3,3)", op, lambda t, fn=fn: fn(t).to(torch.float64), [b], {"axes": [], "keepDim": False},
            grad=False)
        add(f"{op} axis -1 (3,3)", op, lambda t, fn=fn: fn(t, dim=-1).to(torch.float64), [b],
            {"axes": [-1], "keepDim": False}, grad=False)
        add(f"{op} axis 0 keep (3,3)", op, lambda t, fn=fn: fn(t, dim=0, keepdim=True).to(torch.float64), [b],
            {"axes": [0], "keepDim": True}, grad=False)
        add(f"{op} empty (0,)", op, lambda t, fn=fn: fn(t).to(torch.float64), [torch.zeros(0)],
            {"axes": [], "keepDim": False}, grad=False)


def loss_cases():
    reductions = ("mean", "sum", "none")
    p = uniform(0.05, 0.95, 3, 4)
    t = uniform(0, 1, 3, 4)
    wt = uniform(0.5, 2, 4)
    for r in reductions:
        add(f"bce {r}", "bce", lambda a, tt: F.binary_cross_entropy(a, tt, reduction=r), [p], {"reduction": r},
            consts=[t])
    add("bce weight", "bce_weight", lambda a, tt, w: F.binary_cross_entropy(a, tt, weight=w.expand(3, 4)), [p],
        {"reduction": "mean"}, consts=[t, wt])
    add("bce clamped log (4,)", "bce", lambda a, tt: F.binary_cross_entropy(a, tt, reduction="none"),
        [T([0.0, 1.0, 0.5, 0.25])], {"reduction": "none"}, consts=[T([0.5, 0.5, 1.0, 0.0])], grad=False)
    x = randn(3, 4, scale=3)
    x[0, 0] = 0.0
    pw = uniform(0.5, 3, 4)
    for r in reductions:
        add(f"bce_logits {r}", "bce_logits", lambda a, tt: F.binary_cross_entropy_with_logits(a, tt, reduction=r),
            [x], {"reduction": r}, consts=[t])
    add("bce_logits weights", "bce_logits_weights",
        lambda a, tt, w, q: F.binary_cross_entropy_with_logits(a, tt, weight=w, pos_weight=q, reduction="sum"),
        [x], {"reduction": "sum"}, consts=[t, wt, pw], second_order=True)
    add("bce_logits large (4,)", "bce_logits",
        lambda a, tt: F.binary_cross_entropy_with_logits(a, tt, reduction="none"), [T([-120, 120, -40, 40])],
        {"reduction": "none"}, consts=[T([1, 0, 0.5, 0.5])])
    a, b = randn(3, 4), randn(3, 4)
    b[1, 1] = a[1, 1]
    for r in reductions:
        add(f"mse {r}", "mse", lambda u, v: F.mse_loss(u, v, reduction=r), [a, b], {"reduction": r})
        add(f"l1 {r}", "l1", lambda u, v: F.l1_loss(u, v, reduction=r), [a, b], {"reduction": r})
    for beta in (1.0, 0.5):
        add(f"smooth_l1 beta={beta}", "smooth_l1", lambda u, v, be=beta: F.smooth_l1_loss(u, v, beta=be), [a, b],
            {"reduction": "mean", "beta": beta})
    # beta = 0 is the L1 loss (no tie here: PyTorch's gradient at d = 0 with beta = 0 is +1, not L1's 0)
    add("smooth_l1 beta=0.0", "smooth_l1", lambda u, v: F.smooth_l1_loss(u, v, beta=0.0), [randn(3, 4), randn(3, 4)],
        {"reduction": "mean", "beta": 0.0})
    add("smooth_l1 sum", "smooth_l1", lambda u, v: F.smooth_l1_loss(u, v, reduction="sum"), [a, b],
        {"reduction": "sum", "beta": 1.0})
    for delta in (1.0, 0.375, 2.0):
        add(f"huber delta={delta}", "huber", lambda u, v, d=delta: F.huber_loss(u, v, delta=d), [a, b],
            {"reduction": "mean", "delta": delta})
    add("huber none", "huber", lambda u, v: F.huber_loss(u, v, reduction="none"), [a, b],
        {"reduction": "none", "delta": 1.0})
    logp = F.log_softmax(randn(3, 4), dim=1).detach()
    q = F.softmax(randn(3, 4), dim=1).detach()
    q[0, 1] = 0.0
    # a zero in the target: its term is 0; the target is a constant here (PyTorch's gradient for it there is NaN)
    for r in ("mean", "batchmean", "sum", "none"):
        add(f"kl_div {r}", "kl_div_const_target", lambda u, v: F.kl_div(u, v, reduction=r), [f32(logp)],
            {"reduction": r, "logTarget": False}, consts=[f32(q)])
    add("kl_div target grad", "kl_div", lambda u, v: F.kl_div(u, v, reduction="sum"),
        [f32(logp), f32(F.softmax(randn(3, 4), dim=1).detach())], {"reduction": "sum", "logTarget": False})
    add("kl_div log_target", "kl_div", lambda u, v: F.kl_div(u, v, reduction="batchmean", log_target=True),
        [f32(logp), f32(torch.log(q + 0.1))], {"reduction": "batchmean", "logTarget": True})
    add("cosine (3,4) axis 1", "cosine", lambda u, v: F.cosine_similarity(u, v, dim=1), [randn(3, 4), randn(3, 4)],
        {"axis": 1, "eps": 1e-8}, second_order=True)
    add("cosine (2,1,4)·(3,4) axis -1", "cosine", lambda u, v: F.cosine_similarity(u, v, dim=-1),
        [randn(2, 1, 4), randn(3, 4)], {"axis": -1, "eps": 1e-8})
    add("cosine axis 0 (3,2)", "cosine", lambda u, v: F.cosine_similarity(u, v, dim=0), [randn(3, 2), randn(3, 2)],
        {"axis": 0, "eps": 1e-8})


def main():
    defect_cases()
    elementwise_cases()
    activation_cases()
    selection_cases()
    reduction_cases()
    loss_cases()
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ops_a_goldens.json")
    with open(path, "w", encoding="utf-8") as f:
        f.write("{\n")
        f.write('  "generator": "tests/goldens/generate_ops_a_goldens.py",\n')
        f.write(f'  "torch": {json.dumps(torch.__version__)},\n')
        f.write(f'  "count": {len(CASES)},\n')
        f.write('  "cases": [\n')
        for i, case in enumerate(CASES):
            sep = "," if i + 1 < len(CASES) else ""
            f.write("    " + json.dumps(case, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + sep + "\n")
        f.write("  ]\n}\n")
    print(f"{len(CASES)} cases, {os.path.getsize(path)} bytes -> {path}")


if __name__ == "__main__":
    main()
