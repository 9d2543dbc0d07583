"""Stage 3 (facts): architecture -> the names and shapes of its weight tensors, and norm symbols.

In: ``Quantities`` (from ``quantities.count``). Out: ``TensorSpec`` records, one per weight tensor
(or one per family of repeated tensors when a repeat count is symbolic), named after PyTorch's
``state_dict`` layout and prefixed by the layer's position in the parameter table (``params``'s
``#`` column): recurrent layers ``weight_ih_l0``, ``weight_hh_l0``, ``bias_ih_l0``, ``bias_hh_l0``
(``_reverse`` for the backward direction, ``weight_hr_l0`` for an LSTM projection); dense layers
``weight`` and ``bias``. A layer repeated ``^L`` is torch's ``num_layers=L`` when it is a single
recurrent layer (``weight_ih_l{k}``) and ``<pos>.{k}.weight`` otherwise; with a symbolic count the
entry is a template with an index range (``k = 1 .. L - 1``). Gate order inside the stacked gate
matrices follows torch (LSTM i, f, g, o; GRU r, z, n).

Also here: the symbolic norm quantities of a feed-forward network that norm-based theorems are
written against (per-layer spectral, Frobenius and (2,1) norms as positive symbols, and the
aggregates built from them); ``numbers`` evaluates the same aggregates from actual norms.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from .errors import UsageError
from .expressions import bounded_power, to_sympy
from .graph import Layer, Repeat

GATES = {"lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n"), "rnn": ("h",)}


@dataclass
class TensorSpec:
    """One weight tensor (or a family indexed by ``index``) of one layer."""

    name: str                  # e.g. "1.weight_ih_l0", "2.{k}.weight"
    shape: tuple               # sympy sizes
    layer: int                 # position in the parameter table (1-based)
    kind: str                  # layer kind: dense, rnn, lstm, gru
    role: str                  # input-hidden, hidden-hidden, bias, projection, weight
    gates: tuple = ()          # gate order along the first axis of a stacked recurrent matrix
    index: dict = field(default_factory=dict)   # {"k": (first, last)} for a templated family
    activation: object = None  # the layer's activation (dense layers)

    def to_json(self, bindings: dict | None = None) -> dict:
        out = {"name": self.name, "shape": [_json_size(s, bindings) for s in self.shape],
               "layer": self.layer, "kind": self.kind, "role": self.role}
        if self.gates:
            out["gates"] = list(self.gates)
        if self.index:
            out["index"] = {k: [_json_size(a, bindings), _json_size(b, bindings)]
                            for k, (a, b) in self.index.items()}
        return out


def _json_size(value, bindings):
    value = to_sympy(value)
    value = value.subs({s: bindings[s.name] for s in value.free_symbols if s.name in (bindings or {})})
    return int(value) if value.is_Integer else str(value)


def weight_tensors(q, bindings: dict | None = None) -> list[TensorSpec]:
    """Every weight tensor of the architecture, in layer order. With ``bindings`` fixing a repeat
    count, the repeated tensors are listed one by one instead of as a template."""
    position = {row.id: i for i, row in enumerate(q.rows, 1)}
    walker = _Walker(q, position, bindings or {})
    first = q.arch.structure[0]
    walker.walk(q.arch.structure[1:], first.size, prefix="")
    return walker.out


class _Walker:
    def __init__(self, q, position, bindings):
        self.q, self.position, self.bindings = q, position, bindings
        self.out: list[TensorSpec] = []

    def _value(self, v):
        v = to_sympy(v)
        return v.subs({s: self.bindings[s.name] for s in v.free_symbols if s.name in self.bindings})

    def walk(self, items, width, prefix):
        for item in items:
            if isinstance(item, Repeat):
                width = self.repeat(item, width, prefix)
            else:
                width = self.layer(item, width, prefix, suffix_index=None)
        return width

    def repeat(self, rep: Repeat, width, prefix):
        count = self._value(rep.count)
        single_rnn = len(rep.body) == 1 and isinstance(rep.body[0], Layer) and rep.body[0].kind.recurrent
        if count.is_Integer:
            for k in range(int(count)):
                if single_rnn:
                    width = self.layer(rep.body[0], width, prefix, suffix_index=k)
                else:
                    width = self.walk(rep.body, width, f"{prefix}{k}.")
            return width
        # symbolic count: the first run sees the incoming width, runs 1 .. count-1 the body's own
        if single_rnn:
            out = self.layer(rep.body[0], width, prefix, suffix_index=0)
            self.layer(rep.body[0], out, prefix, suffix_index="{k}", index={"k": (1, count - 1)})
            return out
        out = self.walk(rep.body, width, f"{prefix}0.")
        self._templated(rep.body, out, f"{prefix}{{k}}.", {"k": (1, count - 1)})
        return out

    def _templated(self, body, width, prefix, index):
        start = len(self.out)
        self.walk(body, width, prefix)
        for spec in self.out[start:]:
            spec.index = {**index, **spec.index}

    def layer(self, layer: Layer, width, prefix, suffix_index, index=None):
        kind = layer.name
        if kind == "last":
            return width
        pos = self.position[layer.id]
        n = layer.size
        bias = layer.option("bias", True)
        if kind == "dense":
            self.out.append(TensorSpec(f"{pos}.{prefix}weight", (n, width), pos, kind, "weight",
                                       activation=layer.activation, index=dict(index or {})))
            if bias:
                self.out.append(TensorSpec(f"{pos}.{prefix}bias", (n,), pos, kind, "bias",
                                           index=dict(index or {})))
            return n
        conv = layer.option("convention", self.q.convention)
        gates = GATES[kind]
        rows = len(gates) * n
        proj = layer.option("proj")
        h = proj if proj is not None else n
        li = 0 if suffix_index is None else suffix_index
        directions = ["", "_reverse"] if layer.option("bidirectional", False) else [""]
        for rev in directions:
            tail = f"_l{li}{rev}"
            idx = dict(index or {})
            self.out.append(TensorSpec(f"{pos}.{prefix}weight_ih{tail}", (rows, width), pos, kind, "input-hidden",
                                       gates, idx))
            self.out.append(TensorSpec(f"{pos}.{prefix}weight_hh{tail}", (rows, h), pos, kind, "hidden-hidden",
                                       gates, dict(idx)))
            if bias:
                names = ["bias_ih", "bias_hh"] if conv == "torch" or (kind == "gru" and layer.option(
                    "reset_after", conv != "textbook")) else ["bias"]
                for b in names:
                    self.out.append(TensorSpec(f"{pos}.{prefix}{b}{tail}", (rows,), pos, kind, "bias", gates,
                                               dict(idx)))
            if proj is not None:
                self.out.append(TensorSpec(f"{pos}.{prefix}weight_hr{tail}", (proj, n), pos, kind, "projection",
                                           (), dict(idx)))
        return len(directions) * h


def expanded(specs: list[TensorSpec]) -> list[TensorSpec]:
    """The specs with every template expanded; a template whose range is still symbolic is refused."""
    out = []
    for s in specs:
        if not s.index:
            out.append(s)
            continue
        (k, (a, b)), = s.index.items() if len(s.index) == 1 else (_refuse(s),)
        a, b = to_sympy(a), to_sympy(b)
        if not (a.is_Integer and b.is_Integer):
            raise UsageError(f"tensor {s.name}: the repeat count is symbolic ({k} = {a} .. {b}); "
                             "bind it with --at to list the tensors one by one")
        for i in range(int(a), int(b) + 1):
            out.append(TensorSpec(s.name.replace("{" + k + "}", str(i)), s.shape, s.layer, s.kind, s.role,
                                  s.gates, {}, s.activation))
    return out


def _refuse(spec):
    raise UsageError(f"tensor {spec.name}: nested symbolic repeats cannot be listed one by one; bind the "
                     "repeat counts with --at")


# ---- norm quantities of feed-forward networks --------------------------------------------------
# BFT's spectral complexity and GRS's Frobenius product are written against these aggregates; they
# exist for feed-forward chains of dense layers (the weight matrices A_1 .. A_L of the papers).
NORM_QUANTITIES = ("lipschitz_product", "spectral_product", "spectral_complexity", "frobenius_product",
                   "max_width", "data_norm", "margin", "input_norm", "spectral_frobenius_complexity",
                   "max_output_width")
# Tu-He-Tao's vanilla ReLU RNN (h_t = relu(U x_t + W h_{t-1}), y = V h_T, read at the last step) is
# written against the matrix 1-norms of the transposes ||U^T||_1, ||W^T||_1, ||V^T||_1 (the largest
# absolute row sum of U, W, V) and the number of outputs k; they exist only for that shape.
RNN_QUANTITIES = ("rnn_input_l1", "rnn_hidden_l1", "output_l1", "outputs")
# Statistics of the training sample that no weight file holds: the user gives them with
# ``eval --data NAME=VALUE`` (names as here), and a bound that needs one says so when it is missing.
DATA_STATISTICS = {
    "x_frob": "||X||_F, the Frobenius norm of the data matrix whose columns are the m inputs "
              "(a sequence is one column of length T*d)",
    "x_l1": "||X^T||_1, the matrix 1-norm of the transposed data matrix: the largest, over input "
            "coordinates, sum over the m samples of the coordinate's absolute value",
    "lambda_min": "the smallest eigenvalue of E[x x^T], the inputs' second-moment matrix",
    "fisher_rao": "a bound r on Tu-He-Tao's Fisher-Rao norm ||theta||_fs of the trained network on the "
                  "data distribution (their eq. 2)",
}
ALL_NORM_QUANTITIES = NORM_QUANTITIES + RNN_QUANTITIES + tuple(DATA_STATISTICS)


def dense_layers(q) -> list:
    """(position, layer, multiplicity) of every dense layer, in order, for a feed-forward chain."""
    position = {row.id: i for i, row in enumerate(q.rows, 1)}
    mult = {row.id: row.multiplicity for row in q.rows}
    return [(position[l.id], l, mult[l.id]) for l in q.arch.layers if l.name == "dense"]


def norm_symbol(kind: str, position: int):
    """The positive symbol for one layer's norm: spec_3 = ||3.weight||_sigma, frob_3, l21_3 = ||A^T||_{2,1}."""
    return sp.Symbol(f"{kind}_{position}", positive=True)


