"""Stage 6: vcbound's own O / Omega / Theta algebra over positive symbols tending to infinity.

In: sympy expressions over positive symbols (bounds after substitution), optional assumptions
(``T >> n``, ``d = n``, ``L = 3``). Out: dominant-term forms, comparisons ("less", "greater",
"equal", "incomparable"), min/max of bounds, and growth exponents per symbol.

Why not ``sympy.Order``: its default point is 0, it has no Omega/Theta, and it took seconds on an
LSTM bound. Here an expression is reduced to a sum of *terms* ``x1^a1 ... (log x1)^b1 ... * rest``
with constants dropped; a term is compared with another by its exponent vector in log-space.

The regime is "all symbols -> oo jointly", restricted by assumptions: ``x >> y`` confines the
log-space cone to ``log y <= log x``; ``x = expr`` substitutes. In that cone, ``f = O(g)`` for
monomials iff ``g's exponents - f's`` lies in the dual cone, which is checked on the cone's
extreme rays (indicator vectors of up-closed symbol sets). A term against a *sum* is checked
against each single term and each pair (a convex combination), which covers the bounds in the
theorem base; anything not proved comparable is reported "incomparable", never guessed.

How it stays fast (issue 13): a theorem's bound with a network's counts in it is reduced without
building the substituted expression (``dominant_substituted``: the bound's small tree is walked with
each letter standing for its count's terms; what the walk cannot take goes through ``dominant``); a
bound is multiplied out only where its terms can cancel, never inside log arguments; every
reduction is memoised by structure; opaque factors are keyed by hash; sums of NUMPY_FROM terms or
more are pruned and compared on numpy arrays, with the same tests and tolerances as the pure-Python
path (dominance matrices on small integer ranks where that is exact). Short sums take that path, so
that the cold path never imports numpy, and so does every sum when numpy is not installed (it is
not a core dependency). A weighting
of the rays on which a term is above all others proves it undominated (``_separated``); the pair
search is left to the rest. ``asymptotics_reference`` is the engine before these changes, kept
unchanged as the test oracle (tests/test_engine_equivalence.py).
"""
from __future__ import annotations

from .presentation import brief_repr

from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
import math

import sympy as sp

from .errors import UsageError

LOG_WEIGHT = 1e-6          # a log factor counts as an infinitesimal power
POLY_DELTA = 1e-3          # polynomially related sizes: each grows at least like N^POLY_DELTA (>> logs)
LOGLOG_WEIGHT = 1e-8       # and log log as a smaller one
TOL = 1e-12
NUMPY_FROM = 16             # sums with this many positive terms are pruned with numpy (imported then)
BROADCAST_LIMIT = 4_000_000  # booleans in one numpy broadcast (memory bound of the vectorised tests)
SEPARATION_ROUNDS = 12     # rounds of the search for a weighting that separates a term (_separate_or_cover)
SEPARATION_MARGIN = 1e-9   # how far below a separated term every other must score (>> TOL)
MIDPOINT_PAIRS = 200_000   # _midpoints_cover sorts the middles of at most this many pairs
BITSET_FROM = 50_000        # _ge_matrix takes the bit-set route from this many comparisons
PAIR_LIMIT = 300           # _prune seeks convex combinations of two terms only in sums up to this size
LOGLOG = "~"               # Term.logs key prefix for log(log(x))
# symbols that tend to 0, not to infinity (accuracy and confidence of sample-complexity bounds):
# their powers count negatively, and a log entry for them means log(1/x)
SMALL = frozenset({"eps", "delta"})


# --------------------------------------------------------------------------------------------
# assumptions / regime
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Regime:
    """Assumptions that restrict how the symbols tend to infinity.

    ``dominates``: pairs (big, small) of symbol names meaning small = o(big) (``big >> small``).
    ``substitutions``: symbol name -> expression (``d = n``, ``L = 3``).
    ``polynomial``: the sizes are polynomially related (each between N^a and N^b for one scale N),
    so the logs of all sizes are of one order (``log W = Theta(log U) = Theta(log n)``). This is
    what "all sizes -> oo jointly" means; an assumption ``log(T) >> log(n)`` (a size growing faster
    than any polynomial of another) turns it off: logs of distinct sizes are then kept apart.
    """

    dominates: tuple = ()
    substitutions: tuple = ()
    polynomial: bool = True
    # the hash, computed once: a regime is part of the key of every memo of the engine
    _hash: int = field(init=False, repr=False, compare=False, default=0)

    def __post_init__(self):
        object.__setattr__(self, "_hash", hash((self.dominates, self.substitutions, self.polynomial)))

    def __hash__(self):
        return self._hash

    @classmethod
    def from_conditions(cls, conditions) -> "Regime":
        """Build a regime from ``expressions.Condition`` objects (``>>``, ``<<`` and ``=``)."""
        dom, subs = [], []
        polynomial = True
        for c in conditions:
            if c.rel in (">>", "<<") and _is_log(c.lhs) and _is_log(c.rhs):
                # log x >> log y: x grows faster than every power of y; sizes are not polynomially
                # related (x >> y holds as well)
                polynomial = False
            if c.rel in (">>", "<<"):
                big, small = (c.lhs, c.rhs) if c.rel == ">>" else (c.rhs, c.lhs)
                bigs, smalls = _symbol_names(big), _symbol_names(small)
                if not bigs or not smalls:
                    raise UsageError(f"assumption '{c}': both sides need a symbol")
                for b in bigs:
                    for s in smalls:
                        dom.append((b, s))
            elif c.rel == "=":
                if not (isinstance(c.lhs, sp.Symbol)):
                    raise UsageError(f"assumption '{c}': the left side of '=' must be a symbol")
                subs.append((c.lhs.name, c.rhs))
            else:
                raise UsageError(f"assumption '{c}': use '>>', '<<' or '=' "
                                 "(strict inequalities do not change asymptotics)")
        return cls(tuple(dom), tuple(subs), polynomial)

    def apply(self, expr):
        if not self.substitutions:
            return expr
        names = {n: v for n, v in self.substitutions}
        mapping = {s: names[s.name] for s in expr.free_symbols if s.name in names}
        return expr.xreplace(mapping) if mapping else expr

    def describe(self, long: bool = False) -> str:
        """``all sizes -> oo jointly, polynomially related`` or the assumptions; ``long`` adds what
        the relation means for logs."""
        parts = [f"{b} >> {s}" for b, s in self.dominates] + [f"{n} = {v}" for n, v in self.substitutions]
        if not self.polynomial:
            how = "sizes not polynomially related" + (f" ({UNRELATED_WORDS})" if long else "")
        else:
            how = "polynomially related" + (f" ({POLYNOMIAL_WORDS})" if long else "")
        return (", ".join(parts) + "; " + how) if parts else "all sizes -> oo jointly, " + how

    def __bool__(self):
        return bool(self.dominates or self.substitutions or not self.polynomial)


PLAIN = Regime()     # no assumptions (made once: a regime is part of every memo key, and hashed once)

POLYNOMIAL_WORDS = "log W, log U and the log of every size are of one order"
UNRELATED_WORDS = "a size grows faster than any polynomial of another: logs of distinct sizes are kept apart"


def _is_log(expr) -> bool:
    return isinstance(expr, sp.log) or (isinstance(expr, sp.Mul) and any(isinstance(a, sp.log) for a in expr.args))


def _symbol_names(expr) -> list[str]:
    return sorted(s.name for s in getattr(expr, "free_symbols", ()))


def _size_log_names(terms) -> set:
    """The symbols inside size logs (``is_size_log``) of these terms: axes their pooled log needs."""
    return {x.name for t in terms for f, _e in t.opaque if is_size_log(f) for x in f.free_symbols}


def _all_terms(form) -> list:
    return list(form.terms) if form.kind == "sum" else [t for a in form.args for t in _all_terms(a)]


_POOLED = "*size-log*"     # a log that is Theta(log N) only when sizes are polynomially related


@lru_cache(maxsize=4096)
def is_size_log(f) -> bool:
    """Whether an opaque factor ``f`` is the log of a sum of positive monomials in sizes, one of
    them growing (all exponents >= 0, not constant): ``log(n + d/L)``, ``log(T/w + w)``. Sizes are
    integers >= 1, so such a sum lies between that monomial and a polynomial: its log is
    Theta(log N) when the sizes are polynomially related (and undetermined when they are not)."""
    if not isinstance(f, sp.log):
        return False
    arg = f.args[0]
    growing = False
    for term in sp.Add.make_args(sp.expand(arg)):
        coeff, rest = term.as_coeff_Mul()
        if not coeff.is_positive:
            return False
        exps = []
        for factor in sp.Mul.make_args(rest):
            base, ex = factor.as_base_exp()
            if not (isinstance(base, sp.Symbol) and ex.is_Rational and base.name not in SMALL):
                return False
            exps.append(ex)
        if exps and all(e >= 0 for e in exps):
            growing = True
    return growing


@lru_cache(maxsize=512)
def _size_index(names: tuple) -> dict | None:
    """name -> position, for coordinates of sizes only; None when eps or delta is among them."""
    if SMALL.intersection(names):
        return None
    return {n: i for i, n in enumerate(names)}


def _shared_log_weight(logs) -> float:
    """What ``log_weights`` adds on every size axis when sizes are polynomially related (the same
    arithmetic, so the same float)."""
    own = dict(logs)
    size_log = sum(b for n, b in own.items() if not n.startswith(LOGLOG) and n not in SMALL)
    size_loglog = sum(b for n, b in own.items() if n.startswith(LOGLOG) and n[len(LOGLOG):] not in SMALL)
    return LOG_WEIGHT * size_log + LOGLOG_WEIGHT * size_loglog


def log_weights(logs, names, polynomial: bool) -> list[float]:
    """What a term's log factors add to its exponent on each name's axis (a log counts as an
    infinitesimal power, LOG_WEIGHT; log log as a smaller one, LOGLOG_WEIGHT).

    ``logs``: ((name, power), ...), names prefixed with LOGLOG for log log. Sizes unrelated
    (``polynomial`` false): ``log x`` counts on x's axis only, so ``W log d`` and ``W log n`` are
    incomparable (d may grow exponentially faster than n). Sizes polynomially related (the default
    regime, "all sizes -> oo jointly"): every size is between N^a and N^b for one scale N, so
    ``log x = Theta(log N)`` for every size x and only the total log power matters; it counts on
    every size axis alike. Symbols that tend to 0 (eps, delta) are not sizes and keep their own logs.

    >>> log_weights((("d", 1),), ("d", "n"), False)
    [1e-06, 0.0]
    >>> log_weights((("d", 1),), ("d", "n"), True)
    [1e-06, 1e-06]
    """
    own = dict(logs)
    if not polynomial:
        return [LOG_WEIGHT * own.get(n, 0) + LOGLOG_WEIGHT * own.get(LOGLOG + n, 0) for n in names]
    out = [_shared_log_weight(logs)] * len(names)
    for i, n in enumerate(names):
        if n in SMALL:
            out[i] = LOG_WEIGHT * own.get(n, 0) + LOGLOG_WEIGHT * own.get(LOGLOG + n, 0)
    return out


