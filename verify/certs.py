"""X.509 certificates as plain values: names decoded, extensions read defensively.

Real Ukrainian certificates bend the rules (an authorityKeyIdentifier that is a bare OCTET
STRING, a privateKeyUsagePeriod with constructed times), so every extension is read on its own and
an unreadable one is recorded instead of making the whole certificate unreadable; only the
signature-relevant core (names, validity, key, signature) must parse.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from asn1crypto import core, keys, x509

from . import asn1 as _asn1  # noqa: F401  (OID registrations)
from . import der as der_walk
from .asn1 import OID_UA_DRFO, OID_UA_EDRPOU
from .errors import FormatError

OID_SKI = "2.5.29.14"
OID_AKI = "2.5.29.35"
OID_KEY_USAGE = "2.5.29.15"
OID_BASIC_CONSTRAINTS = "2.5.29.19"
OID_EXT_KEY_USAGE = "2.5.29.37"
OID_SUBJECT_DIRECTORY = "2.5.29.9"
OID_KP_OCSP_SIGNING = "1.3.6.1.5.5.7.3.9"
OID_KP_TIME_STAMPING = "1.3.6.1.5.5.7.3.8"

# Critical extensions we either process or that carry no constraint a relying party must
# enforce for signature validation (policies are accepted as any-policy; qcStatements and SAN
# are informative here).
HANDLED_CRITICAL = frozenset(
    {
        OID_SKI,
        OID_AKI,
        OID_KEY_USAGE,
        OID_BASIC_CONSTRAINTS,
        OID_EXT_KEY_USAGE,
        OID_SUBJECT_DIRECTORY,
        "2.5.29.16",  # privateKeyUsagePeriod
        "2.5.29.17",  # subjectAltName
        "2.5.29.18",  # issuerAltName
        "2.5.29.32",  # certificatePolicies
        "2.5.29.31",  # cRLDistributionPoints
        "2.5.29.46",  # freshestCRL
        "1.3.6.1.5.5.7.1.1",  # authorityInfoAccess
        "1.3.6.1.5.5.7.1.3",  # qcStatements
        "1.3.6.1.5.5.7.1.11",  # subjectInfoAccess
        "1.3.6.1.5.5.7.48.1.5",  # id-pkix-ocsp-nocheck
    }
)

MAX_CERT_SIZE = 1 << 20

_SHORT = {
    "2.5.4.3": "CN",
    "2.5.4.4": "SN",
    "2.5.4.42": "G",
    "2.5.4.5": "SERIALNUMBER",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.9": "STREET",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.12": "T",
    "2.5.4.97": "organizationIdentifier",
    "1.2.840.113549.1.9.1": "E",
}


class _RawExtension(core.Sequence):
    """An Extension with its value left as bytes, so one bad value spoils only itself."""

    _fields = [  # noqa: RUF012 - asn1crypto's declarative spec
        ("extn_id", core.ObjectIdentifier),
        ("critical", core.Boolean, {"default": False}),
        ("extn_value", core.OctetString),
    ]


_EXT_SPECS: dict[str, type[core.Asn1Value]] = {
    OID_SKI: core.OctetString,
    OID_AKI: x509.AuthorityKeyIdentifier,
    OID_KEY_USAGE: x509.KeyUsage,
    OID_BASIC_CONSTRAINTS: x509.BasicConstraints,
    OID_EXT_KEY_USAGE: x509.ExtKeyUsageSyntax,
}


def _attr_text(value: Any) -> str:
    """Decode a name attribute value (UTF8String, BMPString, PrintableString, ...)."""
    try:
        native = value.native
    except Exception:
        native = None
    if isinstance(native, str):
        return native
    if isinstance(native, bytes):
        for enc in ("utf-8", "utf-16-be", "latin-1"):
            try:
                return native.decode(enc)
            except UnicodeDecodeError:
                continue
    try:
        return value.dump().hex()
    except Exception:
        return "?"


def name_attributes(name: x509.Name) -> list[tuple[str, str]]:
    """(oid, text) pairs of a Name in its own order."""
    out: list[tuple[str, str]] = []
    for rdn in name.chosen:
        for atv in rdn:
            out.append((atv["type"].dotted, _attr_text(atv["value"])))
    return out


def name_text(name: x509.Name) -> str:
    """A readable one-line form, most specific attribute first (CN, O, ...)."""
    attrs = name_attributes(name)
    order = ["2.5.4.3", "2.5.4.4", "2.5.4.42", "2.5.4.10", "2.5.4.11", "2.5.4.97", "2.5.4.5"]
    ranked = sorted(attrs, key=lambda a: order.index(a[0]) if a[0] in order else len(order))
    return ", ".join(f"{_SHORT.get(oid, oid)}={text}" for oid, text in ranked)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def name_key(name: x509.Name) -> tuple[tuple[tuple[str, str], ...], ...]:
    """A comparison key for names (RFC 5280 7.1 style: case and whitespace insensitive)."""
    rdns = []
    for rdn in name.chosen:
        rdns.append(
            tuple(sorted((atv["type"].dotted, _norm(_attr_text(atv["value"]))) for atv in rdn))
        )
    return tuple(rdns)


@dataclass(frozen=True, eq=False)
class Certificate:
    """A parsed certificate. Equality is by DER bytes."""

    der: bytes
    asn1: x509.Certificate = field(repr=False)
    sha256: str
    subject_key: tuple[Any, ...] = field(repr=False)
    issuer_key: tuple[Any, ...] = field(repr=False)
    subject: str
    issuer: str
    serial: int
    not_before: datetime
    not_after: datetime
    signature_algorithm: str
    key_algorithm: str
    extensions: dict[str, Any] = field(repr=False)
    critical: frozenset[str] = field(repr=False)
    bad_extensions: tuple[str, ...] = ()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Certificate) and other.der == self.der

    def __hash__(self) -> int:
        return hash(self.der)

    @classmethod
    def from_der(cls, der: bytes) -> Certificate:
        if len(der) > MAX_CERT_SIZE:
            raise FormatError("certificate larger than 1 MiB")
        try:
            cert = x509.Certificate.load(bytes(der), strict=True)
            tbs = cert["tbs_certificate"]
            subject = tbs["subject"]
            issuer = tbs["issuer"]
            validity = tbs["validity"]
            not_before = validity["not_before"].native
            not_after = validity["not_after"].native
            spki = tbs["subject_public_key_info"]
            key_alg = spki["algorithm"]["algorithm"].dotted
            spki["public_key"].native  # noqa: B018 - force the lazy parse now
            sig_alg = cert["signature_algorithm"]["algorithm"].dotted
            cert["signature_value"].native  # noqa: B018
            serial = int(tbs["serial_number"].native)
            subject_key = name_key(subject)
            issuer_key = name_key(issuer)
            subject_txt = name_text(subject)
            issuer_txt = name_text(issuer)
            exts_raw = tbs["extensions"]
            raw_list = [der_walk.received(e) for e in exts_raw] if exts_raw is not None else []
        except FormatError:
            raise
        except Exception as exc:
            raise FormatError(f"not a readable X.509 certificate: {_short(exc)}") from None
        if not isinstance(not_before, datetime) or not isinstance(not_after, datetime):
            raise FormatError("certificate validity is not a time")
        extensions: dict[str, Any] = {}
        critical: set[str] = set()
        bad: list[str] = []
        for raw in raw_list:
            try:
                ext = _RawExtension.load(raw)
                oid = ext["extn_id"].dotted
                is_critical = bool(ext["critical"].native)
                value = bytes(ext["extn_value"].native)
            except Exception:
                bad.append("?")
                continue
            if is_critical:
                critical.add(oid)
            extensions[oid] = _parse_extension(oid, value, bad)
        return cls(
            der=bytes(der),
            asn1=cert,
            sha256=hashlib.sha256(der).hexdigest(),
            subject_key=subject_key,
            issuer_key=issuer_key,
            subject=subject_txt,
            issuer=issuer_txt,
            serial=serial,
            not_before=not_before,
            not_after=not_after,
            signature_algorithm=sig_alg,
            key_algorithm=key_alg,
            extensions=extensions,
            critical=frozenset(critical),
            bad_extensions=tuple(bad),
        )

    # --- identity -----------------------------------------------------------------------

    @cached_property
    def subject_attributes(self) -> list[tuple[str, str]]:
        return name_attributes(self.asn1["tbs_certificate"]["subject"])

    def _subject_attr(self, oid: str) -> str | None:
        for attr_oid, text in self.subject_attributes:
            if attr_oid == oid:
                return text
        return None

    @property
    def common_name(self) -> str | None:
        return self._subject_attr("2.5.4.3")

    @property
    def organization_identifier(self) -> str | None:
        return self._subject_attr("2.5.4.97")

    @property
    def subject_serial_number(self) -> str | None:
        return self._subject_attr("2.5.4.5")

    @property
    def serial_hex(self) -> str:
        return format(self.serial, "x")

    @property
    def subject_name(self) -> x509.Name:
        return self.asn1["tbs_certificate"]["subject"]

    @property
    def issuer_name(self) -> x509.Name:
        return self.asn1["tbs_certificate"]["issuer"]

    @property
    def spki(self) -> keys.PublicKeyInfo:
        return self.asn1["tbs_certificate"]["subject_public_key_info"]

    @cached_property
    def tbs_der(self) -> bytes:
        """The TBSCertificate exactly as it appears in `der`, never a re-encoding."""
        return der_walk.tbs_certificate(self.der)

    @property
    def signature_value(self) -> bytes:
        return bytes(self.asn1["signature_value"].native)

    @property
    def signature_algorithm_asn1(self) -> Any:
        return self.asn1["signature_algorithm"]

    @property
    def directory_attributes(self) -> dict[str, str]:
        """Ukrainian subjectDirectoryAttributes: taxpayer numbers (DRFO, EDRPOU) if present."""
        return dict(self.extensions.get(OID_SUBJECT_DIRECTORY) or {})

    @property
    def edrpou(self) -> str | None:
        return self.directory_attributes.get(OID_UA_EDRPOU)

    @property
    def drfo(self) -> str | None:
        return self.directory_attributes.get(OID_UA_DRFO)

    # --- extensions -----------------------------------------------------------------------

    @property
    def ski(self) -> bytes | None:
        value = self.extensions.get(OID_SKI)
        return value if isinstance(value, bytes) else None

    @property
    def aki(self) -> bytes | None:
        value = self.extensions.get(OID_AKI)
        return value if isinstance(value, bytes) else None

    @property
    def key_usage(self) -> frozenset[str] | None:
        value = self.extensions.get(OID_KEY_USAGE)
        return value if isinstance(value, frozenset) else None

    @property
    def ext_key_usage(self) -> frozenset[str] | None:
        value = self.extensions.get(OID_EXT_KEY_USAGE)
        return value if isinstance(value, frozenset) else None

    @property
    def basic_constraints(self) -> tuple[bool, int | None] | None:
        value = self.extensions.get(OID_BASIC_CONSTRAINTS)
        return value if isinstance(value, tuple) else None

    @property
    def is_ca(self) -> bool:
        bc = self.basic_constraints
        return bool(bc and bc[0])

    @property
    def unknown_critical(self) -> tuple[str, ...]:
        return tuple(sorted(self.critical - HANDLED_CRITICAL))

    @property
    def self_issued(self) -> bool:
        return self.subject_key == self.issuer_key

    @cached_property
    def key_id(self) -> bytes:
        """SKI if present, else SHA-1 of the public key bits (RFC 5280 method 1)."""
        if self.ski is not None:
            return self.ski
        try:
            bits = self.spki["public_key"].dump()[2:]
        except Exception:
            bits = b""
        return hashlib.sha1(bits).digest()

    def valid_at(self, when: datetime) -> bool:
        return self.not_before <= when <= self.not_after


def _parse_extension(oid: str, value: bytes, bad: list[str]) -> Any:
    if oid == OID_SUBJECT_DIRECTORY:
        return _parse_directory_attributes(value, bad)
    spec = _EXT_SPECS.get(oid)
    if spec is None:
        return value
    try:
        parsed = spec.load(value, strict=True)
        native = parsed.native
    except Exception:
        if oid == OID_AKI:
            # Seen in real Ukrainian certificates: the key identifier as a bare OCTET STRING.
            try:
                return bytes(core.OctetString.load(value, strict=True).native)
            except Exception:
                pass
        bad.append(oid)
        return None
    if oid == OID_SKI:
        return bytes(native)
    if oid == OID_AKI:
        kid = native.get("key_identifier")
        return bytes(kid) if kid is not None else None
    if oid == OID_KEY_USAGE:
        return frozenset(native)
    if oid == OID_EXT_KEY_USAGE:
        return frozenset(parsed[i].dotted for i in range(len(parsed)))
    if oid == OID_BASIC_CONSTRAINTS:
        return (bool(native.get("ca")), native.get("path_len_constraint"))
    return native


class _Attribute(core.Sequence):
    _fields = [("type", core.ObjectIdentifier), ("values", core.SetOf, {"spec": core.Any})]  # noqa: RUF012


class _Attributes(core.SequenceOf):
    _child_spec = _Attribute


def _parse_directory_attributes(value: bytes, bad: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    try:
        attrs = _Attributes.load(value, strict=True)
        for attr in attrs:
            oid = attr["type"].dotted
            for v in attr["values"]:
                parsed = v.parsed
                text = parsed.native if isinstance(parsed.native, str) else _attr_text(parsed)
                out[oid] = text
                break
    except Exception:
        bad.append(OID_SUBJECT_DIRECTORY)
    return out


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:160]


_PEM_RE = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\s*(.*?)\s*-----END \1-----", re.DOTALL)


def pem_blocks(data: bytes) -> list[tuple[str, bytes]]:
    """(label, DER) for every PEM block in `data`."""
    out = []
    for m in _PEM_RE.finditer(data):
        try:
            der = base64.b64decode(re.sub(rb"\s+", b"", m.group(2)), validate=True)
        except ValueError:
            raise FormatError(f"bad base64 in PEM block {m.group(1).decode()}") from None
        out.append((m.group(1).decode("ascii"), der))
    return out


def load_certificate(data: bytes) -> Certificate:
    """One certificate from DER or PEM bytes."""
    if data.lstrip().startswith(b"-----BEGIN"):
        blocks = [der for label, der in pem_blocks(data) if "CERTIFICATE" in label]
        if not blocks:
            raise FormatError("PEM without a CERTIFICATE block")
        return Certificate.from_der(blocks[0])
    return Certificate.from_der(data)
