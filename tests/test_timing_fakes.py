"""hwlib.timing's GPU paths, exercised on any machine with fakes for CUDA.

``time_cuda`` and ``compare_timers`` need CUDA, so on a CPU nothing would check their order of
operations. Here ``torch.cuda.Event``, ``torch.cuda.synchronize``, the device context and the L2
flush buffer are replaced by fakes that write every call into one log, and a fake *device
timeline*: work is queued on the stream and only "runs" when the device is synchronised. An event's
elapsed time can be read only once both events have run (as with real CUDA, where reading an event
not yet reached fails or waits), so a timer that drops or moves a synchronisation fails here.
"""

from __future__ import annotations

import sys
import types

import pytest
import torch
import torch.utils.benchmark

from hwlib import timing
from hwlib.timing import compare_timers, time_cuda, time_fn


class FakeCuda:
    """A single CUDA stream: ops are queued, ``synchronize`` runs them and advances the clock."""

    def __init__(self, monkeypatch, durations=None, flush_ms=0.5):
        self.log: list = []
        self.queue: list = []
        self.clock = 0.0
        self.durations = list(durations or [])
        self.flush_ms = flush_ms
        self.sync_args: list = []
        fake = self

        class Event:
            def __init__(self, enable_timing=False):
                self.enable_timing = enable_timing
                self.when = None  # device time when the event ran; None until then
                self.recorded = False

            def record(self, stream=None):
                assert stream is None, "events go on the current stream"
                fake.log.append("record")
                self.recorded = True
                fake.queue.append(("event", self))

            def elapsed_time(self, end):
                if not (self.enable_timing and end.enable_timing):
                    raise RuntimeError("Both events must be created with argument 'enable_timing=True'.")
                if self.when is None or end.when is None:
                    raise RuntimeError("elapsed_time read before the device was synchronised")
                fake.log.append("elapsed")
                return end.when - self.when

        class Buffer:
            def zero_(self):
                fake.log.append("flush")
                fake.queue.append(("work", fake.flush_ms))
                return self

        class DeviceContext:
            def __init__(self, device):
                self.device = device

            def __enter__(self):
                fake.log.append(("enter", str(self.device)))

            def __exit__(self, *exc):
                fake.log.append("exit")
                return False

        self.Event = Event
        self.buffer = Buffer()
        self.buffer_args: list = []

        def l2_flush_buffer(device, nbytes):
            self.buffer_args.append((device, nbytes))
            return self.buffer

        monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
        monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
        monkeypatch.setattr(torch.cuda, "Event", Event)
        monkeypatch.setattr(torch.cuda, "synchronize", self.synchronize)
        monkeypatch.setattr(torch.cuda, "device", DeviceContext)
        monkeypatch.setattr(timing.timers, "_l2_flush_buffer", l2_flush_buffer)

    def synchronize(self, device=None):
        self.log.append("sync")
        self.sync_args.append(device)
        for kind, item in self.queue:
            if kind == "work":
                self.clock += item
            else:
                item.when = self.clock
        self.queue.clear()

    def kernel(self):
        """A callable that launches one kernel lasting the next of ``durations`` (ms)."""

        def fn():
            self.log.append("fn")
            self.queue.append(("work", self.durations.pop(0) if self.durations else 1.0))

        return fn


def test_time_cuda_order_of_operations(monkeypatch):
    cuda = FakeCuda(monkeypatch, durations=[9.0, 9.0, 3.0, 1.0, 2.0])
    t = time_cuda(cuda.kernel(), warmup=2, repeats=3)
    timed = ["flush", "record", "fn", "record"]
    assert cuda.log == [
        ("enter", "cuda:0"),
        "fn",
        "fn",  # warm-up
        "sync",  # warm-up finished before the first timed repeat
        *timed,
        *timed,
        *timed,
        "sync",  # every repeat finished before any elapsed time is read
        "elapsed",
        "elapsed",
        "elapsed",
        "exit",
    ]
    # each time is its own kernel's duration: the flush is outside the events, the warm-up excluded
    assert t.times_ms == (3.0, 1.0, 2.0)
    assert t.device == "cuda" and t.warmup == 2 and t.l2_flushed and t.median_ms == 2.0
    assert cuda.sync_args == [torch.device("cuda", 0)] * 2
    assert cuda.buffer_args == [(torch.device("cuda", 0), None)]


