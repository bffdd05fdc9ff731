# Accuracy and special-value tests of the vmath kernels against float64 numpy/scipy references.
#
#   python3 test_vmath.py --lib build/libvm_O2.so [--quick] [--exhaustive-conv]
#
# For every available variant (generic, avx2, avx512): ulp statistics of each function over ~1e6
# inputs (random bit patterns over the whole float range, log-uniform magnitudes, uniform samples
# of each function's busy range, and edge values), NaN propagation, signed zeros, the special
# values of the brief, lengths 0..67 in and out of place with guard words, sum, max, softmax and
# the f16/bf16 conversions (bits compared with numpy's float16 and an integer bf16 reference).
import argparse
import math
import sys

import numpy as np
import scipy.special as sp

from vmath_lib import FUNCS, VMath

F32 = np.float32
FMAX = float(np.finfo(F32).max)
EDGES = [0.0, -0.0, 1e-45, -1e-45, 1e-40, -1e-40, 1.1754942e-38, -1.1754942e-38, 1.1754944e-38,
         1e-30, -1e-30, 1e-10, -1e-10, 1e-7, -1e-7, 5.9604645e-08, 1e-4, -1e-4, 0.1, -0.1, 0.5,
         -0.5,
         0.6931472, 1.0, -1.0, 1.5, -1.5, 2.0, -2.0, 3.14159265, -3.14159265, 1.5707964, 4.0, -4.0,
         9.0, -9.0, 10.0, -10.0, 13.5, -13.5, 14.2, -14.2, 15.0, -15.0, 17.4, -17.4, 20.0, -20.0,
         30.0, -30.0, 80.0, -80.0, 87.3, -87.3, 88.7, -88.7, 88.72, 88.73, 89.0, -89.0, 100.0,
         -100.0, -103.0, -103.97, -104.0, -110.0, -150.0, 1e4, -1e4, 12345.678, 65536.0, 1e5, -1e5,
         1048576.0, -1048576.0, 1048577.0, 1e6, 3e7, 1e10, -1e10, 1e30, -1e30, FMAX, -FMAX,
         math.inf, -math.inf]

SQ2PI = math.sqrt(2 / math.pi)


def ref(f, x):
  """float64 reference of f at float32 inputs x; the -inf limits of the x*CDF activations are -0."""
  d = x.astype(np.float64)
  with np.errstate(all="ignore"):
    if f == "exp": return np.exp(d)
    if f == "log": return np.log(d)
    if f == "log1p": return np.log1p(d)
    if f == "expm1": return np.expm1(d)
    if f == "tanh": return np.tanh(d)
    if f == "sigmoid": return sp.expit(d)
    if f == "sin": return np.sin(d)
    if f == "cos": return np.cos(d)
    if f == "erf": return sp.erf(d)
    if f == "softplus": return np.logaddexp(0.0, d)
    if f == "silu": r = d * sp.expit(d)
    elif f == "gelu_tanh": r = d * sp.expit(2 * SQ2PI * (d + 0.044715 * d**3))
    elif f == "gelu": r = 0.5 * d * sp.erfc(-d / math.sqrt(2))
    return np.where(d == -np.inf, -0.0, r)


def ulp_error(y, r):
  """|y - r| in ulps of float32 at r (subnormal ulp below 2^-126); inf where y misses an inf/NaN."""
  y64 = y.astype(np.float64)
  with np.errstate(all="ignore"):
    r32 = r.astype(F32)
    e = np.floor(np.log2(np.abs(r)))
    e = np.where(np.isfinite(e), np.maximum(e, -126), -126)
    err = np.abs(y64 - r) / np.exp2(e - 23)
  special = ~np.isfinite(r32) | ~np.isfinite(y)
  same = (np.isnan(y) & np.isnan(r)) | (y64 == r32.astype(np.float64))
  err = np.where(special, np.where(same, 0.0, np.inf), err)
  return err


