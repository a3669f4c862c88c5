import numpy as np
import pytest
import torch

from hwlib import assert_close, assert_true, check_gradient, check_jacobian, numerical_jacobian


def test_assert_close_passes_with_one_line(capsys):
    assert_close([1.0, 2.0], torch.tensor([1.0, 2.0 + 1e-12]), "two numbers")
    assert capsys.readouterr().out == "ok  two numbers  [shape (2,)]\n"
    assert_close(0.5, np.float64(0.5), "a scalar")
    assert capsys.readouterr().out == "ok  a scalar  [scalar]\n"


def test_assert_close_failure_shows_both_values_and_tolerance():
    with pytest.raises(AssertionError) as err:
        assert_close([1.0, 2.0], [1.0, 2.1], "off by 0.1")
    msg = str(err.value)
    assert "off by 0.1" in msg and "2.1" in msg and "rtol" in msg and "atol" in msg and "1.000e-01" in msg


def test_assert_close_rejects_shape_mismatch_instead_of_broadcasting():
    with pytest.raises(AssertionError, match="shape mismatch"):
        assert_close(torch.zeros(3), torch.zeros(3, 1), "broadcast trap")


def test_assert_close_nan_is_never_close():
    with pytest.raises(AssertionError):
        assert_close([1.0], [float("nan")], "nan")


def test_assert_close_bad_arguments():
    with pytest.raises(ValueError, match="description"):
        assert_close(1, 1, "")
    with pytest.raises(ValueError, match="non-negative"):
        assert_close(1, 1, "x", rtol=-1)
    with pytest.raises(TypeError, match="not numeric"):
        assert_close(1, {"a": 1}, "dict")


def test_assert_true(capsys):
    assert_true(torch.tensor(True), "tensor claim")
    assert capsys.readouterr().out == "ok  tensor claim\n"
    with pytest.raises(AssertionError, match="claim does not hold. detail 3"):
        assert_true(False, "false claim", "detail 3")
    with pytest.raises(ValueError, match="one boolean"):
        assert_true(torch.tensor([True, False]), "two")


def test_numerical_jacobian_matches_known_derivative():
    x = torch.tensor([0.3, -1.2], dtype=torch.float64)
    jac = numerical_jacobian(lambda t: torch.sin(t), x)
    assert jac.shape == (2, 2)
    assert torch.allclose(jac, torch.diag(torch.cos(x)), atol=1e-9)
    grad = numerical_jacobian(lambda t: (t**2).sum(), x)
    assert grad.shape == (2,) and torch.allclose(grad, 2 * x, atol=1e-8)


def test_check_gradient_accepts_right_and_rejects_wrong_formula(capsys):
    w = torch.randn(4, 3, dtype=torch.float64)
    x = torch.randn(3, dtype=torch.float64)
    f = lambda v: torch.tanh(w @ v).sum()
    right = w.T @ (1 - torch.tanh(w @ x) ** 2)
    check_gradient(f, x, right, "d/dx sum tanh(Wx)")
    assert "ok  d/dx sum tanh(Wx)" in capsys.readouterr().out
    wrong = w.T @ (1 - torch.tanh(w @ x))  # a plausible slip: forgot the square
    with pytest.raises(AssertionError, match="derived vs autograd"):
        check_gradient(f, x, wrong, "wrong formula")


def test_check_jacobian_shape_message_names_both_shapes():
    x = torch.randn(3, dtype=torch.float64)
    with pytest.raises(AssertionError, match=r"shape \(3,\).*shape \(3, 3\)"):
        check_jacobian(torch.sin, x, torch.cos(x), "diagonal given as a vector")


def test_check_gradient_needs_scalar():
    with pytest.raises(ValueError, match="check_jacobian"):
        check_gradient(torch.sin, torch.ones(2, dtype=torch.float64), torch.ones(2), "vector f")


def test_assert_rejected(capsys):
    from hwlib import assert_rejected

    assert_rejected(lambda: assert_close(1.0, 2.0, "wrong", quiet=True), "1 is not 2")
    assert capsys.readouterr().out == "ok  rejected, as it must be: 1 is not 2\n"
    with pytest.raises(AssertionError, match="wrong value passed"):
        assert_rejected(lambda: assert_close(1.0, 1.0, "right", quiet=True), "1 is 1")
    with pytest.raises(TypeError, match="callable"):
        assert_rejected(assert_close(1.0, 1.0, "eager call", quiet=True), "not callable")


def test_numerical_jacobian_of_a_scalar_function_of_a_scalar():
    x = torch.tensor(0.7, dtype=torch.float64)
    d = numerical_jacobian(torch.sin, x)
    assert d.shape == () and abs(d.item() - np.cos(0.7)) < 1e-9
