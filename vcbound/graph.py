"""Stage 2: architecture text -> lark tree -> layer structure (and a ``networkx.DiGraph`` on demand).

In: architecture text (chain form, see DESIGN.md) and a file name for messages.
Out: an ``Architecture``: the source, a nested *structure* (layers and symbolic repeats, in order)
and a ``networkx.DiGraph`` with one node per layer. A repeated block ``lstm(n)^L`` stays one node
with ``multiplicity`` L (never L copies); edges carry data flow, and a ``repeat`` edge closes each
repeated block.

Layer, activation and option names are checked here against the tables below (data, not
if-chains), so every semantic error points at its own span with a "did you mean".
"""
from __future__ import annotations

from .presentation import brief_repr

import gc
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Union

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedInput

from .classes import ACTIVATIONS, Activation
from .errors import ArchSemanticError, ArchSyntaxError, ExpressionError, did_you_mean, shown
from .fastparse import parse_architecture, parse_tree
from .expressions import (FUNCTIONS, MAX_TEXT, ExprBuilder, _sympy, check_nesting, expanded_size, make_symbol,
                          syntax_error)
from .polys import Generators
from .paths import grammar_dir

CONVENTIONS = ("torch", "keras", "textbook")
MAX_TOKENS = 150_000     # larger inputs are refused up front (a 10,000-layer chain has ~50,000 tokens)
MAX_SIZE_TERMS = 8      # a size such as (n + 1)^2 is fine; one that multiplies out to more terms is refused
_PLAIN_LIMIT = 10 ** 18   # coefficients of a plain size (graph._Builder._plain_size) stay below this
MAX_REPEAT_NESTING = 8   # each nesting level doubles the counting walk; deeper nesting is refused

# value kinds an option can take
SIZE, BOOL, ACT, CONVENTION = "size", "bool", "activation", "convention"
RECURRENT_ACT = "recurrent activation"   # an activation kept in options (the gates' activation of a cell)


@dataclass(frozen=True)
class LayerKind:
    """A layer the language knows: its positional arguments and the options it accepts."""

    name: str
    positional: tuple[str, ...]
    options: dict
    recurrent: bool = False
    gated: bool = False
    default_activation: str | None = None


LAYERS: dict[str, LayerKind] = {k.name: k for k in [
    LayerKind("input", ("dim",), {"seq": SIZE}),
    LayerKind("dense", ("width",), {"act": ACT, "bias": BOOL, "convention": CONVENTION}, default_activation="linear"),
    LayerKind("rnn", ("width",), {"act": ACT, "bias": BOOL, "convention": CONVENTION, "bidirectional": BOOL},
              recurrent=True, default_activation="tanh"),
    # act= / recurrent_act= are Keras's activation= / recurrent_activation= (torch's cells have neither;
    # quantities.py rejects them under the torch convention, where the convention is known)
    LayerKind("lstm", ("width",), {"bias": BOOL, "convention": CONVENTION, "bidirectional": BOOL, "proj": SIZE,
                                   "act": ACT, "recurrent_act": RECURRENT_ACT}, recurrent=True, gated=True),
    LayerKind("gru", ("width",), {"bias": BOOL, "convention": CONVENTION, "bidirectional": BOOL,
                                  "reset_after": BOOL, "act": ACT, "recurrent_act": RECURRENT_ACT},
              recurrent=True, gated=True),
    LayerKind("last", (), {}),
]}

OPTION_NAMES = sorted({o for k in LAYERS.values() for o in k.options})


@dataclass(frozen=True)
class SourceSpan:
    line: int
    column: int
    length: int = 1

    def __str__(self) -> str:
        return f"{self.line}:{self.column}"


