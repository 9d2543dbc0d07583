"""LaTeX rendering of ``Resolution`` objects (``vcbound bound|explain --format latex``).

In: ``Resolution`` objects. Out: a LaTeX snippet (needs ``amsmath`` and ``natbib``), a complete
document (``standalone=True``: article + natbib + amsmath + amssymb, the cited BibTeX entries written
by ``filecontents*`` so that one ``.tex`` file compiles with pdflatex + bibtex), and, for Jupyter's
``_repr_latex_``, a single KaTeX-safe ``$$\\begin{aligned}...\\end{aligned}$$`` block.

Bounds are typeset with ``sympy.latex`` on the resolver's expressions (trusted sympy objects, in the
user's own symbols) inside ``\\mathcal{O}``, ``\\Omega`` or ``\\Theta``. The scope of each bound is
the sentence of ``render.words`` (an existence lower bound never claims the user's network attains
it). Every step of a derivation cites its source with ``\\citet``/``\\citep`` and its locator, or
says "by definition". All other text goes through ``latex_escape``.
"""
from __future__ import annotations

import re
import unicodedata

from .refs import Citer, arch_line, bound_flags, locator_for, sources_for
from .words import convention_words, scope_sentence

OPERATOR = {"upper": r"\mathcal{O}", "lower": r"\Omega", "tight": r"\Theta"}
DIRECTION_WORD = {"upper": "Upper bound", "lower": "Lower bound"}

_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "%": r"\%",
    "#": r"\#", "_": r"\_", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}", '"': "{''}",
}
# Unicode that pdflatex (utf8, OT1) cannot typeset by itself
_UNICODE = {
    "≤": r"$\le$", "≥": r"$\ge$", "≠": r"$\ne$", "≈": r"$\approx$", "≫": r"$\gg$", "≪": r"$\ll$",
    "→": r"$\to$", "←": r"$\leftarrow$", "⇒": r"$\Rightarrow$", "↦": r"$\mapsto$", "∞": r"$\infty$",
    "×": r"$\times$", "·": r"$\cdot$", "−": "-", "±": r"$\pm$", "∈": r"$\in$", "⊂": r"$\subset$",
    "⊆": r"$\subseteq$", "√": r"$\surd$", "∑": r"$\sum$", "∏": r"$\prod$",
    "Θ": r"$\Theta$", "Ω": r"$\Omega$", "σ": r"$\sigma$", "ε": r"$\varepsilon$", "δ": r"$\delta$",
    "λ": r"$\lambda$", "π": r"$\pi$", "Π": r"$\Pi$", "α": r"$\alpha$", "β": r"$\beta$",
    "γ": r"$\gamma$", "μ": r"$\mu$", "τ": r"$\tau$", "φ": r"$\varphi$", "ψ": r"$\psi$",
    "…": r"\ldots{}", "–": "--", "—": "---", "‘": "`", "’": "'", "“": "``", "”": "''",
    "\u00a0": "~", "ᐟ": "/",
}
_SUPERSCRIPT = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-"))


def latex_escape(text) -> str:
    """Text safe for LaTeX text mode (pdflatex, OT1 or T1): specials escaped, common Unicode mapped.

    >>> latex_escape("koiran_sontag_1998 & 50% -- {x} <= y")
    'koiran\\\\_sontag\\\\_1998 \\\\& 50\\\\% -{}- \\\\{x\\\\} \\\\textless{}= y'
    """
    out = []
    text = str(text)
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in _SPECIAL:
            out.append(_SPECIAL[ch])
        elif ch == "-" and text.startswith("--", i):
            out.append("-{}")            # no en/em-dash ligature: '--assume' stays two hyphens
        elif ch in _SUPERSCRIPT:
            j = i
            while j < len(text) and text[j] in _SUPERSCRIPT:
                j += 1
            out.append(r"\textsuperscript{" + "".join(_SUPERSCRIPT[c] for c in text[i:j]) + "}")
            i = j
            continue
        elif ch in _UNICODE:
            out.append(_UNICODE[ch])
        elif ch == "\t" or ch == "\r":
            out.append(" ")
        elif ord(ch) < 32 and ch != "\n":
            out.append(" ")
        elif ord(ch) > 127 and not (0xA0 < ord(ch) <= 0xFF):
            plain = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
            if plain and plain.isascii():
                out.append(latex_escape(plain))
            else:
                out.append(f"[U+{ord(ch):04X}]")
        else:
            out.append(ch)
        i += 1
    return "".join(out)


