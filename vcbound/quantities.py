"""Stage 3: architecture -> exact symbolic counts and the facts theorems ask about.

In: an ``Architecture`` (from ``graph.parse``) and a counting convention (torch, keras, textbook).
Out: ``Quantities``: parameters W, computation units U, multiplication gates M, depth L,
BHLM's effective depth Lbar, sequence length T, input and output dimension, per-layer rows, and the
facts (topology, activation classes, multiplicative gates, pieces, degree).

Formulas (n units, d inputs; verified against torch 2.13 / Keras 3.15, see DESIGN.md):
dense dn+n; rnn torch n(d+n)+2n, keras/textbook n(d+n)+n; lstm torch 4n(d+n)+8n, keras/textbook
4n(d+n)+4n, torch proj=p 4n(d+p)+8n+pn; gru torch = keras(reset_after) 3(n(d+n)+2n), keras
reset_after=false and textbook 3(n(d+n)+n); bidirectional doubles a layer and its output width.
Sequence semantics are checked here too (``last`` needs a sequence, recurrent layers need one).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from operator import attrgetter
from types import FunctionType

from .classes import Activation, ACTIVATIONS
from .errors import UsageError
from .graph import CONVENTIONS, Architecture, Layer, Repeat, without_cyclic_gc
from .polys import Generators, Poly, sum_polys
from .presentation import Presentable
from .tensors import NORM_KEYS, norm_quantities

# the activations inside gated cells by default: gates are logistic sigmoids, candidate and output use tanh
# (Keras: recurrent_activation and activation, written recurrent_act= and act=)
GATE_ACTIVATIONS = (Activation(ACTIVATIONS["sigmoid"]), Activation(ACTIVATIONS["tanh"]))


@dataclass
class LayerRow:
    """One row of the parameter table: a layer (all its repetitions) and what it contributes.

    ``label``, ``params``, ``units`` and ``mults`` are made (sympy printing, polynomial -> sympy) when
    first read: a 10,000-layer chain's table is rarely printed, its totals always are."""

    id: int
    kind: str
    layer: object                # the Layer (for the label)
    multiplicity: object
    counts: tuple                # (params, units, mults) as polys.Poly
    output_width: object
    line: int
    column: int

    @property
    def label(self) -> str:
        return self.layer.label()

    params = property(lambda self: self.counts[0].expr())
    units = property(lambda self: self.counts[1].expr())
    mults = property(lambda self: self.counts[2].expr())


class _Count:
    """A count field of ``Quantities`` held as a ``polys.Poly`` (or a function making the value) until
    first read, then as its sympy expression: converting the totals of a 10,000-layer symbolic chain
    costs more than counting them, and a caller that only wants some of them pays for those."""

    def __set_name__(self, owner, name):
        self.slot = "_" + name

    def __get__(self, obj, owner=None):
        if obj is None:
            return 0                      # the dataclass default
        value = obj.__dict__[self.slot]
        if isinstance(value, Poly):
            value = obj.__dict__[self.slot] = value.expr()
        elif isinstance(value, FunctionType):       # not callable(): a sympy Symbol is callable
            value = obj.__dict__[self.slot] = value()
        return value

    def __set__(self, obj, value):
        obj.__dict__[self.slot] = value


