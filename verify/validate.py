"""`validate()`: a CMS/CAdES signature, its content and a context in, a Report out.

The order follows ETSI EN 319 102-1's basic validation: format, identification of the signing
certificate, cryptographic checks (hash, signature), time-stamps, then the certification path,
its validity at the validation time (or at a proof of existence), its constraints and its
revocation status. Cryptographic failures are decided before trust, so a forged signature is
TOTAL_FAILED even when its signer is unknown; otherwise the first failure in that order decides.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from . import algorithms, identity
from .certs import Certificate
from .cms import (
    MAX_CMS_SIZE,
    SignedData,
    SignerData,
    check_message_digest,
    check_signature,
    check_signing_certificate,
    parse_signed_data,
)
from .errors import FormatError, UnsupportedAlgorithm, VerifyError
from .path import build_path, check_constraints, check_validity
from .policy import RevocationPolicy, SignerPolicy
from .report import (
    ChainEntry,
    Check,
    CheckStatus,
    ContentSummary,
    Indication,
    Message,
    Report,
    SubIndication,
    TimestampSummary,
)
from .revocation import RevocationSources, certificate_status
from .trust import TrustStore
from .tsp import token_certificates, verify_timestamp

TimeMode = Literal["now", "signing-time"] | datetime


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


def validate(p7s: bytes, content: bytes | None, ctx: ValidationContext) -> Report:
    """Validate every signer of `p7s`. Raises FormatError only for input that is not CMS."""
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
    reports = [_validate_one(sd, signer, content, ctx, extra) for signer in sd.signers]
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

    def ok(self, name: str, detail: str) -> None:
        self.checks.append(Check(name, CheckStatus.PASSED, detail))

    def skip(self, name: str, detail: str) -> None:
        self.checks.append(Check(name, CheckStatus.SKIPPED, detail))

    def warn(self, name: str, code: str, detail: str) -> None:
        self.checks.append(Check(name, CheckStatus.WARNING, detail))
        self.warnings.append(Message(code, detail))

    def note(self, code: str, detail: str) -> None:
        self.warnings.append(Message(code, detail))

    def fail(self, name: str, indication: Indication, sub: SubIndication, detail: str) -> None:
        self.checks.append(Check(name, CheckStatus.FAILED, detail))
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
) -> Report:
    f = _Findings()
    state = _State()
    try:
        _run(sd, signer, content, ctx, extra, f, state)
    except VerifyError as exc:
        f.fail("validation", Indication.TOTAL_FAILED, SubIndication.FORMAT_FAILURE, exc.detail)
    except Exception as exc:  # a defect must not escape as a traceback; report it instead
        f.fail(
            "validation",
            Indication.INDETERMINATE,
            SubIndication.GENERIC,
            f"internal error while validating: {type(exc).__name__}",
        )
    return _build_report(sd, signer, f, state, ctx)


@dataclass
class _State:
    cert: Certificate | None = None
    content: bytes | None = None
    chain: tuple[Certificate, ...] = ()
    anchor_in_chain: bool = False
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
) -> None:
    store = ctx.trust

    # -- content ------------------------------------------------------------------------
    if sd.content is not None:
        st.content = sd.content
        if supplied is not None and not hmac.compare_digest(supplied, sd.content):
            f.fail(
                "content",
                Indication.TOTAL_FAILED,
                SubIndication.HASH_FAILURE,
                "the supplied content differs from the content inside the signature",
            )
        else:
            f.ok("content", f"attached content, {len(sd.content)} bytes")
    elif supplied is not None:
        st.content = supplied
        f.ok("content", f"detached content supplied, {len(supplied)} bytes")
    else:
        f.fail(
            "content",
            Indication.INDETERMINATE,
            SubIndication.SIGNED_DATA_NOT_FOUND,
            "detached signature and no content was supplied",
        )

    # -- signing certificate ----------------------------------------------------------------
    embedded_values: list[Certificate] = []
    for group in signer.certificate_values:
        for der in group:
            try:
                embedded_values.append(Certificate.from_der(der))
            except VerifyError:
                continue
    local = [*sd.certificates, *embedded_values, *extra]
    pool = [*local, *store.intermediates, *store.anchors]
    cert = _choose_signer_certificate(signer, [c for c in pool if signer.matches(c)])
    if cert is None:
        cert = _bound_certificate(signer, local)
        if cert is not None:
            f.warn(
                "signer_identifier",
                "SIGNER_IDENTIFIER_MISMATCH",
                "the SignerInfo's identifier matches no certificate; the embedded certificate "
                "that the signingCertificate attribute binds by hash was used",
            )
    if cert is None:
        f.fail(
            "signing_certificate",
            Indication.INDETERMINATE,
            SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
            "no certificate matches the signer identifier",
        )
        return
    st.cert = cert
    f.ok("signing_certificate", f"signer identified by {signer.sid_kind.replace('_', ' ')}")
    try:
        dke = algorithms.key_dke(cert.spki)
    except UnsupportedAlgorithm as exc:
        f.fail(
            "signature",
            Indication.INDETERMINATE,
            SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
            exc.detail,
        )
        return

    # -- signed attributes and the signature ------------------------------------------------
    crypto_done = _check_crypto(sd, signer, cert, dke, st.content, f)
    if not crypto_done:
        return

    # -- time-stamps -----------------------------------------------------------------------
    poe = _check_timestamps(signer, st, dke, ctx, [*local, *store.intermediates], f)

    # -- validation time ---------------------------------------------------------------------
    when = _validation_time(ctx, signer, poe, f)
    st.validation_time = when
    if poe is not None and poe > when:
        poe = None  # a proof from after the validation time proves nothing for it

    # -- certification path -----------------------------------------------------------------
    path = build_path(cert, store, local, when=when)
    if not path.found:
        f.fail(
            "certificate_chain",
            Indication.INDETERMINATE,
            SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
            path.detail,
        )
        return
    st.chain = path.chain
    f.ok("certificate_chain", path.detail)

    validity = check_validity(path.chain, when, poe)
    if validity.ok:
        if validity.poe_used:
            f.warn("certificate_validity", "POE_USED", validity.detail)
        else:
            f.ok("certificate_validity", validity.detail)
    else:
        f.fail(
            "certificate_validity",
            validity.indication or Indication.INDETERMINATE,
            validity.sub_indication or SubIndication.GENERIC,
            validity.detail,
        )

    constraints = check_constraints(path.chain, store)
    if constraints.ok:
        f.ok("certificate_constraints", constraints.detail)
    else:
        f.fail(
            "certificate_constraints",
            constraints.indication or Indication.INDETERMINATE,
            constraints.sub_indication or SubIndication.GENERIC,
            constraints.detail,
        )

    _check_revocation(sd, signer, path.chain, store, ctx, local, poe or when, f)

    # -- signer policy ------------------------------------------------------------------------
    accepted, why = ctx.signer_policy.evaluate(cert)
    if accepted:
        f.ok("signer_policy", why)
    else:
        f.warn("signer_policy", "POLICY_REJECTED", why)
    st.policy_accepted = accepted


def _bound_certificate(signer: SignerData, local: list[Certificate]) -> Certificate | None:
    """The embedded certificate a signingCertificate(V2) hash names, for a SignerInfo whose
    identifier matches none (seen with producers that write the issuer name re-encoded)."""
    if not signer.cert_refs:
        return None
    for cand in local:
        try:
            binding = check_signing_certificate(signer, cand, algorithms.key_dke(cand.spki))
        except VerifyError:
            continue
        if binding is not None and binding.ok:
            return cand
    return None


def _choose_signer_certificate(
    signer: SignerData, candidates: list[Certificate]
) -> Certificate | None:
    """The certificate the signer identifier names; when several do (a forged copy with the
    same issuer and serial), the one the signingCertificate attribute binds wins."""
    if len(candidates) <= 1 or not signer.cert_refs:
        return candidates[0] if candidates else None
    for cand in candidates:
        try:
            binding = check_signing_certificate(signer, cand, algorithms.key_dke(cand.spki))
        except VerifyError:
            continue
        if binding is not None and binding.ok:
            return cand
    return candidates[0]


def _check_crypto(
    sd: SignedData,
    signer: SignerData,
    cert: Certificate,
    dke: bytes | None,
    content: bytes | None,
    f: _Findings,
) -> bool:
    """Hash and signature checks; False when the signature could not be checked at all."""
    if signer.has_signed_attrs:
        if signer.duplicate_attrs:
            f.fail(
                "signed_attributes",
                Indication.TOTAL_FAILED,
                SubIndication.FORMAT_FAILURE,
                f"signed attribute(s) repeated: {', '.join(signer.duplicate_attrs)}",
            )
        if signer.content_type is None:
            f.fail(
                "content_type",
                Indication.TOTAL_FAILED,
                SubIndication.FORMAT_FAILURE,
                "signed attributes lack contentType",
            )
        elif signer.content_type != sd.econtent_type:
            f.fail(
                "content_type",
                Indication.TOTAL_FAILED,
                SubIndication.FORMAT_FAILURE,
                f"signed contentType {signer.content_type} differs from {sd.econtent_type}",
            )
        else:
            f.ok("content_type", "signed contentType matches the encapsulated content")
        if content is None:
            f.skip("message_digest", "no content to hash")
        else:
            try:
                md = check_message_digest(signer, content, dke)
            except UnsupportedAlgorithm as exc:
                f.fail(
                    "message_digest",
                    Indication.INDETERMINATE,
                    SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
                    exc.detail,
                )
            else:
                if md.ok:
                    f.ok("message_digest", md.detail)
                else:
                    f.fail(
                        "message_digest",
                        Indication.TOTAL_FAILED,
                        SubIndication.HASH_FAILURE,
                        md.detail,
                    )
        try:
            binding = check_signing_certificate(signer, cert, dke)
        except UnsupportedAlgorithm as exc:
            binding = None
            f.warn("signing_certificate_attribute", "UNSUPPORTED_ALGORITHM", exc.detail)
        if binding is None:
            if not any(c.name == "signing_certificate_attribute" for c in f.checks):
                f.warn(
                    "signing_certificate_attribute",
                    "NO_SIGNING_CERTIFICATE_ATTRIBUTE",
                    "no signingCertificate(V2) attribute binds the signer certificate (not CAdES)",
                )
        elif binding.ok:
            f.ok("signing_certificate_attribute", binding.detail)
        else:
            f.fail(
                "signing_certificate_attribute",
                Indication.INDETERMINATE,
                SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
                binding.detail,
            )
    else:
        f.ok("signed_attributes", "no signed attributes: the signature covers the content itself")
        if sd.econtent_type != "1.2.840.113549.1.7.1":
            f.fail(
                "signed_attributes",
                Indication.TOTAL_FAILED,
                SubIndication.FORMAT_FAILURE,
                "content other than id-data requires signed attributes",
            )
        if content is None:
            f.skip("signature", "no content: the signature covers the content itself")
            return False

    try:
        sig = check_signature(signer, cert, content or b"")
    except UnsupportedAlgorithm as exc:
        f.fail(
            "signature",
            Indication.INDETERMINATE,
            SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
            exc.detail,
        )
        return False
    except FormatError as exc:
        # One signature, one encoding: a value in the wrong form for its place is malformed.
        f.fail("signature", Indication.TOTAL_FAILED, SubIndication.FORMAT_FAILURE, exc.detail)
        return True
    except VerifyError as exc:
        f.fail("signature", Indication.TOTAL_FAILED, SubIndication.SIG_CRYPTO_FAILURE, exc.detail)
        return True
    if sig.ok:
        f.ok("signature", sig.detail)
    else:
        f.fail("signature", Indication.TOTAL_FAILED, SubIndication.SIG_CRYPTO_FAILURE, sig.detail)
    return True


def _check_timestamps(
    signer: SignerData,
    st: _State,
    dke: bytes | None,
    ctx: ValidationContext,
    extra: list[Certificate],
    f: _Findings,
) -> datetime | None:
    """Verify time-stamp tokens; the earliest valid signature time-stamp is the POE.

    A token's TSA certificate may be in any other token of the same signature, so every
    token's certificates join the material each token is checked with."""
    poe: datetime | None = None
    tokens = (*signer.content_timestamps, *signer.signature_timestamps)
    extra = [*extra, *(c for t in tokens for c in token_certificates(t))]
    for token in signer.content_timestamps:
        if st.content is None:
            f.skip("content_timestamp", "no content to compare the time-stamp imprint with")
            continue
        res = verify_timestamp(token, st.content, ctx.trust, kind="content", extra=extra, dke=dke)
        st.timestamps.append(TimestampSummary(res.kind, res.time, res.tsa, res.valid, res.detail))
        if res.valid:
            f.ok("content_timestamp", f"{res.detail} at {res.time}")
        else:
            f.warn("content_timestamp", "TIMESTAMP_INVALID", res.detail)
    for token in signer.signature_timestamps:
        res = verify_timestamp(
            token, signer.signature, ctx.trust, kind="signature", extra=extra, dke=dke
        )
        st.timestamps.append(TimestampSummary(res.kind, res.time, res.tsa, res.valid, res.detail))
        if res.valid and res.time is not None:
            f.ok("signature_timestamp", f"{res.detail} at {res.time.isoformat()}")
            poe = res.time if poe is None else min(poe, res.time)
            claimed = signer.signing_time
            if claimed is not None and (claimed - res.time).total_seconds() > 300:
                f.note(
                    "SIGNING_TIME_AFTER_TIMESTAMP", "claimed signing time is after the time-stamp"
                )
        else:
            f.warn("signature_timestamp", "TIMESTAMP_INVALID", res.detail)
    return poe


