"""Numeric evaluation (vcbound.evaluate / `vcbound eval`): numbers only from published constants.

Each explicit value is checked against a hand computation of the published formula written here;
asymptotic results must refuse to give a number; huge values must be reported as beyond the float
range, with the right decimal exponent, never as a wrong float.
"""
from __future__ import annotations

import json
import math

import pytest

from vcbound.cli import main
from vcbound.errors import EvaluationError, UsageError
from vcbound.evaluate import NO_CONSTANT, evaluate, format_number
from vcbound.resolver import bound

THRESHOLD_1 = "input(d) -> dense(h, act=threshold) -> dense(1, act=threshold)"
THRESHOLD_L = "input(d) -> dense(h, act=threshold)^L -> dense(1, act=threshold)"
RELU_L = "input(d) -> dense(h, act=relu)^L -> dense(1)"
SIGMOID_RNN = "input(d, seq=T) -> rnn(n, act=sigmoid) -> last -> dense(1, act=threshold)"


@pytest.fixture(scope="module")
def threshold_eval():
    return evaluate(bound(THRESHOLD_1), {"d": 10, "h": 5})


def test_baum_haussler_cor2_matches_the_published_formula(threshold_eval):
    # Baum & Haussler 1989, Corollary 2: VCdim <= 2 W log2(e N); W = weights + thresholds, N = nodes
    W = 10 * 5 + 5 + 5 * 1 + 1          # 61
    N = 5 + 1
    hand = 2 * W * math.log2(math.e * N)
    row = threshold_eval.row("baum_haussler_1989_cor2")
    assert row.route.result.form == "explicit"
    assert row.numeric and row.applies
    assert row.float == pytest.approx(hand, rel=1e-12)
    assert threshold_eval.params == W


def test_bhlm_theorem7_d0_matches_the_published_formula(threshold_eval):
    # BHLM 2019, Theorem 7 (d = 0): VCdim <= L + W log2(4 e p U log2(2 e p U)); threshold: p = 1
    L, W, p, U = 2, 61, 1, 6
    hand = L + W * math.log2(4 * math.e * p * U * math.log2(2 * math.e * p * U))
    assert threshold_eval.row("bhlm_2019_thm7_d0").float == pytest.approx(hand, rel=1e-12)


def test_best_number_is_the_smallest_applicable_upper_bound(threshold_eval):
    best = threshold_eval.best_upper
    numbers = [r.float for r in threshold_eval.uppers if r.usable]
    assert best.float == min(numbers)
    assert best.id == "baum_haussler_1989_cor2"


def test_asymptotic_result_refuses_to_give_a_number(threshold_eval):
    row = threshold_eval.row("koiran_sontag_1997_thm5_pwconst_upper")
    assert row.route.result.form == "asymptotic"
    assert not row.numeric and row.value is None
    assert row.reason == NO_CONSTANT
    text = str(threshold_eval)
    line = next(ln for ln in text.splitlines() if "koiran_sontag_1997_thm5_pwconst_upper" in ln)
    assert NO_CONSTANT in line and not any(ch.isdigit() for ch in line.split(":")[-1])


def test_sigmoid_rnn_has_no_published_constant_at_all():
    ev = evaluate(bound(SIGMOID_RNN), "d=3, n=4, T=10")
    assert ev.uppers and all(not r.numeric and r.reason == NO_CONSTANT for r in ev.uppers)
    assert ev.best_upper is None


def test_unbound_symbols_are_listed():
    with pytest.raises(EvaluationError) as info:
        evaluate(bound(THRESHOLD_L), {"d": 10})
    msg = str(info.value)
    assert "h" in msg and "L" in msg and "--at" in msg


def test_unknown_symbol_is_refused():
    with pytest.raises(UsageError):
        evaluate(bound(THRESHOLD_1), {"d": 10, "h": 5, "q": 3})


