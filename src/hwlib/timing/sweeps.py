"""Timing over sizes: :func:`~hwlib.timing.sweep` makes the table, :func:`~hwlib.timing.crossover` reads it.

A sweep times a family of callables at each size and returns one row per series and size (with GB/s
and TFLOP/s when asked); the crossover is the size at which two series trade places.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import torch

from hwlib.timing.rates import achieved_gbps, achieved_tflops
from hwlib.timing.timers import Timing, time_fn


def sweep(
    make_fn: Callable[[int], Callable[[], object]] | Mapping[str, Callable[[int], Callable[[], object]]],
    sizes: Sequence[int],
    *,
    device: torch.device | str | None = None,
    bytes_fn: Callable[[int], float] | None = None,
    flops_fn: Callable[[int], float] | None = None,
    timer: Callable[[Callable[[], object]], Timing] | None = None,
    series: str = "",
    **timer_kwargs,
) -> list[dict]:
    """Time a family of callables over sizes; return one row per (series, size).

    Parameters
    ----------
    make_fn:
        ``make_fn(n)`` prepares the inputs of size ``n`` (untimed) and returns the
        callable to time. A mapping ``{series name: make_fn}`` sweeps several
        series over the same sizes.
    sizes:
        The sizes, positive ints, in the order to run them.
    device:
        Passed to :func:`time_fn` to pick the timer.
    bytes_fn, flops_fn:
        Bytes moved and floating-point operations done at size ``n``; when given,
        the rows get ``GB/s`` and ``TFLOP/s`` columns (see :func:`achieved_gbps`).
    timer:
        Replaces :func:`time_fn` (a callable taking the callable, returning a
        :class:`Timing`); for tests, or a custom timer.
    series:
        The series name when ``make_fn`` is a single callable.
    **timer_kwargs:
        Passed to :func:`time_fn` (``warmup``, ``repeats``, ...).

    Returns
    -------
    list of dict
        Rows with the same keys in the same order, ``series``, ``size``,
        ``device``, ``median_ms``, ``min_ms``, ``repeats`` (then ``GB/s`` and
        ``TFLOP/s`` when asked for): ready for :class:`hwlib.plotting.Table`.
    """
    sizes = list(sizes)
    if not sizes:
        raise ValueError("sizes is empty: give at least one size")
    for n in sizes:
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ValueError(f"sizes must be positive ints, got {n!r}")
    makers = dict(make_fn) if isinstance(make_fn, Mapping) else {series: make_fn}
    if not makers:
        raise ValueError("make_fn is an empty mapping: give at least one series")
    for name, maker in makers.items():
        if not callable(maker):
            raise TypeError(f"series {name!r}: make_fn must be callable as make_fn(size), got {maker!r}")
    if timer is not None and timer_kwargs:
        raise ValueError(
            f"keyword arguments {sorted(timer_kwargs)} go to time_fn: drop them or the custom timer"
        )
    time_one = timer if timer is not None else (lambda fn: time_fn(fn, device, **timer_kwargs))
    rows = []
    for name, maker in makers.items():
        for n in sizes:
            timing = time_one(maker(n))
            if not isinstance(timing, Timing):
                raise TypeError(f"the timer must return a hwlib.timing.Timing, got {type(timing).__name__}")
            row = {"series": name, "size": n, **timing.as_row()}
            if bytes_fn is not None:
                row["GB/s"] = achieved_gbps(bytes_fn(n), timing.median_ms)
            if flops_fn is not None:
                row["TFLOP/s"] = achieved_tflops(flops_fn(n), timing.median_ms)
            rows.append(row)
    return rows


def crossover(
    rows: Sequence[Mapping], a: str, b: str, *, x: str = "size", y: str = "median_ms", key: str = "series"
) -> float | None:
    """The size at which series ``a`` and ``b`` of a sweep table trade places.

    Both series are compared at the sizes they share. The answer is the *last*
    sign change of ``y_a - y_b`` along ``x`` (so above it the order no longer
    changes within the sweep), placed by linear interpolation of ``log y`` against
    ``log x`` between the two bracketing sizes. ``None`` when the order never
    changes; the smallest shared size when the two are equal there.
    """
    ya = {r[x]: float(r[y]) for r in rows if r[key] == a}
    yb = {r[x]: float(r[y]) for r in rows if r[key] == b}
    if not ya or not yb:
        have = sorted({str(r[key]) for r in rows})
        raise ValueError(f"series {a!r} or {b!r} missing from the table; it has {have}")
    shared = sorted(set(ya) & set(yb))
    if not shared:
        raise ValueError(f"series {a!r} and {b!r} share no {x!r} values: sweep them over the same sizes")
    if any(ya[s] <= 0 or yb[s] <= 0 or s <= 0 for s in shared):
        raise ValueError("crossover works on a log scale: sizes and times must be positive")
    diff = [math.log(ya[s]) - math.log(yb[s]) for s in shared]
    found = float(shared[0]) if diff[0] == 0 else None
    for i in range(1, len(shared)):
        d0, d1 = diff[i - 1], diff[i]
        if d1 == 0 and d0 != 0:  # equal at a sampled size
            found = float(shared[i])
        elif d0 * d1 < 0:  # opposite signs: interpolate log y against log x
            lx0, lx1 = math.log(shared[i - 1]), math.log(shared[i])
            found = math.exp(lx0 + d0 / (d0 - d1) * (lx1 - lx0))
    return found