def _validation_time(
    ctx: ValidationContext, signer: SignerData, poe: datetime | None, f: _Findings
) -> datetime:
    if isinstance(ctx.at, datetime):
        when = ctx.at if ctx.at.tzinfo else ctx.at.replace(tzinfo=UTC)
        if ctx.at_is_receipt:
            f.note(
                "REVERIFIED_AT_RECEIPT",
                f"verified again as of {when.isoformat()}, when the archive received the copy: "
                "the archive's own receipt time is its proof of existence",
            )
        else:
            f.note("VALIDATION_TIME_GIVEN", f"validated at the given time {when.isoformat()}")
        return when
    if ctx.at == "signing-time":
        claimed = signer.signing_time
        if claimed is not None:
            f.note(
                "SIGNING_TIME_USED",
                f"validated at the signing time the signature claims ({claimed.isoformat()}), "
                "not at the current time; the claim itself is not proven",
            )
            return claimed
        fallback = poe or ctx.clock()
        f.note("NO_SIGNING_TIME", "no signingTime attribute; validated at the current time")
        return fallback
    return ctx.clock()


def _check_revocation(
    sd: SignedData,
    signer: SignerData,
    chain: tuple[Certificate, ...],
    store: TrustStore,
    ctx: ValidationContext,
    local: list[Certificate],
    when: datetime,
    f: _Findings,
) -> None:
    crls = [*sd.crls, *store.crls, *ctx.crls]
    basic: list[bytes] = []
    for group in signer.revocation_values:
        for kind, der in group:
            (crls if kind == "crl" else basic).append(der)
    sources = RevocationSources(
        crls=tuple(crls),
        ocsp_basic=tuple(basic),
        ocsp_responses=sd.ocsp_responses,
        certificates=tuple(local),
    )
    checked = 0
    for index, cert in enumerate(chain):
        if store.is_anchor(cert):
            continue
        issuer = chain[index + 1]
        strict = ctx.revocation == "require" or (ctx.revocation == "hard" and index == 0)
        name = "revocation" if index == 0 else f"revocation[{index}]"
        status = certificate_status(cert, issuer, sources, when)
        checked += 1
        if status.status == "revoked":
            f.fail(
                name,
                Indication.TOTAL_FAILED,
                SubIndication.REVOKED,
                f"{cert.subject}: {status.detail}",
            )
            continue
        if status.status == "good":
            if status.fresh_at(when):
                f.ok(name, f"{cert.subject}: {status.detail}")
            elif strict:
                f.fail(
                    name,
                    Indication.INDETERMINATE,
                    SubIndication.REVOCATION_OUT_OF_BOUNDS_NO_POE,
                    f"{cert.subject}: {status.detail}, but issued {status.this_update} and not "
                    f"current at {when.isoformat()}",
                )
            else:
                f.warn(
                    name,
                    "REVOCATION_STALE",
                    f"{cert.subject}: {status.detail}, but not current at {when.isoformat()}",
                )
            continue
        detail = f"{cert.subject}: {status.detail}"
        if strict:
            f.fail(name, Indication.INDETERMINATE, SubIndication.TRY_LATER, detail)
        else:
            f.warn(name, "NO_REVOCATION_DATA", detail)
    if checked == 0:
        f.skip("revocation", "the signer certificate is itself a trust anchor")


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
