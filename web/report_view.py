"""The validation report in plain words for people at the front desk.

The verifier's report (`verify.report.Report.to_dict()`, stored with each document) uses the
ETSI vocabulary; here it becomes a verdict a receptionist understands at a glance, with the
technical facts kept for the folded details. Strings come from `web.i18n`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: Badge colour classes by indication (CSS in static/app.css).
BADGE = {
    "TOTAL_PASSED": "ok",
    "TOTAL_FAILED": "bad",
    "INDETERMINATE": "warn",
    "UNSIGNED": "none",
}

SUB_INDICATIONS = (
    "FORMAT_FAILURE",
    "HASH_FAILURE",
    "SIG_CRYPTO_FAILURE",
    "REVOKED",
    "EXPIRED",
    "NOT_YET_VALID",
    "SIG_CONSTRAINTS_FAILURE",
    "CHAIN_CONSTRAINTS_FAILURE",
    "CRYPTO_CONSTRAINTS_FAILURE",
    "NO_SIGNING_CERTIFICATE_FOUND",
    "NO_CERTIFICATE_CHAIN_FOUND",
    "OUT_OF_BOUNDS_NO_POE",
    "OUT_OF_BOUNDS_NOT_REVOKED",
    "REVOKED_NO_POE",
    "REVOCATION_OUT_OF_BOUNDS_NO_POE",
    "TRY_LATER",
    "SIGNED_DATA_NOT_FOUND",
    "GENERIC",
)


@dataclass(frozen=True)
class PlainReport:
    badge: str
    verdict: str
    explanation: str
    indication: str
    sub_indication: str | None
    signer: dict[str, Any] | None
    signing_time: str | None
    validation_time: str | None
    algorithm: str | None
    timestamps: list[dict[str, Any]] = field(default_factory=list)
    chain: list[dict[str, Any]] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    content: dict[str, Any] | None = None
    policy_accepted: bool | None = None
    is_diia: bool = False
    #: Every signature file that covers the copy (when more than one), each with its verdict.
    signature_files: list[SignatureLine] = field(default_factory=list)


@dataclass(frozen=True)
class SignatureLine:
    name: str
    badge: str
    verdict: str
    signer: str | None


def badge_of(indication: str | None) -> str:
    return BADGE.get(indication or "UNSIGNED", "warn")


def plain(
    report: dict[str, Any] | None, indication: str | None, sub: str | None, t: Callable[[str], str]
) -> PlainReport:
    """Turn a stored report (or none at all) into what the document page shows."""
    report = report or {}
    indication = str(report.get("indication") or indication or "UNSIGNED")
    sub = report.get("sub_indication") or sub
    verdict = t(f"verdict.{indication}")
    explanation = t(f"sub.{sub}") if sub else t(f"verdict.{indication}.why")
    signer = report.get("signer") or None
    org = (signer or {}).get("organization_identifier") or ""
    return PlainReport(
        badge=badge_of(indication),
        verdict=verdict,
        explanation=explanation,
        indication=indication,
        sub_indication=sub,
        signer=signer,
        signing_time=report.get("signing_time"),
        validation_time=report.get("validation_time"),
        algorithm=report.get("signature_algorithm"),
        timestamps=list(report.get("timestamps") or []),
        chain=list(report.get("chain") or []),
        checks=list(report.get("checks") or []),
        errors=list(report.get("errors") or []),
        warnings=list(report.get("warnings") or []),
        content=report.get("content"),
        policy_accepted=report.get("policy_accepted"),
        is_diia=org.upper().endswith("43395033"),
        signature_files=[
            SignatureLine(
                name=str(f.get("name") or ""),
                badge=badge_of(f.get("indication")),
                verdict=t(f"verdict.{f.get('indication') or 'UNSIGNED'}"),
                signer=f.get("signer"),
            )
            for f in report.get("signature_files") or []
            if isinstance(f, dict)
        ],
    )
