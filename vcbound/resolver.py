"""Stage 5: facts of a network + the theorem base -> a ``Resolution`` per measure.

In: an architecture (text or ``Architecture``), a measure (vc, pdim, growth, sample_realizable,
sample_agnostic), assumptions, the theorem base. Out: a ``Resolution``: the best upper bound (the
minimum over every sound route), the best lower bound (the maximum), whether they are tight (Theta),
every candidate route (winners and losers), the nearest misses when nothing applies, and a
``Conflict`` when a lower bound exceeds an upper bound. Nothing here raises for "no theorem
applies": that is an answer.

A *view* is the network as some route sees it: the network itself, its unrolling over T steps
(tied weights: W parameters, UNVERIFIED unless the feed-forward result says it allows sharing;
untied: the tied net is one setting of an untied unrolled net with about T*W parameters, sound by
definition), or for pseudo-dimension the network with one more parameter and layer. A *route* is a
view plus a result (plus, for bridges, the route of the inner measure), and it is labelled
``published`` when a source states the bound for this family directly, ``derived`` otherwise.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
import math

import sympy as sp

from . import asymptotics as asy
from .asymptotics import exact_rational
from .classes import CLASS_CLOSURE, topology_in
from .expressions import make_symbol, to_sympy
from .presentation import Presentable, brief_repr
from .tensors import ALL_NORM_QUANTITIES, NORM_QUANTITIES

MEASURES = ("vc", "pdim", "growth", "sample_realizable", "sample_agnostic", "generalization")
MEASURE_NAMES = {
    "vc": "VC dimension", "pdim": "pseudo-dimension", "growth": "growth function",
    "sample_realizable": "sample complexity (realizable PAC)",
    "sample_agnostic": "sample complexity (agnostic PAC)",
    "generalization": "generalization gap (norm-based)",
}
LEVELS = ("definition", "primary", "conference", "book", "submission", "arxiv", "secondary", "abstract")


# --------------------------------------------------------------------------------------------
# views
# --------------------------------------------------------------------------------------------
@dataclass
class View:
    """The network as one route sees it: quantities (user symbols) and facts."""

    __repr__ = brief_repr("name", "topology", "family")

    name: str
    quantities: dict
    topology: str
    classes: frozenset
    family: str
    nonlinear: bool
    multiplicative: bool
    steps: list = field(default_factory=list)   # Step records that produced this view
    activation_names: tuple = ()                # the hidden activations, for messages
    tied: bool = False                          # parameters shared across copies (tied unrolling)
    derived: bool = False                       # reached through a transform lemma
    lower_only: bool = False                    # only lower bounds may use it (a construction moved into this network's family)
    exists_family: str = ""                     # for lower bounds through it: the family the construction ends up in, in words
    has_bias: bool = True                       # some layer has bias terms
    zero_at_zero: bool = False                  # every activation is Lipschitz with sigma(0) = 0
    layer_activations: tuple = ()               # (layer kind, Activation or None) of each weighted layer, in order


@dataclass
class Step:
    """One node of a derivation: a result, a lemma or a definition, with what was substituted."""

    __repr__ = brief_repr("kind", "id", "citation", "locator")

    kind: str                 # "result", "lemma", "definition", "bridge"
    id: str
    citation: str | None      # BibTeX key, None for definitions
    locator: str
    verification: str
    text_value: object        # what this step says in this derivation, or a function writing it (``text``)
    detail_text: object = ""  # the substitution made, or a function writing it (``detail``)
    unverified: bool = False  # locator UNVERIFIED
    unsound: bool = False     # applicability of this step is UNVERIFIED
    children: list = field(default_factory=list)

    def _written(self, name: str) -> str:
        """Field ``name``, written on first read when it is a function (kept as text from then on)."""
        value = getattr(self, name)
        if callable(value):
            value = value()
            setattr(self, name, value)
        return value

    @property
    def text(self) -> str:
        """What this step says (written on first read when it prints counts: sympy's printer was
        a third of a new query of a recurrent network, whose unrolling steps print W, U and L)."""
        return self._written("text_value")

    @text.setter
    def text(self, value: str) -> None:
        self.text_value = value

    @property
    def detail(self) -> str:
        """The substitution made (written on first read: printing every count of a long network for
        every applicable result was a tenth of a query that shows none of them)."""
        return self._written("detail_text")

    def to_dict(self) -> dict:
        return {
            "kind": self.kind, "id": self.id, "citation": self.citation, "locator": self.locator,
            "verification": self.verification, "text": self.text, "detail": self.detail,
            "unverified_locator": self.unverified, "unverified_applicability": self.unsound,
            "children": [c.to_dict() for c in self.children],
        }


def _views(q, base, measure: str) -> list[View]:
    """The network itself, and the views reachable through transform lemmas."""
    canon = q.canonical()
    direct = View("network", canon, q.topology, q.classes, q.family, q.nonlinear, q.multiplicative,
                  activation_names=tuple(str(a) for a in q.hidden_activations),
                  has_bias=q.has_bias, zero_at_zero=q.zero_at_zero,
                  layer_activations=tuple((layer.name, layer.activation) for layer in q.arch.layers
                                          if layer.name in ("dense", "rnn", "lstm", "gru")))
    if q.readout is not None:
        lemma = base.lemmas.get("readout")
        direct.steps.append(_lemma_step(lemma, f"the output unit dense(1, act={q.readout}) is read as the "
                                                "classifier sgn(z - c) of its pre-activation z",
                                        "readout", "by definition"))
    views = [direct]
    # norm-based results are never reached through unrolling: no source read states that a feed-forward
    # norm bound holds for the unrolled net (tied weights, input at every step)
    if q.recurrent and q.seq_len is not None and "unroll" in base.lemmas and measure != "generalization":
        T = q.seq_len
        common = dict(canon)
        common.update(_unrolled_counts(T, q.units, q.mults, q.recurrent_units, q.depth, q.recurrent_depth))
        common["Lbar"] = None      # BHLM's effective depth is not defined for the unrolled net here
        lemma = base.lemmas["unroll"]
        steps_words = "T steps" if str(T) == "T" else f"T = {T} steps"
        tied = View("unrolled (tied weights)", dict(common), "feedforward", q.classes, q.family, q.nonlinear,
                    q.multiplicative, list(direct.steps), tied=True, derived=True, has_bias=q.has_bias)
        tied.steps.append(_lemma_step(
            lemma, lambda W=canon["W"], U=common["U"], L=common["L"]:
            f"unrolled over {steps_words}: W = {W} shared parameters, U = {U}, depth = {L}", "unroll", lemma.locator,
            unsound=bool(lemma.applicability and lemma.applicability.startswith("UNVERIFIED"))))
        untied = dict(common)
        untied["W"] = _unrolled_params(T, q.params, q.recurrent_params)
        free = View("unrolled (untied copy)", untied, "feedforward", q.classes, q.family, q.nonlinear,
                    q.multiplicative, list(direct.steps), derived=True, has_bias=q.has_bias)
        free.steps.append(_lemma_step(
            lemma, lambda W=untied["W"], U=common["U"]:
            f"unrolled over {steps_words}; the tied network is one parameter setting of the unrolled network "
            f"with untied copies, which has W = {W} parameters and U = {U} units (a subclass has no larger VC "
            "dimension)", "unroll",
            lemma.locator, unsound=False))
        tied.activation_names = free.activation_names = direct.activation_names
        views += [tied, free]
        gates = _shared_as_gates_view(q, base, tied)
        if gates is not None:
            views.append(gates)
    views += [r for v in views if (r := _rewritten_view(q, base, v)) is not None]
    simulated = _threshold_simulation_view(q, base, direct)
    if simulated is not None:
        views.append(simulated)
    return views


# The counts of the views reached through lemmas, memoised by the counts they are made from: sympy's
# arithmetic and expand on every count of a recurrent net were a fifth of a query asked again.
@lru_cache(maxsize=1024)
def _unrolled_counts(T, units, mults, recurrent_units, depth, recurrent_depth) -> dict:
    """U, M and L of the network unrolled over T steps (lemma ``unroll``)."""
    ff_units = sp.expand(units + mults - recurrent_units)
    ff_depth = sp.expand(depth - recurrent_depth)
    return {"U": sp.expand(T * recurrent_units + ff_units),
            "M": sp.expand(T * mults) if mults != 0 else sp.Integer(0),
            "L": sp.expand(T * recurrent_depth + ff_depth)}


@lru_cache(maxsize=1024)
def _unrolled_params(T, params, recurrent_params):
    """The parameters of the unrolled network with untied copies (each recurrent one T times)."""
    return sp.expand(T * recurrent_params + (params - recurrent_params))


@lru_cache(maxsize=1024)
def _shared_gate_counts(units, mults, depth, params, uses) -> dict:
    """U, M and L when each of ``uses`` uses of the ``params`` parameters is a gate (lemma
    ``shared_as_gates``)."""
    return {"U": sp.expand(units + params + uses), "M": sp.expand(mults + uses), "L": sp.expand(2 * depth + 1)}


@lru_cache(maxsize=1024)
def _gate_rewritten_counts(units, mults, depth, relus) -> dict:
    """U, M and L when each relu unit becomes a linear, a threshold and a multiplication gate
    (lemma ``relu_as_product``)."""
    return {"U": sp.expand(units + 2 * relus), "M": sp.expand(mults + relus),
            "L": sp.expand(3 * depth) if relus != 0 else depth}


def _threshold_simulation_view(q, base, direct: View) -> View | None:
    """For lower bounds on a feed-forward net whose hidden units are all sigmoidal (sigmoid, tanh):
    the same graph with threshold hidden units (lemma ``threshold_simulation``, Koiran-Sontag 1997
    Theorem 4: a threshold network is simulated on any finite input set by the network of the same
    graph with sigmoidal gates). A set shattered by a threshold construction of this graph's size
    is shattered by a sigmoidal network of the same graph, so threshold lower bounds hold here, at
    the depth they were proved for (Sakurai's one hidden layer, Maass's depth >= 3). Upper bounds
    never use this view (a threshold upper bound says nothing about sigmoid units)."""
    lemma = base.lemmas.get("threshold_simulation")
    if lemma is None or q.topology != "feedforward" or q.multiplicative or "sigmoidal" not in q.classes:
        return None
    view = View("threshold counterpart (same graph)", dict(direct.quantities), "feedforward",
                CLASS_CLOSURE["threshold"], "piecewise_constant", True, False, list(direct.steps),
                activation_names=("threshold",), derived=True, lower_only=True, has_bias=direct.has_bias,
                exists_family="sigmoidal activations (the sigmoidal counterpart, same graph, of a threshold "
                              "construction)")
    acts = " and ".join(sorted({str(a) for a in q.hidden_activations}))
    view.steps.append(_lemma_step(
        lemma, f"a threshold network is simulated on any finite input set by the network of the same graph "
               f"whose hidden units use the sigmoidal {acts} (each threshold unit H(x) as the limit of "
               f"sigma(x/eps)): a set shattered by the threshold network is shattered by this one",
        "threshold_simulation", lemma.locator,
        unsound=bool(lemma.applicability and lemma.applicability.startswith("UNVERIFIED"))))
    return view


# activations the rewriting lemmas turn into gates that Schmitt's extension allows: relu -> linear,
# threshold and multiplication gates (relu_as_product), threshold/sign -> steep logistic/tanh gates
# (steep_sigmoid), linear units are linear gates already
REWRITTEN = {"relu": ("relu_as_product", "steep_sigmoid"), "threshold": ("steep_sigmoid",),
             "sign": ("steep_sigmoid",), "linear": ()}
SIGMOIDAL = ("sigmoid", "tanh")


def _rewritten_view(q, base, view: View) -> View | None:
    """A feed-forward view whose hidden units mix sigmoid/tanh with relu, threshold, sign or linear
    units, rewritten as sigmoid, linear and multiplication gates (lemmas relu_as_product and
    threshold_as_steep_sigmoid): the same programmable parameters, 2 more nodes per relu unit. Only
    results that allow multiplication and linear gates see it (the view is multiplicative)."""
    names = {str(a) for a in q.hidden_activations}
    if view.topology != "feedforward" or not names & set(SIGMOIDAL) or not names & set(REWRITTEN) \
            or not names <= set(SIGMOIDAL) | set(REWRITTEN):
        return None
    transforms = sorted({t for n in names for t in REWRITTEN.get(n, ())})
    lemmas = [base.lemmas.get(t) for t in transforms]
    if any(lem is None for lem in lemmas):
        return None
    per_act = q.units_by_activation()
    rec, ff = per_act.get("relu", (sp.Integer(0), sp.Integer(0)))
    T = q.seq_len if view.name.startswith("unrolled") else 1
    relus = sp.expand(T * rec + ff) if view.name.startswith("unrolled") else sp.expand(rec + ff)
    quantities = dict(view.quantities)
    quantities.update(_gate_rewritten_counts(quantities["U"], quantities["M"], quantities["L"], relus))
    kept = sorted(names & set(SIGMOIDAL))
    classes = frozenset.intersection(*(Activation_classes(n) for n in kept))
    out = View(view.name + " + units as gates", quantities, "feedforward", classes, "sigmoidal", True, True,
               list(view.steps), tied=view.tied, derived=True, has_bias=getattr(view, "has_bias", True))
    out.activation_names = view.activation_names
    words = {"relu_as_product": lambda U=quantities["U"]: f"each of the {_text(relus)} relu units becomes a "
                                "linear, a threshold and a multiplication gate (relu(z) = z H(z)): U = "
                                f"{_text(U)}, W unchanged",
             "steep_sigmoid": "threshold (and sign) gates are counted as steep logistic (tanh) gates: same "
                              "programmable parameters and nodes, for a bound in those alone"}
    for t, lem in zip(transforms, lemmas):
        out.steps.append(_lemma_step(lem, words[t], t, lem.locator, unsound=not lem.applicability_verified))
    if "linear" in names:
        out.steps.append(Step("definition", "linear_gates", None, "by definition", "definition",
                              "linear units are linear gates, which the result allows besides its activation"))
    return out


def Activation_classes(name: str) -> frozenset:
    from .classes import ACTIVATIONS, Activation
    return Activation(ACTIVATIONS[name]).classes


def _shared_as_gates_view(q, base, tied: View) -> View | None:
    """The tied unrolling with every use of a shared parameter made a multiplication gate fed by a
    linear gate that outputs the parameter (lemma ``shared_params_as_gates``): W programmable
    parameters, U + W + E nodes (E uses of a parameter: at most once per copy), depth 2 L + 1.
    Only results that allow multiplication (and linear) gates see it: the view is multiplicative."""
    lemma = base.lemmas.get("shared_as_gates")
    if lemma is None:
        return None
    T = q.seq_len
    uses = _unrolled_params(T, q.params, q.recurrent_params)
    quantities = dict(tied.quantities)
    quantities.update(_shared_gate_counts(tied.quantities["U"], tied.quantities["M"], tied.quantities["L"],
                                          q.params, uses))
    view = View("unrolled (shared parameters as gates)", quantities, "feedforward", tied.classes, tied.family,
                tied.nonlinear, True, [s for s in tied.steps if s.id != "unroll"] + [tied.steps[-1]], derived=True,
                has_bias=getattr(tied, "has_bias", True))
    view.steps[-1] = Step(**{**view.steps[-1].__dict__, "unsound": False})
    view.activation_names = tied.activation_names
    view.steps.append(_lemma_step(
        lemma, lambda U=quantities["U"], L=quantities["L"]:
        f"every use of a shared parameter becomes a multiplication gate fed by a linear gate that outputs the "
        f"parameter: W = {_text(q.params)} programmable parameters (other weights fixed), U = {_text(U)} nodes "
        f"({_text(uses)} uses of a parameter), depth <= {_text(L)}", "shared_as_gates", lemma.locator,
        unsound=not lemma.applicability_verified))
    return view


def _lemma_step(lemma, text, fallback_id, locator, unsound=False) -> Step:
    if lemma is None:
        return Step("definition", fallback_id, None, "by definition", "definition", text)
    return Step("lemma", lemma.id, None if lemma.source.verification == "definition" else lemma.source.key,
                lemma.locator, lemma.verification, text, unverified=lemma.locator.startswith("UNVERIFIED"),
                unsound=unsound)


# --------------------------------------------------------------------------------------------
# candidates
# --------------------------------------------------------------------------------------------
class _Deferred:
    """A substitution done when first asked for, once (candidates derived from another share it)."""

    __slots__ = ("_args", "_value")

    def __init__(self, *args):
        self._args, self._value = args, None

    def __call__(self):
        if self._value is None:
            self._value = _substitute(*self._args)
        return self._value


@dataclass
class Candidate:
    """One applicable route to a bound on a measure."""

    __repr__ = brief_repr("direction", "result.id", "canonical", "scope", "status")

    direction: str
    result: object
    view: View
    substituted: object       # the bound with the network's exact counts substituted (user symbols), or
                              # a _Deferred that builds it when first read (``exact``)
    form: object              # asy.Form: dominant terms in the regime
    canonical: str            # the bound in vcbound's quantities (W, U, L, T, ...)
    scope: str
    status: str               # published | derived
    steps: list
    conditions: list
    inner: list = field(default_factory=list)   # candidates of inner measures (bridges)

    @property
    def exact(self):
        """The bound with the network's exact counts substituted (built on first read: a query's
        answer needs only the dominant forms, and most candidates are never shown whole)."""
        if isinstance(self.substituted, _Deferred):
            self.substituted = self.substituted()
        return self.substituted

    @property
    def user_files(self) -> list[str]:
        """The user's theorem files this route uses (its own result and those of inner bounds)."""
        own = [user_file(self.result)] if user_file(self.result) else []
        return _union_files([own] + [ic.user_files for ic in self.inner])

    @property
    def status_label(self) -> str:
        return status_label(self.status, self.user_files)

    @property
    def unsound(self) -> bool:
        return any(_walk_unsound(s) for s in self.steps)

    @property
    def unverified(self) -> bool:
        return any(_walk_unverified(s) for s in self.steps)

    @property
    def citations(self) -> list[str]:
        keys: list[str] = []
        for s in self.steps:
            _collect_keys(s, keys)
        return keys

    @property
    def verification(self) -> str:
        levels = []
        for s in self.steps:
            _collect_levels(s, levels)
        return max(levels, key=LEVELS.index) if levels else "definition"

    @property
    def bound_expr(self):
        return self.form.expr()


