"""Where vcbound's data lives.

In: nothing. Out: the directories holding the ``.lark`` grammars and the built-in theorem files.

``grammar/`` and ``theorems/`` sit at the top of the source repository; the wheel carries them as
``vcbound/_data/grammar`` and ``vcbound/_data/theorems`` (hatchling force-include, see
pyproject.toml). This module is the one place that knows both layouts.
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
