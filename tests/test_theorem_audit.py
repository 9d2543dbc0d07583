"""Issue 10 (theorem content and validator): each test pins what the source says, as read, and fails on
the encoding the audit found wrong (UML §28.2.2 constant, Sakurai Theorem 3.4, DasGupta-Sontag bias,
locators and BibTeX naming one version, public provenance, unused symbols)."""
from __future__ import annotations

import math

import pytest
import sympy as sp

from vcbound import theorems as th
from vcbound.resolver import bound
from vcbound.cli import main
from vcbound.expressions import make_symbol


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    monkeypatch.delenv(th.ENV_VAR, raising=False)


@pytest.fixture(scope="module")
def base():
    return th.load_theorems(use_env=False)


def _sym(name):
    return make_symbol(name)


# ---- item 1: UML §28.2.2 ------------------------------------------------------------------------

def test_uml_28_2_2_is_what_the_proof_establishes(base):
    r = base.by_id("uml_2014_sec28_2_2_agnostic_lower_vc")
    vc, eps = _sym("vc"), _sym("eps")
    # "Choosing rho = 8 eps we conclude that if m < d/(512 eps^2), then with probability of at least 1/8 ..."
    assert sp.simplify(r.canonical_bound - vc / (512 * eps**2)) == 0
    assert r.form == "explicit" and r.scope == "exists" and r.direction == "lower"
    assert {c.text for c in r.canonical_conditions} == {"delta < 1/8", "eps < sqrt(2)/16"}
    # numerically: d = 10, eps = 0.01 gives 195.3 samples, not 8d/eps^2 = 800,000
    value = float(r.canonical_bound.subs({vc: 10, eps: sp.Rational(1, 100)}))
    assert math.isclose(value, 10 / (512 * 1e-4))
    assert "512" in r.statement and "4096 times" in r.statement


# ---- item 3: Sakurai 1999 Theorem 3.4 ----------------------------------------------------------

def test_sakurai_3_4_encodes_the_precise_forms(base):
    a, b = base.by_id("sakurai_1999_thm3_4a"), base.by_id("sakurai_1999_thm3_4b")
    W, L, U, q, d = (_sym(x) for x in ("W", "L", "U", "pieces", "degree"))
    log2 = lambda x: sp.log(x) / sp.log(2)  # noqa: E731
    assert sp.simplify(a.canonical_bound - W * L * (L / 2 * log2(d) + log2(q * U))) == 0
    assert sp.simplify(b.canonical_bound - W * L * (U / L * log2(q) + log2(d))) == 0
    # the big-O form's log(q h / s) is not what the proof gives; it must not be encoded
    for r in (a, b):
        assert not r.canonical_bound.has(sp.log(q * U / L)) and "q*h/s" not in r.bound_text


def test_relu_net_upper_bound_comes_from_bhlm_not_sakurai():
    res = bound("input(d) -> dense(n, act=relu)^L -> dense(1)")
    assert "bartlett2019nearly" in res.upper.citations
    assert "sakurai1999tight" not in res.upper.citations


# ---- item 4: DasGupta-Sontag is a bias-free class ---------------------------------------------

BIAS_FREE_LINEAR_RNN = "input(1, seq=T) -> rnn(n, act=linear, bias=false) -> last -> dense(1, act=sign, bias=false)"
BIASED_LINEAR_RNN = "input(1, seq=T) -> rnn(n, act=linear) -> last -> dense(1, act=sign)"


def test_dasgupta_sontag_results_require_no_bias(base):
    results = [r for r in base.results if r.source.key == "dasgupta1996sample"]
    assert results and all(r.requires.get("bias") is False for r in results)


