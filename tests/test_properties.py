"""Properties of the whole engine (parse -> count -> resolve -> render), checked on generated
architectures.

What is actually guaranteed, and asserted here:

- Monotonicity of the *parameter count*: widening a layer (n -> n + 1, n -> 2n) or adding a
  repetition never lowers W, U or depth; this is exact arithmetic, checked at random points.
- Monotonicity of the *best upper bound* for the same family of theorems: the upper bound for the
  larger network, written in the same symbols, is never asymptotically smaller (compare() never
  says "less") than the one for the smaller network. Replacing n by 2n is the same order, so the
  two bounds must compare "equal" (or at least not "less"/"greater" in the wrong direction).
  A sound bound of the bigger network may come from a different theorem, so only "not less" is
  guaranteed; for the repeat count (``^L`` vs ``^(L+1)``) the same holds.
- lower <= upper: for every generated architecture and measure, the best lower bound never grows
  faster than the best upper bound unless a ``Conflict`` is reported.
- JSON output round-trips through ``json.dumps``/``json.loads`` unchanged, and is stable across
  two resolutions of the same text.
- Growth-function bridges stay sound (found by these tests): ``(e m / d)^d`` with d a VC bound
  known only up to a constant factor gives no bound; the halfplane class in R^2 (growth ~ m^2) is
  never bounded by O(m).
"""
from __future__ import annotations

import json
import random

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import vcbound
from vcbound import resolver
from vcbound.asymptotics import compare
from vcbound.render.jsonout import resolution_json

SETTINGS = settings(deadline=None, database=None, max_examples=25)

HIDDEN = ["relu", "sigmoid", "tanh", "threshold", "poly(2)", "pwlinear(3)", "linear", "hardtanh"]
READOUT = ["dense(1)", "dense(1, act=sigmoid)", "dense(1, act=threshold)", "dense(3)"]


@st.composite
def family(draw):
    """A template with one width symbol n and one repeat count L: ``fmt(width, count)`` gives text."""
    kind = draw(st.sampled_from(["mlp", "mlp2", "rnn", "lstm", "gru", "deep_rnn"]))
    act = draw(st.sampled_from(HIDDEN))
    out = draw(st.sampled_from(READOUT))
    if kind == "mlp":
        return lambda w, c: f"input(d) -> dense({w}, act={act})^{c} -> {out}"
    if kind == "mlp2":
        return lambda w, c: f"input(d) -> (dense({w}, act={act}) -> dense(h, act={act}))^{c} -> {out}"
    if kind == "rnn":
        return lambda w, c: f"input(d, seq=T) -> rnn({w}, act={act})^{c} -> last -> {out}"
    if kind == "deep_rnn":
        return lambda w, c: f"input(d, seq=T) -> rnn({w}, act={act}) -> last -> dense(h, act={act})^{c} -> {out}"
    return lambda w, c: f"input(d, seq=T) -> {kind}({w})^{c} -> last -> {out}"


def sample_points(q, seed, k=3):
    rng = random.Random(seed)
    syms = q.symbols()
    return [{s: rng.randint(1, 20) for s in syms.values()} for _ in range(k)]


def at(expr, pt):
    expr = sp.sympify(expr)
    return expr.xreplace({s: v for s, v in pt.items() if s in expr.free_symbols})


# ---- counts ----------------------------------------------------------------------------------------
@SETTINGS
@given(family(), st.integers(0, 10 ** 6))
def test_wider_and_deeper_networks_never_have_fewer_parameters(fmt, seed):
    small = vcbound.count(fmt("n", "L"))
    wider = vcbound.count(fmt("n + 1", "L"))
    double = vcbound.count(fmt("2*n", "L"))
    deeper = vcbound.count(fmt("n", "(L + 1)"))
    for pt in sample_points(wider, seed):
        base = {k: at(getattr(small, k), pt) for k in ("params", "units", "depth")}
        for big in (wider, double, deeper):
            for k in ("params", "units", "depth"):
                assert at(getattr(big, k), pt) >= base[k], (fmt("n", "L"), k, pt)


# ---- upper bounds: monotone in the same symbols ------------------------------------------------------
def best_upper(text, measure="vc"):
    res = vcbound.bound(text, measure=measure)
    return res.upper.form if res.upper is not None else None


@SETTINGS
@given(family())
def test_more_units_or_layers_never_lower_the_best_upper_bound(fmt):
    small = best_upper(fmt("n", "L"))
    if small is None:
        return
    for bigger in (fmt("2*n", "L"), fmt("n + 1", "L"), fmt("n", "(L + 1)"), fmt("n", "(2*L)")):
        big = best_upper(bigger)
        assert big is not None, f"{bigger}: no upper bound, but {fmt('n', 'L')} has one"
        assert compare(big, small) != "less", (bigger, big.expr(), small.expr())


