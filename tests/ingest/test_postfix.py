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
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ingest.envelope import Envelope
from tests.ingest.conftest import BRANCH_ADDRESS, RunningReceiver, spool_items
from tests.support.serve import free_port

pytestmark = pytest.mark.skipif(
    shutil.which("postfix") is None or os.geteuid() != 0,
    reason="needs Debian's postfix and root",
)

MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {dir}/queue
data_directory = {dir}/data
meta_directory = /etc/postfix
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = relay.test
mydomain = relay.test
myorigin = relay.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
default_transport = {transport}
relay_transport = {transport}
smtp_dns_support_level = disabled
smtp_tls_security_level = none
lmtp_tls_security_level = none
alias_maps =
alias_database =
local_recipient_maps =
maillog_file = {dir}/maillog
maillog_file_prefixes = {dir}
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
"""

MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
flush     unix n - n 1000? 0 flush
proxymap  unix - - n - - proxymap
smtp      unix - - n - - smtp
relay     unix - - n - - smtp
lmtp      unix - - n - - lmtp
showq     unix n - n - - showq
error     unix - - n - - error
retry     unix - - n - - error
discard   unix - - n - - discard
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
"""


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
    folder = postfix_dir
    started: list[Path] = []

    def start(transport: str) -> int:
        port = free_port()
        (folder / "main.cf").write_text(MAIN_CF.format(dir=folder, transport=transport))
        (folder / "master.cf").write_text(MASTER_CF.format(port=port))
        for sub in ("queue", "data"):
            (folder / sub).mkdir()
        shutil.chown(folder / "data", "postfix")
        subprocess.run(["postfix", "-c", str(folder), "start"], check=True, capture_output=True)
        started.append(folder)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=2).close()
                return port
            except OSError:
                time.sleep(0.1)
        raise AssertionError("Postfix did not start:\n" + _log(folder))

    try:
        yield start
    finally:
        for f in started:
            subprocess.run(["postfix", "-c", str(f), "stop"], capture_output=True)


def _log(folder: Path) -> str:
    log = folder / "maillog"
    return log.read_text(errors="replace") if log.exists() else "(no maillog)"


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
