"""MIME to parcels: the PDFs and P7S signatures of one e-mail, paired by file-name stem.

Nobody outside Diia documents the exact e-mail the app drafts, and the citizen's own mail client
(Gmail, Outlook, Apple Mail, Thunderbird, a phone's share sheet) re-shapes it, so this module is
liberal in what it accepts: the content decides what a part is (``%PDF-`` or a DER SignedData),
the declared type and name only help; names may be RFC 2047 or RFC 2231 encoded, raw UTF-8 or a
legacy Cyrillic charset; a forwarded copy (``message/rfc822``) is searched too. It is strict
about limits: nesting depth, part count and attachment size are bounded, and nothing is ever
decompressed here, so a zip or PDF bomb stays the opaque bytes it arrived as.

Everything is a pure function over bytes. Problems are stable codes (``PROBLEM_*``), never
free text, so the pipeline can store them as flags and the UI can translate them.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.errors
import email.parser
import email.policy
import email.utils
import hashlib
import quopri
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.header import decode_header
from email.message import Message
from email.utils import getaddresses

from asn1crypto import cms

# Stable problem codes (message level and parcel level).
MIME_TOO_DEEP = "MIME_TOO_DEEP"
MIME_TOO_MANY_PARTS = "MIME_TOO_MANY_PARTS"
MIME_DEFECTS = "MIME_DEFECTS"
PART_TOO_LARGE = "PART_TOO_LARGE"
PART_EMPTY = "PART_EMPTY"
PART_UNDECODABLE = "PART_UNDECODABLE"
TOO_MANY_DOCUMENTS = "TOO_MANY_DOCUMENTS"
DUPLICATE_ATTACHMENT = "DUPLICATE_ATTACHMENT"
SMIME_SIGNATURE_IGNORED = "SMIME_SIGNATURE_IGNORED"
SMIME_OPAQUE_UNWRAPPED = "SMIME_OPAQUE_UNWRAPPED"
TNEF_ATTACHMENT = "TNEF_ATTACHMENT"
NOT_A_MESSAGE = "NOT_A_MESSAGE"
NO_DOCUMENTS = "NO_DOCUMENTS"
NOT_PDF = "NOT_PDF"  # named or typed as PDF, content is not
NOT_CMS = "NOT_CMS"  # named or typed as a signature, content is not a SignedData
P7S_PEM = "P7S_PEM"  # signature arrived PEM-armoured; converted to DER
P7S_BASE64_TEXT = "P7S_BASE64_TEXT"  # signature arrived base64 twice; decoded
PDF_WITHOUT_SIGNATURE = "PDF_WITHOUT_SIGNATURE"
SIGNATURE_WITHOUT_PDF = "SIGNATURE_WITHOUT_PDF"
PAIRED_BY_POSITION = "PAIRED_BY_POSITION"  # one PDF and one P7S left, names did not match

_SIGNED_DATA_OID = bytes.fromhex("06092a864886f70d010702")  # 1.2.840.113549.1.7.2
_PDF_MAGIC = b"%PDF-"
_PDF_SNIFF_WINDOW = 1024  # readers accept junk before the header; so do we, within reason
_PEM_CMS = re.compile(
    rb"-----BEGIN (?:PKCS7|CMS|SIGNED MESSAGE)-----(.*?)-----END (?:PKCS7|CMS|SIGNED MESSAGE)-----",
    re.S,
)
_P7S_TYPES = frozenset(
    {
        "application/pkcs7-signature",
        "application/x-pkcs7-signature",
        "application/pkcs7-mime",
        "application/x-pkcs7-mime",
    }
)
_SMIME_TYPES = frozenset({"application/pkcs7-mime", "application/x-pkcs7-mime"})
_MIME_HEAD = re.compile(rb"\A(?:[!-9;-~]+:[^\r\n]*\r?\n(?:[ \t][^\r\n]*\r?\n)*)+\r?\n")
_PDF_TYPES = frozenset({"application/pdf", "application/x-pdf", "application/acrobat"})
_P7S_SUFFIXES = (".p7s", ".p7m", ".sig")
_CONTAINER_TYPES = frozenset({"message/rfc822", "message/global"})
_TNEF_TYPES = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})
_MAX_NAME = 255


class _LenientPolicy(email.policy.Compat32):
    """compat32 (which never raises on odd headers) with raw 8-bit header bytes repaired.

    Some phone clients write UTF-8 or windows-1251 straight into headers; compat32 would hand
    those back as `Header` objects of "unknown-8bit" that render as replacement characters.
    """

    def header_fetch_parse(self, name: str, value: str) -> str:  # type: ignore[override]
        if any("\udc80" <= ch <= "\udcff" for ch in value):
            return _repair_8bit(value)
        return value


_POLICY = _LenientPolicy()


class ParseError(Exception):
    """The bytes cannot be read as a message at all; `reason` is a stable code."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class ParseLimits:
    """Bounds that keep a hostile message from costing more than a normal one."""

    max_depth: int = 10  # multipart / message/rfc822 levels below the top
    max_parts: int = 500
    max_attachment_bytes: int = 50 * 1024 * 1024  # decoded size of one attachment
    max_documents: int = 50

    @classmethod
    def from_settings(cls, settings: object) -> ParseLimits:
        """Take the limits from IngestSettings where it defines them, defaults otherwise."""
        return cls(
            max_depth=getattr(settings, "mime_max_depth", cls.max_depth),
            max_parts=getattr(settings, "mime_max_parts", cls.max_parts),
            max_attachment_bytes=getattr(
                settings, "max_attachment_bytes", cls.max_attachment_bytes
            ),
            max_documents=getattr(settings, "max_documents", cls.max_documents),
        )


