"""The recurring figures: a function with its derivative, a matrix as a grid, learning curves, timings.

:func:`~hwlib.plotting.plot_function_and_derivative`, :func:`~hwlib.plotting.show_grid`,
:func:`~hwlib.plotting.plot_history` and :func:`~hwlib.plotting.plot_timings` each draw on a
given axis (or a new figure) and return it, so a notebook can add to the figure.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping

import matplotlib.pyplot as plt
import numpy as np
import torch

from hwlib.plotting.tables import Table


def autograd_derivative(f: Callable[[torch.Tensor], torch.Tensor], xs) -> np.ndarray:
    """Element-wise derivative of ``f`` at the points ``xs`` by autograd (float64)."""
    x = torch.as_tensor(np.asarray(xs, dtype=np.float64)).clone().requires_grad_(True)
    y = f(x)
    if y.shape != x.shape:
        raise ValueError(
            f"f must act element-wise: f(x) has shape {tuple(y.shape)} for x of shape {tuple(x.shape)}"
        )
    (grad,) = torch.autograd.grad(y.sum(), x)
    return grad.detach().numpy()


def plot_function_and_derivative(
    f: Callable[[torch.Tensor], torch.Tensor],
    derivative: Callable[[torch.Tensor], torch.Tensor] | None = None,
    *,
    xs=None,
    name: str = "f",
    ax=None,
    autograd_markers: int = 25,
):
    """Plot ``f`` and its derivative on one axis.

    ``derivative`` is the hand-derived closed form (solid line); the autograd
    derivative is drawn on top as markers so a reader sees the two agree.
    Returns the axis.
    """
    xs = np.linspace(-4, 4, 401) if xs is None else np.asarray(xs, dtype=np.float64)
    if xs.ndim != 1 or xs.size < 2:
        raise ValueError("xs must be a 1-D grid with at least two points")
    if ax is None:
        _, ax = plt.subplots()
    x = torch.as_tensor(xs)
    with torch.no_grad():
        ax.plot(xs, f(x).numpy(), label=f"{name}(x)")
        if derivative is not None:
            ax.plot(xs, derivative(x).numpy(), label=f"{name}'(x), derived")
    if autograd_markers:
        idx = np.linspace(0, xs.size - 1, autograd_markers).round().astype(int)
        ax.plot(
            xs[idx],
            autograd_derivative(f, xs[idx]),
            "o",
            ms=4,
            mfc="none",
            label=f"{name}'(x), autograd",
        )
    ax.axhline(0, color="0.5", lw=0.8)
    ax.set_xlabel("x")
    ax.legend()
    return ax


def show_grid(matrix, ax=None, title: str | None = None, fmt: str = "g", cmap: str = "coolwarm"):
    """Draw a small matrix as a heat map with its values written in each cell."""
    arr = np.asarray(matrix.detach().cpu() if isinstance(matrix, torch.Tensor) else matrix, dtype=float)
    if arr.ndim != 2:
        raise ValueError(f"show_grid draws a 2-D matrix, got shape {arr.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(0.6 * arr.shape[1] + 1, 0.6 * arr.shape[0] + 0.6))
    lim = float(np.abs(arr).max()) or 1.0
    ax.imshow(arr, cmap=cmap, vmin=-lim, vmax=lim)
    for (i, j), v in np.ndenumerate(arr):
        ax.text(j, i, format(v, fmt), ha="center", va="center", fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    if title:
        ax.set_title(title)
    return ax


# --------------------------------------------------------------------------- learning curves


def _history_rows(history) -> list[Mapping]:
    """Per-epoch rows from a list of dicts (or dataclasses), a ``{column: values}`` mapping, or an
    object with ``.rows`` (a list or a method returning one, as ``hwlib.train.History`` has)."""
    rows = getattr(history, "rows", history)
    if callable(rows):
        rows = rows()
    if isinstance(rows, Mapping):
        columns = {k: list(v) for k, v in rows.items()}
        lengths = {len(v) for v in columns.values()}
        if len(lengths) != 1:
            raise ValueError(
                f"history columns have different lengths {sorted(lengths)}: one value per epoch each"
            )
        (length,) = lengths
        rows = [{k: v[i] for k, v in columns.items()} for i in range(length)]
    try:
        rows = list(rows)
    except TypeError:
        raise TypeError(
            f"history must be a list of per-epoch dicts, a dict of columns or an object with .rows, "
            f"got {type(history).__name__}"
        ) from None
    if not rows:
        raise ValueError("history is empty: train for at least one epoch before plotting")
    rows = [dataclasses.asdict(r) if dataclasses.is_dataclass(r) else r for r in rows]
    if not all(isinstance(r, Mapping) for r in rows):
        raise TypeError("each history row must be a mapping such as {'epoch': 1, 'train_loss': 0.5, ...}")
    return rows


def plot_history(history, *, axes=None, title: str | None = None):
    """Learning curves: loss and accuracy per epoch, one line per split.

    ``history`` is a ``hwlib.train.History``, a list of per-epoch mappings or
    dataclass records, or a ``{column: list}`` mapping. Every key ending in
    ``_loss`` (``train_loss``, ``val_loss``, ...) is drawn on the left axis and every
    key ending in ``_acc`` on the right one, except columns that are NaN in every
    epoch (no validation data); the x axis is the ``epoch`` key, or 1, 2, ... when
    there is none. ``axes`` is an optional pair of axes. Returns the two axes
    (loss, accuracy).
    """
    rows = _history_rows(history)
    keys = list(rows[0].keys())
    loss_keys = [k for k in keys if str(k).endswith("_loss")]
    acc_keys = [k for k in keys if str(k).endswith("_acc")]
    if not loss_keys and not acc_keys:
        raise ValueError(
            f"history has no '*_loss' or '*_acc' columns (it has {keys}): "
            "name them like train_loss, val_loss, train_acc, val_acc"
        )
    for i, row in enumerate(rows):
        missing = [k for k in [*loss_keys, *acc_keys] if k not in row]
        if missing:
            raise ValueError(f"history row {i} lacks {missing}: every epoch needs the same columns")

    def all_nan(key) -> bool:
        return all(isinstance(r[key], float) and math.isnan(r[key]) for r in rows)

    loss_keys = [k for k in loss_keys if not all_nan(k)]
    acc_keys = [k for k in acc_keys if not all_nan(k)]
    epochs = [r["epoch"] for r in rows] if "epoch" in keys else list(range(1, len(rows) + 1))
    created = axes is None
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(9.6, 3.6))
    ax_loss, ax_acc = axes
    for group, ax, label in ((loss_keys, ax_loss, "loss"), (acc_keys, ax_acc, "accuracy")):
        for key in group:
            ax.plot(epochs, [float(r[key]) for r in rows], "o-", ms=3, label=key.rsplit("_", 1)[0])
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        if group:
            ax.legend()
    if title:
        ax_loss.figure.suptitle(title)
    if created:
        ax_loss.figure.tight_layout()
    return ax_loss, ax_acc


# --------------------------------------------------------------------------- timing plots


def plot_timings(
    table,
    *,
    x: str = "size",
    y: str = "median_ms",
    series: str = "series",
    ax=None,
    crossover: tuple[str, str] | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    title: str | None = None,
):
    """Log-log plot of a sweep table (:func:`hwlib.timing.sweep` rows or a :class:`Table`).

    One line per value of the ``series`` column, ``y`` against ``x``.
    ``crossover=(a, b)`` marks where series ``a`` and ``b`` trade places (see
    :func:`hwlib.timing.crossover`) with a dashed vertical line labelled with the
    size, or says in the legend that they do not cross. Returns the axis.
    """
    from hwlib.timing import crossover as find_crossover

    rows = list(table.rows) if isinstance(table, Table) else list(table)
    if not rows:
        raise ValueError("the timing table is empty")
    for col in (x, y, series):
        if col not in rows[0]:
            raise KeyError(f"no column {col!r} in the timing table; it has {list(rows[0].keys())}")
    if ax is None:
        _, ax = plt.subplots()
    names = list(dict.fromkeys(r[series] for r in rows))
    for name in names:
        pts = sorted((r[x], r[y]) for r in rows if r[series] == name)
        if any(px <= 0 or py <= 0 for px, py in pts):
            raise ValueError(f"series {name!r} has a value <= 0; a log-log plot needs positive {x} and {y}")
        ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", ms=4, label=str(name))
    if crossover is not None:
        a, b = crossover
        where = find_crossover(rows, a, b, x=x, y=y, key=series)
        if where is None:
            ax.plot([], [], " ", label=f"{a} and {b} do not cross")
        else:
            ax.axvline(where, color="0.3", ls="--", lw=1, label=f"crossover ≈ {where:.3g}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel or x)
    ax.set_ylabel(ylabel or ("time (ms)" if y == "median_ms" else y))
    if title:
        ax.set_title(title)
    ax.legend()
    return ax
