"""What a body is, decided by its bytes: a PDF, a CMS SignedData, a TNEF stream, an encoding.

Mail clients mislabel parts (PDFs as `text/plain`, signatures as `image/png`) and some mobile
clients even mislabel the transfer encoding (base64 text declared `8bit`). The declared labels
are hints; these functions look at the content. All are pure over bytes.
"""

from __future__ import annotations

import base64
import binascii
import quopri
import re

from asn1crypto import cms

from ingest.parcels.problems import P7S_BASE64_TEXT, P7S_PEM

SIGNED_DATA_OID = bytes.fromhex("06092a864886f70d010702")  # 1.2.840.113549.1.7.2
TNEF_SIGNATURE = b"\x78\x9f\x3e\x22"
_PDF_MAGIC = b"%PDF-"
_PDF_SNIFF_WINDOW = 1024  # readers accept junk before the header; so do we, within reason
_PEM_CMS = re.compile(
    rb"-----BEGIN (?:PKCS7|CMS|SIGNED MESSAGE)-----(.*?)-----END (?:PKCS7|CMS|SIGNED MESSAGE)-----",
    re.S,
)
_MIME_HEAD = re.compile(rb"\A(?:[!-9;-~]+:[^\r\n]*\r?\n(?:[ \t][^\r\n]*\r?\n)*)+\r?\n")
_BASE64_TEXT = re.compile(rb"\A[A-Za-z0-9+/=\s]+\Z")
_QP_MARKER = re.compile(rb"=(?:[0-9A-F]{2}|\r?\n)")
_STARTXREF = re.compile(rb"startxref\s+(\d{1,12})\s+%%EOF", re.S)
_XREF_TARGET = re.compile(rb"(?:xref|\d{1,10}\s+\d{1,5}\s+obj)")
_IDENTITY_ENCODINGS = frozenset({"", "7bit", "8bit", "binary"})


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
    return data[header : header + len(SIGNED_DATA_OID)] == SIGNED_DATA_OID


def is_tnef(data: bytes) -> bool:
    return data.startswith(TNEF_SIGNATURE)


def _known(data: bytes) -> bool:
    return is_pdf(data) or is_der_signed_data(data) or is_tnef(data)


def pdf_xref_consistent(data: bytes) -> bool | None:
    """Whether the last `startxref` offset lands on a cross-reference (None: no startxref).

    Decoding a body the wrong way (quoted-printable markers left in, or decoded twice) shifts
    every byte after the first marker, so the offset tells the right reading from the wrong.
    """
    found = list(_STARTXREF.finditer(data[-4096:]))
    if not found:
        return None
    offset = int(found[-1].group(1))
    return bool(_XREF_TARGET.match(data, offset)) if offset < len(data) else False


_BASE64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_NOT_BASE64 = bytes(b for b in range(256) if b not in _BASE64_ALPHABET)


def b64decode_lenient(raw: bytes) -> bytes:
    """Base64 as mail clients write it: any line length, stray characters, missing padding."""
    cleaned = raw.translate(None, _NOT_BASE64)  # what the regex [^A-Za-z0-9+/] removes, in C
    if len(cleaned) % 4 == 1:  # a lone trailing sextet carries no whole byte
        cleaned = cleaned[:-1]
    return base64.b64decode(cleaned + b"=" * (-len(cleaned) % 4))


def decode_transfer(raw: bytes, declared: str) -> tuple[bytes, bool]:
    """The body decoded by its declared transfer encoding, or by what it is when that misfits.

    Returns (bytes, repaired). A repair is only made when the declared reading gives nothing
    we recognise and another plausible reading gives a PDF, a SignedData or a TNEF stream, so
    a genuine copy is never judged on its transport wrapping. Raises binascii.Error/ValueError
    when the declared encoding is base64 and cannot be read at all.
    """
    declared = declared.strip().lower()
    if declared == "base64":
        if _known(raw) and not _BASE64_TEXT.match(raw[:4096]):
            return raw, True  # declared base64, sent raw (a PDF or DER body as it is)
        return b64decode_lenient(raw), False
    if declared == "quoted-printable":
        decoded = quopri.decodestring(raw)
        if not _known(decoded) and _BASE64_TEXT.match(raw[:4096]):
            alt = b64decode_lenient(raw)
            if _known(alt):
                return alt, True
        return decoded, False
    if declared not in _IDENTITY_ENCODINGS:
        return raw, False  # uuencode and the like are the caller's business
    stripped = raw.strip()
    if stripped and _BASE64_TEXT.match(stripped[:4096]) and not _known(raw):
        try:
            alt = b64decode_lenient(stripped)
        except (binascii.Error, ValueError):
            alt = b""
        if _known(alt):
            return alt, True
    if raw.isascii() and _QP_MARKER.search(raw):
        alt = quopri.decodestring(raw)
        if _known(alt) and alt != raw:
            if not is_pdf(alt):
                return alt, True
            if pdf_xref_consistent(alt) and not pdf_xref_consistent(raw):
                return alt, True
    return raw, False


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


def smime_entity(data: bytes) -> bytes | None:
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
