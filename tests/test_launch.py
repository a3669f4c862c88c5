"""What the launch buttons rely on: every notebook starts with the launch cell, Binder has its own
CPU environment, and the Pages workflow publishes the book with the student edition."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
import yaml

from tests._helpers import load_file

ROOT = Path(__file__).resolve().parents[1]
nbtools = load_file("nbtools_for_launch", "tools/nbtools.py")
PAGES = sorted(p for p in (ROOT / "book").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT / "book")) for p in PAGES])
def test_every_notebook_starts_with_the_launch_cell(page):
    first = nbformat.read(page, as_version=4).cells[0]
    assert first.cell_type == "code" and first.source == nbtools.BOOTSTRAP, "run tools/nbtools.py bootstrap"
    assert first.metadata.get("tags") == ["remove-cell"] and not first.get("outputs")


def test_the_launch_cell_installs_hwlib_only_where_it_is_missing(monkeypatch):
    import importlib.util
    import subprocess

    calls = []
    monkeypatch.setattr(subprocess, "run", lambda cmd, check: calls.append(cmd))
    exec(nbtools.BOOTSTRAP, {})  # hwlib is installed here: nothing to do
    assert calls == []
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: None if name in ("hwlib", "sympy") else real(name)
    )
    exec(nbtools.BOOTSTRAP, {})
    assert calls[0][-2:] == ["--no-deps", f"hwlib @ git+{nbtools.REPOSITORY}"]  # never PyTorch with it
    assert calls[1][-1] == "sympy" and "torch" not in calls[1]


def test_the_repository_is_the_books():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["repository"]["url"] == nbtools.REPOSITORY


def test_binder_installs_the_cpu_build_and_the_lock_versions():
    lines = [
        ln.strip()
        for ln in (ROOT / "binder" / "requirements.txt").read_text().splitlines()
        if ln.strip() and not ln.startswith("#")
    ]
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in lines and "." in lines
    lock = dict(
        ln.split("==", 1)
        for ln in (ROOT / "requirements.lock").read_text().splitlines()
        if "==" in ln and not ln.startswith((" ", "#"))
    )
    for line in lines:
        if "==" in line:
            name, version = line.split("==")
            assert version.split("+")[0] == lock[name].strip(), line
    assert "torch==2.14.1+cpu" in lines and "jupyterlab-myst==2.7.0" in lines


def test_pages_publishes_the_book_the_exercises_and_the_zips():
    flow = yaml.safe_load((ROOT / ".github" / "workflows" / "pages.yml").read_text())
    steps = flow["jobs"]["build"]["steps"]
    script = "\n".join(s.get("run", "") for s in steps)
    assert "make book student student-html" in script and "student-zips/*.zip" in script
    uses = [s.get("uses", "") for job in flow["jobs"].values() for s in job["steps"]]
    assert any(u.startswith("actions/upload-pages-artifact") for u in uses)
    assert any(u.startswith("actions/deploy-pages") for u in uses)
    assert flow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
