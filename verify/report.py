"""The validation report: one immutable value that the CLI, the API and the UI all render.

Vocabulary from ETSI EN 319 102-1 (as the EU DSS validator uses it): an indication
(TOTAL_PASSED, TOTAL_FAILED, INDETERMINATE) and, unless passed, a sub-indication. Errors and
warnings carry a stable code so every renderer can translate them without parsing English.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Indication(StrEnum):
    TOTAL_PASSED = "TOTAL_PASSED"
    TOTAL_FAILED = "TOTAL_FAILED"
    INDETERMINATE = "INDETERMINATE"


class SubIndication(StrEnum):
    # TOTAL_FAILED
    FORMAT_FAILURE = "FORMAT_FAILURE"
    HASH_FAILURE = "HASH_FAILURE"
    SIG_CRYPTO_FAILURE = "SIG_CRYPTO_FAILURE"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"
    NOT_YET_VALID = "NOT_YET_VALID"
    # INDETERMINATE
    SIG_CONSTRAINTS_FAILURE = "SIG_CONSTRAINTS_FAILURE"
    CHAIN_CONSTRAINTS_FAILURE = "CHAIN_CONSTRAINTS_FAILURE"
    CRYPTO_CONSTRAINTS_FAILURE = "CRYPTO_CONSTRAINTS_FAILURE"
    NO_SIGNING_CERTIFICATE_FOUND = "NO_SIGNING_CERTIFICATE_FOUND"
    NO_CERTIFICATE_CHAIN_FOUND = "NO_CERTIFICATE_CHAIN_FOUND"
    OUT_OF_BOUNDS_NO_POE = "OUT_OF_BOUNDS_NO_POE"
    OUT_OF_BOUNDS_NOT_REVOKED = "OUT_OF_BOUNDS_NOT_REVOKED"
    REVOKED_NO_POE = "REVOKED_NO_POE"
    REVOCATION_OUT_OF_BOUNDS_NO_POE = "REVOCATION_OUT_OF_BOUNDS_NO_POE"
    TRY_LATER = "TRY_LATER"
    SIGNED_DATA_NOT_FOUND = "SIGNED_DATA_NOT_FOUND"
    GENERIC = "GENERIC"


class CheckStatus(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    WARNING = "warning"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Message:
    """An error or warning: a stable `code` and an English `message`."""

    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class Check:
    name: str
    status: CheckStatus
    detail: str

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "status": str(self.status), "detail": self.detail}


@dataclass(frozen=True)
class SignerSummary:
    subject: str
    serial_number: str | None  # the subject's serialNumber attribute (e.g. UA-43395033-1000)
    organization_identifier: str | None
    issuer: str
    certificate_serial: str  # hex
    sha256: str
    common_name: str | None = None
    edrpou: str | None = None  # 8 digits, from organizationIdentifier NTRUA-… or the attribute
    surname: str | None = None
    given_names: str | None = None
    full_name: str | None = None
    organization: str | None = None
    title: str | None = None  # position (посада)
    rnokpp: str | None = None  # 10 digits, from serialNumber TINUA-… or the DRFO attribute
    issuer_ca: str | None = None  # the issuing CA's common name
    not_before: datetime | None = None
    not_after: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "serial_number": self.serial_number,
            "organization_identifier": self.organization_identifier,
            "issuer": self.issuer,
            "certificate_serial": self.certificate_serial,
            "sha256": self.sha256,
            "common_name": self.common_name,
            "edrpou": self.edrpou,
            "surname": self.surname,
            "given_names": self.given_names,
            "full_name": self.full_name,
            "organization": self.organization,
            "title": self.title,
            "rnokpp": self.rnokpp,
            "issuer_ca": self.issuer_ca,
            "not_before": _iso(self.not_before),
            "not_after": _iso(self.not_after),
        }

    def identity_lines(self, labels: dict[str, str]) -> list[tuple[str, str]]:
        """(label, value) pairs of the identity fields that are present, in reading order."""
        validity = None
        if self.not_before is not None and self.not_after is not None:
            validity = f"{_date(self.not_before)} – {_date(self.not_after)}"
        pairs = [
            ("full_name", self.full_name),
            ("surname", self.surname),
            ("given_names", self.given_names),
            ("rnokpp", self.rnokpp),
            ("organization", self.organization),
            ("edrpou", self.edrpou),
            ("title", self.title),
            ("issuer_ca", self.issuer_ca),
            ("validity", validity),
        ]
        return [(labels[key], value) for key, value in pairs if value]


@dataclass(frozen=True)
class ChainEntry:
    subject: str
    issuer: str
    sha256: str
    not_before: datetime
    not_after: datetime
    trust_anchor: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "sha256": self.sha256,
            "not_before": _iso(self.not_before),
            "not_after": _iso(self.not_after),
            "trust_anchor": self.trust_anchor,
        }


@dataclass(frozen=True)
class TimestampSummary:
    kind: str  # "signature" | "content"
    time: datetime | None
    tsa: str | None
    valid: bool
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.kind,
            "time": _iso(self.time),
            "tsa": self.tsa,
            "valid": self.valid,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class ContentSummary:
    attached: bool
    sha256: str | None
    size: int | None

    def to_dict(self) -> dict[str, Any]:
        return {"attached": self.attached, "sha256": self.sha256, "size": self.size}


@dataclass(frozen=True)
class Report:
    indication: Indication
    sub_indication: SubIndication | None
    signer: SignerSummary | None
    signature_algorithm: str | None
    digest_algorithm: str | None
    signing_time: datetime | None
    timestamps: tuple[TimestampSummary, ...]
    chain: tuple[ChainEntry, ...]
    content: ContentSummary
    checks: tuple[Check, ...]
    errors: tuple[Message, ...]
    warnings: tuple[Message, ...]
    policy_accepted: bool
    validation_time: datetime | None = None
    signer_count: int = 1
    other_signatures: tuple[Report, ...] = ()
    signed_content: bytes | None = field(default=None, repr=False, compare=False)

    @property
    def passed(self) -> bool:
        return self.indication == Indication.TOTAL_PASSED

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ARCHITECTURE section 3 (`verify --json`)."""
        out: dict[str, Any] = {
            "indication": str(self.indication),
            "sub_indication": str(self.sub_indication) if self.sub_indication else None,
            "signer": self.signer.to_dict() if self.signer else None,
            "signature_algorithm": self.signature_algorithm,
            "digest_algorithm": self.digest_algorithm,
            "signing_time": _iso(self.signing_time),
            "timestamps": [t.to_dict() for t in self.timestamps],
            "chain": [c.to_dict() for c in self.chain],
            "content": self.content.to_dict(),
            "checks": [c.to_dict() for c in self.checks],
            "errors": [e.to_dict() for e in self.errors],
            "warnings": [w.to_dict() for w in self.warnings],
            "policy_accepted": self.policy_accepted,
            "validation_time": _iso(self.validation_time),
            "signer_count": self.signer_count,
        }
        if self.other_signatures:
            out["other_signatures"] = [r.to_dict() for r in self.other_signatures]
        return out

    def render_text(self, lang: str = "en") -> str:
        """A plain-text report for people; `lang` is "en" or "uk"."""
        t = _UK if lang == "uk" else _EN
        lines = []
        verdict = t["indication"].get(str(self.indication), str(self.indication))
        head = f"{t['result']}: {verdict}"
        if self.sub_indication:
            sub = t["sub"].get(str(self.sub_indication), str(self.sub_indication))
            head += f" ({self.sub_indication}: {sub})"
        lines.append(head)
        if self.signer:
            lines.append(f"{t['signer']}: {self.signer.full_name or self.signer.subject}")
            for label, value in self.signer.identity_lines(t["identity"]):
                lines.append(f"  {label}: {value}")
            lines.append(f"  {t['subject']}: {self.signer.subject}")
            if self.signer.organization_identifier:
                lines.append(f"  {t['org_id']}: {self.signer.organization_identifier}")
            if self.signer.serial_number:
                lines.append(f"  {t['serial']}: {self.signer.serial_number}")
            lines.append(f"  {t['issuer']}: {self.signer.issuer}")
        if self.signature_algorithm:
            lines.append(f"{t['algorithm']}: {self.signature_algorithm}")
        if self.signing_time:
            lines.append(f"{t['signing_time']}: {_iso(self.signing_time)}")
        if self.validation_time:
            lines.append(f"{t['validation_time']}: {_iso(self.validation_time)}")
        for ts in self.timestamps:
            state = t["valid"] if ts.valid else t["invalid"]
            lines.append(f"{t['timestamp']}: {_iso(ts.time)} ({state}; {ts.tsa or '-'})")
        content = (t["attached"] if self.content.attached else t["detached"]) + (
            f", {self.content.size} B, sha256 {self.content.sha256}" if self.content.sha256 else ""
        )
        lines.append(f"{t['content']}: {content}")
        if self.chain:
            lines.append(f"{t['chain']}:")
            for entry in self.chain:
                anchor = f" [{t['anchor']}]" if entry.trust_anchor else ""
                lines.append(
                    f"  - {entry.subject}{anchor} ({_iso(entry.not_before)} .. "
                    f"{_iso(entry.not_after)})"
                )
        lines.append(f"{t['policy']}: {t['yes'] if self.policy_accepted else t['no']}")
        for check in self.checks:
            status = t["status"].get(str(check.status), str(check.status))
            lines.append(f"  [{status}] {check.name}: {check.detail}")
        for err in self.errors:
            lines.append(f"{t['error']}: {t['codes'].get(err.code, err.message)} ({err.code})")
        for warn in self.warnings:
            lines.append(f"{t['warning']}: {t['codes'].get(warn.code, warn.message)} ({warn.code})")
        for i, other in enumerate(self.other_signatures, start=2):
            lines.append(f"--- {t['signature']} #{i} ---")
            lines.append(other.render_text(lang))
        return "\n".join(lines) + "\n"


