"""LaTeX rendering: snippets, derivations, escaping, the KaTeX-safe Jupyter block, and a real
pdflatex + bibtex compile of standalone documents (skipped only outside CI when TeX is absent)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from vcbound.render.latex import (cited_keys, latex_escape, prose, resolution_latex_math,
                                  resolutions_latex)
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
ARCHS = [FF_RELU, THRESHOLD, RNN_SIGMOID, LSTM, NO_RESULT]

CITE = re.compile(r"\\cite(?:t|p|alp|alt)\*?(?:\[[^\]]*\])*\{([^}]*)\}")


@pytest.fixture(scope="module")
def base():
    return load_theorems()


_CACHE: dict = {}


def resolve(base, arch, measure="vc"):
    key = (arch, measure)
    if key not in _CACHE:
        _CACHE[key] = bound(arch, measure, base=base)
    return _CACHE[key]


def cites_in(tex: str) -> list[str]:
    keys = []
    for group in CITE.findall(tex):
        for k in group.split(","):
            if k.strip() not in keys:
                keys.append(k.strip())
    return keys


def text_outside_math(tex: str) -> str:
    """The LaTeX with math, comments, citation keys and environment names removed."""
    tex = re.sub(r"(?m)^%.*$", "", tex)
    tex = re.sub(r"\\\[.*?\\\]", "", tex, flags=re.S)
    tex = re.sub(r"\$[^$]*\$", "", tex)
    tex = CITE.sub("", tex)
    tex = re.sub(r"\\(begin|end)\{[^}]*\}", "", tex)
    return tex


# ---------------------------------------------------------------------------------------------
# escaping
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("raw, escaped", [
    ("koiran_sontag_1998", r"koiran\_sontag\_1998"),
    ("50% & #1 $5", r"50\% \& \#1 \$5"),
    ("{a}", r"\{a\}"),
    ("x^2 ~ y", r"x\textasciicircum{}2 \textasciitilde{} y"),
    ("a\\b", r"a\textbackslash{}b"),
    ("--assume", r"-{}-assume"),
    ("T >> n <= 3", r"T \textgreater{}\textgreater{} n \textless{}= 3"),
    ("Θ(W) ≤ Ω", r"$\Theta$(W) $\le$ $\Omega$"),
    ("n² café", r"n\textsuperscript{2} café"),
])
def test_latex_escape(raw, escaped):
    assert latex_escape(raw) == escaped


def test_escape_leaves_no_raw_specials():
    nasty = "a_b %c $d &e #f ^g ~h {i} \\j"
    out = latex_escape(nasty)
    assert not re.search(r"(?<!\\)[_%$&#{}]", re.sub(r"\\[a-z]+\{\}", "", out))


def test_prose_sets_resolver_expressions_in_math_mode():
    assert prose("W = 8*L*n**2 + n") == r"$W = 8 L n^{2} + n$"
    assert prose("O(T^2*d)") == r"$\mathcal{O}\left(T^{2} d\right)$"
    assert prose("bound O(L⁴·T²·n⁶) holds") == r"bound $\mathcal{O}\left(L^{4} T^{2} n^{6}\right)$ holds"
    assert prose("depth = L*T + 1, and/or x_1") == r"$\mathrm{depth} = L T + 1$, and/or x\_1"
    assert "textsuperscript" not in prose("W = 8*L*n**2 + n; O(T^2*d)")


# ---------------------------------------------------------------------------------------------
# the bound snippet
# ---------------------------------------------------------------------------------------------
def test_snippet_has_bounds_in_user_symbols_scope_and_citations(base):
    res = resolve(base, RNN_SIGMOID)
    tex = resolutions_latex([res])
    assert r"\mathcal{O}\left(" in tex and r"\Omega\left(" in tex
    assert r"\begin{document}" not in tex
    # the user's symbols, not the paper's (w, k)
    math = " ".join(re.findall(r"\$([^$]*)\$", tex))
    assert "T" in math and "n" in math and "d" in math
    # scope: the existence sentence of render/words.py, escaped, for the lower bound
    assert res.lower.scope == "exists"
    sentence = latex_escape(scope_sentence(res.lower, res))
    assert sentence[1:] in tex
    assert "not a claim that the network above does" in tex
    # every key of Bound.citations is cited with natbib
    keys = cites_in(tex)
    for b in (res.upper, res.lower):
        assert set(b.citations) <= set(keys)
    assert r"\citep{" in tex


def test_snippet_tight_uses_theta(base):
    res = resolve(base, TIGHT)
    assert res.tight
    tex = resolutions_latex([res])
    assert r"\Theta\left(" in tex


def test_snippet_never_has_raw_underscores_in_text(base):
    for arch in ARCHS:
        for explain in (False, True):
            tex = resolutions_latex([resolve(base, arch)], explain=explain)
            body = text_outside_math(tex)
            assert not re.search(r"(?<!\\)_", body), (arch, re.search(r".{30}(?<!\\)_.{30}", body))


def test_no_result_lists_nearest_misses(base):
    res = resolve(base, NO_RESULT)
    assert res.no_result and res.misses
    tex = resolutions_latex([res])
    assert "No theorem in the base gives a bound" in tex
    assert latex_escape(res.misses[0].result.id) in tex
    assert res.misses[0].result.source.key in cites_in(tex)


def test_explain_cites_every_step_or_says_by_definition(base):
    for arch in (RNN_SIGMOID, LSTM, FF_RELU):
        res = resolve(base, arch)
        tex = resolutions_latex([res], explain=True)
        deriv = tex[tex.index(r"\paragraph{Derivation.}"):]
        routes = deriv.split("Results that did not apply")[0]
        steps = [ln for ln in routes.splitlines() if re.match(r"\s*\\item \\texttt\{", ln)]

        def count(steps_):
            return sum(1 + count(s.children) for s in steps_)
        # one \item per step of every route (winners and losers), recursively
        assert len(steps) == sum(count(c.steps) for c in res.uppers + res.lowers)
        for ln in steps:
            assert "by definition" in ln or CITE.search(ln), ln
        for c in res.uppers + res.lowers:
            for s in c.steps:
                if s.citation:
                    assert s.citation in cites_in(routes)


def test_explain_nested_bridges_stay_within_latex_list_depth(base):
    res = resolve(base, RNN_SIGMOID, "sample_agnostic")
    tex = resolutions_latex([res], explain=True)
    depth = deepest = 0
    for m in re.finditer(r"\\(begin|end)\{(enumerate|itemize)\}", tex):
        depth += 1 if m.group(1) == "begin" else -1
        deepest = max(deepest, depth)
    assert depth == 0 and 2 <= deepest <= 4


def test_cited_keys_matches_the_text(base):
    res = [resolve(base, RNN_SIGMOID)]
    assert cited_keys(res) == cites_in(resolutions_latex(res))
    assert cited_keys(res, explain=True) == cites_in(resolutions_latex(res, explain=True))


def test_explain_lists_what_was_used_and_all_adds_the_misses(base):
    """A paper's document cites what the answer used; --all adds the results that did not apply."""
    from vcbound.render.bibtex import resolutions_bibtex
    res = [resolve(base, LSTM)]
    used = resolutions_latex(res, explain=True, standalone=True)
    everything = resolutions_latex(res, explain=True, standalone=True, misses=True)
    assert "Results that did not apply" not in used and f"{len(res[0].misses)} other results" in used
    assert "Results that did not apply" in everything
    assert all(latex_escape(m.result.id) in everything for m in res[0].misses)
    assert len(cites_in(used)) < len(cites_in(everything))
    for tex, misses in ((used, False), (everything, True)):
        bib_keys = re.findall(r"(?m)^@\w+\{([^,]+),", tex)
        assert bib_keys == cites_in(tex) == cited_keys(res, explain=True, misses=misses)
        bib_alone = re.findall(r"(?m)^@\w+\{([^,]+),", resolutions_bibtex(res, explain=True, misses=misses))
        assert bib_alone == bib_keys
    assert "textsuperscript" not in used          # expressions in notes and steps are in math mode


