"""A test PKI for the project's fixtures: root, a "Дія" provider CA, the "ДП «ДІЯ»" seal, an
invented citizen and a time-stamping authority, in a DSTU 4145 and an ECDSA P-256 flavour.

Why it lives in the package rather than under tests/: the ingest, search, web and privacy tests
and the benchmarks all need signed Diia-like copies, and the DSTU flavour can only be made with
our own DSTU 4145 signer (no other library signs it). Everything is built from asn1crypto
structures, so the DSTU certificates have exactly the shape of real Ukrainian ones (named curve
parameters, little-endian compressed key in an OCTET STRING, r||s signature) and the ECDSA
flavour is checked against `openssl cms -verify` by the tests.

Deterministic for a seed: the same seed and `now` give the same keys, certificates and
signatures (ECDSA uses RFC 6979 deterministic nonces; DSTU nonces come from the seeded RNG).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from asn1crypto import algos, cms, core, keys, tsp, x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from verify import asn1 as _asn1  # noqa: F401 - registers the Ukrainian OIDs with asn1crypto
from verify import dstu4145, dstu4145_asn1
from verify.asn1 import OID_DSTU4145_GOST_PB, OID_GOST34311
from verify.gost34311 import gost34311

Flavour = Literal["dstu", "ecdsa"]

#: The m=257 named curve (DSTU 4145-2002 table, index 6 in the OID arc ...3.1.1.2).
DSTU_CURVE_OID = "1.2.804.2.1.1.1.1.3.1.1.2.6"
DIIA_ORG_ID = "NTRUA-43395033"
DIIA_EDRPOU = "43395033"


@dataclass
class Key:
    """A private key of either flavour with what certificates and CMS need from it."""

    flavour: Flavour
    ecdsa: ec.EllipticCurvePrivateKey | None = None
    dstu_d: int = 0
    dstu_params: dstu4145_asn1.DstuParams | None = None
    dstu_params_der: bytes = b""
    seed: int = 0

    def public_key_info(self) -> keys.PublicKeyInfo:
        if self.ecdsa is not None:
            der = self.ecdsa.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            return keys.PublicKeyInfo.load(der)
        assert self.dstu_params is not None
        curve = self.dstu_params.curve
        point = dstu4145.public_point(curve, self.dstu_d)
        key_octets = dstu4145_asn1.encode_public_key(curve, point)
        algorithm = _tlv(
            0x30, core.ObjectIdentifier(OID_DSTU4145_GOST_PB).dump() + self.dstu_params_der
        )
        bit_string = _tlv(0x03, b"\x00" + key_octets)
        return keys.PublicKeyInfo.load(_tlv(0x30, algorithm + bit_string))

    @property
    def digest_oid(self) -> str:
        return "sha256" if self.ecdsa is not None else OID_GOST34311

    @property
    def signature_oid(self) -> str:
        return "sha256_ecdsa" if self.ecdsa is not None else OID_DSTU4145_GOST_PB

    def digest(self, data: bytes) -> bytes:
        if self.ecdsa is not None:
            return hashlib.sha256(data).digest()
        return gost34311(data)

    def sign(self, data: bytes, *, for_cms: bool) -> bytes:
        """Sign `data`; DSTU signatures are wrapped in an OCTET STRING inside certificates
        and bare r||s inside CMS, as real Ukrainian material has them."""
        if self.ecdsa is not None:
            return self.ecdsa.sign(data, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
        assert self.dstu_params is not None
        rng = random.Random(self.seed ^ int.from_bytes(hashlib.sha256(data).digest()[:8], "big"))
        e = rng.randrange(1, self.dstu_params.curve.n)
        return dstu4145_asn1.sign_digest(
            self.dstu_params, self.dstu_d, gost34311(data), e=e, wrapped=not for_cms
        )


def _tlv(tag: int, body: bytes) -> bytes:
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + body


def new_key(flavour: Flavour, rng: random.Random) -> Key:
    seed = rng.getrandbits(64)
    if flavour == "ecdsa":
        secret = rng.getrandbits(255) | 1
        return Key("ecdsa", ecdsa=ec.derive_private_key(secret, ec.SECP256R1()), seed=seed)
    params_der = dstu4145_asn1.encode_params(DSTU_CURVE_OID, None, None)
    params = dstu4145_asn1.parse_params(params_der)
    d = dstu4145.generate_private_key(params.curve, random.Random(seed))
    return Key("dstu", dstu_d=d, dstu_params=params, dstu_params_der=params_der, seed=seed)


@dataclass
class Party:
    """A certificate holder: its certificate (DER and parsed) and private key."""

    name: str
    cert: bytes
    key: Key

    @property
    def x509(self) -> x509.Certificate:
        return x509.Certificate.load(self.cert)


@dataclass
class TestPKI:
    flavour: Flavour
    now: dt.datetime
    root: Party
    ca: Party
    seal: Party
    citizen: Party
    tsa: Party
    serials: list[int] = field(default_factory=list)

    __test__ = False  # not a pytest test class

    @property
    def anchor(self) -> bytes:
        """The root certificate (DER): the trust anchor for this PKI's signatures."""
        return self.root.cert

    def chain_for(self, party: Party) -> list[bytes]:
        return [party.cert, self.ca.cert, self.root.cert]


