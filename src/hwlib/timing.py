"""Timing code honestly on a GPU or a CPU, and turning times into rates.

Rules every timer here follows:

* **warm up** first, so compilation, caching allocators and lazy initialisation
  stay out of the numbers;
* **repeat** and report the **median**, which one slow outlier cannot move;
* on a GPU, time with **CUDA events** on the stream (kernel launches return before
  the work is done, so a host clock around a launch measures almost nothing), and
  **flush the L2 cache** before each repeat by writing a buffer larger than L2, so
  that no run finds its inputs already cached by the previous one.

:func:`time_fn` picks :func:`time_cuda` or :func:`time_cpu` by device; :func:`sweep`
times a family of callables over sizes and returns a tidy table (one row per
series and size) that :class:`hwlib.plotting.Table` and
:func:`hwlib.plotting.plot_timings` take. :func:`achieved_gbps` and
:func:`achieved_tflops` turn a time into a rate; the byte and FLOP counters next
to them say exactly what they count. :func:`compare_timers` checks this module's
GPU timer against ``triton.testing.do_bench`` and ``torch.utils.benchmark``.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import torch

__all__ = [
    "Timing",
    "time_cpu",
    "time_cuda",
    "time_fn",
    "sweep",
    "crossover",
    "achieved_gbps",
    "achieved_tflops",
    "elementwise_bytes",
    "matmul_bytes",
    "matmul_flops",
    "compare_timers",
]

_NO_CUDA_FIX = (
    "torch.cuda.is_available() is False: run on a machine with an NVIDIA GPU and a CUDA build of "
    "PyTorch, or time on the CPU with hwlib.timing.time_cpu / time_fn(fn, device='cpu')"
)


@dataclass(frozen=True)
class Timing:
    """The result of timing one callable: every repeat's time and their median, in milliseconds."""

    times_ms: tuple[float, ...]
    device: str
    warmup: int
    l2_flushed: bool = False

    @property
    def median_ms(self) -> float:
        """Median of the repeats (ms)."""
        return statistics.median(self.times_ms)

    @property
    def min_ms(self) -> float:
        """Fastest repeat (ms)."""
        return min(self.times_ms)

    @property
    def max_ms(self) -> float:
        """Slowest repeat (ms)."""
        return max(self.times_ms)

    @property
    def repeats(self) -> int:
        """Number of timed repeats."""
        return len(self.times_ms)

    @property
    def spread(self) -> float:
        """How noisy the repeats were, as the interquartile range over the median (0 for one repeat)."""
        if len(self.times_ms) < 2:
            return 0.0
        q1, _, q3 = statistics.quantiles(self.times_ms, n=4, method="inclusive")
        return (q3 - q1) / self.median_ms if self.median_ms > 0 else 0.0

    def as_row(self) -> dict:
        """The summary as one table row."""
        return {
            "device": self.device,
            "median_ms": self.median_ms,
            "min_ms": self.min_ms,
            "repeats": self.repeats,
        }


def _check_counts(warmup: int, repeats: int) -> None:
    if not isinstance(warmup, int) or isinstance(warmup, bool) or warmup < 0:
        raise ValueError(f"warmup must be an int >= 0, got {warmup!r}")
    if not isinstance(repeats, int) or isinstance(repeats, bool) or repeats < 1:
        raise ValueError(f"repeats must be an int >= 1, got {repeats!r}")


def _check_callable(fn: object) -> None:
    if not callable(fn):
        raise TypeError(f"fn must be a callable taking no arguments, got {type(fn).__name__}")


def time_cpu(
    fn: Callable[[], object],
    *,
    warmup: int = 2,
    repeats: int = 10,
    clock: Callable[[], float] = time.perf_counter,
    synchronize: Callable[[], None] | None = None,
) -> Timing:
    """Time ``fn()`` on the host clock: ``warmup`` untimed calls, then ``repeats`` timed ones.

    Parameters
    ----------
    fn:
        The work, as a callable with no arguments (wrap arguments in a lambda).
    warmup, repeats:
        Untimed and timed calls.
    clock:
        Seconds as a float; ``time.perf_counter`` by default (injectable for tests).
    synchronize:
        Called before each clock read, for devices that run asynchronously without
        CUDA events (``torch.mps.synchronize`` on Apple GPUs).

    Returns
    -------
    Timing
        Per-repeat times (ms) and their median. No cache flush: on a CPU the
        caches are far smaller than typical working sets and flushing them would
        mostly time the flush.
    """
    _check_callable(fn)
    _check_counts(warmup, repeats)
    sync = synchronize or (lambda: None)
    for _ in range(warmup):
        fn()
    sync()
    times = []
    for _ in range(repeats):
        start = clock()
        fn()
        sync()
        times.append((clock() - start) * 1e3)
    return Timing(tuple(times), device="cpu", warmup=warmup)


def _require_cuda(what: str) -> None:
    if not torch.cuda.is_available():
        raise RuntimeError(f"{what} needs a CUDA GPU: {_NO_CUDA_FIX}")


