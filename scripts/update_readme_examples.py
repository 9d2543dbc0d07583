"""Re-run every README example (``<!-- example: CMD -->`` blocks) and write its current output.

In: README.md. Out: README.md with each example's output block replaced by what ``vcbound`` prints now.
Run from the repository root (file arguments in the examples are relative to it) after a change that is
meant to alter output, then read ``git diff README.md``: tests/test_readme.py checks the same blocks.
"""
from __future__ import annotations

import contextlib
import io
import re
import shlex
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from test_readme import EXAMPLE, README  # noqa: E402  (one definition of what an example block is)

from vcbound.cli import main  # noqa: E402


def current_output(cmd: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(shlex.split(cmd)[1:])
    if code != 0:
        raise SystemExit(f"example exited with {code}: {cmd}")
    return out.getvalue().rstrip("\n")


def main_() -> None:
    text = README.read_text()

    def replace(m: re.Match) -> str:
        cmd = m.group("cmd")
        return f"<!-- example: {cmd} -->\n```text\n$ {cmd}\n{current_output(cmd)}\n```"

    README.write_text(EXAMPLE.sub(replace, text))


if __name__ == "__main__":
    main_()
