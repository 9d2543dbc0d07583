"""The theorem base checked against itself on canonical architectures (after the resolver).

In: theorem files or directories to check (none: the built-in base alone). Out: one
``TheoremProblem`` per lower bound that grows faster than an upper bound which applies to the same
canonical network, naming both ids; ``vcbound theorems check`` reports them as errors.

The validator compares bounds whose ``requires`` are nested; this check resolves real networks
instead (feed-forward with one hidden layer and with symbolic depth, recurrent of standard form,
stacked and gated, each activation class), so it sees every route the resolver takes: lemmas,
views, regime and conditions, exactly as a user's query would.
"""
from __future__ import annotations

from .errors import TheoremProblem

ACTIVATIONS = ("threshold", "sign", "linear", "poly(2)", "relu", "hardtanh", "pwlinear(3)", "pwpoly(3, 2)",
               "sigmoid", "tanh", "softplus")


def canonical_architectures() -> list[str]:
    """The networks every check resolves: each activation class in a one-hidden-layer and a
    symbolic-depth feed-forward net and in a recurrent net of standard form; stacked recurrent and
    gated cells once."""
    archs = []
    for act in ACTIVATIONS:
        archs.append(f"input(d) -> dense(n, act={act}) -> dense(1)")
        archs.append(f"input(d) -> dense(n, act={act})^L -> dense(1)")
        archs.append(f"input(d, seq=T) -> rnn(n, act={act}) -> last -> dense(1)")
    archs += ["input(d, seq=T) -> rnn(n, act=sigmoid)^L -> last -> dense(1)",
              "input(d, seq=T) -> lstm(n) -> last -> dense(1)",
              "input(d, seq=T) -> gru(n)^L -> last -> dense(1)"]
    return archs


def canonical_conflicts(paths=(), measures=("vc",)) -> list[TheoremProblem]:
    """Every conflict on the canonical architectures, with the built-in base and ``paths``
    loaded together; with ``paths``, only conflicts involving a result from them."""
    from .resolver import bound, user_file
    from .theorems import load_theorems
    base = load_theorems([str(p) for p in paths], use_env=False)
    problems, seen = [], set()
    for measure in measures:
        for arch in canonical_architectures():
            res = bound(arch, measure, base=base)
            for c in res.conflicts:
                lo, up = c.lower.result, c.upper.result
                mine = bool(user_file(lo) or user_file(up))
                if (paths and not mine) or (lo.id, up.id, measure) in seen:
                    continue
                seen.add((lo.id, up.id, measure))
                at = up if (paths and not user_file(lo)) else lo
                problems.append(TheoremProblem(at.path, at.line, (
                    f"lower bound {lo.id} exceeds upper bound {up.id} on {measure} for the canonical "
                    f"architecture '{arch}': {_text(c.lower.bound_expr)} grows faster than "
                    f"{_text(c.upper.bound_expr)} (lower bound at {lo.path}:{lo.line}, upper bound at "
                    f"{up.path}:{up.line})")))
    return problems


def _text(expr) -> str:
    return str(expr).replace("**", "^")
