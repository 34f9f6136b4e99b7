"""The steps of a basic signature validation, one small pure function each.

Named after ETSI EN 319 102-1 (clause 5.2, the building blocks the EU DSS validator and
pyHanko's validation package also follow): obtaining the signed data object, identification of
the signing certificate, validation context initialisation (the certificate pools and the
validation time), format checking, cryptographic verification, time-stamp validation (the proof
of existence), X.509 certificate validation (path, validity, constraints, revocation freshness)
and the signer acceptance policy.

Why steps return values instead of writing into a shared collector: each step can be read and
tested on its own, and `validate._run` is left as a short driver that runs them in order. A
step that needs several expensive calls yields its findings one at a time (an iterator of
`Step`), so when a call raises part-way the findings before it are kept, exactly as the report
has always listed them.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, Literal, TypeVar

from . import algorithms
from .certs import Certificate
from .cms import (
    SignedData,
    SignerData,
    check_message_digest,
    check_signature,
    check_signing_certificate,
)
from .digests import ContentDigests
from .errors import FormatError, UnsupportedAlgorithm, VerifyError
from .path import PathCheck, build_path, check_constraints, check_validity
from .policy import RevocationPolicy, SignerPolicy
from .report import CheckStatus, Indication, SubIndication, TimestampSummary
from .revocation import CertStatus, RevocationSources, certificate_status
from .trust import TrustStore
from .tsp import token_certificates, verify_timestamp

TimeMode = Literal["now", "signing-time"] | datetime

T = TypeVar("T")

OID_DATA = "1.2.840.113549.1.7.1"

#: A claimed signing time this far after the signature time-stamp is worth a note (clock skew
#: of a few minutes is normal).
SIGNING_TIME_SLACK_SECONDS = 300


@dataclass(frozen=True)
class Outcome:
    """One finding: a report check line and, for failures, what it means for the verdict.

    `check` None is a bare note (a warning message without a check line). A failure carries
    its indication and sub-indication; a warning or note its stable message code.
    """

    check: str | None
    status: CheckStatus
    detail: str
    indication: Indication | None = None
    sub_indication: SubIndication | None = None
    code: str | None = None

    @classmethod
    def passed(cls, check: str, detail: str) -> Outcome:
        return cls(check, CheckStatus.PASSED, detail)

    @classmethod
    def skipped(cls, check: str, detail: str) -> Outcome:
        return cls(check, CheckStatus.SKIPPED, detail)

    @classmethod
    def warning(cls, check: str, code: str, detail: str) -> Outcome:
        return cls(check, CheckStatus.WARNING, detail, code=code)

    @classmethod
    def note(cls, code: str, detail: str) -> Outcome:
        return cls(None, CheckStatus.WARNING, detail, code=code)

    @classmethod
    def failed(cls, check: str, indication: Indication, sub: SubIndication, detail: str) -> Outcome:
        return cls(check, CheckStatus.FAILED, detail, indication, sub)

    @classmethod
    def indeterminate(cls, check: str, sub: SubIndication, detail: str) -> Outcome:
        return cls.failed(check, Indication.INDETERMINATE, sub, detail)

    @classmethod
    def total_failed(cls, check: str, sub: SubIndication, detail: str) -> Outcome:
        return cls.failed(check, Indication.TOTAL_FAILED, sub, detail)


@dataclass(frozen=True)
class Step(Generic[T]):
    """A step's findings, the value later steps need, and whether validation stops here
    (`halt`: the later steps have nothing to work on)."""

    value: T
    outcomes: tuple[Outcome, ...] = ()
    halt: bool = False


def _one(value: T, outcome: Outcome, *, halt: bool = False) -> Step[T]:
    return Step(value, (outcome,), halt)


# --- obtaining the signed data object ----------------------------------------------------


def signed_data_object(sd: SignedData, supplied: bytes | None) -> Step[bytes | None]:
    """The content the signature covers: attached, or the detached file supplied."""
    if sd.content is not None:
        if supplied is not None and not hmac.compare_digest(supplied, sd.content):
            return _one(
                sd.content,
                Outcome.total_failed(
                    "content",
                    SubIndication.HASH_FAILURE,
                    "the supplied content differs from the content inside the signature",
                ),
            )
        return _one(
            sd.content, Outcome.passed("content", f"attached content, {len(sd.content)} bytes")
        )
    if supplied is not None:
        return _one(
            supplied, Outcome.passed("content", f"detached content supplied, {len(supplied)} bytes")
        )
    return _one(
        None,
        Outcome.indeterminate(
            "content",
            SubIndication.SIGNED_DATA_NOT_FOUND,
            "detached signature and no content was supplied",
        ),
    )


# --- validation context initialisation: the certificates at hand --------------------------


def local_certificates(
    sd: SignedData, signer: SignerData, extra: Sequence[Certificate]
) -> list[Certificate]:
    """Certificates the signature brings (SignedData certificates, CAdES certificate-values)
    and the caller's extra ones; unreadable certificate-values are skipped."""
    embedded: list[Certificate] = []
    for group in signer.certificate_values:
        for der in group:
            try:
                embedded.append(Certificate.from_der(der))
            except VerifyError:
                continue
    return [*sd.certificates, *embedded, *extra]


