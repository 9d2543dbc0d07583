"""Shared test helpers: running the real ``vcbound`` program in a subprocess.

``vcbound_cli(*args)`` runs the installed console script (the one next to this interpreter),
``vcbound_module(*args)`` runs ``python -m vcbound``; both return a ``CompletedProcess`` with text
stdout/stderr. Tests that only need the exit code and output in-process call ``vcbound.cli.main``.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def console_script() -> str:
    """The ``vcbound`` entry point installed for this interpreter (not a shim for another one)."""
    here = Path(sys.executable).parent / "vcbound"
    if here.is_file():
        return str(here)
    found = shutil.which("vcbound")
    assert found, "the vcbound console script is not installed (pip install -e .)"
    return found


def _run(argv, cwd=None, timeout=60, input=None):
    return subprocess.run(argv, capture_output=True, text=True, cwd=cwd, timeout=timeout, input=input)


@pytest.fixture
def vcbound_cli():
    """Run the installed ``vcbound`` console script: ``vcbound_cli("params", arch, cwd=...)``."""
    script = console_script()

    def run(*args, cwd=None, timeout=60):
        return _run([script, *map(str, args)], cwd=cwd, timeout=timeout)

    return run


@pytest.fixture
def vcbound_module():
    """Run ``python -m vcbound`` with this interpreter."""

    def run(*args, cwd=None, timeout=60):
        return _run([sys.executable, "-m", "vcbound", *map(str, args)], cwd=cwd, timeout=timeout)

    return run
