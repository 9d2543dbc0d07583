"""The ``vcbound`` command line: a thin shell over the library API (no logic of its own).

In: ``sys.argv``. Out: text/JSON/LaTeX on stdout; exit code 0 for an answer, 1 for a usage or
input error (a one-line ``file:line:col: message`` with a caret, never a traceback), 2 for a
theorem-base error. ``--debug`` re-raises errors with their traceback.

The subcommands live in ``vcbound.commands`` (each a ``cmd_<name>(args)`` with a ``register_<name>``
that adds its parser); this module builds the parser from them and maps errors to exit codes. The
dependency is one way: cli imports commands, never the reverse.
"""
from __future__ import annotations

import argparse
import sys

from .commands import COMMANDS, _Parser
from .errors import VcboundError

EXAMPLE = "input(d, seq=T) -> lstm(n)^L -> last -> dense(1, act=sigmoid)"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="vcbound", description="Cited bounds on the VC dimension of neural architectures.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument("--theorems", action="append", default=[], metavar="DIR",
                        help="add a directory of user theorem files (repeatable; also $VCBOUND_THEOREMS)")
    parser.add_argument("--version", action="version", version="vcbound 0.1.0")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    for register in COMMANDS:
        register(sub)
    for p in sub.choices.values():
        _global_options_after(p)
    return parser


def _global_options_after(p) -> None:
    """The global options are also accepted after the subcommand (``vcbound bound ARCH --theorems
    DIR``), on every level. Their defaults are suppressed there so that a value given before the
    subcommand is kept; ``main`` adds the directories given after it to those given before."""
    if "--debug" not in p._option_string_actions:
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks")
    if "--theorems" not in p._option_string_actions:
        p.add_argument("--theorems", dest="theorems_after", action="append", default=argparse.SUPPRESS,
                       metavar="DIR", help="add a directory of user theorem files (repeatable)")
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                _global_options_after(child)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    debug = "--debug" in argv
    streams = sys.stdout, sys.stderr
    from .render.terminal import SafeStream
    # every line printed may echo user text: control characters in it must not reach the terminal
    sys.stdout, sys.stderr = SafeStream(streams[0]), SafeStream(streams[1])
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        args.theorems = list(args.theorems) + list(getattr(args, "theorems_after", []))
        if hasattr(args, "format"):     # commands may test either (a --json of their own counts too)
            args.json = bool(getattr(args, "json", False)) or args.format == "json"
        if not getattr(args, "func", None):
            parser.print_help()
            return 1
        if args.command == "repl":     # the REPL filters its own output (its prompt has escapes)
            sys.stdout, sys.stderr = streams
        return args.func(args)
    except VcboundError as exc:
        if debug:
            raise
        print(str(exc), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except RecursionError:
        if debug:
            raise
        print("vcbound: input nested too deeply", file=sys.stderr)
        return 1
    finally:
        sys.stdout, sys.stderr = streams
