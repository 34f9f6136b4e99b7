"""Time-stamps shaped like real CAdES-X-Long signatures (issue 12, item 4).

Real qualified TSAs often leave their certificate out of the token (RFC 3161 certReq false);
producers then carry it in the signature's certificate-values, in its SignedData certificates,
in another token of the same signature, or rely on the national bundle, which lists TSA
certificates itself. Each placement is built with the test PKI in both flavours and validated
long after the signer's (and the TSA's) certificate expired: a valid signature time-stamp is a
proof of existence (ETSI EN 319 102-1), so the result stays TOTAL_PASSED. Every positive case
has tampered twins (token signature byte, content byte, signature byte), and OpenSSL's
`ts -verify` checks the ECDSA tokens as a second opinion.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import cms, pem

from tests.support.pki import TestPKI, sign_cades, tamper
from verify import der
from verify.report import Indication, SubIndication
from verify.trust import TrustStore
from verify.validate import ValidationContext, validate

PLACEMENTS = ("token", "certificate-values", "signed-data", "other-token", "trust-store")
CONTENT = b"%PDF-1.7 a Diia copy, as signed"


def _sign(pki: TestPKI, placement: str) -> tuple[bytes, TrustStore]:
    kw: dict[str, Any] = {"level": "T", "detached": False}
    anchors = [pki.anchor]
    if placement != "token":
        kw["token_certs"] = []
    if placement == "certificate-values":
        kw["certificate_values"] = [pki.tsa.cert, pki.ca.cert]
    elif placement == "signed-data":
        kw["signed_data_certs"] = [pki.seal.cert, pki.ca.cert, pki.tsa.cert]
    elif placement == "other-token":
        kw["content_timestamp"] = True
        kw["content_token_certs"] = [pki.tsa.cert, pki.ca.cert]
    elif placement == "trust-store":
        anchors.append(pki.tsa.cert)  # as the national bundle lists TSA certificates
    return sign_cades(pki, CONTENT, **kw), TrustStore.from_certificates(anchors)


def _late(pki: TestPKI, store: TrustStore) -> ValidationContext:
    """Long after every end-entity certificate of the PKI expired (730 days)."""
    late = pki.now + dt.timedelta(days=800)
    return ValidationContext(trust=store, clock=lambda: late)


def _signature_token(p7s: bytes) -> bytes:
    signer = cms.ContentInfo.load(p7s)["content"]["signer_infos"][0]
    for attr in signer["unsigned_attrs"]:
        if attr["type"].native == "signature_time_stamp_token":
            return der.received(attr["values"][0])
    raise AssertionError("no signature time-stamp")


@pytest.fixture(params=["ecdsa", "dstu"])
def pki(request: pytest.FixtureRequest, ecdsa_pki: TestPKI, dstu_pki: TestPKI) -> TestPKI:
    return ecdsa_pki if request.param == "ecdsa" else dstu_pki


@pytest.mark.parametrize("placement", PLACEMENTS)
def test_tsa_certificate_is_found_and_the_time_stamp_proves_existence(
    pki: TestPKI, placement: str
) -> None:
    p7s, store = _sign(pki, placement)
    report = validate(p7s, None, _late(pki, store))
    assert report.indication == Indication.TOTAL_PASSED, (placement, report.errors)
    assert all(t.valid for t in report.timestamps), report.timestamps
    assert any(w.code == "POE_USED" for w in report.warnings)

    # Twin: one byte of the token's own signature: no proof of existence, so the expired
    # signer certificate is no longer covered.
    token = _signature_token(p7s)
    at = p7s.index(token) + len(token) - 3
    twin = validate(tamper(p7s, at), None, _late(pki, store))
    assert twin.indication != Indication.TOTAL_PASSED
    assert not twin.timestamps[-1].valid
    # Twin: one content byte.
    twin = validate(tamper(p7s, p7s.index(CONTENT) + 5), None, _late(pki, store))
    assert (twin.indication, twin.sub_indication) == (
        Indication.TOTAL_FAILED,
        SubIndication.HASH_FAILURE,
    )
    # Twin: one byte of the signer's signature value (the token's imprint no longer matches).
    info = cms.ContentInfo.load(p7s)["content"]["signer_infos"][0]
    signature = bytes(info["signature"].native)
    twin = validate(tamper(p7s, p7s.index(signature) + 7), None, _late(pki, store))
    assert twin.indication == Indication.TOTAL_FAILED


def test_without_the_tsa_certificate_anywhere_there_is_no_proof(ecdsa_pki: TestPKI) -> None:
    p7s = sign_cades(ecdsa_pki, CONTENT, level="T", detached=False, token_certs=[])
    store = TrustStore.from_certificates([ecdsa_pki.anchor])
    report = validate(p7s, None, _late(ecdsa_pki, store))
    assert report.indication == Indication.INDETERMINATE
    assert report.timestamps[-1].detail == "TSA certificate not found"
    # ...while at signing time the same signature is valid without any proof of existence.
    fresh = ValidationContext(trust=store, clock=lambda: ecdsa_pki.now + dt.timedelta(hours=1))
    assert validate(p7s, None, fresh).passed


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")
@pytest.mark.parametrize("placement", ["token", "certificate-values"])
def test_openssl_ts_agrees(ecdsa_pki: TestPKI, placement: str, tmp_path: Path) -> None:
    """`openssl ts -verify` on the signature time-stamp token, with the TSA certificate given
    as untrusted material where the token does not carry it."""
    p7s, _store = _sign(ecdsa_pki, placement)
    token = _signature_token(p7s)
    signature = bytes(cms.ContentInfo.load(p7s)["content"]["signer_infos"][0]["signature"].native)
    (tmp_path / "token.der").write_bytes(token)
    (tmp_path / "root.pem").write_bytes(pem.armor("CERTIFICATE", ecdsa_pki.anchor))
    (tmp_path / "chain.pem").write_bytes(
        pem.armor("CERTIFICATE", ecdsa_pki.tsa.cert) + pem.armor("CERTIFICATE", ecdsa_pki.ca.cert)
    )

    def openssl(token_file: str, digest: bytes) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                "openssl",
                "ts",
                "-verify",
                "-token_in",
                "-in",
                token_file,
                "-digest",
                digest.hex(),
                "-CAfile",
                str(tmp_path / "root.pem"),
                "-untrusted",
                str(tmp_path / "chain.pem"),
                "-attime",
                str(int(ecdsa_pki.now.timestamp()) + 3600),
            ],
            capture_output=True,
            text=True,
            check=False,
        )

    ok = openssl(str(tmp_path / "token.der"), hashlib.sha256(signature).digest())
    assert ok.returncode == 0 and "Verification: OK" in ok.stdout, ok.stderr
    bad = openssl(str(tmp_path / "token.der"), hashlib.sha256(signature[:-1] + b"\0").digest())
    assert bad.returncode != 0
    (tmp_path / "tampered.der").write_bytes(tamper(token, len(token) - 3))
    assert openssl(str(tmp_path / "tampered.der"), hashlib.sha256(signature).digest()).returncode
