"""The student edition (tools/student.py): stubs, hidden references, and the edition of every page.

Per page, three properties:

1. the edition is well formed: no solution prose, no solution code in its metadata, every stub
   with the name it replaces, no name used before it is defined (ruff's F821);
2. run from the top, it stops at its first stub with ``NotImplementedError`` naming the question,
   never earlier and never with another error (a ``NameError`` for instance);
3. with the book's solutions put back into the stubs it *is* the book's code (less the cells tagged
   ``solution-only``), apart from the hard-coded
   references that ``hidden`` replaced, which accept every value the book's own check accepts
   (``test_hidden_accepts_what_the_check_accepts``). The book's notebooks pass nbval in
   ``make test``, so every kept check passes on the reference solutions: the edition cannot drift.
   Two small pages are also executed whole with the solutions put back.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

from tests._helpers import load_file

ROOT = Path(__file__).resolve().parents[1]
student = load_file("student_tool", "tools/student.py")
PAGES = sorted(p for p in (ROOT / "book").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
IDS = [str(p.relative_to(ROOT / "book").with_suffix("")) for p in PAGES]
EX = student.Exercise("hw-q1", "Question 1 (a)")


# ---------------------------------------------------------------------------------------------
# stubs


def run_cell(source: str, namespace: dict | None = None) -> dict:
    namespace = {} if namespace is None else namespace
    exec(compile(source, "<cell>", "exec"), namespace)
    return namespace


def test_a_stubbed_function_keeps_its_signature_and_docstring_and_names_the_question():
    source = textwrap.dedent('''
        import math

        def area(r, *, scale=1.0):
            """Area of a disc."""
            return scale * math.pi * r**2

        assert area(1.0) > 3
    ''')
    out, stubs = student.stub_cell(source, EX, ["area"], "t")
    assert [(s.name, s.kind) for s in stubs] == [("area", "def")]
    assert "math.pi" not in out and "assert area(1.0) > 3" in out and "import math" in out
    ns = {}
    exec(compile(out.split("assert area")[0], "<cell>", "exec"), ns)
    assert ns["area"].__doc__ == "Area of a disc."
    with pytest.raises(NotImplementedError, match=r"Question 1 \(a\): write area \(exercise hw-q1\)"):
        ns["area"](2.0, scale=3.0)
    with pytest.raises(TypeError):  # the signature is the book's: a wrong call still fails as it would
        ns["area"]()


def test_a_stubbed_class_keeps_its_methods_signatures():
    source = textwrap.dedent('''
        class Layer(object):
            """A layer."""
            scale = 2

            def forward(self, x):
                """y = 2 x."""
                return self.scale * x
    ''')
    out, stubs = student.stub_cell(source, EX, ["Layer"], "t")
    assert [(s.name, s.kind) for s in stubs] == [("Layer", "def")] and "self.scale * x" not in out
    layer = run_cell(out)["Layer"]()
    assert layer.forward.__doc__ == "y = 2 x."
    with pytest.raises(NotImplementedError, match=r"write Layer.forward \(exercise hw-q1\)"):
        layer.forward(1.0)


def test_a_stubbed_value_stops_the_cell_before_the_checks_use_it():
    source = "x = 2\ny, z = x + 1, x + 2\nassert y == 3\n"
    out, stubs = student.stub_cell(source, EX, ["y"], "t")  # z is assigned with y: stubbed with it
    assert [s.name for s in stubs] == ["y", "z"]
    assert "x + 1" not in out and "assert y == 3" in out
    with pytest.raises(NotImplementedError, match=r"compute y, z \(replace the \.\.\. above\)"):
        run_cell(out)


def test_a_whole_answer_cell_keeps_imports_and_placeholders_only():
    source = "import math\nr = 2.0\ndef f(t):\n    return t + r\nfor k in range(3):\n    r += k\n"
    out, stubs = student.stub_cell(source, EX, None, "t")
    assert {(s.name, s.kind) for s in stubs} == {("f", "def"), ("r", "value")}
    assert "import math" in out and "range(3)" not in out and "t + r" not in out
    with pytest.raises(NotImplementedError, match="compute r"):
        run_cell(out)


@pytest.mark.parametrize("tags, error", [(["nothing"], "no such top-level name"), ([], "defines nothing")])
def test_bad_answer_tags_are_errors_that_say_what_to_do(tags, error):
    source = "print(1)\n" if not tags else "a = 1\n"
    with pytest.raises(student.StudentEditionError, match=error):
        student.stub_cell(source, EX, tags or None, "page, cell 3")


# ---------------------------------------------------------------------------------------------
# hidden references


@pytest.mark.parametrize(
    "node, value",
    [
        ("0.5", 0.5),
        ("-0.05", -0.05),
        ("1 / 3", 1 / 3),
        ("2 ** -3", 0.125),
        ("[1, -2.5]", [1, -2.5]),
        ("torch.tensor([[1.0, 2], [3, 4]], dtype=f64)", [[1.0, 2], [3, 4]]),
        ("x", None),
        ("f(2)", None),
        ("[1, x]", None),
        ("True", None),
        ("'a'", None),
        ("1 / 0", None),
    ],
)
def test_literal_value_reads_literals_only(node, value):
    assert student.literal_value(ast.parse(node, mode="eval").body) == value


def hidden_call(source: str) -> str:
    out, n = student.hide_references(source, "t")
    assert n == 1, out
    return out


def test_a_literal_reference_is_hidden_and_still_grades():
    import torch

    from hwlib.checks import assert_close, hidden

    out = hidden_call('assert_close(0.5, g(torch.tensor(0.0)), "g(0) = 1/2")\n')
    assert "0.5" not in out and "1/2" not in out and "hidden(" in out
    ns = {"assert_close": assert_close, "hidden": hidden, "torch": torch}
    run_cell(out, dict(ns, g=lambda t: t + 0.5))  # the right answer passes
    with pytest.raises(AssertionError, match="differ from the hidden reference"):
        run_cell(out, dict(ns, g=lambda t: t + 0.5 * (1 + 1e-5)))  # wrong in the 5th digit
    with pytest.raises(AssertionError, match="shape mismatch"):
        run_cell(out, dict(ns, g=lambda t: torch.stack([t, t]) + 0.5))


def test_references_on_either_side_and_computed_comparisons():
    assert "hidden(" in hidden_call("assert_close(f(1), [1, 2])\n")
    for kept in ("assert_close(f(1), g(1))\n", "assert_close(1.0, 1.0)\n", "check(0.5, f(1))\n"):
        assert student.hide_references(kept, "t") == (kept, 0)


def test_a_description_stating_the_value_is_replaced():
    out = hidden_call('assert_close(0.25, f(x), "f(x) = 1/4")\n')
    assert "1/4" not in out and "f(x) against the book's value (hidden)" in out
    out = hidden_call('assert_close(0.25, f(x), "the slope")\n')
    assert '"the slope"' in out


# ---------------------------------------------------------------------------------------------
# every page


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    out = tmp_path_factory.mktemp("student") / "edition"
    student.build([ROOT / "book"], out, make_zip=True)
    return out


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_the_edition_of_each_page_is_well_formed(page, edition):
    book = nbformat.read(page, as_version=4)
    nb = nbformat.read(edition / page.relative_to(ROOT / "book"), as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    assert "solution-start" not in text and "solution-end" not in text
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code")
    stubs = [s for c in nb.cells for s in c.metadata.get("student", {}).get("stubs", [])]
    assert stubs, "every page asks the student for some code"
    for cell in nb.cells:
        meta = cell.metadata.get("student", {})
        assert set(meta) <= {"from", "stubs", "hidden"}
        for stub in meta.get("stubs", []):
            assert set(stub) == {"name", "kind"}  # the reference code never travels with the edition
            original = book.cells[meta["from"]].source
            assert stub["name"] in original and stub["name"] in cell.source


def test_no_name_is_used_before_the_edition_defines_it(edition):
    found = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--no-cache",
            "--isolated",
            "--select",
            "F821",
            "--output-format",
            "concise",
            str(edition),
        ],
        capture_output=True,
        text=True,
    )
    assert found.returncode == 0, found.stdout + found.stderr


RUNNER = r"""
import json, os, sys, traceback
import matplotlib
matplotlib.use("Agg")
import nbformat
nb = nbformat.read(sys.argv[1], as_version=4)
os.chdir(os.path.dirname(os.path.abspath(sys.argv[1])))
sys.path.insert(0, os.getcwd())
ns = {"__name__": "__main__"}
result = {"cell": None, "ename": None, "message": None, "cells": len(nb.cells)}
for i, cell in enumerate(nb.cells):
    if cell.cell_type != "code":
        continue
    try:
        exec(compile(cell.source, f"<cell {i}>", "exec"), ns)
    except BaseException as exc:
        result.update(cell=i, ename=type(exc).__name__, message=str(exc)[:500],
                      trace=traceback.format_exc()[-1500:])
        break
    finally:
        import matplotlib.pyplot as plt
        plt.close("all")
