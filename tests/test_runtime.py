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
    monkeypatch.delenv("HWLIB_THREADS", raising=False)
    monkeypatch.delenv("HWLIB_PROFILE", raising=False)
    monkeypatch.setenv("HWLIB_DEVICE", "cpu")
    ctx = hwlib.setup(seed=7)
    assert ctx.device.type == "cpu"
    assert ctx.profile == "quick"  # auto resolves to quick off CUDA
    ctx.started = 1000.0
    monkeypatch.setattr(runtime.time, "time", lambda: 1012.34)  # 12.34 s after the start
    d = ctx.as_dict()
    assert d["seed"] == 7 and d["torch"] == torch.__version__ and d["wall_time_s"] == 12.3
    assert d["threads"] == 1 and d["device"].startswith("CPU (") and d["profile"] == "quick"
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


def test_report_shows_the_provenance_note_and_asserts(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    monkeypatch.setenv("HWLIB_DEVICE", "cpu")
    monkeypatch.delenv("HWLIB_THREADS", raising=False)
    ctx = hwlib.setup(seed=5, profile="quick")
    ctx.started = 100.0
    monkeypatch.setattr(runtime.time, "time", lambda: 142.04)
    d = ctx.report()
    assert d == ctx.as_dict() and d["profile"] == "quick" and d["wall_time_s"] == 42.0
    (note,) = shown
    assert isinstance(note, IPython.display.Markdown)
    assert note.data.startswith(":::{admonition} Provenance of this page\n:class: note\n")
    assert (
        f"Outputs computed on **{d['device']}** (1 thread) with torch {torch.__version__}, "
        f"numpy {np.__version__} (Python " in note.data
    )
    assert "profile `quick`, seed 5; the notebook ran for 42.0 s.\n:::" in note.data
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


def test_wall_time_counts_from_process_start(monkeypatch):
    import psutil

    ctx = hwlib.setup(seed=0)
    # the default start is this process's creation time, as psutil reports it (not "now")
    assert ctx.started == psutil.Process().create_time()
    ctx.started = 50.0
    monkeypatch.setattr(runtime.time, "time", lambda: 57.5)
    assert ctx.wall_time() == 7.5
    monkeypatch.setattr(runtime.time, "time", lambda: 49.0)  # a clock set back: never negative
    assert ctx.wall_time() == 0.0


def test_device_name(monkeypatch):
    monkeypatch.setattr(runtime.platform, "processor", lambda: "x86_64-test")
    monkeypatch.setattr(runtime.os, "cpu_count", lambda: 6)
    assert runtime.device_name(torch.device("cpu")) == "CPU (x86_64-test, 6 cores)"
    monkeypatch.setattr(runtime.platform, "processor", lambda: "")
    monkeypatch.setattr(runtime.platform, "machine", lambda: "aarch64")
    assert runtime.device_name(torch.device("cpu")) == "CPU (aarch64, 6 cores)"
    monkeypatch.setattr(runtime.platform, "machine", lambda: "")
    assert runtime.device_name(torch.device("cpu")) == "CPU (unknown CPU, 6 cores)"
    assert runtime.device_name(torch.device("mps")) == "Apple MPS"
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda d: f"Fake GPU {d}")
    assert runtime.device_name(torch.device("cuda", 0)) == "Fake GPU cuda:0"


def test_set_deterministic(monkeypatch):
    before = (
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
        torch.backends.cudnn.benchmark,
        torch.backends.cudnn.deterministic,
    )
    try:
        torch.use_deterministic_algorithms(False)
        torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic = True, False
        monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
        runtime.set_deterministic()
        assert torch.are_deterministic_algorithms_enabled()
        assert torch.is_deterministic_algorithms_warn_only_enabled()
        assert not torch.backends.cudnn.benchmark and torch.backends.cudnn.deterministic
        assert runtime.os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
        monkeypatch.setenv("CUBLAS_WORKSPACE_CONFIG", ":16:8")  # a setting of the user's is kept
        runtime.set_deterministic()
        assert runtime.os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":16:8"
    finally:
        torch.use_deterministic_algorithms(before[0], warn_only=before[1])
        torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic = before[2], before[3]


def test_set_plot_style():
    import matplotlib as mpl

    with mpl.rc_context({"figure.figsize": (1.0, 1.0), "axes.grid": False, "figure.dpi": 50}):
        runtime.set_plot_style()
        rc = mpl.rcParams
        assert (
            tuple(rc["figure.figsize"]) == (6.4, 3.8) and rc["figure.dpi"] == 110 and rc["savefig.dpi"] == 110
        )
        assert rc["axes.grid"] and rc["grid.alpha"] == 0.3 and rc["image.cmap"] == "viridis"
        assert not rc["axes.spines.top"] and not rc["axes.spines.right"] and not rc["legend.frameon"]
        assert (rc["axes.titlesize"], rc["axes.labelsize"], rc["legend.fontsize"]) == (11.0, 10.0, 9.0)
        assert rc["lines.linewidth"] == 1.8


