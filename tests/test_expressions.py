"""The expression grammar (grammar/expr.lark -> sympy, vcbound/expressions.py).

Sizes, theorem bounds, conditions and ``--at`` values all go through it; it must give the usual
arithmetic (checked against exact Python arithmetic on random expressions), refuse hostile input
cheaply with a positioned error, and never hand user text to eval/sympify.
"""
from __future__ import annotations

import ast
import math
import re
import time
from fractions import Fraction
from pathlib import Path

import pytest
import sympy as sp
from hypothesis import given, settings, strategies as st

import vcbound.expressions as ex
from vcbound.errors import ExpressionError, SourceError, VcboundError
from vcbound.expressions import (MAX_DIGITS, MAX_EXPRESSION, MAX_MINMAX, MAX_NESTING, check_nesting, make_symbol,
                                 parse_bindings, parse_condition, parse_expression)

n, m, w, k, q = (make_symbol(s) for s in "nmwkq")


@pytest.mark.parametrize("text, expected", [
    ("1 + 2*3", 7),
    ("(1 + 2)*3", 9),
    ("2^3^2", 512),                 # right-associative
    ("2**3**2", 512),
    ("(2^3)^2", 64),
    ("-2^2", -4),                   # power binds tighter than unary minus
    ("2^-1", sp.Rational(1, 2)),
    ("--3", 3),
    ("+3", 3),
    ("7/2", sp.Rational(7, 2)),
    ("0.5", sp.Rational(1, 2)),     # decimals are exact
    ("1.5e-2", sp.Rational(3, 200)),
    ("1e3", 1000),
    ("2.5E2", 250),
    ("10 - 4 - 3", 3),              # left-associative
    ("24 / 4 / 3", 2),
    ("min(3, 1, 2)", 1),
    ("max(3, 1, 2)", 3),
    ("ceil(7/2) + floor(7/2)", 7),
    ("sqrt(16)", 4),
    ("log2(8)", 3),
    ("log(e)", 1),
    ("ln(e^2)", 2),
    ("exp(0)", 1),
    ("e", sp.E),
    ("pi", sp.pi),
])
def test_numbers(text, expected):
    got = parse_expression(text)
    assert sp.simplify(got - expected) == 0, got


@pytest.mark.parametrize("text, expected", [
    ("w^4 * k^2", w**4 * k**2),
    ("n*(n + 1)/2", n * (n + 1) / 2),
    ("min(n + q, 18*n + 4*n*log2(q+1))", sp.Min(n + q, 18 * n + 4 * n * sp.log(q + 1) / sp.log(2))),
    ("w*log(w)", w * sp.log(w)),
    ("n^(1/2)", sp.sqrt(n)),
    ("sqrt(w) * k", sp.sqrt(w) * k),
    ("e^n", sp.exp(n)),
])
def test_symbolic(text, expected):
    assert sp.simplify(parse_expression(text) - expected) == 0


def test_symbols_are_positive_and_optionally_integer():
    x = parse_expression("n")
    assert x.is_positive and x.is_integer is None
    y = parse_expression("n", integer_symbols=True)
    assert y.is_positive and y.is_integer
    assert x != y                                    # different assumptions, different symbols
    assert x == make_symbol("n") and y == make_symbol("n", integer=True)
    assert parse_expression("a_b + c1 + Lbar").free_symbols == {make_symbol("a_b"), make_symbol("c1"),
                                                                  make_symbol("Lbar")}
    # positivity is what asymptotics rely on
    assert sp.sqrt(parse_expression("n^2")) == make_symbol("n")


