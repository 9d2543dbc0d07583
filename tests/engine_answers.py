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


def answer_signature(text: str, engine) -> dict:
    """What must not change between engines, as JSON-able data."""
    res = _resolve(text, engine)

    def side(b):
        if b is None:
            return None
        return {"expr": str(b.expr), "ids": sorted(c.result.id for c in b.candidates),
                "citations": list(b.citations), "scope": b.scope, "status": b.status}

    return {"upper": side(res.upper), "lower": side(res.lower), "tight": res.tight,
            "conflicts": [str(c) for c in res.conflicts], "misses": sorted(m.result.id for m in res.misses)}


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
