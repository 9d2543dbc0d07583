"""The interactive shell (``vcbound repl``) and its one-shot form (``vcbound repl -e "COMMAND"``).

In: lines typed at a prompt_toolkit prompt, ``-e`` arguments, or lines on a non-terminal standard
input. Out: the same answers the CLI prints (text renderer, LaTeX renderer, parameter table) on the
session's output; errors as one red ``<repl>:line:col: message`` with the source line and a caret,
after which the session goes on.

Everything is a thin layer over the library API; the pieces are:

- ``COMMANDS``: the command registry, filled by the ``@command`` decorator; ``help`` is generated
  from it and completion of command names reads it;
- ``Session``: the state (``let`` names, accumulated ``assume`` conditions, the theorem base) and
  ``Session.run(text)``, the single code path for interactive input, ``-e`` and piped input;
- ``suggest(text_before_cursor, names=(), theorem_ids=())``: completion as a pure function, derived
  from the data tables (``graph.LAYERS``, ``graph.OPTION_NAMES``, ``classes.ACTIVATIONS``,
  ``resolver.MEASURES``); ``ReplCompleter`` only wraps it;
- ``ReplValidator``: before a line runs, an architecture argument is parsed and a syntax error
  puts the cursor on the offending column (lines that are not architecture commands pass);
- ``needs_more(text)``: a line ending in ``->`` (or ``,``, ``=``, an operator, or with an open
  parenthesis) continues on the next line.

User text never reaches ``eval``/``exec``/``sympify``: architectures go through ``graph.parse``,
expressions, conditions and bindings through ``vcbound.expressions``.
"""
from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .errors import EvaluationError, SourceError, UsageError, VcboundError, did_you_mean

PROMPT = "vcbound> "
CONTINUATION = "     ... "
FILENAME = "<repl>"
SAMPLE = "sample"


# --------------------------------------------------------------------------------------------
# command registry
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Command:
    """A REPL command: ``args`` says what its argument is (and so how it completes)."""

    name: str
    usage: str
    help: str
    func: Callable
    # none | arch | arch_at (ARCH [at n=5]) | arch_measure | two_arch | let | expr | assume | theorem | command
    args: str = "none"
    aliases: tuple = ()


COMMANDS: dict[str, Command] = {}
ALIASES: dict[str, str] = {}


def command(name: str, usage: str, help: str, args: str = "none", aliases: tuple = ()):
    """Register ``func(session, arg, start)`` as a REPL command (``start``: index of ``arg`` in the
    input, so that errors point into the line as typed)."""
    def deco(func):
        COMMANDS[name] = Command(name, usage, help, func, args, tuple(aliases))
        for a in aliases:
            ALIASES[a] = name
        return func
    return deco


def command_names() -> list[str]:
    return sorted(set(COMMANDS) | set(ALIASES))


# --------------------------------------------------------------------------------------------
# data tables (completion and validation derive from these; no second list)
# --------------------------------------------------------------------------------------------
def _layers() -> dict:
    from .graph import LAYERS
    return LAYERS


def _activations() -> list[str]:
    from .classes import ACTIVATIONS
    return sorted(ACTIVATIONS)


def _option_names() -> list[str]:
    from .graph import OPTION_NAMES
    return list(OPTION_NAMES)


def _measures() -> list[str]:
    from .resolver import MEASURES
    return [*MEASURES, SAMPLE]


def _option_values(kind: str) -> list[str]:
    from .graph import BOOL, CONVENTION, CONVENTIONS
    if kind == BOOL:
        return ["false", "true"]
    if kind == CONVENTION:
        return sorted(CONVENTIONS)
    return []


# --------------------------------------------------------------------------------------------
# pure helpers: continuation, words, completion
# --------------------------------------------------------------------------------------------
def _strip_comments(text: str) -> str:
    return "\n".join(line.split("#", 1)[0] for line in text.split("\n"))


def needs_more(text: str) -> bool:
    """Whether the input is unfinished and Enter should continue it on a new line:
    it ends with ``->``, ``,``, ``=`` or an arithmetic operator, or a parenthesis is still open."""
    t = _strip_comments(text).rstrip()
    if not t:
        return False
    if t.endswith(("->", ",", "=", "+", "-", "*", "/", "^")):
        return True
    return t.count("(") > t.count(")")


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")


def current_word(text_before_cursor: str) -> str:
    """The identifier being typed at the cursor (what a completion replaces)."""
    m = _WORD.search(text_before_cursor)
    return m.group() if m else ""


def _starting(word: str, choices) -> list[str]:
    return [c for c in choices if c.startswith(word)]