def test_definitions_are_never_cited(base):
    for arch in ARCHS:
        tex = resolutions_latex([resolve(base, arch)], explain=True)
        assert "definitions" not in cites_in(tex)


# ---------------------------------------------------------------------------------------------
# Jupyter: _repr_latex_ (KaTeX-safe)
# ---------------------------------------------------------------------------------------------
# Commands KaTeX supports (https://katex.org/docs/supported.html) that sympy and we may emit
KATEX_COMMANDS = {
    "begin", "end", "text", "quad", "qquad", "mathcal", "Omega", "Theta", "left", "right", "min",
    "max", "log", "frac", "sqrt", "cdot", "operatorname", "exp", "lfloor", "rfloor", "lceil", "rceil",
    "delta", "varepsilon", "epsilon", "bar", "pi", "infty", "_", "{", "}", "#", "$", "%", "&", "\\",
}


@pytest.mark.parametrize("arch", ARCHS + [LINEAR_RNN])
def test_repr_latex_is_one_katex_safe_block(base, arch):
    res = resolve(base, arch)
    out = res._repr_latex_()
    assert out == resolution_latex_math(res)
    assert out.startswith("$$") and out.endswith("$$") and out.count("$$") == 2
    inner = out[2:-2]
    assert "$" not in inner.replace(r"\$", "")
    assert inner.count(r"\begin{aligned}") == 1 and inner.count(r"\end{aligned}") == 1
    assert "cite" not in inner
    commands = set(re.findall(r"\\([A-Za-z]+|.)", inner))
    assert commands <= KATEX_COMMANDS, commands - KATEX_COMMANDS
    # braces balance
    depth = 0
    for m in re.finditer(r"\\.|[{}]", inner):
        if m.group() == "{":
            depth += 1
        elif m.group() == "}":
            depth -= 1
        assert depth >= 0
    assert depth == 0
    if not res.no_result:
        for b in (res.upper, res.lower):
            if b is not None:
                for k in b.citations:
                    assert k in inner


