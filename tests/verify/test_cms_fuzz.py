"""Property: whatever bytes come in, only VerifyError (or a Report) comes out.

Random bytes, DER-looking garbage and mutations of real signatures (the DSTU vector and an ECDSA
CAdES with a time-stamp and revocation values) go through the parser and through validate().
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from verify.cms import parse_signed_data
from verify.errors import VerifyError
from verify.report import Report
from verify.trust import TrustStore
from verify.validate import ValidationContext, validate

from .test_path import (
    CONTENT,
    DAY,
    NOW,
    make_crl,
    make_ocsp,
    make_pki,
    make_tst,
    revocation_attribute,
    sign_cms,
    signer_info,
    tst_attribute,
)

VECTORS = Path(__file__).resolve().parents[2] / "tests" / "vectors"
MESSAGE = (VECTORS / "cms" / "message.p7").read_bytes()
DSTU_CTX = ValidationContext(
    trust=TrustStore.load([VECTORS / "certs" / "SELF_SIGNED1.cer"]),
    at="signing-time",
    clock=lambda: datetime(2026, 1, 1, tzinfo=UTC),
)


def _ecdsa_sample() -> tuple[bytes, ValidationContext]:
    pki = make_pki()
    si = signer_info(CONTENT, pki.signer)
    token = make_tst(pki.tsa, si["signature"].native, NOW - DAY, chain=[pki.ca])
    good = make_ocsp(pki.signer, pki.ca, pki.ca)
    from asn1crypto import cms as a_cms

    si["unsigned_attrs"] = a_cms.CMSAttributes(
        [tst_attribute(token), revocation_attribute(ocsp_vals=[good], crls=[make_crl(pki.root)])]
    )
    p7s = sign_cms(CONTENT, [si], [pki.signer, pki.ca], detached=False)
    context = ValidationContext(trust=pki.store(), clock=lambda: NOW, revocation="require")
    return p7s, context


ECDSA, ECDSA_CTX = _ecdsa_sample()
FUZZ = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _only_verify_errors(data: bytes, content: bytes | None, ctx: ValidationContext) -> None:
    try:
        report = validate(data, content, ctx)
    except VerifyError as exc:
        assert exc.reason  # a stable code travels with every refusal
        return
    assert isinstance(report, Report)
    report.to_dict()
    report.render_text("uk")


def _mutate(base: bytes, edits: list[tuple[int, int, int]]) -> bytes:
    out = bytearray(base)
    for position, kind, value in edits:
        if not out:
            break
        at = position % len(out)
        if kind == 0:
            out[at] = value
        elif kind == 1:
            out[at] ^= 1 << (value % 8)
        elif kind == 2:
            del out[at]
        elif kind == 3:
            out.insert(at, value)
        else:
            del out[at:]
    return bytes(out)


EDITS = st.lists(
    st.tuples(st.integers(0, 1 << 16), st.integers(0, 4), st.integers(0, 255)),
    min_size=1,
    max_size=4,
)


@FUZZ
@given(st.binary(max_size=4096))
def test_random_bytes(data: bytes) -> None:
    _only_verify_errors(data, None, DSTU_CTX)


@FUZZ
@given(st.binary(max_size=600), st.integers(0, 0xFFFF))
def test_der_looking_garbage(body: bytes, length: int) -> None:
    header = b"\x30\x82" + length.to_bytes(2, "big")
    _only_verify_errors(header + body, b"123", DSTU_CTX)


@FUZZ
@given(EDITS)
def test_mutated_dstu_vector(edits: list[tuple[int, int, int]]) -> None:
    _only_verify_errors(_mutate(MESSAGE, edits), None, DSTU_CTX)


@FUZZ
@given(EDITS)
def test_mutated_ecdsa_cades(edits: list[tuple[int, int, int]]) -> None:
    _only_verify_errors(_mutate(ECDSA, edits), None, ECDSA_CTX)


@FUZZ
@given(EDITS)
def test_parser_alone(edits: list[tuple[int, int, int]]) -> None:
    try:
        parse_signed_data(_mutate(ECDSA, edits))
    except VerifyError:
        pass


def test_unmutated_samples_pass() -> None:
    """The twin of the properties: the samples themselves are valid, so mutations matter."""
    assert validate(MESSAGE, None, DSTU_CTX).passed
    report = validate(ECDSA, None, ECDSA_CTX)
    assert report.passed, report.errors
    assert report.timestamps and report.timestamps[0].valid
