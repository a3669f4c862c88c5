""":func:`~hwlib.plotting.draw_network`: a small fully connected network with its numbers written on it."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch


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
