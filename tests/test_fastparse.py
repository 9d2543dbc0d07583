"""vcbound.fastparse against lark: on the subset it parses, the same tree with the same positions;
everything else (and every invalid text) is left to lark. Its direct route (``parse_architecture``,
layers straight from the scan) against the tree route: the same architecture, field by field, or
no architecture and the tree route's own error.

The architectures are generated from seeds: layers (known, unknown and misspelt names), arguments
and options whose values are sums, products and quotients of numbers and names, parenthesised
chains, repeats, and spaces, new lines and comments anywhere between tokens; some carry what the
subset leaves to lark (powers, calls, signs, parenthesised sizes) and some are corrupted.
"""
from __future__ import annotations

import random

import pytest
from lark import Token, Tree
from lark.exceptions import UnexpectedInput

from vcbound.fastparse import parse_architecture, parse_tree
from vcbound.graph import arch_parser, parse
from vcbound.errors import ArchSyntaxError, VcboundError

NAMES = ["input", "dense", "lstm", "gru", "rnn", "last", "relu", "dens", "n", "T", "x_1", "Ab9"]
KEYS = ["act", "bias", "seq", "proj", "convention", "bidirectional", "reset_after", "recurrent_act", "foo"]
OUTSIDE = ["n^2", "-n", "log(n)", "(n + 1)", "2**n", "n ^ 2", "+n"]


def _gap(rng) -> str:
    return rng.choice(["", "", " ", "  ", "\n", " \r\n  ", "\t", " # note\n", "\n\n", "\f"])


def _size(rng, inside: bool) -> str:
    atoms = [rng.choice(["1", "7", "64", "0", "2.5", "1e3", "n", "d", "h2", "k", "T", "true", "relu"])
             for _ in range(rng.randint(1, 3))]
    if not inside and rng.random() < 0.5:
        atoms[rng.randrange(len(atoms))] = rng.choice(OUTSIDE)
    text = atoms[0]
    for a in atoms[1:]:
        text += _gap(rng) + rng.choice("+-*/") + _gap(rng) + a
    return text


def _layer(rng, inside: bool) -> str:
    name = rng.choice(NAMES)
    if rng.random() < 0.2:
        return name
    args = []
    for _ in range(rng.randint(0, 3)):
        if rng.random() < 0.5:
            args.append(_size(rng, inside))
        else:
            args.append(rng.choice(KEYS) + _gap(rng) + "=" + _gap(rng) + _size(rng, inside))
    return name + _gap(rng) + "(" + _gap(rng) + ("," + _gap(rng)).join(args) + _gap(rng) + ")"


def _chain(rng, inside: bool, depth: int = 0) -> str:
    blocks = []
    for _ in range(rng.randint(1, 4)):
        if depth < 3 and rng.random() < 0.25:
            block = "(" + _gap(rng) + _chain(rng, inside, depth + 1) + _gap(rng) + ")"
        else:
            block = _layer(rng, inside)
        if rng.random() < 0.3:
            count = rng.choice(["3", "L", "12"] if inside else ["(L + 1)", "3", "L"])
            block += _gap(rng) + "^" + _gap(rng) + count
        blocks.append(block)
    return (_gap(rng) + "->" + _gap(rng)).join(blocks)


def _corrupt(rng, text: str) -> str:
    i = rng.randrange(len(text) + 1)
    return rng.choice([text[:i] + text[i + 1:], text[:i] + rng.choice("()->,=^*\r@") + text[i:],
                       text[:i] + "\n" + text[i:]])


def _same(fast, slow, path="start"):
    """Assert ``fast`` is ``slow``: node kinds, rule names, token types and values, and every position."""
    assert type(fast) is type(slow), path
    if isinstance(slow, Token):
        assert (fast.type, str(fast)) == (slow.type, str(slow)), path
        for attr in ("line", "column", "end_line", "end_column", "start_pos", "end_pos"):
            assert getattr(fast, attr) == getattr(slow, attr), f"{path}: {attr} of {slow!r}"
        return
    assert fast.data == slow.data, path
    for attr in ("line", "column", "end_line", "end_column", "start_pos", "end_pos"):
        assert getattr(fast.meta, attr) == getattr(slow.meta, attr), f"{path}: {attr} of {slow.data}"
    assert len(fast.children) == len(slow.children), path
    for k, (f, s) in enumerate(zip(fast.children, slow.children)):
        _same(f, s, f"{path}/{slow.data}[{k}]")


