#!/usr/bin/env python3
"""Generates tests/goldens/layers_goldens.json: PyTorch reference values for the layers and training utilities.

Run with Debian's PyTorch (python3-torch, torch 1.13):  /usr/bin/python3 tests/goldens/generate_layers_goldens.py

Read by tests/MicrogradPlus.Tests/Nn/LayerTests.cs, InitTests.cs and ClipGradTests.cs. Deterministic: one seeded
generator. Every input is float32-representable; the math runs in float64 unless a case says otherwise.

layer_norm   {name, normalized_shape, eps, affine, x, weight, bias (null without affine), g (incoming gradient),
              y, dx, dweight, dbias (null without affine)}
batch_norm   {name, features, eps, momentum (null: cumulative average), affine, track, weight, bias,
              steps [{x, g, y, dx, dweight, dbias}] in training mode, one backward per step,
              running_mean, running_var, num_batches_tracked after the steps (null when not tracked),
              eval {x, y} the output in evaluation mode afterwards}
init         {name, fn, shape, args, fan_in, fan_out, gain, bound (uniform kinds) or std (normal kinds)}: torch's
              own fan and gain functions, so the test checks the same formulas; the draws themselves differ.
clip_norm    {name, max_norm, norm_type (a number or "inf"), grads [{shape, data}] float32, total_norm, clipped}:
              torch.nn.utils.clip_grad_norm_ run in float32, as the library's tensors are.
clip_value   {name, clip_value, grads, clipped}
repr         {name, text}: str(module) for the modules the test builds under the same name.
state_keys   {name, keys}: list(module.state_dict().keys()) for the same modules.
"""
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

GEN = torch.Generator().manual_seed(20261203)


def randn(*shape, scale=1.0, shift=0.0):
    """float32-representable values, returned as float64."""
    return (torch.randn(tuple(shape), generator=GEN, dtype=torch.float64) * scale + shift).to(torch.float32).to(
        torch.float64)


