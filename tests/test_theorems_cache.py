"""The stamp file of validated theorem files (vcbound/theorems.py, ``_stamps``): content hashes and
JSON snapshots of the records, so that a new process rebuilds the records of unchanged files without
reading their TOML. Every test keeps the stamp file in its own temporary cache directory."""
from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

import vcbound.paths
from vcbound import __version__
from vcbound import theorems as th
from vcbound.errors import TheoremProblem
from vcbound.expressions import make_symbol

BUILTIN = vcbound.paths.theorems_dir()
USER = Path(__file__).parent / "data" / "theorems_user"


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    """A cache directory of this test; the process state of a new process (nothing read yet)."""
    monkeypatch.delenv(th.ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(th, "_STAMPS", None)
    monkeypatch.setattr(th, "_STAMPS_DIRTY", False)
    th.clear_cache()
    yield tmp_path / "cache"
    th.clear_cache()


def _new_process():
    th.clear_cache()
    th._STAMPS = None


def _stamp_file(cache: Path) -> Path:
    return cache / "vcbound" / f"validated-{__version__}.json"


def _user_dir(tmp_path: Path) -> Path:
    """Every built-in file, copied as user files (lemmas, constants, conditions, caveats, learners,
    tied-weights decisions, multi-line and non-ASCII strings), plus the test suite's user file."""
    d = tmp_path / "mine"
    shutil.copytree(BUILTIN, d, ignore=shutil.ignore_patterns("*.md"))
    shutil.copy(USER / "user2024extra.toml", d)
    return d


def _fields(record) -> dict:
    """Every field of a record with its value and type (a tuple must stay a tuple)."""
    return {f.name: (type(getattr(record, f.name)), getattr(record, f.name)) for f in dataclasses.fields(record)}


def _snapshot_of(base: th.TheoremBase) -> dict:
    return {
        "results": [_fields(r) for r in base.results],
        "lemmas": [_fields(m) for m in base.all_lemmas],
        "sources": {k: _fields(s) for k, s in base.sources.items()},
        "preferred": {t: (m.id, m.path) for t, m in base.lemmas.items()},
        "files": base.files,
        "problems": base.problems,
        "parsed": [(r.canonical_bound, [(c.lhs, c.rel, c.rhs) for c in r.canonical_conditions])
                   for r in base.results],
    }


TOML_LOADS = th.tomllib.loads


def _forbid_toml(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a file with a stored snapshot was read as TOML")
    monkeypatch.setattr(th.tomllib, "loads", refuse)


def _uncached(dirs, builtin=True):
    """The base as loaded with an empty cache directory of its own (every file fully validated)."""
    saved = os.environ.get("XDG_CACHE_HOME")
    with tempfile.TemporaryDirectory() as empty:
        os.environ["XDG_CACHE_HOME"] = empty
        _new_process()
        try:
            return th.load_theorems(dirs, builtin=builtin, use_env=False)
        finally:
            if saved is None:
                del os.environ["XDG_CACHE_HOME"]
            else:
                os.environ["XDG_CACHE_HOME"] = saved
            _new_process()


# ---- a cached load is the same load ---------------------------------------------------------------------

@pytest.mark.parametrize("builtin", [True, False])
def test_snapshot_gives_the_records_of_a_full_validation(tmp_path, cache, monkeypatch, builtin):
    mine = _user_dir(tmp_path)
    if builtin:            # the built-in base is loaded too: the copies clash with it, keep only one
        for f in mine.glob("*.toml"):
            if f.name != "user2024extra.toml":
                f.unlink()
    reference = _snapshot_of(_uncached([mine], builtin=builtin))
    first = th.load_theorems([mine], builtin=builtin, use_env=False)      # validates and stamps
    assert _snapshot_of(first) == reference
    assert _stamp_file(cache).is_file()
    _new_process()
    _forbid_toml(monkeypatch)
    again = th.load_theorems([mine], builtin=builtin, use_env=False)      # from the snapshots only
    assert again is not first
    assert _snapshot_of(again) == reference
    assert again.problems == [] and len(again.results) == len(first.results) > 0
    user = [r for r in again.results if Path(r.path).parent == mine]
    assert user, "the user's results are loaded"
    for r in user:                     # labelled as the user's, with their file path
        assert r.source.path == r.path and r.location == f"{r.path}:{r.line}"
        assert Path(r.path).name == f"{r.source.key}.toml"
    if not builtin:
        assert {Path(r.path).parent for r in again.results} == {mine}
        assert again.all_lemmas, "lemmas are restored too"
    # a new file makes this process write the stamp file again, the restored files' snapshots with it
    monkeypatch.setattr(th.tomllib, "loads", TOML_LOADS)
    extra = mine / "added2024.toml"
    extra.write_text((USER / "user2024extra.toml").read_text(encoding="utf-8").replace(
        "user2024extra", "added2024").replace("user_2024_extra", "added_2024"), encoding="utf-8")
    assert th.load_theorems([mine], builtin=builtin, use_env=False).by_id("added_2024_upper")
    extra.unlink()
    _new_process()
    _forbid_toml(monkeypatch)
    assert _snapshot_of(th.load_theorems([mine], builtin=builtin, use_env=False)) == reference


def test_a_check_after_a_cached_load_still_validates_fully(tmp_path, cache, monkeypatch):
    mine = _user_dir(tmp_path)
    th.load_theorems([mine], builtin=False, use_env=False)
    _new_process()
    th.load_theorems([mine], builtin=False, use_env=False)
    calls = []
    loads = th.tomllib.loads
    monkeypatch.setattr(th.tomllib, "loads", lambda text: calls.append(1) or loads(text))
    assert th.check([mine], consistency=False).problems == []
    assert len(calls) == len(list(mine.glob("*.toml")))


# ---- an edited file is validated again ------------------------------------------------------------------

FILE = '''[source]
key = "edited2024"
bibtex = "@misc{edited2024, title = {T}, year = 2024}"
version = "v"
verification = "abstract"
read = "r"

[[result]]
id = "edited2024_upper"
locator = "UNVERIFIED"
statement = "s"
measure = "vc"
direction = "upper"
scope = "every"
form = "asymptotic"
bound = "w^2"
symbols = { w = "W" }
requires = { topology = "any", activation = "any" }
'''


def _edit_keeping_stat(path: Path, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` (same length) and restore the modification time: only the bytes
    tell that the file changed."""
    assert len(old) == len(new)
    st = path.stat()
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)


def test_an_edited_file_is_validated_again(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    f = mine / "edited2024.toml"
    f.write_text(FILE, encoding="utf-8")
    assert th.load_theorems([mine], use_env=False).by_id("edited2024_upper").bound_text == "w^2"
    _edit_keeping_stat(f, 'bound = "w^2"', 'bound = "w^3"')
    _new_process()
    r = th.load_theorems([mine], use_env=False).by_id("edited2024_upper")
    assert r.bound_text == "w^3" and r.canonical_bound == make_symbol("W") ** 3


def test_an_edit_that_introduces_an_error_is_reported_as_without_a_cache(tmp_path, cache):
    mine = tmp_path / "mine"
    mine.mkdir()
    f = mine / "edited2024.toml"
    f.write_text(FILE, encoding="utf-8")
    assert th.load_theorems([mine], use_env=False).problems == []          # stamped with a snapshot
    _edit_keeping_stat(f, 'bound = "w^2"', 'bound = "q^2"')
    _new_process()
    base = th.load_theorems([mine], use_env=False)
    assert [r for r in base.results if r.path == str(f)] == []            # the file is skipped
    line = FILE.split("\n").index('bound = "w^2"') + 1
    assert TheoremProblem(str(f), line, "letter 'q' in bound of result 'edited2024_upper' is not in "
                                         "symbols or constants") in base.problems
    # the same problems, file:line and words, as with no stamp file and as `check` reports them
    assert base.problems == _uncached([mine]).problems
    in_order = sorted(base.problems, key=lambda p: (p.path, p.line))         # `check` sorts them
    assert in_order == th.check([f], consistency=False).problems and len(in_order) == 2
    stamps = json.loads(_stamp_file(cache).read_text(encoding="utf-8"))["files"]
    assert stamps[str(f)]["data"]["results"][0][7] == "w^2"               # only the old content
    # and again in the next process: a file with problems is never taken from the cache
    _new_process()
    assert th.load_theorems([mine], use_env=False).problems == base.problems


# ---- a damaged or foreign stamp file is ignored -----------------------------------------------------------

def _good_stamp(mine: Path, cache: Path) -> dict:
    th.load_theorems([mine], builtin=False, use_env=False)
    _new_process()
    return json.loads(_stamp_file(cache).read_text(encoding="utf-8"))


def _forged(mine: Path, cache: Path, change) -> bytes:
    doc = _good_stamp(mine, cache)
    change(doc, doc["files"][str(mine / "user2024extra.toml")])
    return json.dumps(doc).encode()


def _set(entry, *path_and_value):
    *path, value = path_and_value
    target = entry
    for k in path[:-1]:
        target = target[k]
    target[path[-1]] = value


DAMAGED = {
    "not JSON": lambda mine, cache: b"{not json",
    "not UTF-8": lambda mine, cache: b"\xff\xfe\x00garbage",
    "empty": lambda mine, cache: b"",
    "truncated": lambda mine, cache: json.dumps(_good_stamp(mine, cache)).encode()[:-40],
    "a list": lambda mine, cache: b"[]",
    "nested too deeply": lambda mine, cache: b"[" * 200_000,
    "the old format (path -> hash)": lambda mine, cache: json.dumps(
        {str(mine / "user2024extra.toml"): "0" * 64}).encode(),
    "another validator": lambda mine, cache: _forged(mine, cache, lambda doc, e: (
        doc.update(validator="0" * 64), _set(e, "data", "results", 0, 7, "n^9 * t"))),
    "another format": lambda mine, cache: _forged(mine, cache, lambda doc, e: (
        doc.update(format=1), _set(e, "data", "results", 0, 7, "n^9 * t"))),
    "a field of the wrong type": lambda mine, cache: _forged(
        mine, cache, lambda doc, e: _set(e, "data", "results", 0, 0, 17)),
    "a record with a field missing": lambda mine, cache: _forged(
        mine, cache, lambda doc, e: e["data"]["results"][0].pop()),
    "a list of numbers for conditions": lambda mine, cache: _forged(
        mine, cache, lambda doc, e: _set(e, "data", "results", 0, 11, [1, 2])),
    "a snapshot that is not a table": lambda mine, cache: _forged(
        mine, cache, lambda doc, e: _set(e, "data", "gone")),
    "results without a source": lambda mine, cache: _forged(
        mine, cache, lambda doc, e: _set(e, "data", "source", None)),
    "an entry that is a string": lambda mine, cache: _forged(
        mine, cache, lambda doc, e: doc["files"].update({str(mine / "user2024extra.toml"): "x"})),
    # well-formed snapshots whose text would act as TeX: the cache file is not trusted with it
    "TeX code in a locator": lambda mine, cache: _forged(mine, cache, lambda doc, e: (
        _set(e, "data", "results", 0, 1, "Thm 1]{x}\\input{/etc/passwd}"),
        _set(e, "data", "results", 0, 7, "n^9 * t"))),
    "TeX code in the BibTeX entry": lambda mine, cache: _forged(mine, cache, lambda doc, e: (
        _set(e, "data", "source", 1, e["data"]["source"][1].replace("title", "note = {\\write18{rm -rf ~}},\n  title", 1)),
        _set(e, "data", "results", 0, 7, "n^9 * t"))),
    "a source key that is not LaTeX-safe": lambda mine, cache: _forged(mine, cache, lambda doc, e: (
        _set(e, "data", "source", 0, "x}\\input{y"), _set(e, "data", "results", 0, 7, "n^9 * t"))),
}


@pytest.mark.parametrize("damage", list(DAMAGED))
def test_a_damaged_or_foreign_stamp_file_is_ignored(tmp_path, cache, damage):
    mine = tmp_path / "mine"
    mine.mkdir()
    shutil.copy(USER / "user2024extra.toml", mine)
    reference = _snapshot_of(_uncached([mine], builtin=False))
    content = DAMAGED[damage](mine, cache)
    _stamp_file(cache).parent.mkdir(parents=True, exist_ok=True)
    _stamp_file(cache).write_bytes(content)
    _new_process()
    base = th.load_theorems([mine], builtin=False, use_env=False)
    assert _snapshot_of(base) == reference
    assert base.by_id("user_2024_extra_upper").bound_text == "n^3 * t"
    # the file was validated again and the stamp file rewritten whole
    doc = json.loads(_stamp_file(cache).read_text(encoding="utf-8"))
    assert doc["format"] == th._STAMP_FORMAT and doc["validator"] == th._validator_fingerprint()
    entry = doc["files"][str(mine / "user2024extra.toml")]
    assert entry["data"]["results"][0][7] == "n^3 * t"


def test_a_stamp_path_that_cannot_be_read_is_ignored(tmp_path, cache):
    _stamp_file(cache).mkdir(parents=True)             # a directory where the stamp file goes
    mine = _user_dir(tmp_path)
    reference = _snapshot_of(_uncached([mine], builtin=False))
    for _ in range(2):
        _new_process()
        assert _snapshot_of(th.load_theorems([mine], builtin=False, use_env=False)) == reference
    assert _stamp_file(cache).is_dir() and list(_stamp_file(cache).parent.iterdir()) == [_stamp_file(cache)]


# ---- where the stamp file lives, and what it keeps -----------------------------------------------------

def test_the_stamp_file_is_json_in_the_user_cache_directory(tmp_path, cache):
    mine = _user_dir(tmp_path)
    th.load_theorems([mine], use_env=False)
    doc = json.loads(_stamp_file(cache).read_text(encoding="utf-8"))     # JSON, never pickle
    assert doc["version"] == __version__
    paths = set(doc["files"])
    assert str(mine / "user2024extra.toml") in paths
    assert {str(p) for p in BUILTIN.glob("*.toml")} <= paths


def test_without_xdg_cache_home_the_stamp_file_goes_under_home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(home))
    mine = _user_dir(tmp_path)
    th.load_theorems([mine], builtin=False, use_env=False)
    stamp = home / ".cache" / "vcbound" / f"validated-{__version__}.json"
    assert str(mine / "user2024extra.toml") in json.loads(stamp.read_text(encoding="utf-8"))["files"]


def test_without_a_cache_directory_loading_works_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", "")
    monkeypatch.setenv("HOME", "")
    monkeypatch.chdir(tmp_path)
    mine = _user_dir(tmp_path)
    before = sorted(tmp_path.rglob("*"))
    reference = _snapshot_of(_uncached([mine], builtin=False))
    for _ in range(2):
        _new_process()
        assert _snapshot_of(th.load_theorems([mine], builtin=False, use_env=False)) == reference
    assert sorted(tmp_path.rglob("*")) == before


def test_stamps_are_kept_for_the_files_of_the_last_load_only(tmp_path, cache):
    a, b = tmp_path / "a", tmp_path / "b"
    for d, key in ((a, "edited2024"), (b, "other2024")):
        d.mkdir()
        (d / f"{key}.toml").write_text(FILE.replace("edited2024", key), encoding="utf-8")
    (a / "gone2024.toml").write_text(FILE.replace("edited2024", "gone2024"), encoding="utf-8")
    th.load_theorems([a], use_env=False)
    stamped = lambda: set(json.loads(_stamp_file(cache).read_text(encoding="utf-8"))["files"])  # noqa: E731
    assert {str(a / "edited2024.toml"), str(a / "gone2024.toml")} <= stamped()
    _new_process()
    th.load_theorems([b], use_env=False)
    assert str(b / "other2024.toml") in stamped() and not any(p.startswith(str(a)) for p in stamped())
    assert {str(p) for p in BUILTIN.glob("*.toml")} <= stamped()          # the built-ins stay
    # a removed file's entry goes at the next write
    _new_process()
    th.load_theorems([a, b], use_env=False)
    (a / "gone2024.toml").unlink()
    (a / "new2024.toml").write_text(FILE.replace("edited2024", "new2024"), encoding="utf-8")
    _new_process()
    th.load_theorems([a, b], use_env=False)
    assert str(a / "gone2024.toml") not in stamped() and str(a / "new2024.toml") in stamped()


def test_a_file_with_problems_is_never_stamped(tmp_path, cache):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "edited2024.toml").write_text(FILE.replace('"w^2"', '"q^2"'), encoding="utf-8")
    base = th.load_theorems([mine], use_env=False)
    assert base.problems
    assert str(mine / "edited2024.toml") not in json.loads(_stamp_file(cache).read_text(encoding="utf-8"))["files"]


def test_a_directory_listing_is_reused_only_while_the_directory_is_unchanged(tmp_path, monkeypatch):
    """theorem_files lists a directory again whenever an entry was added, removed or renamed (its
    mtime moves), and while its last change is recent (coarse timestamps could hide one made in
    the same tick); a settled, unchanged directory is not listed again."""
    import os
    import time

    from vcbound import theorems as th
    (tmp_path / "a.toml").write_text("x")
    old = time.time_ns() - 10_000_000_000
    os.utime(tmp_path, ns=(old, old))
    listed = []
    real_scandir = os.scandir
    monkeypatch.setattr(th.os, "scandir", lambda p: listed.append(p) or real_scandir(p))
    assert th.theorem_files(tmp_path) == [str(tmp_path / "a.toml")]
    assert th.theorem_files(tmp_path) == [str(tmp_path / "a.toml")]
    assert len(listed) == 1                                   # settled and unchanged: listed once
    (tmp_path / "b.toml").write_text("y")                     # the directory's mtime moves to now
    assert th.theorem_files(tmp_path) == [str(tmp_path / "a.toml"), str(tmp_path / "b.toml")]
    assert th.theorem_files(tmp_path) == [str(tmp_path / "a.toml"), str(tmp_path / "b.toml")]
    assert len(listed) == 3                                   # changed just now: listed every time
    (tmp_path / "b.toml").unlink()
    os.utime(tmp_path, ns=(old + 1, old + 1))
    assert th.theorem_files(tmp_path) == [str(tmp_path / "a.toml")]
