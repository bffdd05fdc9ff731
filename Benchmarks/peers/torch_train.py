#!/usr/bin/env python3
"""PyTorch side of `born bench train`.

Reads the manifest Born wrote (one JSON object per line: case, model, batch size, input and
target files), builds the same architecture, and times forward + backward + Adam step on the
same batch: warm-up steps, then the median of timed steps. Prints one JSON object per line:
{"case": ..., "peer_s": ...}.
"""
import json
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def model(name):
    if name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    return nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(256, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                         nn.Linear(84, 10))


def main():
    directory = sys.argv[1]
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    print(json.dumps({"info": {"torch": torch.__version__, "threads": torch.get_num_threads()}}), flush=True)
    with open(os.path.join(directory, "manifest.jsonl")) as fh:
        for line in fh:
            case = json.loads(line)
            x = torch.from_numpy(np.fromfile(os.path.join(directory, case["input"]), dtype="<f4").reshape(case["input_shape"]))
            y = torch.from_numpy(np.fromfile(os.path.join(directory, case["target"]), dtype="<i8"))
            torch.manual_seed(0)
            m = model(case["model"])
            opt = torch.optim.Adam(m.parameters(), lr=1e-3)

            def step():
                opt.zero_grad()
                loss = F.cross_entropy(m(x), y)
                loss.backward()
                opt.step()

            for _ in range(10):
                step()
            times = []
            for _ in range(steps):
                t0 = time.perf_counter()
                step()
                times.append(time.perf_counter() - t0)
            print(json.dumps({"case": case["case"], "peer_s": statistics.median(times)}), flush=True)


if __name__ == "__main__":
    main()
