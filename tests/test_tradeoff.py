"""``vcbound tradeoff`` and ``compare --budget``: widths at a parameter budget, from exact counts,
every output format, the plot, and the "shape only" label for bounds without published constants."""
from __future__ import annotations

import csv
import io
import json

import pytest

from vcbound.api import count
from vcbound.cli import main
from vcbound.errors import UsageError
from vcbound.theorems import load_theorems
from vcbound.tradeoff import SHAPE_ONLY, Tradeoff, compare_at_budget, largest_width, tradeoff

LSTM = "input(d, seq=T) -> lstm(n)^L -> last -> dense(1, act=sigmoid)"
RELU = "input(d) -> dense(h, act=relu)^L -> dense(1)"


@pytest.fixture(scope="module")
def base():
    return load_theorems()


@pytest.fixture(scope="module")
def lstm_table(base):
    return tradeoff(LSTM, "W=100000", "L=1..8", at="d=8,T=50", base=base)


def _params(text: str) -> int:
    return int(count(text).params)


def test_widths_are_the_largest_within_the_budget_by_exact_count(lstm_table):
    t = lstm_table
    assert isinstance(t, Tradeoff) and t.solve == "n" and t.budget == 100_000
    assert [r.values["L"] for r in t.rows] == list(range(1, 9))
    for r in t.rows:
        L, n = r.values["L"], r.width
        # an independent count of the concrete network (no symbols), and of one unit wider
        here = _params(f"input(8, seq=50) -> lstm({n})^{L} -> last -> dense(1, act=sigmoid)")
        wider = _params(f"input(8, seq=50) -> lstm({n + 1})^{L} -> last -> dense(1, act=sigmoid)")
        assert here == r.params <= 100_000 < wider == r.next_params
    widths = [r.width for r in t.rows]
    assert widths == sorted(widths, reverse=True) and widths[0] > widths[-1]


def test_largest_width_is_exact_at_the_edge():
    import sympy as sp
    n = sp.Symbol("n", positive=True, integer=True)
    # W(n) = 4 n^2 + 9 n + 1: W(10) = 491, so a budget of exactly 491 keeps n = 10, 490 gives 9
    assert largest_width(4 * n**2 + 9 * n + 1, 491) == (10, 491, 4 * 121 + 99 + 1)
    assert largest_width(4 * n**2 + 9 * n + 1, 490)[0] == 9
    assert largest_width(4 * n**2 + 9 * n + 1, 13) == (None, None, 14)   # even n = 1 is too wide
    # a count with a negative coefficient, not monotone near 0
    k, w, w_next = largest_width(n**3 - 10 * n**2 + 50, 10**6)
    assert w <= 10**6 < w_next and k == 103


def test_shape_only_whenever_a_constant_is_unknown(lstm_table, base):
    t = lstm_table
    assert t.columns, "the LSTM has bounds"
    for c in t.columns:
        r = base.by_id(c.result_id)
        unknown = r.form != "explicit" or bool(r.constants)
        assert (c.kind == "shape") == unknown
    text = str(t)
    assert SHAPE_ONLY in text and "(shape)" in text
    # a shape is shown as a ratio to the first row, never as a number that looks like a bound
    for r in t.rows:
        for c, cell in zip(t.columns, r.cells):
            assert c.kind == "shape" and cell.value is None and cell.ratio_float is not None
    assert [cell.ratio for cell in t.rows[0].cells] == [1, 1]
    # the untied route's shape grows with depth at a fixed budget; the shared-gates one stays near 1
    untied = [c.view for c in t.columns].index("unrolled (untied copy)")
    gates = [c.view for c in t.columns].index("unrolled (shared parameters as gates)")
    assert t.rows[-1].cells[untied].ratio_float > 3
    assert 0.8 < t.rows[-1].cells[gates].ratio_float < 1.25


def test_published_constants_give_values_that_match_eval(base):
    from vcbound.evaluate import evaluate
    t = tradeoff(RELU, 100_000, {"L": [1, 3]}, at={"d": 8}, base=base)
    values = [c for c in t.columns if c.kind == "value"]
    assert values and any(c.kind == "shape" for c in t.columns)
    row = t.rows[1]
    ev = evaluate(RELU, {"L": 3, "h": row.width, "d": 8}, base=base)
    for c in values:
        cell = row.cells[t.columns.index(c)]
        assert cell.value.float == pytest.approx(ev.row(c.result_id, "upper").float, rel=1e-12)


