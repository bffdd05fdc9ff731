#!/usr/bin/env python3
"""Writes the reference fixtures for Born's core tensor tests.

Every expected value comes from NumPy/SciPy (and PyTorch for convolution and pooling, when
installed); Born's tests compare against these files and never run this script.

    python3 Tests/Fixtures/core/generate.py      # rewrites Tests/Fixtures/core/*.json
"""
import json
import math
import os

import numpy as np
import scipy.special

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261125)

DT = {"f32": np.float32, "f64": np.float64, "i32": np.int32, "i64": np.int64, "bool": np.bool_,
      "f16": np.float16, "u8": np.uint8, "i8": np.int8}


def enc(v):
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def T(a, dtype=None):
    a = np.asarray(a)
    if dtype is None:
        dtype = {np.dtype(np.float32): "f32", np.dtype(np.float64): "f64", np.dtype(np.int32): "i32",
                 np.dtype(np.int64): "i64", np.dtype(np.bool_): "bool", np.dtype(np.float16): "f16",
                 np.dtype(np.uint8): "u8", np.dtype(np.int8): "i8"}[a.dtype]
    return {"dtype": dtype, "shape": list(a.shape), "data": [enc(x) for x in a.reshape(-1).tolist()]}


cases = {}


def add(family, name, op, inputs, outputs, **args):
    cases.setdefault(family, []).append(
        {"name": name, "op": op, "inputs": inputs, "outputs": outputs, "args": args})


SPECIALS = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.5, 1e-30, -1e-30, 1e30, -1e30, 88.0, -88.0, 100.0, -105.0,
            float("inf"), float("-inf"), float("nan"), 1e-7, 20.0, -20.0, 0.1, 2.0, -0.75]


def unary_ref(op, x, **a):
    with np.errstate(all="ignore"):
        if op == "neg": return -x
        if op == "abs": return np.abs(x)
        if op == "exp": return np.exp(x)
        if op == "log": return np.log(x)
        if op == "log1p": return np.log1p(x)
        if op == "expm1": return np.expm1(x)
        if op == "sqrt": return np.sqrt(x)
        if op == "rsqrt": return 1 / np.sqrt(x)
        if op == "reciprocal": return 1 / x
        if op == "square": return x * x
        if op == "sin": return np.sin(x)
        if op == "cos": return np.cos(x)
        if op == "tanh": return np.tanh(x)
        if op == "erf": return scipy.special.erf(x)
        if op == "sigmoid": return scipy.special.expit(x)
        if op == "relu": return np.where(np.isnan(x), x, np.maximum(x, 0))
        if op == "leaky_relu": return np.where(x < 0, a["alpha"] * x, x)
        if op == "elu": return np.where(x > 0, x, a["alpha"] * np.expm1(x))
        if op == "gelu": return 0.5 * x * scipy.special.erfc(-x / np.sqrt(2))
        if op == "gelu_tanh": return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))
        if op == "silu": return x * scipy.special.expit(x)
        if op == "softplus": return np.logaddexp(0, x)
        if op == "floor": return np.floor(x)
        if op == "ceil": return np.ceil(x)
        if op == "round": return np.round(x)
        if op == "sign": return np.sign(x)
        if op == "clamp": return np.clip(x, a["min"], a["max"])
        if op == "pow_scalar": return np.power(x, a["p"])
    raise KeyError(op)


UNARY = ["neg", "abs", "exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "reciprocal", "square", "sin", "cos",
         "tanh", "erf", "sigmoid", "relu", "leaky_relu", "elu", "gelu", "gelu_tanh", "silu", "softplus", "floor",
         "ceil", "round", "sign", "clamp", "pow_scalar"]
UARGS = {"leaky_relu": {"alpha": 0.1}, "elu": {"alpha": 1.5}, "clamp": {"min": -1.0, "max": 2.0},
         "pow_scalar": {"p": 1.7}}

