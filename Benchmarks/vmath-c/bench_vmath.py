# One-thread timings of the vmath kernels next to numpy (best of several runs).
#
#   python3 bench_vmath.py --lib build/libvm_O2.so [--reps 7] [--variants avx512,avx2,generic]
#
# numpy's element-wise ufuncs and np.sum are single-threaded; the kernels are called on one thread.
import argparse
import math
import os
import time

import numpy as np

from vmath_lib import VMath

try:
  import scipy.special as sp
except ImportError:
  sp = None

N = 1 << 24
ROWS = COLS = 4096


def best(f, reps):
  f()
  t = math.inf
  for _ in range(reps):
    t0 = time.perf_counter()
    f()
    t = min(t, time.perf_counter() - t0)
  return t


def main():
  ap = argparse.ArgumentParser()
  ap.add_argument("--lib", default="build/libvm_O2.so")
  ap.add_argument("--reps", type=int, default=7)
  ap.add_argument("--variants", default="avx512,avx2")
  args = ap.parse_args()
  vm = VMath(args.lib)
  variants = [v for v in args.variants.split(",") if v in vm.isas()]
  rng = np.random.default_rng(0)
  x = (rng.standard_normal(N) * 3).astype(np.float32)
  y = np.empty_like(x)
  m = (rng.standard_normal((ROWS, COLS)) * 3).astype(np.float32)
  my = np.empty_like(m)
  s2 = np.float32(1 / math.sqrt(2))

  numpy_ops = {
    "exp": [("np.exp(x, out=y)", lambda: np.exp(x, out=y)), ("np.exp(x)", lambda: np.exp(x))],
    "tanh": [("np.tanh(x, out=y)", lambda: np.tanh(x, out=y))],
    "sigmoid": [("1/(1+np.exp(-x))", lambda: 1 / (1 + np.exp(-x)))],
    "gelu": [],
    "gelu_tanh": [("0.5x(1+tanh(c(x+.044715x^3)))", lambda: 0.5 * x * (
        1 + np.tanh(np.float32(0.7978846) * (x + np.float32(0.044715) * x**3))))],
    "silu": [("x/(1+np.exp(-x))", lambda: x / (1 + np.exp(-x)))],
  }
  if sp is not None:
    numpy_ops["sigmoid"].append(("scipy expit(x, out=y)", lambda: sp.expit(x, out=y)))
    numpy_ops["gelu"].append(("0.5x(1+erf(x/sqrt2)) scipy", lambda: 0.5 * x * (1 + sp.erf(x * s2))))

  def born_map(f):
    return lambda: vm.vmath(f, x, out=y)

  rows = []
  for f, refs in numpy_ops.items():
    rows.append((f"{f} 16M", {v: born_map(f) for v in variants}, refs))
  rows.append(("sum 16M", {v: (lambda: vm.sum(x)) for v in variants},
               [("np.sum(x)", lambda: np.sum(x))]))

  def np_softmax():
    e = np.exp(m - m.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)

  def np_log_softmax():
    d = m - m.max(1, keepdims=True)
    return d - np.log(np.exp(d).sum(1, keepdims=True))

  rows.append(("softmax 4096x4096", {v: (lambda: vm.softmax(m, False, my)) for v in variants},
               [("numpy exp/sum", np_softmax)]))
  rows.append(("log_softmax 4096x4096", {v: (lambda: vm.softmax(m, True, my)) for v in variants},
               [("numpy", np_log_softmax)]))

  env = os.environ.get
  print(f"# numpy {np.__version__}, OPENBLAS_CORETYPE={env('OPENBLAS_CORETYPE', '(unset)')}"
        f" OPENBLAS_L2_SIZE={env('OPENBLAS_L2_SIZE', '(unset)')}"
        + (" numpy AVX-512 disabled" if env("NPY_DISABLE_CPU_FEATURES") else "")
        + f"; ms, best of {args.reps}; ratio = numpy / born")
  head = f"{'op':22s}" + "".join(f" {'born ' + v:>12s}" for v in variants)
  head += f"  {'numpy':34s} {'ms':>8s}" + "".join(f" {'ratio ' + v:>12s}" for v in variants)
  print(head)
  for name, ours, refs in rows:
    t_ours = {}
    for v, f in ours.items():
      vm.use(v)
      t_ours[v] = best(f, args.reps)
    for j, (rname, rf) in enumerate(refs or [("-", None)]):
      t_ref = best(rf, args.reps) if rf else math.nan
      left = f"{name if j == 0 else '':22s}" + "".join(
        f" {t_ours[v] * 1e3:12.2f}" if j == 0 else f" {'':12s}" for v in variants)
      print(left + f"  {rname:34s} {t_ref * 1e3:8.2f}" +
            "".join(f" {t_ref / t_ours[v]:12.2f}" for v in variants))


if __name__ == "__main__":
  main()
