"""Where vcbound's data lives.

In: nothing (and the environment). Out: the directories holding the ``.lark`` grammars, the built-in
theorem files and the JSON Schemas of the ``--json`` outputs; the user's cache and data directories.

``grammar/``, ``theorems/`` and ``schema/`` sit at the top of the source repository; the wheel carries
them as ``vcbound/_data/grammar``, ``vcbound/_data/theorems`` and ``vcbound/_data/schema``
(hatchling force-include, see pyproject.toml). This module is the one place that knows both layouts.
"""
from __future__ import annotations

import os
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


def user_dir(variable: str, fallback: str) -> Path | None:
    """An XDG base directory: ``$variable`` when it is absolute (the XDG rule: relative values are
    ignored), else ``$HOME/fallback``; None when HOME is unset, empty, relative or ``/``, so that
    nothing is written to ``/.cache`` or into the working directory.

    >>> user_dir("XDG_CACHE_HOME", ".cache")  # doctest: +SKIP
    PosixPath('/home/me/.cache')
    """
    base = os.environ.get(variable, "")
    if os.path.isabs(base):
        return Path(base)
    home = os.environ["HOME"] if "HOME" in os.environ else os.path.expanduser("~")
    if not home or not os.path.isabs(home) or home == os.sep:
        return None
    return Path(home) / fallback
