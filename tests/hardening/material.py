"""Real inputs the hardening tests and `bench/load.py` start from: a Diia-like PDF signed with an
ECDSA P-256 CAdES-BES signature, the trust anchor, and Diia-like e-mails carrying them.

The signatures come from the project's test PKI (`tests.support.pki`) when it is there. While that
module is still being written, an equivalent minimal CAdES-BES maker below (cryptography +
asn1crypto; signed attributes contentType, messageDigest, signingTime, signingCertificateV2)
stands in, so these tests exercise genuine signatures either way. Only invented people appear.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

CRLF = b"\r\n"
BRANCH_ADDRESS = "hotel-dnipro@inbox.example.org"
SENDER = "taras.test@example.net"


@dataclass(frozen=True)
class Signed:
    """One signed copy: the PDF, its detached and attached P7S, and the root to trust."""

    pdf: bytes
    p7s: bytes
    attached_p7s: bytes
    root_der: bytes
    source: str  # "tests.support.pki" or "local"


@dataclass(frozen=True)
class Signer:
    """Signs any content as the Diia seal of one test PKI; `root_der` is the anchor to trust."""

    sign: Callable[[bytes, bool], bytes]  # (content, detached) -> DER ContentInfo
    root_der: bytes
    source: str  # "tests.support.pki" or "local"

    def copy(self, pdf: bytes) -> Signed:
        return Signed(pdf, self.sign(pdf, True), self.sign(pdf, False), self.root_der, self.source)


def _testpki_signer() -> Signer | None:
    try:
        from tests.support.pki import make_pki, sign_cades
    except ImportError:
        return None
    pki = make_pki("ecdsa")
    return Signer(
        lambda content, detached: sign_cades(pki, content, signer="seal", detached=detached),
        pki.root.cert,
        "tests.support.pki",
    )


def _local_signer() -> Signer:
    from asn1crypto import cms, tsp
    from asn1crypto import x509 as ax509
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.now(UTC).replace(microsecond=0)

    def issue(cn: str, org_id: str | None, issuer: tuple[Any, Any] | None, ca: bool) -> Any:
        key = ec.generate_private_key(ec.SECP256R1())
        attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
        if org_id:
            attrs.append(x509.NameAttribute(x509.ObjectIdentifier("2.5.4.97"), org_id))
        subject = x509.Name(attrs)
        issuer_cert, issuer_key = issuer if issuer else (None, key)
        usage = dict.fromkeys(
            ("content_commitment", "key_encipherment", "data_encipherment", "key_agreement"),
            False,
        )
        usage.update(encipher_only=False, decipher_only=False)
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer_cert.subject if issuer_cert else subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=30))
            .not_valid_after(now + timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(digital_signature=not ca, key_cert_sign=ca, crl_sign=ca, **usage),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                False,
            )
            .sign(issuer_key, hashes.SHA256())
        )
        return cert, key

    root = issue("Invented Test Root", None, None, True)
    seal_cert, seal_key = issue("Invented Diia Seal", "NTRUA-43395033", root, False)
    seal_der = seal_cert.public_bytes(serialization.Encoding.DER)
    seal = ax509.Certificate.load(seal_der)

    def sign(content: bytes, detached: bool) -> bytes:
        attrs = cms.CMSAttributes(
            [
                cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
                cms.CMSAttribute(
                    {"type": "message_digest", "values": [hashlib.sha256(content).digest()]}
                ),
                cms.CMSAttribute({"type": "signing_time", "values": [cms.Time({"utc_time": now})]}),
                cms.CMSAttribute(
                    {
                        "type": "signing_certificate_v2",
                        "values": [
                            tsp.SigningCertificateV2(
                                {"certs": [{"cert_hash": hashlib.sha256(seal_der).digest()}]}
                            )
                        ],
                    }
                ),
            ]
        )
        signature = seal_key.sign(b"\x31" + attrs.dump()[1:], ec.ECDSA(hashes.SHA256()))
        signer = cms.SignerInfo(
            {
                "version": "v1",
                "sid": cms.SignerIdentifier(
                    {
                        "issuer_and_serial_number": {
                            "issuer": seal.issuer,
                            "serial_number": seal.serial_number,
                        }
                    }
                ),
                "digest_algorithm": {"algorithm": "sha256"},
                "signed_attrs": attrs,
                "signature_algorithm": {"algorithm": "sha256_ecdsa"},
                "signature": signature,
            }
        )
        eci: dict[str, Any] = {"content_type": "data"}
        if not detached:
            eci["content"] = content
        signed_data = {
            "version": "v1",
            "digest_algorithms": [{"algorithm": "sha256"}],
            "encap_content_info": eci,
            "certificates": [seal],
            "signer_infos": [signer],
        }
        return cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump()

    return Signer(sign, root[0].public_bytes(serialization.Encoding.DER), "local")


@cache
def signer() -> Signer:
    """The test PKI's seal (made once per process)."""
    return _testpki_signer() or _local_signer()