def data_symbol(name: str):
    return sp.Symbol(name, positive=True)


# every key norm_quantities() returns (the canonical table fills them in when first read)
NORM_KEYS = frozenset(NORM_QUANTITIES) | frozenset(RNN_QUANTITIES) | frozenset(DATA_STATISTICS)


def _max_width(widths):
    """The largest width, left unevaluated when symbolic: sympy's Max asks the assumption system
    about every pair of symbolic widths (half a second on a 10-layer chain, paid by every query,
    since the canonical table is built for every measure)."""
    distinct = list(dict.fromkeys(widths))
    if len(distinct) == 1:
        return distinct[0]
    if all(w.is_number for w in distinct):
        return max(distinct)
    return sp.Max(*distinct, evaluate=False)


def norm_quantities(q) -> dict:
    """Symbolic norm aggregates (None when the network is not a feed-forward chain of dense layers).
    A repeated layer ``dense(h)^L`` has one symbol per norm for all its copies: the answer is at fixed
    norms, so it shows how the bound grows with L, n and T when each layer's norms stay the same."""
    data = {k: data_symbol(k) for k in DATA_STATISTICS}
    if q.recurrent or q.seq_len is not None:
        # the margin is a number of the output, whatever the network; ||X||_2 <= B sqrt(m) is BFT's
        # feed-forward data norm and stays undefined here
        return {**{k: None for k in NORM_QUANTITIES}, "margin": data_symbol("gamma"), **rnn_quantities(q),
                **data}
    layers = dense_layers(q)
    # factors and terms collected, then one Mul/Add each: multiplying into a running product re-sorts
    # it every time (quadratic: minutes for a 10,000-layer chain)
    lips, specs, frobs, ratios, fratios = [], [], [], [], []
    lipschitz_known = True
    for pos, layer, mult in layers:
        rho = layer.activation.kind.lipschitz if layer.activation is not None else 1
        if rho is None:
            lipschitz_known = False
        else:
            lips.append(bounded_power(sp.Rational(rho), mult))
        s, f, b = norm_symbol("spec", pos), norm_symbol("frob", pos), norm_symbol("l21", pos)
        specs.append(s ** mult)
        frobs.append(f ** mult)
        ratios.append(mult * (b / s) ** sp.Rational(2, 3))
        fratios.append(mult * (f / s) ** 2)   # sum_i ||A_i||_F^2 / ||A_i||_sigma^2 (NBS's Phi)
    lip = sp.Mul(*lips) if lipschitz_known else None
    spec, frob, ratio, fratio = sp.Mul(*specs), sp.Mul(*frobs), sp.Add(*ratios), sp.Add(*fratios)
    widths = [q.input_dim] + [layer.size for _pos, layer, _m in layers]
    gamma, m, B = data_symbol("gamma"), data_symbol("m"), data_symbol("B")
    return {
        "lipschitz_product": lip,
        "spectral_product": spec,
        "spectral_complexity": None if lip is None else lip * spec * ratio ** sp.Rational(3, 2),
        "frobenius_product": frob,
        "max_width": _max_width(widths),
        "spectral_frobenius_complexity": spec ** 2 * fratio,
        "max_output_width": _max_width(widths[1:]) if len(widths) > 1 else widths[-1],
        "data_norm": B * sp.sqrt(m),
        "margin": gamma,
        "input_norm": B,
        **{k: None for k in RNN_QUANTITIES},
        **data,
    }


