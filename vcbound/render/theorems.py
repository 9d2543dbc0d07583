"""Text for ``vcbound theorems list|show|check``.

In: ``Result`` / ``Lemma`` records, a ``CheckReport`` or ``TheoremProblem`` list. Out: strings (a
table, a description of one entry, one problem per line). No decisions are made here.
"""
from __future__ import annotations

import os

from ..theorems import Lemma, Result, format_expr

_WIDTH = {"id": 44, "bound": 40, "locator": 34}


def _cut(text: str, width: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[:width - 1] + "…"


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(lines)


def results_table(results: list[Result]) -> str:
    """One line per result: id, measure, direction, scope, bound (in quantities), locator, level."""
    rows = [[_cut(r.id, _WIDTH["id"]), r.measure, r.direction, r.scope,
             _cut(format_expr(r.canonical_bound), _WIDTH["bound"]),
             _cut(r.locator if r.verified else "UNVERIFIED", _WIDTH["locator"]), r.verification]
            for r in results]
    return _table(["id", "measure", "direction", "scope", "bound", "locator", "verification"], rows)


def lemmas_table(lemmas: list[Lemma]) -> str:
    rows = [[_cut(lem.id, _WIDTH["id"]), lem.transform,
             _cut(lem.locator if lem.verified else "UNVERIFIED", _WIDTH["locator"]), lem.verification,
             "UNVERIFIED" if not lem.applicability_verified else ""]
            for lem in lemmas]
    return _table(["lemma", "transform", "locator", "verification", "applicability"], rows)


def scope_words(r: Result) -> str:
    """What the result claims, in words (never that the user's network attains a lower bound)."""
    family = "every network meeting the requirements below"
    if r.direction == "upper":
        if r.scope == "every":
            return f"upper bound: holds for {family}"
        return "upper bound for some network of the family (a construction); not a bound for every network"
    if r.direction == "lower":
        if r.scope == "every":
            return f"lower bound: holds for {family}"
        return ("lower bound, existence: some network of this family attains it (a construction); "
                "it does not say that a given network does")
    if r.scope == "every":
        return f"exact order: holds for {family}"
    return "exact order for some network of the family (a construction); not for every network"


def _block(label: str, text: str) -> list[str]:
    text = (text or "").strip()
    if not text:
        return []
    lines = text.splitlines()
    return [f"{label}:"] + ["  " + ln for ln in lines]


def _citation(source) -> list[str]:
    if source.bibtex.strip():
        return _block("BibTeX", source.bibtex)
    return ["citation: none (by definition)"]


def result_text(r: Result) -> str:
    form = "up to constants (O/Omega)" if r.form == "asymptotic" else "explicit (constants as stated)"
    out = [f"{r.id}  [{r.source.key}]",
           f"measure: {r.measure}   direction: {r.direction}   form: {form}",
           f"scope: {r.scope}: {scope_words(r)}",
           f"bound: {r.bound_text}",
           f"  in vcbound quantities: {format_expr(r.canonical_bound)}",
           "symbols: " + (", ".join(f"{k} = {v}" for k, v in r.symbols.items()) or "none")]
    if r.constants:
        out.append("constants (unspecified in the source): " + ", ".join(r.constants))
    out.append("requires: " + ", ".join(f"{k} = {str(v).lower() if isinstance(v, bool) else v}"
                                        for k, v in r.requires.items()))
    if r.conditions:
        out.append("conditions: " + "; ".join(c.text for c in r.conditions)
                   + "   (in quantities: " + "; ".join(c.text for c in r.canonical_conditions) + ")")
    out.append(f"locator: {r.locator}" + ("" if r.verified else "   (not checked against the source)"))
    out.append(f"verification: {r.verification}"
               + (f" (source: {r.source.verification})" if r.verification != r.source.verification else ""))
    if r.tied_weights:
        out.append("tied weights: stated (holds when parameters are shared between units)")
    out += _block("statement", r.statement)
    if r.tied_weights_reason and r.tied_weights_reason != "stated":
        out += _block("tied weights", r.tied_weights_reason)
    out += _block("notes", r.notes)
    out.append(f"source: {r.source.version}")
    out += _citation(r.source)
    out.append(f"file: {display_path(r.path)}:{r.line}")
    return "\n".join(out)


def lemma_text(lem: Lemma) -> str:
    out = [f"{lem.id}  [{lem.source.key}]  (lemma)",
           f"transform: {lem.transform}",
           f"locator: {lem.locator}" + ("" if lem.verified else "   (not checked against the source)"),
           f"verification: {lem.verification}"]
    out += _block("statement", lem.statement)
    out += _block("applicability", lem.applicability)
    out += _block("notes", lem.notes)
    out += _citation(lem.source)
    out.append(f"file: {display_path(lem.path)}:{lem.line}")
    return "\n".join(out)


def display_path(path: str) -> str:
    """``path`` relative to the working directory when it lies inside it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return rel if not rel.startswith("..") else path


def problem_line(problem) -> str:
    where = display_path(problem.path)
    return f"{where}:{problem.line}: {problem.message}" if problem.line else f"{where}: {problem.message}"
