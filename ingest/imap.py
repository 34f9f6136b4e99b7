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
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ingest.backoff import Backoff, StepLog
from ingest.importer import envelope_for
from ingest.settings import ImapAccount
from ingest.spool import Spool

log = logging.getLogger("diia_inbox.ingest.imap")

DEFAULT_TIMEOUT = 60.0
FETCH_BATCH = 50


class ImapError(Exception):
    """A poll that could not complete; `reason` is a stable code (no server text in it)."""

    reason = "IMAP_ERROR"

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

    def history_upto(self) -> int | None:
        """The highest UID left to the first import when live reading began (None: none)."""
        try:
            value = json.loads(self.path.read_text()).get("history_upto")
        except (FileNotFoundError, ValueError, AttributeError):
            return None
        return int(value) if isinstance(value, int) else None

    def save(self, uidvalidity: int, last_uid: int, history_upto: int | None = None) -> None:
        if history_upto is None:
            history_upto = self.history_upto()
        body: dict[str, int] = {"uidvalidity": uidvalidity, "last_uid": last_uid}
        if history_upto is not None:
            body["history_upto"] = history_upto
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        with open(tmp, "w") as fh:
            json.dump(body, fh)
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
        login(conn, account)
    except imaplib.IMAP4.error:
        with contextlib.suppress(Exception):
            conn.logout()
        raise ImapError("IMAP_LOGIN_FAILED") from None
    except ImapError:
        with contextlib.suppress(Exception):
            conn.logout()
        raise
    return conn


def login(conn: imaplib.IMAP4, account: ImapAccount) -> None:
    """LOGIN with the password, or SASL XOAUTH2/OAUTHBEARER with a fresh access token."""
    if account.auth != "oauth2":
        conn.login(account.user, read_password(account))
        return
    from ingest.oauth import OAuthError, oauthbearer, xoauth2

    source = account.token_source
    if source is None:
        raise ImapError("OAUTH_NOT_SIGNED_IN")
    mechanism = account.sasl.upper()

    def attempt(fresh: bool) -> None:
        try:
            token = source(fresh)
        except OAuthError as exc:
            raise ImapError(exc.reason, exc.detail) from None
        if mechanism == "OAUTHBEARER":
            payload = oauthbearer(account.user, token, account.host, account.port)
        else:
            payload = xoauth2(account.user, token)
        sent = []

        def answer(_challenge: bytes) -> bytes:
            # First the credentials; after a failure the server sends its error as a
            # challenge and expects an empty answer before the tagged NO.
            sent.append(1)
            return payload if len(sent) == 1 else b""

        conn.authenticate(mechanism, answer)

    try:
        attempt(False)
    except imaplib.IMAP4.error:
        # The cached token was refused (revoked or expired early): one refresh, which says
        # OAUTH_REVOKED when access was withdrawn, then one more try.
        attempt(True)


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
    _check_account(account)
    conn = connect(account, timeout)
    try:
        _select(conn, account)
        return _poll_selected(conn, account, spool, state_dir, max_message_bytes, clock)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise ImapError("IMAP_PROTOCOL_ERROR", type(exc).__name__) from None
    finally:
        with contextlib.suppress(Exception):
            conn.logout()


def _check_account(account: ImapAccount) -> None:
    if account.after_import not in ("seen", "move"):
        raise ImapError("CONFIG_INVALID", "after_import must be seen or move")


def _select(conn: imaplib.IMAP4, account: ImapAccount) -> None:
    typ, _ = conn.select(_quote(account.folder))
    if typ != "OK":
        raise ImapError("IMAP_NO_FOLDER")


