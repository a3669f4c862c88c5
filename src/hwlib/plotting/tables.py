""":class:`~hwlib.plotting.Table`: small tables, as HTML in the book and as fixed-width text under nbval."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import numpy as np
import torch


class Table:
    """A small table of values that renders as HTML in the book and as text under nbval.

    ``rows`` is a sequence of mappings with the same keys (the columns, in order),
    numbers are formatted with ``floatfmt``.
    """

    def __init__(self, rows: Sequence[Mapping], floatfmt: str = ".6f", title: str | None = None):
        rows = list(rows)
        if not rows:
            raise ValueError("Table needs at least one row")
        self.columns = list(rows[0].keys())
        for i, row in enumerate(rows):
            if list(row.keys()) != self.columns:
                raise ValueError(f"row {i} has columns {list(row.keys())}, expected {self.columns}")
        self.rows = rows
        self.floatfmt = floatfmt
        self.title = title

    def _cell(self, value) -> str:
        if isinstance(value, torch.Tensor) and value.numel() == 1:
            value = value.item()
        if isinstance(value, (float, np.floating)):
            text = format(float(value), self.floatfmt)
            # a value that rounds to zero prints without a sign: its sign is the last bits' noise
            return text[1:] if text.startswith("-") and not any(ch in "123456789" for ch in text) else text
        return str(value)

    def _cells(self) -> list[list[str]]:
        return [[self._cell(row[c]) for c in self.columns] for row in self.rows]

    def __repr__(self) -> str:
        cells = self._cells()
        widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(self.columns)]
        line = "  ".join(c.rjust(w) for c, w in zip(self.columns, widths))
        out = [self.title] if self.title else []
        out += [line, "  ".join("-" * w for w in widths)]
        out += ["  ".join(v.rjust(w) for v, w in zip(r, widths)) for r in cells]
        return "\n".join(out)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in r) + "</tr>" for r in self._cells()
        )
        cap = f"<caption>{html.escape(self.title)}</caption>" if self.title else ""
        return f'<table class="hwlib-table">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'

    def __getitem__(self, column: str) -> list:
        """The values of one column, unformatted."""
        if column not in self.columns:
            raise KeyError(f"no column {column!r}; the columns are {self.columns}")
        return [row[column] for row in self.rows]