@dataclass
class Layer:
    """One layer as written: kind, sizes (sympy), activation, options, and where it stands."""

    __repr__ = brief_repr("kind.name", "size", "multiplicity")

    id: int
    kind: LayerKind
    span: SourceSpan
    size: object = None                    # width, or input dimension for `input`
    activation: Activation | None = None
    options: dict = field(default_factory=dict)
    multiplicity: object = 1               # product of enclosing repeat counts
    option_spans: dict = field(default_factory=dict)   # option name -> SourceSpan of its name

    @property
    def recurrent_activation(self):
        """The gates' activation of a gated cell (Keras recurrent_activation), if written."""
        return self.options.get("recurrent_act")

    @property
    def name(self) -> str:
        return self.kind.name

    def option(self, name, default=None):
        return self.options.get(name, default)

    def label(self) -> str:
        parts = [] if self.size is None else [str(self.size)]
        if self.activation is not None and (self.kind.default_activation is not None or self.kind.gated):
            parts.append(f"act={self.activation}")
        for k, v in self.options.items():
            parts.append(f"{k}={str(v).lower() if isinstance(v, bool) else v}")
        return f"{self.name}({', '.join(parts)})" if parts else self.name


@dataclass
class Repeat:
    """``block^count``: the body runs ``count`` times; the first run sees the preceding width."""

    body: list
    count: object
    span: SourceSpan


Item = Union[Layer, Repeat]


@dataclass
class Architecture:
    """A parsed architecture: text, nested structure, and the graph made from them when first asked
    for (nothing on the way from text to a bound needs it, and importing networkx costs a tenth of a
    second on a cold start)."""

    __repr__ = brief_repr("text", "filename", width=100)

    text: str
    filename: str
    structure: list
    # polys.Generators holding the sizes as polynomials, when the parser built them (fastparse's
    # direct route); quantities.count starts from them instead of converting every size again
    generators: object = field(default=None, repr=False, compare=False)

    @cached_property
    def graph(self):
        """A ``networkx.DiGraph``: one node per layer (a repeated block is one node with its
        multiplicity), ``data`` edges in order and a ``repeat`` edge closing each repeated block."""
        import networkx as nx
        graph = nx.DiGraph()
        _add_to_graph(graph, self.structure, previous=None)
        return graph

    @property
    def layers(self) -> list[Layer]:
        """The layers in order (the graph's nodes)."""
        return list(self._layers)

    @cached_property
    def _layers(self) -> list[Layer]:
        # a loop, not a recursive inner function: that function's closure cell referred to itself and
        # kept the list alive in a reference cycle, so every parsed architecture (its layers, spans
        # and counts) waited for the cyclic collector (0.6 s for a 10,000-layer chain)
        out = []
        stack = [iter(self.structure)]
        while stack:
            item = next(stack[-1], None)
            if item is None:
                stack.pop()
            elif isinstance(item, Layer):
                out.append(item)
            else:
                stack.append(iter(item.body))
        return out

    def error(self, message: str, span: SourceSpan) -> ArchSemanticError:
        return ArchSemanticError(message, self.text, span.line, span.column, span.length, self.filename)

    def __str__(self) -> str:
        return self.text.strip()


@cache
def arch_parser() -> Lark:
    """The LALR parser for ``grammar/arch.lark`` (built once; lark caches the tables on disk)."""
    return Lark.open(str(grammar_dir() / "arch.lark"), parser="lalr", propagate_positions=True,
                     maybe_placeholders=False, cache=True)


def as_architecture(text_or_arch, filename: str = "<arch>") -> Architecture:
    """Parse architecture text (an ``Architecture`` is returned unchanged)."""
    if isinstance(text_or_arch, Architecture):
        return text_or_arch
    return parse(text_or_arch, filename)


