"""Prepare a GPU machine that reaches no package index to run the book's notebooks.

The GPU runner's Python already has PyTorch, Triton and the scientific stack; what it
lacks are the book's own pure-Python tools (nbval, nbclient, jupytext, myst-nb for
``glue``, ...). They travel as wheels:

``python tools/gpu_env.py wheels [--python-version 3.12]``
    on a machine that reaches PyPI: download the wheels of the book's tools (and their
    dependencies) for the GPU machine's Python into ``wheelhouse/``.
``python3 tools/gpu_env.py install``
    on the GPU machine: create ``.venv-gpu`` with ``--system-site-packages`` (so it sees
    the machine's own torch and triton) and install the tools from ``wheelhouse/``
    without any index. hwlib is used from ``src/`` (``PYTHONPATH``), not installed.
``python3 tools/gpu_env.py requirements``
    print the requirement lines used by both steps.

The requirement list is derived from ``pyproject.toml`` (the ``book`` extra), minus what
the GPU image provides, so the two never disagree.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import venv
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
WHEELHOUSE = ROOT / "wheelhouse"
GPU_VENV = ROOT / ".venv-gpu"
# Provided by the GPU image (its own builds, matched to its CUDA driver), or not needed to
# re-execute notebooks: never downloaded or installed by this script.
PROVIDED = {
    "torch",
    "torchvision",
    "triton",
    "numpy",
    "scipy",
    "matplotlib",
    "sympy",
    "tqdm",
    "scikit-image",
    "scikit-learn",
    "pytest",
    "pyyaml",
    "ruff",
}
PLATFORMS = [
    "manylinux_2_28_x86_64",
    "manylinux_2_27_x86_64",
    "manylinux_2_17_x86_64",
    "manylinux2014_x86_64",
    "manylinux1_x86_64",
]


def requirements() -> list[str]:
    """The book's tool requirements that the GPU machine lacks, from pyproject.toml."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    out = []
    for req in project["optional-dependencies"]["book"]:
        name = re.split(r"[<>=!~\[ ;]", req, maxsplit=1)[0].strip().lower()
        if name not in PROVIDED:
            out.append(req)
    return out


def download(python_version: str) -> int:
    WHEELHOUSE.mkdir(exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--only-binary=:all:",
        "--dest",
        str(WHEELHOUSE),
        "--python-version",
        python_version,
        "--implementation",
        "cp",
    ]
    for plat in PLATFORMS:
        cmd += ["--platform", plat]
    cmd += requirements()
    print(" ".join(cmd), flush=True)
    return subprocess.call(cmd)


def install() -> int:
    if not WHEELHOUSE.is_dir() or not any(WHEELHOUSE.glob("*.whl")):
        print(
            f"gpu_env: no wheels in {WHEELHOUSE.relative_to(ROOT)}/: run `make gpu-wheels` on a machine "
            "that reaches PyPI and copy the folder here",
            file=sys.stderr,
        )
        return 1
    if not (GPU_VENV / "bin" / "python").exists():
        venv.EnvBuilder(system_site_packages=True, with_pip=True).create(GPU_VENV)
    py = str(GPU_VENV / "bin" / "python")
    cmd = [py, "-m", "pip", "install", "--no-index", "--find-links", str(WHEELHOUSE), *requirements()]
    print(" ".join(cmd), flush=True)
    return subprocess.call(cmd)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["wheels", "install", "requirements"])
    parser.add_argument("--python-version", default="3.12", help="the GPU machine's Python (wheels only)")
    args = parser.parse_args(argv)
    if args.command == "requirements":
        print("\n".join(requirements()))
        return 0
    if args.command == "wheels":
        return download(args.python_version)
    return install()


if __name__ == "__main__":
    sys.exit(main())
