"""Properties across the engine: bigger networks never get smaller upper bounds; JSON round-trips."""
from __future__ import annotations

import json

import pytest

from vcbound.asymptotics import compare
from vcbound.render.jsonout import resolution_json
from vcbound.resolver import bound
from vcbound.theorems import load_theorems

FAMILIES = [
    # (template with {w} width, {k} repeat count, {t} sequence length)
    "input(d) -> dense({w}, act=relu)^{k} -> dense(1)",
    "input(d) -> dense({w}, act=threshold)^{k} -> dense(1, act=threshold)",
    "input(d) -> dense({w}, act=sigmoid)^{k} -> dense(1, act=threshold)",
    "input(d, seq={t}) -> rnn({w}, act=sigmoid) -> last -> dense(1, act=threshold)",
    "input(d, seq={t}) -> lstm({w})^{k} -> last -> dense(1, act=sigmoid)",
    "input(d, seq={t}) -> gru({w}) -> last -> dense(1)",
]
GROW = [("w", "n", "2*n"), ("k", "L", "(L+1)"), ("t", "T", "2*T")]


@pytest.fixture(scope="module")
def base():
    return load_theorems(use_env=False)


def text(template, **over):
    values = {"w": "n", "k": "L", "t": "T"}
    values.update(over)
    return template.format(**values)


@pytest.mark.parametrize("template, key, small, big",
                         [(t, k, s, b) for t in FAMILIES for k, s, b in GROW if "{" + k + "}" in t])
def test_more_units_layers_or_steps_never_lower_the_best_upper_bound(base, template, key, small, big):
    a = bound(text(template, **{key: small}), base=base)
    b = bound(text(template, **{key: big}), base=base)
    assert (a.upper is None) == (b.upper is None)
    if a.upper is not None:
        assert compare(a.upper.form, b.upper.form, a.regime) in ("less", "equal"), (template, key)


@pytest.mark.parametrize("template", FAMILIES)
@pytest.mark.parametrize("measure", ["vc", "pdim", "sample_realizable"])
def test_json_round_trips_and_lower_never_exceeds_upper(base, template, measure):
    res = bound(text(template), measure=measure, base=base)
    data = resolution_json(res)
    assert json.loads(json.dumps(data)) == data
    if res.upper is not None and res.lower is not None and not res.conflicts:
        assert compare(res.lower.form, res.upper.form, res.regime) != "greater"
