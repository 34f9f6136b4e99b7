"""CMS SignedData (RFC 5652) read into plain values, and the per-signer cryptographic checks.

Parsing is eager: everything later code touches is decoded here, inside one guard, so malformed
input surfaces as `FormatError` at the door rather than as a stray exception deep inside
validation. Input size is capped and the outer DER header is checked before asn1crypto sees the
bytes, so garbage, truncated files and huge random files are refused at once.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from asn1crypto import cms, core

from . import algorithms
from . import der as der_walk
from .asn1 import OID_CERTIFICATE_VALUES, OID_CONTENT_TIMESTAMP, OID_REVOCATION_VALUES
from .certs import Certificate, name_key, pem_blocks
from .digests import ContentDigests
from .errors import FormatError, VerifyError

MAX_CMS_SIZE = 64 * 1024 * 1024

OID_SIGNED_DATA = "1.2.840.113549.1.7.2"
OID_DATA = "1.2.840.113549.1.7.1"
OID_TST_INFO = "1.2.840.113549.1.9.16.1.4"
OID_CONTENT_TYPE = "1.2.840.113549.1.9.3"
OID_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
OID_SIGNING_TIME = "1.2.840.113549.1.9.5"
OID_SIGNING_CERTIFICATE = "1.2.840.113549.1.9.16.2.12"
OID_SIGNING_CERTIFICATE_V2 = "1.2.840.113549.1.9.16.2.47"
OID_SIGNATURE_TIMESTAMP = "1.2.840.113549.1.9.16.2.14"
OID_SHA1 = "1.3.14.3.2.26"
OID_SHA256 = "2.16.840.1.101.3.4.2.1"
OID_OCSP_RESPONSE_FORMAT = "1.3.6.1.5.5.7.16.2"


@dataclass(frozen=True)
class CertRef:
    """One ESSCertID(v2) of a signingCertificate(V2) attribute."""

    hash_oid: str
    cert_hash: bytes
    issuer_keys: tuple[Any, ...] | None  # name keys of the directoryName issuers, if given
    serial: int | None


@dataclass(frozen=True)
class SignerData:
    """One SignerInfo, decoded."""

    index: int
    sid_kind: str  # "issuer_serial" | "key_identifier"
    sid_issuer_key: tuple[Any, ...] | None
    sid_serial: int | None
    sid_key_id: bytes | None
    digest_oid: str
    signature_oid: str
    signature_algorithm: Any = field(repr=False)
    signature: bytes = field(repr=False)
    signed_attrs_der: bytes | None = field(repr=False)
    signed_attrs: dict[str, tuple[Any, ...]] = field(repr=False)
    unsigned_attrs: dict[str, tuple[Any, ...]] = field(repr=False)
    duplicate_attrs: tuple[str, ...] = ()

    # --- signed attributes -------------------------------------------------------------

    @property
    def has_signed_attrs(self) -> bool:
        return self.signed_attrs_der is not None

    def _single(self, oid: str) -> Any | None:
        values = self.signed_attrs.get(oid)
        if not values:
            return None
        return values[0]

    @property
    def content_type(self) -> str | None:
        v = self._single(OID_CONTENT_TYPE)
        return v if isinstance(v, str) else None

    @property
    def message_digest(self) -> bytes | None:
        v = self._single(OID_MESSAGE_DIGEST)
        return v if isinstance(v, bytes) else None

    @property
    def signing_time(self) -> datetime | None:
        v = self._single(OID_SIGNING_TIME)
        return v if isinstance(v, datetime) else None

    @property
    def cert_refs(self) -> tuple[CertRef, ...]:
        refs = self.signed_attrs.get(OID_SIGNING_CERTIFICATE_V2) or self.signed_attrs.get(
            OID_SIGNING_CERTIFICATE
        )
        return tuple(ref for group in refs or () for ref in group)

    @property
    def content_timestamps(self) -> tuple[bytes, ...]:
        return tuple(self.signed_attrs.get(OID_CONTENT_TIMESTAMP, ()))

    # --- unsigned attributes -----------------------------------------------------------

    @property
    def signature_timestamps(self) -> tuple[bytes, ...]:
        return tuple(self.unsigned_attrs.get(OID_SIGNATURE_TIMESTAMP, ()))

    @property
    def certificate_values(self) -> tuple[tuple[bytes, ...], ...]:
        """One tuple of certificate DERs per certificateValues attribute value."""
        return tuple(self.unsigned_attrs.get(OID_CERTIFICATE_VALUES, ()))

    @property
    def revocation_values(self) -> tuple[tuple[tuple[str, bytes], ...], ...]:
        """Per revocationValues value: ("crl" | "ocsp_basic", DER) pairs."""
        return tuple(self.unsigned_attrs.get(OID_REVOCATION_VALUES, ()))

    def signed_bytes(self, content: bytes) -> bytes:
        """What the signature covers: the DER SET OF signed attributes, else the content."""
        return self.signed_attrs_der if self.signed_attrs_der is not None else content

    def matches(self, cert: Certificate) -> bool:
        if self.sid_kind == "issuer_serial":
            return cert.serial == self.sid_serial and cert.issuer_key == self.sid_issuer_key
        return self.sid_key_id is not None and cert.key_id == self.sid_key_id


@dataclass(frozen=True)
class SignedData:
    """A CMS SignedData, decoded."""

    econtent_type: str
    content: bytes | None = field(repr=False)
    certificates: tuple[Certificate, ...]
    unreadable_certificates: int
    crls: tuple[bytes, ...] = field(repr=False)
    ocsp_responses: tuple[bytes, ...] = field(repr=False)
    signers: tuple[SignerData, ...]

    @property
    def attached(self) -> bool:
        return self.content is not None


@dataclass(frozen=True)
class DecodedSignature:
    """A SignedData together with the exact bytes it was decoded from.

    Receiving a message decodes each signature to see what it covers (`ingest.parcels.pairing`);
    the verifier takes that decoded value instead of decoding the same bytes again, but only for
    the very bytes it was asked to check (`for_input`), so what is verified is always what came.
    """

    data: bytes = field(repr=False)
    signed_data: SignedData

    def for_input(self, data: bytes, max_size: int) -> SignedData | None:
        """The decoded value when `data` is what it was decoded from (and within `max_size`,
        which the caller's own decode would enforce), else None."""
        if len(data) > max_size or not (data is self.data or data == self.data):
            return None
        return self.signed_data


def decode_signature(data: bytes) -> DecodedSignature:
    """`parse_signed_data` kept with its input; raises FormatError like it."""
    return DecodedSignature(data, parse_signed_data(data))


def _strip_envelope(data: bytes, max_size: int) -> bytes:
    if len(data) > max_size:
        raise FormatError(f"input is {len(data)} bytes, more than the {max_size} byte limit")
    if not data:
        raise FormatError("input is empty")
    head = data.lstrip()[:11]
    if head.startswith(b"-----BEGIN"):
        blocks = pem_blocks(data)
        if not blocks:
            raise FormatError("PEM input without a complete block")
        data = blocks[0][1]
    elif head.startswith(b"%PDF"):
        raise FormatError("input is a PDF document, not a CMS signature")
    if len(data) < 2 or data[0] != 0x30:
        raise FormatError("input is not DER: it does not start with a SEQUENCE")
    length_byte = data[1]
    if length_byte == 0x80:
        return data  # BER indefinite length; asn1crypto handles it
    if length_byte < 0x80:
        total = 2 + length_byte
    else:
        n = length_byte & 0x7F
        if n > 8 or len(data) < 2 + n:
            raise FormatError("input is not DER: bad length")
        total = 2 + n + int.from_bytes(data[2 : 2 + n], "big")
    if total > len(data):
        raise FormatError(f"input is truncated: DER says {total} bytes, file has {len(data)}")
    return data[:total]


def parse_signed_data(data: bytes, *, max_size: int = MAX_CMS_SIZE) -> SignedData:
    """Decode a ContentInfo holding SignedData (DER, BER or PEM). Raises FormatError only."""
    der = _strip_envelope(bytes(data), max_size)
    try:
        info = cms.ContentInfo.load(der)
        ctype = info["content_type"].dotted
        if ctype != OID_SIGNED_DATA:
            raise FormatError(f"CMS content type is {ctype}, not SignedData")
        sd = info["content"]
        raw_certs, raw_signers = der_walk.signed_data_parts(der)
        return _decode_signed_data(sd, der, raw_certs, raw_signers)
    except VerifyError:
        raise
    except Exception as exc:
        raise FormatError(f"not a readable CMS SignedData: {_short(exc)}") from None


@lru_cache(maxsize=256)
def _certificate(raw: bytes) -> Certificate:
    """A certificate carried in a message, parsed once per distinct DER.

    Every copy from the same sender carries the same signer and CA certificates, and parsing
    one (asn1crypto, names, extensions) costs about as much as hashing a 300 KB copy with the
    C kernels. Certificate is an immutable value keyed by its bytes, so a memo of the parse is
    safe; an unreadable certificate raises and is not memoised.
    """
    return Certificate.from_der(raw)


def _decode_signed_data(
    sd: cms.SignedData, der: bytes, raw_certs: list[bytes], raw_signers: list[der_walk.Tlv]
) -> SignedData:
    eci = sd["encap_content_info"]
    econtent_type = eci["content_type"].dotted
    content_obj = eci["content"]
    content: bytes | None
    if content_obj is None or isinstance(content_obj, core.Void):
        content = None
    else:
        content = _octets(content_obj)

    certificates: list[Certificate] = []
    unreadable = 0
    # Cut out of the input as received: a re-encoding could differ from what was signed.
    for raw_cert in raw_certs:
        try:
            certificates.append(_certificate(raw_cert))
        except FormatError:
            unreadable += 1

    crls: list[bytes] = []
    ocsp_responses: list[bytes] = []
    crl_set = sd["crls"]
    if crl_set is not None and not isinstance(crl_set, core.Void):
        for choice in crl_set:
            if choice.name == "crl":
                crls.append(der_walk.received(choice.chosen))
            elif choice.name == "other":
                other = choice.chosen
                if other["other_rev_info_format"].dotted == OID_OCSP_RESPONSE_FORMAT:
                    ocsp_responses.append(der_walk.received(other["other_rev_info"]))

    infos = list(sd["signer_infos"])
    if len(infos) != len(raw_signers):
        raise FormatError("SignerInfos could not be located in the input")
    signers = tuple(
        _decode_signer(i, si, der_walk.signed_attributes(der, raw_signers[i]))
        for i, si in enumerate(infos)
    )
    if not signers:
        raise FormatError("SignedData has no signers")
    return SignedData(
        econtent_type=econtent_type,
        content=content,
        certificates=tuple(certificates),
        unreadable_certificates=unreadable,
        crls=tuple(crls),
        ocsp_responses=tuple(ocsp_responses),
        signers=signers,
    )


def _octets(value: Any) -> bytes:
    if isinstance(value, core.OctetString | core.ParsableOctetString):
        return bytes(value.__bytes__())
    if isinstance(value, core.Any):
        inner = value.parsed
        if isinstance(inner, core.OctetString):
            return bytes(inner.native)  # merges BER constructed chunks
        value = inner
    # PKCS#7 v1.5 style: the eContent is the value itself; its contents octets are signed.
    return bytes(value.contents)


def _decode_signer(index: int, si: cms.SignerInfo, raw_signed_attrs: bytes | None) -> SignerData:
    sid = si["sid"]
    sid_issuer_key = None
    sid_serial = None
    sid_key_id = None
    if sid.name == "issuer_and_serial_number":
        kind = "issuer_serial"
        sid_issuer_key = name_key(sid.chosen["issuer"])
        sid_serial = int(sid.chosen["serial_number"].native)
    else:
        kind = "key_identifier"
        sid_key_id = bytes(sid.chosen.native)

    digest_oid = si["digest_algorithm"]["algorithm"].dotted
    sig_alg = si["signature_algorithm"]
    signature_oid = sig_alg["algorithm"].dotted
    signature = bytes(si["signature"].native)

    signed_attrs_der = None
    signed: dict[str, tuple[Any, ...]] = {}
    duplicates: list[str] = []
    attrs = si["signed_attrs"]
    if attrs is not None and not isinstance(attrs, core.Void) and len(attrs) > 0:
        # Signed over as an explicit SET OF (RFC 5652 5.4), not the [0] IMPLICIT tag: the
        # received bytes re-tagged; only BER indefinite-length input is DER-encoded first.
        signed_attrs_der = raw_signed_attrs
        if signed_attrs_der is None:
            signed_attrs_der = b"\x31" + attrs.dump(force=True)[1:]
        signed = _decode_attrs(attrs, duplicates)
    unsigned: dict[str, tuple[Any, ...]] = {}
    uattrs = si["unsigned_attrs"]
    if uattrs is not None and not isinstance(uattrs, core.Void):
        unsigned = _decode_attrs(uattrs, [])
    return SignerData(
        index=index,
        sid_kind=kind,
        sid_issuer_key=sid_issuer_key,
        sid_serial=sid_serial,
        sid_key_id=sid_key_id,
        digest_oid=digest_oid,
        signature_oid=signature_oid,
        signature_algorithm=sig_alg,
        signature=signature,
        signed_attrs_der=signed_attrs_der,
        signed_attrs=signed,
        unsigned_attrs=unsigned,
        duplicate_attrs=tuple(duplicates),
    )


def _decode_attrs(attrs: Any, duplicates: list[str]) -> dict[str, tuple[Any, ...]]:
    out: dict[str, list[Any]] = {}
    for attr in attrs:
        oid = attr["type"].dotted
        if oid in out:
            duplicates.append(oid)
        values = out.setdefault(oid, [])
        for value in attr["values"]:
            values.append(_decode_attr_value(oid, value))
    return {k: tuple(v) for k, v in out.items()}


def _decode_attr_value(oid: str, value: Any) -> Any:
    if oid == OID_CONTENT_TYPE:
        return value.dotted
    if oid == OID_MESSAGE_DIGEST:
        return bytes(value.native)
    if oid == OID_SIGNING_TIME:
        return value.native
    if oid == OID_SIGNING_CERTIFICATE_V2:
        return tuple(_cert_ref(c, v2=True) for c in value["certs"])
    if oid == OID_SIGNING_CERTIFICATE:
        return tuple(_cert_ref(c, v2=False) for c in value["certs"])
    if oid in (OID_SIGNATURE_TIMESTAMP, OID_CONTENT_TIMESTAMP):
        return der_walk.received(value)
    if oid == OID_CERTIFICATE_VALUES:
        return tuple(der_walk.received(c) for c in value)
    if oid == OID_REVOCATION_VALUES:
        out: list[tuple[str, bytes]] = []
        crl_vals = value["crl_vals"]
        if crl_vals is not None and not isinstance(crl_vals, core.Void):
            out.extend(("crl", der_walk.received(c)) for c in crl_vals)
        ocsp_vals = value["ocsp_vals"]
        if ocsp_vals is not None and not isinstance(ocsp_vals, core.Void):
            out.extend(("ocsp_basic", der_walk.received(o)) for o in ocsp_vals)
        return tuple(out)
    return value


def _cert_ref(ess: Any, *, v2: bool) -> CertRef:
    if v2:
        hash_alg = ess["hash_algorithm"]
        hash_oid = hash_alg["algorithm"].dotted if hash_alg is not None else OID_SHA256
    else:
        hash_oid = OID_SHA1
    issuer_keys = None
    serial = None
    issuer_serial = ess["issuer_serial"]
    if issuer_serial is not None and not isinstance(issuer_serial, core.Void):
        keys = []
        for general_name in issuer_serial["issuer"]:
            if general_name.name == "directory_name":
                keys.append(name_key(general_name.chosen))
        issuer_keys = tuple(keys)
        serial = int(issuer_serial["serial_number"].native)
    return CertRef(
        hash_oid=hash_oid,
        cert_hash=bytes(ess["cert_hash"].native),
        issuer_keys=issuer_keys,
        serial=serial,
    )


# --- per-signer checks ----------------------------------------------------------------


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    detail: str


def check_message_digest(
    signer: SignerData,
    content: bytes,
    dke: bytes | None,
    digests: ContentDigests | None = None,
) -> CheckResult:
    """messageDigest equals the digest of the content.

    For GOST 34.311 the S-box of the signer's key parameters is tried first, then DKE No.1
    (only when the first does not match). `digests` are the content's digests already computed
    by the caller (pairing); they are used only when they are of this very content.
    """
    expected = signer.message_digest
    if expected is None:
        return CheckResult(False, "signed attributes lack messageDigest")
    if digests is None or not digests.for_content(content):
        digests = ContentDigests(content)
    sboxes: list[bytes | None] = [dke]
    if dke is not None and signer.digest_oid == algorithms.OID_GOST34311:
        # Producers differ on whether the content hash uses the key's S-box or DKE No.1.
        sboxes.append(None)
    candidates = (digests.of(signer.digest_oid, sbox) for sbox in sboxes)  # lazy: see above
    if any(hmac.compare_digest(actual, expected) for actual in candidates):
        return CheckResult(True, f"{algorithms.algorithm_name(signer.digest_oid)} digest matches")
    return CheckResult(False, "content digest does not match the signed messageDigest")


def check_signing_certificate(
    signer: SignerData, cert: Certificate, dke: bytes | None
) -> CheckResult | None:
    """The signingCertificate(V2) binding; None when the attribute is absent."""
    refs = signer.cert_refs
    if not refs:
        return None
    first = refs[0]
    candidates = [algorithms.digest(first.hash_oid, cert.der)]
    if dke is not None and first.hash_oid == algorithms.OID_GOST34311:
        candidates.append(algorithms.digest(first.hash_oid, cert.der, dke))
    if not any(hmac.compare_digest(c, first.cert_hash) for c in candidates):
        return CheckResult(False, "signingCertificate hash does not match the signer certificate")
    if first.serial is not None:
        if first.serial != cert.serial:
            return CheckResult(False, "signingCertificate issuerSerial names another serial")
        if first.issuer_keys and cert.issuer_key not in first.issuer_keys:
            return CheckResult(False, "signingCertificate issuerSerial names another issuer")
    return CheckResult(True, "signingCertificate binds the signer certificate")


def check_signature(signer: SignerData, cert: Certificate, content: bytes) -> CheckResult:
    """The signature value over the signed attributes (or the content when there are none)."""
    ok = algorithms.verify_with_key(
        cert.spki,
        signer.signature_algorithm,
        signer.signature,
        signer.signed_bytes(content),
        form="cms",
        digest_algorithm=signer.digest_oid,
    )
    if ok:
        return CheckResult(True, f"{algorithms.algorithm_name(signer.signature_oid)} verifies")
    return CheckResult(False, "the signature value does not verify with the signer's key")


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:160]