# --- identification of the signing certificate -------------------------------------------


def identify_signing_certificate(
    signer: SignerData, local: Sequence[Certificate], store: TrustStore
) -> Step[Certificate | None]:
    """The certificate the signer identifier names, searched in the signature, the extra
    certificates and the trust store; failing that, the embedded one the signingCertificate
    attribute binds by hash. Halts when there is none."""
    pool = [*local, *store.intermediates, *store.anchors]
    cert = _choose_signer_certificate(signer, [c for c in pool if signer.matches(c)])
    outcomes: tuple[Outcome, ...] = ()
    if cert is None:
        cert = _bound_certificate(signer, local)
        if cert is not None:
            outcomes = (
                Outcome.warning(
                    "signer_identifier",
                    "SIGNER_IDENTIFIER_MISMATCH",
                    "the SignerInfo's identifier matches no certificate; the embedded "
                    "certificate that the signingCertificate attribute binds by hash was used",
                ),
            )
    if cert is None:
        missing = Outcome.indeterminate(
            "signing_certificate",
            SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
            "no certificate matches the signer identifier",
        )
        return Step(None, (*outcomes, missing), halt=True)
    found = Outcome.passed(
        "signing_certificate", f"signer identified by {signer.sid_kind.replace('_', ' ')}"
    )
    return Step(cert, (*outcomes, found))


def _binds(signer: SignerData, cert: Certificate) -> bool:
    """Whether the signingCertificate(V2) attribute binds `cert` (False when unreadable)."""
    try:
        binding = check_signing_certificate(signer, cert, algorithms.key_dke(cert.spki))
    except VerifyError:
        return False
    return binding is not None and binding.ok


def _bound_certificate(signer: SignerData, local: Sequence[Certificate]) -> Certificate | None:
    """The embedded certificate a signingCertificate(V2) hash names, for a SignerInfo whose
    identifier matches none (seen with producers that write the issuer name re-encoded)."""
    if not signer.cert_refs:
        return None
    return next((cand for cand in local if _binds(signer, cand)), None)


def _choose_signer_certificate(
    signer: SignerData, candidates: list[Certificate]
) -> Certificate | None:
    """The certificate the signer identifier names; when several do (a forged copy with the
    same issuer and serial), the one the signingCertificate attribute binds wins."""
    if len(candidates) <= 1 or not signer.cert_refs:
        return candidates[0] if candidates else None
    return next((cand for cand in candidates if _binds(signer, cand)), candidates[0])


