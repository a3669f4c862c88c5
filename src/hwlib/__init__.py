"""hwlib: the small shared library behind the Deep Learning Problem-Set Workbook.

One module per concern (see the appendix "hwlib reference"):

- :mod:`hwlib.runtime`: ``setup()`` seeds, device, profile and provenance;
- :mod:`hwlib.checks`: ``assert_close``, ``assert_true``, ``assert_all``, ``assert_rejected``;
- :mod:`hwlib.gradients`: three-way gradient checks (derived, autograd, finite differences);
- :mod:`hwlib.plotting`: function-and-derivative plots, tables, small grids;
- :mod:`hwlib.models`: networks the chapters build;
- :mod:`hwlib.data`: datasets as tensors (Fashion-MNIST, CIFAR-10, digits, the camera picture),
  ``TensorLoader``, augmentation;
- :mod:`hwlib.metrics`: PSNR and MSE;
- :mod:`hwlib.reporting`: ``glue`` and ``glue_many`` (numbers for the prose, rounded to stated
  significant digits), ``round_sig``, ``fmt_sig``;
- :mod:`hwlib.train`: ``fit``/``evaluate`` with a per-epoch ``History``;
- :mod:`hwlib.timing`: GPU/CPU timers, size sweeps, GB/s and TFLOP/s;
- :mod:`hwlib.kernels`: Triton kernels (doublify, naive and tiled matmul), run on the CPU under
  the Triton interpreter. Import it explicitly (``from hwlib import kernels``): importing it
  loads Triton and, without CUDA, sets ``TRITON_INTERPRET=1``.
"""

from hwlib import data, train  # noqa: F401  (modules, as hwlib.data and hwlib.train)
from hwlib.checks import assert_all, assert_close, assert_rejected, assert_true
from hwlib.data import (
    Augment,
    Dataset,
    Split,
    TensorLoader,
    cifar10_available,
    fashion_mnist_available,
    load_camera,
    random_crop,
    random_flip,
)
from hwlib.data import load as load_dataset
from hwlib.gradients import check_gradient, check_jacobian, numerical_jacobian
from hwlib.metrics import mse, psnr
from hwlib.models import SineLayer, coordinate_grid, coordinate_mlp, mlp, siren
from hwlib.plotting import (
    Table,
    draw_network,
    plot_function_and_derivative,
    plot_history,
    plot_timings,
    show_grid,
)
from hwlib.reporting import fmt_sig, glue, glue_many, round_sig
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
from hwlib.train import History, evaluate, fit

__all__ = [
    "SineLayer",
    "coordinate_grid",
    "coordinate_mlp",
    "mse",
    "fmt_sig",
    "glue",
    "glue_many",
    "round_sig",
    "psnr",
    "siren",
    "Augment",
    "Dataset",
    "History",
    "Split",
    "TensorLoader",
    "cifar10_available",
    "evaluate",
    "fashion_mnist_available",
    "fit",
    "load_camera",
    "load_dataset",
    "mlp",
    "random_crop",
    "random_flip",
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
    "assert_all",
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
