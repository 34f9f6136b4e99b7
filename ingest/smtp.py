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
R_TIMEOUT = b"421 4.4.2 Timeout, closing connection\r\n"
R_SHUTDOWN = b"421 4.3.2 Service shutting down, try again later\r\n"


@dataclass(frozen=True)
class ReceiverPolicy:
    """What the receiver accepts; rebuilt from settings and the branch table as they change."""

    #: Receiving addresses (normalised, lower case) or a predicate over a normalised address.
    accepted: Callable[[str], bool] | frozenset[str]
    max_message_bytes: int
    max_recipients: int
    require_tls: bool = False

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
    """The live sessions of one listener: the connection limit and the shutdown drain."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.active: set[StreamingSMTP] = set()
        self.closing = False
        self.empty = asyncio.Event()
        self.empty.set()

    def enter(self, session: StreamingSMTP) -> bool:
        if self.closing or len(self.active) >= self.limit:
            return False
        self.active.add(session)
        self.empty.clear()
        return True

    def leave(self, session: StreamingSMTP) -> None:
        self.active.discard(session)
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
        idle_timeout: float,
        data_timeout: float,
        tls_required: bool,
        on_spooled: Callable[[], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(handler, timeout=idle_timeout, **kwargs)
        self._on_spooled = on_spooled
        self._spool = spool
        self._sessions = sessions
        self._metrics = metrics
        self._idle_timeout = idle_timeout
        self._data_timeout = data_timeout
        self.tls_required = tls_required
        self._admitted = False
        self._refused = False
        self._in_data = False

    # -- connection life -----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self._original_transport is None and not self._admitted:  # not the STARTTLS call
            if not self._sessions.enter(self):
                self._refused = True
                self._metrics.count_rejected("connection_limit")
                assert isinstance(transport, asyncio.WriteTransport)
                transport.write(R_SHUTDOWN if self._sessions.closing else R_TOO_MANY_CONN)
                transport.close()
                return
            self._admitted = True
            self._metrics.count_connection()
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        if self._refused:
            return
        self._sessions.leave(self)
        super().connection_lost(error)

    async def _handle_client(self) -> None:
        """The session's task: every line logged while it runs (ours and aiosmtpd's) carries
        the same random `smtp_session` id, so one conversation can be followed in the logs
        without logging who it was with. The task has its own context, so the id never leaks
        to another session."""
        bind_contextvars(smtp_session=secrets.token_hex(6))
        await super()._handle_client()  # type: ignore[misc]

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

    @syntax("MAIL FROM: <address>", extended=" [SP <mail-parameters>]")
    async def smtp_MAIL(self, arg: str | None) -> None:
        # aiosmtpd refuses SIZE= over the limit too, but without an enhanced status code.
        match = _SIZE_PARAM.search((arg or "").rpartition(">")[2])  # parameters follow <addr>
        limit = self.data_size_limit
        if match and limit and int(match.group(1)) > limit and self.session is not None:
            if self.session.host_name:
                self._metrics.count_rejected("message_too_big")
                await self.push(R_TOO_BIG)
                return
        await super().smtp_MAIL(arg)

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
        finally:
            self._in_data = False
        if self._sessions.closing:
            self.shutdown()

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
        )

    async def start(self) -> None:
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # it logs whole addresses
        s = self.settings
        if s.require_tls and not s.tls_cert and not self.lmtp:
            raise TlsConfigError("ingest.require_tls is set but ingest.tls_cert is not")
        if s.tls_cert and not self.lmtp:
            self._tls = server_context(s.tls_cert, s.tls_key)
        await asyncio.to_thread(self.spool.clean_tmp)
        self._sessions = _Sessions(s.max_connections)
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
            idle_timeout=s.idle_timeout,
            data_timeout=s.data_timeout,
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