def suggest(text_before_cursor: str, names=(), theorem_ids=()) -> list[str]:
    """Completions for the text left of the cursor: each replaces ``current_word(text)``.

    ``names`` are the session's ``let`` names, ``theorem_ids`` the ids ``theorems ID`` accepts.

    >>> suggest("bou")
    ['bound']
    >>> suggest("bound input(d) -> dense(h, act=re")
    ['relu']
    >>> suggest("bound input(d) -> ls")
    ['lstm']
    """
    text = text_before_cursor
    stripped = text.lstrip()
    word = current_word(text)
    first = re.match(r"\S*", stripped).group()
    if len(first) == len(stripped):                      # still typing the command name
        return _starting(word, command_names()) if word == first else []
    name = ALIASES.get(first, first)
    cmd = COMMANDS.get(name)
    if cmd is None:
        # an architecture typed on its own runs `bound`
        return _arch_suggestions(stripped, word, names, measures=True) if first.split("(")[0] in _layers() else []
    rest = stripped[len(first):]
    if cmd.args == "command":
        return _starting(word, command_names()) if len(rest.split()) <= 1 else []
    if cmd.args == "theorem":
        return _starting(word, sorted(theorem_ids)) if len(rest.split()) <= 1 else []
    if cmd.args == "assume":
        return _starting(word, ["clear"]) if len(rest.split()) <= 1 and word == rest.strip() else []
    if cmd.args == "expr":
        return _starting(word, sorted(names)) if word else []
    if cmd.args == "let":
        if "=" not in rest:
            return []
        return _arch_suggestions(rest.split("=", 1)[1], word, (), measures=False)
    if cmd.args in ("arch", "arch_at", "arch_measure", "two_arch"):
        return _arch_suggestions(rest, word, names, measures=cmd.args == "arch_measure",
                                 many=cmd.args == "two_arch")
    return []


def _open_layer(before: str):
    """The innermost unclosed ``name(`` in ``before``: (layer name, text after its parenthesis),
    or None at the top level. Parentheses of a group ``(a -> b)^3`` have no name."""
    stack = []
    for i, ch in enumerate(before):
        if ch == "(":
            m = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*$", before[:i])
            stack.append((m.group(1) if m else None, i))
        elif ch == ")" and stack:
            stack.pop()
    for name, i in reversed(stack):
        if name is None:
            return None              # inside a group: top-level chain context
        if name in _layers():
            return name, before[i + 1:]
        # an activation's own parentheses (poly(2 ...) or an unknown name: keep looking outward
    return None


