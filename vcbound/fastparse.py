"""The common subset of the architecture language, parsed without lark's LALR machinery.

In: architecture text. Out: the very tree ``graph.arch_parser()`` (``grammar/arch.lark``, with
``propagate_positions``) would give, with the same rule names, tokens and positions, or ``None`` when
the text leaves the subset or is not valid. ``None`` sends the text to lark, so every syntax error is
still lark's, reported by ``expressions.syntax_error``; semantic checks (layer names, options, sizes)
run on the tree in ``graph._Builder`` whichever parser built it.

Why: lark spends ~20 us per token building its tree with propagated positions (two seconds for a
10,000-layer chain); one regular expression and a recursive descent over the subset take a tenth of that.
The subset: layers ``name`` / ``name(arg, key=value, ...)`` joined by ``->``, parenthesised chains,
repeats ``block^N`` / ``block^L``, and argument values that are sums, differences, products and
quotients of numbers and names (no powers, calls, signs or parenthesised sub-expressions: lark takes
those). tests/test_fastparse.py compares the two parsers' trees on generated architectures.
"""
from __future__ import annotations

import re

from lark import Token, Tree
from lark.tree import Meta

# One token per match; a text position no alternative matches (a lone \r, a '-' sign, '**', ...)
# leaves the subset. Spaces, comments and new lines are what arch.lark ignores.
_SCAN = re.compile(r"(?P<s>[ \t\f]+|#[^\n]*)|(?P<nl>(?:\r?\n)+)|(?P<a>->)"
                   r"|(?P<n>[A-Za-z][A-Za-z0-9_]*)|(?P<d>[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)"
                   r"|(?P<p>[(),=+\-*/^])|(?P<x>.)", re.DOTALL)
_OPS = {"+": "expr__add", "-": "expr__sub", "*": "expr__mul", "/": "expr__div"}


class _Leave(Exception):
    """The text leaves the subset (or is invalid): lark parses it instead."""


def _meta(first, last) -> Meta:
    """Positions from the first token (or node) to the last, as lark's propagate_positions sets them."""
    m = Meta()
    m.empty = False
    m.line, m.column, m.start_pos = first.line, first.column, first.start_pos
    m.end_line, m.end_column, m.end_pos = last.end_line, last.end_column, last.end_pos
    return m


class _Outer:
    """The span of a parenthesised chain with its parentheses (lark's ``container_*`` positions),
    which the enclosing node's span starts or ends with."""

    __slots__ = ("line", "column", "start_pos", "end_line", "end_column", "end_pos")

    def __init__(self, open_tok, close_tok):
        self.line, self.column, self.start_pos = open_tok.line, open_tok.column, open_tok.start_pos
        self.end_line, self.end_column, self.end_pos = close_tok.end_line, close_tok.end_column, close_tok.end_pos


class _Punct:
    """Where a one-character punctuation token stands (the fields of a lark Token's position)."""

    __slots__ = ("line", "column", "start_pos", "end_line", "end_column", "end_pos")

    def __init__(self, pos, line, col):
        self.line = self.end_line = line
        self.column, self.end_column = col, col + 1
        self.start_pos, self.end_pos = pos, pos + 1


def _tokens(text: str) -> list:
    """(kind, Token or position) pairs; kinds: 'a' arrow, 'n' name, 'd' number, or the punctuation itself."""
    out = []
    append = out.append
    line, line_start = 1, 0
    types = {"n": "NAME", "d": "NUMBER", "a": "ARROW"}
    for m in _SCAN.finditer(text):       # the last alternative matches any other character
        kind = m.lastgroup
        if kind == "s":
            continue
        pos, stop = m.span()
        if kind == "nl":
            line += text.count("\n", pos, stop)
            line_start = stop
            continue
        if kind == "x":
            raise _Leave
        value = m.group()
        col = pos - line_start + 1
        if kind == "p":               # punctuation is not kept in the tree: its position is enough
            append((value, _Punct(pos, line, col)))
        else:
            append((kind, _token(types[kind], value, pos, line, col, line, col + stop - pos, stop)))
    append(("end", None))
    return out


