"""hwlib.models, checked against independent references: closed forms, torch.nn / torch.nn.functional,
brute-force loops and the documented behaviour (defaults, error messages, reprs)."""

from __future__ import annotations

import itertools
import math
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from hwlib.models import (
    BINARY_INPUTS,
    MLP_ACTIVATIONS,
    Chain,
    CrossEntropy,
    Flatten,
    Linear,
    ReLU,
    SineLayer,
    ThresholdNetwork,
    coordinate_grid,
    coordinate_mlp,
    hand_mlp,
    heaviside,
    mlp,
    sgd_step,
    single_unit_solutions,
    siren,
    siren_bound,
    truth_table,
)


def exact(message: str) -> str:
    """A pattern that matches ``message`` and nothing else."""
    return "^" + re.escape(message) + "$"


# --------------------------------------------------------------------------- threshold units


def test_heaviside_keeps_the_dtype():
    for dtype in (torch.float32, torch.float64):
        out = heaviside(torch.tensor([-1.0, 0.0, 2.0], dtype=dtype))
        assert out.dtype == dtype and out.tolist() == [0.0, 1.0, 1.0]


def test_threshold_network_reads_any_input_as_float64():
    and_gate = ThresholdNetwork([([1, 1], [-1.5])])  # integer weights
    w, b = and_gate.layers[0]
    assert w.dtype == b.dtype == torch.float64 and w.shape == (1, 2) and b.shape == (1,)
    # integer lists and float32 tensors are read as float64 like the weights
    assert and_gate([[0, 0], [0, 1], [1, 0], [1, 1]]).tolist() == [0.0, 0.0, 0.0, 1.0]
    assert and_gate(torch.ones(3, 2, dtype=torch.float32)).tolist() == [1.0, 1.0, 1.0]
    # a scalar bias is one unit's bias
    assert ThresholdNetwork([([1.0, 1.0], -0.5)])(BINARY_INPUTS).tolist() == [0.0, 1.0, 1.0, 1.0]


@pytest.mark.parametrize(
    "layers, message",
    [
        (
            [(torch.ones(2, 2, 2), torch.zeros(2))],
            "layer 0: W must be (units_out, units_in) and b (units_out,), got W (2, 2, 2) and b (2,)",
        ),
        (
            [(torch.ones(3, 2), torch.zeros(2))],
            "layer 0: W must be (units_out, units_in) and b (units_out,), got W (3, 2) and b (2,)",
        ),
        (
            [(torch.ones(2, 3), torch.zeros(2)), (torch.ones(1, 2), torch.zeros(3))],
            "layer 1: W must be (units_out, units_in) and b (units_out,), got W (1, 2) and b (3,)",
        ),
        ([], "a ThresholdNetwork needs at least one (W, b) layer"),
    ],
)
def test_threshold_network_rejects_bad_layers(layers, message):
    with pytest.raises(ValueError, match=exact(message)):
        ThresholdNetwork(layers)


def test_threshold_network_rejects_bad_inputs():
    net = ThresholdNetwork([(torch.ones(2, 3), torch.zeros(2))])
    assert net(torch.zeros(5, 3)).shape == (5, 2)
    for bad, shape in (
        (torch.ones(3), "(3,)"),
        (torch.ones(4, 2), "(4, 2)"),
        (torch.ones(1, 3, 1), "(1, 3, 1)"),
    ):
        with pytest.raises(ValueError, match=exact(f"input must have shape (N, 3), got {shape}")):
            net(bad)


def test_truth_table_rows_are_exact():
    nand = ThresholdNetwork([([-1.0, -1.0], [1.5])])
    assert truth_table(nand) == [
        {"A": 0, "B": 0, "out": 1},
        {"A": 0, "B": 1, "out": 1},
        {"A": 1, "B": 0, "out": 1},
        {"A": 1, "B": 1, "out": 0},
    ]
    # other inputs can be given, and a two-unit output is read row by row
    inputs = torch.tensor([[1.0, 1.0], [0.0, 0.0]], dtype=torch.float64)
    assert truth_table(nand, inputs) == [{"A": 1, "B": 1, "out": 0}, {"A": 0, "B": 0, "out": 1}]