def _arch_suggestions(fragment: str, word: str, names, measures: bool, many: bool = False) -> list[str]:
    before = fragment[: len(fragment) - len(word)]
    layers = _layers()
    inside = _open_layer(before)
    if inside is not None:
        layer, args = inside
        depth, seg_start = 0, 0
        for i, ch in enumerate(args):       # the current argument: after the last top-level comma
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            elif ch == "," and depth == 0:
                seg_start = i + 1
        seg = args[seg_start:]
        if depth > 0:
            return []                       # inside poly(...) etc.: a size
        m = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*$", seg)
        if m:
            key = m.group(1)
            kind = layers[layer].options.get(key)
            if key == "act" or kind == "activation":
                return _starting(word, _activations())
            return _starting(word, _option_values(kind)) if kind else []
        if seg.strip() or (seg_start == 0 and layers[layer].positional):
            return []                       # a positional size is being typed
        used = set(re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*=", args))
        options = [o for o in _option_names() if o in layers[layer].options and o not in used]
        return [o + "=" for o in _starting(word, options)]
    b = before.rstrip()
    if not b or b.endswith(("->", "(")):
        out = _starting(word, sorted(layers))
        if not b and names:
            out = _starting(word, sorted(names)) + out
        return out
    if before and before[-1].isspace() or word:
        out = []
        if measures:
            out += _starting(word, _measures())
        if many and not word and names:
            out += sorted(names)
        if many and word:
            out += _starting(word, sorted(names)) + _starting(word, ["input"])
        if not word:
            out.append("->")
        return out
    return []


# --------------------------------------------------------------------------------------------
# the session
# --------------------------------------------------------------------------------------------
def history_path() -> Path | None:
    """``$XDG_DATA_HOME/vcbound/history`` (default ``~/.local/share/vcbound/history``); None when
    there is no home directory to keep it in."""
    from .paths import user_dir
    base = user_dir("XDG_DATA_HOME", os.path.join(".local", "share"))
    return None if base is None else base / "vcbound" / "history"


@dataclass
class _Assumption:
    text: str
    condition: object


class Session:
    """One REPL session: its names, assumptions and theorem base, and the output streams.

    ``run(text)`` executes one (possibly multi-line) input and returns True on success; an error
    is printed (red on a terminal) and never propagates unless ``debug``.
    """

    def __init__(self, out=None, err=None, theorem_dirs=(), convention: str = "torch",
                 color: bool | None = None, debug: bool = False):
        self.out = out or sys.stdout
        self.err = err or self.out
        self.theorem_dirs = list(theorem_dirs)
        self.convention = convention
        self.color = color
        self.debug = debug
        self.lets: dict = {}
        self.assumptions: list[_Assumption] = []
        self.done = False
        self.text = ""
        self._base = None

    # ---- output
    def echo(self, text: str = "") -> None:
        from .render.terminal import terminal_safe
        print(terminal_safe(text), file=self.out, flush=True)

    def error(self, text: str) -> None:
        from .render.terminal import terminal_safe
        use_color = self.color
        if use_color is None:
            use_color = bool(getattr(self.err, "isatty", lambda: False)()) and not os.environ.get("NO_COLOR")
        text = terminal_safe(text)
        print(f"\x1b[31m{text}\x1b[0m" if use_color else text, file=self.err, flush=True)

    # ---- state
    @property
    def base(self):
        if self._base is None:
            from .theorems import load_theorems
            self._base = load_theorems(self.theorem_dirs)
            for p in getattr(self._base, "problems", []):
                self.error(f"warning: {p} (file skipped)")
        return self._base

    def theorem_ids(self) -> list[str]:
        base = self.base
        return [r.id for r in base.results] + [lem.id for lem in base.all_lemmas]

    # ---- running
    def run(self, text: str) -> bool:
        """Run one input (the single code path of the prompt, ``-e`` and piped input)."""
        self.text = text
        body = _strip_comments(text)
        if not body.strip():
            return True
        lead = len(body) - len(body.lstrip())
        first = re.match(r"\S*", body[lead:]).group()
        name = ALIASES.get(first, first)
        cmd = COMMANDS.get(name)
        start = lead + len(first)
        try:
            if cmd is None:
                if first.split("(")[0] in _layers():
                    cmd, start = COMMANDS["bound"], lead       # an architecture on its own: bound it
                else:
                    raise UsageError(f"unknown command '{first}' "
                                     f"{did_you_mean(first, command_names(), 'command')}; type 'help'")
            cmd.func(self, body[start:], start)
            return True
        except VcboundError as exc:
            self.error(str(exc))
            return False
        except KeyboardInterrupt:
            self.error("interrupted")
            return False
        except RecursionError:
            self.error("input nested too deeply")
            return False
        except Exception as exc:   # noqa: BLE001 - a bug must not end the session
            if self.debug:
                raise
            self.error(f"internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)")
            return False

    # ---- argument helpers (shared by run and the validator)
    def _anchor(self, exc: SourceError, start: int) -> SourceError:
        """Re-anchor an error raised on a fragment starting at ``start`` into the whole input."""
        text = self.text
        line = text.count("\n", 0, start)
        col = start - (text.rfind("\n", 0, start) + 1)
        exc.with_source(text, FILENAME, line, col)
        exc.filename = FILENAME
        return exc

    def arch(self, arg: str, start: int):
        """A ``let`` name or architecture text -> ``Architecture`` (errors point into the input)."""
        from .graph import parse
        lead = len(arg) - len(arg.lstrip())
        body = arg.strip()
        if not body:
            raise UsageError("expected an architecture or a name defined with 'let'")
        if body in self.lets:
            return self.lets[body]
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", body) and body not in _layers():
            known = sorted(self.lets)
            raise UsageError(f"'{body}' is not defined "
                             + (did_you_mean(body, known, 'name') if known else "(define it with 'let NAME = ARCH')"))
        try:
            return parse(body, FILENAME)
        except SourceError as exc:
            raise self._anchor(exc, start + lead) from None

    def arch_and_measure(self, arg: str, start: int):
        parts = arg.rstrip().rsplit(None, 1)
        measure = "vc"
        if len(parts) == 2 and parts[1] in _measures():
            measure = parts[1]
            arg = arg.rstrip()[: -len(parts[1])]
        return self.arch(arg, start), measure

    def applicable_assumptions(self, known) -> list:
        """The accumulated conditions whose symbols are all in ``known``; the others are set
        aside with a note (an assumption about T says nothing about a feed-forward net)."""
        used = []
        for a in self.assumptions:
            missing = sorted(s.name for s in a.condition.lhs.free_symbols | a.condition.rhs.free_symbols
                             if s.name not in known)
            if missing:
                self.echo(f"note: assumption '{a.text}' not used: {', '.join(missing)} "
                          + ("is not a symbol" if len(missing) == 1 else "are not symbols")
                          + " of this architecture")
            else:
                used.append(a.condition)
        return used

    def resolutions(self, arch, measure: str) -> list:
        from .resolver import bound
        from .api import count
        used = self.applicable_assumptions(count(arch, self.convention).symbols())
        measures = ["sample_realizable", "sample_agnostic"] if measure == SAMPLE else [measure]
        return [bound(arch, m, assume=used, convention=self.convention, base=self.base) for m in measures]

    def check(self, text: str):
        """For the validator: ``(index, message)`` of an architecture error in ``text``, or None.
        Only commands whose argument is an architecture are checked. Never raises: a problem the
        check cannot place (or a bug in it) is left to the command, which reports it when run."""
        try:
            return self._check(text)
        except Exception:   # noqa: BLE001 - the validator runs in prompt_toolkit's event loop
            if self.debug:
                raise
            return None

    def _check(self, text: str):
        body = _strip_comments(text)
        lead = len(body) - len(body.lstrip())
        first = re.match(r"\S*", body[lead:]).group()
        name = ALIASES.get(first, first)
        cmd = COMMANDS.get(name)
        start = lead + len(first)
        if cmd is None and first.split("(")[0] in _layers():
            cmd, start = COMMANDS["bound"], lead
        if cmd is None or cmd.args not in ("arch", "arch_at", "arch_measure", "let"):
            return None
        arg = body[start:]
        saved, self.text = self.text, text
        try:
            if cmd.args == "let":
                m = _LET.match(arg)
                if not m:
                    return None
                self.arch(m.group(2), start + m.start(2))
            elif cmd.args == "arch_measure":
                at = _last_at(arg)      # eval ARCH at n=5 [MEASURE]: the architecture ends at 'at'
                if at is not None:
                    self.arch(arg[: at.start()], start)
                else:
                    self.arch_and_measure(arg, start)
            elif cmd.args == "arch_at":
                self.arch(_split_at(self, arg, start)[0], start)
            else:
                self.arch(arg, start)
        except SourceError as exc:
            return _index(text, exc.line, exc.column), exc.headline()
        except VcboundError:
            return None              # not a syntax problem (an unknown name): reported when run
        finally:
            self.text = saved
        return None


def _index(text: str, line: int, column: int) -> int:
    lines = text.split("\n")
    line = max(1, min(line, len(lines)))
    return sum(len(ln) + 1 for ln in lines[: line - 1]) + max(0, min(column - 1, len(lines[line - 1])))


# --------------------------------------------------------------------------------------------
# commands
# --------------------------------------------------------------------------------------------
_LET = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)\Z", re.S)