def _poll_selected(
    conn: imaplib.IMAP4,
    account: ImapAccount,
    spool: Spool,
    state_dir: Path,
    max_message_bytes: int,
    clock: Callable[[], datetime],
) -> PollResult:
    """Take the new messages of the selected folder (the order that loses nothing)."""
    state = UidState(state_dir / f"{account_key(account)}.json")
    uidvalidity = _uidvalidity(conn)
    known_validity, last_uid = state.load()
    if known_validity != uidvalidity:
        if known_validity:
            log.warning("imap %s: UIDVALIDITY changed; rescanning", account_key(account))
        last_uid = 0
        if account.skip_history and not known_validity:
            # First contact: what is there now is the first import's; live reading starts
            # after it, so new arrivals never wait behind years of old mail.
            last_uid = max_uid(conn)
            state.save(uidvalidity, last_uid, history_upto=last_uid)
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
                    envelope = dataclasses.replace(envelope, rcpt_tos=tuple(dict.fromkeys(rcpts)))
                spool.put(raw, envelope)
                spooled += 1
        last_uid = uid
        state.save(uidvalidity, last_uid)
        _after_import(conn, account, uid)
    if account.after_import == "move" and uids:
        _expunge(conn)
    return PollResult(spooled, skipped, uidvalidity, last_uid)


MAX_IDLE_SECONDS = 29 * 60


class IdleUnsupported(Exception):
    """The server does not offer IDLE: the poller polls instead."""

    reason = "IMAP_IDLE_UNSUPPORTED"