def _brute_force_units(targets, grid):
    """Every (w1, w2, b) on grid^3 whose unit reproduces targets, by plain loops."""
    found = []
    for w1, w2, b in itertools.product(grid, repeat=3):
        outs = [1 if w1 * x1 + w2 * x2 + b >= 0 else 0 for x1, x2 in ((0, 0), (0, 1), (1, 0), (1, 1))]
        if outs == list(targets):
            found.append([float(w1), float(w2), float(b)])
    return found


@pytest.mark.parametrize("targets", [(0, 0, 0, 1), (0, 1, 1, 1), (1, 1, 0, 0), (0, 1, 1, 0), (1, 1, 1, 1)])
def test_single_unit_solutions_match_a_brute_force_search(targets):
    grid = [-2, -1, 0, 1, 2]  # an integer grid is read as float64
    found = single_unit_solutions(list(targets), grid)
    assert found.dtype == torch.float64 and found.shape[1] == 3
    assert sorted(found.tolist()) == sorted(_brute_force_units(targets, grid))


def test_single_unit_solutions_compare_targets_exactly_and_check_their_count():
    grid = np.linspace(-2, 2, 9)
    assert len(single_unit_solutions([0, 0, 0, 1], grid)) > 0
    # a target a hair above 1 is not an output a threshold unit can give (compared in float64)
    assert len(single_unit_solutions([0, 0, 0, 1 + 1e-12], grid)) == 0
    with pytest.raises(ValueError, match=exact("targets must have one entry per input row (4), got (3,)")):
        single_unit_solutions([0, 1, 1], grid)
    three = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=torch.float64)
    assert len(single_unit_solutions([0, 1, 1], grid, three)) > 0


# --------------------------------------------------------------------------- SIREN


def test_siren_bound_closed_forms_and_checks():
    assert siren_bound(4, 30.0, is_first=True) == 0.25
    assert siren_bound(1, 30.0, is_first=True) == 1.0  # fan_in 1 is allowed
    assert siren_bound(6, 2.0, is_first=False) == pytest.approx(0.5)  # sqrt(6/6) / 2
    assert siren_bound(24, 0.5, is_first=False) == pytest.approx(1.0)  # omega0 below 1 is allowed
    for bad in (0, -3, 2.0, True):
        with pytest.raises(ValueError, match=exact(f"fan_in must be a positive int, got {bad!r}")):
            siren_bound(bad, 30.0, is_first=False)
    for bad in (0.0, -1.0):
        with pytest.raises(ValueError, match=exact(f"omega0 must be positive, got {bad!r}")):
            siren_bound(4, bad, is_first=False)


def _reference_linear(n_in, n_out, bound=None):
    """nn.Linear with PyTorch's default initialisation, then optionally U(-bound, bound) weights."""
    layer = nn.Linear(n_in, n_out)
    if bound is not None:
        with torch.no_grad():
            layer.weight.uniform_(-bound, bound)
    return layer


def test_sine_layer_defaults_and_forward():
    torch.manual_seed(0)
    layer = SineLayer(3, 5)
    assert layer.omega0 == 30.0 and type(layer.omega0) is float and layer.is_first is False
    assert layer.linear.bias is not None and layer.linear.in_features == 3 and layer.linear.out_features == 5
    assert layer.extra_repr() == "omega0=30, is_first=False"
    assert SineLayer(3, 5, omega0=1.5, is_first=1).extra_repr() == "omega0=1.5, is_first=True"
    assert SineLayer(3, 5, omega0=0.5).omega0 == 0.5  # any positive omega0, below 1 too
    assert SineLayer(3, 5, bias=False).linear.bias is None
    assert SineLayer(3, 5, bias=True).linear.bias is not None
    # the same random draws as nn.Linear followed by SIREN's U(-sqrt(6/n)/omega0, sqrt(6/n)/omega0)
    torch.manual_seed(1)
    layer = SineLayer(3, 5, omega0=2)
    torch.manual_seed(1)
    reference = _reference_linear(3, 5, math.sqrt(6 / 3) / 2)
    assert torch.equal(layer.linear.weight, reference.weight) and torch.equal(
        layer.linear.bias, reference.bias
    )
    x = torch.randn(7, 3)
    torch.testing.assert_close(layer(x), torch.sin(2.0 * F.linear(x, reference.weight, reference.bias)))
    # a single point (no batch axis) works too
    torch.testing.assert_close(layer(x[0]), torch.sin(2.0 * F.linear(x[0], reference.weight, reference.bias)))


