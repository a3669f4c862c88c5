import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch

from hwlib import Table, plot_function_and_derivative, show_grid
from hwlib.models import BINARY_INPUTS, ThresholdNetwork, heaviside, single_unit_solutions, truth_table
from hwlib.plotting import autograd_derivative


def test_autograd_derivative_and_elementwise_guard():
    xs = np.linspace(-1, 1, 5)
    assert np.allclose(autograd_derivative(torch.sin, xs), np.cos(xs))
    with pytest.raises(ValueError, match="element-wise"):
        autograd_derivative(lambda t: t.sum(), xs)


def test_plot_function_and_derivative_draws_three_lines():
    ax = plot_function_and_derivative(torch.tanh, lambda t: 1 - torch.tanh(t) ** 2, name="tanh")
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels[:3] == ["tanh(x)", "tanh'(x), derived", "tanh'(x), autograd"]
    with pytest.raises(ValueError, match="1-D grid"):
        plot_function_and_derivative(torch.tanh, xs=[1.0])


def test_table_text_and_html_are_deterministic():
    t = Table([{"x": 0.5, "name": "a"}, {"x": 1.25, "name": "b"}], floatfmt=".2f", title="T")
    assert repr(t) == "T\n   x  name\n----  ----\n0.50     a\n1.25     b"
    assert "<td>1.25</td>" in t._repr_html_() and "<caption>T</caption>" in t._repr_html_()
    assert t["x"] == [0.5, 1.25]
    with pytest.raises(KeyError, match="columns"):
        t["y"]
    with pytest.raises(ValueError, match="columns"):
        Table([{"x": 1}, {"y": 2}])
    with pytest.raises(ValueError, match="at least one row"):
        Table([])


def test_show_grid_rejects_vectors():
    show_grid(torch.eye(2))
    with pytest.raises(ValueError, match="2-D"):
        show_grid(np.zeros(3))


def test_threshold_network_and_gate():
    and_gate = ThresholdNetwork([([1.0, 1.0], [-1.5])])
    assert [r["out"] for r in truth_table(and_gate)] == [0, 0, 0, 1]
    assert heaviside(torch.tensor([0.0, -1e-9])).tolist() == [1.0, 0.0]


def test_threshold_network_shape_errors():
    with pytest.raises(ValueError, match="at least one"):
        ThresholdNetwork([])
    with pytest.raises(ValueError, match="expects 3 inputs"):
        ThresholdNetwork([(torch.ones(2, 2), torch.zeros(2)), (torch.ones(1, 3), torch.zeros(1))])
    net = ThresholdNetwork([([1.0, 1.0], [-1.5])])
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        net(torch.ones(3))


def test_single_unit_search_finds_and_but_not_xor():
    grid = np.linspace(-2, 2, 17)
    assert len(single_unit_solutions([0, 0, 0, 1], grid)) > 0
    assert len(single_unit_solutions([0, 1, 1, 0], grid)) == 0
    with pytest.raises(ValueError, match="one entry per input row"):
        single_unit_solutions([0, 1], grid, BINARY_INPUTS)
