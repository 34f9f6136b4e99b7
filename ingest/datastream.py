"""Decoding of the SMTP DATA stream: dot-unstuffing and the end marker, chunk by chunk.

aiosmtpd reads DATA line by line and keeps the whole message in memory; for 25 MB Diia
messages that costs CPU and several times the message size in RAM. The receiver instead reads
the socket in large chunks and feeds them to a `DotDecoder`, which returns the message bytes to
write straight to the spool file.

The decoder is a pure state machine (no I/O), so it can be tested against a simple line-based
reference over arbitrary chunkings. Rules (RFC 5321 section 4.5.2): lines end with CRLF; a line
consisting of a single "." ends the data; otherwise a line starting with "." loses that first
dot. The CRLF before the end marker belongs to the message. A bare LF is not a line end, as in
aiosmtpd. Line length is not limited here: the message size limit bounds everything.
"""

from __future__ import annotations

_END_LINE = b".\r\n"
#: Dots inside lines looked past one by one before the general "\r\n." search takes over.
_DOT_STEPS = 16


class DotDecoder:
    """Turn raw DATA bytes into message bytes; `done` once the end-of-data line was seen.

    `feed(chunk)` returns `(payload, rest)`: `payload` is message content that can be written
    out now; `rest` is whatever the client sent after the end marker (pipelined commands) and
    is only non-empty in the call that completes the data. At most three bytes are held back
    between calls (a possible "\\r\\n." prefix of the end marker or a stuffed dot).
    """

    __slots__ = ("_bol", "_carry", "done")

    def __init__(self) -> None:
        self._carry = b""
        #: True when the first byte of `_carry + next chunk` starts a line.
        self._bol = True
        self.done = False

    def feed(self, chunk: bytes) -> tuple[bytes, bytes]:
        if self.done:
            raise ValueError("data already complete")
        buf = self._carry + chunk if self._carry else chunk
        n = len(buf)
        out: list[bytes] = []
        pos = 0
        at_bol = self._bol
        while True:
            if at_bol:
                head = buf[pos : pos + 3]
                if head == _END_LINE:
                    self.done = True
                    self._carry = b""
                    return b"".join(out), buf[pos + 3 :]
                if head[:1] == b".":
                    if len(head) < 3 and _END_LINE.startswith(head):
                        # "." or ".\r" at the end of the buffer: undecided until more arrives.
                        self._carry, self._bol = head, True
                        return b"".join(out), b""
                    pos += 1  # a stuffed dot: drop it
                at_bol = False
            # The next "\r\n.": a Diia message is almost all base64 (the PDF, the signature),
            # which has no dot, and a one-byte find is memchr (about 5 us for 150 KB here)
            # where the three bytes take a search that stops at every line end (about 110 us).
            # So the next dot is found first, and the next after a dot inside a line, a few
            # times: the headers' dots (addresses, domains) come before the base64, and the
            # general search from the first of them scanned the whole chunk (about 0.2 ms per
            # message). Past _DOT_STEPS dots inside lines (text) the general search goes on.
            j = buf.find(b".", pos + 2) - 2
            steps = 0
            while j >= pos and not buf.startswith(b"\r\n", j):
                steps += 1
                if steps > _DOT_STEPS:
                    j = buf.find(b"\r\n.", j + 1)
                    break
                j = buf.find(b".", j + 3) - 2
            if j < pos:
                j = -1
            if j < 0:
                # Hold back a trailing "\r" or "\r\n": it may become "\r\n." in the next chunk.
                keep = 2 if buf.endswith(b"\r\n") else 1 if buf.endswith(b"\r") else 0
                keep = min(keep, n - pos)
                out.append(buf[pos : n - keep])
                self._carry, self._bol = buf[n - keep :], False
                return b"".join(out), b""
            out.append(buf[pos : j + 2])
            pos = j + 2
            at_bol = True


def unstuff_reference(raw: bytes) -> tuple[bytes, bytes] | None:
    """The obvious line-by-line decoder, kept as the specification the tests compare against.

    Returns `(message, rest)` or None when the end marker never came.
    """
    out: list[bytes] = []
    pos = 0
    while True:
        j = raw.find(b"\r\n", pos)
        if j < 0:
            return None
        line = raw[pos : j + 2]
        pos = j + 2
        if line == _END_LINE:
            return b"".join(out), raw[pos:]
        out.append(line[1:] if line.startswith(b".") else line)


def stuff(message: bytes) -> bytes:
    """Client side: dot-stuff a CRLF message and append the end marker (tests and bench)."""
    if message and not message.endswith(b"\r\n"):
        message += b"\r\n"
    body = message.replace(b"\r\n.", b"\r\n..")
    if body.startswith(b"."):
        body = b"." + body
    return body + _END_LINE
