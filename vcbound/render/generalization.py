"""Text and JSON for ``generalization.GeneralizationReport`` (``eval --measure generalization``).

In: a report (tensor norms, norm quantities, each applicable bound's value or what it needs).
Out: the terminal text (each bound with its citation, locator, the paper's formula, the substituted
numbers and its caveats) and a JSON object.
"""
from __future__ import annotations


def _num(v) -> str:
    return f"{v:.6g}" if isinstance(v, float) else str(v)


def bound_value_json(b) -> dict:
    return {"result": b.result_id, "citation": b.citation, "locator": b.locator, "form": b.form,
            "formula": b.formula, "substitutions": b.substitutions, "value": b.value,
            "missing": b.missing, "unverified": b.unverified, "caveat": b.caveat,
            "statement_caveat": b.statement_caveat, "undefined": b.undefined or None}


def generalization_json(report) -> dict:
    return {"measure": "generalization", "architecture": report.architecture,
            "tensors": [{"name": n, "shape": list(s), "spectral_norm": sn, "frobenius_norm": fn}
                        for n, s, sn, fn in report.tensors],
            "quantities": report.quantities, "bounds": [bound_value_json(b) for b in report.bounds],
            "notes": report.notes, "misses": [str(m) for m in report.misses]}


def generalization_text(report) -> str:
    lines = [f"generalization gap (norm-based) of  {report.architecture}", "", "weight tensors:"]
    width = max((len(t[0]) for t in report.tensors), default=4)
    for name, shape, sn, fn in report.tensors:
        norm_text = "" if sn is None else f"  spectral {sn:.6g}  frobenius {fn:.6g}"
        lines.append(f"  {name.ljust(width)}  {str(tuple(shape)):<12}{norm_text}".rstrip())
    shown = {k: v for k, v in report.quantities.items() if v is not None}
    if shown:
        lines.append("")
        lines.append("quantities: " + ", ".join(f"{k} = {_num(v)}" for k, v in shown.items()))
    lines.append("")
    if not report.bounds:
        lines.append("no norm-based bound in the theorem base applies to this network.")
        for m in report.misses[:5]:
            lines.append(f"  - {m}")
    for b in report.bounds:
        head = f"{b.result_id} [{b.citation}, {b.locator}]"
        if b.value is None:
            lines.append(f"{head}\n  " + (f"needs {', '.join(b.missing)}" if b.missing else b.undefined))
            continue
        lines.append(f"{head}\n  {b.formula} = {_num(b.value)}")
        lines.append("  with " + ", ".join(f"{k} = {_num(v)}" for k, v in b.substitutions.items()))
        if b.caveat:
            lines.append(f"  ({b.caveat})")
    for n in report.notes:
        lines.append(f"note: {n}")
    return "\n".join(lines)