@pytest.mark.parametrize("is_first, siren_init", [(True, True), (False, True), (True, False), (False, False)])
def test_sine_layer_initialisation_matches_its_reference(is_first, siren_init):
    torch.manual_seed(2)
    layer = SineLayer(4, 6, omega0=10.0, is_first=is_first, siren_init=siren_init)
    torch.manual_seed(2)
    if not siren_init:
        bound = None  # PyTorch's default initialisation, untouched
    else:
        bound = 1 / 4 if is_first else math.sqrt(6 / 4) / 10
    reference = _reference_linear(4, 6, bound)
    assert torch.equal(layer.linear.weight, reference.weight)
    assert layer.is_first is is_first


def test_sine_layer_rejects_bad_input():
    for siren_init in (True, False):  # checked by the layer itself, not only by siren_bound
        with pytest.raises(ValueError, match=exact("omega0 must be positive, got 0.0")):
            SineLayer(2, 4, omega0=0.0, siren_init=siren_init)
    layer = SineLayer(2, 4)
    for bad in (torch.zeros(5, 3), torch.tensor(1.0)):
        message = f"SineLayer expects inputs with last dimension 2, got shape {tuple(bad.shape)}"
        with pytest.raises(ValueError, match=exact(message)):
            layer(bad)


def _reference_coordinate_mlp(widths, out_features, omega0, activation="sine", siren_init=True):
    """The documented network, layer by layer, from nn.Linear and closed-form bounds."""
    linears = []
    for i, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:])):
        bound = None
        if activation == "sine" and siren_init:
            bound = 1 / n_in if i == 0 else math.sqrt(6 / n_in) / omega0
        linears.append(_reference_linear(n_in, n_out, bound))
    head_bound = math.sqrt(6 / widths[-1]) / omega0 if activation == "sine" and siren_init else None
    linears.append(_reference_linear(widths[-1], out_features, head_bound))
    return linears


@pytest.mark.parametrize("siren_init", [True, False])
def test_coordinate_mlp_sine_matches_the_documented_network(siren_init):
    torch.manual_seed(3)
    net = coordinate_mlp(
        "sine",
        in_features=3,
        hidden_features=5,
        hidden_layers=2,
        out_features=2,
        omega0=4.0,
        siren_init=siren_init,
    )
    torch.manual_seed(3)
    reference = _reference_coordinate_mlp([3, 5, 5, 5], 2, 4.0, siren_init=siren_init)
    assert len(net) == 4 and all(isinstance(m, SineLayer) for m in net[:3]) and type(net[3]) is nn.Linear
    assert [m.is_first for m in net[:3]] == [True, False, False]
    assert [m.omega0 for m in net[:3]] == [4.0] * 3
    for module, ref in zip([*(m.linear for m in net[:3]), net[3]], reference):
        assert (module.in_features, module.out_features) == (ref.in_features, ref.out_features)
        assert torch.equal(module.weight, ref.weight) and torch.equal(module.bias, ref.bias)
    x = torch.rand(6, 3) * 2 - 1
    h = x
    for ref in reference[:-1]:
        h = torch.sin(4.0 * F.linear(h, ref.weight, ref.bias))
    torch.testing.assert_close(net(x), F.linear(h, reference[-1].weight, reference[-1].bias))


