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


def significant(value, digits: int = 3) -> str:
    """A ratio as a decimal with ``digits`` significant figures (``0.00391``, ``0.0625``, ``16``);
    exact values stay in the JSON output."""
    x = float(value)
    if x == 0 or not (1e-6 <= abs(x) < 1e9):
        return f"{x:.{digits}g}"
    if x == int(x) and abs(x) < 10 ** digits:
        return str(int(x))
    text = f"{x:.{digits}g}"
    if "e" in text:
        from decimal import Decimal
        text = format(Decimal(text), "f")
    return text