if getattr(Token, "__slots__", None) == ("type", "start_pos", "value", "line", "column", "end_line",
                                         "end_column", "end_pos"):
    def _token(type_, value, start_pos, line, column, end_line, end_column, end_pos):
        """``Token(...)`` without its two Python-level constructor calls (a quarter of the scan of a
        long chain); used only while lark's Token has exactly these slots, checked at import."""
        tok = str.__new__(Token, value)
        tok.type, tok.value, tok.start_pos, tok.end_pos = type_, value, start_pos, end_pos
        tok.line, tok.column, tok.end_line, tok.end_column = line, column, end_line, end_column
        return tok
else:                                  # another lark: its own constructor
    _token = Token


class _Parser:
    """Recursive descent over the token list; every method returns a lark Tree (or Token)."""

    def __init__(self, tokens):
        self.toks = tokens
        self.i = 0

    def peek(self) -> str:
        return self.toks[self.i][0]

    def take(self, kind):
        k, tok = self.toks[self.i]
        if k != kind:
            raise _Leave
        self.i += 1
        return tok

    def chain(self):
        blocks = [self.block()]
        while self.peek() == "a":
            blocks.append(self.take("a"))
            blocks.append(self.block())
        return Tree("chain", blocks, _meta(_outer(blocks[0]), _outer(blocks[-1])))

    def block(self):
        unit = self.unit()
        if self.peek() != "^":
            return unit
        self.i += 1
        kind, tok = self.toks[self.i]
        if kind not in ("d", "n"):
            raise _Leave
        self.i += 1
        count = Tree("number" if kind == "d" else "symbol", [tok], _meta(tok, tok))
        return Tree("repeat", [unit, count], _meta(_outer(unit), tok))

    def unit(self):
        kind, tok = self.toks[self.i]
        if kind == "(":
            self.i += 1
            inner = self.chain()
            inner.meta.outer = _Outer(tok, self.take(")"))
            return inner
        if kind != "n":
            raise _Leave
        self.i += 1
        if self.peek() != "(":
            return Tree("layer", [tok], _meta(tok, tok))
        self.i += 1
        if self.peek() == ")":
            return Tree("layer", [tok], _meta(tok, self.take(")")))
        args = [self.argument()]
        while self.peek() == ",":
            self.i += 1
            args.append(self.argument())
        close = self.take(")")
        arguments = Tree("arguments", args, _meta(args[0].meta, args[-1].meta))
        return Tree("layer", [tok, arguments], _meta(tok, close))

    def argument(self):
        kind, tok = self.toks[self.i]
        if kind == "n" and self.toks[self.i + 1][0] == "=":
            self.i += 2
            value = self.sum()
            return Tree("option", [tok, value], _meta(tok, value.meta))
        value = self.sum()
        return Tree("positional", [value], _meta(value.meta, value.meta))

    def sum(self):
        left = self.product()
        while self.peek() in ("+", "-"):
            op = _OPS[self.toks[self.i][0]]
            self.i += 1
            right = self.product()
            left = Tree(op, [left, right], _meta(left.meta, right.meta))
        return left

    def product(self):
        left = self.atom()
        while self.peek() in ("*", "/"):
            op = _OPS[self.toks[self.i][0]]
            self.i += 1
            right = self.atom()
            left = Tree(op, [left, right], _meta(left.meta, right.meta))
        return left

    def atom(self):
        kind, tok = self.toks[self.i]
        if kind == "n":
            if self.toks[self.i + 1][0] == "(":
                raise _Leave                     # a call: lark's
            self.i += 1
            return Tree("expr__symbol", [tok], _meta(tok, tok))
        if kind == "d":
            self.i += 1
            return Tree("expr__number", [tok], _meta(tok, tok))
        raise _Leave


def _outer(node):
    """The span a parent sees: a parenthesised chain's includes its parentheses."""
    if isinstance(node, Token):
        return node
    return getattr(node.meta, "outer", None) or node.meta


def parse_tree(text: str):
    """The lark tree of ``text`` (as ``graph.arch_parser().parse`` gives it), or None: lark's turn."""
    try:
        p = _Parser(_tokens(text))
        chain = p.chain()
        if p.peek() != "end":
            return None
    except (_Leave, IndexError):
        return None
    return Tree("start", [chain], _meta(_outer(chain), _outer(chain)))