for op in UNARY:
    args = UARGS.get(op, {})
    for dt in ["f32", "f64"]:
        npdt = DT[dt]
        x = np.concatenate([np.array(SPECIALS), rng.normal(0, 3, 40), rng.uniform(-10, 10, 40)]).astype(npdt)
        if op in ("log", "sqrt", "rsqrt", "pow_scalar"):
            x = np.concatenate([x, np.abs(x)]).astype(npdt)
        if op in ("sin", "cos"):
            x = np.concatenate([x, rng.uniform(-1e4, 1e4, 20)]).astype(npdt)
        y = unary_ref(op, x.astype(np.float64), **args)
        if op in ("gelu", "gelu_tanh", "silu"):
            # Born returns the limits at ±inf (0 and inf) where x·Φ(x) evaluates inf·0 = NaN in
            # NumPy and PyTorch.
            y = np.where(np.isneginf(x), 0.0, np.where(np.isposinf(x), np.inf, y))
        add("elementwise", f"{op}_{dt}", op, [T(x, dt)], [T(np.asarray(y).astype(npdt), dt)], **args)
    # A non-contiguous input (transposed view) in f32.
    x = rng.normal(0, 2, (5, 7)).astype(np.float32)
    if op in ("log", "sqrt", "rsqrt", "pow_scalar"):
        x = np.abs(x) + 0.1
    y = unary_ref(op, x.T.astype(np.float64), **args).astype(np.float32)
    add("elementwise", f"{op}_f32_transposed", op, [T(x)], [T(y)], transpose_input=True, **args)

# Binary ops with broadcasting.
SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 3), (4, 1)), ((), (2, 3)), ((0, 3), (1, 3)), ((5,), ())]
for op in ["add", "sub", "mul", "div", "pow", "maximum", "minimum"]:
    for dt in ["f32", "f64"]:
        npdt = DT[dt]
        for sa, sb in SHAPES:
            a = rng.normal(0, 2, sa).astype(npdt)
            b = rng.normal(0, 2, sb).astype(npdt)
            if op == "pow":
                a = np.abs(a) + 0.5
            with np.errstate(all="ignore"):
                f = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide, "pow": np.power,
                     "maximum": np.maximum, "minimum": np.minimum}[op]
                y = f(a.astype(np.float64), b.astype(np.float64)).astype(npdt)
            add("elementwise", f"{op}_{dt}_{sa}_{sb}", op, [T(a, dt), T(b, dt)], [T(y, dt)])
    # Specials: NaN and infinities.
    a = np.array([1.0, float("nan"), float("inf"), -float("inf"), 0.0, -0.0, 2.0, float("nan")], np.float32)
    b = np.array([float("nan"), 1.0, float("inf"), 1.0, 0.0, 1.0, -float("inf"), float("nan")], np.float32)
    with np.errstate(all="ignore"):
        f = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide, "pow": np.power,
             "maximum": np.maximum, "minimum": np.minimum}[op]
        y = f(a, b)
    add("elementwise", f"{op}_f32_specials", op, [T(a), T(b)], [T(y)])

# Integer arithmetic (i32 and i64): wrapping, truncating division, x / 0 == 0.
for dt in ["i32", "i64"]:
    npdt = DT[dt]
    a = rng.integers(-50, 50, (4, 5)).astype(npdt)
    b = rng.integers(-6, 6, (5,)).astype(npdt)
    ab = np.broadcast_arrays(a, b)
    for op in ["add", "sub", "mul", "maximum", "minimum"]:
        f = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "maximum": np.maximum, "minimum": np.minimum}[op]
        add("elementwise", f"{op}_{dt}", op, [T(a), T(b)], [T(f(a, b).astype(npdt))])
    q = np.where(ab[1] == 0, 0, np.trunc(ab[0].astype(np.float64) / np.where(ab[1] == 0, 1, ab[1]))).astype(npdt)
    add("elementwise", f"div_{dt}", "div", [T(a), T(b)], [T(q)])
    big = np.array([np.iinfo(npdt).max, np.iinfo(npdt).min, 7], npdt)
    one = np.array([1, -1, 3], npdt)
    with np.errstate(all="ignore"):
        add("elementwise", f"add_{dt}_wraps", "add", [T(big), T(one)], [T((big + one).astype(npdt))])
    for op in ["abs", "neg", "square", "sign", "relu"]:
        x = rng.integers(-20, 20, (11,)).astype(npdt)
        y = {"abs": np.abs, "neg": np.negative, "square": np.square, "sign": np.sign,
             "relu": lambda v: np.maximum(v, 0)}[op](x).astype(npdt)
        add("elementwise", f"{op}_{dt}", op, [T(x)], [T(y)])

