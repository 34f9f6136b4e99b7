"""The names of the eight Diia.QR document types, defined once for every place that shows them.

Two forms per language: the full name as the Diia app shows it to the citizen (posters and QR
texts use it, in the middle of a sentence, so it starts in lower case), and a short name for
the staff's lists and cards, where space is tight. Codes are `archive.models.DOCUMENT_TYPES`.
"""

from __future__ import annotations

from dataclasses import dataclass

from archive.models import DOCUMENT_TYPES


@dataclass(frozen=True)
class DocumentTypeName:
    full_uk: str
    full_en: str
    short_uk: str
    short_en: str


NAMES: dict[str, DocumentTypeName] = {
    "id-card": DocumentTypeName(
        "паспорт громадянина України (ID-картка)",
        "Ukrainian passport (ID card)",
        "Паспорт громадянина України (ID-картка)",
        "Ukrainian passport (ID card)",
    ),
    "foreign-passport": DocumentTypeName(
        "паспорт громадянина України для виїзду за кордон",
        "Ukrainian passport for travel abroad",
        "Паспорт для виїзду за кордон",
        "Foreign travel passport",
    ),
    "taxpayer-card": DocumentTypeName(
        "картка платника податків (РНОКПП)",
        "taxpayer card (RNOKPP)",
        "Картка платника податків (РНОКПП)",
        "Taxpayer card (RNOKPP)",
    ),
    "birth-certificate": DocumentTypeName(
        "свідоцтво про народження дитини",
        "child's birth certificate",
        "Свідоцтво про народження дитини",
        "Child's birth certificate",
    ),
    "idp-certificate": DocumentTypeName(
        "довідка внутрішньо переміщеної особи (ВПО)",
        "internally displaced person (IDP) certificate",
        "Довідка ВПО",
        "IDP certificate",
    ),
    "driver-license": DocumentTypeName(
        "посвідчення водія",
        "driving licence",
        "Посвідчення водія",
        "Driver's licence",
    ),
    "vehicle-registration": DocumentTypeName(
        "свідоцтво про реєстрацію транспортного засобу",
        "vehicle registration certificate",
        "Свідоцтво про реєстрацію ТЗ",
        "Vehicle registration certificate",
    ),
    "student-card": DocumentTypeName(
        "студентський (учнівський) квиток",
        "student card",
        "Студентський/учнівський квиток",
        "Student card",
    ),
}
assert tuple(NAMES) == DOCUMENT_TYPES

#: The names as catalogue entries (`archive.catalogue`), for every package's catalogue:
#: `doctype.<code>` is the short name of the staff's pages, `doctype.<code>.full` the name the
#: citizen knows, for posters and reminders.
DOCTYPE_STRINGS: dict[str, dict[str, str]] = {
    **{f"doctype.{code}": {"uk": n.short_uk, "en": n.short_en} for code, n in NAMES.items()},
    **{f"doctype.{code}.full": {"uk": n.full_uk, "en": n.full_en} for code, n in NAMES.items()},
}