class IdleSession:
    """One connection that polls, then waits in IDLE (RFC 2177) for the server to say "new".

    Poll and IDLE share the connection: a message that lands between the poll's SEARCH and the
    IDLE command is reported by the server as an untagged EXISTS when IDLE starts, so nothing
    waits for the next re-issue. IDLE is ended (DONE) and re-issued before `idle_seconds`
    (at most 29 minutes, as RFC 2177 asks). `close()` may be called from another thread: it
    shuts the socket down, which ends a blocking read at once.
    """

    def __init__(
        self,
        account: ImapAccount,
        spool: Spool,
        state_dir: Path,
        *,
        max_message_bytes: int,
        on_spooled: Callable[[int], None],
        on_ready: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.on_ready = on_ready
        self.account = account
        self.spool = spool
        self.state_dir = state_dir
        self.max_message_bytes = max_message_bytes
        self.on_spooled = on_spooled
        self.clock = clock
        self.timeout = timeout
        self._conn: imaplib.IMAP4 | None = None
        self._closed = False
        self.idling = False

    def run(self) -> None:
        """Poll and IDLE until `close()`; raises ImapError (or IdleUnsupported) otherwise."""
        _check_account(self.account)
        conn = connect(self.account, self.timeout)
        self._conn = conn
        try:
            if self._closed:
                return
            if "IDLE" not in conn.capabilities:
                raise IdleUnsupported
            _select(conn, self.account)
            self.on_ready()
            while not self._closed:
                result = _poll_selected(
                    conn,
                    self.account,
                    self.spool,
                    self.state_dir,
                    self.max_message_bytes,
                    self.clock,
                )
                if result.spooled:
                    self.on_spooled(result.spooled)
                if self._closed:
                    return
                self._idle(conn)
        except (OSError, imaplib.IMAP4.error, EOFError) as exc:
            if self._closed:
                return
            raise ImapError("IMAP_PROTOCOL_ERROR", type(exc).__name__) from None
        finally:
            self.idling = False
            with contextlib.suppress(Exception):
                conn.logout()
            self._conn = None

    def _idle(self, conn: imaplib.IMAP4) -> None:
        """One IDLE: returns when the folder changed or the re-issue time came.

        The read blocks without a socket timeout (a timed-out socket file cannot be read
        again); a timer ends the IDLE instead: it sends DONE when the re-issue time comes and,
        if the server does not answer within the usual timeout (a dead connection), shuts the
        socket down so the read returns.
        """
        seconds = max(1, min(self.account.idle_seconds, MAX_IDLE_SECONDS))
        tag: bytes = conn._new_tag()  # type: ignore[attr-defined]
        conn.send(tag + b" IDLE\r\n")
        line = conn.readline()
        if not line.startswith(b"+"):
            raise ImapError("IMAP_IDLE_REFUSED")
        done = threading.Lock()  # whoever takes it sends the one DONE

        def finish() -> None:
            if done.acquire(blocking=False):
                with contextlib.suppress(OSError):
                    conn.send(b"DONE\r\n")

        def give_up() -> None:
            with contextlib.suppress(OSError):
                conn.sock.shutdown(socket.SHUT_RDWR)

        reissue = threading.Timer(seconds, finish)
        dead = threading.Timer(seconds + self.timeout, give_up)
        reissue.daemon = dead.daemon = True
        conn.sock.settimeout(None)
        self.idling = True
        reissue.start()
        dead.start()
        try:
            while True:
                line = conn.readline()
                if not line:
                    raise EOFError("connection closed during IDLE")
                if line.startswith(tag):
                    if not line[len(tag) :].lstrip().startswith(b"OK"):
                        raise ImapError("IMAP_IDLE_FAILED")
                    return
                if line.startswith(b"* BYE"):
                    raise ImapError("IMAP_SERVER_BYE")
                if re.match(rb"\* \d+ (EXISTS|RECENT)", line):
                    finish()  # new mail: end IDLE now, then the tagged OK ends the loop
        finally:
            self.idling = False
            reissue.cancel()
            dead.cancel()
            with contextlib.suppress(OSError):
                conn.sock.settimeout(self.timeout)

    def close(self) -> None:
        self._closed = True
        conn = self._conn
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.sock.shutdown(socket.SHUT_RDWR)


def max_uid(conn: imaplib.IMAP4) -> int:
    """The highest UID in the selected folder (0 when it is empty)."""
    typ, data = conn.uid("SEARCH", "ALL")
    if typ != "OK":
        raise ImapError("IMAP_SEARCH_FAILED")
    return max((int(x) for x in (data[0] or b"").split()), default=0)


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


MAX_BACKOFF_SECONDS = 300.0
#: The ingest side's one back-off (ingest/backoff.py), on a reconnection's scale: 2 s doubling
#: to 5 min (a mail server that went away is usually back within minutes).
IMAP_BACKOFF = Backoff(2.0, MAX_BACKOFF_SECONDS)


class ImapPoller:
    """A component reading one account: IDLE where the server offers it, else a poll every
    `poll_seconds`; after a failure it reconnects with an exponential back-off (2 s doubling to
    5 minutes), so a dropped connection or a server restart never becomes a busy loop.

    `status` ("connecting", "idle", "polling", "backoff", "stopped"), `last_error` and
    `last_spooled_at` are what the admin pages and `diia-inbox imap list` show.
    """

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
        self._session: IdleSession | None = None
        self._loop_ref: asyncio.AbstractEventLoop | None = None
        self.idle_supported: bool | None = None  # unknown until the first connection
        self.status = "stopped"
        self.last_error: str | None = None
        self.last_spooled_at: datetime | None = None
        self.failures = 0

    async def start(self) -> None:
        self._stop.clear()
        self._loop_ref = asyncio.get_running_loop()
        self._task = asyncio.create_task(self._loop(), name=f"imap-{account_key(self.account)}")

    async def stop(self) -> None:
        self._stop.set()
        session = self._session
        if session is not None:
            session.close()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.status = "stopped"

    async def poll_once(self) -> PollResult:
        result = await asyncio.to_thread(
            poll_account,
            self.account,
            self.spool,
            self.state_dir,
            max_message_bytes=self.max_message_bytes,
        )
        if result.spooled:
            self._spooled(result.spooled)
        return result

    def _spooled(self, count: int) -> None:
        """New mail in the spool (on the event loop's thread)."""
        self.last_spooled_at = datetime.now(UTC)
        log.info("imap %s: %d message(s) spooled", account_key(self.account), count)
        if self.on_spooled is not None:
            self.on_spooled()

    def _spooled_from_thread(self, count: int) -> None:
        loop = self._loop_ref
        if loop is not None:
            loop.call_soon_threadsafe(self._spooled, count)

    def _ready(self) -> None:
        """Connected and in the folder again: the failure streak is over."""
        self.failures = 0
        self.last_error = None

    def _ready_from_thread(self) -> None:
        loop = self._loop_ref
        if loop is not None:
            loop.call_soon_threadsafe(self._ready)

    def backoff_seconds(self) -> float:
        return IMAP_BACKOFF.delay(self.failures)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)

    async def _loop(self) -> None:
        key = account_key(self.account)
        warnings = StepLog(log)  # once per back-off step, however the failures come
        while not self._stop.is_set():
            use_idle = self.account.idle and self.idle_supported is not False
            self.status = "connecting"
            try:
                if use_idle:
                    await self._run_idle()
                else:
                    self.status = "polling"
                    await self.poll_once()
                self.failures = 0
                self.last_error = None
                warnings.forget(key)
            except IdleUnsupported:
                self.idle_supported = False
                log.info("imap %s: the server offers no IDLE; polling", key)
                continue
            except ImapError as exc:
                self.failures += 1
                self.last_error = exc.reason
                warnings.warning(
                    key, self.failures, "imap %s: %s (attempt %d)", key, exc.reason, self.failures
                )
            except Exception as exc:  # keep reading whatever one attempt ran into
                self.failures += 1
                self.last_error = "INTERNAL_ERROR"
                warnings.warning(key, self.failures, "imap %s: error %s", key, type(exc).__name__)
            if self._stop.is_set():
                break
            if self.failures:
                self.status = "backoff"
                await self._pause(self.backoff_seconds())
            elif not use_idle:
                await self._pause(max(1, self.account.poll_seconds))

    async def _run_idle(self) -> None:
        session = IdleSession(
            self.account,
            self.spool,
            self.state_dir,
            max_message_bytes=self.max_message_bytes,
            on_spooled=self._spooled_from_thread,
            on_ready=self._ready_from_thread,
        )
        self._session = session
        if self._stop.is_set():
            session.close()
        try:
            self.status = "idle"
            await asyncio.to_thread(session.run)
            self.idle_supported = True
        finally:
            self._session = None


