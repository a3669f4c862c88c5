"""Tests of the book's tooling: twin pairing, drift detection, and the environment files."""

import importlib.metadata
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

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


# GUIDE.md's budgets: a page is about 450 lines of its twin, an hwlib module about 300 lines.
# The limits leave a little slack over "about", no more.
PAGE_LINES, MODULE_LINES = 460, 320


def test_no_page_is_longer_than_its_budget():
    long = {
        str(t.relative_to(ROOT)): n
        for t in sorted((ROOT / "book").rglob("*.myst.md"))
        if (n := len(t.read_text().splitlines())) > PAGE_LINES
    }
    assert not long, (
        f"pages over {PAGE_LINES} lines (split them at a question heading, see AUTHORING.md): {long}"
    )


def test_no_hwlib_module_is_longer_than_its_budget():
    long = {
        str(m.relative_to(ROOT)): n
        for m in sorted((ROOT / "src" / "hwlib").rglob("*.py"))
        if (n := len(m.read_text().splitlines())) > MODULE_LINES
    }
    assert not long, f"hwlib modules over {MODULE_LINES} lines (one concern per module): {long}"


LOCK = ROOT / "requirements.lock"


def _lock_pins() -> dict[str, tuple[str, str]]:
    """``{normalised name: (version, the annotation block)}`` of requirements.lock."""
    pins, name = {}, None
    for line in LOCK.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9._-]+)==([^\s;]+)\s*$", line)
        if m:
            name = canonicalize_name(m.group(1))
            pins[name] = (m.group(2), "")
        elif line.startswith("    #") and name:
            pins[name] = (pins[name][0], pins[name][1] + line + "\n")
        elif line and not line.startswith("#"):
            raise AssertionError(
                f"requirements.lock: unexpected line {line!r} (regenerate it with make lock)"
            )
    return pins


def _project_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    return [
        Requirement(r) for r in project["dependencies"] + extras["book"] + extras["mutation"] + extras["lab"]
    ]


def test_the_lock_pins_every_requirement_of_pyproject_within_its_range():
    pins = _lock_pins()
    assert len(pins) > 100, "the lock must pin every transitive package, not only the direct ones"
    for req in _project_requirements():
        name = canonicalize_name(req.name)
        assert name in pins, f"{req} is in pyproject.toml but not in requirements.lock: run make lock"
        version, via = pins[name]
        assert req.specifier.contains(version, prereleases=True), (
            f"lock pins {name}=={version}, outside {req}"
        )
        assert "hwlib (pyproject.toml)" in via, (
            f"{name}: the lock does not say pyproject asks for it (make lock)"
        )
    direct = {canonicalize_name(r.name) for r in _project_requirements()}
    stale = {n for n, (_, via) in pins.items() if "hwlib (pyproject.toml)" in via} - direct
    assert not stale, (
        f"the lock pins {stale} for pyproject.toml, which no longer asks for them: run make lock"
    )


def test_hwlib_ranges_are_loose_and_the_book_extra_holds_the_exact_torch():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = {canonicalize_name(Requirement(r).name): Requirement(r) for r in project["dependencies"]}
    for name in ("torch", "torchvision"):
        assert all(s.operator == ">=" for s in core[name].specifier), f"hwlib must accept an existing {name}"
    book = {
        canonicalize_name(Requirement(r).name): Requirement(r)
        for r in project["optional-dependencies"]["book"]
    }
    pins = _lock_pins()
    for name in ("torch", "torchvision"):
        (spec,) = book[name].specifier
        assert spec.operator == "==" and spec.version == pins[name][0], (
            f"book extra and lock disagree on {name}"
        )


def test_environment_yml_installs_the_lock():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    assert pip_section == ["--constraint requirements.lock", "-e .[book,mutation,lab]"]
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    header = re.search(r"autogenerated by pip-compile with Python (\d+\.\d+)", LOCK.read_text())
    assert header and python == f"python={header.group(1)}", "environment.yml and the lock name other Pythons"


def test_the_environment_running_the_tests_is_the_lock():
    """make created .venv from the lock: every locked package is installed at its pinned version."""
    pins = _lock_pins()
    wrong = {}
    for name, (version, _) in pins.items():
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            if name in {"pip"}:
                continue
            wrong[name] = (version, "missing")
            continue
        if installed != version:
            wrong[name] = (version, installed)
    assert not wrong, f"installed packages differ from requirements.lock (locked, installed): {wrong}"


def test_make_builds_the_venv_from_the_lock():
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\n$(STAMP):")[1].split("\n\n")[0]
    assert "$(LOCK)" in recipe.splitlines()[0], "the venv must be rebuilt when the lock changes"
    assert '--constraint $(LOCK) -e ".[book,mutation,lab]"' in recipe
    assert "pip-compile" in makefile.split("\nlock:")[1].split("\n\n")[0]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "set -euo pipefail" in ci and re.search(r"^make test\b", ci, re.M)
    assert "|| true" not in ci
    assert "make test" in (ROOT / "README.md").read_text()


def test_make_help_lists_the_targets():
    out = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for target in ("book", "test", "execute", "lint", "help"):
        assert f"make {target}" in out


def _headings_inside_solutions(text: str) -> list[int]:
    """Line numbers of markdown headings between a solution-start and its solution-end.

    sphinx-exercise cannot close a solution that spans a section boundary: the HTML build then
    fails with "unknown node type: solution_start_node".
    """
    found, inside, in_code = [], False, False
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("```"):
            in_code = not in_code if line.strip() == "```" or not in_code else in_code
            if line.startswith("```{code-cell}"):
                in_code = True
            continue
        if in_code:
            continue
        if line.startswith(":::{solution-start}"):
            inside = True
        elif line.startswith(":::{solution-end}"):
            inside = False
        elif inside and re.match(r"#{1,6} ", line):
            found.append(number)
    return found


def test_the_heading_detector():
    text = (
        ":::{solution-start} a\n```{code-cell} ipython3\n# a comment\n```\n"
        "## Bad\n:::{solution-end}\n## Fine\n"
    )
    assert _headings_inside_solutions(text) == [5]


@pytest.mark.parametrize("twin", sorted((ROOT / "book").rglob("*.myst.md")), ids=lambda p: p.name)
def test_no_heading_inside_a_solution(twin):
    lines = _headings_inside_solutions(twin.read_text(encoding="utf-8"))
    assert not lines, f"{twin.name}: headings inside a solution block at lines {lines}; use bold text instead"
