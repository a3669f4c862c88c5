import random

import numpy as np
import pytest
import torch

import hwlib
from hwlib import runtime


def test_setup_seeds_every_generator():
    hwlib.setup(seed=123)
    a = (random.random(), np.random.rand(), torch.rand(1).item())
    hwlib.setup(seed=123)
    b = (random.random(), np.random.rand(), torch.rand(1).item())
    assert a == b
    hwlib.setup(seed=124)
    assert torch.rand(1).item() != a[2]


def test_setup_returns_provenance_on_cpu(monkeypatch):
    monkeypatch.delenv("HWLIB_PROFILE", raising=False)
    monkeypatch.setenv("HWLIB_DEVICE", "cpu")
    ctx = hwlib.setup(seed=7)
    assert ctx.device.type == "cpu"
    assert ctx.profile == "quick"  # auto resolves to quick off CUDA
    d = ctx.as_dict()
    assert d["seed"] == 7 and d["torch"] == torch.__version__ and d["wall_time_s"] >= 0
    assert "seed 7" in ctx.summary() and "profile quick" in ctx.summary()
    assert ctx.pick("small", "big") == "small"


@pytest.mark.parametrize(
    "arg, env, device, expected",
    [
        ("auto", None, "cpu", "quick"),
        ("auto", None, "cuda", "full"),
        ("auto", "full", "cpu", "full"),
        ("auto", "QUICK", "cuda", "quick"),
        ("quick", "full", "cuda", "quick"),  # an explicit argument wins over the environment
        ("full", None, "cpu", "full"),
        ("auto", "auto", "cpu", "quick"),
    ],
)
def test_resolve_profile(monkeypatch, arg, env, device, expected):
    if env is None:
        monkeypatch.delenv("HWLIB_PROFILE", raising=False)
    else:
        monkeypatch.setenv("HWLIB_PROFILE", env)
    assert runtime.resolve_profile(arg, torch.device(device)) == expected


def test_bad_profile_argument_names_the_choices():
    with pytest.raises(ValueError, match="auto, quick, full"):
        hwlib.setup(profile="fast")


def test_bad_profile_env_names_the_variable(monkeypatch):
    monkeypatch.setenv("HWLIB_PROFILE", "turbo")
    with pytest.raises(ValueError, match="HWLIB_PROFILE='turbo'.*auto, quick, full"):
        runtime.resolve_profile("auto", torch.device("cpu"))


def test_bad_seed():
    with pytest.raises(ValueError, match="non-negative int"):
        hwlib.setup(seed=-1)
    with pytest.raises(ValueError, match="non-negative int"):
        hwlib.setup(seed=1.5)


def test_device_choice(monkeypatch):
    monkeypatch.setenv("HWLIB_DEVICE", "tpu")
    with pytest.raises(ValueError, match="HWLIB_DEVICE"):
        runtime.pick_device()
    monkeypatch.delenv("HWLIB_DEVICE")
    expected = "cuda" if torch.cuda.is_available() else None
    if expected:
        assert runtime.pick_device().type == "cuda"
    else:
        assert runtime.pick_device().type in ("cpu", "mps")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_asking_for_missing_cuda_is_a_clear_error():
    with pytest.raises(RuntimeError, match="NVIDIA GPU"):
        runtime.pick_device("cuda")


def test_report_prints_and_asserts(capsys):
    ctx = hwlib.setup(seed=0, profile="quick")
    d = ctx.report()
    assert d["profile"] == "quick"
    ctx.profile = "medium"
    with pytest.raises(AssertionError):
        ctx.report()


def test_cpu_threads_default_and_override(monkeypatch):
    monkeypatch.setenv("HWLIB_DEVICE", "cpu")
    monkeypatch.delenv("HWLIB_THREADS", raising=False)
    before = torch.get_num_threads()
    try:
        assert hwlib.setup(seed=0).threads == 1 and torch.get_num_threads() == 1
        monkeypatch.setenv("HWLIB_THREADS", "2")
        assert hwlib.setup(seed=0).threads == 2 and torch.get_num_threads() == 2
        monkeypatch.setenv("HWLIB_THREADS", "many")
        with pytest.raises(ValueError, match="HWLIB_THREADS='many' must be a positive integer"):
            hwlib.setup(seed=0)
    finally:
        torch.set_num_threads(before)


def test_wall_time_counts_from_process_start():
    ctx = hwlib.setup(seed=0)
    assert ctx.wall_time() > 0  # the test process started before this call