def _walk_unsound(s: Step) -> bool:
    return s.unsound or any(_walk_unsound(c) for c in s.children)


def _walk_unverified(s: Step) -> bool:
    return s.unverified or any(_walk_unverified(c) for c in s.children)


def _collect_keys(s: Step, out: list):
    if s.citation and s.citation not in out:
        out.append(s.citation)
    for c in s.children:
        _collect_keys(c, out)


def _collect_levels(s: Step, out: list):
    if s.verification in LEVELS:
        out.append(s.verification)
    for c in s.children:
        _collect_levels(c, out)


def user_file(result) -> str:
    """The path of the user's theorem file a result comes from, or "" for the built-in base."""
    path = getattr(result, "path", "") or ""
    if not path:
        return ""
    return "" if _in_builtin_dir(path) else path


@lru_cache(maxsize=1024)
def _in_builtin_dir(path: str) -> bool:
    import os
    from .paths import theorems_dir
    return os.path.dirname(os.path.realpath(path)) == os.path.realpath(theorems_dir())


def _union_files(lists) -> list[str]:
    out: list[str] = []
    for files in lists:
        out += [f for f in files if f not in out]
    return out


def status_label(status: str, files) -> str:
    """How a bound's standing is printed: ``published``, ``derived``, or for results from the
    user's own theorem files ``user result (path)``, in every format."""
    if status == "user":
        return "user result (" + ", ".join(files) + ")"
    return status