# Comparisons (result bool), f32 with NaN, and i32.
for op, f in [("eq", np.equal), ("ne", np.not_equal), ("lt", np.less), ("le", np.less_equal), ("gt", np.greater),
              ("ge", np.greater_equal)]:
    a = np.array([[1, 2, float("nan")], [4, 5, 6]], np.float32)
    b = np.array([2, 2, float("nan")], np.float32)
    add("compare", f"{op}_f32", op, [T(a), T(b)], [T(f(a, b))])
    a = rng.integers(-3, 3, (3, 4)).astype(np.int32)
    b = rng.integers(-3, 3, (3, 1)).astype(np.int32)
    add("compare", f"{op}_i32", op, [T(a), T(b)], [T(f(a, b))])
pa = rng.random((3, 4)) < 0.5
pb = rng.random((4,)) < 0.5
for op, f in [("and", np.logical_and), ("or", np.logical_or), ("xor", np.logical_xor)]:
    add("compare", f"{op}_bool", op, [T(pa), T(pb)], [T(f(pa, pb))])
add("compare", "not_bool", "not", [T(pa)], [T(np.logical_not(pa))])
x = np.array(SPECIALS, np.float32)
for op, f in [("isnan", np.isnan), ("isinf", np.isinf), ("isfinite", np.isfinite)]:
    add("compare", f"{op}_f32", op, [T(x)], [T(f(x))])
c = rng.random((2, 1, 4)) < 0.5
a = rng.normal(size=(3, 4)).astype(np.float32)
b = rng.normal(size=(2, 3, 1)).astype(np.float32)
add("compare", "where_f32", "where", [T(c), T(a), T(b)], [T(np.where(c, a, b))])

# Reductions.
red_inputs = {"f32": rng.normal(0, 1, (3, 4, 5)).astype(np.float32), "f64": rng.normal(0, 1, (3, 4, 5))}
for dt, x in red_inputs.items():
    for axes in [None, [0], [1], [2], [-1], [0, 2], [1, 2], [0, 1, 2]]:
        ax = None if axes is None else tuple(axes)
        for keep in [False, True]:
            for op, f in [("sum", np.sum), ("mean", np.mean), ("prod", np.prod), ("max", np.max), ("min", np.min)]:
                y = f(x.astype(np.float64), axis=ax, keepdims=keep).astype(x.dtype)
                add("reduce", f"{op}_{dt}_{axes}_{keep}", op, [T(x, dt)], [T(np.asarray(y), dt)], axes=axes, keep=keep)
            for corr in [0, 1]:
                v = np.var(x.astype(np.float64), axis=ax, ddof=corr, keepdims=keep).astype(x.dtype)
                add("reduce", f"var_{dt}_{axes}_{keep}_{corr}", "var", [T(x, dt)], [T(np.asarray(v), dt)],
                    axes=axes, keep=keep, correction=corr)
                s = np.std(x.astype(np.float64), axis=ax, ddof=corr, keepdims=keep).astype(x.dtype)
                add("reduce", f"std_{dt}_{axes}_{keep}_{corr}", "std", [T(x, dt)], [T(np.asarray(s), dt)],
                    axes=axes, keep=keep, correction=corr)
            ls = scipy.special.logsumexp(x.astype(np.float64), axis=ax, keepdims=keep).astype(x.dtype)
            add("reduce", f"logsumexp_{dt}_{axes}_{keep}", "logsumexp", [T(x, dt)], [T(np.asarray(ls), dt)],
                axes=axes, keep=keep)
    for axis in [0, 1, 2, -1]:
        xd = x.astype(np.float64)
        add("reduce", f"argmax_{dt}_{axis}", "argmax", [T(x, dt)], [T(np.argmax(x, axis=axis).astype(np.int64))], axis=axis)
        add("reduce", f"argmin_{dt}_{axis}", "argmin", [T(x, dt)], [T(np.argmin(x, axis=axis).astype(np.int64))], axis=axis)
        add("reduce", f"cumsum_{dt}_{axis}", "cumsum", [T(x, dt)], [T(np.cumsum(xd, axis=axis).astype(x.dtype), dt)], axis=axis)
        add("reduce", f"cumprod_{dt}_{axis}", "cumprod", [T(x, dt)], [T(np.cumprod(xd, axis=axis).astype(x.dtype), dt)], axis=axis)
        sm = scipy.special.softmax(xd, axis=axis).astype(x.dtype)
        add("reduce", f"softmax_{dt}_{axis}", "softmax", [T(x, dt)], [T(sm, dt)], axis=axis)
        lsm = scipy.special.log_softmax(xd, axis=axis).astype(x.dtype)
        add("reduce", f"log_softmax_{dt}_{axis}", "log_softmax", [T(x, dt)], [T(lsm, dt)], axis=axis)
