"""Tests of the book's tooling: twin pairing, drift detection, and the environment files."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import nbtools  # noqa: E402

TWIN = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
    format_version: 0.13
    jupytext_version: 1.19.6
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# A page

```{code-cell} ipython3
x = 1 + 1
```
"""


@pytest.fixture
def pair(tmp_path):
    shutil.copy(ROOT / "jupytext.toml", tmp_path / "jupytext.toml")
    (tmp_path / "page.myst.md").write_text(TWIN)
    assert nbtools.main(["sync", str(tmp_path)]) == 0
    return tmp_path


def test_sync_creates_the_notebook_and_the_pair_is_in_step(pair):
    assert (pair / "page.ipynb").exists()
    assert nbtools.main(["check", str(pair)]) == 0


def test_editing_a_twin_is_caught_as_drift(pair, capsys):
    twin = pair / "page.myst.md"
    twin.write_text(twin.read_text().replace("x = 1 + 1", "x = 1 + 2"))
    assert nbtools.main(["check", str(pair)]) == 1
    err = capsys.readouterr().err
    assert "drifted" in err and "x = 1 + 2" in err and "make sync" in err
    # sync repairs it, and carries the edit into the notebook
    assert nbtools.main(["sync", str(pair)]) == 0
    assert nbtools.main(["check", str(pair)]) == 0
    assert "x = 1 + 2" in (pair / "page.ipynb").read_text()


def test_editing_a_notebook_is_caught_too(pair):
    nb = pair / "page.ipynb"
    nb.write_text(nb.read_text().replace("x = 1 + 1", "x = 3"))
    assert nbtools.main(["check", str(pair)]) == 1


def test_a_notebook_without_twin_is_caught(pair, capsys):
    (pair / "page.myst.md").unlink()
    assert nbtools.main(["check", str(pair)]) == 1
    assert "no text twin" in capsys.readouterr().err


def test_the_check_is_what_make_test_runs():
    makefile = (ROOT / "Makefile").read_text()
    assert "tools/nbtools.py check" in makefile
    test_recipe = makefile.split("\ntest:")[1].split("\n\n")[0]
    for step in ("unit", "twins", "book", "nbval"):
        assert f"$(MAKE) {step}" in test_recipe


def test_the_book_twins_are_in_step():
    assert nbtools.main(["check", str(ROOT / "book")]) == 0


def test_every_toc_page_exists_and_every_notebook_is_in_the_toc():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(node):
        for key in ("parts", "chapters", "sections"):
            for child in node.get(key, []):
                if "file" in child:
                    files.append(child["file"])
                walk(child)

    walk(toc)
    for f in files:
        assert (ROOT / f"{f}.ipynb").exists() or (ROOT / f"{f}.md").exists(), f
    notebooks = {str(p.relative_to(ROOT).with_suffix("")) for p in (ROOT / "book").rglob("*.ipynb")}
    assert notebooks <= set(files), f"notebooks missing from _toc.yml: {notebooks - set(files)}"


def _requirement_set(lines):
    return {re.sub(r"\s+", "", line).lower() for line in lines}


def test_environment_yml_mirrors_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = _requirement_set(project["dependencies"] + project["optional-dependencies"]["book"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    listed = _requirement_set(p for p in pip_section if not p.startswith("-e"))
    assert listed == wanted, (
        f"only in environment.yml: {listed - wanted}; only in pyproject: {wanted - listed}"
    )
    assert "-e ." in pip_section
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    assert python.startswith("python=3.1")


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "set -euo pipefail" in ci and re.search(r"^make test\b", ci, re.M)
    assert "|| true" not in ci
    assert "make test" in (ROOT / "README.md").read_text()


def test_make_help_lists_the_targets():
    out = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for target in ("book", "test", "execute", "lint", "help"):
        assert f"make {target}" in out
