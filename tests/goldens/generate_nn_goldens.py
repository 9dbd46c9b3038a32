#!/usr/bin/env python3
"""Generates tests/goldens/nn_goldens.json: PyTorch reference values for the optimizers, schedules and losses.

Run with Debian's PyTorch (python3-torch, torch 1.13):  /usr/bin/python3 tests/goldens/generate_nn_goldens.py

Read by tests/MicrogradPlus.Tests/Nn/OptimizerTests.cs and LossTests.cs. Deterministic: one seeded generator.

optimizers  {name, kind (sgd|adam|adamw), args (only what differs from the optimizer's defaults, torch's names),
             params [{shape, data}] float32 starting values,
             grads  [step][param] -> data (null: that parameter has no gradient at that step and is skipped),
             after  [step][param] -> data, the parameters after optimizer.step()}
            The gradients are given, not computed, so the update rule alone is under test; torch runs in float32,
            as the optimizers here do.
schedules   {name, kind (step|cosine), lr, args, rates}: rates[e] is the learning rate after e scheduler steps
            (rates[0] is the starting rate); one optimizer.step() precedes each scheduler.step(), as torch wants.
losses      {name, loss, input {shape, data}, target {shape, data} or targets [ints], value, grad {shape, data}}:
            float64 math on float32-representable inputs; grad is d(value)/d(input).
"""
import json
import os

import torch
import torch.nn.functional as F

GEN = torch.Generator().manual_seed(20261126)


def randn(*shape, scale=1.0, dtype=torch.float32):
    return (torch.randn(tuple(shape), generator=GEN, dtype=torch.float64) * scale).to(torch.float32).to(dtype)


def data(t):
    # float32 and float64 values both round-trip exactly through Python's shortest repr
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def tensor_json(t):
    return {"shape": list(t.shape), "data": data(t)}


# ---------------------------------------------------------------------------------------------------------------
# optimizers

PARAM_SHAPES = [(2, 3), (4,)]
STEPS = 5


def optimizer_case(name, kind, args, skip=()):
    """skip: (step, param) pairs whose gradient is None at that step (torch then leaves the parameter alone)."""
    params = [randn(*s).requires_grad_(True) for s in PARAM_SHAPES]
    start = [tensor_json(p) for p in params]
    grads = [[randn(*s) for s in PARAM_SHAPES] for _ in range(STEPS)]
    make = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[kind]
    torch_args = dict(args)
    if "betas" in torch_args:
        torch_args["betas"] = tuple(torch_args["betas"])
    opt = make(params, **torch_args)
    grads_json, after = [], []
    for step in range(STEPS):
        row = []
        for i, p in enumerate(params):
            if (step, i) in skip:
                p.grad = None
                row.append(None)
            else:
                p.grad = grads[step][i].clone()
                row.append(data(grads[step][i]))
        grads_json.append(row)
        opt.step()
        after.append([data(p) for p in params])
    return {"name": name, "kind": kind, "args": args, "params": start, "grads": grads_json, "after": after}


def optimizer_cases():
    return [
        optimizer_case("sgd", "sgd", {"lr": 0.1}),
        optimizer_case("sgd momentum 0.9", "sgd", {"lr": 0.1, "momentum": 0.9}, skip={(2, 1)}),
        optimizer_case("sgd momentum 0.9 dampening 0.1", "sgd", {"lr": 0.1, "momentum": 0.9, "dampening": 0.1}),
        optimizer_case("sgd nesterov", "sgd", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
        optimizer_case("sgd weight decay 0.1", "sgd", {"lr": 0.1, "weight_decay": 0.1}),
        optimizer_case("sgd momentum weight decay", "sgd", {"lr": 0.05, "momentum": 0.8, "weight_decay": 0.01}),
        optimizer_case("adam default", "adam", {}),
        optimizer_case("adam lr 0.1", "adam", {"lr": 0.1}, skip={(1, 0), (2, 0)}),
        optimizer_case("adam weight decay 0.1", "adam", {"lr": 0.1, "weight_decay": 0.1}),
        optimizer_case("adam betas eps", "adam", {"lr": 0.05, "betas": [0.8, 0.99], "eps": 1e-3}),
        optimizer_case("adamw default", "adamw", {}),
        optimizer_case("adamw lr 0.1", "adamw", {"lr": 0.1}),
        optimizer_case("adamw weight decay 0.1", "adamw", {"lr": 0.1, "weight_decay": 0.1}),
    ]


# ---------------------------------------------------------------------------------------------------------------
# learning-rate schedules

EPOCHS = 10


def schedule_case(name, kind, lr, args):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr)
    if kind == "step":
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=args["step_size"], gamma=args["gamma"])
    else:
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args["t_max"], eta_min=args["eta_min"])
    rates = [opt.param_groups[0]["lr"]]
    for _ in range(EPOCHS):
        opt.step()
        sched.step()
        rates.append(opt.param_groups[0]["lr"])
    return {"name": name, "kind": kind, "lr": lr, "args": args, "rates": rates}


