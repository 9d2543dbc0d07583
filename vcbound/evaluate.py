"""Numbers from cited bounds: at one point (``evaluate``) and over a grid (``sweep``).

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
import time
from dataclasses import dataclass, field

from .errors import EvaluationError, UsageError

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

    text: str                 # in vcbound's quantities (W, U, L, ...), as the resolver shows it
    rel: str
    expr: object = None       # None when it cannot be checked at a point
    why_open: str = ""        # why it cannot be checked ("asymptotic condition", "unspecified constant C")


@dataclass
class Route:
    """A candidate of a ``Resolution`` with what numeric evaluation needs."""

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
    from .api import check_bindings
    check_bindings(out, quantities.symbols(), text)
    for name, v in out.items():
        _check_size(name, v, "--at")
    return out


def _check_size(name, value, what):
    """Architecture symbols are sizes (widths, depths, lengths): positive integers."""
    if not value.is_integer:
        raise EvaluationError(f"{what} {name}: a size must be a positive integer, got {value}")


def require_all(quantities, bindings: dict, extra: dict | None = None, needs=()) -> None:
    """Raise ``EvaluationError`` naming every symbol left unbound (architecture symbols, and the
    sample parameters ``needs`` such as eps and delta)."""
    missing = [n for n in quantities.symbols() if n not in bindings]
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
        import mpmath
        return (f"{mpmath.nstr(num.exact._to_mpmath(200), digits)} "
                f"({'beyond' if num.overflow else 'below'} float range)")
    v = num.float
    if v == int(v) and abs(v) < 1e15:
        return f"{int(v):,}"
    if 1e-3 <= abs(v) < 1e6:
        return f"{v:,.{digits}g}" if abs(v) >= 1 else f"{v:.{digits}g}"
    return f"{v:.{digits}g}"


@dataclass
class Row:
    """One route evaluated at a point."""

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
    value = at_point(route.expr)
    if value.free_symbols:
        names = sorted(s.name for s in value.free_symbols)
        raise EvaluationError(f"cannot evaluate {route.id}: unbound symbol{'s' if len(names) > 1 else ''} "
                              f"{', '.join(names)}")
    row.value = _to_number(value)
    return row


@dataclass
class Evaluation:
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

    def __str__(self) -> str:
        return evaluation_text(self)

    def to_json(self) -> dict:
        return evaluation_json(self)


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
    from .api import substitute
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


# --------------------------------------------------------------------------------------------
# rendering of an evaluation (text and JSON)
# --------------------------------------------------------------------------------------------
def _bindings_text(binds: dict, extra: dict | None = None) -> str:
    parts = [f"{k}={_axis_text(v)}" for k, v in binds.items()]
    parts += [f"{k}={_axis_text(v)}" for k, v in (extra or {}).items() if v is not None]
    return ", ".join(parts)


def _row_cite(row: Row) -> str:
    r = row.route.result
    return f"{r.source.key}, {r.locator}"


def evaluation_text(ev: Evaluation) -> str:
    from .render.pretty import unicode_expr
    from .resolver import MEASURE_NAMES
    res = ev.resolution
    q = res.quantities
    sym = {"upper": "≤", "lower": "≥"}
    lines = [f"{MEASURE_NAMES[res.measure]} of  {res.arch.text.strip()}",
             f"  at {_bindings_text(ev.bindings, ev.extra) or '(no symbols)'}",
             f"  W = {format_number(_to_number(ev.params))} parameters ({q.convention} convention)", ""]
    for title, rows, best in (("upper bounds", ev.uppers, ev.best_upper), ("lower bounds", ev.lowers, ev.best_lower)):
        if not rows:
            lines.append(f"{title}: none applies")
            continue
        lines.append(f"{title}:")
        order = sorted(rows, key=lambda r: (not r.numeric, not r.route.best, r.id, r.route.view))
        width = max(len(r.route.key) for r in order)
        for r in order:
            head = f"  {r.route.key:<{width}}  "
            if r.numeric:
                text = f"{sym[r.route.direction]} {format_number(r.value)}"
                if ev.measure.startswith("sample") and not r.value.overflow:
                    text += f"  ({math.ceil(r.value.float):,} samples)"
            else:
                shape = unicode_expr(r.route.candidate.bound_expr)
                text = f"{'O' if r.route.direction == 'upper' else 'Ω'}({shape}): {r.reason}"
            flags = []
            if r.route.best:
                flags.append("best order")
            if r.route.unsound:
                flags.append("UNVERIFIED step (tied weights)")
            if r.route.scope == "exists" and r.route.direction == "lower":
                flags.append("existence")
            lines.append(head + text + (f"   [{'; '.join(flags)}]" if flags else ""))
            lines.append(" " * (width + 4) + f"{_row_cite(r)}" + (f"; via {r.route.view}" if r.route.view != "network"
                                                                   and not r.route.inner_measure else ""))
            if r.inner is not None:
                lines.append(" " * (width + 4) + f"with {_measure_words(r.route.inner_measure)} "
                             f"{sym[r.route.direction]} {format_number(r.inner.value)} by {r.inner.id} "
                             f"({r.inner.route.result.source.key})")
            for text, status in r.conditions:
                if status != "holds":
                    lines.append(" " * (width + 4) + f"condition {text}: {status}"
                                 + (" here: this bound does not apply at this point" if status == "fails" else ""))
        if best is not None:
            what = "smallest" if best.route.direction == "upper" else "largest"
            lines.append(f"  {what} applicable value here: {format_number(best.value)} ({best.id}; "
                         f"cites {', '.join(best.citations)})")
        elif any(r.numeric for r in rows):
            lines.append("  no explicit bound applies at this point without a failing condition or an UNVERIFIED step")
        lines.append("")
    if ev.lowers and any(r.route.scope == "exists" for r in ev.lowers):
        lines.append("note: lower bounds marked 'existence' say that some network of the family reaches the value; "
                     "they are not a claim about this network.")
    if any(not r.numeric and r.route.reason == NO_CONSTANT for r in ev.uppers + ev.lowers):
        lines.append(f"note: '{NO_CONSTANT}': the source states that result only up to constant factors, so "
                     "vcbound gives its order and no number.")
    return "\n".join(lines).rstrip()


def _number_json(num: Number | None) -> dict:
    if num is None:
        return {"value": None, "value_text": None, "log10": None, "overflow": False, "underflow": False}
    return {
        "value": None if num.float is None or num.overflow or num.underflow else num.float,
        "value_text": None if num.exact is None else _sci(num),
        "log10": num.log10,
        "overflow": num.overflow,
        "underflow": num.underflow,
    }


def _sci(num: Number) -> str:
    import mpmath
    return mpmath.nstr(num.exact._to_mpmath(200), 17)


def evaluation_json(ev: Evaluation) -> dict:
    from .render.pretty import ascii_expr
    res = ev.resolution

    def row_json(r: Row) -> dict:
        out = {
            "result": r.id, "view": r.route.view, "direction": r.route.direction,
            "form": r.route.result.form, "citations": r.citations,
            "source": r.route.result.source.key, "locator": r.route.result.locator,
            "order": ascii_expr(r.route.candidate.bound_expr), "best_order": r.route.best,
            "scope": r.route.scope, "unverified_applicability": r.route.unsound,
            "reason": None if r.numeric else r.reason,
            "conditions": [{"condition": t, "status": s} for t, s in r.conditions],
            "applies": r.applies,
        }
        out.update(_number_json(r.value if r.numeric else None))
        if r.inner is not None:
            out["inner"] = {"measure": r.route.inner_measure, "result": r.inner.id,
                            **_number_json(r.inner.value)}
        return out

    best_u, best_l = ev.best_upper, ev.best_lower
    return {
        "measure": res.measure,
        "architecture": res.arch.text.strip(),
        "convention": res.quantities.convention,
        "at": {k: str(v) for k, v in ev.bindings.items()},
        **{k: str(v) for k, v in ev.extra.items() if v is not None},
        "params": int(ev.params) if getattr(ev.params, "is_integer", False) or isinstance(ev.params, int)
        else str(ev.params),
        "upper": [row_json(r) for r in ev.uppers],
        "lower": [row_json(r) for r in ev.lowers],
        "best_upper": None if best_u is None else {"result": best_u.id, "citations": best_u.citations,
                                                   **_number_json(best_u.value)},
        "best_lower": None if best_l is None else {"result": best_l.id, "citations": best_l.citations,
                                                   **_number_json(best_l.value)},
    }


# --------------------------------------------------------------------------------------------
# vectorised evaluation (sweep)
# --------------------------------------------------------------------------------------------
def _safe_names(exprs, arg_symbols):
    """Rename every symbol to x0, x1, ... so that no user-chosen name reaches lambdify's code."""
    sp = _sp()
    renamed = {}
    for i, s in enumerate(arg_symbols):
        renamed[s] = sp.Symbol(f"arg{i}", positive=True)
    return [e.xreplace(renamed) for e in exprs], [renamed[s] for s in arg_symbols]


