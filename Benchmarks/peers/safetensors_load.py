#!/usr/bin/env python3
"""Python side of `born bench io`: load a safetensors file with the reference library.

    python3 safetensors_load.py FILE REPEATS

Times `safetensors.numpy.load_file` (every tensor read into a NumPy array) REPEATS times and
prints one JSON object: {"seconds": best time, "safetensors": version}.
"""
import json
import sys
import time

import safetensors
from safetensors.numpy import load_file

path, repeats = sys.argv[1], int(sys.argv[2])
best = float("inf")
for _ in range(repeats):
    start = time.perf_counter()
    tensors = load_file(path)
    total = sum(t.nbytes for t in tensors.values())
    best = min(best, time.perf_counter() - start)
    del tensors
print(json.dumps({"seconds": best, "bytes": total, "safetensors": safetensors.__version__}))
