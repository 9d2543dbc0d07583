"""Stage 4: theorem files -> validated ``Result`` and ``Lemma`` records.

In: the built-in directory ``theorems/`` (``vcbound.paths.theorems_dir()``), plus user directories or
files (``load_theorems(dirs)``, ``--theorems DIR``, ``$VCBOUND_THEOREMS`` separated by ``os.pathsep``),
each holding ``<bibkey>.toml`` files in the format of ``theorems/README.md``.

Out: a ``TheoremBase`` (sources by key, results in file order, lemmas by transform, and the problems
of skipped user files), or, from ``check`` / ``check_files``, the list of **every** problem in every
file, each a ``TheoremProblem(path, line, message)`` whose line is that of the offending key in the
TOML text (tomllib gives no positions, so the raw text is scanned for table headers and ``key =``
lines outside strings and comments).

Rules:

- a problem in a built-in file raises ``TheoremBaseError`` (exit code 2) from ``load_theorems``;
- a user file with any problem is skipped as a whole and its problems are kept in
  ``TheoremBase.problems`` (the CLI prints them as warnings): a user file never changes or removes a
  built-in result, and a user id equal to a built-in id is a problem, not an override;
- bounds and conditions are parsed only by ``vcbound.expressions`` (never sympify/eval); paper letters
  become positive symbols and ``Result.canonical_bound`` renames them to vcbound quantities;
- the consistency check (lower bounds with scope ``every`` and ``exact`` results must not grow faster
  than an upper bound for a family containing theirs) is part of ``check`` only; at query time the
  resolver reports such clashes as conflicts.

Loaded files are cached in-process, keyed by ``(path, mtime_ns, size)``. Across processes, a JSON
stamp file in the user's cache directory (``_stamps``; never pickle) holds, for each file that passed
full validation, the SHA-256 of its bytes and a snapshot of its records: a new process that finds the
same bytes at the same path rebuilds the records from the snapshot without reading the TOML (any
other bytes are validated again; a damaged or foreign stamp file is ignored). ``check`` always
validates fully.
"""
from __future__ import annotations

from .presentation import brief_repr

import os
import re
import stat
import time
import tomllib
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

from .classes import CLASS_CLOSURE, CLASSES, TOPOLOGIES, TOPOLOGY_CLOSURE
from .errors import ExpressionError, TheoremBaseError, TheoremProblem, UsageError, did_you_mean

__all__ = [
    "Source", "Result", "Lemma", "TheoremBase", "CheckReport", "BibEntry", "BibtexError",
    "UnknownTheoremError", "load_theorems", "check", "check_files", "consistency_problems",
    "parse_bibtex", "theorem_files", "user_paths", "clear_cache", "format_expr",
    "QUANTITIES", "MEASURES", "DIRECTIONS", "SCOPES", "FORMS", "VERIFICATIONS", "TRANSFORMS",
    "REQUIRES", "MAX_FILE_BYTES", "ENV_VAR",
]

from .tensors import ALL_NORM_QUANTITIES  # noqa: E402  (norm quantities of generalization bounds)

ENV_VAR = "VCBOUND_THEOREMS"
MAX_FILE_BYTES = 5 * 1024 * 1024  # larger files are refused from their size alone, without reading

QUANTITIES = ("W", "U", "M", "L", "Lbar", "T", "D", "pieces", "breakpoints", "degree", "m", "eps",
              "delta", "vc", "pdim", *ALL_NORM_QUANTITIES)
BRIDGE_QUANTITIES = ("vc", "pdim")
_SAMPLE_QUANTITIES = ("m", "eps", "delta")
MEASURES = ("vc", "pdim", "growth", "sample_realizable", "sample_agnostic", "generalization")
DIRECTIONS = ("upper", "lower", "exact")
SCOPES = ("every", "exists")
FORMS = ("asymptotic", "explicit")
VERIFICATIONS = ("primary", "conference", "book", "submission", "secondary", "abstract", "definition")
TRANSFORMS = ("unroll", "class_inclusion", "pdim_extra_layer", "readout", "vc_le_pdim", "shared_as_gates",
              "relu_as_product", "steep_sigmoid", "threshold_simulation")
REQUIRES = {
    "topology": tuple(sorted(TOPOLOGIES)),
    "activation": tuple(sorted(CLASSES)),
    "nonlinear": (True, False),
    "multiplication": (True, False),
    "fixed_activation": (True, False),
    "excludes": tuple(sorted(CLASSES)),
    "input": ("real", "boolean"),
    "output": ("binary", "real"),
    "depth": ("W", "U"),
    "bias": (True, False),
    "zero_at_zero": (True, False),
    "hidden_activation": tuple(sorted(CLASSES)),
    "linear_output": (True, False),
}
REQUIRED_FACTS = ("topology", "activation")

# field -> required?
SOURCE_FIELDS = {"key": True, "bibtex": True, "version": True, "verification": True, "read": True,
                 "notes": False}
RESULT_FIELDS = {"id": True, "locator": True, "statement": True, "measure": True, "direction": True,
                 "scope": True, "form": True, "bound": True, "symbols": True, "constants": False,
                 "requires": True, "conditions": False, "verification": False, "tied_weights": False,
                 "learner": False, "caveat": False, "notes": False}
LEMMA_FIELDS = {"id": True, "locator": True, "statement": True, "transform": True,
                "verification": False, "applicability": False, "notes": False}
TOP_LEVEL = ("source", "result", "lemma")

_ID_RE = re.compile(r"[a-z0-9][a-z0-9_]*\Z")
_LETTER_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_RESERVED_LETTERS = frozenset(("e", "pi", "log", "ln", "log2", "sqrt", "exp", "min", "max", "ceil",
                               "floor"))


# --------------------------------------------------------------------------------------------------
# records

@dataclass(frozen=True)
class Source:
    """The ``[source]`` table of one file: one publication (or ``definition``: no publication)."""

    __repr__ = brief_repr("key", "version", "verification")

    key: str
    bibtex: str
    version: str
    verification: str
    read: str
    notes: str
    path: str

    @property
    def has_citation(self) -> bool:
        return bool(self.bibtex.strip())

    def __hash__(self):
        return hash((self.key, self.path))


@dataclass(frozen=True)
class Result:
    """One ``[[result]]``: a bound on a measure for the networks meeting ``requires``.

    ``bound`` is ``bound_text`` parsed into sympy in the paper's letters (positive symbols);
    ``canonical_bound`` is the same with every letter renamed to its vcbound quantity.
    """

    __repr__ = brief_repr("id", "measure", "direction", "scope", "bound_text")

    id: str
    source: Source
    locator: str
    statement: str
    measure: str
    direction: str
    scope: str
    form: str
    bound_text: str
    symbols: dict
    constants: tuple
    requires: dict
    conditions_text: tuple
    verification: str
    tied_weights: bool
    notes: str
    path: str
    line: int
    tied_weights_reason: str = ""   # the file's decision text ("stated: ..." / "UNVERIFIED: ...")
    learner: str = ""      # sample-complexity upper bounds: the algorithm that attains it, if not every ERM
    caveat: str = ""       # a limit of the statement printed next to every number and answer it gives

    def __hash__(self):
        # computed once: a result is part of the key of every memo of the resolver (a query hashes
        # each applicable result a few hundred times)
        cached = self.__dict__.get("_hash")
        if cached is None:
            cached = hash((self.id, self.path))
            object.__setattr__(self, "_hash", cached)
        return cached

    @property
    def tied_weights_summary(self) -> str:
        """The first sentence of the tied-weights decision after its status word, for derivations."""
        text = self.tied_weights_reason.split(":", 1)[1] if ":" in self.tied_weights_reason else ""
        text = " ".join(text.split())
        end = text.find(". ")
        return text[:end + 1] if end >= 0 else text

    @cached_property
    def bound(self):
        """``bound_text`` parsed by the expression grammar (on first use for pre-validated files)."""
        from .expressions import parse_expression
        return parse_expression(self.bound_text, f"{self.path}:{self.line}")

    @cached_property
    def conditions(self) -> tuple:
        """``conditions_text`` parsed into ``Condition`` records."""
        from .expressions import parse_condition
        return tuple(parse_condition(t, f"{self.path}:{self.line}") for t in self.conditions_text)

    @property
    def verified(self) -> bool:
        """False when the locator is (or starts with) ``UNVERIFIED``."""
        return not self.locator.startswith("UNVERIFIED")

    @property
    def is_bridge(self) -> bool:
        """True when the bound is in terms of another measure (a letter maps to ``vc``/``pdim``)."""
        return any(q in BRIDGE_QUANTITIES for q in self.symbols.values())

    @property
    def topology(self) -> str:
        return self.requires.get("topology", "any")

    @property
    def activation(self) -> str:
        return self.requires.get("activation", "any")

    @cached_property
    def class_generic(self) -> bool:
        """True for a statement about any class (a VC -> sample-complexity bridge, a distribution-free
        lower bound in eps and delta): topology and activation ``any`` and no network quantity in
        ``symbols``. Its hypotheses concern the measure, not how the class is computed."""
        return (self.topology == "any" and self.activation == "any"
                and all(q in BRIDGE_QUANTITIES + _SAMPLE_QUANTITIES for q in self.symbols.values()))

    @cached_property
    def multiplication(self) -> bool:
        """Whether the result allows multiplication gates: as ``requires`` says; by default false for
        results about networks and true for class-generic ones (see ``class_generic``). Computed
        once: every query asks it of every result in every view."""
        return bool(self.requires.get("multiplication", self.class_generic))

    @cached_property
    def _renaming(self) -> dict:
        from .expressions import make_symbol
        return {make_symbol(letter): make_symbol(q) for letter, q in self.symbols.items()}

    @cached_property
    def canonical_bound(self):
        """``bound`` with each paper letter replaced by its quantity symbol; constants kept."""
        return self.bound.xreplace(self._renaming)

    @cached_property
    def canonical_conditions(self) -> tuple:
        """``conditions`` in quantity symbols (``Condition`` records with rewritten text)."""
        from .expressions import Condition
        out = []
        for c in self.conditions:
            lhs, rhs = c.lhs.xreplace(self._renaming), c.rhs.xreplace(self._renaming)
            out.append(Condition(lhs, c.rel, rhs, f"{format_expr(lhs)} {c.rel} {format_expr(rhs)}"))
        return tuple(out)

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Lemma:
    """One ``[[lemma]]``: a derivation step (``transform``) the resolver may take, with its citation."""

    __repr__ = brief_repr("id", "transform", "verification")

    id: str
    source: Source
    locator: str
    statement: str
    transform: str
    verification: str
    applicability: str
    notes: str
    path: str
    line: int

    def __hash__(self):
        return hash((self.id, self.path))

    @property
    def verified(self) -> bool:
        """False when the locator is (or starts with) ``UNVERIFIED``."""
        return not self.locator.startswith("UNVERIFIED")

    @property
    def applicability_verified(self) -> bool:
        """False when ``applicability`` starts with ``UNVERIFIED`` (routes through it are unverified)."""
        return not self.applicability.startswith("UNVERIFIED")

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"


