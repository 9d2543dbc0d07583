"""Resolver semantics (issue: resolver and asymptotic algebra).

Each test resolves a real architecture against the built-in theorem base and checks what the answer
claims: which results it cites, with which scope and status, and what it refuses to claim.
"""
from __future__ import annotations

from pathlib import Path

import pytest

import vcbound
from vcbound.asymptotics import compare, growth
from vcbound.expressions import make_symbol
from vcbound.resolver import bound
from vcbound.theorems import load_theorems

DATA = Path(__file__).parent / "data"

SIGMOID_RNN = "input(d, seq=T) -> rnn(n, act=sigmoid) -> last -> dense(1, act=threshold)"
LSTM_STACK = "input(d, seq=T) -> lstm(n)^L -> last -> dense(1, act=sigmoid)"
RELU_FF = "input(d) -> dense(h, act=relu)^L -> dense(1)"
THRESHOLD_FF = "input(n) -> dense(n, act=threshold)^L -> dense(1, act=threshold)"


@pytest.fixture(scope="module")
def base():
    return load_theorems(use_env=False)


def ids(bound_or_cands):
    cands = getattr(bound_or_cands, "candidates", bound_or_cands)
    return {c.result.id for c in cands}


def all_citations(res):
    keys = set()
    for c in res.uppers + res.lowers:
        keys.update(c.citations)
    return keys


def sym(name, integer=True):
    return make_symbol(name, integer)


def test_seed_question_sigmoid_rnn(base):
    res = bound(SIGMOID_RNN, base=base)
    ks_upper = [c for c in res.uppers if c.result.id == "koiran_sontag_1998_sigmoid_upper"]
    assert ks_upper, "Koiran-Sontag's O(w^4 T^2) must apply to a sigmoid RNN of standard form"
    assert ks_upper[0].status == "published"
    # expressed in the user's symbols: W = n(d+n) + 3n + 1, so w^4 T^2 ~ T^2 (n^2 + dn)^4
    T, n, d = sym("T"), sym("n"), sym("d")
    assert compare(ks_upper[0].form, T**2 * (n**2 + d * n) ** 4) == "equal"
    g = growth(ks_upper[0].form)
    assert g["T"].power == 2 and g["n"].power == 8
    assert "koiran_sontag_1998_sigmoid_upper" in ids(res.upper)
    # the lower bound is Koiran-Sontag's Omega(w T), an existence statement
    assert ids(res.lower) == {"koiran_sontag_1998_thm5"}
    assert res.lower.scope == "exists"
    assert compare(res.lower.form, T * (n**2 + d * n)) == "equal"
    text = str(res)
    assert "existence" in text and "not a claim that the network above does" in text
    assert not res.tight


def test_lstm_is_never_published_with_koiran_sontag(base):
    res = bound(LSTM_STACK, base=base)
    assert res.upper is not None
    assert res.upper.status == "derived"
    for c in res.uppers:
        assert c.status == "derived"
        assert "koiran1998vc" not in c.citations
        assert any(s.id == "unroll" for s in c.steps), "an LSTM bound must go through unrolling"
    # the reason Koiran-Sontag does not apply is stated
    reasons = {m.result.id: " ".join(m.reasons) for m in res.misses}
    assert "recurrent_standard" in reasons["koiran_sontag_1998_sigmoid_upper"]
    assert any("No published VC-dimension bound specific to LSTM" in n for n in res.notes)
    g = res.growth_upper
    assert set(g) == {"L", "T", "d", "n"}
    assert g["T"].power > 0 and g["L"].power > 0 and g["n"].power > 0


def test_gru_is_derived_or_absent(base):
    res = bound("input(d, seq=T) -> gru(n) -> last -> dense(1)", base=base)
    for c in res.uppers + res.lowers:
        assert c.status == "derived"
        assert "koiran1998vc" not in c.citations


def test_relu_feedforward(base):
    res = bound(RELU_FF, base=base)
    bhlm = [c for c in res.uppers if c.result.source.key == "bartlett2019nearly"]
    assert bhlm, "BHLM 2019 upper bounds apply to ReLU networks"
    assert all(c.scope == "every" for c in bhlm)
    assert res.lower is not None and res.lower.scope == "exists"
    assert res.lower.citations == ["bartlett2019nearly"]
    thm3 = [c for c in res.lowers if c.result.id == "bhlm_2019_thm3"]
    assert thm3 and thm3[0].scope == "exists" and "W > C*L" in thm3[0].conditions
    # equal-order lower bounds: the one without side conditions (eq. 2) is preferred
    assert compare(res.lower.form, thm3[0].form) == "equal"
    # the best upper is no larger than BHLM's
    for c in bhlm:
        assert compare(res.upper.form, c.form) in ("less", "equal")


