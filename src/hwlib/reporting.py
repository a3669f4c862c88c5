"""Numbers a page reports, at the precision their claim needs.

A float's last bits differ between CPUs (vector units add in another order, libm
rounds differently), so a page whose compared output shows a raw ``repr`` such as
``-2.0000000000000004`` breaks the regression on the next machine. Every number the
book glues into its prose goes through :func:`glue`, which rounds it to a stated
number of significant digits first; :func:`round_sig` and :func:`fmt_sig` do the
same for printed values.

Rounding does not make an ill-conditioned quantity portable: a value that sits on a
rounding boundary, or that a finite difference computes with half its digits lost,
still flips. Such a value is computed in a well-conditioned way, or shown in a cell
tagged ``nbval-ignore-output`` whose assertion states its tolerance.
"""

from __future__ import annotations

import math
import numbers
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

import numpy as np
import torch

__all__ = ["fmt_sig", "glue", "glue_many", "round_sig"]


def _scalar(value, what: str):
    """``value`` as a Python ``int``, ``float``, ``bool`` or ``str`` (tensors and numpy scalars unwrapped)."""
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise ValueError(f"{what}: expected one number, got a tensor of shape {tuple(value.shape)}")
        value = value.item()
    elif isinstance(value, np.ndarray):
        if value.size != 1:
            raise ValueError(f"{what}: expected one number, got an array of shape {value.shape}")
        value = value.item()
    elif isinstance(value, np.generic):
        value = value.item()
    return value


def _check_sig(sig, what: str) -> int:
    if not isinstance(sig, int) or isinstance(sig, bool) or not 1 <= sig <= 15:
        raise ValueError(f"{what}: sig must be an int from 1 to 15 (significant digits), got {sig!r}")
    return sig


_BOUNDS = {None: None, "upper": ROUND_CEILING, "lower": ROUND_FLOOR}


def round_sig(value, sig: int, bound: str | None = None) -> float:
    """``value`` rounded to ``sig`` significant digits, as a float; ``-0.0`` becomes ``0.0``.

    ``bound="upper"`` rounds up (towards +inf) and ``bound="lower"`` down, for a number the text
    states as a bound ("at most 9e-08"): rounded to nearest, a maximum of 8.42e-08 would print as
    "at most 8e-08", which is false.

    >>> round_sig(-2.0000000000000004, 4)
    -2.0
    >>> round_sig(0.000123456, 2)
    0.00012
    >>> round_sig(8.42e-08, 1, bound="upper")
    9e-08
    """
    _check_sig(sig, "round_sig")
    if bound not in _BOUNDS:
        raise ValueError(f"bound must be None, 'upper' or 'lower', got {bound!r}")
    value = _scalar(value, "round_sig")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"round_sig needs a real number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not math.isfinite(value) or value == 0.0:
        return value + 0.0
    if bound is None:
        # to nearest, as format() rounds: the shortest repr of the result is the rounded digits
        return float(f"{value:.{sig - 1}e}") + 0.0
    # a bound rounds the decimal the float stands for (its repr: 0.1, not 0.1000000000000000055)
    shown = Decimal(repr(value))
    rounded = shown.quantize(Decimal(1).scaleb(shown.adjusted() - sig + 1), rounding=_BOUNDS[bound])
    return float(rounded) + 0.0


def fmt_sig(value, sig: int) -> str:
    """``value`` written with ``sig`` significant digits (``repr`` of :func:`round_sig`), for printing."""
    return repr(round_sig(value, sig))