def _name(
    cn: str,
    *,
    org: str,
    org_id: str | None = None,
    serial: str | None = None,
    given: str | None = None,
    surname: str | None = None,
    title: str | None = None,
) -> x509.Name:
    attrs: dict[str, str] = {"country_name": "UA", "organization_name": org, "common_name": cn}
    if title:
        attrs["title"] = title
    if org_id:
        attrs["organization_identifier"] = org_id
    if serial:
        attrs["serial_number"] = serial
    if given:
        attrs["given_name"] = given
    if surname:
        attrs["surname"] = surname
    return x509.Name.build(attrs, use_printable=False)


def _key_id(key: Key) -> bytes:
    spki = key.public_key_info()
    return hashlib.sha1(spki["public_key"].contents).digest()


def _issue(
    subject: x509.Name,
    subject_key: Key,
    issuer: x509.Name,
    issuer_key: Key,
    serial: int,
    not_before: dt.datetime,
    not_after: dt.datetime,
    *,
    ca: bool,
    path_len: int | None = None,
    timestamping: bool = False,
    directory: dict[str, str] | None = None,
) -> bytes:
    if ca:
        usage = {"key_cert_sign", "crl_sign"}
    elif timestamping:
        usage = {"digital_signature"}
    else:
        usage = {"digital_signature", "non_repudiation"}
    extensions: list[dict[str, Any]] = [
        {"extn_id": "key_usage", "critical": True, "extn_value": usage},
        {"extn_id": "key_identifier", "critical": False, "extn_value": _key_id(subject_key)},
        {
            "extn_id": "authority_key_identifier",
            "critical": False,
            "extn_value": {"key_identifier": _key_id(issuer_key)},
        },
        {
            "extn_id": "basic_constraints",
            "critical": True,
            "extn_value": {"ca": ca, "path_len_constraint": path_len} if ca else {"ca": False},
        },
    ]
    if timestamping:
        extensions.append(
            {"extn_id": "extended_key_usage", "critical": True, "extn_value": ["time_stamping"]}
        )
    if directory:
        # subjectDirectoryAttributes as Ukrainian CAs write the DRFO / EDRPOU numbers.
        attrs = b"".join(
            _tlv(
                0x30,
                core.ObjectIdentifier(oid).dump() + _tlv(0x31, core.PrintableString(value).dump()),
            )
            for oid, value in directory.items()
        )
        extensions.append(
            {
                "extn_id": "subject_directory_attributes",
                "critical": False,
                "extn_value": x509.SubjectDirectoryAttributes.load(_tlv(0x30, attrs)),
            }
        )
    tbs = x509.TbsCertificate(
        {
            "version": "v3",
            "serial_number": serial,
            "signature": {"algorithm": issuer_key.signature_oid},
            "issuer": issuer,
            "validity": {
                "not_before": x509.Time({"utc_time": not_before}),
                "not_after": x509.Time({"utc_time": not_after}),
            },
            "subject": subject,
            "subject_public_key_info": subject_key.public_key_info(),
            "extensions": extensions,
        }
    )
    tbs_der = tbs.dump()
    signature = issuer_key.sign(tbs_der, for_cms=False)
    cert = x509.Certificate(
        {
            "tbs_certificate": tbs,
            "signature_algorithm": {"algorithm": issuer_key.signature_oid},
            "signature_value": signature,
        }
    )
    return cert.dump()


