"""Stage 1b: expression text -> sympy, through ``grammar/expr.lark`` (never sympify/eval).

In: the text of a size (``4*n``, ``d+1``), a theorem bound (``w^4 * k^2``, ``min(a, b)``), a
condition (``T >> n``) or a numeric binding (``n=64``). Out: sympy expressions over *positive*
symbols, or ``Condition`` records.

Limits keep hostile input cheap: nesting depth, the digits of every exact number built from
literals, numerator and denominator alike, judged *before* a power is computed (``10^10^10`` and
``(1/3)^(10^9)`` are refused, not computed), the number of min/max arguments, and the length of
the text (refused before parsing).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

from lark import Lark, Transformer, Token, v_args
from lark.exceptions import UnexpectedInput, VisitError

from .errors import EvaluationError, ExpressionError, UsageError, did_you_mean
from .paths import grammar_dir

# Beyond these, input is refused with a clear message instead of taking time or memory.
MAX_NESTING = 200          # parentheses / operator nesting
MAX_DIGITS = 400           # digits of the numerator and of the denominator of any exact number
MAX_EXPONENT = 10_000      # a numeric exponent on a symbolic base
MAX_TEXT = 2_000_000       # characters of one architecture
MAX_EXPRESSION = 10_000    # characters of one expression (a theorem bound, an --at value, a REPL line)
MAX_MINMAX = 16            # arguments of all min()/max() in one expression: sympy compares them pairwise

FUNCTIONS = ("log", "ln", "log2", "sqrt", "exp", "min", "max", "ceil", "floor")
CONSTANTS = ("e", "pi")
RELATIONS = {">>": ">>", "<<": "<<", ">=": ">=", "<=": "<=", "==": "=", "=": "=", ">": ">", "<": "<"}


@dataclass(frozen=True)
class Condition:
    """``lhs rel rhs`` with rel one of ``> >= < <= = >> <<`` (``>>``: asymptotically dominates)."""

    lhs: object
    rel: str
    rhs: object
    text: str

    def __str__(self) -> str:
        return self.text


@cache
def _sympy():
    import sympy
    return sympy


@cache
def make_symbol(name: str, integer: bool = False):
    """The one way vcbound makes a symbol: positive (sizes tend to +oo), optionally integer."""
    sp = _sympy()
    symbol = sp.Symbol(name, positive=True, integer=True) if integer else sp.Symbol(name, positive=True)
    # sympy keeps each symbol's deduced assumptions as a new tuple of ~30 pairs, which the cyclic
    # collector then traverses (a fifth of a second after parsing 10,000 symbolic widths); symbols
    # made here share one equal tuple per kind, and the new one is freed at once
    mine = getattr(symbol, "_assumptions0", None)
    if isinstance(mine, tuple):
        shared = _SHARED_ASSUMPTIONS.setdefault(integer, mine)
        if mine is not shared and mine == shared:
            symbol._assumptions0 = shared
    return symbol


_SHARED_ASSUMPTIONS: dict = {}


def check_nesting(text: str, filename: str = "<expr>") -> None:
    """Refuse text nested deeper than MAX_NESTING before the (recursive) tree transform sees it."""
    depth = 0
    line, col = 1, 0
    in_comment = False
    for ch in text:
        col += 1
        if ch == "\n":
            line, col = line + 1, 0
            in_comment = False
        elif in_comment:
            continue
        elif ch == "#":
            in_comment = True      # architecture comments: parentheses there are prose
        elif ch == "(":
            depth += 1
            if depth > MAX_NESTING:
                raise ExpressionError(f"parentheses nested more than {MAX_NESTING} deep",
                                      text, line, col, 1, filename)
        elif ch == ")":
            depth = max(0, depth - 1)


def expanded_size(expr, cap: int = 10**6) -> int:
    """An upper bound on the number of terms of ``sympy.expand(expr)`` (capped), without expanding:
    ``(n + d)^1000`` has 1001 terms and costs seconds to multiply out."""
    sp = _sympy()
    if isinstance(expr, sp.Add):
        return min(cap, sum(expanded_size(a, cap) for a in expr.args))
    if isinstance(expr, sp.Mul):
        n = 1
        for a in expr.args:
            n = min(cap, n * expanded_size(a, cap))
        return n
    if isinstance(expr, sp.Pow) and expr.args[1].is_Integer and expr.args[1] > 1:
        t = expanded_size(expr.args[0], cap)
        if t == 1:
            return 1
        if expr.args[1] >= cap:
            return cap
        return min(cap, math.comb(t + int(expr.args[1]) - 1, int(expr.args[1])))
    return 1


def integer_log10(i: int) -> float:
    """log10 of |i| for an int of any size (``float(i)`` overflows past 10^308); 0 for 0."""
    i = abs(int(i))
    if i == 0:
        return 0.0
    shift = max(0, i.bit_length() - 64)      # keep 64 significant bits; the rest is a power of two
    return math.log10(i >> shift) + shift * math.log10(2)


def integer_digits(i: int) -> int:
    """The number of decimal digits of |i| (from its logarithm past 4000 bits, where Python refuses
    to print an int; such ints are only ever compared with limits far smaller)."""
    i = abs(int(i))
    return len(str(i)) if i.bit_length() <= 4000 else int(integer_log10(i)) + 1


def fraction_digits(value) -> int:
    """The digits of the larger of the numerator and the denominator of a sympy Rational."""
    return max(integer_digits(value.p), integer_digits(value.q))


def _log10_magnitude(number) -> float:
    """log10 of |number| for a sympy number, without overflowing floats (inf when not finite)."""
    sp = _sympy()
    if number.is_Rational:
        return integer_log10(number.p) - integer_log10(number.q) if number != 0 else -math.inf
    try:
        value = sp.Abs(number).evalf(15)
        if value.is_zero:
            return -math.inf
        return float(sp.log(value, 10).evalf(15))
    except (TypeError, ValueError, OverflowError, ArithmeticError):
        return math.inf


def power_digits(base, exponent) -> float:
    """An upper estimate of the digits sympy would build for ``base^exponent`` with a numeric
    exponent, computed without building it: |exponent| times the digits of the largest exact
    fraction in ``base`` (``(1/3)^(10^9)``, ``(2*n)^9999``, ``(1.0000001)^(10^7)``), or, for an
    irrational numeric base (``sqrt(2)``, ``e``), times the size of its value."""
    sp = _sympy()
    if base.is_number and (base == 0 or base == 1 or base == -1):
        return 0.0
    x = _log10_magnitude(exponent)
    if x == -math.inf:
        return 0.0
    fractions = [max(integer_log10(r.p), integer_log10(r.q)) for r in base.atoms(sp.Rational)
                 if r not in (1, -1)]
    per_unit = max(fractions, default=0.0)
    if base.is_number and not base.is_Rational:
        per_unit = max(per_unit, abs(_log10_magnitude(base)))
    if per_unit == 0:
        return 0.0
    return math.inf if x > 300 else 10 ** x * per_unit


def _shown(text: str) -> str:
    """A long literal as quoted in a message."""
    return text if len(text) <= 40 else text[:18] + "..." + text[-18:]


def to_sympy(value, what: str = "value"):
    """A sympy object from a value vcbound holds (sympy, int, Fraction, float) or from text, which
    goes through vcbound's own grammar: the safe replacement for ``sympify`` (which runs ``eval``)."""
    sp = _sympy()
    if isinstance(value, sp.Basic):
        return value
    if isinstance(value, bool):
        raise ExpressionError(f"{what}: expected a number, got {value!r}", "", 0, 0, 1, what)
    if isinstance(value, int):
        return sp.Integer(value)
    if isinstance(value, float):
        return sp.Float(value)
    if hasattr(value, "numerator") and hasattr(value, "denominator"):
        return sp.Rational(int(value.numerator), int(value.denominator))
    if isinstance(value, str):
        return parse_expression(value, what)
    if hasattr(value, "item"):                      # a numpy scalar
        return to_sympy(value.item(), what)
    raise ExpressionError(f"{what}: expected a number or an expression, got {type(value).__name__}",
                          "", 0, 0, 1, what)


