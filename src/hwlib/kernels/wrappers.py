"""The Python wrappers that check inputs and launch the kernels: doublify, naive and tiled matmul.

:func:`~hwlib.kernels.doublify`, :func:`~hwlib.kernels.matmul_naive` and
:func:`~hwlib.kernels.matmul_tiled` each return a new tensor (or fill ``out``);
:class:`~hwlib.kernels.TileConfig` holds the tiled kernel's block shape and launch settings.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from hwlib.kernels.guards import (
    _check_interpreter,
    _check_matmul,
    _check_out,
    _check_power_of_two,
    _check_tensor,
)
from hwlib.kernels.jit import (  # triton through jit, which settles TRITON_INTERPRET
    INTERPRETED,
    _doublify_kernel,
    _matmul_naive_kernel,
    _matmul_tiled_kernel,
    triton,
)

_DOUBLIFY_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)


# --------------------------------------------------------------------------- doublify


def doublify(x: torch.Tensor, *, out: torch.Tensor | None = None, block_size: int = 1024) -> torch.Tensor:
    """Return ``2 * x`` computed by a Triton kernel, one program per ``block_size`` elements.

    Parameters
    ----------
    x:
        A contiguous float16, bfloat16, float32 or float64 tensor of any shape, on
        :func:`kernel_device` (bfloat16 only on a GPU: the interpreter gets it wrong).
    out:
        Optional contiguous tensor of ``x``'s shape, dtype and device to write into.
    block_size:
        Elements per program, a power of two (the last block is masked).

    Returns
    -------
    torch.Tensor
        ``out`` (or a new tensor) holding ``2 * x``. The kernel reads ``x`` once and
        writes the result once: ``2 * x.numel() * x.element_size()`` bytes of traffic.
    """
    _check_tensor(x, "x", _DOUBLIFY_DTYPES)
    if INTERPRETED and x.dtype == torch.bfloat16:
        raise TypeError(
            "Triton's CPU interpreter computes bfloat16 wrongly (NumPy has no bfloat16): pass float16 or "
            "float32 here, or run on a CUDA GPU"
        )
    if not x.is_contiguous():
        raise ValueError("x must be contiguous: pass x.contiguous()")
    _check_power_of_two(block_size, "block_size", 16)
    y = _check_out(out, tuple(x.shape), x.dtype, x)
    n = x.numel()
    if n:
        _doublify_kernel[(triton.cdiv(n, block_size),)](x, y, n, BLOCK_SIZE=block_size)
    return y


# --------------------------------------------------------------------------- matmul


def matmul_naive(
    a: torch.Tensor, b: torch.Tensor, *, out: torch.Tensor | None = None, block_k: int = 64
) -> torch.Tensor:
    """``a @ b`` with one Triton program per output element (the naive kernel).

    Program ``(i, j)`` loads row ``i`` of ``a`` and column ``j`` of ``b`` from global
    memory, ``block_k`` elements at a time, and reduces their product in float32.
    Nothing is shared between programs: the kernel loads ``2 * M * N * K`` elements
    (see :func:`matmul_global_loads`).

    Parameters
    ----------
    a, b:
        Matrices of shapes ``(M, K)`` and ``(K, N)``, both float16 or both float32,
        on :func:`kernel_device` (any strides).
    out:
        Optional contiguous ``(M, N)`` tensor of the inputs' dtype to write into.
    block_k:
        Elements of the K loop per step, a power of two.

    Returns
    -------
    torch.Tensor
        The ``(M, N)`` product in the inputs' dtype (accumulated in float32).
    """
    _check_interpreter()
    m, n, k = _check_matmul(a, b)
    _check_power_of_two(block_k, "block_k", 16)
    c = _check_out(out, (m, n), a.dtype, a)
    _matmul_naive_kernel[(m * n,)](
        a, b, c, m, n, k, *a.stride(), *b.stride(), *c.stride(), BLOCK_K=block_k, num_warps=1
    )
    return c


@dataclass(frozen=True)
class TileConfig:
    """Block shape and launch settings of :func:`matmul_tiled`.

    ``block_m`` x ``block_n`` is the tile of C one program computes, ``block_k`` the
    depth of each step of the K loop (all powers of two, at least 16 for ``tl.dot``);
    ``group_m`` tile-rows are grouped for L2 reuse; ``num_warps`` and ``num_stages``
    are Triton's launch settings (warps per program, software-pipelining depth).
    """

    block_m: int = 64
    block_n: int = 64
    block_k: int = 32
    group_m: int = 8
    num_warps: int = 4
    num_stages: int = 3

    def __post_init__(self) -> None:
        for name in ("block_m", "block_n", "block_k"):
            _check_power_of_two(getattr(self, name), f"TileConfig.{name}", 16)
        _check_power_of_two(self.group_m, "TileConfig.group_m")
        _check_power_of_two(self.num_warps, "TileConfig.num_warps")
        if not isinstance(self.num_stages, int) or self.num_stages < 1:
            raise ValueError(f"TileConfig.num_stages must be a positive int, got {self.num_stages!r}")


CUDA_TILE_CONFIGS: tuple[TileConfig, ...] = (
    TileConfig(128, 256, 64, 8, num_warps=8, num_stages=3),
    TileConfig(64, 256, 32, 8, num_warps=4, num_stages=4),
    TileConfig(128, 128, 64, 8, num_warps=8, num_stages=3),
    TileConfig(128, 128, 32, 8, num_warps=4, num_stages=4),
    TileConfig(128, 64, 32, 8, num_warps=4, num_stages=4),
    TileConfig(64, 128, 32, 8, num_warps=4, num_stages=4),
    TileConfig(64, 64, 32, 8, num_warps=4, num_stages=4),
)
"""Candidate tile settings on a GPU (those of Triton's matmul tutorial); a benchmark
times them and keeps the fastest. Some exceed the shared memory of a GPU for some
dtypes; Triton then refuses to launch them."""


def default_tile_config(dtype: torch.dtype = torch.float16) -> TileConfig:
    """A reasonable :class:`TileConfig` without tuning.

    Under the interpreter: 32 x 32 x 16 tiles, small enough that unit tests on
    awkward sizes cover several tiles and the edges. On a GPU: 128 x 128 tiles
    with a K step of 64 for float16 and 32 for float32 (the same shared memory).
    """
    if INTERPRETED:
        return TileConfig(32, 32, 16, group_m=2, num_warps=4, num_stages=1)
    if dtype == torch.float32:
        return TileConfig(128, 128, 32, 8, num_warps=8, num_stages=3)
    return TileConfig(128, 128, 64, 8, num_warps=8, num_stages=3)


def matmul_tiled(
    a: torch.Tensor,
    b: torch.Tensor,
    *,
    out: torch.Tensor | None = None,
    config: TileConfig | None = None,
    tf32: bool = False,
) -> torch.Tensor:
    """``a @ b`` with one Triton program per ``block_m x block_n`` tile of the output.

    Each program walks along K in steps of ``block_k``, loading a ``block_m x
    block_k`` tile of ``a`` and a ``block_k x block_n`` tile of ``b`` and
    multiplying them with ``tl.dot`` into a float32 accumulator. Every loaded
    element of ``a`` is used ``block_n`` times and every element of ``b``
    ``block_m`` times, which is where the saving over :func:`matmul_naive` comes
    from (see :func:`matmul_global_loads`). Sizes need not be multiples of the
    blocks: the K edge is masked and the M/N edges are masked at the store.

    Parameters
    ----------
    a, b:
        Matrices of shapes ``(M, K)`` and ``(K, N)``, both float16 or both float32,
        on :func:`kernel_device` (any strides).
    out:
        Optional contiguous ``(M, N)`` tensor of the inputs' dtype to write into.
    config:
        Block shape and launch settings; :func:`default_tile_config` when omitted.
    tf32:
        For float32 inputs, let ``tl.dot`` round its inputs to TensorFloat-32 (the
        matrix units' fast float32 mode, relative error near 1e-3). The default
        computes in full float32, as ``torch.matmul`` does unless
        ``torch.backends.cuda.matmul.allow_tf32`` is set. Ignored for float16.

    Returns
    -------
    torch.Tensor
        The ``(M, N)`` product in the inputs' dtype (accumulated in float32).
    """
    _check_interpreter()
    m, n, k = _check_matmul(a, b)
    config = default_tile_config(a.dtype) if config is None else config
    if not isinstance(config, TileConfig):
        raise TypeError(f"config must be a hwlib.kernels.TileConfig, got {type(config).__name__}")
    c = _check_out(out, (m, n), a.dtype, a)
    precision = "ieee" if (a.dtype == torch.float32 and not tf32) else "tf32"
    grid = (triton.cdiv(m, config.block_m) * triton.cdiv(n, config.block_n),)
    _matmul_tiled_kernel[grid](
        a,
        b,
        c,
        m,
        n,
        k,
        *a.stride(),
        *b.stride(),
        *c.stride(),
        BLOCK_M=config.block_m,
        BLOCK_N=config.block_n,
        BLOCK_K=config.block_k,
        GROUP_M=config.group_m,
        INPUT_PRECISION=precision,
        num_warps=config.num_warps,
        num_stages=config.num_stages,
    )
    return c
