#!/usr/bin/env python3
"""Generates tests/goldens/train_goldens.json: PyTorch reference values for the training utilities.

Run with Debian's PyTorch (python3-torch, torch 1.13):  /usr/bin/python3 tests/goldens/generate_train_goldens.py

Read by tests/MicrogradPlus.Tests/Nn/OptimizerStateTests.cs and SchedulerTests.cs. Deterministic: one seeded generator.

optimizer_state  {name, kind (sgd|adam|adamw), args (torch's names, only what differs from the defaults),
                  params [{shape, data}], grads [step][param] -> data, state {key: {shape, data}}}
                  state is optimizer.state_dict() after the steps, flattened with dots as the library's
                  Optimizer.StateDict() names it: state.{i}.{slot} and param_groups.0.{hyper-parameter}.
schedulers       {name, kind, lr, args, rates}: rates[0] is the optimizer's rate once the scheduler is built,
                  rates[e] the rate after e (optimizer.step(), scheduler.step()) pairs. kind "lambda" names its
                  function in args.fn (the test builds the same one); kind "sequential" lists its children in
                  args.schedulers; kind "plateau" gives the metric passed to each step in args.metrics.
"""
import json
import os
import warnings

import torch
from torch.optim import lr_scheduler as S

GEN = torch.Generator().manual_seed(20261203)


def randn(*shape):
    return torch.randn(tuple(shape), generator=GEN, dtype=torch.float64).to(torch.float32)


