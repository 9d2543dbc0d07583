"""Stage 7: rendering. One module per output format; this package re-exports the entry points.

In: ``Quantities`` and ``Resolution`` objects. Out: strings (text, JSON-ready dicts, LaTeX,
BibTeX, Markdown). The resolver never formats; renderers never decide.

``resolutions_<format>(resolutions, explain=False, standalone=False)`` is the printer the CLI calls
for ``--format latex|bibtex|markdown``.
"""
from .bibtex import resolutions_bibtex
from .latex import resolution_latex, resolution_latex_math, resolutions_latex
from .markdown import resolution_markdown, resolutions_markdown
from .params import params_json, params_text

__all__ = ["params_json", "params_text", "resolution_latex", "resolution_latex_math", "resolutions_latex",
           "resolutions_bibtex", "resolution_markdown", "resolutions_markdown"]
