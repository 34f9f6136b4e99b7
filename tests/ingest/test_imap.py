"""IMAP pull against a real Dovecot on loopback (a private instance in a temporary folder)."""

from __future__ import annotations

import contextlib
import dataclasses
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ingest.imap import ImapError, ImapPoller, UidState, account_key, poll_account
from ingest.settings import ImapAccount
from ingest.spool import Spool
from ingest.worker import Worker
from tests.ingest import mailmaker as mm
from tests.ingest.conftest import BRANCH_ADDRESS, make_pipeline
from tests.ingest.test_pipeline import documents
from tests.support.serve import free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
DOVEADM = shutil.which("doveadm") or "/usr/bin/doveadm"
USER, PASSWORD = "reception", "correct horse battery"

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
first_valid_uid = {uid}
last_valid_uid = {uid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
"""


@dataclass
class Dovecot:
    root: Path
    port: int
    uid: int
    gid: int

    @property
    def inbox(self) -> Path:
        return self.root / "mail" / USER

    def deliver(self, name: str, raw: bytes, folder: str = "") -> None:
        """Drop a message into the Maildir, as a local delivery agent would."""
        box = self.inbox / folder if folder else self.inbox
        for sub in ("tmp", "new", "cur"):
            (box / sub).mkdir(parents=True, exist_ok=True)
        path = box / "new" / f"{time.time_ns()}.{name}.test"
        path.write_bytes(raw)
        for p in (self.root / "mail", *self.inbox.rglob("*"), self.inbox):
            # Dovecot renames its own temporary files (dovecot.index.cache.tmp) while we walk:
            # one may be gone between the listing and its chown (seen in a CI run).
            with contextlib.suppress(FileNotFoundError):
                os.chown(p, self.uid, self.gid)

    def client(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=30)
        conn.login(USER, PASSWORD)
        return conn

    def account(self, **kw: Any) -> ImapAccount:
        pw = self.root / "imap-password"
        pw.write_text(PASSWORD + "\n")
        return ImapAccount(
            host="127.0.0.1", user=USER, port=self.port, tls="none",
            password_file=str(pw), **{"poll_seconds": 1, **kw},
        )  # fmt: skip


@contextlib.contextmanager
def running_dovecot(
    tls: tuple[Path, Path] | None = None, extra: str = "", port: int | None = None
) -> Iterator[Dovecot]:
    """A private Dovecot; with `tls` (cert, key) it offers STARTTLS and refuses plain logins;
    `extra` is appended to its configuration."""
    if not os.path.exists(DOVECOT):
        pytest.skip("dovecot is not installed (Debian package dovecot-imapd)")
    # Not under tmp_path: pytest's folders are private (0700) and Dovecot's unprivileged
    # processes must reach the password file and the mail folders.
    root = Path(tempfile.mkdtemp(prefix="diia-dovecot-"))
    root.chmod(0o755)
    if os.getuid() == 0:
        entry = pwd.getpwnam("dovecot")  # Dovecot refuses to run mail processes as root
        uid, gid = entry.pw_uid, entry.pw_gid
    else:
        uid, gid = os.getuid(), os.getgid()
    port = port or free_port()
    conf = root / "dovecot.conf"
    text = CONFIG.format(root=root, port=port, uid=uid, gid=gid) + extra
    if tls is not None:
        shutil.copy(tls[0], root / "cert.pem")
        shutil.copy(tls[1], root / "key.pem")
        text = text.replace(
            "ssl = no", f"ssl = required\nssl_cert = <{root}/cert.pem\nssl_key = <{root}/key.pem"
        )
        text = text.replace("disable_plaintext_auth = no", "disable_plaintext_auth = yes")
    conf.write_text(text)
    (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    server = Dovecot(root, port, uid, gid)
    server.deliver("seed", b"From: a@example.net\r\nSubject: seed\r\n\r\nnot a document\r\n")
    # The daemon keeps inherited pipes open: no capture, or run() would wait for ever.
    subprocess.run(
        [DOVECOT, "-c", str(conf)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield server
    finally:
        subprocess.run(
            [DOVEADM, "-c", str(conf), "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    with running_dovecot() as server:
        yield server


def flags_of(server: Dovecot, folder: str = "INBOX") -> list[bytes]:
    conn = server.client()
    try:
        conn.select(folder, readonly=True)
        _typ, data = conn.uid("FETCH", "1:*", "(FLAGS)")
        return [d for d in data if d]
    finally:
        conn.logout()


async def test_pull_marks_seen_and_a_second_poll_imports_nothing(
    dovecot: Dovecot, sqlite_runtime: Any, ecdsa_material: Any, branch_id: int, tmp_path: Path
) -> None:
    m = ecdsa_material
    dovecot.deliver("gmail", mm.gmail(mm.diia_pair(m.pdf, m.p7s)))
    dovecot.deliver("outlook", mm.outlook(mm.diia_pair(m.other_pdf, m.p7s, "Інший")))
    spool = Spool(tmp_path / "spool")
    state = tmp_path / "imap-state"
    account = dovecot.account()

    first = poll_account(account, spool, state)

    assert first.spooled == 3 and spool.depth() == 3
    assert all(b"\\Seen" in f for f in flags_of(dovecot))
    handled = await Worker(spool, make_pipeline(sqlite_runtime, [m.root_der])).drain()
    assert sorted(h.action for h in handled) == ["done", "done", "quarantined"]
    docs = documents(sqlite_runtime.db)
    assert sorted(d.indication for d in docs) == ["TOTAL_FAILED", "TOTAL_PASSED"]
    assert {d.branch_id for d in docs} == {branch_id}

    again = poll_account(account, spool, state)
    assert (again.spooled, again.last_uid) == (0, first.last_uid)
    assert spool.depth() == 0

    dovecot.deliver("ios", mm.ios_share(mm.diia_pair(m.pdf, m.p7s, "Новий")))
    third = poll_account(account, spool, state)
    assert third.spooled == 1 and third.last_uid == first.last_uid + 1


async def test_move_after_import_and_poller_component(
    dovecot: Dovecot, sqlite_runtime: Any, ecdsa_material: Any, tmp_path: Path
) -> None:
    m = ecdsa_material
    dovecot.deliver("a", mm.thunderbird(mm.diia_pair(m.pdf, m.p7s), to="Bcc-list:;"))
    spool = Spool(tmp_path / "spool")
    woken: list[bool] = []
    poller = ImapPoller(
        dovecot.account(after_import="move", move_to="Imported", address=BRANCH_ADDRESS),
        spool,
        tmp_path / "state",
        on_spooled=lambda: woken.append(True),
    )
    result = await poller.poll_once()
    assert result.spooled == 2 and woken == [True]
    assert flags_of(dovecot) == []
    assert len(flags_of(dovecot, "Imported")) == 2

    await poller.start()
    await poller.stop()
    assert poller.last_error is None and spool.depth() == 2
    items = [spool.claim(), spool.claim()]
    assert all(i is not None and i.envelope.rcpt_tos[0] == BRANCH_ADDRESS for i in items)
    assert all(i is not None and i.envelope.source == "imap" for i in items)


def test_changed_uidvalidity_rescans_and_wrong_password_is_a_reason(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    spool = Spool(tmp_path / "spool")
    account = dovecot.account()
    first = poll_account(account, spool, tmp_path / "state")
    state = UidState(tmp_path / "state" / f"{account_key(account)}.json")
    state.save(first.uidvalidity + 1, first.last_uid)  # as if the folder had been recreated
    again = poll_account(account, spool, tmp_path / "state")
    assert again.spooled == first.spooled and again.uidvalidity == first.uidvalidity

    (tmp_path / "bad").write_text("wrong")
    bad = ImapAccount(
        host="127.0.0.1", user=USER, port=dovecot.port, tls="none",
        password_file=str(tmp_path / "bad"),
    )  # fmt: skip
    with pytest.raises(ImapError) as info:
        poll_account(bad, spool, tmp_path / "state")
    assert info.value.reason == "IMAP_LOGIN_FAILED"


def test_starttls_with_a_private_ca(tls_files: tuple[Path, Path], tmp_path: Path) -> None:
    """STARTTLS verified against `ca_file` succeeds; without that CA the certificate fails."""
    cert, _key = tls_files
    with running_dovecot(tls_files) as server:
        secure = dataclasses.replace(
            server.account(), host="localhost", tls="starttls", ca_file=str(cert)
        )
        result = poll_account(secure, Spool(tmp_path / "s1"), tmp_path / "state1")
        assert result.spooled == 1
        logins = [
            line for line in (server.root / "dovecot.log").read_text().splitlines()
            if "Login: user=<reception>" in line
        ]  # fmt: skip
        assert logins and all(", TLS," in line for line in logins)
        untrusted = dataclasses.replace(secure, ca_file="")
        with pytest.raises(ImapError) as info:
            poll_account(untrusted, Spool(tmp_path / "s2"), tmp_path / "state2")
        assert info.value.reason == "IMAP_UNREACHABLE"  # the self-signed certificate
