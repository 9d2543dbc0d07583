"""Compare two architectures' bounds, and report how a bound grows with each symbol.

In: two architectures written in the same symbols (``n``, ``L``, ``T``, ``d`` mean the same thing
in both), a measure, optional assumptions (``T >> n``). Out: for the best upper and the best lower
bound, which architecture's bound is larger and in which regime, or "incomparable" with the reason
(the direction in which each one grows faster); the ratio of the bounds as a dominant-term
expression; the results and citation keys of both derivations. ``growth_report`` gives, per symbol,
the exponent of the dominant term of the best bounds (``upper ∝ L^2 n^2 log n``) and, at a point,
the elasticity ``d log f / d log x`` of each route's exact bound.

A bound's growth is not the network's VC dimension: it is how fast the *published guarantee*
grows. Comparing two upper bounds says which guarantee is weaker, not which network has the larger
VC dimension; lower bounds are existence statements about the family.

>>> c = compare("input(d) -> dense(h, act=relu)^L -> dense(1)",
...             "input(d) -> dense(h, act=relu)^(L+1) -> dense(1)")
>>> c.upper.relation
'equal'

Numeric evaluation and sweeps live in ``vcbound.evaluate`` and ``vcbound.sweeps``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .errors import EvaluationError, UsageError
from .evaluate import normalise_bindings, require_all
from .presentation import Presentable, brief_repr

__all__ = ["compare", "Comparison", "Side", "growth_report", "elasticities"]

WORDS = {"upper": "upper bound", "lower": "lower bound"}


# --------------------------------------------------------------------------------------------
# comparison
# --------------------------------------------------------------------------------------------
@dataclass
class Side:
    """The outcome of comparing the best bounds of A and B in one direction (upper or lower)."""

    __repr__ = brief_repr("direction", "larger", "reason")

    direction: str
    relation: str | None          # asymptotics.compare(A, B): less | greater | equal | incomparable
    larger: str | None            # "A", "B", "equal order", "incomparable", None (a bound is missing)
    reason: str
    a: object = None              # resolver.Bound of A (or None)
    b: object = None
    ratio: object = None          # Theta form of A/B (sympy), when both bounds exist
    constant: tuple | None = None  # (low, high): limit range of A/B from the exact bounds, same routes
    constant_kind: str = ""       # "explicit" (published constants) or "stated expression" (O-constant cancels)
    constant_ends: tuple | None = None   # (monomial giving the low end, monomial giving the high end)
    witnesses: list = field(default_factory=list)   # [(symbols, who grows faster, rate A, rate B)]


@dataclass(repr=False)     # the one-line repr is brief_repr below
class Comparison(Presentable):
    """``compare(A, B)``: the upper and lower sides, both resolutions, and the regime."""

    __repr__ = brief_repr("measure", "a_text", "b_text", "upper.larger", "lower.larger", width=40)

    a_text: str
    b_text: str
    measure: str
    regime: object
    res_a: object
    res_b: object
    upper: Side
    lower: Side


def compare(a, b, measure: str = "vc", assume=(), convention: str = "torch", base=None,
            theorem_dirs=()) -> Comparison:
    """Which architecture has the larger upper bound and the larger lower bound on ``measure``.

    Both are resolved in the same regime (``assume``: ``"T >> n"``, ``"d = n"``, ...; names must be
    symbols of A or B). For each direction the answer is ``Side.larger`` ("A", "B", "equal order",
    "incomparable") with ``Side.reason`` in words; ``Side.ratio`` is the dominant form of A/B and
    ``Side.constant`` the range of the leading coefficients' ratio when both bounds come from the
    same results.

    >>> c = compare("input(d, seq=T) -> rnn(n, act=sigmoid) -> last -> dense(1, act=threshold)",
    ...             "input(d, seq=2*T) -> rnn(n, act=sigmoid) -> last -> dense(1, act=threshold)")
    >>> c.upper.larger, c.lower.larger
    ('equal order', 'equal order')
    """
    from .graph import as_architecture
    from .quantities import count
    from .resolver import MEASURES, make_regime, resolve
    if measure not in MEASURES:
        raise UsageError(f"unknown measure '{measure}' (expected one of: {', '.join(MEASURES)})")
    if base is None:
        from .theorems import load_theorems
        base = load_theorems(theorem_dirs)
    qa, qb = count(as_architecture(a), convention), count(as_architecture(b), convention)
    regime = _regime(assume, qa, qb, make_regime)
    ra, rb = resolve(qa, base, measure, regime), resolve(qb, base, measure, regime)
    return Comparison(qa.arch.text.strip(), qb.arch.text.strip(), measure, regime, ra, rb,
                      _side("upper", ra.upper, rb.upper, regime), _side("lower", ra.lower, rb.lower, regime))


def _regime(assume, qa, qb, make_regime):
    from .expressions import parse_condition
    if isinstance(assume, str):
        assume = [x for x in assume.split(";") if x.strip()]
    known = {**qa.symbols(), **qb.symbols()}
    conds = []
    for text in assume:
        c = text if not isinstance(text, str) else parse_condition(text, filename="--assume", integer_symbols=True)
        for s in c.lhs.free_symbols | c.rhs.free_symbols:
            if s.name not in known:
                from .errors import did_you_mean
                raise UsageError(f"--assume '{c.text}': '{s.name}' is not a symbol of either architecture "
                                 f"{did_you_mean(s.name, known, 'symbol') if known else ''}".rstrip())
        conds.append(c)
    return make_regime(conds)


def _side(direction: str, a, b, regime) -> Side:
    from . import asymptotics as asy
    word = WORDS[direction]
    if a is None or b is None:
        missing = " and ".join(x for x, bd in (("A", a), ("B", b)) if bd is None)
        return Side(direction, None, None, f"no comparison: {missing} {'has' if ' and ' not in missing else 'have'} "
                                           f"no {word} in the theorem base", a, b)
    rel = asy.compare_forms(a.form, b.form, regime)
    where = regime.describe()
    side = Side(direction, rel, None, "", a, b)
    side.ratio = _ratio(a.form, b.form, regime)
    side.witnesses = _witnesses(a.form, b.form, regime)
    if rel == "equal":
        side.larger = "equal order"
        side.constant, side.constant_kind, side.constant_ends = _constant_ratio(a, b, regime)
        side.reason = f"same order: A's {word} is Θ(B's) for {where}"
    elif rel in ("less", "greater"):
        big, small = ("B", "A") if rel == "less" else ("A", "B")
        side.larger = big
        faster = [w for w in side.witnesses if w[1] == big]
        how = f" (it grows faster {_along(faster[0])})" if faster else ""
        side.reason = f"{big}'s {word} is of larger order: {small}'s is O({big}'s) but not Θ, for {where}{how}"
    else:
        side.larger = "incomparable"
        side.reason = _incomparable_reason(a, b, side.witnesses, word, regime)
    return side


def _along(w) -> str:
    names, who, ra, rb = w
    ours, theirs = (ra, rb) if who == "A" else (rb, ra)
    var = names[0] if len(names) == 1 else "t"
    where = (f"in {names[0]}" if len(names) == 1
             else f"when {', '.join(names)} grow together (as t)")
    return f"{where}: {_rate_text(ours, var)} vs {_rate_text(theirs, var)}"


def _incomparable_reason(a, b, witnesses, word, regime) -> str:
    fa = [w for w in witnesses if w[1] == "A"]
    fb = [w for w in witnesses if w[1] == "B"]
    if fa and fb:
        return (f"incomparable: A's {word} grows faster {_along(fa[0])}, B's grows faster {_along(fb[0])}; "
                f"neither is O of the other for {regime.describe()} (an assumption such as --assume "
                f"'{_hint(fa[0], fb[0])}' picks a regime)")
    opaque = sorted(a.form.opaque_keys() | b.form.opaque_keys())
    if opaque:
        return (f"incomparable: the bounds contain factors the asymptotics does not order ({', '.join(opaque)}), "
                f"so neither is proved O of the other for {regime.describe()}")
    return (f"incomparable: neither {word} is proved O of the other for {regime.describe()} "
            "(their dominant terms win in different directions)")


def _hint(wa, wb) -> str:
    xa, xb = wa[0][0], wb[0][0]
    return f"{xa} >> {xb}" if xa != xb else f"{xa} >> {wb[0][-1]}"


def _rate_text(rate, var) -> str:
    p, lp, llp = rate
    parts = []
    if p:
        parts.append(var if p == 1 else f"{var}^{_num(p)}")
    if lp:
        parts.append(f"log({var})" if lp == 1 else f"log({var})^{_num(lp)}")
    if llp:
        parts.append(f"loglog({var})" if llp == 1 else f"loglog({var})^{_num(llp)}")
    return " ".join(parts) or "1"


def _num(x) -> str:
    return str(x)


def _valid_sets(names, regime):
    """Non-empty sets of symbols that may grow while the others stay fixed: closed upward under
    the regime's ``big >> small`` (if small grows, so does big). Smallest first."""
    from itertools import combinations
    above = {}
    for big, small in regime.dominates:
        above.setdefault(small, set()).add(big)
    names = sorted(names)
    if len(names) > 10:
        return [(n,) for n in names if not above.get(n)]
    out = []
    for k in range(1, len(names) + 1):
        for combo in combinations(names, k):
            s = set(combo)
            if all(above.get(x, set()) <= s for x in s):
                out.append(combo)
    return out