@pytest.mark.parametrize("activation, cls", [("relu", nn.ReLU), ("tanh", nn.Tanh)])
def test_coordinate_mlp_relu_and_tanh_keep_pytorch_initialisation(activation, cls):
    torch.manual_seed(4)
    net = coordinate_mlp(activation, in_features=1, hidden_features=3, hidden_layers=0, out_features=1)
    torch.manual_seed(4)
    reference = _reference_coordinate_mlp([1, 3], 1, 30.0, activation=activation)
    assert [type(m) for m in net] == [nn.Linear, cls, nn.Linear]
    for module, ref in zip([net[0], net[2]], reference):
        assert torch.equal(module.weight, ref.weight) and torch.equal(module.bias, ref.bias)


def test_coordinate_mlp_and_siren_defaults():
    torch.manual_seed(5)
    for net in (coordinate_mlp(), siren()):
        # four sine layers of width 256 (2 -> 256 -> 256 -> 256 -> 256), then a linear head to 1 value
        assert len(net) == 5 and all(isinstance(m, SineLayer) for m in net[:4])
        assert [(m.linear.in_features, m.linear.out_features) for m in net[:4]] == [(2, 256)] + [
            (256, 256)
        ] * 3
        assert [m.omega0 for m in net[:4]] == [30.0] * 4 and [m.is_first for m in net[:4]] == [True] + [
            False
        ] * 3
        assert (net[4].in_features, net[4].out_features) == (256, 1)
        # SIREN's initialisation: the first layer within 1/2, the others and the head within sqrt(6/256)/30
        assert 0.45 < net[0].linear.weight.abs().max() <= 0.5
        bound = math.sqrt(6 / 256) / 30
        for w in (net[1].linear.weight, net[4].weight):
            assert 0.95 * bound < w.abs().max() <= bound


def test_siren_passes_every_argument_on():
    torch.manual_seed(6)
    net = siren(
        in_features=3, hidden_features=5, hidden_layers=1, out_features=2, omega0=4.0, siren_init=True
    )
    torch.manual_seed(6)
    reference = _reference_coordinate_mlp([3, 5, 5], 2, 4.0)
    assert [m.omega0 for m in net[:2]] == [4.0, 4.0] and len(net) == 3
    for module, ref in zip([net[0].linear, net[1].linear, net[2]], reference):
        assert torch.equal(module.weight, ref.weight)
    torch.manual_seed(6)
    plain = siren(in_features=3, hidden_features=5, hidden_layers=1, out_features=2, siren_init=False)
    torch.manual_seed(6)
    reference = _reference_coordinate_mlp([3, 5, 5], 2, 30.0, siren_init=False)
    for module, ref in zip([plain[0].linear, plain[1].linear, plain[2]], reference):
        assert torch.equal(module.weight, ref.weight)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"activation": "gelu"}, "activation='gelu' is not one of sine, relu, tanh; pick one of these"),
        ({"in_features": 0}, "in_features must be an int >= 1, got 0"),
        ({"in_features": 2.0}, "in_features must be an int >= 1, got 2.0"),
        ({"in_features": True}, "in_features must be an int >= 1, got True"),
        ({"hidden_features": 0}, "hidden_features must be an int >= 1, got 0"),
        ({"hidden_features": 4.0}, "hidden_features must be an int >= 1, got 4.0"),
        ({"hidden_layers": -1}, "hidden_layers must be an int >= 0, got -1"),
        ({"hidden_layers": False}, "hidden_layers must be an int >= 0, got False"),
        ({"out_features": 0}, "out_features must be an int >= 1, got 0"),
        ({"out_features": True}, "out_features must be an int >= 1, got True"),
    ],
)
def test_coordinate_mlp_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=exact(message)):
        coordinate_mlp(**kwargs)


def test_coordinate_mlp_smallest_sizes_are_allowed():
    net = coordinate_mlp("tanh", in_features=1, hidden_features=1, hidden_layers=0, out_features=1)
    assert [type(m) for m in net] == [nn.Linear, nn.Tanh, nn.Linear]
    assert net(torch.zeros(4, 1)).shape == (4, 1)


