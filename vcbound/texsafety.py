"""Is text from a theorem file safe to hand to LaTeX and BibTeX as *data*?

In: the strings a theorem file contributes to the LaTeX output: a source's BibTeX entry (written
verbatim into the standalone document's ``filecontents*`` and, through BibTeX, into the ``.bbl``
that LaTeX reads), its key (``\\citep{key}``) and the locators of its results and lemmas (the
optional argument of ``\\citep``). Out: a list of ``TexProblem`` (offset into the text, message);
empty when the text is data and cannot act as TeX code.

The rules are an allow-list, because TeX code hides in many forms: ``\\end{filecontents*}`` closes
the embedded bibliography and whatever follows runs; ``\\input``, ``\\write``, ``\\AtBeginDocument``
and every other command outside a small set (accents, escaped specials, a few text styles and math
letters) are refused; ``^^5c`` is TeX's spelling of a backslash; unbalanced braces, unescaped
``% # &`` and ``_ ^`` outside math break the document. Locators are plain text (the renderer escapes
them): no backslash at all, balanced brackets and braces.

Used by the theorem validator (``vcbound.theorems``: a file that fails is reported and skipped;
``theorems.bibtex_latex_problems`` parses and checks an entry) and again by the LaTeX renderer
(``vcbound.render``), so that a ``Source`` built in Python without the validator cannot inject
either.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import shown

__all__ = ["TexProblem", "bibtex_entry_problems", "bibtex_key_problems", "locator_problems"]


@dataclass(frozen=True)
class TexProblem:
    """One reason a text is not LaTeX-safe data; ``offset`` indexes the checked text."""

    offset: int
    message: str


# Entry types that hold a reference. @preamble, @string and @comment are BibTeX commands, not data.
ENTRY_TYPES = frozenset({
    "article", "book", "booklet", "conference", "inbook", "incollection", "inproceedings", "manual",
    "mastersthesis", "misc", "phdthesis", "proceedings", "techreport", "unpublished", "online",
})

# A key is written into \citep{...} and \bibitem{...}: a conservative character set.
_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_:.+\-/]*\Z")

# Fields that plainnat typesets with the url package (\url, \doi), which reads its argument
# almost verbatim: % # & _ ~ are fine there; a backslash or ^ is still refused.
URL_FIELDS = frozenset({"url", "doi", "eprint"})

# Control sequences a BibTeX field may contain: accents, letters, escaped specials, text styles,
# and the math letters and operators a title may use. Nothing that reads files, writes, defines,
# changes catcodes or hooks into the document.
ALLOWED_SYMBOLS = frozenset("\"'`^~=.&%$#_{} -,;!@/")
ALLOWED_WORDS = frozenset("""
u v H c k r d b t i j o O l L ss SS aa AA ae AE oe OE
emph textit textbf textsc textrm textsf texttt textup textsl em it bf sc sl rm tt sf
textendash textemdash textquoteleft textquoteright textquotedblleft textquotedblright ldots dots
TeX LaTeX BibTeX S P copyright pounds
alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi
varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi
Sigma Upsilon Phi Psi Omega
log ln exp min max sup inf lim sin cos tanh cdot times le leq ge geq ne neq ll gg approx sim
infty ell partial nabla sqrt frac mathcal mathbb mathrm mathit mathbf mathsf mathtt operatorname
sum prod in notin subset subseteq cup cap to mapsto pm mp left right mid vert lceil rceil lfloor
rfloor langle rangle widetilde tilde hat bar overline underline
""".split())
_CONTROL_WORD = re.compile(r"\\([A-Za-z]+)")
_BAD_CHAR = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def bibtex_key_problems(key: str) -> list[TexProblem]:
    """A citation key as LaTeX writes it in ``\\citep{key}`` and BibTeX in ``\\bibitem{key}``."""
    if _KEY.match(key):
        return []
    return [TexProblem(0, f"BibTeX key '{shown(key)}' is not LaTeX-safe (letters, digits and "
                          f"_ : . + - / only, starting with a letter or digit)")]


def bibtex_entry_problems(text: str, entry) -> list[TexProblem]:
    """Every reason the BibTeX entry ``text`` could act as TeX code or break the document.

    ``entry`` is ``text`` parsed by the validator's ``parse_bibtex`` (one entry, balanced values;
    anything with ``type``, ``key`` and ``fields``); this checks what LaTeX would make of it.
    Offsets index ``text``.
    """
    problems = _raw_problems(text, allow_backslash=True)
    m = re.search(r"\\end\s*\{\s*filecontents", text)
    if m:
        problems.append(TexProblem(m.start(), "'\\end{filecontents' in the BibTeX entry would close the "
                                              "embedded bibliography of a standalone document"))
    if entry.type not in ENTRY_TYPES:
        problems.append(TexProblem(max(0, text.find("@")), f"BibTeX entry type '@{entry.type}' is not a "
                                   f"reference (expected one of: {', '.join(sorted(ENTRY_TYPES))})"))
    problems += [TexProblem(max(0, text.find(entry.key)), p.message) for p in bibtex_key_problems(entry.key)]
    for name, value in entry.fields.items():
        start = max(0, text.find(value)) if value else 0
        checker = _url_problems if name in URL_FIELDS else _text_problems
        problems += [TexProblem(start + p.offset, f"field '{name}': {p.message}") for p in checker(value)]
    # each place once, in order
    seen, out = set(), []
    for p in sorted(problems, key=lambda p: p.offset):
        if (p.offset, p.message) not in seen:
            seen.add((p.offset, p.message))
            out.append(p)
    return out


def locator_problems(text: str) -> list[TexProblem]:
    """A locator ("Theorem 5, p. 70") is plain text: the renderer escapes it, so a backslash can
    only be an attempt at TeX; brackets and braces must pair up (``]`` ends ``\\citep[...]``)."""
    problems = _raw_problems(text, allow_backslash=False)
    problems += _balance_problems(text, "{", "}") + _balance_problems(text, "[", "]")
    return sorted(problems, key=lambda p: p.offset)


# ---- helpers -------------------------------------------------------------------------------------
def _raw_problems(text: str, allow_backslash: bool) -> list[TexProblem]:
    out = []
    i = text.find("^^")
    if i >= 0:
        out.append(TexProblem(i, "'^^' is TeX's notation for an arbitrary character (^^5c is a backslash)"))
    m = _BAD_CHAR.search(text)
    if m:
        out.append(TexProblem(m.start(), f"control character U+{ord(m.group()):04X}"))
    if not allow_backslash and "\\" in text:
        out.append(TexProblem(text.index("\\"), "a backslash: write plain text (the LaTeX output escapes it; "
                                                "write accented letters as themselves, e.g. 'é', '§')"))
    return out


def _balance_problems(text: str, opener: str, closer: str) -> list[TexProblem]:
    depth, first_open = 0, []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":           # an escaped brace does not count
            i += 2
            continue
        if ch == opener:
            first_open.append(i)
            depth += 1
        elif ch == closer:
            if depth == 0:
                return [TexProblem(i, f"unmatched '{closer}'")]
            depth -= 1
            first_open.pop()
        i += 1
    if depth:
        return [TexProblem(first_open[-1], f"unclosed '{opener}'")]
    return []


def _url_problems(value: str) -> list[TexProblem]:
    out = _balance_problems(value, "{", "}")
    for ch in "\\^":
        if ch in value:
            out.append(TexProblem(value.index(ch), f"'{ch}' in a URL field"))
    return out


def _text_problems(value: str) -> list[TexProblem]:
    """A text field as LaTeX reads it from the .bbl: allowed commands only, specials escaped,
    ``_``/``^`` only in math, math closed, braces balanced."""
    out = _balance_problems(value, "{", "}")
    in_math, math_start = False, 0
    i, n = 0, len(value)
    while i < n:
        ch = value[i]
        if ch == "\\":
            m = _CONTROL_WORD.match(value, i)
            if m:
                if m.group(1) not in ALLOWED_WORDS:
                    out.append(TexProblem(i, f"LaTeX command '\\{shown(m.group(1))}' is not allowed in "
                                             f"BibTeX data (allowed: accents, escaped specials, a few text "
                                             f"styles and math letters)"))
                i = m.end()
                continue
            nxt = value[i + 1] if i + 1 < n else ""
            if nxt not in ALLOWED_SYMBOLS:
                out.append(TexProblem(i, f"LaTeX command '\\{nxt}' is not allowed in BibTeX data"))
            i += 2
            continue
        if ch == "$":
            in_math, math_start = not in_math, i
        elif ch in "%#&":
            out.append(TexProblem(i, f"unescaped '{ch}' (write '\\{ch}')"))
        elif ch in "_^" and not in_math:
            out.append(TexProblem(i, f"'{ch}' outside math (write '\\{ch}'" +
                                  (")" if ch == "_" else " or $...^...$)")))
        i += 1
    if in_math:
        out.append(TexProblem(math_start, "unclosed '$'"))
    return out
