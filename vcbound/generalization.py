"""Stage 7 (numbers) for norm-based bounds: a resolution of measure ``generalization`` plus weights
and data quantities -> the value of every applicable bound, with its citation.

In: a ``Resolution`` (``resolver.bound(arch, "generalization")``), weights (a path, a dict of arrays
or a torch module; see ``weights.load_weights``), the margin gamma, the sample size m, the confidence
delta, optionally the input-norm bound B, and ``--at`` bindings for the architecture's symbols.
Out: ``GeneralizationReport`` (rendered by ``render/generalization.py``): the norms of every weight tensor and, per applicable result, the
number obtained by substituting the network's norms into the paper's formula (in the paper's own
letters), or the list of quantities the user did not give. The aggregates are computed from the
actual matrices, one per layer copy: spectral_product = prod_i ||A_i||_sigma, spectral_complexity =
(prod_i rho_i ||A_i||_sigma) (sum_i (||A_i^T||_{2,1} / ||A_i||_sigma)^{2/3})^{3/2} (BFT eq. 1.2 with
reference matrices 0), frobenius_product = prod_i ||A_i||_F, max_width = max(d, d_1, ..., d_L),
max_output_width = max(d_1, ..., d_L), spectral_frobenius_complexity = prod_i ||A_i||_sigma^2
sum_i ||A_i||_F^2 / ||A_i||_sigma^2 (Neyshabur-Bhojanapalli-Srebro's Phi),
data_norm = B sqrt(m) (an upper bound on ||X||_2 when every input has norm <= B).

For Tu-He-Tao's vanilla ReLU RNN ``input(d, seq=T) -> rnn(n, act=relu) -> last -> dense(k)``:
rnn_input_l1 = ||U^T||_1, rnn_hidden_l1 = ||W^T||_1, output_l1 = ||V^T||_1 (the matrix 1-norm of the
transpose: the largest absolute row sum) and outputs = k. Statistics of the training sample that no
weight file holds (``tensors.DATA_STATISTICS``: ||X||_F, ||X^T||_1, lambda_min(E xx^T), a Fisher-Rao
norm bound r) come from ``data={name: value}`` (``eval --data name=value``).

A result stated only up to constants (form ``asymptotic``) gives the value of the expression inside
O(.) / O~(.), which is labelled as such: it is not a numeric bound. A result whose locator or
applicability is UNVERIFIED says so next to its number, and a result's own ``caveat`` (a limit of its
statement, e.g. BFT's multi-class margin) is printed next to its number too.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import sympy as sp

from .errors import UsageError
from .expressions import to_sympy
from .presentation import Presentable
from .tensors import DATA_STATISTICS, dense_layers, expanded, vanilla_rnn_readout, weight_tensors
from .weights import check_shapes, load_weights, norms

# data quantities and the option that gives each
DATA_OPTIONS = {"margin": "--margin", "m": "--m", "delta": "--delta", "input_norm": "--input-norm",
                "data_norm": "--input-norm", **{k: f"--data {k}=..." for k in DATA_STATISTICS}}


@dataclass
class BoundValue:
    """One applicable result evaluated on the user's weights (or what it still needs)."""

    result_id: str
    citation: str
    locator: str
    form: str
    formula: str                  # the bound in the paper's letters
    substitutions: dict           # letter -> number
    value: float | None = None
    missing: list = field(default_factory=list)   # data options the user did not give
    unverified: bool = False
    statement_caveat: str = ""    # the result's own caveat (theorem file field ``caveat``)
    undefined: str = ""           # why the formula has no value at these numbers (e.g. 0/0)

    @property
    def caveat(self) -> str:
        parts = [self.statement_caveat] if self.statement_caveat else []
        if self.form == "asymptotic":
            parts.append("the expression inside O(.) or O~(.) with its unpublished constants (and log factors) left out: not a numeric bound")
        if self.unverified:
            parts.append("UNVERIFIED: the locator or the hypotheses of this result were not confirmed")
        return "; ".join(parts)


@dataclass(repr=False)
class GeneralizationReport(Presentable):
    """The answer of ``eval --measure generalization`` (shown by ``render/generalization.py``)."""

    architecture: str
    tensors: list                 # (name, shape, spectral, frobenius)
    quantities: dict              # aggregate name -> number (None where not defined for this network)
    bounds: list                  # BoundValue
    notes: list
    misses: list
    sources: dict = field(default_factory=dict)   # BibTeX key -> Source of every bound shown (LaTeX citations)