def _rate(form, names) -> tuple | None:
    """Growth of a form along the ray where exactly ``names`` grow (together, as t):
    (power, log power, loglog power) of t, lexicographically; None for opaque factors."""
    from .asymptotics import LOGLOG
    if form.kind == "sum":
        best = None
        for t in form.terms:
            if t.opaque:
                return None
            p = sum((a for n, a in t.powers if n in names), 0)
            lp = sum((b for n, b in t.logs if not n.startswith(LOGLOG) and n in names), 0)
            llp = sum((b for n, b in t.logs if n.startswith(LOGLOG) and n[len(LOGLOG):] in names), 0)
            r = (p, lp, llp)
            best = r if best is None or r > best else best
        return best if best is not None else (0, 0, 0)
    rates = [_rate(x, names) for x in form.args]
    if any(r is None for r in rates):
        return None
    return min(rates) if form.kind == "min" else max(rates)


def _witnesses(fa, fb, regime) -> list:
    """Directions (sets of growing symbols) in which one bound grows strictly faster."""
    names = fa.names() | fb.names()
    out = []
    for s in _valid_sets(names, regime):
        ra, rb = _rate(fa, set(s)), _rate(fb, set(s))
        if ra is None or rb is None:
            continue
        if ra > rb:
            out.append((s, "A", ra, rb))
        elif rb > ra:
            out.append((s, "B", ra, rb))
    return out


