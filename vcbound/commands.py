"""The subcommands of ``vcbound``: each registers its arguments and calls the library API.

In: argparse namespaces. Out: printed answers and an exit code. No logic lives here.
"""
from __future__ import annotations

import argparse
import json

from .errors import UsageError

# every subcommand's register function(subparsers), in the order of ``vcbound --help``
COMMANDS: list = []


def _register(fn):
    COMMANDS.append(fn)
    return fn


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


def load_arch(arg: str):
    from .api import parse
    from .sources import read_source
    text, filename = read_source(arg)
    return parse(text, filename)


def bindings_from(args, quantities=None) -> dict:
    from .expressions import check_bindings, parse_bindings
    if not args.at:
        return {}
    bindings = parse_bindings(args.at)
    if quantities is not None:
        check_bindings(bindings, quantities.symbols(), args.at)
    return bindings


def cmd_params(args) -> int:
    from .api import count
    q = count(load_arch(args.arch), args.convention)
    bindings = bindings_from(args, q)
    for name, value in bindings.items():   # every symbol of an architecture is a count
        if not getattr(value, "is_Integer", False):
            raise UsageError(f"--at: {name} counts layers, units or steps and must be a whole number, got {value}")
    return print_results(args, [q], bindings)


@_register
def register_params(sub):
    p = sub.add_parser("params", help="exact symbolic parameter and unit counts")
    _arch_arg(p)
    _common(p)
    add_format_options(p, ("text", "json", "markdown", "latex", "csv"))
    p.set_defaults(func=cmd_params)


# ---- bound / explain ------------------------------------------------------------------------
def _bound_args(p):
    _arch_arg(p)
    _common(p)
    p.add_argument("--measure", default="vc",
                   help="vc | pdim | growth | sample (both sample measures) | sample_realizable | sample_agnostic")
    p.add_argument("--assume", action="append", default=[], metavar='"T >> n"',
                   help="an assumption on the regime: 'x >> y', 'x = expr' (repeatable)")
    add_format_options(p, ("text", "json", "latex", "bibtex", "markdown"))
    p.add_argument("--standalone", action="store_true", help="with --format latex: a complete document")
    p.add_argument("--all", action="store_true",
                   help="with --format latex|bibtex: also list (and cite) the results that did not apply")


def _measures(name: str) -> list[str]:
    return ["sample_realizable", "sample_agnostic"] if name == "sample" else [name]


def resolutions_for(args) -> list:
    """Resolve every requested measure for the command-line arguments."""
    from .resolver import bound
    from .theorems import load_theorems
    arch = load_arch(args.arch)
    bindings_from(args)              # --at is checked like everywhere else, never silently ignored
    base = load_theorems(args.theorems)
    _warn_user_problems(base)
    resolutions = [bound(arch, m, assume=args.assume, convention=args.convention, base=base)
                   for m in _measures(args.measure)]
    bindings_from(args, resolutions[0].quantities)
    return resolutions


def _warn_user_problems(base):
    import sys
    for p in getattr(base, "problems", []):
        print(f"warning: {p} (file skipped)", file=sys.stderr)


def _print_resolutions(args, resolutions, explain: bool):
    fmt = args.format
    if fmt == "json":
        from .render.jsonout import resolution_json
        out = [resolution_json(r) for r in resolutions]
        print(json.dumps(out[0] if len(out) == 1 else out, indent=2))
    elif fmt == "text":
        from .render.text import resolution_text
        print("\n\n".join(resolution_text(r, explain=explain) for r in resolutions))
    else:
        from . import render
        printer = getattr(render, f"resolutions_{fmt}")
        extra = {"misses": args.all} if fmt in ("latex", "bibtex") else {}
        print(printer(resolutions, explain=explain, standalone=args.standalone, **extra))
    return 0


@_register
def register_bound(sub):
    p = sub.add_parser("bound", help="best cited upper and lower bounds")
    _bound_args(p)
    p.set_defaults(func=lambda args: _print_resolutions(args, resolutions_for(args), explain=False))
    p = sub.add_parser("explain", help="the full derivation tree with citations")
    _bound_args(p)
    p.set_defaults(func=lambda args: _print_resolutions(args, resolutions_for(args), explain=True))


# ---- theorems list / show / check ------------------------------------------------------------
def _theorem_dirs(args) -> list:
    return list(getattr(args, "theorems", None) or []) + list(getattr(args, "theorems_local", None) or [])