@dataclass(repr=False)     # the one-line repr comes from Presentable
class Quantities(Presentable):
    """Exact symbolic counts and facts of one architecture under one convention."""

    arch: Architecture
    convention: str
    params: object = _Count()           # W
    units: object = _Count()            # U (per time step for recurrent layers)
    mults: object = _Count()            # M: multiplication gates in gated cells (per time step)
    depth: object = _Count()            # L: computation layers on the path (per time step)
    lbar: object = _Count()             # BHLM effective depth (lbar_sum / W, kept unsimplified so Lbar*W cancels)
    lbar_sum: object = _Count()         # sum over layers i of the parameters in layers 1..i
    seq_len: object = None        # T
    input_dim: object = None      # D
    output_dim: object = None
    output_is_sequence: bool = False
    rows: list = field(default_factory=list)
    hidden_activations: list = field(default_factory=list)   # Activation objects, distinct
    readout: Activation | None = None                        # single monotone output unit, if any
    topology: str = "feedforward"
    recurrent_units: object = _Count()  # U of the recurrent part (for unrolling)
    recurrent_depth: object = _Count()  # L of the recurrent part

    @property
    def recurrent_params(self):
        """Parameters of the recurrent layers (used once per time step when unrolled; computed once:
        each unrolled view asks)."""
        cached = self.__dict__.get("_recurrent_params")
        if cached is None:
            import sympy as sp
            cached = self.__dict__["_recurrent_params"] = sp.expand(
                sum((r.params for r in self.rows if r.kind in ("rnn", "lstm", "gru")), sp.Integer(0)))
        return cached

    # --- facts -----------------------------------------------------------------------------
    @property
    def multiplicative(self) -> bool:
        return self.mults != 0

    @property
    def recurrent(self) -> bool:
        return self.topology != "feedforward"

    @property
    def classes(self) -> frozenset[str]:
        """Classes containing *every* hidden activation (the network's activation classes)."""
        sets = [a.classes for a in self.hidden_activations]
        if not sets:
            return frozenset({"linear", "polynomial", "piecewise_linear", "piecewise_polynomial", "any"})
        out = sets[0]
        for s in sets[1:]:
            out = out & s
        return frozenset(out)

    @property
    def family(self) -> str:
        """The activation family lower-bound constructions must stay within (classes.FAMILY)."""
        from .classes import family_of
        return family_of(a.kind.base_class for a in self.hidden_activations)

    @property
    def nonlinear(self) -> bool:
        return any(not a.affine for a in self.hidden_activations)

    @property
    def pieces(self):
        return _max(a.pieces for a in self.hidden_activations if a.pieces)

    @property
    def degree(self):
        return _max(a.degree for a in self.hidden_activations)

    def units_by_activation(self) -> dict:
        """Hidden units per activation name: ``{name: (per time step in recurrent layers, elsewhere)}``.
        Gated cells: LSTM 3n gate units (recurrent_act) and 2n cell units (act), GRU 2n and n; a
        final readout unit is not hidden. Multiplication gates are not units here. (Computed once:
        each view rewritten with gates asks; a copy is returned.)"""
        cached = self.__dict__.get("_units_by_activation")
        if cached is None:
            cached = self.__dict__["_units_by_activation"] = self._units_by_activation()
        return dict(cached)

    def _units_by_activation(self) -> dict:
        import sympy as sp
        layers = {l.id: l for l in self.arch.layers}
        out: dict = {}

        def add(act, count, recurrent):
            rec, ff = out.get(str(act), (sp.Integer(0), sp.Integer(0)))
            out[str(act)] = (sp.expand(rec + count), ff) if recurrent else (rec, sp.expand(ff + count))

        last = [r for r in self.rows if r.kind not in ("last",)]
        for row in self.rows:
            layer = layers[row.id]
            if row.kind == "dense":
                if self.readout is not None and row is last[-1]:
                    continue
                add(layer.activation, row.units, False)
            elif row.kind == "rnn":
                add(layer.activation, row.units, True)
            elif row.kind in ("lstm", "gru"):
                cells = row.mults / 3                       # n per direction and repetition
                gates, cell = (3, 2) if row.kind == "lstm" else (2, 1)
                add(layer.recurrent_activation or GATE_ACTIVATIONS[0], gates * cells, True)
                add(layer.activation or GATE_ACTIVATIONS[1], cell * cells, True)
                extra = sp.expand(row.units - (gates + cell) * cells)
                if extra != 0:                              # torch's LSTM projection: linear units
                    add("linear", extra, True)
        return out

    @property
    def has_bias(self) -> bool:
        """Some layer has bias terms."""
        return any(layer.option("bias", True) for layer in self.arch.layers
                   if layer.name in ("dense", "rnn", "lstm", "gru"))

    @property
    def zero_at_zero(self) -> bool:
        """Every activation (hidden and output) is Lipschitz with sigma(0) = 0; gated cells are not."""
        if self.recurrent:
            return False
        acts = [layer.activation for layer in self.arch.layers if layer.name == "dense"]
        return all(a is not None and a.kind.lipschitz is not None and a.kind.zero_at_zero for a in acts)

    def symbols(self) -> dict:
        """The user's symbols (name -> sympy Symbol) appearing anywhere in the counts."""
        out = {}
        for value in (self.params, self.units, self.depth, self.seq_len, self.input_dim):
            for s in getattr(value, "free_symbols", ()):
                out[s.name] = s
        return dict(sorted(out.items()))

    def canonical(self) -> dict:
        """The quantity table theorems are written against (see theorems/README.md). The norm
        quantities of generalization bounds are computed when one of them is first read (a sympy
        product over every layer: seconds for a chain of thousands of layers, which no VC query
        needs)."""
        return _WithNorms({
            "W": self.params, "U": self.units + self.mults, "M": self.mults, "L": self.depth,
            "Lbar": self.lbar, "T": self.seq_len, "D": self.input_dim,
            "pieces": self.pieces, "breakpoints": (self.pieces - 1) if self.pieces else None,
            "degree": self.degree,
        }, self)


