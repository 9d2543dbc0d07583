"""Weights in, checked arrays and their norms out (the input of norm-based bounds).

In: a weight file (``.npz``; ``.safetensors``, parsed here with numpy from its documented layout:
an 8-byte little-endian header length, a JSON header naming each tensor's dtype, shape and byte
offsets, then the raw little-endian buffer; ``.pt``/``.pth``, a PyTorch state dict read with
``torch.load(weights_only=True)`` when torch is installed), a ``dict`` of arrays, or a torch module.
Out: ``{name: float64 array}`` checked against the architecture's tensor specs
(``tensors.weight_tensors``): a missing tensor, an extra one or a wrong shape is refused with the
tensor's name, its shape and the expected one. ``norms`` gives the spectral norm, the Frobenius norm,
BFT's (2,1)-norm of the transpose and the matrix 1-norm of the transpose of every weight matrix. A
weight file is data: nothing in it is executed (``weights_only=True`` for torch, ``allow_pickle=False``
for numpy).
"""
from __future__ import annotations

import json
import os
import struct

from .errors import UsageError

SAFETENSORS_DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
                      "I8": "i1", "U8": "u1", "U16": "<u2", "U32": "<u4", "U64": "<u8", "BOOL": "?"}
MAX_HEADER_BYTES = 100 * 1024 * 1024      # the format's own limit on the JSON header


def _numpy():
    try:
        import numpy as np
    except ImportError:       # pragma: no cover - numpy is in the test extra
        raise UsageError("reading weights needs numpy: pip install 'vcbound[weights]'") from None
    return np


def load_weights(source) -> dict:
    """``{name: float64 array}`` from a path (.npz, .safetensors, .pt/.pth), a dict of arrays, or a torch
    module (its ``state_dict()``)."""
    np = _numpy()
    if isinstance(source, dict):
        return {str(k): _as_array(np, v, str(k)) for k, v in source.items()}
    if hasattr(source, "state_dict") and callable(source.state_dict):
        return {k: _as_array(np, v, k) for k, v in source.state_dict().items()}
    path = os.fspath(source)
    if not os.path.isfile(path):
        raise UsageError(f"{path}: no such weight file")
    lower = path.lower()
    if lower.endswith(".npz"):
        return _load_npz(np, path)
    if lower.endswith(".safetensors"):
        return _load_safetensors(np, path)
    if lower.endswith((".pt", ".pth")):
        return _load_torch(np, path)
    raise UsageError(f"{path}: unknown weight file type (expected .npz, .safetensors, .pt or .pth)")


def _as_array(np, value, name):
    if hasattr(value, "detach"):          # a torch tensor
        value = value.detach().cpu().double().numpy()
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise UsageError(f"tensor {name}: not an array of numbers") from None
    if not np.all(np.isfinite(arr)):
        raise UsageError(f"tensor {name}: contains NaN or infinite entries")
    return arr


def _load_npz(np, path):
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: _as_array(np, data[k], k) for k in data.files}
    except UsageError:
        raise
    except Exception as exc:      # zipfile/format errors: one line, no traceback
        raise UsageError(f"{path}: not a readable .npz file ({exc.__class__.__name__}: {exc})") from None


