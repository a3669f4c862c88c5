"""The checks the kernel wrappers run before a launch, each failure naming its fix.

:func:`~hwlib.kernels.kernel_device` says where inputs must live; the tensor, output, power-of-two
and matmul-shape checks raise an error that names the fix; ``interpreter_problem``
recognises the Triton and NumPy versions whose interpreter cannot run the kernels.
"""

from __future__ import annotations

import torch

from hwlib.kernels.jit import INTERPRETED, triton  # triton through jit, which settles TRITON_INTERPRET

_MAX_ELEMENTS = 2**31 - 1  # the kernels index with 32-bit integers
_MATMUL_DTYPES = (torch.float16, torch.float32)


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
