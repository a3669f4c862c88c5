"""tools/mutation_report.py: the equivalents file it reads (mutmut itself is not run here)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from _helpers import load_file

ROOT = Path(__file__).resolve().parents[1]


def load_tool():
    return load_file("mutation_report", "tools/mutation_report.py")


def test_equivalents_need_a_reason(tmp_path):
    tool = load_tool()
    good = tmp_path / "eq.txt"
    good.write_text("# comment\n\nhwlib.x.y__mutmut_1  no observable change\n")
    assert tool.read_equivalents(good) == {"hwlib.x.y__mutmut_1": "no observable change"}
    bad = tmp_path / "bad.txt"
    bad.write_text("hwlib.x.y__mutmut_2\n")
    with pytest.raises(SystemExit, match=r"bad.txt:1: hwlib.x.y__mutmut_2 needs a one-line reason"):
        tool.read_equivalents(bad)
    assert tool.read_equivalents(tmp_path / "missing.txt") == {}


def test_the_kept_equivalents_file_is_well_formed():
    tool = load_tool()
    listed = tool.read_equivalents()
    assert listed and all(name.startswith("hwlib.") and "__mutmut_" in name for name in listed)
    assert all(tool.module_of(name) in tool.MODULES for name in listed)


def test_the_modules_are_every_source_file_of_hwlib():
    tool = load_tool()
    files = sorted(
        p.relative_to(ROOT) for p in (ROOT / "src" / "hwlib").rglob("*.py") if p.name != "__init__.py"
    )
    assert sorted(tool.module_path(m) for m in tool.MODULES) == files
    assert tool.module_path("data.files") == Path("src/hwlib/data/files.py")
    assert tool.module_of("hwlib.data.files.x__md5__mutmut_3") == "data.files"
    assert tool.module_of("hwlib.checks.xǁHiddenǁ__init____mutmut_1") == "checks"
    # a package stands for its modules, so `make mutation MODULES="checks timing"` keeps working
    assert tool.expand(["checks", "timing"]) == [
        "checks",
        *(m for m in tool.MODULES if m.startswith("timing.")),
    ]
    assert tool.expand(["data.files", "data"])[0] == "data.files" and len(tool.expand(["data"])) > 1


def test_every_listed_equivalent_names_a_function_of_its_module():
    # mutmut's names: module, then x_function or xǁClassǁmethod, then __mutmut_N; a function moved
    # to another module keeps its mutants' numbers but not their names
    tool = load_tool()
    for name in tool.read_equivalents():
        path = ROOT / tool.module_path(tool.module_of(name))
        assert path.is_file(), name
        mangled = name.rsplit(".", 1)[1].rpartition("__mutmut_")[0]
        tree = ast.parse(path.read_text())
        if mangled.startswith("xǁ"):
            cls, method = mangled[2:].split("ǁ")
            classes = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls]
            assert classes and any(
                isinstance(n, ast.FunctionDef) and n.name == method for n in classes[0].body
            ), name
        else:
            function = mangled.removeprefix("x_")
            assert any(isinstance(n, ast.FunctionDef) and n.name == function for n in tree.body), name