@dataclass
class Miss:
    """A result that did not apply, and why (the nearest misses are shown when nothing applies)."""

    __repr__ = brief_repr("result.id", "reasons")

    result: object
    reasons: list

    def __str__(self) -> str:
        return f"{self.result.id} [{self.result.source.key}]: " + "; ".join(self.reasons)


def _requirement_misses(result, view: View, direction: str = "upper", regime=None) -> list[str]:
    reasons = _depth_misses(result, view, regime) + list(_fact_misses(result, direction, _view_facts(view)))
    if _norm_letters(result):
        # norm quantities are computed when first read, so their presence is not among the facts
        _quantity_misses(result, view.quantities, reasons)
    if not reasons:
        failed, _open = condition_status(result, view)
        reasons += [f"condition {c} fails for this network" for c in failed]
    return reasons


# the letters' quantities that are not counts of the network: measures (bridges) and sample symbols
_NOT_COUNTS = frozenset({"vc", "pdim", "m", "eps", "delta"})


def _quantity_misses(result, quantities, reasons: list) -> None:
    """Append to ``reasons`` the quantities the result's letters stand for that this network does not
    have (``quantities``: the view's table, or the set of those it has)."""
    for letter, quantity in result.symbols.items():
        if quantity in _NOT_COUNTS:
            continue
        if reasons and quantity in ALL_NORM_QUANTITIES:
            continue        # norm quantities exist only for feed-forward chains: the topology reason says it
        if (quantity not in quantities) if isinstance(quantities, frozenset) else quantities.get(quantity) is None:
            reasons.append(f"needs {quantity} ({letter} in the paper), which this network does not have"
                           + (" (no sequence input)" if quantity == "T" else ""))


@lru_cache(maxsize=4096)
def _norm_letters(result) -> bool:
    """Whether a result's letters include a norm quantity (``tensors.ALL_NORM_QUANTITIES``)."""
    return any(q in ALL_NORM_QUANTITIES for q in result.symbols.values())


class _Facts:
    """What a view's requirement checks read besides its counts' values: topology, activation classes
    and names, gates, bias, each weighted layer's activation, which quantities it has (norm
    quantities aside: they are computed when first read).
    Networks of one family share them (every width of a ReLU chain), so the checks are memoised by
    them (``_fact_misses``); the hash is computed once per view (a 10,000-layer chain's layer list is
    long)."""

    __slots__ = ("key", "_hash")

    def __init__(self, key: tuple):
        self.key = key
        self._hash = hash(key)

    def __hash__(self):
        return self._hash

    def __eq__(self, other):
        return self is other or (isinstance(other, _Facts) and self._hash == other._hash and self.key == other.key)


def _view_facts(view: View) -> _Facts:
    facts = view.__dict__.get("_facts")
    if facts is None:
        facts = _Facts((view.topology, view.classes, view.family, view.nonlinear, view.multiplicative,
                        view.activation_names, view.has_bias, view.zero_at_zero, view.layer_activations,
                        # dict.items: the table as it is, without computing the norm quantities
                        frozenset(k for k, v in dict.items(view.quantities)
                                  if v is not None and k not in ALL_NORM_QUANTITIES)))
        # one object per distinct facts: the memo's key comparisons are then identity checks, not
        # comparisons of every layer's activation on each lookup
        if len(_FACTS) > 4096:
            _FACTS.clear()
        facts = view.__dict__["_facts"] = _FACTS.setdefault(facts, facts)
    return facts


_FACTS: dict = {}


@lru_cache(maxsize=8192)
def _fact_misses(result, direction: str, facts: _Facts) -> tuple:
    """The reasons a result does not apply that depend only on the view's facts (``_Facts``), in
    the order they are shown."""
    (topology, classes, family, nonlinear, multiplicative, activation_names, has_bias, zero_at_zero,
     layer_activations, present) = facts.key
    req = result.requires
    reasons = []
    act = req.get("activation", "any")
    if (direction == "lower" and act != "any" and act in classes and not req.get("fixed_activation")
            and family not in _closure(act)):
        reasons.append(f"its construction may use any {act.replace('_', ' ')} activations, a broader family "
                       f"than this network's {family.replace('_', ' ')} one")
    topo = req.get("topology", "any")
    if not topology_in(topology, topo):
        reasons.append(f"needs topology {topo}; this network is {topology.replace('_', ' ')}")
    if act != "any" and act not in classes:
        have = ", ".join(sorted(c for c in classes if c != "any"))
        reasons.append(f"needs every activation in {act}; " + (f"this network's activations are in {have}" if have
                       else f"this network mixes {' and '.join(activation_names)} activations, which share no "
                            "class below 'any'"))
    if act != "any" and act not in classes and result.multiplication and act in ("sigmoid", "sigmoidal"):
        stuck = sorted(set(activation_names) - set(SIGMOIDAL) - set(REWRITTEN))
        if stuck:
            reasons.append(f"relu, threshold, sign and linear units can be rewritten as gates it allows (lemmas "
                           f"relu_as_product, threshold_as_steep_sigmoid), but no lemma in the base rewrites "
                           f"{' or '.join(stuck)} units")
    excl = req.get("excludes")
    if excl and excl in classes:
        reasons.append(f"does not cover networks whose activations are all {excl.replace('_', ' ')}")
    if multiplicative and not result.multiplication:
        reasons.append("does not allow multiplication gates; this network has gated cells (LSTM/GRU)")
    if req.get("nonlinear") and not nonlinear:
        reasons.append("needs a nonlinear activation; this network is affine")
    if req.get("bias") is False and has_bias:
        reasons.append("is stated for networks without bias terms; this network has biases (write bias=false)")
    reasons += _layer_activation_misses(req, layer_activations)
    if req.get("zero_at_zero") and not zero_at_zero:
        reasons.append("needs every activation Lipschitz with sigma(0) = 0 (linear, relu, leaky_relu, hardtanh, "
                       "tanh); this network has " + (", ".join(activation_names) or "other activations"))
    if not _norm_letters(result):
        _quantity_misses(result, present, reasons)
    return tuple(reasons)


