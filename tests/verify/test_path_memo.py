"""A CA signature is checked once per process, and a changed byte is never served from memory."""

from __future__ import annotations

import pytest

from tests.support.pki import TestPKI
from verify import algorithms, path
from verify.certs import Certificate


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls = [0]
    real = algorithms.verify_with_key

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(algorithms, "verify_with_key", counted)
    return calls


def _tampered_tbs(der: bytes, needle: bytes) -> bytes:
    at = der.index(needle)
    return der[:at] + bytes([der[at] ^ 0x01]) + der[at + 1 :]


@pytest.mark.parametrize("flavour", ["dstu", "ecdsa"])
def test_each_link_is_verified_once(
    flavour: str, dstu_pki: TestPKI, ecdsa_pki: TestPKI, monkeypatch: pytest.MonkeyPatch
) -> None:
    pki = dstu_pki if flavour == "dstu" else ecdsa_pki
    path.verify_certificate_signature.cache_clear()
    calls = _counting(monkeypatch)
    ca = Certificate.from_der(pki.ca.cert)
    root = Certificate.from_der(pki.root.cert)
    assert path.verify_certificate_signature(ca, root)
    assert calls[0] == 1
    for _ in range(5):
        assert path.verify_certificate_signature(Certificate.from_der(pki.ca.cert), root)
    assert calls[0] == 1  # remembered

    # The tampered twin: one TBS byte changed is a new question, and its answer is "no".
    subject = ca.asn1["tbs_certificate"]["subject"].dump()
    forged = Certificate.from_der(_tampered_tbs(pki.ca.cert, subject[-6:]))
    assert forged.tbs_der != ca.tbs_der
    assert not path.verify_certificate_signature(forged, root)
    assert calls[0] == 2
    # ...and a changed signature byte too.
    sig = ca.signature_value
    forged_sig = Certificate.from_der(_tampered_tbs(pki.ca.cert, sig[-8:]))
    assert not path.verify_certificate_signature(forged_sig, root)
    # The genuine one still verifies from memory.
    assert path.verify_certificate_signature(ca, root)
    assert calls[0] == 3
