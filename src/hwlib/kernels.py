"""Triton kernels the chapters time: element-wise doublify, a naive and a tiled matmul.

Each kernel has a Python wrapper that checks its inputs (shape, dtype, device,
size) and raises an error that names the fix, then launches the kernel and
returns a new tensor (or fills ``out``).

**Where the kernels run.** On a machine with CUDA the kernels are compiled for
the GPU and take CUDA tensors. Without CUDA they run under Triton's
*interpreter*, which executes each program in NumPy on the CPU: far too slow to
time, but exactly the same kernel code, so the unit tests check correctness on a
laptop. Triton decides between the two when a kernel is *defined*, by reading the
environment variable ``TRITON_INTERPRET``. So, on import, this module sets
``TRITON_INTERPRET=1`` in the process's environment when the variable is unset
and ``torch.cuda.is_available()`` is False, before it defines any kernel. That
setting stays for the life of the process (it also applies to Triton kernels
other code defines later). Set ``TRITON_INTERPRET=1`` yourself before importing
this module to force the interpreter on a GPU machine (inputs then live on the
CPU); set ``TRITON_INTERPRET=0`` and the wrappers refuse to run without CUDA.
:data:`INTERPRETED` says which mode the module is in and :func:`kernel_device`
where inputs must live.

**Counting memory traffic.** :func:`matmul_global_loads` is the analytic model
of the chapter: how many elements the naive and tiled kernels below load from
global memory for an ``(M, K) @ (K, N)`` product.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import torch

INTERPRET_ENV = "TRITON_INTERPRET"
"""The environment variable Triton reads to choose its interpreter."""

if INTERPRET_ENV not in os.environ and not torch.cuda.is_available():
    os.environ[INTERPRET_ENV] = "1"

import triton  # noqa: E402  (must come after the environment is settled)
import triton.language as tl  # noqa: E402

__all__ = [
    "INTERPRETED",
    "TileConfig",
    "MatmulLoads",
    "kernel_device",
    "doublify",
    "matmul_naive",
    "matmul_tiled",
    "matmul_global_loads",
    "default_tile_config",
    "CUDA_TILE_CONFIGS",
]

_MAX_ELEMENTS = 2**31 - 1  # the kernels index with 32-bit integers
_MATMUL_DTYPES = (torch.float16, torch.float32)
_DOUBLIFY_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)


# --------------------------------------------------------------------------- kernels


@triton.jit
def _doublify_kernel(x_ptr, y_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    # Program p handles elements [p * BLOCK_SIZE, (p + 1) * BLOCK_SIZE); the mask
    # switches off the lanes past the end of the last, partial block.
    pid = tl.program_id(0)
    offsets = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask)
    tl.store(y_ptr + offsets, x * 2, mask=mask)


@triton.jit
def _matmul_naive_kernel(
    a_ptr,
    b_ptr,
    c_ptr,
    M,
    N,
    K,
    stride_am,
    stride_ak,
    stride_bk,
    stride_bn,
    stride_cm,
    stride_cn,
    BLOCK_K: tl.constexpr,
):
    # One program per output element C[i, j]: it walks along row i of A and
    # column j of B, BLOCK_K elements at a time, and nothing it loads is shared
    # with any other program.
    pid = tl.program_id(0)
    i = pid // N
    j = pid % N
    offs_k = tl.arange(0, BLOCK_K)
    acc = tl.zeros((BLOCK_K,), dtype=tl.float32)
    for k0 in range(0, K, BLOCK_K):
        k = k0 + offs_k
        mask = k < K
        a = tl.load(a_ptr + i * stride_am + k * stride_ak, mask=mask, other=0.0)
        b = tl.load(b_ptr + k * stride_bk + j * stride_bn, mask=mask, other=0.0)
        acc += a.to(tl.float32) * b.to(tl.float32)
    total = tl.sum(acc, axis=0)
    tl.store(c_ptr + i * stride_cm + j * stride_cn, total.to(c_ptr.dtype.element_ty))


@triton.jit
def _matmul_tiled_kernel(
    a_ptr,
    b_ptr,
    c_ptr,
    M,
    N,
    K,
    stride_am,
    stride_ak,
    stride_bk,
    stride_bn,
    stride_cm,
    stride_cn,
    BLOCK_M: tl.constexpr,
    BLOCK_N: tl.constexpr,
    BLOCK_K: tl.constexpr,
    GROUP_M: tl.constexpr,
    INPUT_PRECISION: tl.constexpr,
):
    # One program per BLOCK_M x BLOCK_N tile of C. Programs are numbered in
    # groups of GROUP_M tile-rows so that programs running at the same time
    # share tiles of A and B in the L2 cache.
    pid = tl.program_id(0)
    num_pid_m = tl.cdiv(M, BLOCK_M)
    num_pid_n = tl.cdiv(N, BLOCK_N)
    num_pid_in_group = GROUP_M * num_pid_n
    group_id = pid // num_pid_in_group
    first_pid_m = group_id * GROUP_M
    group_size_m = tl.minimum(num_pid_m - first_pid_m, GROUP_M)
    pid_m = first_pid_m + ((pid % num_pid_in_group) % group_size_m)
    pid_n = (pid % num_pid_in_group) // group_size_m

    # Rows (columns) past the edge of A (B) wrap around to valid ones, so the
    # loads need no M/N mask; the store mask below discards those results.
    offs_m = (pid_m * BLOCK_M + tl.arange(0, BLOCK_M)) % M
    offs_n = (pid_n * BLOCK_N + tl.arange(0, BLOCK_N)) % N
    offs_k = tl.arange(0, BLOCK_K)
    a_ptrs = a_ptr + offs_m[:, None] * stride_am + offs_k[None, :] * stride_ak
    b_ptrs = b_ptr + offs_k[:, None] * stride_bk + offs_n[None, :] * stride_bn

    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
    for k0 in range(0, K, BLOCK_K):
        # The K edge is masked: lanes past K load zeros, which add nothing.
        a = tl.load(a_ptrs, mask=offs_k[None, :] < K - k0, other=0.0)
        b = tl.load(b_ptrs, mask=offs_k[:, None] < K - k0, other=0.0)
        acc = tl.dot(a, b, acc, input_precision=INPUT_PRECISION)
        a_ptrs += BLOCK_K * stride_ak
        b_ptrs += BLOCK_K * stride_bk

    rows = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    cols = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    c_ptrs = c_ptr + rows[:, None] * stride_cm + cols[None, :] * stride_cn
    tl.store(c_ptrs, acc.to(c_ptr.dtype.element_ty), mask=(rows[:, None] < M) & (cols[None, :] < N))


INTERPRETED: bool = type(_doublify_kernel).__name__ == "InterpretedFunction"
"""True when the kernels run under Triton's interpreter (on the CPU), False when compiled for CUDA."""