def test_coordinate_grid_values_against_linspace():
    g = coordinate_grid(3)  # width defaults to height
    assert g.dtype == torch.float32 and g.shape == (9, 2)
    ys = np.linspace(-1, 1, 3)
    expected = [[y, x] for y in ys for x in ys]
    assert np.allclose(g.numpy(), expected)
    g = coordinate_grid(4, 2, dtype=torch.float64)
    expected = [[y, x] for y in np.linspace(-1, 1, 4) for x in np.linspace(-1, 1, 2)]
    assert g.dtype == torch.float64 and np.allclose(g.numpy(), expected, rtol=0, atol=1e-15)
    for bad in (1, 2.0, True, 0):
        with pytest.raises(ValueError, match=exact(f"height must be an int >= 2, got {bad!r}")):
            coordinate_grid(bad, 3)
    with pytest.raises(ValueError, match=exact("width must be an int >= 2, got 1")):
        coordinate_grid(3, 1)


# --------------------------------------------------------------------------- mlp


def test_mlp_matches_the_documented_layers():
    torch.manual_seed(7)
    net = mlp([3, 4, 2], "tanh", dropout=0.25)
    assert [type(m) for m in net] == [nn.Flatten, nn.Linear, nn.Tanh, nn.Dropout, nn.Linear]
    assert net[3].p == 0.25
    assert [type(m) for m in mlp([3, 4, 2])] == [nn.Flatten, nn.Linear, nn.ReLU, nn.Linear]
    assert [type(m) for m in mlp([3, 4, 2], dropout=0.0)] == [nn.Flatten, nn.Linear, nn.ReLU, nn.Linear]
    assert [type(m) for m in mlp([3, 1], flatten=False)] == [nn.Linear]  # a size of 1 is allowed
    assert mlp([3, 4, 2], bias=True)[1].bias is not None and mlp([3, 4, 2], bias=False)[1].bias is None
    assert mlp([3, 4, 2])[1].bias is not None
    # the forward pass is the written-out composition
    net = mlp([6, 5, 4, 3], "sigmoid", flatten=True)
    x = torch.randn(2, 2, 3)
    h = x.reshape(2, -1)
    h = torch.sigmoid(F.linear(h, net[1].weight, net[1].bias))
    h = torch.sigmoid(F.linear(h, net[3].weight, net[3].bias))
    torch.testing.assert_close(net(x), F.linear(h, net[5].weight, net[5].bias))
    assert mlp([2, 2], dropout=0.99)[0] is not None  # just under 1 is allowed


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"sizes": [10]}, "sizes must be at least two positive ints (input, ..., output), got [10]"),
        ({"sizes": (10, 0)}, "sizes must be at least two positive ints (input, ..., output), got [10, 0]"),
        (
            {"sizes": [True, 2]},
            "sizes must be at least two positive ints (input, ..., output), got [True, 2]",
        ),
        (
            {"sizes": [4, 2], "activation": "swish"},
            "activation='swish' is not one of "
            + ", ".join(MLP_ACTIVATIONS)
            + "; pick one of these or pass an "
            "nn.Module class",
        ),
        ({"sizes": [4, 2], "dropout": -0.1}, "dropout must be in [0, 1), got -0.1"),
        ({"sizes": [4, 2], "dropout": 1.0}, "dropout must be in [0, 1), got 1.0"),
    ],
)
def test_mlp_error_messages(kwargs, message):
    with pytest.raises(ValueError, match=exact(message)):
        mlp(**kwargs)


def test_mlp_activation_names():
    assert list(MLP_ACTIVATIONS) == ["relu", "gelu", "tanh", "sigmoid", "silu", "leaky_relu", "elu"]


# --------------------------------------------------------------------------- hand-written modules


