"""The trust store: trust anchors kept apart from untrusted intermediates, and imported CRLs.

Inputs are what an admin imports by hand: DER or PEM certificates, folders of them, `.p7b`
bundles (a CMS SignedData whose `certificates` field is the bundle, like `CACertificates.p7b`),
CRL files, and ETSI TS 119 612 trusted lists (`TL-UA-DSTU.xml`). Nothing is fetched.

The trusted list's own XML signature is NOT verified: the file is trusted because the admin
imported it. Only the ServiceDigitalIdentity certificates of TSP services whose current status
is not withdrawn are taken.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from asn1crypto import cms, x509
from asn1crypto import crl as asn1_crl

from . import asn1 as _asn1  # noqa: F401  (OID registrations)
from . import der as der_walk
from .certs import Certificate, pem_blocks
from .errors import FormatError, VerifyError

MAX_TRUST_FILE = 64 * 1024 * 1024
MAX_FILES = 10_000


@dataclass(frozen=True)
class Material:
    """What one or more files contained."""

    certificates: tuple[Certificate, ...] = ()
    crls: tuple[bytes, ...] = ()
    skipped: tuple[str, ...] = ()

    def __add__(self, other: Material) -> Material:
        return Material(
            self.certificates + other.certificates,
            self.crls + other.crls,
            self.skipped + other.skipped,
        )


@dataclass(frozen=True)
class TrustStore:
    """Anchors (trusted) and intermediates (only path-building material), plus CRLs."""

    anchors: tuple[Certificate, ...] = ()
    intermediates: tuple[Certificate, ...] = ()
    crls: tuple[bytes, ...] = field(default=(), repr=False)
    skipped: tuple[str, ...] = ()

    @classmethod
    def load(
        cls,
        paths: Sequence[str | Path],
        *,
        intermediates: Sequence[str | Path] = (),
    ) -> TrustStore:
        """Anchors from `paths`, untrusted intermediates (and CRLs) from `intermediates`."""
        return cls.from_material(load_paths(paths), load_paths(intermediates))

    @classmethod
    def from_material(cls, trusted: Material, extra: Material | None = None) -> TrustStore:
        """Anchors from `trusted`, intermediates from `extra`; CRLs and skip notes from both."""
        extra = extra if extra is not None else Material()
        return cls.from_certificates(
            trusted.certificates,
            extra.certificates,
            crls=trusted.crls + extra.crls,
            skipped=trusted.skipped + extra.skipped,
        )

    @classmethod
    def from_certificates(
        cls,
        anchors: Iterable[Certificate | bytes],
        intermediates: Iterable[Certificate | bytes] = (),
        *,
        crls: Iterable[bytes] = (),
        skipped: Iterable[str] = (),
    ) -> TrustStore:
        anchor_list = _unique(_as_cert(c) for c in anchors)
        anchor_set = set(anchor_list)
        inter = [c for c in _unique(_as_cert(c) for c in intermediates) if c not in anchor_set]
        return cls(tuple(anchor_list), tuple(inter), tuple(crls), tuple(skipped))

    def is_anchor(self, cert: Certificate) -> bool:
        """An anchor is trusted by its name and key, so a re-issued copy counts as well."""
        if cert in self.anchors:
            return True
        spki = cert.spki.dump()
        return any(
            a.subject_key == cert.subject_key and a.spki.dump() == spki for a in self.anchors
        )

    def with_extra(
        self, certificates: Iterable[Certificate] = (), crls: Iterable[bytes] = ()
    ) -> TrustStore:
        return TrustStore.from_certificates(
            self.anchors,
            (*self.intermediates, *certificates),
            crls=(*self.crls, *crls),
            skipped=self.skipped,
        )


def _as_cert(value: Certificate | bytes) -> Certificate:
    return value if isinstance(value, Certificate) else Certificate.from_der(value)


def _unique(certs: Iterable[Certificate]) -> list[Certificate]:
    seen: set[Certificate] = set()
    out = []
    for cert in certs:
        if cert not in seen:
            seen.add(cert)
            out.append(cert)
    return out


# --- reading files ---------------------------------------------------------------------


def load_paths(paths: Sequence[str | Path]) -> Material:
    """Read files and folders. A named file that is unreadable raises FormatError; inside a
    folder such files are listed in `skipped` instead, so one stray file does not block import."""
    total = Material()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file())[:MAX_FILES]
            for file in files:
                try:
                    total = total + load_file(file)
                except VerifyError as exc:
                    total = total + Material(skipped=(f"{file}: {exc.detail}",))
        elif path.is_file():
            total = total + load_file(path)
        else:
            raise FormatError(f"{path}: no such file or folder")
    return total


def load_file(path: Path) -> Material:
    size = path.stat().st_size
    if size > MAX_TRUST_FILE:
        raise FormatError(f"{path}: larger than {MAX_TRUST_FILE} bytes")
    try:
        return load_bytes(path.read_bytes())
    except VerifyError as exc:
        raise FormatError(f"{path}: {exc.detail}") from None


def load_bytes(data: bytes) -> Material:
    """Certificates and CRLs from one file's bytes, whatever its format."""
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"<"):
        return Material(certificates=tuple(trusted_list_certificates(data)))
    if stripped.startswith(b"-----BEGIN"):
        out = Material()
        for label, der in pem_blocks(data):
            if "CERTIFICATE" in label:
                out = out + Material(certificates=(Certificate.from_der(der),))
            elif "CRL" in label:
                out = out + Material(crls=(_check_crl(der),))
            elif label in ("PKCS7", "CMS"):
                out = out + bundle_certificates(der)
        if not out.certificates and not out.crls:
            raise FormatError("PEM without certificates or CRLs")
        return out
    return _load_der(data)


