"""hwlib's GPU timer checked against ``triton.testing.do_bench`` and ``torch.utils.benchmark``."""

from __future__ import annotations

from collections.abc import Callable

from hwlib.timing.timers import _check_callable, _check_counts, _require_cuda, time_cuda


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
