"""Small helpers shared by the tests (not a test module: pytest collects only test_*.py)."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_file(name: str, relative_path: str):
    """Import the Python file at ``ROOT / relative_path`` as a module called ``name``."""
    spec = importlib.util.spec_from_file_location(name, ROOT / relative_path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
