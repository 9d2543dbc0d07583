"""`vcbound compare` and `vcbound growth`: which bound is larger, in which regime, and how it grows.

Architectures share symbol names, so their bounds are comparable expressions in the same symbols.
"""
from __future__ import annotations

import json
from fractions import Fraction

import pytest

import vcbound
from vcbound import asymptotics as asy
from vcbound.cli import main
from vcbound.asymptotics import compare_forms
from vcbound.comparison import compare, growth_report
from vcbound.render.comparison import growth_text
from vcbound.errors import EvaluationError, UsageError
from vcbound.resolver import bound
from vcbound.theorems import load_theorems

LSTM = "input(d, seq=T) -> lstm(n)^L -> last -> dense(1)"
LSTM_2N = "input(d, seq=T) -> lstm(2*n)^L -> last -> dense(1)"
RNN = "input(d, seq=T) -> rnn(n, act=sigmoid) -> last -> dense(1, act=threshold)"
RNN_2T = "input(d, seq=2*T) -> rnn(n, act=sigmoid) -> last -> dense(1, act=threshold)"
RELU_L = "input(d) -> dense(h, act=relu)^L -> dense(1)"
RELU_L1 = "input(d) -> dense(h, act=relu)^(L+1) -> dense(1)"
WIDE = "input(d) -> dense(n, act=relu)^L -> dense(1)"      # width n, depth L
DEEP = "input(d) -> dense(L, act=relu)^n -> dense(1)"      # width L, depth n


@pytest.fixture(scope="module")
def base():
    return load_theorems(use_env=False)


@pytest.fixture(scope="module")
def lstm_pair(base):
    return compare(LSTM, LSTM_2N, base=base)


@pytest.fixture(scope="module")
def rnn_pair(base):
    return compare(RNN, RNN_2T, base=base)


@pytest.fixture(scope="module")
def swap_pair(base):
    return compare(WIDE, DEEP, base=base)


def test_lstm_doubling_units_is_a_constant_factor(lstm_pair):
    up = lstm_pair.upper
    assert up.relation == "equal" and up.larger == "equal order"
    assert str(up.ratio) == "1"
    # same routes on both sides (Schmitt's extension of Karpinski-Macintyre via the untied unrolling
    # and via shared parameters as gates): the leading coefficients of the exact bounds differ by
    # 2^4 (d^2 n^4) .. 2^8 (W^4 ~ n^8) between the dominant terms
    assert [c.result.id for c in up.a.candidates] == [c.result.id for c in up.b.candidates]
    assert [c.view.name for c in up.a.candidates] == [c.view.name for c in up.b.candidates]
    assert up.constant == (Fraction(1, 256), Fraction(1, 16))
    assert up.constant_kind == "stated expression"       # asymptotic result: its constant cancels
    assert lstm_pair.lower.larger is None and "no lower bound" in lstm_pair.lower.reason


def test_rnn_doubling_sequence_length(rnn_pair):
    up, lo = rnn_pair.upper, rnn_pair.lower
    # min(Koiran-Sontag T^2 W^4, Schmitt T^4-ish): the same order, the ratio between 1/16 and 1/4
    assert up.larger == "equal order"
    assert up.constant == (Fraction(1, 16), Fraction(1, 4))
    # the lower bound Omega(W T) doubles exactly
    assert lo.larger == "equal order" and lo.constant == (Fraction(1, 2), Fraction(1, 2))
    assert "koiran1998vc" in lo.a.citations and "koiran1998vc" in lo.b.citations


def test_relu_one_more_layer_is_the_same_order(base):
    c = compare(RELU_L, RELU_L1, base=base)
    assert c.upper.relation == "equal" and c.lower.relation == "equal"
    text = str(c)
    # Sakurai's O(ws log(dqh/s)) form is not what his proof gives (issue 10 item 3): BHLM Theorem 7 is used
    assert "bartlett2019nearly" in text and "sakurai1999tight" not in text
    assert "A: " in text and "B: " in text


def test_more_depth_grows_the_bound(base):
    c = compare("input(d) -> dense(h, act=relu) -> dense(1)", RELU_L, base=base)
    assert c.upper.larger == "B" and c.upper.relation == "less"
    assert "grows faster in L" in c.upper.reason


def test_width_depth_swap_is_the_same_order_for_polynomially_related_sizes(swap_pair):
    # O(L W log W) for both: W = L n^2 + ... against W = n L^2 + ...; L^2 n^2 log(...) on both
    # sides, and the logs of polynomially related sizes are of one order
    up = swap_pair.upper
    assert up.relation == "equal" and up.larger == "equal order"
    assert "polynomially related" in up.reason


