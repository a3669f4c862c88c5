"""hwlib: the small shared library behind the Deep Learning Problem-Set Workbook.

One module per concern (see the appendix "hwlib reference"):

- :mod:`hwlib.runtime`: ``setup()`` seeds, device, profile and provenance;
- :mod:`hwlib.checks`: ``assert_close``, ``assert_true`` and three-way gradient checks;
- :mod:`hwlib.plotting`: function-and-derivative plots, tables, small grids;
- :mod:`hwlib.models`: networks the chapters build (threshold units so far).
"""

from hwlib.checks import assert_close, assert_true, check_gradient, check_jacobian, numerical_jacobian
from hwlib.plotting import Table, plot_function_and_derivative, show_grid
from hwlib.runtime import PROFILES, Provenance, pick_device, resolve_profile, setup

__all__ = [
    "PROFILES",
    "Provenance",
    "Table",
    "assert_close",
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
