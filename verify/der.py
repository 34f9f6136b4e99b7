"""Raw TLV walking over received bytes: where each element starts and ends, nothing re-encoded.

Signatures cover bytes exactly as their producer wrote them (a TBSCertificate, a SignerInfo's
signed attributes). A parser that re-serialises a value can change those bytes: asn1crypto, for
one, treats any header whose last length octet is 0x80 as indefinite length and re-encodes the
value, which turns a good certificate into a different (or unencodable) one. So everything whose
bytes are signed or hashed is cut out of the input by offsets found here, and only parsed for
meaning by asn1crypto.

BER indefinite lengths are followed (a constructed value ends at its end-of-contents octets) so
offsets stay right inside BER input as well.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from asn1crypto import core

from .errors import FormatError

MAX_DEPTH = 64


@dataclass(frozen=True)
class Tlv:
    """One element of `data`: its identifier's first octet and its byte offsets."""

    tag: int  # the first identifier octet (class, constructed bit, low tag number)
    start: int
    content_start: int
    content_end: int
    end: int  # exclusive, includes the end-of-contents octets of an indefinite length
    indefinite: bool

    @property
    def constructed(self) -> bool:
        return bool(self.tag & 0x20)

    def raw(self, data: bytes) -> bytes:
        return data[self.start : self.end]

    def content(self, data: bytes) -> bytes:
        return data[self.content_start : self.content_end]


def read(data: bytes, pos: int = 0, limit: int | None = None, *, depth: int = 0) -> Tlv:
    """The element starting at `pos`; it must end by `limit` (default: the end of `data`)."""
    end_limit = len(data) if limit is None else limit
    if depth > MAX_DEPTH:
        raise FormatError("ASN.1 nesting too deep")
    if pos + 2 > end_limit:
        raise FormatError("ASN.1 element truncated")
    tag = data[pos]
    i = pos + 1
    if tag & 0x1F == 0x1F:  # high tag number form
        while True:
            if i >= end_limit:
                raise FormatError("ASN.1 tag truncated")
            i += 1
            if not data[i - 1] & 0x80:
                break
    if i >= end_limit:
        raise FormatError("ASN.1 length missing")
    first = data[i]
    i += 1
    if first < 0x80:
        length = first
    elif first == 0x80:
        if not tag & 0x20:
            raise FormatError("indefinite length on a primitive ASN.1 element")
        cursor = i
        while True:
            if cursor + 2 > end_limit:
                raise FormatError("ASN.1 indefinite length without end-of-contents")
            if data[cursor] == 0 and data[cursor + 1] == 0:
                return Tlv(tag, pos, i, cursor, cursor + 2, True)
            cursor = read(data, cursor, end_limit, depth=depth + 1).end
    else:
        n = first & 0x7F
        if n > 8 or i + n > end_limit:
            raise FormatError("ASN.1 length malformed")
        length = int.from_bytes(data[i : i + n], "big")
        i += n
    if i + length > end_limit:
        raise FormatError(f"ASN.1 element truncated: {length} octets announced")
    return Tlv(tag, pos, i, i + length, i + length, False)


def children(data: bytes, parent: Tlv) -> Iterator[Tlv]:
    """The elements inside a constructed element, in order."""
    if not parent.constructed:
        raise FormatError("ASN.1 element is not constructed")
    pos = parent.content_start
    while pos < parent.content_end:
        child = read(data, pos, parent.content_end)
        yield child
        pos = child.end


def child_list(data: bytes, parent: Tlv) -> list[Tlv]:
    return list(children(data, parent))


def tbs_certificate(der: bytes) -> bytes:
    """The TBSCertificate of a certificate exactly as it appears (the bytes the CA signed)."""
    outer = read(der)
    first = next(children(der, outer), None)
    if first is None or first.tag != 0x30:
        raise FormatError("certificate without a TBSCertificate")
    return first.raw(der)


def signed_data_parts(der: bytes) -> tuple[list[bytes], list[Tlv]]:
    """From a ContentInfo holding SignedData: each `certificates` entry as received, and the
    SignerInfo elements (offsets into `der`).

    Only the layout is read here; meaning is asn1crypto's job.
    """
    info = read(der)
    top = child_list(der, info)
    if len(top) < 2 or top[1].tag != 0xA0:
        raise FormatError("ContentInfo without content")
    explicit = child_list(der, top[1])
    if not explicit or explicit[0].tag != 0x30:
        raise FormatError("ContentInfo content is not a SEQUENCE")
    fields = child_list(der, explicit[0])
    certificates: list[bytes] = []
    for element in fields[3:]:
        if element.tag == 0xA0:  # [0] IMPLICIT CertificateSet
            certificates = [c.raw(der) for c in children(der, element) if c.tag == 0x30]
            break
    signer_infos: list[Tlv] = []
    if fields and fields[-1].tag == 0x31:
        signer_infos = child_list(der, fields[-1])
    return certificates, signer_infos


def signed_attributes(der: bytes, signer_info: Tlv) -> bytes | None:
    """A SignerInfo's signedAttrs as received, re-tagged from [0] IMPLICIT to SET OF (RFC 5652
    5.4: the signature covers the DER SET OF; we take the producer's bytes for it)."""
    for element in children(der, signer_info):
        if element.tag == 0xA0:
            if element.indefinite:
                return None  # not DER: the caller falls back to a DER encoding
            return b"\x31" + der[element.start + 1 : element.end]
    return None


def received(value: Any) -> bytes:
    """An element parsed by asn1crypto, as its bytes arrived (header, contents, trailer).

    `Asn1Value.dump()` re-encodes whenever the header's last octet is 0x80 (it takes that for an
    indefinite length), so the bytes of anything signed or hashed are taken from here instead.
    Values built rather than parsed have no received form and are DER-encoded.
    """
    if isinstance(value, core.Choice):
        return received(value.chosen)
    header = getattr(value, "_header", None)
    contents = getattr(value, "contents", None)
    if header is None or contents is None:
        return bytes(value.dump())
    return bytes(header) + bytes(contents) + bytes(getattr(value, "_trailer", b"") or b"")
