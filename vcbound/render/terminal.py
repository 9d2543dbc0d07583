"""Text for a terminal: control characters made visible.

In: any text vcbound prints (answers, errors, echoed architecture text, theorem statements).
Out: the same text in which escape sequences and other control characters cannot act on the
terminal: ESC, BEL, backspace, a lone carriage return, DEL and the C1 controls (including the
8-bit CSI) are written as ``\\x1b``-style escapes. New lines and tabs stay; CRLF becomes LF.

A comment in an ``.arch`` file or a statement in a theorem file is data: printed raw, ``ESC ]0;``
would retitle the window and ``ESC [2J`` clear the screen. The CLI filters all of its output
through ``SafeStream``; the REPL filters what it prints itself (its prompt is prompt_toolkit's).
"""
from __future__ import annotations

import io
import re

_CONTROL = re.compile(r"\r(?!\n)|[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f]")


def terminal_safe(text: str) -> str:
    """``text`` with every control character except new line and tab shown as an escape.

    >>> terminal_safe("ok\\x1b]0;pwned\\x07 done\\r\\n")
    'ok\\\\x1b]0;pwned\\\\x07 done\\n'
    """
    text = str(text).replace("\r\n", "\n")
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


class SafeStream(io.TextIOBase):
    """A text stream that writes through ``terminal_safe`` to the stream it wraps."""

    def __init__(self, stream):
        super().__init__()
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(terminal_safe(text))
        return len(text)

    def write_raw(self, text: str) -> int:
        """Write vcbound's own control characters (the progress bar's carriage return) unchanged:
        for text that holds nothing a user wrote."""
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    @property
    def encoding(self):
        return getattr(self.stream, "encoding", "utf-8")