# Softmax stability at magnitude 1e4, and a long row that exercises the vector path.
big = (rng.normal(0, 1, (4, 37)) * 1e4).astype(np.float32)
add("reduce", "softmax_f32_1e4", "softmax", [T(big)], [T(scipy.special.softmax(big.astype(np.float64), axis=1).astype(np.float32))], axis=1)
add("reduce", "log_softmax_f32_1e4", "log_softmax", [T(big)], [T(scipy.special.log_softmax(big.astype(np.float64), axis=1).astype(np.float32))], axis=1)
long = rng.normal(0, 3, (3, 1000)).astype(np.float32)
add("reduce", "softmax_f32_long", "softmax", [T(long)], [T(scipy.special.softmax(long.astype(np.float64), axis=1).astype(np.float32))], axis=1)
add("reduce", "sum_f32_long", "sum", [T(long)], [T(long.astype(np.float64).sum(axis=1).astype(np.float32))], axes=[1], keep=False)
add("reduce", "max_f32_nan", "max", [T(np.array([[1, float("nan"), 3], [4, 5, 6]], np.float32))],
    [T(np.array([float("nan"), 6], np.float32))], axes=[1], keep=False)
add("reduce", "argmax_f32_nan", "argmax", [T(np.array([[1, float("nan"), 3], [4, 6, 6]], np.float32))],
    [T(np.array([1, 1], np.int64))], axis=1)
ib = rng.integers(-5, 5, (3, 4)).astype(np.int32)
add("reduce", "sum_i32", "sum", [T(ib)], [T(ib.sum(axis=0).astype(np.int32))], axes=[0], keep=False)
add("reduce", "max_i32", "max", [T(ib)], [T(ib.max(axis=1).astype(np.int32))], axes=[1], keep=False)
add("reduce", "cumsum_i32", "cumsum", [T(ib)], [T(np.cumsum(ib, axis=1).astype(np.int32))], axis=1)
bb = rng.random((3, 4)) < 0.6
add("reduce", "all_bool", "all", [T(bb)], [T(bb.all(axis=1))], axes=[1], keep=False)
add("reduce", "any_bool", "any", [T(bb)], [T(bb.any(axis=0))], axes=[0], keep=False)

# Shape ops whose results NumPy defines.
x = rng.normal(0, 1, (2, 3, 4)).astype(np.float32)
add("shape", "permute_120", "permute", [T(x)], [T(np.transpose(x, (1, 2, 0)))], order=[1, 2, 0])
add("shape", "pad_constant", "pad", [T(x)], [T(np.pad(x, ((0, 0), (1, 2), (2, 0)), constant_values=1.5))],
    pads=[[0, 0], [1, 2], [2, 0]], mode="constant", value=1.5)
add("shape", "pad_reflect", "pad", [T(x)], [T(np.pad(x, ((1, 1), (2, 1), (3, 2)), mode="reflect"))],
    pads=[[1, 1], [2, 1], [3, 2]], mode="reflect", value=0)
add("shape", "pad_replicate", "pad", [T(x)], [T(np.pad(x, ((0, 1), (2, 0), (1, 3)), mode="edge"))],
    pads=[[0, 1], [2, 0], [1, 3]], mode="replicate", value=0)
