"""Networks the chapters build.

- threshold units (the perceptrons of logic-gate questions), with a truth-table helper
  and an exhaustive search for single-unit solutions;
- an MLP builder (:func:`mlp`);
- SIREN's sine layer with its initialisation, and coordinate MLPs for fitting images;
- hand-written ``Linear``/``ReLU``/``Flatten``/``CrossEntropy`` modules with explicit
  ``forward`` and ``backward`` (no autograd inside), a ``Chain`` container and ``sgd_step``.
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


# --- Coordinate networks: SIREN's sine layer and a coordinate-MLP builder -------------------------
# (Sitzmann et al., "Implicit Neural Representations with Periodic Activation Functions", 2020.)

import math

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


# --- Multilayer perceptrons for classification ----------------------------------------------------

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


# --- Hand-written layers with explicit forward and backward (no autograd) ------------------------
# Each module's backward sits next to its forward, in the style of micrograd's engine and CS231n's
# layers: ``forward`` caches what ``backward`` needs; ``backward`` takes dL/d(output) and returns
# dL/d(input), storing dL/d(parameter) on the module. No autograd is used anywhere, so these run
# (and train) under ``torch.no_grad()``; autograd is only used by the tests that check them.


def _require_batch(x, what: str, features: int | None = None) -> None:
    """Raise a clear error unless ``x`` is a 2-D tensor ``(N, features)``."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{what}: expected a torch.Tensor, got {type(x).__name__}")
    if x.dim() != 2 or (features is not None and x.shape[1] != features):
        want = f"(N, {features})" if features is not None else "(N, features)"
        raise ValueError(
            f"{what}: expected a batch of shape {want}, got {tuple(x.shape)}; "
            "flatten image batches first (hwlib.models.Flatten or x.reshape(len(x), -1))"
        )


class HandModule:
    """Base class of the hand-written modules.

    ``forward(x)`` computes the output and caches what the gradient needs; ``backward(grad_out)``
    takes the gradient of the loss with respect to the output (same shape as the output) and
    returns the gradient with respect to the input, storing parameter gradients on the module
    (they are overwritten, not accumulated, by each call). ``parameters()`` and ``gradients()``
    list the two in the same order.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The output for input ``x``."""
        raise NotImplementedError

    def backward(self, grad_out: torch.Tensor) -> torch.Tensor:
        """dL/d(input) from dL/d(output), for the batch of the last ``forward`` call."""
        raise NotImplementedError

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward(x)

    def parameters(self) -> list[torch.Tensor]:
        """The trainable tensors (none for a module without parameters)."""
        return []

    def gradients(self) -> list[torch.Tensor | None]:
        """dL/d(parameter) from the last ``backward``, aligned with :meth:`parameters`."""
        return []

    def _cached(self, value, what: str):
        if value is None:
            raise RuntimeError(f"{what}: backward was called before forward; call forward on the batch first")
        return value


class Linear(HandModule):
    """Affine layer ``out = x W^T + b`` for a batch ``x`` of shape ``(N, in_features)``.

    ``weight`` has shape ``(out_features, in_features)`` and ``bias`` ``(out_features,)``, as in
    ``torch.nn.Linear``, and both are drawn from ``U(-1/sqrt(in_features), 1/sqrt(in_features))``
    (PyTorch's default range) with ``generator``. Backward, with ``G = dL/d(out)`` of shape
    ``(N, out_features)``: ``dL/dW = G^T x``, ``dL/db = sum_n G_n`` and ``dL/dx = G W``.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        bias: bool = True,
        generator: torch.Generator | None = None,
        dtype: torch.dtype = torch.float32,
        device: torch.device | str | None = None,
    ):
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"Linear: {name} must be a positive int, got {value!r}")
        self.in_features, self.out_features = in_features, out_features
        bound = 1.0 / math.sqrt(in_features)

        def uniform(*shape: int) -> torch.Tensor:
            return ((2 * torch.rand(*shape, generator=generator, dtype=dtype) - 1) * bound).to(device)

        self.weight = uniform(out_features, in_features)
        self.bias = uniform(out_features) if bias else None
        self.grad_weight: torch.Tensor | None = None
        self.grad_bias: torch.Tensor | None = None
        self._x: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x W^T + b``; caches ``x`` for the weight gradient."""
        _require_batch(x, "Linear.forward", self.in_features)
        self._x = x
        out = x @ self.weight.T
        return out + self.bias if self.bias is not None else out

    def backward(self, grad_out: torch.Tensor) -> torch.Tensor:
        """Store ``dL/dW = G^T x`` and ``dL/db = sum_n G_n``; return ``dL/dx = G W``."""
        x = self._cached(self._x, "Linear.backward")
        _require_batch(grad_out, "Linear.backward", self.out_features)
        if grad_out.shape[0] != x.shape[0]:
            raise ValueError(
                f"Linear.backward: grad_out has {grad_out.shape[0]} rows but the last forward batch had "
                f"{x.shape[0]}; pass dL/d(output) of the same batch"
            )
        self.grad_weight = grad_out.T @ x  # (out, N) @ (N, in) -> (out, in)
        self.grad_bias = grad_out.sum(0) if self.bias is not None else None  # (out,)
        return grad_out @ self.weight  # (N, out) @ (out, in) -> (N, in)

    def parameters(self) -> list[torch.Tensor]:
        """``[weight, bias]`` (``[weight]`` without bias)."""
        return [self.weight] if self.bias is None else [self.weight, self.bias]

    def gradients(self) -> list[torch.Tensor | None]:
        """``[grad_weight, grad_bias]`` from the last backward."""
        return [self.grad_weight] if self.bias is None else [self.grad_weight, self.grad_bias]

    def __repr__(self) -> str:
        return f"Linear({self.in_features}, {self.out_features}, bias={self.bias is not None})"