def _lark(text):
    try:
        return arch_parser().parse(text)
    except UnexpectedInput:
        return None


@pytest.mark.parametrize("seed", range(400))
def test_same_tree_as_lark_on_the_subset(seed):
    rng = random.Random(seed)
    text = _chain(rng, inside=True).rstrip("\n\r \t\f#")
    fast = parse_tree(text)
    slow = _lark(text)
    assert slow is not None, text       # the generator writes valid syntax here
    assert fast is not None, text       # ... inside the subset
    _same(fast, slow)


@pytest.mark.parametrize("seed", range(400))
def test_leaves_to_lark_what_it_does_not_parse_exactly(seed):
    """Outside the subset or invalid: None (lark's turn); whenever it does give a tree, it is lark's."""
    rng = random.Random(10_000 + seed)
    text = _chain(rng, inside=rng.random() < 0.3)
    if rng.random() < 0.6:
        text = _corrupt(rng, text)
    text = text.rstrip("\n\r \t\f#")
    fast = parse_tree(text)
    slow = _lark(text)
    if slow is None:
        assert fast is None, text
    elif fast is not None:
        _same(fast, slow)


def test_the_subset_is_what_long_chains_are_written_in():
    text = "input(d, seq=T) -> (lstm(n, bias=false) -> dense(n0 + 2*k))^L -> last -> dense(1, act=sigmoid)"
    assert parse_tree(text) is not None
    assert parse_tree("input(d) -> dense(n^2)") is None          # a power: lark's
    assert parse_tree("input(d) -> dense(log(n))") is None       # a call: lark's


@pytest.mark.parametrize("text", [
    "input(d) -> dense(n) ->", "input(d) dense(n)", "input(d) -> dense(n,)", "input(d) -> dense(n))",
    "input(d) -> (dense(n)", "input(d) -> dense(n)^", "input(d) -> dense(=n)", "input(d) -> dense(n)\r-> last",
])
def test_syntax_errors_are_lark_s(text):
    """Invalid texts never take the fast path; the error and its position come from lark as before."""
    assert parse_tree(text) is None
    with pytest.raises(ArchSyntaxError):
        parse(text)


@pytest.mark.parametrize("seed", range(150))
def test_parse_gives_the_same_architecture_or_error_either_way(seed, monkeypatch):
    """Through graph.parse: the same layers, sizes, options and spans, or the same error message."""
    import vcbound.graph as graph
    rng = random.Random(20_000 + seed)
    text = "input(d, seq=T) -> " + _chain(rng, inside=True)

    def outcome():
        try:
            arch = parse(text)
        except VcboundError as exc:
            return str(exc)
        return [(l.name, str(l.size), str(l.activation), sorted((k, str(v)) for k, v in l.options.items()),
                 str(l.multiplicity), l.span) for l in arch.layers]

    fast = outcome()
    monkeypatch.setattr(graph, "parse_architecture", lambda content, text, filename: None)
    monkeypatch.setattr(graph, "parse_tree", lambda text: None)
    assert outcome() == fast


@pytest.mark.parametrize("seed", range(300))
def test_plain_sizes_are_what_sympy_arithmetic_gives(seed):
    """Sums and products of positive literals and names skip sympy's arithmetic and assumptions
    (graph._Builder._plain_size): the value is the same sympy expression, term order included."""
    import vcbound.graph as graph
    rng = random.Random(30_000 + seed)
    atoms = [rng.choice(["1", "2", "7", "64", "n", "m", "n", "k2", "d", "x_1"]) for _ in range(rng.randint(1, 6))]
    text = atoms[0] + "".join(rng.choice([" + ", "*", " * ", "+"]) + a for a in atoms[1:])
    tree = arch_parser().parse(f"input({text})")
    node = tree.children[0].children[0].children[1].children[0].children[0]     # the size expression
    builder = graph._Builder(f"input({text})", "<arch>")
    general = builder.sizes.transform(node)
    plain = builder._plain_size(node)
    if plain is None:       # more than MAX_SIZE_TERMS terms: the general path refuses it
        assert len(graph._sympy().Add.make_args(general)) > graph.MAX_SIZE_TERMS, text
        return
    assert plain == general and type(plain) is type(general), text
    assert plain.is_integer and plain.is_positive


