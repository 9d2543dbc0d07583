"""Text, JSON, Markdown, LaTeX and a one-line repr for ``generalization.GeneralizationReport``
(``eval --measure generalization``; Jupyter shows the Markdown, as HTML).

In: a report (tensor norms, norm quantities, each applicable bound's value or what it needs).
Out: in every format the same content: each bound with its citation, locator, the paper's formula,
the substituted numbers and its caveats (the result's own limits, "not a numeric bound" for results
stated up to constants, UNVERIFIED), the tensors' norms, and the notes. LaTeX cites with natbib
(``\\citet``) the keys whose BibTeX entries are LaTeX-safe, like every other LaTeX output.
"""
from __future__ import annotations


def _num(v) -> str:
    return f"{v:.6g}" if isinstance(v, float) else str(v)


def bound_value_json(b) -> dict:
    return {"result": b.result_id, "citation": b.citation, "locator": b.locator, "form": b.form,
            "formula": b.formula, "substitutions": b.substitutions, "value": b.value,
            "missing": b.missing, "unverified": b.unverified, "caveat": b.caveat,
            "statement_caveat": b.statement_caveat, "undefined": b.undefined or None}


def generalization_json(report) -> dict:
    return {"measure": "generalization", "architecture": report.architecture,
            "tensors": [{"name": n, "shape": list(s), "spectral_norm": sn, "frobenius_norm": fn}
                        for n, s, sn, fn in report.tensors],
            "quantities": report.quantities, "bounds": [bound_value_json(b) for b in report.bounds],
            "notes": report.notes, "misses": [str(m) for m in report.misses]}


def generalization_text(report) -> str:
    lines = [f"generalization gap (norm-based) of  {report.architecture}", "", "weight tensors:"]
    width = max((len(t[0]) for t in report.tensors), default=4)
    for name, shape, sn, fn in report.tensors:
        norm_text = "" if sn is None else f"  spectral {sn:.6g}  frobenius {fn:.6g}"
        lines.append(f"  {name.ljust(width)}  {str(tuple(shape)):<12}{norm_text}".rstrip())
    shown = {k: v for k, v in report.quantities.items() if v is not None}
    if shown:
        lines.append("")
        lines.append("quantities: " + ", ".join(f"{k} = {_num(v)}" for k, v in shown.items()))
    lines.append("")
    if not report.bounds:
        lines.append("no norm-based bound in the theorem base applies to this network.")
        for m in report.misses[:5]:
            lines.append(f"  - {m}")
    for b in report.bounds:
        head = f"{b.result_id} [{b.citation}, {b.locator}]"
        if b.value is None:
            lines.append(f"{head}\n  " + (f"needs {', '.join(b.missing)}" if b.missing else b.undefined))
            continue
        lines.append(f"{head}\n  {b.formula} = {_num(b.value)}")
        lines.append("  with " + ", ".join(f"{k} = {_num(v)}" for k, v in b.substitutions.items()))
        if b.caveat:
            lines.append(f"  ({b.caveat})")
    for n in report.notes:
        lines.append(f"note: {n}")
    return "\n".join(lines)


def _tensor_rows(report):
    for name, shape, sn, fn in report.tensors:
        yield name, "×".join(str(x) for x in shape), ("" if sn is None else f"{sn:.6g}"), ("" if fn is None else f"{fn:.6g}")


def _value_words(b) -> str:
    if b.value is not None:
        return _num(b.value)
    return ("needs " + ", ".join(b.missing)) if b.missing else b.undefined


def generalization_markdown(report) -> str:
    def cell(text) -> str:
        return str(text).replace("|", "\\|")
    lines = [f"**generalization gap (norm-based)** of `{report.architecture}`", "",
             "| tensor | shape | spectral norm | Frobenius norm |", "| --- | --- | --- | --- |"]
    lines += [f"| `{n}` | {s} | {sn} | {fn} |" for n, s, sn, fn in _tensor_rows(report)]
    shown = {k: v for k, v in report.quantities.items() if v is not None}
    if shown:
        lines += ["", "quantities: " + ", ".join(f"`{k}` = {_num(v)}" for k, v in shown.items())]
    lines.append("")
    if not report.bounds:
        lines.append("No norm-based bound in the theorem base applies to this network.")
        lines += [f"- {cell(m)}" for m in report.misses[:5]]
    for b in report.bounds:
        lines.append(f"- **{b.result_id}** ({b.citation}, {cell(b.locator)}): `{b.formula}` = "
                     + (f"**{_num(b.value)}**" if b.value is not None else _value_words(b)))
        if b.value is not None:
            lines.append("  with " + ", ".join(f"`{k}` = {_num(v)}" for k, v in b.substitutions.items()))
        if b.caveat:
            lines.append(f"  *Caveat:* {cell(b.caveat)}")
    if report.notes:
        lines.append("")
        lines += [f"*Note:* {cell(n)}" for n in report.notes]
    return "\n".join(lines)


def generalization_latex(report) -> str:
    from .latex import _texttt, latex_escape, math
    from .refs import Citer
    citer = Citer(report.sources)
    lines = [r"\paragraph{Generalization gap (norm-based)} of " + _texttt(report.architecture) + ".",
             r"\begin{itemize}"]
    if not report.bounds:
        lines.append(r"  \item No norm-based bound in the theorem base applies to this network.")
    for b in report.bounds:
        locator = None if b.locator.startswith("UNVERIFIED") else b.locator
        cite = citer.cite([b.citation], textual=True, locator=locator) or latex_escape(b.citation)
        formula = _formula_math(b.formula, math)
        if b.value is not None:
            subs = ", ".join(f"{_letter_math(k)} = {latex_escape(_num(v))}" for k, v in b.substitutions.items())
            body = f"${formula} = {latex_escape(_num(b.value))}$ with {subs}"
        else:
            body = f"${formula}$: " + latex_escape(_value_words(b))
        lines.append(f"  \\item {latex_escape(b.result_id)} ({cite}): {body}."
                     + (f" \\emph{{Caveat:}} {latex_escape(b.caveat)}." if b.caveat else ""))
    lines.append(r"\end{itemize}")
    for n in report.notes:
        lines.append(r"\noindent\emph{Note:} " + latex_escape(n) + r"\par")
    return "\n".join(lines)


def _formula_math(text: str, math) -> str:
    """The paper's formula (theorem-file grammar, parsed, never evaluated) in LaTeX math."""
    from ..expressions import parse_expression
    try:
        return math(parse_expression(text, "bound"), multiline=False)
    except Exception:     # noqa: BLE001 - display only
        from .latex import latex_escape
        return r"\text{" + latex_escape(text) + "}"


def _letter_math(letter: str) -> str:
    import sympy as sp
    return "$" + sp.latex(sp.Symbol(letter)) + "$"


def generalization_repr(report) -> str:
    arch = report.architecture if len(report.architecture) <= 50 else report.architecture[:49] + "…"
    numbers = sum(b.value is not None for b in report.bounds)
    return (f"<GeneralizationReport of {arch!r}: {len(report.tensors)} tensors, {len(report.bounds)} bounds, "
            f"{numbers} with a value>")