def cmd_theorems(args) -> int:
    from .render import theorems as tr
    from .theorems import MEASURES, DIRECTIONS, check, load_theorems
    action = getattr(args, "action", None) or "list"
    dirs = _theorem_dirs(args)
    if action == "check":
        if args.paths:
            from .paths import theorems_dir
            report = check(args.paths, context=[theorems_dir(), *dirs])
        else:
            from .theorems import user_paths
            from .paths import theorems_dir
            report = check([theorems_dir(), *user_paths(dirs, use_env=True)])
        if report.ok:
            # only a base without file problems is resolved: canonical networks, every conflict
            from .audit import canonical_conflicts
            report.problems.extend(canonical_conflicts(list(args.paths or []) + list(dirs)))
        for p in report.problems:
            print(tr.problem_line(p))
        if report.ok:
            print(report.summary())
            return 0
        import sys
        print(report.summary(), file=sys.stderr)
        return 2
    base = load_theorems(dirs)
    _warn_user_problems(base)
    if action == "show":
        from .theorems import Result
        item = base.by_id(args.id)
        print(tr.result_text(item) if isinstance(item, Result) else tr.lemma_text(item))
        return 0
    measure = getattr(args, "measure", None)
    direction = getattr(args, "direction", None)
    activation = getattr(args, "activation", None)
    from .classes import CLASS_CLOSURE
    from .errors import did_you_mean
    if measure and measure not in MEASURES:
        raise UsageError(f"unknown measure '{measure}' {did_you_mean(measure, MEASURES, 'measure')}")
    if direction and direction not in DIRECTIONS:
        raise UsageError(f"unknown direction '{direction}' {did_you_mean(direction, DIRECTIONS, 'x')}")
    if activation and activation not in CLASS_CLOSURE:
        raise UsageError(f"unknown activation or class '{activation}' "
                         f"{did_you_mean(activation, CLASS_CLOSURE, 'class')}")
    results = [r for r in base.results
               if (not measure or r.measure == measure)
               and (not direction or r.direction == direction)
               and (not activation or r.activation in CLASS_CLOSURE[activation])]
    print(tr.results_table(results))
    if not (measure or direction or activation) and base.all_lemmas:
        print()
        print(tr.lemmas_table(base.all_lemmas))
    return 0


@_register
def register_theorems(sub):
    p = sub.add_parser("theorems", help="list, show and check the theorem base",
                       description="List, show and check the theorem base (theorems/*.toml and user "
                                   "directories from --theorems and $VCBOUND_THEOREMS).")
    p.set_defaults(func=cmd_theorems, action=None)
    tsub = p.add_subparsers(dest="action", parser_class=_Parser, metavar="ACTION")

    def local_dirs(q):
        q.add_argument("--theorems", dest="theorems_local", action="append", default=[], metavar="DIR",
                       help="add a directory of user theorem files (repeatable)")

    q = tsub.add_parser("list", help="a table of the results (default action)")
    q.add_argument("--measure", help="vc | pdim | growth | sample_realizable | sample_agnostic")
    q.add_argument("--direction", help="upper | lower | exact")
    q.add_argument("--activation", metavar="A",
                   help="results that apply to activation or class A through the class lattice "
                        "(e.g. relu shows piecewise_linear and piecewise_polynomial results)")
    local_dirs(q)
    q.set_defaults(func=cmd_theorems)
    q = tsub.add_parser("show", help="one result or lemma in full, with its BibTeX")
    q.add_argument("id", metavar="ID")
    local_dirs(q)
    q.set_defaults(func=cmd_theorems)
    q = tsub.add_parser("check", help="validate theorem files and report every problem (exit 2 if any)")
    q.add_argument("paths", nargs="*", metavar="DIR_OR_FILE",
                   help="files or directories to check (default: the built-in base and user directories)")
    local_dirs(q)
    q.set_defaults(func=cmd_theorems)


# ---- repl ------------------------------------------------------------------------------------
@_register
def register_repl(sub):
    p = sub.add_parser("repl", help="interactive shell (let, bound, explain, compare, assume, eval, ...)",
                       description="Interactive shell with history, completion and syntax checking. "
                                   "Type 'help' at the prompt for its commands.")
    p.add_argument("-e", "--execute", action="append", default=[], metavar="COMMAND",
                   help="run one REPL command and exit (repeatable; e.g. -e 'bound input(d) -> dense(1)')")
    p.add_argument("--convention", default="torch", choices=["torch", "keras", "textbook"],
                   help="parameter-counting convention (default: torch)")

    def run(args):
        from .repl import main
        return main(args)

    p.set_defaults(func=run)


# ---- compare / growth / eval / sweep (library: vcbound.comparison, vcbound.evaluate, vcbound.sweeps) ------------
def _load_base(args):
    from .theorems import load_theorems
    base = load_theorems(args.theorems)
    _warn_user_problems(base)
    return base