def schedule_cases():
    return [
        schedule_case("step 3 gamma 0.5", "step", 0.1, {"step_size": 3, "gamma": 0.5}),
        schedule_case("step 1 gamma 0.9", "step", 0.05, {"step_size": 1, "gamma": 0.9}),
        schedule_case("cosine 10 min 0.001", "cosine", 0.1, {"t_max": 10, "eta_min": 0.001}),
        schedule_case("cosine 10 min 0", "cosine", 0.02, {"t_max": 10, "eta_min": 0.0}),
    ]


# ---------------------------------------------------------------------------------------------------------------
# losses (float64)

def loss_case(name, loss, fn, x, target):
    x = x.to(torch.float64).detach().requires_grad_(True)
    value = fn(x)
    (grad,) = torch.autograd.grad(value, [x])
    case = {"name": name, "loss": loss, "input": tensor_json(x)}
    if isinstance(target, list):
        case["targets"] = target
    else:
        case["target"] = tensor_json(target)
    case["value"] = float(value)
    case["grad"] = tensor_json(grad)
    return case


def f64(values):
    return torch.tensor(values, dtype=torch.float32).to(torch.float64)


def hinge(s, y):
    # micrograd's max-margin loss, written with torch ops
    return torch.relu(1 - y * s).mean()


def loss_cases():
    cases = []

    def ce(name, logits, targets):
        t = torch.tensor(targets)
        cases.append(loss_case(name, "cross_entropy", lambda x: F.cross_entropy(x, t), logits, targets))

    ce("cross entropy 4x3", randn(4, 3, dtype=torch.float64), [0, 2, 1, 2])
    ce("cross entropy 1x5", randn(1, 5, scale=3, dtype=torch.float64), [4])
    ce("cross entropy 6x2", randn(6, 2, dtype=torch.float64), [1, 0, 0, 1, 1, 0])
    ce("cross entropy large logits",
       f64([[1000, 0, -1000, 1], [0, 1000, 999, 0], [-1000, -1000, -1000, -1000], [500, -500, 1000, 1000]]),
       [2, 1, 3, 0])

    def mse(name, x, y):
        cases.append(loss_case(name, "mse", lambda a: F.mse_loss(a, y), x, y))

    mse("mse 3x4", randn(3, 4, dtype=torch.float64), randn(3, 4, dtype=torch.float64))
    mse("mse 5", randn(5, dtype=torch.float64), randn(5, dtype=torch.float64))

    def bce(name, x, y):
        cases.append(loss_case(name, "bce_with_logits", lambda a: F.binary_cross_entropy_with_logits(a, y), x, y))

    bce("bce with logits 2x5", randn(2, 5, scale=2, dtype=torch.float64),
        f64([[0, 1, 1, 0, 0.25], [1, 0, 0.5, 1, 0]]))
    bce("bce with logits large |x|", f64([1000, -1000, 100, -100, 30, -30, 0, 0]),
        f64([0, 1, 1, 0, 0, 1, 1, 0]))
    bce("bce with logits at zero", f64([0, 0, 0, 1e-3]), f64([0, 1, 0.25, 1]))

    def hinge_case(name, s, y):
        cases.append(loss_case(name, "hinge", lambda a: hinge(a, y), s, y))

    # keep scores away from the kink 1 - y*s = 0, where relu's subgradient is a convention
    hinge_case("hinge 8", f64([0.5, -2, 1.5, 0.25, -0.3, 3, -1.5, 0.9]), f64([1, -1, 1, -1, 1, 1, -1, -1]))
    hinge_case("hinge 2x3", randn(2, 3, dtype=torch.float64), f64([[1, -1, -1], [1, 1, -1]]))
    return cases


def main():
    out = {
        "generator": "tests/goldens/generate_nn_goldens.py",
        "torch": torch.__version__,
        "optimizers": optimizer_cases(),
        "schedules": schedule_cases(),
        "losses": loss_cases(),
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nn_goldens.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {path}: {len(out['optimizers'])} optimizer, {len(out['schedules'])} schedule, "
          f"{len(out['losses'])} loss cases")


if __name__ == "__main__":
    main()
