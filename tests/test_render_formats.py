"""BibTeX, Markdown and JSON outputs: entries parse with bibtexparser, --format bibtex lists exactly
the keys the LaTeX cites, the Markdown table and citation list, and the JSON Schemas validated
against real CLI outputs."""
from __future__ import annotations

import copy
import json
import re
import tomllib
from pathlib import Path

import bibtexparser
import jsonschema
import pytest

from vcbound.cli import main
from vcbound.paths import schema_dir, theorems_dir
from vcbound.render import (resolution_markdown, resolutions_bibtex, resolutions_latex,
                            resolutions_markdown)
from vcbound.render.words import scope_sentence
from vcbound.resolver import bound
from vcbound.theorems import load_theorems

FF_RELU = "input(d) -> dense(h, act=relu)^L -> dense(1)"
THRESHOLD = "input(n) -> dense(n, act=threshold)^L -> dense(1, act=threshold)"
RNN_SIGMOID = "input(d, seq=T) -> rnn(n, act=sigmoid) -> last -> dense(1, act=threshold)"
LSTM = "input(d, seq=T) -> lstm(n)^L -> last -> dense(1, act=sigmoid)"
NO_RESULT = "input(d) -> dense(h, act=softplus) -> dense(1)"
LINEAR_RNN = "input(d, seq=T) -> rnn(n, act=linear) -> last -> dense(1, act=threshold)"
# tight: Koiran-Sontag Theta(wT) for a fixed nonlinear polynomial activation
TIGHT = "input(d, seq=T) -> rnn(n, act=poly(2)) -> last -> dense(1, act=threshold)"
ARCHS = [FF_RELU, THRESHOLD, RNN_SIGMOID, LSTM, NO_RESULT, LINEAR_RNN]

CITE = re.compile(r"\\cite(?:t|p|alp|alt)\*?(?:\[[^\]]*\])*\{([^}]*)\}")
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def base():
    return load_theorems()


_CACHE: dict = {}


def resolve(base, arch, measure="vc"):
    if (arch, measure) not in _CACHE:
        _CACHE[(arch, measure)] = bound(arch, measure, base=base)
    return _CACHE[(arch, measure)]


def latex_keys(tex: str) -> set[str]:
    return {k.strip() for group in CITE.findall(tex) for k in group.split(",")}


def parse_bib(text: str):
    lib = bibtexparser.parse_string(text)
    assert not lib.failed_blocks, [b.error for b in lib.failed_blocks]
    return lib


def run_cli(capsys, *argv) -> str:
    code = main(list(argv))
    out = capsys.readouterr()
    assert code == 0, out.err
    return out.out


# ---------------------------------------------------------------------------------------------
# BibTeX
# ---------------------------------------------------------------------------------------------
def _builtin_sources():
    base = load_theorems(builtin=True, use_env=False)
    return [s for s in base.sources.values() if Path(s.path).parent == theorems_dir()]


@pytest.mark.parametrize("source", _builtin_sources(), ids=lambda s: s.key)
def test_every_builtin_entry_parses_with_bibtexparser(source):
    stem = Path(source.path).stem
    if source.verification == "definition":
        assert not source.bibtex.strip()          # definitions have no entry
        return
    lib = parse_bib(source.bibtex)
    assert len(lib.entries) == 1
    entry = lib.entries[0]
    assert entry.key == stem == source.key
    fields = {f.key.lower() for f in entry.fields}
    assert "title" in fields or "note" in fields
    assert "year" in fields and "author" in fields


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("explain", [False, True])
def test_bibtex_lists_exactly_the_keys_latex_cites(base, arch, explain):
    res = [resolve(base, arch)]
    tex = resolutions_latex(res, explain=explain)
    bib = resolutions_bibtex(res, explain=explain)
    keys = latex_keys(tex)
    lib = parse_bib(bib) if bib.strip() else None
    got = [e.key for e in lib.entries] if lib else []
    assert len(got) == len(set(got))              # each entry once
    assert set(got) == keys
    assert "definitions" not in got
    if not res[0].no_result:
        assert keys                               # every answer here cites something