class _WithNorms(dict):
    """The canonical quantity table, whose norm quantities (``tensors.NORM_KEYS``) are filled in
    from ``tensors.norm_quantities`` the first time one of them is read, or the table is read as a
    whole (iteration, copying, items)."""

    def __init__(self, base: dict, quantities):
        super().__init__(base)
        self._quantities = quantities

    def _fill(self) -> None:
        if self._quantities is not None:
            q, self._quantities = self._quantities, None
            super().update(norm_quantities(q))

    def _lazy(self, key) -> bool:
        return self._quantities is not None and key in NORM_KEYS

    def __getitem__(self, key):
        if self._lazy(key):
            self._fill()
        return super().__getitem__(key)

    def get(self, key, default=None):
        if self._lazy(key):
            self._fill()
        return super().get(key, default)

    def __contains__(self, key):
        if self._lazy(key):
            self._fill()
        return super().__contains__(key)

    # whole-table reads: everything first (dict() and ** go through keys() once __iter__ is ours)
    def __iter__(self):
        self._fill()
        return super().__iter__()

    def __len__(self):
        self._fill()
        return super().__len__()

    def __eq__(self, other):
        self._fill()
        return super().__eq__(other)

    def __repr__(self):
        self._fill()
        return super().__repr__()

    def keys(self):
        self._fill()
        return super().keys()

    def items(self):
        self._fill()
        return super().items()

    def values(self):
        self._fill()
        return super().values()

    def copy(self):
        self._fill()
        return dict(self)

    __hash__ = None


def _max(values):
    import sympy as sp
    vals = list(values)
    if not vals:
        return 0
    return sp.Max(*vals) if len(vals) > 1 else vals[0]


def count(arch: Architecture, convention: str = "torch") -> Quantities:
    """Count parameters, units and depth of ``arch`` exactly and symbolically.

    >>> from vcbound.graph import parse
    >>> count(parse("input(7, seq=T) -> lstm(5)")).params
    280
    >>> count(parse("input(d, seq=T) -> lstm(n)^L")).params
    8*L*n**2 + 8*L*n + 4*d*n - 4*n**2

    The arithmetic runs on sparse polynomials (polys.py); each total becomes a sympy expression when
    first read, equal to what ``sympy.expand`` of the same arithmetic gives (tests/test_counts_oracle.py).
    """
    if convention not in CONVENTIONS:
        raise UsageError(f"unknown convention '{convention}' (expected one of: {', '.join(CONVENTIONS)})")
    import sympy as sp

    q = Quantities(arch, convention)
    first = arch.structure[0]
    state = _State(width=first.size, sequence=first.option("seq") is not None)
    q.input_dim = first.size
    q.seq_len = first.option("seq")
    walker = _Walker(arch, convention, arch.generators or Generators())
    with without_cyclic_gc():
        totals = walker._walk(arch.structure[1:], state, record=True)     # walked once: no memo
    q.params, q.units, q.mults, q.depth = totals.params, totals.units, totals.mults, totals.depth
    q.lbar_sum = totals.cum_sum
    q.lbar = _ratio(totals.cum_sum, totals.params) if totals.params else sp.Integer(0)
    q.output_dim = totals.state.width
    q.output_is_sequence = totals.state.sequence
    q.rows = walker.rows
    q.recurrent_units, q.recurrent_depth = totals.rec_units, totals.rec_depth
    _facts(q, walker)
    # the generators' memo refers to Polys that refer back to the generators: dropped here, the
    # counts and layers go with refcounting instead of waiting for the cyclic collector
    walker.gens.forget()
    return q