@command("let", "let NAME = ARCH", "name an architecture for later commands", args="let")
def _cmd_let(s: Session, arg: str, start: int):
    m = _LET.match(arg)
    if not m:
        raise UsageError("usage: let NAME = ARCH   (e.g. let rnn1 = input(d, seq=T) -> rnn(n) -> last -> dense(1))")
    name = m.group(1)
    if name in COMMANDS or name in ALIASES or name in _layers() or name in _activations():
        raise UsageError(f"'{name}' cannot be a name: it is a command, layer or activation")
    arch = s.arch(m.group(2), start + m.start(2))
    from .api import count
    from .render.pretty import unicode_expr
    q = count(arch, s.convention)
    s.lets[name] = arch
    s.echo(f"{name} = {' '.join(arch.text.split())}   (W = {unicode_expr(q.params)})")


@command("bound", "bound NAME|ARCH [MEASURE]", "best cited upper and lower bounds (vc, pdim, growth, sample, ...)",
         args="arch_measure")
def _cmd_bound(s: Session, arg: str, start: int):
    from .render.text import resolution_text
    arch, measure = s.arch_and_measure(arg, start)
    s.echo("\n\n".join(resolution_text(r) for r in s.resolutions(arch, measure)))


@command("explain", "explain NAME|ARCH [MEASURE]", "the full derivation with citations", args="arch_measure")
def _cmd_explain(s: Session, arg: str, start: int):
    from .render.text import resolution_text
    arch, measure = s.arch_and_measure(arg, start)
    s.echo("\n\n".join(resolution_text(r, explain=True) for r in s.resolutions(arch, measure)))


@command("latex", "latex NAME|ARCH [MEASURE]", "the bounds as a LaTeX snippet (natbib citations)",
         args="arch_measure")
def _cmd_latex(s: Session, arg: str, start: int):
    from .render.latex import resolutions_latex
    arch, measure = s.arch_and_measure(arg, start)
    s.echo(resolutions_latex(s.resolutions(arch, measure)))


