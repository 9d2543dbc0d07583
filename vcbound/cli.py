"""The ``vcbound`` command line: a thin shell over the library API (no logic of its own).

In: ``sys.argv``. Out: text/JSON/LaTeX on stdout; exit code 0 for an answer, 1 for a usage or
input error (a one-line ``file:line:col: message`` with a caret, never a traceback), 2 for a
theorem-base error. ``--debug`` re-raises errors with their traceback.

Each subcommand is a ``cmd_<name>(args)`` function registered in ``build_parser``.
"""
from __future__ import annotations

import argparse
import json
import sys

from .errors import UsageError, VcboundError

EXAMPLE = "input(d, seq=T) -> lstm(n)^L -> last -> dense(1, act=sigmoid)"


class _Parser(argparse.ArgumentParser):
    """argparse that raises UsageError instead of printing usage and exiting with 2."""

    def error(self, message):
        raise UsageError(f"{self.prog}: {message}")


def _arch_arg(p):
    p.add_argument("arch", metavar="ARCH", help="architecture text, or a path to a .arch file")


def _common(p):
    p.add_argument("--convention", default="torch", choices=["torch", "keras", "textbook"],
                   help="parameter-counting convention (default: torch)")
    p.add_argument("--at", default="", metavar="n=5,d=7", help="bind symbols to numbers")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="vcbound", description="Cited bounds on the VC dimension of neural architectures.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument("--theorems", action="append", default=[], metavar="DIR",
                        help="add a directory of user theorem files (repeatable; also $VCBOUND_THEOREMS)")
    parser.add_argument("--version", action="version", version="vcbound 0.1.0")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    p = sub.add_parser("params", help="exact symbolic parameter and unit counts")
    _arch_arg(p)
    _common(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_params)

    for register in _EXTRA_COMMANDS:
        register(sub)
    return parser


# other modules add subcommands by appending a function(subparsers) here (see below)
_EXTRA_COMMANDS: list = []


def load_arch(arg: str):
    from .api import parse
    from .sources import read_source
    text, filename = read_source(arg)
    return parse(text, filename)


def bindings_from(args, quantities=None) -> dict:
    from .expressions import parse_bindings
    if not args.at:
        return {}
    bindings = parse_bindings(args.at)
    if quantities is not None:
        from .api import check_bindings
        check_bindings(bindings, quantities.symbols(), args.at)
    return bindings


def cmd_params(args) -> int:
    from .api import count
    from .render import params_json, params_text
    q = count(load_arch(args.arch), args.convention)
    bindings = bindings_from(args, q)
    for name, value in bindings.items():   # every symbol of an architecture is a count
        if not getattr(value, "is_Integer", False):
            raise UsageError(f"--at: {name} counts layers, units or steps and must be a whole number, got {value}")
    if args.json:
        print(json.dumps(params_json(q, bindings), indent=2))
    else:
        print(params_text(q, bindings))
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    debug = "--debug" in argv
    streams = sys.stdout, sys.stderr
    from .render.terminal import SafeStream
    # every line printed may echo user text: control characters in it must not reach the terminal
    sys.stdout, sys.stderr = SafeStream(streams[0]), SafeStream(streams[1])
    try:
        _register_all()
        parser = build_parser()
        args = parser.parse_args(argv)
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


def _register_all():
    """Import the modules that contribute subcommands (each appends to _EXTRA_COMMANDS once)."""
    if _EXTRA_COMMANDS:
        return
    from . import commands  # noqa: F401  (registers bound, explain, theorems, compare, sweep, repl)
