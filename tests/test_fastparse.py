"""vcbound.fastparse against lark: on the subset it parses, the same tree with the same positions;
everything else (and every invalid text) is left to lark.

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

from vcbound.fastparse import parse_tree
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