def _ratio(fa, fb, regime):
    """Θ of A/B as a readable expression (dominant terms, constants dropped)."""
    import sympy as sp

    from . import asymptotics as asy
    ea, eb = fa.expr(), fb.expr()
    if fa == fb or ea == eb:
        return sp.Integer(1)
    if sp.count_ops(ea) + sp.count_ops(eb) < 200 and sp.simplify(ea - eb) == 0:
        return sp.Integer(1)
    r = ea / eb
    if fa.kind == "sum" and fb.kind == "sum" and sp.count_ops(r) < 400:
        r = sp.cancel(sp.together(r))
        try:
            form = asy.dominant(r, regime)
            if not form.opaque_keys():
                return form.expr()
        except Exception:   # noqa: BLE001 - a readable ratio is optional; keep the quotient
            pass
    return r


def _route_key(c):
    return (c.result.id, c.view.name)


def _constant_ratio(a, b, regime):
    """The range of the limit of exact_A / exact_B when both bounds come from the same routes:
    per dominant term the ratio of the leading coefficients (the ratio of two sums of positive
    terms lies between the smallest and largest termwise ratio). Also returns the dominant term giving each end: the low end is approached in the
    regime where that term dominates, the high end where the other one does."""
    none = (None, "", None)
    ka = sorted(_route_key(c) for c in a.candidates)
    kb = sorted(_route_key(c) for c in b.candidates)
    if ka != kb:
        return none
    cb = {_route_key(c): c for c in b.candidates}
    lo = hi = lo_at = hi_at = None
    explicit = True
    for c in a.candidates:
        d = cb[_route_key(c)]
        if c.result.form != "explicit":
            explicit = False
        if c.inner or d.inner:
            return none
        coeff_a = _leading_coefficients(c, regime)
        coeff_b = _leading_coefficients(d, regime)
        if coeff_a is None or coeff_b is None or set(coeff_a) != set(coeff_b):
            return none
        for m in coeff_a:
            ratio = coeff_a[m] / coeff_b[m]
            if lo is None or ratio < lo:
                lo, lo_at = ratio, m
            if hi is None or ratio > hi:
                hi, hi_at = ratio, m
    if lo is None:
        return none
    return (lo, hi), ("explicit" if explicit else "stated expression"), (lo_at, hi_at)


