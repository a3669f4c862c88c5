"""Run-time set-up shared by every notebook.

``setup()`` is the first line of code on every page of the book. It seeds every
random number generator, asks PyTorch for deterministic kernels, picks the device
(CUDA, then Apple's MPS, then the CPU), resolves the *profile* (how much compute a
notebook may spend) and returns a :class:`Provenance` record. The record's
:meth:`Provenance.report` prints, at the end of the page, where the outputs came
from: device, torch and numpy versions, profile, seed and the notebook's wall time.
"""

from __future__ import annotations

import os
import platform
import random
import time
from dataclasses import dataclass, field

import numpy as np
import torch

PROFILES = ("quick", "full")
"""The profiles a notebook can run under. ``quick`` keeps every question and its
qualitative answer and fits a 2-core CPU; ``full`` is the handout's own protocol."""

PROFILE_ENV = "HWLIB_PROFILE"
DEVICE_ENV = "HWLIB_DEVICE"
THREADS_ENV = "HWLIB_THREADS"
_PROFILE_CHOICES = ("auto", *PROFILES)
_DEVICE_CHOICES = ("auto", "cuda", "mps", "cpu")


def resolve_profile(profile: str = "auto", device: torch.device | None = None) -> str:
    """Return ``"quick"`` or ``"full"``.

    An explicit ``"quick"``/``"full"`` argument wins. ``"auto"`` defers to the
    ``HWLIB_PROFILE`` environment variable, and if that is unset or ``auto`` too,
    picks ``full`` on a CUDA device and ``quick`` elsewhere.
    """
    if profile not in _PROFILE_CHOICES:
        raise ValueError(
            f"profile={profile!r} is not one of {', '.join(_PROFILE_CHOICES)}; "
            "pass one of these to hwlib.setup(profile=...)"
        )
    if profile == "auto":
        profile = os.environ.get(PROFILE_ENV, "auto").strip().lower() or "auto"
        if profile not in _PROFILE_CHOICES:
            raise ValueError(
                f"{PROFILE_ENV}={os.environ[PROFILE_ENV]!r} is not one of "
                f"{', '.join(_PROFILE_CHOICES)}; set it to one of these or unset it"
            )
    if profile == "auto":
        device = device if device is not None else pick_device()
        profile = "full" if device.type == "cuda" else "quick"
    return profile


def pick_device(prefer: str | None = None) -> torch.device:
    """Pick CUDA if present, else MPS, else the CPU.

    ``prefer`` (or the ``HWLIB_DEVICE`` environment variable) forces one of
    ``cuda``, ``mps`` or ``cpu``; asking for a device that is not there is an error
    that says so instead of a failure deep inside torch later on.
    """
    choice = (prefer or os.environ.get(DEVICE_ENV, "auto")).strip().lower()
    if choice not in _DEVICE_CHOICES:
        raise ValueError(
            f"device {choice!r} is not one of {', '.join(_DEVICE_CHOICES)}; "
            f"fix the argument or the {DEVICE_ENV} environment variable"
        )
    has_mps = bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available()
    if choice == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(
            "a CUDA device was asked for but torch.cuda.is_available() is False: "
            f"run on a machine with an NVIDIA GPU or unset {DEVICE_ENV}"
        )
    if choice == "mps" and not has_mps:
        raise RuntimeError(f"an MPS device was asked for but none is available: unset {DEVICE_ENV}")
    if choice == "auto":
        choice = "cuda" if torch.cuda.is_available() else ("mps" if has_mps else "cpu")
    return torch.device(choice)


def device_name(device: torch.device) -> str:
    """A human-readable name of ``device`` (the GPU's marketing name, or the CPU)."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    if device.type == "mps":
        return "Apple MPS"
    cpu = platform.processor() or platform.machine() or "unknown CPU"
    return f"CPU ({cpu}, {os.cpu_count()} cores)"


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and PyTorch's generators (all devices)."""
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device


def set_deterministic() -> None:
    """Ask PyTorch for deterministic kernels (cuBLAS workspace set before first use)."""
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True


def set_cpu_threads(device: torch.device) -> int:
    """Fix PyTorch's CPU thread count (``HWLIB_THREADS``, default 1) and return it.

    One thread by default, for two reasons: float sums are then added in the same order
    on every machine whatever its core count, so committed outputs reproduce; and the
    book's small tensors gain nothing from threads, which on a busy shared CPU (a CI
    runner) cost far more than they save. On a GPU the setting does not matter and is
    left alone.
    """
    if device.type != "cpu":
        return torch.get_num_threads()
    raw = os.environ.get(THREADS_ENV, "1").strip()
    try:
        threads = int(raw)
    except ValueError:
        threads = 0
    if threads < 1:
        raise ValueError(f"{THREADS_ENV}={raw!r} must be a positive integer (the number of CPU threads)")
    torch.set_num_threads(threads)
    return threads


