"""The stacked-LSTM question (issue 11): bridges for gated nets, the shared-parameter decision,
and the sigmoid RNN and the LSTM compared through the same kinds of route."""
from __future__ import annotations

from dataclasses import replace

import pytest

from vcbound import bound, compare
from vcbound.theorems import load_theorems

LSTM = "input(d, seq=T) -> lstm(n)^L -> last -> dense(1, act=sigmoid)"
RNN = "input(d, seq=T) -> rnn(n, act=sigmoid) -> last -> dense(1, act=threshold)"
LSTM1 = "input(d, seq=T) -> lstm(n) -> last -> dense(1, act=sigmoid)"


@pytest.fixture(scope="module")
def base():
    return load_theorems()


def _walk(steps):
    for s in steps:
        yield s
        yield from _walk(s.children)


@pytest.mark.parametrize("measure, bridge_key", [("sample_realizable", "hanneke2016optimal"),
                                                 ("sample_agnostic", "shalev2014understanding")])
def test_gated_net_gets_sample_complexity_through_a_vc_bridge(base, measure, bridge_key):
    res = bound(LSTM, measure=measure, base=base)
    assert res.upper is not None, [str(m) for m in res.misses[:3]]
    # the bridge and the VC route under it are both in the derivation
    for cand in res.upper.candidates:
        ids = [s.id for s in _walk(cand.steps)]
        assert "schmitt_1999_km_extension" in ids
        assert any(s.kind == "bridge" for s in _walk(cand.steps))
        assert cand.status == "derived" and cand.view.name == "network"
    assert bridge_key in res.upper.citations and "schmitt1999vc" in res.upper.citations
    # the sample complexity grows with the VC bound: T^2 like the VC bound itself
    assert res.growth_upper["T"].power == bound(LSTM, base=base).growth_upper["T"].power
    # no gate-related miss remains for a statement about any class
    assert not any("multiplication" in r for m in res.misses for r in m.reasons
                   if m.result.class_generic)


def test_bridges_are_class_generic_and_allow_gates(base):
    hanneke = base.by_id("hanneke_2016_thm2_realizable_upper")
    assert hanneke.class_generic and hanneke.multiplication
    km = base.by_id("karpinski_macintyre_1997_thm7")
    assert not km.class_generic and not km.multiplication


def test_tied_weights_decision_is_recorded_with_quotes(base):
    for rid in ("karpinski_macintyre_1997_thm7", "schmitt_1999_km_extension"):
        r = base.by_id(rid)
        assert r.tied_weights is False
        assert r.tied_weights_reason.startswith("UNVERIFIED:")
        assert "programmable parameter" in r.tied_weights_reason
        assert "shared_params_as_gates" in r.tied_weights_reason
    lemma = base.lemmas["shared_as_gates"]
    assert "or a subset" in lemma.applicability and lemma.applicability_verified


def test_lstm_exponent_of_T_follows_the_decision(base):
    res = bound(LSTM, base=base)
    assert res.growth_upper["T"].power == 2
    views = {c.view.name for c in res.upper.candidates}
    assert "unrolled (shared parameters as gates)" in views
    gates = next(c for c in res.upper.candidates if c.view.name == "unrolled (shared parameters as gates)")
    assert not gates.unsound and "shared_params_as_gates" in [s.id for s in gates.steps]
    # the direct application to shared weights is a reported, unused route with the file's reason
    tied = [c for c in res.uppers if c.view.name == "unrolled (tied weights)"]
    assert tied and all(c.unsound for c in tied)
    assert any("UNVERIFIED (schmitt1999vc: the remark does not say" in n for n in res.notes)
    # without the lemma, the decision leaves only the untied route: T^4
    no_lemma = replace(base, lemmas={k: v for k, v in base.lemmas.items() if k != "shared_as_gates"})
    assert bound(LSTM, base=no_lemma).growth_upper["T"].power == 4


def test_rnn_and_lstm_compared_through_the_same_kinds_of_route(base):
    rnn, lstm = bound(RNN, base=base), bound(LSTM1, base=base)
    assert rnn.growth_upper["T"].power == lstm.growth_upper["T"].power == 2
    # both sides have a T^2 route and an untied T^4 route; the RNN's T^2 one is published (KS 1998),
    # and the gates route reaches the same order for it
    rnn_gates = [c for c in rnn.uppers if c.view.name == "unrolled (shared parameters as gates)"]
    assert rnn_gates and not rnn_gates[0].unsound
    ks = next(c for c in rnn.uppers if c.result.id == "koiran_sontag_1998_sigmoid_upper")
    from vcbound import asymptotics as asy
    assert asy.compare(rnn_gates[0].form, ks.form, rnn.regime) == "equal"
    cmp = compare(RNN, LSTM1, base=base)
    assert cmp.upper.relation == "equal"
    text = str(cmp)
    assert "schmitt_1999_km_extension (unrolled (shared parameters as gates))" in text


