"""`vcbound sweep`: the parameter count and every explicit bound over a grid, vectorised."""
from __future__ import annotations

import json
import math
import sys

import numpy as np
import pytest

from vcbound.cli import main
from vcbound.errors import EvaluationError, ExpressionError, UsageError, VcboundError
from vcbound.progress import Progress
from vcbound.sweeps import parse_vary, sweep

THRESHOLD_L = "input(d) -> dense(h, act=threshold)^L -> dense(1, act=threshold)"
RELU_L = "input(d) -> dense(h, act=relu)^L -> dense(1)"


def hand_w(d, h, L):
    return d * h + h + (L - 1) * (h * h + h) + h + 1


@pytest.fixture(scope="module")
def bh_sweep():
    return sweep(THRESHOLD_L, {"L": range(1, 9), "h": [1, 16, 32, 64]}, at={"d": 32})


def test_values_match_a_hand_written_numpy_formula(bh_sweep):
    L, h = bh_sweep.grid["L"], bh_sweep.grid["h"]
    W = hand_w(32, h, L)
    np.testing.assert_array_equal(bh_sweep.columns[0].values, W)
    col = bh_sweep.column("baum_haussler_1989_cor2")
    N = L * h + 1                                   # computation nodes
    hand = 2 * W * np.log2(np.e * N)                # Baum & Haussler 1989, Corollary 2
    np.testing.assert_allclose(col.values, hand, rtol=1e-12)
    assert col.route.result.form == "explicit"


def test_grid_order_and_header(bh_sweep):
    assert bh_sweep.shape == (8, 4) and bh_sweep.size == 32
    header = bh_sweep.header()
    assert header[:3] == ["L", "h", "W"]
    assert "upper:baum_haussler_1989_cor2" in header
    rows = list(bh_sweep.rows())
    assert rows[0][:2] == ["1", "1"] and rows[1][:2] == ["1", "16"] and rows[-1][:2] == ["8", "64"]


def test_failing_condition_leaves_the_cell_blank(bh_sweep):
    # BHLM Theorem 7 needs U > 2; with L = 1, h = 1 the network has U = 2 units
    col = bh_sweep.column("bhlm_2019_thm7_d0")
    first = list(bh_sweep.rows())[0]
    assert col.failed[0] and math.isnan(col.values[0])
    assert first[bh_sweep.header().index("upper:bhlm_2019_thm7_d0")] == ""
    assert col.failed_by == {"U > 2": 1}
    assert any("U > 2 fails at 1" in n for n in bh_sweep.notes())


def test_asymptotic_results_are_listed_not_evaluated(bh_sweep):
    skipped = {r.id for r in bh_sweep.skipped}
    assert "koiran_sontag_1997_thm5_pwconst_upper" in skipped
    assert all(c.route.result.form == "explicit" for c in bh_sweep.columns[1:])


def test_csv_and_json(bh_sweep):
    csv_text = bh_sweep.to_csv()
    lines = csv_text.strip().splitlines()
    assert len(lines) == 1 + bh_sweep.size
    assert lines[0].startswith("L,h,W,")
    data = bh_sweep.to_json()
    text = json.dumps(data, allow_nan=False)          # valid JSON: no NaN or Infinity
    assert json.loads(text)["rows"][0]["W"] == hand_w(32, 1, 1)
    col = next(c for c in data["columns"] if c["result"] == "baum_haussler_1989_cor2")
    assert col["citations"] == ["baum1989size"] and col["locator"].startswith("Corollary 2")


def test_values_beyond_float_range_keep_their_exponent():
    s = sweep(THRESHOLD_L, ["h=200,400"], at="d=10, L=3", measure="growth", m=10**7)
    col = s.column("baum_haussler_1989_cor2_growth")
    assert col.overflow.all() and np.isinf(col.values).all()
    for p, h in enumerate((200, 400)):
        W, N = hand_w(10, h, 3), 3 * h + 1
        log10 = W * math.log10(N * math.e * 10**7 / W)
        assert col.log10[p] == pytest.approx(log10, rel=1e-12)
        cell = list(s.rows())[p][s.header().index("upper:baum_haussler_1989_cor2_growth")]
        assert cell.endswith(f"e+{math.floor(log10)}")
    assert "Infinity" not in json.dumps(s.to_json(), allow_nan=False)


def test_large_exponent_inside_a_log_does_not_overflow():
    # BHLM Theorem 10 (proof): 2 W log2(16 e max(U+1, 2 d^U) (1+p)^U); (1+p)^U = 3^U overflows a
    # float for U > 646, the bound itself does not
    s = sweep(RELU_L, ["h=300"], at="d=10, L=5", only=["bhlm_2019_thm10_explicit"])
    col = s.column("bhlm_2019_thm10_explicit")
    W, U = hand_w(10, 300, 5), 5 * 300 + 1
    hand = 2 * W * (math.log2(16 * math.e * (U + 1)) + U * math.log2(3))
    assert col.values[0] == pytest.approx(hand, rel=1e-12)


def test_compiled_once_no_sympy_per_point(monkeypatch):
    s = sweep(THRESHOLD_L, ["L=1..3", "h=4,8"], at="d=5")
    import sympy

    def forbidden(*a, **k):
        raise AssertionError("sympy used after compilation")
    monkeypatch.setattr(sympy, "lambdify", forbidden)
    monkeypatch.setattr(sympy.Basic, "subs", forbidden)
    monkeypatch.setattr(sympy.Basic, "xreplace", forbidden)
    big = {"L": np.repeat(np.arange(1.0, 101.0), 100), "h": np.tile(np.arange(1.0, 101.0), 100)}
    cols = s.plan.run(big)
    assert cols[0].values.shape == (10_000,)


