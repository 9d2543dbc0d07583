"""Expression printing shared by the text and Markdown renderers.

In: sympy expressions. Out: compact Unicode (``T²·n⁸ + T²·d⁴·n⁴``) or ASCII (``T^2*n^8 + ...``).
"""
from __future__ import annotations

import re

_SUP = str.maketrans("0123456789-/", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻ᐟ")


def ascii_expr(expr) -> str:
    """sympy's str with ``^`` for powers (what JSON and the REPL print)."""
    return str(expr).replace("**", "^")


def unicode_expr(expr) -> str:
    """Powers as superscripts and products as middle dots; leaves function calls readable."""
    s = str(expr)
    s = re.sub(r"\*\*\((\d+)/(\d+)\)", lambda m: (m.group(1) + "/" + m.group(2)).translate(_SUP), s)
    s = re.sub(r"\*\*(\d+)", lambda m: m.group(1).translate(_SUP), s)
    s = re.sub(r"\*\*\((-?\d+)\)", lambda m: m.group(1).translate(_SUP), s)
    s = s.replace("**", "^").replace("*", "·")
    s = s.replace("Min(", "min(").replace("Max(", "max(")
    return s
