"""The asymptotic engine as it was before issue 13, kept as the oracle of the fast engine
(vcbound/asymptotics.py): tests/test_engine_equivalence.py and scripts/engine_oracle.py compare the
two. Nothing in vcbound imports it. Changed from the original only by memoising pure functions
(``_terms_of``, ``_log_terms``), which cannot change an answer and makes the oracle fast enough to
run on thousands of architectures. A change to the semantics of the asymptotics must be made here
too (and the stored answers regenerated). Semantics as on main with the regime of polynomially
related sizes and pooled size logs (issue 10 item 9).

Original docstring: Stage 6: vcbound's own O / Omega / Theta algebra over positive symbols tending to infinity.

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

What this cannot do: sums with cancelling leading terms are kept whole (never simplified wrongly);
``log`` of a ratio (``log(T/w)``), ``log log`` and symbolic exponents are opaque factors compared
only structurally.
"""
from __future__ import annotations

from .presentation import brief_repr

from dataclasses import dataclass, field
from functools import lru_cache
from itertools import combinations

import sympy as sp

from .errors import UsageError
from .expressions import expanded_size

LOG_WEIGHT = 1e-6          # a log factor counts as an infinitesimal power
POLY_DELTA = 1e-3          # polynomially related sizes: each grows at least like N^POLY_DELTA (>> logs)
LOGLOG_WEIGHT = 1e-8       # and log log as a smaller one
TOL = 1e-12
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
    size_log = sum(b for n, b in own.items() if not n.startswith(LOGLOG) and n not in SMALL)
    size_loglog = sum(b for n, b in own.items() if n.startswith(LOGLOG) and n[len(LOGLOG):] not in SMALL)
    out = []
    for n in names:
        if n in SMALL:
            out.append(LOG_WEIGHT * own.get(n, 0) + LOGLOG_WEIGHT * own.get(LOGLOG + n, 0))
        else:
            out.append(LOG_WEIGHT * size_log + LOGLOG_WEIGHT * size_loglog)
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

    def vector(self, names, opaque_names, polynomial: bool = False) -> list[float]:
        """The exponent vector over ``names`` (then the opaque factors); ``polynomial``: the sizes
        are polynomially related (see ``log_weights``)."""
        p = dict(self.powers)
        logs = self.logs
        if polynomial and any(is_size_log(f) for f, _e in self.opaque):
            # log(n + d/L) is Theta(log N) for polynomially related sizes: a pooled size log
            extra = sum(e for f, e in self.opaque if is_size_log(f))
            logs = logs + ((_POOLED, extra),)
        o = {str(f): e for f, e in self.opaque if not (polynomial and is_size_log(f))}
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

    def expr(self):
        syms = dict(self.symbols)
        if self.kind == "sum":
            return sp.Add(*[t.to_expr(syms) for t in self.terms]) if self.terms else sp.Integer(1)
        op = sp.Min if self.kind == "min" else sp.Max
        return op(*[a.expr() for a in self.args], evaluate=False)

    def names(self) -> set:
        if self.kind == "sum":
            out = set()
            for t in self.terms:
                out |= {n for n, _ in t.powers} | {n.lstrip(LOGLOG) for n, _ in t.logs}
            return out
        return set().union(*(a.names() for a in self.args))

    def opaque_keys(self) -> set:
        if self.kind == "sum":
            return {str(f) for t in self.terms for f, _ in t.opaque}
        return set().union(*(a.opaque_keys() for a in self.args))

    def unordered_keys(self, regime: "Regime") -> set:
        """The opaque factors the regime cannot order (size logs are ordered when sizes are
        polynomially related)."""
        if self.kind == "sum":
            return {str(f) for t in self.terms for f, _ in t.opaque
                    if not (regime.polynomial and is_size_log(f))}
        return set().union(*(a.unordered_keys(regime) for a in self.args))


class _NotPolylog(Exception):
    """An expression that does not reduce to a sum of power/log terms."""


def _terms_of(expr) -> list[Term]:
    """Reduce a positive expression to its terms (up to constant factors), before pruning."""
    return list(_terms_of_cached(expr))


