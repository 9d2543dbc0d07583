"""vcbound: cited upper and lower bounds on the VC dimension of neural architectures.

Public API (imported lazily so that ``import vcbound`` stays cheap):

- ``parse(text)`` -> ``Architecture`` (structure + networkx graph)
- ``count(text, convention="torch")`` -> ``Quantities`` (exact symbolic W, U, L, T, ...)
- ``bound(text, measure="vc")`` -> ``Resolution`` (best cited upper/lower bounds with derivations)
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
    "load_theorems": ("theorems", "load_theorems"),
    "Architecture": ("graph", "Architecture"),
    "Quantities": ("quantities", "Quantities"),
    "Resolution": ("resolver", "Resolution"),
}

__all__ = ["VcboundError", "__version__", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        import importlib
        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(f".{module}", __name__), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'vcbound' has no attribute {name!r}")
