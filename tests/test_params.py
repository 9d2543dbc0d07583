"""Exact parameter counts (DESIGN.md, "Parameter counts") and the ``vcbound params`` contract.

Three independent checks of the counting code:
1. the verified table (torch 2.13 / Keras 3.15, d=7, n=5) number by number, written in the language;
2. the closed forms of the table, symbolically (``expand(difference) == 0``);
3. a layer-by-layer reference written here from the DESIGN.md formulas, over a grid of (d, n, L),
   against both the symbolic ``block^L`` count and the explicit chain of L layers.
If torch is importable, real ``torch.nn`` modules are counted too (optional; torch is not a dependency).
"""
from __future__ import annotations

import itertools
import json
import re
import time

import pytest
import sympy as sp

import vcbound
from vcbound.cli import main
from vcbound.expressions import make_symbol
from vcbound.graph import parse

d, n, L, T, p = (make_symbol(s, integer=True) for s in "dnLTp")

SEQ = "input(7, seq=T) -> "

# (architecture, convention, expected W) -- the DESIGN.md table, row by row
TABLE = [
    pytest.param(SEQ + "lstm(5)", "torch", 280, id="torch-LSTM"),
    pytest.param(SEQ + "lstm(5)", "keras", 260, id="keras-LSTM"),
    pytest.param(SEQ + "gru(5)", "torch", 210, id="torch-GRU"),
    pytest.param(SEQ + "gru(5)", "keras", 210, id="keras-GRU-reset_after-default"),
    pytest.param(SEQ + "gru(5, reset_after=true)", "keras", 210, id="keras-GRU-reset_after-true"),
    pytest.param(SEQ + "gru(5, reset_after=false)", "keras", 195, id="keras-GRU-reset_after-false"),
    pytest.param(SEQ + "rnn(5)", "torch", 70, id="torch-RNN"),
    pytest.param(SEQ + "rnn(5)", "keras", 65, id="keras-SimpleRNN"),
    pytest.param("input(7) -> dense(5)", "torch", 40, id="torch-Linear"),
    pytest.param("input(7) -> dense(5)", "keras", 40, id="keras-Dense"),
    pytest.param(SEQ + "lstm(5)^2", "torch", 520, id="torch-LSTM-L2"),
    pytest.param(SEQ + "lstm(5)^3", "torch", 760, id="torch-LSTM-L3"),
    pytest.param(SEQ + "lstm(5) -> lstm(5)", "torch", 520, id="torch-LSTM-L2-explicit"),
    pytest.param(SEQ + "lstm(5) -> lstm(5) -> lstm(5)", "torch", 760, id="torch-LSTM-L3-explicit"),
    pytest.param(SEQ + "lstm(5, bidirectional=true)", "torch", 560, id="torch-biLSTM-L1"),
    pytest.param(SEQ + "lstm(5, bidirectional=true)^2", "torch", 1240, id="torch-biLSTM-L2"),
    pytest.param(SEQ + "lstm(5, proj=3)", "torch", 255, id="torch-LSTM-proj3"),
    pytest.param(SEQ + "lstm(5, bidirectional=true)", "keras", 520, id="keras-Bidirectional-LSTM"),
    # a per-layer convention= overrides the command's convention
    pytest.param(SEQ + "gru(5, reset_after=false, convention=keras)", "torch", 195, id="per-layer-convention"),
    pytest.param(SEQ + "lstm(5, convention=keras)", "torch", 260, id="per-layer-keras-LSTM"),
]


@pytest.mark.parametrize("arch, convention, expected", TABLE)
def test_design_table(arch, convention, expected):
    assert vcbound.count(arch, convention).params == expected