@pytest.mark.parametrize("fmt", ["text", "csv", "json", "markdown", "latex"])
def test_every_output_format(fmt, capsys):
    args = ["tradeoff", LSTM, "--budget", "W=100000", "--vary", "L=1..4", "--at", "d=8,T=50", "--format", fmt]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert SHAPE_ONLY in out
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(out)))
        assert rows[0][:4] == ["L", "n", "W", "W_next"] and len(rows) == 5
        assert all(SHAPE_ONLY in h for h in rows[0][4:])
        assert [r[1] for r in rows[1:]] == ["153", "89", "69", "58"]
        assert float(rows[2][5]) == pytest.approx(0.98542, abs=1e-4)
    elif fmt == "json":
        js = json.loads(out)
        assert js["budget"] == 100000 and js["solve"] == "n" and js["varied"] == "L"
        assert [r["n"] for r in js["rows"]] == [153, 89, 69, 58]
        assert all(c["label"] == SHAPE_ONLY for c in js["columns"])
        exact = js["rows"][1]["bounds"][0]["ratio_to_first"]
        assert "/" in exact                       # an exact rational, not only a float
    elif fmt == "markdown":
        assert out.count("\n| ") >= 5 and "|---:|" in out
    elif fmt == "latex":
        assert "\\begin{tabular}{rrrrr}" in out and "\\end{table}" in out and "\\times" in out
    else:
        assert "×1.34" in out and "×0.985" in out            # three significant figures


def test_plot_has_the_width_and_the_shapes(tmp_path, lstm_table):
    pytest.importorskip("matplotlib")
    import matplotlib.image as mpimg
    import numpy as np
    path = lstm_table.plot(str(tmp_path / "tradeoff.png"))
    img = mpimg.imread(path)[..., :3]
    h, w = img.shape[:2]
    assert w > h > 300 and img.std() > 0.05

    def share(color, part):
        target = np.array(color) / 255
        return (np.abs(part - target).max(axis=-1) < 0.08).mean()
    left, right = img[:, : w // 2], img[:, w // 2:]
    blue, orange = (31, 119, 180), (255, 127, 14)
    assert share(blue, left) > 0.001                 # the width curve
    assert share(blue, right) > 0.001 and share(orange, right) > 0.001   # two shapes


def test_compare_at_the_same_budget(base, capsys):
    c = compare_at_budget(LSTM.replace("^L", "^2"), LSTM.replace("^L", ""), 100_000, at="d=8,T=50", base=base)
    assert c.a.rows[0].width == 89 and c.b.rows[0].width == 153
    kinds = {(ca.view, kind) for ca, _cb, _e, _v, kind in c.ratios}
    assert kinds == {("unrolled (untied copy)", "shape"), ("unrolled (shared parameters as gates)", "shape")}
    assert main(["compare", LSTM.replace("^L", "^2"), LSTM.replace("^L", ""), "--budget", "W=100000",
                 "--at", "d=8,T=50"]) == 0
    out = capsys.readouterr().out
    assert "A: n = 89" in out and "B: n = 153" in out and "A/B = 1.34" in out and SHAPE_ONLY in out


@pytest.mark.parametrize("args, message", [
    (["--budget", "W=100000", "--at", "d=8,T=50"], "exactly one --vary"),
    (["--budget", "W=100000", "--vary", "L=1..3", "--at", "T=50"], "--solve"),
    (["--budget", "V=100000", "--vary", "L=1..3", "--at", "d=8,T=50"], "W="),
    (["--budget", "W=100000", "--vary", "L=1..3", "--at", "d=8"], "T"),
    (["--budget", "W=100000", "--vary", "L=1..3", "--at", "d=8,T=50", "--solve", "T"], "does not depend"),
])
def test_usage_errors_are_one_line(args, message, capsys):
    assert main(["tradeoff", LSTM, *args]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_budget_below_the_smallest_width(base):
    t = tradeoff(LSTM, 50, "L=1..2", at="d=8,T=50", base=base)
    assert [r.width for r in t.rows] == [1, None]                  # W(1) = 46 at L = 1, 62 at L = 2
    assert "L = 2: even n = 1 needs W = 62 > 50" in str(t)
    with pytest.raises(UsageError):
        tradeoff(LSTM, 0, "L=1..2", at="d=8,T=50", base=base)