# ---- the direct route ------------------------------------------------------------------------------
VALID_LAYERS = [
    "dense({s})", "dense({s}, act={a})", "dense({s}, bias={b}, act={a})", "dense({s}, convention=keras)",
    "rnn({s}, act={a}, bidirectional={b})", "lstm({s})", "lstm({s}, bias={b}, recurrent_act={a}, act={a})",
    "lstm({s}, proj={s}, convention=torch)", "gru({s}, reset_after={b})", "gru({s},convention=textbook)", "last",
    "last()",
]
# what the direct route leaves to the tree route: valid but outside it, or an error at some span
SPOILERS = ["dense(n - 1)", "dense(n/2)", "dense(0)", "dense(2.5)", "dense(1e3)", "dense(n^2)", "dense(e)",
            "dense(log)", "dense(n__x)", "dense(n, act=poly(2))", "dense(n, act=poly)", "dense(n, act=relux)",
            "dense(n, bias=maybe)", "dense(n, bias=true, bias=false)", "dense(n, act=relu, act=tanh)",
            "dense()", "dense(n, m)", "dense(n,)", "dense(, n)", "dense(n, seq=T)", "lstn(n)", "relu",
            "dense(n # comment\n)", "dense\n(n)", "dense(n)^(L+1)", "dense(n)^0", "dense(n)^2.5",
            "dense(1000000000000000000)", "dense(999999999*999999999*999)", "dense(a+b+c+d+e1+f+g+h+i)",
            "dense(n\r)", "dense(n) dense(m)", "dense(5n)", "dense(n)^-2", "dense(n, act=true)",
            "dense(n, convention=tf)", "dense(n, act = relu)"]


def _inner_gap(rng) -> str:
    """A gap inside an argument list (a comment there leaves the direct route)."""
    return _gap(rng).replace("# note", "")


def _size_text(rng) -> str:
    atoms = [rng.choice(["1", "7", "64", "n", "d", "h2", "k", "T", "n_1"]) for _ in range(rng.randint(1, 4))]
    return atoms[0] + "".join(_inner_gap(rng) + rng.choice("+*") + _inner_gap(rng) + a for a in atoms[1:])


def _valid_chain(rng, spoiled: list, depth=0) -> str:
    blocks = []
    for _ in range(rng.randint(1, 4)):
        if depth < 3 and rng.random() < 0.2:
            block = "(" + _gap(rng) + _valid_chain(rng, spoiled, depth + 1) + _gap(rng) + ")"
        elif rng.random() < 0.04:
            block = rng.choice(SPOILERS)
            spoiled.append(block)
        else:
            block = rng.choice(VALID_LAYERS).format(s=_size_text(rng), a=rng.choice(["relu", "tanh", "sigmoid", "sign"]),
                                                    b=rng.choice(["true", "false"]))
            block = block.replace(", ", "," + _inner_gap(rng)).replace("(", "(" + _inner_gap(rng), 1)
        if rng.random() < 0.25:
            block += _gap(rng) + "^" + rng.choice(["", " "]) + rng.choice(["3", "L", "12", "01", "M"])
        blocks.append(block)
    return (_gap(rng) + "->" + _gap(rng)).join(blocks)


def _architecture_fields(items):
    """Everything graph.parse builds, exactly: sympy values by srepr, positions, ids, options in order."""
    import sympy
    from vcbound.graph import Repeat

    def value(v):
        return (type(v).__name__, sympy.srepr(v) if isinstance(v, sympy.Basic) else repr(v))
    out = []
    for item in items:
        if isinstance(item, Repeat):
            out.append(("repeat", value(item.count), item.span, _architecture_fields(item.body)))
        else:
            out.append((item.id, item.kind, item.span, value(item.size), repr(item.activation),
                        [(k, value(v)) for k, v in item.options.items()], value(item.multiplicity),
                        list(item.option_spans.items())))
    return out


