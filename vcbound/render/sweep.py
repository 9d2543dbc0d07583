"""Text table, CSV and JSON of a ``Sweep`` (``vcbound sweep``).

In: a ``Sweep`` (vcbound.sweeps). Out: an aligned table with a legend of the columns and notes
(failing conditions, values beyond the float range, existence statements), CSV text with the full
precision cells, or a JSON-ready dict (numbers beyond the float range stay text, never a wrong
number).
"""
from __future__ import annotations

import math

from ..evaluate import NO_CONSTANT, _axis_text, scientific_from_log10


def sweep_csv(sw) -> str:
    import csv
    import io
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(sw.header())
    for row in sw.rows():
        w.writerow(row)
    return buf.getvalue()

def sweep_json(sw) -> dict:
    from ..resolver import MEASURE_NAMES
    cols = []
    for c in sw.columns[1:]:
        r = c.route
        cols.append({
            "key": c.key, "result": r.id, "direction": r.direction, "view": r.view,
            "citations": c.citations, "source": r.result.source.key, "locator": r.result.locator,
            "scope": r.scope, "unverified_applicability": r.unsound,
            "conditions_not_checked": c.conditions_open,
            "points_where_a_condition_fails": int(c.failed.sum()),
            "failing_conditions": c.failed_by,
            "points_outside_float_range": int(c.overflow.sum()),
            "inner": c.inner,
        })
    header = sw.header()
    rows = []
    for cells in sw.rows():
        row = {}
        for h, cell in zip(header, cells):
            row[h] = _json_cell(cell)
        rows.append(row)
    return {
        "measure": sw.resolution.measure,
        "measure_name": MEASURE_NAMES[sw.resolution.measure],
        "architecture": sw.resolution.arch.text.strip(),
        "convention": sw.resolution.quantities.convention,
        "varied": {n: [_json_cell(_axis_text(v)) for v in sw.values[n]] for n in sw.varied},
        "fixed": {k: str(v) for k, v in sw.fixed.items()},
        **{k: str(v) for k, v in sw.extra.items() if v is not None},
        "columns": cols,
        "skipped": [{"result": r.id, "direction": r.direction, "view": r.view, "reason": r.reason,
                     "citations": r.citations} for r in sw.skipped],
        "notes": sweep_notes(sw),
        "rows": rows,
    }

def sweep_notes(sw) -> list[str]:
    import numpy as np
    out = []
    for c in sw.columns:
        n_over = int(c.overflow.sum())
        if n_over:
            out.append(f"{c.key}: {n_over} value(s) outside the float range, written in scientific notation "
                       "(as vcbound eval writes them)")
        if c.kind == "params":
            continue
        n_fail = int(c.failed.sum())
        if n_fail:
            which = "; ".join(f"{t} fails at {k}" for t, k in c.failed_by.items())
            out.append(f"{c.key}: blank at {n_fail} point(s) where a condition of the result fails "
                       f"({which}): the bound does not apply there")
        n_undef = int((np.isnan(c.values) & ~c.failed).sum())
        if n_undef:
            out.append(f"{c.key}: undefined (no real value) at {n_undef} point(s)")
        if c.route.unsound:
            out.append(f"{c.key}: a step of this route is UNVERIFIED (a feed-forward result applied to "
                       "shared weights)")
        if c.route.direction == "lower" and c.route.scope == "exists":
            out.append(f"{c.key}: an existence statement: some network of the family reaches it, "
                       "not necessarily this one")
        if c.conditions_open:
            out.append(f"{c.key}: condition(s) not checked: {'; '.join(c.conditions_open)}")
    needs = [r for r in sw.skipped if r.reason.startswith("needs ")]
    by_reason: dict = {}
    for r in needs:
        by_reason.setdefault(r.reason, []).append(r.id)
    for reason, ids in by_reason.items():
        out.append(f"not evaluated, {reason}: {', '.join(dict.fromkeys(ids))}")
    rest = [r for r in sw.skipped if not r.reason.startswith("needs ")]
    if rest:
        ids = ", ".join(dict.fromkeys(r.id for r in rest))
        out.append(f"not evaluated ({NO_CONSTANT} or no explicit inner bound): {ids}")
    return out

