"""Shared test helpers: running the real ``vcbound`` program in a subprocess.

``vcbound_cli(*args)`` runs the installed console script (the one next to this interpreter),
``vcbound_module(*args)`` runs ``python -m vcbound``; both return a ``CompletedProcess`` with text
stdout/stderr. ``vcbound_bounded(*args)`` runs ``python -m vcbound`` in a sandbox (its own HOME,
cache and working directory under ``tmp_path``, an address-space limit and a timeout) and also
reports the child's peak memory and every file it wrote outside its cache directory.
Tests that only need the exit code and output in-process call ``vcbound.cli.main``.
"""
from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

# The content-hash stamps of validated theorem files (theorems._stamps) go to a directory of this
# test session, never the user's cache: tests load generated theorem files by the thousand.
os.environ["XDG_CACHE_HOME"] = _CACHE = tempfile.mkdtemp(prefix="vcbound-test-cache-")
atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)


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


# A hostile input must be refused long before these; they only keep a regression from taking the
# machine down with it (address space, not resident memory: the interpreter maps far more than it uses).
ADDRESS_SPACE_LIMIT = 2 * 1024 ** 3
HANG_TIMEOUT = 60


@dataclass
class BoundedRun:
    """What a sandboxed ``python -m vcbound`` did."""

    returncode: int | None       # None: killed after HANG_TIMEOUT seconds
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float               # peak resident memory of the child (inf if it could not say)
    written: list                # files created or changed under the sandbox, outside the cache

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


# The child measures its own peak: the resident high-water mark of the process after exec
# (/proc/self/status VmHWM). rusage from wait4 would not do: a child forked from pytest starts with
# pytest's pages, and Linux keeps that high-water mark across exec.
_CHILD = """
import atexit, os, resource, runpy, sys
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))

def _peak():
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        with open("/proc/self/status") as fh:
            kb = int(next(line for line in fh if line.startswith("VmHWM:")).split()[1])
    except (OSError, StopIteration, ValueError):
        pass
    with open(os.environ["VCBOUND_TEST_PEAK_FILE"], "w") as fh:
        fh.write(str(kb))

atexit.register(_peak)
sys.argv[0] = "vcbound"
runpy.run_module("vcbound", run_name="__main__", alter_sys=True)
"""


def _files(root: Path) -> dict:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in root.rglob("*") if p.is_file() and not p.is_symlink()}


@pytest.fixture(scope="session")
def matplotlib_config(tmp_path_factory):
    """One matplotlib config and font-cache directory for every sandboxed run: matplotlib builds
    its font cache (~4 s) in a new one, which a HOME per test made every plot test do again."""
    return tmp_path_factory.mktemp("matplotlib")


@pytest.fixture
def vcbound_bounded(tmp_path, matplotlib_config):
    """Run ``python -m vcbound`` in ``tmp_path/work`` with HOME and XDG dirs under ``tmp_path``
    (matplotlib's own cache directory is shared, outside the sandbox)."""
    sandbox = tmp_path / "sandbox"
    work, home, cache = sandbox / "work", sandbox / "home", sandbox / "cache"
    for d in (work, home, cache):
        d.mkdir(parents=True, exist_ok=True)

    peak_file = tmp_path / "peak-kb.txt"

    def run(*args, env=None, input=None) -> BoundedRun:
        environ = dict(os.environ, HOME=str(home), XDG_CACHE_HOME=str(cache), XDG_DATA_HOME=str(home / "data"),
                       VCBOUND_TEST_PEAK_FILE=str(peak_file), MPLCONFIGDIR=str(matplotlib_config))
        environ.update(env or {})
        peak_file.unlink(missing_ok=True)
        before = _files(sandbox)
        child = _CHILD.format(limit=ADDRESS_SPACE_LIMIT)
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            start = time.perf_counter()
            proc = subprocess.Popen([sys.executable, "-c", child, *map(str, args)], cwd=work, env=environ,
                                    stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                                    stdout=out, stderr=err)
            if input is not None:
                proc.stdin.write(input.encode())
                proc.stdin.close()
            timer = threading.Timer(HANG_TIMEOUT, proc.kill)
            timer.start()
            try:
                _, status = os.waitpid(proc.pid, 0)
            finally:
                timer.cancel()
            seconds = time.perf_counter() - start
            proc.returncode = None if os.WIFSIGNALED(status) else os.waitstatus_to_exitcode(status)
            out.seek(0), err.seek(0)
            stdout = out.read().decode("utf-8", "replace")
            stderr = err.read().decode("utf-8", "replace")
        after = _files(sandbox)
        written = sorted(p for p, v in after.items() if before.get(p) != v and not p.startswith("cache/"))
        peak_kb = int(peak_file.read_text()) if peak_file.exists() else float("inf")
        return BoundedRun(proc.returncode, stdout, stderr, seconds, peak_kb / 1024, written)

    return run
