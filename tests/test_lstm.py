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