class UnknownTheoremError(UsageError, LookupError):
    """``TheoremBase.by_id`` was given an id that is not in the base."""


@dataclass
class TheoremBase:
    """The loaded base: sources by key, results in file order, lemmas by transform.

    ``lemmas`` holds one lemma per transform: the preferred one when several files state the same
    step (verified locator and applicability first, then the verification level; built-in before
    user files). ``all_lemmas`` keeps every lemma in file order, ``lemmas_for(t)`` the alternatives.

    ``problems`` lists the problems of user files that were skipped (never of built-in files: those
    raise ``TheoremBaseError``). Treat a base as read-only: ``load_theorems`` may return the same
    object again while no file changed.
    """

    __repr__ = brief_repr("sources", "results", "all_lemmas")

    sources: dict
    results: list
    lemmas: dict
    problems: list
    files: list = field(default_factory=list)
    all_lemmas: list = field(default_factory=list)

    @cached_property
    def _index(self) -> dict:
        index = {lem.id: lem for lem in (self.all_lemmas or self.lemmas.values())}
        index.update({r.id: r for r in self.results})
        return index

    def by_id(self, id: str):
        """The ``Result`` (or ``Lemma``) with this id; ``UnknownTheoremError`` if there is none."""
        try:
            return self._index[id]
        except KeyError:
            import difflib
            close = difflib.get_close_matches(str(id), list(self._index), n=3, cutoff=0.6)
            hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
            raise UnknownTheoremError(f"no theorem with id '{id}'{hint}; `vcbound theorems list` "
                                      f"shows them all") from None

    def lemmas_for(self, transform: str) -> list:
        """Every lemma for ``transform``, the preferred one (``lemmas[transform]``) first."""
        alts = [lem for lem in self.all_lemmas if lem.transform == transform]
        return sorted(alts, key=lambda lem: lem is not self.lemmas.get(transform))

    def results_for(self, measure: str) -> list:
        """Results on ``measure`` (in file order)."""
        if measure not in MEASURES:
            raise UsageError(f"unknown measure '{measure}' {did_you_mean(measure, MEASURES, 'measure')}")
        return [r for r in self.results if r.measure == measure]


def format_expr(expr) -> str:
    """A sympy expression as text in the bound grammar's spelling (``^``, ``e``, ``min``, ``max``)."""
    return _printer().doprint(expr).replace("**", "^")


@lru_cache(maxsize=1)
def _printer():
    from sympy.printing.str import StrPrinter

    class _BoundPrinter(StrPrinter):
        def _print_Exp1(self, expr):
            return "e"

        def _print_Min(self, expr):
            return "min(" + ", ".join(self._print(a) for a in expr.args) + ")"

        def _print_Max(self, expr):
            return "max(" + ", ".join(self._print(a) for a in expr.args) + ")"

    return _BoundPrinter()


# --------------------------------------------------------------------------------------------------
# BibTeX: just enough to check one entry  @type{key, field = {...} or "..." or 1998 or macro, ...}

@dataclass(frozen=True)
class BibEntry:
    type: str
    key: str
    fields: dict


class BibtexError(ValueError):
    """The BibTeX text is not one well-formed entry; ``offset`` is where parsing stopped."""

    def __init__(self, message: str, offset: int):
        super().__init__(message)
        self.message = message
        self.offset = offset


_BIB_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_:+./-]*")
_BIB_KEY = re.compile(r"[^\s,{}()\"#%'=]+")
_BIB_WORD = re.compile(r"[A-Za-z0-9_:+./-]+")


def parse_bibtex(text: str) -> BibEntry:
    """Parse exactly one BibTeX entry (fields lower-cased, values without their outer delimiters).

    >>> parse_bibtex('@article{k98, title = {A {B} c}, year = 1998}').fields['title']
    'A {B} c'
    """
    n = len(text)
    pos = _bib_ws(text, 0)
    if pos >= n or text[pos] != "@":
        raise BibtexError("expected '@' at the start of the entry", pos)
    m = _BIB_NAME.match(text, pos + 1)
    if not m:
        raise BibtexError("expected an entry type after '@'", pos + 1)
    etype = m.group().lower()
    pos = _bib_ws(text, m.end())
    if pos >= n or text[pos] not in "{(":
        raise BibtexError(f"expected '{{' after '@{m.group()}'", pos)
    close = "}" if text[pos] == "{" else ")"
    pos = _bib_ws(text, pos + 1)
    m = _BIB_KEY.match(text, pos)
    if not m:
        raise BibtexError("expected the citation key", pos)
    key = m.group()
    pos = _bib_ws(text, m.end())
    fields: dict[str, str] = {}
    while True:
        if pos >= n:
            raise BibtexError(f"entry not closed (missing '{close}')", n)
        if text[pos] == close:
            pos += 1
            break
        if text[pos] != ",":
            raise BibtexError(f"expected ',' or '{close}', found {text[pos]!r}", pos)
        pos = _bib_ws(text, pos + 1)
        if pos < n and text[pos] == close:   # trailing comma
            pos += 1
            break
        m = _BIB_NAME.match(text, pos)
        if not m:
            raise BibtexError("expected a field name", pos)
        name = m.group().lower()
        pos = _bib_ws(text, m.end())
        if pos >= n or text[pos] != "=":
            raise BibtexError(f"expected '=' after field name '{m.group()}'", pos)
        pos = _bib_ws(text, pos + 1)
        parts = []
        while True:
            value, pos = _bib_value(text, pos)
            parts.append(value)
            pos = _bib_ws(text, pos)
            if pos < n and text[pos] == "#":
                pos = _bib_ws(text, pos + 1)
                continue
            break
        if name in fields:
            raise BibtexError(f"duplicate field '{name}'", m.start())
        fields[name] = "".join(parts)
    rest = _bib_ws(text, pos)
    if rest < n:
        raise BibtexError("text after the end of the entry (exactly one entry expected)", rest)
    return BibEntry(etype, key, fields)


def bibtex_latex_problems(text: str) -> list:
    """``texsafety.TexProblem``s of a BibTeX entry as LaTeX data (empty when it is safe); an entry
    that does not parse is one problem."""
    from .texsafety import TexProblem, bibtex_entry_problems
    try:
        entry = parse_bibtex(text)
    except BibtexError as exc:
        return [TexProblem(exc.offset, f"BibTeX entry does not parse: {exc.message}")]
    return bibtex_entry_problems(text, entry)


def _bib_ws(text: str, pos: int) -> int:
    n = len(text)
    while pos < n and text[pos].isspace():
        pos += 1
    return pos


def _bib_value(text: str, pos: int) -> tuple[str, int]:
    n = len(text)
    if pos >= n:
        raise BibtexError("expected a field value", pos)
    ch = text[pos]
    if ch == "{":
        end = _bib_scan(text, pos + 1, closer="}")
        if end is None:
            raise BibtexError("unbalanced braces in a field value", pos)
        return text[pos + 1:end], end + 1
    if ch == '"':
        end = _bib_scan(text, pos + 1, closer='"')
        if end is None:
            raise BibtexError("unterminated quoted value", pos)
        return text[pos + 1:end], end + 1
    m = _BIB_WORD.match(text, pos)
    if not m:
        raise BibtexError(f"expected a field value, found {ch!r}", pos)
    return m.group(), m.end()


def _bib_scan(text: str, i: int, closer: str) -> int | None:
    """Offset of the ``closer`` that ends a value starting at ``i`` (nested braces and backslash
    escapes skipped), or None. A braced value ends at the brace that closes depth 1; a quoted value
    at a quote outside braces, and a stray closing brace inside it is an error."""
    depth = 1 if closer == "}" else 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if closer == "}" and depth == 0:
                return i
            if depth < 0:
                raise BibtexError("unbalanced braces in a quoted value", i)
        elif c == closer and depth == 0:
            return i
        i += 1
    return None


# --------------------------------------------------------------------------------------------------
# positions: which line each table header and key is on

_HEADER_RE = re.compile(r"\s*(\[\[?)\s*([^\]\n]*?)\s*\]\]?")
_KEYPART = r"(?:[A-Za-z0-9_-]+|\"[^\"\n]*\"|'[^'\n]*')"
_KEY_RE = re.compile(rf"\s*({_KEYPART}(?:\s*\.\s*{_KEYPART})*)\s*=")
_KEYPART_RE = re.compile(_KEYPART)
_STRING_START = re.compile(r"[\"'#]")
_ML_BASIC_END = re.compile(r'\\.|"""', re.S)
_BASIC_END = re.compile(r'\\.|"|\n', re.S)


