"""Benchmark: a 10,000-point sweep against a hand-written numpy evaluation of the same formula.

Run: ``python -m pytest benchmarks/bench_sweep.py --benchmark-enable``
(with ``--benchmark-disable``, the default in pyproject, each benchmark runs once and the ratio
check below still runs on its own timings).

The sweep evaluates Baum & Haussler (1989), Corollary 2, VCdim <= 2 W log2(e N), and the parameter
count W of ``input(d) -> dense(h, act=threshold)^L -> dense(1, act=threshold)`` over a 100 x 100
grid of (L, h). vcbound compiles the bound once (sympy -> numpy) and evaluates it on arrays; the
baseline is the same formula written by hand in numpy. Both are timed in the same process,
interleaved, and the ratio is stored in ``extra_info`` and must stay within 1.2.
"""
from __future__ import annotations

import time

import numpy as np
import pytest

from vcbound.sweeps import sweep

ARCH = "input(d) -> dense(h, act=threshold)^L -> dense(1, act=threshold)"
D = 32
RATIO_LIMIT = 1.2       # asserted: a regression guard
TARGET_RATIO = 1.05     # issue 13's target, reported in extra_info (met or missed in RESULTS.md)


@pytest.fixture(scope="module")
def setup():
    s = sweep(ARCH, {"L": range(1, 101), "h": range(1, 101)}, at={"d": D}, only=["baum_haussler_1989_cor2"])
    grid = {"L": s.grid["L"], "h": s.grid["h"]}
    assert len(grid["L"]) == 10_000
    return s, grid


def hand_written(L, h):
    """The same quantities written directly in numpy: W (torch convention) and 2 W log2(e N)."""
    W = D * h + h + (L - 1) * (h * h + h) + h + 1
    N = L * h + 1
    return W, 2 * W * np.log2(np.e * N)


def _interleaved(f, g, pairs=3000):
    """Best times of f and g over many calls made in strict alternation, so that the machine's
    load (other processes) weighs on both alike; the minimum is the least disturbed call."""
    clock = time.perf_counter
    tf = tg = float("inf")
    for _ in range(pairs):
        t0 = clock()
        f()
        t1 = clock()
        g()
        t2 = clock()
        tf = min(tf, t1 - t0)
        tg = min(tg, t2 - t1)
    return tf, tg


def test_sweep_10000_points_within_1_2x_of_numpy(benchmark, setup):
    s, grid = setup
    plan = s.plan
    L, h = grid["L"], grid["h"]
    cols = plan.run(grid)
    W, b = hand_written(L, h)
    np.testing.assert_array_equal(cols[0].values, W)
    np.testing.assert_allclose(cols[1].values, b, rtol=1e-12)

    t_sweep, t_hand = _interleaved(lambda: plan.run(grid), lambda: hand_written(L, h))
    ratio = t_sweep / t_hand
    benchmark.extra_info.update({"points": 10_000, "sweep_us": round(t_sweep * 1e6, 1),
                                 "numpy_us": round(t_hand * 1e6, 1), "ratio": round(ratio, 3),
                                 "target": "<= 1.05 x hand-written numpy (issue 13)", "target_ratio": TARGET_RATIO})
    benchmark(plan.run, grid)
    assert ratio <= RATIO_LIMIT, f"sweep {t_sweep * 1e6:.1f} us vs numpy {t_hand * 1e6:.1f} us: ratio {ratio:.2f}"


def test_hand_written_numpy(benchmark, setup):
    _, grid = setup
    benchmark(hand_written, grid["L"], grid["h"])


def test_sweep_end_to_end(benchmark):
    """The whole command's work for the same grid: resolve, compile, evaluate (for the README)."""
    result = benchmark.pedantic(
        sweep, args=(ARCH, {"L": range(1, 101), "h": range(1, 101)}),
        kwargs={"at": {"d": D}, "only": ["baum_haussler_1989_cor2"]}, rounds=3, iterations=1)
    assert result.size == 10_000
