"""The adapter to aiosmtpd: the only module that imports it or touches its internals.

aiosmtpd does the protocol: command parsing, EHLO, STARTTLS, MAIL and RCPT syntax, SIZE,
SMTPUTF8. The receiver's policy (recipients, size limits, per-host caps, timers, streaming DATA
into the spool with fsync before 250) lives in `ingest/smtp.py` as a `Conversation`, one per
connection, which sees the connection only through the neutral `Channel` this module gives it.

What is reused from aiosmtpd, and what is not and why:

- `require_starttls`: aiosmtpd refuses every command but NOOP, EHLO, STARTTLS and QUIT before
  STARTTLS (RFC 3207 section 4). Its reply lacks the enhanced status code, so `push` swaps that
  one line for the conversation's (`Conversation.tls_first`, which also counts it).
- `auth_require_tls` (aiosmtpd's default, passed explicitly): no AUTH before TLS. We offer no
  AUTH at all; after STARTTLS aiosmtpd would still advertise an empty "AUTH", which
  `handle_EHLO` removes.
- `aiosmtpd.lmtp.LMTP` for LMTP: its LHLO (which runs our EHLO checks through the MRO) and its
  refusal of HELO and EHLO. It does not give RFC 2033's one reply per accepted recipient after
  DATA (aiosmtpd's DATA pushes the one status the handler returns), and its DATA, like the SMTP
  one, reads line by line and keeps the whole message in memory. So DATA stays ours, streamed
  (`_Session.smtp_DATA`), and `_LmtpSession.answer_data` repeats the status per recipient; all
  recipients share one spool item, so they share its status. The seam test checks that
  aiosmtpd's LMTP class still leaves DATA to us.

Private names of aiosmtpd (and of asyncio's StreamReader) this module relies on are declared
below; pyproject.toml pins the version range they were checked against, and
tests/ingest/test_aiosmtpd_seam.py fails when an upgrade renames or removes one, or when this
module starts to use another private name without declaring it here. They are needed for the
greeting pause (`_handle_client`, `_reader._buffer`), reading DATA from aiosmtpd's stream
(`_reader`, with text pipelined after the end marker put back into `_reader._buffer`, and
`_reader._limit` raised while DATA streams so the socket is not paused after every chunk) and the
idle and DATA timers (`_reset_timeout`, `_timeout_cb`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import ssl
from collections.abc import Callable
from typing import AnyStr, Protocol

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Session, syntax
from aiosmtpd.smtp import Envelope as SmtpEnvelope

AIOSMTPD_PRIVATE_METHODS = {
    "_getaddr": ("self", "arg"),
    "_handle_client": ("self",),
    "_reset_timeout": ("self", "duration"),
    "_timeout_cb": ("self",),
}
AIOSMTPD_PRIVATE_ATTRIBUTES = ("_reader",)
STREAMREADER_PRIVATE_ATTRIBUTES: dict[str, type] = {"_buffer": bytearray, "_limit": int}

#: Bytes aiosmtpd's stream reader may hold while DATA streams before it pauses the socket.
DATA_BUFFER = 64 * 1024

#: aiosmtpd's reply when `require_starttls` refuses a command (checked by the seam test).
AIOSMTPD_TLS_FIRST = "530 Must issue a STARTTLS command first"

IDENT = "ESMTP diia-inbox"

_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
#: The path nearly every client sends in MAIL FROM and RCPT TO: <dot-atom@dot-atom>. aiosmtpd
#: parses every path with the email package's header parser and defines a typing.Protocol
#: class on each call: a fifth of the receiver's event loop at 400 messages/s (py-spy, 300 KB
#: messages). For this form one expression gives the answer aiosmtpd gives (a property test
#: compares the two); any other form still goes to aiosmtpd.
_PLAIN_PATH = re.compile(rf"<({_ATEXT}(?:\.{_ATEXT})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)>")


class Channel(Protocol):
    """One client connection as the conversation sees it: replies, DATA bytes, closing."""

    @property
    def greeted(self) -> bool:
        """HELO, EHLO or LHLO was accepted in this session."""

    async def reply(self, line: str) -> None:
        """Send one reply line (without CRLF) and wait until it is flushed."""

    def reading_data(self) -> None:
        """DATA begins (before the 354): the message streams in large pieces from now on."""

    async def read(self, size: int, timeout: float) -> bytes:
        """Up to `size` bytes of DATA; b"" at end of stream. The connection is closed with a
        timeout reply if nothing arrives for `timeout` seconds."""

    def unread(self, data: bytes) -> None:
        """Give bytes read past the end of DATA (pipelined commands) back to the command reader."""

    def reading_done(self) -> None:
        """DATA was read: the idle timer applies again."""

    async def end_transaction(self, status: str) -> None:
        """The final reply to DATA (LMTP: once per recipient); the next MAIL may follow."""

    def close(self, line: bytes = b"") -> bool:
        """Send `line` if the connection is still writable, then close it; False if it was
        already gone."""


class Conversation(Protocol):
    """One connection's policy and storage, driven by the protocol (see `ingest/smtp.py`)."""

    def opened(self, client: str) -> bytes | None:
        """A connection from address `client`; the 421 line to refuse it with, or None."""

    def closed(self) -> None:
        """The connection is gone (not called for one `opened` refused)."""

    def session_started(self) -> float:
        """Called in the session's own task before the greeting; returns the greeting pause."""

    def early_talker(self) -> bytes:
        """The client talked before the greeting: the line to close with."""

    def timed_out(self) -> bytes:
        """The idle or DATA timer ran out: the line to close with."""

    def tls_first(self) -> str:
        """The reply to a command refused because STARTTLS is required and was not done."""

    async def command(self, verb: str, arg: str | None) -> bool:
        """Before aiosmtpd handles `verb`: True when the conversation answered it instead."""

    async def sender(self, address: str) -> str:
        """The reply to MAIL FROM for a syntactically valid `address` (2xx accepts it)."""

    async def recipient(self, address: str, accepted: int) -> str:
        """The reply to RCPT TO; `accepted` recipients were accepted before (2xx accepts)."""

    async def data(self, mail_from: str, rcpt_tos: tuple[str, ...], helo: str) -> None:
        """DATA with recipients: answer 354, read, store and `end_transaction`, or refuse."""