def _layer_activation_misses(req, layers: tuple) -> list[str]:
    """``hidden_activation`` (every layer but the last has its activation in this class; gated cells never)
    and ``linear_output`` (the last layer is affine: NBS's f_w = W_d phi(... phi(W_1 x)))."""
    hidden, linear_out = req.get("hidden_activation"), req.get("linear_output")
    if hidden is None and not linear_out:
        return []
    if not layers:
        return ["its hypotheses on each layer's activation cannot be checked in this view of the network"]
    out = []
    if hidden is not None and hidden != "any":
        bad = [f"{kind}({act})" if kind != "dense" else str(act) for kind, act in layers[:-1]
               if kind in ("lstm", "gru") or act is None or hidden not in act.classes]
        if bad:
            out.append(f"needs every hidden layer's activation in {hidden.replace('_', ' ')}; "
                       f"this network's hidden layers have {', '.join(dict.fromkeys(bad))}")
    if linear_out:
        kind, act = layers[-1]
        if kind != "dense" or act is None or not act.kind.affine:
            out.append(f"needs a linear last layer; this network's last layer is {kind}"
                       + (f" with activation {act}" if act is not None else ""))
    return out


def _depth_misses(result, view: View, regime=None) -> list[str]:
    """``requires.depth = Q`` (W or U): the construction's depth grows linearly with Q (Koiran-Sontag's
    Omega(W^2) nets compute a binary expansion one layer pair per bit). Such a network has the
    depth L of this family only if Q = O(L) here: never for a fixed depth; for a symbolic depth
    only in a regime where the widths stay bounded (L <= Q always, so then L = Theta(Q))."""
    need = result.requires.get("depth")
    if need is None:
        return []
    return list(_depth_reasons(need, view.quantities.get("L"), view.quantities.get(need), regime or asy.Regime()))


@lru_cache(maxsize=1024)
def _depth_reasons(need: str, depth, size, regime) -> tuple:
    """``_depth_misses`` for these counts (memoised: every view of a recurrent net asks it of each
    construction that needs depth, and sympy walks the depth for its symbols each time)."""
    what = {"W": "its number of parameters W", "U": "its number of units U"}[need]
    head = f"its construction has depth growing linearly with {what}"
    if depth is None or size is None:
        return (f"{head}; this network has no {'depth' if depth is None else need}",)
    if not regime.apply(depth).free_symbols:
        return (f"{head}; this network has fixed depth {_text(depth)}",)
    if asy.compare(size, depth, regime) not in ("less", "equal"):
        return (f"{head}; here the depth L = {_text(depth)} is not of the order of {need} = {_text(size)} "
                f"({regime.describe()}): the widths grow too (bounded widths, e.g. --assume 'n = 2', ask about "
                "deep narrow networks)",)
    return ()


def condition_status(result, view: View) -> tuple[list[str], list[str]]:
    """Split a result's conditions, with the network's counts substituted, into those that fail
    (decidably false, e.g. Sakurai's d >= 1 for a threshold net of degree 0, or an equality such
    as L = 2 that is not an identity for this family) and those left open (shown as "holds when").
    Conditions decidably true are dropped."""
    if not result.conditions:
        return [], []
    quantities = _condition_quantities(result)
    failed, open_ = _condition_status(result, quantities, tuple(view.quantities.get(q) for q in quantities))
    return list(failed), list(open_)


@lru_cache(maxsize=4096)
def _condition_quantities(result) -> tuple:
    """The quantities a result's conditions mention (what their status depends on)."""
    letters = {s.name for c in result.conditions for s in c.lhs.free_symbols | c.rhs.free_symbols}
    return tuple(sorted({result.symbols[x] for x in letters if x in result.symbols}))


@lru_cache(maxsize=4096)
def _condition_status(result, quantities: tuple, values: tuple) -> tuple[tuple, tuple]:
    """``condition_status`` for these values of the quantities (memoised: the requirement check and
    the candidate ask it of every view, and a session asks again of the same counts)."""
    lookup = dict(zip(quantities, values))
    failed, open_ = [], []
    for cond, canon in zip(result.conditions, result.canonical_conditions):
        if cond.rel not in (">>", "<<"):
            lv, rv = _rational_value(result, cond.lhs, lookup), _rational_value(result, cond.rhs, lookup)
            if lv is not None and rv is not None:
                # both sides are numbers here (a network of numeric widths): decided exactly, without
                # building sympy expressions
                holds = {"=": lv == rv, ">": lv > rv, ">=": lv >= rv, "<": lv < rv, "<=": lv <= rv}[cond.rel]
                if not holds:
                    failed.append(canon.text)
                continue
        lhs = _substitute_expr(result, cond.lhs, lookup)
        rhs = _substitute_expr(result, cond.rhs, lookup)
        if lhs is None or rhs is None or cond.rel in (">>", "<<"):
            open_.append(canon.text)
            continue
        diff = lhs - rhs if _polynomial_sum(lhs) and _polynomial_sum(rhs) else sp.expand(lhs - rhs)
        constants = {s for s in diff.free_symbols if s.name in result.constants}
        if cond.rel == "=":
            if diff == 0:
                continue
            if not constants:
                failed.append(canon.text)
                continue
            open_.append(canon.text)
            continue
        if diff.free_symbols:
            open_.append(canon.text)
            continue
        truth = {">": diff > 0, ">=": diff >= 0, "<": diff < 0, "<=": diff <= 0}[cond.rel]
        if not bool(truth):
            failed.append(canon.text)
    return tuple(failed), tuple(open_)


def _rational_value(result, expr, quantities):
    """The exact value (int or Fraction) of a condition's side when every letter in it is a
    rational number for this network and it is built of sums, products and integer powers; else
    None (then the condition is decided on the substituted sympy expression)."""
    if expr.is_Rational:
        return exact_rational(expr)
    if expr.is_Symbol:
        quantity = result.symbols.get(expr.name)
        if quantity is None or quantity in _NOT_COUNTS:
            return None
        value = quantities.get(quantity)
        if value is None or not getattr(value, "is_Rational", False):
            return None
        return exact_rational(value)
    if expr.is_Add or expr.is_Mul:
        parts = [_rational_value(result, a, quantities) for a in expr.args]
        if any(p is None for p in parts):
            return None
        return sum(parts) if expr.is_Add else math.prod(parts)
    if expr.is_Pow and expr.exp.is_Integer and abs(expr.exp) <= 64:
        base = _rational_value(result, expr.base, quantities)
        if base is None or (base == 0 and expr.exp < 0):
            return None
        return Fraction(base) ** int(expr.exp)
    return None


def _polynomial_sum(expr) -> bool:
    """Whether ``expr`` is a sum of monomials (a count, a number, a letter): the difference of two
    such sums is already what expand() would give (sympy merges like terms and distributes -1),
    and expand() walked every term of both counts again (17 ms for one condition on a 10-layer
    chain of distinct widths)."""
    return all(_monomial(t) for t in sp.Add.make_args(expr))


def _monomial(expr) -> bool:
    if expr.is_Number or expr.is_Symbol:
        return True
    if expr.is_Pow:
        return expr.base.is_Symbol and expr.exp.is_Integer
    return expr.is_Mul and all(a.is_Number or a.is_Symbol or (a.is_Pow and a.base.is_Symbol and a.exp.is_Integer)
                               for a in expr.args)


def _substitute_expr(result, expr, quantities):
    mapping = {}
    for s in expr.free_symbols:
        quantity = result.symbols.get(s.name)
        if quantity is None:
            continue            # an unspecified constant (C): left symbolic
        if quantity in _NOT_COUNTS:
            return None
        value = quantities.get(quantity)
        if value is None:
            return None
        mapping[s] = value
    return expr.xreplace(mapping)


MAX_EXACT_EXPONENT = 10**6    # a numeric power beyond this is not computed exactly (2^(10^20) never ends)


