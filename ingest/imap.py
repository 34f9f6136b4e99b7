"""IMAP pull: for organisations that keep their existing mailbox as the receiving address.

Each configured account is polled in turn. A poll is resumable by UID: the folder's UIDVALIDITY
and the last UID taken are remembered in the data folder, so a restart continues where it
stopped and a changed UIDVALIDITY (the folder was recreated) starts over, which is safe because
the archive stores the same bytes once. The order for each message is the one that loses
nothing: fetch without touching flags (`BODY.PEEK[]`), put into the durable spool, remember the
UID, and only then mark it seen or move it away. A crash in between fetches it again next time;
the pipeline recognises the duplicate.

imaplib is blocking, so the poller runs each poll in a thread. Logs carry the account's key (a
hash), never the user name or the host's mailbox contents.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import imaplib
import json
import logging
import os
import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ingest.backoff import StepLog
from ingest.importer import envelope_for
from ingest.settings import ImapAccount
from ingest.spool import Spool

log = logging.getLogger("diia_inbox.ingest.imap")

DEFAULT_TIMEOUT = 60.0
FETCH_BATCH = 50


class ImapError(Exception):
    """A poll that could not complete; `reason` is a stable code (no server text in it)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class PollResult:
    spooled: int
    skipped: int
    uidvalidity: int
    last_uid: int


def account_key(account: ImapAccount) -> str:
    """A stable, non-personal name for an account's state file and log lines."""
    ident = f"{account.host}:{account.port}:{account.user}:{account.folder}"
    return hashlib.sha256(ident.encode()).hexdigest()[:16]


