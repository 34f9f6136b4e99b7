"""The MIME walk: every leaf of a message (forwards and S/MIME wrappers included) looked at once.

Strict about limits: nesting depth, part count and attachment size are bounded, and nothing is
ever decompressed here, so a zip or PDF bomb stays the opaque bytes it arrived as. Liberal about
labels: the content decides what a part is, the declared type and name only help.
"""

from __future__ import annotations

import binascii
import email
import email.errors
from dataclasses import dataclass, field
from email.message import Message

from ingest.parcels.headers import (
    content_type,
    filename_of,
    from_addr,
    header_text,
    message_id,
    recipients,
)
from ingest.parcels.mimetree import read_message
from ingest.parcels.pairing import P7S_SUFFIXES, Attachment, Parcel, name_stem, pair
from ingest.parcels.problems import (
    DUPLICATE_ATTACHMENT,
    MIME_DEFECTS,
    MIME_TOO_DEEP,
    MIME_TOO_MANY_PARTS,
    NO_DOCUMENTS,
    NOT_A_MESSAGE,
    NOT_CMS,
    NOT_PDF,
    PART_EMPTY,
    PART_TOO_LARGE,
    PART_UNDECODABLE,
    PGP_SIGNATURE_IGNORED,
    SMIME_OPAQUE_UNWRAPPED,
    SMIME_SIGNATURE_IGNORED,
    TNEF_ATTACHMENT,
    TOO_MANY_DOCUMENTS,
    TRANSFER_ENCODING_REPAIRED,
)
from ingest.parcels.sniff import (
    as_der_signed_data,
    decode_transfer,
    is_pdf,
    is_tnef,
    smime_entity,
)
from ingest.parcels.tnef import tnef_files

_P7S_TYPES = frozenset(
    {
        "application/pkcs7-signature",
        "application/x-pkcs7-signature",
        "application/pkcs7-mime",
        "application/x-pkcs7-mime",
    }
)
_SMIME_TYPES = frozenset({"application/pkcs7-mime", "application/x-pkcs7-mime"})
_PDF_TYPES = frozenset({"application/pdf", "application/x-pdf", "application/acrobat"})
_CONTAINER_TYPES = frozenset({"message/rfc822", "message/global"})
_TNEF_TYPES = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})
_UUENCODE = frozenset({"x-uuencode", "uuencode", "x-uue"})


class ParseError(Exception):
    """The bytes cannot be read as a message at all; `reason` is a stable code."""

    reason = "MESSAGE_UNREADABLE"

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
class _Walk:
    limits: ParseLimits
    attachments: list[Attachment] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    parts: int = 0
    ignored: int = 0

    def problem(self, code: str) -> None:
        if code not in self.problems:
            self.problems.append(code)


def parse_parcels(raw: bytes, limits: ParseLimits | None = None) -> ParsedMessage:
    """Read `raw` (an RFC 5322 message) into parcels; raise ParseError only when unreadable.

    Every other problem (too deep, too many parts, a part too large, undecodable or mismatched
    parts) is recorded as a code and parsing continues with what can be used.
    """
    limits = limits or ParseLimits()
    if not raw.strip():
        raise ParseError(NOT_A_MESSAGE, "empty input")
    try:
        msg = read_message(raw)
    except RecursionError:
        raise ParseError(MIME_TOO_DEEP, "nesting exceeds what the parser can read") from None
    if not msg.keys() and not msg.get_payload():
        raise ParseError(NOT_A_MESSAGE, "no headers and no body")
    walk = _Walk(limits)
    try:
        _visit(msg, walk, depth=0)
    except RecursionError:
        walk.problem(MIME_TOO_DEEP)
    parcels = pair(walk.attachments)
    if len(parcels) > limits.max_documents:
        walk.problem(TOO_MANY_DOCUMENTS)
        parcels = parcels[: limits.max_documents]
    if not parcels:
        walk.problem(NO_DOCUMENTS)
    return ParsedMessage(
        message_id=message_id(msg),
        subject=header_text(msg.get("Subject")),
        from_addr=from_addr(msg),
        parcels=tuple(parcels),
        problems=tuple(walk.problems),
        ignored_parts=walk.ignored,
        to_addrs=recipients(msg),
    )


