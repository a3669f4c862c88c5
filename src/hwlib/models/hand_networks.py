"""Networks of hand-written layers and their training step.

:class:`~hwlib.models.Chain` applies :class:`~hwlib.models.HandModule` layers in order (backward
in reverse), :func:`~hwlib.models.hand_mlp` builds an MLP of them and :func:`~hwlib.models.sgd_step`
updates its parameters in place.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from hwlib.models.hand_layers import Flatten, HandModule, Linear, ReLU


class Chain(HandModule):
    """Hand-written modules applied in order; backward runs them in reverse.

    ``Chain(Flatten(), Linear(784, 128), ReLU(), Linear(128, 10))`` is a two-layer network whose
    ``backward(dL/d logits)`` fills every layer's gradients and returns dL/d(input).
    """

    def __init__(self, *modules: HandModule):
        if not modules:
            raise ValueError("Chain needs at least one module")
        for i, m in enumerate(modules):
            if not isinstance(m, HandModule):
                raise TypeError(
                    f"Chain: module {i} is a {type(m).__name__}, not a HandModule (Linear, ReLU, "
                    "Flatten, ...); the loss (CrossEntropy) is applied outside the chain"
                )
        self.modules = list(modules)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Each module's forward in order."""
        for m in self.modules:
            x = m.forward(x)
        return x

    def backward(self, grad_out: torch.Tensor) -> torch.Tensor:
        """Each module's backward in reverse order; returns dL/d(input)."""
        for m in reversed(self.modules):
            grad_out = m.backward(grad_out)
        return grad_out

    def parameters(self) -> list[torch.Tensor]:
        """Every module's parameters, in order."""
        return [p for m in self.modules for p in m.parameters()]

    def gradients(self) -> list[torch.Tensor | None]:
        """Every module's parameter gradients, aligned with :meth:`parameters`."""
        return [g for m in self.modules for g in m.gradients()]

    def __getitem__(self, i: int) -> HandModule:
        return self.modules[i]

    def __len__(self) -> int:
        return len(self.modules)

    def __repr__(self) -> str:
        return "Chain(" + ", ".join(repr(m) for m in self.modules) + ")"


def hand_mlp(
    sizes: Sequence[int],
    *,
    generator: torch.Generator | None = None,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> Chain:
    """``Flatten``, then hand-written ``Linear`` layers ``sizes[0] -> ... -> sizes[-1]``, ``ReLU`` between."""
    sizes = list(sizes)
    if len(sizes) < 2 or any(not isinstance(s, int) or isinstance(s, bool) or s < 1 for s in sizes):
        raise ValueError(f"sizes must be at least two positive ints (input, ..., output), got {sizes!r}")
    modules: list[HandModule] = [Flatten()]
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        modules.append(Linear(n_in, n_out, generator=generator, dtype=dtype, device=device))
        if i < len(sizes) - 2:
            modules.append(ReLU())
    return Chain(*modules)


def sgd_step(model: HandModule, lr: float, weight_decay: float = 0.0) -> None:
    """One plain SGD update in place: ``p -= lr * (dL/dp + weight_decay * p)`` for each parameter.

    Uses the gradients of the last ``backward``; raises if a parameter has none yet.
    """
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr!r}")
    if weight_decay < 0:
        raise ValueError(f"weight_decay must be >= 0, got {weight_decay!r}")
    params, grads = model.parameters(), model.gradients()
    with torch.no_grad():
        for i, (p, g) in enumerate(zip(params, grads)):
            if g is None:
                raise RuntimeError(f"sgd_step: parameter {i} has no gradient; run forward and backward first")
            if g.shape != p.shape:
                raise ValueError(
                    f"sgd_step: gradient {i} has shape {tuple(g.shape)}, parameter {tuple(p.shape)}"
                )
            p -= lr * (g + weight_decay * p) if weight_decay else lr * g
