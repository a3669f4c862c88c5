"""``glue_many`` and ``assert_all``: one call for a cell's several glues or several claims.

Each is compared with what the one-at-a-time calls it replaces do (``glue``, ``assert_true``),
recorded independently, so a helper that drops, reorders, renames or mis-rounds an entry fails.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import hwlib
from hwlib import checks, gradients
from hwlib.checks import assert_all, assert_true
from hwlib.reporting import glue_many


def test_glue_many_glues_each_entry_in_order_with_the_prefix(recorded):
    glue_many(
        {
            "epochs": 10,
            "name": "CIFAR-10",
            "loss": 0.123456,
            "lr": (0.05123, 1),
            "max": (8.42e-08, 1, "upper"),
        },
        sig=3,
        prefix="ps4_",
    )
    assert recorded.calls == [
        ("ps4_epochs", 10, False),
        ("ps4_name", "CIFAR-10", False),
        ("ps4_loss", 0.123, False),
        ("ps4_lr", 0.05, False),
        ("ps4_max", 9e-08, False),
    ]


def test_glue_many_unwraps_tensors_and_numpy_values_like_glue(recorded):
    two = torch.tensor(2.0000000000000004, dtype=torch.float64)
    glue_many({"a": two, "n": np.int64(4), "b": True}, sig=4)
    assert recorded.calls == [("a", 2.0, False), ("n", 4, False), ("b", True, False)]
    assert type(recorded.calls[1][1]) is int


def test_glue_many_needs_digits_for_floats(recorded):
    with pytest.raises(TypeError, match=r"glue\('x_f'\): a float needs sig="):
        glue_many({"n": 3, "f": 0.5}, prefix="x_")
    assert recorded.calls == []  # the integer before the bad entry was not glued either


def test_glue_many_checks_every_entry_before_gluing_any(recorded):
    with pytest.raises(ValueError, match="floats only"):
        glue_many({"ok": 1.5, "bad": (3, 2)}, sig=2)
    with pytest.raises(ValueError, match=r"\(value, sig\) or \(value, sig, bound\)"):
        glue_many({"ok": 1.5, "bad": (1.0,)}, sig=2)
    with pytest.raises(ValueError, match="one number"):
        glue_many({"ok": 1.5, "bad": torch.ones(2)}, sig=2)
    with pytest.raises(ValueError, match="non-empty string"):
        glue_many({"ok": 1.5, "": 2.0}, sig=2)
    assert recorded.calls == []


def test_glue_many_rejects_what_is_not_a_mapping(recorded):
    with pytest.raises(TypeError, match="mapping"):
        glue_many([("a", 1)])
    with pytest.raises(ValueError, match="at least one"):
        glue_many({})
    with pytest.raises(TypeError, match="prefix"):
        glue_many({"a": 1}, prefix=3)


def test_assert_all_prints_what_assert_true_prints(capsys):
    claims = {"loss went down": 0.5 < 1.0, "accuracy above chance": torch.tensor(0.7) > 0.1}
    for what, condition in claims.items():
        assert_true(condition, what)
    one_by_one = capsys.readouterr().out
    assert_all(claims)
    assert capsys.readouterr().out == one_by_one == "ok  loss went down\nok  accuracy above chance\n"
    assert_all([(True, "first"), (1 == 1, "second", "detail shown only on failure")])
    assert capsys.readouterr().out == "ok  first\nok  second\n"
    assert_all({"quiet": True}, quiet=True)
    assert capsys.readouterr().out == ""


def test_assert_all_names_every_failed_claim_and_keeps_going(capsys):
    with pytest.raises(AssertionError) as err:
        assert_all([(False, "first", "was 3"), (True, "second"), (False, "third")])
    assert str(err.value) == (
        "2 of 3 claims do not hold:\nfirst: claim does not hold. was 3\nthird: claim does not hold."
    )
    assert capsys.readouterr().out == "ok  second\n"


def test_assert_all_rejects_malformed_claims():
    with pytest.raises(TypeError, match=r"\(condition, what\[, detail\]\)"):
        assert_all([True])
    with pytest.raises(ValueError, match="at least one claim"):
        assert_all({})
    with pytest.raises(ValueError, match="non-empty description"):
        assert_all({"": True})
    with pytest.raises(ValueError, match="one boolean"):
        assert_all({"several": torch.ones(3) > 0})


def test_gradient_checks_are_still_reachable_from_hwlib_checks():
    for name in ("numerical_jacobian", "autograd_jacobian", "check_jacobian", "check_gradient"):
        assert getattr(checks, name) is getattr(gradients, name) is not None
    from hwlib.checks import check_gradient

    assert check_gradient is gradients.check_gradient is hwlib.check_gradient
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        checks.nothing  # noqa: B018