_INLINE_MATH = re.compile(r"(?:\*\*|\^)\((-?\d+(?:/\d+)?)\)|(?:\*\*|\^)(\d+)|(?<=[\w)])\*(?=[\w(])")


_TO_ASCII = str.maketrans({"·": "*", **{u: f"^{a}" for u, a in _SUPERSCRIPT.items() if a.isdigit()}})
_TERM = r"(?:[A-Za-z_]\w*|\d+(?:\.\d+)?)(?:\((?:[^()]|\((?:[^()]|\([^()]*\))*\))*\))?|\((?:[^()]|\((?:[^()]|\([^()]*\))*\))*\)"
_EXPRESSION = re.compile(rf"(?<!\w)[OΩΘ]\((?:[^()]|\((?:[^()]|\([^()]*\))*\))*\)"
                         rf"|(?:\b[A-Za-z]\w*\s*=\s*)?(?:{_TERM})(?:\s*(?:\*\*|[-+*/^])\s*(?:{_TERM}))+")
_ORDER = re.compile(r"\A([OΩΘ])\((.*)\)\Z", re.S)
_ORDER_TEX = {"O": r"\mathcal{O}", "Ω": r"\Omega", "Θ": r"\Theta"}


def _expression_math(span: str) -> str | None:
    """``8*L*n^2 + n``, ``W = 8*L*n^2`` or ``O(T^2*W^4)`` as ``$...$`` (parsed by vcbound's own
    expression grammar, never evaluated), or None if the span is not an expression."""
    from ..errors import VcboundError
    from ..expressions import parse_expression
    lhs, body = "", span.strip()
    m = re.match(r"([A-Za-z]\w*)\s*=\s*(.*)\Z", body, re.S)
    if m:
        lhs, body = m.group(1), m.group(2)
    order = _ORDER.match(body)
    inner = order.group(2) if order else body
    try:
        expr = parse_expression(inner)
    except (VcboundError, RecursionError):
        return None
    tex = _latex(expr)
    if order:
        tex = _ORDER_TEX[order.group(1)] + r"\left(" + tex + r"\right)"
    if lhs:    # a word such as "depth" is a name, not a product of letters
        name = r"\mathrm{" + lhs + "}" if len(lhs) > 1 and lhs.isalpha() else _latex(parse_expression(lhs))
        tex = name + " = " + tex
    return f"${tex}$"


def prose(text) -> str:
    """Escaped text in which the resolver's inline expressions (``8*L*n**2``, ``T^2*d``,
    ``O(L^4*T^2)``, also in the Unicode of the text renderer) are set in math mode; a fragment
    that does not parse as an expression keeps superscripts and centred dots in text."""
    text = str(text).translate(_TO_ASCII)
    out, pos = [], 0
    for m in _EXPRESSION.finditer(text):
        span = m.group(0)
        if not _ORDER.match(span) and not re.search(r"\*|\^", span):
            continue                       # "and/or", "a-b": words, not a product or a power
        math = _expression_math(span)
        if math is None:
            continue
        out.append(_text_prose(text[pos:m.start()]))
        out.append(math)
        pos = m.end()
    out.append(_text_prose(text[pos:]))
    return "".join(out)


