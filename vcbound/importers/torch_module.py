"""PyTorch modules -> architecture text (library API only; torch is never a dependency).

In: a ``torch.nn.Module`` object. Out: an ``ImportedModel`` checked against
``sum(p.numel() for p in module.parameters())``. The module is inspected, never called.

Supported: ``nn.Sequential`` and modules whose child modules, in registration order, form one chain
(``TORCH_MODULES``): Linear, RNN, GRU and LSTM (num_layers, bidirectional, proj_size, bias),
activation modules after a Linear, and Dropout/Identity/Flatten (no parameters). A Linear after a
recurrent module reads its last time step (``last``), which is what ``out[:, -1]`` or the final
hidden state does in the module's ``forward``; the note on the import says so, since ``forward``
is not read.
"""
from __future__ import annotations

from ..errors import ModelImportError
from . import ChainBuilder, LayerSpec, check_count, unsupported

ACTIVATION_MODULES = {"ReLU": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "Softplus": "softplus",
                      "LeakyReLU": "leaky_relu", "Hardtanh": "hardtanh"}
SKIPPED = ("Dropout", "Identity", "Flatten")
RECURRENT = {"RNN": "rnn", "GRU": "gru", "LSTM": "lstm"}
TORCH_MODULES = ("Sequential", "Linear", *RECURRENT, *ACTIVATION_MODULES, *SKIPPED)


def looks_like_torch_module(obj) -> bool:
    """True for a ``torch.nn.Module`` (checked without importing torch when it is not loaded)."""
    import sys
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.nn.Module)


def import_torch(module) -> ImportedModel:
    builder = _Builder(type(module).__name__)
    builder.walk(module)
    if builder.input_dim is None:
        raise ModelImportError(f"{builder.source}: no Linear or recurrent layer found")
    imported = builder.imported("PyTorch module", sum(int(p.numel()) for p in module.parameters()))
    check_count(imported)
    return imported


class _Builder(ChainBuilder):
    def walk(self, module) -> None:
        children = list(module.named_children())
        if not children:
            self.leaf(type(module).__name__, module, type(module).__name__)
            return
        if type(module).__name__ != "Sequential" and module is not None:
            own = [n for n, _ in module.named_parameters(recurse=False)]
            if own:
                raise ModelImportError(f"{self.source}: {type(module).__name__} holds parameters of its "
                                       f"own ({', '.join(own)}); only child modules are read")
        for name, child in children:
            if list(child.named_children()):
                self.walk(child)
            else:
                self.leaf(type(child).__name__, child, name)

    def where(self, name) -> str:
        return f"{self.source}: module '{name}'"

    def leaf(self, kind: str, m, name: str) -> None:
        if kind in SKIPPED:
            return
        if kind == "Linear":
            if self.sequence:
                self.specs.append(LayerSpec("last"))
                self.sequence = False
                self.notes.append("a Linear after a recurrent module is read as taking its last time step "
                                  "('last'), as out[:, -1] or the final hidden state does in forward()")
            if self.input_dim is None:
                self.input_dim = m.in_features
            self.specs.append(LayerSpec("dense", m.out_features, {} if m.bias is not None else {"bias": False}))
        elif kind in ACTIVATION_MODULES:
            self.fold_activation(ACTIVATION_MODULES[kind], self.where(name), "Linear")
        elif kind in RECURRENT:
            self.recurrent(kind, m, name)
        else:
            raise unsupported("torch module", kind, self.where(name), TORCH_MODULES)

    def recurrent(self, kind, m, name) -> None:
        if self.specs and not self.sequence:
            raise ModelImportError(f"{self.where(name)}: a recurrent module after a non-recurrent one "
                                   "is not supported")
        if self.input_dim is None:
            self.input_dim, self.seq = m.input_size, "T"
        options: dict = {}
        if kind == "RNN" and m.nonlinearity != "tanh":
            options["act"] = m.nonlinearity
        if not m.bias:
            options["bias"] = False
        if m.bidirectional:
            options["bidirectional"] = True
        if getattr(m, "proj_size", 0):
            options["proj"] = m.proj_size
        self.specs.append(LayerSpec(RECURRENT[kind], m.hidden_size, options, times=m.num_layers))
        self.sequence = True
