import math
import time

import pytest
import torch

from hwlib.plotting import Table
from hwlib.timing import (
    Timing,
    achieved_gbps,
    achieved_tflops,
    compare_timers,
    crossover,
    elementwise_bytes,
    matmul_bytes,
    matmul_flops,
    sweep,
    time_cpu,
    time_cuda,
    time_fn,
)

no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error raised without CUDA")
cuda_only = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


class FakeClock:
    """A clock that returns the given instants in order (seconds)."""

    def __init__(self, instants):
        self.instants = list(instants)

    def __call__(self):
        return self.instants.pop(0)


def test_time_cpu_warms_up_then_takes_the_median_of_the_repeats():
    calls = []
    # three repeats lasting 5 ms, 1 ms and 3 ms: start/stop instants in seconds
    clock = FakeClock([0.0, 0.005, 1.0, 1.001, 2.0, 2.003])
    t = time_cpu(lambda: calls.append(1), warmup=4, repeats=3, clock=clock)
    assert len(calls) == 7  # 4 warm-up calls and 3 timed ones
    assert t.times_ms == pytest.approx((5.0, 1.0, 3.0))
    assert (
        t.median_ms == pytest.approx(3.0)
        and t.min_ms == pytest.approx(1.0)
        and t.max_ms == pytest.approx(5.0)
    )
    assert t.repeats == 3 and t.warmup == 4 and t.device == "cpu" and not t.l2_flushed
    assert clock.instants == []  # exactly two clock reads per repeat, none during warm-up


def test_time_cpu_calls_the_synchronize_hook_before_each_clock_read():
    events = []
    clock = FakeClock([0.0, 0.002, 0.0, 0.004])
    time_cpu(
        lambda: events.append("fn"),
        warmup=1,
        repeats=2,
        clock=clock,
        synchronize=lambda: events.append("sync"),
    )
    assert events == ["fn", "sync", "fn", "sync", "fn", "sync"]


def test_timing_summary_statistics():
    t = Timing((4.0, 1.0, 2.0, 3.0, 100.0), device="cpu", warmup=0)
    assert t.median_ms == 3.0  # one slow outlier does not move the median
    assert t.spread == pytest.approx((4.0 - 2.0) / 3.0)
    assert Timing((2.0,), device="cpu", warmup=0).spread == 0.0
    assert list(t.as_row()) == ["device", "median_ms", "min_ms", "repeats"]


def test_time_cpu_on_a_real_callable():
    # a callable that sleeps 2 ms: the default clock must see at least that much, and the
    # repeats must not include the warm-up (5 repeats of a 2 ms sleep: far less than 1 s each)
    calls = []
    t = time_cpu(lambda: calls.append(1) or time.sleep(0.002), warmup=1, repeats=5)
    assert len(calls) == 6 and t.repeats == 5
    assert all(2.0 <= x < 1000.0 for x in t.times_ms)
    assert (
        sorted(t.times_ms)[2] == t.median_ms and min(t.times_ms) == t.min_ms and max(t.times_ms) == t.max_ms
    )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"warmup": -1}, "warmup"),
        ({"repeats": 0}, "repeats"),
        ({"repeats": 2.5}, "repeats"),
        ({"warmup": True}, "warmup"),
    ],
)
def test_time_cpu_rejects_bad_counts(kwargs, match):
    with pytest.raises(ValueError, match=match):
        time_cpu(lambda: None, **kwargs)


def test_timers_reject_non_callables():
    with pytest.raises(TypeError, match="callable"):
        time_cpu(42)
    with pytest.raises(TypeError, match="callable"):
        time_cuda("not a function")


@no_cuda
def test_cuda_only_paths_name_the_fix_without_cuda():
    with pytest.raises(RuntimeError, match=r"time_cuda needs a CUDA GPU.*time_cpu"):
        time_cuda(lambda: None)
    with pytest.raises(RuntimeError, match=r"compare_timers needs a CUDA GPU.*NVIDIA GPU"):
        compare_timers(lambda: None)
    with pytest.raises(RuntimeError, match="CUDA GPU"):
        time_fn(lambda: None, "cuda")