@command("params", "params NAME|ARCH [at n=5,d=7]", "exact parameter and unit counts", args="arch_at")
def _cmd_params(s: Session, arg: str, start: int):
    from .api import count
    from .expressions import check_bindings
    from .render.params import params_text
    arch_text, bindings = _split_at(s, arg, start)
    q = count(s.arch(arch_text, start), s.convention)
    if bindings:
        check_bindings(bindings, q.symbols())
    s.echo(params_text(q, bindings))


@command("compare", "compare A B", "which of two architectures (names or texts) grows faster",
         args="two_arch")
def _cmd_compare(s: Session, arg: str, start: int):
    func = _compare_function()
    if func is None:
        raise UsageError("compare is not available in this version of vcbound")
    (a, b), labels = _two_archs(s, arg, start, labelled=True)
    import inspect
    kwargs = {}
    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):
        params = {}
    if "assume" in params:
        from .api import count
        known = set(count(a, s.convention).symbols()) | set(count(b, s.convention).symbols())
        kwargs["assume"] = s.applicable_assumptions(known)
    if "base" in params:
        kwargs["base"] = s.base
    if "convention" in params:
        kwargs["convention"] = s.convention
    result = func(a, b, **kwargs)
    for side, label in zip(("a_text", "b_text"), labels):   # a `let` name is shown as the name
        if label is not None and hasattr(result, side):
            setattr(result, side, f"{label} = {' '.join(getattr(result, side).split())}")
    s.echo(str(result))


def _compare_function():
    import importlib
    try:
        module = importlib.import_module("vcbound.comparison")
    except ModuleNotFoundError as exc:
        if exc.name in ("vcbound.comparison",):
            return None
        raise
    return getattr(module, "compare", None)


def _two_archs(s: Session, arg: str, start: int, labelled: bool = False):
    """``A B``: two names, two architectures, or a mix; `` vs `` may separate them. With
    ``labelled``, also the ``let`` name of each side (None for a side written out)."""
    pair = _find_two_archs(s, arg, start)
    if not labelled:
        return pair
    if re.search(r"\s+vs\s+", arg):
        parts = re.split(r"\s+vs\s+", arg.strip(), maxsplit=1)
    else:
        parts = [next((name for name, a in s.lets.items() if a is side), None) for side in pair]
        return pair, parts
    return pair, [p.strip() if p.strip() in s.lets else None for p in parts]


def _find_two_archs(s: Session, arg: str, start: int):
    from .graph import parse
    m = re.search(r"\s+vs\s+", arg)
    if m:
        return s.arch(arg[: m.start()], start), s.arch(arg[m.end():], start + m.end())
    body_lead = len(arg) - len(arg.lstrip())
    body = arg.strip()
    # B can only start where an architecture starts ('input(') or where a 'let' name stands alone;
    # trying every space (and parsing both sides at each) was quadratic: 72 s for two 400-layer chains
    names = "|".join(re.escape(n) for n in sorted(s.lets, key=len, reverse=True))
    starts = re.compile(r"\s+(?=input\s*\(" + (rf"|(?:{names})\s*\Z" if names else "") + ")")
    splits = [m.start() for m in starts.finditer(body)]
    if body.split(None, 1)[0] in s.lets:                      # A is a name: B is the rest
        first_gap = re.search(r"\s+", body)
        splits = sorted(set(splits) | ({first_gap.start()} if first_gap else set()))
    if len(splits) > 8:
        raise UsageError("compare: cannot tell where B starts; separate the two architectures with ' vs '")
    found = []
    for i in splits:
        left, right = body[:i].strip(), body[i:].strip()
        if not left or not right:
            continue
        ok = []
        for part in (left, right):
            if part in s.lets:
                ok.append(s.lets[part])
                continue
            try:
                ok.append(parse(part, FILENAME))
            except VcboundError:
                break
        if len(ok) == 2:
            found.append(tuple(ok))
    if len(found) == 1:
        return found[0]
    if not found:
        # report the first side's own error, if any, at its position
        first = body.split(None, 1)[0] if body else ""
        if first and first not in s.lets and "(" not in first and first not in _layers():
            s.arch(first, start + body_lead)
        raise UsageError("usage: compare A B   (A and B are names from 'let' or architectures; "
                         "separate two architectures with ' vs ' if they are ambiguous)")
    raise UsageError("compare: ambiguous; separate the two architectures with ' vs '")


@command("assume", "assume COND | assume clear", "add an assumption on the regime (T >> n, d = n); "
         "'assume' lists them, 'assume clear' drops them", args="assume")
