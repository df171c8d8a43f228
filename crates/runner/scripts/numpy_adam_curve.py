"""Mini-batch Adam on MNIST in plain NumPy: an independent implementation whose test-accuracy
curve `experiments/adam-mnist-numpy.toml` declares as its reference.

Same setting as that experiment: 784-256-10 ReLU network, Kaiming-normal weights and zero
biases, softmax cross-entropy averaged over each mini-batch of 128, shuffled every epoch, Adam
with PyTorch's defaults (lr 1e-3, betas 0.9/0.999, eps 1e-8), pixels scaled to [0, 1], the 60,000
training images. The initial draws and batch orders come from NumPy's generator, not ours, so
the curves agree within the spread of seeds, not bit for bit. Writes one row per epoch: the
iteration index as the runner counts it (0 = after the first epoch) and the mean test accuracy
over the seeds.

    python numpy_adam_curve.py --data-dir ../shared/data --epochs 5 --seeds 3 \
        > experiments/references/adam-mnist-numpy.csv
"""

import argparse
import gzip
import os

import numpy as np


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


def load(data_dir):
    d = os.path.join(data_dir, "mnist")
    x = read_idx(os.path.join(d, "train-images-idx3-ubyte.gz")).astype(np.float32) / 255.0
    y = read_idx(os.path.join(d, "train-labels-idx1-ubyte.gz")).astype(np.int64)
    xt = read_idx(os.path.join(d, "t10k-images-idx3-ubyte.gz")).astype(np.float32) / 255.0
    yt = read_idx(os.path.join(d, "t10k-labels-idx1-ubyte.gz")).astype(np.int64)
    return x, y, xt, yt


def init(rng, sizes):
    return [
        (rng.normal(0.0, np.sqrt(2.0 / fan_in), (fan_in, fan_out)).astype(np.float32), np.zeros(fan_out, np.float32))
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:])
    ]


def forward(params, x):
    activations = [x]
    for i, (w, b) in enumerate(params):
        z = activations[-1] @ w + b
        activations.append(np.maximum(z, 0.0) if i < len(params) - 1 else z)
    return activations


def accuracy(params, x, y):
    return float((forward(params, x)[-1].argmax(axis=1) == y).mean())


def train(seed, x, y, xt, yt, epochs, batch, hidden, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    rng = np.random.default_rng(seed)
    params = init(rng, [x.shape[1], hidden, 10])
    m = [(np.zeros_like(w), np.zeros_like(b)) for w, b in params]
    v = [(np.zeros_like(w), np.zeros_like(b)) for w, b in params]
    step = 0
    curve = []
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch):
            idx = order[start : start + batch]
            acts = forward(params, x[idx])
            logits = acts[-1]
            p = np.exp(logits - logits.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            p[np.arange(len(idx)), y[idx]] -= 1.0
            delta = p / len(idx)
            step += 1
            for i in reversed(range(len(params))):
                w, b = params[i]
                gw, gb = acts[i].T @ delta, delta.sum(axis=0)
                if i > 0:
                    delta = (delta @ w.T) * (acts[i] > 0)
                for j, (g, theta) in enumerate(((gw, w), (gb, b))):
                    m[i][j][...] = betas[0] * m[i][j] + (1 - betas[0]) * g
                    v[i][j][...] = betas[1] * v[i][j] + (1 - betas[1]) * g * g
                    m_hat = m[i][j] / (1 - betas[0] ** step)
                    v_hat = v[i][j] / (1 - betas[1] ** step)
                    theta -= lr * m_hat / (np.sqrt(v_hat) + eps)
        curve.append(accuracy(params, xt, yt))
    return curve


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", default=os.environ.get("DLADMM_DATA", "."))
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--hidden", type=int, default=256)
    args = parser.parse_args()
    x, y, xt, yt = load(args.data_dir)
    curves = np.array([train(s, x, y, xt, yt, args.epochs, args.batch_size, args.hidden) for s in range(args.seeds)])
    print("iteration,Adam")
    for epoch, acc in enumerate(curves.mean(axis=0)):
        print(f"{epoch},{acc:.4f}")


if __name__ == "__main__":
    main()