def evaluate_generalization(resolution, weights, margin=None, m=None, delta=None, input_norm=None,
                            at: dict | str | None = None, data: dict | str | None = None) -> GeneralizationReport:
    """Evaluate every applicable norm-based bound of ``resolution`` on ``weights``. ``data`` gives the
    sample statistics some bounds need ({"x_frob": 31.6, "lambda_min": 0.02, ...}, or the text
    "x_frob=31.6,lambda_min=0.02"; names in ``tensors.DATA_STATISTICS``)."""
    if resolution.measure != "generalization":
        raise UsageError(f"weights are evaluated for --measure generalization, not {resolution.measure}")
    q = resolution.quantities
    bindings = _bindings(at, q)
    specs = expanded(weight_tensors(q, bindings))
    specs = [_bound_spec(s, bindings) for s in specs]
    arrays = check_shapes(specs, load_weights(weights))
    table = []
    for s in specs:
        a = arrays[s.name]
        if a.ndim == 2:
            n = norms(a)
            table.append((s.name, tuple(a.shape), n["spec"], n["frob"]))
        else:
            table.append((s.name, tuple(a.shape), None, None))
    data = {"margin": _positive(margin, "--margin"), "m": _positive(m, "--m", integer=True),
            "delta": _probability(delta), "input_norm": _positive(input_norm, "--input-norm"),
            **_statistics(data)}
    quantities = _aggregates(q, specs, arrays, bindings, data)
    bounds = [_evaluate(c, q, bindings, quantities, data) for c in resolution.uppers]
    return GeneralizationReport(str(q.arch), table, {k: v for k, v in quantities.items()}, bounds,
                                # the legend of the symbolic answer's norm symbols is not about these numbers
                                [n for n in resolution.notes if not n.startswith("symbols:")
                                 # each result's caveat is printed next to its number
                                 and not any(n.startswith(f"{c.result.id}: ") for c in resolution.uppers)],
                                list(resolution.misses),
                                {c.result.source.key: c.result.source for c in resolution.uppers})


def _bindings(at, q) -> dict:
    from .expressions import check_bindings, parse_bindings
    if not at:
        return {}
    b = parse_bindings(at) if isinstance(at, str) else dict(at)
    if isinstance(at, str):
        check_bindings(b, q.symbols(), at)
    return {k: to_sympy(v) for k, v in b.items()}


def _statistics(data) -> dict:
    """``--data name=value,...`` (or a dict) -> {name: positive number}; unknown names are refused."""
    if not data:
        return {}
    if isinstance(data, str):
        pairs = {}
        for part in data.split(","):
            name, eq, value = part.partition("=")
            if not eq or not name.strip():
                raise UsageError(f"--data: expected NAME=VALUE[,NAME=VALUE], got {part.strip()!r}")
            pairs[name.strip()] = value.strip()
        data = pairs
    out = {}
    for name, value in data.items():
        if name not in DATA_STATISTICS:
            raise UsageError(f"--data: unknown statistic {name!r}; known: {', '.join(DATA_STATISTICS)}")
        out[name] = _positive(value, f"--data {name}")
    return out


def _bound_spec(spec, bindings):
    spec.shape = tuple(to_sympy(s).subs({x: bindings[x.name] for x in to_sympy(s).free_symbols
                                           if x.name in bindings}) for s in spec.shape)
    return spec


def _positive(value, option, integer=False):
    if value is None:
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"{option}: expected a number, got {value!r}") from None
    if not math.isfinite(x) or x <= 0 or (integer and x != int(x)):
        raise UsageError(f"{option}: expected a positive {'whole ' if integer else ''}number, got {value}")
    return int(x) if integer else x


def _probability(value):
    x = _positive(value, "--delta")
    if x is not None and x >= 1:
        raise UsageError(f"--delta: expected a number in (0, 1), got {value}")
    return x


