"""One signature, one encoding (issue 12, item 5).

A CMS SignerInfo's DSTU 4145 signature OCTET STRING holds the bare r||s; a certificate's
signatureValue BIT STRING holds a DER OCTET STRING of r||s. Each form is accepted in its own
place and rejected in the other, on the real public CMS sample, on real bundle certificates and
on the test PKI. The state-certified C library and a JavaScript verifier reject an extra
OCTET STRING wrapper in a SignerInfo as well.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from asn1crypto import core

from tests.support.pki import TestPKI, sign_cades, tamper
from verify import der
from verify.certs import Certificate, load_certificate
from verify.path import verify_certificate_signature
from verify.report import Indication, SubIndication
from verify.trust import TrustStore, load_file
from verify.validate import ValidationContext, validate


def _header(tag: int, n: int) -> bytes:
    if n < 0x80:
        return bytes([tag, n])
    size = (n.bit_length() + 7) // 8
    return bytes([tag, 0x80 | size]) + n.to_bytes(size, "big")


def _splice(data: bytes, tlv: der.Tlv, target: der.Tlv, new: bytes) -> bytes:
    """`data`'s element `tlv` with its descendant `target` replaced by `new`, every enclosing
    length fixed and every other byte kept as it was (no re-encoding of what was signed)."""
    if (tlv.start, tlv.end) == (target.start, target.end):
        return new
    body = b"".join(
        _splice(data, child, target, new)
        if child.start <= target.start and target.end <= child.end
        else child.raw(data)
        for child in der.children(data, tlv)
    )
    return _header(data[tlv.start], len(body)) + body


def _with_signature(p7s: bytes, make: object) -> bytes:
    """The P7S with its first SignerInfo's signature OCTET STRING replaced by make(old)."""
    _certs, infos = der.signed_data_parts(p7s)
    element = next(c for c in der.children(p7s, infos[0]) if c.tag == 0x04)
    old = element.content(p7s)
    new = make(old)  # type: ignore[operator]
    return _splice(p7s, der.read(p7s), element, _header(0x04, len(new)) + new)


def _wrap(raw: bytes) -> bytes:
    return core.OctetString(raw).dump()


def _ctx(pki: TestPKI, now: dt.datetime) -> ValidationContext:
    return ValidationContext(
        trust=TrustStore.from_certificates([pki.anchor]), clock=lambda: now + dt.timedelta(hours=1)
    )


def test_real_sample_bare_signature_passes_and_wrapped_is_format_failure(
    vectors_dir: Path,
) -> None:
    p7s = (vectors_dir / "cms" / "message.p7").read_bytes()
    signer = load_certificate((vectors_dir / "certs" / "SELF_SIGNED1.cer").read_bytes())
    ctx = ValidationContext(trust=TrustStore.from_certificates([signer]), at="signing-time")
    assert validate(p7s, None, ctx).passed
    wrapped = _with_signature(p7s, _wrap)
    report = validate(wrapped, None, ctx)
    assert report.indication == Indication.TOTAL_FAILED
    assert report.sub_indication == SubIndication.FORMAT_FAILURE
    assert any("extra OCTET STRING" in e.message for e in report.errors), report.errors
    # Tampered twins of the positive case: one signature byte, one content byte.
    sig_twin = _with_signature(p7s, lambda s: s[:-1] + bytes([s[-1] ^ 1]))
    assert validate(sig_twin, None, ctx).sub_indication == SubIndication.SIG_CRYPTO_FAILURE
    content_at = p7s.index(b"123")
    assert validate(tamper(p7s, content_at), None, ctx).indication == Indication.TOTAL_FAILED


def test_test_pki_signer_info_forms(dstu_pki: TestPKI, pki_now: dt.datetime) -> None:
    p7s = sign_cades(dstu_pki, b"copy", detached=False)
    assert validate(p7s, None, _ctx(dstu_pki, pki_now)).passed
    report = validate(_with_signature(p7s, _wrap), None, _ctx(dstu_pki, pki_now))
    assert (report.indication, report.sub_indication) == (
        Indication.TOTAL_FAILED,
        SubIndication.FORMAT_FAILURE,
    )


def _resigned_value(cert_der: bytes, new_value: bytes) -> Certificate:
    """The same certificate with its signatureValue BIT STRING payload replaced."""
    outer = der.read(cert_der)
    parts = der.child_list(cert_der, outer)
    bit_string = core.BitString.load(parts[2].raw(cert_der))
    assert bit_string.contents[0] == 0  # no unused bits
    new_bits = core.OctetBitString(new_value).dump()
    body = parts[0].raw(cert_der) + parts[1].raw(cert_der) + new_bits
    n = len(body)
    size = (n.bit_length() + 7) // 8
    return Certificate.from_der(bytes([0x30, 0x80 | size]) + n.to_bytes(size, "big") + body)


def test_certificate_signature_value_keeps_the_octet_string_form(vectors_dir: Path) -> None:
    bundle = load_file(vectors_dir / "trust" / "CACertificates-2023-05.p7b").certificates
    by_subject = {c.subject_key: c for c in bundle if c.self_issued}
    checked = 0
    for cert in bundle:
        if not cert.signature_algorithm.startswith("1.2.804.") or cert.self_issued:
            continue
        issuer = by_subject.get(cert.issuer_key)
        if issuer is None or not verify_certificate_signature(cert, issuer):
            continue
        wrapped = cert.signature_value
        assert wrapped[0] == 0x04  # the profile of real certificates
        bare = core.OctetString.load(wrapped).native
        same = _resigned_value(cert.der, wrapped)
        assert verify_certificate_signature(same, issuer)
        assert not verify_certificate_signature(_resigned_value(cert.der, bare), issuer)
        # and the tampered twin: one signature byte
        assert not verify_certificate_signature(
            _resigned_value(cert.der, wrapped[:-1] + bytes([wrapped[-1] ^ 1])), issuer
        )
        checked += 1
        if checked == 3:
            break
    assert checked == 3