def _cmd_assume(s: Session, arg: str, start: int):
    from .asymptotics import Regime
    from .expressions import parse_condition
    body = arg.strip()
    if not body:
        s.echo("assumptions: " + ("; ".join(a.text for a in s.assumptions) or "none (all sizes -> oo jointly)"))
        return
    if body == "clear":
        s.assumptions.clear()
        s.echo("assumptions cleared")
        return
    lead = len(arg) - len(arg.lstrip())
    try:
        cond = parse_condition(body, FILENAME, integer_symbols=True)
    except SourceError as exc:
        raise s._anchor(exc, start + lead) from None
    Regime.from_conditions([cond])          # refuses '<', '>=' etc.: they do not change asymptotics
    s.assumptions.append(_Assumption(" ".join(body.split()), cond))
    s.echo("assumptions: " + "; ".join(a.text for a in s.assumptions))


@command("eval", "eval NAME|ARCH at n=64, d=32 [MEASURE]", "numbers from the bounds with published "
         "constants at a point (as 'vcbound eval')", args="arch_measure")
def _cmd_eval(s: Session, arg: str, start: int):
    from .evaluate import evaluate
    m = _last_at(arg)
    if m is None:
        raise UsageError("usage: eval NAME|ARCH at n=64, d=32 [MEASURE]   (for arithmetic: calc EXPR at ...)")
    point = arg[m.end():].strip()
    measure_match = re.search(r"\s+([a-z_]+)\s*\Z", point)
    measure = "vc"
    if measure_match and measure_match.group(1) in _measures():
        measure, point = measure_match.group(1), point[: measure_match.start()]
    arch = s.arch(arg[: m.start()], start)
    try:
        evs = [evaluate(r, point, base=s.base) for r in s.resolutions(arch, measure)]
    except SourceError as exc:
        raise s._anchor(exc, start + m.end()) from None
    s.echo("\n\n".join(str(e) for e in evs))


@command("calc", "calc EXPR [at n=64,T=100]", "arithmetic; a name from 'let' stands for its parameter count",
         args="expr")
def _cmd_calc(s: Session, arg: str, start: int):
    import sympy as sp
    from .api import count
    from .expressions import parse_bindings, parse_expression
    m = None
    for m in re.finditer(r"\s+at\s+", arg):
        pass
    expr_text, bind_text, bind_start = (arg[: m.start()], arg[m.end():], start + m.end()) if m else (arg, "", 0)
    if not expr_text.strip():
        raise UsageError("usage: calc EXPR [at n=64, T=100]")
    lead = len(expr_text) - len(expr_text.lstrip())
    try:
        expr = parse_expression(expr_text.strip(), FILENAME)
    except SourceError as exc:
        raise s._anchor(exc, start + lead) from None
    bindings = {}
    if bind_text.strip():
        try:
            bindings = parse_bindings(bind_text.rstrip(), FILENAME)
        except SourceError as exc:
            raise s._anchor(exc, bind_start) from None
    mapping = {}
    for sym in expr.free_symbols:
        if sym.name in s.lets:
            mapping[sym] = count(s.lets[sym.name], s.convention).params
    value = expr.xreplace(mapping) if mapping else expr
    by_name = {sym.name: sym for sym in value.free_symbols}
    subs = {by_name[k]: v for k, v in bindings.items() if k in by_name}
    unused = sorted(k for k in bindings if k not in by_name)
    if subs:
        from .expressions import substitute
        value = substitute(value, {k.name: v for k, v in subs.items()})
        value = sp.Integer(value) if isinstance(value, int) else value
    if value.free_symbols:
        names = ", ".join(sorted(x.name for x in value.free_symbols))
        raise EvaluationError(f"calc: unbound symbol{'s' if len(value.free_symbols) > 1 else ''} {names} "
                              f"(bind with 'at {names.split(', ')[0]}=...')")
    if unused:
        s.echo(f"note: not used: {', '.join(unused)}")
    s.echo(_number(sp, value))


def _number(sp, value) -> str:
    """An exact integer as itself; anything else to 10 digits, as ``vcbound eval`` computes and
    writes numbers (beyond the float range in scientific notation, never ``inf`` or ``0``)."""
    from .evaluate import _to_number, format_number
    value = sp.simplify(value) if not value.is_Number else value
    if value.is_Integer:
        return str(int(value))
    num = _to_number(value)
    if num.float is None or (num.float != num.float):
        raise EvaluationError(f"calc: the value is not a finite real number ({num.undefined or value})")
    if num.overflow or num.underflow:
        text = format_number(num, 10)
    else:
        text = f"{num.float:.10g}"
    return f"{value} = {text}" if value.is_Rational else text


def _last_at(arg: str):
    """The match of the last `` at NAME=`` in ``arg`` (where a point's bindings start), or None.
    An architecture never contains one: its options are written ``, NAME=``."""
    m = None
    for m in re.finditer(r"\s+at\s+(?=[A-Za-z_]\w*\s*=)", arg):
        pass
    return m


