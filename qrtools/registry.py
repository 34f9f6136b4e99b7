"""The QR registry: services (document packages) of branches and the Diia.QR codes issued for them.

Rules follow the Diia portal: names must be specific (the portal deletes "Дія", "Дія готель",
"ідентифікація" and the like), one active code per branch and document package, a code lives
`validity_days` (365) from its issue date, and a branch whose address changed needs a new code.

Dates: `issued_at` is the first day a code works and `expires_at = issued_at + 365 days` is the
first day it no longer works, so the last valid day is `expires_at - 1` (what posters print).
Nothing here reads the clock: callers pass `today` or `now`.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.models import DOCUMENT_TYPES, Branch, QrCode, Service
from qrtools.errors import (
    DuplicateCode,
    DuplicateService,
    InvalidDocuments,
    InvalidName,
    InvalidPayload,
    PayloadExists,
    RegistryError,
    UnknownObject,
)

__all__ = [
    "CodeState",
    "CodeView",
    "RegistryError",
    "add_service",
    "code_state",
    "get_code_view",
    "import_code",
    "list_codes",
    "list_services",
    "needs_replacement",
    "normalize_documents",
    "retire_code",
    "validate_name",
]

CodeState = Literal["active", "expiring", "expired", "retired"]

VALIDITY_DAYS = 365
REMIND_DAYS = 7
#: The largest payload a QR code can hold (version 40, byte mode, error level L).
MAX_PAYLOAD_BYTES = 2953

# Words that carry no identity on their own. A name made only of these (and numbers) is what the
# portal deletes: "Дія", "Впровадження Дії", "Дія готель", "ідентифікація", "Відділення №1".
_GENERIC_WORDS = frozenset(
    """
    дія дії дію дією diia diya дiя qr код коду кода впровадження ідентифікація ідентифікації
    ідентифікацію готель послуга послуги послуг сервіс сервісу відділення відділ тест test
    копії копія копій документи документів документ цифрова цифровий держава портал застосунок
    цнап тов пп фоп кп дп ат прат го
    для з із зі у в та і й на по до від no the of
    """.split()
)
# Latin letters that look like Cyrillic ones: "Дiя" typed with a Latin i is still "Дія".
_HOMOGLYPHS = str.maketrans("aceiopxyk", "асеіорхук")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "`": "'", "‘": "'"})


def _tokens(text: str) -> list[str]:
    text = unicodedata.normalize("NFC", text).translate(_APOSTROPHES).replace("'", "")
    return [t.casefold() for t in _WORD.findall(text)]


def _is_generic(token: str) -> bool:
    return (
        token.isdigit() or token in _GENERIC_WORDS or token.translate(_HOMOGLYPHS) in _GENERIC_WORDS
    )


def validate_name(name: str) -> None:
    """Raise InvalidName unless `name` says specifically who asks, or for what purpose.

    Citizens see branch and service names in the app before they agree to send copies, and the
    portal deletes vague ones; refusing them here keeps the registry in step with the portal.
    """
    clean = " ".join(name.split())
    if not clean:
        raise InvalidName("Назва порожня.", "The name is empty.")
    if len(clean) > 300:
        raise InvalidName("Назва довша за 300 символів.", "The name is longer than 300 characters.")
    if any(unicodedata.category(c) == "Cc" for c in name):
        raise InvalidName("Назва містить керівні символи.", "The name contains control characters.")
    specific = [t for t in _tokens(clean) if not _is_generic(t) and len(t) >= 3]
    if not specific:
        raise InvalidName(
            f"Назва «{clean}» не конкретна: портал Дія видаляє такі назви, як «Дія», "
            "«Впровадження Дії», «Дія готель», «ідентифікація». Вкажіть точну назву установи "
            "(наприклад, «Готель «Палаццо»») або мету послуги (наприклад, «для поселення у "
            "готель»).",
            f"The name {clean!r} is not specific: the Diia portal deletes names such as "
            "'Дія', 'Впровадження Дії', 'Дія готель', 'ідентифікація'. Give the exact name of "
            "the institution or the purpose of the service.",
        )


def normalize_documents(documents: Iterable[str]) -> list[str]:
    """The package as stored: known codes only, no repeats, in the canonical order.

    The canonical order makes two services with the same documents the same package, which is
    what "one QR per branch and document package" compares.
    """
    given = [d.strip() for d in documents if d.strip()]
    unknown = sorted({d for d in given if d not in DOCUMENT_TYPES})
    if unknown:
        raise InvalidDocuments(
            f"Невідомі типи документів: {', '.join(unknown)}. Допустимі: "
            f"{', '.join(DOCUMENT_TYPES)}.",
            f"Unknown document types: {', '.join(unknown)}. Known: {', '.join(DOCUMENT_TYPES)}.",
        )
    if not given:
        raise InvalidDocuments(
            "Послуга має запитувати хоча б один документ.",
            "A service must request at least one document.",
        )
    return [d for d in DOCUMENT_TYPES if d in set(given)]


def _branch(session: Session, branch_id: int) -> Branch:
    branch = session.get(Branch, branch_id)
    if branch is None:
        raise UnknownObject(f"Відділення {branch_id} не існує.", f"No branch {branch_id}.")
    return branch


def add_service(
    session: Session,
    branch_id: int,
    name: str,
    documents: Sequence[str],
    retention_days: int | None = None,
) -> Service:
    """Register a service of a branch: its stated purpose and the documents it requests."""
    validate_name(name)
    package = normalize_documents(documents)
    branch = _branch(session, branch_id)
    clean = " ".join(name.split())
    existing = session.execute(
        select(Service.id).where(Service.branch_id == branch.id, Service.name == clean)
    ).first()
    if existing:
        raise DuplicateService(
            f"У відділенні {branch.id} вже є послуга «{clean}».",
            f"Branch {branch.id} already has a service {clean!r}.",
        )
    if retention_days is not None and retention_days < 1:
        raise InvalidDocuments(
            "Строк зберігання має бути не менше одного дня.",
            "The retention period must be at least one day.",
            reason="QR_RETENTION_INVALID",
        )
    service = Service(
        branch_id=branch.id, name=clean, documents=package, retention_days=retention_days
    )
    session.add(service)
    session.flush()
    return service


def list_services(session: Session, branch_id: int | None = None) -> list[Service]:
    query = select(Service).order_by(Service.branch_id, Service.id)
    if branch_id is not None:
        query = query.where(Service.branch_id == branch_id)
    return list(session.execute(query).scalars())


def clean_payload(payload: str) -> str:
    """The payload as it will be encoded again: outer whitespace (a paste's newline) removed."""
    clean = payload.strip()
    if not clean:
        raise InvalidPayload("Вміст QR-коду порожній.", "The QR payload is empty.")
    if "\x00" in clean:
        raise InvalidPayload(
            "Вміст QR-коду містить нульовий символ.", "The QR payload contains a NUL character."
        )
    if len(clean.encode("utf-8")) > MAX_PAYLOAD_BYTES:
        raise InvalidPayload(
            f"Вміст QR-коду довший за {MAX_PAYLOAD_BYTES} байтів.",
            f"The QR payload is longer than {MAX_PAYLOAD_BYTES} bytes.",
        )
    return clean


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC)


