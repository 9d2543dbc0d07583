"""Text and JSON of an ``Evaluation`` (``vcbound eval``): the numbers of cited bounds at a point.

In: an ``Evaluation`` (vcbound.evaluate). Out: a text report (one row per applicable result, its
value or why there is none, its citation and conditions) or a JSON-ready dict.
"""
from __future__ import annotations

import math

from ..evaluate import NO_CONSTANT, Evaluation, Number, Row, _axis_text, _measure_words, _to_number, format_number
from .pretty import ascii_expr, unicode_expr
from .words import convention_words


def _bindings_text(binds: dict, extra: dict | None = None) -> str:
    parts = [f"{k}={_axis_text(v)}" for k, v in binds.items()]
    parts += [f"{k}={_axis_text(v)}" for k, v in (extra or {}).items() if v is not None]
    return ", ".join(parts)


def _row_cite(row: Row) -> str:
    from ..resolver import user_file
    r = row.route.result
    mine = user_file(r)
    return f"{r.source.key}, {r.locator}" + (f" (user result, {mine})" if mine else "")


def evaluation_text(ev: Evaluation) -> str:
    from ..resolver import MEASURE_NAMES
    res = ev.resolution
    q = res.quantities
    sym = {"upper": "≤", "lower": "≥"}
    lines = [f"{MEASURE_NAMES[res.measure]} of  {res.arch.text.strip()}",
             f"  at {_bindings_text(ev.bindings, ev.extra) or '(no symbols)'}",
             f"  W = {format_number(_to_number(ev.params))} parameters ({convention_words(q)})", ""]
    for title, rows, best in (("upper bounds", ev.uppers, ev.best_upper), ("lower bounds", ev.lowers, ev.best_lower)):
        if not rows:
            lines.append(f"{title}: none applies")
            continue
        lines.append(f"{title}:")
        order = sorted(rows, key=lambda r: (not r.numeric, not r.route.best, r.id, r.route.view))
        width = max(len(r.route.key) for r in order)
        for r in order:
            head = f"  {r.route.key:<{width}}  "
            if r.numeric:
                text = f"{sym[r.route.direction]} {format_number(r.value)}"
                if ev.measure.startswith("sample") and not r.value.overflow:
                    text += f"  ({math.ceil(r.value.float):,} samples)"
            else:
                shape = unicode_expr(r.route.candidate.bound_expr)
                text = f"{'O' if r.route.direction == 'upper' else 'Ω'}({shape}): {r.reason}"
            flags = []
            if r.route.best:
                flags.append("best order")
            if r.route.unsound:
                flags.append("UNVERIFIED step (tied weights)")
            if r.route.scope == "exists" and r.route.direction == "lower":
                flags.append("existence")
            lines.append(head + text + (f"   [{'; '.join(flags)}]" if flags else ""))
            lines.append(" " * (width + 4) + f"{_row_cite(r)}" + (f"; via {r.route.view}" if r.route.view != "network"
                                                                   and not r.route.inner_measure else ""))
            if r.inner is not None:
                lines.append(" " * (width + 4) + f"with {_measure_words(r.route.inner_measure)} "
                             f"{sym[r.route.direction]} {format_number(r.inner.value)} by {r.inner.id} "
                             f"({r.inner.route.result.source.key})")
            for text, status in r.conditions:
                if status != "holds":
                    lines.append(" " * (width + 4) + f"condition {text}: {status}"
                                 + (" here: this bound does not apply at this point" if status == "fails" else ""))
        if best is not None:
            what = "smallest" if best.route.direction == "upper" else "largest"
            lines.append(f"  {what} applicable value here: {format_number(best.value)} ({best.id}; "
                         f"cites {', '.join(best.citations)})")
        elif any(r.numeric for r in rows):
            lines.append("  no explicit bound applies at this point without a failing condition or an UNVERIFIED step")
        lines.append("")
    if ev.lowers and any(r.route.scope == "exists" for r in ev.lowers):
        lines.append("note: lower bounds marked 'existence' say that some network of the family reaches the value; "
                     "they are not a claim about this network.")
    if any(not r.numeric and r.route.reason == NO_CONSTANT for r in ev.uppers + ev.lowers):
        lines.append(f"note: '{NO_CONSTANT}': the source states that result only up to constant factors, so "
                     "vcbound gives its order and no number.")
    return "\n".join(lines).rstrip()


def _number_json(num: Number | None) -> dict:
    if num is None:
        return {"value": None, "value_text": None, "log10": None, "overflow": False, "underflow": False}
    return {
        "value": None if num.float is None or num.overflow or num.underflow else num.float,
        "value_text": None if num.exact is None else _sci(num),
        "log10": num.log10,
        "overflow": num.overflow,
        "underflow": num.underflow,
    }


def _sci(num: Number) -> str:
    import mpmath
    return mpmath.nstr(num.exact._to_mpmath(200), 17)


def evaluation_json(ev: Evaluation) -> dict:
    res = ev.resolution

    def row_json(r: Row) -> dict:
        out = {
            "result": r.id, "view": r.route.view, "direction": r.route.direction,
            "form": r.route.result.form, "citations": r.citations,
            "source": r.route.result.source.key, "locator": r.route.result.locator,
            "order": ascii_expr(r.route.candidate.bound_expr), "best_order": r.route.best,
            "scope": r.route.scope, "unverified_applicability": r.route.unsound,
            "reason": None if r.numeric else r.reason,
            "conditions": [{"condition": t, "status": s} for t, s in r.conditions],
            "applies": r.applies,
        }
        out.update(_number_json(r.value if r.numeric else None))
        if r.inner is not None:
            out["inner"] = {"measure": r.route.inner_measure, "result": r.inner.id,
                            **_number_json(r.inner.value)}
        return out

    best_u, best_l = ev.best_upper, ev.best_lower
    return {
        "measure": res.measure,
        "architecture": res.arch.text.strip(),
        "convention": res.quantities.convention,
        "at": {k: str(v) for k, v in ev.bindings.items()},
        **{k: str(v) for k, v in ev.extra.items() if v is not None},
        "params": int(ev.params) if getattr(ev.params, "is_integer", False) or isinstance(ev.params, int)
        else str(ev.params),
        "upper": [row_json(r) for r in ev.uppers],
        "lower": [row_json(r) for r in ev.lowers],
        "best_upper": None if best_u is None else {"result": best_u.id, "citations": best_u.citations,
                                                   **_number_json(best_u.value)},
        "best_lower": None if best_l is None else {"result": best_l.id, "citations": best_l.citations,
                                                   **_number_json(best_l.value)},
    }


def evaluation_repr(ev) -> str:
    text = " ".join(ev.resolution.arch.text.split())
    text = text if len(text) <= 50 else text[:49] + "…"
    at = ", ".join(f"{k}={v}" for k, v in ev.bindings.items())
    return (f"<Evaluation {ev.resolution.measure} of {text!r} at {at}: "
            f"{len(ev.uppers)} upper, {len(ev.lowers)} lower>")