def bounded_power(base, exponent):
    """``base ** exponent`` for values vcbound computes itself (not parsed text): exact when its
    exact form stays within MAX_DIGITS digits, otherwise a 30-digit float (any exponent). A
    Lipschitz constant 1/4 to the power of a repeat count 10^100 never finished; sympy turns
    ``exp(n*log(x))`` back into the exact power, so a float it is."""
    sp = _sympy()
    base = base if isinstance(base, sp.Basic) else sp.Rational(base)     # an int or a Fraction
    if getattr(exponent, "is_number", True) and power_digits(base, sp.Integer(exponent) if isinstance(
            exponent, int) else exponent) > MAX_DIGITS:
        return sp.Float(base, 30) ** exponent
    return base ** exponent


def top_level_digits(value) -> int:
    """The digits of the largest exact fraction at the top of ``value``: the value itself, or the
    coefficients of its terms and factors. O(number of terms), like building the sum itself."""
    sp = _sympy()
    if value.is_Rational:
        return fraction_digits(value)
    best = 0
    if isinstance(value, (sp.Add, sp.Mul)):
        for arg in value.args:
            if arg.is_Rational:
                best = max(best, fraction_digits(arg))
            elif isinstance(arg, sp.Mul) and arg.args[0].is_Rational:
                best = max(best, fraction_digits(arg.args[0]))
    return best


