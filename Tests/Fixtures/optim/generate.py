"""Writes the BornOptim reference fixtures with PyTorch.

Run from the repository root: python3 Tests/Fixtures/optim/generate.py
CI never runs this script; the JSON files it writes are committed.

optimizers.json: two f32 parameters ("weight" [4, 3] and "bias" [3]), five fixed gradients
for each, and the parameters after every step of each optimizer configuration.
schedulers.json: the learning rate of every parameter group at steps 0...100 for each
scheduler configuration (ReduceLROnPlateau is driven by a fixed metric sequence).
"""

import json
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
STEPS = 5
SCHEDULER_STEPS = 100


def values(t):
    """Exact f32 values as Python floats (repr round-trips through JSON)."""
    return [float(x) for x in t.detach().reshape(-1).tolist()]


def optimizer_fixtures():
    g = torch.Generator().manual_seed(1234)
    weight0 = torch.randn(4, 3, generator=g, dtype=torch.float32)
    bias0 = torch.randn(3, generator=g, dtype=torch.float32)
    grads = [
        {
            "weight": torch.randn(4, 3, generator=g, dtype=torch.float32),
            "bias": torch.randn(3, generator=g, dtype=torch.float32),
        }
        for _ in range(STEPS)
    ]

    # name, optimizer, default options, bias group options (or None), steps where bias has no gradient
    cases = [
        ("sgd_plain", "sgd", {"lr": 0.1}, None, []),
        ("sgd_momentum", "sgd", {"lr": 0.05, "momentum": 0.9}, None, []),
        ("sgd_nesterov", "sgd", {"lr": 0.05, "momentum": 0.9, "nesterov": True}, None, []),
        ("sgd_weight_decay", "sgd", {"lr": 0.1, "weight_decay": 0.05}, None, []),
        ("sgd_dampening", "sgd", {"lr": 0.05, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.01}, None, []),
        ("sgd_groups", "sgd", {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.1},
         {"lr": 0.2, "momentum": 0.5, "weight_decay": 0.0}, []),
        ("adam", "adam", {"lr": 0.01}, None, []),
        ("adam_betas_eps", "adam", {"lr": 0.02, "betas": (0.8, 0.95), "eps": 1e-3}, None, []),
        ("adam_amsgrad", "adam", {"lr": 0.01, "amsgrad": True}, None, []),
        ("adam_weight_decay", "adam", {"lr": 0.01, "weight_decay": 0.1}, None, []),
        ("adam_missing_gradient", "adam", {"lr": 0.01}, None, [1, 2]),
        ("adamw", "adamw", {"lr": 0.01}, None, []),
        ("adamw_amsgrad_decay", "adamw", {"lr": 0.02, "weight_decay": 0.3, "amsgrad": True}, None, []),
        ("adamw_groups", "adamw", {"lr": 0.01, "weight_decay": 0.1}, {"lr": 0.03, "weight_decay": 0.0}, []),
        ("rmsprop", "rmsprop", {"lr": 0.01}, None, []),
        ("rmsprop_centered", "rmsprop", {"lr": 0.01, "alpha": 0.9, "centered": True}, None, []),
        ("rmsprop_momentum", "rmsprop", {"lr": 0.01, "momentum": 0.9, "weight_decay": 0.05}, None, []),
        ("rmsprop_centered_momentum", "rmsprop", {"lr": 0.005, "momentum": 0.5, "centered": True, "eps": 1e-4},
         None, []),
        ("adagrad", "adagrad", {"lr": 0.1}, None, []),
        ("adagrad_full", "adagrad",
         {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.02, "initial_accumulator_value": 0.5, "eps": 1e-6},
         None, []),
    ]
    constructors = {
        "sgd": torch.optim.SGD,
        "adam": torch.optim.Adam,
        "adamw": torch.optim.AdamW,
        "rmsprop": torch.optim.RMSprop,
        "adagrad": torch.optim.Adagrad,
    }

    out_cases = []
    for name, kind, options, bias_options, skips in cases:
        weight = weight0.clone().requires_grad_(True)
        bias = bias0.clone().requires_grad_(True)
        # The default group comes first, as in Born's learningRates.
        if bias_options is None:
            groups = [{"params": [weight, bias]}]
        else:
            groups = [{"params": [weight]}, {"params": [bias], **bias_options}]
        opt = constructors[kind](groups, **options)
        history = []
        for step in range(STEPS):
            weight.grad = grads[step]["weight"].clone()
            bias.grad = None if step in skips else grads[step]["bias"].clone()
            opt.step()
            history.append({"weight": values(weight), "bias": values(bias)})
        json_options = {k: (list(v) if isinstance(v, tuple) else v) for k, v in options.items()}
        out_cases.append(
            {
                "name": name,
                "optimizer": kind,
                "options": json_options,
                "bias_group": bias_options,
                "skip_bias_gradient": skips,
                "steps": history,
            }
        )

    return {
        "weight": {"shape": [4, 3], "values": values(weight0)},
        "bias": {"shape": [3], "values": values(bias0)},
        "gradients": [{"weight": values(s["weight"]), "bias": values(s["bias"])} for s in grads],
        "cases": out_cases,
    }