_FLUSH_BUFFERS: dict[tuple[int, int], torch.Tensor] = {}


def _l2_flush_buffer(device: torch.device, nbytes: int | None) -> torch.Tensor:
    """A byte buffer of twice the device's L2 size (at least 256 MiB), kept for reuse."""
    if nbytes is None:
        l2 = int(getattr(torch.cuda.get_device_properties(device), "L2_cache_size", 0) or 0)
        nbytes = max(2 * l2, 256 * 2**20)
    key = (device.index if device.index is not None else torch.cuda.current_device(), nbytes)
    if key not in _FLUSH_BUFFERS:
        _FLUSH_BUFFERS[key] = torch.empty(nbytes, dtype=torch.uint8, device=device)
    return _FLUSH_BUFFERS[key]


def time_cuda(
    fn: Callable[[], object],
    *,
    warmup: int = 5,
    repeats: int = 20,
    flush_l2: bool = True,
    flush_bytes: int | None = None,
    device: torch.device | str | None = None,
) -> Timing:
    """Time ``fn()`` on the current CUDA stream with CUDA events.

    ``warmup`` untimed calls run first. Then, for each of ``repeats`` runs: the L2
    cache is flushed by writing (``zero_()``) a buffer of ``flush_bytes`` bytes
    (default: twice the device's L2 size, at least 256 MiB, as
    ``triton.testing.do_bench`` uses), a start event is recorded, ``fn()`` is
    launched and an end event recorded. The device is synchronised once at the
    end and each pair of events gives one time, so the flush itself is never
    timed. The flush also keeps the GPU busy (tens of microseconds) while the host
    queues the start event and ``fn``'s launches, so that the host's launch
    overhead does not show up as idle time between the events; work shorter than
    that overhead is better timed in a loop inside ``fn`` or with a CUDA graph.

    Parameters
    ----------
    fn:
        The work: a callable with no arguments that launches GPU work on the current stream.
    warmup, repeats:
        Untimed and timed calls.
    flush_l2:
        Flush L2 before each timed call (turn off to time the warm-cache case).
    flush_bytes:
        Size of the flush buffer in bytes.
    device:
        The CUDA device (default: the current one).

    Raises
    ------
    RuntimeError
        When no CUDA device is available (the message says what to do instead).
    """
    _check_callable(fn)
    _check_counts(warmup, repeats)
    _require_cuda("time_cuda")
    dev = torch.device(device) if device is not None else torch.device("cuda", torch.cuda.current_device())
    if dev.type != "cuda":
        raise ValueError(f"time_cuda times CUDA work; got device {dev}: use time_cpu for the CPU")
    if flush_bytes is not None and (not isinstance(flush_bytes, int) or flush_bytes < 1):
        raise ValueError(f"flush_bytes must be a positive int or None, got {flush_bytes!r}")
    with torch.cuda.device(dev):
        buffer = _l2_flush_buffer(dev, flush_bytes) if flush_l2 else None
        for _ in range(warmup):
            fn()
        torch.cuda.synchronize(dev)
        starts = [torch.cuda.Event(enable_timing=True) for _ in range(repeats)]
        ends = [torch.cuda.Event(enable_timing=True) for _ in range(repeats)]
        for start, end in zip(starts, ends):
            if buffer is not None:
                buffer.zero_()
            start.record()
            fn()
            end.record()
        torch.cuda.synchronize(dev)
        times = tuple(float(s.elapsed_time(e)) for s, e in zip(starts, ends))
    return Timing(times, device="cuda", warmup=warmup, l2_flushed=flush_l2)


def _resolve_device(device: torch.device | str | None) -> torch.device:
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        return torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"device {device!r} is not a device: pass 'cpu', 'cuda' or a torch.device") from err


def time_fn(
    fn: Callable[[], object],
    device: torch.device | str | None = None,
    *,
    warmup: int | None = None,
    repeats: int | None = None,
    **kwargs,
) -> Timing:
    """Time ``fn()`` with the right timer for ``device``.

    ``device`` is where ``fn`` does its work: ``"cuda"`` uses :func:`time_cuda`
    (events, L2 flush), ``"mps"`` uses :func:`time_cpu` with a device
    synchronisation, anything else :func:`time_cpu`. ``None`` means CUDA when it
    is available, else the CPU. ``warmup``/``repeats`` default to each timer's own;
    other keyword arguments go to the chosen timer.
    """
    dev = _resolve_device(device)
    counts = {k: v for k, v in (("warmup", warmup), ("repeats", repeats)) if v is not None}
    if dev.type == "cuda":
        return time_cuda(fn, device=dev, **counts, **kwargs)
    if dev.type == "mps":
        kwargs.setdefault("synchronize", torch.mps.synchronize)
    return time_cpu(fn, **counts, **kwargs)


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


# --------------------------------------------------------------------------- rates