# --------------------------------------------------------------------------------------------
# terms
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Term:
    """``sign * prod x^a * prod (log x)^b * prod opaque`` (constants dropped)."""

    powers: tuple          # ((name, a), ...) sorted, a != 0
    logs: tuple            # ((name, b), ...) sorted, b != 0
    opaque: tuple = ()     # sympy factors compared only structurally (sorted by str)
    sign: int = 1
    # the hash, computed once: terms are keys of every memo and set of the engine, and a long sum's
    # terms were hashed again by every prune and comparison they took part in
    _hash: int = field(init=False, repr=False, compare=False, default=0)

    def __post_init__(self):
        object.__setattr__(self, "_hash", hash((self.powers, self.logs, self.opaque, self.sign)))

    def __hash__(self):
        return self._hash

    def vector(self, names, opaque_names, polynomial: bool = False) -> list[float]:
        """The exponent vector over ``names`` (then the opaque factors); ``polynomial``: the sizes
        are polynomially related (see ``log_weights``)."""
        if not self.opaque and (polynomial or not self.logs):
            index = _size_index(names)
            if index is not None:
                # sizes only (no eps, delta), sizes related or no logs: every axis gets the same log
                # weight (log_weights), and the powers are filled in by position (most terms of a
                # long product have three or four of thirty names)
                shift = _shared_log_weight(self.logs) if self.logs else 0.0
                v = [shift] * len(names) + [0.0] * len(opaque_names)
                for n, e in self.powers:
                    i = index.get(n)
                    if i is not None:
                        v[i] = float(e) + shift
                return v
        p = dict(self.powers)
        if not self.logs and not self.opaque:
            # a plain monomial (most terms of a count): its powers only
            return ([float(-p.get(n, 0) if n in SMALL else p.get(n, 0)) for n in names]
                    + [0.0] * len(opaque_names))
        logs = self.logs
        if polynomial and any(is_size_log(f) for f, _e in self.opaque):
            # log(n + d/L) is Theta(log N) for polynomially related sizes: a pooled size log
            extra = sum(e for f, e in self.opaque if is_size_log(f))
            logs = logs + ((_POOLED, extra),)
        o = {_okey(f): e for f, e in self.opaque if not (polynomial and is_size_log(f))}
        logw = log_weights(logs, names, polynomial)
        return ([float((-1 if n in SMALL else 1) * p.get(n, 0)) + w for n, w in zip(names, logw)]
                + [float(o.get(k, 0)) for k in opaque_names])

    def to_expr(self, symbols: dict):
        expr = sp.Integer(1)
        for n, a in self.powers:
            expr *= symbols[n] ** a
        for n, b in self.logs:
            if n.startswith(LOGLOG):
                inner = 1 / symbols[n[1:]] if n[1:] in SMALL else symbols[n[1:]]
                expr *= sp.log(sp.log(inner)) ** b
            else:
                expr *= sp.log(1 / symbols[n] if n in SMALL else symbols[n]) ** b
        for f, e in self.opaque:
            expr *= f ** e
        return expr

    def exponent(self, name: str):
        return dict(self.powers).get(name, 0), dict(self.logs).get(name, 0)

    @property
    def is_constant(self) -> bool:
        return not self.powers and not self.logs and not self.opaque


@dataclass(frozen=True)
class Form:
    """A dominant-term form: a sum of terms, or min/max of forms (kind 'sum', 'min', 'max')."""

    __repr__ = brief_repr("kind", "expr")

    kind: str
    terms: tuple = ()      # for 'sum'
    args: tuple = ()       # for 'min'/'max'
    symbols: tuple = field(default=(), compare=False)   # ((name, Symbol), ...) to rebuild exprs
    _hash: int = field(init=False, repr=False, compare=False, default=0)     # computed once (Term)

    def __post_init__(self):
        object.__setattr__(self, "_hash", hash((self.kind, self.terms, self.args)))

    def __hash__(self):
        return self._hash

    def expr(self):
        """The form as a sympy expression (built once per form: derivations and notes print it)."""
        cached = self.__dict__.get("_expr")
        if cached is None:
            syms = dict(self.symbols)
            if self.kind == "sum":
                cached = sp.Add(*[t.to_expr(syms) for t in self.terms]) if self.terms else sp.Integer(1)
            else:
                op = sp.Min if self.kind == "min" else sp.Max
                cached = op(*[a.expr() for a in self.args], evaluate=False)
            object.__setattr__(self, "_expr", cached)
        return cached

    def names(self) -> set:
        """The symbols of the form (computed once per form: every comparison asks)."""
        cached = self.__dict__.get("_names")
        if cached is None:
            if self.kind == "sum":
                cached = set()
                for t in self.terms:
                    cached |= {n for n, _ in t.powers} | {n.lstrip(LOGLOG) for n, _ in t.logs}
            else:
                cached = set().union(*(a.names() for a in self.args))
            cached = frozenset(cached)
            object.__setattr__(self, "_names", cached)
        return set(cached)

    def term_set(self) -> frozenset:
        """The terms of a sum as a set (computed once per form: every comparison asks)."""
        cached = self.__dict__.get("_term_set")
        if cached is None:
            cached = frozenset(self.terms)
            object.__setattr__(self, "_term_set", cached)
        return cached

    def opaque_ids(self) -> set:
        """The opaque factors, as the engine identifies them (``_Opaque``; computed once per form)."""
        cached = self.__dict__.get("_opaque_ids")
        if cached is None:
            if self.kind == "sum":
                cached = frozenset(_okey(f) for t in self.terms for f, _ in t.opaque)
            else:
                cached = frozenset().union(*(a.opaque_ids() for a in self.args))
            object.__setattr__(self, "_opaque_ids", cached)
        return set(cached)

    def opaque_keys(self) -> set:
        """The opaque factors as text (for output; ``opaque_ids`` inside the engine)."""
        if self.kind == "sum":
            return {_key(f) for t in self.terms for f, _ in t.opaque}
        return set().union(*(a.opaque_keys() for a in self.args))

    def unordered_keys(self, regime: "Regime") -> set:
        """The opaque factors the regime cannot order (size logs are ordered when sizes are
        polynomially related)."""
        if self.kind == "sum":
            return {_okey(f) for t in self.terms for f, _ in t.opaque
                    if not (regime.polynomial and is_size_log(f))}
        return set().union(*(a.unordered_keys(regime) for a in self.args))


@lru_cache(maxsize=65536)
def _key(factor) -> str:
    """``str`` of an opaque factor, memoised: how an opaque factor is shown (``opaque_keys``).
    The engine itself identifies and orders opaque factors by ``_Opaque`` (printing a huge
    factor cost seconds)."""
    return str(factor)


class _Opaque:
    """An opaque factor as a dictionary key and sort key: equal when the sympy expressions are
    (structurally) equal, ordered by hash. The order only fixes coordinates and the order of a
    term's factors within one process, so nothing shown depends on it; two different factors with
    the same hash are ordered by their text."""

    __slots__ = ("factor", "_hash")

    def __init__(self, factor):
        self.factor = factor
        self._hash = hash(factor)

    def __hash__(self):
        return self._hash

    def __eq__(self, other):
        return isinstance(other, _Opaque) and self._hash == other._hash and self.factor == other.factor

    def __lt__(self, other):
        if self._hash != other._hash:
            return self._hash < other._hash
        return _key(self.factor) < _key(other.factor)


@lru_cache(maxsize=65536)
def _okey(factor) -> _Opaque:
    return _Opaque(factor)


class _NotPolylog(Exception):
    """An expression that does not reduce to a sum of power/log terms."""


def _terms_of(expr) -> list[Term]:
    """Reduce a positive expression to its terms (up to constant factors), before pruning."""
    return list(_terms_of_cached(expr))


@lru_cache(maxsize=65536)
def _terms_of_cached(expr) -> tuple:
    """``_terms_of`` memoised by structure: a bound repeats the same log argument and the same
    count in every expanded term (a 10-layer chain of distinct widths re-analysed it thousands of
    times). A _NotPolylog is not memoised (it is raised again, which is cheap)."""
    return tuple(_terms_of_uncached(expr))


def _terms_of_uncached(expr) -> list[Term]:
    if expr.is_number:
        if expr.is_positive is False and expr != 0:
            return [Term((), (), (), -1)]
        return [Term((), ())] if expr != 0 else []
    if isinstance(expr, sp.Symbol):
        return [Term(((expr.name, 1),), ())]
    if isinstance(expr, sp.Add):
        out = []
        for arg in expr.args:
            out.extend(_terms_of(arg))
        return out
    if isinstance(expr, sp.Mul):
        acc = [Term((), ())]
        for factor in expr.args:
            # Theta(a) * Theta(b) = Theta(a*b): reduce each factor first, so that stand-ins such as
            # floor(x) ~ x never meet their own negative terms across factors
            fterms = _terms_of(factor)
            if len(fterms) > 1:
                fterms = _prune(fterms, PLAIN)
            acc = [_mul(a, b) for a in acc for b in fterms]
        return acc
    if isinstance(expr, sp.Pow):
        base, ex = expr.args
        if ex.is_number and ex.is_rational:
            bterms = _prune(_terms_of(base), PLAIN)
            if ex.is_positive:
                if len(bterms) == 1 or all(t.sign > 0 for t in bterms):
                    # (a + b)^r is Theta(a^r + b^r) for positive a, b and r > 0
                    return [_pow(t, ex) for t in bterms]
            elif len(bterms) == 1:
                return [_pow(bterms[0], ex)]
        return [Term((), (), ((expr, 1),))]
    if isinstance(expr, sp.log):
        return _log_terms(expr)
    if isinstance(expr, (sp.floor, sp.ceiling)):
        # floor(x) and ceil(x) are Theta(x) once x >= 1
        return _terms_of(expr.args[0])
    if isinstance(expr, (sp.Min, sp.Max)):
        raise _NotPolylog(expr)
    return [Term((), (), ((expr, 1),))]


def _log_terms(expr) -> list[Term]:
    return list(_log_terms_cached(expr))


@lru_cache(maxsize=65536)
def _log_terms_cached(expr) -> tuple:
    return tuple(_log_terms_uncached(expr))


def _log_terms_uncached(expr) -> list[Term]:
    """log of a polynomial-like positive argument is Theta(sum of log x over its symbols).

    Products and powers inside the log are split first (log(3^(L*h) * h) = L*h*log 3 + log h);
    log(max(a, b)) is Theta(log a + log b); log(log(poly)) is a tiny "loglog" power.
    """
    (arg,) = expr.args
    if arg.is_number:
        return [Term((), ())]
    if isinstance(arg, sp.Max):
        # log max(a, b) = Theta(log a + log b); a constant among growing arguments adds O(1)
        grows = [a for a in arg.args if not a.is_number] or arg.args
        out = []
        for a in grows:
            log_a = sp.log(a)
            out.extend(_log_terms(log_a) if isinstance(log_a, sp.log) else [Term((), ())])
        return out
    if isinstance(arg, sp.Mul) and any(isinstance(f, sp.Max) for f in arg.args):
        # log(c * g * max(a, b)) = Theta(log g + log a + log b) when c * g never decays (a power
        # of a growing count, an exponential c^x): the max is taken apart inside the log instead
        # of lifting it over the whole bound (which doubled the work once per term of the bound)
        maxes = [f for f in arg.args if isinstance(f, sp.Max)]
        rest = sp.Mul(*[f for f in arg.args if not isinstance(f, sp.Max)])
        if (rest.is_number and rest >= 1) or (not rest.is_number and _growing_monomial(rest)):
            out = [] if rest.is_number else _log_terms(sp.log(rest))
            for m in maxes:
                out.extend(_log_terms(sp.log(m)))
            if out and all(t.sign > 0 for t in out):
                return out
    if isinstance(arg, sp.log):
        inner_logs = _log_terms(arg)
        if all(not t.powers and not t.opaque and len(t.logs) == 1 and t.logs[0][1] == 1 and t.sign > 0
               for t in inner_logs):
            return [Term((), ((LOGLOG + t.logs[0][0], 1),)) for t in inner_logs]
        return [Term((), (), ((expr, 1),))]
    if isinstance(arg, sp.Add) and all(_positive_coeff(a) for a in arg.args) \
            and all(a.is_number or _growing_monomial(a) for a in arg.args):
        # log(a + b) = Theta(log a + log b) for positive, non-decaying a, b: take every term's log
        out = []
        for a in arg.args:
            if not a.is_number:
                out.extend(_log_terms(sp.log(a)))
        if out and all(t.sign > 0 for t in out):
            return out
    if isinstance(arg, sp.Add) and any(isinstance(a, sp.Add) for t in arg.args for a in sp.Mul.make_args(t)):
        # a sum with products of sums in it: multiplied out (outside its own logs), it is a sum of
        # monomials, which the rules above take apart
        expanded = _expand_outside_logs(arg)
        if expanded != arg:
            return _log_terms(sp.log(expanded))
    try:
        inner = _prune(_terms_of(_expand_outside_logs(arg)), PLAIN)
    except _NotPolylog:
        inner = []
    ok = bool(inner) and all(t.sign > 0 and not t.opaque for t in inner)
    monomial_logs = ok and all(all(_grows(n, a) >= 0 for n, a in t.powers) for t in inner)
    names = sorted({n for t in inner for n, a in t.powers if _grows(n, a) > 0}) if monomial_logs else []
    if names:
        return [Term((), ((n, 1),)) for n in names]
    if monomial_logs and all(not t.powers for t in inner) and any(t.logs for t in inner):
        # log of a sum of logs (log(log x + log y)) is a loglog
        return [Term((), ((LOGLOG + n.lstrip(LOGLOG), 1),)) for n in sorted({n for t in inner for n, _ in t.logs})]
    # split products and powers inside the log (log(3^(L*h) * h) = L*h*log 3 + log h), unless
    # that creates differences of logs, which only the whole expression can settle
    expanded = sp.expand_log(sp.log(sp.factor_terms(arg)), force=True)
    if expanded != expr:
        terms = [t for t in _terms_of(expanded) if not t.is_constant]
        if terms and all(t.sign > 0 for t in terms):
            return terms
    if ok and inner and not all(t.is_constant for t in inner):
        # (an argument whose dominant terms are all constant tends to a constant c: its log is
        # log c, which may be 0 when c = 1 and is positive otherwise; the terms cannot tell, so the
        # log stays whole below; printing log(1) made such a bound 0)
        # log of a growing argument is log of its dominant terms plus O(1): print the short form
        syms = {s.name: s for s in arg.free_symbols}
        return [Term((), (), ((sp.log(sp.Add(*[t.to_expr(syms) for t in inner])), 1),))]
    return [Term((), (), ((expr, 1),))]