def signer_key_parameters(cert: Certificate) -> Step[bytes | None]:
    """The signer key's DSTU S-box (DKE), needed to hash with GOST 34.311; halts when the
    key's algorithm is not one we support (no cryptographic check is possible)."""
    try:
        return Step(algorithms.key_dke(cert.spki))
    except UnsupportedAlgorithm as exc:
        failed = Outcome.indeterminate(
            "signature", SubIndication.CRYPTO_CONSTRAINTS_FAILURE, exc.detail
        )
        return _one(None, failed, halt=True)


# --- format checking ------------------------------------------------------------------------


def signed_attributes_format(sd: SignedData, signer: SignerData) -> Step[None]:
    """No signed attribute repeated; the signed contentType is the encapsulated one."""
    outcomes: list[Outcome] = []
    if signer.duplicate_attrs:
        outcomes.append(
            Outcome.total_failed(
                "signed_attributes",
                SubIndication.FORMAT_FAILURE,
                f"signed attribute(s) repeated: {', '.join(signer.duplicate_attrs)}",
            )
        )
    outcomes.append(_content_type(sd, signer))
    return Step(None, tuple(outcomes))


def _content_type(sd: SignedData, signer: SignerData) -> Outcome:
    if signer.content_type is None:
        detail = "signed attributes lack contentType"
    elif signer.content_type != sd.econtent_type:
        detail = f"signed contentType {signer.content_type} differs from {sd.econtent_type}"
    else:
        return Outcome.passed("content_type", "signed contentType matches the encapsulated content")
    return Outcome.total_failed("content_type", SubIndication.FORMAT_FAILURE, detail)


def unsigned_attributes_format(sd: SignedData, content: bytes | None) -> Step[None]:
    """Without signed attributes the signature covers the content itself, which is allowed
    for id-data only; halts when there is no content to verify it over."""
    outcomes = [
        Outcome.passed(
            "signed_attributes", "no signed attributes: the signature covers the content itself"
        )
    ]
    if sd.econtent_type != OID_DATA:
        outcomes.append(
            Outcome.total_failed(
                "signed_attributes",
                SubIndication.FORMAT_FAILURE,
                "content other than id-data requires signed attributes",
            )
        )
    if content is None:
        outcomes.append(
            Outcome.skipped("signature", "no content: the signature covers the content itself")
        )
        return Step(None, tuple(outcomes), halt=True)
    return Step(None, tuple(outcomes))


# --- cryptographic verification ------------------------------------------------------------


def message_digest(
    signer: SignerData,
    content: bytes | None,
    dke: bytes | None,
    digests: ContentDigests | None = None,
) -> Step[None]:
    """The signed messageDigest against the hash of the content (`digests`: see
    `verify.digests`)."""
    if content is None:
        return _one(None, Outcome.skipped("message_digest", "no content to hash"))
    try:
        md = check_message_digest(signer, content, dke, digests)
    except UnsupportedAlgorithm as exc:
        return _one(
            None,
            Outcome.indeterminate(
                "message_digest", SubIndication.CRYPTO_CONSTRAINTS_FAILURE, exc.detail
            ),
        )
    if md.ok:
        return _one(None, Outcome.passed("message_digest", md.detail))
    return _one(None, Outcome.total_failed("message_digest", SubIndication.HASH_FAILURE, md.detail))


def signing_certificate_binding(
    signer: SignerData, cert: Certificate, dke: bytes | None
) -> Step[None]:
    """The signingCertificate(V2) attribute binds the signer certificate (CAdES); its
    absence is only a warning, since plain CMS has none."""
    try:
        binding = check_signing_certificate(signer, cert, dke)
    except UnsupportedAlgorithm as exc:
        return _one(
            None,
            Outcome.warning("signing_certificate_attribute", "UNSUPPORTED_ALGORITHM", exc.detail),
        )
    if binding is None:
        return _one(
            None,
            Outcome.warning(
                "signing_certificate_attribute",
                "NO_SIGNING_CERTIFICATE_ATTRIBUTE",
                "no signingCertificate(V2) attribute binds the signer certificate (not CAdES)",
            ),
        )
    if binding.ok:
        return _one(None, Outcome.passed("signing_certificate_attribute", binding.detail))
    return _one(
        None,
        Outcome.indeterminate(
            "signing_certificate_attribute",
            SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
            binding.detail,
        ),
    )


