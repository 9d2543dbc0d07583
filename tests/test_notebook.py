"""Notebooks: one-line reprs, rich displays, completion, and the tutorial run by a real kernel.

The tutorial (docs/tutorial.ipynb) is executed by nbclient with an ipykernel kernel (a separate
process speaking the Jupyter protocol, as in JupyterLab); its outputs are checked here.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import vcbound

ROOT = Path(__file__).resolve().parent.parent
RNN = "input(d, seq=T) -> rnn(n, act=sigmoid) -> last -> dense(1, act=threshold)"
MLP = "input(d) -> dense(h, act=threshold) -> dense(1, act=threshold)"


@pytest.fixture(scope="module")
def objects():
    res = vcbound.bound(RNN)
    cmp = vcbound.compare("input(d) -> dense(n, act=relu)^L -> dense(1)",
                          "input(d) -> dense(L, act=relu)^n -> dense(1)")
    from vcbound.evaluate import evaluate
    ev = evaluate(vcbound.bound(MLP), {"d": 10, "h": 5})
    sw = vcbound.sweep("input(d) -> dense(h, act=relu)^L -> dense(1)", ["L=1..3"], at="d=32,h=64")
    base = vcbound.load_theorems()
    imported = vcbound.import_model(ROOT / "tests" / "data" / "keras" / "mlp.json")
    found = {
        "Resolution": res, "Bound": res.upper, "Candidate": res.upper.candidates[0],
        "Step": res.upper.candidates[0].steps[0], "View": res.upper.candidates[0].view,
        "Miss": res.misses[0], "Regime": res.regime, "Form": res.upper.form,
        "Architecture": res.arch, "Layer": res.arch.layers[1], "Quantities": res.quantities,
        "Comparison": cmp, "Side": cmp.upper, "Evaluation": ev, "Row": ev.uppers[0],
        "Route": ev.uppers[0].route, "Number": ev.uppers[0].value, "Sweep": sw, "Column": sw.columns[1],
        "TheoremBase": base, "Result": base.results[0], "Lemma": base.all_lemmas[0],
        "Source": base.results[0].source, "ImportedModel": imported,
    }
    return found


def test_every_public_object_has_a_one_line_repr(objects):
    for name, obj in objects.items():
        text = repr(obj)
        assert "\n" not in text, f"{name}: {text[:200]}"
        assert len(text) <= 400, f"{name}: repr is {len(text)} characters"
        assert type(obj).__name__ in text, f"{name}: {text}"


@pytest.mark.parametrize("name", ["Resolution", "Comparison", "Quantities", "Sweep"])
def test_rich_displays(objects, name):
    obj = objects[name]
    html, md, latex = obj._repr_html_(), obj._repr_markdown_(), obj._repr_latex_()
    assert html.startswith('<div class="vcbound">') and "<table>" in html and "</table>" in html
    assert "<td>" in html and "|" not in re.sub(r"<code>.*?</code>", "", html)   # no Markdown left over
    assert "\n|---" in md
    assert latex.startswith("$$") and latex.rstrip().endswith("$$")
    envs = re.findall(r"\\(begin|end)\{(\w+)\}", latex)
    assert [e for k, e in envs if k == "begin"] == [e for k, e in reversed(envs) if k == "end"]


def test_resolution_html_shows_the_same_bounds_as_markdown(objects):
    res = objects["Resolution"]
    html = res._repr_html_()
    for key in res.upper.citations + res.lower.citations:
        assert f"[{key}]" in html
    assert "O(" in html and "Ω(" in html


def test_completion_shows_the_api():
    names = dir(vcbound)
    for name in ("bound", "compare", "count", "parse", "sweep", "import_model", "Resolution"):
        assert name in names
    for name in vcbound.__all__:
        assert getattr(vcbound, name) is not None
    assert "annotations" not in names


def test_tutorial_notebook_runs_under_a_real_kernel():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    nb = nbformat.read(ROOT / "docs" / "tutorial.ipynb", as_version=4)
    client = nbclient.NotebookClient(nb, timeout=180, kernel_name="python3",
                                     resources={"metadata": {"path": str(ROOT / "docs")}})
    client.execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(o.output_type != "error" for c in code for o in c.outputs)

    def data(i):
        (result,) = [o for o in code[i].outputs if o.output_type == "execute_result"]
        return result["data"]

    def stream(i):
        return "".join(o.get("text", "") for o in code[i].outputs if o.output_type == "stream")

    assert data(0)["text/plain"] == "280"
    for i in (1, 2, 5, 6):                 # Quantities, Resolution, Comparison, Sweep
        shown = data(i)
        assert {"text/plain", "text/html", "text/markdown", "text/latex"} <= set(shown), (i, set(shown))
        assert "\n" not in shown["text/plain"]
    assert "8·L·n²" in data(1)["text/markdown"]
    assert "koiran1998vc" in data(2)["text/html"]
    assert data(3)["text/plain"].endswith("'exists')")
    assert stream(4).startswith("<Resolution vc of ")
    # width n, depth L against width L, depth n: the same order for polynomially related sizes
    assert "equal order" in data(5)["text/markdown"]
    assert data(6)["text/html"].count("<tr>") == 1 + 4          # header + L = 1..4
    assert "lstm(5, convention=keras)^2" in stream(7) and data(7)["text/plain"] == "486"
