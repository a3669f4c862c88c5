"""Plots and small tables in one consistent style.

The style itself is set by :func:`hwlib.runtime.setup`; the helpers here draw the
figures that recur across chapters and return the matplotlib objects so a
notebook can add to them. Tables render as HTML in the book and as fixed-width
text under nbval, both deterministic.

**Modules.** :mod:`hwlib.plotting.plots` (the figures), :mod:`hwlib.plotting.tables`
(:class:`Table`) and :mod:`hwlib.plotting.network` (:func:`draw_network`). Every name is
importable from ``hwlib.plotting``.
"""

# Every name the single module hwlib.plotting defined, from its new home (private helpers too: the
# tests and the book call some of them as hwlib.plotting._name).
from hwlib.plotting.network import (  # noqa: F401
    _as_matrix,
    _data_box,
    _per_layer,
    draw_network,
)
from hwlib.plotting.plots import (  # noqa: F401
    _history_rows,
    autograd_derivative,
    plot_function_and_derivative,
    plot_history,
    plot_timings,
    show_grid,
)
from hwlib.plotting.tables import Table

__all__ = [
    "autograd_derivative",
    "plot_function_and_derivative",
    "Table",
    "show_grid",
    "plot_history",
    "plot_timings",
    "draw_network",
]
