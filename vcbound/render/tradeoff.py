"""Text, CSV, JSON, Markdown, LaTeX and plot of a ``Tradeoff`` (``vcbound tradeoff``).

In: a ``Tradeoff`` (vcbound.tradeoff). Out: an aligned table with a legend and notes; CSV (one row
per value of the varied symbol, full precision); a JSON-ready dict (exact ratios as text, values as
decimal strings, never a number beyond the float range as a float); a Markdown or LaTeX table; a PNG
with the solved width and the bounds. A bound known only up to constants appears only as its ratio
to the first row, under the label "shape only (constants unknown)".
"""
from __future__ import annotations


from ..evaluate import format_number
from ..tradeoff import SHAPE_ONLY, Tradeoff
from .pretty import significant


def _bindings(t: Tradeoff) -> str:
    parts = [f"{k}={v}" for k, v in t.fixed.items()] + [f"{k}={v}" for k, v in t.extra.items()]
    return ", ".join(parts)


def _head(t: Tradeoff) -> list[str]:
    from ..resolver import MEASURE_NAMES
    at = _bindings(t)
    return [f"tradeoff of the {MEASURE_NAMES[t.measure]} bounds of  {t.arch}",
            f"  budget W <= {t.budget:,} parameters ({t.convention} convention); for each {t.varied}, the largest "
            f"{t.solve} within it" + (f"; at {at}" if at else "")]


def _cell_text(col, cell) -> str:
    if col.kind == "value":
        if cell.value is None or cell.value.float is None:
            return "—"
        text = format_number(cell.value, 4)
        return text + (" (condition fails)" if cell.failed else "")
    if cell.ratio_float is None:
        return "—"
    return f"×{significant(cell.ratio_float)}"


def _route(col) -> str:
    return col.result_id + (f" via {col.view}" if col.view != "network" else "")


def _short(col, i: int) -> str:
    return f"[{i + 1}] {col.direction}" + (" (shape)" if col.kind == "shape" else "")


def tradeoff_table(t: Tradeoff) -> str:
    header = [t.varied, t.solve, "W"] + [_short(c, i) for i, c in enumerate(t.columns)]
    rows = []
    for r in t.rows:
        cells = [str(r.values[t.varied]), "—" if r.width is None else str(r.width),
                 "—" if r.params is None else f"{r.params:,}"]
        cells += [_cell_text(c, cell) for c, cell in zip(t.columns, r.cells)]
        rows.append(cells)
    widths = [max(len(h), *(len(row[k]) for row in rows)) if rows else len(h) for k, h in enumerate(header)]
    lines = _head(t) + [""]
    lines.append("  ".join(h.rjust(w) for h, w in zip(header, widths)))
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in rows]
    lines.append("")
    lines.append("columns:")
    for i, c in enumerate(t.columns):
        what = ("value (published constants)" if c.kind == "value"
                else f"{SHAPE_ONLY}: ratio to the first row")
        lines.append(f"  [{i + 1}] {c.direction} {c.order}  {what}")
        lines.append(f"      {c.result_id}" + (f" via {c.view}" if c.view != "network" else "")
                     + f"  [{', '.join(c.citations) or 'by definition'}]" + ("  (best order)" if c.best else ""))
    if not t.columns:
        lines.append("  none: no bound in the theorem base applies to this architecture")
    lines.append("")
    lines += [f"note: {n}" for n in t.notes]
    return "\n".join(lines)


def _csv_header(t: Tradeoff) -> list[str]:
    out = [t.varied, t.solve, "W", "W_next"]
    for c in t.columns:
        out.append(f"{c.label}" if c.kind == "value" else f"{c.label} [{SHAPE_ONLY}; ratio to first row]")
    return out


def tradeoff_csv(t: Tradeoff) -> str:
    import csv
    import io
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(_csv_header(t))
    for r in t.rows:
        row = [r.values[t.varied], "" if r.width is None else r.width, "" if r.params is None else r.params,
               "" if r.next_params is None else r.next_params]
        for c, cell in zip(t.columns, r.cells):
            if c.kind == "value":
                row.append("" if cell.value is None or cell.value.float is None else _decimal(cell.value))
            else:
                row.append("" if cell.ratio_float is None else repr(cell.ratio_float))
        w.writerow(row)
    return buf.getvalue()


def _decimal(num) -> str:
    if num.overflow or num.underflow:
        import mpmath
        return mpmath.nstr(num.exact._to_mpmath(200), 17)
    return repr(num.float)


