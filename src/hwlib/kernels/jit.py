"""The Triton kernels themselves (``@triton.jit``), and whether they run interpreted.

Importing this module settles ``TRITON_INTERPRET`` first (``1`` when it is unset and CUDA is
absent) and only then imports Triton and defines the kernels: element-wise doublify, the naive
matmul (one program per output element) and the tiled matmul (one program per tile of the output).
:data:`~hwlib.kernels.INTERPRETED` records the mode Triton chose. The other modules of
:mod:`hwlib.kernels` take ``triton`` from here, so that Triton is never imported earlier.
"""

from __future__ import annotations

import os

import torch

INTERPRET_ENV = "TRITON_INTERPRET"
"""The environment variable Triton reads to choose its interpreter."""

if INTERPRET_ENV not in os.environ and not torch.cuda.is_available():
    os.environ[INTERPRET_ENV] = "1"

import triton  # noqa: E402  (must come after the environment is settled)
import triton.language as tl  # noqa: E402

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
