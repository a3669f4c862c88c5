"""tools/mutation_report.py: the equivalents file it reads (mutmut itself is not run here)."""

from __future__ import annotations

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
    assert all(name.split(".")[1] in tool.MODULES for name in listed)
