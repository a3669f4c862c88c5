"""Every figure of the book is numbered, captioned and described for a screen reader.

myst-nb takes a code cell's ``mystnb.figure`` metadata (caption, name) and ``mystnb.image.alt`` and
renders the cell's image as a numbered ``<figure>`` with that caption and alt text. Without them a
screen reader reads out the image's file path.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted(p for p in (ROOT / "book").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def figure_cells(nb):
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and any(
            "image/png" in o.get("data", {}) for o in cell.get("outputs", [])
        ):
            yield index, cell


def problems(nb) -> list[str]:
    found = []
    for index, cell in figure_cells(nb):
        meta = cell.metadata.get("mystnb", {})
        caption = meta.get("figure", {}).get("caption", "")
        name = meta.get("figure", {}).get("name", "")
        alt = meta.get("image", {}).get("alt", "")
        if len(caption.strip()) < 20:
            found.append(f"cell {index}: no caption (mystnb.figure.caption)")
        if not re.fullmatch(r"fig-[a-z0-9-]+", name):
            found.append(f"cell {index}: no figure name fig-... (mystnb.figure.name)")
        shown = [
            o
            for o in cell.get("outputs", [])
            if o.get("output_type") in ("display_data", "execute_result")
            and any(not k.startswith("application/papermill.record") for k in o.get("data", {}))
        ]
        if len(shown) > 1:  # myst-nb wraps each one in the figure: two figures with one name and caption
            found.append(
                f"cell {index}: {len(shown)} displayed outputs share the figure; show the others apart"
            )
        if len(alt.strip()) < 40 or re.search(
            r"\.(png|jpe?g|svg)\b|^(an? )?(image|picture) of\b", alt.strip(), re.I
        ):
            found.append(f"cell {index}: no alt text that says what the figure shows (mystnb.image.alt)")
    return found


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT / "book")) for p in PAGES])
def test_every_figure_has_a_caption_a_name_and_alt_text(page):
    assert problems(nbformat.read(page, as_version=4)) == []


def test_figure_names_are_unique_across_the_book():
    names = [
        c.metadata["mystnb"]["figure"]["name"]
        for p in PAGES
        for _, c in figure_cells(nbformat.read(p, as_version=4))
        if "mystnb" in c.metadata
    ]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


def test_the_check_sees_a_missing_alt_text():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("plt.plot([1])")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": "iVBOR"})]
    nb.cells.append(cell)
    assert len(problems(nb)) == 3
    cell.metadata["mystnb"] = {
        "figure": {"caption": "A line through one point, as a test.", "name": "fig-t"},
        "image": {"alt": "../../_images/5d95.png"},
    }
    assert problems(nb) == ["cell 0: no alt text that says what the figure shows (mystnb.image.alt)"]
    cell.metadata["mystnb"]["image"]["alt"] = "A single blue point at height one on otherwise empty axes."
    assert problems(nb) == []
    glue = nbformat.v4.new_output("display_data", data={"application/papermill.record/text/plain": "1"})
    cell.outputs.append(glue)  # a glue record is not displayed: still one figure
    assert problems(nb) == []
    cell.outputs.append(
        nbformat.v4.new_output("execute_result", data={"text/plain": "<Table>"}, execution_count=1)
    )
    assert problems(nb) == ["cell 0: 2 displayed outputs share the figure; show the others apart"]