def _split_key(dotted: str) -> list[str]:
    return [p.strip("\"'") for p in _KEYPART_RE.findall(dotted)]


def _multiline_spans(text: str) -> tuple[list[tuple[int, int]], int | None]:
    """Spans of multi-line strings, and the offset of an unterminated string (or None)."""
    spans: list[tuple[int, int]] = []
    n, pos = len(text), 0
    while True:
        m = _STRING_START.search(text, pos)
        if not m:
            return spans, None
        start, ch = m.start(), m.group()
        if ch == "#":
            nl = text.find("\n", start)
            if nl < 0:
                return spans, None
            pos = nl + 1
        elif text.startswith('"""', start) or text.startswith("'''", start):
            quote = text[start:start + 3]
            if quote == '"""':
                i = start + 3
                while True:
                    e = _ML_BASIC_END.search(text, i)
                    if e is None:
                        return spans, start
                    if e.group() == '"""':
                        end = e.end()
                        break
                    i = e.end()
            else:
                j = text.find("'''", start + 3)
                if j < 0:
                    return spans, start
                end = j + 3
            extra = 0
            while end < n and text[end] == quote[0] and extra < 2:   # """" closes with a quote inside
                end, extra = end + 1, extra + 1
            spans.append((start, end))
            pos = end
        elif ch == '"':
            i = start + 1
            while True:
                e = _BASIC_END.search(text, i)
                if e is None:
                    return spans, start
                if e.group() == '"':
                    pos = e.end()
                    break
                if e.group() == "\n":
                    pos = e.start()
                    break
                i = e.end()
        else:  # literal '...'
            j = min((x for x in (text.find("'", start + 1), text.find("\n", start + 1)) if x >= 0),
                    default=-1)
            if j < 0:
                return spans, start
            pos = j + 1 if text[j] == "'" else j


@dataclass
class _Block:
    kind: str           # "" (top level), "source", "result", "lemma" or another table name
    index: int          # position among [[kind]] tables
    line: int
    keys: dict = field(default_factory=dict)   # dotted key -> line


class _Layout:
    """Line numbers of table headers and keys in a TOML text."""

    def __init__(self, text: str):
        spans, self.unterminated = _multiline_spans(text)
        self.blocks: list[_Block] = [_Block("", 0, 1)]
        counts: dict[str, int] = {}
        current = self.blocks[0]
        prefix = ""
        offset, si = 0, 0
        for lineno, line in enumerate(text.split("\n"), start=1):
            while si < len(spans) and spans[si][1] <= offset:
                si += 1
            inside = si < len(spans) and spans[si][0] < offset < spans[si][1]
            offset += len(line) + 1
            if inside:
                continue
            stripped = line.lstrip()
            if stripped.startswith("["):
                m = _HEADER_RE.match(line)
                if not m:
                    continue
                name = ".".join(_split_key(m.group(2)))
                if m.group(1) == "[[":
                    idx = counts.get(name, 0)
                    counts[name] = idx + 1
                    current = _Block(name, idx, lineno)
                    self.blocks.append(current)
                    prefix = ""
                elif current.kind and name.startswith(current.kind + "."):
                    prefix = name[len(current.kind) + 1:]      # [result.requires] inside a result
                    current.keys.setdefault(prefix, lineno)
                    prefix += "."
                else:
                    current = _Block(name, 0, lineno)
                    self.blocks.append(current)
                    prefix = ""
                continue
            m = _KEY_RE.match(line)
            if m:
                parts = _split_key(m.group(1))
                for i in range(1, len(parts) + 1):
                    current.keys.setdefault(prefix + ".".join(parts[:i]), lineno)
        self._by_kind: dict[tuple[str, int], _Block] = {}
        for b in self.blocks:
            self._by_kind.setdefault((b.kind, b.index), b)

    def block(self, kind: str, index: int = 0) -> _Block | None:
        return self._by_kind.get((kind, index))

    def line(self, kind: str, index: int = 0, key: str | None = None) -> int:
        """Line of ``key`` in the ``index``-th ``[[kind]]`` (or ``[kind]``) table, else its header."""
        b = self.block(kind, index)
        if b is None:
            top = self.blocks[0].keys
            return top.get(kind, 1)
        if key:
            parts = key.split(".")
            for i in range(len(parts), 0, -1):
                k = ".".join(parts[:i])
                if k in b.keys:
                    return b.keys[k]
        return b.line

    def top_level_line(self, name: str) -> int:
        if name in self.blocks[0].keys:
            return self.blocks[0].keys[name]
        for b in self.blocks:
            if b.kind == name or b.kind.startswith(name + "."):
                return b.line
        return 1


def _line_of_offset(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


# --------------------------------------------------------------------------------------------------
# one file

@dataclass
class _Entry:
    kind: str           # "result" | "lemma"
    id: str
    line: int           # line of its id key


@dataclass
class _FileData:
    path: str
    source: Source | None = None
    results: list = field(default_factory=list)
    lemmas: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    entries: list = field(default_factory=list)     # every id seen (valid entry or not)
    source_key: str | None = None
    source_line: int = 1


_FILE_CACHE: dict[str, tuple] = {}   # path -> (stat key, data, loaded lazily?)
_PARSE_MEMO: dict[tuple[bool, str], object] = {}
_BASE_CACHE: dict[tuple, TheoremBase] = {}


def clear_cache() -> None:
    """Forget every loaded file (tests; callers never need it: changed files are re-read)."""
    _FILE_CACHE.clear()
    _BASE_CACHE.clear()
    _PARSE_MEMO.clear()
    _LISTINGS.clear()


def _stat_key(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def _load_file(path: str, trusted_ok: bool = False, key=False) -> _FileData:
    """Validate one file (cached by path, mtime and size).

    With ``trusted_ok`` (built-in and user files at query time), a file whose exact bytes passed full
    validation before (its content hash is in the stamp file) is not validated again: its records
    are rebuilt from the snapshot stored with the hash, or, without a usable snapshot, the file is
    checked without parsing its expressions (they are parsed on first use). Anything else is fully
    validated. ``check`` (``trusted_ok=False``) always validates fully. ``key``: the file's
    ``_stat_key`` when the caller has just taken it.
    """
    if key is False:
        key = _stat_key(path)
    if key is not None:
        hit = _FILE_CACHE.get(path)
        # a lazily loaded file serves only callers that accept one; `check` always re-validates
        if hit is not None and hit[0] == key and (trusted_ok or not hit[2]):
            return hit[1]
    raw = digest = None
    if trusted_ok and key is not None and key[1] <= MAX_FILE_BYTES:   # too large: the checker says so
        try:
            raw = read_regular_file(path, MAX_FILE_BYTES + 1)
        except OSError:
            raw = None                                           # the checker reports why
        if raw is not None:
            import hashlib
            digest = hashlib.sha256(raw).hexdigest()
    stamp = _stamps().get(path) if digest is not None else None
    lazy = stamp is not None and stamp.get("sha256") == digest
    snap = stamp.get("data") if lazy else None
    data = snap if isinstance(snap, _FileData) else _from_snapshot(path, snap)
    if data is not None:
        # the records replace their JSON (freed now, not kept for the process's life); the stamp
        # file is written from them
        stamp["data"] = data
    else:
        # the checker validates the very bytes that were hashed: a stamp never names other content
        data = _FileChecker(path, lazy=lazy, raw=raw).run()
        if digest is not None and not data.problems:
            _remember_stamp(path, digest, data, flush=False)   # written once per load
    if key is not None:
        _FILE_CACHE[path] = (key, data, lazy)
    return data


def read_regular_file(path: str, limit: int) -> bytes:
    """At most ``limit`` bytes of ``path``, which must be a regular file. Opened without blocking
    and checked on the open descriptor: a FIFO given as a theorem path blocked forever."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = "a directory" if stat.S_ISDIR(st.st_mode) else "a FIFO" if stat.S_ISFIFO(st.st_mode) \
                else "a device or socket"
            raise OSError(f"not a regular file ({kind})")
        # reads sized by the file (a buffered read(limit) allocated ``limit`` bytes for every file),
        # until end of file or ``limit``: a file that grew since fstat is still read in full
        parts, n = [], 0
        while n < limit:
            chunk = os.read(fd, min(limit - n, max(st.st_size + 1 - n, 1 << 16)))
            if not chunk:
                break
            parts.append(chunk)
            n += len(chunk)
        return b"".join(parts)
    finally:
        os.close(fd)


def _why_unreadable(path: str, exc: OSError) -> str:
    """The reason in words, naming dangling and looping symbolic links."""
    import errno
    if exc.errno == errno.ELOOP:
        return "a symbolic link loop"
    if os.path.islink(path) and not os.path.exists(path):
        return f"a dangling symbolic link (to {os.readlink(path)})"
    return exc.strerror or str(exc)


# ---- the stamp file: content hashes of validated files and snapshots of what they hold ------------
#
# One JSON file in the user's cache directory, one per package version (data only, never pickle):
#   {"format": 2, "validator": <fingerprint>, "files": {path: {"sha256": hex, "data": snapshot}}}
# A snapshot is the file's records as JSON (_snapshot); a new process rebuilds them from it when the
# file's bytes still have that hash, without reading the TOML again. The file is rewritten once per
# load that validated something, keeping only the files of that load. Anything unexpected in it
# (missing, unreadable, not JSON, another format or validator, a malformed entry) only means
# "validate again".

_STAMP_FORMAT = 2
# modules and grammar whose code decides what a valid file is and what its records hold
_VALIDATOR_SOURCES = ("theorems.py", "classes.py", "tensors.py", "texsafety.py", "expressions.py")


def _stamp_path() -> str | None:
    """The stamp file in the user's cache directory, or None when there is none (``paths.user_dir``:
    ``HOME=""`` once made it ``/.cache``)."""
    from . import __version__
    from .paths import user_dir
    base = user_dir("XDG_CACHE_HOME", ".cache")
    return None if base is None else str(base / "vcbound" / f"validated-{__version__}.json")


@lru_cache(maxsize=1)
def _validator_fingerprint() -> str:
    """The package version, the stamp format and a hash of the validating code: stamps written by
    other code (an edited checkout keeps its version number) are not trusted."""
    import hashlib
    from . import __version__
    from .paths import grammar_dir
    h = hashlib.sha256(f"{__version__}\0{_STAMP_FORMAT}".encode())
    here = Path(__file__).resolve().parent
    for p in [here / name for name in _VALIDATOR_SOURCES] + [grammar_dir() / "expr.lark"]:
        try:
            h.update(p.read_bytes())
        except OSError:
            h.update(b"\0unreadable\0")
    return h.hexdigest()


_STAMPS: dict | None = None
_STAMPS_DIRTY = False


def _stamps() -> dict:
    """The stamp file's entries, ``path -> {"sha256": hex, "data": snapshot}``, for files (built-in
    and user) that passed full validation; read once per process. ``data`` is the snapshot's JSON
    until the file is loaded, then its ``_FileData`` (None: no snapshot). Missing, unreadable or
    foreign means: no entries (validate again)."""
    global _STAMPS
    if _STAMPS is None:
        import json
        _STAMPS = {}
        path = _stamp_path()
        try:
            if path is not None:
                with open(path, encoding="utf-8") as fh:
                    loaded = json.load(fh)
                if (isinstance(loaded, dict) and loaded.get("format") == _STAMP_FORMAT
                        and loaded.get("validator") == _validator_fingerprint()
                        and isinstance(loaded.get("files"), dict)):
                    _STAMPS = {k: v for k, v in loaded["files"].items()
                               if isinstance(k, str) and isinstance(v, dict) and isinstance(v.get("sha256"), str)}
        except (OSError, ValueError, RecursionError):    # ValueError: not JSON, not UTF-8
            _STAMPS = {}
    return _STAMPS


def _remember_stamp(path: str, digest: str, data: _FileData | None = None, flush: bool = True) -> None:
    """Record that ``path`` with content hash ``digest`` passed full validation (with its records,
    written as a snapshot); write the stamp file now, or (``flush=False``) at the next
    ``_flush_stamps`` (one write for 1,000 new files)."""
    global _STAMPS_DIRTY
    _stamps()[path] = {"sha256": digest, "data": data}
    _STAMPS_DIRTY = True
    if flush:
        _flush_stamps()


def _flush_stamps(keep=None) -> None:
    """Write the stamp file if an entry was added; with ``keep`` (the paths of this load), entries of
    other paths are dropped first, so that the file holds one load's files and a start reads no
    more than it uses."""
    global _STAMPS_DIRTY
    if not _STAMPS_DIRTY:
        return
    _STAMPS_DIRTY = False
    import json
    from . import __version__
    stamps = _stamps()
    if keep is not None:
        for p in [p for p in stamps if p not in keep]:
            del stamps[p]
    target = _stamp_path()
    if target is None:
        return
    tmp = f"{target}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump({"format": _STAMP_FORMAT, "version": __version__, "validator": _validator_fingerprint(),
                       "files": {p: _stamp_json(e) for p, e in stamps.items()}}, fh, separators=(",", ":"))
        os.replace(tmp, target)
    except OSError:   # a read-only home, or a directory where the stamp goes, only costs speed
        try:
            os.remove(tmp)       # never leave a .tmp behind (one per run, once)
        except OSError:
            pass


def _stamp_json(entry: dict) -> dict:
    data = entry.get("data")
    return {"sha256": entry["sha256"], "data": _snapshot(data) if isinstance(data, _FileData) else data}


# A record as JSON: the list of its fields' values in declaration order, without ``source`` and
# ``path`` (the file's own), each of the JSON type of its declared type. A new field of another type
# must be given a JSON form here (KeyError at import).
_JSON_TYPES = {"str": str, "int": int, "bool": bool, "dict": dict, "tuple": list}


def _json_fields(cls) -> tuple:
    """``(names, JSON types, positions of lists, positions of dicts)`` of ``cls``'s stored fields."""
    import dataclasses
    fields = [f for f in dataclasses.fields(cls) if f.name not in ("source", "path")]
    kinds = tuple(_JSON_TYPES[f.type] for f in fields)
    return (tuple(f.name for f in fields), kinds, tuple(i for i, k in enumerate(kinds) if k is list),
            tuple(i for i, k in enumerate(kinds) if k is dict))