@cache
def signed_copy() -> Signed:
    """The signed Diia-like copy of the invented fixture person (made once per process)."""
    from tests.support.pdf import make_diia_copy_pdf

    return signer().copy(make_diia_copy_pdf())


def other_copies(n: int) -> list[Signed]:
    """`n` further signed copies, each a different document (distinct bytes and numbers)."""
    from tests.support.pdf import DiiaCopy, make_diia_copy_pdf

    return [
        signer().copy(make_diia_copy_pdf(DiiaCopy(document_number=f"{700000000 + i:09d}")))
        for i in range(n)
    ]


def _b64(data: bytes) -> bytes:
    text = base64.b64encode(data)
    return CRLF.join(text[i : i + 76] for i in range(0, len(text), 76)) + CRLF


def diia_email(
    signed: Signed | list[Signed],
    token: str,
    *,
    to: str = BRANCH_ADDRESS,
    title: str = "Паспорт громадянина України",
) -> bytes:
    """A Diia-like e-mail (PDF + detached P7S per copy, RFC 2231 names) unique by `token`.

    `token` goes into Message-ID, Subject and X-Token so that every message's raw bytes differ
    (the archive stores identical bytes once, on purpose) and a test can find each one again.
    Several copies get names "<title> 2.pdf", "<title> 3.pdf", ... as the Diia app numbers them.
    """
    from urllib.parse import quote

    copies = signed if isinstance(signed, list) else [signed]
    boundary = f"diia-{token}"
    parts = [
        f"From: Тарас Тестовий <{SENDER}>".encode(),
        f"To: {to}".encode(),
        f"Subject: load {token}".encode(),
        f"Message-ID: <{token}@diia.example.net>".encode(),
        f"X-Token: {token}".encode(),
        b"Date: Fri, 20 Nov 2026 10:15:03 +0200",
        b"MIME-Version: 1.0",
        f'Content-Type: multipart/mixed; boundary="{boundary}"'.encode(),
        b"",
        f"--{boundary}".encode(),
        b"Content-Type: text/plain; charset=utf-8",
        b"",
        "Копії документів з Дії".encode(),
    ]
    for n, copy in enumerate(copies, 1):
        name = quote(f"{title}.pdf" if n == 1 else f"{title} {n}.pdf", safe="")
        for data, ctype, suffix in (
            (copy.pdf, "application/pdf", ""),
            (copy.p7s, "application/pkcs7-signature", ".p7s"),
        ):
            parts += [
                f"--{boundary}".encode(),
                f"Content-Type: {ctype}".encode(),
                f"Content-Disposition: attachment; filename*=UTF-8''{name}{suffix}".encode(),
                b"Content-Transfer-Encoding: base64",
                b"",
                _b64(data).rstrip(CRLF),
            ]
    parts += [f"--{boundary}--".encode(), b""]
    return CRLF.join(parts)


def malformed_email(token: str, *, to: str = BRANCH_ADDRESS) -> bytes:
    """A broken multipart whose only "PDF" part is not a PDF and not even base64.

    Nothing in it can be verified; the archive keeps it with the part flagged (NOT_PDF,
    UNSIGNED), so staff see what came.
    """
    return CRLF.join(
        [
            f"From: {SENDER}".encode(),
            f"To: {to}".encode(),
            f"Subject: load {token}".encode(),
            f"X-Token: {token}".encode(),
            b'Content-Type: multipart/mixed; boundary="never-closed"',
            b"",
            b"--never-closed",
            b"Content-Type: application/pdf",
            b"Content-Transfer-Encoding: base64",
            b"",
            b"!!!! not base64, not a pdf ????",
            b"",
        ]
    )


def token_of(raw: bytes) -> str | None:
    """The X-Token a message was built with (None for bytes not made here)."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    for line in head.split(CRLF):
        if line.lower().startswith(b"x-token:"):
            return line.split(b":", 1)[1].strip().decode()
    return None
