"""Benchmark: the three-layer MLP of CS 148a on Fashion-MNIST, 10 epochs of AdamW (lr 1e-3).

Prints, for each seed, the training wall time (10 epochs, validation included) and the final
validation and test accuracy, then the mean and spread over the seeds, against the goals
(<= 30 s of training on this machine's CPU, >= 0.885 test accuracy).

The default is MLP 784-256-128-10, batch 128, AdamW with lr 1e-3 annealed to 0 over the 10
epochs by a cosine schedule (``--schedule cosine``): with a constant lr (``--schedule constant``)
the last epoch's test accuracy wanders by about +-0.005 from epoch to epoch and seed to seed
and misses 0.885 on some seeds; annealing removes most of that noise and adds about 0.01.

    .venv/bin/python benchmarks/bench_mlp.py                # the default: 3 seeds
    .venv/bin/python benchmarks/bench_mlp.py --seeds 0 --schedule constant --hidden 512 256
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import torch

import hwlib
from hwlib.data import load
from hwlib.models import mlp
from hwlib.runtime import set_cpu_threads
from hwlib.train import evaluate, fit

GOAL_SECONDS = 30.0
GOAL_TEST_ACC = 0.885


def run(
    seed: int, hidden: list[int], batch_size: int, epochs: int, schedule: str, device: torch.device
) -> dict:
    """Train one MLP from ``seed`` and return its wall time and accuracies."""
    hwlib.setup(seed=seed, profile="quick")
    ds = load("fashion_mnist", seed=seed, device=device)
    model = mlp([784, *hidden, 10]).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    scheduler = (
        torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs) if schedule == "cosine" else None
    )
    start = time.perf_counter()
    history = fit(
        model,
        ds.train,
        optimizer,
        epochs,
        val=ds.val,
        batch_size=batch_size,
        seed=seed,
        scheduler=scheduler,
        progress=False,
    )
    seconds = time.perf_counter() - start
    _, test_acc = evaluate(model, ds.test)
    return {"seed": seed, "seconds": seconds, "val_acc": history.last.val_acc, "test_acc": test_acc}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--hidden", type=int, nargs="+", default=[256, 128])
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--schedule", choices=["cosine", "constant"], default="cosine")
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--threads", type=int, default=None, help="CPU threads (default: HWLIB_THREADS, else 1)"
    )
    args = parser.parse_args()
    if args.threads is not None:
        os.environ["HWLIB_THREADS"] = str(args.threads)  # hwlib.setup() reads it
    set_cpu_threads(torch.device("cpu"))
    device = torch.device(args.device)
    sizes = "-".join(map(str, [784, *args.hidden, 10]))
    print(
        f"MLP {sizes}, AdamW lr 1e-3 ({args.schedule}), batch {args.batch_size}, {args.epochs} epochs "
        f"on {device} (torch {torch.__version__}, {torch.get_num_threads()} threads)"
    )
    rows = []
    for seed in args.seeds:
        row = run(seed, args.hidden, args.batch_size, args.epochs, args.schedule, device)
        rows.append(row)
        print(
            f"  seed {row['seed']}: {row['seconds']:6.1f} s   val acc {row['val_acc']:.4f}   "
            f"test acc {row['test_acc']:.4f}"
        )
    secs = [r["seconds"] for r in rows]
    accs = [r["test_acc"] for r in rows]
    spread = statistics.stdev(accs) if len(accs) > 1 else float("nan")
    print(
        f"time: median {statistics.median(secs):.1f} s, max {max(secs):.1f} s "
        f"(goal <= {GOAL_SECONDS:.0f} s): "
        f"{'met' if max(secs) <= GOAL_SECONDS else 'MISSED'}"
    )
    print(
        f"test accuracy: mean {statistics.mean(accs):.4f}, min {min(accs):.4f}, max {max(accs):.4f}, "
        f"std {spread:.4f} (goal >= {GOAL_TEST_ACC}): {'met' if min(accs) >= GOAL_TEST_ACC else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
