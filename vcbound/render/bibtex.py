"""BibTeX rendering (``vcbound bound|explain --format bibtex``).

In: ``Resolution`` objects. Out: the BibTeX entries (each source's ``bibtex`` string, as stored in
its theorem file) of exactly the keys that the LaTeX output of the same command cites, in order of
first citation. Definitions have no entry, and nothing else is added.
"""
from __future__ import annotations


def resolutions_bibtex(resolutions, explain: bool = False, standalone: bool = False, misses: bool = False) -> str:
    """The entries cited by ``resolutions_latex(resolutions, explain, misses=misses)``
    (``standalone`` changes nothing: a standalone document cites the same keys)."""
    from .latex import _render
    _text, citer = _render(resolutions, explain, misses)
    return citer.bibtex()