def data(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def tensor_json(t):
    return None if t is None else {"shape": list(t.shape), "data": data(t)}


# ---------------------------------------------------------------------------------------------------------------
# layer norm

def layer_norm_case(name, shape, normalized_shape, eps=1e-5, affine=True):
    x = randn(*shape, scale=2.0, shift=0.5).requires_grad_(True)
    w = randn(*normalized_shape, scale=0.5, shift=1.0).requires_grad_(True) if affine else None
    b = randn(*normalized_shape, scale=0.5).requires_grad_(True) if affine else None
    y = F.layer_norm(x, normalized_shape, w, b, eps)
    g = randn(*shape)
    y.backward(g)
    return {"name": name, "normalized_shape": list(normalized_shape), "eps": eps, "affine": affine,
            "x": tensor_json(x), "weight": tensor_json(w), "bias": tensor_json(b), "g": tensor_json(g),
            "y": tensor_json(y), "dx": tensor_json(x.grad), "dweight": tensor_json(None if w is None else w.grad),
            "dbias": tensor_json(None if b is None else b.grad)}


def layer_norm_cases():
    return [
        layer_norm_case("4x6 over 6", (4, 6), (6,)),
        layer_norm_case("2x3x5 over 5 eps 1e-3", (2, 3, 5), (5,), eps=1e-3),
        layer_norm_case("2x3x4 over 3x4", (2, 3, 4), (3, 4)),
        layer_norm_case("3x7 no affine", (3, 7), (7,), affine=False),
        layer_norm_case("1x40 wide row", (1, 40), (40,)),
    ]


# ---------------------------------------------------------------------------------------------------------------
# batch norm

def batch_norm_case(name, features, shape, steps=3, eps=1e-5, momentum=0.1, affine=True, track=True):
    bn = nn.BatchNorm1d(features, eps=eps, momentum=momentum, affine=affine, track_running_stats=track).double()
    if affine:
        with torch.no_grad():
            bn.weight.copy_(randn(features, scale=0.5, shift=1.0))
            bn.bias.copy_(randn(features, scale=0.5))
    start_w = tensor_json(bn.weight) if affine else None
    start_b = tensor_json(bn.bias) if affine else None
    bn.train()
    records = []
    for _ in range(steps):
        x = randn(*shape, scale=1.5, shift=0.3).requires_grad_(True)
        g = randn(*shape)
        if affine:
            bn.weight.grad = None
            bn.bias.grad = None
        y = bn(x)
        y.backward(g)
        records.append({"x": tensor_json(x), "g": tensor_json(g), "y": tensor_json(y), "dx": tensor_json(x.grad),
                        "dweight": tensor_json(bn.weight.grad) if affine else None,
                        "dbias": tensor_json(bn.bias.grad) if affine else None})
    bn.eval()
    xe = randn(*shape, scale=1.5, shift=0.3)
    with torch.no_grad():
        ye = bn(xe)
    return {"name": name, "features": features, "eps": eps, "momentum": momentum, "affine": affine, "track": track,
            "weight": start_w, "bias": start_b, "steps": records,
            "running_mean": tensor_json(bn.running_mean) if track else None,
            "running_var": tensor_json(bn.running_var) if track else None,
            "num_batches_tracked": int(bn.num_batches_tracked) if track else None,
            "eval": {"x": tensor_json(xe), "y": tensor_json(ye)}}


def batch_norm_cases():
    return [
        batch_norm_case("8x4 momentum 0.1", 4, (8, 4)),
        batch_norm_case("5x3x6 momentum 0.3", 3, (5, 3, 6), momentum=0.3),
        batch_norm_case("6x2 cumulative average", 2, (6, 2), steps=4, momentum=None),
        batch_norm_case("4x3 no affine eps 1e-3", 3, (4, 3), eps=1e-3, affine=False),
        batch_norm_case("7x3 untracked", 3, (7, 3), steps=2, track=False),
    ]


# ---------------------------------------------------------------------------------------------------------------
# init: torch's fan and gain formulas for each case

def init_case(name, fn, shape, **args):
    t = torch.empty(shape)
    fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(t)
    case = {"name": name, "fn": fn, "shape": list(shape), "args": args, "fan_in": fan_in, "fan_out": fan_out}
    if fn.startswith("kaiming"):
        fan = fan_in if args.get("mode", "fan_in") == "fan_in" else fan_out
        gain = nn.init.calculate_gain(args.get("nonlinearity", "leaky_relu"), args.get("a", 0))
        std = gain / math.sqrt(fan)
    elif fn.startswith("xavier"):
        gain = args.get("gain", 1.0)
        std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    elif fn == "uniform":
        gain, std = 1.0, (args["b"] - args["a"]) / math.sqrt(12)
    else:  # normal
        gain, std = 1.0, args["std"]
    case["gain"] = gain
    if fn.endswith("uniform") and fn != "uniform":
        case["bound"] = math.sqrt(3.0) * std
    case["std"] = std
    # torch's own draw, summarised: the test's statistics must agree with these within the same bounds
    getattr(nn.init, fn + "_")(t, **args)
    case["torch_mean"] = float(t.double().mean())
    case["torch_std"] = float(t.double().std())
    case["torch_min"] = float(t.min())
    case["torch_max"] = float(t.max())
    return case


def init_cases():
    return [
        init_case("kaiming uniform default", "kaiming_uniform", (128, 96)),
        init_case("kaiming uniform a=sqrt5 (torch Linear)", "kaiming_uniform", (64, 100), a=math.sqrt(5)),
        init_case("kaiming uniform relu fan_out", "kaiming_uniform", (80, 40), mode="fan_out",
                  nonlinearity="relu"),
        init_case("kaiming normal relu", "kaiming_normal", (128, 64), nonlinearity="relu"),
        init_case("kaiming normal tanh fan_out 3d", "kaiming_normal", (32, 16, 5), mode="fan_out",
                  nonlinearity="tanh"),
        init_case("xavier uniform", "xavier_uniform", (100, 60)),
        init_case("xavier uniform gain 2", "xavier_uniform", (50, 70), gain=2.0),
        init_case("xavier normal", "xavier_normal", (90, 110)),
        init_case("uniform -2 3", "uniform", (100, 50), a=-2.0, b=3.0),
        init_case("normal 1 0.5", "normal", (120, 40), mean=1.0, std=0.5),
    ]


# ---------------------------------------------------------------------------------------------------------------
# gradient clipping (float32, as the library's tensors)

CLIP_SHAPES = [(3, 4), (5,), (2, 2, 2)]


def clip_norm_case(name, max_norm, norm_type, scale=1.0):
    params = [torch.zeros(s, requires_grad=True) for s in CLIP_SHAPES]
    grads = [randn(*s, scale=scale).to(torch.float32) for s in CLIP_SHAPES]
    for p, g in zip(params, grads):
        p.grad = g.clone()
    total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    return {"name": name, "max_norm": max_norm, "norm_type": "inf" if math.isinf(norm_type) else norm_type,
            "grads": [tensor_json(g) for g in grads], "total_norm": float(total),
            "clipped": [tensor_json(p.grad) for p in params]}


def clip_value_case(name, clip_value):
    params = [torch.zeros(s, requires_grad=True) for s in CLIP_SHAPES]
    grads = [randn(*s, scale=2.0).to(torch.float32) for s in CLIP_SHAPES]
    for p, g in zip(params, grads):
        p.grad = g.clone()
    torch.nn.utils.clip_grad_value_(params, clip_value)
    return {"name": name, "clip_value": clip_value, "grads": [tensor_json(g) for g in grads],
            "clipped": [tensor_json(p.grad) for p in params]}


# ---------------------------------------------------------------------------------------------------------------
# printed module trees and state-dict keys (the test builds the same modules by name)

def modules():
    return {
        "sequential linear relu": nn.Sequential(nn.Linear(2, 16), nn.ReLU()),
        "mlp-like": nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 2)),
        "norms": nn.Sequential(nn.Flatten(), nn.Linear(12, 8, bias=False), nn.BatchNorm1d(8), nn.Tanh(),
                               nn.LayerNorm(8), nn.Identity(), nn.Linear(8, 3)),
        "nested": nn.Sequential(nn.Sequential(nn.Linear(4, 4), nn.Tanh()),
                                nn.Sequential(nn.LayerNorm((2, 2), eps=1e-3, elementwise_affine=False),
                                              nn.BatchNorm1d(4, momentum=None, affine=False),
                                              nn.BatchNorm1d(4, eps=0.001, momentum=0.25,
                                                             track_running_stats=False)),
                                nn.Flatten(0, -1)),
        "layer norm": nn.LayerNorm(6),
        "batch norm": nn.BatchNorm1d(5),
    }


