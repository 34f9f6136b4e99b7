"""Control characters from the outside never reach the log raw (issue 14, break 8).

The real `diia-inbox serve` in a subprocess, its stderr kept; a hostile SMTP client sends NUL
and terminal escape sequences in commands and addresses, and a browser asks for a path with
them. The log must stay text: no byte below 0x20 but the line feed, and the hostile input, where
it is logged at all, appears escaped.
"""

from __future__ import annotations

import logging
import socket
import urllib.error
import urllib.request
from pathlib import Path

from diia_inbox.logsafe import SafeFormatter, escape_controls
from tests.privacy.conftest import start_serve


def test_escape_controls_keeps_text_and_escapes_the_rest() -> None:
    assert escape_controls("Тарас\x00\x1b[31m\r\nx\t\x7f\x85\u2028") == (
        "Тарас\\x00\\x1b[31m\\r\\nx\\t\\x7f\\x85\\u2028"
    )
    record = logging.LogRecord(
        "t", logging.WARNING, __file__, 1, "got %r and %s", ("a\x00", "b\nc"), None
    )
    line = SafeFormatter("%(levelname)s %(message)s").format(record)
    assert line == "WARNING got 'a\\x00' and b\\nc"


def _smtp_dialogue(port: int) -> list[bytes]:
    replies = []
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        f = s.makefile("rb")
        replies.append(f.readline())
        for line in (
            b"X\x00\x1b[2J\x1b[31mPWNED\r\n",  # an unknown command: aiosmtpd logs it
            b"EHLO evil\x00host\x1b[31m\r\n",
            b"EHLO client.example.net\r\n",
        ):
            s.sendall(line)
            reply = f.readline()
            while reply[3:4] == b"-":
                reply = f.readline()
            replies.append(reply)
        for line in (
            b"MAIL FROM:<taras\x00\x1b[31m@example.net>\r\n",
            b"MAIL FROM:<taras@example.net>\r\n",
            b"RCPT TO:<oblik\x00@evil\x1b[31m.example>\r\n",
            b"RCPT TO:<nobody@evil\x01.example>\r\n",
            b"QUIT\r\n",
        ):
            s.sendall(line)
            replies.append(f.readline())
    return replies


def test_serve_logs_hostile_input_escaped(tmp_path: Path) -> None:
    log_path = tmp_path / "serve.log"
    served = start_serve(tmp_path / "data", log_path)
    try:
        replies = _smtp_dialogue(served.smtp_port)
        for path in ("/search%00%1b%5b31m", "/documents/1%00%0d%0aFAKE%20LINE"):
            try:
                urllib.request.urlopen(served.base + path, timeout=10).close()
            except urllib.error.HTTPError:
                pass
    finally:
        served.stop()
    assert replies[0].startswith(b"220")
    assert replies[2].startswith(b"501 5.5.2")  # EHLO with NUL
    assert replies[4].startswith(b"553 5.1.7")  # MAIL with NUL
    assert replies[6].startswith(b"553 5.1.3")  # RCPT with NUL
    raw = log_path.read_bytes()
    bad = sorted({b for b in raw if b < 0x20 and b != 0x0A} | ({0x7F} & set(raw)))
    assert not bad, f"raw control bytes {bad} in the log"
    assert b"PWNED" not in raw or b"X\\x00\\x1b[2J" in raw  # logged, and escaped
    assert b"FAKE LINE" not in raw.replace(b"\\r\\nFAKE", b"")  # no forged line
