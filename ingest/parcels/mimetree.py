"""The MIME tree of a message, built by the standard parser without feeding it every line of
a large base64 body.

`email`'s feed parser reads a body line by line in Python: a 300 KB copy is a 420 KB base64
body of 5,600 lines, and reading them is most of the cost of parsing the message (about 7 ms
of CPU of a message's 35 to 50). For the structure those lines say nothing: a line made only of
base64 characters is never a header (no colon, no leading blank), a boundary (no "--") or a
blank separator, so the parser does the same with one such line as with a thousand. So each run
of such lines (at least `MIN_RUN` bytes) is replaced by one placeholder line before parsing and
put back, verbatim, into the part that received it. The parser keeps a body's lines exactly as
they came (only the line end before a boundary is dropped, and that line end is outside the
run), so every part, defect and payload is what the full parse gives.

Should a placeholder end up anywhere but a body, a preamble or an epilogue (no such case is
known), or be found twice, the message is parsed again the slow way: the shortcut never decides
what a message is.
"""

from __future__ import annotations

import email
import re
import secrets
from email.message import Message

from ingest.parcels.headers import POLICY

#: Runs shorter than this are left to the parser: not worth a placeholder.
MIN_RUN = 4096

# A run: whole lines of base64 characters after a line end, up to (not including) the line end
# of its last line, so the parser sees that line end exactly as it came.
_RUN = re.compile(rb"(?<=\n)[A-Za-z0-9+/=]+(?:\r?\n[A-Za-z0-9+/=]+)*(?=\r?\n)")
# A placeholder: "Q", the message's random tag (24 hex digits), "N", the run's number, "Z".
_PLACEHOLDER = re.compile(r"Q([0-9A-F]{24})N(\d+)Z")


def read_message(raw: bytes) -> Message:
    """`email.message_from_bytes(raw, policy=POLICY)`, the same tree, built faster; RecursionError
    propagates as from the standard parser."""
    runs: list[bytes] = []
    # Placeholders are base64 characters too (hex digits, "N", "Z"), so they sit on the same
    # line as the run would have; the random part keeps them from meeting the message's text.
    tag = b"Q" + secrets.token_hex(12).upper().encode()  # see _PLACEHOLDER
    if tag in raw:
        return _full(raw)

    def hold(match: re.Match[bytes]) -> bytes:
        text = match.group()
        if len(text) < MIN_RUN:
            return text
        runs.append(text)
        return b"%sN%dZ" % (tag, len(runs) - 1)

    lean = _RUN.sub(hold, raw)
    if not runs:
        return _full(raw)
    msg = _full(lean)
    if not _restore(msg, tag.decode(), [r.decode("ascii") for r in runs]):
        return _full(raw)
    return msg


def _full(raw: bytes) -> Message:
    return email.message_from_bytes(raw, policy=POLICY)


def _restore(msg: Message, tag: str, runs: list[str]) -> bool:
    """Put every run back where its placeholder landed; False unless each came back once and
    only into a body, preamble or epilogue."""
    seen: list[int] = []

    def back(match: re.Match[str]) -> str:
        index = int(match.group(2))
        if match.group(1) != tag[1:] or index >= len(runs):
            return match.group()  # the message's own text that merely looks like one
        seen.append(index)
        return runs[index]

    stack = [msg]  # iterative: a deep message must not fail here where the parser did not
    while stack:
        part = stack.pop()
        payload: object = getattr(part, "_payload", None)  # the raw body, as `wire_bytes` reads
        if isinstance(payload, str):
            if tag in payload:
                part._payload = _PLACEHOLDER.sub(back, payload)  # type: ignore[attr-defined]
        elif isinstance(payload, list):
            stack.extend(p for p in payload if isinstance(p, Message))
        for attr in ("preamble", "epilogue"):
            value = getattr(part, attr, None)
            if isinstance(value, str) and tag in value:
                setattr(part, attr, _PLACEHOLDER.sub(back, value))
        if any(tag in str(value) for _name, value in part.raw_items()):
            return False  # in a header: not where a run can go; let the full parse decide
    return sorted(seen) == list(range(len(runs)))
