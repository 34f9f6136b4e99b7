"""The client-shaped corpus: Diia copies as real mail clients deliver them, with the answer.

The Diia app drafts the e-mail in the citizen's own client, so what arrives is shaped by Gmail,
Outlook (with TNEF), Apple Mail, Thunderbird, Ukrainian web mail, Samsung Email, iPhone Mail,
and by what people do: rename files, forward (inline or as an attachment), reply with the
conversation quoted, sign the mail with PGP. Each shape is written byte by byte by
`tests.ingest.mailmaker` (Python's `email` generator would normalise the quirks away), in both
attachment orders, with real signatures from the test PKI (ECDSA P-256/SHA-256 and DSTU 4145 with
GOST 34.311) over real PDFs: one written by `tests.support.pdf`, one re-rendered by poppler's cairo
backend (`pdftocairo`, embedded font subsets, compressed streams), as another producer would.

`expected` lists the documents the archive must end up with: the PDF (by role), its name, how
many signature files cover it, the verdict, and flags it must carry. Every genuine copy is
TOTAL_PASSED; the only other verdicts belong to the cases that are not genuine copies (a
tampered twin, an unsigned PDF, a signature alone).
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.ingest import mailmaker as mm

PASSPORT = "Паспорт громадянина України"
TAXCARD = "Картка платника податків (РНОКПП)"


@dataclass(frozen=True)
class Copy:
    """One signed document: the PDF, a detached and an attached signature over it."""

    title: str
    pdf: bytes
    detached: bytes
    attached: bytes


@dataclass(frozen=True)
class Material:
    flavour: str
    passport: Copy
    taxcard: Copy
    root_der: bytes

    def pdf_of(self, role: str | None) -> bytes | None:
        return {"passport": self.passport.pdf, "taxcard": self.taxcard.pdf}.get(role or "")


def cairo_pdf(pdf: bytes) -> bytes:
    """The same pages re-rendered by poppler's cairo backend: a PDF from another producer."""
    if shutil.which("pdftocairo") is None:  # poppler-utils is in APT_PACKAGES; be explicit
        raise RuntimeError("pdftocairo (poppler-utils) is needed for the client corpus")
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.pdf", Path(tmp) / "out.pdf"
        src.write_bytes(pdf)
        subprocess.run(["pdftocairo", "-pdf", str(src), str(dst)], check=True, timeout=60)
        return dst.read_bytes()


@functools.cache
def material(flavour: str) -> Material:
    """Two copies signed by the test PKI's "ДП ДІЯ" seal, made once per flavour."""
    from tests.support.pdf import DiiaCopy, make_diia_copy_pdf
    from tests.support.pki import make_pki, sign_cades

    pki = make_pki(flavour)  # type: ignore[arg-type]

    def copy(title: str, pdf: bytes) -> Copy:
        return Copy(
            title,
            pdf,
            sign_cades(pki, pdf, detached=True),
            sign_cades(pki, pdf, detached=False),
        )

    passport = make_diia_copy_pdf(DiiaCopy())
    taxcard = cairo_pdf(
        make_diia_copy_pdf(DiiaCopy(document_title=TAXCARD, document_number="1234567899"))
    )
    return Material(flavour, copy(PASSPORT, passport), copy(TAXCARD, taxcard), pki.root.cert)


@dataclass(frozen=True)
class Doc:
    """One expected document."""

    pdf: str | None  # "passport" | "taxcard" | "tampered" | None (no PDF at all)
    filename: str
    indication: str
    signatures: int = 1
    flags: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Shape:
    name: str
    client: str  # what produced it, for the table
    build: Callable[[Material, bool], bytes]  # (material, reversed order) -> raw message
    expected: tuple[Doc, ...]
    flavour: str = "ecdsa"
    message_flags: frozenset[str] = field(default_factory=frozenset)


def _order(atts: Sequence[mm.Att], reverse: bool) -> list[mm.Att]:
    return list(reversed(atts)) if reverse else list(atts)


