"""The common subset of the architecture language, parsed without lark's LALR machinery.

Two routes, tried in this order by ``graph.parse``:

- ``parse_architecture`` (the direct route): architecture text -> the ``graph.Architecture`` itself,
  its layers built straight from a layer-level scan (one regular-expression match per arrow, layer,
  parenthesis or repeat count; each distinct (name, argument text) read once), with the sizes'
  polynomials handed on to ``quantities.count``. It answers only for valid text it is sure of
  (plain sizes, known names and options, within graph.parse's token and nesting limits), else None;
  it never raises.
- ``parse_tree``: architecture text -> the very tree ``graph.arch_parser()`` (``grammar/arch.lark``,
  with ``propagate_positions``) would give, with the same rule names, tokens and positions, or
  ``None`` when the text leaves the subset or is not valid. ``None`` sends the text to lark, so every
  syntax error is still lark's, reported by ``expressions.syntax_error``; semantic checks (layer
  names, options, sizes) run on the tree in ``graph._Builder`` whichever parser built it, and every
  error comes from there as before.

Why: lark spends ~20 us per token building its tree with propagated positions (two seconds for a
10,000-layer chain); one regular expression and a recursive descent over the subset take a tenth of that.
The subset: layers ``name`` / ``name(arg, key=value, ...)`` joined by ``->``, parenthesised chains,
repeats ``block^N`` / ``block^L``, and argument values that are sums, differences, products and
quotients of numbers and names (no powers, calls, signs or parenthesised sub-expressions: lark takes
those). tests/test_fastparse.py compares the two parsers' trees on generated architectures, and
the direct route's architectures and counts with the tree route's (or its error).
"""
from __future__ import annotations

import re
from bisect import bisect_left

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
        return self._left_assoc(self.product, ("+", "-"))

    def product(self):
        return self._left_assoc(self.atom, ("*", "/"))

    def _left_assoc(self, operand, ops):
        """``operand (op operand)*`` for ``op`` in ``ops``, grouped from the left as lark groups it."""
        left = operand()
        while self.peek() in ops:
            op = _OPS[self.toks[self.i][0]]
            self.i += 1
            right = operand()
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


# ---- the direct route: text -> layers, without any tree ---------------------------------------------
# One match per arrow, layer (its name and its whole argument list), parenthesis or repeat count,
# each with what the grammar ignores before it (spaces, new lines, comments; possessive, so that a
# comment never gives characters back). A layer's arguments without parentheses, comments or a lone
# \r are read by _Prototypes; anything else leaves the direct route.
_IGNORED = r"(?:[ \t\f]++|\r?\n|#[^\n]*+)"
_NAME = r"[A-Za-z][A-Za-z0-9_]*+"
_SCAN_LAYERS = re.compile(
    _IGNORED + r"*+(?:(?P<a>->)|(?P<L>(" + _NAME + r")(?:[ \t\f]*+\(((?:[^()#\r]++|\r\n)*+)\))?)|(?P<o>\()|(?P<c>\))"
    r"|(?P<r>\^[ \t\f]*+(?:([0-9]++)|(" + _NAME + r"))))|(?P<s>" + _IGNORED + r"++)|(?P<x>.)", re.DOTALL)
_NAME_GROUP, _ARGS_GROUP, _COUNT_NUMBER, _COUNT_NAME = 3, 4, 8, 9
# inside an argument list: a name, digits, the punctuation of the subset (a ',' '=' '+' '*'), spaces
_ARG_TOKEN = re.compile(r"(?:[ \t\f\n]++|\r\n)++|(" + _NAME + r")|([0-9]++)|([,=+*])|(.)", re.DOTALL)
_NEWLINE = re.compile("\n")
_TAIL = re.compile(r"(?:[ \t\f\r\n]++|#[^\n]*+)*+")
_MAX_PLAIN_OPS = 64      # longer sums are left to the general path (whose recursion limits they may meet)
_MAX_DEPTH = 100         # parenthesised chains nested deeper are left to the full checks and lark


class _Bail(Exception):
    """The direct route cannot build this text exactly as the tree route would: that route takes it."""