def _split_at(s: Session, arg: str, start: int):
    """``ARCH at n=5`` -> (ARCH, bindings); an ``at`` that does not start bindings stays in ARCH."""
    from .expressions import parse_bindings
    m = _last_at(arg)
    if m is None:
        return arg, {}
    try:
        return arg[: m.start()], parse_bindings(arg[m.end():].rstrip(), FILENAME)
    except SourceError as exc:
        raise s._anchor(exc, start + m.end()) from None


@command("theorems", "theorems [ID]", "list the theorem base, or show one result or lemma", args="theorem")
def _cmd_theorems(s: Session, arg: str, start: int):
    from .render import theorems as tr
    from .theorems import Result
    ident = arg.strip()
    if not ident:
        s.echo(tr.results_table(s.base.results))
        return
    item = s.base.by_id(ident)
    s.echo(tr.result_text(item) if isinstance(item, Result) else tr.lemma_text(item))


@command("clear", "clear [NAME ...]", "forget every name and assumption, or only the names given",
         args="expr")
def _cmd_clear(s: Session, arg: str, start: int):
    names = arg.split()
    if not names:
        s.lets.clear()
        s.assumptions.clear()
        s.echo("names and assumptions cleared")
        return
    unknown = [n for n in names if n not in s.lets]
    if unknown:
        raise UsageError(f"clear: '{unknown[0]}' is not defined "
                         + (did_you_mean(unknown[0], sorted(s.lets), "name") if s.lets else "(no names are defined)"))
    for n in names:
        del s.lets[n]
    s.echo(f"cleared {', '.join(names)}")


@command("help", "help [COMMAND]", "this list, or one command", args="command", aliases=("?",))
def _cmd_help(s: Session, arg: str, start: int):
    s.echo(help_text(arg.strip()))


@command("quit", "quit", "leave the REPL (also exit, Ctrl-D)", aliases=("exit",))
def _cmd_quit(s: Session, arg: str, start: int):
    s.done = True


def help_text(name: str = "") -> str:
    """Help generated from the command registry."""
    if name:
        cmd = COMMANDS.get(ALIASES.get(name, name))
        if cmd is None:
            raise UsageError(f"no command '{name}' {did_you_mean(name, command_names(), 'command')}")
        also = f"   (also: {', '.join(cmd.aliases)})" if cmd.aliases else ""
        return f"{cmd.usage}\n  {cmd.help}{also}"
    width = max(len(c.usage) for c in COMMANDS.values())
    lines = ["commands:"]
    for c in COMMANDS.values():
        lines.append(f"  {c.usage.ljust(width)}  {c.help}")
    lines += ["", "ARCH is architecture text, e.g. input(d, seq=T) -> lstm(n)^L -> last -> dense(1, act=sigmoid);",
              "a line ending in '->' (or with an open parenthesis) continues on the next line.",
              "MEASURE: " + ", ".join(_measures()) + ". Tab completes commands, layers, activations, options."]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# prompt_toolkit layer (thin)
# --------------------------------------------------------------------------------------------
def make_completer(session: Session):
    from prompt_toolkit.completion import Completer, Completion

    class ReplCompleter(Completer):
        """Wraps ``suggest``; theorem ids are loaded only when ``theorems`` is being completed."""

        def get_completions(self, document, complete_event):
            text = document.text_before_cursor
            ids = ()
            if re.match(r"\s*theorems\s", text):
                try:
                    ids = session.theorem_ids()
                except VcboundError:
                    ids = ()
            word = current_word(text)
            for item in suggest(text, names=tuple(session.lets), theorem_ids=ids):
                yield Completion(item, start_position=-len(word))

    return ReplCompleter()


def make_validator(session: Session):
    from prompt_toolkit.validation import ValidationError, Validator

    class ReplValidator(Validator):
        """Parses architecture arguments before a line runs; the cursor goes to the error."""

        def validate(self, document):
            problem = session.check(document.text)
            if problem is not None:
                index, message = problem
                raise ValidationError(cursor_position=index, message=message)

    return ReplValidator()


def _key_bindings(completer):
    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.key_binding import KeyBindings
    kb = KeyBindings()

    @kb.add("enter")
    def _enter(event):
        buf = event.current_buffer
        if buf.complete_state is not None and buf.complete_state.current_completion is not None:
            buf.complete_state = None          # accept the highlighted completion, keep editing
            return
        if needs_more(buf.text):
            buf.insert_text("\n")
        else:
            buf.validate_and_handle()

    @kb.add("tab")
    def _tab(event):
        """Readline-like and synchronous: a unique completion (or a longer common prefix) is
        inserted at once; otherwise the menu opens, and Tab again walks it."""
        buf = event.current_buffer
        if buf.complete_state is not None:
            buf.complete_next()
            return
        doc = buf.document
        items = [c.text for c in completer.get_completions(doc, CompleteEvent(completion_requested=True))]
        if not items:
            return
        word = current_word(doc.text_before_cursor)
        common = os.path.commonprefix(items)
        if len(items) == 1 or len(common) > len(word):
            buf.delete_before_cursor(len(word))
            buf.insert_text(items[0] if len(items) == 1 else common)
        else:
            buf.start_completion(select_first=False)

    return kb