def _visit(part: Message, walk: _Walk, depth: int) -> None:
    walk.parts += 1
    if walk.parts > walk.limits.max_parts:
        walk.problem(MIME_TOO_MANY_PARTS)
        return
    if part.defects:
        walk.problem(MIME_DEFECTS)
    ctype = content_type(part)
    if part.is_multipart():
        if depth >= walk.limits.max_depth:
            walk.problem(MIME_TOO_DEEP)
            return
        children = part.get_payload()
        if not isinstance(children, list):
            walk.ignored += 1
            return
        protocol = str(part.get_param("protocol") or "").lower()
        signed = ctype == "multipart/signed"
        for index, child in enumerate(children):
            if signed and index == 1 and ("pkcs7" in protocol or "pgp" in protocol):
                # The mail client's own S/MIME or PGP signature over the message, not a
                # document's (a PGP/MIME `signature.asc` is never a Diia signature).
                walk.problem(
                    SMIME_SIGNATURE_IGNORED if "pkcs7" in protocol else PGP_SIGNATURE_IGNORED
                )
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
        decoded = _decode(part, walk)
        if decoded:
            try:
                inner = read_message(decoded[0])
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
    maybe_p7s = ctype in _P7S_TYPES or lowered.endswith(P7S_SUFFIXES)
    maybe_tnef = ctype in _TNEF_TYPES or lowered == "winmail.dat"
    is_attachment = bool(name) or (part.get("Content-Disposition") or "").lower().startswith(
        "attachment"
    )
    if not (
        maybe_pdf or maybe_p7s or maybe_tnef or is_attachment or ctype.startswith("application/")
    ):
        walk.ignored += 1  # text bodies, images of signatures, calendar invites...
        return
    decoded = _decode(part, walk)
    if decoded is None:
        return
    data, repaired = decoded
    if not data.strip():
        walk.problem(PART_EMPTY)
        walk.ignored += 1
        return
    inner = smime_entity(data) if (ctype in _SMIME_TYPES or lowered.endswith(".p7m")) else None
    if inner is not None:
        # S/MIME "opaque" signing: the whole message (attachments included) is inside the CMS.
        walk.problem(SMIME_OPAQUE_UNWRAPPED)
        try:
            entity = read_message(inner)
        except RecursionError:
            walk.problem(MIME_TOO_DEEP)
            return
        _visit(entity, walk, depth + 1)
        return
    extra = [TRANSFER_ENCODING_REPAIRED] if repaired else []
    if is_tnef(data):
        walk.problem(TNEF_ATTACHMENT)
        for item in tnef_files(data, walk.limits.max_attachment_bytes):
            tname = item.name.casefold()
            is_pdf_name, is_p7s_name = tname.endswith(".pdf"), tname.endswith(P7S_SUFFIXES)
            _add(walk, item.name, item.data, is_pdf_name, is_p7s_name, extra)
        return
    _add(walk, name, data, maybe_pdf, maybe_p7s, extra)


def _add(
    walk: _Walk,
    name: str,
    data: bytes,
    maybe_pdf: bool,
    maybe_p7s: bool,
    extra: list[str] | None = None,
) -> None:
    """Classify one attachment by its content first, by its label second."""
    problems: list[str] = list(extra or [])
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
        same_name = name_stem(other.name) == name_stem(name)
        if other.kind == kind and other.data == data and (kind == "pdf" or same_name):
            # The same file twice (a reply quoting the attachments, a client attaching twice):
            # one copy, one document. A signature sent again under another PDF's name stays,
            # so that PDF is judged against the signature presented for it.
            walk.problem(DUPLICATE_ATTACHMENT)
            if name and name not in other.aliases and name != other.name:
                other.aliases.append(name)  # may be the name its signature fits
            return
    order = len(walk.attachments)
    walk.attachments.append(
        Attachment(kind, name or f"attachment-{order + 1}", data, order, problems)
    )


def wire_bytes(part: Message) -> bytes | None:
    """The body of a leaf part exactly as it came over the wire (None for a multipart).

    `get_payload()` cannot be used: for a body with 8-bit bytes (a PDF sent `8bit` or
    `binary`, or mislabelled) compat32 decodes it with the part's charset and *replaces* every
    byte it cannot map with U+FFFD, so the PDF would no longer be the bytes that were signed.
    The parser keeps the wire bytes surrogate-escaped in `_payload`; they are taken back here.
    """
    payload: object = getattr(part, "_payload", None)  # not in the typed API; see above
    if not isinstance(payload, str):
        return None
    return payload.encode("utf-8", "surrogateescape")


def _decode(part: Message, walk: _Walk) -> tuple[bytes, bool] | None:
    """The decoded body of a leaf part and whether its transfer encoding had to be repaired;
    bounded before decoding so a huge part costs nothing."""
    raw = wire_bytes(part)
    if raw is None:
        walk.ignored += 1
        return None
    # Decoded base64/quoted-printable is never longer than its encoded form.
    if len(raw) > walk.limits.max_attachment_bytes * 4 // 3 + 1024:
        walk.problem(PART_TOO_LARGE)
        walk.ignored += 1
        return None
    cte = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    try:
        if cte in _UUENCODE:
            decoded = part.get_payload(decode=True)
            data, repaired = (decoded if isinstance(decoded, bytes) else raw), False
        else:
            data, repaired = decode_transfer(raw, cte)
    except (binascii.Error, ValueError):
        walk.problem(PART_UNDECODABLE)
        walk.ignored += 1
        return None
    if len(data) > walk.limits.max_attachment_bytes:
        walk.problem(PART_TOO_LARGE)
        walk.ignored += 1
        return None
    return data, repaired
