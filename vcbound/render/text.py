"""Plain-text report of a ``Resolution`` (what ``vcbound bound`` and ``str(resolution)`` print).

In: a ``Resolution``. Out: a Unicode text block: the bounds with their status, scope in words,
citations and verification, tightness, growth exponents, nearest misses and notes; and the
derivation tree for ``vcbound explain``.
"""
from __future__ import annotations

from .pretty import unicode_expr
from .words import convention_words, family_words, scope_sentence

SYMBOL = {"upper": "O", "lower": "Ω"}


def resolution_text(res, explain: bool = False) -> str:
    from ..resolver import MEASURE_NAMES
    q = res.quantities
    lines = [f"{MEASURE_NAMES[res.measure]} of  {res.arch.text.strip()}"]
    seq = ""
    if q.seq_len is not None:
        seq = ", sequence length T" if str(q.seq_len) == "T" else f", sequence length T = {unicode_expr(q.seq_len)}"
    lines.append(f"  W = {unicode_expr(q.params)} parameters ({convention_words(q)}){seq}")
    lines.append(f"  regime: {res.regime.describe(long=True)}")
    lines.append("")
    if res.no_result:
        lines.append("no result: no theorem in the base applies to this network for this measure.")
    if res.upper is not None and res.lower is not None and res.tight:
        conds = res.upper.conditions + [c for c in res.lower.conditions if c not in res.upper.conditions]
        when = f" when {', '.join(conds)}" if conds else ""
        if res.lower.scope == "exists":
            lines.append(f"tight  Θ({unicode_expr(res.upper.expr)}) for the family{when}: the largest "
                         f"{MEASURE_NAMES[res.measure]} of a network of this family is of this order")
        else:
            lines.append(f"tight  Θ({unicode_expr(res.upper.expr)}){when}")
    for bound in (res.upper, res.lower):
        if bound is None:
            continue
        lines.append(_bound_line(bound))
        lines.extend("       " + l for l in _bound_details(bound, res))
    if res.upper is None and not res.no_result:
        lines.append("upper  none: no upper bound in the base applies")
    if res.lower is None and not res.no_result:
        lines.append("lower  none: no lower bound in the base applies")
    if res.upper is not None and res.lower is not None and not res.tight:
        lines.append(f"gap    not tight: the bounds differ{_cond_words(res)}")
    if res.growth_upper:
        lines.append("growth of the upper bound: " + ", ".join(str(g) for g in res.growth_upper.values()))
    for c in res.conflicts:
        lines.append("CONFLICT " + str(c))
    if res.no_result or explain:
        if res.misses:
            lines.append("")
            lines.append("nearest misses:" if res.no_result else "nearest results that did not apply:")
            shown = res.misses[:10]       # the resolver orders them nearest first
            for m in shown:
                lines.append("  - " + str(m))
            if len(res.misses) > len(shown):
                lines.append(f"  (+{len(res.misses) - len(shown)} more; vcbound theorems list shows them all)")
    if res.notes:
        lines.append("")
        lines.extend("note: " + n for n in res.notes)
    if explain:
        lines.append("")
        lines.extend(derivation_text(res))
    return "\n".join(lines)


def _bound_line(bound) -> str:
    return f"{bound.direction:<6} {SYMBOL[bound.direction]}({unicode_expr(bound.expr)})"


def _bound_details(bound, res) -> list[str]:
    out = []
    cites = ", ".join(bound.citations) or "by definition"
    flags = []
    if bound.unverified:
        flags.append("contains UNVERIFIED locators")
    if bound.unsound:
        flags.append("a step's applicability is UNVERIFIED")
    levels = sorted({c.verification for c in bound.candidates})
    out.append(f"{bound.status_label}; {', '.join(levels)}-level; cites {cites}" + (f"; {'; '.join(flags)}" if flags else ""))
    out.append("in W, U, L, T: " + " ; ".join(f"{SYMBOL[bound.direction]}({unicode_expr(c.canonical.replace('**', '^'))})"
                                           .replace("^", "^") for c in bound.candidates))
    out.append(scope_sentence(bound, res))
    if bound.conditions:
        out.append("holds when: " + ", ".join(bound.conditions))
    return out


def _cond_words(res) -> str:
    conds = (res.upper.conditions if res.upper else []) + (res.lower.conditions if res.lower else [])
    return f" (conditions: {', '.join(conds)})" if conds else ""


def derivation_text(res) -> list[str]:
    """Every route, winners first, each as a tree whose leaves cite a result or say 'by definition'."""
    lines = ["derivation:"]
    for title, cands, best in (("upper bounds", res.uppers, res.upper), ("lower bounds", res.lowers, res.lower)):
        if not cands:
            continue
        lines.append(f"  {title}:")
        winners = {id(c) for c in best.candidates} if best else set()
        ordered = sorted(cands, key=lambda c: id(c) not in winners)
        for c in ordered:
            mark = "best" if id(c) in winners else "lost"
            lines.append(f"  [{mark}] {SYMBOL[c.direction]}({unicode_expr(c.bound_expr)})  via {c.view.name}"
                         f"  ({c.status_label}{', UNVERIFIED step' if c.unsound else ''})")
            for s in c.steps:
                lines.extend(_step_lines(s, "      "))
    return lines


def _step_lines(step, indent) -> list[str]:
    where = f"{step.citation}, {step.locator}" if step.citation else step.locator
    flag = " [UNVERIFIED locator]" if step.unverified and step.citation else ""
    line = f"{indent}- {step.id}: {step.text}  ({where}; {step.verification}){flag}"
    out = [line]
    if step.detail:
        out.append(f"{indent}    with {step.detail}")
    for c in step.children:
        out.extend(_step_lines(c, indent + "    "))
    return out


def _cut(text: str, width: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[:width - 1] + "…"


def resolution_repr(res) -> str:
    """One line: ``<Resolution vc of 'input(d) -> ...': upper O(...), lower Ω(...)>``."""
    parts = []
    for direction, bound in (("upper", res.upper), ("lower", res.lower)):
        if bound is not None:
            parts.append(f"{direction} {_cut(f'{SYMBOL[direction]}({unicode_expr(bound.expr)})', 60)}")
    answer = ", ".join(parts) or "no result"
    if res.tight:
        answer += " (tight)"
    return f"<Resolution {res.measure} of {_cut(res.arch.text, 50)!r}: {answer}>"