def test_biased_linear_rnn_never_gets_the_bias_free_bound():
    free = bound(BIAS_FREE_LINEAR_RNN)
    assert "dasgupta1996sample" in free.upper.citations
    biased = bound(BIASED_LINEAR_RNN)
    assert biased.upper is None or "dasgupta1996sample" not in biased.upper.citations
    assert biased.lower is None or "dasgupta1996sample" not in biased.lower.citations
    reasons = [" ".join(m.reasons) for m in biased.misses if m.result.source.key == "dasgupta1996sample"]
    assert reasons and all("without bias terms" in r for r in reasons)


def test_bias_requirement_is_validated(tmp_path):
    f = tmp_path / "biasy2024.toml"
    f.write_text(_minimal("biasy2024", _result("biasy_2024", requires='{ topology = "any", activation = "any", '
                                                                    'bias = "no" }')))
    msgs = [p.message for p in th.check_files(str(f))]
    assert any("requires.bias" in m for m in msgs)


# ---- item 5: smaller ones -----------------------------------------------------------------------

def test_bmm_pdim_is_located_in_the_nips_introduction(base):
    r = base.by_id("bmm_1998_upper_pdim")
    assert r.locator == "Section 1 (Motivation), p. 191" and r.verification == "conference"
    assert "similar bounds (with different constants)" in r.statement


def test_pour_ashtiani_model_is_one_net_applied_recursively(base):
    r = base.by_id("pour_ashtiani_2023_nonnoisy_lower")
    assert r.topology == "recurrent_standard"
    assert "applied recursively" in r.source.notes


def test_one_hidden_layer_sigmoid_upper_cites_karpinski_macintyre():
    res = bound("input(d) -> dense(n, act=sigmoid) -> dense(1, act=threshold)")
    assert res.upper.citations == ["karpinski1997polynomial"]


def test_hanneke_learner_is_printed(capsys):
    assert main(["bound", "input(d) -> dense(n, act=threshold) -> dense(1, act=threshold)",
                 "--measure", "sample_realizable"]) == 0
    out = capsys.readouterr().out
    assert "majority vote of ERM outputs" in out and "not by every ERM learner" in out


def test_koiran_sontag_1995_theorem_3_page(base):
    assert base.by_id("koiran_sontag_1997_thm3").locator == "Theorem 3, p. 202"


# ---- item 6: locators and BibTeX name one version ----------------------------------------------

def test_locator_pages_lie_inside_the_cited_entry(base):
    for r in base.results + base.all_lemmas:
        if not r.verified:
            continue
        entry = th.parse_bibtex(r.source.bibtex) if r.source.bibtex.strip() else None
        pages = th.locator_pages(r.locator)
        if entry is None or not pages or "pages" not in entry.fields:
            continue
        first, last = th.bibtex_page_range(entry.fields["pages"])
        assert all(first <= p <= last for p in pages), (r.id, r.locator, entry.fields["pages"])


@pytest.mark.parametrize("key", ["baum1989size", "bartlett1998almost", "koiran1997quadratic",
                                 "dasgupta1996sample"])
def test_nips_located_sources_cite_the_nips_version(base, key):
    entry = th.parse_bibtex(base.sources[key].bibtex)
    assert entry.type == "inproceedings" and "Neural Information Processing Systems" in entry.fields["booktitle"]


def _minimal(key: str, results: str = "", bibtex: str | None = None) -> str:
    bib = bibtex or f"@misc{{{key}, title = {{T}}, year = 2024}}"
    return (f'[source]\nkey = "{key}"\nbibtex = """{bib}"""\n'
            f'version = "v"\nverification = "conference"\nread = "r"\n' + results)


def _result(rid: str, bound: str = "w", symbols: str = '{ w = "W" }', locator: str = "UNVERIFIED",
            requires: str = '{ topology = "any", activation = "any" }', extra: str = "") -> str:
    return (f'\n[[result]]\nid = "{rid}"\nlocator = "{locator}"\nstatement = "s"\nmeasure = "vc"\n'
            f'direction = "upper"\nscope = "every"\nform = "asymptotic"\nbound = "{bound}"\n'
            f'symbols = {symbols}\nrequires = {requires}\n{extra}')


