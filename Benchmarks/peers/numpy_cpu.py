#!/usr/bin/env python3
"""NumPy side of `born bench cpu`.

Reads the manifest Born wrote (one JSON object per line: case name, op, input files and shapes),
loads the same inputs (raw little-endian float32), times NumPy on each case the same way Born
times itself (warm-up, then the best of repeated runs for at least `min_seconds`), and prints
one JSON object per line: {"case": ..., "peer_s": ..., "max_abs_diff": ...}, where the
difference is against Born's output for that case.
"""
import json
import os
import sys
import time

import numpy as np


def load(path, shape):
    return np.fromfile(path, dtype="<f4").reshape(shape)


def softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


OPS = {
    "matmul": lambda a, b: a @ b,
    "matmul_at": lambda a, b: a.T @ b,
    "matmul_bt": lambda a, b: a @ b.T,
    "add": lambda a, b: a + b,
    "exp": lambda a: np.exp(a),
    "sum": lambda a: a.sum(dtype=np.float32),
    "softmax": softmax,
}


def best_time(fn, min_seconds, max_runs):
    fn()
    best = float("inf")
    runs = 0
    start = time.perf_counter()
    while runs < 3 or (time.perf_counter() - start < min_seconds and runs < max_runs):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
        runs += 1
    return best


def main():
    directory = sys.argv[1]
    min_seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 0.3
    info = {"numpy": np.__version__}
    try:
        from threadpoolctl import threadpool_info
        for lib in threadpool_info():
            if lib.get("internal_api") == "openblas":
                info["blas"] = f"openblas {lib.get('version')} {lib.get('architecture')} threads={lib.get('num_threads')}"
    except Exception:
        pass
    print(json.dumps({"info": info}), flush=True)
    with open(os.path.join(directory, "manifest.jsonl")) as fh:
        for line in fh:
            case = json.loads(line)
            inputs = [load(os.path.join(directory, f), s) for f, s in zip(case["inputs"], case["shapes"])]
            fn = OPS[case["op"]]
            t = best_time(lambda: fn(*inputs), min_seconds, 1000)
            result = np.asarray(fn(*inputs), dtype=np.float32)
            born = load(os.path.join(directory, case["output"]), result.shape)
            diff = float(np.max(np.abs(result.astype(np.float64) - born))) if result.size else 0.0
            scale = float(np.max(np.abs(result))) if result.size else 0.0
            print(json.dumps({"case": case["case"], "peer_s": t, "max_abs_diff": diff, "max_abs": scale}), flush=True)


if __name__ == "__main__":
    main()