@lru_cache(maxsize=65536)
def _terms_of_cached(expr) -> tuple:
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
                fterms = _prune(fterms, Regime())
            acc = [_mul(a, b) for a in acc for b in fterms]
        return acc
    if isinstance(expr, sp.Pow):
        base, ex = expr.args
        if ex.is_number and ex.is_rational:
            bterms = _prune(_terms_of(base), Regime())
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
        out = []
        for a in arg.args:
            out.extend(_log_terms(sp.log(a)))
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
    try:
        inner = _prune(_terms_of(sp.expand(arg)), Regime())
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
    l = dict(a.logs)
    for n, e in b.logs:
        l[n] = l.get(n, 0) + e
    o = {}
    for f, e in a.opaque + b.opaque:
        key = f
        o[key] = o.get(key, 0) + e
    return Term(tuple(sorted((n, e) for n, e in p.items() if e != 0)),
                tuple(sorted((n, e) for n, e in l.items() if e != 0)),
                tuple(sorted(((f, e) for f, e in o.items() if e != 0), key=lambda fe: str(fe[0]))),
                a.sign * b.sign)


def _pow(t: Term, r) -> Term:
    r = sp.Rational(r)
    return Term(tuple((n, e * r) for n, e in t.powers), tuple((n, e * r) for n, e in t.logs),
                tuple((f, e * r) for f, e in t.opaque), t.sign if r.q == 1 and r.p % 2 else 1)


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


def _le(a: list, b_list: list[list], rays) -> bool:
    """Is x^a = O(sum of x^b for b in b_list) on the cone? Single terms and pairs are tried."""
    return _le_proj(_project(a, rays), [_project(b, rays) for b in b_list])


def _ge(pb: tuple, pa: tuple) -> bool:
    """``pb`` >= ``pa`` on every ray (x^a = O(x^b)): ``_le_proj(pa, [pb])`` without the pair search."""
    return all(y >= x - TOL for x, y in zip(pa, pb))


def _le_proj(pa: tuple, pbs: list) -> bool:
    """``_le`` on projections onto the rays (precomputed: this is the hot loop)."""
    full = (1 << len(pa)) - 1
    masks = []
    for pb in pbs:
        # the rays on which pb alone is at least pa
        mask = 0
        for k, (x, y) in enumerate(zip(pa, pb)):
            if y >= x - TOL:
                mask |= 1 << k
        if mask == full:
            return True
        masks.append(mask)
    # a convex combination of two is below pa on a ray where both are: only pairs whose masks
    # cover every ray can work (this filter keeps the pair search cheap on long sums)
    for i in range(len(pbs)):
        b1, m1 = pbs[i], masks[i]
        for j in range(i + 1, len(pbs)):
            if m1 | masks[j] != full:
                continue
            b2 = pbs[j]
            lo, hi = 0.0, 1.0
            # need lam*c1 + (1-lam)*c2 >= 0 on every ray, c = b - a there
            for x, y1, y2 in zip(pa, b1, b2):
                c1, c2 = y1 - x, y2 - x
                slope = c1 - c2
                if abs(slope) < TOL:
                    if c2 < -TOL:
                        lo, hi = 1.0, 0.0
                        break
                elif slope > 0:
                    lo = max(lo, -c2 / slope)
                else:
                    hi = min(hi, -c2 / slope)
                if lo > hi + TOL:
                    break
            if lo <= hi + TOL:
                return True
    return False


def _prune(terms: list[Term], regime: Regime) -> list[Term]:
    """Drop constant duplicates and terms dominated by others; keep the sum whole when a
    negative term is not strictly dominated by a positive one (no unsound cancellation)."""
    if not terms:
        return terms
    seen, uniq = {}, []
    for t in terms:
        key = (t.powers, t.logs, tuple(str(f) for f in t.opaque))
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
    opaque = tuple(sorted({str(f) for t in uniq for f, _ in t.opaque}))
    rays = _rays(names, regime, opaque)
    proj = [_project(t.vector(names, opaque, regime.polynomial), rays) for t in uniq]
    positive = [i for i, t in enumerate(uniq) if t.sign > 0]
    for i, t in enumerate(uniq):
        if t.sign < 0:
            # a negative term may be dropped only when strictly dominated by a positive term
            if any(_ge(proj[j], proj[i]) and not _ge(proj[i], proj[j]) for j in positive):
                continue
            raise _NotPolylog("cancellation")
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
            if others and _le_proj(proj[i], others):
                continue
            kept_idx.append(i)
    kept = [uniq[i] for i in sorted(kept_idx)]
    if not kept:
        kept = [uniq[positive[0]]] if positive else uniq[:1]
    return kept


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
    regime = regime or Regime()
    if not isinstance(expr, sp.Basic):      # numbers from our own code, never user text
        expr = sp.Integer(expr) if isinstance(expr, int) else sp.Float(expr)
    return _dominant_cached(expr, regime)


