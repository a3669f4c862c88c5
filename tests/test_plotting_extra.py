"""hwlib.plotting: learning curves, log-log timing plots and network drawings."""

import math
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from hwlib.plotting import Table, draw_network, plot_history, plot_timings


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def history_rows(epochs=3):
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


def line_data(ax):
    return {line.get_label(): list(line.get_ydata()) for line in ax.get_lines()}


def test_plot_history_from_rows_draws_loss_and_accuracy_per_split():
    ax_loss, ax_acc = plot_history(history_rows(), title="MLP")
    assert line_data(ax_loss) == {"train": [1.0, 0.5, 1 / 3], "val": [1.2, 0.6, 1.2 / 3]}
    assert set(line_data(ax_acc)) == {"train", "val"}
    assert list(ax_loss.get_lines()[0].get_xdata()) == [1, 2, 3]
    assert ax_acc.get_ylabel() == "accuracy"


@dataclass
class Record:
    epoch: int
    train_loss: float
    train_acc: float
    val_loss: float = math.nan
    val_acc: float = math.nan


class FakeHistory:
    """Shaped like hwlib.train.History: records and a rows() method."""

    def __init__(self, records):
        self.records = records

    def rows(self):
        return [vars(r).copy() for r in self.records]


def test_plot_history_accepts_columns_dataclasses_and_history_objects():
    columns = {"train_loss": [0.9, 0.5], "train_acc": [0.6, 0.8]}
    ax_loss, _ = plot_history(columns)
    assert list(ax_loss.get_lines()[0].get_xdata()) == [1, 2]  # no epoch column: 1, 2, ...
    records = [Record(1, 0.9, 0.6), Record(2, 0.5, 0.8)]
    for history in (records, FakeHistory(records)):
        ax_loss, ax_acc = plot_history(history)
        assert set(line_data(ax_loss)) == {"train"}  # all-NaN validation columns are left out
        assert line_data(ax_acc) == {"train": [0.6, 0.8]}


def test_plot_history_rejects_bad_input():
    with pytest.raises(ValueError, match="empty"):
        plot_history([])
    with pytest.raises(ValueError, match="no '\\*_loss' or '\\*_acc' columns"):
        plot_history([{"epoch": 1, "loss": 0.3}])
    with pytest.raises(ValueError, match="row 1 lacks"):
        plot_history([{"train_loss": 1.0}, {"epoch": 2}])
    with pytest.raises(ValueError, match="different lengths"):
        plot_history({"train_loss": [1.0, 0.5], "val_loss": [1.0]})
    with pytest.raises(TypeError, match="list of per-epoch dicts"):
        plot_history(3)
    with pytest.raises(TypeError, match="mapping"):
        plot_history([1, 2])


def sweep_rows():
    sizes = [10, 50, 200, 1000]
    return [{"series": "cpu", "size": n, "median_ms": 1e-6 * n**3} for n in sizes] + [
        {"series": "gpu", "size": n, "median_ms": 1.0} for n in sizes
    ]


def test_plot_timings_is_log_log_with_one_line_per_series_and_the_crossover():
    ax = plot_timings(Table(sweep_rows()), crossover=("cpu", "gpu"), title="matmul")
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels[:2] == ["cpu", "gpu"] and labels[2] == "crossover ≈ 100"
    assert ax.get_lines()[2].get_xdata()[0] == pytest.approx(100.0)
    assert ax.get_ylabel() == "time (ms)"


def test_plot_timings_says_when_series_do_not_cross():
    rows = [
        {"series": s, "size": n, "median_ms": v * n} for s, v in (("a", 1.0), ("b", 2.0)) for n in (1, 10)
    ]
    ax = plot_timings(rows, crossover=("a", "b"))
    assert "a and b do not cross" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_plot_timings_rejects_bad_tables():
    with pytest.raises(ValueError, match="empty"):
        plot_timings([])
    with pytest.raises(KeyError, match="no column 'size'"):
        plot_timings([{"series": "a", "n": 1, "median_ms": 1.0}])
    with pytest.raises(ValueError, match="positive"):
        plot_timings([{"series": "a", "size": 1, "median_ms": 0.0}])


def test_draw_network_writes_every_number():
    sizes = [2, 3, 1]
    weights = [torch.arange(6.0).reshape(3, 2) - 2.5, np.array([[0.5, -1.0, 2.0]])]
    ax = draw_network(
        sizes,
        weights,
        values=[[1.0, 2.0], None, [-0.25]],
        grads=[None, [0.1, 0.2, 0.3], [1.0]],
        weight_grads=[None, [[0.01, 0.02, 0.03]]],
        biases=[None, [0.0, 0.1, 0.2], [0.3]],
        node_labels=[["x1", "x2"], ["h1", "h2", "h3"], ["y"]],
        title="net",
    )
    circles = [p for p in ax.patches if isinstance(p, matplotlib.patches.Circle)]
    assert len(circles) == 6
    texts = [t.get_text() for t in ax.texts]
    assert len(ax.get_lines()) == 2 * 3 + 3 * 1  # one line per edge
    for expected in (
        "1.00",
        "-0.25",
        "∇0.20",
        "-2.50",
        "2.50",
        "-1.00",
        "∇0.03",
        "h2 b=0.10",
        "y b=0.30",
        "x1",
    ):
        assert expected in texts, expected
    # node values 2 + 1, node grads 3 + 1, weights 6 + 3, weight grads 3, labels above 6 nodes
    assert len(texts) == 3 + 4 + 9 + 3 + 6
    assert ax.get_title() == "net"


