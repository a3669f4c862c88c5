"""The student edition: every page with its solutions taken out and its checks kept.

    python tools/student.py [--out _build/student] [--zip] [PAGES...]   # what `make student` runs

The book's pages mark each answer with MyST's ``solution-start``/``solution-end`` pair (sphinx-exercise).
For each page this writes a notebook in which

* the prose between ``solution-start`` and ``solution-end`` (the derivation) is replaced by a short
  "your answer" box naming the exercise;
* a code cell inside a solution tagged ``answer`` is the answer itself: its functions become stubs
  (signature and docstring kept, the body raises ``NotImplementedError`` naming the question), each
  name it assigns becomes ``NAME = ...`` followed by a ``raise`` that says what to compute, and
  everything else in it is dropped (its imports are kept);
* a code cell tagged ``answer:NAME`` (one tag per name) keeps its other statements (the checks) and
  stubs only the definitions or assignments of those names, in place;
* a solution whose code only checks answers stubbed in an earlier solution (its own answer is prose)
  says so with the tag ``answer-above`` on one of its cells; a solution with code and neither tag is
  an error, so no answer reaches the student edition by oversight;
* a cell tagged ``solution-only`` is left out (say, one that types the source's printed answer in
  order to compare with it); the cells that use its names must be left out too (the tests run ruff's
  undefined-name check on the edition);
* every other cell is kept as it is: the checks, experiments and plots that grade the answer. A
  hard-coded reference in a kept check (``assert_close(0.5, ...)``, a literal either side) is hidden:
  the literal becomes ``hidden(...)``, digests of its value rounded to the precision the check's
  tolerance asks for (see :func:`hwlib.checks.hidden`), so the check still grades without showing it;
* outputs and execution counts are cleared: the student runs the notebook.

Cells are matched to the book by the ``student`` cell metadata the generator writes (the index of the
book cell each one came from and the names it stubs), which is how the tests put the reference
solutions back and compare with the book. Nothing here is chapter-specific.
"""

from __future__ import annotations

import argparse
import ast
import copy
import re
import shutil
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
from hwlib.checks import hidden_digests  # noqa: E402

ANSWER = "answer"
ANSWER_ABOVE = "answer-above"  # this solution's code checks answers stubbed in an earlier solution
SOLUTION_ONLY = "solution-only"  # a cell of a solution the student edition leaves out altogether
START = re.compile(r"^(:{3,})\{solution-start\}\s*(\S+)")
END = re.compile(r"^(:{3,})\{solution-end\}")
EXERCISE = re.compile(r"^(:{3,})\{exercise\}\s*(.*)$")
LABEL = re.compile(r"^:label:\s*(\S+)")
HEADING = re.compile(r"^#{1,6}\s+(.*)$")
CHECKS_WITH_REFERENCE = {"assert_close"}
HIDDEN_IMPORT = "from hwlib.checks import hidden  # a reference value kept out of sight: see its docstring"


class StudentEditionError(ValueError):
    """A page the generator cannot turn into a student notebook, with the reason and the fix."""


@dataclass
class Exercise:
    label: str
    title: str


@dataclass
class Stub:
    """One stubbed name: what the student writes, and the book statement it replaces."""

    name: str
    kind: str  # "def" or "value"
    original: str


@dataclass
class PageReport:
    page: str
    exercises: int = 0
    stubs: list[str] = field(default_factory=list)
    hidden: int = 0


# ---------------------------------------------------------------------------------------------
# code cells


def _parse(source: str, where: str) -> ast.Module:
    # IPython magics and shell escapes are not Python: blank them, keeping line numbers
    lines = ["" if ln.lstrip().startswith(("%", "!")) else ln for ln in source.splitlines()]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError as exc:
        raise StudentEditionError(f"{where}: cannot parse the cell ({exc.msg}, line {exc.lineno})") from exc


def _span(node: ast.stmt) -> tuple[int, int]:
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    return first - 1, node.end_lineno


def _assigned_names(node: ast.stmt) -> list[str]:
    targets = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        targets = [node.target]
    names = []
    for t in targets:
        for sub in ast.walk(t):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                names.append(sub.id)
    return names


def _message(ex: Exercise, what: str) -> str:
    return f"{ex.title}: {what} (exercise {ex.label})"


def _docstring(node) -> list[ast.stmt]:
    first = node.body[0] if node.body else None
    is_doc = (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    )
    return [first] if is_doc else []


