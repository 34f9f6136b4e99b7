"""Log lines that stay one line of text, whatever the outside sent.

Values from senders and browsers (an SMTP argument, a header, a path) can carry NUL, escape
sequences or newlines; written raw they make the log binary to grep, colour or clear a terminal
that tails it, and forge extra log lines. The formatter escapes every control character in the
message as `\\xNN` (and `\\n`, `\\r`, `\\t`), and in a traceback all but its line breaks.
"""

from __future__ import annotations

import logging
import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f\x80-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def escape_controls(text: str, keep_newlines: bool = False) -> str:
    """`text` with control characters written as escapes (line breaks kept if asked)."""

    def one(match: re.Match[str]) -> str:
        ch = match.group()
        if keep_newlines and ch == "\n":
            return ch
        if ch in _NAMED:
            return _NAMED[ch]
        return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"

    return _CONTROL.sub(one, text)


class SafeFormatter(logging.Formatter):
    """A `logging.Formatter` that escapes control characters (see the module docstring)."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = escape_controls(record.message)
        return super().formatMessage(record)

    def formatException(self, ei: object) -> str:
        return escape_controls(super().formatException(ei), keep_newlines=True)  # type: ignore[arg-type]

    def formatStack(self, stack_info: str) -> str:
        return escape_controls(super().formatStack(stack_info), keep_newlines=True)


def configure(level: int = logging.INFO) -> None:
    """The process's root logging: one stderr handler with the safe formatter."""
    handler = logging.StreamHandler()
    handler.setFormatter(SafeFormatter(FORMAT))
    logging.basicConfig(level=level, handlers=[handler])
