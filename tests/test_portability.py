"""The committed outputs reproduce on any CPU and on the GPU runner, by construction.

- No compared output shows a float's last bits (a raw repr such as ``-2.0000000000000004``).
- Every number glued into the prose goes through ``hwlib.glue(name, value, sig=N)``, and no
  citation ``{glue:text}`name:spec``` shows more significant digits than the glue carries.
- Every cell that reads the profile, the device or the data found is tagged
  ``nbval-ignore-output`` (``tools/profile_guard.py``), so ``make test-gpu`` stays sound.
"""

from __future__ import annotations

import ast
import re
import sys
from decimal import Decimal
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import profile_guard  # noqa: E402

NOTEBOOKS = sorted((ROOT / "book").rglob("*.ipynb"))
IGNORE = "nbval-ignore-output"
GLUE_MIME = "application/papermill.record/text/plain"
# a decimal number (not part of a word or a longer number), with an optional exponent
NUMBER = re.compile(r"(?<![\w.])-?(\d+\.\d+|\.\d+)(?:[eE][-+]?\d+)?(?![\w.])")
MAX_DIGITS = 8  # more significant digits than this in a compared output is a raw float repr
CITATION = re.compile(r"\{glue:text\}`([A-Za-z0-9_]+)(?::([^`]*))?`")


def significant_digits(token: str) -> int:
    mantissa = re.split(r"[eE]", token.lstrip("-"))[0]
    return len(mantissa.replace(".", "").lstrip("0")) or 1


def raw_floats(text: str) -> list[str]:
    return [m.group(0) for m in NUMBER.finditer(text) if significant_digits(m.group(0)) > MAX_DIGITS]


def compared_texts(cell):
    """The texts nbval compares for a code cell (everything but images), with their kind."""
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            yield "stream", out.text
        elif out.output_type in ("display_data", "execute_result"):
            for mime, data in out.get("data", {}).items():
                if not mime.startswith("image/"):
                    yield mime, data if isinstance(data, str) else str(data)


def test_significant_digits_and_the_raw_float_detector():
    assert significant_digits("-2.0000000000000004") == 17
    assert significant_digits("0.000123") == 3 and significant_digits("7.5e-05") == 2
    assert raw_floats("slope -2.0000000000000004 and 0.30000000000000004") == [
        "-2.0000000000000004",
        "0.30000000000000004",
    ]
    assert raw_floats("ok  shape (3, 4); 0.8943, 1.23e-05, 549.75581, 3.1415926") == []
    assert raw_floats("3.14159265") == ["3.14159265"]
    assert raw_floats("hash 0x1234abcd.5 and v1.2.3 and 12345678901") == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT / "book")))
def test_no_compared_output_shows_a_floats_last_bits(path):
    nb = nbformat.read(path, as_version=4)
    found = []
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    for number, cell in enumerate(code_cells, start=1):
        if IGNORE in cell.metadata.get("tags", []):
            continue
        for mime, text in compared_texts(cell):
            found += [f"cell {number} ({mime}): {tok}" for tok in raw_floats(text)]
    assert not found, (
        "raw float reprs in compared outputs (glue with hwlib.glue(..., sig=N), print with an explicit "
        "format, or move the cell under nbval-ignore-output with an asserted tolerance):\n" + "\n".join(found)
    )


# ---- glue: one helper, and citations no more precise than the glue -----------------------------


