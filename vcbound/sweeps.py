"""Numbers from cited bounds over a grid of symbol values (``sweep``), vectorised with numpy.

In: a ``Resolution`` (or architecture text), the varied symbols and their values (``L=1..8``),
values of the other symbols. Out: a ``Sweep``: the parameter count and one column per applicable
explicit bound, each compiled once to a numpy function (no sympy per point). The routes, the
conditions and the rules for numbers (no invented constants, overflow kept as a decimal exponent)
are those of ``vcbound.evaluate``. Text, CSV, JSON and plots of a sweep are in ``vcbound.render``.

>>> s = sweep("input(d) -> dense(h, act=threshold)^L -> dense(1, act=threshold)",
...           {"L": [1, 2], "h": [8, 16]}, at={"d": 4})
>>> s.shape
(2, 2)
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from .errors import EvaluationError, UsageError
from .evaluate import (BRIDGE, FLOAT_MAX_LOG10, FLOAT_MIN_LOG10, NEEDS, Condition, Route, _axis_text,
                       _check_size, _number, _placeholder, _sample_symbols, _sp, normalise_bindings,
                       require_all, routes, scientific_from_log10)
from .presentation import Presentable, brief_repr, present
from .progress import Progress


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

    __repr__ = brief_repr("key", "kind")

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
        self._params = params
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
            unbound = self._unbound([value] + [e for _, e in conds])
            if unbound:
                hint = ", ".join(f"--{n}" if n in ("eps", "delta", "m") else f"--at {n}=..." for n in unbound)
                self.skipped.append(replace(r, numeric=False, reason=f"needs {', '.join(unbound)} (give {hint})"))
                continue
            if r.inner_measure:
                ph = _placeholder(r.inner_measure)
                fn = self._lambdify(self.arg_symbols + [ph], [value] + [e for _, e in conds])
                self._bridge_fns[i] = (fn, [c for c, _ in conds])
                continue
            vslot = len(plain_exprs)
            plain_exprs.append(value)
            cslots = []
            for c, e in conds:
                if e is sp.true:
                    continue        # holds at every point (U >= 2 for integer sizes): no array work per run
                cslots.append((len(plain_exprs), c))
                plain_exprs.append(e)
            self._slots[i] = (vslot, cslots)
        unbound = self._unbound(plain_exprs[:1])
        if unbound:
            raise EvaluationError(f"cannot sweep: the parameter count needs {', '.join(unbound)} "
                                  "(vary it with --vary or fix it with --at)")
        computed = set(self._slots) | set(self._bridge_fns)
        self.visible = [i for i in self.visible if i in computed]
        self._fn_plain = self._lambdify(self.arg_symbols, plain_exprs)
        self._log_fns = {}
        if progress is not None:
            progress.step()

    def _unbound(self, exprs) -> list[str]:
        """Names of the symbols in ``exprs`` that are neither varied nor fixed."""
        allowed = set(self.arg_symbols) | {_placeholder(m) for m in BRIDGE}
        free = set().union(*(e.free_symbols for e in exprs)) - allowed
        return sorted({s.name for s in free})

    @staticmethod
    def _lambdify(args, exprs):
        sp = _sp()
        renamed, new_args = _safe_names(exprs, args)
        return sp.lambdify(new_args, renamed, modules="numpy", cse=True)

    def _log_fn(self, i):
        """log10 of route ``i``'s bound (of the parameter count when ``i`` is None), compiled on first use."""
        if i not in self._log_fns:
            r = self.routes[i] if i is not None else None
            expr = r.expr if r is not None else self._params
            source = _fold(_log10_expr(expr).xreplace(self._fixed_map))
            args = self.arg_symbols + ([_placeholder(r.inner_measure)] if r is not None and r.inner_measure else [])
            self._log_fns[i] = self._lambdify(args, [source])
        return self._log_fns[i]

    def run(self, grid: dict, exact_point=None) -> list[Column]:
        """Evaluate on ``grid`` ({varied name: 1-D float array, all the same length});
        ``exact_point(k)``: the exact values ({name: sympy number}) of point ``k``, for the points
        that floats cannot evaluate."""
        import numpy as np
        arrays = [np.asarray(grid[n], dtype=float) for n in self.varied]
        size = arrays[0].shape
        with np.errstate(all="ignore"):     # nan and inf are expected, and handled column by column
            return self._run(arrays, exact_point)

    def _run(self, arrays, exact_point) -> list[Column]:
        import numpy as np
        size = arrays[0].shape
        zeros = _no_points(size)
        out = self._fn_plain(*arrays)
        params = Column("W", "params", None, _full(out[0], size), None, zeros, zeros)
        values = [params.values] + [_full(out[vslot], size) for vslot, _c in self._slots.values()]
        # one pass over every column's values (the common case: all finite) instead of one per column
        finite = _all_finite_together(values)
        exact = (lambda i: (lambda k: self._exact(i, exact_point(k)))) if exact_point else (lambda i: None)
        # W beyond the float range: from its logarithm (_from_log10 returns at once when all is finite)
        params.values, params.log10, params.overflow, _ = self._from_log10(
            params.values, lambda: self._log_fn(None)(*arrays), False, zeros, exact(None), finite)
        cols: dict[int, Column] = {}
        for v, (i, (_vslot, cslots)) in zip(values[1:], self._slots.items()):
            cols[i] = self._column(i, v, [(out[k], c) for k, c in cslots], arrays, (), size, zeros,
                                   exact(i), finite)
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
            bout = fn(*arrays, inner_v)
            col = self._column(i, bout[0], list(zip(bout[1:], conds)), arrays, (inner_v,), size, zeros,
                               exact(i))
            col.inner = used
            col.inner_citations = [k for ir in used_routes for k in ir.citations]
            nan_inner = np.isnan(inner_v)
            if nan_inner.any():
                col.values = np.where(nan_inner, np.nan, col.values)
            cols[i] = col
        return [params] + [cols[i] for i in self.visible]

    def _column(self, i, raw, conds, arrays, extra_args, size, zeros, exact=None, finite=False) -> Column:
        import numpy as np
        r = self.routes[i]
        values = _full(raw, size)
        failed = zeros
        failed_by = {}
        for ok, c in conds:
            if ok is True or ok is np.True_:
                continue                    # decided for every point (the common case: no array work)
            if not isinstance(ok, np.ndarray) or ok.shape != size:
                if bool(np.all(ok)):
                    continue                # decided for every point (e.g. U >= 2 for integer sizes)
            bad_here = ~_full(ok, size, bool)
            n_bad = int(bad_here.sum())
            if n_bad:
                failed_by[c.text] = n_bad
                failed = bad_here if failed is zeros else (failed | bad_here)
        values, log10, overflow, failed_exactly = self._from_log10(
            values, lambda: self._log_fn(i)(*arrays, *extra_args), self._may_underflow[i], zeros, exact, finite)
        if failed_exactly is not None and failed_exactly.any():
            failed_by["a condition of the result (checked exactly)"] = int(failed_exactly.sum())
            failed = failed_exactly if failed is zeros else (failed | failed_exactly)
        if failed is not zeros and failed.any():
            values = np.where(failed, np.nan, values)
            if log10 is not None:
                log10 = np.where(failed, np.nan, log10)
                overflow = overflow & ~failed
        return Column(r.key, "bound", r, values, log10, overflow, failed, [], self._open[i], failed_by)


    def _from_log10(self, values, log_values, may_underflow: bool, zeros, exact=None, finite=False):
        """A value that is not finite, or 0 (a positive value that underflowed), is recomputed in
        log space: beyond the float range it is kept as its log10, never as a wrong number. What
        even the logarithm cannot give (a sum of terms each beyond the float range) is computed
        point by point by ``exact(k)`` -> (``Number``, applies), the path of ``vcbound eval``.
        ``finite``: ``values`` is known to be finite everywhere. Returns (values, log10 or None,
        overflow mask, failed mask or None)."""
        import numpy as np
        if (finite or _all_finite(values)) and not (may_underflow and not values.all()):
            return values, None, zeros, None
        size = values.shape
        bad = ~np.isfinite(values) | (values == 0)
        values = values.copy()
        with np.errstate(all="ignore"):
            lv = _full(log_values()[0], size)
        finite_log = np.isfinite(lv) & bad
        inside = finite_log & (lv <= FLOAT_MAX_LOG10) & (lv >= FLOAT_MIN_LOG10)
        values[inside] = 10.0 ** lv[inside]
        overflow = finite_log & ((lv > FLOAT_MAX_LOG10) | (lv < FLOAT_MIN_LOG10))
        values[overflow & (lv > 0)] = np.inf
        values[overflow & (lv < 0)] = 0.0
        left = bad & ~finite_log & ~(values == 0) & np.isinf(values)
        values[bad & ~finite_log & ~(values == 0)] = np.nan
        failed = None
        if exact is not None and left.any():
            points = np.flatnonzero(left)
            if len(points) > MAX_EXACT_POINTS:
                raise EvaluationError(f"{len(points):,} grid points are beyond what floats can evaluate, and at "
                                      f"most {MAX_EXACT_POINTS:,} are evaluated one by one; narrow the grid, or "
                                      f"use 'vcbound eval' at a point")
            lv = lv.copy()
            failed = np.zeros(size, dtype=bool)
            for k in points:
                num, applies = exact(int(k))
                failed[k] = not applies
                if num is None or num.float is None:
                    continue
                values[k] = num.float
                if num.overflow or num.underflow:
                    overflow[k], lv[k] = True, num.log10
        if not overflow.any():
            return values, None, zeros, failed
        return values, np.where(overflow, lv, np.nan), overflow, failed

    def _exact(self, i, point: dict):
        """(``Number``, applies) of route ``i`` (the parameter count when None) at one point given
        exactly ({name: sympy number}), computed as ``vcbound eval`` computes it."""
        from .evaluate import _eval_route, _to_number
        from .expressions import substitute
        binds = {**self.fixed, **point}
        if i is None:
            return _to_number(substitute(self._params, binds)), True
        row = _eval_route(self.routes[i], binds, self.extra, {})
        return row.value, row.applies