@dataclass(frozen=True)
class Parcel:
    """One document copy: its PDF and/or its P7S, with the names they arrived under."""

    pdf: bytes | None
    p7s: bytes | None
    filename: str
    pdf_name: str | None = None
    p7s_name: str | None = None
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParsedMessage:
    """The headers we keep and the parcels found; `problems` are message-level codes."""

    message_id: str | None
    subject: str
    from_addr: str
    parcels: tuple[Parcel, ...]
    problems: tuple[str, ...] = ()
    ignored_parts: int = 0
    #: Recipients named in the headers (Delivered-To, X-Original-To, To, Cc), for imported mail
    #: that has no SMTP envelope of ours.
    to_addrs: tuple[str, ...] = ()


@dataclass
class _Attachment:
    kind: str  # "pdf" | "p7s"
    name: str
    data: bytes
    order: int
    problems: list[str] = field(default_factory=list)


@dataclass
class _Walk:
    limits: ParseLimits
    attachments: list[_Attachment] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    parts: int = 0
    ignored: int = 0

    def problem(self, code: str) -> None:
        if code not in self.problems:
            self.problems.append(code)


# --- public entry point -------------------------------------------------------------------


def parse_parcels(raw: bytes, limits: ParseLimits | None = None) -> ParsedMessage:
    """Read `raw` (an RFC 5322 message) into parcels; raise ParseError only when unreadable.

    Every other problem (too deep, too many parts, a part too large, undecodable or mismatched
    parts) is recorded as a code and parsing continues with what can be used.
    """
    limits = limits or ParseLimits()
    if not raw.strip():
        raise ParseError(NOT_A_MESSAGE, "empty input")
    try:
        msg = email.message_from_bytes(raw, policy=_POLICY)
    except RecursionError:
        raise ParseError(MIME_TOO_DEEP, "nesting exceeds what the parser can read") from None
    if not msg.keys() and not msg.get_payload():
        raise ParseError(NOT_A_MESSAGE, "no headers and no body")
    walk = _Walk(limits)
    try:
        _visit(msg, walk, depth=0)
    except RecursionError:
        walk.problem(MIME_TOO_DEEP)
    parcels = _pair(walk)
    if len(parcels) > limits.max_documents:
        walk.problem(TOO_MANY_DOCUMENTS)
        parcels = parcels[: limits.max_documents]
    if not parcels:
        walk.problem(NO_DOCUMENTS)
    return ParsedMessage(
        message_id=_message_id(msg),
        subject=header_text(msg.get("Subject")),
        from_addr=_from_addr(msg),
        parcels=tuple(parcels),
        problems=tuple(walk.problems),
        ignored_parts=walk.ignored,
        to_addrs=_recipients(msg),
    )