def achieved_gbps(nbytes: float, ms: float) -> float:
    """Bandwidth in GB/s (10^9 bytes per second) for ``nbytes`` moved in ``ms`` milliseconds.

    Which bytes count is the caller's choice: pass the bytes the algorithm must
    move at least (e.g. :func:`elementwise_bytes`), not what the caches saw.
    """
    if nbytes < 0:
        raise ValueError(f"nbytes must be >= 0, got {nbytes!r}")
    if not ms > 0:
        raise ValueError(f"ms must be > 0, got {ms!r}")
    return nbytes / (ms * 1e-3) / 1e9


def achieved_tflops(flops: float, ms: float) -> float:
    """Arithmetic rate in TFLOP/s (10^12 floating-point operations per second)."""
    if flops < 0:
        raise ValueError(f"flops must be >= 0, got {flops!r}")
    if not ms > 0:
        raise ValueError(f"ms must be > 0, got {ms!r}")
    return flops / (ms * 1e-3) / 1e12


def elementwise_bytes(n: int, itemsize: int, reads: int = 1, writes: int = 1) -> int:
    """Bytes an element-wise op over ``n`` elements must move: each input read once, each output written once.

    ``y = 2 * x`` (and ``x.clone()``) has ``reads=1, writes=1``: ``2 * n * itemsize``.
    """
    for name, v in (("n", n), ("itemsize", itemsize), ("reads", reads), ("writes", writes)):
        if not isinstance(v, int) or v < 0:
            raise ValueError(f"{name} must be an int >= 0, got {v!r}")
    return n * itemsize * (reads + writes)


def matmul_flops(m: int, n: int, k: int) -> int:
    """Floating-point operations of an ``(M, K) @ (K, N)`` product: ``2*M*N*K`` (multiply and add)."""
    for name, v in (("m", m), ("n", n), ("k", k)):
        if not isinstance(v, int) or v < 0:
            raise ValueError(f"{name} must be an int >= 0, got {v!r}")
    return 2 * m * n * k


def matmul_bytes(m: int, n: int, k: int, itemsize: int, out_itemsize: int | None = None) -> int:
    """The fewest bytes an ``(M, K) @ (K, N)`` product moves: A and B read once, C written once.

    ``(M*K + K*N) * itemsize + M*N * out_itemsize`` (``out_itemsize`` defaults to
    ``itemsize``). Real kernels re-read tiles; see
    :func:`hwlib.kernels.matmul_global_loads` for how many.
    """
    out_itemsize = itemsize if out_itemsize is None else out_itemsize
    for name, v in (("m", m), ("n", n), ("k", k), ("itemsize", itemsize), ("out_itemsize", out_itemsize)):
        if not isinstance(v, int) or v < 0:
            raise ValueError(f"{name} must be an int >= 0, got {v!r}")
    return (m * k + k * n) * itemsize + m * n * out_itemsize


# --------------------------------------------------------------------------- cross-check


def compare_timers(
    fn: Callable[[], object],
    *,
    warmup: int = 10,
    repeats: int = 50,
    bench_warmup_ms: int = 25,
    bench_rep_ms: int = 100,
    min_run_time_s: float = 0.2,
) -> list[dict]:
    """Time one CUDA callable three ways and compare each median with hwlib's.

    * ``hwlib.time_cuda``: :func:`time_cuda` (events, L2 flush), ``warmup`` and ``repeats`` calls;
    * ``triton.do_bench``: ``triton.testing.do_bench(fn, warmup=bench_warmup_ms,
      rep=bench_rep_ms, return_mode="median")`` (events, L2 flush; its arguments are
      milliseconds, not counts);
    * ``torch.benchmark``: ``torch.utils.benchmark.Timer(...).blocked_autorange(min_run_time=
      min_run_time_s)``: host clock around blocks of back-to-back calls with a
      synchronisation, *no* L2 flush, so for short kernels it can disagree
      (warm cache, launch overhead included).

    Returns
    -------
    list of dict
        One row per timer: ``timer``, ``median_ms`` and ``vs hwlib`` (that timer's
        median over hwlib's).

    Raises
    ------
    RuntimeError
        Without a CUDA GPU (all three would time nothing meaningful on a CPU).
    """
    _check_callable(fn)
    _check_counts(warmup, repeats)
    _require_cuda("compare_timers")
    import triton.testing
    from torch.utils import benchmark

    ours = time_cuda(fn, warmup=warmup, repeats=repeats).median_ms
    theirs = float(
        triton.testing.do_bench(fn, warmup=bench_warmup_ms, rep=bench_rep_ms, return_mode="median")
    )
    timer = benchmark.Timer(stmt="fn()", globals={"fn": fn})
    torch_ms = float(timer.blocked_autorange(min_run_time=min_run_time_s).median) * 1e3
    return [
        {"timer": "hwlib.time_cuda", "median_ms": ours, "vs hwlib": 1.0},
        {"timer": "triton.do_bench", "median_ms": theirs, "vs hwlib": theirs / ours},
        {"timer": "torch.benchmark", "median_ms": torch_ms, "vs hwlib": torch_ms / ours},
    ]
