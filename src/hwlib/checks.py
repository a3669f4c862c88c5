"""Checks that make a derivation executable.

Every check prints one deterministic line when it passes (no error magnitudes,
which differ between machines in the last bits) and raises ``AssertionError``
with both values and the tolerance when it fails. Gradients are checked three
ways: the hand-derived formula, PyTorch's autograd and central finite
differences, all in float64.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable

import numpy as np
import torch


def _as_array(value, what: str, name: str) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu()
        if value.is_complex():
            return value.to(torch.complex128).numpy()
        return value.to(torch.float64).numpy()
    try:
        arr = np.asarray(value)
    except Exception as exc:  # pragma: no cover - numpy accepts nearly anything
        raise TypeError(f"{what}: cannot read the {name} value {value!r} as an array") from exc
    if arr.dtype == object:
        raise TypeError(f"{what}: the {name} value is not numeric: {value!r}")
    if arr.dtype.kind in "biuf":
        arr = arr.astype(np.float64)
    return arr


def _fmt(arr: np.ndarray) -> str:
    with np.printoptions(precision=10, threshold=40, edgeitems=4, linewidth=100):
        return np.array2string(np.asarray(arr))


class Hidden:
    """A reference value kept out of sight, made by :func:`hidden`: a digest of each entry rounded
    to ``sig`` significant digits, where entries with ``|x| <= zero`` count as 0."""

    def __init__(self, digests: str, shape: tuple[int, ...], sig: int, zero: float):
        self.digests = digests.split(",") if digests else []
        self.shape = tuple(shape)
        self.sig, self.zero = int(sig), float(zero)
        if len(self.digests) != int(np.prod(self.shape, dtype=np.int64)):
            raise ValueError(f"hidden: {len(self.digests)} digests for shape {self.shape}")

    def __repr__(self) -> str:
        return f"<hidden reference, shape {self.shape}, {self.sig} significant digits>"


def _print_ok(what: str, shape: tuple, quiet: bool) -> None:
    """The one deterministic line a passing comparison prints (the hidden check prints the same)."""
    if not quiet:
        print(f"ok  {what}  [{'scalar' if shape == () else f'shape {tuple(shape)}'}]")


def _entry_key(x: float, sig: int, zero: float) -> str:
    from hwlib.reporting import round_sig

    if not math.isfinite(x):
        return repr(x)
    return "0" if abs(x) <= zero else repr(round_sig(x, sig))


def _digest(key: str, sig: int, index: int) -> str:
    # the entry's index is hashed too, so equal entries do not show as equal digests
    return hashlib.sha256(f"hwlib-hidden|{sig}|{index}|{key}".encode()).hexdigest()[:16]


def hidden_digests(values, *, rtol: float, atol: float) -> tuple[str, int, float]:
    """``(digests, sig, zero)`` for :func:`hidden`, from the reference ``values`` (a flat list of
    numbers) and the tolerances of the check they replace.

    An answer within the check's tolerance (``atol + rtol * |value|``) of every value must hash
    like the value, so ``sig`` is the most significant digits (at most 12) at which everything
    within twice the tolerance of each value rounds like the value; values within the tolerance of
    zero form the class ``|x| <= zero``. The hidden check is therefore as loose as one rounding
    step at ``sig`` digits, never stricter than the check it replaces. Raises ``ValueError`` when
    no precision separates the values from zero and from their rounding boundaries.
    """
    from hwlib.reporting import round_sig

    values = [float(v) for v in values]
    tols = [atol + rtol * abs(v) if math.isfinite(v) else 0.0 for v in values]
    # an infinity or a NaN is compared exactly, as assert_close compares it
    small = [math.isfinite(v) and abs(v) <= t for v, t in zip(values, tols)]
    zero = max([abs(v) + t for v, t, s in zip(values, tols, small) if s], default=0.0)
    for v, t, s in zip(values, tols, small):
        if math.isfinite(v) and not s and abs(v) - 2 * t <= zero:
            raise ValueError(f"hidden_digests: {v!r} is too close to the values treated as zero")
    for sig in range(12, 0, -1):
        if all(
            s
            or not math.isfinite(v)
            or round_sig(v - 2 * t, sig) == round_sig(v, sig) == round_sig(v + 2 * t, sig)
            for v, t, s in zip(values, tols, small)
        ):
            return (
                ",".join(_digest(_entry_key(v, sig, zero), sig, i) for i, v in enumerate(values)),
                sig,
                zero,
            )
    raise ValueError("hidden_digests: no precision rounds every value away from its rounding boundaries")


def hidden(digests: str, *, shape: tuple[int, ...] = (), sig: int, zero: float = 0.0) -> Hidden:
    """A hidden reference for :func:`assert_close`, as the student edition writes it in place of
    a hard-coded value (``tools/student.py``): the check grades an answer without showing it."""
    return Hidden(digests, shape, sig, zero)


def _assert_hidden(reference: Hidden, actual, what: str, quiet: bool) -> None:
    act = _as_array(actual, what, "actual")
    if act.shape != reference.shape:
        raise AssertionError(f"{what}: shape mismatch, expected {reference.shape} but got {act.shape}")
    flat = act.reshape(-1).tolist()
    wrong = [
        i
        for i, (x, want) in enumerate(zip(flat, reference.digests))
        if _digest(_entry_key(x, reference.sig, reference.zero), reference.sig, i) != want
    ]
    if wrong:
        raise AssertionError(
            f"{what}: {len(wrong)} of {act.size} entries differ from the hidden reference "
            f"(compared rounded to {reference.sig} significant digits); first at flat index {wrong[0]}\n"
            f"actual:\n{_fmt(act)}"
        )
    _print_ok(what, act.shape, quiet)


def assert_close(
    expected,
    actual,
    what: str,
    *,
    rtol: float = 1e-7,
    atol: float = 1e-10,
    quiet: bool = False,
) -> None:
    """Assert that ``actual`` equals ``expected`` element-wise within tolerance.

    ``expected`` should come from an independent route (autograd, a library
    function, a brute-force loop), never from the code under test. Shapes must
    match exactly (no broadcasting). On success one line ``ok  <what>`` is
    printed; on failure the ``AssertionError`` shows both values, the largest
    difference and the tolerance.

    Either value may be a :func:`hidden` reference (what the student edition puts in
    place of a hard-coded one): the entries are then compared rounded, at the
    reference's significant digits.
    """
    if not isinstance(what, str) or not what:
        raise ValueError("assert_close needs a non-empty description `what`")
    if rtol < 0 or atol < 0:
        raise ValueError(f"{what}: tolerances must be non-negative (rtol={rtol}, atol={atol})")
    if isinstance(expected, Hidden) or isinstance(actual, Hidden):
        reference, other = (expected, actual) if isinstance(expected, Hidden) else (actual, expected)
        return _assert_hidden(reference, other, what, quiet)
    exp = _as_array(expected, what, "expected")
    act = _as_array(actual, what, "actual")
    if exp.shape != act.shape:
        raise AssertionError(f"{what}: shape mismatch, expected {exp.shape} but got {act.shape}")
    if not np.all(np.isfinite(act)) and not np.array_equal(np.isfinite(exp), np.isfinite(act)):
        raise AssertionError(f"{what}: actual value has non-finite entries:\n{_fmt(act)}")
    ok = np.allclose(act, exp, rtol=rtol, atol=atol, equal_nan=False)
    if not ok:
        diff = np.abs(act - exp)
        diff = diff[~np.isnan(diff)]  # NaN against NaN differs, but has no size (and no warning)
        worst = float(diff.max()) if diff.size else float("nan")
        raise AssertionError(
            f"{what}: values differ (max |actual - expected| = {worst:.3e}, "
            f"tolerance atol={atol:g} + rtol={rtol:g}*|expected|)\n"
            f"expected:\n{_fmt(exp)}\nactual:\n{_fmt(act)}"
        )
    _print_ok(what, exp.shape, quiet)


def assert_true(condition: bool, what: str, detail: str = "", *, quiet: bool = False) -> None:
    """Assert a qualitative claim (an ordering, a floor, a sign).

    ``detail`` is shown only on failure, so it may hold machine-dependent numbers.
    """
    if not isinstance(what, str) or not what:
        raise ValueError("assert_true needs a non-empty description `what`")
    if isinstance(condition, torch.Tensor):
        if condition.numel() != 1:
            raise ValueError(f"{what}: condition must be one boolean, got shape {tuple(condition.shape)}")
        condition = bool(condition.item())
    if not bool(condition):
        raise AssertionError(f"{what}: claim does not hold. {detail}".strip())
    if not quiet:
        print(f"ok  {what}")


def assert_rejected(check: Callable[[], object], what: str, *, quiet: bool = False) -> None:
    """Assert that ``check`` fails: a deliberately wrong formula must not pass.

    ``check`` is a no-argument callable running one of the checks above on the wrong
    value; it must raise ``AssertionError``. This shows that a check can fail, and it
    turns a "common mistake" into an executed counterexample.
    """
    if not callable(check):
        raise TypeError(f"{what}: assert_rejected needs a callable, e.g. lambda: assert_close(...)")
    try:
        check()
    except AssertionError:
        if not quiet:
            print(f"ok  rejected, as it must be: {what}")
        return
    raise AssertionError(f"{what}: the wrong value passed the check")


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