# ---------------------------------------------------------------------------------------------
# a real compile
# ---------------------------------------------------------------------------------------------
def _tex_available():
    if shutil.which("pdflatex") and shutil.which("bibtex") and _has_tex_package("lmodern.sty"):
        return True
    if os.environ.get("CI"):
        pytest.fail("pdflatex/bibtex/lmodern are not installed, and CI is set: the compile test must run in CI")
    pytest.skip("pdflatex, bibtex or lmodern.sty not installed (set CI=1 to make this a failure)")


def _has_tex_package(name: str) -> bool:
    """Whether TeX finds ``name`` (the standalone documents use lmodern, a separate Debian package)."""
    if not shutil.which("kpsewhich"):
        return True                   # no way to ask: let the compile say what is missing
    return _run(["kpsewhich", name], cwd=None).returncode == 0


def _run(cmd, cwd):
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, errors="replace", timeout=120,
                          stdin=subprocess.DEVNULL)


def compile_document(tex: str, tmp_path) -> dict:
    """pdflatex, bibtex, pdflatex, pdflatex; fail on any error or undefined reference/citation."""
    (tmp_path / "doc.tex").write_text(tex, encoding="utf-8")
    latex = ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"]
    first = _run(latex[:1] + ["-draftmode"] + latex[1:], tmp_path)
    assert first.returncode == 0, first.stdout[-3000:]
    cited = re.findall(r"\\citation\{([^}]*)\}", (tmp_path / "doc.aux").read_text())
    keys = {k for group in cited for k in group.split(",")}
    if keys:
        bib = _run(["bibtex", "doc"], tmp_path)
        blg = (tmp_path / "doc.blg").read_text()
        assert bib.returncode == 0, blg
        assert "didn't find a database entry" not in blg, blg
        assert not re.search(r"There (was|were) \d+ error", blg), blg
    for draft in (["-draftmode"], []):
        run = _run(latex[:1] + draft + latex[1:], tmp_path)
        assert run.returncode == 0, run.stdout[-3000:]
    log = (tmp_path / "doc.log").read_text(encoding="latin-1")
    errors = [ln for ln in log.splitlines() if ln.startswith("!")]
    assert not errors, errors
    for bad in ("undefined references", "Citation `", "Reference `", "There were undefined",
                "Rerun to get"):
        assert bad not in log, [ln for ln in log.splitlines() if bad in ln]
    assert (tmp_path / "doc.pdf").stat().st_size > 1000
    bibitems = set()
    if keys:
        bibitems = set(re.findall(r"\\bibitem\[[^\]]*\]\{([^}]*)\}", (tmp_path / "doc.bbl").read_text(),
                                  flags=re.S))
    return {"cited": keys, "bibitems": bibitems}


