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


class Presentable:
    """Mixin for result classes: ``str()``, ``to_json()`` and the Jupyter reprs through the registry."""

    def __str__(self) -> str:
        fn = formatter(self, "text")
        return repr(self) if fn is None else fn(self)

    def to_json(self) -> dict:
        return present(self, "json")

    def _repr_markdown_(self):
        return _optional(self, "markdown")

    def _repr_latex_(self):
        return _optional(self, "latex")