def import_code(
    session: Session,
    branch_id: int,
    service_id: int,
    payload: str,
    issued_at: dt.date,
    *,
    replace: bool = False,
    validity_days: int = VALIDITY_DAYS,
) -> QrCode:
    """Record a code downloaded from the Diia portal for a service of a branch.

    A code of the same branch and package still valid on `issued_at` is a conflict
    (DuplicateCode) unless `replace` is set; with it, and always for codes already expired by
    then, the old code is retired as superseded at the new code's issue date, so `qr check`
    stops reporting a code that was dealt with.
    """
    payload = clean_payload(payload)
    branch = _branch(session, branch_id)
    service = session.get(Service, service_id)
    if service is None or service.branch_id != branch.id:
        raise UnknownObject(
            f"Послуги {service_id} немає у відділенні {branch.id}.",
            f"Branch {branch.id} has no service {service_id}.",
        )
    if session.execute(select(QrCode.id).where(QrCode.payload == payload)).first():
        raise PayloadExists(
            "Цей QR-код уже імпортовано.", "This QR code has already been imported."
        )
    package = normalize_documents(service.documents)
    same_package = [
        code
        for code, documents in session.execute(
            select(QrCode, Service.documents)
            .join(Service, QrCode.service_id == Service.id)
            .where(QrCode.branch_id == branch.id, QrCode.retired_at.is_(None))
        )
        if normalize_documents(documents) == package
    ]
    still_valid = [c for c in same_package if c.expires_at > issued_at]
    if still_valid and not replace:
        old = still_valid[0]
        last = old.expires_at - dt.timedelta(days=1)
        raise DuplicateCode(
            f"У відділенні вже є чинний QR-код №{old.id} для цього пакета документів (діє до "
            f"{last:%d.%m.%Y} включно). Виведіть його з ужитку або імпортуйте з заміною.",
            f"The branch already has active code {old.id} for this document package (valid "
            f"through {last.isoformat()}); retire it or import with replace.",
        )
    for old in same_package:
        old.retired_at = _midnight(issued_at)
    code = QrCode(
        branch_id=branch.id,
        service_id=service.id,
        payload=payload,
        issued_at=issued_at,
        expires_at=issued_at + dt.timedelta(days=validity_days),
    )
    session.add(code)
    session.flush()
    return code