def test_threshold_feedforward_is_tight(base):
    res = bound(THRESHOLD_FF, base=base)
    assert res.tight
    L, n = sym("L"), sym("n")
    W = L * n**2
    import sympy as sp
    assert compare(res.upper.form, W * sp.log(W)) == "equal"
    assert res.lower.scope == "exists"
    assert "for the family" in str(res)


def test_piecewise_polynomial_takes_min_of_bmm_and_bhlm(base):
    res = bound("input(d) -> dense(h, act=pwpoly(3, 2))^L -> dense(1)", base=base)
    sources = {c.result.source.key for c in res.uppers}
    assert {"bartlett1998almost", "bartlett2019nearly"} <= sources
    for c in res.uppers:
        if c.result.source.key in ("bartlett1998almost", "bartlett2019nearly"):
            assert compare(res.upper.form, c.form) in ("less", "equal"), c.result.id


def test_sigmoid_feedforward_karpinski_macintyre(base):
    res = bound("input(d) -> dense(h, act=sigmoid)^L -> dense(1, act=threshold)", base=base)
    km = [c for c in res.uppers if c.result.id == "karpinski_macintyre_1997_thm7"]
    assert km and km[0].status == "published"
    assert compare(res.upper.form, km[0].form) in ("less", "equal")


@pytest.mark.parametrize("act, upper_id, lower_id", [
    ("poly(2)", "koiran_sontag_1998_poly_upper", "koiran_sontag_1998_poly_lower"),
    ("relu", "koiran_sontag_1998_pwpoly_upper", "koiran_sontag_1998_pwpoly_lower"),
    ("threshold", "koiran_sontag_1998_threshold_upper", "koiran_sontag_1998_threshold_lower"),
    ("sigmoid", "koiran_sontag_1998_sigmoid_upper", "koiran_sontag_1998_thm5"),
])
def test_all_eight_koiran_sontag_results(base, act, upper_id, lower_id):
    res = bound(f"input(d, seq=T) -> rnn(n, act={act}) -> last -> dense(1, act=threshold)", base=base)
    uppers = {c.result.id: c for c in res.uppers}
    lowers = {c.result.id: c for c in res.lowers}
    assert upper_id in uppers and uppers[upper_id].status == "published"
    assert lower_id in lowers and lowers[lower_id].scope == "exists"
    assert "koiran1998vc" in uppers[upper_id].citations


def test_threshold_rnn_does_not_get_the_piecewise_polynomial_lower_bound(base):
    res = bound("input(d, seq=T) -> rnn(n, act=threshold) -> last -> dense(1, act=threshold)", base=base)
    assert "koiran_sontag_1998_pwpoly_lower" not in {c.result.id for c in res.lowers}


def test_no_result_lists_nearest_misses(base):
    res = bound("input(d) -> dense(h, act=softplus) -> dense(1)", base=base)
    assert res.no_result and res.upper is None and res.lower is None
    assert res.misses
    text = str(res)
    assert "no result" in text and "nearest misses" in text
    assert any("piecewise_polynomial" in " ".join(m.reasons) for m in res.misses)


def test_conflict_is_reported_not_hidden():
    planted = load_theorems([DATA / "theorems_conflict"], use_env=False)
    res = bound("input(d) -> dense(h, act=softplus) -> dense(1)", base=planted)
    assert res.conflicts, "a lower bound above an upper bound must be reported"
    assert "planted_softplus_lower" in str(res.conflicts[0])
    assert "CONFLICT" in str(res)


def test_sample_complexity_through_bridges(base):
    res = bound(RELU_FF, measure="sample_realizable", base=base)
    assert res.upper is not None and res.upper.status == "derived"
    bridge = [c for c in res.upper.candidates if c.result.is_bridge]
    assert bridge and bridge[0].inner, "the sample bound substitutes a VC upper bound"
    assert "eps" in res.growth_upper and res.growth_upper["eps"].power == -1
    agn = bound(RELU_FF, measure="sample_agnostic", base=base)
    assert agn.growth_upper["eps"].power == -2


