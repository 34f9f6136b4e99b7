"""`validate()`: a CMS/CAdES signature, its content and a context in, a Report out.

The order follows ETSI EN 319 102-1's basic validation: format, identification of the signing
certificate, cryptographic checks (hash, signature), time-stamps, then the certification path,
its validity at the validation time (or at a proof of existence), its constraints and its
revocation status. Cryptographic failures are decided before trust, so a forged signature is
TOTAL_FAILED even when its signer is unknown; otherwise the first failure in that order decides.

Each step is a pure function in `verify.steps`; this module runs them in order (`_run`), turns
their findings into a verdict (`_Findings`) and builds the one `Report` per signer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from . import algorithms, identity, steps
from .certs import Certificate
from .cms import MAX_CMS_SIZE, DecodedSignature, SignedData, SignerData, parse_signed_data
from .digests import ContentDigests
from .errors import VerifyError
from .policy import RevocationPolicy, SignerPolicy
from .report import (
    ChainEntry,
    Check,
    ContentSummary,
    Indication,
    Message,
    Report,
    SubIndication,
    TimestampSummary,
)
from .steps import Outcome, Step, TimeMode
from .trust import TrustStore

__all__ = ["TimeMode", "ValidationContext", "validate"]

T = TypeVar("T")


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ValidationContext:
    """Everything a validation depends on besides the bytes; no globals, no I/O."""

    trust: TrustStore = field(default_factory=TrustStore)
    extra_certs: tuple[Certificate | bytes, ...] = ()
    crls: tuple[bytes, ...] = ()
    at: TimeMode = "now"
    #: `at` is when the archive received the copy (re-verification): the report says that the
    #: archive's own receipt time is the proof of existence it was validated at.
    at_is_receipt: bool = False
    revocation: RevocationPolicy = "soft"
    signer_policy: SignerPolicy = field(default_factory=SignerPolicy)
    clock: Callable[[], datetime] = _utcnow
    max_size: int = MAX_CMS_SIZE


def validate(
    p7s: bytes,
    content: bytes | None,
    ctx: ValidationContext,
    *,
    decoded: DecodedSignature | None = None,
    digests: ContentDigests | None = None,
) -> Report:
    """Validate every signer of `p7s`. Raises FormatError only for input that is not CMS.

    `decoded` (the SignedData a caller already decoded from `p7s`) and `digests` (the content's
    digests it already computed) save doing that work twice; each is used only when it is of
    these very bytes, so the verdict is the same with or without them."""
    sd = decoded.for_input(p7s, ctx.max_size) if decoded is not None else None
    if sd is None:
        sd = parse_signed_data(p7s, max_size=ctx.max_size)
    extra: list[Certificate] = []
    for item in ctx.extra_certs:
        if isinstance(item, Certificate):
            extra.append(item)
        else:
            try:
                extra.append(Certificate.from_der(item))
            except VerifyError:
                continue
    reports = [_validate_one(sd, signer, content, ctx, extra, digests) for signer in sd.signers]
    return _combine(reports, len(sd.signers))


def _combine(reports: list[Report], count: int) -> Report:
    primary = reports[0]
    if count == 1:
        return primary
    order = {Indication.TOTAL_PASSED: 0, Indication.INDETERMINATE: 1, Indication.TOTAL_FAILED: 2}
    worst_index = max(range(len(reports)), key=lambda i: (order[reports[i].indication], -i))
    worst = reports[worst_index]
    errors = list(primary.errors)
    if worst_index != 0 and worst.indication != Indication.TOTAL_PASSED:
        errors.append(
            Message(
                str(worst.sub_indication or "GENERIC"),
                f"signature #{worst_index + 1}: {worst.indication} {worst.sub_indication}",
            )
        )
    passed = worst.indication == Indication.TOTAL_PASSED
    return Report(
        indication=worst.indication,
        sub_indication=worst.sub_indication,
        signer=primary.signer,
        signature_algorithm=primary.signature_algorithm,
        digest_algorithm=primary.digest_algorithm,
        signing_time=primary.signing_time,
        timestamps=primary.timestamps,
        chain=primary.chain,
        content=primary.content,
        checks=primary.checks,
        errors=tuple(errors),
        warnings=primary.warnings,
        policy_accepted=passed and any(r.policy_accepted for r in reports),
        validation_time=primary.validation_time,
        signer_count=count,
        other_signatures=tuple(reports[1:]),
        signed_content=primary.signed_content,
    )


class _Findings:
    """Collects checks, errors and warnings; remembers the first decisive failure."""

    def __init__(self) -> None:
        self.checks: list[Check] = []
        self.errors: list[Message] = []
        self.warnings: list[Message] = []
        self.failed: tuple[Indication, SubIndication] | None = None
        self.indeterminate: tuple[Indication, SubIndication] | None = None

    def add(self, outcome: Outcome) -> None:
        if outcome.check is not None:
            self.checks.append(Check(outcome.check, outcome.status, outcome.detail))
        if outcome.indication is not None and outcome.sub_indication is not None:
            self._fail(outcome.indication, outcome.sub_indication, outcome.detail)
        elif outcome.code is not None:
            self.warnings.append(Message(outcome.code, outcome.detail))

    def take(self, step: Step[T]) -> T:
        """Record a step's findings and hand back its value."""
        for outcome in step.outcomes:
            self.add(outcome)
        return step.value

    def _fail(self, indication: Indication, sub: SubIndication, detail: str) -> None:
        self.errors.append(Message(str(sub), detail))
        if indication == Indication.TOTAL_FAILED:
            if self.failed is None:
                self.failed = (indication, sub)
        elif self.indeterminate is None:
            self.indeterminate = (indication, sub)

    @property
    def verdict(self) -> tuple[Indication, SubIndication | None]:
        if self.failed is not None:
            return self.failed
        if self.indeterminate is not None:
            return self.indeterminate
        return Indication.TOTAL_PASSED, None


