"""The hostile-message corpus: malformed, mislabelled, oversized and malicious e-mails.

Generated, not stored: each case is a small function of the real fixtures (a signed PDF pair),
so the corpus stays tiny in the repository and exercises real signatures. `expected` is what the
archive must end up with: "archived" (something usable was found, problems become flags) or
"quarantined" (with the stable reason given, or any reason when None).
"""

from __future__ import annotations

import base64
import io
import random
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from tests.ingest import mailmaker as mm


@dataclass(frozen=True)
class Material:
    pdf: bytes  # a real PDF
    p7s: bytes  # its detached signature
    other_pdf: bytes  # a second PDF, not signed by `p7s`
    attached_p7s: bytes  # a signature carrying `pdf` inside


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[Material], bytes]
    expected: str  # archived | quarantined
    reason: str | None = None  # the quarantine reason, or a flag the archived documents carry


HEAD = (
    "From: taras.test@example.net\r\nTo: hotel-dnipro@inbox.example.org\r\n"
    "Subject: test\r\nMessage-ID: <{n}@corpus.example.net>\r\nMIME-Version: 1.0\r\n"
)


def _head(name: str) -> bytes:
    return HEAD.format(n=name).encode()


def _part(ctype: str, name: str | None, body: bytes, cte: str = "base64") -> bytes:
    disp = f'Content-Disposition: attachment; filename="{name}"\r\n' if name else ""
    payload = base64.encodebytes(body) if cte == "base64" else body
    return (
        f"Content-Type: {ctype}\r\n{disp}Content-Transfer-Encoding: {cte}\r\n\r\n".encode()
        + payload
    )


def _mixed(name: str, parts: list[bytes], boundary: str = "b0") -> bytes:
    out = _head(name) + f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'.encode()
    for p in parts:
        out += f"--{boundary}\r\n".encode() + p + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def _pair(m: Material, stem: str = "Паспорт") -> list[bytes]:
    return [
        _part("application/pdf", f"{stem}.pdf", m.pdf),
        _part("application/pkcs7-signature", f"{stem}.pdf.p7s", m.p7s),
    ]


def _nested(m: Material, levels: int, name: str) -> bytes:
    inner = b'Content-Type: multipart/mixed; boundary="in"\r\n\r\n--in\r\n'
    inner += b"\r\n--in\r\n".join(_pair(m)) + b"\r\n--in--\r\n"
    for n in range(levels):
        inner = (
            f'Content-Type: multipart/mixed; boundary="n{n}"\r\n\r\n--n{n}\r\n'.encode()
            + inner
            + f"\r\n--n{n}--\r\n".encode()
        )
    return _head(name) + inner