def _process_start() -> float:
    """Wall-clock time at which this process (the notebook's kernel) started."""
    try:
        import psutil

        return psutil.Process(os.getpid()).create_time()
    except Exception:  # pragma: no cover - psutil is always there with ipykernel
        return time.time()


def set_plot_style() -> None:
    """One consistent matplotlib style for the whole book; figures are PNG."""
    import matplotlib as mpl

    mpl.rcParams.update(
        {
            "figure.figsize": (6.4, 3.8),
            "figure.dpi": 110,
            "savefig.dpi": 110,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titlesize": 11,
            "axes.labelsize": 10,
            "legend.fontsize": 9,
            "legend.frameon": False,
            "lines.linewidth": 1.8,
            "image.cmap": "viridis",
        }
    )
    try:  # inside a Jupyter kernel: make the inline backend emit PNG only
        from IPython import get_ipython

        if get_ipython() is not None:
            from matplotlib_inline.backend_inline import set_matplotlib_formats

            set_matplotlib_formats("png")
    except ImportError:  # pragma: no cover - IPython is always there in the book's env
        pass


@dataclass
class Provenance:
    """Where a page's outputs came from. Returned by :func:`setup`."""

    seed: int
    profile: str
    device: torch.device
    device_name: str
    threads: int = 1
    torch_version: str = field(default_factory=lambda: torch.__version__)
    numpy_version: str = field(default_factory=lambda: np.__version__)
    python_version: str = field(default_factory=platform.python_version)
    started: float = field(default_factory=_process_start)

    @property
    def quick(self) -> bool:
        """True under the ``quick`` profile."""
        return self.profile == "quick"

    def pick(self, quick, full):
        """Return ``quick`` or ``full`` according to the profile."""
        return quick if self.quick else full

    def wall_time(self) -> float:
        """Seconds since the process started: for a notebook, its whole run, imports included."""
        return max(0.0, time.time() - self.started)

    def as_dict(self) -> dict:
        """The record as plain values (wall time measured now)."""
        return {
            "device": self.device_name,
            "threads": self.threads,
            "torch": self.torch_version,
            "numpy": self.numpy_version,
            "python": self.python_version,
            "profile": self.profile,
            "seed": self.seed,
            "wall_time_s": round(self.wall_time(), 1),
        }

    def summary(self) -> str:
        """The record in one line."""
        d = self.as_dict()
        return (
            f"device {d['device']} · threads {d['threads']} · torch {d['torch']} · numpy {d['numpy']} · "
            f"python {d['python']} · "
            f"profile {d['profile']} · seed {d['seed']} · wall time {d['wall_time_s']:.1f} s"
        )

    def report(self) -> dict:
        """Show the provenance note at the end of a page and return the record.

        The cell that calls this varies between machines, so it is tagged
        ``nbval-ignore-output``; the invariants are asserted here instead.
        """
        d = self.as_dict()
        assert d["profile"] in PROFILES, d
        assert d["wall_time_s"] >= 0, d
        assert d["device"], d
        try:
            from IPython.display import Markdown, display

            display(
                Markdown(
                    ":::{admonition} Provenance of this page\n:class: note\n"
                    f"Outputs computed on **{d['device']}**"
                    + (
                        f" ({d['threads']} thread{'s' * (d['threads'] > 1)})"
                        if self.device.type == "cpu"
                        else ""
                    )
                    + f" with torch {d['torch']}, numpy {d['numpy']} "
                    f"(Python {d['python']}), profile `{d['profile']}`, seed {d['seed']}; "
                    f"the notebook ran for {d['wall_time_s']:.1f} s.\n:::"
                )
            )
        except ImportError:  # pragma: no cover
            print(self.summary())
        return d


def setup(seed: int = 0, profile: str = "auto") -> Provenance:
    """Prepare a notebook: seeds, deterministic kernels, device, CPU threads, profile, plot style.

    Parameters
    ----------
    seed:
        Seeds Python's ``random``, NumPy and PyTorch.
    profile:
        ``"auto"`` (the default: ``HWLIB_PROFILE`` if set, else ``full`` on CUDA
        and ``quick`` elsewhere), ``"quick"`` or ``"full"``.

    Returns
    -------
    Provenance
        The record that the last cell of the page reports.
    """
    device = pick_device()
    resolved = resolve_profile(profile, device)
    seed_everything(seed)
    set_deterministic()
    threads = set_cpu_threads(device)
    set_plot_style()
    return Provenance(
        seed=seed, profile=resolved, device=device, device_name=device_name(device), threads=threads
    )
