"""The library API: the functions the CLI, the REPL and users' notebooks call.

In: architecture text (or an ``Architecture``), options. Out: ``Architecture``, ``Quantities``,
``Resolution`` objects. The shells (cli, repl) call only these and never hold logic of their own.

>>> import vcbound
>>> vcbound.count("input(7, seq=T) -> lstm(5)").params
280
"""
from __future__ import annotations

from .errors import EvaluationError, UsageError
from .graph import Architecture, parse as _parse_text


def parse(text_or_arch, filename: str = "<arch>") -> Architecture:
    """Parse architecture text (an ``Architecture`` is returned unchanged)."""
    if isinstance(text_or_arch, Architecture):
        return text_or_arch
    return _parse_text(text_or_arch, filename)


def count(text_or_arch, convention: str = "torch"):
    """Exact symbolic counts (``Quantities``) of an architecture under a convention."""
    from .quantities import count as _count
    return _count(parse(text_or_arch), convention)


def substitute(value, bindings: dict, what: str = "value"):
    """Substitute numeric ``bindings`` ({name: number}) into a sympy value.

    Returns a Python int when the result is an integer, a sympy number or expression otherwise.
    """
    if value is None or not bindings:
        return value
    import sympy as sp
    if not isinstance(value, sp.Basic):
        return value
    subs = {s: bindings[s.name] for s in value.free_symbols if s.name in bindings}
    result = value.xreplace(subs) if subs else value
    if not result.free_symbols:
        result = sp.nsimplify(result) if result.is_Float else result
        if result.is_Integer:
            return int(result)
    return result


def check_bindings(bindings: dict, known: dict, text: str | None = None) -> None:
    """Refuse ``--at`` names that are not symbols of the architecture, and non-positive values.

    With the ``--at`` ``text`` the error points at the name (``--at:1:7``) with a caret.
    """
    import re
    from .errors import ExpressionError, did_you_mean
    for name, value in bindings.items():
        problem = None
        if name not in known:
            problem = (f"'{name}' is not a symbol of this architecture "
                       f"{did_you_mean(name, known, 'symbol') if known else '(it has none)'}")
        elif value <= 0:
            problem = f"{name} must be positive, got {value}"
        if problem is None:
            continue
        at = re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}\s*=", text) if text else None
        if at is not None:
            raise ExpressionError(problem, text, 1, at.start() + 1, len(name), "--at")
        raise (UsageError if name not in known else EvaluationError)(f"--at: {problem}")
