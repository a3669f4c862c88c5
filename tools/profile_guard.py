"""Find notebook cells whose output depends on the profile, the device or the dataset found.

The GPU runner re-executes every page with ``HWLIB_PROFILE=full`` on CUDA and compares it
with the committed (CPU, ``quick``) outputs, so a cell whose output can change with the
profile, the device or the data found on the machine must be tagged
``nbval-ignore-output`` (and assert its claim in code). This tool finds the cells that
*read* one of those, directly or through a variable computed from one:

- sources: ``ctx.pick``, ``ctx.quick``, ``ctx.device``, ``ctx.profile`` (``ctx`` is what
  ``hwlib.setup()`` returns), ``torch.cuda.is_available()`` and any ``*_available()`` call
  (``cifar10_available()``, ``fashion_mnist_available()``);
- propagation, statement by statement through the notebook in order: a name assigned from
  a tainted expression (or inside a loop or ``if`` on one) is tainted, a function whose body
  reads a tainted name is tainted, ``x.method(tainted)`` taints ``x``; a name re-assigned
  from clean values is clean again. Imported modules are never tainted.

A flagged cell with any output and without the tag is reported. The analysis is
syntactic (it follows names, not values), so it errs towards flagging; ``make test``
runs it through ``tests/test_portability.py``.

Usage: ``python tools/profile_guard.py [PATHS...]`` (default ``book/``), exit 1 when a cell
is reported.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
IGNORE_TAG = "nbval-ignore-output"
CTX_ATTRS = {"pick", "quick", "device", "profile"}


def _sources(node: ast.AST) -> set[str]:
    """Direct reads of the profile, the device or dataset availability inside ``node``."""
    found = set()
    for n in ast.walk(node):
        if (
            isinstance(n, ast.Attribute)
            and isinstance(n.value, ast.Name)
            and n.value.id == "ctx"
            and n.attr in CTX_ATTRS
        ):
            found.add(f"ctx.{n.attr}")
        elif isinstance(n, ast.Call):
            f = n.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            if name == "is_available" or name.endswith("_available"):
                found.add(f"{name}()")
    return found


def _stored(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _loaded(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


class Taint:
    """Names whose value may depend on the profile, the device or the data found."""

    def __init__(self) -> None:
        self.names: set[str] = set()
        self.modules: set[str] = set()

    def reads(self, node: ast.AST) -> set[str]:
        return _sources(node) | (_loaded(node) & self.names)

    def _set(self, names: set[str], tainted: bool) -> None:
        if tainted:
            self.names |= names
        else:
            self.names -= names

    def run(self, stmts: list[ast.stmt], control: frozenset = frozenset()) -> set[str]:
        """Follow ``stmts``; return what they read that is tainted."""
        why = set(control)
        for s in stmts:
            why |= self.stmt(s, control)
        return why

    def stmt(self, s: ast.stmt, control: frozenset) -> set[str]:
        if isinstance(s, (ast.Import, ast.ImportFrom)):
            self.modules |= {(a.asname or a.name).split(".")[0] for a in s.names}
            return set(control)
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            self._set({s.name}, bool(self.reads(s)))
            return set(control)  # a definition runs nothing yet
        if isinstance(s, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = s.targets if isinstance(s, ast.Assign) else [s.target]
            r = (self.reads(s.value) if s.value is not None else set()) | set(control)
            for t in targets:
                r |= _loaded(t) & self.names  # x[k] = v, x.a = v: x stays tainted
            if isinstance(s, ast.AugAssign):
                r |= _stored(s.target) & self.names
            for t in targets:
                whole = _stored(t)  # plain names are replaced: clean again if r is empty
                parts = {n.id for n in ast.walk(t) if isinstance(n, ast.Name)} - whole
                self._set(whole, bool(r))
                if r:
                    self.names |= parts
            return r
        if isinstance(s, (ast.For, ast.AsyncFor)):
            r = self.reads(s.iter) | set(control)
            self._set(_stored(s.target), bool(r))
            inner = frozenset(control | r)
            body = self.run(s.body, inner)
            body |= self.run(s.body, inner)  # a second pass catches taint carried round the loop
            return r | body | self.run(s.orelse, frozenset(control))
        if isinstance(s, (ast.If, ast.While)):
            r = self.reads(s.test)
            inner = frozenset(control | r)
            return r | self.run(s.body, inner) | self.run(s.orelse, inner)
        if isinstance(s, (ast.With, ast.AsyncWith)):
            r = set()
            for item in s.items:
                ri = self.reads(item.context_expr)
                r |= ri
                if item.optional_vars is not None:
                    self._set(_stored(item.optional_vars), bool(ri))
            return r | self.run(s.body, control)
        if isinstance(s, ast.Try):
            r = self.run(s.body, control) | self.run(s.orelse, control) | self.run(s.finalbody, control)
            for h in s.handlers:
                r |= self.run(h.body, control)
            return r
        r = self.reads(s) | set(control)
        if r and isinstance(s, ast.Expr):  # xs.append(tainted), model.to(ctx.device)
            for n in ast.walk(s):
                if (
                    isinstance(n, ast.Call)
                    and isinstance(n.func, ast.Attribute)
                    and isinstance(n.func.value, ast.Name)
                    and n.func.value.id not in self.modules
                ):
                    self.names.add(n.func.value.id)
        return r


def _python(source: str) -> str:
    """A cell's source with IPython magics and shell escapes blanked out."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def unguarded_cells(path: Path) -> list[tuple[int, list[str], str]]:
    """``(cell number, what it reads, first line)`` for each cell that needs the ignore tag.

    Cells are numbered as nbval numbers them: code cells only, from 1.
    """
    nb = nbformat.read(path, as_version=4)
    taint, found, number = Taint(), [], 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        number += 1
        try:
            tree = ast.parse(_python(cell.source))
        except SyntaxError as exc:
            raise SyntaxError(f"{path}: code cell {number} does not parse: {exc}") from exc
        why = taint.run(tree.body)
        tags = cell.metadata.get("tags", [])
        if why and IGNORE_TAG not in tags and cell.get("outputs"):
            found.append((number, sorted(why), cell.source.splitlines()[0] if cell.source else ""))
    return found


def notebooks(paths: list[Path]) -> list[Path]:
    out = []
    for p in paths:
        if p.is_dir():
            out += sorted(f for f in p.rglob("*.ipynb") if ".ipynb_checkpoints" not in f.parts)
        else:
            out.append(p)
    return out


def main(argv: list[str] | None = None) -> int:
    args = [Path(a) for a in (argv if argv is not None else sys.argv[1:])] or [ROOT / "book"]
    bad = 0
    for nb in notebooks(args):
        for number, why, first in unguarded_cells(nb):
            bad += 1
            print(
                f"{nb}: code cell {number} reads {', '.join(why[:6])} "
                f"but is not tagged {IGNORE_TAG}: {first}",
                file=sys.stderr,
            )
    if bad:
        print(
            f"{bad} cell(s) depend on the profile, the device or the data found: tag them "
            f"`{IGNORE_TAG}` and assert their claim in code (AUTHORING.md, Outputs and nbval)",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
