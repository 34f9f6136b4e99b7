"""What a caller already decoded and hashed (pairing, on receipt) is reused by `validate`, but
only for the very bytes it is of: the verdict is the same with or without it."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support.pdf import make_pdf
from tests.support.pki import make_pki, sign_cades
from verify import algorithms
from verify.cms import decode_signature
from verify.digests import ContentDigests
from verify.report import Indication, SubIndication
from verify.trust import TrustStore
from verify.validate import ValidationContext, validate

PDF = make_pdf(["Паспорт громадянина України", "Тестовий Тарас"])
OTHER = make_pdf(["Картка платника податків"])


@pytest.fixture(scope="module", params=["ecdsa", "dstu"])
def signed(request: pytest.FixtureRequest) -> tuple[bytes, bytes, ValidationContext]:
    now = dt.datetime.now(dt.UTC)
    pki = make_pki(request.param, now=now)
    ctx = ValidationContext(
        trust=TrustStore.from_certificates([pki.anchor]), clock=lambda: now + dt.timedelta(hours=1)
    )
    return sign_cades(pki, PDF, detached=True), sign_cades(pki, OTHER, detached=True), ctx


class _Counting(ContentDigests):
    def __init__(self, content: bytes) -> None:
        super().__init__(content)
        self.computed = 0

    def of(self, oid: str, dke: bytes | None = None) -> bytes:
        before = len(self._memo)
        value = super().of(oid, dke)
        self.computed += len(self._memo) - before
        return value


def test_given_decode_and_digests_give_the_same_report(signed: tuple) -> None:
    p7s, _other, ctx = signed
    signer = decode_signature(p7s).signed_data.signers[0]
    digests = _Counting(PDF)
    digests.of(signer.digest_oid)  # what pairing computed for this PDF
    alone = validate(p7s, PDF, ctx)
    shared = validate(p7s, PDF, ctx, decoded=decode_signature(p7s), digests=digests)
    assert alone.indication == Indication.TOTAL_PASSED
    assert shared.to_dict() == alone.to_dict()
    assert digests.computed == 1  # the verifier hashed nothing again


def test_a_decode_of_other_bytes_is_not_used(signed: tuple) -> None:
    """The decoded value of another signature does not stand in for the bytes given: a P7S
    that is not CMS at all is still a format failure, a different one is judged as itself."""
    p7s, other, ctx = signed
    with pytest.raises(Exception, match="not DER"):
        validate(b"garbage" * 10, PDF, ctx, decoded=decode_signature(p7s))
    judged = validate(other, PDF, ctx, decoded=decode_signature(p7s))
    assert judged.to_dict() == validate(other, PDF, ctx).to_dict()
    assert judged.sub_indication == SubIndication.HASH_FAILURE


def test_a_decode_over_the_size_limit_is_refused_as_without_it(signed: tuple) -> None:
    p7s, _other, ctx = signed
    small = ValidationContext(trust=ctx.trust, clock=ctx.clock, max_size=len(p7s) - 1)
    with pytest.raises(Exception, match="byte limit"):
        validate(p7s, PDF, small, decoded=decode_signature(p7s))


def test_digests_of_other_content_are_not_used(signed: tuple) -> None:
    """Digests of the genuine PDF handed in with a changed PDF: the changed one is hashed."""
    p7s, _other, ctx = signed
    signer = decode_signature(p7s).signed_data.signers[0]
    genuine = ContentDigests(PDF)
    genuine.of(signer.digest_oid)
    report = validate(p7s, OTHER, ctx, decoded=decode_signature(p7s), digests=genuine)
    assert report.indication == Indication.TOTAL_FAILED
    assert report.sub_indication == SubIndication.HASH_FAILURE


def test_content_digests_memoise_and_match_the_plain_digest() -> None:
    digests = _Counting(PDF)
    for oid in (algorithms.OID_GOST34311, "2.16.840.1.101.3.4.2.1"):
        assert digests.of(oid) == digests.of(oid) == algorithms.digest(oid, PDF)
    assert digests.computed == 2
    assert digests.for_content(bytes(PDF)) and not digests.for_content(OTHER)


def test_content_digests_do_not_memoise_a_failure() -> None:
    digests = ContentDigests(PDF)
    for _ in range(2):
        with pytest.raises(Exception, match="not supported"):
            digests.of("1.2.3.4")
    assert digests._memo == {}
