# Runs `gemm_harness bench` and bench_numpy.py (with the environment's OPENBLAS_* settings and
# with them unset) and prints GFLOP/s side by side with time ratios (ours / numpy).
#
#   python3 compare.py [--rounds R] [--budget S] [--harness build/harness_O2]
#
# Each entry is the best over R rounds, which filters out other processes on a shared machine.
import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def cpu_busy(interval=0.5):
  def sample():
    with open("/proc/stat") as f:
      v = [int(x) for x in f.readline().split()[1:]]
    return sum(v), v[3] + v[4]
  t0, i0 = sample()
  time.sleep(interval)
  t1, i1 = sample()
  return 1.0 - (i1 - i0) / max(1, t1 - t0)


def wait_idle(limit):
  # On a shared machine, start each run when the other processes are quiet.
  if not os.path.exists("/proc/stat"):
    return
  end = time.time() + limit
  while time.time() < end and cpu_busy() > 0.05:
    pass


def parse(text, into):
  for line in text.splitlines():
    parts = line.split()
    if len(parts) < 5 or line.startswith(("shape", "#")):
      continue
    try:
      us = float(parts[-2])
    except ValueError:
      continue
    name = " ".join(parts[:-4])
    key = (name, parts[-4])
    prev = into.get(key)
    if prev is None or us < prev[0]:
      into[key] = (us, float(parts[-1]), parts[-3])


def main():
  ap = argparse.ArgumentParser()
  ap.add_argument("--rounds", type=int, default=1)
  ap.add_argument("--budget", type=float, default=0.5)
  ap.add_argument("--harness", default=os.path.join(HERE, "build", "harness_O2"))
  ap.add_argument("--wait-idle", type=float, default=60.0,
                  help="seconds to wait for an idle machine before each run (0: don't)")
  args = ap.parse_args()

  ours, np_env, np_unset = {}, {}, {}
  env_desc = "OPENBLAS_CORETYPE=%s OPENBLAS_L2_SIZE=%s" % (
      os.environ.get("OPENBLAS_CORETYPE", "(unset)"), os.environ.get("OPENBLAS_L2_SIZE", "(unset)"))
  unset_env = {k: v for k, v in os.environ.items()
               if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
  numpy_cmd = [sys.executable, os.path.join(HERE, "bench_numpy.py"), str(args.budget)]
  for _ in range(args.rounds):
    wait_idle(args.wait_idle)
    parse(subprocess.run([args.harness, "bench", str(args.budget)], capture_output=True, text=True,
                         check=True).stdout, ours)
    wait_idle(args.wait_idle)
    parse(subprocess.run(numpy_cmd, capture_output=True, text=True, check=True).stdout, np_env)
    wait_idle(args.wait_idle)
    parse(subprocess.run(numpy_cmd, capture_output=True, text=True, check=True,
                         env=unset_env).stdout, np_unset)

  shapes = []
  for (name, _isa) in ours:
    if name not in shapes:
      shapes.append(name)
  print(f"numpy(env): {env_desc};  numpy(unset): OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset")
  print("GFLOP/s (time in us for the best variant); ratio = our best time / numpy time")
  hdr = f"{'shape':24s} {'thr':>3s} {'generic':>8s} {'avx2':>8s} {'avx512':>8s} {'best us':>9s}" \
        f" {'np(env)':>8s} {'np(unset)':>9s} {'ratio env':>9s} {'ratio unset':>11s}"
  print(hdr)
  for name in shapes:
    row = {isa: ours.get((name, isa)) for isa in ("generic", "avx2", "avx512")}
    best = min((v for v in row.values() if v), key=lambda v: v[0])
    thr = best[2]
    ne, nu = np_env.get((name, "numpy")), np_unset.get((name, "numpy"))
    cells = [f"{row[i][1]:8.1f}" if row[i] else f"{'-':>8s}" for i in ("generic", "avx2", "avx512")]
    print(f"{name:24s} {thr:>3s} {' '.join(cells)} {best[0]:9.2f}"
          f" {ne[1] if ne else 0:8.1f} {nu[1] if nu else 0:9.1f}"
          f" {best[0] / ne[0] if ne else 0:9.2f} {best[0] / nu[0] if nu else 0:11.2f}")


if __name__ == "__main__":
  main()
