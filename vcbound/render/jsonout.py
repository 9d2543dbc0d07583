"""JSON rendering of ``Resolution`` objects (``vcbound bound --json``), per ``schema/bound.schema.json``.

In: a ``Resolution``. Out: a JSON-ready dict: measure, quantities (strings), upper/lower (bound in
user symbols, canonical form in W/U/L/T, status, scope, citations, derivation tree), tight, notes.
"""
from __future__ import annotations

from .pretty import ascii_expr


def _bound_json(bound, res):
    if bound is None:
        return None
    from .words import scope_sentence
    return {
        "bound": ascii_expr(bound.expr),
        "canonical": bound.canonical.replace("**", "^"),
        "status": bound.status,
        "user_files": bound.user_files,
        "scope": bound.scope,
        "scope_words": scope_sentence(bound, res),
        "citations": bound.citations,
        "conditions": bound.conditions,
        "unverified_locator": bound.unverified,
        "unverified_applicability": bound.unsound,
        "results": [c.result.id for c in bound.candidates],
        "derivation": [
            {"route": c.view.name, "status": c.status, "user_files": c.user_files, "bound": ascii_expr(c.bound_expr),
             "steps": [s.to_dict() for s in c.steps]}
            for c in bound.candidates
        ],
    }


def resolution_json(res) -> dict:
    q = res.quantities
    s = lambda v: None if v is None else ascii_expr(v)   # noqa: E731
    return {
        "measure": res.measure,
        "architecture": res.arch.text.strip(),
        "convention": q.convention,
        "regime": res.regime.describe(),
        "quantities": {"W": s(q.params), "U": s(q.units), "M": s(q.mults), "L": s(q.depth),
                       "T": s(q.seq_len), "D": s(q.input_dim)},
        "topology": q.topology,
        "upper": _bound_json(res.upper, res),
        "lower": _bound_json(res.lower, res),
        "tight": bool(res.tight),
        "growth": {
            "upper": {k: {"power": str(g.power), "log_power": str(g.log_power)} for k, g in res.growth_upper.items()},
            "lower": {k: {"power": str(g.power), "log_power": str(g.log_power)} for k, g in res.growth_lower.items()},
        },
        "no_result": res.no_result,
        "nearest_misses": [{"result": m.result.id, "reasons": m.reasons} for m in res.misses],
        "conflicts": [str(c) for c in res.conflicts],
        "notes": res.notes,
    }