def test_time_fn_picks_the_timer_by_device():
    t = time_fn(lambda: None, "cpu", warmup=0, repeats=2)
    assert t.device == "cpu" and t.repeats == 2
    t = time_fn(lambda: None, torch.device("cpu"), repeats=1, clock=FakeClock([0.0, 0.5]))
    assert t.times_ms == (500.0,)
    if not torch.cuda.is_available():
        assert time_fn(lambda: None, repeats=1).device == "cpu"  # None: CUDA if present, else the CPU
    with pytest.raises(ValueError, match="not a device"):
        time_fn(lambda: None, "gpu0")


def fake_timer(fn):
    """Runs fn once and reports the size it returns as that many milliseconds."""
    return Timing((float(fn()),), device="fake", warmup=0)


def test_sweep_returns_a_tidy_table_with_rates():
    rows = sweep(
        {"square": lambda n: lambda: n * n, "linear": lambda n: lambda: n},
        [10, 20],
        timer=fake_timer,
        bytes_fn=lambda n: 1e6 * n,
        flops_fn=lambda n: 1e9 * n,
    )
    assert [(r["series"], r["size"], r["median_ms"]) for r in rows] == [
        ("square", 10, 100.0),
        ("square", 20, 400.0),
        ("linear", 10, 10.0),
        ("linear", 20, 20.0),
    ]
    assert list(rows[0]) == ["series", "size", "device", "median_ms", "min_ms", "repeats", "GB/s", "TFLOP/s"]
    # 1e7 bytes in 100 ms is 0.1 GB/s; 1e10 FLOP in 100 ms is 0.1 TFLOP/s
    assert rows[0]["GB/s"] == pytest.approx(0.1) and rows[0]["TFLOP/s"] == pytest.approx(0.1)
    assert Table(rows)["size"] == [10, 20, 10, 20]


def test_sweep_on_the_cpu_with_the_default_timer():
    rows = sweep(lambda n: lambda: torch.ones(n).sum(), [8, 16], device="cpu", series="ones", repeats=2)
    assert [r["series"] for r in rows] == ["ones", "ones"] and {r["device"] for r in rows} == {"cpu"}
    assert all(r["repeats"] == 2 for r in rows)


def test_sweep_rejects_bad_arguments():
    with pytest.raises(ValueError, match="empty"):
        sweep(lambda n: lambda: None, [], timer=fake_timer)
    with pytest.raises(ValueError, match="positive ints"):
        sweep(lambda n: lambda: None, [0], timer=fake_timer)
    with pytest.raises(TypeError, match="callable"):
        sweep({"a": 3}, [1], timer=fake_timer)
    with pytest.raises(ValueError, match="custom timer"):
        sweep(lambda n: lambda: n, [1], timer=fake_timer, repeats=3)
    with pytest.raises(TypeError, match="Timing"):
        sweep(lambda n: lambda: n, [1], timer=lambda fn: 1.0)


def power_law_rows():
    # cpu: 1e-6 * n^3 ms; gpu: flat 1 ms; they cross where n^3 = 1e6, n = 100 (exact in log-log)
    sizes = [10, 50, 200, 1000]
    return [{"series": "cpu", "size": n, "median_ms": 1e-6 * n**3} for n in sizes] + [
        {"series": "gpu", "size": n, "median_ms": 1.0} for n in sizes
    ]


def test_crossover_interpolates_in_log_log():
    assert crossover(power_law_rows(), "cpu", "gpu") == pytest.approx(100.0)
    assert crossover(power_law_rows(), "gpu", "cpu") == pytest.approx(100.0)