def _growing_monomial(term) -> bool:
    """A product of non-negative powers of symbols, logs, and exponentials c^x (c > 1): it never
    decays, so its log is a sum of non-negative log terms."""
    try:
        parts = _terms_of(term)
    except _NotPolylog:
        return False
    if len(parts) != 1 or parts[0].sign < 0:
        return False
    t = parts[0]
    if any(_grows(n, a) < 0 for n, a in t.powers):
        return False
    for f, e in t.opaque:
        if e < 0:
            return False
        if isinstance(f, sp.Pow) and f.args[0].is_number and f.args[0] > 1 and not f.args[1].is_number:
            continue
        if isinstance(f, sp.log):
            continue
        return False
    return True


def _positive_coeff(term) -> bool:
    coeff, _rest = term.as_coeff_Mul()
    return bool(coeff.is_positive)


def _grows(name: str, power) -> float:
    """The growth exponent of name^power: negative powers of a small symbol grow."""
    return -power if name in SMALL else power


def _mul(a: Term, b: Term) -> Term:
    p = dict(a.powers)
    for n, e in b.powers:
        p[n] = p.get(n, 0) + e
    powers = tuple(sorted([(n, e) for n, e in p.items() if e != 0]))
    if not (a.logs or a.opaque or b.logs or b.opaque):
        return Term(powers, (), (), a.sign * b.sign)    # two monomials (most products of counts)
    l = dict(a.logs)
    for n, e in b.logs:
        l[n] = l.get(n, 0) + e
    o = {}
    for f, e in a.opaque + b.opaque:
        key = f
        o[key] = o.get(key, 0) + e
    return Term(powers,
                tuple(sorted((n, e) for n, e in l.items() if e != 0)),
                tuple(sorted(((f, e) for f, e in o.items() if e != 0), key=lambda fe: _okey(fe[0]))),
                a.sign * b.sign)


def _pow(t: Term, r) -> Term:
    r = sp.Rational(r)
    # an integer power as a Python int: products of terms add exponents, and adding sympy Integers
    # costs a microsecond each (an int exponent equals and hashes as the Integer)
    k = int(r.p) if r.q == 1 else r
    return Term(tuple((n, e * k) for n, e in t.powers), tuple((n, e * k) for n, e in t.logs),
                tuple((f, e * k) for f, e in t.opaque), t.sign if r.q == 1 and r.p % 2 else 1)


# --------------------------------------------------------------------------------------------
# comparison of terms in the regime's cone
# --------------------------------------------------------------------------------------------
def _rays(names: tuple, regime: Regime, opaque: tuple) -> list[list[float]]:
    """Extreme rays of the log-space cone: indicators of up-closed sets of symbols (moved inside
    the cone when the sizes are polynomially related, see ``polynomial_rays``)."""
    rays = _rays_cached(names, tuple(regime.dominates), opaque)
    return polynomial_rays(rays, names, regime.polynomial)


@lru_cache(maxsize=512)
def _polynomial_rays_cached(rays: tuple, names: tuple) -> list[list[float]]:
    sizes = [i for i, n in enumerate(names) if n not in SMALL]
    out = []
    for ray in rays:
        v = list(ray)
        if any(v[i] for i in sizes):
            for i in sizes:
                if not v[i]:
                    v[i] = POLY_DELTA
        out.append(v)
    return out


def polynomial_rays(rays, names, polynomial: bool) -> list[list[float]]:
    """The generators of the log-space cone of a regime, for polynomially related sizes.

    Sizes x_i = N^(a_i) for one scale N; unrelated sizes allow every direction a >= 0, whose
    generators are the coordinate rays (one size grows, the others stay bounded). Polynomially
    related sizes all grow: a_i >= POLY_DELTA * max(a). Each generator that moves a size is moved
    inside by giving every other size the exponent POLY_DELTA (an up-closed set stays up-closed, so
    ``>>`` assumptions are kept). Along such a ray a size power beats any log factor: U*W is
    above W*log W (LOG_WEIGHT and LOGLOG_WEIGHT are far below POLY_DELTA). Symbols that tend to 0
    (eps, delta) and opaque factors are not sizes and are left alone.

    >>> polynomial_rays([[1.0, 0.0], [0.0, 1.0]], ("d", "n"), True)
    [[1.0, 0.001], [0.001, 1.0]]
    """
    if not polynomial:
        return rays
    return _polynomial_rays_cached(tuple(tuple(r) for r in rays), tuple(names))


@lru_cache(maxsize=512)
def _rays_cached(names: tuple, dominates: tuple, opaque: tuple) -> list[list[float]]:
    all_names = list(names) + list(opaque)
    index = {n: i for i, n in enumerate(all_names)}
    above = {}
    for big, small in dominates:
        if big in index and small in index:
            above.setdefault(small, set()).add(big)
    k = len(all_names)
    # The cone is the product of the positive orthant of the names in no assumption (generated by
    # their coordinate vectors: every other up-closed set is a sum of those) and the cone of the
    # related names (generated by indicators of their up-closed sets). Checking a linear condition
    # on generators is checking it on the whole cone; enumerating subsets of unrelated names
    # only multiplied the work by 2^k (a 10-layer chain with distinct widths took minutes).
    related = sorted({i for s, bigs in above.items() for i in [index[s], *(index[b] for b in bigs)]})
    rays = []
    for i in range(k):
        if i not in related:
            v = [0.0] * k
            v[i] = 1.0
            rays.append(v)
    if len(related) > 14:   # never enumerate an exponential number of subsets: fall back to coordinates
        for i in related:
            v = [0.0] * k
            v[i] = 1.0
            rays.append(v)
        return rays
    r = len(related)
    for mask in range(1, 1 << r):
        members = {all_names[related[j]] for j in range(r) if mask >> j & 1}
        if all(above.get(m, set()) <= members for m in members):
            rays.append([1.0 if all_names[i] in members else 0.0 for i in range(k)])
    return rays


def _project(vec, rays) -> tuple:
    """The vector's value on each extreme ray of the cone (its growth rate along that ray)."""
    return tuple(sum(x * r for x, r in zip(vec, ray)) for ray in rays)


def _vectors(terms, names: tuple, opaque: tuple, polynomial: bool) -> list[tuple]:
    """``Term.vector`` of each term, memoised in one table per coordinate system: the same terms are
    projected again by every prune and comparison they take part in (a memo keyed by term and
    coordinates hashed the 35 names of a 30-width chain again per term)."""
    table = _vector_table(names, opaque, polynomial)
    out = []
    for t in terms:
        v = table.get(t)
        if v is None:
            v = table[t] = tuple(t.vector(names, opaque, polynomial))
        out.append(v)
    return out


@lru_cache(maxsize=512)
def _vector_table(names: tuple, opaque: tuple, polynomial: bool) -> dict:
    """Term -> exponent vector over ``names`` and ``opaque`` (``_vectors``)."""
    return {}


@lru_cache(maxsize=1)
def has_numpy() -> bool:
    """Whether numpy can be imported. It is not a dependency of the core: without it long sums take
    the pure-Python path (the same answers, slower)."""
    try:
        import numpy  # noqa: F401
    except ImportError:
        return False
    return True


def _projections(terms, names: tuple, opaque: tuple, regime: Regime) -> list[tuple]:
    """Each term's growth rate on every extreme ray of the regime's cone (one tuple per term)."""
    rays = _rays(names, regime, opaque)
    return [_project(v, rays) for v in _vectors(terms, names, opaque, regime.polynomial)]


def _projection_matrix(terms, names: tuple, opaque: tuple, regime: Regime):
    """``_projections`` as a numpy matrix (rows = terms), for the vectorised tests of long sums."""
    import numpy as np
    rays = np.asarray(_rays(names, regime, opaque), dtype=float)
    return _dot_rows(np.asarray(_vectors(terms, names, opaque, regime.polynomial), dtype=float), rays)


def _dot_rows(A, B):
    """``A @ B.T`` without BLAS: these products are small (hundreds of rows, tens of rays), and
    OpenBLAS wakes its thread pool for them, whose spinning threads cost more CPU than the product
    (a third of a 10-layer symbolic query on 2 busy cores)."""
    import numpy as np
    return np.einsum("ik,jk->ij", A, B)


def _ge(pb: tuple, pa: tuple) -> bool:
    """``pb`` >= ``pa`` on every ray (x^a = O(x^b)): ``_le_proj(pa, [pb])`` without the pair search."""
    return all(y >= x - TOL for x, y in zip(pa, pb))


def _le_proj(pa: tuple, pbs: list) -> bool:
    """``_le`` on projections onto the rays (precomputed: this is the hot loop)."""
    full = (1 << len(pa)) - 1
    by_mask: dict = {}
    for pb in pbs:
        # the rays on which pb alone is at least pa
        mask = 0
        for k, (x, y) in enumerate(zip(pa, pb)):
            if y >= x - TOL:
                mask |= 1 << k
        if mask == full:
            return True
        by_mask.setdefault(mask, []).append(pb)
    if _separated(pa, pbs):
        return False
    # a convex combination of two is below pa on a ray where both are: only pairs whose masks
    # cover every ray can work. Terms are grouped by mask, so that the pairs of masks are filtered
    # once (a long sum has many terms but few distinct masks), and only covering pairs are solved.
    masks = list(by_mask)
    for a in range(len(masks)):
        ma = masks[a]
        for b in range(a, len(masks)):
            mb = masks[b]
            if ma | mb != full:
                continue
            group_a, group_b = by_mask[ma], by_mask[mb]
            for i, b1 in enumerate(group_a):
                for b2 in (group_b[i + 1:] if a == b else group_b):
                    if _pair_covers(pa, b1, b2):
                        return True
    return False


def _separated(pa, pbs) -> bool:
    """A certificate that no convex combination of ``pbs`` is >= ``pa`` on every ray: a weighting
    ``w >= 0`` of the rays (``pa``'s own growth rates, clipped at 0) on which ``pa`` is strictly
    larger than every ``pb``. A combination above ``pa`` on every ray would be above it in every
    non-negative weighting. Most terms of a long sum that survive pruning are separated this way,
    which spares the pair search (quadratic in the sum's length) for them; when the weighting
    separates nothing the pair search decides, so answers are unchanged."""
    w = [x if x > 0 else 0.0 for x in pa]
    top = sum(x * y for x, y in zip(pa, w))
    return all(sum(x * y for x, y in zip(pb, w)) < top - TOL for pb in pbs)


def _pair_covers(pa, b1, b2) -> bool:
    """Is there lam in [0, 1] with lam*b1 + (1-lam)*b2 >= pa on every ray?"""
    lo, hi = 0.0, 1.0
    # need lam*c1 + (1-lam)*c2 >= 0 on every ray, c = b - a there
    for x, y1, y2 in zip(pa, b1, b2):
        c1, c2 = y1 - x, y2 - x
        slope = c1 - c2
        if abs(slope) < TOL:
            if c2 < -TOL:
                return False
        elif slope > 0:
            lo = max(lo, -c2 / slope)
        else:
            hi = min(hi, -c2 / slope)
        if lo > hi + TOL:
            return False
    return lo <= hi + TOL


