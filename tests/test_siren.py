import math

import pytest
import torch

from hwlib.models import SineLayer, coordinate_grid, coordinate_mlp, siren, siren_bound


def test_siren_bounds():
    assert siren_bound(2, 30.0, is_first=True) == 0.5
    assert siren_bound(256, 30.0, is_first=False) == pytest.approx(math.sqrt(6 / 256) / 30)
    with pytest.raises(ValueError, match="fan_in"):
        siren_bound(0, 30.0, is_first=False)
    with pytest.raises(ValueError, match="omega0"):
        siren_bound(4, 0.0, is_first=False)


def test_sine_layer_init_statistics_match_the_uniform_law():
    torch.manual_seed(0)
    n = 400
    first = SineLayer(n, 300, is_first=True)
    hidden = SineLayer(n, 300, omega0=30.0)
    for layer, bound in ((first, 1 / n), (hidden, math.sqrt(6 / n) / 30)):
        w = layer.linear.weight.detach()
        assert w.abs().max() <= bound
        assert w.abs().max() > 0.99 * bound  # the whole interval is used
        # the variance of U(-c, c) is c^2 / 3
        assert w.var().item() == pytest.approx(bound**2 / 3, rel=0.02)
        assert abs(w.mean().item()) < 0.01 * bound
    default = SineLayer(n, 300, siren_init=False)
    assert default.linear.weight.abs().max() > 10 * math.sqrt(6 / n) / 30  # PyTorch's wider default


def test_siren_keeps_hidden_preactivations_standard_normal():
    torch.manual_seed(0)
    n = 512
    net = siren(hidden_features=n, hidden_layers=4)
    h = torch.rand(4096, 2) * 2 - 1
    weight_part, total = [], []
    for layer in net[:-1]:
        weight_part.append((layer.omega0 * h @ layer.linear.weight.T).std().item())
        total.append((layer.omega0 * layer.linear(h)).std().item())
        h = layer(h)
    # after the first layer, omega0 * W h has unit variance (SIREN's initialisation argument) ...
    assert all(0.9 < s < 1.1 for s in weight_part[1:]), weight_part
    # ... and PyTorch's default bias U(-1/sqrt(n), 1/sqrt(n)) adds omega0^2 / (3 n) to it
    expected = math.sqrt(1 + 30.0**2 / (3 * n))
    assert all(abs(s / expected - 1) < 0.1 for s in total[1:]), (total, expected)


def test_coordinate_mlp_shapes_and_types():
    torch.manual_seed(0)
    coords = coordinate_grid(8)
    assert coords.shape == (64, 2)
    assert coords[0].tolist() == [-1.0, -1.0] and coords[-1].tolist() == [1.0, 1.0]
    assert coords[1, 0] == -1.0 and coords[1, 1] > -1.0  # row-major: x varies fastest
    for act in ("sine", "relu", "tanh"):
        net = coordinate_mlp(act, hidden_features=16, hidden_layers=2)
        assert net(coords).shape == (64, 1)
    assert isinstance(coordinate_mlp("relu", hidden_features=4, hidden_layers=1)[1], torch.nn.ReLU)
    assert len([m for m in siren(hidden_features=8, hidden_layers=2) if isinstance(m, SineLayer)]) == 3
    assert coordinate_grid(3, 5).shape == (15, 2)


def test_bad_input_raises():
    with pytest.raises(ValueError, match="activation"):
        coordinate_mlp("gelu")
    with pytest.raises(ValueError, match="hidden_layers"):
        coordinate_mlp("sine", hidden_layers=-1)
    with pytest.raises(ValueError, match="omega0"):
        SineLayer(2, 4, omega0=-1.0)
    with pytest.raises(ValueError, match="last dimension 2"):
        SineLayer(2, 4)(torch.zeros(5, 3))
    with pytest.raises(ValueError, match="height"):
        coordinate_grid(1)