def test_pseudo_dimension_via_one_more_layer(base):
    res = bound(RELU_FF, measure="pdim", base=base)
    assert res.upper is not None
    assert any(s.id == "bhlm_2019_pdim" for c in res.upper.candidates for s in c.steps)
    assert res.lower is not None
    assert any(s.id == "vc_le_pdim" for c in res.lower.candidates for s in c.steps)


def test_assumption_changes_the_regime(base):
    free = bound("input(d, seq=T) -> rnn(n, act=threshold) -> last -> dense(1, act=threshold)", base=base)
    long_seq = bound("input(d, seq=T) -> rnn(n, act=threshold) -> last -> dense(1, act=threshold)",
                     assume=["d = n"], base=base)
    assert "d" in free.growth_upper and "d" not in long_seq.growth_upper


def test_library_api_and_str():
    res = vcbound.bound(SIGMOID_RNN)
    assert str(res).startswith("VC dimension of")
    with pytest.raises(vcbound.VcboundError):
        vcbound.bound(SIGMOID_RNN, measure="nonsense")


def test_every_derivation_leaf_cites_or_is_a_definition(base):
    for arch in (SIGMOID_RNN, LSTM_STACK, RELU_FF, THRESHOLD_FF,
                 "input(d) -> dense(h, act=pwpoly(3, 2))^L -> dense(1)"):
        for measure in ("vc", "pdim", "sample_realizable"):
            res = bound(arch, measure=measure, base=base)
            for c in res.uppers + res.lowers:
                stack = list(c.steps)
                while stack:
                    s = stack.pop()
                    stack.extend(s.children)
                    assert s.citation or s.verification == "definition" or s.locator == "by definition", s


def test_linear_rnn_does_not_get_a_nonlinear_lower_bound(base):
    # a linear RNN with a sign readout is a linear classifier of its d*T inputs (VC <= dT + 1), so an
    # Omega(wT) = Omega(T(n^2 + dn)) lower bound would be false for it
    res = bound("input(d, seq=T) -> rnn(n, act=linear) -> last -> dense(1, act=sign)", base=base)
    assert "koiran_sontag_1998_pwpoly_lower" not in {c.result.id for c in res.lowers}
    assert not res.tight


def test_mixed_activations_are_named_in_the_misses(base):
    res = bound("input(d, seq=T) -> dense(h, act=leaky_relu) -> rnn(n, act=tanh) -> last -> dense(1, act=sign)",
                base=base)
    assert res.no_result
    assert any("mixes leaky_relu and tanh" in " ".join(m.reasons) for m in res.misses)
    # relu with tanh is covered through the rewriting lemmas (relu(z) = z H(z), steep sigmoids)
    res = bound("input(d, seq=T) -> dense(h, act=relu) -> rnn(n, act=tanh) -> last -> dense(1, act=sign)",
                base=base)
    assert res.upper is not None and res.upper.status == "derived"
    assert "relu_as_product" in [s.id for s in res.upper.candidates[0].steps]


@pytest.mark.parametrize("text", [SIGMOID_RNN, LSTM_STACK, RELU_FF, THRESHOLD_FF,
                                  "input(d) -> dense(n0 + k) -> dense(n1 + k, act=sigmoid) -> dense(1)",
                                  "input(3) -> dense(1)^L -> dense(1, act=threshold)"])
def test_condition_status_without_expand_matches_expand(base, monkeypatch, text):
    """A condition on two polynomial sums is decided from their difference without expand()
    (resolver._polynomial_sum): the same failed and open conditions as with expand(), for every
    result with conditions in every view of these networks (U = L for a chain of width-1 layers)."""
    from vcbound import resolver
    from vcbound.quantities import count
    q = count(vcbound.graph.parse(text))
    views = resolver._views(q, base, "vc")
    results = [r for m in ("vc", "pdim", "growth") for r in base.results_for(m) if r.conditions]
    assert results
    resolver._condition_status.cache_clear()
    fast = [(r.id, v.name, resolver.condition_status(r, v)) for r in results for v in views]
    monkeypatch.setattr(resolver, "_polynomial_sum", lambda expr: False)
    resolver._condition_status.cache_clear()
    slow = [(r.id, v.name, resolver.condition_status(r, v)) for r in results for v in views]
    resolver._condition_status.cache_clear()
    assert fast == slow