ConversationFactory = Callable[[Channel], Conversation]


def _peer_host(peer: object) -> str:
    if isinstance(peer, tuple) and peer:
        return str(peer[0])
    return str(peer or "")


class _Handler:
    """aiosmtpd's handler hooks, passed on to the conversation."""

    def __init__(self, conversation: Conversation) -> None:
        self._conversation = conversation

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
        status = await self._conversation.sender(address)
        if status.startswith("2"):
            envelope.mail_from = address
            envelope.mail_options.extend(mail_options)
        return status

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: SmtpEnvelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        status = await self._conversation.recipient(address, len(envelope.rcpt_tos))
        if status.startswith("2"):
            envelope.rcpt_tos.append(address)
            envelope.rcpt_options.extend(rcpt_options)
        return status


class _Session(SMTP):
    """aiosmtpd's SMTP session, with the conversation deciding and DATA streamed to it."""

    def __init__(
        self,
        conversation: ConversationFactory,
        *,
        idle_timeout: float,
        data_size_limit: int,
        hostname: str,
        tls_context: ssl.SSLContext | None,
        require_starttls: bool,
    ) -> None:
        self._conversation = conversation(self)
        self._idle_timeout = idle_timeout
        self._admitted = False
        self._refused = False
        super().__init__(
            _Handler(self._conversation),
            timeout=idle_timeout,
            data_size_limit=data_size_limit,
            enable_SMTPUTF8=True,
            hostname=hostname,
            ident=IDENT,
            tls_context=tls_context,
            require_starttls=require_starttls,
            auth_require_tls=True,
            auth_exclude_mechanism=["LOGIN", "PLAIN"],
        )

    # -- Channel -------------------------------------------------------------------------

    @property
    def greeted(self) -> bool:
        return self.session is not None and bool(self.session.host_name)

    async def reply(self, line: str) -> None:
        await self.push(line)

    def reading_data(self) -> None:
        # aiosmtpd's reader holds at most two command lines before it pauses the socket, so
        # during DATA every chunk received paused and resumed reading (two epoll_ctl calls and
        # a stall per chunk). While DATA streams, the reader may hold `DATA_BUFFER` bytes.
        self._reader._limit = DATA_BUFFER  # type: ignore[attr-defined]

    async def read(self, size: int, timeout: float) -> bytes:
        self._reset_timeout(max(0.001, timeout))
        return await self._reader.read(size)

    def unread(self, data: bytes) -> None:
        self._reader._buffer[0:0] = data  # type: ignore[attr-defined]

    def reading_done(self) -> None:
        self._reader._limit = self.line_length_limit  # type: ignore[attr-defined]
        if self.transport is not None:  # after connection_lost no timer may be left behind
            self._reset_timeout()

    async def end_transaction(self, status: str) -> None:
        assert self.envelope is not None
        recipients = len(self.envelope.rcpt_tos)
        self.envelope = SmtpEnvelope()
        await self.answer_data(status, recipients)

    async def answer_data(self, status: str, recipients: int) -> None:
        """SMTP: one reply for the whole transaction."""
        await self.push(status)

    def close(self, line: bytes = b"") -> bool:
        transport = self.transport
        if transport is None:
            return False
        if line and isinstance(transport, asyncio.WriteTransport) and not transport.is_closing():
            with contextlib.suppress(Exception):
                transport.write(line)
        transport.close()
        return True

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        """(address, parameters) of a MAIL or RCPT argument, as aiosmtpd's own `_getaddr`
        gives them; the plain form without the email package's parser (`_PLAIN_PATH`)."""
        plain = _PLAIN_PATH.match(arg)
        if plain is not None:
            # What follows the path, after the blanks (and comments, which aiosmtpd's parser
            # would drop: left to it) that may separate it from the parameters.
            rest = arg[plain.end() :].lstrip(" \t")
            if not rest.startswith("("):
                address = plain.group(1)
                local = address.rpartition("@")[0]
                if self.local_part_limit and len(local) > self.local_part_limit:
                    return None, None
                return address, rest
        found: tuple[str | None, str | None] = super()._getaddr(arg)
        return found

    # -- connection life -----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if not self._admitted:  # not the second call that STARTTLS makes
            refusal = self._conversation.opened(_peer_host(transport.get_extra_info("peername")))
            if refusal is not None:
                self._refused = True
                assert isinstance(transport, asyncio.WriteTransport)
                transport.write(refusal)
                transport.close()
                return
            self._admitted = True
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        if self._refused:
            return
        self._conversation.closed()
        super().connection_lost(error)

    async def _handle_client(self) -> None:
        """Hold the greeting back for the conversation's pause; drop a client that talks first.

        Runs as the session's own task, so what `session_started` binds to the logging context
        stays with this session.
        """
        pause = self._conversation.session_started()
        if pause > 0:
            self._reset_timeout(pause + self._idle_timeout)
            await asyncio.sleep(pause)
            if self.transport is None or self.transport.is_closing():
                return
            if self._reader._buffer or self._reader.at_eof():  # type: ignore[attr-defined]
                self.close(self._conversation.early_talker())
                return
            self._reset_timeout()  # the idle time starts with the greeting
        await super()._handle_client()

    def _timeout_cb(self) -> None:
        if self.transport is None:
            return  # already gone
        self.close(self._conversation.timed_out())
        super()._timeout_cb()

    async def push(self, status: AnyStr) -> None:
        if status == AIOSMTPD_TLS_FIRST:
            await super().push(self._conversation.tls_first())
            return
        await super().push(status)

    # -- commands: the conversation may answer first ---------------------------------------

    @syntax("NOOP [ignored]")
    async def smtp_NOOP(self, arg: str | None) -> None:
        if not await self._conversation.command("NOOP", arg):
            await super().smtp_NOOP(arg)

    @syntax("RSET")
    async def smtp_RSET(self, arg: str | None) -> None:
        if not await self._conversation.command("RSET", arg):
            await super().smtp_RSET(arg)

    @syntax("VRFY <address>")
    async def smtp_VRFY(self, arg: str | None) -> None:
        if not await self._conversation.command("VRFY", arg):
            await super().smtp_VRFY(arg)

    @syntax("EXPN <address>")
    async def smtp_EXPN(self, arg: str | None) -> None:
        if not await self._conversation.command("EXPN", arg):
            await self.push("502 5.5.1 EXPN not implemented")

    @syntax("HELP [command]")
    async def smtp_HELP(self, arg: str | None) -> None:
        if not await self._conversation.command("HELP", arg):
            await super().smtp_HELP(arg)

    @syntax("HELO hostname")
    async def smtp_HELO(self, arg: str) -> None:
        if not await self._conversation.command("HELO", arg):
            await super().smtp_HELO(arg)

    @syntax("EHLO hostname")
    async def smtp_EHLO(self, arg: str) -> None:
        if not await self._conversation.command("EHLO", arg):
            await super().smtp_EHLO(arg)

    @syntax("MAIL FROM: <address>", extended=" [SP <mail-parameters>]")
    async def smtp_MAIL(self, arg: str | None) -> None:
        if not await self._conversation.command("MAIL", arg):
            await super().smtp_MAIL(arg)

    @syntax("RCPT TO: <address>", extended=" [SP <mail-parameters>]")
    async def smtp_RCPT(self, arg: str | None) -> None:
        if not await self._conversation.command("RCPT", arg):
            await super().smtp_RCPT(arg)

    @syntax("DATA")
    async def smtp_DATA(self, arg: str | None) -> None:
        """aiosmtpd's checks before DATA, then the conversation streams the message."""
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
        await self._conversation.data(
            self.envelope.mail_from or "",
            tuple(self.envelope.rcpt_tos),
            self.session.host_name or "",
        )


