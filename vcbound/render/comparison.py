"""Text and JSON of a ``Comparison`` (``vcbound compare``) and text of a growth report (``vcbound growth``).

In: a ``Comparison`` or the dict of ``growth_report`` (vcbound.comparison). Out: the text report
(each side's verdict, bounds, ratio and citations) or a JSON-ready dict.
"""
from __future__ import annotations

from ..comparison import WORDS, Comparison, Side, route_kind_note, route_names
from .pretty import ascii_expr, significant, unicode_expr


def _bound_line(bound) -> str:
    if bound is None:
        return "none"
    sym = "O" if bound.direction == "upper" else "Ω"
    return (f"{sym}({unicode_expr(bound.expr)})  via {', '.join(route_names(bound))}"
            f"  [{', '.join(bound.citations) or 'by definition'}]")


def _constant_text(side: Side) -> str:
    if side.constant is None:
        return ""
    lo, hi = side.constant
    what = ("published constants" if side.constant_kind == "explicit"
            else "same results, so their unspecified constant cancels")
    if lo == hi:
        return f"exact bounds: A/B -> {significant(lo)} ({what})"
    at_lo, at_hi = side.constant_ends or (None, None)
    where = (lambda m: f" (where {unicode_expr(m)} dominates)" if m is not None else "")
    return (f"exact bounds: A/B between {significant(lo)}{where(at_lo)} and {significant(hi)}{where(at_hi)}, "
            f"by dominant term ({what})")


def comparison_text(cmp: Comparison) -> str:
    from ..resolver import MEASURE_NAMES
    lines = [f"compare {MEASURE_NAMES[cmp.measure]}",
             f"  A: {cmp.a_text}",
             f"  B: {cmp.b_text}",
             f"  regime: {cmp.regime.describe()}", ""]
    for side in (cmp.upper, cmp.lower):
        label = side.direction
        lines.append(f"{label:<6} {_verdict(side)}")
        lines.append(f"       A: {_bound_line(side.a)}")
        lines.append(f"       B: {_bound_line(side.b)}")
        if side.ratio is not None:
            lines.append(f"       ratio A/B = Θ({unicode_expr(side.ratio)})")
        ct = _constant_text(side)
        if ct:
            lines.append(f"       {ct}")
        lines.append(f"       {side.reason}")
        kind_note = route_kind_note(side)
        if kind_note:
            lines.append(f"       {kind_note}")
        if side.direction == "lower" and side.a is not None and side.b is not None and \
                (side.a.scope == "exists" or side.b.scope == "exists"):
            lines.append("       (lower bounds are existence statements about each family, not about these two networks)")
        lines.append("")
    lines.append("note: this compares the published bounds, not the networks' VC dimensions: a larger upper "
                 "bound is a weaker guarantee, not a proof of larger capacity.")
    return "\n".join(lines)


def _verdict(side: Side) -> str:
    if side.larger is None:
        return "no comparison"
    if side.larger in ("A", "B"):
        return f"{side.larger}'s {WORDS[side.direction]} is larger (grows faster)"
    return side.larger


def comparison_json(cmp: Comparison) -> dict:
    def bound_json(bound):
        if bound is None:
            return None
        return {"bound": ascii_expr(bound.expr), "bound_unicode": unicode_expr(bound.expr),
                "results": [c.result.id for c in bound.candidates], "routes": route_names(bound),
                "citations": bound.citations, "scope": bound.scope, "status": bound.status}

    def side_json(side: Side):
        return {
            "relation": side.relation, "larger": side.larger, "reason": side.reason,
            "ratio": None if side.ratio is None else ascii_expr(side.ratio),
            "ratio_constant": None if side.constant is None else
            {"low": str(side.constant[0]), "high": str(side.constant[1]), "kind": side.constant_kind,
             "low_where_dominant": None if not side.constant_ends else str(side.constant_ends[0]),
             "high_where_dominant": None if not side.constant_ends else str(side.constant_ends[1])},
            "faster": [{"symbols": list(s), "who": who, "rate_a": [str(x) for x in ra], "rate_b": [str(x) for x in rb]}
                       for s, who, ra, rb in side.witnesses],
            "a": bound_json(side.a), "b": bound_json(side.b), "route_note": route_kind_note(side) or None,
        }
    return {"measure": cmp.measure, "regime": cmp.regime.describe(), "a": cmp.a_text, "b": cmp.b_text,
            "upper": side_json(cmp.upper), "lower": side_json(cmp.lower)}


def _opaque_words(part) -> str:
    if not part.get("opaque"):
        return ""
    return " (plus terms not reduced to powers and logs, whose exponents are not shown)"


def growth_text(report: dict) -> str:
    from ..resolver import MEASURE_NAMES
    lines = [f"growth of the {MEASURE_NAMES[report['measure']]} bounds of  {report['architecture']}",
             f"  regime: {report['regime']}"]
    if report["at"]:
        lines.append("  at " + ", ".join(f"{k}={v}" for k, v in report["at"].items()))
    lines.append("")
    for direction, sym in (("upper", "O"), ("lower", "Ω")):
        part = report[direction]
        if part is None:
            lines.append(f"{direction:<6} none: no {direction} bound in the base applies")
            continue
        lines.append(f"{direction:<6} {sym}({part.get('bound_unicode', part['bound'])})")
        lines.append(f"       ∝ {part['monomial']}{_opaque_words(part)}   (per symbol, the others fixed; "
                     f"cites {', '.join(part['citations'])})")
        for r in part["routes"]:
            lines.append(f"       - {r['result']} ({r['view']}, {r['form']}): ∝ {r['monomial']}{_opaque_words(r)}")
            el = r.get("elasticity")
            if el:
                lines.append("         elasticity d log f/d log x: "
                             + ", ".join(f"{k} {v:.4g}" if v is not None else f"{k} —" for k, v in el.items())
                             + f"  ({r['elasticity_note']})")
            elif "elasticity" in r:
                lines.append(f"         elasticity: {r['elasticity_note']}")
    lines.append("")
    lines.extend("note: " + n for n in report["notes"])
    return "\n".join(lines)