@pytest.mark.parametrize("arch", [RNN_SIGMOID, LSTM, THRESHOLD])
def test_cli_bibtex_matches_cli_latex(capsys, arch):
    tex = run_cli(capsys, "bound", arch, "--format", "latex")
    bib = run_cli(capsys, "bound", arch, "--format", "bibtex")
    assert {e.key for e in parse_bib(bib).entries} == latex_keys(tex)
    tex = run_cli(capsys, "explain", arch, "--format", "latex")
    bib = run_cli(capsys, "explain", arch, "--format", "bibtex")
    assert {e.key for e in parse_bib(bib).entries} == latex_keys(tex)


def test_cli_bibtex_for_two_measures(capsys):
    tex = run_cli(capsys, "bound", RNN_SIGMOID, "--measure", "sample", "--format", "latex")
    bib = run_cli(capsys, "bound", RNN_SIGMOID, "--measure", "sample", "--format", "bibtex")
    keys = latex_keys(tex)
    assert {e.key for e in parse_bib(bib).entries} == keys
    assert len(keys) >= 2


def test_bibtex_entries_are_the_stored_strings(base):
    res = [resolve(base, RNN_SIGMOID)]
    bib = resolutions_bibtex(res)
    for key in latex_keys(resolutions_latex(res)):
        assert base.sources[key].bibtex.strip() in bib


def test_standalone_latex_carries_the_same_entries(base):
    res = [resolve(base, LSTM)]
    tex = resolutions_latex(res, standalone=True)
    inside = tex.split(r"\begin{filecontents*}[overwrite]{\jobname.bib}")[1].split(r"\end{filecontents*}")[0]
    assert inside.strip() == resolutions_bibtex(res).strip()


# ---------------------------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------------------------
HEADER = "| direction | bound | status | scope | citations |"


def _rows(md: str) -> list[list[str]]:
    lines = md.splitlines()
    start = lines.index(HEADER)
    rows = []
    for ln in lines[start + 2:]:
        if not ln.startswith("|"):
            break
        rows.append([c.strip() for c in re.split(r"(?<!\\)\|", ln)[1:-1]])
    return rows


def test_markdown_table_and_citation_list(base):
    res = resolve(base, RNN_SIGMOID)
    md = resolutions_markdown([res])
    rows = _rows(md)
    assert [r[0] for r in rows] == ["upper", "lower"]
    assert all(len(r) == 5 for r in rows)
    upper, lower = rows
    assert upper[1].startswith("O(") and lower[1].startswith("Ω(")
    assert upper[2].startswith(res.upper.status) and lower[2].startswith(res.lower.status)
    assert "this is not a claim that the network above does" in lower[3]
    assert scope_sentence(res.lower, res).split(":")[0] in lower[3]
    for row, b in ((upper, res.upper), (lower, res.lower)):
        for k in b.citations:
            assert f"[{k}]" in row[4]
    refs = md.split("**References**")[1]
    for k in res.upper.citations + res.lower.citations:
        assert re.search(rf"^- \[{re.escape(k)}\] \S", refs, re.M), k
    assert "Koiran, P. and Sontag, E. D. (1998)" in refs
    assert "{" not in refs and "}" not in refs


def test_markdown_tight_and_none_rows(base):
    md = resolutions_markdown([resolve(base, TIGHT)])
    assert "**Tight:** Θ(" in md
    md = resolutions_markdown([resolve(base, LSTM)])
    assert [r[0] for r in _rows(md)] == ["upper", "lower"]
    assert _rows(md)[1][1] == "none"


def test_markdown_no_result_lists_misses(base):
    res = resolve(base, NO_RESULT)
    md = resolution_markdown(res)
    assert "**No result:**" in md and HEADER not in md
    assert f"`{res.misses[0].result.id}`" in md
    assert f"[{res.misses[0].result.source.key}]" in md.split("**References**")[1]


def test_markdown_explain_has_steps_with_citations(base):
    res = resolve(base, RNN_SIGMOID)
    md = resolutions_markdown([res], explain=True)
    assert "**Derivation**" in md
    for c in res.uppers:
        for s in c.steps:
            assert f"`{s.id}`" in md