def test_set_plot_style_asks_a_jupyter_kernel_for_png(monkeypatch):
    import IPython
    import matplotlib as mpl
    import matplotlib_inline.backend_inline as inline

    formats = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())
    monkeypatch.setattr(inline, "set_matplotlib_formats", lambda *f: formats.append(f))
    with mpl.rc_context():
        runtime.set_plot_style()
    assert formats == [("png",)]
    monkeypatch.setattr(IPython, "get_ipython", lambda: None)  # plain Python: nothing asked
    with mpl.rc_context():
        runtime.set_plot_style()
    assert formats == [("png",)]


def test_pick_device_prefers_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.delenv("HWLIB_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert runtime.pick_device() == torch.device("cuda")
    assert runtime.pick_device(" MPS ") == torch.device("mps")  # forced, case and spaces ignored
    assert runtime.pick_device("cpu") == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert runtime.pick_device() == torch.device("mps")
    monkeypatch.setenv("HWLIB_DEVICE", "cpu")
    assert runtime.pick_device() == torch.device("cpu")
    assert runtime.pick_device("mps") == torch.device("mps")  # the argument wins over the variable
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    monkeypatch.delenv("HWLIB_DEVICE")
    assert runtime.pick_device() == torch.device("cpu")
    with pytest.raises(
        RuntimeError, match=r"^an MPS device was asked for but none is available: unset HWLIB_DEVICE$"
    ):
        runtime.pick_device("mps")
    with pytest.raises(
        RuntimeError, match=r"^a CUDA device was asked for but torch.cuda.is_available\(\) is False"
    ):
        runtime.pick_device("cuda")
    with pytest.raises(
        ValueError, match=r"^device 'tpu' is not one of auto, cuda, mps, cpu; fix the argument"
    ):
        runtime.pick_device("TPU")


def test_setup_on_a_fake_cuda_machine_picks_the_full_profile(monkeypatch):
    monkeypatch.delenv("HWLIB_DEVICE", raising=False)
    monkeypatch.delenv("HWLIB_PROFILE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda d: "Fake GPU")
    threads = torch.get_num_threads()
    monkeypatch.setenv("HWLIB_THREADS", "3")  # ignored off the CPU
    ctx = hwlib.setup(seed=1)
    assert ctx.device == torch.device("cuda") and ctx.profile == "full" and not ctx.quick
    assert ctx.device_name == "Fake GPU" and ctx.threads == threads == torch.get_num_threads()
    assert ctx.pick("small", "big") == "big"


def test_resolve_profile_defaults_and_blank_environment(monkeypatch):
    monkeypatch.delenv("HWLIB_PROFILE", raising=False)
    monkeypatch.delenv("HWLIB_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert runtime.resolve_profile() == "quick"  # "auto" and no device given: the device is picked
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert runtime.resolve_profile() == "full"
    monkeypatch.setenv("HWLIB_PROFILE", "  ")  # blank counts as unset
    assert runtime.resolve_profile("auto", torch.device("cpu")) == "quick"
    with pytest.raises(
        ValueError,
        match=r"^profile='fast' is not one of auto, quick, full; "
        r"pass one of these to hwlib.setup\(profile=...\)$",
    ):
        runtime.resolve_profile("fast")


def test_setup_default_seed_is_zero(monkeypatch):
    monkeypatch.setenv("HWLIB_DEVICE", "cpu")
    monkeypatch.delenv("HWLIB_THREADS", raising=False)
    assert hwlib.setup().seed == 0
    first = torch.rand(1).item()
    hwlib.setup(seed=0)
    assert torch.rand(1).item() == first


def notes(monkeypatch, ctx, now):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj.data))
    monkeypatch.setattr(runtime.time, "time", lambda: now)
    ctx.report()
    return shown[0]


def test_report_threads_only_on_the_cpu_and_plural(monkeypatch):
    cpu = runtime.Provenance(
        seed=0, profile="quick", device=torch.device("cpu"), device_name="CPU (x)", threads=2
    )
    cpu.started = 10.0
    assert "on **CPU (x)** (2 threads) with torch" in notes(
        monkeypatch, cpu, 10.0
    )  # a wall time of 0 is fine
    one = runtime.Provenance(
        seed=0, profile="quick", device=torch.device("cpu"), device_name="CPU (x)", threads=1
    )
    one.started = 10.0
    assert "on **CPU (x)** (1 thread) with torch" in notes(monkeypatch, one, 10.5)
    gpu = runtime.Provenance(
        seed=0, profile="full", device=torch.device("cuda", 0), device_name="Fake GPU", threads=8
    )
    gpu.started = 10.0
    assert "on **Fake GPU** with torch" in notes(monkeypatch, gpu, 11.0)


def test_report_prints_the_summary_without_ipython(monkeypatch, capsys):
    import sys

    monkeypatch.setitem(sys.modules, "IPython.display", None)  # importing it now raises ImportError
    ctx = runtime.Provenance(seed=3, profile="quick", device=torch.device("cpu"), device_name="CPU (x)")
    ctx.started = 0.0
    monkeypatch.setattr(runtime.time, "time", lambda: 2.0)
    ctx.report()
    assert capsys.readouterr().out == ctx.summary() + "\n"