def parse_architecture(content: str, text: str, filename: str):
    """The ``graph.Architecture`` of ``content`` (``text`` cut after its last line, as graph.parse
    cuts it), built in one pass from the scan, or None: the tree route (``parse_tree`` and
    ``graph._Builder``, or lark) then parses the text and reports any error.

    It gives an architecture only when the tree route would give the same one without an error,
    and only for text within graph.parse's limits (tokens, nesting), so that graph.parse skips
    those scans: anything it is not sure of (an unknown name, a size that is not a sum of products
    of positive literals and names, a missing argument, ...) is None."""
    if len(text) != len(content) and not _TAIL.fullmatch(text, len(content)):
        return None                    # the limits are checked on ``text``: its tail must hold no tokens
    direct = _Direct(content, text, filename)
    try:
        return direct.run()
    except (_Bail, RecursionError):
        direct.protos.gens.forget()
        return None


class _Direct:
    """One pass over the scan: blocks and repeats by recursive descent, layers from the prototype
    of their (name, argument text), positions from the scan's offsets."""

    def __init__(self, content, text, filename):
        from . import graph
        self.g = graph
        self.content, self.text, self.filename = content, text, filename
        self.protos = _Prototypes(graph)
        self.next_id = 0
        self.newlines = [m.start() for m in _NEWLINE.finditer(content)] if "\n" in content else None

    def run(self):
        g = self.g
        kinds, matches, close = [], [], {}
        opens = []
        tokens = 0
        for m in _SCAN_LAYERS.finditer(self.content):
            kind = m.lastgroup
            if kind == "s":
                continue
            if kind == "x":
                raise _Bail
            if kind == "o":
                opens.append(len(kinds))
                if len(opens) > _MAX_DEPTH:
                    raise _Bail
            elif kind == "c":
                if not opens:
                    raise _Bail
                close[opens.pop()] = len(kinds)
            kinds.append(kind)
            matches.append(m)
        if opens:
            raise _Bail
        kinds.append("end")
        self.kinds, self.matches, self.close = kinds, matches, close
        items, i = self.chain(0, 1, 0)
        if kinds[i] != "end":
            raise _Bail
        # graph.parse's token limit, never reached here: the scan's tokens outnumber its token
        # regex's matches (which merge adjacent names and digits)
        if self.tokens() > g.MAX_TOKENS:
            raise _Bail
        first = items[0]
        if isinstance(first, g.Repeat) or first.kind.name != "input":
            raise _Bail           # an error: the tree route says which, with its position
        # the sizes' polynomials go with the architecture: counting it starts from them
        return g.Architecture(self.text, self.filename, items, generators=self.protos.gens)

    def tokens(self) -> int:
        n = 0
        for kind, m in zip(self.kinds, self.matches):
            if kind == "L":
                n += 1 if m.group(_ARGS_GROUP) is None else self.protos.tokens(m) + 3   # name ( ... )
            else:
                n += 2 if kind == "r" else 1
        return n

    def where(self, pos):
        """(line, column) of a text offset, as lark counts them."""
        nls = self.newlines
        if nls is None:
            return 1, pos + 1
        line = bisect_left(nls, pos)
        return line + 1, pos - nls[line - 1] if line else pos + 1

    def span(self, start, end):
        """graph.SourceSpan of the text from ``start`` to ``end``: its length on one line, else 1."""
        line, col = self.where(start)
        nls = self.newlines
        same = nls is None or bisect_left(nls, end - 1) == line - 1
        return self.g.SourceSpan(line, col, max(1, end - start) if same else 1)

    def chain(self, i, multiplicity, nesting):
        items = []
        kinds = self.kinds
        while True:
            i = self.block(i, items, multiplicity, nesting)
            if kinds[i] != "a":
                return items, i
            i += 1

    def block(self, i, items, multiplicity, nesting):
        """Append the block at token ``i`` to ``items`` (graph._Builder.block); the next token's index."""
        kind = self.kinds[i]
        if kind == "L":
            if self.kinds[i + 1] != "r":
                items.append(self.layer(self.matches[i], multiplicity))
                return i + 1
            end = i + 1
        elif kind == "o":
            end = self.close[i]
            if self.kinds[end + 1] != "r":
                body, j = self.chain(i + 1, multiplicity, nesting)
                if j != end:
                    raise _Bail
                items.extend(body)
                return end + 1
            end += 1
        else:
            raise _Bail
        # a repeat: its count first (the body's layers carry it in their multiplicity)
        if nesting + 1 > self.g.MAX_REPEAT_NESTING:
            raise _Bail
        rep = self.matches[end]
        count = self.repeat_count(rep)
        if kind == "L":
            body = [self.layer(self.matches[i], multiplicity * count)]
        else:
            body, j = self.chain(i + 1, multiplicity * count, nesting + 1)
            if j != end - 1:
                raise _Bail
        start = self.matches[i].start(_NAME_GROUP) if kind == "L" else self.matches[i].end() - 1
        items.append(self.g.Repeat(body, count, self.span(start, rep.end())))
        return end + 1

    def repeat_count(self, m):
        digits, name = m.group(_COUNT_NUMBER, _COUNT_NAME)
        gens = self.protos.gens
        poly = self.g.plain_number(digits, gens) if digits is not None else self.g.plain_symbol(name, gens)
        if poly is None:
            raise _Bail
        return gens.as_sympy(poly)

    def layer(self, m, multiplicity):
        name, args = m.group(_NAME_GROUP, _ARGS_GROUP)
        proto = self.protos.get(name, args)
        start = m.start(_NAME_GROUP)
        self.next_id += 1
        spans = {}
        if proto.option_offsets:
            base = m.start(_ARGS_GROUP)
            for key, offset in proto.option_offsets:
                line, col = self.where(base + offset)
                spans[key] = self.g.SourceSpan(line, col, len(key))
        return self.g.Layer(self.next_id, proto.kind, self.span(start, m.end()), proto.size, proto.activation,
                            dict(proto.options), multiplicity, spans)


