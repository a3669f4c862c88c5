import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from hwlib import Table, plot_function_and_derivative, show_grid
from hwlib.models import (
    BINARY_INPUTS,
    ThresholdNetwork,
    all_boolean_functions,
    heaviside,
    single_unit_solutions,
    truth_table,
)
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


def test_show_grid_draws_the_matrix_with_its_values():
    m = torch.tensor([[1.0, -2.5, 0.0], [4.0, 0.25, -1.0]])
    ax = show_grid(m, title="W", fmt=".2f")
    (image,) = ax.get_images()
    assert np.array_equal(image.get_array(), m.numpy())
    assert image.get_clim() == (-4.0, 4.0)  # symmetric about 0, so the colour of 0 is the middle
    texts = [(t.get_position(), t.get_text()) for t in ax.texts]
    assert texts == [
        ((0, 0), "1.00"),
        ((1, 0), "-2.50"),
        ((2, 0), "0.00"),
        ((0, 1), "4.00"),
        ((1, 1), "0.25"),
        ((2, 1), "-1.00"),
    ]
    assert ax.get_title() == "W" and list(ax.get_xticks()) == [] and list(ax.get_yticks()) == []
    assert image.get_cmap().name == "coolwarm"
    assert tuple(ax.figure.get_size_inches()) == pytest.approx((0.6 * 3 + 1, 0.6 * 2 + 0.6))
    # on a given axis, an all-zero matrix still gets a colour range
    fig, given = plt.subplots()
    assert show_grid(np.zeros((2, 2)), ax=given) is given and given.get_images()[0].get_clim() == (-1.0, 1.0)
    assert [t.get_text() for t in given.texts] == ["0"] * 4 and given.get_title() == ""
    plt.close("all")
    with pytest.raises(ValueError, match="2-D"):
        show_grid(np.zeros(3))


def test_threshold_network_and_gate():
    and_gate = ThresholdNetwork([([1.0, 1.0], [-1.5])])
    assert [r["out"] for r in truth_table(and_gate)] == [0, 0, 0, 1]
    assert heaviside(torch.tensor([0.0, -1e-9])).tolist() == [1.0, 0.0]


def test_two_layer_threshold_network_computes_xor():
    # hidden units OR (x1 + x2 - 0.5 >= 0) and NAND (-x1 - x2 + 1.5 >= 0); output AND of the two
    xor = ThresholdNetwork([([[1.0, 1.0], [-1.0, -1.0]], [-0.5, 1.5]), ([[1.0, 1.0]], [-1.5])])
    assert xor.n_inputs == 2
    assert xor(BINARY_INPUTS).tolist() == [0.0, 1.0, 1.0, 0.0]
    assert [r["out"] for r in truth_table(xor)] == [0, 1, 1, 0]
    # a layer with two outputs keeps its (N, 2) shape: OR and NAND, row by row
    hidden = ThresholdNetwork([([[1.0, 1.0], [-1.0, -1.0]], [-0.5, 1.5])])
    assert hidden(BINARY_INPUTS).tolist() == [[0.0, 1.0], [1.0, 1.0], [1.0, 1.0], [1.0, 0.0]]


def test_all_boolean_functions():
    fs = all_boolean_functions()
    assert len(fs) == 16 and len(set(fs)) == 16 and all(len(f) == 4 for f in fs)
    assert fs[0] == (0, 0, 0, 0) and fs[-1] == (1, 1, 1, 1) and (0, 1, 1, 0) in fs and (0, 0, 0, 1) in fs
    assert fs == sorted(fs)  # in counting order
    assert all_boolean_functions(1) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert len(all_boolean_functions(3)) == 256
    # exactly 14 of the 16 two-input functions are one threshold unit (all but XOR and XNOR)
    grid = np.linspace(-2, 2, 17)
    separable = [f for f in fs if len(single_unit_solutions(list(f), grid)) > 0]
    assert len(separable) == 14 and (0, 1, 1, 0) not in separable and (1, 0, 0, 1) not in separable


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