class ExprBuilder(Transformer):
    """Lark tree of ``expr.lark`` -> sympy. Rule names may carry lark's ``expr__`` import prefix.

    ``integer_symbols`` makes architecture sizes integer symbols; theorem letters are real.
    ``allow_functions`` is False for architecture sizes (``log(n)`` units make no sense).
    """

    def __init__(self, text: str = "", filename: str = "<expr>", integer_symbols: bool = False,
                 allow_functions: bool = True):
        super().__init__()
        self.text = text
        self.filename = filename
        self.integer_symbols = integer_symbols
        self.allow_functions = allow_functions
        self.minmax_arguments = 0

    # lark prefixes imported rules with "expr__"; dispatch on the bare name
    def __default__(self, data, children, meta):
        name = data.rsplit("__", 1)[-1] if isinstance(data, str) else data
        handler = getattr(self, "rule_" + name, None)
        if handler is None:
            return super().__default__(data, children, meta)
        return handler(children, meta)

    def _error(self, message, meta_or_token, length=None):
        line = getattr(meta_or_token, "line", 0) or 0
        column = getattr(meta_or_token, "column", 0) or 0
        if length is None:
            end = getattr(meta_or_token, "end_column", None)
            length = (end - column) if (end and getattr(meta_or_token, "end_line", line) == line) else 1
        return ExpressionError(message, self.text, line, column, length, self.filename)

    def rule_number(self, children, meta):
        tok = children[0]
        sp = _sympy()
        s = str(tok)
        mant, _, exp = s.lower().partition("e")
        if mant == s and "." not in s:
            if len(s) > MAX_DIGITS:
                raise self._error(f"number too large ({len(s)} digits; at most {MAX_DIGITS})", tok)
            return sp.Integer(s)
        if len(mant) > MAX_DIGITS + 1 or len(exp) > 6 or abs(int(exp or 0)) > MAX_DIGITS:
            raise self._error(f"number too large: {_shown(s)}", tok)
        # decimals are exact rationals: 0.5 -> 1/2 (constants in theorems are exact)
        return self._checked_size(sp.Rational(mant) * sp.Integer(10) ** int(exp or 0), tok)

    def rule_symbol(self, children, meta):
        tok = children[0]
        name = str(tok)
        sp = _sympy()
        if name.startswith("_") or "__" in name:
            raise self._error(f"names may not start with '_' or contain '__': '{name}'", tok)
        if name == "e":
            return sp.E
        if name == "pi":
            return sp.pi
        if name in FUNCTIONS:
            raise self._error(f"'{name}' is a function; write {name}(...)", tok)
        return make_symbol(name, self.integer_symbols)

    def rule_call(self, children, meta):
        name_tok, *args = children
        name = str(name_tok)
        if not self.allow_functions:
            raise self._error(f"functions are not allowed in a size: '{name}(...)'", name_tok)
        if name not in FUNCTIONS:
            raise self._error(f"unknown function '{name}' {did_you_mean(name, FUNCTIONS, 'function')}",
                              name_tok)
        sp = _sympy()
        if name in ("min", "max"):
            if len(args) < 2:
                raise self._error(f"{name}() needs at least two arguments", name_tok)
            self.minmax_arguments += len(args)
            if self.minmax_arguments > MAX_MINMAX:
                raise self._error(f"too many arguments to min() and max(): more than {MAX_MINMAX} "
                                  f"in one expression", name_tok)
            return (sp.Min if name == "min" else sp.Max)(*args)
        if len(args) != 1:
            raise self._error(f"{name}() takes one argument, got {len(args)}", name_tok)
        (a,) = args
        return {
            "log": lambda: sp.log(a), "ln": lambda: sp.log(a), "log2": lambda: sp.log(a, 2),
            "sqrt": lambda: sp.sqrt(a), "exp": lambda: self._checked_exp(a, name_tok),
            "ceil": lambda: sp.ceiling(a), "floor": lambda: sp.floor(a),
        }[name]()

    def _checked_exp(self, a, tok):
        sp = _sympy()
        if a.is_number and a.is_real and a > 0 and _log10_magnitude(a) > 3:
            raise self._error("number too large: exp() of more than 1000", tok)
        return sp.exp(a)

    def rule_add(self, c, meta):
        return self._checked_size(c[0] + c[1], meta)

    def rule_sub(self, c, meta):
        return self._checked_size(c[0] - c[1], meta)

    def rule_mul(self, c, meta):
        return self._checked_size(c[0] * c[1], meta)

    def rule_div(self, c, meta):
        if c[1] == 0:
            raise self._error("division by zero", meta)
        return self._checked_size(c[0] / c[1], meta)

    def rule_neg(self, c, meta):
        return -c[0]

    def rule_pow(self, c, meta):
        base, _op, exponent = c
        sp = _sympy()
        if base.is_number and exponent.is_number and base == 0 and exponent.is_negative:
            raise self._error("division by zero (0 to a negative power)", meta)
        if exponent.is_number:
            if not base.is_number and _log10_magnitude(exponent) > math.log10(MAX_EXPONENT):
                raise self._error(f"exponent too large (at most {MAX_EXPONENT})", meta)
            # sympy computes a power of an exact number eagerly ((1/3)^(10^9), (2*n)^9999, sqrt(2)^(10^9)
            # all become fractions of ~10^9 digits): judge the digits before the power is built
            if power_digits(base, exponent) > MAX_DIGITS:
                raise self._error(f"number too large: more than {MAX_DIGITS} digits", meta)
        return self._checked_size(sp.Pow(base, exponent), meta)

    def _checked_size(self, value, meta):
        """``value``, unless a fraction at its top level has more than MAX_DIGITS digits (sums and
        products of checked numbers are cheap to build, so they are judged after the fact)."""
        if top_level_digits(value) > MAX_DIGITS:
            fraction = "" if value.is_Integer else " in the numerator or denominator of an exact fraction"
            raise self._error(f"number too large: more than {MAX_DIGITS} digits{fraction}", meta)
        return value

    def rule_condition(self, c, meta):
        lhs, rel, rhs = c
        start = getattr(meta, "start_pos", 0)
        end = getattr(meta, "end_pos", len(self.text))
        return Condition(lhs, RELATIONS[str(rel)], rhs, self.text[start:end].strip())


