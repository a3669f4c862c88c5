"""hwlib.plotting, second mutation pass: the measured text boxes that draw_network places its labels
with, checked against a closed-form pixel-to-data scale, and draw_network on canvases that have no
``get_renderer`` (a plain ``Figure()``, the SVG backend)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from hwlib.plotting import _data_box, draw_network


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _scaled_axis(xlim, ylim):
    """An axis filling a 4 x 2 inch, 100 dpi figure: 400 x 200 pixels for the given limits."""
    fig = Figure(figsize=(4, 2), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    return ax


@pytest.mark.parametrize(
    ("xlim", "ylim"),
    [((0, 10), (0, 5)), ((10, 0), (5, 0))],  # 40 pixels per data unit both ways; then both axes inverted
)
def test_data_box_is_the_drawn_text_extent_in_data_units(xlim, ylim):
    ax = _scaled_axis(xlim, ylim)
    t = ax.text(5.0, 2.0, "w = -0.25", fontsize=12, ha="center", va="bottom")
    (px0, py0), (px1, py1) = t.get_window_extent().get_points()  # pixels, px0 < px1, py0 < py1

    def x(px):  # pixel column -> data, 40 pixels per unit from the left edge at xlim[0]
        return xlim[0] + (xlim[1] - xlim[0]) * px / 400

    def y(py):
        return ylim[0] + (ylim[1] - ylim[0]) * py / 200

    expected = (min(x(px0), x(px1)), min(y(py0), y(py1)), max(x(px0), x(px1)), max(y(py0), y(py1)))
    box = _data_box(t)
    assert box == pytest.approx(expected, abs=1e-9)
    assert box[0] < box[2] and box[1] < box[3]  # ordered even when an axis is inverted
    assert (box[0] + box[2]) / 2 == pytest.approx(5.0, abs=1e-9)  # ha="center"
    # va="bottom": the box sits on the anchor, on the side away from ylim[0] when inverted
    assert (box[1] if ylim[0] < ylim[1] else box[3]) == pytest.approx(2.0, abs=1e-9)
    assert box[2] - box[0] == pytest.approx((px1 - px0) / 40, abs=1e-9)
    assert box[3] - box[1] == pytest.approx((py1 - py0) / 40, abs=1e-9)


def _label_positions(ax):
    return {t.get_text(): t.get_position() for t in ax.texts}


@pytest.mark.parametrize("canvas", [None, FigureCanvasSVG], ids=["Figure()", "svg"])
def test_draw_network_works_on_a_canvas_without_get_renderer(canvas):
    # a plain Figure()'s FigureCanvasBase and the SVG canvas have no get_renderer
    fig = Figure(figsize=(5.6, 3.1), dpi=100)
    if canvas is not None:
        canvas(fig)
    assert not hasattr(fig.canvas, "get_renderer")
    weights = [[[0.5, -1.0]]]
    ax = draw_network([2, 1], weights, weight_grads=[[[0.25, 2.0]]], ax=fig.add_subplot())
    pos = _label_positions(ax)
    assert set(pos) == {"0.50", "-1.00", "∇0.25", "∇2.00"}
    # each weight and its gradient share one anchor on their edge (0, 0.5) or (0, -0.5) -> (3.6, 0)
    for w, g, y0 in (("0.50", "∇0.25", 0.5), ("-1.00", "∇2.00", -0.5)):
        (x, y) = pos[w]
        assert pos[g] == (x, y)
        assert 0 < x < 3.6 and y == pytest.approx(y0 * (1 - x / 3.6), abs=1e-12)
    # and the same spots as on an Agg figure of the same size
    _, agg_ax = plt.subplots(figsize=(5.6, 3.1), dpi=100)
    agg = _label_positions(draw_network([2, 1], weights, weight_grads=[[[0.25, 2.0]]], ax=agg_ax))
    assert agg.keys() == pos.keys()
    assert np.allclose([agg[k] for k in pos], [pos[k] for k in pos], rtol=0, atol=1e-12)
