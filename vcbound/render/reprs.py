"""Which renderer shows which result object: ``str()``, ``to_json()``, Jupyter reprs, tables, plots.

In: nothing (imported once, by ``vcbound.presentation``, the first time a result is presented).
Out: the table of ``vcbound.presentation``, filled with ``register(Class, format, function)``.

Design: the result classes (``Resolution``, ``Evaluation``, ``Sweep``) are computed upstream and
must not import the renderers (data flows one way). They inherit ``presentation.Presentable``,
whose ``__str__``/``to_json``/``_repr_markdown_``/``_repr_latex_`` look the renderer up in that
table; this module, on the render side, is the one place that says which function renders which
class in which format. To show another class (``Comparison``, ``Quantities``, ...): make it inherit
``Presentable`` and add its lines below; a format left out simply has no repr.
"""
from __future__ import annotations

from ..evaluate import Evaluation
from ..presentation import register
from ..resolver import Resolution
from ..sweeps import Sweep
from .evaluation import evaluation_json, evaluation_text
from .jsonout import resolution_json
from .latex import resolution_latex_math
from .markdown import resolution_markdown
from .plot import plot_sweep
from .sweep import sweep_csv, sweep_json, sweep_notes, sweep_table
from .text import resolution_text

register(Resolution, "text", resolution_text)
register(Resolution, "json", resolution_json)
register(Resolution, "markdown", resolution_markdown)
register(Resolution, "latex", resolution_latex_math)

register(Evaluation, "text", evaluation_text)
register(Evaluation, "json", evaluation_json)

register(Sweep, "json", sweep_json)
register(Sweep, "table", sweep_table)
register(Sweep, "csv", sweep_csv)
register(Sweep, "notes", sweep_notes)
register(Sweep, "png", plot_sweep)
