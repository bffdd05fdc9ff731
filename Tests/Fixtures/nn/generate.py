#!/usr/bin/env python3
"""Writes PyTorch reference fixtures for Born's layers, losses and models.

    python3 Tests/Fixtures/nn/generate.py     # rewrites Tests/Fixtures/nn/*.json

Born's tests load the JSON; CI never runs this script.
"""
import copy
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(1234)


def enc(v):
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def T(t):
    t = t.detach()
    dtype = {torch.float32: "f32", torch.float64: "f64", torch.int64: "i64", torch.bool: "bool"}[t.dtype]
    data = [int(x) for x in t.reshape(-1).tolist()] if dtype == "i64" else [enc(x) for x in t.reshape(-1).tolist()]
    return {"dtype": dtype, "shape": list(t.shape), "data": data}


# ---------------------------------------------------------------- losses
losses = []


def loss_case(name, op, inputs, out, grad_of_first=None, **args):
    case = {"name": name, "op": op, "inputs": [T(x) for x in inputs], "outputs": [T(out)], "args": args}
    if grad_of_first is not None:
        case["outputs"].append(T(grad_of_first))
    losses.append(case)


def with_grad(fn, x, *rest):
    x = x.clone().requires_grad_(True)
    out = fn(x, *rest)
    seed = torch.ones_like(out) if out.dim() == 0 else torch.linspace(-1, 1, out.numel()).reshape(out.shape)
    out.backward(seed)
    return out.detach(), x.grad.detach()


N, C = 6, 5
logits = torch.randn(N, C) * 2
targets = torch.tensor([0, 4, 2, 2, 1, 3])
targets_ignore = torch.tensor([0, -100, 2, 2, -100, 3])
weights = torch.rand(C) + 0.5
for red in ["mean", "sum", "none"]:
    for ls in [0.0, 0.2]:
        for wname, w in [("noweight", None), ("weight", weights)]:
            for tname, t in [("plain", targets), ("ignore", targets_ignore)]:
                fn = lambda x, t=t, w=w: F.cross_entropy(x, t, weight=w, reduction=red, label_smoothing=ls)
                out, g = with_grad(fn, logits)
                inputs = [logits, t] + ([w] if w is not None else [])
                loss_case(f"ce_{red}_{ls}_{wname}_{tname}", "cross_entropy", inputs, out, g, reduction=red,
                          label_smoothing=ls, has_weight=w is not None)
probs = torch.softmax(torch.randn(N, C), dim=1)
for red in ["mean", "sum"]:
    for ls in [0.0, 0.1]:
        out, g = with_grad(lambda x: F.cross_entropy(x, probs, reduction=red, label_smoothing=ls), logits)
        loss_case(f"ce_probs_{red}_{ls}", "cross_entropy_probs", [logits, probs], out, g, reduction=red, label_smoothing=ls)
lg4 = torch.randn(2, C, 3, 2)
tg4 = torch.randint(0, C, (2, 3, 2))
out, g = with_grad(lambda x: F.cross_entropy(x, tg4), lg4)
loss_case("ce_spatial", "cross_entropy", [lg4, tg4], out, g, reduction="mean", label_smoothing=0.0, has_weight=False)
logp = torch.log_softmax(logits, 1)
out, g = with_grad(lambda x: F.nll_loss(x, targets_ignore, weight=weights), logp)
loss_case("nll_weight_ignore", "nll", [logp, targets_ignore, weights], out, g, reduction="mean", has_weight=True)
a = torch.randn(4, 3)
b = torch.randn(4, 3)
for red in ["mean", "sum", "none"]:
    out, g = with_grad(lambda x: F.mse_loss(x, b, reduction=red), a)
    loss_case(f"mse_{red}", "mse", [a, b], out, g, reduction=red)
    out, g = with_grad(lambda x: F.l1_loss(x, b, reduction=red), a)
    loss_case(f"l1_{red}", "l1", [a, b], out, g, reduction=red)
