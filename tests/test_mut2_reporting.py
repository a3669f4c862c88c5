"""``hwlib.reporting``, second mutation pass: the digit-count range, numpy arrays, non-finite bounds,
what glue stores for integers and bools, and the exact error messages."""

from __future__ import annotations

import enum
import math

import numpy as np
import pytest
import torch

from hwlib.reporting import glue, round_sig


def test_fifteen_significant_digits_are_allowed_sixteen_are_not():
    assert round_sig(0.1 + 0.2, 15) == 0.3  # 0.30000000000000004 at 15 digits
    with pytest.raises(
        ValueError, match=r"^round_sig: sig must be an int from 1 to 15 \(significant digits\), got 16$"
    ):
        round_sig(1.0, 16)


def test_a_bad_digit_count_is_reported_by_round_sig():
    with pytest.raises(
        ValueError, match=r"^round_sig: sig must be an int from 1 to 15 \(significant digits\), got 0$"
    ):
        round_sig(1.0, 0)


@pytest.mark.parametrize("array", [np.array(2.345), np.array([2.345]), np.array([[2.345]])])
def test_round_sig_unwraps_a_one_element_array(array):
    assert round_sig(array, 2) == 2.3


def re_shape(shape) -> str:
    return str(shape).replace("(", r"\(").replace(")", r"\)")


@pytest.mark.parametrize("shape", [(2,), (3,), (2, 2)])
def test_round_sig_refuses_an_array_of_several_values(shape):
    with pytest.raises(
        ValueError, match=rf"^round_sig: expected one number, got an array of shape {re_shape(shape)}$"
    ):
        round_sig(np.ones(shape), 2)


def test_round_sig_names_the_type_of_a_non_number():
    with pytest.raises(TypeError, match=r"^round_sig needs a real number, got str '1.5'$"):
        round_sig("1.5", 2)


@pytest.mark.parametrize("bound", [None, "upper", "lower"])
def test_non_finite_values_pass_through_every_rounding(bound):
    assert round_sig(math.inf, 3, bound=bound) == math.inf
    assert round_sig(-math.inf, 3, bound=bound) == -math.inf
    assert math.isnan(round_sig(math.nan, 3, bound=bound))


def test_glue_needs_a_name():
    with pytest.raises(ValueError, match=r"^glue needs a non-empty name$"):
        glue("", 1)


@pytest.mark.parametrize("value", [np.array([1.0, 2.0]), torch.tensor([1.0, 2.0])])
def test_glue_names_itself_when_refusing_several_values(value, recorded):
    with pytest.raises(
        ValueError, match=r"^glue\('x'\): expected one number, got (an array|a tensor) of shape \(2,\)$"
    ):
        glue("x", value, sig=2)
    assert recorded.calls == []


@pytest.mark.parametrize("value, kind", [(3, "int"), ("text", "str"), (True, "bool")])
def test_glue_refuses_sig_for_a_non_float_and_names_its_type(value, kind, recorded):
    with pytest.raises(
        ValueError, match=rf"^glue\('n'\): sig applies to floats only, but the value is {kind}$"
    ):
        glue("n", value, sig=2)


class _Colour(enum.IntEnum):
    RED = 2


def test_glue_stores_an_integer_as_a_plain_int_and_a_bool_as_a_bool(recorded):
    glue("colour", _Colour.RED)
    glue("flag", True)
    glue("count", np.int64(7))
    (n1, v1, d1), (n2, v2, d2), (n3, v3, d3) = recorded.calls
    assert (n1, v1, type(v1), d1) == ("colour", 2, int, False)  # int(), not the IntEnum member
    assert (n2, v2, type(v2), d2) == ("flag", True, bool, False)  # not int(True)
    assert (n3, v3, type(v3), d3) == ("count", 7, int, False)


def test_glue_explains_why_a_float_needs_sig(recorded):
    with pytest.raises(
        TypeError,
        match=r"^glue\('x'\): a float needs sig=, the number of significant digits its claim needs "
        r"\(its last bits differ between CPUs\)$",
    ):
        glue("x", 1.5)


def test_glue_names_itself_for_a_bad_digit_count(recorded):
    with pytest.raises(
        ValueError, match=r"^glue\('x'\): sig must be an int from 1 to 15 \(significant digits\), got 0$"
    ):
        glue("x", 1.5, sig=0)


def test_glue_names_the_type_it_cannot_glue(recorded):
    with pytest.raises(TypeError, match=r"^glue\('x'\): can glue a number or a string, got list$"):
        glue("x", [1.0])