def _sample_args(p):
    p.add_argument("--eps", metavar="0.05", help="accuracy for sample complexity (a number in (0, 1))")
    p.add_argument("--delta", metavar="0.01", help="confidence for sample complexity (a number in (0, 1))")
    p.add_argument("--m", metavar="M", help="sample size m for the growth function")


def _measure_list(args, default: str = "vc") -> list[str]:
    name = args.measure or default
    return _measures(name)


def _print_json(obj):
    print(json.dumps(obj, indent=2))


def cmd_compare(args) -> int:
    from .comparison import compare
    base = _load_base(args)
    if args.budget:
        from .tradeoff import compare_at_budget
        outs = [compare_at_budget(args.arch_a_text, args.arch_b_text, args.budget, at=args.at or None,
                                  measure=m, assume=args.assume, convention=args.convention, base=base,
                                  eps=args.eps, delta=args.delta, m=args.m) for m in _measure_list(args)]
        return print_results(args, outs)
    outs = [compare(args.arch_a_text, args.arch_b_text, measure=m, assume=args.assume,
                    convention=args.convention, base=base) for m in _measure_list(args)]
    return print_results(args, outs)


def _arch_texts(args, *names):
    from .sources import read_source
    for name in names:
        text, _filename = read_source(getattr(args, name))
        setattr(args, name + "_text", text)


@_register
def register_compare(sub):
    p = sub.add_parser("compare", help="which of two architectures has the larger bounds, in which regime",
                       description="Compare the best upper and lower bounds of two architectures written in "
                                   "the same symbols (n, L, T, d mean the same in both).")
    p.add_argument("arch_a", metavar="ARCH_A", help="architecture text, or a path to a .arch file")
    p.add_argument("arch_b", metavar="ARCH_B", help="architecture text, or a path to a .arch file")
    p.add_argument("--convention", default="torch", choices=["torch", "keras", "textbook"])
    p.add_argument("--measure", default="vc", help="vc | pdim | growth | sample | sample_realizable | sample_agnostic")
    p.add_argument("--assume", action="append", default=[], metavar='"T >> n"',
                   help="an assumption on the regime (repeatable)")
    add_format_options(p, ("text", "json", "markdown", "latex"))
    p.add_argument("--budget", metavar="W=100000",
                   help="compare the two families at the same parameter count: each at its largest width within it")
    p.add_argument("--at", default="", metavar="d=8,T=50", help="with --budget: values of the other symbols")
    _sample_args(p)

    def run(args):
        _arch_texts(args, "arch_a", "arch_b")
        if not args.budget and (args.at or args.eps or args.delta or args.m):
            raise UsageError("--at, --eps, --delta and --m go with --budget (compare is asymptotic otherwise)")
        return cmd_compare(args)
    p.set_defaults(func=run)


def cmd_growth(args) -> int:
    from .comparison import growth_report
    from .render.comparison import growth_text
    from .resolver import bound
    base = _load_base(args)
    arch = load_arch(args.arch)
    reports = [growth_report(bound(arch, m, assume=args.assume, convention=args.convention, base=base),
                             at=args.at or None, eps=args.eps, delta=args.delta, m=args.m)
               for m in _measure_list(args)]
    return print_results(args, reports, text=growth_text)


def _print_many(items, as_json: bool, to_json, to_text) -> int:
    """``print_results`` with explicit converters (for commands that have their own)."""
    import argparse
    if as_json:
        return print_results(argparse.Namespace(format="json"), [to_json(i) for i in items])
    return print_results(argparse.Namespace(format="text"), items, text=to_text)


# ---- output: one --format / --json mechanism for every command ----------------------------------
def add_format_options(p, formats=("text", "json"), default: str = "text") -> None:
    """``--format`` with the formats that make sense for a command, and ``--json`` as its alias.

    A command prints through ``print_results``; a result class shows a format when
    ``vcbound.render.reprs`` registers a renderer for it (``text``, ``json``, ``markdown``,
    ``latex``, ``csv``, ...). ``args.json`` stays true for ``--format json`` (see ``cli.main``)."""
    p.add_argument("--format", default=default, choices=list(formats),
                   help=f"output format: {' | '.join(formats)} (default: {default})")
    p.add_argument("--json", dest="format", action="store_const", const="json", help="same as --format json")


