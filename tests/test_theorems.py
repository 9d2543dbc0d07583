"""Stage 4: loading and checking theorem files (vcbound/theorems.py) and `vcbound theorems`."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import vcbound.paths
from vcbound import theorems as th
from vcbound.cli import main
from vcbound.errors import TheoremBaseError, TheoremProblem
from vcbound.expressions import make_symbol

DATA = Path(__file__).parent / "data"
INVALID = DATA / "theorems_invalid"
INCONSISTENT = DATA / "theorems_inconsistent"
USER = DATA / "theorems_user"
BUILTIN = vcbound.paths.theorems_dir()


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    monkeypatch.delenv(th.ENV_VAR, raising=False)


def _minimal(key: str, results: str = "", verification: str = "abstract") -> str:
    return (f'[source]\nkey = "{key}"\nbibtex = "@misc{{{key}, title = {{T}}, year = 2024}}"\n'
            f'version = "v"\nverification = "{verification}"\nread = "r"\n' + results)


def _result(rid: str, bound: str = "w", symbols: str = '{ w = "W" }', extra: str = "") -> str:
    return (f'\n[[result]]\nid = "{rid}"\nlocator = "UNVERIFIED"\nstatement = "s"\nmeasure = "vc"\n'
            f'direction = "upper"\nscope = "every"\nform = "asymptotic"\nbound = "{bound}"\n'
            f'symbols = {symbols}\nrequires = {{ topology = "any", activation = "any" }}\n{extra}')


# ---- the built-in base ------------------------------------------------------------------------

def test_builtin_base_loads_with_zero_problems():
    base = th.load_theorems(use_env=False)
    assert base.problems == []
    assert len(base.results) > 0 and base.sources
    report = th.check()                   # includes duplicates across files and consistency
    assert report.problems == [], "\n".join(map(str, report.problems))
    assert report.results == len(base.results)


def test_builtin_records_are_well_formed():
    base = th.load_theorems(use_env=False)
    quantity_symbols = {make_symbol(q) for q in th.QUANTITIES}
    for r in base.results:
        assert r.source.key == Path(r.path).stem
        assert r.measure in th.MEASURES and r.direction in th.DIRECTIONS and r.scope in th.SCOPES
        assert r.verified == (not r.locator.startswith("UNVERIFIED"))
        allowed = quantity_symbols | {make_symbol(c) for c in r.constants}
        assert r.canonical_bound.free_symbols <= allowed, r.id
        assert r.is_bridge == any(q in ("vc", "pdim") for q in r.symbols.values())
        assert r.verification in th.VERIFICATIONS
        text = Path(r.path).read_text(encoding="utf-8").split("\n")
        assert text[r.line - 1].strip().startswith("[[result]]"), (r.id, r.line)
        assert f'"{r.id}"' in "\n".join(text[r.line:r.line + 3])
    for transform, lemma in base.lemmas.items():
        assert lemma.transform == transform in th.TRANSFORMS


def test_result_record_semantics():
    base = th.load_theorems(use_env=False)
    r = base.by_id("koiran_sontag_1998_sigmoid_upper")
    w, k = make_symbol("w"), make_symbol("k")
    assert r.bound == w ** 4 * k ** 2
    assert r.canonical_bound == make_symbol("W") ** 4 * make_symbol("T") ** 2
    assert r.symbols == {"w": "W", "k": "T"}
    assert not r.verified and not r.is_bridge and r.tied_weights is False
    assert r.verification == r.source.verification == "abstract"
    thm5 = base.by_id("koiran_sontag_1998_thm5")
    assert thm5.verified and thm5.verification == "secondary"        # result-level override
    assert r in base.results_for("vc") and r not in base.results_for("growth")
    with pytest.raises(th.UnknownTheoremError, match="did you mean"):
        base.by_id("koiran_sontag_1998_sigmoid_uper")


# ---- every planted problem, in one run --------------------------------------------------------

# problems that cannot be marked with a comment in the file itself (binary content, syntax errors,
# lines inside a multi-line string), as (file, line, part of the message)
EXPLICIT = [
    ("bad_utf8.toml", 3, "invalid UTF-8 byte 0xff"),
    ("nul_byte.toml", 4, "NUL byte"),
    ("syntax_error.toml", 11, "TOML syntax error: Invalid value"),
    ("unterminated.toml", 10, "TOML syntax error: Unterminated string"),
    ("bibtex_bad.toml", 8, "BibTeX entry does not parse: expected '=' after field name 'title'"),
    ("too_large.toml", 0, "file too large"),
]


def _marked(directory: Path) -> list[tuple[str, int, str]]:
    """(file, line, text) for every "EXPECT: a | b" comment in the files of ``directory``."""
    out = []
    for f in sorted(directory.glob("*.toml")):
        try:
            lines = f.read_text(encoding="utf-8").split("\n")
        except UnicodeDecodeError:
            continue
        for n, line in enumerate(lines, start=1):
            m = re.search(r"# EXPECT: (.*)$", line)
            if m:
                out += [(f.name, n, part.strip()) for part in m.group(1).split(" | ")]
    return out


def test_every_planted_problem_is_reported_with_file_and_line(tmp_path, monkeypatch):
    broken = tmp_path / "broken"
    shutil.copytree(INVALID, broken)
    with open(broken / "too_large.toml", "wb") as fh:     # sparse: 6 MB without writing them
        fh.truncate(6 * 1024 * 1024)
    real_open = open

    def guarded_open(path, *a, **kw):
        assert not str(path).endswith("too_large.toml"), "a file over 5 MB must not be read"
        return real_open(path, *a, **kw)

    monkeypatch.setattr(th, "open", guarded_open, raising=False)
    th.clear_cache()
    expected = _marked(broken) + EXPLICIT
    assert len(expected) >= 35                            # the markers are really there
    problems = th.check_files([broken])
    remaining = list(problems)
    missing = []
    for name, line, text in expected:
        hit = next((p for p in remaining if Path(p.path).name == name and p.line == line
                    and text in p.message), None)
        if hit is None:
            missing.append(f"{name}:{line}: {text}")
        else:
            remaining.remove(hit)
    assert not missing, "not reported:\n" + "\n".join(missing) + "\n\ngot:\n" + "\n".join(map(str, problems))
    assert not remaining, "unexpected:\n" + "\n".join(map(str, remaining))
    dup = next(p for p in problems if Path(p.path).name == "zz_duplicate_across.toml")
    assert dup.message.endswith(f"(first defined at {broken / 'many_problems.toml'}:56)")
    # every file was looked at, including those after a broken one
    assert {Path(p.path).name for p in problems} == {f.name for f in broken.glob("*.toml")}


def test_problem_lines_in_subtables_and_dotted_keys(tmp_path):
    f = tmp_path / "subtables.toml"
    f.write_text(_minimal("subtables") + '''
[[result]]
id = "sub_a"
locator = "UNVERIFIED"
statement = """a statement that mentions
measure = "not a key: inside a string"
"""
measure = "vc"
direction = "upper"
scope = "every"
form = "asymptotic"
bound = "w"
symbols.w = "Weights"
[result.requires]
topology = "any"
activation = "relux"
''')
    problems = th.check_files([f])
    assert sorted((p.line, p.message.split(" (")[0]) for p in problems) == [
        (19, "symbols of result 'sub_a': 'w' maps to 'Weights', which is not a quantity"),
        (22, "bad value 'relux' for requires.activation in result 'sub_a'"),
    ]


def test_definition_source_needs_no_citation(tmp_path):
    f = tmp_path / "defs.toml"
    f.write_text('[source]\nkey = "defs"\nbibtex = ""\nversion = "none"\nverification = "definition"\n'
                 'read = "none"\n\n[[lemma]]\nid = "defs_unroll"\nlocator = "by definition"\n'
                 'statement = "s"\ntransform = "unroll"\n')
    assert th.check_files([f]) == []
    f.write_text(f.read_text().replace('"definition"', '"secondary"'))
    assert [p.line for p in th.check_files([f])] == [3]


def test_duplicate_across_files_names_the_first(tmp_path):
    (tmp_path / "a_first.toml").write_text(_minimal("a_first", _result("shared_id")))
    (tmp_path / "b_second.toml").write_text(_minimal("b_second", _result("other") + _result("shared_id")))
    problems = th.check_files([tmp_path])
    assert len(problems) == 1
    p = problems[0]
    assert Path(p.path).name == "b_second.toml" and p.line == 21
    assert f"first defined at {tmp_path / 'a_first.toml'}:9" in p.message


# ---- BibTeX -----------------------------------------------------------------------------------

def test_bibtex_parser_accepts_and_refuses():
    e = th.parse_bibtex('@Article{k98,\n title = {The {VC} dimension},\n year = 1998,\n'
                        ' note = "a {"}quoted{"} value" # { more},\n}')
    assert (e.type, e.key) == ("article", "k98")
    assert e.fields == {"title": "The {VC} dimension", "year": "1998", "note": 'a {"}quoted{"} value more'}
    for bad, where in [("@article{k, title = {open}", "not closed"),
                       ("@article{k, title = {x}}\n@misc{j}", "exactly one entry"),
                       ("article{k}", "expected '@'"),
                       ("@article{k, title = {x}, title = {y}}", "duplicate field"),
                       ("@article{k, title = {a {b}}}} x", "text after")]:
        with pytest.raises(th.BibtexError, match=where):
            th.parse_bibtex(bad)


def test_bibtex_parser_agrees_with_bibtexparser_on_builtin_entries():
    bibtexparser = pytest.importorskip("bibtexparser")
    base = th.load_theorems(use_env=False)
    checked = 0
    for source in base.sources.values():
        if not source.bibtex.strip():
            continue
        ours = th.parse_bibtex(source.bibtex)
        lib = bibtexparser.parse_string(source.bibtex)
        assert len(lib.entries) == 1 and not lib.failed_blocks, source.key
        theirs = lib.entries[0]
        assert ours.key == theirs.key == source.key
        assert set(ours.fields) == {k.lower() for k in theirs.fields_dict}
        checked += 1
    assert checked >= 5


# ---- consistency ------------------------------------------------------------------------------

def test_consistency_reports_planted_lower_above_upper():
    problems = th.check_files([INCONSISTENT])
    msgs = sorted(p.message.split(":")[0] for p in problems)
    assert msgs == [
        "exact result planted_exact_every (scope every) exceeds upper bound planted_upper on vc",
        "lower bound planted_lower_every (scope every) exceeds upper bound planted_upper on vc",
    ]
    lines = {p.message.split()[2]: p.line for p in problems}
    assert lines == {"planted_lower_every": 25, "planted_exact_every": 37}


def test_consistency_against_builtin_context(tmp_path):
    # a user lower bound (scope every) above a built-in upper bound is reported by `check DIR`
    (tmp_path / "mine.toml").write_text(_minimal("mine", _result(
        "mine_lower", bound="w^5*k^3", symbols='{ w = "W", k = "T" }').replace(
        'direction = "upper"', 'direction = "lower"').replace(
        '{ topology = "any", activation = "any" }',
        '{ topology = "recurrent_standard", activation = "sigmoid" }')))
    problems = th.check_files([tmp_path], context=[BUILTIN])
    assert any("lower bound mine_lower (scope every) exceeds upper bound "
               "koiran_sontag_1998_sigmoid_upper on vc" in p.message for p in problems), problems
    assert all(Path(p.path).name == "mine.toml" for p in problems)
    assert th.check_files([tmp_path]) == []          # alone, nothing to contradict


# ---- user directories -------------------------------------------------------------------------

def _fingerprint(results):
    return [(r.id, r.path, r.line, r.bound_text, r.bound, tuple(sorted(r.symbols.items())),
             tuple(sorted(r.requires.items())), r.locator, r.verification) for r in results]


def test_broken_user_dir_leaves_builtin_results_identical():
    builtin = th.load_theorems(use_env=False)
    with_user = th.load_theorems([INVALID], use_env=False)
    ours = [r for r in with_user.results if Path(r.path).parent == BUILTIN]
    assert _fingerprint(ours) == _fingerprint(builtin.results)
    assert ours == builtin.results
    # every problem of the broken files is kept as a warning; no result of a broken file is loaded
    broken = {Path(p.path).name for p in with_user.problems}
    assert {"many_problems.toml", "bad_utf8.toml", "syntax_error.toml", "bibtex_bad.toml"} <= broken
    loaded = {Path(r.path).name for r in with_user.results} - {Path(r.path).name for r in builtin.results}
    assert loaded.isdisjoint(broken)
    # the one valid user result (its id clashed only with a result in a skipped file) is loaded
    assert with_user.by_id("planted_letters").path.endswith("zz_duplicate_across.toml")


def test_user_id_colliding_with_builtin_is_a_problem_not_an_override(tmp_path):
    original = th.load_theorems(use_env=False).by_id("koiran_sontag_1998_sigmoid_upper")
    (tmp_path / "override.toml").write_text(_minimal("override", _result(
        "koiran_sontag_1998_sigmoid_upper", bound="w") + _result("override_other")))
    base = th.load_theorems([tmp_path], use_env=False)
    assert base.by_id("koiran_sontag_1998_sigmoid_upper") == original
    assert [p.line for p in base.problems] == [9]
    assert "duplicate id 'koiran_sontag_1998_sigmoid_upper' (first defined at" in base.problems[0].message
    with pytest.raises(th.UnknownTheoremError):       # the whole file was skipped
        base.by_id("override_other")


def test_user_dirs_from_argument_and_environment(monkeypatch, tmp_path):
    assert "user_2024_extra_upper" in {r.id for r in th.load_theorems([USER], use_env=False).results}
    monkeypatch.setenv(th.ENV_VAR, os.pathsep.join([str(tmp_path / "missing"), str(USER)]))
    base = th.load_theorems()
    assert base.by_id("user_2024_extra_upper").requires["multiplication"] is True
    assert [(p.line, "no such file or directory" in p.message) for p in base.problems] == [(0, True)]
    assert "user_2024_extra_upper" not in {r.id for r in th.load_theorems(use_env=False).results}
    # the built-in directory given again as a user directory changes nothing
    again = th.load_theorems([BUILTIN], use_env=False)
    assert again.problems == [] and len(again.results) == len(th.load_theorems(use_env=False).results)


def test_builtin_problems_raise(monkeypatch, tmp_path):
    (tmp_path / "bad.toml").write_text(_minimal("bad", _result("bad_one", bound="w*q")))
    monkeypatch.setattr(vcbound.paths, "theorems_dir", lambda: tmp_path)
    with pytest.raises(TheoremBaseError) as info:
        th.load_theorems(use_env=False)
    assert info.value.exit_code == 2
    assert info.value.problems == [TheoremProblem(str(tmp_path / "bad.toml"), 16,
                                                  "letter 'q' in bound of result 'bad_one' is not in "
                                                  "symbols or constants")]


def test_cache_reuses_unchanged_files_and_rereads_changed_ones(tmp_path):
    f = tmp_path / "cached.toml"
    f.write_text(_minimal("cached", _result("cached_one", bound="w^2")))
    first = th.load_theorems([tmp_path], use_env=False)
    assert th.load_theorems([tmp_path], use_env=False) is first
    f.write_text(_minimal("cached", _result("cached_one", bound="w^3 + 1")))
    os.utime(f, ns=(time.time_ns(), time.time_ns() + 10_000_000))
    second = th.load_theorems([tmp_path], use_env=False)
    assert second.by_id("cached_one").bound_text == "w^3 + 1"


def test_many_generated_files_load_and_reload_fast(tmp_path):
    for i in range(200):
        (tmp_path / f"gen{i:04d}.toml").write_text(_minimal(f"gen{i:04d}", "".join(
            _result(f"gen{i:04d}_r{j}", bound=f"w^{j + 1}*k + {i}*w", symbols='{ w = "W", k = "T" }')
            for j in range(3))))
    base = th.load_theorems([tmp_path], use_env=False)
    assert base.problems == [] and sum(r.id.startswith("gen") for r in base.results) == 600
    t0 = time.perf_counter()
    th.load_theorems([tmp_path], use_env=False)
    assert time.perf_counter() - t0 < 0.5


# ---- command line -----------------------------------------------------------------------------

def test_cli_check_builtin_ok(capsys):
    assert main(["theorems", "check"]) == 0
    out = capsys.readouterr().out
    assert re.fullmatch(r"\d+ results, \d+ lemmas in \d+ files: OK\n", out), out


def test_cli_check_reports_every_problem_and_exits_2(capsys):
    expected = th.check_files([INVALID])
    assert main(["theorems", "check", str(INVALID)]) == 2
    captured = capsys.readouterr()
    lines = captured.out.strip().split("\n")
    assert len(lines) == len(expected) >= 30
    assert any(re.search(r"many_problems\.toml:22: bad value 'vcdim' for 'measure'", ln) for ln in lines)
    assert f"{len(expected)} problems" in captured.err


def test_cli_check_user_file_against_builtin_ids(capsys, tmp_path):
    (tmp_path / "clash.toml").write_text(_minimal("clash", _result("koiran_sontag_1998_poly_upper")))
    assert main(["theorems", "check", str(tmp_path / "clash.toml")]) == 2
    out = capsys.readouterr().out
    assert "clash.toml:9: duplicate id 'koiran_sontag_1998_poly_upper' (first defined at" in out
    assert "koiran1998vc.toml" in out


def test_cli_list_filters(capsys):
    assert main(["theorems", "list", "--measure", "vc", "--direction", "upper"]) == 0
    out = capsys.readouterr().out
    assert "koiran_sontag_1998_sigmoid_upper" in out and "T^2*W^4" in out
    assert "koiran_sontag_1998_poly_lower" not in out
    assert "mohri_2018_thm3_17_cor3_18_sauer" not in out         # a growth result
    header = out.split("\n")[0].split()
    assert header == ["id", "measure", "direction", "scope", "bound", "locator", "verification"]
    assert main(["theorems", "list", "--activation", "relu"]) == 0
    out = capsys.readouterr().out
    assert "koiran_sontag_1998_pwpoly_upper" in out                # piecewise_polynomial covers relu
    assert "koiran_sontag_1998_sigmoid_upper" not in out
    row = next(ln for ln in out.split("\n") if ln.startswith("koiran_sontag_1998_pwpoly_upper"))
    assert "UNVERIFIED" in row and "abstract" in row


def test_cli_list_unknown_filter_is_usage_error(capsys):
    assert main(["theorems", "list", "--measure", "vcdim"]) == 1
    assert "unknown measure 'vcdim'" in capsys.readouterr().err


def test_cli_show(capsys):
    assert main(["theorems", "show", "koiran_sontag_1998_thm5"]) == 0
    out = capsys.readouterr().out
    for part in ["Theorem 5, p. 70", "scope: exists", "does not say that a given network does",
                 "bound: w*k", "in vcbound quantities: T*W", "w = W, k = T",
                 "topology = recurrent_standard, activation = sigmoidal", "verification: secondary",
                 "statement:", "@article{koiran1998vc,"]:
        assert part in out, part
    assert main(["theorems", "show", "unroll"]) == 0
    out = capsys.readouterr().out
    assert "transform: unroll" in out and "applicability:" in out and "citation: none" in out
    assert main(["theorems", "show", "no_such_theorem"]) == 1
    assert "no theorem with id 'no_such_theorem'" in capsys.readouterr().err


def test_cli_user_dirs_and_warnings(capsys, monkeypatch):
    assert main(["--theorems", str(USER), "theorems", "list"]) == 0
    assert "user_2024_extra_upper" in capsys.readouterr().out
    assert main(["theorems", "list", "--theorems", str(USER)]) == 0
    assert "user_2024_extra_upper" in capsys.readouterr().out
    monkeypatch.setenv(th.ENV_VAR, str(INVALID))
    assert main(["theorems", "show", "user_2024_extra_upper", "--theorems", str(USER)]) == 0
    captured = capsys.readouterr()
    assert "n^3 * t" in captured.out
    assert "warning:" in captured.err and "many_problems.toml:22: bad value 'vcdim'" in captured.err


def test_cli_builtin_problem_exit_code_2(monkeypatch, tmp_path, capsys):
    (tmp_path / "bad.toml").write_text(_minimal("bad", _result("bad_one", bound="w*(")))
    monkeypatch.setattr(vcbound.paths, "theorems_dir", lambda: tmp_path)
    assert main(["theorems", "list"]) == 2
    assert "bad.toml:16: bound 'w*(' of result 'bad_one' does not parse" in capsys.readouterr().err


def test_cli_subprocess_exit_codes():
    env = {k: v for k, v in os.environ.items() if k != th.ENV_VAR}
    ok = subprocess.run([sys.executable, "-m", "vcbound", "theorems", "check"], capture_output=True,
                        text=True, env=env, timeout=120)
    assert ok.returncode == 0 and ok.stdout.strip().endswith(": OK"), ok.stderr
    bad = subprocess.run([sys.executable, "-m", "vcbound", "theorems", "check", str(INVALID)],
                         capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "wrong_name.toml:3: source key 'not_the_file_name' does not match" in bad.stdout
