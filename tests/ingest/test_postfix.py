"""A real Postfix on loopback relays to our receiver, over SMTP and over LMTP.

A private Postfix instance runs from a configuration folder in the test's tmp dir (`postfix -c
DIR start`, queue and data folders in tmp, listening on a loopback port); it relays every
recipient to our listener. Needs root (Postfix's master drops privileges to `postfix`) and
Debian's postfix package; skipped otherwise.
"""

from __future__ import annotations

import os
import shutil
import smtplib
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ingest.envelope import Envelope
from tests.ingest.conftest import BRANCH_ADDRESS, RunningReceiver, spool_items
from tests.support.postfix import maillog, start_private, stop_private

pytestmark = pytest.mark.skipif(
    shutil.which("postfix") is None or os.geteuid() != 0,
    reason="needs Debian's postfix and root",
)


@pytest.fixture
def postfix_dir() -> Iterator[Path]:
    """Postfix's folder: outside pytest's tmp (0700, root only), reachable by user postfix."""
    folder = Path(tempfile.mkdtemp(prefix="diia-postfix-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postfix(postfix_dir: Path) -> Iterator[Callable[[str], int]]:
    """Factory: start Postfix relaying to `transport`; returns the port it listens on."""
    started: list[Path] = []

    def start(transport: str) -> int:
        port = start_private(postfix_dir, transport)
        started.append(postfix_dir)
        return port

    try:
        yield start
    finally:
        for f in started:
            stop_private(f)


_log = maillog


def _wait_for_log(folder: Path, text: str) -> bool:
    deadline = time.monotonic() + 60  # a safety net for a hung test, not a measurement
    while text not in _log(folder):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _wait_for_items(r: RunningReceiver, n: int, folder: Path) -> list[Path]:
    deadline = time.monotonic() + 60  # a safety net for a hung test, not a measurement
    while time.monotonic() < deadline:
        items = spool_items(r.spool)
        if len(items) >= n:
            return items
        time.sleep(0.1)
    raise AssertionError("nothing relayed:\n" + _log(folder))


@pytest.mark.parametrize("protocol", ["smtp", "lmtp"])
def test_postfix_relays_to_receiver(
    receiver: Callable[..., RunningReceiver],
    postfix: Callable[[str], int],
    postfix_dir: Path,
    protocol: str,
) -> None:
    other = "hostel-lviv@inbox.example.org"
    r = receiver(lmtp=protocol == "lmtp", addresses={BRANCH_ADDRESS, other})
    transport = (
        f"smtp:[127.0.0.1]:{r.port}" if protocol == "smtp" else f"lmtp:inet:127.0.0.1:{r.port}"
    )
    port = postfix(transport)
    body = b"Subject: Diia copy\r\nMessage-ID: <relay-1@example.net>\r\n\r\nPDF + P7S\r\n"
    with smtplib.SMTP("127.0.0.1", port) as client:
        client.sendmail("taras.test@example.net", [BRANCH_ADDRESS, other], body)
    [item] = _wait_for_items(r, 1, postfix_dir)
    stored = (item / "message").read_bytes()
    envelope = Envelope.from_json((item / "envelope.json").read_text())
    assert b"Message-ID: <relay-1@example.net>\r\n" in stored
    assert stored.endswith(b"\r\n\r\nPDF + P7S\r\n")
    assert b"Received: from " in stored
    assert envelope.source == protocol and envelope.helo == "relay.test"
    assert set(envelope.rcpt_tos) == {BRANCH_ADDRESS, other}
    # Postfix logs the delivery after our 250, which follows the commit we just saw: wait.
    assert _wait_for_log(postfix_dir, "status=sent"), _log(postfix_dir)