def test_draw_network_rejects_shapes_that_do_not_fit():
    w = [np.ones((3, 2)), np.ones((1, 3))]
    with pytest.raises(ValueError, match="at least two positive ints"):
        draw_network([2], [])
    with pytest.raises(ValueError, match="need 2 weight matrices"):
        draw_network([2, 3, 1], w[:1])
    with pytest.raises(ValueError, match=r"expected \(out, in\) = \(3, 2\); transpose"):
        draw_network([2, 3, 1], [np.ones((2, 3)), w[1]])
    with pytest.raises(ValueError, match="values\\[1\\] has 2 values but layer 1 has 3 nodes"):
        draw_network([2, 3, 1], w, values=[None, [1, 2], None])
    with pytest.raises(ValueError, match="one entry per layer"):
        draw_network([2, 3, 1], w, grads=[None, None])
    with pytest.raises(ValueError, match="weight_grads\\[0\\] has shape"):
        draw_network([2, 3, 1], w, weight_grads=[np.ones((2, 2)), None])
    with pytest.raises(ValueError, match="2-D"):
        draw_network([2, 3, 1], [np.ones(6), w[1]])
    with pytest.raises(ValueError, match="node_labels"):
        draw_network([2, 3, 1], w, node_labels=[["a"], ["b"], ["c"]])


def test_draw_network_reads_tensors_of_any_shape_and_int_grids():
    from hwlib.plotting import autograd_derivative

    # per-layer values given as tensors, one as a column: read as flat float arrays
    ax = draw_network(
        [2, 1],
        [np.array([[1.0, -1.0]])],
        values=[torch.tensor([[0.5], [1.5]]), torch.tensor([2.0], requires_grad=True)],
    )
    texts = [t.get_text() for t in ax.texts]
    assert "0.50" in texts and "1.50" in texts and "2.00" in texts
    with pytest.raises(ValueError, match=r"^values\[0\] has 3 values but layer 0 has 2 nodes$"):
        draw_network([2, 1], [np.array([[1.0, -1.0]])], values=[torch.zeros(3, 1), None])
    # an integer grid is differentiated in float64
    d = autograd_derivative(lambda t: t**2, [0, 1, 2])
    assert np.array_equal(d, [0.0, 2.0, 4.0]) and d.dtype == np.float64
    plt.close("all")


def test_draw_network_geometry_follows_its_docstring():
    from matplotlib.colors import to_rgba

    sizes = [2, 3, 1]
    w0 = np.array([[1.0, -2.0], [0.5, 3.0], [-0.25, 0.0]])
    w1 = np.array([[2.0, -1.0, 0.75]])
    ax = draw_network(sizes, [w0, w1], grads=[None, [0.1, 0.2, 0.3], None], biases=[None, None, [0.5]])
    circles = [p for p in ax.patches if isinstance(p, matplotlib.patches.Circle)]
    centres = [tuple(c.center) for c in circles]
    layers = [centres[:2], centres[2:5], centres[5:]]
    xs = [layer[0][0] for layer in layers]
    # layers left to right at equal spacing; nodes of a layer share x, top to bottom, centred on y = 0
    assert xs[0] < xs[1] < xs[2] and xs[1] - xs[0] == pytest.approx(xs[2] - xs[1])
    for layer in layers:
        assert len({x for x, _ in layer}) == 1
        ys = [y for _, y in layer]
        assert ys == sorted(ys, reverse=True) and sum(ys) == pytest.approx(0.0)
        assert all(a - b == pytest.approx(1.0) for a, b in zip(ys, ys[1:]))
    assert len({c.radius for c in circles}) == 1
    r = circles[0].radius
    # one line per edge, from input node i to output node j, coloured by the weight's sign
    lines = ax.get_lines()
    edges = {}
    for line in lines:
        (x0, x1), (y0, y1) = line.get_xdata(), line.get_ydata()
        li = xs.index(x0)
        i, j = layers[li].index((x0, y0)), layers[li + 1].index((x1, y1))
        edges[(li, j, i)] = line
    assert len(edges) == len(lines) == 2 * 3 + 3 * 1
    weights = {(0, j, i): w0[j, i] for j in range(3) for i in range(2)}
    weights.update({(1, 0, i): w1[0, i] for i in range(3)})
    for key, w in weights.items():
        expected = "tab:blue" if w >= 0 else "tab:orange"
        assert to_rgba(edges[key].get_color()) == to_rgba(expected), key
    # edge width grows linearly with |w|: widths against |w| lie on one increasing line
    a = np.array([abs(w) for w in weights.values()])
    lw = np.array([edges[k].get_linewidth() for k in weights])
    slope, intercept = np.polyfit(a, lw, 1)
    assert slope > 0 and intercept > 0 and np.allclose(slope * a + intercept, lw)
    # each weight is written on its own edge, between a fifth and four fifths of the way
    texts = {t.get_text(): t for t in ax.texts}
    for key, w in weights.items():
        (x0, x1), (y0, y1) = edges[key].get_xdata(), edges[key].get_ydata()
        tx, ty = texts[format(w, ".2f")].get_position()
        t = (tx - x0) / (x1 - x0)
        assert 0.2 - 1e-9 <= t <= 0.8 + 1e-9 and ty == pytest.approx(y0 + t * (y1 - y0)), key
    # node gradients in red under their node, the bias above its node
    for i, g in enumerate([0.1, 0.2, 0.3]):
        text = texts[f"∇{g:.2f}"]
        x, y = layers[1][i]
        assert text.get_position()[0] == x and text.get_position()[1] < y - r
        assert to_rgba(text.get_color()) == to_rgba("tab:red")
    bias = texts["b=0.50"]
    assert bias.get_position()[0] == layers[2][0][0] and bias.get_position()[1] > layers[2][0][1] + r
    plt.close("all")
