"""Importers: a model someone already has -> architecture text (the language's own input).

In: a path to an ONNX file (``.onnx``), a Keras ``model.to_json()`` file (``.json``) or ``.keras``
archive, or a PyTorch ``nn.Module`` object. Out: an ``ImportedModel`` whose ``text`` is ordinary
architecture text (``input(7, seq=T) -> lstm(5)^2 -> last -> dense(1, act=sigmoid)``), printed so
that the user can read and edit it; everything downstream (counting, bounds) runs on that text, so
imported and typed architectures take one path. A model file is never executed: ONNX is read as
protobuf data, Keras configurations as JSON, and a torch module is only inspected.

A layer vcbound cannot express is an ``ModelImportError`` that names it and lists what each format
supports. The ONNX importer also checks the count of the text against the file's initializers
(``expected_params``); the torch importer against ``module.parameters()``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..errors import ModelImportError

# file suffix -> (format name, importer module)
FILE_FORMATS = {
    ".onnx": "onnx",
    ".keras": "keras",
    ".json": "keras",
}


@dataclass
class LayerSpec:
    """One layer of the architecture text: ``kind(width, opt=value, ...)``, repeated ``times``."""

    kind: str
    width: object = None
    options: dict = field(default_factory=dict)
    times: int = 1

    def text(self) -> str:
        args = [] if self.width is None else [str(self.width)]
        args += [f"{k}={_option_text(v)}" for k, v in self.options.items()]
        core = self.kind + (f"({', '.join(args)})" if args else "")
        return core if self.times == 1 else f"{core}^{self.times}"

    def same_layer(self, other: "LayerSpec") -> bool:
        return (self.kind, self.width, self.options) == (other.kind, other.width, other.options)


def _option_text(value) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


@dataclass
class ImportedModel:
    """Architecture text made from a model, with where it came from and what was checked."""

    text: str
    source: str
    format: str
    expected_params: int | None = None      # the model's own parameter count, when the file has it
    notes: list[str] = field(default_factory=list)

    def header(self) -> str:
        """Comment lines (valid architecture text) saying where the architecture came from."""
        lines = [f"# imported from {self.source} ({self.format})"]
        if self.expected_params is not None:
            lines.append(f"# parameters in the file: {self.expected_params} (the text below counts the same)")
        lines += [f"# note: {n}" for n in self.notes]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.header() + "\n" + self.text

    def to_json(self) -> dict:
        return {"architecture": self.text, "source": self.source, "format": self.format,
                "expected_params": self.expected_params, "notes": list(self.notes)}

    def __repr__(self) -> str:
        return f"ImportedModel({self.text!r}, format={self.format!r})"


def chain_text(input_dim, seq, layers: list[LayerSpec]) -> str:
    """The chain ``input(d, seq=T) -> ...``; consecutive identical layers become ``layer^k``."""
    merged: list[LayerSpec] = []
    for spec in layers:
        if merged and spec.kind != "last" and merged[-1].same_layer(spec):
            merged[-1].times += spec.times
        else:
            merged.append(LayerSpec(spec.kind, spec.width, dict(spec.options), spec.times))
    head = f"input({input_dim}" + (f", seq={seq})" if seq is not None else ")")
    return " -> ".join([head, *(s.text() for s in merged)])


class ChainBuilder:
    """What every importer collects while it walks a model: the input, the layers, notes."""

    def __init__(self, source: str):
        self.source = source
        self.specs: list[LayerSpec] = []
        self.notes: list[str] = []
        self.input_dim = None
        self.seq = None
        self.sequence = False          # the current output is a sequence (a recurrent layer, no `last` yet)

    def fold_activation(self, act: str, where: str, after: str) -> None:
        """An activation layer/op/module right after a dense layer becomes its ``act=``."""
        last = self.specs[-1] if self.specs else None
        if last is None or last.kind != "dense" or "act" in last.options:
            raise ModelImportError(f"{where}: an activation is read only directly after a {after} "
                                   "without one (it becomes dense(n, act=...))")
        last.options = {"act": act, **last.options}

    def imported(self, fmt: str, expected_params=None) -> ImportedModel:
        return ImportedModel(chain_text(self.input_dim, self.seq, self.specs), self.source, fmt,
                             expected_params=expected_params, notes=self.notes)


def unsupported(what: str, name: str, where: str, supported) -> ModelImportError:
    """The error for a layer or op vcbound cannot express: names it and lists what is supported."""
    return ModelImportError(f"{where}: unsupported {what} '{name}' (supported: {', '.join(supported)})")


def check_count(imported: ImportedModel) -> None:
    """The text must count exactly the parameters the model stores (torch convention: ONNX's layout too)."""
    from ..graph import parse
    from ..quantities import count
    counted = count(parse(imported.text), "torch").params
    if counted != imported.expected_params:
        raise ModelImportError(f"{imported.source}: the imported architecture counts {counted} parameters but "
                               f"the model stores {imported.expected_params}; it uses something the "
                               f"importer does not read correctly:\n  {imported.text}")


def is_model_file(path: str) -> bool:
    """True for a path whose suffix names an importable model format."""
    return os.path.splitext(path)[1].lower() in FILE_FORMATS


def import_file(path: str) -> ImportedModel:
    """Architecture text from an ONNX, Keras JSON or ``.keras`` file."""
    suffix = os.path.splitext(path)[1].lower()
    fmt = FILE_FORMATS.get(suffix)
    if fmt is None:
        raise ModelImportError(f"{path}: not a model file vcbound can import "
                               f"(expected one of: {', '.join(sorted(FILE_FORMATS))})")
    if not os.path.isfile(path):
        raise ModelImportError(f"{path}: no such file")
    if fmt == "onnx":
        from .onnx_model import import_onnx
        return import_onnx(path)
    from .keras_json import import_keras
    return import_keras(path)


def import_model(model) -> ImportedModel:
    """Architecture text from a file path (ONNX, Keras) or a PyTorch ``nn.Module``.

    >>> import vcbound
    >>> vcbound.import_model("model.onnx").text            # doctest: +SKIP
    'input(7, seq=T) -> lstm(5)^2 -> last -> dense(1, act=sigmoid)'
    """
    if isinstance(model, (str, os.PathLike)):
        return import_file(os.fspath(model))
    from .torch_module import import_torch, looks_like_torch_module
    if looks_like_torch_module(model):
        return import_torch(model)
    raise ModelImportError(f"cannot import a {type(model).__name__}: expected a path to a model file "
                           f"({', '.join(sorted(FILE_FORMATS))}) or a torch.nn.Module")