def signature_value(signer: SignerData, cert: Certificate, content: bytes) -> Step[None]:
    """The signature value under the signer's key; halts only when the algorithm is not
    supported (a value that does not verify is decided here, and trust is still reported)."""
    try:
        sig = check_signature(signer, cert, content)
    except UnsupportedAlgorithm as exc:
        failed = Outcome.indeterminate(
            "signature", SubIndication.CRYPTO_CONSTRAINTS_FAILURE, exc.detail
        )
        return _one(None, failed, halt=True)
    except FormatError as exc:
        # One signature, one encoding: a value in the wrong form for its place is malformed.
        sub, detail = SubIndication.FORMAT_FAILURE, exc.detail
    except VerifyError as exc:
        sub, detail = SubIndication.SIG_CRYPTO_FAILURE, exc.detail
    else:
        if sig.ok:
            return _one(None, Outcome.passed("signature", sig.detail))
        sub, detail = SubIndication.SIG_CRYPTO_FAILURE, sig.detail
    return _one(None, Outcome.total_failed("signature", sub, detail))


def cryptographic_verification(
    sd: SignedData,
    signer: SignerData,
    cert: Certificate,
    dke: bytes | None,
    content: bytes | None,
    digests: ContentDigests | None = None,
) -> Iterator[Step[None]]:
    """Format of the signed attributes, then the hash, the certificate binding and the
    signature value, in the order the report lists them (lazily: see the module docstring)."""
    if signer.has_signed_attrs:
        yield signed_attributes_format(sd, signer)
        yield message_digest(signer, content, dke, digests)
        yield signing_certificate_binding(signer, cert, dke)
    else:
        yield unsigned_attributes_format(sd, content)
    yield signature_value(signer, cert, content or b"")


# --- time-stamp validation (proof of existence) --------------------------------------------


def time_stamps(
    signer: SignerData,
    content: bytes | None,
    dke: bytes | None,
    store: TrustStore,
    extra: Sequence[Certificate],
) -> Iterator[Step[TimestampSummary | None]]:
    """Each content and signature time-stamp token, verified (value None: skipped).

    A token's TSA certificate may be in any other token of the same signature, so every
    token's certificates join the material each token is checked with."""
    tokens = (*signer.content_timestamps, *signer.signature_timestamps)
    pool = [*extra, *(c for t in tokens for c in token_certificates(t))]
    for token in signer.content_timestamps:
        yield content_time_stamp(token, content, dke, store, pool)
    for token in signer.signature_timestamps:
        yield signature_time_stamp(token, signer, dke, store, pool)


def content_time_stamp(
    token: bytes,
    content: bytes | None,
    dke: bytes | None,
    store: TrustStore,
    extra: Sequence[Certificate],
) -> Step[TimestampSummary | None]:
    """A content time-stamp: reported, but it proves nothing about the signature itself."""
    if content is None:
        return _one(
            None,
            Outcome.skipped(
                "content_timestamp", "no content to compare the time-stamp imprint with"
            ),
        )
    res = verify_timestamp(token, content, store, kind="content", extra=extra, dke=dke)
    summary = TimestampSummary(res.kind, res.time, res.tsa, res.valid, res.detail)
    if res.valid:
        return _one(summary, Outcome.passed("content_timestamp", f"{res.detail} at {res.time}"))
    return _one(summary, Outcome.warning("content_timestamp", "TIMESTAMP_INVALID", res.detail))