def test_crossover_edge_cases():
    never = [
        {"series": s, "size": n, "median_ms": v * n} for s, v in (("a", 1.0), ("b", 2.0)) for n in (1, 10)
    ]
    assert crossover(never, "a", "b") is None
    touch = [{"series": "a", "size": n, "median_ms": 1.0} for n in (1, 10, 100)] + [
        {"series": "b", "size": n, "median_ms": v} for n, v in ((1, 2.0), (10, 1.0), (100, 0.5))
    ]
    assert crossover(touch, "a", "b") == 10.0
    # several crossings: the last one is reported
    zigzag = [{"series": "a", "size": n, "median_ms": 1.0} for n in (1, 10, 100, 1000)] + [
        {"series": "b", "size": n, "median_ms": v} for n, v in ((1, 2.0), (10, 0.5), (100, 2.0), (1000, 0.5))
    ]
    assert 100 < crossover(zigzag, "a", "b") < 1000
    with pytest.raises(ValueError, match="missing"):
        crossover(power_law_rows(), "cpu", "tpu")
    with pytest.raises(ValueError, match="share no"):
        crossover(
            [{"series": "a", "size": 1, "median_ms": 1}, {"series": "b", "size": 2, "median_ms": 1}], "a", "b"
        )
    with pytest.raises(ValueError, match="positive"):
        crossover(
            [{"series": "a", "size": 1, "median_ms": 0}, {"series": "b", "size": 1, "median_ms": 1}], "a", "b"
        )


def test_rates_and_counters():
    assert achieved_gbps(2e9, 1000.0) == pytest.approx(2.0)
    assert achieved_tflops(3e12, 500.0) == pytest.approx(6.0)
    assert elementwise_bytes(2**28, 4) == 2 * 4 * 2**28  # each element read once and written once
    assert elementwise_bytes(10, 2, reads=2, writes=1) == 60
    assert matmul_flops(2, 3, 4) == 48
    assert matmul_bytes(2, 3, 4, 2) == (8 + 12) * 2 + 6 * 2
    assert matmul_bytes(2, 3, 4, 2, out_itemsize=4) == (8 + 12) * 2 + 6 * 4
    with pytest.raises(ValueError, match="ms must be > 0"):
        achieved_gbps(1.0, 0.0)
    with pytest.raises(ValueError, match="ms must be > 0"):
        achieved_tflops(1.0, math.nan)
    with pytest.raises(ValueError, match="nbytes"):
        achieved_gbps(-1, 1.0)
    with pytest.raises(ValueError, match="itemsize"):
        elementwise_bytes(10, -4)
    with pytest.raises(ValueError, match="k must"):
        matmul_flops(1, 2, 2.5)


@cuda_only
def test_time_cuda_structure_on_a_gpu():
    x = torch.ones(1024, device="cuda")
    t = time_cuda(lambda: x.mul_(1.0), warmup=1, repeats=3)
    assert t.device == "cuda" and t.repeats == 3 and t.l2_flushed and all(v > 0 for v in t.times_ms)
    assert time_fn(lambda: x.mul_(1.0), repeats=2).device == "cuda"  # None picks CUDA when present
    rows = compare_timers(lambda: x.mul_(1.0), warmup=1, repeats=3, bench_rep_ms=5, min_run_time_s=0.01)
    assert [r["timer"] for r in rows] == ["hwlib.time_cuda", "triton.do_bench", "torch.benchmark"]
    assert rows[0]["vs hwlib"] == 1.0 and all(r["median_ms"] > 0 for r in rows)


# --------------------------------------------------------------------------- exact contracts


@pytest.mark.parametrize(
    "fn, names",
    [
        (elementwise_bytes, ("n", "itemsize", "reads", "writes")),
        (matmul_flops, ("m", "n", "k")),
        (matmul_bytes, ("m", "n", "k", "itemsize", "out_itemsize")),
    ],
)
def test_counters_accept_zero_and_name_the_bad_argument(fn, names):
    good = dict.fromkeys(names, 2)
    for name in names:
        assert fn(**{**good, name: 0}) >= 0  # zero is a valid count
        for bad in (-1, 2.5):
            with pytest.raises(ValueError, match=rf"^{name} must be an int >= 0, got {bad}$"):
                fn(**{**good, name: bad})
    assert elementwise_bytes(0, 4) == 0 and matmul_flops(0, 5, 5) == 0
    assert matmul_bytes(1, 1, 1, 2, out_itemsize=0) == 4