def test_parse_vary():
    assert parse_vary("L=1..4") == ("L", [1, 2, 3, 4])
    assert parse_vary("L=2..10:4") == ("L", [2, 6, 10])
    assert parse_vary("n=16, 2^5") == ("n", [16, 32])
    with pytest.raises(VcboundError):
        parse_vary("n=__import__('os').system('touch PWNED')")
    with pytest.raises(ExpressionError):
        parse_vary("n")


def test_errors():
    with pytest.raises(EvaluationError, match="unbound symbol"):
        sweep(THRESHOLD_L, ["L=1..3"], at="h=4")
    with pytest.raises(UsageError, match="not a symbol"):
        sweep(THRESHOLD_L, ["q=1..3"], at="h=4, d=2")
    with pytest.raises(UsageError, match="both varied"):
        sweep(THRESHOLD_L, ["L=1..3"], at="h=4, d=2, L=3")
    with pytest.raises(EvaluationError, match="integer"):
        sweep(THRESHOLD_L, ["L=1..3", "h=1/2"], at="d=2")
    with pytest.raises(UsageError, match="at least one --vary"):
        sweep(THRESHOLD_L, [], at="h=4, d=2, L=3")


def test_hostile_vary_text_runs_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["sweep", THRESHOLD_L, "--vary", "h=__import__('os').system('touch PWNED')",
                 "--at", "d=2,L=2"]) == 1
    assert main(["sweep", THRESHOLD_L, "--vary", "__class__=1..2", "--at", "d=2,L=2"]) == 1
    assert list(tmp_path.iterdir()) == []


def test_cli_formats(capsys):
    args = ["sweep", THRESHOLD_L, "--vary", "L=1..2", "--vary", "h=4,8", "--at", "d=3"]
    assert main(args + ["--format", "csv"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0].startswith("L,h,W,") and len(out) == 5
    assert main(args + ["--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["rows"]) == 4
    assert main(args) == 0
    assert "columns:" in capsys.readouterr().out


def test_no_progress_bar_when_stderr_is_not_a_terminal(capsys):
    sweep(THRESHOLD_L, ["L=1..2"], at="d=3, h=4")
    assert capsys.readouterr().err == ""


def test_progress_bar_after_one_second(capsys):
    bar = Progress(4, enabled=True)
    bar.step()
    assert capsys.readouterr().err == ""            # nothing in the first second
    bar.start -= 2.0
    bar.step()
    bar.close()
    err = capsys.readouterr().err
    assert "\r" in err and "50.0%" in err


# ---- plots ---------------------------------------------------------------------------------
def _check_png(path, min_w=400, min_h=300):
    import matplotlib.image as mpimg
    img = mpimg.imread(str(path))
    assert img.shape[0] >= min_h and img.shape[1] >= min_w
    rgb = img[..., :3]
    assert rgb.std() > 0.05                         # not blank
    assert (rgb < 0.5).mean() > 0.005               # some dark ink (lines, text)
    return img


def test_plot_one_symbol_log_log(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "curves.png"
    assert main(["sweep", RELU_L, "--vary", "L=1..8", "--at", "d=32,h=64", "--plot", str(out)]) == 0
    assert out.exists()
    _check_png(out)
    assert "wrote" in capsys.readouterr().err


def test_plot_two_symbols_heatmap(tmp_path):
    pytest.importorskip("matplotlib")
    s = sweep(RELU_L, ["L=1..6", "h=16,32,64"], at="d=32")
    img = _check_png(s.plot(str(tmp_path / "heat.png")))
    assert img.shape[1] > img.shape[0]              # panels side by side


def test_plot_without_matplotlib(tmp_path, monkeypatch, capsys):
    s = sweep(RELU_L, ["L=1..3"], at="d=3, h=4")
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(UsageError, match=r"install vcbound\[plot\]"):
        s.plot(str(tmp_path / "x.png"))
    assert main(["sweep", RELU_L, "--vary", "L=1..3", "--at", "d=3,h=4", "--plot", str(tmp_path / "x.png")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "install vcbound[plot]" in err
    assert not (tmp_path / "x.png").exists()


def test_sweep_without_numpy_is_a_clear_error(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "numpy", None)
    assert main(["sweep", RELU_L, "--vary", "L=1..3", "--at", "d=3,h=4"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == "sweep needs numpy: install vcbound[plot] (or numpy)"


def test_sweep_asks_only_for_the_symbols_its_columns_need():
    """A sweep over n of a recurrent net need not fix T: W does not depend on it. The bound columns
    that do are left out, and the notes say which symbol they need."""
    rnn = "input(d, seq=T) -> rnn(n, act=threshold) -> last -> dense(1, act=threshold)"
    without_t = sweep(rnn, ["n=4,8"], at="d=8")
    assert without_t.header() == ["n", "W"]
    assert [int(w) for w in without_t.columns[0].values] == [4 * 8 + 16 + 8 + 5, 8 * 8 + 64 + 16 + 9]
    needs = [r for r in without_t.skipped if r.reason.startswith("needs T")]
    assert needs and any("needs T (give --at T=...)" in n for n in without_t.notes())
    with_t = sweep(rnn, ["n=4,8"], at="d=8, T=10")
    assert len(with_t.header()) > 2 and {r.id for r in needs} <= {c.route.id for c in with_t.columns[1:]}