def _record_json(record, fields) -> list:
    return [list(v) if type(v) is tuple else v for v in map(record.__getattribute__, fields[0])]


def _record_from_json(cls, fields, values, **own):
    """The record ``values`` (``_record_json``) describe, with ``own`` (source, path); ValueError
    when they are not exactly the stored fields with values of their types (a damaged stamp file)."""
    names, kinds, lists, dicts = fields
    if type(values) is not list or tuple(map(type, values)) != kinds:
        raise ValueError("malformed record")
    values = values.copy()
    for i in lists:
        if not all(type(x) is str for x in values[i]):
            raise ValueError(f"malformed field {names[i]}")
        values[i] = tuple(values[i])
    for i in dicts:
        if not all(type(x) in (str, bool) for x in values[i].values()):
            raise ValueError(f"malformed field {names[i]}")
        values[i] = dict(values[i])
    own.update(zip(names, values))
    # every field is set, checked above: the frozen dataclass's __init__ (one object.__setattr__ per
    # field, half the time of a cold load of 1,000 files) would do no more than this
    record = object.__new__(cls)
    record.__dict__.update(own)
    return record


def _snapshot(d: _FileData) -> dict:
    """The records of a file without problems as JSON (``_from_snapshot`` rebuilds them)."""
    return {"source": None if d.source is None else _record_json(d.source, _SOURCE_JSON),
            "source_key": d.source_key, "source_line": d.source_line,
            "entries": [[e.kind, e.id, e.line] for e in d.entries],
            "results": [_record_json(r, _RESULT_JSON) for r in d.results],
            "lemmas": [_record_json(m, _LEMMA_JSON) for m in d.lemmas]}


def _from_snapshot(path: str, snap) -> _FileData | None:
    """The ``_FileData`` a snapshot describes (records labelled with ``path``), or None when there is
    no snapshot or it is malformed."""
    if type(snap) is not dict:
        return None
    try:
        source = snap["source"]
        source = None if source is None else _record_from_json(Source, _SOURCE_JSON, source, path=path)
        key, line, entries = snap["source_key"], snap["source_line"], snap["entries"]
        if not (key is None or type(key) is str) or type(line) is not int or type(entries) is not list:
            raise ValueError("malformed file")
        data = _FileData(path, source=source, source_key=key, source_line=line)
        for e in entries:
            if type(e) is not list or len(e) != 3 or not (type(e[0]) is type(e[1]) is str) or type(e[2]) is not int:
                raise ValueError("malformed entry")
            data.entries.append(_Entry(*e))
        results, lemmas = snap["results"], snap["lemmas"]
        if type(results) is not list or type(lemmas) is not list or (source is None and (results or lemmas)):
            raise ValueError("malformed file")
        data.results = [_record_from_json(Result, _RESULT_JSON, r, source=source, path=path) for r in results]
        data.lemmas = [_record_from_json(Lemma, _LEMMA_JSON, m, source=source, path=path) for m in lemmas]
    except (KeyError, TypeError, ValueError):
        return None
    return data if _latex_safe(data) else None


def _latex_safe(data: _FileData) -> bool:
    """The validator's LaTeX-safety checks again, on what a snapshot holds: the text that reaches
    LaTeX unescaped (the source's key and BibTeX entry, the locators) is never trusted to the cache
    file alone, which anyone who can write the user's cache directory could forge. A snapshot that
    fails them is ignored, and the file is validated (and its problems reported) as if uncached."""
    from .texsafety import bibtex_entry_problems, locator_problems
    source = data.source
    if source is not None:
        if source.key != Path(data.path).stem:       # as check_source requires; the key is cited
            return False
        if source.bibtex.strip():
            try:
                entry = parse_bibtex(source.bibtex)
            except BibtexError:
                return False
            if entry.key != source.key or bibtex_entry_problems(source.bibtex, entry):
                return False
    return not any(locator_problems(r.locator) for r in (*data.results, *data.lemmas) if r.locator is not None)


_SOURCE_JSON, _RESULT_JSON, _LEMMA_JSON = (_json_fields(c) for c in (Source, Result, Lemma))


