# Fits the polynomial coefficients used by Sources/CBornKernels/vmath*.c and prints them as C.
#
#   python3 fit_poly.py
#
# Method: Lawson's iteratively reweighted least squares (converges to the minimax fit) on ~3000
# Chebyshev-distributed points, in a Chebyshev basis for conditioning, then converted to monomials
# in the evaluation variable. Coefficients meant for float evaluation are rounded to float32 one
# at a time, lowest order first, refitting the higher orders after each rounding so that they
# absorb the rounding error. References come from mpmath at 40 digits.
import numpy as np
import mpmath as mp

mp.mp.dps = 40


def lawson(v, f, scale, deg, lo, hi, fixed=(), iters=400):
  """Minimax fit of f(v) by sum c_j v^j (j <= deg), minimizing max |error / scale|.

  `fixed` holds already-chosen c_0..c_{k-1}; returns all deg+1 coefficients and the max error.
  """
  k = len(fixed)
  target = f - sum(c * v**j for j, c in enumerate(fixed))
  u = (2 * v - lo - hi) / (hi - lo)
  # Columns v^j for j >= k, expressed as u-Chebyshev combinations are ill-conditioned for large j,
  # so solve in the basis v^k * T_i(u) and convert afterwards.
  basis = np.polynomial.chebyshev.chebvander(u, deg - k) * (v**k)[:, None]
  w = np.full(len(v), 1.0 / len(v))
  for _ in range(iters):
    sw = np.sqrt(w) / scale
    c = np.linalg.lstsq(basis * sw[:, None], target * sw, rcond=None)[0]
    e = np.abs((basis @ c - target) / scale)
    w = w * e + 1e-300
    w /= w.sum()
  # T_i(u) with u = a v + b  ->  monomials in v.
  a, b = 2 / (hi - lo), -(lo + hi) / (hi - lo)
  mono = np.zeros(deg - k + 1)
  for i, ci in enumerate(c):
    t = np.polynomial.chebyshev.Chebyshev.basis(i).convert(kind=np.polynomial.Polynomial).coef
    p = np.polynomial.Polynomial(t)(np.polynomial.Polynomial([b, a])).coef
    mono[: len(p)] += ci * p
  coefs = list(fixed) + list(mono)
  err = np.abs((sum(cj * v**j for j, cj in enumerate(coefs)) - f) / scale).max()
  return coefs, err


def fit_f32(v, f, scale, deg, lo, hi, fixed=(), split0=False):
  """Minimax fit with float32 coefficients (sequential rounding); returns (coefs, max error).

  With split0 the constant term is kept as a float pair hi + lo (returned as a tuple).
  """
  fixed = [float(np.float32(c)) for c in fixed]
  if split0:
    c0 = lawson(v, f, scale, deg, lo, hi)[0][0]
    h = float(np.float32(c0))
    fixed = [h + float(np.float32(c0 - h))]
  while len(fixed) <= deg:
    coefs, _ = lawson(v, f, scale, deg, lo, hi, fixed)
    fixed.append(float(np.float32(coefs[len(fixed)])))
  err = np.abs((sum(c * v**j for j, c in enumerate(fixed)) - f) / scale).max()
  if split0:
    h = float(np.float32(fixed[0]))
    fixed[0] = (h, float(np.float32(fixed[0] - h)))
  return fixed, err


def nodes(lo, hi, n=3000):
  return lo + (hi - lo) * (1 - np.cos(np.linspace(0, np.pi, n))) / 2


def mpvec(fn, xs):
  return np.array([float(fn(mp.mpf(float(x)))) for x in xs])


def cfloat(c):
  return "%.9gf" % c if c != 0 else "0.0f"


def show(name, coefs, err, double=False):
  fmt = (lambda c: "%.17g" % c) if double else cfloat
  print(f"// {name}: max relative error 2^{np.log2(err):.1f}")
  print("  " + ", ".join(fmt(c) for c in coefs))


def print_table(tab):
  print("  {" + ", ".join(cfloat(tab[i][0][0]) for i in range(8)) + "},  // c0 hi")
  print("  {" + ", ".join(cfloat(tab[i][0][1]) for i in range(8)) + "},  // c0 lo")
  for j in range(1, 8):
    print("  {" + ", ".join(cfloat(tab[i][j]) for i in range(8)) + "},")


