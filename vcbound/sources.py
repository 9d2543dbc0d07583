"""Reading user input: an architecture given inline, as a path to a ``.arch`` file, or as a model file.

In: a command-line/API argument. Out: ``(text, filename)`` with CRLF normalised, or a clear
``SourceError`` for unreadable files and invalid UTF-8 (with the line:column of the bad byte).
A model file (``.onnx``, Keras ``.json``/``.keras``) goes through ``vcbound.importers`` first, so it
is usable wherever architecture text is.
"""
from __future__ import annotations

import os

from .errors import ArchSyntaxError, UsageError

MAX_FILE_BYTES = 4_000_000


def read_source(arg: str) -> tuple[str, str]:
    """``arg`` is architecture text, or a path to a file holding it (``*.arch`` or any existing file)."""
    looks_like_path = ("(" not in arg and "->" not in arg) or arg.endswith(".arch")
    if looks_like_path and len(arg) < 4096:
        from .importers import import_file, is_model_file
        if is_model_file(arg):
            return import_file(arg).text, arg
    if looks_like_path and len(arg) < 4096 and os.path.isfile(arg):
        return read_file(arg), arg
    if arg.endswith(".arch") and "\n" not in arg and "(" not in arg:
        raise UsageError(f"{arg}: no such file")
    return arg.replace("\r\n", "\n"), "<arch>"


def read_file(path: str) -> str:
    try:
        size = os.path.getsize(path)
        if size > MAX_FILE_BYTES:
            raise UsageError(f"{path}: file too large ({size} bytes; at most {MAX_FILE_BYTES})")
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise UsageError(f"{path}: {exc.strerror or exc}") from None
    return decode(raw, path)


def decode(raw: bytes, filename: str) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        good = raw[:exc.start].decode("utf-8", "replace")
        raise ArchSyntaxError(f"invalid UTF-8 byte 0x{raw[exc.start]:02x}", good + "?", line, col, 1,
                              filename) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n")
