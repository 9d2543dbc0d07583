"""Exact counts as sparse polynomials, outside sympy.

In: sympy size expressions (layer widths, repeat counts), turned into ``Poly`` by ``from_sympy``.
Out: ``Poly.expr()``, the sympy expression ``sympy.expand`` of the same arithmetic would give.

A ``Poly`` is a dict from monomials to integer or ``Fraction`` coefficients; a monomial is a sorted
tuple of (generator index, integer exponent) pairs. Generators are the symbols of the sizes, and
any other piece that is not a sum, product or integer power (``2^L``, ``sqrt(n)``) as an opaque
generator; such an expression is handed to ``sympy.expand`` once at the end, so that what sympy
would simplify across opaque pieces (``2^L * 2^L``) comes out as sympy writes it.

Why: counting a 10,000-layer chain of distinct symbolic widths through sympy's expand and its
assumption system took ~10 s and grew faster than linearly; adding and multiplying dicts is linear
in the terms touched.
"""
from __future__ import annotations

from collections import Counter
from fractions import Fraction
from functools import cache


class Generators:
    """The generators of one count: sympy atom <-> index (the index orders monomials)."""

    def __init__(self):
        self.index: dict = {}
        self.atoms: list = []
        self.opaque = False          # some generator is not a plain symbol
        self._memo: dict = {}

    def of(self, atom) -> int:
        i = self.index.get(atom)
        if i is None:
            i = self.index[atom] = len(self.atoms)
            self.atoms.append(atom)
            if not atom.is_Symbol:
                self.opaque = True
        return i

    def forget(self) -> None:
        """Drop the memo: its Polys refer back to these generators, a cycle only the cyclic
        collector would free (a full pass over everything young, a fifth of a second after parsing
        10,000 symbolic widths); without it they go as soon as nothing else holds them."""
        self._memo.clear()

    def as_sympy(self, poly: "Poly"):
        """``poly.expr()``, remembered: ``self.poly`` of that expression is then a lookup (a count
        reuses the polynomials the parser built for the sizes it read)."""
        expr = poly.expr()
        self._memo.setdefault(expr, poly)
        return expr

    def poly(self, expr) -> "Poly":
        """``expr`` (a sympy expression, or a Python int) as a Poly over these generators (memoised)."""
        if isinstance(expr, int):
            return Poly({(): expr} if expr else {}, self)
        hit = self._memo.get(expr)
        if hit is None:
            hit = self._memo[expr] = self._convert(expr)
        return hit

    def _convert(self, expr) -> "Poly":
        if expr.is_Integer:
            return Poly({(): int(expr)} if expr != 0 else {}, self)
        if expr.is_Rational:
            return Poly({(): Fraction(int(expr.p), int(expr.q))}, self)
        if expr.is_Symbol:
            return Poly({((self.of(expr), 1),): 1}, self)
        if expr.is_Add:
            out = Poly({}, self)
            for a in expr.args:
                out._iadd(self.poly(a), 1)
            return out
        if expr.is_Mul:
            out = Poly({(): 1}, self)
            for a in expr.args:
                out = out * self.poly(a)
            return out
        if expr.is_Pow and expr.exp.is_Integer:
            k = int(expr.exp)
            if k >= 0:
                return self.poly(expr.base) ** k
            if expr.base.is_Symbol:                 # n^-k: a monomial with a negative exponent
                return Poly({((self.of(expr.base), k),): 1}, self)
        return Poly({((self.of(expr), 1),): 1}, self)