def print_results(args, items, *render_args, text=None) -> int:
    """Print ``items`` (one per measure) in ``args.format``: JSON as one object (a list when several),
    CSV concatenated, anything else separated by a blank line. ``render_args`` go to the renderers
    (e.g. the ``--at`` bindings); ``text`` overrides the text renderer (for plain dicts)."""
    from .presentation import formatter
    fmt = args.format

    def render(item):
        if fmt == "text" and text is not None:
            return text(item, *render_args)
        fn = None if isinstance(item, dict) else formatter(item, fmt)
        if fn is not None:
            return fn(item, *render_args)
        if fmt == "json":
            return item.to_json() if hasattr(item, "to_json") else item
        if fmt == "text":
            return str(item)
        raise UsageError(f"--format {fmt} is not available for {type(item).__name__}")

    outs = [render(i) for i in items]
    if fmt == "json":
        _print_json(outs[0] if len(outs) == 1 else outs)
    elif fmt == "csv":
        print("\n".join(o.rstrip("\n") for o in outs))
    else:
        print("\n\n".join(outs))
    return 0


@_register
def register_growth(sub):
    p = sub.add_parser("growth", help="growth exponents per symbol of the best bounds; elasticities with --at",
                       description="Per symbol, the exponent of the dominant term of the best upper and lower "
                                   "bound (logs shown); with --at binding every symbol, the elasticity "
                                   "d log f / d log x of each route's exact bound at that point.")
    _resolution_args(p, "vc", "vc | pdim | growth | sample | sample_realizable | sample_agnostic")
    p.set_defaults(func=cmd_growth)


def _resolution_args(p, measure_default, measure_help, formats=("text", "json")):
    """ARCH, convention/--at, --measure, --assume, the sample-size options and --format/--json."""
    _arch_arg(p)
    _common(p)
    p.add_argument("--measure", default=measure_default, help=measure_help)
    p.add_argument("--assume", action="append", default=[], metavar='"T >> n"')
    _sample_args(p)
    add_format_options(p, formats)


def cmd_eval(args) -> int:
    from .evaluate import evaluate
    from .resolver import bound
    base = _load_base(args)
    arch = load_arch(args.arch)
    if args.measure == "generalization" or args.weights:
        return _eval_generalization(args, arch, base)
    if args.format in ("markdown", "latex"):
        raise UsageError(f"--format {args.format} goes with --measure generalization; the other measures of eval "
                         "print text or json (bound and explain give markdown and latex)")
    if args.measure:
        measures = _measures(args.measure)
    else:
        measures = ["vc"] + (["sample_realizable", "sample_agnostic"] if args.eps and args.delta else [])
    evs = [evaluate(bound(arch, m, assume=args.assume, convention=args.convention, base=base), args.at,
                    eps=args.eps, delta=args.delta, m=args.m, base=base) for m in measures]
    return print_results(args, evs)


def _eval_generalization(args, arch, base) -> int:
    from .errors import UsageError
    from .generalization import evaluate_generalization
    from .resolver import bound
    if args.measure not in (None, "generalization"):
        raise UsageError(f"--weights goes with --measure generalization, not --measure {args.measure}")
    if not args.weights:
        raise UsageError("--measure generalization needs --weights FILE (.npz, .safetensors, or .pt with torch)")
    res = bound(arch, "generalization", assume=args.assume, convention=args.convention, base=base)
    report = evaluate_generalization(res, args.weights, margin=args.margin, m=args.m, delta=args.delta,
                                     input_norm=args.input_norm, at=args.at or None, data=args.data or None)
    return print_results(args, [report])


@_register
def register_eval(sub):
    p = sub.add_parser("eval", help="numbers from the bounds with published constants, at a point",
                       description="Evaluate every applicable bound at a point. Results stated with explicit "
                                   "constants give numbers; results stated only up to constants say "
                                   "'no published constant'. With --eps and --delta, also the sample sizes.")
    _resolution_args(p, None, "vc | pdim | growth | sample | sample_realizable | sample_agnostic | generalization "
                              "(default: vc, and both sample measures when --eps and --delta are given)",
                     # markdown and latex: the norm-based report of --measure generalization
                     formats=("text", "json", "markdown", "latex"))
    p.add_argument("--weights", metavar="FILE", help="with --measure generalization: the trained weights "
                   "(.npz, .safetensors; .pt with torch installed); names as in `params --json`")
    p.add_argument("--margin", metavar="G", help="with --measure generalization: the margin gamma")
    p.add_argument("--input-norm", dest="input_norm", metavar="B",
                   help="with --measure generalization: a bound B on the Euclidean norm of every input")
    p.add_argument("--data", metavar="NAME=V,...",
                   help="with --measure generalization: statistics of the training sample a bound needs "
                        "(x_frob, x_l1, lambda_min, fisher_rao; see theorems/README.md)")
    p.set_defaults(func=cmd_eval)