# ---- exact arithmetic against Python on random expressions -------------------------------------------
def _exprs():
    leaf = st.integers(0, 40).map(lambda v: (str(v), Fraction(v)))

    def extend(sub):
        def binop(args):
            (ta, va), (tb, vb), op = args
            if op == "/" and vb == 0:
                return (f"({ta})+({tb})", va + vb)
            value = {"+": va + vb, "-": va - vb, "*": va * vb, "/": va / vb if vb else None}[op]
            return (f"({ta}){op}({tb})", value)

        def power(args):
            (ta, va), e = args
            if va == 0 and e < 0:
                return (ta, va)
            return (f"({ta})^({e})", va ** e)

        return st.one_of(
            st.tuples(sub, sub, st.sampled_from("+-*/")).map(binop),
            st.tuples(st.one_of(leaf, sub.filter(lambda a: abs(a[1]) < 10**6)), st.integers(-3, 3)).map(power),
            sub.map(lambda a: (f"-({a[0]})", -a[1])),
            st.lists(sub, min_size=2, max_size=3).map(
                lambda xs: (f"min({', '.join(t for t, _ in xs)})", min(v for _, v in xs))),
            st.lists(sub, min_size=2, max_size=3).map(
                lambda xs: (f"max({', '.join(t for t, _ in xs)})", max(v for _, v in xs))),
        )

    return st.recursive(leaf, extend, max_leaves=12)


@settings(max_examples=300, deadline=None, database=None)
@given(_exprs())
def test_arithmetic_agrees_with_exact_python(case):
    text, value = case
    if text.count("min(") + text.count("max(") and _minmax_arguments(text) > MAX_MINMAX:
        # the hardening limit (sympy compares min/max arguments pairwise): refused, not computed
        with pytest.raises(ExpressionError, match="too many arguments to min"):
            parse_expression(text)
        return
    got = parse_expression(text)
    assert got == sp.Rational(value.numerator, value.denominator), text


def _minmax_arguments(text: str) -> int:
    """The arguments of every min()/max() in a generated expression (the generator's own
    bracketing: top-level commas inside each call, plus one)."""
    total = 0
    for start in (i for i in range(len(text)) if text.startswith(("min(", "max("), i)):
        depth, args = 0, 1
        for ch in text[start + 3:]:
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0:
                break
            args += ch == "," and depth == 1
        total += args
    return total


@settings(max_examples=100, deadline=None, database=None)
@given(st.lists(st.integers(1, 9), min_size=1, max_size=4), st.sampled_from(["^", "**"]))
def test_power_is_right_associative(digits, op):
    text = op.join(map(str, digits))
    value = digits[-1]
    for d in reversed(digits[:-1]):
        if d > 1 and (value > 2000 or value * math.log10(d) > MAX_DIGITS):       # refused, not computed
            with pytest.raises(ExpressionError, match="number too large"):
                parse_expression(text)
            return
        value = d ** value
    assert parse_expression(text) == value


# ---- errors: message, position, length --------------------------------------------------------------
@pytest.mark.parametrize("text, fragment, col, length", [
    ("1 + n/0", "division by zero", 5, 3),
    ("n + 0^-1", "division by zero (0 to a negative power)", 5, 4),
    ("2 * 10^10^10", f"number too large: more than {MAX_DIGITS} digits", 5, 8),
    ("3 + exp(2000)", "number too large: exp() of more than 1000", 5, 3),
    ("n + " + "9" * (MAX_DIGITS + 1), f"number too large ({MAX_DIGITS + 1} digits; at most {MAX_DIGITS})", 5,
     MAX_DIGITS + 1),
    ("m + 1e500", "number too large: 1e500", 5, 5),
    ("m + n^20000", "exponent too large (at most 10000)", 5, 7),
    ("m + a__b", "names may not start with '_' or contain '__'", 5, 4),
    ("m + _a", "unexpected character '_'", 5, 1),
    ("m + sin(x)", "unknown function 'sin' (did you mean 'min'?", 5, 3),
    ("m + lg(x)", "unknown function 'lg' (did you mean 'log'?", 5, 2),
    ("m + max(a)", "max() needs at least two arguments", 5, 3),
    ("m + log(a, b)", "log() takes one argument, got 2", 5, 3),
    ("m + log", "'log' is a function; write log(...)", 5, 3),
    ("x.y", "unexpected character '.'", 2, 1),
    ("3 n", "unexpected name 'n'", 3, 1),
    ("n +", "unexpected end of input", 4, 1),
    ("(n + 1", "unexpected end of input (unclosed '(' at 1:1?)", 7, 1),
    ("min(n, (m", "unclosed '(' at 1:8?", 10, 1),
    ("n)", "unmatched closing parenthesis", 2, 1),
    ("", "empty expression", 1, 1),
    ("   ", "empty expression", 1, 1),
    ("n ; m", "unexpected character ';'", 3, 1),
    ("n = m", "unexpected character '='", 3, 1),
    ("'n'", "unexpected character \"'\"", 1, 1),
])
def test_expression_errors(text, fragment, col, length):
    with pytest.raises(ExpressionError) as info:
        parse_expression(text)
    err = info.value
    assert fragment in err.message
    assert (err.line, err.column, err.length) == (1, col, length), str(err)
    assert isinstance(err, SourceError) and isinstance(err, VcboundError) and err.exit_code == 1
    assert str(err).startswith(f"<expr>:1:{col}: ")