@dataclass(frozen=True)
class ProbeResult:
    """What "test connection" found: counts, or the reason and the server's own words."""

    ok: bool
    messages: int = 0
    unseen: int = 0
    idle: bool = False
    reason: str = ""
    server_text: str = ""


def _server_text(exc: BaseException) -> str:
    """The server's response text from an imaplib error (it quotes the tagged NO/BAD line)."""
    text = str(exc)
    match = re.match(r"^(?:\w+ command error: )?b?['\"](.*)['\"]$", text, re.S)
    text = match.group(1) if match else text
    return text.replace("\\r", "").replace("\\n", " ").strip()[:300]


def probe(account: ImapAccount, timeout: float = 30.0) -> ProbeResult:
    """Log in, select the folder, count its messages: the "test connection" of an account.

    Unlike the reader, which logs reason codes only, this returns the server's own text (it
    is shown to the administrator who asked, never logged): "[AUTHENTICATIONFAILED] ..." says
    more than any code of ours.
    """
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
    except (OSError, imaplib.IMAP4.error) as exc:
        return ProbeResult(False, reason="IMAP_UNREACHABLE", server_text=_server_text(exc))
    try:
        try:
            login(conn, account)
        except imaplib.IMAP4.error as exc:
            return ProbeResult(False, reason="IMAP_LOGIN_FAILED", server_text=_server_text(exc))
        typ, data = conn.select(_quote(account.folder), readonly=True)
        if typ != "OK":
            text = (data[0] or b"").decode(errors="replace") if data else ""
            return ProbeResult(False, reason="IMAP_NO_FOLDER", server_text=text[:300])
        messages = int(data[0] or 0)
        typ, found = conn.search(None, "UNSEEN")
        unseen = len((found[0] or b"").split()) if typ == "OK" else 0
        return ProbeResult(True, messages, unseen, idle="IDLE" in conn.capabilities)
    except ImapError as exc:
        return ProbeResult(False, reason=exc.reason)
    except (OSError, imaplib.IMAP4.error, EOFError) as exc:
        return ProbeResult(False, reason="IMAP_PROTOCOL_ERROR", server_text=_server_text(exc))
    finally:
        with contextlib.suppress(Exception):
            conn.logout()
