"""The README's examples are what the program prints (each is marked with an HTML comment)."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from vcbound.cli import main

README = Path(__file__).resolve().parent.parent / "README.md"
EXAMPLE = re.compile(r"<!-- example: (?P<cmd>.+?) -->\n```text\n\$ (?P=cmd)\n(?P<out>.*?)\n```", re.S)


def examples():
    found = [(m.group("cmd"), m.group("out")) for m in EXAMPLE.finditer(README.read_text())]
    assert len(found) >= 3, "the README lost its worked examples"
    return found


@pytest.mark.parametrize("cmd, expected", examples())
def test_readme_example_matches_output(cmd, expected, capsys, monkeypatch):
    monkeypatch.chdir(README.parent)        # file arguments in the examples are relative to the repository
    argv = shlex.split(cmd)
    assert argv[0] == "vcbound"
    assert main(argv[1:]) == 0
    assert capsys.readouterr().out.rstrip("\n") == expected


def test_readme_setup_is_what_ci_runs():
    ci = (README.parent / ".ci" / "run").read_text()
    text = README.read_text()
    install = re.search(r"```sh\n(.+?)\n(.+?)\n```", text)
    assert install, "README setup block missing"
    first, second = install.group(1), install.group(2)
    assert first in ci.splitlines()
    assert second in ci.splitlines()