def test_error_on_second_line_and_caret():
    with pytest.raises(ExpressionError) as info:
        parse_expression("m +\n  sin(x)", filename="bound")
    assert (info.value.line, info.value.column) == (2, 3)
    assert str(info.value).split("\n") == [
        "bound:2:3: unknown function 'sin' (did you mean 'min'? expected one of: ceil, exp, floor, ln, log, "
        "log2, max, min, sqrt)",
        "  sin(x)",
        "  ^^^"]


def test_functions_can_be_refused():
    assert parse_expression("log(n)") == sp.log(n)
    with pytest.raises(ExpressionError, match=r"functions are not allowed in a size: 'log\(\.\.\.\)'"):
        parse_expression("log(n)", allow_functions=False)


# ---- hostile input is refused cheaply -----------------------------------------------------------------
@pytest.mark.parametrize("text, fragment", [
    ("(" * (MAX_NESTING + 1) + "1" + ")" * (MAX_NESTING + 1), f"nested more than {MAX_NESTING} deep"),
    ("+".join(["n"] * 5000), "too long or nested too deeply"),
    ("*".join(["n"] * 5000), "too long or nested too deeply"),
    ("-" * 5000 + "n", "too long or nested too deeply"),
    ("9^9^9^9^9^9", "number too large"),
    ("2^(2^(2^(2^(2^2))))", "number too large"),
    ("10^" * 50 + "10", "number too large"),
    ("exp(exp(10))", "number too large"),
    ("n^(10^6)", "exponent too large"),
    ("1" * (MAX_DIGITS + 1), "number too large"),
    ("n" * (MAX_EXPRESSION + 1), "expression too long"),
])
def test_hostile_input_is_refused_quickly(text, fragment):
    start = time.process_time()
    with pytest.raises(ExpressionError) as info:
        parse_expression(text)
    assert fragment in info.value.message
    assert time.process_time() - start < 2
    assert info.value.line >= 0 and len(str(info.value).split("\n")[0]) < 300


def test_big_but_allowed_numbers_are_exact():
    assert parse_expression("10^399") == 10**399
    assert parse_expression("2^1000") == 2**1000
    assert parse_expression("9" * MAX_DIGITS) == int("9" * MAX_DIGITS)


def test_check_nesting_position():
    check_nesting("(" * MAX_NESTING + ")" * MAX_NESTING)
    with pytest.raises(ExpressionError) as info:
        check_nesting("x\n" + "(" * (MAX_NESTING + 5))
    assert (info.value.line, info.value.column) == (2, MAX_NESTING + 1)


# ---- never eval --------------------------------------------------------------------------------------
INJECTIONS = [
    "__import__('os').system('touch CANARY')",
    "exec('import os')",
    "eval('1')",
    "().__class__.__bases__[0]",
    "lambda: 1",
    "open('CANARY', 'w')",
    "[1, 2]",
    "{1: 2}",
    "n if n else m",
    "getattr(n, 'x')",
    "Symbol('x')",
    "n.__class__",
    "'string'",
    "`n`",
    "n @ m",
    "n; import os",
    "1_000",
]


