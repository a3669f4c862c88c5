"""Serve MathJax from the book itself when a local copy is present.

`make book` unpacks MathJax 3 from the npm registry into ``_vendor/mathjax/``, so the
rendered book shows its math offline (in a classroom without internet, or in the
test suite's browser screenshots). The folder is added to the static paths here,
after Jupyter Book has registered every ``.js`` file of ``_static/`` as a page script,
so MathJax's hundreds of component files are copied but not all loaded. Without the
local copy the default CDN address is kept.
"""

from pathlib import Path

VENDOR = "_vendor"
ENTRY = "mathjax/tex-chtml-full.js"


def _use_local(app, config):
    if (Path(app.confdir) / VENDOR / ENTRY).exists():
        config.html_static_path = [*config.html_static_path, VENDOR]
        config.mathjax_path = ENTRY


def setup(app):
    app.connect("config-inited", _use_local)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