def _pdf(name: str, data: bytes) -> mm.Att:
    return mm.Att(name, data, "application/pdf")


def _sig(name: str, data: bytes, ctype: str = "application/pkcs7-signature") -> mm.Att:
    return mm.Att(name, data, ctype)


def _pair(c: Copy, style: str = "pdf.p7s", ctype: str = "application/pkcs7-signature") -> list:
    return mm.diia_pair(c.pdf, c.detached, c.title, p7s_style=style, p7s_type=ctype)


def _two(m: Material) -> list[mm.Att]:
    return _pair(m.passport) + _pair(m.taxcard, "p7s")


P = f"{PASSPORT}.pdf"
T = f"{TAXCARD}.pdf"
PASSED = "TOTAL_PASSED"
BOTH = (Doc("passport", P, PASSED), Doc("taxcard", T, PASSED))
ONE = (Doc("passport", P, PASSED),)
BY_CONTENT = frozenset({"PAIRED_BY_CONTENT"})
REPAIRED = frozenset({"TRANSFER_ENCODING_REPAIRED"})
FROM_SIG = frozenset({"PDF_FROM_SIGNATURE"})


def _tampered(pdf: bytes) -> bytes:
    """The copy with its document number changed: what a forger would do."""
    return pdf.replace(b"000123456", b"000123457") if b"000123456" in pdf else pdf + b"\n%x\n"