class _Proto:
    """What a layer's name and argument text give, wherever they stand (graph._Builder.layer);
    ``size_tokens``/``size_options``: the tokens its sizes were read from (a template for the same
    text with other numbers, ``_Prototypes.from_template``)."""

    __slots__ = ("kind", "size", "activation", "options", "option_offsets", "tokens", "size_tokens",
                 "size_options", "number_ordinals")


# (layer name, argument text with each number's digits replaced by zeros) -> the _Proto built from
# the first such text: a layer text that differs from one already read only in its numbers (every
# new width of a numeric chain) reuses its reading and reads only its sizes again. Shared across
# parses: a prototype holds no state of one parse (its sizes are read again with the parse's own
# generators).
_TEMPLATES: dict = {}
_TEMPLATES_MAX = 4096


_NUMBER_TOKEN = re.compile(r"(?<![A-Za-z0-9_])[0-9]++")      # a number token (never digits inside a name)


def _number_positions(args: str):
    """``args`` with the digits of each number token replaced by zeros (the same length, so every
    other token keeps its offset), and the numbers' digits in order. A name's digits are never
    touched (a name starts with a letter); a number right after "_" is not taken for one, which
    only makes that text's key its own (such a text is never a template: build refuses "_")."""
    return _NUMBER_TOKEN.sub(lambda m: "0" * len(m.group()), args), _NUMBER_TOKEN.findall(args)


def _with_digits(toks, ordinals: dict, digits: list) -> list:
    """A size's tokens with each number token's digits taken from ``digits`` (``ordinals``: token
    index -> its place among the number tokens)."""
    return [(kind, digits[ordinals[i]], i) if kind == "d" else (kind, value, i) for kind, value, i in toks]


