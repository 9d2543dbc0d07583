"""Rendering of parameter counts (``vcbound params``).

In: ``Quantities`` and optional numeric bindings. Out: a per-layer table (text) or a JSON-ready
dict whose symbolic values are strings in sympy's ``str`` syntax and, when every symbol is bound,
integers.
"""
from __future__ import annotations

from ..expressions import substitute


def _value(v, bindings):
    v = substitute(v, bindings)
    if v is None:
        return None
    if isinstance(v, int):
        return v
    if getattr(v, "is_Integer", False):
        return int(v)
    return str(v)


def params_json(q, bindings: dict | None = None) -> dict:
    b = bindings or {}
    return {
        "architecture": q.arch.text.strip(),
        "convention": q.convention,
        "params": _value(q.params, b),
        "units": _value(q.units, b),
        "multiplications": _value(q.mults, b),
        "depth": _value(q.depth, b),
        "seq_len": _value(q.seq_len, b),
        "input_dim": _value(q.input_dim, b),
        "output_dim": _value(q.output_dim, b),
        "topology": q.topology,
        "activation_classes": sorted(q.classes),
        "multiplicative_gates": q.multiplicative,
        "bindings": {k: _value(v, {}) for k, v in b.items()},
        "layers": [
            {"kind": r.kind, "label": r.label, "line": r.line, "column": r.column,
             "multiplicity": _value(r.multiplicity, b), "params": _value(r.params, b),
             "units": _value(r.units, b), "output_width": _value(r.output_width, b)}
            for r in q.rows
        ],
    }


def params_text(q, bindings: dict | None = None) -> str:
    b = bindings or {}
    head = ("#", "layer", "x", "params", "units", "out")
    rows = [head]
    for i, r in enumerate(q.rows, 1):
        rows.append((str(i), r.label, str(_value(r.multiplicity, b)), str(_value(r.params, b)),
                     str(_value(r.units, b) if r.units != 0 else "-"), str(_value(r.output_width, b))))
    widths = [max(len(row[c]) for row in rows) for c in range(len(head))]
    lines = ["  ".join(cell.ljust(w) if c in (1,) else cell.rjust(w) if c else cell.ljust(w)
                       for c, (cell, w) in enumerate(zip(row, widths))).rstrip() for row in rows]
    lines.insert(1, "-" * len(lines[0]))
    lines.append("-" * len(lines[0]))
    total = [f"parameters  W = {_value(q.params, b)}   ({q.convention} convention)",
             f"units       U = {_value(q.units, b)}" + (f"  (+ {_value(q.mults, b)} multiplication gates)"
                                                       if q.multiplicative else ""),
             f"depth       L_eff = {_value(q.depth, b)}" + ("  (per time step)" if q.recurrent else "")]
    if q.seq_len is not None:
        total.append(f"sequence    T = {_value(q.seq_len, b)}")
    total.append(f"topology     : {q.topology.replace('_', ' ')}")
    if b:
        total.append("at            : " + ", ".join(f"{k}={v}" for k, v in b.items()))
    return "\n".join(lines + total)