def _major_minor(version: str) -> tuple[int, int]:
    major, minor = (version.split("+")[0].split(".") + ["0"])[:2]
    return int(major), int("".join(ch for ch in minor if ch.isdigit()) or 0)


def interpreter_problem(triton_version: str, numpy_version: str) -> str | None:
    """Why Triton's interpreter cannot run these kernels with these versions, or None.

    Before Triton 3.7 the interpreter turns a loop bound such as ``K`` (a one-element
    array) into an int with ``int(array)``, which NumPy 2.4 refuses; compiled kernels
    on a GPU are not affected. Found by ``make compat`` (Triton 3.6, the GPU image's).
    """
    if _major_minor(triton_version) < (3, 7) and _major_minor(numpy_version) >= (2, 4):
        return (
            f"Triton {triton_version}'s interpreter cannot run kernels with a loop over a runtime "
            f"bound under NumPy {numpy_version} (it calls int() on a one-element array): install "
            "'numpy<2.4' or 'triton>=3.7', or run on a CUDA GPU"
        )
    return None


def _check_interpreter() -> None:
    if INTERPRETED:
        import numpy

        problem = interpreter_problem(triton.__version__, numpy.__version__)
        if problem:
            raise RuntimeError(problem)


# --------------------------------------------------------------------------- checks


def kernel_device() -> torch.device:
    """The device the kernels' inputs must live on: the CPU when interpreted, else the current GPU.

    Raises
    ------
    RuntimeError
        When the kernels are compiled (``TRITON_INTERPRET`` is not ``1``) but no CUDA
        device is present.
    """
    if INTERPRETED:
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise RuntimeError(
            "hwlib.kernels was imported with TRITON_INTERPRET=0 but torch.cuda.is_available() is False: "
            "run on a machine with an NVIDIA GPU, or unset TRITON_INTERPRET (or set it to 1) before "
            "importing hwlib.kernels so the kernels run under Triton's CPU interpreter"
        )
    return torch.device("cuda", torch.cuda.current_device())


def _check_tensor(t: object, name: str, dtypes: tuple[torch.dtype, ...]) -> torch.Tensor:
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    if t.dtype not in dtypes:
        allowed = ", ".join(str(d).removeprefix("torch.") for d in dtypes)
        raise TypeError(f"{name} has dtype {t.dtype}; this kernel takes {allowed}: convert with .to(...)")
    want = kernel_device()
    if t.device.type != want.type:
        if INTERPRETED:
            fix = (
                "the kernels run under Triton's CPU interpreter (TRITON_INTERPRET=1), so pass CPU "
                "tensors (.cpu())"
            )
        else:
            fix = "the kernels are compiled for CUDA, so move it with .cuda()"
        raise ValueError(f"{name} is on {t.device}: {fix}")
    if t.numel() > _MAX_ELEMENTS:
        raise ValueError(
            f"{name} has {t.numel()} elements; these kernels index with 32-bit integers, so at most "
            f"{_MAX_ELEMENTS}: split the work into smaller pieces"
        )
    return t