@SETTINGS
@given(family())
def test_doubling_the_width_keeps_the_order_of_the_upper_bound(fmt):
    # n -> 2n changes every polynomial/log bound by a constant factor only; bounds exponential in
    # n (growth function) are excluded by using the VC dimension here
    small, big = best_upper(fmt("n", "L")), best_upper(fmt("2*n", "L"))
    if small is None:
        assert big is None
        return
    assert compare(big, small) in ("equal", "greater"), (fmt("n", "L"), big.expr(), small.expr())
    assert compare(small, big) in ("equal", "less")


def test_longer_sequences_never_lower_the_best_upper_bound():
    for cell in ("rnn(n, act=sigmoid)", "lstm(n)", "gru(n)", "rnn(n, act=relu)"):
        small = best_upper(f"input(d, seq=T) -> {cell} -> last -> dense(1, act=sigmoid)")
        big = best_upper(f"input(d, seq=2*T) -> {cell} -> last -> dense(1, act=sigmoid)")
        bigger = best_upper(f"input(d, seq=T^2) -> {cell} -> last -> dense(1, act=sigmoid)")
        assert compare(big, small) == "equal", cell
        assert compare(bigger, small) in ("greater", "equal"), cell
        assert compare(bigger, small) != "less"


# ---- lower <= upper -------------------------------------------------------------------------------
@SETTINGS
@given(family(), st.sampled_from(["vc", "pdim", "sample_realizable", "sample_agnostic"]))
def test_lower_never_exceeds_upper_without_a_reported_conflict(fmt, measure):
    res = vcbound.bound(fmt("n", "L"), measure=measure)
    if res.upper is None or res.lower is None:
        return
    if compare(res.lower.form, res.upper.form, res.regime) == "greater":
        assert res.conflicts, (fmt("n", "L"), measure, res.lower.expr, res.upper.expr)
    for lo in res.lower.candidates:
        for up in res.upper.candidates:
            if compare(lo.form, up.form, res.regime) == "greater":
                assert any(c.lower is lo and c.upper is up for c in res.conflicts) or res.conflicts


def test_the_planted_conflict_is_reported():
    from pathlib import Path
    from vcbound.theorems import load_theorems
    planted = Path(__file__).parent / "data" / "theorems_conflict"
    base = load_theorems([planted], use_env=False)
    arch = "input(d, seq=T) -> rnn(n, act=sigmoid) -> last -> dense(1, act=threshold)"
    res = vcbound.bound(arch, base=base)
    assert res.conflicts or compare(res.lower.form, res.upper.form) != "greater"


# ---- JSON round trip ------------------------------------------------------------------------------
@SETTINGS
@given(family(), st.sampled_from(["vc", "pdim", "growth", "sample_realizable"]))
def test_json_round_trips_unchanged(fmt, measure):
    text = fmt("n", "L")
    res = vcbound.bound(text, measure=measure)
    doc = resolution_json(res)
    dumped = json.dumps(doc)
    assert json.loads(dumped) == doc
    assert json.dumps(json.loads(dumped)) == dumped
    resolver._RESOLUTIONS.clear()                       # an uncached second resolution says the same
    assert resolution_json(vcbound.bound(text, measure=measure)) == doc


# ---- growth-function bridges (a soundness bug these tests found) ---------------------------------------
@pytest.mark.parametrize("arch", [
    "input(2) -> dense(1, act=threshold)",
    "input(2) -> dense(3, act=threshold) -> dense(1, act=threshold)",
    "input(2) -> dense(2, act=sign) -> dense(1, act=threshold)",
])
def test_growth_of_networks_containing_halfplanes_is_not_bounded_by_m(arch):
    # each network can compute any halfplane of R^2 (one unit passes it through), and halfplanes
    # pick out m^2 - m + 2 labellings of m points in general position (Cover 1965): no valid upper
    # bound on the growth function is o(m^2). Before the fix the Sauer bridge (e m / d)^d took d
    # from the VC bound's O(.) form, whose constant had been dropped (O(1) -> 1), and said O(m).
    from vcbound.expressions import make_symbol
    m = make_symbol("m")
    res = vcbound.bound(arch, measure="growth")
    assert res.upper is not None
    assert compare(res.upper.form, m ** 2) in ("greater", "equal"), res.upper.expr


def test_growth_bridge_uses_explicit_vc_bounds_only():
    res = vcbound.bound("input(d) -> dense(h, act=threshold) -> dense(1, act=threshold)", measure="growth")
    for cand in res.uppers:
        if cand.result.id.endswith("sauer"):
            assert cand.inner and all(c.result.form == "explicit" for c in cand.inner), cand.result.id
    # an RNN has only asymptotic VC bounds: no Sauer route, and the miss says why
    res = vcbound.bound("input(d, seq=T) -> rnn(n, act=sigmoid) -> last -> dense(1, act=threshold)",
                        measure="growth")
    assert not [c for c in res.uppers if c.result.id.endswith("sauer")]
    reasons = [r for miss in res.misses if miss.result.id.endswith("sauer") for r in miss.reasons]
    assert any("constant factor" in r for r in reasons), reasons
