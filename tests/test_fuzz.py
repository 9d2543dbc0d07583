"""Fuzzing the architecture language with hypothesis.

- Grammar-aware generation of valid architectures: every one parses, counts and resolves, and
  ``params`` agrees with an *independent* reference computation written here from the formulas in
  DESIGN.md's table (torch: dense dn+n, rnn n(d+n)+2n, lstm 4n(d+n)+8n, gru 3(n(d+n)+2n),
  bidirectional doubles a layer and its output width, proj p: 4n(d+p)+8n+pn with output width p;
  keras/textbook: rnn n(d+n)+n, lstm 4n(d+n)+4n; gru keras = torch unless reset_after=false, which
  (and textbook) gives 3(n(d+n)+n); bias=false drops every bias term).
- Every generated architecture resolves (a bound or the nearest misses) within 1 s of CPU time.
- Mutated near-valid strings (a character deleted, inserted, duplicated; a name misspelt; a token
  swapped) and raw bytes: either an answer, or a ``VcboundError`` whose first line is
  ``file:line:col: message`` with the position inside the text, within 1 s per input.

The default run is a few hundred examples in total (well under a minute on 2 cores). The nightly
run uses the ``vcbound-nightly`` hypothesis profile (10,000 examples per test, 2,000 for the
resolving test):

    VCBOUND_NIGHTLY=1 python -m pytest tests/test_fuzz.py -p no:cacheprovider
"""
from __future__ import annotations

import os
import random
import time

import pytest
import sympy as sp
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

import vcbound
from vcbound import resolver
from vcbound.errors import SourceError, VcboundError
from vcbound.sources import decode

