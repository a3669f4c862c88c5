"""Coordinate networks for fitting images: SIREN's sine layer and a coordinate-MLP builder.

:class:`~hwlib.models.SineLayer` with SIREN's initialisation (:func:`~hwlib.models.siren_bound`),
:func:`~hwlib.models.coordinate_mlp` (sine, ReLU or tanh), :func:`~hwlib.models.siren` and the
pixel-centre grid :func:`~hwlib.models.coordinate_grid` the networks take as input.

SIREN: Sitzmann et al., "Implicit Neural Representations with Periodic Activation Functions", 2020.
"""

from __future__ import annotations

import math

import torch
from torch import nn

COORDINATE_ACTIVATIONS = ("sine", "relu", "tanh")
"""The activations :func:`coordinate_mlp` knows."""


def siren_bound(fan_in: int, omega0: float, is_first: bool) -> float:
    """Half-width ``c`` of SIREN's uniform weight initialisation ``U(-c, c)``.

    The first layer draws from ``U(-1/n, 1/n)`` and every later layer from
    ``U(-sqrt(6/n)/omega0, sqrt(6/n)/omega0)``, with ``n = fan_in``. With this choice the
    pre-activations ``omega0 * (W x + b)`` of every hidden layer stay roughly standard normal
    and the sines roughly arcsine-distributed, whatever the depth.
    """
    if not isinstance(fan_in, int) or isinstance(fan_in, bool) or fan_in < 1:
        raise ValueError(f"fan_in must be a positive int, got {fan_in!r}")
    if not omega0 > 0:
        raise ValueError(f"omega0 must be positive, got {omega0!r}")
    return 1.0 / fan_in if is_first else math.sqrt(6.0 / fan_in) / omega0


class SineLayer(nn.Module):
    """``sin(omega0 * (x @ W.T + b))``: a linear layer followed by a scaled sine.

    With ``siren_init=True`` (the default) the weights follow SIREN's initialisation
    (see :func:`siren_bound`); the bias keeps PyTorch's default ``U(-1/sqrt(n), 1/sqrt(n))``,
    as in the paper's code. ``siren_init=False`` keeps PyTorch's default weight
    initialisation, ``U(-1/sqrt(n), 1/sqrt(n))``, which is what the chapters compare against.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        omega0: float = 30.0,
        is_first: bool = False,
        bias: bool = True,
        siren_init: bool = True,
    ):
        super().__init__()
        if not omega0 > 0:
            raise ValueError(f"omega0 must be positive, got {omega0!r}")
        self.omega0 = float(omega0)
        self.is_first = bool(is_first)
        self.linear = nn.Linear(in_features, out_features, bias=bias)
        if siren_init:
            bound = siren_bound(in_features, self.omega0, self.is_first)
            with torch.no_grad():
                self.linear.weight.uniform_(-bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the layer to a batch ``x`` of shape ``(N, in_features)``."""
        if x.dim() < 1 or x.shape[-1] != self.linear.in_features:
            raise ValueError(
                f"SineLayer expects inputs with last dimension {self.linear.in_features}, "
                f"got shape {tuple(x.shape)}"
            )
        return torch.sin(self.omega0 * self.linear(x))

    def extra_repr(self) -> str:
        return f"omega0={self.omega0:g}, is_first={self.is_first}"


def coordinate_mlp(
    activation: str = "sine",
    *,
    in_features: int = 2,
    hidden_features: int = 256,
    hidden_layers: int = 3,
    out_features: int = 1,
    omega0: float = 30.0,
    siren_init: bool = True,
) -> nn.Sequential:
    """A coordinate MLP: maps coordinates ``(N, in_features)`` to values ``(N, out_features)``.

    ``hidden_layers + 1`` layers of width ``hidden_features`` with the given activation
    (``"sine"``, ``"relu"`` or ``"tanh"``), then a linear output layer. For ``"sine"`` this is
    SIREN: :class:`SineLayer` everywhere, the first one marked ``is_first``, and the output
    layer drawn like a hidden layer, ``U(-sqrt(6/n)/omega0, sqrt(6/n)/omega0)``
    (``siren_init=False`` keeps PyTorch's default initialisation in every layer instead).
    ReLU and tanh networks use PyTorch's default initialisation; ``omega0`` and ``siren_init``
    apply to sine networks only.
    """
    if activation not in COORDINATE_ACTIVATIONS:
        raise ValueError(
            f"activation={activation!r} is not one of {', '.join(COORDINATE_ACTIVATIONS)}; pick one of these"
        )
    for name, value, low in (
        ("in_features", in_features, 1),
        ("hidden_features", hidden_features, 1),
        ("hidden_layers", hidden_layers, 0),
        ("out_features", out_features, 1),
    ):
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    widths = [in_features] + [hidden_features] * (hidden_layers + 1)
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:])):
        if activation == "sine":
            layers.append(SineLayer(n_in, n_out, omega0=omega0, is_first=i == 0, siren_init=siren_init))
        else:
            layers += [nn.Linear(n_in, n_out), nn.ReLU() if activation == "relu" else nn.Tanh()]
    head = nn.Linear(hidden_features, out_features)
    if activation == "sine" and siren_init:
        bound = siren_bound(hidden_features, omega0, is_first=False)
        with torch.no_grad():
            head.weight.uniform_(-bound, bound)
    layers.append(head)
    return nn.Sequential(*layers)


def siren(
    *,
    in_features: int = 2,
    hidden_features: int = 256,
    hidden_layers: int = 3,
    out_features: int = 1,
    omega0: float = 30.0,
    siren_init: bool = True,
) -> nn.Sequential:
    """SIREN: the sine coordinate MLP of :func:`coordinate_mlp` (``activation="sine"``)."""
    return coordinate_mlp(
        "sine",
        in_features=in_features,
        hidden_features=hidden_features,
        hidden_layers=hidden_layers,
        out_features=out_features,
        omega0=omega0,
        siren_init=siren_init,
    )


def coordinate_grid(
    height: int, width: int | None = None, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """Pixel-centre coordinates of a ``height x width`` image in ``[-1, 1]²``, shape ``(H * W, 2)``.

    Row ``r * W + c`` holds ``(y_r, x_c)``, so ``values.reshape(H, W)`` restores the image from
    a network's ``(H * W, 1)`` output. Both axes run from -1 to 1 inclusive.
    """
    width = height if width is None else width
    for name, value in (("height", height), ("width", width)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 2:
            raise ValueError(f"{name} must be an int >= 2, got {value!r}")
    ys = torch.linspace(-1.0, 1.0, height, dtype=dtype)
    xs = torch.linspace(-1.0, 1.0, width, dtype=dtype)
    return torch.cartesian_prod(ys, xs)