def _raise(message: str) -> ast.stmt:
    return ast.parse(f"raise NotImplementedError({message!r})").body[0]


def _stub_def(node: ast.stmt, ex: Exercise) -> str:
    """A function with its signature and docstring whose body raises; a class whose methods do."""
    stub = copy.deepcopy(node)
    if isinstance(node, ast.ClassDef):
        methods = [m for m in stub.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))]
        for m in methods:
            m.body = _docstring(m) + [_raise(_message(ex, f"write {node.name}.{m.name}"))]
        stub.body = _docstring(stub) + (methods or [_raise(_message(ex, f"write the class {node.name}"))])
    else:
        stub.body = _docstring(stub) + [_raise(_message(ex, f"write {node.name}"))]
    return ast.unparse(stub)


def _stub_values(names: list[str], ex: Exercise) -> str:
    lines = [f"{n} = ...  # your answer" for n in names]
    what = f"compute {', '.join(names)} (replace the ... above), then delete this line"
    lines.append(f"raise NotImplementedError({_message(ex, what)!r})")
    return "\n".join(lines)


def stub_cell(source: str, ex: Exercise, names: list[str] | None, where: str) -> tuple[str, list[Stub]]:
    """The student's version of an answer cell and the stubs in it.

    ``names`` None: the whole cell is the answer. Otherwise only the top-level definitions and
    assignments of ``names`` are stubbed and everything else is kept in place.
    """
    tree = _parse(source, where)
    lines = source.splitlines()
    out: list[str] = []
    stubs: list[Stub] = []
    if names is None:
        out.append(f"# {ex.title}: your code. The cells below check it.")
        values: list[str] = []
        for node in tree.body:
            lo, hi = _span(node)
            original = "\n".join(lines[lo:hi])
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                out.append(original)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                out.append(_stub_def(node, ex))
                stubs.append(Stub(node.name, "def", original))
            else:
                for n in _assigned_names(node):
                    if n not in values:
                        values.append(n)
                        stubs.append(Stub(n, "value", original))
        if values:
            out.append(_stub_values(values, ex))
        if not stubs:
            raise StudentEditionError(f"{where}: tagged {ANSWER!r} but defines nothing to stub")
        return "\n".join(out), stubs
    wanted = set(names)
    pos = 0
    for node in tree.body:
        lo, hi = _span(node)
        defined = (
            node.name if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else None
        )
        bound = _assigned_names(node) if defined is None else []
        # a tagged name assigned together with others (``a, b = ...``): the statement is stubbed whole
        assigned = list(dict.fromkeys(bound)) if wanted & set(bound) else []
        if defined in wanted or assigned:
            out.extend(lines[pos:lo])
            original = "\n".join(lines[lo:hi])
            if defined:
                out.append(_stub_def(node, ex))
                stubs.append(Stub(defined, "def", original))
                wanted.discard(defined)
            else:
                out.append(_stub_values(assigned, ex))
                stubs.extend(Stub(n, "value", original) for n in assigned)
                wanted.difference_update(assigned)
            pos = hi
    out.extend(lines[pos:])
    if wanted:
        raise StudentEditionError(
            f"{where}: tagged answer:{', answer:'.join(sorted(wanted))} but the cell defines no such "
            "top-level name; tag the names the cell defines or assigns"
        )
    return "\n".join(out), stubs


# -- hard-coded references ------------------------------------------------------------------


def literal_value(node: ast.AST):
    """The value of a literal reference (numbers, arithmetic on them, lists/tuples, torch.tensor or
    np.array of those), or None when ``node`` computes something."""
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, (int, float))
        and not isinstance(node.value, bool)
    ):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = literal_value(node.operand)
        return None if v is None else (-v if isinstance(node.op, ast.USub) else v)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)):
        a, b = literal_value(node.left), literal_value(node.right)
        if a is None or b is None or isinstance(a, list) or isinstance(b, list):
            return None
        try:
            return (
                {ast.Add: a + b, ast.Sub: a - b, ast.Mult: a * b}[type(node.op)]
                if not isinstance(node.op, (ast.Div, ast.Pow))
                else (a / b if isinstance(node.op, ast.Div) else a**b)
            )
        except (ZeroDivisionError, OverflowError):
            return None
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [literal_value(e) for e in node.elts]
        return None if not items or any(i is None for i in items) else items
    if isinstance(node, ast.Call) and node.args:
        f = ast.unparse(node.func)
        if f in ("torch.tensor", "np.array", "numpy.array", "torch.as_tensor", "np.asarray"):
            return literal_value(node.args[0])
    return None