class ReLU(HandModule):
    """Element-wise ``max(x, 0)``; backward lets the gradient through where ``x > 0`` (so ReLU'(0) = 0)."""

    def __init__(self):
        self._mask: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``max(x, 0)``; caches the mask ``x > 0``."""
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"ReLU.forward: expected a torch.Tensor, got {type(x).__name__}")
        self._mask = x > 0
        return x * self._mask

    def backward(self, grad_out: torch.Tensor) -> torch.Tensor:
        """``grad_out`` where the input was positive, 0 elsewhere."""
        mask = self._cached(self._mask, "ReLU.backward")
        if grad_out.shape != mask.shape:
            raise ValueError(
                f"ReLU.backward: grad_out has shape {tuple(grad_out.shape)} but the last forward input had "
                f"{tuple(mask.shape)}; pass dL/d(output) of the same batch"
            )
        return grad_out * mask

    def __repr__(self) -> str:
        return "ReLU()"


class Flatten(HandModule):
    """Reshape ``(N, ...)`` to ``(N, D)``; backward reshapes the gradient back."""

    def __init__(self):
        self._shape: torch.Size | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x.reshape(N, -1)``; caches the input shape."""
        if not isinstance(x, torch.Tensor) or x.dim() < 1:
            raise ValueError("Flatten.forward: expected a tensor with a batch axis first, shape (N, ...)")
        self._shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, grad_out: torch.Tensor) -> torch.Tensor:
        """The gradient in the input's shape."""
        shape = self._cached(self._shape, "Flatten.backward")
        if grad_out.numel() != math.prod(shape):
            raise ValueError(
                f"Flatten.backward: grad_out has {grad_out.numel()} entries, the last input had shape "
                f"{tuple(shape)}"
            )
        return grad_out.reshape(shape)

    def __repr__(self) -> str:
        return "Flatten()"


class CrossEntropy:
    """Mean softmax cross-entropy of logits ``(N, C)`` against integer class labels ``(N,)``.

    Forward: ``L = -(1/N) sum_n log softmax(z_n)[y_n]``, computed stably (the row maximum is
    subtracted before exponentiating). Backward: ``dL/dz = (softmax(z) - onehot(y)) / N``.
    Call it as ``loss = ce(logits, labels)``, then ``grad = ce.backward()``.
    """

    def __init__(self):
        self._probs: torch.Tensor | None = None
        self._targets: torch.Tensor | None = None

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """The mean loss (a 0-dim tensor); caches the softmax probabilities and the labels."""
        _require_batch(logits, "CrossEntropy.forward (logits)")
        if not isinstance(targets, torch.Tensor) or targets.shape != (logits.shape[0],):
            shape = tuple(targets.shape) if isinstance(targets, torch.Tensor) else type(targets).__name__
            raise ValueError(
                f"CrossEntropy.forward: targets must have shape ({logits.shape[0]},), one class index per "
                f"row of logits, got {shape}"
            )
        if targets.dtype.is_floating_point or targets.dtype == torch.bool:
            raise ValueError("CrossEntropy.forward: targets must be integer class indices; use labels.long()")
        n_classes = logits.shape[1]
        if len(targets) and (targets.min() < 0 or targets.max() >= n_classes):
            raise ValueError(f"CrossEntropy.forward: targets must lie in 0..{n_classes - 1}")
        shifted = logits - logits.max(dim=1, keepdim=True).values
        log_probs = shifted - shifted.exp().sum(dim=1, keepdim=True).log()
        self._probs, self._targets = log_probs.exp(), targets
        return -log_probs[torch.arange(len(targets), device=logits.device), targets].mean()

    def backward(self, grad_out: float | torch.Tensor = 1.0) -> torch.Tensor:
        """``dL/d(logits) = grad_out * (softmax - onehot) / N``, shape ``(N, C)``."""
        probs = self._cached_probs()
        grad = probs.clone()
        grad[torch.arange(len(self._targets), device=probs.device), self._targets] -= 1
        return grad * (grad_out / len(self._targets))

    def _cached_probs(self) -> torch.Tensor:
        if self._probs is None:
            raise RuntimeError(
                "CrossEntropy.backward: backward was called before forward; call forward on the batch first"
            )
        return self._probs

    def __call__(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return self.forward(logits, targets)

    def __repr__(self) -> str:
        return "CrossEntropy()"


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