def _aggregates(q, specs, arrays, bindings, data) -> dict:
    """The norm quantities from the actual matrices (one factor per layer copy)."""
    input_norm, m = data["input_norm"], data["m"]
    out = {"margin": data["margin"], "input_norm": input_norm,
           "data_norm": input_norm * math.sqrt(m) if input_norm is not None and m is not None else None,
           **{k: data.get(k) for k in DATA_STATISTICS}}
    rnn = vanilla_rnn_readout(q)
    if rnn is not None:
        out.update(_rnn_aggregates(q, specs, arrays, bindings, *rnn))
    if q.canonical().get("spectral_product") is None:      # not a feed-forward chain of dense layers
        return {**{k: None for k in ("lipschitz_product", "spectral_product", "spectral_complexity",
                                     "frobenius_product", "max_width", "spectral_frobenius_complexity",
                                     "max_output_width")}, **out}
    rho = {pos: layer.activation.kind.lipschitz for pos, layer, _m in dense_layers(q)}
    lip = spec_prod = frob_prod = 1.0
    ratio = fratio = 0.0
    widths = [_bound_number(q.input_dim, bindings)]
    for s in specs:
        if s.role != "weight":
            continue
        n = norms(arrays[s.name])
        r = rho[s.layer]
        lip *= float(r) if r is not None else math.nan
        spec_prod *= n["spec"]
        frob_prod *= n["frob"]
        ratio += (n["l21"] / n["spec"]) ** (2 / 3) if n["spec"] > 0 else 0.0
        fratio += (n["frob"] / n["spec"]) ** 2 if n["spec"] > 0 else 0.0
        widths.append(int(s.shape[0]))
    return {"lipschitz_product": lip, "spectral_product": spec_prod,
            "spectral_complexity": lip * spec_prod * ratio ** 1.5, "frobenius_product": frob_prod,
            "max_width": max(widths), "spectral_frobenius_complexity": spec_prod ** 2 * fratio,
            "max_output_width": max(widths[1:]), **out}


def _rnn_aggregates(q, specs, arrays, bindings, rnn_pos, dense_pos) -> dict:
    """Tu-He-Tao's beta_U, beta_W, beta_V (matrix 1-norms of the transposes) and k from the arrays."""
    def l1t(layer, role):
        (spec,) = [s for s in specs if s.layer == layer and s.role == role]
        return norms(arrays[spec.name])["l1t"]
    return {"rnn_input_l1": l1t(rnn_pos, "input-hidden"), "rnn_hidden_l1": l1t(rnn_pos, "hidden-hidden"),
            "output_l1": l1t(dense_pos, "weight"), "outputs": _bound_number(q.output_dim, bindings)}


def _bound_number(value, bindings) -> int:
    v = to_sympy(value)
    return int(v.subs({x: bindings[x.name] for x in v.free_symbols if x.name in bindings}))


def _evaluate(candidate, q, bindings, quantities, data) -> BoundValue:
    result = candidate.result
    canon = q.canonical()
    subs, missing = {}, []
    for letter, quantity in result.symbols.items():
        if quantity in DATA_OPTIONS:
            value = data.get(quantity) if quantity in data else quantities.get(quantity)
            if value is None:
                option = DATA_OPTIONS[quantity]
                missing.append(f"{option} ({letter} in the paper" + (
                    f": {DATA_STATISTICS[quantity]}" if quantity in DATA_STATISTICS else "") + ")" + (
                    "; the paper's ||X||_2 is bounded by B sqrt(m)" if quantity == "data_norm" else ""))
                continue
        elif quantity in quantities:
            value = quantities[quantity]
        else:
            value = to_sympy(canon[quantity])
            # by name: the architecture's symbols carry assumptions that a bare Symbol('T') lacks
            value = value.subs({x: bindings[x.name] for x in value.free_symbols if x.name in bindings})
            if value.free_symbols:
                missing.append(f"--at binding {', '.join(sorted(s.name for s in value.free_symbols))} "
                               f"({letter} = {quantity} in the paper)")
                continue
            value = int(value) if value.is_Integer else float(value)
        subs[letter] = value
    bv = BoundValue(result.id, result.source.key, result.locator, result.form, result.bound_text, subs,
                    missing=sorted(set(missing)),
                    unverified=result.locator.startswith("UNVERIFIED") or candidate.unsound,
                    statement_caveat=result.caveat)
    if not missing:
        letters = {s.name: s for s in result.bound.free_symbols}
        const = {letters[c]: 1 for c in result.constants if c in letters}
        expr = result.bound.xreplace({**const, **{letters[k]: sp.Float(v, 30) for k, v in subs.items()
                                                  if k in letters}})
        value = sp.N(expr, 15)
        if value.is_real and value.is_finite:
            bv.value = float(value)
        else:       # e.g. 0/0 at a removable point: the paper's own case for it is not guessed here
            bv.undefined = (f"the formula has no value at these numbers ({value}); see the result's notes for the "
                            "paper's case at this point")
    return bv