def main():
    mods = modules()
    out = {
        "generator": "tests/goldens/generate_layers_goldens.py",
        "torch": torch.__version__,
        "layer_norm": layer_norm_cases(),
        "batch_norm": batch_norm_cases(),
        "init": init_cases(),
        "clip_norm": [
            clip_norm_case("l2 clipped", 1.0, 2.0),
            clip_norm_case("l2 not clipped", 100.0, 2.0),
            clip_norm_case("l1 clipped", 2.0, 1.0),
            clip_norm_case("l3 clipped", 0.5, 3.0),
            clip_norm_case("inf clipped", 0.75, math.inf, scale=2.0),
            clip_norm_case("inf not clipped", 50.0, math.inf),
        ],
        "clip_value": [clip_value_case("clip 0.5", 0.5), clip_value_case("clip 2", 2.0)],
        "repr": [{"name": k, "text": str(m)} for k, m in mods.items()],
        "state_keys": [{"name": k, "keys": list(m.state_dict().keys())} for k, m in mods.items()],
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "layers_goldens.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {path}: {len(out['layer_norm'])} layer norm, {len(out['batch_norm'])} batch norm, "
          f"{len(out['init'])} init, {len(out['clip_norm'])} + {len(out['clip_value'])} clip, "
          f"{len(out['repr'])} repr cases")


if __name__ == "__main__":
    main()