def retire_code(session: Session, code_id: int, now: dt.datetime) -> QrCode:
    """Take a code out of use (deleted on the portal, poster removed); idempotent."""
    code = session.get(QrCode, code_id)
    if code is None:
        raise UnknownObject(f"QR-коду {code_id} не існує.", f"No QR code {code_id}.")
    if code.retired_at is None:
        code.retired_at = now
        session.flush()
    return code


def code_state(code: QrCode, today: dt.date, remind_days: int = REMIND_DAYS) -> CodeState:
    """Where a code stands on `today`: retired, expired, expiring (within the reminder
    window before its expiry day) or active."""
    if code.retired_at is not None:
        return "retired"
    if today >= code.expires_at:
        return "expired"
    if (code.expires_at - today).days <= remind_days:
        return "expiring"
    return "active"


def needs_replacement(code: QrCode, branch: Branch) -> bool:
    """True when the branch's address changed after the code was made.

    The code carries the address citizens see, so after a move they would see a mismatch and
    may cancel. A code issued on the day of the change counts as new only if it was also
    imported after the change (the issue date alone cannot tell).
    """
    changed = branch.address_changed_at
    if changed is None:
        return False
    changed_day = changed.date()
    if code.issued_at != changed_day:
        return code.issued_at < changed_day
    return code.created_at is not None and code.created_at < changed


@dataclass(frozen=True)
class CodeView:
    """A code with what the lists, posters and reminders show about it, on a given day."""

    id: int
    branch_id: int
    branch_name: str
    branch_address: str
    branch_email: str
    branch_active: bool
    organization: str
    service_id: int | None
    service_name: str
    documents: tuple[str, ...]
    payload: str
    issued_at: dt.date
    expires_at: dt.date
    retired_at: dt.datetime | None
    reminder_sent_for: dt.date | None
    state: CodeState
    days_left: int
    needs_replacement: bool

    @property
    def last_valid_day(self) -> dt.date:
        return self.expires_at - dt.timedelta(days=1)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "branch_id": self.branch_id,
            "branch": self.branch_name,
            "address": self.branch_address,
            "email": self.branch_email,
            "branch_active": self.branch_active,
            "organization": self.organization,
            "service_id": self.service_id,
            "service": self.service_name,
            "documents": list(self.documents),
            "payload": self.payload,
            "issued_at": self.issued_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "last_valid_day": self.last_valid_day.isoformat(),
            "retired_at": self.retired_at.isoformat() if self.retired_at else None,
            "reminder_sent_for": (
                self.reminder_sent_for.isoformat() if self.reminder_sent_for else None
            ),
            "state": self.state,
            "days_left": self.days_left,
            "needs_replacement": self.needs_replacement,
        }


def view_of(
    code: QrCode, branch: Branch, service: Service | None, today: dt.date, remind_days: int
) -> CodeView:
    return CodeView(
        id=code.id,
        branch_id=branch.id,
        branch_name=branch.name,
        branch_address=branch.address,
        branch_email=branch.email,
        branch_active=branch.active,
        organization=branch.organization or "",
        service_id=service.id if service else None,
        service_name=service.name if service else "",
        documents=tuple(service.documents) if service else (),
        payload=code.payload,
        issued_at=code.issued_at,
        expires_at=code.expires_at,
        retired_at=code.retired_at,
        reminder_sent_for=code.reminder_sent_for,
        state=code_state(code, today, remind_days),
        days_left=(code.expires_at - today).days,
        needs_replacement=needs_replacement(code, branch),
    )


def query_views(
    session: Session, today: dt.date, remind_days: int, where: Sequence[Any] = ()
) -> list[CodeView]:
    rows = session.execute(
        select(QrCode, Branch, Service)
        .join(Branch, QrCode.branch_id == Branch.id)
        .outerjoin(Service, QrCode.service_id == Service.id)
        .where(*where)
        .order_by(QrCode.expires_at, QrCode.id)
    )
    """Codes with their branch and service as views on `today`, filtered by `where`."""
    return [view_of(code, branch, service, today, remind_days) for code, branch, service in rows]


def list_codes(
    session: Session,
    today: dt.date,
    *,
    remind_days: int = REMIND_DAYS,
    include_retired: bool = True,
    branch_id: int | None = None,
) -> list[CodeView]:
    """All codes as seen on `today`, soonest expiry first."""
    where: list[Any] = []
    if not include_retired:
        where.append(QrCode.retired_at.is_(None))
    if branch_id is not None:
        where.append(QrCode.branch_id == branch_id)
    return query_views(session, today, remind_days, where)


def get_code_view(
    session: Session, code_id: int, today: dt.date, *, remind_days: int = REMIND_DAYS
) -> CodeView:
    found = query_views(session, today, remind_days, [QrCode.id == code_id])
    if not found:
        raise UnknownObject(f"QR-коду {code_id} не існує.", f"No QR code {code_id}.")
    return found[0]