def _leading_coefficients(c, regime) -> dict | None:
    """{monomial: coefficient} of the dominant terms of a candidate's exact bound, or None."""
    import sympy as sp
    form = c.form
    if form.kind != "sum" or form.opaque_keys() or c.exact is None:
        return None
    exact = regime.apply(c.exact)
    if sp.count_ops(exact) > 400:
        return None
    expanded = sp.expand(exact)
    coeffs: dict = {}
    for term in sp.Add.make_args(expanded):
        k, rest = term.as_coeff_Mul()
        coeffs[rest] = coeffs.get(rest, 0) + k
    syms = dict(form.symbols)
    out = {}
    for t in form.terms:
        m = t.to_expr(syms)
        k = coeffs.get(m)
        if k is None or not k.is_Rational or not k.is_positive:
            return None
        out[m] = k
    return out


# --------------------------------------------------------------------------------------------
# routes behind a bound
# --------------------------------------------------------------------------------------------
def route_names(bound) -> list[str]:
    """Each candidate of a bound as ``result id`` or ``result id (view)`` for a derived view, once."""
    out = []
    for c in bound.candidates:
        name = c.result.id + (f" ({c.view.name})" if c.view.derived else "")
        if name not in out:
            out.append(name)
    return out


def route_kind_note(side: Side) -> str:
    """A sentence when A's and B's bounds differ in order and come through different kinds of
    routes (a bound published for one family against a derived one, or different views): the
    difference may then belong to the routes, not to the architectures. Empty otherwise."""
    if side.a is None or side.b is None or side.relation == "equal":
        return ""
    kinds = [sorted({("published" if c.status == "published" else c.view.name) for c in bd.candidates})
             for bd in (side.a, side.b)]
    if kinds[0] == kinds[1]:
        return ""
    return (f"routes differ: A's {WORDS[side.direction]} comes via {', '.join(kinds[0])} and B's via "
            f"{', '.join(kinds[1])}, so part of the difference in order may come from the routes, not from the "
            f"architectures")


# --------------------------------------------------------------------------------------------
# growth exponents and elasticities
# --------------------------------------------------------------------------------------------
def _growth_json(growth: dict) -> dict:
    return {k: {"power": str(g.power), "log_power": str(g.log_power), "text": str(g)} for k, g in growth.items()}


def _monomial(growth: dict) -> str:
    parts = []
    for name, g in growth.items():
        p, lp = g.power, g.log_power
        if p:
            parts.append(name if p == 1 else f"{name}^{p}")
        if lp:
            parts.append(f"log({name})" if lp == 1 else f"log({name})^{lp}")
    return " ".join(parts) or "1"


def _multiplicative_constants(result) -> bool:
    """True when every unspecified constant of the result is a factor of its bound (so it cancels
    in d log f / d log x)."""
    import sympy as sp
    for cname in result.constants:
        syms = [s for s in result.bound.free_symbols if s.name == cname]
        if not syms:
            continue
        c = syms[0]
        e = sp.simplify(sp.diff(sp.log(result.bound), c) * c)
        if not e.is_number:
            return False
    return True