def _validate_one(
    sd: SignedData,
    signer: SignerData,
    content: bytes | None,
    ctx: ValidationContext,
    extra: list[Certificate],
    digests: ContentDigests | None = None,
) -> Report:
    f = _Findings()
    state = _State()
    try:
        _run(sd, signer, content, ctx, extra, f, state, digests)
    except VerifyError as exc:
        f.add(Outcome.total_failed("validation", SubIndication.FORMAT_FAILURE, exc.detail))
    except Exception as exc:  # a defect must not escape as a traceback; report it instead
        f.add(
            Outcome.indeterminate(
                "validation",
                SubIndication.GENERIC,
                f"internal error while validating: {type(exc).__name__}",
            )
        )
    return _build_report(sd, signer, f, state, ctx)


@dataclass
class _State:
    """What the report shows besides the findings, filled in as the steps get that far (a
    step that raises leaves what came before it in the report)."""

    cert: Certificate | None = None
    content: bytes | None = None
    chain: tuple[Certificate, ...] = ()
    timestamps: list[TimestampSummary] = field(default_factory=list)
    validation_time: datetime | None = None
    policy_accepted: bool = False


def _run(
    sd: SignedData,
    signer: SignerData,
    supplied: bytes | None,
    ctx: ValidationContext,
    extra: list[Certificate],
    f: _Findings,
    st: _State,
    digests: ContentDigests | None = None,
) -> None:
    """The steps in report order. Cryptographic checks come before trust, so a forged
    signature is TOTAL_FAILED even when its signer is unknown; a halting step ends it."""
    store = ctx.trust
    st.content = f.take(steps.signed_data_object(sd, supplied))
    local = steps.local_certificates(sd, signer, extra)
    identified = steps.identify_signing_certificate(signer, local, store)
    cert = f.take(identified)
    if identified.halt or cert is None:
        return
    st.cert = cert
    key = steps.signer_key_parameters(cert)
    dke = f.take(key)
    if key.halt:
        return
    if not _all_go(f, steps.cryptographic_verification(sd, signer, cert, dke, st.content, digests)):
        return

    for stamp in steps.time_stamps(signer, st.content, dke, store, [*local, *store.intermediates]):
        summary = f.take(stamp)
        if summary is not None:
            st.timestamps.append(summary)
    poe = steps.proof_of_existence(st.timestamps)
    when = f.take(steps.validation_time(ctx.at, ctx.at_is_receipt, ctx.clock, signer, poe))
    st.validation_time = when
    if poe is not None and poe > when:
        poe = None  # a proof from after the validation time proves nothing for it

    path = steps.certification_path(cert, store, local, when)
    st.chain = f.take(path)
    if path.halt:
        return
    f.take(steps.certificate_validity(st.chain, when, poe))
    f.take(steps.certificate_constraints(st.chain, store))
    sources = steps.revocation_sources(sd, signer, store, ctx.crls, local)
    _all_go(f, steps.revocation_checks(st.chain, store, sources, ctx.revocation, poe or when))
    st.policy_accepted = f.take(steps.signer_acceptance(ctx.signer_policy, cert))


def _all_go(f: _Findings, sequence: Iterator[Step[None]]) -> bool:
    """Record the findings of a step sequence; False when one of them halts validation."""
    for step in sequence:
        f.take(step)
        if step.halt:
            return False
    return True


def _signature_label(signer: SignerData) -> str:
    """ "RSA with SHA-256" even when the SignerInfo says only rsaEncryption / ecPublicKey."""
    label = algorithms.algorithm_name(signer.signature_oid)
    if algorithms.digest_oid_for_signature(signer.signature_oid) is None and label in (
        "RSA",
        "ECDSA",
    ):
        label += f" with {algorithms.algorithm_name(signer.digest_oid)}"
    return label


def _build_report(
    sd: SignedData,
    signer: SignerData,
    f: _Findings,
    st: _State,
    ctx: ValidationContext,
) -> Report:
    indication, sub = f.verdict
    cert = st.cert
    summary = None
    if cert is not None:
        summary = identity.summary(cert)
    chain = tuple(
        ChainEntry(
            subject=c.subject,
            issuer=c.issuer,
            sha256=c.sha256,
            not_before=c.not_before,
            not_after=c.not_after,
            trust_anchor=ctx.trust.is_anchor(c),
        )
        for c in st.chain
    )
    content = st.content
    return Report(
        indication=indication,
        sub_indication=sub,
        signer=summary,
        signature_algorithm=_signature_label(signer),
        digest_algorithm=algorithms.algorithm_name(signer.digest_oid),
        signing_time=signer.signing_time,
        timestamps=tuple(st.timestamps),
        chain=chain,
        content=ContentSummary(
            attached=sd.attached,
            sha256=hashlib.sha256(content).hexdigest() if content is not None else None,
            size=len(content) if content is not None else None,
        ),
        checks=tuple(f.checks),
        errors=tuple(f.errors),
        warnings=tuple(f.warnings),
        policy_accepted=indication == Indication.TOTAL_PASSED and st.policy_accepted,
        validation_time=st.validation_time,
        signed_content=sd.content,
    )