def _split_logs(expr):
    """Split every log of a product or power into a sum (log(16 3^U e) -> log 16 + U log 3 + 1),
    after pulling common factors out of sums, so that no intermediate value overflows a float
    when the log itself is moderate. Used only on our own bound expressions, whose log arguments
    are positive counts (a negative factor would give nan, shown as undefined, never a wrong
    number)."""
    sp = _sp()

    def split(x):
        return sp.expand_log(sp.log(sp.factor_terms(x.args[0])), force=True)
    return expr.replace(lambda x: isinstance(x, sp.log), split)


def _log10_expr(expr):
    """log10 of a positive expression, with logs of products and powers split, so that a bound
    like (4 e m)^W has a finite logarithm when its value is beyond the float range."""
    sp = _sp()
    return _split_logs(sp.log(_split_logs(expr))) / sp.log(10)


def _value_expr(expr):
    """The expression with logs of products and powers split (see ``_split_logs``)."""
    return _split_logs(expr)


@dataclass
class Column:
    """One column of a sweep: the parameter count or one explicit bound over the grid."""

    key: str
    kind: str                       # "params" or "bound"
    route: Route | None
    values: object = None           # numpy float64 array; nan where undefined or a condition fails
    log10: object = None            # numpy array where the value overflows float (else None)
    overflow: object = None         # boolean mask: beyond the float range (values are inf there)
    failed: object = None           # boolean mask: a condition of the result fails there
    inner: list = field(default_factory=list)   # for bridges: keys of the inner columns used
    conditions_open: list = field(default_factory=list)
    failed_by: dict = field(default_factory=dict)   # condition text -> number of points where it fails
    inner_citations: list = field(default_factory=list)

    @property
    def citations(self) -> list:
        """The route's citation keys, and for a bridge those of the inner bounds it used."""
        if self.route is None:
            return []
        keys = list(self.route.citations)
        return keys + [k for k in dict.fromkeys(self.inner_citations) if k not in keys]

    @property
    def direction(self) -> str | None:
        return self.route.direction if self.route else None

    @property
    def label(self) -> str:
        if self.route is None:
            return "W (parameters)"
        r = self.route
        return f"{r.id} [{r.result.source.key}]" + (f" via {r.view}" if r.view != "network" and not r.inner_measure else "")


