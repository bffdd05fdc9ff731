# numpy.matmul on the shapes timed by `gemm_harness bench` (same layouts), GFLOP/s.
import os
import sys
import time

import numpy as np


def bench(name, a, b, budget):
  # Minimum over single calls, as gemm_harness does: interruptions only ever add time.
  m, k = a.shape
  n = b.shape[1]
  out = np.empty((m, n), dtype=a.dtype)
  for _ in range(3):
    np.matmul(a, b, out=out)
  best = float("inf")
  start = time.perf_counter()
  calls = 0
  while calls < 5 or (time.perf_counter() - start < budget and calls < 20000):
    t = time.perf_counter()
    np.matmul(a, b, out=out)
    best = min(best, time.perf_counter() - t)
    calls += 1
  gflops = 2.0 * m * n * k / best / 1e9
  print(f"{name:24s} {'numpy':>7s} {'-':>4s} {best * 1e6:10.2f} {gflops:8.1f}")


def main():
  budget = float(sys.argv[1]) if len(sys.argv) > 1 else 0.5
  rng = np.random.default_rng(0)
  r = lambda *s: rng.standard_normal(s, dtype=np.float32)
  env = os.environ
  print(f"# numpy {np.__version__}  OPENBLAS_CORETYPE={env.get('OPENBLAS_CORETYPE', '(unset)')} "
        f"OPENBLAS_L2_SIZE={env.get('OPENBLAS_L2_SIZE', '(unset)')}")
  for n in (256, 512, 1024, 2048):
    bench(f"sgemm {n}^3", r(n, n), r(n, n), budget)
  bench("64x784*784x128", r(64, 784), r(784, 128), budget)
  bench("64x128*128x10", r(64, 128), r(128, 10), budget)
  x = r(64, 784)
  bench("784x64*64x128 (A^T)", x.T, r(64, 128), budget)
  h = r(64, 128)
  bench("128x64*64x10 (A^T)", h.T, r(64, 10), budget)
  w = r(128, 10)
  bench("64x10*10x128 (B^T)", r(64, 10), w.T, budget)
  bench("gemv 1x576*576x1536", r(1, 576), r(576, 1536), budget)
  bench("sgemm 1024^3 (A^T)", r(1024, 1024).T, r(1024, 1024), budget)
  bench("sgemm 1024^3 (B^T)", r(1024, 1024), r(1024, 1024).T, budget)
  d = lambda *s: rng.standard_normal(s)
  bench("dgemm 512^3", d(512, 512), d(512, 512), budget)
  bench("dgemm 1024^3", d(1024, 1024), d(1024, 1024), budget)
  bench("dgemm 64x784*784x128", d(64, 784), d(784, 128), budget)


if __name__ == "__main__":
  sys.exit(main())
