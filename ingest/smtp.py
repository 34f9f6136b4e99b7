"""The SMTP and LMTP receiver: aiosmtpd's protocol with DATA streamed into the spool.

Policy (which recipients, how big, TLS or not) is data: a `ReceiverPolicy` built from the
settings and the current set of receiving addresses. The aiosmtpd hooks (`_Hooks`) only compare
envelope values against it. `StreamingSMTP` replaces aiosmtpd's DATA handling, which reads line
by line and keeps the whole message in memory, with large reads fed through `DotDecoder` straight
into a spool file; the reply 250 is sent only after `SpoolWriter.commit` made the message
durable. Replies carry enhanced status codes (RFC 3463) so that senders' bounces say why.

Nothing personal is logged: spool ids, sizes, reasons and recipient domains only. aiosmtpd's
own logger ("mail.log") logs whole addresses at INFO and is therefore capped at WARNING.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
import socket
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiosmtpd.smtp import SMTP, Session, syntax
from aiosmtpd.smtp import Envelope as SmtpEnvelope
from structlog.contextvars import bind_contextvars

from archive.branches import normalize_email, receiving_addresses
from archive.db import Database
from ingest.datastream import DotDecoder
from ingest.envelope import Envelope, address_domain
from ingest.metrics import IngestMetrics
from ingest.settings import IngestSettings
from ingest.spool import Spool, SpoolError, SpoolWriter
from ingest.tls import TlsConfigError, server_context

log = logging.getLogger("diia_inbox.ingest.smtp")

# The seam to aiosmtpd. This module is the only one that imports it, and these are the private
# parts of aiosmtpd's SMTP class (and of asyncio's StreamReader) that streaming DATA, the
# per-client cap and the timers rely on. pyproject.toml pins the version range they were checked
# against; tests/ingest/test_aiosmtpd_seam.py fails when an upgrade renames or removes one, or
# when this module starts to use another private name without declaring it here.
AIOSMTPD_PRIVATE_METHODS = {
    "_handle_client": ("self",),
    "_reset_timeout": ("self", "duration"),
    "_set_post_data_state": ("self",),
    "_timeout_cb": ("self",),
}
AIOSMTPD_PRIVATE_ATTRIBUTES = ("_original_transport", "_reader")
STREAMREADER_PRIVATE_ATTRIBUTES = ("_buffer",)

#: Bytes asked of the socket per read during DATA.
READ_CHUNK = 256 * 1024

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

    def __call__(self) -> frozenset[str]:
        with self._lock:
            value, due = self._value, self._clock() - self._read_at >= self._ttl
            start = value is not None and due and not self._refreshing
            if start:
                self._refreshing = True
        if value is None:
            value = self._read()
            with self._lock:
                self._value, self._read_at = value, self._clock()
            return value
        if start:
            threading.Thread(target=self._refresh, name="address-refresh", daemon=True).start()
        return value


class _Sessions:
    """The live sessions of one listener: the connection limits and the shutdown drain."""

    def __init__(self, limit: int, per_client: int = 0) -> None:
        self.limit = limit
        self.per_client = per_client
        self.active: set[StreamingSMTP] = set()
        self.by_client: Counter[str] = Counter()
        self.closing = False
        self.empty = asyncio.Event()
        self.empty.set()

    def enter(self, session: StreamingSMTP, client: str) -> bytes | None:
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

    def leave(self, session: StreamingSMTP, client: str) -> None:
        if session in self.active:
            self.active.discard(session)
            self.by_client[client] -= 1
            if self.by_client[client] <= 0:
                del self.by_client[client]
        if not self.active:
            self.empty.set()


class _Hooks:
    """aiosmtpd handler: envelope checks against the current policy, nothing else."""

    def __init__(self, policy: Callable[[], ReceiverPolicy], metrics: IngestMetrics) -> None:
        self._policy = policy
        self._metrics = metrics

    async def handle_EHLO(
        self,
        server: SMTP,
        session: Session,
        envelope: SmtpEnvelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        # We offer no AUTH (senders are anonymous); aiosmtpd would advertise an empty one.
        # PIPELINING is safe: commands are read from one buffer in order, text after the end of
        # DATA goes back to that buffer, and STARTTLS discards what was sent before it.
        session.host_name = hostname
        kept = [r for r in responses if not r[4:].startswith("AUTH")]
        return [*kept[:-1], "250-PIPELINING", kept[-1]]

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: SmtpEnvelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        if isinstance(server, StreamingSMTP) and server.tls_required and session.ssl is None:
            self._metrics.count_rejected("tls_required")
            return R_TLS_FIRST
        if has_bad_chars(address):
            self._metrics.count_rejected("bad_address")
            return R_BAD_SENDER
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: SmtpEnvelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if has_bad_chars(address):
            self._metrics.count_rejected("bad_address")
            return R_BAD_RCPT
        try:
            # In a thread with a deadline: the first read of the addresses touches the database.
            policy = await asyncio.wait_for(asyncio.to_thread(self._policy), POLICY_SECONDS)
        except Exception:
            log.exception("recipient policy unavailable")
            self._metrics.count_rejected("policy_unavailable")
            return R_POLICY_DOWN
        if len(envelope.rcpt_tos) >= policy.max_recipients:
            self._metrics.count_rejected("too_many_recipients")
            return R_TOO_MANY_RCPTS
        if not policy.accepts(address):
            self._metrics.count_rejected("unknown_recipient")
            log.info("recipient refused: domain %s", address_domain(address))
            return R_UNKNOWN_RCPT
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"


class StreamingSMTP(SMTP):
    """aiosmtpd's SMTP with streamed DATA, a connection limit, timeouts and a shutdown drain."""

    source = "smtp"

    def __init__(
        self,
        handler: _Hooks,
        *,
        spool: Spool,
        sessions: _Sessions,
        metrics: IngestMetrics,
        limits: SessionLimits,
        tls_required: bool,
        on_spooled: Callable[[], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(handler, timeout=limits.idle_timeout, **kwargs)
        self._on_spooled = on_spooled
        self._spool = spool
        self._sessions = sessions
        self._metrics = metrics
        self._limits = limits
        self._idle_timeout = limits.idle_timeout
        self._data_timeout = limits.data_timeout
        self.tls_required = tls_required
        self._admitted = False
        self._refused = False
        self._in_data = False
        self._client = ""
        self._lifetime: asyncio.TimerHandle | None = None
        self._expired = False
        self._idle_commands = 0

    # -- connection life -----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self._original_transport is None and not self._admitted:  # not the STARTTLS call
            self._client = _peer_host(transport.get_extra_info("peername"))
            refusal = self._sessions.enter(self, self._client)
            if refusal is not None:
                self._refused = True
                self._metrics.count_rejected(
                    "connection_limit_per_client"
                    if refusal is R_TOO_MANY_FROM_CLIENT
                    else "connection_limit"
                )
                assert isinstance(transport, asyncio.WriteTransport)
                transport.write(refusal)
                transport.close()
                return
            self._admitted = True
            self._metrics.count_connection()
            if self._limits.max_session_seconds > 0:
                self._lifetime = asyncio.get_running_loop().call_later(
                    self._limits.max_session_seconds, self._lifetime_cb
                )
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        if self._refused:
            return
        if self._lifetime is not None:
            self._lifetime.cancel()
            self._lifetime = None
        self._sessions.leave(self, self._client)
        super().connection_lost(error)

    async def _handle_client(self) -> None:
        """Hold the greeting back for `greeting_pause` s; a client that talks first is dropped.

        Real clients wait for the banner (RFC 5321 4.3.1); spam engines and slow-connection
        floods often do not, and dropping them early frees their slot.

        Every line logged while the session's task runs (ours and aiosmtpd's) carries the same
        random `smtp_session` id, so one conversation can be followed in the logs without
        logging who it was with. The task has its own context, so the id never leaks to
        another session.
        """
        bind_contextvars(smtp_session=secrets.token_hex(6))
        pause = self._limits.greeting_pause
        if pause > 0:
            self._reset_timeout(pause + self._idle_timeout)
            await asyncio.sleep(pause)
            if self.transport is None or self.transport.is_closing():
                return
            if self._reader._buffer or self._reader.at_eof():  # type: ignore[attr-defined]
                self._metrics.count_rejected("early_talker")
                assert isinstance(self.transport, asyncio.WriteTransport)
                self.transport.write(R_PREGREET)
                self.transport.close()
                return
            self._reset_timeout()  # the idle time starts with the greeting
        await super()._handle_client()

    def _lifetime_cb(self) -> None:
        """The session lived `max_session_seconds`: close it now, or after its DATA reply."""
        self._lifetime = None
        self._expired = True
        if self._in_data:
            return  # data_timeout bounds the transfer; smtp_DATA closes after the reply
        self._close_with(R_SESSION_TOO_LONG, "session_time_limit")

    def _close_with(self, line: bytes, reason: str) -> None:
        transport = self.transport
        if transport is None:
            return
        self._metrics.count_rejected(reason)
        if isinstance(transport, asyncio.WriteTransport) and not transport.is_closing():
            with contextlib.suppress(Exception):
                transport.write(line)
            transport.close()

    async def _idle_command(self) -> bool:
        """Count a command that moves no mail; True when the budget is spent (421, closed)."""
        self._idle_commands += 1
        if self._idle_commands <= self._limits.max_idle_commands:
            return False
        self._metrics.count_rejected("too_many_commands")
        await self.push(R_TOO_MANY_COMMANDS)
        if self.transport is not None:
            self.transport.close()
        return True

    def _timeout_cb(self) -> None:
        transport = self.transport
        if transport is None:
            return  # already gone
        self._metrics.count_rejected("timeout")
        if isinstance(transport, asyncio.WriteTransport) and not transport.is_closing():
            with contextlib.suppress(Exception):
                transport.write(R_TIMEOUT)
        super()._timeout_cb()

    def shutdown(self) -> None:
        """Close now if idle; a session receiving DATA is closed after its reply."""
        if self._in_data:
            return
        transport = self.transport
        if isinstance(transport, asyncio.WriteTransport) and not transport.is_closing():
            with contextlib.suppress(Exception):
                transport.write(R_SHUTDOWN)
            transport.close()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.close()

    # -- commands ------------------------------------------------------------------------

    @syntax("NOOP [ignored]")
    async def smtp_NOOP(self, arg: str | None) -> None:
        if not await self._idle_command():
            await super().smtp_NOOP(arg)

    @syntax("RSET")
    async def smtp_RSET(self, arg: str | None) -> None:
        if not await self._idle_command():
            await super().smtp_RSET(arg)

    @syntax("VRFY <address>")
    async def smtp_VRFY(self, arg: str | None) -> None:
        if not await self._idle_command():
            await super().smtp_VRFY(arg)

    @syntax("EXPN <address>")
    async def smtp_EXPN(self, arg: str | None) -> None:
        if not await self._idle_command():
            await self.push("502 5.5.1 EXPN not implemented")

    @syntax("HELP [command]")
    async def smtp_HELP(self, arg: str | None) -> None:
        if not await self._idle_command():
            await super().smtp_HELP(arg)

    @syntax("HELO hostname")
    async def smtp_HELO(self, arg: str) -> None:
        if has_bad_chars(arg):
            await self.push(R_CONTROL_CHARS)
            return
        if not await self._idle_command():
            await super().smtp_HELO(arg)

    @syntax("EHLO hostname")
    async def smtp_EHLO(self, arg: str) -> None:
        if has_bad_chars(arg):
            await self.push(R_CONTROL_CHARS)
            return
        if not await self._idle_command():
            await super().smtp_EHLO(arg)

    @syntax("MAIL FROM: <address>", extended=" [SP <mail-parameters>]")
    async def smtp_MAIL(self, arg: str | None) -> None:
        if has_bad_chars(arg):
            # Checked before aiosmtpd parses it: its parser may cut at the control character.
            self._metrics.count_rejected("bad_address")
            await self.push(R_BAD_SENDER)
            return
        # aiosmtpd refuses SIZE= over the limit too, but without an enhanced status code.
        match = _SIZE_PARAM.search((arg or "").rpartition(">")[2])  # parameters follow <addr>
        limit = self.data_size_limit
        if match and limit and int(match.group(1)) > limit and self.session is not None:
            if self.session.host_name:
                self._metrics.count_rejected("message_too_big")
                await self.push(R_TOO_BIG)
                return
        await super().smtp_MAIL(arg)

    @syntax("RCPT TO: <address>", extended=" [SP <mail-parameters>]")
    async def smtp_RCPT(self, arg: str | None) -> None:
        if has_bad_chars(arg):
            self._metrics.count_rejected("bad_address")
            await self.push(R_BAD_RCPT)
            return
        await super().smtp_RCPT(arg)

    @syntax("DATA")
    async def smtp_DATA(self, arg: str | None) -> None:
        if await self.check_helo_needed():
            return
        if await self.check_auth_needed("DATA"):
            return
        assert self.envelope is not None and self.session is not None
        if not self.envelope.rcpt_tos:
            await self.push("503 5.5.1 Error: need RCPT command")
            return
        if arg:
            await self.push("501 5.5.4 Syntax: DATA")
            return
        self._in_data = True
        try:
            try:
                # mkdir and open wait on the file system journal: keep them off the loop.
                writer = await asyncio.to_thread(self._spool.open_writer)
            except SpoolError:
                log.exception("spool unavailable")
                self._metrics.count_rejected("spool_error")
                await self.push(R_SPOOL_FAILED)
                return
            await self.push("354 End data with <CR><LF>.<CR><LF>")
            status = await self._receive_into(writer)
            rcpts = list(self.envelope.rcpt_tos)
            self._set_post_data_state()
            await self._reply_data(status, rcpts)
            self._idle_commands = 0  # a transaction: the budget starts again
        finally:
            self._in_data = False
        if self._sessions.closing:
            self.shutdown()
        elif self._expired:
            self._close_with(R_SESSION_TOO_LONG, "session_time_limit")

    async def _receive_into(self, writer: SpoolWriter) -> str:
        """Stream DATA into `writer`; commit and return the reply to send."""
        assert self.envelope is not None and self.session is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._data_timeout
        limit = self.data_size_limit or 0
        decoder = DotDecoder()
        size = 0
        failure: str | None = None
        try:
            while True:
                # Idle timeout per read, and the whole DATA must finish by the deadline.
                self._reset_timeout(max(0.001, min(self._idle_timeout, deadline - loop.time())))
                chunk = await self._reader.read(READ_CHUNK)
                if not chunk:
                    raise ConnectionResetError("connection closed during DATA")
                payload, rest = decoder.feed(chunk)
                size += len(payload)
                if failure is None and payload:
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
            writer.abort()
            raise
        finally:
            if self.transport is not None:  # after connection_lost no timer may be left behind
                self._reset_timeout()
        if rest:
            # Commands pipelined after the end marker go back to the command reader.
            self._reader._buffer[0:0] = rest  # type: ignore[attr-defined]
        if failure is not None:
            self._metrics.count_rejected(failure)
            log.info("message refused: %s, %d bytes", failure, size)
            return R_TOO_BIG if failure == "message_too_big" else R_NO_STORAGE
        envelope = Envelope(
            mail_from=self.envelope.mail_from or "",
            rcpt_tos=tuple(self.envelope.rcpt_tos),
            received_at=datetime.now(UTC),
            peer=_peer_host(self.session.peer),
            source=self.source,
            helo=self.session.host_name or "",
        )
        try:
            item_id = await asyncio.to_thread(writer.commit, envelope)
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

    async def _reply_data(self, status: str, rcpts: list[str]) -> None:
        await self.push(status)


class StreamingLMTP(StreamingSMTP):
    """LMTP (RFC 2033) for deployments behind Postfix or Exim: LHLO, one DATA reply per RCPT.

    All recipients share one spool item, so they all get the same status.
    """

    source = "lmtp"

    @syntax("LHLO hostname")
    async def smtp_LHLO(self, arg: str) -> None:
        await super().smtp_EHLO(arg)

    async def smtp_HELO(self, arg: str) -> None:
        await self.push('500 5.5.1 Error: command "HELO" not recognized')

    async def smtp_EHLO(self, arg: str) -> None:
        await self.push('500 5.5.1 Error: command "EHLO" not recognized')

    async def _reply_data(self, status: str, rcpts: list[str]) -> None:
        for _ in rcpts:
            await self.push(status)


def _peer_host(peer: Any) -> str:
    if isinstance(peer, tuple) and peer:
        return str(peer[0])
    return str(peer or "")


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
        self._hooks = _Hooks(self.policy, metrics)
        self.on_spooled: Callable[[], None] | None = None

    def policy(self) -> ReceiverPolicy:
        s = self.settings
        return ReceiverPolicy(
            accepted=frozenset(self.policy_source()),
            max_message_bytes=s.max_message_bytes,
            max_recipients=s.max_recipients,
            require_tls=s.require_tls and not self.lmtp,
            limits=SessionLimits.from_settings(s, lmtp=self.lmtp),
        )

    async def start(self) -> None:
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # it logs whole addresses
        s = self.settings
        if s.require_tls and not s.tls_cert and not self.lmtp:
            raise TlsConfigError("ingest.require_tls is set but ingest.tls_cert is not")
        if s.tls_cert and not self.lmtp:
            self._tls = server_context(s.tls_cert, s.tls_key)
        await asyncio.to_thread(self.spool.clean_tmp)
        limits = SessionLimits.from_settings(s, lmtp=self.lmtp)
        self._sessions = _Sessions(limits.max_connections, limits.max_connections_per_client)
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._protocol, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("%s listening on %s:%d", "LMTP" if self.lmtp else "SMTP", self.host, self.port)

    def _protocol(self) -> StreamingSMTP:
        assert self._sessions is not None
        s = self.settings
        cls = StreamingLMTP if self.lmtp else StreamingSMTP
        return cls(
            self._hooks,
            spool=self.spool,
            sessions=self._sessions,
            metrics=self.metrics,
            limits=SessionLimits.from_settings(s, lmtp=self.lmtp),
            tls_required=s.require_tls and self._tls is not None,
            on_spooled=self.on_spooled,
            data_size_limit=s.max_message_bytes,
            enable_SMTPUTF8=True,
            hostname=s.hostname or socket.gethostname(),
            ident="ESMTP diia-inbox",
            tls_context=self._tls,
            auth_exclude_mechanism=["LOGIN", "PLAIN"],
        )

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