class _FileChecker:
    """Checks one file. ``lazy``: the file's exact bytes were validated before (see _STAMPS), so the
    expression parses — the slow part — are left to first use. ``raw``: the file's bytes when the
    caller has read them already (to hash them), else None (read here)."""

    def __init__(self, path: str, lazy: bool = False, raw: bytes | None = None):
        self.lazy = lazy
        self.raw = raw
        self.path = path
        self.data = _FileData(path)
        self.layout: _Layout | None = None
        self.text = ""
        self.bib_entry: BibEntry | None = None     # the parsed [source].bibtex, when it parses

    def problem(self, line: int, message: str) -> None:
        self.data.problems.append(TheoremProblem(self.path, line, message))

    # ---- reading -------------------------------------------------------------------------------
    def read(self) -> dict | None:
        try:
            size = os.stat(self.path).st_size
        except OSError as exc:
            self.problem(0, f"cannot read: {_why_unreadable(self.path, exc)}")
            return None
        if size > MAX_FILE_BYTES:
            self.problem(0, f"file too large ({size} bytes; at most {MAX_FILE_BYTES})")
            return None
        try:
            raw = self.raw if self.raw is not None else read_regular_file(self.path, MAX_FILE_BYTES + 1)
        except OSError as exc:
            self.problem(0, f"cannot read: {_why_unreadable(self.path, exc)}")
            return None
        if len(raw) > MAX_FILE_BYTES:
            self.problem(0, f"file too large (more than {MAX_FILE_BYTES} bytes)")
            return None
        nul = raw.find(b"\x00")
        if nul >= 0:
            line = raw.count(b"\n", 0, nul) + 1
            col = nul - (raw.rfind(b"\n", 0, nul) + 1) + 1
            self.problem(line, f"NUL byte at column {col} (a theorem file is UTF-8 text)")
            return None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
            self.problem(line, f"invalid UTF-8 byte 0x{raw[exc.start]:02x} at column {col}")
            return None
        if text.startswith("\ufeff"):
            text = text[1:]
        self.text = text
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            msg = str(exc)
            m = re.search(r"\s*\(at line (\d+), column (\d+)\)", msg)
            if m:
                line = int(m.group(1))
                detail = f"{msg[:m.start()]} (column {m.group(2)})"
            else:
                detail = re.sub(r"\s*\(at end of document\)", "", msg)
                _spans, open_at = _multiline_spans(text)
                if open_at is not None:
                    line = _line_of_offset(text, open_at)
                    detail += " (the string starting on this line is never closed)"
                else:
                    line = max(1, text.count("\n") + (0 if text.endswith("\n") else 1))
                    detail += " (at end of file)"
            self.problem(line, f"TOML syntax error: {detail}")
            return None
        self.layout = _Layout(text)
        return doc

    # ---- whole file ----------------------------------------------------------------------------
    def run(self) -> _FileData:
        doc = self.read()
        if doc is None:
            return self.data
        lay = self.layout
        for name in doc:
            if name not in TOP_LEVEL:
                self.problem(lay.top_level_line(name),
                             f"unknown table or field '{name}' at top level "
                             f"{did_you_mean(name, TOP_LEVEL, 'table')}")
        source = self.check_source(doc.get("source"))
        self.data.source = source
        results = doc.get("result", [])
        if not _is_list_of_tables(results):
            self.problem(lay.top_level_line("result"), "'result' must be written as [[result]] tables")
            results = []
        lemmas = doc.get("lemma", [])
        if not _is_list_of_tables(lemmas):
            self.problem(lay.top_level_line("lemma"), "'lemma' must be written as [[lemma]] tables")
            lemmas = []
        for i, entry in enumerate(results):
            self.check_result(i, entry, source)
        for i, entry in enumerate(lemmas):
            self.check_lemma(i, entry, source)
        self.check_duplicates()
        return self.data

    def check_duplicates(self) -> None:
        seen: dict[str, int] = {}
        for e in self.data.entries:
            if e.id in seen:
                self.problem(e.line, f"duplicate id '{e.id}' (first at line {seen[e.id]})")
            else:
                seen[e.id] = e.line
        kept: set[str] = set()
        self.data.results = [r for r in self.data.results if not (r.id in kept or kept.add(r.id))]
        self.data.lemmas = [m for m in self.data.lemmas if not (m.id in kept or kept.add(m.id))]

    # ---- fields --------------------------------------------------------------------------------
    def fields(self, kind: str, index: int, table: dict, spec: dict, what: str) -> bool:
        """Unknown and missing fields; returns False if a required field is missing."""
        ok = True
        lay = self.layout
        for name in table:
            if name not in spec:
                self.problem(lay.line(kind, index, name),
                             f"unknown field '{name}' in {what} {did_you_mean(name, spec, 'field')}")
        for name, required in spec.items():
            if required and name not in table:
                if kind == "source" and name == "bibtex" and table.get("verification") == "definition":
                    continue
                if name == "locator":
                    msg = (f"missing locator in {what} (write \"UNVERIFIED\" when the place in "
                           f"the source is not known)")
                else:
                    msg = f"missing required field '{name}' in {what}"
                self.problem(lay.line(kind, index), msg)
                ok = False
        return ok

    def string(self, kind, index, table, name, what, required=True, allow_empty=False) -> str | None:
        if name not in table:
            return None
        value = table[name]
        line = self.layout.line(kind, index, name)
        if not isinstance(value, str):
            self.problem(line, f"'{name}' in {what} must be a string, got {_tname(value)}")
            return None
        if required and not allow_empty and not value.strip():
            if name == "locator":
                self.problem(line, f"missing locator in {what}: empty (write \"UNVERIFIED\" when the "
                                   f"place in the source is not known)")
            else:
                self.problem(line, f"'{name}' in {what} is empty")
            return None
        return value

    def enum(self, kind, index, table, name, choices, what) -> str | None:
        value = self.string(kind, index, table, name, what)
        if value is None:
            return None
        if value not in choices:
            self.problem(self.layout.line(kind, index, name),
                         f"bad value '{value}' for '{name}' in {what} {did_you_mean(value, choices, name)}")
            return None
        return value

    # ---- [source] ------------------------------------------------------------------------------
    def check_source(self, table) -> Source:
        path = self.path
        stem = Path(path).stem
        lay = self.layout
        if table is None:
            self.problem(1, "missing [source] table")
            return Source(stem, "", "", "", "", "", path)
        if not isinstance(table, dict):
            self.problem(lay.top_level_line("source"), "'source' must be a table: [source]")
            return Source(stem, "", "", "", "", "", path)
        what = "[source]"
        self.fields("source", 0, table, SOURCE_FIELDS, what)
        s = lambda name, **kw: self.string("source", 0, table, name, what, **kw)  # noqa: E731
        key = s("key")
        self.data.source_line = lay.line("source", 0, "key")
        if key is not None:
            self.data.source_key = key
            if key != stem:
                self.problem(lay.line("source", 0, "key"),
                             f"source key '{key}' does not match the file name '{stem}.toml'")
        verification = self.enum("source", 0, table, "verification", VERIFICATIONS, what)
        bibtex = s("bibtex", allow_empty=True)
        if bibtex is not None:
            if not bibtex.strip():
                if verification != "definition":
                    self.problem(lay.line("source", 0, "bibtex"),
                                 "missing citation: 'bibtex' is empty (only verification = "
                                 "\"definition\" may have no citation)")
            else:
                self.check_bibtex(bibtex, key or stem)
        version = s("version")
        read = s("read")
        notes = s("notes", required=False)
        self.check_public_provenance("source", 0, {"read": read, "notes": notes}, what)
        return Source(key or stem, bibtex or "", version or "", verification or "", read or "",
                      notes or "", path)

    def check_bibtex(self, bibtex: str, key: str) -> None:
        """Parse the entry (kept in ``self.bib_entry`` for the locator page check) and check its key."""
        line = self.layout.line("source", 0, "bibtex")
        raw_line = self.text.split("\n")[line - 1] if line - 1 < self.text.count("\n") + 1 else ""
        # a multi-line string opened at the end of the line starts on the next line (TOML trims it)
        first = line + 1 if re.search(r"=\s*(\"\"\"|''')\s*$", raw_line) else line
        try:
            entry = parse_bibtex(bibtex)
        except BibtexError as exc:
            self.problem(first + bibtex.count("\n", 0, exc.offset),
                         f"BibTeX entry does not parse: {exc.message}")
            return
        self.bib_entry = entry
        if entry.key != key:
            self.problem(first + bibtex.count("\n", 0, bibtex.find(entry.key)),
                         f"BibTeX key '{entry.key}' differs from the source key '{key}'")
        self.check_latex_safety_of_bibtex(bibtex, entry, first)

    # ---- LaTeX safety: what a theorem file contributes to LaTeX output is data, never code --------
    def check_latex_safety_of_bibtex(self, bibtex: str, entry, first_line: int) -> None:
        from .texsafety import bibtex_entry_problems
        for p in bibtex_entry_problems(bibtex, entry):
            self.problem(first_line + bibtex.count("\n", 0, p.offset),
                         f"BibTeX entry is not LaTeX-safe: {p.message}")

    def check_latex_safety_of_locator(self, kind: str, i: int, locator: str | None, what: str) -> None:
        from .texsafety import locator_problems
        if locator is None:
            return
        for p in locator_problems(locator):
            self.problem(self.layout.line(kind, i, "locator"),
                         f"locator of {what} is not plain text at column {p.offset + 1}: {p.message}")

    # ---- [[result]] ----------------------------------------------------------------------------
    def check_result(self, i: int, table: dict, source: Source) -> None:
        lay = self.layout
        what = f"[[result]] #{i + 1}"
        n_before = len(self.data.problems)
        rid = self.check_id("result", i, table, what)
        if rid:
            what = f"result '{rid}'"
        self.fields("result", i, table, RESULT_FIELDS, what)
        s = lambda name, **kw: self.string("result", i, table, name, what, **kw)  # noqa: E731
        locator = s("locator")
        self.check_latex_safety_of_locator("result", i, locator, what)
        statement = s("statement")
        measure = self.enum("result", i, table, "measure", MEASURES, what)
        direction = self.enum("result", i, table, "direction", DIRECTIONS, what)
        scope = self.enum("result", i, table, "scope", SCOPES, what)
        form = self.enum("result", i, table, "form", FORMS, what)
        verification = self.enum("result", i, table, "verification", VERIFICATIONS, what) \
            if "verification" in table else None
        notes = s("notes", required=False)
        learner = s("learner")
        caveat = s("caveat", required=False)
        self.check_public_provenance("result", i, {"notes": notes, "statement": statement, "caveat": caveat},
                                     what)
        if locator is not None:
            self.check_locator_pages("result", i, locator, what)
        tied, tied_reason = False, ""
        if "tied_weights" in table:
            value = table["tied_weights"]
            status = value.split(":", 1)[0].strip() if isinstance(value, str) else None
            if status not in ("stated", "UNVERIFIED") or (status == "UNVERIFIED" and ":" not in value):
                self.problem(lay.line("result", i, "tied_weights"),
                             f"bad value {value!r} for 'tied_weights' in {what} "
                             f"(expected \"stated\", \"stated: <quote>\" or \"UNVERIFIED: <reasoning>\", "
                             f"or omit the field)")
            else:
                tied, tied_reason = status == "stated", value
        symbols = self.check_symbols(i, table, what)
        if symbols is not None:
            self.check_unused_symbols(i, table, symbols, what)
        constants = self.check_constants(i, table, what, symbols or {})
        requires = self.check_requires(i, table, what)
        filename = f"{self.path}:{lay.line('result', i, 'bound')}"
        bound_text = s("bound")
        bound = None
        if self.lazy:
            conditions = None
        else:
            if bound_text is not None:
                bound = self.parse(bound_text, "bound", lay.line("result", i, "bound"), filename, what)
            conditions = self.check_conditions(i, table, what)
        # every letter must be mapped
        if symbols is not None and constants is not None:
            known = set(symbols) | set(constants)
            if bound is not None:
                for name in sorted(s_.name for s_ in bound.free_symbols if s_.name not in known):
                    self.problem(lay.line("result", i, "bound"),
                                 f"letter '{name}' in bound of {what} is not in symbols or constants")
            if conditions is not None:
                missing = sorted({s_.name for c in conditions for e in (c.lhs, c.rhs)
                                  for s_ in e.free_symbols} - known)
                for name in missing:
                    self.problem(lay.line("result", i, "conditions"),
                                 f"letter '{name}' in conditions of {what} is not in symbols or "
                                 f"constants")
        if len(self.data.problems) > n_before or (not self.lazy and bound is None):
            return
        result = Result(
            id=rid, source=source, locator=locator, statement=statement, measure=measure,
            direction=direction, scope=scope, form=form, bound_text=bound_text,
            symbols=dict(symbols), constants=tuple(constants), requires=dict(requires),
            conditions_text=tuple(table.get("conditions", ())),
            verification=verification or source.verification, tied_weights=tied, notes=notes or "",
            path=self.path, line=lay.line("result", i), tied_weights_reason=tied_reason,
            learner=learner or "", caveat=" ".join((caveat or "").split()))
        if not self.lazy:
            # already parsed while checking: keep them (cached_property slots)
            result.__dict__["bound"] = bound
            result.__dict__["conditions"] = tuple(conditions or ())
        self.data.results.append(result)

    def check_id(self, kind: str, i: int, table: dict, what: str) -> str | None:
        rid = self.string(kind, i, table, "id", what)
        if rid is None:
            return None
        line = self.layout.line(kind, i, "id")
        if not _ID_RE.match(rid):
            self.problem(line, f"id '{rid}' is not snake_case (lower-case letters, digits, '_')")
        self.data.entries.append(_Entry(kind, rid, line))
        return rid

    def parse(self, text: str, name: str, line: int, filename: str, what: str, condition=False):
        from .expressions import parse_condition, parse_expression
        memo_key = (condition, text)
        hit = _PARSE_MEMO.get(memo_key)
        if hit is not None:
            return hit             # sympy values are immutable; only successful parses are kept
        try:
            value = parse_condition(text, filename) if condition else parse_expression(text, filename)
            if len(_PARSE_MEMO) > 20_000:
                _PARSE_MEMO.clear()
            _PARSE_MEMO[memo_key] = value
            return value
        except ExpressionError as exc:
            where = f" at column {exc.column}" if exc.column else ""
            self.problem(line, f"{name} '{_short(text)}' of {what} does not parse{where}: {exc.message}")
            return None
        except RecursionError:
            self.problem(line, f"{name} of {what} is nested too deeply")
            return None

    def check_symbols(self, i, table, what) -> dict | None:
        if "symbols" not in table:
            return None
        line = self.layout.line("result", i, "symbols")
        value = table["symbols"]
        if not isinstance(value, dict):
            self.problem(line, f"'symbols' in {what} must be an inline table {{ letter = \"quantity\" }}")
            return None
        for letter, q in value.items():
            if not _LETTER_RE.match(letter) or letter in _RESERVED_LETTERS:
                self.problem(line, f"'{letter}' in symbols of {what} cannot be a letter of a bound "
                                   f"(reserved or not a name)")
            if not isinstance(q, str) or q not in QUANTITIES:
                shown = q if isinstance(q, str) else _tname(q)
                self.problem(line, f"symbols of {what}: '{letter}' maps to '{shown}', which is not a "
                                   f"quantity {did_you_mean(str(q), QUANTITIES, 'quantity')}")
        # the letters are known even when a quantity is wrong: keep checking the bound's letters
        return value

    def check_constants(self, i, table, what, symbols) -> tuple | None:
        if "constants" not in table:
            return ()
        line = self.layout.line("result", i, "constants")
        value = table["constants"]
        if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
            self.problem(line, f"'constants' in {what} must be a list of letters, e.g. [\"C\"]")
            return None
        for c in value:
            if not _LETTER_RE.match(c) or c in _RESERVED_LETTERS:
                self.problem(line, f"'{c}' in constants of {what} is not a letter")
            elif c in symbols:
                self.problem(line, f"'{c}' is both a symbol and a constant in {what}")
        return tuple(value)

    def check_requires(self, i, table, what) -> dict | None:
        if "requires" not in table:
            return None
        lay = self.layout
        value = table["requires"]
        if not isinstance(value, dict):
            self.problem(lay.line("result", i, "requires"),
                         f"'requires' in {what} must be an inline table, e.g. "
                         f"{{ topology = \"any\", activation = \"any\" }}")
            return None
        ok = True
        for key, v in value.items():
            line = lay.line("result", i, f"requires.{key}")
            if key not in REQUIRES:
                self.problem(line, f"unknown field '{key}' in requires of {what} "
                                   f"{did_you_mean(key, REQUIRES, 'fact')}")
                ok = False
                continue
            choices = REQUIRES[key]
            if isinstance(choices[0], bool):
                if not isinstance(v, bool):
                    self.problem(line, f"bad value {v!r} for requires.{key} in {what} (expected true "
                                       f"or false)")
                    ok = False
            elif not isinstance(v, str) or v not in choices:
                self.problem(line, f"bad value {v!r} for requires.{key} in {what} "
                                   f"{did_you_mean(str(v), choices, key)}")
                ok = False
        for key in REQUIRED_FACTS:
            if key not in value:
                self.problem(lay.line("result", i, "requires"),
                             f"requires of {what} must name '{key}' (use \"any\" if the result holds "
                             f"for every {key})")
                ok = False
        return value if ok else None

    def check_conditions(self, i, table, what) -> tuple | None:
        if "conditions" not in table:
            return ()
        line = self.layout.line("result", i, "conditions")
        value = table["conditions"]
        if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
            self.problem(line, f"'conditions' in {what} must be a list of strings, e.g. [\"k >> w\"]")
            return None
        out = []
        for text in value:
            c = self.parse(text, "condition", line, f"{self.path}:{line}", what, condition=True)
            if c is None:
                return None
            out.append(c)
        return tuple(out)

    # ---- provenance: public sources, pages inside the cited entry, no unused letters ------------
    def check_public_provenance(self, kind: str, index: int, texts: dict, what: str) -> None:
        """Theorem files cite public sources only: no machine paths or internal notes in ``read``,
        ``notes``, ``statement`` (and a lemma's ``applicability``); see ``private_references``."""
        for name, text in texts.items():
            if not text:
                continue
            for found, why in private_references(text):
                self.problem(self.layout.line(kind, index, name),
                             f"'{name}' of {what} names {why} ('{_short(found, 40)}'): cite public "
                             f"sources only (papers, versions, public URLs, public repositories)")

    def check_locator_pages(self, kind: str, index: int, locator: str, what: str) -> None:
        """Every page a locator names must lie inside the cited BibTeX entry's ``pages`` range, so
        that the locator and the BibTeX name the same version of the source. An entry without a
        ``pages`` field (a book, a report) is checked only when it is an article or a proceedings
        paper, whose pages a reader needs to find the place."""
        entry = self.bib_entry
        if entry is None or locator.startswith("UNVERIFIED"):
            return
        pages = locator_pages(locator)
        if not pages:
            return
        line = self.layout.line(kind, index, "locator")
        span = bibtex_page_range(entry.fields.get("pages", ""))
        if span is None:
            if entry.type in PAGED_ENTRY_TYPES:
                self.problem(line, f"locator of {what} names page {pages[0]} but the BibTeX entry "
                                   f"(@{entry.type}) has no numeric 'pages' range to check it against: "
                                   f"give the pages of the version the locator numbers")
            return
        first, last = span
        for page in pages:
            if not first <= page <= last:
                self.problem(line, f"locator of {what} names page {page}, outside the cited entry's "
                                   f"pages {first}-{last}: the locator and the BibTeX must name the "
                                   f"same version (cite the version whose pages the locator uses)")
                return

    def check_unused_symbols(self, i: int, table: dict, symbols: dict, what: str) -> None:
        """Every letter of ``symbols`` must occur in ``bound`` or ``conditions``: a mapped letter the
        bound never uses would make the result look as if it depended on that quantity."""
        used = bound_letters(table.get("bound")) if isinstance(table.get("bound"), str) else None
        conds = table.get("conditions", [])
        if used is None or not isinstance(conds, list):
            return
        for c in conds:
            if isinstance(c, str):
                used |= bound_letters(c)
        for letter in symbols:
            if isinstance(letter, str) and letter not in used:
                self.problem(self.layout.line("result", i, "symbols"),
                             f"symbols of {what} map '{letter}', which neither the bound nor the "
                             f"conditions use (remove it)")

    # ---- [[lemma]] -----------------------------------------------------------------------------
    def check_lemma(self, i: int, table: dict, source: Source) -> None:
        what = f"[[lemma]] #{i + 1}"
        n_before = len(self.data.problems)
        lid = self.check_id("lemma", i, table, what)
        if lid:
            what = f"lemma '{lid}'"
        self.fields("lemma", i, table, LEMMA_FIELDS, what)
        s = lambda name, **kw: self.string("lemma", i, table, name, what, **kw)  # noqa: E731
        locator = s("locator")
        self.check_latex_safety_of_locator("lemma", i, locator, what)
        statement = s("statement")
        transform = self.enum("lemma", i, table, "transform", TRANSFORMS, what)
        verification = self.enum("lemma", i, table, "verification", VERIFICATIONS, what) \
            if "verification" in table else None
        applicability = s("applicability", required=False)
        notes = s("notes", required=False)
        self.check_public_provenance("lemma", i, {"notes": notes, "statement": statement,
                                                  "applicability": applicability}, what)
        if locator is not None:
            self.check_locator_pages("lemma", i, locator, what)
        if len(self.data.problems) > n_before:
            return
        self.data.lemmas.append(Lemma(
            id=lid, source=source, locator=locator, statement=statement, transform=transform,
            verification=verification or source.verification, applicability=applicability or "",
            notes=notes or "", path=self.path, line=self.layout.line("lemma", i)))


