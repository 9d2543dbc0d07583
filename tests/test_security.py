"""No code execution from text: a scan of the package and injection attempts that must fail cleanly."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import vcbound
from vcbound.errors import VcboundError

PACKAGE = Path(vcbound.__file__).resolve().parent
FORBIDDEN = re.compile(r"(?<![\w.])(eval|exec|sympify|parse_expr|compile)\s*\(|pickle\.loads?\(|yaml\.load\(|"
                       r"\bS\(\s*['\"]")


def code_lines(path: Path):
    for i, line in enumerate(path.read_text().splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("#") or stripped.startswith(('"""', "'''", ">>>")):
            continue
        yield i, line


def test_package_never_evaluates_text():
    hits = []
    for path in PACKAGE.rglob("*.py"):
        for i, line in code_lines(path):
            code = line.split("#", 1)[0]
            if FORBIDDEN.search(code) and "re.compile(" not in code:
                hits.append(f"{path.relative_to(PACKAGE)}:{i}: {line.strip()}")
    assert not hits, "\n".join(hits)


def test_lambdify_only_on_trusted_expressions():
    # lambdify compiles code: it may only see sympy objects vcbound built itself, never strings
    for path in PACKAGE.rglob("*.py"):
        for i, line in code_lines(path):
            if "lambdify(" in line.split("#", 1)[0]:
                assert not re.search(r"lambdify\(\s*['\"]|lambdify\([^,]*,\s*['\"]", line), \
                    f"{path}:{i} lambdify on a string"


INJECTIONS = [
    "input(__import__('os').system('touch PWNED'))",
    "input(d) -> dense(__class__)",
    "input(d) -> dense(n, act=__import__)",
    "input({d}) -> dense(n)",
    "input(d) -> dense(n.__class__)",
    "input(d) -> dense(n, act=relu); import os",
    "input(d) -> dense(exec('1'))",
    "input(%s%s%s) -> dense(1)",
]


@pytest.mark.parametrize("text", INJECTIONS)
def test_injection_in_architecture_fails_cleanly(text, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(VcboundError) as info:
        vcbound.count(text)
    assert ":" in str(info.value).splitlines()[0]
    assert not (tmp_path / "PWNED").exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("at", ["n=__import__('os').system('touch PWNED')", "n=().__class__", "__x=1", "n=1;d=2"])
def test_injection_in_at_values(at, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "vcbound", "params", "input(d) -> dense(n)", "--at", at],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "PWNED").exists()


def test_injection_in_assumptions(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "vcbound", "bound", "input(d) -> dense(n, act=relu) -> dense(1)",
                           "--assume", "n >> __import__('os')"], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr


def test_malicious_theorem_file_is_reported_and_inert(tmp_path):
    bad = tmp_path / "evil2026x.toml"
    bad.write_text('''[source]
key = "evil2026x"
bibtex = """@misc{evil2026x, title = {x}, year = {2026}}"""
version = "x"
verification = "abstract"
read = "x"

[[result]]
id = "evil_upper"
locator = "UNVERIFIED"
statement = "x"
measure = "vc"
direction = "upper"
scope = "every"
form = "asymptotic"
bound = "__import__('os').system('touch PWNED')"
symbols = { W = "W" }
requires = { topology = "any", activation = "any" }
''')
    proc = subprocess.run([sys.executable, "-m", "vcbound", "theorems", "check", str(tmp_path)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2
    assert "evil2026x.toml" in proc.stdout + proc.stderr
    assert not (tmp_path / "PWNED").exists()
