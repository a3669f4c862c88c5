"""Make sphinx-exercise's ``hide_solutions`` option hide the gated solutions too.

sphinx-exercise 1.2 honours ``hide_solutions = True`` for the ``solution`` directive only: its gated
form, ``solution-start`` ... ``solution-end`` (which the book uses so that solutions can hold code
cells), then drops the start marker and leaves everything between the two markers on the page. With
this extension and ``hide_solutions`` set, ``solution-start`` leaves a marker node, and a transform
run before sphinx-exercise merges the gated directives removes every node from that marker to its
``solution-end``. With ``hide_solutions`` unset it does nothing. ``make student-html`` sets the option.
"""

from __future__ import annotations

from docutils import nodes
from sphinx.transforms import SphinxTransform
from sphinx_exercise.directive import SolutionStartDirective
from sphinx_exercise.nodes import solution_end_node


class hidden_solution_marker(nodes.Element):
    """Where a gated solution started, in a build that hides solutions."""


class HidingSolutionStart(SolutionStartDirective):
    def run(self):
        nodes_out = super().run()  # records the start in sphinx-exercise's gated registry
        if self.env.app.config.hide_solutions:
            return [hidden_solution_marker()]
        return nodes_out


class RemoveHiddenSolutions(SphinxTransform):
    default_priority = 5  # sphinx-exercise checks the gated structure at 1 and merges at 10

    def apply(self):
        if not self.config.hide_solutions:
            return
        for marker in list(self.document.findall(hidden_solution_marker)):
            parent = marker.parent
            start = parent.index(marker)
            end = next(
                (
                    i
                    for i in range(start + 1, len(parent.children))
                    if isinstance(parent[i], solution_end_node)
                ),
                None,
            )
            if end is None:  # sphinx-exercise reports the missing solution-end itself
                parent.remove(marker)
                continue
            for child in parent.children[start : end + 1]:
                parent.remove(child)


def setup(app):
    app.setup_extension("sphinx_exercise")
    app.add_node(hidden_solution_marker)
    app.add_directive("solution-start", HidingSolutionStart, override=True)
    app.add_transform(RemoveHiddenSolutions)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
