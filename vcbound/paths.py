"""Where vcbound's data lives.

In: nothing. Out: the directories holding the ``.lark`` grammars, the built-in theorem files and the
JSON Schemas of the ``--json`` outputs.

``grammar/``, ``theorems/`` and ``schema/`` sit at the top of the source repository; the wheel carries
them as ``vcbound/_data/grammar``, ``vcbound/_data/theorems`` and ``vcbound/_data/schema``
(hatchling force-include, see pyproject.toml). This module is the one place that knows both layouts.
"""
from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _first_existing(name: str) -> Path:
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"vcbound data directory '{name}' not found next to {_PACKAGE}")


@cache
def grammar_dir() -> Path:
    """Directory with ``arch.lark`` and ``expr.lark``."""
    return _first_existing("grammar")


@cache
def theorems_dir() -> Path:
    """Directory with the built-in ``<bibkey>.toml`` theorem files."""
    return _first_existing("theorems")


@cache
def schema_dir() -> Path:
    """Directory with ``params.schema.json`` and ``bound.schema.json`` (JSON Schema 2020-12)."""
    return _first_existing("schema")
