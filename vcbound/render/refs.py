"""Citations shared by the LaTeX, BibTeX and Markdown renderers.

In: ``Resolution`` objects. Out: the ``Source`` record behind each BibTeX key a derivation cites, a
``Citer`` that writes natbib commands and records every key it wrote (so ``--format bibtex`` lists
exactly the keys the LaTeX output cites), and the status flags of a bound in words.

A key is citable when its source has a BibTeX entry. Definitions (``verification = "definition"``)
have none: steps through them say "by definition" and cite nothing.
"""
from __future__ import annotations


def _walk_candidates(cands, seen):
    for c in cands:
        if id(c) in seen:
            continue
        seen.add(id(c))
        yield c
        yield from _walk_candidates(getattr(c, "inner", ()) or (), seen)


def sources_for(resolutions) -> dict:
    """BibTeX key -> ``Source`` for every source reachable from the resolutions.

    Results carry their ``Source``; lemma steps carry only a key, so keys not found on a result
    are looked up in the theorem base (``load_theorems()``, built-in and ``$VCBOUND_THEOREMS``).
    """
    out: dict = {}
    seen: set = set()
    wanted: set = set()
    for res in resolutions:
        for c in _walk_candidates(list(res.uppers) + list(res.lowers), seen):
            out.setdefault(c.result.source.key, c.result.source)
            for s in c.steps:
                _step_keys(s, wanted)
        for m in res.misses:
            out.setdefault(m.result.source.key, m.result.source)
    missing = wanted - set(out)
    if missing:
        try:
            from ..theorems import load_theorems
            base = load_theorems()
        except Exception:   # noqa: BLE001 - a broken base only costs the entry, never the output
            base = None
        if base is not None:
            for key in missing:
                if key in base.sources:
                    out[key] = base.sources[key]
    return out


def _step_keys(step, out: set):
    if step.citation:
        out.add(step.citation)
    for c in step.children:
        _step_keys(c, out)


class Citer:
    """Writes citation commands and remembers, in order, every key it cited.

    ``textual`` gives ``\\citet`` ("Koiran and Sontag (1998, Theorem 5)"), otherwise ``\\citep``.
    Keys without a BibTeX entry, or whose entry is not LaTeX-safe, are never written as citations.
    """

    def __init__(self, sources: dict):
        self.sources = sources
        self.keys: list[str] = []
        self._safe: dict[str, bool] = {}

    def citable(self, key) -> bool:
        """A key is cited only when its source has a BibTeX entry that is LaTeX-safe data (the
        validator refuses other files; this also covers a ``Source`` built without it)."""
        src = self.sources.get(key) if key else None
        if src is None or not src.bibtex.strip():
            return False
        if key not in self._safe:
            from ..texsafety import bibtex_key_problems
            from ..theorems import bibtex_latex_problems
            self._safe[key] = not bibtex_key_problems(key) and not bibtex_latex_problems(src.bibtex)
        return self._safe[key]

    def _note(self, key):
        if key not in self.keys:
            self.keys.append(key)

    def cite(self, keys, textual: bool = False, locator: str | None = None) -> str:
        """``\\citet[locator]{k}`` / ``\\citep{k1,k2}``; "" when no key is citable."""
        from .latex import latex_escape
        if isinstance(keys, str):
            keys = [keys]
        keys = [k for k in keys if self.citable(k)]
        if not keys:
            return ""
        for k in keys:
            self._note(k)
        opt = f"[{_optional_argument(locator)}]" if locator else ""
        return f"\\cite{'t' if textual else 'p'}{opt}{{{','.join(keys)}}}"

    def bibtex(self) -> str:
        """The BibTeX entries of every key cited so far, in citation order."""
        return "\n\n".join(self.sources[k].bibtex.strip() for k in self.keys)


def _optional_argument(text: str) -> str:
    """Escaped text for ``\\citep[...]``: each bracket in its own group, so that no ``]`` ends the
    argument early (one pair of braces around all of it would not do: natbib reads the argument
    again, and TeX strips a group that is a whole argument each time)."""
    from .latex import latex_escape
    return latex_escape(text).replace("[", "{[}").replace("]", "{]}")


def arch_line(arch) -> str:
    """The architecture text as one line, comments dropped (for headings)."""
    return " ".join(" ".join(line.split("#", 1)[0] for line in arch.text.split("\n")).split())


def bound_flags(bound) -> list[str]:
    """What a reader must know about how firm a bound is (verification, UNVERIFIED steps)."""
    levels = sorted({c.verification for c in bound.candidates})
    flags = [bound.status_label, "/".join(levels) + "-level"]
    if bound.unverified:
        flags.append("contains UNVERIFIED locators")
    if bound.unsound:
        flags.append("a step's applicability is UNVERIFIED")
    return flags


def locator_for(step) -> str | None:
    """The locator to print inside a citation, or None when it was not checked (UNVERIFIED)."""
    loc = (step.locator or "").strip()
    if not loc or loc.startswith("UNVERIFIED") or loc == "by definition":
        return None
    return loc