def signature_time_stamp(
    token: bytes,
    signer: SignerData,
    dke: bytes | None,
    store: TrustStore,
    extra: Sequence[Certificate],
) -> Step[TimestampSummary | None]:
    """A signature time-stamp: when valid, a proof that the signature existed at its time."""
    res = verify_timestamp(token, signer.signature, store, kind="signature", extra=extra, dke=dke)
    summary = TimestampSummary(res.kind, res.time, res.tsa, res.valid, res.detail)
    if not (res.valid and res.time is not None):
        return _one(
            summary, Outcome.warning("signature_timestamp", "TIMESTAMP_INVALID", res.detail)
        )
    outcomes = [Outcome.passed("signature_timestamp", f"{res.detail} at {res.time.isoformat()}")]
    claimed = signer.signing_time
    if claimed is not None and (claimed - res.time).total_seconds() > SIGNING_TIME_SLACK_SECONDS:
        outcomes.append(
            Outcome.note(
                "SIGNING_TIME_AFTER_TIMESTAMP", "claimed signing time is after the time-stamp"
            )
        )
    return Step(summary, tuple(outcomes))


def proof_of_existence(timestamps: Sequence[TimestampSummary]) -> datetime | None:
    """The earliest time a valid signature time-stamp proves the signature existed at."""
    times = [t.time for t in timestamps if t.kind == "signature" and t.valid and t.time is not None]
    return min(times, default=None)


# --- validation context initialisation: the validation time -------------------------------


def validation_time(
    at: TimeMode,
    at_is_receipt: bool,
    clock: Callable[[], datetime],
    signer: SignerData,
    poe: datetime | None,
) -> Step[datetime]:
    """The time the certificates are judged at: a given time (naive means UTC), the claimed
    signing time, or now. Every choice but now is noted in the report."""
    if isinstance(at, datetime):
        when = at if at.tzinfo else at.replace(tzinfo=UTC)
        if at_is_receipt:
            note = Outcome.note(
                "REVERIFIED_AT_RECEIPT",
                f"verified again as of {when.isoformat()}, when the archive received the copy: "
                "the archive's own receipt time is its proof of existence",
            )
        else:
            note = Outcome.note(
                "VALIDATION_TIME_GIVEN", f"validated at the given time {when.isoformat()}"
            )
        return _one(when, note)
    if at != "signing-time":
        return Step(clock())
    claimed = signer.signing_time
    if claimed is not None:
        note = Outcome.note(
            "SIGNING_TIME_USED",
            f"validated at the signing time the signature claims ({claimed.isoformat()}), "
            "not at the current time; the claim itself is not proven",
        )
        return _one(claimed, note)
    fallback = poe or clock()
    note = Outcome.note(
        "NO_SIGNING_TIME", "no signingTime attribute; validated at the current time"
    )
    return _one(fallback, note)


# --- X.509 certificate validation ------------------------------------------------------------


def certification_path(
    cert: Certificate, store: TrustStore, local: Sequence[Certificate], when: datetime
) -> Step[tuple[Certificate, ...]]:
    """A path from the signer to a trust anchor; halts when there is none."""
    path = build_path(cert, store, list(local), when=when)
    if not path.found:
        failed = Outcome.indeterminate(
            "certificate_chain", SubIndication.NO_CERTIFICATE_CHAIN_FOUND, path.detail
        )
        return _one((), failed, halt=True)
    return _one(path.chain, Outcome.passed("certificate_chain", path.detail))


def _path_check(name: str, check: PathCheck) -> Outcome:
    return Outcome.failed(
        name,
        check.indication or Indication.INDETERMINATE,
        check.sub_indication or SubIndication.GENERIC,
        check.detail,
    )


