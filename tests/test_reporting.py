"""hwlib.reporting: numbers rounded to stated significant digits, and glue."""

import json
import math

import numpy as np
import pytest
import torch

from hwlib import reporting
from hwlib.reporting import fmt_sig, glue, round_sig


@pytest.mark.parametrize(
    ("value", "sig", "expected"),
    [
        (-2.0000000000000004, 4, -2.0),  # the raw repr that broke the regression on another CPU
        (-1.9999999999999996, 4, -2.0),
        (0.000123456, 2, 0.00012),
        (123456.0, 3, 123000.0),
        (5.394972358012483, 4, 5.395),
        (7.52985311552841e-05, 2, 7.5e-05),
        (0.0, 3, 0.0),
    ],
)
def test_round_sig_keeps_exactly_sig_digits(value, sig, expected):
    got = round_sig(value, sig)
    assert got == expected and repr(got) == repr(expected)


def test_values_that_differ_in_their_last_bits_round_to_the_same_text():
    x = 0.1 + 0.2  # 0.30000000000000004
    assert fmt_sig(x, 6) == fmt_sig(0.3, 6) == "0.3"
    neighbours = np.nextafter(np.float64(5.394972358012483), [np.inf, -np.inf])
    assert {fmt_sig(v, 4) for v in neighbours} == {"5.395"}


def test_negative_zero_loses_its_sign():
    assert repr(round_sig(-0.0, 3)) == "0.0"
    assert repr(round_sig(-1e-400, 3)) == "0.0"  # underflows to -0.0


def test_round_sig_unwraps_tensors_and_numpy_scalars():
    assert round_sig(torch.tensor(2.0 / 3.0, dtype=torch.float64), 3) == 0.667
    assert round_sig(np.float32(1 / 3), 2) == 0.33
    assert math.isnan(round_sig(float("nan"), 3)) and round_sig(float("inf"), 3) == math.inf


@pytest.mark.parametrize("sig", [0, 16, 2.5, True, None])
def test_round_sig_rejects_a_bad_digit_count(sig):
    with pytest.raises(ValueError, match="significant digits"):
        round_sig(1.0, sig)


def test_round_sig_rejects_non_numbers_and_tensors_of_several_values():
    with pytest.raises(TypeError, match="real number"):
        round_sig("1.5", 3)
    with pytest.raises(ValueError, match="shape"):
        round_sig(torch.ones(2), 3)


def test_glue_rounds_a_float_and_hides_it(recorded):
    assert glue("x", torch.tensor(-2.0000000000000004, dtype=torch.float64), sig=5) is None  # no Out[]
    assert recorded.calls == [("x", -2.0, False)]
    assert repr(recorded.calls[0][1]) == "-2.0"


def test_glue_passes_integers_bools_and_strings_unchanged(recorded):
    glue("n", torch.tensor(7))
    glue("k", np.int64(3))
    glue("s", "CIFAR-10")
    glue("b", True)
    assert recorded.calls == [("n", 7, False), ("k", 3, False), ("s", "CIFAR-10", False), ("b", True, False)]
    assert type(recorded.calls[0][1]) is int and type(recorded.calls[1][1]) is int


def test_glue_demands_sig_for_a_float_and_refuses_it_for_an_int(recorded):
    with pytest.raises(TypeError, match="sig="):
        glue("x", 0.5)
    with pytest.raises(ValueError, match="floats only"):
        glue("n", 3, sig=2)
    with pytest.raises(TypeError, match="number or a string"):
        glue("l", [1.0], sig=2)
    with pytest.raises(ValueError, match="non-empty name"):
        glue("", 1)
    assert recorded.calls == []


def test_glue_in_a_kernel_stores_the_rounded_text(capsys):
    """Through the real myst-nb: the stored text/plain is the rounded repr, as nbval compares it."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shown = []
    shell.display_pub.publish = lambda data, metadata=None, **kw: shown.append((data, metadata))
    try:
        glue("slope", -2.0000000000000004, sig=5)
    finally:
        InteractiveShell.clear_instance()
    ((data, metadata),) = shown
    assert metadata["scrapbook"]["name"] == "slope"
    assert json.dumps(data) == json.dumps({"application/papermill.record/text/plain": "-2.0"})


def test_the_module_names_its_public_api():
    assert set(reporting.__all__) == {"fmt_sig", "glue", "glue_many", "round_sig"}


@pytest.mark.parametrize(
    ("value", "sig", "bound", "expected"),
    [
        (8.42e-08, 1, "upper", 9e-08),  # "at most 8e-08" would be false
        (8.42e-08, 1, "lower", 8e-08),
        (8.42e-08, 2, None, 8.4e-08),
        (-0.0607948, 3, "upper", -0.0607),
        (-0.0607948, 3, "lower", -0.0608),
        (0.1, 1, "upper", 0.1),  # the float 0.1 is slightly above 1/10: an upper bound must stay >= it
        (2.0, 3, "lower", 2.0),
    ],
)
def test_round_sig_rounds_bounds_outward(value, sig, bound, expected):
    got = round_sig(value, sig, bound=bound)
    assert got == expected
    if bound == "upper":
        assert got >= value
    if bound == "lower":
        assert got <= value


def test_round_sig_half_even_on_an_exact_tie():
    # nearest rounding works on the float's exact value: 0.125 is exact in binary, a true tie
    assert round_sig(0.125, 2) == 0.12 and round_sig(0.375, 2) == 0.38


def test_glue_passes_the_bound_on(recorded):
    glue("worst", 8.42e-08, sig=1, bound="upper")
    assert recorded.calls == [("worst", 9e-08, False)]
    with pytest.raises(ValueError, match="bound must be"):
        glue("worst", 8.42e-08, sig=1, bound="up")
