#!/usr/bin/env python3
"""PyTorch side of `born bench mnist`: one training epoch on the real MNIST training set.

    python3 torch_mnist_epoch.py DATA_DIR MODEL BATCH

Reads the same gzipped IDX files Born uses, normalizes with the same mean and standard
deviation, and trains the same architecture (mlp: 784-128-10; cnn: LeNet-5) with Adam (lr 1e-3)
for one epoch of shuffled batches (drop-last off), batching included in the time. Prints one
JSON object: {"seconds": ..., "loss": ..., "torch": version, "threads": n}.
"""
import gzip
import json
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def idx(path):
    with gzip.open(path, "rb") as fh:
        data = fh.read()
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def model(name):
    if name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    return nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(256, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                         nn.Linear(84, 10))


def main():
    directory, name, batch = sys.argv[1], sys.argv[2], int(sys.argv[3])
    images = idx(f"{directory}/train-images-idx3-ubyte.gz")
    labels = torch.from_numpy(idx(f"{directory}/train-labels-idx1-ubyte.gz").astype(np.int64))
    x_all = torch.from_numpy(((images.astype(np.float32) / 255.0 - 0.1307) / 0.3081)).reshape(-1, 1, 28, 28)
    torch.manual_seed(0)
    m = model(name)
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    start = time.perf_counter()
    order = torch.randperm(len(labels))
    total = 0.0
    for i in range(0, len(labels), batch):
        idx_b = order[i:i + batch]
        x, y = x_all[idx_b], labels[idx_b]
        opt.zero_grad()
        loss = F.cross_entropy(m(x), y)
        loss.backward()
        opt.step()
        total += loss.item() * len(idx_b)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "loss": total / len(labels), "torch": torch.__version__,
                      "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
