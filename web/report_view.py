"""The validation report in plain words for people at the front desk.

The verifier's report (`verify.report.Report.to_dict()`, stored with each document) uses the
ETSI vocabulary; here it becomes a verdict a receptionist understands at a glance, with the
technical facts kept for the folded details ("Технічні подробиці", marked `data-technical`):
the ETSI codes, check ids and the verifier's English details appear only there. Strings come
from `web.i18n` (the checks' words from `web.i18n_doc`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from archive.catalogue import Translator
from web.i18n_doc import size_text

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
class CheckLine:
    """One check of the verifier in words; `check_id`/`detail` are for the technical details."""

    name: str
    message: str
    status: str
    check_id: str
    detail: str


@dataclass(frozen=True)
class Problem:
    """An error or warning in words; `code` is shown only in the technical details."""

    text: str
    code: str


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
    checks: list[CheckLine] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    #: Every error and warning code, once each (for the technical details).
    codes: list[str] = field(default_factory=list)
    content: dict[str, Any] | None = None
    #: The signed content's size in words ("18,6 КБ"), None when unknown.
    content_size: str | None = None
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


def check_line(check: dict[str, Any], t: Translator) -> CheckLine:
    """A verifier check (`{"name", "status", "detail"}`) in words. `revocation[1]` and further
    are the providers' certificates up the chain."""
    check_id = str(check.get("name") or "")
    status = str(check.get("status") or "")
    base = check_id.split("[", 1)[0]
    if base == "revocation" and "[" in check_id:
        name = t("checkname.revocation_ca")
    elif f"checkname.{base}" in t:
        name = t(f"checkname.{base}")
    else:
        name, base = t("checkname.other"), "other"
    message_key = f"checkmsg.{base}.{status}"
    if message_key not in t:
        message_key = f"checkmsg.other.{status}"
    message = t(message_key) if message_key in t else t("checkmsg.other.warning")
    return CheckLine(name, message, status, check_id, str(check.get("detail") or ""))


def problem(item: dict[str, Any], t: Translator) -> Problem:
    """An error or warning code in words: its own sentence, else the sub-indication's, else a
    general one (never the verifier's English message: that stays in the technical details)."""
    code = str(item.get("code") or "")
    for key in (f"code.{code}", f"sub.{code}"):
        if key in t:
            return Problem(t(key), code)
    return Problem(t("report.problem_other"), code)


def _distinct(items: list[Problem], already: set[str]) -> list[Problem]:
    """Each sentence once: two certificates without revocation data are one line for a
    person (every code stays in the technical details), and none repeats the explanation."""
    out = []
    for item in items:
        if item.text not in already:
            already.add(item.text)
            out.append(item)
    return out


def plain(
    report: dict[str, Any] | None,
    indication: str | None,
    sub: str | None,
    t: Translator,
) -> PlainReport:
    """Turn a stored report (or none at all) into what the document page shows."""
    report = report or {}
    indication = str(report.get("indication") or indication or "UNSIGNED")
    sub = report.get("sub_indication") or sub
    verdict = t(f"verdict.{indication}")
    explanation = t(f"sub.{sub}") if sub else t(f"verdict.{indication}.why")
    signer = report.get("signer") or None
    org = (signer or {}).get("organization_identifier") or ""
    content = report.get("content")
    size = content.get("size") if isinstance(content, dict) else None
    said = {explanation} | ({t(f"code.{sub}")} if sub else set())
    errors = [problem(e, t) for e in report.get("errors") or [] if isinstance(e, dict)]
    warnings = [problem(w, t) for w in report.get("warnings") or [] if isinstance(w, dict)]
    codes = list(dict.fromkeys(p.code for p in (*errors, *warnings)))
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
        checks=[check_line(c, t) for c in report.get("checks") or [] if isinstance(c, dict)],
        errors=_distinct(errors, said),
        warnings=_distinct(warnings, said),
        codes=codes,
        content=content,
        content_size=size_text(int(size), t) if isinstance(size, int) else None,
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