for beta in [1.0, 0.5]:
    out, g = with_grad(lambda x: F.smooth_l1_loss(x, b, beta=beta), a)
    loss_case(f"smooth_l1_{beta}", "smooth_l1", [a, b], out, g, reduction="mean", beta=beta)
    out, g = with_grad(lambda x: F.huber_loss(x, b, delta=beta), a)
    loss_case(f"huber_{beta}", "huber", [a, b], out, g, reduction="mean", delta=beta)
p = torch.sigmoid(torch.randn(4, 3))
t = (torch.rand(4, 3) > 0.5).float()
wb = torch.rand(4, 3)
out, g = with_grad(lambda x: F.binary_cross_entropy(x, t, weight=wb), p)
loss_case("bce_weight", "bce", [p, t, wb], out, g, reduction="mean", has_weight=True)
out, g = with_grad(lambda x: F.binary_cross_entropy(x, t), p)
loss_case("bce", "bce", [p, t], out, g, reduction="mean", has_weight=False)
z = torch.randn(4, 3) * 3
pw = torch.rand(3) + 0.5
out, g = with_grad(lambda x: F.binary_cross_entropy_with_logits(x, t, pos_weight=pw), z)
loss_case("bce_logits_posweight", "bce_logits", [z, t, pw], out, g, reduction="mean", has_pos_weight=True)
out, g = with_grad(lambda x: F.binary_cross_entropy_with_logits(x, t, reduction="sum"), z)
loss_case("bce_logits_sum", "bce_logits", [z, t], out, g, reduction="sum", has_pos_weight=False)
inp = torch.log_softmax(torch.randn(4, 5), 1)
tgt = torch.softmax(torch.randn(4, 5), 1)
tgt[0, 1] = 0.0
for red in ["batchmean", "sum", "mean", "none"]:
    out, g = with_grad(lambda x: F.kl_div(x, tgt, reduction=red), inp)
    loss_case(f"kl_{red}", "kl", [inp, tgt], out, g, reduction=red, log_target=False)
out, g = with_grad(lambda x: F.kl_div(x, torch.log(tgt + 1e-3), reduction="batchmean", log_target=True), inp)
loss_case("kl_log_target", "kl", [inp, torch.log(tgt + 1e-3)], out, g, reduction="batchmean", log_target=True)

# ---------------------------------------------------------------- layers
layers = []


def layer_case(name, op, inputs, out, grad, **args):
    layers.append({"name": name, "op": op, "inputs": [T(x) for x in inputs], "outputs": [T(out), T(grad)], "args": args})


x = torch.randn(4, 3, 5, 5)
bn = nn.BatchNorm2d(3)
bn.weight.data = torch.rand(3) + 0.5
bn.bias.data = torch.randn(3)
xg = x.clone().requires_grad_(True)
y = bn(xg)
y.backward(torch.linspace(-1, 1, y.numel()).reshape(y.shape))
layers.append({"name": "batchnorm2d_train", "op": "batchnorm", "inputs": [T(x), T(bn.weight), T(bn.bias)],
               "outputs": [T(y), T(xg.grad), T(bn.running_mean), T(bn.running_var)], "args": {}})
bn.eval()
ye = bn(x)
layers.append({"name": "batchnorm2d_eval", "op": "batchnorm_eval", "inputs": [T(x), T(bn.weight), T(bn.bias),
               T(bn.running_mean), T(bn.running_var)], "outputs": [T(ye)], "args": {}})
x1 = torch.randn(8, 6)
bn1 = nn.BatchNorm1d(6)
y1 = bn1(x1)
layers.append({"name": "batchnorm1d_train", "op": "batchnorm", "inputs": [T(x1), T(bn1.weight), T(bn1.bias)],
               "outputs": [T(y1), T(torch.zeros(1)), T(bn1.running_mean), T(bn1.running_var)], "args": {"no_grad": True}})