def parse(text: str, filename: str = "<arch>") -> Architecture:
    """Parse architecture text into an ``Architecture`` (structure; its networkx graph on demand).

    >>> arch = parse("input(d, seq=T) -> lstm(n)^L -> last -> dense(1, act=sigmoid)")
    >>> [layer.name for layer in arch.layers]
    ['input', 'lstm', 'last', 'dense']
    >>> arch.layers[1].multiplicity
    L

    Raises ``ArchSyntaxError`` / ``ArchSemanticError`` (both ``VcboundError``) with
    ``file:line:col``, the source line and a caret.
    """
    if not isinstance(text, str):
        raise ArchSyntaxError(f"expected architecture text, got {type(text).__name__}", "", 0, 0, 1, filename)
    if len(text) > MAX_TEXT:
        raise ArchSyntaxError(f"architecture too long ({len(text)} characters; at most {MAX_TEXT})",
                              "", 0, 0, 1, filename)
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        col = text.index("\x00") - (text.rfind("\n", 0, text.index("\x00")) + 1) + 1
        raise ArchSyntaxError("NUL byte in input", text, line, col, 1, filename)
    if not text.split("#")[0].strip() and not any(
            ln.split("#", 1)[0].strip() for ln in text.splitlines()):
        raise ArchSyntaxError("empty architecture (expected e.g. 'input(d) -> dense(1)')", text, 1, 1, 1, filename)
    content = _without_trailing_blank(text)
    with without_cyclic_gc():
        # the common subset, valid and within the limits below: layers straight from the scan
        arch = parse_architecture(content, text, filename)
    if arch is not None:
        return arch
    _check_token_count(text, filename)
    try:
        check_nesting(text, filename)
    except ExpressionError as exc:
        raise ArchSyntaxError(exc.message, text, exc.line, exc.column, exc.length, filename) from None
    with without_cyclic_gc():
        tree = parse_tree(content)        # the common subset as a lark tree (its errors are the builder's)
        if tree is None:
            try:
                tree = arch_parser().parse(content)
            except UnexpectedInput as exc:
                raise syntax_error(exc, content, filename, ArchSyntaxError) from None
        arch = _Builder(text, filename).build(tree)
        del tree      # freed while the collector is paused: it would scan the whole tree once on resuming
    return arch