@lru_cache(maxsize=4096)
def _dominant_cached(expr, regime) -> Form:
    """``dominant`` memoised: bounds repeat across views, measures and queries."""
    expr = regime.apply(expr)
    # multiply out so that sympy merges like terms exactly before any term is judged negligible.
    # Where no sum can cancel across unexpanded factors, each factor is reduced to its dominant
    # terms first (_terms_of; a factor whose own terms might cancel is kept whole), which is the
    # same answer up to constants; a large product of sums (W^2*U^2 of a chain with many distinct
    # widths: thousands of terms) is then never multiplied out.
    if _may_cancel(expr) or expanded_size(expr) <= EXPAND_LIMIT:
        expr = sp.expand(expr, log=False, power_exp=False, power_base=False)
    symbols = tuple(sorted(((s.name, s) for s in expr.free_symbols), key=lambda x: x[0]))
    return _dominant(expr, regime, symbols)


EXPAND_LIMIT = 400        # terms a full expansion may produce before dominant() reduces factor-wise


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


def _dominant(expr, regime, symbols) -> Form:
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
    opaque = tuple(sorted(f.opaque_keys() | g.opaque_keys()))
    rays = _rays(names, regime, opaque)
    gp = [_project(t.vector(names, opaque, regime.polynomial), rays) for t in g.terms]
    return all(_le_proj(_project(t.vector(names, opaque, regime.polynomial), rays), gp) for t in f.terms)


@lru_cache(maxsize=8192)
def compare_forms(f: Form, g: Form, regime) -> str:
    """``compare`` for forms already reduced by ``dominant`` (memoised)."""
    le, ge = _form_le(f, g, regime), _form_le(g, f, regime)
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
    regime = regime or Regime()
    ff = f if isinstance(f, Form) else dominant(f, regime)
    gg = g if isinstance(g, Form) else dominant(g, regime)
    return compare_forms(ff, gg, regime)


def minimum(forms, regime: Regime | None = None) -> Form:
    """The asymptotic min of several forms (incomparable ones are all kept, as a min)."""
    forms = list(forms)
    symbols = tuple(sorted({s for f in forms for s in f.symbols}, key=lambda x: x[0]))
    return _minmax("min", forms, regime or Regime(), symbols)


def maximum(forms, regime: Regime | None = None) -> Form:
    forms = list(forms)
    symbols = tuple(sorted({s for f in forms for s in f.symbols}, key=lambda x: x[0]))
    return _minmax("max", forms, regime or Regime(), symbols)


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


def _opaque_growth(f, name: str):
    """(power, log power) of one opaque factor as ``name`` alone tends to infinity (the other
    symbols fixed at 1): log(g) with g growing like x^a (a > 0) grows like log x; a power g^r
    like the growth of g times r. (0, 0) when that cannot be told."""
    fixed = {s: sp.Integer(1) for s in f.free_symbols if s.name != name}
    g = f.xreplace(fixed)
    try:
        if isinstance(g, sp.log):
            inner = dominant(g.args[0])
            if inner.kind == "sum" and not inner.opaque_keys():
                p, _l = max((t.exponent(name) for t in inner.terms), key=lambda ab: (ab[0], ab[1]))
                return (0, 1) if p > 0 else (0, 0)
            return (0, 0)
        form = dominant(g)
        if form.kind == "sum" and not form.opaque_keys():
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
    out = {}
    for name in sorted(form.names()):
        best = _growth_in(form, name)
        out[name] = Growth(name, *best)
    return out


def _growth_in(form: Form, name):
    if form.kind == "sum":
        return max((_term_growth(t, name) for t in form.terms), key=lambda ab: (ab[0], ab[1]))
    vals = [_growth_in(a, name) for a in form.args]
    pick = min if form.kind == "min" else max
    return pick(vals, key=lambda ab: (ab[0], ab[1]))


def dominant_substituted(bound, mapping: dict, regime: Regime | None = None):
    """Never composes: the reference engine substitutes the counts and reduces the whole bound
    (the resolver does that when this returns None), as it always did."""
    return None
