"""No code execution from text: a scan of the package and injection attempts that must fail cleanly."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import vcbound
from vcbound.errors import VcboundError

PACKAGE = Path(vcbound.__file__).resolve().parent

# Names that turn text into code. They are found in the syntax tree of every module, so a call
# hidden after a docstring on the same line, inside a lambda, behind an alias or an attribute
# (``builtins.eval``, ``sp.sympify``) is found too; strings and comments that mention them are not.
EVALUATORS = {"eval", "exec", "compile", "__import__", "sympify", "parse_expr"}
UNPICKLERS = {("pickle", "load"), ("pickle", "loads"), ("marshal", "load"), ("marshal", "loads"),
              ("yaml", "load"), ("dill", "loads"), ("shelve", "open")}


def _dotted(node) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def _is_text(node) -> bool:
    return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str))


def code_that_evaluates_text(source: str, filename: str = "<source>") -> list[str]:
    """``file:line: what`` for every use of an evaluator in ``source`` (parsed, never run)."""
    hits = []
    for node in ast.walk(ast.parse(source, filename)):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Name) and node.id in EVALUATORS:
            hits.append(f"{filename}:{line}: {node.id}")
        elif isinstance(node, ast.Attribute) and node.attr in EVALUATORS:
            owner = _dotted(node.value)
            if node.attr == "compile" and owner in ("re", "regex"):          # a regular expression
                continue
            if node.attr in ("eval", "exec") and owner not in ("builtins", "__builtins__"):
                continue               # a method of that name (sympy's Poly.eval evaluates a polynomial)
            hits.append(f"{filename}:{line}: {_dotted(node)}")
        elif isinstance(node, ast.Attribute) and (_dotted(node.value), node.attr) in UNPICKLERS:
            hits.append(f"{filename}:{line}: {_dotted(node)}")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name.split(".")[-1] in EVALUATORS or (getattr(node, "module", None) or "", alias.name) \
                        in UNPICKLERS or alias.name in ("pickle", "marshal", "dill", "shelve"):
                    hits.append(f"{filename}:{line}: import {alias.name}")
        elif isinstance(node, ast.Call):
            name = _dotted(node.func).split(".")[-1]
            # the symbols and the expression: lambdify compiles them, S("...") parses text
            operands = list(node.args[:2]) + [k.value for k in node.keywords if k.arg in ("args", "expr")]
            if name in ("S", "lambdify") and any(_is_text(a) for a in operands):
                hits.append(f"{filename}:{line}: {name}(<text>)")
    return hits


def test_package_never_evaluates_text():
    hits = []
    for path in sorted(PACKAGE.rglob("*.py")):
        hits += code_that_evaluates_text(path.read_text(encoding="utf-8"), str(path.relative_to(PACKAGE)))
    assert not hits, "\n".join(hits)


@pytest.mark.parametrize("source", [
    'x = 1\neval(text)',
    '"""a docstring"""; eval(text)',                  # once skipped: the line starts with triple quotes
    '"""a docstring\n"""; exec(text)',
    '\'\'\'doc\'\'\' + str(eval(text))',
    'f = lambda t: __import__(t)',
    'import builtins\nbuiltins.eval(t)',
    'run = eval\nrun(t)',
    'from sympy import sympify as parse\nparse(t)',
    'import sympy as sp\nsp.sympify(t)',
    'from sympy.parsing.sympy_parser import parse_expr',
    'import pickle\npickle.loads(b)',
    'import sympy as sp\nsp.S("x + 1")',
    'import sympy as sp\nsp.lambdify(x, "x + 1")',
    'g = compile(t, "<t>", "exec")',
])
def test_the_scan_finds_evaluators_however_they_are_written(source):
    assert code_that_evaluates_text(source), source


@pytest.mark.parametrize("source", [
    'import re\nPAT = re.compile(r"x")',
    'value = poly.eval(3)',
    '"""Never use eval() or sympify on user text."""',
    '# eval(text) would be wrong here',
    'msg = "no eval, exec or sympify"',
    'import sympy as sp\nsp.S.Zero',
    'import sympy as sp\nf = sp.lambdify([x], expr, modules="numpy")',
])
def test_the_scan_ignores_text_that_only_mentions_them(source):
    assert code_that_evaluates_text(source) == [], source


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