def tradeoff_json(t: Tradeoff) -> dict:
    from ..resolver import MEASURE_NAMES

    def cell_json(c, cell):
        out = {"note": cell.note or None}
        if c.kind == "value":
            out["value"] = None if cell.value is None or cell.value.float is None else _decimal(cell.value)
            out["failing_conditions"] = cell.failed
        if cell.ratio is not None:
            out["ratio_to_first"] = str(cell.ratio)
            out["ratio_to_first_float"] = cell.ratio_float
        return out
    return {
        "measure": t.measure, "measure_name": MEASURE_NAMES[t.measure], "architecture": t.arch,
        "convention": t.convention, "budget": t.budget, "varied": t.varied, "solve": t.solve,
        "fixed": {k: str(v) for k, v in t.fixed.items()}, **{k: str(v) for k, v in t.extra.items()},
        "columns": [{"key": c.key, "result": c.result_id, "direction": c.direction, "view": c.view,
                     "kind": c.kind, "label": "value" if c.kind == "value" else SHAPE_ONLY,
                     "best": c.best, "scope": c.scope, "order": c.order, "citations": c.citations,
                     "locator": c.locator} for c in t.columns],
        "rows": [{t.varied: r.values[t.varied], t.solve: r.width, "W": r.params, "W_next": r.next_params,
                  "bounds": [cell_json(c, cell) for c, cell in zip(t.columns, r.cells)]} for r in t.rows],
        "notes": list(t.notes),
    }


def tradeoff_markdown(t: Tradeoff) -> str:
    header = [t.varied, t.solve, "W"] + [
        f"{c.direction} {_route(c)}" + ("" if c.kind == "value" else f" ({SHAPE_ONLY}, ratio to first row)")
        for c in t.columns]
    lines = [f"**{_head(t)[0]}**", "", _head(t)[1].strip(), "",
             "| " + " | ".join(h.replace("|", "\\|") for h in header) + " |",
             "|" + "---:|" * len(header)]
    for r in t.rows:
        cells = [str(r.values[t.varied]), "—" if r.width is None else str(r.width),
                 "—" if r.params is None else f"{r.params:,}"]
        cells += [_cell_text(c, cell) for c, cell in zip(t.columns, r.cells)]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    for c in t.columns:
        lines.append(f"- {c.direction} `{c.result_id}`" + (f" via {c.view}" if c.view != "network" else "")
                     + f": {c.order}; {', '.join(c.citations) or 'by definition'}")
    lines.append("")
    lines += [f"*{n}*" for n in t.notes]
    return "\n".join(lines)


def _tex(text: str) -> str:
    out = []
    for ch in text:
        out.append({"_": r"\_", "%": r"\%", "&": r"\&", "#": r"\#", "$": r"\$", "{": r"\{", "}": r"\}",
                    "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}",
                    "—": "---", "×": r"$\times$", "≤": r"$\le$"}.get(ch, ch))
    return "".join(out)


def tradeoff_latex(t: Tradeoff) -> str:
    """A ``table`` with a ``tabular`` (needs no package beyond LaTeX itself)."""
    ncol = 3 + len(t.columns)
    head = [f"${t.varied}$", f"${t.solve}$", "$W$"] + [f"[{i + 1}]" for i in range(len(t.columns))]
    lines = [r"\begin{table}[ht]", r"\centering", r"\begin{tabular}{" + "r" * ncol + "}", r"\hline",
             " & ".join(head) + r" \\", r"\hline"]
    for r in t.rows:
        cells = [str(r.values[t.varied]), "---" if r.width is None else str(r.width),
                 "---" if r.params is None else f"{r.params:,}".replace(",", "{,}")]
        cells += [_tex(_cell_text(c, cell)) for c, cell in zip(t.columns, r.cells)]
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\hline", r"\end{tabular}"]
    legend = []
    for i, c in enumerate(t.columns):
        kind = "value (published constants)" if c.kind == "value" else f"{SHAPE_ONLY}, ratio to the first row"
        legend.append(f"[{i + 1}] {c.direction} bound {_tex(_route(c))} ({_tex(', '.join(c.citations))}): {kind}.")
    caption = (f"Budget $W \\le {t.budget}$ parameters: for each ${t.varied}$ the largest ${t.solve}$ within it"
               + (f" ({_tex(_bindings(t))})" if t.fixed else "") + ". " + " ".join(legend))
    lines += [r"\caption{" + caption + "}", r"\end{table}"]
    return "\n".join(lines)


