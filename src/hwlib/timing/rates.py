"""Roofline arithmetic: times turned into GB/s and TFLOP/s, and the bytes and FLOPs that are counted."""

from __future__ import annotations


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
