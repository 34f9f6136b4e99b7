"""Fuzz: MIME to parcels (ingest.parcels) is total over bytes and keeps its limits.

`parse_parcels` is the first thing every received message meets. Its contract: a
`ParsedMessage` or a `ParseError` with a stable reason; every problem a stable code; never more
parcels than `max_documents` nor an attachment over `max_attachment_bytes`; a parcel's PDF is a
PDF and its P7S a DER SignedData unless the parcel carries NOT_PDF / NOT_CMS. Seeds are
Diia-like e-mails in the shapes real clients give them (tests/ingest/mailmaker.py) carrying a
real signed copy, plus the hostile corpus; a second strategy builds random MIME trees.
"""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from ingest.parcels import (
    ParsedMessage,
    ParseError,
    ParseLimits,
    header_hints,
    is_der_signed_data,
    is_pdf,
    parse_parcels,
)
from tests.hardening.material import diia_email, signed_copy
from tests.hardening.mutations import mutated
from tests.hardening.profiles import fuzz
from tests.ingest import mailmaker as mm
from tests.ingest.corpus import CASES, Material

SIGNED = signed_copy()
_PAIR = mm.diia_pair(SIGNED.pdf, SIGNED.p7s, "Паспорт громадянина України")
_MATERIAL = Material(SIGNED.pdf, SIGNED.p7s, SIGNED.pdf[:-40] + b"%%EOF\n", SIGNED.attached_p7s)
SEEDS = [
    diia_email(SIGNED, "seed"),
    *(build(_PAIR) for build in mm.CLIENTS.values()),
    mm.forwarded(mm.gmail(_PAIR)),
    *(raw for case in CASES if len(raw := case.build(_MATERIAL)) < 256 * 1024),
]
TIGHT = ParseLimits(max_depth=3, max_parts=12, max_attachment_bytes=8 * 1024, max_documents=2)
_CODE = re.compile(r"[A-Z][A-Z0-9_]*")


def check(raw: bytes, limits: ParseLimits) -> ParsedMessage | None:
    """Parse and check the promises; None when the bytes were refused with a typed error."""
    try:
        parsed = parse_parcels(raw, limits)
    except ParseError as exc:
        assert _CODE.fullmatch(exc.reason), exc.reason
        return None
    assert len(parsed.parcels) <= limits.max_documents
    assert all(_CODE.fullmatch(p) for p in parsed.problems), parsed.problems
    for parcel in parsed.parcels:
        assert parcel.pdf is not None or parcel.p7s is not None
        assert all(_CODE.fullmatch(p) for p in parcel.problems), parcel.problems
        # Mislabelled content is kept, but then it says so (the archive keeps what came).
        if parcel.pdf is not None:
            assert is_pdf(parcel.pdf) or "NOT_PDF" in parcel.problems
            assert len(parcel.pdf) <= limits.max_attachment_bytes
        if parcel.p7s is not None:
            assert is_der_signed_data(parcel.p7s) or "NOT_CMS" in parcel.problems
            assert len(parcel.p7s) <= limits.max_attachment_bytes
        assert isinstance(parcel.filename, str) and len(parcel.filename) <= 1000
    assert isinstance(parsed.subject, str) and isinstance(parsed.from_addr, str)
    return parsed


def test_seeds_yield_the_signed_copy() -> None:
    """Intact seeds give back the very PDF and P7S that went in (the fuzz starts from sense)."""
    for raw in SEEDS[: len(mm.CLIENTS) + 2]:
        parsed = check(raw, ParseLimits())
        assert parsed is not None and parsed.parcels
        assert parsed.parcels[0].pdf == SIGNED.pdf
        assert parsed.parcels[0].p7s == SIGNED.p7s
    assert len(SEEDS) > 30


@fuzz(200)
@given(mutated(SEEDS, max_edits=6))
def test_mutated_mail_gives_parcels_or_parse_error(raw: bytes) -> None:
    check(raw, ParseLimits())
    check(raw, TIGHT)
    hints = header_hints(raw)
    assert all("@" in a for a in hints.to_addrs)


# --- random MIME trees --------------------------------------------------------------------

_TYPES = ["application/pdf", "application/pkcs7-signature", "application/x-pkcs7-signature",
          "application/octet-stream", "text/plain", "message/rfc822", "application/ms-tnef",
          "multipart/mixed", "multipart/alternative", "multipart/signed", "image/png",
          "application/pkcs7-mime", "Application/PDF", "bogus", ""]  # fmt: skip
_CTE = ["base64", "quoted-printable", "7bit", "8bit", "binary", "x-uuencode", "BASE64", ""]
_NAMES = st.one_of(
    st.sampled_from(["Паспорт.pdf", "Паспорт.pdf.p7s", "doc.p7s", "a.pdf", "winmail.dat", ""]),
    st.text(min_size=0, max_size=40),
)


@st.composite
def mime_tree(draw: st.DrawFn, depth: int = 0) -> bytes:
    """One MIME entity (headers + body), multipart with children until a random depth."""
    ctype = draw(st.sampled_from(_TYPES))
    name = draw(_NAMES)
    head = f"Content-Type: {ctype}"
    boundary = draw(st.sampled_from(["b", "=_b", "b b", "", "-", "ü"])) + str(depth)
    if ctype.startswith("multipart/"):
        head += f'; boundary="{boundary}"'
    if name:
        style = draw(st.sampled_from(["plain", "2231", "2047"]))
        if style == "plain":
            head += f'\r\nContent-Disposition: attachment; filename="{name}"'
        elif style == "2231":
            head += "\r\nContent-Disposition: attachment; filename*=UTF-8''" + "".join(
                f"%{b:02X}" for b in name.encode("utf-8", "surrogatepass")
            )
        else:
            head += f'\r\nContent-Disposition: attachment; filename="{mm.rfc2047(name)}"'
    cte = draw(st.sampled_from(_CTE))
    if cte:
        head += f"\r\nContent-Transfer-Encoding: {cte}"
    if ctype.startswith("multipart/") and depth < 6:
        children = draw(st.lists(mime_tree(depth + 1), max_size=4))
        body = b"".join(f"--{boundary}\r\n".encode() + c + b"\r\n" for c in children)
        if draw(st.booleans()):
            body += f"--{boundary}--\r\n".encode()
    elif ctype == "message/rfc822" and depth < 6:
        body = b"Subject: inner\r\n" + draw(mime_tree(depth + 1))
    else:
        payload = draw(
            st.sampled_from([SIGNED.pdf[:2000], SIGNED.p7s, SIGNED.attached_p7s, b"", b"x"])
        )
        body = draw(st.sampled_from([mm.b64_body(payload).encode(), payload, b"=\r\n=ZZ"]))
    return head.encode("utf-8", "surrogatepass") + b"\r\n\r\n" + body


@fuzz(150)
@given(mime_tree())
def test_random_mime_trees_give_parcels_or_parse_error(entity: bytes) -> None:
    raw = b"From: a@example.net\r\nTo: hotel-dnipro@inbox.example.org\r\nMIME-Version: 1.0\r\n"
    check(raw + entity, ParseLimits())
    check(raw + entity, TIGHT)