class _LmtpSession(LMTP, _Session):
    """LMTP (RFC 2033): aiosmtpd's LHLO, HELO and EHLO; after DATA one reply per recipient.

    `LMTP` comes first in the bases so that its LHLO, HELO and EHLO win, and its LHLO's
    `super().smtp_EHLO` reaches `_Session.smtp_EHLO` (the conversation's checks) before
    aiosmtpd's EHLO. Everything else, DATA above all, is `_Session`'s.
    """

    async def answer_data(self, status: str, recipients: int) -> None:
        for _ in range(recipients):
            await self.push(status)


def protocol_factory(
    conversation: ConversationFactory,
    *,
    lmtp: bool,
    hostname: str,
    data_size_limit: int,
    idle_timeout: float,
    tls_context: ssl.SSLContext | None,
    require_starttls: bool,
) -> Callable[[], asyncio.Protocol]:
    """For `loop.create_server`: one aiosmtpd session per connection, each with its conversation.

    `require_starttls` has effect only with a `tls_context` (aiosmtpd ignores it otherwise).
    """
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # it logs whole addresses at INFO
    cls = _LmtpSession if lmtp else _Session

    def make() -> asyncio.Protocol:
        return cls(
            conversation,
            idle_timeout=idle_timeout,
            data_size_limit=data_size_limit,
            hostname=hostname,
            tls_context=tls_context,
            require_starttls=require_starttls,
        )

    return make