class _Prototypes:
    """Prototypes by (name, argument text), built once per distinct pair."""

    def __init__(self, graph):
        self.g = graph
        from .classes import ACTIVATIONS, Activation
        self.activations, self.activation_type = ACTIVATIONS, Activation
        self.gens = graph.Generators()
        self.cache = {}
        self.defaults = {}

    def default_activation(self, name):
        """One (frozen) Activation per default name, shared by the layers that leave it out."""
        act = self.defaults.get(name)
        if act is None:
            act = self.defaults[name] = self.activation_type(self.activations[name])
        return act

    def get(self, name, args) -> _Proto:
        proto = self.cache.get((name, args))
        if proto is None:
            proto = self.cache[(name, args)] = self.from_template(name, args)
        return proto

    def from_template(self, name, args) -> _Proto:
        """``build(name, args)``, from the prototype of a text that differs only in its numbers
        when one was built (its sizes read again from these digits), else built and kept as one.
        Numbers matter only to the sizes (a number elsewhere fails whatever its value), so the
        result, and any failure (_Bail), are ``build``'s."""
        if args is None:
            return self.build(name, args)
        shape, digits = _number_positions(args)
        key = (name, shape)
        template = _TEMPLATES.get(key)
        if template is None:
            proto = self.build(name, args)
            if len(_TEMPLATES) >= _TEMPLATES_MAX:
                _TEMPLATES.clear()
            _TEMPLATES[key] = proto
            return proto
        ordinals = template.number_ordinals
        if len(digits) != len(ordinals):
            return self.build(name, args)      # (cannot happen: the same key, the same numbers)
        proto = _Proto()
        proto.kind, proto.activation = template.kind, template.activation
        proto.option_offsets, proto.tokens = template.option_offsets, template.tokens
        proto.size_tokens, proto.size_options = template.size_tokens, template.size_options
        proto.number_ordinals = ordinals
        proto.size = None if template.size_tokens is None else \
            self.size(_with_digits(template.size_tokens, ordinals, digits))
        proto.options = dict(template.options)
        for key_, toks in template.size_options:
            proto.options[key_] = self.size(_with_digits(toks, ordinals, digits))
        return proto

    def tokens(self, m) -> int:
        return self.get(*m.group(_NAME_GROUP, _ARGS_GROUP)).tokens

    def build(self, name, args) -> _Proto:
        g = self.g
        kind = g.LAYERS.get(name)
        if kind is None:
            raise _Bail
        toks = []                      # (kind, value, index): kind 'n' name, 'd' digits, or the punctuation
        if args is not None:
            for nm, digits, punct, other in _ARG_TOKEN.findall(args):     # a space matches no group
                if nm:
                    toks.append(("n", nm, len(toks)))
                elif digits:
                    toks.append(("d", digits, len(toks)))
                elif punct:
                    toks.append((punct, punct, len(toks)))
                elif other:
                    raise _Bail
        arguments = []
        if toks:
            current = []
            for tok in toks:
                if tok[0] == ",":
                    arguments.append(current)
                    current = []
                else:
                    current.append(tok)
            arguments.append(current)
        positional, options = [], []
        for arg in arguments:
            if len(arg) >= 2 and arg[0][0] == "n" and arg[1][0] == "=":
                options.append(arg)
            else:
                positional.append(arg)
        if len(positional) != len(kind.positional):
            raise _Bail
        proto = _Proto()
        proto.kind, proto.size, proto.activation = kind, None, None
        proto.options, proto.option_offsets = {}, []
        proto.tokens = len(toks)
        proto.size_tokens, proto.size_options = None, []
        numbers = [tok[2] for tok in toks if tok[0] == "d"]
        proto.number_ordinals = {index: k for k, index in enumerate(numbers)}
        if positional:
            proto.size = self.size(positional[0])
            proto.size_tokens = positional[0]
        if options:                    # where the option names stand (their spans)
            offsets = [t.start() for t in _ARG_TOKEN.finditer(args) if t.lastindex]
        for opt in options:
            key, value = opt[0][1], opt[2:]
            value_kind = kind.options.get(key)
            if value_kind is None or any(key == k for k, _ in proto.option_offsets):
                raise _Bail
            proto.option_offsets.append((key, offsets[opt[0][2]]))
            if value_kind == g.SIZE:
                proto.options[key] = self.size(value)
                proto.size_options.append((key, value))
                continue
            if len(value) != 1 or value[0][0] != "n":
                raise _Bail            # a word is a single name
            word = value[0][1]
            if value_kind == g.BOOL:
                if word not in ("true", "false"):
                    raise _Bail
                proto.options[key] = word == "true"
            elif value_kind == g.CONVENTION:
                if word not in g.CONVENTIONS:
                    raise _Bail
                proto.options[key] = word
            else:
                act = self.activations.get(word)
                if act is None or act.params:
                    raise _Bail
                if value_kind == g.RECURRENT_ACT:
                    proto.options[key] = self.activation_type(act, ())
                else:
                    proto.activation = self.activation_type(act, ())
        if kind.default_activation is not None and proto.activation is None:
            proto.activation = self.default_activation(kind.default_activation)
        return proto

    def size(self, toks):
        """A plain size (graph._Builder._plain_size): a sum of products of positive literals and
        names, operand by operand as the tree nests them (left to right, products first)."""
        g, gens = self.g, self.gens
        if not toks or len(toks) > 2 * _MAX_PLAIN_OPS + 1 or len(toks) % 2 == 0:
            raise _Bail
        total = product = None
        for k in range(0, len(toks), 2):
            kind, value, _ = toks[k]
            if kind == "n":
                atom = g.plain_symbol(value, gens)
            elif kind == "d":
                atom = g.plain_number(value, gens)
            else:
                raise _Bail
            if atom is None:
                raise _Bail
            op = toks[k - 1][0] if k else None
            if op == "*":
                product = g.plain_result(product * atom)
            elif op is None or op == "+":
                if op == "+":
                    total = product if total is None else g.plain_result(total + product)
                    if total is None:
                        raise _Bail
                product = atom
            else:
                raise _Bail
            if product is None:
                raise _Bail
        total = product if total is None else g.plain_result(total + product)
        if total is None or len(total.terms) > g.MAX_SIZE_TERMS:
            raise _Bail
        return gens.as_sympy(total)
