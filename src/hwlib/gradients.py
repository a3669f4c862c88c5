"""Gradient checks: a hand-derived Jacobian or gradient against autograd and finite differences.

Gradients are checked three ways, all in float64: the derived formula, PyTorch's autograd and
central finite differences (and ``torch.autograd.gradcheck`` between the last two). Each check
prints one deterministic line, like the checks of :mod:`hwlib.checks`.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from hwlib.checks import assert_close

__all__ = ["autograd_jacobian", "check_gradient", "check_jacobian", "numerical_jacobian"]


def numerical_jacobian(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, eps: float = 1e-6
) -> torch.Tensor:
    """Central finite-difference Jacobian of ``f`` at ``x`` in float64.

    Returns a tensor of shape ``f(x).shape + x.shape``; for a scalar ``f`` that is
    the gradient, shaped like ``x``.
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    x = x.detach().to(torch.float64)
    with torch.no_grad():
        y0 = torch.as_tensor(f(x.clone()))
        jac = torch.zeros(*y0.shape, x.numel(), dtype=torch.float64)
        flat = x.reshape(-1)
        for i in range(flat.numel()):
            step = torch.zeros_like(flat)
            step[i] = eps
            up = torch.as_tensor(f((flat + step).reshape(x.shape))).to(torch.float64)
            down = torch.as_tensor(f((flat - step).reshape(x.shape))).to(torch.float64)
            jac[..., i] = (up - down) / (2 * eps)
    return jac.reshape(tuple(y0.shape) + tuple(x.shape))


def autograd_jacobian(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """The Jacobian of ``f`` at ``x`` from ``torch.autograd`` (float64), shape ``f(x).shape + x.shape``."""
    x = x.detach().to(torch.float64)
    return torch.autograd.functional.jacobian(f, x)


def check_jacobian(
    f: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    analytic,
    what: str,
    *,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    eps: float = 1e-6,
) -> torch.Tensor:
    """Check a hand-derived Jacobian (or gradient) three ways.

    ``analytic`` is the derived value at ``x``, shaped ``f(x).shape + x.shape``
    (the gradient's shape for a scalar ``f``). It is compared with autograd and
    with central finite differences, and autograd is compared with finite
    differences by ``torch.autograd.gradcheck``. Prints one line; returns the
    autograd Jacobian.
    """
    x = x.detach().to(torch.float64)
    auto = autograd_jacobian(f, x)
    fd = numerical_jacobian(f, x, eps)
    ana = torch.as_tensor(analytic, dtype=torch.float64)
    if ana.shape != auto.shape:
        raise AssertionError(
            f"{what}: the derived value has shape {tuple(ana.shape)} but the Jacobian of a "
            f"map from {tuple(x.shape)} to {tuple(auto.shape[: auto.dim() - x.dim()])} "
            f"has shape {tuple(auto.shape)}"
        )
    assert_close(auto, ana, f"{what} (derived vs autograd)", rtol=rtol, atol=atol, quiet=True)
    assert_close(
        fd, ana, f"{what} (derived vs finite differences)", rtol=1e3 * rtol, atol=1e3 * atol, quiet=True
    )
    xg = x.clone().requires_grad_(True)
    if not torch.autograd.gradcheck(
        f, (xg,), eps=eps, atol=1e3 * atol, rtol=1e3 * rtol, raise_exception=False
    ):
        raise AssertionError(f"{what}: torch.autograd.gradcheck disagrees with finite differences")
    print(f"ok  {what}  [shape {tuple(ana.shape)}; derived = autograd = finite differences]")
    return auto


def check_gradient(
    f: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    analytic,
    what: str,
    **tolerances,
) -> torch.Tensor:
    """Check the hand-derived gradient of a scalar function ``f`` at ``x``.

    Same three-way comparison as :func:`check_jacobian`; ``f(x)`` must be a scalar.
    """
    with torch.no_grad():
        out = torch.as_tensor(f(x.detach().to(torch.float64)))
    if out.numel() != 1 or out.dim() != 0:
        raise ValueError(
            f"{what}: check_gradient needs a scalar function, but f(x) has shape {tuple(out.shape)}; "
            "use check_jacobian for vector outputs"
        )
    return check_jacobian(f, x, analytic, what, **tolerances)