def _name_pattern(node: ast.expr) -> str:
    """A regex for the glue names a name expression can produce."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return re.escape(node.value)
    if isinstance(node, ast.JoinedStr):
        return "".join(
            re.escape(v.value) if isinstance(v, ast.Constant) else "[A-Za-z0-9_]+" for v in node.values
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _name_pattern(node.left) + _name_pattern(node.right)
    return "[A-Za-z0-9_]*"


def _literal_sig(node: ast.expr | None) -> int | None | str:
    """The int of a ``sig`` expression, None when absent, or an error text when not a literal int."""
    if node is None or (isinstance(node, ast.Constant) and node.value is None):
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value
    return f"sig must be a literal int: {ast.unparse(node)[:80]}"


def _mapping_pairs(arg: ast.expr) -> list[tuple[ast.expr, ast.expr]] | None:
    """(key, value) expressions of a dict display (``**`` of such displays included), a dict
    comprehension or ``dict.fromkeys(names, value)``; None for any other expression."""
    if isinstance(arg, ast.Dict):
        pairs = []
        for key, value in zip(arg.keys, arg.values):
            inner = [(key, value)] if key is not None else _mapping_pairs(value)
            if inner is None:
                return None
            pairs.extend(inner)
        return pairs
    if isinstance(arg, ast.DictComp):
        return [(arg.key, arg.value)]
    if (
        isinstance(arg, ast.Call)
        and ast.unparse(arg.func) == "dict.fromkeys"
        and len(arg.args) == 2
        and isinstance(arg.args[0], (ast.Tuple, ast.List))
    ):
        return [(key, arg.args[1]) for key in arg.args[0].elts]
    return None


def _glue_many_entries(node: ast.Call) -> list[tuple[str, int | None]] | str:
    """``(name regex, sig)`` of each entry of a ``glue_many`` call, or why it cannot be read.

    The mapping must be a dict display, a dict comprehension or ``dict.fromkeys(names, value)``; an
    entry ``(value, sig[, bound])`` has its own ``sig``, others the call's ``sig=``; ``prefix=``
    goes before every name.
    """
    keywords = {k.arg: k.value for k in node.keywords}
    default = _literal_sig(keywords.get("sig"))
    prefix = keywords.get("prefix")
    head = _name_pattern(prefix) if prefix is not None else ""
    if isinstance(default, str) or not node.args:
        return (
            default if isinstance(default, str) else f"glue_many without a mapping: {ast.unparse(node)[:80]}"
        )
    pairs = _mapping_pairs(node.args[0])
    if pairs is None:
        return f"glue_many needs a literal mapping to be checked: {ast.unparse(node)[:80]}"
    entries = []
    for key, value in pairs:
        sig = default
        if isinstance(value, ast.Tuple) and len(value.elts) in (2, 3):
            sig = _literal_sig(value.elts[1])
            if isinstance(sig, str):
                return sig
        entries.append((head + _name_pattern(key), sig))
    return entries


def glue_calls(nb) -> tuple[list[tuple[str, int | None]], list[str]]:
    """``(name regex, sig)`` of every ``hwlib.glue`` / ``glue_many`` entry, and the calls that bypass it."""
    calls, bypass = [], []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse(profile_guard._python(cell.source))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("myst_nb"):
                bypass.append(f"from {node.module} import ...")
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            if (isinstance(f, ast.Attribute) and f.attr == "glue_many") or (
                isinstance(f, ast.Name) and f.id == "glue_many"
            ):
                entries = _glue_many_entries(node)
                if isinstance(entries, str):
                    bypass.append(entries)
                else:
                    calls.extend(entries)
                continue
            if isinstance(f, ast.Attribute) and f.attr == "glue":
                if not (isinstance(f.value, ast.Name) and f.value.id == "hwlib"):
                    bypass.append(ast.unparse(node)[:80])
                    continue
            elif not (isinstance(f, ast.Name) and f.id == "glue"):
                continue
            sig = next((k.value for k in node.keywords if k.arg == "sig"), None)
            if sig is not None:
                if not (isinstance(sig, ast.Constant) and isinstance(sig.value, int)):
                    bypass.append(f"sig must be a literal int: {ast.unparse(node)[:80]}")
                    continue
                sig = sig.value
            calls.append((_name_pattern(node.args[0]), sig))
    return calls, bypass


def glue_sigs(calls: list[tuple[str, int | None]], name: str) -> list[int | None]:
    """The ``sig`` of the calls that glue ``name``: a call naming it exactly wins over patterns."""
    exact = [sig for pattern, sig in calls if pattern == re.escape(name)]
    return exact or [sig for pattern, sig in calls if re.fullmatch(pattern, name)]


def test_glue_many_entries_are_read_with_their_own_digits_and_the_prefix():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            'hwlib.glue_many({"a": x, "b": (y, 2), f"c_{k}": (z, 5, "upper")}, sig=4, prefix="p_")\n'
            'glue_many({f"d_{k}": v for k in ks}, sig=3)\n'
            'hwlib.glue_many(dict.fromkeys(("e", "f"), "n/a"))\n'
            'hwlib.glue_many({**{f"h_{k}": v for k in ks}, "i": (u, 1)}, sig=3)\n'
            "hwlib.glue_many(values, sig=2)\n"
            'hwlib.glue_many({"g": w}, sig=n)\n'
        )
    ]
    calls, bypass = glue_calls(nb)
    assert calls == [
        ("p_a", 4),
        ("p_b", 2),
        ("p_c_[A-Za-z0-9_]+", 5),
        ("d_[A-Za-z0-9_]+", 3),
        ("e", None),
        ("f", None),
        ("h_[A-Za-z0-9_]+", 3),
        ("i", 1),
    ]
    assert bypass == [
        "glue_many needs a literal mapping to be checked: hwlib.glue_many(values, sig=2)",
        "sig must be a literal int: n",
    ]


def test_glue_sigs_prefers_the_exact_name_over_an_f_string_pattern():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            'for k in ks:\n    hwlib.glue(f"p_{k}", v, sig=2)\nhwlib.glue("p_x", w, sig=6)\n'
            'hwlib.glue("q_" + k, 3)'
        )
    ]
    calls, bypass = glue_calls(nb)
    assert not bypass
    assert glue_sigs(calls, "p_x") == [6] and glue_sigs(calls, "p_y") == [2]
    assert glue_sigs(calls, "q_z") == [None] and glue_sigs(calls, "r") == []


def stored_glues(nb) -> dict[str, str]:
    out = {}
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            name = o.get("metadata", {}).get("scrapbook", {}).get("name")
            if name and GLUE_MIME in o.get("data", {}):
                out[name] = o.data[GLUE_MIME]
    return out


def shown_digits(value: float, spec: str) -> int | None:
    """Significant digits ``format(value, spec)`` shows, or None when it shows no float digits."""
    kind = spec[-1] if spec else ""
    if kind not in "eEfFgG%":
        return None
    text = format(value, spec)
    mantissa = re.split(r"[eE]", text)[0]
    digits = re.sub(r"[^0-9]", "", mantissa).lstrip("0")
    if kind in "gG":  # %g drops trailing zeros it would otherwise show
        return max(len(digits), 1)
    return max(len(digits), 1)


def double_rounded(value: float, spec: str) -> bool:
    """True when the stored (already rounded) ``value`` sits exactly half-way between two
    displays of ``spec``: the glue's rounding made a tie, so the text may show the wrong last digit
    (-0.0607948 glued at 5 digits is -0.060795, which ``.5f`` shows as -0.06080, not -0.06079)."""
    kind = spec[-1] if spec else ""
    m = re.search(r"\.(\d+)", spec)
    prec = int(m.group(1)) if m else 6
    v = Decimal(repr(value)) * (100 if kind == "%" else 1)
    if v == 0 or kind not in "fF%eE":
        return False
    if kind in "eE":
        unit = Decimal(1).scaleb(v.copy_abs().adjusted() - prec)
    else:
        unit = Decimal(1).scaleb(-prec)
    rest = v.copy_abs() % unit
    return rest * 2 == unit


def test_double_rounded():
    assert double_rounded(-0.060795, ".5f")  # a tie the glue made
    assert not double_rounded(-0.0607948, ".5f") and not double_rounded(-0.06079, ".5f")
    assert double_rounded(0.125, ".2f") and not double_rounded(0.1251, ".2f")
    assert double_rounded(1.25e-05, ".1e") and not double_rounded(1.2e-05, ".1e")
    assert double_rounded(0.0015, ".1%") and not double_rounded(0.5, "d")


def test_shown_digits():
    assert shown_digits(0.13763, ".5f") == 5
    assert shown_digits(18.16, ".2f") == 4
    assert shown_digits(7.5e-05, ".1e") == 2
    assert shown_digits(0.0115, ".2f") == 1
    assert shown_digits(3, "d") is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT / "book")))
def test_every_glue_goes_through_hwlib_and_citations_respect_its_precision(path):
    nb = nbformat.read(path, as_version=4)
    calls, bypass = glue_calls(nb)
    assert not bypass, f"glue without hwlib.glue(name, value, sig=N): {bypass}"
    stored = stored_glues(nb)
    problems = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for name, spec in CITATION.findall(cell.source):
            sigs = glue_sigs(calls, name)
            if not sigs:
                problems.append(f"{name}: cited but glued by no hwlib.glue call on this page")
                continue
            if name not in stored:
                problems.append(f"{name}: cited but absent from the committed outputs (run make execute)")
                continue
            try:
                value = ast.literal_eval(stored[name])
            except (ValueError, SyntaxError):
                continue  # a string such as "not measured: needs a CUDA GPU"
            if not isinstance(value, float) or not spec:
                continue
            shown = shown_digits(value, spec)
            sig = min(s for s in sigs if s is not None) if any(s is not None for s in sigs) else None
            if shown is not None and (sig is None or shown > sig):
                problems.append(
                    f"{name}: cited as :{spec} ({shown} significant digits) but glued with sig={sig}"
                )
            elif shown is not None and shown < sig and double_rounded(value, spec):
                problems.append(
                    f"{name}: glued as {stored[name]} (sig={sig}), a tie for :{spec}, so the text may show "
                    f"the wrong last digit: glue with sig={shown} (what the text shows) or more digits"
                )
    assert not problems, "\n".join(problems)


# ---- the GPU runner's guard -----------------------------------------------------------------------


def _notebook(tmp_path, cells):
    nb = nbformat.v4.new_notebook()
    for source, tags, has_output in cells:
        cell = nbformat.v4.new_code_cell(source)
        if tags:
            cell.metadata["tags"] = tags
        if has_output:
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="ok\n")]
        nb.cells.append(cell)
    path = tmp_path / "page.ipynb"
    nbformat.write(nb, path)
    return path


def test_the_guard_sees_direct_and_indirect_reads(tmp_path):
    path = _notebook(
        tmp_path,
        [
            ("import torch\nctx = hwlib.setup()\nEPOCHS = ctx.pick(2, 30)\nN = 5", None, False),
            ("print(EPOCHS)", None, True),  # indirect: flagged
            ("print(N)", None, True),  # clean
            ("print(ctx.quick)", [IGNORE], True),  # tagged: fine
            ("def train():\n    return EPOCHS\n", None, False),
            ("print(train())", None, True),  # through a function: flagged
            ("DATA = 'cifar' if cifar10_available() else 'fmnist'\nprint(DATA)", None, True),
            ("EPOCHS = 3\nprint(EPOCHS)", None, True),  # re-assigned from a constant: clean
            ("xs = []\nfor e in range(N):\n    xs.append(ctx.device)\nprint(len(xs))", None, True),
            ("if torch.cuda.is_available():\n    k = 1\nelse:\n    k = 2", None, False),
            ("print(k)", None, True),  # control dependence: flagged
            ("print(torch.ones(2))", None, True),  # torch itself never becomes tainted
        ],
    )
    flagged = [number for number, _, _ in profile_guard.unguarded_cells(path)]
    assert flagged == [2, 6, 7, 9, 11]


def test_no_page_reads_the_profile_or_device_in_a_compared_cell():
    assert profile_guard.main([str(ROOT / "book")]) == 0
