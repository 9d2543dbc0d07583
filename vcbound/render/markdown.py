"""Markdown rendering (``vcbound bound --format markdown`` and ``Resolution._repr_markdown_``).

In: ``Resolution`` objects. Out: Markdown: a heading line, a table of bounds (direction, bound,
status, scope, citations), notes, for ``explain`` the derivation as nested lists, and a citation
list built from the sources' BibTeX entries. Expressions use the compact Unicode of
``render.pretty``; scope sentences come from ``render.words``.
"""
from __future__ import annotations

import re

from .pretty import unicode_expr
from .refs import arch_line, bound_flags, locator_for, sources_for
from .words import convention_words, scope_sentence

SYMBOL = {"upper": "O", "lower": "Ω", "tight": "Θ"}
_SUP = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def md_escape(text) -> str:
    """Text safe inside a Markdown paragraph or table cell."""
    s = " ".join(str(text).split())
    s = s.replace("\\", "\\\\")
    for ch in "`*_[]|<":
        s = s.replace(ch, "\\" + ch)
    return s


def md_prose(text) -> str:
    """Like ``md_escape``, with the resolver's inline expressions (``T^2*d``, ``n**2``) in the
    compact Unicode of the text renderer (``T²·d``, ``n²``)."""
    s = re.sub(r"(?:\*\*|\^)(\d+)", lambda m: m.group(1).translate(_SUP), str(text))
    s = re.sub(r"(?<=[\w)])\*(?=[\w(])", "·", s).replace("**", "^")
    return md_escape(s)


def _code(text) -> str:
    s = " ".join(str(text).split())
    return f"`{s}`" if "`" not in s else f"`` {s} ``"


def _expr(direction, expr) -> str:
    return md_escape(f"{SYMBOL[direction]}({unicode_expr(expr)})")


class _Keys:
    def __init__(self, sources):
        self.sources = sources
        self.keys: list[str] = []

    def cite(self, keys) -> str:
        keys = [keys] if isinstance(keys, str) else list(keys)
        shown = []
        for k in keys:
            src = self.sources.get(k)
            if src is None or not src.bibtex.strip():
                continue
            if k not in self.keys:
                self.keys.append(k)
            shown.append(k)
        return ", ".join(f"[{md_escape(k)}]" for k in shown)


def resolution_markdown(res, explain: bool = False) -> str:
    """One resolution as Markdown, with its own citation list (``_repr_markdown_``)."""
    keys = _Keys(sources_for([res]))
    body = _resolution_body(res, keys, explain)
    return body + _references(keys)


def resolutions_markdown(resolutions, explain: bool = False, standalone: bool = False) -> str:
    """``vcbound bound|explain --format markdown``: one section per measure, one citation list.
    ``standalone`` adds a title line."""
    keys = _Keys(sources_for(resolutions))
    parts = [_resolution_body(r, keys, explain) for r in resolutions]
    head = "# vcbound\n\n" if standalone else ""
    return head + "\n\n".join(parts) + _references(keys)


def _resolution_body(res, keys: _Keys, explain: bool) -> str:
    from ..resolver import MEASURE_NAMES
    q = res.quantities
    out = [f"**{md_escape(MEASURE_NAMES.get(res.measure, res.measure))}** of {_code(arch_line(res.arch))}", ""]
    size = f"W = {unicode_expr(q.params)} parameters ({convention_words(q)})"
    if q.seq_len is not None:
        size += f", T = {unicode_expr(q.seq_len)}"
    out.append(md_escape(size + "; regime: " + res.regime.describe(long=True)))
    out.append("")
    if res.no_result:
        out.append("**No result:** no theorem in the base applies to this network for this measure.")
        if res.misses:
            out.append("")
            out.append("Nearest misses:")
            out.append("")
            out += [_miss(m, keys) for m in res.misses[:8]]
    else:
        if res.tight and res.upper is not None:
            out.append(f"**Tight:** {_expr('tight', res.upper.expr)}")
            out.append("")
        out.append("| direction | bound | status | scope | citations |")
        out.append("|---|---|---|---|---|")
        for bound in (res.upper, res.lower):
            if bound is None:
                continue
            scope = scope_sentence(bound, res)
            if bound.conditions:
                scope += "; holds when " + ", ".join(bound.conditions)
            out.append(f"| {bound.direction} | {_expr(bound.direction, bound.expr)} | "
                       f"{md_escape('; '.join(bound_flags(bound)))} | {md_escape(scope)} | "
                       f"{keys.cite(bound.citations) or 'by definition'} |")
        for direction, bound in (("upper", res.upper), ("lower", res.lower)):
            if bound is None:
                out.append(f"| {direction} | none | | no {direction} bound in the base applies | |")
        if res.upper is not None and res.lower is not None and not res.tight:
            out.append("")
            out.append("Not tight: the bounds differ.")
    for c in res.conflicts:
        out.append("")
        out.append("**Conflict:** " + md_escape(str(c)))
    for note in res.notes:
        out.append("")
        out.append("> **Note:** " + md_prose(note))
    if explain:
        out.append("")
        out += _derivation(res, keys)
    return "\n".join(out)


def _miss(m, keys: _Keys) -> str:
    cite = keys.cite(m.result.source.key)
    return f"- {_code(m.result.id)} {cite}: {md_prose('; '.join(m.reasons))}".replace("  ", " ")