# --- the walk -----------------------------------------------------------------------------


def _visit(part: Message, walk: _Walk, depth: int) -> None:
    walk.parts += 1
    if walk.parts > walk.limits.max_parts:
        walk.problem(MIME_TOO_MANY_PARTS)
        return
    if part.defects:
        walk.problem(MIME_DEFECTS)
    ctype = _content_type(part)
    if part.is_multipart():
        if depth >= walk.limits.max_depth:
            walk.problem(MIME_TOO_DEEP)
            return
        children = part.get_payload()
        if not isinstance(children, list):
            walk.ignored += 1
            return
        smime = ctype == "multipart/signed" and "pkcs7" in (part.get_param("protocol") or "")
        for index, child in enumerate(children):
            if smime and index == 1:
                # The mail client's own S/MIME signature over the message, not a document's.
                walk.problem(SMIME_SIGNATURE_IGNORED)
                walk.ignored += 1
                continue
            if isinstance(child, Message):
                _visit(child, walk, depth + 1)
        return
    if ctype in _CONTAINER_TYPES:
        _visit_forwarded(part, walk, depth)
        return
    try:
        _visit_leaf(part, ctype, walk, depth)
    except (
        LookupError,
        ValueError,
        TypeError,
        UnicodeError,
        AttributeError,
        email.errors.MessageError,
    ):
        # The stdlib parser's corners (odd charsets, malformed parameters) cost one part only.
        walk.problem(PART_UNDECODABLE)
        walk.ignored += 1


def _visit_forwarded(part: Message, walk: _Walk, depth: int) -> None:
    if depth >= walk.limits.max_depth:
        walk.problem(MIME_TOO_DEEP)
        return
    payload = part.get_payload()
    inner: Message | None = None
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        inner = payload[0]
    elif isinstance(payload, str) and payload.strip():
        # A forwarded message sent base64-encoded: parse its decoded bytes.
        data = _decode(part, walk)
        if data:
            try:
                inner = email.message_from_bytes(data, policy=_POLICY)
            except RecursionError:
                walk.problem(MIME_TOO_DEEP)
                return
    if inner is None:
        walk.ignored += 1
        return
    _visit(inner, walk, depth + 1)


def _visit_leaf(part: Message, ctype: str, walk: _Walk, depth: int) -> None:
    name = filename_of(part)
    lowered = name.casefold()
    maybe_pdf = ctype in _PDF_TYPES or lowered.endswith(".pdf")
    maybe_p7s = ctype in _P7S_TYPES or lowered.endswith(_P7S_SUFFIXES)
    maybe_tnef = ctype in _TNEF_TYPES or lowered == "winmail.dat"
    is_attachment = bool(name) or (part.get("Content-Disposition") or "").lower().startswith(
        "attachment"
    )
    if not (
        maybe_pdf or maybe_p7s or maybe_tnef or is_attachment or ctype.startswith("application/")
    ):
        walk.ignored += 1  # text bodies, images of signatures, calendar invites...
        return
    data = _decode(part, walk)
    if data is None:
        return
    if not data.strip():
        walk.problem(PART_EMPTY)
        walk.ignored += 1
        return
    inner = _smime_entity(data) if (ctype in _SMIME_TYPES or lowered.endswith(".p7m")) else None
    if inner is not None:
        # S/MIME "opaque" signing: the whole message (attachments included) is inside the CMS.
        walk.problem(SMIME_OPAQUE_UNWRAPPED)
        try:
            entity = email.message_from_bytes(inner, policy=_POLICY)
        except RecursionError:
            walk.problem(MIME_TOO_DEEP)
            return
        _visit(entity, walk, depth + 1)
        return
    if maybe_tnef and data.startswith(_TNEF_SIGNATURE):
        walk.problem(TNEF_ATTACHMENT)
        for tname, tdata in tnef_attachments(data, walk.limits.max_attachment_bytes):
            _add(
                walk,
                tname,
                tdata,
                tname.casefold().endswith(".pdf"),
                tname.casefold().endswith(_P7S_SUFFIXES),
            )
        return
    _add(walk, name, data, maybe_pdf, maybe_p7s)


