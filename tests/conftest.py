"""Fixtures shared by the unit tests."""

from __future__ import annotations

import pytest


class GlueRecorder:
    """Stands in for ``myst_nb.glue``: records each ``(name, value, display)`` it is called with."""

    def __init__(self):
        self.calls = []

    def __call__(self, name, value, display=True):
        self.calls.append((name, value, display))


@pytest.fixture
def recorded(monkeypatch):
    """What ``hwlib.glue`` hands to myst-nb, recorded instead of displayed."""
    import myst_nb

    rec = GlueRecorder()
    monkeypatch.setattr(myst_nb, "glue", rec)
    return rec