DOCUMENTS = [(arch, "vc", False) for arch in ARCHS] + [
    (LSTM, "vc", True),                    # the derivation, with an UNVERIFIED route
    (RNN_SIGMOID, "sample_agnostic", True),  # bridges nest lists four deep
    (FF_RELU, "growth", False),            # min of exponentials
]


@pytest.fixture(scope="module")
def compiled(base, tmp_path_factory):
    """Every document of DOCUMENTS compiled in parallel (pdflatex runs are independent)."""
    _tex_available()
    from concurrent.futures import ThreadPoolExecutor
    jobs = {}
    for arch, measure, explain in DOCUMENTS:
        tex = resolutions_latex([resolve(base, arch, measure)], explain=explain, standalone=True)
        jobs[(arch, measure, explain)] = (tex, tmp_path_factory.mktemp("tex"))

    def work(item):
        key, (tex, path) = item
        try:
            return key, (tex, compile_document(tex, path), None)
        except BaseException as exc:   # noqa: BLE001 - reported by the test for this document
            return key, (tex, None, exc)

    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 2)) as pool:
        return dict(pool.map(work, jobs.items()))


@pytest.mark.parametrize("arch, measure, explain", DOCUMENTS)
def test_standalone_document_compiles(base, compiled, arch, measure, explain):
    tex, out, exc = compiled[(arch, measure, explain)]
    if exc is not None:
        raise exc
    res = resolve(base, arch, measure)
    if not res.no_result:
        assert tex.startswith(r"\begin{filecontents*}[overwrite]{\jobname.bib}")
    for pkg in ("natbib", "amsmath", "amssymb"):
        assert re.search(rf"\\usepackage(\[[^\]]*\])?{{{pkg}}}", tex), pkg
    assert r"\documentclass" in tex
    if out["cited"]:
        assert r"\bibliographystyle{plainnat}" in tex and r"\bibliography{\jobname}" in tex
    assert out["cited"] == set(cites_in(tex))
    assert out["bibitems"] == out["cited"]          # every citation has its entry, and no extras


def test_standalone_without_citations_has_no_bibliography(base, monkeypatch, tmp_path):
    """When nothing citable is left (every step by definition), the document has no
    filecontents/bibliography (bibtex would fail on an empty \\citation list) and still compiles."""
    import vcbound.render.latex as latex_mod
    monkeypatch.setattr(latex_mod, "sources_for", lambda resolutions: {})
    tex = resolutions_latex([resolve(base, RNN_SIGMOID)], explain=True, standalone=True)
    assert "filecontents" not in tex and r"\bibliography" not in tex and not cites_in(tex)
    assert "by definition" in tex
    _tex_available()
    out = compile_document(tex, tmp_path)
    assert out["cited"] == set()


# ---------------------------------------------------------------------------------------------
# hostile theorem text (issue 15, item 2): data in the output, never code, and it still compiles
# ---------------------------------------------------------------------------------------------
def _pdf_text(path) -> str:
    if not shutil.which("pdftotext"):
        if os.environ.get("CI"):
            pytest.fail("pdftotext (poppler-utils) is not installed, and CI is set")
        pytest.skip("pdftotext not installed")
    return _run(["pdftotext", "doc.pdf", "-"], path).stdout


def _secret(tmp_path):
    """A file whose content must never reach the PDF (it stands for /etc/hostname)."""
    secret = tmp_path / "secret.tex"
    secret.write_text("SECRETMARKER\n")
    return secret