def main():
  ln2h = np.log(2) / 2 * (1 + 1e-4)
  # exp(r) = 1 + r * Q(r), |r| <= ln2/2 (plus the slack of rounding x*log2(e)).
  r = nodes(-ln2h, ln2h)
  r = r[r != 0]
  g = mpvec(lambda t: mp.expm1(t) / t, r)
  c, e = fit_f32(r, g, mpvec(mp.exp, r) / np.abs(r), 5, -ln2h, ln2h)
  show("exp: Q(r), exp(r) = 1 + r Q(r)", c, e)

  # expm1(r) = r + r^2 P(r).
  g = mpvec(lambda t: (mp.expm1(t) - t) / t**2, r)
  c, e = fit_f32(r, g, mpvec(lambda t: abs(mp.expm1(t)), r) / r**2, 4, -ln2h, ln2h)
  show("expm1: P(r), expm1(r) = r + r^2 P(r)", c, e)

  # log1p(f) = f + f^2 P(f), f = m - 1 with m in [sqrt(1/2), sqrt(2)).
  lo, hi = np.sqrt(0.5) - 1 - 1e-6, np.sqrt(2) - 1 + 1e-6
  f = nodes(lo, hi)
  f = f[f != 0]
  g = mpvec(lambda t: (mp.log1p(t) - t) / t**2, f)
  c, e = fit_f32(f, g, mpvec(lambda t: abs(mp.log1p(t)), f) / f**2, 8, lo, hi)
  show("log1p: P(f), log1p(f) = f + f^2 P(f)", c, e)

  # sin and cos on |r| <= 0.9, evaluated in double (the reduction is done in double).
  rr = 0.9
  w = nodes(1e-12, rr * rr)
  t = np.sqrt(w)
  g = mpvec(lambda q: (mp.sin(q) - q) / q**3, t)
  c, e = lawson(w, g, mpvec(mp.sin, t) / t**3, 3, 0, rr * rr)
  show("sin: S(w), sin(r) = r + r^3 S(r^2), double", c, e, True)
  g = mpvec(lambda q: (mp.cos(q) - 1) / q**2, t)
  c, e = lawson(w, g, mpvec(mp.cos, t) / t**2, 4, 0, rr * rr)
  show("cos: C(w), cos(r) = 1 + r^2 C(r^2), double", c, e, True)

  # erf(z) on 8 intervals of width 1/2 over [0, 4): degree 7 in v = z - c_i, the constant term as a
  # float pair. Interval 0 is z + z P(z), P(0) = 2/sqrt(pi) - 1, so that tiny arguments keep their
  # relative accuracy (2/sqrt(pi) itself is 0.5 ulp off in float). erf(z) rounds to 1 for z >= 3.92.
  print("// erf: rows = coefficient j, columns = interval i (z in [i/2, i/2 + 1/2))")
  tab, centers, worst = [], [], 0
  for i in range(8):
    lo, hi = i / 2, i / 2 + 0.5
    z = nodes(max(lo - 1e-6, 1e-9), hi + 1e-6)
    if i == 0:
      g = mpvec(lambda q: mp.erf(q) / q, z)
      c, e = fit_f32(z, g - 1, g, 6, z[0], z[-1])
      c = [(0.0, 0.0)] + c
      centers.append(0.0)
    else:
      ci = lo + 0.25
      v = z - ci
      g = mpvec(mp.erf, z)
      c, e = fit_f32(v, g, g, 7, v[0], v[-1], split0=True)
      centers.append(ci)
    worst = max(worst, e)
    tab.append(c)
  print(f"// erf: max relative error 2^{np.log2(worst):.1f}")
  print("  centers: " + ", ".join(cfloat(c) for c in centers))
  print_table(tab)

  # GELU: Phi(-s) = exp(-s^2/2) h(s) with h(s) = erfcx(s/sqrt2)/2. Intervals 0..6 cover s in
  # [0.75 i, 0.75 i + 0.75) with v = s - c_i; interval 7 covers [5.25, 15] with v = 1/s - c_7 and
  # fits s h(s) instead, which is nearly constant there, so the rounding of 1/s hardly matters.
  print("// gelu: rows = coefficient j, columns = interval i")
  h = lambda q: mp.erfc(q / mp.sqrt(2)) * mp.exp(q * q / 2) / 2
  tab, centers, worst = [], [], 0
  for i in range(8):
    if i < 7:
      lo, hi = 0.75 * i, 0.75 * i + 0.75
      s = nodes(max(lo - 1e-5, 0), hi + 1e-5)
      ci = lo + 0.375
      v = s - ci
    else:
      s = nodes(5.25 - 1e-5, 15.0)
      ci = float(np.float32((1 / 5.25 + 1 / 15) / 2))  # the kernel subtracts the float centre
      v = 1 / s - ci
    g = mpvec(h, s) if i < 7 else mpvec(lambda q: q * h(q), s)
    c, e = fit_f32(v, g, g, 7, v.min(), v.max(), split0=True)
    centers.append(ci)
    worst = max(worst, e)
    tab.append(c)
  print(f"// gelu: max relative error 2^{np.log2(worst):.1f}")
  print("  centers: " + ", ".join(cfloat(c) for c in centers))
  print_table(tab)


if __name__ == "__main__":
  main()