def vanilla_rnn_readout(q):
    """(rnn position, dense position) when the network is ``input(d, seq=T) -> rnn(n, act=relu) -> last
    -> dense(k)`` with a linear read-out, Tu-He-Tao's setting up to biases (a bias is refused through
    the result's ``requires``); None otherwise."""
    layers = q.arch.layers[1:]          # after the input
    if [l.name for l in layers] != ["rnn", "last", "dense"] or q.topology != "recurrent_standard":
        return None
    rnn, _last, dense = layers
    if rnn.option("bidirectional", False) or str(rnn.activation) != "relu" \
            or (dense.activation is not None and str(dense.activation) != "linear"):
        return None
    position = {row.id: i for i, row in enumerate(q.rows, 1)}
    if any(row.multiplicity != 1 for row in q.rows):
        return None
    return position[rnn.id], position[dense.id]


def rnn_quantities(q) -> dict:
    """Symbolic ||U^T||_1, ||W^T||_1, ||V^T||_1 and k of a vanilla ReLU RNN read at its last step."""
    where = vanilla_rnn_readout(q)
    if where is None:
        return {k: None for k in RNN_QUANTITIES}
    r, o = where
    return {"rnn_input_l1": norm_symbol("l1t_ih", r), "rnn_hidden_l1": norm_symbol("l1t_hh", r),
            "output_l1": norm_symbol("l1t", o), "outputs": q.output_dim}