add("shape", "repeat", "repeat", [T(x)], [T(np.tile(x, (2, 1, 3, 2)))], counts=[2, 1, 3, 2])
add("shape", "tile", "tile", [T(x)], [T(np.tile(x, (2, 2)))], counts=[2, 2])
y = rng.normal(0, 1, (2, 1, 4)).astype(np.float32)
add("shape", "cat_axis1", "cat", [T(x), T(y)], [T(np.concatenate([x, y], axis=1))], axis=1)
add("shape", "stack_axis2", "stack", [T(x), T(x * 2)], [T(np.stack([x, x * 2], axis=2))], axis=2)
add("shape", "slice_steps", "slice_0_2_step2", [T(np.arange(60, dtype=np.float32).reshape(3, 4, 5))],
    [T(np.arange(60, dtype=np.float32).reshape(3, 4, 5)[::2, 1:, -1])])

# Indexing.
x = rng.normal(0, 1, (4, 5)).astype(np.float32)
idx = rng.integers(0, 4, (3, 5)).astype(np.int64)
add("index", "gather_axis0", "gather", [T(x), T(idx)], [T(np.take_along_axis(x, idx, axis=0))], axis=0)
idx1 = rng.integers(0, 5, (4, 2)).astype(np.int64)
add("index", "gather_axis1", "gather", [T(x), T(idx1)], [T(np.take_along_axis(x, idx1, axis=1))], axis=1)
# scatter_add with duplicates: computed with np.add.at.
src = rng.normal(0, 1, (3, 5)).astype(np.float32)
expected = x.copy()
for i in range(3):
    for j in range(5):
        expected[idx[i, j], j] += src[i, j]
add("index", "scatter_add_axis0", "scatter_add", [T(x), T(idx), T(src)], [T(expected)], axis=0)
perm = np.array([[3, 0, 2, 1, 4]] * 4, np.int64)
sx = x.copy()
np.put_along_axis(sx, perm, src[:1].repeat(4, 0)[:, :5] * 0 + np.arange(20, dtype=np.float32).reshape(4, 5), axis=1)
add("index", "scatter_axis1_perm", "scatter", [T(x), T(perm), T(np.arange(20, dtype=np.float32).reshape(4, 5))],
    [T(sx)], axis=1)
sel = np.array([3, 0, 3, 1], np.int64)
add("index", "index_select_axis1", "index_select", [T(x), T(sel)], [T(np.take(x, sel, axis=1))], axis=1)
lab = np.array([0, 3, 2, 3, 1], np.int64)
add("index", "one_hot", "one_hot", [T(lab)], [T(np.eye(4, dtype=np.float32)[lab])], classes=4)
v = rng.normal(0, 1, (3, 8)).astype(np.float32)
v[1, 2] = v[1, 5]  # a tie
order = np.argsort(v, axis=1, kind="stable")
add("index", "sort_asc", "sort", [T(v)], [T(np.take_along_axis(v, order, 1)), T(order.astype(np.int64))], axis=1, descending=False)
orderd = np.argsort(-v, axis=1, kind="stable")
add("index", "sort_desc", "sort", [T(v)], [T(np.take_along_axis(v, orderd, 1)), T(orderd.astype(np.int64))], axis=1, descending=True)
order0 = np.argsort(v, axis=0, kind="stable")
add("index", "sort_axis0", "sort", [T(v)], [T(np.take_along_axis(v, order0, 0)), T(order0.astype(np.int64))], axis=0, descending=False)
vn = np.array([[3, float("nan"), 1, 2]], np.float32)
add("index", "sort_nan", "sort", [T(vn)], [T(np.sort(vn, axis=1)), T(np.argsort(vn, axis=1, kind="stable").astype(np.int64))], axis=1, descending=False)
for k in [1, 3, 8]:
    top = orderd[:, :k]
    add("index", f"topk_largest_{k}", "topk", [T(v)], [T(np.take_along_axis(v, top, 1)), T(top.astype(np.int64))], axis=1, k=k, largest=True)
    bot = order[:, :k]
    add("index", f"topk_smallest_{k}", "topk", [T(v)], [T(np.take_along_axis(v, bot, 1)), T(bot.astype(np.int64))], axis=1, k=k, largest=False)

