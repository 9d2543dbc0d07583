"""Issue 10, resolver side: the regime, depth requirements, conflict handling and fallbacks.

Each test fails on the encoding and resolver before the issue: it checks what an answer claims
(which results, in which regime, with which scope) on real architectures and the built-in base.
"""
from __future__ import annotations

import pytest

from vcbound import asymptotics as asy
from vcbound.asymptotics import Regime, compare, dominant
from vcbound.expressions import make_symbol, parse_condition
from vcbound.resolver import bound
from vcbound.theorems import load_theorems

n, d, L, h = (make_symbol(x, True) for x in "ndLh")

THRESHOLD_DEEP = "input(d) -> dense(n, act=threshold)^L -> dense(1, act=threshold)"


@pytest.fixture(scope="module")
def base():
    return load_theorems(use_env=False)


def ids(b):
    return {c.result.id for c in (b.candidates if b is not None else [])}


# ---------------------------------------------------------------------------------------------
# the regime: "all sizes -> oo jointly" means polynomially related sizes
# ---------------------------------------------------------------------------------------------
def test_logs_of_polynomially_related_sizes_are_of_one_order():
    W = L * n**2 + d * n
    U = L * n + 1
    assert compare(W * sp_log(W), W * sp_log(U)) == "equal"
    assert compare(n * sp_log(d), n * sp_log(n)) == "equal"


def test_a_power_beats_a_log_of_another_size_when_sizes_are_polynomially_related():
    W = L * n**2 + d * n
    U = L * n + 1
    # U*W >= W log W: on a direction where only d grows, U does not; polynomially related sizes
    # all grow, so U >> log W
    assert compare(U * W, W * sp_log(W)) == "greater"


def test_logs_of_unrelated_sizes_stay_apart():
    regime = Regime.from_conditions([parse_condition("log(d) >> log(n)")])
    assert not regime.polynomial
    assert compare(n * sp_log(d), n * sp_log(n), regime) == "greater"
    # without a direction, unrelated logs are incomparable
    assert compare(n * sp_log(d), n * sp_log(n), Regime(polynomial=False)) == "incomparable"


def test_much_greater_alone_keeps_sizes_polynomially_related():
    regime = Regime.from_conditions([parse_condition("d >> n")])
    assert regime.polynomial and regime.describe() == "d >> n; polynomially related"
    assert "polynomially related" in Regime().describe()
    assert "log W, log U" in Regime().describe(long=True)


def test_log_weights_pool_the_logs_of_sizes_only():
    assert asy.log_weights((("d", 1),), ("d", "n"), False) == [asy.LOG_WEIGHT, 0.0]
    assert asy.log_weights((("d", 1),), ("d", "n"), True) == [asy.LOG_WEIGHT, asy.LOG_WEIGHT]
    # eps tends to 0: log(1/eps) is not the log of a size
    assert asy.log_weights((("eps", 1),), ("eps", "n"), True) == [asy.LOG_WEIGHT, 0.0]


def test_polynomial_rays_move_every_size_inside_the_cone():
    rays = asy.polynomial_rays([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], ("d", "eps", "n"), True)
    # the eps ray (eps -> 0 alone) is not a size direction and stays where it is
    assert rays == [[1.0, 0.0, asy.POLY_DELTA], [0.0, 1.0, 0.0]]
    assert asy.polynomial_rays([[1.0, 0.0]], ("d", "n"), False) == [[1.0, 0.0]]


def sp_log(x):
    import sympy as sp
    return sp.log(x)


def test_threshold_net_gets_theta_w_log_w_for_the_family(base):
    res = bound(THRESHOLD_DEEP, base=base)
    assert res.tight, str(res)
    assert res.lower.scope == "exists" and res.upper.scope == "every"
    W = res.quantities.params
    assert compare(res.upper.form, W * sp_log(W)) == "equal"
    assert compare(res.lower.form, W * sp_log(W)) == "equal"
    assert "polynomially related" in str(res)


# ---------------------------------------------------------------------------------------------
# item 2: the depth condition of the Omega(W^2) constructions
# ---------------------------------------------------------------------------------------------
SIGMOID_ONE_HIDDEN = "input(d) -> dense(n, act=sigmoid) -> dense(1)"