def _date(value: datetime) -> str:
    """DD.MM.YYYY in Kyiv time, as Ukrainian readers write dates."""
    from zoneinfo import ZoneInfo

    return value.astimezone(ZoneInfo("Europe/Kyiv")).strftime("%d.%m.%Y")


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.isoformat().replace("+00:00", "Z")


_EN: dict[str, Any] = {
    "result": "Result",
    "signer": "Signer",
    "subject": "Certificate subject",
    "identity": {
        "full_name": "Full name",
        "surname": "Surname",
        "given_names": "Given names",
        "rnokpp": "RNOKPP (taxpayer number)",
        "organization": "Organisation",
        "edrpou": "EDRPOU code",
        "title": "Position",
        "issuer_ca": "Certificate issued by",
        "validity": "Certificate valid",
    },
    "org_id": "Organization identifier",
    "serial": "Serial number",
    "issuer": "Issuer",
    "algorithm": "Signature algorithm",
    "signing_time": "Signing time (claimed)",
    "validation_time": "Validated at",
    "timestamp": "Time-stamp",
    "valid": "valid",
    "invalid": "not valid",
    "content": "Content",
    "attached": "attached",
    "detached": "detached",
    "chain": "Certificate chain",
    "anchor": "trust anchor",
    "policy": "Signer accepted by policy",
    "yes": "yes",
    "no": "no",
    "error": "Error",
    "warning": "Warning",
    "signature": "Signature",
    "indication": {
        "TOTAL_PASSED": "signature is valid",
        "TOTAL_FAILED": "signature is NOT valid",
        "INDETERMINATE": "validity cannot be established",
    },
    "sub": {
        "FORMAT_FAILURE": "the signature is malformed",
        "HASH_FAILURE": "the content was changed: its hash does not match",
        "SIG_CRYPTO_FAILURE": "the signature value does not verify",
        "REVOKED": "the certificate was revoked",
        "EXPIRED": "the certificate had expired",
        "NOT_YET_VALID": "the certificate was not yet valid",
        "SIG_CONSTRAINTS_FAILURE": "a signature constraint is not met",
        "CHAIN_CONSTRAINTS_FAILURE": "a certificate chain constraint is not met",
        "CRYPTO_CONSTRAINTS_FAILURE": "an algorithm is not supported",
        "NO_SIGNING_CERTIFICATE_FOUND": "the signer's certificate was not found",
        "NO_CERTIFICATE_CHAIN_FOUND": "no chain to a trusted root",
        "OUT_OF_BOUNDS_NO_POE": "a certificate is outside its validity and no time-stamp helps",
        "OUT_OF_BOUNDS_NOT_REVOKED": "a certificate is outside its validity",
        "REVOKED_NO_POE": "revoked, and no proof the signature existed before",
        "REVOCATION_OUT_OF_BOUNDS_NO_POE": "revocation data is not current",
        "TRY_LATER": "no revocation data; try again when it is available",
        "SIGNED_DATA_NOT_FOUND": "the signed content is missing",
        "GENERIC": "another reason",
    },
    "status": {"passed": "ok", "failed": "FAIL", "warning": "warn", "skipped": "skip"},
    "codes": {},
}