def plateau_metrics():
    """Falls, then plateaus with noise, then rises: exercises patience, cooldown and min_lr."""
    g = torch.Generator().manual_seed(7)
    noise = torch.rand(SCHEDULER_STEPS, generator=g, dtype=torch.float64).tolist()
    metrics = []
    for i in range(SCHEDULER_STEPS):
        base = 1.0 / (1 + i) if i < 30 else (1.0 / 31 if i < 70 else 1.0 / 31 + 0.001 * (i - 70))
        metrics.append(base + 0.002 * (noise[i] - 0.5))
    return metrics


def scheduler_fixtures():
    S = torch.optim.lr_scheduler
    metrics = plateau_metrics()
    # name, kind, options, group rates (default first), torch constructor
    cases = [
        ("step", "StepLR", {"step_size": 30, "gamma": 0.1}, [0.1], lambda o: S.StepLR(o, 30, 0.1)),
        ("step_two_groups", "StepLR", {"step_size": 7, "gamma": 0.5}, [0.1, 0.03], lambda o: S.StepLR(o, 7, 0.5)),
        ("multistep", "MultiStepLR", {"milestones": [10, 25, 25, 60], "gamma": 0.3}, [0.1],
         lambda o: S.MultiStepLR(o, [10, 25, 25, 60], 0.3)),
        ("exponential", "ExponentialLR", {"gamma": 0.97}, [0.1, 0.5], lambda o: S.ExponentialLR(o, 0.97)),
        ("cosine", "CosineAnnealingLR", {"T_max": 30, "eta_min": 0.0}, [0.1],
         lambda o: S.CosineAnnealingLR(o, 30)),
        ("cosine_eta_min", "CosineAnnealingLR", {"T_max": 40, "eta_min": 0.001}, [0.1, 0.02],
         lambda o: S.CosineAnnealingLR(o, 40, 0.001)),
        ("warm_restarts", "CosineAnnealingWarmRestarts", {"T_0": 10, "T_mult": 1, "eta_min": 0.0}, [0.1],
         lambda o: S.CosineAnnealingWarmRestarts(o, 10)),
        ("warm_restarts_mult", "CosineAnnealingWarmRestarts", {"T_0": 5, "T_mult": 2, "eta_min": 0.002},
         [0.1, 0.05], lambda o: S.CosineAnnealingWarmRestarts(o, 5, 2, 0.002)),
        ("linear_warmup", "LinearLR", {"start_factor": 0.1, "end_factor": 1.0, "total_iters": 20}, [0.1],
         lambda o: S.LinearLR(o, 0.1, 1.0, 20)),
        ("linear_decay", "LinearLR", {"start_factor": 1.0, "end_factor": 0.25, "total_iters": 40}, [0.1, 0.4],
         lambda o: S.LinearLR(o, 1.0, 0.25, 40)),
        ("onecycle", "OneCycleLR", {"max_lr": 0.1, "total_steps": 100}, [0.1],
         lambda o: S.OneCycleLR(o, 0.1, total_steps=100, cycle_momentum=False)),
        ("onecycle_options", "OneCycleLR",
         {"max_lr": 0.5, "total_steps": 120, "pct_start": 0.25, "div_factor": 10.0, "final_div_factor": 100.0,
          "anneal_strategy": "linear"},
         [0.1],
         lambda o: S.OneCycleLR(o, 0.5, total_steps=120, pct_start=0.25, div_factor=10.0, final_div_factor=100.0,
                                anneal_strategy="linear", cycle_momentum=False)),
        ("onecycle_three_phase", "OneCycleLR", {"max_lr": 0.2, "total_steps": 100, "three_phase": True}, [0.1],
         lambda o: S.OneCycleLR(o, 0.2, total_steps=100, three_phase=True, cycle_momentum=False)),
        ("plateau", "ReduceLROnPlateau", {"mode": "min", "factor": 0.5, "patience": 3}, [0.1],
         lambda o: S.ReduceLROnPlateau(o, "min", 0.5, 3)),
        ("plateau_abs_cooldown", "ReduceLROnPlateau",
         {"mode": "min", "factor": 0.3, "patience": 2, "threshold": 0.001, "threshold_mode": "abs", "cooldown": 4,
          "min_lr": 0.002},
         [0.1, 0.05],
         lambda o: S.ReduceLROnPlateau(o, "min", 0.3, 2, 0.001, "abs", 4, 0.002)),
        ("plateau_max_rel", "ReduceLROnPlateau",
         {"mode": "max", "factor": 0.2, "patience": 5, "threshold": 0.01, "threshold_mode": "rel", "cooldown": 1},
         [0.1],
         lambda o: S.ReduceLROnPlateau(o, "max", 0.2, 5, 0.01, "rel", 1)),
    ]
    out = []
    for name, kind, options, rates, make in cases:
        params = [torch.zeros(1, requires_grad=True) for _ in rates]
        opt = torch.optim.SGD([{"params": [p], "lr": r} for p, r in zip(params, rates)], lr=rates[0])
        sched = make(opt)
        lrs = [[float(gr["lr"]) for gr in opt.param_groups]]
        for i in range(SCHEDULER_STEPS):
            opt.step()
            if kind == "ReduceLROnPlateau":
                sched.step(metrics[i])
            else:
                sched.step()
            lrs.append([float(gr["lr"]) for gr in opt.param_groups])
        out.append({"name": name, "scheduler": kind, "options": options, "initial_rates": rates, "rates": lrs})
    return {"metrics": metrics, "cases": out}


def write(name, data):
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    torch.set_num_threads(1)
    write("optimizers.json", optimizer_fixtures())
    write("schedulers.json", scheduler_fixtures())