# Internal notes and machine paths that must never appear as provenance (public sources only).
_PRIVATE_REFERENCE_PATTERNS = (
    (re.compile(r"(?:^|(?<=[\s\"'(\[=,;:`]))(?:/(?:work|home|Users|root|tmp|mnt|private|var)/|~/)\S*"),
     "a path on a particular machine"),
    (re.compile(r"(?:\.\./|\./)\S*shared\S*|\.\./\S+"), "a relative path"),
    (re.compile(r"\b[A-Za-z]:\\\S*"), "a path on a particular machine"),
    (re.compile(r"\b(?:theorems-classic|theorems-modern|verification-rnn|house-style)\b|\bDESIGN\.md\b|"
                r"\bshared/reference\b|\bcatalog(?:ue)?(?:s|ed)?\b", re.I), "an internal note"),
    (re.compile(r"\b(?:code|pages|docs|issues) corp(?:us|ora)\b", re.I), "a private search index"),
    (re.compile(r"\binternal\b", re.I), "an internal note"),
    (re.compile(r"\b(?:file |transcription )?ids?\s+\d{8,}", re.I), "an id of a private search index"),
)


def private_references(text: str) -> list[tuple[str, str]]:
    """``(matched text, what it is)`` for every machine path or internal-note reference in ``text``.

    >>> private_references("read at /work/shared/x.md and https://example.org/home/a")
    [('/work/shared/x.md', 'a path on a particular machine')]
    """
    found, seen = [], set()
    for pattern, why in _PRIVATE_REFERENCE_PATTERNS:
        for m in pattern.finditer(text):
            if not any(a <= m.start() < b for a, b in seen):
                found.append((m.group(), why))
                seen.add((m.start(), m.end()))
    return found