def test_one_hidden_layer_sigmoid_net_never_gets_omega_w_squared(base):
    res = bound(SIGMOID_ONE_HIDDEN, base=base)
    W = res.quantities.params
    assert not {"koiran_sontag_1997_thm3", "uml_2014_sec20_4_sigmoid_lower"} & {c.result.id for c in res.lowers}
    assert compare(res.lower.form, W**2) == "less"
    misses = {m.result.id: " ".join(m.reasons) for m in res.misses}
    assert "fixed depth 2" in misses["koiran_sontag_1997_thm3"]


def test_one_hidden_layer_sigmoid_net_gets_a_lower_bound_proved_at_depth_two(base):
    res = bound(SIGMOID_ONE_HIDDEN, base=base)
    W = res.quantities.params
    # Sakurai's two-layer threshold construction, carried to sigmoid units of the same graph by
    # Koiran-Sontag's Theorem 4: derived, and an existence statement
    assert compare(res.lower.form, W * sp_log(W)) == "equal"
    lead = res.lower.candidates[0]
    assert lead.status == "derived" and lead.scope == "exists"
    assert any(s.id == "koiran_sontag_1997_thm4_simulation" and s.locator == "Theorem 4, p. 202" for s in lead.steps)
    assert "sigmoidal counterpart" in str(res)
    # Bartlett-Maiorov-Meir floor(L/2) floor(W/2) holds at L = 2 too
    assert "bmm_1998_lower" in {c.result.id for c in res.lowers}


def test_threshold_simulation_never_gives_upper_bounds(base):
    res = bound(SIGMOID_ONE_HIDDEN, base=base)
    assert all(not c.view.lower_only for c in res.uppers)
    assert "baum_haussler_1989_cor2" not in {c.result.id for c in res.uppers}


def test_symbolic_depth_gets_the_deep_construction_only_with_bounded_widths(base):
    res = bound("input(d) -> dense(n, act=sigmoid)^L -> dense(1)", base=base)
    assert "koiran_sontag_1997_thm3" not in {c.result.id for c in res.lowers}
    assert "not of the order of W" in " ".join(m for x in res.misses if x.result.id == "koiran_sontag_1997_thm3"
                                                for m in x.reasons)
    narrow = bound("input(2) -> dense(2, act=sigmoid)^L -> dense(1)", base=base)
    assert "koiran_sontag_1997_thm3" in {c.result.id for c in narrow.lowers}


# ---------------------------------------------------------------------------------------------
# items 8 and 10: conflicts are real, reported with both ids, and the next lower bound is used
# ---------------------------------------------------------------------------------------------
def test_rejected_lower_bound_falls_back_to_the_next_one(base):
    # logs of d and n kept apart: Sakurai's W log W (d n log d) exceeds BHLM's W log U (d n log n)
    res = bound("input(d) -> dense(n, act=threshold) -> dense(1, act=threshold)",
                assume=["log(d) >> log(n)"], base=base)
    assert res.conflicts
    text = str(res.conflicts[0])
    assert "sakurai_1993_lower" in text and "bhlm_2019_thm7" in text
    assert ids(res.lower) == {"baum_haussler_1989_thm7"}
    assert "sakurai_1993_lower" not in ids(res.lower)


def test_no_conflict_is_excused_by_a_symbols_table(base):
    for arch in ("input(d) -> dense(n, act=threshold)^L -> dense(1, act=threshold)",
                 "input(d) -> dense(n, act=relu)^L -> dense(1)"):
        res = bound(arch, base=base)
        assert not any("lies outside this architecture" in n for n in res.notes), res.notes
        assert res.lower is not None


def test_relu_net_with_equal_input_dimension_keeps_the_bhlm_lower_bound(base):
    res = bound("input(d) -> dense(n, act=relu)^L -> dense(1)", assume=["d = n"], base=base)
    assert "bhlm_2019_eq2_lower" in ids(res.lower)
    assert res.tight