@cache
def _parser(start: str) -> Lark:
    return Lark.open(str(grammar_dir() / "expr.lark"), parser="lalr", start=start,
                     propagate_positions=True, maybe_placeholders=False, cache=True)


def syntax_error(exc: UnexpectedInput, text: str, filename: str, cls=ExpressionError):
    """Turn lark's UnexpectedInput into our error with a short human label."""
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

    line = getattr(exc, "line", 0) or 0
    column = getattr(exc, "column", 0) or 0
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream
        ch = text[pos] if 0 <= pos < len(text) else "?"
        if ch == ">" and pos > 0 and text[pos - 1] == "-":
            msg, column = "unexpected '->'", column - 1
        else:
            msg = f"unexpected character {ch!r}"
        msg += _unclosed_hint(text, pos)
    elif isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END"):
        expected = set(getattr(exc, "expected", ()) or ())
        hint = _unclosed_hint(text, len(text))
        msg = "unexpected end of input" + (hint or (" (unclosed parenthesis?)" if "RPAR" in expected else ""))
        lines = text.splitlines() or [""]
        line = len(lines)
        column = len(lines[-1]) + 1
    else:
        tok = exc.token
        msg = f"unexpected {_describe(tok)}"
        expected = set(getattr(exc, "expected", ()) or ())
        if tok.type == "RPAR" and "RPAR" not in expected:
            msg = "unmatched closing parenthesis"
        elif expected:
            msg += f" (expected {_expected(expected)})"
        msg += _unclosed_hint(text, tok.start_pos or 0) if tok.type != "RPAR" else ""
        return cls(msg, text, line, column, max(1, len(str(tok))), filename)
    return cls(msg, text, line, column, 1, filename)


