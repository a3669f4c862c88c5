"""Multilayer perceptrons for classification, built from ``torch.nn``: :func:`~hwlib.models.mlp`."""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

MLP_ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "silu": nn.SiLU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
}
"""The activations :func:`mlp` knows by name."""


def mlp(
    sizes: Sequence[int],
    activation: str | type[nn.Module] = "relu",
    *,
    flatten: bool = True,
    dropout: float = 0.0,
    bias: bool = True,
) -> nn.Sequential:
    """A multilayer perceptron ``sizes[0] -> sizes[1] -> ... -> sizes[-1]`` as an ``nn.Sequential``.

    ``len(sizes) - 1`` linear layers with ``activation`` (a name from :data:`MLP_ACTIVATIONS` or
    an ``nn.Module`` class) between them and none after the last, so the output is logits. With
    ``flatten=True`` the first module is ``nn.Flatten()``: image batches ``(N, C, H, W)`` go in as
    they are and ``(N, D)`` batches are unchanged. ``dropout > 0`` adds ``nn.Dropout`` after each
    hidden activation. Weights keep PyTorch's default initialisation.

    ``mlp([784, 256, 128, 10])`` is a three-layer network for 28 x 28 images and ten classes.
    """
    sizes = list(sizes)
    if len(sizes) < 2 or any(not isinstance(s, int) or isinstance(s, bool) or s < 1 for s in sizes):
        raise ValueError(f"sizes must be at least two positive ints (input, ..., output), got {sizes!r}")
    if isinstance(activation, str):
        if activation not in MLP_ACTIVATIONS:
            raise ValueError(
                f"activation={activation!r} is not one of {', '.join(MLP_ACTIVATIONS)}; "
                "pick one of these or pass an nn.Module class"
            )
        activation = MLP_ACTIVATIONS[activation]
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
    layers: list[nn.Module] = [nn.Flatten()] if flatten else []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out, bias=bias))
        if i < len(sizes) - 2:
            layers.append(activation())
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)