class _Progress:
    """A one-line progress bar on stderr, shown only after a second and only on a terminal."""

    def __init__(self, total: int, enabled: bool | None = None, label: str = "sweep"):
        self.total = max(1, total)
        self.done = 0
        self.start = time.monotonic()
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.label = label
        self.shown = False

    def step(self, n: int = 1):
        self.done += n
        if not self.enabled:
            return
        if self.shown or time.monotonic() - self.start > 1.0:
            self.shown = True
            frac = min(1.0, self.done / self.total)
            bar = "#" * int(30 * frac)
            sys.stderr.write(f"\r{self.label} [{bar:<30}] {100 * frac:5.1f}%")
            sys.stderr.flush()

    def close(self):
        if self.shown:
            sys.stderr.write("\r" + " " * 50 + "\r")
            sys.stderr.flush()


class Plan:
    """Bounds of one resolution compiled once to numpy functions; ``run(grid)`` evaluates them.

    The parameter count, every bound and every checkable condition are lambdified together once
    (common subexpressions shared; numeric constants such as log 2 folded to floats); evaluation on
    arrays involves no sympy at all. Bridges (bounds in terms of the VC dimension) are compiled
    apart, with the VC value as an extra argument computed from their inner columns.
    """

    def __init__(self, resolution, fixed: dict, varied: list[str], extra: dict, routes_: list[Route],
                 only=None, progress=None):
        sp = _sp()
        self.resolution = resolution
        self.varied = list(varied)
        self.fixed = dict(fixed)
        self.extra = dict(extra)
        q = resolution.quantities
        syms = q.symbols()
        self.skipped = [r for r in routes_ if not r.numeric]
        numeric = [r for r in routes_ if r.numeric]
        if only:
            wanted = set(only)
            unknown = wanted - {r.id for r in routes_}
            if unknown:
                raise UsageError(f"no applicable result {', '.join(sorted(unknown))} for this architecture "
                                 f"(applicable: {', '.join(sorted({r.id for r in routes_}))})")
            numeric = [r for r in numeric if r.id in wanted]
            self.skipped = [r for r in self.skipped if r.id in wanted]
        ordered: list[Route] = []
        keys = set()

        def add(r):
            k = (r.id, r.view, r.direction)
            if k not in keys:
                keys.add(k)
                ordered.append(r)
        for r in numeric:            # inner routes of bridges first (hidden unless asked for)
            for ir in r.inner:
                add(ir)
        for r in numeric:
            add(r)
        self.routes = ordered
        self.visible = [i for i, r in enumerate(ordered) if any(r is x for x in numeric)]
        # varied symbols are arguments; fixed ones and eps/delta/m are substituted now
        self.arg_symbols = [syms[n] for n in self.varied]
        fixed_map = {syms[n]: v for n, v in self.fixed.items()}
        sample = _sample_symbols()
        for n, v in self.extra.items():
            if v is not None:
                fixed_map[sample[n]] = v
        self._fixed_map = fixed_map
        params = q.params if isinstance(q.params, sp.Basic) else sp.Integer(q.params)
        plain_exprs = [params.xreplace(fixed_map)]
        self._slots = {}          # route index -> (value slot, [(condition slot, Condition)])
        self._bridge_fns = {}     # route index -> (function, n conditions)
        self._open = {}
        self._may_underflow = {}
        for i, r in enumerate(self.routes):
            self._open[i] = [f"{c.text} ({c.why_open})" for c in r.conditions if c.expr is None]
            self._may_underflow[i] = _may_underflow(r.expr)
            value = _fold(_value_expr(r.expr).xreplace(fixed_map))
            conds = [(c, _fold(_relation(c).xreplace(fixed_map))) for c in r.conditions if c.expr is not None]
            self._check_free([value] + [e for _, e in conds], r)
            if r.inner_measure:
                ph = _placeholder(r.inner_measure)
                fn = self._lambdify(self.arg_symbols + [ph], [value] + [e for _, e in conds])
                self._bridge_fns[i] = (fn, [c for c, _ in conds])
                continue
            vslot = len(plain_exprs)
            plain_exprs.append(value)
            cslots = []
            for c, e in conds:
                cslots.append((len(plain_exprs), c))
                plain_exprs.append(e)
            self._slots[i] = (vslot, cslots)
        self._check_free(plain_exprs[:1], None)
        self._fn_plain = self._lambdify(self.arg_symbols, plain_exprs)
        self._log_fns = {}
        if progress is not None:
            progress.step()

    def _check_free(self, exprs, route):
        allowed = set(self.arg_symbols) | {_placeholder(m) for m in BRIDGE}
        free = set().union(*(e.free_symbols for e in exprs)) - allowed
        if free:
            names = sorted({s.name for s in free})
            raise EvaluationError(f"cannot sweep: unbound symbol{'s' if len(names) > 1 else ''} {', '.join(names)} "
                                  "(vary it with --vary or fix it with --at; eps/delta with --eps/--delta, m with --m)")

    @staticmethod
    def _lambdify(args, exprs):
        sp = _sp()
        renamed, new_args = _safe_names(exprs, args)
        return sp.lambdify(new_args, renamed, modules="numpy", cse=True)

    def _log_fn(self, i):
        if i not in self._log_fns:
            r = self.routes[i]
            source = _fold(_log10_expr(r.expr).xreplace(self._fixed_map))
            args = self.arg_symbols + ([_placeholder(r.inner_measure)] if r.inner_measure else [])
            self._log_fns[i] = self._lambdify(args, [source])
        return self._log_fns[i]

    def run(self, grid: dict) -> list[Column]:
        """Evaluate on ``grid`` ({varied name: 1-D float array, all the same length})."""
        import numpy as np
        arrays = [np.asarray(grid[n], dtype=float) for n in self.varied]
        size = arrays[0].shape
        zeros = np.zeros(size, dtype=bool)
        with np.errstate(all="ignore"):
            out = self._fn_plain(*arrays)
        params = Column("W", "params", None, _full(out[0], size), None, zeros, zeros)
        cols: dict[int, Column] = {}
        for i, (vslot, cslots) in self._slots.items():
            cols[i] = self._column(i, out[vslot], [(out[k], c) for k, c in cslots], arrays, (), size, zeros)
        for i, (fn, conds) in self._bridge_fns.items():
            r = self.routes[i]
            combine = np.fmin if r.direction == "upper" else np.fmax      # ignores nan
            inner_v = np.full(size, np.nan)
            used = []
            used_routes = []
            for k, col in cols.items():
                if any(col.route is x for x in r.inner) and not col.route.unsound:
                    inner_v = combine(inner_v, col.values)   # nan where its condition fails
                    used.append(col.key)
                    used_routes.append(col.route)
            with np.errstate(all="ignore"):
                bout = fn(*arrays, inner_v)
            col = self._column(i, bout[0], list(zip(bout[1:], conds)), arrays, (inner_v,), size, zeros)
            col.inner = used
            col.inner_citations = [k for ir in used_routes for k in ir.citations]
            nan_inner = np.isnan(inner_v)
            if nan_inner.any():
                col.values = np.where(nan_inner, np.nan, col.values)
            cols[i] = col
        return [params] + [cols[i] for i in self.visible]

    def _column(self, i, raw, conds, arrays, extra_args, size, zeros) -> Column:
        import numpy as np
        r = self.routes[i]
        values = _full(raw, size)
        failed = zeros
        failed_by = {}
        for ok, c in conds:
            if not isinstance(ok, np.ndarray) or ok.shape != size:
                if bool(np.all(ok)):
                    continue                # decided for every point (e.g. U >= 2 for integer sizes)
            bad_here = ~_full(ok, size, bool)
            n_bad = int(bad_here.sum())
            if n_bad:
                failed_by[c.text] = n_bad
                failed = bad_here if failed is zeros else (failed | bad_here)
        log10 = None
        overflow = zeros
        # a value that is not finite, or 0 (a positive bound that underflowed), is recomputed in
        # log space: beyond the float range it is kept as its log10, never as a wrong number
        total = values.sum()            # nan or inf anywhere makes the sum non-finite
        if not np.isfinite(total) or (self._may_underflow[i] and not values.all()):
            bad = ~np.isfinite(values) | (values == 0)
            values = values.copy()
            with np.errstate(all="ignore"):
                lv = _full(self._log_fn(i)(*arrays, *extra_args)[0], size)
            finite_log = np.isfinite(lv) & bad
            inside = finite_log & (lv <= FLOAT_MAX_LOG10) & (lv >= FLOAT_MIN_LOG10)
            values[inside] = 10.0 ** lv[inside]
            overflow = finite_log & ((lv > FLOAT_MAX_LOG10) | (lv < FLOAT_MIN_LOG10))
            values[overflow & (lv > 0)] = np.inf
            values[overflow & (lv < 0)] = 0.0
            values[bad & ~finite_log & ~(values == 0)] = np.nan
            log10 = np.where(overflow, lv, np.nan) if overflow.any() else None
            if log10 is None:
                overflow = zeros
        if failed is not zeros and failed.any():
            values = np.where(failed, np.nan, values)
            if log10 is not None:
                log10 = np.where(failed, np.nan, log10)
                overflow = overflow & ~failed
        return Column(r.key, "bound", r, values, log10, overflow, failed, [], self._open[i], failed_by)


