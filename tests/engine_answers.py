"""What must not change between the asymptotic engines, for one architecture (shared by
tests/test_engine_equivalence.py and scripts/engine_oracle.py)."""
from __future__ import annotations

import vcbound
from vcbound import resolver


def _resolve(text: str, engine):
    """Resolve ``text`` with ``engine`` as the resolver's asymptotics (nothing memoised across)."""
    saved = resolver.asy
    resolver.asy = engine
    resolver._RESOLUTIONS.clear()
    resolver._canonical_text_cached.cache_clear()
    try:
        return vcbound.bound(text)
    finally:
        resolver.asy = saved
        resolver._RESOLUTIONS.clear()
        resolver._canonical_text_cached.cache_clear()


def answer_signature(text: str, engine, normal: bool = False) -> dict:
    """What must not change between engines, as JSON-able data. ``normal``: each bound also
    carries its expression multiplied out everywhere, inside logs too (``normal_form``)."""
    res = _resolve(text, engine)

    def side(b):
        if b is None:
            return None
        out = {"expr": str(b.expr), "ids": sorted(c.result.id for c in b.candidates),
               "citations": list(b.citations), "scope": b.scope, "status": b.status}
        if normal:
            out["normal"] = normal_form(b.expr)
            args = b.form.args if b.form.kind in ("min", "max") else (b.form,)
            out["parts"] = [{"normal": normal_form(a.expr()), "opaque": bool(a.opaque_keys())} for a in args]
        return out

    return {"upper": side(res.upper), "lower": side(res.lower), "tight": res.tight,
            "conflicts": [str(c) for c in res.conflicts], "misses": sorted(m.result.id for m in res.misses)}


def normal_form(expr) -> str:
    """``expr`` multiplied out everywhere, the arguments of logs included.

    The one explained difference between the engines: the reference engine multiplied a bound out
    inside the arguments of its logs as well; the fast engine leaves a log's argument as it is until
    it reduces that log. Where a bound keeps an irreducible (opaque) factor, the two print the same
    expression in two forms (``log(16*2**(x + 3)*E*(x + 4))`` against ``log(128*2**x*E*x + 512*2**x*E)``);
    multiplied out everywhere they are the same text."""
    import sympy as sp
    return str(sp.expand(expr, deep=True, log=False, power_exp=False, power_base=False))


def same_answer(new: dict, old: dict, text: str, engine) -> bool:
    """``new`` (the fast engine's signature, without normal forms) answers like ``old`` (the
    reference's, with them): equal, or equal but for the two explained differences, for which
    ``text`` is resolved again with ``engine`` to compare normal forms:

    1. the same bound printed in another form (``normal_form``: log arguments left unexpanded);
    2. a min (or max) of bounds from which the fast engine dropped arguments that the reference
       kept only because it could not reduce them (an opaque explicit bound whose log arguments it
       had multiplied out): the fast engine's arguments are among the reference's, every dropped one
       was opaque there, and the results behind the bound are among the reference's.
    With difference 2 the Θ verdict may go from "not proved" to "tight" (the dropped argument was
    all that kept the bounds apart), never the other way. Everything else (conflicts, misses, scope,
    status) must be equal."""
    if _strip(new, ("normal", "parts")) == _strip(old, ("normal", "parts")):
        return True
    fresh = answer_signature(text, engine, normal=True)
    if any(fresh[k] != old[k] for k in ("conflicts", "misses")):
        return False
    kinds = [_same_bound(fresh[k], old[k]) for k in ("upper", "lower")]
    if None in kinds:
        return False
    return verdict_explained(fresh["tight"], old["tight"], kinds)


def verdict_explained(new_tight: bool, old_tight: bool, kinds) -> bool:
    """The same Θ verdict, or "tight" where the reference proved nothing and an opaque argument
    was dropped from one of the bounds (``_same_bound`` kinds)."""
    if new_tight == old_tight:
        return True
    return new_tight and not old_tight and "dropped" in kinds


def _strip(sig: dict, keys) -> dict:
    return {k: ({kk: vv for kk, vv in v.items() if kk not in keys} if isinstance(v, dict) else v)
            for k, v in sig.items()}


def _same_bound(new, old):
    """How bound ``new`` matches ``old``: "same" (or both absent), "form" (difference 1),
    "dropped" (difference 2), or None (it does not)."""
    if new is None or old is None:
        return "same" if new is old else None
    if any(new[k] != old[k] for k in ("scope", "status")):
        return None
    if new["ids"] == old["ids"] and new["citations"] == old["citations"]:
        if new["expr"] == old["expr"]:
            return "same"
        if new["normal"] == old["normal"]:
            return "form"                                               # difference 1
    old_parts = {p["normal"]: p["opaque"] for p in old["parts"]}
    new_parts = [p["normal"] for p in new["parts"]]
    dropped = set(old_parts) - set(new_parts)
    if (dropped and all(p in old_parts for p in new_parts) and all(old_parts[p] for p in dropped)
            and set(new["ids"]) <= set(old["ids"]) and set(new["citations"]) <= set(old["citations"])):
        return "dropped"                                                # difference 2
    return None


# what the stored answers depend on besides the engine under test: the stages before and after it,
# the reference engine, the theorem base and the grammars
_INPUTS = ("vcbound/graph.py", "vcbound/quantities.py", "vcbound/expressions.py", "vcbound/classes.py",
           "vcbound/theorems.py", "vcbound/resolver.py", "vcbound/asymptotics_reference.py")


def pipeline_fingerprint() -> str:
    """A hash of everything the reference engine's stored answers depend on (not of
    vcbound/asymptotics.py, the engine under test): when it differs from the stored one, another
    change (a theorem, a resolver rule) moved the answers and the stored ones are stale."""
    import hashlib
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    files = [root / p for p in _INPUTS] + sorted((root / "theorems").rglob("*.toml")) \
        + sorted((root / "grammar").glob("*.lark"))
    h = hashlib.sha256()
    for f in files:
        h.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()
