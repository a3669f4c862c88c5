"""Keep the book's notebook pairs in step, and execute them.

Every notebook under ``book/`` is a Jupytext pair (see ``jupytext.toml``):

* ``NAME.myst.md`` — MyST markdown without outputs: what people edit and review;
* ``NAME.ipynb``  — the same cells with their executed outputs: what the book renders.

Sphinx only reads the ``.ipynb`` (``_config.yml`` excludes ``*.myst.md``), so one page
has one source.

Commands (``python tools/nbtools.py COMMAND [PATHS...]``; PATHS default to ``book/``):

``check``    fail (exit 1) when a twin has drifted from its notebook, or one half of a pair is missing.
``sync``     take the cells of each ``.myst.md`` into its ``.ipynb`` (outputs kept where the
             cell is unchanged), then rewrite the twin in canonical form.
``execute``  ``sync``, then run every notebook top to bottom in place (nbclient, one at a
             time, in its own folder) and rewrite its twin.
``bootstrap`` make the first cell of every notebook the launch cell ``BOOTSTRAP`` (below): on Colab or
             any Jupyter without hwlib it installs hwlib from the repository, leaving PyTorch as it
             is; everywhere else it does nothing. Tagged ``remove-cell``: the HTML book omits it.
``list``     print the notebooks, one per line.
``chapters`` print the chapter folders that hold notebooks, as a JSON list (the CI matrix).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import jupytext
import nbformat
from jupytext.combine import combine_inputs_with_outputs
from jupytext.config import load_jupytext_config

ROOT = Path(__file__).resolve().parents[1]
TWIN_SUFFIX = ".myst.md"
REPOSITORY = "https://github.com/dl-workbook/dl-problem-set-workbook"  # as _config.yml's repository.url
BOOTSTRAP_TAGS = ["remove-cell"]
BOOTSTRAP = f"""\
# Colab, Binder or any Jupyter without the book's library: install hwlib from the book's repository.
# --no-deps leaves the installed PyTorch alone; hwlib's other needs are added only when missing.
import importlib.util
import subprocess
import sys

if importlib.util.find_spec("hwlib") is None:
    pip = [sys.executable, "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--no-deps", "hwlib @ git+{REPOSITORY}"], check=True)
    needs = ["torch", "torchvision", "numpy", "matplotlib", "scipy", "sympy", "tqdm", "skimage", "sklearn"]
    missing = [m for m in needs if importlib.util.find_spec(m) is None]
    names = {{"skimage": "scikit-image", "sklearn": "scikit-learn"}}
    if missing:
        subprocess.run([*pip, *(names.get(m, m) for m in missing)], check=True)"""
TWIN_FMT = ".myst.md:myst"


def twin_of(ipynb: Path) -> Path:
    return ipynb.with_name(ipynb.name[: -len(".ipynb")] + TWIN_SUFFIX)


def notebook_of(twin: Path) -> Path:
    return twin.with_name(twin.name[: -len(TWIN_SUFFIX)] + ".ipynb")


def find_pairs(paths: list[Path]) -> tuple[list[tuple[Path, Path]], list[str]]:
    """All (ipynb, twin) pairs under ``paths``, and a list of problems (missing halves)."""
    found: set[Path] = set()
    for p in paths:
        p = p.resolve()
        if p.is_dir():
            for f in p.rglob("*"):
                if "_build" in f.parts or ".ipynb_checkpoints" in f.parts:
                    continue
                if f.name.endswith(".ipynb"):
                    found.add(f)
                elif f.name.endswith(TWIN_SUFFIX):
                    found.add(notebook_of(f))
        elif p.name.endswith(".ipynb"):
            found.add(p)
        elif p.name.endswith(TWIN_SUFFIX):
            found.add(notebook_of(p))
        else:
            raise SystemExit(f"{p}: not a folder, an .ipynb or a {TWIN_SUFFIX} file")
    pairs, problems = [], []
    for nb in sorted(found):
        twin = twin_of(nb)
        if not nb.exists():
            problems.append(f"{twin}: has no notebook {nb.name} (run `make sync`)")
        elif not twin.exists():
            problems.append(f"{nb}: has no text twin {twin.name} (run `make sync`)")
        else:
            pairs.append((nb, twin))
    return pairs, problems


def twin_text(nb: nbformat.NotebookNode, folder: Path) -> str:
    """The canonical text twin of a notebook, as the project's jupytext.toml writes it."""
    return jupytext.writes(nb, fmt=TWIN_FMT, config=load_jupytext_config(str(folder)))