def _ratio(numerator, denominator):
    """A function making ``numerator / denominator`` as sympy (read lazily through ``_Count``). It
    holds the two counts, not the Quantities: a closure over the Quantities stored on it made every
    count a reference cycle, which only the cyclic collector frees (0.6 s for a 10,000-layer chain)."""
    import sympy as sp

    def value():
        num, den = (v.expr() if isinstance(v, Poly) else v for v in (numerator, denominator))
        if num.is_Integer and den.is_Integer and den != 0:
            return sp.Rational(num.p, den.p)        # numeric counts: no assumption queries on a new Pow
        return sp.Mul(num, sp.Pow(den, -1))
    return value


@dataclass
class _State:
    width: object         # sympy, as written (a row's output width)
    sequence: bool


@dataclass
class _Totals:
    """Counts of a run of items, as polys.Poly."""

    params: object
    units: object
    mults: object
    depth: object
    layers: object        # computation layers (for Lbar)
    cum_sum: object       # sum over computation layers of the parameters up to that layer
    rec_units: object
    rec_depth: object
    state: _State


class _Walker:
    def __init__(self, arch, convention, gens: Generators):
        self.arch = arch
        self.convention = convention
        self.gens = gens
        self.poly = gens.poly
        self.rows: list[LayerRow] = []
        self._row_index: dict[int, LayerRow] = {}
        self.kinds: list[Layer] = []
        self._last_seen = False
        # walk(items, state, record) depends only on its arguments. Nested repeats walk the same
        # body from the same few states again and again (2^depth times without this memo).
        self._memo: dict = {}
        self._zero, self._one = gens.poly(0), gens.poly(1)      # shared: Polys are never changed in place here
        self._dense: dict = {}              # (input width, width, bias) -> parameters of a dense layer

    def walk(self, items, state: _State, record: bool) -> _Totals:
        key = (id(items), state.width, state.sequence, record)
        hit = self._memo.get(key)
        if hit is not None:
            totals, rows = hit
            for row in rows:
                row = replace(row)
                self.rows.append(row)
                self._row_index[row.id] = row
            return totals
        start = len(self.rows)
        totals = self._walk(items, state, record)
        self._memo[key] = (totals, [replace(r) for r in self.rows[start:]] if record else [])
        return totals

    def _walk(self, items, state: _State, record: bool) -> _Totals:
        subs = []
        for item in items:
            sub = self._repeat(item, state, record) if isinstance(item, Repeat) else self._layer(item, state, record)
            subs.append(sub)
            state = sub.state
        if len(subs) == 1:
            return subs[0]
        # Every sum accumulates in one dict (polys.sum_polys; a call per term and field costs more
        # than the arithmetic on a long chain). Lbar bookkeeping: item j's parameters are seen by
        # every layer after it; that number stays an int while layers are.
        gens = self.gens
        params, units, mults, depth, layers, rec_units, rec_depth = (
            sum_polys(gens, list(map(attrgetter(name), subs)))
            for name in ("params", "units", "mults", "depth", "layers", "rec_units", "rec_depth"))
        # Lbar's sum: a weight per distinct Poly object first (a chain's layers share theirs), the
        # terms once per object
        weights: dict = {}                   # id -> [Poly, weight]; the Poly kept, so ids stay unique
        after_int, after = 0, None           # layers after the current item: an int, or a Poly
        for sub in reversed(subs):
            if after is None:
                if sub.cum_sum is sub.params:       # a single layer: its own parameters, seen once more
                    parts = ((sub.params, after_int + 1),)
                else:
                    parts = ((sub.cum_sum, 1), (sub.params, after_int))
            else:
                parts = ((sub.cum_sum, 1), (sub.params * after, 1))
            for poly, coeff in parts:
                if coeff:
                    w = weights.get(id(poly))
                    if w is None:
                        weights[id(poly)] = [poly, coeff]
                    else:
                        w[1] += coeff
            c = sub.layers.constant if after is None else None
            if c is not None:
                after_int += c
            else:
                after = (after if after is not None else self.poly(after_int)) + sub.layers
        cum: dict = {}
        get = cum.get
        for poly, k in weights.values():
            for m, c in poly.terms.items():
                cum[m] = get(m, 0) + k * c
        cum_sum = Poly({m: c for m, c in cum.items() if c} if 0 in cum.values() else cum, gens)
        return _Totals(params, units, mults, depth, layers, cum_sum, rec_units, rec_depth, state)

    def _repeat(self, rep: Repeat, state: _State, record: bool) -> _Totals:
        first = self.walk(rep.body, state, record)
        if rep.count == 1:
            return first
        # later runs see the block's own output; their counts do not depend on the input width
        k1 = self.poly(rep.count) - 1
        rest = self._add_rest_rows(rep.body, first.state, k1) if record \
            else self.walk(rep.body, first.state, record=False)
        n = rest.layers
        cum = (first.cum_sum + k1 * rest.cum_sum
               + n * (k1 * first.params + rest.params * k1 * (k1 - 1) / 2))
        return _Totals(first.params + k1 * rest.params, first.units + k1 * rest.units,
                       first.mults + k1 * rest.mults, first.depth + k1 * rest.depth,
                       first.layers + k1 * rest.layers, cum,
                       first.rec_units + k1 * rest.rec_units, first.rec_depth + k1 * rest.rec_depth,
                       rest.state)

    def _add_rest_rows(self, body, state, k1):
        """Add the later repetitions' parameters to the rows recorded for the first run."""
        saved = self.rows, self._row_index
        self.rows, self._row_index = [], {}
        rest = self.walk(body, state, record=True)
        extra = self.rows
        self.rows, self._row_index = saved
        for row in extra:
            target = self._row_index[row.id]
            target.counts = tuple(t + k1 * r for t, r in zip(target.counts, row.counts))
        return rest

    def _layer(self, layer: Layer, state: _State, record: bool) -> _Totals:
        poly = self.poly
        conv = layer.option("convention", self.convention)
        kind = layer.name
        params = units = mults = depth = layers = rec_units = rec_depth = zero = self._zero
        out = _State(layer.size, state.sequence)
        if kind == "input":
            raise self.arch.error("input(...) may only start the architecture", layer.span)
        if kind == "last":
            if not state.sequence:
                raise self.arch.error("'last' needs a sequence; start with input(d, seq=T)"
                                      if not self._seen_last() else
                                      "'last' needs a sequence, but the sequence already ended at an earlier 'last'",
                                      layer.span)
            out = _State(state.width, False)
        elif kind == "dense":
            key = (state.width, layer.size, layer.option("bias", True))
            params = self._dense.get(key)
            n = poly(layer.size)
            if params is None:
                d = poly(state.width)
                params = self._dense[key] = d * n + n if key[2] else d * n
            units, depth, layers = n, self._one, self._one
        else:   # recurrent layers
            if not state.sequence:
                raise self.arch.error(
                    f"{kind} needs a sequence input; " + ("a 'last' before it already ended the sequence"
                                                          if self._seen_last() else "write input(d, seq=T)"),
                    layer.span)
            d, n = poly(state.width), poly(layer.size)
            bias = layer.option("bias", True)
            directions = 2 if layer.option("bidirectional", False) else 1
            proj = layer.option("proj")
            if proj is not None and conv != "torch":
                raise self.arch.error("proj= is torch's LSTM projection; use convention=torch", layer.span)
            if proj is not None and (proj - layer.size).is_nonnegative:
                raise self.arch.error(f"proj={proj} must be smaller than the width {layer.size} "
                                      "(torch requires proj_size < hidden_size)", layer.span)
            if kind != "rnn" and conv == "torch":
                for opt, keras in (("act", "activation"), ("recurrent_act", "recurrent_activation")):
                    if opt in layer.option_spans:
                        raise self.arch.error(
                            f"{opt}= is Keras's {kind.upper()}({keras}=...); torch's nn.{kind.upper()} has no such "
                            f"option (sigmoid gates, tanh): write convention=keras in this layer or use "
                            f"--convention keras", layer.option_spans[opt])
            h = poly(proj) if proj is not None else n      # recurrent state width seen by the matrices
            per_bias = {"torch": 2, "keras": 1, "textbook": 1}[conv] if bias else 0
            if kind == "rnn":
                one = n * (d + n) + per_bias * n
                cell_units, cell_mults = n, zero
            elif kind == "lstm":
                one = 4 * n * (d + h) + 4 * per_bias * n + (h * n if proj is not None else zero)
                cell_units, cell_mults = 5 * n + (h if proj is not None else zero), 3 * n
            else:  # gru
                reset_after = layer.option("reset_after", conv != "textbook")
                if conv == "torch" and layer.option("reset_after") is False:
                    raise self.arch.error("torch's GRU always has reset_after=true", layer.span)
                gb = (2 if reset_after else 1) if bias else 0
                one = 3 * (n * (d + n) + gb * n)
                cell_units, cell_mults = 3 * n, 3 * n
            params = directions * one
            units, mults = directions * cell_units, directions * cell_mults
            depth = layers = rec_depth = self._one
            rec_units = units + mults
            h_expr = proj if proj is not None else layer.size
            out = _State(directions * h_expr, True)
        self.kinds.append(layer)
        self._last_seen = self._last_seen or kind == "last"
        if record:
            row = LayerRow(layer.id, kind, layer, layer.multiplicity, (params, units, mults),
                           out.width, layer.span.line, layer.span.column)
            self.rows.append(row)
            self._row_index[layer.id] = row
        cum_sum = params if layers is self._one else params * layers     # (the usual case: one layer)
        return _Totals(params, units, mults, depth, layers, cum_sum, rec_units, rec_depth, out)

    def _seen_last(self) -> bool:
        return self._last_seen


