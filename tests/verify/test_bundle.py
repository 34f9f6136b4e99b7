"""The real national CA bundle (CACertificates-2023-05.p7b, 484 certificates) loads whole,
chains build through it, and every certificate's signature verifies over the bytes the CA signed.

Outside truth: the bundle as the CZO and IIT distribute it, `openssl pkcs7` counting its
certificates, and OpenSSL (through `cryptography`) verifying the ECDSA and RSA links.
"""

from __future__ import annotations

import collections
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509 as cx509

from verify import der
from verify.certs import Certificate, load_certificate
from verify.path import build_path, verify_certificate_signature
from verify.trust import Material, TrustStore, load_bytes, load_file

BUNDLE_COUNT = 484
SHA1_RSA = "1.2.840.113549.1.1.5"


@pytest.fixture(scope="module")
def bundle_path(vectors_dir: Path) -> Path:
    return vectors_dir / "trust" / "CACertificates-2023-05.p7b"


@pytest.fixture(scope="module")
def bundle(bundle_path: Path) -> Material:
    return load_file(bundle_path)


def _issuers(certs: tuple[Certificate, ...]) -> dict[Certificate, list[Certificate]]:
    """Issuer candidates inside the bundle: by name and, where both carry one, key identifier."""
    by_subject: dict[object, list[Certificate]] = collections.defaultdict(list)
    for cert in certs:
        by_subject[cert.subject_key].append(cert)
    out = {}
    for cert in certs:
        out[cert] = [
            i
            for i in by_subject.get(cert.issuer_key, [])
            if cert.aki is None or i.ski is None or cert.aki == i.ski
        ]
    return out


def test_the_whole_bundle_loads(bundle: Material, bundle_path: Path) -> None:
    assert len(bundle.certificates) == BUNDLE_COUNT
    assert bundle.skipped == ()
    assert len({c.sha256 for c in bundle.certificates}) == BUNDLE_COUNT
    if shutil.which("openssl"):
        out = subprocess.run(
            ["openssl", "pkcs7", "-inform", "DER", "-in", str(bundle_path), "-print_certs"],
            capture_output=True,
            check=True,
        ).stdout
        assert out.count(b"-----BEGIN CERTIFICATE-----") == BUNDLE_COUNT
    # Certificates are cut out of the file as they are: each is a substring of the bundle.
    data = bundle_path.read_bytes()
    assert all(c.der in data for c in bundle.certificates)


def test_certificates_whose_length_ends_in_0x80_keep_their_bytes(bundle: Material) -> None:
    """asn1crypto mistakes a length whose last octet is 0x80 for BER indefinite length and
    re-encodes the value; those certificates once threw the whole bundle away."""
    odd = [c for c in bundle.certificates if c.der[der.read(c.der).content_start - 1] == 0x80]
    assert odd, "the bundle has such certificates; this test guards them"
    by_issuer = _issuers(bundle.certificates)
    for cert in odd:
        assert cert.tbs_der in cert.der
        assert any(verify_certificate_signature(cert, i) for i in by_issuer[cert])


def test_every_bundle_certificate_verifies_under_its_issuer_in_the_bundle(
    bundle: Material,
) -> None:
    by_issuer = _issuers(bundle.certificates)
    with_issuer = [c for c in bundle.certificates if by_issuer[c]]
    verified = [
        c for c in with_issuer if any(verify_certificate_signature(c, i) for i in by_issuer[c])
    ]
    algorithms = collections.Counter(c.signature_algorithm for c in verified)
    print(
        f"\nbundle signatures verified: {len(verified)} of {len(with_issuer)} certificates whose "
        f"issuer is in the bundle ({len(bundle.certificates)} in all); by algorithm: "
        f"{dict(algorithms)}"
    )
    assert len(with_issuer) == BUNDLE_COUNT
    assert len(verified) == len(with_issuer)


def test_openssl_agrees_on_the_ecdsa_and_rsa_links(bundle: Material) -> None:
    by_issuer = _issuers(bundle.certificates)
    checked = 0
    for cert in bundle.certificates:
        if cert.signature_algorithm.startswith("1.2.804.") or cert.signature_algorithm == SHA1_RSA:
            continue  # OpenSSL has no DSTU 4145; `cryptography` refuses SHA-1 signatures
        ours = [i for i in by_issuer[cert] if verify_certificate_signature(cert, i)]
        assert ours
        theirs = cx509.load_der_x509_certificate(cert.der)
        theirs.verify_directly_issued_by(cx509.load_der_x509_certificate(ours[0].der))
        checked += 1
    assert checked >= 100


def test_tampered_bundle_certificates_do_not_verify(bundle: Material) -> None:
    """One TBS byte, one signature byte: twins of the positive cases above, per algorithm."""
    by_issuer = _issuers(bundle.certificates)
    seen: set[str] = set()
    twins = 0
    for cert in bundle.certificates:
        if cert.signature_algorithm in seen:
            continue
        seen.add(cert.signature_algorithm)
        issuer = next(i for i in by_issuer[cert] if verify_certificate_signature(cert, i))
        tbs = der.tbs_certificate(cert.der)
        at = cert.der.index(tbs) + len(tbs) - 40  # inside the extensions, still parseable
        tbs_twin = cert.der[:at] + bytes([cert.der[at] ^ 0x01]) + cert.der[at + 1 :]
        sig_twin = cert.der[:-3] + bytes([cert.der[-3] ^ 0x01]) + cert.der[-2:]
        for twin in (tbs_twin, sig_twin):
            parsed = Certificate.from_der(twin)
            assert not verify_certificate_signature(parsed, issuer)
            twins += 1
    assert len(seen) >= 3 and twins == 2 * len(seen)


def test_real_chain_builds_through_the_bundle(bundle: Material, vectors_dir: Path) -> None:
    """SFS_1 (a tax service end-entity) -> the tax service CA -> a CZO root."""
    roots = [c for c in bundle.certificates if c.self_issued]
    store = TrustStore.from_certificates(roots, [c for c in bundle.certificates if c not in roots])
    leaf = load_certificate((vectors_dir / "certs" / "SFS_1.cer").read_bytes())
    path = build_path(leaf, store, when=leaf.not_before)
    assert len(path.chain) == 3, path.detail
    assert "ДФС" in path.chain[1].subject
    assert "Центральний засвідчувальний орган" in path.chain[2].subject
    assert store.is_anchor(path.chain[2])


def _tlv(tag: int, body: bytes) -> bytes:
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    size = (n.bit_length() + 7) // 8
    return bytes([tag, 0x80 | size]) + n.to_bytes(size, "big") + body


def test_an_unreadable_certificate_is_skipped_by_name(bundle: Material) -> None:
    good = [c.der for c in bundle.certificates[:3]]
    broken = _tlv(0x30, der.read(good[1]).content(good[1])[:-20])  # signature cut off
    signed_data = _tlv(
        0x30,
        _tlv(0x02, b"\x01")
        + _tlv(0x31, b"")
        + _tlv(0x30, _tlv(0x06, bytes.fromhex("2a864886f70d010701")))
        + _tlv(0xA0, good[0] + broken + good[2])
        + _tlv(0x31, b""),
    )
    p7b = _tlv(0x30, _tlv(0x06, bytes.fromhex("2a864886f70d010702")) + _tlv(0xA0, signed_data))
    material = load_bytes(p7b)
    assert [c.der for c in material.certificates] == [good[0], good[2]]
    assert len(material.skipped) == 1
    assert material.skipped[0].startswith("certificate #2 (serial ")