def test_width_depth_swap_is_incomparable_when_sizes_are_not_polynomially_related(base):
    # log(n) >> log(L): n grows faster than every power of L; logs of n and L are kept apart, and
    # the log(n) factor decides (an exponential gap is a regime the user asks for)
    c = compare(WIDE, DEEP, assume=["log(n) >> log(L)"], base=base)
    assert c.upper.larger == "A" and c.upper.relation == "greater"
    assert c.regime.describe() == "n >> L; sizes not polynomially related"
    assert not c.regime.polynomial


def test_assumption_n_much_larger_than_l_keeps_sizes_polynomially_related(base):
    c = compare(WIDE, DEEP, assume=["n >> L"], base=base)
    assert c.regime.describe() == "n >> L; polynomially related"
    assert c.upper.relation == "equal"


def test_assumption_on_unknown_symbol_is_refused(base):
    with pytest.raises(UsageError, match="not a symbol of either architecture"):
        compare(WIDE, DEEP, assume=["q >> n"], base=base)


def test_min_forms_compare_equal_to_themselves():
    # the best upper bound of a sigmoid RNN is a min of two incomparable routes; a form must be
    # Theta of itself (the decomposition of min/max in compare_forms)
    r = bound(RNN)
    assert r.upper.form.kind == "min"
    assert compare_forms(r.upper.form, r.upper.form, asy.Regime()) == "equal"


def test_module_import_keeps_vcbound_compare_callable():
    import vcbound.comparison  # noqa: F401  (importing the module must not shadow the function)
    c = vcbound.compare(RELU_L, RELU_L1)
    assert c.upper.relation == "equal"
    assert callable(vcbound.sweep)


def test_cli_compare_text_and_json(capsys):
    assert main(["compare", WIDE, DEEP]) == 0
    text = capsys.readouterr().out
    assert "upper  equal order" in text and "bhlm_2019_eq2_upper" in text
    assert main(["compare", RELU_L, RELU_L1, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["upper"]["larger"] == "equal order"
    assert out["upper"]["a"]["results"] and out["upper"]["a"]["citations"]
    assert main(["compare", WIDE, DEEP, "--assume", "q >> n"]) == 1


# ---- growth exponents and elasticities ----------------------------------------------------
def test_koiran_sontag_sigmoid_exponents_canonical(base):
    result = base.by_id("koiran_sontag_1998_sigmoid_upper")
    assert result.bound_text.replace(" ", "") in ("w^4*k^2", "k^2*w^4")
    g = asy.growth(asy.dominant(result.canonical_bound))
    assert (g["W"].power, g["W"].log_power) == (4, 0)
    assert (g["T"].power, g["T"].log_power) == (2, 0)


def test_koiran_sontag_exponent_in_user_symbols():
    rep = growth_report(bound(RNN))
    ks = [r for r in rep["upper"]["routes"] if r["result"] == "koiran_sontag_1998_sigmoid_upper"]
    assert ks, rep["upper"]["routes"]
    assert ks[0]["exponents"]["T"]["power"] == "2"
    assert ks[0]["exponents"]["n"]["power"] == "8"         # W = dn + n^2 + 3n + 1, so W^4 ~ n^8
    assert rep["upper"]["exponents"]["T"]["power"] == "2"   # min with Schmitt's T^4 route


def test_elasticity_matches_differentiation_by_hand():
    d, n, T = 32, 64, 100
    rep = growth_report(bound(RNN), at={"d": d, "n": n, "T": T})
    ks = next(r for r in rep["upper"]["routes"] if r["result"] == "koiran_sontag_1998_sigmoid_upper")
    W = d * n + n * n + 3 * n + 1
    # f = T^2 W^4: d log f / d log T = 2; d log f / d log d = 4 d (dW/dd) / W = 4 d n / W
    assert ks["elasticity"]["T"] == pytest.approx(2.0, rel=1e-12)
    assert ks["elasticity"]["d"] == pytest.approx(4 * d * n / W, rel=1e-12)
    assert ks["elasticity"]["n"] == pytest.approx(4 * n * (d + 2 * n + 3) / W, rel=1e-12)
    assert "elasticity d log f/d log x" in growth_text(rep)


def test_elasticity_needs_every_symbol():
    with pytest.raises(EvaluationError, match="unbound"):
        growth_report(bound(RNN), at={"d": 3})


def test_cli_growth_json(capsys):
    assert main(["growth", RELU_L, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["upper"]["exponents"]["L"]["power"] == "2"
    assert out["upper"]["exponents"]["h"]["log_power"] == "1"
    assert any("not the network's VC dimension" in n for n in out["notes"])


def test_growth_report_keeps_route_names_and_routes_apart():
    """The growth report once had the key "routes" twice, so the route names were silently dropped."""
    from vcbound.comparison import growth_report
    from vcbound.resolver import bound
    rep = growth_report(bound("input(d, seq=T) -> rnn(n, act=sigmoid) -> last -> dense(1, act=threshold)"))
    names = rep["upper"]["route_names"]
    assert names and all(isinstance(n, str) for n in names)
    assert all(isinstance(r, dict) and "result" in r for r in rep["upper"]["routes"])