def _may_underflow(expr) -> bool:
    """Can a float evaluation of ``expr`` round a positive value to 0? Only through a power with a
    symbolic exponent (``(e m / d)^d``) or an exponential; otherwise a 0 is a real 0."""
    sp = _sp()
    if expr.has(sp.exp):
        return True
    return any(not p.exp.is_number for p in expr.atoms(sp.Pow))


_NO_WEIGHTS: dict = {}     # length -> zero vector (one per grid chunk length)


def _all_finite(values) -> bool:
    """No nan or inf in the 1-D float array ``values``: its dot product with zeros is 0 unless some
    entry is not finite (0 * inf and 0 * nan are nan). Faster than a sum or ``isfinite().all()``,
    and it runs once per column on every sweep."""
    import numpy as np
    zeros = _zero_weights(values.shape)
    if values.ndim != 1 or values.dtype != zeros.dtype:
        return bool(np.isfinite(values).all())
    return math.isfinite(float(np.dot(values, zeros)))     # callers ignore numpy's float warnings


def _all_finite_together(columns: list) -> bool:
    """Whether every value of these float arrays (1-D, one length) is finite, two at a time: the dot
    product of two arrays is finite only when both are (inf times anything is inf or nan, and nan
    stays nan), so a finite product proves both; a product that overflows only sends the caller to
    the per-column check. False is "not shown", never "some value is not finite"."""
    import numpy as np
    if not columns or any(c.ndim != 1 or c.dtype != np.float64 for c in columns):
        return False
    for k in range(0, len(columns), 2):
        a = columns[k]
        b = columns[k + 1] if k + 1 < len(columns) else _zero_weights(a.shape)
        if not math.isfinite(float(np.dot(a, b))):
            return False
    return True


