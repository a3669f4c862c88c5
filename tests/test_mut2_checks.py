"""``hwlib.checks``, second mutation pass: hidden references (digest format, the zero class, empty and
non-finite entries, how ``sig`` and ``zero`` are chosen) and the messages of a hidden check."""

from __future__ import annotations

import hashlib
import math

import numpy as np
import pytest

from hwlib.checks import assert_close, hidden, hidden_digests


def _sha(sig: int, index: int, key: str) -> str:
    """The digest format the student edition stores in its notebooks (it must not change):
    the first 16 hex digits of sha256("hwlib-hidden|<sig>|<flat index>|<key>")."""
    return hashlib.sha256(f"hwlib-hidden|{sig}|{index}|{key}".encode()).hexdigest()[:16]


def test_a_value_in_the_zero_class_hashes_as_the_key_0():
    digests, sig, zero = hidden_digests([0.0], rtol=0.0, atol=1e-3)
    assert (digests, sig, zero) == (_sha(12, 0, "0"), 12, 1e-3)


def test_a_rounded_value_hashes_as_the_repr_of_its_rounded_value():
    # 1.35 +- 2 * 0.06 = [1.23, 1.47] rounds to 1 at one digit only (1.2 != 1.4 at two)
    assert hidden_digests([1.35], rtol=0.0, atol=0.06) == (_sha(1, 0, "1.0"), 1, 0.0)


def test_non_finite_values_hash_as_their_repr_and_are_compared_exactly():
    values = [math.inf, -math.inf, math.nan]
    digests, sig, zero = hidden_digests(values, rtol=1e-7, atol=1e-10)
    assert digests == ",".join(_sha(12, i, k) for i, k in enumerate(["inf", "-inf", "nan"]))
    reference = hidden(digests, shape=(3,), sig=sig, zero=zero)
    assert_close(reference, np.array(values), "same non-finite values", quiet=True)
    for wrong in (
        [-math.inf, -math.inf, math.nan],
        [math.inf, math.nan, math.nan],
        [math.inf, -math.inf, math.inf],
    ):
        with pytest.raises(AssertionError, match="1 of 3 entries differ"):
            assert_close(reference, np.array(wrong), "other non-finite values", quiet=True)


def test_an_answer_exactly_at_the_zero_bound_counts_as_zero():
    """Hidden's documented class: entries with |x| <= zero count as 0 (the bound included)."""
    digests, sig, zero = hidden_digests([0.0], rtol=0.0, atol=1e-3)
    assert zero == 1e-3
    reference = hidden(digests, sig=sig, zero=zero)
    for answer in (1e-3, -1e-3, 0.0):
        assert_close(reference, answer, "at the bound", quiet=True)
    with pytest.raises(AssertionError):
        assert_close(reference, 1.5e-3, "past the bound", quiet=True)


def test_hidden_zero_defaults_to_0():
    # a reference of 0.5 with rtol=1e-3: nothing is small, so zero = 0.0, hidden()'s default
    digests, sig, zero = hidden_digests([0.5], rtol=1e-3, atol=0.0)
    assert zero == 0.0
    reference = hidden(digests, sig=sig)
    assert_close(reference, 0.5, "default zero", quiet=True)
    assert_close(reference, 0.5 + 0.4e-3, "default zero, within rtol", quiet=True)
    with pytest.raises(AssertionError):
        assert_close(reference, 0.0, "a zero answer", quiet=True)


def test_an_empty_hidden_reference_grades_an_empty_answer(capsys):
    reference = hidden("", shape=(0,), sig=3)
    assert reference.digests == []
    assert_close(reference, np.zeros(0), "empty answer")
    assert capsys.readouterr().out == "ok  empty answer  [shape (0,)]\n"
    with pytest.raises(ValueError, match=r"^hidden: 0 digests for shape \(1,\)$"):
        hidden("", shape=(1,), sig=3)


def test_a_hidden_check_prints_the_answer_shape(capsys):
    digests, sig, zero = hidden_digests([1.0, 2.0], rtol=1e-7, atol=1e-10)
    reference = hidden(digests, shape=(2,), sig=sig, zero=zero)
    assert_close(reference, [1.0, 2.0], "vector")
    assert_close(hidden(hidden_digests([3.0], rtol=1e-7, atol=0.0)[0], sig=sig), 3.0, "number")
    assert capsys.readouterr().out == "ok  vector  [shape (2,)]\nok  number  [scalar]\n"


def test_a_failing_hidden_check_shows_the_answer():
    digests, sig, zero = hidden_digests([1.0, 2.0], rtol=1e-7, atol=1e-10)
    reference = hidden(digests, shape=(2,), sig=sig, zero=zero)
    with pytest.raises(AssertionError) as info:
        assert_close(reference, [1.0, 3.0], "vector")
    message = str(info.value)
    assert message.startswith("vector: 1 of 2 entries differ from the hidden reference")
    assert "first at flat index 1" in message
    assert message.endswith("actual:\n" + np.array2string(np.array([1.0, 3.0])))


def test_a_non_numeric_answer_to_a_hidden_reference_is_named():
    reference = hidden(hidden_digests([1.0], rtol=1e-7, atol=0.0)[0], sig=12)
    with pytest.raises(TypeError, match=r"^my answer: the actual value is not numeric: \[None\]$"):
        assert_close(reference, [None], "my answer")


def test_the_zero_class_includes_a_value_exactly_at_its_tolerance():
    # |0.5| <= 0 + 1.0 * 0.5: within the tolerance of zero (allclose's <=), so in the zero class,
    # whose bound is |v| + tol = 1.0
    assert hidden_digests([0.5], rtol=1.0, atol=0.0) == (_sha(12, 0, "0"), 12, 1.0)


def test_the_zero_bound_adds_the_tolerance_of_each_small_value():
    # 1e-4 is small (<= 1e-3 + 0.5 * 1e-4); its class reaches 1e-4 + (1e-3 + 0.5e-4)
    _, sig, zero = hidden_digests([1e-4], rtol=0.5, atol=1e-3)
    assert sig == 12
    assert zero == pytest.approx(1e-4 + 1e-3 + 0.5e-4, rel=1e-12)


def test_a_value_exactly_twice_its_tolerance_above_zero_is_too_close():
    # zero = 0.25 (from 0.0); 0.75 - 2 * 0.25 = 0.25 is not above it
    with pytest.raises(
        ValueError, match=r"^hidden_digests: 0.75 is too close to the values treated as zero$"
    ):
        hidden_digests([0.0, 0.75], rtol=0.0, atol=0.25)


def test_a_value_clear_of_zero_but_of_no_rounding_cell_says_so():
    # 1 - 2 * 0.4 = 0.2 > 0: not too close to zero, but [0.2, 1.8] straddles every rounding step
    with pytest.raises(
        ValueError,
        match=r"^hidden_digests: no precision rounds every value away from its rounding boundaries$",
    ):
        hidden_digests([1.0], rtol=0.0, atol=0.4)


@pytest.mark.parametrize(
    "value, atol, sig",
    [
        (1.0, 0.02, 1),  # [0.96, 1.04] rounds to 1 at one digit; 0.94 would not
        (1.35, 0.06, 1),  # [1.23, 1.47] rounds to 1 at one digit; 1.53 would not
        (1.2345, 1e-6, 6),  # [1.234498, 1.234502] rounds to 1.23450 at six digits, not at seven
    ],
)
def test_sig_is_the_most_digits_at_which_twice_the_tolerance_rounds_alike(value, atol, sig):
    assert hidden_digests([value], rtol=0.0, atol=atol)[1] == sig
