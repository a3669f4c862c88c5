"""hwlib.Table prints a value that rounds to zero without a sign, whatever the sign of its last bits."""

import numpy as np

from hwlib import Table


def test_a_value_rounding_to_zero_prints_the_same_from_either_side():
    t = Table([{"x": -1e-17}, {"x": 1e-17}, {"x": np.float64(-0.0)}, {"x": -0.0004}], floatfmt=".3f")
    assert t._cells() == [["0.000"], ["0.000"], ["0.000"], ["0.000"]]


def test_a_negative_value_keeps_its_sign():
    t = Table([{"x": -0.0006}, {"x": -2.5}, {"x": -1e-5}], floatfmt=".3f")  # -1e-5 rounds to zero
    assert t._cells() == [["-0.001"], ["-2.500"], ["0.000"]]
    assert Table([{"x": -1.5e-7}], floatfmt=".2e")._cells() == [["-1.50e-07"]]