def _text_prose(text: str) -> str:
    """Escaped text; a stray power or product still reads as one (superscript, centred dot)."""
    out, pos = [], 0
    for m in _INLINE_MATH.finditer(text):
        out.append(latex_escape(text[pos:m.start()]))
        power = m.group(1) or m.group(2)
        out.append(r"\textsuperscript{" + power + "}" if power else r"$\cdot$")
        pos = m.end()
    out.append(latex_escape(text[pos:]))
    return "".join(out)


def _texttt(text) -> str:
    """Typewriter text: < > | stay literal (the typewriter font has them in OT1 and T1)."""
    s = latex_escape(" ".join(str(text).split()))
    s = s.replace(r"\textless{}", "<").replace(r"\textgreater{}", ">").replace(r"\textbar{}", "|")
    return r"\texttt{" + s + "}"


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


# --------------------------------------------------------------------------------------------
# math
# --------------------------------------------------------------------------------------------
_SYMBOL_NAMES = {"eps": r"\varepsilon", "Lbar": r"\bar{L}"}


def _latex(expr) -> str:
    import sympy as sp
    names = {s: _SYMBOL_NAMES[s.name] for s in getattr(expr, "free_symbols", ()) if s.name in _SYMBOL_NAMES}
    return sp.latex(expr, symbol_names=names) if names else sp.latex(expr)


def math(expr, multiline: bool = True) -> str:
    """``sympy.latex`` of a bound; a top-level min/max of long arguments is set as an aligned
    brace (one argument per line) when ``multiline``."""
    import sympy as sp
    if isinstance(expr, (sp.Min, sp.Max)) and multiline:
        args = [_latex(a) for a in expr.args]
        if sum(len(a) for a in args) > 60:
            name = r"\min" if isinstance(expr, sp.Min) else r"\max"
            body = r",\\ &".join(args)
            return name + r"\left\{\begin{aligned}&" + body + r"\end{aligned}\right\}"
    return _latex(expr)


def bound_math(direction: str, expr, multiline: bool = True) -> str:
    """``\\mathcal{O}\\left(...\\right)`` and its Omega/Theta siblings (math mode, no dollars)."""
    return OPERATOR[direction] + r"\left(" + math(expr, multiline) + r"\right)"


def _condition_math(text: str) -> str:
    """A condition such as ``L >= 3`` as math, parsed by the project's grammar (never eval)."""
    try:
        from ..expressions import parse_condition
        c = parse_condition(text)
        rel = {"<": "<", "<=": r"\le", ">": ">", ">=": r"\ge", "=": "=", ">>": r"\gg", "<<": r"\ll"}[c.rel]
        return f"${_latex(c.lhs)} {rel} {_latex(c.rhs)}$"
    except Exception:   # noqa: BLE001 - display only: fall back to the text as written
        return _texttt(text)


def _measure_name(res) -> str:
    from ..resolver import MEASURE_NAMES
    return MEASURE_NAMES.get(res.measure, res.measure)


def _regime(res) -> str:
    regime = res.regime
    how = ("polynomially related, so $\\log W$, $\\log U$ and the log of every size are of one order"
           if regime.polynomial else "sizes not polynomially related (logs of distinct sizes kept apart)")
    if not (regime.dominates or regime.substitutions):
        return r"all sizes $\to\infty$ jointly, " + how
    import sympy as sp
    parts = [f"${_latex(sp.Symbol(b))} \\gg {_latex(sp.Symbol(s))}$" for b, s in regime.dominates]
    parts += [f"${_latex(sp.Symbol(n))} = {_latex(v)}$" for n, v in regime.substitutions]
    return ", ".join(parts) + "; " + how


