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

**Modules.** :mod:`hwlib.kernels.jit` (the environment, Triton and the kernels),
:mod:`hwlib.kernels.guards` (input checks, the device, the interpreter's version check),
:mod:`hwlib.kernels.wrappers` (:func:`doublify`, :func:`matmul_naive`, :func:`matmul_tiled`) and
:mod:`hwlib.kernels.traffic` (the load model). Every name is importable from ``hwlib.kernels``; a
test that monkeypatches one patches the module that looks it up (``INTERPRETED`` is read by
``guards`` and ``wrappers``).
"""

# Every name the single module hwlib.kernels defined, from its new home (private helpers too: the
# tests and the book call some of them as hwlib.kernels._name).
from hwlib.kernels import jit, wrappers
from hwlib.kernels.guards import (  # noqa: F401
    _MATMUL_DTYPES,
    _MAX_ELEMENTS,
    _check_interpreter,
    _check_matmul,
    _check_out,
    _check_power_of_two,
    _check_tensor,
    _major_minor,
    interpreter_problem,
    kernel_device,
)
from hwlib.kernels.jit import (  # noqa: F401
    INTERPRET_ENV,
    _doublify_kernel,
    _matmul_naive_kernel,
    _matmul_tiled_kernel,
    triton,
)
from hwlib.kernels.traffic import (
    MatmulLoads,
    matmul_global_loads,
)
from hwlib.kernels.wrappers import (  # noqa: F401
    _DOUBLIFY_DTYPES,
    TileConfig,
    default_tile_config,
    doublify,
    matmul_naive,
    matmul_tiled,
)

# The data attributes are bound here by assignment, with their docstrings: autodoc reads an attribute's
# docstring in the module it documents (this package), not in the module that defines it.
INTERPRETED: bool = jit.INTERPRETED
"""True when the kernels run under Triton's interpreter (on the CPU), False when compiled for CUDA."""
CUDA_TILE_CONFIGS = wrappers.CUDA_TILE_CONFIGS
"""Candidate tile settings on a GPU (those of Triton's matmul tutorial); a benchmark
times them and keeps the fastest. Some exceed the shared memory of a GPU for some
dtypes; Triton then refuses to launch them."""

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
