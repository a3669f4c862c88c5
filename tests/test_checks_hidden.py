"""``hwlib.checks.hidden``: a reference value kept out of sight still grades an answer, exactly as
loosely as the check it replaces and no looser than one rounding step."""

from __future__ import annotations

import numpy as np
import pytest

from hwlib.checks import Hidden, assert_close, hidden, hidden_digests


@pytest.mark.parametrize(
    "values, rtol, atol",
    [
        ([0.5], 1e-7, 1e-10),
        ([-0.02393685], 0.0, 1e-6),
        ([0.0, 1e-13, 3.0], 1e-7, 1e-12),
        ([123456.789, -0.001], 1e-3, 0.0),
        ([2.9999999], 1e-7, 0.0),
    ],
)
def test_hidden_accepts_what_the_check_accepts(values, rtol, atol):
    """Every value within the check's tolerance of the reference hashes like it."""
    digests, sig, zero = hidden_digests(values, rtol=rtol, atol=atol)
    reference = hidden(digests, shape=(len(values),), sig=sig, zero=zero)
    v = np.array(values)
    tol = atol + rtol * np.abs(v)
    for frac in (-0.999, -0.5, 0.0, 0.5, 0.999):
        answer = v + frac * tol
        assert_close(v, answer, "the book's check", rtol=rtol, atol=atol, quiet=True)  # accepted there ...
        assert_close(reference, answer, "the hidden check", quiet=True)  # ... so here too
    # and a value off by 100 times the tolerance (or 1e-6 of it, for an exact reference) is rejected
    off = v + np.maximum(100 * tol, 1e-6 * np.abs(v) + 1e-9)
    with pytest.raises(AssertionError):
        assert_close(reference, off, "the hidden check", quiet=True)


def test_hidden_refuses_a_reference_it_cannot_separate_from_zero():
    with pytest.raises(ValueError, match="too close to the values treated as zero"):
        hidden_digests([0.0, 3e-10], rtol=0.0, atol=1e-10)


def test_a_hidden_reference_grades_each_entry_and_says_which_differs():
    digests, sig, zero = hidden_digests([1.5, -2.25, 0.0], rtol=1e-7, atol=1e-10)
    ref = hidden(digests, shape=(3,), sig=sig, zero=zero)
    assert ref.shape == (3,) and len(ref.digests) == 3 and "3 significant" not in repr(ref)
    assert_close(ref, [1.5, -2.25, 1e-11], "right", quiet=True)
    assert_close([1.5, -2.25, 0.0], ref, "either side", quiet=True)
    with pytest.raises(AssertionError, match=r"1 of 3 entries differ .*first at flat index 1"):
        assert_close(ref, [1.5, 2.25, 0.0], "sign", quiet=True)
    with pytest.raises(AssertionError, match="shape mismatch, expected \\(3,\\) but got \\(1, 3\\)"):
        assert_close(ref, [[1.5, -2.25, 0.0]], "shape", quiet=True)


def test_a_hidden_check_prints_the_same_line_as_the_check_it_replaces(capsys):
    digests, sig, zero = hidden_digests([0.5], rtol=1e-7, atol=1e-10)
    assert_close(hidden(digests, sig=sig, zero=zero), 0.5, "g'(0)")
    assert_close(0.5, 0.5, "g'(0)")
    out = capsys.readouterr().out.splitlines()
    assert out == ["ok  g'(0)  [scalar]"] * 2
    assert_close(hidden(digests, sig=sig, zero=zero), 0.5, "quiet", quiet=True)
    assert capsys.readouterr().out == ""


def test_digests_depend_on_the_value_and_the_precision():
    one, s1, _ = hidden_digests([0.5], rtol=1e-7, atol=0.0)
    two, s2, _ = hidden_digests([0.25], rtol=1e-7, atol=0.0)
    coarse, s3, _ = hidden_digests([0.5], rtol=1e-2, atol=0.0)
    assert one != two and s1 == s2 and s3 < s1 and coarse != one
    assert len(one) == 16 and set(one) <= set("0123456789abcdef")
    same = hidden_digests([1.0, 1.0, 2.0, 1.0], rtol=1e-7, atol=0.0)[0].split(",")
    assert len(set(same)) == 4  # equal entries do not give themselves away by equal digests
    swapped = hidden(hidden_digests([1.0, 2.0], rtol=1e-7, atol=0.0)[0], shape=(2,), sig=7)
    with pytest.raises(AssertionError, match="2 of 2 entries differ"):
        assert_close(swapped, [2.0, 1.0], "order", quiet=True)


def test_bad_hidden_references_are_errors():
    with pytest.raises(ValueError, match="2 digests for shape \\(3,\\)"):
        Hidden("a,b", (3,), 6, 0.0)
    with pytest.raises(ValueError, match="no precision"):
        hidden_digests([1.0], rtol=0.3, atol=0.0)
    assert_close(
        hidden(hidden_digests([float("inf")], rtol=0, atol=0)[0], sig=12), float("inf"), "inf", quiet=True
    )
