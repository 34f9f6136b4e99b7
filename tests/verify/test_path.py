"""Path building, validity/POE, constraints and revocation, on small ECDSA/RSA PKIs made here.

The helpers at the top (`Pki`, `issue`, `sign_cms`, `make_tst`, `make_crl`, `make_ocsp`) build
real certificates, CMS, CRLs, OCSP responses and time-stamp tokens with `cryptography` and
asn1crypto, so every check runs against genuine signatures. Other test modules import them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from asn1crypto import cms as a_cms
from asn1crypto import core as a_core
from asn1crypto import ocsp as a_ocsp
from asn1crypto import tsp as a_tsp
from asn1crypto import x509 as a_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from verify.asn1 import RevocationValues
from verify.certs import Certificate
from verify.path import build_path, check_constraints, check_validity
from verify.report import Indication, SubIndication
from verify.trust import TrustStore
from verify.validate import ValidationContext, validate

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)

# --------------------------------------------------------------------------------------------
# helpers (imported by other test modules)
# --------------------------------------------------------------------------------------------


@dataclass
class Issued:
    cert: x509.Certificate
    key: Any

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def parsed(self) -> Certificate:
        return Certificate.from_der(self.der)


def new_key(kind: str = "ec") -> Any:
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def name(cn: str, org: str | None = None, org_id: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    if org_id:
        attrs.append(x509.NameAttribute(x509.ObjectIdentifier("2.5.4.97"), org_id))
    return x509.Name(attrs)


def issue(
    subject: x509.Name,
    issuer: Issued | None,
    *,
    key: Any = None,
    ca: bool | None = False,
    path_len: int | None = None,
    usage: str = "sign",
    not_before: datetime = NOW - 365 * DAY,
    not_after: datetime = NOW + 365 * DAY,
    eku: list[x509.ObjectIdentifier] | None = None,
    ski: bool = True,
    serial: int | None = None,
    extra: list[tuple[x509.ExtensionType, bool]] | None = None,
) -> Issued:
    key = key or new_key()
    issuer_name = issuer.cert.subject if issuer else subject
    issuer_key = issuer.key if issuer else key
    b = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    if ca is not None:
        b = b.add_extension(x509.BasicConstraints(ca=ca, path_length=path_len), critical=True)
    flags = dict.fromkeys(
        (
            "digital_signature",
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
            "encipher_only",
            "decipher_only",
        ),
        False,
    )
    if usage == "ca":
        flags.update(key_cert_sign=True, crl_sign=True)
    elif usage == "sign":
        flags.update(digital_signature=True, content_commitment=True)
    elif usage == "certsign_only":
        flags.update(key_cert_sign=True)
    if usage != "none":
        b = b.add_extension(x509.KeyUsage(**flags), critical=True)
    if ski:
        b = b.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        aki_key = issuer.key.public_key() if issuer else key.public_key()
        b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(aki_key), False)
    if eku:
        b = b.add_extension(x509.ExtendedKeyUsage(eku), critical=True)
    for ext, critical in extra or []:
        b = b.add_extension(ext, critical)
    return Issued(b.sign(issuer_key, hashes.SHA256()), key)


@dataclass
class Pki:
    root: Issued
    ca: Issued
    signer: Issued
    tsa: Issued
    extra: dict[str, Issued] = field(default_factory=dict)

    def store(self, *, with_ca: bool = True) -> TrustStore:
        return TrustStore.from_certificates([self.root.der], [self.ca.der] if with_ca else [])


def make_pki(*, signer_not_after: datetime = NOW + 365 * DAY, signer_key: Any = None) -> Pki:
    root = issue(name("Test Root CA", "Invented Trust"), None, ca=True, path_len=2, usage="ca")
    ca = issue(name("Test Provider CA", "Invented Provider"), root, ca=True, path_len=0, usage="ca")
    signer = issue(
        name("Invented Seal", "Invented Enterprise", "NTRUA-43395033"),
        ca,
        key=signer_key,
        not_after=signer_not_after,
    )
    tsa = issue(
        name("Invented TSA"),
        ca,
        eku=[ExtendedKeyUsageOID.TIME_STAMPING],
        not_before=NOW - 3 * 365 * DAY,
        not_after=NOW + 3 * 365 * DAY,
    )
    return Pki(root, ca, signer, tsa)


def _sign_raw(key: Any, data: bytes, *, pss: bool = False) -> tuple[bytes, str]:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(hashes.SHA256())), "sha256_ecdsa"
    if pss:
        sig = key.sign(
            data,
            padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
            hashes.SHA256(),
        )
        return sig, "rsassa_pss"
    return key.sign(data, padding.PKCS1v15(), hashes.SHA256()), "sha256_rsa"


def _signature_algorithm(name_: str) -> dict[str, Any]:
    if name_ == "rsassa_pss":
        return {
            "algorithm": "rsassa_pss",
            "parameters": {
                "hash_algorithm": {"algorithm": "sha256"},
                "mask_gen_algorithm": {
                    "algorithm": "mgf1",
                    "parameters": {"algorithm": "sha256"},
                },
                "salt_length": 32,
                "trailer_field": "trailer_field_bc",
            },
        }
    return {"algorithm": name_}


def signer_info(
    content: bytes,
    who: Issued,
    *,
    signing_time: datetime | None = NOW - DAY,
    signed_attrs: bool = True,
    use_ski: bool = False,
    signing_cert_v2: bool | bytes = True,
    content_type: str = "data",
    pss: bool = False,
    unsigned: list[a_cms.CMSAttribute] | None = None,
    tamper_signature: bool = False,
) -> a_cms.SignerInfo:
    cert = a_x509.Certificate.load(who.der)
    if use_ski:
        sid = a_cms.SignerIdentifier({"subject_key_identifier": cert.key_identifier})
    else:
        sid = a_cms.SignerIdentifier(
            {
                "issuer_and_serial_number": {
                    "issuer": cert.issuer,
                    "serial_number": cert.serial_number,
                }
            }
        )
    attrs = None
    if signed_attrs:
        items = [
            a_cms.CMSAttribute({"type": "content_type", "values": [content_type]}),
            a_cms.CMSAttribute(
                {"type": "message_digest", "values": [hashlib.sha256(content).digest()]}
            ),
        ]
        if signing_time is not None:
            items.append(
                a_cms.CMSAttribute(
                    {"type": "signing_time", "values": [a_cms.Time({"utc_time": signing_time})]}
                )
            )
        if signing_cert_v2 is not False:
            cert_hash = (
                signing_cert_v2
                if isinstance(signing_cert_v2, bytes)
                else hashlib.sha256(who.der).digest()
            )
            items.append(
                a_cms.CMSAttribute(
                    {
                        "type": "signing_certificate_v2",
                        "values": [
                            a_tsp.SigningCertificateV2(
                                {
                                    "certs": [
                                        {
                                            "cert_hash": cert_hash,
                                            "issuer_serial": {
                                                "issuer": [
                                                    a_x509.GeneralName(
                                                        {"directory_name": cert.issuer}
                                                    )
                                                ],
                                                "serial_number": cert.serial_number,
                                            },
                                        }
                                    ]
                                }
                            )
                        ],
                    }
                )
            )
        attrs = a_cms.CMSAttributes(items)
        to_sign = b"\x31" + attrs.dump()[1:]
    else:
        to_sign = content
    signature, sig_name = _sign_raw(who.key, to_sign, pss=pss)
    if tamper_signature:
        signature = bytes([signature[0]]) + bytes([signature[1] ^ 0x01]) + signature[2:]
    fields: dict[str, Any] = {
        "version": "v3" if use_ski else "v1",
        "sid": sid,
        "digest_algorithm": {"algorithm": "sha256"},
        "signature_algorithm": _signature_algorithm(sig_name),
        "signature": signature,
    }
    if attrs is not None:
        fields["signed_attrs"] = attrs
    if unsigned:
        fields["unsigned_attrs"] = a_cms.CMSAttributes(unsigned)
    return a_cms.SignerInfo(fields)


def sign_cms(
    content: bytes,
    signers: list[a_cms.SignerInfo],
    certs: list[Issued],
    *,
    detached: bool = True,
    crls: list[bytes] | None = None,
    econtent_type: str = "data",
    econtent: Any = None,
) -> bytes:
    eci: Any = {"content_type": econtent_type}
    if econtent is not None:
        # asn1crypto drops the [0] EXPLICIT tag when it builds a TSTInfo eContent itself, so
        # write SEQUENCE { OID, [0] { OCTET STRING } } by hand.
        oid = a_cms.ContentType(econtent_type).dump()
        octets = a_core.OctetString(econtent).dump()
        eci = a_cms.ContentInfo.load(_tlv(0x30, oid + _tlv(0xA0, octets)))
    elif not detached:
        eci["content"] = content
    sd: dict[str, Any] = {
        "version": "v1",
        "digest_algorithms": [{"algorithm": "sha256"}],
        "encap_content_info": eci,
        "certificates": [a_x509.Certificate.load(c.der) for c in certs],
        "signer_infos": signers,
    }
    if crls:
        from asn1crypto import crl as a_crl

        sd["crls"] = [a_crl.CertificateList.load(c) for c in crls]
    return a_cms.ContentInfo({"content_type": "signed_data", "content": sd}).dump()


def _tlv(tag: int, body: bytes) -> bytes:
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + body


def make_tst(
    tsa: Issued,
    imprinted: bytes,
    gen_time: datetime,
    *,
    chain: list[Issued],
    tamper: bool = False,
) -> bytes:
    """An RFC 3161 TimeStampToken over sha256(imprinted)."""
    info = a_tsp.TSTInfo(
        {
            "version": "v1",
            "policy": "1.2.3.4.1",
            "message_imprint": {
                "hash_algorithm": {"algorithm": "sha256"},
                "hashed_message": hashlib.sha256(imprinted).digest(),
            },
            "serial_number": 7,
            "gen_time": gen_time,
        }
    )
    info_der = info.dump()
    si = signer_info(
        info_der, tsa, signing_time=gen_time, content_type="tst_info", tamper_signature=tamper
    )
    return sign_cms(
        info_der,
        [si],
        [tsa, *chain],
        detached=False,
        econtent_type="tst_info",
        econtent=info_der,
    )


def tst_attribute(token: bytes, kind: str = "signature_time_stamp_token") -> a_cms.CMSAttribute:
    return a_cms.CMSAttribute({"type": kind, "values": [a_cms.ContentInfo.load(token)]})


def make_crl(
    issuer: Issued,
    revoked: list[tuple[int, datetime]] = (),  # type: ignore[assignment]
    *,
    this_update: datetime = NOW - DAY,
    next_update: datetime = NOW + 7 * DAY,
) -> bytes:
    b = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.cert.subject)
        .last_update(this_update)
        .next_update(next_update)
    )
    for serial, when in revoked:
        b = b.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build()
        )
    return b.sign(issuer.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def make_ocsp(
    cert: Issued,
    issuer: Issued,
    responder: Issued,
    *,
    status: str = "good",
    this_update: datetime = NOW - DAY,
    next_update: datetime | None = NOW + 7 * DAY,
    revoked_at: datetime | None = None,
) -> bytes:
    """A BasicOCSPResponse (DER) as CAdES revocationValues holds it."""
    st = {
        "good": ocsp.OCSPCertStatus.GOOD,
        "revoked": ocsp.OCSPCertStatus.REVOKED,
        "unknown": ocsp.OCSPCertStatus.UNKNOWN,
    }[status]
    b = ocsp.OCSPResponseBuilder().add_response(
        cert.cert,
        issuer.cert,
        hashes.SHA256(),
        st,
        this_update,
        next_update,
        revoked_at if status == "revoked" else None,
        None,
    )
    b = b.responder_id(ocsp.OCSPResponderEncoding.HASH, responder.cert)
    if responder is not issuer:
        b = b.certificates([responder.cert])
    resp = b.sign(responder.key, hashes.SHA256())
    full = a_ocsp.OCSPResponse.load(resp.public_bytes(serialization.Encoding.DER))
    return full["response_bytes"]["response"].parsed.dump()


def revocation_attribute(
    *, ocsp_vals: list[bytes] = (), crls: list[bytes] = ()
) -> a_cms.CMSAttribute:  # type: ignore[assignment]
    from asn1crypto import crl as a_crl

    value: dict[str, Any] = {}
    if ocsp_vals:
        value["ocsp_vals"] = [a_ocsp.BasicOCSPResponse.load(o) for o in ocsp_vals]
    if crls:
        value["crl_vals"] = [a_crl.CertificateList.load(c) for c in crls]
    return a_cms.CMSAttribute({"type": "revocation_values", "values": [RevocationValues(value)]})


def ctx(pki: Pki | TrustStore, **kw: Any) -> ValidationContext:
    store = pki if isinstance(pki, TrustStore) else pki.store()
    kw.setdefault("clock", lambda: NOW)
    return ValidationContext(trust=store, **kw)


CONTENT = b"%PDF-1.7 invented document for tests\n"


# --------------------------------------------------------------------------------------------
# path building
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki()


def test_builds_leaf_to_root_through_intermediate(pki: Pki) -> None:
    path = build_path(pki.signer.parsed, pki.store(), when=NOW)
    assert [c.subject for c in path.chain] == [
        pki.signer.parsed.subject,
        pki.ca.parsed.subject,
        pki.root.parsed.subject,
    ]


def test_no_path_without_the_intermediate(pki: Pki) -> None:
    path = build_path(pki.signer.parsed, pki.store(with_ca=False), when=NOW)
    assert not path.found


def test_no_path_to_a_foreign_root(pki: Pki) -> None:
    other = make_pki()
    path = build_path(pki.signer.parsed, other.store(), [pki.ca.parsed], when=NOW)
    assert not path.found


def test_forged_issuer_with_same_name_is_skipped_for_the_real_one(pki: Pki) -> None:
    # An impostor CA: same name, own key, no key identifiers to tell them apart.
    impostor = issue(pki.ca.cert.subject, pki.root, ca=True, usage="ca", ski=False)
    signer = issue(name("Leaf under real CA"), pki.ca, ski=False)
    store = TrustStore.from_certificates([pki.root.der], [impostor.der, pki.ca.der])
    path = build_path(signer.parsed, store, when=NOW)
    assert path.found and path.chain[1] == pki.ca.parsed
    # Twin: with only the impostor there is no path (its key did not sign the leaf).
    store2 = TrustStore.from_certificates([pki.root.der], [impostor.der])
    assert not build_path(signer.parsed, store2, when=NOW).found


def test_loops_terminate() -> None:
    ka, kb = new_key(), new_key()
    a_name, b_name = name("Loop A"), name("Loop B")
    a_self = issue(a_name, None, key=ka, ca=True, usage="ca", ski=False)
    b_by_a = issue(b_name, a_self, key=kb, ca=True, usage="ca", ski=False)
    a_by_b = issue(a_name, b_by_a, key=ka, ca=True, usage="ca", ski=False)
    leaf = issue(name("Loop leaf"), b_by_a, ski=False)
    anchor = issue(name("Unrelated root"), None, ca=True, usage="ca")
    store = TrustStore.from_certificates([anchor.der], [b_by_a.der, a_by_b.der])
    assert not build_path(leaf.parsed, store, when=NOW).found
    # Twin: trusting A's self-signed certificate closes the path.
    store2 = TrustStore.from_certificates([a_self.der], [b_by_a.der, a_by_b.der])
    assert build_path(leaf.parsed, store2, when=NOW).found


def test_path_len_violation() -> None:
    root = issue(name("Root pl0"), None, ca=True, path_len=0, usage="ca")
    inter = issue(name("Intermediate"), root, ca=True, usage="ca")
    leaf = issue(name("Leaf"), inter)
    store = TrustStore.from_certificates([root.der], [inter.der])
    chain = build_path(leaf.parsed, store, when=NOW).chain
    res = check_constraints(chain, store)
    assert res.sub_indication == SubIndication.CHAIN_CONSTRAINTS_FAILURE
    # Twin: path length 1 allows it.
    root1 = issue(name("Root pl1"), None, ca=True, path_len=1, usage="ca")
    inter1 = issue(name("Intermediate 1"), root1, ca=True, usage="ca")
    leaf1 = issue(name("Leaf 1"), inter1)
    store1 = TrustStore.from_certificates([root1.der], [inter1.der])
    assert check_constraints(build_path(leaf1.parsed, store1, when=NOW).chain, store1).ok


def test_intermediate_that_is_not_a_ca_is_refused() -> None:
    root = issue(name("Root"), None, ca=True, usage="ca")
    not_ca = issue(name("Not a CA"), root, ca=False, usage="ca")
    leaf = issue(name("Leaf"), not_ca)
    store = TrustStore.from_certificates([root.der], [not_ca.der])
    chain = build_path(leaf.parsed, store, when=NOW).chain
    assert check_constraints(chain, store).sub_indication == SubIndication.CHAIN_CONSTRAINTS_FAILURE


def test_ca_without_keycertsign_is_refused() -> None:
    root = issue(name("Root"), None, ca=True, usage="ca")
    inter = issue(name("CA sign-only"), root, ca=True, usage="sign")
    leaf = issue(name("Leaf"), inter)
    store = TrustStore.from_certificates([root.der], [inter.der])
    chain = build_path(leaf.parsed, store, when=NOW).chain
    assert len(chain) == 3
    assert check_constraints(chain, store).sub_indication == SubIndication.CHAIN_CONSTRAINTS_FAILURE


def test_signer_key_usage_must_allow_signing(pki: Pki) -> None:
    leaf = issue(name("Cert signer only"), pki.ca, usage="certsign_only")
    store = pki.store()
    chain = build_path(leaf.parsed, store, when=NOW).chain
    assert check_constraints(chain, store).sub_indication == SubIndication.SIG_CONSTRAINTS_FAILURE
    assert check_constraints(build_path(pki.signer.parsed, store).chain, store).ok


def test_unknown_critical_extension_is_refused(pki: Pki) -> None:
    odd = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"), b"\x05\x00")
    leaf = issue(name("Odd leaf"), pki.ca, extra=[(odd, True)])
    store = pki.store()
    chain = build_path(leaf.parsed, store, when=NOW).chain
    assert check_constraints(chain, store).sub_indication == SubIndication.CHAIN_CONSTRAINTS_FAILURE
    leaf_ok = issue(name("Odd leaf, non-critical"), pki.ca, extra=[(odd, False)])
    assert check_constraints(build_path(leaf_ok.parsed, store).chain, store).ok


def test_validity_and_poe() -> None:
    pki = make_pki(signer_not_after=NOW - 30 * DAY)
    chain = build_path(pki.signer.parsed, pki.store()).chain
    expired = check_validity(chain, NOW, None)
    assert expired.sub_indication == SubIndication.OUT_OF_BOUNDS_NO_POE
    with_poe = check_validity(chain, NOW, NOW - 60 * DAY)
    assert with_poe.ok and with_poe.poe_used
    late_poe = check_validity(chain, NOW, NOW - 10 * DAY)
    assert (late_poe.indication, late_poe.sub_indication) == (
        Indication.TOTAL_FAILED,
        SubIndication.EXPIRED,
    )
    early = check_validity(chain, NOW - 400 * DAY, None)
    assert early.sub_indication == SubIndication.NOT_YET_VALID


# --------------------------------------------------------------------------------------------
# full validation: time-stamps (POE) and revocation
# --------------------------------------------------------------------------------------------


def _signed(pki: Pki, *, unsigned: list[a_cms.CMSAttribute] | None = None, **kw: Any) -> bytes:
    si = signer_info(CONTENT, pki.signer, unsigned=unsigned, **kw)
    return sign_cms(CONTENT, [si], [pki.signer, pki.ca])


def test_ecdsa_chain_passes_with_fresh_crl(pki: Pki) -> None:
    crl = make_crl(pki.ca)
    report = validate(_signed(pki), CONTENT, ctx(pki, crls=(crl,), revocation="hard"))
    assert report.indication == Indication.TOTAL_PASSED, report.errors
    assert len(report.chain) == 3 and report.chain[-1].trust_anchor


def test_revoked_by_crl(pki: Pki) -> None:
    crl = make_crl(pki.ca, [(pki.signer.cert.serial_number, NOW - 2 * DAY)])
    report = validate(_signed(pki), CONTENT, ctx(pki, crls=(crl,)))
    assert (report.indication, report.sub_indication) == (
        Indication.TOTAL_FAILED,
        SubIndication.REVOKED,
    )


def test_crl_signed_by_another_key_is_not_evidence(pki: Pki) -> None:
    impostor = Issued(pki.ca.cert, new_key())
    crl = make_crl(impostor, [(pki.signer.cert.serial_number, NOW - 2 * DAY)])
    soft = validate(_signed(pki), CONTENT, ctx(pki, crls=(crl,)))
    assert soft.indication == Indication.TOTAL_PASSED
    assert any(w.code == "NO_REVOCATION_DATA" for w in soft.warnings)
    hard = validate(_signed(pki), CONTENT, ctx(pki, crls=(crl,), revocation="hard"))
    assert (hard.indication, hard.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.TRY_LATER,
    )


def test_embedded_ocsp_good_satisfies_hard(pki: Pki) -> None:
    good = make_ocsp(pki.signer, pki.ca, pki.ca)
    p7s = _signed(pki, unsigned=[revocation_attribute(ocsp_vals=[good])])
    report = validate(p7s, CONTENT, ctx(pki, revocation="hard"))
    assert report.indication == Indication.TOTAL_PASSED, report.errors
    # Twin: without it, hard policy says TRY_LATER.
    bare = validate(_signed(pki), CONTENT, ctx(pki, revocation="hard"))
    assert bare.sub_indication == SubIndication.TRY_LATER


def test_delegated_ocsp_responder(pki: Pki) -> None:
    responder = issue(name("Invented OCSP"), pki.ca, eku=[ExtendedKeyUsageOID.OCSP_SIGNING])
    good = make_ocsp(pki.signer, pki.ca, responder)
    p7s = _signed(pki, unsigned=[revocation_attribute(ocsp_vals=[good])])
    assert validate(p7s, CONTENT, ctx(pki, revocation="hard")).passed
    # Twin: a responder without the OCSP-signing purpose is not believed.
    rogue = issue(name("Rogue OCSP"), pki.ca)
    bad = make_ocsp(pki.signer, pki.ca, rogue)
    p7s2 = _signed(pki, unsigned=[revocation_attribute(ocsp_vals=[bad])])
    assert (
        validate(p7s2, CONTENT, ctx(pki, revocation="hard")).indication != Indication.TOTAL_PASSED
    )


def test_embedded_ocsp_revoked(pki: Pki) -> None:
    revoked = make_ocsp(pki.signer, pki.ca, pki.ca, status="revoked", revoked_at=NOW - 3 * DAY)
    p7s = _signed(pki, unsigned=[revocation_attribute(ocsp_vals=[revoked])])
    report = validate(p7s, CONTENT, ctx(pki))
    assert report.sub_indication == SubIndication.REVOKED


def test_stale_revocation_data_under_hard(pki: Pki) -> None:
    old = make_ocsp(
        pki.signer, pki.ca, pki.ca, this_update=NOW - 30 * DAY, next_update=NOW - 20 * DAY
    )
    p7s = _signed(pki, unsigned=[revocation_attribute(ocsp_vals=[old])])
    hard = validate(p7s, CONTENT, ctx(pki, revocation="hard"))
    assert hard.sub_indication == SubIndication.REVOCATION_OUT_OF_BOUNDS_NO_POE
    soft = validate(p7s, CONTENT, ctx(pki))
    assert soft.passed and any(w.code == "REVOCATION_STALE" for w in soft.warnings)


def test_require_needs_status_of_every_ca(pki: Pki) -> None:
    leaf_crl = make_crl(pki.ca)
    hard = validate(_signed(pki), CONTENT, ctx(pki, crls=(leaf_crl,), revocation="hard"))
    assert hard.passed
    req = validate(_signed(pki), CONTENT, ctx(pki, crls=(leaf_crl,), revocation="require"))
    assert req.sub_indication == SubIndication.TRY_LATER
    root_crl = make_crl(pki.root)
    full = validate(
        _signed(pki), CONTENT, ctx(pki, crls=(leaf_crl, root_crl), revocation="require")
    )
    assert full.passed, full.errors


def _with_tst(
    pki: Pki, signer: Issued, gen_time: datetime, *, imprint: bytes | None = None
) -> bytes:
    si = signer_info(CONTENT, signer, signing_time=gen_time)
    token = make_tst(
        pki.tsa,
        imprint if imprint is not None else si["signature"].native,
        gen_time,
        chain=[pki.ca],
    )
    si = signer_info(CONTENT, signer, signing_time=gen_time, unsigned=[tst_attribute(token)])
    return sign_cms(CONTENT, [si], [signer, pki.ca])


def test_timestamp_is_proof_of_existence_for_expired_signer() -> None:
    pki = make_pki(signer_not_after=NOW - 30 * DAY)
    # ECDSA is randomised: build the signer info once and time-stamp exactly its signature.
    si = signer_info(CONTENT, pki.signer, signing_time=NOW - 60 * DAY)
    token = make_tst(pki.tsa, si["signature"].native, NOW - 60 * DAY, chain=[pki.ca])
    si["unsigned_attrs"] = a_cms.CMSAttributes([tst_attribute(token)])
    p7s = sign_cms(CONTENT, [si], [pki.signer, pki.ca])
    report = validate(p7s, CONTENT, ctx(pki))
    assert report.indication == Indication.TOTAL_PASSED, report.errors
    assert report.timestamps and report.timestamps[0].valid
    assert any(w.code == "POE_USED" for w in report.warnings)


def test_timestamp_over_something_else_is_no_proof() -> None:
    pki = make_pki(signer_not_after=NOW - 30 * DAY)
    si = signer_info(CONTENT, pki.signer, signing_time=NOW - 60 * DAY)
    token = make_tst(pki.tsa, b"another signature value", NOW - 60 * DAY, chain=[pki.ca])
    si["unsigned_attrs"] = a_cms.CMSAttributes([tst_attribute(token)])
    p7s = sign_cms(CONTENT, [si], [pki.signer, pki.ca])
    report = validate(p7s, CONTENT, ctx(pki))
    assert (report.indication, report.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.OUT_OF_BOUNDS_NO_POE,
    )
    assert report.timestamps and not report.timestamps[0].valid


def test_timestamp_after_expiry_means_expired() -> None:
    pki = make_pki(signer_not_after=NOW - 30 * DAY)
    si = signer_info(CONTENT, pki.signer, signing_time=NOW - 60 * DAY)
    token = make_tst(pki.tsa, si["signature"].native, NOW - 10 * DAY, chain=[pki.ca])
    si["unsigned_attrs"] = a_cms.CMSAttributes([tst_attribute(token)])
    p7s = sign_cms(CONTENT, [si], [pki.signer, pki.ca])
    report = validate(p7s, CONTENT, ctx(pki))
    assert (report.indication, report.sub_indication) == (
        Indication.TOTAL_FAILED,
        SubIndication.EXPIRED,
    )


def test_timestamp_from_untrusted_tsa_is_no_proof() -> None:
    pki = make_pki(signer_not_after=NOW - 30 * DAY)
    other = make_pki()
    si = signer_info(CONTENT, pki.signer, signing_time=NOW - 60 * DAY)
    token = make_tst(other.tsa, si["signature"].native, NOW - 60 * DAY, chain=[other.ca])
    si["unsigned_attrs"] = a_cms.CMSAttributes([tst_attribute(token)])
    p7s = sign_cms(CONTENT, [si], [pki.signer, pki.ca])
    report = validate(p7s, CONTENT, ctx(pki))
    assert report.sub_indication == SubIndication.OUT_OF_BOUNDS_NO_POE
    assert "TSA not trusted" in report.timestamps[0].detail


def test_content_timestamp_is_reported(pki: Pki) -> None:
    token = make_tst(pki.tsa, CONTENT, NOW - 2 * DAY, chain=[pki.ca])
    # content time-stamps are signed attributes: build them in by hand
    si = signer_info(CONTENT, pki.signer)
    attrs = [*si["signed_attrs"], tst_attribute(token, "content_time_stamp")]
    si2 = a_cms.SignerInfo(
        {
            "version": "v1",
            "sid": si["sid"],
            "digest_algorithm": {"algorithm": "sha256"},
            "signature_algorithm": {"algorithm": "sha256_ecdsa"},
            "signed_attrs": a_cms.CMSAttributes(attrs),
            "signature": b"\x00",
        }
    )
    to_sign = b"\x31" + si2["signed_attrs"].dump()[1:]
    si2["signature"] = pki.signer.key.sign(to_sign, ec.ECDSA(hashes.SHA256()))
    p7s = sign_cms(CONTENT, [si2], [pki.signer, pki.ca])
    report = validate(p7s, CONTENT, ctx(pki))
    assert report.passed, report.errors
    assert [t.kind for t in report.timestamps] == ["content"] and report.timestamps[0].valid
    # Twin: with other content the content time-stamp no longer matches (and the hash fails).
    bad = validate(p7s, CONTENT + b"x", ctx(pki))
    assert bad.sub_indication == SubIndication.HASH_FAILURE
    assert not bad.timestamps[0].valid


def test_timestamp_with_broken_token_signature_is_no_proof() -> None:
    pki = make_pki(signer_not_after=NOW - 30 * DAY)
    si = signer_info(CONTENT, pki.signer, signing_time=NOW - 60 * DAY)
    token = make_tst(pki.tsa, si["signature"].native, NOW - 60 * DAY, chain=[pki.ca], tamper=True)
    si["unsigned_attrs"] = a_cms.CMSAttributes([tst_attribute(token)])
    p7s = sign_cms(CONTENT, [si], [pki.signer, pki.ca])
    report = validate(p7s, CONTENT, ctx(pki))
    assert report.sub_indication == SubIndication.OUT_OF_BOUNDS_NO_POE
    assert report.timestamps[0].detail == "token signature does not verify"


def test_revocation_values_crls(pki: Pki) -> None:
    revoked = make_crl(pki.ca, [(pki.signer.cert.serial_number, NOW - 2 * DAY)])
    p7s = _signed(pki, unsigned=[revocation_attribute(crls=[revoked])])
    assert validate(p7s, CONTENT, ctx(pki)).sub_indication == SubIndication.REVOKED
    clean = _signed(pki, unsigned=[revocation_attribute(crls=[make_crl(pki.ca)])])
    assert validate(clean, CONTENT, ctx(pki, revocation="hard")).passed


def test_revocation_after_the_proof_of_existence_does_not_hurt() -> None:
    pki = make_pki()
    si = signer_info(CONTENT, pki.signer, signing_time=NOW - 60 * DAY)
    token = make_tst(pki.tsa, si["signature"].native, NOW - 60 * DAY, chain=[pki.ca])
    later = make_crl(pki.ca, [(pki.signer.cert.serial_number, NOW - 10 * DAY)])
    si["unsigned_attrs"] = a_cms.CMSAttributes(
        [tst_attribute(token), revocation_attribute(crls=[later])]
    )
    p7s = sign_cms(CONTENT, [si], [pki.signer, pki.ca])
    assert validate(p7s, CONTENT, ctx(pki)).passed
    # Twin: revoked before the time-stamp.
    earlier = make_crl(pki.ca, [(pki.signer.cert.serial_number, NOW - 90 * DAY)])
    si["unsigned_attrs"] = a_cms.CMSAttributes(
        [tst_attribute(token), revocation_attribute(crls=[earlier])]
    )
    p7s2 = sign_cms(CONTENT, [si], [pki.signer, pki.ca])
    assert validate(p7s2, CONTENT, ctx(pki)).sub_indication == SubIndication.REVOKED