@pytest.mark.parametrize("arch, convention, expected", [
    ("input(7, seq=T) -> lstm(5)", "torch", 280),
    ("input(7, seq=T) -> gru(5, reset_after=false)", "keras", 195),
    ("input(7, seq=T) -> lstm(5, bidirectional=true)", "keras", 520),
    ("input(7, seq=T) -> lstm(5, bidirectional=true)^2", "torch", 1240),
])
def test_design_table_through_cli(arch, convention, expected, capsys):
    assert main(["params", arch, "--convention", convention, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["params"] == expected


# ---- the closed forms, symbolically ------------------------------------------------------------
TORCH_LSTM = 4 * n * (d + n) + 8 * n

CLOSED_FORMS = [
    ("input(d, seq=T) -> lstm(n)", "torch", TORCH_LSTM),
    ("input(d, seq=T) -> lstm(n)", "keras", 4 * n * (d + n) + 4 * n),
    ("input(d, seq=T) -> gru(n)", "torch", 3 * (n * (d + n) + 2 * n)),
    ("input(d, seq=T) -> gru(n, reset_after=true)", "keras", 3 * (n * (d + n) + 2 * n)),
    ("input(d, seq=T) -> gru(n, reset_after=false)", "keras", 3 * (n * (d + n) + n)),
    ("input(d, seq=T) -> rnn(n)", "torch", n * (d + n) + 2 * n),
    ("input(d, seq=T) -> rnn(n)", "keras", n * (d + n) + n),
    ("input(d) -> dense(n)", "torch", d * n + n),
    ("input(d) -> dense(n)", "keras", d * n + n),
    ("input(d, seq=T) -> lstm(n)^L", "torch", TORCH_LSTM + (L - 1) * (8 * n**2 + 8 * n)),
    ("input(d, seq=T) -> lstm(n, bidirectional=true)^L", "torch",
     2 * TORCH_LSTM + (L - 1) * 2 * (4 * n * (3 * n) + 8 * n)),
    ("input(d, seq=T) -> lstm(n, proj=p)", "torch", 4 * n * (d + p) + 8 * n + p * n),
    ("input(d, seq=T) -> lstm(n, bidirectional=true)", "keras", 2 * (4 * n * (d + n) + 4 * n)),
]


@pytest.mark.parametrize("arch, convention, formula", CLOSED_FORMS, ids=[f"{a}|{c}" for a, c, _ in CLOSED_FORMS])
def test_closed_form(arch, convention, formula):
    got = vcbound.count(arch, convention).params
    assert sp.expand(got - formula) == 0, f"{got} != {sp.expand(formula)}"


def test_stacked_lstm_is_not_L_times_one_layer():
    """The motivating question: W(L layers) = W(1) + (L-1)(8n^2+8n), not L*W(1) unless d = n."""
    one = vcbound.count("input(d, seq=T) -> lstm(n)").params
    stacked = vcbound.count("input(d, seq=T) -> lstm(n)^L").params
    assert sp.expand(stacked - L * one) != 0
    assert sp.expand((stacked - L * one).subs(d, n)) == 0


def test_repetition_stays_symbolic_in_the_graph():
    arch = parse("input(d, seq=T) -> lstm(n)^L -> last -> dense(1, act=sigmoid)")
    assert arch.graph.number_of_nodes() == 4          # one lstm node, not L copies
    lstm = [layer for layer in arch.layers if layer.name == "lstm"]
    assert len(lstm) == 1 and lstm[0].multiplicity == L
    q = vcbound.count(arch)
    assert q.depth == L + 1 and q.seq_len == T and q.input_dim == d
    assert sp.expand(q.params - (TORCH_LSTM + (L - 1) * (8 * n**2 + 8 * n) + n + 1)) == 0


# ---- an independent reference, layer by layer, from the DESIGN.md formulas -----------------------
def ref_layer(kind, d, n, conv, bidirectional=False, proj=None, reset_after=None, bias=True):
    """(parameters, output width) of one layer, straight from the DESIGN.md table."""
    dirs = 2 if bidirectional else 1
    if kind == "dense":
        return d * n + (n if bias else 0), n
    if kind == "rnn":
        b = {"torch": 2 * n, "keras": n, "textbook": n}[conv] if bias else 0
        return dirs * (n * (d + n) + b), dirs * n
    if kind == "lstm":
        b = {"torch": 8 * n, "keras": 4 * n, "textbook": 4 * n}[conv] if bias else 0
        if proj is not None:
            assert conv == "torch"
            return dirs * (4 * n * (d + proj) + b + proj * n), dirs * proj
        return dirs * (4 * n * (d + n) + b), dirs * n
    if kind == "gru":
        ra = (conv != "textbook") if reset_after is None else reset_after
        b = ((2 * n) if ra else n) if bias else 0
        return dirs * 3 * (n * (d + n) + b), dirs * n
    raise AssertionError(kind)


def ref_stack(kind, d, n, layers, conv, **opts):
    total, width = 0, d
    for _ in range(layers):
        w, width = ref_layer(kind, width, n, conv, **opts)
        total += w
    return total


# (layer text with n (and p) as its symbols, kind, conventions, options for the reference)
SPECS = [
    ("lstm(n)", "lstm", ("torch", "keras", "textbook"), {}),
    ("lstm(n, bidirectional=true)", "lstm", ("torch", "keras"), {"bidirectional": True}),
    ("lstm(n, bias=false)", "lstm", ("torch", "keras"), {"bias": False}),
    ("lstm(n, proj=p)", "lstm", ("torch",), {"proj": p}),
    ("lstm(n, proj=p, bidirectional=true)", "lstm", ("torch",), {"proj": p, "bidirectional": True}),
    ("gru(n)", "gru", ("torch", "keras", "textbook"), {}),
    ("gru(n, reset_after=false)", "gru", ("keras", "textbook"), {"reset_after": False}),
    ("gru(n, bidirectional=true)", "gru", ("torch", "keras"), {"bidirectional": True}),
    ("rnn(n)", "rnn", ("torch", "keras", "textbook"), {}),
    ("rnn(n, bidirectional=true)", "rnn", ("torch",), {"bidirectional": True}),
    ("rnn(n, bias=false)", "rnn", ("torch", "keras"), {"bias": False}),
    ("dense(n)", "dense", ("torch", "keras", "textbook"), {}),
    ("dense(n, act=relu, bias=false)", "dense", ("torch",), {"bias": False}),
]
CASES = [(text, kind, conv, opts) for text, kind, convs, opts in SPECS for conv in convs]
GRID_D, GRID_N, GRID_L, GRID_P = (1, 2, 7, 13), (1, 3, 5, 16), (1, 2, 3, 6), (1, 2)


def _arch(text, kind):
    return ("input(d) -> " if kind == "dense" else "input(d, seq=T) -> ") + text


def _grid(opts):
    for dv, nv, lv in itertools.product(GRID_D, GRID_N, GRID_L):
        for pv in (GRID_P if "proj" in opts else (None,)):
            if pv is None or pv < nv:          # torch requires proj_size < hidden_size
                yield dv, nv, lv, pv


@pytest.mark.parametrize("text, kind, conv, opts", CASES, ids=[f"{c[0]}|{c[2]}" for c in CASES])
def test_symbolic_stack_matches_reference_on_grid(text, kind, conv, opts):
    formula = vcbound.count(_arch(text + "^L", kind), conv).params
    assert formula.free_symbols <= {d, n, L, p}
    checked = 0
    for dv, nv, lv, pv in _grid(opts):
        ref_opts = {**opts, "proj": pv} if "proj" in opts else opts
        want = ref_stack(kind, dv, nv, lv, conv, **ref_opts)
        got = formula.subs({d: dv, n: nv, L: lv, p: pv or 1})
        assert got == want, f"d={dv} n={nv} L={lv} p={pv}: {got} != {want}"
        checked += 1
    assert checked >= 64


@pytest.mark.parametrize("text, kind, conv, opts", CASES, ids=[f"{c[0]}|{c[2]}" for c in CASES])
def test_explicit_chain_matches_reference(text, kind, conv, opts):
    """The same networks written out layer by layer with numbers (no symbols, no repetition)."""
    for dv, nv, lv, pv in [(7, 5, 1, 3), (7, 5, 3, 3), (2, 16, 2, 1), (13, 3, 4, 2)]:
        layer = re.sub(r"\bp\b", str(pv), re.sub(r"\bn\b", str(nv), text))
        arch = ("input(%d) -> " if kind == "dense" else "input(%d, seq=T) -> ") % dv
        arch += " -> ".join([layer] * lv)
        ref_opts = {**opts, "proj": pv} if "proj" in opts else opts
        assert vcbound.count(arch, conv).params == ref_stack(kind, dv, nv, lv, conv, **ref_opts), arch


def test_repeat_of_a_block_matches_explicit_chain():
    """(a -> b)^L counts like a -> b -> a -> b ... (the first a sees d, later ones see b's width)."""
    block = "(lstm(n, bidirectional=true) -> gru(m) -> dense(k, act=tanh))"
    m, k = make_symbol("m", integer=True), make_symbol("k", integer=True)
    formula = vcbound.count(f"input(d, seq=T) -> {block}^L -> last -> dense(1)", "keras").params
    for dv, nv, mv, kv, lv in [(7, 5, 3, 2, 1), (7, 5, 3, 2, 3), (1, 1, 1, 1, 4), (9, 2, 6, 4, 2)]:
        one = f"lstm({nv}, bidirectional=true) -> gru({mv}) -> dense({kv}, act=tanh)"
        explicit = f"input({dv}, seq=T) -> " + " -> ".join([one] * lv) + " -> last -> dense(1)"
        want = vcbound.count(explicit, "keras").params
        width, total = dv, 0
        for _ in range(lv):
            for kind, size, opts in (("lstm", nv, {"bidirectional": True}), ("gru", mv, {}), ("dense", kv, {})):
                w, width = ref_layer(kind, width, size, "keras", **opts)
                total += w
        total += width + 1
        assert want == total
        assert formula.subs({d: dv, n: nv, m: mv, k: kv, L: lv}) == total


def test_nested_repetition_multiplies_counts():
    q = vcbound.count("input(3, seq=T) -> ((lstm(4)^2)^3)^K")
    K = make_symbol("K", integer=True)
    first = ref_layer("lstm", 3, 4, "torch")[0]
    later = ref_layer("lstm", 4, 4, "torch")[0]
    assert sp.expand(q.params - (first + (6 * K - 1) * later)) == 0
    assert q.depth == 6 * K


def test_nested_repetition_is_not_exponential():
    """Eight nested ^2 around 50 layers: 12,800 layers counted from 50 written ones, in well under a
    second (each nesting level used to walk its body three times: 3^8 walks, about a minute)."""
    body = " -> ".join(["lstm(5)"] * 50)
    start = time.process_time()
    q = vcbound.count("input(7, seq=T) -> " + "(" * 8 + body + ")^2" * 8)
    assert q.params == 280 + (50 * 2**8 - 1) * 240
    assert q.depth == 50 * 2**8
    assert time.process_time() - start < 5
    sym = vcbound.count("input(d, seq=T) -> " + "(" * 8 + body.replace("5", "n") + ")^L" * 8).params
    assert sp.expand(sym - (TORCH_LSTM + (50 * L**8 - 1) * (8 * n**2 + 8 * n))) == 0


def test_units_depth_and_rows():
    q = vcbound.count("input(7, seq=T) -> lstm(5)^2 -> last -> dense(3, act=relu) -> dense(1, act=sigmoid)")
    assert q.params == 520 + (5 * 3 + 3) + (3 + 1)
    assert q.depth == 4
    assert q.seq_len == T and q.input_dim == 7 and q.output_dim == 1
    assert [r.kind for r in q.rows] == ["lstm", "last", "dense", "dense"]
    assert [r.params for r in q.rows] == [520, 0, 18, 4]
    assert sum(r.params for r in q.rows) == q.params


@pytest.mark.parametrize("arch", [
    "input(d, seq=T) -> lstm(n)^L -> last -> dense(1, act=sigmoid)",
    "input(d, seq=T) -> (rnn(n) -> gru(m))^L -> lstm(k, bidirectional=true)",
    "input(d) -> dense(h, act=relu)^L -> dense(10)",
])
@pytest.mark.parametrize("convention", ["torch", "keras", "textbook"])
def test_rows_add_up_to_total(arch, convention):
    q = vcbound.count(arch, convention)
    assert sp.expand(sum(r.params for r in q.rows) - q.params) == 0


# ---- optional: real torch modules -----------------------------------------------------------------
def test_against_real_torch_modules():
    torch = pytest.importorskip("torch")
    nn = torch.nn

    def numel(module):
        return sum(t.numel() for t in module.parameters())

    for dv, nv, lv in itertools.product((1, 7, 13), (1, 5, 16), (1, 2, 3)):
        seq = f"input({dv}, seq=T) -> "
        for bi in (False, True):
            opt = ", bidirectional=true" if bi else ""
            assert vcbound.count(seq + f"lstm({nv}{opt})^{lv}").params == numel(
                nn.LSTM(dv, nv, num_layers=lv, bidirectional=bi))
            assert vcbound.count(seq + f"gru({nv}{opt})^{lv}").params == numel(
                nn.GRU(dv, nv, num_layers=lv, bidirectional=bi))
            assert vcbound.count(seq + f"rnn({nv}{opt})^{lv}").params == numel(
                nn.RNN(dv, nv, num_layers=lv, bidirectional=bi))
            for pv in range(1, nv):
                assert vcbound.count(seq + f"lstm({nv}, proj={pv}{opt})^{lv}").params == numel(
                    nn.LSTM(dv, nv, num_layers=lv, bidirectional=bi, proj_size=pv))
        assert vcbound.count(f"input({dv}) -> dense({nv})").params == numel(nn.Linear(dv, nv))
        assert vcbound.count(f"input({dv}) -> dense({nv}, bias=false)").params == numel(
            nn.Linear(dv, nv, bias=False))


# ---- the `vcbound params` command ----------------------------------------------------------------
REQUIRED_KEYS = {"params", "units", "depth", "seq_len", "convention", "layers"}


def _check_280(out: str):
    data = json.loads(out)
    assert REQUIRED_KEYS <= data.keys()
    assert data["params"] == 280
    assert data["convention"] == "torch"
    assert data["seq_len"] == "T"
    assert data["depth"] == 1
    assert isinstance(data["units"], int)
    assert len(data["layers"]) == 1
    assert data["layers"][0]["kind"] == "lstm" and data["layers"][0]["params"] == 280
    return data


def test_console_script_json(vcbound_cli, tmp_path):
    r = vcbound_cli("params", "input(7, seq=T) -> lstm(5)", "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    _check_280(r.stdout)


def test_python_m_json(vcbound_module, tmp_path):
    r = vcbound_module("params", "input(7, seq=T) -> lstm(5)", "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    _check_280(r.stdout)


def test_console_script_text_and_keras(vcbound_cli):
    r = vcbound_cli("params", "input(7, seq=T) -> gru(5, reset_after=false)", "--convention", "keras")
    assert r.returncode == 0, r.stderr
    assert "W = 195" in r.stdout and "keras" in r.stdout


ARCH = "input(d, seq=T) -> lstm(n)^L -> last -> dense(1, act=sigmoid)"


def _walk_values(data):
    yield from ((k, data[k]) for k in ("params", "units", "depth", "seq_len"))
    for i, layer in enumerate(data["layers"]):
        assert {"kind", "params"} <= layer.keys()
        yield f"layers[{i}].params", layer["params"]


def test_json_symbolic_values_are_sympy_strings(capsys):
    assert main(["params", ARCH, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    q = vcbound.count(ARCH)
    assert data["params"] == str(q.params)                # sympy's str syntax, exactly
    assert data["units"] == str(q.units) and data["depth"] == str(q.depth) and data["seq_len"] == "T"
    names = {s.name: s for s in (d, n, L, T)}
    assert sp.expand(sp.sympify(data["params"], locals=names) - q.params) == 0
    assert [layer["kind"] for layer in data["layers"]] == ["lstm", "last", "dense"]
    for key, value in _walk_values(data):
        assert isinstance(value, (str, int)) and not isinstance(value, bool), key
    assert data["layers"][1]["params"] == 0 and data["layers"][2]["params"] == "n + 1"


def test_json_with_every_symbol_bound_is_integers(capsys):
    assert main(["params", ARCH, "--json", "--at", "d=7, n=5, L=3, T=100"]) == 0
    data = json.loads(capsys.readouterr().out)
    for key, value in _walk_values(data):
        assert type(value) is int, (key, value)
    assert data["params"] == 760 + 6               # three torch LSTM layers, then dense(1) on 5 inputs
    assert data["seq_len"] == 100 and data["depth"] == 4
    assert data["layers"][0]["params"] == 760


def test_json_with_some_symbols_bound(capsys):
    assert main(["params", ARCH, "--json", "--at", "d=7,n=5"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["params"] == "240*L + 46"            # 280 + (L-1)*240 + (5+1)
    assert data["seq_len"] == "T"