def _may_underflow(expr) -> bool:
    """Can a float evaluation of ``expr`` round a positive value to 0? Only through a power with a
    symbolic exponent (``(e m / d)^d``) or an exponential; otherwise a 0 is a real 0."""
    sp = _sp()
    if expr.has(sp.exp):
        return True
    return any(not p.exp.is_number for p in expr.atoms(sp.Pow))


def _full(x, size, dtype=float):
    """``x`` as an array of ``size`` (lambdified constants come back as scalars)."""
    import numpy as np
    if isinstance(x, np.ndarray) and x.shape == size and x.dtype == dtype:
        return x
    return np.array(np.broadcast_to(np.asarray(x, dtype=dtype), size))


def _relation(c: Condition):
    """The condition ``expr rel 0`` as a sympy relational (lambdified to a boolean array)."""
    sp = _sp()
    e = c.expr
    return {">": lambda: sp.StrictGreaterThan(e, 0), ">=": lambda: sp.GreaterThan(e, 0),
            "<": lambda: sp.StrictLessThan(e, 0), "<=": lambda: sp.LessThan(e, 0),
            "=": lambda: sp.StrictLessThan(sp.Abs(e), sp.Float(1e-9))}[c.rel]()


def _fold(expr):
    """Replace numeric constants that are not rational (log 2, e, pi) by floats, so that they
    fold into one coefficient instead of costing an array operation each."""
    sp = _sp()
    if expr is sp.true or expr is sp.false:
        return expr
    consts = {a for a in expr.atoms(sp.Function, sp.NumberSymbol) if a.is_number and not a.is_Rational}
    if not consts:
        return expr
    return expr.xreplace({a: a.evalf(17) for a in consts})


