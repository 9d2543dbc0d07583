"""Norm-based generalization bounds: tensor names, weight files, and each encoded formula by hand."""
from __future__ import annotations

import json
import math
import struct
import subprocess
import sys

import numpy as np
import pytest

import vcbound
from vcbound.api import count
from vcbound.errors import UsageError
from vcbound.generalization import evaluate_generalization
from vcbound.resolver import bound
from vcbound.tensors import weight_tensors
from vcbound.weights import load_weights, save_safetensors

MLP = "input(4) -> dense(5, act=relu, bias=false) -> dense(3, act=relu, bias=false) -> dense(2, bias=false)"
LSTM = "input(d, seq=T) -> lstm(n) -> last -> dense(1)"
LSTM_AT = {"d": 3, "n": 4, "T": 6}


def _run(*args):
    return subprocess.run([sys.executable, "-m", "vcbound", *args], capture_output=True, text=True, timeout=120)


def _mlp_weights(seed=7):
    rng = np.random.default_rng(seed)
    return {"1.weight": rng.normal(size=(5, 4)), "2.weight": rng.normal(size=(3, 5)),
            "3.weight": rng.normal(size=(2, 3))}


def _lstm_weights(seed=3, d=3, n=4):
    rng = np.random.default_rng(seed)
    return {"1.weight_ih_l0": rng.normal(size=(4 * n, d)), "1.weight_hh_l0": rng.normal(size=(4 * n, n)),
            "1.bias_ih_l0": rng.normal(size=4 * n), "1.bias_hh_l0": rng.normal(size=4 * n),
            "3.weight": rng.normal(size=(1, n)), "3.bias": rng.normal(size=1)}


def _values(report):
    return {b.result_id: b.value for b in report.bounds}


# ---- tensor names ----------------------------------------------------------------------------
def test_params_json_names_every_tensor_in_torch_layout():
    r = _run("params", "input(d, seq=T) -> lstm(n)^L -> last -> dense(1)", "--json")
    assert r.returncode == 0, r.stderr
    tensors = {t["name"]: t for t in json.loads(r.stdout)["tensors"]}
    assert tensors["1.weight_ih_l0"]["shape"] == ["4*n", "d"]
    assert tensors["1.weight_hh_l0"]["shape"] == ["4*n", "n"]
    assert tensors["1.bias_ih_l0"]["shape"] == ["4*n"] and "1.bias_hh_l0" in tensors
    assert tensors["1.weight_ih_l{k}"]["index"] == {"k": [1, "L - 1"]}     # torch num_layers=L
    assert tensors["1.weight_ih_l{k}"]["shape"] == ["4*n", "n"]
    assert tensors["1.weight_ih_l0"]["gates"] == ["i", "f", "g", "o"]
    assert tensors["3.weight"]["shape"] == [1, "n"] and tensors["3.bias"]["shape"] == [1]
    r = _run("params", "input(d, seq=T) -> lstm(n)^L -> last -> dense(1)", "--json", "--at", "L=3,n=2,d=5,T=4")
    names = [t["name"] for t in json.loads(r.stdout)["tensors"]]
    assert "1.weight_ih_l2" in names and "1.weight_ih_l3" not in names


def test_tensor_count_matches_the_parameter_count():
    for arch, at in [("input(7, seq=T) -> lstm(5, bidirectional=true) -> gru(3) -> last -> dense(2)", {}),
                     ("input(7, seq=T) -> lstm(5, proj=3)^2 -> last -> dense(1)", {}),
                     ("input(6) -> (dense(4, act=relu) -> dense(3, act=tanh))^2 -> dense(1, bias=false)", {})]:
        q = count(arch)
        total = sum(math.prod(int(s) for s in t.shape) for t in weight_tensors(q, at))
        assert total == q.params, arch


# ---- each encoded formula, by hand -------------------------------------------------------------
def _spec(a):
    return np.linalg.svd(a, compute_uv=False)[0]


