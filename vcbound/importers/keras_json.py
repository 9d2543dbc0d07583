"""Keras model configurations -> architecture text, read as JSON (TensorFlow and Keras not needed).

In: a ``model.to_json()`` file (``.json``) or a ``.keras`` archive (a zip whose ``config.json`` holds
the same configuration). Keras 3 and tf.keras 2 configurations are both read. Out: an
``ImportedModel``. Recurrent layers carry ``convention=keras`` so that the text counts what Keras
counts (one bias vector per gate, not torch's two), whatever the global convention.

Supported: ``Sequential`` models and functional models that are a single chain, with the layers in
``KERAS_LAYERS``; layers without parameters that are the identity at inference (dropout, noise) are
skipped and said so in a note. Weights are not read: a ``.keras`` archive's weights are HDF5, and the
counts follow from the configuration alone.
"""
from __future__ import annotations

import json
import zipfile

from ..errors import ModelImportError
from . import ChainBuilder, ImportedModel, LayerSpec, unsupported

MAX_CONFIG_BYTES = 20_000_000

# Keras activation names -> the language's activation names
KERAS_ACTIVATIONS = {
    None: "linear", "linear": "linear", "relu": "relu", "sigmoid": "sigmoid", "tanh": "tanh",
    "softplus": "softplus", "leaky_relu": "leaky_relu", "hard_tanh": "hardtanh",
}
RECURRENT = ("LSTM", "GRU", "SimpleRNN")
ACTIVATION_LAYERS = ("Activation", "ReLU", "LeakyReLU")
SKIPPED = ("Dropout", "SpatialDropout1D", "GaussianNoise", "GaussianDropout", "AlphaDropout",
           "ActivityRegularization")
KERAS_LAYERS = ("InputLayer", "Dense", *RECURRENT, "Bidirectional", *ACTIVATION_LAYERS, *SKIPPED)


def import_keras(path: str) -> ImportedModel:
    config = _read_config(path)
    fmt = "Keras .keras archive" if path.lower().endswith(".keras") else "Keras JSON"
    version = config.get("keras_version")
    if version:
        fmt += f", written by Keras {version}"
    return from_config(config, path, fmt)


def _read_config(path: str) -> dict:
    try:
        if path.lower().endswith(".keras"):
            with zipfile.ZipFile(path) as archive:
                if "config.json" not in archive.namelist():
                    raise ModelImportError(f"{path}: a .keras archive without config.json")
                info = archive.getinfo("config.json")
                if info.file_size > MAX_CONFIG_BYTES:
                    raise ModelImportError(f"{path}: config.json too large ({info.file_size} bytes)")
                raw = archive.read("config.json")
                try:
                    meta = json.loads(archive.read("metadata.json")) if "metadata.json" in archive.namelist() else {}
                except ValueError:
                    meta = {}
        else:
            with open(path, "rb") as fh:
                raw = fh.read(MAX_CONFIG_BYTES + 1)
            if len(raw) > MAX_CONFIG_BYTES:
                raise ModelImportError(f"{path}: file too large (at most {MAX_CONFIG_BYTES} bytes)")
            meta = {}
    except zipfile.BadZipFile:
        raise ModelImportError(f"{path}: not a .keras archive (not a zip file)") from None
    except OSError as exc:
        raise ModelImportError(f"{path}: {exc.strerror or exc}") from None
    try:
        config = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ModelImportError(f"{path}: not a Keras model configuration (invalid JSON: {exc})") from None
    if not isinstance(config, dict) or "class_name" not in config or not isinstance(config.get("config"), dict):
        raise ModelImportError(f"{path}: not a Keras model configuration (expected the output of "
                               "model.to_json(): an object with 'class_name' and 'config')")
    if isinstance(meta, dict) and meta.get("keras_version") and "keras_version" not in config:
        config["keras_version"] = meta["keras_version"]
    return config


def from_config(config: dict, source: str = "<keras>", fmt: str = "Keras JSON") -> ImportedModel:
    """Architecture text from a parsed Keras model configuration (``json.loads(model.to_json())``)."""
    kind = config.get("class_name")
    if kind not in ("Sequential", "Functional", "Model"):
        raise unsupported("model class", str(kind), source, ["Sequential", "Functional (a single chain)"])
    layers = config["config"].get("layers")
    if not isinstance(layers, list) or not layers:
        raise ModelImportError(f"{source}: the model configuration has no layers")
    if kind != "Sequential":
        _check_single_chain(layers, source)
    return _Builder(source).build(layers, fmt)


def _check_single_chain(layers: list, source: str) -> None:
    for layer in layers:
        inbound = layer.get("inbound_nodes") or []
        count = len(json.dumps(inbound).split('"keras_history"')) - 1 if inbound else 0
        if count == 0 and inbound and isinstance(inbound[0], list):   # tf.keras 2: [[[name, 0, 0, {}]]]
            count = len(inbound[0])
        if len(inbound) > 1 or count > 1:
            raise ModelImportError(f"{source}: layer '{layer.get('config', {}).get('name')}' has several "
                                   "inputs; only models that are one chain of layers can be imported")


def _mirrors(forward: dict, backward: dict) -> bool:
    """Keras 3 writes the backward layer out in full: it must be the forward one run backwards."""
    f, b = forward.get("config") or {}, backward.get("config") or {}
    ignore = {"name", "go_backwards"}
    return (forward.get("class_name") == backward.get("class_name")
            and {k: v for k, v in f.items() if k not in ignore} == {k: v for k, v in b.items() if k not in ignore})