def test_hand_modules_reject_non_batches_with_their_names():
    hint = "; flatten image batches first (hwlib.models.Flatten or x.reshape(len(x), -1))"
    layer = Linear(3, 2)
    with pytest.raises(TypeError, match=exact("Linear.forward: expected a torch.Tensor, got list")):
        layer.forward([[1.0, 2.0, 3.0]])
    with pytest.raises(
        ValueError, match=exact("Linear.forward: expected a batch of shape (N, 3), got (4, 3, 1)" + hint)
    ):
        layer.forward(torch.zeros(4, 3, 1))
    with pytest.raises(
        ValueError, match=exact("Linear.forward: expected a batch of shape (N, 3), got (4, 2)" + hint)
    ):
        layer.forward(torch.zeros(4, 2))
    layer.forward(torch.zeros(4, 3))
    with pytest.raises(
        ValueError, match=exact("Linear.backward: expected a batch of shape (N, 2), got (4, 3)" + hint)
    ):
        layer.backward(torch.zeros(4, 3))
    message = (
        "Linear.backward: grad_out has 5 rows but the last forward batch had 4; "
        "pass dL/d(output) of the same batch"
    )
    with pytest.raises(ValueError, match=exact(message)):
        layer.backward(torch.zeros(5, 2))
    ce = CrossEntropy()
    message = "CrossEntropy.forward (logits): expected a batch of shape (N, features), got (3,)" + hint
    with pytest.raises(ValueError, match=exact(message)):
        ce(torch.zeros(3), torch.zeros(3, dtype=torch.long))


def test_backward_before_forward_says_so():
    tail = ": backward was called before forward; call forward on the batch first"
    for module, name in ((Linear(2, 2), "Linear"), (ReLU(), "ReLU"), (Flatten(), "Flatten")):
        with pytest.raises(RuntimeError, match=exact(f"{name}.backward" + tail)):
            module.backward(torch.zeros(1, 2))
    with pytest.raises(RuntimeError, match=exact("CrossEntropy.backward" + tail)):
        CrossEntropy().backward()


def test_linear_initialisation_range_dtype_device_and_fresh_gradients():
    layer = Linear(100, 300, generator=torch.Generator().manual_seed(0))
    bound = 0.1  # 1 / sqrt(100)
    for p in (layer.weight, layer.bias):
        assert p.abs().max() <= bound and p.max() > 0.98 * bound and p.min() < -0.98 * bound
    assert abs(layer.weight.mean().item()) < 0.01 * bound
    assert layer.weight.var().item() == pytest.approx(bound**2 / 3, rel=0.03)  # U(-c, c) has variance c^2/3
    assert layer.gradients() == [None, None] and layer.weight.dtype == torch.float32
    assert layer.weight.device.type == "cpu"
    meta = Linear(2, 3, device="meta", dtype=torch.float64)
    assert meta.weight.device.type == meta.bias.device.type == "meta" and meta.weight.dtype == torch.float64
    assert Linear(1, 1).weight.shape == (1, 1)  # one feature is allowed
    for bad in (0, 1.5, True):
        with pytest.raises(
            ValueError, match=exact(f"Linear: out_features must be a positive int, got {bad!r}")
        ):
            Linear(2, bad)
        with pytest.raises(
            ValueError, match=exact(f"Linear: in_features must be a positive int, got {bad!r}")
        ):
            Linear(bad, 2)


def test_hand_module_reprs():
    assert repr(Linear(3, 2)) == "Linear(3, 2, bias=True)"
    assert repr(Linear(3, 2, bias=False)) == "Linear(3, 2, bias=False)"
    assert (
        repr(ReLU()) == "ReLU()"
        and repr(Flatten()) == "Flatten()"
        and repr(CrossEntropy()) == "CrossEntropy()"
    )
    net = hand_mlp([4, 3, 2])
    assert repr(net) == "Chain(Flatten(), Linear(4, 3, bias=True), ReLU(), Linear(3, 2, bias=True))"


def test_linear_without_bias_matches_torch():
    g = torch.Generator().manual_seed(1)
    layer = Linear(3, 2, bias=False, generator=g, dtype=torch.float64)
    x = torch.randn(4, 3, generator=g, dtype=torch.float64)
    torch.testing.assert_close(layer(x), F.linear(x, layer.weight))
    upstream = torch.randn(4, 2, generator=g, dtype=torch.float64)
    grad_x = layer.backward(upstream)
    torch.testing.assert_close(grad_x, upstream @ layer.weight)
    torch.testing.assert_close(layer.grad_weight, upstream.T @ x)
    assert layer.gradients() == [layer.grad_weight] and layer.grad_bias is None