def test_bft_theorem_1_1_by_hand_equals_eval():
    w = _mlp_weights()
    gamma, m, delta, B = 0.7, 5000, 0.01, 2.0
    mats = [w["1.weight"], w["2.weight"], w["3.weight"]]
    # eq. (1.2) with rho_i = 1 (relu, linear) and M_i = 0; ||A^T||_{2,1} = sum of the row norms of A
    R = math.prod(_spec(a) for a in mats) * sum(
        (sum(math.sqrt((row ** 2).sum()) for row in a) / _spec(a)) ** (2 / 3) for a in mats) ** 1.5
    X2 = B * math.sqrt(m)                # ||X||_2 <= B sqrt(n)
    W = max(4, 5, 3, 2)                  # BFT's W: the largest width, input included
    by_hand = X2 * R * math.log(W) / (gamma * m) + math.sqrt(math.log(1 / delta) / m)
    rep = evaluate_generalization(bound(MLP, "generalization"), w, margin=gamma, m=m, delta=delta, input_norm=B)
    assert _values(rep)["bft_2017_thm1_1"] == pytest.approx(by_hand, rel=1e-9)


def test_grs_frobenius_by_hand_equals_eval():
    w = _mlp_weights()
    m = 5000
    by_hand = math.sqrt(3) * math.prod(np.linalg.norm(a) for a in w.values()) / math.sqrt(m)
    rep = evaluate_generalization(bound(MLP, "generalization"), w, margin=1, m=m, delta=0.1)
    b = {x.result_id: x for x in rep.bounds}["grs_2018_frobenius"]
    assert b.value == pytest.approx(by_hand, rel=1e-9)
    assert b.unverified and "not a numeric bound" in b.caveat     # extended abstract: hypotheses unread


def test_doubling_m_divides_every_bound_by_sqrt_2():
    w = _mlp_weights()
    res = bound(MLP, "generalization")
    one = _values(evaluate_generalization(res, w, margin=0.5, m=4000, delta=0.05, input_norm=1))
    two = _values(evaluate_generalization(res, w, margin=0.5, m=8000, delta=0.05, input_norm=1))
    assert set(one) == {"bft_2017_thm1_1", "grs_2018_frobenius", "nbs_2018_spectral_frobenius"}
    for rid in ("bft_2017_thm1_1", "grs_2018_frobenius"):
        # both terms of BFT (with ||X||_2 <= B sqrt(m)) and GRS's bound are Theta(m^-1/2)
        assert one[rid] / two[rid] == pytest.approx(math.sqrt(2), rel=1e-12), rid
    # NBS: ln(dm/delta) grows with m, so doubling m divides the bound by a little less than sqrt 2
    assert 1 < one["nbs_2018_spectral_frobenius"] / two["nbs_2018_spectral_frobenius"] < math.sqrt(2)


def test_nbs_as_restated_by_hand_equals_eval():
    w = _mlp_weights()
    gamma, m, delta, B = 0.7, 5000, 0.01, 2.0
    mats = [w["1.weight"], w["2.weight"], w["3.weight"]]
    # Phi = prod ||W_i||_2^2 sum ||W_i||_F^2 / ||W_i||_2^2; d = 3 layers; h = 5 (largest output width)
    phi = math.prod(_spec(a) ** 2 for a in mats) * sum(np.linalg.norm(a) ** 2 / _spec(a) ** 2 for a in mats)
    d, h = 3, 5
    by_hand = math.sqrt((B ** 2 * d ** 2 * h * math.log(d * h) * phi + math.log(d * m / delta)) / (gamma ** 2 * m))
    rep = evaluate_generalization(bound(MLP, "generalization"), w, margin=gamma, m=m, delta=delta, input_norm=B)
    b = {x.result_id: x for x in rep.bounds}["nbs_2018_spectral_frobenius"]
    assert b.value == pytest.approx(by_hand, rel=1e-9)
    assert b.unverified and "not a numeric bound" in b.caveat and "secondary" in b.caveat


def test_nbs_needs_relu_hidden_layers_and_a_linear_last_layer():
    def miss(arch):
        res = bound(arch, "generalization")
        assert "nbs_2018_spectral_frobenius" not in {c.result.id for c in res.uppers}, arch
        return " ".join({m.result.id: m for m in res.misses}["nbs_2018_spectral_frobenius"].reasons)
    assert "hidden layer's activation in relu" in miss(
        "input(4) -> dense(5, act=leaky_relu, bias=false) -> dense(2, bias=false)")
    assert "linear last layer" in miss("input(4) -> dense(5, act=relu, bias=false) -> dense(2, act=relu, bias=false)")