def _shape(value) -> tuple[int, ...]:
    if isinstance(value, list):
        inner = {_shape(v) for v in value}
        if len(inner) != 1:
            raise ValueError("ragged literal")
        return (len(value), *inner.pop())
    return ()


def _flat(value) -> list[float]:
    return [x for v in value for x in _flat(v)] if isinstance(value, list) else [float(value)]


def hide_references(source: str, where: str) -> tuple[str, int]:
    """``source`` with the literal reference of each check call replaced by ``hidden(...)``."""
    tree = _parse(source, where)
    edits = []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call) and ast.unparse(node.func).split(".")[-1] in CHECKS_WITH_REFERENCE
        ):
            continue
        args = list(node.args[:2])
        kw = {k.arg: k.value for k in node.keywords}
        args += [kw[k] for k in ("expected", "actual") if k in kw]
        values = [literal_value(a) for a in args]
        if len(args) != 2 or sum(v is not None for v in values) != 1:
            continue  # both computed (a real comparison) or both literal (a sanity check)
        arg, value = next((a, v) for a, v in zip(args, values) if v is not None)
        rtol = literal_value(kw["rtol"]) if "rtol" in kw else 1e-7
        atol = literal_value(kw["atol"]) if "atol" in kw else 1e-10
        if rtol is None or atol is None:
            raise StudentEditionError(f"{where}: a check with a literal reference needs literal tolerances")
        try:
            shape = _shape(value)
        except ValueError as exc:
            raise StudentEditionError(f"{where}: the reference {ast.unparse(arg)} is ragged") from exc
        try:
            digests, sig, zero = hidden_digests(_flat(value), rtol=rtol, atol=atol)
        except ValueError as exc:
            raise StudentEditionError(f"{where}: cannot hide {ast.unparse(arg)}: {exc}") from exc
        call = f"hidden({digests!r}, shape={shape!r}, sig={sig}, zero={zero!r})"
        edits.append((arg.lineno, arg.col_offset, arg.end_lineno, arg.end_col_offset, call))
        # a description such as "g'(0) = 1/2" would state the hidden value: name the checked expression
        what = node.args[2] if len(node.args) > 2 else kw.get("what")
        if (
            isinstance(what, ast.Constant)
            and isinstance(what.value, str)
            and re.search(r"[0-9=]", what.value)
        ):
            other = next(a for a, v in zip(args, values) if v is None)
            text = repr(f"{ast.unparse(other)[:60]} against the book's value (hidden)")
            edits.append((what.lineno, what.col_offset, what.end_lineno, what.end_col_offset, text))
    if not edits:
        return source, 0
    lines = source.splitlines(keepends=True)
    for lo, c0, hi, c1, text in sorted(edits, reverse=True):
        head, tail = lines[lo - 1][:c0], lines[hi - 1][c1:]
        lines[lo - 1 : hi] = [head + text + tail]
    return "".join(lines), sum(e[4].startswith("hidden(") for e in edits)


# ---------------------------------------------------------------------------------------------
# pages


BOX_MARK = "\u200bANSWER-BOX\u200b"  # replaced when the solution's end shows whether it holds stubs


def _answer_box(ex: Exercise, stubs: bool) -> str:
    code = (
        "Then complete the code below: each stub raises `NotImplementedError` until you do, and the "
        "checks after it grade your answer."
        if stubs
        else "The cells below, if any, run the book's experiment on the code you wrote earlier."
    )
    return (
        f":::{{admonition}} Your answer: {ex.title}\n"
        ":class: tip\n"
        f"Write your derivation or argument here (double-click to edit). {code}\n"
        ":::"
    )