def _add(walk: _Walk, name: str, data: bytes, maybe_pdf: bool, maybe_p7s: bool) -> None:
    """Classify one attachment by its content first, by its label second."""
    problems: list[str] = []
    kind: str | None = None
    # The signature first: an attached P7S carries the PDF, "%PDF-" included, near its start.
    der, how = as_der_signed_data(data)
    if der is not None:
        kind, data = "p7s", der
        if how:
            problems.append(how)
    elif is_pdf(data):
        kind = "pdf"
    elif maybe_p7s:
        kind = "p7s"  # keep it: the verifier reports FORMAT_FAILURE with the PDF archived
        problems.append(NOT_CMS)
    elif maybe_pdf:
        kind = "pdf"
        problems.append(NOT_PDF)
    if kind is None:
        walk.ignored += 1
        return
    for other in walk.attachments:
        if other.kind == kind and other.data == data and name_stem(other.name) == name_stem(name):
            walk.problem(DUPLICATE_ATTACHMENT)
            return
    order = len(walk.attachments)
    walk.attachments.append(
        _Attachment(kind, name or f"attachment-{order + 1}", data, order, problems)
    )


def _decode(part: Message, walk: _Walk) -> bytes | None:
    """The decoded body of a leaf part, bounded before decoding so a huge part costs nothing."""
    payload = part.get_payload()
    if not isinstance(payload, str):
        walk.ignored += 1
        return None
    # Decoded base64/quoted-printable is never longer than its encoded form.
    if len(payload) > walk.limits.max_attachment_bytes * 4 // 3 + 1024:
        walk.problem(PART_TOO_LARGE)
        walk.ignored += 1
        return None
    raw = payload.encode("utf-8", "surrogateescape")  # the parser's str back to the wire bytes
    cte = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    try:
        if cte == "base64":
            data = _b64decode_lenient(raw)
        elif cte == "quoted-printable":
            data = quopri.decodestring(raw)
        elif cte in ("x-uuencode", "uuencode", "x-uue"):
            decoded = part.get_payload(decode=True)
            data = decoded if isinstance(decoded, bytes) else raw
        else:
            data = raw
    except (binascii.Error, ValueError):
        walk.problem(PART_UNDECODABLE)
        walk.ignored += 1
        return None
    if len(data) > walk.limits.max_attachment_bytes:
        walk.problem(PART_TOO_LARGE)
        walk.ignored += 1
        return None
    return data


def _b64decode_lenient(raw: bytes) -> bytes:
    """Base64 as mail clients write it: any line length, stray characters, missing padding."""
    cleaned = re.sub(rb"[^A-Za-z0-9+/]", b"", raw)
    if len(cleaned) % 4 == 1:  # a lone trailing sextet carries no whole byte
        cleaned = cleaned[:-1]
    return base64.b64decode(cleaned + b"=" * (-len(cleaned) % 4))


# --- sniffing -----------------------------------------------------------------------------


def is_pdf(data: bytes) -> bool:
    return _PDF_MAGIC in data[:_PDF_SNIFF_WINDOW]


def is_der_signed_data(data: bytes) -> bool:
    """A DER ContentInfo whose contentType is signedData: SEQUENCE, length, then the OID."""
    if len(data) < 15 or data[0] != 0x30:
        return False
    first = data[1]
    if first < 0x80:
        header = 2
    elif first == 0x80:
        header = 2  # indefinite length (BER), as some CAdES tools write
    else:
        count = first & 0x7F
        if count > 4:
            return False
        header = 2 + count
    return data[header : header + len(_SIGNED_DATA_OID)] == _SIGNED_DATA_OID


def as_der_signed_data(data: bytes) -> tuple[bytes | None, str | None]:
    """DER SignedData from raw DER, PEM, or base64 text; with the problem code of a conversion."""
    if is_der_signed_data(data):
        return data, None
    head = data[:4096].lstrip()
    if head.startswith(b"-----BEGIN"):
        match = _PEM_CMS.search(data)
        if match:
            try:
                der = base64.b64decode(re.sub(rb"\s", b"", match.group(1)), validate=True)
            except (binascii.Error, ValueError):
                return None, None
            if is_der_signed_data(der):
                return der, P7S_PEM
        return None, None
    if head[:2] == b"MI":  # "MI" is how base64 of a DER SEQUENCE with long length starts
        try:
            der = base64.b64decode(re.sub(rb"\s", b"", data), validate=True)
        except (binascii.Error, ValueError):
            return None, None
        if is_der_signed_data(der):
            return der, P7S_BASE64_TEXT
    return None, None