ln = nn.LayerNorm([4, 5])
ln.weight.data = torch.rand(4, 5) + 0.5
ln.bias.data = torch.randn(4, 5)
xl = torch.randn(3, 4, 5)
xg = xl.clone().requires_grad_(True)
y = ln(xg)
y.backward(torch.linspace(-1, 1, y.numel()).reshape(y.shape))
layers.append({"name": "layernorm", "op": "layernorm", "inputs": [T(xl), T(ln.weight), T(ln.bias)],
               "outputs": [T(y), T(xg.grad)], "args": {}})
rms = nn.RMSNorm(5, eps=1e-6)
rms.weight.data = torch.rand(5) + 0.5
xg = xl.clone().requires_grad_(True)
y = rms(xg)
y.backward(torch.linspace(-1, 1, y.numel()).reshape(y.shape))
layers.append({"name": "rmsnorm", "op": "rmsnorm", "inputs": [T(xl), T(rms.weight)], "outputs": [T(y), T(xg.grad)], "args": {}})
gn = nn.GroupNorm(2, 6)
gn.weight.data = torch.rand(6) + 0.5
gn.bias.data = torch.randn(6)
xgn = torch.randn(2, 6, 3, 3)
xg = xgn.clone().requires_grad_(True)
y = gn(xg)
y.backward(torch.linspace(-1, 1, y.numel()).reshape(y.shape))
layers.append({"name": "groupnorm", "op": "groupnorm", "inputs": [T(xgn), T(gn.weight), T(gn.bias)],
               "outputs": [T(y), T(xg.grad)], "args": {"groups": 2}})
xa = torch.randn(2, 3, 7, 5)
for osz in [(1, 1), (3, 2), (7, 5), (4, 3)]:
    layers.append({"name": f"adaptive_avg_{osz}", "op": "adaptive_avg", "inputs": [T(xa)],
                   "outputs": [T(F.adaptive_avg_pool2d(xa, osz))], "args": {"size": list(osz)}})

# ---------------------------------------------------------------- models
def state(model):
    return {k: T(v) for k, v in model.state_dict().items() if v.dtype == torch.float32}


def model_case(model, x, y, name):
    init = state(model)
    out = model(x)
    loss = F.cross_entropy(out, y)
    model.zero_grad()
    loss.backward()
    grads = {k: T(p.grad) for k, p in model.named_parameters()}
    steps = {}
    makers = {
        "sgd": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3),
        "adam": lambda p: torch.optim.Adam(p, lr=0.01),
        "adamw": lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.05, amsgrad=True),
        "rmsprop": lambda p: torch.optim.RMSprop(p, lr=0.01, momentum=0.5, centered=True),
        "adagrad": lambda p: torch.optim.Adagrad(p, lr=0.05, lr_decay=0.01),
    }
    for opt_name, make in makers.items():
        mc = copy.deepcopy(model)
        mc.load_state_dict({k: torch.tensor(v["data"]).reshape(v["shape"]) for k, v in init.items()})
        opt = make(mc.parameters())
        for _ in range(5):
            opt.zero_grad()
            F.cross_entropy(mc(x), y).backward()
            opt.step()
        steps[opt_name] = state(mc)
    return {"name": name, "params": init, "input": T(x), "target": T(y), "loss": float(loss.detach()), "grads": grads, "steps": steps}


torch.manual_seed(7)
mlp = nn.Sequential(nn.Linear(12, 8), nn.ReLU(), nn.Linear(8, 5))
xm = torch.randn(6, 12)
ym = torch.randint(0, 5, (6,))
cnn = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(),
                    nn.Flatten(), nn.Linear(36, 5))
xc = torch.randn(2, 1, 8, 8)
yc = torch.tensor([1, 4])
models = [model_case(mlp, xm, ym, "mlp"), model_case(cnn, xc, yc, "cnn")]

for name, obj in [("losses", losses), ("layers", layers), ("models", models)]:
    with open(os.path.join(HERE, f"{name}.json"), "w") as fh:
        json.dump(obj, fh, separators=(",", ":"))
    print(f"{name}.json: {len(obj)} cases")
