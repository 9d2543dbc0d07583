"""The wheel carries everything vcbound needs at run time.

Builds the wheel from this source tree, checks its contents (grammar and theorem files under
``vcbound/_data``), installs it with ``--no-deps`` into a fresh venv that sees this interpreter's packages (so the
dependencies are there), and runs that venv's ``vcbound`` from a temporary directory outside the source
tree, where the only grammar files it can find are the ones inside the wheel.

Marked ``slow`` (it still runs in the default suite; about 5-15 s). ``pytest -m "not slow"`` skips it.
"""
from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


def _run(argv, **kw):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    return subprocess.run(argv, capture_output=True, text=True, timeout=180, env=env, **kw)


@pytest.fixture(scope="module")
def source_files():
    return {
        "theorems": sorted(p.name for p in (ROOT / "theorems").glob("*.toml")),
        "modules": sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "vcbound").rglob("*.py")),
    }


@pytest.fixture(scope="module")
def wheel(tmp_path_factory, source_files):
    out = tmp_path_factory.mktemp("dist")
    # --no-isolation: build with the hatchling installed here (no network); fall back to pip wheel
    r = _run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)])
    if r.returncode != 0:
        r = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--wheel-dir",
                  str(out), str(ROOT)])
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    wheels = list(out.glob("vcbound-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_wheel_contains_grammar_and_theorems(wheel, source_files):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "vcbound/_data/grammar/arch.lark" in names
    assert "vcbound/_data/grammar/expr.lark" in names
    shipped = sorted(n.rsplit("/", 1)[1] for n in names
                     if n.startswith("vcbound/_data/theorems/") and n.endswith(".toml"))
    assert shipped, "no theorem files in the wheel"
    assert set(source_files["theorems"]) <= set(shipped)
    for module in source_files["modules"]:
        if "/_data/" not in module:
            assert module in names, f"{module} missing from the wheel"
    assert not any(n.startswith(("tests/", "benchmarks/", "grammar/", "theorems/")) for n in names)
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "vcbound = vcbound.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


@pytest.fixture(scope="module")
def venv(tmp_path_factory, wheel):
    root = tmp_path_factory.mktemp("venv") / "env"
    r = _run([sys.executable, "-m", "venv", "--without-pip", str(root)])
    assert r.returncode == 0, r.stderr
    python = root / "bin" / "python"
    # The nested venv must see the packages of *this* environment. `--system-site-packages` is not
    # enough: when this interpreter is itself a venv it exposes the base interpreter's packages,
    # not the outer venv's (where lark & co. live). A .pth file lists this environment's
    # site-packages instead. Plain path lines: the .pth files inside those directories (such as
    # the editable install's finder) are not processed, so the wheel's copy is the only vcbound.
    r = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    assert r.returncode == 0, r.stderr
    nested_site = Path(r.stdout.strip())
    outer = [p for p in dict.fromkeys(site.getsitepackages() + [site.getusersitepackages()])
             if Path(p).is_dir()]
    (nested_site / "_outer_environment.pth").write_text("\n".join(outer) + "\n")
    # pip comes from the outer environment; it installs into the venv (sys.prefix). --ignore-installed:
    # never touch the editable install of the outer environment.
    r = _run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--ignore-installed",
              "--disable-pip-version-check", str(wheel)])
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return root


def test_installed_wheel_runs_outside_the_source_tree(venv, tmp_path):
    script = venv / "bin" / "vcbound"
    assert script.is_file()
    r = _run([str(script), "params", "input(7, seq=T) -> lstm(5)", "--json"], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["params"] == 280
    # a file argument, relative to the (foreign) working directory, with an error on line 2
    (tmp_path / "m.arch").write_text("input(d, seq=T)\n  -> lstm(n, act=relu)\n")
    r = _run([str(script), "params", "m.arch"], cwd=tmp_path)
    assert r.returncode == 1
    assert r.stderr.startswith("m.arch:2:14: ") and "Traceback" not in r.stderr


def test_installed_wheel_uses_its_own_data(venv, tmp_path):
    """The venv imports the installed copy (not the source tree) and reads grammar/theorems from the wheel."""
    code = ("import json, vcbound, vcbound.paths as p; "
            "print(json.dumps([vcbound.__file__, str(p.grammar_dir()), str(p.theorems_dir()), "
            "sorted(x.name for x in p.theorems_dir().glob('*.toml'))]))")
    r = _run([str(venv / "bin" / "python"), "-c", code], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    module, grammar, theorems, tomls = json.loads(r.stdout)
    site = str(venv.resolve())
    assert module.startswith(site), module
    assert grammar.startswith(site) and grammar.endswith("vcbound/_data/grammar")
    assert theorems.startswith(site) and theorems.endswith("vcbound/_data/theorems")
    assert tomls and all(name.endswith(".toml") for name in tomls)
