"""ONNX models -> architecture text (needs the optional ``onnx`` package: ``pip install 'vcbound[onnx]'``).

In: a path to an ``.onnx`` file. Out: an ``ImportedModel`` whose text counts exactly the parameters
stored in the file: the sum of the float initializers (and constant tensors) that the supported
nodes use as weights. That check runs on every import; a mismatch is an error, never a silent guess.

The graph is read as data (protobuf), never run. Nodes on the *data path* (reachable from a graph
input without passing through ``Shape``) are read in order: LSTM/GRU/RNN become recurrent layers,
Gemm and MatMul (+ Add of a bias) become ``dense``, an activation after a dense layer becomes its
``act=``, and taking one time step of a recurrent output (Gather/Slice on the time axis, or the
final-state output ``Y_h``) becomes ``last``. The shape plumbing that torch and Keras exporters add
(Transpose, Reshape, Squeeze, Concat, ...) carries no parameters and is passed through. Anything
else is an error naming the op and listing ``ONNX_OPS``.
"""
from __future__ import annotations

from ..errors import ModelImportError
from . import ChainBuilder, ImportedModel, LayerSpec, check_count, unsupported

RECURRENT_OPS = {"LSTM": "lstm", "GRU": "gru", "RNN": "rnn"}
DENSE_OPS = ("Gemm", "MatMul")
ACTIVATION_OPS = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "Softplus": "softplus",
                  "LeakyRelu": "leaky_relu"}
SELECT_OPS = ("Gather", "Slice")
PASS_THROUGH = ("Transpose", "Reshape", "Squeeze", "Unsqueeze", "Flatten", "Identity", "Concat",
                "Cast", "Dropout", "Expand", "Shape", "Constant", "ConstantOfShape", "Size")
ONNX_OPS = (*RECURRENT_OPS, *DENSE_OPS, "Add (bias of a MatMul)", *ACTIVATION_OPS, *SELECT_OPS,
            *PASS_THROUGH)
# default activations of the ONNX recurrent ops (the standard cells vcbound knows)
STANDARD_ACTIVATIONS = {"LSTM": ["Sigmoid", "Tanh", "Tanh"], "GRU": ["Sigmoid", "Tanh"]}
RNN_ACTIVATIONS = {"Tanh": "tanh", "Relu": "relu", "Sigmoid": "sigmoid"}


def _onnx():
    try:
        import onnx
    except ImportError:
        raise ModelImportError("reading ONNX files needs the 'onnx' package: pip install 'vcbound[onnx]'") from None
    return onnx


def import_onnx(path: str) -> ImportedModel:
    onnx = _onnx()
    try:
        model = onnx.load(path, load_external_data=False)
    except Exception as exc:   # protobuf raises its own DecodeError and others; all mean "not ONNX"
        raise ModelImportError(f"{path}: not a readable ONNX model ({type(exc).__name__}: {exc})") from None
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)
    imported = _Reader(model.graph, path, onnx).read()
    imported.format = "ONNX" + (f", opset {opset}" if opset else "") + (
        f", produced by {model.producer_name} {model.producer_version}".rstrip() if model.producer_name else "")
    check_count(imported)
    return imported