def parse_vary(spec: str) -> tuple[str, list]:
    """``"L=1..8"`` (integers, inclusive), ``"L=1..64:8"`` (step 8), ``"n=16,32,64"`` or ``"n=2^4"``
    -> ``(name, [sympy numbers])``. Values go through vcbound's expression parser.

    >>> parse_vary("L=1..4")
    ('L', [1, 2, 3, 4])
    >>> parse_vary("n=16, 2^5, 64")
    ('n', [16, 32, 64])
    """
    from .errors import ExpressionError
    from .expressions import parse_expression
    name, eq, values = spec.partition("=")
    name = name.strip()
    if not eq or not values.strip():
        raise ExpressionError(f"expected NAME=a..b or NAME=v1,v2,..., got '{spec.strip()}'", spec, 1, 1,
                              max(1, len(spec)), "--vary")
    if not name.isidentifier() or name.startswith("_"):
        raise ExpressionError(f"not a symbol name: '{name}'", spec, 1, 1, max(1, len(name)), "--vary")
    out = []
    for part in values.split(","):
        part = part.strip()
        if not part:
            continue
        if ".." in part:
            lo_text, _, rest = part.partition("..")
            hi_text, colon, step_text = rest.partition(":")
            lo = _integer(parse_expression(lo_text, "--vary"), part)
            hi = _integer(parse_expression(hi_text, "--vary"), part)
            step = _integer(parse_expression(step_text, "--vary"), part) if colon else 1
            if step <= 0:
                raise UsageError(f"--vary {name}: the step must be positive in '{part}'")
            if hi < lo:
                raise UsageError(f"--vary {name}: empty range '{part}'")
            if (hi - lo) // step + 1 > MAX_POINTS:
                raise UsageError(f"--vary {name}: '{part}' has more than {MAX_POINTS:,} values")
            out.extend(_sp().Integer(v) for v in range(lo, hi + 1, step))
        else:
            out.append(_number(parse_expression(part, "--vary"), f"--vary {name}"))
    if not out:
        raise UsageError(f"--vary {name}: no values")
    for v in out:
        if not v.is_positive:
            raise EvaluationError(f"--vary {name}: values must be positive, got {v}")
    return name, out


MAX_POINTS = 20_000_000
CHUNK = 1 << 18


def _integer(value, part) -> int:
    if not value.is_Integer:
        raise UsageError(f"--vary: range ends must be integers, got '{part}'")
    return int(value)


