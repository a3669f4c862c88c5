"""Plots and small tables in one consistent style.

The style itself is set by :func:`hwlib.runtime.setup`; the helpers here draw the
figures that recur across chapters and return the matplotlib objects so a
notebook can add to them. Tables render as HTML in the book and as fixed-width
text under nbval, both deterministic.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch


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


class Table:
    """A small table of values that renders as HTML in the book and as text under nbval.

    ``rows`` is a sequence of mappings with the same keys (the columns, in order),
    numbers are formatted with ``floatfmt``.
    """

    def __init__(self, rows: Sequence[Mapping], floatfmt: str = ".6f", title: str | None = None):
        rows = list(rows)
        if not rows:
            raise ValueError("Table needs at least one row")
        self.columns = list(rows[0].keys())
        for i, row in enumerate(rows):
            if list(row.keys()) != self.columns:
                raise ValueError(f"row {i} has columns {list(row.keys())}, expected {self.columns}")
        self.rows = rows
        self.floatfmt = floatfmt
        self.title = title

    def _cell(self, value) -> str:
        if isinstance(value, torch.Tensor) and value.numel() == 1:
            value = value.item()
        if isinstance(value, (float, np.floating)):
            return format(float(value), self.floatfmt)
        return str(value)

    def _cells(self) -> list[list[str]]:
        return [[self._cell(row[c]) for c in self.columns] for row in self.rows]

    def __repr__(self) -> str:
        cells = self._cells()
        widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(self.columns)]
        line = "  ".join(c.rjust(w) for c, w in zip(self.columns, widths))
        out = [self.title] if self.title else []
        out += [line, "  ".join("-" * w for w in widths)]
        out += ["  ".join(v.rjust(w) for v, w in zip(r, widths)) for r in cells]
        return "\n".join(out)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in r) + "</tr>" for r in self._cells()
        )
        cap = f"<caption>{html.escape(self.title)}</caption>" if self.title else ""
        return f'<table class="hwlib-table">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'

    def __getitem__(self, column: str) -> list:
        """The values of one column, unformatted."""
        if column not in self.columns:
            raise KeyError(f"no column {column!r}; the columns are {self.columns}")
        return [row[column] for row in self.rows]


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