@contextmanager
def without_cyclic_gc():
    """Run a block with the cyclic garbage collector paused. Parsing and counting build many small
    acyclic objects (tree nodes, layers, polynomial terms); the collector would rescan all of them
    again and again while they are built (a third to a half of the time of a 10,000-layer chain).
    Refcounting frees them; the collector runs again afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_TOKEN = re.compile(r"#[^\n]*|[A-Za-z0-9_.]+|->|\*\*|[^\s#]")


def _check_token_count(text: str, filename: str) -> None:
    """Refuse more than MAX_TOKENS tokens before the parser spends seconds on them."""
    n = 0
    for m in _TOKEN.finditer(text):
        if m.group().startswith("#"):
            continue
        n += 1
        if n > MAX_TOKENS:
            i = m.start()
            line = text.count("\n", 0, i) + 1
            col = i - (text.rfind("\n", 0, i) + 1) + 1
            raise ArchSyntaxError(f"architecture too large: more than {MAX_TOKENS} tokens "
                                  f"(write a repeated stack as block^L)", text, line, col, len(m.group()), filename)


def _without_trailing_blank(text: str) -> str:
    """``text`` cut after its last line with content (comments do not count).

    The LALR grammar needs two tokens of lookahead to tell a trailing new line from a new line
    before ``->``; it always takes the latter, so a file ending in a new line (or in comment lines)
    would fail with "unexpected end of input". Cutting keeps every line and column unchanged.
    """
    lines = text.split("\n")
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].split("#", 1)[0].strip():
            return "\n".join(lines[:i] + [lines[i].rstrip("\r")])
    return text


class _Builder:
    """Walks the lark tree; checks names, sizes and options; builds structure and graph."""

    def __init__(self, text: str, filename: str):
        self.text = text
        self.filename = filename
        self.next_id = 0
        self.sizes = ExprBuilder(text, filename, integer_symbols=True, allow_functions=False)
        self._gens = Generators()

    def error(self, message, where, length=None) -> ArchSemanticError:
        span = self.span(where, length)
        return ArchSemanticError(message, self.text, span.line, span.column, span.length, self.filename)

    @staticmethod
    def span(where, length=None) -> SourceSpan:
        meta = getattr(where, "meta", where)
        line = getattr(meta, "line", 1) or 1
        col = getattr(meta, "column", 1) or 1
        if length is None:
            end_line = getattr(meta, "end_line", line)
            end_col = getattr(meta, "end_column", col + 1)
            length = (end_col - col) if end_line == line else 1
        return SourceSpan(line, col, max(1, length))

    def build(self, tree: Tree) -> Architecture:
        try:
            return self._build(tree)
        finally:
            # the plain sizes' memo refers to Polys that refer back to it: a reference cycle that
            # would keep them for the cyclic collector
            self._gens.forget()

    def _build(self, tree: Tree) -> Architecture:
        (chain,) = [c for c in tree.children if isinstance(c, Tree)]
        structure = self.chain(chain, multiplicity=1, nesting=0)
        arch = Architecture(self.text, self.filename, structure)
        first = _first_layer(structure)
        if first.name != "input":
            raise self.error(f"an architecture starts with input(...), not '{first.name}'", first.span,
                             first.span.length)
        if isinstance(structure[0], Repeat):
            # (the counter would find no width before its first layer: it crashed on this)
            raise self.error("input(...) starts the architecture once: it cannot be repeated", first.span,
                             first.span.length)
        return arch

    def chain(self, chain: Tree, multiplicity, nesting) -> list:
        items = []
        for child in chain.children:
            if isinstance(child, Token):       # the kept ARROW tokens
                continue
            items.extend(self.block(child, multiplicity, nesting))
        return items

    def block(self, node: Tree, multiplicity, nesting) -> list:
        if node.data == "repeat":
            body_node, count_node = node.children
            if nesting + 1 > MAX_REPEAT_NESTING:
                raise self.error(f"repetition nested more than {MAX_REPEAT_NESTING} deep", node)
            count = self.size(count_node, "repeat count")
            body = self.block(body_node, multiplicity * count, nesting + 1)
            return [Repeat(body, count, self.span(node))]
        if node.data == "chain":
            return self.chain(node, multiplicity, nesting)
        return [self.layer(node, multiplicity)]

    def size(self, node, what: str):
        """A size expression: a positive integer, a symbol, or arithmetic in them."""
        if isinstance(node, Tree) and node.data.endswith("number"):     # fast path: a plain literal like 64
            digits = str(node.children[0])
            if digits.isdigit() and len(digits) <= 18 and int(digits) > 0:
                return _sympy().Integer(int(digits))
        plain = self._plain_size(node)
        if plain is not None:
            return plain
        try:
            value = self.sizes.transform(node) if isinstance(node, Tree) else self.sizes.transform(Tree("symbol", [node]))
        except RecursionError:
            raise self.error(f"{what} expression is too long or nested too deeply", node) from None
        if isinstance(value, ExpressionError):
            raise value
        if not value.is_number and _terms_after_expansion(value) > MAX_SIZE_TERMS:
            # every count multiplies sizes out: (n + d)^1000 would take seconds, and its bounds far longer
            raise self.error(f"{what} expression too complex: it multiplies out to more than "
                             f"{MAX_SIZE_TERMS} terms", node)
        if value.is_number:
            if not value.is_Integer:
                raise self.error(f"{what} must be a positive integer, got {value}", node)
            if value <= 0:
                raise self.error(f"{what} must be positive, got {value}", node)
        else:
            if value.is_integer is not True:
                raise self.error(f"{what} must be an integer; '{value}' may not be", node)
            if value.is_positive is False or value.is_nonpositive:
                raise self.error(f"{what} must be positive; '{value}' is not", node)
        return value

    def _plain_size(self, node):
        """A size written as sums and products of positive integer literals and names (``n0 + k``,
        ``4*n + 1``): a positive integer by construction, so sympy's assumption system is not asked;
        built as a polynomial and handed to sympy in the canonical form sympy's own arithmetic gives
        (a flat sum of products is already multiplied out). None for anything else (the general path
        below judges it and raises its errors)."""
        try:
            poly = self._plain_poly(node)
        except RecursionError:            # a sum of thousands of terms: the general path refuses it
            return None
        if poly is None or len(poly.terms) > MAX_SIZE_TERMS:
            return None
        return poly.expr()

    def _plain_poly(self, node):
        if not isinstance(node, Tree):
            return None
        rule = node.data.rsplit("__", 1)[-1]
        if rule in ("add", "mul"):
            a, b = (self._plain_poly(c) for c in node.children)
            if a is None or b is None:
                return None
            return plain_result(a + b if rule == "add" else a * b)
        if rule == "number":
            return plain_number(str(node.children[0]), self._gens)
        if rule == "symbol":
            return plain_symbol(str(node.children[0]), self._gens)
        return None

    def layer(self, node: Tree, multiplicity) -> Layer:
        name_tok = node.children[0]
        name = str(name_tok)
        kind = LAYERS.get(name)
        if kind is None:
            if name in ACTIVATIONS:
                raise self.error(f"'{name}' is an activation, not a layer; write dense(n, act={name})", name_tok,
                                 len(name))
            raise self.error(f"unknown layer '{shown(name)}' {did_you_mean(name, LAYERS, 'layer')}", name_tok, len(name))
        args = node.children[1].children if len(node.children) > 1 else []
        positional = [a for a in args if a.data == "positional"]
        options = [a for a in args if a.data == "option"]
        self.next_id += 1
        layer = Layer(self.next_id, kind, self.span(node), multiplicity=multiplicity)
        if len(positional) < len(kind.positional):
            missing = kind.positional[len(positional)]
            raise self.error(f"{name}() is missing its {missing} argument (e.g. {name}(n))", node)
        if len(positional) > len(kind.positional):
            extra = positional[len(kind.positional)]
            raise self.error(f"{name}() takes {len(kind.positional) or 'no'} positional argument"
                             f"{'s' if len(kind.positional) != 1 else ''}, got {len(positional)}", extra)
        if positional:
            layer.size = self.size(positional[0].children[0], "input dimension" if name == "input" else "width")
        seen = {}
        for opt in options:
            key_tok, value_node = opt.children
            key = str(key_tok)
            if key not in kind.options:
                if key in OPTION_NAMES:
                    msg = f"option '{key}' is not allowed for {name} (allowed: {', '.join(sorted(kind.options)) or 'none'})"
                else:
                    msg = f"unknown option '{shown(key)}' {did_you_mean(key, kind.options or OPTION_NAMES, 'option')}"
                raise self.error(msg, key_tok, len(key))
            if key in seen:
                raise self.error(f"option '{key}' given twice", key_tok, len(key))
            seen[key] = True
            layer.option_spans[key] = self.span(key_tok, len(key))
            self.option(layer, key, kind.options[key], value_node)
        if kind.default_activation is not None and layer.activation is None:
            layer.activation = Activation(ACTIVATIONS[kind.default_activation])
        return layer

    def option(self, layer: Layer, key: str, value_kind: str, node):
        if value_kind == SIZE:
            layer.options[key] = self.size(node, key)
        elif value_kind == BOOL:
            word = self._word(node, key)
            if word not in ("true", "false"):
                raise self.error(f"{key} must be true or false, got '{shown(word)}'", node)
            layer.options[key] = word == "true"
        elif value_kind == CONVENTION:
            word = self._word(node, key)
            if word not in CONVENTIONS:
                raise self.error(f"unknown convention '{shown(word)}' {did_you_mean(word, CONVENTIONS, 'convention')}", node)
            layer.options[key] = word
        elif value_kind == RECURRENT_ACT:
            layer.options[key] = self.activation(node)
        else:
            layer.activation = self.activation(node)

    def _word(self, node, key) -> str:
        if isinstance(node, Tree) and node.data.endswith("symbol"):
            return str(node.children[0])
        raise self.error(f"{key} expects a name here", node)

    def activation(self, node) -> Activation:
        if isinstance(node, Tree) and node.data.endswith("symbol"):
            name_tok, arg_nodes = node.children[0], []
        elif isinstance(node, Tree) and node.data.endswith("call"):
            name_tok, *arg_nodes = node.children
        else:
            raise self.error("expected an activation name, e.g. act=relu", node)
        name = str(name_tok)
        kind = ACTIVATIONS.get(name)
        if kind is None:
            raise self.error(f"unknown activation '{shown(name)}' {did_you_mean(name, ACTIVATIONS, 'activation')}",
                             name_tok, len(name))
        if len(arg_nodes) != len(kind.params):
            want = ", ".join(kind.params)
            usage = f"{name}({want})" if want else name
            raise self.error(f"activation {name} takes {len(kind.params) or 'no'} argument"
                             f"{'s' if len(kind.params) != 1 else ''}: write {usage}", node)
        args = tuple(self.size(a, f"{name} {p}") for a, p in zip(arg_nodes, kind.params))
        return Activation(kind, args)


def plain_number(digits: str, gens: Generators):
    """A literal of a plain size (``_Builder._plain_size``) as a Poly: a positive integer of at most
    18 digits, else None (the general path judges it)."""
    if digits.isdigit() and len(digits) <= 18 and int(digits) > 0:
        return gens.poly(int(digits))
    return None


def plain_symbol(name: str, gens: Generators):
    """A name in a plain size as a Poly over its integer symbol; None for the names the general
    path reads otherwise (constants, functions, reserved spellings)."""
    if name.startswith("_") or "__" in name or name in ("e", "pi") or name in FUNCTIONS:
        return None
    return gens.poly(make_symbol(name, integer=True))


def plain_result(poly):
    """A sum or product in a plain size, or None when a coefficient is large: large numbers are the
    general path's to judge (its digit limits and messages)."""
    return poly if all(abs(c) < _PLAIN_LIMIT for c in poly.terms.values()) else None