def test_plot_function_and_derivative_draws_the_numbers():
    ax = plot_function_and_derivative(torch.tanh, lambda t: 1 - torch.tanh(t) ** 2)
    f_line, d_line, markers = ax.get_lines()[:3]
    grid = np.linspace(-4, 4, 401)  # the default grid: [-4, 4], 401 points
    assert np.array_equal(f_line.get_xdata(), grid) and np.allclose(
        f_line.get_ydata(), np.tanh(grid), atol=1e-15
    )
    assert np.array_equal(d_line.get_xdata(), grid)
    assert np.allclose(d_line.get_ydata(), 1 - np.tanh(grid) ** 2, atol=1e-15)
    # 25 autograd markers, evenly spread over the grid, first and last point included
    idx = [round(i * 400 / 24) for i in range(25)]
    assert np.array_equal(markers.get_xdata(), grid[idx])
    assert np.allclose(markers.get_ydata(), 1 - np.tanh(grid[idx]) ** 2, atol=1e-12)
    assert (markers.get_marker(), markers.get_linestyle(), markers.get_markersize()) == ("o", "None", 4)
    assert markers.get_markerfacecolor() == "none"
    labels = [line.get_label() for line in ax.get_lines()[:3]]
    assert labels == ["f(x)", "f'(x), derived", "f'(x), autograd"]  # the default name is f
    zero = ax.get_lines()[3]
    assert list(zero.get_ydata()) == [0, 0] and zero.get_linewidth() == 0.8 and zero.get_color() == "0.5"
    assert ax.get_xlabel() == "x" and ax.get_legend() is not None
    plt.close("all")


def test_plot_function_and_derivative_options():
    fig, given = plt.subplots()
    xs = [0.0, 0.5]  # two points are enough
    ax = plot_function_and_derivative(torch.sin, xs=xs, ax=given, autograd_markers=2)
    assert ax is given and len(ax.get_lines()) == 3  # f, markers, the zero line: no derived curve
    f_line, markers = ax.get_lines()[:2]
    assert np.array_equal(f_line.get_xdata(), xs) and np.allclose(f_line.get_ydata(), np.sin(xs), atol=1e-15)
    assert np.allclose(markers.get_ydata(), np.cos(xs), atol=1e-12)
    ax = plot_function_and_derivative(torch.sin, xs=np.array([1, 2, 3]), autograd_markers=0)
    assert len(ax.get_lines()) == 2 and ax.get_lines()[0].get_xdata().dtype == np.float64
    with pytest.raises(ValueError, match=r"^xs must be a 1-D grid with at least two points$"):
        plot_function_and_derivative(torch.sin, xs=[1.0])
    plt.close("all")


def test_show_grid_text_style_and_no_grid():
    import matplotlib as mpl

    with mpl.rc_context({"axes.grid": True}):  # the book's style turns grids on; a heat map has none
        ax = show_grid([[1.0, 2.0]])
    text = ax.texts[0]
    assert (text.get_ha(), text.get_va(), text.get_fontsize()) == ("center", "center", 9)
    assert not any(line.get_visible() for line in ax.get_xgridlines() + ax.get_ygridlines())
    plt.close("all")


def test_table_html_is_exact():
    t = Table([{"x": 0.5, "name": "a<b"}, {"x": 1.25, "name": "c"}], floatfmt=".2f", title="T & U")
    assert t._repr_html_() == (
        '<table class="hwlib-table"><caption>T &amp; U</caption>'
        "<thead><tr><th>x</th><th>name</th></tr></thead>"
        "<tbody><tr><td>0.50</td><td>a&lt;b</td></tr><tr><td>1.25</td><td>c</td></tr></tbody></table>"
    )
    plain = Table([{"x": 1}])
    assert plain._repr_html_() == (
        '<table class="hwlib-table"><thead><tr><th>x</th></tr></thead>'
        "<tbody><tr><td>1</td></tr></tbody></table>"
    )


def test_threshold_network_checks_widths_between_layers():
    # 3 inputs -> 2 units -> 1 unit: the second layer takes the first layer's 2 outputs
    net = ThresholdNetwork([(torch.ones(2, 3), torch.zeros(2)), (torch.ones(1, 2), torch.zeros(1))])
    assert net.n_inputs == 3 and net(torch.ones(4, 3)).shape == (4,)
    with pytest.raises(ValueError, match=r"^layer 1 expects 3 inputs but layer 0 gives 2$"):
        ThresholdNetwork([(torch.ones(2, 3), torch.zeros(2)), (torch.ones(1, 3), torch.zeros(1))])


def test_coordinate_grid_values_dtype_and_limits():
    from hwlib.models import coordinate_grid

    g = coordinate_grid(2, 3, dtype=torch.float64)
    assert g.dtype == torch.float64
    assert g.tolist() == [[-1.0, -1.0], [-1.0, 0.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 0.0], [1.0, 1.0]]
    assert coordinate_grid(2).dtype == torch.float32 and coordinate_grid(2).shape == (4, 2)
    for bad in (1, 2.0, True):
        with pytest.raises(ValueError, match=rf"^width must be an int >= 2, got {bad!r}$"):
            coordinate_grid(3, bad)