def inputs(f, rng, n):
  bits = rng.integers(0, 2**32, size=n // 3, dtype=np.uint64).astype(np.uint32).view(F32)
  bits = bits[np.isfinite(bits)]
  mag = np.exp(rng.uniform(np.log(1e-8), np.log(100.0), size=n // 3)) * rng.choice([-1, 1], n // 3)
  lo, hi = {"exp": (-110, 95), "log": (0, 4), "log1p": (-1, 4), "expm1": (-20, 90),
            "sin": (-1e4, 1e4), "cos": (-1e4, 1e4), "gelu": (-16, 16), "gelu_tanh": (-16, 16),
            "silu": (-110, 30), "softplus": (-110, 30)}.get(f, (-12, 12))
  uni = rng.uniform(lo, hi, size=n - 2 * (n // 3))
  extra = [np.float32(EDGES)]
  if f in ("sin", "cos"):
    extra.append(rng.uniform(-2**20, 2**20, size=20000))
    k = np.arange(-3000, 3000)
    extra.append(np.float32(k * (np.pi / 2)))  # floats nearest multiples of pi/2
  if f in ("log", "log1p"):
    extra.append(rng.uniform(0.5, 2.0, size=20000))
    extra.append(1 + rng.uniform(-1e-3, 1e-3, size=20000))
  if f == "exp":
    extra.append(rng.uniform(-104, -87, size=20000))
  return np.concatenate([bits, mag, uni] + extra).astype(F32)


def check_functions(vm, isas, quick):
  rng = np.random.default_rng(1)
  n = 200_000 if quick else 1_000_000
  worst = {}
  print(f"{'function':10s}" + "".join(f" | {isa:>26s}" for isa in isas))
  print(f"{'':10s}" + " | max ulp (at x)   mean  >1ulp" * len(isas))
  for f in FUNCS:
    x = inputs(f, rng, n)
    r = ref(f, x)
    cols = []
    for isa in isas:
      vm.use(isa)
      y = vm.vmath(f, x)
      err = ulp_error(y, r)
      i = int(np.argmax(err))
      worst[(f, isa)] = float(err[i])
      finite = err[np.isfinite(err)]
      cols.append(f"{err[i]:6.2f} ({x[i]:<10.4g}) {finite.mean():5.3f} {np.mean(err > 1):6.4f}")
      if not np.isfinite(err[i]) or err[i] > 4:
        bad = np.nonzero(err > 4)[0][:5]
        for j in bad:
          print(f"  !! {f} {isa}: x={x[j]!r} y={y[j]!r} ref={r[j]!r} err={err[j]:.2f} ulp"
                f" abs={abs(float(y[j]) - r[j]):.3g}")
    print(f"{f:10s}" + "".join(f" | {c}" for c in cols))
  return worst


def check_specials(vm, isas):
  """NaN propagation, signed zeros and the special values listed in the brief."""
  ok = True
  nans = np.array([0x7FC00000, 0xFFC00000, 0x7F800001, 0xFFC12345], np.uint32).view(F32)
  cases = [("exp", -np.inf, 0.0), ("exp", np.inf, np.inf), ("exp", 88.73, np.inf),
           ("exp", 89.0, np.inf), ("exp", 1000.0, np.inf), ("exp", -104.0, 0.0),
           ("exp", -1000.0, 0.0), ("exp", 0.0, 1.0), ("exp", -0.0, 1.0),
           ("log", 0.0, -np.inf), ("log", -0.0, -np.inf), ("log", -1.0, np.nan),
           ("log", -np.inf, np.nan), ("log", np.inf, np.inf), ("log", 1.0, 0.0),
           ("log1p", -1.0, -np.inf), ("log1p", -2.0, np.nan), ("log1p", np.inf, np.inf),
           ("log1p", -0.0, -0.0), ("expm1", -np.inf, -1.0), ("expm1", np.inf, np.inf),
           ("expm1", 89.0, np.inf), ("expm1", -0.0, -0.0),
           ("tanh", np.inf, 1.0), ("tanh", -np.inf, -1.0), ("tanh", 20.0, 1.0),
           ("tanh", -0.0, -0.0),
           ("tanh", 1e-30, 1e-30), ("tanh", -1e-40, -1e-40),
           ("sigmoid", np.inf, 1.0), ("sigmoid", -np.inf, 0.0), ("sigmoid", 100.0, 1.0),
           ("sigmoid", 0.0, 0.5), ("sigmoid", -1e-30, 0.5),
           ("sin", np.inf, np.nan), ("sin", -np.inf, np.nan), ("sin", -0.0, -0.0),
           ("cos", np.inf, np.nan), ("cos", 0.0, 1.0),
           ("erf", np.inf, 1.0), ("erf", -np.inf, -1.0), ("erf", -0.0, -0.0), ("erf", 5.0, 1.0),
           ("gelu", np.inf, np.inf), ("gelu", -np.inf, -0.0), ("gelu", -0.0, -0.0),
           ("gelu", 100.0, 100.0), ("gelu", -100.0, -0.0),
           ("gelu_tanh", np.inf, np.inf), ("gelu_tanh", -np.inf, -0.0), ("gelu_tanh", 100.0, 100.0),
           ("silu", np.inf, np.inf), ("silu", -np.inf, -0.0), ("silu", -0.0, -0.0),
           ("softplus", np.inf, np.inf), ("softplus", -np.inf, 0.0), ("softplus", 100.0, 100.0),
           ("softplus", 1e30, 1e30), ("softplus", -200.0, 0.0)]
  for isa in isas:
    vm.use(isa)
    fails = []
    for f in FUNCS:
      y = vm.vmath(f, nans)
      if not np.all(np.isnan(y)):
        fails.append(f"{f}(NaN) -> {y}")
    for f, xv, want in cases:
      y = vm.vmath(f, np.array([xv], F32))[0]
      good = (np.isnan(want) and np.isnan(y)) or (y == want and np.signbit(y) == np.signbit(want))
      if not good:
        fails.append(f"{f}({xv}) = {y!r}, want {want!r}")
    # Signed zero of the odd functions.
    for f in ("expm1", "log1p", "tanh", "sin", "erf", "gelu", "gelu_tanh", "silu"):
      y = vm.vmath(f, np.array([-0.0, 0.0], F32))
      if not (np.signbit(y[0]) and not np.signbit(y[1]) and y[0] == 0 and y[1] == 0):
        fails.append(f"{f}(-0, +0) = {y}")
    print(f"specials {isa:8s}: " + ("ok" if not fails else "FAIL\n  " + "\n  ".join(fails)))
    ok &= not fails
  return ok


def check_lengths(vm, isas):
  """Every length 0..67 (tails), in and out of place, guard words untouched."""
  rng = np.random.default_rng(2)
  ok = True
  for isa in isas:
    vm.use(isa)
    bad = []
    for f in FUNCS:
      for n in range(68):
        x = rng.uniform(-5, 5, size=n + 8).astype(F32)
        if f in ("log",): x = np.abs(x)
        full = vm.vmath(f, x[:n].copy())
        buf = np.full(n + 8, 7.0, F32)
        vm.lib.born_vmath_f32(FUNCS.index(f), x, buf, n)
        if not np.all(buf[n:] == 7.0): bad.append(f"{f} n={n}: wrote past the end")
        inplace = x.copy()
        vm.lib.born_vmath_f32(FUNCS.index(f), inplace, inplace, n)
        if not (np.array_equal(buf[:n], full, equal_nan=True) and
                np.array_equal(inplace[:n], full, equal_nan=True) and np.all(inplace[n:] == x[n:])):
          bad.append(f"{f} n={n}: tail/in-place mismatch")
    # Outputs of 8M floats and more take the non-temporal store path: check it at several
    # alignments of y against two calls on halves (which take the ordinary path).
    n = (1 << 23) + 37
    x = rng.uniform(-5, 5, size=n).astype(F32)
    for f in ("exp", "gelu"):
      want = np.concatenate([vm.vmath(f, x[: n // 2]), vm.vmath(f, x[n // 2:])])
      for off in (0, 1, 5, 15):
        buf = np.full(n + 32, 7.0, F32)
        vm.lib.born_vmath_f32(FUNCS.index(f), x, buf[off:off + n], n)
        if not (np.array_equal(buf[off:off + n], want) and np.all(buf[:off] == 7) and
                np.all(buf[off + n:] == 7)):
          bad.append(f"{f} streaming n={n} offset={off}")
    print(f"lengths  {isa:8s}: " + ("ok" if not bad else "FAIL " + "; ".join(bad[:5])))
    ok &= not bad
  return ok


def check_sum_max(vm, isas, quick):
  rng = np.random.default_rng(3)
  ok = True
  ones = np.ones(1 << 24, F32)
  for isa in isas:
    vm.use(isa)
    notes = []
    s = vm.sum(ones)
    if s != 16777216.0: notes.append(f"sum(16M ones) = {s!r}")
    worst = 0.0
    for n in list(range(0, 300)) + [1000, 4095, 4096, 4097, 65537, 1_000_003]:
      x = rng.standard_normal(n).astype(F32) + 0.5
      exact = math.fsum(x.astype(np.float64))
      got = vm.sum(x)
      # Relative to sum |x|, the natural scale of the rounding error, in units of 2^-24.
      scale = max(math.fsum(np.abs(x.astype(np.float64))), 1e-30)
      worst = max(worst, abs(got - exact) / scale * 2**24)
      if n and vm.max(x) != x.max(): notes.append(f"max mismatch n={n}")
      if n:
        xn = x.copy()
        xn[rng.integers(n)] = np.nan
        if not math.isnan(vm.max(xn)): notes.append(f"max NaN n={n}")
        if not math.isnan(vm.sum(xn)): notes.append(f"sum NaN n={n}")
    if vm.max(np.empty(0, F32)) != -math.inf: notes.append("max of nothing")
    if vm.max(np.full(37, -np.inf, F32)) != -math.inf: notes.append("max of -inf")
    big = rng.uniform(0, 1, 1 << 24).astype(F32)
    rel = abs(vm.sum(big) - math.fsum(big.astype(np.float64))) / math.fsum(big.astype(np.float64))
    print(f"sum/max  {isa:8s}: " + ("ok" if not notes else "FAIL " + "; ".join(notes[:5])) +
          f"  (sum error <= {worst:.2f} x 2^-24 sum|x|; 16M U(0,1): rel err {rel:.2e})")
    ok &= not notes
  return ok


def softmax_ref(x, log):
  d = x.astype(np.float64)
  with np.errstate(all="ignore"):
    m = d.max(axis=1, keepdims=True)
    e = np.exp(d - m)
    s = e.sum(axis=1, keepdims=True)
    return (d - m) - np.log(s) if log else e / s


def check_softmax(vm, isas):
  rng = np.random.default_rng(4)
  ok = True
  shapes = [(1, 1), (3, 7), (5, 16), (4, 33), (7, 100), (64, 1000), (2, 4099), (3, 20000)]
  for isa in isas:
    vm.use(isa)
    notes, worst = [], {0: 0.0, 1: 0.0}
    for log in (0, 1):
      for (r, c) in shapes:
        for scale in (1.0, 30.0, 1e4):
          x = (rng.standard_normal((r, c)) * scale).astype(F32)
          y = vm.softmax(x, log)
          ref_ = softmax_ref(x, log)
          err = ulp_error(y.ravel(), ref_.ravel())
          if log:
            # (x - max) - log(sum) cancels for the largest entries: count ulps of max(|y|, 1).
            big = np.maximum(np.abs(ref_.ravel()), 1)
            err = np.abs(y.ravel() - ref_.ravel()) / np.exp2(np.floor(np.log2(big)) - 23)
          else:
            # Outputs far below the row's largest carry the exp's own error; measure relative to
            # the largest output of the row for those below 2^-24 of it.
            floor = np.repeat(ref_.max(axis=1), c) * 2.0**-24
            err = np.where(ref_.ravel() < floor, np.abs(y.ravel() - ref_.ravel()) / floor, err)
          worst[log] = max(worst[log], float(err.max()))
          inplace = x.copy()
          vm.lib.born_softmax_rows_f32(inplace, inplace, r, c, log)
          if not np.array_equal(inplace, y, equal_nan=True): notes.append(f"in place {r}x{c}")
      x = rng.standard_normal((4, 50)).astype(F32)
      x[0] = -np.inf
      x[1, 3] = np.inf
      x[2, 7] = -np.inf
      x[3, 11] = np.nan
      y = vm.softmax(x, log)
      if not np.all(np.isnan(y[0])): notes.append(f"log={log}: all -inf row not NaN")
      if not np.all(np.isnan(y[1])): notes.append(f"log={log}: +inf row not NaN")
      if not np.all(np.isnan(y[3])): notes.append(f"log={log}: NaN row not NaN")
      want = -np.inf if log else 0.0
      if y[2, 7] != want or not np.all(np.isfinite(np.delete(y[2], 7))):
        notes.append(f"log={log}: -inf entry gives {y[2, 7]}")
    print(f"softmax  {isa:8s}: " + ("ok" if not notes else "FAIL " + "; ".join(notes[:5])) +
          f"  (max ulp: softmax {worst[0]:.2f}, log-softmax {worst[1]:.2f})")
    ok &= not notes
  return ok


def bf16_ref(x):
  b = x.view(np.uint32).astype(np.uint64)
  r = ((b + 0x7FFF + ((b >> 16) & 1)) >> 16).astype(np.uint16)
  nan = (b & 0x7FFFFFFF) > 0x7F800000
  return np.where(nan, ((b >> 16) | 0x40).astype(np.uint16), r)


def f16_ref(x):
  h = x.astype(np.float16).view(np.uint16)
  b = x.view(np.uint32)
  nan = (b & 0x7FFFFFFF) > 0x7F800000
  q = (((b >> 16) & 0x8000) | 0x7E00 | ((b >> 13) & 0x3FF)).astype(np.uint16)
  return np.where(nan, q, h)


def check_conversions(vm, isas, exhaustive):
  rng = np.random.default_rng(5)
  ok = True
  if exhaustive:
    def chunks():
      return (np.arange(s, s + (1 << 26), dtype=np.uint64).astype(np.uint32)
              for s in range(0, 1 << 32, 1 << 26))
    scope = "all 2^32 floats"
  else:
    special = np.array([0, 0x80000000, 0x7F800000, 0xFF800000, 0x7F800001, 0x7FC00000, 0xFFC00001,
                        0x7FFFFFFF, 0x477FEFFF, 0x477FF000, 0x477FF001, 0x477FE000, 0x38800000,
                        0x387FFFFF, 0x33000000, 0x33000001, 0x32FFFFFF, 0x00000001, 0x7F7FFFFF,
                        0x7F7F8000, 0x3F808000, 0x3F818000, 0x3F807FFF], np.uint32)
    around = (np.arange(-2048, 2048)[None, :] + np.array([0x38800000, 0x33800000, 0x477FF000,
                                                           0x7F7F8000, 0x3F800000])[:, None])
    sample = np.concatenate([special, around.ravel().astype(np.uint32),
                             rng.integers(0, 2**32, 1 << 22, dtype=np.uint64).astype(np.uint32)])
    chunks = lambda: [sample]
    scope = f"{sample.size} floats"
  h_all = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16)
  with np.errstate(all="ignore"):
    f16_back = h_all.view(np.float16).astype(F32).view(np.uint32)
  hn = (h_all & 0x7FFF) > 0x7C00
  f16_back = np.where(hn, f16_back | 0x00400000, f16_back)
  bf_back = h_all.astype(np.uint32) << 16
  bn = (h_all & 0x7FFF) > 0x7F80
  bf_back = np.where(bn, bf_back | 0x00400000, bf_back)
  for isa in isas:
    vm.use(isa)
    notes = []
    for c in chunks():
      x = c.view(F32)
      with np.errstate(all="ignore"):
        a = vm.f32_to_f16(x)
        d = np.nonzero(a != f16_ref(x))[0]
      if d.size: notes.append(f"f32->f16 {d.size} diffs, e.g. {c[d[0]]:#010x} -> {a[d[0]]:#06x}")
      b = vm.f32_to_bf16(x)
      d = np.nonzero(b != bf16_ref(x))[0]
      if d.size: notes.append(f"f32->bf16 {d.size} diffs, e.g. {c[d[0]]:#010x} -> {b[d[0]]:#06x}")
    a = vm.f16_to_f32(h_all).view(np.uint32)
    d = np.nonzero(a != f16_back)[0]
    if d.size: notes.append(f"f16->f32 {d.size} diffs, e.g. {d[0]:#06x} -> {a[d[0]]:#010x}")
    b = vm.bf16_to_f32(h_all).view(np.uint32)
    d = np.nonzero(b != bf_back)[0]
    if d.size: notes.append(f"bf16->f32 {d.size} diffs, e.g. {d[0]:#06x} -> {b[d[0]]:#010x}")
    for n in range(40):  # tails and guards
      x = rng.standard_normal(n + 4).astype(F32)
      out = np.full(n + 4, 0xABCD, np.uint16)
      vm.lib.born_f32_to_f16(x, out, n)
      if not (np.array_equal(out[:n], f16_ref(x[:n])) and np.all(out[n:] == 0xABCD)):
        notes.append(f"f16 tail n={n}")
      out[:] = 0xABCD
      vm.lib.born_f32_to_bf16(x, out, n)
      if not (np.array_equal(out[:n], bf16_ref(x[:n])) and np.all(out[n:] == 0xABCD)):
        notes.append(f"bf16 tail n={n}")
      back = np.full(n + 4, 7.0, F32)
      vm.lib.born_f16_to_f32(f16_ref(x), back, n)
      if not np.all(back[n:] == 7.0): notes.append(f"f16->f32 tail n={n}")
      vm.lib.born_bf16_to_f32(bf16_ref(x), back, n)
      if not np.all(back[n:] == 7.0): notes.append(f"bf16->f32 tail n={n}")
    print(f"convert  {isa:8s}: " + ("ok" if not notes else "FAIL " + "; ".join(notes[:6])) +
          f"  ({scope}, all 65536 halves)")
    ok &= not notes
  return ok


def main():
  ap = argparse.ArgumentParser()
  ap.add_argument("--lib", default="build/libvm_O2.so")
  ap.add_argument("--quick", action="store_true")
  ap.add_argument("--exhaustive-conv", action="store_true")
  args = ap.parse_args()
  vm = VMath(args.lib)
  isas = vm.isas()
  print(f"# {args.lib}: variants {', '.join(isas)}")
  worst = check_functions(vm, isas, args.quick)
  ok = all(v <= 4 for v in worst.values())
  ok &= check_specials(vm, isas)
  ok &= check_lengths(vm, isas)
  ok &= check_sum_max(vm, isas, args.quick)
  ok &= check_softmax(vm, isas)
  ok &= check_conversions(vm, isas, args.exhaustive_conv)
  print("PASS" if ok else "FAIL")
  sys.exit(0 if ok else 1)


if __name__ == "__main__":
  main()