def _huge_exponent(result, mapping: dict):
    """The first exponent of the result's bound that becomes a number beyond MAX_EXACT_EXPONENT
    for this network (``mapping``: ``_mapping``; a numeric width of 10^20 units in ``(1 + p)^U``),
    or None."""
    pows = _symbolic_powers(result.bound)
    if not pows:
        return None
    for p in pows:
        value = p.exp.xreplace(mapping)
        if value.is_number and value.is_real and abs(value) > MAX_EXACT_EXPONENT:
            return value
    return None


def _short_number(value) -> str:
    text = str(value)
    return text if len(text) <= 30 else f"about {sp.N(value, 3)}"


def _substitute(result, mapping: dict):
    """The result's bound with the paper's letters replaced by this view's counts (``mapping``:
    ``_mapping``).

    The letters that are numbers go first: when they alone make the bound undefined (the log of 0
    breakpoints of an activation with none), the caller refuses the result whatever the other
    counts are (zoo and nan never leave an expression when positive counts are substituted), and
    sympy's handling of zoo next to a long symbolic count is slow (its finiteness questions took
    40 ms of a 10-layer chain of distinct widths)."""
    numeric = {k: v for k, v in mapping.items() if isinstance(v, int) or getattr(v, "is_Number", False)}
    if len(numeric) == len(mapping):
        # every letter a number (numeric widths): the activation's numbers, which a family shares,
        # first; the widths change from network to network
        numeric = {k: v for k, v in numeric.items() if result.symbols.get(k.name) in _ACTIVATION_QUANTITIES}
    if numeric and len(numeric) < len(mapping):
        partial = _substituted(result.bound, tuple(numeric.items()))
        if partial == 0 or partial.has(sp.zoo, sp.nan):
            return partial          # 0 (a degree-0 factor) stays 0 whatever the other counts are
    return _substituted(result.bound, tuple(mapping.items()))


_ACTIVATION_QUANTITIES = frozenset({"pieces", "breakpoints", "degree"})


@lru_cache(maxsize=1024)
def _substituted(bound, items: tuple):
    """``bound.xreplace(dict(items))``, memoised: a family of networks shares the numbers of its
    activation (refusing a bound they make undefined was a fifth of a query), and a query asked
    again with the answer cache cleared (or another measure of the same network) substitutes the
    same counts again."""
    return bound.xreplace(dict(items))


def _mapping(result, view: View, inner: dict) -> dict:
    """The paper's letters -> this view's counts (inner measures, free sample symbols, constants 1)."""
    letters, constants = _letters(result)
    mapping = {}
    for sym, quantity in letters:
        if quantity in inner:
            mapping[sym] = inner[quantity]
        elif quantity in ("m", "eps", "delta"):
            mapping[sym] = _free_symbol(quantity)
        else:
            mapping[sym] = view.quantities[quantity]
    for sym in constants:
        mapping[sym] = sp.Integer(1)
    return mapping


@lru_cache(maxsize=4096)
def _letters(result) -> tuple:
    """((symbol, quantity) of each letter, symbols of the constants) of a result, in its order."""
    return (tuple((_letter_symbol(result, letter), quantity) for letter, quantity in result.symbols.items()),
            tuple(_letter_symbol(result, c) for c in result.constants))


def _letter_symbol(result, letter):
    sym = _bound_symbols(result.bound).get(letter)
    if sym is not None:
        return sym
    return make_symbol(letter)


@lru_cache(maxsize=4096)
def _bound_symbols(bound) -> dict:
    """A theorem bound's symbols by name (sympy recomputes ``free_symbols`` on every access, and
    every query maps every letter of every applicable result)."""
    return {s.name: s for s in bound.free_symbols}


@lru_cache(maxsize=4096)
def _symbolic_powers(bound) -> tuple:
    """The powers in a theorem bound whose exponent has a symbol (``(1 + p)^U``)."""
    return tuple(p for p in bound.atoms(sp.Pow) if p.exp.free_symbols)


def _free_symbol(name):
    return make_symbol(name)


def _result_step(result, view: View, children=()) -> Step:
    def subs():
        return ", ".join(f"{k} -> {v}" + (f" = {_text(view.quantities[v])}" if v in view.quantities
                                          and view.quantities[v] is not None else "")
                         for k, v in result.symbols.items())
    return Step("result", result.id, result.source.key, result.locator, result.verification,
                f"{_direction_word(result.direction)} {result.bound_text}"
                + (f" (when {', '.join(c.text for c in result.conditions)})" if result.conditions else ""),
                detail_text=subs, unverified=result.locator.startswith("UNVERIFIED"),
                children=list(children))


def _direction_word(direction):
    return {"upper": "upper bound", "lower": "lower bound", "exact": "exact value"}[direction]


def _candidates(q, base, measure, regime, views, cache, depth=0) -> tuple[list, list, list]:
    """All applicable upper and lower candidates for ``measure``, and the misses."""
    key = measure
    if key in cache:
        return cache[key]
    cache[key] = ([], [], [])    # guards against cyclic bridges
    uppers, lowers, misses = [], [], []
    for result in base.results_for(measure):
        directions = ["upper", "lower"] if result.direction == "exact" else [result.direction]
        inner_measures = _inner_measures(result)
        in_exponent = _measures_in_exponent(result) if inner_measures else set()   # bridges only: parsing every bound costs a cold query 0.4 s
        for direction in directions:
            best_miss = None
            for view in views:
                if direction == "lower" and view.derived and not view.lower_only:
                    continue   # lower bounds (constructions) do not transfer through transforms
                if view.lower_only and (direction != "lower" or result.requires.get("activation") != "threshold"):
                    continue   # the simulation lemma moves threshold constructions only
                if view.derived and result.class_generic:
                    continue   # a statement about any class: the network's own view is the only one needed
                if view.tied and not result.tied_weights and direction == "upper":
                    pass       # allowed, but the route is marked UNVERIFIED (see the unroll step)
                reasons = _requirement_misses(result, view, direction, regime)
                if reasons:
                    if view.name == "network" or best_miss is None:
                        best_miss = reasons
                    elif not view.tied and len(reasons) < len(best_miss) \
                            and any(r.startswith("needs topology") for r in best_miss):
                        # nearer through a sound transform (e.g. unrolling): name what is still missing there
                        best_miss = [f"via {view.name}: {reasons[0]}"] + reasons[1:]
                    continue
                inner_vals, inner_cands, ok = {}, [], True
                for im in inner_measures:
                    iu_pool, il_pool = _settle(q, base, im, regime, views, cache)
                    pool = iu_pool if direction == "upper" else il_pool
                    if not pool:
                        ok = False
                        best_miss = [f"needs {'an upper' if direction == 'upper' else 'a lower'} bound on "
                                     f"{MEASURE_NAMES[im]}, and none applies"]
                        break
                    if im in in_exponent:
                        # (e m / d)^d: a constant factor in d is a power of m, so an inner bound known
                        # only up to constants gives no bound here; only explicit ones, as stated
                        def explicit(cands):
                            return [c for c in cands if c.result.form == "explicit" and not c.result.constants
                                    and not c.inner and not c.unsound]
                        # the best explicit bounds, else any sound explicit upper bound
                        pool = explicit(pool) or (explicit(_candidates(q, base, im, regime, views, cache)[0])
                                                  if direction == "upper" else [])
                        if not pool:
                            ok = False
                            best_miss = [f"raises to the power of the {MEASURE_NAMES[im]}, so it needs a bound on "
                                         f"it with its constants (form explicit); the applicable ones hold only "
                                         f"up to a constant factor"]
                            break
                        exacts = [c.exact for c in pool]
                        inner_vals[im] = exacts[0] if len(exacts) == 1 else \
                            (sp.Min if direction == "upper" else sp.Max)(*exacts)
                    else:
                        inner_vals[im] = _combine_exprs([c.bound_expr for c in pool], direction)
                    inner_cands.extend(pool)
                if not ok:
                    continue
                mapping = _mapping(result, view, inner_vals)
                huge = _huge_exponent(result, mapping)
                if huge is not None:
                    best_miss = [f"the bound raises a number to the power {_short_number(huge)} for this network, "
                                 f"too large to compute exactly (at most {MAX_EXACT_EXPONENT})"]
                    continue
                # the dominant form straight from the counts' forms where the engine can compose it (a
                # positive, finite bound: nothing to refuse); else substitute, check and reduce
                form = asy.dominant_substituted(result.bound, mapping, regime)
                if form is not None:
                    exact = _Deferred(result, mapping)
                else:
                    exact = _substitute(result, mapping)
                    if exact.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
                        best_miss = ["the bound is undefined for this network (e.g. the log of 0 breakpoints "
                                     "of a polynomial activation)"]
                        continue
                    if exact.is_number and not exact.is_positive:
                        best_miss = [f"the bound degenerates to {exact} for this network (e.g. 0 breakpoints of "
                                     "a polynomial activation, outside the theorem's hypotheses)"]
                        continue
                    form = asy.dominant(exact, regime)
                steps = list(view.steps)
                children = []
                for ic in inner_cands:
                    children.append(Step("bridge", f"{ic.result.id}", ic.result.source.key, ic.result.locator,
                                         ic.result.verification,
                                         f"{MEASURE_NAMES[ic.result.measure]} {'<=' if direction == 'upper' else '>='} "
                                         f"{_pretty(ic.bound_expr)} ({ic.status})", children=list(ic.steps)))
                rstep = _result_step(result, view, children)
                if view.tied and not result.tied_weights:
                    rstep.unsound = True
                    rstep.text += " [applied to shared weights: UNVERIFIED" + (
                        f"; {result.tied_weights_summary}]" if result.tied_weights_summary else "]")
                steps.append(rstep)
                cls = _class_step(result, view)
                if cls is not None:
                    steps.insert(len(view.steps), cls)
                status = "derived" if (view.derived or inner_measures) else "published"
                if user_file(result) or any(ic.status == "user" for ic in inner_cands):
                    status = "user"       # never "published": the user's file is not a publication vcbound checked
                scope = "every" if direction == "upper" else result.scope
                cand = Candidate(direction, result, view, exact, form, _canonical_text(result, view, inner_vals),
                                 scope, status, steps, condition_status(result, view)[1], inner_cands)
                (uppers if direction == "upper" else lowers).append(cand)
                best_miss = None
            if best_miss:
                misses.append(Miss(result, best_miss))
    cache[key] = (uppers, lowers, misses)
    return cache[key]