def drift(ipynb: Path, twin: Path) -> str | None:
    """None if the twin matches the notebook, else a short description of the first difference."""
    expected = twin_text(jupytext.read(ipynb), ipynb.parent)
    actual = twin.read_text(encoding="utf-8")
    if expected == actual:
        return None
    exp_lines, act_lines = expected.splitlines(), actual.splitlines()
    for i, (e, a) in enumerate(zip(exp_lines, act_lines), start=1):
        if e != a:
            return f"line {i}: notebook has {e!r}, twin has {a!r}"
    return f"the notebook gives {len(exp_lines)} lines, the twin has {len(act_lines)}"


def _atomic_write(path: Path, text: str) -> None:
    """Write via a temporary file in the same folder, so an interrupted run leaves no half file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_pair(nb: nbformat.NotebookNode, ipynb: Path) -> None:
    config = load_jupytext_config(str(ipynb.parent))
    _atomic_write(ipynb, jupytext.writes(nb, fmt="ipynb", config=config))
    # the twin is derived from what was just written, exactly as `check` will derive it
    _atomic_write(twin_of(ipynb), twin_text(jupytext.read(ipynb), ipynb.parent))


def sync_one(ipynb: Path, twin: Path) -> nbformat.NotebookNode:
    """The twin's cells, with the notebook's outputs where the cell source is unchanged."""
    source = jupytext.read(twin)
    if ipynb.exists():
        source = combine_inputs_with_outputs(source, nbformat.read(ipynb, as_version=4), fmt=TWIN_FMT)
    return source


def with_bootstrap(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """``nb`` with ``BOOTSTRAP`` as its first cell (replacing an older version of it)."""
    first = nb.cells[0] if nb.cells else None
    if first is not None and first.cell_type == "code" and first.source.startswith(BOOTSTRAP.splitlines()[0]):
        first.source = BOOTSTRAP
        first.metadata["tags"] = list(BOOTSTRAP_TAGS)
        first.outputs, first.execution_count = [], None
    else:
        cell = nbformat.v4.new_code_cell(BOOTSTRAP, metadata={"tags": list(BOOTSTRAP_TAGS)})
        nb.cells.insert(0, cell)
    return nb


def execute_one(nb: nbformat.NotebookNode, folder: Path, timeout: int) -> nbformat.NotebookNode:
    from nbclient import NotebookClient

    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(folder)}},
        record_timing=False,
        allow_errors=False,
    )
    client.execute()
    nb.metadata.pop("widgets", None)
    return nb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["check", "sync", "execute", "bootstrap", "list", "chapters"])
    parser.add_argument("paths", nargs="*", type=Path, default=[ROOT / "book"])
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell when executing")
    args = parser.parse_args(argv)

    pairs, problems = find_pairs(args.paths)
    if args.command == "chapters":
        print(json.dumps(sorted({nb.parent.name for nb, _ in pairs})))
        return 0
    if args.command == "list":
        for nb, _ in pairs:
            print(nb.relative_to(ROOT) if nb.is_relative_to(ROOT) else nb)
        return 0
    if args.command == "check":
        for nb, twin in pairs:
            why = drift(nb, twin)
            if why:
                problems.append(f"{twin}: drifted from {nb.name} ({why}); run `make sync` or `make execute`")
        for p in problems:
            print(f"DRIFT  {p}", file=sys.stderr)
        if problems:
            return 1
        print(f"twins in step: {len(pairs)} notebook pair(s)")
        return 0
    if problems:
        # a twin without its notebook is how a new notebook starts: create the notebook
        for nb_missing in [Path(p.split(":")[0]) for p in problems if "has no notebook" in p]:
            pairs.append((notebook_of(nb_missing), nb_missing))
        others = [p for p in problems if "has no notebook" not in p]
        if others:
            for p in others:
                print(f"MISSING  {p}", file=sys.stderr)
            return 1
    for nb_path, twin in sorted(pairs):
        nb = sync_one(nb_path, twin)
        if args.command == "bootstrap":
            nb = with_bootstrap(nb)
        if args.command == "execute":
            start = time.perf_counter()
            print(f"executing {nb_path.relative_to(ROOT)} ...", flush=True)
            nb = execute_one(nb, nb_path.parent, args.timeout)
            print(f"  done in {time.perf_counter() - start:.1f} s", flush=True)
        write_pair(nb, nb_path)
    print(f"{args.command}: {len(pairs)} notebook pair(s) written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
