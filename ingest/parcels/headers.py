"""Headers and names as mail clients write them: RFC 2047 words, RFC 2231 parameters, raw 8-bit.

Phone clients and web mail write UTF-8, windows-1251 or KOI8-U straight into headers; Gmail and
Outlook put RFC 2047 words inside quoted parameters; Apple Mail sends NFD names. Everything here
turns those into NFC text safe to keep, without guessing beyond what the bytes allow.
"""

from __future__ import annotations

import email.errors
import email.parser
import email.policy
import email.utils
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import decode_header
from email.message import Message
from email.utils import getaddresses

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MAX_NAME = 255


class LenientPolicy(email.policy.Compat32):
    """compat32 (which never raises on odd headers) with raw 8-bit header bytes repaired.

    Some phone clients write UTF-8 or windows-1251 straight into headers; compat32 would hand
    those back as `Header` objects of "unknown-8bit" that render as replacement characters.
    """

    def header_fetch_parse(self, name: str, value: str) -> str:  # type: ignore[override]
        # Every header read goes through here (thousands of characters per message): plain
        # ASCII, by far the most common, cannot hold the surrogate escapes, so it is not scanned.
        if not value.isascii() and any("\udc80" <= ch <= "\udcff" for ch in value):
            return repair_8bit(value)
        return value


POLICY = LenientPolicy()


def decode_legacy(raw: bytes) -> str:
    """Undeclared 8-bit text: UTF-8 if it is valid, else the likelier of windows-1251, KOI8-U.

    Both Cyrillic code pages decode any byte, so the choice is by shape: Ukrainian words are
    mostly lower case, and KOI8-U read as windows-1251 (or the reverse) swaps the cases.
    """
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best, best_score = "", -(10**9)
    for charset in ("windows-1251", "koi8-u"):
        text = raw.decode(charset, "replace")
        score = sum(1 if ch.islower() else -1 for ch in text if "\u0400" <= ch <= "\u04ff")
        if score > best_score:
            best, best_score = text, score
    return best


def repair_8bit(text: str) -> str:
    """Raw 8-bit header bytes (surrogate-escaped by the parser) decoded as UTF-8 or Cyrillic."""
    try:
        raw = text.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return text
    return decode_legacy(raw)


def header_text(value: object) -> str:
    """A header as text: RFC 2047 words decoded, raw 8-bit repaired, unknown charsets replaced."""
    if value is None:
        return ""
    if not isinstance(value, str):
        value = str(value)
    value = _FOLD.sub("", repair_8bit(value))  # unfolding (RFC 5322 2.2.3) removes the CRLF only
    if value.isascii():
        text = _decode_words(value)
    else:
        # RFC 6532 text beside RFC 2047 words: decode_header would hand the plain part back
        # as raw-unicode-escape bytes ("\u0422..."); decode only the runs of encoded words.
        pieces, pos = [], 0
        for run in _ENCODED_RUN.finditer(value):
            pieces += [value[pos : run.start()], _decode_words(run.group())]
            pos = run.end()
        text = "".join([*pieces, value[pos:]])
    return _CONTROL.sub(" ", text).strip()


_FOLD = re.compile(r"\r?\n(?=[ \t])")
_ENCODED_RUN = re.compile(r"=\?[^?\s]+\?[QqBb]\?[^?\s]*\?=(?:\s+=\?[^?\s]+\?[QqBb]\?[^?\s]*\?=)*")


def _decode_words(value: str) -> str:
    """An ASCII header value with its RFC 2047 words decoded."""
    try:
        chunks = decode_header(value)
    except (ValueError, IndexError, AssertionError, email.errors.MessageError):
        return value  # a broken encoded word: keep it as written
    # Plain chunks keep their own spacing; adjacent encoded words are joined without space.
    return "".join(
        chunk if isinstance(chunk, str) else decode_bytes(chunk, charset)
        for chunk, charset in chunks
    )


def decode_bytes(chunk: bytes, charset: str | None) -> str:
    """Bytes in a declared charset; an unknown or wrong declaration falls back to the guess."""
    if charset and charset != "unknown-8bit":
        try:
            return chunk.decode(charset)
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_legacy(chunk)


def safe_name(name: str) -> str:
    """A file name safe to keep: no path, no control characters, NFC, at most 255 characters.

    The rest (even ``<script>``) is kept verbatim and left to the web layer's escaping, so staff
    see what the sender sent.
    """
    name = _CONTROL.sub("", name)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name).strip().strip(".") if name.strip(".") else ""
    if len(name) > _MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        name = (
            (stem[: _MAX_NAME - len(ext) - 1] + dot + ext)
            if dot and len(ext) < 10
            else name[:_MAX_NAME]
        )
    return name


def filename_of(part: Message) -> str:
    """The attachment's file name from Content-Disposition or Content-Type, made safe to keep.

    RFC 2231 parameters (with continuations and a charset) are collapsed by the parser; RFC 2047
    encoded words inside a quoted name (what Gmail and Outlook write) are decoded here.
    """
    raw: object = None
    try:
        raw = part.get_filename()
        if not raw:
            raw = part.get_param("name")
            if isinstance(raw, tuple):
                raw = email.utils.collapse_rfc2231_value(raw)
    except (ValueError, LookupError, TypeError, IndexError):
        raw = None
    if not raw:
        return ""
    return safe_name(header_text(raw))


def content_type(part: Message) -> str:
    try:
        return part.get_content_type().lower()
    except (ValueError, IndexError, AttributeError):
        return "application/octet-stream"


def message_id(msg: Message) -> str | None:
    value = header_text(msg.get("Message-ID")).strip()
    if not value:
        return None
    return value[:998]


def from_addr(msg: Message) -> str:
    value = header_text(msg.get("From"))
    try:
        pairs = getaddresses([value])
    except (ValueError, IndexError):
        return ""
    for _name, addr in pairs:
        if "@" in addr:
            return addr[:320]
    return ""


def recipients(msg: Message) -> tuple[str, ...]:
    """Recipients named in the headers, for imported mail that has no SMTP envelope of ours."""
    found: list[str] = []
    for header in ("Delivered-To", "X-Original-To", "To", "Cc"):
        values = [header_text(v) for v in (msg.get_all(header) or [])]
        try:
            pairs = getaddresses(values)
        except (ValueError, IndexError):
            continue
        for _name, addr in pairs:
            addr = addr.strip().lower()
            if "@" in addr and addr not in found and len(found) < 50:
                found.append(addr[:320])
    return tuple(found)


@dataclass(frozen=True)
class HeaderHints:
    """What the headers say about sender, recipients and time, for mail without our envelope."""

    from_addr: str
    to_addrs: tuple[str, ...]
    received_at: datetime | None


def header_hints(raw: bytes) -> HeaderHints:
    """Sender, recipients and delivery time from the headers only (importers, IMAP).

    The time is the newest `Received:` stamp (when the mailbox's server got it), else `Date:`.
    """
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    msg = email.parser.BytesHeaderParser(policy=POLICY).parsebytes(head)
    when: datetime | None = None
    for value in [*(msg.get_all("Received") or [])[:1], msg.get("Date")]:
        if not value:
            continue
        stamp = str(value).rpartition(";")[2] if ";" in str(value) else str(value)
        try:
            when = email.utils.parsedate_to_datetime(stamp.strip())
        except (TypeError, ValueError, IndexError):
            continue
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        break
    return HeaderHints(from_addr(msg), recipients(msg), when)