def _prune(terms: list[Term], regime: Regime) -> list[Term]:
    """Drop constant duplicates and terms dominated by others; keep the sum whole when a
    negative term is not strictly dominated by a positive one (no unsound cancellation)."""
    if not terms:
        return terms
    kept = _prune_cached(frozenset(terms), regime)
    out, seen = [], set()
    for t in terms:          # the caller's order, each term once
        if t in kept and t not in seen:
            seen.add(t)
            out.append(t)
    return out


@lru_cache(maxsize=8192)
def _prune_cached(terms: frozenset, regime: Regime) -> frozenset:
    """``_prune`` memoised by the set of terms: the same long sums are pruned again by each view of
    a bound, and reach here in different orders (a product multiplied out in another order). Which
    terms are kept does not depend on their order (every test is a relation between two terms or a
    term and a pair), so the answer is a set and the caller keeps its own order. A raised
    _NotPolylog is not memoised."""
    seen, uniq = {}, []
    for t in terms:
        key = (t.powers, t.logs, tuple(_okey(f) for f in t.opaque))
        if key in seen:
            # same shape twice: sympy already merged exact like terms, so these are asymptotic
            # stand-ins; opposite signs could cancel, and only the whole expression can tell
            if t.sign != uniq[seen[key]].sign:
                raise _NotPolylog("cancellation")
            continue
        seen[key] = len(uniq)
        uniq.append(t)
    names = tuple(sorted({n for t in uniq for n, _ in t.powers} | {n.lstrip(LOGLOG) for t in uniq for n, _ in t.logs}
                         | _size_log_names(uniq)))
    opaque = tuple(sorted({_okey(f) for t in uniq for f, _ in t.opaque}))
    positive = [i for i, t in enumerate(uniq) if t.sign > 0]
    negative = [i for i, t in enumerate(uniq) if t.sign < 0]
    # a negative term may be dropped only when strictly dominated by a positive term
    if len(positive) >= NUMPY_FROM and has_numpy():
        P = _projection_matrix(uniq, names, opaque, regime)
        if negative:
            above = _ge_matrix(P[positive], P[negative]) & ~_ge_matrix(P[negative], P[positive]).T
            if not above.any(axis=0).all():
                raise _NotPolylog("cancellation")
        kept_idx = _undominated_numpy(P, positive)
    else:
        proj = _projections(uniq, names, opaque, regime)
        for i in negative:
            if not any(_ge(proj[j], proj[i]) and not _ge(proj[i], proj[j]) for j in positive):
                raise _NotPolylog("cancellation")
        kept_idx = _undominated(proj, positive)
    # (a sum with a positive term always keeps one: the largest is below no other term)
    return frozenset(uniq[i] for i in kept_idx)


def _undominated(proj: list, positive: list) -> list:
    """Indices of the positive terms not dominated by another term or a convex combination of two
    (pure Python: short sums, no numpy import on the cold path)."""
    # Terms strictly dominated by a single other term go first (a skyline pass, largest first).
    # Whatever dominates a term is dominated by a survivor of this pass, so the convex
    # combinations of two (d^3 n^5 <= d^4 n^4 + n^8) need only be sought among the survivors:
    # the same answer as trying every pair of every term, without the cubic cost on long sums.
    frontier: list[int] = []
    for i in sorted(positive, key=lambda i: -sum(proj[i])):
        if any(_ge(proj[j], proj[i]) and not _ge(proj[i], proj[j]) for j in frontier):
            continue
        frontier = [j for j in frontier if not (_ge(proj[i], proj[j]) and not _ge(proj[j], proj[i]))]
        frontier.append(i)
    if len(frontier) > PAIR_LIMIT:
        # the pair search is cubic in the number of terms; past this size the survivors are kept
        # as they are: the sum is the same up to constants, only longer to print
        kept_idx = frontier
    else:
        kept_idx = []
        for i in frontier:
            others = [proj[j] for j in frontier
                      if j != i and not (_ge(proj[j], proj[i]) and _ge(proj[i], proj[j]))]
            # no other is >= it on every ray (the skyline removed the terms below one, and its
            # equals are left out), so a separating weighting settles it before any pair is tried
            if others and not _separated(proj[i], others) and _le_proj(proj[i], others):
                continue
            kept_idx.append(i)
    return kept_idx


def _undominated_numpy(proj: list, positive: list) -> list:
    """``_undominated`` on numpy arrays, for long sums (a chain of many distinct widths has hundreds
    of terms): the same tests with the same tolerances, vectorised. Strict single-term dominance is
    one broadcast comparison; the pair search first removes the terms that a weighting of the rays
    separates from every other term (``_separated``), and seeks covering pairs only for the rest."""
    import numpy as np

    P = np.asarray(proj, dtype=float)[positive]
    ge = _ge_matrix(P, P)          # ge[j, i]: term i = O(term j)
    strict = ge & ~ge.T
    on_frontier = ~strict.any(axis=0)
    frontier = np.flatnonzero(on_frontier)
    if len(frontier) > PAIR_LIMIT:
        return [positive[i] for i in frontier]
    F = P[frontier]
    equal = ge[np.ix_(frontier, frontier)] & ge[np.ix_(frontier, frontier)].T
    covered = np.zeros(len(frontier), dtype=bool)
    todo = np.flatnonzero(~_separated_numpy(F, equal))
    if len(todo):
        covered[todo] = _pairs_cover(F[todo], F, exclude=equal[:, todo].T)
    return [positive[frontier[a]] for a in range(len(frontier)) if not covered[a]]