def student_notebook(
    nb: nbformat.NotebookNode, page: str = "page"
) -> tuple[nbformat.NotebookNode, PageReport]:
    """The student edition of one book notebook, and what was done to it."""
    report = PageReport(page)
    out = nbformat.v4.new_notebook(metadata=copy.deepcopy(nb.metadata))
    out.metadata.pop("widgets", None)
    exercises: dict[str, Exercise] = {}
    heading = "This exercise"
    pending: dict[str, str] = {}  # exercise opened, waiting for its :label:
    inside: Exercise | None = None
    stubs_in_block = 0
    block_has_code = acknowledged = False

    def new_md(text: str, index: int) -> None:
        if text.strip():
            out.cells.append(
                nbformat.v4.new_markdown_cell(text.strip("\n"), metadata={"student": {"from": index}})
            )

    for index, cell in enumerate(nb.cells):
        where = f"{page}, cell {index}"
        if cell.cell_type == "markdown":
            kept: list[str] = []
            lines = cell.source.splitlines()
            i = 0
            while i < len(lines):
                line = lines[i]
                if inside is None:
                    m = HEADING.match(line)
                    if m:
                        heading = m.group(1).strip()
                    m = EXERCISE.match(line)
                    if m:
                        pending = {"title": m.group(2).strip() or heading}
                    m = LABEL.match(line)
                    if m and pending:
                        exercises[m.group(1)] = Exercise(m.group(1), pending["title"])
                        pending = {}
                        report.exercises += 1
                    m = START.match(line)
                    if m:
                        label = m.group(2)
                        if label not in exercises:
                            raise StudentEditionError(
                                f"{where}: solution-start {label} has no exercise above it"
                            )
                        inside, stubs_in_block, block_has_code = exercises[label], 0, False
                        acknowledged = False
                        # skip the directive's options and its closing fence
                        i += 1
                        while i < len(lines) and lines[i].strip() != m.group(1):
                            i += 1
                        kept.append(BOX_MARK)
                        i += 1
                        continue
                    kept.append(line)
                else:
                    m = END.match(line)
                    if m:
                        if block_has_code and not stubs_in_block and not acknowledged:
                            raise StudentEditionError(
                                f"{where}: the solution of {inside.label} has code but no cell tagged "
                                f"{ANSWER!r} or 'answer:NAME' (or {ANSWER_ABOVE!r} when it only checks "
                                "earlier answers): the student edition would show its answer"
                            )
                        box = _answer_box(inside, bool(stubs_in_block))
                        for c in reversed(out.cells):
                            if BOX_MARK in c.source:
                                c.source = c.source.replace(BOX_MARK, box)
                                break
                        else:
                            kept[kept.index(BOX_MARK)] = box
                        inside = None
                        i += 1
                        while i < len(lines) and lines[i].strip() != m.group(1):
                            i += 1
                    # lines inside a solution are the derivation: dropped
                i += 1
            new_md("\n".join(kept), index)
            continue
        if cell.cell_type != "code":
            continue
        tags = list(cell.metadata.get("tags", []))
        if SOLUTION_ONLY in tags:
            if inside is None:
                raise StudentEditionError(
                    f"{where}: {SOLUTION_ONLY!r} applies to cells inside a solution only"
                )
            block_has_code = True
            acknowledged = True  # left out on purpose: the solution's other cells may all be checks
            continue
        answer_tags = [t for t in tags if t == ANSWER or t.startswith(ANSWER + ":")]
        source = cell.source
        meta = {"from": index}
        if answer_tags:
            if inside is None:
                raise StudentEditionError(f"{where}: an answer cell must sit inside a solution block")
            names = None if ANSWER in answer_tags else [t.split(":", 1)[1] for t in answer_tags]
            source, stubs = stub_cell(source, inside, names, where)
            meta["stubs"] = [{"name": s.name, "kind": s.kind} for s in stubs]  # never the original
            report.stubs += [s.name for s in stubs]
            stubs_in_block += len(stubs)
        if inside is not None:
            block_has_code = True
            acknowledged = acknowledged or ANSWER_ABOVE in tags
        source, n_hidden = hide_references(source, where)
        report.hidden += n_hidden
        if n_hidden:
            meta["hidden"] = n_hidden
        new = nbformat.v4.new_code_cell(source)
        new.metadata = {k: v for k, v in copy.deepcopy(cell.metadata).items() if k in ("tags",)}
        new.metadata["tags"] = [
            t for t in tags if not (t in (ANSWER, ANSWER_ABOVE) or t.startswith(ANSWER + ":"))
        ]
        if not new.metadata["tags"]:
            del new.metadata["tags"]
        new.metadata["student"] = meta
        out.cells.append(new)
    if inside is not None:
        raise StudentEditionError(f"{page}: the solution of {inside.label} is never closed by solution-end")
    if report.hidden:
        host = hidden_import_cell([c for c in out.cells if c.cell_type == "code"])
        host.source = HIDDEN_IMPORT + "\n" + host.source
    return out, report


