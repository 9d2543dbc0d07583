"""Progress of long computations (sweeps): a one-line bar on stderr.

In: the number of steps and each step as it is done. Out: a bar on stderr, only on a terminal and
only after a second, erased when the work ends.
"""
from __future__ import annotations

import sys
import time


class Progress:
    """A one-line progress bar on stderr, shown only after a second and only on a terminal."""

    def __init__(self, total: int, enabled: bool | None = None, label: str = "sweep"):
        self.total = max(1, total)
        self.done = 0
        self.start = time.monotonic()
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.label = label
        self.shown = False

    def step(self, n: int = 1):
        self.done += n
        if not self.enabled:
            return
        if self.shown or time.monotonic() - self.start > 1.0:
            self.shown = True
            frac = min(1.0, self.done / self.total)
            bar = "#" * int(30 * frac)
            _write(f"\r{self.label} [{bar:<30}] {100 * frac:5.1f}%")

    def close(self):
        if self.shown:
            _write("\r" + " " * 50 + "\r")


def _write(text: str) -> None:
    """The bar's carriage returns are its own: past the CLI's filter that shows control characters
    in user text as escapes (``render.terminal.SafeStream``)."""
    getattr(sys.stderr, "write_raw", sys.stderr.write)(text)
    sys.stderr.flush()