@lru_cache(maxsize=4096)
def _inner_measures(result) -> tuple:
    """The measures (vc, pdim) a bridge result's bound reads, sorted (() for every other result)."""
    return tuple(sorted({v for v in result.symbols.values() if v in ("vc", "pdim")}))


def _measures_in_exponent(result) -> set:
    """Inner measures (vc, pdim) whose letter occurs in an exponent of the result's bound."""
    letters = {s.name for p in result.bound.atoms(sp.Pow) for s in p.exp.free_symbols}
    return {q for letter, q in result.symbols.items() if q in ("vc", "pdim") and letter in letters}


@lru_cache(maxsize=4096)
def _text(expr) -> str:
    """``str`` of a sympy value, memoised: every result of a query prints the same W, U and L, and
    sympy's printer was half the time of a warm query."""
    return str(expr)


def _canonical_text(result, view: View, inner: dict) -> str:
    """The bound in vcbound's quantities (W, U, L, T, ...), constants dropped, activation shape
    (pieces, degree) substituted by their values; names the view when it is not the network."""
    key = view.__dict__.get("_shape_key")
    if key is None:
        # the view's activation shape, the same for every result (read once per view)
        shape = tuple((q, view.quantities.get(q)) for q in ("pieces", "breakpoints", "degree"))
        # a shape of 0 (degree 0 of threshold units) turns d^(L-1) into 0^(L-1): its value depends on
        # the network's own sizes, which are then part of the key
        sizes = tuple((q, view.quantities.get(q)) for q in ("W", "U", "L", "T", "D")) \
            if any(v == 0 for _q, v in shape) else ()
        key = view.__dict__["_shape_key"] = (shape, sizes)
    shape, sizes = key
    return _canonical_text_cached(result, view.name, view.derived, shape, tuple(sorted(inner)) if inner else (),
                                  sizes)


def _zero_powers(expr, sizes: dict):
    """``0^e`` with a symbolic exponent e in vcbound's quantities, evaluated for the network (sizes):
    0 when e > 0 there (0^(L-1) with depth L >= 2), 1 when e = 0; left as it is otherwise."""
    mapping = {make_symbol(q): v for q, v in sizes.items() if v is not None}
    repl = {}
    for p in expr.atoms(sp.Pow):
        if p.base == 0 and p.exp.free_symbols:
            value = p.exp.xreplace(mapping)
            if value.is_positive:
                repl[p] = sp.Integer(0)
            elif value == 0:
                repl[p] = sp.Integer(1)
    return expr.xreplace(repl) if repl else expr


@lru_cache(maxsize=4096)
def _canonical_text_cached(result, view_name: str, derived: bool, shape: tuple, inner: tuple,
                           sizes: tuple = ()) -> str:
    """``_canonical_text`` for one result, view name and activation shape (memoised: it depends on
    nothing else, and the dominant-term reduction behind it repeats on every query)."""
    shape = dict(shape)
    mapping = {}
    for letter, quantity in result.symbols.items():
        sym = _letter_symbol(result, letter)
        value = shape.get(quantity)
        if quantity in ("pieces", "breakpoints", "degree") and value is not None:
            mapping[sym] = value
        elif quantity in inner:
            mapping[sym] = make_symbol(quantity.upper() if quantity == "vc" else quantity)
        else:
            mapping[sym] = make_symbol(quantity)
    for c in result.constants:
        mapping[_letter_symbol(result, c)] = sp.Integer(1)
    try:
        text = _pretty(asy.dominant(_zero_powers(result.bound.xreplace(mapping), dict(sizes))).expr())
    except Exception:   # noqa: BLE001 - display only; fall back to the stored form
        text = _pretty(result.canonical_bound)
    if derived:
        text += f"  [W, U, L of the {view_name} network]" if view_name.startswith("unrolled") else f"  [{view_name}]"
    return text


def _settle(q, base, measure, regime, views, cache) -> tuple[list, list]:
    """The best upper and lower pools of an inner measure (for bridges), with the same
    conflict filtering as the top-level answer."""
    key = ("settled", measure)
    if key not in cache:
        cache[key] = ([], [])          # guards against cyclic bridges
        uppers, lowers, _misses = _candidates(q, base, measure, regime, views, cache)
        upper_pool = _best_pool(uppers, "upper", regime)
        _conflicts, lower_pool = settle_lowers(lowers, upper_pool, regime)
        cache[key] = (upper_pool, lower_pool)
    return cache[key]


def _class_step(result, view: View):
    act = result.requires.get("activation", "any")
    if act == "any":
        return None
    text = _class_inclusion(act, view.classes)
    if text is None:
        return None
    return Step("definition", "class_inclusion", None, "by definition", "definition", text)


@lru_cache(maxsize=1024)
def _class_inclusion(act: str, classes: frozenset) -> str | None:
    """What the class-inclusion step says (the most specific of the network's classes below
    ``act``), or None when none is."""
    specific = sorted(c for c in classes if c != act and act in _closure(c))
    return f"this network's activations are in {specific[0]}, a subclass of {act}" if specific else None


def _closure(c):
    return CLASS_CLOSURE.get(c, frozenset())


def _combine_exprs(exprs, direction):
    if len(exprs) == 1:
        return exprs[0]
    return sp.Min(*exprs, evaluate=False) if direction == "upper" else sp.Max(*exprs, evaluate=False)


def _best_pool(cands, direction, regime) -> list:
    """The candidates that make up the best bound: sound routes first, incomparable ones all kept."""
    if not cands:
        return []
    sound = [c for c in cands if not c.unsound] or cands
    rank = {id(c): _preference(c) for c in sound}     # each candidate's key once (it walks the steps)
    chosen = []
    for c in sound:
        beaten = False
        for d in sound:
            if d is c:
                continue
            rel = asy.compare(d.form, c.form, regime)
            better = "less" if direction == "upper" else "greater"
            if rel == better:
                beaten = True
                break
            if rel == "equal" and rank[id(d)] < rank[id(c)]:
                beaten = True
                break
        if not beaten:
            chosen.append(c)
    return chosen


def _preference(c: Candidate) -> tuple:
    """The order between equal bounds (smaller first): published over derived, verified over not, a
    result stated for the class over an extension to multiplication gates the network does not have
    (Karpinski-Macintyre over Schmitt's remark for a plain sigmoid net; only multiplication-allowing
    results reach gated cells), the better-read source (a journal read in full over an OCR conference
    text), then fewer conditions."""
    return (c.status != "published", c.unverified, bool(c.result.requires.get("multiplication", False)),
            LEVELS.index(c.verification), len(c.conditions), c.result.id)


def _pretty(expr) -> str:
    return _text(expr).replace("**", "^")


