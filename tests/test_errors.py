"""Every input error: its message, its ``file:line:col``, the caret, exit code 1, no traceback.

Each case in ERRORS is checked three ways: through the library (the exception's fields), through
``vcbound.cli.main`` in-process (exit code and stderr), and -- for a representative subset -- through
the installed console script in a subprocess (so an escaped traceback would show).
Inputs that look odd but are valid (CRLF files, comments, multi-line chains) are at the end.
"""
from __future__ import annotations

import time

import pytest

import vcbound
from vcbound.cli import main
from vcbound.errors import SourceError, VcboundError
from vcbound.graph import MAX_TOKENS, _check_token_count

S = "input(7, seq=T) -> "

# id: (architecture, [message fragments], line, column, caret length or None)
ERRORS = {
    "unknown-layer": ("input(7) -> lstn(5)",
                      ["unknown layer 'lstn'", "did you mean 'lstm'?", "expected one of: dense, gru"], 1, 13, 4),
    "unknown-layer-no-close-match": ("input(7) -> transformer(5)", ["unknown layer 'transformer'"], 1, 13, 11),
    "activation-used-as-layer": ("input(7) -> relu", ["'relu' is an activation, not a layer",
                                                      "dense(n, act=relu)"], 1, 13, 4),
    "unknown-activation": ("input(d) -> dense(n, act=relux)",
                           ["unknown activation 'relux'", "did you mean 'relu'?", "expected one of:"], 1, 26, 5),
    "unknown-activation-call": ("input(d) -> dense(n, act=polly(2))",
                                ["unknown activation 'polly'", "did you mean 'poly'?"], 1, 26, 5),
    "activation-arity": ("input(7) -> dense(5, act=pwpoly(2))",
                         ["activation pwpoly takes 2 arguments", "pwpoly(pieces, deg)"], 1, 26, None),
    "unknown-option": ("input(7) -> dense(5, actt=relu)",
                       ["unknown option 'actt'", "did you mean 'act'?"], 1, 22, 4),
    "option-not-allowed-here": ("input(7) -> dense(5, seq=3)",
                                ["option 'seq' is not allowed for dense", "allowed: act, bias, convention"], 1, 22, 3),
    "option-twice": ("input(7) -> dense(5, bias=true, bias=false)", ["option 'bias' given twice"], 1, 33, 4),
    "bool-option-value": (S + "lstm(5, bidirectional=maybe)",
                          ["bidirectional must be true or false, got 'maybe'"], 1, 42, 5),
    "unknown-convention": (S + "lstm(5, convention=tf)", ["unknown convention 'tf'"], 1, 39, 2),
    "missing-argument": ("input(7) -> dense()", ["dense() is missing its width argument"], 1, 13, None),
    "missing-argument-no-parens": ("input(7) -> dense", ["dense() is missing its width argument"], 1, 13, 5),
    "missing-input-dim": ("input() -> dense(1)", ["input() is missing its dim argument"], 1, 1, None),
    "too-many-arguments": ("input(7) -> dense(5, 6)", ["dense() takes 1 positional argument, got 2"], 1, 22, 1),
    "zero-width": ("input(7) -> dense(0)", ["width must be positive, got 0"], 1, 19, 1),
    "negative-width": ("input(7) -> dense(-3)", ["width must be positive, got -3"], 1, 19, 2),
    "negative-symbolic-width": ("input(7) -> dense(-n)", ["width must be positive", "'-n'"], 1, 19, 2),
    "zero-input": ("input(0) -> dense(3)", ["input dimension must be positive, got 0"], 1, 7, 1),
    "zero-seq": ("input(7, seq=0) -> rnn(3)", ["seq must be positive, got 0"], 1, 14, 1),
    "zero-repeat": ("input(7) -> dense(5)^0", ["repeat count must be positive, got 0"], 1, 22, 1),
    "zero-repeat-expression": ("input(7) -> dense(5)^(n-n)", ["repeat count must be positive, got 0"], 1, 23, 3),
    "non-integer-width": ("input(7) -> dense(2.5)", ["width must be a positive integer, got 5/2"], 1, 19, 3),
    "non-integer-fraction": ("input(7) -> dense(7/2)", ["width must be a positive integer, got 7/2"], 1, 19, 3),
    "non-integer-symbolic": ("input(7) -> dense(n/2)", ["width must be an integer", "'n/2'"], 1, 19, 3),
    "non-integer-degree": ("input(7) -> dense(5, act=poly(2.5))",
                           ["poly deg must be a positive integer, got 5/2"], 1, 31, 3),
    "division-by-zero": ("input(7) -> dense(5/0)", ["division by zero"], 1, 19, 3),
    "function-in-size": ("input(7) -> dense(log(n))", ["functions are not allowed in a size"], 1, 19, 3),
    "huge-number": ("input(7) -> dense(10^10^10)", ["number too large"], 1, 19, 8),
    "last-without-sequence": ("input(7) -> last", ["'last' needs a sequence", "input(d, seq=T)"], 1, 13, 4),
    "recurrent-without-sequence": ("input(7) -> lstm(5)", ["lstm needs a sequence input"], 1, 13, 7),
    "sequence-layer-after-last": (S + "lstm(5) -> last -> lstm(5)",
                                  ["lstm needs a sequence input", "a 'last' before it already ended the sequence"],
                                  1, 39, 7),
    "rnn-after-last": (S + "last -> rnn(4)", ["rnn needs a sequence input", "'last' before it"], 1, 28, 6),
    "last-after-last": (S + "lstm(5) -> last -> last", ["'last' needs a sequence", "earlier 'last'"], 1, 39, 4),
    "unclosed-paren": ("input(7) -> dense(5", ["unexpected end of input", "unclosed '(' at 1:18"], 1, 20, 1),
    "unclosed-group": ("input(7) -> (dense(5) -> dense(3)",
                       ["unexpected end of input", "unclosed '(' at 1:13"], 1, 34, 1),
    "unclosed-leading-group": ("(input(7) -> dense(5)", ["unclosed '(' at 1:1"], 1, 22, 1),
    "unmatched-close-paren": ("input(7) -> dense(5))", ["unmatched closing parenthesis"], 1, 21, 1),
    "unmatched-close-early": ("input(7)) -> dense(5)", ["unmatched closing parenthesis"], 1, 9, 1),
    "unmatched-close-group": ("input(7) -> dense(5) -> dense(3))^2", ["unmatched closing parenthesis"], 1, 33, 1),
    "parens-too-deep": ("input(7) -> dense(" + "(" * 300 + "5" + ")" * 301,
                        ["parentheses nested more than 200 deep"], 1, 218, 1),
    "dangling-arrow": ("input(7) -> dense(5) ->", ["unexpected end of input"], 1, 24, 1),
    "leading-arrow": ("-> dense(5)", ["unexpected '->'"], 1, 1, 2),
    "missing-arrow": ("input(7) -> dense(5) dense(3)", ["unexpected name 'dense'"], 1, 22, 5),
    "empty": ("", ["empty architecture"], 1, 1, None),
    "blank": ("  \n\t \n", ["empty architecture"], 1, 1, None),
    "only-comments": ("# nothing here\n   # or here\n", ["empty architecture"], 1, 1, None),
    "no-input-layer": ("dense(5)", ["an architecture starts with input(...), not 'dense'"], 1, 1, 8),
    "input-twice": ("input(7) -> input(5)", ["input(...) may only start the architecture"], 1, 13, 8),
    "input-repeated": ("input(7)^2 -> dense(5)", ["input(...) starts the architecture once: it cannot be repeated"],
                       1, 1, 8),
    "input-in-a-repeated-group": ("(input(d) -> dense(n))^2 -> dense(1)",
                                  ["input(...) starts the architecture once: it cannot be repeated"], 1, 2, 8),
    "torch-gru-reset-after-false": (S + "gru(5, reset_after=false)", ["torch's GRU always has reset_after=true"],
                                    1, 20, None),
    "proj-not-smaller": (S + "lstm(5, proj=5)", ["proj=5 must be smaller than the width 5"], 1, 20, None),
    "nul-inline": ("input(7) -> \x00dense(5)", ["NUL byte in input"], 1, 13, 1),
    "error-on-line-3": ("input(7, seq=T)\n  -> lstm(5)  # fine\n  -> dense(3, act=relux)\n",
                        ["unknown activation 'relux'"], 3, 19, 5),
    "long-sum": ("input(7) -> dense(" + "+".join(["n"] * 5000) + ")",
                 ["width expression is too long or nested too deeply"], 1, 19, None),
}