def certificate_validity(
    chain: Sequence[Certificate], when: datetime, poe: datetime | None
) -> Step[None]:
    """Every certificate of the path valid at the validation time, or at the proof of
    existence (a warning says so when the proof was needed)."""
    validity = check_validity(chain, when, poe)
    if not validity.ok:
        return _one(None, _path_check("certificate_validity", validity))
    if validity.poe_used:
        return _one(None, Outcome.warning("certificate_validity", "POE_USED", validity.detail))
    return _one(None, Outcome.passed("certificate_validity", validity.detail))


def certificate_constraints(chain: Sequence[Certificate], store: TrustStore) -> Step[None]:
    """Key usage, basic constraints, path length and critical extensions along the path."""
    constraints = check_constraints(chain, store)
    if constraints.ok:
        return _one(None, Outcome.passed("certificate_constraints", constraints.detail))
    return _one(None, _path_check("certificate_constraints", constraints))


def revocation_sources(
    sd: SignedData,
    signer: SignerData,
    store: TrustStore,
    crls: Sequence[bytes],
    local: Sequence[Certificate],
) -> RevocationSources:
    """CRLs and OCSP responses from the signature, the trust store and the caller."""
    all_crls = [*sd.crls, *store.crls, *crls]
    basic: list[bytes] = []
    for group in signer.revocation_values:
        for kind, der in group:
            (all_crls if kind == "crl" else basic).append(der)
    return RevocationSources(
        crls=tuple(all_crls),
        ocsp_basic=tuple(basic),
        ocsp_responses=sd.ocsp_responses,
        certificates=tuple(local),
    )


def revocation_checks(
    chain: Sequence[Certificate],
    store: TrustStore,
    sources: RevocationSources,
    policy: RevocationPolicy,
    when: datetime,
) -> Iterator[Step[None]]:
    """The revocation status of every certificate of the path below the anchor.

    `policy` says where missing or stale data fails rather than warns: "hard" for the signer,
    "require" for every certificate, "soft" nowhere."""
    checked = 0
    for index, cert in enumerate(chain):
        if store.is_anchor(cert):
            continue
        strict = policy == "require" or (policy == "hard" and index == 0)
        name = "revocation" if index == 0 else f"revocation[{index}]"
        status = certificate_status(cert, chain[index + 1], sources, when)
        checked += 1
        yield Step(None, (revocation_freshness(name, cert, status, strict, when),))
    if checked == 0:
        yield _one(
            None, Outcome.skipped("revocation", "the signer certificate is itself a trust anchor")
        )


def revocation_freshness(
    name: str, cert: Certificate, status: CertStatus, strict: bool, when: datetime
) -> Outcome:
    """What one certificate's status means: revoked fails; good passes when the data is
    current at `when`; stale or missing data fails under a strict policy, else warns."""
    detail = f"{cert.subject}: {status.detail}"
    if status.status == "revoked":
        return Outcome.total_failed(name, SubIndication.REVOKED, detail)
    if status.status != "good":
        if strict:
            return Outcome.indeterminate(name, SubIndication.TRY_LATER, detail)
        return Outcome.warning(name, "NO_REVOCATION_DATA", detail)
    if status.fresh_at(when):
        return Outcome.passed(name, detail)
    if strict:
        return Outcome.indeterminate(
            name,
            SubIndication.REVOCATION_OUT_OF_BOUNDS_NO_POE,
            f"{detail}, but issued {status.this_update} and not current at {when.isoformat()}",
        )
    return Outcome.warning(
        name, "REVOCATION_STALE", f"{detail}, but not current at {when.isoformat()}"
    )


# --- signer acceptance ------------------------------------------------------------------------


def signer_acceptance(policy: SignerPolicy, cert: Certificate) -> Step[bool]:
    """Whether the signer is one the local policy relies on: reported apart from the
    indication (`policy_accepted`), so a rejection is a warning, not a failure."""
    accepted, why = policy.evaluate(cert)
    if accepted:
        return _one(True, Outcome.passed("signer_policy", why))
    return _one(False, Outcome.warning("signer_policy", "POLICY_REJECTED", why))
