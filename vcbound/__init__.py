"""vcbound: cited upper and lower bounds on the VC dimension of neural architectures.

Public API (imported lazily so that ``import vcbound`` stays cheap):

- ``parse(text)`` -> ``Architecture`` (structure + networkx graph)
- ``count(text, convention="torch")`` -> ``Quantities`` (exact symbolic W, U, L, T, ...)
- ``bound(text, measure="vc")`` -> ``Resolution`` (best cited upper/lower bounds with derivations)
- ``evaluate_generalization(bound(text, "generalization"), weights, margin=, m=, delta=, input_norm=)``
  -> the norm-based bounds on trained weights (a path, a dict of arrays or a torch module)
- ``weight_tensors(count(text))`` -> the names and shapes of the weight tensors
- ``compare(a, b)`` -> ``Comparison``; ``sweep(arch, ["L=1..8"])`` -> ``Sweep``;
  ``vcbound.evaluate.evaluate(resolution, {"n": 64})`` -> ``Evaluation`` (the module's name is taken)
- ``import_model(path_or_module)`` -> ``ImportedModel`` (ONNX, Keras JSON/.keras, torch modules)
- ``load_theorems(dirs=())`` -> the validated theorem base
- ``VcboundError``: the root of every error vcbound raises

>>> import vcbound
>>> vcbound.count("input(7, seq=T) -> lstm(5)").params
280
"""
from __future__ import annotations

from .errors import VcboundError

__version__ = "0.1.0"

_LAZY = {
    "parse": ("api", "parse"),
    "count": ("api", "count"),
    "bound": ("resolver", "bound"),
    "compare": ("comparison", "compare"),
    "sweep": ("sweeps", "sweep"),
    "tradeoff": ("tradeoff", "tradeoff"),
    "Tradeoff": ("tradeoff", "Tradeoff"),
    "load_theorems": ("theorems", "load_theorems"),
    "evaluate_generalization": ("generalization", "evaluate_generalization"),
    "weight_tensors": ("tensors", "weight_tensors"),
    "import_model": ("importers", "import_model"),
    "Architecture": ("graph", "Architecture"),
    "Quantities": ("quantities", "Quantities"),
    "Resolution": ("resolver", "Resolution"),
    "Comparison": ("comparison", "Comparison"),
    "Evaluation": ("evaluate", "Evaluation"),
    "Sweep": ("sweeps", "Sweep"),
    "ImportedModel": ("importers", "ImportedModel"),
    "TheoremBase": ("theorems", "TheoremBase"),
}

__all__ = ["VcboundError", "__version__", *_LAZY]


def __dir__():
    """What completion offers after ``vcbound.``: the public API (imported lazily) first of all."""
    return sorted(set(__all__) | {k for k in globals() if not k.startswith("_")} - {"annotations"})


def __getattr__(name):
    if name in _LAZY:
        import importlib
        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(f".{module}", __name__), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'vcbound' has no attribute {name!r}")
