"""Hand-written layers with explicit ``forward`` and ``backward``: no autograd inside.

:class:`~hwlib.models.HandModule` is their base; :class:`~hwlib.models.Linear`,
:class:`~hwlib.models.ReLU` and :class:`~hwlib.models.Flatten` are the layers and
:class:`~hwlib.models.CrossEntropy` the loss. Networks of them are in :mod:`hwlib.models.hand_networks`.
"""

from __future__ import annotations

import math

import torch

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
