"""The version guard of hwlib.kernels: Triton's interpreter before 3.7 fails under NumPy 2.4."""

import pytest
from _helpers import set_kernels_interpreted

from hwlib import kernels


@pytest.mark.parametrize(
    ("triton_version", "numpy_version", "broken"),
    [
        ("3.6.0", "2.4.6", True),  # what make compat found: int() of a one-element array
        ("3.6.0", "2.3.5", False),
        ("3.7.1", "2.4.6", False),
        ("3.8.0", "2.4.6", False),
        ("3.6.0+git1234", "2.4.0rc1", True),
        ("2.3.1", "1.26.4", False),
    ],
)
def test_interpreter_problem_names_the_fix(triton_version, numpy_version, broken):
    problem = kernels.interpreter_problem(triton_version, numpy_version)
    assert (problem is not None) == broken
    if broken:
        assert "numpy<2.4" in problem and "triton>=3.7" in problem


def test_the_wrappers_refuse_a_broken_interpreter_with_the_fix(monkeypatch):
    import torch

    set_kernels_interpreted(monkeypatch, True)
    monkeypatch.setattr(kernels.triton, "__version__", "3.6.0")
    monkeypatch.setattr("numpy.__version__", "2.4.6")
    a = torch.ones(2, 2)
    for call in (lambda: kernels.matmul_naive(a, a), lambda: kernels.matmul_tiled(a, a)):
        with pytest.raises(RuntimeError, match="numpy<2.4"):
            call()
