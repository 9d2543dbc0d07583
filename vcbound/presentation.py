"""How result objects show themselves (``str()``, ``to_json()``, Jupyter reprs) without importing
the renderers.

In: a result object (``Resolution``, ``Evaluation``, ``Sweep``, ...) and a format name (``"text"``,
``"json"``, ``"markdown"``, ``"latex"``, ...). Out: whatever the renderer registered for that class
and format returns.

Why a registry: data flows one way (language -> ... -> resolver -> numbers -> render -> shells), so
the modules that compute results must not import the renderers. A result class inherits
``Presentable``; its ``__str__``, ``to_json`` and ``_repr_*_`` methods look the format up here, and
``vcbound.render.reprs`` fills the table (``register(Class, "latex", fn)``). The table is filled the
first time anything is presented, by importing ``RENDERERS`` by name: that one string is the only
place a computing module names the render stage, and it carries no knowledge of which function
renders what. To show a new class: inherit ``Presentable`` and add its formats in
``vcbound/render/reprs.py``. A format with no renderer gives ``None`` for the ``_repr_*_`` methods
(Jupyter then uses another one) and ``NotImplementedError`` for ``present``.
"""
from __future__ import annotations

RENDERERS = "vcbound.render.reprs"       # the module that registers every renderer

_FORMATTERS: dict = {}                    # (class, format) -> function(obj) -> rendered value
_loaded = False


def register(cls, fmt: str, fn) -> None:
    """Render instances of ``cls`` (and its subclasses) in format ``fmt`` with ``fn(obj)``."""
    _FORMATTERS[(cls, fmt)] = fn


def formatter(obj, fmt: str):
    """The function registered for ``obj``'s class (or nearest base class) and ``fmt``, or None."""
    global _loaded
    if not _loaded:
        import importlib
        importlib.import_module(RENDERERS)
        _loaded = True
    for cls in type(obj).__mro__:
        fn = _FORMATTERS.get((cls, fmt))
        if fn is not None:
            return fn
    return None


def present(obj, fmt: str, *args, **kwargs):
    """``obj`` rendered in ``fmt``; ``NotImplementedError`` if no renderer is registered."""
    fn = formatter(obj, fmt)
    if fn is None:
        raise NotImplementedError(f"no {fmt} renderer for {type(obj).__name__}")
    return fn(obj, *args, **kwargs)


def _optional(obj, fmt: str):
    fn = formatter(obj, fmt)
    return None if fn is None else fn(obj)


def short(value, width: int = 60) -> str:
    """``value`` as a short one-line text: strings quoted and cut, containers as their size, objects
    with a one-line repr by it, other dataclasses by their class name, anything else by ``str``."""
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        return f"<{len(value)} {'item' if len(value) == 1 else 'items'}>"
    if isinstance(value, str):
        text = " ".join(value.split())
        return repr(text if len(text) <= width else text[:width - 1] + "…")
    if getattr(type(value).__repr__, "_brief", False):
        text = repr(value)
    elif hasattr(type(value), "__dataclass_fields__"):
        return f"<{type(value).__name__}>"
    else:
        text = " ".join(str(value).split())
    return text if len(text) <= width else text[:width - 1] + "…"


def brief_repr(*fields: str, width: int = 60):
    """A one-line ``__repr__`` showing only ``fields`` (each cut short), for use in a class body.
    A field may be a dotted path (``"result.id"``); a method is called (``"expr"``).

    A result can hold a derivation tree and the whole theorem base; the default dataclass repr
    printed all of it (half a million characters for one ``Resolution``)."""

    def value(obj, path):
        for name in path.split("."):     # "result.id": an attribute of an attribute
            obj = getattr(obj, name, None)
        return obj() if callable(obj) else obj

    def __repr__(self) -> str:
        parts = ", ".join(f"{f.replace('.', '_')}={short(value(self, f), width)}" for f in fields)
        return f"{type(self).__name__}({parts})"

    __repr__._brief = True
    return __repr__


class Presentable:
    """Mixin for result classes: ``str()``, ``to_json()`` and the Jupyter reprs through the registry.

    A dataclass that inherits it must say ``@dataclass(repr=False)`` so that the one-line
    ``__repr__`` (the registered ``"repr"`` renderer) is not replaced by the generated one."""

    def __repr__(self) -> str:
        fn = formatter(self, "repr")
        return f"<{type(self).__name__}>" if fn is None else fn(self)

    __repr__._brief = True

    def _repr_html_(self):
        return _optional(self, "html")

    def __str__(self) -> str:
        fn = formatter(self, "text")
        return repr(self) if fn is None else fn(self)

    def to_json(self) -> dict:
        return present(self, "json")

    def _repr_markdown_(self):
        return _optional(self, "markdown")

    def _repr_latex_(self):
        return _optional(self, "latex")