_TOKEN_NAMES = {
    "LPAR": "'('", "RPAR": "')'", "COMMA": "','", "NAME": "a name", "NUMBER": "a number",
    "PLUS": "'+'", "MINUS": "'-'", "STAR": "'*'", "SLASH": "'/'", "POW": "'^'", "ARROW": "'->'",
    "EQUAL": "'='", "RELATION": "a comparison", "_NL": "a new line", "$END": "end of input",
    "CIRCUMFLEX": "'^'",
}


def _unclosed_hint(text: str, pos: int) -> str:
    """' (unclosed '(' at 1:6?)' when a parenthesis before ``pos`` is still open."""
    stack = []
    for i, ch in enumerate(text[:pos]):
        if ch == "(":
            stack.append(i)
        elif ch == ")" and stack:
            stack.pop()
    if not stack:
        return ""
    i = stack[-1]
    line = text.count("\n", 0, i) + 1
    col = i - (text.rfind("\n", 0, i) + 1) + 1
    return f" (unclosed '(' at {line}:{col}?)"


def _describe(tok: Token) -> str:
    if tok.type in ("NAME", "NUMBER"):
        return f"{_TOKEN_NAMES[tok.type][2:] if tok.type == 'NAME' else 'number'} '{tok}'"
    if tok.type == "$END":
        return "end of input"
    if tok.type == "_NL":
        return "new line"
    return f"'{tok}'"


def _expected(expected) -> str:
    names = sorted({_TOKEN_NAMES.get(e, e.lower()) for e in expected if not e.startswith("__")})
    return ", ".join(names[:6]) + (" ..." if len(names) > 6 else "")


def _parse(text: str, start: str, filename: str, integer_symbols: bool, allow_functions: bool):
    if not isinstance(text, str):
        raise ExpressionError(f"expected text, got {type(text).__name__}", "", 0, 0, 1, filename)
    check_nesting(text, filename)
    if len(text) > MAX_EXPRESSION:      # refused before lark or sympy spend seconds and memory on it
        line = text.count("\n", 0, MAX_EXPRESSION) + 1
        column = MAX_EXPRESSION - (text.rfind("\n", 0, MAX_EXPRESSION) + 1) + 1
        raise ExpressionError(f"expression too long ({len(text)} characters; at most {MAX_EXPRESSION})",
                              text, line, column, 1, filename)
    if not text.strip():
        raise ExpressionError("empty expression", text, 1, 1, 1, filename)
    try:
        tree = _parser(start).parse(text)
    except UnexpectedInput as exc:
        raise syntax_error(exc, text, filename) from None
    try:
        return ExprBuilder(text, filename, integer_symbols, allow_functions).transform(tree)
    except RecursionError:
        lead = text[:len(text) - len(text.lstrip())]
        raise ExpressionError("expression too long or nested too deeply", text, lead.count("\n") + 1,
                              len(lead) - (lead.rfind("\n") + 1) + 1, 1, filename) from None
    except VisitError as exc:
        if isinstance(exc.orig_exc, ExpressionError):
            raise exc.orig_exc from None
        raise ExpressionError(f"cannot evaluate expression: {exc.orig_exc}", text, 1, 1, 1, filename) from None


def parse_expression(text: str, filename: str = "<expr>", integer_symbols: bool = False,
                     allow_functions: bool = True):
    """Parse ``text`` as an expression and return a sympy expression.

    >>> parse_expression("w^4 * k^2")
    k**2*w**4
    >>> parse_expression("min(n + q, 18*n + 4*n*log2(q+1))")
    Min(n + q, 4*n*log(q + 1)/log(2) + 18*n)
    """
    return _parse(text, "expr", filename, integer_symbols, allow_functions)