def _zero_weights(shape):
    """A float zero vector of ``shape`` (one per grid length)."""
    import numpy as np
    zeros = _NO_WEIGHTS.get(shape)
    if zeros is None:
        zeros = _NO_WEIGHTS[shape] = np.zeros(shape)
    return zeros


_NO_POINTS: dict = {}      # shape -> a read-only all-False mask (shared by every sweep of that shape)


def _no_points(size):
    """An all-False boolean mask of ``size``, read-only and shared: the "no point failed" of every
    column (callers build new masks with | and where, never in place)."""
    import numpy as np
    mask = _NO_POINTS.get(size)
    if mask is None:
        mask = np.zeros(size, dtype=bool)
        mask.flags.writeable = False
        if len(_NO_POINTS) > 64:
            _NO_POINTS.clear()
        _NO_POINTS[size] = mask
    return mask


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


class AxisValues:
    """The values of one varied symbol: ranges stay ``range`` objects (``n=1..20000000`` costs no
    memory until the grid is evaluated, in chunks), other values are sympy numbers. A read-only
    sequence of sympy numbers; ``array()`` gives them as floats for numpy."""

    def __init__(self, pieces):
        self.pieces = list(pieces)          # each a range (of ints) or a sympy number
        self._len = sum(len(p) if isinstance(p, range) else 1 for p in self.pieces)

    def __len__(self) -> int:
        return self._len

    def __iter__(self):
        sp = _sp()
        for p in self.pieces:
            if isinstance(p, range):
                yield from (sp.Integer(v) for v in p)
            else:
                yield p

    def __getitem__(self, i: int):
        if i < 0:
            i += self._len
        for p in self.pieces:
            n = len(p) if isinstance(p, range) else 1
            if 0 <= i < n:
                return _sp().Integer(p[i]) if isinstance(p, range) else p
            i -= n
        raise IndexError("axis index out of range")

    def __eq__(self, other) -> bool:
        try:
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        except TypeError:
            return NotImplemented

    def __repr__(self) -> str:
        return f"AxisValues({self.pieces!r})"

    def array(self):
        """The values as a float64 array (a range without a Python object per value)."""
        import numpy as np
        parts = [np.arange(p.start, p.stop, p.step, dtype=float) if isinstance(p, range)
                 else np.array([float(p)]) for p in self.pieces]
        return np.concatenate(parts) if parts else np.zeros(0)

    def non_integers(self):
        """The values that are not integers (a range holds none)."""
        return [p for p in self.pieces if not isinstance(p, range) and not p.is_integer]


