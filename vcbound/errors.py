"""The one error hierarchy of vcbound.

In: a message, optionally a source position (file name, text, line, column, span length).
Out: exceptions whose ``str()`` is a gcc-style one-line message, followed (for errors in user
text) by the offending source line and a caret under the span, e.g.::

    <arch>:1:26: unknown activation 'relux' (did you mean 'relu'?)
    input(d) -> dense(n, act=relux)
                             ^^^^^

Every error vcbound raises on purpose is a ``VcboundError``; the CLI turns them into exit code 1
(input) or 2 (theorem base) and never shows a traceback unless ``--debug`` is given.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass

__all__ = [
    "VcboundError",
    "SourceError",
    "ArchSyntaxError",
    "ArchSemanticError",
    "ExpressionError",
    "UsageError",
    "TheoremBaseError",
    "TheoremProblem",
    "EvaluationError",
    "ModelImportError",
    "did_you_mean",
]


class VcboundError(Exception):
    """Root of every error vcbound raises deliberately."""

    exit_code = 1


class UsageError(VcboundError):
    """A command-line or API argument is malformed (not tied to a source position)."""


class EvaluationError(VcboundError):
    """A numeric evaluation cannot be done (unbound symbol, overflow, no published constant)."""


class ModelImportError(VcboundError):
    """A model file or object cannot be turned into architecture text (unsupported layer, bad file)."""


@dataclass(frozen=True)
class Span:
    """A position in user text: 1-based line and column, and a length in characters."""

    line: int
    column: int
    length: int = 1


class SourceError(VcboundError):
    """An error at a position in user text (architecture, expression, REPL line, --at value)."""

    def __init__(self, message: str, text: str = "", line: int = 0, column: int = 0,
                 length: int = 1, filename: str = "<arch>"):
        super().__init__(message)
        self.message = message
        self.text = text
        self.line = line
        self.column = column
        self.length = max(1, length)
        self.filename = filename

    def with_source(self, text: str, filename: str | None = None,
                    line_offset: int = 0, column_offset: int = 0) -> "SourceError":
        """Re-anchor an error raised on a fragment (e.g. one option value) into its enclosing text."""
        self.text = text
        if filename is not None:
            self.filename = filename
        if self.line == 1:
            self.column += column_offset
        self.line += line_offset
        return self

    def context(self) -> str:
        """The offending source line with a caret under the span (empty if unknown)."""
        if not self.text or self.line <= 0:
            return ""
        lines = self.text.splitlines() or [""]
        if self.line > len(lines):
            return ""
        src = lines[self.line - 1]
        # very long lines (a 1 MB one-liner) are cut around the column so messages stay readable
        start = 0
        if len(src) > 120:
            start = max(0, self.column - 60)
            src = src[start:start + 120]
        col = max(1, self.column - start)
        width = min(self.length, max(1, len(src) - col + 1))
        return f"{src}\n{' ' * (col - 1)}{'^' * width}"

    def headline(self) -> str:
        if self.line > 0:
            return f"{self.filename}:{self.line}:{self.column}: {self.message}"
        return f"{self.filename}: {self.message}"

    def __str__(self) -> str:
        ctx = self.context()
        return self.headline() + ("\n" + ctx if ctx else "")


class ArchSyntaxError(SourceError):
    """The architecture text does not follow the grammar."""


class ArchSemanticError(SourceError):
    """The architecture parses but means nothing sensible (unknown activation, bad size, ...)."""


class ExpressionError(SourceError):
    """A size, bound or condition expression is malformed or uses something not allowed."""


@dataclass(frozen=True)
class TheoremProblem:
    """One problem found in a theorem file: ``path:line: message``."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"


class TheoremBaseError(VcboundError):
    """The theorem base (built-in or a user directory) has problems; all of them are listed."""

    exit_code = 2

    def __init__(self, problems: list[TheoremProblem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def shown(text: str) -> str:
    """User-written text as quoted in a message (very long ones are cut)."""
    return text if len(text) <= 40 else text[:37] + "..."


def did_you_mean(word: str, choices, what: str) -> str:
    """A message tail suggesting the closest valid name and listing the valid ones."""
    choices = sorted(choices)
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return f"({hint}expected one of: {', '.join(choices)})" if what else f"({hint.strip()})"