def _smime_entity(data: bytes) -> bytes | None:
    """The MIME entity inside an S/MIME opaque-signed part, or None when it is not one.

    A Diia P7S named `.p7m` carries a PDF, not a MIME entity, so it stays a document.
    """
    der, _how = as_der_signed_data(data)
    if der is None:
        return None
    try:
        info = cms.ContentInfo.load(der)
        content = info["content"]["encap_content_info"]["content"].native
    except (ValueError, TypeError, KeyError):
        return None
    if not isinstance(content, bytes) or not _MIME_HEAD.match(content[:65536]):
        return None
    head = content.split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0].lower()
    return content if b"content-type:" in head else None


# --- pairing ------------------------------------------------------------------------------


def name_stem(name: str) -> str:
    """The key a PDF and its signature share: `X.pdf`, `X.pdf.p7s` and `X.p7s` all give `x`."""
    stem = unicodedata.normalize("NFC", name).strip().casefold()
    for suffix in _P7S_SUFFIXES:
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    if stem.endswith(".pdf"):
        stem = stem[:-4]
    return stem.strip()


def _pair(walk: _Walk) -> list[Parcel]:
    pdfs = [a for a in walk.attachments if a.kind == "pdf"]
    sigs = [a for a in walk.attachments if a.kind == "p7s"]
    pairs: list[tuple[_Attachment | None, _Attachment | None, list[str]]] = []
    free_sigs = list(sigs)
    lone_pdfs: list[_Attachment] = []
    for pdf in pdfs:
        stem = name_stem(pdf.name)
        match = next((s for s in free_sigs if name_stem(s.name) == stem), None)
        if match is None:
            lone_pdfs.append(pdf)
            continue
        free_sigs.remove(match)
        pairs.append((pdf, match, []))
    if (
        len(lone_pdfs) == 1
        and len(free_sigs) == 1
        and not (
            _named_as(lone_pdfs[0].name, (".pdf",)) and _named_as(free_sigs[0].name, _P7S_SUFFIXES)
        )
    ):
        # Names mangled on the way (ATT00001.bin, noname): the only two left belong together;
        # the verifier's message digest check says whether they really do. Two properly named
        # files with different stems are two different documents and stay apart.
        pairs.append((lone_pdfs.pop(), free_sigs.pop(), [PAIRED_BY_POSITION]))
    pairs.extend((pdf, None, []) for pdf in lone_pdfs)
    pairs.extend((None, sig, []) for sig in free_sigs)
    pairs.sort(key=lambda p: min(a.order for a in (p[0], p[1]) if a is not None))
    parcels: list[Parcel] = []
    for doc, sig, extra in pairs:
        problems = [*extra]
        for a in (doc, sig):
            if a is not None:
                problems.extend(c for c in a.problems if c not in problems)
        if sig is None:
            problems.append(PDF_WITHOUT_SIGNATURE)
        if doc is None:
            problems.append(SIGNATURE_WITHOUT_PDF)
        display = doc.name if doc is not None else _pdf_name_from_sig(sig.name if sig else "")
        parcels.append(
            Parcel(
                pdf=doc.data if doc else None,
                p7s=sig.data if sig else None,
                filename=display,
                pdf_name=doc.name if doc else None,
                p7s_name=sig.name if sig else None,
                problems=tuple(problems),
            )
        )
    return parcels


def _named_as(name: str, suffixes: tuple[str, ...]) -> bool:
    return name.casefold().endswith(suffixes)


def _pdf_name_from_sig(name: str) -> str:
    lowered = name.casefold()
    for suffix in _P7S_SUFFIXES:
        if lowered.endswith(suffix):
            base = name[: -len(suffix)]
            return base if base.casefold().endswith(".pdf") else base + ".pdf"
    return name