def cmd_sweep(args) -> int:
    from .sweeps import sweep
    base = _load_base(args)
    arch = load_arch(args.arch)
    measures = _measure_list(args)
    if args.plot and len(measures) > 1:
        raise UsageError("--plot takes one measure; use --measure sample_realizable or sample_agnostic")
    results = [sweep(arch, args.vary, at=args.at or None, measure=m, assume=args.assume,
                     convention=args.convention, base=base, eps=args.eps, delta=args.delta, m=args.m,
                     only=args.only or None) for m in measures]
    if args.plot:
        results[0].plot(args.plot)
    if args.format == "table":          # the name this command used before --format text
        args.format = "text"
    print_results(args, results)
    if args.plot:
        import sys
        print(f"wrote {args.plot}", file=sys.stderr)
    return 0


def cmd_tradeoff(args) -> int:
    from .tradeoff import tradeoff
    base = _load_base(args)
    arch = load_arch(args.arch)
    if len(args.vary) != 1:
        raise UsageError("tradeoff needs exactly one --vary NAME=a..b (the symbol traded against the width)")
    t = tradeoff(arch, args.budget, args.vary, solve=args.solve, at=args.at or None, measure=args.measure,
                 assume=args.assume, convention=args.convention, base=base, eps=args.eps, delta=args.delta,
                 m=args.m)
    if args.plot:
        t.plot(args.plot)
    print_results(args, [t])
    if args.plot:
        import sys
        print(f"wrote {args.plot}", file=sys.stderr)
    return 0


@_register
def register_tradeoff(sub):
    p = sub.add_parser("tradeoff", help="at a fixed parameter budget: the largest width for each depth, and "
                                        "every bound there",
                       description="For each value of the varied symbol, the largest integer width whose exact "
                                   "parameter count is within the budget, and every bound: its value where the "
                                   "constants are published, otherwise its shape (ratio to the first row).")
    _arch_arg(p)
    _common(p)
    p.add_argument("--budget", required=True, metavar="W=100000", help="the parameter budget (exact count)")
    p.add_argument("--vary", action="append", default=[], metavar="L=1..8",
                   help="the symbol traded against the width and its values: NAME=a..b or NAME=v1,v2,...")
    p.add_argument("--solve", metavar="n", help="the width symbol (default: the only other free size)")
    p.add_argument("--measure", default="vc", help="vc | pdim | growth | sample_realizable | sample_agnostic")
    p.add_argument("--assume", action="append", default=[], metavar='"T >> n"')
    _sample_args(p)
    add_format_options(p, ("text", "csv", "json", "markdown", "latex"))
    p.add_argument("--plot", metavar="OUT.png", help="write the width and the bounds against the varied symbol")
    p.set_defaults(func=cmd_tradeoff)


@_register
def register_sweep(sub):
    p = sub.add_parser("sweep", help="parameter count and explicit bounds over a grid (csv, json, table, plot)",
                       description="Evaluate the parameter count and every applicable bound with published "
                                   "constants over a grid of symbol values, vectorised.")
    _arch_arg(p)
    _common(p)
    p.add_argument("--vary", action="append", default=[], metavar="L=1..8",
                   help="a symbol and its values: NAME=a..b, NAME=a..b:step or NAME=v1,v2,... (repeatable)")
    p.add_argument("--measure", default="vc", help="vc | pdim | growth | sample_realizable | sample_agnostic")
    p.add_argument("--assume", action="append", default=[], metavar='"T >> n"')
    _sample_args(p)
    p.add_argument("--only", action="append", default=[], metavar="RESULT_ID",
                   help="evaluate only this result (repeatable)")
    add_format_options(p, ("text", "table", "csv", "json", "markdown", "latex"))
    p.add_argument("--plot", metavar="OUT.png", help="write log-log curves (one varied symbol) or heatmaps (two)")
    p.set_defaults(func=cmd_sweep)


# ---- import (vcbound.importers) ------------------------------------------------------------------
def cmd_import(args) -> int:
    from .importers import import_file
    return print_results(args, [import_file(args.file)])


@_register
def register_import(sub):
    p = sub.add_parser("import", help="architecture text from an ONNX, Keras JSON or .keras model file",
                       description="Read a model file (ONNX needs the onnx extra; Keras to_json() files and "
                                   ".keras archives are read as JSON) and print its architecture text, "
                                   "which you can edit and pass as ARCH. A model file can also be given "
                                   "directly as ARCH to any command.")
    p.add_argument("file", metavar="FILE", help="model.onnx, model.json (Keras to_json) or model.keras")
    add_format_options(p)
    p.set_defaults(func=cmd_import)
