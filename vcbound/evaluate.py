"""Numbers from cited bounds at one point (``evaluate``); the grid version is ``vcbound.sweeps``.

In: a ``Resolution`` (or architecture text) and numeric values for the user's symbols (``n=64``),
and for the measures that need them ``eps``, ``delta`` (sample complexity) or ``m`` (growth
function). Out: one number per applicable result that the source states with explicit constants;
for a result stated only up to constants (form ``asymptotic``) the answer is the words
``no published constant`` and never a number: vcbound does not invent constants.

Rules kept here:

- The number of a result is its bound with the network's *exact* counts substituted
  (``Candidate.exact``), then the bindings. A bridge (a sample-complexity or growth-function bound
  in terms of the VC dimension) has a number only when an explicit VC bound in the same direction
  applies: its value at the point is substituted for ``vc`` (the smallest applicable explicit upper
  bound, or the largest explicit lower bound), and the row names the result it came from.
- A result's conditions (``U > 2``, ``m >= W``) are checked at the point: a bound whose condition
  fails there is shown but marked and never chosen as the best number.
- Huge values are computed in arbitrary precision (sympy ``evalf``) at a point and in log space on
  a grid: a value beyond the float range is reported as such (``overflow``, with its decimal
  exponent), never as a wrong number.
- Only our own sympy expressions are lambdified, after renaming every symbol to a generated name;
  user text reaches sympy only through ``vcbound.expressions`` (``parse_bindings``,
  ``parse_expression``).

>>> from vcbound.evaluate import evaluate
>>> ev = evaluate("input(d) -> dense(h, act=threshold) -> dense(1, act=threshold)", {"d": 10, "h": 5})
>>> print(format_number(ev.row("baum_haussler_1989_cor2").value))     # 2 W log2(e N), W = 61, N = 6
491.374
"""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field

from .errors import EvaluationError, UsageError
from .presentation import Presentable, brief_repr

NO_CONSTANT = "no published constant"
SAMPLE_NAMES = ("eps", "delta", "m")            # the resolver's free symbols (positive, not integer)
BRIDGE = ("vc", "pdim")
PRECISION = 30                                  # significant digits of point evaluation
FLOAT_MAX_LOG10 = math.log10(sys.float_info.max)
FLOAT_MIN_LOG10 = math.log10(sys.float_info.min)     # below this a value is subnormal or rounds to 0
NEEDS = {"sample_realizable": ("eps", "delta"), "sample_agnostic": ("eps", "delta"), "growth": ("m",)}


def _sp():
    import sympy
    return sympy


# --------------------------------------------------------------------------------------------
# routes: a candidate prepared for numbers
# --------------------------------------------------------------------------------------------
@dataclass
class Condition:
    """One condition of a result, in the user's symbols (``expr rel 0`` with ``expr = lhs - rhs``)."""

    __repr__ = brief_repr("text", "rel")

    text: str                 # in vcbound's quantities (W, U, L, ...), as the resolver shows it
    rel: str
    expr: object = None       # None when it cannot be checked at a point
    why_open: str = ""        # why it cannot be checked ("asymptotic condition", "unspecified constant C")


