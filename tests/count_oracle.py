"""The sympy route of counting (vcbound/quantities.py before counts became sparse polynomials),
kept as the test oracle of tests/test_counts_oracle.py. Not used by the package.

``old_count(arch, convention)`` returns a namespace with the totals (params, units, mults, depth,
lbar_sum, lbar, recurrent_units, recurrent_depth, output_dim, output_is_sequence) and ``rows``
(id, params, units, mults, output_width, multiplicity per layer), each count ``sympy.expand``-ed.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from types import SimpleNamespace

from vcbound.graph import Layer, Repeat


@dataclass
class LayerRow:
    id: int
    kind: str
    label: str
    multiplicity: object
    params: object
    units: object
    mults: object
    output_width: object
    line: int
    column: int


def old_count(arch, convention: str = "torch"):
    """The counts of ``arch`` as vcbound computed them through sympy before polys.py."""
    import sympy as sp

    q = SimpleNamespace()
    first = arch.structure[0]
    state = _State(width=first.size, sequence=first.option("seq") is not None)
    q.input_dim = first.size
    q.seq_len = first.option("seq")
    walker = _Walker(arch, convention, sp)
    totals = walker.walk(arch.structure[1:], state, record=True)
    q.params = sp.expand(totals.params)
    q.units = sp.expand(totals.units)
    q.mults = sp.expand(totals.mults)
    q.depth = sp.expand(totals.depth)
    q.lbar_sum = sp.expand(totals.cum_sum)
    q.lbar = sp.Mul(q.lbar_sum, sp.Pow(q.params, -1)) if q.params != 0 else sp.Integer(0)
    q.output_dim = totals.state.width
    q.output_is_sequence = totals.state.sequence
    q.rows = walker.rows
    q.recurrent_units = sp.expand(totals.rec_units)
    q.recurrent_depth = sp.expand(totals.rec_depth)
    return q


@dataclass
class _State:
    width: object
    sequence: bool


@dataclass
class _Totals:
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
    def __init__(self, arch, convention, sp):
        self.arch = arch
        self.convention = convention
        self.sp = sp
        self.rows: list = []
        self._row_index: dict = {}
        self.kinds: list[Layer] = []
        self._last_seen = False
        self._counts_memo: dict = {}
        # walk(items, state, record) depends only on its arguments. Nested repeats walk the same
        # body from the same few states again and again (2^depth times without this memo).
        self._memo: dict = {}

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
        sp = self.sp
        subs = []
        for item in items:
            sub = self._repeat(item, state, record) if isinstance(item, Repeat) else self._layer(item, state, record)
            subs.append(sub)
            state = sub.state
        # Sums are built once, grouping equal terms with plain-integer coefficients: adding to a growing
        # sympy sum, or multiplying by a fresh sympy integer per layer, is quadratic / slow on long chains.
        # Lbar bookkeeping: item j's parameters are seen by every layer after it.
        cum, after = {}, 0
        for sub in reversed(subs):
            _accumulate(cum, sub.cum_sum, 1)
            if after != 0:
                _accumulate(cum, sub.params, after)
            after = after + _plain(sub.layers)
        total = lambda name: _grouped_sum(sp, [getattr(x, name) for x in subs])  # noqa: E731
        return _Totals(total("params"), total("units"), total("mults"), total("depth"), total("layers"),
                       _grouped(sp, cum), total("rec_units"), total("rec_depth"), state)

    def _repeat(self, rep: Repeat, state: _State, record: bool) -> _Totals:
        sp = self.sp
        first = self.walk(rep.body, state, record)
        if rep.count == 1:
            return first
        # later runs see the block's own output; their counts do not depend on the input width
        k1 = rep.count - 1
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
            target.params = self.sp.expand(target.params + k1 * row.params)
            target.units = self.sp.expand(target.units + k1 * row.units)
            target.mults = self.sp.expand(target.mults + k1 * row.mults)
        return rest

    def _layer(self, layer: Layer, state: _State, record: bool) -> _Totals:
        sp = self.sp
        zero = sp.Integer(0)
        conv = layer.option("convention", self.convention)
        d, n = state.width, layer.size
        kind = layer.name
        params = units = mults = zero
        depth = layers = zero
        rec_units = rec_depth = zero
        out = _State(n, state.sequence)
        if kind == "input":
            raise self.arch.error("input(...) may only start the architecture", layer.span)
        if kind == "last":
            if not state.sequence:
                raise self.arch.error("'last' needs a sequence; start with input(d, seq=T)"
                                      if not self._seen_last() else
                                      "'last' needs a sequence, but the sequence already ended at an earlier 'last'",
                                      layer.span)
            out = _State(d, False)
        elif kind == "dense":
            bias = layer.option("bias", True)
            params = d * n + (n if bias else zero)
            units, depth, layers = n, sp.Integer(1), sp.Integer(1)
        else:   # recurrent layers
            if not state.sequence:
                raise self.arch.error(
                    f"{kind} needs a sequence input; " + ("a 'last' before it already ended the sequence"
                                                          if self._seen_last() else "write input(d, seq=T)"),
                    layer.span)
            bias = layer.option("bias", True)
            directions = 2 if layer.option("bidirectional", False) else 1
            proj = layer.option("proj")
            if proj is not None and conv != "torch":
                raise self.arch.error("proj= is torch's LSTM projection; use convention=torch", layer.span)
            if proj is not None and (proj - n).is_nonnegative:
                raise self.arch.error(f"proj={proj} must be smaller than the width {n} "
                                      "(torch requires proj_size < hidden_size)", layer.span)
            if kind != "rnn" and conv == "torch":
                for opt, keras in (("act", "activation"), ("recurrent_act", "recurrent_activation")):
                    if opt in layer.option_spans:
                        raise self.arch.error(
                            f"{opt}= is Keras's {kind.upper()}({keras}=...); torch's nn.{kind.upper()} has no such "
                            f"option (sigmoid gates, tanh): write convention=keras in this layer or use "
                            f"--convention keras", layer.option_spans[opt])
            h = proj if proj is not None else n           # recurrent state width seen by the matrices
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
            depth, layers = sp.Integer(1), sp.Integer(1)
            rec_units, rec_depth = units + mults, sp.Integer(1)
            out = _State(directions * h, True)
        self.kinds.append(layer)
        self._last_seen = self._last_seen or kind == "last"
        if record:
            ekey = (params, units, mults)
            expanded = self._counts_memo.get(ekey)
            if expanded is None:
                expanded = self._counts_memo[ekey] = (sp.expand(params), sp.expand(units), sp.expand(mults))
            row = LayerRow(layer.id, kind, layer.label(), layer.multiplicity, *expanded,
                           out.width, layer.span.line, layer.span.column)
            self.rows.append(row)
            self._row_index[layer.id] = row
        return _Totals(params, units, mults, depth, layers, params * layers, rec_units, rec_depth, out)

    def _seen_last(self) -> bool:
        return self._last_seen


def _plain(value):
    """A sympy integer as a Python int (fast arithmetic); anything else unchanged."""
    return int(value) if getattr(value, "is_Integer", False) else value


def _accumulate(acc: dict, expr, coeff) -> None:
    if expr != 0:
        acc[expr] = acc.get(expr, 0) + coeff


def _grouped(sp, acc: dict):
    return sp.Add(*[(c * e if c != 1 else e) for e, c in acc.items()])


def _grouped_sum(sp, values):
    acc: dict = {}
    for v in values:
        _accumulate(acc, v, 1)
    return _grouped(sp, acc)