def test_missing_quantity_is_named():
    rep = evaluate_generalization(bound(MLP, "generalization"), _mlp_weights(), margin=1, m=100)
    bft = {b.result_id: b for b in rep.bounds}["bft_2017_thm1_1"]
    assert bft.value is None
    assert any("--input-norm" in x for x in bft.missing) and any("--delta" in x for x in bft.missing)


def test_hypotheses_bias_and_sigmoid_are_refused_for_bft():
    res = bound("input(4) -> dense(5, act=sigmoid, bias=false) -> dense(2, bias=false)", "generalization")
    assert "bft_2017_thm1_1" not in {c.result.id for c in res.uppers}
    res = bound("input(4) -> dense(5, act=relu) -> dense(2)", "generalization")
    miss = {m.result.id: m for m in res.misses}["bft_2017_thm1_1"]
    assert any("bias" in r for r in miss.reasons)


# ---- the LSTM: weight files, shapes, and the honest answer ---------------------------------------
def test_lstm_weights_from_npz_and_safetensors(tmp_path):
    w = _lstm_weights()
    np.savez(tmp_path / "w.npz", **w)
    save_safetensors(tmp_path / "w.safetensors", w)
    a, b = load_weights(tmp_path / "w.npz"), load_weights(tmp_path / "w.safetensors")
    assert set(a) == set(b) == set(w)
    for k in w:
        assert np.allclose(a[k], w[k]) and np.allclose(b[k], w[k].astype(np.float32))
    res = bound(LSTM, "generalization")
    for path in ("w.npz", "w.safetensors"):
        rep = evaluate_generalization(res, tmp_path / path, margin=0.1, m=1000, delta=0.05, at=LSTM_AT)
        norms = {t[0]: t[2] for t in rep.tensors}
        assert norms["1.weight_hh_l0"] == pytest.approx(_spec(w["1.weight_hh_l0"]), rel=1e-6)
        # no encoded result covers LSTMs: Chen-Li-Zhao's statements were not read, so nothing is evaluated
        assert rep.bounds == []
        assert any("Chen, Li & Zhao" in n and "not in the theorem base" in n for n in rep.notes)


def test_wrong_shape_is_refused_with_the_tensor_named(tmp_path):
    w = _lstm_weights()
    w["1.weight_hh_l0"] = w["1.weight_hh_l0"][:, :3]
    save_safetensors(tmp_path / "bad.safetensors", w)
    r = _run("eval", LSTM, "--measure", "generalization", "--weights", str(tmp_path / "bad.safetensors"),
             "--margin", "1", "--m", "100", "--delta", "0.1", "--at", "d=3,n=4,T=6")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "tensor 1.weight_hh_l0: shape (16, 3), expected (16, 4)" in r.stderr


def test_unknown_and_missing_tensors_are_named():
    w = _mlp_weights()
    w["9.weight"] = w.pop("2.weight")
    with pytest.raises(UsageError) as e:
        evaluate_generalization(bound(MLP, "generalization"), w, margin=1, m=10)
    assert "tensor 2.weight: missing" in str(e.value) and "9.weight" in str(e.value)


def test_safetensors_reader_follows_the_documented_layout(tmp_path):
    # written by hand: u64 little-endian header length, JSON header, raw little-endian buffer
    a = np.arange(6, dtype="<f8").reshape(2, 3)
    header = json.dumps({"__metadata__": {"format": "pt"},
                         "x": {"dtype": "F64", "shape": [2, 3], "data_offsets": [0, 48]}}).encode()
    (tmp_path / "h.safetensors").write_bytes(struct.pack("<Q", len(header)) + header + a.tobytes())
    assert np.array_equal(load_weights(tmp_path / "h.safetensors")["x"], a)
    (tmp_path / "broken.safetensors").write_bytes(struct.pack("<Q", 10**6) + b"{}")
    with pytest.raises(UsageError, match="header length"):
        load_weights(tmp_path / "broken.safetensors")