def _counts(arch):
    """Every count under every convention (or the count's error), twice over: the direct route hands
    its size polynomials to the count, which must give the same counts each time."""
    from vcbound.quantities import count
    out = []
    for convention in ("torch", "keras", "textbook", "torch"):
        try:
            q = count(arch, convention)
        except VcboundError as exc:
            out.append(str(exc))
            continue
        out.append([str(v) for v in (q.params, q.units, q.mults, q.depth, q.lbar_sum, q.lbar, q.output_dim,
                                     q.recurrent_units, q.recurrent_depth)]
                   + [(r.id, str(r.params), str(r.units), str(r.mults), str(r.output_width)) for r in q.rows])
    return out


def _outcome(text):
    try:
        arch = parse(text, "a.arch")
    except VcboundError as exc:
        return str(exc)
    return arch.text, arch.filename, _architecture_fields(arch.structure), _counts(arch)


@pytest.mark.parametrize("seed", range(300))
def test_direct_route_builds_what_the_tree_route_builds(seed, monkeypatch):
    """graph.parse with and without the direct route: the same architecture and counts, or the same
    error; and the direct route takes every text the spoilers leave alone."""
    import vcbound.graph as graph
    rng = random.Random(40_000 + seed)
    head = rng.choice(["input(d, seq=T)", "input(7,seq = T)", "input(d)", "input(n0 + 2*k)", "(input(d))"])
    spoiled = []
    text = _gap(rng) + head + _gap(rng) + "->" + _gap(rng) + _valid_chain(rng, spoiled) \
        + rng.choice(["", "\n", " # end\n\n", " "])
    direct = parse_architecture(graph._without_trailing_blank(text), text, "a.arch")
    if not spoiled:
        assert direct is not None, text
    fast = _outcome(text)
    monkeypatch.setattr(graph, "parse_architecture", lambda content, text, filename: None)
    assert _outcome(text) == fast, text
    monkeypatch.setattr(graph, "parse_tree", lambda text: None)
    assert _outcome(text) == fast, text
    if direct is not None:
        assert (direct.text, direct.filename, _architecture_fields(direct.structure), _counts(direct)) == fast


@pytest.mark.parametrize("text", [
    "input(d) -> dense(n)^1 -> dense(n)^2^3", "input(d) -> ((((((((((dense(n))^2)^2)^2)^2)^2)^2)^2)^2)^2)",
    "input(d) -> dense(n)  # trailing comment\n# and a line\n\n", "input(d) -> dense(n)\r\n-> dense(m)\r\n",
    "input(d) -> dense(n)\r-> last", "input(d) -> dense(n) ->", "input(d) -> )dense(n)(", "input(d) -> (dense(n)",
    "input(d) -> dense(n))", "input(d) -> dense(n) -> input(d)", "dense(n) -> input(d)", "input(d) -> dense(n)\x0b",
    "input(d)\n-> dense(n,\n act=relu)\n-> dense(\n 1)", "input(d) -> dense(n)\u00a0",
])
def test_direct_route_edges(text, monkeypatch):
    """Repeats of repeats, nesting past the limit, trailing comments, CRLF and a lone CR, broken
    parentheses, misplaced input layers, odd spaces: the same outcome either way."""
    import vcbound.graph as graph
    fast = _outcome(text)
    monkeypatch.setattr(graph, "parse_architecture", lambda content, text, filename: None)
    assert _outcome(text) == fast