# --------------------------------------------------------------------------------------------
# bound (snippet)
# --------------------------------------------------------------------------------------------
def resolution_latex(res, citer: Citer | None = None, explain: bool = False, misses: bool = False) -> str:
    """The LaTeX body for one resolution: the bounds, their scope and citations; with
    ``explain`` also the derivation of every route (winners and losers), and with ``misses`` the
    results that did not apply (a paper cites what was used; ``--all`` adds the rest)."""
    citer = citer or Citer(sources_for([res]))
    q = res.quantities
    lines = [f"% vcbound: {_measure_name(res)} of " + arch_line(res.arch)]
    lines.append(r"\paragraph{" + latex_escape(_upper_first(_measure_name(res))) + " of the architecture}")
    lines.append(r"\begin{quote}\raggedright " + _texttt(arch_line(res.arch)) + r"\end{quote}")
    size = f"$W = {_latex(q.params)}$ parameters ({latex_escape(convention_words(q))})"
    if q.seq_len is not None:
        size += f" and input sequences of length $T = {_latex(q.seq_len)}$" if str(q.seq_len) != "T" \
            else " and input sequences of length $T$"
    lines.append(f"The network has {size}; regime: {_regime(res)}.")
    lines.append("")
    if res.no_result:
        lines.append(_no_result(res, citer))
    else:
        if res.tight and res.upper is not None:
            lines.append(r"The order is tight: \[ " + bound_math("tight", res.upper.expr) + r" \]")
        lines.append(r"\begin{itemize}")
        for bound in (res.upper, res.lower):
            if bound is not None:
                lines.append(_bound_item(bound, res, citer))
        if res.upper is None:
            lines.append(r"  \item \emph{Upper bound:} none; no upper bound in the theorem base applies.")
        if res.lower is None:
            lines.append(r"  \item \emph{Lower bound:} none; no lower bound in the theorem base applies.")
        lines.append(r"\end{itemize}")
        if res.upper is not None and res.lower is not None and not res.tight:
            lines.append("The bounds are not tight: they differ in this regime.")
    for c in res.conflicts:
        lines.append(r"\textbf{Conflict:} " + prose(str(c)) + ".")
    for note in res.notes:
        lines.append("")
        lines.append(r"\emph{Note.} " + prose(note))
    if explain:
        lines.append("")
        lines.append(derivation_latex(res, citer, misses=misses))
    return "\n".join(lines)


def _bound_item(bound, res, citer: Citer) -> str:
    cite = citer.cite(bound.citations)
    scope = prose(scope_sentence(bound, res))
    out = (f"  \\item \\emph{{{DIRECTION_WORD[bound.direction]}:}} "
           f"$\\displaystyle {bound_math(bound.direction, bound.expr)}$.\n"
           f"    {_upper_first(scope)}" + (f" {cite}" if cite else " (by definition)") + ".")
    if bound.conditions:
        out += " It holds when " + ", ".join(_condition_math(c) for c in bound.conditions) + "."
    out += " (" + latex_escape(_upper_first("; ".join(bound_flags(bound)))) + ".)"
    return out


def _no_result(res, citer: Citer, limit: int = 8) -> str:
    out = [f"No theorem in the base gives a bound on the {latex_escape(_measure_name(res))} of this "
           "network (no result)."]
    if res.misses:
        out.append("The nearest misses:")
        out.append(r"\begin{itemize}")
        for m in res.misses[:limit]:
            out.append("  " + _miss_item(m, citer))
        out.append(r"\end{itemize}")
    return "\n".join(out)


def _miss_item(m, citer: Citer) -> str:
    cite = citer.cite(m.result.source.key)
    return (r"\item " + _texttt(m.result.id) + (f" {cite}" if cite else "") + ": "
            + prose("; ".join(m.reasons)) + ".")


# --------------------------------------------------------------------------------------------
# explain (derivation)
# --------------------------------------------------------------------------------------------
_MAX_DEPTH = 4          # LaTeX allows four nested lists; deeper steps are flattened into the last