def hidden_import_cell(code_cells: list):
    """The cell that receives ``from hwlib.checks import hidden``: the first that imports hwlib
    (the launch cell before it installs hwlib on Colab, so it cannot import it), else the first."""
    for cell in code_cells:
        if re.search(r"^\s*(import hwlib|from hwlib\b)", cell.source, re.M):
            return cell
    return code_cells[0]


def pages(paths: list[Path]) -> list[Path]:
    found = []
    for p in paths:
        p = p.resolve()
        found += sorted(p.rglob("*.ipynb")) if p.is_dir() else [p]
    return [f for f in found if ".ipynb_checkpoints" not in f.parts and "_build" not in f.parts]


def build(paths: list[Path], out: Path, make_zip: bool = False) -> list[PageReport]:
    """Write the student edition of ``paths`` under ``out``; return one report per page."""
    book = ROOT / "book"
    staging = out.with_name(out.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    reports = []
    for nb_path in pages(paths):
        rel = nb_path.relative_to(book)
        student, report = student_notebook(nbformat.read(nb_path, as_version=4), str(rel))
        target = staging / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(student, target)
        for extra in nb_path.parent.glob("*.py"):  # page helpers next to the notebooks
            shutil.copy2(extra, target.parent / extra.name)
        reports.append(report)
    (staging / "README.md").write_text(STUDENT_README, encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)
    staging.rename(out)  # nothing half-written is left under `out`
    if make_zip:
        zips = out.parent / "student-zips"
        shutil.rmtree(zips, ignore_errors=True)
        zips.mkdir(parents=True)
        chapters = sorted({p.relative_to(out).parts[0] for p in out.rglob("*.ipynb")})
        for chapter in [*chapters, None]:
            name = f"student-{chapter}.zip" if chapter else "student-edition.zip"
            with zipfile.ZipFile(zips / name, "w", zipfile.ZIP_DEFLATED) as zf:
                for f in sorted(out.rglob("*")):
                    rel = f.relative_to(out)
                    if f.is_file() and (
                        chapter is None or rel.parts[0] == chapter or rel.name == "README.md"
                    ):
                        zf.write(f, Path("dl-workbook-student") / rel)
    return reports


STUDENT_README = """\
# Deep Learning, Problem by Problem: student edition

Each notebook states the problems of one page of the book. Under each exercise a box asks for your
derivation, and the code cells hold stubs: functions whose body raises `NotImplementedError`, and
values set to `...`. Fill them in and run the notebook from the top. The cells after each stub are the
book's own checks (autograd, finite differences, brute force, or a hidden reference value): a wrong
answer stops the notebook with an `AssertionError` that says what differs.

The notebooks need the book's library, hwlib: `pip install "hwlib @ git+https://github.com/dl-workbook/dl-problem-set-workbook"`
(the first cell of each notebook does this on Colab). The worked solutions are in the book itself.
"""


def html_config(target: Path) -> None:
    """Write the book's ``_config.yml`` with solutions hidden (sphinx-exercise's ``hide_solutions``,
    extended to the gated form by ``_ext/hide_gated_solutions.py``) for the student HTML build."""
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    config["title"] = f"{config['title']}: exercises"
    config.setdefault("sphinx", {}).setdefault("config", {})["hide_solutions"] = True
    local = config["sphinx"].get("local_extensions") or {}
    config["sphinx"]["local_extensions"] = {name: str(ROOT / path) for name, path in local.items()}
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[ROOT / "book"])
    parser.add_argument(
        "--html-config", type=Path, help="only write the student HTML build's _config.yml here"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "student")
    parser.add_argument("--zip", action="store_true", help="also write zips (one per chapter and one of all)")
    args = parser.parse_args(argv)
    if args.html_config:
        html_config(args.html_config)
        return 0
    try:
        reports = build(args.paths, args.out.resolve(), args.zip)
    except StudentEditionError as exc:
        print(f"student edition: {exc}", file=sys.stderr)
        return 1
    for r in reports:
        print(f"{r.page}: {r.exercises} exercises, {len(r.stubs)} stubs, {r.hidden} hidden references")
    print(f"student edition of {len(reports)} pages in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