def _add_to_graph(graph, items, previous):
    """Add ``items`` (layers and repeats) to ``graph`` after node ``previous``; (first, last) node."""
    first_in_block = None
    for item in items:
        if isinstance(item, Layer):
            graph.add_node(item.id, layer=item, kind=item.name, width=item.size,
                           activation=str(item.activation) if item.activation else None,
                           classes=sorted(item.activation.classes) if item.activation else [],
                           convention=item.option("convention"), multiplicity=item.multiplicity,
                           span=item.span)
            if previous is not None:
                graph.add_edge(previous, item.id, kind="data")
            first_in_block = item.id if first_in_block is None else first_in_block
            previous = item.id
        else:
            start, end = _add_to_graph(graph, item.body, previous)
            if start is not None:
                graph.add_edge(end, start, kind="repeat", count=item.count)
            first_in_block = start if first_in_block is None else first_in_block
            previous = end
    return first_in_block, previous


def _terms_after_expansion(value) -> int:
    """How many terms ``value`` multiplies out to: exact when the bound without expanding is small
    enough to expand cheaply, else that bound (``(n + d)^1000``: 1001, never expanded)."""
    estimate = expanded_size(value, 1001)
    if estimate <= MAX_SIZE_TERMS or estimate > 1000:
        return estimate
    return len(_sympy().Add.make_args(_sympy().expand(value)))


def _first_layer(items) -> Layer:
    item = items[0]
    while isinstance(item, Repeat):
        item = item.body[0]
    return item