@dataclass
class Route:
    """A candidate of a ``Resolution`` with what numeric evaluation needs."""

    __repr__ = brief_repr("direction", "candidate.result.id", "numeric", "reason")

    candidate: object
    direction: str
    numeric: bool
    reason: str = ""          # why there is no number ("no published constant", ...)
    expr: object = None       # the bound in user symbols, eps/delta/m, and ``vc``/``pdim`` placeholders
    inner_measure: str | None = None
    inner: list = field(default_factory=list)     # explicit Routes of the inner measure (bridges)
    inner_asymptotic: list = field(default_factory=list)   # ids of inner routes without constants
    conditions: list = field(default_factory=list)
    best: bool = False        # among the asymptotically best candidates of the resolution

    @property
    def result(self):
        return self.candidate.result

    @property
    def id(self) -> str:
        return self.candidate.result.id

    @property
    def view(self) -> str:
        return self.candidate.view.name

    @property
    def key(self) -> str:
        """A column name: the result id, with the view when it is not the network itself."""
        if self.view == "network" or self.inner_measure:
            return self.id
        return f"{self.id}@{_slug(self.view)}"

    @property
    def citations(self) -> list:
        """Citation keys of this route; for a bridge, without the resolver's inner route (the
        number uses its own inner bound, see ``Row.citations``)."""
        if not self.inner_measure:
            return list(self.candidate.citations)
        keys: list = []
        for step in self.candidate.steps:
            _own_keys(step, keys)
        return keys

    @property
    def unsound(self) -> bool:
        return bool(self.candidate.unsound)

    @property
    def scope(self) -> str:
        if self.direction == "lower" and any(r.scope == "exists" for r in self.inner):
            return "exists"
        return self.candidate.scope


def _own_keys(step, out: list) -> None:
    if step.citation and step.citation not in out:
        out.append(step.citation)
    for child in step.children:
        if getattr(child, "kind", "") != "bridge":
            _own_keys(child, out)


def _slug(view_name: str) -> str:
    out = "".join(ch if ch.isalnum() else "-" for ch in view_name.lower())
    while "--" in out:
        out = out.replace("--", "-")
    return out.strip("-")


def _sample_symbols() -> dict:
    from .expressions import make_symbol
    return {n: make_symbol(n) for n in SAMPLE_NAMES}


def _placeholder(measure: str):
    """The symbol standing for an inner measure's value in a bridge's expression."""
    return _sp().Symbol(f"_{measure}_value", positive=True)


def _letter_value(result, letter: str, quantity: str, view):
    """What a paper letter becomes: a view quantity, eps/delta/m, or an inner-measure placeholder."""
    if quantity in BRIDGE:
        return _placeholder(quantity)
    if quantity in SAMPLE_NAMES:
        return _sample_symbols()[quantity]
    return view.quantities.get(quantity)


def _substitute(result, expr, view):
    """``expr`` in the paper's letters -> user symbols; None if a quantity is missing in the view.
    Unspecified constants are left as they are (the caller decides what that means)."""
    mapping = {}
    for s in expr.free_symbols:
        quantity = result.symbols.get(s.name)
        if quantity is None:
            continue
        value = _letter_value(result, s.name, quantity, view)
        if value is None:
            return None
        mapping[s] = value
    return expr.xreplace(mapping)


def _conditions(result, view) -> list[Condition]:
    out = []
    canon = list(getattr(result, "canonical_conditions", ()) or ())
    for i, cond in enumerate(result.conditions):
        text = canon[i].text if i < len(canon) else cond.text
        if cond.rel in (">>", "<<"):
            out.append(Condition(text, cond.rel, None, "an asymptotic condition, not checked at a point"))
            continue
        constants = sorted({s.name for s in (cond.lhs - cond.rhs).free_symbols} & set(result.constants))
        if constants:
            out.append(Condition(text, cond.rel, None, f"involves the unspecified constant {', '.join(constants)}"))
            continue
        lhs, rhs = _substitute(result, cond.lhs, view), _substitute(result, cond.rhs, view)
        if lhs is None or rhs is None:
            out.append(Condition(text, cond.rel, None, "involves a quantity this view does not define"))
            continue
        out.append(Condition(text, cond.rel, lhs - rhs))
    return out


def _is_bridge(result) -> bool:
    return any(q in BRIDGE for q in result.symbols.values())


def _best_ids(bound) -> set:
    return {id(c) for c in bound.candidates} if bound is not None else set()


