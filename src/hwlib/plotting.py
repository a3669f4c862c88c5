"""Plots and small tables in one consistent style.

The style itself is set by :func:`hwlib.runtime.setup`; the helpers here draw the
figures that recur across chapters and return the matplotlib objects so a
notebook can add to them. Tables render as HTML in the book and as fixed-width
text under nbval, both deterministic.
"""

from __future__ import annotations

import dataclasses
import html
import math
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
            text = format(float(value), self.floatfmt)
            # a value that rounds to zero prints without a sign: its sign is the last bits' noise
            return text[1:] if text.startswith("-") and not any(ch in "123456789" for ch in text) else text
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


# --------------------------------------------------------------------------- network drawings


def _as_matrix(w, what: str) -> np.ndarray:
    if isinstance(w, torch.Tensor):
        w = w.detach().cpu()
    arr = np.asarray(w, dtype=float)
    if arr.ndim != 2:
        raise ValueError(f"{what} must be a 2-D (out, in) matrix, got shape {arr.shape}")
    return arr


def _per_layer(seq, sizes: Sequence[int], what: str) -> list[np.ndarray | None]:
    if seq is None:
        return [None] * len(sizes)
    seq = list(seq)
    if len(seq) != len(sizes):
        raise ValueError(
            f"{what} needs one entry per layer ({len(sizes)}), got {len(seq)}; use None to skip a layer"
        )
    out = []
    for i, (v, n) in enumerate(zip(seq, sizes)):
        if v is None:
            out.append(None)
            continue
        if isinstance(v, torch.Tensor):
            v = v.detach().cpu()
        arr = np.asarray(v, dtype=float).reshape(-1)
        if arr.size != n:
            raise ValueError(f"{what}[{i}] has {arr.size} values but layer {i} has {n} nodes")
        out.append(arr)
    return out