def _facts(q: Quantities, walker: _Walker) -> None:
    """Topology, hidden activations and readout from the layers seen."""
    layers = [l for l in q.arch.layers if l.name not in ("input", "last")]
    recurrent = [l for l in layers if l.kind.recurrent]
    gated = [l for l in recurrent if l.kind.gated]
    if gated:
        q.topology = "recurrent_gated"
    elif recurrent:
        single = len(recurrent) == 1 and recurrent[0].multiplicity == 1
        before = layers.index(recurrent[0]) if single else -1
        # standard form x_t = s(A x_{t-1} + B u_t + b): one Elman layer fed by the input itself
        q.topology = "recurrent_standard" if single and before == 0 and not recurrent[0].option("bidirectional") \
            else "recurrent_stacked"
    last = layers[-1] if layers else None
    acts: list[Activation] = []
    for l in layers:
        if l.kind.gated:
            acts.extend((l.recurrent_activation or GATE_ACTIVATIONS[0], l.activation or GATE_ACTIVATIONS[1]))
        elif l.activation is not None and not (l is last and _is_readout(l)):
            acts.append(l.activation)
    if last is not None and _is_readout(last):
        q.readout = last.activation
    seen, distinct = set(), []
    for a in acts:
        if str(a) not in seen:
            seen.add(str(a))
            distinct.append(a)
    q.hidden_activations = distinct


def _is_readout(layer: Layer) -> bool:
    """A final dense layer of width 1 with a non-decreasing activation reads out a binary label."""
    return layer.name == "dense" and layer.size == 1 and layer.activation is not None \
        and layer.activation.kind.monotone