def test_hostile_bibtex_that_bypasses_the_validator_is_never_compiled(base, monkeypatch, tmp_path):
    # `theorems check` said OK to this once; a Source built in Python still must not inject
    import dataclasses
    import vcbound.render.latex as latex_mod
    secret = _secret(tmp_path)
    res = resolve(base, RNN_SIGMOID)
    real = latex_mod.sources_for([res])
    victim = cited_keys([res])[0]
    hostile = (f"@misc{{{victim}, title = {{Harmless\n\\end{{filecontents*}}\n"
               f"\\AtBeginDocument{{\\input{{{secret}}}}}\n\\begin{{filecontents*}}{{x.bib}}\n}}, year = {{2026}}}}")
    sources = dict(real, **{victim: dataclasses.replace(real[victim], bibtex=hostile)})
    monkeypatch.setattr(latex_mod, "sources_for", lambda resolutions: sources)
    tex = resolutions_latex([res], explain=True, standalone=True)
    assert "AtBeginDocument" not in tex and str(secret) not in tex
    assert victim not in cites_in(tex)                      # not cited: no dangling citation either
    _tex_available()
    out = compile_document(tex, tmp_path)
    assert victim not in out["cited"]
    assert "SECRETMARKER" not in _pdf_text(tmp_path)
    assert str(secret) not in (tmp_path / "doc.log").read_text(encoding="latin-1")
    hostname = Path("/etc/hostname")
    if hostname.is_file() and hostname.read_text().strip():
        assert hostname.read_text().strip() not in tex


def test_hostile_locator_stays_inside_the_citation():
    from vcbound.render.refs import Citer
    from vcbound.theorems import Source
    src = Source("k2026x", "@misc{k2026x, title = {T}, year = {2026}}", "v", "abstract", "x", "", "k.toml")
    cite = Citer({"k2026x": src}).cite("k2026x", locator="Theorem 1], \\input{/etc/hostname} [p. 2 } {")
    assert cite.startswith("\\citep[") and cite.endswith("]{k2026x}")
    inner = cite[len("\\citep["):-len("]{k2026x}")]
    assert "\\input" not in inner and "\\textbackslash{}input" in inner
    depth = 0
    for i, ch in enumerate(inner):       # braces balanced, and every bracket inside a group
        if ch in "{}" and inner[i - 1] != "\\":
            depth += 1 if ch == "{" else -1
            assert depth >= 0
        if ch in "[]":
            assert depth > 0, inner
    assert depth == 0


def test_validated_theorem_text_with_specials_compiles_and_reads_as_written(tmp_path, monkeypatch):
    from vcbound.theorems import clear_cache
    user = tmp_path / "user"
    user.mkdir()
    secret = _secret(tmp_path)
    locator = "Theorem 2 [journal version], § 3.1 {a} & 50% #1 _x $y ~z ^w"
    bib = ("@article{ok2026x, author = {G{\\\"o}del, Kurt and Erd\\H{o}s, Paul},\n"
           "  title = {On $\\epsilon$-nets, {VC} classes \\& 50\\% of $x_1^2$ --- a study},\n"
           "  journal = {J. Test}, year = {2026}, url = {https://example.org/a_b%20c#frag}}")
    (user / "ok2026x.toml").write_text(f'''[source]
key = "ok2026x"
bibtex = \'\'\'{bib}\'\'\'
version = "x"
verification = "primary"
read = "x"

[[result]]
id = "ok2026x_upper"
locator = \'\'\'{locator}\'\'\'
statement = "x \\\\input{{{secret}}}"
measure = "vc"
direction = "upper"
scope = "every"
form = "asymptotic"
bound = "W"
symbols = {{ W = "W" }}
requires = {{ topology = "any", activation = "any" }}
''', encoding="utf-8")
    clear_cache()
    monkeypatch.delenv("VCBOUND_THEOREMS", raising=False)
    base = load_theorems([user], use_env=False)
    assert base.problems == [], [str(p) for p in base.problems]
    res = bound(FF_RELU, "vc", base=base)
    tex = resolutions_latex([res], explain=True, standalone=True)
    assert "ok2026x" in cites_in(tex) or "{ok2026x}" in tex
    _tex_available()
    out = compile_document(tex, tmp_path)
    assert "ok2026x" in out["cited"] and "ok2026x" in out["bibitems"]
    text = " ".join(_pdf_text(tmp_path).split())
    assert "Theorem 2 [journal version], § 3.1 {a} & 50% #1 _x $y ~z ^w" in text
    assert "SECRETMARKER" not in text