def derivation_latex(res, citer: Citer, misses: bool = False) -> str:
    """Every route as an enumerated list of steps; every step cites its source and locator or
    says "by definition". Winners come first in each direction. The results that did not apply are
    listed (and cited) only with ``misses``; otherwise one sentence counts them."""
    out = [r"\paragraph{Derivation.}"]
    any_routes = False
    for direction, cands, best in (("upper", res.uppers, res.upper), ("lower", res.lowers, res.lower)):
        if not cands:
            continue
        any_routes = True
        winners = {id(c) for c in best.candidates} if best else set()
        ordered = sorted(cands, key=lambda c: id(c) not in winners)
        out.append(f"{DIRECTION_WORD[direction]}s (every route; the best first):")
        out.append(r"\begin{enumerate}")
        for c in ordered:
            mark = "best route" if id(c) in winners else "a route that lost"
            flags = ", a step's applicability UNVERIFIED" if c.unsound else ""
            out.append(f"  \\item \\textbf{{{latex_escape(_upper_first(mark))}}}: "
                       f"${bound_math(direction, c.bound_expr)}$ {_view_words(c.view)} "
                       f"({latex_escape(c.status_label)}{latex_escape(flags)}).")
            out.extend(_steps_latex(c, citer, depth=2, indent="    "))
        out.append(r"\end{enumerate}")
    if not any_routes:
        out.append("No route applies.")
    if res.misses and not misses:
        n = len(res.misses)
        out.append(f"{n} other result{'s' if n != 1 else ''} in the theorem base did not apply to this "
                   f"network (\\texttt{{-{{}}-all}} lists {'them' if n != 1 else 'it'}, with the reasons).")
    elif res.misses:
        title = "Results that did not apply" if not res.no_result else "All results that did not apply"
        out.append(f"{title}:")
        out.append(r"\begin{itemize}")
        out.extend("  " + _miss_item(m, citer) for m in res.misses)
        out.append(r"\end{itemize}")
    return "\n".join(out)


def _view_words(view) -> str:
    if view.name == "network":
        return "on the network itself"
    return f"via the {latex_escape(view.name)} network"


def _results_by_id(cand) -> dict:
    out = {}
    for ic in getattr(cand, "inner", ()) or ():
        out.setdefault(ic.result.id, ic)
    return out


def _steps_latex(cand, citer: Citer, depth: int, indent: str) -> list[str]:
    if not cand.steps:
        return []
    out = [indent + r"\begin{enumerate}"]
    for s in cand.steps:
        out.extend(_step_latex(s, cand, citer, depth, indent + "  "))
    out.append(indent + r"\end{enumerate}")
    return out


def _step_latex(step, cand, citer: Citer, depth: int, indent: str) -> list[str]:
    """One step (and its children) as ``\\item``s; nested lists stop at LaTeX's depth limit."""
    text, detail = _step_words(step, cand)
    line = f"{indent}\\item {_texttt(step.id)}: {text}"
    if step.citation and citer.citable(step.citation):
        line += " " + citer.cite(step.citation, locator=locator_for(step))
        if step.unverified:
            line += " (locator UNVERIFIED)"
        line += f"; verification: {latex_escape(step.verification)}."
    else:
        line += ", by definition."
    if detail:
        line += " With " + detail + "."
    out = [line]
    if step.children:
        if depth < _MAX_DEPTH:
            out.append(indent + r"  \begin{enumerate}")
            for child in step.children:
                out.extend(_step_latex(child, _child_cand(step, cand), citer, depth + 1, indent + "    "))
            out.append(indent + r"  \end{enumerate}")
        else:
            for child in step.children:
                out.extend(_step_latex(child, _child_cand(step, cand), citer, depth, indent))
    return out


def _child_cand(step, cand):
    """The candidate the children of ``step`` belong to: a bridge step's children are the steps
    of the inner candidate it names; any other step's children stay with the same candidate."""
    if cand is not None and step.kind == "bridge":
        return _results_by_id(cand).get(step.id)
    return cand


