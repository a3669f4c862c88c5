"""``hwlib.loads``: counting the elements Triton kernels load, under the interpreter.

The counts are compared with closed forms derived independently of the kernels: the naive kernel
(one program per output, a K-long row and column each) loads 2 M N K elements; the tiled kernel
loads K (bm + bn) per tile, ceil(M / bm) ceil(N / bn) tiles, whatever the masked edges.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest
import torch

from hwlib import kernels, loads

pytestmark = pytest.mark.skipif(not kernels.INTERPRETED, reason="counts under the Triton interpreter (CPU)")


def naive_loads(m, n, k):
    return 2 * m * n * k


def tiled_loads(m, n, k, bm, bn):
    return math.ceil(m / bm) * math.ceil(n / bn) * k * (bm + bn)


@pytest.mark.parametrize(("m", "n", "k"), [(5, 6, 37), (1, 1, 3), (3, 2, 16)])
def test_the_naive_kernel_loads_a_row_and_a_column_per_output(m, n, k):
    result = loads.count_loads("naive", m, n, k)
    assert result["loads"] == naive_loads(m, n, k)
    assert result["max_error"] < 1e-4


@pytest.mark.parametrize(
    ("m", "n", "k", "bm", "bn"), [(45, 70, 37, 32, 32), (100, 20, 33, 16, 32), (16, 16, 16, 16, 16)]
)
def test_the_tiled_kernel_loads_one_strip_of_each_input_per_tile(m, n, k, bm, bn):
    result = loads.count_loads("tiled", m, n, k, bm, bn)
    assert result["loads"] == tiled_loads(m, n, k, bm, bn)
    assert result["max_error"] < 1e-3 * k


def test_masked_off_lanes_are_not_counted():
    """A ragged K (37 = 2 x 16 + 5) leaves 11 of the last 16 lanes off: lanes issued would count more."""
    counted = loads.count_loads("naive", 2, 2, 37)["loads"]
    assert counted == naive_loads(2, 2, 37) < 2 * 2 * 2 * 16 * math.ceil(37 / 16)


def test_the_routine_is_restored_even_when_the_block_raises():
    builder = loads._builder()
    original = builder.create_masked_load
    with pytest.raises(KeyError), loads.counting_loads() as counts:
        assert builder.create_masked_load is not original
        raise KeyError("boom")
    assert builder.create_masked_load is original
    assert counts == {"elements": 0, "loads": 0}


def test_counting_loads_counts_calls_and_elements_of_a_plain_kernel():
    x = torch.arange(40, dtype=torch.float32)
    with loads.counting_loads() as counts:
        kernels.doublify(x, block_size=16)  # 3 programs of 16 lanes, 40 on
    assert counts == {"elements": 40, "loads": 3}


def test_a_triton_without_the_routine_gets_a_clear_error(monkeypatch):
    from triton.runtime import interpreter

    monkeypatch.delattr(interpreter.InterpreterBuilder, "create_masked_load")
    with pytest.raises(
        loads.LoadCounterUnavailable, match=r"has no .*create_masked_load.*pip install 'triton>=3\.6"
    ):
        with loads.counting_loads():
            pass


def test_a_changed_mask_argument_gets_a_clear_error(monkeypatch):
    from triton.runtime import interpreter

    monkeypatch.setattr(
        interpreter.InterpreterBuilder, "create_masked_load", lambda self, ptrs, mask, *a: None
    )
    with loads.counting_loads():
        with pytest.raises(loads.LoadCounterUnavailable, match="mask of type list"):
            interpreter.InterpreterBuilder.create_masked_load(None, None, [True])


@pytest.mark.parametrize(
    ("case", "message"),
    [
        (("dense", 2, 2, 2), "kind must be 'naive' or 'tiled'"),
        (("naive", 0, 2, 2), "m must be a positive int"),
        (("naive", 2, 2, 2.0), "k must be a positive int"),
        (("tiled", 8, 8, 8, 24, 32), "bm must be a power of two of at least 16"),
        (("tiled", 8, 8, 8, 32, 8), "bn must be a power of two of at least 16"),
        (("naive", 2, 2, 2, 1, 1, 12), "bk must be a power of two for the naive kernel"),
    ],
)
def test_bad_cases_are_refused_before_any_kernel_runs(case, message):
    with pytest.raises(ValueError, match=message):
        loads.count_loads(*case)
    with pytest.raises(ValueError, match=message):
        loads.count_in_child([case])


def test_a_case_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError, match=r"\[kind, m, n, k\]"):
        loads.count_in_child([["naive", 2, 2]])


def test_the_child_counts_what_the_parent_counts():
    cases = [["naive", 3, 4, 21], ["tiled", 40, 20, 17, 32, 16]]
    assert [r["loads"] for r in loads.count_in_child(cases)] == [
        naive_loads(3, 4, 21),
        tiled_loads(40, 20, 17, 32, 16),
    ]


def test_a_failing_child_reports_its_error(monkeypatch):
    def failing(*args, **kwargs):
        return subprocess.CompletedProcess(
            args, 1, stdout="", stderr="Traceback\n  ...\nImportError: no triton here"
        )

    monkeypatch.setattr(loads.subprocess, "run", failing)
    with pytest.raises(
        RuntimeError, match=r"(?s)child Python failed \(exit 1\):\n.*ImportError: no triton here"
    ):
        loads.count_in_child([["naive", 2, 2, 2]])


def test_the_module_runs_as_a_script():
    out = subprocess.run(
        [sys.executable, "-m", "hwlib.loads", json.dumps([["naive", 2, 3, 5]])],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert json.loads(out.stdout)[0]["loads"] == naive_loads(2, 3, 5)