class _Reader(ChainBuilder):
    def __init__(self, graph, source: str, onnx):
        super().__init__(source)
        self.graph = graph
        self.onnx = onnx
        self.tensors = {t.name: t for t in graph.initializer}     # weights stored in the file
        for node in graph.node:                                   # ... or as Constant nodes
            if node.op_type == "Constant":
                for attr in node.attribute:
                    if attr.name == "value" and attr.type == attr.TENSOR:
                        self.tensors[node.output[0]] = attr.t
        self.used: set[str] = set()
        self.pending_bias = None          # (output name, dense spec) of a MatMul awaiting its Add
        self.after_recurrent = False      # the data path holds a recurrent layer's sequence output
        self.final_state_outputs: set[str] = set()

    # ---- helpers ------------------------------------------------------------------------------
    def where(self, node) -> str:
        return f"{self.source}: node '{node.name or node.output[0]}' ({node.op_type})"

    def shape(self, name) -> list[int] | None:
        t = self.tensors.get(name)
        return list(t.dims) if t is not None else None

    def weight(self, name) -> list[int]:
        if name not in self.tensors:
            raise ModelImportError(f"{self.source}: weight '{name}' is computed in the graph, not stored; "
                                   "vcbound reads weights that are initializers or Constant nodes")
        self.used.add(name)
        return list(self.tensors[name].dims)

    def ints(self, name) -> list[int] | None:
        t = self.tensors.get(name)
        if t is None:
            return None
        return [int(v) for v in self.onnx.numpy_helper.to_array(t).reshape(-1)]

    def attr(self, node, name, default=None):
        for a in node.attribute:
            if a.name == name:
                return self.onnx.helper.get_attribute_value(a)
        return default

    def set_input(self, dim, sequence: bool) -> None:
        if self.input_dim is None:
            self.input_dim = dim
            self.seq = "T" if sequence else None

    # ---- the walk -----------------------------------------------------------------------------
    def read(self) -> ImportedModel:
        data = {i.name for i in self.graph.input if i.name not in self.tensors}
        for node in self.graph.node:
            inputs = [i for i in node.input if i]
            if node.op_type in ("Shape", "Size") or not any(i in data for i in inputs):
                continue                       # metadata or constants, not the data path
            data.update(o for o in node.output if o)
            self.visit(node, data)
        if not self.specs:
            raise ModelImportError(f"{self.source}: no layer with parameters on the path from the "
                                   "graph's input to its output")
        # every stored float tensor is a parameter, except the initial states of recurrent layers
        # (zeros an exporter may store; not trained) and tensors only the shape plumbing reads
        stored = {i.name for i in self.graph.initializer}
        states = {i for node in self.graph.node if node.op_type in RECURRENT_OPS for i in node.input[4:7]}
        expected = sum(_numel(t) for name, t in self.tensors.items()
                       if name in self.used or (name in stored and name not in states and _is_float(t, self.onnx)))
        return self.imported("ONNX", expected)

    def visit(self, node, data) -> None:
        op = node.op_type
        if op in RECURRENT_OPS:
            self.recurrent(node)
        elif op == "Gemm":
            self.gemm(node)
        elif op == "MatMul":
            self.matmul(node, data)
        elif op == "Add":
            self.add(node, data)
        elif op in ACTIVATION_OPS:
            self.activation(node)
        elif op in SELECT_OPS:
            if self.after_recurrent:
                self.select(node)
        elif op in PASS_THROUGH:
            if any(i in self.final_state_outputs for i in node.input):
                self.final_state_outputs.update(node.output)
        else:
            raise unsupported("ONNX op", op, self.where(node), ONNX_OPS)
        if op != "MatMul":
            self.pending_bias = None

    def take_last(self, why: str) -> None:
        self.specs.append(LayerSpec("last"))
        self.after_recurrent = False
        self.notes.append(why)

    def before_layer(self, node) -> None:
        """A layer reads the final state output (Y_h): that is the last time step."""
        if any(i in self.final_state_outputs for i in node.input) and self.after_recurrent:
            self.take_last("the final hidden state (Y_h) of a recurrent layer is written as 'last'")
        self.final_state_outputs.clear()

    def recurrent(self, node) -> None:
        op = node.op_type
        self.before_layer(node)
        if not self.after_recurrent and self.specs and self.specs[-1].kind != "last":
            raise ModelImportError(f"{self.where(node)}: a recurrent layer after a per-step layer is not supported")
        if self.specs and self.specs[-1].kind == "last":
            raise ModelImportError(f"{self.where(node)}: a recurrent layer after the sequence ended")
        gates = {"LSTM": 4, "GRU": 3, "RNN": 1}[op]
        w_dims, r_dims = self.weight(node.input[1]), self.weight(node.input[2])
        if len(node.input) > 3 and node.input[3]:
            b_dims = self.weight(node.input[3])
            if b_dims[-1] != 2 * w_dims[1]:
                raise ModelImportError(f"{self.where(node)}: bias of shape {b_dims} (expected [dirs, {2 * w_dims[1]}])")
            bias = True
        else:
            bias = False
        if op == "LSTM" and len(node.input) > 7 and node.input[7]:
            raise ModelImportError(f"{self.where(node)}: peephole connections (input P) are not supported")
        directions, width, d = w_dims[0], w_dims[1] // gates, w_dims[2]
        if r_dims != [directions, gates * width, width]:
            raise ModelImportError(f"{self.where(node)}: recurrence weights of shape {r_dims}, "
                                   f"expected {[directions, gates * width, width]} (projections are not supported)")
        direction = self.attr(node, "direction", b"forward")
        direction = direction.decode() if isinstance(direction, bytes) else direction
        for bad in ("clip", "input_forget"):
            if self.attr(node, bad):
                raise ModelImportError(f"{self.where(node)}: attribute {bad} is not supported")
        acts = [a.decode() if isinstance(a, bytes) else a for a in (self.attr(node, "activations") or [])]
        options: dict = {}
        if op == "RNN":
            act = acts[0] if acts else "Tanh"
            if act not in RNN_ACTIVATIONS or (len(acts) > 1 and acts[1] != act):
                raise unsupported("RNN activation", act, self.where(node), list(RNN_ACTIVATIONS))
            if RNN_ACTIVATIONS[act] != "tanh":
                options["act"] = RNN_ACTIVATIONS[act]
        elif acts and acts[:len(STANDARD_ACTIVATIONS[op])] != STANDARD_ACTIVATIONS[op]:
            raise ModelImportError(f"{self.where(node)}: activations {acts} (vcbound's {op.lower()} is the "
                                   f"standard cell: {STANDARD_ACTIVATIONS[op]})")
        if op == "GRU" and not self.attr(node, "linear_before_reset", 0):
            raise ModelImportError(f"{self.where(node)}: GRU with linear_before_reset=0 is not supported "
                                   "(torch and Keras' default reset_after=True export linear_before_reset=1)")
        if not bias:
            options["bias"] = False
        if direction == "bidirectional":
            options["bidirectional"] = True
        elif directions != 1:
            raise ModelImportError(f"{self.where(node)}: {directions} directions with direction={direction}")
        self.set_input(d, True)
        self.specs.append(LayerSpec(RECURRENT_OPS[op], width, options))
        self.after_recurrent = True
        self.final_state_outputs = {node.output[1]} if len(node.output) > 1 and node.output[1] else set()

    def dense(self, node, width, bias_dims, d) -> LayerSpec:
        self.before_layer(node)
        self.set_input(d, False)
        spec = LayerSpec("dense", width, {} if bias_dims else {"bias": False})
        self.specs.append(spec)
        return spec

    def gemm(self, node) -> None:
        if self.attr(node, "transA", 0):
            raise ModelImportError(f"{self.where(node)}: Gemm with transA=1 is not supported")
        dims = self.weight(node.input[1])
        d, width = (dims[1], dims[0]) if self.attr(node, "transB", 0) else (dims[0], dims[1])
        bias = self.weight(node.input[2]) if len(node.input) > 2 and node.input[2] else None
        if bias is not None and _product(bias) != width:
            raise ModelImportError(f"{self.where(node)}: bias of shape {bias} for {width} outputs")
        self.dense(node, width, bias, d)

    def matmul(self, node, data) -> None:
        a, b = node.input[0], node.input[1]
        if b in self.tensors and a in data:
            d, width = self.weight(b)[-2:]
        elif a in self.tensors and b in data:
            width, d = self.weight(a)[-2:]
        else:
            raise ModelImportError(f"{self.where(node)}: a MatMul of two computed tensors (attention or a "
                                   "bilinear form) is not supported; MatMul needs one stored weight")
        self.pending_bias = (node.output[0], self.dense(node, width, None, d))

    def add(self, node, data) -> None:
        bias = next((i for i in node.input if i in self.tensors), None)
        other = next((i for i in node.input if i != bias), None)
        if self.pending_bias is None or bias is None or other != self.pending_bias[0]:
            raise ModelImportError(f"{self.where(node)}: Add is read only as the bias of a MatMul "
                                   "(a residual connection is not supported)")
        spec = self.pending_bias[1]
        if _product(self.weight(bias)) != spec.width:
            raise ModelImportError(f"{self.where(node)}: bias of shape {self.shape(bias)} for {spec.width} outputs")
        spec.options.pop("bias", None)

    def activation(self, node) -> None:
        if node.op_type == "LeakyRelu" and abs(self.attr(node, "alpha", 0.01) - 0.01) > 1e-9:
            self.notes.append(f"LeakyRelu '{node.name}' has alpha={self.attr(node, 'alpha')}; "
                              "vcbound's leaky_relu is the class of such maps")
        self.fold_activation(ACTIVATION_OPS[node.op_type], self.where(node), "Gemm or MatMul")

    def select(self, node) -> None:
        """Gather/Slice on a recurrent output: the last time step, if the index says so."""
        if node.op_type == "Gather":
            index = self.ints(node.input[1]) if len(node.input) > 1 else None
            last = index == [-1]
        else:
            starts = self.ints(node.input[1]) if len(node.input) > 1 else None
            last = starts == [-1]
        if not last:
            raise ModelImportError(f"{self.where(node)}: selects something other than the last time step "
                                   "of a recurrent output (vcbound's 'last' takes the final step)")
        self.take_last(f"{node.op_type} of time step -1 is written as 'last'")


def _product(dims) -> int:
    out = 1
    for d in dims:
        out *= int(d)
    return out


def _numel(tensor) -> int:
    return _product(tensor.dims)


def _is_float(tensor, onnx) -> bool:
    T = onnx.TensorProto
    return tensor.data_type in (T.FLOAT, T.DOUBLE, T.FLOAT16, T.BFLOAT16)