def _zip_bomb() -> bytes:
    """64 MiB of zeros in a ~64 KiB zip: never opened by us, must cost only its own size."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("zeros.bin", "w") as fh:
        chunk = bytes(1 << 20)
        for _ in range(64):
            fh.write(chunk)
    return buf.getvalue()


def pdf_bomb(decompressed: int = 64 << 20) -> bytes:
    """A syntactically valid PDF whose one content stream inflates to `decompressed` bytes."""
    comp = zlib.compressobj(9)
    chunk = b" " * (1 << 20)
    data = b"".join(comp.compress(chunk) for _ in range(decompressed >> 20)) + comp.flush()
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def _rfc822_loop(m: Material, depth: int) -> bytes:
    msg = _mixed("loop-core", _pair(m))
    for n in range(depth):
        msg = _head(f"loop{n}") + b"Content-Type: message/rfc822\r\n\r\n" + msg
    return msg


def _random_bytes(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


CASES: list[Case] = [
    Case(
        "broken-boundary",
        lambda m: _mixed("bb", _pair(m)).replace(b"--b0\r\n", b"--b1\r\n"),
        "quarantined",
        "NO_DOCUMENTS",
    ),
    Case(
        "unterminated-multipart",
        lambda m: _mixed("ut", _pair(m)).rsplit(b"--b0--", 1)[0],
        "archived",
    ),
    Case(
        "boundary-missing-from-header",
        lambda m: _mixed("bm", _pair(m)).replace(b'; boundary="b0"', b""),
        "quarantined",
    ),
    Case(
        "wrong-content-types",
        lambda m: _mixed(
            "wct",
            [
                _part("image/jpeg", "scan.pdf", m.pdf),
                _part("text/plain", "scan.pdf.p7s", m.p7s),
            ],
        ),
        "archived",
    ),
    Case(
        "empty-parts",
        lambda m: _mixed(
            "ep",
            [
                _part("application/pdf", "a.pdf", b""),
                _part("application/pkcs7-signature", "a.pdf.p7s", b""),
                b"",
            ],
        ),
        "quarantined",
        "NO_DOCUMENTS",
    ),
    Case(
        "mismatched-pair",
        lambda m: _mixed(
            "mp",
            [
                _part("application/pdf", "a.pdf", m.other_pdf),
                _part("application/pkcs7-signature", "a.pdf.p7s", m.p7s),
            ],
        ),
        "archived",
        "TOTAL_FAILED",
    ),
    Case("nesting-8", lambda m: _nested(m, 7, "n8"), "archived"),
    Case("nesting-200", lambda m: _nested(m, 200, "n200"), "quarantined", "MIME_TOO_DEEP"),
    Case("nesting-5000", lambda m: _nested(m, 5000, "n5000"), "quarantined", "MIME_TOO_DEEP"),
    Case(
        "rfc822-in-rfc822-x40",
        lambda m: _rfc822_loop(m, 40),
        "quarantined",
        "MIME_TOO_DEEP",
    ),
    Case(
        "zip-bomb-attached",
        lambda m: _mixed("zb", [*_pair(m), _part("application/zip", "docs.zip", _zip_bomb())]),
        "archived",
    ),
    Case(
        "pdf-bomb-unsigned",
        lambda m: _mixed("pb", [_part("application/pdf", "bomb.pdf", pdf_bomb())]),
        "archived",
        "UNSIGNED",
    ),
    Case(
        "script-in-file-name",
        lambda m: _mixed(
            "sc",
            [
                _part("application/pdf", "<script>alert(1)</script>.pdf", m.pdf),
                _part("application/pkcs7-signature", "<script>alert(1)</script>.pdf.p7s", m.p7s),
            ],
        ),
        "archived",
    ),
    Case(
        "non-utf8-headers",
        lambda m: (
            (
                "Subject: Документи\r\nFrom: taras.test@example.net\r\n"
                "To: hotel-dnipro@inbox.example.org\r\nMIME-Version: 1.0\r\n"
                'Content-Type: multipart/mixed; boundary="b0"\r\n\r\n--b0\r\n'
                'Content-Type: application/pdf; name="Паспорт.pdf"\r\n'
                "Content-Transfer-Encoding: base64\r\n\r\n"
            ).encode("windows-1251")
            + base64.encodebytes(m.pdf)
            + b"--b0\r\n"
            + 'Content-Type: application/octet-stream; name="Паспорт.p7s"\r\n'.encode("koi8-u")
            + b"Content-Transfer-Encoding: base64\r\n\r\n"
            + base64.encodebytes(m.p7s)
            + b"--b0--\r\n"
        ),
        "archived",
        "TOTAL_PASSED",  # the windows-1251 and KOI8-U spellings of one name still pair
    ),
    Case(
        "invalid-encoded-words",
        lambda m: _mixed(
            "iew",
            [
                _part("application/pdf", "=?utf-8?B?!!!not-base64?=.pdf", m.pdf),
                _part("application/pkcs7-signature", "=?x-unknown?Q?=FF=FE?=.p7s", m.p7s),
            ],
        ),
        "archived",
    ),
    Case(
        "no-attachments",
        lambda m: _head("na") + b"Content-Type: text/plain\r\n\r\nHello, see you tomorrow.\r\n",
        "quarantined",
        "NO_DOCUMENTS",
    ),
    Case(
        "html-only",
        lambda m: _head("ho") + b"Content-Type: text/html\r\n\r\n<img src=x onerror=alert(1)>\r\n",
        "quarantined",
        "NO_DOCUMENTS",
    ),
    Case("random-bytes", lambda m: _random_bytes(4096, 1), "quarantined"),
    Case("empty-message", lambda m: b"", "quarantined", "NOT_A_MESSAGE"),
    Case("whitespace-only", lambda m: b"\r\n\r\n   \r\n", "quarantined", "NOT_A_MESSAGE"),
    Case("headers-only", lambda m: _head("hdr"), "quarantined", "NO_DOCUMENTS"),
    Case(
        "one-megabyte-subject",
        lambda m: _mixed("big-subject", _pair(m)).replace(
            b"Subject: test", b"Subject: " + b"A" * (1 << 20)
        ),
        "archived",
    ),
    Case(
        "thousands-of-parts",
        lambda m: _mixed("tp", [_part("text/plain", None, b"x")] * 3000 + _pair(m)),
        "quarantined",
        "MIME_TOO_MANY_PARTS",
    ),
    Case(
        "attachment-over-the-size-limit",
        lambda m: _mixed(
            "big", [_part("application/pdf", "huge.pdf", b"%PDF-1.7\n" + bytes(3 << 20))]
        ),
        "quarantined",
        "PART_TOO_LARGE",
    ),
    Case(
        "bad-base64-alphabet",
        lambda m: _mixed(
            "b64",
            [
                b"Content-Type: application/pdf\r\nContent-Disposition: attachment; "
                b'filename="a.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
                + base64.encodebytes(m.pdf).replace(b"A", b"!", 3)
            ],
        ),
        "archived",
        "UNSIGNED",
    ),
    Case(
        "truncated-pdf",
        lambda m: _mixed("tr", [_part("application/pdf", "cut.pdf", m.pdf[: len(m.pdf) // 2])]),
        "archived",
        "UNSIGNED",
    ),
    Case(
        "garbage-named-p7s",
        lambda m: _mixed(
            "gp",
            [
                _part("application/pdf", "a.pdf", m.pdf),
                _part("application/pkcs7-signature", "a.pdf.p7s", _random_bytes(500, 2)),
            ],
        ),
        "archived",
        "SIGNATURE_UNREADABLE",
    ),
    Case(
        "detached-p7s-without-pdf",
        lambda m: _mixed("dp", [_part("application/pkcs7-signature", "a.pdf.p7s", m.p7s)]),
        "archived",
        "NO_PDF",
    ),
    Case(
        "nul-and-controls-in-headers",
        lambda m: _mixed(
            "nul",
            [
                _part("application/pdf", "a\x00b\x07c.pdf", m.pdf),
                _part("application/pkcs7-signature", "a\x00b\x07c.pdf.p7s", m.p7s),
            ],
        ).replace(b"Subject: test", b"Subject: te\x00st\x1b[31m"),
        "archived",
    ),
    Case(
        "five-thousand-character-name",
        lambda m: _mixed(
            "long",
            [
                _part("application/pdf", "Я" * 5000 + ".pdf", m.pdf),
                _part("application/pkcs7-signature", "Я" * 5000 + ".pdf.p7s", m.p7s),
            ],
        ),
        "archived",
    ),
    Case(
        "path-traversal-names",
        lambda m: _mixed(
            "pt",
            [
                _part("application/pdf", "../../../etc/passwd.pdf", m.pdf),
                _part("application/pkcs7-signature", "..\\..\\passwd.pdf.p7s", m.p7s),
            ],
        ),
        "archived",
    ),
    Case(
        "quoted-printable-pdf",
        lambda m: _mixed(
            "qp",
            [
                b"Content-Type: application/pdf\r\nContent-Disposition: attachment; "
                b'filename="q.pdf"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'
                + __import__("quopri").encodestring(m.pdf),
                _part("application/pkcs7-signature", "q.pdf.p7s", m.p7s),
            ],
        ),
        "archived",
    ),
    Case(
        "lf-only-line-endings",
        lambda m: _mixed("lf", _pair(m)).replace(b"\r\n", b"\n"),
        "archived",
    ),
    Case(
        "bogus-winmail-dat",
        lambda m: _mixed(
            "tnef",
            [_part("application/ms-tnef", "winmail.dat", b"\x78\x9f\x3e\x22" + bytes(64))],
        ),
        "quarantined",
        "NO_DOCUMENTS",
    ),
    Case(
        "ten-thousand-recipients",
        lambda m: _mixed("rcpt", _pair(m)).replace(
            b"To: hotel-dnipro@inbox.example.org",
            b"To: hotel-dnipro@inbox.example.org, "
            + b", ".join(b"x%d@example.org" % i for i in range(10000)),
        ),
        "archived",
    ),
    Case(
        "mislabelled-multipart-leaf",
        lambda m: _head("ml") + b"Content-Type: multipart/mixed\r\n\r\n" + m.pdf,
        "quarantined",
    ),
    Case(
        "attached-signature-only",
        lambda m: _mixed(
            "as", [_part("application/pkcs7-signature", "Паспорт.pdf.p7s", m.attached_p7s)]
        ),
        "archived",
        "PDF_FROM_SIGNATURE",
    ),
    Case(
        "smime-signed-wrapper",
        lambda m: (
            _head("smime")
            + b'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; '
            + b'boundary="s"\r\n\r\n--s\r\n'
            + b'Content-Type: multipart/mixed; boundary="b0"\r\n\r\n--b0\r\n'
            + b"\r\n--b0\r\n".join(_pair(m))
            + b"\r\n--b0--\r\n\r\n--s\r\n"
            + _part("application/pkcs7-signature", "smime.p7s", m.p7s)
            + b"\r\n--s--\r\n"
        ),
        "archived",
    ),
    Case(
        "tnef-wrapped-documents",
        lambda m: mm.outlook_tnef(mm.diia_pair(m.pdf, m.p7s)),
        "archived",
    ),
    Case(
        "forwarded-twice-with-junk",
        lambda m: mm.forwarded(
            mm.forwarded(mm.gmail([*mm.diia_pair(m.pdf, m.p7s), mm.Att("x.exe", b"MZ", "a/b")]))
        ),
        "archived",
    ),
    Case(
        "nul-in-pdf-text",
        lambda m: _mixed("nt", [_part("application/pdf", "nul.pdf", _pdf_with_nul())]),
        "archived",
        "UNSIGNED",
    ),
]


def _pdf_with_nul() -> bytes:
    """A PDF whose text layer holds U+0000, which PostgreSQL text columns refuse."""
    from tests.support.pdf import make_pdf

    return make_pdf(["TestQQQQnul"]).replace(b"TestQQQQnul", b"Test\\000nul")
