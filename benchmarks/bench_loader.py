"""Benchmark: one Fashion-MNIST training epoch through hwlib's TensorLoader vs torch's DataLoader.

Both walk the 60,000 training images in shuffled batches of 128 from the same tensors in memory;
the DataLoader (over a ``TensorDataset``, ``num_workers=0``) indexes one example at a time and
collates each batch, the TensorLoader slices a permutation and gathers a whole batch at once.
A third line, for reference, gives the DataLoader fed whole index batches by a ``BatchSampler``
(the usual fix), which shows that per-example work is what costs. Each loader runs ``--epochs``
epochs after a warm-up, the three taking turns epoch by epoch (so that load from other processes
hits them alike); the median epoch of each is reported, and the ratio of the first two medians.

    .venv/bin/python benchmarks/bench_loader.py
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable, Iterable

import torch
from torch.utils.data import BatchSampler, DataLoader, RandomSampler, TensorDataset

from hwlib.data import TensorLoader, load
from hwlib.runtime import set_cpu_threads

GOAL_RATIO = 10.0


def one_epoch(loader: Iterable) -> float:
    """Seconds for one full pass over ``loader``, touching every batch's labels."""
    start = time.perf_counter()
    n = 0
    for _, yb in loader:
        n += yb.shape[0]
    seconds = time.perf_counter() - start
    assert n == 60000, n
    return seconds


def interleaved(makers: dict[str, Callable[[], Iterable]], epochs: int) -> dict[str, float]:
    """Median epoch time of each loader; the loaders take turns, so load from other work hits all alike."""
    for make in makers.values():  # warm-up
        for i, _ in enumerate(make()):
            if i == 20:
                break
    times: dict[str, list[float]] = {name: [] for name in makers}
    for _ in range(epochs):
        for name, make in makers.items():
            times[name].append(one_epoch(make()))
    return {name: statistics.median(t) for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument(
        "--threads", type=int, default=None, help="CPU threads (default: HWLIB_THREADS, else 1)"
    )
    args = parser.parse_args()
    if args.threads is not None:
        os.environ["HWLIB_THREADS"] = str(args.threads)  # hwlib.setup() reads it
    set_cpu_threads(torch.device("cpu"))
    ds = load("fashion_mnist", val=0)
    x, y, b = ds.train.x, ds.train.y, args.batch_size
    print(
        f"Fashion-MNIST train split {tuple(x.shape)} float32 on the CPU, batch {b}, "
        f"median of {args.epochs} epochs (torch {torch.__version__}, {torch.get_num_threads()} threads)"
    )
    tensor_loader = TensorLoader(ds.train, b, seed=0)
    dataset = TensorDataset(x, y)
    g = torch.Generator().manual_seed(0)
    batch_sampler = BatchSampler(RandomSampler(dataset, generator=g), b, drop_last=False)
    medians = interleaved(
        {
            "ours": lambda: tensor_loader,
            "theirs": lambda: DataLoader(dataset, batch_size=b, shuffle=True, generator=g),
            "batched": lambda: DataLoader(dataset, batch_size=None, sampler=batch_sampler),
        },
        args.epochs,
    )
    ours, theirs, batched = medians["ours"], medians["theirs"], medians["batched"]
    ratio = theirs / ours
    print(f"  hwlib TensorLoader                      {ours * 1e3:8.1f} ms/epoch")
    print(f"  DataLoader(TensorDataset), per example  {theirs * 1e3:8.1f} ms/epoch")
    print(f"  DataLoader + BatchSampler (reference)   {batched * 1e3:8.1f} ms/epoch")
    print(
        f"speed-up of TensorLoader over DataLoader: {ratio:.1f}x "
        f"(goal >= {GOAL_RATIO:.0f}x: {'met' if ratio >= GOAL_RATIO else 'MISSED'})"
    )


if __name__ == "__main__":
    main()
