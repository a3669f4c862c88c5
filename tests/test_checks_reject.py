"""The checks checked: each comparison of hwlib.checks rejects a derivation that is slightly wrong.

A check that only ever fails on grossly wrong input proves little. Here every comparison that
``check_jacobian`` / ``check_gradient`` makes is shown to fail *on its own*, on a derivation wrong by
a small relative amount, for scalar and vector-valued maps:

* derived vs autograd (``rtol=1e-6``): a derived value 1e-4 off, autograd right;
* derived vs finite differences (``1e3 * rtol = 1e-3``): autograd made wrong with a custom
  ``torch.autograd.Function`` whose backward agrees with the wrong derived value, so that only
  finite differences can see it;
* ``torch.autograd.gradcheck`` (autograd vs its own finite differences): a derived value that
  finite differences accept and autograd within 1e-6 of it, but autograd itself just outside the
  finite-difference tolerance, and a backward that is not reentrant (gives a different answer on
  each call), which only gradcheck looks for.

NaN is handled deliberately: NaN is never close to anything, NaN included (a reference that is NaN
proves nothing), so NaN against NaN is rejected, and NaN in the actual value only is rejected with
a message that says so. Infinities of the same sign in the same places compare equal.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

from hwlib import assert_close, assert_rejected, assert_true, check_gradient, check_jacobian
from hwlib.checks import autograd_jacobian, numerical_jacobian

D = torch.float64


# --------------------------------------------------------------------------- assert_close


@pytest.mark.parametrize("expected", [1.5, -2.0, [0.3, -1.7, 2.5]])
def test_assert_close_rejects_a_value_wrong_by_1e_4_relative(expected):
    exp = np.asarray(expected, dtype=np.float64)
    wrong = exp.copy()
    wrong.reshape(-1)[-1] *= 1 + 1e-4  # one entry, 1e-4 relative
    with pytest.raises(AssertionError, match="values differ"):
        assert_close(exp, wrong, "1e-4 off", quiet=True)
    assert_close(exp, exp * (1 + 1e-9), "1e-9 off passes", quiet=True)


def test_assert_close_tolerance_boundary_is_atol_plus_rtol_times_expected():
    # |actual - expected| <= atol + rtol * |expected|: 1e-10 + 1e-7 * 1000 = 1.000001e-4
    assert_close(1000.0, 1000.0 + 0.99e-4, "just inside", quiet=True)
    with pytest.raises(AssertionError):
        assert_close(1000.0, 1000.0 + 1.01e-4, "just outside", quiet=True)
    # the relative part scales with expected, not actual: expected 0 leaves only atol
    assert_close(0.0, 0.9e-10, "inside atol", quiet=True)
    with pytest.raises(AssertionError):
        assert_close(0.0, 1.1e-10, "outside atol", quiet=True)
    assert_close(0.0, 0.9e-3, "wider atol", atol=1e-3, quiet=True)
    with pytest.raises(AssertionError):
        assert_close(1.0, 1.0 + 2e-3, "wider rtol too small", rtol=1e-3, quiet=True)
    assert_close(1.0, 1.0 + 0.9e-3, "wider rtol", rtol=1e-3, quiet=True)
    # zero tolerances are allowed: only exact equality passes
    assert_close(0.25, 0.25, "exact", rtol=0, atol=0, quiet=True)
    with pytest.raises(AssertionError):
        assert_close(0.25, 0.25 + 2**-50, "one ulp off", rtol=0, atol=0, quiet=True)


def test_assert_close_failure_message_reports_the_largest_difference():
    with pytest.raises(AssertionError) as err:
        assert_close([1.0, 2.0, 3.0], [1.0, 2.5, 2.75], "two off", quiet=True)
    msg = str(err.value)
    assert msg.startswith("two off: values differ (max |actual - expected| = 5.000e-01,")
    assert "atol=1e-10 + rtol=1e-07*|expected|" in msg
    assert "expected:\n[1. 2. 3.]\nactual:\n[1.   2.5  2.75]" in msg


def test_assert_close_nan_policy():
    nan = float("nan")
    warnings.simplefilter("error")  # no RuntimeWarning from NumPy on the way (pytest restores filters)
    # NaN against NaN: rejected (a NaN reference proves nothing)
    with pytest.raises(AssertionError, match="values differ"):
        assert_close([1.0, nan], [1.0, nan], "nan vs nan", quiet=True)
    with pytest.raises(AssertionError, match=r"max \|actual - expected\| = nan"):
        assert_close(nan, nan, "scalar nan vs nan", quiet=True)
    # NaN in the actual value only: rejected with a message naming the non-finite entries
    with pytest.raises(AssertionError, match="actual value has non-finite entries"):
        assert_close([1.0, 2.0], [1.0, nan], "nan in actual", quiet=True)
    # NaN in the expected value only: rejected
    with pytest.raises(AssertionError, match="values differ"):
        assert_close([1.0, nan], [1.0, 2.0], "nan in expected", quiet=True)
    # an infinity where a finite value is expected
    with pytest.raises(AssertionError, match="non-finite"):
        assert_close([1.0], [math.inf], "inf in actual", quiet=True)
    # the same infinities in the same places are equal; opposite signs are not
    assert_close([math.inf, 1.0], [math.inf, 1.0], "inf vs inf", quiet=True)
    with pytest.raises(AssertionError):
        assert_close([math.inf], [-math.inf], "+inf vs -inf", quiet=True)


def test_assert_close_reads_tensors_in_float64_and_complex():
    # a float32 tensor is read exactly (no rounding to float32 of the expected value)
    x32 = torch.tensor([0.1], dtype=torch.float32)
    assert_close(
        np.float64(np.float32(0.1)), x32.reshape(()), "float32 read exactly", rtol=0, atol=0, quiet=True
    )
    with pytest.raises(AssertionError):  # float32(0.1) is 1.5e-8 relative off 0.1
        assert_close([0.1], x32, "float32 0.1 is not float64 0.1", rtol=1e-9, quiet=True)
    # complex values keep their imaginary part
    z = torch.tensor([1 + 1j], dtype=torch.complex64)
    assert_close(np.array([1 + 1j]), z, "complex", quiet=True)
    with pytest.raises(AssertionError):
        assert_close(np.array([1 - 1j]), z, "conjugate", quiet=True)
    # integer and boolean arrays are compared as numbers
    assert_close(np.array([1, 2]), [1.0, 2.0], "ints", quiet=True)
    with pytest.raises(AssertionError):
        assert_close(np.array([True, False]), [1.0, 1.0], "bools", quiet=True)


def test_assert_close_prints_shape_or_scalar(capsys):
    assert_close(np.zeros((2, 3)), torch.zeros(2, 3), "matrix")
    assert_close(torch.tensor(1.0), 1.0, "scalar tensor")
    assert capsys.readouterr().out == "ok  matrix  [shape (2, 3)]\nok  scalar tensor  [scalar]\n"
    assert_close(1.0, 1.0, "silent", quiet=True)
    assert capsys.readouterr().out == ""


def test_assert_close_rejects_bad_tolerances_and_descriptions():
    with pytest.raises(ValueError, match="non-negative"):
        assert_close(1, 1, "x", atol=-1e-12)
    with pytest.raises(ValueError, match=r"rtol=0.*atol=-1"):
        assert_close(1, 1, "x", rtol=0, atol=-1)
    with pytest.raises(ValueError, match="description"):
        assert_close(1, 1, None)


# --------------------------------------------------------------------------- wrong autograd


def wrong_backward(scale: float):
    """``f(x) = sin(x) * w`` (element-wise) whose backward is off by the factor ``scale``."""

    class SinTimesW(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return torch.sin(x)

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * torch.cos(x) * scale

    return SinTimesW.apply


X = torch.tensor([0.3, -1.1, 0.8], dtype=D)
W = torch.tensor([[1.0, -2.0, 0.5], [0.25, 1.5, -1.0]], dtype=D)


def vector_map(sin):
    """R^3 -> R^2: ``W @ sin(x)``, Jacobian ``W * cos(x)``."""
    return lambda x: W @ sin(x)


def scalar_map(sin):
    """R^3 -> R: ``sum(sin(x)**2)``, gradient ``2 sin(x) cos(x)``."""
    return lambda x: (sin(x) ** 2).sum()


RIGHT_JAC = W * torch.cos(X)  # closed form, not autograd
RIGHT_GRAD = 2 * torch.sin(X) * torch.cos(X)


@pytest.mark.parametrize(
    "f, right, check",
    [
        (vector_map(torch.sin), RIGHT_JAC, check_jacobian),
        (scalar_map(torch.sin), RIGHT_GRAD, check_gradient),
    ],
    ids=["vector", "scalar"],
)
def test_right_derivations_pass_every_comparison(f, right, check, capsys):
    auto = check(f, X, right, "right")
    assert capsys.readouterr().out.startswith("ok  right  [shape")
    assert torch.allclose(auto, right, rtol=1e-12, atol=0)  # the returned Jacobian is autograd's


@pytest.mark.parametrize(
    "f, right, check",
    [
        (vector_map(torch.sin), RIGHT_JAC, check_jacobian),
        (scalar_map(torch.sin), RIGHT_GRAD, check_gradient),
    ],
    ids=["vector", "scalar"],
)
def test_derived_vs_autograd_rejects_1e_4_relative(f, right, check):
    wrong = right.clone()
    wrong.reshape(-1)[1] *= 1 + 1e-4  # one entry off by 1e-4 relative
    with pytest.raises(AssertionError, match=r"wrong \(derived vs autograd\)"):
        check(f, X, wrong, "wrong")
    assert_rejected(lambda: check(f, X, wrong, "wrong"), "1e-4 off", quiet=True)


@pytest.mark.parametrize("kind", ["vector", "scalar"])
def test_only_finite_differences_see_a_wrong_autograd(kind):
    # autograd is wrong by 2e-3 relative (the finite-difference tolerance is 1e3 * rtol = 1e-3) and
    # the derived value agrees with the wrong autograd, so derived-vs-autograd passes: only the
    # finite-difference comparison can catch it.
    scale = 1 + 2e-3
    if kind == "vector":
        f, wrong, check = vector_map(wrong_backward(scale)), RIGHT_JAC * scale, check_jacobian
    else:
        f, wrong, check = scalar_map(wrong_backward(scale)), RIGHT_GRAD * scale, check_gradient
    assert torch.allclose(autograd_jacobian(f, X), wrong, rtol=1e-12, atol=0)  # autograd is wrong
    with pytest.raises(AssertionError, match=r"wrong \(derived vs finite differences\)"):
        check(f, X, wrong, "wrong")
    # below the finite-difference tolerance the same construction passes (the check's resolution)
    slight = 1 + 0.5e-3
    g = vector_map(wrong_backward(slight)) if kind == "vector" else scalar_map(wrong_backward(slight))
    check(g, X, (RIGHT_JAC if kind == "vector" else RIGHT_GRAD) * slight, "within tolerance")


def test_only_gradcheck_sees_autograd_just_outside_the_tolerance():
    # f(x) = x (identity, R^2 -> R^2): finite differences give the identity to ~1e-10.
    # Autograd is scaled by 1 + 1.0103e-3 and the derived value by 1 + 1.0097e-3: derived vs
    # autograd differ by 6e-7 relative (< rtol 1e-6), derived vs finite differences by
    # 1.0097e-3 (< 1e-5 + 1e-3), but autograd vs finite differences by 1.0103e-3 (> 1e-5 + 1e-3):
    # only gradcheck, which compares autograd itself with finite differences, rejects it.
    a, d = 1.0103e-3, 1.0097e-3
    x = torch.tensor([0.4, -0.7], dtype=D)
    derived = torch.eye(2, dtype=D) * (1 + d)
    with pytest.raises(AssertionError, match="gradcheck disagrees with finite differences"):
        check_jacobian(identity_with_backward_off_by(a), x, derived, "identity")
    # with autograd inside the tolerance as well, all three comparisons pass
    check_jacobian(
        identity_with_backward_off_by(0.9999e-3),
        x,
        torch.eye(2, dtype=D) * (1 + 0.9996e-3),
        "identity inside",
    )


def test_only_gradcheck_sees_a_backward_that_is_not_reentrant():
    # a backward whose answer drifts by 1e-13 per call: every single Jacobian is right to 1e-12,
    # but gradcheck runs backward twice and demands the same answer (nondet_tol=0).
    calls = []

    class Drifting(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return torch.sin(x)

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            calls.append(1)
            return grad * torch.cos(x) * (1 + 1e-13 * len(calls))

    f = vector_map(Drifting.apply)
    with pytest.raises(AssertionError, match="gradcheck disagrees"):
        check_jacobian(f, X, RIGHT_JAC, "drifting backward")


def test_checks_reject_nan_derivations():
    # a derived gradient with a NaN, against a finite autograd: rejected
    wrong = RIGHT_GRAD.clone()
    wrong[0] = math.nan
    with pytest.raises(AssertionError, match="non-finite"):
        check_gradient(scalar_map(torch.sin), X, wrong, "nan derived")
    # sqrt at 0: autograd says inf, the derived value says inf, but finite differences are NaN
    # (sqrt of -eps): NaN is never close to anything, so the check fails instead of passing
    x0 = torch.tensor([0.0, 1.0], dtype=D)
    derived = torch.tensor([math.inf, 0.5], dtype=D)
    with pytest.raises(AssertionError, match="finite differences"):
        check_gradient(lambda t: torch.sqrt(t).sum(), x0, derived, "sqrt at 0")


def test_check_jacobian_tolerances_are_passed_through():
    wrong = RIGHT_JAC * (1 + 1e-4)
    check_jacobian(vector_map(torch.sin), X, wrong, "loose", rtol=1e-3)  # 1e-4 passes rtol=1e-3
    with pytest.raises(AssertionError, match="derived vs autograd"):
        check_jacobian(vector_map(torch.sin), X, wrong, "tight", rtol=1e-5)
    check_gradient(scalar_map(torch.sin), X, RIGHT_GRAD + 5e-5, "loose atol", atol=1e-4)
    with pytest.raises(AssertionError, match="derived vs autograd"):
        check_gradient(scalar_map(torch.sin), X, RIGHT_GRAD + 5e-5, "default atol")


def test_check_jacobian_uses_eps_for_finite_differences():
    # with eps=0.5 central differences of sin are off by a factor sin(eps)/eps ~ 0.959
    with pytest.raises(AssertionError, match=r"coarse eps \(derived vs finite differences\)"):
        check_jacobian(vector_map(torch.sin), X, RIGHT_JAC, "coarse eps", eps=0.5)


def test_check_jacobian_reads_x_in_float64():
    # a float32 x is promoted before differentiating: finite differences with eps=1e-6 in
    # float32 would be off by ~1e-1 and fail
    check_jacobian(vector_map(torch.sin), X.float(), W * torch.cos(X.float().double()), "float32 x")


# --------------------------------------------------------------------------- helpers


def test_numerical_jacobian_is_independent_of_autograd_and_float64():
    # a function autograd cannot differentiate (via NumPy) still gets its Jacobian
    f = lambda t: torch.from_numpy(np.cumsum(t.numpy() ** 2))
    x = torch.tensor([1.0, 2.0, 3.0], dtype=D)
    expected = torch.tril(torch.ones(3, 3, dtype=D)) * (2 * x)  # d cumsum(x^2)_i / dx_j
    jac = numerical_jacobian(f, x.float())
    assert jac.dtype == D and torch.allclose(jac, expected, atol=1e-8)
    # eps is the half-step: f(x) = x^3 has central difference 3x^2 + eps^2
    d = numerical_jacobian(lambda t: t**3, torch.tensor(2.0, dtype=D), eps=0.1)
    assert d.item() == pytest.approx(12.0 + 0.01, rel=1e-12)
    with pytest.raises(TypeError, match="torch.Tensor"):
        numerical_jacobian(torch.sin, [1.0])


def test_autograd_jacobian_shape_and_values():
    jac = autograd_jacobian(vector_map(torch.sin), X.float())
    assert jac.dtype == D and jac.shape == (2, 3)
    assert torch.allclose(jac, W * torch.cos(X.float().double()), rtol=1e-12, atol=0)


# --------------------------------------------------------------------------- assert_rejected


def test_assert_rejected_lets_other_errors_through():
    def broken():
        raise ValueError("a bug in the check itself")

    with pytest.raises(ValueError, match="a bug in the check itself"):
        assert_rejected(broken, "not a rejection")


def test_assert_rejected_output(capsys):
    assert_rejected(lambda: assert_close(1.0, 1.0001, "x", quiet=True), "1e-4 off")
    assert_rejected(lambda: assert_close(1.0, 1.0001, "x", quiet=True), "quietly", quiet=True)
    assert capsys.readouterr().out == "ok  rejected, as it must be: 1e-4 off\n"
    with pytest.raises(AssertionError, match=r"^1e-9 off: the wrong value passed the check$"):
        assert_rejected(lambda: assert_close(1.0, 1.0 + 1e-9, "x", quiet=True), "1e-9 off")


def test_the_finite_difference_tolerance_is_exactly_1e3_times_rtol():
    # derived and autograd agree (both 1.0105e-3 off), finite differences of the identity are exact
    # to ~1e-10: 1.0105e-3 is just over 1e-5 + 1e-3 * 1, so the finite-difference comparison
    # rejects it (a looser factor, 1.001e3, would let it through to gradcheck)
    off = 1.0105e-3
    x = torch.tensor([0.4, -0.7], dtype=D)
    with pytest.raises(AssertionError, match=r"^identity \(derived vs finite differences\)"):
        check_jacobian(identity_with_backward_off_by(off), x, torch.eye(2, dtype=D) * (1 + off), "identity")


def test_failure_messages_print_arrays_to_ten_digits_and_summarise_long_ones():
    with pytest.raises(AssertionError) as err:
        assert_close([1 / 3], [2 / 3], "thirds", quiet=True)
    assert "expected:\n[0.3333333333]\nactual:\n[0.6666666667]" in str(err.value)
    with pytest.raises(AssertionError) as err:
        assert_close(np.arange(41.0), np.arange(41.0) + 1, "long", quiet=True)
    # more than 40 entries: the first and last four, with an ellipsis
    assert (
        "expected:\n[ 0.  1.  2.  3. ... 37. 38. 39. 40.]\nactual:\n[ 1.  2.  3.  4. ... 38. 39. 40. 41.]"
        in str(err.value)
    )
    with pytest.raises(AssertionError) as err:
        assert_close(np.zeros(40), np.ones(40), "forty", quiet=True)
    assert "..." not in str(err.value)  # 40 entries are printed in full, 100 characters a line
    lines = str(err.value).split("actual:\n")[1].splitlines()
    assert max(len(line) for line in lines) <= 100 and len(lines) == 2


def test_assert_true_descriptions():
    for bad in ("", None, 3):
        with pytest.raises(ValueError, match=r"^assert_true needs a non-empty description `what`$"):
            assert_true(True, bad)


# --------------------------------------------------------------------------- messages and reading values


def test_assert_close_messages_name_the_value_that_cannot_be_read():
    with pytest.raises(TypeError, match=r"^dict: the actual value is not numeric: \{'a': 1\}$"):
        assert_close(1, {"a": 1}, "dict")
    with pytest.raises(TypeError, match=r"^dict: the expected value is not numeric: \{'a': 1\}$"):
        assert_close({"a": 1}, 1, "dict")
    ragged = [[1.0], [1.0, 2.0]]  # NumPy refuses ragged lists
    with pytest.raises(
        TypeError, match=r"^ragged: cannot read the expected value \[\[1\.0\], \[1\.0, 2\.0\]\] as"
    ):
        assert_close(ragged, [1.0], "ragged")
    with pytest.raises(
        TypeError, match=r"^ragged: cannot read the actual value \[\[1\.0\], \[1\.0, 2\.0\]\] as"
    ):
        assert_close([1.0], ragged, "ragged")
    with pytest.raises(ValueError, match=r"^assert_close needs a non-empty description `what`$"):
        assert_close(1, 1, "")
    with pytest.raises(AssertionError, match=r"^nan: actual value has non-finite entries:\n\[ 1. nan\]$"):
        assert_close([1.0, 2.0], [1.0, math.nan], "nan", quiet=True)


def test_assert_true_failure_without_detail():
    with pytest.raises(AssertionError, match=r"^no detail: claim does not hold\.$"):
        assert_true(False, "no detail")


def test_failure_messages_show_values_as_float64_numbers():
    # integers are shown as numbers read in float64 ("1." not "1")
    with pytest.raises(AssertionError) as err:
        assert_close([1, 2], [1, 3], "ints", quiet=True)
    assert str(err.value).endswith("expected:\n[1. 2.]\nactual:\n[1. 3.]")
    # a float32 tensor is shown as the float64 number it holds
    with pytest.raises(AssertionError) as err:
        assert_close([0.2], torch.tensor([0.1], dtype=torch.float32), "float32", quiet=True)
    assert str(err.value).endswith("actual:\n[0.1000000015]")
    with pytest.raises(AssertionError) as err:
        assert_close([0.2 + 0j], torch.tensor([0.1 + 0.2j], dtype=torch.complex64), "complex64", quiet=True)
    assert str(err.value).endswith("actual:\n[0.1000000015+0.200000003j]")


def test_failure_messages_wrap_at_100_characters():
    with pytest.raises(AssertionError) as err:
        assert_close(np.zeros(20), np.full(20, -1.5), "wrap", quiet=True)
    # 19 entries of "-1.5" make a line of exactly 100 characters; the 20th goes to the next line
    assert str(err.value).endswith("actual:\n[" + " ".join(["-1.5"] * 19) + "\n -1.5]")


def test_check_jacobian_shape_message_is_exact():
    x = torch.randn(3, dtype=D)
    with pytest.raises(
        AssertionError,
        match=r"^diag: the derived value has shape \(3,\) but the Jacobian of a map from \(3,\) to \(3,\) "
        r"has shape \(3, 3\)$",
    ):
        check_jacobian(torch.sin, x, torch.cos(x), "diag")
    with pytest.raises(
        ValueError,
        match=r"^vector f: check_gradient needs a scalar function, but f\(x\) has shape \(2,\); "
        r"use check_jacobian for vector outputs$",
    ):
        check_gradient(torch.sin, torch.ones(2, dtype=D), torch.ones(2), "vector f")
    # one output that is not a 0-d scalar is not a scalar function either
    with pytest.raises(ValueError, match=r"f\(x\) has shape \(1,\)"):
        check_gradient(lambda t: t.sum().reshape(1), torch.ones(2, dtype=D), torch.ones(2), "shape (1,)")
    with pytest.raises(TypeError, match=r"^x must be a torch.Tensor, got list$"):
        numerical_jacobian(torch.sin, [1.0])


def test_derived_values_are_read_in_float64():
    # a derived Jacobian given as Python floats is compared at float64 precision: rounded to
    # float32 it would be ~3e-8 relative off, which rtol=1e-9 rejects
    x = torch.tensor([0.3, 1.1], dtype=D)
    exact = torch.diag(torch.cos(x)).tolist()
    check_jacobian(torch.sin, x, exact, "float64 lists", rtol=1e-9, atol=0)
    with pytest.raises(AssertionError, match="derived vs autograd"):
        check_jacobian(torch.sin, x, torch.tensor(exact, dtype=torch.float32), "float32", rtol=1e-9, atol=0)


def test_numerical_jacobian_differences_in_float64_even_for_float32_outputs():
    x = torch.tensor(1.1, dtype=D)
    f = lambda t: (t**3).float()
    eps = 1e-3
    up, down = np.float64(np.float32((1.1 + eps) ** 3)), np.float64(np.float32((1.1 - eps) ** 3))
    expected = (up - down) / (2 * eps)
    assert numerical_jacobian(f, x, eps).item() == pytest.approx(expected, rel=1e-14, abs=0)


def identity_with_backward_off_by(off: float):
    class Identity(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.clone()

        @staticmethod
        def backward(ctx, grad):
            return grad * (1 + off)

    return Identity.apply


def test_gradcheck_gets_the_callers_tolerances_and_eps():
    x = torch.tensor([0.4, -0.7], dtype=D)
    eye = torch.eye(2, dtype=D)
    # rtol=1e-5: gradcheck must use rtol 1e-2 (its default, 1e-3, would reject 1.0004e-2)
    check_jacobian(identity_with_backward_off_by(1.0004e-2), x, eye * (1 + 1.0002e-2), "rtol", rtol=1e-5)
    # atol=1e-3: gradcheck must use atol 1 (its default, 1e-5, would reject 0.5)
    check_jacobian(identity_with_backward_off_by(0.5), x, eye * 1.5, "atol", rtol=1e-9, atol=1e-3)
    # and exactly 1e3 * atol: autograd 1.0005 off is just outside 1 + 1e-6
    with pytest.raises(AssertionError, match="gradcheck disagrees"):
        check_jacobian(identity_with_backward_off_by(1.0005), x, eye * 2.0, "atol edge", rtol=1e-9, atol=1e-3)
    with pytest.raises(AssertionError, match=r"^atol edge \(derived vs finite differences\)"):
        check_jacobian(
            identity_with_backward_off_by(1.0005), x, eye * 2.0005, "atol edge", rtol=1e-9, atol=1e-3
        )

    # eps: x + 1e-3 sin(1e3 x) wiggles on a scale far below eps=0.5, and its autograd (a custom
    # backward) gives the smoothed derivative 1; with eps=0.5 both finite-difference routes agree,
    # with gradcheck's default eps=1e-6 it would see the wiggle
    class Wiggle(torch.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t + 1e-3 * torch.sin(1e3 * t)

        @staticmethod
        def backward(ctx, grad):
            return grad

    check_jacobian(Wiggle.apply, x, eye, "smoothed", rtol=1e-5, eps=0.5)
