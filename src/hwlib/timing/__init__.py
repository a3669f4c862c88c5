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

**Modules.** :mod:`hwlib.timing.timers` (the timers and :class:`Timing`), :mod:`hwlib.timing.sweeps`
(:func:`sweep`, :func:`crossover`), :mod:`hwlib.timing.rates` (rates, bytes and FLOPs) and
:mod:`hwlib.timing.crosscheck` (:func:`compare_timers`). Every name is importable from
``hwlib.timing``; a test that monkeypatches one patches the module that looks it up.
"""

# Every name the single module hwlib.timing defined, from its new home (private helpers too: the
# tests call some of them as hwlib.timing._name; its module-level caches stay in their module).
from hwlib.timing.crosscheck import compare_timers
from hwlib.timing.rates import (
    achieved_gbps,
    achieved_tflops,
    elementwise_bytes,
    matmul_bytes,
    matmul_flops,
)
from hwlib.timing.sweeps import (
    crossover,
    sweep,
)
from hwlib.timing.timers import (  # noqa: F401
    _NO_CUDA_FIX,
    Timing,
    _check_callable,
    _check_counts,
    _l2_flush_buffer,
    _require_cuda,
    _resolve_device,
    time_cpu,
    time_cuda,
    time_fn,
)

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
