"""Checks that make a derivation executable: values, claims, counterexamples.

Every check prints one deterministic line when it passes (no error magnitudes,
which differ between machines in the last bits) and raises ``AssertionError``
with both values and the tolerance when it fails. A value the student edition
must not show is compared through :func:`hidden`. Gradient checks (the derived
formula against autograd and finite differences) live in :mod:`hwlib.gradients`
and are importable from here as before.
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


def assert_all(claims, *, quiet: bool = False) -> None:
    """Assert several qualitative claims about one result, as one call.

    ``claims`` maps each claim's description to its condition (``{"loss went down": l1 < l0}``),
    or is a sequence of ``(condition, what)`` / ``(condition, what, detail)`` tuples. Every claim
    is evaluated; each that holds prints its ``ok`` line, exactly as :func:`assert_true` would,
    and if any fails the call raises one ``AssertionError`` naming every failed claim.
    """
    if hasattr(claims, "items"):
        items = [(condition, what, "") for what, condition in claims.items()]
    else:
        items = []
        for claim in claims:
            if not isinstance(claim, tuple) or len(claim) not in (2, 3):
                raise TypeError(
                    "assert_all needs a dict {what: condition} or (condition, what[, detail]) tuples, "
                    f"got {claim!r}"
                )
            items.append((*claim, "") if len(claim) == 2 else claim)
    if not items:
        raise ValueError("assert_all needs at least one claim")
    failed = []
    for condition, what, detail in items:
        try:
            assert_true(condition, what, detail, quiet=True)
        except AssertionError as err:
            failed.append(str(err))
            continue
        if not quiet:
            print(f"ok  {what}")
    if failed:
        raise AssertionError(f"{len(failed)} of {len(items)} claims do not hold:\n" + "\n".join(failed))


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


_GRADIENT_CHECKS = ("numerical_jacobian", "autograd_jacobian", "check_jacobian", "check_gradient")


def __getattr__(name: str):
    """``hwlib.checks.check_gradient`` and the other gradient checks, now in :mod:`hwlib.gradients`."""
    if name in _GRADIENT_CHECKS:
        from hwlib import gradients

        return getattr(gradients, name)
    raise AttributeError(f"module 'hwlib.checks' has no attribute {name!r}")
