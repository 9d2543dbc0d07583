"""The function-class lattice and the activations, as data.

In: an activation name with its arguments (``relu``, ``poly(3)``, ``pwpoly(4, 2)``).
Out: the set of classes it belongs to (closed upwards under the lattice), its number of pieces
and degree, and whether it is affine or monotone.

The lattice is written as ``sub -> super`` lines and closed transitively once (sympy's
``FactRules`` style). Bounds proved for a class apply to networks whose activations all lie in it
(upper bounds only: a lower bound is an existence statement about some member of the class).
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cache

# `a -> b`: every function of class a is in class b.
LATTICE_RULES = """
threshold            -> piecewise_constant
sign                 -> piecewise_constant
piecewise_constant   -> piecewise_polynomial
linear               -> polynomial
linear               -> piecewise_linear
polynomial           -> piecewise_polynomial
relu                 -> piecewise_linear
leaky_relu           -> piecewise_linear
hardtanh             -> piecewise_linear
piecewise_linear     -> piecewise_polynomial
sigmoid              -> sigmoidal
tanh                 -> sigmoidal
sigmoid              -> pfaffian
tanh                 -> pfaffian
softplus             -> pfaffian
piecewise_polynomial -> any
pfaffian             -> any
sigmoidal            -> any
"""

TOPOLOGY_RULES = """
recurrent_standard -> recurrent
recurrent_stacked  -> recurrent
recurrent_gated    -> recurrent
recurrent          -> any
feedforward        -> any
"""


def _compile(rules: str) -> dict[str, frozenset[str]]:
    edges: dict[str, set[str]] = {}
    for raw in rules.strip().splitlines():
        sub, arrow, sup = raw.split()
        assert arrow == "->", raw
        edges.setdefault(sub, set()).add(sup)
        edges.setdefault(sup, set())
    closure: dict[str, frozenset[str]] = {}

    def up(c: str) -> frozenset[str]:
        if c not in closure:
            acc = {c}
            for s in edges[c]:
                acc |= up(s)
            closure[c] = frozenset(acc)
        return closure[c]

    for c in edges:
        up(c)
    return closure


CLASS_CLOSURE = _compile(LATTICE_RULES)
TOPOLOGY_CLOSURE = _compile(TOPOLOGY_RULES)
CLASSES = frozenset(CLASS_CLOSURE)
TOPOLOGIES = frozenset(TOPOLOGY_CLOSURE)


# The family a lower-bound construction must stay within: a lower bound proved with activations of a
# broader class (e.g. threshold and linear units mixed, "piecewise_polynomial") says nothing about
# networks built from one narrower kind (threshold only).
FAMILY = {
    "threshold": "piecewise_constant", "sign": "piecewise_constant",
    "linear": "linear", "polynomial": "polynomial",
    "relu": "piecewise_linear", "leaky_relu": "piecewise_linear", "hardtanh": "piecewise_linear",
    "piecewise_linear": "piecewise_linear", "piecewise_polynomial": "piecewise_polynomial",
    "sigmoid": "sigmoidal", "tanh": "sigmoidal", "softplus": "pfaffian",
}


def family_of(base_classes) -> str:
    """The smallest lattice class containing the families of all the given base classes."""
    fams = {FAMILY[b] for b in base_classes}
    if not fams:
        return "linear"
    common = frozenset.intersection(*(CLASS_CLOSURE[f] for f in fams))
    # the minimal element of the common up-set: the one whose own closure is largest
    return max(common, key=lambda c: (len([x for x in common if x in CLASS_CLOSURE[c]]), c))


@dataclass(frozen=True)
class ActivationKind:
    """An activation the language knows: its lattice class and its shape."""

    name: str
    base_class: str
    params: tuple[str, ...] = ()   # names of its arguments, e.g. ("deg",) for poly
    pieces: int | str = 1          # int, or the name of the argument that gives it
    degree: int | str = 1
    monotone: bool = True          # non-decreasing: a single output unit is then a threshold readout
    affine: bool = False
    lipschitz: object = None       # global Lipschitz constant, None when not Lipschitz or not fixed
    zero_at_zero: bool = False     # sigma(0) = 0 (Bartlett-Foster-Telgarsky's networks need it)


ACTIVATIONS: dict[str, ActivationKind] = {a.name: a for a in [
    ActivationKind("linear", "linear", affine=True, lipschitz=1, zero_at_zero=True),
    ActivationKind("relu", "relu", pieces=2, lipschitz=1, zero_at_zero=True),
    ActivationKind("leaky_relu", "leaky_relu", pieces=2, lipschitz=1, zero_at_zero=True),
    ActivationKind("hardtanh", "hardtanh", pieces=3, lipschitz=1, zero_at_zero=True),
    ActivationKind("threshold", "threshold", pieces=2, degree=0),
    ActivationKind("sign", "sign", pieces=2, degree=0),
    ActivationKind("sigmoid", "sigmoid", pieces=0, degree=0, lipschitz=Fraction(1, 4)),
    ActivationKind("tanh", "tanh", pieces=0, degree=0, lipschitz=1, zero_at_zero=True),
    ActivationKind("softplus", "softplus", pieces=0, degree=0, lipschitz=1),
    ActivationKind("poly", "polynomial", params=("deg",), degree="deg", monotone=False),
    ActivationKind("pwlinear", "piecewise_linear", params=("pieces",), pieces="pieces", monotone=False),
    ActivationKind("pwpoly", "piecewise_polynomial", params=("pieces", "deg"), pieces="pieces",
                   degree="deg", monotone=False),
]}


@dataclass(frozen=True)
class Activation:
    """An activation as used in a layer: kind plus argument values (sympy integers or symbols)."""

    kind: ActivationKind
    args: tuple = ()

    @property
    def name(self) -> str:
        return self.kind.name

    def _arg(self, spec):
        return self.args[self.kind.params.index(spec)] if isinstance(spec, str) else spec

    @property
    def pieces(self):
        return self._arg(self.kind.pieces)

    @property
    def degree(self):
        return self._arg(self.kind.degree)

    @property
    def classes(self) -> frozenset[str]:
        return classes_of(self.kind.base_class)

    @property
    def affine(self) -> bool:
        if self.kind.affine:
            return True
        return self.kind.name == "poly" and self.degree == 1

    def __str__(self) -> str:
        if not self.args:
            return self.name
        return f"{self.name}({', '.join(str(a) for a in self.args)})"


@cache
def classes_of(base: str) -> frozenset[str]:
    """All classes containing ``base`` (including itself)."""
    return CLASS_CLOSURE[base]


def in_class(activation_classes: frozenset[str], required: str) -> bool:
    """Whether an activation (given by its closed class set) lies in ``required``."""
    return required in activation_classes


def topology_in(topology: str, required: str) -> bool:
    """Whether a network topology lies in the required one (``recurrent_gated`` is ``recurrent``)."""
    return required in TOPOLOGY_CLOSURE.get(topology, frozenset({topology}))
