"""Subcommands beyond ``params``: each parses its arguments and calls the library API.

In: argparse namespaces. Out: printed answers and an exit code. No logic lives here.
"""
from __future__ import annotations

from .cli import _EXTRA_COMMANDS


def _register(fn):
    _EXTRA_COMMANDS.append(fn)
    return fn