def _data_box(text) -> tuple[float, float, float, float]:
    """The box ``(x0, y0, x1, y1)`` that ``text`` covers when drawn, in its axis' data units.

    Measured with the figure's own renderer, which matplotlib picks (or makes, for a canvas
    such as a plain ``Figure()``'s or the SVG/PDF backends' that has no ``get_renderer``)."""
    (x0, y0), (x1, y1) = text.axes.transData.inverted().transform(text.get_window_extent().get_points())
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def draw_network(
    layer_sizes: Sequence[int],
    weights: Sequence,
    values: Sequence | None = None,
    grads: Sequence | None = None,
    weight_grads: Sequence | None = None,
    *,
    biases: Sequence | None = None,
    node_labels: Sequence[Sequence[str]] | None = None,
    fmt: str = ".2f",
    ax=None,
    title: str | None = None,
):
    """Draw a small fully connected network with its numbers written on it.

    Readable up to about four layers of at most five nodes. Edge labels are placed
    greedily where they overlap the least with nodes and other labels.

    Parameters
    ----------
    layer_sizes:
        Nodes per layer, input first, e.g. ``[2, 3, 1]``.
    weights:
        One matrix per pair of consecutive layers, shaped ``(out, in)`` as in
        ``torch.nn.Linear.weight``. Edge width grows with ``|w|``; blue edges are
        positive weights, orange negative. The value is written along the edge.
    values:
        Optional per-layer node values (a list with one sequence, or ``None``,
        per layer), written inside the nodes.
    grads:
        Optional per-layer node gradients, written in red under the nodes.
    weight_grads:
        Optional gradients of the weights, shaped like ``weights``, written in red
        under each weight.
    biases:
        Optional per-layer biases, written above the nodes (``None`` for the input layer).
    node_labels:
        Optional per-layer node names written above the nodes.
    fmt:
        Number format.
    ax:
        Axis to draw on (a new figure when omitted).
    title:
        Optional title.

    Returns
    -------
    Axes
        The axis, with one circle patch per node and one line per edge.
    """
    sizes = list(layer_sizes)
    if len(sizes) < 2 or any(not isinstance(n, (int, np.integer)) or n < 1 for n in sizes):
        raise ValueError(f"layer_sizes must be at least two positive ints, got {layer_sizes!r}")
    weights = list(weights)
    if len(weights) != len(sizes) - 1:
        raise ValueError(f"{len(sizes)} layers need {len(sizes) - 1} weight matrices, got {len(weights)}")
    mats = [_as_matrix(w, f"weights[{i}]") for i, w in enumerate(weights)]
    for i, w in enumerate(mats):
        if w.shape != (sizes[i + 1], sizes[i]):
            raise ValueError(
                f"weights[{i}] has shape {w.shape}, expected (out, in) = ({sizes[i + 1]}, {sizes[i]}); "
                "transpose it if it is stored (in, out)"
            )
    wgrads: list[np.ndarray | None] = [None] * len(mats)
    if weight_grads is not None:
        weight_grads = list(weight_grads)
        if len(weight_grads) != len(mats):
            raise ValueError(
                f"weight_grads needs {len(mats)} matrices (or None entries), got {len(weight_grads)}"
            )
        for i, g in enumerate(weight_grads):
            if g is not None:
                wgrads[i] = _as_matrix(g, f"weight_grads[{i}]")
                if wgrads[i].shape != mats[i].shape:
                    raise ValueError(
                        f"weight_grads[{i}] has shape {wgrads[i].shape}, expected {mats[i].shape}"
                    )
    vals = _per_layer(values, sizes, "values")
    grds = _per_layer(grads, sizes, "grads")
    bias = _per_layer(biases, sizes, "biases")
    if node_labels is not None:
        node_labels = [list(layer) for layer in node_labels]
        if [len(layer) for layer in node_labels] != sizes:
            raise ValueError(f"node_labels must have {sizes} names per layer")

    dx, r, fs = 3.6, 0.26, 7
    pos = [[(li * dx, (n - 1) / 2 - i) for i in range(n)] for li, n in enumerate(sizes)]
    if ax is None:
        _, ax = plt.subplots(figsize=(2.6 * len(sizes) + 0.4, 0.95 * max(sizes) + 1.2))
    xlim = (-0.8, (len(sizes) - 1) * dx + 0.8)
    ylim = (-(max(sizes) - 1) / 2 - 0.8, (max(sizes) - 1) / 2 + 0.8)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")
    # Label placement works with each text's measured box (data units), not an estimate of it.
    ax.apply_aspect()  # the equal aspect is otherwise applied only when the figure is drawn
    occupied: list[tuple[float, float, float, float]] = []  # boxes as (x0, y0, x1, y1)

    def overlap(b: tuple[float, float, float, float]) -> float:
        return sum(
            max(0.0, min(b[2], o[2]) - max(b[0], o[0])) * max(0.0, min(b[3], o[3]) - max(b[1], o[1]))
            for o in occupied
        )

    for li, layer in enumerate(pos):  # nodes first: edge labels keep clear of them
        for i, (x, y) in enumerate(layer):
            occupied.append((x - r, y - r, x + r, y + r))
            ax.add_patch(plt.Circle((x, y), r, fc="whitesmoke", ec="0.2", lw=1.2, zorder=4))
            if vals[li] is not None:
                ax.text(x, y, format(vals[li][i], fmt), fontsize=fs + 1, ha="center", va="center", zorder=5)
            if grds[li] is not None:
                text = f"∇{format(grds[li][i], fmt)}"
                t = ax.text(
                    x, y - r - 0.04, text, fontsize=fs, color="tab:red", ha="center", va="top", zorder=5
                )
                occupied.append(_data_box(t))
            above = [str(node_labels[li][i])] if node_labels is not None else []
            if bias[li] is not None:
                above.append(f"b={format(bias[li][i], fmt)}")
            if above:
                t = ax.text(x, y + r + 0.04, " ".join(above), fontsize=fs, ha="center", va="bottom", zorder=5)
                occupied.append(_data_box(t))

    wmax = max(float(np.abs(w).max()) for w in mats) or 1.0
    label_box = {"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.85}
    label = {"fontsize": fs, "ha": "center", "bbox": label_box, "zorder": 3}
    candidates = np.linspace(0.15, 0.85, 29)
    for li, w in enumerate(mats):
        n_out, n_in = w.shape
        for j in range(n_out):
            preferred = 0.5 if n_out == 1 else 0.25 + 0.5 * j / (n_out - 1)
            for i in range(n_in):
                (x0, y0), (x1, y1) = pos[li][i], pos[li + 1][j]
                color = "tab:blue" if w[j, i] >= 0 else "tab:orange"
                lw = 0.6 + 2.4 * abs(w[j, i]) / wmax
                ax.plot([x0, x1], [y0, y1], color=color, lw=lw, alpha=0.7, zorder=1)
                # the weight above the anchor point, its gradient (if any) below, measured at (0, 0)
                # and then moved to the free spot nearest the preferred one (else the least covered)
                texts = [ax.text(0, 0, format(w[j, i], fmt), va="bottom", **label)]
                if wgrads[li] is not None:
                    texts.append(
                        ax.text(0, 0, f"∇{format(wgrads[li][j, i], fmt)}", va="top", color="tab:red", **label)
                    )
                ext = np.array([_data_box(t) for t in texts])
                rel = np.array([ext[:, 0].min(), ext[:, 1].min(), ext[:, 2].max(), ext[:, 3].max()])
                anchors = {t: (x0 + t * (x1 - x0), y0 + t * (y1 - y0)) for t in candidates}
                boxes = {t: tuple(rel + np.array([ax_, ay_, ax_, ay_])) for t, (ax_, ay_) in anchors.items()}
                best = min(candidates, key=lambda t: (overlap(boxes[t]), abs(t - preferred)))
                for text in texts:
                    text.set_position(anchors[best])
                occupied.append(boxes[best])
    if title:
        ax.set_title(title)
    return ax