def test_relu_and_flatten_messages_and_edge_cases():
    relu = ReLU()
    with pytest.raises(TypeError, match=exact("ReLU.forward: expected a torch.Tensor, got list")):
        relu.forward([1.0, -1.0])
    relu.forward(torch.zeros(2, 3))
    message = (
        "ReLU.backward: grad_out has shape (3, 2) but the last forward input had (2, 3); "
        "pass dL/d(output) of the same batch"
    )
    with pytest.raises(ValueError, match=exact(message)):
        relu.backward(torch.zeros(3, 2))
    flat = Flatten()
    assert flat(torch.arange(3.0)).shape == (3, 1)  # a 1-D batch: one feature per example
    message = "Flatten.forward: expected a tensor with a batch axis first, shape (N, ...)"
    for bad in (torch.tensor(1.0), [1.0, 2.0]):
        with pytest.raises(ValueError, match=exact(message)):
            Flatten().forward(bad)
    flat.forward(torch.zeros(2, 3, 2, 2))
    with pytest.raises(
        ValueError,
        match=exact("Flatten.backward: grad_out has 10 entries, the last input had shape (2, 3, 2, 2)"),
    ):
        flat.backward(torch.zeros(2, 5))
    assert flat.backward(torch.arange(24.0).reshape(2, 12)).shape == (2, 3, 2, 2)


def test_cross_entropy_messages():
    ce = CrossEntropy()
    message = "CrossEntropy.forward: targets must have shape (3,), one class index per row of logits, got {}"
    with pytest.raises(ValueError, match=exact(message.format("(2,)"))):
        ce(torch.zeros(3, 4), torch.zeros(2, dtype=torch.long))
    with pytest.raises(ValueError, match=exact(message.format("list"))):
        ce(torch.zeros(3, 4), [0, 1, 2])
    for targets in (torch.zeros(3), torch.zeros(3, dtype=torch.bool)):
        with pytest.raises(
            ValueError,
            match=exact("CrossEntropy.forward: targets must be integer class indices; use labels.long()"),
        ):
            ce(torch.zeros(3, 4), targets)
    for bad in ([0, 1, 4], [-1, 0, 1]):
        with pytest.raises(ValueError, match=exact("CrossEntropy.forward: targets must lie in 0..3")):
            ce(torch.zeros(3, 4), torch.tensor(bad))
    # every valid label, 0 and n_classes - 1 included, with int32 labels too
    logits = torch.randn(4, 4, dtype=torch.float64)
    for dtype in (torch.long, torch.int32):
        labels = torch.tensor([0, 1, 2, 3], dtype=dtype)
        torch.testing.assert_close(ce(logits, labels), F.cross_entropy(logits, labels.long()))


def test_cross_entropy_matches_torch_when_rows_differ_in_scale():
    # one row far above the other: each row must be shifted by its own maximum
    logits = torch.tensor([[1e4, 0.0, 5.0], [-1e4, -1e4 - 1.0, -1e4 + 2.0]], dtype=torch.float32)
    labels = torch.tensor([2, 0])
    ce = CrossEntropy()
    torch.testing.assert_close(ce(logits, labels), F.cross_entropy(logits, labels))
    reference = logits.clone().requires_grad_(True)
    F.cross_entropy(reference, labels).backward()
    torch.testing.assert_close(ce.backward(), reference.grad)
    # three examples, two classes: the shapes (N, C) and (C, N) are not interchangeable
    logits = torch.randn(3, 2, dtype=torch.float64)
    labels = torch.tensor([1, 0, 1])
    torch.testing.assert_close(ce(logits, labels), F.cross_entropy(logits, labels))


def test_cross_entropy_of_an_empty_batch_is_nan_like_torch():
    logits, labels = torch.zeros(0, 4), torch.zeros(0, dtype=torch.long)
    loss = CrossEntropy()(logits, labels)
    assert loss.shape == () and torch.isnan(loss) and torch.isnan(F.cross_entropy(logits, labels))


