"""Fuzz: the CMS/certificate side of verify/ lets only VerifyError out, whatever the bytes.

Seeds are the shared public vectors (a real DSTU 4145 CMS, attached and detached, and real
Ukrainian CA certificates) and ECDSA CAdES signatures from the test PKI; `mutations.mutated`
damages them. The contract under test (ARCHITECTURE 3, verify/errors.py): `parse_signed_data`
and `Certificate.from_der` return a value or raise a `VerifyError` with a reason; `validate`
returns a Report (which renders) or raises `FormatError`. Anything else escaping is a crash the
worker would have to absorb, so each would be a bug here.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given

from tests.hardening.material import signed_copy
from tests.hardening.mutations import mutated
from tests.hardening.profiles import fuzz
from verify.certs import Certificate
from verify.cms import parse_signed_data
from verify.errors import FormatError, VerifyError
from verify.report import Report
from verify.trust import TrustStore, load_bytes
from verify.validate import ValidationContext, validate

VECTORS = Path(__file__).resolve().parents[2] / "tests" / "vectors"
DSTU_CMS = [(VECTORS / "cms" / n).read_bytes() for n in ("message.p7", "message_detached.p7")]
CERTS = [p.read_bytes() for p in sorted((VECTORS / "certs").glob("*.cer"))]
SIGNED = signed_copy()
ECDSA_CMS = [SIGNED.p7s, SIGNED.attached_p7s]
ECDSA_CTX = ValidationContext(trust=TrustStore.from_certificates([SIGNED.root_der]))
DSTU_CTX = ValidationContext(
    trust=TrustStore.load([VECTORS / "certs" / "SELF_SIGNED1.cer"]),
    at="signing-time",
    clock=lambda: datetime(2026, 1, 1, tzinfo=UTC),
)


def test_seeds_are_what_the_fuzzers_think_they_are() -> None:
    """The seeds parse and verify intact, so the mutations start from meaningful input."""
    assert all(parse_signed_data(d).signers for d in DSTU_CMS + ECDSA_CMS)
    assert len(CERTS) >= 8 and all(Certificate.from_der(c).subject for c in CERTS)
    assert validate(SIGNED.p7s, SIGNED.pdf, ECDSA_CTX).indication == "TOTAL_PASSED"
    tampered = SIGNED.pdf.replace(b"000123456", b"000123457")
    assert validate(SIGNED.p7s, tampered, ECDSA_CTX).indication == "TOTAL_FAILED"


def _touch(cert: Certificate) -> None:
    """Read what the UI and the report read, so lazily parsed parts are exercised too."""
    _ = (cert.common_name, cert.organization_identifier, cert.subject_serial_number)
    _ = (cert.subject, cert.issuer, cert.not_before, cert.not_after, cert.extensions)


@fuzz(150)
@given(mutated(DSTU_CMS + ECDSA_CMS))
def test_parse_signed_data_raises_only_verify_errors(data: bytes) -> None:
    try:
        sd = parse_signed_data(data)
    except VerifyError as exc:
        assert exc.reason
        return
    for signer in sd.signers:
        _ = (signer.signing_time, signer.message_digest, signer.cert_refs, signer.content_type)
        _ = (signer.signature_timestamps, signer.revocation_values, signer.certificate_values)


@fuzz(150)
@given(mutated([*CERTS, SIGNED.root_der]))
def test_certificate_parser_raises_only_verify_errors(der: bytes) -> None:
    try:
        cert = Certificate.from_der(der)
    except VerifyError as exc:
        assert exc.reason
        return
    _touch(cert)


def _pem(label: str, der: bytes) -> bytes:
    body = base64.encodebytes(der)
    return f"-----BEGIN {label}-----\n".encode() + body + f"-----END {label}-----\n".encode()


TRUST_FILES = [
    *CERTS,
    SIGNED.root_der,
    *ECDSA_CMS,
    _pem("CERTIFICATE", SIGNED.root_der) + _pem("CERTIFICATE", CERTS[0]),
    _pem("PKCS7", SIGNED.attached_p7s),
]


@fuzz(60)
@given(mutated(TRUST_FILES))
def test_trust_material_loader_raises_only_verify_errors(data: bytes) -> None:
    """Admins upload trust files through the UI: a damaged file is a clear error, not a crash."""
    try:
        material = load_bytes(data)
    except VerifyError as exc:
        assert exc.reason
        return
    assert material is not None


def _validate(p7s: bytes, content: bytes | None, ctx: ValidationContext) -> None:
    try:
        report = validate(p7s, content, ctx)
    except FormatError as exc:
        assert exc.reason
        return
    assert isinstance(report, Report)
    assert report.indication in ("TOTAL_PASSED", "TOTAL_FAILED", "INDETERMINATE")
    report.to_dict()
    report.render_text("uk")
    report.render_text("en")


@fuzz(80)
@given(mutated(ECDSA_CMS), mutated([SIGNED.pdf], max_edits=1))
def test_validate_ecdsa_returns_a_report_or_format_error(p7s: bytes, pdf: bytes) -> None:
    _validate(p7s, pdf, ECDSA_CTX)


@pytest.mark.slow
@fuzz(12)
@given(mutated(DSTU_CMS, max_edits=2))
def test_validate_dstu_returns_a_report_or_format_error(p7s: bytes) -> None:
    """Pure-Python DSTU 4145 is slow: a small budget in the normal suite, more when long."""
    _validate(p7s, b"123", DSTU_CTX)
