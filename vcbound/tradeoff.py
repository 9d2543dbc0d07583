"""Layers against units at a fixed parameter budget (``vcbound tradeoff``).

In: an architecture, a budget on the exact parameter count (``W=100000``), one varied symbol and its
values (``L=1..8``), the width symbol to solve for (default: the only other free symbol of the
parameter count), values of the remaining symbols (``d=8, T=50``). Out: a ``Tradeoff``: one row per
value of the varied symbol with the largest integer width whose exact count is within the budget
(``W(n) <= budget < W(n + 1)``), that count, and every bound of the best pools and every sound bound
with published constants. A bound with published constants gets its value; a bound known only up
to constants gets its stated expression evaluated with the unknown constants set to 1, shown only as
the ratio to the first row ("shape only (constants unknown)"), never as a number that could be read
as a bound. Rendering (text, CSV, JSON, Markdown, LaTeX, plot) is in ``vcbound.render.tradeoff``.

>>> t = tradeoff("input(d) -> dense(h, act=relu)^L -> dense(1)", budget=10000, vary="L=1..3", at="d=8")
>>> [(r.values["L"], r.width, r.params) for r in t.rows]
[(1, 908, 9989), (2, 95, 9975), (3, 67, 9984)]
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .errors import EvaluationError, UsageError
from .evaluate import (NEEDS, _sp, Number, _eval_route, _number, _subs_map, _to_number, normalise_bindings,
                       require_all, routes)
from .presentation import Presentable, present

SHAPE_ONLY = "shape only (constants unknown)"
MAX_ROWS = 1000


@dataclass
class TradeoffColumn:
    """One bound of the table: its route and whether it gives values or only a shape."""

    key: str                  # result id, with the view when it is not the network itself
    result_id: str
    direction: str            # upper | lower
    view: str
    kind: str                 # "value" (published constants) or "shape" (constants unknown)
    best: bool                # among the asymptotically best bounds of the resolution
    scope: str                # every | exists
    citations: list
    locator: str
    order: str                # the bound's order form (O/Omega of the dominant terms)

    @property
    def label(self) -> str:
        return f"{self.direction}:{self.key}"


@dataclass
class TradeoffCell:
    """One bound at one row: a value (published constants) or a ratio to the first row (shape)."""

    value: Number | None = None       # kind "value": the bound's number
    ratio: object = None              # sympy number: this row / first row (exact where it is rational)
    ratio_float: float | None = None
    failed: list = field(default_factory=list)    # conditions of the result that fail at this row
    note: str = ""                    # why there is no number
    shape: object = None              # kind "shape": the stated expression with constants 1 (never shown
                                      # as a bound; used only for ratios)


@dataclass
class TradeoffRow:
    values: dict                      # the varied symbol -> its value at this row
    width: int | None                 # the largest width within the budget (None: even width 1 exceeds it)
    params: int | None                # the exact parameter count at that width
    next_params: int | None           # the count at width + 1 (> budget)
    cells: list                       # one TradeoffCell per column


@dataclass
class Tradeoff(Presentable):
    """The answer of ``tradeoff``: rows (varied value, solved width, exact count, bounds) and columns."""

    arch: str
    measure: str
    budget: int
    varied: str
    solve: str
    fixed: dict
    extra: dict
    columns: list
    rows: list
    notes: list
    convention: str = "torch"
    regime: str = ""

    # plain renderers (the registry in vcbound.render.reprs holds the implementations)
    def to_csv(self) -> str:
        return present(self, "csv")

    def to_markdown(self) -> str:
        return present(self, "markdown")

    def to_latex(self) -> str:
        return present(self, "latex")

    def to_text(self) -> str:
        return present(self, "text")

    def plot(self, path: str, dpi: int = 120) -> str:
        """Write a PNG: the solved width and W per row, the values of bounds with published
        constants, and the shapes (ratios to the first row). Needs matplotlib (``vcbound[plot]``)."""
        return present(self, "png", path, dpi=dpi)


def parse_budget(spec) -> int:
    """``"W=100000"``, ``"100000"`` or an int -> the budget (a positive integer)."""
    if isinstance(spec, bool):
        raise UsageError(f"--budget: expected W=<integer>, got {spec!r}")
    if isinstance(spec, int):
        value = spec
    else:
        text = str(spec).strip()
        name, eq, rest = text.partition("=")
        if eq:
            if name.strip() != "W":
                raise UsageError(f"--budget: the budget is on the parameter count W, write W={rest.strip() or 'N'}")
            text = rest.strip()
        num = _number(text, "--budget")
        if not num.is_Integer:
            raise UsageError(f"--budget: the parameter count is an integer, got {num}")
        value = int(num)
    if value <= 0:
        raise UsageError(f"--budget: must be positive, got {value}")
    return value


def _vary(vary) -> tuple[str | None, list]:
    from .sweeps import _vary_dict
    if not vary:
        return None, [None]
    values = _vary_dict(vary)
    if len(values) != 1:
        raise UsageError(f"tradeoff varies exactly one symbol (--vary L=1..8), got {len(values)}")
    (name, vals), = values.items()
    if len(vals) > MAX_ROWS:
        raise UsageError(f"--vary {name}: at most {MAX_ROWS} values for a tradeoff")
    for v in vals:
        if not v.is_Integer:
            raise UsageError(f"--vary {name}: sizes are integers, got {v}")
    return name, vals


def _solve_symbol(q, solve, varied, fixed) -> str:
    """The width to solve for: ``solve`` checked, or the only free symbol of W besides the others."""
    in_w = sorted(s.name for s in getattr(q.params, "free_symbols", ()))
    if solve is not None:
        if solve not in q.symbols():
            from .errors import did_you_mean
            raise UsageError(f"--solve: '{solve}' is not a symbol of this architecture "
                             f"{did_you_mean(solve, q.symbols(), 'symbol')}".rstrip())
        if solve not in in_w:
            raise UsageError(f"--solve: the parameter count does not depend on '{solve}'")
        if solve == varied or solve in fixed:
            raise UsageError(f"--solve: '{solve}' is also {'varied' if solve == varied else 'fixed with --at'}")
        return solve
    free = [s for s in in_w if s != varied and s not in fixed]
    if len(free) != 1:
        what = ", ".join(free) if free else "none"
        besides = f" besides '{varied}'" if varied else ""
        raise UsageError(f"name the width to solve for with --solve (free symbols of the parameter count{besides}: "
                         f"{what}; fix the others with --at)")
    return free[0]


def largest_width(count, budget: int) -> tuple[int | None, int | None, int | None]:
    """The largest integer n >= 1 with count(n) <= budget, its count and count(n + 1), exactly.

    ``count`` is a polynomial in one symbol with a positive leading coefficient (a parameter count),
    so every n beyond its largest real crossing of the budget exceeds the budget: start from that
    crossing (numerically) and settle with exact integer counts on both sides.
    """
    sp = _sp()
    n = next(iter(count.free_symbols))
    poly = sp.Poly(count, n)
    if poly.degree() < 1 or poly.LC() <= 0:
        raise UsageError(f"the parameter count {count} does not grow with {n}")

    def w(k: int) -> int:
        value = poly.eval(k)
        if not value.is_Integer:
            raise EvaluationError(f"the parameter count is not an integer at {n} = {k}: {value}")
        return int(value)
    roots = [r for r in (poly - budget).nroots(n=30, maxsteps=200) if abs(sp.im(r)) < 1e-9]
    guess = max([int(sp.floor(sp.re(r))) for r in roots] + [1])
    k = max(1, guess)
    while w(k + 1) <= budget:       # settle upwards (the numeric root may sit a step low)
        k += 1
    while k >= 1 and w(k) > budget:  # and downwards
        k -= 1
    if k < 1:
        return None, None, w(1)
    return k, w(k), w(k + 1)


def tradeoff(arch, budget, vary, solve: str | None = None, at=None, measure: str = "vc", assume=(),
             convention: str = "torch", base=None, eps=None, delta=None, m=None, theorem_dirs=()) -> Tradeoff:
    """At a fixed parameter budget, the largest width for each value of the varied symbol and every
    bound there (values where constants are published, shapes relative to the first row otherwise).

    ``budget``: ``100000`` or ``"W=100000"``; ``vary``: ``"L=1..8"`` or ``{"L": range(1, 9)}``;
    ``solve``: the width symbol (default: the only other free symbol of the parameter count);
    ``at``: the remaining symbols (``"d=8, T=50"``).
    """
    from .resolver import bound as _bound
    res = _bound(arch, measure, assume=assume, convention=convention, theorem_dirs=theorem_dirs, base=base)
    q = res.quantities
    budget = parse_budget(budget)
    varied, values = _vary(vary)
    known = q.symbols()
    if varied is not None and varied not in known:
        from .errors import did_you_mean
        raise UsageError(f"--vary: '{varied}' is not a symbol of this architecture "
                         f"{did_you_mean(varied, known, 'symbol') if known else '(it has none)'}".rstrip())
    fixed = normalise_bindings(q, at)
    if varied in fixed:
        raise UsageError(f"'{varied}' is both varied (--vary) and fixed (--at)")
    width = _solve_symbol(q, solve, varied, fixed)
    extra = {"eps": None if eps is None else _number(eps, "--eps"),
             "delta": None if delta is None else _number(delta, "--delta"),
             "m": None if m is None else _number(m, "--m")}
    require_all(q, {**fixed, **({varied: None} if varied else {}), width: None}, extra,
                NEEDS.get(res.measure, ()))
    all_routes = routes(res, base)
    rs = [r for r in all_routes if not r.unsound and (r.best or r.numeric)]
    columns = [_column(r, res) for r in rs]
    sym = known
    rows: list[TradeoffRow] = []
    firsts: dict = {}
    for v in values:
        binds = dict(fixed)
        if varied is not None:
            binds[varied] = v
        label = {varied: int(v)} if varied is not None else {}
        count = _sp().expand(q.params.xreplace({sym[k]: val for k, val in binds.items()}))
        if count.free_symbols != {sym[width]}:
            raise UsageError(f"the parameter count{'' if varied is None else f' at {varied} = {v}'} does not "
                             f"depend on '{width}' alone: {count}")
        k, w_k, w_next = largest_width(count, budget)
        if k is None:
            rows.append(TradeoffRow(label, None, None, w_next,
                                    [TradeoffCell(note=f"even {width} = 1 needs W = {w_next} > {budget}")
                                     for _ in columns]))
            continue
        binds[width] = _sp().Integer(k)
        memo: dict = {}
        cells = [_cell(r, col, binds, extra, memo, firsts, i) for i, (r, col) in enumerate(zip(rs, columns))]
        rows.append(TradeoffRow(label, k, w_k, w_next, cells))
    notes = _notes(columns, [r for r in all_routes if r.unsound])
    notes += [f"{'' if varied is None else f'{varied} = {r.values[varied]}: '}even {width} = 1 needs "
              f"W = {r.next_params:,} > {budget:,}" for r in rows if r.width is None]
    return Tradeoff(res.arch.text.strip(), res.measure, budget, varied, width, fixed,
                    {k: v for k, v in extra.items() if v is not None}, columns, rows, notes,
                    convention=q.convention, regime=res.regime.describe())


def _column(route, res) -> TradeoffColumn:
    from .render.pretty import unicode_expr
    c = route.candidate
    sym = "O" if route.direction == "upper" else "Ω"
    return TradeoffColumn(route.key, route.id, route.direction, route.view,
                          "value" if route.numeric else "shape", route.best, route.scope,
                          list(c.citations), route.result.locator, f"{sym}({unicode_expr(c.bound_expr)})")


def _cell(route, col: TradeoffColumn, binds, extra, memo, firsts, i) -> TradeoffCell:
    """The bound at one row; for a shape, also the ratio to the first row where it was defined."""
    sp = _sp()
    if col.kind == "value":
        row = _eval_route(route, binds, extra, memo)
        failed = [text for text, status in row.conditions if status == "fails"]
        cell = TradeoffCell(value=row.value, failed=failed,
                            note="" if row.numeric else (row.reason or "no value"))
        if row.numeric and not failed:
            _ratio(cell, row.value.exact, firsts, i)
        return cell
    expr = route.candidate.exact
    value = expr.xreplace(_shape_map(expr, binds, extra))
    if value.free_symbols:
        return TradeoffCell(note="not evaluated: " + ", ".join(sorted(s.name for s in value.free_symbols)) + " unbound")
    cell = TradeoffCell(shape=value)
    num = _to_number(value)
    if num.float is None:
        cell.note = num.undefined or "undefined at this point"
        return cell
    _ratio(cell, value, firsts, i)
    return cell


def _shape_map(expr, binds, extra) -> dict:
    """Exact values (integers, the rationals given for eps/delta) so that ratios of polynomial
    shapes stay exact; arbitrary-precision floats when a size is an exponent ((e m / W)^W)."""
    sp = _sp()
    mapping = _subs_map(expr, binds, extra)
    if any(not p.exp.is_number for p in expr.atoms(sp.Pow)):
        return mapping
    from .evaluate import SAMPLE_NAMES
    exact = {}
    for s in mapping:
        source = extra if s.name in SAMPLE_NAMES and not s.is_integer else binds
        exact[s] = source[s.name]
    return exact


def _ratio(cell: TradeoffCell, value, firsts: dict, i: int) -> None:
    sp = _sp()
    if i not in firsts:
        firsts[i] = value
    ratio = value / firsts[i]
    cell.ratio = ratio if ratio.is_Rational else sp.N(ratio, 30)
    cell.ratio_float = float(sp.N(ratio, 30))


def _notes(columns, dropped) -> list[str]:
    out = []
    if any(c.kind == "shape" for c in columns):
        out.append(f"{SHAPE_ONLY}: these bounds are published only up to constant factors; the columns show "
                   "their stated expression with every unknown constant set to 1, as a ratio to the first row "
                   "with a value. They compare rows; they are not bounds.")
    if any(c.direction == "lower" and c.scope == "exists" for c in columns):
        out.append("lower bounds are existence statements: some network of the family attains the order; not "
                   "a claim about these networks.")
    if dropped:
        out.append("not shown: routes with an UNVERIFIED step (" + ", ".join(dict.fromkeys(r.key for r in dropped))
                   + "); see vcbound explain.")
    out.append("each row is the widest network within the budget for that value; a bound's change between rows "
               "describes the published guarantee, not the networks' VC dimensions.")
    return out


# --------------------------------------------------------------------------------------------
# two families at the same budget
# --------------------------------------------------------------------------------------------
@dataclass
class BudgetComparison(Presentable):
    """``compare A B --budget W=...``: each family at its largest width within the same budget, and
    for every bound both share (same result and view) the ratio A/B; for a bound known only up to
    constants that ratio is a shape (the unknown constant cancels), never a value."""

    a: Tradeoff
    b: Tradeoff
    ratios: list                      # (column of A, column of B, ratio as sympy number, float, kind)

    @property
    def budget(self) -> int:
        return self.a.budget


def compare_at_budget(a, b, budget, at=None, solve_a: str | None = None, solve_b: str | None = None,
                      measure: str = "vc", assume=(), convention: str = "torch", base=None, eps=None,
                      delta=None, m=None) -> BudgetComparison:
    """Both architectures at their largest width within ``budget`` (``at`` fixes the other symbols;
    names unknown to one architecture are ignored for it), and the ratios of their shared bounds."""
    ta = tradeoff(a, budget, None, solve=solve_a, at=_own(a, at, convention), measure=measure, assume=assume,
                  convention=convention, base=base, eps=eps, delta=delta, m=m)
    tb = tradeoff(b, budget, None, solve=solve_b, at=_own(b, at, convention), measure=measure, assume=assume,
                  convention=convention, base=base, eps=eps, delta=delta, m=m)
    ratios = []
    ra, rb = ta.rows[0], tb.rows[0]
    by_key = {(c.key, c.direction): k for k, c in enumerate(tb.columns)}
    for i, ca in enumerate(ta.columns):
        j = by_key.get((ca.key, ca.direction))
        if j is None or ra.width is None or rb.width is None:
            continue
        cb = tb.columns[j]
        x, y = ra.cells[i], rb.cells[j]
        if ca.kind == "value" and cb.kind == "value":
            if x.value is None or y.value is None or x.value.float is None or y.value.float is None:
                continue
            r = x.value.exact / y.value.exact
            ratios.append((ca, cb, r, float(r), "value"))
        elif ca.kind == cb.kind == "shape" and x.shape is not None and y.shape is not None:
            sp = _sp()
            r = x.shape / y.shape
            exact = r if r.is_Rational else sp.N(r, 30)
            ratios.append((ca, cb, exact, float(sp.N(r, 30)), "shape"))
    return BudgetComparison(ta, tb, ratios)


def _own(arch, at, convention):
    """The ``at`` bindings restricted to the symbols of one architecture."""
    if not at:
        return None
    from .graph import as_architecture
    from .quantities import count
    known = count(as_architecture(arch), convention).symbols()
    if isinstance(at, str):
        from .expressions import parse_bindings
        at = parse_bindings(at) if at.strip() else {}
    return {k: v for k, v in dict(at).items() if k in known} or None
