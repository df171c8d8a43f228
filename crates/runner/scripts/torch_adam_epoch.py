"""One epoch of Adam (batch 128, mean cross-entropy) on MNIST, 784-1000-1000-10, in PyTorch.

The reference point for `runner bench adam-epoch`: same network, batch size, loss, data and
thread count. Reads the IDX files the runner reads (DLADMM_DATA or --data-dir).

    python torch_adam_epoch.py --data-dir ../shared/data --threads 2 --epochs 3
"""

import argparse
import gzip
import os
import statistics
import time

import numpy as np
import torch


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    if magic == 2051:
        n, rows, cols = (int.from_bytes(data[i : i + 4], "big") for i in (4, 8, 12))
        return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(n, rows * cols)
    if magic == 2049:
        return np.frombuffer(data, dtype=np.uint8, offset=8)
    raise ValueError(f"{path}: bad magic {magic}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", default=os.environ.get("DLADMM_DATA", "."))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    d = os.path.join(args.data_dir, "mnist")
    x = torch.from_numpy(read_idx(os.path.join(d, "train-images-idx3-ubyte.gz")).astype(np.float32) / 255.0)
    y = torch.from_numpy(read_idx(os.path.join(d, "train-labels-idx1-ubyte.gz")).astype(np.int64))

    model = torch.nn.Sequential(
        torch.nn.Linear(784, 1000), torch.nn.ReLU(),
        torch.nn.Linear(1000, 1000), torch.nn.ReLU(),
        torch.nn.Linear(1000, 10),
    )
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    times = []
    for epoch in range(args.epochs):
        start = time.perf_counter()
        perm = torch.randperm(x.shape[0])
        for i in range(0, x.shape[0], args.batch_size):
            idx = perm[i : i + args.batch_size]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - start)
        print(f"epoch {epoch}: {times[-1]:.3f} s", flush=True)
    print(f"torch {torch.__version__} threads {torch.get_num_threads()}: median {statistics.median(times):.3f} s per epoch")
    print(f"seconds_per_epoch {statistics.median(times)}")


if __name__ == "__main__":
    main()
