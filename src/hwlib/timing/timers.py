"""The timers: :func:`~hwlib.timing.time_cpu`, :func:`~hwlib.timing.time_cuda`, :func:`~hwlib.timing.time_fn`.

Each warms up, repeats and returns a :class:`~hwlib.timing.Timing` (every repeat's time and
their median); the CUDA timer records events on the stream and flushes the L2 cache before each
repeat.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

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