def make_pki(flavour: Flavour, *, now: dt.datetime | None = None, seed: int = 1) -> TestPKI:
    """Build the whole hierarchy; certificates are valid from a day before `now`."""
    now = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    rng = random.Random(f"{flavour}:{seed}")
    day = dt.timedelta(days=1)
    start = now - day
    keys_ = {n: new_key(flavour, rng) for n in ("root", "ca", "seal", "citizen", "tsa")}
    names = {
        "root": _name("Тестовий Центральний засвідчувальний орган", org="Тестове Мінцифри"),
        "ca": _name(
            "Тестовий КНЕДП «Дія»", org="ДП «ДІЯ»", org_id=DIIA_ORG_ID, serial="UA-43395033-0001"
        ),
        "seal": _name("ДП «ДІЯ»", org="ДП «ДІЯ»", org_id=DIIA_ORG_ID, serial="UA-43395033-1000"),
        "citizen": _name(
            "Шевченко Тарас Григорович",
            org="фізична особа",
            serial="TINUA-1234567899",
            given="Тарас Григорович",
            surname="Шевченко",
        ),
        "tsa": _name("Тестовий TSP-сервер КНЕДП «Дія»", org="ДП «ДІЯ»", org_id=DIIA_ORG_ID),
    }
    serials = [rng.getrandbits(63) | 1 << 62 for _ in range(5)]
    root = _issue(
        names["root"],
        keys_["root"],
        names["root"],
        keys_["root"],
        serials[0],
        start,
        now + 3650 * day,
        ca=True,
    )
    ca = _issue(
        names["ca"],
        keys_["ca"],
        names["root"],
        keys_["root"],
        serials[1],
        start,
        now + 1825 * day,
        ca=True,
        path_len=0,
    )
    issued = {
        name: _issue(
            names[name],
            keys_[name],
            names["ca"],
            keys_["ca"],
            serial,
            start,
            now + 730 * day,
            ca=False,
            timestamping=name == "tsa",
        )
        for name, serial in zip(("seal", "citizen", "tsa"), serials[2:], strict=True)
    }
    return TestPKI(
        flavour=flavour,
        now=now,
        root=Party("root", root, keys_["root"]),
        ca=Party("ca", ca, keys_["ca"]),
        seal=Party("seal", issued["seal"], keys_["seal"]),
        citizen=Party("citizen", issued["citizen"], keys_["citizen"]),
        tsa=Party("tsa", issued["tsa"], keys_["tsa"]),
        serials=serials,
    )


def issue_person(
    pki: TestPKI,
    name: str,
    *,
    cn: str,
    org: str,
    surname: str | None = None,
    given: str | None = None,
    title: str | None = None,
    org_id: str | None = None,
    serial: str | None = None,
    directory: dict[str, str] | None = None,
    seed: int = 7,
) -> Party:
    """Another end-entity under the test CA, with the identity fields Ukrainian certificates
    carry (names, position, serialNumber TINUA-…, organizationIdentifier NTRUA-…, and the
    DRFO/EDRPOU subjectDirectoryAttributes)."""
    rng = random.Random(f"{pki.flavour}:{name}:{seed}")
    key = new_key(pki.flavour, rng)
    subject = _name(
        cn, org=org, org_id=org_id, serial=serial, given=given, surname=surname, title=title
    )
    cert = _issue(
        subject,
        key,
        pki.ca.x509.subject,
        pki.ca.key,
        rng.getrandbits(63) | 1 << 62,
        pki.now - dt.timedelta(days=1),
        pki.now + dt.timedelta(days=730),
        ca=False,
        directory=directory,
    )
    return Party(name, cert, key)


def _signer_info(
    party: Party, signed_attrs: cms.CMSAttributes | None, signature: bytes
) -> cms.SignerInfo:
    cert = party.x509
    info: dict[str, Any] = {
        "version": "v1",
        "sid": cms.SignerIdentifier(
            {
                "issuer_and_serial_number": {
                    "issuer": cert.issuer,
                    "serial_number": cert.serial_number,
                }
            }
        ),
        "digest_algorithm": {"algorithm": party.key.digest_oid},
        "signature_algorithm": {"algorithm": party.key.signature_oid},
        "signature": signature,
    }
    if signed_attrs is not None:
        info["signed_attrs"] = signed_attrs
    return cms.SignerInfo(info)


def _signed_attrs(
    party: Party, content_type: str, digest: bytes, signing_time: dt.datetime
) -> cms.CMSAttributes:
    cert = party.x509
    ess_v2 = {
        "certs": [
            {
                "hash_algorithm": {"algorithm": party.key.digest_oid},
                "cert_hash": party.key.digest(party.cert),
                "issuer_serial": {
                    "issuer": [x509.GeneralName({"directory_name": cert.issuer})],
                    "serial_number": cert.serial_number,
                },
            }
        ]
    }
    return cms.CMSAttributes(
        [
            {"type": "content_type", "values": [content_type]},
            {"type": "signing_time", "values": [cms.Time({"utc_time": signing_time})]},
            {"type": "message_digest", "values": [digest]},
            {"type": "signing_certificate_v2", "values": [ess_v2]},
        ]
    )