def plot_tradeoff(t: Tradeoff, path: str, dpi: int = 120) -> str:
    """Three panels against the varied symbol: the solved width, the bounds with published constants
    (log scale), and the shapes of the others as ratios to the first row (log scale)."""
    from .plot import _matplotlib
    Figure, Canvas = _matplotlib()
    rows = [r for r in t.rows if r.width is not None]
    x = [r.values[t.varied] for r in rows]
    values = [c for c in t.columns if c.kind == "value"]
    shapes = [c for c in t.columns if c.kind == "shape"]
    panels = 1 + bool(values) + bool(shapes)
    fig = Figure(figsize=(4.4 * panels + 0.6, 4.4))
    Canvas(fig)
    ax = fig.add_subplot(1, panels, 1)
    ax.plot(x, [r.width for r in rows], marker="o", color="tab:blue")
    ax.set_xlabel(t.varied)
    ax.set_ylabel(f"largest {t.solve} with W <= {t.budget:,}", color="tab:blue")
    ax.set_title(f"width at the budget", fontsize=9)
    ax.grid(True, alpha=0.3)
    k = 2
    if values:
        ax = fig.add_subplot(1, panels, k)
        k += 1
        for c in values:
            idx = t.columns.index(c)
            ys = [r.cells[idx].value.float if r.cells[idx].value is not None and r.cells[idx].value.float
                  else float("nan") for r in rows]
            ax.plot(x, ys, marker="o", markersize=3, label=f"{c.direction} {c.result_id}")
        ax.set_yscale("log")
        ax.set_xlabel(t.varied)
        ax.set_ylabel("bound (published constants)")
        ax.set_title("values", fontsize=9)
        ax.legend(fontsize=6)
        ax.grid(True, which="both", alpha=0.3)
    if shapes:
        ax = fig.add_subplot(1, panels, k)
        for c in shapes:
            idx = t.columns.index(c)
            ys = [r.cells[idx].ratio_float if r.cells[idx].ratio_float is not None else float("nan") for r in rows]
            label = f"{c.direction} {c.result_id}" + (f" ({c.view})" if c.view != "network" else "")
            ax.plot(x, ys, marker="o", markersize=3, label=label[:70])
        ax.axhline(1.0, color="0.5", linewidth=0.8)
        ax.set_yscale("log")
        _plain_log_labels(ax)
        ax.set_xlabel(t.varied)
        ax.set_ylabel(f"ratio to {t.varied} = {x[0] if x else '?'}")
        ax.set_title(SHAPE_ONLY, fontsize=9)
        ax.legend(fontsize=6)
        ax.grid(True, which="both", alpha=0.3)
    arch = t.arch if len(t.arch) <= 80 else t.arch[:77] + "..."
    at = _bindings(t)
    fig.suptitle(f"{arch}\nbudget W <= {t.budget:,}" + (f", {at}" if at else ""), fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    return path


def budget_comparison_text(c) -> str:
    """Both families at the same budget (their own tables), then the ratio A/B of each shared bound."""
    from ..resolver import MEASURE_NAMES
    a, b = c.a, c.b
    lines = [f"compare {MEASURE_NAMES[a.measure]} at the same budget W <= {c.budget:,} ({a.convention} convention)",
             f"  A: {a.arch}", f"  B: {b.arch}", ""]
    for name, t in (("A", a), ("B", b)):
        r = t.rows[0]
        at = _bindings(t)
        if r.width is None:
            lines.append(f"{name}: no width fits: {r.cells[0].note if r.cells else ''}".rstrip())
            continue
        lines.append(f"{name}: {t.solve} = {r.width}, W = {r.params:,} (W at {t.solve} + 1: {r.next_params:,})"
                     + (f"; at {at}" if at else ""))
    lines.append("")
    if not c.ratios:
        lines.append("no bound applies to both through the same result and route, so none is compared")
    for ca, _cb, _exact, value, kind in c.ratios:
        what = ("published constants" if kind == "value"
                else f"{SHAPE_ONLY}: the same result on both sides, so its unknown constant cancels")
        lines.append(f"{ca.direction} {ca.result_id}" + (f" via {ca.view}" if ca.view != "network" else "")
                     + f": A/B = {significant(value)}  ({what})")
    lines.append("")
    lines.append("note: this compares the published bounds at equal parameter count, not the networks' VC "
                 "dimensions: a larger upper bound is a weaker guarantee, not a proof of larger capacity.")
    return "\n".join(lines)


def budget_comparison_json(c) -> dict:
    return {"budget": c.budget, "a": tradeoff_json(c.a), "b": tradeoff_json(c.b),
            "ratios": [{"result": ca.result_id, "view": ca.view, "direction": ca.direction, "kind": kind,
                        "label": "value" if kind == "value" else SHAPE_ONLY,
                        "ratio": str(exact), "ratio_float": value} for ca, _cb, exact, value, kind in c.ratios]}


def _plain_log_labels(ax) -> None:
    """Decimal tick labels on a log axis (a ratio of 1.34 reads better than 1.34 x 10^0)."""
    from matplotlib.ticker import FormatStrFormatter
    ax.yaxis.set_major_formatter(FormatStrFormatter("%.3g"))
    ax.yaxis.set_minor_formatter(FormatStrFormatter("%.3g"))