# --------------------------------------------------------------------------------------------
# sweep
# --------------------------------------------------------------------------------------------
@dataclass
class Sweep:
    """Parameter count and every explicit bound over a grid of symbol values.

    ``grid`` maps each varied symbol to a 1-D array over all grid points (the first varied symbol
    changes slowest); ``columns[0]`` is the parameter count W, the others one explicit bound each
    (``nan`` where a condition of the result fails, ``inf`` with ``log10`` set where the value is
    beyond the float range). ``skipped`` are the applicable results without published constants.
    """

    resolution: object
    varied: list
    values: dict                 # name -> list of sympy numbers (the grid axes)
    fixed: dict
    extra: dict
    grid: dict
    columns: list
    skipped: list
    plan: object = None

    @property
    def size(self) -> int:
        return len(next(iter(self.grid.values()))) if self.grid else 1

    @property
    def shape(self) -> tuple:
        return tuple(len(self.values[n]) for n in self.varied)

    def column(self, key: str) -> Column:
        for c in self.columns:
            if c.key == key:
                return c
        raise KeyError(key)

    # ---- output ----------------------------------------------------------------------------
    def header(self) -> list[str]:
        return list(self.varied) + ["W"] + [f"{c.direction}:{c.key}" for c in self.columns[1:]]

    def rows(self):
        """Rows of text cells (axis values, W, one cell per bound; '' where nothing applies)."""
        axes = [[_axis_text(v) for v in self.values[n]] for n in self.varied]
        import numpy as np
        idx = np.unravel_index(np.arange(self.size), self.shape) if self.varied else [[0]]
        for p in range(self.size):
            cells = [axes[a][idx[a][p]] for a in range(len(self.varied))]
            cells += [_cell(c, p) for c in self.columns]
            yield cells

    def to_csv(self) -> str:
        import csv
        import io
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(self.header())
        for row in self.rows():
            w.writerow(row)
        return buf.getvalue()

    def to_json(self) -> dict:
        from .resolver import MEASURE_NAMES
        cols = []
        for c in self.columns[1:]:
            r = c.route
            cols.append({
                "key": c.key, "result": r.id, "direction": r.direction, "view": r.view,
                "citations": c.citations, "source": r.result.source.key, "locator": r.result.locator,
                "scope": r.scope, "unverified_applicability": r.unsound,
                "conditions_not_checked": c.conditions_open,
                "points_where_a_condition_fails": int(c.failed.sum()),
                "failing_conditions": c.failed_by,
                "points_outside_float_range": int(c.overflow.sum()),
                "inner": c.inner,
            })
        header = self.header()
        rows = []
        for cells in self.rows():
            row = {}
            for h, cell in zip(header, cells):
                row[h] = _json_cell(cell)
            rows.append(row)
        return {
            "measure": self.resolution.measure,
            "measure_name": MEASURE_NAMES[self.resolution.measure],
            "architecture": self.resolution.arch.text.strip(),
            "convention": self.resolution.quantities.convention,
            "varied": {n: [_json_cell(_axis_text(v)) for v in self.values[n]] for n in self.varied},
            "fixed": {k: str(v) for k, v in self.fixed.items()},
            **{k: str(v) for k, v in self.extra.items() if v is not None},
            "columns": cols,
            "skipped": [{"result": r.id, "direction": r.direction, "view": r.view, "reason": r.reason,
                         "citations": r.citations} for r in self.skipped],
            "notes": self.notes(),
            "rows": rows,
        }

    def notes(self) -> list[str]:
        import numpy as np
        out = []
        for c in self.columns[1:]:
            n_fail = int(c.failed.sum())
            if n_fail:
                which = "; ".join(f"{t} fails at {k}" for t, k in c.failed_by.items())
                out.append(f"{c.key}: blank at {n_fail} point(s) where a condition of the result fails "
                           f"({which}): the bound does not apply there")
            n_over = int(c.overflow.sum())
            if n_over:
                out.append(f"{c.key}: {n_over} value(s) outside the float range, written in scientific notation "
                           "from their logarithm")
            n_undef = int((np.isnan(c.values) & ~c.failed).sum())
            if n_undef:
                out.append(f"{c.key}: undefined (no real value) at {n_undef} point(s)")
            if c.route.unsound:
                out.append(f"{c.key}: a step of this route is UNVERIFIED (a feed-forward result applied to "
                           "shared weights)")
            if c.route.direction == "lower" and c.route.scope == "exists":
                out.append(f"{c.key}: an existence statement: some network of the family reaches it, "
                           "not necessarily this one")
            if c.conditions_open:
                out.append(f"{c.key}: condition(s) not checked: {'; '.join(c.conditions_open)}")
        if self.skipped:
            ids = ", ".join(dict.fromkeys(r.id for r in self.skipped))
            out.append(f"not evaluated ({NO_CONSTANT} or no explicit inner bound): {ids}")
        return out

    def table(self) -> str:
        header = self.header()
        body = [[_table_cell(x) for x in row] for row in self.rows()]
        widths = [max([len(h)] + [len(r[i]) for r in body]) for i, h in enumerate(header)]
        lines = ["  ".join(h.rjust(w) for h, w in zip(header, widths))]
        lines += ["  ".join(x.rjust(w) for x, w in zip(r, widths)) for r in body]
        legend = [f"  {c.direction}:{c.key} = {c.route.result.source.key}, {c.route.result.locator}"
                  + (f" (via {c.route.view})" if c.route.view != 'network' and not c.route.inner_measure else "")
                  for c in self.columns[1:]]
        extra = []
        if legend:
            extra += ["", "columns:"] + legend
        notes = self.notes()
        if notes:
            extra += [""] + [f"note: {n}" for n in notes]
        return "\n".join(lines + extra)

    def plot(self, path: str, dpi: int = 120) -> str:
        """Write a PNG: log-log curves (one varied symbol) or heatmaps (two). Needs matplotlib
        (``pip install vcbound[plot]``)."""
        return plot_sweep(self, path, dpi=dpi)


def _axis_text(v) -> str:
    if getattr(v, "is_Integer", False):
        return str(int(v))
    if getattr(v, "is_Rational", False):
        return repr(float(v))
    return str(v)


def _cell(col: Column, p: int) -> str:
    import numpy as np
    v = col.values[p]
    if col.kind == "params":
        if np.isfinite(v) and v == int(v) and abs(v) < 2 ** 53:
            return str(int(v))
        return f"{v:.17g}"
    if col.log10 is not None and col.overflow[p]:
        return _sci_from_log10(float(col.log10[p]))
    if np.isnan(v):
        return ""
    return repr(float(v))


def _sci_from_log10(lv: float) -> str:
    exp = math.floor(lv)
    mant = 10.0 ** (lv - exp)
    if mant >= 9.9999999999995:
        mant, exp = 1.0, exp + 1
    return f"{mant:.12g}e{exp:+d}"


def _json_cell(cell: str):
    if cell == "":
        return None
    try:
        v = float(cell)
    except ValueError:
        return cell
    if not math.isfinite(v) or (v == 0 and cell not in ("0", "0.0")):
        return cell           # beyond the float range: kept as text, never as a wrong number
    return int(cell) if cell.lstrip("-").isdigit() else v