# BibTeX entry types whose locator pages must be checkable against a ``pages`` field
PAGED_ENTRY_TYPES = frozenset({"article", "inproceedings", "incollection", "conference"})
_LOCATOR_PAGES_RE = re.compile(r"\bpp?\.\s*((?:\d+(?:\s*(?:-+|–|—)\s*\d+)?)(?:\s*(?:,|and)\s*\d+"
                               r"(?:\s*(?:-+|–|—)\s*\d+)?)*)")
_PAGE_RANGE_RE = re.compile(r"(\d+)(?:\s*(?:-+|–|—)\s*(\d+))?")


def locator_pages(locator: str) -> list[int]:
    """The page numbers a locator names after ``p.`` / ``pp.`` (both ends of a range).

    >>> locator_pages("Theorem 1, p. 206 (also Lemma 4.3, pp. 206-208)")
    [206, 206, 208]
    """
    pages = []
    for m in _LOCATOR_PAGES_RE.finditer(locator):
        for a, b in _PAGE_RANGE_RE.findall(m.group(1)):
            pages.append(int(a))
            if b:
                pages.append(int(b))
    return pages


def bibtex_page_range(pages: str) -> tuple[int, int] | None:
    """``(first, last)`` of a BibTeX ``pages`` value such as ``323--329`` or ``84``, else None."""
    m = _PAGE_RANGE_RE.fullmatch(pages.strip().replace("{", "").replace("}", ""))
    if not m:
        return None
    first = int(m.group(1))
    last = int(m.group(2)) if m.group(2) else first
    return (first, last) if first <= last else None


_WORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def bound_letters(text: str) -> set[str]:
    """The letters a bound or condition text uses (names of the expression grammar minus its
    function names and constants), read without parsing so that it also works on lazy loads."""
    return {w for w in _WORD_RE.findall(text) if w not in _RESERVED_LETTERS}


def _is_list_of_tables(value) -> bool:
    return isinstance(value, list) and all(isinstance(v, dict) for v in value)


def _tname(value) -> str:
    return {bool: "a boolean", int: "a number", float: "a number", list: "a list",
            dict: "a table", str: "a string"}.get(type(value), type(value).__name__)


def _short(text: str, n: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n - 1] + "…"


# --------------------------------------------------------------------------------------------------
# several files

def theorem_files(path) -> list[str]:
    """The ``*.toml`` entries of a directory (sorted), or ``[path]`` for a file. Entries that are
    not readable files (dangling or looping symbolic links, FIFOs) are kept, so that loading
    reports them instead of skipping them silently; sub-directories are not theorem files."""
    p = Path(path)
    base = str(p)
    try:
        st = os.stat(base)
    except (OSError, ValueError):
        return [base]
    if not stat.S_ISDIR(st.st_mode):
        return [base]
    # The listing is reused while the directory is unchanged: adding, removing or renaming an entry
    # changes its mtime. Only a listing taken well after that mtime is trusted (a file system with
    # coarse timestamps could otherwise hide a change made within the same tick); each file's own
    # changes are caught by the caller's stat of it.
    identity = (st.st_mtime_ns, st.st_ino, st.st_dev)
    known = _LISTINGS.get(base)
    if known is not None and known[0] == identity and known[1] - st.st_mtime_ns > _SETTLED_NS:
        return list(known[2])
    listed_at = time.time_ns()
    try:
        with os.scandir(base) as it:
            entries = [e for e in it if e.name.endswith(".toml")]
    except OSError:
        return [base]                 # reported when read: "cannot read: ..."
    # the names joined as strings: pathlib's join cost more than the stat of each file, on every query
    files = [_child(base, e.name) for e in sorted(entries, key=lambda e: e.name) if not _entry_is_dir(e)]
    if len(_LISTINGS) > 64:
        _LISTINGS.clear()
    _LISTINGS[base] = (identity, listed_at, tuple(files))
    return files


_LISTINGS: dict = {}              # directory -> ((mtime, inode, device), when listed, its theorem files)
_SETTLED_NS = 2_000_000_000       # a listing taken this long after the directory's mtime is reused


def _child(base: str, name: str) -> str:
    """``str(Path(base) / name)`` for a normalised ``base`` (``str`` of a Path) and a plain file name."""
    if base == ".":
        return name
    return base + name if base.endswith(os.sep) else base + os.sep + name


def _entry_is_dir(entry: os.DirEntry) -> bool:
    """Whether a directory entry is (or links to) a directory; a link that cannot be followed is
    not (it is kept and reported when read). The entry's type comes from the listing: no stat."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def _realpath(path: str, real_dirs: dict) -> str:
    """``os.path.realpath(path)``, resolving each directory once (``real_dirs``): a file of a
    directory that is not itself a symbolic link is that directory's real path plus its name."""
    head, name = os.path.split(path)
    if not name or name in (".", "..") or os.path.islink(path):
        return os.path.realpath(path)
    real = real_dirs.get(head)
    if real is None:
        real = real_dirs[head] = os.path.realpath(head)
    return os.path.join(real, name)


def _register(f: _FileData, seen_ids: dict, seen_sources: dict) -> None:
    if f.source_key is not None:
        seen_sources.setdefault(f.source_key, (f.path, f.source_line))
    for e in f.entries:
        seen_ids.setdefault(e.id, (f.path, e.line))


def _file_cross_problems(f: _FileData, seen_ids: dict, seen_sources: dict) -> list[TheoremProblem]:
    """Names of ``f`` (ids, source key) already taken by another file."""
    probs = []
    if f.source_key is not None:
        first = seen_sources.get(f.source_key)
        if first is not None and first[0] != f.path:
            probs.append(TheoremProblem(f.path, f.source_line,
                                        f"source key '{f.source_key}' is already used by {first[0]}"))
    for e in f.entries:
        first = seen_ids.get(e.id)
        if first is not None and first[0] != f.path:
            probs.append(TheoremProblem(f.path, e.line, f"duplicate id '{e.id}' (first defined at "
                                                        f"{first[0]}:{first[1]})"))
    return probs


# --------------------------------------------------------------------------------------------------
# loading

def user_paths(dirs, use_env: bool) -> list[str]:
    if isinstance(dirs, (str, os.PathLike)):
        dirs = [dirs]
    paths = [str(d) for d in (dirs or ())]
    if use_env:
        env = os.environ.get(ENV_VAR, "")
        paths += [p for p in env.split(os.pathsep) if p.strip()]
    return paths


_VERIFICATION_RANK = {v: i for i, v in enumerate(
    ("primary", "conference", "book", "submission", "definition", "secondary", "abstract"))}


def _lemma_rank(lem: Lemma) -> tuple:
    """Preference among lemmas for one transform: verified locator and applicability, then level."""
    return (not lem.verified, not lem.applicability_verified,
            _VERIFICATION_RANK.get(lem.verification, 99))