def _step_words(step, cand) -> tuple[str, str]:
    """(what the step says, the substitution made) in LaTeX. A result step of a known candidate
    is typeset from its ``Result`` (bound and conditions as math, substitutions with the view's
    counts); any other step uses the resolver's own words."""
    result = getattr(cand, "result", None) if cand is not None else None
    if step.kind == "result" and result is not None and result.id == step.id:
        return _result_words(step, cand)
    if step.kind == "bridge" and cand is not None:
        inner = _results_by_id(cand).get(step.id)
        if inner is not None:
            from ..resolver import MEASURE_NAMES
            rel = r"\le" if inner.direction == "upper" else r"\ge"
            return (f"the {latex_escape(MEASURE_NAMES.get(inner.result.measure, inner.result.measure))} is "
                    f"${rel} {math(inner.bound_expr, multiline=False)}$ ({latex_escape(inner.status_label)})", "")
    return prose(step.text), (prose(step.detail) if step.detail else "")


def _result_words(step, cand) -> tuple[str, str]:
    import sympy as sp
    result = cand.result
    word = {"upper": "upper bound", "lower": "lower bound", "exact": "exact value"}.get(result.direction,
                                                                                      result.direction)
    if result.form == "asymptotic" and result.direction in OPERATOR:
        text = f"{word} ${bound_math(result.direction, result.bound, multiline=False)}$"
    elif result.form == "asymptotic":
        text = f"{word} ${bound_math('tight', result.bound, multiline=False)}$"
    else:
        text = f"{word} ${math(result.bound, multiline=False)}$"
    if result.conditions:
        text += " when " + ", ".join(_condition_math(c.text) for c in result.conditions)
    if step.unsound:
        text += " (applied to shared weights: UNVERIFIED)"
    subs = []
    for letter, quantity in result.symbols.items():
        value = cand.view.quantities.get(quantity) if quantity in cand.view.quantities else None
        lhs = _latex(sp.Symbol(letter))
        q_name = {"Lbar": r"\bar{L}", "eps": r"\varepsilon", "delta": r"\delta", "vc": r"\mathrm{VC}",
                  "pdim": r"\mathrm{Pdim}", "pieces": r"\mathrm{pieces}", "breakpoints": r"\mathrm{breakpoints}",
                  "degree": r"\mathrm{degree}"}.get(quantity) or _quantity_math(quantity)
        if value is not None and str(value) != quantity:
            subs.append(f"${lhs} \\mapsto {q_name} = {_latex(value)}$")
        else:
            subs.append(f"${lhs} \\mapsto {q_name}$")
    return text, ", ".join(subs)


def _quantity_math(name) -> str:
    """A quantity's name in math mode: a plain name as it is, anything else as escaped text."""
    name = str(name)
    return name if re.fullmatch(r"[A-Za-z]+", name) else r"\text{" + latex_escape(name) + "}"


