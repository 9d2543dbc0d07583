"""Rendering of parameter counts (``vcbound params``).

In: ``Quantities`` and optional numeric bindings. Out: a per-layer table (text) or a JSON-ready
dict whose symbolic values are strings in sympy's ``str`` syntax and, when every symbol is bound,
integers.
"""
from __future__ import annotations

from ..expressions import substitute
from .words import convention_words


def _value(v, bindings):
    v = substitute(v, bindings)
    if v is None:
        return None
    if isinstance(v, int):
        return v
    if getattr(v, "is_Integer", False):
        return int(v)
    return str(v)


def params_json(q, bindings: dict | None = None) -> dict:
    from ..tensors import weight_tensors
    b = bindings or {}
    return {
        "architecture": q.arch.text.strip(),
        "convention": q.convention,
        "params": _value(q.params, b),
        "units": _value(q.units, b),
        "multiplications": _value(q.mults, b),
        "depth": _value(q.depth, b),
        "seq_len": _value(q.seq_len, b),
        "input_dim": _value(q.input_dim, b),
        "output_dim": _value(q.output_dim, b),
        "topology": q.topology,
        "activation_classes": sorted(q.classes),
        "multiplicative_gates": q.multiplicative,
        "bindings": {k: _value(v, {}) for k, v in b.items()},
        "layers": [
            {"kind": r.kind, "label": r.label, "line": r.line, "column": r.column,
             "multiplicity": _value(r.multiplicity, b), "params": _value(r.params, b),
             "units": _value(r.units, b), "output_width": _value(r.output_width, b)}
            for r in q.rows
        ],
        "tensors": [t.to_json(b) for t in weight_tensors(q, b)],
    }


def params_text(q, bindings: dict | None = None) -> str:
    b = bindings or {}
    head = ("#", "layer", "x", "params", "units", "out")
    rows = [head, *_rows(q, b)]
    widths = [max(len(row[c]) for row in rows) for c in range(len(head))]
    lines = ["  ".join(cell.ljust(w) if c in (1,) else cell.rjust(w) if c else cell.ljust(w)
                       for c, (cell, w) in enumerate(zip(row, widths))).rstrip() for row in rows]
    lines.insert(1, "-" * len(lines[0]))
    lines.append("-" * len(lines[0]))
    total = [f"parameters  W = {_value(q.params, b)}   ({convention_words(q)})",
             f"units       U = {_value(q.units, b)}" + (f"  (+ {_value(q.mults, b)} multiplication gates)"
                                                       if q.multiplicative else ""),
             f"depth       L_eff = {_value(q.depth, b)}" + ("  (per time step)" if q.recurrent else "")]
    if q.seq_len is not None:
        total.append(f"sequence    T = {_value(q.seq_len, b)}")
    total.append(f"topology     : {q.topology.replace('_', ' ')}")
    if b:
        total.append("at            : " + ", ".join(f"{k}={v}" for k, v in b.items()))
    return "\n".join(lines + total)


def _rows(q, b) -> list[tuple]:
    return [(str(i), r.label, str(_value(r.multiplicity, b)), str(_value(r.params, b)),
             str(_value(r.units, b) if r.units != 0 else "-"), str(_value(r.output_width, b)))
            for i, r in enumerate(q.rows, 1)]


def params_markdown(q, bindings: dict | None = None) -> str:
    """``vcbound params --format markdown`` and ``Quantities._repr_markdown_``: the layer table and totals."""
    from .markdown import md_escape
    from .pretty import unicode_expr
    b = bindings or {}
    out = [f"**Parameters** of `{' '.join(q.arch.text.split())}`", "",
           "| # | layer | × | params | units | out |", "|---|---|---|---|---|---|"]
    out += ["| " + " | ".join(md_escape(unicode_expr(c)) for c in row) + " |" for row in _rows(q, b)]
    out.append("")
    totals = [f"W = {unicode_expr(substitute(q.params, b))} ({convention_words(q)})",
              f"U = {unicode_expr(substitute(q.units, b))}"
              + (f" (+ {unicode_expr(substitute(q.mults, b))} multiplication gates)" if q.multiplicative else ""),
              f"L_eff = {unicode_expr(substitute(q.depth, b))}" + (" per time step" if q.recurrent else "")]
    if q.seq_len is not None:
        totals.append(f"T = {unicode_expr(substitute(q.seq_len, b))}")
    out.append(md_escape("; ".join(totals)))
    return "\n".join(out)


def params_latex(q, bindings: dict | None = None) -> str:
    """``vcbound params --format latex`` and ``Quantities._repr_latex_``: the totals in math mode
    (one ``$$\\begin{aligned}`` block, which KaTeX and MathJax render)."""
    from .latex import _katex_plain, math
    b = bindings or {}
    rows = [r"W &= " + math(substitute(q.params, b), multiline=False)
            + r" && \text{" + _katex_plain(convention_words(q)) + "}",
            r"U &= " + math(substitute(q.units, b), multiline=False)
            + (r" && \text{+ } " + math(substitute(q.mults, b), multiline=False)
               + r"\text{ multiplication gates}" if q.multiplicative else ""),
            r"L_{\mathrm{eff}} &= " + math(substitute(q.depth, b), multiline=False)]
    if q.seq_len is not None:
        rows.append(r"T &= " + math(substitute(q.seq_len, b), multiline=False))
    return "$$\n\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}\n$$"


def quantities_repr(q) -> str:
    text = " ".join(q.arch.text.split())
    text = text if len(text) <= 50 else text[:49] + "…"
    params = str(q.params)
    params = params if len(params) <= 60 else params[:59] + "…"
    return f"<Quantities of {text!r}: W = {params} ({q.convention})>"


def params_csv(q, bindings: dict | None = None) -> str:
    """``vcbound params --format csv``: one row per layer, then the totals (W and U in the params
    and units columns)."""
    import csv
    import io
    b = bindings or {}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["index", "layer", "multiplicity", "params", "units", "output_width"])
    w.writerows(_rows(q, b))
    w.writerow(["total", " ".join(q.arch.text.split()), "", str(_value(q.params, b)), str(_value(q.units, b)),
                str(_value(q.output_dim, b))])
    return buf.getvalue()
