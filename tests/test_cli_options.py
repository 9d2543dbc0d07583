"""One CLI: global options anywhere, --format wherever it makes sense with --json as its alias
everywhere, per-layer conventions in the footer, sequence outputs without `last`."""
from __future__ import annotations

import csv
import io
import json

import pytest

from vcbound.cli import main

MLP = "input(d) -> dense(h, act=threshold) -> dense(1, act=threshold)"
USER_THEOREM = '''[source]
key = "demo2020"
bibtex = """@article{demo2020, title={Demo}, author={Doe, J.}, journal={J}, year={2020}}"""
'''


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("argv", [
    ["params", MLP],
    ["bound", MLP],
    ["compare", MLP, "input(d) -> dense(h, act=threshold)^2 -> dense(1, act=threshold)"],
    ["growth", MLP],
    ["eval", MLP, "--at", "d=10,h=5"],
    ["sweep", MLP, "--vary", "h=2,4", "--at", "d=3"],
    ["import", "tests/data/keras/mlp.json"],
])
def test_json_alias_everywhere(capsys, monkeypatch, argv):
    from pathlib import Path
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    code, out_alias, _ = run(capsys, *argv, "--json")
    assert code == 0
    code, out_format, _ = run(capsys, *argv, "--format", "json")
    assert code == 0 and out_alias == out_format
    assert isinstance(json.loads(out_alias), dict)


@pytest.mark.parametrize("command, formats", [
    (["params", MLP], ["markdown", "latex", "csv"]),
    (["compare", MLP, "input(d) -> dense(h, act=threshold)^2 -> dense(1, act=threshold)"], ["markdown", "latex"]),
    (["sweep", MLP, "--vary", "h=2,4", "--at", "d=3"], ["markdown", "latex", "csv"]),
])
def test_formats(capsys, command, formats):
    for fmt in formats:
        code, out, err = run(capsys, *command, "--format", fmt)
        assert code == 0, err
        if fmt == "markdown":
            assert "\n|---" in out
        elif fmt == "latex":
            assert out.startswith("$$") and r"\begin{" in out
        else:
            rows = list(csv.reader(io.StringIO(out)))
            assert len(rows) >= 3 and len({len(r) for r in rows}) == 1


def test_global_options_before_or_after_the_subcommand(capsys, tmp_path):
    (tmp_path / "demo2020.toml").write_text(USER_THEOREM + "this is not toml [[[\n")
    before = run(capsys, "--theorems", str(tmp_path), "bound", MLP)
    after = run(capsys, "bound", MLP, "--theorems", str(tmp_path))
    assert before[0] == after[0] == 0
    assert before[2] == after[2] and "demo2020.toml" in after[2]        # the broken user file is reported
    code, out, err = run(capsys, "theorems", "list", "--theorems", str(tmp_path))
    assert code == 0 and "demo2020.toml" in err
    with pytest.raises(Exception):                                         # --debug after: traceback raised
        main(["params", "input(d) -> dense(n, act=relux)", "--debug"])


def test_convention_footer_names_per_layer_conventions(capsys):
    code, out, _ = run(capsys, "params", "input(7, seq=T) -> lstm(5, convention=keras) -> last -> dense(1)")
    assert code == 0
    assert "(torch convention; keras for lstm(5, convention=keras))" in out
    code, out, _ = run(capsys, "params", "input(7, seq=T) -> lstm(5) -> last -> dense(1)")
    assert "(torch convention)" in out and "keras" not in out


def test_sequence_output_without_last_states_its_meaning(capsys):
    code, seq, _ = run(capsys, "bound", "input(d, seq=T) -> rnn(n, act=sigmoid) -> dense(1, act=threshold)")
    assert code == 0
    assert "outputs a sequence (no 'last')" in seq and "one time step" in seq
    code, last, _ = run(capsys, "bound", "input(d, seq=T) -> rnn(n, act=sigmoid) -> last -> dense(1, act=threshold)")
    upper = [line for line in seq.splitlines() if line.startswith("upper")]
    assert upper and upper == [line for line in last.splitlines() if line.startswith("upper")]
