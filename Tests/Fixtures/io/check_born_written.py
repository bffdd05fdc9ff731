#!/usr/bin/env python3
"""Checks that Python's reference `safetensors` library reads the files Born wrote.

    python3 Tests/Fixtures/io/check_born_written.py [DIRECTORY]   # default Tests/Fixtures/io/born-written

Every `NAME.safetensors` in DIRECTORY is loaded with `safetensors.numpy.load_file` and
`safe_open` (BF16 tensors, which numpy lacks, through the torch framework when torch is installed,
otherwise as raw bytes through `safetensors.deserialize`) and compared with `NAME.json` beside it:
{"TENSOR": {"dtype": "F32", "shape": [...], "hex": "<the tensor's little-endian bytes>"}, ...,
"__metadata__": {...}} (the format of python/reference.json). Prints OK or FAIL per file; exits
with status 1 if any file fails or none is found.
"""
import glob
import json
import os
import sys

import numpy as np
import safetensors
import safetensors.numpy as stnp
from safetensors import safe_open

try:
    import torch
except ImportError:
    torch = None

NUMPY_DTYPES = {"float64": "F64", "float32": "F32", "float16": "F16", "int64": "I64", "int32": "I32",
                "int8": "I8", "uint8": "U8", "bool": "BOOL"}


def le_bytes(a):
    a = np.asarray(a)
    return a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()


def read(path):
    """(metadata, {name: (dtype, shape, bytes)}) as the reference library reads the file."""
    with safe_open(path, framework="numpy") as f:
        metadata = f.metadata() or {}
        declared = {k: (f.get_slice(k).get_dtype(), list(f.get_slice(k).get_shape())) for k in f.keys()}
    tensors = {}
    numpy_names = [k for k, (d, _) in declared.items() if d != "BF16"]
    if len(numpy_names) == len(declared):
        arrays = stnp.load_file(path)
    else:  # load_file refuses files with BF16 tensors; read the others one by one
        with safe_open(path, framework="numpy") as f:
            arrays = {k: f.get_tensor(k) for k in numpy_names}
    for k, a in arrays.items():
        tensors[k] = (NUMPY_DTYPES.get(a.dtype.name, a.dtype.name), list(a.shape), le_bytes(a))
    bf16 = [k for k, (d, _) in declared.items() if d == "BF16"]
    if bf16 and torch is not None:
        with safe_open(path, framework="pt") as f:
            for k in bf16:
                t = f.get_tensor(k)
                tensors[k] = ("BF16", list(t.shape), t.contiguous().view(torch.int16).numpy().tobytes())
    elif bf16:
        with open(path, "rb") as f:
            raw = dict(safetensors.deserialize(f.read()))
        for k in bf16:
            tensors[k] = ("BF16", list(raw[k]["shape"]), bytes(raw[k]["data"]))
    for k, (dtype, shape) in declared.items():
        if tensors[k][0] != dtype or tensors[k][1] != shape:
            raise ValueError(f"{k}: loaded as {tensors[k][0]} {tensors[k][1]}, declared {dtype} {shape}")
    return metadata, tensors


def check(path, expected_path):
    problems = []
    with open(expected_path, encoding="utf-8") as f:
        expected = json.load(f)
    metadata, tensors = read(path)
    if metadata != expected.get("__metadata__", {}):
        problems.append(f"metadata {metadata!r}, expected {expected.get('__metadata__', {})!r}")
    names = set(expected) - {"__metadata__"}
    if set(tensors) != names:
        problems.append(f"tensors {sorted(tensors)}, expected {sorted(names)}")
    for name in sorted(names & set(tensors)):
        e = expected[name]
        dtype, shape, raw = tensors[name]
        if dtype != e["dtype"]:
            problems.append(f"{name}: dtype {dtype}, expected {e['dtype']}")
        if shape != e["shape"]:
            problems.append(f"{name}: shape {shape}, expected {e['shape']}")
        if raw != bytes.fromhex(e["hex"]):
            problems.append(f"{name}: bytes {raw.hex()}, expected {e['hex']}")
    return problems


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    directory = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "born-written")
    files = sorted(glob.glob(os.path.join(directory, "*.safetensors")))
    if not files:
        print(f"FAIL: no .safetensors files in {directory}")
        return 1
    failures = 0
    for path in files:
        name = os.path.basename(path)
        expected_path = path[: -len(".safetensors")] + ".json"
        try:
            if not os.path.exists(expected_path):
                problems = [f"no {os.path.basename(expected_path)} beside it"]
            else:
                problems = check(path, expected_path)
        except Exception as error:  # noqa: BLE001 (the reference library refusing the file is a failure)
            problems = [f"{type(error).__name__}: {error}"]
        if problems:
            failures += 1
            print(f"FAIL {name}")
            for p in problems:
                print(f"  {p}")
        else:
            print(f"OK   {name}")
    print(f"{len(files) - failures} of {len(files)} files read as expected")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