class Poly:
    """A sparse polynomial with integer / Fraction coefficients (see the module docstring)."""

    __slots__ = ("terms", "gens", "_expr")

    def __init__(self, terms: dict, gens: Generators):
        self.terms = terms
        self.gens = gens
        self._expr = None

    # --- arithmetic (operands: Poly, int, Fraction) ----------------------------------------------
    def _lift(self, other) -> "Poly":
        if isinstance(other, Poly):
            return other
        if isinstance(other, (int, Fraction)):
            return Poly({(): other} if other else {}, self.gens)
        return self.gens.poly(other)             # a sympy expression

    def _iadd(self, other: "Poly", coeff) -> None:
        """self += coeff * other, in place (only on a Poly not shared yet)."""
        if not other.terms:
            return
        terms = self.terms
        for m, c in other.terms.items():
            v = terms.get(m, 0) + coeff * c
            if v:
                terms[m] = v
            else:
                terms.pop(m, None)
        self._expr = None

    def __add__(self, other):
        other = self._lift(other)
        if not other.terms:
            return self
        if not self.terms:
            return other
        out = Poly(dict(self.terms), self.gens)
        out._iadd(other, 1)
        return out

    __radd__ = __add__

    def __neg__(self):
        return Poly({m: -c for m, c in self.terms.items()}, self.gens)

    def __sub__(self, other):
        return self + (-self._lift(other))

    def __rsub__(self, other):
        return self._lift(other) + (-self)

    def __mul__(self, other):
        if isinstance(other, (int, Fraction)):
            if other == 1:
                return self
            return Poly({m: c * other for m, c in self.terms.items()} if other else {}, self.gens)
        other = self._lift(other)
        a, b = self.terms, other.terms
        if len(a) == 1 and () in a:
            return other * a[()]
        if len(b) == 1 and () in b:
            return self * b[()]
        out: dict = {}
        for ma, ca in a.items():
            for mb, cb in b.items():
                m = _mono_mul(ma, mb)
                v = out.get(m, 0) + ca * cb
                if v:
                    out[m] = v
                else:
                    out.pop(m, None)
        return Poly(out, self.gens)

    __rmul__ = __mul__

    def __truediv__(self, other):
        if isinstance(other, int) and other:
            return self * Fraction(1, other)
        raise TypeError("a Poly divides by a nonzero int only")

    def __pow__(self, k: int):
        out, base = Poly({(): 1}, self.gens), self
        while k:
            if k & 1:
                out = out * base
            k >>= 1
            if k:
                base = base * base
        return out

    # --- tests ------------------------------------------------------------------------------------
    def __eq__(self, other):
        if isinstance(other, Poly):
            return self.terms == other.terms
        if isinstance(other, (int, Fraction)):
            return self.terms == ({(): other} if other else {})
        return NotImplemented

    def __hash__(self):
        return hash(frozenset(self.terms.items()))

    def __bool__(self):
        return bool(self.terms)

    @property
    def constant(self):
        """The value of a constant polynomial (an int or Fraction), else None."""
        if not self.terms:
            return 0
        if len(self.terms) == 1 and () in self.terms:
            return self.terms[()]
        return None

    # --- the sympy boundary ------------------------------------------------------------------------
    def expr(self):
        """The sympy expression (as ``sympy.expand`` would write the same count); built once, and
        for short polynomials over few generators remembered across counts (a network asked again,
        or another network with the same counts, makes the same expressions)."""
        if self._expr is None:
            key = None
            if len(self.terms) <= _SHARED_MAX and len(self.gens.atoms) <= _SHARED_MAX:
                key = (tuple(self.terms.items()), tuple(self.gens.atoms))
                self._expr = _SHARED.get(key)
            if self._expr is None:
                self._expr = _to_sympy(self.terms, self.gens)
                if key is not None:
                    if len(_SHARED) >= 4096:
                        _SHARED.clear()
                    _SHARED[key] = self._expr
        return self._expr

    def __repr__(self):
        return f"Poly({self.expr()})"


_SHARED: dict = {}      # (terms, generators) -> sympy expression, for short polynomials (Poly.expr)
_SHARED_MAX = 64


def sum_polys(gens: Generators, polys: list) -> Poly:
    """The sum of ``polys``, each distinct Poly object added once times the number of times it
    occurs (the items of a long chain share a few: a constant depth, the Polys of repeated widths),
    into one dict."""
    terms: dict = {}
    get = terms.get
    counts = Counter(map(id, polys))
    if len(counts) == len(polys):
        for poly in polys:
            for m, c in poly.terms.items():
                terms[m] = get(m, 0) + c
    else:
        by_id = dict(zip(map(id, polys), polys))
        for i, k in counts.items():
            for m, c in by_id[i].terms.items():
                terms[m] = get(m, 0) + k * c
    return Poly({m: c for m, c in terms.items() if c} if 0 in terms.values() else terms, gens)


def _mono_mul(a: tuple, b: tuple) -> tuple:
    """The product of two monomials (sorted (index, exponent) tuples)."""
    if not a:
        return b
    if not b:
        return a
    if len(a) == 1 and len(b) == 1:
        (i, e), (j, f) = a[0], b[0]
        if i == j:
            return ((i, e + f),) if e + f else ()
        return (a[0], b[0]) if i < j else (b[0], a[0])
    d = dict(a)
    for i, e in b:
        v = d.get(i, 0) + e
        if v:
            d[i] = v
        else:
            del d[i]
    return tuple(sorted(d.items()))


@cache
def _sympy_parts():
    """sympy and its two canonical-order sorts, imported on first use (not at import time)."""
    import sympy
    from sympy.core.add import _addsort
    from sympy.core.mul import _mulsort
    return sympy, _addsort, _mulsort


def _to_sympy(terms: dict, gens: Generators):
    """Terms -> sympy. Over plain symbols the terms are already collected, so the Add and Muls are
    assembled in sympy's canonical order directly (``Add(*terms)`` would re-derive the same order
    and ask the assumption system about every new product: seconds for 30,000 terms); with opaque
    generators ``sympy.expand`` has the last word."""
    sp, _addsort, _mulsort = _sympy_parts()

    def number(c):
        return sp.Integer(c) if isinstance(c, int) or c.denominator == 1 else sp.Rational(c.numerator, c.denominator)

    atoms = gens.atoms
    opaque = gens.opaque
    const, out = None, []
    for m, c in terms.items():
        if not m:
            const = number(c)
            continue
        factors = [atoms[i] if e == 1 else sp.Pow(atoms[i], e) for i, e in m]
        if opaque:
            out.append(sp.Mul(number(c), *factors))
            continue
        if len(factors) > 1:
            _mulsort(factors)
        if c == 1:                    # no sympy number made for the usual coefficient
            out.append(factors[0] if len(factors) == 1 else sp.Mul._from_args(factors, True))
        else:
            out.append(sp.Mul._from_args([number(c)] + factors, True))
    if gens.opaque:
        return sp.expand(sp.Add(*out, *([const] if const is not None else [])))
    _addsort(out)
    if const is not None:
        out.insert(0, const)
    if not out:
        return sp.Integer(0)
    return out[0] if len(out) == 1 else sp.Add._from_args(out, True)