# --------------------------------------------------------------------------------------------
# the answer
# --------------------------------------------------------------------------------------------
@dataclass
class Bound:
    """The best bound in one direction: one candidate, or the min/max of incomparable ones."""

    __repr__ = brief_repr("direction", "form", "citations")

    direction: str
    form: object
    candidates: list

    @property
    def expr(self):
        return self.form.expr()

    @property
    def status(self) -> str:
        if any(c.status == "user" for c in self.candidates):
            return "user"
        return "published" if all(c.status == "published" for c in self.candidates) else "derived"

    @property
    def user_files(self) -> list[str]:
        return _union_files([c.user_files for c in self.candidates])

    @property
    def status_label(self) -> str:
        return status_label(self.status, self.user_files)

    @property
    def scope(self) -> str:
        return "exists" if any(c.scope == "exists" for c in self.candidates) else "every"

    @property
    def citations(self) -> list[str]:
        keys = []
        for c in self.candidates:
            for k in c.citations:
                if k not in keys:
                    keys.append(k)
        return keys

    @property
    def conditions(self) -> list[str]:
        out = []
        for c in self.candidates:
            out += [x for x in c.conditions if x not in out]
        return out

    @property
    def unverified(self) -> bool:
        return any(c.unverified for c in self.candidates)

    @property
    def unsound(self) -> bool:
        return any(c.unsound for c in self.candidates)

    @property
    def canonical(self) -> str:
        return " ; ".join(c.canonical for c in self.candidates)


@dataclass
class Conflict:
    """A lower bound that exceeds an upper bound on the same family: reported, never hidden."""

    __repr__ = brief_repr("lower.result.id", "upper.result.id")

    lower: Candidate
    upper: Candidate

    def __str__(self) -> str:
        return (f"conflict: lower bound {self.lower.result.id} ({_pretty(self.lower.bound_expr)}) grows faster "
                f"than upper bound {self.upper.result.id} ({_pretty(self.upper.bound_expr)}); the lower bound "
                "is not used")


@dataclass(repr=False)     # the one-line repr comes from Presentable
class Resolution(Presentable):
    """Everything vcbound knows about one measure of one network. ``str()`` is the text report."""

    arch: object
    quantities: object
    measure: str
    regime: object
    upper: Bound | None
    lower: Bound | None
    tight: bool
    uppers: list
    lowers: list
    misses: list
    conflicts: list
    notes: list
    growth_upper: dict = field(default_factory=dict)
    growth_lower: dict = field(default_factory=dict)
    base: object = None          # the TheoremBase the answer came from (renderers look up sources)

    @property
    def no_result(self) -> bool:
        return self.upper is None and self.lower is None

    # str(), to_json() and the Jupyter reprs come from Presentable: vcbound.render.reprs says which
    # renderer shows a Resolution (the resolver does not import the renderers)


def bound(text_or_arch, measure: str = "vc", assume=(), convention: str = "torch",
          theorem_dirs=(), base=None) -> Resolution:
    """Resolve the best cited upper and lower bounds on ``measure`` for an architecture.

    >>> r = bound("input(d, seq=T) -> rnn(n, act=sigmoid) -> last -> dense(1, act=threshold)")
    >>> r.upper.candidates[0].result.id
    'koiran_sontag_1998_sigmoid_upper'
    >>> r.lower.scope
    'exists'
    """
    from .errors import UsageError
    from .graph import as_architecture
    from .quantities import count
    if measure not in MEASURES:
        raise UsageError(f"unknown measure '{measure}' (expected one of: {', '.join(MEASURES)})")
    if base is None:
        from .theorems import load_theorems
        base = load_theorems(theorem_dirs)
    from .graph import Architecture
    if isinstance(assume, str):
        assume = [assume]
    text = text_or_arch.text if isinstance(text_or_arch, Architecture) else text_or_arch
    key = (text, convention, measure, tuple(str(a) for a in assume), id(base))
    hit = _RESOLUTIONS.get(key)
    if hit is not None and hit[0] is base:
        return hit[1]
    q = count(as_architecture(text_or_arch), convention)
    regime = make_regime(assume, q)
    res = resolve(q, base, measure, regime)
    if len(_RESOLUTIONS) > 256:
        _RESOLUTIONS.clear()
    _RESOLUTIONS[key] = (base, res)
    return res


# answers already computed in this process (the REPL and notebooks ask the same thing repeatedly);
# keyed by the architecture text, options and the theorem base object (which changes when files do)
_RESOLUTIONS: dict = {}


def _symbolic_exponent_notes(candidates) -> list[str]:
    """Norm-based bounds of repeated layers contain powers like spec_1^L (one norm per copy, at fixed
    norms); the growth exponents count polynomial and log factors only, so say what they leave out."""
    powers = sorted({str(p) for c in candidates for p in to_sympy(c.exact).atoms(sp.Pow)
                     if p.exp.free_symbols and p.base.free_symbols} if candidates else set())
    if not powers:
        return []
    return [f"the bound contains {', '.join(powers)}: at fixed norms it grows (norm > 1) or decays (norm < 1) "
            "exponentially in the exponent (a repeat count or the sequence length); the growth exponents shown "
            "count polynomial and log factors only."]


def make_regime(assume, q=None) -> asy.Regime:
    """Assumptions from text (``"T >> n"``, ``"d = n"``) or Condition objects."""
    from .expressions import Condition, parse_condition
    if isinstance(assume, str):
        assume = [a for a in assume.split(";") if a.strip()] if assume.strip() else []
    conds = []
    for a in assume:
        c = a if isinstance(a, Condition) else parse_condition(a, filename="--assume", integer_symbols=True)
        if q is not None:
            known = q.symbols()
            for s in c.lhs.free_symbols | c.rhs.free_symbols:
                if s.name not in known:
                    from .errors import UsageError, did_you_mean
                    raise UsageError(f"--assume '{c.text}': '{s.name}' is not a symbol of this architecture "
                                     f"{did_you_mean(s.name, known, 'symbol') if known else ''}".rstrip())
        conds.append(c)
    return asy.Regime.from_conditions(conds)


def resolve(q, base, measure: str, regime: asy.Regime | None = None) -> Resolution:
    """The core: candidates over every view, best upper (min), best lower (max), tightness."""
    regime = regime or asy.Regime()
    views = _views(q, base, measure)
    cache: dict = {}
    uppers, lowers, misses = _candidates(q, base, measure, regime, views, cache)
    notes = []
    if measure == "pdim":
        pu, pl, pm = _pdim_routes(q, base, regime, views)
        uppers += pu
        lowers += pl
    upper_pool = _best_pool(uppers, "upper", regime)
    upper = _as_bound("upper", upper_pool, regime)
    conflicts, lower_pool = settle_lowers(lowers, upper_pool, regime)
    lower = _as_bound("lower", lower_pool, regime)
    tight = False
    if upper and lower and not _blocking_conditions(upper) and not _blocking_conditions(lower):
        tight = asy.compare(upper.form, lower.form, regime) == "equal"
    if upper is not None:
        for c in uppers:
            if c.unsound and asy.compare(c.form, upper.form, regime) == "less":
                why = c.result.tied_weights_summary
                notes.append(f"A smaller upper bound O({_pretty(c.bound_expr)}) follows via {c.view.name} and "
                             f"{c.result.id} if that result holds with shared (tied) weights, which is UNVERIFIED"
                             + (f" ({c.result.source.key}: {why[0].lower() + why[1:].rstrip('.')})" if why else "")
                             + "; it is not used as the best bound.")
                break
    applied_ids = {c.result.id for c in uppers + lowers}
    misses = sorted((m for m in misses if m.result.id not in applied_ids), key=lambda m: _miss_rank(m, q))
    if q.topology == "recurrent_gated" and measure == "generalization":
        notes.append("Chen, Li & Zhao (AISTATS 2020, arXiv 1910.12947) state generalization bounds for MGU and "
                     "LSTM networks in the spectral norms of the weight matrices and the number of parameters. "
                     "They are not in the theorem base: only their abstract and introduction could be read (no "
                     "readable full text or restatement of their theorems was found), so no formula, constant or "
                     "hypothesis of theirs is encoded.")
    elif q.topology == "recurrent_gated":
        notes.append(_gated_note(uppers + lowers))
    if q.output_dim is not None and q.output_dim != 1 and measure in ("vc", "growth", "sample_realizable",
                                                                       "sample_agnostic"):
        notes.append(f"The network has {q.output_dim} outputs; VC dimension is defined for one binary output. "
                     "Upper bounds hold for each output unit's class (it has at most W parameters).")
    if q.output_is_sequence:
        notes.append("The network outputs a sequence (no 'last'): VC dimension is defined for one binary output, "
                     "so these bounds are for the classifier that reads the output at one time step, the same "
                     "network as with '-> last' before the per-step layers (e.g. 'lstm(n)^L -> last -> dense(1)'), "
                     "whose counts are the same; write 'last' to make that explicit.")
    if measure == "generalization" and uppers:
        notes.append("symbols: spec_p, frob_p, l21_p are the spectral norm, Frobenius norm and (2,1)-norm of the "
                     "transpose of layer p's weight matrix (tensor p.weight in params --json); gamma is the margin, "
                     "B a bound on the Euclidean norm of every input, m the sample size, delta the confidence."
                     + (" l1t_ih_p, l1t_hh_p and l1t_p are the matrix 1-norms of the transposes (largest absolute "
                        "row sums) of layer p's input-hidden, hidden-hidden and weight matrices; x_frob, x_l1, "
                        "lambda_min and fisher_rao are statistics of the training sample (eval --data)."
                        if any(q_ in ALL_NORM_QUANTITIES[len(NORM_QUANTITIES):] for c in uppers
                               for q_ in c.result.symbols.values()) else ""))
        notes.extend(_symbolic_exponent_notes(uppers))
        notes.extend(f"{c.result.id}: {c.result.caveat}" for c in uppers if c.result.caveat)
    res = Resolution(q.arch, q, measure, regime, upper, lower, tight, uppers, lowers, misses, conflicts, notes,
                     base=base)
    if upper:
        res.growth_upper = asy.growth(upper.form)
    if lower:
        res.growth_lower = asy.growth(lower.form)
    return res


