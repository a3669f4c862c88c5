"""Tests of the hand-written modules in hwlib.models: every backward against autograd, and bad input."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

import hwlib
from hwlib.models import (
    Chain,
    CrossEntropy,
    Flatten,
    HandModule,
    Linear,
    ReLU,
    hand_mlp,
    sgd_step,
)

DT = torch.float64


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _leaf(t: torch.Tensor) -> torch.Tensor:
    return t.detach().clone().requires_grad_(True)


# --------------------------------------------------------------------------- Linear


@pytest.mark.parametrize("bias", [True, False])
def test_linear_backward_matches_autograd(bias):
    g = _gen(1)
    layer = Linear(5, 3, bias=bias, generator=g, dtype=DT)
    x = _leaf(torch.randn(4, 5, generator=g, dtype=DT))
    upstream = torch.randn(4, 3, generator=g, dtype=DT)
    layer.weight = _leaf(layer.weight)
    if bias:
        layer.bias = _leaf(layer.bias)
    # the reference goes through torch's own linear, not the module's forward
    (F.linear(x, layer.weight, layer.bias) * upstream).sum().backward()
    with torch.no_grad():
        layer.forward(x)
        grad_x = layer.backward(upstream)
    torch.testing.assert_close(grad_x, x.grad)
    torch.testing.assert_close(layer.grad_weight, layer.weight.grad)
    if bias:
        torch.testing.assert_close(layer.grad_bias, layer.bias.grad)
        assert len(layer.parameters()) == len(layer.gradients()) == 2
    else:
        assert layer.bias is None and layer.grad_bias is None
        assert len(layer.parameters()) == len(layer.gradients()) == 1


def test_linear_forward_matches_torch_and_init_range():
    g = _gen(2)
    layer = Linear(16, 4, generator=g, dtype=DT)
    x = torch.randn(3, 16, generator=g, dtype=DT)
    torch.testing.assert_close(layer(x), F.linear(x, layer.weight, layer.bias))
    bound = 1 / math.sqrt(16)
    assert layer.weight.abs().max() <= bound and layer.bias.abs().max() <= bound
    again = Linear(16, 4, generator=_gen(2), dtype=DT)
    assert torch.equal(again.weight, layer.weight), "the same generator seed gives the same weights"
    assert Linear(2, 2).weight.dtype == torch.float32


def test_linear_gradients_three_ways_with_hwlib_checker(capsys):
    g = _gen(3)
    layer = Linear(4, 2, generator=g, dtype=DT)
    x = torch.randn(3, 4, generator=g, dtype=DT)
    upstream = torch.randn(3, 2, generator=g, dtype=DT)
    layer.forward(x)
    grad_x = layer.backward(upstream)
    weight = layer.weight.clone()

    def as_fn_of_w(w):
        return ((x @ w.T + layer.bias) * upstream).sum()

    hwlib.check_gradient(lambda t: (layer.forward(t) * upstream).sum(), x, grad_x, "Linear dL/dx")
    hwlib.check_gradient(as_fn_of_w, weight, layer.grad_weight, "Linear dL/dW")
    assert "ok  Linear dL/dx" in capsys.readouterr().out


def test_linear_bad_input():
    layer = Linear(3, 2)
    with pytest.raises(ValueError, match=r"\(N, 3\)"):
        layer.forward(torch.zeros(4, 5))
    with pytest.raises(ValueError, match="flatten"):
        layer.forward(torch.zeros(4, 1, 3, 1))
    with pytest.raises(TypeError, match="torch.Tensor"):
        layer.forward([[1.0, 2.0, 3.0]])
    with pytest.raises(RuntimeError, match="before forward"):
        Linear(3, 2).backward(torch.zeros(1, 2))
    layer.forward(torch.zeros(4, 3))
    with pytest.raises(ValueError, match="rows"):
        layer.backward(torch.zeros(5, 2))
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        layer.backward(torch.zeros(4, 3))
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="positive int"):
            Linear(bad, 2)


# --------------------------------------------------------------------------- ReLU, Flatten


def test_relu_backward_matches_autograd_including_zeros():
    g = _gen(4)
    x = torch.randn(6, 7, generator=g, dtype=DT)
    x[0, :3] = 0.0  # ReLU'(0): both use 0
    x = _leaf(x)
    upstream = torch.randn(6, 7, generator=g, dtype=DT)
    relu = ReLU()
    out = relu.forward(x)
    torch.testing.assert_close(out, torch.relu(x))
    (torch.relu(x) * upstream).sum().backward()  # the reference: torch's relu, not the module
    with torch.no_grad():
        torch.testing.assert_close(relu.backward(upstream), x.grad)
    assert relu.parameters() == [] and relu.gradients() == []


def test_relu_bad_input():
    with pytest.raises(RuntimeError, match="before forward"):
        ReLU().backward(torch.zeros(2))
    relu = ReLU()
    relu.forward(torch.zeros(2, 3))
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        relu.backward(torch.zeros(3, 2))
    with pytest.raises(TypeError):
        relu.forward([1.0, -1.0])


def test_flatten_round_trip_and_errors():
    flat = Flatten()
    x = torch.arange(24.0).reshape(2, 3, 2, 2)
    out = flat(x)
    assert out.shape == (2, 12)
    assert torch.equal(flat.backward(out), x)
    with pytest.raises(ValueError, match="entries"):
        flat.backward(torch.zeros(2, 5))
    with pytest.raises(RuntimeError, match="before forward"):
        Flatten().backward(torch.zeros(2, 3))


# --------------------------------------------------------------------------- CrossEntropy


def test_cross_entropy_forward_and_backward_match_torch():
    g = _gen(5)
    logits = _leaf(3 * torch.randn(8, 10, generator=g, dtype=DT))
    labels = torch.randint(0, 10, (8,), generator=g)
    ce = CrossEntropy()
    loss = ce(logits, labels)
    reference = F.cross_entropy(logits, labels)
    torch.testing.assert_close(loss, reference)
    reference.backward()
    torch.testing.assert_close(ce.backward(), logits.grad)
    torch.testing.assert_close(ce.backward(2.5), 2.5 * logits.grad)


def test_cross_entropy_gradient_three_ways(capsys):
    g = _gen(6)
    logits = torch.randn(4, 3, generator=g, dtype=DT)
    labels = torch.tensor([0, 2, 1, 2])
    ce = CrossEntropy()
    ce(logits, labels)
    hwlib.check_gradient(lambda z: CrossEntropy()(z, labels), logits, ce.backward(), "CE dL/dz")
    assert "ok  CE dL/dz" in capsys.readouterr().out


def test_cross_entropy_is_stable_for_huge_logits():
    logits = torch.tensor([[1e4, 0.0, -1e4], [0.0, 1e4, 0.0]], dtype=torch.float32)
    ce = CrossEntropy()
    loss = ce(logits, torch.tensor([0, 0]))
    assert torch.isfinite(loss) and torch.isfinite(ce.backward()).all()
    torch.testing.assert_close(loss, F.cross_entropy(logits, torch.tensor([0, 0])))


def test_cross_entropy_bad_input():
    ce = CrossEntropy()
    with pytest.raises(RuntimeError, match="before forward"):
        ce.backward()
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        ce(torch.zeros(3, 4), torch.zeros(2, dtype=torch.long))
    with pytest.raises(ValueError, match="integer class indices"):
        ce(torch.zeros(3, 4), torch.zeros(3))
    with pytest.raises(ValueError, match="0..3"):
        ce(torch.zeros(3, 4), torch.tensor([0, 1, 4]))
    with pytest.raises(ValueError, match="flatten"):
        ce(torch.zeros(3, 4, 1), torch.zeros(3, dtype=torch.long))


# --------------------------------------------------------------------------- Chain, hand_mlp, sgd_step


def test_chain_backward_matches_autograd_for_a_whole_network():
    g = _gen(7)
    net = hand_mlp([12, 8, 6, 4], generator=g, dtype=DT)
    assert isinstance(net, Chain) and isinstance(net[0], Flatten) and len(net) == 6
    for layer in net.modules:
        if isinstance(layer, Linear):
            layer.weight, layer.bias = _leaf(layer.weight), _leaf(layer.bias)
    x = _leaf(torch.randn(5, 3, 2, 2, generator=g, dtype=DT))
    labels = torch.randint(0, 4, (5,), generator=g)
    # the reference: the same network written with torch.nn.functional, differentiated by autograd
    h = x.flatten(1)
    linears = [m for m in net.modules if isinstance(m, Linear)]
    for i, layer in enumerate(linears):
        h = F.linear(h, layer.weight, layer.bias)
        if i < len(linears) - 1:
            h = torch.relu(h)
    reference = F.cross_entropy(h, labels)
    reference.backward()
    ce = CrossEntropy()
    with torch.no_grad():
        loss = ce(net(x), labels)
        torch.testing.assert_close(loss, reference.detach())
        grad_x = net.backward(ce.backward())
    torch.testing.assert_close(grad_x, x.grad)
    params, grads = net.parameters(), net.gradients()
    assert len(params) == len(grads) == 6
    for p, gr in zip(params, grads):
        torch.testing.assert_close(gr, p.grad)


def test_chain_and_hand_mlp_bad_input():
    with pytest.raises(ValueError, match="at least one"):
        Chain()
    with pytest.raises(TypeError, match="HandModule"):
        Chain(Linear(2, 2), torch.nn.ReLU())
    with pytest.raises(TypeError, match="outside the chain"):
        Chain(Linear(2, 2), CrossEntropy())
    with pytest.raises(ValueError, match="positive ints"):
        hand_mlp([10])
    with pytest.raises(NotImplementedError):
        HandModule().forward(torch.zeros(1, 1))


def test_sgd_step_matches_torch_optim_sgd():
    g = _gen(8)
    net = hand_mlp([4, 5, 3], generator=g, dtype=DT)
    x, labels = torch.randn(6, 4, generator=g, dtype=DT), torch.randint(0, 3, (6,), generator=g)
    ce = CrossEntropy()
    ce(net(x), labels)
    net.backward(ce.backward())
    shadows = [p.clone().requires_grad_(True) for p in net.parameters()]
    for s, gr in zip(shadows, net.gradients()):
        s.grad = gr.clone()
    torch.optim.SGD(shadows, lr=0.1, weight_decay=0.01).step()
    sgd_step(net, lr=0.1, weight_decay=0.01)
    for p, s in zip(net.parameters(), shadows):
        torch.testing.assert_close(p, s.detach())


def test_training_with_hand_modules_reduces_the_loss():
    g = _gen(9)
    x = torch.randn(200, 2, generator=g)
    labels = (x[:, 0] * x[:, 1] > 0).long()  # XOR of signs: needs the hidden layer
    net = hand_mlp([2, 32, 2], generator=g)
    ce = CrossEntropy()
    first = ce(net(x), labels).item()
    for _ in range(150):
        ce(net(x), labels)
        net.backward(ce.backward())
        sgd_step(net, lr=1.0)
    assert ce(net(x), labels).item() < 0.5 * first
    assert (net(x).argmax(1) == labels).float().mean() > 0.9


def test_sgd_step_bad_input():
    net = hand_mlp([2, 2])
    with pytest.raises(RuntimeError, match="no gradient"):
        sgd_step(net, lr=0.1)
    with pytest.raises(ValueError, match="lr must be positive"):
        sgd_step(net, lr=0.0)
    with pytest.raises(ValueError, match="weight_decay"):
        sgd_step(net, lr=0.1, weight_decay=-1.0)