# Matrix products (f64 reference, rounded).
for sa, sb in [((3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,)), ((2, 3, 4), (4, 5)),
               ((2, 1, 3, 4), (3, 4, 2)), ((1, 7), (7, 1)), ((17, 33), (33, 9)), ((0, 4), (4, 3)), ((3, 0), (0, 2))]:
    for dt in ["f32", "f64"]:
        a = rng.normal(0, 1, sa).astype(DT[dt])
        b = rng.normal(0, 1, sb).astype(DT[dt])
        y = np.matmul(a.astype(np.float64), b.astype(np.float64)).astype(DT[dt])
        add("linalg", f"matmul_{dt}_{sa}_{sb}", "matmul", [T(a, dt), T(b, dt)], [T(np.asarray(y), dt)])
a = rng.normal(0, 1, (5, 3)).astype(np.float32)
b = rng.normal(0, 1, (4, 5)).astype(np.float32)
add("linalg", "matmul_transposed_views", "matmul_tt", [T(a), T(b)],
    [T((a.T.astype(np.float64) @ b.T.astype(np.float64)).astype(np.float32))])
ai = rng.integers(-5, 5, (3, 4)).astype(np.int32)
bi = rng.integers(-5, 5, (4, 2)).astype(np.int32)
add("linalg", "matmul_i32", "matmul", [T(ai), T(bi)], [T((ai @ bi).astype(np.int32))])
u = rng.normal(0, 1, 4).astype(np.float32)
w = rng.normal(0, 1, 3).astype(np.float32)
add("linalg", "outer_f32", "outer", [T(u), T(w)], [T(np.outer(u, w))])

# Casts with Born's rules (written down in TensorElement's documentation).
f = np.array([0.0, -0.0, 1.5, -1.5, 2.5, 65504.0, 65520.0, 1e6, -1e6, 6e-8, 3e-8, 1.0009765625, 1.00048828125,
              float("inf"), float("-inf"), float("nan"), 3.0e38, 1e-40], np.float32)
add("cast", "f32_to_f16", "cast", [T(f)], [T(f.astype(np.float16))], to="f16")


def bf16_round(a):
    bits = np.asarray(a, np.float32).view(np.uint32).astype(np.uint64)
    nan = np.isnan(a)
    r = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint32)
    r = np.where(nan, ((bits >> 16) | 0x40).astype(np.uint32), r)
    return (r << 16).astype(np.uint32).view(np.float32)


fb = np.array([0.0, 1.0, 1.00390625, 1.01171875, 1.0078125, 3.14159265, -2.71828, 3.4e38, 1e-40,
               float("inf"), float("nan"), 65536.5, 1.0 + 2 ** -8, 1.0 + 3 * 2 ** -8], np.float32)
add("cast", "f32_to_bf16", "cast", [T(fb)], [T(bf16_round(fb), "f32")], to="bf16")
fi = np.array([0.0, 1.9, -1.9, 2.5, -2.5, 1e10, -1e10, 2147483520.0, float("nan"), float("inf"), float("-inf"), 127.9,
               -128.9, 300.0, -1.0], np.float32)


def sat(a, lo, hi):
    out = []
    for v in a.astype(np.float64):
        if math.isnan(v): out.append(0)
        elif v <= lo: out.append(lo)
        elif v >= hi: out.append(hi)
        else: out.append(int(math.trunc(v)))
    return out


add("cast", "f32_to_i32", "cast", [T(fi)], [T(np.array(sat(fi, -2 ** 31, 2 ** 31 - 1), np.int32))], to="i32")
add("cast", "f32_to_i8", "cast", [T(fi)], [T(np.array(sat(fi, -128, 127), np.int8))], to="i8")
add("cast", "f32_to_u8", "cast", [T(fi)], [T(np.array(sat(fi, 0, 255), np.uint8))], to="u8")
add("cast", "f32_to_bool", "cast", [T(fi)], [T(fi != 0)], to="bool")
ii = np.array([0, 1, -1, 127, 128, 255, 256, -129, 70000, -70000, 2 ** 31 - 1], np.int64)
add("cast", "i64_to_i8", "cast", [T(ii)], [T(ii.astype(np.int8))], to="i8")
add("cast", "i64_to_u8", "cast", [T(ii)], [T(ii.astype(np.uint8))], to="u8")
add("cast", "i64_to_i32", "cast", [T(ii)], [T(ii.astype(np.int32))], to="i32")
add("cast", "i64_to_f32", "cast", [T(np.array([2 ** 24 + 1, 2 ** 53 + 1, -3], np.int64))],
    [T(np.array([2 ** 24 + 1, 2 ** 53 + 1, -3], np.int64).astype(np.float32))], to="f32")
