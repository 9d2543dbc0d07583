"""Counts through sparse polynomials (vcbound/polys.py) equal the old sympy route exactly.

The oracle, tests/count_oracle.py, is quantities.py's walker as it was before polys.py: every sum and
product in sympy, each total ``sympy.expand``-ed. Generated architectures (test_fuzz.py's grammar-aware
generator: dense and recurrent layers, every convention, bias, bidirectional, proj, nested repeats
with symbolic counts, symbolic and composite widths) and hand-picked ones with opaque pieces (``2^L``)
must give structurally equal sympy expressions (``==``, so the same terms in the same order) for every
total and every row.
"""
from __future__ import annotations

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from count_oracle import old_count
from test_fuzz import PROFILE, architecture
from vcbound.graph import parse
from vcbound.polys import Generators
from vcbound.quantities import count

TOTALS = ("params", "units", "mults", "depth", "lbar_sum", "lbar", "recurrent_units", "recurrent_depth",
          "output_dim", "output_is_sequence")


def assert_same_counts(text: str, convention: str = "torch"):
    arch = parse(text)
    new, old = count(arch, convention), old_count(arch, convention)
    for name in TOTALS:
        a, b = getattr(new, name), getattr(old, name)
        assert a == b and type(a) is type(b), f"{name} of {text!r}: {a} != {b}"
    assert [r.id for r in new.rows] == [r.id for r in old.rows]
    for r, o in zip(new.rows, old.rows):
        for name in ("params", "units", "mults", "output_width", "multiplicity", "label", "line", "column"):
            assert getattr(r, name) == getattr(o, name), f"{name} of row {r.id} in {text!r}"


@settings(PROFILE, max_examples=300)
@given(architecture(), st.sampled_from(["torch", "keras", "textbook"]))
def test_generated_architectures_count_as_the_sympy_route(arch, convention):
    text, _dim, _spec = arch
    try:
        old_count(parse(text), convention)
    except Exception as exc:       # e.g. proj= under keras: both routes must refuse it alike
        with pytest.raises(type(exc)):
            count(parse(text), convention)
        return
    assert_same_counts(text, convention)


@pytest.mark.parametrize("text", [
    "input(d) " + "".join(f"-> dense(n{i} + k) " for i in range(40)),
    "input(7) " + "-> dense(5, act=relu) " * 30,
    "input(d, seq=T) -> lstm(n, proj=p)^2 -> last -> dense(2^L)",           # an opaque generator
    "input(2^L) -> (dense(2^L * n) -> dense(2^L))^L -> dense(1)",
    "input(2 + h + 7) -> ((dense(m, bias=true))^(L+1))^3 -> dense(n, act=sign) -> dense((h)^3, act=hardtanh)",
    "input(d, seq=T) -> gru(3*n + 1, bidirectional=true)^(L + 2) -> rnn(n^2)^L -> last -> dense(1)",
    "input(d) -> dense(n^2 - n + 1)^1000 -> dense(1)",
])
def test_hand_picked_architectures_count_as_the_sympy_route(text):
    assert_same_counts(text)


def test_polynomial_arithmetic_matches_sympy_expand():
    n, m = sp.symbols("n m", positive=True, integer=True)
    gens = Generators()
    a, b = gens.poly(n + 2 * m + 1), gens.poly(n ** 2 - 3)
    for got, want in [(a * b, (n + 2 * m + 1) * (n ** 2 - 3)), (a - a, sp.Integer(0)),
                      ((a * b - 1) / 2, ((n + 2 * m + 1) * (n ** 2 - 3) - 1) / 2), (a ** 3, (n + 2 * m + 1) ** 3),
                      (3 - a, 3 - (n + 2 * m + 1))]:
        assert got.expr() == sp.expand(want)