def _load_der(data: bytes) -> Material:
    """DER has no label: try a certificate, a CRL, then a .p7b bundle."""
    for attempt in (
        lambda: Material(certificates=(Certificate.from_der(data),)),
        lambda: Material(crls=(_check_crl(data),)),
        lambda: bundle_certificates(data),
    ):
        try:
            return attempt()
        except VerifyError:
            continue
    raise FormatError("neither a certificate, a CRL, a .p7b bundle nor a trusted list")


def _check_crl(der: bytes) -> bytes:
    try:
        parsed = asn1_crl.CertificateList.load(der, strict=True)
        parsed["tbs_cert_list"]["issuer"].native  # noqa: B018 - force the lazy parse
        parsed["signature"].native  # noqa: B018
    except Exception:
        raise FormatError("not a readable CRL") from None
    return bytes(der)


def bundle_certificates(der: bytes) -> Material:
    """The `certificates` of a CMS SignedData (.p7b), each cut out of the file as it is.

    Signers, if any, are ignored. A certificate that cannot be read is skipped and named in
    `skipped` (its position, serial and subject where readable); the rest of the bundle is kept.
    """
    try:
        info = cms.ContentInfo.load(der, strict=True)
        if info["content_type"].dotted != "1.2.840.113549.1.7.2":
            raise FormatError("not a SignedData bundle")
        raw, _signers = der_walk.signed_data_parts(der)
    except VerifyError:
        raise
    except Exception:
        raise FormatError("not a readable .p7b bundle") from None
    if not raw:
        raise FormatError(".p7b bundle without certificates")
    certs: list[Certificate] = []
    skipped: list[str] = []
    for index, item in enumerate(raw, start=1):
        try:
            certs.append(Certificate.from_der(item))
        except VerifyError as exc:
            skipped.append(f"certificate #{index} ({_describe(item)}): {exc.detail}")
    if not certs:
        raise FormatError(".p7b bundle without a readable certificate")
    return Material(certificates=tuple(certs), skipped=tuple(skipped))


def _describe(der: bytes) -> str:
    """Serial and subject of an unreadable certificate, as far as they can be read."""
    try:
        tbs = x509.TbsCertificate.load(der_walk.tbs_certificate(der))
        serial = format(int(tbs["serial_number"].native), "x")
        return f"serial {serial}, {tbs['subject'].human_friendly}"
    except Exception:
        return f"{len(der)} octets, sha256 {hashlib.sha256(der).hexdigest()[:16]}"


_FORBIDDEN_XML = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_SKIPPED_STATUS = ("withdrawn", "revoked", "deprecatedatnationallevel")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def trusted_list_certificates(xml: bytes) -> list[Certificate]:
    """ServiceDigitalIdentity certificates of an ETSI TS 119 612 trusted list.

    Parsed with the standard library only after refusing any DTD or entity declaration, which
    rules out entity-expansion bombs and external entities (the defusedxml precautions).
    """
    if _FORBIDDEN_XML.search(xml):
        raise FormatError("trusted list contains a DTD or entity declaration; refused")
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise FormatError(f"trusted list is not well-formed XML: {exc}") from None
    if _local(root.tag) != "TrustServiceStatusList":
        raise FormatError("XML is not an ETSI TS 119 612 TrustServiceStatusList")
    certs: list[Certificate] = []
    for service in root.iter():
        if _local(service.tag) != "TSPService":
            continue
        info = next((c for c in service if _local(c.tag) == "ServiceInformation"), None)
        if info is None:
            continue
        status = next((e.text or "" for e in info.iter() if _local(e.tag) == "ServiceStatus"), "")
        if status.strip().lower().endswith(_SKIPPED_STATUS):
            continue
        for identity in info:
            if _local(identity.tag) != "ServiceDigitalIdentity":
                continue
            for element in identity.iter():
                if _local(element.tag) != "X509Certificate" or not element.text:
                    continue
                try:
                    der = base64.b64decode(re.sub(r"\s+", "", element.text), validate=True)
                except (binascii.Error, ValueError):
                    raise FormatError("trusted list has a certificate in bad base64") from None
                certs.append(Certificate.from_der(der))
    if not certs:
        raise FormatError("trusted list names no service certificates")
    return _unique(certs)