def _signed_data(
    content: bytes,
    party: Party,
    certs: list[bytes],
    *,
    detached: bool,
    content_type: str,
    signing_time: dt.datetime,
    unsigned: Callable[[bytes], list[dict[str, Any]]] | None = None,
    extra_signed: list[dict[str, Any]] | None = None,
) -> cms.ContentInfo:
    """SignedData with one signer; `unsigned` makes unsigned attributes from the signature."""
    attrs = _signed_attrs(party, content_type, party.key.digest(content), signing_time)
    for attr in extra_signed or ():
        attrs.append(attr)
    signature = party.key.sign(attrs.dump(), for_cms=True)
    signer = _signer_info(party, attrs, signature)
    if unsigned is not None:
        signer["unsigned_attrs"] = cms.CMSAttributes(unsigned(signature))
    if content_type == "data":
        eci: Any = {"content_type": "data"}
        if not detached:
            eci["content"] = content
    else:
        # asn1crypto would re-wrap a TSTInfo eContent; write SEQUENCE { OID, [0] { OCTETS } }.
        oid = cms.ContentType(content_type).dump()
        eci = cms.ContentInfo.load(_tlv(0x30, oid + _tlv(0xA0, core.OctetString(content).dump())))
    sd = cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": party.key.digest_oid})],
            "encap_content_info": eci,
            "certificates": [x509.Certificate.load(c) for c in certs],
            "signer_infos": [signer],
        }
    )
    return cms.ContentInfo({"content_type": "signed_data", "content": sd})


def make_timestamp_token(
    pki: TestPKI,
    imprinted: bytes,
    gen_time: dt.datetime,
    serial: int = 1,
    certs: list[bytes] | None = None,
) -> cms.ContentInfo:
    """An RFC 3161 time-stamp token from the test TSA over the hash of `imprinted`.

    `certs` are the certificates the token carries (default: the TSA's and its CA's; real TSAs
    often send none, RFC 3161 certReq false)."""
    info = tsp.TSTInfo(
        {
            "version": "v1",
            "policy": "1.2.804.2.1.1.1.2.3.1",
            "message_imprint": {
                "hash_algorithm": {"algorithm": pki.tsa.key.digest_oid},
                "hashed_message": pki.tsa.key.digest(imprinted),
            },
            "serial_number": serial,
            "gen_time": gen_time,
        }
    )
    return _signed_data(
        info.dump(),
        pki.tsa,
        [pki.tsa.cert, pki.ca.cert] if certs is None else certs,
        detached=False,
        content_type="tst_info",
        signing_time=gen_time,
    )


def sign_cades(
    pki: TestPKI,
    content: bytes,
    *,
    signer: Literal["seal", "citizen"] | Party = "seal",
    detached: bool = True,
    level: Literal["BES", "T"] = "BES",
    signing_time: dt.datetime | None = None,
    timestamp_time: dt.datetime | None = None,
    token_certs: list[bytes] | None = None,
    certificate_values: list[bytes] | None = None,
    content_timestamp: bool = False,
    content_token_certs: list[bytes] | None = None,
    signed_data_certs: list[bytes] | None = None,
) -> bytes:
    """A CAdES-BES (or -T, with a signature time-stamp from the test TSA) over `content`.

    The placements real CAdES-X-Long signatures use can be reproduced: `token_certs` (what the
    signature time-stamp token carries), `certificate_values` (the CAdES certificate-values
    attribute), `content_timestamp` (a content time-stamp, carrying `content_token_certs`) and
    `signed_data_certs` (the SignedData certificates; default the signer's and its CA's)."""
    if isinstance(signer, Party):
        party = signer
    else:
        party = pki.seal if signer == "seal" else pki.citizen
    when = (signing_time or pki.now).replace(microsecond=0)
    stamp_at = (timestamp_time or when).replace(microsecond=0)

    def unsigned(signature: bytes) -> list[dict[str, Any]]:
        attrs: list[dict[str, Any]] = []
        if level == "T":
            token = make_timestamp_token(pki, signature, stamp_at, certs=token_certs)
            attrs.append({"type": "signature_time_stamp_token", "values": [token]})
        if certificate_values is not None:
            values = [x509.Certificate.load(c) for c in certificate_values]
            attrs.append({"type": "certificate_values", "values": [values]})
        return attrs

    extra_signed: list[dict[str, Any]] = []
    if content_timestamp:
        token = make_timestamp_token(pki, content, when, serial=2, certs=content_token_certs)
        extra_signed.append({"type": "content_time_stamp", "values": [token]})
    info = _signed_data(
        content,
        party,
        [party.cert, pki.ca.cert] if signed_data_certs is None else signed_data_certs,
        detached=detached,
        content_type="data",
        signing_time=when,
        unsigned=unsigned if level == "T" or certificate_values is not None else None,
        extra_signed=extra_signed,
    )
    return info.dump()


def tamper(data: bytes, position: int, bit: int = 0) -> bytes:
    """A copy with one bit flipped (tests' tampered twins)."""
    out = bytearray(data)
    out[position] ^= 1 << bit
    return bytes(out)