def _load_safetensors(np, path):
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise UsageError(f"{path}: not a safetensors file (shorter than its 8-byte header length)")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > MAX_HEADER_BYTES or 8 + n > len(raw):
        raise UsageError(f"{path}: not a safetensors file (header length {n} does not fit the file)")
    try:
        header = json.loads(raw[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{path}: safetensors header is not JSON ({exc})") from None
    if not isinstance(header, dict):
        raise UsageError(f"{path}: safetensors header is not a JSON object")
    buffer = raw[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        try:
            dtype, shape, (start, end) = info["dtype"], [int(s) for s in info["shape"]], info["data_offsets"]
        except (KeyError, TypeError, ValueError):
            raise UsageError(f"{path}: tensor {name}: header entry needs dtype, shape and data_offsets") from None
        if dtype == "BF16":       # numpy has no bfloat16: it is the high half of a float32
            words = np.frombuffer(buffer[start:end], dtype="<u2").astype(np.uint32) << 16
            arr = words.view(np.float32)
        elif dtype in SAFETENSORS_DTYPES:
            arr = np.frombuffer(buffer[start:end], dtype=SAFETENSORS_DTYPES[dtype])
        else:
            raise UsageError(f"{path}: tensor {name}: unsupported dtype {dtype}")
        count = int(np.prod(shape)) if shape else 1
        if not (0 <= start <= end <= len(buffer)) or arr.size != count:
            raise UsageError(f"{path}: tensor {name}: data_offsets [{start}, {end}] do not hold shape {shape}")
        out[name] = _as_array(np, arr.reshape(shape), name)
    return out


def save_safetensors(path, arrays: dict) -> None:
    """Write float32 arrays in the safetensors layout (used for examples and tests)."""
    np = _numpy()
    header, chunks, offset = {}, [], 0
    for name in sorted(arrays):
        data = np.ascontiguousarray(arrays[name], dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(np.shape(arrays[name])), "data_offsets": [offset,
                                                                                            offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)           # the reference writer pads the header to 8 bytes
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def _load_torch(np, path):
    try:
        import torch
    except ImportError:
        raise UsageError(f"{path}: reading a PyTorch state dict needs torch (pip install torch); or save the "
                         "weights as .npz or .safetensors, which need only numpy") from None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise UsageError(f"{path}: not a readable PyTorch state dict ({exc.__class__.__name__}: {exc})") from None
    if hasattr(state, "state_dict"):
        state = state.state_dict()
    if not isinstance(state, dict):
        raise UsageError(f"{path}: expected a state dict (name -> tensor), found {type(state).__name__}")
    return {str(k): _as_array(np, v, str(k)) for k, v in state.items()}


def check_shapes(specs, arrays: dict) -> dict:
    """``arrays`` restricted to the architecture's tensors, each with the expected shape. Every
    mismatch is reported at once: tensor name, its shape, the expected shape."""
    problems = []
    out = {}
    for spec in specs:
        expected = tuple(spec.shape)
        if any(not getattr(s, "is_Integer", isinstance(s, int)) for s in expected):
            raise UsageError(f"tensor {spec.name}: shape {_shape(expected)} is symbolic; bind the sizes "
                             "with --at (e.g. --at d=3,n=4,T=5)")
        expected = tuple(int(s) for s in expected)
        arr = arrays.get(spec.name)
        if arr is None:
            problems.append(f"tensor {spec.name}: missing from the weights (expected shape {_shape(expected)})")
            continue
        if tuple(arr.shape) != expected:
            problems.append(f"tensor {spec.name}: shape {_shape(arr.shape)}, expected {_shape(expected)}")
            continue
        out[spec.name] = arr
    known = {s.name for s in specs}
    extra = sorted(k for k in arrays if k not in known)
    if extra:
        problems.append(f"tensors not in this architecture: {', '.join(extra[:8])}"
                        + (f" (+{len(extra) - 8} more)" if len(extra) > 8 else "")
                        + f"; expected names: {', '.join(s.name for s in specs)}")
    if problems:
        raise UsageError("; ".join(problems))
    return out


def _shape(shape) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def norms(array) -> dict:
    """Spectral norm, Frobenius norm, ||A^T||_{2,1} (the sum over rows of A of their Euclidean norms,
    Bartlett-Foster-Telgarsky's (2,1)-norm of the transpose) and ||A^T||_1 of a weight matrix."""
    np = _numpy()
    a = np.atleast_2d(array)
    return {"spec": float(np.linalg.norm(a, 2)), "frob": float(np.linalg.norm(a)),
            "l21": float(np.linalg.norm(a, axis=1).sum()),
            # ||A^T||_1 = max_j sum_i |(A^T)_ij|: the largest absolute row sum of A (Tu-He-Tao's beta)
            "l1t": float(np.abs(a).sum(axis=1).max())}
