"""hwlib: the small shared library behind the Deep Learning Problem-Set Workbook.

One module per concern (see the appendix "hwlib reference"):

- :mod:`hwlib.runtime`: ``setup()`` seeds, device, profile and provenance;
- :mod:`hwlib.checks`: ``assert_close``, ``assert_true`` and three-way gradient checks;
- :mod:`hwlib.plotting`: function-and-derivative plots, tables, small grids;
- :mod:`hwlib.models`: networks the chapters build;
- :mod:`hwlib.timing`: GPU/CPU timers, size sweeps, GB/s and TFLOP/s;
- :mod:`hwlib.kernels`: Triton kernels (doublify, naive and tiled matmul), run on the CPU under
  the Triton interpreter. Import it explicitly (``from hwlib import kernels``): importing it
  loads Triton and, without CUDA, sets ``TRITON_INTERPRET=1``.
"""

from hwlib.checks import (
    assert_close,
    assert_rejected,
    assert_true,
    check_gradient,
    check_jacobian,
    numerical_jacobian,
)
from hwlib.plotting import (
    Table,
    draw_network,
    plot_function_and_derivative,
    plot_history,
    plot_timings,
    show_grid,
)
from hwlib.runtime import PROFILES, Provenance, pick_device, resolve_profile, setup
from hwlib.timing import (
    Timing,
    achieved_gbps,
    achieved_tflops,
    crossover,
    sweep,
    time_cpu,
    time_cuda,
    time_fn,
)

__all__ = [
    "PROFILES",
    "Provenance",
    "Table",
    "Timing",
    "achieved_gbps",
    "achieved_tflops",
    "crossover",
    "draw_network",
    "plot_history",
    "plot_timings",
    "sweep",
    "time_cpu",
    "time_cuda",
    "time_fn",
    "assert_close",
    "assert_rejected",
    "assert_true",
    "check_gradient",
    "check_jacobian",
    "numerical_jacobian",
    "pick_device",
    "plot_function_and_derivative",
    "resolve_profile",
    "setup",
    "show_grid",
]

__version__ = "0.1.0"
