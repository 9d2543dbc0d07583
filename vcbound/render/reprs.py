"""Which renderer shows which result object: ``str()``, ``to_json()``, Jupyter reprs, tables, plots.

In: nothing (imported once, by ``vcbound.presentation``, the first time a result is presented).
Out: the table of ``vcbound.presentation``, filled with ``register(Class, format, function)``.

Design: the result classes (``Resolution``, ``Evaluation``, ``Sweep``) are computed upstream and
must not import the renderers (data flows one way). They inherit ``presentation.Presentable``,
whose ``__str__``/``to_json``/``_repr_markdown_``/``_repr_latex_`` look the renderer up in that
table; this module, on the render side, is the one place that says which function renders which
class in which format. To show another class (``Quantities``, ...): make it inherit
``Presentable`` and add its lines below; a format left out simply has no repr.
"""
from __future__ import annotations

from ..comparison import Comparison
from ..evaluate import Evaluation
from ..generalization import GeneralizationReport
from ..presentation import present, register
from ..quantities import Quantities
from ..resolver import Resolution
from ..sweeps import Sweep
from ..tradeoff import BudgetComparison, Tradeoff
from .comparison import comparison_json, comparison_text
from .evaluation import evaluation_json, evaluation_repr, evaluation_text
from .generalization import (generalization_json, generalization_latex, generalization_markdown,
                             generalization_repr, generalization_text)
from .html import markdown_html
from .jsonout import resolution_json
from .latex import comparison_latex_math, resolution_latex_math
from .markdown import comparison_markdown, resolution_markdown
from .params import params_csv, params_json, params_latex, params_markdown, params_text, quantities_repr
from .plot import plot_sweep
from .sweep import sweep_csv, sweep_json, sweep_latex, sweep_markdown, sweep_notes, sweep_repr, sweep_table
from .text import resolution_repr, resolution_text
from .tradeoff import (budget_comparison_json, budget_comparison_text, plot_tradeoff, tradeoff_csv, tradeoff_json,
                       tradeoff_latex, tradeoff_markdown, tradeoff_table)


def html_from_markdown(obj) -> str:
    """``_repr_html_`` of every result: its Markdown, as HTML (one converter, the same content)."""
    return markdown_html(present(obj, "markdown"))

register(Resolution, "text", resolution_text)
register(Resolution, "json", resolution_json)
register(Resolution, "markdown", resolution_markdown)
register(Resolution, "latex", resolution_latex_math)
register(Resolution, "html", html_from_markdown)
register(Resolution, "repr", resolution_repr)

register(Quantities, "text", params_text)
register(Quantities, "json", params_json)
register(Quantities, "markdown", params_markdown)
register(Quantities, "latex", params_latex)
register(Quantities, "html", html_from_markdown)
register(Quantities, "repr", quantities_repr)
register(Quantities, "csv", params_csv)

register(Comparison, "text", comparison_text)
register(Comparison, "json", comparison_json)
register(Comparison, "markdown", comparison_markdown)
register(Comparison, "latex", comparison_latex_math)
register(Comparison, "html", html_from_markdown)

register(Evaluation, "text", evaluation_text)
register(Evaluation, "json", evaluation_json)
register(Evaluation, "repr", evaluation_repr)

register(GeneralizationReport, "text", generalization_text)
register(GeneralizationReport, "json", generalization_json)
register(GeneralizationReport, "markdown", generalization_markdown)
register(GeneralizationReport, "latex", generalization_latex)
register(GeneralizationReport, "html", html_from_markdown)
register(GeneralizationReport, "repr", generalization_repr)

register(Sweep, "json", sweep_json)
register(Sweep, "table", sweep_table)
register(Sweep, "csv", sweep_csv)
register(Sweep, "notes", sweep_notes)
register(Sweep, "png", plot_sweep)
register(Sweep, "text", sweep_table)
register(Sweep, "markdown", sweep_markdown)
register(Sweep, "latex", sweep_latex)
register(Sweep, "html", html_from_markdown)
register(Sweep, "repr", sweep_repr)

register(Tradeoff, "text", tradeoff_table)
register(Tradeoff, "json", tradeoff_json)
register(Tradeoff, "csv", tradeoff_csv)
register(Tradeoff, "markdown", tradeoff_markdown)
register(Tradeoff, "latex", tradeoff_latex)
register(Tradeoff, "png", plot_tradeoff)

register(BudgetComparison, "text", budget_comparison_text)
register(BudgetComparison, "json", budget_comparison_json)
register(Tradeoff, "html", html_from_markdown)