def elasticities(candidate, bindings: dict, extra: dict | None = None) -> dict:
    """``{symbol: d log f / d log x}`` of a candidate's exact bound at a point (all symbols bound).

    Returns ``{}`` with no value when the candidate is a bridge (its exact form holds the inner
    bound's dominant form, not a published expression).
    """
    import sympy as sp

    from .evaluate import _subs_map, _to_number
    if candidate.inner or candidate.exact is None:
        return {}
    f = candidate.exact
    user = [s for s in f.free_symbols if s.is_integer]
    mapping = _subs_map(f, bindings, extra or {})
    out = {}
    logf = sp.log(f)
    for s in sorted(user, key=lambda x: x.name):
        e = (sp.diff(logf, s) * s).xreplace(mapping)
        if e.free_symbols:
            raise EvaluationError(f"cannot evaluate the elasticity of {candidate.result.id}: unbound symbol(s) "
                                  f"{', '.join(sorted(x.name for x in e.free_symbols))}")
        num = _to_number(e)
        out[s.name] = num.float
    return out


def growth_report(resolution, at=None, eps=None, delta=None, m=None) -> dict:
    """Per symbol, the exponent of the dominant term of the best upper and lower bound, per route
    too, and (when ``at`` binds every symbol) the elasticity ``d log f / d log x`` of each route's
    exact bound at that point.

    >>> from vcbound.resolver import bound
    >>> g = growth_report(bound("input(d, seq=T) -> rnn(n, act=sigmoid) -> last -> dense(1, act=threshold)"))
    >>> ks = [r for r in g["upper"]["routes"] if r["result"] == "koiran_sontag_1998_sigmoid_upper"][0]
    >>> ks["exponents"]["T"]["power"]
    '2'
    """
    from . import asymptotics as asy
    from .evaluate import NEEDS, _number
    from .render.pretty import ascii_expr, unicode_expr
    res = resolution
    q = res.quantities
    binds = normalise_bindings(q, at) if at else {}
    extra = {"eps": None if eps is None else _number(eps, "--eps"),
             "delta": None if delta is None else _number(delta, "--delta"),
             "m": None if m is None else _number(m, "--m")}
    if binds:
        require_all(q, binds, extra, NEEDS.get(res.measure, ()))

    def part(bound, growth):
        if bound is None:
            return None
        routes = []
        for c in bound.candidates:
            g = asy.growth(c.form)
            entry = {"result": c.result.id, "view": c.view.name, "form": c.result.form,
                     "citations": c.citations, "bound": ascii_expr(c.bound_expr),
                     "exponents": _growth_json(g), "monomial": _monomial(g),
                     "opaque": sorted(c.form.opaque_keys())}
            if binds:
                if c.inner:
                    entry["elasticity"] = None
                    entry["elasticity_note"] = "not computed for a bridge (its expression holds the inner bound's order)"
                elif c.result.constants and not _multiplicative_constants(c.result):
                    entry["elasticity"] = None
                    entry["elasticity_note"] = "the unspecified constant is not a factor of the bound"
                else:
                    entry["elasticity"] = elasticities(c, binds, extra)
                    entry["elasticity_note"] = ("of the bound with its published constants" if c.result.form == "explicit"
                                                else "of the stated expression; a constant factor cancels")
            routes.append(entry)
        return {"bound": ascii_expr(bound.expr), "bound_unicode": unicode_expr(bound.expr),
                "results": [c.result.id for c in bound.candidates], "route_names": route_names(bound),
                "citations": bound.citations, "scope": bound.scope,
                "exponents": _growth_json(growth), "monomial": _monomial(growth),
                "opaque": sorted(bound.form.opaque_keys()), "routes": routes}

    return {
        "measure": res.measure,
        "architecture": res.arch.text.strip(),
        "regime": res.regime.describe(),
        "at": {k: str(v) for k, v in binds.items()} or None,
        "upper": part(res.upper, res.growth_upper or (asy.growth(res.upper.form) if res.upper else {})),
        "lower": part(res.lower, res.growth_lower or (asy.growth(res.lower.form) if res.lower else {})),
        "notes": [
            "Exponents are those of the bounds' dominant terms when only that symbol grows; they describe "
            "how the published guarantee grows, not the network's VC dimension.",
        ] + (["Lower bounds are existence statements: some network of the family reaches them."]
             if res.lower is not None and res.lower.scope == "exists" else []),
    }
