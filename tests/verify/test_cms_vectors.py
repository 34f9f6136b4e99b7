"""CMS SignedData: the public DSTU 4145 vectors and ECDSA/RSA signatures made here.

Each positive result has a tampered twin: other content, a flipped signature bit, another trust
anchor, a wrong signingCertificate, a missing signer certificate.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from verify.cms import parse_signed_data
from verify.errors import FormatError
from verify.policy import DIIA_SEAL, IdentityRule, SignerPolicy
from verify.report import Indication, SubIndication
from verify.trust import TrustStore
from verify.validate import ValidationContext, validate

from .test_path import (
    CONTENT,
    DAY,
    NOW,
    ctx,
    issue,
    make_pki,
    name,
    new_key,
    sign_cms,
    signer_info,
)

VECTORS = Path(__file__).resolve().parents[2] / "tests" / "vectors"
MESSAGE = (VECTORS / "cms" / "message.p7").read_bytes()
DETACHED = (VECTORS / "cms" / "message_detached.p7").read_bytes()
SIGNING_TIME = datetime(2018, 10, 22, 19, 25, 5, tzinfo=UTC)
LATER = datetime(2026, 11, 1, tzinfo=UTC)


def anchor_store(name: str = "SELF_SIGNED1.cer") -> TrustStore:
    return TrustStore.load([VECTORS / "certs" / name])


def at_signing_time(store: TrustStore | None = None, **kw: object) -> ValidationContext:
    return ValidationContext(
        trust=store or anchor_store(),
        at="signing-time",
        clock=lambda: LATER,
        **kw,  # type: ignore[arg-type]
    )


def flip_signature_bit(p7s: bytes) -> bytes:
    sig = parse_signed_data(p7s).signers[0].signature
    at = p7s.index(sig) + len(sig) // 2
    return p7s[:at] + bytes([p7s[at] ^ 0x01]) + p7s[at + 1 :]


# --- the public DSTU 4145 / GOST 34.311 vectors --------------------------------------------


def test_vector_parses() -> None:
    sd = parse_signed_data(MESSAGE)
    assert sd.content == b"123" and sd.attached
    signer = sd.signers[0]
    assert signer.signing_time == SIGNING_TIME
    assert signer.digest_oid == "1.2.804.2.1.1.1.1.2.1"
    assert signer.signature_oid == "1.2.804.2.1.1.1.1.3.1.1"
    assert parse_signed_data(DETACHED).content is None


def test_attached_vector_passes_at_signing_time() -> None:
    report = validate(MESSAGE, None, at_signing_time())
    assert report.indication == Indication.TOTAL_PASSED, report.errors
    assert report.sub_indication is None
    assert report.signing_time == SIGNING_TIME
    assert report.validation_time == SIGNING_TIME
    assert report.signed_content == b"123"
    assert report.signer is not None and report.signer.serial_number == "UA-99999999"
    assert any(w.code == "SIGNING_TIME_USED" for w in report.warnings)
    assert {c.name for c in report.checks} >= {
        "message_digest",
        "signature",
        "signing_certificate_attribute",
        "certificate_chain",
    }


def test_detached_vector_passes_with_its_content() -> None:
    report = validate(DETACHED, b"123", at_signing_time())
    assert report.indication == Indication.TOTAL_PASSED, report.errors
    assert not report.content.attached and report.content.size == 3


@pytest.mark.parametrize("other", [b"124", b"", b"123\n", b"0123"])
def test_detached_vector_fails_with_other_content(other: bytes) -> None:
    report = validate(DETACHED, other, at_signing_time())
    assert (report.indication, report.sub_indication) == (
        Indication.TOTAL_FAILED,
        SubIndication.HASH_FAILURE,
    )


def test_attached_vector_with_changed_content_byte_fails() -> None:
    tampered = MESSAGE.replace(b"\x04\x03123", b"\x04\x03124", 1)
    assert tampered != MESSAGE
    report = validate(tampered, None, at_signing_time())
    assert report.sub_indication == SubIndication.HASH_FAILURE
    assert report.indication == Indication.TOTAL_FAILED


def test_attached_vector_with_other_supplied_content_fails() -> None:
    report = validate(MESSAGE, b"456", at_signing_time())
    assert report.sub_indication == SubIndication.HASH_FAILURE


@pytest.mark.parametrize("p7s,content", [(MESSAGE, None), (DETACHED, b"123")])
def test_vector_with_flipped_signature_bit_fails(p7s: bytes, content: bytes | None) -> None:
    report = validate(flip_signature_bit(p7s), content, at_signing_time())
    assert (report.indication, report.sub_indication) == (
        Indication.TOTAL_FAILED,
        SubIndication.SIG_CRYPTO_FAILURE,
    )


@pytest.mark.parametrize("anchor", ["CZOROOT.cer", "czo-root-2017-gost34311.cer"])
def test_vector_with_another_trust_anchor_is_indeterminate(anchor: str) -> None:
    report = validate(MESSAGE, None, at_signing_time(anchor_store(anchor)))
    assert (report.indication, report.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
    )
    assert not report.policy_accepted


def test_vector_without_any_trust_anchor_is_indeterminate() -> None:
    report = validate(MESSAGE, None, at_signing_time(TrustStore()))
    assert report.sub_indication == SubIndication.NO_CERTIFICATE_CHAIN_FOUND


def test_vector_now_is_out_of_bounds_without_poe() -> None:
    # SELF_SIGNED1 expired in 2023 and the signature carries no time-stamp.
    report = validate(MESSAGE, None, ValidationContext(trust=anchor_store(), clock=lambda: LATER))
    assert (report.indication, report.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.OUT_OF_BOUNDS_NO_POE,
    )


def test_vector_at_a_given_instant() -> None:
    inside = validate(MESSAGE, None, ValidationContext(trust=anchor_store(), at=SIGNING_TIME))
    assert inside.passed
    before = datetime(2017, 1, 1, tzinfo=UTC)
    early = validate(MESSAGE, None, ValidationContext(trust=anchor_store(), at=before))
    assert early.sub_indication == SubIndication.NOT_YET_VALID


def test_detached_vector_without_content_is_indeterminate() -> None:
    report = validate(DETACHED, None, at_signing_time())
    assert (report.indication, report.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.SIGNED_DATA_NOT_FOUND,
    )


def test_signer_policy_on_the_vector() -> None:
    only_diia = validate(MESSAGE, None, at_signing_time(signer_policy=SignerPolicy.only(DIIA_SEAL)))
    assert only_diia.passed and not only_diia.policy_accepted
    assert any(w.code == "POLICY_REJECTED" for w in only_diia.warnings)
    listed = SignerPolicy.only(IdentityRule(subject_serial_number="UA-99999999"))
    accepted = validate(MESSAGE, None, at_signing_time(signer_policy=listed))
    assert accepted.passed and accepted.policy_accepted


def test_not_cms_is_a_format_error() -> None:
    with pytest.raises(FormatError):
        validate(MESSAGE[:200], None, at_signing_time())
    with pytest.raises(FormatError):
        validate((VECTORS / "certs" / "CZOROOT.cer").read_bytes(), None, at_signing_time())


def test_pem_armoured_vector_is_accepted() -> None:
    import base64

    pem = b"-----BEGIN PKCS7-----\n" + base64.encodebytes(MESSAGE) + b"-----END PKCS7-----\n"
    assert validate(pem, None, at_signing_time()).passed


# --- ECDSA / RSA signatures made here ---------------------------------------------------------


@pytest.fixture(scope="module")
def pki():  # type: ignore[no-untyped-def]
    return make_pki()


@pytest.mark.parametrize("detached", [True, False])
def test_ecdsa_cades_bes(pki, detached: bool) -> None:  # type: ignore[no-untyped-def]
    p7s = sign_cms(
        CONTENT, [signer_info(CONTENT, pki.signer)], [pki.signer, pki.ca], detached=detached
    )
    report = validate(p7s, CONTENT if detached else None, ctx(pki))
    assert report.indication == Indication.TOTAL_PASSED, report.errors
    assert report.signature_algorithm == "ECDSA with SHA-256"
    assert report.signer is not None
    assert report.signer.organization_identifier == "NTRUA-43395033"
    assert validate(p7s, CONTENT + b" ", ctx(pki)).sub_indication == SubIndication.HASH_FAILURE


def test_ecdsa_flipped_signature(pki) -> None:  # type: ignore[no-untyped-def]
    si = signer_info(CONTENT, pki.signer, tamper_signature=True)
    p7s = sign_cms(CONTENT, [si], [pki.signer, pki.ca])
    report = validate(p7s, CONTENT, ctx(pki))
    assert report.sub_indication == SubIndication.SIG_CRYPTO_FAILURE


def test_signer_identified_by_subject_key_identifier(pki) -> None:  # type: ignore[no-untyped-def]
    si = signer_info(CONTENT, pki.signer, use_ski=True)
    p7s = sign_cms(CONTENT, [si], [pki.signer, pki.ca])
    assert validate(p7s, CONTENT, ctx(pki)).passed
    # Twin: the certificate with that key identifier is missing.
    p7s_without = sign_cms(CONTENT, [si], [pki.ca])
    report = validate(p7s_without, CONTENT, ctx(pki))
    assert report.sub_indication == SubIndication.NO_SIGNING_CERTIFICATE_FOUND


def test_signing_certificate_from_extra_certs(pki) -> None:  # type: ignore[no-untyped-def]
    si = signer_info(CONTENT, pki.signer)
    p7s = sign_cms(CONTENT, [si], [])
    missing = validate(p7s, CONTENT, ctx(pki))
    assert missing.sub_indication == SubIndication.NO_SIGNING_CERTIFICATE_FOUND
    found = validate(p7s, CONTENT, ctx(pki, extra_certs=(pki.signer.der,)))
    assert found.passed, found.errors


def test_signing_certificate_v2_mismatch(pki) -> None:  # type: ignore[no-untyped-def]
    si = signer_info(CONTENT, pki.signer, signing_cert_v2=b"\x00" * 32)
    p7s = sign_cms(CONTENT, [si], [pki.signer, pki.ca])
    report = validate(p7s, CONTENT, ctx(pki))
    assert (report.indication, report.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
    )


def test_signing_certificate_v2_issuer_serial_mismatch(pki) -> None:  # type: ignore[no-untyped-def]
    # Same key, another certificate (other serial): the hash binds the first one only.
    twin = issue(pki.signer.cert.subject, pki.ca, key=pki.signer.key)
    si = signer_info(CONTENT, pki.signer)
    p7s = sign_cms(CONTENT, [si], [twin, pki.signer, pki.ca])
    assert validate(p7s, CONTENT, ctx(pki)).passed
    si_twin = signer_info(
        CONTENT, twin, signing_cert_v2=__import__("hashlib").sha256(pki.signer.der).digest()
    )
    p7s2 = sign_cms(CONTENT, [si_twin], [twin, pki.signer, pki.ca])
    report = validate(p7s2, CONTENT, ctx(pki))
    assert report.sub_indication == SubIndication.NO_SIGNING_CERTIFICATE_FOUND


def test_without_signing_certificate_attribute_is_a_warning(pki) -> None:  # type: ignore[no-untyped-def]
    si = signer_info(CONTENT, pki.signer, signing_cert_v2=False)
    p7s = sign_cms(CONTENT, [si], [pki.signer, pki.ca])
    report = validate(p7s, CONTENT, ctx(pki))
    assert report.passed
    assert any(w.code == "NO_SIGNING_CERTIFICATE_ATTRIBUTE" for w in report.warnings)


def test_signature_without_signed_attributes(pki) -> None:  # type: ignore[no-untyped-def]
    si = signer_info(CONTENT, pki.signer, signed_attrs=False)
    p7s = sign_cms(CONTENT, [si], [pki.signer, pki.ca], detached=False)
    report = validate(p7s, None, ctx(pki))
    assert report.passed, report.errors
    assert report.signing_time is None
    tampered = p7s.replace(CONTENT, CONTENT[:-1] + b"?")
    assert validate(tampered, None, ctx(pki)).sub_indication == SubIndication.SIG_CRYPTO_FAILURE


def test_several_signers(pki) -> None:  # type: ignore[no-untyped-def]
    citizen = issue(name("Invented Citizen"), pki.ca)
    both = [signer_info(CONTENT, pki.signer), signer_info(CONTENT, citizen)]
    p7s = sign_cms(CONTENT, both, [pki.signer, citizen, pki.ca])
    report = validate(p7s, CONTENT, ctx(pki, signer_policy=SignerPolicy.only(DIIA_SEAL)))
    assert report.passed and report.signer_count == 2
    assert report.policy_accepted
    # (DER sorts the SET OF SignerInfo, so the order is not the order they were added in.)
    subjects = {r.signer.subject for r in (report, *report.other_signatures) if r.signer}
    assert any("Invented Citizen" in s for s in subjects)
    assert any("Invented Seal" in s for s in subjects)
    # Twin: one bad co-signature fails the whole.
    bad = [signer_info(CONTENT, pki.signer), signer_info(CONTENT, citizen, tamper_signature=True)]
    p7s_bad = sign_cms(CONTENT, bad, [pki.signer, citizen, pki.ca])
    report_bad = validate(p7s_bad, CONTENT, ctx(pki))
    assert report_bad.indication == Indication.TOTAL_FAILED
    assert report_bad.sub_indication == SubIndication.SIG_CRYPTO_FAILURE


@pytest.mark.parametrize("pss", [False, True])
def test_rsa_signatures(pss: bool) -> None:
    pki = make_pki(signer_key=new_key("rsa"))
    si = signer_info(CONTENT, pki.signer, pss=pss)
    p7s = sign_cms(CONTENT, [si], [pki.signer, pki.ca])
    report = validate(p7s, CONTENT, ctx(pki))
    assert report.passed, report.errors
    si_bad = signer_info(CONTENT, pki.signer, pss=pss, tamper_signature=True)
    p7s_bad = sign_cms(CONTENT, [si_bad], [pki.signer, pki.ca])
    assert validate(p7s_bad, CONTENT, ctx(pki)).sub_indication == SubIndication.SIG_CRYPTO_FAILURE


def test_signing_time_mode_uses_the_claim(pki) -> None:  # type: ignore[no-untyped-def]
    si = signer_info(CONTENT, pki.signer, signing_time=NOW - 3 * DAY)
    p7s = sign_cms(CONTENT, [si], [pki.signer, pki.ca])
    report = validate(p7s, CONTENT, ctx(pki, at="signing-time"))
    assert report.validation_time == NOW - 3 * DAY
    assert any(w.code == "SIGNING_TIME_USED" for w in report.warnings)


def test_signer_certificate_from_certificate_values(pki) -> None:  # type: ignore[no-untyped-def]
    from asn1crypto import cms as a_cms
    from asn1crypto import x509 as a_x509

    from verify.asn1 import CertificateValues

    values = CertificateValues([a_x509.Certificate.load(c.der) for c in (pki.signer, pki.ca)])
    attr = a_cms.CMSAttribute({"type": "certificate_values", "values": [values]})
    si = signer_info(CONTENT, pki.signer, unsigned=[attr])
    p7s = sign_cms(CONTENT, [si], [])
    report = validate(p7s, CONTENT, ctx(pki.store(with_ca=False)))
    assert report.passed, report.errors
    assert len(report.chain) == 3
    # Twin: without the attribute the signer's certificate is nowhere to be found.
    bare = sign_cms(CONTENT, [signer_info(CONTENT, pki.signer)], [])
    assert (
        validate(bare, CONTENT, ctx(pki.store(with_ca=False))).sub_indication
        == SubIndication.NO_SIGNING_CERTIFICATE_FOUND
    )


def test_forged_copy_with_the_same_issuer_and_serial_is_passed_over(pki) -> None:  # type: ignore[no-untyped-def]
    forged = issue(
        pki.signer.cert.subject, pki.ca, serial=pki.signer.cert.serial_number, key=new_key()
    )
    si = signer_info(CONTENT, pki.signer)
    p7s = sign_cms(CONTENT, [si], [forged, pki.signer, pki.ca])
    report = validate(p7s, CONTENT, ctx(pki))
    assert report.passed, report.errors
    assert report.signer is not None and report.signer.sha256 == pki.signer.parsed.sha256
    # Twin: with only the forged copy the signature cannot verify.
    only_forged = sign_cms(CONTENT, [si], [forged, pki.ca])
    assert validate(only_forged, CONTENT, ctx(pki)).indication != Indication.TOTAL_PASSED
