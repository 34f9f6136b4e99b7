"""Certificates carried in messages are parsed once per distinct DER, and a changed byte is a
new parse whose signature check fails (the memo is keyed by the exact bytes, never by a name)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support.pki import TestPKI, sign_cades
from verify import cms
from verify.trust import TrustStore
from verify.validate import ValidationContext, validate

CONTENT = b"%PDF-1.7 invented copy for the parse memo\n" * 50


@pytest.mark.parametrize("flavour", ["dstu", "ecdsa"])
def test_same_certificates_are_parsed_once_and_tampered_ones_fail(
    flavour: str, dstu_pki: TestPKI, ecdsa_pki: TestPKI, pki_now: dt.datetime
) -> None:
    pki = dstu_pki if flavour == "dstu" else ecdsa_pki
    p7s = sign_cades(pki, CONTENT, signed_data_certs=[pki.seal.cert, pki.ca.cert])
    ctx = ValidationContext(trust=TrustStore.from_certificates([pki.anchor]), at=pki_now)
    cms._certificate.cache_clear()

    first = validate(p7s, CONTENT, ctx)
    parsed = cms._certificate.cache_info().misses
    assert parsed == 2  # the seal and the CA, each parsed once
    for _ in range(3):
        again = validate(p7s, CONTENT, ctx)
        assert again.indication == first.indication == "TOTAL_PASSED"
    assert cms._certificate.cache_info().misses == parsed  # served from the memo
    assert cms._certificate.cache_info().hits >= 6

    # The tampered twin: one byte of the seal's public key changed in the carried certificate.
    seal = pki.seal.cert
    at = len(seal) // 2
    forged_seal = seal[:at] + bytes([seal[at] ^ 0x01]) + seal[at + 1 :]
    forged = p7s.replace(seal, forged_seal)
    assert forged != p7s
    report = validate(forged, CONTENT, ctx)
    assert report.indication != "TOTAL_PASSED"
    assert cms._certificate.cache_info().misses == parsed + 1  # a new parse, not the memo