def parse_vary(spec: str) -> tuple[str, AxisValues]:
    """``"L=1..8"`` (integers, inclusive), ``"L=1..64:8"`` (step 8), ``"n=16,32,64"`` or ``"n=2^4"``
    -> ``(name, values)`` (an ``AxisValues``: ranges are not expanded). Values go through
    vcbound's expression parser.

    >>> parse_vary("L=1..4") == ("L", [1, 2, 3, 4])
    True
    >>> list(parse_vary("n=16, 2^5, 64")[1])
    [16, 32, 64]
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
    pieces = []
    count = 0
    offset = len(spec) - len(values)
    for raw in values.split(","):
        part = raw.strip()
        start = offset + len(raw) - len(raw.lstrip())      # where the part stands in ``spec``
        offset += len(raw) + 1
        if not part:
            continue

        def parsed(text, at):
            try:        # parsed where it stands, so that positions and carets point into ``spec``
                return parse_expression(" " * at + text, "--vary")
            except ExpressionError as exc:
                raise exc.with_source(spec, "--vary") from None

        def refuse(message):
            return ExpressionError(message, spec, 1, start + 1, len(part), "--vary")

        if ".." in part:
            lo_text, _, rest = part.partition("..")
            hi_text, colon, step_text = rest.partition(":")
            lo = _integer(parsed(lo_text, start), part)
            hi = _integer(parsed(hi_text, start + len(lo_text) + 2), part)
            step = _integer(parsed(step_text, start + len(lo_text) + 2 + len(hi_text) + 1), part) if colon else 1
            if step <= 0:
                raise UsageError(f"--vary {name}: the step must be positive in '{part}'")
            if hi < lo:
                raise UsageError(f"--vary {name}: empty range '{part}'")
            if hi > MAX_EXACT_FLOAT:
                raise refuse(f"range too large: its end is above 2^53 = {MAX_EXACT_FLOAT:,}, where a sweep's "
                             f"floats can no longer tell neighbouring integers apart")
            count += (hi - lo) // step + 1
            piece = range(lo, hi + 1, step)
        else:
            piece = _number(parsed(part, start), f"--vary {name}")
            count += 1
            if _beyond_float(piece):
                raise refuse(f"'{part}' is beyond the float range of a sweep (about 1.8e308); "
                             f"'vcbound eval' evaluates one point exactly")
        if count > MAX_POINTS:
            raise UsageError(f"--vary {name}: more than {MAX_POINTS:,} values")
        pieces.append(piece)
    return name, AxisValues(pieces)


MAX_POINTS = 20_000_000
MAX_EXACT_FLOAT = 2 ** 53          # integers above this are not all floats
MAX_EXACT_POINTS = 2_000           # points of one chunk evaluated one by one (eval's path) when floats fail
CHUNK = 1 << 18


def _beyond_float(value) -> bool:
    """Is the sympy number ``value`` too large (or too small and nonzero) for a float64?"""
    from .expressions import integer_log10
    if value.is_Rational:
        lv = integer_log10(value.p) - integer_log10(value.q)
    else:
        try:
            lv = math.log10(float(value))
        except (OverflowError, ValueError):
            return True
    return not (FLOAT_MIN_LOG10 <= lv <= FLOAT_MAX_LOG10)


def _integer(value, part) -> int:
    if not value.is_Integer:
        raise UsageError(f"--vary: range ends must be integers, got '{part}'")
    return int(value)


# --------------------------------------------------------------------------------------------
# sweep
# --------------------------------------------------------------------------------------------
@dataclass(repr=False)     # the one-line repr comes from Presentable
class Sweep(Presentable):
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
        return present(self, "csv")

    def notes(self) -> list[str]:
        return present(self, "notes")

    def table(self) -> str:
        return present(self, "table")

    def plot(self, path: str, dpi: int = 120) -> str:
        """Write a PNG: log-log curves (one varied symbol) or heatmaps (two). Needs matplotlib
        (``pip install vcbound[plot]``)."""
        return present(self, "png", path, dpi=dpi)

def _cell(col: Column, p: int) -> str:
    import numpy as np
    v = col.values[p]
    if col.log10 is not None and col.overflow[p]:
        return scientific_from_log10(float(col.log10[p]), 12)     # as eval writes it, to 12 digits
    if col.kind == "params":
        if np.isfinite(v) and v == int(v) and abs(v) < 2 ** 53:
            return str(int(v))
        return f"{v:.17g}"
    if np.isnan(v):
        return ""
    return repr(float(v))


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
            elif isinstance(values, range) and values.step > 0 and len(values) and values.start > 0:
                vals = AxisValues([values])
            else:
                vals = AxisValues(_number(v, f"--vary {name}") for v in values)
                for v in vals.pieces:
                    if _beyond_float(v):
                        raise UsageError(f"--vary {name}: {_axis_text(v)[:40]} is beyond the float range of a "
                                         f"sweep (about 1.8e308); evaluate one point with evaluate()")
            out[name] = vals
            _check_grid_size(out)
        return out
    out = {}
    for spec in vary:
        name, vals = parse_vary(spec)
        if name in out:
            raise UsageError(f"--vary {name} given twice")
        out[name] = vals
        _check_grid_size(out)          # from the lengths alone, before any axis is expanded
    return out


def _check_grid_size(values: dict) -> None:
    total = math.prod(len(v) for v in values.values())
    if total > MAX_POINTS:
        raise UsageError(f"--vary: the grid has {total:,} points; at most {MAX_POINTS:,}")


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
    bar = Progress(4, progress)
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
            for v in values[name].non_integers():
                _check_size(name, v, "--vary")
            if name in fixed:
                raise UsageError(f"'{name}' is both varied (--vary) and fixed (--at)")
        extra = {"eps": None if eps is None else _number(eps, "--eps"),
                 "delta": None if delta is None else _number(delta, "--delta"),
                 "m": None if m is None else _number(m, "--m")}
        # only the parameter count must be computable everywhere; a bound column that needs a symbol
        # neither varied nor fixed is left out and says which (a sweep over L and n of an LSTM need
        # not fix T when no printed column depends on it)
        params_symbols = {x.name for x in getattr(q.params, "free_symbols", ())}
        require_all(q, {**fixed, **{n: None for n in values}}, extra, NEEDS.get(res.measure, ()),
                    symbols=params_symbols)
        varied = list(values)
        if not varied:
            raise UsageError("sweep needs at least one --vary NAME=a..b or NAME=v1,v2,...")
        shape = tuple(len(values[n]) for n in varied)
        _check_grid_size(values)
        total = math.prod(shape)
        rs = routes(res, base)
        bar.total = 2 + max(1, -(-total // CHUNK))
        plan = Plan(res, fixed, varied, extra, rs, only=only, progress=bar)
        axes = [values[n].array() for n in varied]
        chunks = []
        grid_parts = {n: [] for n in varied}
        for start in range(0, total, CHUNK):
            stop = min(total, start + CHUNK)
            coords = np.unravel_index(np.arange(start, stop), shape)
            grid = {n: axes[a][coords[a]] for a, n in enumerate(varied)}

            def exact_point(k, coords=coords):
                return {n: values[n][int(coords[a][k])] for a, n in enumerate(varied)}
            chunks.append(plan.run(grid, exact_point))
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
