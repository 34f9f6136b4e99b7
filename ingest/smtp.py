"""The SMTP and LMTP receiver's policy: who may send, what, how much, and DATA into the spool.

Policy (which recipients, how big, TLS or not) is data: a `ReceiverPolicy` built from the
settings and the current set of receiving addresses. Each connection gets a `_Conversation`
that compares envelope values against it, enforces the per-host cap, the timers and the command
budget, and streams DATA in large reads through `DotDecoder` straight into a spool file; the
reply 250 is sent only after `SpoolWriter.commit` made the message durable (fsync). Replies
carry enhanced status codes (RFC 3463) so that senders' bounces say why.

The protocol itself is aiosmtpd's, behind `ingest.smtp_adapter`, the one module that imports it
or touches its internals; this module sees a connection only as an adapter `Channel`.

Nothing personal is logged: spool ids, sizes, reasons and recipient domains only. aiosmtpd's
own logger ("mail.log") logs whole addresses at INFO and is therefore capped at WARNING (by the
adapter).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import secrets
import socket
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol, TypeVar, runtime_checkable

from structlog.contextvars import bind_contextvars

from archive.branches import normalize_email, receiving_addresses
from archive.db import Database
from ingest.datastream import DotDecoder
from ingest.envelope import Envelope, address_domain
from ingest.metrics import IngestMetrics
from ingest.settings import IngestSettings
from ingest.smtp_adapter import Channel, protocol_factory
from ingest.spool import Spool, SpoolError, SpoolWriter
from ingest.tls import TlsConfigError, server_context

log = logging.getLogger("diia_inbox.ingest.smtp")

T = TypeVar("T")

#: Bytes asked of the socket per read during DATA.
READ_CHUNK = 256 * 1024

#: At most this many blocking calls of one listener run at once (one per session at most).
IO_THREADS = 8

_SIZE_PARAM = re.compile(r"\bSIZE=(\d+)", re.IGNORECASE)

# Replies, with their enhanced status codes.
R_TOO_MANY_RCPTS = "452 4.5.3 Too many recipients"
R_UNKNOWN_RCPT = "550 5.1.1 Recipient address rejected: not a receiving address here"
R_POLICY_DOWN = "451 4.3.0 Cannot check recipients now, try again later"
R_TOO_BIG = "552 5.3.4 Message size exceeds fixed maximum message size"
R_TLS_FIRST = "530 5.7.0 Must issue a STARTTLS command first"
R_NO_STORAGE = "452 4.3.1 Insufficient system storage"
R_SPOOL_FAILED = "451 4.3.0 Cannot store the message now, try again later"
R_TOO_MANY_CONN = b"421 4.7.0 Too many connections, try again later\r\n"
R_TOO_MANY_FROM_CLIENT = b"421 4.7.0 Too many connections from your address, try again later\r\n"
R_SESSION_TOO_LONG = b"421 4.4.2 Session time limit reached, closing connection\r\n"
R_TOO_MANY_COMMANDS = "421 4.7.0 Too many commands without a message, closing connection"
R_PREGREET = b"554 5.5.1 Protocol error: talking before the greeting\r\n"
R_CONTROL_CHARS = "501 5.5.2 Syntax error: control characters are not allowed"
R_BAD_SENDER = "553 5.1.7 Sender address rejected: not valid UTF-8 or has control characters"
R_BAD_RCPT = "553 5.1.3 Recipient address rejected: not valid UTF-8 or has control characters"
R_TIMEOUT = b"421 4.4.2 Timeout, closing connection\r\n"
R_SHUTDOWN = b"421 4.3.2 Service shutting down, try again later\r\n"


#: C0 controls, DEL, and the lone surrogates aiosmtpd uses for bytes that are not UTF-8.
_BAD_CHARS = re.compile(r"[\x00-\x1f\x7f\udc80-\udcff]")


def has_bad_chars(text: str | None) -> bool:
    """Control characters or undecodable bytes: never part of a valid command argument."""
    return bool(text) and _BAD_CHARS.search(text or "") is not None


@dataclass(frozen=True)
class SessionLimits:
    """How much of the receiver one client may take: the defence against slow and idle hosts.

    A global connection limit alone lets one host hold every slot; the per-address cap keeps
    room for everybody else. The idle timer restarts on every valid command, so the lifetime
    and the command budget are what end a session that talks without ever sending mail.
    """

    max_connections: int = 100
    max_connections_per_client: int = 10
    idle_timeout: float = 60.0
    data_timeout: float = 300.0
    max_session_seconds: float = 900.0
    max_idle_commands: int = 20
    greeting_pause: float = 0.5

    @classmethod
    def from_settings(cls, s: IngestSettings, *, lmtp: bool = False) -> SessionLimits:
        """The LMTP listener serves one local MTA: no per-address cap and no greeting pause."""
        return cls(
            max_connections=s.max_connections,
            max_connections_per_client=0 if lmtp else s.max_connections_per_client,
            idle_timeout=s.idle_timeout,
            data_timeout=s.data_timeout,
            max_session_seconds=s.max_session_seconds,
            max_idle_commands=s.max_idle_commands,
            greeting_pause=0.0 if lmtp else s.greeting_pause,
        )


@dataclass(frozen=True)
class ReceiverPolicy:
    """What the receiver accepts; rebuilt from settings and the branch table as they change."""

    #: Receiving addresses (normalised, lower case) or a predicate over a normalised address.
    accepted: Callable[[str], bool] | frozenset[str]
    max_message_bytes: int
    max_recipients: int
    require_tls: bool = False
    limits: SessionLimits = SessionLimits()

    def accepts(self, address: str) -> bool:
        norm = normalize_email(address)
        if callable(self.accepted):
            return self.accepted(norm)
        return norm in self.accepted


PolicySource = Callable[[], Collection[str]]


#: How long RCPT waits for the recipient policy before answering 451.
POLICY_SECONDS = 10.0


class AddressCache:
    """A `policy_source`: the active branches' receiving addresses, re-read every `ttl` s.

    New branches are accepted within `ttl` seconds without a restart. A due refresh runs in a
    background thread while the last known set keeps answering, so a database that hangs
    (rather than refusing) never stalls SMTP; when it cannot be read, the last known set is kept
    (refusing mail because of a database hiccup would bounce citizens' documents). With no known
    set yet, the first read happens in the caller and its error propagates (RCPT gets a 451).
    """

    def __init__(
        self, db: Database, ttl: float = 5.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._db, self._ttl, self._clock = db, ttl, clock
        self._value: frozenset[str] | None = None
        self._read_at = 0.0
        self._lock = threading.Lock()
        self._refreshing = False

    def _read(self) -> frozenset[str]:
        with self._db.session() as s:
            return frozenset(normalize_email(a) for a in receiving_addresses(s))

    def _refresh(self) -> None:
        try:
            value = self._read()
        except Exception:
            log.warning("receiving addresses: database unavailable, using the last set")
            value = None
        with self._lock:
            if value is not None:
                self._value = value
            self._read_at = self._clock()
            self._refreshing = False

    def peek(self) -> frozenset[str] | None:
        """The last known set without waiting (a due refresh starts in the background), or
        None before the first read. RCPT uses it to answer on the event loop."""
        with self._lock:
            value, due = self._value, self._clock() - self._read_at >= self._ttl
            start = value is not None and due and not self._refreshing
            if start:
                self._refreshing = True
        if start:
            threading.Thread(target=self._refresh, name="address-refresh", daemon=True).start()
        return value

    def __call__(self) -> frozenset[str]:
        value = self.peek()
        if value is None:
            value = self._read()
            with self._lock:
                self._value, self._read_at = value, self._clock()
        return value


@runtime_checkable
class CachedPolicySource(Protocol):
    """A `policy_source` that can also answer from memory (`AddressCache`): `peek` never waits
    and returns None when only the blocking call can answer."""

    def __call__(self) -> Collection[str]: ...

    def peek(self) -> Collection[str] | None: ...


class _Sessions:
    """The live sessions of one listener: the connection limits and the shutdown drain."""

    def __init__(self, limit: int, per_client: int = 0) -> None:
        self.limit = limit
        self.per_client = per_client
        self.active: set[_Conversation] = set()
        self.by_client: Counter[str] = Counter()
        self.closing = False
        self.empty = asyncio.Event()
        self.empty.set()

    def enter(self, session: _Conversation, client: str) -> bytes | None:
        """Admit `session` from address `client`, or return the 421 line to close it with."""
        if self.closing:
            return R_SHUTDOWN
        if len(self.active) >= self.limit:
            return R_TOO_MANY_CONN
        if self.per_client and self.by_client[client] >= self.per_client:
            return R_TOO_MANY_FROM_CLIENT
        self.active.add(session)
        self.by_client[client] += 1
        self.empty.clear()
        return None

    def leave(self, session: _Conversation, client: str) -> None:
        if session in self.active:
            self.active.discard(session)
            self.by_client[client] -= 1
            if self.by_client[client] <= 0:
                del self.by_client[client]
        if not self.active:
            self.empty.set()


@dataclass(frozen=True)
class _Listener:
    """What all conversations of one listener share."""

    policy: Callable[[], ReceiverPolicy]
    #: The policy when it is at hand without waiting (see `CachedPolicySource`), else None.
    cached_policy: Callable[[], ReceiverPolicy | None]
    spool: Spool
    sessions: _Sessions
    metrics: IngestMetrics
    limits: SessionLimits
    max_message_bytes: int
    source: str
    #: Threads for the receiver's blocking calls (the recipient policy when it must be read,
    #: creating a message in the spool, the fsyncs of a commit): the receiver's own, so mail is
    #: never queued behind the worker's steps or IMAP sessions in the loop's default executor
    #: (a handful of threads on a small machine).
    blocking: Executor


#: Commands that move no mail: they spend the session's command budget.
_IDLE_VERBS = frozenset({"NOOP", "RSET", "VRFY", "EXPN", "HELP", "HELO", "EHLO"})


class _Conversation:
    """One connection's policy: admission, limits, timers, envelope checks and DATA to spool.

    The protocol is aiosmtpd's, reached only through `ingest.smtp_adapter`; this class sees
    the connection as a `Channel`.
    """

    def __init__(
        self,
        listener: _Listener,
        channel: Channel,
        on_spooled: Callable[[], None] | None,
    ) -> None:
        self._listener = listener
        self._channel = channel
        self._metrics = listener.metrics
        self._limits = listener.limits
        self._on_spooled = on_spooled
        self._in_data = False
        self._client = ""
        self._lifetime: asyncio.TimerHandle | None = None
        self._expired = False
        self._idle_commands = 0

    # -- connection life -----------------------------------------------------------------

    def opened(self, client: str) -> bytes | None:
        self._client = client
        refusal = self._listener.sessions.enter(self, client)
        if refusal is not None:
            self._metrics.count_rejected(
                "connection_limit_per_client"
                if refusal is R_TOO_MANY_FROM_CLIENT
                else "connection_limit"
            )
            return refusal
        self._metrics.count_connection()
        if self._limits.max_session_seconds > 0:
            self._lifetime = asyncio.get_running_loop().call_later(
                self._limits.max_session_seconds, self._lifetime_cb
            )
        return None

    def closed(self) -> None:
        if self._lifetime is not None:
            self._lifetime.cancel()
            self._lifetime = None
        self._listener.sessions.leave(self, self._client)

    def session_started(self) -> float:
        """Bind the session's log id; the greeting waits `greeting_pause` s.

        Real clients wait for the banner (RFC 5321 4.3.1); spam engines and slow-connection
        floods often do not, and dropping them early frees their slot.

        Every line logged while the session's task runs (ours and aiosmtpd's) carries the same
        random `smtp_session` id, so one conversation can be followed in the logs without
        logging who it was with. The task has its own context, so the id never leaks to
        another session.
        """
        bind_contextvars(smtp_session=secrets.token_hex(6))
        return self._limits.greeting_pause

    def early_talker(self) -> bytes:
        self._metrics.count_rejected("early_talker")
        return R_PREGREET

    def timed_out(self) -> bytes:
        self._metrics.count_rejected("timeout")
        return R_TIMEOUT

    def tls_first(self) -> str:
        self._metrics.count_rejected("tls_required")
        return R_TLS_FIRST

    def _lifetime_cb(self) -> None:
        """The session lived `max_session_seconds`: close it now, or after its DATA reply."""
        self._lifetime = None
        self._expired = True
        if self._in_data:
            return  # data_timeout bounds the transfer; data() closes after the reply
        self._close_with(R_SESSION_TOO_LONG, "session_time_limit")

    def _close_with(self, line: bytes, reason: str) -> None:
        if self._channel.close(line):
            self._metrics.count_rejected(reason)

    def shutdown(self) -> None:
        """Close now if idle; a session receiving DATA is closed after its reply."""
        if not self._in_data:
            self._channel.close(R_SHUTDOWN)

    def abort(self) -> None:
        self._channel.close()

    # -- commands ------------------------------------------------------------------------

    async def command(self, verb: str, arg: str | None) -> bool:
        if verb in ("HELO", "EHLO") and has_bad_chars(arg):
            await self._channel.reply(R_CONTROL_CHARS)
            return True
        if verb in ("MAIL", "RCPT") and has_bad_chars(arg):
            # Checked before aiosmtpd parses it: its parser may cut at the control character.
            self._metrics.count_rejected("bad_address")
            await self._channel.reply(R_BAD_SENDER if verb == "MAIL" else R_BAD_RCPT)
            return True
        if verb == "MAIL":
            # aiosmtpd refuses SIZE= over the limit too, but without an enhanced status code.
            match = _SIZE_PARAM.search((arg or "").rpartition(">")[2])  # parameters follow <addr>
            limit = self._listener.max_message_bytes
            if match and limit and int(match.group(1)) > limit and self._channel.greeted:
                self._metrics.count_rejected("message_too_big")
                await self._channel.reply(R_TOO_BIG)
                return True
        if verb in _IDLE_VERBS:
            return await self._idle_command()
        return False

    async def _idle_command(self) -> bool:
        """Count a command that moves no mail; True when the budget is spent (421, closed)."""
        self._idle_commands += 1
        if self._idle_commands <= self._limits.max_idle_commands:
            return False
        self._metrics.count_rejected("too_many_commands")
        await self._channel.reply(R_TOO_MANY_COMMANDS)
        self._channel.close()
        return True

    async def sender(self, address: str) -> str:
        if has_bad_chars(address):
            self._metrics.count_rejected("bad_address")
            return R_BAD_SENDER
        return "250 2.1.0 OK"

    async def recipient(self, address: str, accepted: int) -> str:
        if has_bad_chars(address):
            self._metrics.count_rejected("bad_address")
            return R_BAD_RCPT
        try:
            # From memory when the source has it (no thread hop: ~10 ms per RCPT on a busy
            # 2-core machine, see bench/README.md); otherwise in a thread with a deadline, as
            # the first read of the addresses touches the database.
            policy = self._listener.cached_policy()
            if policy is None:
                policy = await asyncio.wait_for(
                    self._blocking(self._listener.policy), POLICY_SECONDS
                )
        except Exception:
            log.exception("recipient policy unavailable")
            self._metrics.count_rejected("policy_unavailable")
            return R_POLICY_DOWN
        if accepted >= policy.max_recipients:
            self._metrics.count_rejected("too_many_recipients")
            return R_TOO_MANY_RCPTS
        if not policy.accepts(address):
            self._metrics.count_rejected("unknown_recipient")
            log.info("recipient refused: domain %s", address_domain(address))
            return R_UNKNOWN_RCPT
        return "250 2.1.5 OK"

    # -- DATA ----------------------------------------------------------------------------

    async def _blocking(self, call: Callable[[], T]) -> T:
        """Run a blocking call on the receiver's own threads."""
        return await asyncio.get_running_loop().run_in_executor(self._listener.blocking, call)

    async def data(self, mail_from: str, rcpt_tos: tuple[str, ...], helo: str) -> None:
        self._in_data = True
        try:
            # The spool's folder and file are made on the receiver's threads (mkdir and open can
            # wait on the file system journal) while the client already sends: the 354 does not
            # wait for that hop. A spool that cannot take the message is answered after DATA.
            opening = asyncio.ensure_future(self._blocking(self._listener.spool.open_writer))
            writer: SpoolWriter | None = None
            claimed = False
            try:
                self._channel.reading_data()
                await self._channel.reply("354 End data with <CR><LF>.<CR><LF>")
                try:
                    # Shielded: a session cut here leaves the file to the callback below.
                    writer = await asyncio.shield(opening)
                except SpoolError:
                    log.exception("spool unavailable")
                claimed = True
            finally:
                if not claimed:
                    opening.add_done_callback(_abort_unclaimed)
            status = await self._receive_into(writer, mail_from, rcpt_tos, helo)
            await self._channel.end_transaction(status)
            self._idle_commands = 0  # a transaction: the budget starts again
        finally:
            self._in_data = False
        if self._listener.sessions.closing:
            self.shutdown()
        elif self._expired:
            self._close_with(R_SESSION_TOO_LONG, "session_time_limit")

    async def _receive_into(
        self, writer: SpoolWriter | None, mail_from: str, rcpt_tos: tuple[str, ...], helo: str
    ) -> str:
        """Stream DATA into `writer`; commit and return the reply to send. Without a writer
        (the spool could not take a message) DATA is read to its end and refused."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._limits.data_timeout
        idle = self._limits.idle_timeout
        limit = self._listener.max_message_bytes
        decoder = DotDecoder()
        size = 0
        failure: str | None = None if writer is not None else "spool_unavailable"
        try:
            while True:
                # Idle timeout per read, and the whole DATA must finish by the deadline.
                chunk = await self._channel.read(READ_CHUNK, min(idle, deadline - loop.time()))
                if not chunk:
                    raise ConnectionResetError("connection closed during DATA")
                payload, rest = decoder.feed(chunk)
                size += len(payload)
                if failure is None and writer is not None and payload:
                    if limit and size > limit:
                        failure = "message_too_big"
                        writer.abort()
                    else:
                        try:
                            writer.write(payload)
                        except SpoolError as exc:
                            log.warning("spool write failed: %s", exc)
                            failure = "spool_error"
                if decoder.done:
                    break
        except BaseException:
            if writer is not None:
                writer.abort()
            raise
        finally:
            self._channel.reading_done()
        if rest:
            # Commands pipelined after the end marker go back to the command reader.
            self._channel.unread(rest)
        if failure == "spool_unavailable":
            self._metrics.count_rejected("spool_error")
            return R_SPOOL_FAILED
        if failure is not None:
            self._metrics.count_rejected(failure)
            log.info("message refused: %s, %d bytes", failure, size)
            return R_TOO_BIG if failure == "message_too_big" else R_NO_STORAGE
        assert writer is not None  # without one, failure is "spool_unavailable" (above)
        envelope = Envelope(
            mail_from=mail_from,
            rcpt_tos=rcpt_tos,
            received_at=datetime.now(UTC),
            peer=self._client,
            source=self._listener.source,
            helo=helo,
        )
        try:
            item_id = await self._blocking(functools.partial(writer.commit, envelope))
        except SpoolError:
            log.exception("spool commit failed")
            self._metrics.count_rejected("spool_error")
            return R_SPOOL_FAILED
        self._metrics.count_received(size)
        if self._on_spooled is not None:
            try:
                self._on_spooled()
            except Exception:  # the message is safe in the spool: the 250 must still go out
                log.exception("on_spooled callback failed")
        log.info(
            "accepted %s: %d bytes for %s",
            item_id,
            size,
            ",".join(sorted({address_domain(r) for r in envelope.rcpt_tos})),
        )
        return f"250 2.0.0 OK queued as {item_id}"


def _abort_unclaimed(opening: asyncio.Future[SpoolWriter]) -> None:
    """The session ended before it took the message file it had asked for: remove it."""
    if not opening.cancelled() and opening.exception() is None:
        opening.result().abort()


class SmtpComponent:
    """One listener (SMTP, or LMTP with `lmtp=True`) as a component of `diia-inbox serve`.

    `policy_source()` returns the current receiving addresses (see `AddressCache`). `port` is
    the bound port after `start()`, so tests can ask for port 0. `stop()` stops listening,
    closes idle sessions with 421, lets sessions in the middle of DATA finish (up to
    `settings.drain_timeout` seconds) and then cuts the rest, whose partial messages are removed.
    `on_spooled` (settable after construction, e.g. to the worker's `wake`) is called on the
    event loop after each message was committed to the spool.
    """

    def __init__(
        self,
        spool: Spool,
        policy_source: PolicySource,
        settings: IngestSettings,
        host: str,
        port: int,
        metrics: IngestMetrics,
        *,
        lmtp: bool = False,
    ) -> None:
        self.spool = spool
        self.policy_source = policy_source
        self.settings = settings
        self.host = host
        self.port = port
        self.metrics = metrics
        self.lmtp = lmtp
        self._server: asyncio.AbstractServer | None = None
        self._sessions: _Sessions | None = None
        self._tls: ssl.SSLContext | None = None
        self._listener: _Listener | None = None
        self._threads: ThreadPoolExecutor | None = None
        self.on_spooled: Callable[[], None] | None = None

    def policy(self) -> ReceiverPolicy:
        return self._policy_of(self.policy_source())

    def cached_policy(self) -> ReceiverPolicy | None:
        """The policy from the source's memory, if it has one (never waits)."""
        if not isinstance(self.policy_source, CachedPolicySource):
            return None
        accepted = self.policy_source.peek()
        return None if accepted is None else self._policy_of(accepted)

    def _policy_of(self, accepted: Collection[str]) -> ReceiverPolicy:
        s = self.settings
        return ReceiverPolicy(
            accepted=frozenset(accepted),
            max_message_bytes=s.max_message_bytes,
            max_recipients=s.max_recipients,
            require_tls=s.require_tls and not self.lmtp,
            limits=SessionLimits.from_settings(s, lmtp=self.lmtp),
        )

    async def start(self) -> None:
        s = self.settings
        if s.require_tls and not s.tls_cert and not self.lmtp:
            raise TlsConfigError("ingest.require_tls is set but ingest.tls_cert is not")
        if s.tls_cert and not self.lmtp:
            self._tls = server_context(s.tls_cert, s.tls_key)
        await asyncio.to_thread(self.spool.clean_tmp)
        limits = SessionLimits.from_settings(s, lmtp=self.lmtp)
        self._sessions = _Sessions(limits.max_connections, limits.max_connections_per_client)
        self._threads = ThreadPoolExecutor(
            max_workers=min(IO_THREADS, limits.max_connections),
            thread_name_prefix="smtp-io",
        )
        self._listener = _Listener(
            policy=self.policy,
            cached_policy=self.cached_policy,
            spool=self.spool,
            sessions=self._sessions,
            metrics=self.metrics,
            limits=limits,
            max_message_bytes=s.max_message_bytes,
            source="lmtp" if self.lmtp else "smtp",
            blocking=self._threads,
        )
        make_protocol = protocol_factory(
            self._conversation,
            lmtp=self.lmtp,
            hostname=s.hostname or socket.gethostname(),
            data_size_limit=s.max_message_bytes,
            idle_timeout=limits.idle_timeout,
            tls_context=self._tls,
            require_starttls=s.require_tls and not self.lmtp,
        )
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(make_protocol, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("%s listening on %s:%d", "LMTP" if self.lmtp else "SMTP", self.host, self.port)

    def _conversation(self, channel: Channel) -> _Conversation:
        """One per connection; `on_spooled` is read here, so it may be set after `start`."""
        assert self._listener is not None
        return _Conversation(self._listener, channel, self.on_spooled)

    async def stop(self) -> None:
        if self._server is None or self._sessions is None:
            return
        self._server.close()
        sessions = self._sessions
        sessions.closing = True
        for session in list(sessions.active):
            session.shutdown()
        try:
            await asyncio.wait_for(sessions.empty.wait(), self.settings.drain_timeout)
        except TimeoutError:
            log.warning("%d sessions still receiving at shutdown: cut", len(sessions.active))
            for session in list(sessions.active):
                session.abort()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(sessions.empty.wait(), 5.0)
        await self._server.wait_closed()
        self._server = None
        if self._threads is not None:
            # Every session has ended, so no commit is left; the threads are idle.
            self._threads.shutdown(wait=False)
            self._threads = None


def build_receivers(
    settings: IngestSettings,
    spool: Spool,
    policy_source: PolicySource,
    metrics: IngestMetrics,
    smtp_addr: tuple[str, int] | None = None,
) -> list[SmtpComponent]:
    """The SMTP listener, and the LMTP one when `lmtp_host` is set (for `diia-inbox serve`)."""
    host, port = smtp_addr or (settings.smtp_host, settings.smtp_port)
    receivers = [SmtpComponent(spool, policy_source, settings, host, port, metrics)]
    if settings.lmtp_host:
        receivers.append(
            SmtpComponent(
                spool,
                policy_source,
                settings,
                settings.lmtp_host,
                settings.lmtp_port,
                metrics,
                lmtp=True,
            )
        )
    return receivers
