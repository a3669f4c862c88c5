"""hwlib.plotting, checked through matplotlib's artists and the documented behaviour: error messages,
defaults, line and text styles, table text."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.colors import to_rgba
from matplotlib.patches import Circle

from hwlib.plotting import (
    Table,
    autograd_derivative,
    draw_network,
    plot_function_and_derivative,
    plot_history,
    plot_timings,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def exact(message: str) -> str:
    """A pattern that matches ``message`` and nothing else."""
    return "^" + re.escape(message) + "$"


# --------------------------------------------------------------------------- derivatives


def test_autograd_derivative_message_and_values():
    with pytest.raises(
        ValueError, match=exact("f must act element-wise: f(x) has shape () for x of shape (3,)")
    ):
        autograd_derivative(lambda t: t.sum(), [0.0, 1.0, 2.0])
    xs = np.array([-1.0, 0.5, 2.0])
    assert np.allclose(autograd_derivative(lambda t: t**3, xs), 3 * xs**2, rtol=0, atol=1e-15)


def test_plot_function_and_derivative_needs_a_1d_grid():
    with pytest.raises(ValueError, match=exact("xs must be a 1-D grid with at least two points")):
        plot_function_and_derivative(torch.sin, xs=[[0.0, 1.0], [2.0, 3.0]])
    ax = plot_function_and_derivative(torch.sin, xs=[0.0, 1.0, 2.0], name="g")
    assert [line.get_label() for line in ax.get_lines()[:2]] == ["g(x)", "g'(x), autograd"]
    assert len(ax.get_lines()[1].get_xdata()) == 25  # 25 markers by default, picked from the 3 points
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["g(x)", "g'(x), autograd"]


# --------------------------------------------------------------------------- Table


def test_table_default_format_and_title():
    t = Table([{"x": 0.5, "n": 3}])
    assert repr(t) == "       x  n\n--------  -\n0.500000  3"
    assert t.title is None and t.floatfmt == ".6f"
    assert repr(Table([{"value": 2.0}], floatfmt=".1f", title="")) == "value\n-----\n  2.0"


def test_table_cells_of_tensors_and_numpy_scalars():
    t = Table(
        [
            {"a": torch.tensor(2.5), "b": np.float32(0.25), "c": torch.tensor([1, 2]), "d": 7},
            {"a": torch.tensor([1.5]), "b": np.float64(-3.0), "c": "x", "d": True},
        ],
        floatfmt=".2f",
    )
    assert t._cells() == [["2.50", "0.25", "tensor([1, 2])", "7"], ["1.50", "-3.00", "x", "True"]]


def test_table_messages():
    with pytest.raises(ValueError, match=exact("Table needs at least one row")):
        Table([])
    with pytest.raises(ValueError, match=exact("row 1 has columns ['y'], expected ['x']")):
        Table([{"x": 1}, {"y": 2}])
    t = Table([{"x": 1, "name": "a"}])
    with pytest.raises(KeyError, match=re.escape("no column 'y'; the columns are ['x', 'name']")):
        t["y"]


# --------------------------------------------------------------------------- plot_history


def rows(epochs=3):
    return [
        {
            "epoch": e,
            "train_loss": 1 / e,
            "val_loss": 1.2 / e,
            "train_acc": 1 - 0.5 / e,
            "val_acc": 1 - 0.6 / e,
        }
        for e in range(1, epochs + 1)
    ]


def test_plot_history_figure_lines_and_labels():
    ax_loss, ax_acc = plot_history(rows(), title="MLP")
    fig = ax_loss.figure
    assert tuple(fig.get_size_inches()) == pytest.approx((9.6, 3.6))
    assert fig._suptitle is not None and fig._suptitle.get_text() == "MLP"
    assert (
        ax_acc.figure is fig and len(fig.axes) == 2 and ax_loss.get_position().x0 < ax_acc.get_position().x0
    )
    for ax, ylabel in ((ax_loss, "loss"), (ax_acc, "accuracy")):
        assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == ylabel
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train", "val"]
        for line in ax.get_lines():
            assert (line.get_marker(), line.get_linestyle(), line.get_markersize()) == ("o", "-", 3)
    assert list(ax_acc.get_lines()[1].get_ydata()) == pytest.approx([0.4, 0.7, 0.8])


def test_plot_history_without_title_or_accuracy():
    ax_loss, ax_acc = plot_history({"train_loss": [0.5, 0.25], "val_top1_loss": [0.6, 0.3]})
    assert ax_loss.figure._suptitle is None
    assert [line.get_label() for line in ax_loss.get_lines()] == ["train", "val_top1"]
    assert ax_acc.get_lines() == [] and ax_acc.get_legend() is None and ax_loss.get_legend() is not None
    assert ax_acc.get_xlabel() == "epoch" and ax_acc.get_ylabel() == "accuracy"


def test_plot_history_lays_out_only_its_own_figure():
    fig, axes = plt.subplots(1, 2)
    before = [ax.get_position().bounds for ax in axes]
    assert plot_history(rows(), axes=axes) == tuple(axes)
    assert [ax.get_position().bounds for ax in axes] == before  # a given figure keeps its layout
    ax_loss, _ = plot_history(rows())
    untouched = plt.subplots(1, 2, figsize=(9.6, 3.6))[1][0].get_position().bounds
    assert ax_loss.get_position().bounds != untouched  # a new figure gets tight_layout


def test_plot_history_keeps_partly_missing_columns_and_reads_rows_attributes():
    class WithRows:
        rows = [{"train_loss": 1.0, "val_loss": math.nan}, {"train_loss": 0.5, "val_loss": 0.4}]

    ax_loss, _ = plot_history(WithRows())
    data = {line.get_label(): list(line.get_ydata()) for line in ax_loss.get_lines()}
    assert data["train"] == [1.0, 0.5] and math.isnan(data["val"][0]) and data["val"][1] == 0.4
    # integer values are not NaN: the column stays
    ax_loss, _ = plot_history([{"train_loss": 1}, {"train_loss": 0}])
    assert list(ax_loss.get_lines()[0].get_ydata()) == [1.0, 0.0]


@dataclass
class Epoch:
    epoch: int
    train_loss: float


def test_plot_history_messages():
    with pytest.raises(
        ValueError, match=exact("history is empty: train for at least one epoch before plotting")
    ):
        plot_history([])
    message = (
        "history has no '*_loss' or '*_acc' columns (it has ['epoch', 'loss']): "
        "name them like train_loss, val_loss, train_acc, val_acc"
    )
    with pytest.raises(ValueError, match=exact(message)):
        plot_history([{"epoch": 1, "loss": 0.3}])
    with pytest.raises(
        ValueError, match=exact("history row 1 lacks ['train_loss']: every epoch needs the same columns")
    ):
        plot_history([{"train_loss": 1.0}, {"epoch": 2}])
    message = "history columns have different lengths [1, 2]: one value per epoch each"
    with pytest.raises(ValueError, match=exact(message)):
        plot_history({"train_loss": [1.0, 0.5], "val_loss": [1.0]})
    message = "history must be a list of per-epoch dicts, a dict of columns or an object with .rows, got int"
    with pytest.raises(TypeError, match=exact(message)):
        plot_history(3)
    message = "each history row must be a mapping such as {'epoch': 1, 'train_loss': 0.5, ...}"
    with pytest.raises(TypeError, match=exact(message)):
        plot_history([{"train_loss": 1.0}, 2])
    ax_loss, _ = plot_history([Epoch(3, 0.5), Epoch(4, 0.25)])
    assert list(ax_loss.get_lines()[0].get_xdata()) == [3, 4]


# --------------------------------------------------------------------------- plot_timings


def test_plot_timings_lines_sorted_and_styled():
    table = [
        {"series": 1, "size": 100, "median_ms": 4.0},
        {"series": 1, "size": 10, "median_ms": 2.0},
        {"series": 2, "size": 10, "median_ms": 3.0},
    ]
    ax = plot_timings(table)
    one, two = ax.get_lines()
    assert one.get_label() == "1" and two.get_label() == "2"
    assert list(one.get_xdata()) == [10, 100] and list(one.get_ydata()) == [2.0, 4.0]
    assert (one.get_marker(), one.get_linestyle(), one.get_markersize()) == ("o", "-", 4)
    assert ax.get_xlabel() == "size" and ax.get_ylabel() == "time (ms)" and ax.get_title() == ""
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["1", "2"]


def test_plot_timings_other_columns_labels_and_crossover():
    table = [
        {"impl": s, "n": n, "t": (1e-4 * n**2 if s == "slow" else 1.0)}
        for s in ("slow", "fast")
        for n in (10, 100, 1000)
    ]
    fig, given = plt.subplots()
    ax = plot_timings(table, x="n", y="t", series="impl", ax=given, crossover=("slow", "fast"), title="T")
    assert ax is given and ax.get_xlabel() == "n" and ax.get_ylabel() == "t" and ax.get_title() == "T"
    mark = ax.get_lines()[2]
    assert mark.get_xdata()[0] == pytest.approx(100.0) and mark.get_label() == "crossover ≈ 100"
    assert (
        to_rgba(mark.get_color()) == to_rgba("0.3")
        and mark.get_linestyle() == "--"
        and mark.get_linewidth() == 1
    )
    ax = plot_timings(table, x="n", y="t", series="impl", xlabel="elements", ylabel="seconds")
    assert ax.get_xlabel() == "elements" and ax.get_ylabel() == "seconds"


def test_plot_timings_no_crossing_entry_is_an_empty_blank_line():
    table = [
        {"series": s, "size": n, "median_ms": v * n} for s, v in (("a", 1.0), ("b", 2.0)) for n in (1, 10)
    ]
    ax = plot_timings(table, crossover=("a", "b"))
    note = ax.get_lines()[2]
    assert note.get_label() == "a and b do not cross" and len(note.get_xdata()) == 0
    assert note.get_linestyle() == "None" and note.get_marker() in ("None", "", None, " ")


@pytest.mark.parametrize(
    "bad", [{"size": 0, "median_ms": 1.0}, {"size": 1, "median_ms": -1.0}, {"size": -1, "median_ms": 1.0}]
)
def test_plot_timings_needs_positive_values(bad):
    message = "series 'a' has a value <= 0; a log-log plot needs positive size and median_ms"
    with pytest.raises(ValueError, match=exact(message)):
        plot_timings([{"series": "a", "size": 1, "median_ms": 1.0}, {"series": "a", **bad}])


def test_plot_timings_messages():
    with pytest.raises(ValueError, match=exact("the timing table is empty")):
        plot_timings(Table([{"series": "a", "size": 1, "median_ms": 1.0}]).rows[:0])
    for missing in ("size", "median_ms", "series"):
        row = {"series": "a", "size": 1, "median_ms": 1.0}
        del row[missing]
        message = f"no column {missing!r} in the timing table; it has {list(row)}"
        with pytest.raises(KeyError, match=re.escape(message)):
            plot_timings([row])


# --------------------------------------------------------------------------- draw_network


W2 = [np.array([[1.0, -2.0], [0.5, 0.0], [-0.25, 3.0]]), np.array([[2.0, -1.0, 0.75]])]


def texts_by_content(ax):
    return {t.get_text(): t for t in ax.texts}


def test_draw_network_frame_and_nodes():
    ax = draw_network([2, 3, 1], W2)
    assert tuple(ax.figure.get_size_inches()) == pytest.approx((2.6 * 3 + 0.4, 0.95 * 3 + 1.2))
    assert ax.get_xlim() == pytest.approx((-0.8, 2 * 3.6 + 0.8)) and ax.get_ylim() == pytest.approx(
        (-1.8, 1.8)
    )
    assert ax.get_aspect() == 1.0 and not ax.axison and ax.get_title() == ""
    circles = [p for p in ax.patches if isinstance(p, Circle)]
    centres = [tuple(c.center) for c in circles]
    assert np.allclose(centres, [(0, 0.5), (0, -0.5), (3.6, 1), (3.6, 0), (3.6, -1), (7.2, 0)])
    for c in circles:
        assert c.radius == 0.26 and c.get_linewidth() == 1.2 and c.get_zorder() == 4
        assert to_rgba(c.get_facecolor()) == to_rgba("whitesmoke") and to_rgba(c.get_edgecolor()) == to_rgba(
            "0.2"
        )


def test_draw_network_edges_width_colour_and_style():
    ax = draw_network([2, 3, 1], W2)
    lines = ax.get_lines()
    assert len(lines) == 9
    # edges in order: layer, output node j, input node i; width 0.6 + 2.4 |w| / max |w| (max |w| = 3)
    weights = [W2[0][j, i] for j in range(3) for i in range(2)] + [W2[1][0, i] for i in range(3)]
    for line, w in zip(lines, weights):
        assert line.get_linewidth() == pytest.approx(0.6 + 2.4 * abs(w) / 3.0)
        assert to_rgba(line.get_color()) == to_rgba("tab:blue" if w >= 0 else "tab:orange")
        assert line.get_alpha() == 0.7 and line.get_zorder() == 1
    zero = draw_network([1, 1], [np.zeros((1, 1))])
    assert zero.get_lines()[0].get_linewidth() == pytest.approx(0.6)  # all-zero weights: thinnest edges


def test_draw_network_text_styles():
    ax = draw_network(
        [2, 1],
        [np.array([[0.5, -1.5]])],
        values=[[1.0, 2.0], [3.0]],
        grads=[None, [0.5]],
        weight_grads=[[[0.25, 0.75]]],
        biases=[None, [0.1]],
        node_labels=[["a", "b"], ["y"]],
        fmt=".1f",
        title="net",
    )
    t = texts_by_content(ax)
    value = t["3.0"]
    assert value.get_position() == pytest.approx((3.6, 0.0)) and value.get_fontsize() == 8
    assert (value.get_ha(), value.get_va(), value.get_zorder()) == ("center", "center", 5)
    grad = t["∇0.5"]
    assert grad.get_position() == pytest.approx((3.6, -0.3)) and grad.get_fontsize() == 7
    assert (grad.get_ha(), grad.get_va(), grad.get_zorder()) == ("center", "top", 5)
    assert to_rgba(grad.get_color()) == to_rgba("tab:red")
    above = t["y b=0.1"]
    assert above.get_position() == pytest.approx((3.6, 0.3)) and above.get_fontsize() == 7
    assert (above.get_ha(), above.get_va(), above.get_zorder()) == ("center", "bottom", 5)
    assert "a" in t and "b" in t and ax.get_title() == "net"
    weight, wgrad = t["0.5"], t["∇0.2"]
    assert weight.get_position() == wgrad.get_position()
    assert (weight.get_ha(), weight.get_va(), weight.get_fontsize(), weight.get_zorder()) == (
        "center",
        "bottom",
        7,
        3,
    )
    assert (wgrad.get_ha(), wgrad.get_va(), wgrad.get_fontsize(), wgrad.get_zorder()) == (
        "center",
        "top",
        7,
        3,
    )
    assert to_rgba(wgrad.get_color()) == to_rgba("tab:red")
    for label in (weight, wgrad):
        box = label.get_bbox_patch()
        assert to_rgba(box.get_facecolor()) == to_rgba("white", 0.85) and box.get_edgecolor()[3] == 0
        assert box.get_boxstyle().pad == pytest.approx(0.1) and type(box.get_boxstyle()).__name__ == "Round"


def test_draw_network_puts_lone_labels_at_their_preferred_spot():
    # one output node: the label sits half-way; with three output nodes at 1/4, 1/2 and 3/4 of the edge
    ax = draw_network([1, 1], [np.array([[1.0]])])
    assert ax.texts[0].get_position() == pytest.approx((1.8, 0.0))
    ax = draw_network([1, 3], [np.array([[1.0], [2.0], [3.0]])])
    positions = [t.get_position() for t in ax.texts]
    assert np.allclose(positions, [(0.25 * 3.6, 0.25), (0.5 * 3.6, 0.0), (0.75 * 3.6, -0.75)])


def test_draw_network_labels_keep_clear_of_each_other_and_of_the_nodes():
    w = [np.arange(1.0, 10.0).reshape(3, 3) / 10, np.arange(-3.0, 6.0).reshape(3, 3) / 10]
    ax = draw_network(
        [3, 3, 3], w, grads=[None, [1.0, 2.0, 3.0], None], biases=[None, [0.1, 0.2, 0.3], [1.0, 2.0, 3.0]]
    )
    # every weight label sits on the grid of 13 spots from 0.2 to 0.8 of its edge
    lines = ax.get_lines()
    weight_texts = [t for t in ax.texts if t.get_va() == "bottom" and t.get_zorder() == 3]
    assert len(weight_texts) == len(lines) == 18
    for line, text in zip(lines, weight_texts):
        (x0, x1) = line.get_xdata()
        t = (text.get_position()[0] - x0) / (x1 - x0)
        assert any(abs(t - s) < 1e-9 for s in np.linspace(0.2, 0.8, 13)), t
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in weight_texts]
    overlaps = sum(a.overlaps(b) for k, a in enumerate(boxes) for b in boxes[k + 1 :])
    assert overlaps == 0
    circles = [p.get_window_extent(renderer) for p in ax.patches if isinstance(p, Circle)]
    assert not any(b.overlaps(c) for b in boxes for c in circles)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda w: draw_network([2], []), "layer_sizes must be at least two positive ints, got [2]"),
        (
            lambda w: draw_network([2, 0], [np.ones((0, 2))]),
            "layer_sizes must be at least two positive ints, got [2, 0]",
        ),
        (
            lambda w: draw_network([2.0, 3], [np.ones((3, 2))]),
            "layer_sizes must be at least two positive ints, got [2.0, 3]",
        ),
        (lambda w: draw_network([2, 3, 1], w[:1]), "3 layers need 2 weight matrices, got 1"),
        (
            lambda w: draw_network([2, 3, 1], [np.ones(6), w[1]]),
            "weights[0] must be a 2-D (out, in) matrix, got shape (6,)",
        ),
        (
            lambda w: draw_network([2, 3, 1], [np.ones((2, 3)), w[1]]),
            "weights[0] has shape (2, 3), expected (out, in) = (3, 2); "
            "transpose it if it is stored (in, out)",
        ),
        (
            lambda w: draw_network([2, 3, 1], w, weight_grads=[None]),
            "weight_grads needs 2 matrices (or None entries), got 1",
        ),
        (
            lambda w: draw_network([2, 3, 1], w, weight_grads=[None, np.ones((3, 1))]),
            "weight_grads[1] has shape (3, 1), expected (1, 3)",
        ),
        (
            lambda w: draw_network([2, 3, 1], w, weight_grads=[None, np.ones(3)]),
            "weight_grads[1] must be a 2-D (out, in) matrix, got shape (3,)",
        ),
        (
            lambda w: draw_network([2, 3, 1], w, grads=[None, None]),
            "grads needs one entry per layer (3), got 2; use None to skip a layer",
        ),
        (
            lambda w: draw_network([2, 3, 1], w, biases=[None, [1.0, 2.0], None]),
            "biases[1] has 2 values but layer 1 has 3 nodes",
        ),
        (
            lambda w: draw_network([2, 3, 1], w, node_labels=[["a"], ["b"], ["c"]]),
            "node_labels must have [2, 3, 1] names per layer",
        ),
    ],
)
def test_draw_network_messages(call, message):
    with pytest.raises(ValueError, match=exact(message)):
        call([np.ones((3, 2)), np.ones((1, 3))])


def test_draw_network_accepts_numpy_sizes_tensors_and_skipped_layers():
    w = [torch.tensor([[1.0, -1.0]], requires_grad=True)]
    ax = draw_network(
        np.array([2, 1]),
        w,
        weight_grads=[torch.tensor([[0.5, 0.25]])],
        values=[None, torch.tensor([2.0])],
        grads=[torch.tensor([0.1, 0.2]), None],
    )
    texts = [t.get_text() for t in ax.texts]
    assert sorted(texts) == sorted(["2.00", "∇0.10", "∇0.20", "1.00", "-1.00", "∇0.50", "∇0.25"])
    ax = draw_network([2, 1], [np.array([[1.0, -1.0]])], weight_grads=[None])
    assert sorted(t.get_text() for t in ax.texts) == ["-1.00", "1.00"]


def test_show_grid_defaults_and_tensors_that_require_grad():
    from hwlib.plotting import show_grid

    w = torch.tensor(
        [[1e-5, -2.0]], dtype=torch.float64, requires_grad=True
    )  # a parameter, straight from a model
    ax = show_grid(w)
    assert [t.get_text() for t in ax.texts] == ["1e-05", "-2"]  # the default format is "g"
    assert np.array_equal(ax.get_images()[0].get_array(), [[1e-5, -2.0]])
    # no grid even where a notebook adds ticks afterwards
    ax.set_xticks([0, 1])
    ax.set_yticks([0])
    ax.figure.canvas.draw()
    assert not any(line.get_visible() for line in ax.get_xgridlines() + ax.get_ygridlines())


def test_draw_network_default_format_writes_nan_in_lower_case():
    ax = draw_network([1, 1], [np.array([[math.nan]])], values=[[math.inf], None])
    assert sorted(t.get_text() for t in ax.texts) == ["inf", "nan"]


def test_table_drops_the_sign_of_zero_whatever_the_fill_character():
    t = Table([{"x": -1e-9}, {"x": -0.5}], floatfmt="X=8.3f")
    assert t._cells() == [["XX0.000"], ["-XX0.500"]]


def _label_clearance(ax):
    """Overlaps of rendered weight labels with each other and with the other texts and the nodes."""
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    weight_texts = [t for t in ax.texts if t.get_zorder() == 3]
    other_texts = [t for t in ax.texts if t.get_zorder() != 3]
    labels = [t.get_window_extent(renderer).shrunk(0.98, 0.9) for t in weight_texts]
    others = [t.get_window_extent(renderer) for t in other_texts]
    others += [p.get_window_extent(renderer) for p in ax.patches if isinstance(p, Circle)]
    among = sum(a.overlaps(b) for k, a in enumerate(labels) for b in labels[k + 1 :])
    return among, sum(a.overlaps(b) for a in labels for b in others)


@pytest.mark.parametrize(
    "sizes, fmt",
    [([3, 3, 3], ".6f"), ([2, 5, 2], ".3f"), ([4, 3], ".4f"), ([1, 4, 1], ".10f")],
)
def test_draw_network_labels_stay_readable_in_crowded_drawings(sizes, fmt):
    rng = np.random.default_rng(0)
    weights = [rng.uniform(-1, 1, (n_out, n_in)) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    ax = draw_network(
        sizes,
        weights,
        grads=[None] + [rng.uniform(-1, 1, n) for n in sizes[1:]],
        biases=[None] + [rng.uniform(-1, 1, n) for n in sizes[1:]],
        weight_grads=[rng.uniform(-1, 1, w.shape) for w in weights],
        fmt=fmt,
    )
    assert _label_clearance(ax) == (0, 0)


def _moved_without_need(ax, margin):
    """Weight labels away from their preferred spot although it is free (rendered, with a margin)."""
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    lines = ax.get_lines()
    labels = [t for t in ax.texts if t.get_zorder() == 3 and t.get_va() == "bottom"]
    fixed = [t.get_window_extent(renderer) for t in ax.texts if t.get_zorder() != 3]
    fixed += [p.get_window_extent(renderer) for p in ax.patches if isinstance(p, Circle)]
    n_out = {}
    for line in lines:
        n_out.setdefault(line.get_xdata()[1], set()).add(line.get_ydata()[1])
    moved = []
    for k, (line, label) in enumerate(zip(lines, labels)):
        (x0, x1), (y0, y1) = line.get_xdata(), line.get_ydata()
        ends = sorted(n_out[x1], reverse=True)
        j = ends.index(y1)
        preferred = 0.5 if len(ends) == 1 else 0.25 + 0.5 * j / (len(ends) - 1)
        where = label.get_position()
        label.set_position((x0 + preferred * (x1 - x0), y0 + preferred * (y1 - y0)))
        box = label.get_window_extent(renderer).expanded(1 + margin, 1 + margin)
        label.set_position(where)
        earlier = [t.get_window_extent(renderer) for t in labels[:k]]
        free = not any(box.overlaps(b) for b in fixed + earlier)
        if free and abs(where[0] - (x0 + preferred * (x1 - x0))) > 1e-9:
            moved.append(k)
    return moved


@pytest.mark.parametrize(
    "sizes, fmt", [([3, 3, 3], ".6f"), ([3, 2], ".4f"), ([1, 3], ".20f"), ([2, 2], ".2f")]
)
def test_draw_network_keeps_a_label_at_its_preferred_spot_when_that_is_free(sizes, fmt):
    rng = np.random.default_rng(1)
    weights = [rng.uniform(-1, 1, (n_out, n_in)) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    ax = draw_network(
        sizes,
        weights,
        grads=[None] + [rng.uniform(-1, 1, n) for n in sizes[1:]],
        biases=[None] + [rng.uniform(-1, 1, n) for n in sizes[1:]],
        fmt=fmt,
    )
    assert _moved_without_need(ax, margin=0.3) == []
    assert _label_clearance(ax) == (0, 0)
