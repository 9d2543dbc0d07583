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