def _pairs_cover(targets, B, exclude=None):
    """For each row of ``targets``: is some convex combination of two rows of ``B`` (one row twice
    is that row alone) >= it on every ray? ``exclude[i, j]``: row j of ``B`` never counts for target
    i (the target itself and its equals, when the targets are rows of ``B``). ``_pair_covers`` over
    every pair whose masks cover every ray, vectorised in blocks of targets: one numpy pass per
    block, not one call per term (a millisecond of overhead each, for hundreds of terms)."""
    import numpy as np

    m, r = B.shape
    out = _midpoints_cover(targets, B, exclude)
    block = max(1, BROADCAST_LIMIT // max(1, 8 * m * r))
    step = max(1, BROADCAST_LIMIT // max(1, m * r))
    for start in range(0, len(targets), block):
        if out[start:start + block].all():
            continue
        rows = targets[start:start + block]
        C = B[None, :, :] - rows[:, None, :]                 # C[i, j] = B[j] - rows[i]
        M = C >= -TOL
        allowed = np.ones(C.shape[:2], dtype=bool)
        if exclude is not None:
            allowed = ~exclude[start:start + block]
            M &= allowed[:, :, None]
        # the targets not found in the middle of a pair: a search for a weighting that separates
        # them, then pairs with the likeliest partners (among them the rows that search met)
        covered = out[start:start + len(rows)].copy()
        separated = np.zeros(len(rows), dtype=bool)
        rest = np.flatnonzero(~covered)
        if len(rest):
            # the pair test's tolerance is on lambda, so the slack it allows grows with the values
            margin = SEPARATION_MARGIN * max(1.0, float(np.abs(C).max()) if C.size else 1.0)
            separated[rest], covered[rest] = _separate_or_cover(C[rest], M[rest], allowed[rest], margin)
        out[start:start + len(rows)] = covered
        if (covered | separated).all():
            continue
        todo = np.flatnonzero(~(covered | separated))
        C, M, rows_start = C[todo], M[todo], start
        # a covering pair has a member at least the target on the ray that the fewest rows are
        scarce_ray = M.sum(axis=1).argmin(axis=1)
        ai, ji = np.nonzero(M[np.arange(len(todo)), :, scarce_ray])
        for s0 in range(0, len(ai), step):
            a_, j_ = ai[s0:s0 + step], ji[s0:s0 + step]
            p, k = np.nonzero((M[a_, j_][:, None, :] | M[a_]).all(axis=2))
            a_, j_ = a_[p], j_[p]
            ok = _pairs_cover_rows(C[a_, j_], C[a_, k])
            out[rows_start + todo[a_[ok]]] = True
    return out


def _midpoints_cover(targets, B, exclude=None):
    """For each row of ``targets``: is it the middle of two rows of ``B`` (allowed for it, see
    ``_pairs_cover``) that pass the pair test? The cross terms of a product are (W^2's w_i*w_j is
    the middle of w_i^2 and w_j^2), and finding them this way costs one sort of the pairs' middles
    instead of a search per target. Middles are matched by a random projection and a window, and
    every match is checked with ``_pairs_cover_rows``, the full search's own test: a target marked
    here is one the full search marks; the others are left to it."""
    import numpy as np

    out = np.zeros(len(targets), dtype=bool)
    m = len(B)
    if m < 3 or not len(targets) or m * (m - 1) // 2 > MIDPOINT_PAIRS:
        return out
    j, k = np.triu_indices(m, 1)
    direction = np.random.default_rng(0).uniform(1.0, 2.0, B.shape[1])
    keyed = B @ direction
    mids = (keyed[j] + keyed[k]) * 0.5
    order = np.argsort(mids, kind="stable")
    mids = mids[order]
    want = targets @ direction
    window = 1e-9 * max(1.0, float(np.abs(keyed).max()))
    lo = np.searchsorted(mids, want - window, side="left")
    hi = np.searchsorted(mids, want + window, side="right")
    counts = hi - lo
    if not counts.any():
        return out
    # every (target, pair) match at once: target t with the sorted pairs lo[t] .. hi[t] - 1
    t = np.repeat(np.arange(len(targets)), counts)
    pairs = order[np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())]
    pj, pk = j[pairs], k[pairs]
    if exclude is not None:
        fine = ~(exclude[t, pj] | exclude[t, pk])
        t, pj, pk = t[fine], pj[fine], pk[fine]
    ok = _pairs_cover_rows(B[pj] - targets[t], B[pk] - targets[t])
    out[t[ok]] = True
    return out


def _separate_or_cover(C, M, allowed, margin: float, rounds: int = SEPARATION_ROUNDS):
    """For each target (``C[i, j]`` = row j minus target i on each ray, ``M`` = ``C >= -TOL`` where
    allowed): a proof that no pair covers it, or a covering pair, where a quick search finds one.
    Returns (separated, covered); a target in neither goes to the full pair search.

    Separated: a weighting ``w >= 0`` of the rays with ``sum(w) = 1`` and ``w . C[i, j] < -margin``
    for every allowed row j proves that no convex combination of rows is >= the target on every ray
    (a combination within the pair search's tolerance would score above ``-margin``). The weighting
    is sought by a perceptron: each round moves a target's weighting away from the row that scores
    highest against it. That row is the likeliest member of a covering pair when the target is
    dominated: the first round's is tried at once against every other row (``_covered_with``, the
    pair search's own test; the dominated terms of W^2 + W*k are all covered there, instead of
    after twelve rounds), and the later rounds' rows are tried at the end, with the row that falls
    least short of the target on its worst ray and the row at least as large on the most rays
    (``_likely_pairs_cover``). A target's rounds depend on it alone, so the answers are those of
    running every round on every target.

    The three fixed weightings of ``_separated_numpy`` miss the terms of a long product that lie on
    its hull between others (W*U of a chain of distinct widths: 44 of 105 kept terms), and proving
    those uncovered by trying every pair was most of a symbolic query; a few rounds separate them."""
    import numpy as np

    n = len(C)
    w = np.clip(-C.mean(axis=1), 0.0, None) + 1e-3          # the target minus the mean row, clipped
    w /= w.sum(axis=1, keepdims=True)
    separated = np.zeros(n, dtype=bool)
    covered = np.zeros(n, dtype=bool)
    partners = np.zeros((n, rounds), dtype=np.intp)
    active = np.arange(n)
    for k in range(rounds):
        scores = np.einsum("ijr,ir->ij", C[active], w[active])
        scores[~allowed[active]] = -np.inf
        top = scores.argmax(axis=1)
        partners[active, k:] = top[:, None]
        sep = scores[np.arange(len(active)), top] < -margin
        separated[active[sep]] = True
        keep = ~sep
        if k == 0:
            cov = _covered_with(C, M, allowed, active, top) & keep
            covered[active[cov]] = True
            keep &= ~cov
        active, top = active[keep], top[keep]
        if not len(active):
            return separated, covered
        step = -C[active, top]
        wa = np.clip(w[active] + step / (1.0 + k) ** 0.5, 0.0, None)
        total = wa.sum(axis=1, keepdims=True)
        w[active] = np.where(total > 0, wa / np.where(total > 0, total, 1.0), 1.0 / w.shape[1])
    covered[active] = _likely_pairs_cover(C[active], M[active], allowed[active], partners[active, 1:])
    return separated, covered


def _covered_with(C, M, allowed, a, j):
    """For each target ``a[i]``: does a pair of row ``j[i]`` and some other allowed row pass the pair
    test (``_pairs_cover_rows``)? Only rows whose rays at least the target's complete row j's are
    tried (a pair is below the target on a ray where both members are)."""
    import numpy as np

    out = np.zeros(len(a), dtype=bool)
    usable = np.flatnonzero(allowed[a, j])
    if not len(usable):
        return out
    a_, j_ = a[usable], j[usable]
    pair = (M[a_, j_][:, None, :] | M[a_]).all(axis=2) & allowed[a_]
    t_, k_ = np.nonzero(pair)
    ok = _pairs_cover_rows(C[a_[t_], j_[t_]], C[a_[t_], k_])
    out[usable[t_[ok]]] = True
    return out


def _likely_pairs_cover(C, M, allowed, partners):
    """The last quick pass of ``_separate_or_cover``: for each target, the pairs with one of its
    likeliest partners (the row that falls least short of it on its worst ray, the row at least as
    large on the most rays, and ``partners[i]``, the rows the separation search met above it), each
    tried against every other row at once."""
    import numpy as np

    covered = np.zeros(len(C), dtype=bool)
    worst = np.where(allowed, C.min(axis=2), -np.inf).argmax(axis=1)
    most = np.where(allowed, M.sum(axis=2), -1).argmax(axis=1)
    tried = set()
    for j in (worst, most, *partners.T):
        key = j.tobytes()
        if key in tried:
            continue
        tried.add(key)
        left = np.flatnonzero(~covered)
        covered[left] = _covered_with(C, M, allowed, left, j[left])
    return covered


def _separated_numpy(F, equal):
    """``_separated`` for every row of ``F`` against the rows not equal to it, with three
    weightings of the rays tried at once (any weighting >= 0 on which a row is strictly above all
    the others proves that no convex combination of them covers it): the row itself, the row minus
    the mean row, and the number of rows it exceeds on each ray. Between them they separate nearly
    every term that survives the pruning of a long sum, which leaves the pair search to the terms
    that are dominated."""
    import numpy as np

    def below():
        # below[a, ray]: how many rows a exceeds on that ray (a rank in the sorted column, not an
        # n x n x rays comparison)
        ranks = np.empty_like(F)
        for k in range(F.shape[1]):
            ranks[:, k] = np.searchsorted(np.sort(F[:, k]), F[:, k], side="left")
        return ranks

    out = np.zeros(len(F), dtype=bool)
    for weighting in (lambda: np.clip(F, 0.0, None), lambda: np.clip(F - F.mean(axis=0), 0.0, None), below):
        rest = np.flatnonzero(~out)       # each weighting only for the rows not yet separated
        if not len(rest):
            break
        W = weighting()[rest]
        scores = _dot_rows(F, W)          # scores[j, i] = <F_j, w_rest[i]>
        top = scores[rest, np.arange(len(rest))]
        out[rest] = np.where(equal[:, rest], True, scores < top[None, :] - TOL).all(axis=0)
    return out


def _all_covered_numpy(fp: list, gp: list) -> bool:
    """``all(_le_proj(a, gp) for a in fp)`` vectorised (a comparison of two long sums): a term
    below no single term of g and separated from all of them (``_separated``) is not covered;
    the rest must be covered by pairs."""
    import numpy as np

    F, G = np.asarray(fp, dtype=float), np.asarray(gp, dtype=float)
    if (F > G.max(axis=0) + SEPARATION_MARGIN * max(1.0, np.abs(G).max(), np.abs(F).max())).any():
        # a term above every term of g on some ray is above every combination of them there (by
        # more than the pair test's tolerance can make up, which grows with the values)
        return False
    step = max(1, BROADCAST_LIMIT // max(1, G.size))
    for start in range(0, len(F), step):
        chunk = F[start:start + step]
        rest = chunk[~_below_some_row(G, chunk)]
        if not len(rest):
            continue
        W = np.clip(rest, 0.0, None)
        if (_dot_rows(G, W) < (rest * W).sum(axis=1) - TOL).all(axis=0).any():
            return False
        if not _pairs_cover(rest, G).all():
            return False
    return True


def _below_some_row(G, F):
    """For each row of ``F``: is some row of ``G`` >= it (within TOL) on every ray? ``_ge_matrix(G,
    F).any(axis=0)`` without the whole matrix: the rows of G are tried largest first, a few dozen
    at a time, and a row of F leaves once one is found (comparing two sums of 2,000 terms, most
    terms of one are below one of the largest terms of the other)."""
    import numpy as np

    G = G[np.argsort(-G.sum(axis=1), kind="stable")]
    found = np.zeros(len(F), dtype=bool)
    active = np.arange(len(F))
    rows = 32
    for start in range(0, len(G), rows):
        if not len(active):
            break
        block = G[start:start + rows]
        hit = np.zeros(len(active), dtype=bool)
        step = max(1, BROADCAST_LIMIT // max(1, block.size))
        for s0 in range(0, len(active), step):
            sub = F[active[s0:s0 + step]]
            hit[s0:s0 + step] = (block[:, None, :] >= sub[None, :, :] - TOL).all(axis=2).any(axis=0)
        found[active[hit]] = True
        active = active[~hit]
    return found


def _ge_matrix(A, B):
    """``out[j, i]``: ``A[j] >= B[i] - TOL`` on every ray. One ray at a time on two-dimensional
    arrays (a three-dimensional broadcast reduced over its short last axis was most of a query on a
    chain of 30 distinct widths), on small integer ranks when the values allow it (``_column_ranks``)."""
    import numpy as np

    ranked = _column_ranks(A, B)
    if ranked is not None:
        AT, BT = ranked
        if len(A) * len(B) * len(AT) >= BITSET_FROM:
            return _ge_matrix_bits(AT, BT)
    else:
        AT, BT = np.ascontiguousarray(A.T), np.ascontiguousarray((B - TOL).T)
    out = np.ones((len(A), len(B)), dtype=bool)
    tmp = np.empty_like(out)
    for a, b in zip(AT, BT):
        np.greater_equal(a[:, None], b[None, :], out=tmp)
        out &= tmp
    return out


def _ge_matrix_bits(AT, BT):
    """``_ge_matrix`` on ranks (rays first), with bit sets: for each ray and rank v, the set of rows
    of A whose rank there is >= v, 64 rows to a word; B's row i is below A's rows in the AND of its
    ranks' sets over the rays. A long product of distinct widths (2,000 terms on 32 rays) took 40 ms
    as byte comparisons, a few as words."""
    import numpy as np

    bits = np.unpackbits(_ge_bits(AT, BT).view(np.uint8), axis=1, count=AT.shape[1], bitorder="little")
    return bits.T.astype(bool)


def _ge_bits(AT, BT):
    """For each row of B (ranks, rays first): the rows of A at least it on every ray, as a bit set
    (``[len(B), words]`` of uint64, row j of A at bit j % 64 of word j // 64)."""
    import numpy as np

    m, n = AT.shape[1], BT.shape[1]
    words = (m + 63) // 64
    acc = np.full((n, words), ~np.uint64(0), dtype=np.uint64)
    for a, b in zip(AT, BT):
        top = int(max(a.max(), b.max())) + 1
        # at_least[v] = rows of A with rank >= v (v = 0 .. top - 1), packed little-endian by row
        at_least = np.zeros((top, words * 64), dtype=bool)
        at_least[:, :m] = a[None, :] >= np.arange(top, dtype=a.dtype)[:, None]
        packed = np.packbits(at_least, axis=1, bitorder="little").view(np.uint64)
        acc &= packed[b]
    return acc


def _column_ranks(A, B):
    """Each ray's values in ``A`` and ``B`` replaced by their rank (uint8 or uint16, rays first):
    values within TOL of their neighbour share a rank (float rounding of one exponent, 3e-3 against
    0.001 * 3). When each such group spans at most TOL and the groups are more than TOL apart,
    ``a >= b - TOL`` is exactly ``rank(a) >= rank(b)``, and comparing small integers is several times
    faster than comparing floats. None when the values do not allow it (a chain of near values)."""
    import numpy as np

    both = np.concatenate([A, B])
    AT = np.empty((A.shape[1], len(A)), dtype=np.uint16)
    BT = np.empty((B.shape[1], len(B)), dtype=np.uint16)
    top = 0
    for r in range(both.shape[1]):
        values = np.unique(both[:, r])
        starts = np.concatenate([[True], np.diff(values) > TOL])     # a new group begins
        group = np.cumsum(starts) - 1
        if len(values) > 1 and not starts.all():
            first = values[starts][group]                             # each value's group minimum
            if (values - first).max() > TOL:
                return None
        if group[-1] >= 65535:
            return None
        top = max(top, int(group[-1]) + 1)
        AT[r] = group[np.searchsorted(values, A[:, r])]
        BT[r] = group[np.searchsorted(values, B[:, r])]
    if top <= 256:
        return AT.astype(np.uint8), BT.astype(np.uint8)
    return AT, BT


def _pairs_cover_rows(c1, c2):
    """Row by row: is there lam in [0, 1] with lam*c1 + (1-lam)*c2 >= 0 on every ray (``c`` = a
    candidate's growth minus the term's)? ``_pair_covers`` vectorised, with the same tolerances."""
    import numpy as np

    slope = c1 - c2
    flat = np.abs(slope) < TOL
    bad_flat = (flat & (c2 < -TOL)).any(axis=1)
    bound = -c2 / np.where(flat, 1.0, slope)
    lo = np.maximum(np.where(~flat & (slope > 0), bound, -np.inf).max(axis=1, initial=-np.inf), 0.0)
    hi = np.minimum(np.where(~flat & (slope < 0), bound, np.inf).min(axis=1, initial=np.inf), 1.0)
    return (lo <= hi + TOL) & ~bad_flat


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------
def dominant(expr, regime: Regime | None = None) -> Form:
    """Reduce ``expr`` to its dominant terms (constants dropped) in ``regime``.

    >>> from vcbound.expressions import make_symbol as S
    >>> n, d = S("n", True), S("d", True)
    >>> dominant(4*n*(d + n) + 8*n).expr()
    d*n + n**2
    >>> dominant((n**2 + n*d)**4 * S("T")**2).expr()
    T**2*d**4*n**4 + T**2*n**8
    """
    regime = regime or PLAIN
    if not isinstance(expr, sp.Basic):      # numbers from our own code, never user text
        expr = sp.Integer(expr) if isinstance(expr, int) else sp.Float(expr)
    return _dominant_cached(expr, regime)


@lru_cache(maxsize=4096)
def _dominant_cached(expr, regime) -> Form:
    """``dominant`` memoised: bounds repeat across views, measures and queries."""
    expr = regime.apply(expr)
    # Multiply out only where a sum can cancel across unexpanded factors, so that sympy merges like
    # terms exactly before any term is judged negligible. Elsewhere each factor is reduced to its
    # dominant terms first (_terms_of; a factor whose own terms might cancel is kept whole), the
    # same answer up to constants without sympy's expand (which was most of the time of a query
    # whose bound is a product of counts: W^2*U^2 of a chain of distinct widths is thousands of
    # terms). The reference engine also multiplied out products of up to 400 terms; on the stored
    # architectures that changed no answer.
    if _may_cancel(expr):
        expr = _expand_outside_logs(expr)
    symbols = tuple(sorted(((s.name, s) for s in expr.free_symbols), key=lambda x: x[0]))
    return _dominant(expr, regime, symbols)


class _Outside(Exception):
    """A bound or a value outside the subset ``dominant_substituted`` composes (the caller
    substitutes and reduces the whole expression instead)."""


class _Decaying(_Outside):
    """A log's argument whose dominant terms are positive but do not all grow (``inner``)."""

    def __init__(self, inner):
        super().__init__(inner)
        self.inner = inner


def dominant_substituted(bound, mapping: dict, regime: Regime | None = None) -> Form | None:
    """``dominant(bound.xreplace(mapping), regime)`` without building the substituted expression,
    or None where this shortcut does not apply (then the caller substitutes and calls ``dominant``).

    A theorem's bound is a small expression in its letters (``W*L*log(W)``); the values are the
    network's counts, shared by every result of a query and often hundreds of terms long. Sympy
    substitution rebuilt and re-evaluated each count inside each bound (its evaluation and
    assumption queries were most of a symbolic query). Here the bound's tree is walked once: a
    letter stands for its count's terms (reduced once per count), and sums, products, rational
    powers, logs and floors combine them by the rules ``_terms_of`` and ``_log_terms`` apply to the
    substituted expression; numbers are carried exactly where they can decide something (an
    exponent, a log of 1) and as floats otherwise. Only cases whose answer is the same are taken:
    a positive bound, positive constant factors, counts without min/max whose terms cannot cancel,
    rational exponents, logs of growing arguments. Anything else (a bound that is 0 or negative
    here, a count in an exponent outside a log, a min/max outside a log) returns None.
    tests/test_engine_equivalence.py checks the resolver's answers against the reference engine,
    which never takes this shortcut."""
    return _dominant_substituted_cached(bound, tuple(mapping.items()), regime or PLAIN)


@lru_cache(maxsize=8192)
def _dominant_substituted_cached(bound, items: tuple, regime: Regime) -> Form | None:
    values = {}
    for sym, value in items:
        v = _letter_value(value, regime)
        if v is None:
            return None
        values[sym] = v
    if all(v[0] == "num" for v in values.values()) and _surely_positive(bound, values):
        return _CONSTANT        # every letter a number and the bound surely a positive number
    if any(v[0] == "terms" for v in values.values()):
        # sympy's evaluation of the substituted bound merges factors (log(A*1) = log(A), then
        # log(A)*log(A) = log(A)^2; two letters with one count) and drops vanishing ones; its terms
        # are those of the merged expression, so the walk is over the bound as sympy leaves it
        # with the numbers in and one placeholder per count
        pattern, placed, seen = [], {}, {}
        for sym, value in items:
            v = values[sym]
            if v[0] == "terms":
                holder = _placeholder(seen.setdefault(v[3], len(seen)), _is_positive(v[3]))
                placed[holder] = v
                pattern.append((sym, holder))
            else:
                pattern.append((sym, v[3]))
        bound, values = _skeleton(bound, tuple(pattern)), placed
    try:
        kind, payload = _compose(bound, values)
        if kind == "num":
            if payload[0] <= NUMBER_MARGIN or payload[1] == 0:
                return None     # 0 or negative here: the caller refuses it with the substituted value
            if not any(v[2] for v in values.values()):
                return _CONSTANT        # every letter a number (a network of numeric widths)
            terms = [Term((), ())]
        else:
            terms = _prune(payload, regime)
    except (_Outside, _NotPolylog):
        return None
    symbols = {}
    for v in values.values():
        symbols.update(v[2])
    return Form("sum", tuple(terms), symbols=tuple(sorted(symbols.items(), key=lambda x: x[0])))


class _Unsure(Exception):
    """An evaluation that cannot vouch for the sign of the exact value."""


def _surely_positive(bound, values: dict) -> bool:
    """Whether ``bound`` with every letter a number (``values``: ``_letter_value``s) is surely a
    positive number, from one evaluation of a program compiled once per bound (``_sign_program``);
    then its dominant form is the constant one, which the walk below finds with exact fractions
    (several times slower), and the substitution it falls back on finds for every positive value.
    False is "not shown": the walk decides."""
    program = _sign_program(bound)
    if program is None:
        return False
    env = {sym: (v[1][1] if v[1][1] is not None else v[1][0]) for sym, v in values.items()}
    try:
        return program(env) > 0
    except (_Unsure, ArithmeticError, ValueError, KeyError, TypeError):
        return False


def _exact(x) -> bool:
    return type(x) is not float


def _positive_float(x: float) -> float:
    if not (x > 0 and math.isfinite(x)):
        raise _Unsure(x)
    return x


@lru_cache(maxsize=4096)
def _sign_program(node):
    """A function of the letters' values (exact int or Fraction; a float for an irrational count)
    computing ``node`` so that its sign is certain, or None for a node it does not take. A value is
    exact (int or Fraction: sums, products, integer powers and floors of rationals, the log of 1),
    or a float standing for a number known to be positive: a positive irrational constant (log 2, E),
    a log of a number above 1 (by far more than rounding), and sums, products, real powers and
    max/min of positive values. Floats are never subtracted, so they carry no cancellation;
    whatever could make a float's sign uncertain (a negative exact factor or term next to it, a log
    of a float near 1, a power of a base <= 0) raises _Unsure."""
    if node.is_Symbol:
        def letter(env):
            x = env[node]
            return _positive_float(x) if type(x) is float else x
        return letter
    if node.is_Rational:
        number = exact_rational(node)
        return lambda env: number
    if node.is_number:
        try:
            number = float(node)
        except (TypeError, ValueError, OverflowError):
            return None
        if not (number > 0 and math.isfinite(number)):
            return None
        return lambda env: number
    parts = [_sign_program(a) for a in node.args]
    if any(p is None for p in parts):
        return None
    if isinstance(node, sp.Add):
        def add(env):
            exact, floats, negative = 0, 0.0, False
            for p in parts:
                v = p(env)
                if type(v) is float:
                    floats += v
                else:
                    exact += v
                    negative = negative or v < 0
            if not floats:
                return exact
            if negative:
                raise _Unsure(node)
            return _positive_float(float(exact) + floats)
        return add
    if isinstance(node, sp.Mul):
        def mul(env):
            exact, floats = 1, None
            for p in parts:
                v = p(env)
                if type(v) is float:
                    floats = v if floats is None else floats * v
                else:
                    exact *= v
            if floats is None or exact == 0:
                return exact            # (0 times positive numbers is exactly 0)
            if exact < 0:
                raise _Unsure(node)
            return _positive_float(float(exact) * floats)
        return mul
    if isinstance(node, sp.Pow):
        base, power = parts

        def pow_(env):
            b, x = base(env), power(env)
            if _exact(b) and _exact(x) and x == int(x) and abs(x) <= 64:
                if b == 0 and x < 0:
                    raise _Unsure(node)             # 1/0
                return Fraction(b) ** int(x) if x < 0 else b ** int(x)
            if not b > 0:
                raise _Unsure(node)
            return _positive_float(float(b) ** float(x))
        return pow_
    if isinstance(node, sp.log):
        (arg,) = parts

        def log(env):
            a = arg(env)
            if _exact(a) and a == 1:
                return 0
            if not a > (1 if _exact(a) else 1 + LOG_ARGUMENT_MARGIN):
                raise _Unsure(node)             # the log of a number below 1 (or of about 1, as a float)
            return _positive_float(math.log(a))
        return log
    if isinstance(node, (sp.Max, sp.Min)):
        pick = max if isinstance(node, sp.Max) else min

        def extreme(env):
            vals = [p(env) for p in parts]
            if all(_exact(v) for v in vals):
                return pick(vals)
            if any(_exact(v) and v <= 0 for v in vals):
                raise _Unsure(node)
            return _positive_float(pick(float(v) for v in vals))
        return extreme
    if isinstance(node, (sp.floor, sp.ceiling)):
        (arg,) = parts
        whole = math.floor if isinstance(node, sp.floor) else math.ceil

        def rounded(env):
            a = arg(env)
            if not _exact(a):
                raise _Unsure(node)
            return whole(a)
        return rounded
    return None


def _is_positive(value) -> bool:
    """``bool(value.is_positive)`` for a count. A sum of monomials with positive rational
    coefficients in positive symbols is positive, and sympy says so too; it is answered here
    without sympy's assumption system (several milliseconds for each count of a chain of distinct
    widths, once per query). Anything else is asked of sympy."""
    for term in (value.args if value.is_Add else (value,)):
        coeff, rest = term.as_coeff_Mul()
        if not (coeff.is_Rational and coeff > 0):
            return bool(value.is_positive)
        for factor in (rest.args if rest.is_Mul else (rest,)):
            base = factor.base if factor.is_Pow and factor.exp.is_Rational else factor
            if not (base.is_Symbol and base.is_positive) and not (factor is rest and rest is sp.S.One):
                return bool(value.is_positive)
    return True


_CONSTANT = Form("sum", (Term((), ()),))     # a positive number's dominant form

_PLACEHOLDERS: dict = {}


def _placeholder(i: int, positive: bool):
    """The i-th stand-in for a count: real, and positive when sympy knows the count is (what its
    evaluation of powers and logs depends on: (A^2)^(3/2) is A^3 for a positive A, A^2*|A| for
    a real one). The same object every time, so that skeletons are memoised."""
    key = (i, positive)
    if key not in _PLACEHOLDERS:
        _PLACEHOLDERS[key] = sp.Dummy(f"count{i}", real=True, positive=True if positive else None)
    return _PLACEHOLDERS[key]


@lru_cache(maxsize=4096)
def _skeleton(bound, pattern: tuple):
    """``bound`` with its letters replaced by numbers and placeholders, evaluated by sympy (small:
    a theorem's bound; memoised, since a family of networks shares its numbers)."""
    return bound.xreplace(dict(pattern))


NUMBER_MARGIN = 1e-9      # a float is taken as positive (a log's argument as above 1) only beyond this
LOG_ARGUMENT_MARGIN = 1e-9     # _sign_program: a float log argument must exceed 1 by this much


@lru_cache(maxsize=4096)
def _letter_value(value, regime: Regime):
    """A letter's value as ``_compose`` reads it: ("num", (float, exact int, Fraction or None), {}, value)
    for a number, ("terms", raw terms, symbols, value) for a count, None when the shortcut does not
    apply."""
    if isinstance(value, int):
        value = sp.Integer(value)
    value = regime.apply(value)
    if value.is_number:
        number = _number(value)
        return None if number is None else ("num", number, {}, value)
    if value.is_Mul and any(_opaque_inverse(f) for f in value.args):
        return None     # a ratio of counts (below), known before the whole product is walked
    if value.has(sp.Min, sp.Max) or _may_cancel(value):
        return None
    try:
        terms = _terms_of(value)
    except _NotPolylog:
        return None
    if not terms or any(t.opaque for t in terms):
        # a ratio of counts (1/(L n^2 + ...)) is an opaque factor here, and sympy cancels it against
        # the same count elsewhere in the bound (Lbar*W with Lbar = (...)/W): only the whole can tell
        return None
    return ("terms", terms, {s.name: s for s in value.free_symbols}, value)


def _opaque_inverse(factor) -> bool:
    """Whether ``_terms_of`` reads this factor of a product as an opaque factor: one over a sum that
    keeps more than one dominant term (Lbar = (sum of partial counts) / W)."""
    if not (factor.is_Pow and factor.base.is_Add and factor.exp.is_Rational and factor.exp < 0):
        return False
    try:
        return len(_prune(_terms_of(factor.base), PLAIN)) > 1
    except _NotPolylog:
        return False


def exact_rational(value):
    """A sympy Rational as a Python int, or a Fraction when it is not an integer (int arithmetic is
    several times faster than Fraction's, and mixes with it exactly)."""
    return int(value.p) if value.q == 1 else Fraction(int(value.p), int(value.q))


@lru_cache(maxsize=4096)
def _number(value):
    """(float, exact int or Fraction, or None) of a real sympy number; None when it has no finite float
    (memoised: a theorem's constants, log(2) and E, are evaluated by sympy's evalf)."""
    exact = exact_rational(value) if value.is_Rational else None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return (number, exact) if math.isfinite(number) else None


def _compose(node, values: dict):
    """("num", (float, exact int, Fraction or None)) or ("terms", raw terms) of ``node`` with the letters'
    values; raises _Outside where the shortcut does not apply."""
    kind, extra = _node_kind(node)
    if kind == "letter":
        value = values.get(node)
        if value is None:
            raise _Outside(node)            # a letter without a value
        return value[:2]
    if kind == "num":
        if extra is None:
            raise _Outside(node)
        return "num", extra
    if kind == "log":
        return _compose_log(node.args[0], values)
    if kind == "add":
        return _compose_sum([_compose(a, values) for a in node.args])
    if kind == "mul":
        if extra and node.args[1] in values and isinstance(values[node.args[1]][3], sp.Add):
            # sympy distributes a rational coefficient over a sum (2*(a + b) = 2*a + 2*b): the
            # count's terms as they are, not reduced as a factor
            if node.args[0] <= 0:
                raise _Outside(node)
            return values[node.args[1]][:2]
        return _compose_product([_compose(a, values) for a in node.args])
    if kind == "pow":
        return _compose_power(node, values)
    if kind == "floor":
        k, p = _compose(node.args[0], values)
        if k == "terms":
            return "terms", p               # floor(x), ceil(x) = Theta(x) for growing x (_terms_of)
        if p[1] is None:
            raise _Outside(node)
        whole = math.floor(p[1]) if isinstance(node, sp.floor) else math.ceil(p[1])
        return "num", (float(whole), whole)
    raise _Outside(node)                    # a min/max, another function


@lru_cache(maxsize=16384)
def _node_kind(node) -> tuple:
    """How ``_compose`` reads a node: ("letter", None), ("num", its ``_number``), ("mul", whether it
    is a rational times one other factor), ("log" | "add" | "pow" | "floor" | "other", None).
    Memoised: every query walks the same theorem bounds, and sympy's ``is_number`` walks a compound
    node's arguments each time it is asked."""
    if node.is_Symbol:
        return "letter", None
    if node.is_number:
        return "num", _number(node)
    if isinstance(node, sp.log):
        return "log", None
    if isinstance(node, sp.Add):
        return "add", None
    if isinstance(node, sp.Mul):
        return "mul", len(node.args) == 2 and node.args[0].is_Rational
    if isinstance(node, sp.Pow):
        return "pow", None
    if isinstance(node, (sp.floor, sp.ceiling)):
        return "floor", None
    return "other", None


def _compose_sum(parts):
    if all(k == "num" for k, _p in parts):
        exact = None if any(p[1] is None for _k, p in parts) else sum(p[1] for _k, p in parts)
        return "num", (_finite(math.fsum(p[0] for _k, p in parts)), exact)
    out = []
    for k, p in parts:
        if k == "terms":
            out.extend(p)
        elif p[1] != 0:
            if p[0] <= NUMBER_MARGIN:
                raise _Outside(p)           # a negative constant next to counts
            out.append(Term((), ()))
    return "terms", out


def _compose_product(parts):
    if any(k == "num" and p[1] == 0 for k, p in parts):
        return "num", (0.0, 0)              # every other factor is finite
    if all(k == "num" for k, _p in parts):
        number, exact = 1.0, 1
        for _k, p in parts:
            number *= p[0]
            exact = None if exact is None or p[1] is None else exact * p[1]
        return "num", (_finite(number), exact)
    acc = [Term((), ())]
    for k, p in parts:
        if k == "num":
            if p[0] <= NUMBER_MARGIN:
                raise _Outside(p)           # a negative factor
            continue                        # a positive constant factor
        fterms = _prune(p, PLAIN) if len(p) > 1 else p     # each factor reduced first (_terms_of)
        acc = [_mul(a, b) for a in acc for b in fterms]
    return "terms", acc


def _compose_power(node, values: dict):
    base, ex = node.args
    k, p = _compose(base, values)
    if k == "num" and p[1] == 1:
        return "num", (1.0, 1)             # 1^x = 1, whatever x is
    ke, pe = _compose(ex, values)
    if ke != "num" or pe[1] is None:
        raise _Outside(node)                # a count in an exponent: only a log takes it apart
    r = pe[1]
    if isinstance(base, sp.Mul) and k == "terms":
        # sympy gives (a*b)^r as a^r * b^r (always for an integer r, for positive factors otherwise):
        # each factor is reduced on its own; a product reduced as a whole can keep other terms
        if r.denominator != 1:
            raise _Outside(node)
        return _compose_product([_compose_power(sp.Pow(f, ex, evaluate=False), values) for f in base.args])
    if k == "num":
        if p[1] == 0:
            if r > 0:
                return "num", (0.0, 0)
            raise _Outside(node)
        if p[0] <= 0 and r.denominator != 1:
            raise _Outside(node)
        # (Fraction: an int to a negative power would be a float)
        exact = (Fraction(p[1]) if r < 0 else p[1]) ** r.numerator \
            if p[1] is not None and r.denominator == 1 and abs(r) <= 64 else None
        try:
            number = p[0] ** float(r)
        except (OverflowError, ZeroDivisionError):
            raise _Outside(node) from None
        if isinstance(number, complex):
            raise _Outside(node)
        return "num", (_finite(number), exact)
    bterms = _prune(p, PLAIN)
    r = sp.Rational(r.numerator, r.denominator)
    if r > 0 and (len(bterms) == 1 or all(t.sign > 0 for t in bterms)):
        return "terms", [_pow(t, r) for t in bterms]      # (a + b)^r = Theta(a^r + b^r)
    if r < 0 and len(bterms) == 1:
        return "terms", [_pow(bterms[0], r)]
    raise _Outside(node)


def _compose_log(arg, values: dict, whole: bool = True):
    """``_compose`` of log(arg). A product's log is the sum of its factors' logs: the growing
    factors' logs, when there are any, with the constant factors' adding O(1); an exponential's
    c^x (c > 1) is x; a max's is the union of its growing arguments' logs; a growing sum's is one
    log per size that grows in it. These are the terms ``_log_terms`` gives for the substituted
    argument (its rules for products with a max, for exponentials after expand_log, for max and
    for sums). The log of a product or sum whose dominant terms do not all grow is kept whole, as
    the log of those terms (``whole``: ``arg`` is the whole argument, not a factor of it); anything
    else that does not grow raises _Outside."""
    if isinstance(arg, (sp.Mul, sp.Max)):
        try:
            return _compose_log_parts(arg, values)
        except _Decaying:
            if isinstance(arg, sp.Max):
                raise _Outside(arg) from None
            # a product with a decaying factor (W/L): its log is taken whole, below
    elif isinstance(arg, sp.Pow):
        kb, pb = _compose(arg.args[0], values)
        if kb == "num" and pb[1] == 1:
            return "num", (0.0, 0)             # log 1^x = 0
        ke, pe = _compose(arg.args[1], values)
        if kb == "num" and ke == "terms":
            if pb[0] <= 1 + NUMBER_MARGIN:
                raise _Outside(arg)
            exponent = _prune(pe, PLAIN)
            if not all(t.sign > 0 for t in exponent):
                raise _Outside(arg)
            return "terms", exponent        # log c^x = x log c
        if kb == "num" and ke == "num" and pb[0] > NUMBER_MARGIN and abs(pb[0] - 1) > NUMBER_MARGIN:
            return "num", (_finite(pe[0] * math.log(pb[0])), None)     # without computing c^x
    k, p = _compose(arg, values)
    if k == "terms":
        try:
            return "terms", _growing_logs(p)
        except _Decaying as decaying:
            if not whole:
                raise               # a factor of a product: the product's log is taken whole
            # the log of a sum whose dominant terms do not all grow (n^2 + d*n/L): kept whole, as
            # the log of those dominant terms (_log_terms' last rule before giving up)
            syms = {}
            for v in values.values():
                syms.update(v[2])
            kept = sp.log(sp.Add(*[t.to_expr(syms) for t in decaying.inner]))
            return "terms", [Term((), (), ((kept, 1),))]
    if p[1] == 1:
        return "num", (0.0, 0)
    if p[0] <= NUMBER_MARGIN or abs(p[0] - 1) <= NUMBER_MARGIN:
        raise _Outside(arg)                 # the log of 0, of a negative number, or of about 1
    return "num", (math.log(p[0]), None)


def _compose_log_parts(arg, values: dict):
    """The log of a product or a max, factor by factor (``_compose_log``)."""
    logs, numbers = [], []
    for a in arg.args:
        if isinstance(a, (sp.Max, sp.Pow)) or isinstance(arg, sp.Max):
            k, p = _compose_log(a, values, whole=False)
            if k == "terms":
                logs.extend(p)
            else:
                numbers.append(p)           # the factor's (or argument's) log
            continue
        k, p = _compose(a, values)
        if k == "terms":
            logs.extend(_growing_logs(p))
        elif p[1] == 0 or p[0] <= 0:
            raise _Outside(arg)             # the log of 0 or of a negative number
        else:
            numbers.append((math.log(p[0]), 0 if p[1] == 1 else None))
    if logs:
        return "terms", logs                # a constant factor or argument next to growing ones adds O(1)
    if isinstance(arg, sp.Max):
        return "num", max(numbers, key=lambda n: n[0])
    exact = None if any(n[1] is None for n in numbers) else 0
    return "num", (math.fsum(n[0] for n in numbers), exact)


def _finite(number: float) -> float:
    if not math.isfinite(number):
        raise _Outside(number)
    return number


def _growing_logs(terms: list) -> list:
    """The log of a sum of positive growing terms: one log per size that grows in it (the rule
    ``_log_terms`` ends with; its earlier rules give the same terms on such sums)."""
    inner = _prune(terms, PLAIN)
    if not inner or not all(t.sign > 0 and not t.opaque for t in inner):
        raise _Outside(terms)
    if not all(all(_grows(n, a) >= 0 for n, a in t.powers) for t in inner):
        if all(t.is_constant for t in inner):
            raise _Outside(terms)
        raise _Decaying(inner)
    names = sorted({n for t in inner for n, a in t.powers if _grows(n, a) > 0})
    if not names:
        raise _Outside(terms)
    return [Term((), ((n, 1),)) for n in names]


def _expand_outside_logs(expr):
    """Multiply ``expr`` out, leaving the arguments of logs as they are: terms cancel outside the
    logs, and a log's argument is reduced by _log_terms when its turn comes. Expanding inside them
    as well made explicit bounds with nested logs tens of kilobytes long (seconds to reduce, and
    opaque in the end)."""
    if not _multiplies_out(expr):
        return expr
    logs = expr.atoms(sp.log)
    if not logs:
        return sp.expand(expr, log=False, power_exp=False, power_base=False)
    stand_in = {f: sp.Dummy(positive=True) for f in logs}
    expanded = sp.expand(expr.xreplace(stand_in), log=False, power_exp=False, power_base=False)
    return expanded.xreplace({d: f for f, d in stand_in.items()})


def _multiplies_out(expr) -> bool:
    """Whether expand() would change ``expr`` outside its logs: a product with a sum among its
    factors, or a sum raised to an integer power other than 1 and -1 (a sum of monomials is left as
    it is)."""
    if isinstance(expr, sp.log) or expr.is_Atom:
        return False
    if isinstance(expr, sp.Mul) and any(isinstance(a, sp.Add) for a in expr.args):
        return True
    if isinstance(expr, sp.Pow) and isinstance(expr.args[0], sp.Add) and expr.args[1].is_Integer \
            and abs(expr.args[1]) > 1:
        return True
    return any(_multiplies_out(a) for a in expr.args)


def _may_cancel(expr) -> bool:
    """Whether a sum in ``expr`` has a negative term next to a term that is not multiplied out
    (``(n + 1)*(n - 1) - n^2``): only multiplying out can tell what is left. A sum of monomials
    (a parameter count such as ``8*L*n^2 - 4*n^2 + ...``) has its like terms merged already."""
    if expr.is_number:
        return bool(expr.is_negative)
    for a in expr.atoms(sp.Add):
        if any(t.as_coeff_Mul()[0].is_negative for t in a.args) and any(t.has(sp.Add) for t in a.args):
            return True
    return False


def _lift_minmax(expr):
    """Move min/max to the top: c*min(a, b) = min(c*a, c*b), x + max(a, b) = max(x + a, x + b),
    min(a, b)^k = min(a^k, b^k) and log(min(a, b)) = min(log a, log b), for positive quantities
    and increasing maps (all bounds here are positive)."""
    if not expr.has(sp.Min, sp.Max) or isinstance(expr, sp.Symbol):
        return expr
    if isinstance(expr, (sp.Min, sp.Max)):
        return type(expr)(*[_lift_minmax(a) for a in expr.args], evaluate=False)
    args = [_lift_minmax(a) for a in expr.args]
    for i, a in enumerate(args):
        if isinstance(a, (sp.Min, sp.Max)):
            increasing = isinstance(expr, (sp.Add, sp.Mul, sp.log)) or (
                isinstance(expr, sp.Pow) and i == 0 and expr.args[1].is_positive)
            if not increasing:
                return expr
            rest = args[:i], args[i + 1:]
            branches = [_lift_minmax(expr.func(*rest[0], inner, *rest[1])) for inner in a.args]
            return type(a)(*branches, evaluate=False)
    return expr.func(*args)


def _max_only_in_logs(expr) -> bool:
    """Whether every min/max in ``expr`` is a max inside a log's argument (``_log_terms`` takes
    those apart: log max(a, b) = Theta(log a + log b))."""
    if isinstance(expr, sp.log):
        return not expr.args[0].has(sp.Min)
    if isinstance(expr, (sp.Min, sp.Max)):
        return False
    return all(_max_only_in_logs(a) for a in expr.args)


def _dominant(expr, regime, symbols) -> Form:
    if not isinstance(expr, (sp.Min, sp.Max)) and expr.has(sp.Min, sp.Max) and _max_only_in_logs(expr):
        # no lifting needed: a sum with a max in many logs lifted to a max of 2^k sums otherwise
        try:
            terms = _prune(_terms_of(expr), regime)
        except _NotPolylog:
            terms = None
        if terms is not None and not any(f.has(sp.Min, sp.Max) for t in terms for f, _ in t.opaque):
            return Form("sum", tuple(terms), symbols=symbols)
    if not isinstance(expr, (sp.Min, sp.Max)) and expr.has(sp.Min, sp.Max):
        lifted = _lift_minmax(expr)
        if isinstance(lifted, (sp.Min, sp.Max)):
            expr = lifted
    if isinstance(expr, (sp.Min, sp.Max)):
        kind = "min" if isinstance(expr, sp.Min) else "max"
        return _minmax(kind, [_dominant(a, regime, symbols) for a in expr.args], regime, symbols)
    if isinstance(expr, sp.Add) and any(isinstance(a, (sp.Min, sp.Max)) for a in sp.Add.make_args(expr)):
        # a + min(b, c) = min(a + b, a + c): push sums into min/max
        return _distribute(expr, regime, symbols)
    if isinstance(expr, sp.Mul) and any(isinstance(a, (sp.Min, sp.Max)) for a in expr.args):
        return _distribute(expr, regime, symbols)
    try:
        terms = _prune(_terms_of(expr), regime)
    except _NotPolylog:
        return Form("sum", (Term((), (), ((expr, 1),)),), symbols=symbols)
    return Form("sum", tuple(terms), symbols=symbols)


def _distribute(expr, regime, symbols) -> Form:
    for i, a in enumerate(expr.args):
        if isinstance(a, (sp.Min, sp.Max)):
            rest = list(expr.args[:i] + expr.args[i + 1:])
            op = type(expr)
            parts = [_dominant(op(*(rest + [inner])), regime, symbols) for inner in a.args]
            return _minmax("min" if isinstance(a, sp.Min) else "max", parts, regime, symbols)
    raise AssertionError("no min/max to distribute")


def _minmax(kind, forms, regime, symbols) -> Form:
    flat = []
    for f in forms:
        flat.extend(f.args if f.kind == kind else [f])
    kept = []
    for i, f in enumerate(flat):
        redundant = False
        for j, g in enumerate(flat):
            if i == j:
                continue
            rel = compare_forms(f, g, regime)
            # in a min, f is redundant when f >= g; in a max, when f <= g (ties keep the first)
            if kind == "min" and (rel == "greater" or (rel == "equal" and j < i)):
                redundant = True
            if kind == "max" and (rel == "less" or (rel == "equal" and j < i)):
                redundant = True
        if not redundant:
            kept.append(f)
    if len(kept) == 1:
        return kept[0]
    if kind == "max" and all(f.kind == "sum" for f in kept):
        # max(a, b) = Theta(a + b) for positive a, b: one sum reads better and compares exactly
        terms = [t for f in kept for t in f.terms]
        try:
            return Form("sum", tuple(_prune(terms, regime)), symbols=symbols)
        except _NotPolylog:
            pass
    return Form(kind, args=tuple(kept), symbols=symbols)


def _form_le(f: Form, g: Form, regime) -> bool:
    """f = O(g)?"""
    # exact decompositions first (max on the left, min on the right), then sufficient ones
    if f.kind == "max":
        return all(_form_le(a, g, regime) for a in f.args)
    if g.kind == "min":
        return all(_form_le(f, b, regime) for b in g.args)
    if f.kind == "min":
        return any(_form_le(a, g, regime) for a in f.args)
    if g.kind == "max":
        if all(b.kind == "sum" for b in g.args):
            merged = Form("sum", tuple(t for b in g.args for t in b.terms), symbols=g.symbols)
            return _form_le(f, merged, regime)
        return any(_form_le(f, b, regime) for b in g.args)
    names = tuple(sorted(f.names() | g.names() | _size_log_names(_all_terms(f)) | _size_log_names(_all_terms(g))))
    opaque = tuple(sorted(f.opaque_ids() | g.opaque_ids()))
    # a term of f that is also a term of g is below g: only the others need the cone
    shared = g.term_set()
    keep = [t not in shared for t in f.terms]
    f_terms = tuple(t for t, k in zip(f.terms, keep) if k)
    if not f_terms:
        return True
    if len(f_terms) * len(g.terms) >= NUMPY_FROM * 8 and has_numpy():
        import numpy as np
        rays = np.asarray(_rays(names, regime, opaque), dtype=float)
        Vf = _form_vectors(f, names, opaque, regime.polynomial)
        if len(f_terms) < len(f.terms):
            Vf = Vf[keep]
        Vg = _form_vectors(g, names, opaque, regime.polynomial)
        return _all_covered_numpy(_dot_rows(Vf, rays), _dot_rows(Vg, rays))
    proj = _projections(f_terms + g.terms, names, opaque, regime)
    fp, gp = proj[:len(f_terms)], proj[len(f_terms):]
    same_growth = set(gp)
    return all(_le_proj(a, gp) for a in fp if a not in same_growth)     # Theta-equal to a term of g: below it


@lru_cache(maxsize=64)
def _form_vectors(form: Form, names: tuple, opaque: tuple, polynomial: bool):
    """The exponent vectors of a sum's terms as one numpy matrix, memoised: choosing the best of a
    query's bounds compares each with every other in the same coordinates, and rebuilding the
    matrix of a 2,000-term sum from its terms was most of that."""
    import numpy as np
    return np.asarray(_vectors(form.terms, names, opaque, polynomial), dtype=float)


@lru_cache(maxsize=16384)
def _form_le_cached(f: Form, g: Form, regime) -> bool:
    """``_form_le`` memoised: comparing f with g and then g with f asks both questions twice."""
    return _form_le(f, g, regime)


@lru_cache(maxsize=8192)
def compare_forms(f: Form, g: Form, regime) -> str:
    """``compare`` for forms already reduced by ``dominant`` (memoised)."""
    le, ge = _form_le_cached(f, g, regime), _form_le_cached(g, f, regime)
    if le and ge:
        return "equal"
    if le:
        return "less"
    if ge:
        return "greater"
    return "incomparable"


def compare(f, g, regime: Regime | None = None) -> str:
    """Compare two positive expressions asymptotically: "less" (f = o-ish/O(g) and not Theta),
    "greater", "equal" (Theta), or "incomparable" (neither is O of the other, or not provable).

    >>> from vcbound.expressions import make_symbol as S
    >>> w, k = S("w"), S("k")
    >>> compare(w*k, w**4*k**2)
    'less'
    >>> compare(w**2, w*k)
    'incomparable'
    >>> from vcbound.expressions import parse_condition
    >>> compare(w**2, w*k, Regime.from_conditions([parse_condition("k >> w")]))
    'less'
    """
    regime = regime or PLAIN
    ff = f if isinstance(f, Form) else dominant(f, regime)
    gg = g if isinstance(g, Form) else dominant(g, regime)
    return compare_forms(ff, gg, regime)


def minimum(forms, regime: Regime | None = None) -> Form:
    """The asymptotic min of several forms (incomparable ones are all kept, as a min)."""
    forms = list(forms)
    symbols = tuple(sorted({s for f in forms for s in f.symbols}, key=lambda x: x[0]))
    return _minmax("min", forms, regime or PLAIN, symbols)


def maximum(forms, regime: Regime | None = None) -> Form:
    forms = list(forms)
    symbols = tuple(sorted({s for f in forms for s in f.symbols}, key=lambda x: x[0]))
    return _minmax("max", forms, regime or PLAIN, symbols)


@dataclass(frozen=True)
class Growth:
    """How a bound grows in one symbol: the largest power and its log power (``n^8 log n``)."""

    symbol: str
    power: object
    log_power: object

    def __str__(self) -> str:
        p, lp = self.power, self.log_power
        parts = [f"{self.symbol}^{p}" if p != 1 else self.symbol] if p != 0 else []
        if lp:
            arg = f"1/{self.symbol}" if self.symbol in SMALL else self.symbol
            parts.append(f"log^{lp}({arg})" if lp != 1 else f"log({arg})")
        return " ".join(parts) if parts else f"1 (does not grow with {self.symbol})"


def _term_growth(t: Term, name: str):
    """(power, log power) of a term when only ``name`` grows, counting the symbols inside its
    opaque factors too: log(T - n) grows like log T when T alone grows (the others are then fixed
    numbers), so min(T, n log(T - n)) grows like log T, not "does not grow with T"."""
    power, logp = t.exponent(name)
    for f, e in t.opaque:
        if name not in {s.name for s in f.free_symbols}:
            continue
        fp, fl = _opaque_growth(f, name)
        power, logp = power + fp * e, logp + fl * e
    return power, logp


@lru_cache(maxsize=4096)
def _opaque_growth(f, name: str):
    """(power, log power) of one opaque factor as ``name`` alone tends to infinity (the other
    symbols fixed at 1): log(g) with g growing like x^a (a > 0) grows like log x; a power g^r
    like the growth of g times r. (0, 0) when that cannot be told."""
    fixed = {s: sp.Integer(1) for s in f.free_symbols if s.name != name}
    g = f.xreplace(fixed)
    try:
        if isinstance(g, sp.log):
            inner = dominant(g.args[0])
            if inner.kind == "sum" and not inner.opaque_ids():
                p, _l = max((t.exponent(name) for t in inner.terms), key=lambda ab: (ab[0], ab[1]))
                return (0, 1) if p > 0 else (0, 0)
            return (0, 0)
        form = dominant(g)
        if form.kind == "sum" and not form.opaque_ids():
            return max((t.exponent(name) for t in form.terms), key=lambda ab: (ab[0], ab[1]))
    except (_NotPolylog, TypeError, ValueError):
        pass
    return (0, 0)


def growth(form: Form) -> dict[str, Growth]:
    """Per symbol, the exponent of the fastest-growing term when only that symbol grows.

    >>> from vcbound.expressions import make_symbol as S
    >>> w, k = S("w"), S("k")
    >>> {n: str(g) for n, g in growth(dominant(w**4 * k**2)).items()}
    {'k': 'k^2', 'w': 'w^4'}
    """
    return dict(_growth_cached(form))


@lru_cache(maxsize=4096)
def _growth_cached(form: Form) -> tuple:
    """``growth`` as (name, Growth) pairs, memoised by form: every answer reports the growth of its
    best bounds, and comparing sympy exponents term by term was a tenth of a warm query."""
    return tuple((name, Growth(name, *_growth_in(form, name))) for name in sorted(form.names()))


def _growth_in(form: Form, name):
    if form.kind == "sum":
        return max((_term_growth(t, name) for t in form.terms), key=lambda ab: (ab[0], ab[1]))
    vals = [_growth_in(a, name) for a in form.args]
    pick = min if form.kind == "min" else max
    return pick(vals, key=lambda ab: (ab[0], ab[1]))


def clear_caches() -> None:
    """Forget every memoised reduction and comparison (benchmarks time a cold engine with it)."""
    for fn in (_key, _okey, _vector_table, _opaque_growth, _prune_cached, _form_le_cached, is_size_log, _terms_of_cached, _log_terms_cached, _rays_cached, _polynomial_rays_cached,
               _dominant_cached, _dominant_substituted_cached, _letter_value, _skeleton, _number, _form_vectors,
               compare_forms, _growth_cached):
        fn.cache_clear()