def test_rates_are_exact_and_accept_zero_work():
    assert (
        achieved_gbps(1e9, 1000.0) == 1.0 and achieved_gbps(0, 1.0) == 0.0 and achieved_gbps(0.5, 1.0) == 5e-7
    )
    assert achieved_tflops(1e12, 1000.0) == 1.0 and achieved_tflops(0, 1.0) == 0.0
    assert achieved_tflops(0.5, 1.0) == 5e-10
    with pytest.raises(ValueError, match=r"^flops must be >= 0, got -1$"):
        achieved_tflops(-1, 1.0)
    with pytest.raises(ValueError, match=r"^nbytes must be >= 0, got -1$"):
        achieved_gbps(-1, 1.0)
    for rate in (achieved_gbps, achieved_tflops):
        for ms in (0.0, -1.0):
            with pytest.raises(ValueError, match=rf"^ms must be > 0, got {ms}$"):
                rate(1.0, ms)


def test_time_cpu_default_counts():
    calls = []
    t = time_cpu(lambda: calls.append(1), clock=FakeClock([0.0, 0.001] * 10))
    assert len(calls) == 2 + 10 and t.repeats == 10 and t.warmup == 2


def test_callable_message_names_the_type():
    with pytest.raises(TypeError, match=r"^fn must be a callable taking no arguments, got int$"):
        time_cpu(42)


def test_sweep_contracts():
    rows = sweep(lambda n: lambda: n, [3], timer=fake_timer)
    assert rows[0]["series"] == ""  # a single callable's series is unnamed unless given
    with pytest.raises(ValueError, match=r"^sizes is empty: give at least one size$"):
        sweep(lambda n: lambda: n, [], timer=fake_timer)
    for bad in (2.5, True, 0):
        with pytest.raises(ValueError, match=rf"^sizes must be positive ints, got {bad!r}$"):
            sweep(lambda n: lambda: n, [bad], timer=fake_timer)
    with pytest.raises(ValueError, match=r"^make_fn is an empty mapping: give at least one series$"):
        sweep({}, [1], timer=fake_timer)
    with pytest.raises(TypeError, match=r"^the timer must return a hwlib.timing.Timing, got float$"):
        sweep(lambda n: lambda: n, [1], timer=lambda fn: 1.0)


def test_crossover_at_the_first_size_and_exact_ties():
    # equal at the first size, then apart for good: the first size
    rows = [{"series": "a", "size": n, "median_ms": 1.0} for n in (1, 10, 100)] + [
        {"series": "b", "size": n, "median_ms": v} for n, v in ((1, 1.0), (10, 2.0), (100, 3.0))
    ]
    assert crossover(rows, "a", "b") == 1.0
    # identical series: the smallest shared size, with no division by a zero difference
    same = [{"series": s, "size": n, "median_ms": 2.0} for s in ("a", "b") for n in (1, 10)]
    assert crossover(same, "a", "b") == 1.0
    # a ratio of exactly e (log difference exactly 1) before a tie is still a change of order
    tie = [{"series": "a", "size": n, "median_ms": v} for n, v in ((1, math.e), (10, 1.0))] + [
        {"series": "b", "size": n, "median_ms": 1.0} for n in (1, 10)
    ]
    assert crossover(tie, "a", "b") == 10.0


def test_crossover_uses_the_ratio_of_the_two_series():
    # cpu 2e-6 n^3 against a flat 2 ms: they cross where n^3 = 1e6, n = 100, as before
    rows = [{"series": "cpu", "size": n, "median_ms": 2e-6 * n**3} for n in (10, 50, 200, 1000)] + [
        {"series": "gpu", "size": n, "median_ms": 2.0} for n in (10, 50, 200, 1000)
    ]
    assert crossover(rows, "cpu", "gpu") == pytest.approx(100.0, rel=1e-12)


def test_crossover_messages():
    with pytest.raises(
        ValueError, match=r"^series 'cpu' or 'tpu' missing from the table; it has \['cpu', 'gpu'\]$"
    ):
        crossover(power_law_rows(), "cpu", "tpu")
    positive = r"^crossover works on a log scale: sizes and times must be positive$"
    for a, b, size in ((1.0, 0.0, 1), (0.0, 1.0, 1), (1.0, 1.0, 0), (1.0, -1.0, 1)):
        rows = [{"series": "a", "size": size, "median_ms": a}, {"series": "b", "size": size, "median_ms": b}]
        with pytest.raises(ValueError, match=positive):
            crossover(rows, "a", "b")
