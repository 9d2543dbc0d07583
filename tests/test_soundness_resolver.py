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
