"""Count the elements hwlib's Triton matmul kernels load, by running them under Triton's interpreter.

The interpreter executes every ``tl.load`` of a kernel with NumPy. :func:`counting_loads` wraps its
load routine for the duration of a ``with`` block and adds up the elements each load reads (the
lanes its mask lets through). :func:`count_loads` runs one kernel on random inputs inside such a
block. The interpreter must be on before Triton is first imported, so on a machine with a GPU this
file is run as a script in a child process with ``TRITON_INTERPRET=1`` (see :func:`count_in_child`);
it prints its results as JSON.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch


@contextlib.contextmanager
def counting_loads():
    """Count the elements read by every ``tl.load`` the Triton interpreter executes inside the block."""
    from triton.runtime import interpreter

    counts = {"elements": 0}
    original = interpreter.InterpreterBuilder.create_masked_load

    def counted(self, ptrs, mask, other, *rest):
        counts["elements"] += int(np.count_nonzero(mask.data))
        return original(self, ptrs, mask, other, *rest)

    interpreter.InterpreterBuilder.create_masked_load = counted
    try:
        yield counts
    finally:
        interpreter.InterpreterBuilder.create_masked_load = original


def count_loads(kind: str, m: int, n: int, k: int, bm: int = 32, bn: int = 32, bk: int = 16) -> dict:
    """Run hwlib's naive or tiled kernel on random ``(m, k) @ (k, n)`` inputs and count its loads.

    Returns ``{"loads": elements loaded, "max_error": largest |C - A @ B| against float64}``.
    """
    from hwlib import kernels

    if not kernels.INTERPRETED:
        raise RuntimeError("count_loads needs the Triton interpreter: use count_in_child() on a GPU machine")
    gen = torch.Generator().manual_seed(m * 10007 + n * 101 + k)
    a, b = torch.randn(m, k, generator=gen), torch.randn(k, n, generator=gen)
    c = torch.empty(m, n)
    strides = (*a.stride(), *b.stride(), *c.stride())
    with counting_loads() as counts:
        if kind == "naive":
            kernels._matmul_naive_kernel[(m * n,)](a, b, c, m, n, k, *strides, BLOCK_K=bk, num_warps=1)
        elif kind == "tiled":
            grid = (math.ceil(m / bm) * math.ceil(n / bn),)
            kernels._matmul_tiled_kernel[grid](
                a,
                b,
                c,
                m,
                n,
                k,
                *strides,
                BLOCK_M=bm,
                BLOCK_N=bn,
                BLOCK_K=bk,
                GROUP_M=2,
                INPUT_PRECISION="ieee",
                num_warps=4,
                num_stages=1,
            )
        else:
            raise ValueError(f"kind must be 'naive' or 'tiled', got {kind!r}")
    error = (c.double() - a.double() @ b.double()).abs().max().item()
    return {"loads": counts["elements"], "max_error": error}


def count_in_child(cases: list[tuple]) -> list[dict]:
    """:func:`count_loads` for each case, in a child Python with the interpreter on and CUDA hidden."""
    env = {**os.environ, "TRITON_INTERPRET": "1", "CUDA_VISIBLE_DEVICES": ""}
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), json.dumps(cases)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    print(json.dumps([count_loads(*case) for case in json.loads(sys.argv[1])]))