def test_time_cuda_without_flush_and_with_flush_bytes(monkeypatch):
    cuda = FakeCuda(monkeypatch, durations=[4.0, 5.0])
    t = time_cuda(cuda.kernel(), warmup=0, repeats=2, flush_l2=False)
    assert cuda.log == [
        ("enter", "cuda:0"),
        "sync",
        *["record", "fn", "record"] * 2,
        "sync",
        "elapsed",
        "elapsed",
        "exit",
    ]
    assert t.times_ms == (4.0, 5.0) and not t.l2_flushed and cuda.buffer_args == []
    cuda = FakeCuda(monkeypatch)
    time_cuda(cuda.kernel(), warmup=0, repeats=1, flush_bytes=1024, device="cuda:1")
    assert cuda.buffer_args == [(torch.device("cuda", 1), 1024)]
    assert cuda.log[0] == ("enter", "cuda:1") and cuda.sync_args == [torch.device("cuda", 1)] * 2


def test_time_cuda_default_counts(monkeypatch):
    cuda = FakeCuda(monkeypatch)
    t = time_cuda(cuda.kernel())
    assert cuda.log.count("fn") == 5 + 20 and t.repeats == 20 and t.warmup == 5


def test_the_fake_refuses_to_read_an_event_before_synchronisation(monkeypatch):
    """The fake itself can fail: with the final synchronisation dropped, reading a time raises."""
    cuda = FakeCuda(monkeypatch, durations=[1.0, 2.0])
    calls = []
    real = cuda.synchronize

    def skip_second(device=None):
        calls.append(device)
        if len(calls) != 2:
            real(device)

    monkeypatch.setattr(torch.cuda, "synchronize", skip_second)
    with pytest.raises(RuntimeError, match="before the device was synchronised"):
        time_cuda(cuda.kernel(), warmup=1, repeats=1, flush_l2=False)


def test_time_cuda_rejects_bad_arguments(monkeypatch):
    cuda = FakeCuda(monkeypatch)
    with pytest.raises(ValueError, match="use time_cpu for the CPU"):
        time_cuda(cuda.kernel(), device="cpu")
    for bad in (0, -5, 2.5, "1MB"):
        with pytest.raises(ValueError, match="flush_bytes must be a positive int"):
            time_cuda(cuda.kernel(), flush_bytes=bad)
    with pytest.raises(ValueError, match="repeats"):
        time_cuda(cuda.kernel(), repeats=0)
    with pytest.raises(ValueError, match="warmup"):
        time_cuda(cuda.kernel(), warmup=-1)
    assert cuda.log == []  # nothing ran


def test_time_fn_sends_cuda_work_to_time_cuda(monkeypatch):
    cuda = FakeCuda(monkeypatch, durations=[7.0])
    t = time_fn(cuda.kernel(), "cuda", warmup=0, repeats=1, flush_l2=False)
    assert t.device == "cuda" and t.times_ms == (7.0,) and not t.l2_flushed
    cuda = FakeCuda(monkeypatch)
    assert time_fn(cuda.kernel(), repeats=2).device == "cuda"  # None picks CUDA when available
    assert cuda.log.count("fn") == 5 + 2  # time_cuda's own warm-up default


def test_time_fn_synchronises_mps_before_each_clock_read(monkeypatch):
    log = []
    monkeypatch.setattr(torch.mps, "synchronize", lambda: log.append("sync"))
    instants = iter([0.0, 0.25, 1.0, 1.5])

    def clock():
        log.append("clock")
        return next(instants)

    t = time_fn(lambda: log.append("fn"), "mps", warmup=1, repeats=2, clock=clock)
    assert log == ["fn", "sync", "clock", "fn", "sync", "clock", "clock", "fn", "sync", "clock"]
    assert t.times_ms == (250.0, 500.0)


# --------------------------------------------------------------------------- the flush buffer


def test_l2_flush_buffer_is_twice_l2_at_least_256_mib_and_reused(monkeypatch):
    made = []

    def empty(nbytes, dtype=None, device=None):
        made.append((nbytes, dtype, device))
        return object()

    l2 = {0: 40 * 2**20, 1: 200 * 2**20}
    monkeypatch.setattr(
        torch.cuda,
        "get_device_properties",
        lambda d: types.SimpleNamespace(L2_cache_size=l2[1 if d.index is None else d.index]),
    )
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 1)
    monkeypatch.setattr(torch, "empty", empty)
    monkeypatch.setattr(timing.timers, "_FLUSH_BUFFERS", {})
    small = timing._l2_flush_buffer(torch.device("cuda", 0), None)  # 2 * 40 MiB < 256 MiB
    assert timing._l2_flush_buffer(torch.device("cuda", 0), None) is small  # kept for reuse
    timing._l2_flush_buffer(torch.device("cuda", 1), None)  # 2 * 200 MiB
    timing._l2_flush_buffer(torch.device("cuda"), None)  # no index: the current device (1)
    timing._l2_flush_buffer(torch.device("cuda", 0), 1000)
    assert made == [
        (256 * 2**20, torch.uint8, torch.device("cuda", 0)),
        (400 * 2**20, torch.uint8, torch.device("cuda", 1)),
        (1000, torch.uint8, torch.device("cuda", 0)),
    ]
    assert sorted(timing.timers._FLUSH_BUFFERS) == [(0, 1000), (0, 256 * 2**20), (1, 400 * 2**20)]
    # a device that reports no L2 size gets the 256 MiB floor
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda d: types.SimpleNamespace())
    timing._l2_flush_buffer(torch.device("cuda", 2), None)
    assert made[-1][0] == 256 * 2**20


