"""Scope and counting conventions in words, shared by every renderer.

In: a ``Bound`` and its ``Resolution``, or ``Quantities``. Out: sentences. An upper bound holds for every network of
the family; a lower bound of scope ``exists`` says some network of the family attains it and never
that the user's network does.
"""
from __future__ import annotations


def family_words(res, candidate=None) -> str:
    q = res.quantities
    topo = {
        "feedforward": "feed-forward network",
        "recurrent_standard": "recurrent network of standard form",
        "recurrent_stacked": "stacked recurrent network",
        "recurrent_gated": "gated recurrent network",
    }[q.topology]
    acts = sorted({str(a) for a in q.hidden_activations}) or ["linear"]
    req = candidate.result.requires.get("activation", "any") if candidate is not None else "any"
    act_words = f"{req.replace('_', '-')} activations" if req != "any" else f"{', '.join(acts)} activations"
    if candidate is not None and candidate.result.requires.get("activation", "any") == "any":
        act_words = "any activations"
    if candidate is not None and candidate.view.exists_family:
        act_words = candidate.view.exists_family      # a construction moved into this family by a lemma
    if candidate is not None:
        used = sorted(set(candidate.result.symbols.values()) - {"vc", "pdim", "m", "eps", "delta"})
        return f"some {topo} with {act_words}" + (f" and the same {', '.join(used)}" if used else "")
    return f"{topo} with {act_words}"


def _learners(candidates) -> list[tuple[str, str]]:
    """``(result id, learner)`` of the results behind a bound whose sample size one algorithm attains."""
    out = []
    for c in candidates:
        text = getattr(c.result, "learner", "")
        if text and (c.result.id, text) not in out:
            out.append((c.result.id, text))
        out += [t for t in _learners(c.inner) if t not in out]
    return out


def scope_sentence(bound, res) -> str:
    if bound.direction == "upper":
        learners = _learners(bound.candidates)
        tail = "".join(f"; by {rid}, the sample size is attained by {t}" for rid, t in learners)
        return "holds for every network meeting the theorem's hypotheses, including this one" + tail
    if bound.scope == "exists":
        lead = bound.candidates[0]
        while lead.inner and lead.result.requires.get("activation", "any") == "any":
            lead = lead.inner[0]      # a bridge: the family is that of the inner lower bound
        fam = family_words(res, lead)
        return (f"existence: {fam} attains this order; "
                "this is not a claim that the network above does")
    return "holds for every network of this family, including this one"


def convention_words(q) -> str:
    """The counting convention, with the layers that set their own (``convention=keras`` in the text):
    ``torch convention`` or ``torch convention; keras for lstm(5, convention=keras)``."""
    own: dict = {}
    for layer in q.arch.layers:
        conv = layer.option("convention")
        if conv is not None and conv != q.convention:
            own.setdefault(conv, []).append(layer.label())
    parts = [f"{q.convention} convention"]
    for conv, labels in own.items():
        shown = ", ".join(labels[:3]) + (f" and {len(labels) - 3} more" if len(labels) > 3 else "")
        parts.append(f"{conv} for {shown}")
    return "; ".join(parts)