def routes(resolution, base=None, _inner_cache=None) -> list[Route]:
    """Every candidate of ``resolution`` (upper, then lower) as a ``Route``.

    Routes of results with ``form = "explicit"`` carry the expression to evaluate; the others say
    why there is no number. Bridges list the explicit routes of their inner measure (VC dimension
    or pseudo-dimension) in the same direction; when there is none, the bridge has no number either.
    """
    sp = _sp()
    best = _best_ids(resolution.upper) | _best_ids(resolution.lower)
    cache = {} if _inner_cache is None else _inner_cache
    out: list[Route] = []
    seen_bridges = set()
    for cands in (resolution.uppers, resolution.lowers):
        for c in cands:
            result = c.result
            route = Route(c, c.direction, False, best=id(c) in best)
            if _is_bridge(result):
                # a bridge's number depends on the view only through its inner measure, which is
                # taken over all views below: one row per (result, direction)
                key = (result.id, c.direction)
                if key in seen_bridges:
                    for r in out:
                        if r.id == result.id and r.direction == c.direction:
                            r.best = r.best or route.best
                            if r.candidate.unsound and not c.unsound:
                                r.candidate = c        # prefer a route with no UNVERIFIED step
                    continue
                seen_bridges.add(key)
            if result.form != "explicit":
                route.reason = NO_CONSTANT
                out.append(route)
                continue
            if result.constants:
                route.reason = f"{NO_CONSTANT} (unspecified constant {', '.join(result.constants)})"
                out.append(route)
                continue
            inner_measures = sorted({q for q in result.symbols.values() if q in BRIDGE})
            if inner_measures:
                expr = _substitute(result, result.bound, c.view)
                im = inner_measures[0]
                if len(inner_measures) > 1 or expr is None:
                    route.reason = "bridge over several inner measures: not evaluated"
                    out.append(route)
                    continue
                route.inner_measure = im
                inner = _inner_routes(resolution, im, c.direction, base, cache)
                route.inner = [r for r in inner if r.numeric]
                route.inner_asymptotic = [r.id for r in inner if not r.numeric]
                route.expr = expr
                route.conditions = _conditions(result, c.view)
                if not route.inner:
                    what = "upper" if c.direction == "upper" else "lower"
                    names = ", ".join(dict.fromkeys(route.inner_asymptotic)) or "none applies"
                    route.reason = (f"{NO_CONSTANT} for the {what} bound on the {_measure_words(im)} it needs "
                                    f"({names})")
                else:
                    route.numeric = True
                out.append(route)
                continue
            route.expr = c.exact if c.exact is not None else _substitute(result, result.bound, c.view)
            if route.expr is None or not isinstance(route.expr, sp.Basic):
                route.reason = "no expression to evaluate"
                out.append(route)
                continue
            route.conditions = _conditions(result, c.view)
            route.numeric = True
            out.append(route)
    return out


def _measure_words(m: str) -> str:
    return {"vc": "VC dimension", "pdim": "pseudo-dimension"}.get(m, m)


def _inner_routes(resolution, measure, direction, base, cache) -> list[Route]:
    key = (id(resolution), measure)
    if key not in cache:
        from .resolver import resolve
        if base is None:
            from .theorems import load_theorems
            base = load_theorems()
        inner_res = resolve(resolution.quantities, base, measure, resolution.regime)
        cache[key] = routes(inner_res, base, cache)
    # an explicit upper bound that applies is a valid upper bound, whichever is best in order; a
    # lower bound is used only if the resolver kept it (not set aside as outside this architecture)
    return [r for r in cache[key] if r.direction == direction and (direction == "upper" or r.best)]