def load_theorems(dirs=(), builtin: bool = True, use_env: bool = True) -> TheoremBase:
    """Load the built-in base and user directories (``dirs``, then ``$VCBOUND_THEOREMS``).

    Raises ``TheoremBaseError`` listing every problem if a built-in file has any. A user file with
    problems (including an id or a source key already loaded) is skipped and its problems
    are returned in ``TheoremBase.problems``. Repeated calls with unchanged files are fast.
    """
    from .paths import theorems_dir
    builtin_files = theorem_files(theorems_dir()) if builtin else []
    user_entries: list[tuple[str, list[str] | None]] = []
    for p in user_paths(dirs, use_env):
        user_entries.append((p, theorem_files(p) if os.path.exists(p) else None))
    all_files = builtin_files + [f for _, fs in user_entries for f in (fs or ())]
    stat_keys = {f: _stat_key(f) for f in all_files}
    cache_key = (tuple(builtin_files), tuple((p, tuple(fs) if fs is not None else None)
                                             for p, fs in user_entries),
                 tuple(stat_keys[f] for f in all_files))
    hit = _BASE_CACHE.get(cache_key)
    if hit is not None:
        return hit
    from .graph import without_cyclic_gc
    # loading builds many small acyclic objects (the stamp file's JSON, records, parsed TOML): the
    # collector would rescan them while they are built (a fifth of a cold load of 1,000 files)
    with without_cyclic_gc():
        base = _build_base(builtin_files, user_entries, stat_keys)
    _flush_stamps(keep=set(all_files))
    if len(_BASE_CACHE) > 32:
        _BASE_CACHE.clear()
    _BASE_CACHE[cache_key] = base
    return base


def _build_base(builtin_files: list, user_entries: list, stat_keys: dict) -> TheoremBase:
    """``load_theorems`` once the files are listed and the base is not cached."""
    seen_ids: dict = {}
    seen_sources: dict = {}
    loaded_paths: set[str] = set()
    accepted: list[_FileData] = []

    problems: list[TheoremProblem] = []
    real_dirs: dict = {}
    datas = [_load_file(f, trusted_ok=True, key=stat_keys[f]) for f in builtin_files]
    for d in datas:
        problems.extend(d.problems)
    # duplicates among built-in files: every occurrence after the first is a problem
    for d in datas:
        problems.extend(_file_cross_problems(d, seen_ids, seen_sources))
        _register(d, seen_ids, seen_sources)
        loaded_paths.add(_realpath(d.path, real_dirs))
    if problems:
        raise TheoremBaseError(problems)
    accepted.extend(datas)

    user_problems: list[TheoremProblem] = []
    for p, files in user_entries:
        if files is None:
            user_problems.append(TheoremProblem(p, 0, "no such file or directory (theorem directory "
                                                      "given by --theorems or $" + ENV_VAR + ")"))
            continue
        for f in files:
            real = _realpath(f, real_dirs)
            if real in loaded_paths:
                continue          # the same file given twice (or the built-in directory itself)
            # validated once per content hash, like the built-ins (`check` still validates fully)
            d = _load_file(f, trusted_ok=True, key=stat_keys[f])
            probs = list(d.problems)
            probs += _file_cross_problems(d, seen_ids, seen_sources)
            if probs:
                user_problems.extend(probs)
                continue
            _register(d, seen_ids, seen_sources)
            loaded_paths.add(real)
            accepted.append(d)

    all_lemmas = [lem for d in accepted for lem in d.lemmas]
    builtin_set = {d.path for d in datas}
    lemmas: dict = {}
    for lem in sorted(all_lemmas, key=lambda lem: (lem.path not in builtin_set, _lemma_rank(lem))):
        lemmas.setdefault(lem.transform, lem)
    return TheoremBase(
        sources={d.source.key: d.source for d in accepted if d.source is not None},
        results=[r for d in accepted for r in d.results],
        lemmas={t: lemmas[t] for t in TRANSFORMS if t in lemmas},
        problems=user_problems,
        files=[d.path for d in accepted],
        all_lemmas=all_lemmas,
    )


# --------------------------------------------------------------------------------------------------
# checking

@dataclass
class CheckReport:
    """What ``check`` found: every problem, and what the checked files hold."""

    problems: list
    files: list
    results: int
    lemmas: int

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        n = len(self.files)
        head = (f"{self.results} result{'s' * (self.results != 1)}, {self.lemmas} "
                f"lemma{'s' * (self.lemmas != 1)} in {n} file{'s' * (n != 1)}")
        if self.ok:
            return head + ": OK"
        k = len(self.problems)
        return head + f": {k} problem{'s' * (k != 1)}"


def check(paths_or_dirs=None, context=(), consistency: bool = True) -> CheckReport:
    """Validate files and directories (default: the built-in base) and report every problem.

    ``context`` names other files/directories (e.g. the built-in base when checking a private
    directory) whose ids count for duplicates and whose bounds count for the consistency check;
    only problems located in the checked files are reported.
    """
    from .paths import theorems_dir
    if paths_or_dirs is None or (not isinstance(paths_or_dirs, (str, os.PathLike))
                                 and not list(paths_or_dirs)):
        paths_or_dirs = [theorems_dir()]
    if isinstance(paths_or_dirs, (str, os.PathLike)):
        paths_or_dirs = [paths_or_dirs]
    problems: list[TheoremProblem] = []
    files: list[str] = []
    seen_real: set[str] = set()
    for p in paths_or_dirs:
        p = str(p)
        if not os.path.exists(p):
            problems.append(TheoremProblem(p, 0, "no such file or directory"))
            continue
        for f in theorem_files(p):
            real = os.path.realpath(f)
            if real not in seen_real:
                seen_real.add(real)
                files.append(f)
    context_files = []
    for p in (context or ()):
        if os.path.exists(str(p)):
            for f in theorem_files(p):
                real = os.path.realpath(f)
                if real not in seen_real:
                    seen_real.add(real)
                    context_files.append(f)

    checked = [_load_file(f) for f in files]
    ctx = [_load_file(f) for f in context_files]
    seen_ids: dict = {}
    seen_sources: dict = {}
    for d in ctx:                       # context first: its names are "already there"
        if not d.problems:
            _register(d, seen_ids, seen_sources)
    for d in checked:
        problems.extend(d.problems)
        problems.extend(_file_cross_problems(d, seen_ids, seen_sources))
        _register(d, seen_ids, seen_sources)
    if consistency:
        checked_paths = {d.path for d in checked}
        pool = [r for d in checked + [c for c in ctx if not c.problems] for r in d.results]
        problems.extend(p for p in consistency_problems(pool, focus=checked_paths))
    problems.sort(key=lambda p: (p.path, p.line))
    return CheckReport(problems=problems, files=[d.path for d in checked],
                       results=sum(len(d.results) for d in checked),
                       lemmas=sum(len(d.lemmas) for d in checked))


def check_files(paths_or_dirs=None, context=()) -> list[TheoremProblem]:
    """Every problem in every given file or directory (default: the built-in base), in one run."""
    return check(paths_or_dirs, context).problems


# --------------------------------------------------------------------------------------------------
# consistency

def _family_contains(outer: Result, inner: Result) -> bool:
    """Whether every network ``inner`` speaks about is one ``outer`` covers (requires only)."""
    ti, to = inner.topology, outer.topology
    if to not in TOPOLOGY_CLOSURE.get(ti, frozenset({ti})):
        return False
    ai, ao = inner.activation, outer.activation
    if ao not in CLASS_CLOSURE.get(ai, frozenset({ai})):
        return False
    if inner.multiplication and not outer.multiplication:
        return False
    if outer.requires.get("nonlinear") and not inner.requires.get("nonlinear"):
        return False
    if outer.requires.get("bias") is False and inner.requires.get("bias") is not False:
        return False          # a bias-free result says nothing about networks with biases
    for key in ("input", "output"):
        if key in outer.requires and inner.requires.get(key) != outer.requires[key]:
            return False
    return True


def _same_conditions(a: Result, b: Result) -> bool:
    if not a.conditions and not b.conditions:
        return True
    ka = {(c.lhs, c.rel, c.rhs) for c in a.canonical_conditions}
    kb = {(c.lhs, c.rel, c.rhs) for c in b.canonical_conditions}
    return ka == kb


def consistency_problems(results, focus=None) -> list[TheoremProblem]:
    """Lower bounds (scope every) and exact results that grow faster than an upper bound (scope
    every) on the same measure for a family containing theirs, under the same conditions.

    Uses ``vcbound.asymptotics.compare`` on canonical bounds. With ``focus`` (a set of paths), only
    pairs with at least one result in those files are examined.
    """
    from .asymptotics import compare
    results = list(results)
    uppers = [r for r in results if r.direction in ("upper", "exact") and r.scope == "every"]
    lowers = [r for r in results if (r.direction == "lower" and r.scope == "every")
              or r.direction == "exact"]
    problems = []
    memo: dict = {}
    for lo in lowers:
        for up in uppers:
            if lo is up or lo.measure != up.measure:
                continue
            if focus is not None and lo.path not in focus and up.path not in focus:
                continue
            if not _family_contains(up, lo) or not _same_conditions(lo, up):
                continue
            key = (lo.canonical_bound, up.canonical_bound)
            if key not in memo:
                try:
                    memo[key] = compare(lo.canonical_bound, up.canonical_bound)
                except Exception:            # an undecidable comparison is not a finding
                    memo[key] = "incomparable"
            if memo[key] != "greater":
                continue
            if lo.direction == "exact":
                head = f"exact result {lo.id} (scope {lo.scope})"
            else:
                head = f"lower bound {lo.id} (scope every)"
            msg = (f"{head} exceeds upper bound {up.id} on {lo.measure}: "
                   f"{format_expr(lo.canonical_bound)} grows faster than "
                   f"{format_expr(up.canonical_bound)} (upper bound at {up.path}:{up.line})")
            if focus is not None and lo.path not in focus:
                problems.append(TheoremProblem(up.path, up.line, msg))
            else:
                problems.append(TheoremProblem(lo.path, lo.line, msg))
    return problems