def _derivation(res, keys: _Keys) -> list[str]:
    out = ["**Derivation**", ""]
    for direction, cands, best in (("upper", res.uppers, res.upper), ("lower", res.lowers, res.lower)):
        if not cands:
            continue
        winners = {id(c) for c in best.candidates} if best else set()
        out.append(f"{direction.capitalize()} bounds:")
        out.append("")
        for c in sorted(cands, key=lambda c: id(c) not in winners):
            mark = "best" if id(c) in winners else "lost"
            out.append(f"- **{mark}** {_expr(direction, c.bound_expr)} via {md_escape(c.view.name)} "
                       f"({c.status_label}{', UNVERIFIED step' if c.unsound else ''})")
            for s in c.steps:
                out += _step(s, keys, "  ")
        out.append("")
    if res.misses and not res.no_result:
        out.append("Results that did not apply:")
        out.append("")
        out += [_miss(m, keys) for m in res.misses]
    return out


def _step(step, keys: _Keys, indent: str) -> list[str]:
    cite = keys.cite(step.citation) if step.citation else ""
    loc = locator_for(step)
    where = (f"{cite}, {md_escape(loc)}" if loc else cite) if cite else "by definition"
    flag = " (locator UNVERIFIED)" if step.unverified and cite else ""
    text = md_prose(step.text)
    line = f"{indent}- {_code(step.id)}: {text} ({where}; {md_escape(step.verification)}){flag}"
    out = [line]
    if step.detail:
        out.append(f"{indent}  with {md_prose(step.detail)}")
    for c in step.children:
        out += _step(c, keys, indent + "  ")
    return out


# --------------------------------------------------------------------------------------------
# citation list
# --------------------------------------------------------------------------------------------
_ACCENTS = {'"': "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303", "c": "\u0327",
            "=": "\u0304", "u": "\u0306", "v": "\u030c", "H": "\u030b"}


def bib_plain(value: str) -> str:
    """A BibTeX field value as plain text: accents composed, braces and commands dropped."""
    import unicodedata
    s = re.sub(r"\\([\"'`^~=]|[cuvH](?=[\s{]))\s*\{?\s*([A-Za-z])\}?",
               lambda m: unicodedata.normalize("NFC", m.group(2) + _ACCENTS[m.group(1)]), value)
    s = re.sub(r"\\(ss|o|O|l|L|ae|AE|aa|AA)\b\s*",
               lambda m: {"ss": "ß", "o": "ø", "O": "Ø", "l": "ł", "L": "Ł", "ae": "æ", "AE": "Æ",
                          "aa": "å", "AA": "Å"}[m.group(1)], s)
    s = re.sub(r"\\[A-Za-z]+\s*", "", s)
    s = s.replace("{", "").replace("}", "").replace("---", "—").replace("--", "–").replace("~", " ")
    return " ".join(s.split())


def reference_text(source) -> str:
    """One source as a line of text: authors (year). Title. Venue."""
    from ..theorems import parse_bibtex
    try:
        f = parse_bibtex(source.bibtex).fields
    except Exception:   # noqa: BLE001 - the validator rejects such files; show the key alone
        return ""
    authors = bib_plain(f.get("author", f.get("editor", "")))
    year = bib_plain(f.get("year", ""))
    title = bib_plain(f.get("title", ""))
    venue = bib_plain(f.get("journal", f.get("booktitle", f.get("publisher", f.get("note", "")))))
    parts = []
    if authors:
        parts.append(md_escape(authors) + (f" ({md_escape(year)})." if year else "."))
    elif year:
        parts.append(f"({year}).")
    if title:
        parts.append(f"*{md_escape(title)}*.")
    if venue:
        parts.append(md_escape(venue) + ".")
    return " ".join(parts)


def _references(keys: _Keys) -> str:
    if not keys.keys:
        return ""
    lines = ["", "", "**References**", ""]
    for k in keys.keys:
        ref = reference_text(keys.sources[k])
        lines.append(f"- [{md_escape(k)}] {ref}".rstrip())
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# comparison
# --------------------------------------------------------------------------------------------
def comparison_markdown(cmp) -> str:
    """``vcbound compare --format markdown`` and ``Comparison._repr_markdown_``: one table row per
    direction (both bounds, which is larger, the ratio), the reasons, and a citation list."""
    from ..resolver import MEASURE_NAMES
    keys = _Keys(sources_for([cmp.res_a, cmp.res_b]))
    out = [f"**Compare {md_escape(MEASURE_NAMES.get(cmp.measure, cmp.measure))}**", "",
           f"- A: {_code(cmp.a_text)}", f"- B: {_code(cmp.b_text)}",
           f"- regime: {md_escape(cmp.regime.describe())}", "",
           "| direction | A | B | larger | ratio A/B |", "|---|---|---|---|---|"]

    def cell(bound) -> str:
        if bound is None:
            return "none"
        cites = keys.cite(bound.citations)
        return _expr(bound.direction, bound.expr) + (f" {cites}" if cites else "")

    for side in (cmp.upper, cmp.lower):
        ratio = "" if side.ratio is None else md_escape(f"Θ({unicode_expr(side.ratio)})")
        out.append(f"| {side.direction} | {cell(side.a)} | {cell(side.b)} | "
                   f"{md_escape(side.larger or 'no comparison')} | {ratio} |")
    out.append("")
    out += [f"- **{side.direction}:** {md_prose(side.reason)}" for side in (cmp.upper, cmp.lower)]
    out += ["", "> **Note:** this compares the published bounds, not the networks' VC dimensions: a larger "
                "upper bound is a weaker guarantee, not a proof of larger capacity; lower bounds are "
                "existence statements about each family."]
    return "\n".join(out) + _references(keys)