def sweep_table(sw) -> str:
    header = sw.header()
    body = [[_table_cell(x) for x in row] for row in sw.rows()]
    widths = [max([len(h)] + [len(r[i]) for r in body]) for i, h in enumerate(header)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(header, widths))]
    lines += ["  ".join(x.rjust(w) for x, w in zip(r, widths)) for r in body]
    legend = [f"  {c.direction}:{c.key} = {c.route.result.source.key}, {c.route.result.locator}"
              + (f" (via {c.route.view})" if c.route.view != 'network' and not c.route.inner_measure else "")
              for c in sw.columns[1:]]
    extra = []
    if legend:
        extra += ["", "columns:"] + legend
    notes = sweep_notes(sw)
    if notes:
        extra += [""] + [f"note: {n}" for n in notes]
    return "\n".join(lines + extra)


def _json_cell(cell: str):
    if cell == "":
        return None
    try:
        v = float(cell)
    except ValueError:
        return cell
    if not math.isfinite(v) or (v == 0 and cell not in ("0", "0.0")):
        return cell           # beyond the float range: kept as text, never as a wrong number
    return int(cell) if cell.lstrip("-").isdigit() else v


def _table_cell(cell: str) -> str:
    if cell == "":
        return "—"
    try:
        v = float(cell)
    except ValueError:
        return cell
    if not math.isfinite(v) or (v == 0 and cell not in ("0", "0.0")):
        mant, _, exp = cell.partition("e")          # beyond the float range: 6 digits, as eval shows it
        return scientific_from_log10(math.log10(float(mant)) + int(exp), 6)
    if cell.lstrip("-").isdigit():
        return cell
    return f"{v:.6g}"


def sweep_markdown(sw) -> str:
    """``vcbound sweep --format markdown`` and ``Sweep._repr_markdown_``: the grid as a table,
    a legend of the columns and the notes."""
    from .markdown import md_escape
    header = sw.header()
    out = ["| " + " | ".join(md_escape(h) for h in header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(md_escape(_table_cell(x)) for x in row) + " |" for row in sw.rows()]
    legend = [f"- {md_escape(c.direction + ':' + c.key)}: {md_escape(c.route.result.source.key)}, "
              f"{md_escape(c.route.result.locator)}" for c in sw.columns[1:]]
    if legend:
        out += ["", "Columns:", ""] + legend
    notes = sweep_notes(sw)
    if notes:
        out += [""] + [f"> **Note:** {md_escape(n)}" for n in notes]
    return "\n".join(out)


def sweep_latex(sw) -> str:
    """``vcbound sweep --format latex`` and ``Sweep._repr_latex_``: the grid as an ``array`` in
    math mode (MathJax and KaTeX render it; a paper can put it in an equation)."""
    from .latex import _katex_plain
    header = sw.header()

    def cell(text: str) -> str:
        text = _table_cell(text)
        mant, e, exp = text.partition("e")
        if e and exp.lstrip("+-").isdigit():
            return f"{mant} \\times 10^{{{int(exp)}}}"
        return r"\text{" + _katex_plain(text) + "}" if text == "—" else text

    rows = [" & ".join(r"\text{" + _katex_plain(h) + "}" for h in header)]
    rows += [" & ".join(cell(x) for x in row) for row in sw.rows()]
    return ("$$\n\\begin{array}{" + "r" * len(header) + "}\n" + rows[0] + " \\\\ \\hline\n"
            + " \\\\\n".join(rows[1:]) + "\n\\end{array}\n$$")


def sweep_repr(sw) -> str:
    text = " ".join(sw.resolution.arch.text.split())
    text = text if len(text) <= 50 else text[:49] + "…"
    axes = ", ".join(f"{n}: {len(sw.values[n])} values" for n in sw.varied) or "one point"
    return (f"<Sweep {sw.resolution.measure} of {text!r} over {axes}: "
            f"{len(sw.columns) - 1} bound column(s)>")
