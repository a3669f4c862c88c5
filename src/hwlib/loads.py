"""Count the elements hwlib's Triton matmul kernels load, by running them under Triton's interpreter.

The interpreter executes every ``tl.load`` of a kernel in NumPy, through one routine of its
builder, ``InterpreterBuilder.create_masked_load(ptrs, mask, ...)`` (an unmasked load passes an
all-true mask). :func:`counting_loads` wraps that routine for the duration of a ``with`` block and
adds up the elements each load reads: the lanes its mask lets through. :func:`count_loads` runs
one of :mod:`hwlib.kernels`' matmul kernels on random inputs inside such a block.

That routine is not part of Triton's public interface, so a later Triton may rename it: the
counter then stops with :class:`LoadCounterUnavailable`, naming the Triton versions it was tested
with, instead of failing deep inside the interpreter. The analytic model
:func:`hwlib.kernels.matmul_global_loads` needs no interpreter.

The interpreter must be on before Triton is first imported, so on a machine with a GPU (where
the kernels are compiled) :func:`count_in_child` runs the count in a child Python with
``TRITON_INTERPRET=1`` and CUDA hidden (``python -m hwlib.loads`` prints JSON).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import subprocess
import sys

import numpy as np
import torch

__all__ = ["LoadCounterUnavailable", "count_in_child", "count_loads", "counting_loads"]

ROUTINE = "triton.runtime.interpreter.InterpreterBuilder.create_masked_load"
TESTED = "Triton 3.6 to 3.8"
KINDS = ("naive", "tiled")


class LoadCounterUnavailable(RuntimeError):
    """The installed Triton's interpreter lacks the load routine the counter wraps."""


def _builder():
    """Triton's ``InterpreterBuilder`` class, checked to have the routine the counter wraps."""
    try:
        import triton
        from triton.runtime import interpreter
    except ImportError as err:
        raise LoadCounterUnavailable(
            f"counting loads needs Triton's interpreter, which did not import ({err}); "
            "install Triton (pip install triton) or use hwlib.kernels.matmul_global_loads"
        ) from err
    builder = getattr(interpreter, "InterpreterBuilder", None)
    if builder is None or not callable(getattr(builder, "create_masked_load", None)):
        raise LoadCounterUnavailable(
            f"Triton {triton.__version__}'s interpreter has no {ROUTINE}, the routine this counter "
            f"wraps (tested with {TESTED}). Install one of those, e.g. pip install 'triton>=3.6,<3.9', "
            "or use the analytic count hwlib.kernels.matmul_global_loads"
        )
    return builder


@contextlib.contextmanager
def counting_loads():
    """Count the elements read by every ``tl.load`` the Triton interpreter executes inside the block.

    Yields a dict whose ``"elements"`` entry is the number of elements loaded (mask lanes that are
    on) and ``"loads"`` the number of load calls. The routine is restored on leaving the block,
    even when the block raises.
    """
    builder = _builder()
    counts = {"elements": 0, "loads": 0}
    original = builder.create_masked_load

    def counted(self, ptrs, mask, *args, **kwargs):
        lanes = getattr(mask, "data", None)
        if not isinstance(lanes, np.ndarray):
            raise LoadCounterUnavailable(
                f"{ROUTINE} was called with a mask of type {type(mask).__name__}, not a NumPy-backed "
                f"tensor handle: this Triton changed the routine the counter wraps (tested with {TESTED})"
            )
        counts["elements"] += int(np.count_nonzero(lanes))
        counts["loads"] += 1
        return original(self, ptrs, mask, *args, **kwargs)

    builder.create_masked_load = counted
    try:
        yield counts
    finally:
        builder.create_masked_load = original


def _check_case(kind, m, n, k, bm, bn, bk) -> None:
    if kind not in KINDS:
        raise ValueError(f"kind must be 'naive' or 'tiled', got {kind!r}")
    for name, value in (("m", m), ("n", n), ("k", k), ("bm", bm), ("bn", bn), ("bk", bk)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    blocks = (("bm", bm), ("bn", bn), ("bk", bk)) if kind == "tiled" else (("bk", bk),)
    for name, value in blocks:
        if value & (value - 1) or (kind == "tiled" and value < 16):
            low = " of at least 16 (tl.dot's smallest tile)" if kind == "tiled" else ""
            raise ValueError(f"{name} must be a power of two{low} for the {kind} kernel, got {value}")


def count_loads(kind: str, m: int, n: int, k: int, bm: int = 32, bn: int = 32, bk: int = 16) -> dict:
    """Run hwlib's ``"naive"`` or ``"tiled"`` (``bm`` x ``bn`` tiles) kernel on a ``(m, k) @ (k, n)`` product.

    The inputs are random (seeded by the sizes). Returns ``{"loads": elements loaded, "max_error":
    largest |C - A @ B| against a float64 product}``. Needs the interpreter: on a GPU machine use
    :func:`count_in_child`.
    """
    _check_case(kind, m, n, k, bm, bn, bk)
    from hwlib import kernels

    if not kernels.INTERPRETED:
        raise RuntimeError(
            "count_loads needs the Triton interpreter, but hwlib.kernels compiled for the GPU: "
            "use hwlib.loads.count_in_child(cases), which counts in a child process"
        )
    gen = torch.Generator().manual_seed(m * 10007 + n * 101 + k)
    a, b = torch.randn(m, k, generator=gen), torch.randn(k, n, generator=gen)
    c = torch.empty(m, n)
    strides = (*a.stride(), *b.stride(), *c.stride())
    with counting_loads() as counts:
        if kind == "naive":
            kernels._matmul_naive_kernel[(m * n,)](a, b, c, m, n, k, *strides, BLOCK_K=bk, num_warps=1)
        else:
            grid = (math.ceil(m / bm) * math.ceil(n / bn),)
            kernels._matmul_tiled_kernel[grid](
                a, b, c, m, n, k, *strides, BLOCK_M=bm, BLOCK_N=bn, BLOCK_K=bk,
                GROUP_M=2, INPUT_PRECISION="ieee", num_warps=4, num_stages=1,
            )  # fmt: skip
    error = (c.double() - a.double() @ b.double()).abs().max().item()
    return {"loads": counts["elements"], "max_error": error}


def count_in_child(cases: list) -> list[dict]:
    """:func:`count_loads` for each case (its arguments as a list), in a child Python, interpreter on."""
    cases = [list(case) for case in cases]
    for case in cases:
        if not 4 <= len(case) <= 7:
            raise ValueError(f"a case is [kind, m, n, k] and optionally bm, bn, bk; got {case!r}")
        _check_case(*case, *(32, 32, 16)[len(case) - 4 :])
    env = {**os.environ, "TRITON_INTERPRET": "1", "CUDA_VISIBLE_DEVICES": ""}
    out = subprocess.run(
        [sys.executable, "-m", "hwlib.loads", json.dumps(cases)], env=env, capture_output=True, text=True
    )
    if out.returncode != 0:
        tail = "\n".join(out.stderr.strip().splitlines()[-5:])
        raise RuntimeError(f"counting loads in a child Python failed (exit {out.returncode}):\n{tail}")
    return json.loads(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    print(json.dumps([count_loads(*case) for case in json.loads(sys.argv[1])]))