@pytest.mark.parametrize("text", INJECTIONS)
def test_injection_is_a_plain_error(text, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    def forbidden(*args, **kwargs):
        raise AssertionError("sympy's string parser was called")

    import sympy.parsing.sympy_parser as sympy_parser
    monkeypatch.setattr(sympy_parser, "parse_expr", forbidden)
    with pytest.raises(ExpressionError):
        parse_expression(text)
    with pytest.raises(ExpressionError):
        parse_bindings(f"n={text}")
    assert not list(tmp_path.iterdir())


def test_valid_parsing_does_not_use_sympy_string_parser(monkeypatch):
    import sympy.parsing.sympy_parser as sympy_parser

    def forbidden(*args, **kwargs):
        raise AssertionError("sympy's string parser was called")

    monkeypatch.setattr(sympy_parser, "parse_expr", forbidden)
    assert parse_expression("0.5*n + 1.5e-2 + min(n, m) + log2(n) + sqrt(pi*e)") is not None
    assert parse_bindings("n=2.5, d=1e3") == {"n": sp.Rational(5, 2), "d": 1000}
    assert parse_condition("T >> n^2").rel == ">>"


def test_source_has_no_eval():
    """expressions.py and graph.py build sympy objects directly: no eval/exec/sympify/parse_expr calls."""
    root = Path(ex.__file__).parent
    for name in ("expressions.py", "graph.py", "quantities.py", "sources.py"):
        tree = ast.parse((root / name).read_text())
        calls = [node.func for node in ast.walk(tree) if isinstance(node, ast.Call)]
        bare = {f.id for f in calls if isinstance(f, ast.Name)}
        attrs = {f.attr for f in calls if isinstance(f, ast.Attribute)}
        assert not bare & {"eval", "exec", "compile", "__import__", "sympify", "parse_expr", "S"}, name
        assert not attrs & {"sympify", "parse_expr", "S", "eval"}, name


# ---- conditions --------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, rel", [
    ("T >> n", ">>"), ("n << T", "<<"), ("W >= 2", ">="), ("W <= 2*L", "<="), ("d = n", "="), ("d == n", "="),
    ("W > C*L", ">"), ("W < C*L", "<"),
])
def test_conditions(text, rel):
    c = parse_condition(text)
    assert c.rel == rel
    assert c.text == text and str(c) == text
    lhs, _, rhs = re.split(r"\s*(>>|<<|>=|<=|==|=|>|<)\s*", text)
    assert c.lhs == parse_expression(lhs) and c.rhs == parse_expression(rhs)


@pytest.mark.parametrize("text, fragment", [
    ("T", "unexpected end of input"),
    ("T >> n >> m", "unexpected '>>'"),
    ("T >", "unexpected end of input"),
    (">> n", "unexpected"),
])
def test_bad_conditions(text, fragment):
    with pytest.raises(ExpressionError) as info:
        parse_condition(text)
    assert fragment in info.value.message
    assert info.value.line == 1 and info.value.column >= 1


# ---- --at bindings -------------------------------------------------------------------------------------
def test_bindings():
    assert parse_bindings("n=64, d=2^5") == {"n": 64, "d": 32}
    assert parse_bindings(" n = 3 ,, d=4,") == {"n": 3, "d": 4}
    assert parse_bindings("n=max(2, 3), d=min(4, 5)") == {"n": 3, "d": 4}    # commas inside calls
    assert parse_bindings("T=1e3") == {"T": 1000}
    assert parse_bindings("") == {}