# ---------------------------------------------------------------------------------------------
# item 11: results from the user's own files are the user's, in every format
# ---------------------------------------------------------------------------------------------
def user_theorem_file(key: str, result_id: str, bound_text: str, direction: str, scope: str, requires: str) -> str:
    """A minimal user theorem file: one source, one asymptotic VC result."""
    return "\n".join([
        "[source]", f'key = "{key}"',
        f'bibtex = """@misc{{{key}, author = {{Me}}, title = {{A draft}}, year = {{2026}}}}"""',
        'version = "draft"', 'verification = "submission"', 'read = "my own draft"', "",
        "[[result]]", f'id = "{result_id}"', 'locator = "Theorem 1"', 'statement = "A bound from my draft."',
        'measure = "vc"', f'direction = "{direction}"', f'scope = "{scope}"', 'form = "asymptotic"',
        f'bound = "{bound_text}"', 'symbols = { W = "W", T = "T" }' if "T" in bound_text else 'symbols = { W = "W" }',
        f"requires = {requires}", ""])


USER_LSTM = user_theorem_file("mylstm2026", "my_lstm_upper", "W*T", "upper", "every",
                              '{ topology = "recurrent_gated", activation = "any", multiplication = true }')


def test_user_results_are_labelled_as_the_users_in_every_format(tmp_path):
    path = tmp_path / "mylstm2026.toml"
    path.write_text(USER_LSTM)
    user_base = load_theorems([str(tmp_path)], use_env=False)
    res = bound("input(d, seq=T) -> lstm(n) -> last -> dense(1)", base=user_base)
    assert ids(res.upper) == {"my_lstm_upper"}
    assert res.upper.status == "user" and res.upper.user_files == [str(path)]
    text = str(res)
    assert f"user result ({path})" in text
    assert "published;" not in text
    note = [n for n in res.notes if "LSTM" in n][0]
    assert "built-in theorem base" in note and "my_lstm_upper" in note
    js = res.to_json()
    assert js["upper"]["status"] == "user" and js["upper"]["user_files"] == [str(path)]
    assert "user result" in res._repr_markdown_()
    from vcbound.render.latex import resolution_latex
    assert "User result" in resolution_latex(res) or "user result" in resolution_latex(res)


# ---------------------------------------------------------------------------------------------
# item 12: theorems check resolves canonical architectures
# ---------------------------------------------------------------------------------------------
PLANTED = user_theorem_file("planted2026", "planted_relu_cubic_lower", "W^3", "lower", "exists",
                            '{ topology = "feedforward", activation = "piecewise_linear" }')


def test_theorems_check_reports_a_user_lower_bound_above_a_builtin_upper_bound(tmp_path, capsys):
    from vcbound.cli import main
    (tmp_path / "planted2026.toml").write_text(PLANTED)
    assert main(["theorems", "check", str(tmp_path)]) == 2
    out = capsys.readouterr().out
    assert "planted_relu_cubic_lower" in out and "exceeds upper bound" in out and "canonical architecture" in out
    assert "bhlm_2019" in out          # the built-in upper bound it exceeds, by id


def test_builtin_base_has_no_conflict_on_canonical_architectures():
    from vcbound.audit import canonical_architectures, canonical_conflicts
    archs = canonical_architectures()
    assert any("lstm" in a for a in archs) and any("rnn(" in a for a in archs) and any("^L" in a for a in archs)
    assert canonical_conflicts() == []


# ---------------------------------------------------------------------------------------------
# small defects
# ---------------------------------------------------------------------------------------------
# DasGupta-Sontag's class has no bias terms (issue 10 item 4): the net is written bias-free
LINEAR_RNN = "input(1, seq=T) -> rnn(n, act=linear, bias=false) -> last -> dense(1, act=threshold, bias=false)"


def test_eval_outside_a_bounds_log_domain_says_so(base):
    from vcbound.evaluate import evaluate
    ev = evaluate(bound(LINEAR_RNN, base=base), {"n": 10, "T": 5})
    row = ev.row("dasgupta_sontag_1996_thm1_upper")
    assert row.value.undefined.startswith("outside the bound's domain")


def test_growth_of_a_min_bound_counts_symbols_inside_logs(base):
    res = bound(LINEAR_RNN, base=base)
    assert str(res.growth_upper["T"]) == "log(T)"


def test_degree_zero_canonical_form_has_no_zero_powers(base):
    res = bound("input(d) -> dense(n, act=threshold) -> dense(1, act=threshold)",
                assume=["log(d) >> log(n)"], base=base)
    assert "0^" not in res.upper.canonical and "0**" not in res.upper.canonical
