"""Threshold units: the perceptrons of the logic-gate questions.

:class:`~hwlib.models.ThresholdNetwork` stacks layers of units with the
:func:`~hwlib.models.heaviside` activation; :func:`~hwlib.models.truth_table` tabulates a network
on the binary inputs, :func:`~hwlib.models.single_unit_solutions` searches a grid for every single
unit that computes a given truth table, and :func:`~hwlib.models.all_boolean_functions` lists the
truth tables.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import torch

BINARY_INPUTS = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], dtype=torch.float64)
"""The four points of {0, 1}², in truth-table order (A, B) = 00, 01, 10, 11."""


def heaviside(z: torch.Tensor) -> torch.Tensor:
    """The threshold activation: 1 where ``z >= 0``, else 0."""
    return (z >= 0).to(z.dtype)


class ThresholdNetwork:
    """A feed-forward network of threshold units.

    ``layers`` is a list of ``(W, b)`` pairs with ``W`` of shape
    ``(units_out, units_in)`` and ``b`` of shape ``(units_out,)``; a layer computes
    ``heaviside(x @ W.T + b)`` on a batch ``x`` of shape ``(N, units_in)``.
    """

    def __init__(self, layers: Sequence[tuple[Sequence, Sequence]]):
        if not layers:
            raise ValueError("a ThresholdNetwork needs at least one (W, b) layer")
        self.layers = []
        width = None
        for i, (w, b) in enumerate(layers):
            w = torch.as_tensor(w, dtype=torch.float64)
            b = torch.as_tensor(b, dtype=torch.float64)
            if w.dim() == 1:
                w = w.unsqueeze(0)
            b = b.reshape(-1)
            if w.dim() != 2 or b.shape != (w.shape[0],):
                raise ValueError(
                    f"layer {i}: W must be (units_out, units_in) and b (units_out,), "
                    f"got W {tuple(w.shape)} and b {tuple(b.shape)}"
                )
            if width is not None and w.shape[1] != width:
                raise ValueError(f"layer {i} expects {w.shape[1]} inputs but layer {i - 1} gives {width}")
            width = w.shape[0]
            self.layers.append((w, b))

    @property
    def n_inputs(self) -> int:
        return self.layers[0][0].shape[1]

    def __call__(self, x) -> torch.Tensor:
        x = torch.as_tensor(x, dtype=torch.float64)
        if x.dim() != 2 or x.shape[1] != self.n_inputs:
            raise ValueError(f"input must have shape (N, {self.n_inputs}), got {tuple(x.shape)}")
        for w, b in self.layers:
            x = heaviside(x @ w.T + b)
        return x.squeeze(-1) if x.shape[-1] == 1 else x


def truth_table(net, inputs: torch.Tensor = BINARY_INPUTS) -> list[dict]:
    """Rows ``{"A": .., "B": .., "out": ..}`` of ``net`` on the binary inputs, for a Table."""
    out = net(inputs)
    return [
        {"A": int(a), "B": int(b), "out": int(o)}
        for (a, b), o in zip(inputs.tolist(), out.reshape(-1).tolist())
    ]


def single_unit_solutions(
    targets: Sequence[int], grid: Sequence[float], inputs: torch.Tensor = BINARY_INPUTS
):
    """Every ``(w1, w2, b)`` on ``grid``³ whose single threshold unit reproduces ``targets``.

    An exhaustive search: it evaluates all ``len(grid)**3`` units at once.
    """
    targets = torch.as_tensor(targets, dtype=torch.float64)
    if targets.shape != (inputs.shape[0],):
        raise ValueError(
            f"targets must have one entry per input row ({inputs.shape[0]}), got {tuple(targets.shape)}"
        )
    g = torch.as_tensor(np.asarray(grid, dtype=np.float64))
    params = torch.cartesian_prod(g, g, g)  # (M, 3): w1, w2, b
    out = heaviside(inputs @ params[:, :2].T + params[:, 2])  # (4, M)
    hits = (out == targets[:, None]).all(dim=0)
    return params[hits]


def all_boolean_functions(n_inputs: int = 2):
    """Every truth table on ``n_inputs`` binary inputs, as tuples of outputs in row order."""
    return list(itertools.product((0, 1), repeat=2**n_inputs))