def test_cli_eval_json_and_text(tmp_path):
    np.savez(tmp_path / "w.npz", **_mlp_weights())
    args = ["eval", MLP, "--measure", "generalization", "--weights", str(tmp_path / "w.npz"), "--margin", "0.5",
            "--m", "1000", "--delta", "0.05", "--input-norm", "1"]
    r = _run(*args, "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert {b["citation"] for b in out["bounds"]} == {"bartlett2017spectrally", "golowich2018size", "neyshabur2018pac"}
    assert all(b["value"] > 0 for b in out["bounds"])
    r = _run(*args)
    assert "bft_2017_thm1_1 [bartlett2017spectrally, Theorem 1.1" in r.stdout
    assert "not a numeric bound" in r.stdout


def test_pt_without_torch_says_so(tmp_path):
    pytest.importorskip("numpy")
    try:
        import torch  # noqa: F401
        pytest.skip("torch is installed: the message for a missing torch cannot be seen")
    except ImportError:
        pass
    (tmp_path / "w.pt").write_bytes(b"not read")
    with pytest.raises(UsageError, match="needs torch"):
        load_weights(tmp_path / "w.pt")


def test_pt_state_dict_and_module_with_torch(tmp_path):
    torch = pytest.importorskip("torch", reason="torch is optional and not installed in CI (its CPU wheel "
                                                "pulls gigabytes of CUDA libraries)")
    lstm, lin = torch.nn.LSTM(3, 4), torch.nn.Linear(4, 1)
    state = {f"1.{k}": v for k, v in lstm.state_dict().items()} | {f"3.{k}": v for k, v in lin.state_dict().items()}
    torch.save(state, tmp_path / "w.pt")
    loaded = load_weights(tmp_path / "w.pt")
    assert set(loaded) == {"1.weight_ih_l0", "1.weight_hh_l0", "1.bias_ih_l0", "1.bias_hh_l0", "3.weight", "3.bias"}
    rep = evaluate_generalization(bound(LSTM, "generalization"), tmp_path / "w.pt", margin=1, m=10, at=LSTM_AT)
    assert len(rep.tensors) == 6


# ---- symbolic answers --------------------------------------------------------------------------
def test_symbolic_bound_is_in_norms_and_sizes():
    res = bound("input(d) -> dense(n, act=relu, bias=false)^L -> dense(1, bias=false)", "generalization")
    text = str(res)
    assert "spec_1" in text and "frob_1" in text and "gamma" in text
    assert "spec_1**L" in " ".join(res.notes)          # the exponential factor is said, not hidden
    assert str(res.growth_upper["m"]) == "m^-1/2"
    js = res.to_json()
    assert js["measure"] == "generalization"


# ---- Tu, He & Tao (ICLR 2020) Theorem 2: vanilla ReLU RNN ------------------------------------------
RNN = "input(3, seq=4) -> rnn(5, act=relu, bias=false) -> last -> dense(2, bias=false)"
RNN_DATA = {"x_frob": 40.0, "x_l1": 700.0, "lambda_min": 0.2, "fisher_rao": 3.0}


def _rnn_weights(seed=11, hidden_scale=0.15):
    rng = np.random.default_rng(seed)
    return {"1.weight_ih_l0": rng.normal(0, 0.4, (5, 3)), "1.weight_hh_l0": rng.normal(0, hidden_scale, (5, 5)),
            "3.weight": rng.normal(0, 0.5, (2, 5))}


def _tu_by_hand(w, alpha, n, delta, L, k, X_F, X_1, lam, r):
    """Theorem 2 as quoted in theorems/tu2020understanding.toml: beta = ||A^T||_1 = max_j sum_i |(A^T)_ij|."""
    beta_U, beta_W, beta_V = (np.abs(w[name].T).sum(axis=0).max()
                              for name in ("1.weight_ih_l0", "1.weight_hh_l0", "3.weight"))
    Lam = (1 / (1 - beta_W)) * ((1 - beta_W ** L) / (1 - beta_W) - L * beta_W ** L)     # Theorem 1, beta_W != 1
    return (4 * k / alpha) * (r * X_F / (2 * n) * math.sqrt(1 / lam) + beta_V * beta_U * X_1 * Lam / n) \
        + 3 * math.sqrt(math.log(2 / delta) / (2 * n))


def test_tu_he_tao_theorem_2_by_hand_equals_eval():
    w = _rnn_weights()
    alpha, n, delta = 0.5, 2000, 0.05
    rep = evaluate_generalization(bound(RNN, "generalization"), w, margin=alpha, m=n, delta=delta, data=RNN_DATA)
    by_hand = _tu_by_hand(w, alpha, n, delta, L=4, k=2, X_F=40.0, X_1=700.0, lam=0.2, r=3.0)
    b = {x.result_id: x for x in rep.bounds}["tu_he_tao_2020_thm2"]
    assert b.value == pytest.approx(by_hand, rel=1e-9)
    assert b.form == "explicit" and "not a numeric bound" not in b.caveat
    assert "fixed before the sample" in b.caveat         # the statement's own limit, next to the number


def test_tu_he_tao_needs_the_sample_statistics_and_names_them():
    rep = evaluate_generalization(bound(RNN, "generalization"), _rnn_weights(), margin=1, m=100, delta=0.1,
                                  data={"x_frob": 3.0})
    b = {x.result_id: x for x in rep.bounds}["tu_he_tao_2020_thm2"]
    assert b.value is None
    named = " ".join(b.missing)
    for stat in ("x_l1", "lambda_min", "fisher_rao"):
        assert f"--data {stat}=" in named
    assert "x_frob" not in named
    with pytest.raises(UsageError, match="unknown statistic"):
        evaluate_generalization(bound(RNN, "generalization"), _rnn_weights(), margin=1, m=100, data="x_frobb=1")
    with pytest.raises(UsageError, match="positive"):
        evaluate_generalization(bound(RNN, "generalization"), _rnn_weights(), margin=1, m=100, data="x_l1=-2")


def test_tu_he_tao_applies_only_to_its_network():
    ids = lambda arch: {c.result.id for c in bound(arch, "generalization").uppers}   # noqa: E731
    assert "tu_he_tao_2020_thm2" in ids(RNN)
    for other in ("input(3, seq=4) -> rnn(5, act=relu) -> last -> dense(2)",                 # biases
                  "input(3, seq=4) -> rnn(5, act=tanh, bias=false) -> last -> dense(2, bias=false)",
                  "input(3, seq=4) -> rnn(5, act=relu, bias=false)^2 -> last -> dense(2, bias=false)",
                  "input(3, seq=4) -> lstm(5, bias=false) -> last -> dense(2, bias=false)"):
        assert "tu_he_tao_2020_thm2" not in ids(other), other


def test_tu_he_tao_m_dependence_and_beta_w_one():
    w = _rnn_weights()
    res = bound(RNN, "generalization")
    one, two = (evaluate_generalization(res, w, margin=0.5, m=m, delta=0.05, data=RNN_DATA).bounds[0]
                for m in (1000, 2000))
    # (4k/alpha)(...)/n halves; 3 sqrt(log(2/delta)/(2n)) divides by sqrt 2
    conf = lambda n: 3 * math.sqrt(math.log(2 / 0.05) / (2 * n))     # noqa: E731
    assert (two.value - conf(2000)) == pytest.approx((one.value - conf(1000)) / 2, rel=1e-9)
    # at ||W^T||_1 = 1 exactly the encoded Lambda is 0/0: no number is made up
    w1 = dict(w)
    w1["1.weight_hh_l0"] = np.eye(5)
    b = evaluate_generalization(res, w1, margin=0.5, m=1000, delta=0.05, data=RNN_DATA).bounds[0]
    assert b.value is None and b.undefined and not b.missing


def test_tu_he_tao_symbolic_and_cli(tmp_path):
    text = str(bound("input(d, seq=T) -> rnn(n, act=relu, bias=false) -> last -> dense(k, bias=false)",
                     "generalization"))
    assert "l1t_hh_1" in text and "fisher_rao" in text and "tu2020understanding" in text
    np.savez(tmp_path / "rnn.npz", **_rnn_weights())
    args = ["eval", RNN, "--measure", "generalization", "--weights", str(tmp_path / "rnn.npz"), "--margin", "0.5",
            "--m", "2000", "--delta", "0.05", "--data", "x_frob=40,x_l1=700,lambda_min=0.2,fisher_rao=3"]
    out = json.loads(_run(*args, "--json").stdout)
    (b,) = out["bounds"]
    assert b["result"] == "tu_he_tao_2020_thm2" and b["substitutions"]["L"] == 4 and b["substitutions"]["k"] == 2
    assert "fixed before the sample" in b["statement_caveat"]
    r = _run(*args[:-2])
    assert r.returncode == 0 and "needs --data fisher_rao=" in r.stdout


def test_bft_caveat_is_in_the_output_not_only_in_notes(tmp_path):
    np.savez(tmp_path / "w.npz", **_mlp_weights())
    r = _run("eval", MLP, "--measure", "generalization", "--weights", str(tmp_path / "w.npz"), "--margin", "0.5",
             "--m", "1000", "--delta", "0.05", "--input-norm", "1")
    block = r.stdout.split("bft_2017_thm1_1 [")[1].split("grs_2018_frobenius [")[0]
    assert "multi-class margin" in block and "sign(f)" in block


def test_report_in_every_format_carries_numbers_and_caveats(tmp_path):
    from vcbound.presentation import present
    rep = evaluate_generalization(bound(MLP, "generalization"), _mlp_weights(), margin=0.5, m=1000, delta=0.05,
                                  input_norm=1)
    value = f"{rep.bounds[0].value:.6g}"
    md, tex, html = present(rep, "markdown"), present(rep, "latex"), rep._repr_html_()
    for text in (md, tex, html):
        assert value in text and "multi-class margin" in text and "not a numeric bound" in text
    assert "| `1.weight` |" in md
    assert r"\citet[Theorem 1.1, Section 1.1 (page not checked)]{bartlett2017spectrally}" in tex
    assert "golowich2018size" in tex and r"\citet[UNVERIFIED" not in tex       # no unverified locator in a cite
    assert "GeneralizationReport" in repr(rep) and "3 bounds" in repr(rep)
    np.savez(tmp_path / "w.npz", **_mlp_weights())
    args = ["eval", MLP, "--measure", "generalization", "--weights", str(tmp_path / "w.npz"), "--margin", "0.5",
            "--m", "1000", "--delta", "0.05", "--input-norm", "1"]
    assert _run(*args, "--format", "markdown").stdout.strip() == md
    assert _run(*args, "--format", "latex").stdout.strip() == tex
    r = _run("eval", "input(3) -> dense(2)", "--format", "markdown")
    assert r.returncode == 1 and "goes with --measure generalization" in r.stderr


def test_symbolic_sizes_bound_with_at_reach_the_formula():
    # the architecture's symbols carry assumptions: --at must bind them by name (T was left unbound before)
    w = _rnn_weights()
    arch = "input(d, seq=T) -> rnn(n, act=relu, bias=false) -> last -> dense(k, bias=false)"
    rep = evaluate_generalization(bound(arch, "generalization"), w, margin=0.5, m=2000, delta=0.05, data=RNN_DATA,
                                  at="d=3,n=5,k=2,T=4")
    (b,) = rep.bounds
    assert not b.missing and b.substitutions["L"] == 4 and b.substitutions["k"] == 2
    assert b.value == pytest.approx(_tu_by_hand(w, 0.5, 2000, 0.05, L=4, k=2, X_F=40.0, X_1=700.0, lam=0.2, r=3.0),
                                    rel=1e-9)


def test_norm_quantities_are_computed_only_when_read(monkeypatch):
    """The canonical table fills in the norm quantities when one is first read (a product over every
    layer: seconds on a chain of thousands of layers); a VC query never reads them."""
    from vcbound import quantities, resolver
    calls = []
    real = quantities.norm_quantities
    monkeypatch.setattr(quantities, "norm_quantities", lambda q: calls.append(q) or real(q))
    resolver._RESOLUTIONS.clear()
    vcbound.bound("input(7) -> dense(5, act=relu)^3 -> dense(1)")
    assert calls == []
    table = vcbound.count("input(d) -> dense(h, act=relu) -> dense(1)").canonical()
    assert table["W"] is not None and calls == []
    assert table["spectral_product"] is not None and len(calls) == 1
    assert dict(table) == dict(table.items()) and len(calls) == 1          # filled once
    fresh = vcbound.count("input(d) -> dense(h, act=relu) -> dense(1)").canonical()
    assert {**fresh} == dict(table) and len(calls) == 2                 # ** reads the whole table