def _history(session: Session):
    """The history file at ``history_path()``, or, when it cannot be used (a directory, no
    permission, a read-only disk), history for this session only, with one warning. prompt_toolkit
    reads and writes the file inside its event loop, where an ``OSError`` became a traceback at
    every prompt; the file is tried here first, and any later failure also degrades quietly."""
    from prompt_toolkit.history import FileHistory, InMemoryHistory

    class _FileHistory(FileHistory):
        failed = False

        def load_history_strings(self):
            try:
                yield from super().load_history_strings()
            except (OSError, ValueError) as exc:
                self._fail(exc)

        def store_string(self, string: str) -> None:
            if self.failed:
                return
            try:
                super().store_string(string)
            except (OSError, ValueError) as exc:
                self._fail(exc)

        def _fail(self, exc):
            if not self.failed:
                self.failed = True
                _warn(exc)

    path = history_path()

    def _warn(exc):
        reason = getattr(exc, "strerror", None) or str(exc)
        where = f"history file {path} cannot be used ({reason})" if path is not None else \
            "no home directory for the history file"
        session.error(f"warning: {where}; history is kept for this session only")

    try:
        if path is None:
            raise OSError("no home directory")
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and not path.is_file():      # a directory, or a FIFO that would block
            raise OSError(f"{'a directory' if path.is_dir() else 'not a regular file'}")
        with open(path, "ab"):
            pass                                       # can it be appended to?
        return _FileHistory(str(path))
    except OSError as exc:
        _warn(exc)
        return InMemoryHistory()


def make_prompt_session(session: Session, history=None, input=None, output=None):
    """The prompt_toolkit ``PromptSession``: file history, completion, validation, continuation."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
    if history is None:
        history = _history(session)
    completer = make_completer(session)
    return PromptSession(
        PROMPT, history=history, completer=completer, validator=make_validator(session),
        validate_while_typing=False, complete_while_typing=False, multiline=True,
        prompt_continuation=lambda width, line_number, wrap_count: CONTINUATION[-width:].rjust(width),
        key_bindings=_key_bindings(completer), auto_suggest=AutoSuggestFromHistory(), input=input, output=output)


def interact(session: Session, prompt_session=None) -> int:
    """Read-run loop until ``quit``/``exit``/Ctrl-D; Ctrl-C abandons the current line."""
    ps = prompt_session or make_prompt_session(session)
    while not session.done:
        try:
            text = ps.prompt()
        except KeyboardInterrupt:
            continue
        except EOFError:
            break
        session.run(text)
    return 0


def run_lines(session: Session, lines) -> int:
    """Non-interactive input (a pipe): continuation lines are joined as at the prompt.
    Exit code 1 if any command failed."""
    ok, pending = True, ""
    for raw in lines:
        pending = pending + raw.rstrip("\n") if not pending else pending + "\n" + raw.rstrip("\n")
        if needs_more(pending):
            continue
        ok = session.run(pending) and ok
        pending = ""
        if session.done:
            break
    if pending.strip() and not session.done:
        ok = session.run(pending) and ok
    return 0 if ok else 1


def main(args) -> int:
    """``vcbound repl``: interactive on a terminal; ``-e COMMAND`` (repeatable) or piped standard
    input run the same code path without a prompt."""
    theorem_dirs = list(getattr(args, "theorems", None) or [])
    debug = bool(getattr(args, "debug", False))
    convention = getattr(args, "convention", "torch") or "torch"
    if getattr(args, "execute", None):
        session = Session(err=sys.stderr, theorem_dirs=theorem_dirs, convention=convention, debug=debug)
        ok = True
        for text in args.execute:
            ok = session.run(text) and ok
            if session.done:
                break
        return 0 if ok else 1
    if not sys.stdin.isatty():
        session = Session(err=sys.stderr, theorem_dirs=theorem_dirs, convention=convention, debug=debug)
        return run_lines(session, sys.stdin)
    session = Session(theorem_dirs=theorem_dirs, convention=convention, debug=debug)
    from . import __version__
    session.echo(f"vcbound {__version__}: type 'help' for the commands, 'quit' or Ctrl-D to leave.")
    return interact(session)