def data(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def tensor_json(t):
    return {"shape": list(t.shape), "data": data(t)}


# ---------------------------------------------------------------------------------------------------------------
# optimizer state after N steps

PARAM_SHAPES = [(3, 2), (3,)]
STEPS = 4
HYPER = {"sgd": ["lr", "momentum", "dampening", "weight_decay", "nesterov"],
         "adam": ["lr", "betas", "eps", "weight_decay"], "adamw": ["lr", "betas", "eps", "weight_decay"]}


def optimizer_state_case(name, kind, args):
    params = [randn(*s).requires_grad_(True) for s in PARAM_SHAPES]
    start = [tensor_json(p) for p in params]
    grads = [[randn(*s) for s in PARAM_SHAPES] for _ in range(STEPS)]
    make = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[kind]
    opt = make(params, **{k: tuple(v) if k == "betas" else v for k, v in args.items()})
    for step in range(STEPS):
        for p, g in zip(params, grads[step]):
            p.grad = g.clone()
        opt.step()
    sd = opt.state_dict()
    state = {}
    for i, slots in sd["state"].items():
        for slot, value in slots.items():
            if value is not None:
                state[f"state.{i}.{slot}"] = tensor_json(torch.as_tensor(value, dtype=torch.float32))
    group = sd["param_groups"][0]
    for key in HYPER[kind]:
        value = group[key]
        value = [float(v) for v in value] if isinstance(value, tuple) else [float(value)]
        state[f"param_groups.0.{key}"] = {"shape": [len(value)] if len(value) > 1 else [], "data": value}
    state["param_groups.0.params"] = {"shape": [len(params)], "data": [float(i) for i in group["params"]]}
    return {"name": name, "kind": kind, "args": args, "params": start,
            "grads": [[data(g) for g in row] for row in grads], "state": state}


def optimizer_state_cases():
    return [
        optimizer_state_case("sgd momentum 0.9 nesterov", "sgd",
                             {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
        optimizer_state_case("sgd momentum 0.5 dampening 0.1", "sgd", {"lr": 0.05, "momentum": 0.5,
                                                                       "dampening": 0.1}),
        optimizer_state_case("adam defaults", "adam", {"lr": 0.01}),
        optimizer_state_case("adam betas weight decay", "adam",
                             {"lr": 0.02, "betas": [0.8, 0.99], "eps": 1e-6, "weight_decay": 0.1}),
        optimizer_state_case("adamw", "adamw", {"lr": 0.01, "weight_decay": 0.05}),
    ]


# ---------------------------------------------------------------------------------------------------------------
# learning-rate schedulers

LAMBDAS = {"pow 0.95": lambda e: 0.95 ** e, "warmup 5": lambda e: min(1.0, (e + 1) / 5)}


def build(opt, kind, args):
    if kind == "linear":
        return S.LinearLR(opt, start_factor=args["start_factor"], end_factor=args["end_factor"],
                          total_iters=args["total_iters"])
    if kind == "exponential":
        return S.ExponentialLR(opt, gamma=args["gamma"])
    if kind == "cosine":
        return S.CosineAnnealingLR(opt, T_max=args["t_max"], eta_min=args["eta_min"])
    if kind == "step":
        return S.StepLR(opt, step_size=args["step_size"], gamma=args["gamma"])
    if kind == "lambda":
        return S.LambdaLR(opt, LAMBDAS[args["fn"]])
    if kind == "onecycle":
        return S.OneCycleLR(opt, max_lr=args["max_lr"], total_steps=args["total_steps"],
                            pct_start=args.get("pct_start", 0.3), anneal_strategy=args.get("anneal", "cos"),
                            div_factor=args.get("div_factor", 25.0), final_div_factor=args.get("final_div_factor", 1e4),
                            three_phase=args.get("three_phase", False), cycle_momentum=False)
    if kind == "sequential":
        children = [build(opt, c["kind"], c["args"]) for c in args["schedulers"]]
        return S.SequentialLR(opt, children, milestones=args["milestones"])
    if kind == "plateau":
        return S.ReduceLROnPlateau(opt, mode=args["mode"], factor=args["factor"], patience=args["patience"],
                                   threshold=args["threshold"], threshold_mode=args["threshold_mode"],
                                   cooldown=args["cooldown"], min_lr=args["min_lr"])
    raise ValueError(kind)


def scheduler_case(name, kind, lr, args, steps):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr)
    sched = build(opt, kind, args)
    rates = [opt.param_groups[0]["lr"]]
    for e in range(steps):
        opt.step()
        if kind == "plateau":
            sched.step(args["metrics"][e])
        else:
            sched.step()
        rates.append(opt.param_groups[0]["lr"])
    return {"name": name, "kind": kind, "lr": lr, "args": args, "rates": rates}


def scheduler_cases():
    metrics = [1.0, 0.9, 0.95, 0.92, 0.91, 0.905, 0.9, 0.7, 0.71, 0.72, 0.73, 0.69, 0.695, 0.70, 0.71, 0.72,
               0.73, 0.74, 0.75, 0.76]
    return [
        scheduler_case("linear warm-up 0.25 over 4", "linear", 0.1,
                       {"start_factor": 0.25, "end_factor": 1.0, "total_iters": 4}, 8),
        scheduler_case("linear decay to 0.1 over 5", "linear", 0.05,
                       {"start_factor": 1.0, "end_factor": 0.1, "total_iters": 5}, 8),
        scheduler_case("exponential 0.8", "exponential", 0.1, {"gamma": 0.8}, 10),
        scheduler_case("lambda pow 0.95", "lambda", 0.1, {"fn": "pow 0.95"}, 10),
        scheduler_case("lambda warmup 5", "lambda", 0.02, {"fn": "warmup 5"}, 8),
        scheduler_case("onecycle defaults 20", "onecycle", 0.01, {"max_lr": 0.1, "total_steps": 20}, 19),
        scheduler_case("onecycle linear 3-phase 15", "onecycle", 0.01,
                       {"max_lr": 0.5, "total_steps": 15, "pct_start": 0.25, "anneal": "linear",
                        "div_factor": 10.0, "final_div_factor": 100.0, "three_phase": True}, 14),
        scheduler_case("warm-up 3 then cosine 7", "sequential", 0.1,
                       {"milestones": [3], "schedulers": [
                           {"kind": "linear", "args": {"start_factor": 0.1, "end_factor": 1.0, "total_iters": 3}},
                           {"kind": "cosine", "args": {"t_max": 7, "eta_min": 0.001}}]}, 10),
        scheduler_case("exponential, step, cosine", "sequential", 0.2,
                       {"milestones": [2, 6], "schedulers": [
                           {"kind": "exponential", "args": {"gamma": 0.5}},
                           {"kind": "step", "args": {"step_size": 2, "gamma": 0.5}},
                           {"kind": "cosine", "args": {"t_max": 4, "eta_min": 0.0}}]}, 10),
        scheduler_case("plateau min rel cooldown", "plateau", 0.1,
                       {"mode": "min", "factor": 0.5, "patience": 2, "threshold": 1e-2, "threshold_mode": "rel",
                        "cooldown": 1, "min_lr": 0.01, "metrics": metrics}, len(metrics)),
        scheduler_case("plateau max abs", "plateau", 0.1,
                       {"mode": "max", "factor": 0.1, "patience": 1, "threshold": 0.05, "threshold_mode": "abs",
                        "cooldown": 0, "min_lr": 0.0, "metrics": [-m for m in metrics]}, len(metrics)),
    ]


def main():
    # SequentialLR calls scheduler.step(0) at a milestone, which torch 1.13 warns about; the closed form it then uses
    # is what the library computes.
    warnings.filterwarnings("ignore", category=UserWarning, module="torch.optim.lr_scheduler")
    out = {"torch_version": torch.__version__, "optimizer_state": optimizer_state_cases(),
           "schedulers": scheduler_cases()}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "train_goldens.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {path}: {len(out['optimizer_state'])} optimizer-state, {len(out['schedulers'])} scheduler cases")


if __name__ == "__main__":
    main()