NIGHTLY = os.environ.get("VCBOUND_NIGHTLY") == "1"
settings.register_profile("vcbound-default", deadline=None, database=None, derandomize=False,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("vcbound-nightly", parent=settings.get_profile("vcbound-default"),
                          max_examples=10_000)
PROFILE = settings.get_profile("vcbound-nightly" if NIGHTLY else "vcbound-default")


def examples(default: int, nightly: int = 10_000) -> settings:
    return settings(PROFILE, max_examples=nightly if NIGHTLY else default)


pytestmark = pytest.mark.nightly if NIGHTLY else []

SECONDS_PER_INPUT = 1.0

# ---- the generator -----------------------------------------------------------------------------
SYMBOLS = ("n", "m", "h", "d", "k")            # sizes; T is the sequence length, L a repeat count
ACTS = ["linear", "relu", "leaky_relu", "hardtanh", "threshold", "sign", "sigmoid", "tanh", "softplus"]


@st.composite
def size(draw, depth: int = 0):
    """A positive integer-valued size in the user's language, and the same as a sympy expression."""
    choice = draw(st.integers(0, 9 if depth < 2 else 3))
    if choice <= 1:
        v = draw(st.integers(1, 9))
        return str(v), sp.Integer(v)
    if choice <= 3:
        s = draw(st.sampled_from(SYMBOLS))
        return s, sp.Symbol(s)
    if choice <= 5:
        (ta, a), (tb, b) = draw(size(depth + 1)), draw(size(depth + 1))
        return f"{ta} + {tb}", a + b
    if choice <= 7:
        (ta, a), (tb, b) = draw(size(depth + 1)), draw(size(depth + 1))
        return f"({ta})*({tb})", a * b
    if choice == 8:
        (ta, a) = draw(size(depth + 1))
        k = draw(st.integers(1, 3))
        return f"({ta})^{k}", a ** k
    c = draw(st.integers(2, 4))
    s = draw(st.sampled_from(SYMBOLS))
    return f"{c}*{s} + 1", c * sp.Symbol(s) + 1


MAX_TERMS = 8                                  # vcbound refuses sizes that multiply out to more terms


def _few_terms(pair) -> bool:
    return len(sp.Add.make_args(sp.expand(pair[1]))) <= MAX_TERMS


def small_size():
    return size(depth=1).filter(_few_terms)


@st.composite
def activation(draw):
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return f"poly({draw(st.integers(1, 4))})"
    if kind == 1:
        return f"pwlinear({draw(st.integers(2, 5))})"
    if kind == 2:
        return f"pwpoly({draw(st.integers(2, 4))}, {draw(st.integers(1, 3))})"
    return draw(st.sampled_from(ACTS))


@st.composite
def dense_layer(draw):
    width_t, width = draw(small_size())
    opts, spec = [], {"kind": "dense", "n": width, "bias": True}
    if draw(st.booleans()):
        opts.append(f"act={draw(activation())}")
    if draw(st.integers(0, 4)) == 0:
        spec["bias"] = draw(st.booleans())
        opts.append(f"bias={'true' if spec['bias'] else 'false'}")
    if draw(st.integers(0, 4)) == 0:
        opts.append(f"convention={draw(st.sampled_from(['torch', 'keras', 'textbook']))}")
    draw(st.randoms()).shuffle(opts)
    return f"dense({', '.join([width_t] + opts)})", spec


@st.composite
def recurrent_layer(draw, default_convention: str):
    kind = draw(st.sampled_from(["rnn", "lstm", "gru"]))
    width_t, width = draw(small_size())
    conv = default_convention
    opts = []
    spec = {"kind": kind, "n": width, "bias": True, "dirs": 1, "proj": None, "reset_after": None}
    if draw(st.integers(0, 3)) == 0:
        conv = draw(st.sampled_from(["torch", "keras", "textbook"]))
        opts.append(f"convention={conv}")
    spec["conv"] = conv
    if kind == "rnn" and draw(st.booleans()):
        opts.append(f"act={draw(activation())}")
    if draw(st.integers(0, 4)) == 0:
        spec["bias"] = draw(st.booleans())
        opts.append(f"bias={'true' if spec['bias'] else 'false'}")
    if draw(st.integers(0, 3)) == 0:
        spec["dirs"] = 2
        opts.append("bidirectional=true")
    if kind == "lstm" and conv == "torch" and draw(st.integers(0, 3)) == 0:
        # proj must be smaller than the width: write the width as (width) + (proj)
        proj_t, proj = draw(size(depth=2))
        width_t, width = f"{width_t} + {proj_t}", width + proj
        spec["n"], spec["proj"] = width, proj
        opts.append(f"proj={proj_t}")
    if kind == "gru" and conv != "torch" and draw(st.integers(0, 2)) == 0:
        spec["reset_after"] = draw(st.booleans())
        opts.append(f"reset_after={'true' if spec['reset_after'] else 'false'}")
    draw(st.randoms()).shuffle(opts)
    return f"{kind}({', '.join([width_t] + opts)})", spec


@st.composite
def section(draw, layer, depth: int = 0):
    """Items of one section: layers, and repeated groups ``(a -> b)^k`` (nested at most twice)."""
    items = []
    for _ in range(draw(st.integers(1, 3 if depth == 0 else 2))):
        if depth < 2 and draw(st.integers(0, 4)) == 0:
            body = draw(section(layer, depth + 1))
            count_t, count = draw(st.sampled_from([("2", sp.Integer(2)), ("3", sp.Integer(3)), ("L", sp.Symbol("L")),
                                                   ("(L+1)", sp.Symbol("L") + 1)]))
            inner = " -> ".join(t for t, _ in body)
            text = f"({inner})^{count_t}" if len(body) > 1 or draw(st.booleans()) else f"{inner}^{count_t}"
            if len(body) == 1 and body[0][1][0] == "repeat":
                text = f"({inner})^{count_t}"
            items.append((text, ("repeat", count, [s for _, s in body])))
        else:
            text, spec = draw(layer)
            items.append((text, ("layer", spec)))
    return items


@st.composite
def architecture(draw):
    """Valid architecture text and a description for the reference count."""
    conv = "torch"
    dim_t, dim = draw(size().filter(_few_terms))
    sequential = draw(st.booleans())
    parts, spec = [], []
    if sequential:
        parts.append(f"input({dim_t}, seq=T)")
        rec = draw(section(recurrent_layer(conv)))
        parts += [t for t, _ in rec]
        spec += [s for _, s in rec]
        if draw(st.booleans()):
            parts.append("last")
            spec.append(("layer", {"kind": "last"}))
            if draw(st.booleans()):
                dense = draw(section(dense_layer()))
                parts += [t for t, _ in dense]
                spec += [s for _, s in dense]
    else:
        parts.append(f"input({dim_t})")
        dense = draw(section(dense_layer()))
        parts += [t for t, _ in dense]
        spec += [s for _, s in dense]
    sep = draw(st.sampled_from([" -> ", "->", " ->\n  ", "\n  -> "]))
    text = sep.join(parts)
    if draw(st.integers(0, 5)) == 0:
        text = "# generated\n" + text + "   # trailing comment\n"
    return text, dim, spec


# ---- the independent reference count (DESIGN.md's table) ---------------------------------------------
def ref_layer(spec: dict, d, convention: str = "torch"):
    """(parameters, output width) of one layer seeing input width ``d``."""
    kind = spec["kind"]
    if kind == "last":
        return sp.Integer(0), d
    n = spec["n"]
    if kind == "dense":
        return d * n + (n if spec["bias"] else 0), n
    conv = spec.get("conv", convention)
    dirs = spec["dirs"]
    if kind == "rnn":
        one = n * (d + n) + ((2 if conv == "torch" else 1) * n if spec["bias"] else 0)
        return dirs * one, dirs * n
    if kind == "lstm":
        p = spec["proj"]
        if p is not None:                           # torch only: 4n(d+p) + 8n + pn, output p
            one = 4 * n * (d + p) + (8 * n if spec["bias"] else 0) + p * n
            return dirs * one, dirs * p
        one = 4 * n * (d + n) + ((8 if conv == "torch" else 4) * n if spec["bias"] else 0)
        return dirs * one, dirs * n
    # gru: torch = keras(reset_after=true) 3(n(d+n)+2n); keras reset_after=false and textbook 3(n(d+n)+n)
    reset_after = spec["reset_after"] if spec["reset_after"] is not None else conv != "textbook"
    one = 3 * (n * (d + n) + ((2 if reset_after else 1) * n if spec["bias"] else 0))
    return dirs * one, dirs * n


def ref_items(items, d):
    total = sp.Integer(0)
    for item in items:
        if item[0] == "layer":
            p, d = ref_layer(item[1], d)
            total += p
        else:
            _, count, body = item
            first, d1 = ref_items(body, d)
            rest, d2 = ref_items(body, d1)
            assert sp.expand(d2 - d1) == 0          # a block's output width does not depend on its input
            total += first + (count - 1) * rest
            d = d1
    return total, d


def values_at(expr, point: dict):
    return int(sp.Integer(expr.xreplace({s: point[s.name] for s in expr.free_symbols})))


def points(seed: int) -> list[dict]:
    rng = random.Random(seed)
    names = list(SYMBOLS) + ["T", "L"]
    return [{s: rng.randint(1, 12) for s in names} for _ in range(3)]


# ---- valid architectures ---------------------------------------------------------------------------
@examples(250)
@given(architecture(), st.integers(0, 2 ** 16))
def test_generated_architectures_count_like_the_reference(arch, seed):
    text, dim, spec = arch
    start = time.process_time()
    q = vcbound.count(text)
    assert time.process_time() - start < SECONDS_PER_INPUT * 3, text
    expected, width = ref_items(spec, dim)
    for pt in points(seed):
        assert values_at(q.params, pt) == values_at(sp.expand(expected), pt), (text, pt)
        assert values_at(sp.sympify(q.output_dim), pt) == values_at(sp.sympify(width), pt), (text, pt)


@pytest.fixture(scope="module")
def warm_engine():
    """The theorem base loaded, numpy imported (long sums are pruned with it) and sympy's caches warm:
    the first queries of a process pay for these once, and that is not the time of a query."""
    import numpy  # noqa: F401
    for text in ("input(d, seq=T) -> lstm(n)^L -> last -> dense(1, act=sigmoid)",
                 "input(d) -> dense(h, act=pwpoly(4, 2)) -> (dense(h, bias=false)^L -> dense(2))^2 -> dense(1)",
                 "input(d) " + "".join(f"-> dense(n{i} + k, act=relu) " for i in range(4)),
                 "input(7, seq=T) -> rnn(4, act=pwlinear(4)) -> gru(m) -> last -> dense(1, act=threshold)",
                 "input(9 + m) -> dense(m, act=pwlinear(4)) -> (dense(n) -> (dense(n, act=poly(3)) "
                 "-> dense(9, act=pwpoly(3, 2)))^(L+1))^3"):
        vcbound.bound(text)


@settings(examples(40, 2_000), phases=[Phase.explicit, Phase.reuse, Phase.generate])   # no 10-minute shrinks
@given(architecture())
def test_generated_architectures_resolve(warm_engine, arch):
    text, _dim, _spec = arch
    # CPU time of this process, not wall-clock time: the machine may be shared (CI runs the suite
    # alone, developers do not), and the answer memo is cleared so that each one is a new query
    resolver._RESOLUTIONS.clear()
    start = time.process_time()
    res = vcbound.bound(text)
    elapsed = time.process_time() - start
    assert elapsed < SECONDS_PER_INPUT, f"{elapsed:.2f} s of CPU to resolve {text!r}"
    assert res.upper is not None or res.misses, text     # an answer: a bound or the nearest misses
    ordered = lambda b: b is not None and not b.form.unordered_keys(res.regime)  # noqa: E731
    if ordered(res.upper) and ordered(res.lower) and not res.conflicts:
        # (a factor compared only structurally, log((72L + 68)/(L + 2)), makes "greater" meaningless:
        # the resolver never reports a conflict through one, and neither does this check)
        from vcbound.asymptotics import compare
        assert compare(res.lower.form, res.upper.form, res.regime) != "greater", text


# ---- near-valid and random input ----------------------------------------------------------------------
NEAR_NAMES = ["dens", "lstmm", "gr", "rnnn", "lasst", "inpt", "relux", "sigmod", "tanhh", "bais", "act",
              "seq", "proj", "poly", "e", "pi", "log", "min", "_x", "x__y", "true", "false"]
PIECES = ["(", ")", ",", "->", "-", ">", "^", "*", "+", "/", "=", "#", "\n", "\r\n", " ", "0", "-1", "1.5",
          "1e9", "10^10^10", "\x00", "\t", "é", "λ", "\u200b", "'", '"', "{", "}", "[", ";", "..."]


@st.composite
def mutated(draw):
    text, _dim, _spec = draw(architecture())
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(text)))
        op = draw(st.integers(0, 4))
        if op == 0 and text:                           # delete a character
            text = text[:max(0, i - 1)] + text[i:]
        elif op == 1:                                  # insert a piece
            text = text[:i] + draw(st.sampled_from(PIECES)) + text[i:]
        elif op == 2:                                  # duplicate a stretch
            j = draw(st.integers(i, min(len(text), i + 12)))
            text = text[:j] + text[i:j] + text[j:]
        elif op == 3:                                  # replace a name with a near miss
            text = text[:i] + draw(st.sampled_from(NEAR_NAMES)) + text[i:]
        else:                                          # swap two characters
            if i + 1 < len(text):
                text = text[:i] + text[i + 1] + text[i] + text[i + 2:]
    return text