KEYS = sorted(ERRORS)


def _check_error_text(text: str, arch: str, fragments, line, col, length, filename="<arch>"):
    """stderr: 'file:line:col: message' + the source line + a caret under the span; no traceback."""
    assert "Traceback" not in text
    lines = text.rstrip("\n").split("\n")
    head = lines[0]
    assert head.startswith(f"{filename}:{line}:{col}: "), head
    for fragment in fragments:
        assert fragment in head, (fragment, head)
    source_lines = arch.replace("\r\n", "\n").split("\n")
    if arch.strip() and "\x00" not in arch:
        src = source_lines[line - 1]
        if len(src) <= 120:
            assert lines[1] == src
            caret = lines[2]
            assert caret.lstrip(" ").startswith("^") and len(caret) - len(caret.lstrip(" ")) == col - 1, caret
            if length is not None:
                assert caret.strip() == "^" * length, caret


@pytest.mark.parametrize("key", KEYS)
def test_library_raises_positioned_error(key):
    arch, fragments, line, col, length = ERRORS[key]
    with pytest.raises(VcboundError) as info:
        vcbound.count(arch)
    err = info.value
    assert isinstance(err, SourceError)
    assert err.exit_code == 1
    assert (err.line, err.column) == (line, col), str(err)
    if length is not None:
        assert err.length == length
    for fragment in fragments:
        assert fragment in err.message