@pytest.mark.parametrize("text, fragment, col", [
    ("n=1, m", "expected NAME=VALUE, got 'm'", 6),
    ("n=1,  q=abc", "value of q must be a number, got 'abc'", 7),
    ("1n=3", "not a symbol name: '1n'", 1),
    ("_n=3", "not a symbol name: '_n'", 1),
    ("n=1, d=(2", "unclosed '(' at 1:8?", 10),
    ("n  = (2", "unclosed '(' at 1:6?", 8),
    ("n=1, d=2)", "unmatched closing parenthesis", 9),
    ("n=__import__('os')", "unexpected character '_'", 3),
    ("n=1/0", "division by zero", 3),
    ("n = 2, d = 3 +", "unexpected end of input", 15),
    ("n=sin(2)", "unknown function 'sin'", 3),
    ("n=" + "+".join(["1"] * 3000), "too long or nested too deeply", 3),
])
def test_binding_errors_point_into_the_whole_text(text, fragment, col):
    with pytest.raises(ExpressionError) as info:
        parse_bindings(text)
    err = info.value
    assert fragment in err.message
    assert (err.line, err.column) == (1, col), str(err)
    assert err.filename == "--at"
    if len(text) <= 120:
        assert str(err).split("\n")[1] == text          # the whole --at text, not the fragment


# ---- exact numbers are judged by their digits before they are built (issue 15) -------------------------
@pytest.mark.parametrize("text", [
    "(1/3)^(10^9)",                 # a fraction below 1: the value is small, its exact form is not
    "(1/2)^(10^10)",
    "1.0000001^(10^7)",             # a decimal is an exact fraction 10000001/10000000
    "(2/3)^(10^4)",
    "(2/3)^(-(10^4))",
    "2^(10^9/7)",                   # sympy pulls the integer part out of a fractional exponent
    "sqrt(2)^(10^9)",               # becomes 2^(5*10^8)
    "(2*pi)^(10^9)",                # distributes over the product
    "(2*n)^9999",                   # a symbolic base with a numeric factor
    "(n/3)^9999",
    "e^1000",
    "(1/10^399)*(1/10^399)",        # products and quotients of allowed numbers
    "n/10^399/10^399",
    "1/10^399 + 1/(10^399 - 1)",
    "1e-400",
    "0." + "0" * 500 + "1",
    "1." + "0" * 500 + "1",
    "n^(10^399)",
    "exp(10^399)",
])
def test_exact_numbers_too_large_to_build_are_refused_quickly(text):
    start = time.process_time()
    with pytest.raises(ExpressionError) as info:
        parse_expression(f"m + ({text})")
    assert time.process_time() - start < 1
    err = info.value
    assert ("number too large" in err.message or "exponent too large" in err.message), err.message
    assert (err.line, err.column) == (1, 6), str(err)


@pytest.mark.parametrize("text, value", [
    ("1^(10^399)", 1),
    ("(-1)^(10^399)", 1),
    ("0^(10^399)", 0),
    ("(1/2)^1000", sp.Rational(1, 2 ** 1000)),
    ("0.5^(-3)", 8),
    ("1e-399", sp.Rational(1, 10 ** 399)),
    ("10^399 / 7", sp.Rational(10 ** 399, 7)),
    ("(10^399 + 7)^(1/2)", sp.sqrt(10 ** 399 + 7)),
    ("e^900", sp.exp(900)),
    ("n^9999", n ** 9999),
])
def test_exact_numbers_within_the_limits_are_exact(text, value):
    assert parse_expression(text) == value


def test_min_and_max_arguments_are_limited():
    # sympy compares min/max arguments pairwise with symbolic assumptions: 60 arguments took 11 s
    parse_expression("min(" + ", ".join(f"n^{i}" for i in range(1, ex.MAX_MINMAX + 1)) + ")")
    text = "max(n, m) + min(" + ", ".join(f"n{i}^2 + m" for i in range(60)) + ")"
    start = time.process_time()
    with pytest.raises(ExpressionError, match="too many arguments to min"):
        parse_expression(text)
    assert time.process_time() - start < 2


def test_long_expressions_are_refused_before_parsing():
    # a 1.2 MB bound took 29-49 s and 670 MB before it was refused
    text = " + ".join(f"{i}*n" for i in range(200_000))
    start = time.process_time()
    with pytest.raises(ExpressionError) as info:
        parse_expression(text, filename="bound")
    assert time.process_time() - start < 1
    assert info.value.message.startswith(f"expression too long ({len(text)} characters; at most {MAX_EXPRESSION})")
    assert str(info.value).startswith(f"bound:1:{MAX_EXPRESSION + 1}: ")