# --- headers and names --------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_FOLD = re.compile(r"\r?\n(?=[ \t])")


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


def _repair_8bit(text: str) -> str:
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
    value = _FOLD.sub("", _repair_8bit(value))  # unfolding (RFC 5322 2.2.3) removes the CRLF only
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


_ENCODED_RUN = re.compile(r"=\?[^?\s]+\?[QqBb]\?[^?\s]*\?=(?:\s+=\?[^?\s]+\?[QqBb]\?[^?\s]*\?=)*")


def _decode_words(value: str) -> str:
    """An ASCII header value with its RFC 2047 words decoded."""
    try:
        chunks = decode_header(value)
    except (ValueError, IndexError, AssertionError, email.errors.MessageError):
        return value  # a broken encoded word: keep it as written
    # Plain chunks keep their own spacing; adjacent encoded words are joined without space.
    return "".join(
        chunk if isinstance(chunk, str) else _decode_bytes(chunk, charset)
        for chunk, charset in chunks
    )


def _decode_bytes(chunk: bytes, charset: str | None) -> str:
    if charset and charset != "unknown-8bit":
        try:
            return chunk.decode(charset)
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_legacy(chunk)


def filename_of(part: Message) -> str:
    """The attachment's file name from Content-Disposition or Content-Type, made safe to keep.

    RFC 2231 parameters (with continuations and a charset) are collapsed by the parser; RFC 2047
    encoded words inside a quoted name (what Gmail and Outlook write) are decoded here. Any path
    is dropped and control characters removed; the rest (even ``<script>``) is kept verbatim and
    left to the web layer's escaping, so staff see what the sender sent.
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
    name = header_text(raw)
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


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type().lower()
    except (ValueError, IndexError, AttributeError):
        return "application/octet-stream"


def _message_id(msg: Message) -> str | None:
    value = header_text(msg.get("Message-ID")).strip()
    if not value:
        return None
    return value[:998]


def _from_addr(msg: Message) -> str:
    value = header_text(msg.get("From"))
    try:
        pairs = getaddresses([value])
    except (ValueError, IndexError):
        return ""
    for _name, addr in pairs:
        if "@" in addr:
            return addr[:320]
    return ""


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
    msg = email.parser.BytesHeaderParser(policy=_POLICY).parsebytes(head)
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
    return HeaderHints(_from_addr(msg), _recipients(msg), when)


def _recipients(msg: Message) -> tuple[str, ...]:
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


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- Outlook's TNEF (winmail.dat) ---------------------------------------------------------

_TNEF_SIGNATURE = b"\x78\x9f\x3e\x22"
_ATT_ATTACH_REND_DATA = 0x00069002
_ATT_ATTACH_TITLE = 0x00018010
_ATT_ATTACH_DATA = 0x0006800F
_LVL_ATTACHMENT = 0x02


def tnef_attachments(data: bytes, max_bytes: int) -> list[tuple[str, bytes]]:
    """The file attachments inside an Outlook winmail.dat: (title, bytes), truncated if bad.

    Outlook wraps attachments into TNEF when it sends "rich text" mail; the names are the short
    8-bit titles (good enough to pair by stem; content sniffing decides the kind anyway).
    """
    out: list[tuple[str, bytes]] = []
    pos = 6  # signature (4) + key (2)
    title = ""
    body: bytes | None = None
    while pos + 9 <= len(data):
        level = data[pos]
        attr = int.from_bytes(data[pos + 1 : pos + 5], "little")
        length = int.from_bytes(data[pos + 5 : pos + 9], "little")
        start = pos + 9
        end = start + length
        if end + 2 > len(data) or length > max_bytes:
            break
        value = data[start:end]
        pos = end + 2  # checksum
        if level != _LVL_ATTACHMENT:
            continue
        if attr == _ATT_ATTACH_REND_DATA:
            if body is not None:
                out.append((title, body))
            title, body = "", None
        elif attr == _ATT_ATTACH_TITLE:
            title = _decode_bytes(value.split(b"\x00", 1)[0], None)
        elif attr == _ATT_ATTACH_DATA:
            body = value
    if body is not None:
        out.append((title, body))
    return out
