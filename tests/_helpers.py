"""Small helpers shared by the tests (not a test module: pytest collects only test_*.py)."""

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_file(name: str, relative_path: str):
    """Import the Python file at ``ROOT / relative_path`` as a module called ``name``."""
    spec = importlib.util.spec_from_file_location(name, ROOT / relative_path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


def set_kernels_interpreted(monkeypatch, interpreted: bool) -> None:
    """Make hwlib.kernels behave as if Triton ran interpreted (True) or compiled (False).

    ``INTERPRETED`` is bound in several modules of the package (``jit`` defines it, ``guards`` and
    ``wrappers`` read it, the package re-exports it), so each binding is patched: patching only
    ``hwlib.kernels.INTERPRETED`` would leave the wrappers' view unchanged.
    """
    from hwlib import kernels

    for module in (kernels, kernels.jit, kernels.guards, kernels.wrappers):
        monkeypatch.setattr(module, "INTERPRETED", interpreted)