def _table_cell(cell: str) -> str:
    if cell == "":
        return "—"
    try:
        v = float(cell)
    except ValueError:
        return cell
    if not math.isfinite(v) or (v == 0 and cell not in ("0", "0.0")):
        mant, _, exp = cell.partition("e")
        return f"{float(mant):.4g}e{exp}"
    if cell.lstrip("-").isdigit():
        return cell
    return f"{v:.6g}"


def _vary_dict(vary) -> dict:
    if vary is None:
        return {}
    if isinstance(vary, str):
        vary = [vary]
    if isinstance(vary, dict):
        out = {}
        for name, values in vary.items():
            if isinstance(values, str):
                _, vals = parse_vary(f"{name}={values}")
            else:
                vals = [_number(v, f"--vary {name}") for v in values]
            out[name] = vals
        return out
    out = {}
    for spec in vary:
        name, vals = parse_vary(spec)
        if name in out:
            raise UsageError(f"--vary {name} given twice")
        out[name] = vals
    return out


def sweep(arch, vary, at=None, measure: str = "vc", assume=(), convention: str = "torch", base=None,
          eps=None, delta=None, m=None, only=None, progress: bool | None = None, theorem_dirs=()) -> Sweep:
    """Evaluate the parameter count and every applicable explicit bound over a grid.

    ``vary``: ``{"L": range(1, 9), "n": [16, 32, 64]}`` or specs ``["L=1..8", "n=16,32,64"]``;
    ``at``: values of the other symbols (``{"d": 32}`` or ``"d=32"``). Every symbol of the
    architecture must be varied or fixed. Each bound is compiled once to a numpy function and
    evaluated on arrays (no sympy per point). ``only``: restrict to these result ids.

    >>> s = sweep("input(d) -> dense(h, act=threshold)^L -> dense(1, act=threshold)",
    ...           {"L": [1, 2], "h": [8, 16]}, at={"d": 4}, only=["baum_haussler_1989_cor2"])
    >>> s.header()
    ['L', 'h', 'W', 'upper:baum_haussler_1989_cor2']
    >>> [int(w) for w in s.columns[0].values]
    [49, 97, 121, 369]
    """
    try:
        import numpy as np
    except ImportError:
        raise UsageError("sweep needs numpy: install vcbound[plot] (or numpy)") from None
    from .resolver import bound as _bound
    bar = _Progress(4, progress)
    try:
        if hasattr(arch, "uppers") and hasattr(arch, "quantities"):
            res = arch
        else:
            res = _bound(arch, measure, assume=assume, convention=convention, theorem_dirs=theorem_dirs, base=base)
        bar.step()
        q = res.quantities
        known = q.symbols()
        values = _vary_dict(vary)
        fixed = normalise_bindings(q, at)
        for name in values:
            if name not in known:
                from .errors import did_you_mean
                raise UsageError(f"--vary: '{name}' is not a symbol of this architecture "
                                 f"{did_you_mean(name, known, 'symbol') if known else '(it has none)'}")
            for v in values[name]:
                _check_size(name, v, "--vary")
            if name in fixed:
                raise UsageError(f"'{name}' is both varied (--vary) and fixed (--at)")
        extra = {"eps": None if eps is None else _number(eps, "--eps"),
                 "delta": None if delta is None else _number(delta, "--delta"),
                 "m": None if m is None else _number(m, "--m")}
        require_all(q, {**fixed, **{n: None for n in values}}, extra, NEEDS.get(res.measure, ()))
        varied = list(values)
        if not varied:
            raise UsageError("sweep needs at least one --vary NAME=a..b or NAME=v1,v2,...")
        shape = tuple(len(values[n]) for n in varied)
        total = int(np.prod(shape)) if shape else 1
        if total > MAX_POINTS:
            raise UsageError(f"the grid has {total:,} points; at most {MAX_POINTS:,}")
        rs = routes(res, base)
        bar.total = 2 + max(1, -(-total // CHUNK))
        plan = Plan(res, fixed, varied, extra, rs, only=only, progress=bar)
        axes = [np.array([float(v) for v in values[n]]) for n in varied]
        chunks = []
        grid_parts = {n: [] for n in varied}
        for start in range(0, total, CHUNK):
            stop = min(total, start + CHUNK)
            coords = np.unravel_index(np.arange(start, stop), shape)
            grid = {n: axes[a][coords[a]] for a, n in enumerate(varied)}
            chunks.append(plan.run(grid))
            for n in varied:
                grid_parts[n].append(grid[n])
            bar.step()
        columns = chunks[0] if len(chunks) == 1 else _concat(chunks)
        grid = {n: (parts[0] if len(parts) == 1 else np.concatenate(parts)) for n, parts in grid_parts.items()}
        return Sweep(res, varied, values, fixed, extra, grid, columns, plan.skipped, plan)
    finally:
        bar.close()


def _merge_counts(dicts) -> dict:
    out: dict = {}
    for d in dicts:
        for k, v in d.items():
            out[k] = out.get(k, 0) + v
    return out


def _concat(chunks) -> list[Column]:
    import numpy as np
    out = []
    for cols in zip(*chunks):
        first = cols[0]
        logs = [c.log10 for c in cols]
        log10 = None
        if any(lg is not None for lg in logs):
            log10 = np.concatenate([lg if lg is not None else np.full(len(c.values), np.nan)
                                    for lg, c in zip(logs, cols)])
        out.append(Column(
            first.key, first.kind, first.route,
            np.concatenate([c.values for c in cols]), log10,
            None if first.overflow is None else np.concatenate([c.overflow for c in cols]),
            None if first.failed is None else np.concatenate([c.failed for c in cols]),
            sorted(set().union(*(set(c.inner) for c in cols))) if first.kind == "bound" else [],
            first.conditions_open, _merge_counts(c.failed_by for c in cols),
            list(dict.fromkeys(k for c in cols for k in c.inner_citations))))
    return out


# --------------------------------------------------------------------------------------------
# plotting (matplotlib, optional)
# --------------------------------------------------------------------------------------------
def _matplotlib():
    try:
        import matplotlib  # noqa: F401
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise UsageError("--plot needs matplotlib: install vcbound[plot]") from None
    return Figure, FigureCanvasAgg


def plot_sweep(sw: Sweep, path: str, dpi: int = 120) -> str:
    """Log-log curves for one varied symbol, heatmaps (log10 of each bound) for two."""
    import numpy as np
    from .resolver import MEASURE_NAMES
    if len(sw.varied) not in (1, 2):
        raise UsageError(f"--plot needs one or two varied symbols, got {len(sw.varied)}")
    Figure, Canvas = _matplotlib()
    title_fixed = _bindings_text(sw.fixed, sw.extra)
    measure = MEASURE_NAMES[sw.resolution.measure]
    arch = sw.resolution.arch.text.strip()
    arch = arch if len(arch) <= 70 else arch[:67] + "..."
    bounds = [c for c in sw.columns[1:] if np.isfinite(c.values).any() or (c.overflow is not None and c.overflow.any())]
    if len(sw.varied) == 1:
        fig = Figure(figsize=(8, 5.2))
        Canvas(fig)
        ax = fig.add_subplot(1, 1, 1)
        x = np.array([float(v) for v in sw.values[sw.varied[0]]])
        order = np.argsort(x)
        use_log10 = any(c.overflow is not None and c.overflow.any() for c in bounds)
        series = [sw.columns[0]] + bounds
        for c in series:
            y = _log10_values(c) if use_log10 else np.where(c.values > 0, c.values, np.nan)
            style = {"color": "0.4", "linestyle": "--"} if c.kind == "params" else {"marker": "o", "markersize": 3}
            label = c.label if c.kind == "params" else f"{c.direction} {c.label}"
            ax.plot(x[order], y[order], label=label, **style)
        ax.set_xscale("log")
        if len(x) and x.min() >= 1 and x.max() / x.min() < 1000:
            from matplotlib.ticker import FixedLocator, NullLocator, ScalarFormatter
            ticks = np.unique(x)
            if len(ticks) > 12:
                ticks = ticks[np.unique(np.geomspace(1, len(ticks), 10).astype(int) - 1)]
            ax.xaxis.set_major_locator(FixedLocator(ticks))
            ax.xaxis.set_major_formatter(ScalarFormatter())
            ax.xaxis.set_minor_locator(NullLocator())
        if use_log10:
            ax.set_ylabel(f"log10 of the {measure} bound")
        else:
            ax.set_yscale("log")
            ax.set_ylabel(f"{measure} bound (log scale)")
        ax.set_xlabel(f"{sw.varied[0]} (log scale)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7, loc="best")
        ax.set_title(f"{arch}" + (f"\n{title_fixed}" if title_fixed else ""), fontsize=9)
    else:
        panels = bounds[:6] or []
        n = max(1, len(panels))
        cols = min(3, n)
        rows_ = -(-n // cols)
        fig = Figure(figsize=(4.6 * cols, 3.9 * rows_ + 0.6))
        Canvas(fig)
        xname, yname = sw.varied[1], sw.varied[0]
        xs = [_axis_text(v) for v in sw.values[xname]]
        ys = [_axis_text(v) for v in sw.values[yname]]
        if not panels:
            ax = fig.add_subplot(1, 1, 1)
            ax.text(0.5, 0.5, f"no bound with explicit constants applies\n({NO_CONSTANT})",
                    ha="center", va="center")
            ax.set_axis_off()
        for k, c in enumerate(panels):
            ax = fig.add_subplot(rows_, cols, k + 1)
            z = _log10_values(c).reshape(sw.shape)
            im = ax.imshow(z, origin="lower", aspect="auto", cmap="viridis")
            ax.set_xticks(range(len(xs)), labels=_thin(xs), fontsize=7)
            ax.set_yticks(range(len(ys)), labels=_thin(ys), fontsize=7)
            ax.set_xlabel(xname)
            ax.set_ylabel(yname)
            ax.set_title(f"{c.direction} {c.route.id}\n[{c.route.result.source.key}]", fontsize=8)
            fig.colorbar(im, ax=ax, label=f"log10 {c.direction} bound")
        fig.suptitle(f"{measure}: {arch}" + (f"  ({title_fixed})" if title_fixed else ""), fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    return path


def _thin(labels: list[str], most: int = 12) -> list[str]:
    if len(labels) <= most:
        return labels
    step = -(-len(labels) // most)
    return [lab if i % step == 0 else "" for i, lab in enumerate(labels)]


def _log10_values(c: Column):
    import numpy as np
    with np.errstate(all="ignore"):
        out = np.where(c.values > 0, np.log10(np.where(c.values > 0, c.values, 1.0)), np.nan)
    if c.log10 is not None:
        out = np.where(c.overflow, c.log10, out)
    return out