def test_compare_names_different_route_kinds(base):
    # the artefact issue 11 reported: without the shared-parameter lemma the RNN has a published T^2
    # bound and the LSTM only the untied T^4 route; the comparison must say that the routes differ
    no_lemma = replace(base, lemmas={k: v for k, v in base.lemmas.items() if k != "shared_as_gates"})
    cmp = compare(RNN, LSTM1, base=no_lemma)
    assert cmp.upper.relation != "equal"
    text = str(cmp)
    assert "routes differ: A's upper bound comes via published" in text
    assert "not from the architectures" in text
    assert cmp.to_json()["upper"]["route_note"].startswith("routes differ")
    # with the lemma both sides have the same kinds of route and no such sentence
    assert "routes differ" not in str(compare(RNN, LSTM1, base=base))


# ------------------------------------------------------------------------------------------------
# mixed activations: Keras cell activations, relu / threshold / linear heads
# ------------------------------------------------------------------------------------------------
FORECAST = "input(d, seq=T) -> lstm(n)^L -> last -> dense(h, act=relu) -> dense(1)"


@pytest.mark.parametrize("text, column", [
    ("input(d, seq=T) -> lstm(n, act=relu) -> last -> dense(1)", 28),
    ("input(d, seq=T) -> gru(n, recurrent_act=relu) -> last -> dense(1)", 27),
])
def test_cell_activations_are_keras_only(vcbound_cli, text, column):
    run = vcbound_cli("params", text)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    first, line, caret = run.stderr.splitlines()[:3]
    assert first.startswith(f"<arch>:1:{column}: ") and "Keras" in first and "convention=keras" in first
    assert caret.index("^") == column - 1
    ok = vcbound_cli("params", text.replace("relu)", "relu, convention=keras)"), "--json")
    assert ok.returncode == 0, ok.stderr


def test_cell_activations_change_classes_not_counts():
    from vcbound.api import count
    plain = count("input(7, seq=T) -> lstm(5, convention=keras)")
    relu = count("input(7, seq=T) -> lstm(5, act=relu, recurrent_act=hardtanh, convention=keras)")
    assert plain.params == relu.params == 260            # Keras LSTM(5) on 7 inputs
    assert {str(a) for a in plain.hidden_activations} == {"sigmoid", "tanh"}
    assert {str(a) for a in relu.hidden_activations} == {"hardtanh", "relu"}
    assert relu.units_by_activation() == {"hardtanh": (15, 0), "relu": (10, 0)}
    gru = count("input(d, seq=T) -> gru(n)^L -> last -> dense(h, act=relu) -> dense(1)")
    by = gru.units_by_activation()
    assert by["sigmoid"][0] == 2 * by["tanh"][0] and str(by["relu"][1]) == "h"


def test_forecasting_net_gets_an_upper_bound_every_step_cited_or_written(base):
    res = bound(FORECAST, base=base)
    assert res.upper is not None
    assert res.growth_upper["T"].power == 2
    for cand in res.upper.candidates:
        ids = [s.id for s in cand.steps]
        assert "relu_as_product" in ids and "threshold_as_steep_sigmoid" in ids, ids
        assert ids[-1] == "schmitt_1999_km_extension" and cand.status == "derived" and not cand.unsound
        for step in cand.steps:
            # a cited result or lemma with a locator, or a definition whose argument is in a theorem file
            assert step.locator and (step.citation or step.kind == "definition"
                                     or step.id in {lem.id for lem in base.all_lemmas}), step
    lemma = base.by_id("threshold_as_steep_sigmoid")
    assert lemma.source.key == "koiran1997quadratic" and "Derived extension" in lemma.statement
    assert "z * H(z)" in base.by_id("relu_as_product").statement
    assert {"koiran1997quadratic", "schmitt1999vc"} <= set(res.upper.citations)


def test_feedforward_mix_of_sigmoid_and_relu_is_rewritten(base):
    res = bound("input(d) -> dense(h, act=sigmoid) -> dense(h, act=relu) -> dense(1)", base=base)
    assert res.upper is not None
    assert res.upper.candidates[0].view.name == "network + units as gates"


def test_a_head_no_lemma_covers_is_a_precise_miss(base):
    res = bound("input(d, seq=T) -> lstm(n)^L -> last -> dense(h, act=leaky_relu) -> dense(1)", base=base)
    assert res.upper is None
    nearest = res.misses[0]
    assert nearest.result.id == "schmitt_1999_km_extension"
    text = str(nearest)
    assert "no lemma in the base rewrites leaky_relu" in text and "needs every activation in sigmoidal" in text
    assert "needs topology" not in text       # unrolling removes that hypothesis; it is not what is missing


def test_ratio_range_prints_decimals_and_the_regime_of_each_end(base):
    c = compare(LSTM1, LSTM1.replace("lstm(n)", "lstm(2*n)"), base=base)
    text = str(c)
    assert "between 0.00391 (where T²·n⁸ dominates) and 0.0625 (where T⁴·d²·n⁴ dominates)" in text
    js = c.to_json()["upper"]["ratio_constant"]
    assert (js["low"], js["high"]) == ("1/256", "1/16")            # exact in JSON
    assert js["low_where_dominant"] == "T**2*n**8" and js["high_where_dominant"] == "T**4*d**2*n**4"
    from vcbound.render.pretty import significant
    assert [significant(x) for x in (1 / 3, 2500, 123456, 6.666e-6, 1)] == ["0.333", "2500", "123000",
                                                                         "0.00000667", "1"]
