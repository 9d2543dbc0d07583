"""The library API: the functions the CLI, the REPL and users' notebooks call.

In: architecture text (or an ``Architecture``), options. Out: ``Architecture``, ``Quantities``,
``Resolution`` objects. The shells (cli, repl) call only these and never hold logic of their own.

>>> import vcbound
>>> vcbound.count("input(7, seq=T) -> lstm(5)").params
280
"""
from __future__ import annotations

from .graph import Architecture, as_architecture


def parse(text_or_arch, filename: str = "<arch>") -> Architecture:
    """Parse architecture text (an ``Architecture`` is returned unchanged)."""
    return as_architecture(text_or_arch, filename)


def count(text_or_arch, convention: str = "torch"):
    """Exact symbolic counts (``Quantities``) of an architecture under a convention."""
    from .quantities import count as _count
    return _count(parse(text_or_arch), convention)