def _gated_note(cands) -> str:
    """What the built-in base says about gated cells, next to what the user's own files add (a
    user's LSTM result must not sit next to "no bound specific to LSTM", unqualified)."""
    mine = sorted({(c.result.id, user_file(c.result)) for c in cands
                   if user_file(c.result) and topology_in("recurrent_gated", c.result.requires.get("topology", "any"))
                   and c.result.requires.get("topology") != "any"})
    text = ("No published VC-dimension bound specific to LSTM or GRU cells is in the built-in theorem base "
            "(none was found in the literature searched). Koiran-Sontag's results cover recurrent nets "
            "of standard form, not gated cells; any bound below from the built-in base is derived through "
            "unrolling and a feed-forward result that allows multiplication gates.")
    if mine:
        text += (" Results for gated cells from the user's own theorem files also apply here (not published "
                 "results checked by vcbound): " + ", ".join(f"{i} ({p})" for i, p in mine) + ".")
    return text


def _blocking_conditions(bound) -> list[str]:
    """Conditions that stop a Theta claim: all but those of the form ``size >= constant`` /
    ``size > constant``, which hold for all large sizes (they are still printed as "holds when")."""
    out = []
    for c in bound.conditions:
        lhs, rel, rhs = _split_condition(c)
        if rel in (">", ">=") and _is_number(rhs) and lhs.isidentifier():
            continue
        out.append(c)
    return out


def _split_condition(text: str):
    for rel in (">=", "<=", ">>", "<<", ">", "<", "="):
        if f" {rel} " in text:
            lhs, rhs = text.split(f" {rel} ", 1)
            return lhs.strip(), rel, rhs.strip()
    return text, "", ""


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _miss_rank(miss, q) -> tuple:
    """Nearest misses first: same measure family of networks (topology), then the activation
    class that shares most of the network's classes (sigmoid results for a softplus net, both
    Pfaffian), then the fewest failed hypotheses."""
    near = _miss_nearness(miss.result, q.topology, q.multiplicative, q.classes)
    return (*near, len(miss.reasons), miss.result.id)


@lru_cache(maxsize=8192)
def _miss_nearness(result, topology: str, multiplicative: bool, classes: frozenset) -> tuple:
    """The first keys of ``_miss_rank``: they depend on the network's facts only."""
    req = result.requires
    topo_ok = topology_in(topology, req.get("topology", "any"))
    act = req.get("activation", "any")
    shared = len((_closure(act) & classes) - {"any"}) if act != "any" else 0
    gates_ok = not multiplicative or result.multiplication
    return (not topo_ok, not gates_ok, -shared)


def _as_bound(direction, pool, regime) -> Bound | None:
    if not pool:
        return None
    forms = [c.form for c in pool]
    form = asy.minimum(forms, regime) if direction == "upper" else asy.maximum(forms, regime)
    return Bound(direction, form, pool)


def settle_lowers(lowers, upper_pool, regime) -> tuple[list, list]:
    """The best lower pool among the lower candidates that exceed no applicable upper bound, and
    the conflicts found on the way.

    Both bounds apply to this network (their requirements, depth included, were checked), so a
    lower bound growing faster than an upper bound is a real conflict: it is reported with both
    ids and never used, and the next applicable lower bound takes its place (a one-hidden-layer
    threshold net keeps Baum-Haussler's Theorem 7 when a stronger lower bound is rejected)."""
    best_upper = asy.minimum([up.form for up in upper_pool], regime) if len(upper_pool) > 1 else None
    remaining = list(lowers)
    conflicts: list = []
    while remaining:
        pool = _best_pool(remaining, "lower", regime)
        clashes = [(lo, _clash(lo, upper_pool, best_upper, regime)) for lo in pool]
        clashes = [(lo, up) for lo, up in clashes if up is not None]
        if not clashes:
            return conflicts, pool
        for lo, up in clashes:
            conflicts.append(Conflict(lo, up))
            remaining = [c for c in remaining if c is not lo]
    return conflicts, []


def _clash(lo, upper_pool, best_upper, regime):
    """The upper candidate that ``lo`` exceeds, or None. Above the minimum of incomparable upper
    bounds although below each one alone, it clashes with the whole pool (the first is named).
    Factors the asymptotics compares only structurally (log(T - n)) never make a conflict: for
    them "not proved O" is not "proved larger"."""
    if lo.form.unordered_keys(regime):
        return None
    for up in upper_pool:
        if not up.form.unordered_keys(regime) and asy.compare(lo.form, up.form, regime) == "greater":
            return up
    if best_upper is not None and not best_upper.unordered_keys(regime) \
            and asy.compare(lo.form, best_upper, regime) == "greater":
        return upper_pool[0]
    return None


def _pdim_routes(q, base, regime, views):
    """Pdim(F) <= VCdim(F') with one more parameter and layer (BHLM 2019 p. 2 citing Anthony-Bartlett
    Thm 14.1); VCdim <= Pdim gives lower bounds (by definition)."""
    uppers, lowers, misses = [], [], []
    lemma = base.lemmas.get("pdim_extra_layer")
    if lemma is not None:
        extra_views = []
        for v in views:
            qq = dict(v.quantities)
            qq["W"] = qq["W"] + 1
            qq["L"] = qq["L"] + 1 if qq.get("L") is not None else None
            qq["U"] = qq["U"] + 1 if qq.get("U") is not None else None
            if v.name == "network":
                # one more layer holding the one extra parameter: the cumulative sum grows by W + 1
                qq["Lbar"] = sp.Mul(q.lbar_sum + qq["W"], sp.Pow(qq["W"], -1))
            nv = View(v.name + " + threshold output", qq, v.topology, v.classes, v.family, v.nonlinear, v.multiplicative,
                      list(v.steps), tied=v.tied, derived=True, has_bias=True)  # the level is a bias
            nv.activation_names = v.activation_names
            nv.steps.append(_lemma_step(lemma, "Pdim(F) <= VCdim(F') where F' has one more parameter and one "
                                               "more layer (a threshold unit comparing the output with a level)",
                                        "pdim_extra_layer", lemma.locator))
            extra_views.append(nv)
        u, _l, _m = _candidates(q, base, "vc", regime, extra_views, {})
        uppers += u
    vl = base.lemmas.get("vc_le_pdim")
    u0, l0, _m0 = _candidates(q, base, "vc", regime, views, {})
    for c in l0:
        step = _lemma_step(vl, "VCdim(sgn(F)) <= Pdim(F): shattering with the level 0 is pseudo-shattering",
                           "vc_le_pdim", "by definition")
        lowers.append(Candidate("lower", c.result, c.view, c.substituted, c.form, c.canonical, c.scope,
                                "user" if c.status == "user" else "derived",
                                c.steps + [step], c.conditions, c.inner))
    return uppers, lowers, misses