@pytest.mark.parametrize("key", KEYS)
def test_cli_reports_error(key, capsys):
    arch, fragments, line, col, length = ERRORS[key]
    assert main(["params", arch]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    _check_error_text(err, arch, fragments, line, col, length)


# one case per stage that can fail: reading, grammar, names/sizes (graph), sequence semantics (quantities)
SUBPROCESS_KEYS = ["empty", "unmatched-close-paren", "non-integer-width", "sequence-layer-after-last"]


@pytest.mark.parametrize("key", SUBPROCESS_KEYS)
def test_console_script_reports_error(key, vcbound_cli):
    arch, fragments, line, col, length = ERRORS[key]
    r = vcbound_cli("params", arch)
    assert r.returncode == 1
    assert r.stdout == ""
    _check_error_text(r.stderr, arch, fragments, line, col, length)


def test_python_m_reports_error(vcbound_module):
    arch, fragments, line, col, length = ERRORS["unknown-activation"]
    r = vcbound_module("params", arch)
    assert r.returncode == 1 and r.stdout == ""
    _check_error_text(r.stderr, arch, fragments, line, col, length)


def test_unknown_activation_message_exactly():
    with pytest.raises(VcboundError) as info:
        vcbound.parse("input(d) -> dense(n, act=relux)")
    assert str(info.value) == (
        "<arch>:1:26: unknown activation 'relux' (did you mean 'relu'? expected one of: hardtanh, leaky_relu, "
        "linear, poly, pwlinear, pwpoly, relu, sigmoid, sign, softplus, tanh, threshold)\n"
        "input(d) -> dense(n, act=relux)\n"
        "                         ^^^^^")


# ---- 1 MB inputs: a clear answer or a clear error, quickly ------------------------------------------
MB = 1_000_000


def _one_mb_inputs():
    chain = "input(7) " + "-> dense(5) " * (MB // 12)
    return {
        "chain": (chain, 1, "architecture too large"),
        "repeats": ("input(3, seq=T) " + "-> lstm(5)^2 " * (MB // 13), 1, "architecture too large"),
        "one-name": ("x" * MB, 1, "unknown layer 'xxxxxxxx"),
        "parens": ("(" * MB, 1, "architecture too large"),
        "long-number": ("input(" + "9" * MB + ") -> dense(1)", 1, "number too large"),
        "comment": ("# " + "a" * MB + "\ninput(7) -> dense(5)\n", 0, "W = 40"),
        "blank-lines": ("input(7)" + "\n" * MB + "-> dense(5)", 0, "W = 40"),
    }


@pytest.mark.parametrize("name", list(_one_mb_inputs()))
def test_one_megabyte_input_via_api(name):
    text, code, fragment = _one_mb_inputs()[name]
    assert len(text) >= MB
    start = time.process_time()        # CPU time: a bound against runaway work, not a speed target
    if code == 0:
        assert vcbound.count(text).params == 40
    else:
        with pytest.raises(VcboundError) as info:
            vcbound.count(text)
        head = str(info.value).split("\n")[0]
        assert fragment in head
        assert len(head) < 300, "the message must stay readable"
        assert info.value.line >= 1 and info.value.column >= 1
    assert time.process_time() - start < 5


@pytest.mark.parametrize("name", ["chain", "comment", "one-name"])
def test_one_megabyte_file_via_console_script(name, tmp_path, vcbound_cli):
    text, code, fragment = _one_mb_inputs()[name]
    path = tmp_path / "big.arch"
    path.write_text(text)
    start = time.perf_counter()
    r = vcbound_cli("params", path, timeout=30)
    assert time.perf_counter() - start < 10
    assert r.returncode == code
    assert "Traceback" not in r.stderr
    if code:
        assert r.stderr.startswith(f"{path}:1:") and fragment in r.stderr.split("\n")[0]
    else:
        assert fragment in r.stdout


def test_token_limit_allows_ten_thousand_layers():
    """The up-front size check passes a 10,000-layer chain with options and stops just past the limit.

    (Counting such a chain is timed in benchmarks/bench_parse.py.)"""
    text = "input(7) " + "-> lstm(n, act=relu, bidirectional=true) # comment (((\n" * 10_000
    _check_token_count(text, "<arch>")                                     # 10 tokens a layer
    over = "input(7) " + "-> dense(5) " * (MAX_TOKENS // 5)
    with pytest.raises(VcboundError) as info:
        _check_token_count(over, "<arch>")
    assert "more than 150000 tokens" in info.value.message
    assert info.value.column == over.rindex("dense") + 1   # the 150,001st token: 4 for input(7), 5 a layer


# ---- files ------------------------------------------------------------------------------------
LINE3 = "input(7, seq=T)   # a sequence of 7-vectors\n  -> lstm(5)\n  -> dense(3, act=relux)\n"


def test_file_error_on_line_3_absolute_path(tmp_path, vcbound_cli):
    path = tmp_path / "model.arch"
    path.write_text(LINE3)
    r = vcbound_cli("params", path)
    assert r.returncode == 1 and r.stdout == ""
    _check_error_text(r.stderr, LINE3, ["unknown activation 'relux'", "did you mean 'relu'?"], 3, 19, 5,
                      filename=str(path))


def test_file_error_on_line_3_relative_path(tmp_path, monkeypatch, capsys):
    (tmp_path / "model.arch").write_text(LINE3)
    monkeypatch.chdir(tmp_path)
    assert main(["params", "model.arch"]) == 1
    _check_error_text(capsys.readouterr().err, LINE3, ["unknown activation 'relux'"], 3, 19, 5,
                      filename="model.arch")


def test_file_with_crlf_error_keeps_positions(tmp_path, capsys):
    path = tmp_path / "crlf.arch"
    path.write_bytes(LINE3.replace("\n", "\r\n").encode())
    assert main(["params", str(path)]) == 1
    err = capsys.readouterr().err
    assert "\r" not in err
    _check_error_text(err, LINE3, ["unknown activation 'relux'"], 3, 19, 5, filename=str(path))


def test_invalid_utf8_file(tmp_path, vcbound_cli):
    path = tmp_path / "bad.arch"
    path.write_bytes(b"input(7)\n-> dense(\xff5)\n")
    r = vcbound_cli("params", path)
    assert r.returncode == 1 and r.stdout == ""
    assert "Traceback" not in r.stderr
    assert r.stderr.startswith(f"{path}:2:10: invalid UTF-8 byte 0xff"), r.stderr


def test_nul_byte_file(tmp_path, vcbound_cli):
    path = tmp_path / "nul.arch"
    path.write_bytes(b"input(7) -> \x00dense(5)\n")
    r = vcbound_cli("params", path)
    assert r.returncode == 1 and r.stdout == ""
    assert "Traceback" not in r.stderr
    assert r.stderr.startswith(f"{path}:1:13: NUL byte in input"), r.stderr


def test_missing_file(tmp_path, capsys):
    assert main(["params", str(tmp_path / "nosuch.arch")]) == 1
    err = capsys.readouterr().err
    assert "no such file" in err and "Traceback" not in err


def test_utf8_bom_file_is_valid(tmp_path, capsys):
    path = tmp_path / "bom.arch"
    path.write_bytes("\ufeffinput(7) -> dense(5)\n".encode())
    assert main(["params", str(path)]) == 0
    assert "W = 40" in capsys.readouterr().out


# ---- inputs that must be accepted -------------------------------------------------------------
def test_crlf_file_is_valid(tmp_path, vcbound_cli):
    path = tmp_path / "crlf.arch"
    path.write_bytes(b"input(7, seq=T)\r\n  -> lstm(5)  # torch LSTM\r\n  -> last\r\n  -> dense(1, act=sigmoid)\r\n")
    r = vcbound_cli("params", path, "--json")
    assert r.returncode == 0, r.stderr
    assert '"params": 286' in r.stdout


MULTILINE = """
# a stacked LSTM classifier
input(7, seq=T)     # 7 features per step

  -> lstm(5)        # first layer
  ->
     lstm(5)
# a comment line between layers
  -> last ->
  dense(1, act=sigmoid)   # readout
# trailing comment

"""


@pytest.mark.parametrize("text", [
    MULTILINE,
    MULTILINE.replace("\n", "\r\n"),
    MULTILINE.rstrip("\n"),
    "input(7, seq=T) -> lstm(5)^2 -> last -> dense(1, act=sigmoid)   # one line\n",
    "input(7, seq=T) -> lstm(5)^2 -> last -> dense(1, act=sigmoid)\n\n\n",
    "\n\ninput(7, seq=T)->lstm(5)^2->last->dense(1,act=sigmoid)",
    "input(7, seq=T)\n-> lstm(5)^2\n-> last\n-> dense(1, act=sigmoid)\n# end",
], ids=["multiline", "multiline-crlf", "multiline-no-final-newline", "one-line-comment", "trailing-blank-lines",
       "leading-blank-lines-no-spaces", "arrows-at-line-start-final-comment"])
def test_comments_and_multiline_input_are_valid(text, tmp_path, capsys):
    assert vcbound.count(text.replace("\r\n", "\n")).params == 520 + 6
    path = tmp_path / "m.arch"
    path.write_bytes(text.encode())
    assert main(["params", str(path), "--json"]) == 0
    assert '"params": 526' in capsys.readouterr().out
    if "\r" not in text and len(text) < 4000:
        assert main(["params", text, "--json"]) == 0           # inline text works too
        assert '"params": 526' in capsys.readouterr().out


def test_positions_in_multiline_input():
    with pytest.raises(VcboundError) as info:
        vcbound.count(MULTILINE.replace("dense(1, act=sigmoid)", "dense(1, act=sigmoud)"))
    assert (info.value.line, info.value.column) == (10, 16)
    assert "did you mean 'sigmoid'?" in info.value.message


# ---- --at ----------------------------------------------------------------------------------------
AT_ARCH = "input(d) -> dense(n)"

AT_ERRORS = [
    # (value of --at, fragments, position "line:col" or None when the error is about a name)
    ("q=5", ["'q' is not a symbol of this architecture", "expected one of: d, n"], "1:1"),
    ("n=3, q=5", ["'q' is not a symbol of this architecture"], "1:6"),
    ("nn=5", ["'nn' is not a symbol", "did you mean 'n'?"], "1:1"),
    ("n=abc", ["value of n must be a number, got 'abc'"], "1:1"),
    ("n=5,d=x", ["value of d must be a number, got 'x'"], "1:5"),
    ("n=__import__('os')", ["unexpected character '_'"], "1:3"),
    ("n=__import__('os').system('echo PWNED')", ["unexpected character '_'"], "1:3"),
    ("__import__('os')=1", ["not a symbol name"], "1:1"),
    ("n=exec('1')", ["unexpected character"], None),
    ("n=().__class__", ["unmatched closing parenthesis"], "1:4"),
    ("n=lambda: 1", ["unexpected"], None),
    ("n=5; import os", ["unexpected character ';'"], "1:4"),
    ("n=eval('5')", ["unexpected character"], None),
    ("n=log(x)", ["value of n must be a number"], "1:1"),
    ("n", ["expected NAME=VALUE, got 'n'"], "1:1"),
    ("n=", ["expected NAME=VALUE"], "1:1"),
    ("n=0", ["n must be positive, got 0"], "1:1"),
    ("n=-3", ["n must be positive, got -3"], "1:1"),
    ("n=2.5", ["n counts layers, units or steps and must be a whole number, got 5/2"], None),
    ("n=10^500", ["number too large"], "1:3"),
    ("n=" + "+".join(["1"] * 3000), ["too long or nested too deeply"], "1:3"),
]


@pytest.mark.parametrize("value, fragments, pos", AT_ERRORS, ids=[v[:30] for v, _, _ in AT_ERRORS])
def test_at_errors(value, fragments, pos, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["params", AT_ARCH, "--at", value]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    head = err.split("\n")[0]
    for fragment in fragments:
        assert fragment in head, (fragment, head)
    if pos is not None:
        assert head.startswith(f"--at:{pos}: "), head
        if len(value) <= 120:
            assert err.split("\n")[1] == value      # the --at text with a caret under the problem
        assert err.split("\n")[2].strip(" ").startswith("^")
    assert not list(tmp_path.iterdir())              # nothing was executed


def test_at_injection_through_console_script(vcbound_cli, tmp_path):
    canary = tmp_path / "CANARY"
    r = vcbound_cli("params", AT_ARCH, "--at", f"n=__import__('pathlib').Path('{canary}').touch()", cwd=tmp_path)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.startswith("--at:1:3: unexpected character '_'")
    assert "Traceback" not in r.stderr
    assert not canary.exists()


def test_at_values_are_expressions_of_numbers(capsys):
    assert main(["params", AT_ARCH, "--at", "n=2^3, d=6/2", "--json"]) == 0
    assert '"params": 32' in capsys.readouterr().out


def test_bad_convention_and_missing_arch_are_usage_errors(capsys):
    assert main(["params", AT_ARCH, "--convention", "tensorflow"]) == 1
    err = capsys.readouterr().err
    assert "invalid choice: 'tensorflow'" in err and "Traceback" not in err
    assert main(["params"]) == 1
    assert "required: ARCH" in capsys.readouterr().err


def test_errors_are_vcbound_errors_not_crashes():
    """A small sweep of mangled inputs: each either counts or raises a VcboundError with a position."""
    base = "input(7, seq=T) -> lstm(5, bidirectional=true)^2 -> last -> dense(1, act=poly(2))"
    for i in range(len(base)):
        for text in (base[:i], base[:i] + base[i + 1:], base[:i] + "(" + base[i:], base[:i] + ")" + base[i:]):
            try:
                vcbound.count(text)
            except SourceError as exc:
                assert exc.line >= 1 and exc.column >= 1, (text, str(exc))
                assert exc.exit_code == 1
            except VcboundError as exc:     # e.g. non-source errors; must still be ours
                assert exc.exit_code == 1, (text, exc)