d = np.array([1.0000000596046448, 1.00048828125 + 2 ** -40, 0.1, 1e-8, 70000.0], np.float64)
add("cast", "f64_to_f16_single_rounding", "cast", [T(d)], [T(d.astype(np.float16))], to="f16")

# Convolution and pooling from PyTorch when it is installed.
try:
    import torch
    import torch.nn.functional as F
    torch.manual_seed(0)
    for (n, c, h, w, o, k, stride, pad, dil, groups) in [
        (2, 3, 7, 6, 4, 3, 1, 0, 1, 1), (1, 4, 8, 8, 6, 3, 2, 1, 1, 2), (2, 2, 9, 7, 2, 3, 1, 2, 2, 1),
        (1, 1, 28, 28, 6, 5, 1, 0, 1, 1), (2, 6, 5, 5, 6, 1, 1, 0, 1, 1), (1, 4, 6, 6, 4, 3, (2, 1), (1, 0), 1, 4)]:
        x = torch.randn(n, c, h, w, dtype=torch.float64)
        wt = torch.randn(o, c // groups, k, k, dtype=torch.float64)
        b = torch.randn(o, dtype=torch.float64)
        st = stride if isinstance(stride, tuple) else (stride, stride)
        pd = pad if isinstance(pad, tuple) else (pad, pad)
        y = F.conv2d(x, wt, b, stride=st, padding=pd, dilation=dil, groups=groups)
        for dt, tdt in [("f32", torch.float32), ("f64", torch.float64)]:
            add("nn", f"conv2d_{dt}_{n}{c}{h}{w}_{o}{k}_{st}{pd}{dil}{groups}", "conv2d",
                [T(x.to(tdt).numpy(), dt), T(wt.to(tdt).numpy(), dt), T(b.to(tdt).numpy(), dt)],
                [T(y.to(tdt).numpy(), dt)], stride=list(st), padding=list(pd), dilation=[dil, dil], groups=groups)
    x = torch.randn(2, 4, 11, dtype=torch.float64)
    wt = torch.randn(6, 2, 3, dtype=torch.float64)
    y = F.conv1d(x, wt, None, stride=2, padding=1, dilation=1, groups=2)
    add("nn", "conv1d_f32", "conv1d", [T(x.float().numpy()), T(wt.float().numpy())], [T(y.float().numpy())],
        stride=2, padding=1, dilation=1, groups=2)
    for (k, s, p, d, ceil) in [((2, 2), (2, 2), (0, 0), 1, False), ((3, 3), (2, 2), (1, 1), 1, False),
                               ((3, 2), (1, 2), (1, 0), 2, True), ((2, 2), (2, 2), (0, 0), 1, True)]:
        x = torch.randn(2, 3, 9, 8, dtype=torch.float64)
        y = F.max_pool2d(x, k, s, p, dilation=d, ceil_mode=ceil)
        add("nn", f"maxpool_{k}{s}{p}{d}{ceil}", "maxpool2d", [T(x.float().numpy())], [T(y.float().numpy())],
            kernel=list(k), stride=list(s), padding=list(p), dilation=[d, d], ceil=ceil)
        if d == 1:
            for cip in [True, False]:
                y = F.avg_pool2d(x, k, s, p, ceil_mode=ceil, count_include_pad=cip)
                add("nn", f"avgpool_{k}{s}{p}{ceil}{cip}", "avgpool2d", [T(x.float().numpy())], [T(y.float().numpy())],
                    kernel=list(k), stride=list(s), padding=list(p), ceil=ceil, count_include_pad=cip)
except ImportError:
    print("torch is not installed: convolution and pooling fixtures were not regenerated")

for family, items in cases.items():
    path = os.path.join(HERE, f"{family}.json")
    with open(path, "w") as fh:
        json.dump(items, fh, separators=(",", ":"))
    print(f"{path}: {len(items)} cases")