print("RESULT " + json.dumps(result))
"""


def run_notebook(path: Path) -> dict:
    env = dict(os.environ, MPLBACKEND="Agg", HWLIB_PROFILE="quick", PYTHONPATH=str(ROOT / "src"))
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, str(path)], capture_output=True, text=True, env=env, timeout=900
    )
    line = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
    assert line, done.stdout[-2000:] + done.stderr[-2000:]
    return json.loads(line[-1][len("RESULT ") :])


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_the_edition_stops_at_its_first_stub_with_the_question(page, edition):
    path = edition / page.relative_to(ROOT / "book")
    nb = nbformat.read(path, as_version=4)
    first = next(i for i, c in enumerate(nb.cells) if c.metadata.get("student", {}).get("stubs"))
    result = run_notebook(path)
    assert result["ename"] == "NotImplementedError", result
    assert result["cell"] >= first, result
    assert "(exercise " in result["message"], result


# -- the solutions put back ------------------------------------------------------------------


def _whole(book: nbformat.NotebookNode, cell) -> bool:
    return student.ANSWER in book.cells[cell.metadata["student"]["from"]].metadata.get("tags", [])


def put_back(nb: nbformat.NotebookNode, book: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The edition with each stub replaced by the book's statement it stands for (a whole answer
    cell by the book's cell)."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    for cell in nb.cells:
        meta = cell.metadata.get("student", {})
        stubs = meta.get("stubs")
        if not stubs:
            continue
        original = book.cells[meta["from"]].source
        if _whole(book, cell):
            cell.source = student.hide_references(original, "book")[0]
            continue
        originals = {}
        for node in ast.parse(original).body:
            names = [node.name] if hasattr(node, "name") else student._assigned_names(node)
            lo, hi = student._span(node)
            for name in names:
                originals.setdefault(name, "\n".join(original.splitlines()[lo:hi]))
        lines = cell.source.splitlines()
        spans, pending = [], []
        for node in ast.parse(cell.source).body:
            lo, hi = student._span(node)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name in {
                s["name"] for s in stubs if s["kind"] == "def"
            }:
                spans.append((lo, hi, originals[node.name]))
            elif (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Constant)
                and node.value.value is ...
            ):
                pending.append((lo, hi, node.targets[0].id))
            elif isinstance(node, ast.Raise) and pending:
                statements = list(dict.fromkeys(originals[name] for _, _, name in pending))
                spans.append((pending[0][0], hi, "\n".join(statements)))
                pending = []
        for lo, hi, text in sorted(spans, reverse=True):
            lines[lo:hi] = text.splitlines()
        cell.source = "\n".join(lines)
    return nb


def expected_code(book: nbformat.NotebookNode) -> list[str]:
    """The book's code cells as the edition must give them back: references hidden, and the import
    of ``hidden`` in the first code cell when a kept check uses it."""
    out, any_hidden = [], False
    for cell in book.cells:
        if cell.cell_type != "code" or student.SOLUTION_ONLY in cell.metadata.get("tags", []):
            continue
        source, n = student.hide_references(cell.source, "book")
        any_hidden |= bool(n) and student.ANSWER not in cell.metadata.get("tags", [])
        out.append(nbformat.v4.new_code_cell(source))
    if any_hidden:
        host = student.hidden_import_cell(out)
        host.source = student.HIDDEN_IMPORT + "\n" + host.source
    return [c.source for c in out]


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_with_the_solutions_put_back_the_edition_is_the_book(page, edition):
    book = nbformat.read(page, as_version=4)
    nb = put_back(nbformat.read(edition / page.relative_to(ROOT / "book"), as_version=4), book)
    cells = [c for c in nb.cells if c.cell_type == "code"]
    expected = expected_code(book)
    assert len(cells) == len(expected)
    for cell, want in zip(cells, expected):
        got = cell.source
        assert ast.dump(ast.parse(got)) == ast.dump(ast.parse(want)), (
            f"cell {cell.metadata['student']['from']}"
        )


@pytest.mark.parametrize("name", ["hw1-2021/03-softmax-backprop", "ps4-6s898/03-matrix-backprop"])
def test_two_pages_run_whole_with_the_solutions_put_back(name, edition, tmp_path):
    page = ROOT / "book" / f"{name}.ipynb"
    nb = put_back(nbformat.read(edition / f"{name}.ipynb", as_version=4), nbformat.read(page, as_version=4))
    target = tmp_path / page.parent.name / page.name
    target.parent.mkdir()
    for extra in page.parent.glob("*.py"):
        target.parent.joinpath(extra.name).write_text(extra.read_text())
    nbformat.write(nb, target)
    result = run_notebook(target)
    assert result["ename"] is None, result


def test_the_import_of_hidden_comes_after_the_launch_cell(edition):
    """On Colab the launch cell installs hwlib: importing from hwlib before it would fail."""
    for page in PAGES:
        nb = nbformat.read(edition / page.relative_to(ROOT / "book"), as_version=4)
        code = [c.source for c in nb.cells if c.cell_type == "code"]
        assert "from hwlib" not in code[0] and "import hwlib" not in code[0], page.name


def test_zips_hold_the_edition(edition):
    import zipfile

    zips = sorted((edition.parent / "student-zips").glob("*.zip"))
    names = {z.name for z in zips}
    assert "student-edition.zip" in names and "student-hw1-2021.zip" in names
    with zipfile.ZipFile(edition.parent / "student-zips" / "student-edition.zip") as zf:
        inside = {n for n in zf.namelist() if n.endswith(".ipynb")}
    assert len(inside) == len(PAGES)