def test_direct_route_stays_within_the_parse_limits(monkeypatch):
    """Texts past graph.parse's token and nesting limits never take the direct route (graph.parse
    skips those scans when it does)."""
    import vcbound.graph as graph
    deep = "input(d) -> " + "(" * 150 + "dense(n)" + ")" * 150
    assert parse_architecture(deep, deep, "x") is None
    monkeypatch.setattr(graph, "MAX_TOKENS", 40)
    text = "input(d) -> " + " -> ".join(["dense(n + 1, act=relu)"] * 4)        # 4 + 4 * (1 + 10) = 48 tokens
    assert parse_architecture(text, text, "x") is None
    with pytest.raises(ArchSyntaxError, match="more than 40 tokens"):
        parse(text)
    short = "input(d) -> " + " -> ".join(["dense(n + 1, act=relu)"] * 3)      # 4 + 3 * 11 = 37 tokens
    assert parse_architecture(short, short, "x") is not None


@pytest.mark.parametrize("text", [
    "input(d) " + "".join(f"-> dense(n{i} + k) " for i in range(40)),
    "input(7) " + "".join(f"-> dense({i + 3}, act=relu) " for i in range(40)) + "-> dense(1)",
    "input(d, seq=T) -> (lstm(n) -> gru(m))^L -> last -> dense(1, act=sigmoid)",
    "input(d)\n  -> ((dense(m, bias=true))^(L+1))^3  # nested\n  -> dense(1, act=sign)",
])
def test_a_counted_architecture_holds_no_reference_cycle(text):
    """Parsing and counting leave no reference cycle: the layers, spans and counts of a dropped
    architecture go with reference counting. A cycle (a closure over the Quantities stored on it, a
    recursive inner function, the polynomial memo) made the cyclic collector free them instead, a
    pass that took 0.6 s after a 10,000-layer chain."""
    import gc

    from vcbound.quantities import count
    count(parse(text))                      # first use: caches of the modules themselves
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        q = count(parse(text))
        assert q.params is not None and q.lbar is not None     # lazily built fields too
        del q
        assert gc.collect() == 0
    finally:
        if was_enabled:
            gc.enable()


@pytest.mark.parametrize("number", ["1", "0", "007", "9" * 18, "9" * 19, "12", "3"])
def test_a_layer_read_from_a_template_is_the_layer_read_afresh(number, monkeypatch):
    """A layer text that differs from one already read only in its numbers reuses that reading and
    reads its sizes again (fastparse's templates): the same architecture and counts as the tree
    route, or the same refusal, for numbers of any length, zero, leading zeros and a size too long
    for the direct route; sizes in arguments and in options (seq=, proj=) alike."""
    import vcbound.graph as graph
    shapes = ["input(5, seq = T) -> lstm({n}, proj = {n} + k) -> last -> dense({n}*h + 2, act=relu)",
              "input({n}) -> dense(n_1 + {n}, bias=false) -> dense({n}, act=sign)",
              "input(d, seq={n}) -> rnn({n}*{n}, act=relu) -> last -> dense(1)"]
    for shape in shapes:
        parse(shape.format(n="5"))                      # the template, from other numbers
        text = shape.format(n=number)
        fast = _outcome(text)
        monkeypatch.setattr(graph, "parse_architecture", lambda content, text, filename: None)
        assert _outcome(text) == fast, text
        monkeypatch.undo()


def test_new_numbers_in_a_known_layer_text_are_read_without_rebuilding_it(monkeypatch):
    """Once a layer text is read, the same text with other numbers of as many digits is built from
    its template (the prototype is not built again: the other tokens keep their offsets); a
    number of another length, and a name's digits (n1 and n2), make another text."""
    import vcbound.fastparse as fastparse
    first = parse("input(7) -> dense(12, act=relu) -> dense(n1 + 3)")
    built = []
    original = fastparse._Prototypes.build
    monkeypatch.setattr(fastparse._Prototypes, "build", lambda self, name, args: built.append(args)
                        or original(self, name, args))
    second = parse("input(8) -> dense(34, act=relu) -> dense(n2 + 4) -> dense(345, act=relu)")
    assert built == ["n2 + 4", "345, act=relu"]     # 7 -> 8, 12 -> 34 and 3 -> 4 come from templates
    assert [str(layer.size) for layer in second.layers] == ["8", "34", "n2 + 4", "345"]
    assert [str(layer.size) for layer in first.layers] == ["7", "12", "n1 + 3"]