_UK: dict[str, Any] = {
    "result": "Результат",
    "signer": "Підписувач",
    "subject": "Власник сертифіката",
    "identity": {
        "full_name": "ПІБ",
        "surname": "Прізвище",
        "given_names": "Ім’я та по батькові",
        "rnokpp": "РНОКПП",
        "organization": "Організація",
        "edrpou": "Код ЄДРПОУ",
        "title": "Посада",
        "issuer_ca": "Сертифікат видав",
        "validity": "Сертифікат чинний",
    },
    "org_id": "Ідентифікатор організації",
    "serial": "Реєстраційний номер",
    "issuer": "Видавець сертифіката",
    "algorithm": "Алгоритм підпису",
    "signing_time": "Час підпису (заявлений)",
    "validation_time": "Перевірено на момент",
    "timestamp": "Позначка часу",
    "valid": "дійсна",
    "invalid": "недійсна",
    "content": "Вміст",
    "attached": "вбудований",
    "detached": "окремий",
    "chain": "Ланцюжок сертифікатів",
    "anchor": "довірений корінь",
    "policy": "Підписувач прийнятний за політикою",
    "yes": "так",
    "no": "ні",
    "error": "Помилка",
    "warning": "Попередження",
    "signature": "Підпис",
    "indication": {
        "TOTAL_PASSED": "підпис дійсний",
        "TOTAL_FAILED": "підпис НЕДІЙСНИЙ",
        "INDETERMINATE": "дійсність не встановлено",
    },
    "sub": {
        "FORMAT_FAILURE": "неправильний формат",
        "HASH_FAILURE": "вміст змінено: геш не збігається",
        "SIG_CRYPTO_FAILURE": "криптографічна перевірка підпису не пройшла",
        "REVOKED": "сертифікат скасовано",
        "EXPIRED": "строк дії сертифіката минув",
        "NOT_YET_VALID": "сертифікат ще не чинний",
        "SIG_CONSTRAINTS_FAILURE": "порушено обмеження підпису",
        "CHAIN_CONSTRAINTS_FAILURE": "порушено обмеження ланцюжка",
        "CRYPTO_CONSTRAINTS_FAILURE": "алгоритм не підтримується",
        "NO_SIGNING_CERTIFICATE_FOUND": "сертифікат підписувача не знайдено",
        "NO_CERTIFICATE_CHAIN_FOUND": "немає ланцюжка до довіреного кореня",
        "OUT_OF_BOUNDS_NO_POE": "сертифікат поза строком дії, немає доказу існування",
        "OUT_OF_BOUNDS_NOT_REVOKED": "сертифікат поза строком дії",
        "REVOKED_NO_POE": "сертифікат скасовано, немає доказу існування",
        "REVOCATION_OUT_OF_BOUNDS_NO_POE": "дані про статус застарілі",
        "TRY_LATER": "немає даних про статус сертифіката, спробуйте пізніше",
        "SIGNED_DATA_NOT_FOUND": "немає підписаних даних",
        "GENERIC": "інша причина",
    },
    "status": {"passed": "так", "failed": "ПОМИЛКА", "warning": "увага", "skipped": "пропущено"},
    "codes": {
        "HASH_FAILURE": "геш вмісту не збігається з підписаним",
        "SIG_CRYPTO_FAILURE": "значення підпису не перевіряється ключем підписувача",
        "NO_CERTIFICATE_CHAIN_FOUND": "немає ланцюжка до довіреного кореня",
        "NO_SIGNING_CERTIFICATE_FOUND": "сертифікат підписувача не знайдено",
        "SIGNED_DATA_NOT_FOUND": "окремий підпис: вміст не надано",
        "SIGNING_TIME_USED": "перевірено на заявлений час підпису, а не на поточний",
        "NO_REVOCATION_DATA": "немає даних про статус (OCSP/CRL) сертифіката",
        "REVOCATION_STALE": "дані про статус сертифіката застарілі",
        "REVOKED": "сертифікат скасовано",
        "EXPIRED": "строк дії сертифіката минув",
        "POE_USED": "сертифікат перевірено на час позначки часу",
        "TIMESTAMP_INVALID": "позначка часу недійсна",
        "POLICY_REJECTED": "підписувач не відповідає політиці",
        "SIGNING_CERTIFICATE_MISMATCH": "атрибут signingCertificate не відповідає сертифікату",
        "FORMAT_FAILURE": "неправильний формат",
        "UNSUPPORTED_ALGORITHM": "алгоритм не підтримується",
        "REVERIFIED_AT_RECEIPT": "перевірено повторно на момент отримання копії архівом",
        "SIGNER_IDENTIFIER_MISMATCH": "ідентифікатор підписувача не збігся з жодним сертифікатом; "
        "використано сертифікат, визначений атрибутом signingCertificate",
    },
}