# --------------------------------------------------------------------------------------------
# bindings
# --------------------------------------------------------------------------------------------
def _number(value, what: str):
    """A sympy number from an int, a Fraction, a sympy number, or text parsed by vcbound's parser."""
    sp = _sp()
    if isinstance(value, str):
        from .expressions import parse_expression
        value = parse_expression(value, filename=what)
    elif isinstance(value, bool):
        raise UsageError(f"{what}: expected a number, got {value!r}")
    elif isinstance(value, int):
        value = sp.Integer(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise EvaluationError(f"{what}: expected a finite number, got {value}")
        value = sp.Rational(repr(value))     # the decimal the user wrote: 0.05 -> 1/20
    elif hasattr(value, "numerator") and hasattr(value, "denominator"):
        value = sp.Rational(value.numerator, value.denominator)
    if not isinstance(value, sp.Basic) or value.free_symbols or not value.is_number:
        raise UsageError(f"{what}: expected a number, got {value!r}")
    if not value.is_real or not value.is_positive:
        raise EvaluationError(f"{what} must be positive, got {value}")
    return value


def normalise_bindings(quantities, bindings) -> dict:
    """``{"n": 64}`` or ``"n=64, d=32"`` -> ``{name: sympy number}``, checked against the
    architecture's symbols (unknown names and non-positive values are refused)."""
    if bindings is None:
        return {}
    text = bindings if isinstance(bindings, str) else None
    if text is not None:
        from .expressions import parse_bindings
        bindings = parse_bindings(text) if text.strip() else {}
    out = {name: _number(v, f"--at {name}") for name, v in dict(bindings).items()}
    from .expressions import check_bindings
    check_bindings(out, quantities.symbols(), text)
    for name, v in out.items():
        _check_size(name, v, "--at")
    return out


def _check_size(name, value, what):
    """Architecture symbols are sizes (widths, depths, lengths): positive integers."""
    if not value.is_integer:
        raise EvaluationError(f"{what} {name}: a size must be a positive integer, got {value}")


def require_all(quantities, bindings: dict, extra: dict | None = None, needs=(), symbols=None) -> None:
    """Raise ``EvaluationError`` naming every symbol left unbound (architecture symbols, only
    those in ``symbols`` when given, and the sample parameters ``needs`` such as eps and delta)."""
    missing = [n for n in quantities.symbols() if n not in bindings and (symbols is None or n in symbols)]
    extra = extra or {}
    lacking = [n for n in needs if extra.get(n) is None]
    if missing or lacking:
        parts = []
        if missing:
            parts.append(f"bind {', '.join(missing)} with --at "
                         + ",".join(f"{n}=..." for n in missing))
        if lacking:
            parts.append(", ".join(f"--{n}" for n in lacking) + " " + ("is" if len(lacking) == 1 else "are")
                         + " needed for this measure")
        raise EvaluationError("cannot evaluate: unbound symbol" + ("s" if len(missing) + len(lacking) > 1 else "")
                              + f" {', '.join(missing + lacking)} ({'; '.join(parts)})")


def _subs_map(expr, bindings: dict, extra: dict) -> dict:
    """Map the free symbols of ``expr`` to numbers: user symbols (integer) by name, and the
    resolver's eps/delta/m (not integer) from ``extra``. Names are never confused: a user width
    named ``m`` is an integer symbol, the growth-function argument ``m`` is not.

    Values are arbitrary-precision floats (``WORK_DIGITS``), so that substituting into
    ``(e m N / W)^W`` evaluates numerically instead of building an exact rational with millions of
    digits; integers up to 10^40 are exact in them."""
    mapping = {}
    for s in expr.free_symbols:
        if s.name in SAMPLE_NAMES and not s.is_integer:
            if extra.get(s.name) is not None:
                mapping[s] = _work(extra[s.name])
        elif s.name in bindings:
            mapping[s] = _work(bindings[s.name])
    return mapping


WORK_DIGITS = PRECISION + 15


def _work(value):
    return _sp().Float(value, WORK_DIGITS)


# --------------------------------------------------------------------------------------------
# point evaluation
# --------------------------------------------------------------------------------------------
@dataclass
class Number:
    """A value computed in arbitrary precision, with its float and its decimal exponent."""

    __repr__ = brief_repr("float", "overflow")

    exact: object               # sympy Float (PRECISION digits) or None
    float: float | None         # None when undefined; inf when beyond the float range
    log10: float | None
    overflow: bool = False      # beyond the float range (the float is inf; ``exact``/``log10`` are right)
    undefined: str = ""         # why there is no real value (e.g. the log of a negative number)
    underflow: bool = False     # nonzero but below the normal float range (the float is 0 or inexact)

    def __str__(self) -> str:
        return format_number(self)


def _to_number(value) -> Number:
    sp = _sp()
    try:
        v = sp.N(value, PRECISION)
    except (TypeError, ValueError, OverflowError, ZeroDivisionError) as exc:   # pragma: no cover
        return Number(None, None, None, undefined=f"cannot evaluate ({exc})")
    if v.has(sp.zoo, sp.oo, sp.nan, -sp.oo) or v == sp.nan:
        return Number(None, None, None, undefined="undefined at this point")
    if not v.is_number or v.free_symbols:
        return Number(None, None, None, undefined="not a number")
    re_, im_ = v.as_real_imag()
    if im_ != 0 and abs(sp.N(im_)) > 1e-20 * max(abs(sp.N(re_)), 1):
        return Number(None, None, None, undefined="not a real number at this point")
    v = sp.Float(re_, PRECISION)
    if v == 0:
        return Number(v, 0.0, None)
    import mpmath
    log10 = float(mpmath.log10(abs(v._to_mpmath(mpmath.mp.prec))))
    if log10 > FLOAT_MAX_LOG10:
        return Number(v, math.copysign(math.inf, float(sp.sign(v))), log10, overflow=True)
    if log10 < FLOAT_MIN_LOG10:
        return Number(v, float(v), log10, underflow=True)
    return Number(v, float(v), log10)


def format_number(num: Number, digits: int = 6) -> str:
    """Text for a value: ``12345``, ``1.23457e+21``, ``1.23457e+456 (beyond float range)``."""
    if num is None or num.float is None:
        return num.undefined if num is not None and num.undefined else "—"
    if num.overflow or num.underflow:
        where = "beyond" if num.overflow else "below"
        if num.log10 is None or not math.isfinite(num.log10):      # even the exponent is beyond floats
            import mpmath
            return f"{mpmath.nstr(num.exact._to_mpmath(200), digits)} ({where} float range)"
        return f"{scientific_from_log10(num.log10, digits)} ({where} float range)"
    v = num.float
    if v == int(v) and abs(v) < 1e15:
        return f"{int(v):,}"
    if 1e-3 <= abs(v) < 1e6:
        return f"{v:,.{digits}g}" if abs(v) >= 1 else f"{v:.{digits}g}"
    return f"{v:.{digits}g}"


def scientific_from_log10(log10: float, digits: int = 6) -> str:
    """A positive value beyond the float range, written from its decimal logarithm:
    ``scientific_from_log10(600.3) == '1.99526e+600'``. The one way eval and sweep write such
    numbers, so that the same point reads the same in both."""
    exp = math.floor(log10)
    mant = float(f"{10.0 ** (log10 - exp):.{digits}g}")
    if mant >= 10:
        mant, exp = mant / 10, exp + 1
    return f"{mant:.{digits}g}e{exp:+d}"


@dataclass
class Row:
    """One route evaluated at a point."""

    __repr__ = brief_repr("route", "value")

    route: Route
    value: Number | None = None
    conditions: list = field(default_factory=list)   # (text, status) with status holds|fails|open: why
    inner: "Row | None" = None                        # for bridges: the inner bound used

    @property
    def id(self) -> str:
        return self.route.id

    @property
    def float(self):
        return self.value.float if self.value else None

    @property
    def numeric(self) -> bool:
        return self.value is not None and self.value.float is not None

    @property
    def applies(self) -> bool:
        """No condition of the result fails at this point."""
        return not any(status == "fails" for _, status in self.conditions)

    @property
    def usable(self) -> bool:
        """Eligible for the best number: a value, no failing condition, no UNVERIFIED step."""
        return self.numeric and self.applies and not self.route.unsound

    @property
    def citations(self) -> list:
        """The keys behind this number: the route's own, and the inner bound's for a bridge."""
        keys = list(self.route.citations)
        if self.inner is not None:
            keys += [k for k in self.inner.citations if k not in keys]
        return keys

    @property
    def reason(self) -> str:
        if self.value is not None and self.value.undefined:
            return self.value.undefined
        return self.route.reason


def _check_condition(cond: Condition, mapping_fn) -> str:
    sp = _sp()
    if cond.expr is None:
        return "open: " + cond.why_open
    value = mapping_fn(cond.expr)
    if value is None or value.free_symbols:
        return "open: cannot be decided at this point"
    if cond.rel == "=":
        simplified = sp.nsimplify(value) if value.is_Float else value
        if simplified.is_zero:
            return "holds"
        num = sp.N(value, PRECISION)
        return "holds" if abs(num) < sp.Float(10) ** (-PRECISION + 5) else "fails"
    num = sp.N(value, PRECISION)
    if not num.is_real:
        return "open: cannot be decided at this point"
    truth = {">": num > 0, ">=": num >= 0, "<": num < 0, "<=": num <= 0}[cond.rel]
    return "holds" if bool(truth) else "fails"


def _outside_domain(expr, at_point) -> str:
    """Why ``expr`` has no real value at this point, checked before it is built (a log of a
    non-positive number inside min(...) would otherwise make sympy fail on a complex argument):
    the point lies outside the bound's domain, so the theorem says nothing there. "" when inside."""
    sp = _sp()
    for lg in sorted(expr.atoms(sp.log), key=str):
        arg = at_point(lg.args[0])
        if arg.free_symbols:
            continue
        try:
            bad = bool(sp.N(arg, PRECISION) <= 0)
        except TypeError:          # a complex value: not ordered
            bad = True
        if bad:
            return (f"outside the bound's domain at this point: log({_sp().sstr(lg.args[0])}) of "
                    f"{sp.nsimplify(arg) if arg.is_Float else arg} <= 0 (evaluated only where the bound is defined)")
    return ""


def _eval_route(route: Route, bindings: dict, extra: dict, memo: dict) -> Row:
    key = (route.id, route.view, route.direction)
    if key in memo:
        return memo[key]
    row = Row(route)
    memo[key] = row
    if not route.numeric:
        return row
    inner_value = None
    if route.inner_measure:
        inner_rows = [_eval_route(r, bindings, extra, memo) for r in route.inner]
        usable = [r for r in inner_rows if r.usable and not r.value.overflow]
        usable += [r for r in inner_rows if r.usable and r.value.overflow]
        if not usable:
            row.conditions = []
            row.value = Number(None, None, None, undefined="no explicit bound on the "
                               f"{_measure_words(route.inner_measure)} applies at this point")
            return row
        pick = min if route.direction == "upper" else max
        row.inner = pick(usable, key=lambda r: r.value.exact)
        inner_value = row.inner.value.exact

    def at_point(expr):
        mapping = _subs_map(expr, bindings, extra)
        if route.inner_measure:
            mapping[_placeholder(route.inner_measure)] = _work(inner_value)
        return expr.xreplace(mapping)

    row.conditions = [(c.text, _check_condition(c, at_point)) for c in route.conditions]
    outside = _outside_domain(route.expr, at_point)
    if outside:
        row.value = Number(None, None, None, undefined=outside)
        return row
    value = at_point(route.expr)
    if value.free_symbols:
        names = sorted(s.name for s in value.free_symbols)
        raise EvaluationError(f"cannot evaluate {route.id}: unbound symbol{'s' if len(names) > 1 else ''} "
                              f"{', '.join(names)}")
    row.value = _to_number(value)
    return row


@dataclass(repr=False)     # the one-line repr comes from Presentable
class Evaluation(Presentable):
    """The bounds of one measure of one architecture at one point.

    ``uppers``/``lowers``: a ``Row`` per route (explicit ones with a value, asymptotic ones with
    ``reason == "no published constant"``); ``best_upper``: the smallest value among rows that
    apply at the point and have no UNVERIFIED step; ``best_lower``: the largest.
    """

    resolution: object
    bindings: dict
    extra: dict
    params: object
    uppers: list
    lowers: list

    @property
    def measure(self) -> str:
        return self.resolution.measure

    @property
    def best_upper(self) -> Row | None:
        rows = [r for r in self.uppers if r.usable]
        return min(rows, key=lambda r: r.value.exact) if rows else None

    @property
    def best_lower(self) -> Row | None:
        rows = [r for r in self.lowers if r.usable]
        return max(rows, key=lambda r: r.value.exact) if rows else None

    def row(self, result_id: str, direction: str | None = None) -> Row:
        """The first row of a result (in the network's own view when there are several)."""
        rows = [r for r in self.uppers + self.lowers
                if r.id == result_id and (direction is None or r.route.direction == direction)]
        if not rows:
            raise KeyError(result_id)
        rows.sort(key=lambda r: r.route.view != "network")
        return rows[0]


def evaluate(resolution, bindings=None, eps=None, delta=None, m=None, base=None, measure: str = "vc",
             convention: str = "torch", assume=()) -> Evaluation:
    """Evaluate every applicable bound of a resolution at a point.

    ``resolution`` is a ``Resolution`` (or architecture text, resolved for ``measure``);
    ``bindings`` maps every symbol of the architecture to a positive number (``{"n": 64}`` or the
    text ``"n=64, d=32"``). ``eps``/``delta`` are needed for the sample-complexity measures, ``m``
    for the growth function. Results with explicit constants get numbers; asymptotic ones get
    ``"no published constant"``. Unbound symbols raise ``EvaluationError`` listing them.

    >>> ev = evaluate("input(d) -> dense(h, act=threshold) -> dense(1, act=threshold)", "d=10, h=5")
    >>> ev.params
    61
    >>> row = ev.row("baum_haussler_1989_cor2")          # 2 W log2(e N), W = 61, N = 6
    >>> abs(row.float - 2 * 61 * math.log2(math.e * 6)) < 1e-9
    True
    >>> ev.row("koiran_sontag_1997_thm5_pwconst_upper").reason
    'no published constant'
    """
    from .expressions import substitute
    if isinstance(resolution, str) or not hasattr(resolution, "uppers"):
        from .resolver import bound
        resolution = bound(resolution, measure, assume=assume, convention=convention, base=base)
    q = resolution.quantities
    binds = normalise_bindings(q, bindings)
    extra = {"eps": None if eps is None else _number(eps, "--eps"),
             "delta": None if delta is None else _number(delta, "--delta"),
             "m": None if m is None else _number(m, "--m")}
    for name in ("eps", "delta"):
        if extra[name] is not None and not extra[name] < 1:
            raise EvaluationError(f"--{name} must be between 0 and 1, got {extra[name]}")
    require_all(q, binds, extra, NEEDS.get(resolution.measure, ()))
    rs = routes(resolution, base)
    memo: dict = {}
    rows = [_eval_route(r, binds, extra, memo) for r in rs]
    params = substitute(q.params, binds)
    ev = Evaluation(resolution, binds, extra, params,
                    [r for r in rows if r.route.direction == "upper"],
                    [r for r in rows if r.route.direction == "lower"])
    return ev


def _axis_text(v) -> str:
    """A bound value as given (``64``, ``0.05``); a fraction outside the float range in scientific
    notation from its exact logarithm (``1e-350``, never ``0.0``)."""
    if getattr(v, "is_Integer", False):
        return str(int(v))
    if getattr(v, "is_Rational", False):
        from .expressions import integer_log10
        lv = integer_log10(v.p) - integer_log10(v.q)
        if FLOAT_MIN_LOG10 <= lv <= FLOAT_MAX_LOG10:
            return repr(float(v))
        return ("-" if v < 0 else "") + scientific_from_log10(lv)
    return str(v)
