"""Benchmarks for loading the theorem base (stage 4).

Run: ``python -m pytest benchmarks/test_bench_theorems.py --benchmark-enable``.
A user directory of 1,000 generated files (3,000 results, distinct bounds) is loaded the first time
(every file parsed and validated, reported), cold (a new process: the files validated before, by
content hash; target <= 0.3 s) and warm (nothing changed: the in-process cache answers from stat() alone).
"""
from __future__ import annotations

import pytest

from vcbound import theorems as th

N_FILES = 1000


def _file(i: int) -> str:
    key = f"gen{i:04d}"
    out = [f'[source]\nkey = "{key}"\nbibtex = """@article{{{key},\n  author = {{Generated, A.}},\n'
           f'  title = {{Generated {i}}},\n  year = {{2024}}\n}}"""\nversion = "generated"\n'
           f'verification = "abstract"\nread = "generated"\n']
    for j in range(3):
        out.append(f'\n[[result]]\nid = "{key}_r{j}"\nlocator = "UNVERIFIED"\nstatement = """generated"""\n'
                   f'measure = "vc"\ndirection = "upper"\nscope = "every"\nform = "asymptotic"\n'
                   f'bound = "w^{j + 1}*k*log(w*k) + {i + 1}*w"\nsymbols = {{ w = "W", k = "T" }}\n'
                   f'requires = {{ topology = "recurrent_standard", activation = "sigmoidal" }}\n'
                   f'conditions = ["k >> {i + 1}*w"]\n')
    return "".join(out)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    d = tmp_path_factory.mktemp("theorems1000")
    for i in range(N_FILES):
        (d / f"gen{i:04d}.toml").write_text(_file(i), encoding="utf-8")
    # the content-hash stamps go to a cache directory of this run, not the user's
    mp = pytest.MonkeyPatch()
    mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
    mp.setattr(th, "_STAMPS", None)
    th.load_theorems(use_env=False)          # built-in base and grammar warm
    yield d
    mp.undo()
    th._STAMPS = None


def _new_process_state():
    """What a new process starts from: no file read yet, the stamp file not read yet."""
    th.clear_cache()
    th._STAMPS = None


def test_load_1000_files_first_validation(benchmark, generated):
    """Reported: the first load of new files validates every expression and stamps each file."""
    def first():
        _new_process_state()
        th._stamps().clear()
        return th.load_theorems([generated], use_env=False)
    benchmark.extra_info.update(target="reported")
    base = benchmark.pedantic(first, rounds=1, iterations=1)
    assert base.problems == []


def test_load_1000_files_cold(benchmark, generated):
    """Target (issue 13): <= 0.3 s for a new process loading 1,000 user files validated before
    (their content hashes are in the stamp file)."""
    th.load_theorems([generated], use_env=False)          # validated and stamped (once)
    benchmark.extra_info.update(target="<= 0.3 s (issue 13)", target_s=0.3)
    base = benchmark.pedantic(th.load_theorems, args=([generated],), kwargs={"use_env": False},
                              setup=_new_process_state, rounds=3, iterations=1)
    assert base.problems == [] and sum(r.id.startswith("gen") for r in base.results) == 3 * N_FILES


def test_load_1000_files_warm(benchmark, generated):
    th.load_theorems([generated], use_env=False)
    base = benchmark(th.load_theorems, [generated], use_env=False)
    assert sum(r.id.startswith("gen") for r in base.results) == 3 * N_FILES
