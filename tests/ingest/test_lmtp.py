"""The LMTP listener: LHLO, per-recipient replies after DATA, the same spool."""

from __future__ import annotations

import smtplib
from collections.abc import Callable

from ingest.envelope import Envelope
from tests.ingest.conftest import BRANCH_ADDRESS, RunningReceiver, raw_session, spool_items

OTHER = "hostel-lviv@inbox.example.org"


def test_lmtp_one_reply_per_recipient(receiver: Callable[..., RunningReceiver]) -> None:
    r = receiver(lmtp=True, addresses={BRANCH_ADDRESS, OTHER})
    with raw_session(r.port) as (s, f):
        assert f.readline().startswith(b"220")
        s.sendall(b"EHLO mta.example.net\r\n")
        assert f.readline().startswith(b"500")  # LMTP has LHLO only
        s.sendall(b"LHLO mta.example.net\r\n")
        while not (line := f.readline()).startswith(b"250 "):
            assert line.startswith(b"250-")
        s.sendall(
            b"MAIL FROM:<taras.test@example.net>\r\n"
            + f"RCPT TO:<{BRANCH_ADDRESS}>\r\nRCPT TO:<nobody@example.org>\r\n".encode()
            + f"RCPT TO:<{OTHER}>\r\nDATA\r\n".encode()
        )
        replies = [f.readline()[:9] for _ in range(5)]
        assert replies == [b"250 2.1.0", b"250 2.1.5", b"550 5.1.1", b"250 2.1.5", b"354 End d"]
        s.sendall(b"Subject: via LMTP\r\n\r\nhi\r\n.\r\nQUIT\r\n")
        first, second = f.readline(), f.readline()
        assert first.startswith(b"250 2.0.0 OK queued as ") and first == second
        assert f.readline().startswith(b"221")
    [item] = spool_items(r.spool)
    assert (item / "message").read_bytes() == b"Subject: via LMTP\r\n\r\nhi\r\n"
    envelope = Envelope.from_json((item / "envelope.json").read_text())
    assert envelope.rcpt_tos == (BRANCH_ADDRESS, OTHER) and envelope.source == "lmtp"


def test_lmtp_oversize_refused_for_each_recipient(
    receiver: Callable[..., RunningReceiver],
) -> None:
    r = receiver(lmtp=True, addresses={BRANCH_ADDRESS, OTHER}, max_message_bytes=1000)
    with smtplib.LMTP("127.0.0.1", r.port) as client:
        client.ehlo_or_helo_if_needed()
        client.mail("taras.test@example.net")
        client.rcpt(BRANCH_ADDRESS)
        client.rcpt(OTHER)
        code, reply = client.data(b"Subject: big\r\n\r\n" + b"x" * 5000 + b"\r\n")
        assert (code, reply[:5]) == (552, b"5.3.4")
        assert client.getreply()[0] == 552  # the second recipient's reply
    for folder in ("tmp", "new"):
        assert not any((r.spool.root / folder).iterdir())