SHAPES: list[Shape] = [
    Shape(
        "gmail", "Gmail web/app, RFC 2047 names", lambda m, r: mm.gmail(_order(_two(m), r)), BOTH
    ),
    Shape(
        "outlook",
        "Outlook, application/x-pkcs7-signature, size= dates",
        lambda m, r: mm.outlook(
            _order(_pair(m.passport, ctype="application/x-pkcs7-signature"), r)
        ),
        ONE,
    ),
    Shape(
        "apple-mail-nfd",
        "Apple Mail, NFD names in RFC 2231",
        lambda m, r: mm.apple_mail(_order(_two(m), r)),
        BOTH,
    ),
    Shape(
        "thunderbird-rfc2231",
        "Thunderbird, RFC 2231 continuations",
        lambda m, r: mm.thunderbird(_order(_two(m), r)),
        BOTH,
    ),
    Shape(
        "samsung-share",
        "Samsung Email share sheet, raw UTF-8 names, octet-stream",
        lambda m, r: mm.android_share(_order(_two(m), r)),
        BOTH,
    ),
    Shape(
        "iphone-share",
        "iPhone Mail share sheet",
        lambda m, r: mm.ios_share(_order(_two(m), r)),
        BOTH,
    ),
    Shape(
        "outlook-tnef-unicode",
        "Outlook rich text: winmail.dat, PT_UNICODE long names",
        lambda m, r: mm.outlook_tnef(_order(_two(m), r)),
        BOTH,
        message_flags=frozenset({"TNEF_ATTACHMENT"}),
    ),
    Shape(
        "outlook-tnef-cp1251",
        "Outlook rich text: winmail.dat, PT_STRING8 long names, attOemCodepage 1251",
        lambda m, r: mm.outlook_tnef(_order(_two(m), r), long_names="8bit"),
        BOTH,
    ),
    Shape(
        "outlook-tnef-short-only",
        "old Outlook: winmail.dat with 8.3 names only",
        lambda m, r: mm.outlook_tnef(_order(_pair(m.passport), r), long_names=None),
        (Doc("passport", "ПАСПОР~1.PDF", PASSED),),
    ),
    Shape(
        "webmail-numbered",
        "web mail numbering files file1.pdf..file4.p7s (crossed)",
        lambda m, r: mm.webmail(
            _order(
                [
                    _pdf("file1.pdf", m.passport.pdf),
                    _sig("file2.p7s", m.taxcard.detached),
                    _pdf("file3.pdf", m.taxcard.pdf),
                    _sig("file4.p7s", m.passport.detached),
                ],
                r,
            )
        ),
        (
            Doc("passport", "file1.pdf", PASSED, flags=BY_CONTENT),
            Doc("taxcard", "file3.pdf", PASSED, flags=BY_CONTENT),
        ),
    ),
    Shape(
        "webmail-numbered-dstu",
        "web mail numbering, DSTU 4145 + GOST 34.311 signatures",
        lambda m, r: mm.webmail(
            _order(
                [
                    _pdf("file1.pdf", m.taxcard.pdf),
                    _sig("file2.p7s", m.passport.detached),
                    _pdf("file3.pdf", m.passport.pdf),
                    _sig("file4.p7s", m.taxcard.detached),
                ],
                r,
            )
        ),
        (
            Doc("taxcard", "file1.pdf", PASSED, flags=BY_CONTENT),
            Doc("passport", "file3.pdf", PASSED, flags=BY_CONTENT),
        ),
        flavour="dstu",
    ),
    Shape(
        "renamed-pdf",
        "citizen renamed the PDF (stems differ)",
        lambda m, r: mm.gmail(
            _order(
                [_pdf("скан паспорта.pdf", m.passport.pdf), _sig(f"{P}.p7s", m.passport.detached)],
                r,
            )
        ),
        (Doc("passport", "скан паспорта.pdf", PASSED, flags=BY_CONTENT),),
    ),
    Shape(
        "forward-reattached",
        "forward re-attaching as X (1).pdf and X.pdf (1).p7s",
        lambda m, r: mm.outlook(
            _order(
                [
                    _pdf(f"{PASSPORT} (1).pdf", m.passport.pdf),
                    _sig(f"{PASSPORT}.pdf (1).p7s", m.passport.detached),
                ],
                r,
            )
        ),
        (Doc("passport", f"{PASSPORT} (1).pdf", PASSED, flags=BY_CONTENT),),
    ),
    Shape(
        "detached-and-attached",
        "one PDF with X.pdf.p7s (detached) and X.p7s (attached)",
        lambda m, r: mm.gmail(
            _order(
                [
                    _pdf(P, m.passport.pdf),
                    _sig(f"{P}.p7s", m.passport.detached),
                    _sig(f"{PASSPORT}.p7s", m.passport.attached),
                ],
                r,
            )
        ),
        (Doc("passport", P, PASSED, 2, frozenset({"SEVERAL_SIGNATURES"})),),
    ),
    Shape(
        "attached-and-detached-no-pdf",
        "no PDF file: X.p7s (attached) and X.pdf.p7s (detached)",
        lambda m, r: mm.thunderbird(
            _order(
                [
                    _sig(f"{PASSPORT}.p7s", m.passport.attached),
                    _sig(f"{P}.p7s", m.passport.detached),
                ],
                r,
            )
        ),
        (Doc("passport", P, PASSED, 2, FROM_SIG | {"SEVERAL_SIGNATURES"}),),
    ),
    Shape(
        "mislabelled-8bit-base64",
        "mobile client: base64 bodies declared 8bit",
        lambda m, r: mm.mislabelled_8bit(_order(_two(m), r)),
        (
            Doc("passport", P, PASSED, flags=REPAIRED),
            Doc("taxcard", T, PASSED, flags=REPAIRED),
        ),
    ),
    Shape(
        "mislabelled-8bit-qp",
        "quoted-printable bodies declared 8bit",
        lambda m, r: mm.mislabelled_8bit(_order(_pair(m.passport), r), body="qp"),
        (Doc("passport", P, PASSED, flags=REPAIRED),),
    ),
    Shape(
        "pdf-as-text-crlf",
        "PDF sent as text/plain 8bit, line ends made CRLF",
        lambda m, r: mm.pdf_as_text(_order(_pair(m.passport), r)),
        (Doc("passport", P, PASSED, flags=REPAIRED),),
    ),
    Shape(
        "p7m-pkcs7-mime",
        "attached signature as X.pdf.p7m, application/pkcs7-mime",
        lambda m, r: mm.outlook(
            [
                _sig(
                    f"{P}.p7m",
                    m.passport.attached,
                    "application/pkcs7-mime; smime-type=signed-data",
                )
            ]
        ),
        (Doc("passport", P, PASSED, flags=FROM_SIG),),
    ),
    Shape(
        "pem-signature",
        "signature PEM-armoured (openssl cms -outform PEM)",
        lambda m, r: mm.thunderbird(
            _order([_pdf(P, m.passport.pdf), _sig(f"{P}.p7s", mm.pem(m.passport.detached))], r)
        ),
        (Doc("passport", P, PASSED, flags=frozenset({"P7S_PEM"})),),
    ),
    Shape(
        "forward-inline",
        "Thunderbird forward inline (attachments re-attached)",
        lambda m, r: mm.thunderbird_forward_inline(_order(_two(m), r)),
        BOTH,
    ),
    Shape(
        "forward-rfc822",
        "forward as attachment (message/rfc822 around an Outlook mail)",
        lambda m, r: mm.forwarded(mm.outlook(_order(_two(m), r))),
        BOTH,
    ),
    Shape(
        "gmail-reply",
        "Gmail reply with quoted text",
        lambda m, r: mm.gmail_reply(_order(_pair(m.passport), r)),
        ONE,
    ),
    Shape(
        "reply-attached-twice",
        "reply carrying the PDF twice under two names",
        lambda m, r: mm.gmail_reply(
            _order(
                [*_pair(m.passport), _pdf(f"{PASSPORT} копія.pdf", m.passport.pdf)],
                r,
            )
        ),
        ONE,
        message_flags=frozenset({"DUPLICATE_ATTACHMENT"}),
    ),
    Shape(
        "pgp-mime",
        "Thunderbird OpenPGP-signed (multipart/signed, pgp-signature)",
        lambda m, r: mm.pgp_mime(_order(_two(m), r)),
        BOTH,
        message_flags=frozenset({"PGP_SIGNATURE_IGNORED"}),
    ),
    Shape(
        "transliterated-ascii",
        "ASCII-transliterated names (Samsung share)",
        lambda m, r: mm.android_share(
            _order(
                [
                    _pdf("Pasport_hromadianyna_Ukrainy.pdf", m.passport.pdf),
                    _sig("Pasport_hromadianyna_Ukrainy.pdf.p7s", m.passport.detached),
                ],
                r,
            )
        ),
        (Doc("passport", "Pasport_hromadianyna_Ukrainy.pdf", PASSED),),
    ),
    Shape(
        "outlook-dstu",
        "Outlook, DSTU 4145 + GOST 34.311",
        lambda m, r: mm.outlook(_order(_two(m), r)),
        BOTH,
        flavour="dstu",
    ),
    Shape(
        "tampered-twin",
        "not genuine: the PDF altered after signing",
        lambda m, r: mm.gmail(
            _order([_pdf(P, _tampered(m.passport.pdf)), _sig(f"{P}.p7s", m.passport.detached)], r)
        ),
        (Doc("tampered", P, "TOTAL_FAILED"),),
    ),
    Shape(
        "unsigned-pdf",
        "not signed: a PDF alone",
        lambda m, r: mm.gmail([_pdf(P, m.passport.pdf)]),
        (Doc("passport", P, "UNSIGNED", 0, frozenset({"PDF_WITHOUT_SIGNATURE"})),),
    ),
    Shape(
        "signature-only",
        "a detached signature whose PDF matches nothing sent",
        lambda m, r: mm.gmail(
            _order([_pdf(T, m.taxcard.pdf), _sig(f"{P}.p7s", m.passport.detached)], r)
        ),
        (
            Doc("taxcard", T, "UNSIGNED", 0, frozenset({"PDF_WITHOUT_SIGNATURE"})),
            Doc(None, P, "INDETERMINATE", 1, frozenset({"SIGNATURE_WITHOUT_PDF", "NO_PDF"})),
        ),
    ),
]


def shapes(flavour: str | None = None) -> list[Shape]:
    return [s for s in SHAPES if flavour is None or s.flavour == flavour]
