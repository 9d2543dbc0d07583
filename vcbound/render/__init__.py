"""Stage 7: rendering. One module per output format; this package re-exports the entry points.

In: ``Quantities`` and ``Resolution`` objects. Out: strings (text, JSON-ready dicts, LaTeX,
BibTeX, Markdown). The resolver never formats; renderers never decide.
"""
from .params import params_json, params_text

__all__ = ["params_json", "params_text"]