def _check_out(out: torch.Tensor | None, shape: tuple[int, ...], dtype: torch.dtype, like: torch.Tensor):
    if out is None:
        return torch.empty(shape, dtype=dtype, device=like.device)
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"out must be a torch.Tensor or None, got {type(out).__name__}")
    if tuple(out.shape) != tuple(shape) or out.dtype != dtype or out.device != like.device:
        raise ValueError(
            f"out must have shape {tuple(shape)}, dtype {dtype} and device {like.device}; got shape "
            f"{tuple(out.shape)}, dtype {out.dtype}, device {out.device}: allocate it with "
            "torch.empty(shape, dtype=..., device=...)"
        )
    if not out.is_contiguous():
        raise ValueError("out must be contiguous: allocate it with torch.empty(...)")
    return out


def _check_power_of_two(value: int, name: str, low: int = 1) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < low or value & (value - 1):
        raise ValueError(f"{name} must be a power of two >= {low}, got {value!r}")


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


def _check_matmul(a: torch.Tensor, b: torch.Tensor) -> tuple[int, int, int]:
    _check_tensor(a, "a", _MATMUL_DTYPES)
    _check_tensor(b, "b", _MATMUL_DTYPES)
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(
            f"matmul takes two matrices, got a of shape {tuple(a.shape)} and b of shape {tuple(b.shape)}: "
            "reshape batched inputs to 2-D"
        )
    (m, k), (k2, n) = a.shape, b.shape
    if k != k2:
        raise ValueError(
            f"inner dimensions differ: a is {tuple(a.shape)} (M, K) and b is {tuple(b.shape)} (K, N); "
            "b must have as many rows as a has columns"
        )
    if a.dtype != b.dtype:
        raise TypeError(f"a is {a.dtype} and b is {b.dtype}: convert both to one dtype first")
    if a.device != b.device:
        raise ValueError(f"a is on {a.device} and b on {b.device}: put both on one device")
    if min(m, n, k) == 0:
        raise ValueError(f"empty matrix: a is {tuple(a.shape)} and b is {tuple(b.shape)}")
    return m, n, k


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


# --------------------------------------------------------------------------- the load model


@dataclass(frozen=True)
class MatmulLoads:
    """Global-memory loads of an ``(M, K) @ (K, N)`` product, in elements.

    ``naive`` and ``tiled`` count the loads the two kernels issue; ``minimum`` is
    each input read exactly once (``M*K + K*N``), the floor for any kernel.
    Multiply by the element size for bytes. Stores (``M*N`` elements for every
    kernel) are not counted.
    """

    m: int
    n: int
    k: int
    block_m: int
    block_n: int
    naive: int
    tiled: int
    minimum: int

    @property
    def ratio(self) -> float:
        """How many times more elements the naive kernel loads than the tiled one."""
        return self.naive / self.tiled

    def as_row(self) -> dict:
        """The counts as one table row (for :class:`hwlib.plotting.Table`)."""
        return {
            "M": self.m,
            "N": self.n,
            "K": self.k,
            "tile": f"{self.block_m}x{self.block_n}",
            "naive loads": self.naive,
            "tiled loads": self.tiled,
            "minimum": self.minimum,
            "naive / tiled": self.ratio,
        }


def matmul_global_loads(m: int, n: int, k: int, block_m: int = 64, block_n: int = 64) -> MatmulLoads:
    """Count the elements the naive and tiled matmul kernels load from global memory.

    The model (the kernels in this module follow it exactly):

    * naive, one program per output element: each of the ``M*N`` programs loads a
      row of A and a column of B, ``2*K`` elements, so ``2*M*N*K`` in all;
    * tiled, one program per ``block_m x block_n`` tile: each of the
      ``ceil(M/block_m) * ceil(N/block_n)`` programs loads a ``block_m x K`` strip
      of A and a ``K x block_n`` strip of B, ``K*(block_m + block_n)`` elements.
      Edge tiles load full strips too (their rows past the edge re-read valid
      rows and are discarded at the store). For sizes that are multiples of the
      blocks this is ``M*N*K*(1/block_n + 1/block_m)``: ``block_m`` times fewer than
      naive for square tiles.

    Loads served by a cache still count: this is the traffic the kernel *asks*
    for, which the hardware must satisfy from DRAM whenever the caches cannot.
    """
    for name, v in (("m", m), ("n", n), ("k", k), ("block_m", block_m), ("block_n", block_n)):
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise ValueError(f"{name} must be a positive int, got {v!r}")
    tiles = math.ceil(m / block_m) * math.ceil(n / block_n)
    return MatmulLoads(
        m=m,
        n=n,
        k=k,
        block_m=block_m,
        block_n=block_n,
        naive=2 * m * n * k,
        tiled=tiles * k * (block_m + block_n),
        minimum=m * k + k * n,
    )