def parse_condition(text: str, filename: str = "<condition>", integer_symbols: bool = False) -> Condition:
    """Parse ``T >> n``, ``W > C*L`` or ``d = n`` into a ``Condition``.

    >>> parse_condition("T >> n").rel
    '>>'
    """
    return _parse(text, "condition", filename, integer_symbols, True)


def _top_level_parts(text: str):
    """``(start, part)`` for the comma-separated parts of ``text`` (commas inside parentheses kept)."""
    depth, start = 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif ch == "," and depth == 0:
            yield start, text[start:i]
            start = i + 1
    yield start, text[start:]


def parse_bindings(text: str, filename: str = "--at") -> dict[str, object]:
    """Parse ``n=64, d=32, T=100`` into ``{"n": 64, ...}`` (values are expressions, usually numbers).

    >>> parse_bindings("n=64, d=2^5")
    {'n': 64, 'd': 32}
    """
    result: dict[str, object] = {}
    for start, part in _top_level_parts(text):
        column = start + 1 + (len(part) - len(part.lstrip()))
        if not part.strip():
            continue
        name, eq, value = part.partition("=")
        name = name.strip()
        if not eq or not value.strip():
            raise ExpressionError(f"expected NAME=VALUE, got '{part.strip()}'", text, 1, column,
                                  len(part.strip()), filename)
        if not name.isidentifier() or name.startswith("_"):
            raise ExpressionError(f"not a symbol name: '{name}'", text, 1, column, len(name) or 1, filename)
        # parse the value where it stands (blanked prefix), so every position and hint is in `text`
        value_start = start + len(part) - len(value)
        try:
            val = parse_expression(" " * value_start + value, filename, allow_functions=True)
        except ExpressionError as exc:
            raise exc.with_source(text, filename) from None
        if val.free_symbols:
            raise ExpressionError(f"value of {name} must be a number, got '{value.strip()}'", text, 1,
                                  column, len(part.strip()), filename)
        result[name] = val
    return result


MAX_RESULT_DIGITS = 3000   # an exact value computed from bindings (Python prints ints up to 4300 digits)


def substitution_digits(expr, subs: dict) -> float:
    """An upper estimate of the digits of the exact numbers built by ``expr.xreplace(subs)``
    (``subs``: symbol -> sympy number), computed without building them: ``n^10000`` at
    ``n = 10^399`` would be a 4-million-digit integer."""
    sp = _sympy()

    def size(e) -> float:
        if e.is_Rational:
            return max(integer_log10(e.p), integer_log10(e.q))
        if e.is_Symbol:
            v = subs.get(e)
            return 0.0 if v is None else size(v) if v.is_Rational else abs(_log10_magnitude(v))
        if e.is_Number or e.is_NumberSymbol:
            return abs(_log10_magnitude(e))
        if isinstance(e, sp.Add):
            return max(size(a) for a in e.args) * 2 + math.log10(len(e.args))   # fractions: a/b + c/d
        if isinstance(e, sp.Mul):
            return sum(size(a) for a in e.args)
        if isinstance(e, sp.Pow):
            base = size(e.base)
            if base == 0:
                return 0.0
            x = e.exp.xreplace(subs)
            if not x.is_number:
                return math.inf
            mag = _log10_magnitude(x)
            return math.inf if mag > 300 else base * max(1.0, 10 ** mag)
        if isinstance(e, sp.exp) or getattr(e, "func", None) is sp.exp:
            return math.inf if size(e.args[0]) > 2 else 10 ** size(e.args[0])
        return max((size(a) for a in e.args), default=0.0)

    return size(expr)


def substitute(value, bindings: dict, what: str = "value"):
    """Substitute numeric ``bindings`` ({name: number}) into a sympy value.

    Returns a Python int when the result is an integer, a sympy number or expression otherwise.
    A result whose exact form would pass ``MAX_RESULT_DIGITS`` digits is computed in floating
    point instead (a sympy Float of 15 digits, any exponent), never built exactly.
    """
    if value is None or not bindings:
        return value
    import sympy as sp
    if not isinstance(value, sp.Basic):
        return value
    subs = {s: bindings[s.name] for s in value.free_symbols if s.name in bindings}
    if subs and substitution_digits(value, subs) > MAX_RESULT_DIGITS:
        floats = {k: sp.Float(v, 30) for k, v in subs.items()}
        result = value.xreplace(floats)
        return result.evalf(15) if not result.free_symbols else result
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