class UidState:
    """UIDVALIDITY and last UID of one account folder, in a small JSON file (atomic writes)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> tuple[int, int]:
        try:
            data = json.loads(self.path.read_text())
            return int(data["uidvalidity"]), int(data["last_uid"])
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            return 0, 0

    def save(self, uidvalidity: int, last_uid: int) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        with open(tmp, "w") as fh:
            json.dump({"uidvalidity": uidvalidity, "last_uid": last_uid}, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)


def read_password(account: ImapAccount) -> str:
    if account.password_file:
        try:
            return Path(account.password_file).read_text().strip("\r\n")
        except OSError as exc:
            raise ImapError("PASSWORD_FILE_UNREADABLE", type(exc).__name__) from None
    return account.password


def connect(account: ImapAccount, timeout: float = DEFAULT_TIMEOUT) -> imaplib.IMAP4:
    """Open and log in; TLS per the account (`ssl`, `starttls` or `none` for loopback)."""
    context = ssl.create_default_context(cafile=account.ca_file or None)
    try:
        if account.tls == "ssl":
            conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                account.host, account.port, ssl_context=context, timeout=timeout
            )
        else:
            conn = imaplib.IMAP4(account.host, account.port, timeout=timeout)
            if account.tls == "starttls":
                conn.starttls(context)
            elif account.tls != "none":
                raise ImapError(
                    "CONFIG_INVALID", f"tls must be ssl, starttls or none: {account.tls}"
                )
    except (OSError, imaplib.IMAP4.error) as exc:
        raise ImapError("IMAP_UNREACHABLE", type(exc).__name__) from None
    try:
        conn.login(account.user, read_password(account))
    except imaplib.IMAP4.error:
        with contextlib.suppress(Exception):
            conn.logout()
        raise ImapError("IMAP_LOGIN_FAILED") from None
    return conn


def _uidvalidity(conn: imaplib.IMAP4) -> int:
    _typ, data = conn.response("UIDVALIDITY")
    if data and data[0]:
        return int(data[0])
    typ, status = conn.status(_quote("INBOX"), "(UIDVALIDITY)")
    match = re.search(rb"UIDVALIDITY (\d+)", status[0] or b"") if typ == "OK" else None
    return int(match.group(1)) if match else 0


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def poll_account(
    account: ImapAccount,
    spool: Spool,
    state_dir: Path,
    *,
    max_message_bytes: int = 50 * 1024 * 1024,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    timeout: float = DEFAULT_TIMEOUT,
) -> PollResult:
    """One poll of one account: new messages (by UID) into the spool, then marked or moved."""
    if account.after_import not in ("seen", "move"):
        raise ImapError("CONFIG_INVALID", "after_import must be seen or move")
    state = UidState(state_dir / f"{account_key(account)}.json")
    conn = connect(account, timeout)
    try:
        typ, _ = conn.select(_quote(account.folder))
        if typ != "OK":
            raise ImapError("IMAP_NO_FOLDER")
        uidvalidity = _uidvalidity(conn)
        known_validity, last_uid = state.load()
        if known_validity != uidvalidity:
            if known_validity:
                log.warning("imap %s: UIDVALIDITY changed; rescanning", account_key(account))
            last_uid = 0
        uids = _new_uids(conn, last_uid)
        spooled = skipped = 0
        for uid in uids:
            size = _size(conn, uid)
            if size is not None and size > max_message_bytes:
                log.warning("imap %s: UID %d over the size limit, left", account_key(account), uid)
                skipped += 1
            else:
                raw = _fetch(conn, uid)
                if raw is None:
                    skipped += 1
                else:
                    envelope = envelope_for(raw, clock(), source="imap")
                    if account.address:
                        rcpts = (account.address.lower(), *envelope.rcpt_tos)
                        envelope = dataclasses.replace(
                            envelope, rcpt_tos=tuple(dict.fromkeys(rcpts))
                        )
                    spool.put(raw, envelope)
                    spooled += 1
            last_uid = uid
            state.save(uidvalidity, last_uid)
            _after_import(conn, account, uid)
        if account.after_import == "move" and uids:
            _expunge(conn)
        return PollResult(spooled, skipped, uidvalidity, last_uid)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise ImapError("IMAP_PROTOCOL_ERROR", type(exc).__name__) from None
    finally:
        with contextlib.suppress(Exception):
            conn.logout()


def _new_uids(conn: imaplib.IMAP4, last_uid: int) -> list[int]:
    typ, data = conn.uid("SEARCH", "UID", f"{last_uid + 1}:*")
    if typ != "OK":
        raise ImapError("IMAP_SEARCH_FAILED")
    # "N:*" always matches the highest UID, even when it is below N: filter.
    return sorted(u for u in (int(x) for x in (data[0] or b"").split()) if u > last_uid)


def _size(conn: imaplib.IMAP4, uid: int) -> int | None:
    typ, data = conn.uid("FETCH", str(uid), "(RFC822.SIZE)")
    if typ != "OK":
        return None
    for item in data:
        blob = item[0] if isinstance(item, tuple) else item
        match = re.search(rb"RFC822\.SIZE (\d+)", blob or b"")
        if match:
            return int(match.group(1))
    return None


def _fetch(conn: imaplib.IMAP4, uid: int) -> bytes | None:
    typ, data = conn.uid("FETCH", str(uid), "(BODY.PEEK[])")
    if typ != "OK":
        return None
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None  # expunged by another client meanwhile


def _after_import(conn: imaplib.IMAP4, account: ImapAccount, uid: int) -> None:
    if account.after_import == "seen":
        conn.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Seen)")
        return
    target = _quote(account.move_to)
    if "MOVE" in conn.capabilities:
        typ, _ = conn.uid("MOVE", str(uid), target)
        if typ == "OK":
            return
    typ, _ = conn.uid("COPY", str(uid), target)
    if typ != "OK":
        conn.create(target)
        typ, _ = conn.uid("COPY", str(uid), target)
        if typ != "OK":
            raise ImapError("IMAP_MOVE_FAILED")
    conn.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Seen \Deleted)")


def _expunge(conn: imaplib.IMAP4) -> None:
    conn.expunge()


class ImapPoller:
    """A component polling one account every `poll_seconds`; failures are logged and retried."""

    def __init__(
        self,
        account: ImapAccount,
        spool: Spool,
        state_dir: Path,
        *,
        max_message_bytes: int = 50 * 1024 * 1024,
        on_spooled: Callable[[], None] | None = None,
    ) -> None:
        self.account = account
        self.spool = spool
        self.state_dir = state_dir
        self.max_message_bytes = max_message_bytes
        self.on_spooled = on_spooled
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.last_error: str | None = None

    async def start(self) -> None:
        self._stop.clear()
        self._task = asyncio.create_task(self._loop(), name=f"imap-{account_key(self.account)}")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def poll_once(self) -> PollResult:
        result = await asyncio.to_thread(
            poll_account,
            self.account,
            self.spool,
            self.state_dir,
            max_message_bytes=self.max_message_bytes,
        )
        if result.spooled and self.on_spooled is not None:
            self.on_spooled()
        return result

    async def _loop(self) -> None:
        key = account_key(self.account)
        warnings, failures = StepLog(log), 0
        while not self._stop.is_set():
            try:
                result = await self.poll_once()
                self.last_error = None
                failures = 0
                warnings.forget(key)
                if result.spooled:
                    log.info("imap %s: %d message(s) spooled", key, result.spooled)
            except Exception as exc:  # keep polling whatever one poll ran into
                failures += 1
                reason = exc.reason if isinstance(exc, ImapError) else "INTERNAL_ERROR"
                self.last_error = reason
                detail = reason if isinstance(exc, ImapError) else type(exc).__name__
                warnings.warning(key, failures, "imap %s: poll failed: %s", key, detail)
            # After failures the spool's back-off, never sooner than the polling interval.
            wait = max(1, self.account.poll_seconds, self.spool.backoff.delay(failures))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), wait)