class _Builder(ChainBuilder):
    def where(self, config) -> str:
        return f"{self.source}: layer '{config.get('name', '?')}'"

    def build(self, layers: list, fmt: str) -> ImportedModel:
        for layer in layers:
            name = layer.get("class_name")
            config = layer.get("config") or {}
            if self.input_dim is None:
                self._input_from(layer, config)
            if name == "InputLayer":
                continue
            if name not in KERAS_LAYERS:
                raise unsupported("Keras layer", str(name), self.where(config), KERAS_LAYERS)
            if name in SKIPPED:
                self.notes.append(f"{name} '{config.get('name')}' skipped (no parameters; identity at inference)")
            elif name == "Dense":
                self._dense(config)
            elif name in ACTIVATION_LAYERS:
                self._activation_layer(name, config)
            else:
                self._recurrent(name, config)
        if self.input_dim is None:
            raise ModelImportError(f"{self.source}: the input shape is not in the configuration "
                                   "(give the model an Input layer or build it before saving)")
        return self.imported(fmt)

    def _input_from(self, layer, config) -> None:
        shape = (config.get("batch_shape") or config.get("batch_input_shape")
                 or (layer.get("build_config") or {}).get("input_shape"))
        if not shape:
            return
        shape = list(shape)[1:]                    # drop the batch dimension
        if len(shape) == 1 and isinstance(shape[0], int):
            self.input_dim = shape[0]
        elif len(shape) == 2 and isinstance(shape[1], int):
            self.input_dim = shape[1]
            self.seq = shape[0] if isinstance(shape[0], int) else "T"
            self.sequence = True
        else:
            raise ModelImportError(f"{self.where(config)}: input shape {shape} is not a vector or a "
                                   "sequence of vectors with a known feature size")

    def _act(self, name, config) -> str:
        if isinstance(name, dict):                 # a serialised activation object
            name = name.get("config", {}).get("name") or name.get("class_name")
        act = KERAS_ACTIVATIONS.get(name)
        if act is None:
            supported = sorted(k for k in KERAS_ACTIVATIONS if k)
            raise unsupported("activation", str(name), self.where(config), supported)
        return act

    def _dense(self, config) -> None:
        options = {}
        act = self._act(config.get("activation"), config)
        if act != "linear":
            options["act"] = act
        if config.get("use_bias", True) is False:
            options["bias"] = False
        self.specs.append(LayerSpec("dense", self._units(config), options))

    def _units(self, config) -> int:
        """``units`` as written: a positive JSON integer (``0.5`` was truncated to 0, ``1e999`` was
        an OverflowError)."""
        units = config.get("units")
        if isinstance(units, bool) or not isinstance(units, int) or units <= 0:
            raise ModelImportError(f"{self.where(config)}: 'units' must be a positive whole number, "
                                   f"got {str(units)[:40]}")
        return units

    def _activation_layer(self, name, config) -> None:
        act = {"ReLU": "relu", "LeakyReLU": "leaky_relu"}.get(name) or self._act(config.get("activation"), config)
        if name == "ReLU" and (config.get("max_value") is not None or config.get("threshold", 0) not in (0, 0.0)):
            raise ModelImportError(f"{self.where(config)}: ReLU with max_value or threshold is not plain relu")
        if act != "linear":
            self.fold_activation(act, self.where(config), "Dense layer")

    def _recurrent(self, name, config) -> None:
        bidirectional = name == "Bidirectional"
        outer = config
        if bidirectional:
            if config.get("merge_mode", "concat") != "concat":
                raise ModelImportError(f"{self.where(config)}: Bidirectional merge_mode "
                                       f"'{config.get('merge_mode')}' (supported: concat)")
            inner = config.get("layer") or {}
            if config.get("backward_layer") and not _mirrors(inner, config["backward_layer"]):
                raise ModelImportError(f"{self.where(config)}: Bidirectional whose backward layer differs "
                                       "from its forward layer is not supported")
            name, config = inner.get("class_name"), inner.get("config") or {}
            if name not in RECURRENT:
                raise unsupported("layer inside Bidirectional", str(name), self.where(outer), RECURRENT)
        if not self.sequence:
            raise ModelImportError(f"{self.where(config)}: a {name} layer needs a sequence input "
                                   "(input shape (timesteps, features))")
        if config.get("return_state"):
            raise ModelImportError(f"{self.where(config)}: return_state=True is not supported")
        options: dict = {}
        if name == "SimpleRNN":
            kind = "rnn"
            act = self._act(config.get("activation", "tanh"), config)
            if act != "tanh":
                options["act"] = act
        else:
            kind = name.lower()
            for key, want in (("activation", "tanh"), ("recurrent_activation", "sigmoid")):
                if config.get(key, want) != want:
                    raise ModelImportError(f"{self.where(config)}: {name} with {key}='{config.get(key)}' "
                                           f"(vcbound's {kind} is the standard cell: {key}='{want}')")
        if config.get("use_bias", True) is False:
            options["bias"] = False
        if bidirectional:
            options["bidirectional"] = True
        options["convention"] = "keras"
        if kind == "gru" and config.get("reset_after", True) is False:
            options["reset_after"] = False
        self.specs.append(LayerSpec(kind, self._units(config), options))
        if not config.get("return_sequences", False):
            self.specs.append(LayerSpec("last"))
            self.sequence = False