# --------------------------------------------------------------------------- compare_timers


def test_compare_timers_runs_three_timers_in_order(monkeypatch):
    cuda = FakeCuda(monkeypatch, durations=[9.0] * 2 + [1.0, 3.0, 2.0])
    calls = []

    def do_bench(fn, warmup, rep, return_mode):
        assert fn is kernel
        calls.append(("do_bench", warmup, rep, return_mode))
        return 3.0

    class Timer:
        def __init__(self, stmt, globals):
            calls.append(("Timer", stmt, globals["fn"] is kernel))

        def blocked_autorange(self, min_run_time):
            calls.append(("blocked_autorange", min_run_time))
            return types.SimpleNamespace(median=0.0005)  # seconds

    fake_testing = types.SimpleNamespace(do_bench=do_bench)
    import triton

    monkeypatch.setattr(triton, "testing", fake_testing, raising=False)
    monkeypatch.setitem(sys.modules, "triton.testing", fake_testing)
    monkeypatch.setattr(torch.utils.benchmark, "Timer", Timer)
    kernel = cuda.kernel()
    rows = compare_timers(kernel, warmup=2, repeats=3, bench_warmup_ms=7, bench_rep_ms=11, min_run_time_s=0.3)
    assert cuda.log.count("fn") == 5 and cuda.log[-1] == "exit"  # hwlib's timer ran, with its counts
    assert calls == [("do_bench", 7, 11, "median"), ("Timer", "fn()", True), ("blocked_autorange", 0.3)]
    # hwlib's median is 2 ms; do_bench says 3 ms; torch.benchmark 0.5 ms
    assert rows == [
        {"timer": "hwlib.time_cuda", "median_ms": 2.0, "vs hwlib": 1.0},
        {"timer": "triton.do_bench", "median_ms": 3.0, "vs hwlib": 1.5},
        {"timer": "torch.benchmark", "median_ms": 0.5, "vs hwlib": 0.25},
    ]


def test_compare_timers_defaults_and_bad_input(monkeypatch):
    cuda = FakeCuda(monkeypatch)
    seen = {}
    import triton

    fake_testing = types.SimpleNamespace(
        do_bench=lambda fn, warmup, rep, return_mode: seen.update(warmup=warmup, rep=rep) or 1.0
    )
    monkeypatch.setattr(triton, "testing", fake_testing, raising=False)
    monkeypatch.setitem(sys.modules, "triton.testing", fake_testing)

    class Timer:
        def __init__(self, stmt, globals):
            pass

        def blocked_autorange(self, min_run_time):
            seen["min_run_time"] = min_run_time
            return types.SimpleNamespace(median=0.001)

    monkeypatch.setattr(torch.utils.benchmark, "Timer", Timer)
    compare_timers(cuda.kernel())
    assert cuda.log.count("fn") == 10 + 50
    assert seen == {"warmup": 25, "rep": 100, "min_run_time": 0.2}
    with pytest.raises(TypeError, match="callable"):
        compare_timers(3)
    with pytest.raises(ValueError, match="repeats"):
        compare_timers(cuda.kernel(), repeats=0)


def test_time_fn_and_sweep_pass_the_device_on(monkeypatch):
    cuda = FakeCuda(monkeypatch)
    time_fn(cuda.kernel(), "cuda:1", warmup=0, repeats=1)
    assert cuda.log[0] == ("enter", "cuda:1")
    # with CUDA available, sweep(device="cpu") still times on the CPU
    rows = timing.sweep(lambda n: lambda: None, [1], device="cpu", repeats=1)
    assert rows[0]["device"] == "cpu"
    assert timing.sweep(lambda n: cuda.kernel(), [1], repeats=1)[0]["device"] == "cuda"


def test_time_cuda_accepts_a_one_byte_flush(monkeypatch):
    cuda = FakeCuda(monkeypatch)
    time_cuda(cuda.kernel(), warmup=0, repeats=1, flush_bytes=1)
    assert cuda.buffer_args == [(torch.device("cuda", 0), 1)]
