"""Importers: ONNX files built with ``onnx.helper``, Keras JSON written by Keras, torch modules.

Every import must round-trip to the exact count the model itself stores: for ONNX the sum of the
weight initializers (computed here from the arrays, independently of the importer), for Keras the
``count_params()`` and the weight shapes that Keras recorded when it wrote the fixture
(tests/data/keras/expected.json), for torch ``sum(p.numel())``.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import vcbound
from vcbound.cli import main as cli_main
from vcbound.errors import ModelImportError

KERAS = Path(__file__).parent / "data" / "keras"
EXPECTED = json.loads((KERAS / "expected.json").read_text())


def params_of(text: str) -> int:
    return int(vcbound.count(text).params)


# ---- Keras ------------------------------------------------------------------------------------
SUPPORTED_KERAS = [name for name in EXPECTED if not name.startswith("unsupported")]


@pytest.mark.parametrize("name", SUPPORTED_KERAS)
def test_keras_json_counts_what_keras_counted(name):
    info = EXPECTED[name]
    from_shapes = sum(math.prod(shape) for shape in info["weights"].values())
    assert from_shapes == info["count_params"]          # the fixture is consistent with itself
    imported = vcbound.import_model(KERAS / f"{name}.json")
    assert params_of(imported.text) == info["count_params"], imported.text
    # the text is ordinary architecture text: parsing it again gives the same count
    assert params_of(str(imported)) == info["count_params"]


def test_keras_texts_read_as_written():
    texts = {name: vcbound.import_model(KERAS / f"{name}.json").text for name in SUPPORTED_KERAS}
    assert texts["lstm_stack"] == "input(7, seq=10) -> lstm(5, convention=keras)^2 -> last -> dense(1, act=sigmoid)"
    assert texts["gru_reset_before"] == ("input(7, seq=T) -> gru(5, convention=keras, reset_after=false) -> last "
                                         "-> dense(1)")
    assert "bidirectional=true" in texts["bidirectional_lstm"]
    assert texts["mlp"] == "input(784) -> dense(64, act=relu)^2 -> dense(10)"   # Activation layer folded in


def test_keras_archive_reads_config_without_keras():
    imported = vcbound.import_model(KERAS / "lstm_stack.keras")
    assert params_of(imported.text) == EXPECTED["lstm_stack"]["count_params"]
    assert EXPECTED["lstm_stack"]["keras_version"] in imported.format


@pytest.mark.parametrize("name, layer", [("unsupported_conv", "Conv1D"), ("unsupported_softmax", "softmax")])
def test_keras_unsupported_layer_is_named_with_the_supported_ones(name, layer):
    with pytest.raises(ModelImportError) as err:
        vcbound.import_model(KERAS / f"{name}.json")
    message = str(err.value)
    assert f"'{layer}'" in message and "supported:" in message
    assert ("LSTM" in message) if layer == "Conv1D" else ("relu" in message)


def test_model_files_work_wherever_arch_does(capsys):
    assert cli_main(["params", str(KERAS / "gru_mlp.json"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["params"] == EXPECTED["gru_mlp"]["count_params"]
    assert cli_main(["import", str(KERAS / "lstm_stack.keras")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# imported from ") and out.rstrip().endswith("dense(1, act=sigmoid)")
    assert cli_main(["params", str(KERAS / "unsupported_conv.json")]) == 1
    err = capsys.readouterr().err
    assert "Conv1D" in err and "Traceback" not in err


def test_not_a_model_file(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text('{"a": 1}')
    with pytest.raises(ModelImportError, match="not a Keras model configuration"):
        vcbound.import_model(bad)
    bad.write_text("{")
    with pytest.raises(ModelImportError, match="invalid JSON"):
        vcbound.import_model(bad)
    (tmp_path / "y.keras").write_bytes(b"PK no zip")
    with pytest.raises(ModelImportError, match="not a .keras archive"):
        vcbound.import_model(tmp_path / "y.keras")


# ---- ONNX -------------------------------------------------------------------------------------
# The ONNX tests need the onnx extra (the test extra installs it); the Keras tests above do not.
try:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
except ImportError:             # each ONNX test is skipped with this reason, never the whole module
    onnx = None
needs_onnx = pytest.mark.skipif(onnx is None, reason="the onnx extra is not installed (pip install 'vcbound[onnx]')")


class OnnxGraph:
    """A small builder for ONNX graphs shaped like torch.onnx exports (seq-first recurrent ops)."""

    def __init__(self, feature: int, sequence: bool = True):
        self.nodes, self.inits = [], []
        dims = ["T", "batch", feature] if sequence else ["batch", feature]
        self.inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, dims)]
        self.current = "x"
        self.k = 0

    def name(self, stem):
        self.k += 1
        return f"{stem}_{self.k}"

    def init(self, shape, dtype=np.float32, values=None):
        name = self.name("w")
        array = np.asarray(values, dtype=dtype) if values is not None else np.ones(shape, dtype=dtype)
        self.inits.append(numpy_helper.from_array(array, name))
        return name

    def node(self, op, inputs, n_out=1, **attrs):
        outs = [self.name(op.lower()) for _ in range(n_out)]
        self.nodes.append(helper.make_node(op, inputs, outs, name=self.name(op), **attrs))
        return outs

    def recurrent(self, op, d, n, directions=1, bias=True, **attrs):
        gates = {"LSTM": 4, "GRU": 3, "RNN": 1}[op]
        ins = [self.current, self.init([directions, gates * n, d]), self.init([directions, gates * n, n])]
        if bias:
            ins.append(self.init([directions, 2 * gates * n]))
        if directions == 2:
            attrs["direction"] = "bidirectional"
        if op == "GRU":
            attrs.setdefault("linear_before_reset", 1)
        outs = self.node(op, ins, 3 if op == "LSTM" else 2, hidden_size=n, **attrs)
        return outs

    def then(self, op, *extra, **attrs):
        self.current = self.node(op, [self.current, *extra], **attrs)[0]
        return self

    def save(self, path):
        out = helper.make_tensor_value_info(self.current, TensorProto.FLOAT, None)
        graph = helper.make_graph(self.nodes, "g", self.inputs, [out], initializer=self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="test")
        onnx.save(model, str(path))
        return path

    def stored(self) -> int:
        return sum(int(numpy_helper.to_array(t).size) for t in self.inits if t.data_type == TensorProto.FLOAT)


def torch_style_lstm_stack(tmp_path, d=7, n=5, layers=2):
    """torch.onnx.export of nn.LSTM(d, n, num_layers) + h[-1] + Linear(n, 1) + sigmoid."""
    g = OnnxGraph(d)
    width = d
    for i in range(layers):
        y, y_h, _ = g.recurrent("LSTM", width, n)
        width = n
        if i < layers - 1:
            g.current = y
            g.then("Squeeze", g.init(None, np.int64, [1]))
        else:
            g.current = y_h
            g.then("Squeeze", g.init(None, np.int64, [0]))
    g.then("Gemm", g.init([1, n]), g.init([1]), transB=1).then("Sigmoid")
    return g, g.save(tmp_path / "lstm.onnx")


@needs_onnx
def test_onnx_lstm_stack_matches_initializers(tmp_path):
    g, path = torch_style_lstm_stack(tmp_path)
    imported = vcbound.import_model(path)
    assert imported.text == "input(7, seq=T) -> lstm(5)^2 -> last -> dense(1, act=sigmoid)"
    assert imported.expected_params == g.stored() == 520 + 6       # DESIGN.md: torch LSTM, L=2
    assert params_of(imported.text) == g.stored()


@needs_onnx
def test_onnx_bidirectional_gru_with_shape_plumbing(tmp_path):
    g = OnnxGraph(7)
    # the shape side-branch torch adds for the initial state must not count as the data path
    shape = g.node("Shape", ["x"])[0]
    g.node("Gather", [shape, g.init(None, np.int64, [1])], axis=0)
    y, _ = g.recurrent("GRU", 7, 5, directions=2)
    g.current = y                                   # [T, 2, batch, 5] -> [T, batch, 10]
    g.then("Transpose", perm=[0, 2, 1, 3]).then("Reshape", g.init(None, np.int64, [0, 0, -1]))
    g.then("Gather", g.init(None, np.int64, -1), axis=0)         # out[-1]
    g.then("MatMul", g.init([10, 3])).then("Add", g.init([3])).then("Relu")
    g.then("Gemm", g.init([3, 1]), g.init([1]))
    path = g.save(tmp_path / "gru.onnx")
    imported = vcbound.import_model(path)
    assert imported.text == ("input(7, seq=T) -> gru(5, bidirectional=true) -> last -> dense(3, act=relu) "
                             "-> dense(1)")
    assert params_of(imported.text) == g.stored() == 2 * 210 + 33 + 4


@needs_onnx
def test_onnx_mlp_and_relu_rnn_without_bias(tmp_path):
    g = OnnxGraph(784, sequence=False)
    g.then("Flatten").then("Gemm", g.init([64, 784]), g.init([64]), transB=1).then("Relu")
    g.then("MatMul", g.init([64, 10]))
    imported = vcbound.import_model(g.save(tmp_path / "mlp.onnx"))
    assert imported.text == "input(784) -> dense(64, act=relu) -> dense(10, bias=false)"
    assert params_of(imported.text) == g.stored()

    g = OnnxGraph(3)
    y, y_h = g.recurrent("RNN", 3, 4, bias=False, activations=["Relu"])
    g.current = y_h
    g.then("Squeeze", g.init(None, np.int64, [0])).then("Gemm", g.init([2, 4]), transB=1)
    imported = vcbound.import_model(g.save(tmp_path / "rnn.onnx"))
    assert imported.text == "input(3, seq=T) -> rnn(4, act=relu, bias=false) -> last -> dense(2, bias=false)"
    assert params_of(imported.text) == g.stored()


@needs_onnx
def test_onnx_unsupported_op_names_it(tmp_path):
    g = OnnxGraph(7, sequence=False)
    g.then("Gemm", g.init([4, 7]), g.init([4]), transB=1).then("Softmax")
    with pytest.raises(ModelImportError) as err:
        vcbound.import_model(g.save(tmp_path / "softmax.onnx"))
    assert "'Softmax'" in str(err.value) and "LSTM" in str(err.value) and "Gemm" in str(err.value)
    assert cli_main(["params", str(tmp_path / "softmax.onnx")]) == 1


@needs_onnx
def test_onnx_count_check_catches_weights_the_importer_did_not_read(tmp_path):
    g = OnnxGraph(7, sequence=False)
    g.then("Gemm", g.init([4, 7]), g.init([4]), transB=1)
    g.init([9])                                     # a stored float tensor no supported node uses
    with pytest.raises(ModelImportError, match="counts 32 parameters but the model stores 41"):
        vcbound.import_model(g.save(tmp_path / "extra.onnx"))


@needs_onnx
def test_onnx_garbage_file_is_an_error(tmp_path, capsys):
    (tmp_path / "bad.onnx").write_bytes(b"\x00\x01 not protobuf \xff" * 10)
    assert cli_main(["import", str(tmp_path / "bad.onnx")]) == 1
    assert "not a readable ONNX model" in capsys.readouterr().err


# ---- PyTorch (only where torch is installed; CI does not install it) ---------------------------
def test_torch_modules_round_trip():
    torch = pytest.importorskip("torch", reason="torch is not installed (CI never installs it: its wheel "
                                                "pulls gigabytes)")
    nn = torch.nn
    cases = [
        nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Dropout(0.1), nn.Linear(64, 10)),
        nn.LSTM(7, 5, num_layers=3),
        nn.LSTM(7, 5, num_layers=2, bidirectional=True),
        nn.LSTM(7, 5, proj_size=3),
        nn.GRU(7, 5, bias=False),
        nn.RNN(7, 5, nonlinearity="relu"),
    ]

    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.LSTM(7, 5, num_layers=2, batch_first=True)
            self.head = nn.Linear(5, 1)

    cases.append(Classifier())
    for module in cases:
        imported = vcbound.import_model(module)
        assert params_of(imported.text) == sum(p.numel() for p in module.parameters()), imported.text
    assert vcbound.import_model(cases[-1]).text == "input(7, seq=T) -> lstm(5)^2 -> last -> dense(1)"
    with pytest.raises(ModelImportError, match="'Conv1d'"):
        vcbound.import_model(nn.Sequential(nn.Conv1d(3, 4, 3)))