def test_sample_complexity_uses_the_explicit_vc_bound(threshold_eval):
    ev = evaluate(bound(THRESHOLD_1, "sample_realizable"), {"d": 10, "h": 5}, eps=0.05, delta=0.01)
    row = ev.row("hanneke_2016_thm2_realizable_upper")
    # Hanneke 2016, Theorem 2 (c = 1800 in the proof): m <= 1800 (d + ln(18/delta)) / eps, with d the
    # VC dimension, here bounded by the smallest explicit VC upper bound at this point
    vc = threshold_eval.best_upper.float
    assert row.inner is not None and row.inner.id == threshold_eval.best_upper.id
    assert row.float == pytest.approx(1800 * (vc + math.log(18 / 0.01)) / 0.05, rel=1e-12)
    # the number cites the bridge and the VC bound actually used
    assert row.citations == ["hanneke2016optimal", "baum1989size"]


def test_sample_complexity_needs_eps_and_delta():
    with pytest.raises(EvaluationError, match="eps"):
        evaluate(bound(THRESHOLD_1, "sample_realizable"), {"d": 10, "h": 5}, delta=0.01)


def test_bridge_over_an_asymptotic_vc_bound_has_no_number():
    ev = evaluate(bound(SIGMOID_RNN, "sample_realizable"), "d=3, n=4, T=10", eps=0.1, delta=0.01)
    rows = [r for r in ev.uppers if r.id == "hanneke_2016_thm2_realizable_upper"]
    assert rows and not rows[0].numeric
    assert NO_CONSTANT in rows[0].reason and "koiran_sontag_1998_sigmoid_upper" in rows[0].reason


def test_huge_value_is_reported_beyond_float_range():
    # Baum & Haussler Corollary 2 (growth function): Pi(m) <= (N e m / W)^W
    d, h, L, m = 10, 500, 3, 10**6
    ev = evaluate(bound(THRESHOLD_L, "growth"), {"d": d, "h": h, "L": L}, m=m)
    W = d * h + h + (L - 1) * (h * h + h) + h + 1
    N = L * h + 1
    row = ev.row("baum_haussler_1989_cor2_growth")
    assert row.value.overflow and row.float == math.inf
    assert row.value.log10 == pytest.approx(W * math.log10(N * math.e * m / W), rel=1e-12)
    assert "beyond float range" in format_number(row.value)
    exponent = int(format_number(row.value).split("e+")[1].split()[0])
    assert exponent == math.floor(W * math.log10(N * math.e * m / W))


def test_condition_failing_at_the_point_is_shown_and_not_chosen():
    # Remark 9 of BHLM needs m >= Lbar W: false for a small m
    ev = evaluate(bound(THRESHOLD_L, "growth"), {"d": 10, "h": 20, "L": 3}, m=100)
    row = ev.row("bhlm_2019_remark9")
    assert ("m >= Lbar*W", "fails") in row.conditions
    assert not row.applies and not row.usable
    assert ev.best_upper is None or ev.best_upper.id != "bhlm_2019_remark9"


def test_user_symbol_named_m_is_not_the_sample_size():
    # a width called m (integer symbol) and the growth-function argument m (not integer) stay apart
    arch = "input(d) -> dense(m, act=threshold) -> dense(1, act=threshold)"
    ev = evaluate(bound(arch, "growth"), {"d": 10, "m": 5}, m=1000)
    row = ev.row("baum_haussler_1989_cor2_growth")
    W, N = 61, 6
    assert row.float == pytest.approx((N * math.e * 1000 / W) ** W, rel=1e-12)


def test_cli_eval_json_and_text(capsys):
    assert main(["eval", THRESHOLD_1, "--at", "d=10,h=5", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    row = next(r for r in out["upper"] if r["result"] == "baum_haussler_1989_cor2")
    assert row["value"] == pytest.approx(2 * 61 * math.log2(math.e * 6), rel=1e-12)
    asym = next(r for r in out["upper"] if r["form"] == "asymptotic")
    assert asym["value"] is None and asym["reason"] == NO_CONSTANT
    assert main(["eval", THRESHOLD_1, "--at", "d=10,h=5", "--eps", "0.05", "--delta", "0.01"]) == 0
    text = capsys.readouterr().out
    assert "sample complexity (realizable PAC)" in text and "samples" in text


def test_cli_eval_unbound_symbol_exits_1(capsys):
    assert main(["eval", THRESHOLD_L, "--at", "d=10"]) == 1
    err = capsys.readouterr().err
    assert "unbound" in err and "Traceback" not in err


def test_non_integer_size_is_refused():
    with pytest.raises(EvaluationError, match="integer"):
        evaluate(bound(THRESHOLD_1), {"d": 10, "h": "5/2"})