def test_validator_rejects_a_page_outside_the_entry(tmp_path):
    bib = "@article{paged2024, title = {T}, journal = {J}, pages = {151--160}, year = 2024}"
    f = tmp_path / "paged2024.toml"
    text = _minimal("paged2024", _result("paged_ok", locator="Theorem 1, p. 152")
                    + _result("paged_bad", locator="Corollary 2, pp. 84-85"), bibtex=bib)
    f.write_text(text)
    problems = th.check_files(str(f))
    bad_line = text.split("\n").index('locator = "Corollary 2, pp. 84-85"') + 1
    assert len(problems) == 1
    assert problems[0].line == bad_line and "page 84, outside the cited entry's pages 151-160" in problems[0].message


def test_validator_wants_pages_for_a_paged_article(tmp_path):
    bib = "@article{nopages2024, title = {T}, journal = {J}, year = 2024}"
    f = tmp_path / "nopages2024.toml"
    f.write_text(_minimal("nopages2024", _result("nopages_2024", locator="Theorem 1, p. 206"), bibtex=bib))
    msgs = [p.message for p in th.check_files(str(f))]
    assert len(msgs) == 1 and "no numeric 'pages' range" in msgs[0]


# ---- item 7: public provenance only ------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Read from /work/shared/reference/theorems-classic.md",
    "see ../shared/notes.txt",
    "as the internal notes say",
    "Catalog theorems-modern §5",
    "copied to /home/alice/papers/x.pdf",
    "transcription id 59800841243",
])
def test_validator_rejects_private_provenance(tmp_path, text):
    f = tmp_path / "private2024.toml"
    f.write_text(_minimal("private2024").replace('read = "r"', f'read = "{text}"'))
    msgs = [p.message for p in th.check_files(str(f))]
    assert msgs and all("cite public sources only" in m and "'read' of [source]" in m for m in msgs)


def test_public_urls_and_repositories_are_accepted():
    ok = ("https://example.org/home/work/paper.pdf; public repository wenzheli/ReviewMining, "
          "data/nipstxt/nips11/0190.txt (commit f5121c5a7bc7c06e7e20e7e6a2a99bab42fa525c); arXiv 2305.18423")
    assert th.private_references(ok) == []


def test_builtin_base_names_no_machine_path_or_internal_note(base):
    for s in base.sources.values():
        assert th.private_references(s.read) == [] and th.private_references(s.notes) == [], s.key
    for r in base.results:
        assert th.private_references(r.notes) == [] and th.private_references(r.statement) == [], r.id


# ---- item 10 (validator half): no unused symbols -----------------------------------------------

def test_validator_rejects_unused_symbols(tmp_path):
    f = tmp_path / "unused2024.toml"
    f.write_text(_minimal("unused2024", _result("unused_2024", bound="w*log(w)",
                                                  symbols='{ w = "W", L = "L" }')))
    msgs = [p.message for p in th.check_files(str(f))]
    assert len(msgs) == 1 and "map 'L', which neither the bound nor the conditions use" in msgs[0]


def test_a_letter_used_only_in_conditions_is_used(tmp_path):
    f = tmp_path / "condused2024.toml"
    f.write_text(_minimal("condused2024", _result("condused_2024", symbols='{ w = "W", L = "L" }',
                                                    extra='conditions = ["L = 2"]\n')))
    assert th.check_files(str(f)) == []


def test_cli_check_enforces_the_new_rules(tmp_path, capsys):
    f = tmp_path / "unused2025.toml"
    f.write_text(_minimal("unused2025", _result("unused_2025", symbols='{ w = "W", k = "T" }'))
                 .replace('read = "r"', 'read = "/work/notes.md"'))
    assert main(["theorems", "check", str(f)]) == 2
    out = capsys.readouterr()
    text = out.out + out.err
    assert "map 'k'" in text and "a path on a particular machine" in text