# --------------------------------------------------------------------------------------------
# documents
# --------------------------------------------------------------------------------------------
PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[utf8]{inputenc}
\usepackage[T1]{fontenc}
\usepackage{lmodern}
\usepackage[margin=2.5cm]{geometry}
\usepackage{amsmath}
\usepackage{amssymb}
\usepackage[round]{natbib}
\usepackage{url}
\setlength{\emergencystretch}{3em}
"""


def resolutions_latex(resolutions, explain: bool = False, standalone: bool = False, misses: bool = False) -> str:
    """LaTeX for ``vcbound bound|explain --format latex`` (one section per measure).

    A snippet by default (needs ``amsmath`` and ``natbib``; the entries come from
    ``--format bibtex``); with ``standalone`` a complete document that carries its bibliography:
    exactly the entries it cites. ``misses`` (``--all``) adds the results that did not apply.
    """
    text, citer = _render(resolutions, explain, misses)
    if not standalone:
        head = ("% generated by vcbound; needs \\usepackage{amsmath,amssymb,natbib,url}\n"
                + ("% BibTeX entries for the keys cited here: the same command with --format bibtex\n"
                   if citer.keys else ""))
        return head + text
    parts = []
    if citer.keys:
        parts.append("\\begin{filecontents*}[overwrite]{\\jobname.bib}\n" + citer.bibtex()
                     + "\n\\end{filecontents*}")
    parts.append(PREAMBLE.rstrip())
    parts.append("\\begin{document}\n" + text)
    if citer.keys:
        parts.append("\\bibliographystyle{plainnat}\n\\bibliography{\\jobname}")
    parts.append("\\end{document}")
    return "\n".join(parts) + "\n"


def _render(resolutions, explain: bool, misses: bool = False) -> tuple[str, Citer]:
    citer = Citer(sources_for(resolutions))
    body = "\n\n".join(resolution_latex(r, citer, explain=explain, misses=misses) for r in resolutions)
    return body, citer


def cited_keys(resolutions, explain: bool = False, misses: bool = False) -> list[str]:
    """The BibTeX keys the LaTeX output cites, in order of first citation."""
    return _render(resolutions, explain, misses)[1].keys


# --------------------------------------------------------------------------------------------
# Jupyter: one KaTeX/MathJax-safe math block
# --------------------------------------------------------------------------------------------
def resolution_latex_math(res) -> str:
    """``Resolution._repr_latex_``: one ``$$\\begin{aligned}...\\end{aligned}$$`` block with no
    natbib commands (citations are ``\\text{[key]}``), so KaTeX and MathJax render it."""
    name = _measure_name(res)
    rows = []
    if res.no_result:
        rows.append(r"&\text{" + _katex_plain(f"{name}: no result (no theorem in the base applies)") + "}")
    if res.tight and res.upper is not None:
        rows.append(r"\text{" + _katex_plain(name) + r", tight:}\quad & "
                    + bound_math("tight", res.upper.expr, multiline=False))
    for bound in (res.upper, res.lower):
        if bound is None:
            continue
        label = f"{name}, {bound.direction}" + (" (exists)" if bound.scope == "exists" else "")
        keys = ", ".join(bound.citations) or "by definition"
        rows.append(r"\text{" + _katex_plain(label) + r":}\quad & "
                    + bound_math(bound.direction, bound.expr, multiline=False)
                    + r" && \text{[" + _katex_plain(keys) + r"]}")
    return "$$\n\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}\n$$"


def _katex_plain(text) -> str:
    """Text for ``\\text{...}`` in KaTeX and MathJax: only letters, digits, spaces and a few marks
    pass; TeX specials are escaped with the forms both understand."""
    out = []
    for ch in str(text):
        if ch.isalnum() and ch.isascii() or ch in " ,.;:()[]-+=/'!?*":
            out.append(ch)
        elif ch in "_#$%&{}":
            out.append("\\" + ch)
        else:
            out.append(" ")
    return "".join(out)


def comparison_latex_math(cmp) -> str:
    """``Comparison._repr_latex_``: both bounds per direction and the ratio, in one ``aligned``
    block that KaTeX and MathJax render (citations as ``\\text{[key]}``)."""
    rows = []
    for side in (cmp.upper, cmp.lower):
        for who, bound in (("A", side.a), ("B", side.b)):
            label = r"\text{" + _katex_plain(f"{side.direction}, {who}:") + r"}\quad & "
            if bound is None:
                rows.append(label + r"\text{none}")
                continue
            keys = ", ".join(bound.citations) or "by definition"
            rows.append(label + bound_math(bound.direction, bound.expr, multiline=False)
                        + r" && \text{[" + _katex_plain(keys) + "]}")
        verdict = _katex_plain(f"{side.direction}: " + (side.larger or "no comparison"))
        ratio = "" if side.ratio is None else r",\ \frac{A}{B} = \Theta\left(" + _latex(side.ratio) + r"\right)"
        rows.append(r"\text{" + verdict + r"} & " + ratio.lstrip(","))
    return "$$\n\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}\n$$"