def test_chain_messages_indexing_and_length():
    with pytest.raises(ValueError, match=exact("Chain needs at least one module")):
        Chain()
    message = (
        "Chain: module 1 is a ReLU, not a HandModule (Linear, ReLU, Flatten, ...); "
        "the loss (CrossEntropy) is applied outside the chain"
    )
    with pytest.raises(TypeError, match=exact(message)):
        Chain(Linear(2, 2), nn.ReLU())
    first, second = Linear(2, 3), ReLU()
    chain = Chain(first, second)
    assert chain[0] is first and chain[1] is second and len(chain) == 2
    x = torch.randn(4, 2)
    torch.testing.assert_close(chain(x), torch.relu(F.linear(x, first.weight, first.bias)))


def test_hand_mlp_arguments():
    g = torch.Generator().manual_seed(3)
    net = hand_mlp([4, 1], generator=g, dtype=torch.float64)  # an output of one unit is allowed
    again = hand_mlp([4, 1], generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    assert torch.equal(net[1].weight, again[1].weight) and net[1].weight.dtype == torch.float64
    assert [type(m) for m in hand_mlp([4, 3, 2]).modules] == [Flatten, Linear, ReLU, Linear]
    assert hand_mlp([2, 2], device="meta")[1].weight.device.type == "meta"
    for bad in ([4], [4, 0], [True, 2], [4, 2.0]):
        with pytest.raises(
            ValueError,
            match=exact(f"sizes must be at least two positive ints (input, ..., output), got {bad!r}"),
        ):
            hand_mlp(bad)


def test_sgd_step_closed_forms_and_messages():
    layer = Linear(2, 2, dtype=torch.float64)
    w0, b0 = layer.weight.clone(), layer.bias.clone()
    layer.grad_weight = torch.ones(2, 2, dtype=torch.float64)
    layer.grad_bias = torch.full((2,), 2.0, dtype=torch.float64)
    sgd_step(layer, lr=0.5)  # no weight decay by default: p - lr * g
    torch.testing.assert_close(layer.weight, w0 - 0.5)
    torch.testing.assert_close(layer.bias, b0 - 1.0)
    sgd_step(layer, lr=0.5, weight_decay=0.0)
    torch.testing.assert_close(layer.weight, w0 - 1.0)
    w1 = layer.weight.clone()
    sgd_step(layer, lr=0.1, weight_decay=2.0)  # p - lr * (g + wd * p)
    torch.testing.assert_close(layer.weight, w1 - 0.1 * (1.0 + 2.0 * w1))
    with pytest.raises(ValueError, match=exact("lr must be positive, got 0.0")):
        sgd_step(layer, lr=0.0)
    with pytest.raises(ValueError, match=exact("weight_decay must be >= 0, got -1.0")):
        sgd_step(layer, lr=0.1, weight_decay=-1.0)
    layer.grad_bias = None
    with pytest.raises(
        RuntimeError, match=exact("sgd_step: parameter 1 has no gradient; run forward and backward first")
    ):
        sgd_step(layer, lr=0.1)
    layer.grad_bias = torch.zeros(3, dtype=torch.float64)
    with pytest.raises(ValueError, match=exact("sgd_step: gradient 1 has shape (3,), parameter (2,)")):
        sgd_step(layer, lr=0.1)


def test_sgd_step_without_weight_decay_matches_torch_even_for_an_infinite_parameter():
    # plain SGD (no weight decay) never multiplies the parameter: an infinite entry stays infinite
    layer = Linear(2, 1, bias=False, dtype=torch.float64)
    layer.weight = torch.tensor([[math.inf, 1.0]], dtype=torch.float64)
    layer.grad_weight = torch.tensor([[1.0, 1.0]], dtype=torch.float64)
    shadow = layer.weight.clone().requires_grad_(True)
    shadow.grad = layer.grad_weight.clone()
    torch.optim.SGD([shadow], lr=0.1).step()
    sgd_step(layer, lr=0.1)
    torch.testing.assert_close(layer.weight, shadow.detach())