def _glued_value(name: str, value, sig: int | None, bound: str | None):
    """What :func:`glue` stores under ``name``: the rounded float, or the integer / bool / string."""
    if not isinstance(name, str) or not name:
        raise ValueError("glue needs a non-empty name")
    what = f"glue({name!r})"
    value = _scalar(value, what)
    if isinstance(value, bool) or isinstance(value, (numbers.Integral, str)):
        if sig is not None:
            raise ValueError(f"{what}: sig applies to floats only, but the value is {type(value).__name__}")
        glued = int(value) if isinstance(value, numbers.Integral) and not isinstance(value, bool) else value
    elif isinstance(value, numbers.Real):
        if sig is None:
            raise TypeError(
                f"{what}: a float needs sig=, the number of significant digits its claim needs "
                "(its last bits differ between CPUs)"
            )
        glued = round_sig(value, _check_sig(sig, what), bound=bound)
    else:
        raise TypeError(f"{what}: can glue a number or a string, got {type(value).__name__}")
    return glued


def glue(name: str, value, sig: int | None = None, bound: str | None = None) -> None:
    """Glue ``value`` under ``name`` for the page's prose, rounded to ``sig`` significant digits.

    - A float (Python, numpy, or a one-element floating tensor) needs ``sig``: the number of
      significant digits its claim needs, no more. It is rounded by :func:`round_sig`, so the
      stored text is the same on every CPU unless the value sits on a rounding boundary.
    - ``bound="upper"`` / ``"lower"`` rounds a float up / down instead of to nearest, for a value
      the text states as a bound ("at most", "at least"): see :func:`round_sig`.
    - An integer, a bool or a string is glued as it is (``sig`` must then be omitted).

    Cite it in MyST as ``{glue:text}`name``` or with a format that shows at most ``sig``
    significant digits, e.g. ``{glue:text}`name:.3f``` for ``sig=4`` and a value in [1, 10);
    ``tests/test_portability.py`` checks that every citation in the book obeys this.

    Without myst-nb (for example on Colab) nothing is displayed. Returns None, so a cell that
    ends with a glue shows no ``Out[]`` value (use :func:`round_sig` for the rounded value).
    """
    glued = _glued_value(name, value, sig, bound)
    try:
        from myst_nb import glue as _myst_glue
    except ImportError:  # pragma: no cover - myst-nb is in the book's environment
        return None
    _myst_glue(name, glued, display=False)
    return None


def glue_many(values, *, sig: int | None = None, prefix: str = "") -> None:
    """Glue every entry of the mapping ``values`` (name -> value), as one call of :func:`glue` each.

    ``sig`` is the significant digits of every float entry; integers, bools and strings are glued
    as they are. An entry written ``(value, sig)`` or ``(value, sig, bound)`` uses its own digits
    (and bound) instead. ``prefix`` is put before every name (``prefix="ps4_"``). Every entry is
    checked before any is glued, so a bad entry leaves nothing half-glued.

    >>> glue_many({"epochs": 10, "loss": 0.123456, "lr": (0.05, 1)}, sig=3, prefix="demo_")
    """
    if not hasattr(values, "items"):
        raise TypeError(f"glue_many needs a mapping of name -> value, got {type(values).__name__}")
    if not isinstance(prefix, str):
        raise TypeError(f"glue_many: prefix must be a string, got {type(prefix).__name__}")
    if not values:
        raise ValueError("glue_many needs at least one value")
    calls = []
    for name, entry in values.items():
        if not isinstance(name, str) or not name:
            raise ValueError(f"glue_many: every name must be a non-empty string, got {name!r}")
        if isinstance(entry, tuple):
            if len(entry) not in (2, 3):
                raise ValueError(
                    f"glue_many({prefix + name!r}): write an entry as (value, sig) or (value, sig, bound)"
                )
            value, entry_sig, bound = (*entry, None) if len(entry) == 2 else entry
        else:
            value, bound = entry, None
            scalar = _scalar(value, f"glue({prefix + name!r})")
            is_float = isinstance(scalar, numbers.Real) and not isinstance(scalar, (bool, numbers.Integral))
            entry_sig = sig if is_float else None
        calls.append((prefix + name, value, entry_sig, bound))
    for name, value, entry_sig, bound in calls:  # validate all before gluing any
        _glued_value(name, value, entry_sig, bound)
    for name, value, entry_sig, bound in calls:
        glue(name, value, sig=entry_sig, bound=bound)