def test_repr_markdown_calls_the_renderer(base):
    res = resolve(base, FF_RELU)
    assert res._repr_markdown_() == resolution_markdown(res)


def test_markdown_escapes_table_breakers(base):
    for arch in ARCHS:
        md = resolutions_markdown([resolve(base, arch)], explain=True)
        if HEADER in md:
            for row in _rows(md):
                assert len(row) == 5


def test_cli_markdown(capsys):
    out = run_cli(capsys, "bound", LSTM, "--format", "markdown")
    assert HEADER in out and "**References**" in out


# ---------------------------------------------------------------------------------------------
# JSON Schemas
# ---------------------------------------------------------------------------------------------
def _schema(name):
    schema = json.loads((schema_dir() / f"{name}.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    return jsonschema.Draft202012Validator(schema)


def test_schemas_ship_with_the_package():
    assert (schema_dir() / "params.schema.json").is_file()
    assert (schema_dir() / "bound.schema.json").is_file()
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    hatch = project["tool"]["hatch"]["build"]["targets"]
    assert hatch["wheel"]["force-include"]["schema"] == "vcbound/_data/schema"
    assert "schema" in hatch["sdist"]["include"]


@pytest.mark.parametrize("argv", [
    ["params", FF_RELU, "--json"],
    ["params", LSTM, "--json", "--at", "n=5,d=7"],
    ["params", LSTM, "--json", "--at", "n=5,d=7,L=2,T=10"],
    ["params", "input(784) -> dense(10)", "--json"],
    ["params", "input(d, seq=T) -> gru(n, bidirectional=true) -> last -> dense(1)", "--json",
     "--convention", "keras"],
])
def test_params_json_matches_schema(capsys, argv):
    data = json.loads(run_cli(capsys, *argv))
    _schema("params").validate(data)


@pytest.mark.parametrize("argv", [
    ["bound", FF_RELU, "--json"],
    ["bound", THRESHOLD, "--json"],
    ["bound", RNN_SIGMOID, "--json"],
    ["bound", LSTM, "--format", "json"],
    ["bound", NO_RESULT, "--json"],
    ["bound", LINEAR_RNN, "--json"],
    ["bound", FF_RELU, "--json", "--measure", "pdim"],
    ["bound", FF_RELU, "--json", "--measure", "growth"],
    ["bound", RNN_SIGMOID, "--json", "--assume", "T >> n"],
    ["explain", LSTM, "--json"],
])
def test_bound_json_matches_schema_single(capsys, argv):
    data = json.loads(run_cli(capsys, *argv))
    assert isinstance(data, dict)
    _schema("bound").validate(data)


def test_bound_json_matches_schema_list(capsys):
    data = json.loads(run_cli(capsys, "bound", RNN_SIGMOID, "--json", "--measure", "sample"))
    assert isinstance(data, list) and [d["measure"] for d in data] == ["sample_realizable", "sample_agnostic"]
    _schema("bound").validate(data)


def test_schemas_reject_drift(capsys):
    """The schemas are not vacuous: a renamed, missing or mistyped key fails."""
    params = json.loads(run_cli(capsys, "params", FF_RELU, "--json"))
    bound_ = json.loads(run_cli(capsys, "bound", RNN_SIGMOID, "--json"))
    pv, bv = _schema("params"), _schema("bound")
    bad = copy.deepcopy(params)
    bad["parameters"] = bad.pop("params")
    assert not pv.is_valid(bad)
    bad = copy.deepcopy(params)
    bad["layers"][0]["line"] = "1"
    assert not pv.is_valid(bad)
    bad = copy.deepcopy(bound_)
    del bad["upper"]["scope"]
    assert not bv.is_valid(bad)
    bad = copy.deepcopy(bound_)
    bad["lower"]["scope"] = "some"
    assert not bv.is_valid(bad)
    bad = copy.deepcopy(bound_)
    bad["upper"]["derivation"][0]["steps"][0]["children"] = [{"kind": "result"}]
    assert not bv.is_valid(bad)
    bad = copy.deepcopy(bound_)
    bad["no_result"] = True
    assert not bv.is_valid(bad)                   # no_result with bounds present
    assert not bv.is_valid([])