def check_failure_or_answer(text: str, filename: str = "<arch>"):
    start = time.process_time()
    try:
        q = vcbound.count(vcbound.parse(text, filename))
        assert q.params is not None
    except VcboundError as exc:
        first = str(exc).splitlines()[0]
        assert isinstance(exc, SourceError), (type(exc), first)
        assert exc.filename == filename
        if exc.line > 0:                                # positioned: the position is inside the text
            lines = text.splitlines() or [""]
            assert 1 <= exc.line <= max(1, len(lines)) + 1, (first, text)
            assert exc.column >= 1
            assert first.startswith(f"{filename}:{exc.line}:{exc.column}: "), first
        else:                                           # only whole-text problems carry no position
            assert any(w in exc.message for w in ("expected architecture text", "too long", "empty")), first
    elapsed = time.process_time() - start
    assert elapsed < SECONDS_PER_INPUT, f"{elapsed:.2f}s for {text[:80]!r}"


@examples(300)
@given(mutated())
def test_mutated_architectures_fail_cleanly(text):
    check_failure_or_answer(text)


@examples(150)
@given(st.binary(max_size=300))
def test_raw_bytes_fail_cleanly(raw):
    try:
        text = decode(raw, "fuzz.arch")
    except VcboundError as exc:
        assert isinstance(exc, SourceError) and exc.line >= 1 and exc.column >= 1
        assert "invalid UTF-8" in exc.message
        return
    check_failure_or_answer(text, "fuzz.arch")


@examples(150)
@given(st.text(alphabet=st.sampled_from(list("()->,^*+=#. \n\tdenslatmgruipbq0123456789_")), max_size=120))
def test_grammar_alphabet_soup_fails_cleanly(text):
    assume(text.strip())
    check_failure_or_answer(text)
